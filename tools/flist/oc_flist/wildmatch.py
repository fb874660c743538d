"""Shell-style wildcard matching on byte strings, as rsync's filter rules use it.

Owns the matcher behind include/exclude patterns: ``*`` (no '/'), ``**`` (may
cross '/'), ``?`` (one non-'/' byte), ``[...]`` classes with ``!``/``^``
negation, ranges and ``[:name:]`` classes, and ``\\`` escapes.  Also the
"array" entry used by filter rules, where the text is a sequence of pieces and
the match may start at the beginning, after every '/', or only on the last N
path elements.

upstream: lib/wildmatch.c (dowild, wildmatch, wildmatch_array, litmatch_array)

Facts kept from upstream:
- a class never matches '/', even ``[!a]`` or ``[/]``;
- ``]`` right after ``[`` or ``[!`` is a literal member;
- an unknown ``[:name:]`` aborts the whole match (no match);
- a trailing single ``*`` fails if the remaining text holds a '/';
- the search is bounded by upstream's abort codes (ABORT_ALL stops every
  retry, ABORT_TO_STARSTAR stops retries up to the nearest ``**``), which keeps
  the running time polynomial.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["wildmatch", "wildmatch_array", "litmatch_array", "has_wild"]

_FALSE = 0
_TRUE = 1
_ABORT_ALL = -1
_ABORT_TO_STARSTAR = -2

_CLASSES = MappingProxyType(
    {
        b"alnum": lambda c: chr(c).isalnum() and c < 128,
        b"alpha": lambda c: chr(c).isalpha() and c < 128,
        b"blank": lambda c: c in (0x20, 0x09),
        b"cntrl": lambda c: c < 32 or c == 127,
        b"digit": lambda c: 48 <= c <= 57,
        b"graph": lambda c: 33 <= c <= 126,
        b"lower": lambda c: 97 <= c <= 122,
        b"print": lambda c: 32 <= c <= 126,
        b"punct": lambda c: 33 <= c <= 126 and not chr(c).isalnum(),
        b"space": lambda c: c in (0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D),
        b"upper": lambda c: 65 <= c <= 90,
        b"xdigit": lambda c: chr(c) in "0123456789abcdefABCDEF",
    }
)


def has_wild(pattern: bytes) -> bool:
    """True if *pattern* holds any of ``*?[`` (upstream: exclude.c add_rule)."""
    return any(c in pattern for c in (b"*", b"?", b"["))


def _class(p: bytes, pi: int, t_ch: int) -> tuple[int, int]:
    """Match one ``[...]`` at p[pi] (the '[') against t_ch.

    Returns (result, index of the closing ']'); result is _TRUE, _FALSE or
    _ABORT_ALL.  upstream: lib/wildmatch.c dowild, case '['.
    """
    n = len(p)
    pi += 1
    p_ch = p[pi] if pi < n else 0
    negate = p_ch in (0x21, 0x5E)
    if negate:
        pi += 1
        p_ch = p[pi] if pi < n else 0
    prev = 0
    matched = False
    while True:
        if not p_ch:
            return _ABORT_ALL, pi
        if p_ch == 0x5C:
            pi += 1
            p_ch = p[pi] if pi < n else 0
            if not p_ch:
                return _ABORT_ALL, pi
            if t_ch == p_ch:
                matched = True
        elif p_ch == 0x2D and prev and pi + 1 < n and p[pi + 1] != 0x5D:
            pi += 1
            p_ch = p[pi]
            if p_ch == 0x5C:
                pi += 1
                p_ch = p[pi] if pi < n else 0
                if not p_ch:
                    return _ABORT_ALL, pi
            if prev <= t_ch <= p_ch:
                matched = True
            p_ch = 0
        elif p_ch == 0x5B and pi + 1 < n and p[pi + 1] == 0x3A:
            s = pi + 2
            q = s
            while q < n and p[q] != 0x5D:
                q += 1
            if q >= n:
                return _ABORT_ALL, q
            if q - s - 1 < 0 or p[q - 1] != 0x3A:
                # no ":]" before the "]": the '[' is an ordinary member
                if t_ch == 0x5B:
                    matched = True
                p_ch = 0x5B
            else:
                test = _CLASSES.get(p[s : q - 1])
                if test is None:
                    return _ABORT_ALL, q
                if test(t_ch):
                    matched = True
                pi = q
                p_ch = 0
        elif t_ch == p_ch:
            matched = True
        prev = p_ch
        pi += 1
        p_ch = p[pi] if pi < n else 0
        if p_ch == 0x5D:
            break
    if matched == negate or t_ch == 0x2F:
        return _FALSE, pi
    return _TRUE, pi


def _dowild(p: bytes, pi: int, t: bytes, ti: int) -> int:
    """upstream: lib/wildmatch.c dowild (text pieces already joined)."""
    np, nt = len(p), len(t)
    while pi < np:
        p_ch = p[pi]
        if ti >= nt and p_ch != 0x2A:
            return _ABORT_ALL
        t_ch = t[ti] if ti < nt else 0
        if p_ch == 0x5C:
            pi += 1
            p_ch = p[pi] if pi < np else 0
            if t_ch != p_ch:
                return _FALSE
        elif p_ch == 0x3F:
            if t_ch == 0x2F:
                return _FALSE
        elif p_ch == 0x2A:
            pi += 1
            special = False
            if pi < np and p[pi] == 0x2A:
                while pi < np and p[pi] == 0x2A:
                    pi += 1
                special = True
            if pi >= np:
                if not special and t.find(b"/", ti) >= 0:
                    return _FALSE
                return _TRUE
            while ti < nt:
                r = _dowild(p, pi, t, ti)
                if r != _FALSE:
                    if not special or r != _ABORT_TO_STARSTAR:
                        return r
                elif not special and t[ti] == 0x2F:
                    return _ABORT_TO_STARSTAR
                ti += 1
            return _ABORT_ALL
        elif p_ch == 0x5B:
            r, pi = _class(p, pi, t_ch)
            if r != _TRUE:
                return r
        elif t_ch != p_ch:
            return _FALSE
        pi += 1
        ti += 1
    return _TRUE if ti >= nt else _FALSE


def wildmatch(pattern: bytes, text: bytes) -> bool:
    """True if *text* matches *pattern* in full.  upstream: lib/wildmatch.c wildmatch."""
    return _dowild(pattern, 0, text, 0) == _TRUE


def _starts(text: bytes, where: int) -> list[int]:
    """Offsets a match may start at: 0 (where=0), after every '/' (-1), or
    at the start of the last *where* path elements (upstream's slash_handling)."""
    if where == 0:
        return [0]
    slashes = [i + 1 for i, c in enumerate(text) if c == 0x2F]
    if where < 0:
        return [0] + slashes
    if len(slashes) < where:
        return [0]
    return [slashes[-where]]


def wildmatch_array(
    pattern: bytes, pieces: list[bytes] | tuple[bytes, ...], where: int = 0
) -> bool:
    """Match *pattern* against the concatenation of *pieces*.

    *where*: 0 = anchored at the start, -1 = may start after any '/',
    N > 0 = match only the last N '/'-separated elements.
    upstream: lib/wildmatch.c wildmatch_array.
    """
    text = b"".join(pieces)
    starts = _starts(text, where)
    r = _dowild(pattern, 0, text, starts[0])
    if r == _TRUE:
        return True
    if where >= 0 or r == _ABORT_ALL:
        return False
    for start in starts[1:]:
        r = _dowild(pattern, 0, text, start)
        if r != _FALSE and r != _ABORT_TO_STARSTAR:
            return r == _TRUE
    return False


def litmatch_array(literal: bytes, pieces: list[bytes] | tuple[bytes, ...], where: int = 0) -> bool:
    """Like wildmatch_array for a pattern with no wildcards (byte equality).

    upstream: lib/wildmatch.c litmatch_array.
    """
    text = b"".join(pieces)
    return any(text[s:] == literal for s in _starts(text, where))
