"""oc-wire command line: the only module of oc_wire that reads argv, uses click or exits."""
import os
import select
import shlex
import subprocess
import sys
import threading

import click

from .dump import dump_events, dump_session, render
from .errors import NEED_DATA, OcError, report
from .ints import ByteReader
from .mux import MAX_FRAME, Demuxer, Msg, encode_frame
from .server_args import parse_server_args
from .session_stream import SessionSide, read_hello


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def command():
    """Inspect rsync's wire formats."""


@command.command()
@click.argument("file", default="-", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@click.option("--kind", type=click.Choice(["auto", "batch", "sig"]), default="auto",
              help="batch (also oc-delta output) or sig (oc-sig output); auto guesses")
@click.option("--from-client", "direction", flag_value="client",
              help="FILE is what an rsync client sent to its server (capture's PREFIX.in)")
@click.option("--from-server", "direction", flag_value="server",
              help="FILE is what the server sent back (capture's PREFIX.out)")
@click.option("--server-args", help="the server's command line (default: PREFIX.cmd)")
@click.option("--peer", type=click.File("rb"),
              help="the other direction (default: the capture's other file)")
@click.option("--protocol", type=click.IntRange(20, 40),
              help="the agreed protocol, when the peer's version is not at hand")
@click.option("--no-handshake", is_flag=True, help="the capture starts after the set-up")
def dump(file, as_json, kind, direction, server_args, peer, protocol, no_handshake):
    """Decode a batch file, an oc-delta or oc-sig stream, or one direction of a live
    session captured with `oc-wire capture` (FILE or -)."""
    data = file.read()
    if direction:
        try:
            side = _session_side(file.name, direction, server_args, peer, protocol,
                                 not no_handshake)
        except (OSError, ValueError, OcError) as e:
            raise click.UsageError(str(e)) from None
        records = dump_session(data, side)
    else:
        records = dump_events(data, kind)
    failed = False
    out = click.get_text_stream("stdout")
    for rec in records:
        failed = failed or rec["event"] == "error"
        out.write(render(rec, as_json) + "\n")
    if failed:
        sys.exit(2)


def _session_side(name: str, direction: str, server_args, peer, protocol, handshake):
    """The SessionSide for a captured direction; PREFIX.cmd and the other PREFIX file are
    used when they exist beside FILE."""
    prefix, ext = os.path.splitext(name)
    if server_args is None:
        if ext not in (".in", ".out") or not os.path.exists(prefix + ".cmd"):
            raise ValueError("--server-args is needed (no capture PREFIX.cmd beside FILE)")
        with open(prefix + ".cmd", "rb") as f:
            argv = f.read().split(b"\0")
    else:
        argv = shlex.split(server_args)
    args = parse_server_args(argv)
    peer_data = peer.read() if peer else None
    other = prefix + (".out" if ext == ".in" else ".in")
    if peer_data is None and ext in (".in", ".out") and os.path.exists(other):
        with open(other, "rb") as f:
            peer_data = f.read()
    peer_hello = None
    if peer_data is not None and handshake:
        peer_hello = read_hello(ByteReader(peer_data), direction == "client", args, protocol,
                                "v" in args.client_info)
    return SessionSide(direction == "server", args, protocol, peer_hello, handshake)


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
    """Copy src to every sink until EOF, then close the fds in `close`. The fds may be
    non-blocking (an rsync client sets its end of the pipe so, and it can be shared with
    ours): wait for them with select instead of failing on EAGAIN."""
    while True:
        try:
            chunk = os.read(src, 1 << 16)
        except BlockingIOError:
            select.select([src], [], [])
            continue
        if not chunk:
            break
        for fd in sinks:
            view = memoryview(chunk)
            while view:
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    select.select([], [fd], [])
    for fd in close:
        os.close(fd)


@command.command(context_settings={"ignore_unknown_options": True})
@click.option("--to", "prefix", required=True,
              help="writes PREFIX.in, PREFIX.out and PREFIX.cmd (the argv, NUL-separated)")
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
def capture(prefix, cmd):
    """Run CMD with its stdin and stdout copied to PREFIX.in / PREFIX.out (for capturing a
    real rsync session: rsync -e 'oc-wire capture --to F -- ssh' ...)."""
    with open(prefix + ".cmd", "wb") as f:
        f.write(b"\0".join(os.fsencode(w) for w in cmd))
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


def run_stage_cli(cmd: click.Command, prog: str, argv, stdin=None, stdout=None,
                  stderr=None) -> int:
    """Run a stage tool's click command in-process (the stage CLIs share this): obj is
    (stdin, stdout, stderr); usage errors exit 1, OcError/OSError are reported as
    `prog: message` with their exit code."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    stderr = stderr or sys.stderr
    try:
        cmd.main(args=list(argv), obj=(stdin, stdout, stderr), standalone_mode=False,
                 prog_name=prog)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show(stderr)
        return 1
    except (OcError, OSError) as e:
        return report(prog, e, stderr)
    return 0


def main() -> None:
    command(prog_name="oc-wire")
