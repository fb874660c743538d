"""A pulling client refuses a file list holding names its own rules exclude, as upstream
3.5.0's does against a malicious sender ("ERROR: rejecting excluded file-list name",
exit 4, the name never written). The malicious sender is a real server told to
include everything first (-M--include=*: its own rules come before the client's), once
upstream's and once ours; the reference is upstream's client pulling the same way.

Before, our client wrote whatever the sender listed: an excluded file arrived; and our
server ignored filter options on its own command line (a forced command's, -M's)."""
import os
import subprocess

import pytest
from test_rsync_interop import OC, RSYNC, _snapshot, _stub

SERVERS = {"upstream-server": [], "oc-server": [f"--rsync-path={OC}"]}
REFUSED = [["--exclude=secret"], ["--exclude=/sub"], ["--exclude=sub/"],
           ["--exclude=/sub/secret"], ["--include=keep", "--exclude=*"]]
# -F's per-directory rules mean only the sender can tell (upstream: trust_sender_filter)
TRUSTED = [["-F"], ["--exclude=absent"]]


def _tree(root):
    src = root / "src"
    (src / "sub").mkdir(parents=True)
    for name, data in (("secret", b"s\n"), ("keep", b"k\n"), ("sub/secret", b"t\n"),
                       ("sub/other", b"o\n")):
        (src / name).write_bytes(data)
    return src


def _pull(prog, server, opts, src, dst, tmp):
    return subprocess.run([prog, "-a", *opts, "-M--include=*", "-e", _stub(tmp), *server,
                           f"localhost:{src}/", f"{dst}/"], capture_output=True, timeout=120)


def test_a_servers_own_exclude_is_kept(tmp_path):
    """-M--exclude=secret: a sending server of ours leaves the file out, as upstream's."""
    src = _tree(tmp_path)
    for prog, server, dst in ((RSYNC, [], "ref"), (OC, SERVERS["oc-server"], "ours")):
        r = subprocess.run([prog, "-a", "-M--exclude=secret", "-e", _stub(tmp_path), *server,
                            f"localhost:{src}/", f"{tmp_path / dst}/"], capture_output=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
    # (no times: upstream's client leaves sub's mtime unset here too)
    assert _snapshot(tmp_path / "ours", True, False) == _snapshot(tmp_path / "ref", True, False)
    assert not (tmp_path / "ours" / "secret").exists()


def _error_lines(err: bytes) -> list[bytes]:
    return [x for x in err.splitlines() if x.startswith(b"ERROR:")]


@pytest.mark.parametrize("opts", REFUSED, ids=[" ".join(o) for o in REFUSED])
@pytest.mark.parametrize("server", SERVERS)
def test_an_excluded_name_from_the_sender_is_refused(tmp_path, server, opts):
    src = _tree(tmp_path)
    want = _pull(RSYNC, [], opts, src, tmp_path / "ref", tmp_path)
    got = _pull(OC, SERVERS[server], opts, src, tmp_path / "ours", tmp_path)
    assert want.returncode == 4 and _error_lines(want.stderr)
    assert got.returncode == 4, got.stderr
    assert _error_lines(got.stderr) == _error_lines(want.stderr)
    written = {os.path.relpath(os.path.join(d, f), tmp_path / "ours")
               for d, _, fs in os.walk(tmp_path / "ours") for f in fs}
    assert not written & {"secret", "sub/secret", "sub/other"}


@pytest.mark.parametrize("opts", TRUSTED, ids=[" ".join(o) for o in TRUSTED])
@pytest.mark.parametrize("server", SERVERS)
def test_without_rules_to_check_the_list_is_taken(tmp_path, server, opts):
    src = _tree(tmp_path)
    (src / ".rsync-filter").write_bytes(b"- secret\n")
    want = _pull(RSYNC, [], opts, src, tmp_path / "ref", tmp_path)
    got = _pull(OC, SERVERS[server], opts, src, tmp_path / "ours", tmp_path)
    assert (got.returncode, want.returncode) == (0, 0), got.stderr
    # (no times: upstream's client leaves the directories' mtimes unset in this case)
    assert _snapshot(tmp_path / "ours", True, False) == _snapshot(tmp_path / "ref", True, False)
