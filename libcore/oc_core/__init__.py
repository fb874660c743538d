"""oc_core: the native hot loops (libcore via cffi) and their pure-Python reference.

OC_CORE_BACKEND=native|pure selects the backend; the default is native.
"""
import os

BACKEND = os.environ.get("OC_CORE_BACKEND", "native")


def features() -> dict:
    """Return what the loaded backend offers (for --version and diagnostics)."""
    from . import _oc_core

    return {"abi": _oc_core.lib.oc_core_abi_version()}
