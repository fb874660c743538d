"""oc_rsync: client, server and roles composed from the stage libraries."""

__all__ = ["run", "VERSION"]

VERSION = "0.1.0"


def run(argv: list[str], stdin=None, stdout=None, stderr=None) -> int:
    """Run oc-rsync in-process with rsync's command line (without the program name)."""
    import sys

    stderr = stderr or sys.stderr
    if argv and argv[0] == "--server":
        from .server import run_server

        return run_server(argv[1:], stderr=stderr)
    from .client import run_client

    return run_client(argv, stdout or sys.stdout, stderr)
