"""The rules a pulling client's operands imply (implied.py, after upstream's exclude.c
add_implied_include): the patterns and slash counts as upstream builds them, and what
the check lets through."""
import stat

import pytest
from oc_rsync.implied import UnrequestedName, implied_rules, unrequested_names
from oc_wire.flist_entry import FileEntry


def _rules(arg: bytes, recurse=True, dirs=True, relative=False):
    out = []
    implied_rules(arg, recurse, dirs, relative, out)
    return [(r.pattern, r.slash_cnt, r.directory) for r in out]


@pytest.mark.parametrize("arg, relative, recurse, want", [
    (b"/p/src", False, True, [(b"/src", 1, False), (b"/src/**", 2, False)]),
    (b"/p/src/", False, True, [(b"/**", 1, False)]),
    (b"/p/src/a", False, False, [(b"/a", 1, False), (b"/a/*", 2, False)]),
    (b".", False, True, [(b"/**", 1, False)]),
    (b"p/*.txt", False, True, [(b"/*.txt", 1, False), (b"/*.txt/**", 2, False)]),
    (b"p/[x]", False, True, [(b"/[x]", 1, False), (b"/\\[x]", 1, False),
                             (b"/[x]/**", 2, False), (b"/\\[x]/**", 2, False)]),
    (b"p/a\\b", False, True, [(b"/a\\b", 1, False), (b"/a\\\\b/**", 2, False)]),
    (b"p/a\\]", False, True, [(b"/a]", 1, False), (b"/a]/**", 2, False)]),
    (b"p/./q/r", True, True, [(b"/q/r", 2, False), (b"/q", 1, True), (b"/q/r/**", 3, False)]),
    (b"p//q/", True, True, [(b"/p/q", 2, False), (b"/p", 1, True), (b"/p/q/**", 3, False)]),
    (b"p//q/./", True, True, [(b"/**", 1, False)]),
    (b"/abs/d", True, False, [(b"/abs/d", 2, False), (b"/abs", 1, True),
                              (b"/abs/d/*", 3, False)]),
])
def test_patterns_as_upstream_builds_them(arg, relative, recurse, want):
    assert _rules(arg, recurse, True, relative) == want


def _entry(name: bytes, is_dir: bool = False) -> FileEntry:
    return FileEntry(name, (stat.S_IFDIR | 0o755) if is_dir else (stat.S_IFREG | 0o644))


def test_the_check():
    check = unrequested_names([b"/p/sub", b"/p/a"], True, True, False)
    check([_entry(b"."), _entry(b"sub", True), _entry(b"sub/x/y"), _entry(b"a")])
    with pytest.raises(UnrequestedName) as got:
        check([_entry(b"b")])
    assert str(got.value) == "ERROR: rejecting unrequested file-list name: b"
    assert got.value.exit_code == 4
    rel = unrequested_names([b"/p/./q/r"], False, False, True)
    rel([_entry(b"q", True), _entry(b"q/r")])
    with pytest.raises(UnrequestedName):
        rel([_entry(b"q")])  # a parent is only a directory
    assert unrequested_names([b""], False, False, False) is None


def test_a_directory_asked_for_only_as_a_parent_carries_no_contents():
    """-R's parents, and "." unless an operand asked for all of it, are made implied
    directories whatever the sender flagged (upstream: is_implied_parent_dir), so
    --delete never cleans them; a directory asked for itself keeps its flags."""
    check = unrequested_names([b"/p/./q/r"], True, True, True)
    entries = [_entry(b".", True), _entry(b"q", True), _entry(b"q/r", True),
               _entry(b"q/r/s", True)]
    for e in entries:
        e.top_dir, e.content_dir = True, True  # what a malicious sender may claim
    check(entries)
    assert [(e.implied_dir, e.content_dir) for e in entries] == [
        (True, False), (True, False), (False, True), (False, True)]
    assert unrequested_names([b"/p/src/"], True, True, False) is None  # ("/**": all of it)


@pytest.mark.parametrize("args, relative", [([b"/p/src"], False), ([b"/p/a", b"/p/d/"], False),
                                            ([b"/p/./q/r", b"/p/./s"], True),
                                            ([b"/p/*.txt", b"/p/[x]"], False),
                                            ([b"/p/a\\b"], False)])
def test_the_fast_matchers_agree_with_rule_matches(args, relative):
    """_matcher's shortcuts decide as rule_matches does, name by name."""
    from oc_flist.filters_parse import rule_matches
    from oc_rsync.implied import _matcher
    rules = []
    for a in args:
        implied_rules(a, True, True, relative, rules)
    names = [b"src", b"src/x", b"src/x/y", b"srcx", b"a", b"a/b", b"d", b"d/e", b"q", b"q/r",
             b"q/r/s", b"s", b"s/t", b"x.txt", b"[x]", b"x", b"a\\b", b"ab", b"a\\b/c"]
    for r in rules:
        m = _matcher(r)
        for n in names:
            for is_dir in (False, True):
                assert m(n, is_dir) == rule_matches(r, n, is_dir), (r.pattern, n, is_dir)
