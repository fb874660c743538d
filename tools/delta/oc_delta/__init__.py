"""oc_delta: the sender's delta of a file against a signature, as a one-file rsync batch."""
from .deltafile import delta, file_tokens, read_signature

__all__ = ["delta", "file_tokens", "read_signature", "run"]


def run(argv, stdin=None, stdout=None, stderr=None) -> int:
    """Run `oc-delta` in-process with the given argv and streams; returns the exit code."""
    from .cli import run_cli

    return run_cli(argv, stdin, stdout, stderr)
