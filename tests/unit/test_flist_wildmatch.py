"""wildmatch facts, checked against upstream lib/wildmatch.c behaviour (wildtest cases restated)."""

import pytest
from oc_flist.wildmatch import litmatch_array, wildmatch, wildmatch_array

CASES = [
    # (matches, text, pattern)
    (True, b"abc", b"abc"),
    (False, b"abc", b"abd"),
    (True, b"", b""),
    (True, b"abc", b"???"),
    (False, b"abc", b"??"),
    (True, b"abc", b"*"),
    (True, b"abc", b"a*"),
    (False, b"abc", b"*a"),
    (True, b"xxababab", b"*ab"),
    (True, b"a*", b"a\\*"),
    (False, b"axb", b"a\\*b"),
    (True, b"a\\b", b"a\\\\b"),
    (True, b"cat", b"*[at]?"),
    (False, b"cat", b"[cat]"),
    (True, b"cat", b"**[!ca]"),
    (False, b"cat", b"**[!cat]"),
    (True, b"cat", b"c[a-f]t"),
    (False, b"cat", b"c[!a-f]t"),
    (False, b"cat", b"c[^a-f]t"),
    (True, b"]", b"[]]"),
    (False, b"a", b"[]]"),
    (True, b"a", b"[!]]"),
    (True, b"-", b"[a-]"),
    (True, b"-", b"[-z]"),
    (False, b"/", b"[/]"),
    (False, b"/", b"[!a]"),
    (False, b"/", b"?"),
    (False, b"a/b", b"a*b"),
    (True, b"a/b", b"a**b"),
    (True, b"a/x/y/b", b"a/**/b"),
    (False, b"a/b", b"a/**/b"),
    (True, b"a/x/b", b"a/*/b"),
    (False, b"a/x/y/b", b"a/*/b"),
    (False, b"a/b/c", b"a/*"),
    (True, b"a/b/c", b"a/**"),
    (True, b"x/y.c", b"**/*.c"),
    (False, b"y.c", b"**/*.c"),
    (True, b"a9", b"[[:alpha:]][[:digit:]]"),
    (False, b"9a", b"[[:alpha:]][[:digit:]]"),
    (True, b"A", b"[[:upper:][:digit:]]"),
    (True, b" ", b"[[:space:]]"),
    (True, b"f", b"[[:xdigit:]]"),
    (False, b"g", b"[[:xdigit:]]"),
    (True, b".", b"[[:punct:]]"),
    (False, b"a", b"[[:nosuch:]]"),
    (True, b"[", b"[[:]"),
    (False, b"a", b"[a"),
    (True, b"q", b"[\\q]"),
    (False, b"b", b"[a\\-c]"),
    (True, b"-", b"[a\\-c]"),
    (True, b"foo/bar/baz", b"foo**baz"),
    (False, b"foo/bar/baz", b"foo*baz"),
    (True, b"deep/a/b/c/d/e/f/g/h.txt", b"deep/**/h.txt"),
]


@pytest.mark.parametrize("want,text,pattern", CASES)
def test_wildmatch_matches_upstream_fact(want, text, pattern):
    assert wildmatch(pattern, text) is want


def test_long_star_pattern_is_not_exponential():
    text = b"a" * 60
    pattern = b"*a" * 30 + b"b"
    assert wildmatch(pattern, text) is False
    assert wildmatch(b"**a" * 20 + b"b", b"a/" * 30) is False


def test_array_pieces_are_joined():
    assert wildmatch_array(b"dir/file", [b"dir", b"/", b"file"])


def test_array_where_minus_one_tries_after_each_slash():
    assert wildmatch_array(b"b/**/d", [b"a/b/c/d"], -1)
    assert not wildmatch_array(b"b/**/d", [b"a/b/c/d"], 0)


def test_array_where_n_matches_last_elements_only():
    assert wildmatch_array(b"c/*", [b"a/b/c/d"], 2)
    assert not wildmatch_array(b"b/*", [b"a/b/c/d"], 2)


def test_litmatch_array_tail_elements():
    assert litmatch_array(b"c/d", [b"a/b/", b"c/d"], 2)
    assert not litmatch_array(b"b/c", [b"a/b/c/d"], 2)
