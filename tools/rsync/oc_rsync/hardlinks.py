"""-H on the receiving side (upstream: hlink.c match_hard_links, hard_link_check,
finish_hard_link).

The names of a group (entries sharing an inode on the sender) are known by a group key
(flists/roles: the index of the group's first name, or dev/ino below protocol 30). Any file
but a directory may have several names (symlinks, devices and specials too, as
upstream's CAN_HARDLINK_SYMLINK/CAN_HARDLINK_SPECIAL on Linux). One
name leads: the first one already in the destination, else the last one known when the
generator starts (with incremental recursion, after its look-ahead; a group first met
later is led by its first name). The leader is generated like any file; every other
name becomes a hard link to it once the leader is in place. Without incremental
recursion that is after phase 0; with it, when the leader's transfer ends (or at once
if it needed none), and a waiting name keeps its list live meanwhile, as upstream's
in_progress count does.
"""
import os
from collections.abc import Callable, Iterable

from oc_wire.flist_entry import FileEntry
from oc_wire.items import ITEM_IS_NEW, ITEM_LOCAL_CHANGE, ITEM_REPORT_SIZE, ITEM_XNAME_FOLLOWS

__all__ = ["HardLinks"]


class HardLinks:
    def __init__(self, path: Callable[[FileEntry], bytes], item, attr_flags,
                 error: Callable[[str], None], dry_run: bool = False, uptodate=None):
        # id(entry) -> (group key, entry): the entry is held, so that with incremental
        # recursion a later entry cannot take a freed one's id and its group
        self.groups: dict[int, tuple[object, FileEntry]] = {}
        self.dry_run = dry_run  # -n: nothing is linked
        self.path, self.item, self.attr_flags, self.error = path, item, attr_flags, error
        self.uptodate = uptodate or (lambda e, i: None)  # a name already linked (-vv)
        self.leaders: dict[object, FileEntry] = {}
        self.waiting: dict[object, list[tuple[FileEntry, int]]] = {}  # names, by group
        self.made: list = []                  # without incremental recursion: groups
        # whose leader was generated, in that order (their names are linked after phase 0)
        self.ready: set = set()               # groups whose leader is in place
        self.in_flight: dict[int, object] = {}  # a leader's ndx -> its group
        self.queue = None                     # incremental recursion: the ListQueue

    def group(self, e: FileEntry):
        hit = self.groups.get(id(e))
        return hit[0] if hit is not None and hit[1] is e else None

    def choose(self, entries: Iterable[FileEntry]) -> None:
        """Leaders among these names: the first in place, else the last (regular files;
        another kind is led by its first name, made as it comes)."""
        for e in entries:
            group = self.group(e)
            if group is None or not e.is_reg():
                continue
            leader = self.leaders.get(group)
            if leader is None or not os.path.lexists(self.path(leader)):
                self.leaders[group] = e

    def learn(self, groups: dict, entries: list[FileEntry]) -> None:
        """A list's groups (id(entry) -> key); a group not seen before is led by its
        first name until choose() says otherwise."""
        for e in entries:
            group = groups.get(id(e))
            if group is not None:
                self.groups[id(e)] = (group, e)
                if not e.is_dir():
                    self.leaders.setdefault(group, e)

    def follows(self, i: int, e: FileEntry) -> bool:
        """Whether e is a name that waits for its leader (then it is taken care of)."""
        group = self.group(e)
        if group is None or e.is_dir() or self.leaders[group] is e:
            return False
        leader = self.leaders[group]
        if not e.is_reg():  # (upstream: hard_link_check finds the first name made)
            if group not in self.ready or not (self.dry_run
                                               or os.path.lexists(self.path(leader))):
                return False  # its first name was skipped: this one is made as itself
            self.link(leader, e, i)
            return True
        if self.queue is not None and group in self.ready:
            self.link(leader, e, i)
        else:
            self.waiting.setdefault(group, []).append((e, i))
            if self.queue is not None:
                self.queue.started(i)
        return True

    def generated(self, i: int, e: FileEntry, requested: bool) -> None:
        """Leader e was generated; with incremental recursion and requested, its
        transfer is under way (the names wait for finished(i))."""
        group = self.group(e)
        if group is None or self.leaders.get(group) is not e:
            return
        if not e.is_reg():  # made already: its other names are linked as they come
            self.ready.add(group)
            return
        if self.queue is None:
            self.made.append(group)
            return
        if requested:
            self.in_flight[i] = group
        else:
            self._ready(group)

    def finished(self, i: int) -> None:
        """A transfer ended; if a leader's, its names are linked now."""
        group = self.in_flight.pop(i, None)
        if group is not None:
            self._ready(group)

    def _ready(self, group) -> None:
        """The names of the group linked to its leader, the latest first (upstream's
        finish_hard_link walks the chain back from the leader)."""
        self.ready.add(group)
        leader = self.leaders[group]
        for e, i in reversed(self.waiting.pop(group, [])):
            self.link(leader, e, i)
            if self.queue is not None:
                self.queue.finished(i)

    def link_later(self) -> None:
        """Without incremental recursion: every name, after phase 0, group by group
        in the order their leaders were generated."""
        for group in [*self.made, *self.waiting]:
            if group in self.waiting:
                self._ready(group)

    def link(self, leader: FileEntry, e: FileEntry, i: int) -> None:
        """Make e a hard link to its leader and report it (upstream: finish_hard_link)."""
        if self.dry_run:
            return
        src, path = self.path(leader), self.path(e)
        try:  # (a symlink's own inode: names of a symlink are linked, not followed)
            if os.path.samestat(os.lstat(src), os.lstat(path)):
                self.uptodate(e, i)
                return
        except OSError:
            pass
        try:
            old = os.lstat(path)
        except FileNotFoundError:
            old = None
        flags = ITEM_LOCAL_CHANGE | ITEM_XNAME_FOLLOWS
        if old is None:
            flags |= ITEM_IS_NEW
        else:  # what the name held before it became a link
            flags |= self.attr_flags(old, e, True) | (
                ITEM_REPORT_SIZE if old.st_size != e.size else 0)
        tmp = path + b".oc-hlink"
        try:
            os.link(src, tmp, follow_symlinks=False)
            os.rename(tmp, path)
            self.item(i, e, flags, leader.name)
        except OSError as exc:
            self.error(f'link "{os.fsdecode(path)}" => "{os.fsdecode(src)}" failed: '
                       f"{exc.strerror} ({exc.errno})")
