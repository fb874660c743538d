"""The receiver for one file (upstream: receiver.c receive_data): tokens + basis -> new
file, with the whole-file checksum verified against the sender's.

Patcher reads the basis through a callback read_basis(offset, length), holds no I/O of its
own, and writes through a callback; a block index beyond the signature, a literal over
32 KiB or a truncated stream is a ProtocolError; a checksum mismatch is a DataError.
"""
from collections.abc import Callable

import oc_core
from oc_core.overlap import BackgroundSum
from oc_wire.checksums import ChecksumSpec
from oc_wire.errors import DataError
from oc_wire.ints import ByteReader
from oc_wire.sums import SumHead
from oc_wire.token_events import End, Literal
from oc_wire.tokens import read_token

__all__ = ["patch_tokens"]

MAX_RUN = 1 << 20  # bytes of adjacent basis blocks read and written at once


def patch_tokens(r: ByteReader, head: SumHead, spec: ChecksumSpec,
                 read_basis: Callable[[int, int], bytes], write: Callable[[bytes], object],
                 progress=None) -> int:
    """Apply one file's tokens from r; returns the number of bytes written."""
    file_sum = BackgroundSum(oc_core.FileSum(spec.algo, spec.file_prefix))
    try:
        done = _apply(r, head, read_basis, write, file_sum, progress)
        at = r.offset
        sent = r.read_bytes(spec.digest_len)
        if sent != file_sum.digest():
            raise DataError(f"whole-file checksum mismatch at offset {at} "
                            "(wrong basis file or corrupt delta)")
    finally:
        file_sum.close()
    return done



def _apply(r: ByteReader, head: SumHead, read_basis, write, file_sum, progress) -> int:
    """Apply tokens until End. Runs of adjacent matched blocks are read and written as one
    range of the basis (one write and one hash update per run, not per block)."""
    done = 0
    run_start = run_end = 0  # pending basis range [run_start, run_end)

    def emit(data) -> None:
        nonlocal done
        file_sum.feed(data)
        write(data)
        done += len(data)
        if progress is not None:
            progress.update(done)

    def flush_run() -> None:
        nonlocal run_start, run_end
        if run_end > run_start:
            data = read_basis(run_start, run_end - run_start)
            if len(data) != run_end - run_start:
                raise DataError(f"basis file is too short for the range at {run_start}")
            emit(data)
        run_start = run_end = 0

    while True:
        ev = read_token(r, head.count)
        if isinstance(ev, End):
            flush_run()
            return done
        if isinstance(ev, Literal):
            flush_run()
            emit(ev.data)
            continue
        start = ev.index * head.block_len
        length = head.remainder if (ev.index == head.count - 1 and head.remainder) \
            else head.block_len
        if start != run_end or run_end == run_start or run_end - run_start >= MAX_RUN:
            flush_run()
            run_start = start
        run_end = start + length
