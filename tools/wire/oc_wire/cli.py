"""oc-wire command line: the only module of oc_wire that reads argv, uses click or exits."""
import os
import subprocess
import sys
import threading

import click

from .dump import dump_events, render
from .errors import NEED_DATA, OcError
from .mux import MAX_FRAME, Demuxer, Msg, encode_frame


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def command():
    """Inspect rsync's wire formats."""


@command.command()
@click.argument("file", default="-", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@click.option("--kind", type=click.Choice(["auto", "batch", "sig"]), default="auto",
              help="batch (also oc-delta output) or sig (oc-sig output); auto guesses")
def dump(file, as_json, kind):
    """Decode a batch file, an oc-delta stream or an oc-sig stream (FILE or -)."""
    failed = False
    out = click.get_text_stream("stdout")
    for rec in dump_events(file.read(), kind):
        failed = failed or rec["event"] == "error"
        out.write(render(rec, as_json) + "\n")
    if failed:
        sys.exit(2)


@command.command()
def mux():
    """Wrap stdin into MSG_DATA frames on stdout."""
    src, dst = sys.stdin.buffer, sys.stdout.buffer
    while chunk := src.read1(MAX_FRAME):
        dst.write(encode_frame(Msg.DATA, chunk))
    dst.flush()


@command.command()
def demux():
    """Unwrap a multiplexed stream: MSG_DATA payloads to stdout, every other message to
    stderr as `MSG_NAME: text`. Exits 2 on a malformed frame or a truncated stream."""
    src, dst = sys.stdin.buffer, sys.stdout.buffer
    d = Demuxer()
    try:
        while chunk := src.read(1 << 16):
            d.receive_data(chunk)
            while (frame := d.next_event()) is not NEED_DATA:
                if frame.code is Msg.DATA:
                    dst.write(frame.payload)
                else:
                    text = frame.payload.decode("utf-8", "backslashreplace").rstrip("\n")
                    sys.stderr.write(f"MSG_{frame.code.name}: {text}\n")
        if d.next_event() is NEED_DATA and d.pending():
            raise OcError("the multiplexed stream is truncated")
    except OcError as e:
        dst.flush()
        sys.stderr.write(f"oc-wire: {e}\n")
        sys.exit(2)
    dst.flush()


def _tee(src: int, sinks: list[int], close: list[int]) -> None:
    """Copy src to every sink until EOF, then close the fds in `close`."""
    while chunk := os.read(src, 1 << 16):
        for fd in sinks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
    for fd in close:
        os.close(fd)


@command.command(context_settings={"ignore_unknown_options": True})
@click.option("--to", "prefix", required=True, help="writes PREFIX.in and PREFIX.out")
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
def capture(prefix, cmd):
    """Run CMD with its stdin and stdout copied to PREFIX.in / PREFIX.out (for capturing a
    real rsync session: rsync -e 'oc-wire capture --to F -- ssh' ...)."""
    proc = subprocess.Popen(list(cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    rec_in = os.open(prefix + ".in", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    rec_out = os.open(prefix + ".out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    child_in = proc.stdin.fileno()
    to_child = threading.Thread(target=_tee, args=(0, [child_in, rec_in], [child_in, rec_in]),
                                daemon=True)
    to_child.start()
    _tee(proc.stdout.fileno(), [1, rec_out], [rec_out])
    code = proc.wait()
    sys.exit(code)


def main() -> None:
    command(prog_name="oc-wire")
