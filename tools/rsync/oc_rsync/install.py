"""Placing a new file under its name (upstream: receiver.c get_tmpname, finish_transfer;
syscall.c do_mkstemp; util1.c robust_rename): the data goes into ".NAME.XXXXXX" beside the
final name, created exclusively and never through a symlink; the file gets its attributes
there and is renamed over the old one, so no reader ever sees it half written."""
import errno
import os

import oc_core
from oc_core import AT_FDCWD
from oc_core.operator_paths import open_operator_path
from oc_wire.flist_entry import FileEntry

from .attrs import Attrs

__all__ = ["install", "install_written", "remove_temp", "rename_into_place", "temp_file",
           "temp_file_in", "temp_name"]


def install(attrs: Attrs, e: FileEntry, path: bytes, tmp_name: bytes, same: bool = False
            ) -> None:
    """Give the new file its attributes and its name; same: it was written in place."""
    try:
        old_mode = os.lstat(path).st_mode
    except FileNotFoundError:
        old_mode = None
    attrs.apply(tmp_name, e, old_mode=old_mode)
    if not same:
        rename_into_place(tmp_name, path)


def _at(dir_fd: int, path: bytes) -> bytes:
    """The name to use with a directory descriptor: a held directory's (not AT_FDCWD)
    takes path's last name, AT_FDCWD the path itself."""
    return path if dir_fd == AT_FDCWD else os.path.basename(path)


def install_written(attrs: Attrs, e: FileEntry, path: bytes, tmp_name: bytes, fd: int,
                    dst_dir: int = AT_FDCWD, tmp_dir: int = AT_FDCWD) -> None:
    """install() for a new file still open at fd (closed here): its attributes are set
    through the descriptor, then it is closed and renamed, in one C call (copy.c
    oc_install_temp), path and tmp_name taken in the directories dst_dir and tmp_dir
    hold (see _at). -U's access time goes through install()."""
    if attrs.o.atimes:
        os.close(fd)
        install(attrs, e, path, tmp_name)
        return
    old_mode = None
    if not attrs.o.perms:  # (only then does the old file's mode count)
        try:
            old_mode = os.lstat(path).st_mode
        except FileNotFoundError:
            pass
    bits, uid, gid, mode = attrs.for_new_file(e, old_mode)
    rc, stage = oc_core.install_temp(fd, _at(tmp_dir, tmp_name), _at(dst_dir, path), bits,
                                     uid, gid, mode, e.mtime, e.mtime_nsec, tmp_dir, dst_dir)
    if rc == -errno.EXDEV and stage == oc_core.STAGE_RENAME:  # (-T on another device)
        rename_into_place(tmp_name, path)
    elif rc and stage == oc_core.STAGE_RENAME:
        raise OSError(-rc, os.strerror(-rc), tmp_name, None, path)
    elif rc:
        raise OSError(-rc, os.strerror(-rc), tmp_name)


_TEMP_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


_random = {"pool": b""}


_TO_NAME = bytes(_TEMP_CHARS[b % 62] for b in range(256))  # a random byte -> a character


def _random_tail() -> bytes:
    """Six random name characters; the random bytes are fetched 256 names at a time."""
    pool = _random["pool"] or os.urandom(6 * 256)
    _random["pool"] = pool[6:]
    return pool[:6].translate(_TO_NAME)


_STEM_MAX = 246  # upstream: NAME_MAX - 1 - len(".XXXXXX"), less its '\0'
_HIGH = bytes(range(0x80, 0x100))


def _stem(base: bytes, in_temp_dir: bool) -> bytes:
    """upstream get_tmpname's name part: BASE (one leading dot dropped, as a dot is put
    in front of it beside the final name, none in a --temp-dir) cut to fit NAME_MAX, not
    in the middle of a multibyte character, and one trailing dot dropped."""
    if not in_temp_dir and base.startswith(b"."):
        base = base[1:]
    stem = base[:_STEM_MAX]
    if len(base) > _STEM_MAX and base[_STEM_MAX] & 0x80:
        stem = stem.rstrip(_HIGH)
    if stem.endswith(b"."):
        stem = stem[:-1]
    return stem if in_temp_dir else b"." + stem


def temp_name(directory: bytes, base: bytes, in_temp_dir: bool = False,
              tail: bytes | None = None) -> bytes:
    """".BASE.XXXXXX" beside the final name in directory, "BASE.XXXXXX" in a --temp-dir
    (upstream: receiver.c get_tmpname), XXXXXX random (or tail: upstream's messages
    name the template when no file could be made)."""
    return _joined(directory, _stem(base, in_temp_dir) + b"." + (tail or _random_tail()))


def _joined(directory: bytes, leaf: bytes) -> bytes:
    """os.path.join(directory, leaf) for a leaf that is a plain name (without its cost,
    paid for every file received)."""
    if not directory or directory.endswith(b"/"):
        return directory + leaf
    return directory + b"/" + leaf


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def temp_file(directory: bytes, base: bytes, dir_fd: int = AT_FDCWD) -> tuple[int, bytes]:
    """A new file temp_name() names, created exclusively, never through a symlink, mode
    0600 (upstream: syscall.c do_mkstemp), in the directory dir_fd holds if one does (see
    _at). OSError names the name tried."""
    stem = _stem(base, False)
    while True:
        leaf = stem + b"." + _random_tail()
        name = _joined(directory, leaf)
        try:
            if dir_fd == AT_FDCWD:
                return os.open(name, _CREATE, 0o600), name
            return os.open(leaf, _CREATE, 0o600, dir_fd=dir_fd), name
        except FileExistsError:
            continue
        except OSError as e:
            raise OSError(e.errno, e.strerror, name) from None


def temp_file_in(temp_dir: bytes, base: bytes, insecure: bool = False
                 ) -> tuple[int, bytes, int]:
    """temp_file() in the operator's --temp-dir, reached through root's or our own
    symlinks only (any with insecure), as upstream's secure_mkstemp walks to it for each
    file: (descriptor, name, the directory's descriptor, the caller's to close once the
    file is renamed through it, so a symlink on the way swapped meanwhile cannot change
    what is renamed). Names are the directory, "/" and the name, as upstream joins them;
    OSError names the one tried ("BASE.XXXXXX" when the directory was not reached); a
    temp dir with a ".." in it is refused (EINVAL), as upstream's secure_mkstemp refuses
    one."""
    try:
        if b"/../" in b"/" + temp_dir + b"/":
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        dfd = open_operator_path(temp_dir, os.O_RDONLY | os.O_DIRECTORY, 0, insecure)
    except OSError as e:
        raise e.__class__(e.errno, e.strerror,
                          temp_dir + b"/" + temp_name(b"", base, True, b"XXXXXX")) from None
    while True:
        name = temp_name(b"", base, True)
        try:
            return os.open(name, _CREATE, 0o600, dir_fd=dfd), temp_dir + b"/" + name, dfd
        except FileExistsError:
            continue
        except OSError as e:
            os.close(dfd)
            raise OSError(e.errno, e.strerror, temp_dir + b"/" + name) from None


def remove_temp(name: bytes, dir_fd: int = AT_FDCWD) -> None:
    """Remove a temp file temp_file() made (in dir_fd's directory, if held)."""
    os.unlink(_at(dir_fd, name), dir_fd=None if dir_fd == AT_FDCWD else dir_fd)


def rename_into_place(src: bytes, dst: bytes) -> None:
    """rename, or across file systems (-T elsewhere) a copy into a temp file beside dst
    renamed into place, so dst is never half written (upstream: util1.c robust_rename)."""
    try:
        os.rename(src, dst)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    import shutil  # (rarely needed, slow to import)
    d, base = os.path.split(dst)
    fd, tmp = temp_file(d or b".", base)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
        shutil.copyfileobj(f, out, 1 << 20)
    shutil.copystat(src, tmp, follow_symlinks=False)
    os.rename(tmp, dst)
    os.unlink(src)
