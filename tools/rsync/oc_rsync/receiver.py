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
With incremental recursion (flists.py) the sender's later lists arrive between files; each
goes to the generator as it comes, an NDX_DONE in phase 0 first retires the oldest list,
and a file's redo request comes in phase 0 too (a second failure is final). The generator
hears of every file's end ("finished", also for MSG_NO_SEND) so it knows when a list is
done.
Paths from the wire were checked by the file-list decoder (no absolute or '..' names);
the receiver also refuses to write through a symlinked parent inside the destination.
"""
import os

import oc_core
from oc_core import AT_FDCWD
from oc_core.operator_paths import UNTRUSTED_SYMLINK_TEXT, UntrustedSymlink
from oc_core.record import replace
from oc_patch.patcher import WRITEBACK_EVERY, DropBehind, FilePatcher, pread_at, writer
from oc_patch.sparse import SparseWriter
from oc_wire.batch_stream import read_item, read_stats
from oc_wire.compress import token_reader
from oc_wire.errors import DataError, ProtocolError
from oc_wire.flist_entry import FileEntry
from oc_wire.ints import int32
from oc_wire.items import FNAMECMP_PARTIAL_DIR, ITEM_IS_NEW, ITEM_TRANSFER
from oc_wire.mux import Msg
from oc_wire.ndx import NDX_DEL_STATS, NDX_DONE, NDX_FLIST_EOF, NDX_FLIST_OFFSET, NdxCodec
from oc_wire.sums import read_sum_head
from oc_wire.token_events import Literal, Match

from .attrs import Attrs
from .conn import Conn
from .flists import FileLists, ReceiverEvents
from .install import (
    install,
    install_written,
    remove_temp,
    rename_into_place,
    temp_file,
    temp_file_in,
    temp_name,
)
from .output import Output
from .paths import (
    Destination,
    drop_partial_dir,
    full_name,
    make_partial_dir,
    open_partial,
    partial_path,
)

__all__ = ["Receiver", "take_list"]


def basis_reader(basis: int | None, kept: bool):
    """The patcher's read_basis: no basis reads nothing; a big basis that dies with the
    rename (the only link of the file being replaced, unless `kept`: written in place or
    a partial file) is read through a patcher.DropBehind, anything else with plain
    preads."""
    if basis is None:
        return lambda o, n: b""
    st = os.fstat(basis)
    if kept or st.st_nlink > 1 or st.st_size < WRITEBACK_EVERY:
        return lambda o, n: pread_at(basis, o, n)
    return DropBehind(basis)


def _replaces_big(path: bytes, e: FileEntry) -> bool:
    """Whether the new file will be renamed over an existing one and is big enough for
    its data to be sent to the disk as it is written (patcher.writer's write_back)."""
    return e.size >= WRITEBACK_EVERY and os.path.lexists(path)


def take_list(i: int, at: int, lists: FileLists, read_list) -> tuple | None:
    """With incremental recursion, an ndx announcing a later file list (read here) or
    the end of the lists: the generator's event for it; None for any other ndx."""
    if i == NDX_FLIST_EOF:
        lists.eof = True
        return ("eof", None)
    if i <= NDX_FLIST_OFFSET:
        return ("flist", lists.receive(NDX_FLIST_OFFSET - i, *read_list(), at))
    return None


class Receiver:
    def __init__(self, conn: Conn, protocol: int, spec, compression: str, dest: Destination,
                 lists: FileLists, attrs: Attrs, events: ReceiverEvents, out: Output,
                 read_list=None, ndx: NdxCodec | None = None):
        self.conn, self.p, self.spec, self.dest = conn, protocol, spec, dest
        self.lists, self.attrs, self.events, self.out = lists, attrs, events, out
        self.read_list = read_list  # incremental recursion: one more list, sorted, and
        # its hard-link groups
        self.redone: set[int] = set()  # files asked for again (incremental recursion)
        self.wait_ready = lambda i: None  # --read-batch: until the generator is past i
        self.wanted: set[int] | None = None  # --read-batch: the files the generator wants
        self.generator_asks = True        # False with --read-batch
        self.dry_run = False              # -n: transfer items are only reports
        self.tokens = token_reader(compression, protocol)
        self.ndx = ndx or NdxCodec(protocol)  # (shared with a read before this one)
        self.stats = None
        self.partial = False
        self.remove_sources = False
        self.sparse = False
        self.preallocate = False       # --preallocate: every file's blocks reserved first
        self.inplace = False           # --inplace (and --append)
        self.append = 0                # 1 --append, 2 --append-verify
        self.partial_dir: bytes | None = None
        self.delay_updates = False     # new files wait in the partial dir until phase 1 ends
        self.delayed: list[tuple[int, FileEntry, bytes, bytes]] = []  # (ndx, entry, where
        # it waits, its name)
        self.inplace_partial = False   # compat flag I: the partial-dir file is updated in place
        self.temp_dir: bytes | None = None  # --temp-dir, as this process reaches it
        self.insecure = False          # --insecure-links: any symlink on the way to it
        self.discard = False           # --only-write-batch: read the data, write nothing
        self.no_data = False           # a server under --only-write-batch: the client's
        # sender writes the data to its batch, none comes here (upstream: receiver.c)

    def run(self, server_sender: bool) -> None:
        r = self.conn.reader
        phase, max_phase = 0, (2 if self.p >= 29 else 1)
        while True:
            at = r.offset
            i = self._read_ndx()
            if i == NDX_DONE:
                if phase == 0 and self.lists.inc and self.lists.retire() and self.lists.live:
                    continue
                self.out.phase_done(self.lists.count)
                phase += 1
                if phase == 2 and self.delay_updates:
                    self._finish_delayed()
                self.events.put(("done", phase))
                if phase > max_phase:
                    break
                continue
            item = read_item(r, self.p, i, self.lists.entry(i, at))
            if not item.iflags & ITEM_TRANSFER or self.dry_run or self.no_data:  # a report
                self.wait_ready(i)  # (a batch's: after what the generator says before it)
                self.out.item(item.entry, item.iflags, hlink=item.xname or None)  # (upstream:
                if self.no_data and item.iflags & ITEM_TRANSFER:               # maybe_log_item)
                    self.finished(i)
                continue
            if not item.entry.is_reg() or i < self.lists.segment(i).start:
                raise ProtocolError("a transfer request for a regular file", at, str(i))
            self.wait_ready(i)
            if self.wanted is not None and phase == 0 and i not in self.wanted:
                self._skip_batched(item.entry, item.iflags)
                continue
            self._receive(i, item.entry, item.iflags, phase, item.basis_type)
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

    def finished(self, i: int) -> None:
        """File i is done with, for better or worse (the generator counts them, unless
        a batch, not the generator, said which files come)."""
        if self.lists.inc and self.generator_asks:
            self.events.end(i)

    def _read_ndx(self) -> int:
        """The next ndx; deletion stats a server sender echoes are read past, and so
        are (with incremental recursion) the later file lists, handed to the generator."""
        r = self.conn.reader
        while True:
            at = r.offset
            i = self.ndx.decode(r)
            if i == NDX_DEL_STATS:
                for _ in range(5):
                    r.read_varint()
            elif self.lists.inc and not self.lists.eof and \
                    (event := take_list(i, at, self.lists, self.read_list)):
                self.events.put(event)
            else:
                return i

    def _basis_path(self, path: bytes, btype) -> tuple[bytes, bool]:
        """The basis and whether it is the --partial-dir file: the generator names it
        from protocol 29, before that a partial file is used when there is one."""
        if not self.partial_dir:
            return path, False
        partial = partial_path(path, self.partial_dir)
        if self.p >= 29:
            use = btype == FNAMECMP_PARTIAL_DIR
        else:
            use = os.path.isfile(partial) and not os.path.islink(partial)
        return (partial, True) if use else (path, False)

    def _receive(self, i: int, e: FileEntry, iflags: int, phase: int, btype) -> None:
        head = read_sum_head(self.conn.reader, self.p)
        path = self.dest.path(e)
        basis_path, from_partial = self._basis_path(path, btype)
        append = self.append if phase == 0 and i not in self.redone else 0
        basis = None
        if head.count:
            try:
                basis = open_partial(basis_path, self.partial_dir, self.insecure) \
                    if from_partial else os.open(basis_path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                basis = None
        if self.discard:  # --only-write-batch: the data goes to the batch, not here
            try:
                self._discard(head, basis, append)
            finally:
                if basis is not None:
                    os.close(basis)
            self.out.item(e, iflags)
            self.finished(i)
            return
        # the partial-dir file is updated in place when both sides support it
        one_inplace = from_partial and basis is not None and self.inplace_partial
        in_place = self.inplace or one_inplace
        try:
            fd, tmp_name, tmp_dir, dst_dir = self._open_output(
                basis_path if one_inplace else path, in_place)
        except OSError as exc:  # (upstream: the file's data is read past, the rest goes on)
            self._output_failed(exc, in_place)
            try:
                self._discard(head, basis, append)
            finally:
                if basis is not None:
                    os.close(basis)
            self.finished(i)
            return
        ok = complete = False  # complete: the stream for this file was read to its end
        progress = self.out.file_progress(e, iflags)
        read_before = self.conn.bytes_read
        have = 0
        if append:  # the length the generator said the receiver has
            have = head.basis_size
            os.lseek(fd, have, os.SEEK_SET)
        read_basis = patcher = None
        reserved = self._reserve(fd, e.size, in_place)  # (trimmed to the data below)
        try:
            read_basis = basis_reader(basis, kept=in_place or from_partial)
            sparse = SparseWriter(fd, reserved, in_place) if self.sparse else None
            patcher = FilePatcher(head, self.spec, read_basis,
                                  sparse or writer(fd, not in_place and _replaces_big(path, e)),
                                  progress,
                                  skip=(sparse.skip if sparse else
                                        lambda data: os.lseek(fd, len(data), os.SEEK_CUR))
                                  if in_place else None, start=have)
            block = (lambda k: pread_at(basis, k * head.block_len,
                                        head.remainder if k == head.count - 1 and head.remainder
                                        else head.block_len)) if basis is not None \
                else (lambda k: b"")  # no basis: no block can be matched
            try:
                if append == 2 and basis is not None:
                    for off in range(0, have, 1 << 20):
                        patcher.account(pread_at(basis, off, min(1 << 20, have - off)))
                try:
                    for ev in self.tokens.read_file(self.conn.reader, block,
                                                    0 if append else head.count):
                        patcher.feed(ev)
                        self._count(ev, head)
                except OSError as exc:  # name the file in the message, as upstream does
                    raise OSError(exc.errno, exc.strerror, path) from None
                digest = self.conn.reader.read_bytes(self.spec.digest_len)
                complete = True
                if in_place or self.sparse or reserved:  # new data may be shorter than
                    patcher.flush()                          # the old, or than reserved
                    if sparse:
                        sparse.end()
                    os.ftruncate(fd, patcher.done)
                try:
                    patcher.finish(digest)
                except DataError:
                    again = phase == 0 and i not in self.redone
                    self._failed(e, path, tmp_name, again, in_place, one_inplace)
                    if again:
                        self.redone.add(i)
                        self.events.put(("redo", i))
                    else:
                        self.finished(i)
                    return
            finally:
                patcher.close()
            written, fd = fd, None
            held = None
            if self.delay_updates:  # (its partial dir is set; --inplace refuses it)
                held = self._hold(e, path, tmp_name, written, tmp_dir, one_inplace)
                if held is None:  # (said why; the new file is gone)
                    self.finished(i)
                    return
            elif in_place:
                os.close(written)
                self._install(e, path, tmp_name, not one_inplace)
            else:
                install_written(self.attrs, e, path, tmp_name, written, dst_dir, tmp_dir)
            if from_partial and held is None:
                if not one_inplace and os.path.lexists(basis_path):
                    os.unlink(basis_path)
                drop_partial_dir(basis_path, self.partial_dir)
            ok = True
            self.out.stats.transferred(e)
            if held is None:
                self.report_success(i)
            else:
                self.delayed.append((i, e, held, path))
            self.finished(i)
            if progress is not None:
                lists = self.lists
                progress.finish(self.out.stats.xferred_files,
                                lists.count - lists.position(i) - 1, lists.count,
                                "to" if lists.eof else "ir")
            else:
                self.out.item(e, iflags, nbytes=self.conn.bytes_read - read_before,
                              digest=digest)
        finally:
            if isinstance(read_basis, DropBehind):
                read_basis.close()
            if basis is not None:
                os.close(basis)
            if fd is not None:
                if reserved and not in_place:  # (a partial file may be kept: its blocks
                    os.ftruncate(fd, patcher.done if patcher is not None else 0)  # and
                os.close(fd)                                  # length are the data's alone)
            if not ok and not in_place and os.path.exists(tmp_name):
                if self.partial and not complete and os.path.getsize(tmp_name) > 0:
                    self._keep_partial(e, path, tmp_name)  # an interrupted file
                elif not complete or not self.partial:
                    remove_temp(tmp_name, tmp_dir)
            if self.temp_dir and not in_place:
                os.close(tmp_dir)

    def _reserve(self, fd: int, size: int, in_place: bool) -> bool:
        """Blocks reserved for the file's new data before it is written
        (oc_core.preallocate): with --preallocate for any file (in place, one that
        grows), else for a new file of WRITEBACK_EVERY bytes or more, not sparse, whose
        writes then skip ext4's per-page delayed allocation. The file keeps its size,
        except with -S, where it is made its whole length as upstream makes it (and the
        sparse writer punches the holes back out, all but a trailing one: upstream's
        fileio.c write_sparse). True when reserved: the caller truncates the file to the
        data's length, which gives back what the data did not fill."""
        if size <= 0 or (self.sparse and not self.preallocate):
            return False
        if self.preallocate:
            if in_place and os.fstat(fd).st_size >= size:
                return False
        elif in_place or size < WRITEBACK_EVERY:
            return False
        return oc_core.preallocate(fd, size, keep_size=not self.sparse) == 0

    def _hold(self, e: FileEntry, path: bytes, tmp_name: bytes, fd: int, tmp_dir: int,
              there: bool) -> bytes | None:
        """--delay-updates: the new file, given its attributes, goes into the partial dir
        (fd closed; there: it was written in place as the partial file, compat flag I);
        where it waits, or None when the partial dir cannot be made (the file is
        dropped, as upstream: receiver.c recv_files with delay_updates)."""
        held = partial_path(path, self.partial_dir)
        if there:
            os.close(fd)
            install(self.attrs, e, held, held, True)
            return held
        if not make_partial_dir(held, self.partial_dir, self.insecure, self.out.warning):
            os.close(fd)
            remove_temp(tmp_name, tmp_dir)
            self.out.warning(f"Unable to create partial-dir for {os.fsdecode(e.name)} -- "
                             "discarding completed file.")  # (upstream: FERROR, which
            return None                                   # alone changes no exit code)
        install_written(self.attrs, e, held, tmp_name, fd, AT_FDCWD, tmp_dir)
        return held

    def _finish_delayed(self) -> None:
        """--delay-updates, as phase 1 ends: every file held back is renamed into place,
        in list order, and its partial dir removed once empty (upstream: receiver.c
        handle_delayed_updates)."""
        for i, e, held, path in sorted(self.delayed, key=lambda d: d[0]):
            try:
                os.rename(held, path)
            except OSError as exc:
                self.out.error(f'rename failed for "{full_name(path)}" (from '
                               f"{os.fsdecode(partial_path(e.name, self.partial_dir))}): "
                               f"{exc.strerror} ({exc.errno})")
                continue
            self.report_success(i)
            drop_partial_dir(held, self.partial_dir)
        self.delayed.clear()

    def _open_output(self, target: bytes, in_place: bool) -> tuple[int, bytes, int, int]:
        """Where the new data goes: target itself in place, else a temp file in the
        --temp-dir or beside target, made in the directory the destination holds
        (Destination.dir_fd); (descriptor, name, the directory descriptor its last name
        is taken in, AT_FDCWD when the name is a path, and target's held directory, the
        rename's; AT_FDCWD in place, where nothing is renamed)."""
        if in_place:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            return fd, target, AT_FDCWD, AT_FDCWD
        d, base = os.path.split(target)
        try:
            held = self.dest.dir_fd(target)
        except OSError as e:  # (a parent swapped for a symlink: no temp file is made)
            raise OSError(e.errno, e.strerror, temp_name(d, base, tail=b"XXXXXX")) from None
        if self.temp_dir:  # (its descriptor is this file's: closed by the caller)
            return *temp_file_in(self.temp_dir, base, self.insecure), held
        return *temp_file(d or b".", base, held), held, held

    def _output_failed(self, exc: OSError, in_place: bool) -> None:
        """upstream's words for a file that could not be opened or made (receiver.c
        recv_files, open_tmpfile): counted for exit code 23."""
        if isinstance(exc, UntrustedSymlink):
            self.out.warning(UNTRUSTED_SYMLINK_TEXT)
        what = "open" if in_place else "mkstemp"
        self.out.error(f'{what} "{full_name(os.fsencode(exc.filename))}" failed: '
                       f"{os.strerror(exc.errno)} ({exc.errno})")

    def _skip_batched(self, e: FileEntry, iflags: int) -> None:
        """--read-batch: the batch updates a file the generator found up to date: its
        data is read past (counted as transferred, and as created when it was new to
        the batch's receiver), the file left as it is (upstream: receiver.c,
        gen_wants_ndx)."""
        self.out.stats.transferred(e)
        if iflags & ITEM_IS_NEW:
            self.out.stats.created_one(e.mode)
        self.out.info(f'(Skipping batched update for "{os.fsdecode(e.name)}")')
        head = read_sum_head(self.conn.reader, self.p)
        basis = None
        if head.count:  # its blocks stand here: a codec's history is fed from them
            try:
                basis = os.open(self.dest.path(e), os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                pass
        try:
            self._discard(head, basis, 0)
        finally:
            if basis is not None:
                os.close(basis)

    def _discard(self, head, basis, append: int) -> None:
        """Read one file's tokens and checksum and keep nothing (upstream: receiver.c
        discard_receive_data); matched blocks still feed a codec's history."""
        def block(k: int) -> bytes:
            if basis is None:
                return b""
            return pread_at(basis, k * head.block_len, head.remainder
                            if k == head.count - 1 and head.remainder else head.block_len)
        for ev in self.tokens.read_file(self.conn.reader, block, 0 if append else head.count):
            self._count(ev, head)
        self.conn.reader.read_bytes(self.spec.digest_len)

    def _count(self, ev, head) -> None:
        """--stats: literal and matched bytes (upstream: receiver.c receive_data)."""
        if isinstance(ev, Literal):
            self.out.stats.literal += len(ev.data)
        elif isinstance(ev, Match):
            self.out.stats.matched += head.blocks_len(ev.index, ev.count)

    def _install(self, e: FileEntry, path: bytes, tmp_name: bytes, same: bool) -> None:
        install(self.attrs, e, path, tmp_name, same)

    def _failed(self, e: FileEntry, path: bytes, tmp_name: bytes, again: bool,
                in_place: bool, one_inplace: bool) -> None:
        """A whole-file checksum that did not match (upstream: recv_files, recv_ok 0):
        an in-place file stays as it is, --partial keeps the file (in --partial-dir),
        else it is dropped; the first time the file is asked for again."""
        kept = ("retained" if in_place else "put into partial-dir" if self.partial_dir
                else "retained" if self.partial else "discarded")
        if again:
            if self.out.o.verbose or self.out.o.itemize:
                self.out.warning(f"WARNING: {os.fsdecode(e.name)} failed verification -- "
                                 f"update {kept} (will try again).")
        else:
            self.out.error_text(f"ERROR: {os.fsdecode(e.name)} failed verification -- "
                           f"update {kept}.")
        if in_place and not one_inplace:
            self._install(e, path, tmp_name, True)
        elif self.partial and not in_place:
            self._keep_partial(e, path, tmp_name)

    def _keep_partial(self, e: FileEntry, path: bytes, tmp_name: bytes) -> None:
        """--partial: what arrived stays, as the next run's basis: in --partial-dir, or
        under the final name dated 1970 so that -u never mistakes it for finished
        (upstream: cleanup.c with keep_partial, receiver.c)."""
        if self.partial_dir:
            target = partial_path(path, self.partial_dir)
            if not make_partial_dir(target, self.partial_dir, self.insecure,
                                    self.out.warning):
                os.unlink(tmp_name)
                return
            rename_into_place(tmp_name, target)
            return
        self._install(replace(e, mtime=0, mtime_nsec=0), path, tmp_name, False)
