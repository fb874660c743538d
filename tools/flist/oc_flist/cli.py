"""oc-flist command line: the only module of oc_flist that reads argv, uses click or exits.

`oc-flist [rsync selection and filter options] SRC...` prints what `rsync --list-only` prints
for the same arguments (with two or more operands the last one is rsync's destination and
is not listed). --null: NUL-separated names; --json: one object per entry; --wire: the
file-list bytes as the sender puts them on the wire (see FORMATS.md; with -r from
protocol 30 a list per directory, as upstream's incremental recursion sends them, unless
--no-inc-recursive); --decode: list such a stream.
"""
import json
import os
import sys

import click
from oc_wire.errors import OcError
from oc_wire.flist_codec import mark_hard_links
from oc_wire.flist_order import sort_key

from .build import BuildAbort, IncrementalBuild, Lines, ListFormat, ScanErrors, Selection, build
from .chmod import parse_chmod
from .files_from import names_in, sources_for
from .filters import FilterFileError, FilterRules, FilterSyntaxError
from .listing import list_line
from .wire import decode_list, encode_list, encode_lists, list_header, sorted_unique

_FILTER_OPTS = {"--exclude": "exclude", "--include": "include", "--filter": "filter",
                "-f": "filter", "--exclude-from": "exclude-from",
                "--include-from": "include-from"}


def _ordered_filters(argv: list[str]) -> list[tuple[str, str]]:
    """The filter options in command-line order (click keeps each option's values apart)."""
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            break
        name, eq, value = a.partition("=")
        if name in _FILTER_OPTS:
            if not eq:
                if i >= len(argv):
                    break
                value = argv[i]
                i += 1
            out.append((_FILTER_OPTS[name], value))
        elif a.startswith("-f") and not a.startswith("--") and len(a) > 2:
            out.append(("filter", a[2:]))
        elif a in ("-F", "--filter-F"):
            out.append(("F", ""))
        elif a.startswith("-") and not a.startswith("--") and "F" in a[1:] and "f" not in a:
            out.extend(("F", "") for ch in a[1:] if ch == "F")
        elif a in ("-C", "--cvs-exclude"):
            out.append(("C", ""))
        if a == "--from0" or (a.startswith("-") and not a.startswith("--") and "0" in a
                              and not a.startswith("-f")):
            out.append(("from0", True))
    return out


def _read_file(name: bytes):
    if name == b"-":
        return click.get_current_context().obj["stdin"].read()
    try:
        with open(name, "rb") as f:
            return f.read()
    except OSError:
        return None


@click.command(context_settings={"help_option_names": ["--help"],
                                 "ignore_unknown_options": False})
@click.option("-r", "--recursive", is_flag=True)
@click.option("-d", "--dirs", is_flag=True)
@click.option("-a", "--archive", is_flag=True, help="-rlptgoD")
@click.option("-l", "--links", is_flag=True)
@click.option("-L", "--copy-links", is_flag=True)
@click.option("-k", "--copy-dirlinks", is_flag=True)
@click.option("--copy-unsafe-links", is_flag=True)
@click.option("--safe-links", is_flag=True)
@click.option("-K", "--keep-dirlinks", is_flag=True,
              help="accepted: a receiver's option, nothing to a listing (as upstream)")
@click.option("-x", "--one-file-system", count=True)
@click.option("-R", "--relative", is_flag=True)
@click.option("--no-implied-dirs", is_flag=True)
@click.option("-p", "--perms", is_flag=True)
@click.option("-t", "--times", is_flag=True)
@click.option("-o", "--owner", is_flag=True)
@click.option("-g", "--group", is_flag=True)
@click.option("-D", "devices", is_flag=True, help="--devices --specials")
@click.option("-H", "--hard-links", is_flag=True)
@click.option("--numeric-ids", is_flag=True)
@click.option("-h", "--human-readable", "human", count=True)
@click.option("--no-human-readable", "--no-h", "no_human", is_flag=True)
@click.option("-8", "--8-bit-output", "eight_bit", is_flag=True)
@click.option("--list-only", is_flag=True, help="accepted; listing is the default")
@click.option("--files-from", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-0", "--from0", is_flag=True, help="--files-from and -from files are NUL-separated")
@click.option("--exclude", multiple=True)
@click.option("--include", multiple=True)
@click.option("-f", "--filter", multiple=True)
@click.option("--exclude-from", multiple=True)
@click.option("--include-from", multiple=True)
@click.option("-F", "filter_f", count=True)
@click.option("-C", "--cvs-exclude", is_flag=True)
@click.option("--chmod", multiple=True, help="change the listed modes, as rsync's --chmod")
@click.option("--null", is_flag=True, help="print NUL-separated names (for xargs -0)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per entry")
@click.option("--wire", is_flag=True, help="write the file-list bytes instead of a listing")
@click.option("--decode", is_flag=True, help="read file-list bytes on stdin and list them")
@click.option("--protocol", type=click.IntRange(28, 32), default=32, show_default=True)
@click.option("--no-inc-recursive", "--no-i-r", "no_inc_recursive", is_flag=True,
              help="--wire: one list, not one per directory (the default from protocol 30)")
@click.argument("sources", nargs=-1, type=click.UNPROCESSED)
def command(**o):
    """List SOURCES as `rsync --list-only` does, or write their file list on the wire."""
    io = click.get_current_context().obj
    out, err = io["stdout"], io["stderr"]
    links = o["links"] or o["archive"]
    human = 0 if o["no_human"] else 1 + o["human"]
    if o["decode"]:
        try:
            data = io["stdin"].read()
            for e in sorted_unique(decode_list(data), o["protocol"]):  # as a receiver sorts
                out.write(list_line(e, human, True, o["eight_bit"]) + b"\n")
        except OcError as e:
            err.write(f"oc-flist: {e}\n")
            return 2
        return 0
    operands = [os.fsencode(s) for s in o["sources"]]
    if not operands or (o["files_from"] and len(operands) < 2):
        err.write("oc-flist: a source is needed (and with --files-from a destination too, "
                  "as rsync requires)\n")
        return 1
    if len(operands) > 1:
        operands = operands[:-1]  # rsync's destination
    try:
        home = os.path.join(os.environ.get("HOME", ""), ".cvsignore")
        rules = FilterRules.from_options(_ordered_filters(io["argv"]), _read_file,
                                         dict(os.environ), _read_file(os.fsencode(home)))
    except FilterSyntaxError as e:
        err.write(f"oc-flist: {e}\n")
        return 1
    except FilterFileError as e:  # (upstream: exit 11)
        err.write(f"oc-flist: {e}\n")
        return e.exit_code
    recurse = o["recursive"] or o["archive"]
    sources = operands
    relative = o["relative"]
    if o["files_from"]:
        data = _read_file(os.fsencode(o["files_from"])) or b""
        sources = sources_for(operands[0], names_in(data, o["from0"]))
        relative = True
        recurse = o["recursive"]
    umask = os.umask(0)
    os.umask(umask)
    chmod = ()
    for spec in o["chmod"]:
        parsed = parse_chmod(spec, umask)
        if parsed is None:
            err.write(f"oc-flist: Invalid argument passed to --chmod ({spec})\n")
            return 1
        chmod += parsed
    sel = Selection(recurse=recurse, xfer_dirs=True, preserve_links=links, chmod=chmod,
                    copy_links=o["copy_links"], copy_dirlinks=o["copy_dirlinks"],
                    copy_unsafe_links=o["copy_unsafe_links"],
                    one_file_system=o["one_file_system"], relative=relative,
                    implied_dirs=not o["no_implied_dirs"],
                    owner_names=(o["owner"] or o["group"] or o["archive"])
                    and not o["numeric_ids"] and (o["wire"] or o["as_json"]))
    errors = ScanErrors()
    # one plain source: a depth-first walk in sorted order streams the final listing;
    # otherwise (several sources, -R) the entries are merged, sorted and de-duplicated.
    # The wire form keeps the order a sender sends in (the receiver sorts).
    streaming = len(sources) == 1 and not relative
    try:
        if o["wire"]:
            _write_wire(o, sources, sel, rules.for_sender(), errors, out,
                        inc=recurse and streaming and o["protocol"] >= 30
                        and not o["no_inc_recursive"])
        else:
            plain = not (o["null"] or o["as_json"])
            fmt = ListFormat(human, links, o["eight_bit"]) if plain else None
            entries = build(sources, sel, rules.for_sender(), errors,
                            listing_order=streaming, fmt=fmt)
            if not streaming:
                entries = sorted_unique(entries, o["protocol"])
            for e in entries:
                if isinstance(e, Lines):
                    out.write(e.data)
                elif o["null"]:
                    out.write(e.name + b"\0")
                elif o["as_json"]:
                    out.write(json.dumps(_json(e)).encode() + b"\n")
                else:
                    out.write(list_line(e, human, links, o["eight_bit"]) + b"\n")
    except BuildAbort as e:
        err.write(f"oc-flist: {e}\n")
        return e.code
    except FilterSyntaxError as e:  # (in a per-directory merge file)
        err.write(f"oc-flist: {e}\n")
        return 1
    out.flush()
    for kind, msg in errors.messages:
        err.write(("oc-flist: [sender] " if kind in ("error", "missing") else "") + msg + "\n")
    if errors.io_error:
        err.write("oc-flist error: some files/attrs were not transferred (see previous "
                  "errors) (code 23)\n")
        return 23
    if errors.vanished:
        err.write("oc-flist warning: some files vanished before they could be transferred "
                  "(code 24)\n")
        return 24
    return 0


def _write_wire(o: dict, sources: list[bytes], sel: Selection, rules, errors: ScanErrors,
                out, inc: bool) -> None:
    """--wire: the file-list stream; with inc (upstream's default for -r from protocol
    30, one plain source) a list per directory, each written as it is read, so only the
    walk's path is held."""
    archive = o["archive"]
    header = list_header(o["protocol"], inc, recurse=sel.recurse,
                         preserve_uid=o["owner"] or archive, preserve_gid=o["group"] or archive,
                         preserve_links=sel.preserve_links,
                         preserve_devices=o["devices"] or archive,
                         preserve_hard_links=o["hard_links"])
    if not inc:
        data = list(build(sources, sel, rules, errors))
        if o["hard_links"]:
            mark_hard_links(data, {}, 0)
        out.write(encode_list(data, header, errors.io_error))
        return
    b = IncrementalBuild(sources[0], sel, rules, errors, sort_key(o["protocol"]))

    def later(ordered):
        return ((name, [e for e, _ in pairs]) for name, pairs in b.lists(ordered))
    for piece in encode_lists([e for e, _ in b.first()], later, header,
                              lambda: 1 if errors.io_error else 0, o["hard_links"]):
        out.write(piece)


def _json(e) -> dict:
    d = {"name": e.name.decode("utf-8", "surrogateescape").encode("utf-8", "backslashreplace")
         .decode(), "mode": e.mode, "size": e.size, "mtime": e.mtime,
         "mtime_nsec": e.mtime_nsec, "uid": e.uid, "gid": e.gid}
    if e.link_target is not None:
        d["target"] = os.fsdecode(e.link_target)
    if e.is_device():
        d["rdev"] = [e.rdev_major, e.rdev_minor]
    return d


def run(argv: list[str], stdin=None, stdout=None, stderr=None) -> int:
    """Run oc-flist in-process: argv without the program name; stdin/stdout are binary
    streams, stderr a text stream. Returns the exit code."""
    io = {"argv": list(argv), "stdin": stdin or sys.stdin.buffer,
          "stdout": stdout or sys.stdout.buffer, "stderr": stderr or sys.stderr}
    try:
        return command.main(args=list(argv), prog_name="oc-flist", standalone_mode=False,
                            obj=io) or 0
    except click.UsageError as e:
        io["stderr"].write(f"oc-flist: {e.format_message()}\n")
        return 1
    except click.exceptions.Exit as e:
        return e.exit_code


def main() -> None:
    sys.exit(run(sys.argv[1:]))
