"""The receiver for one file (upstream: receiver.c receive_data): token events + basis ->
the new file, with the whole-file checksum verified against the sender's.

FilePatcher reads the basis through a callback read_basis(offset, length) and writes through
write(data); it holds no I/O of its own. Runs of adjacent matched blocks are read, hashed
and written as one range (up to MAX_RUN bytes). The whole-file sum runs on a worker thread.
A checksum mismatch or a short basis is a DataError.
"""
from collections.abc import Callable

import oc_core
from oc_core.overlap import BackgroundSum
from oc_wire.checksums import ChecksumSpec
from oc_wire.errors import DataError
from oc_wire.sums import SumHead
from oc_wire.token_events import Literal, Match

__all__ = ["FilePatcher", "MAX_RUN"]

MAX_RUN = 1 << 20


class FilePatcher:
    def __init__(self, head: SumHead, spec: ChecksumSpec,
                 read_basis: Callable[[int, int], bytes], write: Callable[[bytes], object],
                 progress=None):
        self.head, self.read_basis, self.write, self.progress = head, read_basis, write, progress
        self.done = 0
        self._run_start = self._run_end = 0
        self._sum = BackgroundSum(oc_core.FileSum(spec.algo, spec.file_prefix))

    def _emit(self, data) -> None:
        self._sum.feed(data)
        self.write(data)
        self.done += len(data)
        if self.progress is not None:
            self.progress.update(self.done)

    def _flush_run(self) -> None:
        start, end = self._run_start, self._run_end
        if end > start:
            data = self.read_basis(start, end - start)
            if len(data) != end - start:
                raise DataError(f"basis file is too short for the range at offset {start}")
            self._emit(data)
        self._run_start = self._run_end = 0

    def feed(self, ev) -> None:
        """Apply one token event (End is a no-op: finish() flushes)."""
        if isinstance(ev, Literal):
            self._flush_run()
            self._emit(ev.data)
        elif isinstance(ev, Match):
            h = self.head
            start = ev.index * h.block_len
            length = h.remainder if (ev.index == h.count - 1 and h.remainder) else h.block_len
            pending = self._run_end - self._run_start
            if start != self._run_end or pending == 0 or pending >= MAX_RUN:
                self._flush_run()
                self._run_start = start
            self._run_end = start + length

    def finish(self, sent: bytes) -> int:
        """Flush, compare the sender's whole-file checksum; returns bytes written."""
        self._flush_run()
        if sent != self._sum.digest():
            raise DataError("whole-file checksum mismatch (wrong basis file or corrupt delta)")
        return self.done

    def close(self) -> None:
        self._sum.close()
