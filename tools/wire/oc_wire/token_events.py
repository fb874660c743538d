"""Events of a file's token stream (upstream: token.c), independent of compression.

Literal: raw bytes of the new file (one wire chunk is at most 32 KiB: CHUNK_SIZE).
Match: block `index` of the basis file is copied, or `count` blocks from it in order (a
  plain stream's consecutive match tokens read at once come as one Match).
End: the token stream for this file is over (token value 0 in the plain framing).
"""
from oc_core.record import record

__all__ = ["CHUNK_SIZE", "Literal", "Match", "End", "TokenEvent"]

CHUNK_SIZE = 32 * 1024


@record(frozen=True, slots=True)
class Literal:
    data: bytes


@record(frozen=True, slots=True)
class Match:
    index: int
    count: int = 1


@record(frozen=True, slots=True)
class End:
    pass


TokenEvent = Literal | Match | End
