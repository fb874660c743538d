"""Compressed (-z) batches real rsync 3.5.0 writes: they decode completely (every file's
tokens, the stats), a whole-file -z batch re-encodes to upstream's bytes exactly, and
oc-patch --dest replays a -z delta batch (matched blocks feed the inflater's history from
the real basis) into the tree upstream's own replay makes."""
import random
import shutil
import subprocess

import pytest
from oc_patch import run as patch_run
from oc_wire.batch_stream import FileStart, Goodbye, Stats, walk_batch
from oc_wire.batch_write import encode_events
from oc_wire.ints import ByteReader
from oc_wire.token_events import Literal, Match


def _tree(root, rng):
    words = [rng.randbytes(4).hex().encode() for _ in range(200)]
    for d in ("", "a", "a/deep", "b"):
        (root / d).mkdir(parents=True, exist_ok=True)
        for n in ("text", "rand", "empty"):
            size = 0 if n == "empty" else rng.randrange(1, 300_000)
            data = (b" ".join(rng.choice(words) for _ in range(size // 8))
                    if n == "text" else rng.randbytes(size))
            (root / d / n).write_bytes(data)


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _walk(data):
    r = ByteReader(data)
    events = list(walk_batch(r))
    assert r.remaining() == 0
    return events


@pytest.mark.parametrize("protocol", [28, 29, 30, 31, 32])
def test_whole_file_z_batch_decodes_and_reencodes(upstream_rsync, tmp_path, protocol):
    _tree(tmp_path / "src", random.Random(protocol))
    subprocess.run([upstream_rsync, "-az", f"--protocol={protocol}",
                    f"--write-batch={tmp_path / 'b'}", "src/", "dst/"], cwd=tmp_path, check=True)
    data = (tmp_path / "b").read_bytes()
    events = _walk(data)
    assert isinstance(events[-1], Goodbye if protocol >= 31 else Stats)
    sent = [e for e in events if isinstance(e, FileStart) and e.iflags & 0x8000]
    assert len(sent) == 12
    literal = sum(len(e.data) for e in events if isinstance(e, Literal))
    assert literal == sum(len(b) for b in _files(tmp_path / "src").values())
    assert b"".join(encode_events(events)) == data


@pytest.mark.parametrize("protocol", [29, 30, 32])
def test_z_delta_batch_replays_like_upstream(upstream_rsync, tmp_path, protocol):
    rng = random.Random(protocol + 100)
    _tree(tmp_path / "src", rng)
    subprocess.run([upstream_rsync, "-a", "src/", "dst/"], cwd=tmp_path, check=True)
    for p in (tmp_path / "src").rglob("*"):  # edit the sources; the old copies are the basis
        if p.is_file() and p.stat().st_size > 1000:
            old = bytearray(p.read_bytes())
            at = rng.randrange(len(old))
            old[at:at + 50] = rng.randbytes(rng.randrange(0, 5000))
            p.write_bytes(bytes(old))
    shutil.copytree(tmp_path / "dst", tmp_path / "replay", symlinks=True)
    subprocess.run([upstream_rsync, "-az", "--no-whole-file", f"--protocol={protocol}",
                    f"--only-write-batch={tmp_path / 'b'}", "src/", "dst/"], cwd=tmp_path,
                   check=True)
    events = _walk((tmp_path / "b").read_bytes())  # zeros for the basis: structure only
    assert any(isinstance(e, Match) for e in events)
    with open(tmp_path / "b", "rb") as f:
        assert patch_run(["--dest", str(tmp_path / "replay")], stdin=f) == 0
    assert _files(tmp_path / "replay") == _files(tmp_path / "src")
    subprocess.run([upstream_rsync, "-a", f"--read-batch={tmp_path / 'b'}", "dst/"], cwd=tmp_path,
                   check=True)
    assert _files(tmp_path / "dst") == _files(tmp_path / "src")

