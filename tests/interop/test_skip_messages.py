"""The transfer overrides (--existing, --ignore-existing, --max-size, --min-size, -u) and
their --info=SKIP lines ("F is newer", "F exists (file change)", "not creating new
directory "D""...), with -vv's other notes (a deletion pass's "deleting in D", the
scan's notes before "done"), against upstream 3.5.0 in five directions: the destination
tree, the exit code, the lines on standard output and the messages on standard error, each as
upstream-to-upstream gives them for the same case.

Before, none of these lines was printed (--info=SKIP was accepted and did nothing), -u
kept a newer regular file where the sender has a symlink (upstream replaces it: -u
concerns regular files), --ignore-existing replaced a file standing where the sender has
a directory (upstream keeps it, and its contents fail "Not a directory"), and the
order of the checks differed (a file over --max-size that exists said nothing of it)."""
import os
import re

import pytest
from test_rsync_interop import DIRECTIONS, _reference_for, _run, _snapshot


def _trees(root):
    """src/ and a destination basis/ that differs from it in every way the overrides
    look at."""
    src, dst = root / "src", root / "basis"
    for d in (src / "newdir" / "sub", src / "old", src / "dd", dst / "old"):
        d.mkdir(parents=True)

    def put(path, data: bytes, mtime: int | None = None):
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    put(src / "same", b"same\n", 1_500_000_000)
    put(dst / "same", b"same\n", 1_500_000_000)
    put(src / "dnewer", b"newer-in-dst\n", 1_500_000_000)   # the destination's is newer
    put(dst / "dnewer", b"x\n", 2_000_000_000)
    put(src / "dolder", b"older-in-dst\n", 1_500_000_000)   # the destination's is older
    put(dst / "dolder", b"y\n", 1_000_000_000)
    put(src / "samet", b"samet\n", 1_500_000_000)           # same time, other size
    put(dst / "samet", b"samet-but-longer\n", 1_500_000_000)
    put(src / "new", b"new\n")
    put(src / "big", bytes(5000), 1_600_000_000)
    put(dst / "big", b"z" * 5000, 1_600_000_000)
    put(src / "tiny", b"t\n", 1_600_000_000)
    put(dst / "tiny", b"q\n", 1_600_000_000)
    put(src / "newdir" / "f", b"n\n")
    put(src / "newdir" / "sub" / "g", b"m\n")
    put(src / "old" / "f", b"o\n", 1_600_000_000)
    put(dst / "old" / "f", b"p\n", 1_600_000_000)
    put(src / "dd" / "f", b"in-dd\n")
    put(dst / "dd", b"a file where the sender has a directory\n")
    os.symlink("same", src / "lnk")
    put(dst / "lnk", b"reg\n", 2_000_000_000)  # newer, but -u concerns regular files
    put(dst / "extra", b"only here\n")  # for --delete
    for d in (src / "newdir" / "sub", src / "newdir", src / "old", src / "dd", src):
        os.utime(d, (1_600_000_000, 1_600_000_000))
    return src, dst


CASES = [["-avv", "--existing"], ["-avv", "--ignore-existing"], ["-avv", "-u"],
         ["-avv", "--max-size=1000"], ["-avv", "--min-size=3"],
         ["-av", "--info=skip2", "--ignore-existing"],
         ["-a", "--info=skip2", "-c", "--ignore-existing"],
         ["-av", "--info=skip", "--existing", "-u", "--max-size=1000", "--min-size=3"],
         ["-avv", "--ignore-existing", "--max-size=1000"], ["-avv", "--info=skip0", "-u"],
         ["-rlvv", "--existing", "--no-inc-recursive"],
         ["-avv", "--min-size=3", "--max-size=4", "-u", "--protocol=29"],
         ["-av", "--dry-run", "--delete"], ["-avin", "--ignore-existing"],
         ["-aivv", "-u", "--delete-after"], ["-avv", "--delete-before", "--debug=del0"],
         ["-av", "--delete-after", "--debug=del"]]


def _lines(out: bytes, dests) -> list[bytes]:
    skip = (b"created directory", b"sent ", b"total size", b"sending", b"receiving",
            b"building", b"delta-transmission", b"total: matches", b"[sender]",
            b"[Receiver]", b"[receiver]", b"done", b"opening connection")
    out = re.sub(rb"^oc-rsync", b"rsync", out, flags=re.M)  # (our program's name)
    out = re.sub(rb"\) at \S+\(\d+\) \[\w+=[\d.]+\]$", b")", out, flags=re.M)  # (upstream
    for d in dests:                                                  # names its source)
        out = out.replace(os.fsencode(d), b"DEST")
    return sorted(x for x in out.splitlines() if x and not x.startswith(skip))


def run_both(tmp_path, direction: str, opts: list[str]):
    """The trees of _trees, upstream's reference run and ours of the case, which end
    alike: (upstream's, ours, its destination, ours)."""
    return run_on(tmp_path, direction, opts, *_trees(tmp_path))


def run_on(tmp_path, direction: str, opts: list[str], src, basis):
    """Upstream's reference run and ours of the case from src over copies of basis,
    which end alike: (upstream's, ours, its destination, ours)."""
    ref, ours = tmp_path / "ref", tmp_path / "ours"
    for d in (ref, ours):
        os.system(f"cp -a {basis} {d}")
    want = _reference_for(direction, opts, src, ref, tmp_path)
    got = _run(direction, opts, src, ours, tmp_path)
    assert got.returncode == want.returncode, got.stderr
    return want, got, ref, ours


@pytest.mark.parametrize("opts", CASES, ids=[" ".join(c) for c in CASES])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_skip_messages_and_results_match_upstream(tmp_path, direction, opts):
    want, got, ref, ours = run_both(tmp_path, direction, opts)
    dests = (ref, ours)
    assert _lines(got.stdout, dests) == _lines(want.stdout, dests)
    assert _lines(got.stderr, dests) == _lines(want.stderr, dests)
    times = "t" in opts[0] or "a" in opts[0]  # (without -t a new file's mtime is now)
    assert _snapshot(ours, True, times) == _snapshot(ref, True, times)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_the_scans_notes_come_before_done(tmp_path, direction):
    """-vv without incremental recursion: "building file list ... " (or "receiving"),
    the sender's filter notes on lines of their own, then "done" alone, in upstream's
    order (ours said "done" first)."""
    src, basis = _trees(tmp_path)
    ref, ours = tmp_path / "ref", tmp_path / "ours"
    opts = ["-avv", "--no-inc-recursive", "--exclude=g", "--exclude=tiny"]
    want = _reference_for(direction, opts, src, ref, tmp_path)
    got = _run(direction, opts, src, ours, tmp_path)

    def head(out: bytes) -> list[bytes]:
        lines = [x for x in out.splitlines() if not x.startswith(b"opening connection")]
        return lines[:lines.index(b"done") + 1]
    assert head(got.stdout) == head(want.stdout)
    assert len(head(want.stdout)) == 4
