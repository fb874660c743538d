"""One file-list entry as the protocol carries it (upstream: rsync.h struct file_struct)."""
import stat

from oc_core.record import record

__all__ = ["FileEntry"]


@record(slots=True)
class FileEntry:
    name: bytes
    mode: int
    size: int = 0
    mtime: int = 0
    mtime_nsec: int = 0
    atime: int = 0                  # with -U (seconds, as the wire carries it)
    crtime: int = 0                 # with -N: creation time (seconds)
    uid: int = 0
    gid: int = 0
    user: bytes | None = None
    group: bytes | None = None
    rdev_major: int = 0
    rdev_minor: int = 0
    link_target: bytes | None = None
    checksum: bytes | None = None
    top_dir: bool = False
    # a directory whose contents the list carries (upstream FLAG_CONTENT_DIR; what
    # --delete may clean), or one only leading to a -R path (FLAG_IMPLIED_DIR)
    content_dir: bool = True
    implied_dir: bool = False
    hlinked: bool = False           # one of several hard links (XMIT_HLINKED)
    hlink_first: int | None = None  # protocol >= 30: index of the first link, None if first
    dev: int = 0                    # protocol < 30: hard-link identity (device, inode)
    ino: int = 0
    nlink: int = 1                  # a sender's link count (not on the wire)

    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    def is_reg(self) -> bool:
        return stat.S_ISREG(self.mode)

    def is_link(self) -> bool:
        return stat.S_ISLNK(self.mode)

    def is_device(self) -> bool:
        return stat.S_ISCHR(self.mode) or stat.S_ISBLK(self.mode)

    def is_special(self) -> bool:
        return stat.S_ISFIFO(self.mode) or stat.S_ISSOCK(self.mode)
