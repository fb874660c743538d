"""The plain token stream (upstream: token.c simple_send_token / simple_recv_token).

int32 n > 0: n literal bytes follow (n <= CHUNK_SIZE); int32 -(k+1): block k matched;
int32 0: end of the file's tokens. Literal runs longer than CHUNK_SIZE are split.
"""
import struct

from .errors import NEED_DATA, NeedData, ProtocolError
from .ints import ByteReader, int32
from .token_events import CHUNK_SIZE, End, Literal, Match

_INT32S = struct.Struct("<i")

__all__ = ["encode_literal", "literal_parts", "encode_match", "encode_end", "TokenDecoder",
           "read_token", "PlainTokenEncoder", "PlainTokenReader"]


def encode_literal(data) -> bytes:
    if len(data) <= CHUNK_SIZE:
        return int32(len(data)) + data if data else b""
    return b"".join(literal_parts(data))


def literal_parts(data) -> list:
    """encode_literal's pieces, none copied: each CHUNK_SIZE piece's length and a view
    of it (one join makes the stream)."""
    view = memoryview(data)
    parts = []
    for off in range(0, len(data), CHUNK_SIZE):
        piece = view[off:off + CHUNK_SIZE]
        parts += (int32(len(piece)), piece)
    return parts


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

    def whole_file(self, data) -> list:
        """A file's tokens when it is all literal data, the end included: its pieces'
        lengths and views of them (nothing copied until the caller joins them)."""
        return literal_parts(data) + [encode_end()]

    def token(self, token: int, literal: bytes = b"", block: bytes | None = None) -> bytes:
        out = encode_literal(literal) if literal else b""
        if token >= 0:
            return out + encode_match(token)
        return out + encode_end() if token == -1 else out


_RUN_WINDOW = 16 << 10  # bytes of buffered input looked at for a run of matches


class PlainTokenReader:
    """read_file(reader, block, count): one file's events up to End, like the compressed
    decoders (block is unused: the plain stream needs no basis to decode).

    Over a buffered stream (stream.PullReader with a window), the match tokens that
    follow a match and are already in the buffer are decoded at once, consumed with
    one advance and given as runs (Match.count): a big file that is mostly the same
    comes as tens of thousands of 4-byte tokens. Anything else (a literal, the end, a
    bad index) is read token by token; a stream of literals (small new files) never
    looks ahead."""

    def read_file(self, r: ByteReader, block=None, count: int | None = None):
        buffered = getattr(r, "buffered", False)
        while True:
            if buffered:  # the literals (and the end) already here, parsed in place
                taken, events = _literals(r.head())
                if taken:
                    r.advance(taken)
                    yield from events
                    if type(events[-1]) is End:
                        return
                    continue
            ev = read_token(r, count)
            if buffered and type(ev) is Match:  # (a token follows: at least the end)
                # it and the match tokens already buffered behind it, as runs of
                # consecutive blocks; each window's runs before waiting for more bytes
                pending = ev
                while True:
                    taken, runs = _match_runs(r.window(4, _RUN_WINDOW), count, pending)
                    r.advance(4 * taken)
                    yield from runs
                    if not taken:
                        break
                    pending = None
                continue
            yield ev
            if type(ev) is End:
                return


def _literals(buf) -> tuple[int, list]:
    """The literal tokens complete at the start of buf, and the end token when it comes
    next: (bytes taken, their events). Anything else (a match, a token cut short, a bad
    length) is left for read_token to read or refuse."""
    out, pos, end = [], 0, len(buf) - 4
    while pos <= end:
        (n,) = _INT32S.unpack_from(buf, pos)
        if n == 0:
            out.append(End())
            return pos + 4, out
        if not 0 < n <= CHUNK_SIZE or pos + 4 + n > len(buf):
            break
        out.append(Literal(bytes(buf[pos + 4:pos + 4 + n])))
        pos += 4 + n
    return pos, out


def _match_runs(buf: bytes, count: int | None, pending: Match | None) -> tuple[int, list]:
    """The match tokens at the start of buf, up to the first other token or index out
    of range (left for read_token to read or refuse), as Matches of consecutive blocks,
    the first continuing `pending` when it can: (tokens taken, the Matches)."""
    out = []
    first, n = (pending.index, pending.count) if pending is not None else (0, 0)
    taken = 0
    for (v,) in _INT32S.iter_unpack(buf[:len(buf) // 4 * 4]):
        i = -v - 1
        if v >= 0 or (count is not None and i >= count):
            break
        taken += 1
        if n and i == first + n:
            n += 1
        else:
            if n:
                out.append(Match(first, n))
            first, n = i, 1
    if n:
        out.append(Match(first, n))
    return taken, out
