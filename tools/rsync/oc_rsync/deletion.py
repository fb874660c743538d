"""--delete: remove what the destination has and the file list does not (upstream:
generator.c delete_in_dir, do_delete_pass; delete.c delete_item, delete_dir_contents).

Only directories whose contents the list carries are cleaned (the sender's flag, from
protocol 30; upstream FLAG_CONTENT_DIR): with -r every directory but the implied parents
of -R paths and mount points under -x, with -d a trailing-slash source's "." only. A name
the receiver's filter rules exclude is kept (under --delete-excluded only what
receiver-side rules protect, per-directory merge files in the destination included).
Within a directory the extraneous names go in reverse list order (subdirectories first,
as they sort after files), and an extraneous directory's contents go before it, each item
counted and reported. With --max-delete=N, once N items are gone the rest are skipped and
counted; a directory that keeps some of its contents is reported as not empty. The
counts become the deletion stats a protocol-31 generator sends (files, dirs, symlinks,
devices, specials).

When (upstream: options.c, compat.c): before the transfer, during it (each directory just
before its contents are generated; the default from protocol 30, before it --delete
means before), delayed (found during, removed after the transfer) or after it.
"""
import os
import stat
from collections.abc import Callable, Iterator

from oc_flist.filters import FilterRules, files_under
from oc_wire.flist_entry import FileEntry

__all__ = ["DeleteCounts", "Deleter", "delete_when"]


def delete_when(o, protocol: int) -> str | None:
    """before, during, delay, after, or None without --delete."""
    if not o.delete:
        return None
    return o.delete_when or ("during" if protocol >= 30 else "before")


class DeleteCounts:
    def __init__(self):
        self.files = self.dirs = self.symlinks = self.devices = self.specials = 0
        self.skipped = 0  # --max-delete

    @property
    def total(self) -> int:
        return self.files + self.dirs + self.symlinks + self.devices + self.specials

    def add(self, mode: int) -> None:
        if stat.S_ISDIR(mode):
            self.dirs += 1
        elif stat.S_ISLNK(mode):
            self.symlinks += 1
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            self.devices += 1
        elif stat.S_ISREG(mode):
            self.files += 1
        else:
            self.specials += 1

    def values(self) -> list[int]:
        return [self.files, self.dirs, self.symlinks, self.devices, self.specials]


class Deleter:
    """Finds and removes extraneous entries; directories must be visited in list
    (depth-first) order so per-directory filter rules follow the walk.

    report(name, mode) is called for each item removed (or that would be, with dry_run);
    info(text) for upstream's FINFO notes, error(text) for a failed removal. blocked(),
    when given, says whether the sender has reported an I/O error: from then on nothing
    is deleted (its list may lack what it could not read), as upstream's generator says
    once (generator.c delete_in_dir; --ignore-errors gives no blocked())."""

    def __init__(self, root: bytes, entries: list[FileEntry], rules: FilterRules | None,
                 protocol: int,
                 report: Callable[[bytes, int], None], info: Callable[[str], None],
                 error: Callable[[str], None], max_delete: int | None = None,
                 dry_run: bool = False, trace: bool = False, insecure: bool = False,
                 warn: Callable[[str], None] | None = None, debug: bool = False,
                 blocked: Callable[[], bool] | None = None):
        self.root, self.p = root, protocol
        self.debug = debug  # --debug=DEL (-vv): a pass names each top directory
        self.report, self.info, self.error = report, info, error
        self.trace = info if trace else None  # -vv: each rule that spares or risks a name
        self.max_delete, self.dry_run = max_delete, dry_run
        self.counts = DeleteCounts()
        self.names: dict[bytes, set[bytes]] = {}
        self.learn(entries)
        # (root: its parents' merge files count too, and a "/" rule sees absolute paths)
        self.walker = rules.walker(files_under(root, insecure, warn), root) \
            if rules and rules.rules else None
        self.stack: list[bytes] = []
        self.blocked = blocked
        self.warned = False  # (the note is said once)

    def learn(self, entries: list[FileEntry]) -> None:
        """Names the list carries (incremental recursion: one more directory's)."""
        for e in entries:
            if e.name != b".":
                parent, _, base = e.name.rpartition(b"/")
                self.names.setdefault(parent, set()).add(base)

    def cleans(self, e: FileEntry) -> bool:
        return e.is_dir() and e.content_dir

    def extraneous(self, e: FileEntry) -> Iterator[tuple[bytes, bytes, int]]:
        """(path, name relative to root, mode) of what directory entry e holds that the
        list does not, in upstream's deletion order."""
        if not self.cleans(e):
            return
        if self.blocked is not None and self.blocked():
            if not self.warned:
                self.info("IO error encountered -- skipping file deletion")
                self.warned = True
            return
        rel = b"" if e.name == b"." else e.name
        if self.walker:
            while self.stack and self.stack[-1] and \
                    not (rel + b"/").startswith(self.stack[-1] + b"/"):  # (b"": the root)
                self.stack.pop()
                self.walker.leave_dir()
            self.walker.enter_dir(rel)
            self.stack.append(rel)
        path = os.path.join(self.root, rel) if rel else self.root
        try:
            present = os.listdir(path)
        except OSError:
            return
        keep = self.names.pop(rel, set())  # each directory is cleaned once
        found = []
        for base in present:  # (as upstream's get_dirlist: with -vv every name is tried)
            if base in keep and not (self.trace and self.walker):
                continue
            child = rel + b"/" + base if rel else base
            full = os.path.join(path, base)
            st = os.lstat(full)
            if self.walker and self.walker.excluded(child, stat.S_ISDIR(st.st_mode),
                                                    self.trace, "generator"):
                continue
            if base not in keep:
                found.append((full, child, st.st_mode))
        found.sort(key=self._order, reverse=True)
        yield from found

    def _order(self, item) -> tuple:
        return (self.p >= 29 and stat.S_ISDIR(item[2]), item[1])

    def pass_over(self, entries: list[FileEntry]) -> None:
        """--delete-before or --delete-after: every directory of the list, in order
        (upstream: generator.c do_delete_pass)."""
        for e in entries:
            if self.debug and e.top_dir and self.cleans(e):
                self.info(f"deleting in {os.fsdecode(e.name)}")
            self.in_dir(e)

    def in_dir(self, e: FileEntry) -> None:
        for item in list(self.extraneous(e)):
            self.remove(*item)

    def remove(self, path: bytes, name: bytes, mode: int) -> bool:
        """Delete one item (a directory after its contents); False if anything stayed."""
        if stat.S_ISDIR(mode):
            whole = True
            try:
                inside = os.listdir(path)
            except OSError:
                inside = []
            items = []
            for base in inside:
                try:
                    items.append((os.path.join(path, base), name + b"/" + base,
                                  os.lstat(os.path.join(path, base)).st_mode))
                except FileNotFoundError:
                    pass
            items.sort(key=self._order, reverse=True)
            for item in items:
                whole = self.remove(*item) and whole
            if not whole:
                self.info(f"cannot delete non-empty directory: {os.fsdecode(name)}")
                return False
        if self.max_delete is not None and self.counts.total >= self.max_delete:
            self.counts.skipped += 1
            return False
        if not self.dry_run:
            try:
                os.rmdir(path) if stat.S_ISDIR(mode) else os.unlink(path)
            except FileNotFoundError:
                return True
            except OSError as exc:
                what = "rmdir" if stat.S_ISDIR(mode) else "unlink"
                self.error(f"delete_file: {what}({os.fsdecode(name)}) failed: "
                           f"{exc.strerror} ({exc.errno})")
                return False
        self.counts.add(mode)
        self.report(name, mode)
        return True
