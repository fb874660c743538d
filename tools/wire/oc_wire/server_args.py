"""What a server's argument vector says about the wire (upstream: options.c
server_options, which builds it on the client, and parse_arguments on the server).

The client runs `rsync --server [--sender] -<letters>e.<capabilities> [--long ...] . PATH...`.
Only the options that change the bytes on the wire are kept here: who sends, the
file-list fields (-l -o -g -D -H -c, --specials, --numeric-ids), compression and checksum
choices, and what disables incremental recursion. oc_rsync parses the whole command line.
"""
from oc_core.record import record

from .flist_codec import FlistOptions

__all__ = ["ServerArgs", "parse_server_args"]


@record(frozen=True, slots=True)
class ServerArgs:
    server_sends: bool = False  # --sender: the server is the sender (a pull)
    letters: str = ""           # the bundled short options, without e.<capabilities>
    client_info: str = ""       # the capability letters after -e.
    compress: bool = False
    compress_choice: str | None = None
    checksum_choice: str | None = None
    no_inc_recursive: bool = False
    numeric_ids: bool = False
    specials: bool | None = None  # --specials / --no-specials beside -D
    deletes: tuple[str, ...] = ()  # the --delete* options
    copy_unsafe_links: bool = False
    no_implied_dirs: bool = False
    checksum_seed: int = 0
    compress_level: int | None = None
    remove_source_files: bool = False
    inplace: bool = False
    delay_updates: bool = False
    timeout: int = 0  # --timeout
    bwlimit: int = 0  # --bwlimit, KiB per second
    skip_compress: str | None = None  # accepted; no effect (as in upstream 3.5.0)
    files_from: str | None = None  # "-": the names come over the connection
    from0: bool = False
    append: int = 0  # --append once, or twice for --append-verify
    paths: tuple[bytes, ...] = ()

    def has(self, letter: str) -> bool:
        return letter in self.letters

    def wants_inc_recurse(self) -> bool:
        """What a 3.x server does with these options when the client offers 'i'
        (upstream: compat.c set_allow_inc_recurse; --delete-before/-after, and for a
        receiver -m and --delay-updates, turn it off)."""
        return ("i" in self.client_info and self.has("r") and not self.no_inc_recursive
                and not {"--delete-before", "--delete-after"} & set(self.deletes)
                and not (self.server_sends is False and (self.has("m") or self.delay_updates)))

    def client_sends_filters(self, protocol: int) -> bool:
        """A client receiver always sends its filter rules; a client sender only when
        the receiver wants them: for deletions or -m (upstream: exclude.c
        send_filter_list, receiver_wants_list)."""
        if self.server_sends:
            return True
        excluded = "--delete-excluded" in self.deletes
        return self.has("m") or (bool(self.deletes) and (not excluded or protocol >= 29))

    def flist_options(self, protocol: int, compat_flags: int, checksum_len: int = 16
                      ) -> FlistOptions:
        devices = self.has("D")
        specials = devices if self.specials is None else self.specials
        return FlistOptions(protocol, compat_flags, preserve_uid=self.has("o"),
                            preserve_gid=self.has("g"), preserve_links=self.has("l"),
                            preserve_devices=devices, preserve_specials=specials,
                            preserve_hard_links=self.has("H"),
                            always_checksum=self.has("c"), checksum_len=checksum_len,
                            numeric_ids=self.numeric_ids, preserve_atimes=self.has("U"),
                            preserve_crtimes=self.has("N"))


# long options upstream's client sends with their value as the next word
# (options.c server_options: safe_arg("", value) after the name)
SEPARATE_VALUE = frozenset(("--partial-dir", "--temp-dir", "--backup-dir", "--files-from",
                            "--compare-dest", "--copy-dest", "--link-dest"))


def parse_server_args(argv) -> ServerArgs:
    """argv: the words from `--server` on (anything before it, e.g. ssh and the host, is
    skipped). Raises ValueError when there is no --server."""
    words = [w if isinstance(w, str) else w.decode("utf-8", "surrogateescape") for w in argv]
    if "--server" not in words:
        raise ValueError("not an rsync server command line (no --server)")
    words = words[words.index("--server") + 1:]
    kw: dict = {"paths": []}
    letters = ""
    value_of = None
    for i, w in enumerate(words):
        if value_of:  # the value of the option before
            if value_of == "--files-from":
                kw["files_from"] = w
            value_of = None
        elif w in SEPARATE_VALUE:
            value_of = w
        elif w == "--sender":
            kw["server_sends"] = True
        elif w.startswith("--"):
            name, _, value = w.partition("=")
            if name in ("--compress-choice", "--zc", "--new-compress", "--old-compress"):
                value = {"--new-compress": "zlibx", "--old-compress": "zlib"}.get(name, value)
                kw["compress_choice"] = value
                kw["compress"] = value != "none"
            elif name in ("--checksum-choice", "--cc"):
                kw["checksum_choice"] = value
            elif name in ("--no-inc-recursive", "--no-i-r"):
                kw["no_inc_recursive"] = True
            elif name == "--numeric-ids":
                kw["numeric_ids"] = True
            elif name in ("--specials", "--no-specials"):
                kw["specials"] = name == "--specials"
            elif name in ("--copy-unsafe-links", "--no-implied-dirs", "--remove-source-files"):
                kw[name[2:].replace("-", "_")] = True
            elif name == "--checksum-seed":
                kw["checksum_seed"] = int(value or 0)
            elif name in ("--compress-level", "--zl"):
                kw["compress_level"] = int(value)
            elif name == "--files-from":
                kw["files_from"] = value
            elif name == "--from0":
                kw["from0"] = True
            elif name == "--timeout":
                kw["timeout"] = int(value or 0)
            elif name == "--skip-compress":
                kw["skip_compress"] = value
            elif name == "--bwlimit":
                kw["bwlimit"] = int(float(value or 0))
            elif name == "--inplace":
                kw["inplace"] = True
            elif name == "--delay-updates":
                kw["delay_updates"] = True
            elif name == "--append":
                kw["append"] = kw.get("append", 0) + 1
                kw["inplace"] = True
            elif name.startswith("--delete"):
                kw["deletes"] = kw.get("deletes", ()) + (name,)
        elif w.startswith("-") and len(w) > 1:
            body = w[1:]
            if "e" in body:
                body, _, info = body.partition("e")
                kw["client_info"] = info.lstrip(".")
            letters += body
        else:
            kw["paths"] = [x.encode("utf-8", "surrogateescape") for x in words[i:]]
            break
    kw["paths"] = tuple(kw["paths"])
    # --compress-level alone asks for compression too (upstream: options.c, CPRES_AUTO)
    compress = kw.pop("compress", "z" in letters or kw.get("compress_level") is not None)
    return ServerArgs(letters=letters, compress=compress, **kw)
