"""Running a role once the session is set up, shared by the client and the server.

receive_files: the receiving side (upstream: main.c do_recv): read the file list, run the
generator on a thread and the receiver here, then check the generator's outcome.
Each side loads its roles' modules when it starts (the sender's, or the generator's and
the receiver's), not the other side's: one less thing before a server answers.
"""
from __future__ import annotations

import os
import threading

from oc_core.record import replace
from oc_flist.build import IncrementalBuild, ScanErrors, Selection, build_items
from oc_flist.chmod import tweak_entry
from oc_flist.filters import FilterRules
from oc_wire.errors import OcError, ProtocolError
from oc_wire.flist_codec import FlistOptions
from oc_wire.flist_decode import FlistDecoder, mark_content_dirs_pre30, strip_roots
from oc_wire.flist_entry import FileEntry
from oc_wire.flist_order import sort_key, sorted_list
from oc_wire.mux import Msg
from oc_wire.ndx import NdxCodec
from oc_wire.negotiate import CF, Negotiated

from .attrs import Attrs
from .conn import Conn
from .flists import FileLists, ReceiverEvents, duplicates
from .logformat import has_escape
from .options import Options, chmod_items, info_level, partial_dir_of, stdout_format
from .output import Output
from .paths import Destination

if False:  # (names for the annotations only: `typing` alone takes 6 ms to import)
    from .sender import Sender, SendItem

__all__ = ["flist_options", "hard_link_groups", "receive_files",
           "refused_names", "RejectedName",
           "build_first", "send_tree"]


def flist_options(o: Options, neg: Negotiated) -> FlistOptions:
    """What the file list carries; -c checksums are as long as the negotiated digest."""
    return FlistOptions(neg.protocol, neg.compat_flags, preserve_uid=o.owner,
                        preserve_gid=o.group, preserve_links=o.links,
                        preserve_devices=o.devices, preserve_specials=o.specials,
                        preserve_hard_links=o.hard_links, always_checksum=o.checksum,
                        checksum_len=neg.list_spec().digest_len,
                        numeric_ids=o.numeric_ids, preserve_atimes=bool(o.atimes))


def hard_link_groups(received: list[FileEntry], protocol: int, start: int = 0
                     ) -> dict[int, object]:
    """-H: id(entry) -> its group, for entries sharing an inode on the sender: from
    protocol 30 the index of the group's first name in receive order (the list's
    entries count from start), below it the (dev, ino) pair (upstream: hlink.c
    match_hard_links)."""
    groups = {}
    for i, e in enumerate(received, start):
        if e.hlinked:
            if protocol >= 30:
                groups[id(e)] = i if e.hlink_first is None else e.hlink_first
            else:
                groups[id(e)] = (e.dev, e.ino)
    return groups


def pruned_dirs(entries: list[FileEntry]) -> dict[int, FileEntry]:
    """-m: directories with no non-directory anywhere below them (upstream: the
    receiver's file list drops them); the transfer root always stays."""
    full: set[bytes] = set()
    for e in entries:
        if not e.is_dir():
            parts = e.name.split(b"/")[:-1]
            for k in range(1, len(parts) + 1):
                full.add(b"/".join(parts[:k]))
    return {id(e): e for e in entries
            if e.is_dir() and e.name != b"." and e.name not in full}


def build_first(sources: list[bytes], sel: Selection, rules, errors: ScanErrors,
                inc: bool, protocol: int, counted=None):
    """The sender's first list as SendItems, and with incremental recursion the
    IncrementalBuild whose lists() come after it (else None). counted(n): told before
    every 100th entry of a whole list, from the first (--info=flist2's count)."""
    from .sender import SendItem
    if inc:
        b = IncrementalBuild(sources[0], sel, rules, errors, sort_key(protocol))
        return [SendItem(e, path) for e, path in b.first()], b
    items: list[SendItem] = []
    for e, path in build_items(sources, sel, rules, errors):
        if counted is not None and not len(items) % 100:
            counted(len(items))
        items.append(SendItem(e, path))
    return items, None


def send_tree(sender: Sender, items: list[SendItem], build, report, remove_sources: bool,
              said: int = 0) -> bool:
    """FLIST and FILES for a sending side: the first list (its io_error: report()'s, or
    said, what an earlier report() returned), the later ones from build (incremental
    recursion), the files. False: a server's list was empty, and it is done (upstream:
    main.c do_server_sender ends there; its client, with nothing to ask for, waits for
    the server to exit)."""
    ordered = sender.send_list(items, said | report())
    if not ordered and sender.am_server:
        return False
    if build is not None:
        sender.more, sender.list_error = build.lists([it.entry for it in ordered]), report
    if remove_sources:
        sender.remove_sources_when_done()
    sender.send_files()
    return True


class RejectedName(OcError):
    """A name the sender should not have listed: one the client's own rules exclude
    (upstream: flist.c recv_file_entry, against a malicious sender)."""

    plain = True
    exit_code = 4  # (upstream: RERR_UNSUPPORTED)

    def __init__(self, name: bytes):
        super().__init__("ERROR: rejecting excluded file-list name: "
                         + name.decode("utf-8", "backslashreplace"))


def refused_names(rules: FilterRules):
    """What a pulling client checks every received name against: its rules as they
    apply to the sending side, unless a per-directory merge rule means only the sender
    can tell (upstream: trust_sender_filter) or there are none; None then."""
    if not rules.rules or any(r.kind == "dir-merge" for r in rules.rules):
        return None
    walker = rules.for_sender().walker(lambda path: None)

    def check(entries: list[FileEntry]) -> None:
        for e in entries:
            if e.name not in (b".", b"/.") and walker.excluded(e.name, e.is_dir()):
                raise RejectedName(e.name)
    return check


def receive_files(conn: Conn, neg: Negotiated, o: Options, dest: bytes, out: Output,
                  server_sender: bool, rules: FilterRules | None = None,
                  refuse=None) -> list[FileEntry]:
    """The whole receiving side after set-up (and the filter list); returns the list.
    rules: the receiver's view of the filter rules (what --delete must spare); refuse:
    refused_names(), given every list as it comes."""
    from oc_patch.patcher import DropBehind

    from .generator import Generator
    from .receiver import Receiver, take_list
    p = neg.protocol
    if o.only_write_batch:  # the batch gets the data; nothing here changes
        o = replace(o, dry_run=True)
    dec = FlistDecoder(flist_options(o, neg), absolute_names=o.relative)
    chmod = chmod_items(o.chmod)

    def read_list() -> tuple[list[FileEntry], dict]:
        """One list off the wire: sorted, with its hard-link groups."""
        start, first = conn.reader.offset, dec.list_start
        received = dec.read_list(conn.reader)
        if refuse is not None:
            refuse(received)
        for n in range(100, len(received) + 1, 100):  # (--info=flist2: a receiving
            out.list_count(n)                          # client's count of the list)
        if chmod:  # a receiving client changes the modes as it reads them (flist.c)
            for e in received:
                tweak_entry(e, chmod)
        if p < 30:
            mark_content_dirs_pre30(received, o.recursive, o.relative)
        if not o.read_batch:  # (upstream counts a batch's list as no bytes read)
            out.stats.flist_size += conn.reader.offset - start
        out.stats.count_list(received)
        out.sender_reported(dec.io_error)
        groups = hard_link_groups(received, p, first) if o.hard_links else {}
        ordered = sorted_list(received, p)
        if o.relative:
            strip_roots(ordered)
        return ordered, groups

    entries, groups = read_list()
    if server_sender:
        out.list_progress(None, count=len(entries))
        if not entries:  # nothing to ask for: the sending server has ended (upstream:
            return entries  # client_run skips do_recv)
    lists = FileLists(neg.inc_recurse, entries, groups)
    ndx, early = NdxCodec(p), None
    if lists.inc and len(entries) == 1:  # one entry: the next list (or the end of the
        at = conn.reader.offset           # lists) tells a 1-file transfer (upstream:
        early = take_list(ndx.decode(conn.reader), at, lists, read_list)  # main.c)
        if early is None:
            raise ProtocolError("a file list or the end of the lists", at)
    where = Destination(dest, entries, create=not (o.dry_run or o.list_only),
                        mkpath=o.mkpath, keep_dirlinks=o.keep_dirlinks,
                        insecure=o.insecure_links,
                        total=len(entries) + (len(early[1].entries) if early and early[1]
                                              else 0))
    if where.created and (info_level(o, "NAME") or has_escape(stdout_format(o), "i")) \
            and not o.quiet and not o.list_only:  # (upstream: main.c get_local_name)
        out.info(f"created directory {os.fsdecode(dest).rstrip('/') or '/'}")
    temp_dir = where.temp_dir(o.temp_dir) if o.temp_dir else None  # (checked first)
    attrs = Attrs(o, dec.uid_names, dec.gid_names)  # (later lists add names)
    for text in attrs.map_errors():  # (upstream says it and goes on)
        out.warning(text)
    spec = neg.transfer_spec()
    events = ReceiverEvents()
    if early:
        events.put(early)
    conn.before_wait = events.post_ends
    gen = Generator(conn, p, spec, where, lists, attrs, events, o, out, rules, groups,
                    neg.list_spec().algo)
    if o.prune_empty_dirs:
        gen.pruned = pruned_dirs(entries)
    gen.pruned |= duplicates(entries)  # left out like pruned directories
    receiver = Receiver(conn, p, spec, neg.compression, where, lists, attrs, events, out,
                        read_list, ndx)
    if lists.inc:  # a file the sender could not send is done with too
        earlier = conn.on_message
        conn.on_message = lambda code, payload: (
            receiver.finished(int.from_bytes(payload[:4], "little", signed=True))
            if code is Msg.NO_SEND and len(payload) >= 4 else earlier(code, payload))
    receiver.partial = o.partial
    receiver.sparse = o.sparse
    receiver.preallocate = o.preallocate
    receiver.inplace, receiver.append = o.inplace, o.append
    receiver.partial_dir = os.fsencode(partial_dir_of(o)) if partial_dir_of(o) else None
    receiver.delay_updates = o.delay_updates
    receiver.inplace_partial = bool(neg.compat_flags & CF.INPLACE_PARTIAL_DIR)
    receiver.temp_dir = temp_dir
    receiver.insecure = o.insecure_links
    receiver.discard = o.only_write_batch and server_sender
    receiver.no_data = o.only_write_batch and not server_sender
    receiver.dry_run = o.dry_run and not o.only_write_batch
    receiver.remove_sources = o.remove_source_files and not o.dry_run
    if o.read_batch:
        receiver.wait_ready, receiver.generator_asks = gen.wait_ready, False
        receiver.wanted = gen.wanted
    gen.on_unchanged = receiver.report_success  # an up-to-date file counts as sent too
    thread = threading.Thread(target=gen.run, daemon=True)
    thread.start()
    try:
        receiver.run(server_sender)
    except (OcError, OSError):
        if gen.error is not None:  # the generator's failure ended the session
            raise gen.error from None
        raise
    finally:
        DropBehind.finish_all()  # (each lets its old file go before this process ends)
    thread.join()
    where.held.close()
    if gen.error is not None:
        raise gen.error
    out.stats.deleted = gen.deleter.counts.values() if gen.deleter else [0] * 5
    if receiver.stats is not None:
        out.stats.flist_buildtime = receiver.stats.flist_buildtime
        out.stats.flist_xfertime = receiver.stats.flist_xfertime
        out.stats.peer_bytes = (receiver.stats.total_read, receiver.stats.total_written)
    conn.flush()
    return entries
