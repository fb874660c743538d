"""`oc-wire dump` on batches real rsync 3.5.0 writes, on oc streams, and on bad input."""
import json
import os
import random
import subprocess

import pytest
from oc_wire.dump import dump_events, looks_like_signature


@pytest.fixture
def upstream_batch(upstream_rsync, tmp_path):
    rng = random.Random(3)
    basis = rng.randbytes(50_000)
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "f").write_bytes(basis)
    os.utime(tmp_path / "dst" / "f", (1, 1))
    (tmp_path / "f").write_bytes(basis[:20_000] + b"CHANGED" + basis[20_000:])
    subprocess.run([upstream_rsync, "--no-whole-file", "-B", "1000", "--checksum-seed=9",
                    f"--write-batch={tmp_path / 'b'}", "f", "dst/"], cwd=tmp_path, check=True)
    return (tmp_path / "b").read_bytes()


def test_dump_accounts_for_every_byte_of_an_upstream_batch(upstream_batch):
    recs = list(dump_events(upstream_batch))
    kinds = [r["event"] for r in recs]
    assert "error" not in kinds
    assert kinds[:5] == ["header", "entry", "flist_end", "file", "sum_head"]
    assert kinds[-6:] == ["file_checksum", "ndx_done", "ndx_done", "ndx_done", "stats",
                          "goodbye"]
    assert recs[0]["checksum_seed"] == 9 and recs[0]["protocol"] == 32
    literal = sum(r["bytes"] for r in recs if r["event"] == "literal")
    matched = sum(r["last"] - r["first"] + 1 for r in recs if r["event"] == "match")
    assert literal + matched * 1000 >= 50_007 - 1000
    assert [r["first"] for r in recs if r["event"] == "match"][0] == 0


def test_dump_reports_truncation_with_the_offset_and_keeps_what_it_decoded(upstream_batch):
    recs = list(dump_events(upstream_batch[:60]))
    assert recs[0]["event"] == "header"
    # the offset names where the incomplete item starts
    assert recs[-1]["event"] == "error" and recs[-1]["message"] == "the stream is truncated"
    assert 40 < recs[-1]["offset"] <= 60


def test_signature_streams_are_recognised(tmp_path):
    from oc_sig import run as sig_run

    (tmp_path / "b").write_bytes(os.urandom(5000))
    assert sig_run([str(tmp_path / "b"), str(tmp_path / "s"), "-q"]) == 0
    data = (tmp_path / "s").read_bytes()
    assert looks_like_signature(data)
    recs = list(dump_events(data))
    assert [r["event"] for r in recs].count("block") == 8


def test_cli_exits_2_on_garbage_and_prints_json_lines(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\0\0\0\0\xff\xff\xff\x7f")
    out = subprocess.run([os.path.join(os.path.dirname(os.sys.executable), "oc-wire"),
                          "dump", "--json", str(bad)], capture_output=True, text=True)
    assert out.returncode == 2
    last = json.loads(out.stdout.splitlines()[-1])
    assert last["event"] == "error" and "protocol version" in last["message"]
