"""`oc-wire capture` in the middle of a real upstream client <-> `rsync --server` session,
and `oc-wire mux | oc-wire demux` round trips."""
import os
import subprocess
import sys

from oc_wire.ints import ByteReader
from oc_wire.negotiate import CF, DEFAULT_CHECKSUMS, choose, read_names, read_version

BIN = os.path.dirname(sys.executable)


def test_capture_records_both_directions_of_a_live_session(upstream_rsync, tmp_path):
    stub = tmp_path / "rsh"
    stub.write_text('#!/bin/sh\nshift\nexec "$@"\n')  # drop the host, run the command here
    stub.chmod(0o755)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_bytes(os.urandom(10_000))
    rsh = f"{BIN}/oc-wire capture --to {tmp_path / 'cap'} -- {stub}"
    subprocess.run([upstream_rsync, "-a", "-e", rsh, "src/", f"localhost:{tmp_path / 'dst'}"],
                   cwd=tmp_path, check=True, timeout=60)
    assert (tmp_path / "dst" / "f").read_bytes() == (tmp_path / "src" / "f").read_bytes()
    sent = ByteReader((tmp_path / "cap.in").read_bytes())
    got = ByteReader((tmp_path / "cap.out").read_bytes())
    assert read_version(sent) == 32 and read_version(got) == 32
    flags = got.read_varint()
    assert flags & CF.VARINT_FLIST_FLAGS
    assert choose(DEFAULT_CHECKSUMS, read_names(got)) == "xxh128"
    assert choose(DEFAULT_CHECKSUMS, read_names(sent)) == "xxh128"


def test_mux_then_demux_gives_back_the_bytes():
    data = os.urandom(300_000)
    muxed = subprocess.run([f"{BIN}/oc-wire", "mux"], input=data, capture_output=True,
                           check=True).stdout
    assert len(muxed) > len(data)
    out = subprocess.run([f"{BIN}/oc-wire", "demux"], input=muxed, capture_output=True,
                         check=True).stdout
    assert out == data
    cut = subprocess.run([f"{BIN}/oc-wire", "demux"], input=muxed[:-1], capture_output=True)
    assert cut.returncode == 2 and b"truncated" in cut.stderr
