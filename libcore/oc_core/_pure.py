"""Pure-Python reference of libcore: slow, exact, and the oracle the C code is tested against.

upstream: checksum.c get_checksum1/get_checksum2, lib/mdfour.c, match.c hash_search.
"""
import errno
import hashlib
import os
import stat
import struct

import xxhash

from ._types import (
    AT_FDCWD,
    CHUNK_SIZE,
    MAX_CHAIN_LEN,
    SET_GROUP,
    SET_MODE,
    SET_MTIME,
    SET_OWNER,
    STAGE_OPEN,
    STAGE_READ,
    STAGE_RENAME,
    STAGE_TEMP,
    STAGE_WRITE,
    Checksum,
    SeedMode,
    SigTable,
    StopFlag,
)
from .window import FileWindow

__all__ = ["NAME", "rolling_checksum", "block_sums", "strong_sum", "block_strong_sums",
           "sig_records", "md4", "Md4", "match", "simd_level", "StopFlag", "copy_install",
           "install_temp", "open_beneath", "files_equal", "start_writeback", "preallocate",
           "punch_hole", "map_file", "open_window"]

NAME = "pure"
_M32 = 0xFFFFFFFF


def simd_level() -> int:
    return 0


def keep_freed_memory(trim_threshold: int, mmap_threshold: int) -> bool:
    return False  # (the allocator is left as it is)


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def rolling_checksum(data) -> int:
    """upstream get_checksum1: bytes as signed chars; (s1 & 0xffff) | (s2 << 16)."""
    s1 = s2 = 0
    for b in bytes(data):
        s1 += _signed(b)
        s2 += s1
    return (s1 & 0xFFFF) | ((s2 & 0xFFFF) << 16)


def block_sums(data, block_len: int) -> list[int]:
    data = bytes(data)
    return [rolling_checksum(data[o:o + block_len]) for o in range(0, len(data), block_len)]


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _M32


class Md4:
    """Streaming MD4 (RFC 1320)."""

    def __init__(self, data: bytes = b""):
        self._st = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
        self._buf = b""
        self._total = 0
        self.update(data)

    def update(self, data) -> None:
        data = self._buf + bytes(data)
        self._total += len(data) - len(self._buf)
        full = len(data) - len(data) % 64
        for off in range(0, full, 64):
            self._block(data[off:off + 64])
        self._buf = data[full:]

    def _block(self, chunk: bytes) -> None:
        x = struct.unpack("<16I", chunk)
        a, b, c, d = self._st
        for i in range(16):
            t = (a + ((b & c) | (~b & d)) + x[i]) & _M32
            a, d, c, b = d, c, b, _rotl(t, (3, 7, 11, 19)[i % 4])
        for i in range(16):
            k = (i % 4) * 4 + i // 4
            t = (a + ((b & c) | (b & d) | (c & d)) + x[k] + 0x5A827999) & _M32
            a, d, c, b = d, c, b, _rotl(t, (3, 5, 9, 13)[i % 4])
        order = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)
        for i in range(16):
            t = (a + (b ^ c ^ d) + x[order[i]] + 0x6ED9EBA1) & _M32
            a, d, c, b = d, c, b, _rotl(t, (3, 9, 11, 15)[i % 4])
        self._st = [(s + v) & _M32 for s, v in zip(self._st, (a, b, c, d), strict=True)]

    def digest(self) -> bytes:
        clone = Md4()
        clone._st, clone._buf, clone._total = list(self._st), self._buf, self._total
        bits = self._total * 8
        pad = b"\x80" + b"\0" * ((55 - self._total) % 64) + struct.pack("<Q", bits & (2**64 - 1))
        clone.update(pad)
        return struct.pack("<4I", *clone._st)


def md4(data) -> bytes:
    return Md4(data).digest()


def strong_sum(algo: int, data, seed: int, seed_mode: int) -> bytes:
    """upstream get_checksum2: the full digest of `data` with the seed placed per seed_mode."""
    data = bytes(data)
    sb = struct.pack("<I", seed & _M32)
    pre = sb if seed_mode == SeedMode.BEFORE else b""
    post = sb if seed_mode == SeedMode.AFTER else b""
    hseed = seed & _M32 if seed_mode == SeedMode.HASH else 0
    algo = Checksum(algo)
    if algo is Checksum.MD4:
        return md4(pre + data + post)
    if algo is Checksum.MD5:
        return hashlib.md5(pre + data + post).digest()
    if algo is Checksum.SHA1:
        return hashlib.sha1(pre + data + post).digest()
    if algo is Checksum.XXH64:
        return xxhash.xxh64_intdigest(data, hseed).to_bytes(8, "little")
    if algo is Checksum.XXH3:
        return xxhash.xxh3_64_intdigest(data, hseed).to_bytes(8, "little")
    if algo is Checksum.XXH128:
        return xxhash.xxh3_128_intdigest(data, hseed).to_bytes(16, "little")
    return b""


def block_strong_sums(algo: int, data, block_len: int, seed: int, seed_mode: int,
                      s2len: int) -> bytes:
    """The first s2len bytes of each block's strong sum, concatenated."""
    data = bytes(data)
    return b"".join(strong_sum(algo, data[o:o + block_len], seed, seed_mode)[:s2len]
                    for o in range(0, len(data), block_len))


def sig_records(algo: int, data, block_len: int, seed: int, seed_mode: int,
                s2len: int) -> bytes:
    """The generator's per-block wire records: int32 sum1 (LE) + s2len strong-sum bytes."""
    data = bytes(data)
    return b"".join(struct.pack("<I", rolling_checksum(data[o:o + block_len]))
                    + strong_sum(algo, data[o:o + block_len], seed, seed_mode)[:s2len]
                    for o in range(0, len(data), block_len))


def match(sig: SigTable, data, algo: int, seed: int, seed_mode: int, on_progress=None,
          updating: bool = False, counts=None):
    """upstream match.c match_sums/hash_search: yields (lit_offset, lit_len, token) records,
    one per call of upstream's matched(); token >= 0 is a block, -2 a flush, -1 the end.
    updating: the receiver rewrites its basis in place (upstream updating_basis_file): a
    block behind the offset is usable only where it already sits. on_progress is accepted
    for parity with the native backend and not called. counts: a MatchCounts to add this
    file's counters to once the records are all taken. `data` may be a FileWindow: read
    whole (this reference backend keeps all of it)."""
    data = data.get(0, data.size) if isinstance(data, FileWindow) else bytes(data)
    size = len(data)
    state = {"last": 0}

    def emit(offset: int, token: int):
        rec = (state["last"], offset - state["last"], token)
        state["last"] = offset + sig.length_of(token) if token >= 0 else offset
        return rec

    if size == 0 or sig.count == 0:
        for j in range(CHUNK_SIZE, size, CHUNK_SIZE):
            yield emit(j, -2)
        yield emit(size, -1)
        return
    matches = hash_hits = false_alarms = 0
    tablesize = max(sig.count // 8 * 10 + 11, 1 << 16)
    traditional = tablesize == 1 << 16
    buckets: dict[int, list[int]] = {}
    for i, s in enumerate(sig.sum1):
        h = ((s & 0xFFFF) + (s >> 16)) & 0xFFFF if traditional else s % tablesize
        buckets.setdefault(h, []).insert(0, i)
    k = min(size, sig.block_len)
    first = rolling_checksum(data[:k])
    s1, s2 = first & 0xFFFF, first >> 16
    end = size + 1 - sig.length_of(sig.count - 1)
    offset = want_i = aligned_i = aligned_offset = 0
    same: set[int] = set()  # in-place: blocks matched at their own offset

    def strong_of(at: int, length: int) -> bytes:
        return strong_sum(algo, data[at:at + length], seed, seed_mode)[:sig.s2len]

    while True:
        total = (s1 & 0xFFFF) | ((s2 << 16) & _M32)
        h = (s1 + s2) & 0xFFFF if traditional else total % tablesize
        strong = None
        chain_len = 0
        chain = buckets.get(h, [])
        hash_hits += bool(chain)
        for i in list(chain):
            if updating and i * sig.block_len < offset and i not in same:
                chain.remove(i)  # behind us and overwritten: never usable again
                continue
            if total != sig.sum1[i]:
                continue
            chain_len += 1
            if chain_len > MAX_CHAIN_LEN:
                break
            length = min(sig.block_len, size - offset)
            if length != sig.length_of(i):
                continue
            if strong is None:
                strong = strong_of(offset, length)
            if strong != sig.strong(i):
                false_alarms += 1
                continue
            if updating:
                while aligned_offset < offset:
                    aligned_offset += sig.block_len
                    aligned_i += 1
                a = aligned_i
                if (offset == aligned_offset or (total == 0 and length == sig.block_len
                                                 and aligned_offset + length <= size)) \
                        and a < sig.count and (i == a or (
                            total == sig.sum1[a] and length == sig.length_of(a)
                            and strong == sig.strong(a))):
                    i = a
                    if offset == aligned_offset or (
                            rolling_checksum(data[aligned_offset:aligned_offset + length])
                            == sig.sum1[a] and strong_of(aligned_offset, length)
                            == sig.strong(a)):
                        offset, want_i = aligned_offset, a
                        same.add(a)
            if (i != want_i and want_i < sig.count
                    and (not updating or want_i * sig.block_len >= offset or want_i in same)
                    and total == sig.sum1[want_i]
                    and length == sig.length_of(want_i) and strong == sig.strong(want_i)):
                i = want_i
            want_i = i + 1
            yield emit(offset, i)
            offset += sig.length_of(i) - 1
            k = min(sig.block_len, size - offset)
            again = rolling_checksum(data[offset:offset + k])
            s1, s2 = again & 0xFFFF, again >> 16
            matches += 1
            break
        backup = max(offset - state["last"], 0)
        more = offset + k < size
        b0 = _signed(data[offset])
        s1 = (s1 - b0) & _M32
        s2 = (s2 - k * b0) & _M32
        if more:
            s1 = (s1 + _signed(data[offset + k])) & _M32
            s2 = (s2 + s1) & _M32
        else:
            k -= 1
        if backup >= sig.block_len + CHUNK_SIZE and end - offset > CHUNK_SIZE:
            yield emit(offset - sig.block_len, -2)
        offset += 1
        if offset >= end:
            break
    yield emit(size, -1)
    if counts is not None:
        counts.add(matches, hash_hits, false_alarms)


def copy_install(src: bytes, src_flags: int, dev: int, ino: int, tmp: bytes, dst: bytes,
                 set_bits: int, uid: int, gid: int, mode: int, mtime: int, mtime_nsec: int,
                 stop: StopFlag | None = None) -> tuple[int, int]:
    """The reference of copy.c oc_copy_install: (0 or -errno, the step that failed)."""
    stage = STAGE_OPEN
    try:
        fd_in = os.open(src, os.O_RDONLY | os.O_CLOEXEC | src_flags)
    except OSError as e:
        return -e.errno, stage
    out = None
    try:
        st = os.fstat(fd_in)
        if ino and (st.st_dev, st.st_ino) != (dev, ino):
            return -errno.ELOOP, stage
        stage = STAGE_TEMP
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                      | os.O_CLOEXEC, 0o600)
        left = st.st_size  # (as long as when opened)
        while left:
            if stop is not None and stop.is_set():
                stage = STAGE_WRITE
                raise InterruptedError(errno.EINTR, "stopped")
            stage = STAGE_READ
            chunk = os.read(fd_in, min(left, 1 << 20))
            if not chunk:
                raise OSError(errno.ENODATA, "the file shrank")
            stage = STAGE_WRITE
            left -= len(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view):]
        stage = STAGE_WRITE
        _set_attrs(out, set_bits, uid, gid, mode, mtime, mtime_nsec)
        fd, out = out, None
        os.close(fd)
        stage = STAGE_RENAME
        os.rename(tmp, dst)
        return 0, stage
    except OSError as e:
        if stage >= STAGE_WRITE:
            os.unlink(tmp)
        return -e.errno, stage
    finally:
        os.close(fd_in)
        if out is not None:
            os.close(out)


def _set_attrs(fd: int, set_bits: int, uid: int, gid: int, mode: int, mtime: int,
               mtime_nsec: int) -> None:
    """copy.c set_attrs: owner, group, mode, mtime (the access time left as it is)."""
    if set_bits & (SET_OWNER | SET_GROUP):
        os.fchown(fd, uid if set_bits & SET_OWNER else -1, gid if set_bits & SET_GROUP else -1)
    if set_bits & SET_MODE:
        os.fchmod(fd, mode)
    if set_bits & SET_MTIME:
        os.utime(fd, ns=(os.fstat(fd).st_atime_ns, mtime * 10**9 + mtime_nsec))


def install_temp(fd: int, tmp: bytes, dst: bytes, set_bits: int, uid: int, gid: int,
                 mode: int, mtime: int, mtime_nsec: int, tmp_dir: int = AT_FDCWD,
                 dst_dir: int = AT_FDCWD) -> tuple[int, int]:
    """The reference of copy.c oc_install_temp: (0 or -errno, the step that failed); fd
    is closed whatever happens, the temp file left to the caller; tmp and dst are taken
    in the directories tmp_dir and dst_dir are open on."""
    stage = STAGE_WRITE
    try:
        try:
            _set_attrs(fd, set_bits, uid, gid, mode, mtime, mtime_nsec)
        finally:
            os.close(fd)
        stage = STAGE_RENAME
        os.rename(tmp, dst, src_dir_fd=None if tmp_dir == AT_FDCWD else tmp_dir,
                  dst_dir_fd=None if dst_dir == AT_FDCWD else dst_dir)
        return 0, stage
    except OSError as e:
        return -e.errno, stage


_MAX_LINKS = 40


def open_beneath(dir_fd: int, path: bytes, flags: int) -> int:
    """The reference of beneath.c oc_open_beneath (openat2 with RESOLVE_BENEATH): path
    walked a name at a time below dir_fd, a symlink's target spliced in where it stays
    below (relative, its ".." never past dir_fd), EXDEV where it would leave."""
    def leave():
        return OSError(errno.EXDEV, os.strerror(errno.EXDEV), os.fsdecode(path))
    if path.startswith(b"/"):
        raise leave()
    todo = [p for p in path.split(b"/") if p not in (b"", b".")]
    held = [os.dup(dir_fd)]  # the directories walked, dir_fd's own first
    links = 0
    try:
        while todo:
            name = todo.pop(0)
            if name == b"..":
                if len(held) == 1:
                    raise leave()
                os.close(held.pop())
                continue
            st = os.lstat(name, dir_fd=held[-1])
            if stat.S_ISLNK(st.st_mode):
                links += 1
                target = os.readlink(name, dir_fd=held[-1])
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), os.fsdecode(path))
                if target.startswith(b"/"):
                    raise leave()
                todo[:0] = [p for p in target.split(b"/") if p not in (b"", b".")]
                continue
            if todo:
                held.append(os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                                    | os.O_CLOEXEC, dir_fd=held[-1]))
                continue
            return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=held[-1])
        return os.open(b".", flags | os.O_CLOEXEC, dir_fd=held[-1])
    finally:
        for fd in held:
            os.close(fd)


def files_equal(a: bytes, a_flags: int, b: bytes, size: int) -> int:
    """The reference of copy.c oc_files_equal: 1 same bytes, 0 not (or b not a regular
    file of size bytes), -errno."""
    try:
        fb = os.open(b, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError as e:
        return -e.errno
    st = os.fstat(fb)
    if not stat.S_ISREG(st.st_mode) or st.st_size != size:
        os.close(fb)
        return 0
    try:
        fa = os.open(a, os.O_RDONLY | os.O_CLOEXEC | a_flags)
    except OSError as e:
        os.close(fb)
        return -e.errno
    try:
        with open(fa, "rb", closefd=False) as x, open(fb, "rb", closefd=False) as y:
            while True:
                p, q = x.read(1 << 18), y.read(1 << 18)
                if p != q:
                    return 0
                if not p:
                    return 1
    except OSError as e:
        return -e.errno
    finally:
        os.close(fa)
        os.close(fb)


def map_file(fd: int, size: int) -> None:
    """The pure backend maps nothing: the callers read."""
    return None


def open_window(fd: int, size: int, start: int = 0, on_read=None) -> FileWindow:
    """The window a file is sent through (the pure backend maps nothing)."""
    return FileWindow(fd, size, start, on_read)


def preallocate(fd: int, length: int, keep_size: bool = True) -> int:
    """The reference of copy.c oc_preallocate, which is only advice to the file system:
    Python has no fallocate with FALLOC_FL_KEEP_SIZE, so nothing is reserved (the blocks
    are allocated as the data is written, as without it)."""
    return -errno.EOPNOTSUPP


def punch_hole(fd: int, offset: int, length: int) -> int:
    """The reference of copy.c oc_punch_hole: Python cannot give blocks back (the range
    stays as it is: the caller only punches what already reads as zeros)."""
    return -errno.EOPNOTSUPP


def start_writeback(fd: int) -> int:
    """The reference of copy.c oc_start_writeback, which is only advice to the kernel:
    Python has no sync_file_range, so nothing is started (the data is written out at the
    rename or later, as without it)."""
    return 0
