"""rsync's deflate token stream (upstream: token.c send_deflated_token, recv_deflated_token,
see_deflate_token, recv_compressed_token_num).

Framing: a flag byte per item. 0x40|hi6 + lo8: that many bytes of raw deflate data follow
(at most 16383; a data run ends with a sync flush whose 00 00 ff ff trailer is not sent).
0x80|r: block (last run end + r), 0xc0|r: the same plus a 16-bit run length (further
adjacent blocks); 0x20 + int32 / 0x21 + int32 + run: the absolute forms. 0x00 ends a file.
Every file starts a fresh deflate stream (raw, window 15, memLevel 8, default strategy).

Old-style zlib (CPRES_ZLIB) also puts each matched block into the compressor's history.
Upstream does it with its bundled zlib's Z_INSERT_ONLY; built against a system zlib (as
Debian's rsync is), it deflates the block with Z_SYNC_FLUSH and throws the output away,
which stock zlib reproduces exactly. The receiver inserts the block into its inflater as a
fake stored block. Blocks over 65535 bytes go in 65535-byte pieces; below protocol 31 every
piece repeats the block's first bytes (upstream's data-duplicating bug, kept for the wire).
"""
import zlib
from collections.abc import Callable, Iterator

from ..errors import LimitError, ProtocolError
from ..ints import ByteReader, int32
from ..token_events import CHUNK_SIZE, End, Literal, Match

__all__ = ["ZlibTokenEncoder", "ZlibTokenDecoder", "DEFAULT_LEVEL"]

END_FLAG = 0x00
TOKEN_LONG = 0x20
TOKENRUN_LONG = 0x21
DEFLATED_DATA = 0x40
TOKEN_REL = 0x80
TOKENRUN_REL = 0xC0
MAX_DATA_COUNT = 16383
MAX_TOKEN_INDEX = 0x7FFFFFFF - 1
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


class ZlibTokenEncoder:
    """token(token, literal, block) -> bytes, called as upstream calls send_token for
    each matched() record: token >= 0 a block (block = its bytes), -2 flush only, -1 end."""

    def __init__(self, protocol: int, level: int = DEFAULT_LEVEL, insert_matches: bool = True):
        self.protocol, self.level, self.insert = protocol, level, insert_matches
        self.last_token = -1
        self.c = None

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

    def _deflate(self, literal: bytes, sync: bool) -> bytes:
        """Compress literal (upstream feeds it in CHUNK_SIZE pieces) and frame the output
        the way upstream's 16383-byte output buffer does."""
        pieces = [literal[i:i + CHUNK_SIZE] for i in range(0, len(literal), CHUNK_SIZE)]
        before = b"".join(self.c.compress(p) for p in pieces[:-1])
        last = self.c.compress(pieces[-1]) if pieces else b""
        if sync:
            last += self.c.flush(zlib.Z_SYNC_FLUSH)
        out = bytearray()
        full = len(before) // MAX_DATA_COUNT * MAX_DATA_COUNT  # written while input remained
        for i in range(0, full, MAX_DATA_COUNT):
            out += self._frame(before[i:i + MAX_DATA_COUNT])
        tail = before[full:] + last
        if sync:
            while len(tail) >= MAX_DATA_COUNT:  # full buffer: keep its last 4 bytes
                out += self._frame(tail[:MAX_DATA_COUNT - 4])
                tail = tail[MAX_DATA_COUNT - 4:]
            tail = tail[:-4]  # the sync-flush trailer is never sent
        else:
            while len(tail) >= MAX_DATA_COUNT:
                out += self._frame(tail[:MAX_DATA_COUNT])
                tail = tail[MAX_DATA_COUNT:]
        if tail:
            out += self._frame(tail)
        return bytes(out)

    @staticmethod
    def _frame(data: bytes) -> bytes:
        return bytes((DEFLATED_DATA + (len(data) >> 8), len(data) & 0xFF)) + data

    def token(self, token: int, literal: bytes = b"", block: bytes | None = None) -> bytes:
        out = bytearray()
        nb = len(literal)
        if self.last_token == -1:
            self.c = zlib.compressobj(self.level, zlib.DEFLATED, -15, 8,
                                      zlib.Z_DEFAULT_STRATEGY)
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
            out += self._deflate(literal, sync=token != -2)
            self.flush_pending = token == -2
        if token == -1:
            out.append(END_FLAG)
        elif token != -2 and self.insert:
            for piece in _history_pieces(block or b"", self.protocol):
                self.c.compress(piece)
                self.c.flush(zlib.Z_SYNC_FLUSH)  # what a system-zlib rsync does; discarded
        return bytes(out)


class ZlibTokenDecoder:
    """Reads one file's compressed tokens at a time; a fresh inflater per file."""

    def __init__(self, protocol: int, insert_matches: bool = True):
        self.protocol, self.insert = protocol, insert_matches

    def read_file(self, r: ByteReader, block: Callable[[int], bytes]) -> Iterator[object]:
        """Yield Literal (<= 32 KiB each), Match and finally End; block(i) returns the basis
        bytes of block i, which old-style zlib puts into the inflater's history."""
        d = zlib.decompressobj(-15)
        token = 0
        inflated = False
        while True:
            at = r.offset
            flag = r.read_byte()
            if flag & 0xC0 == DEFLATED_DATA:
                n = (flag & 0x3F) << 8 | r.read_byte()
                yield from self._inflate(d, r.read_bytes(n), at)
                inflated = True
                continue
            if inflated:
                yield from self._inflate(d, _TRAILER, at)
                inflated = False
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
            if not 0 <= token <= MAX_TOKEN_INDEX - run or (run_flag and run == 0):
                raise ProtocolError("a valid compressed token", at, str(token))
            for i in range(token, token + run + 1):
                yield Match(i)
                if self.insert:
                    self._see(d, block(i), at)
            token += run

    def _inflate(self, d, data: bytes, at: int) -> Iterator[Literal]:
        try:
            out = d.decompress(data, CHUNK_SIZE)
            while out:
                yield Literal(out)
                if len(out) < CHUNK_SIZE and not d.unconsumed_tail:
                    break
                out = d.decompress(d.unconsumed_tail, CHUNK_SIZE)
        except zlib.error as e:
            raise ProtocolError("valid deflate data", at, str(e)) from None

    def _see(self, d, data: bytes, at: int) -> None:
        """upstream see_deflate_token: the block as stored blocks, output discarded."""
        for piece in _history_pieces(data, self.protocol):
            n = len(piece)
            hdr = bytes((0, n & 0xFF, n >> 8, ~n & 0xFF, (~n >> 8) & 0xFF))
            try:
                if len(d.decompress(hdr + piece, 0x10000)) != n:
                    raise LimitError("a stored block the size of the matched block", at)
            except zlib.error as e:
                raise ProtocolError("an inflater in sync with the sender", at, str(e)) from None
