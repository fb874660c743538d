"""Where a received entry goes (upstream: main.c get_local_name, receiver.c).

DEST is a directory the entries go into, unless the list holds a single non-directory
and DEST is neither an existing directory nor written with a trailing '/': then DEST is
the file's own new name. The parent of every target must resolve inside DEST, so a
symlink in the destination cannot redirect a write, unless -K (--keep-dirlinks) says the
receiver's symlinks to directories are to be used as those directories."""
import errno
import os
import stat
import threading

import oc_core
from oc_core.operator_paths import UNTRUSTED_SYMLINK_TEXT, UntrustedSymlink, open_operator_path
from oc_wire.errors import OcError, ProtocolError
from oc_wire.flist_entry import FileEntry

from .output import PROG

__all__ = ["Destination", "DestinationError", "HeldDirs", "full_name", "partial_path",
           "make_partial_dir", "drop_partial_dir", "lstat_partial", "open_partial",
           "waiting_partial"]


class DestinationError(OcError):
    """The destination cannot be used as the list needs it (upstream: main.c
    get_local_name, before the receiver starts); the text is the message as upstream's
    receiver words it, `exit_code` its exit code."""

    plain = True

    def __init__(self, line: str, exit_code: int):
        super().__init__(line)
        self.exit_code = exit_code


def full_name(path: bytes) -> str:
    """A path as upstream's messages name it (util1.c full_fname): joined to the working
    directory, not normalized."""
    return os.fsdecode(path if path.startswith(b"/") else os.getcwdb() + b"/" + path)


def _syserr(text: str, path: bytes, exc: OSError, exit_code: int) -> DestinationError:
    """upstream rsyserr: "PROG: [Receiver] TEXT: STRERROR (ERRNO)", TEXT naming the path
    (in place of {}) as util1.c full_fname does: quoted, joined to the working directory,
    not normalized."""
    repr_full = f'"{full_name(path)}"'
    return DestinationError(f"{PROG}: [Receiver] {text.format(repr_full)}: "
                            f"{exc.strerror} ({exc.errno})", exit_code)


def _trusted_way(path: bytes, step: str, insecure: bool) -> None:
    """DEST's directory reached through root's or our own symlinks only: one another
    user planted (DEST/sub -> elsewhere in a shared tree) is refused before anything is
    written through it, as upstream's change_dir refuses it (exit 3)."""
    if insecure:
        return
    try:
        os.close(open_operator_path(path, os.O_RDONLY | os.O_DIRECTORY))
    except UntrustedSymlink:
        loop = OSError(errno.ELOOP, os.strerror(errno.ELOOP))
        raise DestinationError(f"{UNTRUSTED_SYMLINK_TEXT}\n"
                               f"{_syserr(step + ' {} failed', path, loop, 3)}", 3) from None
    except OSError:
        pass  # (anything else is found, and said, where the directory is used)


class HeldDirs:
    """Descriptors of the destination's directories for the receiver's writes (upstream:
    its held directory descriptors and confined resolver, syscall.c do_rename_at): each
    is reached from the top directory's own descriptor without leaving it (symlinks
    inside the tree are followed, as upstream's are; one that leads out is refused,
    EXDEV; with -K any symlink to a directory is followed, as the generator uses them)
    and kept for the next file there. A parent swapped for a symlink out of the tree
    while files arrive (by someone who can write in the destination) then cannot lead a
    temp file or a rename outside: the swap is refused, or the writes stay in the
    directory that was there."""

    LIMIT = 64  # descriptors kept (files arrive directory by directory)

    def __init__(self, top: bytes, follow: bool = False):
        self.top, self.follow = top, follow
        self._fds: dict[bytes, int] = {}  # below top ("" is top) -> descriptor, oldest first
        self._lock = threading.Lock()  # (the receiver opens, the generator forgets)

    def fd(self, rel: bytes) -> int:
        """The descriptor of directory rel (below top, no trailing '/')."""
        with self._lock:
            return self._fd(rel)

    def _fd(self, rel: bytes) -> int:
        fd = self._fds.pop(rel, None)
        if fd is None:
            fd = self._open(rel)
        self._fds[rel] = fd  # (now the newest)
        return fd

    def _open(self, rel: bytes) -> int:
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
        if not rel:
            return os.open(self.top, flags)
        if self.follow:
            parent, _, name = rel.rpartition(b"/")
            fd = os.open(name, flags, dir_fd=self._fd(parent))
        else:
            fd = oc_core.open_beneath(self._fd(b""), rel, flags)
        while len(self._fds) >= self.LIMIT:  # the oldest go (the top just used stays)
            os.close(self._fds.pop(next(iter(self._fds))))
        return fd

    def forget(self, rel: bytes) -> None:
        """rel (and what is below it) is no longer the directory that was opened."""
        with self._lock:
            for key in [k for k in self._fds if k == rel or k.startswith(rel + b"/")]:
                os.close(self._fds.pop(key))

    def close(self) -> None:
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()


class Destination:
    def __init__(self, dest: bytes, entries: list[FileEntry], create: bool = True,
                 mkpath: bool = False, keep_dirlinks: bool = False, total: int | None = None,
                 insecure: bool = False):
        """DEST as upstream's receiver takes it (main.c get_local_name): an existing
        directory holds the entries; otherwise more than one entry, or a DEST written
        with a trailing '/', makes DEST a new directory; otherwise the one entry is
        written as DEST itself (`solo`). entries: the first list; total: the entries
        received so far (upstream file_total: with incremental recursion a first list of
        one entry is followed by the next list before DEST is chosen). create: make what
        is needed (not with -n). The way to DEST goes through root's or our own
        symlinks only (upstream: change_dir), unless insecure (--insecure-links)."""
        self.keep_dirlinks = keep_dirlinks  # -K: a symlinked directory here is trusted
        total = len(entries) if total is None else total
        trailing = dest.endswith(b"/")
        st = self._stat(dest)
        if mkpath and create and isinstance(st, OSError) and (b"/" in dest or total > 1):
            keep_last = total > 1 and not trailing  # (upstream: make_path, MKP_DROP_NAME)
            target = dest.rstrip(b"/") if keep_last else os.path.dirname(dest.rstrip(b"/"))
            if target:
                os.makedirs(target, exist_ok=True)
                st = self._stat(dest)
        is_dir = not isinstance(st, OSError) and stat.S_ISDIR(st.st_mode)
        if not isinstance(st, OSError) and not is_dir:
            if total > 1:
                raise DestinationError("ERROR: destination must be a directory when copying"
                                       " more than 1 file", 3)
            if total == 1 and entries[0].is_dir():
                raise DestinationError("ERROR: cannot overwrite non-directory with a"
                                       " directory", 3)
        elif isinstance(st, OSError) and st.errno != errno.ENOENT:
            raise _syserr("ERROR: cannot stat destination {}", dest, st, 3)
        if is_dir:
            _trusted_way(dest, "change_dir#1", insecure)
        self.solo = not is_dir and total <= 1 and not trailing
        self.created = not is_dir and not self.solo  # upstream says so once
        if self.created:
            if not isinstance(st, OSError):
                raise DestinationError("ERROR: destination path is not a directory", 1)
            if create:
                try:
                    os.mkdir(dest.rstrip(b"/") or dest)
                except OSError as e:
                    raise _syserr("mkdir {} failed", dest.rstrip(b"/") or dest, e, 11) from None
                _trusted_way(dest, "change_dir#2", insecure)
        elif self.solo and (parent := os.path.dirname(dest)) and not (mkpath and not create) \
                and not os.path.isdir(parent):  # (a dry run of --mkpath made none)
            try:
                os.stat(parent)
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
            except OSError as e:
                raise _syserr("change_dir#3 {} failed", parent, e, 3) from None
        elif self.solo and (parent := os.path.dirname(dest)) and create:
            _trusted_way(parent, "change_dir#3", insecure)
        self.root = dest
        self._prefix = dest if trailing else dest + b"/"  # (os.path.join's)
        self.real = os.path.realpath(os.path.dirname(dest) if self.solo else dest)
        self._inside: set[bytes] = set()  # parent directories already checked
        self.held = HeldDirs(self.workdir(), keep_dirlinks)

    def workdir(self) -> bytes:
        """The directory upstream's receiver works in (main.c get_local_name changes
        into it): DEST, or a solo file's parent; a relative --temp-dir starts there."""
        if self.solo:
            return os.path.dirname(self.root) or b"."
        return self.root

    def temp_dir(self, given: str) -> bytes:
        """--temp-dir as this process reaches it, after upstream's check (main.c
        do_recv) that it is a directory."""
        path = os.path.join(self.workdir(), os.fsencode(given))
        try:
            st = os.stat(path)
        except OSError as e:
            if e.errno == errno.ENOENT:
                raise DestinationError(f"The temp-dir does not exist: {given}", 1) from None
            raise DestinationError(f"Failed to stat temp-dir {given}: {e.strerror}",
                                   11) from None
        if not stat.S_ISDIR(st.st_mode):
            raise DestinationError(f"The temp-dir is not a directory: {given}", 1)
        return path

    @staticmethod
    def _stat(path: bytes):
        try:
            return os.stat(path)
        except OSError as e:
            return e

    def replaced(self, path: bytes) -> None:
        """Something else (a symlink) now stands at path: check below it again."""
        self._inside.discard(path)
        if not self.solo:
            self.held.forget(path[len(self._prefix):].rstrip(b"/"))

    def dir_fd(self, path: bytes) -> int:
        """A held descriptor (HeldDirs) of the directory a path() names its entry in,
        which is path's last name."""
        if self.solo:
            return self.held.fd(b"")
        return self.held.fd(path[len(self._prefix):].rpartition(b"/")[0])

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


def make_partial_dir(partial: bytes, partial_dir: bytes, insecure: bool,
                     warn=None) -> bool:
    """The directory a partial file goes into, made (mode 0700) unless it is there; a
    non-directory standing at its name is removed first. It is reached as _held_parent
    says (warn(text) is told when another user's symlink is refused). False when it
    cannot be had (upstream: util1.c handle_partial_dir with PDIR_CREATE, through its
    operator path resolution)."""
    try:
        held, name = _held_parent(os.path.dirname(partial), partial_dir, insecure)
    except UntrustedSymlink:
        if warn is not None:  # (upstream refuses its lstat, then its mkdir: twice)
            warn(UNTRUSTED_SYMLINK_TEXT)
            warn(UNTRUSTED_SYMLINK_TEXT)
        return False
    except OSError:
        return False
    try:
        try:
            st = os.lstat(name, dir_fd=held)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            os.unlink(name, dir_fd=held)
            st = None
        if st is None:
            os.mkdir(name, 0o700, dir_fd=held)
        return True
    except OSError:
        return False
    finally:
        if held is not None:
            os.close(held)


def lstat_partial(partial: bytes, partial_dir: bytes, insecure: bool) -> os.stat_result:
    """os.lstat of a file in the partial dir, reached as _held_parent says (OSError,
    UntrustedSymlink among them, when it cannot be looked at)."""
    held, name = _held_parent(partial, partial_dir, insecure)
    try:
        return os.lstat(name, dir_fd=held)
    finally:
        if held is not None:
            os.close(held)


def waiting_partial(path: bytes, partial_dir: bytes, insecure: bool
                    ) -> tuple[bytes, os.stat_result] | None:
    """The regular file waiting in the partial dir for path, and its lstat; None when
    there is none, or it cannot be looked at as lstat_partial looks."""
    partial = partial_path(path, partial_dir)
    try:
        st = lstat_partial(partial, partial_dir, insecure)
    except OSError:
        return None
    return (partial, st) if stat.S_ISREG(st.st_mode) else None


def open_partial(partial: bytes, partial_dir: bytes, insecure: bool) -> int:
    """os.open(partial, O_RDONLY | O_NOFOLLOW) for a basis in the partial dir, reached as
    _held_parent says."""
    if insecure or not partial_dir.startswith(b"/"):
        return os.open(partial, os.O_RDONLY | os.O_NOFOLLOW)
    return open_operator_path(partial, os.O_RDONLY | os.O_NOFOLLOW)


def _held_parent(path: bytes, partial_dir: bytes, insecure: bool) -> tuple[int | None, bytes]:
    """(descriptor, name) to reach path in or under the partial dir: an absolute
    --partial-dir is the operator's own path, and unless insecure the directories
    above path are opened through root's or our own symlinks only
    (oc_core.operator_paths; OSError, UntrustedSymlink among them, when they cannot
    be); a relative one lies in the destination: (None, path), for plain calls."""
    if insecure or not partial_dir.startswith(b"/"):
        return None, path
    where, name = os.path.split(path)
    return open_operator_path(where or b"/", os.O_RDONLY | os.O_DIRECTORY), name


def drop_partial_dir(partial: bytes, partial_dir: bytes) -> None:
    """Remove a relative --partial-dir once it is empty (upstream: handle_partial_dir
    with PDIR_DELETE; an absolute one stays)."""
    if not partial_dir.startswith(b"/"):
        try:
            os.rmdir(os.path.dirname(partial))
        except OSError:
            pass
