"""Typed errors and the NEED_DATA sentinel shared by every sans-I/O codec.

A decoder never raises anything but these for bad input: ProtocolError when the peer's
bytes are wrong (it names the offset and what was expected), NeedData (internal to
decoders, never escapes next_event) when the bytes so far end mid-item.
"""

__all__ = ["NEED_DATA", "NeedData", "OcError", "ProtocolError", "LimitError", "DataError",
           "exit_code_for", "report", "EXIT_SYNTAX", "EXIT_PROTOCOL", "EXIT_FILEIO",
           "EXIT_STREAMIO"]


class _NeedDataType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedDataType()
"""Returned by next_event() when more bytes are needed to finish the next event."""


class OcError(Exception):
    """Base of every error oc-rsync raises on purpose. plain: the text is the whole
    message as upstream prints it (its own prefix included, if it has one), so nothing
    is put in front of it."""

    plain = False


class NeedData(OcError):
    """Raised inside a decoder when the buffer ends mid-item; turned into NEED_DATA."""


class ProtocolError(OcError):
    """The bytes are not what the protocol allows here.

    offset: byte offset in the decoded stream where the problem starts (None if unknown).
    expected: what the decoder expected, in words.
    """

    def __init__(self, expected: str, offset: int | None = None, got: str | None = None):
        self.expected = expected
        self.offset = offset
        self.got = got
        where = f" at offset {offset}" if offset is not None else ""
        found = f", got {got}" if got is not None else ""
        super().__init__(f"expected {expected}{where}{found}")


class LimitError(ProtocolError):
    """A length or count in the stream exceeds the bound we accept before allocating."""


class DataError(OcError):
    """The data is consistent as bytes but wrong as content (checksum mismatch, wrong basis)."""


# upstream errcode.h values the stage tools use
EXIT_SYNTAX = 1
EXIT_PROTOCOL = 2
EXIT_FILEIO = 11
EXIT_STREAMIO = 12


def exit_code_for(exc: BaseException) -> int:
    """The upstream exit code for an error a tool reports."""
    if isinstance(exc, ProtocolError):
        return EXIT_PROTOCOL
    if isinstance(exc, DataError):
        return EXIT_STREAMIO
    if isinstance(exc, OSError):
        return EXIT_FILEIO
    return EXIT_SYNTAX


def report(prog: str, exc: BaseException, stderr) -> int:
    """Write `prog: message` to stderr (one line) and return the exit code for exc."""
    stderr.write(f"{prog}: {exc}\n")
    return exit_code_for(exc)
