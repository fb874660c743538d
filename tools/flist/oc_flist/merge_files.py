"""Reading merge files into rule lists (upstream: exclude.c parse_filter_file,
parse_merge_name's messages, get_cvs_excludes): a merge file's rules expanded in place
with the merge rule's modifiers, nested merge files, -C's lists, and the messages for a
bad rule or a file that cannot be read, which say where, never what a file holds.

Files are read through a caller-supplied ``read_file(path) -> bytes | None``."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable

from oc_core.operator_paths import UNTRUSTED_SYMLINK_TEXT, UntrustedSymlink, open_operator_path
from oc_wire.errors import OcError

from .filters_parse import (
    DEFAULT_CVSIGNORE,
    FilterRule,
    FilterSyntaxError,
    parse_rule,
    split_merge_text,
)

__all__ = ["Reader", "files_under", "home_cvsignore", "FilterFileError", "MergeOrigin", "add_rule",
           "merge_contents", "expand", "cvs_extras", "CVS_EXTRAS", "rules_file"]

Reader = Callable[[bytes], "bytes | None"]


def home_cvsignore() -> bytes | None:
    """~/.cvsignore's contents (for -C's list), None without one."""
    try:
        with open(os.path.join(os.fsencode(os.environ.get("HOME", "")), b".cvsignore"),
                  "rb") as f:
            return f.read()
    except OSError:
        return None


def files_under(root: bytes, insecure: bool = False,
                warn: Callable[[str], None] | None = None) -> Reader:
    """A read_file for walkers: the bytes of root/rel, or None when it cannot be read
    (a missing per-directory merge file is not an error). A symlink is followed only
    when root or we own it (a .cvsignore planted by another user must not pull in a
    file of its choosing): another's is refused, warn() told upstream's words, and the
    file taken as missing; --insecure-links (insecure) follows any."""
    def read(rel: bytes):
        path = os.path.join(root, rel)
        try:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC
                             | (0 if insecure else os.O_NOFOLLOW))
            except OSError as e:  # a symlink (ELOOP): only a trusted one is followed
                if insecure or e.errno != errno.ELOOP:
                    raise
                fd = open_operator_path(path, os.O_RDONLY | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as f:
                return f.read()
        except UntrustedSymlink:
            if warn is not None:
                warn(UNTRUSTED_SYMLINK_TEXT)
            return None
        except OSError:
            return None
    return read


def expand(
    texts: Iterable[bytes],
    default: str | None,
    template: FilterRule | None,
    read_file: Reader | None,
    out: list[FilterRule],
    depth: int = 0,
) -> None:
    """Parse rule strings into *out*, honouring '!' and merging '.' files in place."""
    for text in texts:
        rule = parse_rule(text, default, template)
        add_rule(rule, read_file, out, depth)


# where a "-C" rule's expansion continues with ~/.cvsignore and $CVSIGNORE (upstream:
# exclude.c get_cvs_excludes, which adds them once, at the first such rule)
CVS_EXTRAS = FilterRule(kind="exclude", pattern=b"\0cvs-extras")


def cvs_extras(out: list[FilterRule], extras: list[FilterRule]) -> list[FilterRule]:
    """out with the first -C marker replaced by extras and any later ones dropped."""
    result, done = [], False
    for r in out:
        if r is CVS_EXTRAS:
            if not done:
                result += extras
                done = True
            continue
        result.append(r)
    return result


class FilterFileError(OcError):
    """A rules file named on the command line cannot be read (upstream: exclude.c
    parse_filter_file with XFLG_FATAL_ERRORS, exit 11); plain: said without the
    program's name (upstream rprintf, for a file named inside another)."""

    exit_code = 11

    def __init__(self, text: str, plain: bool = False):
        super().__init__(text)
        self.plain = plain


def rules_file(read_file: Reader | None, name: bytes, include: bool,
                site: str | None = None) -> bytes:
    """The contents of an --exclude-from/--include-from or merge file; a reader may
    return None or raise OSError (then its reason is told). site: where a merge file
    named inside another file was named; the message says that, not the name (it is
    that file's text; upstream: the text alone, no errno)."""
    what = f"failed to open {'in' if include else 'ex'}clude file "
    try:
        data = read_file(name) if read_file else None
    except OSError as e:
        data, reason = None, f": {e.strerror} ({e.errno})"
    else:
        reason = ""
    if data is None:
        if site is not None:
            raise FilterFileError(f"{what}<rule from {site}>", plain=True)
        raise FilterFileError(f"{what}{os.fsdecode(name)}{reason}")
    return data


class MergeOrigin:
    """Where a merge file's rules come from, as a bad rule's message says it (upstream:
    exclude.c rule_text): "PATH line N" for a file a rule of the user named; for a file
    named inside such a file, "a file named at PATH line N" (the naming rule's place,
    not the file's own name or text), nested again as deep as they go ("a file named at
    a file named at ..."); otherwise "a file read earlier"."""

    def __init__(self, path: bytes | None = None, fixed: str = "a file read earlier"):
        self.path, self.fixed = path, fixed

    def at(self, line: int) -> str:
        return f"{os.fsdecode(self.path)} line {line}" if self.path is not None else self.fixed

    def naming(self, line: int) -> MergeOrigin:
        """Where the rules of a file named at this file's line come from (upstream:
        parse_filter_file's named_at, this file's own description nested)."""
        return MergeOrigin(fixed=f"a file named at {self.at(line)}")


MAX_MERGE_DEPTH = 32  # merge files open inside each other (upstream: exclude.c)


def add_rule(rule: FilterRule, read_file: Reader | None, out: list[FilterRule], depth: int,
         site: tuple[MergeOrigin, int] | None = None, who: str = "client") -> None:
    """site: the file and line the rule was read at (None: the user's own rule);
    depth: merge files being read (the one holding this rule counted); who: the side
    reading them, for the depth limit's message."""
    if rule.kind == "clear":
        out.clear()
        return
    if rule.kind == "merge":
        if depth >= MAX_MERGE_DEPTH:  # (a file merging itself stops here, as upstream's)
            where = f"<rule from {site[0].at(site[1])}>" if site is not None else \
                os.fsdecode(rule.pattern)
            raise FilterFileError(f"[{who}] merge-file include depth limit "
                                  f"({MAX_MERGE_DEPTH}) exceeded at {where}", plain=True)
        data = rules_file(read_file, rule.pattern, rule.include,
                           site[0].at(site[1]) if site is not None else None)
        if rule.exclude_self:
            out.append(_self_exclude(rule))
        merge_contents(rule, data, read_file, out, depth + 1,
                        site[0].naming(site[1]) if site is not None else MergeOrigin(rule.pattern),
                        who)
        return
    if rule.kind == "dir-merge":
        out.append(rule)
        if rule.exclude_self:
            out.append(_self_exclude(rule))
        return
    if rule.cvs and not rule.pattern and rule.kind == "exclude":
        expand(
            DEFAULT_CVSIGNORE.split(),
            "exclude",
            FilterRule(kind="exclude", perishable=True, global_cvs=True),
            None,
            out,
        )
        out.append(CVS_EXTRAS)  # ~/.cvsignore and $CVSIGNORE go here (the first time)
        return
    out.append(rule)


def _self_exclude(mrule: FilterRule) -> FilterRule:
    """The exclude an 'e' modifier adds for the merge file's own base name: its text is
    the merge rule's, so it is said as that rule is (from a file: never its text)."""
    return FilterRule(kind="exclude", pattern=mrule.pattern.rsplit(b"/", 1)[-1],
                      from_file=mrule.from_file)


def merge_contents(
    mrule: FilterRule, data: bytes, read_file: Reader | None, out: list[FilterRule], depth: int,
    origin: MergeOrigin, who: str = "client",
) -> None:
    """Rules of a merge file, inheriting the merge rule's modifiers; origin: where they
    come from, for a bad rule's message (which never holds the file's text)."""
    template = FilterRule(
        kind="exclude",
        sender=mrule.sender,
        receiver=mrule.receiver,
        perishable=mrule.perishable,
        abs_path=mrule.abs_path,
        no_prefixes=mrule.no_prefixes and not mrule.cvs,
        from_file=True,
    )
    default = None
    if mrule.no_prefixes:
        default = "include" if mrule.prefix_include else "exclude"
    for line, text in _numbered(data, mrule.word_split):
        try:
            if default is None:
                rule = parse_rule(text, None, template)
            elif text == b"!" and mrule.cvs:
                out.clear()
                continue
            else:
                rule = parse_rule(text, default, template)
        except FilterSyntaxError as e:  # the file's text is not echoed: a merge file
            raise _hidden(e, origin.at(line)) from None  # may be anything a peer names
        add_rule(rule, read_file, out, depth, (origin, line), who)


def _numbered(data: bytes, word_split: bool) -> Iterable[tuple[int, bytes]]:
    """split_merge_text's rule strings, each with its line number."""
    for n, line in enumerate(data.split(b"\n"), 1):
        for text in split_merge_text(line, word_split):
            yield n, text


def _hidden(e: FilterSyntaxError, place: str) -> FilterSyntaxError:
    """A merge file's bad rule, said by its place, not its text."""
    where = f"<rule from {place}>"
    if str(e).startswith("invalid modifier"):
        return FilterSyntaxError(f"invalid modifier in filter rule: {where}")
    if str(e).startswith("unknown filter rule"):
        return FilterSyntaxError(f"Unknown filter rule: {where}")
    return FilterSyntaxError(f"bad filter rule: {where}")
