"""Item flags: what the generator says about each file (upstream: rsync.h ITEM_*,
FNAMECMP_*; log.c log_formatted's %i for the itemize string).

On the wire they are a 16-bit shortint after the ndx (protocol >= 29), followed by a basis
type byte (ITEM_BASIS_TYPE_FOLLOWS) and a vstring (ITEM_XNAME_FOLLOWS) when flagged; the
bits above 15 exist only inside rsync.
"""
import stat

__all__ = ["ITEM_REPORT_ATIME", "ITEM_REPORT_CHANGE", "ITEM_REPORT_SIZE",
           "ITEM_REPORT_TIMEFAIL", "ITEM_REPORT_TIME", "ITEM_REPORT_PERMS",
           "ITEM_REPORT_OWNER", "ITEM_REPORT_GROUP", "ITEM_REPORT_ACL", "ITEM_REPORT_XATTR",
           "ITEM_REPORT_CRTIME", "ITEM_BASIS_TYPE_FOLLOWS", "ITEM_XNAME_FOLLOWS",
           "ITEM_IS_NEW", "ITEM_LOCAL_CHANGE", "ITEM_TRANSFER", "ITEM_MISSING_DATA",
           "ITEM_DELETED", "SIGNIFICANT_ITEM_FLAGS", "FNAMECMP_FNAME",
           "FNAMECMP_PARTIAL_DIR", "FNAMECMP_BACKUP", "FNAMECMP_FUZZY", "itemize"]

ITEM_REPORT_ATIME = 1 << 0
ITEM_REPORT_CHANGE = 1 << 1
ITEM_REPORT_SIZE = 1 << 2      # regular files
ITEM_REPORT_TIMEFAIL = 1 << 2  # symlinks
ITEM_REPORT_TIME = 1 << 3
ITEM_REPORT_PERMS = 1 << 4
ITEM_REPORT_OWNER = 1 << 5
ITEM_REPORT_GROUP = 1 << 6
ITEM_REPORT_ACL = 1 << 7
ITEM_REPORT_XATTR = 1 << 8
ITEM_REPORT_CRTIME = 1 << 10
ITEM_BASIS_TYPE_FOLLOWS = 1 << 11
ITEM_XNAME_FOLLOWS = 1 << 12
ITEM_IS_NEW = 1 << 13
ITEM_LOCAL_CHANGE = 1 << 14
ITEM_TRANSFER = 1 << 15
ITEM_MISSING_DATA = 1 << 16  # local only
ITEM_DELETED = 1 << 17       # local only
SIGNIFICANT_ITEM_FLAGS = ~(ITEM_BASIS_TYPE_FOLLOWS | ITEM_XNAME_FOLLOWS | ITEM_LOCAL_CHANGE)

FNAMECMP_FNAME = 0x80
FNAMECMP_PARTIAL_DIR = 0x81
FNAMECMP_BACKUP = 0x82
FNAMECMP_FUZZY = 0x83


def itemize(iflags: int, mode: int, sending: bool, preserve_mtimes: bool = True,
            symlink_times: bool = True, local: bool = False) -> str:
    """The 11-character %i string: update type, file type, then c s t p o g u/n/b a x
    (`*deleting  ` for deletions). sending: this side sends (shows '<')."""
    if iflags & ITEM_DELETED:
        return "*deleting  "
    if iflags & ITEM_LOCAL_CHANGE:
        kind = "h" if iflags & ITEM_XNAME_FOLLOWS else "c"
    elif not iflags & ITEM_TRANSFER:
        kind = "."
    else:
        kind = "<" if sending and not local else ">"
    c = [kind, "", "", "", "", "", "", "", "", "", ""]
    if stat.S_ISLNK(mode):
        c[1], c[3] = "L", "."
        c[4] = ("." if not iflags & ITEM_REPORT_TIME
                else "T" if (not preserve_mtimes or not symlink_times
                             or iflags & ITEM_REPORT_TIMEFAIL) else "t")
    else:
        c[1] = ("d" if stat.S_ISDIR(mode) else "S" if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
                else "D" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "f")
        c[3] = "s" if iflags & ITEM_REPORT_SIZE else "."
        c[4] = "." if not iflags & ITEM_REPORT_TIME else "t" if preserve_mtimes else "T"
    c[2] = "c" if iflags & ITEM_REPORT_CHANGE else "."
    c[5] = "p" if iflags & ITEM_REPORT_PERMS else "."
    c[6] = "o" if iflags & ITEM_REPORT_OWNER else "."
    c[7] = "g" if iflags & ITEM_REPORT_GROUP else "."
    times = iflags & (ITEM_REPORT_ATIME | ITEM_REPORT_CRTIME)
    c[8] = ("." if not times else "b" if times == ITEM_REPORT_ATIME | ITEM_REPORT_CRTIME
            else "u" if times & ITEM_REPORT_ATIME else "n")
    c[9] = "a" if iflags & ITEM_REPORT_ACL else "."
    c[10] = "x" if iflags & ITEM_REPORT_XATTR else "."
    if iflags & (ITEM_IS_NEW | ITEM_MISSING_DATA):
        fill = "+" if iflags & ITEM_IS_NEW else "?"
        c[2:] = [fill] * 9
    elif kind in ".hc" and all(x == "." for x in c[2:]):
        c[2:] = [" "] * 9
    return "".join(c)
