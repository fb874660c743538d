"""Write a batch stream from events, the counterpart of batch_stream.walk_batch
(upstream: the sender's side of the same stream; flist.c, sender.c, main.c).

encode_events(events) turns the events walk_batch yields back into bytes; on a batch
upstream wrote, the result is the same bytes (tests/interop/test_batch_walk_golden.py).
Compressed (-z) token streams are re-encoded from each file's literal runs, split into
send_token calls as upstream's matcher splits them (match_calls.py); the zlib history
needs the matched blocks, read through `basis` as in walk_batch (zeros reproduce the
bytes of whole-file transfers only).
"""
from collections.abc import Iterable, Iterator

from .batch import BatchHeader, encode_header
from .batch_stream import (
    Basis,
    FileChecksum,
    FileStart,
    FlistEnd,
    FlistEof,
    FlistSegment,
    Goodbye,
    PhaseDone,
    Stats,
    block_reader,
    flist_options,
)
from .compress import token_encoder
from .flist_codec import FlistEncoder
from .flist_entry import FileEntry
from .ints import byte, longint, shortint, varlong, vstring
from .match_calls import literal_calls
from .ndx import NDX_DONE, NDX_FLIST_EOF, NDX_FLIST_OFFSET, NdxCodec
from .sums import SumHead, encode_sum_head
from .token_events import End, Literal, Match

__all__ = ["encode_events"]


def _block_by_block(events: Iterator[object]) -> Iterator[object]:
    """The events with a run of matched blocks as one Match per block (a token each)."""
    for ev in events:
        if type(ev) is Match and ev.count > 1:
            for i in range(ev.index, ev.index + ev.count):
                yield Match(i)
        else:
            yield ev


def encode_events(events: Iterable[object], basis: Basis | None = None) -> Iterator[bytes]:
    """Bytes for each event of a batch stream, the header first."""
    it = iter(events)
    h = next(it)
    if not isinstance(h, BatchHeader):
        raise ValueError("a batch stream starts with its header")
    yield encode_header(h)
    enc = FlistEncoder(flist_options(h))
    ndx = NdxCodec(h.protocol)
    compressed = h.flag("do_compression")
    tokens = token_encoder("zlib" if compressed else "none", h.protocol)
    basis = basis or Basis()
    head, block, pending, size, pos = None, None, bytearray(), 0, 0
    for ev in _block_by_block(it):
        if isinstance(ev, FileEntry):
            yield enc.entry(ev)
        elif isinstance(ev, FlistEnd):
            enc.user_names.update(ev.user_names)
            enc.group_names.update(ev.group_names)
            yield enc.end(ev.io_error)
        elif isinstance(ev, FlistSegment):
            yield ndx.encode(NDX_FLIST_OFFSET - ev.dir_index)
        elif isinstance(ev, FlistEof):
            yield ndx.encode(NDX_FLIST_EOF)
        elif isinstance(ev, FileStart):
            size = ev.entry.size
            yield ndx.encode(ev.ndx) + (shortint(ev.iflags) if h.protocol >= 29 else b"")
            if ev.basis_type is not None:
                yield byte(ev.basis_type)
            if ev.xname is not None:
                yield vstring(ev.xname)
        elif isinstance(ev, SumHead):
            head, block, pos = ev, block_reader(ev, basis), 0
            yield encode_sum_head(ev)
        elif isinstance(ev, Literal):
            if compressed:
                pending += ev.data
            else:  # plain literals keep their chunking
                yield tokens.token(-2, ev.data)
        elif isinstance(ev, (Match, End)):
            token = ev.index if isinstance(ev, Match) else -1
            blk = block(token) if token >= 0 else None
            if compressed:
                off = 0
                for n in literal_calls(head, size, pos, len(pending))[:-1]:
                    yield tokens.token(-2, bytes(pending[off:off + n]))
                    off += n
                yield tokens.token(token, bytes(pending[off:]), blk)
                pos += len(pending) + (len(blk) if blk is not None else 0)
                pending.clear()
            else:
                yield tokens.token(token, b"", blk)
        elif isinstance(ev, FileChecksum):
            yield ev.digest
        elif isinstance(ev, (PhaseDone, Goodbye)):
            yield ndx.encode(NDX_DONE)
        elif isinstance(ev, Stats):
            values = [ev.total_read, ev.total_written, ev.total_size]
            if h.protocol >= 29:
                values += [ev.flist_buildtime, ev.flist_xfertime]
            yield b"".join(longint(v) if h.protocol < 30 else varlong(v, 3) for v in values)
        else:
            raise ValueError(f"not a batch-stream event: {ev!r}")
