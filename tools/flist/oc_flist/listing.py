"""rsync's --list-only lines (upstream: generator.c list_file_entry, lib/permstring.c,
util2.c do_big_num, util1.c timestring, log.c filtered_fwrite).

`PERMS SIZE DATE TIME NAME[ -> TARGET]`: ls-style permissions, the size right-aligned in 14
columns with thousands separators (11 and no separators with --no-human-readable; -h and
-hh switch to K/M/G units of 1000 or 1024), the mtime in local time as YYYY/MM/DD
HH:MM:SS, then the name. A symlink shows its target only when links are preserved (-l).
Control bytes, bytes that are not printable ASCII (unless -8), and a backslash that would
read as an escape are written as \\#ooo.
"""
import stat
import time

from oc_wire.flist_entry import FileEntry

__all__ = ["permstring", "human_num", "human_dnum", "timestring", "escape_name", "list_line"]

_PERM = "rwxrwxrwx"
def permstring(mode: int) -> str:
    p = ["-"] * 10
    for i in range(9):
        if mode & (1 << i):
            p[9 - i] = _PERM[8 - i]
    if mode & stat.S_ISUID:
        p[3] = "s" if mode & stat.S_IXUSR else "S"
    if mode & stat.S_ISGID:
        p[6] = "s" if mode & stat.S_IXGRP else "S"
    if mode & stat.S_ISVTX:
        p[9] = "t" if mode & stat.S_IXOTH else "T"
    for test, ch in ((stat.S_ISDIR, "d"), (stat.S_ISLNK, "l"), (stat.S_ISBLK, "b"),
                     (stat.S_ISCHR, "c"), (stat.S_ISSOCK, "s"), (stat.S_ISFIFO, "p")):
        if test(mode):
            p[0] = ch
            break
    return "".join(p)


def human_num(num: int, human: int = 1) -> str:
    """upstream do_big_num: 0 plain digits, 1 with ',' separators, 2/3 units of 1000/1024."""
    if human > 1:
        mult = 1000 if human == 2 else 1024
        if abs(num) >= mult:
            d, units = abs(num) / mult, "KMGTP"
            while d >= mult and len(units) > 1:
                d, units = d / mult, units[1:]
            return f"{-d if num < 0 else d:.2f}{units[0]}"
    return f"{num:,}" if human else str(num)


def human_dnum(num: float, human: int, digits: int) -> str:
    """upstream do_big_dnum: below 1000 (or at level 0) the plain decimal, else the
    integer part as human_num gives it (units at 2/3), the fraction kept without units."""
    text = f"{num:.{digits}f}"
    if not human or -1000.0 < num < 1000.0:
        return text
    whole = human_num(int(num), human)
    return whole if whole[-1:].isalpha() else whole + text[len(text.split(".")[0]):]


def timestring(t: int) -> str:
    try:
        tm = time.localtime(t)
    except (OverflowError, OSError, ValueError):
        return "(time out of range)"
    return (f"{tm.tm_year:4d}/{tm.tm_mon:02d}/{tm.tm_mday:02d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}")


def escape_name(name: bytes, allow_8bit: bool = False) -> bytes:
    out = bytearray()
    for i, c in enumerate(name):
        if ((c == 0x5C and i < len(name) - 4 and name[i + 1] == 0x23  # \#ddd itself
             and name[i + 2:i + 5].isdigit())
                or (c != 0x09 and (c < 0x20 or (not allow_8bit and c > 0x7E)))):
            out += b"\\#%03o" % c
        else:
            out.append(c)
    return bytes(out)


def list_line(e: FileEntry, human: int = 1, preserve_links: bool = False,
              allow_8bit: bool = False) -> bytes:
    """One line, without its newline."""
    size = human_num(e.size, human)
    width = 14 if human else 11
    line = f"{permstring(e.mode)} {size:>{width}} {timestring(e.mtime)} ".encode()
    line += escape_name(e.name, allow_8bit)
    if preserve_links and e.is_link():
        line += b" -> " + escape_name(e.link_target or b"", allow_8bit)
    return line
