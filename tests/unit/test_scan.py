"""libcore's directory scanner against os.lstat / os.stat / os.readlink on real trees:
every field, odd names, big directories, errors, and the threaded batch form."""
import errno
import os
import stat

import pytest
from oc_core.scan import ScanAhead, scan_dir, scan_dirs, scan_path

NAMES = [b"plain", b"with space", b"new\nline", b"\xff\xfe-not-utf8", b"-leading-dash",
         b"empty", b"big"]


@pytest.fixture
def tree(tmp_path):
    root = os.fsencode(tmp_path)
    for n in NAMES:
        with open(os.path.join(root, n), "wb") as f:
            f.write(b"x" * (70_000 if n == b"big" else 0 if n == b"empty" else len(n)))
    os.mkdir(os.path.join(root, b"sub"))
    os.symlink(b"plain", os.path.join(root, b"link"))
    os.symlink(b"/nowhere/at/all", os.path.join(root, b"dangling"))
    os.mkfifo(os.path.join(root, b"fifo"))
    os.link(os.path.join(root, b"plain"), os.path.join(root, b"hardlink"))
    os.utime(os.path.join(root, b"plain"), ns=(1_600_000_000_123_456_789,
                                               1_700_000_000_987_654_321))
    return root


def _check(rec, st, target=None):
    assert rec.err == 0
    assert rec.mode == st.st_mode and rec.size == st.st_size
    assert rec.mtime * 10**9 + rec.mtime_nsec == st.st_mtime_ns
    if not stat.S_ISLNK(st.st_mode):  # reading a link's target touches its atime
        assert rec.atime * 10**9 + rec.atime_nsec == st.st_atime_ns
    assert (rec.uid, rec.gid, rec.nlink, rec.ino) == (st.st_uid, st.st_gid, st.st_nlink,
                                                      st.st_ino)
    assert os.makedev(*rec.dev) == st.st_dev and os.makedev(*rec.rdev) == st.st_rdev
    assert rec.link_target == target


def test_every_field_equals_lstat(tree):
    listing = scan_dir(tree)
    got = {r.name: r for r in listing}
    assert sorted(got) == sorted(os.listdir(tree))
    for name, rec in got.items():
        path = os.path.join(tree, name)
        st = os.lstat(path)
        _check(rec, st, os.readlink(path) if stat.S_ISLNK(st.st_mode) else None)
    assert got[b"plain"].ino == got[b"hardlink"].ino and got[b"plain"].nlink == 2
    assert stat.S_ISFIFO(got[b"fifo"].mode) and stat.S_ISDIR(got[b"sub"].mode)
    assert [listing.name(i) for i in range(len(listing))] == [r.name for r in listing]
    assert [listing.mode(i) for i in range(len(listing))] == [r.mode for r in listing]


def test_follow_stats_the_target_and_reports_dangling_links(tree):
    got = {r.name: r for r in scan_dir(tree, follow=True, read_links=False)}
    _check(got[b"link"], os.stat(os.path.join(tree, b"link")))
    assert got[b"dangling"].err == errno.ENOENT


def test_a_directory_bigger_than_one_getdents_batch(tmp_path):
    root = os.fsencode(tmp_path)
    names = {b"f%05d-%s" % (i, b"x" * (i % 40)) for i in range(5000)}
    for n in names:
        open(os.path.join(root, n), "wb").close()
    listing = scan_dir(root)
    assert len(listing) == 5000 and {r.name for r in listing} == names
    assert listing.packed_size < 5000 * (120 + 60)


def test_errors_carry_errno_and_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        scan_dir(os.fsencode(tmp_path / "missing"))
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError) as e:
        scan_dir(os.fsencode(tmp_path / "file"))
    assert e.value.filename == str(tmp_path / "file")
    os.symlink(tmp_path, tmp_path / "dirlink")
    with pytest.raises(OSError) as e:  # a symlink to a directory is not entered...
        scan_dir(os.fsencode(tmp_path / "dirlink"))
    assert e.value.errno in (errno.ELOOP, errno.ENOTDIR)
    assert len(scan_dir(os.fsencode(tmp_path / "dirlink"), follow=True)) == 2  # ...unless -L


def test_scan_dirs_gives_each_directory_its_own_result(tree, tmp_path):
    paths = [tree, os.path.join(tree, b"sub"), os.fsencode(tmp_path / "nope")] * 5
    results = scan_dirs(paths, threads=3)
    assert isinstance(results[2], FileNotFoundError)
    for p, res in zip(paths, results, strict=True):
        if p.endswith(b"nope"):
            continue
        assert sorted(r.name for r in res) == sorted(os.listdir(p))


def test_scan_ahead_gives_what_scan_dir_gives(tree, tmp_path):
    """A directory asked for ahead is read on the other thread and handed over once;
    one not asked for is read when taken; a failure is raised where it is taken."""
    sub, nope = os.path.join(tree, b"sub"), os.fsencode(tmp_path / "nope")
    with open(os.path.join(sub, b"f"), "wb"):
        pass
    ahead = ScanAhead()
    ahead.start(tree)
    ahead.start(nope)
    ahead.start(sub, open_follow=True)
    for path in (tree, sub):
        want = sorted(r.name for r in scan_dir(path))
        assert sorted(r.name for r in ahead.take(path, open_follow=path == sub)) == want
        assert sorted(r.name for r in ahead.take(path)) == want  # (read again, here)
    with pytest.raises(FileNotFoundError):
        ahead.take(nope)
    os.symlink(b"sub", os.path.join(tree, b"to-sub"))
    ahead.start(os.path.join(tree, b"to-sub"))  # (a link: opened only with open_follow)
    with pytest.raises(OSError) as e:
        ahead.take(os.path.join(tree, b"to-sub"))
    assert e.value.errno in (errno.ELOOP, errno.ENOTDIR)


def test_scan_path(tree):
    rec = scan_path(os.path.join(tree, b"link"))
    _check(rec, os.lstat(os.path.join(tree, b"link")), b"plain")
    assert rec.name == os.path.join(tree, b"link")
    with pytest.raises(FileNotFoundError):
        scan_path(os.path.join(tree, b"missing"))


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_device_numbers(tmp_path):
    os.mknod(tmp_path / "dev", stat.S_IFCHR | 0o600, os.makedev(1, 7))
    (rec,) = list(scan_dir(os.fsencode(tmp_path)))
    assert stat.S_ISCHR(rec.mode) and rec.rdev == (1, 7)
