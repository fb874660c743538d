"""--checksum-choice=A,B: A for the transfer (block sums, the transfer's whole-file sum),
B for -c's sums in the file list (upstream checksum.c parse_checksum_choice:
xfer_sum_nni, file_sum_nni), against upstream 3.5.0 in five directions: the -i lines, the
exit code and the tree. The basis holds the source's bytes under other times (so -c
finds them the same and only fixes the times) and a file of the same size and time with
other bytes (which -c must find and send).

Before, ours took A for both: the list's sums had A's length where upstream writes B's,
so each side misread the other's list ("expected no hard-link entries ...", exit 2, or
a run that hung)."""
import os

import pytest
from test_rsync_interop import DIRECTIONS, _snapshot
from test_skip_messages import _lines, run_on

PAIRS = ["md5,xxh3", "xxh3,md5", "xxh128,md4", "md4,xxh128", "xxh64,md5"]


def _trees(root):
    src, basis = root / "src", root / "basis"
    for top in (src, basis):
        (top / "d").mkdir(parents=True)
    for k, name in enumerate(("a", "b", "d/c", "d/e")):
        data = os.urandom(3000 + 5000 * k)
        (src / name).write_bytes(data)
        (basis / name).write_bytes(data)
        os.utime(src / name, (1_600_000_000, 1_600_000_000))
        os.utime(basis / name, (1_500_000_000, 1_500_000_000))
    (basis / "b").write_bytes(os.urandom(8000))  # same size and time, other bytes
    os.utime(basis / "b", (1_600_000_000, 1_600_000_000))
    return src, basis


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_checksum_pair_sums_the_list_with_its_second(tmp_path, direction, pair):
    opts = ["-aic", f"--checksum-choice={pair}"]
    want, got, ref, ours = run_on(tmp_path, direction, opts, *_trees(tmp_path))
    assert want.returncode == 0
    dests = (ref, ours)
    assert _lines(got.stdout, dests) == _lines(want.stdout, dests)
    assert b"fc........ b" in want.stdout and b".f..t" in want.stdout  # (b sent, the
    # rest touched)
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)
