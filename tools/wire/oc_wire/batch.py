"""Batch files (upstream: batch.c write_stream_flags/read_stream_flags, main.c, compat.c).

A batch starts with an int32 bitmap of the options that change the stream's shape
(the order below is upstream's flag_ptr[] order; bits 7-8 exist from protocol 29,
9-14 from protocol 30), the int32 protocol version, the varint compat flags (protocol
>= 30) and the int32 checksum seed. The rest is the sender's stream as the receiver
reads it: file list, then per-file ndx/item flags/sum head/tokens/file checksum.
"""
from oc_core.record import record

from .errors import ProtocolError
from .ints import ByteReader, int32, varint

__all__ = ["STREAM_FLAGS", "BatchHeader", "encode_header", "read_header"]

STREAM_FLAGS = ("recurse", "preserve_uid", "preserve_gid", "preserve_links",
                "preserve_devices", "preserve_hard_links", "always_checksum", "xfer_dirs",
                "do_compression", "tweaked_iconv", "preserve_acls", "preserve_xattrs",
                "inplace", "append", "append_verify")


@record(frozen=True, slots=True)
class BatchHeader:
    stream_flags: int
    protocol: int
    compat_flags: int
    checksum_seed: int

    def flag(self, name: str) -> bool:
        return bool(self.stream_flags >> STREAM_FLAGS.index(name) & 1)


def encode_header(h: BatchHeader) -> bytes:
    out = int32(h.stream_flags) + int32(h.protocol)
    if h.protocol >= 30:
        out += varint(h.compat_flags)
    return out + int32(h.checksum_seed)


def read_header(r: ByteReader) -> BatchHeader:
    """Read a batch header; ProtocolError for a protocol outside 28..40."""
    flags = r.read_int32()
    at = r.offset
    protocol = r.read_int32()
    if not 28 <= protocol <= 40:
        raise ProtocolError("a batch protocol version 28..40", at, str(protocol))
    compat = r.read_varint() if protocol >= 30 else 0
    seed = r.read_int32()
    return BatchHeader(flags, protocol, compat, seed)
