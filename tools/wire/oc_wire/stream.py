"""PullReader: ByteReader semantics over a read(n) callable (a pipe, a file), so the
codecs' read_* functions work on streams of any size with bounded memory. End of input
in the middle of an item is a ProtocolError naming the offset: the stream is truncated."""
from .errors import LimitError, ProtocolError
from .ints import ByteReader

__all__ = ["PullReader"]


class PullReader(ByteReader):
    """peek(n) and consume(n), when the source has a buffer, let a decoder parse whole
    items from what is buffered (window/advance) instead of reading field by field;
    head() shows what is buffered in one piece without copying or waiting (nothing when
    the source cannot)."""

    def __init__(self, read, base: int = 0, peek=None, consume=None, head=None):
        super().__init__(b"", base)
        self._read = read
        self._peek, self._consume = peek, consume
        self.head = head or (lambda: memoryview(b""))

    @property
    def buffered(self) -> bool:
        return self._peek is not None

    def window(self, at_least: int, at_most: int | None = None) -> bytes:
        """What is buffered, at least at_least bytes (and no more than at_most, when
        given), without consuming it (the source raises at the end of input)."""
        return self._peek(at_least) if at_most is None else self._peek(at_least, at_most)

    def advance(self, n: int) -> None:
        """Consume n bytes of the window."""
        self._consume(n)
        self.base += n

    @property
    def offset(self) -> int:
        return self.base

    def read_bytes(self, n: int, limit: int | None = None, what: str = "bytes") -> bytes:
        if n < 0 or (limit is not None and n > limit):
            raise LimitError(f"{what} length 0..{limit}", self.base, str(n))
        chunk = self._read(n) if n else b""
        if len(chunk) == n:  # (most reads: all of it at once)
            self.base += n
            return chunk
        parts, need = [], n
        while True:
            if not chunk:
                raise ProtocolError(f"{n} more bytes (the stream is truncated)", self.base)
            parts.append(chunk)
            need -= len(chunk)
            self.base += len(chunk)
            if not need:
                return b"".join(parts)
            chunk = self._read(need)

    def at_eof(self) -> bool:
        chunk = self._read(1)
        if not chunk:
            return True
        raise ProtocolError("the end of the stream", self.base, "trailing bytes")
