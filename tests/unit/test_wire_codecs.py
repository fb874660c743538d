"""oc_wire codecs, checked both ways: encode(value) == bytes and decode(bytes) == value.
Byte rows come from upstream's io.c rules and from batches real rsync 3.5.0 wrote."""
import oc_wire.sums as sums
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oc_wire.errors import LimitError, NeedData, ProtocolError
from oc_wire.flist_codec import FlistEncoder, FlistOptions
from oc_wire.flist_decode import FlistDecoder
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import ByteReader, longint, varint, varlong, vstring
from oc_wire.ndx import NDX_DONE, NDX_FLIST_EOF, NdxCodec
from oc_wire.sums import SumHead, encode_block, encode_sum_head, read_blocks, read_sum_head
from oc_wire.token_events import End, Literal, Match
from oc_wire.tokens import TokenDecoder, encode_end, encode_literal, encode_match


@pytest.mark.parametrize("value,hexbytes", [
    (0, "00"), (1, "01"), (0x7F, "7f"), (0x80, "8080"), (0x100, "8100"), (0x3FFF, "bfff"),
    (0x4000, "c00040"), (0x1FE, "81fe"), (-1, "f0ffffffff"), (0x7FFFFFFF, "f0ffffff7f"),
])
def test_varint_rows(value, hexbytes):
    assert varint(value).hex() == hexbytes
    r = ByteReader(bytes.fromhex(hexbytes))
    assert r.read_varint() == value and r.remaining() == 0


@pytest.mark.parametrize("value,min_bytes,hexbytes", [
    (4905, 3, "002913"), (0, 3, "000000"), (0x1000000, 3, "81000000"),
    (1795567064, 4, "6bd82d06"), (2**40, 4, "c10000000000"),
])
def test_varlong_rows(value, min_bytes, hexbytes):
    assert varlong(value, min_bytes).hex() == hexbytes
    assert ByteReader(bytes.fromhex(hexbytes)).read_varlong(min_bytes) == value


def test_longint_uses_the_escape_above_31_bits():
    assert longint(5) == b"\x05\0\0\0"
    assert longint(2**32) == b"\xff\xff\xff\xff" + (2**32).to_bytes(8, "little")
    assert ByteReader(longint(2**40)).read_longint() == 2**40


def test_vstring_takes_two_length_bytes_from_128():
    assert vstring(b"md5") == b"\x03md5"
    assert vstring(b"x" * 200)[:2] == b"\x80\xc8"
    assert ByteReader(vstring(b"x" * 200)).read_vstring() == b"x" * 200


def test_readers_raise_needdata_when_short():
    with pytest.raises(NeedData):
        ByteReader(b"\x81").read_varint()
    with pytest.raises(LimitError):
        ByteReader(b"\x05abcde").read_vstring(limit=4)


@pytest.mark.parametrize("protocol,seq,hexbytes", [
    (32, [0, 1, 5, NDX_DONE], "01010400"),
    (32, [300], "fe012d"),
    (32, [NDX_FLIST_EOF], "ff01"),
    (32, [100000], "fe80a08601"),
    (29, [0, NDX_DONE], "00000000ffffffff"),
])
def test_ndx_rows(protocol, seq, hexbytes):
    enc = NdxCodec(protocol)
    assert b"".join(enc.encode(n) for n in seq).hex() == hexbytes
    dec, r = NdxCodec(protocol), ByteReader(bytes.fromhex(hexbytes))
    assert [dec.decode(r) for _ in seq] == seq


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 16), st.lists(st.integers(0, 2**32 - 1), max_size=40), st.data())
def test_block_sums_read_back_in_batches(s2len, values, data):
    """read_blocks splits records (int32 sum1 + s2len strong bytes) a batch at a time:
    the same columns as record by record, whatever the batch size."""
    strongs = [data.draw(st.binary(min_size=s2len, max_size=s2len)) for _ in values]
    wire = b"".join(encode_block(v, s) for v, s in zip(values, strongs, strict=True))
    head = SumHead(len(values), 700, s2len, 0)
    for batch in (1, 3, 1 << 16):
        old = sums._RECORDS
        sums._RECORDS = batch
        try:
            sum1, strong = read_blocks(ByteReader(wire + b"tail"), head)
        finally:
            sums._RECORDS = old
        assert list(sum1) == values and strong == b"".join(strongs)
    if values:
        with pytest.raises(NeedData):
            read_blocks(ByteReader(wire[:-1]), head)


def test_sum_head_round_trip_and_limits():
    h = SumHead(5, 1000, 2, 0)
    assert encode_sum_head(h).hex() == "05000000e80300000200000000000000"
    assert read_sum_head(ByteReader(encode_sum_head(h)), 32) == h
    with pytest.raises(LimitError):
        read_sum_head(ByteReader(encode_sum_head(SumHead(1, 1 << 18, 2, 0))), 30)
    with pytest.raises(LimitError):
        read_sum_head(ByteReader(encode_sum_head(SumHead(1, 700, 2, 701))), 30)


def test_literal_runs_never_exceed_32k():
    data = bytes(range(256)) * 300  # 76800 bytes
    stream = encode_literal(data) + encode_match(3) + encode_end()
    dec = TokenDecoder()
    dec.receive_data(stream)
    events = []
    while not isinstance(ev := dec.next_event(), End):
        events.append(ev)
    assert [len(e.data) for e in events[:-1]] == [32768, 32768, 11264]
    assert events[-1] == Match(3)
    assert b"".join(e.data for e in events if isinstance(e, Literal)) == data


def test_token_decoder_rejects_oversized_literal_and_unknown_block():
    dec = TokenDecoder(max_block=2)
    dec.receive_data((32769).to_bytes(4, "little"))
    with pytest.raises(ProtocolError):
        dec.next_event()
    dec = TokenDecoder(max_block=2)
    dec.receive_data(encode_match(2))
    with pytest.raises(ProtocolError):
        dec.next_event()


ENTRY = FileEntry(name=b"new", mode=0o100644, size=4905, mtime=1795567064,
                  mtime_nsec=16029486)


@pytest.mark.parametrize("protocol,compat,hexbytes", [
    (32, 0x1FE, "a018036e65770029136bd82d06e02e97f4a48100000000"),
    (28, 0, "18036e657729130000d82d066ba48100000000000000"),
])
def test_single_file_list_matches_upstream_bytes(protocol, compat, hexbytes):
    # rows taken from batches rsync 3.5.0 wrote for `rsync --write-batch=B new dst/`
    opts = FlistOptions(protocol, compat)
    enc = FlistEncoder(opts)
    raw = enc.entry(ENTRY) + enc.end()
    assert raw.hex() == hexbytes
    dec = FlistDecoder(opts)
    got = dec.read_list(ByteReader(raw))
    want = ENTRY if protocol >= 31 else FileEntry(**{**_fields(ENTRY), "mtime_nsec": 0})
    assert got == [want]


def _fields(e):
    return {f: getattr(e, f) for f in e.__slots__}


@pytest.mark.parametrize("name", [b"/etc/passwd", b"a/../../x", b"..", b""])
def test_flist_decoder_rejects_escaping_names(name):
    opts = FlistOptions(32, 0x1FE)
    raw = FlistEncoder(opts).entry(FileEntry(name=name or b"x", mode=0o100644))
    if not name:
        raw = raw.replace(b"\x01x", b"\x00", 1)
    with pytest.raises(ProtocolError):
        FlistDecoder(opts).read_list(ByteReader(raw + b"\0\0"))


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("mode", [0o100644, 0o120777, 0o10644])
def test_flist_decoder_rejects_a_root_that_is_not_a_directory(mode, bulk):
    """A "." that is not a directory: upstream 3.5.0's receiver refuses it in these words
    (exit 2); as a file, it would have --force remove the destination directory."""
    opts = FlistOptions(32, 0x1FE)
    enc = FlistEncoder(opts)
    raw = enc.entry(FileEntry(name=b"a", mode=0o100644)) + enc.entry(FileEntry(
        name=b".", mode=mode, link_target=b"x" if mode == 0o120777 else None)) + enc.end()
    with pytest.raises(ProtocolError) as got:
        FlistDecoder(opts, bulk=bulk).read_list(ByteReader(raw))
    assert str(got.value) == "ERROR: rejecting non-directory transfer-root entry: ."
    assert got.value.plain
    enc = FlistEncoder(opts)
    ok = enc.entry(FileEntry(name=b".", mode=0o40755)) + enc.end()
    assert FlistDecoder(opts, bulk=bulk).read_list(ByteReader(ok))[0].name == b"."


@pytest.mark.parametrize("protocol", [32, 31, 30])
def test_flist_crtimes_round_trip(protocol):
    """-N: a creation time per entry after the mtime's nanoseconds, or the flag
    XMIT_CRTIME_EQ_MTIME (1 << 17) alone when it equals the mtime; hard links below
    share their first's."""
    opts = FlistOptions(protocol, 0x1FE, preserve_crtimes=True, preserve_hard_links=True)
    entries = [FileEntry(name=b"a", mode=0o100644, size=1, mtime=5, crtime=3),
               FileEntry(name=b"b", mode=0o100644, size=2, mtime=5, crtime=5),
               FileEntry(name=b"d", mode=0o40755, mtime=9, crtime=1_700_000_000),
               FileEntry(name=b"d/c", mode=0o100600, size=3, mtime=6, mtime_nsec=7,
                         crtime=2, hlinked=True),
               FileEntry(name=b"d/e", mode=0o100600, size=3, mtime=6, mtime_nsec=7,
                         crtime=2, hlinked=True, hlink_first=3)]
    enc = FlistEncoder(opts)
    raw = b"".join(enc.entry(e) for e in entries) + enc.end()
    plain = FlistEncoder(FlistOptions(protocol, 0x1FE, preserve_hard_links=True))
    plain_raw = b"".join(plain.entry(e) for e in entries) + plain.end()
    assert len(raw) > len(plain_raw)
    got = FlistDecoder(opts).read_list(ByteReader(raw))
    ns = 7 if protocol >= 31 else 0
    assert [(e.name, e.crtime, e.mtime_nsec) for e in got] == [
        (b"a", 3, 0), (b"b", 5, 0), (b"d", 1_700_000_000, 0), (b"d/c", 2, ns), (b"d/e", 2, ns)]
    one = FlistEncoder(opts)
    flagged = one.entry(entries[1]) + one.end()  # crtime == mtime: the flag alone
    with pytest.raises(ProtocolError, match="crtime data"):  # in a list without -N
        FlistDecoder(FlistOptions(protocol, 0x1FE)).read_list(ByteReader(flagged))
    with pytest.raises(ValueError):  # upstream refuses --crtimes without varint flags
        FlistEncoder(FlistOptions(protocol, 0, preserve_crtimes=True)).entry(entries[0])


@pytest.mark.parametrize("protocol,compat", [(32, 0x1FE), (30, 0x1FE), (29, 0), (28, 0)])
def test_flist_atimes_round_trip(protocol, compat):
    """-U: an access time per non-directory, elided when equal to the previous one."""
    opts = FlistOptions(protocol, compat, preserve_atimes=True)
    entries = [FileEntry(name=b"a", mode=0o100644, size=1, mtime=5, atime=1_600_000_000),
               FileEntry(name=b"b", mode=0o100644, size=2, mtime=5, atime=1_600_000_000),
               FileEntry(name=b"d", mode=0o40755, mtime=5),
               FileEntry(name=b"d/c", mode=0o100600, size=3, mtime=6, atime=7)]
    enc = FlistEncoder(opts)
    raw = b"".join(enc.entry(e) for e in entries) + enc.end()
    plain = FlistEncoder(FlistOptions(protocol, compat))
    assert len(raw) > len(b"".join(plain.entry(e) for e in entries) + plain.end())
    got = FlistDecoder(opts).read_list(ByteReader(raw))
    assert [(e.name, e.atime) for e in got] == [(b"a", 1_600_000_000), (b"b", 1_600_000_000),
                                                (b"d", 0), (b"d/c", 7)]
