"""Integers as rsync writes them (upstream: io.c write_int, write_longint, write_varint,
write_varlong, write_vstring, and the matching read_* functions).

varint/varlong: the first byte's high bits say how many extra bytes follow (int_byte_extra);
the value's bytes are little-endian, the topmost partial byte lives in the first byte.
varlong has a minimum byte count (3 for sizes, 4 for mtimes). longint is the pre-30 64-bit
form: an int32, or 0xffffffff followed by 8 bytes.
"""
import struct

from .errors import LimitError, NeedData, ProtocolError

__all__ = ["int32", "uint32", "shortint", "byte", "longint", "varint", "varlong", "vstring",
           "ByteReader"]

_INT32 = struct.Struct("<i")
_BYTES = [bytes((i,)) for i in range(256)]
_EXTRA = [0] * 32 + [1] * 16 + [2] * 8 + [3] * 4 + [4] * 2 + [5, 6]


def int32(v: int) -> bytes:
    return _INT32.pack(v)


def uint32(v: int) -> bytes:
    return struct.pack("<I", v)


def shortint(v: int) -> bytes:
    return struct.pack("<H", v)


def byte(v: int) -> bytes:
    return _BYTES[v & 0xFF]


def longint(v: int) -> bytes:
    if 0 <= v <= 0x7FFFFFFF:
        return struct.pack("<i", v)
    return b"\xff\xff\xff\xff" + struct.pack("<q", v)


def _var(v: int, min_bytes: int, width: int) -> bytes:
    """v as a two's-complement value of `width` bytes, at least min_bytes written: the
    lead byte's high bits count the extra bytes (upstream: io.c write_var_number)."""
    raw = v & ((1 << 8 * width) - 1)
    cnt = max(min_bytes, (raw.bit_length() + 7) // 8)
    top = raw >> 8 * (cnt - 1)
    bit = 1 << (7 - cnt + min_bytes)
    if top >= bit:  # the top byte goes whole: one more byte, the lead only counts
        return _BYTES[~(bit - 1) & 0xFF] + raw.to_bytes(cnt, "little")
    lead = top | (~(bit * 2 - 1) & 0xFF) if cnt > min_bytes else top
    return _BYTES[lead] + (raw & ((1 << 8 * (cnt - 1)) - 1)).to_bytes(cnt - 1, "little")


def varint(v: int) -> bytes:
    """An int32 (or a uint32: the same 32 bits); anything wider is a ValueError."""
    if 0 <= v < 0x80:
        return _BYTES[v]
    if not -1 << 31 <= v < 1 << 32:
        raise ValueError(f"{v} does not fit a varint's 32 bits")
    return _var(v, 1, 4)


def varlong(v: int, min_bytes: int) -> bytes:
    if 0 <= v < 1 << (8 * min_bytes - 1):  # no extra bytes: the top byte leads
        top = 8 * (min_bytes - 1)
        return _BYTES[v >> top] + (v & ((1 << top) - 1)).to_bytes(min_bytes - 1, "little")
    if not -1 << 63 <= v < 1 << 63:
        raise ValueError(f"{v} does not fit a varlong's 64 bits")
    return _var(v, min_bytes, 8)


def vstring(s: bytes) -> bytes:
    """write_vstring: 1 length byte, or 2 (high bit set) for lengths 128..32767."""
    if len(s) > 0x7FFF:
        raise ValueError("vstring longer than 32767 bytes")
    head = bytes((len(s),)) if len(s) < 0x80 else bytes((len(s) >> 8 | 0x80, len(s) & 0xFF))
    return head + s


class ByteReader:
    """Reads rsync integers from a buffer; raises NeedData when the buffer ends mid-value.

    base is the absolute stream offset of buf[0], so errors name stream offsets."""

    def __init__(self, buf, base: int = 0, pos: int = 0):
        self.buf = memoryview(buf).cast("B") if not isinstance(buf, bytes) else buf
        self.base = base
        self.pos = pos

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def remaining(self) -> int:
        return len(self.buf) - self.pos

    def read_bytes(self, n: int, limit: int | None = None, what: str = "bytes") -> bytes:
        if n < 0 or (limit is not None and n > limit):
            raise LimitError(f"{what} length 0..{limit}", self.offset, str(n))
        if self.pos + n > len(self.buf):
            raise NeedData()
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    # The fast paths below read self.buf directly when the value is all there (a
    # PullReader's buf is empty: it always takes the general path through read_bytes).
    def read_byte(self) -> int:
        pos = self.pos
        if pos < len(self.buf):
            self.pos = pos + 1
            return self.buf[pos]
        return self.read_bytes(1)[0]

    def read_shortint(self) -> int:
        return struct.unpack("<H", self.read_bytes(2))[0]

    def read_int32(self) -> int:
        pos = self.pos
        if pos + 4 <= len(self.buf):
            self.pos = pos + 4
            return _INT32.unpack_from(self.buf, pos)[0]
        return _INT32.unpack(self.read_bytes(4))[0]

    def read_uint32(self) -> int:
        return struct.unpack("<I", self.read_bytes(4))[0]

    def read_longint(self) -> int:
        v = self.read_int32()
        if v != -1:
            return v
        return struct.unpack("<q", self.read_bytes(8))[0]

    def read_varint(self) -> int:
        pos = self.pos
        if pos < len(self.buf) and self.buf[pos] < 0x80:
            self.pos = pos + 1
            return self.buf[pos]
        start = self.offset
        ch = self.read_byte()
        extra = _EXTRA[ch // 4]
        if extra >= 5:
            raise ProtocolError("a varint of at most 5 bytes", start, f"lead byte {ch:#x}")
        if not extra:
            return ch
        bit = 1 << (8 - extra)
        raw = self.read_bytes(extra) + bytes((ch & (bit - 1),))
        return struct.unpack("<i", (raw + b"\0\0\0\0")[:4])[0]

    def read_varlong(self, min_bytes: int) -> int:
        pos, buf = self.pos, self.buf
        if pos + min_bytes <= len(buf) and buf[pos] < 0x80:  # no extra bytes
            self.pos = pos + min_bytes
            return (int.from_bytes(buf[pos + 1:pos + min_bytes], "little")
                    | buf[pos] << 8 * (min_bytes - 1))
        start = self.offset
        head = self.read_bytes(min_bytes)
        extra = _EXTRA[head[0] // 4]
        if min_bytes + extra > 9:
            raise ProtocolError("a varlong of at most 9 bytes", start, f"lead byte {head[0]:#x}")
        if extra:
            bit = 1 << (8 - extra)
            raw = head[1:] + self.read_bytes(extra) + bytes((head[0] & (bit - 1),))
        else:
            raw = head[1:] + head[:1]
        return struct.unpack("<q", (raw + b"\0" * 8)[:8])[0]

    def read_vstring(self, limit: int = 0x7FFF) -> bytes:
        n = self.read_byte()
        if n & 0x80:
            n = (n & 0x7F) << 8 | self.read_byte()
        return self.read_bytes(n, limit, "vstring")
