"""A session with a peer (upstream: main.c do_cmd, client_run): start the remote shell
or our own forked server, set the session up, and run our role in it.

- push: we send, the remote `rsync --server` (or the local copy's forked server) receives.
- pull: the remote `rsync --server --sender` sends, we run the generator (on a thread)
  and the receiver.
The remote shell is -e/--rsh, else RSYNC_RSH, else ssh; its words are split like a shell
would, then `HOST` (and `-l USER`), the --rsync-path program and the server's arguments.
A local copy that runs in one process (localcopy) never loads this module.
"""
import contextlib
import os
import re
import shlex
import stat
import sys
import time

from oc_core.record import replace
from oc_flist.files_from import names_in, read_wire_names, sources_for, wire_form
from oc_flist.filters import FilterRules
from oc_wire.errors import OcError
from oc_wire.mux import Msg

from .conn import Conn, PeerClosed, PeerExited, check_error_exit
from .exitcodes import code_for
from .local_child import fork_server
from .options import Options, debug_level, debug_on, files_from_host, info_level, partial_dir_of
from .output import PROG, Output
from .server_argv import SECLUDED, secluded_bytes, server_argv

# The roles' modules (file lists, sender, receiver, generator, batches) are imported
# where they are first needed, after the server is spawned: the two interpreters then
# load their modules at the same time instead of one after the other.

__all__ = ["push", "pull"]

_PLAIN_ARG = re.compile(r"[A-Za-z0-9,.\-_=+@/]*")


def _child_argv_line(cmd: list[str]) -> str:
    """-vv: the remote-shell command as upstream's print_child_argv shows it (a word
    with other characters in double quotes, the count at the end)."""
    words = "".join((w if _PLAIN_ARG.fullmatch(w) else f'"{w}"') + " " for w in cmd)
    return f"opening connection using: {words} ({len(cmd)} args)\n"


def _spawn(o: Options, user, host, args: list[str], local: bool, out: Output | None = None,
           rules: FilterRules | None = None):
    if local:
        child = fork_server(args, (replace(o, chmod=()), rules))
        if child:
            return child
        cmd = [sys.executable, "-c", "import sys; from oc_rsync import run; "
               "sys.exit(run(sys.argv[1:]))", *args]
    secluded = args[args.index(SECLUDED) + 1:] if SECLUDED in args else None
    if not local:
        if secluded is not None:
            args = args[:args.index(SECLUDED)]
        rsh = o.rsh or os.environ.get("RSYNC_RSH") or "ssh"
        cmd = shlex.split(rsh) + [host] + (["-l", user] if user else []) + \
            shlex.split(o.rsync_path) + args
        if out is not None and o.verbose >= 2:
            out.stdout_text(_child_argv_line(cmd))
    import subprocess  # (here: a local copy never needs it, and it is slow to import)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if secluded is not None and not local:  # -s: the other arguments, before set-up
            proc.stdin.write(secluded_bytes(secluded))
            proc.stdin.flush()
        return proc
    except OSError as e:  # upstream's child reports this and exits 14 (error in IPC code)
        sys.stderr.write(f"{PROG}: [Receiver] Failed to exec {cmd[0]}: {e.strerror} "
                         f"({e.errno})\n")
        closed = PeerClosed(0, "Receiver")
        closed.exit_code = 14
        raise closed from None


def _messages(out: Output):
    def handle(code: Msg, payload: bytes) -> None:
        text = payload.decode("utf-8", "surrogateescape")  # (escaped when written)
        if code in (Msg.ERROR, Msg.ERROR_XFER, Msg.WARNING, Msg.ERROR_SOCKET, Msg.ERROR_UTF8):
            if code is not Msg.WARNING:
                out.io_error |= 1
            out.peer(text)
        elif code in (Msg.INFO, Msg.LOG, Msg.CLIENT):
            if not (code is Msg.INFO and out.o.quiet):  # (upstream: log.c, -q drops FINFO)
                out.stdout_text(text)
        elif code is Msg.DELETED:  # a directory's name comes with a trailing NUL
            out.deleted(payload.rstrip(b"\0"),
                        stat.S_IFDIR if payload.endswith(b"\0") else stat.S_IFREG)
        elif code is Msg.IO_ERROR:
            out.sender_io_error_msg(payload)
        else:
            check_error_exit(code, payload)  # the server's fatal error
    return handle


def _setup(o: Options, proc, out: Output, role: str):
    conn = Conn(proc.stdout.fileno(), proc.stdin.fileno(), _messages(out), role)
    conn.set_timeout(o.timeout)
    if o.bwlimit:
        conn.set_bwlimit(o.bwlimit)
    from .setup import SetupChoices, client_setup
    choices = SetupChoices(protocol=o.protocol, client_info="LsfxCIvu", compress=o.compress,
                           compress_choice=o.compress_choice, compress_level=o.compress_level,
                           checksum_choice=o.checksum_choice,
                           write_batch=bool(o.write_batch))
    neg = client_setup(conn, choices,
                       note=out.info if debug_level(o, "nstr") >= 2 else None)
    out.sums = (neg.transfer_spec().algo, neg.protocol, o.checksum)  # (%C)
    if debug_level(o, "nstr"):
        _say_choices(o, neg, out)
    return conn, neg


def _say_choices(o: Options, neg, out: Output) -> None:
    """--debug=NSTR: the checksum and the compression in use (upstream: checksum.c
    parse_checksum_choice, compat.c parse_compress_choice)."""
    from oc_wire.compress import default_level
    from oc_wire.negotiate import CF
    strings = neg.protocol >= 30 and neg.compat_flags & CF.VARINT_FLIST_FLAGS
    name = neg.checksum or ("md5" if neg.protocol >= 30 else "md4")
    out.info(f"Client{' negotiated' if strings and not o.checksum_choice else ''} "
             f"checksum: {name}")
    if o.compress:
        name = neg.compression  # ("none": a level turned it off)
        level = o.compress_level if o.compress_level is not None else default_level(name)
        if name == "zstd" and level == 0:
            level = default_level(name)
        said = " negotiated" if strings and not o.compress_choice else ""
        out.info(f"Client{said} compress: {name} (level {level})")


def _start_batch(o: Options, neg):
    """The --write-batch file (a batchmode.BatchFile), or None."""
    if not o.write_batch:
        return None
    from .batchmode import BatchFile
    return BatchFile(o.write_batch, o, neg, list(o.raw_argv))


def _finish(proc, code: int) -> int:
    proc.stdin.close()
    rc = proc.wait()
    return max(code, rc)


@contextlib.contextmanager
def _ending_on_error(conn: Conn, protocol: int):
    """A fatal error of ours after set-up tells the server (MSG_ERROR_EXIT from
    protocol 31) and waits for it to hang up before the error is reported."""
    try:
        yield
    except PeerExited:
        raise
    except (OcError, OSError) as e:
        try:
            conn.error_exit(code_for(e), protocol)
        except (OcError, OSError):
            pass
        raise


def push(o: Options, srcs: list[str], dest, out: Output, rules: FilterRules, names,
         local: bool = False) -> int:
    """Send SRCS to DEST (user, host, path); NAMES: the --files-from list read here."""
    user, host, path = dest
    out.sending = True  # itemized lines start with '<' (a local copy's with '>')
    out.local = local
    remote_names = bool(o.files_from and files_from_host(o.files_from))
    partial_dir = os.fsencode(partial_dir_of(o) or "")
    proc = _spawn(o, user, host, server_argv(o, True, [path], shell=not local), local, out,
                  rules.with_partial_dir(partial_dir, True))  # (the receiver's)
    from oc_flist.build import ScanErrors  # (loaded while the other side starts up)

    from .roles import build_first, flist_options, send_tree
    from .sender import Sender
    from .sources import scan_reporter, selection_for
    conn, neg = _setup(o, proc, out, "sender")
    with _ending_on_error(conn, neg.protocol):
        p = neg.protocol
        rules = rules.with_partial_dir(partial_dir, p >= 30)
        if p >= 30:
            conn.start_mux_out()
        # --files-from=HOST:FILE: the server sends the names; below protocol 31 they come
        # unframed, before our input is multiplexed (upstream: main.c client_run)
        if p >= 31 or not remote_names:
            conn.start_mux_in()
        # the receiver wants the rules when they decide what --delete spares (upstream:
        # exclude.c receiver_wants_list)
        if o.prune_empty_dirs or (o.delete and (not o.delete_excluded or p >= 29)):
            conn.write(rules.to_wire(p, am_sender=True, delete_excluded=o.delete_excluded))
        batch = _start_batch(o, neg)
        if batch:
            conn.flush()
            conn.tee_out = batch.record
        errors = ScanErrors()
        sel = selection_for(o)
        began = time.monotonic()
        out.list_progress("building", neg.inc_recurse)
        sources = [os.fsencode(s) for s in srcs]
        if remote_names:
            conn.flush()
            sources = sources_for(sources[0], list(read_wire_names(conn.reader.read_byte)))
            if not conn.mux_in:
                conn.start_mux_in()
        elif names is not None:
            sources = sources_for(sources[0], names_in(names, o.from0))
        items, build = build_first(sources, sel, rules.for_sender(), errors, neg.inc_recurse, p,
                                   out.list_count)
        report = scan_reporter(errors, lambda t: out.error(t, "sender"), out.info, out.warning)
        said = report()  # (the scan's notes come before "done", as upstream's)
        out.list_progress(None, count=len(items))
        sender = Sender(conn, neg, flist_options(o, neg), False,
                        o.compress_level, lambda t: out.error(t, "sender"),
                        o.copy_links or o.copy_dirlinks or o.copy_unsafe_links, o.dry_run,
                        out.stats, inplace=o.inplace, append=o.append, warn=out.warning,
                        report=out.sent_item, progress_for=out.file_progress,
                        phase_done=out.phase_done, noatime=o.open_noatime,
                        note=out.info, match_report=debug_on(o, "deltasum"))
        if info_level(o, "REMOVE"):
            sender.removed_note = out.info
        sender.xfer_error = out.error_text
        if batch and o.only_write_batch:  # the data goes to the batch only
            sender.xfer_write = batch.record
        sender.began = began
        send_tree(sender, items, build, report, o.remove_source_files, said)
        out.stats.flist_buildtime, out.stats.flist_xfertime = sender.list_times
        if batch:  # a client sender's stats go to the batch only
            batch.record(sender.stats())
        conn.flush()
        sent, received = conn.counted_out, conn.counted_in  # (before the goodbye, as
        sender.goodbye()                                    # upstream's handle_stats)
        conn.flush()
        if batch:
            batch.close()
        out.summary(p, sent, received)
        out.end_line()
        return _finish(proc, out.exit_code(sender.io_error | sender.listed_io_error))


def _requested(o: Options, srcs: list[str], names):
    """unrequested_names() for what this pull asks for: its operands (past the first
    with a local --files-from, whose names count instead); None where upstream trusts
    the sender's names (--old-args, a --files-from on the remote side)."""
    if o.old_args or (o.files_from and files_from_host(o.files_from)):
        return None
    from .implied import unrequested_names
    args = [os.fsencode(s) or b"." for s in (srcs[1:] if names is not None else srcs)]
    if names is not None:
        args += [n for n in wire_form(names, o.from0).split(b"\0") if n]
    return unrequested_names(args, o.recursive, o.dirs or o.recursive, o.relative)


def _refusals(*checks):
    """One list check made of those given (None: none)."""
    checks = [c for c in checks if c is not None]
    if not checks:
        return None

    def check(entries) -> None:
        for c in checks:
            c(entries)
    return check


def pull(o: Options, srcs: list[str], dest: str, user, host, out: Output,
         rules: FilterRules, names) -> int:
    """Receive SRCS from HOST into DEST; NAMES: the --files-from list read here."""
    args = server_argv(o, False, srcs)
    proc = _spawn(o, user, host, args, False, out)
    from .roles import receive_files, refused_names  # (loaded while the remote side
    # starts up)
    conn, neg = _setup(o, proc, out, "Receiver")
    rules = rules.with_partial_dir(os.fsencode(partial_dir_of(o) or ""), True)
    with _ending_on_error(conn, neg.protocol):
        p = neg.protocol
        conn.start_mux_in()
        if p >= 30:
            conn.start_mux_out()
        conn.write(rules.to_wire(p, am_sender=False, delete_excluded=o.delete_excluded))
        conn.flush()
        if names is not None:
            # the sender reads the names while it sends the list: forward them alongside
            conn.start_forward(wire_form(names, o.from0), p)
        batch = _start_batch(o, neg)
        if batch:
            conn.tee_in = batch.record
        out.list_progress("receiving", neg.inc_recurse)
        receive_files(conn, neg, o, os.fsencode(dest), out, server_sender=True,
                      rules=rules.for_receiver(o.delete_excluded),
                      refuse=_refusals(refused_names(rules), _requested(o, srcs, names)))
        if batch:
            batch.close()
        out.summary(p, *(out.stats.peer_bytes or (conn.counted_out, conn.counted_in)))
        out.end_line()
        return _finish(proc, out.exit_code())
