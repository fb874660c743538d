"""Session set-up (upstream: compat.c setup_protocol, negotiate_the_strings,
parse_negotiate_str; options.c maybe_add_e_option for the capability letters).

Order on the wire, both sides writing before they read:
1. each side sends its protocol version (int32); both use the lower one;
2. from protocol 30 the server sends the compat flags (varint), derived from the capability
   letters the client put in its `-e.` option;
3. when the flags include CF_VARINT_FLIST_FLAGS (letter 'v'), each side sends its checksum
   list (unless a --checksum-choice was forced) and, with -z, its compression list (unless
   --compress-choice was forced), as space-separated vstrings; each side then picks, among
   the peer's names, the one it ranks highest itself. Without the exchange the choices are
   md5 (protocol >= 30) or md4, and zlib;
4. the server sends the checksum seed (int32).
"""
from oc_core.record import record

from .checksums import ChecksumSpec, checksum_spec
from .errors import ProtocolError
from .ints import ByteReader, vstring

__all__ = ["MIN_PROTOCOL", "MAX_PROTOCOL", "PROTOCOL_VERSION", "CLIENT_CAPABILITIES",
           "DEFAULT_CHECKSUMS", "DEFAULT_COMPRESSIONS", "Negotiated", "read_version",
           "agree_protocol", "server_compat_flags", "encode_names", "read_names", "choose",
           "own_names", "CF"]

PROTOCOL_VERSION = 32
MIN_PROTOCOL = 28  # ours; upstream still talks down to 20
MAX_PROTOCOL = 40  # upstream accepts a peer up to this and uses the lower one
MAX_NSTR_STRLEN = 256
CLIENT_CAPABILITIES = "iLsfxCIvu"
DEFAULT_CHECKSUMS = ("xxh128", "xxh3", "xxh64", "md5", "md4", "sha1", "none")
DEFAULT_COMPRESSIONS = ("zstd", "lz4", "zlibx", "zlib", "none")


class CF:
    """Compat flags (compat.c CF_*)."""

    INC_RECURSE = 1 << 0
    SYMLINK_TIMES = 1 << 1
    SYMLINK_ICONV = 1 << 2
    SAFE_FLIST = 1 << 3
    AVOID_XATTR_OPTIM = 1 << 4
    CHKSUM_SEED_FIX = 1 << 5
    INPLACE_PARTIAL_DIR = 1 << 6
    VARINT_FLIST_FLAGS = 1 << 7
    ID0_NAMES = 1 << 8


_LETTER_FLAGS = {"f": CF.SAFE_FLIST, "x": CF.AVOID_XATTR_OPTIM, "C": CF.CHKSUM_SEED_FIX,
                 "I": CF.INPLACE_PARTIAL_DIR, "u": CF.ID0_NAMES, "v": CF.VARINT_FLIST_FLAGS}


@record(frozen=True, slots=True)
class Negotiated:
    """Everything set-up decides, passed down to every role."""

    protocol: int
    compat_flags: int
    checksum: str
    compression: str | None
    checksum_seed: int
    # -c's whole-file checksum when --checksum-choice names a pair "A,B" (B; upstream
    # checksum.c file_sum_nni); None: the transfer's
    file_checksum: str | None = None

    def transfer_spec(self) -> ChecksumSpec:
        """The strong checksum of blocks and of the transfer's whole-file sums, with its
        seed placement."""
        return checksum_spec(self.protocol, self.compat_flags, self.checksum_seed & 0xFFFFFFFF,
                             self.checksum)

    def list_spec(self) -> ChecksumSpec:
        """-c's whole-file checksum (the file list's sums): the second of a
        --checksum-choice pair, else the transfer's."""
        return checksum_spec(self.protocol, self.compat_flags, self.checksum_seed & 0xFFFFFFFF,
                             self.file_checksum or self.checksum)

    @property
    def inc_recurse(self) -> bool:
        return bool(self.compat_flags & CF.INC_RECURSE)

    @property
    def strings_negotiated(self) -> bool:
        return bool(self.compat_flags & CF.VARINT_FLIST_FLAGS)


def read_version(r: ByteReader) -> int:
    at = r.offset
    v = r.read_int32()
    if not 20 <= v <= MAX_PROTOCOL:
        raise ProtocolError("a protocol version 20..40 (is your shell clean?)", at, str(v))
    return v


def agree_protocol(ours: int, theirs: int) -> int:
    """The lower of the two; ProtocolError when it is below what we speak."""
    v = min(ours, theirs)
    if v < MIN_PROTOCOL:
        raise ProtocolError(f"a peer speaking protocol {MIN_PROTOCOL} or newer", None,
                            str(theirs))
    return v


def server_compat_flags(client_info: str, allow_inc_recurse: bool,
                        symlink_times: bool = True, symlink_iconv: bool = True) -> int:
    """The compat flags a server sends for the client's capability letters."""
    flags = CF.INC_RECURSE if allow_inc_recurse and "i" in client_info else 0
    if symlink_times:
        flags |= CF.SYMLINK_TIMES
    if symlink_iconv:
        flags |= CF.SYMLINK_ICONV
    for letter, flag in _LETTER_FLAGS.items():
        if letter in client_info:
            flags |= flag
    return flags


def encode_names(names) -> bytes:
    return vstring(" ".join(names).encode())


def read_names(r: ByteReader) -> list[str]:
    raw = r.read_vstring(MAX_NSTR_STRLEN - 1)
    return raw.decode("ascii", "replace").split()


_ALIASES = {"checksum": {"xxhash": "xxh64"}, "compress": {}}
_ENV = {"checksum": "RSYNC_CHECKSUM_LIST", "compress": "RSYNC_COMPRESS_LIST"}


def own_names(kind: str, env, am_server: bool) -> list[str]:
    """The list this side sends for kind "checksum" or "compress" (upstream:
    send_negotiate_str, getenv_nstr, parse_nni_str, get_default_nno_list).

    RSYNC_CHECKSUM_LIST / RSYNC_COMPRESS_LIST override the defaults: names separated by
    spaces, unknown ones and repeats (of the same algorithm) dropped; "client&server" gives
    each side its own part. A list with names but none valid becomes INVALID, which the
    peer refuses. Without the variable a client leaves "none" out."""
    defaults = DEFAULT_CHECKSUMS if kind == "checksum" else DEFAULT_COMPRESSIONS
    text = (env.get(_ENV[kind]) or "")
    text = text.split("&", 1)[1] if am_server and "&" in text else text.split("&", 1)[0]
    if not text.strip():
        return [n for n in defaults if am_server or n != "none"]
    out, seen = [], set()
    for tok in text.split():
        algo = _ALIASES[kind].get(tok, tok)
        if algo in defaults and algo not in seen:
            seen.add(algo)
            out.append(algo)
    return out or ["INVALID"]


def choose(own: list[str] | tuple[str, ...], peer: list[str]) -> str | None:
    """The peer's name that we rank highest ourselves (upstream parse_negotiate_str);
    the main name of an alias (xxhash is xxh64)."""
    def norm(name: str) -> str:
        return _ALIASES["checksum"].get(name, name)

    mine = [norm(n) for n in own]
    ranked = [norm(n) for n in peer if norm(n) in mine]
    return min(ranked, key=mine.index) if ranked else None


