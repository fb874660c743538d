"""Chunks: a first-in first-out byte buffer kept as the pieces that came in, so adding
never regrows or moves what is already there and take(n) copies only what it returns
(a growing bytearray that is appended to and cut at the front copies its whole contents
again and again when frames are large)."""
from collections import deque

__all__ = ["Chunks"]


class Chunks:
    __slots__ = ("_q", "_off", "_len")

    def __init__(self, data: bytes = b""):
        self._q: deque[bytes] = deque()
        self._off = 0  # bytes of the first piece already taken
        self._len = 0
        self.append(data)

    def __len__(self) -> int:
        return self._len

    def append(self, data) -> None:
        if data:
            piece = data if type(data) is bytes else bytes(data)
            self._q.append(piece)
            self._len += len(piece)

    def take(self, n: int) -> bytes:
        """The first n bytes (all there are, when fewer), removed."""
        n = min(n, self._len)
        if n <= 0:
            return b""
        piece, off = self._q[0], self._off
        if off + n < len(piece):  # within the first piece
            self._off = off + n
            self._len -= n
            return piece[off:off + n]
        q, parts = self._q, []
        self._len -= n
        while n:
            piece, off = q[0], self._off
            avail = len(piece) - off
            if avail <= n:
                parts.append(piece[off:] if off else piece)
                q.popleft()
                self._off = 0
                n -= avail
            else:
                parts.append(piece[off:off + n])
                self._off = off + n
                n = 0
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def peek(self, n: int) -> bytes:
        """The first n bytes (all there are, when fewer), left in place."""
        n = min(n, self._len)
        if not n:
            return b""
        piece, off = self._q[0], self._off
        if len(piece) - off >= n:
            return piece[off:off + n]
        parts, got = [piece[off:]], len(piece) - off
        for piece in list(self._q)[1:]:
            if got >= n:
                break
            parts.append(piece)
            got += len(piece)
        return b"".join(parts)[:n]

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
        n = min(n, self._len)
        self._len -= n
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
        self._off = self._len = 0
