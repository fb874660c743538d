"""Work that overlaps with the caller on another core: libcore's C calls and hashlib both
release the GIL, so a worker thread hashing while the main thread matches or writes
runs in parallel for real."""
import os
import queue
import threading

__all__ = ["BackgroundSum", "FdSum"]

_STOP = object()


class BackgroundSum:
    """A FileSum fed from a worker thread: feed(data) collects, digest() waits for the rest.

    Pieces go to the worker in batches of about `batch` bytes (one thread handoff per
    batch, not per piece); at most `depth` batches are queued, so memory stays bounded.
    The worker starts with the first full batch: a small file is hashed inline at
    digest(), without a thread."""

    def __init__(self, file_sum, depth: int = 8, batch: int = 1 << 20):
        self._sum = file_sum
        self._depth = depth
        self._q: queue.Queue | None = None  # made with the worker (most files need none)
        self._error: BaseException | None = None
        self._pending: list = []
        self._pending_len = 0
        self._batch = batch
        self._t: threading.Thread | None = None

    def _run(self) -> None:
        while (pieces := self._q.get()) is not _STOP:
            if self._error is None:
                try:
                    for piece in pieces:
                        self._sum.update(piece)
                except BaseException as e:  # surfaced by digest()
                    self._error = e

    def feed(self, data) -> None:
        self._pending.append(data)
        self._pending_len += len(data)
        if self._pending_len >= self._batch:
            if self._t is None:
                self._q = queue.Queue(self._depth)
                self._t = threading.Thread(target=self._run, name="oc-file-sum", daemon=True)
                self._t.start()
            self._q.put(self._pending)
            self._pending, self._pending_len = [], 0

    def close(self) -> None:
        """Hand over what is left and join the worker; safe to call more than once."""
        if self._t is not None and self._t.is_alive():
            if self._pending:
                self._q.put(self._pending)
            self._q.put(_STOP)
            self._t.join()
        elif self._pending and self._error is None:
            try:
                for piece in self._pending:
                    self._sum.update(piece)
            except BaseException as e:  # surfaced by digest()
                self._error = e
        self._pending = []

    def digest(self) -> bytes:
        self.close()
        if self._error is not None:
            raise self._error
        return self._sum.digest()


class FdSum:
    """Hash bytes start..size of a file descriptor on a worker thread (pread in pieces,
    so no mapping grows the resident set); digest() joins and returns the digest. Files
    under `threshold` bytes are hashed inline at digest(), without a thread."""

    def __init__(self, file_sum, fd: int, size: int, piece: int = 1 << 20,
                 threshold: int = 4 << 20, start: int = 0):
        self._sum = file_sum
        self._error: BaseException | None = None
        self._args = (fd, start, size, piece)
        self._t: threading.Thread | None = None
        if size >= threshold:
            self._t = threading.Thread(target=self._run, args=self._args,
                                       name="oc-file-sum", daemon=True)
            self._t.start()

    def _run(self, fd: int, start: int, size: int, piece: int) -> None:
        try:
            for off in range(start, size, piece):
                data = os.pread(fd, min(piece, size - off), off)
                if not data:
                    raise OSError(f"file shrank while hashing at offset {off}")
                self._sum.update(data)
        except BaseException as e:  # surfaced by digest()
            self._error = e

    def wait(self) -> None:
        """Join the worker (or hash inline when there is none)."""
        if self._t is not None:
            self._t.join()
        elif self._args is not None:
            self._run(*self._args)
        self._args = None

    def digest(self) -> bytes:
        self.wait()
        if self._error is not None:
            raise self._error
        return self._sum.digest()
