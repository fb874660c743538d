"""oc_patch: the receiver: a delta (one-file rsync batch) + basis -> the new file."""
from .apply import atomic_output, patch_stream, replay_batch
from .patcher import FilePatcher

__all__ = ["atomic_output", "patch_stream", "FilePatcher", "replay_batch", "run"]


def run(argv, stdin=None, stdout=None, stderr=None) -> int:
    """Run `oc-patch` in-process with the given argv and streams; returns the exit code."""
    from .cli import run_cli

    return run_cli(argv, stdin, stdout, stderr)
