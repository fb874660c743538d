"""oc_core.start_writeback (copy.c: sync_file_range) and the receiver's writer that calls
it: a new file that replaces a big one starts going to its device as it is written
(ext4 otherwise writes all of it out inside the rename over the old file), and its
bytes are what was written. oc_core.preallocate (copy.c: fallocate, FALLOC_FL_KEEP_SIZE),
which reserves a big new file's blocks before it is written, and the receiver's trim of
what the data did not fill."""
import errno
import os
import threading
import time

import oc_core
import pytest
from oc_patch import patcher
from oc_rsync.receiver import _replaces_big
from oc_wire.flist_entry import FileEntry


def test_start_writeback_is_the_system_call(tmp_path):
    """0 on a file with dirty pages, the kernel's errno on a closed descriptor (whether
    the pages went out is the kernel's business: nothing a test can see)."""
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.write(fd, os.urandom(1 << 20))
        assert oc_core.start_writeback(fd) == 0
    finally:
        os.close(fd)
    assert oc_core.start_writeback(fd) == -errno.EBADF
    assert oc_core.load_backend("pure").start_writeback(-1) == 0  # (advice only)


@pytest.mark.parametrize("write_back", [False, True])
def test_writer_starts_writeback_every_few_mib(tmp_path, monkeypatch, write_back):
    """On the write-back thread, through a descriptor of its own (closed after): the
    writer's may be closed by then."""
    calls, done = [], threading.Semaphore(0)

    def start(fd):
        calls.append((threading.current_thread().name, os.fstat(fd).st_ino))
        done.release()
        return 0
    monkeypatch.setattr(oc_core, "start_writeback", start)
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o600)
    data = os.urandom(3 * patcher.WRITEBACK_EVERY + 12345)
    before = len(os.listdir("/proc/self/fd"))
    try:
        write = patcher.writer(fd, write_back)
        for off in range(0, len(data), 1 << 20):
            write(data[off:off + (1 << 20)])
        ino = os.fstat(fd).st_ino
    finally:
        os.close(fd)
    for _ in range(3 if write_back else 0):
        assert done.acquire(timeout=10)
    assert (tmp_path / "f").read_bytes() == data
    assert calls == ([("write-back", ino)] * 3 if write_back else [])
    for _ in range(100):  # the thread's descriptors are closed once it is done with them
        if len(os.listdir("/proc/self/fd")) < before:
            break
        time.sleep(0.01)
    assert len(os.listdir("/proc/self/fd")) < before


def test_only_a_big_file_replacing_one_writes_back(tmp_path):
    big = FileEntry(name=b"f", mode=0o100644, size=patcher.WRITEBACK_EVERY)
    small = FileEntry(name=b"f", mode=0o100644, size=patcher.WRITEBACK_EVERY - 1)
    path = os.fsencode(tmp_path / "f")
    assert not _replaces_big(path, big)
    (tmp_path / "f").write_bytes(b"old")
    assert _replaces_big(path, big) and not _replaces_big(path, small)


def test_preallocate_reserves_blocks_and_the_trim_gives_back_the_unwritten(tmp_path):
    """The file keeps its size (0) with its blocks reserved; written in part, the trim
    to its own length leaves it holding what was written and nothing past it."""
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        rc = oc_core.preallocate(fd, 16 << 20)
        if rc == -errno.EOPNOTSUPP:
            pytest.skip("the file system here cannot preallocate")
        assert rc == 0
        st = os.fstat(fd)
        assert st.st_size == 0 and st.st_blocks * 512 >= 16 << 20
        os.write(fd, os.urandom(1 << 20))
        os.ftruncate(fd, 1 << 20)  # (the receiver's trim)
        st = os.fstat(fd)
        assert st.st_size == 1 << 20
        assert st.st_blocks * 512 < 2 << 20  # (a little for the file system's own use)
    finally:
        os.close(fd)
    assert oc_core.preallocate(fd, 1) == -errno.EBADF
    assert oc_core.load_backend("pure").preallocate(-1, 1) == -errno.EOPNOTSUPP
