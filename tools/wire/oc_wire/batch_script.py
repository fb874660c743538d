"""The shell script upstream writes beside a batch file, BATCH.sh (upstream: batch.c
write_batch_shell_file, write_arg, write_opt, write_filter_rules).

It re-runs the command line with --read-batch in place of --write-batch /
--only-write-batch, without the source operands, the filter options (their rules follow in
a here-document fed to `--filter=._-`, or `--exclude-from=-` below protocol 29) and
--files-from; the destination becomes `${1:-DEST}` (a host prefix is dropped). Every
argument is single-quoted, a `--name=` prefix of a plain option staying outside the quotes.
"""
import re
import shlex

from oc_core.record import record

__all__ = ["batch_script", "BatchScript", "read_batch_script", "quote_arg"]

_PLAIN_OPT = re.compile(r"-[-_0-9A-Za-z]*=")
_FILTER_OPTS = ("--files-from", "--filter", "--include", "--exclude")
_HOST = re.compile(r"^(?:[^:/]*@)?[^:/]+::?")


def quote_arg(arg: str) -> str:
    m = _PLAIN_OPT.match(arg) if arg.startswith("-") else None
    head, rest = (m.group(0), arg[m.end():]) if m else ("", arg)
    return head + "'" + rest.replace("'", "'\\''") + "'"


def _dest_path(dest: str) -> str:
    """upstream check_for_hostspec: host:path and host::module/path lose the host."""
    m = _HOST.match(dest)
    if m and not dest.startswith(("/", "./")):
        return dest[m.end():]
    return dest


def batch_script(raw_argv: list[str], operands: list[str], rules: list[str],
                 protocol: int, eol_nulls: bool = False) -> str:
    """The BATCH.sh text for a command line: raw_argv as typed, operands the sources and
    destination left after option parsing, rules the filter rules with their prefixes
    ("- *.o"). Raises ValueError for a rule with a newline (upstream refuses it too)."""
    out = [quote_arg(raw_argv[0])]
    if rules:
        out.append("--filter=" + quote_arg("._-") if protocol >= 29
                   else "--exclude-from=" + quote_arg("-"))
    raw: list[str | None] = list(raw_argv)
    j = len(operands) - 1
    for i in range(len(raw) - 1, 0, -1):  # elide the operands, scanning from the end
        if j < 0:
            break
        if raw[i] == operands[j]:
            raw[i] = None
            j -= 1
    i = 1
    while i < len(raw):
        p = raw[i]
        i += 1
        if p is None:
            continue
        if p.startswith(_FILTER_OPTS):
            if "=" not in p:
                i += 1
            continue
        if p == "-f":
            i += 1
            continue
        for opt in ("--write-batch", "--only-write-batch"):
            if p.startswith(opt):
                rest = p[len(opt):]
                out.append("--read-batch" + ("=" + quote_arg(rest[1:])
                                             if rest.startswith("=") else ""))
                break
        else:
            out.append(quote_arg(p))
    text = " ".join(out) + " ${1:-" + quote_arg(_dest_path(operands[-1])) + "}"
    if rules:
        if any("\n" in r for r in rules):
            raise ValueError("cannot write a filter rule containing a newline to the batch "
                             "replay script")
        end = "\0" if eol_nulls else "\n"
        text += " <<'#E#'\n" + "".join(r + end for r in rules)
        text += (";\n" if eol_nulls else "") + "#E#"
    return text + "\n"


@record(frozen=True, slots=True)
class BatchScript:
    argv: list[str]       # the command, with --read-batch and ${1:-DEST} resolved to DEST
    dest: str
    rules: list[str]


def read_batch_script(text: str) -> BatchScript:
    """Parse a BATCH.sh upstream (or batch_script) wrote."""
    first, _, rest = text.partition("\n")
    rules = []
    if first.endswith(" <<'#E#'"):
        first = first[:-len(" <<'#E#'")]
        body, sep, _ = rest.partition("#E#")
        if not sep:
            raise ValueError("the filter rules' here-document has no #E# line")
        rules = [r for r in re.split(r"[\n\0]", body) if r and r != ";"]
    m = re.search(r" \$\{1:-(.*)\}$", first)
    if not m:
        raise ValueError("no ${1:-DEST} destination in the batch script")
    dest = shlex.split(m.group(1))[0]
    return BatchScript(shlex.split(first[:m.start()]) + [dest], dest, rules)
