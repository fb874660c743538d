"""oc_flist.files_from.sanitize: upstream's sanitize_path at depth 0 (util1.c), as
send_file_list applies it to each --files-from name."""
import pytest
from oc_flist.files_from import sanitize, sources_for

CASES = [  # name, kept with -R ("." components stay), without -R
    (b"/file", b"file", b"file"), (b"../keep", b"keep", b"keep"),
    (b"a/../b", b"b", b"b"), (b"a/b/..", b"a/", b"a/"), (b"a/b/../c", b"a/c", b"a/c"),
    (b"..", b".", b"."), (b"a/..", b".", b"."), (b"x/../../y", b"y", b"y"),
    (b"../../x/y", b"x/y", b"x/y"), (b"//a//b", b"a/b", b"a/b"),
    (b"./a", b"./a", b"a"), (b"a/./b", b"a/./b", b"a/b"), (b"dir/", b"dir/", b"dir/"),
    (b"..a/b..", b"..a/b..", b"..a/b.."), (b"", b".", b".")]


@pytest.mark.parametrize("name,kept,dropped", CASES)
def test_sanitize(name, kept, dropped):
    assert sanitize(name) == kept
    assert sanitize(name, drop_dot_dirs=True) == dropped


def test_sources_for_never_leave_the_base():
    assert sources_for(b"src/", [b"../one", b"/dir/./x", b"a/../.."]) == [
        b"src/./one", b"src/dir/./x", b"src/./."]
