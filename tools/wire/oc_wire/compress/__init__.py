"""Token streams by compression name (upstream: token.c send_token/recv_token switch).

Names as negotiated (compat.c valid_compressions): "none", "zlib", "zlibx", "zstd", "lz4".
Every encoder has token(token, literal, block) -> bytes; every reader has
read_file(reader, block, count) yielding Literal/Match/End. One encoder and one reader
serve a whole session in each direction (zstd keeps its stream across files).
Each codec's module (and its compression library) is imported when first asked for.
"""
from ..tokens import PlainTokenEncoder, PlainTokenReader

__all__ = ["COMPRESSIONS", "token_encoder", "token_reader", "default_level", "effective_level"]

COMPRESSIONS = ("zstd", "lz4", "zlibx", "zlib", "none")
_DEFAULT_LEVEL = {"zlib": 6, "zlibx": 6, "zstd": 3, "lz4": 0, "none": 0}


def default_level(name: str) -> int:
    return _DEFAULT_LEVEL[name]


def effective_level(name: str, level: int | None) -> int | None:
    """The level a --compress-level gives this compression, None when it turns it off
    (upstream: token.c init_compression_level): zlib's 0 is off and -1 its default,
    1..9; zstd's 0 is its default, its own range; lz4 has 0 alone."""
    if name == "none":
        return None
    if level is None:
        return default_level(name)
    if name in ("zlib", "zlibx"):
        return None if level == 0 else 6 if level == -1 else min(max(level, 1), 9)
    if name == "zstd":
        return 3 if level == 0 else min(max(level, -131072), 22)
    return 0


def token_encoder(name: str, protocol: int, level: int | None = None):
    level = effective_level(name, level)
    if name == "none":
        return PlainTokenEncoder()
    if name in ("zlib", "zlibx"):
        from .zlib_tokens import ZlibTokenEncoder
        return ZlibTokenEncoder(protocol, level, insert_matches=name == "zlib")
    if name == "zstd":
        from .zstd_tokens import ZstdTokenEncoder
        return ZstdTokenEncoder(level)
    if name == "lz4":
        from .lz4_tokens import Lz4TokenEncoder
        return Lz4TokenEncoder()
    raise ValueError(f"unknown compression {name!r}")


def token_reader(name: str, protocol: int):
    if name == "none":
        return PlainTokenReader()
    if name in ("zlib", "zlibx"):
        from .zlib_tokens import ZlibTokenDecoder
        return ZlibTokenDecoder(protocol, insert_matches=name == "zlib")
    if name == "zstd":
        from .zstd_tokens import ZstdTokenDecoder
        return ZstdTokenDecoder()
    if name == "lz4":
        from .lz4_tokens import Lz4TokenDecoder
        return Lz4TokenDecoder()
    raise ValueError(f"unknown compression {name!r}")
