"""--chmod: permission changes applied to the modes a file list carries (upstream:
chmod.c parse_chmod, tweak_mode; the sender applies them as it lists, a receiving
client as it reads the list).

A spec is comma-separated items, each `[D|F][ugoa...][+|-|=][rwxXst...|u|g|o]` or an
octal number (`D`: directories only, `F`: everything else; no who: all, less the
umask, as chmod(1); `X`: execute only where some execute bit was set, or for a
directory; `=u` and the like copy another class's bits). Symlinks keep their mode.
"""
from collections import namedtuple

__all__ = ["ChmodItem", "parse_chmod", "tweak_mode", "tweak_entry"]

CHMOD_BITS = 0o7777
_X_KEEP, _DIRS_ONLY, _FILES_ONLY = 1, 2, 4
_ADD, _SUB, _EQ, _SET = 1, 2, 3, 4
_S_IFDIR = 0o040000


# copy_src: the classes whose bits are copied (0o100 u, 0o010 g, 0o001 o) into copy_dst
ChmodItem = namedtuple("ChmodItem", "mode_and mode_or copy_src copy_dst copy_and op flags")


def _special_bits(where: int) -> int:
    return ((0o4000 if where & 0o100 else 0) | (0o2000 if where & 0o010 else 0)
            | (0o1000 if where & 0o001 else 0))


def _item(where: int, what: int, op: int, topbits: int, topoct: int, flags: int,
          copybits: int, umask: int) -> ChmodItem:
    specified = where
    if where:
        bits = where * what
    else:
        where = 0o111
        bits = (where * what) & ~umask
    copy_and = CHMOD_BITS if specified else ~umask
    if op == _ADD:
        return ChmodItem(CHMOD_BITS, bits + topoct, copybits, where, copy_and, op, flags)
    if op == _SUB:
        return ChmodItem(CHMOD_BITS - bits - topoct, 0, copybits, where, copy_and, op, flags)
    if op == _EQ:
        keep = CHMOD_BITS - where * 7 - (topbits if topoct else 0) \
            - (_special_bits(where) if copybits else 0)
        return ChmodItem(keep, bits + topoct, copybits, where, copy_and, op, flags)
    return ChmodItem(0, bits, 0, 0, CHMOD_BITS, op, flags)  # an octal mode


def parse_chmod(spec: str, umask: int) -> tuple[ChmodItem, ...] | None:
    """The items of one --chmod value, None when it is not a valid spec."""
    items: list[ChmodItem] = []
    for part in spec.split(","):
        where = what = op = topbits = topoct = flags = copybits = 0
        octal = False
        for c in part:
            if octal:
                if not ("0" <= c <= "7"):
                    return None
                what = what * 8 + int(c)
                if what > CHMOD_BITS:
                    return None
            elif not op:  # who, and the operator
                if c == "D" and not flags & _FILES_ONLY:
                    flags |= _DIRS_ONLY
                elif c == "F" and not flags & _DIRS_ONLY:
                    flags |= _FILES_ONLY
                elif c in "ugoa":
                    where |= {"u": 0o100, "g": 0o010, "o": 0o001, "a": 0o111}[c]
                    topbits |= {"u": 0o4000, "g": 0o2000, "o": 0, "a": 0o6000}[c]
                elif c in "+-=":
                    op = {"+": _ADD, "-": _SUB, "=": _EQ}[c]
                elif "0" <= c <= "7" and not where:
                    op, octal, where, what = _SET, True, 1, int(c)
                else:
                    return None
            elif c in "rwxXst":  # what, after the operator
                if copybits:
                    return None
                if c == "s":
                    topoct = topoct | topbits if topbits else 0o4000
                elif c == "t":
                    topoct |= 0o1000
                else:
                    what |= {"r": 4, "w": 2, "x": 1, "X": 1}[c]
                    if c == "X":
                        flags |= _X_KEEP
            elif c in "ugo":  # another class's bits
                if what or topoct or copybits:
                    return None
                copybits = {"u": 0o100, "g": 0o010, "o": 0o001}[c]
            else:
                return None
        if not op:
            return None
        items.append(_item(where, what, op, topbits, topoct, flags, copybits, umask))
    return tuple(items)


def _copied(mode: int, it: ChmodItem) -> int:
    bits = 0
    for cls, shift in ((0o100, 6), (0o010, 3), (0o001, 0)):
        if it.copy_src & cls:
            bits |= (mode >> shift) & 7
    return (it.copy_dst * bits) & it.copy_and


def tweak_mode(mode: int, items: tuple[ChmodItem, ...]) -> int:
    """mode changed by the items in order (the file type bits stay)."""
    had_x = mode & 0o111
    kind = mode & ~CHMOD_BITS
    is_dir = kind & 0o170000 == _S_IFDIR
    for it in items:
        if (it.flags & _DIRS_ONLY and not is_dir) or (it.flags & _FILES_ONLY and is_dir):
            continue
        copy = _copied(mode, it)
        mode &= it.mode_and
        if it.flags & _X_KEEP and not had_x and not is_dir:
            mode |= it.mode_or & ~0o111
        else:
            mode |= it.mode_or
        if it.op == _SUB:
            mode &= CHMOD_BITS - copy
        else:
            mode |= copy
    return mode | kind


def tweak_entry(e, items: tuple[ChmodItem, ...]) -> None:
    """A listed entry's mode changed by the items; a symlink's never (upstream: flist.c
    make_file and recv_file_entry)."""
    if items and e.mode and e.mode & 0o170000 != 0o120000:
        e.mode = tweak_mode(e.mode, items)
