"""The server of a local copy as a forked child (upstream: pipe.c local_child), so a
local copy costs one interpreter start-up, not two: the child already holds every module
the client imported and runs `run_server` on a pipe pair as fds 0 and 1, exactly as an
`oc-rsync --server` started by a remote shell would.

Forking is only safe while the process has one thread (another thread's locks would
stay locked in the child for ever); with more, `fork_server` returns None and the caller
starts a fresh interpreter instead.
"""
import os
import sys
import threading

__all__ = ["LocalChild", "fork_server"]


class LocalChild:
    """What the client uses of a subprocess.Popen: the pipe ends and wait()."""

    def __init__(self, pid: int, to_child: int, from_child: int):
        self.pid = pid
        self.stdin = os.fdopen(to_child, "wb")
        self.stdout = os.fdopen(from_child, "rb")
        self.returncode: int | None = None

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def fork_server(args: list[str], shared=None) -> LocalChild | None:
    """The server, forked; shared: what it takes from the client's memory rather than
    its arguments, as upstream's forked receiver does (server.run_server)."""
    if threading.active_count() != 1:
        return None
    from .exitcodes import catch_signals
    from .server import run_server  # imported here so the child need not

    child_in, to_child = os.pipe()
    from_child, child_out = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        stream.flush()
    pid = os.fork()
    if pid:
        os.close(child_in)
        os.close(child_out)
        return LocalChild(pid, to_child, from_child)
    code = 1
    try:
        catch_signals()
        os.close(to_child)
        os.close(from_child)
        os.dup2(child_in, 0)
        os.dup2(child_out, 1)
        os.close(child_in)
        os.close(child_out)
        code = run_server(args[1:] if args[:1] == ["--server"] else args, 0, 1,
                          shared=shared)
    except BaseException as e:  # never return into the client's code
        try:
            sys.stderr.write(f"oc-rsync: [server] {type(e).__name__}: {e}\n")
        except BaseException:
            pass
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)
