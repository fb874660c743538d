"""The receiving side's file lists with incremental recursion (oc_rsync.flists): index
arithmetic as upstream numbers it, and the checks that keep a sender's later lists inside
their directory."""
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oc_rsync.flists import FileLists, ListQueue, ReceiverEvents, Segment, segment_for
from oc_wire.errors import ProtocolError
from oc_wire.flist_entry import FileEntry

D, F = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o644


def _first():
    return [FileEntry(b".", D), FileEntry(b"a", F), FileEntry(b"sub", D),
            FileEntry(b"zdir", D)]


def test_indexes_count_from_one_with_a_gap_per_list():
    lists = FileLists(True, _first())
    assert lists.first.start == 1 and lists.first.parent.name == b"."
    assert [e.name for e in lists.dirs] == [b".", b"sub", b"zdir"]
    sub = lists.receive(1, [FileEntry(b"sub/x", F), FileEntry(b"sub/y", D)], {}, 0)
    assert sub.start == 1 + 4 + 1  # one past the gap after the first list
    assert lists.entry(sub.start - 1).name == b"sub"  # the gap names the directory
    assert lists.entry(sub.start + 1).name == b"sub/y"
    assert lists.dirs[-1].name == b"sub/y"
    assert lists.position(sub.start) == sub.start - 2  # upstream current_file_index
    assert lists.retire() and lists.retire() and not lists.live


def test_without_incremental_recursion_one_list_from_zero():
    lists = FileLists(False, _first())
    assert lists.first.start == 0 and lists.eof
    assert lists.entry(3).name == b"zdir"


@pytest.mark.parametrize("d,names", [
    (7, [b"sub/x"]),             # no such directory
    (0, [b"x"]),                 # "." gets no list of its own
    (1, [b"zdir/x"]),            # a name outside the announced directory
    (1, [b"sub/deep/x"]),        # not directly inside it
    (1, [b"subx"]),              # a prefix is not a parent
])
def test_a_list_outside_its_directory_is_refused(d, names):
    lists = FileLists(True, _first())
    with pytest.raises(ProtocolError):
        lists.receive(d, [FileEntry(n, F) for n in names], {}, 0)


def test_a_directory_gets_one_list():
    lists = FileLists(True, _first())
    lists.receive(1, [], {}, 0)
    with pytest.raises(ProtocolError):
        lists.receive(1, [], {}, 0)


def test_an_index_outside_the_live_lists_is_refused():
    lists = FileLists(True, _first())
    with pytest.raises(ProtocolError):
        lists.entry(5)
    lists.retire()
    with pytest.raises(ProtocolError):
        lists.entry(1)


def test_the_generator_retires_a_list_only_when_its_transfers_are_done():
    lists = FileLists(True, _first())
    events, dones = ReceiverEvents(), []
    q = ListQueue(lists.first, events, lambda i, e: None, lambda: dones.append(1),
                  lambda: None)
    q.started(2)
    events.put(("flist", lists.receive(1, [FileEntry(b"sub/x", F)], {}, 0)))
    assert q.next() is not None and dones == []  # a/ still in flight
    events.end(2)
    assert events.empty()  # an end is only noted: it goes with the next event
    events.put(("eof", None))
    assert q.next() is None and dones == [1]
    q.finish()
    assert dones == [1, 1] and not q.live


def test_ends_go_to_the_generator_in_batches_and_before_the_receiver_waits():
    events = ReceiverEvents(batch=3)
    for ndx in (5, 6):
        events.end(ndx)
    assert events.empty()
    events.end(7)  # a full batch goes
    assert events.get_nowait() == ("finished", [5, 6, 7])
    events.end(8)
    events.post_ends()  # (Conn.before_wait)
    assert events.get_nowait() == ("finished", [8]) and events.empty()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4), st.booleans()), max_size=8),
       st.integers(-2, 60))
def test_segment_for_finds_the_list_holding_an_index(shape, ndx):
    """Whichever shortcut finds it (the oldest list, the newest, or the binary search):
    the one list holding ndx (its directory's index, one before its start, included), or
    a ProtocolError when none does."""
    live, start = [], 1
    for gap, size, has_parent in shape:
        start += gap + 1
        parent = FileEntry(b"d", D) if has_parent else None
        live.append(Segment(start, [FileEntry(b"f", F)] * size, parent, len(live) + 1))
        start += size
    holding = [s for s in live
               if s.start - (s.parent is not None) <= ndx < s.start + len(s.entries)]
    if holding:
        assert segment_for(live, ndx) is holding[0]
    else:
        with pytest.raises(ProtocolError):
            segment_for(live, ndx)
