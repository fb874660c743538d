"""rsync's command line, parsed as upstream's popt table does (upstream: options.c
long_options, parse_arguments) for the options oc-rsync implements (what a client sends
its server: server_argv).

Short options bundle (`-avz`), take values attached or as the next word (`-e ssh`,
`-essh`); long options take `--opt=value` or `--opt value`; `--no-OPTION` turns an option
off (`--no-r`, `--no-D`). -a is -rlptgoD. Unknown options are refused with upstream's
message and exit code 1. The result is one frozen Options object.
"""
# re is imported in the functions that use it: loading it costs each start ~5 ms
import os

from oc_core.record import field, record

from .optvalues import UsageError, check_choice, checked_debug, parse_size_arg, popt_int

__all__ = ["Options", "UsageError", "parse_args", "files_from_host", "filter_trace", "debug_on",
           "chmod_items", "partial_dir_of", "TMP_PARTIAL_DIR"]


# name -> (field, kind): kind "flag" sets True, "count" adds 1, "value" takes an argument
_LONG = {
    "archive": ("archive", "flag"), "recursive": ("recursive", "flag"),
    "dirs": ("dirs", "flag"), "links": ("links", "flag"), "copy-links": ("copy_links", "flag"),
    "copy-unsafe-links": ("copy_unsafe_links", "flag"), "safe-links": ("safe_links", "flag"),
    "copy-dirlinks": ("copy_dirlinks", "flag"), "keep-dirlinks": ("keep_dirlinks", "flag"),
    "perms": ("perms", "flag"), "executability": ("executability", "flag"),
    "owner": ("owner", "flag"), "group": ("group", "flag"), "devices": ("devices", "flag"),
    "specials": ("specials", "flag"), "times": ("times", "flag"),
    "hard-links": ("hard_links", "flag"), "whole-file": ("whole_file", "flag"),
    "checksum": ("checksum", "flag"), "one-file-system": ("one_file_system", "count"),
    "relative": ("relative", "flag"), "implied-dirs": ("implied_dirs", "flag"),
    "verbose": ("verbose", "count"), "quiet": ("quiet", "flag"),
    "itemize-changes": ("itemize", "count"), "stats": ("stats", "flag"),
    "human-readable": ("human", "count"), "progress": ("progress", "flag"),
    "compress": ("compress", "flag"), "compress-choice": ("compress_choice", "value"),
    "zc": ("compress_choice", "value"), "compress-level": ("compress_level", "value"),
    "zl": ("compress_level", "value"), "checksum-choice": ("checksum_choice", "value"),
    "cc": ("checksum_choice", "value"), "checksum-seed": ("checksum_seed", "value"),
    "rsh": ("rsh", "value"), "rsync-path": ("rsync_path", "value"),
    "remote-option": ("remote_options", "list"),
    "protocol": ("protocol", "value"), "exclude": ("filters", "exclude"),
    "include": ("filters", "include"), "filter": ("filters", "filter"),
    "exclude-from": ("filters", "exclude-from"), "include-from": ("filters", "include-from"),
    "cvs-exclude": ("filters", "C"), "list-only": ("list_only", "flag"),
    "dry-run": ("dry_run", "flag"), "numeric-ids": ("numeric_ids", "flag"),
    "inc-recursive": ("inc_recursive", "flag"), "i-r": ("inc_recursive", "flag"),
    "block-size": ("block_size", "value"), "8-bit-output": ("eight_bit", "flag"),
    "version": ("version", "count"), "help": ("help", "flag"), "from0": ("from0", "flag"),
    "write-batch": ("write_batch", "value"), "read-batch": ("read_batch", "value"),
    "only-write-batch": ("only_write_batch", "value"),
    "remove-source-files": ("remove_source_files", "flag"),
    "mkpath": ("mkpath", "flag"), "prune-empty-dirs": ("prune_empty_dirs", "flag"),
    "omit-dir-times": ("omit_dir_times", "flag"),
    "omit-link-times": ("omit_link_times", "flag"), "sparse": ("sparse", "flag"),
    "update": ("update", "flag"), "existing": ("existing", "flag"),
    "ignore-non-existing": ("existing", "flag"), "ignore-existing": ("ignore_existing", "flag"),
    "size-only": ("size_only", "flag"), "ignore-times": ("ignore_times", "flag"),
    "max-size": ("max_size", "value"), "min-size": ("min_size", "value"),
    "partial": ("partial", "flag"), "modify-window": ("modify_window", "value"),
    "delete": ("delete", "flag"), "del": ("delete_when", "during"),
    "delete-before": ("delete_when", "before"), "delete-during": ("delete_when", "during"),
    "delete-delay": ("delete_when", "delay"), "delete-after": ("delete_when", "after"),
    "max-delete": ("max_delete", "value"), "inplace": ("inplace", "flag"),
    "append": ("append", "count"), "append-verify": ("append", "verify"),
    "partial-dir": ("partial_dir", "value"), "temp-dir": ("temp_dir", "value"),
    "delay-updates": ("delay_updates", "flag"),
    "timeout": ("timeout", "value"), "contimeout": ("contimeout", "value"),
    "delete-excluded": ("delete_excluded", "flag"), "force": ("force", "flag"),
    "ignore-errors": ("ignore_errors", "flag"), "preallocate": ("preallocate", "flag"),
    # what a client may pass to its server that changes nothing here yet
    "log-format": ("out_format", "value"), "msgs2stderr": (None, "ignored"),
    "out-format": ("out_format", "value"), "log-file": ("log_file", "value"),
    "files-from": ("files_from", "value"), "atimes": ("atimes", "count"),
    "secluded-args": ("secluded_args", "flag"), "protect-args": ("secluded_args", "flag"),
    "old-args": ("old_args", "flag"), "bwlimit": ("bwlimit", "value"),
    "insecure-links": ("insecure_links", "flag"), "chmod": ("chmod", "list"),
    "super": ("am_root", "flag"),  # (--no-super: not even as root)
    "usermap": ("usermap", "map"), "groupmap": ("groupmap", "map"), "chown": ("chown", "map"),
    "skip-compress": ("skip_compress", "value"),
    "fuzzy": ("fuzzy", "count"),
    "crtimes": ("crtimes", "flag"), "open-noatime": ("open_noatime", "flag"),
    "log-file-format": ("log_file_format", "value"),
    # --info: progress, stats and name levels are honoured, other words accepted;
    # --debug: FILTER and DEL are used (debug_on); the other flags change nothing
    "info": ("info", "list"), "debug": ("debug", "list"),
    "new-compress": ("compress_choice", "zlibx"), "old-compress": ("compress_choice", "zlib"),
}
_SHORT = {"a": "archive", "r": "recursive", "d": "dirs", "l": "links", "L": "copy-links",
          "k": "copy-dirlinks", "K": "keep-dirlinks", "p": "perms", "E": "executability",
          "o": "owner", "g": "group", "t": "times", "H": "hard-links", "W": "whole-file",
          "c": "checksum", "x": "one-file-system", "R": "relative", "v": "verbose",
          "q": "quiet", "i": "itemize-changes", "h": "human-readable", "z": "compress",
          "e": "rsh", "n": "dry-run", "B": "block-size", "8": "8-bit-output",
          "V": "version", "0": "from0", "f": "filter", "C": "cvs-exclude", "u": "update",
          "I": "ignore-times", "@": "modify-window", "O": "omit-dir-times",
          "J": "omit-link-times", "S": "sparse", "m": "prune-empty-dirs", "T": "temp-dir",
          "U": "atimes", "N": "crtimes", "s": "secluded-args", "y": "fuzzy",
          "M": "remote-option"}


@record(frozen=True)
class Options:
    recursive: bool = False
    recursive_explicit: bool = False  # -r said outright, not through -a (upstream: 2)
    dirs: bool = False
    dirs_implied: bool = False  # -d came from --files-from, not the command line
    links: bool = False
    copy_links: bool = False
    copy_unsafe_links: bool = False
    safe_links: bool = False
    copy_dirlinks: bool = False
    keep_dirlinks: bool = False
    perms: bool = False
    executability: bool = False
    owner: bool = False
    group: bool = False
    devices: bool = False
    specials: bool = False
    times: bool = False
    atimes: int = 0          # -U (twice: also open files with O_NOATIME)
    crtimes: bool = False
    open_noatime: bool = False
    hard_links: bool = False
    whole_file: bool | None = None
    checksum: bool = False
    one_file_system: int = 0
    relative: bool = False
    implied_dirs: bool = True
    verbose: int = 0
    quiet: bool = False
    itemize: int = 0
    stats: bool = False
    human: int = 1
    progress: bool = False
    progress2: bool = False  # --info=progress2: one line for the whole transfer
    info_skip: int | None = None  # --info=SKIP[N] as given (None: -v decides; skip_level)
    # the --info words given, (WORD, level) in upstream's table order, ALL and NONE
    # spelt out (what the server is told: server_argv.info_option)
    info_levels: tuple = ()
    stats_given: bool = False  # --stats itself (--info=stats sets the level alone)
    info_help: bool = False  # --info=help
    debug: str | None = None  # --debug=FLAGS: FILTER (filter_trace) and "help"
    out_format: str | None = None       # --out-format (-i is "%i %n%L")
    log_file: str | None = None
    log_file_format: str | None = None  # default "%i %n%L"
    compress: bool = False
    compress_choice: str | None = None
    compress_level: int | None = None
    compress_implied: bool = False  # by --compress-level alone (no -z letter is sent)
    checksum_choice: str | None = None
    checksum_seed: int = 0
    rsh: str | None = None
    rsync_path: str = "rsync"
    remote_options: tuple = ()  # -M: words for the server side (a local copy's too)
    protocol: int = 32
    filters: tuple = ()
    chmod: tuple = ()               # --chmod specs, in order (oc_flist.chmod)
    am_root: bool | None = None     # --super / --no-super (None: whether we are root)
    usermap: str | None = None      # --usermap (or --chown's user): idmaps
    groupmap: str | None = None     # --groupmap (or --chown's group)
    list_only: bool = False
    list_only_implied: bool = False  # (one operand: a listing nobody asked for by name)
    dry_run: bool = False
    numeric_ids: bool = False
    inc_recursive: bool = True
    block_size: int = 0
    eight_bit: bool = False
    version: int = 0  # -V; -VV: as JSON
    help: bool = False
    from0: bool = False
    files_from: str | None = None  # a file, "-" (stdin), or [USER@]HOST:FILE
    secluded_args: bool = False    # -s: the arguments go over the connection, not argv
    old_args: bool = False         # --old-args: names go unescaped; the remote shell splits
    insecure_links: bool = False   # operator paths follow any symlink (operator_paths)
    bwlimit: int = 0               # --bwlimit, bytes per second of socket output (0: none)
    fuzzy: int = 0                 # -y: accepted; no fuzzy basis search yet (whole file)
    # --skip-compress LIST: passed on; upstream 3.5.0's per-file level change is
    # compiled out, so it changes nothing on the wire there, nor here
    skip_compress: str | None = None
    delete: bool = False
    delete_when: str | None = None  # before, during (the default), delay, after
    delete_excluded: bool = False
    force: bool = False  # --force: a non-empty directory in the way of a file goes
    max_delete: int | None = None   # --max-delete (0: no deletions at all)
    ignore_errors: bool = False     # delete even after the sender's I/O errors
    update: bool = False
    existing: bool = False
    ignore_existing: bool = False
    size_only: bool = False
    ignore_times: bool = False
    max_size: int | None = None
    min_size: int | None = None
    partial: bool = False
    partial_dir: str | None = None  # as given (partial_dir_of: what is used)
    delay_updates: bool = False
    preallocate: bool = False       # reserve each received file's blocks before writing
    inplace: bool = False
    append: int = 0                 # 1 --append, 2 --append-verify
    temp_dir: str | None = None
    timeout: int = 0
    contimeout: int = 0
    modify_window: int = 0
    write_batch: str | None = None
    only_write_batch: bool = False  # --only-write-batch: the batch is written, DEST untouched
    read_batch: str | None = None
    raw_argv: tuple[str, ...] = ()  # as typed, for BATCH.sh
    remove_source_files: bool = False
    mkpath: bool = False
    omit_dir_times: bool = False
    omit_link_times: bool = False
    sparse: bool = False
    prune_empty_dirs: bool = False
    operands: tuple[str, ...] = field(default_factory=tuple)


def _set(v: dict, name: str, value, negate: bool) -> None:
    fld, kind = _LONG[name]
    if kind.startswith("ignored"):
        return
    if kind in ("zlibx", "zlib"):  # --new-compress / --old-compress
        v[fld] = kind
        return
    if kind in ("before", "during", "delay", "after"):  # --delete-WHEN
        if negate:
            v.pop(fld, None)
        else:
            v.setdefault("_whens", set()).add(kind)
            v[fld] = kind
        return
    if kind == "verify":  # --append-verify
        v[fld] = 0 if negate else 2
        return
    if kind == "flag":
        if name == "archive":
            for f in ("recursive", "links", "perms", "times", "group", "owner", "devices",
                      "specials"):
                v[f] = not negate
            return
        if name in ("recursive", "relative"):  # said outright (not through -a)
            v["_explicit_" + name] = True
        v[fld] = not negate
    elif kind == "count":
        v[fld] = 0 if negate else v.get(fld, getattr(Options, fld)) + 1
    elif kind == "value":
        v[fld] = value
    elif kind == "list":  # given again: added to
        v[fld] = v.get(fld, ()) + (value,)
    elif kind == "map":
        _set_map(v, name, value)
    else:  # a filter option, kept in command-line order
        v["filters"] = v.get("filters", ()) + ((kind, value if value is not None else ""),)


def _set_map(v: dict, name: str, value: str) -> None:
    """--usermap/--groupmap, once each; --chown=USER:GROUP is "*:USER" and "*:GROUP"
    and implies -o/-g for the part given (upstream: options.c OPT_CHOWN)."""
    if name != "chown":
        if fld_set := v.get(name):
            raise UsageError(f"--{name} conflicts with prior --chown." if fld_set[1]
                             else f"You can only specify --{name} once.")
        v[name] = (value, False)
        return
    user, _, group = value.partition(":")
    for part, fld, which in ((user, "usermap", "user"), (group, "groupmap", "group")):
        if not part:
            continue
        if prior := v.get(fld):
            raise UsageError(f"You can only specify a {which}-affecting --chown once."
                             if prior[1] else f"--chown conflicts with prior --{fld}.")
        v[fld] = (f"*:{part}", True)
        v["owner" if which == "user" else "group"] = True


def _takes_value(name: str) -> bool:
    kind = _LONG[name][1]
    return kind not in ("flag", "count", "ignored", "zlibx", "zlib", "before", "during",
                        "delay", "after", "verify") and name != "cvs-exclude"


# upstream's info words in its table order, with where each one is used: 1 client, 2
# server, 4 sending side, 8 receiving side (options.c info_words, W_CLI...W_REC)
INFO_WORDS = (("BACKUP", 8), ("COPY", 8), ("DEL", 8), ("FLIST", 1), ("MISC", 12),
              ("MOUNT", 12), ("NAME", 12), ("NONREG", 8), ("PROGRESS", 1), ("REMOVE", 4),
              ("SKIP", 8), ("STATS", 3), ("SYMSAFE", 12))
_INFO_WORDS = tuple(w.lower() for w, _ in INFO_WORDS) + ("all", "none", "help")


def _apply_info(v: dict, text: str) -> None:
    """--info=FLAGS (upstream: options.c parse_output_words): comma-separated words,
    each with an optional level; PROGRESS 1 is --progress, 2 the whole-transfer line;
    STATS turns on --stats; NAME0 silences the file names of -v. info_levels: every
    word's level as given (ALL and NONE spelt out, in upstream's table order, levels
    above 4 are 4), which is what the server is told."""
    import re
    levels = {}
    for word in filter(None, re.split(r"[,\s]+", text)):
        m = re.fullmatch(r"([a-z]+?)(\d*)", word.lower())
        if not m or m.group(1) not in _INFO_WORDS:
            raise UsageError(f"Unknown --info item: \"{word}\"", True)
        name, level = m.group(1), int(m.group(2)) if m.group(2) else 1
        if name in ("progress", "all"):
            v["progress"], v["progress2"] = level == 1, level >= 2
        if name in ("stats", "all"):
            v["stats"] = level > 0
        if name in ("skip", "all"):
            v["info_skip"] = level
        if name == "none":
            v["progress"] = v["progress2"] = v["stats"] = False
            v["info_skip"] = 0
        if name == "help":
            v["info_help"] = True
        for w, _ in INFO_WORDS:
            if name in ("all", "none", w.lower()):
                levels[w] = 0 if name == "none" else min(level, 4)
    v["info_levels"] = tuple((w, levels[w]) for w, _ in INFO_WORDS if w in levels)


def chmod_items(specs) -> tuple | None:
    """--chmod's items for these specs (None if one is invalid), with this process's
    umask for an item that names no class (upstream: orig_umask)."""
    from oc_flist.chmod import parse_chmod
    umask = os.umask(0)
    os.umask(umask)
    items = ()
    for spec in specs:
        parsed = parse_chmod(spec, umask)
        if parsed is None:
            return None
        items += parsed
    return items


# the info words each -v adds (upstream: options.c info_verbosity: none, -v, -vv)
_INFO_VERBOSITY = ({"NONREG": 1},
                   {"COPY": 1, "DEL": 1, "FLIST": 1, "MISC": 1, "NAME": 1, "STATS": 1,
                    "SYMSAFE": 1},
                   {"BACKUP": 1, "MISC": 2, "MOUNT": 1, "NAME": 2, "REMOVE": 1, "SKIP": 1})


TMP_PARTIAL_DIR = ".~tmp~"  # --delay-updates' partial dir unless --partial-dir names one


def partial_dir_of(o: "Options") -> str | None:
    """The partial dir in use: --partial-dir's, else --delay-updates' .~tmp~ (upstream:
    options.c tmp_partialdir)."""
    return o.partial_dir or (TMP_PARTIAL_DIR if o.delay_updates else None)


def info_level(o: "Options", word: str) -> int:
    """--info=WORD's level (WORD upper case): as --info gave it (a word of its own, ALL
    or NONE), else what -v, -vv, --stats (STATS2, STATS3 with -vv) and --progress
    (FLIST2, and NAME1 when no -i or --out-format prints names before the transfer)
    imply (upstream: options.c, --info's USER_PRIORITY over the others'
    DEFAULT_PRIORITY)."""
    given = dict(o.info_levels)
    if word in given:
        return given[word]
    level = 0
    for implied in _INFO_VERBOSITY[:min(o.verbose, 2) + 1]:
        level = implied.get(word, level)
    if word == "STATS" and o.stats_given:
        level = 3 if o.verbose > 1 else 2
    if word == "NAME" and o.progress and not level and not (o.itemize or o.out_format):
        level = 1
    if word == "FLIST" and o.progress:
        level = 2
    return level


def stdout_format(o: "Options") -> str | None:
    """The format of the lines naming files (upstream: options.c stdout_format):
    --out-format's, -i's "%i %n%L", or with --info=NAME "%n%L"; None: no such lines."""
    if o.out_format:
        return o.out_format
    if o.itemize:
        return "%i %n%L"
    return "%n%L" if info_level(o, "NAME") >= 1 else None


def skip_level(o: "Options") -> int:
    """--info=SKIP's level: as given, else what the verbosity implies (-vv: 1; upstream's
    info_verbosity table)."""
    return o.info_skip if o.info_skip is not None else (1 if o.verbose >= 2 else 0)


# the --debug words -vv turns on (upstream: options.c debug_verbosity[2])
_DEBUG_VV = frozenset(("bind", "cmd", "connect", "del", "deltasum", "dup", "filter", "flist",
                       "iconv"))


def debug_level(o: "Options", word: str) -> int:
    """--debug=WORD's level: what -vv implies, then the --debug words in order (WORD[N],
    ALL[N], NONE)."""
    level = 1 if o.verbose >= 2 and word in _DEBUG_VV else 0
    for item in (o.debug or "").lower().replace(" ", ",").split(","):
        name = item.rstrip("0123456789")
        if name in (word, "all"):
            level = int(item[len(name):] or 1)
        elif name == "none":
            level = 0
    return level


def debug_on(o: "Options", word: str) -> bool:
    """Whether --debug=WORD is on (level 1 or more)."""
    return debug_level(o, word) >= 1


def filter_trace(o: "Options") -> bool:
    """--debug=FILTER: the rules that hide, show, protect or risk each name."""
    return debug_on(o, "filter")


def parse_args(argv: list[str]) -> Options:
    v: dict = {}
    operands = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            operands += argv[i:]
            break
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            negate = name.startswith("no-") and name[3:] in _LONG or (
                name.startswith("no-") and name[3:] in _SHORT)
            if negate:
                name = name[3:]
                name = _SHORT.get(name, name)
            if name == "D" and not negate:
                name = "devices"
            if name == "D":
                v["devices"] = v["specials"] = False
                continue
            if name not in _LONG:
                raise UsageError(f"{a}: unknown option")
            if _takes_value(name) and not negate:
                if not eq:
                    if i >= len(argv):
                        raise UsageError(f"option {a} requires an argument")
                    value = argv[i]
                    i += 1
                # (how a value is named in popt's messages: "--NAME=VALUE" as given so,
                # else the value alone)
                v.setdefault("_shown", {})[_LONG[name][0]] = a if eq else value
            elif eq:
                raise UsageError(f"option --{name} does not take an argument")
            _set(v, name, value, negate)
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                j += 1
                if ch == "D":
                    v["devices"] = v["specials"] = True
                    continue
                if ch == "P":
                    v["progress"] = v["partial"] = True
                    continue
                if ch == "F":  # once: dir-merge /.rsync-filter; twice: - .rsync-filter too
                    v["filters"] = v.get("filters", ()) + (("F", ""),)
                    continue
                if ch not in _SHORT:
                    raise UsageError(f"-{ch}: unknown option")
                name = _SHORT[ch]
                value = None
                if _takes_value(name):
                    value = a[j:] if j < len(a) else None
                    if value is None:
                        if i >= len(argv):
                            raise UsageError(f"option -{ch} requires an argument")
                        value = argv[i]
                        i += 1
                    j = len(a)
                _set(v, name, value, False)
        else:
            operands.append(a)
    shown = v.pop("_shown", {})
    for key in ("protocol", "compress_level", "checksum_seed", "modify_window", "max_delete",
                "timeout", "contimeout"):  # (upstream: popt's integers)
        if key in v and isinstance(v[key], str):
            v[key] = popt_int(v[key], shown.get(key, v[key]))
    for key, suffix, low, high, zero in (  # (a client checks --block-size against
            ("block_size", "b", 0, 1 << 17, False),  # protocol 30's maximum, any --protocol)
            ("max_size", "b", 0, -1, False), ("min_size", "b", 0, -1, False),
            ("bwlimit", "K", 512, -1, True)):
        if key in v and isinstance(v[key], str):
            v[key] = parse_size_arg(v[key], suffix, key.replace("_", "-"), low, high, zero)
    _args_env(v)
    if v.get("crtimes"):  # Linux cannot set creation times (upstream's build: same)
        raise UsageError("This rsync does not support --crtimes (-N)")
    if v.get("atimes", 0) > 1:
        v["open_noatime"] = True
    v["stats_given"] = bool(v.get("stats"))
    if "info" in v:
        _apply_info(v, ",".join(v.pop("info")))
    if "debug" in v:
        v["debug"] = checked_debug(",".join(v["debug"]))
    for key in ("compress_choice", "checksum_choice"):
        if v.get(key):
            check_choice(v[key], key == "checksum_choice")
    if v.get("only_write_batch"):  # a file name: the batch, with nothing done to DEST
        v["write_batch"], v["only_write_batch"] = v["only_write_batch"], True
    if v.get("out_format") and "%i" in v["out_format"].replace("%%", ""):
        v["itemize"] = max(v.get("itemize", 0), 1)  # upstream stdout_format_has_i
    if v.get("out_format") and "%I" in v["out_format"].replace("%%", ""):
        v["itemize"] = max(v.get("itemize", 0), 2)  # a client's -ii, told to its server
    explicit_r = v.pop("_explicit_recursive", False)
    v["recursive_explicit"] = explicit_r and v.get("recursive", False)
    explicit_rel = v.pop("_explicit_relative", False)
    if v.get("files_from"):  # upstream: -a's -r is off, -d and -R are implied
        if not explicit_r:
            v["recursive"] = False
        v["dirs_implied"] = not v.get("dirs")
        v["dirs"] = True
        if not explicit_rel:
            v["relative"] = True
    if len(v.pop("_whens", ())) > 1:
        raise UsageError("You may not combine multiple --delete-WHEN options.")
    if v.get("delete_excluded") or v.get("delete_when"):
        v["delete"] = True
    for fld in ("usermap", "groupmap"):  # (value, given through --chown)
        if fld in v:
            v[fld] = v[fld][0]
            from .idmaps import MapError, parse_map
            try:
                parse_map(v[fld], fld == "usermap")
            except MapError as e:
                raise UsageError(str(e)) from None
    for spec in v.get("chmod", ()):
        if chmod_items([spec]) is None:
            raise UsageError(f"Invalid argument passed to --chmod ({spec})")
    if v.get("max_delete") is not None and v["max_delete"] < 0:
        v["max_delete"] = 0  # upstream: a negative value means none at all
    if v.get("append"):
        if v.get("whole_file"):
            raise UsageError("--append cannot be used with --whole-file")
        v["inplace"] = True
    if v.get("partial_dir") in ("", "."):
        v["partial_dir"] = None
    if v.get("inplace"):
        if v.get("partial_dir") or v.get("delay_updates"):
            other = "delay-updates" if v.get("delay_updates") else "partial-dir"
            raise UsageError(f"--{'append' if v.get('append') else 'inplace'} cannot be "
                             f"used with --{other}")
        v["partial"] = False
    elif v.get("partial_dir") or v.get("delay_updates"):
        v["partial"] = True
    for key in ("compress_choice", "checksum_choice"):  # ("auto": as if not given; upstream
        if (v.get(key) or "").lower() == "auto":       # sends no choice then)
            v[key] = None
    if v.get("compress_choice"):  # upstream: --compress-choice implies -z ("none": off,
        v["compress"] = v["compress_choice"].lower() != "none"  # and told so)
        if not v["compress"]:
            v["compress_choice"] = "none"
    elif v.get("compress_level") is not None and not v.get("compress"):
        v["compress"] = v["compress_implied"] = True  # (upstream: CPRES_AUTO)
    if "protocol" in v and not 28 <= v["protocol"] <= 32:
        raise UsageError(f"--protocol={v['protocol']} is not supported (28..32)")
    if v.get("delete") and not (v.get("recursive") or v.get("dirs")):
        raise UsageError("--delete does not work without --recursive (-r) or --dirs (-d).")
    return Options(operands=tuple(operands), **v)


def _atoi(text: str) -> int:
    import re
    m = re.match(r"\s*[-+]?\d+", text)
    return int(m.group()) if m else 0


def _args_env(v: dict) -> None:
    """--old-args and --secluded-args, and their defaults from RSYNC_OLD_ARGS and
    RSYNC_PROTECT_ARGS when neither option was given (upstream: options.c, after the
    parse loop)."""
    if v.get("old_args") and v.get("secluded_args"):
        raise UsageError("--secluded-args conflicts with --old-args.")
    old = os.environ.get("RSYNC_OLD_ARGS")
    if "old_args" not in v and not v.get("secluded_args") and old:
        v["old_args"], v["secluded_args"] = _atoi(old) != 0, False
    protect = os.environ.get("RSYNC_PROTECT_ARGS")
    if "secluded_args" not in v and not v.get("old_args") and protect:
        v["secluded_args"] = _atoi(protect) != 0


def files_from_host(value: str) -> tuple[str, str] | None:
    """--files-from=[USER@]HOST:FILE: (host part, file on that host), else None."""
    import re
    m = re.fullmatch(r"([^/:]+):(.*)", value)
    return (m.group(1), m.group(2)) if m and m.group(2) else None
