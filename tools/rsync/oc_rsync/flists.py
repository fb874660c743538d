"""The file lists a receiving side holds (upstream: flist.c recv_file_list, flist_new,
flist_for_ndx; rsync.c read_ndx_and_attrs).

Without incremental recursion there is one list and indexes run 0..n-1. With it (compat
flag 'i', protocol >= 30) the first list starts at index 1 and every later list is the
contents of one directory, announced by the ndx NDX_FLIST_OFFSET - d, where d indexes
the directories received so far (each list's directories appended in its sorted order).
A list starts two past the previous one's last index: the index just before its start
stands for its directory. NDX_FLIST_EOF says no more lists come. Each NDX_DONE in phase
0 retires the oldest list; only the last one's ends the phase.

A directory's list may only hold names directly inside it, and each directory gets one
list: anything else is a ProtocolError (upstream: "ABORTING due to invalid path from
sender", "refusing malicious duplicate flist").
"""
import bisect
import operator
import queue

from oc_core.record import field, record
from oc_wire.errors import ProtocolError
from oc_wire.flist_entry import FileEntry

__all__ = ["Segment", "FileLists", "ListQueue", "segment_for", "duplicates"]


@record(eq=False, slots=True)
class Segment:
    start: int                 # ndx of entries[0]
    entries: list[FileEntry]   # sorted, as indexes refer to them
    parent: FileEntry | None   # the directory whose contents these are
    num: int                   # 1 for the first list (upstream flist_num)
    pending: int = 0           # the generator's transfers not finished yet
    groups: dict = field(default_factory=dict)  # -H: id(entry) -> group


class FileLists:
    def __init__(self, inc: bool, first: list[FileEntry], groups: dict | None = None):
        self.inc = inc
        self.eof = not inc
        self.dirs: list[FileEntry] = []  # upstream dir_flist
        self.live: list[Segment] = []
        self.count = 0                   # entries in every list so far
        self._next, self._num = (1, 1) if inc else (0, 0)
        self._listed: set[int] = set()   # directories whose list came
        parent = first[0] if inc and first and first[0].name == b"." \
            and first[0].is_dir() else None
        self.first = self._add(first, parent)
        self.first.groups = groups or {}

    def _add(self, entries: list[FileEntry], parent: FileEntry | None) -> Segment:
        seg = Segment(self._next, entries, parent, self._num)
        self._next += len(entries) + 1
        self._num += 1
        self.count += len(entries)
        if self.inc:
            self.dirs.extend(e for e in entries if e.is_dir())
        self.live.append(seg)
        return seg

    def receive(self, d: int, entries: list[FileEntry], groups: dict,
                at: int | None) -> Segment:
        """Directory d's list (entries sorted; groups: -H, id(entry) -> group)."""
        if not 0 <= d < len(self.dirs):
            raise ProtocolError(f"a directory index 0..{len(self.dirs) - 1}", at, str(d))
        parent = self.dirs[d]
        if d in self._listed or parent.name == b".":
            raise ProtocolError("one file list per directory", at, repr(parent.name))
        self._listed.add(d)
        prefix = parent.name + b"/"
        for e in entries:
            if not e.name.startswith(prefix) or b"/" in e.name[len(prefix):]:
                raise ProtocolError(f"a name inside {parent.name!r}", at, repr(e.name))
        seg = self._add(entries, parent)
        seg.groups = groups
        return seg

    def retire(self) -> bool:
        """NDX_DONE in phase 0: drop the oldest list; False when none was live."""
        if not self.live:
            return False
        self.live.pop(0)
        return True

    def segment(self, ndx: int, at: int | None = None) -> Segment:
        return segment_for(self.live, ndx, at)

    def entry(self, ndx: int, at: int | None = None) -> FileEntry:
        seg = self.segment(ndx, at)
        if ndx < seg.start:
            return seg.parent
        return seg.entries[ndx - seg.start]

    def position(self, ndx: int) -> int:
        """upstream's current_file_index: the ndx less the lists before it."""
        return ndx - self.segment(ndx).num if self.inc else ndx


_START = operator.attrgetter("start")


def segment_for(live: list, ndx: int, at: int | None = None):
    """The live list index ndx belongs to (its directory's index included); any list
    with start, entries and parent (a Segment here, the sender's lists), in start
    order: the oldest and the newest first (most files come from one of them), else a
    binary search, as thousands of small lists can be live."""
    if live:
        first, last = live[0], live[-1]
        if ndx < first.start + len(first.entries):  # (only the first can hold it)
            seg = first
        elif ndx >= last.start - 1:  # (only the last can)
            seg = last
        else:
            seg = live[max(0, bisect.bisect_right(live, ndx + 1, key=_START) - 1)]
        if seg.start - (seg.parent is not None) <= ndx < seg.start + len(seg.entries):
            return seg
    raise ProtocolError("a file index within a live file list", at, str(ndx))


class ReceiverEvents(queue.Queue):
    """The receiver's events for the generator. A file's end (end()) is only noted: the
    ends go over as one ("finished", [ndx, ...]) event when enough have gathered, before
    any other event (the order stays), and when the receiver is about to wait for input
    (post_ends, Conn.before_wait), so the generator is not woken once per file, yet never
    waits for an end that is only noted. Only the receiver's thread puts."""

    def __init__(self, batch: int = 256):
        super().__init__()
        self._ends: list[int] = []
        self._batch = batch

    def end(self, ndx: int) -> None:
        self._ends.append(ndx)
        if len(self._ends) >= self._batch:
            self.post_ends()

    def post_ends(self) -> None:
        if self._ends:
            ends, self._ends = self._ends, []
            super().put(("finished", ends))

    def put(self, item, block: bool = True, timeout: float | None = None) -> None:
        self.post_ends()
        super().put(item, block, timeout)


class ListQueue:
    """The generator's side of incremental recursion (upstream: generator.c
    generate_files, check_for_finished_files): lists are generated in the order they
    arrive; a list is finished once the generator has moved past it and none of its
    transfers is still in flight (a redo keeps it in flight), and each finished list is
    retired, oldest first, by one NDX_DONE to the sender. The receiver's events
    (ReceiverEvents): ("flist", Segment), ("eof", None), ("finished", [ndx, ...]),
    ("redo", ndx)."""

    def __init__(self, first: Segment, events, redo, write_done, flush):
        self.live = [first]
        self.current: Segment | None = first
        self.arrived: list[Segment] = []
        self.eof = False
        self.events, self.redo, self.write_done, self.flush = events, redo, write_done, flush
        self.on_finished = lambda ndx: None  # after a transfer's end is counted

    def holds(self, ndx: int) -> bool:
        """Whether ndx still names an entry the sender has (its list is live)."""
        return any(seg.start - 1 <= ndx < seg.start + len(seg.entries) for seg in self.live)

    def started(self, ndx: int) -> None:
        """A transfer of ndx was requested (or something else keeps its list live)."""
        segment_for(self.live, ndx).pending += 1

    def finished(self, ndx: int) -> None:
        segment_for(self.live, ndx).pending -= 1

    def poll(self, block: bool) -> bool:
        """Handle one event; False when none was waiting (block: wait for one)."""
        if block:
            self.flush()  # the sender must see our requests before we wait on them
            kind, value = self.events.get()
        elif self.events.empty():
            return False
        else:
            kind, value = self.events.get_nowait()
        if kind == "flist":
            self.arrived.append(value)
        elif kind == "eof":
            self.eof = True
        elif kind == "finished":
            for ndx in value:
                self.finished(ndx)
                self.on_finished(ndx)
        elif kind == "redo":
            seg = segment_for(self.live, value)
            self.redo(value, seg.entries[value - seg.start])
        else:
            raise RuntimeError(f"unexpected event {kind} while lists are live")
        return True

    def _retire(self) -> None:
        while self.live and self.live[0] is not self.current and not self.live[0].pending:
            self.live.pop(0)
            self.write_done()

    def next(self) -> Segment | None:
        """The next list to generate, once it has come; None after the last."""
        while self.poll(False):
            pass
        self._retire()
        while not self.arrived and not self.eof:
            self.poll(True)
            self._retire()
        if not self.arrived:
            self.current = None
            return None
        self.current = self.arrived.pop(0)
        self.live.append(self.current)
        return self.current

    def finish(self) -> None:
        """Retire every list, waiting for their transfers."""
        self.current = None
        self._retire()
        while self.live:
            self.poll(True)
            self._retire()


def duplicates(entries: list[FileEntry]) -> dict[int, FileEntry]:
    """Entries whose name an earlier one already has (several sources can name the same
    file): one is kept, a directory if there is one, else the first in list order
    (upstream: flist.c flist_sort_and_clean)."""
    kept: dict[bytes, FileEntry] = {}
    dropped: dict[int, FileEntry] = {}  # by id, holding the entry so the id stays its
    for e in entries:
        first = kept.get(e.name)
        if first is None:
            kept[e.name] = e
        elif e.is_dir() and not first.is_dir():
            kept[e.name] = e
            dropped[id(first)] = first
        else:
            if e.is_dir():  # the kept one takes what the other's flags say of it
                first.top_dir |= e.top_dir
                first.content_dir |= e.content_dir
                first.implied_dir &= e.implied_dir
            dropped[id(e)] = e
    return dropped
