"""The sender's delta for one file against a signature (upstream: sender.c send_files,
match.c match_sums/matched, token.c simple_send_token).

The matcher (libcore) reports each call of upstream's matched(): literal bytes since the
last match, then a block index, -2 (flush only) or -1 (end). Literal runs go out in pieces
of at most 32 KiB, exactly as simple_send_token splits them. The new file is read through
an mmap whose consumed pages are released as the matcher moves on, so memory stays bounded.
The whole-file checksum covers the bytes upstream's matched() feeds to sum_update: all of
the file, in order; a worker thread computes it with pread while the matcher runs.
"""
import mmap
import os
import stat
from collections.abc import Iterator

import oc_core
from oc_core import SigTable
from oc_core.overlap import FdSum
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import ByteReader
from oc_wire.ndx import NdxCodec
from oc_wire.stage import encode_header, read_header, spec_for
from oc_wire.sums import read_blocks, read_sum_head
from oc_wire.tokens import PlainTokenEncoder

from .batchfile import file_head, trailer

__all__ = ["read_signature", "delta", "file_tokens"]

_RELEASE = 16 << 20
_SMALL = 1 << 20


def read_signature(r: ByteReader):
    """Read a signature stream: (header, sum head, SigTable)."""
    header = read_header(r)
    head = read_sum_head(r, header.protocol)
    sum1, strong = read_blocks(r, head)
    return header, head, SigTable(head.block_len, head.remainder, head.s2len, sum1, strong)


def delta(sig_reader: ByteReader, fd: int, name: bytes, *, checksum: str | None = None,
          progress=None) -> Iterator[bytes]:
    """Yield the one-file batch for the file open at fd, named `name` in the batch."""
    header, head, sig = read_signature(sig_reader)
    spec = spec_for(header, checksum)
    st = os.fstat(fd)
    entry = FileEntry(name=name, mode=stat.S_IFREG | stat.S_IMODE(st.st_mode),
                      size=st.st_size, mtime=int(st.st_mtime), mtime_nsec=st.st_mtime_ns % 10**9)
    ndx = NdxCodec(header.protocol)
    first = encode_header(header) + file_head(header, entry, head, ndx)
    yield first
    written = len(first)
    body = 0
    for chunk in file_tokens(sig, spec, fd, st.st_size, PlainTokenEncoder(), progress):
        body += len(chunk)
        yield chunk
    yield trailer(header.protocol, ndx, sig_reader.offset, written + body, st.st_size)


def file_tokens(sig: SigTable, spec, fd: int, size: int, encoder, progress=None,
                counts=None, updating: bool = False, append_from: int | None = None,
                verify_prefix: bool = False,
                report: oc_core.MatchCounts | None = None) -> Iterator[bytes]:
    """The token stream of the file open at fd against sig, through encoder (any
    oc_wire.compress token encoder), then the whole-file checksum; in pieces of about
    1 MiB. Matched blocks are handed to the encoder for codecs that keep history.
    counts, when given, gets .literal and .matched incremented (bytes); report, when
    given, the matcher's counters and the literal bytes (upstream's match_report).
    updating: the receiver rewrites its basis in place (--inplace).
    append_from: --append: the receiver has the first bytes already; only the rest goes,
    as literal data, and the checksum covers it alone unless verify_prefix
    (--append-verify) (upstream: match.c match_sums with append_mode)."""
    # a small file is read at once (a mapping costs more than it saves)
    mm = mmap.mmap(fd, size, access=mmap.ACCESS_READ) if size >= _SMALL else _read_all(fd, size)
    released = 0

    def release(low: int) -> None:
        nonlocal released
        if size and low - released >= _RELEASE:
            edge = low // mmap.PAGESIZE * mmap.PAGESIZE
            mm.madvise(mmap.MADV_DONTNEED, released, edge - released)
            released = edge
        if progress is not None:
            progress.update(low)

    start = 0 if append_from is None or verify_prefix else append_from
    hasher = FdSum(oc_core.FileSum(spec.algo, spec.file_prefix), fd, size, start=start)
    if append_from is not None:
        records = _appended(append_from, size, release)
    elif not sig.count:  # no basis: all literal, in upstream's pieces, no matcher to build
        records = _appended(0, size, release)
    else:
        records = oc_core.match(sig, mm, spec.algo, spec.seed, spec.seed_mode,
                                on_progress=release, updating=updating, counts=report)
    sees = getattr(encoder, "sees_blocks", True)  # only old-style zlib needs the bytes
    try:
        out, held = [], 0
        for off, n, token in records:
            block = mm[off + n:off + n + sig.length_of(token)] \
                if token >= 0 and sees else None
            piece = encoder.token(token, mm[off:off + n], block)
            out.append(piece)
            held += len(piece)
            if counts is not None:
                counts.literal += n
                counts.matched += sig.length_of(token) if token >= 0 else 0
            if report is not None:
                report.data += n
            if held >= 1 << 20:
                yield b"".join(out)
                out, held = [], 0
        out.append(hasher.digest())
        yield b"".join(out)
    finally:
        hasher.wait()
        if isinstance(mm, mmap.mmap):
            try:
                mm.close()
            except BufferError:  # interrupted while a view of it was still held:
                pass             # the mapping goes with its last view


def _read_all(fd: int, size: int) -> bytes:
    """size bytes from the start of fd (fewer if the file shrank: the checksum will
    tell the receiver)."""
    parts, got = [], 0
    while got < size and (piece := os.pread(fd, size - got, got)):
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def _appended(start: int, size: int, on_progress) -> Iterator[tuple[int, int, int]]:
    """Matcher records without blocks to match (--append, or no basis): literal pieces
    from start, flushed every CHUNK_SIZE bytes as upstream's no-blocks path does (match.c
    match_sums)."""
    last = start
    for j in range(start + oc_core.CHUNK_SIZE, size, oc_core.CHUNK_SIZE):
        yield last, j - last, -2
        last = j
        on_progress(last)
    yield last, size - last, -1
