"""The order of a file list, which file indexes refer to (upstream: flist.c f_name_cmp,
flist_sort_and_clean).

Facts as upstream has them: a path is compared as its directory name, a '/', then its base
name, byte by byte (unsigned). Within one directory, files sort before directories (from
protocol 29; before that directories are plain items), and a directory compares as if its
name ended in '/'. A directory named "." is an item with an empty name, so it sorts first.
Entries with the same directory name skip straight to their base names.
"""
import functools
import stat

from .flist_entry import FileEntry

__all__ = ["f_name_cmp", "sort_key", "cmp_sort_key", "sorted_list"]

_PATH, _ITEM = 0, 1
_DIR, _SLASH, _BASE, _TRAILING = range(4)


def _split(name: bytes) -> tuple[bytes | None, bytes]:
    head, sep, tail = name.rpartition(b"/")
    return (head if sep else None), tail


class _Side:
    """One operand's walk through dirname, '/', basename, trailing '/'."""

    __slots__ = ("dirname", "base", "is_dir", "t_path", "type", "state", "s", "i")

    def __init__(self, dirname, base, is_dir, t_path, skip_dir):
        self.dirname, self.base, self.is_dir, self.t_path = dirname, base, is_dir, t_path
        if dirname is None or skip_dir:
            self._enter_base()
        else:
            self.type, self.state, self.s, self.i = t_path, _DIR, dirname, 0

    def _enter_base(self):
        self.type = self.t_path if self.is_dir else _ITEM
        self.s, self.i = self.base, 0
        if self.type == _PATH and self.base == b".":
            self.type, self.state, self.s = _ITEM, _TRAILING, b""
        else:
            self.state = _BASE

    def at_end(self) -> bool:
        return self.i >= len(self.s)

    def cur(self) -> int:
        return self.s[self.i] if self.i < len(self.s) else 0

    def advance_segment(self) -> bool:
        """Move past an exhausted segment; False when the side is completely done."""
        if self.state == _DIR:
            self.state, self.s, self.i = _SLASH, b"/", 0
        elif self.state == _SLASH:
            self._enter_base()
        elif self.state == _BASE:
            self.state = _TRAILING
            if self.type == _PATH:
                self.s, self.i = b"/", 0
            else:
                self.type = _ITEM
                return False
        else:
            self.type = _ITEM
            return False
        return True


def f_name_cmp(a: FileEntry, b: FileEntry, protocol: int) -> int:
    """upstream flist.c f_name_cmp for two entries of one list: <0, 0 or >0."""
    t_path = _PATH if protocol >= 29 else _ITEM
    da, ba = _split(a.name)
    db, bb = _split(b.name)
    same = da is not None and da == db
    s1 = _Side(da, ba, stat.S_ISDIR(a.mode), t_path, same)
    s2 = _Side(db, bb, stat.S_ISDIR(b.mode), t_path, same)
    if s1.type != s2.type:
        return 1 if s1.type == _PATH else -1
    while True:
        if s1.at_end():
            s1.advance_segment()
            if not s2.at_end() and s1.type != s2.type:
                return 1 if s1.type == _PATH else -1
        if s2.at_end():
            more = s2.advance_segment()
            if not more and s2.state == _TRAILING and s2.at_end():
                if s1.at_end():
                    return 0
                s2.type = _ITEM
            if s1.type != s2.type:
                return 1 if s1.type == _PATH else -1
        c1, c2 = s1.cur(), s2.cur()
        s1.i += 1
        s2.i += 1
        if c1 != c2:
            return c1 - c2
        if c1 == 0:
            return 0


def sort_key(protocol: int):
    """A key function ordering entries as f_name_cmp does (tests check the two agree).
    The order is that of one (type, bytes) pair per path component, where a directory
    component is bytes plus '/': from protocol 29 directories rank after the files of
    their level and a directory entry compares with its '/', and "." is empty; before 29
    both are plain items. The key is those pairs as one byte string, each component its
    type byte (1 + type), its bytes and a NUL (names hold no NUL, so a component that
    ends first ranks first, as a shorter bytes object does)."""
    path_type = 1 if protocol >= 29 else 0
    dir_part = bytes((1 + path_type,))
    between = b"/\0" + dir_part

    def key(e: FileEntry) -> bytes:
        name = e.name
        if name == b"." and path_type:
            return b""
        cut = name.rfind(b"/")
        head = dir_part + name[:cut].replace(b"/", between) + b"/\0" if cut >= 0 else b""
        if path_type and stat.S_ISDIR(e.mode):
            return head + b"\x02" + name[cut + 1:] + b"/\0"
        return head + b"\x01" + name[cut + 1:] + b"\0"
    return key


def cmp_sort_key(protocol: int):
    """f_name_cmp itself as a key (slow; the reference sort_key is checked against)."""
    return functools.cmp_to_key(lambda a, b: f_name_cmp(a, b, protocol))


def sorted_list(entries: list[FileEntry], protocol: int) -> list[FileEntry]:
    """The list in index order (duplicates are not removed)."""
    return sorted(entries, key=sort_key(protocol))
