"""The client (upstream: main.c start_client, do_cmd, client_run): parse the operands
and run the local copy here or a session with a peer (session).

- `SRC... [USER@]HOST:DEST` pushes: we send, the remote `rsync --server` receives.
- `[USER@]HOST:SRC... DEST` pulls: the remote `rsync --server --sender` sends, we run the
  generator (on a thread) and the receiver.
- Both local: as upstream's local copy, we send and our own server receives, forked on
  a pipe pair (local_child), whole files by default.
- `HOST::MODULE` and rsync:// (daemons) are not supported yet.
A local copy that needs nothing of the protocol runs in this process (localcopy) and
loads none of the session's modules.
"""
import os
import sys
import threading

from oc_core.operator_paths import open_operator_path
from oc_core.record import replace
from oc_flist.filters import FilterRules
from oc_flist.merge_files import home_cvsignore
from oc_wire.errors import OcError

from .exitcodes import PeerExited, catch_signals, closing_line, code_for
from .helptext import HELP
from .options import Options, UsageError, files_from_host, parse_args
from .output import DEBUG_HELP, INFO_HELP, PROG, Output

__all__ = ["run_client"]

def _remote(operand: str):
    """(user or None, host, path) of `[USER@]HOST:PATH`, None for a local path: the
    first ':' comes before any '/' (upstream: main.c check_for_hostspec)."""
    daemon = operand.find("::")
    if operand.startswith("rsync://") or (daemon >= 0 and "/" not in operand[:daemon]):
        raise UsageError(f"{operand}: rsync daemons are not supported yet")
    colon = operand.find(":")
    if colon <= 0 or "/" in operand[:colon]:
        return None
    user, host = None, operand[:colon]
    at = host.find("@")
    if 0 < at < len(host) - 1:
        user, host = host[:at], host[at + 1:]
    return user, host, operand[colon + 1:] or "."


def _is_remote(operand: str) -> bool:
    try:
        return _remote(operand) is not None
    except UsageError:  # a daemon form is remote too
        return True


def run_client(argv: list[str], stdout=None, stderr=None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    if threading.current_thread() is threading.main_thread():
        catch_signals()
    try:
        o = parse_args(argv)
    except UsageError as e:
        stderr.write(e.line(PROG) + "\n" + closing_line(PROG, e.exit_code))
        return e.exit_code
    if o.version:
        from .version import version_text
        stdout.write(version_text(o.version))
        return 0
    if o.read_batch:
        if len(o.operands) != 1:
            stderr.write(f"{PROG}: --read-batch takes one operand, the destination\n"
                         + closing_line(PROG, 1))
            return 1
        out = Output(o, stdout, stderr)
        try:
            from .batchmode import read_batch
            return read_batch(o.read_batch, o, o.operands[0], out)
        except (OcError, OSError) as e:
            prefix = f"{PROG}: " if getattr(e, "prefixed", True) else ""
            stderr.write(f"{prefix}{e}\n" + closing_line(PROG, code_for(e)))
            return code_for(e)
    if (len(o.operands) == 1 or o.list_only) and o.operands and \
            not any(_is_remote(x) for x in o.operands):
        # listing local sources (one operand implies --list-only, as upstream): oc-flist
        from oc_flist.cli import run as list_run
        sink = _Discard() if o.quiet else getattr(stdout, "buffer", stdout)  # (-q: no
        return list_run(_listing_argv(o), stdout=sink, stderr=stderr)          # lines)
    if o.help or (argv == ["-h"]):  # upstream: -h alone asks for help
        stdout.write(HELP)
        return 0
    if o.info_help or (o.debug and "help" in o.debug.lower().split(",")):
        stdout.write(INFO_HELP if o.info_help else DEBUG_HELP)
        return 0
    if not o.operands:  # (upstream: usage(FERROR), the help on standard error)
        stderr.write(HELP + closing_line(PROG, 1))
        return 1
    remote_listing = len(o.operands) == 1 or (o.list_only and not _is_remote(o.operands[-1]))
    if remote_listing:  # listing a remote source: a pull that only prints the list
        o = replace(o, list_only=True, list_only_implied=not o.list_only,
                    dirs=o.dirs or not o.recursive)
    elif o.list_only:  # pushing: the receiving server lists (upstream: xfer_dirs)
        o = replace(o, dirs=o.dirs or not o.recursive)
    out = Output(o, stdout, stderr)
    srcs, dest = (list(o.operands), ".") if len(o.operands) == 1 else \
        (list(o.operands[:-1]), o.operands[-1])
    try:
        if o.write_batch:
            from .batchmode import check_write_batch
            check_write_batch(o)
            o = replace(o, raw_argv=("oc-rsync", *argv))
        if o.files_from and len(srcs) != 1:
            raise UsageError("--files-from needs exactly one source (the directory the "
                             "names are relative to) and a destination")
        dest_remote = _remote(dest)
        src_remote = [_remote(s) for s in srcs]
        if dest_remote and any(src_remote):
            raise UsageError("The source and destination cannot both be remote.")
        rules = _rules(o, out.warning)  # (read before connecting, as upstream parses them
        # with the options)
        names = _files_from_data(o) if o.files_from and not files_from_host(o.files_from) \
            else None
        if dest_remote:
            from .session import push
            code = push(o, srcs, dest_remote, out, rules, names)
        elif any(src_remote):
            hosts = {(r[0], r[1]) for r in src_remote if r}
            if len(hosts) != 1 or not all(src_remote):
                raise UsageError("all sources must be on the same remote host")
            (user, host), = hosts
            from .session import pull
            code = pull(o, [r[2] for r in src_remote], dest, user, host, out, rules, names)
        else:
            if o.whole_file is None and not o.append:  # (--append sends only what is new)
                o = replace(o, whole_file=True)
            from .localcopy import copy_locally, eligible
            if eligible(o):  # in this process: nothing depends on the protocol's traffic
                code = copy_locally(o, srcs, dest, rules, out)
            else:  # as upstream's local copy: we send, our own server (forked here, in
                # this directory) receives
                from .session import push
                code = push(o, srcs, (None, None, dest), out, rules, names, local=True)
        if code:  # upstream's client ends every failed run so (cleanup.c log_exit)
            stderr.write(closing_line(PROG, code))
        return code
    except UsageError as e:
        stderr.write(e.line(PROG) + "\n" + closing_line(PROG, e.exit_code))
        return e.exit_code
    except PeerExited as e:  # its messages said it all
        return e.exit_code
    except (OcError, OSError) as e:
        code = code_for(e)
        if isinstance(e, OcError) and e.plain:  # (upstream's own words, whole)
            stderr.write(f"{e}\n")
        elif isinstance(e, OSError) and e.filename:
            stderr.write(f'{PROG}: [receiver] write failed on "{os.fsdecode(e.filename)}": '
                         f"{e.strerror} ({e.errno})\n")
        elif isinstance(e, OSError):
            stderr.write(f"{PROG}: [Receiver] {e.strerror} ({e.errno})\n")
        else:
            stderr.write(f"{PROG}: {e}\n")
        stderr.write(closing_line(PROG, code))
        return code
    except Exception as e:  # a bug of ours: say so plainly, never a bare traceback
        if os.environ.get("OC_RSYNC_DEBUG"):
            raise
        stderr.write(f"{PROG}: internal error: {type(e).__name__}: {e} (set OC_RSYNC_DEBUG=1 "
                     "for the traceback)\n" + closing_line(PROG, 1))
        return 1


class _Discard:
    def write(self, data) -> None:
        pass

    def flush(self) -> None:
        pass


def _listing_argv(o: Options) -> list[str]:
    """oc-flist's arguments for a local listing: the options that change upstream's
    listing lines, the filters in their order, the operands; the rest (-v, -z,
    --delete, -n...) changes nothing in those lines and is left out."""
    args = [flag for on, flag in (
        (o.recursive, "-r"), (o.dirs, "-d"), (o.links, "-l"), (o.copy_links, "-L"),
        (o.copy_dirlinks, "-k"), (o.copy_unsafe_links, "--copy-unsafe-links"),
        (o.relative, "-R"), (not o.implied_dirs, "--no-implied-dirs"), (o.perms, "-p"),
        (o.times, "-t"), (o.owner, "-o"), (o.group, "-g"), (o.devices or o.specials, "-D"),
        (o.hard_links, "-H"), (o.numeric_ids, "--numeric-ids"), (o.eight_bit, "-8"),
        (o.from0, "--from0")) if on]
    args += ["-x"] * o.one_file_system
    args += ["-h"] * (o.human - 1) if o.human else ["--no-h"]
    args += [f"--chmod={spec}" for spec in o.chmod]
    if o.files_from:
        args.append(f"--files-from={o.files_from}")
    for kind, value in o.filters:
        args.append({"C": "-C", "F": "-F"}.get(kind) or f"--{kind}={value}")
    return [*args, "--", *o.operands]


def _operator_file(o: Options, name) -> bytes:
    """A file the operator named (a rules file, a --files-from list): "-" is standard
    input; otherwise opened through trusted symlinks only; an OSError says why not."""
    if name in (b"-", "-"):
        return sys.stdin.buffer.read()
    with os.fdopen(open_operator_path(name, os.O_RDONLY, 0, o.insecure_links), "rb") as f:
        return f.read()


def _rules(o: Options, warn=None) -> FilterRules:
    return FilterRules.from_options(list(o.filters), lambda name: _operator_file(o, name),
                                    dict(os.environ), home_cvsignore(), warn)


def _files_from_data(o: Options) -> bytes:
    """The --files-from list on this machine ("-": standard input)."""
    try:
        return _operator_file(o, o.files_from)
    except OSError as e:
        raise UsageError(f"failed to open files-from file {o.files_from}: "
                         f"{e.strerror}") from None


