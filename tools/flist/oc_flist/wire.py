"""oc-flist's wire form (DESIGN.md section 3): a batch-style header whose stream flags say
what the list carries, then the file list as upstream's sender encodes it, ended with the
io-error flag (oc_wire.flist_codec). With incremental recursion (compat flag 'i' in the
header) the first list is followed by one list per directory, each behind the ndx
NDX_FLIST_OFFSET - its index among the directories listed so far, depth first as
upstream's sender sends them (flist.c send_extra_file_list), then NDX_FLIST_EOF. Also the
list's final order (upstream: flist.c flist_sort_and_clean)."""
from collections.abc import Iterable, Iterator

from oc_wire.batch import STREAM_FLAGS, BatchHeader, encode_header, read_header
from oc_wire.batch_stream import flist_options
from oc_wire.errors import ProtocolError
from oc_wire.flist_codec import CF_INC_RECURSE, FlistEncoder, mark_hard_links
from oc_wire.flist_decode import FlistDecoder
from oc_wire.flist_entry import FileEntry
from oc_wire.flist_order import sorted_list
from oc_wire.ints import ByteReader
from oc_wire.ndx import NDX_FLIST_EOF, NDX_FLIST_OFFSET, NdxCodec
from oc_wire.stage import STAGE_COMPAT_FLAGS

__all__ = ["sorted_unique", "list_header", "encode_list", "encode_lists", "decode_list"]


def sorted_unique(entries: Iterable[FileEntry], protocol: int) -> list[FileEntry]:
    """The list in index order with repeated names removed; of two entries with one name
    a directory wins, else the first one sent."""
    out: list[FileEntry] = []
    for e in sorted_list(list(entries), protocol):
        if out and out[-1].name == e.name:
            if e.is_dir() and not out[-1].is_dir():
                out[-1] = e
            continue
        out.append(e)
    return out


def list_header(protocol: int, inc_recurse: bool = False, **flags: bool) -> BatchHeader:
    """Header for a file-list stream; flags by STREAM_FLAGS name (recurse, preserve_uid,
    preserve_gid, preserve_links, preserve_devices, preserve_hard_links, always_checksum);
    inc_recurse: lists per directory follow the first (protocol 30 and up)."""
    bits = 0
    for name, on in flags.items():
        if on:
            bits |= 1 << STREAM_FLAGS.index(name)
    compat = (STAGE_COMPAT_FLAGS | (CF_INC_RECURSE if inc_recurse else 0)) \
        if protocol >= 30 else 0
    return BatchHeader(bits, protocol, compat, 0)


def encode_list(entries: list[FileEntry], header: BatchHeader, io_error: bool) -> bytes:
    enc = FlistEncoder(flist_options(header))
    return (encode_header(header) + enc.entries(entries)
            + enc.end(1 if io_error else 0))


def encode_lists(first: list[FileEntry], later, header: BatchHeader, io_error,
                 hard_links: bool = False) -> Iterator[bytes]:
    """The stream with incremental recursion, a list at a time: first (in send order),
    then each (directory name, entries) of later (IncrementalBuild.lists of the first
    list's index order, as it asks for) behind its ndx, then NDX_FLIST_EOF. io_error():
    the scan's error bit for the list just read."""
    enc, ndx, p = FlistEncoder(flist_options(header)), NdxCodec(header.protocol), \
        header.protocol
    links: dict = {}
    dirs: dict[bytes, int] = {}  # upstream dir_flist: each list's directories, in order

    def one(entries: list[FileEntry], start: int) -> Iterator[bytes]:
        if hard_links:
            mark_hard_links(entries, links, start)
        yield enc.entries(entries) + enc.end(io_error())
        for e in sorted_list(entries, p):
            if e.is_dir():
                dirs.setdefault(e.name, len(dirs))

    yield encode_header(header)
    yield from one(first, 1)  # (indexes start at 1: 0 names the first list's directory)
    start = 1 + len(first) + 1
    for name, entries in later(sorted_list(first, p)):
        yield ndx.encode(NDX_FLIST_OFFSET - dirs[name])
        yield from one(entries, start)
        start += len(entries) + 1
    yield ndx.encode(NDX_FLIST_EOF)


def decode_list(data: bytes) -> list[FileEntry]:
    """Every entry of a stream, over all its lists."""
    r = ByteReader(data)
    h = read_header(r)
    dec = FlistDecoder(flist_options(h))
    entries = dec.read_list(r)
    if h.protocol >= 30 and h.compat_flags & CF_INC_RECURSE:
        ndx = NdxCodec(h.protocol)
        dirs = sum(e.is_dir() for e in entries)
        while True:
            at = r.offset
            if (i := ndx.decode(r)) == NDX_FLIST_EOF:
                break
            if not 0 <= NDX_FLIST_OFFSET - i < dirs:
                raise ProtocolError(f"a directory's list (dir index below {dirs}) or "
                                    "NDX_FLIST_EOF", at, str(i))
            more = dec.read_list(r)
            dirs += sum(e.is_dir() for e in more)
            entries += more
    return entries
