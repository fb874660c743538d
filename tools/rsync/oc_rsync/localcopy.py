"""A local copy in one process, for the option sets whose result does not depend on the
protocol's own traffic (the issue allows local copies a fast path whose result equals
upstream's).

Upstream copies locally with three processes over pipes: the sender reads every file into
the stream, the receiver writes it out again and checks its checksum. Here the sender's
scan (oc_flist, the same selection and filter rules, upstream's order) feeds the
generator's own decisions (quick check, -c, -u and the other skips, symlinks, devices,
directories, attribute fixes, directory times last); a file the generator would ask for
is copied by the kernel (copy_file_range) into a temp file beside its final name, given
its attributes and renamed, as the receiver installs one. -c compares the two files'
contents, which is what equal checksums stand for, and reads no file without a
same-sized counterpart (upstream's sender sums every file).

Eligible (`eligible`): nothing is printed but errors, warnings and skip notes (no -v, -i,
--stats, --progress, --out-format, --log-file), whole files, and no option outside
`_MAY_DIFFER` changed from its default (deletion, hard links, partial files, backups,
batches, -R, --files-from, -n... all take upstream's way: our sender and a forked
receiver over a pipe pair). A new option is therefore never taken here by accident.
"""
import errno
import itertools
import os
import queue
import threading

import oc_core
from oc_core.record import fields
from oc_core.scan import (
    SAME_CONTENT,
    SAME_GROUP,
    SAME_LINK_TIMES,
    SAME_LINKS,
    SAME_OWNER,
    SAME_PERMS,
)
from oc_flist.build import IncrementalBuild, ScanErrors, build_items
from oc_flist.filters import FilterRules
from oc_wire.flist_entry import FileEntry
from oc_wire.flist_order import sort_key

from .attrs import Attrs
from .flists import FileLists, duplicates
from .generator import Generator
from .install import temp_name
from .options import Options, debug_level
from .output import Output
from .paths import Destination
from .sources import open_failed, read_failed, scan_reporter, selection_for

__all__ = ["eligible", "copy_locally"]

PROTOCOL = 32
# options that may take any value here: what they change is done by the shared scan,
# generator and attribute code, or they concern only a connection
_MAY_DIFFER = frozenset({
    "recursive", "recursive_explicit", "dirs", "links", "copy_links", "copy_unsafe_links",
    "copy_dirlinks", "keep_dirlinks", "perms", "executability", "owner", "group", "devices",
    "specials", "times", "checksum", "one_file_system", "quiet", "human", "filters",
    "numeric_ids", "update", "existing", "ignore_existing", "size_only", "ignore_times",
    "max_size", "min_size", "modify_window", "omit_dir_times", "omit_link_times", "mkpath",
    "operands", "raw_argv", "rsync_path", "rsh", "timeout", "contimeout", "compress",
    "compress_choice", "compress_level", "compress_implied", "skip_compress",
    "checksum_choice", "checksum_seed", "block_size", "eight_bit", "inc_recursive",
    "whole_file", "debug", "secluded_args", "old_args", "insecure_links", "fuzzy"})
_DEFAULTS = Options()


def eligible(o: Options) -> bool:
    """Whether this local copy may run here (o: the client's options, whole-file
    already settled)."""
    return o.whole_file is True and not debug_level(o, "nstr") and all(
        f.name in _MAY_DIFFER or getattr(o, f.name) == getattr(_DEFAULTS, f.name)
        for f in fields(Options))


class _Workers:
    """Threads running the copies and -c comparisons the generator hands over, so the
    kernel's work (reading, writing, copying, renaming) overlaps the generator's Python
    work on a second core. At most LIMIT jobs wait; the first failure is raised to the
    generator at its next hand-over and at the end; finish(stop=True) ends a copy at its
    next chunk and leaves no temp file behind."""

    LIMIT = 512

    def __init__(self, count: int = 2):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.room = threading.Semaphore(self.LIMIT)
        self.error: BaseException | None = None
        self.stop = oc_core.StopFlag()
        self.ending = False  # the threads were told to end
        # each thread's own end: Thread.join cannot be waited on again after a signal
        # interrupted it (CPython 3.11 then takes the thread for stopped, bpo-45274)
        self.ended = [threading.Event() for _ in range(count)]
        for k in range(count):
            threading.Thread(target=self._work, args=(self.ended[k],), daemon=True).start()

    def submit(self, job) -> None:
        if self.error is not None:
            raise self.error
        self.room.acquire()
        self.jobs.put(job)

    def _work(self, ended: threading.Event) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                try:
                    if self.error is None and not self.stop.is_set():
                        job()
                except BaseException as exc:  # noqa: BLE001 - raised in the generator's
                    if self.error is None:     # thread
                        self.error = exc
                finally:
                    self.room.release()
        finally:
            ended.set()

    def finish(self, stop: bool = False) -> None:
        """Wait for the jobs handed over (stop: end them at once). Called again after a
        signal interrupted the wait, it waits for the threads still running, so none
        is left copying (and holding a temp file) when the process exits."""
        if stop:
            self.stop.set()
        if not self.ending:
            self.ending = True
            for _ in self.ended:
                self.jobs.put(None)
        for ended in self.ended:
            ended.wait()
        if self.error is not None and not stop:
            raise self.error


class _LocalGenerator(Generator):
    """The generator's decisions, with the transfer done here instead of asked for."""

    def __init__(self, dest: Destination, lists: FileLists, attrs: Attrs, o: Options,
                 out: Output, workers: _Workers):
        super().__init__(None, PROTOCOL, None, dest, lists, attrs, None, o, out)
        self.workers = workers
        self.source = b""   # the entry being generated: the path the sender opens
        self.io_error = 0
        self.io_lock = threading.Lock()
        self.same: dict[int, tuple[threading.Event, dict]] = {}  # -c, by id(entry)
        self.pending: list[tuple] = []  # transfers not handed over yet (a few at a time)
        self.redo: list[tuple] = []  # transfers to do again: the source changed meanwhile
        # -L/-k/--copy-unsafe-links listed some links as their referents
        self.open_flags = os.O_RDONLY | (
            0 if o.copy_links or o.copy_dirlinks or o.copy_unsafe_links else os.O_NOFOLLOW)

    def copy(self, lists) -> None:
        """Every list (its entries with their source paths, in list order), then, once
        every copy is in, the directories' attributes."""
        i = 0
        for pairs in lists:
            if self.o.checksum:
                self._compare_ahead(pairs)
            for e, self.source in pairs:
                self._generate(i, e)
                i += 1
            self._hand_over()
            self.same.clear()  # (those of entries the generator did not compare)
        self.workers.finish()
        for job in self.redo:  # (upstream's phase 1)
            self._transfer(*job, again=True)
        self.touch_up_dirs()

    def _compare_ahead(self, pairs) -> None:
        """-c: a list's regular files are compared with their namesakes on the workers,
        a few at a time, while the generator goes through the list."""
        regular = [(e, src) for e, src in pairs if e.is_reg()]
        for k in range(0, len(regular), 32):
            chunk, done, results = regular[k:k + 32], threading.Event(), {}
            for e, _ in chunk:
                self.same[id(e)] = (done, results)

            def compare(chunk=chunk, done=done, results=results):
                try:
                    for e, src in chunk:
                        same = oc_core.files_equal(src, self.open_flags, self.path(e), e.size)
                        results[id(e)] = same == 1
                finally:
                    done.set()
            self.workers.submit(compare)

    def _item(self, i: int, e: FileEntry, iflags: int, xname: bytes | None = None) -> None:
        self.log.item(e, iflags, hlink=xname)

    def _unchanged(self, path: bytes, st: os.stat_result, e: FileEntry) -> bool:
        if not self.o.checksum:
            return super()._unchanged(path, st, e)
        if st.st_size != e.size:
            return False
        ahead = self.same.pop(id(e), None)
        if ahead is None:
            return oc_core.files_equal(self.source, self.open_flags, path, e.size) == 1
        ahead[0].wait()
        if self.workers.error is not None:
            raise self.workers.error
        return ahead[1][id(e)]

    def _request(self, i: int, e: FileEntry, s2len: int, st=None) -> None:
        self.pending.append((e, self.source, self.path(e),
                             st.st_mode if st is not None else None))
        if len(self.pending) >= self.BATCH:
            self._hand_over()

    BATCH = 16  # transfers a worker takes at once

    def _hand_over(self) -> None:
        batch, self.pending = self.pending, []
        if batch:
            self.workers.submit(lambda: self._transfer_all(batch))

    def _transfer_all(self, batch: list[tuple]) -> None:
        for job in batch:
            if self.workers.stop.is_set():
                return
            self._transfer(*job)

    def _transfer(self, e: FileEntry, source: bytes, path: bytes, old_mode,
                  again: bool = False) -> None:
        """(On a worker) the sender's open (upstream: sender.c send_files, "file has
        vanished"), the receiver's temp file, attributes and rename: in one C call.
        A source that could not be read to the length it had when opened (it shrank as
        it was copied) is installed nowhere: as upstream, the sender says "read errors
        mapping" and the file is copied again after all the others (its redo); a second
        such failure leaves the destination as it was, with upstream's ERROR line."""
        bits, uid, gid, mode = self.attrs.for_new_file(e, old_mode)
        d, base = os.path.split(path)
        while True:
            rc, stage = oc_core.copy_install(
                source, self.open_flags, e.dev if e.ino else 0, e.ino or 0,
                temp_name(d or b".", base), path, bits, uid, gid, mode, e.mtime,
                e.mtime_nsec, self.workers.stop)
            if rc != -errno.EEXIST or stage != oc_core.STAGE_TEMP:  # (a name taken: again)
                break
        if rc == 0 or self.workers.stop.is_set():
            return
        if stage == oc_core.STAGE_READ:
            bit = read_failed(-rc, source, lambda t: self.log.error(t, "sender"))
            with self.io_lock:
                self.io_error |= bit
                if not again:
                    self.redo.append((e, source, path, old_mode))
            if again:
                self.log.error_text(f"ERROR: {os.fsdecode(e.name)} failed verification "
                                    "-- update discarded.")
            return
        if stage != oc_core.STAGE_OPEN:  # named like the receiver's write errors
            raise OSError(-rc, os.strerror(-rc), path)
        bit = open_failed(OSError(-rc, os.strerror(-rc)), source, self.log.warning,
                          lambda t: self.log.error(t, "sender"))
        with self.io_lock:
            self.io_error |= bit


def _sorted(pairs, key) -> list:
    return sorted(pairs, key=lambda t: key(t[0]))


def _identical(o: Options, attrs: Attrs, dest: bytes):
    """What already stands identical in the destination, found in C as each source
    directory is read, before its entries become Python objects (oc_core.scan
    DirListing.start_same): regular files and (as symlinks) symlinks whose type, size,
    mtime to the nanosecond, target, and the permissions, owner and group these options
    keep, are equal (with -c the bytes too). For those the generator would change
    nothing and say nothing, under every option this path takes (-u, --existing,
    --ignore-existing, --size-only, --max-size... all end in "leave it"); anything else,
    directories included, goes to the generator. None with -I, which copies every file.
    (Not with several sources: the first of two same-named entries is the one kept.)
    A directory is checked as soon as it is read ahead, while the generator is still in
    the one before (but not with -K, where a kept symlink may lead that one into this
    one); a destination file with links its source has not is left to the generator, as
    a change to it under another name would otherwise go unseen."""
    if o.ignore_times:
        return None
    flags = ((SAME_PERMS if o.perms or o.executability else 0)  # (owner and group are
             | (SAME_OWNER if o.owner and attrs.root else 0)      # only set by root)
             | (SAME_GROUP if o.group and attrs.root else 0)
             | (SAME_CONTENT if o.checksum else 0))
    if o.links and not (o.copy_links or o.copy_unsafe_links or o.copy_dirlinks):
        flags |= SAME_LINKS | (SAME_LINK_TIMES if o.times and not o.omit_link_times else 0)
    return lambda listing, prefix: listing.start_same(os.path.join(dest, prefix), flags)


def copy_locally(o: Options, srcs: list[str], dest: str, rules: FilterRules,
                 out: Output) -> int:
    """The whole copy; returns the exit code (23/24 after a scan or open error)."""
    errors = ScanErrors()
    report = scan_reporter(errors, lambda t: out.error(t, "sender"), out.info, out.warning)
    sel, key = selection_for(o), sort_key(PROTOCOL)
    sources = [os.fsencode(s) for s in srcs]
    sender_rules = rules.for_sender()
    attrs = Attrs(o)
    if len(sources) == 1 and o.recursive:  # directory by directory, as incremental
        # recursion sends them (-d: one flat list, as without recursion)
        build = IncrementalBuild(sources[0], sel, sender_rules, errors, key, sorted_lists=True)
        if (identical := _identical(o, attrs, os.fsencode(dest))) is not None:
            build.leave_out(identical, ahead=not o.keep_dirlinks)
        first = _sorted(build.first(), key)
        later = (pairs for _, pairs in build.lists([e for e, _ in first]))
    else:
        first = _sorted(build_items(sources, sel, sender_rules, errors), key)
        later = iter(())
    total = len(first)
    if total == 1 and (ahead := next(later, None)) is not None:  # as upstream's receiver:
        total += len(ahead)                    # one entry, so the next list comes first
        later = itertools.chain((ahead,), later)  # (roles.receive_files)
    io_error = report()
    entries = [e for e, _ in first]
    lists = FileLists(False, entries)
    where = Destination(os.fsencode(dest), entries, mkpath=o.mkpath,
                        keep_dirlinks=o.keep_dirlinks, total=total,
                        insecure=o.insecure_links)
    workers = _Workers()
    gen = _LocalGenerator(where, lists, attrs, o, out, workers)
    gen.pruned |= duplicates(entries)

    def each_list():
        yield first
        for pairs in later:
            yield pairs
            nonlocal io_error
            io_error |= report()
    try:
        gen.copy(each_list())
    except BaseException:
        workers.finish(stop=True)  # (after an error or a signal: no temp file stays)
        raise
    return out.exit_code(io_error | gen.io_error)
