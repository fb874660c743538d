"""-x and -xx across a real mount point (a tmpfs mounted inside the source tree, as
root): -x sends the mount point as an empty directory and nothing below it, -xx leaves
it out too, in oc-flist's listing and in oc-rsync's transfers, as upstream does."""
import os
import subprocess

import pytest
from test_rsync_interop import OC, RSYNC, _stub

FLIST = os.path.join(os.path.dirname(OC), "oc-flist")


@pytest.fixture
def tree(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    src = tmp_path / "src"
    (src / "mnt").mkdir(parents=True)
    (src / "d").mkdir()
    (src / "d" / "f").write_bytes(b"here")
    r = subprocess.run(["mount", "-t", "tmpfs", "oc-test", str(src / "mnt")],
                       capture_output=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        (src / "mnt" / "inside").write_bytes(b"other file system")
        (src / "mnt" / "sub").mkdir()
        (src / "mnt" / "sub" / "deep").write_bytes(b"deeper")
        yield tmp_path
    finally:
        subprocess.run(["umount", str(src / "mnt")], check=True)


def _names(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, n), root)
                  for d, dirs, files in os.walk(root) for n in dirs + files)


@pytest.mark.parametrize("opts", [["-rx"], ["-rxx"], ["-r"]], ids=" ".join)
def test_listing_stops_at_the_mount_as_upstream(tree, opts):
    env = {**os.environ, "TZ": "UTC"}
    got = [subprocess.run([prog, "--list-only", *opts, "src/"], cwd=tree, env=env,
                          capture_output=True) for prog in (RSYNC, FLIST)]
    assert got[1].stdout == got[0].stdout and got[1].returncode == got[0].returncode
    assert (b"inside" in got[0].stdout) == (opts == ["-r"])


@pytest.mark.parametrize("way", ["local", "push", "pull"])
@pytest.mark.parametrize("opts", [["-ax"], ["-axx"]], ids=" ".join)
def test_transfer_stops_at_the_mount_as_upstream(tree, opts, way):
    src = f"{tree}/src/"
    rsh = ["-e", _stub(tree)]
    results = {}
    for name, prog in (("up", RSYNC), ("oc", OC)):
        dst = f"{tree}/{name}/"
        cmd = {"local": [prog, *opts, src, dst],
               "push": [prog, *opts, *rsh, f"--rsync-path={prog}", src, f"localhost:{dst}"],
               "pull": [prog, *opts, *rsh, f"--rsync-path={prog}", f"localhost:{src}", dst]}
        r = subprocess.run(cmd[way], capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        results[name] = _names(dst)
    assert results["oc"] == results["up"]
    assert ("mnt" in results["oc"]) == (opts == ["-ax"]) and "mnt/inside" not in results["oc"]
