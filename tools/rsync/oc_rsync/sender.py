"""The sender role (upstream: flist.c send_file_list, sender.c send_files, match.c,
main.c handle_stats and read_final_goodbye).

States, in order:
1. FLIST: the file list goes out in scan order, ended by its io-error marker; indexes
   then refer to the list sorted as the receiver sorts it (flist_order).
2. FILES: read an ndx from the generator. NDX_DONE ends a phase: echo it until the last
   phase (1 below protocol 29, else 2), which ends the loop. Otherwise read the item
   flags; an item without ITEM_TRANSFER is echoed; a transfer brings a sum head and block
   sums, answered by the ndx and flags, the sum head, the tokens against those sums and
   the whole-file checksum. A file that cannot be opened gets MSG_NO_SEND (protocol
   >= 30) and an error message instead. --inplace (or a --partial-dir basis, which the
   receiver also updates in place) restricts the matcher to blocks the receiver has not
   overwritten yet; --append in phase 0 gets a sum head without sums and sends only what
   follows the receiver's length (a redo is a plain in-place delta).
3. END: NDX_DONE; a server sender then writes the stats (read, written, total size and
   from 29 two file-list times).
4. GOODBYE (protocol >= 24): read NDX_DONE; from 31 echo it and read one more.
With incremental recursion (upstream: flist.c send_extra_file_list, sender.c) the first
list is the top level only; each directory's contents follow as a list of its own
(NDX_FLIST_OFFSET - its index among the directories sent, the entries, the end marker),
depth first, then NDX_FLIST_EOF. Lists go out before each ndx is read while fewer than
LOOKAHEAD entries wait beyond the oldest live list, and while no input is waiting; in
phase 0 an NDX_DONE retires the oldest list and is echoed, the last one ends the phase.
"""
import errno
import os
import time
from functools import partial

from oc_core import FileSum, MatchCounts, SigTable
from oc_core.record import record
from oc_delta import file_tokens
from oc_wire.batch_stream import read_item
from oc_wire.compress import token_encoder
from oc_wire.errors import ProtocolError
from oc_wire.flist_codec import FlistEncoder, FlistOptions, mark_hard_links
from oc_wire.flist_entry import FileEntry
from oc_wire.flist_order import sorted_list
from oc_wire.ints import byte, int32, longint, shortint, varint, varlong, vstring
from oc_wire.items import (
    FNAMECMP_FNAME,
    FNAMECMP_PARTIAL_DIR,
    ITEM_BASIS_TYPE_FOLLOWS,
    ITEM_IS_NEW,
    ITEM_TRANSFER,
    ITEM_XNAME_FOLLOWS,
)
from oc_wire.mux import Msg
from oc_wire.ndx import NDX_DEL_STATS, NDX_DONE, NDX_FLIST_EOF, NDX_FLIST_OFFSET, NdxCodec
from oc_wire.negotiate import CF, Negotiated
from oc_wire.sums import encode_sum_head, read_blocks, read_sum_head

from .conn import Conn
from .flists import segment_for
from .sources import open_failed, read_failed

__all__ = ["SendItem", "Sender", "open_listed"]


LOOKAHEAD, MAX_LOOKAHEAD = 1000, 10000  # upstream MIN_/MAX_FILECNT_LOOKAHEAD


@record(frozen=True, slots=True)
class SendItem:
    entry: FileEntry
    path: bytes  # where the file is on this machine


@record(eq=False, slots=True)
class _Live:
    """A list sent and not retired (flists.segment_for finds an ndx in them)."""
    start: int
    entries: list[SendItem]
    parent: SendItem | None
    num: int  # upstream flist_num: 1 for the first list with incremental recursion


class Sender:
    def __init__(self, conn: Conn, neg: Negotiated, flist: FlistOptions, am_server: bool,
                 compress_level: int | None = None, log=None, follow_links: bool = False,
                 dry_run: bool = False, counts=None, inplace: bool = False,
                 append: int = 0, warn=None, report=None, progress_for=None,
                 phase_done=None, noatime: bool = False, note=None,
                 match_report: bool = False):
        self.conn, self.neg, self.flist, self.am_server = conn, neg, flist, am_server
        self.level = compress_level
        self.dry_run = dry_run  # -n: a transfer item is only echoed (no sums, no data)
        self.counts = counts    # a TransferStats to fill (the client's --stats)
        self.inplace = inplace or append > 0
        self.append = append    # 1 --append, 2 --append-verify
        # -L/-k/--copy-unsafe-links listed some links as their referents: open through them
        self.open_flags = os.O_RDONLY | (0 if follow_links else os.O_NOFOLLOW)
        if flist.preserve_atimes and noatime:  # -UU: reading leaves atimes alone
            self.open_flags |= os.O_NOATIME
        self.log = log or (lambda text: None)
        self.warn = warn or (lambda text: None)  # upstream FWARNING: no prefix
        # a client's -v/-i lines: report(entry, iflags, xname, transferred, path[, the
        # transfer's whole-file sum])
        self.report = report or (lambda e, iflags, xname, transferred, path, digest=None: None)
        # whether each file's line waits for the messages that came before it (a client
        # that shows lines; a server's sender shows none, and is spared a poll per file)
        self.in_order = report is not None or progress_for is not None
        # a client's --progress: progress_for(entry, iflags) -> display or None
        self.progress_for = progress_for or (lambda e, iflags: None)
        # --info=progress2 redraws its line at each NDX_DONE: phase_done(list length)
        self.phase_done = phase_done or (lambda total: None)
        # -vv: the matcher's totals at the end (upstream: match.c match_report), by note()
        self.note = note or (lambda text: None)
        self.delta = MatchCounts() if match_report else None
        self.spec = neg.transfer_spec()
        self.list_algo = neg.list_spec().algo  # (-c's sums)
        self.out_ndx = NdxCodec(neg.protocol)
        self.in_ndx = NdxCodec(neg.protocol)
        self.total_size = 0
        self.began = time.monotonic()  # (the caller sets it where the scan began)
        self.list_times = [0, 0]  # ms: building the first list, sending it
        self.io_error = 0
        self.listed_io_error = 0  # what the lists' ends said (the scan's): for the exit code
        self.inc = flist.inc_recurse
        self.enc = FlistEncoder(flist)
        self.live: list[_Live] = []
        self.count = 0                     # entries in every list sent
        self.retired = 0                   # entries in the lists retired
        self._next = self._num = 1 if self.inc else 0  # the next list's start and number
        self._links: dict = {}             # -H: (dev, ino) -> its first name's ndx
        self.more = None    # incremental recursion: the later lists, (dir name, pairs)
        self.list_error = lambda: 0        # a later list's new scan errors: io_error bits
        self.dirs: list[SendItem] = []
        self.dir_index: dict[bytes, int] = {}
        self.sent: set[int] = set()        # --append with incremental recursion: redone
        # where a file's sum head and delta go: the peer, or with --only-write-batch
        # the batch alone (upstream: sender.c f_xfer)
        self.xfer_write = conn.write
        # --remove-source-files: what says each removal (--info=REMOVE), and an error
        # upstream writes without a prefix (FERROR_XFER)
        self.removed_note = None
        self.xfer_error = self.log

    def _file_checksum(self, it: SendItem) -> bytes:
        """-c: the whole-file checksum in the list (upstream: checksum.c file_checksum:
        the negotiated algorithm, no seed; zeros for a file that cannot be read)."""
        s = FileSum(self.list_algo)
        try:
            with open(it.path, "rb") as f:
                while chunk := f.read(1 << 20):
                    s.update(chunk)
        except OSError:
            return bytes(self.flist.checksum_len)
        return s.digest()[:self.flist.checksum_len]

    def remove_sources_when_done(self) -> None:
        """Install removed_on_success in front of the connection's message handler."""
        remover, earlier = self.removed_on_success(), self.conn.on_message
        self.conn.on_message = lambda code, payload: (remover(code, payload)
                                                      or earlier(code, payload))

    def removed_on_success(self):
        """--remove-source-files: a message handler that deletes a source file the
        receiver reported safely there (MSG_SUCCESS), if it is still what was sent
        (upstream: sender.c successful_send), with upstream's words."""
        def handle(code: Msg, payload: bytes) -> bool:
            if code is not Msg.SUCCESS or len(payload) < 4:
                return False
            it = self._item(int.from_bytes(payload[:4], "little", signed=True), None)
            e, name = it.entry, os.fsdecode(it.entry.name)
            step = "re-lstat"
            try:
                st = os.stat(it.path, follow_symlinks=not self.open_flags & os.O_NOFOLLOW)
                if st.st_size != e.size or int(st.st_mtime) != e.mtime or (
                        e.mtime_nsec and st.st_mtime_ns % 1_000_000_000 != e.mtime_nsec):
                    self.io_error |= 1
                    self.xfer_error(f"ERROR: Skipping sender remove for changed file: {name}")
                    return True
                step = "remove"
                os.unlink(it.path)
            except FileNotFoundError:
                self.note(f"sender file already removed: {name}")
            except OSError as exc:
                self.io_error |= 1
                self.log(f"sender failed to {step} {name}: {exc.strerror} ({exc.errno})")
            else:
                if self.removed_note is not None:
                    self.removed_note(f"sender removed {name}")
            return True
        return handle

    def send_list(self, items: list[SendItem], io_error: int) -> list[SendItem]:
        """FLIST (the first list); returns the items in index order. With incremental
        recursion a "." heading it stands for the list's directory too (ndx 0)."""
        ordered = self._send_list(items, io_error, None)
        built = time.monotonic()
        if self.inc and ordered and ordered[0].entry.name == b"." and ordered[0].entry.is_dir():
            self.live[0].parent = ordered[0]
        self.conn.flush()
        self.list_times = [max(1, int((built - self.began) * 1000)),  # (upstream: at
                           int((time.monotonic() - built) * 1000)]    # least 1 ms)
        return ordered

    def _send_list(self, items: list[SendItem], io_error: int, parent) -> list[SendItem]:
        if self.flist.preserve_hard_links:
            mark_hard_links((it.entry for it in items), self._links, self._next)
        if self.flist.always_checksum:
            for it in items:
                if it.entry.is_reg():
                    it.entry.checksum = self._file_checksum(it)
        self.conn.write(self.enc.entries([it.entry for it in items]) + self.enc.end(io_error))
        self.listed_io_error |= io_error
        if io_error and not self.flist.safe_flist and self.inc:  # the end marker cannot
            self.conn.send_msg(Msg.IO_ERROR, int32(io_error))     # say so (protocol 30)
        self.total_size += sum(it.entry.size for it in items
                               if it.entry.is_reg() or it.entry.is_link())
        if self.counts is not None:
            self.counts.count_list([it.entry for it in items])
        order = sorted_list([it.entry for it in items], self.neg.protocol)
        by_entry = {id(it.entry): it for it in items}
        ordered = [by_entry[id(e)] for e in order]
        self.live.append(_Live(self._next, ordered, parent, self._num))
        self._next += len(ordered) + 1
        self._num += 1
        self.count += len(ordered)
        if self.inc:  # upstream dir_flist: every list's directories, in its order
            for it in ordered:
                if it.entry.is_dir():
                    self.dir_index[it.entry.name] = len(self.dirs)
                    self.dirs.append(it)
        return ordered

    def _send_more(self) -> None:
        """Later lists: while too few entries wait beyond the oldest live list, and while
        no input is waiting (up to MAX_LOOKAHEAD, or with only one list live, which the
        generator cannot retire before it gets another)."""
        while self.more is not None:
            waiting = self.count - self.retired - (len(self.live[0].entries) if self.live else 0)
            if waiting >= LOOKAHEAD and (self.conn.input_ready() or (
                    waiting >= MAX_LOOKAHEAD and len(self.live) > 1)):
                return
            try:
                name, pairs = next(self.more)
            except StopIteration:
                self.more = None
                self.conn.write(self.out_ndx.encode(NDX_FLIST_EOF))
                return
            d = self.dir_index[name]
            self.conn.write(self.out_ndx.encode(NDX_FLIST_OFFSET - d))
            self._send_list([SendItem(e, path) for e, path in pairs], self.list_error(),
                            self.dirs[d])
            self.conn.flush()  # (the receiver's generator can start on it now, instead
            # of when 64 KiB of lists have piled up: a no-change pull of 5,000 files in 50
            # directories took 0.44-0.54 s with the lists held back, 0.36-0.40 s so)

    def _item(self, ndx: int, at) -> SendItem:
        """The entry ndx names in a live list (the index before a list's start names
        its directory)."""
        x = segment_for(self.live, ndx, at)
        return x.parent if ndx < x.start else x.entries[ndx - x.start]

    def _write_item(self, ndx: int, iflags: int, btype, xname) -> None:
        out = self.out_ndx.encode(ndx)
        if self.neg.protocol >= 29:
            out += shortint(iflags)
        if iflags & ITEM_BASIS_TYPE_FOLLOWS:
            out += byte(btype)
        if iflags & ITEM_XNAME_FOLLOWS:
            out += vstring(xname)
        self.conn.write(out)

    def send_files(self) -> None:
        """FILES and END."""
        r, p = self.conn.reader, self.neg.protocol
        phase, max_phase = 0, (2 if p >= 29 else 1)
        tokens = token_encoder(self.neg.compression, p, self.level)
        while True:
            self._send_more()
            at = r.offset
            ndx = self._read_ndx()
            if ndx == NDX_DONE:
                if phase == 0 and self.inc and self.live:
                    self.retired += len(self.live.pop(0).entries)
                    if self.live:
                        self.conn.write(self.out_ndx.encode(NDX_DONE))
                        continue
                self.phase_done(self.count)
                phase += 1
                if phase > max_phase:
                    break
                self.conn.write(self.out_ndx.encode(NDX_DONE))
                continue
            item = self._item(ndx, at)
            it = read_item(r, p, ndx, item.entry)
            if it.iflags & ITEM_IS_NEW and self.counts is not None and (
                    phase == 0 or not it.iflags & ITEM_TRANSFER):  # (not again on a redo;
                self.counts.created_one(item.entry.mode)        # upstream: sender.c)
            if it.iflags & ITEM_TRANSFER and not item.entry.is_reg():
                raise ProtocolError("a transfer request for a regular file", at, str(ndx))
            if not it.iflags & ITEM_TRANSFER or self.dry_run:
                self.report(item.entry, it.iflags, it.xname,
                            bool(it.iflags & ITEM_TRANSFER), item.path)
                self._write_item(ndx, it.iflags, it.basis_type, it.xname)
                continue
            if phase == 2:
                raise ProtocolError("no transfer request in phase 2", at)
            head = read_sum_head(r, p)
            append = self.append if phase == 0 and ndx not in self.sent else 0
            if self.append and self.inc:  # a second request is a redo
                self.sent.add(ndx)
            if append:  # the receiver's length only (upstream: sender.c receive_sums)
                sig, have = None, head.basis_size
            else:
                sum1, strong = read_blocks(r, head)
                sig = SigTable(head.block_len, head.remainder, head.s2len, sum1, strong)
            try:
                fd = open_listed(item.path, self.open_flags, item.entry)
            except OSError as e:
                self.io_error |= open_failed(e, item.path, self.warn, self.log)
                if p >= 30:
                    self.conn.send_msg(Msg.NO_SEND, int32(ndx))
                continue
            try:
                size = os.fstat(fd).st_size
                if append and size < item.entry.size:
                    self.warn("skipped diminished file: "
                              f'"{os.fsdecode(os.path.abspath(item.path))}"')
                    if p >= 30:
                        self.conn.send_msg(Msg.NO_SEND, int32(ndx))
                    continue
                self._write_item(ndx, it.iflags, it.basis_type, it.xname)
                self.xfer_write(encode_sum_head(head))
                updating = self.inplace and (
                    it.basis_type in (None, FNAMECMP_FNAME) if p >= 29 else True) or (
                    it.basis_type == FNAMECMP_PARTIAL_DIR
                    and self.neg.compat_flags & CF.INPLACE_PARTIAL_DIR)
                progress = self.progress_for(item.entry, it.iflags)
                chunk = b""
                for chunk in file_tokens(sig, self.spec, fd, size, tokens, progress,
                                         counts=self.counts, updating=bool(updating),
                                         append_from=min(have, size) if append else None,
                                         verify_prefix=append == 2, report=self.delta,
                                         push=self.conn.flush,
                                         read_failed=partial(self._read_failed,
                                                             item.path)):
                    self.xfer_write(chunk)
                if self.counts is not None:
                    self.counts.transferred(item.entry)
                if self.in_order:
                    self.conn.take_messages()
                if progress is not None:
                    done = ndx - segment_for(self.live, ndx).num  # upstream current_file_index
                    progress.finish(self.counts.xferred_files if self.counts else 0,
                                    self.count - done - 1, self.count,
                                    "ir" if self.more is not None else "to")
                else:
                    self.report(item.entry, it.iflags, it.xname, True, item.path,
                                chunk[len(chunk) - self.spec.digest_len:])  # (it ends so)
            finally:
                os.close(fd)
        if self.io_error and p >= 30:
            self.conn.send_msg(Msg.IO_ERROR, int32(self.io_error))
        if self.delta is not None:
            d = self.delta
            self.note(f"total: matches={d.matches}  hash_hits={d.hash_hits}  "
                      f"false_alarms={d.false_alarms} data={d.data}")
        self.conn.write(self.out_ndx.encode(NDX_DONE))
        if self.am_server:
            self.conn.write(self.stats())
        self.conn.flush()

    def _read_failed(self, path: bytes, err: int) -> None:
        self.io_error |= read_failed(err, path, self.log)

    def stats(self) -> bytes:
        """The stats block (upstream: main.c handle_stats): read, written, total size and
        from protocol 29 the two file-list times."""
        p = self.neg.protocol
        values = [self.conn.counted_in, self.conn.counted_out, self.total_size]
        if p >= 29:
            values += self.list_times
        return b"".join(longint(v) if p < 30 else varlong(v, 3) for v in values)

    def _read_ndx(self) -> int:
        """The next ndx, after any deletion stats (upstream: rsync.c read_ndx_and_attrs:
        the generator's counts, which a server sender echoes)."""
        r = self.conn.reader
        while (ndx := self.in_ndx.decode(r)) == NDX_DEL_STATS:
            stats = [r.read_varint() for _ in range(5)]
            if self.counts is not None:
                self.counts.deleted = stats
            if self.am_server:
                self.conn.write(self.out_ndx.encode(NDX_DEL_STATS)
                                + b"".join(varint(v) for v in stats))
        return ndx

    def goodbye(self) -> None:
        """GOODBYE."""
        r, p = self.conn.reader, self.neg.protocol
        if p < 24:
            return
        if p < 29:
            i = r.read_int32()
        else:
            i = self._read_ndx()
            if p >= 31 and i == NDX_DONE:
                self.conn.write(self.out_ndx.encode(NDX_DONE))
                self.conn.flush()
                i = self._read_ndx()
        if i != NDX_DONE:
            raise ProtocolError("NDX_DONE at the end of the session", r.offset, str(i))


def open_listed(path: bytes, flags: int, e: FileEntry) -> int:
    """Open a listed file to send it. It must be the one listed: a directory above it
    swapped for a symlink after the scan would otherwise hand over a file from outside
    the tree (upstream opens through its confined walk instead): ELOOP."""
    fd = os.open(path, flags | os.O_CLOEXEC)
    if not e.ino:
        return fd
    st = os.fstat(fd)
    if (st.st_ino, st.st_dev) != (e.ino, e.dev):
        os.close(fd)
        raise OSError(errno.ELOOP, "not the file that was listed (a directory above it "
                                   "changed)")
    return fd
