"""What a client asks of its server: the argument vector of `rsync --server` as
upstream's client builds it (options.c server_options; quoted for a remote shell as
upstream's safe_arg), and with -s the words sent before set-up instead
(rsync.c send_protected_args)."""
from .options import INFO_WORDS, Options, files_from_host, partial_dir_of

__all__ = ["server_argv", "SECLUDED", "secluded_bytes"]

SECLUDED = "\0"  # in server_argv's result: the words after it are sent, not run (-s)


def secluded_bytes(words: list[str]) -> bytes:
    """-s: what the client writes before set-up: a new argv[0], the words, each ending
    in NUL, then an empty one (upstream: rsync.c send_protected_args)."""
    out = b"rsync\0"
    for w in words:
        out += (w.encode("utf-8", "surrogateescape") or b".") + b"\0"
    return out + b"\0"


_SHELL_CHARS = "!#$&;|<>(){}\"'` \t\n\r\\"
_WILD_CHARS = "*?[]"


def safe_arg(arg: str, filename: bool = True, am_sender: bool = True,
             relative: bool = False) -> str:
    """An argument made safe for the remote shell, which re-splits what ssh joins
    (upstream: options.c safe_arg, the default since 3.2.4): shell characters get a
    backslash (and wildcards too in option values), a file name starting with '-' gets
    "./", one starting with '~' that we fetch is kept literal when the sender would
    list it by the name the shell gave it: without a '/', or with -R and no "/./"
    (its names would not be the ones asked for)."""
    escapes = _SHELL_CHARS if filename else _WILD_CHARS + _SHELL_CHARS
    out = []
    if filename and arg.startswith("-"):
        out.append("./")
    if filename and arg.startswith("~") and not am_sender and (
            "/" not in arg or relative and "/./" not in arg):
        out.append("\\")
    for i, ch in enumerate(arg):
        if ch == "\\":
            nxt = arg[i + 1:i + 2]
            if not filename or not (nxt and nxt in _WILD_CHARS):
                out.append("\\")
        elif ch in escapes:
            out.append("\\")
        out.append(ch)
    return "".join(out)


def allow_inc_recurse(o: Options, am_sender: bool) -> bool:
    """Whether this side takes part in incremental recursion (upstream: compat.c
    set_allow_inc_recurse): only with -r and without --no-inc-recursive; a receiver
    not with --delete-before/-after, -m or --delay-updates, which need the whole list
    first. Our sender lists incrementally for one source without -R or --files-from."""
    if not (o.recursive and o.inc_recursive):
        return False
    if am_sender:
        return len(o.operands) == 2 and not o.relative and not o.files_from
    return o.delete_when not in ("before", "after") and not o.prune_empty_dirs \
        and not o.delay_updates


def _name_level(o: Options) -> int:
    """INFO NAME's level on the client: as --info set it, else what -v implies, else 1
    with --progress (upstream: options.c; then a client sender has a stdout_format)."""
    given = dict(o.info_levels).get("NAME")
    if given is not None:
        return given
    return min(o.verbose, 2) or (1 if o.progress and "PROGRESS" not in dict(o.info_levels)
                                 else 0)


def info_option(o: Options, am_sender: bool) -> str | None:
    """The --info=... the server is told (upstream: options.c make_output_option): the
    words --info set that the server's side uses, in table order; when every such word
    was set and five or more share a level, ALL[N] (NONE for 0) with the others after."""
    where = 2 | (8 if am_sender else 4)
    mine = [w for w, bits in INFO_WORDS if bits & where]
    user = dict(o.info_levels)
    told = [(w, user[w]) for w in mine if w in user]
    if not told:
        return None
    counts: dict[int, int] = {}
    lev, most = -1, 0
    for _, level in told:
        counts[level] = counts.get(level, 0) + 1
        if counts[level] > most:
            lev, most = level, counts[level]
    if len(told) < len(mine) or most < 5:
        lev = -1
    parts = [] if lev < 0 else ["NONE" if lev == 0 else "ALL" if lev == 1 else f"ALL{lev}"]
    parts += [w + ("" if level == 1 else str(level)) for w, level in told if level != lev]
    return "--info=" + ",".join(parts)


def server_argv(o: Options, am_sender: bool, paths: list[str], shell: bool = True
                ) -> list[str]:
    """What the client asks its server to run (upstream: options.c server_options): the
    server sends when we receive. With shell (a remote shell will re-split the words)
    the file names are escaped by safe_arg."""
    args = ["--server"] + ([] if am_sender else ["--sender"])
    secluded = o.secluded_args and shell
    letters = ("s" if secluded else "") + "v" * min(o.verbose, 9)
    sending = am_sender  # (the letters in upstream's order, each on its condition)
    for on, ch in ((o.update, "u"), (o.dry_run, "n"), (o.links, "l"),
                   (o.dirs and not o.recursive and (not o.dirs_implied or o.list_only or (
                       o.delete and am_sender)), "d"),  # (an implied -d only so)
                   (sending and o.keep_dirlinks, "K"), (sending and o.prune_empty_dirs, "m"),
                   (sending and o.omit_dir_times, "O"), (sending and o.omit_link_times, "J"),
                   (sending and o.fuzzy, "y"), (sending and o.fuzzy > 1, "y"),
                   (not sending and o.copy_links, "L"), (not sending and o.copy_dirlinks, "k"),
                   (o.whole_file, "W"), (o.hard_links, "H"), (o.owner, "o"), (o.group, "g"),
                   (o.devices, "D"), (o.times, "t"), (o.atimes, "U"), (o.atimes > 1, "U"),
                   (o.perms, "p"), (sending and o.executability and not o.perms, "E"),
                   (o.recursive, "r"), (o.checksum, "c"),
                   (any(kind == "C" for kind, _ in o.filters), "C"), (o.ignore_times, "I"),
                   (o.relative, "R")):
        if on:
            letters += ch
    letters += "x" * o.one_file_system
    if o.sparse:
        letters += "S"
    choice = (o.compress_choice or "").lower()  # (upstream: any case)
    if o.compress and not o.compress_implied and choice in ("", "zlib"):
        letters += "z"  # (upstream: do_compression == CPRES_ZLIB; a level alone is AUTO)
    if o.protocol >= 30:  # (a forced older protocol goes without: upstream's
        letters += "e." + ("i" if allow_inc_recurse(o, am_sender) else "") + "LsfxCIvu"
    args.append("-" + letters)                           # maybe_add_e_option)
    if secluded:  # the rest travels over the connection, untouched by any shell
        args.append(SECLUDED)
        shell = False

    def quoted(value: str) -> str:
        return safe_arg(value, False) if shell else value
    # the long options in upstream's order (options.c server_options)
    if o.list_only and not o.list_only_implied:  # (pushing too: the receiving server
        args.append("--list-only")                 # lists and asks for nothing)
    if o.dirs and not o.recursive and o.delete and am_sender:
        args.append("--no-r")
    if o.compress and o.compress_level is not None:
        args.append(f"--compress-level={o.compress_level}")
    if o.devices != o.specials:
        args.append("--no-specials" if o.devices else "--specials")
    if am_sender and (o.itemize or o.out_format or _name_level(o)):
        # what the receiving server's generator must itemize for us to print
        fmt = o.out_format or ("%i" if o.itemize else "%n")
        if o.itemize:
            args.append("--log-format=%i" + ("%I" if o.itemize > 1 else ""))
        elif "%o" in fmt:
            args.append("--log-format=%o")
        elif not o.verbose:
            args.append("--log-format=X")
    if o.block_size:
        args.append(f"-B{o.block_size}")
    if o.timeout:
        args.append(f"--timeout={o.timeout}")
    if o.bwlimit:
        args.append(f"--bwlimit={max(1, o.bwlimit // 1024)}")
    if o.checksum_choice:
        args.append(f"--checksum-choice={o.checksum_choice}")
    if choice == "zlibx":
        args.append("--new-compress")
    elif choice == "zlib":
        args.append("--old-compress")
    elif o.compress_choice:
        args.append(f"--compress-choice={o.compress_choice}")
    if am_sender:  # what only the receiving server decides
        if o.max_delete is not None:
            args.append(f"--max-delete={o.max_delete or -1}")
        if o.min_size is not None:
            args.append(f"--min-size={o.min_size}")
        if o.max_size is not None:
            args.append(f"--max-size={o.max_size}")
        if o.delete_when:
            args.append(f"--delete-{o.delete_when}")
        elif o.delete and not o.delete_excluded:
            args.append("--delete")
        for on, arg in ((o.delete_excluded, "--delete-excluded"), (o.force, "--force"),
                        (o.only_write_batch, "--only-write-batch=X"),
                        (o.am_root, "--super"), (o.size_only, "--size-only"),
                        (o.stats_given, "--stats")):
            if on:
                args.append(arg)
    elif o.skip_compress:  # the sending server picks the level
        args.append("--skip-compress=" + quoted(o.skip_compress))
    if o.modify_window and am_sender:
        args.append(f"-@{o.modify_window}" if o.modify_window < 0
                    else f"--modify-window={o.modify_window}")
    if o.checksum_seed:
        args.append(f"--checksum-seed={o.checksum_seed}")
    if am_sender and partial_dir_of(o):  # (--delay-updates' own .~tmp~ goes unnamed)
        if o.partial_dir:
            args += ["--partial-dir", quoted(o.partial_dir)]
        if o.delay_updates:
            args.append("--delay-updates")
    elif am_sender and o.partial:
        args.append("--partial")
    if o.ignore_errors:
        args.append("--ignore-errors")
    if o.copy_unsafe_links:
        args.append("--copy-unsafe-links")
    if o.safe_links:  # (the receiving side's generator drops unsafe symlinks)
        args.append("--safe-links")
    if o.numeric_ids:
        args.append("--numeric-ids")
    if am_sender:  # the receiving server maps the ids and makes the choices
        args += [f"--{m}={quoted(getattr(o, m))}" for m in ("usermap", "groupmap")
                 if getattr(o, m)]
        for on, arg in ((o.ignore_existing, "--ignore-existing"), (o.existing, "--existing")):
            if on:
                args.append(arg)
        if o.temp_dir:
            args += ["--temp-dir", quoted(o.temp_dir)]
    if info := info_option(o, am_sender):
        args.append(info)
    if o.append:
        args += ["--append"] * o.append
    elif o.inplace:
        args.append("--inplace")
        if o.sparse and not o.whole_file and am_sender:  # (upstream works around old
            args.append("--no-W")                        # servers' --inplace --sparse)
    host_file = files_from_host(o.files_from) if o.files_from else None
    if o.files_from and (not am_sender or host_file):  # a local list goes over the
        if host_file:  # connection; the server reads one on its host (and sends it to us)
            args += ["--files-from", quoted(host_file[1])]
            if o.from0:
                args.append("--from0")
        else:
            args += ["--files-from=-", "--from0"]
        if not o.relative:
            args.append("--no-relative")
    if o.relative and not o.implied_dirs and (not am_sender or o.protocol >= 30):
        args.append("--no-implied-dirs")
    if o.remove_source_files:
        args.append("--remove-source-files")
    if o.preallocate and am_sender:
        args.append("--preallocate")
    if o.open_noatime and o.atimes <= 1:
        args.append("--open-noatime")
    if o.mkpath and am_sender:
        args.append("--mkpath")
    args += [quoted(word) for word in o.remote_options]  # -M, as given
    if shell and not o.old_args:
        relative = o.relative and not (o.files_from and files_from_host(o.files_from))
        paths = [safe_arg(x, True, am_sender, relative) for x in paths]
    return args + ["."] + paths
