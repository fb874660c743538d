"""Walk a batch (or oc-delta) stream as typed events (upstream: the order in which
receiver.c recv_files and main.c read a sender's stream; layout in FORMATS.md).

walk_batch(reader) yields, in order: BatchHeader; FileEntry per file-list entry and
FlistEnd; then per transferred file FileStart, SumHead, token events (Literal/Match/End)
and FileChecksum; PhaseDone per NDX_DONE; Stats; Goodbye (protocol >= 31). File indexes
refer to the list in f_name_cmp order (flist_order.py). The walker holds no file data: the
caller decides what to do with literal bytes and matches.
"""
from collections.abc import Iterator
from dataclasses import dataclass

from .batch import BatchHeader, read_header
from .checksums import checksum_spec
from .errors import ProtocolError
from .flist_codec import FlistDecoder, FlistOptions
from .flist_entry import FileEntry
from .flist_order import sorted_list
from .ints import ByteReader
from .ndx import NDX_DONE, NdxCodec
from .sums import read_sum_head
from .token_events import End
from .tokens import read_token

__all__ = ["FlistEnd", "FileStart", "FileChecksum", "PhaseDone", "Stats", "Goodbye",
           "ITEM_TRANSFER", "flist_options", "walk_batch"]

ITEM_BASIS_TYPE_FOLLOWS = 1 << 11
ITEM_XNAME_FOLLOWS = 1 << 12
ITEM_TRANSFER = 1 << 15


@dataclass(frozen=True, slots=True)
class FlistEnd:
    io_error: int
    count: int


@dataclass(frozen=True, slots=True)
class FileStart:
    ndx: int
    iflags: int
    entry: FileEntry


@dataclass(frozen=True, slots=True)
class FileChecksum:
    digest: bytes


@dataclass(frozen=True, slots=True)
class PhaseDone:
    phase: int


@dataclass(frozen=True, slots=True)
class Stats:
    total_read: int
    total_written: int
    total_size: int
    flist_buildtime: int = 0
    flist_xfertime: int = 0


@dataclass(frozen=True, slots=True)
class Goodbye:
    pass


def flist_options(h: BatchHeader) -> FlistOptions:
    """The file-list options a batch's stream-flags bitmap records."""
    return FlistOptions(h.protocol, h.compat_flags, preserve_uid=h.flag("preserve_uid"),
                        preserve_gid=h.flag("preserve_gid"),
                        preserve_links=h.flag("preserve_links"),
                        preserve_devices=h.flag("preserve_devices"),
                        preserve_specials=h.flag("preserve_devices"),
                        always_checksum=h.flag("always_checksum"))


def walk_batch(r: ByteReader, checksum: str | None = None) -> Iterator[object]:
    """Yield the events of a batch stream read from r (see the module docstring)."""
    h = read_header(r)
    yield h
    if h.flag("recurse") and h.protocol >= 30 and h.compat_flags & 1:
        raise ProtocolError("a batch without incremental recursion (not supported yet)", 0)
    if h.flag("do_compression"):
        raise ProtocolError("a batch without compressed tokens (not supported yet)", 0)
    dec = FlistDecoder(flist_options(h))
    entries = []
    while (e := dec.read_entry(r)) is not None:
        entries.append(e)
        yield e
    yield FlistEnd(dec.io_error, len(entries))
    entries = sorted_list(entries, h.protocol)
    digest_len = checksum_spec(h.protocol, h.compat_flags, h.checksum_seed, checksum).digest_len
    ndx = NdxCodec(h.protocol)
    phases = 2 if h.protocol < 29 else 3
    for phase in range(phases):
        while True:
            at = r.offset
            i = ndx.decode(r)
            if i == NDX_DONE:
                yield PhaseDone(phase)
                break
            if not 0 <= i < len(entries):
                raise ProtocolError(f"a file index 0..{len(entries) - 1}", at, str(i))
            iflags = r.read_shortint() if h.protocol >= 29 else ITEM_TRANSFER
            if iflags & ITEM_BASIS_TYPE_FOLLOWS:
                r.read_byte()
            if iflags & ITEM_XNAME_FOLLOWS:
                r.read_vstring(4096)
            yield FileStart(i, iflags, entries[i])
            if not iflags & ITEM_TRANSFER:
                continue
            head = read_sum_head(r, h.protocol)
            yield head
            while not isinstance(ev := read_token(r, head.count), End):
                yield ev
            yield ev
            yield FileChecksum(r.read_bytes(digest_len))
    if h.protocol < 30:
        values = [r.read_longint() for _ in range(5 if h.protocol >= 29 else 3)]
    else:
        values = [r.read_varlong(3) for _ in range(5)]
    yield Stats(*values)
    if h.protocol >= 31:
        at = r.offset
        if ndx.decode(r) != NDX_DONE:
            raise ProtocolError("NDX_DONE (the final goodbye)", at)
        yield Goodbye()

