"""The one-file rsync batch oc-delta writes (upstream: the stream a sender writes in
sender.c send_files + match.c match_sums, recorded as batch.c/main.c record it).

Layout: header; the file list (one entry, then its end); ndx 0; item flags (protocol
>= 29); the sum head; tokens; the whole-file checksum; NDX_DONE once per phase plus the
final one (2 below protocol 29, else 3); the stats (total read, total written, total size,
and from protocol 29 the file-list build and transfer times; longints below 30, else
varlongs of at least 3 bytes); from protocol 31 one more NDX_DONE, the final goodbye.
"""
from oc_wire.batch import BatchHeader
from oc_wire.flist_codec import FlistEncoder, FlistOptions
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import longint, shortint, varlong
from oc_wire.ndx import NDX_DONE, NdxCodec
from oc_wire.sums import SumHead, encode_sum_head

__all__ = ["ITEM_REPORT_SIZE", "ITEM_REPORT_TIME", "ITEM_TRANSFER", "file_head", "trailer"]

ITEM_REPORT_SIZE = 1 << 2
ITEM_REPORT_TIME = 1 << 3
ITEM_TRANSFER = 1 << 15


def file_head(header: BatchHeader, entry: FileEntry, sum_head: SumHead,
              ndx: NdxCodec) -> bytes:
    """Everything before the tokens: file list, ndx, item flags, sum head."""
    enc = FlistEncoder(FlistOptions(header.protocol, header.compat_flags))
    out = enc.entry(entry) + enc.end() + ndx.encode(0)
    if header.protocol >= 29:
        iflags = ITEM_TRANSFER | ITEM_REPORT_TIME
        if sum_head.basis_size != entry.size:
            iflags |= ITEM_REPORT_SIZE
        out += shortint(iflags)
    return out + encode_sum_head(sum_head)


def trailer(protocol: int, ndx: NdxCodec, total_read: int, total_written: int,
            total_size: int) -> bytes:
    """Phase ends, stats and the goodbye, as the receiver of a batch reads them."""
    out = ndx.encode(NDX_DONE) * (2 if protocol < 29 else 3)
    stats = [total_read, total_written, total_size] + ([0, 0] if protocol >= 29 else [])
    out += b"".join(longint(v) if protocol < 30 else varlong(v, 3) for v in stats)
    if protocol >= 31:
        out += ndx.encode(NDX_DONE)
    return out
