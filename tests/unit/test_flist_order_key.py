"""The fast sort key orders file lists exactly as upstream's f_name_cmp (ported
literally in flist_order.f_name_cmp), at protocols below and from 29."""
import stat

from hypothesis import given, settings
from hypothesis import strategies as st
from oc_wire.flist_entry import FileEntry
from oc_wire.flist_order import cmp_sort_key, sort_key

component = st.binary(min_size=1, max_size=4).filter(lambda b: b"/" not in b and b"\0" not in b
                                                      and b not in (b".", b".."))
entries = st.lists(st.tuples(st.lists(st.sampled_from([b"a", b"b", b"a.b", b"a-", b"ab", b"A",
                                                       b"\x01", b"\xff", b"a0"]) | component,
                                      min_size=1, max_size=3), st.booleans()),
                   min_size=1, max_size=25)


@settings(max_examples=400, deadline=None)
@given(entries, st.sampled_from([28, 29, 32]))
def test_key_sorts_like_f_name_cmp(items, protocol):
    es = [FileEntry(b"/".join(parts), (stat.S_IFDIR if d else stat.S_IFREG) | 0o755)
          for parts, d in items]
    es.append(FileEntry(b".", stat.S_IFDIR | 0o755))
    by_key = [e.name for e in sorted(es, key=sort_key(protocol))]
    by_cmp = [e.name for e in sorted(es, key=cmp_sort_key(protocol))]
    assert by_key == by_cmp
