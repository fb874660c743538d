"""oc_core: libcore's hot loops (C via cffi) and their pure-Python reference.

OC_CORE_BACKEND=native|pure selects the default backend (native when unset); tests load
both with load_backend() and check they agree. Every backend module offers:

- rolling_checksum(data) -> int          upstream checksum.c get_checksum1
- block_sums(data, block_len) -> [int]   the generator's sum1 of each block
- strong_sum(algo, data, seed, seed_mode) -> bytes   get_checksum2, full digest
- block_strong_sums(algo, data, block_len, seed, seed_mode, s2len) -> bytes
- sig_records(algo, data, block_len, seed, seed_mode, s2len) -> bytes (wire records)
- md4(data) -> bytes, Md4()              MD4 for protocols < 30
- match(sig, data, algo, seed, seed_mode) -> iter of (lit_offset, lit_len, token)
                                          match.c hash_search: one record per matched()
                                          (counts=MatchCounts(): match_report's totals)
- simd_level() -> int                    2 with AVX2, 0 scalar
- keep_freed_memory(trim, mmap) -> bool  allocator tuning (oc_core.h); pure: a no-op
- copy_install(src, ..., stop) -> (rc, stage)  one local file copied, its attributes set
                                          and renamed into place (copy.c); StopFlag ends it
- install_temp(fd, tmp, dst, ...) -> (rc, stage)  a written temp file's attributes set,
                                          closed and renamed into place (copy.c)
- files_equal(a, a_flags, b, size) -> int 1 same bytes, 0 not, -errno (copy.c)
- start_writeback(fd) -> int              a file's dirty pages start for its device (copy.c;
                                          pure: a no-op)
- preallocate(fd, length, keep_size) -> int  blocks reserved for a file about to be
                                          written (copy.c; pure: -EOPNOTSUPP)
- punch_hole(fd, offset, length) -> int   a range's blocks given back (copy.c; pure:
                                          -EOPNOTSUPP)
- map_file(fd, size) -> FileMap or None   a big file mapped read-only, safe from SIGBUS
                                          (mapped.c; pure: None, the caller reads)
- open_window(fd, size, start, on_read)   the FileWindow a file is sent through (native: a
                                          MappedWindow over map_file's map when it makes one)

FileSum is the whole-file digest (upstream sum_init/sum_update/sum_end) for either backend;
FileWindow (window.py) the file being sent, read as match() needs it.
"""
import os
import sys
from types import ModuleType

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
    MatchCounts,
    SeedMode,
    SigTable,
)
from .window import FileWindow

__all__ = ["AT_FDCWD", "BACKEND", "Checksum", "SeedMode", "SigTable", "MatchCounts", "CHUNK_SIZE",
           "MAX_CHAIN_LEN", "SET_OWNER", "SET_GROUP", "SET_MODE", "SET_MTIME", "STAGE_OPEN",
           "STAGE_TEMP", "STAGE_WRITE", "STAGE_RENAME", "STAGE_READ",
           "FileSum", "FileWindow", "load_backend", "features", "digest_len", "rolling_checksum",
           "block_sums", "strong_sum", "block_strong_sums", "sig_records", "md4", "match",
           "keep_freed_memory", "copy_install", "install_temp", "open_beneath", "StopFlag",
           "files_equal", "start_writeback", "preallocate", "punch_hole", "open_window", "map_file"]

_DIGEST_LEN = {Checksum.NONE: 0, Checksum.MD4: 16, Checksum.MD5: 16, Checksum.SHA1: 20,
               Checksum.XXH64: 8, Checksum.XXH3: 8, Checksum.XXH128: 16}


def digest_len(algo: int) -> int:
    """Digest length in bytes of a strong checksum algorithm."""
    return _DIGEST_LEN[Checksum(algo)]


def load_backend(name: str) -> ModuleType:
    """Return the backend module "native" or "pure"; ImportError if native isn't built."""
    if name not in ("native", "pure"):
        raise ValueError(f"OC_CORE_BACKEND must be native or pure, not {name!r}")
    module = f"{__name__}._{name}"
    __import__(module)  # (importlib would load warnings too: 1 ms of each start)
    return sys.modules[module]


BACKEND = os.environ.get("OC_CORE_BACKEND", "native")
_backend = load_backend(BACKEND)
rolling_checksum = _backend.rolling_checksum
block_sums = _backend.block_sums
strong_sum = _backend.strong_sum
block_strong_sums = _backend.block_strong_sums
sig_records = _backend.sig_records
md4 = _backend.md4
match = _backend.match
keep_freed_memory = _backend.keep_freed_memory
copy_install = _backend.copy_install
install_temp = _backend.install_temp
open_beneath = _backend.open_beneath
files_equal = _backend.files_equal
start_writeback = _backend.start_writeback
preallocate = _backend.preallocate
punch_hole = _backend.punch_hole
open_window = _backend.open_window
map_file = _backend.map_file
StopFlag = _backend.StopFlag


class FileSum:
    """Whole-file checksum (upstream checksum.c sum_init/sum_update/sum_end).

    The digest of `prefix` + the file's bytes; the prefix is the seed for the pre-30 implied
    MD4 and empty otherwise. The xxh family writes its integer result little-endian."""

    __slots__ = ("algo", "_h", "_int_len")

    def __init__(self, algo: int, prefix: bytes = b""):
        self.algo, make, self._int_len = _SUMS.get(algo) or _sum_maker(Checksum(algo))
        self._h = make() if make is not None else None
        if prefix:
            self.update(prefix)

    @property
    def fast(self) -> bool:
        """Cheap enough to run on the thread that has the bytes (the xxh family: many
        GB/s), where handing them to another thread would cost a copy."""
        return self._h is None or self._int_len > 0

    def update(self, data) -> None:
        if self._h is not None:
            self._h.update(data)

    def digest(self) -> bytes:
        if self._h is None:
            return b""
        if self._int_len:
            return self._h.intdigest().to_bytes(self._int_len, "little")
        return self._h.digest()


_SUMS: dict = {}  # algo -> (it as a Checksum, a new hash object's maker or None, the xxh
#                   digest's length); a plain int finds its Checksum's entry too


def _sum_maker(algo: Checksum) -> tuple:
    """What FileSum makes for algo, found once per run (the imports are left until an
    algorithm needs them: OpenSSL is slow to load, and a local copy without -c needs no
    xxhash)."""
    if algo is Checksum.MD4:
        made = (algo, _backend.Md4, 0)
    elif algo in (Checksum.MD5, Checksum.SHA1):
        import hashlib
        made = (algo, getattr(hashlib, algo.name.lower()), 0)
    elif algo in (Checksum.XXH64, Checksum.XXH3, Checksum.XXH128):
        import xxhash
        made = (algo, {Checksum.XXH64: xxhash.xxh64, Checksum.XXH3: xxhash.xxh3_64,
                       Checksum.XXH128: xxhash.xxh3_128}[algo], _DIGEST_LEN[algo])
    else:
        made = (algo, None, 0)
    _SUMS[algo] = made
    return made


def features() -> dict:
    """What the loaded backend offers, for --version and diagnostics."""
    return {"backend": _backend.NAME,
            "simd": "avx2" if _backend.simd_level() == 2 else "scalar",
            "checksums": [c.name.lower() for c in Checksum if c is not Checksum.NONE]}
