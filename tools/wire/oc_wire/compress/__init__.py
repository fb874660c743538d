"""Token streams by compression name (upstream: token.c send_token/recv_token switch).

Names as negotiated (compat.c valid_compressions): "none", "zlib", "zlibx", "zstd", "lz4".
Every encoder has token(token, literal, block) -> bytes; every reader has
read_file(reader, block, count) yielding Literal/Match/End. One encoder and one reader
serve a whole session in each direction (zstd keeps its stream across files).
"""
from ..tokens import PlainTokenEncoder, PlainTokenReader
from .lz4_tokens import Lz4TokenDecoder, Lz4TokenEncoder
from .zlib_tokens import ZlibTokenDecoder, ZlibTokenEncoder
from .zstd_tokens import ZstdTokenDecoder, ZstdTokenEncoder

__all__ = ["COMPRESSIONS", "token_encoder", "token_reader", "default_level"]

COMPRESSIONS = ("zstd", "lz4", "zlibx", "zlib", "none")
_DEFAULT_LEVEL = {"zlib": 6, "zlibx": 6, "zstd": 3, "lz4": 0, "none": 0}


def default_level(name: str) -> int:
    return _DEFAULT_LEVEL[name]


def token_encoder(name: str, protocol: int, level: int | None = None):
    level = default_level(name) if level is None else level
    if name == "none":
        return PlainTokenEncoder()
    if name in ("zlib", "zlibx"):
        return ZlibTokenEncoder(protocol, level, insert_matches=name == "zlib")
    if name == "zstd":
        return ZstdTokenEncoder(level)
    if name == "lz4":
        return Lz4TokenEncoder()
    raise ValueError(f"unknown compression {name!r}")


def token_reader(name: str, protocol: int):
    if name == "none":
        return PlainTokenReader()
    if name in ("zlib", "zlibx"):
        return ZlibTokenDecoder(protocol, insert_matches=name == "zlib")
    if name == "zstd":
        return ZstdTokenDecoder()
    if name == "lz4":
        return Lz4TokenDecoder()
    raise ValueError(f"unknown compression {name!r}")
