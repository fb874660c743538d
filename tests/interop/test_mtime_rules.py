"""When a time counts as changed (upstream util1.c same_time, rsync.c same_mtime): whole
seconds within --modify-window, nanoseconds too with a negative window (-@-1), and a
regular file's time set to the nanosecond once -c has found its bytes the same; a
directory's or a symlink's time that differs in nanoseconds only is left alone. Checked
against upstream 3.5.0 in five directions: the -i lines, the exit code and the tree
with nanosecond times.

Before, a local -c copy set every directory's time to the nanosecond (upstream leaves a
same-second one), -@-1 sent an unchanged file again without reporting its time, and a
transferred file's 't' ignored --modify-window."""
import os

import pytest
from test_rsync_interop import DIRECTIONS, _snapshot
from test_skip_messages import _lines, run_on

T = 1_600_000_000 * 10**9


def _trees(root):
    src, basis = root / "src", root / "basis"
    for top in (src, basis):
        (top / "d").mkdir(parents=True)
        (top / "same").write_bytes(b"same bytes\n")
        (top / "grown").write_bytes(b"longer in the source\n" if top == src else b"short\n")
        (top / "d" / "f").write_bytes(b"in d\n")
        os.symlink("same", top / "lnk")
    ns = {"same": 100, "grown": 0, "d/f": 0, "lnk": 300, "d": 400, ".": 0}
    for name, nsec in ns.items():  # the basis: the same second, other nanoseconds
        os.utime(src / name, ns=(T, T + nsec), follow_symlinks=False)
        os.utime(basis / name, ns=(T, T + nsec + 50), follow_symlinks=False)
    os.utime(basis / "grown", ns=(T, T + 10**9))  # a second apart, other size
    os.utime(src / "d", ns=(T, T + 400))
    os.utime(basis / "d", ns=(T, T + 450))
    return src, basis


CASES = [["-ai"], ["-aic"], ["-ai", "-@-1"], ["-aic", "-@-1"], ["-ai", "--modify-window=2"],
         ["-ai", "--no-inc-recursive"]]


@pytest.mark.parametrize("opts", CASES, ids=[" ".join(c) for c in CASES])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_times_change_where_upstreams_change(tmp_path, direction, opts):
    want, got, ref, ours = run_on(tmp_path, direction, opts, *_trees(tmp_path))
    assert want.returncode == 0
    dests = (ref, ours)
    assert _lines(got.stdout, dests) == _lines(want.stdout, dests)
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)
