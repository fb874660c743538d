"""Shared fixtures: the binaries under test and upstream's reference binary."""
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _upstream_rsync() -> str | None:
    path = shutil.which("rsync")
    if not path:
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    return path if "protocol version 32" in out else None


@pytest.fixture(scope="session")
def upstream_rsync() -> str:
    """Path of upstream rsync 3.5.x; the suite requires it (make installs it)."""
    path = _upstream_rsync()
    if path is None:
        pytest.fail("upstream rsync 3.5.x (protocol 32) is not installed; run `make`")
    return path


@pytest.fixture(params=["pure", "native"])
def core_backend(request):
    """Each oc_core backend in turn: the unit suite runs on both."""
    from oc_core import load_backend

    return load_backend(request.param)
