"""What oc-rsync prints (upstream: log.c log_item, main.c output_summary): with -v each
updated item's name (directories with '/', symlinks with ' -> target'); with -i the
itemize string first; messages to stderr prefixed `oc-rsync: `; the -v summary lines."""
import os
import sys
import threading

from oc_wire.flist_entry import FileEntry
from oc_wire.items import ITEM_IS_NEW, itemize

from .stats import TransferStats, summary_text

__all__ = ["Output"]

PROG = "oc-rsync"


class Output:
    def __init__(self, opts, stdout=None, stderr=None, sending: bool = False):
        self.o = opts
        self.out = stdout or sys.stdout
        self.err = stderr or sys.stderr
        self.sending = sending
        self.lock = threading.Lock()
        self.io_error = 0
        self.stats = TransferStats()

    def _write(self, stream, text: str) -> None:
        with self.lock:
            stream.write(text)
            stream.flush()

    def item(self, e: FileEntry, iflags: int) -> None:
        if iflags & ITEM_IS_NEW:
            self.stats.created_one(e.mode)
        if not (self.o.verbose or self.o.itemize) or self.o.quiet:
            return
        name = os.fsdecode(e.name) + ("/" if e.is_dir() and e.name != b"." else "")
        if e.name == b"." and not self.o.itemize:
            return
        if e.name == b".":
            name = "./"
        if e.is_link() and self.o.links:
            name += " -> " + os.fsdecode(e.link_target or b"")
        if self.o.itemize:
            name = itemize(iflags, e.mode, self.sending) + " " + name
        self._write(self.out, name + "\n")

    def stdout_text(self, text: str) -> None:
        """Text as it is (a peer's info message)."""
        self._write(self.out, text)

    def info(self, text: str) -> None:
        if not self.o.quiet:
            self._write(self.out, text + "\n")

    def error(self, text: str, role: str = "receiver") -> None:
        self.io_error |= 1
        self._write(self.err, f"{PROG}: [{role}] {text}\n")

    def peer(self, text: str) -> None:
        """A message the peer sent (already prefixed by it)."""
        self._write(self.err, text if text.endswith("\n") else text + "\n")

    def exit_code(self, more: int = 0) -> int:
        """upstream log.c/main.c: IOERR_GENERAL (1) gives 23, only IOERR_VANISHED (2) 24."""
        bits = self.io_error | more
        return 23 if bits & 1 else 24 if bits & 2 else 0

    def summary(self, protocol: int, sent: int, received: int) -> None:
        """The closing lines with -v, the whole --stats block with --stats."""
        if (self.o.verbose or self.o.stats) and not self.o.quiet:
            self._write(self.out, summary_text(self.stats, protocol, sent, received,
                                               self.o.stats, self.o.dry_run))
