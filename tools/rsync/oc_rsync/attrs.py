"""Setting a received file's attributes (upstream: rsync.c set_file_attrs): permissions
with -p (otherwise new files get the sender's mode less the umask, as upstream does
without -p), mtime with -t (nanoseconds kept; symlinks too), the access time with -U (of
non-directories; otherwise a file keeps its own), owner with -o and group with
-g when running as root (names mapped to local ids unless --numeric-ids)."""
import grp
import os
import pwd
import stat

from oc_core import SET_GROUP, SET_MODE, SET_MTIME, SET_OWNER
from oc_wire.flist_entry import FileEntry

from .idmaps import parse_map

__all__ = ["Attrs", "same_mtime"]


def same_mtime(st: os.stat_result, e: FileEntry, window: int, exact: bool = False) -> bool:
    """upstream util1.c same_time and rsync.c same_mtime: the whole seconds within
    --modify-window (0: equal); the nanoseconds count too with a negative window (-@-1),
    or when exact (a regular file's time set after -c found its bytes the same)."""
    sec, nsec = divmod(st.st_mtime_ns, 10**9)
    if exact or window < 0:
        return sec == e.mtime and nsec == e.mtime_nsec
    return abs(sec - e.mtime) <= window


class Attrs:
    def __init__(self, opts, user_names: dict | None = None, group_names: dict | None = None):
        self.o = opts
        self.umask = os.umask(0)
        os.umask(self.umask)
        self.user_names, self.group_names = user_names or {}, group_names or {}
        # the receiver's super-user activities: root's, or --super's (not --no-super's)
        am_root = getattr(opts, "am_root", None)
        self.root = os.geteuid() == 0 if am_root is None else am_root
        self._uids: dict[int, int] = {}
        self._gids: dict[int, int] = {}
        self._maps = {m: parse_map(spec, m == "usermap") if (spec := getattr(opts, m, None))
                      else None for m in ("usermap", "groupmap")}

    def map_errors(self) -> list[str]:
        """What the maps name that this machine does not know (upstream says each)."""
        return [t for m in self._maps.values() if m is not None for t in m.unknown]

    def _local_id(self, wire_id: int, names: dict, lookup, seen: dict, which: str) -> int:
        """The local id for a sender's id: the first --usermap/--groupmap item that
        matches, else by name unless --numeric-ids or unknown here (upstream: uidlist.c
        recv_add_id, which also maps each id once; id 0 unnamed is "root")."""
        local = wire_id
        name = names.get(wire_id)
        if name is None and wire_id == 0 and not self.o.numeric_ids:
            name = b"root"
        idmap = self._maps[which]
        mapped = idmap.match(wire_id, name) if idmap is not None else None
        if mapped is not None:
            local = mapped
        elif name and wire_id and not self.o.numeric_ids:
            try:
                local = lookup(os.fsdecode(name))
            except KeyError:
                pass
        seen[wire_id] = local
        return local

    def _uid(self, e: FileEntry) -> int:
        uid = self._uids.get(e.uid)
        return uid if uid is not None else self._local_id(
            e.uid, self.user_names, lambda n: pwd.getpwnam(n).pw_uid, self._uids, "usermap")

    def _gid(self, e: FileEntry) -> int:
        gid = self._gids.get(e.gid)
        return gid if gid is not None else self._local_id(
            e.gid, self.group_names, lambda n: grp.getgrnam(n).gr_gid, self._gids, "groupmap")

    def mode_for(self, e: FileEntry, old_mode: int | None = None) -> int:
        """upstream rsync.c dest_mode: -p gives the sender's bits; otherwise an existing
        file keeps its own (old_mode) and a new one gets the sender's less the umask;
        -E then carries the executable bits of a regular file."""
        if self.o.perms:
            return stat.S_IMODE(e.mode)
        # an existing file keeps its bits; a new one gets the sender's permissions less
        # the umask and no set-id or sticky bits (upstream: dflt_perms)
        mode = stat.S_IMODE(old_mode) if old_mode is not None else \
            stat.S_IMODE(e.mode) & 0o777 & ~self.umask
        if self.o.executability and e.is_reg():
            if not e.mode & 0o111:
                mode &= ~0o111
            elif not mode & 0o111:
                mode |= (mode & 0o444) >> 2
        return mode

    def apply(self, path: bytes, e: FileEntry, st: os.stat_result | None = None,
              old_mode: int | None = None, made: bool = False) -> None:
        """Set what differs (st: the current lstat, when known, saves the unchanged;
        old_mode: the mode of the file a new version replaces; made: a directory this
        run created). The mtime of an entry that stays (st given) is only fixed when
        same_mtime says it differs (a regular file's to the nanosecond after a -c check;
        a directory's, a link's or a device's in whole seconds); a new or rewritten one
        gets it exactly (upstream: rsync.c set_file_attrs)."""
        link = e.is_link()
        if st is not None and old_mode is None:
            old_mode = st.st_mode
        if self.root and (self.o.owner or self.o.group):
            uid = self._uid(e) if self.o.owner else -1
            gid = self._gid(e) if self.o.group else -1
            if st is None or (uid != -1 and st.st_uid != uid) or (gid != -1
                                                                  and st.st_gid != gid):
                os.chown(path, uid, gid, follow_symlinks=False)
        mode = self.mode_for(e, old_mode)
        if made and not self.o.perms and os.lstat(path).st_mode & stat.S_ISGID:
            mode |= stat.S_ISGID  # made in a set-group-ID directory: it stays so
        if not link and (st is None or stat.S_IMODE(st.st_mode) != mode):
            os.chmod(path, mode)
        omitted = (link and self.o.omit_link_times) or (e.is_dir() and self.o.omit_dir_times)
        set_mtime = self.o.times and not omitted
        set_atime = self.o.atimes and not e.is_dir() and not omitted
        ns = e.mtime * 10**9 + e.mtime_nsec
        ans = e.atime * 10**9
        if (set_mtime and (st is None or not same_mtime(st, e, self.o.modify_window,
                                                        self.o.checksum and e.is_reg()))) or \
                (set_atime and (st is None or int(st.st_atime) != e.atime)):
            now = st if st is not None else os.lstat(path)
            # what is not preserved stays as it is (upstream passes the file's own)
            os.utime(path, ns=(ans if set_atime else now.st_atime_ns,
                               ns if set_mtime else now.st_mtime_ns),
                     follow_symlinks=not link)

    def for_new_file(self, e: FileEntry, old_mode: int | None) -> tuple[int, int, int, int]:
        """What apply() sets on a new regular file, for oc_core.copy_install: (which
        attributes as SET_ bits, uid, gid, mode)."""
        bits, uid, gid = SET_MODE, 0, 0
        if self.root and self.o.owner:
            bits, uid = bits | SET_OWNER, self._uid(e)
        if self.root and self.o.group:
            bits, gid = bits | SET_GROUP, self._gid(e)
        if self.o.times:
            bits |= SET_MTIME
        return bits, uid, gid, self.mode_for(e, old_mode)
