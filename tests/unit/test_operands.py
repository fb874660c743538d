"""How the client reads an operand: [USER@]HOST:PATH is remote when its first ':' comes
before any '/'; HOST::MODULE and rsync:// are the daemon's (refused for now); anything
else is a local path (upstream: main.c check_for_hostspec)."""
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oc_rsync.client import _remote
from oc_rsync.options import UsageError

CASES = {
    "host:path": (None, "host", "path"),
    "host:": (None, "host", "."),
    "user@host:dir/file": ("user", "host", "dir/file"),
    "a@b@c:x": ("a", "b@c", "x"),      # the user ends at the first '@'
    "user@:x": (None, "user@", "x"),   # no host after '@': all of it is the host
    "@host:x": (None, "@host", "x"),
    "host:a:b": (None, "host", "a:b"),
    "host:/abs": (None, "host", "/abs"),
    "dir/name:with-colon": None,       # a '/' before the ':': a local path
    "./host:x": None,
    ":x": None,
    "plain": None,
    "/abs/path": None,
}


@pytest.mark.parametrize("operand", CASES)
def test_operands(operand):
    assert _remote(operand) == CASES[operand]


@pytest.mark.parametrize("operand", ["host::module", "user@host::m/x", "rsync://host/m"])
def test_daemon_forms_are_refused(operand):
    with pytest.raises(UsageError, match="daemons are not supported"):
        _remote(operand)


_SHAPE = re.compile(r"^(?:(?P<user>[^@:/]+)@)?(?P<host>[^:/]+):(?P<path>.*)$", re.S)


@given(st.text(alphabet="ab@:/.x\n", max_size=12))
def test_same_as_the_pattern_it_replaced(operand):
    """(The pattern the client used before it stopped loading re.)"""
    if operand.startswith("rsync://") or re.match(r"^[^/]*::", operand):
        with pytest.raises(UsageError):
            _remote(operand)
        return
    m = _SHAPE.match(operand)
    want = (m.group("user"), m.group("host"), m.group("path") or ".") if m else None
    assert _remote(operand) == want
