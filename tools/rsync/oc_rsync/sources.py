"""The sending side's view of the source tree, shared by the sender and the in-process
local copy: what the scan selects, how its messages are reported, and what a listed file
that cannot be opened is said to be (kept apart from sender.py, so the local copy does
not load the wire protocol's modules)."""
import errno
import os

from oc_flist.build import ScanErrors, Selection

from .options import Options, chmod_items, filter_trace, info_level

__all__ = ["selection_for", "scan_reporter", "open_failed"]


def selection_for(o: Options) -> Selection:
    """What a sending client's scan takes in (the server's comes from its argv)."""
    return Selection(recurse=o.recursive, xfer_dirs=o.recursive or o.dirs,
                     preserve_links=o.links, copy_links=o.copy_links,
                     copy_dirlinks=o.copy_dirlinks, copy_unsafe_links=o.copy_unsafe_links,
                     one_file_system=o.one_file_system, relative=o.relative,
                     implied_dirs=o.implied_dirs,
                     owner_names=(o.owner or o.group) and not o.numeric_ids,
                     insecure_links=o.insecure_links, chmod=chmod_items(o.chmod) or (),
                     filter_trace=filter_trace(o), report_mounts=info_level(o, "MOUNT") > 0,
                     report_symsafe=info_level(o, "SYMSAFE") > 0)


def scan_reporter(errors: ScanErrors, error, info, plain, warn=None):
    """A callable reporting the scan's messages not reported yet (errors to error(),
    which names the program and role; unprefixed ones to plain(); warnings to warn(),
    plain() when not given, as are vanished names; notes to info()); it returns the
    list's io_error bits for them: 1 for an error that counts (not a missing source:
    ScanErrors), 2 for a vanished name."""
    seen = [0]
    say = {"error": error, "missing": error, "xfer": plain, "info": info,
           "warn": warn or plain, "vanished": warn or plain}

    def report() -> int:
        new = errors.messages[seen[0]:]
        seen[0] = len(errors.messages)
        for kind, text in new:
            say[kind](text)
        kinds = {kind for kind, _ in new}
        return (1 if kinds & {"error", "xfer"} else 0) | (2 if "vanished" in kinds else 0)
    return report


def open_failed(exc: OSError, path: bytes, warn, error) -> int:
    """Say why a listed file could not be opened, as upstream's sender does (sender.c
    send_files): a vanished file is a warning, anything else an error; returns the
    io_error bit (IOERR_VANISHED, exit 24; IOERR_GENERAL, exit 23)."""
    full = os.fsdecode(os.path.abspath(path))
    if exc.errno == errno.ENOENT:
        warn(f'file has vanished: "{full}"')
        return 2
    error(f'send_files failed to open "{full}": {exc.strerror} ({exc.errno})')
    return 1


def read_failed(err: int, path: bytes, error) -> int:
    """Say that a file changed as it was sent (it read short: zeros went out and a
    checksum the receiver refuses), as upstream's sender does after match_sums; returns
    the io_error bit (IOERR_GENERAL, exit 23)."""
    full = os.fsdecode(os.path.abspath(path))
    error(f'read errors mapping "{full}": {os.strerror(err)} ({err})')
    return 1
