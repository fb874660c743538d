"""rsync's deflate token stream (-z, old-style zlib) against upstream 3.5.0's batches:
our decoder rebuilds the file from upstream's compressed tokens, and our encoder, fed the
matcher's records, writes upstream's compressed bytes exactly."""
import os
import random
import shutil
import subprocess

import oc_core
import pytest
from oc_core import SigTable
from oc_wire.batch_stream import flist_options
from oc_wire.compress.zlib_tokens import ZlibTokenDecoder, ZlibTokenEncoder
from oc_wire.flist_decode import FlistDecoder
from oc_wire.ints import ByteReader
from oc_wire.ndx import NdxCodec
from oc_wire.stage import read_header, spec_for
from oc_wire.sums import read_sum_head
from oc_wire.token_events import End, Literal, Match


def _basis_and_new(rng: random.Random, compressible: bool):
    if compressible:
        words = [rng.randbytes(5).hex().encode() for _ in range(300)]
        basis = b" ".join(rng.choice(words) for _ in range(60_000))
    else:
        basis = rng.randbytes(250_000)
    new = bytearray(basis)
    for _ in range(5):
        p = rng.randrange(len(new))
        new[p:p + rng.randrange(1, 400)] = rng.randbytes(rng.randrange(0, 3000))
    new[1000:1000] = basis[-20_000:]  # a long run of blocks from elsewhere
    return basis, bytes(new) + rng.randbytes(70_000)  # forces -2 literal flushes


@pytest.mark.parametrize("compressible", [True, False], ids=["text", "random"])
@pytest.mark.parametrize("protocol", [28, 29, 30, 31, 32])
def test_zlib_tokens_match_upstream(upstream_rsync, tmp_path, protocol, compressible):
    rng = random.Random(protocol * 2 + compressible)
    basis, new = _basis_and_new(rng, compressible)
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "f").write_bytes(basis)
    os.utime(tmp_path / "dst" / "f", (1, 1))
    (tmp_path / "f").write_bytes(new)
    shutil.copy(tmp_path / "dst" / "f", tmp_path / "basis")
    subprocess.run([upstream_rsync, "-z", "--no-whole-file", "--checksum-seed=77",
                    f"--protocol={protocol}", f"--write-batch={tmp_path / 'b'}", "f", "dst/"],
                   cwd=tmp_path, check=True)
    data = (tmp_path / "b").read_bytes()
    r = ByteReader(data)
    h = read_header(r)
    FlistDecoder(flist_options(h)).read_list(r)
    NdxCodec(h.protocol).decode(r)
    if h.protocol >= 29:
        r.read_shortint()
    head = read_sum_head(r, h.protocol)
    start = r.pos

    def block(i):
        return basis[i * head.block_len:(i + 1) * head.block_len]

    # 1. decode upstream's compressed tokens against the basis
    out = bytearray()
    for ev in ZlibTokenDecoder(h.protocol).read_file(r, block):
        if isinstance(ev, Literal):
            out += ev.data
        elif isinstance(ev, Match):
            out += block(ev.index)
        else:
            assert isinstance(ev, End)
    assert bytes(out) == new
    upstream_tokens = data[start:r.pos]

    # 2. encode the matcher's records and compare bytes
    spec = spec_for(h, None)
    sig = SigTable(head.block_len, head.remainder, head.s2len,
                   tuple(oc_core.block_sums(basis, head.block_len)),
                   oc_core.block_strong_sums(spec.algo, basis, head.block_len, spec.seed,
                                             spec.seed_mode, head.s2len))
    enc = ZlibTokenEncoder(h.protocol)
    ours = bytearray()
    for off, n, token in oc_core.match(sig, new, spec.algo, spec.seed, spec.seed_mode):
        blk = new[off + n:off + n + sig.length_of(token)] if token >= 0 else None
        ours += enc.token(token, new[off:off + n], blk)
    assert bytes(ours) == upstream_tokens
