"""Stage streams (DESIGN.md section 3): a batch-style header, then one stage's wire bytes.

The header is upstream's batch header: stream flags, protocol, compat flags (protocol
>= 30), checksum seed. Stage streams use stream flags 0 and, from protocol 30, the compat
flags upstream records for a plain non-recursive batch (0x1fe: everything but inc-recurse).
"""
from .batch import BatchHeader, encode_header, read_header
from .checksums import ChecksumSpec, checksum_spec
from .errors import ProtocolError

__all__ = ["STAGE_COMPAT_FLAGS", "stage_header", "encode_header", "read_header", "spec_for"]

STAGE_COMPAT_FLAGS = 0x1FE


def stage_header(protocol: int, seed: int) -> BatchHeader:
    """Header for a stage stream; the seed is kept as the signed int32 the wire carries."""
    if not 28 <= protocol <= 32:
        raise ProtocolError("a protocol version 28..32", None, str(protocol))
    seed &= 0xFFFFFFFF
    if seed >= 1 << 31:
        seed -= 1 << 32
    return BatchHeader(0, protocol, STAGE_COMPAT_FLAGS if protocol >= 30 else 0, seed)


def spec_for(h: BatchHeader, choice: str | None) -> ChecksumSpec:
    """The strong checksum (and seed placement) a stream with this header uses."""
    return checksum_spec(h.protocol, h.compat_flags, h.checksum_seed & 0xFFFFFFFF, choice)
