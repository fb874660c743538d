"""The ordered filter-rule list of a transfer and the per-directory walker over it.

Owns: building the rule list from command-line options in their order
(--filter/-f, --exclude, --include, --exclude-from, --include-from, -F, -C,
-0), merge files expanded in place (merge_files.py reads them), dir-merge files
loaded per directory with inheritance, first-match-wins evaluation,
sender/receiver views, and the rule list as a client sends it to the server (and
its decoder).  No I/O: files are read through a caller-supplied
``read_file(path) -> bytes | None``.

upstream: exclude.c (parse_filter_str, parse_filter_file, push_local_filters,
pop_local_filters, check_filter, send_filter_list, recv_filter_list,
get_cvs_excludes), options.c (-F, -C handling).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from oc_core.record import record, replace
from oc_wire.errors import OcError, ProtocolError
from oc_wire.filter_list import MAX_RULE_LEN, MAX_RULES, encode_filter_list, read_filter_list
from oc_wire.ints import ByteReader

from .filters_parse import FilterRule, FilterSyntaxError, parse_rule, rule_matches, split_merge_text
from .merge_files import (
    FilterFileError,
    MergeOrigin,
    Reader,
    add_rule,
    cvs_extras,
    expand,
    files_under,
    merge_contents,
    rules_file,
)

__all__ = [
    "FilterRules",
    "FilterWalker",
    "FilterRule",
    "FilterSyntaxError",
    "FilterFileError",
    "FilterWireError",
    "files_under",
    "trace_line",
    "MAX_WIRE_RULE",
    "MAX_WIRE_RULES",
]

MAX_WIRE_RULE = MAX_RULE_LEN  # upstream: recv_filter_list refuses len >= MAXPATHLEN+3
MAX_WIRE_RULES = MAX_RULES


class FilterWireError(ProtocolError):
    """A filter list received from a peer was malformed or over the limits."""

    def __init__(self, expected: str, offset: int | None, got: str | None = None):
        super().__init__(f"a filter list with {expected}", offset, got)


_FROM_FILE = FilterRule(kind="exclude", from_file=True)  # (a --exclude-from line's template)


@record(frozen=True)
class FilterRules:
    """The global rule list, in order.  Build with from_options."""

    rules: tuple[FilterRule, ...]
    # the side these rules serve (None: both, as for a listing) and --delete-excluded:
    # rules read later from per-directory merge files are kept as _on_side says
    side: str | None = None
    delete_excluded: bool = False
    # where the rules the -C option added begin (its ":C" and "-C" list, last of all);
    # a pulling client does not send them: it sends the C option letter and its server
    # adds its own (upstream: exclude.c send_filter_list, recv_filter_list)
    cvs_from: int | None = None

    @classmethod
    def from_options(
        cls,
        options: Iterable[tuple[str, object]],
        read_file: Reader | None = None,
        environ: dict | None = None,
        home_cvsignore: bytes | None = None,
        warn=None,
    ) -> FilterRules:
        """Build from (option, value) pairs in command-line order.

        Options: "filter", "exclude", "include", "exclude-from", "include-from"
        (value: file name, read with *read_file*; b"-" is the caller's to
        resolve), "F" (value ignored, count by repetition), "C", "from0"
        (value truthy: -from files are NUL-separated).  -C rules go after all
        others, as upstream appends them.  *environ* supplies CVSIGNORE,
        *home_cvsignore* the contents of ~/.cvsignore.  A rule given as an argument
        whose pattern is MAXPATHLEN long or more is dropped, and warn(text) told so
        (upstream: exclude.c parse_filter_str, "discarding over-long filter").  Raises
        FilterSyntaxError.  upstream: options.c parse_arguments; exclude.c
        get_cvs_excludes.
        """
        out: list[FilterRule] = []
        opts = list(options)
        nul = any(o == "from0" and v for o, v in opts)
        f_count = 0
        cvs = False
        for opt, val in opts:
            raw = val.encode() if isinstance(val, str) else val
            if opt in ("filter", "exclude", "include"):
                rule = parse_rule(raw, None if opt == "filter" else opt)
                if len(rule.pattern) + rule.directory >= MAX_RULE_LEN:  # (its '/' counted)
                    if warn is not None:
                        warn("discarding over-long filter: " + os.fsdecode(
                            rule.pattern + (b"/" if rule.directory else b"")))
                    continue
                add_rule(rule, read_file, out, 0)
            elif opt in ("exclude-from", "include-from"):
                kind = opt.split("-")[0]
                data = rules_file(read_file, raw, kind == "include")
                for text in split_merge_text(data, False, nul):
                    add_rule(parse_rule(text, kind, _FROM_FILE), read_file, out, 0)
            elif opt == "F":
                f_count += 1
                if f_count == 1:
                    add_rule(parse_rule(b"dir-merge /.rsync-filter"), read_file, out, 0)
                elif f_count == 2:
                    add_rule(parse_rule(b"- .rsync-filter"), read_file, out, 0)
            elif opt == "C":
                cvs = True
            elif opt != "from0":
                raise FilterSyntaxError(f"unknown filter option {opt!r}")
        return cls(tuple(out)).with_cvs_excludes(cvs, cvs, environ, home_cvsignore)

    def with_cvs_excludes(self, per_dir: bool, listed: bool, environ: dict | None = None,
                          home_cvsignore: bytes | None = None) -> FilterRules:
        """These rules, then -C's: per_dir, ":C" (each directory's .cvsignore); listed,
        "-C" (upstream's default list, then ~/.cvsignore's and $CVSIGNORE's names);
        cvs_from says where what they add begins. upstream: exclude.c get_cvs_excludes,
        and recv_filter_list for a server given -C."""
        out = list(self.rules)
        if per_dir:
            add_rule(parse_rule(b":C"), None, out, 0)
        if listed:
            add_rule(parse_rule(b"-C"), None, out, 0)
        extras: list[FilterRule] = []
        cvs = FilterRule(kind="exclude", global_cvs=True)
        if home_cvsignore:
            expand(home_cvsignore.split(), "exclude", cvs, None, extras)
        env = (environ or {}).get("CVSIGNORE")
        if env:
            expand((env.encode() if isinstance(env, str) else env).split(), "exclude",
                    cvs, None, extras)
        # these rules' own length once expanded (the extras go to a -C of the user's)
        mine = len(cvs_extras(list(self.rules), extras))
        return replace(self, rules=tuple(cvs_extras(out, extras)),
                       cvs_from=mine if per_dir or listed else self.cvs_from)

    def with_partial_dir(self, partial_dir: bytes | None, perishable: bool) -> FilterRules:
        """These rules and, for a relative --partial-dir, an exclude of that directory
        (perishable: for a receiver, or from protocol 30), after the rules given and
        before -C's, so that partial files are neither sent nor deleted (upstream:
        compat.c setup_protocol, on the client)."""
        if not partial_dir or partial_dir.startswith(b"/"):
            return self
        rule = parse_rule(b"-" + (b"p" if perishable else b"") + b" " + partial_dir + b"/")
        at = len(self.rules) if self.cvs_from is None else self.cvs_from
        return replace(self, rules=self.rules[:at] + (rule,) + self.rules[at:],
                       cvs_from=None if self.cvs_from is None else at + 1)

    def for_sender(self) -> FilterRules:
        """Rules that apply when scanning on the sending side (no protect/risk)."""
        return FilterRules(_on_side(self.rules, "sender", False), "sender")

    def for_receiver(self, delete_excluded: bool = False) -> FilterRules:
        """Rules that protect files from deletion on the receiver (no hide/show;
        with --delete-excluded only explicitly receiver-side rules)."""
        return FilterRules(_on_side(self.rules, "receiver", delete_excluded), "receiver",
                           delete_excluded)

    def walker(self, read_file: Reader, root: bytes | None = None) -> FilterWalker:
        """A per-directory walker; *read_file(path)* returns a file's bytes or None
        (a path relative to the transfer root, or absolute); *root*: the transfer
        root's path, for the parent-directory scan of "/NAME" merge files."""
        return FilterWalker(self, read_file, root)

    def to_wire(
        self, protocol: int, am_sender: bool = False, delete_excluded: bool = False
    ) -> bytes:
        """The rule list as the client sends it: int32 length + rule text per
        rule, ended by int32 0 (a receiving client leaves out what the -C option
        added).  Raises FilterSyntaxError when a rule cannot be expressed at
        *protocol* ("too modern").  upstream: exclude.c send_rules, get_rule_prefix."""
        parts = []
        sent = self.rules if am_sender or self.cvs_from is None else \
            self.rules[:self.cvs_from]
        for r in sent:
            local = False
            if r.sender:
                local = am_sender
            if r.receiver:
                local = (not local and not am_sender) if not r.sender else False
            elif delete_excluded and not r.sender and (r.kind != "dir-merge" or r.no_prefixes):
                local = am_sender
            if local:
                continue
            text = _wire_prefix(r, protocol, am_sender, delete_excluded) + r.pattern
            if r.directory:
                text += b"/"
            parts.append(text)
        return encode_filter_list(parts)

    @classmethod
    def from_wire(cls, data: bytes, protocol: int = 32) -> FilterRules:
        """Decode a filter list (as to_wire writes it).  Raises FilterWireError
        on a truncated list, a length over MAX_WIRE_RULE, too many rules, or a
        rule that does not parse.  Below protocol 29 a rule is an exclude unless it
        starts with "+ " or "- " (XFLG_OLD_PREFIXES).  upstream: exclude.c
        recv_filter_list."""
        r = ByteReader(data)
        try:
            texts = read_filter_list(r)
        except ProtocolError as e:
            raise FilterWireError(e.expected, e.offset, e.got) from None
        except OcError:
            raise FilterWireError("complete rules (it is truncated)", r.offset) from None
        out: list[FilterRule] = []
        for text in texts:
            if protocol < 29:  # old prefixes: only "- " and "+ ", else an exclude
                if text.startswith((b"- ", b"+ ")) or text == b"!":
                    pass
                else:
                    text = b"- " + text
            try:
                rule = parse_rule(text)
            except FilterSyntaxError:
                raise FilterWireError("a filter rule", None, repr(text)) from None
            if rule.kind == "merge":
                raise FilterWireError("no merge rule from the peer", None, repr(text))
            add_rule(rule, None, out, 0)
        if r.remaining():
            raise FilterWireError("end of filter list", r.offset)
        return cls(tuple(cvs_extras(out, [])))


def _wire_prefix(r: FilterRule, protocol: int, am_sender: bool, delete_excluded: bool) -> bytes:
    """upstream: exclude.c get_rule_prefix (for_xfer=1)."""
    legal = 1 if protocol < 29 else 16
    op = bytearray()
    if r.kind == "dir-merge":
        if legal == 1:
            raise FilterSyntaxError("filter rules are too modern for remote rsync")
        op += b":"
    elif r.include:
        op += b"+"
    elif legal != 1 or (r.pattern[:1] in (b"-", b"+") and r.pattern[1:2] == b" "):
        op += b"-"
    else:
        legal = 0
    if r.abs_path:
        op += b"/"
    if r.negate:
        op += b"!"
    if r.cvs:
        op += b"C"
    else:
        if r.no_inherit:
            op += b"n"
        if r.word_split:
            op += b"w"
        if r.no_prefixes:
            op += b"+" if r.prefix_include else b"-"
    if r.exclude_self:
        op += b"e"
    if r.xattr:
        op += b"x"
    if r.sender and protocol >= 29:
        op += b"s"
    if r.receiver and (protocol >= 29 or (delete_excluded and am_sender)):
        op += b"r"
    if r.perishable:
        if protocol >= 30:
            op += b"p"
        elif am_sender:
            raise FilterSyntaxError("filter rules are too modern for remote rsync")
    if len(op) > legal:
        raise FilterSyntaxError("filter rules are too modern for remote rsync")
    if legal:
        op += b" "
    return bytes(op)


def _on_side(rules: Iterable[FilterRule], side: str | None, delete_excluded: bool
             ) -> tuple[FilterRule, ...]:
    """The rules one side uses (upstream: exclude.c add_rule drops the other side's;
    parse_rule makes a plain include/exclude sender-side under --delete-excluded)."""
    if side is None:
        return tuple(rules)
    keep = []
    for r in rules:
        if side == "sender" and r.receiver and not r.sender:
            continue
        if side == "receiver" and (r.sender and not r.receiver or delete_excluded
                                   and not r.receiver and r.kind != "dir-merge"):
            continue
        keep.append(r)
    return tuple(keep)


class FilterWalker:
    """Evaluates names during a depth-first scan, loading dir-merge files.

    Call enter_dir(dirpath) on entering each directory (b"" for the transfer
    root, else the path relative to it), leave_dir() when done with it, and
    excluded(relpath, is_dir) for each entry.  upstream: exclude.c
    push_local_filters, pop_local_filters, check_filter.

    A dir-merge rule read from a per-directory file is itself active from that
    directory down (inherited like the file's other rules), so its files are loaded
    too; one naming a file an active dir-merge rule already reads adds nothing
    (upstream: add_rule finds the existing mergelist).

    A global dir-merge rule whose name has an absolute directory part that is the
    transfer root or one of its parents (-F's "/.rsync-filter") first reads the file
    in each directory from there down to the root's parent, as rules the root
    inherits (the nearest first); their anchored rules count from that directory
    (upstream: exclude.c setup_merge_file, the parent_dirscan).
    """

    def __init__(self, rules: FilterRules, read_file: Reader, root: bytes | None = None):
        self._side, self._delete_excluded = rules.side, rules.delete_excluded
        self._read = read_file
        self._root = os.path.abspath(root) if root is not None else None
        self._global = [self._anchored(r, self._root) for r in rules.rules]
        # one frame per entered directory: id(dir-merge rule) -> (what its
        # subdirectories inherit, its rules here)
        self._frames: list[dict[int, tuple[list[FilterRule], list[FilterRule]]]] = []

    @staticmethod
    def _anchored(r: FilterRule, where: bytes | None) -> FilterRule:
        """A dir-merge rule whose file name has a directory part names it from *where*
        (the directory the rule was read in, absolute): upstream's parse_merge_name
        makes such a name absolute, ".." collapsed; an absolute name is then scanned
        down from its directory (setup_merge_file) and looked for by its base name."""
        if r.kind != "dir-merge" or where is None or b"/" not in r.pattern \
                or r.pattern.startswith(b"/"):
            return r
        return replace(r, pattern=os.path.normpath(os.path.join(where, r.pattern)))

    def enter_dir(self, dirpath: bytes) -> None:
        """Load each active dir-merge rule's file found in *dirpath* (relative; b"" =
        the root), by the base name of the rule's file name (upstream: exclude.c
        push_local_filters); an absolute name's own directory and those below it down to
        here are read first when they lead here (the parent scan)."""
        parent = self._frames[-1] if self._frames else self._parent_scan()
        frame: dict[int, tuple[list[FilterRule], list[FilterRule]]] = {}
        names: set[bytes] = set()

        def load(mrule: FilterRule) -> None:
            name = mrule.pattern.rsplit(b"/", 1)[-1]
            if id(mrule) in frame or name in names:
                return
            names.add(name)
            before = parent.get(id(mrule))
            if before is None and mrule.pattern.startswith(b"/") \
                    and self._root is not None:  # (a rule read in a merge file here)
                chain = self._scan_down(mrule, os.path.join(self._root, dirpath))
                before = (chain, chain) if chain is not None else None
            inherited = list(before[0]) if before else []
            data = self._read(dirpath + b"/" + name if dirpath else name)
            local: list[FilterRule] = []
            cleared = False
            if data is not None:
                local, cleared = self._parse_local(mrule, data, dirpath, label=self._label(
                    mrule, os.path.join(self._root or b".", dirpath, name)))
            active = local + ([] if cleared else inherited)
            frame[id(mrule)] = ([] if mrule.no_inherit else active, active)
            for r in active:
                if r.kind == "dir-merge":
                    load(r)

        for r in self._global:
            if r.kind == "dir-merge":
                load(r)
        self._frames.append(frame)

    def _parent_scan(self) -> dict[int, tuple[list[FilterRule], list[FilterRule]]]:
        """What the transfer root inherits from its parents' merge files."""
        out: dict[int, tuple[list[FilterRule], list[FilterRule]]] = {}
        if self._root is None:
            return out
        for mrule in self._global:
            if mrule.kind == "dir-merge" and mrule.pattern.startswith(b"/") and \
                    (chain := self._scan_down(mrule, self._root)) is not None:
                out[id(mrule)] = (chain, chain)
        return out

    def _scan_down(self, mrule: FilterRule, target: bytes) -> list[FilterRule] | None:
        """The rules an absolute dir-merge name gives *target* (an absolute directory)
        from the directories between its own and target, target excluded; None when its
        directory does not lead to target (upstream: no scan then)."""
        top, _, name = mrule.pattern.rpartition(b"/")
        top, target = os.path.normpath(top or b"/"), os.path.normpath(target)
        if target != top and not target.startswith(top.rstrip(b"/") + b"/"):
            return None
        chain: list[FilterRule] = []
        d = top
        while d != target:
            below = os.path.relpath(target, d)  # from d down to the target
            data = self._read(os.path.join(d, name))
            if data is not None:
                local, cleared = self._parse_local(mrule, data, b"", below,
                                                   self._label(mrule, os.path.join(d, name)))
                chain = [] if mrule.no_inherit else local + ([] if cleared else chain)
            d = os.path.join(d, below.split(b"/")[0])
        return chain

    def _label(self, mrule: FilterRule, path: bytes) -> MergeOrigin:
        """Where a per-directory file's rules come from: its path, unless a rule read
        from another file named it with a directory part (it could be anything;
        upstream does not say it either)."""
        nested = not any(mrule is g for g in self._global)
        return MergeOrigin() if nested and mrule.pattern.startswith(b"/") else MergeOrigin(path)

    def _parse_local(
        self, mrule: FilterRule, data: bytes, dirpath: bytes, above: bytes | None = None,
        label: MergeOrigin | None = None,
    ) -> tuple[list[FilterRule], bool]:
        """One merge file's rules (anchored ones made to count from its directory);
        above: for a parent of the transfer root, the path from it down to the root
        (an anchored rule that cannot reach into the root is dropped)."""
        out: list[FilterRule] = []
        sentinel = FilterRule(kind="exclude", pattern=b"\0")
        out.append(sentinel)

        def here(name: bytes) -> bytes:  # a merge file named in it: relative to its
            data = self._read(name if name.startswith(b"/") or not dirpath  # directory;
                              else dirpath + b"/" + name)                   # a missing
            return b"" if data is None else data                            # one: none
        merge_contents(mrule, data, here, out, 1, label or MergeOrigin(),  # (1: this file)
                       "sender" if self._side == "sender" else "generator")
        out = cvs_extras(out, [])
        cleared = not out or out[0] is not sentinel
        if not cleared:
            out.pop(0)
        rules = []
        for r in _on_side(out, self._side, self._delete_excluded):
            if r.pattern.startswith(b"/") and r.kind in ("include", "exclude") \
                    and not r.abs_path:  # (a '/' rule keeps its absolute path)
                if above is not None:
                    if not r.pattern.startswith(b"/" + above + b"/"):
                        continue
                    pat = r.pattern[len(above) + 1:]
                else:
                    pat = b"/" + dirpath + r.pattern if dirpath else r.pattern
                r = replace(r, pattern=pat, slash_cnt=pat.count(b"/"))  # (from the root)
            elif above is None and self._root is not None:
                r = self._anchored(r, os.path.join(self._root, dirpath) if dirpath
                                   else self._root)
            rules.append(r)
        return rules, cleared

    def leave_dir(self) -> None:
        """Drop the rules loaded by the matching enter_dir."""
        if self._frames:
            self._frames.pop()

    def _iter(self, rules: Iterable[FilterRule], owner: FilterRule | None = None):
        """(rule, the dir-merge rule whose file it came from, or None), in order."""
        frame = self._frames[-1] if self._frames else {}
        for r in rules:
            if r.kind == "dir-merge":
                here = frame.get(id(r))
                if here is not None:
                    yield from self._iter(here[1], r)
                continue
            yield r, owner

    def _first(self, relpath: bytes, is_dir: bool):
        for r, owner in self._iter(self._global):
            if rule_matches(r, relpath, is_dir, self._root):
                return r, owner
        return None, None

    def match(self, relpath: bytes, is_dir: bool) -> FilterRule | None:
        """The first rule matching *relpath*, or None.  upstream: check_filter."""
        return self._first(relpath, is_dir)[0]

    def excluded(self, relpath: bytes, is_dir: bool, trace=None, who: str = "sender") -> bool:
        """True if the first matching rule is an exclude. trace(text): told which rule
        decided, as upstream's -vv (--debug=FILTER) says it; who: the side deciding."""
        r, owner = self._first(relpath, is_dir)
        if r is None:
            return False
        if trace is not None:
            trace(trace_line(who, r, owner, relpath, is_dir))
        return not r.include


def trace_line(who: str, r: FilterRule, owner: FilterRule | None, name: bytes,
               is_dir: bool) -> str:
    """upstream exclude.c report_filter_result: "[sender] hiding file NAME because of
    pattern PAT" (showing for an include; a generator deciding what --delete spares
    says protecting/risking). A rule read from a file is named by that, never by its
    text; one from a per-directory file says which (" [per-dir NAME]"), one of -C's
    global list says " [global CVS]"."""
    action = ("risk" if r.include else "protect") if who == "generator" else \
        ("show" if r.include else "hid")
    pattern = "<rule from a file read earlier>" if r.from_file else \
        os.fsdecode(r.pattern) + ("/" if r.directory else "")
    where = " [global CVS]" if r.global_cvs else ""
    if owner is not None:
        merge_name = owner.pattern.rsplit(b"/", 1)[-1]
        where = " [per-dir " + ("<rule from a file read earlier>" if owner.from_file
                                else os.fsdecode(merge_name)) + "]"
    return (f"[{who}] {action}ing {'directory' if is_dir else 'file'} "
            f"{os.fsdecode(name)} because of pattern {pattern}{where}")
