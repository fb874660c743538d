"""Which strong checksum a stream uses and where its seed goes (upstream: checksum.c
parse_checksum_choice, get_checksum2; compat.c negotiate_the_strings for batch mode).

Batch mode, and any stream without a choice, uses the protocol's implied checksum: MD5
from protocol 30 (built-in code: seed before the data when CF_CHKSUM_SEED_FIX is set,
after it otherwise), MD4 below 30 (seed after the data). An explicit --checksum-choice of
md5, md4 or sha1 goes through OpenSSL's EVP upstream, which puts the seed first (md4
falls back to the built-in code where OpenSSL lacks it, as on Debian 12: seed after).
The xxh family takes the seed as its hash seed. A seed of 0 adds nothing to block sums.
The whole-file sum takes no seed, except below protocol 30 with the implied checksum
(CSUM_MD4_OLD): sum_init feeds the 4 seed bytes first, even when the seed is 0.
"""
from oc_core import Checksum, SeedMode, digest_len
from oc_core.record import record

from .errors import ProtocolError

__all__ = ["CF_CHKSUM_SEED_FIX", "ChecksumSpec", "checksum_spec", "CHECKSUM_NAMES",
           "checksum_choices"]

CF_CHKSUM_SEED_FIX = 1 << 5

CHECKSUM_NAMES = {"md4": Checksum.MD4, "md5": Checksum.MD5, "sha1": Checksum.SHA1,
                  "xxh64": Checksum.XXH64, "xxhash": Checksum.XXH64, "xxh3": Checksum.XXH3,
                  "xxh128": Checksum.XXH128, "none": Checksum.NONE}


@record(frozen=True, slots=True)
class ChecksumSpec:
    algo: Checksum
    seed: int
    seed_mode: SeedMode
    file_prefix: bytes = b""

    @property
    def digest_len(self) -> int:
        return digest_len(self.algo)


def checksum_choices(value: str | None) -> tuple[str | None, str | None]:
    """--checksum-choice as upstream's checksum.c parse_checksum_choice reads it, in any
    case: (the transfer's name, -c's name), "auto" or nothing as None; a pair "A,B" names
    both, a single name the transfer's only (-c then takes the transfer's)."""
    if not value:
        return None, None
    first, sep, second = value.lower().partition(",")
    return (None if first == "auto" else first,
            None if not sep or second == "auto" else second)


def checksum_spec(protocol: int, compat_flags: int, seed: int,
                  choice: str | None = None) -> ChecksumSpec:
    """The block-sum checksum for a stream; its whole-file sum uses the same algorithm."""
    prefix = b""
    if choice is None or choice == "auto":
        algo = Checksum.MD5 if protocol >= 30 else Checksum.MD4
        if protocol < 30:
            prefix = (seed & 0xFFFFFFFF).to_bytes(4, "little")
        if algo is Checksum.MD5 and compat_flags & CF_CHKSUM_SEED_FIX:
            mode = SeedMode.BEFORE
        else:
            mode = SeedMode.AFTER
    else:
        if choice not in CHECKSUM_NAMES:
            raise ProtocolError(f"a checksum name in {sorted(CHECKSUM_NAMES)}", None, choice)
        algo = CHECKSUM_NAMES[choice]
        if algo in (Checksum.XXH64, Checksum.XXH3, Checksum.XXH128):
            mode = SeedMode.HASH
        elif algo is Checksum.MD4:
            mode = SeedMode.AFTER
        elif algo is Checksum.NONE:
            mode = SeedMode.NONE
        else:
            mode = SeedMode.BEFORE
    if seed == 0 and mode is not SeedMode.HASH:
        mode = SeedMode.NONE
    return ChecksumSpec(algo, seed, mode, prefix)
