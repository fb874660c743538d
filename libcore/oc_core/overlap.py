"""Work that overlaps with the caller on another core: libcore's C calls and hashlib both
release the GIL, so a worker thread hashing while the main thread matches or writes
runs in parallel for real."""
import itertools
import queue
import threading

__all__ = ["BackgroundSum", "ordered_map"]

_STOP = object()


class BackgroundSum:
    """A FileSum fed from a worker thread: feed(data) collects, digest() waits for the rest.

    Pieces go to the worker in batches of about `batch` bytes (one thread handoff per
    batch, not per piece); at most `depth` batches are queued, so memory stays bounded.
    The worker starts with the first full batch: a small file is hashed inline at
    digest(), without a thread. feed_view(view) takes bytes that are only valid during the
    call (a reused buffer): a cheap sum (FileSum.fast) hashes them there and then, where
    they are still in the CPU's cache; a costly one gets a copy sent to the worker."""

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

    def feed_view(self, view) -> None:
        if self._sum.fast and self._t is None and not self._pending:
            self._sum.update(view)
        else:
            self.feed(bytes(view))

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


def ordered_map(fn, items, workers: int, ahead: int = 4):
    """fn(item) for each item on `workers` threads (fn releasing the GIL for its real
    work), the results yielded in the items' order; at most `ahead` items are taken before
    their results are. An exception from fn comes out where its result would have.
    Closed early, the calls already handed out finish and the threads end with them.
    (What concurrent.futures would do, without its 10 ms of imports at a start-up.)"""
    jobs: queue.SimpleQueue = queue.SimpleQueue()

    def work() -> None:
        while (job := jobs.get()) is not None:
            item, box, done = job
            try:
                box.append((True, fn(item)))
            except BaseException as e:  # (raised in order by the caller)
                box.append((False, e))
            done.set()

    threads = [threading.Thread(target=work, name="oc-ordered-map", daemon=True)
               for _ in range(workers)]
    for t in threads:
        t.start()
    it, pending = iter(items), []

    def hand_out() -> None:
        for item in itertools.islice(it, 1):
            box, done = [], threading.Event()
            jobs.put((item, box, done))
            pending.append((box, done))

    try:
        for _ in range(ahead):
            hand_out()
        while pending:
            box, done = pending.pop(0)
            done.wait()
            hand_out()
            ok, value = box[0]
            if not ok:
                raise value
            yield value
    finally:
        for _ in threads:
            jobs.put(None)
        for t in threads:
            t.join()
