"""--usermap, --groupmap and --chown on the receiving side (upstream: uidlist.c
parse_name_map, recv_add_id; options.c turns --chown=USER:GROUP into "*:USER" and
"*:GROUP" maps).

A map is comma-separated FROM:TO items, the first match wins: FROM is a sender's id, a
range of ids (LOW-HIGH), a name, or a wildcard pattern matched against the name ("*"
matches every id, named or not); TO is a local name or id. A sender's id that no item
matches keeps the usual mapping (by name unless --numeric-ids).
"""
import grp
import pwd

from oc_flist.wildmatch import wildmatch

__all__ = ["IdMap", "parse_map", "MapError"]


class MapError(ValueError):
    """A malformed map (upstream's words; exit 1)."""


def _local(name: str, users: bool) -> int | None:
    if name.isdigit():
        return int(name)
    try:
        return pwd.getpwnam(name).pw_uid if users else grp.getgrnam(name).gr_gid
    except KeyError:
        return None


class IdMap:
    def __init__(self, items: list[tuple], unknown: list[str]):
        self.items = items      # (kind, a, b, local): kind "wild"/"name"/"ids"
        self.unknown = unknown  # TO names this machine does not know (said, then skipped)

    def match(self, wire_id: int, name: bytes | None) -> int | None:
        """The local id the first matching item gives, None when none matches."""
        text = name or b""
        for kind, a, b, local in self.items:
            if (kind == "wild" and wildmatch(a, text)) or (kind == "name" and a == text) \
                    or (kind == "ids" and a <= wire_id <= b):
                return local
        return None


def parse_map(spec: str, users: bool) -> IdMap:
    """One --usermap (users) or --groupmap value; MapError when it is malformed."""
    what = "user" if users else "group"
    items, unknown = [], []
    for part in spec.split(","):
        src, colon, dst = part.partition(":")
        if not colon:
            raise MapError(f"No colon found in --{what}map: {part}")
        if not dst:
            raise MapError(f"No name found after colon --{what}map: {part}")
        if src[:1].isdigit():
            low, dash, high = src.partition("-")
            if not (low.isdigit() and (not dash or high.isdigit())):
                raise MapError(f"Invalid number in --{what}map: {src}")
            item = ("ids", int(low), int(high) if dash and int(high) else int(low))
        elif any(c in src for c in "*[?"):
            item = ("wild", src.encode(), None)
        else:
            item = ("name", src.encode(), None)
        local = _local(dst, users)
        if local is None:
            unknown.append(f"Unknown --{what}map name on receiver: {dst}")
            continue
        items.append((*item, local))
    return IdMap(items, unknown)
