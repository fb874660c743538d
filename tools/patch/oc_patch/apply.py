"""Apply a one-file delta (a one-file rsync batch) to a basis, and replay whole batches
(upstream: receiver.c recv_files for the flat, non-incremental case).

Output goes to a temp file beside the destination and is renamed over it only after the
whole-file checksum matched: an interrupted or failed patch leaves no file under the final
name (upstream: receiver.c, util.c robust_rename; '.name.XXXXXX' temp names).
"""
import functools
import os
import stat
import tempfile

from oc_wire.batch_stream import (
    ITEM_TRANSFER,
    Basis,
    FileChecksum,
    FileStart,
    FlistEnd,
    PhaseDone,
    walk_batch,
)
from oc_wire.errors import ProtocolError
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import ByteReader
from oc_wire.stage import spec_for
from oc_wire.sums import SumHead

from .patcher import FilePatcher, pread_at, writer

__all__ = ["patch_stream", "replay_batch", "atomic_output", "writer", "pread_at"]


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


def _apply_file(events, patcher: FilePatcher) -> int:
    """Feed token events to patcher until the file's checksum; returns bytes written."""
    try:
        for ev in events:
            if isinstance(ev, FileChecksum):
                return patcher.finish(ev.digest)
            patcher.feed(ev)
        raise ProtocolError("the whole-file checksum (the stream ended)")
    finally:
        patcher.close()


def patch_stream(r: ByteReader, read_basis, write, basis_size: int,
                 checksum: str | None = None, progress=None) -> int:
    """Apply the first transferred file of a one-file batch; returns bytes written."""
    events = walk_batch(r, checksum, Basis(read_basis))
    header = next(events)
    for ev in events:
        if isinstance(ev, PhaseDone):
            raise ProtocolError("a file transfer in the delta stream", r.offset)
        if isinstance(ev, FileStart) and ev.iflags & ITEM_TRANSFER:
            break
    head = next(events)
    if head.count and basis_size < head.basis_size:
        raise ProtocolError(f"a basis of {head.basis_size} bytes (wrong basis file?)", None,
                            str(basis_size))
    return _apply_file(events, FilePatcher(head, spec_for(header, checksum), read_basis,
                                           write, progress))


def _inside(dest_real: str, path: str) -> str:
    """path, after checking that its directory resolves inside dest (no planted symlinks)."""
    parent = os.path.realpath(os.path.dirname(path))
    if parent != dest_real and not parent.startswith(dest_real + os.sep):
        raise ProtocolError("a path inside the destination", None, path)
    return path


def replay_batch(r: ByteReader, dest: str, checksum: str | None = None) -> list[bytes]:
    """Replay a batch into dest (directories and regular files; with or without incremental
    recursion); returns the names of the files written."""
    source = Basis()
    events = walk_batch(r, checksum, source)
    spec = spec_for(next(events), checksum)
    dest_real = os.path.realpath(dest)
    dirs, written = [], []
    for ev in events:
        if isinstance(ev, FileEntry):
            if not (ev.is_dir() or ev.is_reg()) or ev.hlinked:
                # never skip silently what we cannot recreate yet
                raise ProtocolError("directories and regular files only (symlinks, devices, "
                                    "specials and hard links are not supported yet)", r.offset,
                                    repr(ev.name))
            if ev.is_dir():
                dirs.append(ev)
        elif isinstance(ev, FlistEnd):
            for d in dirs:  # the sender lists a directory before anything inside it
                path = _inside(dest_real, os.path.join(dest_real, os.fsdecode(d.name)))
                os.makedirs(path, mode=stat.S_IMODE(d.mode) | 0o700, exist_ok=True)
            dirs = []
        if not (isinstance(ev, FileStart) and ev.iflags & ITEM_TRANSFER):
            continue
        if not stat.S_ISREG(ev.entry.mode):
            raise ProtocolError("a regular file or directory (other types are not supported "
                                "yet)", r.offset, repr(ev.entry.name))
        head: SumHead = next(events)
        target = _inside(dest_real, os.path.join(dest_real, os.fsdecode(ev.entry.name)))
        basis = os.open(target, os.O_RDONLY) if head.count else None
        source.read = functools.partial(pread_at, basis)
        try:
            with atomic_output(target, stat.S_IMODE(ev.entry.mode)) as out:
                _apply_file(events, FilePatcher(head, spec, source.read, writer(out.fileno())))
        finally:
            source.read = None
            if basis is not None:
                os.close(basis)
        written.append(ev.entry.name)
    return written
