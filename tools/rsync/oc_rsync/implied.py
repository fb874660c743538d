"""What a pulling client asked for, as rules its file list must meet (upstream 3.5.0:
exclude.c add_implied_include, maybe_add_literal_brackets_rule; flist.c recv_file_entry).

Each source operand (or, with a local --files-from, each name forwarded) becomes an
anchored include of the name the sender will list it by: its last component, or with -R
what follows "/./" (the whole path otherwise), with "." and empty components and a
trailing slash dropped; with -R its parents too (directory-only rules); with -r or -d
also everything below it ("NAME/**", "NAME/*"). A wildcard in the operand keeps its
meaning (the remote shell expands it), and a "[" also gets a literal alternative (for a
glob the shell left alone). A name in the received list that none of these rules
matches was not asked for: a malicious or broken sender is refused ("ERROR: rejecting
unrequested file-list name", exit 4) before anything is written.

Not built (upstream's trust_sender_args) for a local copy, --old-args (the remote
shell splits and expands the operands its own way), a --files-from read on the remote
side, or --read-batch."""
from oc_flist.filters_parse import FilterRule, rule_matches
from oc_wire.errors import OcError
from oc_wire.flist_entry import FileEntry

__all__ = ["implied_parent", "implied_rules", "unrequested_names", "UnrequestedName"]

_WILD = frozenset(b"*[?")


class UnrequestedName(OcError):
    """A name the sender listed that the client did not ask for."""

    plain = True
    exit_code = 4  # (upstream: RERR_UNSUPPORTED)

    def __init__(self, name: bytes):
        super().__init__("ERROR: rejecting unrequested file-list name: "
                         + name.decode("utf-8", "backslashreplace"))


def _rule(pattern: bytes, slash_cnt: int, directory: bool = False) -> FilterRule:
    return FilterRule(kind="include", pattern=pattern, directory=directory,
                      slash_cnt=slash_cnt)


def _literal_brackets(rule: FilterRule) -> FilterRule | None:
    """The rule again with each unescaped "[" escaped (a glob the remote shell did not
    expand leaves a file with the brackets in its name)."""
    src, out, k = rule.pattern, bytearray(), 0
    while k < len(src):
        c = src[k]
        if c == 0x5C and k + 1 < len(src):  # "\x": kept as it is
            out += src[k:k + 2]
            k += 2
            continue
        if c == 0x5B:
            out.append(0x5C)
        out.append(c)
        k += 1
    return _rule(bytes(out), rule.slash_cnt, rule.directory) if out != src else None


def _leaf(arg: bytes) -> tuple[bytes, int, int, bool]:
    """add_implied_include's cleaning of one operand: (the anchored pattern, its slash
    count, the backslashes it kept, whether a live "[" is in it)."""
    saw_wild = any(c in _WILD for c in arg)
    out, slash_cnt, backslashes, bracket = bytearray(b"/"), 1, 0, False
    k, n = 0, len(arg)
    while k < n:
        c = arg[k]
        nxt = arg[k + 1] if k + 1 < n else None
        if c == 0x5C:  # "\"
            if nxt == 0x5D:  # "\]": the backslash dropped without wildcards
                if not saw_wild:
                    k += 1
            elif nxt is None or nxt not in _WILD:
                backslashes += 1
                if saw_wild:
                    out.append(0x5C)
            out.append(arg[k])
            k += 1
        elif c == 0x2F:  # "/"
            if out[-1] == 0x2F:  # a doubled slash; at the end, the pattern's too
                k += 1
                if k == n:
                    slash_cnt -= 1
                    out.pop()
            elif nxt is None:  # a trailing slash
                k += 1
            else:
                slash_cnt += 1
                out.append(c)
                k += 1
        elif c == 0x2E and out[-1] == 0x2F:  # "." starting a component
            if nxt == 0x2F:  # "./": dropped
                k += 2
                if k >= n:
                    slash_cnt -= 1
                    out.pop()
            elif nxt is None:  # a final ".": dropped, with its slash
                k += 1
                slash_cnt -= 1
                out.pop()
            else:
                out.append(c)
                k += 1
        else:
            bracket |= c == 0x5B
            out.append(c)
            k += 1
    return bytes(out), slash_cnt, backslashes, bracket


def implied_rules(arg: bytes, recurse: bool, dirs: bool, relative: bool,
                  rules: list[FilterRule]) -> None:
    """Add the rules one operand (or --files-from name) implies to rules (upstream:
    add_implied_include)."""
    if relative:
        k = arg.find(b"/./")
        if k >= 0:
            arg = arg[k + 3:]
    else:
        arg = arg[arg.rfind(b"/") + 1:]
    if arg == b".":
        arg = b""
    saw_wild = any(c in _WILD for c in arg)
    pattern, slash_cnt, backslashes, bracket = b"", 0, 0, False
    if arg:
        pattern, slash_cnt, backslashes, bracket = _leaf(arg)
        if pattern:
            added = [_rule(pattern, slash_cnt)]
            if relative and slash_cnt:  # -R: each parent directory of it too
                parent, sub = pattern, slash_cnt
                while (cut := parent.rfind(b"/")) > 0:
                    parent = parent[:cut]
                    if any(r.pattern == parent for r in rules + added):
                        break
                    sub -= 1
                    added.append(_rule(parent, sub, directory=True))
            for r in list(added):
                if bracket and (lit := _literal_brackets(r)) is not None:
                    added.append(lit)
            rules += added
    if recurse or dirs:  # and what is below it
        if pattern and not saw_wild and backslashes:  # (a wildcard follows: escape them)
            pattern = pattern.replace(b"\\", b"\\\\")
        r = _rule(pattern + (b"/**" if recurse else b"/*"), slash_cnt + 1)
        rules.append(r)
        if bracket and (lit := _literal_brackets(r)) is not None:
            rules.append(lit)


def implied_parent(name: bytes, rules: list[FilterRule]) -> bool:
    """Whether a directory was asked for only as the way to something below it (a -R
    parent's directory-only rule matches it, no other rule does), or for ".", unless an
    operand asked for the whole of it (upstream: exclude.c is_implied_parent_dir)."""
    if name in (b".", b""):
        return not any(r.pattern in (b"/**", b"/*") for r in rules)
    parent = False
    for r in rules:
        if rule_matches(r, name, True):
            if not r.directory:
                return False
            parent = True
    return parent


def _matcher(rule: FilterRule):
    """A fast test for the rule's common shapes, each as rule_matches takes it (an
    anchored literal NAME, NAME/** or NAME/*, "/**"); else the general rule_matches."""
    pat, wild = rule.pattern, b"*?[\\"
    body, tail = pat[1:], b""
    for t in (b"/**", b"/*"):
        if body.endswith(t) or body == t[1:]:
            body, tail = body[:-len(t)] if body.endswith(t) else b"", t
            break
    if not pat.startswith(b"/") or any(c in wild for c in body):
        return lambda name, is_dir: rule_matches(rule, name, is_dir)
    if rule.directory:
        return lambda name, is_dir: is_dir and name == body
    if tail == b"/**":
        if not body:
            return lambda name, is_dir: True
        prefix = body + b"/"
        return lambda name, is_dir: name.startswith(prefix)
    if tail == b"/*":
        prefix = body + b"/" if body else b""
        return lambda name, is_dir: name.startswith(prefix) and b"/" not in name[len(prefix):]
    return lambda name, is_dir: name == body


def unrequested_names(args: list[bytes], recurse: bool, dirs: bool, relative: bool):
    """The check a pulling client runs on every list it receives: raises UnrequestedName
    for the first entry no implied rule matches (the transfer root "." aside), and makes
    a directory asked for only as a parent (implied_parent) one whose contents the list
    does not carry, whatever the sender flagged, so --delete never sweeps beside what
    was asked for (upstream: flist.c recv_file_entry); None when the operands imply no
    rules."""
    rules: list[FilterRule] = []
    for arg in args:
        implied_rules(arg, recurse, dirs, relative, rules)
    if not rules:
        return None

    if any(r.pattern == b"/**" for r in rules):  # everything was asked for
        return None
    matchers = [_matcher(r) for r in rules]
    parents = any(r.directory for r in rules)  # (else only "." can be a parent)

    def check(entries: list[FileEntry]) -> None:
        for e in entries:
            name = e.name[1:] if e.name.startswith(b"/") else e.name
            is_dir = e.is_dir()
            if name not in (b".", b"") and not any(m(name, is_dir) for m in matchers):
                raise UnrequestedName(e.name)
            if is_dir and not e.implied_dir and (parents or name in (b".", b"")) \
                    and implied_parent(name, rules):
                e.content_dir = e.top_dir = False
                e.implied_dir = True
    return check
