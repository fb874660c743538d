"""oc_patch: the receiver: a delta (one-file rsync batch) + basis -> the new file."""
__all__ = ["atomic_output", "patch_stream", "FilePatcher", "replay_batch", "run"]


def run(argv, stdin=None, stdout=None, stderr=None) -> int:
    """Run `oc-patch` in-process with the given argv and streams; returns the exit code."""
    from .cli import run_cli

    return run_cli(argv, stdin, stdout, stderr)


def __getattr__(name: str):
    """The package's names load on first use: the receiver of oc-rsync needs only
    patcher, not the batch walker behind apply (start-up time of every process)."""
    if name == "FilePatcher":
        from .patcher import FilePatcher
        return FilePatcher
    if name in ("atomic_output", "patch_stream", "replay_batch"):
        from . import apply
        return getattr(apply, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
