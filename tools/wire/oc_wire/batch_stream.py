"""Walk a batch (or oc-delta) stream as typed events (upstream: the order in which
receiver.c recv_files and main.c read a sender's stream; layout in FORMATS.md).

walk_batch(reader) yields, in order: BatchHeader; FileEntry per file-list entry and
FlistEnd; then per transferred file FileStart, SumHead, token events (Literal/Match/End)
and FileChecksum; PhaseDone per NDX_DONE; Stats; Goodbye (protocol >= 31). File indexes
refer to the list in f_name_cmp order (flist_order.py). The walker holds no file data: the
caller decides what to do with literal bytes and matches.
"""
from collections.abc import Callable, Iterator

from oc_core.record import field, record

from .batch import BatchHeader, read_header
from .checksums import checksum_spec
from .compress import token_reader
from .errors import ProtocolError
from .flist_codec import FlistOptions
from .flist_decode import FlistDecoder
from .flist_entry import FileEntry
from .flist_order import sorted_list
from .ints import ByteReader
from .items import ITEM_BASIS_TYPE_FOLLOWS, ITEM_TRANSFER, ITEM_XNAME_FOLLOWS
from .ndx import NDX_DEL_STATS, NDX_DONE, NDX_FLIST_EOF, NDX_FLIST_OFFSET, NdxCodec
from .sums import SumHead, read_sum_head

__all__ = ["FlistEnd", "FlistSegment", "FlistEof", "FileStart", "FileChecksum", "PhaseDone",
           "Stats", "Goodbye", "Basis", "block_reader", "ITEM_TRANSFER",
           "ITEM_BASIS_TYPE_FOLLOWS", "ITEM_XNAME_FOLLOWS", "flist_options", "walk_batch",
           "SenderStream", "walk_sender", "read_item", "read_stats", "DelStats",
           "read_del_stats"]



@record(frozen=True, slots=True)
class FlistEnd:
    """End of one file list; the owner names known so far (uid/gid -> name)."""

    io_error: int
    count: int
    user_names: dict = field(default_factory=dict)
    group_names: dict = field(default_factory=dict)


@record(frozen=True, slots=True)
class FlistSegment:
    """Another file list follows, for the directory at this dir-list index."""

    dir_index: int


@record(frozen=True, slots=True)
class FlistEof:
    """No more file lists will follow (incremental recursion)."""


@record(frozen=True, slots=True)
class FileStart:
    """A file's index and item flags, with the extras the flags announce: the basis type
    (ITEM_BASIS_TYPE_FOLLOWS) and another name (ITEM_XNAME_FOLLOWS, e.g. a hard link's
    target)."""

    ndx: int
    iflags: int
    entry: FileEntry | None  # None when the file list is not at hand (a generator's stream)
    basis_type: int | None = None
    xname: bytes | None = None


@record(frozen=True, slots=True)
class FileChecksum:
    digest: bytes


@record(frozen=True, slots=True)
class PhaseDone:
    phase: int


@record(frozen=True, slots=True)
class Stats:
    total_read: int
    total_written: int
    total_size: int
    flist_buildtime: int = 0
    flist_xfertime: int = 0


@record(frozen=True, slots=True)
class DelStats:
    """Deletion counts (NDX_DEL_STATS, protocol >= 31 with --delete): the generator
    sends them and a server sender echoes them back wherever it reads an ndx."""

    files: int
    dirs: int
    symlinks: int
    devices: int
    specials: int


@record(frozen=True, slots=True)
class Goodbye:
    pass


@record(slots=True)
class Basis:
    """The current file's basis for codecs that feed matched blocks into their history
    (old-style zlib): read(offset, length) -> bytes. None stands in zeros, which keep the
    compressed stream's structure (enough to walk or dump it) but not its literal bytes.
    Whoever rebuilds files sets read before the walker reads that file's tokens."""

    read: Callable[[int, int], bytes] | None = None


def block_reader(head: SumHead, basis: Basis) -> Callable[[int], bytes]:
    """block(i): the bytes of basis block i as the sum head lays the blocks out."""
    def block(i: int) -> bytes:
        n = head.remainder if i == head.count - 1 and head.remainder else head.block_len
        return basis.read(i * head.block_len, n) if basis.read else bytes(n)
    return block


def flist_options(h: BatchHeader) -> FlistOptions:
    """The file-list options a batch's stream-flags bitmap records."""
    return FlistOptions(h.protocol, h.compat_flags, preserve_uid=h.flag("preserve_uid"),
                        preserve_gid=h.flag("preserve_gid"),
                        preserve_links=h.flag("preserve_links"),
                        preserve_devices=h.flag("preserve_devices"),
                        preserve_specials=h.flag("preserve_devices"),
                        preserve_hard_links=h.flag("preserve_hard_links"),
                        always_checksum=h.flag("always_checksum"))


@record(slots=True)
class _Segment:
    start: int
    entries: list
    parent: FileEntry | None = None  # index start - 1 names the directory itself


def _read_list(r: ByteReader, dec: FlistDecoder) -> Iterator[object]:
    entries = []
    while (e := dec.read_entry(r)) is not None:
        entries.append(e)
        yield e
    yield FlistEnd(dec.io_error, len(entries), dict(dec.uid_names), dict(dec.gid_names))
    return entries


@record(frozen=True, slots=True)
class SenderStream:
    """What reading a sender's stream needs to know (from a batch header or a session's
    set-up): the file-list options, the file checksum's length, the token codec, and
    whether the stats block is on the wire (batches and server senders write it)."""

    protocol: int
    compat_flags: int
    flist: FlistOptions
    digest_len: int
    compression: str = "none"
    stats: bool = True

    @property
    def inc_recurse(self) -> bool:
        return self.protocol >= 30 and bool(self.compat_flags & 1)


def walk_batch(r: ByteReader, checksum: str | None = None, basis: Basis | None = None
               ) -> Iterator[object]:
    """Yield the header, then the events of the batch's sender stream (walk_sender)."""
    h = read_header(r)
    yield h
    spec = checksum_spec(h.protocol, h.compat_flags, h.checksum_seed, checksum)
    yield from walk_sender(r, SenderStream(
        h.protocol, h.compat_flags, flist_options(h), spec.digest_len,
        "zlib" if h.flag("do_compression") else "none"), basis)


def walk_sender(r: ByteReader, s: SenderStream, basis: Basis | None = None
                ) -> Iterator[object]:
    """Yield the events of a sender's stream read from r (see the module docstring).

    With incremental recursion (upstream: rsync.c read_ndx_and_attrs, flist.c
    send_extra_file_list, sender.c send_files) more file lists arrive between transfers,
    each introduced by the ndx NDX_FLIST_OFFSET - dir_index, until NDX_FLIST_EOF. Indexes
    count from 1 across lists (each list starts one past the previous one's end), and each
    NDX_DONE first retires the oldest live list; only when none is left does it end a
    phase. Compressed tokens need the basis for old-style zlib; see Basis."""
    basis = basis or Basis()
    tokens = token_reader(s.compression, s.protocol)
    dec = FlistDecoder(s.flist)
    inc = s.inc_recurse
    first = sorted_list((yield from _read_list(r, dec)), s.protocol)
    dirs = [e for e in first if e.is_dir()]  # upstream dir_flist: each list's dirs, in order
    # with incremental recursion ndx 0 names the first directory (the transfer root)
    segments = [_Segment(1, first, dirs[0] if dirs else None) if inc else _Segment(0, first)]
    ndx = NdxCodec(s.protocol)
    max_phase = 1 if s.protocol < 29 else 2
    phase = 0
    next_start = segments[0].start + len(first) + 1
    while True:
        at = r.offset
        i = ndx.decode(r)
        if i == NDX_DEL_STATS:
            yield read_del_stats(r)
            continue
        if i == NDX_DONE:
            if inc and segments:
                segments.pop(0)
                if segments:
                    yield PhaseDone(phase)
                    continue
            yield PhaseDone(phase)
            phase += 1
            if phase > max_phase:
                break
            continue
        if inc and i == NDX_FLIST_EOF:
            yield FlistEof()
            continue
        if inc and i <= NDX_FLIST_OFFSET:
            d = NDX_FLIST_OFFSET - i
            if not 0 <= d < len(dirs):
                raise ProtocolError(f"a directory index 0..{len(dirs) - 1}", at, str(d))
            start = next_start
            yield FlistSegment(d)
            entries = sorted_list((yield from _read_list(r, dec)), s.protocol)
            next_start = start + len(entries) + 1
            segments.append(_Segment(start, entries, dirs[d]))
            dirs.extend(e for e in entries if e.is_dir())
            continue
        entry = _entry_for(segments, i, at)
        start_ev = read_item(r, s.protocol, i, entry)
        yield start_ev
        if not start_ev.iflags & ITEM_TRANSFER:
            continue
        head = read_sum_head(r, s.protocol)
        yield head
        yield from tokens.read_file(r, block_reader(head, basis), head.count)
        yield FileChecksum(r.read_bytes(s.digest_len))
    if s.stats:
        yield read_stats(r, s.protocol)
    if s.protocol >= 31:
        at = r.offset
        while (i := ndx.decode(r)) == NDX_DEL_STATS:
            yield read_del_stats(r)
            at = r.offset
        if i != NDX_DONE:
            raise ProtocolError("NDX_DONE (the final goodbye)", at, str(i))
        yield Goodbye()


def read_item(r: ByteReader, protocol: int, i: int, entry: FileEntry | None) -> FileStart:
    """The item flags and their extras after an ndx (upstream: rsync.c
    read_ndx_and_attrs); below protocol 29 every item is a transfer."""
    iflags = r.read_shortint() if protocol >= 29 else ITEM_TRANSFER
    btype = r.read_byte() if iflags & ITEM_BASIS_TYPE_FOLLOWS else None
    xname = r.read_vstring(4096) if iflags & ITEM_XNAME_FOLLOWS else None
    return FileStart(i, iflags, entry, btype, xname)


def read_del_stats(r: ByteReader) -> DelStats:
    """upstream main.c read_del_stats: five varints after NDX_DEL_STATS."""
    return DelStats(*(r.read_varint() for _ in range(5)))


def read_stats(r: ByteReader, protocol: int) -> Stats:
    """upstream main.c handle_stats: read, written, size (+ two flist times from 29)."""
    if protocol < 30:
        values = [r.read_longint() for _ in range(5 if protocol >= 29 else 3)]
    else:
        values = [r.read_varlong(3) for _ in range(5)]
    return Stats(*values)


def _entry_for(segments: list, i: int, at: int) -> FileEntry:
    for seg in segments:
        if seg.start <= i < seg.start + len(seg.entries):
            return seg.entries[i - seg.start]
        if i == seg.start - 1 and seg.parent is not None:
            return seg.parent
    raise ProtocolError("a file index within a live file list", at, str(i))
