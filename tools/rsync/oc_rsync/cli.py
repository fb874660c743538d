"""oc-rsync command line: the only module of oc_rsync that reads argv or exits."""
import sys

from . import run


def main() -> None:
    sys.exit(run(sys.argv[1:]))
