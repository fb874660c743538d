"""Build the sender's file list from command-line sources (upstream: flist.c
send_file_list, send_directory, make_file, link_stat; options.c for the implied options).

Rules, as upstream applies them:
- A source ending in '/' (or '.', '..') sends the directory's contents under "." ("dot
  dir"); otherwise the last path element is sent under its own name, its contents (with
  -r) under "name/...". The part before the last '/' is where the names start from.
- Directories are skipped ("skipping directory") unless -r or -d (--list-only implies
  -d); without -r a dot dir still sends its contents, one level deep.
- Symlinks are sent as links. -L follows every link (one without a referent is an error),
  --copy-unsafe-links those pointing outside the tree, -k those pointing at directories.
- -x does not descend into directories on another filesystem (-xx leaves them out).
- -R keeps the path as given after any "/./" (a leading '/' dropped) and sends the
  parent directories first (implied dirs) unless --no-implied-dirs.
- Filter rules see each name relative to where the names start; an excluded directory is
  not descended into. The order within a directory is the filesystem's, as upstream's
  readdir gives it; subdirectories follow after all of a directory's entries.
- Nothing is held beyond the directories being walked: entries stream out.

Errors do not stop the scan: they are collected with upstream's wording and make the exit
code 23 (partial transfer), as upstream's io_error does.
"""
import errno
import grp
import os
import pwd
import stat
from collections.abc import Iterator

from oc_core.record import field, record
from oc_core.scan import ListingScan, ScanAhead, ScanRec, scan_dir, scan_path
from oc_wire.flist_entry import FileEntry

from .chmod import tweak_entry
from .filters import FilterRules, files_under

__all__ = ["Selection", "ScanErrors", "BuildAbort", "Lines", "ListFormat", "build",
           "build_items", "entry_from", "IncrementalBuild", "unsafe_symlink"]


@record(frozen=True, slots=True)
class ListFormat:
    """How --list-only lines look; given to build() they come out pre-formatted (Lines)
    wherever libcore can do a whole directory (listing.c)."""

    human: int = 1
    links: bool = False
    allow_8bit: bool = False


@record(frozen=True, slots=True)
class Lines:
    """--list-only lines libcore formatted, in place of their entries."""

    data: bytes


class BuildAbort(Exception):
    """A source argument upstream refuses outright (message, exit code)."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


@record(frozen=True, slots=True)
class Selection:
    recurse: bool = False
    xfer_dirs: bool = False
    preserve_links: bool = False
    copy_links: bool = False
    copy_dirlinks: bool = False
    copy_unsafe_links: bool = False
    one_file_system: int = 0
    relative: bool = False
    implied_dirs: bool = True
    owner_names: bool = False   # look up user and group names (-o/-g without --numeric-ids)
    insecure_links: bool = False  # per-directory merge files through anyone's symlink
    chmod: tuple = ()           # --chmod's items (oc_flist.chmod), applied to listed modes
    filter_trace: bool = False  # say which rule hid or showed a name (-vv, --debug=FILTER)
    report_mounts: bool = False  # -xx: say which mount points are left out (--info=MOUNT)
    report_symsafe: bool = False  # say which unsafe symlinks are copied (--info=SYMSAFE)


@record(slots=True)
class ScanErrors:
    """The scan's messages, each (kind, text): "error" (upstream rsyserr: said with the
    program's name and role), "xfer" (rprintf FERROR_XFER: the text alone), "missing"
    (an "error" that leaves the list's io_error alone: a source argument that does not
    exist, where nothing can be omitted that the receiver should keep), "vanished" (a
    warning: a name listed a moment before is gone; IOERR_VANISHED, exit 24), "warn" or
    "info"; every error kind sets io_error (exit 23), and "error" and "xfer" also the
    list's IOERR_GENERAL, which stops the receiver's deletions."""
    messages: list[tuple[str, str]] = field(default_factory=list)
    io_error: bool = False
    vanished: bool = False

    def add(self, text: str, plain: bool = False, kind: str | None = None) -> None:
        self.messages.append((kind or ("xfer" if plain else "error"), text))
        self.io_error = True

    def info(self, text: str) -> None:
        self.messages.append(("info", text))

    def vanish(self, path: bytes, what: str = "file") -> None:
        """upstream flist.c: "file has vanished" (FWARNING, IOERR_VANISHED)."""
        self.messages.append(("vanished", f'{what} has vanished: "{_full(path)}"'))
        self.vanished = True

    def warn(self, text: str) -> None:
        """upstream FWARNING: said on stderr, the exit code unchanged."""
        self.messages.append(("warn", text))


def _errtext(e: OSError) -> str:
    return f"{e.strerror} ({e.errno})"


class _Names:
    """uid/gid -> name, cached (upstream: uidlist.c)."""

    def __init__(self):
        self.users: dict[int, bytes | None] = {}
        self.groups: dict[int, bytes | None] = {}

    @staticmethod
    def _cached(cache: dict, key: int, lookup) -> bytes | None:
        if key not in cache:
            try:
                cache[key] = lookup(key).encode()
            except KeyError:
                cache[key] = None
        return cache[key]

    def user(self, uid: int) -> bytes | None:
        return self._cached(self.users, uid, lambda i: pwd.getpwuid(i).pw_name)

    def group(self, gid: int) -> bytes | None:
        return self._cached(self.groups, gid, lambda i: grp.getgrgid(i).gr_name)


def entry_from(name: bytes, r: ScanRec, names: _Names | None = None) -> FileEntry:
    e = FileEntry(name, r.mode, r.size, r.mtime, r.mtime_nsec, r.atime, r.btime or 0, r.uid,
                  r.gid, rdev_major=r.rdev[0], rdev_minor=r.rdev[1], link_target=r.link_target,
                  dev=os.makedev(*r.dev), ino=r.ino, nlink=r.nlink)
    if stat.S_ISCHR(r.mode) or stat.S_ISBLK(r.mode) or stat.S_ISFIFO(r.mode) \
            or stat.S_ISSOCK(r.mode):
        e.size = 0
    if names is not None:
        e.user, e.group = names.user(r.uid), names.group(r.gid)
    return e


def unsafe_symlink(target: bytes, name: bytes) -> bool:
    """upstream util1.c unsafe_symlink (3.5.0): would a symlink to `target`, standing
    at `name` in the transfer, lead out of it? Lexical only, nothing is resolved. Empty
    and absolute targets are unsafe; so is a '/../' after the leading '../'s and a
    target ending in '/..'; otherwise the target's '..'s may not climb above the top,
    counted from the link's own depth (a '..' in the name starts that count over, '.'
    counts for nothing, a run of slashes is one)."""
    if not target or target.startswith(b"/"):
        return True
    rest = target
    while rest.startswith(b"../"):
        rest = rest[3:].lstrip(b"/")
    if b"/../" in rest or (len(target) > 3 and target.endswith(b"/..")):
        return True
    depth = 0
    parts, last = _components(name)
    for part in parts:
        if part == b"..":
            depth = 0
        elif part != b".":
            depth += 1
    if last == b"..":
        depth = 0
    parts, last = _components(target)
    for part in parts:
        if part == b"..":
            depth -= 1
            if depth < 0:
                return True
        elif part != b".":
            depth += 1
    if last == b"..":
        depth -= 1
    return depth < 0


def _components(path: bytes) -> tuple[list[bytes], bytes]:
    """The parts of path that a slash follows (a run of slashes ends one part), and
    what follows the last slash: the walk of upstream's unsafe_symlink."""
    parts, start = [], 0
    while (slash := path.find(b"/", start)) >= 0:
        parts.append(path[start:slash])
        while path[slash + 1:slash + 2] == b"/":
            slash += 1
        start = slash + 1
    return parts, path[start:]


class _Builder:
    def __init__(self, sel: Selection, rules: FilterRules | None, errors: ScanErrors,
                 listing_order: bool, fmt: ListFormat | None):
        self.sel, self.rules, self.errors = sel, rules, errors
        self.listing_order = listing_order
        # whole directories listed in C when nothing needs Python per entry
        self.fmt = fmt if (fmt and listing_order and not (rules and rules.rules)
                           and not (sel.copy_links or sel.copy_dirlinks
                                    or sel.copy_unsafe_links or sel.one_file_system
                                    or sel.owner_names or sel.chmod)) else None
        self.names = _Names() if sel.owner_names else None
        self.trace = errors.info if sel.filter_trace else None  # (-vv's filter lines)
        self.fs_dev = None
        self.roots: dict | None = None  # incremental recursion: directories to list
        # leave_out(listing, prefix) -> a function giving a byte per entry, 1: not listed
        self.leave_out = None  # (IncrementalBuild)
        self.leave_out_ahead = False  # leave_out may be started as the directory is read
        self.ahead: ScanAhead | None = None  # directories read ahead (IncrementalBuild)
        self.implied_dot = False        # -R: "." went out for a "./" path

    def _entry(self, name: bytes, r: ScanRec) -> FileEntry:
        e = entry_from(name, r, self.names)
        tweak_entry(e, self.sel.chmod)
        return e

    def _resolve_link(self, path: bytes, name: bytes, r: ScanRec) -> ScanRec | None:
        """Follow a symlink when -L, --copy-unsafe-links or -k says so."""
        s = self.sel
        unsafe = not s.copy_links and s.copy_unsafe_links and unsafe_symlink(
            r.link_target or b"", name)
        if unsafe and s.report_symsafe:  # (upstream: flist.c readlink_stat)
            self.errors.info(f'copying unsafe symlink "{os.fsdecode(name)}" -> '
                             f'"{os.fsdecode(r.link_target or b"")}"')
        follow = s.copy_links or unsafe
        if not follow and not s.copy_dirlinks:
            return r
        try:
            t = scan_path(path, follow=True)
        except OSError:
            if follow:
                self.errors.add(f'symlink has no referent: "{_full(path)}"', plain=True)
                return None
            return r
        if follow or stat.S_ISDIR(t.mode):
            return t._replace(name=r.name)
        return r

    def top(self, arg: bytes) -> Iterator[FileEntry]:
        s = self.sel
        base, fn, dotdir = _split_arg(arg, s.relative)
        self.base = base or b"."
        path = os.path.join(base, fn) if base else fn
        if s.relative and not self.implied_dot:
            yield from self._implied_dot(arg, base)
        try:
            r = scan_path(path or b".", follow=s.copy_links)
            if stat.S_ISLNK(r.mode) and (dotdir or s.copy_dirlinks):
                t = scan_path(path, follow=True)
                if stat.S_ISDIR(t.mode):
                    r = t
        except OSError as e:  # (a missing source is a transfer error that omits nothing
            # the receiver has: upstream sets no IOERR_GENERAL for it, so deletions go on)
            self.errors.add(f'link_stat "{_full(path)}" failed: {_errtext(e)}',
                            kind="missing" if e.errno == errno.ENOENT else None)
            return
        walker = self.rules.walker(files_under(base or b".", s.insecure_links, self.errors.warn),
                                   base or b".") if self.rules else None
        if walker:
            walker.enter_dir(b"")
        name = b"." if dotdir and not s.relative else fn
        is_dir = stat.S_ISDIR(r.mode)
        if not dotdir and walker and walker.excluded(name, is_dir, self.trace):
            return
        if is_dir and not s.xfer_dirs:
            self.errors.info(f"skipping directory {os.fsdecode(name)}")
            return
        if s.relative and s.implied_dirs and b"/" in name:
            yield from self._implied(base, name)
        self.fs_dev = r.dev
        r = r if not stat.S_ISLNK(r.mode) else (self._resolve_link(path, name, r) or r)
        e = self._entry(name, r)
        # the list carries its contents with -r, or with -d a dot dir's (upstream:
        # send_file_list, FLAG_TOP_DIR | FLAG_CONTENT_DIR)
        e.top_dir = e.content_dir = is_dir and (s.recurse or dotdir)
        yield e
        if is_dir and (s.recurse or dotdir):
            prefix = b"" if name == b"." else name
            if self.roots is None:
                yield from self._directory(path or b".", prefix, walker, s.recurse)
            elif not dotdir:  # its contents come in a list of their own
                self.roots[name] = (path or b".", walker, True, self.fs_dev)
            elif (items := self._scan(path or b".", prefix, walker, True, True)):
                for c, full, descend, link in items:  # the first list holds these
                    yield c
                    if c.is_dir():
                        self.roots[c.name] = (full, walker, link, self.fs_dev, descend)

    def _implied_entry(self, name: bytes, r: ScanRec) -> FileEntry:
        """A directory sent only as a parent of a -R path (upstream FLAG_IMPLIED_DIR:
        its contents are not in the list)."""
        e = self._entry(name, r)
        e.content_dir, e.implied_dir = False, True
        return e

    def _implied_dot(self, arg: bytes, base: bytes) -> Iterator[FileEntry]:
        """-R: a path starting with "./" (after any "/./") sends "." as an implied
        directory, once, so the destination gets the source directory's attributes
        (upstream: flist.c send_file_list, implied_dot_dir)."""
        rest = arg.split(b"/./", 1)[1].lstrip(b"/") if b"/./" in arg else arg
        if not (rest.startswith(b"./") and len(rest) > 2):
            return
        try:
            r = scan_path(base or b".", follow=True)
        except OSError:
            return
        self.implied_dot = True
        yield self._implied_entry(b".", r)

    def _implied(self, base: bytes, name: bytes) -> Iterator[FileEntry]:
        parts = name.split(b"/")[:-1]
        for i in range(1, len(parts) + 1):
            sub = b"/".join(parts[:i])
            try:
                r = scan_path(os.path.join(base, sub) if base else sub, follow=True)
            except OSError:
                continue
            yield self._implied_entry(sub, r)

    def _fast_directory(self, path: bytes, prefix: bytes, recurse: bool):
        """A directory listed by libcore; None when an entry needs the Python path."""
        try:
            scan = ListingScan(path)
        except OSError:
            return None
        if scan.errors:
            return None
        return self._fast_lines(scan, path, prefix, recurse)

    def _fast_lines(self, scan: ListingScan, path: bytes, prefix: bytes, recurse: bool):
        f = self.fmt
        order, files = scan.order()
        yield Lines(scan.format(order[:files], prefix, f.human, f.links, f.allow_8bit))
        for i in order[files:]:
            yield Lines(scan.format([i], prefix, f.human, f.links, f.allow_8bit))
            if recurse:
                name = scan.name(i)
                yield from self._directory(os.path.join(path, name),
                                           prefix + b"/" + name if prefix else name, None,
                                           recurse)

    def _directory(self, path: bytes, prefix: bytes, walker, recurse: bool,
                   follow: bool = True) -> Iterator[FileEntry]:
        """follow: open path through a symlink (a source operand, or a link -L/-k
        resolved); a directory found as a directory is opened with O_NOFOLLOW, so one
        swapped for a symlink since is refused, not followed out of the tree."""
        if self.fmt is not None and (fast := self._fast_directory(path, prefix, recurse)):
            yield from fast
            return
        items = self._scan(path, prefix, walker, recurse, follow)
        if items is None:
            return
        if self.listing_order:
            # files first, then directories as if named "name/": the sorted list's order,
            # so a depth-first walk yields the final order without holding the tree
            items.sort(key=lambda t: (t[0].is_dir(), t[0].name + b"/" if t[0].is_dir()
                                      else t[0].name))
            for e, full, descend, link in items:
                yield e
                if descend:
                    yield from self._directory(full, e.name, walker, recurse, link)
        else:
            yield from (item[0] for item in items)
            for e, full, descend, link in items:
                if descend:
                    yield from self._directory(full, e.name, walker, recurse, link)
        if walker and prefix:
            walker.leave_dir()

    def _scan(self, path: bytes, prefix: bytes, walker, recurse: bool, follow: bool):
        """One directory's entries, selected: (entry, full path, descend into it, was a
        symlink), in the filesystem's order; None (the walker left again) if it cannot
        be read. The walker enters prefix; the caller leaves it."""
        if walker and prefix:
            walker.enter_dir(prefix)
        try:
            listing, left_out = (self.ahead.taken(path, follow) if self.ahead
                                 else (scan_dir(path, open_follow=follow), None))
        except OSError as e:
            if e.errno == errno.ENOENT:  # (listed in its parent a moment ago)
                self.errors.vanish(path, "directory")
            else:
                self.errors.add(f'opendir "{_full(path)}" failed: {_errtext(e)}')
            if walker and prefix:
                walker.leave_dir()
            return None
        items = []
        inside = path + b"/" if path and not path.endswith(b"/") else path  # (os.path.join)
        if self.leave_out and left_out is None:
            left_out = self.leave_out(listing, prefix)
        for r in listing.recs_except(left_out() if left_out else b""):
            name = prefix + b"/" + r.name if prefix else r.name
            full = inside + r.name
            if r.err == errno.ENOENT:  # (gone since the directory was read)
                self.errors.vanish(full)
                continue
            if r.err:
                self.errors.add(f'readlink_stat("{_full(full)}") failed: '
                                f"{os.strerror(r.err)} ({r.err})")
                continue
            was_link = stat.S_ISLNK(r.mode)
            if was_link:
                r = self._resolve_link(full, name, r)
                if r is None:
                    continue
            is_dir = stat.S_ISDIR(r.mode)
            if walker and walker.excluded(name, is_dir, self.trace):
                continue
            e = self._entry(name, r)
            e.content_dir = recurse  # (a directory's; upstream FLAG_CONTENT_DIR)
            if is_dir and self.sel.one_file_system and r.dev != self.fs_dev:
                if self.sel.one_file_system == 1:  # a mount point: its contents stay out
                    e.content_dir = False
                    items.append((e, full, False, False))
                elif self.sel.report_mounts:  # (upstream: flist.c make_file)
                    self.errors.info(f"[sender] skipping mount-point dir {os.fsdecode(name)}")
                continue
            items.append((e, full, is_dir and recurse, was_link))
        return items


def _full(path: bytes) -> str:
    """upstream full_fname: the path as the user would find it (absolute)."""
    return os.fsdecode(os.path.abspath(path))


def _split_arg(arg: bytes, relative: bool) -> tuple[bytes, bytes, bool]:
    """(base dir, name to send, dot dir?) for a source argument."""
    if relative:
        base, sep, fn = arg.partition(b"/./")
        if not sep:  # an absolute path is opened as such, sent without its leading '/'
            base, fn = (b"/" if arg.startswith(b"/") else b""), arg
        parts = [p for p in fn.split(b"/") if p not in (b"", b".")]  # upstream clean_fname
        if b".." in parts:
            raise BuildAbort(f'found ".." dir in relative path: {os.fsdecode(fn)}', 1)
        if not parts:
            return base, b".", True
        # a trailing '/' asks for the directory's contents too (upstream:
        # SLASH_ENDING_NAME, listed like a dot dir)
        return base, b"/".join(parts), fn.endswith(b"/")
    dotdir = (not arg or arg.endswith(b"/") or arg == b"." or arg.endswith(b"/.")
              or arg == b".." or arg.endswith(b"/.."))
    if dotdir:
        return arg.rstrip(b"/") or (b"/" if arg.startswith(b"/") else b"."), b"", True
    base, _, fn = arg.rpartition(b"/")
    return (base or (b"/" if arg.startswith(b"/") else b"")), fn, False


def build(sources: list[bytes], sel: Selection, rules: FilterRules | None = None,
          errors: ScanErrors | None = None, listing_order: bool = False,
          fmt: ListFormat | None = None) -> Iterator[FileEntry | Lines]:
    """The entries of every source in upstream's send order (see the module docstring),
    or with listing_order in the sorted list's order (exact for one source without -R;
    several sources still need sorting and duplicate removal). With fmt (and
    listing_order) whole directories may come as pre-formatted Lines."""
    errors = errors if errors is not None else ScanErrors()
    b = _Builder(sel, rules, errors, listing_order, fmt)
    for arg in sources:
        yield from b.top(arg)


def build_items(sources: list[bytes], sel: Selection, rules: FilterRules | None = None,
                errors: ScanErrors | None = None) -> Iterator[tuple[FileEntry, bytes]]:
    """build() in send order, each entry with the path to open it by (a sender's view)."""
    errors = errors if errors is not None else ScanErrors()
    b = _Builder(sel, rules, errors, False, None)
    for arg in sources:
        for e in b.top(arg):
            yield e, (b.base if e.name == b"." else os.path.join(b.base, e.name))


class IncrementalBuild:
    """The sender's lists for incremental recursion (upstream: flist.c send_file_list
    with inc_recurse, send_extra_file_list, send1extra, add_dirs_to_tree), for one
    source: first() is the top list (the source, or for a dot dir "." and its own
    entries); then lists(first_sorted) yields, for each directory of every list in the
    order upstream sends them (depth first, each list's directories in its sorted
    order), (its name, [(entry, path)...]) with its entries in scan order (sorted with
    sorted_lists); a directory not descended into (-x) gets an empty list. Directories
    are read as they are needed, so only the walk's path is held."""

    def __init__(self, source: bytes, sel: Selection, rules: FilterRules | None,
                 errors: ScanErrors, sort_key, sorted_lists: bool = False):
        self.b = _Builder(sel, rules, errors, False, None)
        self.b.roots = {}
        self.b.ahead = ScanAhead()
        self.source, self.key = source, sort_key
        self.sorted_lists = sorted_lists  # later lists in sorted order, not scan order

    def leave_out(self, choose, ahead: bool = False) -> None:
        """From now on, directories read leave out the entries choose(listing, prefix)
        marks: it returns a function that gives a byte per entry (1: left out; prefix:
        the directory's name in the list). With ahead, choose is called as soon as a
        directory is read ahead, while the walk is still in the one before (and its
        subdirectories). The in-process local copy leaves out what already stands
        identical."""
        self.b.leave_out, self.b.leave_out_ahead = choose, ahead

    def _path(self, e: FileEntry) -> bytes:
        b = self.b
        return b.base if e.name == b"." else os.path.join(b.base, e.name)

    def first(self) -> list[tuple[FileEntry, bytes]]:
        return [(e, self._path(e)) for e in self.b.top(self.source)]

    def lists(self, first_sorted: list[FileEntry]):
        yield from self._walk_each([(e.name, *self.b.roots.pop(e.name, (None,) * 4))
                                    for e in first_sorted
                                    if e.is_dir() and e.name != b"."])

    def _walk_each(self, dirs: list[tuple]):
        """_walk for each of (name, path, walker, follow, fs_dev[, descend]), the next
        one that will be read asked for ahead while the walk is inside this one."""
        read = [k for k, d in enumerate(dirs)  # (those _walk reads: a path, descended)
                if d[1] is not None and (len(d) < 6 or d[5])]
        after = dict(zip(read, read[1:], strict=False))
        for k, d in enumerate(dirs):
            if (n := after.get(k)) is not None:
                self.b.ahead.start(dirs[n][1], dirs[n][3], self._chosen_ahead(dirs[n][0]))
            yield from self._walk(*d)

    def _chosen_ahead(self, name: bytes):
        """What the read-ahead thread calls on directory `name` once it is read."""
        choose = self.b.leave_out
        if choose is None or not self.b.leave_out_ahead:
            return None
        return lambda listing: choose(listing, name)

    def _walk(self, name: bytes, path, walker, follow, fs_dev, descend=True):
        b = self.b
        if path is None or not descend:
            yield name, []
            return
        b.fs_dev = fs_dev
        items = b._scan(path, name, walker, b.sel.recurse, follow)
        if items is None:
            yield name, []
            return
        if self.sorted_lists:  # (each key computed once)
            items.sort(key=lambda t: self.key(t[0]))
            yield name, [(e, full) for e, full, _, _ in items]
        else:
            yield name, [(e, full) for e, full, _, _ in items]
            items.sort(key=lambda t: self.key(t[0]))
        yield from self._walk_each([(e.name, full, walker, link, fs_dev, sub)
                                    for e, full, sub, link in items if e.is_dir()])
        if walker:
            walker.leave_dir()
