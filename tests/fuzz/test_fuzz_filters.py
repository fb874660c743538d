"""Fuzz: filter-list decoding and rule parsing end in a clean result or a typed error."""

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from oc_flist.filters import FilterRules, FilterSyntaxError, FilterWireError
from oc_flist.filters_parse import parse_rule, rule_matches
from oc_flist.wildmatch import wildmatch

RULE_BYTES = st.binary(max_size=40) | st.sampled_from(
    [b"- *.o", b"+ d/", b":n- .e", b"-! x", b"!", b"merge x", b"dir-merge,C", b"P p/***"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(RULE_BYTES, max_size=6), st.binary(max_size=8))
def test_from_wire_never_raises_untyped(texts, tail):
    data = b"".join(struct.pack("<i", len(t)) + t for t in texts) + b"\0\0\0\0"
    for blob in (data, data[: len(data) // 2], data + tail, tail + data):
        try:
            FilterRules.from_wire(blob)
        except FilterWireError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=30), st.binary(max_size=30), st.booleans())
def test_parse_and_match_never_raise_untyped(text, name, is_dir):
    try:
        rule = parse_rule(text)
    except FilterSyntaxError:
        return
    if rule.kind in ("include", "exclude"):
        assert rule_matches(rule, name, is_dir) in (True, False)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="*?[]!^-:a/\\b", max_size=20), st.text(alphabet="ab/[]-", max_size=20))
def test_wildmatch_total(pattern, text):
    assert wildmatch(pattern.encode(), text.encode()) in (True, False)
