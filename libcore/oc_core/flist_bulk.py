"""File-list entries decoded and encoded in bulk by libcore (flist.c); native only.

oc_wire's FlistDecoder and FlistEncoder drive them: their read_entry and entry() are the
reference, and take every entry these stop before (decoding: list ends, copies of
earlier hard links, invalid bytes; encoding: values the wire cannot carry). `state` is
the C running state (the previous entry's values), which the caller keeps in step with
its own. BulkDecoder.decode() returns one tuple per entry in REC_FIELDS order, the bytes
used, the status and the names' buffer (name_off/name_len index it; the link, checksum
and owner-name offsets index the input from `pos`).
"""
import struct

from ._oc_core import ffi, lib

__all__ = ["BulkDecoder", "BulkEncoder", "REC_FIELDS", "MORE", "NEED", "STOP", "VARINT",
           "UID", "GID", "LINKS", "DEVICES", "SPECIALS", "HLINKS", "CSUM", "ATIMES", "CRTIMES",
           "SAFE", "ABSOLUTE", "R_TOP_DIR", "R_NO_CONTENT", "R_IMPLIED", "R_HLINKED",
           "R_LINK", "R_CSUM", "R_UNAME", "R_GNAME", "R_FIRST"]

MORE, NEED, STOP = lib.OC_FL_MORE, lib.OC_FL_NEED, lib.OC_FL_STOP
VARINT, UID, GID, LINKS = lib.OC_FL_VARINT, lib.OC_FL_UID, lib.OC_FL_GID, lib.OC_FL_LINKS
DEVICES, SPECIALS, HLINKS = lib.OC_FL_DEVICES, lib.OC_FL_SPECIALS, lib.OC_FL_HLINKS
CSUM, ATIMES, CRTIMES = lib.OC_FL_CSUM, lib.OC_FL_ATIMES, lib.OC_FL_CRTIMES
SAFE, ABSOLUTE = lib.OC_FL_SAFE, lib.OC_FL_ABSOLUTE
R_TOP_DIR, R_NO_CONTENT, R_IMPLIED = lib.OC_FR_TOP_DIR, lib.OC_FR_NO_CONTENT, lib.OC_FR_IMPLIED
R_HLINKED, R_LINK, R_CSUM = lib.OC_FR_HLINKED, lib.OC_FR_LINK, lib.OC_FR_CSUM
R_UNAME, R_GNAME, R_FIRST = lib.OC_FR_UNAME, lib.OC_FR_GNAME, lib.OC_FR_FIRST

REC_FIELDS = ("size mtime atime crtime uid gid rdev_major rdev_minor hlink_first dev ino "
              "mode nsec name_off name_len link_off link_len csum_off uname_off uname_len "
              "gname_off gname_len bits").split()
_REC = struct.Struct("<11q I i 10I")
assert _REC.size == ffi.sizeof("oc_flist_rec"), "oc_flist_rec layout changed"
_CAP = 1024                 # entries a call
_ARENA = 64 * 4096          # their names (the call ends while a longest name fits)
_OUT = 1 << 20              # encoded bytes a call


class BulkDecoder:
    def __init__(self, protocol: int, opts: int, checksum_len: int, max_entries: int):
        self.state = d = ffi.new("oc_flist_state *")
        d.protocol, d.opts, d.checksum_len, d.max_entries = protocol, opts, checksum_len, \
            max_entries
        self._out = ffi.new("oc_flist_rec[]", _CAP)
        self._arena = ffi.new("uint8_t[]", _ARENA)
        self._used = ffi.new("size_t *")
        self._status = ffi.new("int *")

    def name(self) -> bytes:
        d = self.state
        return ffi.buffer(d.name, d.name_len)[:]

    def set_name(self, name: bytes) -> None:
        if len(name) >= len(self.state.name):
            raise ValueError("a running name longer than the wire carries")
        ffi.memmove(self.state.name, name, len(name))
        self.state.name_len = len(name)

    def decode(self, buf, pos: int) -> tuple:
        """Entries from buf[pos:]: (records, bytes used, status, names)."""
        src = ffi.from_buffer(buf)
        n = lib.oc_flist_decode(self.state, src + pos, len(buf) - pos, self._used, self._out,
                                _CAP, self._arena, _ARENA, self._status)
        if not n:
            return (), self._used[0], self._status[0], b""
        recs = _REC.iter_unpack(ffi.buffer(self._out, n * _REC.size)[:])
        last = self._out[n - 1]
        names = ffi.buffer(self._arena, last.name_off + last.name_len)[:]
        return recs, self._used[0], self._status[0], names


class BulkEncoder:
    """encode(recs, data, start): packed records (pack(...) in REC_FIELDS order, offsets
    into data) from the start-th on -> (entries encoded, their bytes); it ends early
    when its buffer is full, and at once (0) before an entry it leaves to the reference."""

    def __init__(self, protocol: int, opts: int, checksum_len: int):
        self.state = s = ffi.new("oc_flist_state *")
        s.protocol, s.opts, s.checksum_len = protocol, opts, checksum_len
        self._written = ffi.new("size_t *")
        self._out = ffi.new("uint8_t[]", _OUT)

    pack = staticmethod(_REC.pack)
    name = BulkDecoder.name
    set_name = BulkDecoder.set_name

    def encode(self, recs: bytes, data: bytes, start: int) -> tuple[int, bytes]:
        n = len(recs) // _REC.size - start
        done = lib.oc_flist_encode(self.state, ffi.from_buffer("oc_flist_rec[]", recs) + start,
                                   n, ffi.from_buffer(data), self._out, _OUT, self._written)
        return done, ffi.buffer(self._out, self._written[0])[:]
