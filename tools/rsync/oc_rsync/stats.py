"""What --stats and -v print at the end (upstream: main.c output_summary,
output_itemized_counts; rsync.h struct stats). Counts are gathered by the roles as they
go; numbers as upstream prints them at each -h level (0 digits only, 1 with ','
separators, the default, 2 and 3 with K/M/G units of 1000 or 1024; counts never get
units)."""
import stat
import time

from oc_core.record import field, record
from oc_flist.listing import human_dnum, human_num
from oc_wire.flist_entry import FileEntry

__all__ = ["TransferStats", "summary_text"]

_KINDS = ("reg", "dir", "link", "dev", "special")


def _kind(mode: int) -> int:
    if stat.S_ISDIR(mode):
        return 1
    if stat.S_ISLNK(mode):
        return 2
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return 3
    return 0 if stat.S_ISREG(mode) else 4


@record
class TransferStats:
    files: list = field(default_factory=lambda: [0] * 5)
    created: list = field(default_factory=lambda: [0] * 5)
    deleted: list = field(default_factory=lambda: [0] * 5)
    xferred_files: int = 0
    total_size: int = 0
    transferred_size: int = 0
    literal: int = 0
    matched: int = 0
    flist_size: int = 0
    flist_buildtime: int = 0  # milliseconds, from the sender
    # a sending server's byte counts as (sent, received) from our side: what a
    # receiving client reports (upstream main.c handle_stats)
    peer_bytes: tuple[int, int] | None = None
    flist_xfertime: int = 0
    start: float = field(default_factory=time.time)

    def count_list(self, entries: list[FileEntry]) -> None:
        for e in entries:
            self.files[_kind(e.mode)] += 1
            if e.is_reg() or e.is_link():
                self.total_size += e.size

    def created_one(self, mode: int) -> None:
        self.created[_kind(mode)] += 1

    def transferred(self, e: FileEntry) -> None:
        self.xferred_files += 1
        self.transferred_size += e.size


def _counts(label: str, counts: list, comma: int) -> str:
    total = sum(counts)
    parts = [f"{k}: {human_num(n, comma)}" for k, n in zip(_KINDS, counts, strict=True) if n]
    return f"{label}: {human_num(total, comma)}" + (
        f" ({', '.join(parts)})" if parts else "") + "\n"


def summary_text(s: TransferStats, protocol: int, sent: int, received: int,
                 full: bool, dry_run: bool = False, batch_only: bool = False,
                 human: int = 1) -> str:
    """full: the --stats block; always the two closing lines (marked as upstream marks
    a dry run or a --only-write-batch run). human: the -h level."""
    comma = min(human, 1)  # upstream comma_num / comma_dnum

    def num(n: int) -> str:
        return human_num(n, human)
    out = ""
    if full:
        out += "\n" + _counts("Number of files", s.files, comma)
        if protocol >= 29:
            out += _counts("Number of created files", s.created, comma)
        if protocol >= 31:
            out += _counts("Number of deleted files", s.deleted, comma)
        out += (f"Number of regular files transferred: {human_num(s.xferred_files, comma)}\n"
                f"Total file size: {num(s.total_size)} bytes\n"
                f"Total transferred file size: {num(s.transferred_size)} bytes\n"
                f"Literal data: {num(s.literal)} bytes\nMatched data: {num(s.matched)} bytes\n"
                f"File list size: {num(s.flist_size)}\n")
        if s.flist_buildtime:
            out += ("File list generation time: "
                    f"{human_dnum(s.flist_buildtime / 1000, comma, 3)} seconds\n"
                    "File list transfer time: "
                    f"{human_dnum(s.flist_xfertime / 1000, comma, 3)} seconds\n")
        out += f"Total bytes sent: {num(sent)}\nTotal bytes received: {num(received)}\n"
    elapsed = int(time.time()) - int(s.start)
    rate = (sent + received) / (0.5 + elapsed)  # upstream: whole seconds, plus a half
    speedup = s.total_size / max(sent + received, 1)
    out += (f"\nsent {num(sent)} bytes  received {num(received)} bytes  "
            f"{human_dnum(rate, human, 2)} bytes/sec\n"
            f"total size is {num(s.total_size)}  speedup is {human_dnum(speedup, comma, 2)}"
            f"{' (BATCH ONLY)' if batch_only else ' (DRY RUN)' if dry_run else ''}\n")
    return out
