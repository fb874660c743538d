"""--files-from: a list of names to send instead of scanning the operands (upstream:
flist.c send_file_list reading filesfrom_fd, io.c read_line and the forwarding of a
client's local list to a remote sender).

Names are separated by newlines (CR too) or, with --from0 (and always when the list
comes over the connection), by NUL bytes. Read from a file, empty lines and lines
starting with '#' or ';' are skipped; over the connection every non-empty name counts
and an empty one ends the list. Each name is relative to the source directory; it goes
into the file list with its path (-R is implied), a "/./" inside it marking where the
kept path starts.
"""
# re is imported in the functions that use it: loading it costs each start ~5 ms
from collections.abc import Iterable, Iterator

__all__ = ["names_in", "sources_for", "sanitize", "wire_form", "read_wire_names"]

_MAX_NAME = 4096


def names_in(data: bytes, from0: bool) -> Iterator[bytes]:
    """The names of a --files-from file."""
    import re
    for line in re.split(rb"\0" if from0 else rb"[\r\n]", data):
        if line and not line.startswith((b"#", b";")):
            yield line


def sources_for(base: bytes, names: Iterable[bytes]) -> list[bytes]:
    """Scan operands for the names under base: base/./name, so the name's own path is
    what the list keeps (a name's own "/./" anchors deeper)."""
    base = base.rstrip(b"/") or b"."
    out = []
    for name in names:
        name = sanitize(name)
        out.append(base + (b"/" if b"/./" in name else b"/./") + name)
    return out


def sanitize(name: bytes, drop_dot_dirs: bool = False) -> bytes:
    """A listed name kept inside the source directory (upstream: util1.c sanitize_path
    at depth 0, as send_file_list applies it to each --files-from name): leading and
    repeated slashes go, and each ".." takes back the component before it, or nothing
    at the top ("../keep" is "keep", never the parent's); "." components stay unless
    drop_dot_dirs (without -R). Nothing left is "."."""
    out = bytearray()
    i, n = 0, len(name)
    if drop_dot_dirs:
        while name.startswith(b"./", i):
            i += 2
    while i < n:
        if name[i] == 0x2F:  # "/"
            i += 1
            continue
        end = name.find(b"/", i)
        part = name[i:] if end < 0 else name[i:end]
        if part == b"." and drop_dot_dirs:
            i += 1
            continue
        if part == b"..":
            i += 2
            if out:  # back up over the previous component (and its slash)
                del out[-1]
                while out and out[-1] != 0x2F:
                    del out[-1]
            continue
        out += name[i:] if end < 0 else name[i:end + 1]
        i = n if end < 0 else end + 1
    return bytes(out) or b"."


def wire_form(data: bytes, from0: bool) -> bytes:
    """A local list as a client forwards it: NUL-separated, no empty names, ended by an
    empty name (upstream: io.c forward_filesfrom_data)."""
    import re
    if not from0:
        data = data.replace(b"\r", b"\0").replace(b"\n", b"\0")
    data = re.sub(rb"\0\0+", b"\0", data).lstrip(b"\0")
    return data + (b"\0\0" if data and not data.endswith(b"\0") else b"\0")


def read_wire_names(read_byte) -> Iterator[bytes]:
    """Names from the connection until the empty one; read_byte() -> int. A name longer
    than a path can be is cut, as upstream's read_line does."""
    while True:
        name = bytearray()
        while (ch := read_byte()) != 0:
            if len(name) < _MAX_NAME:
                name.append(ch)
        if not name:
            return
        yield bytes(name)
