"""Batches real rsync 3.5.0 writes with -a (owners, links, devices and specials, times,
incremental recursion from protocol 30), -c and --inplace decode completely: every file's
tokens, the phase ends, the stats and the goodbye, with no byte left over."""
import os
import random
import subprocess

import pytest
from oc_wire.batch_stream import FileStart, Goodbye, Stats, walk_batch
from oc_wire.batch_write import encode_events
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import ByteReader
from oc_wire.token_events import Literal, Match


def _tree(root):
    rng = random.Random(5)
    for d in ("", "a", "a/deep", "b", "b/c"):
        (root / d).mkdir(parents=True, exist_ok=True)
        for n in ("f", "g.txt", "Z"):
            (root / d / n).write_bytes(rng.randbytes(rng.randrange(0, 40_000)))
    os.link(root / "a" / "f", root / "b" / "hard")  # another directory: another list
    os.link(root / "a" / "g.txt", root / "a" / "g2")  # same directory: abbreviated entry
    for n in ("Z2", "Z3"):
        os.link(root / "b" / "Z", root / "b" / n)
    os.symlink("a/f", root / "link")
    os.symlink("/nonexistent/target", root / "b" / "dangling")
    os.mkfifo(root / "b" / "fifo")


@pytest.mark.parametrize("opts", [["-a"], ["-ac"], ["-a", "--inplace"], ["-a", "--no-whole-file"],
                                  ["-a", "--no-inc-recursive"], ["-rlptD"], ["-aH"],
                                  ["-aHc", "--no-inc-recursive"]])
@pytest.mark.parametrize("protocol", [28, 29, 30, 31, 32])
def test_upstream_batches_decode_completely(upstream_rsync, tmp_path, opts, protocol):
    _tree(tmp_path / "src")
    (tmp_path / "dst").mkdir()
    if "--no-whole-file" in opts:  # a basis differing by one byte for the files in a/
        subprocess.run([upstream_rsync, "-a", "src/", "dst/"], cwd=tmp_path, check=True)
        for p in (tmp_path / "dst" / "a").glob("*"):
            if p.is_file():
                old = p.read_bytes()
                p.write_bytes(old[:100] + b"~" + old[101:])
                os.utime(p, (1, 1))  # same second as the source otherwise: quick check skips
    subprocess.run([upstream_rsync, *opts, f"--protocol={protocol}",
                    f"--write-batch={tmp_path / 'b'}", "src/", "dst/"], cwd=tmp_path, check=True)
    data = (tmp_path / "b").read_bytes()
    r = ByteReader(data)
    events = list(walk_batch(r))
    assert r.remaining() == 0
    assert isinstance(events[-1], Goodbye if protocol >= 31 else Stats)
    names = {e.name for e in events if isinstance(e, FileEntry)}
    assert {b"a/deep/g.txt", b"link", b"b/fifo", b"b/dangling"} <= names
    links = {e.name: e.link_target for e in events if isinstance(e, FileEntry) and e.is_link()}
    assert links == {b"link": b"a/f", b"b/dangling": b"/nonexistent/target"}
    sent = [e.entry.name for e in events if isinstance(e, FileStart) and e.iflags & 0x8000]
    regular = sum(len(files) for _, _, files in os.walk(tmp_path / "src")) - 3  # 2 symlinks, fifo
    if "--no-whole-file" in opts:
        assert len(sent) >= 3
    elif "-aH" in opts[0]:
        linked = [e for e in events if isinstance(e, FileEntry) and e.hlinked]
        assert len(linked) == 7 and 0 < len(sent) < regular
    else:
        assert len(sent) == regular
    assert any(isinstance(e, Literal) for e in events)
    if "--no-whole-file" in opts:
        assert any(isinstance(e, Match) for e in events)
    # and the events encode back to upstream's bytes exactly
    assert b"".join(encode_events(events)) == data
