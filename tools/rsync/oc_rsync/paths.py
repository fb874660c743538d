"""Where a received entry goes (upstream: main.c get_local_name, receiver.c).

DEST is a directory the entries go into, unless the list holds a single non-directory
and DEST is neither an existing directory nor written with a trailing '/': then DEST is
the file's own new name. The parent of every target must resolve inside DEST, so a
symlink in the destination cannot redirect a write, unless -K (--keep-dirlinks) says the
receiver's symlinks to directories are to be used as those directories."""
import os

from oc_wire.errors import ProtocolError
from oc_wire.flist_entry import FileEntry

__all__ = ["Destination", "partial_path", "drop_partial_dir"]


class Destination:
    def __init__(self, dest: bytes, entries: list[FileEntry], create: bool = True,
                 mkpath: bool = False, keep_dirlinks: bool = False):
        self.keep_dirlinks = keep_dirlinks  # -K: a symlinked directory here is trusted
        self.solo = (len(entries) == 1 and not entries[0].is_dir()
                     and not dest.endswith(b"/") and not os.path.isdir(dest))
        self.root = dest
        self._prefix = dest if dest.endswith(b"/") else dest + b"/"  # (os.path.join's)
        self.created = not self.solo and not os.path.isdir(dest)  # upstream says so once
        if self.created and create:  # only the last component unless --mkpath
            target = dest.rstrip(b"/") or dest
            if mkpath:
                os.makedirs(target, exist_ok=True)
            else:
                try:
                    os.mkdir(target)
                except OSError as e:
                    raise OSError(e.errno, f'mkdir "{os.fsdecode(os.path.abspath(target))}" '
                                  f"failed: {e.strerror}") from None
        elif self.solo and mkpath:
            os.makedirs(os.path.dirname(dest) or b".", exist_ok=True)
        self.real = os.path.realpath(os.path.dirname(dest) if self.solo else dest)
        self._inside: set[bytes] = set()  # parent directories already checked

    def replaced(self, path: bytes) -> None:
        """Something else (a symlink) now stands at path: check below it again."""
        self._inside.discard(path)

    def path(self, e: FileEntry) -> bytes:
        if self.solo:
            return self.root
        if e.name == b".":
            return self.root
        path = self._prefix + e.name
        if self.keep_dirlinks:  # names are already free of ".." and leading '/'
            return path
        head = path[:path.rfind(b"/")] or b"/"
        if head not in self._inside:  # each parent resolved once (we only make dirs)
            parent = os.path.realpath(head)
            if parent != self.real and not parent.startswith(self.real + b"/"):
                raise ProtocolError("a path inside the destination", None, repr(e.name))
            self._inside.add(head)
        return path


def partial_path(path: bytes, partial_dir: bytes) -> bytes:
    """Where --partial-dir keeps `path`'s partial file (upstream: util1.c
    partial_dir_fname): a relative DIR lives beside the file, an absolute one holds every
    partial file by its base name."""
    head, base = os.path.split(path)
    return os.path.join(partial_dir if partial_dir.startswith(b"/") else
                        os.path.join(head, partial_dir), base)


def drop_partial_dir(partial: bytes, partial_dir: bytes) -> None:
    """Remove a relative --partial-dir once it is empty (upstream: handle_partial_dir
    with PDIR_DELETE; an absolute one stays)."""
    if not partial_dir.startswith(b"/"):
        try:
            os.rmdir(os.path.dirname(partial))
        except OSError:
            pass
