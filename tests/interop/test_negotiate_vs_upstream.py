"""The session set-up codec against a real `rsync --server` (3.5.0) driven over pipes:
we send what an upstream client sends and decode everything the server answers."""
import subprocess

import pytest
from oc_wire.ints import ByteReader, int32
from oc_wire.negotiate import (
    CF,
    CLIENT_CAPABILITIES,
    DEFAULT_CHECKSUMS,
    DEFAULT_COMPRESSIONS,
    agree_protocol,
    choose,
    encode_names,
    read_names,
    read_version,
    server_compat_flags,
)


def _server_reply(rsync, tmp_path, flags: str, our_bytes: bytes, protocol=None) -> bytes:
    argv = [rsync, "--server", f"-{flags}e.{CLIENT_CAPABILITIES}"]
    if protocol:
        argv.insert(2, f"--protocol={protocol}")
    proc = subprocess.run(argv + [".", str(tmp_path)], input=our_bytes, capture_output=True,
                          timeout=20)
    return proc.stdout


@pytest.mark.parametrize("compress", [False, True])
def test_protocol_32_server_sends_flags_lists_and_seed(upstream_rsync, tmp_path, compress):
    ours = int32(32) + encode_names(DEFAULT_CHECKSUMS)
    if compress:
        ours += encode_names(DEFAULT_COMPRESSIONS)
    reply = _server_reply(upstream_rsync, tmp_path, "rz" if compress else "r", ours)
    r = ByteReader(reply)
    assert agree_protocol(32, read_version(r)) == 32
    flags = r.read_varint()
    assert flags == server_compat_flags(CLIENT_CAPABILITIES, allow_inc_recurse=True)
    assert flags & CF.VARINT_FLIST_FLAGS and flags & CF.INC_RECURSE
    checksums = read_names(r)
    assert choose(DEFAULT_CHECKSUMS, checksums) == "xxh128"
    if compress:
        assert choose(DEFAULT_COMPRESSIONS, read_names(r)) == "zstd"
    seed = r.read_int32()
    assert seed != 0


def test_no_recursion_means_no_incremental_recursion(upstream_rsync, tmp_path):
    reply = _server_reply(upstream_rsync, tmp_path, "d",
                          int32(32) + encode_names(DEFAULT_CHECKSUMS))
    r = ByteReader(reply)
    read_version(r)
    flags = r.read_varint()
    assert flags == server_compat_flags(CLIENT_CAPABILITIES, allow_inc_recurse=False)
    assert not flags & CF.INC_RECURSE


@pytest.mark.parametrize("protocol", [28, 29])
def test_old_protocols_skip_flags_and_strings(upstream_rsync, tmp_path, protocol):
    reply = _server_reply(upstream_rsync, tmp_path, "r", int32(protocol))
    r = ByteReader(reply)
    assert agree_protocol(protocol, read_version(r)) == protocol
    seed = r.read_int32()  # straight to the seed: no compat flags, no name lists
    assert seed != 0


def test_server_forced_to_protocol_30(upstream_rsync, tmp_path):
    reply = _server_reply(upstream_rsync, tmp_path, "r",
                          int32(32) + encode_names(DEFAULT_CHECKSUMS), protocol=30)
    r = ByteReader(reply)
    assert agree_protocol(32, read_version(r)) == 30
    assert r.read_varint() & CF.VARINT_FLIST_FLAGS
    assert choose(DEFAULT_CHECKSUMS, read_names(r)) == "xxh128"


def test_choose_takes_our_highest_ranked_name_among_the_peers():
    assert choose(DEFAULT_CHECKSUMS, ["md4", "md5", "xxh3"]) == "xxh3"
    assert choose(["md5", "md4"], ["xxh128", "md4", "md5"]) == "md5"
    assert choose(["md5"], ["sha1"]) is None
