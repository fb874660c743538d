"""Incremental recursion (upstream's default from protocol 30) against upstream 3.5.0: a
tree of a few thousand entries in many directories, so the sender's later file lists
arrive between the files; hard links across directories, deletions inside nested
directories, -n, a failing redo. Each case is compared in full with upstream-to-upstream,
and we check that the run was incremental (upstream's client says "incremental file
list", ours too)."""
import os
import random
import subprocess

import pytest
from test_rsync_interop import DIRECTIONS, OC, RSYNC, _copy, _run, _snapshot, _stub


def _big_tree(root):
    rng = random.Random(11)
    src = root / "src"
    for d in range(40):
        sub = src / f"d{d:02}" / ("inner" if d % 3 else "") / f"s{d}"
        sub.mkdir(parents=True)
        for f in range(30):
            (sub / f"f{f}").write_bytes(rng.randbytes(rng.randrange(0, 3000)))
        (src / f"d{d:02}" / "top").write_bytes(b"top %d" % d)
    (src / "d00" / "s0" / "big").write_bytes(rng.randbytes(400_000))
    os.link(src / "d00" / "s0" / "f1", src / "d38" / "inner" / "s38" / "far-link")
    os.link(src / "d00" / "s0" / "f1", src / "zz-link")
    os.symlink("d00/top", src / "lnk")
    for i, p in enumerate(sorted(src.rglob("*"))):  # seconds apart from "now", so a
        os.utime(p, ns=(1_600_000_000_000_000_000,  # directory written into is fixed
                        1_650_000_000_000_000_000 + i * 1_234_567), follow_symlinks=False)
    dst = root / "basis"
    _copy(src, dst)
    (dst / "d05" / "inner" / "s5" / "extra").write_bytes(b"extra")  # --delete takes it
    (dst / "d07" / "inner" / "gone-dir" / "x").mkdir(parents=True)
    data = bytearray((dst / "d00" / "s0" / "big").read_bytes())
    data[1000:1100] = bytes(100)  # a delta
    (dst / "d00" / "s0" / "big").write_bytes(bytes(data))
    os.utime(dst / "d00" / "s0" / "big", (1, 1))
    for d in range(0, 40, 4):  # some changed files
        (src / f"d{d:02}" / "top").write_bytes(b"changed %d" % d)
        os.utime(src / f"d{d:02}" / "top", ns=(1, 1_700_000_000_000_000_000 + d))
    return src, dst


@pytest.mark.parametrize("opts", [["-a"], ["-aH", "--delete"], ["-az", "--delete-delay"],
                                  ["-ai", "--no-whole-file"], ["-aHi"], ["-an", "--delete"],
                                  ["-a", "--inplace"], ["-aH", "--delete", "--protocol=30"]],
                         ids=["a", "aH-delete", "az-delete-delay", "ai", "aHi", "an",
                              "inplace", "p30"])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_incremental_transfers_match_upstream(tmp_path, direction, opts):
    src, basis = _big_tree(tmp_path)
    ref, ours = tmp_path / "ref", tmp_path / "ours"
    _copy(basis, ref)
    _copy(basis, ours)
    if direction.endswith("push") or direction.endswith("push-to-oc"):
        # the same client pushing to upstream's server: its lines say '<'
        want = subprocess.run([RSYNC, *opts, "-v", "-e", _stub(tmp_path), f"{src}/",
                               f"localhost:{ref}/"], capture_output=True, timeout=300)
    else:
        want = _run("reference", [*opts, "-v"], src, ref, tmp_path)
    got = _run(direction, [*opts, "-v"], src, ours, tmp_path)
    assert got.returncode == want.returncode == 0, got.stderr.decode(errors="replace")
    assert b"incremental file list" in got.stdout
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)
    if opts[0] in ("-ai", "-aHi"):  # whoever prints, in the stream's order, as upstream
        assert got.stdout.splitlines()[1:-3] == want.stdout.splitlines()[1:-3]


def test_no_inc_recursive_sends_one_list(tmp_path):
    src, basis = _big_tree(tmp_path)
    ours = tmp_path / "ours"
    _copy(basis, ours)
    got = subprocess.run([OC, "-av", "--no-inc-recursive", "-e", _stub(tmp_path),
                          f"localhost:{src}/", f"{ours}/"], capture_output=True, timeout=300)
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith(b"receiving file list ... done\n")
    ref = tmp_path / "ref"
    _copy(basis, ref)
    subprocess.run([RSYNC, "-a", f"{src}/", f"{ref}/"], check=True)
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)


@pytest.mark.parametrize("inc", ["--inc-recursive", "--no-inc-recursive"])
def test_both_sides_writing_much_do_not_block_each_other(tmp_path, inc):
    """5,000 new files in one directory: the generator's requests fill the pipe while
    the sender's data fills the other one; a reader keeps pushing its output out (this
    once hung with --no-inc-recursive)."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(5000):
        (src / f"f{i:04}").write_bytes(b"%d" % i * 300)
    got = subprocess.run([OC, "-a", inc, f"{src}/", f"{tmp_path / 'ours'}/"],
                         capture_output=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert _snapshot(tmp_path / "ours", True, True) == _snapshot(src, True, True)
