"""The transfer overrides that leave an entry alone whatever it holds, in upstream's
order and with its --info=SKIP lines (upstream: generator.c recv_generator):

- --existing: nothing new is made ("not creating new file "F""); the contents of a
  directory not made are passed over without a word (upstream's skip_dir);
- --ignore-existing: anything that exists stays, a directory only where one stands
  ("F exists"; level 2 says why it would have changed: type, file or sum, attributes,
  or "uptodate");
- regular files only: --max-size ("F is over max-size"), --min-size ("F is under
  min-size"), -u ("F is newer": the destination's mtime is later than the sender's,
  by upstream's formula with --modify-window).

Level 1 comes with -vv; --info=SKIP[N] sets it (options.skip_level)."""
import os
import stat

from oc_wire.flist_entry import FileEntry

from .options import skip_level

__all__ = ["Skips", "file_kind"]


def file_kind(mode: int) -> str:
    """upstream's file types (get_file_type): a device is block or character alike."""
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special"


class Skips:
    def __init__(self, opts, info, quick_check, attr_flags):
        """info(text) prints; quick_check(path, st, e) is the generator's size+mtime (or
        -c) comparison of a regular file; attr_flags(st, e) its attribute report bits."""
        self.o, self.info = opts, info
        self.level = skip_level(opts)
        self.any = bool(opts.existing or opts.ignore_existing or opts.update
                        or opts.max_size is not None or opts.min_size is not None)
        self.quick_check, self.attr_flags = quick_check, attr_flags
        self.missing_dir: bytes | None = None  # a directory --existing did not make

    def below_missing(self, e: FileEntry) -> bool:
        """Inside the directory --existing last left unmade: passed over silently. Any
        entry outside it ends that (the list is in order: a directory's contents follow
        it)."""
        if self.missing_dir is None:
            return False
        if e.name.startswith(self.missing_dir):
            return True
        self.missing_dir = None
        return False

    def skipped(self, e: FileEntry, st: os.stat_result | None, path: bytes) -> bool:
        """Whether an override leaves e alone (st: what stands at path, None when
        nothing does); says so at --info=SKIP."""
        if not self.any:  # (the usual case: no override given, nothing to do per file)
            return False
        o, name = self.o, os.fsdecode(e.name)
        if st is None and o.existing:
            if e.is_dir():
                self.missing_dir = e.name.rstrip(b"/") + b"/"
            self._say(1, f'not creating new {"directory" if e.is_dir() else "file"} "{name}"')
            return True
        if st is not None and o.ignore_existing and (
                not e.is_dir() or not stat.S_ISDIR(st.st_mode)):
            if self.level >= 1:
                self._say(1, f"{name} exists{self._why(e, st, path) if self.level >= 2 else ''}")
            return True
        if not e.is_reg():
            return False
        if o.max_size is not None and e.size > o.max_size:
            self._say(1, f"{name} is over max-size")
            return True
        if o.min_size is not None and e.size < o.min_size:
            self._say(1, f"{name} is under min-size")
            return True
        if o.update and st is not None and stat.S_ISREG(st.st_mode) and \
                e.mtime - int(st.st_mtime) < o.modify_window:
            self._say(1, f"{name} is newer")
            return True
        return False

    def _say(self, level: int, text: str) -> None:
        if self.level >= level:
            self.info(text)

    def _why(self, e: FileEntry, st: os.stat_result, path: bytes) -> str:
        """--info=SKIP2's reason (upstream: type, quick_check_ok, unchanged_attrs)."""
        kind = file_kind(e.mode)
        if kind != file_kind(st.st_mode):
            return " (type change)"
        if not self._same(kind, e, st, path):
            return " (sum change)" if self.o.checksum else " (file change)"
        if self.attr_flags(st, e):
            return " (attr change)"
        return " (uptodate)"

    def _same(self, kind: str, e: FileEntry, st: os.stat_result, path: bytes) -> bool:
        """upstream quick_check_ok for each type."""
        if kind == "file":
            return self.quick_check(path, st, e)
        if kind == "link":
            try:
                return os.readlink(path) == e.link_target
            except OSError:
                return False
        if kind == "device":
            return st.st_rdev == os.makedev(e.rdev_major, e.rdev_minor)
        if kind == "special":
            return stat.S_IFMT(st.st_mode) == stat.S_IFMT(e.mode)
        return True
