"""The sender's delta for one file against a signature (upstream: sender.c send_files,
match.c match_sums/matched, token.c simple_send_token).

The matcher (libcore) reports each call of upstream's matched(): literal bytes since the
last match, then a block index, -2 (flush only) or -1 (end). Literal runs go out in pieces
of at most 32 KiB, exactly as simple_send_token splits them. The new file is read through
a window (oc_core.FileWindow, upstream's map_ptr) the matcher moves along, so memory stays
bounded and a file that shrinks while it is sent reads as zeros instead of faulting.
The whole-file checksum covers the bytes upstream's matched() feeds to sum_update: all of
the file, in order, as read (hashed as they come in; by a worker thread for the slow
MD4/MD5/SHA1, see BackgroundSum.feed_view). After a read error the checksum sent is one
the receiver refuses (upstream match_sums), so the file is asked for again.
"""
import errno
import os
import stat
from collections.abc import Iterator

import oc_core
from oc_core import SigTable
from oc_core.overlap import BackgroundSum
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import ByteReader
from oc_wire.ndx import NdxCodec
from oc_wire.stage import encode_header, read_header, spec_for
from oc_wire.sums import read_blocks, read_sum_head
from oc_wire.tokens import PlainTokenEncoder

from .batchfile import file_head, trailer

__all__ = ["PUSH_EVERY", "read_signature", "delta", "file_tokens"]

PUSH_EVERY = 4 << 20


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
    failed: list[int] = []
    for chunk in file_tokens(sig, spec, fd, st.st_size, PlainTokenEncoder(), progress,
                             read_failed=failed.append):
        body += len(chunk)
        yield chunk
    yield trailer(header.protocol, ndx, sig_reader.offset, written + body, st.st_size)
    if failed:  # the batch is whole, its checksum refused: say why and fail
        raise OSError(f"read errors mapping {os.fsdecode(name)!r}: "
                      f"{os.strerror(failed[0])} ({failed[0]})")


def file_tokens(sig: SigTable, spec, fd: int, size: int, encoder, progress=None,
                counts=None, updating: bool = False, append_from: int | None = None,
                verify_prefix: bool = False,
                report: oc_core.MatchCounts | None = None,
                push=None, read_failed=None) -> Iterator[bytes]:
    """The token stream of the file open at fd against sig, through encoder (any
    oc_wire.compress token encoder), then the whole-file checksum; in pieces of about
    1 MiB, or fewer bytes when they stand for PUSH_EVERY bytes of the file (matched
    blocks are 4 bytes a token: the receiver can rebuild while the matcher goes on);
    push, when given, is called after such a piece was taken, to send it on now.
    Matched blocks are handed to the encoder for codecs that keep history.
    counts, when given, gets .literal and .matched incremented (bytes); report, when
    given, the matcher's counters and the literal bytes (upstream's match_report).
    updating: the receiver rewrites its basis in place (--inplace).
    append_from: --append: the receiver has the first bytes already; only the rest goes,
    as literal data, and the checksum covers it alone unless verify_prefix
    (--append-verify) (upstream: match.c match_sums with append_mode).
    read_failed(errno), when given, is told of a read error (the file changed as it was
    read), before the refused checksum goes out."""
    if append_from is None and not sig.count and progress is None and size <= _SMALL:
        yield _small_file(spec, fd, size, encoder, counts, report, read_failed)
        return
    start = 0 if append_from is None or verify_prefix else append_from
    summer = BackgroundSum(oc_core.FileSum(spec.algo, spec.file_prefix))
    window = oc_core.open_window(fd, size, start, summer.feed_view)
    on_progress = progress.update if progress is not None else None
    if append_from is not None:
        records = _appended(window, append_from, on_progress)
    elif not sig.count:  # no basis: all literal, in upstream's pieces, no matcher to build
        records = _appended(window, 0, on_progress)
    else:
        records = oc_core.match(sig, window, spec.algo, spec.seed, spec.seed_mode,
                                on_progress=on_progress, updating=updating, counts=report)
    sees = getattr(encoder, "sees_blocks", True)  # only old-style zlib needs the bytes
    try:
        out, held, due = [], 0, PUSH_EVERY
        for off, n, token in records:
            length = sig.length_of(token) if token >= 0 else 0
            block = window.get(off + n, length) if length and sees else None
            piece = encoder.token(token, window.get(off, n) if n else b"", block)
            out.append(piece)
            held += len(piece)
            if counts is not None:
                counts.literal += n
                counts.matched += length
            if report is not None:
                report.data += n
            if held >= 1 << 20 or off + n + length >= due:
                yield b"".join(out)
                out, held = [], 0
                if off + n + length >= due:
                    due = off + n + length + PUSH_EVERY
                    if push is not None:
                        push()
        window.ensure(size)  # (all of it hashed, as upstream's sum covers the file)
        digest = summer.digest()
        if error := window.finish():
            if read_failed is not None:
                read_failed(error)
            digest = _refused(digest)
        out.append(digest)
        yield b"".join(out)
    finally:
        summer.close()
        window.close()


_SMALL = 1 << 20  # a file sent whole with no basis up to this size is read at once


def _small_file(spec, fd: int, size: int, encoder, counts, report, read_failed) -> bytes:
    """file_tokens for a small file with no basis (most files of a first copy): read in
    one go, then its pieces and checksum as one piece; what the window and the matcher
    records would give, without them. A file that cannot be read to its size reads as
    zeros from there, as FileWindow's."""
    data, error = _read_upto(fd, size)
    file_sum = oc_core.FileSum(spec.algo, spec.file_prefix)
    file_sum.update(data)
    out = encoder.whole_file(data)
    if counts is not None:
        counts.literal += size
    if report is not None:
        report.data += size
    digest = file_sum.digest()
    if error:
        if read_failed is not None:
            read_failed(error)
        digest = _refused(digest)
    out.append(digest)
    return b"".join(out)


def _read_upto(fd: int, size: int) -> tuple[bytes, int]:
    """The first size bytes of the file at fd: (the bytes, zeros past what could be
    read; errno)."""
    parts, got = [], 0
    error = 0
    while got < size:
        try:
            piece = os.pread(fd, size - got, got)
        except OSError as e:
            error = e.errno or errno.EIO
            break
        if not piece:
            error = errno.ENODATA  # shorter than when it was opened
            break
        parts.append(piece)
        got += len(piece)
    if got < size:
        parts.append(bytes(size - got))
    return (parts[0] if len(parts) == 1 else b"".join(parts)), error


def _refused(digest: bytes) -> bytes:
    """The checksum a sender sends after a read error (upstream match_sums): all zeros,
    or when the real one is all zeros, zeros ending in 1; never the real one."""
    if any(digest):
        return bytes(len(digest))
    return bytes(len(digest) - 1) + b"\x01" if digest else digest


def _appended(window, start: int, on_progress) -> Iterator[tuple[int, int, int]]:
    """Matcher records without blocks to match (--append, or no basis): literal pieces
    from start, flushed every CHUNK_SIZE bytes as upstream's no-blocks path does (match.c
    match_sums); what was sent is forgotten."""
    last, size = start, window.size
    for j in range(start + oc_core.CHUNK_SIZE, size, oc_core.CHUNK_SIZE):
        yield last, j - last, -2
        last = j
        window.forget(last)
        if on_progress is not None:
            on_progress(last)
    yield last, size - last, -1
