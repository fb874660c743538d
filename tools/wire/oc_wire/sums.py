"""Sum head and block sums (upstream: io.c write_sum_head/read_sum_head,
generator.c generate_and_send_sums, sender.c receive_sums).

Sum head: int32 count, int32 block length, int32 strong-sum length (protocol >= 27),
int32 remainder. Then per block: int32 rolling sum and s2length strong-sum bytes.
"""
import struct
import sys

from oc_core.record import record

from .errors import LimitError
from .ints import ByteReader, int32

_HEAD = struct.Struct("<4i")

__all__ = ["SumHead", "MAX_BLOCK_SIZE", "OLD_MAX_BLOCK_SIZE", "MAX_DIGEST_LEN",
           "encode_sum_head", "read_sum_head", "encode_block", "read_blocks"]

MAX_BLOCK_SIZE = 1 << 17
OLD_MAX_BLOCK_SIZE = 1 << 29
MAX_DIGEST_LEN = 64
MAX_SUM_COUNT = 1 << 28
_RECORDS = 1 << 16


@record(frozen=True, slots=True)
class SumHead:
    count: int
    block_len: int
    s2len: int
    remainder: int

    def blocks_len(self, index: int, count: int = 1) -> int:
        """Bytes in `count` blocks from block `index` (the last block may be short)."""
        last = index + count - 1
        return (count - 1) * self.block_len + (
            self.remainder if last == self.count - 1 and self.remainder else self.block_len)

    @property
    def basis_size(self) -> int:
        if self.count == 0:
            return 0
        return (self.count - 1) * self.block_len + (self.remainder or self.block_len)


def encode_sum_head(h: SumHead) -> bytes:
    return int32(h.count) + int32(h.block_len) + int32(h.s2len) + int32(h.remainder)


def read_sum_head(r: ByteReader, protocol: int, max_s2len: int = MAX_DIGEST_LEN) -> SumHead:
    """upstream read_sum_head's checks, as LimitError/ProtocolError with the offset of the
    field (the four int32s are read at once)."""
    at = r.offset
    count, block_len, s2len, remainder = _HEAD.unpack(r.read_bytes(16))
    if not 0 <= count <= MAX_SUM_COUNT:
        raise LimitError(f"a block count 0..{MAX_SUM_COUNT}", at, str(count))
    max_blen = OLD_MAX_BLOCK_SIZE if protocol < 30 else MAX_BLOCK_SIZE
    if not 0 <= block_len <= max_blen or (count and block_len == 0):
        raise LimitError(f"a block length 1..{max_blen}", at + 4, str(block_len))
    if not 0 <= s2len <= max_s2len:
        raise LimitError(f"a strong-sum length 0..{max_s2len}", at + 8, str(s2len))
    if not 0 <= remainder <= block_len:
        raise LimitError(f"a remainder 0..{block_len}", at + 12, str(remainder))
    return SumHead(count, block_len, s2len, remainder)


def encode_block(sum1: int, strong: bytes) -> bytes:
    return int32(sum1 - (1 << 32) if sum1 >= 1 << 31 else sum1) + strong


def read_blocks(r: ByteReader, head: SumHead):
    """All block sums of a signature: (sum1 values as an unsigned 32-bit array,
    concatenated strong sums). Records are read up to _RECORDS at a time (memory grows
    with what arrived, never with a count alone) and split into their two columns by
    strided slices, each field's bytes at once."""
    if not head.count:  # (no basis: every new file of a first copy)
        return (), b""
    from array import array  # (not at import: it loads collections.abc, 3 ms of a start)
    rec = 4 + head.s2len
    sum1, strong = array("I" if array("I").itemsize == 4 else "L"), bytearray()
    left = head.count
    while left:
        n = min(left, _RECORDS)
        data = r.read_bytes(n * rec)
        sum1.frombytes(_column(data, 0, 4, rec))
        strong += _column(data, 4, head.s2len, rec)
        left -= n
    if sys.byteorder == "big":
        sum1.byteswap()
    return sum1, bytes(strong)


def _column(data: bytes, start: int, width: int, rec: int) -> bytearray:
    """Bytes start..start+width of every rec-byte record of data, end to end."""
    out = bytearray(len(data) // rec * width)
    for k in range(width):
        out[k::width] = data[start + k::rec]
    return out
