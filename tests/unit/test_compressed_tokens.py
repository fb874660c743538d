"""Every token codec (none, zlib, zlibx, zstd, lz4) decodes what it encodes, for any
sequence of send_token calls, across several files of one session."""
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oc_wire.compress import COMPRESSIONS, token_encoder, token_reader
from oc_wire.compress.framing import MAX_DATA_COUNT
from oc_wire.ints import ByteReader
from oc_wire.token_events import End, Literal, Match

BLOCK = 700


def _block(i: int) -> bytes:
    return random.Random(i).randbytes(BLOCK)


calls = st.lists(st.tuples(st.sampled_from([-2, 0, 1, 2, 3, 5, 64, 200, 70000]),
                           st.integers(0, 70_000), st.booleans()), max_size=12)


def _literal(rng: random.Random, n: int, text: bool) -> bytes:
    if text:
        return (b"abc%d " % rng.randrange(50) * (n // 5 + 1))[:n]
    return rng.randbytes(n)


def _encode(name: str, files):
    enc = token_encoder(name, 31)
    stream, expected = bytearray(), []
    for seq in files:
        lit, toks = bytearray(), []
        for token, literal in seq:
            stream += enc.token(token, literal, _block(token) if token >= 0 else None)
            lit += literal
            if token >= 0:
                toks.append((bytes(lit), token))
                lit = bytearray()
        toks.append((bytes(lit), None))
        expected.append(toks)
    return bytes(stream), expected


def _decode(name: str, stream: bytes, nfiles: int):
    r = ByteReader(stream)
    reader = token_reader(name, 31)
    got = []
    for _ in range(nfiles):
        lit, toks = bytearray(), []
        for ev in reader.read_file(r, _block, 1 << 20):
            if isinstance(ev, Literal):
                lit += ev.data
            elif isinstance(ev, Match):
                toks.append((bytes(lit), ev.index))
                lit = bytearray()
            else:
                assert isinstance(ev, End)
                toks.append((bytes(lit), None))
        got.append(toks)
    assert r.remaining() == 0
    return got


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(st.sampled_from(COMPRESSIONS), st.lists(calls, min_size=1, max_size=3),
       st.randoms(use_true_random=False))
def test_every_codec_round_trips(name, files, rng):
    seqs = [[(t, _literal(rng, n, text)) for t, n, text in f] + [(-1, b"tail")] for f in files]
    stream, expected = _encode(name, seqs)
    assert _decode(name, stream, len(seqs)) == expected


@pytest.mark.parametrize("name", ["zstd", "lz4", "zlib", "zlibx"])
def test_data_items_never_exceed_16383_bytes(name):
    enc = token_encoder(name, 32)
    stream = enc.token(-1, random.Random(1).randbytes(300_000))
    r = ByteReader(stream)
    while (flag := r.read_byte()) != 0:
        assert flag & 0xC0 == 0x40
        n = (flag & 0x3F) << 8 | r.read_byte()
        assert n <= MAX_DATA_COUNT
        r.read_bytes(n)


def test_lz4_flush_with_no_data_sends_an_empty_block():
    """upstream: a pending -2 flush followed by a match compresses zero bytes (the
    match itself is written with the next call, when its run is known)."""
    enc = token_encoder("lz4", 32)
    enc.token(-2, b"x" * 10)
    assert enc.token(0, b"", b"B" * BLOCK) == b"\x40\x01\x00"  # the match goes out later
