"""The plain token stream (upstream: token.c simple_send_token / simple_recv_token).

int32 n > 0: n literal bytes follow (n <= CHUNK_SIZE); int32 -(k+1): block k matched;
int32 0: end of the file's tokens. Literal runs longer than CHUNK_SIZE are split.
"""
from .errors import NEED_DATA, NeedData, ProtocolError
from .ints import ByteReader, int32
from .token_events import CHUNK_SIZE, End, Literal, Match

__all__ = ["encode_literal", "encode_match", "encode_end", "TokenDecoder", "read_token",
           "PlainTokenEncoder", "PlainTokenReader"]


def encode_literal(data) -> bytes:
    if len(data) <= CHUNK_SIZE:
        return int32(len(data)) + data if data else b""
    view = memoryview(data)
    parts = []
    for off in range(0, len(data), CHUNK_SIZE):
        piece = view[off:off + CHUNK_SIZE]
        parts += (int32(len(piece)), piece)
    return b"".join(parts)


def encode_match(index: int) -> bytes:
    return int32(-(index + 1))


def encode_end() -> bytes:
    return int32(0)


def read_token(r: ByteReader, max_block: int | None = None):
    """Read one token event from r (NeedData if incomplete)."""
    at = r.offset
    n = r.read_int32()
    if n == 0:
        return End()
    if n > 0:
        if n > CHUNK_SIZE:
            raise ProtocolError(f"a literal run of at most {CHUNK_SIZE} bytes", at, str(n))
        return Literal(r.read_bytes(n))
    index = -n - 1
    if max_block is not None and index >= max_block:
        raise ProtocolError(f"a block index below {max_block}", at, str(index))
    return Match(index)


class TokenDecoder:
    """Incremental decoder: receive_data(bytes), next_event() -> event or NEED_DATA."""

    def __init__(self, max_block: int | None = None):
        self._buf = bytearray()
        self._base = 0
        self._max_block = max_block

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    def next_event(self):
        r = ByteReader(bytes(self._buf), self._base)
        try:
            ev = read_token(r, self._max_block)
        except NeedData:
            return NEED_DATA
        del self._buf[:r.pos]
        self._base += r.pos
        return ev


class PlainTokenEncoder:
    """The plain stream behind the same token(token, literal, block) call as the
    compressed encoders (compress/framing.py): -1 ends the file, -2 only flushes."""

    sees_blocks = False  # the plain stream never needs a matched block's bytes

    def token(self, token: int, literal: bytes = b"", block: bytes | None = None) -> bytes:
        out = encode_literal(literal) if literal else b""
        if token >= 0:
            return out + encode_match(token)
        return out + encode_end() if token == -1 else out


class PlainTokenReader:
    """read_file(reader, block, count): one file's events up to End, like the compressed
    decoders (block is unused: the plain stream needs no basis to decode)."""

    def read_file(self, r: ByteReader, block=None, count: int | None = None):
        while not isinstance(ev := read_token(r, count), End):
            yield ev
        yield ev
