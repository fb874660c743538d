"""patcher.DropBehind and the receiver's choice of it (receiver.basis_reader): the big
basis a new file replaces leaves the page cache as it is read, forward reads only, on a
thread of its own, and reads return the file's bytes whatever was dropped; a basis that
outlives the transfer (another link, written in place, a partial file) or a small one is
read without dropping anything. patcher.close_last: the last descriptor of a big file a
rename replaced is let go by a helper process."""
import ctypes
import mmap
import os

import pytest
from oc_patch import patcher
from oc_patch.patcher import RELEASE_ELSEWHERE, WRITEBACK_EVERY, DropBehind, close_last
from oc_rsync.receiver import basis_reader

PAGE = os.sysconf("SC_PAGE_SIZE")
SIZE = WRITEBACK_EVERY  # (the smallest basis that is dropped)
MIB = 1 << 20
_libc = ctypes.CDLL(None, use_errno=True)


def resident_pages(path) -> int:
    """How many of the file's pages are in the page cache (mincore over a mapping, which
    looks without faulting anything in)."""
    size = os.path.getsize(path)
    fd = os.open(path, os.O_RDWR)
    try:
        with mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE) as mm:
            pages = (size + PAGE - 1) // PAGE
            vec = (ctypes.c_ubyte * pages)()
            addr = ctypes.addressof(ctypes.c_char.from_buffer(mm))
            if _libc.mincore(ctypes.c_void_p(addr), ctypes.c_size_t(size), vec):
                raise OSError(ctypes.get_errno(), "mincore")
            return sum(v & 1 for v in vec)
    finally:
        os.close(fd)


def cached(tmp_path, size: int = SIZE):
    """A file read into the cache, all of it clean (pages that can be dropped): written
    with O_DIRECT (an fsync would also wait for the device to flush whatever else it
    holds); skips where the filesystem has no O_DIRECT or keeps clean pages (tmpfs)."""
    path = tmp_path / f"basis{size}"
    data = os.urandom(size)
    with mmap.mmap(-1, size) as aligned:  # (O_DIRECT wants page-aligned memory)
        aligned[:] = data
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
        except OSError:
            pytest.skip("no O_DIRECT on this filesystem")
        try:
            assert os.write(fd, aligned) == size
        finally:
            os.close(fd)
    if resident_pages(path):
        pytest.skip("this filesystem keeps written pages cached (tmpfs?)")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.pread(fd, size, 0)
    finally:
        os.close(fd)
    assert resident_pages(path) == size // PAGE
    return path, data


def test_forward_reads_drop_what_they_read(tmp_path):
    path, data = cached(tmp_path)
    fd = os.open(path, os.O_RDONLY)
    try:
        read = DropBehind(fd)
        assert read(0, MIB) == data[:MIB]
        assert read(2 * MIB, MIB) == data[2 * MIB:3 * MIB]  # past a gap: dropped
        # behind the furthest read: read again (from the disk), not dropped again
        assert read(PAGE, 2 * PAGE) == data[PAGE:3 * PAGE]
        assert read(len(data) - 100, 1000) == data[-100:]  # short at the end
        assert read(len(data), 10) == b""
        read.close(wait=True)
        # the two MiB read forward are gone, the rest stays, the last page too (only
        # whole pages inside a dropped range leave); the two pages read again are back
        # unless the drop of the first MiB was still queued when they were read
        assert resident_pages(path) - (len(data) - 2 * MIB) // PAGE in (0, 2)
    finally:
        os.close(fd)


def test_the_thread_keeps_its_own_descriptor_until_closed(tmp_path):
    path, data = cached(tmp_path)
    fd = os.open(path, os.O_RDONLY)
    read = DropBehind(fd)
    os.close(fd)  # (the receiver's own descriptor may go first)
    assert read(0, len(data)) == data
    read.close(wait=True)
    assert resident_pages(path) == 0
    with pytest.raises(OSError):
        os.fstat(read.fd)


def test_only_a_big_basis_that_dies_is_dropped(tmp_path):
    path, data = cached(tmp_path)
    small, sdata = cached(tmp_path, SIZE - PAGE)
    fd, sfd = os.open(path, os.O_RDONLY), os.open(small, os.O_RDONLY)
    try:
        assert basis_reader(fd, kept=True)(0, len(data)) == data  # in place / partial
        assert basis_reader(sfd, kept=False)(0, len(sdata)) == sdata
        os.link(path, tmp_path / "other")  # another name keeps the inode alive
        assert basis_reader(fd, kept=False)(0, len(data)) == data
        assert resident_pages(path) == len(data) // PAGE
        assert resident_pages(small) == len(sdata) // PAGE
        os.unlink(tmp_path / "other")
        read = basis_reader(fd, kept=False)
        assert read(0, len(data)) == data
        read.close(wait=True)
        assert resident_pages(path) == 0
    finally:
        os.close(fd)
        os.close(sfd)
    assert basis_reader(None, kept=False)(0, 10) == b""


def unlinked(tmp_path, size: int = RELEASE_ELSEWHERE) -> tuple[int, int]:
    """A descriptor of a file of size bytes (sparse) that has no name left, and its inode."""
    path = tmp_path / "replaced"
    with open(path, "wb") as f:
        f.truncate(size)
    fd = os.open(path, os.O_RDONLY)
    os.unlink(path)
    return fd, os.fstat(fd).st_ino


def holds(pid, ino: int) -> bool:
    """Whether process pid has a descriptor of inode ino."""
    fds = f"/proc/{pid}/fd"
    return any(os.stat(f"{fds}/{n}").st_ino == ino for n in os.listdir(fds)
               if os.path.exists(f"{fds}/{n}"))


def test_a_helper_holds_the_replaced_file_past_our_close(tmp_path, monkeypatch):
    fd, ino = unlinked(tmp_path)
    at_our_close = []
    real_close = os.close

    def close(n):
        if n == fd:
            at_our_close.append(holds(patcher._helpers[-1], ino))
        real_close(n)
    monkeypatch.setattr(patcher.os, "close", close)
    close_last(fd)
    monkeypatch.undo()
    assert at_our_close == [True]
    pid = patcher._helpers[-1]
    assert os.waitpid(pid, 0)[1] == 0  # it ended by itself, as its input ended
    assert not holds("self", ino)


@pytest.mark.parametrize("case", ["linked", "small"])
def test_other_files_are_closed_here(tmp_path, monkeypatch, case):
    if case == "linked":
        path = tmp_path / "kept"
        with open(path, "wb") as f:
            f.truncate(RELEASE_ELSEWHERE)
        fd = os.open(path, os.O_RDONLY)
    else:
        fd, _ = unlinked(tmp_path, RELEASE_ELSEWHERE - 1)
    spawned = []
    monkeypatch.setattr(patcher.os, "posix_spawnp", lambda *a, **k: spawned.append(a))
    close_last(fd)
    assert spawned == []
    with pytest.raises(OSError):
        os.fstat(fd)


def test_without_a_helper_the_file_is_closed_here(tmp_path, monkeypatch):
    fd, ino = unlinked(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # (no cat to start)
    before = list(patcher._helpers)
    close_last(fd)
    assert patcher._helpers == before
    assert not holds("self", ino)
