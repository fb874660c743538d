"""mapped.c: files read through a mapping survive the file shrinking under them (the
vanished pages read as zeros and are remembered) while any other SIGBUS still does what
it would have done."""
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest
from oc_core import load_backend

NATIVE = load_backend("native")
PAGE = os.sysconf("SC_PAGESIZE")


def _mapped(tmp_path, data: bytes):
    path = tmp_path / "f"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    return path, fd, NATIVE.FileMap(fd, len(data))


@pytest.mark.parametrize("cut", [0, 1, PAGE, 2 * PAGE + 5])
def test_vanished_pages_read_as_zeros(tmp_path, cut):
    data = os.urandom(4 * PAGE)
    path, fd, fmap = _mapped(tmp_path, data)
    try:
        assert bytes(fmap.buf) == data and not fmap.shrank()
        os.truncate(path, cut)
        assert bytes(fmap.buf) == data[:cut] + bytes(len(data) - cut)
        assert fmap.shrank()
    finally:
        fmap.close()
        os.close(fd)


def test_a_file_that_grew_is_not_taken_as_shrunk(tmp_path):
    path, fd, fmap = _mapped(tmp_path, b"x" * 100)
    try:
        with open(path, "ab") as f:
            f.write(b"more")
        assert bytes(fmap.buf) == b"x" * 100 and not fmap.shrank()
    finally:
        fmap.close()
        os.close(fd)


def test_reading_on_another_thread_and_in_c(tmp_path):
    """The handler is per fault, whichever thread faults, and libcore's C (the block sums
    here) reads the zeros as Python does."""
    data = os.urandom(8 * PAGE)
    path, fd, fmap = _mapped(tmp_path, data)
    try:
        os.truncate(path, 3 * PAGE)
        got = []
        t = threading.Thread(target=lambda: got.append(
            NATIVE.block_sums(memoryview(fmap.buf), PAGE)))
        t.start()
        t.join()
        assert got == [NATIVE.block_sums(data[:3 * PAGE] + bytes(5 * PAGE), PAGE)]
        assert fmap.shrank()
    finally:
        fmap.close()
        os.close(fd)


_CHILD = """
import mmap, os, sys
from oc_core import load_backend
native = load_backend("native")
path = os.path.join(sys.argv[1], "f")
with open(path, "wb") as f:
    f.write(b"y" * 2 * 4096)
fd = os.open(path, os.O_RDONLY)
ours = native.FileMap(fd, 2 * 4096)
"""


def _run(then: str, tmp_path) -> subprocess.CompletedProcess:
    """A Python of its own that maps a file of two pages (`ours`, at `fd`, `path`), then
    runs `then`."""
    return subprocess.run([sys.executable, "-c", _CHILD + textwrap.dedent(then),
                           str(tmp_path)], capture_output=True, text=True, timeout=60)


def test_in_a_process_of_its_own(tmp_path):
    """No faulthandler there (pytest installs one): our handler alone turns the fault into
    zeros."""
    r = _run("""
        os.truncate(path, 0)
        print(bytes(ours.buf).count(0), ours.shrank())
    """, tmp_path)
    assert (r.returncode, r.stdout.split()) == (0, [str(2 * 4096), "True"]), r.stderr


def test_a_sigbus_elsewhere_still_kills(tmp_path):
    """A mapping that is not ours (Python's mmap here) faulting past the end of its file:
    the process dies of SIGBUS as it would without libcore, after ours has been used."""
    r = _run("""
        theirs = mmap.mmap(fd, 2 * 4096, access=mmap.ACCESS_READ)
        os.truncate(path, 0)
        assert bytes(ours.buf) == bytes(2 * 4096)
        print("ours survived", flush=True)
        theirs[4096]
        print("not reached", flush=True)
    """, tmp_path)
    assert r.returncode == -signal.SIGBUS and r.stdout == "ours survived\n", r.stderr


def test_many_mappings_at_once(tmp_path):
    """A table of 64: past it, map_file declines (the caller reads instead) rather than
    map what the handler could not find."""
    path = tmp_path / "f"
    path.write_bytes(bytes(NATIVE.MAP_FROM))
    fd = os.open(path, os.O_RDONLY)
    maps = []
    try:
        while (m := NATIVE.map_file(fd, NATIVE.MAP_FROM)) is not None:
            maps.append(m)
            assert len(maps) <= 64
        assert len(maps) >= 60  # (a few may be held elsewhere in this process)
        maps.pop().close()
        assert NATIVE.map_file(fd, NATIVE.MAP_FROM) is not None
    finally:
        for m in maps:
            m.close()
        os.close(fd)
