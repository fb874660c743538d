"""The file list as upstream's sender writes it (upstream: flist.c send_file_entry,
recv_file_entry, write_end_of_flist; uidlist.c send_id_lists).

Supported: regular files, directories, symlinks, devices and specials; uid/gid with names
(inline from protocol 30 with incremental recursion, otherwise the id lists after the
list); nanosecond mtimes (protocol >= 31); -c checksums; varint flags (compat 'v').
Hard links: from protocol 30 a later link in the same list carries only the index of the
first one (its attributes are the first's); below 30 every link carries dev and inode.
Not yet: atimes, crtimes: the decoder rejects them by name.
"""
import stat
from dataclasses import dataclass

from .errors import ProtocolError
from .flist_entry import FileEntry
from .ints import ByteReader, byte, int32, longint, shortint, varint, varlong

__all__ = ["FlistOptions", "FlistEncoder", "FlistDecoder", "CF_VARINT_FLIST_FLAGS",
           "CF_INC_RECURSE", "CF_SAFE_FLIST", "CF_CHKSUM_SEED_FIX"]

XMIT_TOP_DIR = 1 << 0
XMIT_SAME_MODE = 1 << 1
XMIT_EXTENDED_FLAGS = 1 << 2
XMIT_SAME_UID = 1 << 3
XMIT_SAME_GID = 1 << 4
XMIT_SAME_NAME = 1 << 5
XMIT_LONG_NAME = 1 << 6
XMIT_SAME_TIME = 1 << 7
XMIT_SAME_RDEV_MAJOR = 1 << 8
XMIT_NO_CONTENT_DIR = 1 << 8
XMIT_HLINKED = 1 << 9
XMIT_SAME_DEV_pre30 = 1 << 10
XMIT_HLINK_FIRST = 1 << 12
XMIT_USER_NAME_FOLLOWS = 1 << 10
XMIT_RDEV_MINOR_8_pre30 = 1 << 11
XMIT_GROUP_NAME_FOLLOWS = 1 << 11
XMIT_IO_ERROR_ENDLIST = 1 << 12
XMIT_MOD_NSEC = 1 << 13
XMIT_SAME_ATIME = 1 << 14
XMIT_CRTIME_EQ_MTIME = 1 << 17

CF_INC_RECURSE = 1 << 0
CF_SAFE_FLIST = 1 << 3
CF_CHKSUM_SEED_FIX = 1 << 5
CF_VARINT_FLIST_FLAGS = 1 << 7
CF_ID0_NAMES = 1 << 8

MAXPATHLEN = 4096


@dataclass(frozen=True, slots=True)
class FlistOptions:
    protocol: int
    compat_flags: int = 0
    preserve_uid: bool = False
    preserve_gid: bool = False
    preserve_links: bool = False
    preserve_devices: bool = False
    preserve_specials: bool = False
    preserve_hard_links: bool = False
    always_checksum: bool = False
    checksum_len: int = 16
    numeric_ids: bool = False

    @property
    def varint_flags(self) -> bool:
        return self.protocol >= 30 and bool(self.compat_flags & CF_VARINT_FLIST_FLAGS)

    @property
    def inc_recurse(self) -> bool:
        return self.protocol >= 30 and bool(self.compat_flags & CF_INC_RECURSE)

    @property
    def id0_names(self) -> bool:
        return self.protocol >= 30 and bool(self.compat_flags & CF_ID0_NAMES)

    @property
    def safe_flist(self) -> bool:
        return self.protocol >= 31 or bool(self.compat_flags & CF_SAFE_FLIST)

    def sends_rdev(self, mode: int) -> bool:
        if self.preserve_devices and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)):
            return True
        return (self.preserve_specials and self.protocol < 31
                and (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)))


class _State:
    """The 'previous entry' values both sides keep for elision (static vars upstream)."""

    def __init__(self):
        self.mode = 0
        self.mtime = 0
        self.uid = 0
        self.gid = 0
        self.rdev_major = 0
        self.dev = 0
        self.name = b""


class FlistEncoder:
    """Encodes entries in the order given; end() closes a list. State carries across lists
    (upstream keeps it in static variables). Owner names come from the entries, or from
    the optional maps (uid -> name, gid -> name) for entries without one; a name goes on
    the wire the first time its id is seen (upstream: uidlist.c add_uid)."""

    def __init__(self, opts: FlistOptions, user_names: dict | None = None,
                 group_names: dict | None = None):
        self.o = opts
        self.s = _State()
        self.uids: dict[int, bytes] = {}
        self.gids: dict[int, bytes] = {}
        self.user_names = user_names or {}
        self.group_names = group_names or {}
        self.list_start = 1 if opts.inc_recurse else 0  # index of this list's first entry
        self.count = 0

    def entry(self, e: FileEntry) -> bytes:
        o, s = self.o, self.s
        p = o.protocol
        x = XMIT_TOP_DIR if (e.is_dir() and e.top_dir) else 0
        if e.mode == s.mode:
            x |= XMIT_SAME_MODE
        s.mode = e.mode
        rdev_major = e.rdev_major
        if o.preserve_devices and e.is_device():
            if rdev_major == s.rdev_major:
                x |= XMIT_SAME_RDEV_MAJOR
            s.rdev_major = rdev_major
            if p < 30 and e.rdev_minor <= 0xFF:
                x |= XMIT_RDEV_MINOR_8_pre30
        elif o.preserve_specials and e.is_special() and p < 31:
            rdev_major = s.rdev_major
            x |= XMIT_SAME_RDEV_MAJOR | (XMIT_RDEV_MINOR_8_pre30 if p < 30 else 0)
        user = group = None
        if not o.preserve_uid or (e.uid == s.uid and s.name):
            x |= XMIT_SAME_UID
        else:
            s.uid = e.uid
            if not o.numeric_ids and e.uid not in self.uids:
                user = self.uids[e.uid] = e.user or self.user_names.get(e.uid, b"")
                if o.inc_recurse and user:
                    x |= XMIT_USER_NAME_FOLLOWS
        if not o.preserve_gid or (e.gid == s.gid and s.name):
            x |= XMIT_SAME_GID
        else:
            s.gid = e.gid
            if not o.numeric_ids and e.gid not in self.gids:
                group = self.gids[e.gid] = e.group or self.group_names.get(e.gid, b"")
                if o.inc_recurse and group:
                    x |= XMIT_GROUP_NAME_FOLLOWS
        if e.mtime == s.mtime:
            x |= XMIT_SAME_TIME
        s.mtime = e.mtime
        if e.mtime_nsec and p >= 31:
            x |= XMIT_MOD_NSEC
        if o.preserve_hard_links and e.hlinked and not e.is_dir():
            x |= XMIT_HLINKED
            if p >= 30 and e.hlink_first is None:
                x |= XMIT_HLINK_FIRST
            elif p < 30:
                if e.dev == s.dev:
                    x |= XMIT_SAME_DEV_pre30
                s.dev = e.dev
        l1 = 0
        while l1 < min(len(s.name), len(e.name), 255) and e.name[l1] == s.name[l1]:
            l1 += 1
        suffix = e.name[l1:]
        if l1:
            x |= XMIT_SAME_NAME
        if len(suffix) > 255:
            x |= XMIT_LONG_NAME
        out = bytearray()
        if o.varint_flags:
            out += varint(x or XMIT_EXTENDED_FLAGS)
        else:
            if not x and not e.is_dir():
                x |= XMIT_TOP_DIR
            if (x & 0xFF00) or not x:
                x |= XMIT_EXTENDED_FLAGS
                out += shortint(x)
            else:
                out += byte(x)
        if x & XMIT_SAME_NAME:
            out += byte(l1)
        out += self._v30(len(suffix)) if x & XMIT_LONG_NAME else byte(len(suffix))
        out += suffix
        s.name = e.name
        self.count += 1
        if x & XMIT_HLINKED and p >= 30 and e.hlink_first is not None:
            out += varint(e.hlink_first)
            if e.hlink_first >= self.list_start:
                return bytes(out)  # the rest is the first link's
        out += varlong(e.size, 3) if p >= 30 else longint(e.size)
        if not x & XMIT_SAME_TIME:
            out += varlong(e.mtime, 4) if p >= 30 else int32(e.mtime)
        if x & XMIT_MOD_NSEC:
            out += varint(e.mtime_nsec)
        if not x & XMIT_SAME_MODE:
            out += int32(e.mode)
        for keep, same, follows, value, name in (
                (o.preserve_uid, XMIT_SAME_UID, XMIT_USER_NAME_FOLLOWS, e.uid, user),
                (o.preserve_gid, XMIT_SAME_GID, XMIT_GROUP_NAME_FOLLOWS, e.gid, group)):
            if keep and not x & same:
                out += int32(value) if p < 30 else varint(value)
                if x & follows:
                    out += byte(len(name)) + name
        if o.sends_rdev(e.mode):
            if not x & XMIT_SAME_RDEV_MAJOR:
                out += self._v30(rdev_major)
            minor = e.rdev_minor if o.preserve_devices and e.is_device() else 0
            if p >= 30:
                out += varint(minor)
            else:
                out += byte(minor) if x & XMIT_RDEV_MINOR_8_pre30 else int32(minor)
        if o.preserve_links and e.is_link():
            target = e.link_target or b""
            out += self._v30(len(target)) + target
        if x & XMIT_HLINKED and p < 30:
            if not x & XMIT_SAME_DEV_pre30:
                out += longint(e.dev + 1)
            out += longint(e.ino)
        if o.always_checksum and e.is_reg():
            out += (e.checksum or b"\0" * o.checksum_len)[:o.checksum_len]
        return bytes(out)

    def _v30(self, v: int) -> bytes:
        return int32(v) if self.o.protocol < 30 else varint(v)

    def end(self, io_error: int = 0) -> bytes:
        """End of list, then (without inc_recurse) the id lists and, below 30, io_error."""
        o = self.o
        self.list_start += self.count + 1
        self.count = 0
        if o.varint_flags:
            out = varint(0) + varint(io_error)
        elif io_error and o.safe_flist:
            out = shortint(XMIT_EXTENDED_FLAGS | XMIT_IO_ERROR_ENDLIST) + varint(io_error)
        else:
            out = b"\0"
        if not o.numeric_ids and not o.inc_recurse:
            for keep, ids, names in ((o.preserve_uid, self.uids, self.user_names),
                                     (o.preserve_gid, self.gids, self.group_names)):
                if keep:
                    for i, name in ids.items():
                        if i and name:
                            out += self._v30(i) + byte(len(name[:255])) + name[:255]
                    out += self._v30(0)
                    if o.id0_names:
                        name = ids.get(0) or names.get(0, b"")
                        out += byte(len(name[:255])) + name[:255]
        if o.protocol < 30:
            out += int32(io_error)
        return out


class FlistDecoder:
    """Decodes one file list from a ByteReader: read_entry() returns a FileEntry, or None
    at the end of the list (then io_error and the id maps are set)."""

    def __init__(self, opts: FlistOptions, max_entries: int = 1 << 24):
        self.o = opts
        self.s = _State()
        self.io_error = 0
        self.uid_names: dict[int, bytes] = {}
        self.gid_names: dict[int, bytes] = {}
        self.count = 0
        self.max_entries = max_entries
        self.list_start = 1 if opts.inc_recurse else 0
        self.current: list[FileEntry] = []  # this list's entries in wire order

    def read_list(self, r: ByteReader) -> list[FileEntry]:
        out = []
        while (e := self.read_entry(r)) is not None:
            out.append(e)
        return out

    def _v30(self, r: ByteReader) -> int:
        return r.read_int32() if self.o.protocol < 30 else r.read_varint()

    def read_entry(self, r: ByteReader) -> FileEntry | None:
        o, s = self.o, self.s
        p = o.protocol
        at = r.offset
        if o.varint_flags:
            x = r.read_varint()
            if x == 0:
                self.io_error = r.read_varint()
                self._read_tail(r)
                self._next_list()
                return None
        else:
            x = r.read_byte()
            if x == 0:
                self._read_tail(r)
                self._next_list()
                return None
            if x & XMIT_EXTENDED_FLAGS:
                x |= r.read_byte() << 8
                if x == XMIT_EXTENDED_FLAGS | XMIT_IO_ERROR_ENDLIST and o.safe_flist:
                    self.io_error = r.read_varint()
                    self._read_tail(r)
                    self._next_list()
                    return None
        if x & XMIT_HLINKED and not o.preserve_hard_links:
            raise ProtocolError("no hard-link entries (-H was not recorded)", at)
        if x & (XMIT_SAME_ATIME | XMIT_CRTIME_EQ_MTIME) and o.varint_flags:
            raise ProtocolError("an entry without atime/crtime data (not supported yet)", at)
        self.count += 1
        if self.count > self.max_entries:
            raise ProtocolError(f"at most {self.max_entries} file-list entries", at)
        l1 = r.read_byte() if x & XMIT_SAME_NAME else 0
        if l1 > len(s.name):
            raise ProtocolError(f"a shared name prefix of at most {len(s.name)}", at, str(l1))
        l2 = self._v30(r) if x & XMIT_LONG_NAME else r.read_byte()
        if l2 < 0 or l1 + l2 >= MAXPATHLEN:
            raise ProtocolError(f"a name shorter than {MAXPATHLEN} bytes", at, str(l1 + l2))
        name = s.name[:l1] + r.read_bytes(l2)
        self._check_name(name, at)
        s.name = name
        if x & XMIT_HLINKED and p >= 30 and not x & XMIT_HLINK_FIRST:
            first_at = r.offset
            first = r.read_varint()
            if not 0 <= first < self.list_start + len(self.current):
                limit = self.list_start + len(self.current)
                raise ProtocolError(f"a hard-link index below {limit}", first_at, str(first))
            if first >= self.list_start:
                return self._copy_link(name, first, x)
        size = r.read_varlong(3) if p >= 30 else r.read_longint()
        if size < 0:
            raise ProtocolError("a non-negative file size", at, str(size))
        if not x & XMIT_SAME_TIME:
            s.mtime = r.read_varlong(4) if p >= 30 else r.read_int32()
        nsec = r.read_varint() if x & XMIT_MOD_NSEC else 0
        if not x & XMIT_SAME_MODE:
            s.mode = r.read_int32() & 0xFFFFFFFF
        e = FileEntry(name=name, mode=s.mode, size=size, mtime=s.mtime, mtime_nsec=nsec,
                      top_dir=bool(x & XMIT_TOP_DIR) and stat.S_ISDIR(s.mode))
        if o.preserve_uid and not x & XMIT_SAME_UID:
            s.uid = self._v30(r)
            if x & XMIT_USER_NAME_FOLLOWS:
                self.uid_names[s.uid] = r.read_bytes(r.read_byte())
        if o.preserve_gid and not x & XMIT_SAME_GID:
            s.gid = self._v30(r)
            if x & XMIT_GROUP_NAME_FOLLOWS:
                self.gid_names[s.gid] = r.read_bytes(r.read_byte())
        e.uid, e.gid = s.uid, s.gid
        e.user, e.group = self.uid_names.get(s.uid), self.gid_names.get(s.gid)
        if o.sends_rdev(e.mode):
            if not x & XMIT_SAME_RDEV_MAJOR:
                s.rdev_major = self._v30(r)
            if p >= 30:
                minor = r.read_varint()
            else:
                minor = r.read_byte() if x & XMIT_RDEV_MINOR_8_pre30 else r.read_int32()
            if e.is_device():
                e.rdev_major, e.rdev_minor = s.rdev_major, minor
        if o.preserve_links and e.is_link():
            n = self._v30(r)
            e.link_target = r.read_bytes(n, MAXPATHLEN, "symlink target")
        if x & XMIT_HLINKED:
            e.hlinked = not e.is_dir()
            if p >= 30:
                e.hlink_first = None if x & XMIT_HLINK_FIRST else first
            else:
                if not x & XMIT_SAME_DEV_pre30:
                    s.dev = r.read_longint() - 1
                e.dev, e.ino = s.dev, r.read_longint()
        if o.always_checksum and e.is_reg():
            e.checksum = r.read_bytes(o.checksum_len)
        self.current.append(e)
        return e

    def _copy_link(self, name: bytes, first: int, x: int) -> FileEntry:
        """A later hard link in the same list: everything but the name is the first's
        (upstream recv_file_entry, which also updates its running state from it)."""
        src = self.current[first - self.list_start]
        s = self.s
        s.mode, s.mtime = src.mode, src.mtime
        if self.o.preserve_uid:
            s.uid = src.uid
        if self.o.preserve_gid:
            s.gid = src.gid
        if self.o.preserve_devices and src.is_device():
            s.rdev_major = src.rdev_major
        e = FileEntry(name=name, mode=src.mode, size=src.size, mtime=src.mtime,
                      mtime_nsec=src.mtime_nsec, uid=src.uid, gid=src.gid, user=src.user,
                      group=src.group, rdev_major=src.rdev_major, rdev_minor=src.rdev_minor,
                      link_target=src.link_target, checksum=src.checksum, hlinked=True,
                      hlink_first=first)
        self.current.append(e)
        return e

    def _next_list(self) -> None:
        self.list_start += len(self.current) + 1
        self.current = []

    def _check_name(self, name: bytes, at: int) -> None:
        if not name or name.startswith(b"/") or b"\0" in name:
            raise ProtocolError("a relative, non-empty file name", at, repr(name))
        if b".." in name.split(b"/"):
            raise ProtocolError("a file name without '..' components", at, repr(name))

    def _read_tail(self, r: ByteReader) -> None:
        o = self.o
        if not o.numeric_ids and not o.inc_recurse:
            for keep, names in ((o.preserve_uid, self.uid_names),
                                (o.preserve_gid, self.gid_names)):
                if keep:
                    while (i := self._v30(r)) != 0:
                        names[i] = r.read_bytes(r.read_byte())
                    if o.id0_names:
                        names[0] = r.read_bytes(r.read_byte())
        if o.protocol < 30:
            self.io_error = r.read_int32()
