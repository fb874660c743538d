"""File-index (ndx) encoding (upstream: io.c write_ndx/read_ndx).

Protocol >= 30: NDX_DONE is one 0 byte; other values are delta-coded against the previous
value of the same sign (negatives after a 0xFF byte): a diff of 1..253 is one byte, else
0xFE and a 2-byte big-endian diff, or 0xFE and the 4-byte value with the top bit set.
Protocol < 30: a plain int32. Each direction keeps its own state: one object per direction.
"""
from .errors import ProtocolError
from .ints import ByteReader, int32

__all__ = ["NDX_DONE", "NDX_FLIST_EOF", "NDX_DEL_STATS", "NDX_FLIST_OFFSET", "NdxCodec"]

NDX_DONE = -1
NDX_FLIST_EOF = -2
NDX_DEL_STATS = -3
NDX_FLIST_OFFSET = -101


class NdxCodec:
    """Encoder or decoder state for one direction of ndx values."""

    def __init__(self, protocol: int):
        self.protocol = protocol
        self._prev_pos = -1
        self._prev_neg = 1

    def encode(self, ndx: int) -> bytes:
        if self.protocol < 30:
            return int32(ndx)
        if ndx == NDX_DONE:
            return b"\0"
        out = bytearray()
        if ndx >= 0:
            diff, self._prev_pos = ndx - self._prev_pos, ndx
        else:
            out.append(0xFF)
            ndx = -ndx
            diff, self._prev_neg = ndx - self._prev_neg, ndx
        if 0 < diff < 0xFE:
            out.append(diff)
        elif diff < 0 or diff > 0x7FFF:
            out += bytes((0xFE, (ndx >> 24) | 0x80, ndx & 0xFF, (ndx >> 8) & 0xFF,
                          (ndx >> 16) & 0xFF))
        else:
            out += bytes((0xFE, diff >> 8, diff & 0xFF))
        return bytes(out)

    def decode(self, r: ByteReader) -> int:
        """Read one ndx; on NeedData the caller must retry with a fresh reader and this
        object's state is unchanged."""
        if self.protocol < 30:
            return r.read_int32()
        b = r.read_byte()
        negative = b == 0xFF
        if negative:
            b = r.read_byte()
        elif b == 0:
            return NDX_DONE
        prev = self._prev_neg if negative else self._prev_pos
        if b == 0xFE:
            hi, lo = r.read_byte(), r.read_byte()
            if hi & 0x80:
                b2, b3 = r.read_byte(), r.read_byte()
                num = (hi & 0x7F) << 24 | b3 << 16 | b2 << 8 | lo
            else:
                num = (hi << 8 | lo) + prev
        else:
            num = b + prev
        if num > 0x7FFFFFFF:
            raise ProtocolError("a file index below 2**31", r.offset, str(num))
        if negative:
            self._prev_neg = num
            return -num
        self._prev_pos = num
        return num
