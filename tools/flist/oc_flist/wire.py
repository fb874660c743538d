"""oc-flist's wire form (DESIGN.md section 3): a batch-style header whose stream flags say
what the list carries, then the file list as upstream's sender encodes it, ended with the
io-error flag (oc_wire.flist_codec). Also the list's final order (upstream: flist.c
flist_sort_and_clean)."""
from collections.abc import Iterable

from oc_wire.batch import STREAM_FLAGS, BatchHeader, encode_header, read_header
from oc_wire.batch_stream import flist_options
from oc_wire.flist_codec import FlistEncoder
from oc_wire.flist_decode import FlistDecoder
from oc_wire.flist_entry import FileEntry
from oc_wire.flist_order import sorted_list
from oc_wire.ints import ByteReader
from oc_wire.stage import STAGE_COMPAT_FLAGS

__all__ = ["sorted_unique", "list_header", "encode_list", "decode_list"]


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


def list_header(protocol: int, **flags: bool) -> BatchHeader:
    """Header for a file-list stream; flags by STREAM_FLAGS name (recurse, preserve_uid,
    preserve_gid, preserve_links, preserve_devices, preserve_hard_links, always_checksum)."""
    bits = 0
    for name, on in flags.items():
        if on:
            bits |= 1 << STREAM_FLAGS.index(name)
    return BatchHeader(bits, protocol, STAGE_COMPAT_FLAGS if protocol >= 30 else 0, 0)


def encode_list(entries: list[FileEntry], header: BatchHeader, io_error: bool) -> bytes:
    enc = FlistEncoder(flist_options(header))
    return (encode_header(header) + b"".join(enc.entry(e) for e in entries)
            + enc.end(1 if io_error else 0))


def decode_list(data: bytes) -> list[FileEntry]:
    r = ByteReader(data)
    h = read_header(r)
    return FlistDecoder(flist_options(h)).read_list(r)
