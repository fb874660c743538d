"""patcher.pread_dropping and the receiver's choice of it (receiver.basis_reader): the
basis a new file replaces leaves the page cache as it is read, forward reads only, and
reads return the file's bytes whatever was dropped; a basis that outlives the transfer
(another link, written in place, a partial file) is read without dropping anything."""
import ctypes
import mmap
import os

import pytest
from oc_patch.patcher import pread_dropping
from oc_rsync.receiver import basis_reader

PAGE = os.sysconf("SC_PAGE_SIZE")
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


@pytest.fixture
def cached_file(tmp_path):
    """A 4 MiB file, synced (clean pages can be dropped) and read into the cache; skips
    where the filesystem keeps its pages regardless (tmpfs)."""
    path = tmp_path / "basis"
    data = os.urandom(4 << 20)
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        if resident_pages(path):
            pytest.skip("this filesystem keeps clean pages cached (tmpfs?)")
        os.pread(fd, len(data), 0)
    finally:
        os.close(fd)
    assert resident_pages(path) == len(data) // PAGE
    return path, data


def test_forward_reads_drop_what_they_read(cached_file):
    path, data = cached_file
    fd = os.open(path, os.O_RDONLY)
    try:
        read = pread_dropping(fd)
        assert read(0, 1 << 20) == data[:1 << 20]
        assert resident_pages(path) == (3 << 20) // PAGE
        assert read(2 << 20, 1 << 20) == data[2 << 20:3 << 20]  # past a gap: dropped
        assert resident_pages(path) == (2 << 20) // PAGE
        # behind the furthest read: from the disk, and it stays cached from then on
        assert read(PAGE, 2 * PAGE) == data[PAGE:3 * PAGE]
        assert resident_pages(path) == ((2 << 20) + 2 * PAGE) // PAGE
        assert read(len(data) - 100, 1000) == data[-100:]  # short at the end
        assert read(len(data), 10) == b""
    finally:
        os.close(fd)


def test_only_a_basis_that_dies_is_dropped(cached_file, tmp_path):
    path, data = cached_file
    fd = os.open(path, os.O_RDONLY)
    try:
        assert basis_reader(fd, kept=True)(0, len(data)) == data  # in place / partial
        assert resident_pages(path) == len(data) // PAGE
        os.link(path, tmp_path / "other")  # another name keeps the inode alive
        assert basis_reader(fd, kept=False)(0, len(data)) == data
        assert resident_pages(path) == len(data) // PAGE
        os.unlink(tmp_path / "other")
        assert basis_reader(fd, kept=False)(0, len(data)) == data
        assert resident_pages(path) == 0
    finally:
        os.close(fd)
    assert basis_reader(None, kept=False)(0, 10) == b""
