"""The receiver's held directories (paths.HeldDirs, Destination.dir_fd): a temp file made
and renamed through them stays in the directory that was reached, when a parent is
swapped for a symlink to somewhere else after it was opened; one swapped before it is
reached is refused when it leads out of the tree (EXDEV), followed when it stays inside
(as upstream's -R --no-implied-dirs uses one), and -K follows any. open_beneath (openat2
RESOLVE_BENEATH, and its reference) is what reaches them."""
import errno
import os
import stat

import oc_core
import pytest
from oc_rsync.attrs import Attrs
from oc_rsync.install import install_written, remove_temp, temp_file
from oc_rsync.options import Options
from oc_rsync.paths import Destination
from oc_wire.flist_entry import FileEntry

F = stat.S_IFREG | 0o644


def _tree(tmp_path):
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    (dest / "sub").mkdir(parents=True)
    outside.mkdir()
    entries = [FileEntry(b"sub", stat.S_IFDIR | 0o755), FileEntry(b"sub/f", F, size=4)]
    return Destination(os.fsencode(dest), entries), dest, outside, entries[1]


def _swap(dest, outside):
    """sub becomes a symlink to outside; the real directory moves aside."""
    os.rename(dest / "sub", dest / "moved")
    os.symlink(outside, dest / "sub")


def test_a_swapped_parent_leads_nothing_outside(tmp_path):
    where, dest, outside, e = _tree(tmp_path)
    path = where.path(e)
    held = where.dir_fd(path)  # reached while sub is a directory
    fd, tmp = temp_file(os.path.dirname(path), b"f", held)
    os.write(fd, b"data")
    _swap(dest, outside)
    install_written(Attrs(Options()), e, path, tmp, fd, held, held)
    assert os.listdir(outside) == []
    assert (dest / "moved" / "f").read_bytes() == b"data"
    fd, tmp = temp_file(os.path.dirname(path), b"g", held)
    os.close(fd)
    remove_temp(tmp, held)
    assert sorted(os.listdir(dest / "moved")) == ["f"]
    where.held.close()


@pytest.mark.parametrize("keep_dirlinks", [False, True])
def test_a_parent_swapped_before_it_is_reached(tmp_path, keep_dirlinks):
    where, dest, outside, e = _tree(tmp_path)
    where.held.follow = keep_dirlinks
    path = where.path(e)
    _swap(dest, outside)
    if keep_dirlinks:  # -K: the destination's symlinks to directories are used
        assert os.path.samestat(os.fstat(where.dir_fd(path)), os.stat(outside))
    else:
        with pytest.raises(OSError) as got:
            where.dir_fd(path)
        assert got.value.errno == errno.EXDEV
    where.held.close()


def test_a_symlink_inside_the_tree_is_followed(tmp_path):
    where, dest, _, e = _tree(tmp_path)
    os.rmdir(dest / "sub")
    (dest / "real").mkdir()
    os.symlink("real", dest / "sub")
    assert os.path.samestat(os.fstat(where.dir_fd(where.path(e))), os.stat(dest / "real"))
    where.held.close()


@pytest.mark.parametrize("backend", ["native", "pure"])
def test_open_beneath(tmp_path, backend):
    b = oc_core.load_backend(backend)
    (tmp_path / "top" / "a" / "b").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "top" / "a" / "b" / "f").write_bytes(b"f")
    top = tmp_path / "top"
    for name, target in (("in", "a/b"), ("up", "../a"), ("abs", str(tmp_path / "out")),
                         ("esc", "../out"), ("loop", "loop"), ("a/b/back", "../../a")):
        os.symlink(target, top / name)
    d = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    flags = os.O_RDONLY | os.O_DIRECTORY
    try:
        for path, real in ((b"a/b", "a/b"), (b"in", "a/b"), (b"a/b/back/b", "a/b"),
                           (b"a/../a/./b", "a/b"), (b"a/b/back", "a"), (b".", ".")):
            fd = b.open_beneath(d, path, flags)
            assert os.path.samestat(os.fstat(fd), os.stat(top / real)), path
            os.close(fd)
        fd = b.open_beneath(d, b"in/f", os.O_RDONLY)
        assert os.read(fd, 5) == b"f"
        os.close(fd)
        for path, err in ((b"abs", errno.EXDEV), (b"esc", errno.EXDEV), (b"..", errno.EXDEV),
                          (b"/etc", errno.EXDEV), (b"a/../../out", errno.EXDEV),
                          (b"loop", errno.ELOOP), (b"nothere", errno.ENOENT)):
            with pytest.raises(OSError) as got:
                b.open_beneath(d, path, flags)
            assert got.value.errno == err, path
    finally:
        os.close(d)


def test_forgotten_and_evicted_directories_are_reopened(tmp_path):
    where, dest, _, e = _tree(tmp_path)
    for k in range(where.held.LIMIT + 5):
        (dest / "sub" / str(k)).mkdir()
        where.held.fd(b"sub/%d" % k)
    assert len(where.held._fds) <= where.held.LIMIT
    path = where.path(e)
    assert os.path.samestat(os.fstat(where.dir_fd(path)), os.stat(dest / "sub"))
    os.rename(dest / "sub", dest / "old")
    (dest / "sub").mkdir()
    assert os.path.samestat(os.fstat(where.dir_fd(path)), os.stat(dest / "old"))  # held
    where.replaced(where.path(FileEntry(b"sub", stat.S_IFDIR)))
    assert os.path.samestat(os.fstat(where.dir_fd(path)), os.stat(dest / "sub"))
    where.held.close()
