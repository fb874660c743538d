"""rsync's deflate token stream, `zlib` and `zlibx` (upstream: token.c send_deflated_token,
recv_deflated_token, see_deflate_token). The flag framing is in framing.py.

Data items carry raw deflate (window 15, memLevel 8, default strategy); a data run ends
with a sync flush whose 00 00 ff ff trailer is not sent, and the receiver puts it back.
Every file starts a fresh deflate stream.

Old-style zlib (CPRES_ZLIB) also puts each matched block into the compressor's history;
zlibx does not. Upstream does it with its bundled zlib's Z_INSERT_ONLY; built against a
system zlib (as Debian's rsync is), it deflates the block with Z_SYNC_FLUSH and throws the
output away, which stock zlib reproduces exactly. The receiver inserts the block into its
inflater as a fake stored block. Blocks over 65535 bytes go in 65535-byte pieces; below
protocol 31 every piece repeats the block's first bytes (upstream's data-duplicating bug,
kept for the wire).
"""
import zlib
from collections.abc import Iterator

from ..errors import LimitError, ProtocolError
from ..token_events import CHUNK_SIZE, Literal
from .framing import MAX_DATA_COUNT, TokenDecoder, TokenEncoder, frame

__all__ = ["ZlibTokenEncoder", "ZlibTokenDecoder", "DEFAULT_LEVEL"]

DEFAULT_LEVEL = 6
_TRAILER = b"\x00\x00\xff\xff"


def _history_pieces(data: bytes, protocol: int) -> Iterator[bytes]:
    """How a matched block goes into history, in upstream's pieces."""
    left, off = len(data), 0
    while True:
        n = min(left, 0xFFFF)
        yield data[off:off + n]
        left -= n
        if protocol >= 31:
            off += n
        if left <= 0:
            return


class ZlibTokenEncoder(TokenEncoder):
    """insert_matches=False gives zlibx."""

    def __init__(self, protocol: int, level: int = DEFAULT_LEVEL, insert_matches: bool = True):
        super().__init__()
        self.protocol, self.level, self.insert = protocol, level, insert_matches
        self.sees_blocks = insert_matches
        self.c = None

    def _begin_file(self) -> None:
        self.c = zlib.compressobj(self.level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)

    def _data(self, literal: bytes, flush: bool) -> bytes:
        """Compress literal (upstream feeds it in CHUNK_SIZE pieces) and frame the output
        the way upstream's 16383-byte output buffer does."""
        pieces = [literal[i:i + CHUNK_SIZE] for i in range(0, len(literal), CHUNK_SIZE)]
        before = b"".join(self.c.compress(p) for p in pieces[:-1])
        last = self.c.compress(pieces[-1]) if pieces else b""
        if flush:
            last += self.c.flush(zlib.Z_SYNC_FLUSH)
        out = bytearray()
        full = len(before) // MAX_DATA_COUNT * MAX_DATA_COUNT  # written while input remained
        for i in range(0, full, MAX_DATA_COUNT):
            out += frame(before[i:i + MAX_DATA_COUNT])
        tail = before[full:] + last
        if flush:
            while len(tail) >= MAX_DATA_COUNT:  # full buffer: keep its last 4 bytes
                out += frame(tail[:MAX_DATA_COUNT - 4])
                tail = tail[MAX_DATA_COUNT - 4:]
            tail = tail[:-4]  # the sync-flush trailer is never sent
        else:
            while len(tail) >= MAX_DATA_COUNT:
                out += frame(tail[:MAX_DATA_COUNT])
                tail = tail[MAX_DATA_COUNT:]
        if tail:
            out += frame(tail)
        return bytes(out)

    def _see(self, block: bytes) -> None:
        if self.insert:
            for piece in _history_pieces(block, self.protocol):
                self.c.compress(piece)
                self.c.flush(zlib.Z_SYNC_FLUSH)  # what a system-zlib rsync does; discarded


class ZlibTokenDecoder(TokenDecoder):
    """A fresh inflater per file; insert_matches=False gives zlibx. With old-style zlib,
    read_file needs block(i), the basis bytes of block i (only their length matters for
    walking the stream: zeros of the right length keep the structure, not the content)."""

    def __init__(self, protocol: int, insert_matches: bool = True):
        self.protocol, self.sees_blocks = protocol, insert_matches
        self.d = None

    def _begin_file(self) -> None:
        self.d = zlib.decompressobj(-15)

    def _inflate(self, data: bytes, at: int) -> Iterator[Literal]:
        d = self.d
        try:
            out = d.decompress(data, CHUNK_SIZE)
            while out:
                yield Literal(out)
                if len(out) < CHUNK_SIZE and not d.unconsumed_tail:
                    break
                out = d.decompress(d.unconsumed_tail, CHUNK_SIZE)
        except zlib.error as e:
            raise ProtocolError("valid deflate data", at, str(e)) from None

    def _end_data(self, at: int) -> Iterator[Literal]:
        return self._inflate(_TRAILER, at)

    def _see(self, data: bytes, at: int) -> None:
        """upstream see_deflate_token: the block as stored blocks, output discarded."""
        for piece in _history_pieces(data, self.protocol):
            n = len(piece)
            hdr = bytes((0, n & 0xFF, n >> 8, ~n & 0xFF, (~n >> 8) & 0xFF))
            try:
                if len(self.d.decompress(hdr + piece, 0x10000)) != n:
                    raise LimitError("a stored block the size of the matched block", at)
            except zlib.error as e:
                raise ProtocolError("an inflater in sync with the sender", at, str(e)) from None
