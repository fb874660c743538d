"""A pulling client refuses a file list holding a name it did not ask for, as upstream
3.5.0's does ("ERROR: rejecting unrequested file-list name", exit 4, nothing written):
each operand implies the names it may bring (exclude.c add_implied_include). The
sender that lists more is a real server given a --files-from of its own
(-M--files-from=LIST), once upstream's and once ours.

The other cases are pulls that must go through: operand shapes (trailing slash or not,
a single file, globs the remote shell expands, a bracket glob it leaves alone, -R with
and without "/./", doubled slashes, several operands, -d, a local --files-from) pulled
by upstream's client and ours from both servers, with the same exit code and tree.

Before, our client wrote whatever the sender listed."""
import os
import subprocess

import pytest
from test_rsync_interop import OC, RSYNC, _snapshot, _stub

SERVERS = {"upstream-server": [], "oc-server": [f"--rsync-path={OC}"]}


def _tree(root):
    src = root / "src"
    (src / "sub" / "deep").mkdir(parents=True)
    for name in ("a", "b.txt", "c.txt", "[x]", "sp ace", "b\\s", "sub/s", "sub/deep/d"):
        (src / name).write_bytes(name.encode() + b"\n")
    for d in ("sub/deep", "sub", "."):
        os.utime(src / d, (1_600_000_000, 1_600_000_000))
    return src


def _pull(prog, server, opts, operands, dst, tmp):
    return subprocess.run([prog, *opts, "-e", _stub(tmp), *server,
                           *[f"localhost:{p}" for p in operands], f"{dst}/"],
                          capture_output=True, timeout=120)


# (options, operands under src's parent)
CASES = [(["-a"], ["src/"]), (["-a"], ["src"]), (["-a"], ["src/a"]), (["-lt"], ["src/a"]),
         (["-a"], ["src/*.txt"]), (["-a"], ["src/[x]"]), (["-a"], ["src/sp ace"]),
         (["-aR"], ["src/./sub"]), (["-aR"], ["src/sub/deep"]), (["-a"], ["src//sub/"]),
         (["-a"], ["src/sub/."]), (["-a"], ["src/a", "src/sub"]), (["-d"], ["src/sub/"]),
         (["-d"], ["src/sub"]), (["-a", "--no-inc-recursive"], ["src/sub"]),
         (["-aR"], ["src/./sub/", "src/./a"]), (["-r"], ["src/s*"]), (["-a"], ["src/b\\s"]),
         (["-a"], ["src/b\\s", "src/[x]"]), (["-aR"], ["src/./b\\s"])]


@pytest.mark.parametrize("opts, operands", CASES,
                         ids=[" ".join(o + p) for o, p in CASES])
@pytest.mark.parametrize("server", SERVERS)
def test_requested_names_go_through(tmp_path, server, opts, operands):
    _tree(tmp_path)
    got = {}
    for name, prog in (("up", RSYNC), ("oc", OC)):
        dst = tmp_path / name
        r = _pull(prog, SERVERS[server], opts, [f"{tmp_path}/{p}" for p in operands], dst,
                  tmp_path)
        # (-R of a full path: the parents' times are the test directory's, which the
        # runs change)
        times = opts[0] == "-a" or opts[0] == "-aR" and all("/./" in p for p in operands)
        got[name] = (r.returncode, _snapshot(dst, True, times))
    assert got["oc"] == got["up"]
    assert got["up"][0] == 0


def test_a_local_files_from_list_is_what_is_requested(tmp_path):
    """--files-from read here: its names (not the operand) say what may come."""
    _tree(tmp_path)
    (tmp_path / "list").write_bytes(b"a\nsub/deep\n")
    for server in SERVERS.values():
        got = {}
        for name, prog in (("up", RSYNC), ("oc", OC)):
            dst = tmp_path / f"{name}{len(server)}"
            r = _pull(prog, server, ["-a", f"--files-from={tmp_path}/list"],
                      [f"{tmp_path}/src/"], dst, tmp_path)
            got[name] = (r.returncode, _snapshot(dst, True, True))
        assert got["oc"] == got["up"] and got["up"][0] == 0


@pytest.mark.parametrize("listed", [b"s\n", b"deep/d\n", b"../a\n"])
@pytest.mark.parametrize("server", SERVERS)
def test_a_name_not_asked_for_is_refused(tmp_path, server, listed):
    """The client asks for src/sub; the server, told -M--files-from=LIST, lists what
    LIST names under it instead."""
    src = _tree(tmp_path)
    (tmp_path / "list").write_bytes(listed)
    results = {}
    for name, prog in (("up", RSYNC), ("oc", OC)):
        dst = tmp_path / name
        r = _pull(prog, SERVERS[server], ["-a", f"-M--files-from={tmp_path}/list"],
                  [f"{src}/sub"], dst, tmp_path)
        errors = [x.replace(b"oc-rsync", b"rsync") for x in r.stderr.splitlines()
                  if x.startswith(b"ERROR")]
        written = [os.path.join(d, f) for d, _, fs in os.walk(dst) for f in fs]
        results[name] = (r.returncode, errors, written)
    assert results["oc"] == results["up"]
    if listed != b"../a\n":
        assert results["up"][0] == 4 and results["up"][1]


@pytest.mark.parametrize("opts", [["-a"], ["-aR"]], ids=lambda v: " ".join(v))
@pytest.mark.parametrize("operand", ["~/x", "~x", "~/./x", "~"])
def test_a_leading_tilde_is_kept_literal_where_upstream_keeps_it(tmp_path, opts, operand):
    """The remote shell must not expand a leading '~' when the sender would list what
    it expands to, names the client did not ask for: without a '/', or with -R and no
    "/./" (options.c safe_arg). The command line sent is compared with upstream's."""
    lines = []
    for prog in (RSYNC, OC):
        r = subprocess.run([prog, "-vv", "-n", *opts, "-e", _stub(tmp_path),
                            "--rsync-path=rsync", f"localhost:{operand}", f"{tmp_path}/d/"],
                           capture_output=True, text=True, timeout=60)
        lines.append(next(x for x in r.stdout.splitlines()
                          if x.startswith("opening connection")))
    assert lines[1] == lines[0]
