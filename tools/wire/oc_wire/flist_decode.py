"""Decoding the file list as upstream's receiver reads it (upstream: flist.c
recv_file_entry, recv_file_list; uidlist.c recv_id_list). Layout and flags: flist_codec.py
and FORMATS.md. Bounded (names under MAXPATHLEN, a maximum entry count) and strict: names
that are empty, absolute or contain '..' are a ProtocolError naming the offset.

read_entry is the reference. read_list hands the runs of ordinary entries to libcore's
bulk decoder (oc_core.flist_bulk, the same rules in C) when the native backend is loaded,
and read_entry takes each entry that one stops before; the running state is handed
between them, so either may decode any entry.
"""
import stat

import oc_core

from .errors import NeedData, ProtocolError
from .flist_codec import (
    MAXPATHLEN,
    XMIT_CRTIME_EQ_MTIME,
    XMIT_EXTENDED_FLAGS,
    XMIT_GROUP_NAME_FOLLOWS,
    XMIT_HLINK_FIRST,
    XMIT_HLINKED,
    XMIT_IO_ERROR_ENDLIST,
    XMIT_LONG_NAME,
    XMIT_MOD_NSEC,
    XMIT_NO_CONTENT_DIR,
    XMIT_SAME_ATIME,
    XMIT_SAME_GID,
    XMIT_SAME_MODE,
    XMIT_SAME_NAME,
    XMIT_SAME_RDEV_MAJOR,
    XMIT_SAME_TIME,
    XMIT_SAME_UID,
    XMIT_TOP_DIR,
    XMIT_USER_NAME_FOLLOWS,
    ElisionState,
    FlistOptions,
    XMIT_RDEV_MINOR_8_pre30,
    XMIT_SAME_DEV_pre30,
    bulk_opts,
    flist_bulk,
)
from .flist_entry import FileEntry
from .ints import ByteReader

__all__ = ["FlistDecoder", "RootNotDirectory", "mark_content_dirs_pre30", "strip_roots"]

_ROOT_NAMES = (b".", b"/.")


class RootNotDirectory(ProtocolError):
    """A file list's "." entry that is not a directory; said in upstream's words (flist.c
    recv_file_entry), exit code 2."""

    plain = True

    def __init__(self, name: bytes, offset: int | None = None):
        super().__init__("a directory for the transfer root", offset, repr(name))
        self.args = ("ERROR: rejecting non-directory transfer-root entry: "
                     + name.decode("utf-8", "backslashreplace"),)

_CHECKED = XMIT_HLINKED | XMIT_CRTIME_EQ_MTIME | XMIT_SAME_ATIME  # see _check_flags


class FlistDecoder:
    """Decodes one file list from a ByteReader: read_entry() returns a FileEntry, or None
    at the end of the list (then io_error and the id maps are set)."""

    def __init__(self, opts: FlistOptions, max_entries: int = 1 << 24,
                 absolute_names: bool = False, bulk: bool = True):
        self.o = opts
        # -R: a sender keeps an absolute source's leading '/' (strip_roots, after sorting)
        self.absolute_names = absolute_names
        self.s = ElisionState()
        self.io_error = 0
        self.uid_names: dict[int, bytes] = {}
        self.gid_names: dict[int, bytes] = {}
        self.count = 0
        self.max_entries = max_entries
        self.list_start = 1 if opts.inc_recurse else 0
        self.current: list[FileEntry] = []  # this list's entries in wire order
        self._varint = opts.varint_flags
        self._v30_varint = opts.protocol >= 30
        self._bulk = _bulk_decoder(opts, max_entries, absolute_names) if bulk else None

    def read_list(self, r: ByteReader) -> list[FileEntry]:
        """One list's entries, to its end marker. A "." (the transfer root) that is not
        a directory is refused, as upstream 3.5.0's receiver refuses it: taken for a
        file, it would have the destination directory removed to make room
        (RootNotDirectory)."""
        at = r.offset
        out = self._read_buffered(r) if getattr(r, "buffered", False) else self._read(r)
        for e in out:
            if e.name in _ROOT_NAMES and not stat.S_ISDIR(e.mode):
                raise RootNotDirectory(e.name, at)
        return out

    def _read(self, r: ByteReader) -> list[FileEntry]:
        out = []
        while True:
            if self._bulk is not None and r.remaining():  # (an unbuffered PullReader
                self._read_bulk(r, out)  # has none: read_entry reads it field by field)
            if (e := self.read_entry(r)) is None:
                return out
            out.append(e)

    def _read_buffered(self, r) -> list[FileEntry]:
        """read_list over a buffered stream (stream.PullReader with a window): whole
        entries are decoded from the buffered bytes; one cut short by the end of the
        buffer is undone (the running state restored) and decoded again once more
        bytes have come."""
        out: list[FileEntry] = []
        want = 1
        while True:
            buf = r.window(want)
            br = ByteReader(buf, r.offset)
            while True:
                if self._bulk is not None and self._read_bulk(br, out):
                    break  # an entry cut short: more bytes first
                saved, count, done = dict(vars(self.s)), self.count, br.pos
                try:
                    e = self.read_entry(br)
                except NeedData:  # undone, to be read again with more bytes
                    vars(self.s).update(saved)
                    self.count, br.pos = count, done
                    break
                if e is None:
                    r.advance(br.pos)
                    return out
                out.append(e)
            r.advance(br.pos)
            want = len(buf) - br.pos + 1

    def _read_bulk(self, r: ByteReader, out: list[FileEntry]) -> bool:
        """The entries libcore decodes from r's buffer, appended to out and self.current;
        True when the buffer ends inside an entry."""
        bulk, s, buf = self._bulk, self.s, r.buf
        fb, d, csum_len = flist_bulk(), bulk.state, self.o.checksum_len
        r_names, r_uname, r_gname, r_link, r_csum = (fb.R_UNAME | fb.R_GNAME, fb.R_UNAME,
                                                     fb.R_GNAME, fb.R_LINK, fb.R_CSUM)
        r_top, r_no_content, r_implied, r_hlinked, r_first = (
            fb.R_TOP_DIR, fb.R_NO_CONTENT, fb.R_IMPLIED, fb.R_HLINKED, fb.R_FIRST)
        s.to_bulk(bulk)
        d.count, d.list_start, d.current = self.count, self.list_start, len(self.current)
        current, uid_names, gid_names = self.current, self.uid_names, self.gid_names
        while True:
            pos = r.pos
            recs, used, status, names = bulk.decode(buf, pos)
            for (size, mtime, atime, crtime, uid, gid, rdev_major, rdev_minor, first, dev, ino,
                 mode, nsec, name_off, name_len, link_off, link_len, csum_off, uname_off,
                 uname_len, gname_off, gname_len, bits) in recs:
                if bits & r_names:
                    if bits & r_uname:
                        uid_names[uid] = bytes(buf[pos + uname_off:pos + uname_off + uname_len])
                    if bits & r_gname:
                        gid_names[gid] = bytes(buf[pos + gname_off:pos + gname_off + gname_len])
                e = FileEntry(
                    names[name_off:name_off + name_len], mode, size, mtime, nsec, atime, crtime,
                    uid, gid, uid_names.get(uid) if uid_names else None,
                    gid_names.get(gid) if gid_names else None, rdev_major, rdev_minor,
                    bytes(buf[pos + link_off:pos + link_off + link_len])
                    if bits & r_link else None,
                    bytes(buf[pos + csum_off:pos + csum_off + csum_len])
                    if bits & r_csum else None,
                    bool(bits & r_top), not bits & r_no_content, bool(bits & r_implied),
                    bool(bits & r_hlinked), first if bits & r_first else None, dev, ino)
                current.append(e)
                out.append(e)
            r.pos += used
            if status != fb.MORE:
                break
        s.from_bulk(bulk)
        self.count = d.count
        return status == fb.NEED

    def _v30(self, r: ByteReader) -> int:
        return r.read_varint() if self._v30_varint else r.read_int32()

    def read_entry(self, r: ByteReader) -> FileEntry | None:
        o, s = self.o, self.s
        p = o.protocol
        at = r.offset
        if self._varint:
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
        if x & _CHECKED:
            self._check_flags(x, at)
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
        if not name or name[0] == 47 or b"\0" in name or b".." in name:  # 47: '/'
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
        if o.preserve_crtimes:
            crtime = s.mtime if x & XMIT_CRTIME_EQ_MTIME else r.read_varlong(4)
        if not x & XMIT_SAME_MODE:
            s.mode = r.read_int32() & 0xFFFFFFFF
        mode = s.mode
        fmt = stat.S_IFMT(mode)
        is_dir = fmt == stat.S_IFDIR
        e = FileEntry(name, mode, size, s.mtime, nsec,
                      top_dir=bool(x & XMIT_TOP_DIR) and is_dir)
        if o.preserve_crtimes:
            e.crtime = crtime
        if p >= 30 and x & XMIT_NO_CONTENT_DIR:  # (upstream: flist.c recv_file_entry)
            e.content_dir = False
            if e.top_dir:  # both flags: an implied -R parent
                e.top_dir, e.implied_dir = False, True
        if o.preserve_atimes and not is_dir:
            if not x & XMIT_SAME_ATIME:
                s.atime = r.read_varlong(4)
            e.atime = s.atime
        # (below 30 the names' bits mean XMIT_SAME_DEV_pre30 and XMIT_RDEV_MINOR_8_pre30)
        if o.preserve_uid and not x & XMIT_SAME_UID:
            s.uid = self._v30(r)
            if p >= 30 and x & XMIT_USER_NAME_FOLLOWS:
                self.uid_names[s.uid] = r.read_bytes(r.read_byte())
        if o.preserve_gid and not x & XMIT_SAME_GID:
            s.gid = self._v30(r)
            if p >= 30 and x & XMIT_GROUP_NAME_FOLLOWS:
                self.gid_names[s.gid] = r.read_bytes(r.read_byte())
        e.uid, e.gid = s.uid, s.gid
        if self.uid_names:
            e.user = self.uid_names.get(s.uid)
        if self.gid_names:
            e.group = self.gid_names.get(s.gid)
        if o.sends_rdev(mode):
            if not x & XMIT_SAME_RDEV_MAJOR:
                s.rdev_major = self._v30(r)
            if p >= 30:
                minor = r.read_varint()
            else:
                minor = r.read_byte() if x & XMIT_RDEV_MINOR_8_pre30 else r.read_int32()
            if fmt == stat.S_IFCHR or fmt == stat.S_IFBLK:
                e.rdev_major, e.rdev_minor = s.rdev_major, minor
        if fmt == stat.S_IFLNK and o.preserve_links:
            n = self._v30(r)
            e.link_target = r.read_bytes(n, MAXPATHLEN, "symlink target")
        if x & XMIT_HLINKED:
            e.hlinked = not is_dir
            if p >= 30:
                e.hlink_first = None if x & XMIT_HLINK_FIRST else first
            else:
                if not x & XMIT_SAME_DEV_pre30:
                    s.dev = r.read_longint() - 1
                e.dev, e.ino = s.dev, r.read_longint()
        if o.always_checksum and fmt == stat.S_IFREG:
            e.checksum = r.read_bytes(o.checksum_len)
        self.current.append(e)
        return e

    def _check_flags(self, x: int, at: int) -> None:
        """Flags naming data this list cannot carry."""
        o = self.o
        if x & XMIT_HLINKED and not o.preserve_hard_links:
            raise ProtocolError("no hard-link entries (-H was not recorded)", at)
        if x & XMIT_CRTIME_EQ_MTIME and self._varint and not o.preserve_crtimes:
            raise ProtocolError("an entry without crtime data (-N was not given)", at)
        if x & XMIT_SAME_ATIME and self._varint and not o.preserve_atimes:
            raise ProtocolError("an entry without atime data (-U was not given)", at)

    def _copy_link(self, name: bytes, first: int, x: int) -> FileEntry:
        """A later hard link in the same list: everything but the name is the first's
        (upstream recv_file_entry, which also updates its running state from it)."""
        src = self.current[first - self.list_start]
        s = self.s
        s.mode, s.mtime = src.mode, src.mtime
        if self.o.preserve_atimes and not src.is_dir():
            s.atime = src.atime
        if self.o.preserve_uid:
            s.uid = src.uid
        if self.o.preserve_gid:
            s.gid = src.gid
        if self.o.preserve_devices and src.is_device():
            s.rdev_major = src.rdev_major
        e = FileEntry(name=name, mode=src.mode, size=src.size, mtime=src.mtime,
                      mtime_nsec=src.mtime_nsec, atime=src.atime, crtime=src.crtime,
                      uid=src.uid,
                      gid=src.gid, user=src.user,
                      group=src.group, rdev_major=src.rdev_major, rdev_minor=src.rdev_minor,
                      link_target=src.link_target, checksum=src.checksum, hlinked=True,
                      hlink_first=first)
        self.current.append(e)
        return e

    def _next_list(self) -> None:
        self.list_start += len(self.current) + 1
        self.current = []

    def _check_name(self, name: bytes, at: int) -> None:
        if not name or b"\0" in name or (name.startswith(b"/") and not self.absolute_names):
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


def _bulk_decoder(o: FlistOptions, max_entries: int, absolute_names: bool):
    """libcore's decoder for these options, or None with the pure-Python backend."""
    if oc_core.BACKEND != "native":
        return None
    return flist_bulk().BulkDecoder(o.protocol, bulk_opts(o, absolute_names),
                                    o.checksum_len, max_entries)


def mark_content_dirs_pre30(received: list[FileEntry], recurse: bool, relative: bool) -> None:
    """Below protocol 30 no flag says which directories' contents the list carries: a
    top directory does, and with -r so does every directory after it inside its tree
    (with -R only below its own path, not the implied ones before the next top); the
    others, implied -R parents and -d's directories, do not. received is the list in
    the order it came (upstream: flist.c recv_file_entry, in_del_hier)."""
    in_hier, top = False, b""
    for e in received:
        if not e.is_dir():
            continue
        if e.implied_dir:  # (a receiving client's own downgrade: implied.py)
            e.content_dir = False
            continue
        if e.top_dir:
            in_hier = recurse
            top = b"" if e.name == b"." else e.name
            if relative and top.endswith(b"/."):
                top = top[:-2]
            e.content_dir = True
        elif in_hier and (not relative or not top or e.name.startswith(top + b"/")):
            e.content_dir = True
        else:
            in_hier = False
            e.content_dir = False


def strip_roots(entries: list[FileEntry]) -> None:
    """-R: names of absolute sources lose their leading slashes once the list is sorted
    with them (upstream: flist.c flist_sort_and_clean, strip_root)."""
    for e in entries:
        if e.name.startswith(b"/"):
            e.name = e.name.lstrip(b"/") or b"."
