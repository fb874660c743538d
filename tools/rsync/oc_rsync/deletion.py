"""--delete: remove what the destination has and the file list does not (upstream:
generator.c delete_in_dir, delete.c delete_item).

Only directories whose contents the list carries are cleaned: every directory with -r,
else the transfer root's "." (-d with a trailing-slash source). A name the receiver's
filter rules exclude is kept unless --delete-excluded. An extraneous directory goes with
everything below it. The counts become the deletion stats a protocol-31 generator sends
(files, dirs, symlinks, devices, specials)."""
import os
import shutil
import stat
from collections.abc import Iterator

from oc_flist.filters import FilterRules, files_under
from oc_wire.flist_entry import FileEntry

__all__ = ["DeleteCounts", "extraneous", "delete"]


class DeleteCounts:
    def __init__(self):
        self.files = self.dirs = self.symlinks = self.devices = self.specials = 0

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


def extraneous(root: bytes, entries: list[FileEntry], recursive: bool,
               rules: FilterRules | None, delete_excluded: bool
               ) -> Iterator[tuple[bytes, bytes, int]]:
    """(path, name relative to root, mode) of each destination entry to delete, parents
    before what they hold; entries must be in list (depth-first) order."""
    names: dict[bytes, set[bytes]] = {}
    for e in entries:
        if e.name != b".":
            parent, _, base = e.name.rpartition(b"/")
            names.setdefault(parent, set()).add(base)
    walker = rules.walker(files_under(root)) if rules and rules.rules and not delete_excluded \
        else None
    stack: list[bytes] = []
    for e in entries:
        if not e.is_dir() or (not recursive and e.name != b"."):
            continue
        rel = b"" if e.name == b"." else e.name
        if walker:
            while stack and not (rel + b"/").startswith(stack[-1] + b"/"):
                stack.pop()
                walker.leave_dir()
            walker.enter_dir(rel)
            stack.append(rel)
        path = os.path.join(root, rel) if rel else root
        try:
            present = sorted(os.listdir(path))
        except OSError:
            continue
        keep = names.get(rel, set())
        for base in present:
            if base in keep:
                continue
            child = rel + b"/" + base if rel else base
            full = os.path.join(path, base)
            st = os.lstat(full)
            if walker and walker.excluded(child, stat.S_ISDIR(st.st_mode)):
                continue
            yield full, child, st.st_mode


def delete(path: bytes, mode: int, counts: DeleteCounts) -> None:
    """Remove one extraneous entry (a directory with all it holds), counting each item."""
    if stat.S_ISDIR(mode):
        for dirpath, dirs, files in os.walk(path, topdown=False):
            for name in files + dirs:
                counts.add(os.lstat(os.path.join(dirpath, name)).st_mode)
        shutil.rmtree(path)
    else:
        os.unlink(path)
    counts.add(mode)
