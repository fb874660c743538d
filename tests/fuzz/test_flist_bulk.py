"""libcore's bulk file-list codec (flist.c) against the reference (FlistEncoder.entry,
FlistDecoder.read_entry). Decoding: the same entries, owner names, io_error and bytes
consumed for every protocol and option set, and the same outcome (entries, or the same
typed error) for mutated bytes. Encoding: the same bytes, owner-name tables and running
state, or the same error, including values the wire cannot carry."""
import stat

import oc_core
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oc_core.record import replace
from oc_wire.errors import NeedData, OcError
from oc_wire.flist_codec import FlistEncoder, FlistOptions, mark_hard_links
from oc_wire.flist_decode import FlistDecoder
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import ByteReader

pytestmark = pytest.mark.skipif(oc_core.BACKEND != "native", reason="libcore not loaded")
SETTINGS = settings(max_examples=250, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
# (protocol, compat flags): varint flags and incremental recursion or not
PROTOCOLS = [(28, 0), (29, 0), (30, 0x1FF), (30, 0x08), (31, 0x1FE), (32, 0x1FF), (32, 0x0)]
KINDS = [stat.S_IFREG | 0o644, stat.S_IFREG | 0o755, stat.S_IFDIR | 0o755,
         stat.S_IFLNK | 0o777, stat.S_IFCHR | 0o600, stat.S_IFBLK | 0o660,
         stat.S_IFIFO | 0o644, stat.S_IFSOCK | 0o755]


@st.composite
def _entries(draw):
    n = draw(st.integers(1, 25))
    names = draw(st.lists(st.sampled_from([b"a", b"b", b"dir", b"x" * 200, b"\xe9t\xe9",
                                           b"..a", b"a..", b"y" * 300]),
                          min_size=1, max_size=4).map(lambda parts: b"/".join(parts)))
    out, seen = [], {}
    for i in range(n):
        mode = draw(st.sampled_from(KINDS))
        mtime = draw(st.sampled_from([0, 1, 1_700_000_000, -5, 1 << 33]))
        e = FileEntry(
            name=names + b"/%d" % i if i % 3 else b"f%03d" % i, mode=mode,
            size=draw(st.sampled_from([0, 1, 300, 1 << 31, 1 << 40])), mtime=mtime,
            mtime_nsec=draw(st.sampled_from([0, 1, 999_999_999])),
            atime=draw(st.sampled_from([0, mtime, 7])),
            crtime=draw(st.sampled_from([mtime, 3])),
            uid=draw(st.sampled_from([0, 1000, 70000])), gid=draw(st.sampled_from([0, 5])),
            user=draw(st.sampled_from([None, b"", b"bob"])), group=b"grp",
            rdev_major=draw(st.sampled_from([0, 8, 300])),
            rdev_minor=draw(st.sampled_from([0, 1, 255, 256, 70000])),
            link_target=draw(st.sampled_from([b"", b"t", b"../up" * 50]))
            if stat.S_ISLNK(mode) else None,
            checksum=draw(st.sampled_from([None, bytes(range(16))])),
            top_dir=draw(st.booleans()), content_dir=draw(st.booleans()),
            implied_dir=draw(st.booleans()),
            dev=draw(st.sampled_from([1, 2])), ino=draw(st.integers(1, 6)),
            nlink=draw(st.sampled_from([1, 2])))
        if e.nlink > 1 and not stat.S_ISDIR(mode):  # links of one inode: one inode's data
            e = replace(seen.setdefault((e.dev, e.ino), e), name=e.name)
        out.append(e)
    return out


def _options(draw_bits: int, protocol: int, compat: int) -> FlistOptions:
    on = [bool(draw_bits >> k & 1) for k in range(9)]
    return FlistOptions(protocol, compat, preserve_uid=on[0], preserve_gid=on[1],
                        preserve_links=on[2], preserve_devices=on[3],
                        preserve_specials=on[4], preserve_hard_links=on[5],
                        always_checksum=on[6], numeric_ids=on[7],
                        preserve_atimes=on[8] and protocol >= 30,
                        preserve_crtimes=on[8] and protocol >= 30 and bool(compat & 0x80))


def _encode(opts: FlistOptions, lists: list[list[FileEntry]], io_error: int,
            bulk: bool = False) -> bytes:
    enc, first, out = FlistEncoder(opts, bulk=bulk), {}, []
    for k, entries in enumerate(lists):
        for e in entries:
            if opts.protocol < 30 and e.mtime >= 1 << 31:  # (an int32 there)
                e.mtime = e.crtime = (1 << 31) - 1
        if opts.preserve_hard_links:
            mark_hard_links(entries, first, enc.list_start)
        out.append(enc.entries(entries))
        out.append(enc.end(io_error if k == len(lists) - 1 else 0))
    return b"".join(out)


def _decode(opts: FlistOptions, data: bytes, lists: int, bulk: bool, absolute: bool):
    """Every list's entries, the owner names, io_error and bytes used; or the error."""
    dec = FlistDecoder(opts, max_entries=200, absolute_names=absolute, bulk=bulk)
    r = ByteReader(data)
    try:
        got = [dec.read_list(r) for _ in range(lists)]
    except NeedData:
        return "NeedData", r.pos
    except OcError as exc:
        return type(exc).__name__, str(exc)
    return got, dec.uid_names, dec.gid_names, dec.io_error, r.pos


@SETTINGS
@given(st.lists(_entries(), min_size=1, max_size=3), st.sampled_from(PROTOCOLS),
       st.integers(0, 511), st.sampled_from([0, 1, 300]), st.booleans())
def test_bulk_decoding_equals_the_reference(lists, proto, bits, io_error, absolute):
    opts = _options(bits, *proto)
    lists = lists if opts.inc_recurse else lists[:1]  # (one list without inc_recurse)
    for entries in lists:
        entries.sort(key=lambda e: e.name)
        if absolute:
            for e in entries[::2]:
                e.name = b"/" + e.name
    data = _encode(opts, lists, io_error) + b"after"
    ref = _decode(opts, data, len(lists), False, absolute)
    assert _decode(opts, data, len(lists), True, absolute) == ref
    assert not isinstance(ref[0], str), ref  # (the input was valid)


@SETTINGS
@given(_entries(), st.sampled_from(PROTOCOLS), st.integers(0, 511),
       st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1,
                max_size=6), st.integers(0, 1 << 16), st.booleans())
def test_bulk_decoding_of_mutated_bytes_ends_as_the_reference(entries, proto, bits, edits,
                                                               cut, absolute):
    """Flipped bytes and cut streams: the same entries, or the same error at the same
    offset (the bulk decoder leaves every entry it doubts to the reference)."""
    opts = _options(bits, *proto)
    entries.sort(key=lambda e: e.name)
    data = bytearray(_encode(opts, [entries], 0))
    for at, value in edits:
        data[at % len(data)] = value
    data = bytes(data[:max(cut, len(data) // 2)])
    assert _decode(opts, data, 1, True, absolute) == _decode(opts, data, 1, False, absolute)


def _encoded(opts: FlistOptions, entries: list[FileEntry], bulk: bool):
    """The list's bytes, the owner names kept and the running state after it; or the
    error."""
    enc = FlistEncoder(opts, user_names={0: b"root", 1000: b"u" * 300}, bulk=bulk)
    try:
        data = enc.entries(entries) + enc.entries(entries[:3]) + enc.end(3)
    except (ValueError, OverflowError, __import__("struct").error) as exc:
        return type(exc).__name__
    return data, enc.uids, enc.gids, vars(enc.s), enc.count, enc.list_start


@SETTINGS
@given(_entries(), st.sampled_from(PROTOCOLS), st.integers(0, 511),
       st.lists(st.tuples(st.integers(0, 40), st.sampled_from(
           ["mtime", "uid", "gid", "rdev_major", "rdev_minor", "size", "dev", "name",
            "mode", "checksum"]), st.sampled_from([0, -1, (1 << 31) - 1, 1 << 31, 1 << 32,
                                                   (1 << 63) - 1, 1 << 63, 1 << 70])),
                max_size=3))
def test_bulk_encoding_equals_the_reference(entries, proto, bits, odd):
    """Entries as drawn, with a few values set to the edges of (or past) what the wire or
    the C record carries: the same bytes or the same error."""
    opts = _options(bits, *proto)
    entries.sort(key=lambda e: e.name)
    for at, attr, value in odd:
        e = entries[at % len(entries)]
        if attr == "name":
            e.name = b"" if value <= 0 else b"n" * min(value, 5000)
        elif attr == "checksum":
            e.checksum = b"\1" * (value % 40)
        else:
            setattr(e, attr, value)
    assert _encoded(opts, entries, True) == _encoded(opts, entries, False)


def test_a_list_longer_than_one_call_and_names_at_the_length_limit():
    """More entries than one C call returns (1024) and longest names (4095 bytes) fill
    its name buffer: the calls continue where the last one ended."""
    opts = FlistOptions(32, 0x1FF, preserve_uid=True, preserve_gid=True)
    entries = sorted((FileEntry(b"d/%05d" % i + (b"n" * (4088) if i % 97 == 0 else b""),
                                0o100644, i, 1_700_000_000 + i % 5) for i in range(3000)),
                     key=lambda e: e.name)
    data = _encode(opts, [entries], 0, bulk=True)
    assert data == _encode(opts, [entries], 0, bulk=False)
    got = FlistDecoder(opts, bulk=True).read_list(ByteReader(data))
    assert got == FlistDecoder(opts, bulk=False).read_list(ByteReader(data))
    assert [e.name for e in got] == [e.name for e in entries]
