"""A connection to the peer over two file descriptors, with rsync's multiplexing
(upstream: io.c). Output is non-blocking underneath: a reader waiting for input keeps
pushing out what is buffered as the peer takes it (upstream: perform_io), so neither side
waits for bytes the other still holds and two sides that both write a lot never block
each other; a writer that must wait for room holds the output lock meanwhile, and the
reading thread then just reads.

Before multiplexing starts both directions are raw. After start_mux_out() writes go out as
MSG_DATA frames (and send_msg sends other messages); after start_mux_in() reads take the
data of MSG_DATA frames and hand every other message to on_message.

--timeout=N (upstream: io.c check_timeout, maybe_send_keepalive): when nothing has come
in or gone out for N seconds the run ends with IoTimeout (exit 30); once multiplexing out,
a keep-alive thread sends an empty MSG_DATA frame whenever nothing was written for half
that time, so a peer with the same timeout does not give up on us while we work.
"""
import fcntl
import os
import select
import threading
import time

from oc_wire.chunks import Chunks
from oc_wire.errors import NEED_DATA, ProtocolError
from oc_wire.mux import MAX_FRAME, Demuxer, Msg, encode_frame, frame_header
from oc_wire.stream import PullReader

from .exitcodes import PeerExited, to_devnull

__all__ = ["Conn", "PeerClosed", "PeerExited", "IoTimeout", "Stopped", "check_error_exit"]

_OUT_LIMIT = 1 << 16
_IOV_MAX = 64  # pieces per writev
# A pipe holds 64 KiB unless told otherwise: the sender then stops every 64 KiB until
# the receiver has read, and both sides wait on each other about as long as they work
# (a pull of 5,000 small files: 1.9 s with 64 KiB pipes, 1.3 s with 1 MiB ones).
_PIPE_SIZE = 1 << 20  # (Linux's default pipe-max-size: allowed without privileges)
_READ_SIZE = 1 << 18  # bytes asked for at a time


class PeerClosed(ProtocolError):
    """The peer closed the connection where more data was due (upstream exit code 12,
    "connection unexpectedly closed")."""

    exit_code = 12

    def __init__(self, received: int, role: str):
        self.expected, self.offset, self.got = "more data", None, None
        Exception.__init__(self, f"connection unexpectedly closed ({received:,} bytes "
                                 f"received so far) [{role}]")


def check_error_exit(code: Msg, payload: bytes) -> None:
    """For an on_message handler: the peer's MSG_ERROR_EXIT ends us with its code."""
    if code is Msg.ERROR_EXIT and len(payload) == 4:
        raise PeerExited(int.from_bytes(payload, "little", signed=True))


class IoTimeout(ProtocolError):
    """--timeout expired (upstream exit code 30)."""

    exit_code = 30

    def __init__(self, seconds: int, role: str):
        self.expected, self.offset, self.got = "data within the timeout", None, None
        Exception.__init__(self, f"[{role}] io timeout after {seconds} seconds -- exiting")


class Stopped(ProtocolError):
    """Another thread of ours failed and ended the connection (abort): a read waiting
    for the peer gives up, and that thread's error is the one reported."""

    exit_code = 12

    def __init__(self, role: str):
        self.expected, self.offset, self.got = "more data", None, None
        Exception.__init__(self, f"connection stopped after an error [{role}]")


class Conn:
    def __init__(self, fd_in: int, fd_out: int, on_message=None, role: str = "Receiver"):
        self.role = role
        self.fd_in, self.fd_out = fd_in, fd_out
        self.on_message = on_message or (lambda code, payload: None)
        self.mux_out = self.mux_in = False
        self.stopped = False  # abort() was called
        self._out: list[bytes] = []  # data written, not framed yet (_out_len bytes)
        self._out_len = 0
        self._wbuf = Chunks()  # bytes as they go on the wire, not written yet
        os.set_blocking(fd_out, False)
        for fd in {fd_in, fd_out}:
            _widen_pipe(fd)
        self._raw = Chunks()   # bytes read from fd_in, not yet parsed
        self._data = Chunks()  # demultiplexed data not yet consumed
        self._demux = Demuxer()
        self.bytes_read = self.bytes_written = 0
        self._setup_in = self._setup_out = 0  # what count_from_here() leaves out
        # --write-batch: data read (a receiver) or written (a sender) is also recorded
        self.tee_in = self.tee_out = None
        self.reader = PullReader(self.read, peek=self.peek, consume=self.skip, head=self.head)
        self._lock = threading.RLock()  # a generator thread writes while the receiver reads
        self._reader: threading.Thread | None = None  # the thread that reads
        self.timeout = 0
        self.bwlimit = 0
        self.forwarding = False  # forward() owns the output
        self.one_frame = False   # _pump stops after each data frame
        self.before_wait = None  # called by the reading thread before it waits for input
        self.last_in = self.last_out = time.monotonic()
        self._keepalive: threading.Thread | None = None

    def count_from_here(self) -> None:
        """The set-up exchange is over: the byte counts rsync reports (counted_in and
        counted_out: "sent N bytes  received M bytes", the stats a server sender sends)
        leave it out, as upstream reads and writes it unbuffered, uncounted (io.c
        read_buf and write_buf before buffering starts)."""
        self.flush()
        self._setup_in, self._setup_out = self.reader.offset, self.bytes_written

    @property
    def counted_in(self) -> int:
        return self.bytes_read - self._setup_in

    @property
    def counted_out(self) -> int:
        return self.bytes_written - self._setup_out

    def set_bwlimit(self, rate: int) -> None:
        """--bwlimit: at most rate bytes per second of output, on average (upstream:
        io.c sleep_for_bwlimit)."""
        self.bwlimit = rate
        self._bw_start, self._bw_base = time.monotonic(), self.bytes_written

    def _throttle(self) -> None:
        due = self._bw_start + (self.bytes_written - self._bw_base) / self.bwlimit
        ahead = due - time.monotonic()
        if ahead > 0.01:
            time.sleep(ahead)

    def set_timeout(self, seconds: int) -> None:
        """--timeout: seconds without I/O before giving up (0: never)."""
        self.timeout = seconds
        if seconds and self._keepalive is None:
            self._keepalive = threading.Thread(target=self._keep_alive, daemon=True,
                                               name="oc-keepalive")
            self._keepalive.start()

    def _keep_alive(self) -> None:
        lull = (self.timeout + 1) // 2
        while True:
            time.sleep(max(0.5, lull / 4))
            if not self.mux_out or self.forwarding or time.monotonic() - self.last_out < lull:
                continue
            try:
                with self._lock:
                    if time.monotonic() - self.last_out >= lull:
                        self._flush_data()
                        self._write_fd(encode_frame(Msg.DATA, b""))
            except (OSError, ProtocolError):
                return

    # --- output ---
    def write(self, data: bytes) -> None:
        with self._lock:
            if type(data) is not bytes:  # (the caller may reuse its buffer)
                data = bytes(data)
            if self.tee_out is not None:
                self.tee_out(data)
            self._out.append(data)
            self._out_len += len(data)
            if self._out_len >= _OUT_LIMIT:
                self._flush_data()

    def send_msg(self, code: Msg, payload: bytes = b"") -> None:
        with self._lock:
            self._flush_data()
            self._write_fd(encode_frame(code, payload))

    def start_forward(self, data: bytes, protocol: int) -> None:
        """--files-from names for a remote sender, written on a thread of their own while
        this one reads the file list (upstream: io.c start_filesfrom_forwarding)."""
        self.flush()
        threading.Thread(target=self.forward, args=(data, protocol >= 31), daemon=True).start()

    def forward(self, data: bytes, muxed: bool) -> None:
        """The forwarding itself (upstream: io.c forward_filesfrom_data). Below protocol
        31 the names go unframed even when output is multiplexed. Nothing else writes
        meanwhile: start_forward flushed, and keep-alives wait."""
        self.forwarding = True
        try:
            for i in range(0, len(data), MAX_FRAME):
                piece = data[i:i + MAX_FRAME]
                with self._lock:
                    self._write_fd(encode_frame(Msg.DATA, piece) if muxed else piece)
        except ProtocolError:
            pass  # the reader sees the closed connection
        finally:
            self.forwarding = False

    def abort(self) -> None:
        """Stop talking: our output ends, so the peer sees the end and stops too (when
        nothing else holds the connection open: a remote shell's own process may), and
        a thread of ours waiting for input stops waiting (Stopped)."""
        self.stopped = True
        to_devnull(self.fd_out)

    def start_mux_out(self) -> None:
        self.flush()
        self.mux_out = True

    def _frame(self) -> None:
        """Move the buffered data to the write buffer, framed when multiplexing."""
        if not self._out_len:
            return
        data = self._out[0] if len(self._out) == 1 else b"".join(self._out)
        self._out, self._out_len = [], 0
        if not self.mux_out:
            self._wbuf.append(data)
            return
        for i in range(0, len(data), MAX_FRAME):  # the header and the payload go out
            piece = data[i:i + MAX_FRAME] if len(data) > MAX_FRAME else data  # side by side
            self._wbuf.append(frame_header(Msg.DATA, len(piece)))
            self._wbuf.append(piece)

    def _flush_data(self) -> None:
        self._frame()
        self._push(True)

    def flush(self) -> None:
        with self._lock:
            self._flush_data()

    def _write_fd(self, data: bytes) -> None:
        self._wbuf.append(data)
        self._push(True)

    def _push(self, block: bool) -> None:
        """Write the write buffer out (the caller holds the lock); block=False: only as
        much as the peer takes now."""
        while self._wbuf:
            try:
                n = os.writev(self.fd_out, self._wbuf.views(_IOV_MAX))
            except BlockingIOError:
                if not block:
                    return
                _poll(None, self.fd_out, None)
                continue
            except BrokenPipeError:
                self._last_words()
                raise PeerClosed(self.bytes_read, self.role) from None
            self._wbuf.drop(n)
            self.bytes_written += n
            self.last_out = time.monotonic()
            if self.bwlimit:
                self._throttle()

    def _last_words(self) -> None:
        """The peer hung up while we wrote: what it said before (its error messages,
        a MSG_ERROR_EXIT) is still to be read, when this thread is the one reading."""
        if not self.mux_in or self._reader is not threading.current_thread():
            return
        try:  # (a peer that has exited has closed its end: the reads end soon)
            while _poll(self.fd_in, None, 5)[0] and (chunk := os.read(self.fd_in, 1 << 16)):
                self._demux.receive_data(chunk)
            self._pump()
        except OSError:
            pass

    def _push_some(self) -> bool:
        """From the reading side: what the peer takes now, unless another thread is
        writing; True while output is still waiting here."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._frame()
            self._push(False)
            return bool(self._wbuf)
        finally:
            self._lock.release()

    # --- input ---
    def start_mux_in(self) -> None:
        self.mux_in = True
        self._demux.receive_data(self._raw.take(len(self._raw)))

    def _fill(self) -> bool:
        """Read more from fd_in (pushing our output meanwhile); False at end of input."""
        self._reader = threading.current_thread()
        if self.before_wait is not None:
            self.before_wait()
        while True:
            self._wait_readable()
            try:
                chunk = os.read(self.fd_in, _READ_SIZE)
            except BlockingIOError:
                continue
            break
        if not chunk:
            return False
        self.bytes_read += len(chunk)
        self.last_in = time.monotonic()
        if self.mux_in:
            self._demux.receive_data(chunk)
        else:
            self._raw.append(chunk)
        return True

    def _wait_readable(self) -> None:
        """Block until input is ready, writing our output as the peer takes it (checked
        again every 0.2 s, as another thread may add some); IoTimeout once neither input
        nor output has moved for --timeout (the other thread's writes count, as
        upstream's last_io_out)."""
        while True:
            if self.stopped:
                raise Stopped(self.role)
            pending = self._push_some()
            wait = 0.2
            if self.timeout:
                idle = time.monotonic() - max(self.last_in, self.last_out)
                if idle >= self.timeout:
                    raise IoTimeout(int(idle), self.role)
                wait = min(wait, self.timeout - idle)
            if _poll(self.fd_in, self.fd_out if pending else None, wait)[0]:
                return

    def _pump(self) -> None:
        while (frame := self._demux.next_event()) is not NEED_DATA:
            if frame.code is Msg.DATA:
                self._data.append(frame.payload)
                if self.one_frame:  # unframed bytes may follow this one
                    return
            else:
                self.on_message(frame.code, frame.payload)

    def take_messages(self) -> None:
        """Handle the messages that have already come (the reading thread only): a
        sender logs a file after them, as upstream's perform_io reads input while it
        writes (a generator's notes on later files come before the name)."""
        if not self.mux_in or self._reader is not threading.current_thread():
            return
        while _poll(self.fd_in, None, 0)[0] and self._fill():
            pass
        self._pump()

    def input_ready(self) -> bool:
        """Whether data is waiting to be read (parsed, or on the file descriptor); a
        sender with more file lists to send sends one instead of waiting (upstream:
        io.c perform_io with extra_flist_sending_enabled)."""
        if self.mux_in:
            self._pump()
        if self._data if self.mux_in else self._raw:
            return True
        return _poll(self.fd_in, None, 0)[0]

    def pause_mux_in(self) -> None:
        """Read unframed until resume_mux_in (protocol 30's --files-from names; the
        frames before must have been read with one_frame set)."""
        self._raw = Chunks(self._data.take(len(self._data)))
        self._raw.append(self._demux.take_pending())
        self.mux_in = False

    def resume_mux_in(self) -> None:
        self._demux = Demuxer()
        self.mux_in = True
        self._demux.receive_data(self._raw.take(len(self._raw)))

    def error_exit(self, code: int, protocol: int) -> None:
        """A fatal error's end from protocol 31 (its messages sent first): MSG_ERROR_EXIT
        with the code, then input is read until the peer hangs up, so it reads all we
        said (upstream: cleanup.c _exit_cleanup; not for I/O, protocol, signal or
        timeout codes)."""
        if self.mux_out and protocol >= 31 and code not in (10, 12, 20, 30):
            self.send_msg(Msg.ERROR_EXIT, code.to_bytes(4, "little"))
            self.wait_for_close()

    def wait_for_close(self) -> None:
        """Read and drop input until the peer hangs up (upstream: io.c
        noop_io_until_death)."""
        self.flush()
        self.on_message = lambda code, payload: None
        while self._fill():
            self._data.clear()
            self._raw.clear()
            if self.mux_in:
                self._demux = Demuxer()

    def _input(self, n: int, least: int) -> Chunks:
        """The input buffer (data, when multiplexing) once it holds at least `least`
        bytes, frames parsed while it holds fewer than n; PeerClosed when the input ends
        first."""
        while True:
            src = self._data if self.mux_in else self._raw
            if self.mux_in and len(src) < n:  # frames are parsed as the data runs out
                self._pump()
            if len(src) >= least:
                return src
            if not self._fill():
                raise PeerClosed(self.bytes_read, self.role)

    def read(self, n: int) -> bytes:
        """Up to n bytes of data; PeerClosed at the end of input."""
        src = self._data if self.mux_in else self._raw
        if src.size >= n and self.tee_in is None:  # (most reads: already parsed)
            return src.take(n)
        return self.consume(n, self._input(n, 1))

    def peek(self, n: int, most: int | None = None) -> bytes:
        """What input is buffered, at least n bytes (at most `most`), without consuming
        it."""
        src = self._input(n, n)
        return src.peek(len(src) if most is None else max(n, most))

    def head(self) -> memoryview:
        """Input already here, from its start, as far as it lies in one piece (no copy,
        no waiting; possibly empty)."""
        if self.mux_in and not self._data:
            self._pump()
        return (self._data if self.mux_in else self._raw).head()

    def skip(self, n: int) -> None:
        """consume() without building the bytes (unless --write-batch records them)."""
        if self.tee_in is not None:
            self.consume(n)
        else:
            (self._data if self.mux_in else self._raw).drop(n)

    def consume(self, n: int, src: Chunks | None = None) -> bytes:
        """Take the first n bytes of the input buffer (as peek() showed them)."""
        if src is None:
            src = self._data if self.mux_in else self._raw
        data = src.take(n)
        if self.tee_in is not None:
            self.tee_in(data)
        return data

def _widen_pipe(fd: int) -> None:
    """Make the pipe at fd hold _PIPE_SIZE bytes, when it is a pipe and the system
    allows it (a socket, or a user past the pipe-user-pages limits, stays as it is)."""
    try:
        if fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) < _PIPE_SIZE:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except OSError:
        pass


def _poll(fd_in: int | None, fd_out: int | None, timeout: float | None) -> tuple[bool, bool]:
    """(readable, writable) within timeout seconds (None: wait); poll, not select, so
    descriptors above FD_SETSIZE work. An end of input or an error counts as readable."""
    masks: dict[int, int] = {}
    if fd_in is not None:
        masks[fd_in] = select.POLLIN
    if fd_out is not None:
        masks[fd_out] = masks.get(fd_out, 0) | select.POLLOUT
    p = select.poll()
    for fd, mask in masks.items():
        p.register(fd, mask)
    events = p.poll(None if timeout is None else timeout * 1000)
    readable = any(fd == fd_in and ev & (select.POLLIN | select.POLLHUP | select.POLLERR)
                   for fd, ev in events)
    writable = any(fd == fd_out and ev & (select.POLLOUT | select.POLLERR | select.POLLHUP)
                   for fd, ev in events)
    return readable, writable
