"""oc_sig: the generator's block signature of a basis file, as a stage stream."""
from .signer import BLOCK_SIZE, block_records, sign, sum_sizes

__all__ = ["BLOCK_SIZE", "block_records", "sign", "sum_sizes", "run"]


def run(argv, stdin=None, stdout=None, stderr=None) -> int:
    """Run `oc-sig` in-process with the given argv and streams; returns the exit code."""
    from .cli import run_cli

    return run_cli(argv, stdin, stdout, stderr)
