"""Placing a new file under its name (upstream: receiver.c get_tmpname, finish_transfer;
syscall.c do_mkstemp; util1.c robust_rename): the data goes into ".NAME.XXXXXX" beside the
final name, created exclusively and never through a symlink; the file gets its attributes
there and is renamed over the old one, so no reader ever sees it half written."""
import errno
import os

import oc_core
from oc_wire.flist_entry import FileEntry

from .attrs import Attrs

__all__ = ["install", "install_written", "rename_into_place", "temp_file", "temp_name"]


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


def install_written(attrs: Attrs, e: FileEntry, path: bytes, tmp_name: bytes, fd: int
                    ) -> None:
    """install() for a new file still open at fd (closed here): its attributes are set
    through the descriptor, then it is closed and renamed, in one C call (copy.c
    oc_install_temp). -U's access time goes through install()."""
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
    rc, stage = oc_core.install_temp(fd, tmp_name, path, bits, uid, gid, mode, e.mtime,
                                     e.mtime_nsec)
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


def temp_name(directory: bytes, base: bytes) -> bytes:
    """".BASE.XXXXXX" in directory (upstream: receiver.c get_tmpname), the name shortened
    to fit NAME_MAX."""
    return os.path.join(directory, b"." + base[:255 - 8] + b"." + _random_tail())


def temp_file(directory: bytes, base: bytes) -> tuple[int, bytes]:
    """A new file temp_name() names, created exclusively, never through a symlink, mode
    0600 (upstream: syscall.c do_mkstemp)."""
    while True:
        name = temp_name(directory, base)
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                           | os.O_CLOEXEC, 0o600), name
        except FileExistsError:
            continue


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
