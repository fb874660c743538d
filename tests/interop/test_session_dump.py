"""Live sessions between real rsync 3.5.0 client and `rsync --server`, captured with
`oc-wire capture`, decode completely in both directions: pull and push, protocols 32 and
30, every compression (which only live sessions negotiate) and checksum choice. The
sender's direction is decoded all the way to file contents: applying its tokens to the
old destination files rebuilds the new source files exactly."""
import os
import random
import shutil
import subprocess
import sys

import pytest
from oc_wire.batch_stream import Basis, FileChecksum, FileStart, Goodbye, Stats
from oc_wire.ints import ByteReader
from oc_wire.server_args import parse_server_args
from oc_wire.session_stream import (
    FilterList,
    Hello,
    NdxDone,
    SessionSide,
    read_hello,
    walk_direction,
)
from oc_wire.sums import SumHead
from oc_wire.token_events import End, Literal, Match

BIN = os.path.dirname(sys.executable)


def _trees(root, rng):
    src, dst = root / "src", root / "dst"
    words = [rng.randbytes(4).hex().encode() for _ in range(300)]
    for d in ("", "a", "a/b", "c"):
        (src / d).mkdir(parents=True, exist_ok=True)
        for n in ("text", "rand"):
            size = rng.randrange(1, 200_000)
            data = (b" ".join(rng.choice(words) for _ in range(size // 9))
                    if n == "text" else rng.randbytes(size))
            (src / d / n).write_bytes(data)
    (src / "empty").write_bytes(b"")
    os.symlink("a/text", src / "link")
    shutil.copytree(src, dst, symlinks=True)
    for p in sorted(src.rglob("*")):  # edit the sources: deltas against the old copies
        if p.is_file() and not p.is_symlink() and p.stat().st_size > 1000:
            data = bytearray(p.read_bytes())
            at = rng.randrange(len(data))
            data[at:at + 30] = rng.randbytes(rng.randrange(0, 40_000))
            p.write_bytes(bytes(data))
    (src / "c" / "new").write_bytes(rng.randbytes(50_000))
    return src, dst


def _capture(upstream_rsync, tmp_path, opts, push):
    stub = tmp_path / "rsh"
    stub.write_text('#!/bin/sh\nshift\nexec "$@"\n')
    stub.chmod(0o755)
    rsh = f"{BIN}/oc-wire capture --to {tmp_path / 'cap'} -- {stub}"
    src, dst = f"{tmp_path / 'src'}/", f"{tmp_path / 'dst'}/"
    args = [src, f"localhost:{dst}"] if push else [f"localhost:{src}", dst]
    res = subprocess.run([upstream_rsync, "-a", *opts, "-e", rsh, *args], capture_output=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    return ((tmp_path / "cap.in").read_bytes(), (tmp_path / "cap.out").read_bytes(),
            parse_server_args((tmp_path / "cap.cmd").read_bytes().split(b"\0")))


def _sides(cin, cout, args):
    strings = "v" in args.client_info
    hin = read_hello(ByteReader(cin), False, args, None, strings)
    hout = read_hello(ByteReader(cout), True, args, None, strings)
    return SessionSide(False, args, None, hout), SessionSide(True, args, None, hin)


def _rebuild(events, old_root, basis: Basis):
    """Apply the sender's tokens to the old files as they stream by (old-style zlib reads
    the basis while decoding); (all events, {name: new bytes})."""
    seen, out, cur, data, head = [], {}, None, None, None
    for ev in events:
        seen.append(ev)
        if isinstance(ev, FileStart) and ev.iflags & 0x8000:
            cur, data = ev.entry.name, bytearray()
            path = old_root / os.fsdecode(cur)
            old = path.read_bytes() if path.is_file() else b""
            basis.read = lambda off, n, old=old: old[off:off + n]
        elif isinstance(ev, SumHead) and cur is not None:
            head = ev
        elif isinstance(ev, Literal):
            data += ev.data
        elif isinstance(ev, Match):
            data += basis.read(ev.index * head.block_len, head.block_len)
        elif isinstance(ev, End):
            out[cur] = bytes(data)
        elif isinstance(ev, FileChecksum):
            cur = None
    return seen, out


CASES = [("pull", 32, []), ("push", 32, []), ("pull", 30, []), ("push", 30, []),
         ("pull", 32, ["-z"]), ("push", 30, ["-z"]),
         ("pull", 32, ["--compress-choice=zstd"]), ("push", 32, ["--compress-choice=lz4"]),
         ("pull", 32, ["--compress-choice=zlibx"]), ("push", 32, ["--compress-choice=zlib"]),
         ("pull", 30, ["--compress-choice=lz4"]), ("push", 32, ["--compress-choice=zstd"]),
         ("pull", 32, ["--checksum-choice=md4"]), ("push", 32, ["--checksum-choice=xxh64"]),
         ("pull", 32, ["--checksum-choice=xxh3"]), ("pull", 30, ["--checksum-choice=xxh128"]),
         ("pull", 32, ["-c", "--exclude=*.o", "--delete"]), ("push", 32, ["-H", "--delete"])]


@pytest.mark.parametrize("mode,protocol,opts", CASES,
                         ids=["-".join([m, str(p), *o]) for m, p, o in CASES])
def test_live_session_decodes_completely(upstream_rsync, tmp_path, mode, protocol, opts):
    rng = random.Random(f"{mode}{protocol}{opts}")
    src, dst = _trees(tmp_path, rng)
    old = tmp_path / "old"
    shutil.copytree(dst, old, symlinks=True)
    push = mode == "push"
    cin, cout, args = _capture(upstream_rsync, tmp_path, [f"--protocol={protocol}", *opts],
                               push)
    client_side, server_side = _sides(cin, cout, args)
    basis = Basis()
    sender_data, sender_side = (cin, client_side) if push else (cout, server_side)
    gen_data, gen_side = (cout, server_side) if push else (cin, client_side)
    sent, rebuilt = _rebuild(walk_direction(sender_data, sender_side, basis), old, basis)
    gen = list(walk_direction(gen_data, gen_side))
    assert isinstance(sent[0], Hello) and isinstance(gen[0], Hello)
    assert min(sent[0].version, gen[0].version) == protocol
    assert isinstance(sent[-1], Goodbye if protocol >= 31 else (Stats if not push else object))
    filters = [e for e in (sent if push else gen) if isinstance(e, FilterList)]
    assert len(filters) == (1 if not push or "--delete" in opts else 0)
    if "--exclude=*.o" in opts:
        assert filters[0].rules == (b"- *.o",)
    asked = [e.ndx for e in gen if isinstance(e, FileStart) and e.iflags & 0x8000]
    got = [e.ndx for e in sent if isinstance(e, FileStart) and e.iflags & 0x8000]
    assert asked == got and len(got) >= 8
    assert rebuilt == {os.fsencode(p.relative_to(src)): p.read_bytes()
                       for p in src.rglob("*") if p.is_file() and not p.is_symlink()
                       and os.fsencode(p.relative_to(src)) in rebuilt}
    assert b"c/new" in rebuilt and b"a/b/rand" in rebuilt


def test_dump_cli_reads_a_capture_prefix(upstream_rsync, tmp_path):
    _trees(tmp_path, random.Random(3))
    _capture(upstream_rsync, tmp_path, ["--compress-choice=zstd"], push=False)
    for name, flag in (("cap.out", "--from-server"), ("cap.in", "--from-client")):
        res = subprocess.run([f"{BIN}/oc-wire", "dump", flag, str(tmp_path / name)],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stdout[-2000:]
        assert not any(line.startswith("error") for line in res.stdout.splitlines())
    out = subprocess.run([f"{BIN}/oc-wire", "dump", "--from-server", str(tmp_path / "cap.out")],
                         capture_output=True, text=True).stdout
    assert "tokens: literal" in out and "goodbye" in out
    cut = (tmp_path / "cap.out").read_bytes()[:-7]
    (tmp_path / "cut.out").write_bytes(cut)
    res = subprocess.run([f"{BIN}/oc-wire", "dump", "--from-server",
                          "--server-args", " ".join(["rsync", "--server", "--sender",
                                                     "-logDtpre.iLsfxCIvu",
                                                     "--compress-choice=zstd", ".", "src/"]),
                          str(tmp_path / "cut.out")], capture_output=True, text=True)
    assert res.returncode == 2 and res.stdout.splitlines()[-1].startswith("error:")
    # a capture without the set-up: --no-handshake, the protocol and the argv given
    args = parse_server_args((tmp_path / "cap.cmd").read_bytes().split(b"\0"))
    r = ByteReader((tmp_path / "cap.out").read_bytes())
    read_hello(r, True, args, None, True)
    (tmp_path / "late.out").write_bytes((tmp_path / "cap.out").read_bytes()[r.pos:])
    res = subprocess.run([f"{BIN}/oc-wire", "dump", "--from-server", "--no-handshake",
                          "--protocol", "32", "--server-args",
                          " ".join(a.decode() for a in
                                   (tmp_path / "cap.cmd").read_bytes().split(b"\0")),
                          str(tmp_path / "late.out")], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-1500:]
    assert "tokens: literal" in res.stdout and res.stdout.rstrip().endswith("goodbye")


def test_itemize_strings_from_the_wire_match_upstreams_output(upstream_rsync, tmp_path):
    """A push with -i: the server's generator sends every item's flags; upstream's client
    prints them with %i. Ours, from the same flags, are the same strings."""
    from oc_wire.flist_entry import FileEntry
    from oc_wire.items import itemize

    src, dst = _trees(tmp_path, random.Random(9))
    os.chmod(src / "a" / "rand", 0o600)                      # perms only
    os.utime(src / "c" / "rand", ns=(1, 1_000_000_000))      # time only
    os.symlink("nowhere", src / "c" / "newlink")
    (src / "newdir").mkdir()
    stub = tmp_path / "rsh"
    stub.write_text('#!/bin/sh\nshift\nexec "$@"\n')
    stub.chmod(0o755)
    rsh = f"{BIN}/oc-wire capture --to {tmp_path / 'cap'} -- {stub}"
    res = subprocess.run([upstream_rsync, "-ai", "--out-format=%i|%n", "-e", rsh, f"{src}/",
                          f"localhost:{dst}/"], capture_output=True, text=True, check=True)
    theirs = sorted(line.split("|", 1) for line in res.stdout.splitlines() if "|" in line)
    cin, cout, args = (tmp_path / "cap.in").read_bytes(), (tmp_path / "cap.out").read_bytes(), \
        parse_server_args((tmp_path / "cap.cmd").read_bytes().split(b"\0"))
    client_side, server_side = _sides(cin, cout, args)
    sent = list(walk_direction(cin, client_side))
    by_ndx = {e.ndx: e.entry for e in sent if isinstance(e, FileStart)}
    ours = []
    for e in walk_direction(cout, server_side):
        if isinstance(e, FileStart):
            entry: FileEntry = by_ndx[e.ndx]
            name = entry.name.decode() + ("/" if entry.is_dir() else "")
            ours.append([itemize(e.iflags, entry.mode, sending=True), name])
    assert len(theirs) >= 10
    assert sorted(ours) == theirs


@pytest.mark.parametrize("checksums,compressions", [
    ("md4 bogus xxhash md4&sha1 xxh64", "lz4 zlib"),
    ("xxh3", "zlibx&zlib zlibx"),
    ("  ", "none lz4"),
])
def test_env_name_lists_match_upstreams(upstream_rsync, tmp_path, monkeypatch, checksums,
                                        compressions):
    """RSYNC_CHECKSUM_LIST / RSYNC_COMPRESS_LIST: the lists each side sends are what
    own_names computes, and the session still decodes with what they negotiated."""
    from oc_wire.negotiate import own_names

    monkeypatch.setenv("RSYNC_CHECKSUM_LIST", checksums)
    monkeypatch.setenv("RSYNC_COMPRESS_LIST", compressions)
    env = {"RSYNC_CHECKSUM_LIST": checksums, "RSYNC_COMPRESS_LIST": compressions}
    _trees(tmp_path, random.Random(5))
    cin, cout, args = _capture(upstream_rsync, tmp_path, ["-z"], push=False)
    client_side, server_side = _sides(cin, cout, args)
    hin, hout = server_side.peer, client_side.peer
    assert list(hin.checksums) == own_names("checksum", env, am_server=False)
    assert list(hout.checksums) == own_names("checksum", env, am_server=True)
    assert list(hin.compressions) == own_names("compress", env, am_server=False)
    assert list(hout.compressions) == own_names("compress", env, am_server=True)
    assert isinstance(list(walk_direction(cout, server_side))[-1], Goodbye)
    assert isinstance(list(walk_direction(cin, client_side))[-1], NdxDone)
