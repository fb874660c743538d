"""Exit codes and their words (upstream: errcode.h, log.c rerr_names), and the closing
line every failing run prints: `oc-rsync error: WORDS (code N)`."""
# the signal module wraps _signal in enum classes (5 ms of each start); these three
# names are all we need of them
import _signal
import os

from oc_wire.errors import DataError, OcError, ProtocolError

__all__ = ["RERR", "words", "closing_line", "code_for", "Interrupted", "PeerExited", "on_signal",
           "catch_signals", "to_devnull"]

RERR = {1: "syntax or usage error", 2: "protocol incompatibility",
        3: "errors selecting input/output files, dirs",
        4: "requested action not supported", 5: "error starting client-server protocol",
        6: "daemon unable to append to log-file", 10: "error in socket IO",
        11: "error in file IO", 12: "error in rsync protocol data stream",
        13: "errors with program diagnostics", 14: "error in IPC code",
        20: "received SIGINT, SIGTERM, or SIGHUP", 21: "some error returned by waitpid()",
        22: "error allocating core memory buffers",
        23: "some files/attrs were not transferred (see previous errors)",
        24: "some files vanished before they could be transferred",
        25: "the --max-delete limit stopped deletions",
        30: "timeout in data send/receive", 35: "timeout waiting for daemon connection"}


def words(code: int) -> str:
    return RERR.get(code, "unexplained error")


def closing_line(prog: str, code: int) -> str:
    return f"{prog} error: {words(code)} (code {code})\n"


def code_for(exc: BaseException) -> int:
    """The exit code an exception ends the run with."""
    code = getattr(exc, "exit_code", None)
    if code is not None:
        return code
    if isinstance(exc, OSError):
        return 11
    if isinstance(exc, DataError):
        return 12
    if isinstance(exc, ProtocolError):
        return 2
    return 1


class Interrupted(OcError):
    """SIGINT, SIGTERM or SIGHUP (upstream exit code 20)."""

    exit_code = 20


def on_signal(signum, frame):
    """The handler of both processes of a transfer: the error unwinds the role, which
    removes its temp file or keeps it with --partial (upstream: cleanup.c)."""
    raise Interrupted(f"received {_SIGNAL_NAMES[signum]}")


_SIGNAL_NAMES = {_signal.SIGINT: "SIGINT", _signal.SIGTERM: "SIGTERM", _signal.SIGHUP: "SIGHUP"}


def to_devnull(fd: int) -> None:
    """Point fd at /dev/null: its reader (or peer) sees the end, and later writes go
    nowhere quietly. Rather than closing it: another thread writing at that moment gets
    no EBADF, nor writes into a file that took the number."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass


def catch_signals() -> None:
    """on_signal for SIGINT, SIGTERM and SIGHUP (in the main thread only)."""
    for signum in _SIGNAL_NAMES:
        _signal.signal(signum, on_signal)


class PeerExited(OcError):
    """The peer said it exits with an error (MSG_ERROR_EXIT; its messages came before):
    we end with its code and say nothing more (upstream: io.c, _exit_cleanup with a
    negative line)."""

    def __init__(self, code: int):
        self.exit_code = code
        super().__init__(f"the peer exited with code {code}")
