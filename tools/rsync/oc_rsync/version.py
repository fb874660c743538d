"""-V and -VV (upstream: usage.c print_rsync_version): the version line, then what this
build can do in upstream's words, or with -VV the same as JSON. Every entry says what
oc-rsync really does, so a peer or a script reading it is not misled: no ACLs, xattrs,
iconv or daemon, pipes rather than socketpairs for a local copy, -H links regular files
only (not devices, specials or symlinks)."""
import json

import oc_core
from oc_wire.negotiate import DEFAULT_CHECKSUMS, DEFAULT_COMPRESSIONS

from . import VERSION

__all__ = ["version_text"]

PROTOCOL = 32

# (upstream's name, ours?) in upstream's order
_CAPABILITIES = (
    ("64-bit files", True), ("64-bit inums", True), ("64-bit timestamps", True),
    ("64-bit long ints", True), ("socketpairs", False), ("symlinks", True),
    ("symtimes", True), ("hardlinks", True), ("hardlink-specials", False),
    ("hardlink-symlinks", False), ("IPv6", False), ("atimes", True), ("batchfiles", True),
    ("inplace", True), ("append", True), ("ACLs", False), ("ACL-at", False),
    ("xattrs", False), ("optional secluded-args", True), ("iconv", False),
    ("prealloc", True), ("stop-at", False), ("crtimes", False))


def _optimizations() -> list[tuple[str, bool]]:
    simd = oc_core.features()["simd"] != "scalar"
    # (whole-file MD5 and SHA1 come from Python's hashlib, which is OpenSSL's)
    return [("SIMD-roll", simd), ("asm-roll", False), ("openssl-crypto", True),
            ("asm-MD5", False), ("io_uring", False)]


def _words(pairs) -> str:
    items = [name if on else "no " + name for name, on in pairs]
    lines, line = [], "   "
    for i, item in enumerate(items):
        word = " " + item + ("," if i < len(items) - 1 else "")
        if len(line) + len(word) > 80:
            lines.append(line)
            line = "   "
        line += word
    return "\n".join(lines + [line]) + "\n"


def _json_key(name: str) -> str:
    if name.startswith("64-bit "):
        return {"files": "file_bits", "inums": "inum_bits", "timestamps": "timestamp_bits",
                "long ints": "long_int_bits"}[name[7:]]
    return name.replace("optional ", "").replace("-", "_")


def version_text(level: int) -> str:
    if level >= 2:
        caps = {}
        for name, on in _CAPABILITIES:
            if name.startswith("64-bit "):
                caps[_json_key(name)] = 64
            elif name == "optional secluded-args":
                caps["secluded_args"] = "optional"
            else:
                caps[_json_key(name)] = on
        return json.dumps({
            "program": "oc-rsync", "version": VERSION, "protocol": f"{PROTOCOL}.0",
            "copyright": "(C) 2026 the oc-rsync authors", "url": "",
            "capabilities": caps,
            "optimizations": {_json_key(n): on for n, on in _optimizations()},
            "checksum_list": list(DEFAULT_CHECKSUMS),
            "compress_list": list(DEFAULT_COMPRESSIONS),
            "daemon_auth_list": [],
            "license": "GPLv3", "caveat": "oc-rsync comes with ABSOLUTELY NO WARRANTY",
        }, indent=2) + "\n"
    return (f"oc-rsync  version {VERSION}  protocol version {PROTOCOL}\n"
            "Capabilities:\n" + _words(_CAPABILITIES) +
            "Optimizations:\n" + _words(_optimizations()) +
            "Checksum list:\n    " + " ".join(DEFAULT_CHECKSUMS) + "\n"
            "Compress list:\n    " + " ".join(DEFAULT_COMPRESSIONS) + "\n"
            "Daemon auth list:\n    (no daemon yet)\n\n"
            "oc-rsync comes with ABSOLUTELY NO WARRANTY.\n")
