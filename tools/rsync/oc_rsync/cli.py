"""oc-rsync command line: the only module of oc_rsync that reads argv or exits."""
import sys

from . import run


def main() -> None:
    # names are bytes: -8 prints high-bit bytes as they are, whatever the locale
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="surrogateescape")
    sys.exit(run(sys.argv[1:]))
