"""Filter rule parsing, evaluation and the client's filter-list wire form (exclude.c facts)."""

import struct

import pytest
from oc_flist.filters import FilterRules, FilterSyntaxError, FilterWireError
from oc_flist.filters_parse import parse_rule, rule_matches, split_merge_text


def _wire(*texts):
    return b"".join(struct.pack("<i", len(t)) + t for t in texts) + b"\0\0\0\0"


@pytest.mark.parametrize(
    "text,kind,pattern,extra",
    [
        (b"- *.o", "exclude", b"*.o", {}),
        (b"+ *.c", "include", b"*.c", {}),
        (b"exclude *.o", "exclude", b"*.o", {}),
        (b"include,! x", "include", b"x", {"negate": True}),
        (b"-! */", "exclude", b"*", {"negate": True, "directory": True}),
        (b"-_a b", "exclude", b"a b", {}),
        (b"H *.txt", "exclude", b"*.txt", {"sender": True}),
        (b"show x", "include", b"x", {"sender": True}),
        (b"P keep", "exclude", b"keep", {"receiver": True}),
        (b"risk x", "include", b"x", {"receiver": True}),
        (b":n- .ex", "dir-merge", b".ex", {"no_inherit": True, "no_prefixes": True}),
        (b"dir-merge,e .r", "dir-merge", b".r", {"exclude_self": True}),
        (b":C", "dir-merge", b".cvsignore", {"cvs": True, "word_split": True}),
        (b"-/ /abs", "exclude", b"/abs", {"abs_path": True}),
        (b"-sp x", "exclude", b"x", {"sender": True, "perishable": True}),
    ],
)
def test_parse_rule_forms(text, kind, pattern, extra):
    r = parse_rule(text)
    assert (r.kind, r.pattern) == (kind, pattern)
    for k, v in extra.items():
        assert getattr(r, k) == v


@pytest.mark.parametrize("bad", [b"", b"-", b"x foo", b"-q foo", b"! x", b"merge"])
def test_parse_rule_rejects(bad):
    with pytest.raises(FilterSyntaxError):
        parse_rule(bad)


def test_exclude_option_takes_old_prefixes_only():
    assert parse_rule(b"+ a", "exclude").kind == "include"
    assert parse_rule(b"include a", "exclude").pattern == b"include a"
    assert parse_rule(b"!", "exclude").kind == "clear"


@pytest.mark.parametrize(
    "rule,name,is_dir,want",
    [
        (b"- *.o", b"a/b/c.o", False, True),
        (b"- /core", b"sub/core", False, False),
        (b"- /core", b"core", False, True),
        (b"- tmp/", b"tmp", False, False),
        (b"- tmp/", b"d/tmp", True, True),
        (b"- b/c", b"a/b/c", False, True),
        (b"- b/c", b"a/xb/c", False, False),
        (b"- a/**/d", b"x/a/b/c/d", False, True),
        (b"- **/d", b"d", False, True),
        (b"- dir/***", b"dir", True, True),
        (b"- dir/***", b"dir/x/y", False, True),
        (b"-! *.c", b"x.o", False, True),
    ],
)
def test_rule_matches(rule, name, is_dir, want):
    assert rule_matches(parse_rule(rule), name, is_dir) is want


def test_split_merge_text_comments_blank_and_nul():
    assert split_merge_text(b"# c\n; d\n\n- a\r\n+ b\n", False) == [b"- a", b"+ b"]
    assert split_merge_text(b"#a\0b\0\0", False, nul=True) == [b"#a", b"b"]
    assert split_merge_text(b"a b\n#c", True) == [b"a", b"b", b"#c"]


def test_first_match_wins_and_clear():
    rules = FilterRules.from_options(
        [
            ("include", "keep.o"),
            ("exclude", "*.o"),
            ("exclude", "*.c"),
            ("filter", "!"),
            ("exclude", "*.h"),
        ]
    )
    w = rules.walker(lambda p: None)
    w.enter_dir(b"")
    assert not w.excluded(b"keep.o", False)
    assert not w.excluded(b"x.c", False)  # cleared
    assert w.excluded(b"y.h", False)


def test_F_twice_and_C_appended_last():
    rules = FilterRules.from_options([("C", None), ("F", None), ("F", None), ("include", "core")])
    kinds = [(r.kind, r.pattern) for r in rules.rules[:4]]
    assert kinds == [
        ("dir-merge", b"/.rsync-filter"),
        ("exclude", b".rsync-filter"),
        ("include", b"core"),
        ("dir-merge", b".cvsignore"),
    ]
    assert (rules.rules[4].kind, rules.rules[4].pattern) == ("exclude", b"RCS")


def test_cvsignore_env_and_home_added_after_defaults():
    rules = FilterRules.from_options(
        [("C", None)], environ={"CVSIGNORE": "*.env"}, home_cvsignore=b"*.home\n"
    )
    assert [r.pattern for r in rules.rules[-2:]] == [b"*.home", b"*.env"]


def test_dir_merge_inherit_and_no_inherit():
    files = {b".r": b"- *.a\n", b"s/.r": b"+ x.a\n- *.b\n"}
    for mod, inherited in ((":", True), (":n", False)):
        w = FilterRules.from_options([("filter", mod + " .r")]).walker(files.get)
        w.enter_dir(b"")
        w.enter_dir(b"s")
        assert not w.excluded(b"s/x.a", False)
        assert w.excluded(b"s/y.b", False)
        assert w.excluded(b"s/z.a", False) is inherited
        w.enter_dir(b"s/t")
        assert w.excluded(b"s/t/y.b", False) is inherited
        w.leave_dir()
        w.leave_dir()
        assert not w.excluded(b"y.b", False)


def test_sender_and_receiver_views():
    rules = FilterRules.from_options([("filter", "P keep"), ("filter", "H hid"), ("exclude", "x")])
    assert [r.pattern for r in rules.for_sender().rules] == [b"hid", b"x"]
    assert [r.pattern for r in rules.for_receiver().rules] == [b"keep", b"x"]
    assert [r.pattern for r in rules.for_receiver(delete_excluded=True).rules] == [b"keep"]


def test_to_wire_protocol_32_pull_client():
    rules = FilterRules.from_options(
        [
            ("exclude", "*.o"),
            ("include", "d/"),
            ("filter", ":n- .e"),
            ("filter", "-! x"),
            ("filter", "H h"),
        ]
    )
    assert rules.to_wire(32) == _wire(b"- *.o", b"+ d/", b":n- .e", b"-! x", b"-s h")


def test_to_wire_protocol_28_plain_excludes_and_too_modern():
    rules = FilterRules.from_options([("exclude", "*.o"), ("include", "a"), ("filter", "- - x")])
    assert rules.to_wire(28) == _wire(b"*.o", b"+ a", b"- - x")
    with pytest.raises(FilterSyntaxError):
        FilterRules.from_options([("filter", ": .r")]).to_wire(28)


def test_to_wire_push_client_keeps_only_receiver_rules():
    rules = FilterRules.from_options([("filter", "H h"), ("filter", "P p"), ("exclude", "e")])
    assert rules.to_wire(31, am_sender=True) == _wire(b"-r p", b"- e")


def test_from_wire_round_trip_and_errors():
    rules = FilterRules.from_options(
        [("exclude", "*.o"), ("filter", "dir-merge,n .r"), ("filter", "+/ /abs/")]
    )
    again = FilterRules.from_wire(rules.to_wire(32))
    assert again.rules == rules.rules
    with pytest.raises(FilterWireError):
        FilterRules.from_wire(b"\1\0\0")
    with pytest.raises(FilterWireError):
        FilterRules.from_wire(struct.pack("<i", 10**6))
    with pytest.raises(FilterWireError):
        FilterRules.from_wire(_wire(b". /etc/passwd"))


def test_a_pulling_client_leaves_what_c_adds_to_its_server():
    """upstream send_filter_list: with -C a receiving client sends only the other rules
    (its server, given the C letter, adds :C and -C's list itself); a sending client
    sends them, the list expanded. A '-C' written as a rule is the user's and goes."""
    from oc_wire.filter_list import read_filter_list
    from oc_wire.ints import ByteReader

    def sent(rules, am_sender):
        return read_filter_list(ByteReader(rules.to_wire(32, am_sender=am_sender)))
    rules = FilterRules.from_options([("C", ""), ("exclude", "x")])
    assert sent(rules, False) == [b"- x"]
    pushed = sent(rules, True)
    assert pushed[0] == b"- x" and b":C .cvsignore" in pushed and b"-p *.o" in pushed
    own = FilterRules.from_options([("filter", "-C"), ("exclude", "x")])
    assert b"-p *.o" in sent(own, False)
