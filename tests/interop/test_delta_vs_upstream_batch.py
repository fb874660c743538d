"""oc-delta's batch against the one upstream rsync 3.5.0 writes for the same transfer.

For the same basis, new file, block size, checksum and seed, the token stream must be
byte-identical (we compare everything from the header through the whole-file checksum),
and `rsync --read-batch` must apply oc-delta's batch to reproduce the new file.
"""
import io
import os
import random
import shutil
import subprocess

import pytest
from oc_delta import run as delta_run
from oc_sig import run as sig_run
from oc_wire.flist_codec import FlistOptions
from oc_wire.flist_decode import FlistDecoder
from oc_wire.ints import ByteReader
from oc_wire.ndx import NdxCodec
from oc_wire.stage import read_header, spec_for
from oc_wire.sums import read_sum_head
from oc_wire.token_events import End
from oc_wire.tokens import read_token


def _file_stream_end(batch: bytes) -> int:
    """Offset just after the first file's whole-file checksum in a one-file batch."""
    r = ByteReader(batch)
    h = read_header(r)
    FlistDecoder(FlistOptions(h.protocol, h.compat_flags)).read_list(r)
    NdxCodec(h.protocol).decode(r)
    if h.protocol >= 29:
        r.read_shortint()
    head = read_sum_head(r, h.protocol)
    while not isinstance(read_token(r, head.count), End):
        pass
    r.read_bytes(spec_for(h, None).digest_len)
    return r.pos


def _pair(tmp_path, basis: bytes, new: bytes):
    (tmp_path / "dst").mkdir()
    (tmp_path / "basis").write_bytes(basis)
    (tmp_path / "new").write_bytes(new)
    return tmp_path / "basis", tmp_path / "new"


def _upstream_batch(rsync, tmp_path, protocol, seed, block):
    dst = tmp_path / "dst"
    shutil.copy(tmp_path / "basis", dst / "new")
    os.utime(dst / "new", (1_000_000_000, 1_000_000_000))
    args = [rsync, "--no-whole-file", f"--checksum-seed={seed}", f"--protocol={protocol}",
            f"--write-batch={tmp_path / 'up.batch'}", "new", "dst/"]
    if block:
        args[1:1] = ["-B", str(block)]
    subprocess.run(args, cwd=tmp_path, check=True)
    return (tmp_path / "up.batch").read_bytes()


def _oc_batch(tmp_path, protocol, seed, block):
    sig = tmp_path / "oc.sig"
    argv = [str(tmp_path / "basis"), str(sig), "--checksum-seed", str(seed),
            "--protocol", str(protocol), "-q"]
    if block:
        argv += ["-B", str(block)]
    assert sig_run(argv) == 0
    out = tmp_path / "oc.batch"
    assert delta_run([str(tmp_path / "new"), str(out), "--sig", str(sig), "-q"]) == 0
    return out.read_bytes()


def _edited(rng: random.Random, basis: bytes) -> bytes:
    new = bytearray(basis)
    for _ in range(6):
        pos = rng.randrange(len(new))
        new[pos:pos + rng.randrange(1, 300)] = rng.randbytes(rng.randrange(0, 500))
    new[len(new) // 2:len(new) // 2] = rng.randbytes(100_000)  # forces literal flushes
    return bytes(new) + b"appended tail"


CASES = [(p, 1000) for p in (28, 29, 30, 31, 32)] + [(32, None), (29, None), (30, 700)]


@pytest.mark.parametrize("protocol,block", CASES)
def test_token_stream_identical_to_upstream_write_batch(upstream_rsync, tmp_path, protocol,
                                                        block):
    rng = random.Random(protocol * 1000 + (block or 0))
    basis = rng.randbytes(300_000)
    _pair(tmp_path, basis, _edited(rng, basis))
    seed = 12345
    up = _upstream_batch(upstream_rsync, tmp_path, protocol, seed, block)
    ours = _oc_batch(tmp_path, protocol, seed, block)
    end = _file_stream_end(up)
    assert _file_stream_end(ours) == end
    assert ours[:end] == up[:end]


@pytest.mark.parametrize("protocol", [28, 29, 30, 31, 32])
def test_upstream_read_batch_applies_oc_delta(upstream_rsync, tmp_path, protocol):
    rng = random.Random(protocol)
    basis = rng.randbytes(200_000)
    new = _edited(rng, basis)
    _pair(tmp_path, basis, new)
    batch = _oc_batch(tmp_path, protocol, 99, None)
    (tmp_path / "apply").mkdir()
    shutil.copy(tmp_path / "basis", tmp_path / "apply" / "new")
    (tmp_path / "b").write_bytes(batch)
    subprocess.run([upstream_rsync, f"--read-batch={tmp_path / 'b'}", "apply/"],
                   cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "apply" / "new").read_bytes() == new


@pytest.mark.parametrize("protocol", [28, 30, 32])
def test_oc_patch_replays_an_upstream_batch(upstream_rsync, tmp_path, protocol):
    from oc_patch import run as patch_run

    rng = random.Random(7 + protocol)
    basis = rng.randbytes(150_000)
    new = _edited(rng, basis)
    _pair(tmp_path, basis, new)
    up = _upstream_batch(upstream_rsync, tmp_path, protocol, 5, None)
    (tmp_path / "replay").mkdir()
    shutil.copy(tmp_path / "basis", tmp_path / "replay" / "new")
    (tmp_path / "up.b").write_bytes(up)
    with open(tmp_path / "up.b", "rb") as f:
        assert patch_run(["--dest", str(tmp_path / "replay")], stdin=f) == 0
    assert (tmp_path / "replay" / "new").read_bytes() == new


def test_oc_patch_replays_a_multi_file_batch_in_sorted_index_order(upstream_rsync, tmp_path):
    """Upstream sends names in command-line order but indexes them in sorted order."""
    from oc_patch import run as patch_run

    rng = random.Random(11)
    names = ["zeta", "alpha", "Mid", "beta", "0num"]
    (tmp_path / "src").mkdir()
    (tmp_path / "dst").mkdir()
    (tmp_path / "replay").mkdir()
    for n in names:
        basis = rng.randbytes(rng.randrange(20_000, 90_000))
        for d in ("dst", "replay"):
            (tmp_path / d / n).write_bytes(basis)
            os.utime(tmp_path / d / n, (1, 1))
        (tmp_path / "src" / n).write_bytes(_edited(rng, basis))
    subprocess.run([upstream_rsync, "--no-whole-file", f"--write-batch={tmp_path / 'b'}",
                    *[f"src/{n}" for n in names], "dst/"], cwd=tmp_path, check=True)
    with open(tmp_path / "b", "rb") as f:
        assert patch_run(["--dest", str(tmp_path / "replay")], stdin=f) == 0
    for n in names:
        assert (tmp_path / "replay" / n).read_bytes() == (tmp_path / "src" / n).read_bytes(), n


@pytest.mark.parametrize("protocol,inc", [(28, False), (29, False), (30, False), (32, False),
                                          (30, True), (31, True), (32, True)])
def test_replay_of_a_recursive_batch_equals_upstream_read_batch(upstream_rsync, tmp_path,
                                                                 protocol, inc):
    """Directories, files in sub-directories, names whose wire order differs from index
    order; upstream --read-batch of the same batch is the reference."""
    rng = random.Random(protocol)
    dirs = ("", "a", "a/deep", "ab", "a-b", "zz")
    for d in dirs:
        (tmp_path / "src" / d).mkdir(parents=True, exist_ok=True)
    for d in dirs:
        for n in ("a", "a.b", "ab", "ab.c", "B", "z"):
            if not (tmp_path / "src" / d / n).exists():
                (tmp_path / "src" / d / n).write_bytes(rng.randbytes(rng.randrange(0, 9000)))
    for d in ("dst", "mine", "theirs"):
        (tmp_path / d).mkdir()
    recursion = "--inc-recursive" if inc else "--no-inc-recursive"
    subprocess.run([upstream_rsync, "-r", recursion, f"--protocol={protocol}",
                    f"--write-batch={tmp_path / 'b'}", "src/", "dst/"], cwd=tmp_path, check=True)
    subprocess.run([upstream_rsync, "-r", recursion, f"--read-batch={tmp_path / 'b'}",
                    "theirs/"], cwd=tmp_path, check=True, capture_output=True)
    with open(tmp_path / "b", "rb") as f:
        assert patch_run_dest(f, tmp_path / "mine") == 0
    assert _tree_bytes(tmp_path / "mine") == _tree_bytes(tmp_path / "theirs")
    assert _tree_bytes(tmp_path / "mine") == _tree_bytes(tmp_path / "src")


def patch_run_dest(f, dest) -> int:
    from oc_patch import run as patch_run

    return patch_run(["--dest", str(dest)], stdin=f)


def _tree_bytes(root):
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        out[rel] = "dir"
        for n in files:
            out[os.path.join(rel, n)] = open(os.path.join(dirpath, n), "rb").read()
    return out


def test_replay_refuses_to_write_through_a_planted_symlink(upstream_rsync, tmp_path):
    from oc_patch import run as patch_run

    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "sub" / "f").write_bytes(b"data")
    (tmp_path / "dst").mkdir()
    (tmp_path / "outside").mkdir()
    subprocess.run([upstream_rsync, "-r", "--no-inc-recursive",
                    f"--write-batch={tmp_path / 'b'}", "src/", "dst/"], cwd=tmp_path, check=True)
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "sub").symlink_to(tmp_path / "outside")
    err = io.StringIO()
    with open(tmp_path / "b", "rb") as f:
        assert patch_run(["--dest", str(tmp_path / "victim")], stdin=f, stderr=err) == 2
    assert "inside the destination" in err.getvalue()
    assert list((tmp_path / "outside").iterdir()) == []


def test_replay_refuses_what_it_cannot_recreate_instead_of_skipping_it(upstream_rsync, tmp_path):
    from oc_patch import run as patch_run

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_bytes(b"data")
    os.symlink("f", tmp_path / "src" / "link")
    (tmp_path / "dst").mkdir()
    (tmp_path / "mine").mkdir()
    subprocess.run([upstream_rsync, "-a", f"--write-batch={tmp_path / 'b'}", "src/", "dst/"],
                   cwd=tmp_path, check=True)
    err = io.StringIO()
    with open(tmp_path / "b", "rb") as f:
        assert patch_run(["--dest", str(tmp_path / "mine")], stdin=f, stderr=err) == 2
    assert "not supported yet" in err.getvalue() and "link" in err.getvalue()
