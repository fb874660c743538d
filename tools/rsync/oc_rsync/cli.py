"""oc-rsync command line: the only module of oc_rsync that reads argv or exits."""
import os
import sys

import oc_core

from . import run

# freed buffers are reused, not given back and faulted in again for the next file
_KEEP_FREED, _MMAP_ABOVE = 128 << 20, 32 << 20


def main() -> None:
    oc_core.keep_freed_memory(_KEEP_FREED, _MMAP_ABOVE)
    # names are bytes: -8 prints high-bit bytes as they are, whatever the locale
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="surrogateescape")
    code = run(sys.argv[1:])
    if code:  # (an error's end keeps the interpreter's pace: a peer reading our last
        sys.exit(code)  # words is not hurried into a closed pipe)
    # A run that succeeded has closed, waited for and flushed everything of its own
    # (log and batch files, children, worker threads); tearing the interpreter down
    # would only free memory, a few ms of every start. A failing flush goes the usual
    # way instead, so the interpreter reports it as before.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)
    os._exit(0)
