"""Directories made inside a set-group-ID directory keep the bit the kernel gave them when
permissions are not preserved (upstream: rsync.c set_file_attrs, "inherit"); with -p they
get the sender's bits. Compared with upstream-to-upstream in a local copy, a pull from
upstream's server and a push from upstream's client to ours."""
import os
import stat
import subprocess

import pytest
from test_rsync_interop import OC, RSYNC, _stub

WAYS = ["local", "pull", "push-to-oc"]


def _tree(root):
    (root / "src" / "dir" / "blah").mkdir(parents=True)
    (root / "src" / "file").write_bytes(b"file\n")
    os.chmod(root / "src" / "dir", 0o2764)  # u=rwx,g=rw,g+s,o=r as upstream's dir-sgid
    (root / "to").mkdir()
    os.chmod(root / "to", 0o2760)


def _modes(root) -> list[tuple[str, str]]:
    out = []
    for dirpath, dirs, files in os.walk(root):
        for n in sorted(dirs + files):
            p = os.path.join(dirpath, n)
            out.append((os.path.relpath(p, root), stat.filemode(os.lstat(p).st_mode)))
    return sorted(out)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("opts", [["-r"], ["-rp"], ["-rt"]], ids=" ".join)
def test_directories_made_in_a_setgid_directory(tmp_path, way, opts):
    got = {}
    for name, prog in (("up", RSYNC), ("oc", OC)):
        root = tmp_path / name
        _tree(root)
        src, dst = f"{root}/src/", f"{root}/to/new/"
        rsh = ["-e", _stub(tmp_path)]
        cmd = {"local": [prog, *opts, src, dst],
               "pull": [prog, *opts, *rsh, f"localhost:{src}", dst],
               "push-to-oc": [RSYNC, *opts, *rsh, f"--rsync-path={prog}", src,
                              f"localhost:{dst}"]}[way]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           preexec_fn=lambda: os.umask(0o077))
        got[name] = (r.returncode, r.stderr.replace(str(root), "ROOT"), _modes(root / "to"))
    assert got["oc"] == got["up"]
    assert got["up"][0] == 0
    assert any("s" in m or "S" in m for n, m in got["up"][2] if n == "new/dir/blah") \
        != (opts == ["-rp"])  # the case is the one meant: the bit is kept without -p
