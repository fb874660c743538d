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
   (empty) delay-updates phase, from 31 one more for the deletion stats. With
   --delay-updates the receiver renames the files it held back as phase 1 ends: the
   delay phase's NDX_DONE (and the deletion stats') waits for that, and so do the other
   names of hard-linked files.
3. After the receiver has finished every phase, directory modes and times are set, and
   (protocol >= 24) a last NDX_DONE says goodbye.
With incremental recursion (flists.ListQueue) phase 0 goes list by list as the lists
arrive: a directory met in its parent's list is left for later, and is created, reported
and cleaned (--delete-during/-delay) just before its own list's entries, which is where
upstream does it in full; each list that is done is retired by an NDX_DONE (the last one
ends phase 0), and a file that failed is asked for again before its list is done.
"""
import errno
import os
import queue
import stat
import threading

import oc_core
from oc_flist.build import unsafe_symlink
from oc_wire.checksums import ChecksumSpec
from oc_wire.errors import ProtocolError
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import shortint, varint, vstring
from oc_wire.items import (
    FNAMECMP_PARTIAL_DIR,
    ITEM_BASIS_TYPE_FOLLOWS,
    ITEM_IS_NEW,
    ITEM_LOCAL_CHANGE,
    ITEM_REPORT_ATIME,
    ITEM_REPORT_CHANGE,
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

from .attrs import Attrs, same_mtime
from .deletion import Deleter, delete_when
from .flists import FileLists, ListQueue, duplicates
from .hardlinks import HardLinks
from .options import debug_on, filter_trace, info_level, partial_dir_of
from .paths import Destination, drop_partial_dir, full_name, open_partial, waiting_partial
from .skips import Skips, file_kind

__all__ = ["Generator", "SUM_LENGTH"]

SUM_LENGTH = 16
_LOOK = object()  # (_request: the destination is not looked at yet)
LOOKAHEAD = 500  # -H with incremental recursion: entries to have before generating


class Generator:
    def __init__(self, conn, protocol: int, spec: ChecksumSpec, dest: Destination,
                 lists: FileLists, attrs: Attrs, events: queue.Queue, opts, log,
                 rules=None, groups: dict | None = None, list_algo: int | None = None):
        self.conn, self.p, self.spec, self.dest = conn, protocol, spec, dest
        self.list_algo = list_algo  # -c's whole-file checksum (Negotiated.list_spec)
        self.lists = lists
        entries = lists.first.entries
        self.entries, self.attrs, self.events, self.o, self.log = (entries, attrs, events,
                                                                     opts, log)
        self.queue: ListQueue | None = None  # incremental recursion
        self.asked: int | None = None        # the ndx the last entry's generation requested
        self.ready, self.ready_at = threading.Condition(), -1  # --read-batch
        self.wanted: set[int] = set()  # --read-batch: the files this side would ask for
        self.ndx = NdxCodec(protocol)
        self.error = None
        self.when = delete_when(opts, protocol) if not dest.solo else None
        self.deleter = Deleter(dest.root, entries, rules, protocol,
                               log.deleted, log.info, log.error,
                               opts.max_delete, opts.dry_run, filter_trace(opts),
                               opts.insecure_links, log.warning, debug_on(opts, "del"),
                               blocked=None if opts.ignore_errors else
                               lambda: log.sender_io_error & 1) if self.when else None
        self.partial_dir = os.fsencode(partial_dir_of(opts)) if partial_dir_of(opts) else None
        self.delayed: list = []  # --delete-delay: found during, removed after
        # -ii, or -i with -vv: unchanged entries are itemized too (upstream: itemize)
        self.name_level = info_level(opts, "NAME")  # (-v: 1, -vv: 2)
        self.nonreg = info_level(opts, "NONREG")    # (on by default)
        self.all_items = opts.itemize > 1 or bool(opts.itemize and self.name_level >= 2)
        self.links = HardLinks(self.path, self._item, self._attr_flags, log.error,
                               opts.dry_run, self._uptodate)
        self.links.learn(groups or {}, entries)
        self.links.choose(entries)
        self.dirs: list[FileEntry] = []  # in the order they were set up
        self.new_dirs: set[int] = set()  # made here: they take the sender's mode
        self.fresh: set[bytes] = set()  # their paths: what they hold came in this run
        # -m and duplicates: entries left out, by id (the entry is held, so that with
        # incremental recursion a later entry cannot take a freed one's id)
        self.pruned: dict[int, FileEntry] = {}
        self.on_unchanged = lambda i: None  # an entry in place without a transfer
        self.skips = Skips(opts, log.info, self._unchanged, self._attr_flags)
        self.retouched: list[FileEntry] = []  # directories kept out, their times set

    def path(self, e: FileEntry) -> bytes:
        return self.dest.path(e)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the receiver's thread
            self.error = exc
            self.conn.abort()  # the sender stops, so the receiver does not wait forever
        finally:
            self._passed(1 << 62)

    def _passed(self, i: int) -> None:
        """--read-batch: entries up to ndx i are ready (their directory made and
        cleaned), so the receiver, which the batch drives, may write into it (upstream:
        receiver.c gen_wants_ndx)."""
        if self.o.read_batch:
            with self.ready:
                self.ready_at = i
                self.ready.notify_all()

    def wait_ready(self, i: int) -> None:
        with self.ready:
            while self.ready_at < i:
                self.ready.wait()

    def _wait_done(self, count: int, redo: bool) -> None:
        seen = 0
        while seen < count:
            kind, value = self.events.get()
            if kind == "done":
                seen += 1
            elif kind == "redo" and redo:
                self._request(value, self.lists.entry(value), SUM_LENGTH)

    def _late_deletions(self) -> None:
        """--delete-delay's list and --delete-after's pass, once the files are in."""
        if self.when == "delay":
            for item in self.delayed:
                self.deleter.remove(*item)
        elif self.when == "after":
            self.deleter.pass_over(self.entries)

    def _run(self) -> None:
        if self.when == "before":
            self.deleter.pass_over(self.entries)
        if self.o.verbose >= 2:  # (upstream: generator.c generate_files, debug FLIST)
            whole = self.o.whole_file and not self.o.append
            self.log.info("delta-transmission " + (
                "disabled for local transfer or --whole-file" if whole else "enabled"))
        if self.lists.inc:
            self._generate_lists()
        else:
            for i, e in enumerate(self.entries):
                self._generate(i, e)
            self.conn.write(self.ndx.encode(NDX_DONE))
        self.conn.flush()
        self._wait_done(1, redo=True)
        delay = self.o.delay_updates
        if not self.o.dry_run and not delay:
            self.links.link_later()
        self.conn.write(self.ndx.encode(NDX_DONE))
        if self.p >= 29 and not delay:  # (the delay-updates phase: nothing to wait for)
            self.conn.write(self.ndx.encode(NDX_DONE))
        late = self.when in ("delay", "after")
        if self.p >= 31 and not late:
            self._del_stats(done=not delay)
        self.conn.flush()
        if delay:  # the receiver renames the delayed files into place as phase 1 ends
            self._wait_done(1, redo=False)
            if not self.o.dry_run:  # (their other names are linked to them now)
                self.links.link_later()
            if self.p >= 29:
                self.conn.write(self.ndx.encode(NDX_DONE))
                if self.p >= 31 and not late:
                    self.conn.write(self.ndx.encode(NDX_DONE))
                self.conn.flush()
                self._wait_done(1, redo=False)
        else:
            self._wait_done(2 if self.p >= 29 else 1, redo=False)
        if late:
            self._late_deletions()
        if self.deleter and self.deleter.counts.skipped:
            self.log.warning("Deletions stopped due to --max-delete limit "
                             f"({self.deleter.counts.skipped} skipped)")
            self.log.io_error |= 4  # upstream IOERR_DEL_LIMIT
        if self.p >= 31 and late:
            self._del_stats()
            self.conn.flush()
        self.touch_up_dirs()
        if self.p >= 24:
            self.conn.write(self.ndx.encode(NDX_DONE))
        self.conn.flush()

    def touch_up_dirs(self) -> None:
        """Directory modes and times, last, deepest first (upstream: touch_up_dirs)."""
        for e in reversed(self.dirs):
            if not self.o.dry_run and not self.o.list_only and id(e) not in self.pruned \
                    and _is_real_dir(self.path(e)):  # not a -K symlink
                path = self.path(e)
                made = id(e) in self.new_dirs
                self.attrs.apply(path, e, None if made else os.lstat(path), made=made)
        if self.o.times and not self.o.omit_dir_times and not self.o.dry_run:
            for e in self.retouched:  # (upstream sets a directory's mtime on whatever
                path = self.path(e)   # stands at its name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if not same_mtime(st, e, self.o.modify_window):
                    os.utime(path, ns=(st.st_atime_ns, e.mtime * 10**9 + e.mtime_nsec),
                             follow_symlinks=False)

    def _generate_lists(self) -> None:
        """Phase 0 with incremental recursion."""
        q = self.queue = ListQueue(
            self.lists.first, self.events, lambda i, e: self._request(i, e, SUM_LENGTH),
            lambda: self.conn.write(self.ndx.encode(NDX_DONE)), self.conn.flush)
        if not self.o.read_batch:  # a batch's data comes unasked: link after phase 0
            self.links.queue, q.on_finished = q, self.links.finished
        if self.o.hard_links:  # most groups whole before choosing (upstream waits too)
            while not q.eof and self.lists.count < LOOKAHEAD:
                q.poll(True)
            for seg in q.arrived:
                self._learn(seg)
            self.links.choose(e for seg in q.arrived for e in seg.entries)
        seg = self.lists.first
        later: dict[int, tuple[int, FileEntry]] = {}  # directories whose list is to come
        while seg is not None:
            if seg is not self.lists.first:
                self._learn(seg)
            if seg.parent is not None:
                later.pop(id(seg.parent), None)
                self._generate(seg.start - 1, seg.parent)
            for k, e in enumerate(seg.entries):
                if e.is_dir():
                    if e.name != b"." and id(e) not in self.pruned:
                        later[id(e)] = (seg.start + k, e)
                    continue
                self._generate(seg.start + k, e)
                q.poll(False)
            seg = q.next()
        for i, e in later.values():  # no list came (a duplicate's went with another's)
            self._generate(i, e)
        q.finish()

    def _learn(self, seg) -> None:
        """A later list: its names for --delete, its hard-link groups (a group met
        first after the look-ahead is led by its first name), its duplicates."""
        if self.deleter:
            self.deleter.learn(seg.entries)
        self.pruned |= duplicates(seg.entries)
        self.links.learn(seg.groups, seg.entries)

    def _del_stats(self, done: bool = True) -> None:
        """From protocol 31 the deletion counts, then (done) the NDX_DONE of the deletion
        phase (with --delay-updates it follows the delay phase's)."""
        if self.deleter:
            self.conn.write(self.ndx.encode(NDX_DEL_STATS) + b"".join(
                varint(v) for v in self.deleter.counts.values()))
        if done:
            self.conn.write(self.ndx.encode(NDX_DONE))

    def _generate(self, i: int, e: FileEntry) -> None:
        self.asked = None
        self._generate_one(i, e)
        self.links.generated(i, e, self.asked == i)
        self._passed(i)

    def _nonreg(self, e: FileEntry) -> None:
        if self.nonreg:
            self.log.info(f'skipping non-regular file "{os.fsdecode(e.name)}"')

    def _generate_one(self, i: int, e: FileEntry) -> None:
        if self.o.list_only:  # a remote listing: print, ask for nothing
            self.log.listing(e)
            return
        if id(e) in self.pruned or self.skips.below_missing(e):
            return
        try:
            path = self.path(e)
            if self.o.relative and not self.o.implied_dirs and not self.o.dry_run:
                self._make_parents(path)  # the list does not carry the parents
        except (ProtocolError, OSError) as exc:  # a symlink in the way: this one is skipped
            self.log.error(f"refusing {os.fsdecode(e.name)}: {exc}")
            return
        if self.links.follows(i, e):
            return
        try:  # (nothing stands yet in a directory made in this run)
            st = None if self.fresh and os.path.dirname(path) in self.fresh else \
                os.lstat(path)
        except FileNotFoundError:
            st = None
        except OSError as exc:  # (a file where a directory should be: upstream goes on
            if e.is_reg():      # to make anything else, which fails in its own words)
                self.log.error(f'recv_generator: failed to stat "{full_name(path)}": '
                               f"{exc.strerror} ({exc.errno})", "generator")
                return
            st = None
        if self.skips.skipped(e, st, path):
            if e.is_dir() and st is not None:  # --ignore-existing left a non-directory:
                self.retouched.append(e)      # its time is still set (touch_up_dirs)
            return
        if st is not None and stat.S_ISDIR(st.st_mode) and not e.is_dir():
            if not self._make_room(path, e):
                return
            st = None
        dry = self.o.dry_run
        if e.is_dir():
            self.dirs.append(e)
            self._directory(i, e, st, path)
            if self.when == "during":
                self.deleter.in_dir(e)
            elif self.when == "delay":
                self.delayed += self.deleter.extraneous(e)
            return
        if e.is_link():
            if not self.o.links:
                self._nonreg(e)
                return
            if self.o.safe_links and unsafe_symlink(e.link_target, e.name):
                if self.name_level:
                    self.log.info(f'ignoring unsafe symlink "{os.fsdecode(e.name)}" -> '
                                  f'"{os.fsdecode(e.link_target)}"')
                return
            if st is not None and stat.S_ISLNK(st.st_mode) and os.readlink(path) == e.link_target:
                self._keep(i, e, path, st)
                return
            # a symlink pointing elsewhere is changed, anything else replaced as new
            # (upstream: generator.c, itemize with ITEM_REPORT_CHANGE)
            flags = ITEM_LOCAL_CHANGE | (
                ITEM_REPORT_CHANGE | self._attr_flags(st, e)
                if st is not None and stat.S_ISLNK(st.st_mode) else ITEM_IS_NEW)
            if not dry:
                if st is not None:
                    os.unlink(path)
                self.dest.replaced(path)
                os.symlink(e.link_target, path)
                self.attrs.apply(path, e)
                self.on_unchanged(i)
            self._item(i, e, flags)
            return
        if not e.is_reg():
            if not (self.o.devices if e.is_device() else self.o.specials):
                self._nonreg(e)
                return
            # upstream's file types: a device is a device (block or character, alike
            # when the numbers match, as upstream's quick_check_ok), a special must be
            # the same kind
            rdev = os.makedev(e.rdev_major, e.rdev_minor) if e.is_device() else 0
            kind = file_kind(e.mode)
            same = st is not None and file_kind(st.st_mode) == kind
            if same and (st.st_rdev == rdev if kind == "device" else
                         stat.S_IFMT(st.st_mode) == stat.S_IFMT(e.mode)):  # identical
                self._keep(i, e, path, st)
                return
            # made anew, over whatever stood there (upstream: atomic_create); the same
            # type with another device number is a change (cDc.T......), not a new one
            if not dry:
                if st is not None:
                    os.unlink(path)
                    self.dest.replaced(path)
                os.mknod(path, e.mode, rdev)
                self.attrs.apply(path, e)
                self.on_unchanged(i)
            self._item(i, e, ITEM_LOCAL_CHANGE | (
                ITEM_REPORT_CHANGE | self._attr_flags(st, e, True) if same else ITEM_IS_NEW))
            return
        if st is not None and stat.S_ISREG(st.st_mode) and self._unchanged(path, st, e):
            if self.partial_dir and not dry:  # a partial file is no longer wanted
                waiting = waiting_partial(path, self.partial_dir, self.o.insecure_links)
                if waiting is not None:
                    os.unlink(waiting[0])
                    drop_partial_dir(waiting[0], self.partial_dir)
            self._keep(i, e, path, st)
            return
        if self.o.append and st is not None and stat.S_ISREG(st.st_mode) \
                and st.st_size >= e.size:
            return  # --append: nothing to add to a file that is not shorter
        if dry and not self.o.only_write_batch:  # -n: say what would come, ask for nothing
            self._item(i, e, self._transfer_flags(e, st))
            return
        if self.o.read_batch:  # the batch decides what is sent; what it sends for a
            self.wanted.add(i)  # file not wanted here is read past (_passed tells when)
            return
        self._request(i, e, 2, st)
        self.asked = i
        if self.queue is not None:
            self.queue.started(i)

    def _item(self, i: int, e: FileEntry, iflags: int, xname: bytes | None = None) -> None:
        """Report an entry's change (upstream: generator.c itemize): from protocol 29
        it goes to the sender as ndx, flags (and the hard link's target), which reports
        it and echoes it back for our receiver to report, so each side's lines come in
        the stream's order; below 29, or once the entry's list is retired, it is reported
        here."""
        if self.o.read_batch:  # the batch holds the sender's reports: none of ours
            return
        if self.p >= 29 and (self.queue is None or self.queue.holds(i)):
            self.conn.write(self.ndx.encode(i) + shortint(iflags)
                            + (vstring(xname) if iflags & ITEM_XNAME_FOLLOWS else b""))
        else:
            self.log.item(e, iflags, hlink=xname)

    def _make_parents(self, path: bytes) -> None:
        """-R with --no-implied-dirs: the directories above an entry that the list does
        not carry are made here, one component at a time, never through a symlink
        (upstream: util1.c make_path)."""
        parent = os.path.dirname(path)
        missing = []
        while parent and not os.path.isdir(parent) and parent != self.dest.root:
            if os.path.islink(parent):
                raise OSError(errno.ELOOP, "a symlink where a directory goes", parent)
            missing.append(parent)
            parent = os.path.dirname(parent)
        for d in reversed(missing):
            os.mkdir(d, 0o755 & ~self.attrs.umask)
            self.dest.replaced(d)

    def _make_room(self, path: bytes, e: FileEntry) -> bool:
        """A directory stands where a non-directory goes: it is removed, with all it
        holds under --delete or --force, else only when empty (upstream: delete_item
        with DEL_MAKE_ROOM; not counted as a deletion)."""
        if self.o.dry_run:
            return True
        if self.o.delete or self.o.force:
            import shutil  # (rarely needed, slow to import)
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.rmdir(path)
            except OSError:
                self.log.info(f"cannot delete non-empty directory: {os.fsdecode(e.name)}")
        if not os.path.lexists(path):
            return True
        what = ("symlink" if e.is_link() else "device file" if e.is_device()
                else "regular file" if e.is_reg() else "special file")
        self.log.error(f"could not make way for new {what}: {os.fsdecode(e.name)}")
        return False

    def _directory(self, i: int, e: FileEntry, st, path: bytes) -> None:
        if st is not None and stat.S_ISLNK(st.st_mode) and self.o.keep_dirlinks \
                and os.path.isdir(path):
            st = os.stat(path)  # -K: the symlinked directory stands for this one
        if e.name == b"." and self.dest.created:
            self.new_dirs.add(id(e))
            if not self.o.dry_run:
                self.fresh.add(path.rstrip(b"/"))
            self._item(i, e, ITEM_IS_NEW | ITEM_LOCAL_CHANGE)
        elif st is None or not stat.S_ISDIR(st.st_mode):
            self.fresh.add(path.rstrip(b"/"))  # (-n: made in thought; what stands there
            if not self.o.dry_run:             # is not looked at, as upstream's
                if st is not None:             # dry_missing_dir)
                    os.unlink(path)
                os.mkdir(path, 0o700)
                self.new_dirs.add(id(e))
            self._item(i, e, ITEM_IS_NEW | ITEM_LOCAL_CHANGE)
        elif (flags := self._attr_flags(st, e)) or self.all_items:
            self._item(i, e, flags)

    def _keep(self, i: int, e: FileEntry, path: bytes, st: os.stat_result) -> None:
        """An entry that stays as it is: its attribute changes reported and made; with
        -vv (not -i) one that needs none is said to be up to date (upstream: rsync.c
        set_file_attrs with ATTRS_REPORT)."""
        flags = self._attr_flags(st, e)
        if flags or self.all_items:
            self._item(i, e, flags)
        if not flags:
            self._uptodate(e)
        if not self.o.dry_run:
            self.attrs.apply(path, e, st)
            self.on_unchanged(i)

    def _uptodate(self, e: FileEntry, i: int | None = None) -> None:
        """An entry with nothing to change: -vv (NAME2) says so; -ii (or -i with -vv) itemizes
        it all the same (a hard link already in place: "hf", with no target)."""
        if self.name_level >= 2 and not self.o.itemize:
            self.log.info(f"{os.fsdecode(e.name)} is uptodate")
        if i is not None and self.all_items:
            self._item(i, e, ITEM_LOCAL_CHANGE | ITEM_XNAME_FOLLOWS, b"")

    def _attr_flags(self, st: os.stat_result, e: FileEntry, changed: bool = False) -> int:
        """The report bits for attributes that will change on an entry that stays
        (upstream: generator.c itemize: times, permissions, owner, group); changed: the
        name gets new contents (a hard link), whose time without -t is the change's."""
        flags = 0
        if self.o.times and not same_mtime(st, e, self.o.modify_window) \
                or changed and not self.o.times:
            flags |= ITEM_REPORT_TIME
        if self.o.perms and not e.is_link() and \
                stat.S_IMODE(st.st_mode) != stat.S_IMODE(e.mode):
            flags |= ITEM_REPORT_PERMS
        if self.o.owner and self.attrs.root and st.st_uid != self.attrs._uid(e):
            flags |= ITEM_REPORT_OWNER
        if self.o.group and st.st_gid != self.attrs._gid(e):
            flags |= ITEM_REPORT_GROUP
        if self.o.atimes and not e.is_dir() and not e.is_link() \
                and int(st.st_atime) != e.atime:
            flags |= ITEM_REPORT_ATIME
        return flags

    def _unchanged(self, path: bytes, st: os.stat_result, e: FileEntry) -> bool:
        """upstream generator.c quick_check_ok: same size, and same mtime within
        --modify-window (or the same checksum with -c); --size-only needs only the size,
        -I never skips."""
        if st.st_size != e.size:
            return False
        if self.o.checksum:
            s = oc_core.FileSum(self.list_algo)
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    s.update(chunk)
            return e.checksum is None or s.digest()[:len(e.checksum)] == e.checksum
        if self.o.ignore_times:
            return False
        if self.o.size_only:
            return True
        return same_mtime(st, e, self.o.modify_window)

    def _transfer_flags(self, e: FileEntry, st, redo: bool = False) -> int:
        """The item flags of a file that comes anew: what changes of the one it
        replaces (upstream: generator.c itemize, with the basis's stat)."""
        iflags = ITEM_TRANSFER | (ITEM_REPORT_CHANGE if self.o.checksum and not redo else 0)
        if st is None:
            return iflags | ITEM_IS_NEW
        if st.st_size != e.size:
            iflags |= ITEM_REPORT_SIZE
        if not self.o.times or not same_mtime(st, e, self.o.modify_window):  # without -t the
            iflags |= ITEM_REPORT_TIME  # time becomes the transfer's (upstream itemize)
        if self.o.perms and stat.S_IMODE(st.st_mode) != stat.S_IMODE(e.mode):
            iflags |= ITEM_REPORT_PERMS
        if self.o.atimes and int(st.st_atime) != e.atime:
            iflags |= ITEM_REPORT_ATIME
        return iflags

    def _request(self, i: int, e: FileEntry, s2len: int, st=_LOOK) -> None:
        """Ask the sender for file i: ndx, item flags (and the basis type when the basis
        is the --partial-dir file), then the sum head and block sums of the basis (a
        head alone for --append in phase 0, an empty one with no basis or -W). st: what
        stands at its name (None: nothing; by default it is looked up)."""
        path = self.path(e)
        if st is _LOOK:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                st = None
        redo = s2len == SUM_LENGTH
        append = self.o.append and not redo
        basis_path, basis_st, btype = path, st, None
        if self.partial_dir and (waiting := waiting_partial(path, self.partial_dir,
                                                            self.o.insecure_links)):
            basis_path, basis_st, btype = *waiting, FNAMECMP_PARTIAL_DIR
        basis = (basis_st is not None and stat.S_ISREG(basis_st.st_mode)
                 and (not self.o.whole_file or self.o.append))
        iflags = self._transfer_flags(e, st, redo)
        out = self.ndx.encode(i)
        if self.p >= 29:
            if btype is not None:
                iflags |= ITEM_BASIS_TYPE_FOLLOWS
            out += shortint(iflags) + (bytes([btype]) if btype is not None else b"")
        if not basis or basis_st.st_size == 0:
            self.conn.write(out + encode_sum_head(SumHead(0, 0, 0, 0)))
            return
        from oc_sig import block_records, sum_sizes  # (a whole-file copy never needs it)
        head = sum_sizes(basis_st.st_size, self.p, self.spec.digest_len,
                         self.o.block_size or None, s2len)
        self.conn.write(out + encode_sum_head(head))
        if append:  # the sender only needs the length
            return
        fd = open_partial(basis_path, self.partial_dir, self.o.insecure_links) \
            if btype is not None else os.open(basis_path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            for piece in block_records(fd, basis_st.st_size, head, self.spec):
                self.conn.write(piece)
        finally:
            os.close(fd)


def _is_real_dir(path: bytes) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False
