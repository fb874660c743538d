"""Option values as upstream's command line reads them, and the error a refused command
line raises: popt's integers (options.c's POPT_ARG_INT), parse_size_arg's sizes, the
names --compress-choice and --checksum-choice take, --debug's words."""

__all__ = ["UsageError", "popt_int", "parse_size_arg", "check_choice", "checked_debug"]


class UsageError(Exception):
    """A command line upstream refuses: its words after "rsync: ", or alone (plain),
    and its exit code."""

    def __init__(self, text: str, plain: bool = False, exit_code: int = 1):
        super().__init__(text)
        self.plain, self.exit_code = plain, exit_code

    def line(self, prog: str) -> str:
        return str(self) if self.plain else f"{prog}: {self}"


_COMPRESS_NAMES = frozenset(("auto", "zstd", "lz4", "zlibx", "zlib", "none"))
_CHECKSUM_NAMES = frozenset(("auto", "xxh128", "xxh3", "xxh64", "xxhash", "md5", "md4",
                             "sha1", "none"))
_DEBUG_WORDS = frozenset(("acl", "backup", "bind", "chdir", "connect", "cmd", "del",
                          "deltasum", "dup", "exit", "filter", "flist", "fuzzy", "genr",
                          "hash", "hlink", "iconv", "io", "nstr", "own", "proto", "recv",
                          "send", "time", "all", "none", "help"))


def checked_debug(text: str) -> str:
    """--debug's words, each known (upstream: options.c parse_output_words)."""
    import re
    for word in filter(None, re.split(r"[,\s]+", text)):
        m = re.fullmatch(r"([a-z]+?)(\d*)", word.lower())
        if not m or m.group(1) not in _DEBUG_WORDS:
            raise UsageError(f"Unknown --debug item: \"{word}\"", True)
    return text


def check_choice(value: str, checksum: bool) -> None:
    """A --compress-choice or --checksum-choice ("A,B" for a checksum) that names
    something known, in any case (upstream: compat.c, checksum.c: exit 4 otherwise)."""
    what, known = ("checksum", _CHECKSUM_NAMES) if checksum else ("compress", _COMPRESS_NAMES)
    for name in value.split(",", 1) if checksum else [value]:
        if name.lower() not in known:
            raise UsageError(f"unknown {what} name: {name}", True, 4)


def popt_int(text: str, shown: str) -> int:
    """An integer option's value as popt reads it: C's strtol with base 0 (0x hex, a
    leading 0 octal, an empty value 0), the whole value, within an int; else upstream's
    words, naming the option as it was given ("--timeout=5x", or the value alone when
    it came as the next word)."""
    import re
    m = re.fullmatch(r"\s*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?", text)
    if m is None or (m.group(2) is None and text.strip()):
        raise UsageError(f"{shown}: invalid numeric value")
    digits = m.group(2) or "0"
    n = int(digits, 16 if digits[:2].lower() == "0x" else 8 if digits[0] == "0" else 10)
    n = -n if m.group(1) == "-" else n
    if not -(1 << 31) <= n < 1 << 31:
        raise UsageError(f"{shown}: number too large or too small")
    return n


def _human3(n: int) -> str:
    """upstream do_big_num(n, 3): 1024-based units with two decimals past 999."""
    unit = ""
    for unit in ("", "K", "M", "G", "T"):
        if n < 1000 or unit == "T":
            break
        n /= 1024
    return f"{n:.2f}{unit}" if unit else str(n)


def parse_size_arg(text: str, default_suffix: str, name: str, low: int, high: int,
                   unlimited_0: bool) -> int:
    """upstream options.c parse_size_arg, step for step: digits (and a '.' part), a unit
    (B K M G T P, else default_suffix) counted in 1024s, in 1000s with a trailing "B"
    ("KB"), "iB" 1024 again, an optional +1/-1; within low..high (high -1: no bound; 0
    allowed when unlimited_0). Else upstream's words: "--NAME=TEXT is invalid", "is
    too large (max: ...)", "is too small (min: ...)"."""
    import re

    def fail(err: str, limit: int = -1, which: str = "") -> UsageError:
        more = ""
        if which and limit >= 0:
            more = f" ({which}: {_human3(limit)}" + (
                " or 0 for unlimited)" if unlimited_0 and which == "min" else ")")
        return UsageError(f"--{name}={text} is {err}{more}")
    k, n = 0, len(text)
    while k < n and text[k] in "0123456789":
        k += 1
    if k < n and text[k] == ".":
        k += 1
        while k < n and text[k] in "0123456789":
            k += 1
    unit = default_suffix
    if k < n and text[k] not in "+-":
        unit, k = text[k], k + 1
    reps = "bkmgtp".find(unit.lower()) if len(unit) == 1 else -1
    if reps < 0:
        raise fail("invalid")
    if k < n and text[k] in "bB":
        mult, k = 1000, k + 1
    elif k == n or text[k] in "+-":
        mult = 1024
    elif text[k:k + 2].lower() == "ib":
        mult, k = 1024, k + 2
    else:
        raise fail("invalid")
    size_max = high if high >= 0 else (1 << 63) - 1
    scale = 1
    for _ in range(reps):
        if scale > size_max // mult:
            raise fail("too large", high, "max")
        scale *= mult
    m = re.match(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", text)  # (strtod)
    number = float(m.group()) if m else 0.0
    if number < 0 or number > size_max / scale or (high < 0 and number >= size_max / scale):
        raise fail("too large", high, "max")
    size = int(number * scale)
    if k < n and text[k] in "+-" and text[k + 1:k + 2] == "1" and k:
        if text[k] == "+":
            if size == size_max:
                raise fail("too large", high, "max")
            size += 1
        else:
            size -= 1
        k += 2
    if k < n:
        raise fail("invalid")
    if size < 0 or (high >= 0 and size > high):
        raise fail("too large", high, "max")
    if size < low and (not unlimited_0 or size != 0):
        raise fail("too small", low, "min")
    return size
