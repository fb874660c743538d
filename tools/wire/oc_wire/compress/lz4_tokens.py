"""rsync's lz4 token stream (upstream: token.c send_compressed_token, recv_compressed_token
under SUPPORT_LZ4).

Every data item is one independent LZ4 block (LZ4_compress_default, no size prefix) of at
most 16383 input bytes; when a block compresses to more than 16383 bytes the sender halves
its input until it fits. A flush with no literal data still sends one block compressed
from zero bytes. No compression level, no history between blocks, matched blocks unseen.
The receiver decompresses each item into a buffer of
max(LZ4_compressBound(32 KiB), 16385) bytes, which bounds the output.
"""
from collections.abc import Iterator

import lz4.block

from ..errors import ProtocolError
from ..token_events import CHUNK_SIZE, Literal
from .framing import MAX_DATA_COUNT, TokenDecoder, TokenEncoder, frame

__all__ = ["Lz4TokenEncoder", "Lz4TokenDecoder"]

_OUT_SIZE = max(CHUNK_SIZE + CHUNK_SIZE // 255 + 16, MAX_DATA_COUNT + 2)


class Lz4TokenEncoder(TokenEncoder):
    def _data(self, literal: bytes, flush: bool) -> bytes:
        out = bytearray()
        view = memoryview(literal)
        while True:
            n = min(len(view), MAX_DATA_COUNT)
            while True:
                comp = lz4.block.compress(view[:n], store_size=False)
                if len(comp) <= MAX_DATA_COUNT:
                    break
                n //= 2
            out += frame(comp)
            view = view[n:]
            if not view:
                return bytes(out)


class Lz4TokenDecoder(TokenDecoder):
    def _inflate(self, data: bytes, at: int) -> Iterator[Literal]:
        try:
            out = lz4.block.decompress(data, uncompressed_size=_OUT_SIZE)
        except lz4.block.LZ4BlockError as e:
            raise ProtocolError("valid lz4 data", at, str(e)) from None
        if out:
            yield Literal(out)
