"""Where upstream's sender splits a literal run into send_token calls (upstream: match.c
match_sums and hash_search, the -2 "flush" calls of matched()).

The plain token stream does not show these boundaries, but compressed streams do (zlib
writes a short data item at the end of every call), so re-encoding a compressed stream
byte-for-byte needs them. They follow from the file size and the sum head alone:

- no blocks (whole-file transfer): one call per 32 KiB, the last one ending the file;
- with blocks: in a literal run starting at L, hash_search flushes 32 KiB at offset
  o = L + 32 KiB + block_len whenever o is reached before the next match and
  end - o > 32 KiB, where end = size + 1 - length of the last block; each flush starts
  the next run. (--inplace's zero-run skipping is not modelled.)
"""
from .sums import SumHead
from .token_events import CHUNK_SIZE

__all__ = ["literal_calls"]


def literal_calls(head: SumHead, size: int, start: int, run: int) -> list[int]:
    """Lengths of the send_token calls that carry the literal run [start, start + run);
    all but the last are -2 calls (the last goes with the match or the end)."""
    pieces = []
    if head.count == 0:
        pos = start
        while pos + CHUNK_SIZE < start + run:
            pieces.append(CHUNK_SIZE)
            pos += CHUNK_SIZE
        pieces.append(start + run - pos)
        return pieces
    end = size + 1 - (head.remainder or head.block_len)
    stop = start + run  # the match's offset, or the file size
    last = start
    while True:
        o = last + CHUNK_SIZE + head.block_len
        if o >= stop or o >= end or end - o <= CHUNK_SIZE:
            break
        pieces.append(CHUNK_SIZE)
        last += CHUNK_SIZE
    pieces.append(stop - last)
    return pieces
