"""--info's output words on their own and against -v (NAME, NAME2, DEL, FLIST, STATS1 and
STATS2, each turned on alone or off under -v, --stats and --progress), against upstream
3.5.0 in five directions: the exit code, the lines on standard output (with the byte
counts and times that differ run by run left out) and the destination tree.

Before, only --info's PROGRESS, STATS and SKIP changed what was printed: --info=name
printed no names, -v --info=name0 still printed them, --info=del no "deleting" lines,
--info=stats1 the whole --stats block, -vv --info=name1 the "is uptodate" lines."""
import os
import re

import pytest
from test_rsync_interop import DIRECTIONS, _reference_for, _run, _snapshot
from test_skip_messages import run_both

CASES = [["-a", "--delete", "--info=name"], ["-a", "--info=name2"],
         ["-a", "--delete", "--info=del"], ["-a", "--info=flist"], ["-a", "--info=stats1"],
         ["-av", "--delete", "--info=stats0"], ["-av", "--delete", "--info=name0"],
         ["-av", "--delete", "--info=del0,flist0"], ["-avv", "--info=name1"],
         ["-a", "--stats", "--info=name"], ["-ai", "--delete", "--info=name0"],
         ["-a", "--info=name,del,stats1", "--delete", "--no-inc-recursive"],
         ["-av", "--info=flist2", "--no-inc-recursive"]]


def _lines(out: bytes, dests) -> list[bytes]:
    """The lines, sorted (a deletion's line comes before or after a transfer's as the
    processes run), with what differs run by run or by design left out: times, byte
    totals (ours count frame headers differently), the speedup, the file list's size,
    and a remote shell's greeting."""
    for d in dests:
        out = out.replace(os.fsencode(d), b"DEST")
    out = re.sub(rb"^(sent|Total bytes|File list (size|generation time|transfer time)).*$",
                 rb"\1", out, flags=re.M)
    out = re.sub(rb"  speedup is .*$", b"", out, flags=re.M)
    return sorted(x for x in out.splitlines() if x and not x.startswith(b"opening connection"))


@pytest.mark.parametrize("opts", CASES, ids=[" ".join(c) for c in CASES])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_info_words_print_what_upstream_prints(tmp_path, direction, opts):
    want, got, ref, ours = run_both(tmp_path, direction, opts)
    dests = (ref, ours)
    assert _lines(got.stdout, dests) == _lines(want.stdout, dests)
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)


@pytest.mark.parametrize("opts", [["-a", "--info=flist2", "--no-inc-recursive"],
                                  ["-a", "--progress", "--no-inc-recursive"],
                                  ["-a", "--info=flist2", "--delete-after"]],
                         ids=lambda v: " ".join(v))
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_whole_lists_running_count(tmp_path, direction, opts):
    """--info=flist2 (--progress) without incremental recursion: the client's running
    " N files...\r" while it builds (every 100th entry, from 0) or receives (after every
    100th) the list, then "N files to consider", byte for byte as upstream's (ours
    printed " 0 files...\r" alone)."""
    src = tmp_path / "src"
    for k in range(257):
        (src / f"d{k % 5}").mkdir(parents=True, exist_ok=True)
        (src / f"d{k % 5}" / f"f{k}").write_bytes(b"x")
    got = {}
    for name, run in (("up", _reference_for), ("oc", lambda d, *a: _run(direction, *a))):
        r = run(direction, opts, src, tmp_path / name, tmp_path)
        out = r.stdout.replace(os.fsencode(tmp_path / name), b"DEST")
        got[name] = (r.returncode, out[:out.index(b"to consider\n")])
    assert got["oc"] == got["up"]
    assert b" 200 files...\r" in got["up"][1]
