"""open_operator_path: a path the operator named is opened through symlinks of root's
or ours only; another user's symlink, at the end or on the way, is refused (ELOOP) and
the file it points at is left alone."""
import errno
import os

import pytest
from oc_core.operator_paths import open_operator_path

NOBODY = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown a symlink")


def _write(path, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    fd = open_operator_path(path, flags, 0o600)
    try:
        os.write(fd, b"new")
    finally:
        os.close(fd)


def test_plain_paths_open_relative_and_absolute(tmp_path, monkeypatch):
    _write(tmp_path / "a")
    assert (tmp_path / "a").read_bytes() == b"new"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    _write("d/../d/./b")
    assert (tmp_path / "d" / "b").read_bytes() == b"new"


def test_our_own_symlinks_are_followed(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink("real", tmp_path / "via")
    os.symlink(str(tmp_path / "real" / "target"), tmp_path / "leaf")
    _write(tmp_path / "via" / "f")
    _write(tmp_path / "leaf")
    assert (tmp_path / "real" / "f").read_bytes() == b"new"
    assert (tmp_path / "real" / "target").read_bytes() == b"new"


@pytest.mark.parametrize("where", ["leaf", "parent"])
def test_another_users_symlink_is_refused(tmp_path, where):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    if where == "leaf":
        os.symlink(str(victim), tmp_path / "planted")
        path = tmp_path / "planted"
    else:
        os.symlink(str(tmp_path), tmp_path / "planted")
        path = tmp_path / "planted" / "victim"
    os.lchown(tmp_path / "planted", NOBODY, NOBODY)
    with pytest.raises(OSError) as e:
        _write(path)
    assert e.value.errno == errno.ELOOP
    assert victim.read_bytes() == b"precious"


def test_a_symlink_loop_ends(tmp_path):
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(OSError) as e:
        open_operator_path(tmp_path / "a", os.O_RDONLY)
    assert e.value.errno == errno.ELOOP
