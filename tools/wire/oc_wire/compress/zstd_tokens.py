"""rsync's zstd token stream (upstream: token.c send_zstd_token, recv_zstd_token).

One zstd stream runs for the whole session, in each direction: the compressor and the
decompressor are created once and never reset between files. Literal data is compressed
with ZSTD_e_continue while more literal data of the same file may follow (token -2) and
with ZSTD_e_flush otherwise, so the receiver can finish each file; the output is sent in
items of at most 16383 bytes as it comes out. Matched blocks never enter the history.
Level: upstream's default is ZSTD_CLEVEL_DEFAULT (3); nbWorkers is 0.

The output bytes depend on the zstd library version (Debian's rsync 3.5.0 uses 1.5.4, the
zstandard wheel bundles its own), so they may differ from upstream's while decoding the
same; each side only needs to decode the other.
"""
from collections.abc import Iterator

import zstandard

from ..errors import ProtocolError
from ..token_events import CHUNK_SIZE, Literal
from .framing import MAX_DATA_COUNT, TokenDecoder, TokenEncoder, frame

__all__ = ["ZstdTokenEncoder", "ZstdTokenDecoder", "DEFAULT_LEVEL", "level_range"]

DEFAULT_LEVEL = 3
# zstd can expand a few input bytes into a 128 KiB block: feed the decompressor this much
# at a time so one call never produces more than a few MiB.
_FEED = 256


def level_range() -> tuple[int, int]:
    """Upstream clamps --compress-level to ZSTD_minCLevel()..ZSTD_maxCLevel()."""
    return -(1 << 17), zstandard.MAX_COMPRESSION_LEVEL


class ZstdTokenEncoder(TokenEncoder):
    def __init__(self, level: int = DEFAULT_LEVEL):
        super().__init__()
        self.c = zstandard.ZstdCompressor(level=level).compressobj()

    def _data(self, literal: bytes, flush: bool) -> bytes:
        out = self.c.compress(literal) if literal else b""
        if flush:
            out += self.c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        return b"".join(frame(out[i:i + MAX_DATA_COUNT])
                        for i in range(0, len(out), MAX_DATA_COUNT))


class ZstdTokenDecoder(TokenDecoder):
    def __init__(self):
        self.d = zstandard.ZstdDecompressor().decompressobj()

    def _inflate(self, data: bytes, at: int) -> Iterator[Literal]:
        for i in range(0, len(data), _FEED):
            try:
                out = self.d.decompress(data[i:i + _FEED])
            except zstandard.ZstdError as e:
                raise ProtocolError("valid zstd data", at, str(e)) from None
            for j in range(0, len(out), CHUNK_SIZE):
                yield Literal(out[j:j + CHUNK_SIZE])
