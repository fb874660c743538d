"""End to end through a real OpenSSH sshd on 127.0.0.1, started by the test: oc-rsync
pulls from and pushes to upstream rsync, and upstream rsync pulls from and pushes to
oc-rsync, each over ssh; the result equals upstream-to-upstream over the same sshd."""
import os
import shutil
import socket
import subprocess
import time

import pytest
from test_rsync_interop import OC, RSYNC, _copy, _snapshot, _tree

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
pytestmark = pytest.mark.skipif(not os.path.exists(SSHD) or os.geteuid() != 0,
                                reason="needs sshd and root")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ssh(tmp_path_factory):
    d = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)],
                       check=True)
    shutil.copy(d / "user_key.pub", d / "authorized_keys")
    os.makedirs("/run/sshd", exist_ok=True)
    port = _free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPidFile {d / 'sshd.pid'}\n"
        "StrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n")
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(d / "sshd_config")],
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield (f"ssh -p {port} -i {d / 'user_key'} -o StrictHostKeyChecking=no "
           "-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR")
    proc.terminate()
    proc.wait(timeout=10)


CASES = {
    "oc pulls from upstream": lambda rsh, s, d: [OC, "-a", "-e", rsh, f"127.0.0.1:{s}/", f"{d}/"],
    "oc pushes to upstream": lambda rsh, s, d: [OC, "-az", "-e", rsh, f"{s}/", f"127.0.0.1:{d}/"],
    "upstream pulls from oc": lambda rsh, s, d: [RSYNC, "-a", "-e", rsh, f"--rsync-path={OC}",
                                                 f"127.0.0.1:{s}/", f"{d}/"],
    "upstream pushes to oc": lambda rsh, s, d: [RSYNC, "-az", "-e", rsh, f"--rsync-path={OC}",
                                                f"{s}/", f"127.0.0.1:{d}/"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_over_real_sshd(ssh, tmp_path, case):
    src, basis = _tree(tmp_path, False)
    ref, ours = tmp_path / "ref", tmp_path / "ours"
    _copy(basis, ref)
    _copy(basis, ours)
    want = subprocess.run([RSYNC, "-a", "-e", ssh, f"127.0.0.1:{src}/", f"{ref}/"],
                          capture_output=True, timeout=120)
    got = subprocess.run(CASES[case](ssh, src, ours), capture_output=True, timeout=120)
    assert want.returncode == 0, want.stderr
    assert got.returncode == 0, got.stderr
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)
