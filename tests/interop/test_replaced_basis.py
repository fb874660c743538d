"""A big file replaced by a transfer whose receiver is ours: the old file's last
descriptor goes to a helper process (oc_patch.patcher.close_last), which still holds the
replaced file when it starts, so the blocks are freed there and not at the end of the
receiver's run; the result is upstream's."""
import os
import subprocess
import time

import pytest
from oc_patch.patcher import RELEASE_ELSEWHERE
from test_rsync_interop import OC, RSYNC

pytestmark = pytest.mark.skipif(not os.path.exists(RSYNC), reason="needs upstream rsync")

# a `cat` first on PATH that notes what it holds (the note appears whole: it runs on
# after the transfer has ended), then is the real one
_CAT = """#!/bin/sh
for f in /proc/$$/fd/*; do readlink "$f"; done > "{log}.$$"
mv "{log}.$$" "{log}"
exec /usr/bin/cat "$@"
"""


def _note(log, seconds: float = 10.0) -> str:
    """The helper's note, once it is there."""
    end = time.monotonic() + seconds
    while not log.exists() and time.monotonic() < end:
        time.sleep(0.02)
    return log.read_text() if log.exists() else ""


@pytest.mark.parametrize("direction", ["oc-pull-from-up", "up-push-to-oc"])
def test_the_replaced_file_is_let_go_by_a_helper(tmp_path, direction):
    old = os.urandom(RELEASE_ELSEWHERE)
    new = bytearray(old)
    new[1 << 20:(1 << 20) + 100] = os.urandom(100)
    shims = tmp_path / "bin"
    shims.mkdir()
    log = tmp_path / "held"
    (shims / "cat").write_text(_CAT.format(log=log))
    (shims / "cat").chmod(0o755)
    rsh = tmp_path / "rsh"
    rsh.write_text('#!/bin/sh\nshift\nexec sh -c "$*"\n')
    rsh.chmod(0o755)
    env = dict(os.environ, PATH=f"{shims}:{os.environ['PATH']}")
    for name in ("up", "oc"):
        src, dest = tmp_path / f"src-{name}", tmp_path / f"dst-{name}"
        src.mkdir()
        dest.mkdir()
        (src / "big").write_bytes(new)
        (dest / "big").write_bytes(old)
        os.utime(dest / "big", (1, 1))
        if name == "up":
            client = server = RSYNC
        else:
            client, server = (OC, RSYNC) if direction.startswith("oc") else (RSYNC, OC)
        where = [f"localhost:{src}/", f"{dest}/"] if "pull" in direction else \
            [f"{src}/", f"localhost:{dest}/"]
        r = subprocess.run([client, "-a", "-e", str(rsh), f"--rsync-path={server}", *where],
                           capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 0, r.stderr
        assert (dest / "big").read_bytes() == new
        assert os.stat(dest / "big").st_mtime == os.stat(src / "big").st_mtime
        if name == "up":
            assert not log.exists()  # (upstream frees it in its rename)
        else:
            held = _note(log)
            assert f"{dest}/big (deleted)" in held.splitlines(), held
