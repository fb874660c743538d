"""Apply a one-file delta (a one-file rsync batch) to a basis, and replay whole batches
(upstream: receiver.c recv_files for the flat, non-incremental case).

Output goes to a temp file beside the destination and is renamed over it only after the
whole-file checksum matched: an interrupted or failed patch leaves no file under the final
name (upstream: receiver.c + util.c robust_rename, the '.name.XXXXXX' temp names).
"""
import functools
import os
import stat
import tempfile

from oc_wire.errors import ProtocolError
from oc_wire.flist_codec import FlistDecoder, FlistOptions
from oc_wire.ints import ByteReader
from oc_wire.ndx import NDX_DONE, NdxCodec
from oc_wire.stage import read_header, spec_for
from oc_wire.sums import read_sum_head

from .patcher import patch_tokens

__all__ = ["patch_stream", "replay_batch", "atomic_output", "writer", "pread_at"]

ITEM_BASIS_TYPE_FOLLOWS = 1 << 11
ITEM_XNAME_FOLLOWS = 1 << 12
ITEM_TRANSFER = 1 << 15


def writer(fd: int):
    """write(data) straight to fd (no userspace buffer), retrying short writes."""
    def write(data) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    return write


class atomic_output:
    """Context manager: a temp file in path's directory, renamed to path on success."""

    def __init__(self, path: str, mode: int = 0o600):
        self.path, self.mode = path, mode

    def __enter__(self):
        d, base = os.path.split(os.path.abspath(self.path))
        self.f = tempfile.NamedTemporaryFile(dir=d, prefix=f".{base}.", delete=False)
        return self.f

    def __exit__(self, exc_type, exc, tb):
        self.f.close()
        if exc_type is None:
            os.chmod(self.f.name, self.mode)
            os.rename(self.f.name, self.path)
        else:
            os.unlink(self.f.name)
        return False


def _read_file_header(r: ByteReader, protocol: int, ndx: NdxCodec, count: int):
    """ndx, item flags (protocol >= 29) and their extras, as read_ndx_and_attrs does."""
    at = r.offset
    i = ndx.decode(r)
    if i == NDX_DONE:
        return None
    if not 0 <= i < count:
        raise ProtocolError(f"a file index 0..{count - 1}", at, str(i))
    iflags = r.read_shortint() if protocol >= 29 else ITEM_TRANSFER
    if iflags & ITEM_BASIS_TYPE_FOLLOWS:
        r.read_byte()
    if iflags & ITEM_XNAME_FOLLOWS:
        r.read_vstring(4096)
    return i, iflags


def _open_batch(r: ByteReader):
    header = read_header(r)
    flags = header.stream_flags
    opts = FlistOptions(header.protocol, header.compat_flags, preserve_uid=bool(flags & 2),
                        preserve_gid=bool(flags & 4), preserve_links=bool(flags & 8),
                        preserve_devices=bool(flags & 16), preserve_specials=bool(flags & 16),
                        always_checksum=bool(flags & 64),
                        checksum_len=16)
    if header.flag("recurse") and header.protocol >= 30 and header.compat_flags & 1:
        raise ProtocolError("a batch without incremental recursion (not supported yet)", 0)
    if flags & (1 << 8):
        raise ProtocolError("a batch without compressed tokens (not supported yet)", 0)
    entries = FlistDecoder(opts).read_list(r)
    return header, entries


def patch_stream(r: ByteReader, read_basis, write, basis_size: int,
                 checksum: str | None = None, progress=None) -> int:
    """Apply the first transferred file of a one-file batch; returns bytes written."""
    header, entries = _open_batch(r)
    spec = spec_for(header, checksum)
    got = _read_file_header(r, header.protocol, NdxCodec(header.protocol), len(entries))
    if got is None or not got[1] & ITEM_TRANSFER:
        raise ProtocolError("a file transfer in the delta stream", r.offset)
    head = read_sum_head(r, header.protocol)
    if head.count and basis_size < head.basis_size:
        raise ProtocolError(f"a basis of {head.basis_size} bytes (wrong basis file?)", None,
                            str(basis_size))
    return patch_tokens(r, head, spec, read_basis, write, progress)


def pread_at(fd: int, offset: int, length: int) -> bytes:
    """read_basis for a file descriptor: `length` bytes at `offset`."""
    return os.pread(fd, length, offset)


def replay_batch(r: ByteReader, dest: str, checksum: str | None = None) -> list[bytes]:
    """Replay a flat batch into dest (regular files only); returns the names written."""
    header, entries = _open_batch(r)
    spec = spec_for(header, checksum)
    ndx = NdxCodec(header.protocol)
    phases = 2 if header.protocol < 29 else 3
    written = []
    while phases:
        got = _read_file_header(r, header.protocol, ndx, len(entries))
        if got is None:
            phases -= 1
            continue
        i, iflags = got
        if not iflags & ITEM_TRANSFER:
            continue
        entry = entries[i]
        if not stat.S_ISREG(entry.mode):
            raise ProtocolError("a regular file to transfer", r.offset, repr(entry.name))
        head = read_sum_head(r, header.protocol)
        target = os.path.join(dest, os.fsdecode(entry.name))
        basis = os.open(target, os.O_RDONLY) if head.count else None
        try:
            with atomic_output(target, stat.S_IMODE(entry.mode)) as out:
                patch_tokens(r, head, spec, functools.partial(pread_at, basis), out.write)
        finally:
            if basis is not None:
                os.close(basis)
        written.append(entry.name)
    return written
