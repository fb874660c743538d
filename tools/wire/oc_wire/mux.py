"""Multiplexed frames (upstream: io.c send_msg, read_a_msg; rsync.h MSG_* and MPLEX_BASE).

A frame is a 4-byte little-endian header, ((MPLEX_BASE + code) << 24) | length, then
`length` bytes (at most 0xFFFFFF). MSG_DATA carries the protocol stream; the others carry
log text or small fixed-size values, whose sizes upstream checks and so do we.
"""
from oc_core.consts import IntConst
from oc_core.record import record

from .chunks import Chunks
from .errors import NEED_DATA, LimitError, ProtocolError

__all__ = ["MPLEX_BASE", "MAX_FRAME", "Msg", "Frame", "frame_header", "encode_frame",
           "Demuxer"]

MPLEX_BASE = 7
MAX_FRAME = 0xFFFFFF
MAX_TEXT = 4096 + 1024  # upstream BIGPATHBUFLEN: the buffer log messages are read into


class Msg(IntConst):
    DATA = 0
    ERROR_XFER = 1
    INFO = 2
    ERROR = 3
    WARNING = 4
    ERROR_SOCKET = 5
    LOG = 6
    CLIENT = 7
    ERROR_UTF8 = 8
    REDO = 9
    STATS = 10
    IO_ERROR = 22
    IO_TIMEOUT = 33
    NOOP = 42
    ERROR_EXIT = 86
    SUCCESS = 100
    DELETED = 101
    NO_SEND = 102


_FIXED = {Msg.REDO: (4,), Msg.IO_ERROR: (4,), Msg.IO_TIMEOUT: (4,), Msg.NOOP: (0,),
          Msg.STATS: (8,), Msg.ERROR_EXIT: (0, 4), Msg.SUCCESS: (4, 20), Msg.NO_SEND: (4,)}
_TEXT = {Msg.ERROR_XFER, Msg.INFO, Msg.ERROR, Msg.WARNING, Msg.ERROR_SOCKET, Msg.LOG,
         Msg.CLIENT, Msg.ERROR_UTF8, Msg.DELETED}


@record(frozen=True, slots=True)
class Frame:
    code: Msg
    payload: bytes


def frame_header(code: Msg, length: int) -> bytes:
    """The 4 bytes before a payload of `length` (at most 0xFFFFFF) bytes."""
    if length > MAX_FRAME:
        raise ValueError("a multiplexed frame carries at most 0xFFFFFF bytes")
    return (((MPLEX_BASE + code) << 24) | length).to_bytes(4, "little")


def encode_frame(code: Msg, payload: bytes = b"") -> bytes:
    """One frame; payloads over 0xFFFFFF bytes must be split by the caller (MSG_DATA)."""
    return frame_header(code, len(payload)) + payload


_BY_TAG = {int(m): m for m in Msg}


class Demuxer:
    """receive_data(bytes); next_event() -> Frame or NEED_DATA; typed errors with offsets."""

    def __init__(self):
        self._buf = Chunks()
        self._base = 0

    def receive_data(self, data: bytes) -> None:
        self._buf.append(data)

    def pending(self) -> int:
        """Bytes received that do not yet make a whole frame."""
        return len(self._buf)

    def take_pending(self) -> bytes:
        """Hand back the bytes not parsed yet (the stream stops being multiplexed)."""
        data = self._buf.take(len(self._buf))
        self._base += len(data)
        return data

    def next_event(self):
        buf = self._buf
        if len(buf) < 4:
            return NEED_DATA
        word = int.from_bytes(buf.peek(4), "little")
        tag, length = (word >> 24) - MPLEX_BASE, word & MAX_FRAME
        code = _BY_TAG.get(tag)
        if code is None:
            raise ProtocolError("a multiplexed frame with a known MSG_ code", self._base,
                                f"tag {tag}")
        if code in _FIXED and length not in _FIXED[code]:
            raise ProtocolError(f"MSG_{code.name} of {_FIXED[code]} bytes", self._base,
                                str(length))
        if code in _TEXT and length >= MAX_TEXT:
            raise LimitError(f"MSG_{code.name} text under {MAX_TEXT} bytes", self._base,
                             str(length))
        if len(buf) < 4 + length:
            return NEED_DATA
        buf.take(4)
        self._base += 4 + length
        return Frame(code, buf.take(length))
