"""The file list as upstream's sender writes it (upstream: flist.c send_file_entry,
recv_file_entry, write_end_of_flist; uidlist.c send_id_lists).

Supported: regular files, directories, symlinks, devices and specials; uid/gid with names
(inline from protocol 30 with incremental recursion, otherwise the id lists after the
list); nanosecond mtimes (protocol >= 31); -c checksums; varint flags (compat 'v').
Hard links: from protocol 30 a later link in the same list carries only the index of the
first one (its attributes are the first's); below 30 every link carries dev and inode.
Access times with -U (varlong after the mode, elided when equal to the previous
entry's; directories carry none). Creation times with -N (varlong after the mtime's
nanoseconds, or XMIT_CRTIME_EQ_MTIME when equal to the mtime; varint flags only, as
upstream requires: its options.c refuses --crtimes otherwise). oc-rsync itself refuses
-N as upstream's Linux build does (Linux cannot set creation times); the codec carries
them for lists that have them.
"""
import stat
import struct
from collections.abc import Iterable

import oc_core
from oc_core.record import record

from .flist_entry import FileEntry
from .ints import byte, int32, longint, shortint, varint, varlong

__all__ = ["FlistOptions", "FlistEncoder", "mark_hard_links", "CF_VARINT_FLIST_FLAGS",
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


@record(frozen=True, slots=True)
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
    preserve_atimes: bool = False
    preserve_crtimes: bool = False

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


def flist_bulk():
    from oc_core import flist_bulk  # (native only)
    return flist_bulk


def bulk_opts(o: FlistOptions, absolute_names: bool = False) -> int:
    """The option bits of libcore's bulk file-list codec (oc_core.flist_bulk)."""
    fb = flist_bulk()
    return sum(bit for bit, on in (
        (fb.VARINT, o.varint_flags), (fb.UID, o.preserve_uid), (fb.GID, o.preserve_gid),
        (fb.LINKS, o.preserve_links), (fb.DEVICES, o.preserve_devices),
        (fb.SPECIALS, o.preserve_specials), (fb.HLINKS, o.preserve_hard_links),
        (fb.CSUM, o.always_checksum), (fb.ATIMES, o.preserve_atimes),
        (fb.CRTIMES, o.preserve_crtimes), (fb.SAFE, o.safe_flist),
        (fb.ABSOLUTE, absolute_names)) if on)


class ElisionState:
    """The 'previous entry' values both sides keep for elision (static vars upstream)."""

    def __init__(self):
        self.mode = 0
        self.mtime = 0
        self.atime = 0
        self.uid = 0
        self.gid = 0
        self.rdev_major = 0
        self.dev = 0
        self.name = b""

    def to_bulk(self, bulk) -> None:
        """Hand the running state to a libcore bulk codec (oc_core.flist_bulk)."""
        c = bulk.state
        c.mode, c.mtime, c.atime, c.uid, c.gid = self.mode, self.mtime, self.atime, self.uid, \
            self.gid
        c.rdev_major, c.dev = self.rdev_major, self.dev
        bulk.set_name(self.name)

    def from_bulk(self, bulk) -> None:
        """Take the running state back from a bulk codec."""
        c = bulk.state
        self.mode, self.mtime, self.atime, self.uid, self.gid = c.mode, c.mtime, c.atime, \
            c.uid, c.gid
        self.rdev_major, self.dev, self.name = c.rdev_major, c.dev, bulk.name()


class FlistEncoder:
    """Encodes entries in the order given; end() closes a list. State carries across lists
    (upstream keeps it in static variables). Owner names come from the entries, or from
    the optional maps (uid -> name, gid -> name) for entries without one; a name goes on
    the wire the first time its id is seen (upstream: uidlist.c add_uid)."""

    def __init__(self, opts: FlistOptions, user_names: dict | None = None,
                 group_names: dict | None = None, bulk: bool = True):
        self.o = opts
        self.s = ElisionState()
        self.uids: dict[int, bytes] = {}
        self.gids: dict[int, bytes] = {}
        self.user_names = user_names or {}
        self.group_names = group_names or {}
        self.list_start = 1 if opts.inc_recurse else 0  # index of this list's first entry
        self.count = 0
        self._varint, self._inc = opts.varint_flags, opts.inc_recurse
        self._bulk = None
        if bulk and oc_core.BACKEND == "native":
            self._bulk = flist_bulk().BulkEncoder(opts.protocol, bulk_opts(opts),
                                                  opts.checksum_len)

    def entries(self, entries: Iterable[FileEntry]) -> bytes:
        """What entry() gives for each, in order; through libcore's bulk encoder when it
        is loaded (entry() takes any entry that one leaves to it)."""
        bulk = self._bulk
        if bulk is None:
            return b"".join(map(self.entry, entries))
        o, fb, pack = self.o, flist_bulk(), bulk.pack
        csum_len = o.checksum_len if o.always_checksum else 0
        owner_names = not o.numeric_ids
        uids, gids, inc = self.uids, self.gids, self._inc
        out: list[bytes] = []
        batch: list[tuple] = []  # (entry, its packed record, whether it added a uid, a gid)
        data: list[bytes] = []
        size = 0
        for e in entries:
            name, mode, bits = e.name, e.mode, 0
            user = group = None
            parts = [name]
            at = size + len(name)
            link_off = link_len = csum_off = uname_off = uname_len = gname_off = gname_len = 0
            if o.preserve_uid and owner_names and e.uid not in uids:
                user = e.user or self.user_names.get(e.uid, b"")
                if inc and user:
                    bits |= fb.R_UNAME
                    uname_off, uname_len, at = at, len(user), at + len(user)
                    parts.append(user)
            if o.preserve_gid and owner_names and e.gid not in gids:
                group = e.group or self.group_names.get(e.gid, b"")
                if inc and group:
                    bits |= fb.R_GNAME
                    gname_off, gname_len, at = at, len(group), at + len(group)
                    parts.append(group)
            if e.link_target:
                link_off, link_len, at = at, len(e.link_target), at + len(e.link_target)
                parts.append(e.link_target)
            if csum_len and mode & 0o170000 == stat.S_IFREG:
                parts.append((e.checksum or b"")[:csum_len].ljust(csum_len, b"\0"))
                csum_off, at = at, at + csum_len
            bits |= ((fb.R_TOP_DIR if e.top_dir else 0) | (0 if e.content_dir else fb.R_NO_CONTENT)
                     | (fb.R_IMPLIED if e.implied_dir else 0) | (fb.R_HLINKED if e.hlinked else 0)
                     | (0 if e.hlink_first is None else fb.R_FIRST))
            try:
                rec = pack(e.size, e.mtime, e.atime, e.crtime, e.uid, e.gid, e.rdev_major,
                           e.rdev_minor, e.hlink_first or 0, e.dev, e.ino, mode, e.mtime_nsec,
                           size, len(name), link_off, link_len, csum_off, uname_off,
                           uname_len, gname_off, gname_len, bits)
            except struct.error:  # a value past the record's fields: the reference's
                self._bulk_encode(batch, data, out)
                batch, data, size = [], [], 0
                out.append(self.entry(e))
                continue
            if user is not None:
                uids[e.uid] = user
            if group is not None:
                gids[e.gid] = group
            batch.append((e, rec, user is not None, group is not None))
            data += parts
            size = at
        self._bulk_encode(batch, data, out)
        return b"".join(out)

    def _bulk_encode(self, batch: list[tuple], data: list[bytes], out: list[bytes]) -> None:
        """The packed entries through libcore, the running state handed over and back;
        an entry it stops before goes through entry(), as if never packed (so does one
        met with a running state past the C state's fields, left by such an entry)."""
        if not batch:
            return
        bulk, s, recs = self._bulk, self.s, b"".join(b[1] for b in batch)
        data_bytes, n, i = b"".join(data), len(batch), 0
        while i < n:
            try:
                s.to_bulk(bulk)
            except (OverflowError, ValueError):
                done = 0
            else:
                bulk.state.count, bulk.state.list_start = self.count, self.list_start
                done, chunk = bulk.encode(recs, data_bytes, i)
                out.append(chunk)
                s.from_bulk(bulk)
                self.count = bulk.state.count
                i += done
            if not done:
                e, _, new_uid, new_gid = batch[i]
                if new_uid:
                    del self.uids[e.uid]
                if new_gid:
                    del self.gids[e.gid]
                out.append(self.entry(e))
                i += 1

    def entry(self, e: FileEntry) -> bytes:
        o, s = self.o, self.s
        p = o.protocol
        mode = e.mode
        fmt = stat.S_IFMT(mode)
        is_dir = fmt == stat.S_IFDIR
        is_device = fmt == stat.S_IFCHR or fmt == stat.S_IFBLK
        x = 0
        if is_dir:  # upstream: flist.c send_file_entry
            if p < 30 or e.content_dir:
                x = XMIT_TOP_DIR if e.top_dir else 0
            else:
                x = XMIT_NO_CONTENT_DIR | (XMIT_TOP_DIR if e.implied_dir else 0)
        if mode == s.mode:
            x |= XMIT_SAME_MODE
        s.mode = mode
        rdev_major = e.rdev_major
        sends_rdev = o.sends_rdev(mode)
        if sends_rdev and is_device:
            if rdev_major == s.rdev_major:
                x |= XMIT_SAME_RDEV_MAJOR
            s.rdev_major = rdev_major
            if p < 30 and e.rdev_minor <= 0xFF:
                x |= XMIT_RDEV_MINOR_8_pre30
        elif sends_rdev:  # a special below 31 (its numbers are not sent: zeros)
            rdev_major = s.rdev_major
            x |= XMIT_SAME_RDEV_MAJOR | (XMIT_RDEV_MINOR_8_pre30 if p < 30 else 0)
        user = group = None
        if not o.preserve_uid or (e.uid == s.uid and s.name):
            x |= XMIT_SAME_UID
        else:
            s.uid = e.uid
            if not o.numeric_ids and e.uid not in self.uids:
                user = self.uids[e.uid] = e.user or self.user_names.get(e.uid, b"")
                if self._inc and user:
                    x |= XMIT_USER_NAME_FOLLOWS
        if not o.preserve_gid or (e.gid == s.gid and s.name):
            x |= XMIT_SAME_GID
        else:
            s.gid = e.gid
            if not o.numeric_ids and e.gid not in self.gids:
                group = self.gids[e.gid] = e.group or self.group_names.get(e.gid, b"")
                if self._inc and group:
                    x |= XMIT_GROUP_NAME_FOLLOWS
        if e.mtime == s.mtime:
            x |= XMIT_SAME_TIME
        s.mtime = e.mtime
        if e.mtime_nsec and p >= 31:
            x |= XMIT_MOD_NSEC
        if o.preserve_atimes and not is_dir:
            if e.atime == s.atime:
                x |= XMIT_SAME_ATIME
            s.atime = e.atime
        if o.preserve_crtimes:
            if not self._varint:
                raise ValueError("creation times need varint flags (compat flag 'v')")
            if e.crtime == e.mtime:
                x |= XMIT_CRTIME_EQ_MTIME
        if o.preserve_hard_links and e.hlinked and not is_dir:
            x |= XMIT_HLINKED
            if p >= 30 and e.hlink_first is None:
                x |= XMIT_HLINK_FIRST
            elif p < 30:
                if e.dev == s.dev:
                    x |= XMIT_SAME_DEV_pre30
                s.dev = e.dev
        name, prev = e.name, s.name
        if len(name) >= MAXPATHLEN:  # (upstream's receiver would refuse it)
            raise ValueError(f"a file name of {len(name)} bytes (at most {MAXPATHLEN - 1})")
        l1 = min(len(prev), len(name), 255)  # the shared prefix: up to the first bit
        if l1:                                 # that differs
            diff = int.from_bytes(name[:l1], "big") ^ int.from_bytes(prev[:l1], "big")
            l1 -= (diff.bit_length() + 7) // 8
        suffix = name[l1:]
        if l1:
            x |= XMIT_SAME_NAME
        if len(suffix) > 255:
            x |= XMIT_LONG_NAME
        out = bytearray()
        if self._varint:
            out += varint(x or XMIT_EXTENDED_FLAGS)
        else:
            if not x and not is_dir:
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
        s.name = name
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
        if o.preserve_crtimes and not x & XMIT_CRTIME_EQ_MTIME:
            out += varlong(e.crtime, 4)
        if not x & XMIT_SAME_MODE:
            out += int32(mode)
        if o.preserve_atimes and not is_dir and not x & XMIT_SAME_ATIME:
            out += varlong(e.atime, 4)
        # (below 30 the names' bits mean XMIT_SAME_DEV_pre30 and XMIT_RDEV_MINOR_8_pre30)
        if o.preserve_uid and not x & XMIT_SAME_UID:
            out += self._v30(e.uid)
            if p >= 30 and x & XMIT_USER_NAME_FOLLOWS:
                out += byte(len(user)) + user
        if o.preserve_gid and not x & XMIT_SAME_GID:
            out += self._v30(e.gid)
            if p >= 30 and x & XMIT_GROUP_NAME_FOLLOWS:
                out += byte(len(group)) + group
        if sends_rdev:
            if not x & XMIT_SAME_RDEV_MAJOR:
                out += self._v30(rdev_major)
            minor = e.rdev_minor if is_device else 0
            if p >= 30:
                out += varint(minor)
            else:
                out += byte(minor) if x & XMIT_RDEV_MINOR_8_pre30 else int32(minor)
        if fmt == stat.S_IFLNK and o.preserve_links:
            target = e.link_target or b""
            out += self._v30(len(target)) + target
        if x & XMIT_HLINKED and p < 30:
            if not x & XMIT_SAME_DEV_pre30:
                out += longint(e.dev + 1)
            out += longint(e.ino)
        if o.always_checksum and fmt == stat.S_IFREG:
            out += (e.checksum or b"")[:o.checksum_len].ljust(o.checksum_len, b"\0")
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


def mark_hard_links(entries: Iterable[FileEntry], first: dict, start: int) -> None:
    """-H, on the sending side: every non-directory with more than one link is flagged;
    from protocol 30 the later names of a (device, inode) point at the first one's index
    in send order (upstream: flist.c send_file_entry, hlink.c idev_find; first: carried
    across lists, whose entries count from start); below 30 their dev and ino go out."""
    for i, e in enumerate(entries, start):
        if e.is_dir() or e.nlink < 2:
            continue
        e.hlinked = True
        key = (e.dev, e.ino)
        e.hlink_first = first.get(key)
        first.setdefault(key, i)
