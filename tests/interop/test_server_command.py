"""The command a client runs on the remote host (upstream: options.c server_options), as
-vv shows it ("opening connection using: ..."), equal to upstream 3.5.0's for the same
options, pulling and pushing: a remote shell with a forced command (rrsync) or an old
server sees exactly what upstream would send."""
import subprocess

import pytest
from test_rsync_interop import (
    OC,
    RSYNC,
    _copy,
    _reference_for,
    _run,
    _snapshot,
    _stub,
    _tree,
)

ARGS = [["--list-only"], ["-r", "--list-only"], ["-d", "--delete"], ["-av", "--info=skip2"],
        ["-a", "--info=skip0", "-u"], ["-avvC"], ["-a", "--existing", "--max-size=3k"],
        ["-rl", "--safe-links"], ["-aSuIx", "--no-whole-file"], ["-rlptgoDHWEc"],
        ["-rLkKmOJy", "-d"], ["-dR", "-xx", "--existing"],  # (-r with -R: see README)
        ["-a", "--copy-unsafe-links"], ["-a", "--protocol=29"], ["-aUU", "--open-noatime"],
        ["-a", "--open-noatime", "--stats"], ["-a", "--usermap=*:daemon", "--partial-dir=.p*"],
        ["-a", "-M--timeout=9", "--remote-option=-v"],
        ["-a", "--inplace", "-S", "--no-whole-file", "--modify-window=-1"],
        ["-a", "--min-size=1k", "--max-size=1m", "--delete", "--size-only", "--force",
         "--max-delete=3"], ["-az", "--skip-compress=gz/jp*", "--compress-level=3"],
        ["-a", "--compress-level=4"], ["-a", "--zc=zlib", "--zl=0"], ["-a", "--zc=zlib"],
        ["-a", "--zc=zlibx"], ["-az", "--zl=0"], ["-a", "--info=all"],
        ["-a", "--info=all2,stats0"], ["-a", "--info=none"], ["-a", "--info=del", "--info=copy2"],
        ["-a", "--info=all0,name"], ["-a", "--stats", "--info=stats0"], ["-a", "--info=all,skip0"],
        ["-a", "--zc=None"], ["-az", "--zc=Zlib"], ["-a", "--zc=auto"], ["-a", "--zc=ZSTD"],
        ["-a", "--cc=MD5"], ["-a", "--cc=auto"], ["-a", "--cc=md5,xxh3"],
        ["-a", "--delay-updates"], ["-a", "--delay-updates", "--partial-dir=.p"],
        ["-a", "--ignore-errors", "--delete", "--partial"], ["-a", "--preallocate"]]


def _command(prog: str, args: list[str], tmp_path, push: bool) -> str:
    src, dst = tmp_path / "src", tmp_path / "dst"
    where = [f"{src}/", f"localhost:{dst}/"] if push else [f"localhost:{src}/", f"{dst}/"]
    r = subprocess.run([prog, "-vv", "-n", "-e", _stub(tmp_path), "--rsync-path=rsync",
                        *args, *where], capture_output=True, text=True, timeout=60)
    line = next(x for x in r.stdout.splitlines() if x.startswith("opening connection"))
    return line


@pytest.mark.parametrize("args", ARGS, ids=[" ".join(a) for a in ARGS])
@pytest.mark.parametrize("push", [False, True], ids=["pull", "push"])
def test_the_server_command_is_upstreams(tmp_path, args, push):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_text("x")
    (tmp_path / "dst").mkdir()
    assert _command(OC, args, tmp_path, push) == _command(RSYNC, args, tmp_path, push)


QUIET_ARGS = [["-a", "--progress"], ["-a", "--info=name"], ["-a", "--info=all,skip0"],
              ["-a", "--info=progress2"], ["-a", "--info=name0", "--progress"]]


@pytest.mark.parametrize("args", QUIET_ARGS, ids=[" ".join(a) for a in QUIET_ARGS])
@pytest.mark.parametrize("push", [False, True], ids=["pull", "push"])
def test_the_server_command_without_v_is_upstreams(tmp_path, args, push):
    """Without -v (which hides it): a pushing client whose names are printed (--progress,
    --info=name) tells its server --log-format=X, as upstream's; the remote shell here
    prints the command it was given and fails."""
    shell = tmp_path / "say"
    shell.write_text('#!/bin/sh\necho "$@" >&2\nexit 1\n')
    shell.chmod(0o755)
    where = [f"{tmp_path}/", "h:/x"] if push else ["h:/x", f"{tmp_path}/d/"]
    said = {}
    for prog in (OC, RSYNC):
        r = subprocess.run([prog, *args, "-e", str(shell), *where], capture_output=True,
                           text=True, timeout=60)
        said[prog] = r.stderr.splitlines()[0]
    assert said[OC] == said[RSYNC]


def test_a_listing_of_one_remote_operand_sends_no_list_only(tmp_path):
    """One operand implies --list-only, which upstream keeps to itself."""
    (tmp_path / "src").mkdir()
    cmd = {}
    for prog in (OC, RSYNC):
        r = subprocess.run([prog, "-vv", "-e", _stub(tmp_path), "--rsync-path=rsync",
                            f"localhost:{tmp_path / 'src'}/"], capture_output=True, text=True,
                           timeout=60)
        cmd[prog] = next(x for x in r.stdout.splitlines() if x.startswith("opening"))
    assert cmd[OC] == cmd[RSYNC] and "--list-only" not in cmd[OC]


@pytest.mark.parametrize("direction", ["oc-push", "up-push-to-oc", "oc-local"])
def test_remote_options_reach_the_receiving_side(tmp_path, direction):
    """-M/--remote-option: the word goes to the remote side's command (here --existing:
    the receiving server makes nothing new); a local copy's receiving side takes it too,
    as upstream's (its forked server parses the same command)."""
    src, basis = _tree(tmp_path, False)
    (src / "brand-new").write_text("not in the destination")
    ref, ours = tmp_path / "ref", tmp_path / "ours"
    _copy(basis, ref)
    _copy(basis, ours)
    opts = ["-a", "-M--existing"]
    want = _reference_for(direction, opts, src, ref, tmp_path)
    got = _run(direction, opts, src, ours, tmp_path)
    assert got.returncode == want.returncode == 0, got.stderr
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)
    assert not (ref / "brand-new").exists()


@pytest.mark.parametrize("args", [["--delete"], ["-d"], ["-d", "--delete"], ["--list-only"]],
                         ids=lambda v: " ".join(v))  # (-r: our 'i' differs, see README)
@pytest.mark.parametrize("push", [True, False], ids=["push", "pull"])
def test_files_from_command_as_upstreams(tmp_path, push, args):
    """--files-from implies -d; its server is told so only where upstream tells it
    (options.c: an implied -d goes with --list-only, or with --delete to a receiving
    server): a pushing client's --delete without it makes the server refuse the run."""
    _tree(tmp_path / "src", False)
    (tmp_path / "list").write_text("a\n")
    assert _command(RSYNC, [f"--files-from={tmp_path}/list", *args], tmp_path, push) == \
        _command(OC, [f"--files-from={tmp_path}/list", *args], tmp_path, push)
