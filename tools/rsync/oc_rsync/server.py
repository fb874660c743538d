"""`oc-rsync --server ...`: the side a client starts over a remote shell (upstream: main.c
start_server, do_server_sender).

The argument vector is what upstream's client builds (options.c server_options):
`--server [--sender] -<letters>e.<capabilities> [--long-options] . PATH...`. The first
path is the directory the others are relative to.
"""
import os
import sys
import time

from oc_core.operator_paths import open_operator_path
from oc_core.record import replace
from oc_flist.build import ScanErrors, Selection
from oc_flist.files_from import names_in, read_wire_names, sources_for, wire_form
from oc_flist.filters import FilterRules
from oc_flist.merge_files import home_cvsignore
from oc_wire.errors import OcError, ProtocolError
from oc_wire.filter_list import encode_filter_list, read_filter_list
from oc_wire.mux import Msg
from oc_wire.server_args import ServerArgs, parse_server_args

from .conn import Conn, PeerClosed, PeerExited, check_error_exit
from .exitcodes import closing_line, code_for
from .options import INFO_WORDS, Options, info_level, parse_args
from .output import MessageStream, Output
from .roles import build_first, receive_files, send_tree
from .setup import SetupChoices, server_setup
from .sources import scan_reporter

__all__ = ["run_server"]

PROG = "oc-rsync"


def _selection(a: ServerArgs, opts: Options) -> Selection:
    return Selection(recurse=a.has("r"),
                     xfer_dirs=a.has("r") or a.has("d") or bool(a.files_from),
                     preserve_links=a.has("l"), copy_links=a.has("L"),
                     copy_dirlinks=a.has("k"), copy_unsafe_links=a.copy_unsafe_links,
                     one_file_system=a.letters.count("x"), relative=a.has("R"),
                     implied_dirs=not a.no_implied_dirs,
                     owner_names=(a.has("o") or a.has("g")) and not a.numeric_ids,
                     filter_trace=a.letters.count("v") >= 2,  # (-vv: --debug=FILTER)
                     report_mounts=info_level(opts, "MOUNT") > 0,
                     report_symsafe=info_level(opts, "SYMSAFE") > 0)


def _read_secluded(fd: int) -> list[str]:
    """-s: the arguments the client sends before set-up, NUL-terminated, ended by an
    empty one; the first is a new argv[0]. File names after "." are glob-expanded here,
    as no shell did it (upstream: io.c read_args)."""
    words, word = [], bytearray()
    while True:
        ch = os.read(fd, 1)
        if not ch:
            raise PeerClosed(0, "server")
        if ch != b"\0":
            if len(word) >= 4096:
                raise ProtocolError("an argument shorter than 4096 bytes", None)
            word += ch
            continue
        if not word:
            break
        words.append(bytes(word))
        word.clear()
        if len(words) > 100_000:
            raise ProtocolError("at most 100000 arguments", None)
    out, dot = [], False
    for w in words[1:]:
        if dot and any(c in w for c in b"*?["):
            import glob  # (slow to load, with re behind it: only for a wildcard)
            out += sorted(glob.glob(w)) or [w]
        else:
            out.append(w)
        dot = dot or w == b"."
    return [os.fsdecode(w) for w in out]


def run_server(argv: list[str], fd_in: int = 0, fd_out: int = 1, stderr=None,
               shared=None) -> int:
    """shared: for the receiver forked by a local copy, (the client's Options, its
    parsed rules): upstream's forked receiver has them in memory, and some no argument
    carries (--debug, --no-super, --insecure-links; rules read from files are named by
    that in -vv's lines, not by their text)."""
    stderr = stderr or sys.stderr
    args = parse_server_args(["--server", *argv])
    if args.has("s"):  # -s: the command line stops at the letters
        argv = [*argv, *_read_secluded(fd_in)]
        args = parse_server_args(["--server", *argv])
    conn = Conn(fd_in, fd_out, on_message=check_error_exit,  # (the client's fatal error)
                role="sender" if args.server_sends else "receiver")
    conn.set_timeout(args.timeout)
    if args.bwlimit:
        conn.set_bwlimit(args.bwlimit * 1024)
    choices = SetupChoices(client_info=args.client_info, compress=args.compress,
                           compress_choice=args.compress_choice,
                           compress_level=args.compress_level,
                           checksum_choice=args.checksum_choice,
                           checksum_seed=args.checksum_seed,
                           allow_inc_recurse=args.wants_inc_recurse() and (
                               not args.server_sends or _sends_incrementally(args)))
    neg = None
    try:
        neg = server_setup(conn, choices)
        conn.start_mux_out()
        if neg.protocol >= 30:
            conn.start_mux_in()
        if not args.server_sends:
            return _receive(conn, neg, args, argv, stderr, shared)
        conn.one_frame = args.files_from == "-" and neg.protocol == 30
        opts = _parsed(argv)  # (--info words the client sent, its own rules)
        own = _own_rules(opts)  # (read before the working directory changes)
        rules = _with_cvs(args, neg.protocol, _joined(own, FilterRules.from_wire(
            encode_filter_list(read_filter_list(conn.reader)), neg.protocol)))
        paths = list(args.paths) or [b"."]
        if paths[0] != b"." and not args.has("R"):
            os.chdir(paths[0])
        sources = paths[1:] or [b"."]
        if args.files_from:
            sources = sources_for(sources[0], _files_from(conn, args, neg.protocol))
        errors = ScanErrors()

        def log(text: str) -> None:
            _tell(conn, Msg.ERROR)(f"{PROG}: [sender] {text}")

        from .sender import Sender  # (a receiving server never loads it)
        sel = _selection(args, opts)
        began = time.monotonic()
        items, build = build_first(sources, sel, rules.for_sender(), errors,
                                   neg.inc_recurse, neg.protocol)
        flist = args.flist_options(neg.protocol, neg.compat_flags,
                                   neg.list_spec().digest_len)
        sender = Sender(conn, neg, flist, True,
                        args.compress_level, log,
                        sel.copy_links or sel.copy_dirlinks or sel.copy_unsafe_links,
                        dry_run=args.has("n"), inplace=args.inplace, append=args.append,
                        noatime=args.letters.count("U") > 1,
                        warn=_tell(conn, Msg.WARNING), note=_tell(conn, Msg.INFO),
                        match_report=args.letters.count("v") >= 2)
        sender.began = began
        if info_level(opts, "REMOVE"):
            sender.removed_note = _tell(conn, Msg.INFO)
        sender.xfer_error = _tell(conn, Msg.ERROR_XFER)
        if send_tree(sender, items, build, scan_reporter(
                errors, log, _tell(conn, Msg.INFO), _tell(conn, Msg.ERROR_XFER),
                _tell(conn, Msg.WARNING)),
                args.remove_source_files):
            sender.goodbye()
        conn.flush()
        return 23 if (errors.io_error or sender.io_error & 1) else \
            24 if sender.io_error | sender.listed_io_error else 0
    except (OcError, OSError) as e:
        return _fatal(conn, e, args.server_sends, neg, stderr)


def _tell(conn: Conn, code: Msg):
    """text -> one message of this kind to the client, a line (a name's bytes as they
    are, even when they are not UTF-8)."""
    return lambda text: conn.send_msg(code, (text + "\n").encode("utf-8", "surrogateescape"))


def _parsed(argv: list[str]) -> Options:
    """The server's command line as Options."""
    return parse_args([w for w in argv if w not in ("--server", "--sender")])


def _own_rules(opts: Options) -> FilterRules | None:
    """The filter options on the server's own command line (a forced command's, or a
    client's -M; opts: that command line parsed): upstream parses them with its other
    options, so they come before the rules the client sends (and, first match winning,
    decide over them). Rules files open as the client's do (open_operator_path); -C's
    rules are _with_cvs's."""
    given = [(kind, value) for kind, value in opts.filters if kind != "C"]
    if not given:
        return None

    def read_file(name: bytes) -> bytes | None:
        try:
            with os.fdopen(open_operator_path(name, os.O_RDONLY, 0, opts.insecure_links),
                           "rb") as f:
                return f.read()
        except OSError:
            return None
    return FilterRules.from_options(given, read_file, dict(os.environ), home_cvsignore())


def _joined(first: FilterRules | None, then: FilterRules | None) -> FilterRules | None:
    if first is None or then is None:
        return first or then
    return FilterRules(first.rules + then.rules)


def _with_cvs(args: ServerArgs, protocol: int, rules: FilterRules | None) -> FilterRules | None:
    """-C given to a server: a sender adds -C's rules after the client's (each
    directory's .cvsignore, the default list, our ~/.cvsignore and $CVSIGNORE); a
    receiver below protocol 29 adds the per-directory ones, which a newer client sends
    (upstream: exclude.c recv_filter_list)."""
    if not args.has("C"):
        return rules
    sending = args.server_sends
    return (rules or FilterRules(())).with_cvs_excludes(
        sending or protocol < 29, sending, dict(os.environ), home_cvsignore())


def _fatal(conn: Conn, e: BaseException, sending: bool, neg, stderr) -> int:
    """A fatal error (upstream: log.c rprintf FERROR, cleanup.c _exit_cleanup): the
    message and the closing line go to the client when output is multiplexed, else to
    stderr; then Conn.error_exit. A client's own fatal error ends us quietly."""
    if isinstance(e, PeerExited):
        return e.exit_code
    code = code_for(e)
    role = "Sender" if sending else "Receiver"
    what = f"{e.strerror} ({e.errno})" if isinstance(e, OSError) and e.strerror else str(e)
    text = (f"{PROG}: {e}\n" if isinstance(e, PeerClosed) else
            f"{e}\n" if isinstance(e, OcError) and e.plain else  # (upstream's words, whole)
            f"{PROG}: [{role.lower()}] {what}\n") + \
        closing_line(PROG, code).rstrip("\n") + f" [{role}]\n"
    if not conn.mux_out or isinstance(e, PeerClosed):  # (a client gone hears nothing)
        stderr.write(text)
        return code
    try:
        for line in text.splitlines(keepends=True):  # one message a line, as upstream
            conn.send_msg(Msg.ERROR, line.encode("utf-8", "surrogateescape"))
        # a receiving server's MSG_ERROR_EXIT reaches the client, which exits with
        # its code; a sending one's never does (upstream buffers it, does not flush
        # for a sender and exits: cleanup.c), so the client sees the end: 12
        if neg is not None and not sending:
            conn.error_exit(code, neg.protocol)
        conn.flush()
    except (OcError, OSError):  # (the client gone already)
        pass
    return code


def _sends_incrementally(args: ServerArgs) -> bool:
    """Our sender lists incrementally for one source without -R or --files-from (the
    others get one list, which upstream accepts from a server that does not set 'i')."""
    return len(args.paths) <= 2 and not args.has("R") and not args.files_from


def _forward_names(conn: Conn, args: ServerArgs, protocol: int) -> None:
    """Send the client's sender the --files-from names of a file on this side while
    its file list comes in (upstream: io.c start_filesfrom_forwarding)."""
    try:
        with open(args.files_from, "rb") as f:
            data = wire_form(f.read(), args.from0)
    except OSError as e:
        raise OcError(f"failed to open files-from file {args.files_from}: "
                      f"{e.strerror}") from None
    conn.start_forward(data, protocol)


def _files_from(conn: Conn, args: ServerArgs, protocol: int) -> list[bytes]:
    """The --files-from names: from the client over the connection ("-"; unframed
    below protocol 31), or from a file on this side."""
    if args.files_from != "-":
        with open(args.files_from, "rb") as f:
            return list(names_in(f.read(), args.from0))
    if protocol == 30:
        conn.pause_mux_in()
    names = list(read_wire_names(conn.reader.read_byte))
    if protocol == 30:
        conn.one_frame = False
        conn.resume_mux_in()
    return names


def _receive(conn: Conn, neg, args: ServerArgs, argv: list[str], stderr, shared) -> int:
    """The server receiver (upstream: main.c do_server_recv): `. DEST`."""
    opts = _parsed(argv)
    client, own_rules = shared or (None, None)
    if client is not None:  # (--chmod was dropped: the sender applied it, as upstream's
        opts = replace(opts, debug=client.debug, am_root=client.am_root,  # local_child;
                       insecure_links=client.insecure_links,  # this is never sent; nor
                       quiet=client.quiet,                    # is -q, nor what --progress
                       info_levels=tuple((w, info_level(client, w))  # implies)
                                         for w, bits in INFO_WORDS if bits & 8))
    paths = list(args.paths)
    if paths and paths[0] != b".":
        os.chdir(paths[0])
    dest = paths[1] if len(paths) > 1 else b"."
    rules = None if own_rules else _own_rules(opts)
    if args.client_sends_filters(neg.protocol):
        rules = _joined(rules, FilterRules.from_wire(
            encode_filter_list(read_filter_list(conn.reader)), neg.protocol))
    rules = own_rules or _with_cvs(args, neg.protocol, rules)
    if rules is not None:
        rules = rules.for_receiver(opts.delete_excluded)
    if args.files_from and args.files_from != "-":  # --files-from=HOST:FILE of a pushing
        _forward_names(conn, args, neg.protocol)    # client: the names are read here
    out = Output(opts, MessageStream(conn, Msg.INFO), MessageStream(conn, Msg.ERROR),
                 warnings=MessageStream(conn, Msg.WARNING))
    out.server = True
    conn.on_message = lambda code, payload: out.sender_io_error_msg(payload) \
        if code is Msg.IO_ERROR else check_error_exit(code, payload)
    if neg.protocol >= 29:
        out.on_deleted = lambda name, is_dir: conn.send_msg(Msg.DELETED,
                                                            name + (b"\0" if is_dir else b""))
    receive_files(conn, neg, opts, dest, out, server_sender=False, rules=rules)
    return out.exit_code()
