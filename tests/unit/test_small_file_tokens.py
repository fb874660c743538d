"""file_tokens' small-file path (a file with no basis read at once) against the general
path through the window (taken when progress is shown): the same bytes for every size
around the 32 KiB piece boundaries, every codec and checksum, and a file that shrank."""
import errno
import os

import pytest
from oc_core import CHUNK_SIZE, SigTable
from oc_delta.deltafile import file_tokens
from oc_wire.checksums import checksum_spec
from oc_wire.compress import token_encoder


class _Progress:
    def __init__(self):
        self.seen = []

    def update(self, done):
        self.seen.append(done)


NO_BASIS = SigTable(0, 0, 16, [], b"")


def _tokens(path, size, spec, codec, progress=None):
    failed = []
    fd = os.open(path, os.O_RDONLY)
    try:
        out = b"".join(file_tokens(NO_BASIS, spec, fd, size, token_encoder(codec, 31),
                                   progress, read_failed=failed.append))
    finally:
        os.close(fd)
    return out, failed


@pytest.mark.parametrize("codec", ["none", "zlib", "zstd", "lz4"])
@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1,
                                  3 * CHUNK_SIZE, 1 << 20])
def test_small_file_path_sends_what_the_window_sends(tmp_path, size, codec):
    path = tmp_path / "f"
    path.write_bytes(os.urandom(size // 2) + bytes(size - size // 2))
    for spec in (checksum_spec(32, 0, 0, "xxh128"), checksum_spec(29, 0, 12345)):
        fast, failed = _tokens(path, size, spec, codec)
        general, failed_too = _tokens(path, size, spec, codec, _Progress())
        assert fast == general and failed == failed_too == []
        assert fast.endswith(bytes.fromhex(_sum_hex(path, spec)))


def _sum_hex(path, spec):
    import oc_core
    s = oc_core.FileSum(spec.algo, spec.file_prefix)
    s.update(path.read_bytes())
    return s.digest().hex()


def test_a_file_that_shrank_is_sent_padded_and_its_checksum_refused(tmp_path):
    """Listed at 50,000 bytes, 20,000 left: zeros after them and a checksum the receiver
    refuses, ENODATA told, on both paths."""
    path = tmp_path / "f"
    path.write_bytes(os.urandom(20_000))
    spec = checksum_spec(32, 0, 0, "md5")
    fast, failed = _tokens(path, 50_000, spec, "none")
    general, failed_too = _tokens(path, 50_000, spec, "none", _Progress())
    assert fast == general and failed == failed_too == [errno.ENODATA]
    assert fast[-16:] != bytes.fromhex(_sum_hex(path, spec))
