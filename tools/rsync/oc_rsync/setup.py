"""Session set-up on a live connection (upstream: compat.c setup_protocol,
negotiate_the_strings); the byte layout is oc_wire.negotiate's.

Both sides write their version before reading the peer's; the lower one is used. From
protocol 30 the server sends the compat flags, then each side sends its checksum list
(unless --checksum-choice forced one) and with -z its compression list (unless
--compress-choice did), and picks from the peer's list the name it ranks highest. The
server finally sends the checksum seed.
"""
import os
import time

from oc_core.record import record
from oc_wire.checksums import checksum_choices
from oc_wire.compress import effective_level
from oc_wire.errors import ProtocolError
from oc_wire.ints import int32, varint
from oc_wire.negotiate import (
    CF,
    PROTOCOL_VERSION,
    Negotiated,
    agree_protocol,
    choose,
    encode_names,
    own_names,
    read_names,
    read_version,
    server_compat_flags,
)

from .conn import Conn

__all__ = ["SetupChoices", "NegotiationFailed", "server_setup", "client_setup"]


class NegotiationFailed(ProtocolError):
    """No checksum or compression both sides accept (upstream exits with code 4)."""

    exit_code = 4


@record(frozen=True, slots=True)
class SetupChoices:
    """What the command line says about set-up."""

    protocol: int = PROTOCOL_VERSION  # --protocol
    client_info: str = ""             # the client's capability letters (-e.xxx)
    compress: bool = False
    compress_choice: str | None = None
    compress_level: int | None = None  # (a level may turn the compression off)
    checksum_choice: str | None = None
    checksum_seed: int = 0            # --checksum-seed (0: from the clock)
    allow_inc_recurse: bool = False
    write_batch: bool = False         # offer only what a batch can record


def chosen(name: str | None) -> str | None:
    """A --compress-choice as the negotiation takes it: any case, "auto" as none given
    (upstream: compat.c parse_compress_choice)."""
    return None if not name or name.lower() == "auto" else name.lower()


def _strings(conn: Conn, c: SetupChoices, strings: bool, am_server: bool, env,
             protocol: int = 32, note=None) -> tuple[str | None, str]:
    """The checksum and compression names; note, when given, is told each side's list as
    a client's --debug=NSTR2 shows them (a peer too old to send one: the old default)."""
    checksum_choice = checksum_choices(c.checksum_choice)[0]
    compress_choice = chosen(c.compress_choice)
    kinds = []
    if not checksum_choice:
        kinds.append("checksum")
    if c.compress and not compress_choice:
        kinds.append("compress")
    if c.write_batch:  # upstream compat.c getenv_nstr with write_batch
        env = {"RSYNC_CHECKSUM_LIST": "md5" if protocol >= 30 else "md4",
               "RSYNC_COMPRESS_LIST": "zlib"}
    own = {k: own_names(k, env, am_server) for k in kinds}
    if note is not None:
        for k in kinds:
            note(f"Client {k} list (on client): {' '.join(own[k])}")
    if strings:
        for k in kinds:
            conn.write(encode_names(own[k]))
        conn.flush()
    got = {}
    for k in kinds:
        if not strings:  # a peer too old to negotiate: the old defaults
            got[k] = None
            if note is not None:
                old = "zlib" if k == "compress" else "md5" if protocol >= 30 else "md4"
                note(f"Server {k} list (on client): {old}")
            continue
        peer = read_names(conn.reader)
        if note is not None:
            note(f"Server {k} list (on client): {' '.join(peer)}")
        pick = choose(own[k], peer)
        if pick is None:
            raise NegotiationFailed(f"a {k} choice both sides support (peer offered "
                                    f"{' '.join(peer) or 'nothing'})")
        got[k] = pick
    checksum = checksum_choice or got.get("checksum")
    compression = "none"
    if c.compress:
        compression = compress_choice or got.get("compress") or "zlib"
        if effective_level(compression, c.compress_level) is None:
            compression = "none"  # (zlib at level 0: plain tokens after all)
    return checksum, compression


def server_setup(conn: Conn, c: SetupChoices, env=None) -> Negotiated:
    env = os.environ if env is None else env
    conn.write(int32(c.protocol))
    conn.flush()
    protocol = agree_protocol(c.protocol, read_version(conn.reader))
    compat = 0
    if protocol >= 30:
        compat = server_compat_flags(c.client_info, c.allow_inc_recurse)
        conn.write(varint(compat))
    strings = protocol >= 30 and bool(compat & CF.VARINT_FLIST_FLAGS)
    checksum, compression = _strings(conn, c, strings, True, env, protocol)
    seed = c.checksum_seed or (int(time.time()) ^ (os.getpid() << 6))
    seed &= 0xFFFFFFFF
    seed = seed - (1 << 32) if seed >= 1 << 31 else seed
    conn.write(int32(seed))
    conn.count_from_here()
    return Negotiated(protocol, compat, checksum, compression, seed,
                      checksum_choices(c.checksum_choice)[1])


def client_setup(conn: Conn, c: SetupChoices, env=None, note=None) -> Negotiated:
    env = os.environ if env is None else env
    conn.write(int32(c.protocol))
    conn.flush()
    protocol = agree_protocol(c.protocol, read_version(conn.reader))
    compat = conn.reader.read_varint() if protocol >= 30 else 0
    strings = protocol >= 30 and bool(compat & CF.VARINT_FLIST_FLAGS)
    checksum, compression = _strings(conn, c, strings, False, env, protocol, note)
    seed = conn.reader.read_int32()
    conn.count_from_here()
    return Negotiated(protocol, compat, checksum, compression, seed,
                      checksum_choices(c.checksum_choice)[1])
