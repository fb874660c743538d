"""--out-format and --log-file-format escapes (upstream: log.c log_formatted).

Each %-escape may carry a printf width (`%-10n`, `%10l`) and apostrophes asking for
digit grouping (`%'l`) or units (`%''l`). %n is the name (directories with '/'), %L
" -> target" for a symlink (" => name" for a hard link), %i the itemize string, %o the
operation (send, recv, del.), %l the length, %b/%c bytes moved for the file, %M its
mtime, %B its permissions, %U/%G its owner and group numbers, %f the full name, %t the
time now, %p our pid, %C the file's checksum (with -c the listed one, else the whole-file
sum of a transfer; spaces where there is none), %% a percent sign. Daemon-only escapes
(%h %a %m %P %u) are left as they are outside a daemon, as upstream does.
"""
import os
import time

from oc_core import Checksum, digest_len
from oc_flist.listing import escape_name, human_num, permstring, timestring
from oc_wire.flist_entry import FileEntry
from oc_wire.items import ITEM_DELETED, ITEM_TRANSFER, itemize

__all__ = ["format_item", "has_escape"]

# re is imported in the functions that use it: loading it costs each start ~5 ms
# a width is read to 23 characters at most (upstream: log.c, the 32-byte fmt less 8 and
# its '%'); a longer one leaves the escape as text from there
_ESCAPE = r"(?s)%('*)(-\d{0,22}|\d{0,23})('*)(.)"


def has_escape(fmt: str | None, letters: str) -> bool:
    """Whether fmt uses any of the escapes in letters (upstream stdout_format_has_i...)."""
    if not fmt:
        return False
    import re
    return any(m.group(4) in letters for m in re.finditer(_ESCAPE, fmt))


def format_item(fmt: str, e: FileEntry, iflags: int, op: str, *, sending: bool = False,
                nbytes: int = 0, hlink: bytes | None = None, name: bytes | None = None,
                links: bool = True, full: bytes | None = None,
                eight_bit: bool = False, times: bool = True, sums: tuple | None = None,
                digest: bytes | None = None) -> str:
    """One formatted line (without its newline) for entry e. full: the sender's own
    path of the file (%f); eight_bit: -8, high-bit bytes printed as they are; times:
    -t was given (a time change without it shows as 'T': set to the transfer's);
    sums: (checksum algorithm, protocol, -c) once negotiated, digest: the whole-file
    sum of the transfer (%C)."""
    import re
    def shown(raw: bytes) -> str:
        return escape_name(raw, eight_bit).decode("utf-8" if eight_bit else "ascii",
                                                  "surrogateescape")

    def expand(m: re.Match) -> str:
        humanize = len(m.group(1)) + len(m.group(3))
        width, code = m.group(2), m.group(4)
        if code in "nf":  # padded as the raw bytes, then escaped
            raw = _name(code, e, name, full)
            if width:
                n = int(width)
                raw = raw.ljust(-n) if n < 0 else raw.rjust(n)
            return shown(raw)
        if code == "C":
            text = None if sums is None else _checksum(e, iflags, sums, digest)
        else:
            text = _value(code, e, iflags, op, sending, nbytes, hlink, name, links,
                          humanize, width, shown, times)
        if text is None:
            return m.group(0)
        if width and code != "L":
            n = int(width)
            text = text.ljust(-n) if n < 0 else text.rjust(n)
        return text
    return re.sub(_ESCAPE, expand, fmt)


def _name(code: str, e: FileEntry, name: bytes | None, full: bytes | None) -> bytes:
    if code == "n":
        if e.name == b"." and e.is_dir():
            return b"./"
        return (name if name is not None else e.name) + (b"/" if e.is_dir() else b"")
    if full is None:
        return name or e.name
    if e.name == b"." and not full.endswith(b"/."):
        full = full.rstrip(b"/") + b"/."
    import re
    full = re.sub(rb"/(\./)+", b"/", re.sub(rb"//+", b"/", full))
    return full.lstrip(b"/") or b"."


def _checksum(e: FileEntry, iflags: int, sums: tuple, digest: bytes | None) -> str:
    """%C (upstream: log.c): with -c the listed checksum of a regular file that is not
    being deleted, else that of a transfer."""
    algo, protocol, listed = sums
    shown = None
    if e.is_reg():
        if listed and not iflags & ITEM_DELETED:
            shown = e.checksum
        elif iflags & ITEM_TRANSFER:
            shown = digest
    return _checksum_hex(algo, protocol, shown)


def _checksum_hex(algo: int, protocol: int, digest: bytes | None) -> str:
    """A checksum as upstream prints it (util2.c sum_as_hex): an xxHash sum as its number
    (bytes last to first), MD4 (from protocol 30), MD5 and SHA1 in byte order; none, a
    sum upstream does not print (the MD4 of protocols before 30, no checksum) as spaces
    as wide as the hex would be."""
    n = digest_len(algo) or 1
    if not digest or algo == Checksum.NONE or (algo == Checksum.MD4 and protocol < 30):
        return " " * (2 * n)
    xxh = algo in (Checksum.XXH64, Checksum.XXH3, Checksum.XXH128)
    return (digest[:n][::-1] if xxh else digest[:n]).hex()


def _value(code, e, iflags, op, sending, nbytes, hlink, name, links, humanize, width,
           shown, times):
    if code == "L":
        if hlink:
            arrow, target = " => ", shown(hlink)
        elif e.is_link() and links and name is None:
            arrow, target = " -> ", shown(e.link_target or b"")
        else:
            if not width:
                return ""
            arrow, target = "    ", ""
        if width:
            n = int(width)
            target = target.ljust(-n) if n < 0 else target.rjust(n)
        return arrow + target
    if code == "i":
        return itemize(iflags, e.mode, sending, times)
    if code == "o":
        return op
    if code == "l":
        return human_num(e.size, humanize)
    if code in "bc":
        moved = nbytes if iflags & ITEM_TRANSFER and code == "b" else 0
        return human_num(moved, humanize)
    if code == "M":
        return timestring(e.mtime).replace(" ", "-")
    if code == "B":
        return permstring(e.mode)[1:]
    if code == "U":
        return str(e.uid or 0)
    if code == "G":
        return str(e.gid) if e.gid is not None else "DEFAULT"
    if code == "t":
        return time.strftime("%Y/%m/%d %H:%M:%S")
    if code == "p":
        return str(os.getpid())
    if code == "%":
        return "%"
    return None

