"""SparseWriter: -S, the patcher's writer that leaves a file's zero blocks out (upstream:
fileio.c write_sparse, sparse_end)."""
import os

import oc_core

__all__ = ["SparseWriter"]

_BLOCK = 4096
_ZERO_BLOCK = bytes(_BLOCK)


class SparseWriter:
    """-S: the writer (write(data), skip(data)) that leaves whole zero blocks out instead
    of writing them, so the file gets holes (upstream: fileio.c write_sparse, sparse_end).

    The blocks are the file's own (offsets that are multiples of _BLOCK), whatever pieces
    the data comes in: a block split between two pieces is put together first, so the
    holes are those upstream's byte-wise scan leaves. A new file with nothing reserved
    simply seeks over zero blocks. Otherwise its blocks are there already: reserved at its
    whole length (--preallocate), or holding the old data (in place). Then a run of zero
    blocks is punched out once data (or a skip over data already in place) follows it;
    at the end (end()) a run still open is punched too in place, and left reserved
    otherwise, as upstream leaves it. In place, a run that cannot be punched is written
    as zeros: the old bytes must not stay. The caller sets the final length."""

    def __init__(self, fd: int, punch: bool = False, in_place: bool = False):
        self.fd, self.punch, self.in_place = fd, punch or in_place, in_place
        self._hole = [0, 0]  # the run of zero blocks not yet passed: where, how long
        self._pos = os.lseek(fd, 0, os.SEEK_CUR)  # where the bytes not yet placed go
        self._part = bytearray()  # those bytes: the start of a block still incomplete
        self._part_there = False

    def __call__(self, data, there: bool = False) -> None:
        """Write data (there: it is in the file already, at the offset: only its zero
        blocks are punched out, the rest is passed over)."""
        view = memoryview(data)
        if self._part:
            if there != self._part_there:
                self._place_part()
            else:
                room = _BLOCK - self._pos % _BLOCK - len(self._part)
                self._part += view[:room]
                view = view[room:]
                if len(self._part) + self._pos % _BLOCK < _BLOCK:
                    return
                block, self._part = bytes(self._part), bytearray()
                self._place(block, there)
        while view:
            step = _BLOCK - self._pos % _BLOCK
            if len(view) < step:  # (kept until the block is whole, or the end)
                self._part, self._part_there = bytearray(view), there
                return
            self._place(view[:step], there)
            view = view[step:]

    def skip(self, data) -> None:
        """In place: move over bytes that are already there (upstream: skip_matched with
        write_sparse's use_seek, which still punches their zero runs out)."""
        self(data, there=True)

    def end(self) -> None:
        """The data is all written: a run still open is punched in place."""
        self._place_part()
        if self.in_place:
            self._pass_hole()

    def _place_part(self) -> None:
        """The bytes of an incomplete block: a hole when they are all zeros (the file's
        last block, or one a skip interrupts), else written or passed over."""
        if self._part:
            part, self._part = bytes(self._part), bytearray()
            self._place(part, self._part_there, whole=not any(part))

    def _place(self, piece, there: bool, whole: bool = False) -> None:
        fd, hole = self.fd, self._hole
        n = len(piece)
        if (whole or n == _BLOCK) and piece == _ZERO_BLOCK[:n]:
            if not self.punch:
                os.lseek(fd, n, os.SEEK_CUR)
            elif hole[1]:
                hole[1] += n
            else:
                hole[:] = [self._pos, n]
            self._pos += n
            return
        self._pass_hole()
        self._pos += n
        if there:
            os.lseek(fd, n, os.SEEK_CUR)
            return
        rest = memoryview(piece)
        while rest:
            rest = rest[os.write(fd, rest):]

    def _pass_hole(self) -> None:
        where, n = self._hole
        if not n:
            return
        self._hole[1] = 0
        if oc_core.punch_hole(self.fd, where, n) == 0 or not self.in_place:
            os.lseek(self.fd, n, os.SEEK_CUR)  # (reserved blocks read as zeros anyway)
            return
        for k in range(0, n, _BLOCK):
            os.write(self.fd, _ZERO_BLOCK[:min(_BLOCK, n - k)])
