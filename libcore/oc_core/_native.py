"""Thin wrappers over libcore (cffi API mode). Same functions as _pure.py."""
import errno
import os

from . import _types
from ._oc_core import ffi, lib
from ._types import AT_FDCWD, SigTable
from .window import FileWindow

__all__ = ["NAME", "rolling_checksum", "block_sums", "strong_sum", "block_strong_sums",
           "sig_records", "md4", "Md4", "match", "simd_level", "force_scalar",
           "StopFlag", "copy_install", "install_temp", "open_beneath", "files_equal",
           "start_writeback", "preallocate", "punch_hole", "FileMap", "map_file",
           "MappedWindow", "open_window"]

NAME = "native"
_BATCH = 512


def simd_level() -> int:
    return lib.oc_simd_level()


def keep_freed_memory(trim_threshold: int, mmap_threshold: int) -> bool:
    return lib.oc_keep_freed_memory(trim_threshold, mmap_threshold) == 1


def force_scalar(on: bool) -> None:
    """Tests only: route the rolling sum through the scalar path."""
    lib.oc_force_scalar(1 if on else 0)


def rolling_checksum(data) -> int:
    buf = ffi.from_buffer(data)
    return lib.oc_rolling_checksum(buf, len(buf))


def block_sums(data, block_len: int) -> list[int]:
    buf = ffi.from_buffer(data)
    n = -(-len(buf) // block_len)
    out = ffi.new("uint32_t[]", max(n, 1))
    lib.oc_block_sums(buf, len(buf), block_len, out)
    return list(out[0:n])


def strong_sum(algo: int, data, seed: int, seed_mode: int) -> bytes:
    buf = ffi.from_buffer(data)
    out = ffi.new("uint8_t[32]")
    n = lib.oc_strong_sum(int(algo), buf, len(buf), seed & 0xFFFFFFFF, int(seed_mode), out)
    if n < 0:
        raise ValueError(f"unknown checksum algorithm {algo}")
    return bytes(ffi.buffer(out, n))


def block_strong_sums(algo: int, data, block_len: int, seed: int, seed_mode: int,
                      s2len: int) -> bytes:
    buf = ffi.from_buffer(data)
    n = -(-len(buf) // block_len)
    out = ffi.new("uint8_t[]", max(n * s2len, 1))
    lib.oc_block_strong_sums(int(algo), buf, len(buf), block_len, seed & 0xFFFFFFFF,
                             int(seed_mode), s2len, out)
    return bytes(ffi.buffer(out, n * s2len))


def sig_records(algo: int, data, block_len: int, seed: int, seed_mode: int,
                s2len: int) -> bytes:
    buf = ffi.from_buffer(data)
    n = -(-len(buf) // block_len)
    out = ffi.new("uint8_t[]", max(n * (4 + s2len), 1))
    got = lib.oc_sig_records(int(algo), buf, len(buf), block_len, seed & 0xFFFFFFFF,
                             int(seed_mode), s2len, out)
    return bytes(ffi.buffer(out, got))


def md4(data) -> bytes:
    buf = ffi.from_buffer(data)
    out = ffi.new("uint8_t[16]")
    lib.oc_md4(buf, len(buf), out)
    return bytes(ffi.buffer(out, 16))


class Md4:
    """Streaming MD4 in C."""

    def __init__(self, data: bytes = b""):
        self._ctx = ffi.new("oc_digest_ctx *")
        lib.oc_digest_init(self._ctx, lib.OC_CSUM_MD4)
        self.update(data)

    def update(self, data) -> None:
        buf = ffi.from_buffer(data)
        lib.oc_digest_update(self._ctx, buf, len(buf))

    def digest(self) -> bytes:
        copy = ffi.new("oc_digest_ctx *", self._ctx[0])
        out = ffi.new("uint8_t[20]")
        n = lib.oc_digest_final(copy, out)
        return bytes(ffi.buffer(out, n))


def match(sig: SigTable, data, algo: int, seed: int, seed_mode: int, on_progress=None,
          updating: bool = False, counts=None):
    """Yields (lit_offset, lit_len, token) records exactly as _pure.match does; updating:
    the receiver rewrites its basis in place; counts: a MatchCounts to add this file's
    counters to once the records are all taken.

    `data` is the whole new file (bytes-like) or a FileWindow over it, read on as the
    matcher needs and forgotten below its low water. on_progress(low_water) is called after
    each batch with the lowest offset still needed."""
    count = sig.count
    sum1 = ffi.from_buffer("uint32_t[]", sig.sum1) \
        if getattr(sig.sum1, "itemsize", 0) == 4 and count \
        else ffi.new("uint32_t[]", list(sig.sum1) or [0])  # (a tuple)
    sum2 = ffi.from_buffer(sig.sum2) if sig.sum2 else ffi.new("uint8_t[1]")
    m = lib.oc_matcher_new(sum1, sum2, count, sig.block_len, sig.remainder, sig.s2len,
                           int(algo), seed & 0xFFFFFFFF, int(seed_mode))
    if m == ffi.NULL:
        raise MemoryError("oc_matcher_new")
    m = ffi.gc(m, lib.oc_matcher_free)
    if updating and lib.oc_matcher_inplace(m):
        raise MemoryError("oc_matcher_inplace")
    window = data if isinstance(data, FileWindow) else None
    size = window.size if window is not None else len(data)
    out = ffi.new("oc_match_rec[]", _BATCH)
    done = ffi.new("int *")
    while not done[0]:
        if window is not None:
            window.ensure(max(lib.oc_matcher_need(m), min(size, 2 * sig.block_len + 1)))
            with ffi.from_buffer(window.buf) as buf:  # (released before the window moves)
                n = lib.oc_matcher_run(m, buf, window.base, window.end, size, out, _BATCH,
                                       done)
        else:
            buf = ffi.from_buffer(data) if size else ffi.new("uint8_t[1]")
            n = lib.oc_matcher_run(m, buf, 0, size, size, out, _BATCH, done)
        for j in range(n):
            r = out[j]
            yield (r.lit_offset, r.lit_len, r.token)
        low = lib.oc_matcher_low_water(m)
        if window is not None:
            window.forget(low)
        if on_progress is not None:
            on_progress(low)
    if counts is not None:
        got = ffi.new("int64_t[3]")
        lib.oc_matcher_counts(m, got)
        counts.add(got[0], got[1], got[2])


class StopFlag(_types.StopFlag):
    """Set it to end the copies in progress between chunks (copy_install)."""

    def __init__(self):
        super().__init__(ffi.new("int *"))


def copy_install(src: bytes, src_flags: int, dev: int, ino: int, tmp: bytes, dst: bytes,
                 set_bits: int, uid: int, gid: int, mode: int, mtime: int, mtime_nsec: int,
                 stop: StopFlag | None = None) -> tuple[int, int]:
    """copy.c oc_copy_install: (0 or -errno, the step that failed)."""
    keep = [ffi.new("char[]", src), ffi.new("char[]", tmp), ffi.new("char[]", dst)]
    job = ffi.new("oc_copy_job *", {
        "src": keep[0], "src_flags": src_flags, "dev": dev, "ino": ino, "tmp": keep[1],
        "dst": keep[2], "set": set_bits, "uid": uid, "gid": gid, "mode": mode,
        "mtime_sec": mtime, "mtime_nsec": mtime_nsec,
        "stop": stop.cell if stop is not None else ffi.NULL})
    stage = ffi.new("int *")
    return lib.oc_copy_install(job, stage), stage[0]


def install_temp(fd: int, tmp: bytes, dst: bytes, set_bits: int, uid: int, gid: int,
                 mode: int, mtime: int, mtime_nsec: int, tmp_dir: int = AT_FDCWD,
                 dst_dir: int = AT_FDCWD) -> tuple[int, int]:
    """copy.c oc_install_temp: (0 or -errno, the step that failed); fd is closed. tmp
    and dst are taken in the directories tmp_dir and dst_dir are open on."""
    stage = ffi.new("int *")
    return lib.oc_install_temp(fd, tmp_dir, tmp, dst_dir, dst, set_bits, uid, gid, mode,
                               mtime, mtime_nsec, stage), stage[0]


def open_beneath(dir_fd: int, path: bytes, flags: int) -> int:
    """beneath.c oc_open_beneath: a descriptor of path below dir_fd (symlinks followed
    while they stay below it); OSError (EXDEV: one leads out)."""
    fd = lib.oc_open_beneath(dir_fd, path, flags)
    if fd == -errno.ENOSYS:  # (a kernel before 5.6: the reference's walk)
        from . import _pure
        return _pure.open_beneath(dir_fd, path, flags)
    if fd < 0:
        raise OSError(-fd, os.strerror(-fd), os.fsdecode(path))
    return fd


def files_equal(a: bytes, a_flags: int, b: bytes, size: int) -> int:
    """copy.c oc_files_equal: 1 same bytes, 0 not (or b not a regular file of size
    bytes), -errno."""
    return lib.oc_files_equal(a, a_flags, b, size)


def start_writeback(fd: int) -> int:
    """copy.c oc_start_writeback: the file's dirty pages start going to its device; 0 or
    -errno (advisory: the caller goes on either way)."""
    return lib.oc_start_writeback(fd)


def preallocate(fd: int, length: int, keep_size: bool = True) -> int:
    """copy.c oc_preallocate: blocks reserved for the first `length` bytes of the file at
    fd, its size left as it is (keep_size) or made `length`; 0 or -errno (the caller
    writes on either way)."""
    return lib.oc_preallocate(fd, length, int(keep_size))


def punch_hole(fd: int, offset: int, length: int) -> int:
    """copy.c oc_punch_hole: the blocks of a range given back (it reads as zeros); 0 or
    -errno."""
    return lib.oc_punch_hole(fd, offset, length)


MAP_FROM = 8 << 20  # files from this size on are read through a mapping


class FileMap:
    """The first size bytes of the file at fd, mapped read-only (mapped.c): buf reads the
    page cache where it is, without read(2)'s copy. A page that vanished (the file shrank)
    reads as zeros and shrank() says so. close() unmaps (no view of buf may be in use
    then); a FileMap nobody refers to any more is unmapped by the garbage collector."""

    __slots__ = ("_m", "fd", "size", "buf")

    def __init__(self, fd: int, size: int):
        m = ffi.gc(ffi.new("oc_map *"), lib.oc_map_close)
        rc = lib.oc_map_open(m, fd, size)
        if rc < 0:
            raise OSError(-rc, os.strerror(-rc))
        self._m, self.fd, self.size = m, fd, size
        self.buf = ffi.buffer(m.p, size) if size else b""

    def advise(self, off: int, length: int, how: int) -> None:
        lib.oc_map_advise(self._m, off, length, how)

    def drop(self, off: int, length: int) -> None:
        """Let go of the pages of off..off+length (the file keeps them cached): the
        process's resident size stays what it is reading, not all it has read."""
        lib.oc_map_advise(self._m, off, length, lib.OC_MAP_DROP)

    def shrank(self) -> bool:
        return self._m.p != ffi.NULL and lib.oc_map_shrank(self._m, self.fd) != 0

    def close(self) -> None:
        self.buf = b""
        lib.oc_map_close(self._m)


def map_file(fd: int, size: int) -> FileMap | None:
    """A FileMap of a file from MAP_FROM bytes on (a smaller one reads faster with
    read(2): mapping costs a few system calls and page faults); None otherwise, or when
    the file cannot be mapped."""
    if size >= MAP_FROM:
        try:
            return FileMap(fd, size)
        except OSError:
            pass
    return None


class MappedWindow(FileWindow):
    """A FileWindow over a FileMap of the whole file: the matcher, the checksum and get()
    read the page cache where it is, with no read(2) copying it into a buffer first. A
    page that vanished reads as zeros, as FileWindow's failed reads, and finish() says
    ENODATA. forget() lets go of the pages behind (the file keeps them cached), so the
    process holds no more of the file than a FileWindow would."""

    __slots__ = ("_map", "_kept")

    def __init__(self, fmap: FileMap, start: int = 0, on_read=None, piece: int = 1 << 20):
        fmap.advise(0, fmap.size, lib.OC_MAP_SEQUENTIAL)
        self._map, self._kept = fmap, 0
        self.fd, self.size, self.error, self.buf = fmap.fd, fmap.size, 0, fmap.buf
        self.base, self.end = 0, start
        self._on_read, self._piece, self._file = on_read, piece, None

    def ensure(self, upto: int) -> None:
        upto = min(upto, self.size)
        while self.end < upto:
            want = min(self._piece, self.size - self.end)
            if self._on_read is not None:
                view = memoryview(self.buf)[self.end:self.end + want]
                try:
                    self._on_read(view)
                finally:
                    view.release()
            self.end += want

    def forget(self, low: int) -> None:
        if low - self._kept >= 4 << 20:
            self._map.drop(self._kept, low - self._kept)  # (whole pages: the one
            self._kept = low  # holding low stays for the next time)

    def finish(self) -> int:
        if not self.error and self._map.shrank():
            self.error = errno.ENODATA
        return self.error

    def close(self) -> None:
        self.buf = b""
        self._map.close()


def open_window(fd: int, size: int, start: int = 0, on_read=None) -> FileWindow:
    """The window a file of size bytes is sent through: a MappedWindow when map_file
    maps it, a FileWindow otherwise."""
    fmap = map_file(fd, size)
    if fmap is not None:
        return MappedWindow(fmap, start, on_read)
    return FileWindow(fd, size, start, on_read)
