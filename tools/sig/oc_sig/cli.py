"""oc-sig command line: the only module of oc_sig that reads argv, uses click or exits."""
import os
import shutil
import sys
import tempfile

import click
from oc_wire.cli import run_stage_cli
from oc_wire.progress import progress_for

from .signer import sign


def _seed_default() -> int:
    # upstream: with no --checksum-seed, the seed is taken from the clock
    import time

    return int(time.time()) & 0x7FFFFFFF


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(allow_dash=True))
@click.argument("out", required=False, default="-", type=click.Path(allow_dash=True))
@click.option("-B", "--block-size", type=click.IntRange(1, 1 << 17), default=None,
              help="force the block length (default: upstream's square-root rule)")
@click.option("--checksum-choice", "--cc", "checksum", default=None,
              help="strong checksum: md4 md5 sha1 xxh64 xxh3 xxh128 (default: the protocol's)")
@click.option("--checksum-seed", type=int, default=None, help="seed (default: from the clock)")
@click.option("--protocol", type=click.IntRange(28, 32), default=32)
@click.option("--progress", "progress", flag_value=True, default=None)
@click.option("-q", "--quiet", is_flag=True)
@click.pass_obj
def command(io, file, out, block_size, checksum, checksum_seed, protocol, progress, quiet):
    """Write the block signature of basis FILE (- for stdin) to OUT (default stdout)."""
    stdin, stdout, stderr = io
    seed = _seed_default() if checksum_seed is None else checksum_seed
    spool = None
    if file == "-":
        spool = tempfile.TemporaryFile()
        shutil.copyfileobj(stdin, spool, 1 << 20)
        fd = spool.fileno()
    else:
        fd = os.open(file, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        meter = progress_for(stderr, size, progress, quiet)
        sink = stdout if out == "-" else open(out, "wb")
        try:
            for piece in sign(fd, size, protocol=protocol, seed=seed, block_size=block_size,
                              checksum=checksum, progress=meter):
                sink.write(piece)
            sink.flush()
        finally:
            if sink is not stdout:
                sink.close()
        meter.finish(size)
    finally:
        if spool is not None:
            spool.close()
        else:
            os.close(fd)


def run_cli(argv, stdin=None, stdout=None, stderr=None) -> int:
    return run_stage_cli(command, "oc-sig", argv, stdin, stdout, stderr)


def main() -> None:
    sys.exit(run_cli(sys.argv[1:]))
