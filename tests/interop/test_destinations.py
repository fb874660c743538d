"""DEST as upstream's receiver takes it (main.c get_local_name): an existing directory,
a new directory for several entries or a trailing '/', the one entry written as DEST,
and the refusals (a non-directory in the way, a missing parent, a path through a file),
with upstream's words and exit codes, in a local copy, a pull and a push to our server."""
import os
import subprocess

import pytest
from test_rsync_interop import OC, RSYNC, _stub

# (options, source under the tree, destination under the tree)
CASES = [([], "s/one", "file/x"), ([], "s/one", "file/"), (["-d"], "e", "file"),
         (["-d"], "e", "file/"), ([], "s", "file"), ([], "s/", "file"),
         ([], "s/one", "nope/x"), ([], "s/one", "nope/x/"), ([], "s", "news"),
         ([], "e", "newe"), ([], "s/one", "newf"), ([], "s/one", "newd/"),
         (["--no-inc-recursive"], "s", "file"), ([], "s/one", "file"),
         (["-n"], "s/one", "nope/x")]
WAYS = ["local", "pull", "push-to-oc"]


def _tree(root):
    (root / "s" / "sub").mkdir(parents=True)
    (root / "s" / "one").write_bytes(b"one")
    (root / "e").mkdir()
    (root / "file").write_bytes(b"in the way")


def _run(prog: str, way: str, opts: list[str], src: str, dst: str, tmp):
    rsh = ["-e", _stub(tmp)]
    cmd = {"local": [prog, "-a", *opts, src, dst],
           "pull": [prog, "-a", *opts, *rsh, f"localhost:{src}", dst],
           "push-to-oc": [RSYNC, "-a", *opts, *rsh, f"--rsync-path={prog}", src,
                          f"localhost:{dst}"]}[way]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def _said(stderr: str) -> list[str]:
    """The messages, without the closing line (upstream's names its source line)."""
    return [x.replace("oc-rsync", "rsync") for x in stderr.splitlines()
            if not x.startswith(("rsync error:", "oc-rsync error:"))]


def _result(root) -> list[tuple[str, str]]:
    out = []
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            out.append((os.path.relpath(p, root), "d" if os.path.isdir(p) else "f"))
    return sorted(out)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("opts, src, dst", CASES, ids=lambda v: str(v).replace(" ", ""))
def test_destination_as_upstream_takes_it(tmp_path, way, opts, src, dst):
    got = {}
    for name, prog in (("up", RSYNC), ("oc", OC)):
        root = tmp_path / name
        _tree(root)
        r = _run(prog, way, opts,
                 f"{root}/{src}", f"{root}/{dst}", tmp_path)
        got[name] = (r.returncode, [x.replace(str(root), "ROOT") for x in _said(r.stderr)],
                     _result(root))
    if way == "pull":  # (our client against upstream's server: the connection's end
        got = {k: (c, [x for x in s if "connection unexpectedly closed" not in x], t)
               for k, (c, s, t) in got.items()}  # is counted in other bytes)
    assert got["oc"] == got["up"]
