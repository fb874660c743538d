"""oc-rsync command line: the only module of oc_rsync that reads argv or exits."""
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
    sys.exit(run(sys.argv[1:]))
