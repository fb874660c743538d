"""One direction of a live rsync session, as captured bytes (upstream: compat.c
setup_protocol and negotiate_the_strings, main.c client_run / start_server, io.c
multiplexing, sender.c send_files, generator.c recv_generator).

Each direction starts with the set-up, unmultiplexed:
- client -> server: protocol version (int32), then the negotiation lists (checksums unless
  --checksum-choice forced one; compressions with -z unless --compress-choice did);
- server -> client: version, compat flags (varint, protocol >= 30), the same lists, then
  the checksum seed (int32).
After it the server's output is multiplexed (protocol >= 23), and so is the client's from
protocol 30. The client then sends the filter list (a client sender only when the
receiver wants it: ServerArgs.client_sends_filters). What follows depends on the role of
whoever writes the direction: a sender's stream is exactly a batch's body (walk_sender;
stats only when the server sends), a generator's stream is per file an ndx, item flags and,
for a transfer, a sum head and its block sums; NDX_DONEs end the phases and the session.

Which direction is which role comes from the server's argv (`--sender` = the server
sends); the negotiated names need both directions' lists (each side picks, from the
peer's list, the name it ranks highest); a missing peer is taken to be upstream 3.5.0
with its default lists.
"""
from collections.abc import Iterator

from oc_core.record import record

from .batch_stream import Basis, DelStats, SenderStream, read_del_stats, read_item, walk_sender
from .checksums import checksum_choices, checksum_spec
from .compress import COMPRESSIONS
from .errors import NEED_DATA, ProtocolError
from .filter_list import read_filter_list
from .ints import ByteReader
from .items import ITEM_TRANSFER
from .mux import Demuxer, Frame, Msg
from .ndx import NDX_DEL_STATS, NDX_DONE, NdxCodec
from .negotiate import (
    CF,
    DEFAULT_CHECKSUMS,
    DEFAULT_COMPRESSIONS,
    choose,
    read_names,
    server_compat_flags,
)
from .server_args import ServerArgs
from .sums import read_sum_head

__all__ = ["Hello", "FilterList", "Message", "BlockSums", "DelStats", "NdxDone",
           "SessionSide", "read_hello", "walk_direction", "walk_generator"]


@record(frozen=True, slots=True)
class Hello:
    """One side's set-up bytes."""

    version: int
    compat_flags: int | None = None
    checksums: tuple[str, ...] | None = None
    compressions: tuple[str, ...] | None = None
    seed: int | None = None


@record(frozen=True, slots=True)
class FilterList:
    rules: tuple[bytes, ...]


@record(frozen=True, slots=True)
class Message:
    """A multiplexed message other than data, at this offset of the data stream."""

    code: Msg
    payload: bytes
    data_offset: int


@record(frozen=True, slots=True)
class BlockSums:
    count: int
    s2len: int


@record(frozen=True, slots=True)
class NdxDone:
    """NDX_DONE in a generator's stream (phase ends, finished file lists, goodbyes)."""


@record(frozen=True, slots=True)
class SessionSide:
    """How to read one captured direction."""

    from_server: bool
    args: ServerArgs
    protocol: int | None = None  # forced: the agreed version when the peer is unknown
    peer: Hello | None = None    # the other direction's set-up, when captured
    handshake: bool = True       # False: the capture starts after the set-up

    @property
    def writer_sends(self) -> bool:
        return self.from_server == self.args.server_sends


def read_hello(r: ByteReader, from_server: bool, args: ServerArgs, protocol: int | None,
               strings: bool) -> Hello:
    """A side's set-up; protocol: the agreed version when known (else this side's)."""
    at = r.offset
    version = r.read_int32()
    if not 20 <= version <= 40:
        raise ProtocolError("a protocol version 20..40", at, str(version))
    p = min(version, protocol or version)
    compat = r.read_varint() if from_server and p >= 30 else None
    if compat is not None:
        strings = bool(compat & CF.VARINT_FLIST_FLAGS)
    checksums = compressions = None
    if strings and p >= 30:
        if not args.checksum_choice:
            checksums = tuple(read_names(r))
        if args.compress and not args.compress_choice:
            compressions = tuple(read_names(r))
    seed = r.read_int32() if from_server else None
    return Hello(version, compat, checksums, compressions, seed)


def _demux(data: bytes, start: int) -> tuple[bytes, list[Message]]:
    d = Demuxer()
    d.receive_data(data[start:])
    out, messages = bytearray(), []
    while (f := d.next_event()) is not NEED_DATA:
        f: Frame
        if f.code is Msg.DATA:
            out += f.payload
        else:
            messages.append(Message(f.code, f.payload, len(out)))
    if d.pending():
        raise ProtocolError("a complete multiplexed frame at the end", len(data) - d.pending())
    return bytes(out), messages


def _with_messages(events: Iterator[object], r: ByteReader, messages: list[Message]
                   ) -> Iterator[object]:
    """Interleave messages with the events by the data offset they arrived at."""
    pending = list(messages)
    for ev in events:
        while pending and pending[0].data_offset <= r.pos:
            yield pending.pop(0)
        yield ev
    yield from pending


def walk_direction(data: bytes, side: SessionSide, basis: Basis | None = None
                   ) -> Iterator[object]:
    """Events of one captured direction: Hello, then (multiplexed messages interleaved)
    FilterList from the client, then the sender's or the generator's events (basis: as
    for walk_sender, for old-style zlib)."""
    args = side.args
    r = ByteReader(data)
    strings = "v" in args.client_info
    hello = None
    if side.handshake:
        hello = read_hello(r, side.from_server, args, side.protocol, strings)
        yield hello
    own = hello.version if hello else 32
    peer_v = side.peer.version if side.peer else own
    protocol = side.protocol or min(own, peer_v)
    server = hello if side.from_server else side.peer
    if server and server.compat_flags is not None:
        compat = server.compat_flags
    elif protocol >= 30:  # what a 3.x server answers to the client's capabilities
        compat = server_compat_flags(args.client_info, args.wants_inc_recurse())
    else:
        compat = 0
    seed = (server.seed if server else 0) or 0
    # None: no exchange happened, the protocol's implied md5/md4
    forced, list_checksum = checksum_choices(args.checksum_choice)
    checksum = _chosen(forced, hello, side.peer, "checksums", DEFAULT_CHECKSUMS)
    compression = "none"
    if args.compress:
        compression = _chosen(args.compress_choice, hello, side.peer, "compressions",
                              DEFAULT_COMPRESSIONS) or "zlib"
    if compression not in COMPRESSIONS:
        raise ProtocolError(f"a compression in {COMPRESSIONS}", None, compression)
    muxed = side.from_server or protocol >= 30
    body, messages = _demux(data, r.pos) if muxed else (data[r.pos:], [])
    b = ByteReader(body)
    yield from _with_messages(
        _body(b, side, protocol, compat, seed, checksum, compression, basis,
              list_checksum or checksum), b, messages)
    if b.remaining():
        raise ProtocolError("the end of the stream", b.offset, f"{b.remaining()} more bytes")


def _chosen(forced, hello, peer, field, defaults):
    if forced:
        return forced
    own = getattr(hello, field) if hello else None
    theirs = getattr(peer, field) if peer else None
    if own is None and theirs is None:
        return None
    return choose(own or defaults, list(theirs or defaults))


def _body(r: ByteReader, side: SessionSide, protocol: int, compat: int, seed: int,
          checksum: str | None, compression: str, basis: Basis | None,
          list_checksum: str | None) -> Iterator[object]:
    if not side.from_server and side.args.client_sends_filters(protocol):
        yield FilterList(tuple(read_filter_list(r)))
    spec = checksum_spec(protocol, compat, seed, checksum)
    if side.writer_sends:
        flist = side.args.flist_options(
            protocol, compat, checksum_spec(protocol, compat, seed, list_checksum).digest_len)
        yield from walk_sender(r, SenderStream(protocol, compat, flist, spec.digest_len,
                                               compression, stats=side.from_server), basis)
    else:
        yield from walk_generator(r, protocol)


def walk_generator(r: ByteReader, protocol: int) -> Iterator[object]:
    """A generator's stream: items, sum heads with their block sums, NDX_DONEs, deletion
    stats, until the data ends (upstream: generator.c recv_generator,
    generate_and_send_sums, main.c write_del_stats)."""
    ndx = NdxCodec(protocol)
    while r.remaining():
        at = r.offset
        i = ndx.decode(r)
        if i == NDX_DONE:
            yield NdxDone()
            continue
        if i == NDX_DEL_STATS:
            yield read_del_stats(r)
            continue
        if i < 0:
            raise ProtocolError("a file index, NDX_DONE or NDX_DEL_STATS", at, str(i))
        item = read_item(r, protocol, i, None)
        yield item
        if item.iflags & ITEM_TRANSFER:
            head = read_sum_head(r, protocol)
            yield head
            r.read_bytes(head.count * (4 + head.s2len))
            yield BlockSums(head.count, head.s2len)
