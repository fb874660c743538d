"""The receiver role (upstream: receiver.c recv_files, receive_data; main.c do_recv).

States:
1. FLIST: the sender's file list, sorted as indexes refer to it.
2. FILES: per ndx, the item flags; a transfer brings the echoed sum head, the tokens and
   the whole-file checksum. The new file is built in a temp file beside its destination
   (the existing file is the basis when the generator sent its sums), verified, given its
   attributes and renamed into place. A failed checksum in phase 0 asks the generator to
   redo the file; later it is an error and the file is left alone. Each NDX_DONE ends a
   phase (the generator is told); after the last one the loop ends.
3. STATS from a server sender (read, written, size, and from 29 two times); from protocol
   31 the sender's goodbye NDX_DONE.
Paths from the wire were checked by the file-list decoder (no absolute or '..' names);
the receiver also refuses to write through a symlinked parent inside the destination.
"""
import os
import queue
import tempfile

from oc_patch.apply import pread_at, writer
from oc_patch.patcher import FilePatcher
from oc_wire.batch_stream import read_item, read_stats
from oc_wire.compress import token_reader
from oc_wire.errors import DataError, ProtocolError
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import int32
from oc_wire.items import ITEM_TRANSFER
from oc_wire.mux import Msg
from oc_wire.ndx import NDX_DEL_STATS, NDX_DONE, NdxCodec
from oc_wire.sums import read_sum_head
from oc_wire.token_events import Literal, Match

from .attrs import Attrs
from .conn import Conn
from .output import FileProgress, Output
from .paths import Destination

__all__ = ["Receiver", "sparse_writer"]

_BLOCK = 4096


def sparse_writer(fd: int):
    """-S: write(data) that seeks over whole zero blocks instead of writing them, so
    the file gets holes (upstream: fileio.c write_sparse); the caller sets the final
    length."""
    zero = bytes(_BLOCK)

    def write(data) -> None:
        view = memoryview(data)
        for off in range(0, len(view), _BLOCK):
            piece = view[off:off + _BLOCK]
            if len(piece) == _BLOCK and piece == zero:
                os.lseek(fd, _BLOCK, os.SEEK_CUR)
                continue
            rest = piece
            while rest:
                rest = rest[os.write(fd, rest):]
    return write


class Receiver:
    def __init__(self, conn: Conn, protocol: int, spec, compression: str, dest: Destination,
                 entries: list[FileEntry], attrs: Attrs, events: queue.Queue, out: Output):
        self.conn, self.p, self.spec, self.dest = conn, protocol, spec, dest
        self.entries, self.attrs, self.events, self.out = entries, attrs, events, out
        self.tokens = token_reader(compression, protocol)
        self.ndx = NdxCodec(protocol)
        self.stats = None
        self.partial = False
        self.remove_sources = False
        self.sparse = False

    def run(self, server_sender: bool) -> None:
        r = self.conn.reader
        phase, max_phase = 0, (2 if self.p >= 29 else 1)
        while True:
            at = r.offset
            i = self._read_ndx()
            if i == NDX_DONE:
                phase += 1
                self.events.put(("done", phase))
                if phase > max_phase:
                    break
                continue
            if not 0 <= i < len(self.entries):
                raise ProtocolError(f"a file index 0..{len(self.entries) - 1}", at, str(i))
            item = read_item(r, self.p, i, self.entries[i])
            if not item.iflags & ITEM_TRANSFER:
                continue
            self._receive(i, item.entry, item.iflags, phase)
        if server_sender:
            self.stats = read_stats(r, self.p)
        if self.p >= 31:
            at = r.offset
            if self._read_ndx() != NDX_DONE:
                raise ProtocolError("the sender's goodbye (NDX_DONE)", at)

    def report_success(self, i: int) -> None:
        """--remove-source-files: tell the sender file i is safely here (MSG_SUCCESS)."""
        if self.remove_sources and self.conn.mux_out:
            self.conn.send_msg(Msg.SUCCESS, int32(i))

    def _read_ndx(self) -> int:
        """The next ndx; deletion stats a server sender echoes are read past."""
        r = self.conn.reader
        while (i := self.ndx.decode(r)) == NDX_DEL_STATS:
            for _ in range(5):
                r.read_varint()
        return i

    def _receive(self, i: int, e: FileEntry, iflags: int, phase: int) -> None:
        head = read_sum_head(self.conn.reader, self.p)
        path = self.dest.path(e)
        basis = None
        if head.count:
            try:
                basis = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                basis = None
        d, base = os.path.split(path)
        tmp = tempfile.NamedTemporaryFile(dir=d or b".", prefix=b"." + base + b".",
                                          delete=False)
        ok = complete = False  # complete: the stream for this file was read to its end
        progress = None
        if self.out.o.progress and not self.out.o.quiet:
            self.out.item(e, iflags)  # the name comes first, then its progress
            progress = FileProgress(self.out, e.size)
        try:
            patcher = FilePatcher(head, self.spec,
                                  (lambda o, n: pread_at(basis, o, n)) if basis is not None
                                  else (lambda o, n: b""),
                                  sparse_writer(tmp.fileno()) if self.sparse
                                  else writer(tmp.fileno()), progress)
            block = (lambda k: pread_at(basis, k * head.block_len,
                                        head.remainder if k == head.count - 1 and head.remainder
                                        else head.block_len)) if basis is not None \
                else (lambda k: b"")  # no basis: no block can be matched
            try:
                try:
                    counts = self.out.stats
                    for ev in self.tokens.read_file(self.conn.reader, block, head.count):
                        patcher.feed(ev)
                        if isinstance(ev, Literal):
                            counts.literal += len(ev.data)
                        elif isinstance(ev, Match):
                            counts.matched += (head.remainder if ev.index == head.count - 1
                                               and head.remainder else head.block_len)
                except OSError as exc:  # name the file in the message, as upstream does
                    raise OSError(exc.errno, exc.strerror, path) from None
                digest = self.conn.reader.read_bytes(self.spec.digest_len)
                try:
                    complete = True
                    patcher.finish(digest)
                except DataError:
                    if phase == 0:
                        self.events.put(("redo", i))
                    else:
                        self.out.error(f"ERROR: {os.fsdecode(e.name)} failed verification -- "
                                       "update discarded.")
                    return
            finally:
                patcher.close()
            tmp.close()
            try:
                old_mode = os.lstat(path).st_mode
            except FileNotFoundError:
                old_mode = None
            if self.sparse:
                os.truncate(tmp.name, e.size)  # a trailing hole needs the length set
            self.attrs.apply(tmp.name, e, old_mode=old_mode)
            os.rename(tmp.name, path)
            ok = True
            self.out.stats.transferred(e)
            self.report_success(i)
            if progress is not None:
                progress.finish(self.out.stats.xferred_files, len(self.entries) - i - 1,
                                len(self.entries))
            else:
                self.out.item(e, iflags)
        finally:
            if basis is not None:
                os.close(basis)
            if not ok:
                tmp.close()
                if self.partial and not complete and os.path.getsize(tmp.name) > 0:
                    # --partial: an interrupted file stays, as the next run's basis
                    # (upstream: receiver.c/cleanup.c keep_partial)
                    os.rename(tmp.name, path)
                elif os.path.exists(tmp.name):
                    os.unlink(tmp.name)
