"""The filter-rule list a client sends before the file list (upstream: exclude.c
send_filter_list / send_rules / recv_filter_list).

Each rule is an int32 length and that many bytes of rule text (with its prefix, e.g.
"- *.o" or ":n- .cvsignore"); an int32 0 ends the list. Upstream refuses a rule of
MAXPATHLEN+3 bytes or more. What the rules mean is oc_flist's business.
"""
from .errors import LimitError
from .ints import ByteReader, int32

__all__ = ["MAX_RULE_LEN", "MAX_RULES", "encode_filter_list", "read_filter_list"]

MAX_RULE_LEN = 4096
MAX_RULES = 100_000


def encode_filter_list(rules) -> bytes:
    return b"".join(int32(len(t)) + t for t in rules if t) + int32(0)


def read_filter_list(r: ByteReader) -> list[bytes]:
    rules = []
    while True:
        at = r.offset
        n = r.read_int32()
        if n == 0:
            return rules
        if not 0 < n <= MAX_RULE_LEN:
            raise LimitError(f"a filter rule length 1..{MAX_RULE_LEN}", at, str(n))
        if len(rules) == MAX_RULES:
            raise LimitError(f"at most {MAX_RULES} filter rules", at)
        rules.append(r.read_bytes(n))
