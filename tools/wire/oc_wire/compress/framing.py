"""The framing every compressed token stream shares (upstream: token.c, the run logic of
send_deflated_token / send_zstd_token / send_compressed_token, recv_compressed_token_num).

One flag byte per item. 0x40|hi6 + lo8: that many bytes (at most 16383) of compressed data
follow. 0x80|r: block (last run end + r); 0xc0|r: the same plus a 16-bit count of further
adjacent blocks; 0x20 + int32 and 0x21 + int32 + count: the absolute forms. 0x00 ends a file.

TokenEncoder holds the run bookkeeping and calls the codec's hooks; TokenDecoder parses
the flags and hands compressed payloads to the codec. Codecs differ only in what the data
bytes are and whether matched blocks enter the compressor's history.
"""
from collections.abc import Callable, Iterator

from ..errors import ProtocolError
from ..ints import ByteReader, int32
from ..token_events import CHUNK_SIZE, End, Literal, Match

__all__ = ["TokenEncoder", "TokenDecoder", "frame", "MAX_DATA_COUNT"]

END_FLAG = 0x00
TOKEN_LONG = 0x20
TOKENRUN_LONG = 0x21
DEFLATED_DATA = 0x40
TOKEN_REL = 0x80
TOKENRUN_REL = 0xC0
MAX_DATA_COUNT = 16383
MAX_TOKEN_INDEX = 0x7FFFFFFF - 1


def frame(data: bytes) -> bytes:
    """One compressed-data item: the 14-bit length in the flag and next byte, then data."""
    return bytes((DEFLATED_DATA + (len(data) >> 8), len(data) & 0xFF)) + data


class TokenEncoder:
    """token(token, literal, block) -> bytes, called as upstream calls send_token for each
    matched() record: token >= 0 a block (block = its bytes), -2 flush only, -1 end.

    Subclasses implement _begin_file(), _data(literal, flush) -> bytes (flush is True when
    the literal run must be complete on the wire, i.e. the token is not -2) and optionally
    _see(block) for codecs that put matched blocks into their history."""

    sees_blocks = False  # True: token() needs each matched block's bytes

    def __init__(self):
        self.last_token = -1
        self.run_start = self.last_run_end = 0
        self.flush_pending = False

    def _begin_file(self) -> None:
        pass

    def _data(self, literal: bytes, flush: bool) -> bytes:
        raise NotImplementedError

    def _see(self, block: bytes) -> None:
        pass

    def _run_bytes(self) -> bytes:
        r = self.run_start - self.last_run_end
        n = self.last_token - self.run_start
        if 0 <= r <= 63:
            out = bytes(((TOKEN_REL if n == 0 else TOKENRUN_REL) + r,))
        else:
            out = bytes((TOKEN_LONG if n == 0 else TOKENRUN_LONG,)) + int32(self.run_start)
        if n:
            out += bytes((n & 0xFF, (n >> 8) & 0xFF))
        return out

    def whole_file(self, data: bytes) -> list:
        """The tokens of a file sent whole as literal data (no basis), the end included,
        in CHUNK_SIZE pieces as upstream's no-blocks path flushes them."""
        chunk = CHUNK_SIZE
        return [self.token(-1 if off + chunk >= len(data) else -2, data[off:off + chunk])
                for off in range(0, len(data), chunk)] or [self.token(-1)]

    def token(self, token: int, literal: bytes = b"", block: bytes | None = None) -> bytes:
        out = bytearray()
        nb = len(literal)
        if self.last_token == -1:
            self._begin_file()
            self.last_run_end = 0
            self.run_start = token
            self.flush_pending = False
        elif self.last_token == -2:
            self.run_start = token
        elif nb or token != self.last_token + 1 or token >= self.run_start + 65536:
            out += self._run_bytes()
            self.last_run_end = self.last_token
            self.run_start = token
        self.last_token = token
        if nb or self.flush_pending:
            out += self._data(literal, flush=token != -2)
            self.flush_pending = token == -2
        if token == -1:
            out.append(END_FLAG)
        elif token != -2:
            self._see(block or b"")
        return bytes(out)


class TokenDecoder:
    """read_file(reader, block) yields Literal (<= 32 KiB each), Match and finally End.

    Subclasses implement _begin_file(), _inflate(payload, at) -> Iterator[Literal],
    optionally _end_data(at) (called before the first non-data item after data) and
    _see(block, at) (matched blocks into history; block(i) returns basis block i)."""

    sees_blocks = False

    def _begin_file(self) -> None:
        pass

    def _inflate(self, payload: bytes, at: int) -> Iterator[Literal]:
        raise NotImplementedError

    def _end_data(self, at: int) -> Iterator[Literal]:
        return iter(())

    def _see(self, data: bytes, at: int) -> None:
        pass

    def read_file(self, r: ByteReader, block: Callable[[int], bytes] | None = None,
                  count: int | None = None) -> Iterator[object]:
        """count: the number of blocks in the sum head (block indexes must stay below)."""
        limit = MAX_TOKEN_INDEX if count is None else count - 1
        if self.sees_blocks and block is None:
            raise ValueError("this codec needs the basis blocks (block callback)")
        self._begin_file()
        token = 0
        in_data = False
        while True:
            at = r.offset
            flag = r.read_byte()
            if flag & 0xC0 == DEFLATED_DATA:
                n = (flag & 0x3F) << 8 | r.read_byte()
                yield from self._inflate(r.read_bytes(n), at)
                in_data = True
                continue
            if in_data:
                yield from self._end_data(at)
                in_data = False
            if flag == END_FLAG:
                yield End()
                return
            if flag & TOKEN_REL:
                token += flag & 0x3F
                run_flag = flag >> 6 & 1
            elif flag in (TOKEN_LONG, TOKENRUN_LONG):
                token = r.read_int32()
                run_flag = flag & 1
            else:
                raise ProtocolError("a compressed-token flag byte", at, f"{flag:#04x}")
            run = r.read_shortint() if run_flag else 0
            if not 0 <= token <= limit - run or (run_flag and run == 0):
                raise ProtocolError(f"a block index 0..{limit}", at, f"{token}+{run}")
            for i in range(token, token + run + 1):
                yield Match(i)
                if self.sees_blocks:
                    self._see(block(i), at)
            token += run
