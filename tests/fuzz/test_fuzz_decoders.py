"""Every decoder of untrusted bytes: random and mutated input ends in a typed error
(OcError) or a clean decode, never another exception, a hang or a huge allocation."""
import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oc_delta import delta, read_signature
from oc_patch import patch_stream
from oc_sig import sign
from oc_wire.errors import NeedData, OcError, ProtocolError
from oc_wire.flist_codec import FlistOptions
from oc_wire.flist_decode import FlistDecoder
from oc_wire.ints import ByteReader
from oc_wire.ndx import NdxCodec
from oc_wire.stream import PullReader
from oc_wire.sums import read_blocks, read_sum_head
from oc_wire.tokens import TokenDecoder

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _sample_streams():
    r = os.urandom
    basis = r(20000)
    new = basis[:5000] + r(3000) + basis[9000:]
    import tempfile

    with tempfile.TemporaryFile() as b, tempfile.TemporaryFile() as n:
        b.write(basis)
        b.flush()
        n.write(new)
        n.flush()
        sig = b"".join(sign(b.fileno(), len(basis), seed=3, block_size=700))
        dl = b"".join(delta(PullReader(io.BytesIO(sig).read), n.fileno(), b"f"))
    return basis, sig, dl


BASIS, SIG, DELTA = _sample_streams()


def _mutate(data: bytes, edits):
    d = bytearray(data)
    for pos, val in edits:
        if d:
            d[pos % len(d)] = val
    return bytes(d)


edits = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6)


def _patch(data: bytes):
    out = bytearray()
    patch_stream(PullReader(io.BytesIO(data).read),
                 lambda o, n: BASIS[o:o + n], out.extend, len(BASIS))


@SETTINGS
@given(edits, st.integers(0, len(DELTA)))
def test_patch_on_mutated_or_truncated_delta_raises_only_typed_errors(e, cut):
    try:
        _patch(_mutate(DELTA, e)[:cut])
    except OcError:
        pass


@SETTINGS
@given(st.binary(max_size=400))
def test_patch_on_random_bytes_raises_only_typed_errors(data):
    try:
        _patch(data)
    except OcError:
        pass


@SETTINGS
@given(edits, st.integers(0, len(SIG)))
def test_signature_reader_on_mutated_input(e, cut):
    try:
        read_signature(PullReader(io.BytesIO(_mutate(SIG, e)[:cut]).read))
    except OcError:
        pass


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from([28, 29, 30, 31, 32]),
       st.sampled_from([0, 0x1FE, 0x1FF]), st.booleans())
def test_flist_decoder_on_random_bytes(data, protocol, compat, rich):
    opts = FlistOptions(protocol, compat, preserve_uid=rich, preserve_gid=rich,
                        preserve_links=rich, preserve_devices=rich, preserve_specials=rich,
                        always_checksum=rich, preserve_atimes=rich, preserve_crtimes=rich)
    try:
        FlistDecoder(opts, max_entries=1000).read_list(ByteReader(data))
    except OcError:
        pass


@SETTINGS
@given(st.binary(max_size=64), st.sampled_from([28, 30]))
def test_sum_head_ndx_and_token_decoders_on_random_bytes(data, protocol):
    for fn in (lambda r: read_sum_head(r, protocol), NdxCodec(protocol).decode,
               ByteReader.read_varint, lambda r: r.read_varlong(3), ByteReader.read_vstring):
        try:
            fn(ByteReader(data))
        except OcError:
            pass
    r = ByteReader(data)
    try:  # a head from the wire, then its block sums
        head = read_sum_head(r, protocol)
        sum1, strong = read_blocks(r, head)
        assert len(sum1) == head.count and len(strong) == head.count * head.s2len
    except OcError:
        pass
    dec = TokenDecoder(max_block=10)
    dec.receive_data(data)
    try:
        while dec.next_event().__class__.__name__ not in ("End", "_NeedDataType"):
            pass
    except OcError:
        pass


@SETTINGS
@given(edits, st.integers(0, len(DELTA)))
def test_dump_never_raises_on_mutated_streams(e, cut):
    from oc_wire.dump import dump_events

    recs = list(dump_events(_mutate(DELTA, e)[:cut]))
    assert recs[0]["event"] in ("header", "error")


@SETTINGS
@given(st.lists(st.binary(max_size=40), max_size=8))
def test_demuxer_on_random_chunks_raises_only_typed_errors(chunks):
    from oc_wire.errors import NEED_DATA
    from oc_wire.mux import Demuxer

    d = Demuxer()
    try:
        for c in chunks:
            d.receive_data(c)
            while d.next_event() is not NEED_DATA:
                pass
    except OcError:
        pass


@SETTINGS
@given(st.binary(max_size=300))
def test_negotiation_readers_raise_only_typed_errors(data):
    from oc_wire.negotiate import read_names, read_version

    for fn in (read_version, read_names, ByteReader.read_varint):
        try:
            fn(ByteReader(data))
        except OcError:
            pass


def _zlib_sample() -> bytes:
    from oc_wire.compress.zlib_tokens import ZlibTokenEncoder

    enc = ZlibTokenEncoder(32)
    return (enc.token(0, b"hello " * 50, b"B" * 700) + enc.token(1, b"", b"C" * 700)
            + enc.token(-1, os.urandom(300)))


ZLIB_SAMPLE = _zlib_sample()


@SETTINGS
@given(edits, st.integers(0, len(ZLIB_SAMPLE)))
def test_zlib_token_decoder_on_mutated_input_raises_only_typed_errors(e, cut):
    from oc_wire.compress.zlib_tokens import ZlibTokenDecoder

    try:
        for _ in ZlibTokenDecoder(32).read_file(ByteReader(_mutate(ZLIB_SAMPLE, e)[:cut]),
                                                lambda i: b"B" * 700):
            pass
    except OcError:
        pass


def _codec_sample(name: str) -> bytes:
    from oc_wire.compress import token_encoder

    enc = token_encoder(name, 32)
    words = b" ".join(b"word%d" % (i % 97) for i in range(4000))
    return (enc.token(-2, words) + enc.token(0, b"hello " * 50, b"B" * 700)
            + enc.token(1, b"", b"C" * 700) + enc.token(-1, os.urandom(300)))


CODEC_SAMPLES = {name: _codec_sample(name) for name in ("zstd", "lz4", "zlibx")}


@SETTINGS
@given(st.sampled_from(sorted(CODEC_SAMPLES)), edits, st.integers(0, 1 << 16))
def test_zstd_lz4_zlibx_readers_on_mutated_input_raise_only_typed_errors(name, e, cut):
    from oc_wire.compress import token_reader

    data = _mutate(CODEC_SAMPLES[name], e)[:cut]
    reader = token_reader(name, 32)
    try:
        for _ in range(2):  # the zstd stream spans files
            for _ in reader.read_file(ByteReader(data), lambda i: b"B" * 700, 1000):
                pass
    except OcError:
        pass


def _session_samples() -> dict:
    """A server's sender direction built from the oc-delta batch body, and a client's
    generator direction, both as a live session frames them."""
    from oc_wire.filter_list import encode_filter_list
    from oc_wire.ints import int32, varint
    from oc_wire.mux import Msg, encode_frame
    from oc_wire.ndx import NdxCodec
    from oc_wire.negotiate import encode_names
    from oc_wire.stage import read_header
    from oc_wire.sums import SumHead, encode_sum_head

    r = ByteReader(DELTA)
    h = read_header(r)
    body = DELTA[r.pos:]
    names = encode_names(["md5"])
    server = (int32(h.protocol) + varint(h.compat_flags) + names + int32(h.checksum_seed)
              + encode_frame(Msg.INFO, b"hello\n") + encode_frame(Msg.DATA, body))
    ndx = NdxCodec(h.protocol)
    gen = (encode_filter_list([b"- *.o"]) + ndx.encode(1) + (0x8000).to_bytes(2, "little")
           + encode_sum_head(SumHead(2, 700, 2, 5)) + bytes(12) + ndx.encode(-1))
    client = int32(h.protocol) + names + encode_frame(Msg.DATA, gen)
    return {"server": server, "client": client}


SESSION_SAMPLES = _session_samples()


@SETTINGS
@given(st.sampled_from(["server", "client"]), edits, st.integers(0, 1 << 16))
def test_session_dump_on_mutated_captures_never_raises(direction, e, cut):
    from oc_wire.dump import dump_session
    from oc_wire.server_args import parse_server_args
    from oc_wire.session_stream import SessionSide

    args = parse_server_args(["rsync", "--server", "--sender", "-re.iLsfxCIvu", ".", "f"])
    data = _mutate(SESSION_SAMPLES[direction], e)[:cut]
    recs = list(dump_session(data, SessionSide(direction == "server", args)))
    assert recs
    if cut >= len(SESSION_SAMPLES[direction]) and not e:
        assert recs[-1]["event"] != "error", recs[-1]


def _entry_strategy():
    import stat as s

    from oc_wire.flist_entry import FileEntry

    kinds = st.sampled_from([s.S_IFREG | 0o644, s.S_IFDIR | 0o755, s.S_IFLNK | 0o777,
                             s.S_IFCHR | 0o600, s.S_IFIFO | 0o644])
    return st.builds(
        lambda i, mode, size, mtime, nsec, uid, link: FileEntry(
            name=b"d/" + b"x" * (i % 300) + b"%d" % i, mode=mode, size=size, mtime=mtime,
            mtime_nsec=nsec, uid=uid, gid=uid + 1, user=b"u%d" % uid, group=b"g%d" % uid,
            rdev_major=uid, rdev_minor=size & 0xFFFF,
            link_target=b"t" * link if s.S_ISLNK(mode) else None),
        st.integers(0, 10**6), kinds, st.integers(0, 1 << 40), st.integers(0, (1 << 31) - 1),
        st.integers(0, 10**9 - 1), st.integers(0, 70000), st.integers(1, 500))


@SETTINGS
@given(st.lists(_entry_strategy(), min_size=1, max_size=30, unique_by=lambda e: e.name),
       st.sampled_from([(28, 0), (29, 0), (30, 0x1FF), (31, 0x1FE), (32, 0x1FF)]),
       st.lists(st.integers(1, 64), min_size=1, max_size=50))
def test_buffered_flist_decoding_equals_whole_buffer_decoding(entries, proto, steps):
    """A list read from a buffered stream that shows a few more bytes at a time (entries
    cut anywhere, decoded again once complete, the running state restored) comes out as
    the same entries as from one whole buffer, and every byte is consumed exactly once."""
    from oc_wire.flist_codec import FlistEncoder

    p, compat = proto
    opts = FlistOptions(p, compat, preserve_uid=True, preserve_gid=True,
                        preserve_links=True, preserve_devices=True, preserve_specials=True)
    enc = FlistEncoder(opts)
    data = b"".join(enc.entry(e) for e in sorted(entries, key=lambda e: e.name)) + enc.end()
    whole = FlistDecoder(opts, max_entries=len(entries)).read_list(ByteReader(data + b"tail"))
    state = {"shown": 0, "used": 0, "step": 0}

    def peek(n: int) -> bytes:
        while state["shown"] - state["used"] < n:
            if state["shown"] >= len(data) + 4:
                raise AssertionError("read past the stream")
            state["shown"] += steps[state["step"] % len(steps)]
            state["step"] += 1
        return (data + b"tail")[state["used"]:state["shown"]]

    def consume(n: int) -> None:
        state["used"] += n

    r = PullReader(lambda n: b"", peek=peek, consume=consume)
    got = FlistDecoder(opts, max_entries=len(entries)).read_list(r)  # (an entry decoded
    assert got == whole                                              # twice counts once)
    assert state["used"] == r.offset == len(data)


def _list_stream() -> bytes:
    """An oc-flist --wire stream with a list per directory (three lists)."""
    from oc_flist.wire import encode_lists, list_header
    from oc_wire.flist_entry import FileEntry

    def entry(name: bytes, mode: int) -> FileEntry:
        return FileEntry(name, mode, 3, 1_700_000_000, uid=0, gid=0)
    first = [entry(b".", 0o40755), entry(b"a", 0o100644), entry(b"d", 0o40755)]
    later = {b"d": [entry(b"d/x", 0o100644), entry(b"d/e", 0o40700)], b"d/e": []}

    def lists(_ordered):
        return iter(later.items())
    h = list_header(32, True, recurse=True, preserve_uid=True, preserve_gid=True)
    return b"".join(encode_lists(first, lists, h, lambda: 0))


LISTS = _list_stream()


@SETTINGS
@given(edits, st.integers(0, len(LISTS)))
def test_list_stream_decoder_on_mutated_input_raises_only_typed_errors(e, cut):
    """oc-flist --decode of a stream of several lists: a mutated or cut stream fails
    with a typed error (directory indexes and lengths are bounded), never otherwise."""
    from oc_flist.wire import decode_list

    try:
        got = decode_list(_mutate(LISTS, e)[:cut])
    except OcError:
        return
    assert len(got) <= 5 + len(LISTS)  # (nothing unbounded came out)


def test_list_stream_decodes_whole():
    from oc_flist.wire import decode_list

    assert [e.name for e in decode_list(LISTS)] == [b".", b"a", b"d", b"d/x", b"d/e"]


class _Trickle:
    """A buffered source that shows a few more bytes at a time (the connection's
    read/peek/consume), for PullReader."""

    def __init__(self, data: bytes, steps: list[int]):
        self.data, self.steps = data, steps
        self.shown = self.used = self.step = 0

    def _show(self, n: int) -> None:
        while self.shown - self.used < n and self.shown < len(self.data):
            self.shown = min(len(self.data), self.shown + self.steps[self.step % len(self.steps)])
            self.step += 1

    def read(self, n: int) -> bytes:
        self._show(1)
        out = self.data[self.used:min(self.shown, self.used + n)]
        self.used += len(out)
        return out

    def peek(self, n: int, most: int | None = None) -> bytes:
        self._show(n)
        if self.shown - self.used < n:
            raise NeedData(n, self.used)
        end = self.shown if most is None else min(self.shown, self.used + max(n, most))
        return self.data[self.used:end]

    def consume(self, n: int) -> None:
        self.used += n


@SETTINGS
@given(st.lists(st.one_of(st.integers(0, 40), st.binary(min_size=1, max_size=50)),
                max_size=60),
       st.lists(st.integers(1, 40), min_size=1, max_size=20), st.sampled_from([None, 30]))
def test_buffered_token_reading_equals_token_by_token(tokens, steps, count):
    """PlainTokenReader over a buffered stream decodes runs of matches from the buffer
    at once, consecutive blocks as one Match with a count: block by block the same
    events, the same end offset and the same refusal of an index out of range as
    reading token by token."""
    from oc_wire.token_events import Match
    from oc_wire.tokens import PlainTokenReader, encode_end, encode_literal, encode_match

    data = b"".join(encode_match(t) if isinstance(t, int) else encode_literal(t)
                    for t in tokens) + encode_end() + b"tail"

    def events(r):
        got = []
        try:
            for ev in PlainTokenReader().read_file(r, None, count):
                if isinstance(ev, Match):
                    assert ev.count >= 1
                    got += [Match(i) for i in range(ev.index, ev.index + ev.count)]
                else:
                    got.append(ev)
        except ProtocolError as e:
            got.append(("refused", e.offset))
        return got, r.offset
    src = _Trickle(data, steps)
    assert events(PullReader(src.read, peek=src.peek, consume=src.consume)) == \
        events(ByteReader(data))
