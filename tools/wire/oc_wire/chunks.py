"""Chunks: a first-in first-out byte buffer kept as the pieces that came in, so adding
never regrows or moves what is already there and take(n) copies only what it returns
(a growing bytearray that is appended to and cut at the front copies its whole contents
again and again when frames are large)."""
from collections import deque

__all__ = ["Chunks"]


class Chunks:
    __slots__ = ("_q", "_off", "size")  # size: the bytes held (len(), without the call)

    def __init__(self, data: bytes = b""):
        self._q: deque[bytes] = deque()
        self._off = 0  # bytes of the first piece already taken
        self.size = 0
        self.append(data)

    def __len__(self) -> int:
        return self.size

    def append(self, data) -> None:
        if data:
            piece = data if type(data) is bytes else bytes(data)
            self._q.append(piece)
            self.size += len(piece)

    def take(self, n: int) -> bytes:
        """The first n bytes (all there are, when fewer), removed."""
        if self._q and n > 0:
            piece, off = self._q[0], self._off
            end = off + n
            if end < len(piece):  # within the first piece (most reads)
                self._off = end
                self.size -= n
                return piece[off:end]
        out = self.peek(n)
        self.drop(len(out))
        return out

    def peek(self, n: int) -> bytes:
        """The first n bytes (all there are, when fewer), left in place."""
        n = min(n, self.size)
        parts, got = [], 0
        for piece in self._q:
            if got >= n:
                break
            start = self._off if not parts else 0
            part = piece[start:start + n - got]
            parts.append(part)
            got += len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def head(self) -> memoryview:
        """The first piece's bytes not yet taken, as they are (no copy; empty when
        there are none): what can be parsed in place before taking it."""
        return memoryview(self._q[0])[self._off:] if self._q else memoryview(b"")

    def views(self, most: int) -> list[memoryview]:
        """The first `most` pieces as they are (no copies), for os.writev."""
        out = []
        for piece in self._q:
            out.append(memoryview(piece)[self._off:] if not out else memoryview(piece))
            if len(out) == most:
                break
        return out

    def drop(self, n: int) -> None:
        """Remove the first n bytes (as take, without building them)."""
        n = min(n, self.size)
        self.size -= n
        q = self._q
        while n:
            avail = len(q[0]) - self._off
            if avail > n:
                self._off += n
                return
            q.popleft()
            self._off = 0
            n -= avail

    def clear(self) -> None:
        self._q.clear()
        self._off = self.size = 0
