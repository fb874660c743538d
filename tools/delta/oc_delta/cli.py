"""oc-delta command line: the only module of oc_delta that reads argv, uses click or exits."""
import os
import sys

import click
from oc_wire.cli import run_stage_cli
from oc_wire.progress import progress_for
from oc_wire.stream import PullReader

from .deltafile import delta


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.argument("out", required=False, default="-", type=click.Path(allow_dash=True))
@click.option("--sig", "sig_path", default="-", type=click.Path(allow_dash=True),
              help="signature stream (default: stdin)")
@click.option("--name", default=None, help="file name recorded in the batch (default: FILE's)")
@click.option("--checksum-choice", "--cc", "checksum", default=None,
              help="must match the one oc-sig used")
@click.option("--progress", "progress", flag_value=True, default=None)
@click.option("-q", "--quiet", is_flag=True)
@click.pass_obj
def command(io, file, out, sig_path, name, checksum, progress, quiet):
    """Write the delta of FILE against a signature, as a one-file rsync batch, to OUT."""
    stdin, stdout, stderr = io
    sig = stdin if sig_path == "-" else open(sig_path, "rb")
    fd = os.open(file, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        meter = progress_for(stderr, size, progress, quiet)
        sink = stdout if out == "-" else open(out, "wb")
        try:
            label = os.fsencode(name if name is not None else os.path.basename(file))
            for piece in delta(PullReader(sig.read), fd, label, checksum=checksum,
                               progress=meter):
                sink.write(piece)
            sink.flush()
        finally:
            if sink is not stdout:
                sink.close()
        meter.finish(size)
    finally:
        os.close(fd)
        if sig is not stdin:
            sig.close()


def run_cli(argv, stdin=None, stdout=None, stderr=None) -> int:
    return run_stage_cli(command, "oc-delta", argv, stdin, stdout, stderr)


def main() -> None:
    sys.exit(run_cli(sys.argv[1:]))
