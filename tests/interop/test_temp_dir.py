"""--temp-dir as upstream's receiver takes it: a relative one starts in the destination
(main.c get_local_name changes into it), one that is missing or not a directory stops the
run before anything is sent (main.c do_recv, exit 1), and the way to it follows root's and
our own symlinks only (syscall.c secure_mkstemp): through another user's, each file fails
with "mkstemp ... failed" (its data read past, exit 23) and nothing lands outside, unless
--insecure-links; one with a ".." in it fails so too (EINVAL). Compared with upstream in
a local copy, a pull and a push to our server."""
import os
import subprocess

import pytest
from test_rsync_interop import OC, RSYNC, _stub

WAYS = ["local", "pull", "push-to-oc"]
LONG = "x" * 244 + "\u00e9\u00e9"  # cut to fit NAME_MAX inside a 2-byte character
NAMES = ["a", ".b.", "c.", LONG]


def _tree(root):
    (root / "src").mkdir(parents=True)
    for k, name in enumerate(NAMES):
        (root / "src" / name).write_bytes(b"data %d\n" % k * (k + 1) * 1000)
    (root / "dst" / "in").mkdir(parents=True)  # a temp dir inside the destination
    (root / "here").mkdir()                       # one beside it (the caller's cwd)
    (root / "dst" / "plain").write_bytes(b"not a directory")
    (root / "outside").mkdir()
    os.symlink(root / "outside", root / "ours")
    os.symlink(root / "outside", root / "theirs")
    os.lchown(root / "theirs", 65534, 65534)  # nobody's


CASES = [["-T", "in"], ["-T", "here"], ["-T", "plain"], ["-T", "/nonexistent-dir"],
         ["-T", "{root}/ours"], ["-T", "{root}/theirs"], ["-T", "{root}/theirs/"],
         ["-T", "{root}/theirs", "--insecure-links"], ["--temp-dir={root}/in/../../theirs"],
         ["-T", "../here"], ["-T", "{root}/here/../here"], ["-T", "in/.."]]


def _run(prog: str, way: str, opts: list[str], root, tmp):
    rsh = ["-e", _stub(tmp)]
    src, dst = f"{root}/src/", f"{root}/dst/"
    cmd = {"local": [prog, "-a", *opts, src, dst],
           "pull": [prog, "-a", *opts, *rsh, f"localhost:{src}", dst],
           "push-to-oc": [RSYNC, "-a", *opts, *rsh, f"--rsync-path={prog}", src,
                          f"localhost:{dst}"]}[way]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=root)


def _state(root) -> list[tuple[str, bytes]]:
    out = []
    for dirpath, _, files in os.walk(root):
        for n in files:
            p = os.path.join(dirpath, n)
            out.append((os.path.relpath(p, root), open(p, "rb").read()))
    return sorted(out)


@pytest.mark.skipif(os.geteuid() != 0, reason="another user's symlink needs root")
@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("opts", CASES, ids=lambda v: " ".join(v))
def test_temp_dir_as_upstream(tmp_path, way, opts):
    got = {}
    for name, prog in (("up", RSYNC), ("oc", OC)):
        root = tmp_path / name
        _tree(root)
        r = _run(prog, way, [o.format(root=root) for o in opts], root, tmp_path)
        said = sorted(x.replace(str(root), "ROOT").replace("oc-rsync", "rsync")
                      for x in r.stderr.splitlines()
                      if not x.startswith(("rsync error:", "oc-rsync error:"))
                      and "connection unexpectedly closed" not in x)
        got[name] = (r.returncode, said, _state(root))
    assert got["oc"] == got["up"]
    code, _, state = got["oc"]
    if code == 23:  # what failed left nothing behind, inside or outside
        assert not [p for p, _ in state if p.startswith(("dst/", "outside/"))
                    and p != "dst/plain"]
