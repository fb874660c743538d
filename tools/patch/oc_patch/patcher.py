"""The receiver for one file (upstream: receiver.c receive_data): token events + basis ->
the new file, with the whole-file checksum verified against the sender's.

FilePatcher reads the basis through a callback read_basis(offset, length) and writes through
write(data); it holds no I/O of its own. Runs of adjacent matched blocks are read, hashed
and written as one range (MAX_RUN bytes at a time). The whole-file sum runs on a worker thread.
A checksum mismatch is a DataError (a basis that shrank reads as zeros, so it ends there).

In place (--inplace: the basis is the file being written), a run of blocks that already
sits at the write offset is read for the checksum and skipped over instead of rewritten
(upstream: receiver.c skip_matched). With `start` (--append) the first bytes are already
there: writing continues at that offset, and account() feeds bytes to the checksum
without writing them (--append-verify checks the kept prefix too).
"""
import os
import queue
import threading
from collections.abc import Callable

import oc_core
from oc_core.overlap import BackgroundSum
from oc_wire.checksums import ChecksumSpec
from oc_wire.errors import DataError
from oc_wire.sums import SumHead
from oc_wire.token_events import Literal, Match

__all__ = ["DropBehind", "FilePatcher", "MAX_RUN", "pread_at", "writer"]

MAX_RUN = 1 << 20


class FilePatcher:
    def __init__(self, head: SumHead, spec: ChecksumSpec,
                 read_basis: Callable[[int, int], bytes], write: Callable[[bytes], object],
                 progress=None, skip: Callable[[bytes], object] | None = None, start: int = 0):
        self.head, self.read_basis, self.write, self.progress = head, read_basis, write, progress
        self.skip = skip  # in place: move the write offset over bytes already there
        self.done = start
        self._run_start = self._run_end = 0
        self._sum = BackgroundSum(oc_core.FileSum(spec.algo, spec.file_prefix))

    def account(self, data) -> None:
        """Checksum bytes that are already in place, without writing them."""
        self._sum.feed(data)

    def _emit(self, data, in_place: bool = False) -> None:
        self._sum.feed(data)
        if in_place:
            self.skip(data)
        else:
            self.write(data)
        self.done += len(data)
        if self.progress is not None:
            self.progress.update(self.done)

    def _flush_run(self) -> None:
        start, end = self._run_start, self._run_end
        while end > start:  # (MAX_RUN at a time)
            n = min(end - start, MAX_RUN)
            data = self.read_basis(start, n)
            if len(data) != n:  # the basis shrank: zeros, as upstream's map_ptr, then
                data = bytes(data) + bytes(n - len(data))  # a checksum mismatch (and
                # a redo) rather than a dead session
            self._emit(data, self.skip is not None and start == self.done)
            start += n
        self._run_start = self._run_end = 0

    def feed(self, ev) -> None:
        """Apply one token event (End is a no-op: finish() flushes)."""
        if isinstance(ev, Literal):
            self._flush_run()
            self._emit(ev.data)
        elif isinstance(ev, Match):
            start = ev.index * self.head.block_len
            pending = self._run_end - self._run_start
            if start != self._run_end or pending == 0 or pending >= MAX_RUN:
                self._flush_run()
                self._run_start = start
            self._run_end = start + self.head.blocks_len(ev.index, ev.count)

    def flush(self) -> None:
        """Write the pending run of matched blocks (before the caller truncates)."""
        self._flush_run()

    def finish(self, sent: bytes) -> int:
        """Flush, compare the sender's whole-file checksum; returns bytes written."""
        self._flush_run()
        if sent != self._sum.digest():
            raise DataError("whole-file checksum mismatch (wrong basis file or corrupt delta)")
        return self.done

    def close(self) -> None:
        self._sum.close()


WRITEBACK_EVERY = 8 << 20


def writer(fd: int, write_back: bool = False):
    """write(data) straight to fd (no userspace buffer), retrying short writes. With
    write_back, every WRITEBACK_EVERY bytes the file's pages start going to its device
    (oc_core.start_writeback): a file that will replace a big one is then mostly on disk
    when the rename comes, which ext4 would otherwise hold up writing all of it out. That
    is done on a thread of its own (_write_back), with a descriptor of its own: submitting
    the pages costs as much as a third of writing them, on another core."""
    since = 0

    def write(data) -> None:
        nonlocal since
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if write_back:
            since += len(data)
            if since >= WRITEBACK_EVERY:
                _write_back(fd)
                since = 0
    return write


_writeback: tuple[int, queue.SimpleQueue] | None = None  # (the process, its jobs)


def _write_back(fd: int) -> None:
    """oc_core.start_writeback(fd), soon, on the process's write-back thread (made on
    first use, and again in a forked child, which has none of its parent's threads)."""
    global _writeback
    if _writeback is None or _writeback[0] != os.getpid():
        jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=_start_writebacks, args=(jobs,), name="write-back",
                         daemon=True).start()
        _writeback = (os.getpid(), jobs)
    try:
        _writeback[1].put(os.dup(fd))
    except OSError:  # (out of descriptors: it is only advice)
        pass


def _start_writebacks(jobs: queue.SimpleQueue) -> None:
    while True:
        fd = jobs.get()
        try:
            oc_core.start_writeback(fd)  # (advice: nothing waits for it)
        finally:
            os.close(fd)


def pread_at(fd: int, offset: int, length: int) -> bytes:
    """read_basis for a file descriptor: `length` bytes at `offset`."""
    return os.pread(fd, length, offset)


class DropBehind:
    """read_basis for a basis that dies when the new file is renamed over it (its only
    link, not written in place): what has been read leaves the page cache as reading
    moves forward (POSIX_FADV_DONTNEED: clean pages only, the file is untouched). The
    cache is then not filled with the pages of a file about to be deleted, and they are
    freed while the new file's are being allocated rather than all at once at the rename.
    A range read again after it was dropped (a block matched twice, a redo) comes from
    the disk and is not dropped again (only reads past the furthest one drop), unless a
    drop still queued from before reaches it.

    The dropping runs on a thread of its own, off the receiving thread. It holds its own
    descriptor of the file until close() has let it finish, so when the rename has left
    that descriptor the file's last reference, freeing the old file is done off the
    receiving thread too (close_last: by a helper process, for a big one). Drops still
    queued then for a file no longer linked are skipped: its pages go with it. A process
    that is about to end calls finish_all(), or the threads would die with it before
    they let their files go."""

    _live: set = set()  # the instances whose thread has not ended

    def __init__(self, fd: int):
        self.fd = os.dup(fd)
        self._dropped = 0
        self._closed = False
        self._todo = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._drop, name="drop-behind", daemon=True)
        DropBehind._live.add(self)
        self._thread.start()

    def __call__(self, offset: int, length: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        if offset >= self._dropped and data:
            self._dropped = offset + len(data)
            self._todo.put((offset, len(data)))
        return data

    def close(self, wait: bool = False) -> None:
        """No more reads: the thread drops what is queued, closes its descriptor and
        ends (with wait, before this returns)."""
        self._closed = True
        self._todo.put(None)
        if wait:
            self._thread.join()

    @classmethod
    def finish_all(cls) -> None:
        """Wait for the threads of the instances closed so far to end."""
        for d in list(cls._live):
            if d._closed:
                d._thread.join()

    def _drop(self) -> None:
        gone = None  # once closed: whether the file has no name left (looked up once)
        try:
            while (job := self._todo.get()) is not None:
                if self._closed and gone is None:
                    gone = os.fstat(self.fd).st_nlink == 0
                if gone:
                    continue
                try:
                    os.posix_fadvise(self.fd, *job, os.POSIX_FADV_DONTNEED)
                except OSError:  # (advice: nothing depends on it)
                    pass
        finally:
            close_last(self.fd)
            DropBehind._live.discard(self)


RELEASE_ELSEWHERE = 64 << 20
_helpers: list[int] = []  # close_last's helper processes not yet reaped
_helpers_lock = threading.Lock()  # (drop-behind threads may close files at once)


def close_last(fd: int) -> None:
    """Close fd. If it holds the last reference to a big file that is no longer linked
    (the file a rename replaced), a helper process takes a copy of it first and lets it
    go only after this close, so the kernel frees the file's blocks in that process
    rather than in this one, where it would hold up the end of the transfer (on this
    machine's ext4, mounted with online discard, about 100 ms per 512 MiB; upstream
    frees it inside its rename). Without a helper, the file is freed here as usual."""
    w = -1
    try:
        st = os.fstat(fd)
        if not st.st_nlink and st.st_size >= RELEASE_ELSEWHERE:
            w = _helper_holding(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
        if w >= 0:
            os.close(w)  # the helper's input ends: it exits and lets the file go


def _helper_holding(fd: int) -> int:
    """Start `cat` reading a new pipe, with a copy of fd; returns the pipe's write end,
    whose closing ends it."""
    r, w = os.pipe()
    try:
        os.set_inheritable(fd, True)
        pid = os.posix_spawnp("cat", ["cat"], os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, r, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, 1, 2)])
    except OSError:
        os.close(w)
        raise
    finally:
        os.close(r)
    with _helpers_lock:
        _reap()
        _helpers.append(pid)
    return w


def _reap() -> None:
    """Collect the helpers that have ended (those left when this process ends are
    collected by init); under _helpers_lock."""
    for pid in list(_helpers):
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        except ChildProcessError:
            pass
        _helpers.remove(pid)
