"""Directory scanning through libcore (scan.c): one C call per directory (or per batch of
directories, on threads) returns packed records and one name buffer.

A DirListing keeps those bytes as they came (a 120-byte record per entry plus the names);
entries become Python objects only when asked for (rec(i), name(i)), so a scanned tree
costs its packed size, not an object per file.
"""
import os
import struct
from collections import namedtuple
from collections.abc import Callable, Iterator

from ._oc_core import ffi, lib
from ._types import AT_FDCWD

__all__ = ["ScanRec", "DirListing", "ListingScan", "ScanAhead", "scan_dir", "scan_dirs",
           "scan_path",
           "REC_SIZE", "SAME_PERMS", "SAME_OWNER", "SAME_GROUP", "SAME_LINKS",
           "SAME_LINK_TIMES", "SAME_CONTENT"]

SAME_PERMS, SAME_OWNER, SAME_GROUP = lib.OC_SAME_PERMS, lib.OC_SAME_OWNER, lib.OC_SAME_GROUP
SAME_LINKS, SAME_LINK_TIMES = lib.OC_SAME_LINKS, lib.OC_SAME_LINK_TIMES
SAME_CONTENT = lib.OC_SAME_CONTENT
_REC = struct.Struct("<3Q4q13I iI4x")
REC_SIZE = _REC.size
assert REC_SIZE == ffi.sizeof("oc_scan_rec"), "oc_scan_rec layout changed"


# one entry: name, mode, size, mtime, mtime_nsec, uid, gid, nlink, dev (major, minor), ino,
# rdev (major, minor), atime, atime_nsec, btime (None when unknown), btime_nsec,
# link_target (symlinks; else None), err (errno of a failed stat, else 0)
ScanRec = namedtuple("ScanRec", "name mode size mtime mtime_nsec uid gid nlink dev ino rdev "
                     "atime atime_nsec btime btime_nsec link_target err")


class DirListing:
    """The entries of one directory in the filesystem's order."""

    __slots__ = ("path", "_recs", "_names", "_n")

    def __init__(self, path: bytes, recs: bytes, names: bytes):
        self.path, self._recs, self._names = path, recs, names
        self._n = len(recs) // REC_SIZE

    def __len__(self) -> int:
        return self._n

    @property
    def packed_size(self) -> int:
        return len(self._recs) + len(self._names)

    def name(self, i: int) -> bytes:
        (name_off,) = struct.unpack_from("<Q", self._recs, i * REC_SIZE)
        (name_len,) = struct.unpack_from("<I", self._recs, i * REC_SIZE + 56)
        return self._names[name_off:name_off + name_len]

    def mode(self, i: int) -> int:
        return struct.unpack_from("<I", self._recs, i * REC_SIZE + 64)[0]

    def rec(self, i: int) -> ScanRec:
        (name_off, link_off, ino, size, mtime, atime, btime, name_len, link_len, mode, uid,
         gid, nlink, mtime_ns, atime_ns, btime_ns, dmaj, dmin, rmaj, rmin, err,
         flags) = _REC.unpack_from(self._recs, i * REC_SIZE)
        target = (self._names[link_off:link_off + link_len]
                  if flags & lib.OC_SCAN_HAS_TARGET else None)
        return ScanRec(self._names[name_off:name_off + name_len], mode, size, mtime, mtime_ns,
                       uid, gid, nlink, (dmaj, dmin), ino, (rmaj, rmin), atime, atime_ns,
                       btime if flags & lib.OC_SCAN_HAS_BTIME else None, btime_ns, target,
                       err)

    def __iter__(self) -> Iterator[ScanRec]:
        return (self.rec(i) for i in range(self._n))

    def recs_except(self, skip: bytes) -> Iterator[ScanRec]:
        """The records of the entries whose skip byte is 0 (skip: same_in's answer, or
        empty for all)."""
        if not skip:
            return iter(self)
        return (self.rec(i) for i in range(self._n) if not skip[i])

    def same_in(self, dst_dir: bytes, flags: int) -> bytes:
        """same.c: a byte per entry, 1 when it already stands identical in dst_dir (SAME_
        flags: what else must be equal; oc_core.h says what counts); empty when none is
        or a directory cannot be opened."""
        return self.start_same(dst_dir, flags)()

    def start_same(self, dst_dir: bytes, flags: int) -> Callable[[], bytes]:
        """same_in, started now on libcore's worker threads: the function returned waits
        for its answer."""
        if not self._n:
            return bytes
        check = ffi.gc(lib.oc_same_start(self.path, dst_dir,
                                         ffi.from_buffer("oc_scan_rec[]", self._recs),
                                         self._n, ffi.from_buffer("uint8_t[]", self._names),
                                         len(self._names), flags),
                       lib.oc_same_free)
        if check == ffi.NULL:
            raise MemoryError("same.c oc_same_start")
        n = self._n

        def answer() -> bytes:
            same = lib.oc_same_wait(check)
            marks = bytes(ffi.buffer(lib.oc_same_marks(check), n)) if same > 0 else b""
            ffi.release(check)
            return marks
        return answer


def _flags(follow: bool, read_links: bool, open_follow: bool = False) -> int:
    return ((lib.OC_SCAN_FOLLOW if follow else 0) | (lib.OC_SCAN_READ_LINKS if read_links else 0)
            | (lib.OC_SCAN_OPEN_FOLLOW if open_follow else 0))


def _take(s, path: bytes) -> DirListing:
    n = lib.oc_scan_count(s)
    recs = bytes(ffi.buffer(lib.oc_scan_recs(s), n * REC_SIZE)) if n else b""
    nl = lib.oc_scan_names_len(s)
    names = bytes(ffi.buffer(lib.oc_scan_names(s), nl)) if nl else b""
    return DirListing(path, recs, names)


def _error(rc: int, path: bytes) -> OSError:
    return OSError(-rc, os.strerror(-rc), os.fsdecode(path))


def scan_dir(path: bytes, follow: bool = False, read_links: bool = True,
             open_follow: bool = False) -> DirListing:
    """The entries of directory `path`; OSError when it cannot be read. A symlink to a
    directory is entered only with follow (which also stats every entry through its
    links) or open_follow (entries stay unfollowed)."""
    s = ffi.gc(lib.oc_scan_new(), lib.oc_scan_free)
    rc = lib.oc_scan_dir(s, AT_FDCWD, path, _flags(follow, read_links, open_follow))
    if rc < 0:
        raise _error(rc, path)
    return _take(s, path)


class ScanAhead:
    """scan_dir of the directory a walk reads next, on a thread of its own while the
    walk works through the current one (the C scan lets go of the GIL): a local copy
    then reads a source directory while it compares the last one with the destination,
    as upstream's sender and generator do in two processes. start(path, then=...) asks
    for one (at most a few are asked for ahead, so they are held briefly), then(listing)
    called on that thread once it is read; take(path) returns it (or raises its
    OSError), scanning it here if it was not asked for; taken(path) also gives then's
    answer (None when there was none)."""

    def __init__(self):
        self._jobs = None
        self._asked: dict[tuple, list] = {}

    def start(self, path: bytes, open_follow: bool = False,
              then: Callable[["DirListing"], object] | None = None) -> None:
        import queue
        import threading
        if self._jobs is None:
            self._jobs = queue.SimpleQueue()
            threading.Thread(target=self._run, args=(self._jobs,), daemon=True,
                             name="scan-ahead").start()
        done = threading.Lock()
        done.acquire()
        slot = self._asked[path, open_follow] = [done, None, None, None]
        self._jobs.put((path, open_follow, then, slot))

    def take(self, path: bytes, open_follow: bool = False) -> "DirListing":
        return self.taken(path, open_follow)[0]

    def taken(self, path: bytes, open_follow: bool = False) -> tuple["DirListing", object]:
        slot = self._asked.pop((path, open_follow), None)
        if slot is None:
            return scan_dir(path, open_follow=open_follow), None
        slot[0].acquire()
        if slot[2] is not None:
            raise slot[2]
        return slot[1], slot[3]

    @staticmethod
    def _run(jobs) -> None:
        while True:  # (a daemon: it waits on an empty queue until the process ends)
            path, open_follow, then, slot = jobs.get()
            try:
                slot[1] = scan_dir(path, open_follow=open_follow)
                if then is not None:
                    slot[3] = then(slot[1])
            except BaseException as e:  # handed to the walk, which raises it
                slot[2] = e
            finally:
                slot[0].release()


def scan_dirs(paths: list[bytes], threads: int = 2, follow: bool = False,
              read_links: bool = True) -> list[DirListing | OSError]:
    """scan_dir for several directories at once, on up to `threads` threads; an OSError
    in place of a directory that could not be read."""
    if not paths:
        return []
    scans = [ffi.gc(lib.oc_scan_new(), lib.oc_scan_free) for _ in paths]
    keep = [ffi.new("char[]", p) for p in paths]
    outs = ffi.new("oc_scan *[]", scans)
    cpaths = ffi.new("const char *[]", keep)
    results = ffi.new("int[]", len(paths))
    lib.oc_scan_dirs(outs, cpaths, results, len(paths), AT_FDCWD, _flags(follow, read_links),
                     threads)
    return [_error(results[i], p) if results[i] < 0 else _take(scans[i], p)
            for i, p in enumerate(paths)]


def scan_path(path: bytes, follow: bool = False, read_links: bool = True) -> ScanRec:
    """One path's own record (its name is the path as given); OSError if it is missing."""
    s = ffi.gc(lib.oc_scan_new(), lib.oc_scan_free)
    rc = lib.oc_scan_path(s, AT_FDCWD, path, _flags(follow, read_links))
    listing = _take(s, path)
    if rc < 0 and (not len(listing) or listing.rec(0).err):
        raise _error(rc, path)
    return listing.rec(0)


class ListingScan:
    """One directory kept in libcore for --list-only output: its entries in listing order
    and their lines formatted in C (libcore/src/listing.c), for trees where Python per
    entry would cost more than the scan."""

    __slots__ = ("_s", "count", "errors")

    def __init__(self, path: bytes):
        self._s = ffi.gc(lib.oc_scan_new(), lib.oc_scan_free)
        rc = lib.oc_scan_dir(self._s, AT_FDCWD, path, lib.OC_SCAN_READ_LINKS
                             | lib.OC_SCAN_OPEN_FOLLOW)
        if rc < 0:
            raise _error(rc, path)
        self.count = lib.oc_scan_count(self._s)
        self.errors = lib.oc_scan_errors(self._s)

    def order(self) -> tuple[list[int], int]:
        """Entry indexes in listing order, and how many files come before the dirs."""
        out = ffi.new("uint32_t[]", max(self.count, 1))
        files = lib.oc_scan_order(self._s, out)
        return list(out[0:self.count]), files

    def name(self, i: int) -> bytes:
        r = lib.oc_scan_recs(self._s)[i]
        return bytes(ffi.buffer(lib.oc_scan_names(self._s) + r.name_off, r.name_len))

    def format(self, idx: list[int], prefix: bytes, human: int, links: bool,
               allow_8bit: bool) -> bytes:
        if not idx:
            return b""
        cidx = ffi.new("uint32_t[]", idx)
        cap = 4096 + 256 * len(idx)
        while True:
            buf = ffi.new("uint8_t[]", cap)
            n = lib.oc_scan_format(self._s, cidx, len(idx), prefix, len(prefix), human,
                                   1 if links else 0, 1 if allow_8bit else 0, buf, cap)
            if n >= 0:
                return bytes(ffi.buffer(buf, n))
            cap = -n
