"""One filter rule: its parsed form, its text syntax, and whether it matches a name.

Owns the grammar of rsync filter rules (short prefixes ``- + . : H S P R !``,
long names, modifiers after the prefix or after ``,``, ``_`` or space before
the pattern, ``--exclude``/``--include`` old-style prefixes) and the per-name
match test.

upstream: exclude.c parse_rule_tok, add_rule, rule_matches;
rsync.1.md "FILTER RULES", "INCLUDE/EXCLUDE PATTERN RULES".
"""

from __future__ import annotations

from types import MappingProxyType

from oc_core.record import field, record, replace
from oc_wire.errors import OcError

from .wildmatch import has_wild, litmatch_array, wildmatch_array

__all__ = [
    "FilterRule",
    "FilterSyntaxError",
    "parse_rule",
    "split_merge_text",
    "rule_matches",
    "DEFAULT_CVSIGNORE",
]

# upstream: rsync.1.md --cvs-exclude (the default-cvsignore list)
DEFAULT_CVSIGNORE = (
    b"RCS SCCS CVS CVS.adm RCSLOG cvslog.* tags TAGS .make.state .nse_depinfo "
    b"*~ #* .#* ,* _$* *$ *.old *.bak *.BAK *.orig *.rej .del-* *.a *.olb *.o "
    b"*.obj *.so *.exe *.Z *.elc *.ln core .svn/ .git/ .hg/ .bzr/"
)

_SHORT = MappingProxyType(
    {
        0x2D: "exclude",
        0x2B: "include",
        0x2E: "merge",
        0x3A: "dir-merge",
        0x48: "hide",
        0x53: "show",
        0x50: "protect",
        0x52: "risk",
        0x21: "clear",
    }
)
_LONG = MappingProxyType(
    {
        b"exclude": "exclude",
        b"include": "include",
        b"merge": "merge",
        b"dir-merge": "dir-merge",
        b"hide": "hide",
        b"show": "show",
        b"protect": "protect",
        b"risk": "risk",
        b"clear": "clear",
    }
)
_RULE_MODS = frozenset(b"/!Csrpx")
_MERGE_MODS = frozenset(b"-+Cenwsrpx/")


class FilterSyntaxError(OcError, ValueError):
    """A rule string that upstream would reject (it exits with code 1); upstream says so
    without naming the program (rprintf FERROR)."""

    exit_code = 1
    plain = True


@record(frozen=True)
class FilterRule:
    """A parsed rule.  *kind* is exclude/include/merge/dir-merge/clear or a
    side-specific alias resolved into include/exclude plus *sender*/*receiver*."""

    kind: str
    pattern: bytes = b""
    directory: bool = False  # trailing '/': match directories only
    abs_path: bool = False  # '/' modifier (or anchored in a per-dir file)
    negate: bool = False
    cvs: bool = False
    sender: bool = False
    receiver: bool = False
    perishable: bool = False
    xattr: bool = False
    # merge / dir-merge modifiers
    no_inherit: bool = False
    word_split: bool = False
    no_prefixes: bool = False
    prefix_include: bool = False
    exclude_self: bool = False
    slash_cnt: int = field(default=0, compare=False)
    # read from a file's contents: messages name its place, never its text (exclude.c
    # FILTRULE_FROM_FILE)
    from_file: bool = field(default=False, compare=False)
    # one of -C's global list (upstream keeps them in cvs_filter_list, whose matches
    # -vv marks " [global CVS]")
    global_cvs: bool = field(default=False, compare=False)

    @property
    def include(self) -> bool:
        return self.kind == "include"


def _finish(rule: FilterRule) -> FilterRule:
    """Strip a trailing '/' into *directory* and count slashes (upstream: add_rule)."""
    pat = rule.pattern
    directory = rule.directory
    if rule.kind in ("include", "exclude") and len(pat) > 1 and pat.endswith(b"/"):
        pat = pat[:-1]
        directory = True
    return replace(rule, pattern=pat, directory=directory, slash_cnt=pat.count(b"/"))


def parse_rule(
    text: bytes, default: str | None = None, template: FilterRule | None = None
) -> FilterRule:
    """Parse one rule.

    *default* is "exclude"/"include" for ``--exclude``/``--include`` values and
    for merge files read with ``-``/``+`` (then only ``- ``/``+ `` prefixes and
    a lone ``!`` are recognised, or none if *template.no_prefixes*).
    *template* carries modifiers inherited from a merge rule.
    Raises FilterSyntaxError.  upstream: exclude.c parse_rule_tok.
    """
    base = template or FilterRule(kind="exclude")
    if default is not None:
        if text == b"!" and not base.no_prefixes:
            return FilterRule(kind="clear")
        if (
            not base.no_prefixes
            and len(text) >= 2
            and text[1:2] == b" "
            and text[:1] in (b"-", b"+")
        ):
            kind = "include" if text[:1] == b"+" else "exclude"
            return _finish(replace(base, kind=kind, pattern=text[2:]))
        if not text:
            raise FilterSyntaxError("empty pattern")
        return _finish(replace(base, kind=default, pattern=text))
    if not text:
        raise FilterSyntaxError("empty rule")
    i = 0
    word_end = 0
    while word_end < len(text) and (
        text[word_end : word_end + 1].isalpha() or text[word_end] == 0x2D
    ):
        word_end += 1
    word = text[:word_end]
    if word in _LONG and (word_end == len(text) or text[word_end] in b", _"):
        kind = _LONG[word]
        i = word_end
        if i < len(text) and text[i] == 0x2C:
            i += 1
    elif text[0] in _SHORT:
        kind = _SHORT[text[0]]
        i = 2 if text[1:2] == b"," else 1  # "-,s": a comma may follow the rule's char
    else:
        raise FilterSyntaxError(f"unknown filter rule: {text!r}")
    sender = receiver = False
    if kind in ("hide", "show"):
        sender = True
        kind = "exclude" if kind == "hide" else "include"
    elif kind in ("protect", "risk"):
        receiver = True
        kind = "exclude" if kind == "protect" else "include"
    rule = replace(
        base, kind=kind, sender=sender or base.sender, receiver=receiver or base.receiver
    )
    allowed = _MERGE_MODS if kind in ("merge", "dir-merge") else _RULE_MODS
    while i < len(text) and text[i] not in b" _":
        m = text[i]
        if m not in allowed:
            raise FilterSyntaxError(f"invalid modifier {chr(m)!r} in {text!r}")
        rule = _apply_mod(rule, m)
        i += 1
    if i < len(text):
        i += 1  # the single separator
    pattern = text[i:]
    if kind == "clear":
        if pattern:
            raise FilterSyntaxError("'!' takes no pattern")
        return FilterRule(kind="clear")
    if rule.cvs and kind == "dir-merge" and not pattern:
        pattern = b".cvsignore"
    if not pattern and not (rule.cvs and kind in ("include", "exclude")):
        raise FilterSyntaxError(f"rule needs a pattern: {text!r}")
    return _finish(replace(rule, pattern=pattern))


def _apply_mod(rule: FilterRule, m: int) -> FilterRule:
    if m == 0x2F:
        return replace(rule, abs_path=True)
    if m == 0x21:
        return replace(rule, negate=True)
    if m == 0x43:
        if rule.kind in ("merge", "dir-merge"):
            return replace(rule, cvs=True, no_inherit=True, word_split=True, no_prefixes=True)
        return replace(rule, cvs=True)
    if m == 0x73:
        return replace(rule, sender=True)
    if m == 0x72:
        return replace(rule, receiver=True)
    if m == 0x70:
        return replace(rule, perishable=True)
    if m == 0x78:
        return replace(rule, xattr=True)
    if m == 0x6E:
        return replace(rule, no_inherit=True)
    if m == 0x77:
        return replace(rule, word_split=True)
    if m == 0x65:
        return replace(rule, exclude_self=True)
    if m == 0x2D:
        return replace(rule, no_prefixes=True, prefix_include=False)
    if m == 0x2B:
        return replace(rule, no_prefixes=True, prefix_include=True)
    raise FilterSyntaxError(f"invalid modifier {chr(m)!r}")


def split_merge_text(data: bytes, word_split: bool, nul: bool = False) -> list[bytes]:
    """Split a merge/exclude-from file into rule strings.

    Lines (or NUL-separated records with *nul*), trailing CR dropped, blank
    lines and lines starting with ';' or '#' skipped; with *word_split*,
    whitespace-separated words and no comments.
    upstream: exclude.c parse_filter_file.
    """
    if word_split:
        return data.split()
    out = []
    for line in data.split(b"\0" if nul else b"\n"):
        if not nul:
            line = line.rstrip(b"\r")
        if not line or (not nul and line[:1] in (b";", b"#")):
            continue
        out.append(line)
    return out


def rule_matches(rule: FilterRule, name: bytes, is_dir: bool,
                 root: bytes | None = None) -> bool:
    """True if *rule* applies to *name* (path relative to the transfer root).

    upstream: exclude.c rule_matches.  A pattern without '/' and without
    ``**`` matches the last element; an anchored one the whole path; one with
    an inner '/' the last slash_cnt+1 elements; one with ``**`` (not leading)
    after any '/'.  A trailing ``/***`` also matches the directory itself.
    A directory-only rule never applies to a non-directory; an xattr rule (modifier
    'x') applies to extended-attribute names only, never to a file's. A '/' rule
    (abs_path) with a slash matches the absolute path: *root* (the transfer root's
    absolute directory, upstream's curr_dir) joined to *name*.
    """
    if rule.xattr:
        return False
    hit = not rule.negate
    pat = rule.pattern
    if not name:
        return False
    wild = has_wild(pat)
    wild2 = b"**" in pat if wild else False
    wild2_prefix = wild2 and pat.startswith(b"**")
    wild3_suffix = wild2 and pat.endswith(b"***")
    pieces = [name]
    if not rule.slash_cnt and not wild2:
        pieces = [name.rsplit(b"/", 1)[-1]]
    elif rule.abs_path and root and root != b"/":
        pieces = [root[1:], b"/", name]
    elif wild2_prefix and not pat.startswith(b"/"):
        pieces = [b"/", name]
    if is_dir:
        if wild3_suffix:
            pieces.append(b"/")
    elif rule.directory:
        return not hit
    anchored = pat.startswith(b"/")
    if anchored:
        pat = pat[1:]
    if not anchored and rule.slash_cnt and not wild2:
        where = rule.slash_cnt + 1
    elif not anchored and not wild2_prefix and wild2:
        where = -1
    else:
        where = 0
    if wild:
        ok = wildmatch_array(pat, pieces, where)
    elif len(pieces) > 1:
        ok = litmatch_array(pat, pieces, where)
    elif anchored:
        ok = pieces[0] == pat
    else:
        s = pieces[0]
        ok = s.endswith(pat) and (len(s) == len(pat) or s[len(s) - len(pat) - 1] == 0x2F)
    return hit if ok else not hit
