"""Types shared by both backends: algorithms, seed placement, the signature table."""
from .consts import IntConst
from .record import record

__all__ = ["Checksum", "SeedMode", "SigTable", "CHUNK_SIZE", "MAX_CHAIN_LEN", "SET_OWNER",
           "SET_GROUP", "SET_MODE", "SET_MTIME", "STAGE_OPEN", "STAGE_TEMP", "STAGE_WRITE",
           "STAGE_RENAME", "STAGE_READ", "StopFlag", "AT_FDCWD"]

CHUNK_SIZE = 32 * 1024
MAX_CHAIN_LEN = 1024


class Checksum(IntConst):
    """Strong checksum algorithms (values equal OC_CSUM_* in oc_core.h)."""

    NONE = 0
    MD4 = 1
    MD5 = 2
    SHA1 = 3
    XXH64 = 4
    XXH3 = 5
    XXH128 = 6


class SeedMode(IntConst):
    """Where a block sum puts the checksum seed (upstream: checksum.c get_checksum2).

    AFTER: 4 little-endian seed bytes after the data (MD4; MD5 without CF_CHKSUM_SEED_FIX).
    BEFORE: the seed bytes first (MD5 with the seed fix; any OpenSSL-backed negotiated digest).
    HASH: the seed is the hash function's own seed (the xxh family).
    NONE: seed 0, or an algorithm that takes none.
    """

    NONE = 0
    AFTER = 1
    BEFORE = 2
    HASH = 3


@record(frozen=True, slots=True)
class SigTable:
    """A basis file's block signature as the generator sends it (upstream: sum_struct).

    sum1[i] is block i's rolling sum (a sequence of ints; an array of 32-bit unsigned
    values is handed to C without a copy); sum2 holds count * s2len strong-sum bytes.
    The last block is `remainder` bytes long when remainder is non-zero.
    """

    block_len: int
    remainder: int
    s2len: int
    sum1: object  # a sequence of ints (see above)
    sum2: bytes

    @property
    def count(self) -> int:
        return len(self.sum1)

    def length_of(self, i: int) -> int:
        """Length of block i."""
        return self.remainder if (i == self.count - 1 and self.remainder) else self.block_len

    def strong(self, i: int) -> bytes:
        return self.sum2[i * self.s2len:(i + 1) * self.s2len]


class MatchCounts:
    """upstream match.c's totals for match_report (-vv on a sender): blocks matched,
    offsets whose hash bucket held candidates, sum1 hits the strong sum refuted (the
    matcher adds these), and literal bytes sent (data; its caller adds those)."""

    __slots__ = ("matches", "hash_hits", "false_alarms", "data")

    def __init__(self):
        self.matches = self.hash_hits = self.false_alarms = self.data = 0

    def add(self, matches: int, hash_hits: int, false_alarms: int) -> None:
        self.matches += matches
        self.hash_hits += hash_hits
        self.false_alarms += false_alarms


# copy_install (copy.c): which attributes to set, and which step failed
SET_OWNER, SET_GROUP, SET_MODE, SET_MTIME = 1, 2, 4, 8
STAGE_OPEN, STAGE_TEMP, STAGE_WRITE, STAGE_RENAME, STAGE_READ = 1, 2, 3, 4, 5
AT_FDCWD = -100  # Linux's: "this name is a path" where a directory descriptor goes


class StopFlag:
    """Set it to end the copies in progress between chunks (copy_install)."""

    def __init__(self, cell=None):
        self.cell = cell if cell is not None else [0]  # (the C backend's: an int *)

    def set(self) -> None:
        self.cell[0] = 1

    def is_set(self) -> bool:
        return bool(self.cell[0])
