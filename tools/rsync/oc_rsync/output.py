"""What oc-rsync prints (upstream: log.c log_item, main.c output_summary): with -v each
updated item's name (directories with '/', symlinks with ' -> target'); with -i the
itemize string first; messages to stderr prefixed `oc-rsync: `; the -v summary lines."""
import os
import stat
import sys
import threading
import time

from oc_core.operator_paths import open_operator_path
from oc_flist.listing import escape_name, list_line
from oc_wire.flist_entry import FileEntry
from oc_wire.items import ITEM_DELETED, ITEM_IS_NEW, ITEM_LOCAL_CHANGE, SIGNIFICANT_ITEM_FLAGS

from .exitcodes import to_devnull
from .logformat import format_item, has_escape
from .options import info_level, stdout_format
from .stats import TransferStats, summary_text

__all__ = ["Output", "FileProgress", "MessageStream", "INFO_HELP", "DEBUG_HELP"]

PROG = "oc-rsync"

INFO_HELP = """Each word may carry a level: WORD or WORD1 is level 1, WORD2 level 2, WORD0 off.

PROGRESS   1: a line per file as it arrives; 2: one line for the whole transfer
STATS      the statistics block at the end (as --stats)
NAME       the names of updated files and directories (as -v)
SKIP       1: files left alone by --existing, --ignore-existing, -u, --max-size,
           --min-size (as -vv); 2: with the reason for an existing one
NONE       everything off; ALL everything on (ALL2: progress for the whole transfer)
HELP       this text

Accepted and without effect so far: BACKUP COPY DEL FLIST MISC MOUNT NONREG REMOVE
SYMSAFE.
"""

DEBUG_HELP = """Each word may carry a level: WORD or WORD1 is level 1, WORD0 off.

FILTER     the filter rule that hides, shows, protects or risks each name (as -vv)
DEL        a --delete-before/--delete-after pass names each top directory (as -vv)
NONE       everything off; ALL everything on
HELP       this text

The other words of rsync's --debug are accepted and print nothing yet.
"""


class Output:
    def __init__(self, opts, stdout=None, stderr=None, sending: bool = False,
                 warnings=None):
        self.o = opts
        self.out = stdout or sys.stdout
        self.err = stderr or sys.stderr
        self.warn = warnings or self.err  # (a server's go to the client as warnings)
        self.sending = sending
        self.lock = threading.Lock()
        self.io_error = 0
        self.sender_io_error = 0  # the bits a sender reported (its lists' ends, MSG_IO_ERROR)
        self.stats = TransferStats()
        self.on_deleted = None  # a server: report each deletion to the client
        self.server = False     # a server's item lines are the client's to print
        self._listing = False   # "... file list ... " written, "done" to follow
        self._counted = False   # a running count of it written (list_count)
        self._needs_newline = False
        self._overall = None    # --info=progress2
        self.log_file = None    # --log-file
        self.sums = None  # %C: (checksum algorithm, protocol, -c) once negotiated
        self.local = False  # a local copy: we send, but a transfer's arrow is '>'
        # (upstream: log.c, '<' only when not local_server)
        self._names_for = self._names = None  # (see names)
        if opts is not None and getattr(opts, "log_file", None):
            try:
                fd = open_operator_path(opts.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                                        0o666, getattr(opts, "insecure_links", False))
                self.log_file = os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")
            except OSError as exc:  # upstream: a warning, and the run goes on
                self.warning(f"failed to open log-file {opts.log_file}: {exc.strerror} "
                             f"({exc.errno})")

    @property
    def names(self) -> str | None:
        """The format of the lines naming files (None: there are none), for the options
        now in o (a --read-batch replay puts the batch's in)."""
        if self._names_for is not self.o:
            self._names_for = self.o
            self._names = stdout_format(self.o) if self.o is not None else None
        return self._names

    def _write(self, stream, text: str, pending_line: bool = False) -> None:
        """pending_line: text is a progress line still to be rewritten; whatever comes
        next starts on a new line (upstream: output_needs_newline)."""
        with self.lock:
            try:
                if self._needs_newline and not text.startswith("\r"):
                    stream.write("\n")
                self._needs_newline = pending_line
                stream.write(text)
                stream.flush()
            except BrokenPipeError:
                if stream is not self.out:
                    raise
                _discard_from_now_on(stream)

    def end_line(self) -> None:
        """End a progress line left open at the end of the run."""
        if self._needs_newline:
            self._write(self.out, "")

    def phase_done(self, total: int) -> None:
        """--info=progress2: the line again at each NDX_DONE, now with to-chk=0
        (upstream: receiver.c/sender.c end_progress on NDX_DONE)."""
        if self._overall is not None:
            self._overall.again(self.stats.xferred_files, total)

    def file_progress(self, e: FileEntry, iflags: int):
        """The progress display for one transfer, or None: with --progress the file's
        name and then its own line; with --info=progress2 the whole transfer's line."""
        if self.o.quiet or not (self.o.progress or self.o.progress2):
            return None
        if iflags & ITEM_IS_NEW and not self.sending:  # the receiver will not call item()
            self.stats.created_one(e.mode)
        if self.o.progress2:
            if self.names:
                self.item(e, iflags, count=False)
            if self._overall is None:
                self._overall = OverallProgress(self)
            return self._overall.file(e.size)
        self.item(e, iflags, count=False)  # the name comes first, then its progress
        return FileProgress(self, e.size)

    def item(self, e: FileEntry, iflags: int, count: bool = True, nbytes: int = 0,
             hlink: bytes | None = None, full: bytes | None = None,
             digest: bytes | None = None) -> None:
        """One item's line: --out-format's (with -i "%i %n%L", with -v "%n%L"), and
        the --log-file line; nbytes: what its transfer moved (%b); hlink: the name a
        hard link points at (" => NAME"); digest: the transfer's whole-file sum (%C)."""
        if iflags & ITEM_IS_NEW and count:
            self.stats.created_one(e.mode)
        op = "send" if self.sending else "recv"
        self.log_file_item(e, iflags, op, nbytes, hlink, full, digest)
        if self.server or self.o.quiet or not self.names:
            return
        self._write(self.out, format_item(self.names, e, iflags, op, sending=self._arrow_out,
                                          nbytes=nbytes, hlink=hlink, links=self.o.links,
                                          full=full, eight_bit=self.o.eight_bit,
                                          times=self.o.times, sums=self.sums,
                                          digest=digest) + "\n")

    @property
    def _arrow_out(self) -> bool:
        """A transfer's arrow is '<' when we send to a remote receiver (upstream: log.c,
        not for local_server)."""
        return self.sending and not self.local

    def log_file_item(self, e: FileEntry, iflags: int, op: str, nbytes: int = 0,
                      hlink: bytes | None = None, full: bytes | None = None,
                      digest: bytes | None = None) -> None:
        """The --log-file line of an item."""
        if self.log_file is None or self.o.dry_run:
            return
        self.log(format_item(self.o.log_file_format or "%i %n%L", e, iflags, op,
                             sending=self._arrow_out, nbytes=nbytes, hlink=hlink,
                             links=self.o.links, full=full, times=self.o.times,
                             sums=self.sums, digest=digest))

    def log(self, text: str) -> None:
        """A --log-file line: date, time and our pid first (upstream: log.c logit)."""
        if self.log_file is not None:
            with self.lock:
                self.log_file.write(f"{time.strftime('%Y/%m/%d %H:%M:%S')} "
                                    f"[{os.getpid()}] {text}\n")
                self.log_file.flush()

    def sent_item(self, e: FileEntry, iflags: int, xname, transferred: bool,
                  full: bytes | None = None, digest: bytes | None = None) -> None:
        """A client sender's report of an item (upstream: sender.c maybe_log_item, and
        log_item after each transfer): a transfer always, else only what changed."""
        if not transferred:
            significant = iflags & SIGNIFICANT_ITEM_FLAGS
            see = self.o.itemize and (significant or xname or self.o.itemize > 1
                                      or self.o.verbose >= 2)
            local = iflags & ITEM_LOCAL_CHANGE and significant
            if not (see or local or xname or (e.is_dir() and significant)):
                return
        self.item(e, iflags, count=False, hlink=xname, full=full, digest=digest)

    def listing(self, e: FileEntry) -> None:
        """One --list-only line of a remote listing (upstream: generator.c
        list_file_entry)."""
        if not self.o.quiet:
            line = list_line(e, self.o.human, self.o.links, self.o.eight_bit)
            self._write(self.out, line.decode("utf-8", "surrogateescape") + "\n")

    def deleted(self, name: bytes, mode: int) -> None:
        """One deletion: "deleting NAME" with -v, "*deleting   NAME" with -i (upstream:
        log.c log_delete); a server tells its client instead (MSG_DELETED)."""
        e = FileEntry(name=name, mode=mode)
        self.log_file_item(e, ITEM_DELETED, "del.")
        if self.on_deleted is not None:
            self.on_deleted(name, stat.S_ISDIR(mode))
            return
        if (self.names or info_level(self.o, "DEL")) and not self.o.quiet:
            fmt = self.o.out_format if has_escape(self.o.out_format, "io") else \
                "%i %n%L" if self.o.itemize else "deleting %n"
            self._write(self.out, format_item(fmt, e, ITEM_DELETED, "del.", sums=self.sums,
                                              eight_bit=self.o.eight_bit) + "\n")

    def list_progress(self, what: str | None, inc: bool = False, count: int = 0) -> None:
        """-v: "building file list ... done" around the sender's scan, "receiving file
        list ... done" around the receiver's read (upstream: flist.c
        start_filelist_progress and finish_filelist_progress); what=None writes the
        "done", or with --info=flist2 (--progress) "COUNT files to consider". With
        incremental recursion (inc) one line says so instead."""
        if what is not None:
            self.log(f"{what} file list")
        if not info_level(self.o, "FLIST") or self.o.quiet or (what is None
                                                               and not self._listing):
            return
        if inc:
            what = "sending" if what == "building" else what
            self._write(self.out, f"{what} incremental file list\n")
            return
        self._listing = what is not None
        self._counted = False
        if what is not None:  # a message meanwhile starts on a new line, and "done" on
            self._write(self.out, f"{what} file list ... ", True)  # its own after it
            return
        with self.lock:
            self._needs_newline = False
        if info_level(self.o, "FLIST") >= 2:
            self._write(self.out, f"{count} file{' ' if count == 1 else 's '}to consider\n")
        else:
            self._write(self.out, "done\n")

    def list_count(self, count: int) -> None:
        """--info=flist2 (--progress): upstream's running " N files...\r" while a list is
        built (before each 100th entry, from the first) or received (after it); the
        first starts on a new line, the next overwrite it (flist.c
        emit_filelist_progress)."""
        if not self._listing or self.o.quiet or info_level(self.o, "FLIST") < 2:
            return
        if self._counted:
            with self.lock:
                self._needs_newline = False
        self._counted = True
        self._write(self.out, f" {count} files...\r", True)

    def _shown(self, text: str) -> str:
        """A message as upstream writes one (log.c rwrite, filtered_fwrite): control
        characters but tab, and without -8 every byte past ASCII, as \\#ooo; a CR
        first and the line's end stay. A server's go to its client as they are (the
        client's side does this)."""
        if self.server or (text.isprintable() and text.isascii() and "\\#" not in text):
            return text
        head = "\r" if text.startswith("\r") else ""
        body = text[len(head):]
        tail = body[-1] if body.endswith(("\n", "\r")) else ""
        body = body[:len(body) - len(tail)]
        eight = bool(self.o.eight_bit) if self.o is not None else False
        raw = escape_name(body.encode("utf-8", "surrogateescape"), eight)
        return head + raw.decode("utf-8" if eight else "ascii", "surrogateescape") + tail

    def stdout_text(self, text: str) -> None:
        """A peer's info message."""
        self._write(self.out, self._shown(text))

    def info(self, text: str) -> None:
        if not self.o.quiet:
            self._write(self.out, self._shown(text) + "\n")

    def error(self, text: str, role: str = "receiver") -> None:
        self.io_error |= 1
        self._write(self.err, f"{PROG}: [{role}] {self._shown(text)}\n")

    def sender_io_error_msg(self, payload: bytes) -> None:
        """The sender's MSG_IO_ERROR: sender_reported(its bits)."""
        if len(payload) >= 4:
            self.sender_reported(int.from_bytes(payload[:4], "little"))

    def sender_reported(self, bits: int) -> None:
        """io_error bits the sender reported (MSG_IO_ERROR, a list's end): they count
        for the exit code (IOERR_VANISHED alone: 24), and with IOERR_GENERAL nothing
        more is deleted (generator: Deleter's blocked)."""
        self.io_error |= bits
        self.sender_io_error |= bits

    def error_text(self, text: str) -> None:
        """An error upstream writes as it is (rprintf FERROR_XFER, no "rsync: [role]"
        prefix: "ERROR: F failed verification ..."); it counts for exit code 23."""
        self.io_error |= 1
        self._write(self.err, self._shown(text) + "\n")

    def warning(self, text: str) -> None:
        """upstream FWARNING: the text alone on stderr."""
        self._write(self.warn, self._shown(text) + "\n")

    def peer(self, text: str) -> None:
        """A message the peer sent (already prefixed by it)."""
        self._write(self.err, self._shown(text if text.endswith("\n") else text + "\n"))

    def exit_code(self, more: int = 0) -> int:
        """upstream cleanup.c: IOERR_GENERAL (1) gives 23, else IOERR_VANISHED (2) 24,
        else IOERR_DEL_LIMIT (4) 25."""
        bits = self.io_error | more
        return 23 if bits & 1 else 24 if bits & 2 else 25 if bits & 4 else 0

    def summary(self, protocol: int, sent: int, received: int) -> None:
        """The closing lines with -v, the whole --stats block with --stats; the
        --log-file's last line."""
        self.log(f"sent {sent} bytes  received {received} bytes  "
                 f"total size {self.stats.total_size}")
        level = info_level(self.o, "STATS")
        if level and not self.o.quiet:
            self._write(self.out, summary_text(self.stats, protocol, sent, received,
                                               level >= 2, self.o.dry_run,
                                               self.o.only_write_batch, self.o.human))


class FileProgress:
    """--progress for one file (upstream: progress.c rprint_progress): a line rewritten
    about once a second with bytes, percent, rate and time left, and a last line with the
    total rate, the time taken and (xfr#N, to-chk=LEFT/TOTAL)."""

    def __init__(self, out: Output, size: int):
        self.out, self.size = out, size
        self.start = self.last = time.monotonic()
        self.last_done = 0
        self._line(0, self._rate(0, 1.0), 0.0, "  ")

    @staticmethod
    def _rate(nbytes: int, secs: float) -> str:
        rate = nbytes / max(secs, 0.001) / 1024.0
        for unit in ("kB/s", "MB/s", "GB/s"):
            if rate <= 1024 or unit == "GB/s":
                return f"{rate:7.2f}{unit}"
            rate /= 1024.0
        return ""

    @staticmethod
    def _hms(secs: float) -> str:
        if secs < 0 or secs > 9999 * 3600:
            return "  ??:??:??"
        s = int(secs)
        return f"{s // 3600:4d}:{s // 60 % 60:02d}:{s % 60:02d}"

    def _line(self, done: int, rate: str, remain: float, eol: str) -> None:
        pct = 100 if done == self.size else int(100.0 * done / max(self.size, 1))
        self.out._write(self.out.out, f"\r{done:>15,} {pct:3d}% {rate} {self._hms(remain)}"
                                      f"{eol}", pending_line=not eol.endswith("\n"))

    def update(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < 1.0:
            return
        rate = (done - self.last_done) / (now - self.last) / 1024.0
        remain = (self.size - done) / rate / 1024.0 if rate else 0.0
        self._line(done, self._rate(done - self.last_done, now - self.last), remain, "  ")
        self.last, self.last_done = now, done

    def finish(self, xfr: int, left: int, total: int, chk: str = "to") -> None:
        """chk: "ir" while incremental recursion still has lists to come."""
        secs = time.monotonic() - self.start
        self._line(self.size, self._rate(self.size, secs), secs,
                   f" (xfr#{xfr}, {chk}-chk={left}/{total})\n")


class OverallProgress:
    """--info=progress2 (upstream: progress.c with PROGRESS >= 2): one line for the
    whole run: bytes of the files transferred so far plus the current one's progress,
    against the total size of the file list; after each file the (xfr#, to-chk) tail,
    padded so a shorter line erases a longer one, and no newline until the end."""

    def __init__(self, out: Output):
        self.out = out
        self.done_before = 0  # sizes of the files finished
        self.start = time.monotonic()
        self.tail_len = 0

    def file(self, size: int) -> "_OverallFile":
        return _OverallFile(self, size)

    def again(self, xfr: int, total: int) -> None:
        shown = _OverallFile(self, 0)
        shown.finish(xfr, 0, total)


class _OverallFile(FileProgress):
    def __init__(self, overall: OverallProgress, size: int):
        self.overall, self.file_size = overall, size
        self.out, self.size = overall.out, max(overall.out.stats.total_size, 1)
        self.start, self.last = overall.start, time.monotonic()
        self.last_done = overall.done_before
        if not overall.done_before:  # the line starts once; later files update it
            self._line(0, self._rate(0, 1.0), 0.0, "  ")

    def update(self, done: int) -> None:
        super().update(self.overall.done_before + done)

    def finish(self, xfr: int, left: int, total: int, chk: str = "to") -> None:
        o = self.overall
        o.done_before += self.file_size
        tail = f" (xfr#{xfr}, {chk}-chk={left}/{total})"
        o.tail_len = max(o.tail_len, len(tail))
        secs = time.monotonic() - self.start
        self._line(o.done_before, self._rate(o.done_before, secs), secs,
                   tail.ljust(o.tail_len))


class MessageStream:
    """A text stream whose lines go to the client as one kind of message: what a server
    prints (upstream: log.c rwrite sends FINFO/FERROR/FWARNING over the multiplexed
    stream when am_server)."""

    def __init__(self, conn, code):
        self.conn, self.code = conn, code

    def write(self, text: str) -> None:
        self.conn.send_msg(self.code, text.encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        pass


def _discard_from_now_on(stream) -> None:
    """Whoever read our standard output stopped reading (`... | head`): upstream writes
    on, ignores the failures and exits as it would have; so later lines (and the
    interpreter's last flush) go to /dev/null."""
    try:
        fd = stream.fileno()
    except (OSError, AttributeError, ValueError):  # (not a file: a test's buffer)
        return
    to_devnull(fd)
