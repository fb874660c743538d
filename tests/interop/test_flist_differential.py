"""oc-flist against `rsync --list-only`: the same arguments give the same output, line for
line, and the same exit code. Trees with tricky names (spaces, newlines, bytes that are
not UTF-8, leading dashes, backslash-#), deep nesting, symlinks of every kind, hard links,
fifos and (as root) devices; selection options; and the 72 filter rule sets of
test_filters_differential."""
import io
import os
import subprocess
import sys

import pytest
from oc_flist.cli import run
from test_filters_differential import CASES, _build

RSYNC = "/usr/bin/rsync"
OC = os.path.join(os.path.dirname(sys.executable), "oc-rsync")


def _ours(args, cwd, err=None):
    """oc-flist's exit code and output in cwd (err: a StringIO to keep its stderr)."""
    out, err = io.BytesIO(), err if err is not None else io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = run(args, stdout=out, stderr=err)
    finally:
        os.chdir(old)
    return code, out.getvalue()


def _theirs(args, cwd, home):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LC_ALL": "C", "TZ": "UTC"}
    r = subprocess.run([RSYNC, "--list-only", *args], cwd=cwd, env=env, capture_output=True)
    return r.returncode, r.stdout


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _odd_tree(root):
    src = root / "src"
    deep = src / "deep"
    for i in range(30):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "bottom").write_bytes(b"x")
    b = os.fsencode(src)
    for name in (b"sp ace", b"new\nline", b"bad\xff\xfe", b"-dash", b"back\\#123slash",
                 b"tab\tx", b"caf\xc3\xa9", b"a.txt", b"B", b"a", b"a-b", b"a.b"):
        with open(os.path.join(b, name), "wb") as f:
            f.write(name * 3)
    (src / "dir").mkdir()
    (src / "dir" / "inner").write_bytes(b"inner")
    (src / "emptydir").mkdir()
    (src / "big").write_bytes(os.urandom(1 << 20))
    with open(src / "sparse", "wb") as f:
        f.truncate(5 << 20)
    os.link(src / "a.txt", src / "dir" / "hard")
    os.symlink("a.txt", src / "rel-link")
    os.symlink("/etc/hostname", src / "abs-link")
    os.symlink("nowhere", src / "dangling")
    os.symlink("dir", src / "dirlink")
    os.symlink("../../outside", src / "dir" / "unsafe")
    os.symlink("../a.txt", src / "dir" / "safe-up")
    os.mkfifo(src / "fifo")
    if os.geteuid() == 0:
        os.mknod(src / "chr", 0o20644, os.makedev(1, 7))
        os.mknod(src / "blk", 0o60600, os.makedev(7, 0))
    os.chmod(src / "-dash", 0o4755)
    os.chmod(src / "emptydir", 0o1777)
    for p in sorted(src.rglob("*"), reverse=True):
        os.utime(p, ns=(1_700_000_000_000_000_000, 1_650_000_000_123_456_789),
                 follow_symlinks=False)
    return src


SELECTIONS = [
    ["-r", "src/"], ["-r", "src"], ["src/"], ["src"], ["-a", "src/"], ["-rl", "src/"],
    ["-d", "src/"], ["-rL", "src/"], ["-rk", "src/"], ["-r", "--copy-unsafe-links", "src/"],
    ["-a", "--copy-unsafe-links", "src/"], ["-rR", "src/dir"], ["-R", "src/./dir/inner"],
    ["-aR", "--no-implied-dirs", "src/./deep/d0/d1"], ["-r", "src/dir", "src/a.txt", "dst"],
    ["-r", "src/dir/", "src/dir", "dst"], ["-r", "src/a.txt"], ["-a", "-8", "src/"],
    ["-a", "--no-h", "src/"], ["-ah", "src/"], ["-ahh", "src/"], ["-r", "src/missing"],
    ["-r", "src/", "src/missing", "dst"], ["-r", "src/dirlink"], ["-r", "src/dirlink/"],
    ["-rx", "src/"], ["-a", "--exclude=d5", "src/deep"], ["-r", ".", "dst"],
    ["-rR", "src/../src/dir"], ["-rlK", "src/"], ["-rl", "--safe-links", "src/"],
]


@pytest.mark.parametrize("args", SELECTIONS, ids=[" ".join(a) for a in SELECTIONS])
def test_selection_matches_upstream(tmp_path, args):
    _odd_tree(tmp_path)
    cwd = tmp_path if "." not in args else tmp_path / "src"
    code, theirs = _theirs(args, cwd, tmp_path)
    ours_code, ours = _ours(args, cwd)
    assert ours.split(b"\n") == theirs.split(b"\n")
    assert ours_code == code


@pytest.mark.parametrize("args", [["-rL", "src/"], ["-r", "--copy-unsafe-links", "src/"]])
def test_scan_messages_as_upstream(tmp_path, args):
    """A dangling symlink to follow: upstream's words on stderr (the text alone, the full
    path) and exit 23."""
    _odd_tree(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LC_ALL": "C", "TZ": "UTC"}
    theirs = subprocess.run([RSYNC, "--list-only", *args], cwd=tmp_path, env=env,
                            capture_output=True)
    err = io.StringIO()
    code, _ = _ours(args, tmp_path, err)
    assert code == theirs.returncode == 23

    def said(text: str) -> list[str]:
        return sorted(x for x in text.splitlines() if "error:" not in x)
    assert said(err.getvalue()) == said(theirs.stderr.decode())
    assert "symlink has no referent" in err.getvalue()


@pytest.mark.parametrize("prog", ["oc-flist", "oc-rsync"])
def test_a_bad_merge_file_line_is_not_echoed(tmp_path, prog):
    """A per-directory merge file names a file outside the tree whose line is no rule:
    exit 1 and upstream's words, without the line (upstream's testsuite
    filter-merge-content-echo: a merge file can be anything a peer names)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_bytes(b"x")
    (tmp_path / "secret").write_text("SECRET-LINE-abc\n")
    (src / ".rsync-filter").write_text(": ../secret\n")
    up = subprocess.run([RSYNC, "-r", "-F", "src/", "up/"], cwd=tmp_path, capture_output=True,
                        text=True)
    ours = subprocess.run([os.path.join(os.path.dirname(OC), prog), "-r", "-F", "src/",
                           *(["oc/"] if prog == "oc-rsync" else [])], cwd=tmp_path,
                          capture_output=True, text=True)
    assert ours.returncode == up.returncode == 1
    assert "SECRET" not in ours.stderr + ours.stdout
    first = up.stderr.splitlines()[0]  # "invalid modifier in filter rule: <rule from a..."
    assert first in ours.stderr.replace("oc-flist: ", "")


@pytest.mark.parametrize("rule", [":e excl-self-[x]9", ".e {d}/inner"])
def test_a_merge_files_self_exclude_is_not_echoed(tmp_path, rule):
    """An 'e' rule read from a merge file excludes the named file: -vv's trace names the
    pattern as upstream does, "<rule from a file read earlier>", not the file's text
    (upstream's testsuite filter-merge-content-echo; we printed "excl-self-[x]9")."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_bytes(b"k")
    (src / "excl-self-x9").write_bytes(b"h")
    (src / "inner").write_bytes(b"- nothing\n")
    (src / ".rsync-filter").write_text(rule.format(d=src) + "\n")
    outs = []
    for prog, dest in ((RSYNC, "up/"), (OC, "oc/")):
        run = subprocess.run([prog, "-r", "-F", "-vv", "src/", dest], cwd=tmp_path,
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        outs.append(sorted(x for x in run.stdout.splitlines() if "because of pattern" in x))
    assert outs[1] == outs[0] != []
    assert "[x]" not in "".join(outs[1])


MERGE_ERRORS = {  # file name -> contents; the run merges "outer"
    "bad-line-2": {"outer": "- a\nZbad\n"},
    "crlf": {"outer": "- a\r\nZbad\r\n"},
    "named-inside": {"outer": "- a\n. {d}/inner\n", "inner": "SECRET-TEXT\n"},
    "missing-inside": {"outer": ". SECRET-NAME\n"},
    "after-nested": {"outer": ". {d}/child\nZbad\n", "child": "- harmless\n"},
    "named-twice": {"outer": ". {d}/mid\n", "mid": "- a\n. {d}/inner\n", "inner": "Zbad\n"},
    "merging-itself": {"outer": ". {d}/outer\n"},  # (the depth limit: exit 11)
}


@pytest.mark.parametrize("case", MERGE_ERRORS)
def test_merge_file_errors_say_where_as_upstream(tmp_path, case):
    """A bad rule or a missing file in a merge file: upstream's words (the place: the
    file and line, or for a file named inside another "a file named at" that line),
    exit code, and never the text of a file that a file named."""
    (tmp_path / "src").mkdir()
    for name, text in MERGE_ERRORS[case].items():
        (tmp_path / name).write_bytes(text.format(d=tmp_path).encode())
    args = ["-r", f"--filter=. {tmp_path}/outer", "src/"]
    up = subprocess.run([RSYNC, *args, "up/"], cwd=tmp_path, capture_output=True, text=True)
    ours = subprocess.run([OC, *args, "oc/"], cwd=tmp_path, capture_output=True, text=True)
    assert ours.returncode == up.returncode != 0
    assert ours.stderr.splitlines()[0] == up.stderr.splitlines()[0]
    assert "SECRET" not in ours.stderr


def test_a_per_directory_merge_file_merging_itself(tmp_path):
    """': .merge' and a .merge whose line merges it again: the sender stops at upstream's
    depth (32 files), says so as upstream does, and exits 11."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / ".merge").write_text(". .merge\n")
    args = ["-r", "--filter=: .merge", "src/"]
    up = subprocess.run([RSYNC, *args, "up/"], cwd=tmp_path, capture_output=True, text=True)
    ours = subprocess.run([OC, *args, "oc/"], cwd=tmp_path, capture_output=True, text=True)
    assert ours.returncode == up.returncode == 11
    assert ours.stderr.splitlines()[0] == up.stderr.splitlines()[0]


def test_files_from(tmp_path):
    _odd_tree(tmp_path)
    (tmp_path / "list").write_bytes(b"dir/inner\na.txt\n# comment\ndeep/d0\n")
    (tmp_path / "list0").write_bytes(b"dir/inner\0new\nline\0")
    for args in (["--files-from=list", "src/", "dst"], ["-r", "--files-from=list", "src/", "d"],
                 ["-a", "--files-from", "list", "src", "d"], ["--files-from=list", "src/"],
                 ["-0", "--files-from=list0", "src/", "d"]):
        code, theirs = _theirs(args, tmp_path, tmp_path)
        ours_code, ours = _ours(args, tmp_path)
        assert (ours_code, ours.split(b"\n")) == (code, theirs.split(b"\n")), args


@pytest.mark.parametrize("name,args,merges", CASES, ids=[c[0] for c in CASES])
def test_filter_battery_full_output(tmp_path, name, args, merges):
    src = _build(tmp_path, merges)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    for p in sorted(src.rglob("*"), reverse=True):
        os.utime(p, ns=(1_700_000_000_000_000_000, 1_650_000_000_000_000_000))
    os.utime(src, ns=(1_700_000_000_000_000_000, 1_650_000_000_000_000_000))
    argv = ["-r", *args, "./"]
    code, theirs = _theirs(argv, src, home)
    os.environ["HOME"] = str(home)
    ours_code, ours = _ours(argv, src)
    assert ours.split(b"\n") == theirs.split(b"\n")
    assert ours_code == code


def test_wire_round_trip_and_upstream_decodes_it(tmp_path):
    """--wire output decodes back to the listing, and its file list is the one upstream's
    own batch carries for the same tree (same entries, same order)."""
    src = _odd_tree(tmp_path)
    out = io.BytesIO()
    os.chdir(tmp_path)
    assert run(["-a", "--wire", "src/"], stdout=out) == 0
    listing = io.BytesIO()
    assert run(["--decode"], stdin=io.BytesIO(out.getvalue()), stdout=listing) == 0
    _, theirs = _theirs(["-a", "src/"], tmp_path, tmp_path)
    assert listing.getvalue().split(b"\n") == theirs.split(b"\n")
    assert src.exists()


@pytest.mark.parametrize("protocol", [28, 29, 30, 31, 32])
def test_wire_hard_links_as_upstreams_sender_sends_them(tmp_path, protocol):
    """--wire -H: the list flags every name of a multiply-linked file; from protocol 30 a
    later name carries the send-order index of the first (below 30, each its dev and
    inode): the same entries, flags and links as the list in upstream's own batch of
    the tree (without incremental recursion, one list in send order, as ours)."""
    from oc_flist.wire import decode_list
    from oc_wire.batch_stream import walk_batch
    from oc_wire.flist_entry import FileEntry
    from oc_wire.ints import ByteReader

    src = _odd_tree(tmp_path)
    os.link(src / "dir" / "inner", src / "inner-link")  # a second group
    os.link(src / "dir" / "inner", src / "dir" / "inner-2")
    batch = tmp_path / "up.batch"
    subprocess.run([RSYNC, "-aH", "--no-inc-recursive", f"--protocol={protocol}",
                    f"--only-write-batch={batch}", "src/", "dst/"], cwd=tmp_path, check=True,
                   capture_output=True)
    theirs = [e for e in walk_batch(ByteReader(batch.read_bytes()))
              if isinstance(e, FileEntry)]
    out = io.BytesIO()
    os.chdir(tmp_path)
    assert run(["-aH", "--wire", "--no-inc-recursive", f"--protocol={protocol}", "src/"],
               stdout=out) == 0
    ours = decode_list(out.getvalue())

    def links(entries):
        if protocol >= 30:
            return [(e.name, e.hlinked, e.hlink_first) for e in entries]
        groups = {}  # below 30: which names share (dev, ino)
        for e in entries:
            if e.hlinked:
                groups.setdefault((e.dev, e.ino), []).append(e.name)
        return sorted(sorted(g) for g in groups.values())
    assert links(ours) == links(theirs)
    assert sum(e.hlinked for e in ours) == 5


@pytest.mark.parametrize("opts", [["-a"], ["-aH"], ["-rl"]], ids=" ".join)
@pytest.mark.parametrize("protocol", [30, 32])
def test_wire_lists_per_directory_as_upstreams_sender(tmp_path, protocol, opts):
    """--wire with -r from protocol 30 (upstream's default, incremental recursion): the
    first list, then a list per directory behind the index of that directory, depth
    first, then NDX_FLIST_EOF: the same lists, in the same order, with the same entries
    (and -H links) as upstream's own batch of the tree."""
    from oc_wire.batch import read_header
    from oc_wire.batch_stream import FlistEnd, FlistSegment, flist_options, walk_batch
    from oc_wire.flist_decode import FlistDecoder
    from oc_wire.flist_entry import FileEntry
    from oc_wire.ints import ByteReader
    from oc_wire.ndx import NDX_FLIST_EOF, NDX_FLIST_OFFSET, NdxCodec

    src = _odd_tree(tmp_path)
    os.link(src / "dir" / "inner", src / "deep" / "inner-link")  # a link across lists
    batch = tmp_path / "up.batch"
    subprocess.run([RSYNC, *opts, f"--protocol={protocol}", f"--only-write-batch={batch}",
                    "src/", "dst/"], cwd=tmp_path, check=True, capture_output=True)

    def shape(e):
        return ("list", e.dir_index) if isinstance(e, FlistSegment) else \
            (e.name, e.hlinked, e.hlink_first) if isinstance(e, FileEntry) else ("end",)
    theirs = [shape(e) for e in walk_batch(ByteReader(batch.read_bytes()))
              if isinstance(e, (FileEntry, FlistSegment, FlistEnd))]
    out = io.BytesIO()
    os.chdir(tmp_path)
    assert run([*opts, "--wire", f"--protocol={protocol}", "src/"], stdout=out) == 0
    r = ByteReader(out.getvalue())
    dec, ndx = FlistDecoder(flist_options(read_header(r))), NdxCodec(protocol)
    ours = [shape(e) for e in dec.read_list(r)] + [("end",)]
    while (i := ndx.decode(r)) != NDX_FLIST_EOF:
        ours += [("list", NDX_FLIST_OFFSET - i), *map(shape, dec.read_list(r)), ("end",)]
    assert r.offset == len(out.getvalue())
    assert ours == theirs
    assert ours.count(("end",)) > 30  # (one list per directory of the deep tree)


@pytest.mark.parametrize("protocol", [28, 30, 32])
def test_upstream_replays_a_batch_built_on_our_file_list(tmp_path, protocol):
    """Our file list plus whole-file transfers, written as a batch, replayed by upstream
    `rsync --read-batch`: the destination equals the source (names, types, modes, mtimes,
    link targets, contents)."""
    import stat as st

    from oc_core import FileSum
    from oc_flist.build import Selection, build
    from oc_flist.wire import list_header, sorted_unique
    from oc_wire.batch_stream import FileChecksum, FileStart, FlistEnd, Goodbye, PhaseDone, Stats
    from oc_wire.batch_write import encode_events
    from oc_wire.checksums import checksum_spec
    from oc_wire.items import ITEM_IS_NEW, ITEM_TRANSFER
    from oc_wire.sums import SumHead
    from oc_wire.token_events import End, Literal

    src = _odd_tree(tmp_path)
    sel = Selection(recurse=True, xfer_dirs=True, preserve_links=True, owner_names=True)
    entries = sorted_unique(build([os.fsencode(src) + b"/"], sel), protocol)
    h = list_header(protocol, recurse=True, preserve_uid=True, preserve_gid=True,
                    preserve_links=True, preserve_devices=True)
    spec = checksum_spec(protocol, h.compat_flags, 0)
    events = [h, *entries, FlistEnd(0, len(entries))]
    for i, e in enumerate(entries):
        if not st.S_ISREG(e.mode):
            continue
        data = (src / os.fsdecode(e.name)).read_bytes()
        events += [FileStart(i, ITEM_TRANSFER | ITEM_IS_NEW, e), SumHead(0, 0, 0, 0)]
        events += [Literal(data[j:j + 32768]) for j in range(0, len(data), 32768)]
        whole = FileSum(spec.algo, spec.file_prefix)
        whole.update(data)
        events += [End(), FileChecksum(whole.digest())]
    events += [PhaseDone(p) for p in range(3 if protocol >= 29 else 2)]
    events += [Stats(0, 0, sum(e.size for e in entries if st.S_ISREG(e.mode)), 0, 0)]
    if protocol >= 31:
        events.append(Goodbye())
    (tmp_path / "ours.batch").write_bytes(b"".join(encode_events(events)))
    dst = tmp_path / "dst"
    r = subprocess.run([RSYNC, "-a", f"--read-batch={tmp_path / 'ours.batch'}", f"{dst}/"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    _, want = _theirs(["-a", "--no-h", "src/"], tmp_path, tmp_path)
    _, got = _theirs(["-a", "--no-h", "dst/"], tmp_path, tmp_path)
    assert got.split(b"\n")[1:] == want.split(b"\n")[1:]  # "." itself differs (mtime)
    for e in entries:
        if st.S_ISREG(e.mode):
            name = os.fsdecode(e.name)
            assert (dst / name).read_bytes() == (src / name).read_bytes()


@pytest.mark.parametrize("args", [["src/"], ["-r", "src"], ["-a", "--list-only", "src/", "d"],
                                  ["-rz", "--delete", "-n", "src/"],
                                  ["-r", "--chmod=go-r,Dg+s", "src/"], ["-aqc", "src/"],
                                  ["-ahh", "--exclude=*.o", "-C", "src/"]])
def test_oc_rsync_lists_local_sources_like_rsync(tmp_path, args):
    """One operand (or --list-only) lists, as rsync does; oc-rsync hands it to oc-flist
    with the options that change the lines (any other rsync option is accepted and
    changes nothing there, as upstream's; -q lists nothing). Before, oc-flist was given
    the whole command line and refused -z, -n, --delete, --chmod, -v..."""
    import sys
    _odd_tree(tmp_path)
    oc = os.path.join(os.path.dirname(sys.executable), "oc-rsync")
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}
    ours = subprocess.run([oc, *args], cwd=tmp_path, env=env, capture_output=True)
    _, theirs = _theirs(args, tmp_path, tmp_path)
    assert ours.returncode == 0 and ours.stdout == theirs
