"""The generator's block signature of a basis file (upstream: generator.c
generate_and_send_sums and sum_sizes_sqroot).

Block length: 700 up to 700*700 bytes, else the integer square root of the length rounded
down to a multiple of 8 (capped at 2**17 from protocol 30, 2**29 before). Strong-sum
length: from protocol 27 the sum_sizes_sqroot formula with csum_length 2 and
BLOCKSUM_BIAS 10, capped at 16 and at the digest length.
"""
import os
from collections.abc import Iterator

import oc_core
from oc_wire.stage import encode_header, spec_for, stage_header
from oc_wire.sums import MAX_BLOCK_SIZE, OLD_MAX_BLOCK_SIZE, SumHead, encode_sum_head

__all__ = ["BLOCK_SIZE", "sum_sizes", "sign"]

BLOCK_SIZE = 700
SHORT_SUM_LENGTH = 2
SUM_LENGTH = 16
BLOCKSUM_BIAS = 10
READ_CHUNK = 4 << 20


def sum_sizes(size: int, protocol: int, digest_len: int, block_size: int | None = None,
              csum_length: int = SHORT_SUM_LENGTH) -> SumHead:
    """upstream: generator.c sum_sizes_sqroot."""
    max_s2 = min(SUM_LENGTH, digest_len)
    if block_size:
        blen = block_size
    elif size <= BLOCK_SIZE * BLOCK_SIZE:
        blen = BLOCK_SIZE
    else:
        max_blen = OLD_MAX_BLOCK_SIZE if protocol < 30 else MAX_BLOCK_SIZE
        c, l = 1, size
        while l := l >> 2:
            c <<= 1
        if c >= max_blen:
            blen = max_blen
        else:
            blen = 0
            while True:
                blen |= c
                if size < blen * blen:
                    blen &= ~c
                c >>= 1
                if c < 8:
                    break
            blen = max(blen, BLOCK_SIZE)
    if csum_length == SUM_LENGTH:
        s2 = max_s2
    else:
        b, l = BLOCKSUM_BIAS, size
        while l := l >> 1:
            b += 2
        c = blen
        while (c := c >> 1) and b:
            b -= 1
        s2 = min(max((b + 1 - 32 + 7) // 8, csum_length), max_s2)
    remainder = size % blen
    return SumHead(size // blen + (remainder != 0), blen, s2, remainder)


def sign(fd: int, size: int, *, protocol: int = 32, seed: int = 0,
         block_size: int | None = None, checksum: str | None = None,
         progress=None) -> Iterator[bytes]:
    """Yield the signature stream of the basis open at fd (size bytes) in pieces."""
    header = stage_header(protocol, seed)
    spec = spec_for(header, checksum)
    head = sum_sizes(size, protocol, spec.digest_len, block_size)
    yield encode_header(header) + encode_sum_head(head)
    yield from block_records(fd, size, head, spec, progress)


def block_records(fd: int, size: int, head: SumHead, spec, progress=None) -> Iterator[bytes]:
    """The generator's block sums of the basis open at fd, as wire records, in pieces
    (upstream: generator.c generate_and_send_sums, after the sum head)."""
    chunk = max(head.block_len, READ_CHUNK // head.block_len * head.block_len)
    fmap = oc_core.map_file(fd, size)  # (a big basis: summed where the page cache holds it)

    def records(offset: int) -> bytes:
        want = min(chunk, size - offset)
        if fmap is not None:
            data = memoryview(fmap.buf)[offset:offset + want]
        elif len(data := os.pread(fd, want, offset)) != want:  # the basis shrank (another
            data += bytes(want - len(data))  # name of a file being written in place):
            # zeros, as upstream's map_ptr (and a mapping's vanished pages); the whole-file
            # checksum then decides
        out = oc_core.sig_records(spec.algo, data, head.block_len, spec.seed,
                                  spec.seed_mode, head.s2len)
        if fmap is not None:
            fmap.drop(offset, want)  # (summed: the process need not hold its pages)
        return out

    if size <= chunk:  # one piece: no pool of threads to start and stop for it
        if size:
            yield records(0)
        if fmap is not None:
            fmap.close()
        if progress is not None:
            progress.update(size)
        return
    # libcore releases the GIL: chunks are summed on all cores, written in order.
    from oc_core.overlap import ordered_map  # only for big files

    done = 0
    for piece in ordered_map(records, range(0, size, chunk), os.cpu_count() or 2):
        done = min(size, done + chunk)
        yield piece
        if progress is not None:
            progress.update(done)
    if fmap is not None:  # (every piece summed: no thread reads it any more)
        fmap.close()
