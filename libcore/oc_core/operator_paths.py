"""Opening a path the operator named (--write-batch, --read-batch, --log-file,
--files-from, --exclude-from and merge files, per-directory ones too) without being led
elsewhere by someone else's symlink (upstream: syscall.c open_no_attacker_symlinks).

The path is walked one component at a time with O_NOFOLLOW. A symlink met on the way,
the last component included, is followed only when it belongs to root or to us; one
owned by another user (planted in a shared directory such as /tmp) is refused with
ELOOP, so a batch or log cannot be written through it onto a file of ours, nor a list
read from where the planter chose. --insecure-links turns this off (a plain open).
"""
import errno
import os
import stat

__all__ = ["open_operator_path", "UntrustedSymlink", "UNTRUSTED_SYMLINK_TEXT"]

# what upstream 3.5.0 says when it will not follow such a link
UNTRUSTED_SYMLINK_TEXT = (
    "refusing to follow a symlink owned by an untrusted user; use --insecure-links "
    'locally or "insecure links = yes" in a daemon module ONLY if every path component '
    "is trusted")


class UntrustedSymlink(OSError):
    """A symlink on the way belongs to another user (not root, not us)."""

_MAX_LINKS = 40


def _refused(path) -> OSError:
    return UntrustedSymlink(errno.ELOOP, "refusing a symlink owned by another user",
                            os.fsdecode(path))


def open_operator_path(path, flags: int, mode: int = 0o666, insecure: bool = False) -> int:
    """os.open(path, flags, mode), following only trusted symlinks on the way (any,
    with insecure)."""
    raw = os.fsencode(path)
    if insecure:
        return os.open(raw, flags, mode)
    trusted = (0, os.geteuid())
    parts = raw.split(b"/")
    dirfd = os.open(b"/" if raw.startswith(b"/") else b".", os.O_RDONLY | os.O_DIRECTORY)
    links = 0
    try:
        while parts:
            name = parts.pop(0)
            if name in (b"", b".") and parts:
                continue
            last = not parts
            if last and name in (b"", b"."):
                name = b"."
            try:
                if last:
                    return os.open(name, flags | os.O_NOFOLLOW, mode, dir_fd=dirfd)
                nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                              dir_fd=dirfd)
            except OSError as e:
                if e.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise OSError(e.errno, e.strerror, os.fsdecode(raw)) from None
                st = os.lstat(name, dir_fd=dirfd)
                if not stat.S_ISLNK(st.st_mode):
                    raise OSError(e.errno, e.strerror, os.fsdecode(raw)) from None
                if st.st_uid not in trusted:
                    raise _refused(raw) from None
                links += 1
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP),
                                  os.fsdecode(raw)) from None
                target = os.readlink(name, dir_fd=dirfd)
                parts = target.split(b"/") + parts
                if target.startswith(b"/"):
                    os.close(dirfd)
                    dirfd = os.open(b"/", os.O_RDONLY | os.O_DIRECTORY)
                continue
            os.close(dirfd)
            dirfd = nxt
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), os.fsdecode(raw))
    finally:
        os.close(dirfd)
