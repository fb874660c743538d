"""libcore: native (scalar and AVX2) == pure reference == independent oracles."""
import errno
import hashlib
import os
import random

import oc_core.window as oc_window
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st
from oc_core import Checksum, FileSum, FileWindow, MatchCounts, SeedMode, SigTable, load_backend

NATIVE = load_backend("native")
PURE = load_backend("pure")


def test_rolling_sum_treats_bytes_as_signed_chars():
    # 0xff is -1 as a signed char: s1 = -1 -> 0xffff, s2 = -1 -> 0xffff
    assert PURE.rolling_checksum(b"\xff") == 0xFFFFFFFF
    assert NATIVE.rolling_checksum(b"\xff") == 0xFFFFFFFF
    assert PURE.rolling_checksum(b"\x01\x02") == (3 | (4 << 16))


@pytest.mark.parametrize("scalar", [True, False], ids=["scalar", "simd"])
def test_native_rolling_sum_equals_pure_for_every_length_up_to_4096(scalar):
    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(4096))
    NATIVE.force_scalar(scalar)
    try:
        for n in range(0, 4097):
            assert NATIVE.rolling_checksum(data[:n]) == PURE.rolling_checksum(data[:n]), n
    finally:
        NATIVE.force_scalar(False)


def test_simd_and_scalar_agree_on_large_high_byte_buffers():
    data = bytes([0x80, 0xFF, 0x7F]) * 300_000 + os.urandom(100_001)
    simd = NATIVE.rolling_checksum(data)
    NATIVE.force_scalar(True)
    try:
        assert NATIVE.rolling_checksum(data) == simd
    finally:
        NATIVE.force_scalar(False)


def test_block_sums_cover_a_short_last_block(core_backend):
    data = os.urandom(2500)
    sums = core_backend.block_sums(data, 700)
    assert len(sums) == 4
    assert sums[3] == PURE.rolling_checksum(data[2100:])


def test_md4_rfc1320_vectors(core_backend):
    assert core_backend.md4(b"").hex() == "31d6cfe0d16ae931b73c59d7e0c089c0"
    assert core_backend.md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
    digits = b"1234567890" * 8
    assert core_backend.md4(digits).hex() == "e33b4ddc9c38f2199c3e7b164fcc0536"


SEED = 0x01020304
SEED_BYTES = SEED.to_bytes(4, "little")
DATA = b"rsync block data" * 40


@pytest.mark.parametrize("algo,mode,expected", [
    (Checksum.MD5, SeedMode.BEFORE, hashlib.md5(SEED_BYTES + DATA).digest()),
    (Checksum.MD5, SeedMode.AFTER, hashlib.md5(DATA + SEED_BYTES).digest()),
    (Checksum.MD5, SeedMode.NONE, hashlib.md5(DATA).digest()),
    (Checksum.SHA1, SeedMode.BEFORE, hashlib.sha1(SEED_BYTES + DATA).digest()),
    (Checksum.XXH64, SeedMode.HASH, xxhash.xxh64_intdigest(DATA, SEED).to_bytes(8, "little")),
    (Checksum.XXH3, SeedMode.HASH, xxhash.xxh3_64_intdigest(DATA, SEED).to_bytes(8, "little")),
    (Checksum.XXH128, SeedMode.HASH,
     xxhash.xxh3_128_intdigest(DATA, SEED).to_bytes(16, "little")),
])
def test_strong_sum_seed_placement(core_backend, algo, mode, expected):
    assert core_backend.strong_sum(algo, DATA, SEED, mode) == expected


def test_md4_seed_goes_after_the_data(core_backend):
    assert core_backend.strong_sum(Checksum.MD4, DATA, SEED, SeedMode.AFTER) == \
        PURE.md4(DATA + SEED_BYTES)


@pytest.mark.parametrize("scalar", [True, False], ids=["scalar", "simd"])
@pytest.mark.parametrize("algo", list(Checksum)[1:])
def test_native_strong_sums_equal_pure(algo, scalar):
    """Every length class: the digests' padding edges, and XXH3's short, mid-size and
    long (vector) inputs, from libxxhash or libcore's AVX2 build of it."""
    NATIVE.force_scalar(scalar)
    try:
        for n in (0, 1, 16, 17, 55, 56, 57, 63, 64, 65, 119, 120, 128, 129, 240, 241, 700,
                  1024, 1025, 4096, 23168, 100_003):
            data = os.urandom(n)
            for mode in SeedMode:
                native = NATIVE.strong_sum(algo, data, SEED, mode)
                assert native == PURE.strong_sum(algo, data, SEED, mode)
    finally:
        NATIVE.force_scalar(False)


def test_file_sum_is_the_unseeded_digest_in_pieces():
    data = os.urandom(100_000)
    fs = FileSum(Checksum.MD4)
    for off in range(0, len(data), 777):
        fs.update(data[off:off + 777])
    assert fs.digest() == PURE.md4(data)
    x = FileSum(Checksum.XXH128)
    x.update(data)
    assert x.digest() == xxhash.xxh3_128_intdigest(data).to_bytes(16, "little")


def _signature(basis: bytes, block: int, algo=Checksum.MD5, s2len=16, seed=0,
               mode=SeedMode.NONE) -> SigTable:
    sum1 = tuple(PURE.block_sums(basis, block))
    sum2 = b"".join(PURE.strong_sum(algo, basis[o:o + block], seed, mode)[:s2len]
                    for o in range(0, len(basis), block))
    return SigTable(block, len(basis) % block, s2len, sum1, sum2)


def _rebuild(records, new: bytes, sig: SigTable, basis: bytes) -> bytes:
    out = bytearray()
    for off, n, token in records:
        out += new[off:off + n]
        if token >= 0:
            out += basis[token * sig.block_len:token * sig.block_len + sig.length_of(token)]
    return bytes(out)


@settings(max_examples=60, deadline=None)
@given(basis=st.binary(max_size=3000), edits=st.lists(
    st.tuples(st.integers(0, 3000), st.binary(max_size=40), st.integers(0, 40)), max_size=5),
    block=st.sampled_from([1, 2, 7, 64, 700]), seed=st.integers(0, 2**32 - 1))
def test_native_matcher_equals_pure_matcher(basis, edits, block, seed):
    new = bytearray(basis)
    for pos, ins, cut in edits:
        pos = min(pos, len(new))
        new[pos:pos + cut] = ins
    new = bytes(new)
    sig = _signature(basis, block, Checksum.MD4, 2, seed, SeedMode.AFTER)
    args = (sig, new, Checksum.MD4, seed, SeedMode.AFTER)
    pc, nc = MatchCounts(), MatchCounts()
    pure = list(PURE.match(*args, counts=pc))
    assert list(NATIVE.match(*args, counts=nc)) == pure
    assert _rebuild(pure, new, sig, basis) == new
    # match_report's counters: equal, and the matches are the block tokens
    assert (nc.matches, nc.hash_hits, nc.false_alarms) == \
        (pc.matches, pc.hash_hits, pc.false_alarms)
    assert nc.matches == sum(1 for *_, t in pure if t >= 0) <= nc.hash_hits or not new


def test_matcher_flushes_literals_before_they_pass_a_chunk_plus_a_block():
    basis = os.urandom(70_000)
    new = os.urandom(200_000) + basis
    sig = _signature(basis, 700)
    recs = list(NATIVE.match(sig, new, Checksum.MD5, 0, SeedMode.NONE))
    assert all(n <= 32 * 1024 + 700 for _, n, _ in recs)
    assert [t for *_, t in recs].count(-2) >= 5
    assert recs == list(PURE.match(sig, new, Checksum.MD5, 0, SeedMode.NONE))
    assert _rebuild(recs, new, sig, basis) == new


def test_matcher_prefers_the_block_after_the_previous_match():
    basis = b"A" * 700 * 4  # every block is identical
    sig = _signature(basis, 700)
    recs = list(NATIVE.match(sig, basis, Checksum.MD5, 0, SeedMode.NONE))
    # The chain offers block 3 first, but want_i (0 at the start, then i + 1) wins.
    assert [t for *_, t in recs] == [0, 1, 2, 3, -1]
    assert recs == list(PURE.match(sig, basis, Checksum.MD5, 0, SeedMode.NONE))


def test_matcher_with_no_blocks_sends_literals_in_chunks(core_backend):
    sig = SigTable(700, 0, 16, (), b"")
    new = os.urandom(100_000)
    recs = list(core_backend.match(sig, new, Checksum.MD5, 0, SeedMode.NONE))
    assert recs == [(0, 32768, -2), (32768, 32768, -2), (65536, 32768, -2), (98304, 1696, -1)]


def _rebuild_in_place(records, new: bytes, sig: SigTable, basis: bytes) -> bytes:
    """What an in-place receiver ends with: it writes into the basis itself, so a block
    copied from an offset it already overwrote would bring back the wrong bytes."""
    buf = bytearray(basis)
    at = 0
    for off, n, token in records:
        buf[at:at + n] = new[off:off + n]
        at += n
        if token >= 0:
            start = token * sig.block_len
            block = bytes(buf[start:start + sig.length_of(token)])
            buf[at:at + len(block)] = block
            at += len(block)
    del buf[at:]
    return bytes(buf)


@settings(max_examples=80, deadline=None)
@given(basis=st.binary(max_size=3000), edits=st.lists(
    st.tuples(st.integers(0, 3000), st.binary(max_size=40), st.integers(0, 40)), max_size=5),
    block=st.sampled_from([1, 2, 7, 64, 700]), zeros=st.booleans(),
    swap=st.booleans())
def test_in_place_matcher_never_reads_what_it_overwrote(basis, edits, block, zeros, swap):
    if zeros:
        basis = bytes(len(basis) // 2) + basis[len(basis) // 2:]
    new = bytearray(basis)
    if swap and len(new) > 2 * block:  # moved blocks: the tempting case
        new = new[len(new) // 2:] + new[:len(new) // 2]
    for pos, ins, cut in edits:
        pos = min(pos, len(new))
        new[pos:pos + cut] = ins
    new = bytes(new)
    sig = _signature(basis, block, Checksum.MD5, 16)
    args = (sig, new, Checksum.MD5, 0, SeedMode.NONE)
    pc, nc = MatchCounts(), MatchCounts()
    pure = list(PURE.match(*args, updating=True, counts=pc))
    assert list(NATIVE.match(*args, updating=True, counts=nc)) == pure
    assert _rebuild_in_place(pure, new, sig, basis) == new
    assert (nc.matches, nc.hash_hits, nc.false_alarms) == \
        (pc.matches, pc.hash_hits, pc.false_alarms)


def test_in_place_matcher_keeps_blocks_at_their_own_offsets():
    """A block behind the write offset is not reused; aligned identical blocks are."""
    rng = random.Random(5)
    a, b = rng.randbytes(700), rng.randbytes(700)
    basis = a + b + bytes(700)
    new = b + a + bytes(700)
    sig = _signature(basis, 700)
    plain = [t for *_, t in NATIVE.match(sig, new, Checksum.MD5, 0, SeedMode.NONE)]
    inplace = [t for *_, t in NATIVE.match(sig, new, Checksum.MD5, 0, SeedMode.NONE,
                                           updating=True)]
    assert plain == [1, 0, 2, -1]
    assert inplace == [1, 2, -1]  # block 0 was overwritten by the time "a" comes


def _window_over(tmp_path, data: bytes, piece: int, on_read=None, mapped: bool = False):
    """A FileWindow over data in a file, or with mapped a MappedWindow (whatever the
    size: open_window maps big files only)."""
    path = tmp_path / "new"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    if mapped:
        return fd, NATIVE.MappedWindow(NATIVE.FileMap(fd, len(data)), 0, on_read, piece=piece)
    return fd, FileWindow(fd, len(data), 0, on_read, piece=piece)


@settings(max_examples=40, deadline=None)
@given(basis=st.binary(min_size=1, max_size=6000), edits=st.lists(
    st.tuples(st.integers(0, 6000), st.binary(max_size=300), st.integers(0, 300)),
    max_size=6), block=st.sampled_from([1, 7, 64, 700]), piece=st.sampled_from([1, 50, 4096]),
    forget=st.sampled_from([1, 100, 5000]), updating=st.booleans(), mapped=st.booleans())
def test_matcher_through_a_sliding_window_equals_the_whole_buffer(
        tmp_path_factory, basis, edits, block, piece, forget, updating, mapped):
    """The sender reads the new file through a FileWindow (read on as the matcher needs,
    forgotten below its low water) or a MappedWindow. Same records as over the whole
    file, every literal and matched block still readable from the window when its record
    comes, and every byte shown to on_read once, in order."""
    new = bytearray(basis)
    for pos, ins, cut in edits:
        pos = min(pos, len(new))
        new[pos:pos + cut] = ins
    new = bytes(new)
    sig = _signature(basis, block, Checksum.MD5, 16)
    whole = list(NATIVE.match(sig, new, Checksum.MD5, 0, SeedMode.NONE, updating=updating))
    seen = []
    fd, window = _window_over(tmp_path_factory.mktemp("w"), new, piece,
                              lambda v: seen.append(bytes(v)), mapped)
    old = oc_window._FORGET
    oc_window._FORGET = forget
    try:
        got, rebuilt = [], bytearray()
        for off, n, token in NATIVE.match(sig, window, Checksum.MD5, 0, SeedMode.NONE,
                                          updating=updating):
            got.append((off, n, token))
            rebuilt += window.get(off, n)
            if token >= 0:
                rebuilt += window.get(off + n, sig.length_of(token))
        window.ensure(len(new))
        error = window.finish()
    finally:
        oc_window._FORGET = old
        window.close()
        os.close(fd)
    assert got == whole
    assert bytes(rebuilt) == new and b"".join(seen) == new and not error


@pytest.mark.parametrize("mapped", [False, True])
@pytest.mark.parametrize("cut", [5000, 8192])
def test_a_window_over_a_file_that_shrank_reads_zeros_and_keeps_the_errno(tmp_path, mapped,
                                                                          cut):
    """upstream map_ptr: what can no longer be read is zeros, the status ENODATA; a
    mapping's vanished pages too (no SIGBUS), the end cut in a page or at a page's
    start."""
    data = os.urandom(10_000)
    seen = []
    fd, window = _window_over(tmp_path, data, 4096, lambda v: seen.append(bytes(v)), mapped)
    try:
        os.truncate(tmp_path / "new", cut)
        assert window.get(0, 10_000) == data[:cut] + bytes(10_000 - cut)
        assert window.finish() == errno.ENODATA
        assert b"".join(seen) == data[:cut] + bytes(10_000 - cut)
        records = list(NATIVE.match(_signature(data, 700), window, Checksum.MD5, 0,
                                    SeedMode.NONE))
        assert records[-1][2] == -1  # the matcher ends over the zeros, no fault
    finally:
        window.close()
        os.close(fd)


def test_small_files_are_read_and_big_ones_mapped(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(bytes(NATIVE.MAP_FROM))
    fd = os.open(path, os.O_RDONLY)
    try:
        assert type(NATIVE.open_window(fd, NATIVE.MAP_FROM - 1)) is FileWindow
        assert type(NATIVE.open_window(fd, NATIVE.MAP_FROM)) is NATIVE.MappedWindow
        assert type(PURE.open_window(fd, NATIVE.MAP_FROM)) is FileWindow
        assert NATIVE.map_file(fd, NATIVE.MAP_FROM - 1) is None
    finally:
        os.close(fd)


def test_a_directory_reads_as_zeros_and_its_errno(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY)  # a directory: read fails outright
    try:
        window = FileWindow(fd, 100)
        assert window.get(0, 100) == bytes(100) and window.error == errno.EISDIR
    finally:
        os.close(fd)


def test_the_checksum_sent_after_a_read_error_is_never_the_real_one():
    """upstream match_sums: zeros, or zeros ending in 1 when the real sum is zeros."""
    from oc_delta.deltafile import _refused
    assert _refused(bytes.fromhex("00ff00")) == bytes(3)
    assert _refused(bytes(16)) == bytes(15) + b"\x01"
    assert _refused(b"") == b""


@pytest.mark.parametrize("block", [2, 3])
def test_matcher_with_more_buckets_than_sixteen_bits(block):
    """Over 52,428 blocks upstream's table grows past 65,536 buckets and a sum's bucket
    is sum % size (the native matcher computes it without a division): same records
    and match_report counters as the pure matcher, through long literal runs (flushes),
    repeated content and a changed tail."""
    rng = random.Random(block)
    basis = bytes(b & 0x7f for b in rng.randbytes(60_000 * block)) + bytes(3000)
    literal = bytes(b | 0x80 for b in rng.randbytes(70_000))  # (no sum like a block's)
    new = (basis[:5000] + literal + basis[5000:90_000] + basis[40_000:41_000]
           + bytes(5000) + basis[95_000:] + b"tail")
    sig = _signature(basis, block, Checksum.MD5, 2)
    assert sig.count > 52_428
    pc, nc = MatchCounts(), MatchCounts()
    pure = list(PURE.match(sig, new, Checksum.MD5, 0, SeedMode.NONE, counts=pc))
    assert list(NATIVE.match(sig, new, Checksum.MD5, 0, SeedMode.NONE, counts=nc)) == pure
    assert (nc.matches, nc.hash_hits, nc.false_alarms) == \
        (pc.matches, pc.hash_hits, pc.false_alarms)
    assert [t for *_, t in pure].count(-2) >= 2 and _rebuild(pure, new, sig, basis) == new
