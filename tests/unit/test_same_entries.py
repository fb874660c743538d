"""oc_core.scan DirListing.same_in (same.c): which scanned entries already stand
identical in another directory, one attribute at a time."""
import os
import subprocess

import pytest
from oc_core.scan import (
    SAME_CONTENT,
    SAME_GROUP,
    SAME_LINK_TIMES,
    SAME_LINKS,
    SAME_OWNER,
    SAME_PERMS,
    scan_dir,
)

ALL = SAME_PERMS | SAME_OWNER | SAME_GROUP | SAME_LINKS | SAME_LINK_TIMES | SAME_CONTENT


@pytest.fixture
def pair(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    for i in range(12):  # (enough entries for the second thread of a content check)
        (src / f"f{i}").write_bytes(os.urandom(1000 + 7000 * i))
    os.symlink("f1", src / "link")
    (src / "sub").mkdir()
    os.mkfifo(src / "fifo")
    for p in src.iterdir():
        os.utime(p, ns=(1, 1_650_000_000_123_456_789), follow_symlinks=False)
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return src, dst


def _same(src, dst, flags) -> set[str]:
    listing = scan_dir(os.fsencode(src))
    marks = listing.same_in(os.fsencode(dst), flags)
    return {os.fsdecode(listing.name(i)) for i in range(len(listing)) if marks and marks[i]}


FILES = {f"f{i}" for i in range(12)}


def test_identical_files_and_links(pair):
    src, dst = pair
    assert _same(src, dst, ALL) == FILES | {"link"}
    assert _same(src, dst, 0) == FILES  # symlinks only with SAME_LINKS; never dirs, fifos


@pytest.mark.parametrize("change, flag", [
    (lambda d: os.chmod(d / "f3", 0o600), SAME_PERMS),
    (lambda d: os.chown(d / "f3", 4321, -1), SAME_OWNER),
    (lambda d: os.chown(d / "f3", -1, 4321), SAME_GROUP),
    (lambda d: (d / "f3").write_bytes(b"x" * 22000), SAME_CONTENT),
])
def test_an_attribute_counts_only_under_its_flag(pair, change, flag):
    src, dst = pair
    if flag in (SAME_OWNER, SAME_GROUP) and os.geteuid() != 0:
        pytest.skip("chown needs root")
    st = os.lstat(dst / "f3")
    change(dst)
    os.utime(dst / "f3", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _same(src, dst, ALL & ~flag) == FILES | {"link"}
    assert _same(src, dst, ALL) == FILES - {"f3"} | {"link"}


@pytest.mark.parametrize("change", [
    lambda d: os.utime(d / "f2", ns=(1, 1_650_000_000_123_456_788)),  # a nanosecond
    lambda d: (d / "f2").write_bytes(b"shorter"),
    lambda d: (d / "f2").unlink(),
    lambda d: ((d / "f2").unlink(), (d / "f2").mkdir()),
    lambda d: ((d / "f2").unlink(), os.symlink("f1", d / "f2")),
])
def test_size_time_and_type_always_count(pair, change):
    src, dst = pair
    change(dst)
    assert _same(src, dst, ALL) == FILES - {"f2"} | {"link"}
    assert _same(src, dst, 0) == FILES - {"f2"}


def test_symlink_target_and_time(pair):
    src, dst = pair
    os.utime(dst / "link", ns=(1, 5), follow_symlinks=False)
    assert "link" in _same(src, dst, SAME_LINKS)
    assert "link" not in _same(src, dst, SAME_LINKS | SAME_LINK_TIMES)
    os.unlink(dst / "link")
    os.symlink("f2", dst / "link")
    os.utime(dst / "link", ns=(1, 1_650_000_000_123_456_789), follow_symlinks=False)
    assert "link" not in _same(src, dst, SAME_LINKS)


def test_a_missing_destination_directory_marks_nothing(pair, tmp_path):
    src, _ = pair
    assert scan_dir(os.fsencode(src)).same_in(os.fsencode(tmp_path / "nope"), ALL) == b""


def test_a_destination_file_linked_where_its_source_is_not(pair):
    """Its bytes or attributes could change under its other name while the copy is
    elsewhere: it is left to the generator; linked on both sides, it counts as usual."""
    src, dst = pair
    os.link(dst / "f4", dst / "other")
    assert _same(src, dst, ALL) == FILES - {"f4"} | {"link"}
    os.link(src / "f4", src / "other")
    assert "f4" in _same(src, dst, ALL)


def test_checks_started_ahead_answer_in_any_order(tmp_path):
    """Several directories' checks queued before any is waited for (the local copy
    starts the next directory's while it handles this one's) give what each gives
    alone; one dropped unanswered is waited for and freed, and the workers go on."""
    pairs = []
    for k in range(6):
        src, dst = tmp_path / f"s{k}", tmp_path / f"d{k}"
        src.mkdir()
        for i in range(30):
            (src / f"f{i}").write_bytes(os.urandom(100 + 997 * i))
        subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
        (dst / f"f{k}").write_bytes(b"x" * (100 + 997 * k))  # same size, other bytes
        os.utime(dst / f"f{k}", ns=(1, os.lstat(src / f"f{k}").st_mtime_ns))
        pairs.append((scan_dir(os.fsencode(src)), os.fsencode(dst)))
    alone = [listing.same_in(dst, ALL) for listing, dst in pairs]
    started = [listing.start_same(dst, ALL) for listing, dst in pairs]
    started[2] = None  # (dropped unanswered)
    answers = {k: started[k]() for k in (5, 0, 4, 1, 3)}
    assert answers == {k: alone[k] for k in answers}
    for k, marks in enumerate(alone):
        listing = pairs[k][0]
        assert {listing.name(i) for i in range(len(listing)) if not marks[i]} == {b"f%d" % k}


def test_a_forked_child_checks_with_workers_of_its_own(pair):
    """The workers are threads of the process that made them: a child forked after the
    parent's checks makes its own (a local copy's server may be forked)."""
    src, dst = pair
    want = scan_dir(os.fsencode(src)).same_in(os.fsencode(dst), ALL)
    r, w = os.pipe()
    pid = os.fork()
    if not pid:
        try:
            os.write(w, scan_dir(os.fsencode(src)).same_in(os.fsencode(dst), ALL))
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 1000)
    os.waitpid(pid, 0)
    os.close(r)
    assert got == want and sum(want) == 13


@pytest.mark.parametrize("backend", ["native", "pure"])
@pytest.mark.parametrize("size", [0, 1, 16383, 16384, 16385, 40000])
def test_byte_comparison_at_the_read_sizes(tmp_path, backend, size):
    """files_equal (-c's comparison) around its 16 KiB reads: the same bytes are equal,
    a last byte changed is not, and a source that grew past the listed size is not."""
    import oc_core
    b = oc_core.load_backend(backend)
    data = os.urandom(size)
    src, dst = tmp_path / "s", tmp_path / "d"
    src.write_bytes(data)
    dst.write_bytes(data)
    assert b.files_equal(bytes(src), 0, bytes(dst), size) == 1
    if size:
        dst.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        assert b.files_equal(bytes(src), 0, bytes(dst), size) == 0
        dst.write_bytes(data)
    src.write_bytes(data + b"more")
    assert b.files_equal(bytes(src), 0, bytes(dst), size) == 0
