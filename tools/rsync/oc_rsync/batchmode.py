"""--write-batch and --read-batch (upstream: batch.c, main.c start_write_batch,
io.c batch_fd).

A batch is the header (stream flags from the options, protocol, compat flags, seed) and
then the sender's stream after the filter list, exactly as the receiver read it (or the
sender wrote it, with the stats a client sender does not put on the wire); FILE.sh
replays it. While writing a batch the session offers only the old choices, md5 (md4
below 30) and zlib, as upstream does, so the batch needs nothing negotiated.

Replaying runs the receiving side on the file: the receiver reads the recorded stream,
the generator makes directories, links and attributes and its requests go nowhere.
"""
import os
import stat

from oc_core.operator_paths import open_operator_path
from oc_core.record import replace
from oc_wire.batch import STREAM_FLAGS, BatchHeader, encode_header, read_header
from oc_wire.batch_script import batch_script
from oc_wire.errors import OcError
from oc_wire.negotiate import CF, Negotiated

from .conn import Conn
from .options import Options, UsageError
from .output import Output
from .server_argv import allow_inc_recurse

__all__ = ["BatchFile", "stream_flags", "read_batch", "check_write_batch"]


def stream_flags(o: Options, protocol: int) -> int:
    on = {"recurse": o.recursive, "preserve_uid": o.owner, "preserve_gid": o.group,
          "preserve_links": o.links, "preserve_devices": o.devices,
          "preserve_hard_links": o.hard_links, "always_checksum": o.checksum,
          "xfer_dirs": protocol >= 29 and (o.recursive or o.dirs),
          "do_compression": protocol >= 29 and o.compress,
          "inplace": protocol >= 30 and o.inplace,
          "append": protocol >= 30 and o.append == 1,
          "append_verify": protocol >= 30 and o.append == 2}
    return sum(1 << STREAM_FLAGS.index(k) for k, v in on.items() if v)


# how upstream names each stream flag's option (batch.c flag_name)
_FLAG_NAMES = ("--recurse (-r)", "--owner (-o)", "--group (-g)", "--links (-l)",
               "--devices (-D)", "--hard-links (-H)", "--checksum (-c)", "--dirs (-d)",
               "--compress (-z)", "--iconv", "--acls (-A)", "--xattrs (-X)", "--inplace",
               "--append", "--append-verify")


def _match_batch_flags(o: Options, h: BatchHeader, out: Output) -> Options:
    """The options as the batch's stream needs them, each one changed said so with -v
    (upstream: batch.c check_batch_flags: the flags a protocol does not carry are left
    as given). An --iconv, --acls or --xattrs stream is refused: we have none of them."""
    count = 7 if h.protocol < 29 else 9 if h.protocol < 30 else len(STREAM_FLAGS)
    ours = stream_flags(o, h.protocol)
    if o.recursive_explicit:  # upstream's -r (2) is never a batch's 1: said to change
        ours ^= 1
    for i in range(count):
        bit = 1 << i
        if (ours ^ h.stream_flags) & bit:
            if i == 9:
                raise BatchOptionsError("Please specify the --iconv option to use this "
                                        "batch file.")
            if i in (10, 11):
                raise BatchOptionsError(f"this batch file needs {_FLAG_NAMES[i]}, which "
                                        "oc-rsync does not support")
            if o.verbose:
                out.info(f"{'Sett' if h.stream_flags & bit else 'Clear'}ing the "
                         f"{_FLAG_NAMES[i]} option to match the batchfile.")
    flag = h.flag
    o = replace(o, recursive=flag("recurse"), owner=flag("preserve_uid"),
                group=flag("preserve_gid"), links=flag("preserve_links"),
                devices=flag("preserve_devices"), hard_links=flag("preserve_hard_links"),
                checksum=flag("always_checksum"))
    if count > 7:
        o = replace(o, compress=flag("do_compression"),
                    dirs=flag("xfer_dirs") and not flag("recurse"))
    if count > 9:
        o = replace(o, inplace=flag("inplace"),
                    append=2 if flag("append_verify") else 1 if flag("append") else 0)
    return o


def check_write_batch(o: Options) -> None:
    """upstream refuses choices a batch cannot record."""
    if (o.compress_choice or "zlib").lower() not in ("zlib", "none"):
        raise UsageError("--write-batch only supports the zlib compression")
    if o.checksum_choice:
        raise UsageError("--write-batch cannot be combined with --checksum-choice")


class BatchOptionsError(OcError):
    """The options cannot replay this batch (upstream: its message alone, exit 1)."""

    exit_code = 1
    prefixed = False


class BatchOpenError(OcError):
    """The batch (or its script) could not be opened (upstream: batch.c
    open_batch_files, exit 11)."""

    exit_code = 11


def _open_batch(path: str, flags: int, mode: int, insecure: bool) -> int:
    try:
        return open_operator_path(path, flags, mode, insecure)
    except OSError as e:
        raise BatchOpenError(f"Batch file {os.path.abspath(path)} open error: "
                             f"{e.strerror} ({e.errno})") from None


_WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


class BatchFile:
    """The batch being written, and its FILE.sh beside it."""

    def __init__(self, path: str, o: Options, neg: Negotiated, raw_argv: list[str]):
        self.path, self.o, self.neg, self.argv = path, o, neg, raw_argv
        self.f = os.fdopen(_open_batch(path, _WRITE, 0o600, o.insecure_links), "wb")
        self.f.write(encode_header(BatchHeader(stream_flags(o, neg.protocol), neg.protocol,
                                               neg.compat_flags, neg.checksum_seed)))

    def record(self, data: bytes) -> None:
        self.f.write(data)

    def close(self) -> None:
        self.f.close()
        rules = [f"- {v}" if k == "exclude" else f"+ {v}" if k == "include" else v
                 for k, v in self.o.filters if k in ("exclude", "include", "filter")]
        with os.fdopen(_open_batch(self.path + ".sh", _WRITE, 0o700, self.o.insecure_links),
                       "w") as f:
            f.write(batch_script(self.argv, list(self.o.operands), rules, self.neg.protocol))
        os.chmod(self.path + ".sh", 0o700)


def read_batch(path: str, o: Options, dest: str, out: Output) -> int:
    """Replay a batch into dest; returns the exit code."""
    from .roles import receive_files

    if path == "-":
        fd = os.dup(0)
    else:  # its bytes drive the protocol parser: a regular file or a FIFO only, as
        fd = _open_batch(path, os.O_RDONLY, 0, o.insecure_links)  # Debian's 3.5.0
        if not (stat.S_ISREG(mode := os.fstat(fd).st_mode) or stat.S_ISFIFO(mode)):
            os.close(fd)
            raise BatchOpenError(f'Batch file "{os.path.abspath(path)}" is neither a regular '
                                 "file nor a FIFO")
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        conn = Conn(fd, null, role="receiver")
        h = read_header(conn.reader)
        inc_allowed = allow_inc_recurse(o, False)  # (by the options given: upstream's
        o = replace(_match_batch_flags(o, h, out), compress_choice=None,  # order)
                    checksum_choice=None, read_batch=path)
        if h.protocol >= 30 and h.compat_flags & CF.INC_RECURSE and not inc_allowed:
            raise BatchOptionsError("Incompatible options specified for inc-recursive "
                                    "batch file.")
        neg = Negotiated(h.protocol, h.compat_flags, None,
                         "zlib" if o.compress else "none", h.checksum_seed)
        out.sums = (neg.transfer_spec().algo, neg.protocol, o.checksum)  # (%C)
        out.list_progress("receiving", neg.inc_recurse)  # (as a pull's)
        out.o = o  # (what is printed follows the batch's options too)
        receive_files(conn, neg, o, os.fsencode(dest), out, server_sender=True)
        out.summary(h.protocol, *(out.stats.peer_bytes or (0, conn.reader.offset)))
        out.end_line()
        return out.exit_code()
    finally:
        os.close(fd)
        try:
            os.close(null)
        except OSError:  # a failing generator closed it already (Conn.abort)
            pass
