"""Runs of matched blocks (token_events.Match.count): the plain token reader gives the
match tokens it finds buffered as runs of consecutive blocks, and everything that takes
token events (the patcher, the byte counts, the batch writer, oc-wire dump) treats a run
exactly as its blocks one by one."""
import os

import pytest
from oc_core import Checksum, SeedMode
from oc_patch.patcher import MAX_RUN, FilePatcher
from oc_wire.checksums import ChecksumSpec
from oc_wire.dump import _records
from oc_wire.stream import PullReader
from oc_wire.sums import SumHead
from oc_wire.token_events import End, Literal, Match
from oc_wire.tokens import PlainTokenReader, encode_end, encode_literal, encode_match


def _buffered(data: bytes) -> PullReader:
    """A PullReader over data that is all buffered (as a fast pipe's would be)."""
    used = 0

    def read(n):
        nonlocal used
        used += n
        return data[used - n:used]

    def peek(at_least, at_most=None):
        return data[used:used + (at_most or len(data))]

    def consume(n):
        nonlocal used
        used += n
    return PullReader(read, peek=peek, consume=consume)


def test_buffered_match_tokens_come_as_runs():
    data = (b"".join(encode_match(i) for i in range(5, 105)) + encode_literal(b"new")
            + encode_match(7) + encode_match(3) + encode_match(4) + encode_end())
    got = list(PlainTokenReader().read_file(_buffered(data), None, 200))
    assert got == [Match(5, 100), Literal(b"new"), Match(7), Match(3, 2), End()]


def test_blocks_len_counts_the_short_last_block():
    h = SumHead(count=4, block_len=700, s2len=2, remainder=100)
    assert [h.blocks_len(i) for i in range(4)] == [700, 700, 700, 100]
    assert h.blocks_len(0, 4) == h.basis_size == 2200 and h.blocks_len(2, 2) == 800
    assert SumHead(count=3, block_len=700, s2len=2, remainder=0).blocks_len(1, 2) == 1400


@pytest.mark.parametrize("block_len", [700, MAX_RUN // 3 + 1])
def test_the_patcher_writes_a_run_as_its_blocks(block_len):
    """Same bytes, reads of at most MAX_RUN, same checksum, through a run longer than
    MAX_RUN that ends with the short last block."""
    count = 3 * MAX_RUN // block_len + 2
    basis = os.urandom((count - 1) * block_len + 123)
    head = SumHead(count=count, block_len=block_len, s2len=2, remainder=123)
    spec = ChecksumSpec(Checksum.MD5, 0, SeedMode.NONE)

    def rebuild(events):
        out, reads = bytearray(), []

        def read(o, n):
            reads.append(n)
            return basis[o:o + n]
        p = FilePatcher(head, spec, read, out.extend)
        for ev in events:
            p.feed(ev)
        p._flush_run()
        digest = p._sum.digest()
        p.close()
        return bytes(out), max(reads), digest
    singles = [Literal(b"x")] + [Match(i) for i in range(1, count)] + [Match(0)]
    runs = [Literal(b"x"), Match(1, count - 1), Match(0)]
    got = rebuild(runs)
    assert got == rebuild(singles)
    assert got[0] == b"x" + basis[block_len:] + basis[:block_len] and got[1] <= MAX_RUN


def test_dump_and_batch_writer_see_blocks():
    recs = list(_records(iter([Match(2, 3), Match(5), Match(9, 2), End()]), None))
    assert [(r["first"], r["last"]) for r in recs if r["event"] == "match"] == [(2, 5), (9, 10)]
    from oc_wire.batch_write import _block_by_block
    assert list(_block_by_block(iter([Literal(b"a"), Match(4, 3), End()]))) == \
        [Literal(b"a"), Match(4), Match(5), Match(6), End()]
