"""oc-patch command line: the only module of oc_patch that reads argv, uses click or exits."""
import functools
import os
import sys

import click
from oc_wire.cli import run_stage_cli
from oc_wire.progress import progress_for
from oc_wire.stream import PullReader

from .apply import atomic_output, patch_stream, pread_at, replay_batch, writer


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("basis", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--output", default="-", type=click.Path(allow_dash=True),
              help="write the new file here (temp file + rename after verification)")
@click.option("--delta", "delta_path", default="-", type=click.Path(allow_dash=True),
              help="delta stream (default: stdin)")
@click.option("--dest", type=click.Path(file_okay=False, exists=True),
              help="replay a whole batch (rsync --write-batch output) into DIR")
@click.option("--checksum-choice", "--cc", "checksum", default=None)
@click.option("--progress", "progress", flag_value=True, default=None)
@click.option("-q", "--quiet", is_flag=True)
@click.pass_obj
def command(io, basis, output, delta_path, dest, checksum, progress, quiet):
    """Apply a delta from stdin to BASIS and write the new file."""
    stdin, stdout, stderr = io
    src = stdin if delta_path == "-" else open(delta_path, "rb")
    try:
        reader = PullReader(src.read)
        if dest is not None:
            replay_batch(reader, dest, checksum)
            return
        if basis is None:
            raise click.UsageError("BASIS is required unless --dest is given")
        with open(basis, "rb") as bf:
            size = os.fstat(bf.fileno()).st_size
            meter = progress_for(stderr, size, progress, quiet)
            read_basis = functools.partial(pread_at, bf.fileno())
            if output == "-":
                done = patch_stream(reader, read_basis, stdout.write, size, checksum, meter)
                stdout.flush()
            else:
                with atomic_output(output, 0o666 & ~_umask()) as out:
                    done = patch_stream(reader, read_basis, writer(out.fileno()), size,
                                        checksum, meter)
            meter.finish(done)
    finally:
        if src is not stdin:
            src.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def run_cli(argv, stdin=None, stdout=None, stderr=None) -> int:
    return run_stage_cli(command, "oc-patch", argv, stdin, stdout, stderr)


def main() -> None:
    sys.exit(run_cli(sys.argv[1:]))
