"""FileWindow: a file being sent, read through a sliding window (upstream: fileio.c
map_ptr), for the matcher and the token writer.

ensure(upto) reads on, in order, straight into the window's buffer, a piece at a time
(read(2) from the file's offset, which the window sets once: as upstream's map_ptr);
forget(low) lets go of what lies before low (the matcher's low water, or the end of what
was sent), moving the rest to the front of the buffer now and then, so one buffer of a
few MiB is reused for the whole file and what was just read is still in the CPU's cache
when the matcher and the checksum get to it. get(off, n) copies bytes out.

Nothing is mapped: a file that shrinks while it is sent cannot kill the process (a
mapping's vanished pages raise SIGBUS). As upstream, bytes that cannot be read are zeros
and `error` keeps the first errno (ENODATA when the file ended early); the sender then
sends a whole-file checksum the receiver refuses, so the file is asked for again. Each
piece, read or zero, is shown to on_read(view) once, in file order (the whole-file
checksum), as a view valid only during the call.
"""
import errno
import io
import os

__all__ = ["FileWindow"]

_FORGET = 4 << 20  # move the live bytes to the front once this much lies before them


class FileWindow:
    __slots__ = ("fd", "size", "buf", "base", "end", "error", "_on_read", "_piece", "_file")

    def __init__(self, fd: int, size: int, start: int = 0, on_read=None,
                 piece: int = 1 << 20):
        self.fd, self.size = fd, size
        self.buf = bytearray()  # buf[0:end - base] holds file offsets base..end
        self.base = self.end = start
        self.error = 0
        try:
            self._file = io.FileIO(fd, closefd=False)  # (readinto: read(2) into the buffer)
            os.lseek(fd, start, os.SEEK_SET)
        except OSError as e:  # (not a file that can be read: nothing but zeros)
            self._file, self.error = None, e.errno or errno.EIO
        self._on_read = on_read
        self._piece = piece

    def ensure(self, upto: int) -> None:
        """Read on until the window reaches offset upto (at most the size)."""
        upto = min(upto, self.size)
        while self.end < upto:
            want = min(self._piece, self.size - self.end)
            at = self.end - self.base
            if at + want > len(self.buf):
                self.buf.extend(bytes(at + want - len(self.buf)))
            view = memoryview(self.buf)[at:at + want]
            try:
                got = self._read(view) if not self.error else 0
                if got < want:
                    view[got:] = bytes(want - got)
                if self._on_read is not None:
                    self._on_read(view)
            finally:
                view.release()
            self.end += want

    def _read(self, view: memoryview) -> int:
        got = 0
        while got < len(view):
            try:
                n = self._file.readinto(view[got:])
            except OSError as e:
                self.error = e.errno or errno.EIO
                return got
            if n == 0:
                self.error = errno.ENODATA  # shorter than when it was opened
                return got
            got += n
        return got

    def forget(self, low: int) -> None:
        """Bytes before offset low are no longer needed."""
        drop = low - self.base
        if drop >= _FORGET:
            live = self.end - low
            view = memoryview(self.buf)
            try:
                view[:live] = view[drop:drop + live]
            finally:
                view.release()
            self.base = low

    def finish(self) -> int:
        """The first errno of a read that failed (ENODATA: the file ended early), once
        every byte has been used; 0 when all could be read."""
        return self.error

    def close(self) -> None:
        """Done with the window (a mapped one lets go of its mapping)."""

    def get(self, off: int, n: int) -> bytes:
        """Bytes off..off+n (read first when the window does not reach them yet)."""
        if off + n > self.end:
            self.ensure(off + n)
        if off < self.base:
            raise ValueError(f"offset {off} was forgotten (the window starts at {self.base})")
        view = memoryview(self.buf)
        try:
            return view[off - self.base:off - self.base + n].tobytes()
        finally:
            view.release()
