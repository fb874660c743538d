"""The generator role (upstream: generator.c generate_files, recv_generator,
generate_and_send_sums, touch_up_dirs), run on a thread beside the receiver.

Rules, in order:
1. For each entry of the sorted list: directories are created, symlinks and devices made
   (when preserved), regular files compared with the destination by size and mtime (or
   checksum with -c). A file to fetch is requested with its ndx, item flags and the block
   sums of the existing file (none for a new file or with -W). Unchanged files only get
   their attributes fixed.
2. NDX_DONE ends phase 0. Files the receiver could not verify come back as redo
   requests and are asked for again with full-length sums, until the receiver reports
   phase 0 finished; then NDX_DONE ends phase 1, and from protocol 29 another one the
   (empty) delay-updates phase, from 31 one more for the deletion stats.
3. After the receiver has finished every phase, directory modes and times are set, and
   (protocol >= 24) a last NDX_DONE says goodbye.
"""
import os
import queue
import stat

import oc_core
from oc_sig import block_records, sum_sizes
from oc_wire.checksums import ChecksumSpec
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import shortint, varint
from oc_wire.items import (
    ITEM_IS_NEW,
    ITEM_LOCAL_CHANGE,
    ITEM_REPORT_GROUP,
    ITEM_REPORT_OWNER,
    ITEM_REPORT_PERMS,
    ITEM_REPORT_SIZE,
    ITEM_REPORT_TIME,
    ITEM_TRANSFER,
    ITEM_XNAME_FOLLOWS,
)
from oc_wire.ndx import NDX_DEL_STATS, NDX_DONE, NdxCodec
from oc_wire.sums import SumHead, encode_sum_head

from .attrs import Attrs
from .conn import Conn
from .deletion import DeleteCounts, delete, extraneous
from .paths import Destination

__all__ = ["Generator", "SUM_LENGTH"]

SUM_LENGTH = 16


class Generator:
    def __init__(self, conn: Conn, protocol: int, spec: ChecksumSpec, dest: Destination,
                 entries: list[FileEntry], attrs: Attrs, events: queue.Queue, opts, log,
                 rules=None, groups: dict | None = None):
        self.conn, self.p, self.spec, self.dest = conn, protocol, spec, dest
        self.entries, self.attrs, self.events, self.o, self.log = (entries, attrs, events,
                                                                     opts, log)
        self.ndx = NdxCodec(protocol)
        self.error = None
        self.rules = rules
        self.deleted = DeleteCounts()
        self.groups = groups or {}
        self.leaders: dict[object, FileEntry] = {}
        self.followers: list[tuple[FileEntry, FileEntry]] = []
        self.new_dirs: set[int] = set()  # made here: they take the sender's mode
        self.pruned: set[int] = set()    # -m: directories left out
        self.on_unchanged = lambda i: None  # an entry in place without a transfer

    def path(self, e: FileEntry) -> bytes:
        return self.dest.path(e)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the receiver's thread
            self.error = exc

    def _wait_done(self, count: int, redo: bool) -> None:
        seen = 0
        while seen < count:
            kind, value = self.events.get()
            if kind == "done":
                seen += 1
            elif kind == "redo" and redo:
                self._request(value, self.entries[value], SUM_LENGTH)

    def _delete_extraneous(self) -> None:
        """--delete, done before the transfer (the result is --delete-during's)."""
        if self.dest.solo:
            return
        for path, name, mode in list(extraneous(self.dest.root, self.entries,
                                                self.o.recursive, self.rules,
                                                self.o.delete_excluded)):
            if not self.o.dry_run:
                delete(path, mode, self.deleted)
            if self.o.verbose or self.o.itemize:
                shown = os.fsdecode(name) + ("/" if stat.S_ISDIR(mode) else "")
                self.log.info(("*deleting   " if self.o.itemize else "deleting ") + shown)

    def _run(self) -> None:
        if self.o.delete:
            self._delete_extraneous()
        for i, e in enumerate(self.entries):
            self._generate(i, e)
        self.conn.write(self.ndx.encode(NDX_DONE))
        self.conn.flush()
        self._wait_done(1, redo=True)
        if not self.o.dry_run:
            self._link_followers()
        self.conn.write(self.ndx.encode(NDX_DONE))
        if self.p >= 29:
            self.conn.write(self.ndx.encode(NDX_DONE))
        if self.p >= 31:
            if self.o.delete:
                self.conn.write(self.ndx.encode(NDX_DEL_STATS) + b"".join(
                    varint(v) for v in self.deleted.values()))
            self.conn.write(self.ndx.encode(NDX_DONE))
        self.conn.flush()
        self._wait_done(2 if self.p >= 29 else 1, redo=False)
        for e in reversed(self.entries):
            if e.is_dir() and not self.o.dry_run and id(e) not in self.pruned \
                    and os.path.isdir(self.path(e)):
                path = self.path(e)
                self.attrs.apply(path, e, None if id(e) in self.new_dirs else os.lstat(path))
        if self.p >= 24:
            self.conn.write(self.ndx.encode(NDX_DONE))
        self.conn.flush()

    def _link_followers(self) -> None:
        """-H: the other names of a group become hard links to its first name once that
        one has arrived (upstream: hlink.c finish_hard_link)."""
        for leader, e in self.followers:
            src, path = self.path(leader), self.path(e)
            try:
                if os.path.samefile(src, path):
                    continue
            except OSError:
                pass
            tmp = path + b".oc-hlink"
            try:
                os.link(src, tmp)
                os.rename(tmp, path)
                self.log.item(e, ITEM_IS_NEW | ITEM_LOCAL_CHANGE | ITEM_XNAME_FOLLOWS)
            except OSError as exc:
                self.log.error(f'link "{os.fsdecode(path)}" => "{os.fsdecode(src)}" failed: '
                               f"{exc.strerror} ({exc.errno})")

    def _skipped(self, e: FileEntry, st) -> bool:
        """The options that leave a file alone whatever it holds (upstream: generator.c
        recv_generator): --max-size/--min-size, --existing, --ignore-existing, -u."""
        o = self.o
        if e.is_reg() and ((o.max_size is not None and e.size > o.max_size)
                           or (o.min_size is not None and e.size < o.min_size)):
            return True
        if st is None:
            return o.existing
        if o.ignore_existing and not e.is_dir():
            return True
        return (o.update and not e.is_dir() and stat.S_ISREG(st.st_mode)
                and int(st.st_mtime) - e.mtime > o.modify_window)

    def _generate(self, i: int, e: FileEntry) -> None:
        if id(e) in self.pruned:
            return
        group = self.groups.get(id(e))
        if group is not None and e.is_reg():
            if group in self.leaders:
                self.followers.append((self.leaders[group], e))
                return
            self.leaders[group] = e
        path = self.path(e)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if self._skipped(e, st):
            return
        dry = self.o.dry_run
        if e.is_dir():
            if e.name == b"." and self.dest.created:
                self.new_dirs.add(id(e))
                self.log.item(e, ITEM_IS_NEW | ITEM_LOCAL_CHANGE)
                return
            if st is None or not stat.S_ISDIR(st.st_mode):
                if not dry:
                    if st is not None:
                        os.unlink(path)
                    os.mkdir(path, 0o700)
                    self.new_dirs.add(id(e))
                self.log.item(e, ITEM_IS_NEW | ITEM_LOCAL_CHANGE)
            elif flags := self._attr_flags(st, e):
                self.log.item(e, flags)
            return
        if e.is_link():
            if not self.o.links:
                self.log.info(f'skipping non-regular file "{os.fsdecode(e.name)}"')
                return
            if st is not None and stat.S_ISLNK(st.st_mode) and os.readlink(path) == e.link_target:
                if flags := self._attr_flags(st, e):
                    self.log.item(e, flags)
                if not dry:
                    self.attrs.apply(path, e, st)
                    self.on_unchanged(i)
                return
            if not dry:
                if st is not None:
                    os.unlink(path)
                os.symlink(e.link_target, path)
                self.attrs.apply(path, e)
                self.on_unchanged(i)
            self.log.item(e, ITEM_IS_NEW | ITEM_LOCAL_CHANGE)
            return
        if not e.is_reg():
            if not (self.o.devices if e.is_device() else self.o.specials):
                self.log.info(f'skipping non-regular file "{os.fsdecode(e.name)}"')
                return
            if st is None:
                if not dry:
                    os.mknod(path, e.mode, os.makedev(e.rdev_major, e.rdev_minor))
                    self.attrs.apply(path, e)
                self.log.item(e, ITEM_IS_NEW | ITEM_LOCAL_CHANGE)
            if not dry:
                self.on_unchanged(i)
            return
        if st is not None and stat.S_ISREG(st.st_mode) and self._unchanged(path, st, e):
            if flags := self._attr_flags(st, e):
                self.log.item(e, flags)
            if not dry:
                self.attrs.apply(path, e, st)
                self.on_unchanged(i)
            return
        if dry:  # -n: say what would come, ask for nothing
            self.log.item(e, ITEM_TRANSFER | (ITEM_IS_NEW if st is None else 0))
            return
        if self.o.read_batch:  # the batch decides what is sent
            return
        self._request(i, e, 2, st)

    def _attr_flags(self, st: os.stat_result, e: FileEntry) -> int:
        """The report bits for attributes that will change on an entry that stays
        (upstream: generator.c itemize: times, permissions, owner, group)."""
        flags = 0
        if self.o.times and abs(int(st.st_mtime) - e.mtime) > self.o.modify_window:
            flags |= ITEM_REPORT_TIME  # upstream same_time: whole seconds
        if self.o.perms and not e.is_link() and \
                stat.S_IMODE(st.st_mode) != stat.S_IMODE(e.mode):
            flags |= ITEM_REPORT_PERMS
        if self.o.owner and self.attrs.root and st.st_uid != self.attrs._uid(e):
            flags |= ITEM_REPORT_OWNER
        if self.o.group and st.st_gid != self.attrs._gid(e):
            flags |= ITEM_REPORT_GROUP
        return flags

    def _unchanged(self, path: bytes, st: os.stat_result, e: FileEntry) -> bool:
        """upstream generator.c quick_check_ok: same size, and same mtime within
        --modify-window (or the same checksum with -c); --size-only needs only the size,
        -I never skips."""
        if st.st_size != e.size:
            return False
        if self.o.checksum:
            s = oc_core.FileSum(self.spec.algo)
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    s.update(chunk)
            return e.checksum is None or s.digest()[:len(e.checksum)] == e.checksum
        if self.o.ignore_times:
            return False
        if self.o.size_only:
            return True
        return abs(int(st.st_mtime) - e.mtime) <= self.o.modify_window

    def _request(self, i: int, e: FileEntry, s2len: int, st=None) -> None:
        path = self.path(e)
        if st is None:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                st = None
        basis = st is not None and stat.S_ISREG(st.st_mode) and not self.o.whole_file
        iflags = ITEM_TRANSFER
        if st is None:
            iflags |= ITEM_IS_NEW
        else:
            if st.st_size != e.size:
                iflags |= ITEM_REPORT_SIZE
            if int(st.st_mtime) != e.mtime:
                iflags |= ITEM_REPORT_TIME
            if self.o.perms and stat.S_IMODE(st.st_mode) != stat.S_IMODE(e.mode):
                iflags |= ITEM_REPORT_PERMS
        out = self.ndx.encode(i) + (shortint(iflags) if self.p >= 29 else b"")
        if not basis or st.st_size == 0:
            self.conn.write(out + encode_sum_head(SumHead(0, 0, 0, 0)))
            return
        head = sum_sizes(st.st_size, self.p, self.spec.digest_len, self.o.block_size or None,
                         s2len)
        self.conn.write(out + encode_sum_head(head))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            for piece in block_records(fd, st.st_size, head, self.spec):
                self.conn.write(piece)
        finally:
            os.close(fd)
