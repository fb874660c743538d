"""Setting a received file's attributes (upstream: rsync.c set_file_attrs): permissions
with -p (otherwise new files get the sender's mode less the umask, as upstream does
without -p), mtime with -t (nanoseconds kept; symlinks too), owner with -o and group with
-g when running as root (names mapped to local ids unless --numeric-ids)."""
import grp
import os
import pwd
import stat

from oc_wire.flist_entry import FileEntry

__all__ = ["Attrs"]


class Attrs:
    def __init__(self, opts, user_names: dict | None = None, group_names: dict | None = None):
        self.o = opts
        self.umask = os.umask(0)
        os.umask(self.umask)
        self.user_names, self.group_names = user_names or {}, group_names or {}
        self.root = os.geteuid() == 0

    def _local_id(self, wire_id: int, names: dict, lookup) -> int:
        """The local id for a sender's id: by name unless --numeric-ids or unknown here
        (upstream: uidlist.c match_uid/match_gid)."""
        name = names.get(wire_id)
        if name and not self.o.numeric_ids:
            try:
                return lookup(os.fsdecode(name))
            except KeyError:
                pass
        return wire_id

    def _uid(self, e: FileEntry) -> int:
        return self._local_id(e.uid, self.user_names, lambda n: pwd.getpwnam(n).pw_uid)

    def _gid(self, e: FileEntry) -> int:
        return self._local_id(e.gid, self.group_names, lambda n: grp.getgrnam(n).gr_gid)

    def mode_for(self, e: FileEntry) -> int:
        if self.o.perms:
            return stat.S_IMODE(e.mode)
        return stat.S_IMODE(e.mode) & ~self.umask

    def apply(self, path: bytes, e: FileEntry, st: os.stat_result | None = None) -> None:
        """Set what differs (st: the current lstat, when known, saves the unchanged)."""
        link = e.is_link()
        if self.root and (self.o.owner or self.o.group):
            uid = self._uid(e) if self.o.owner else -1
            gid = self._gid(e) if self.o.group else -1
            if st is None or (uid != -1 and st.st_uid != uid) or (gid != -1
                                                                  and st.st_gid != gid):
                os.chown(path, uid, gid, follow_symlinks=False)
        if not link and (st is None or stat.S_IMODE(st.st_mode) != self.mode_for(e)):
            os.chmod(path, self.mode_for(e))
        if self.o.times:
            ns = e.mtime * 10**9 + e.mtime_nsec
            if st is None or st.st_mtime_ns != ns:
                os.utime(path, ns=(ns, ns), follow_symlinks=not link)
