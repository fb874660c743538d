"""`oc-wire dump`: a batch file, a one-file delta, a signature stream or one direction of
a captured live session, as readable lines or JSON objects. It never crashes on bad
input: it shows what it decoded, then the error with its offset."""
import json
import stat
from collections.abc import Iterator

from .batch import BatchHeader, read_header
from .batch_stream import (
    FileChecksum,
    FileStart,
    FlistEnd,
    FlistEof,
    FlistSegment,
    Goodbye,
    PhaseDone,
    Stats,
    walk_batch,
)
from .errors import NeedData, OcError
from .flist_entry import FileEntry
from .ints import ByteReader
from .session_stream import (
    BlockSums,
    DelStats,
    FilterList,
    Hello,
    Message,
    NdxDone,
    SessionSide,
    walk_direction,
)
from .sums import SumHead, read_sum_head
from .token_events import End, Literal, Match

__all__ = ["looks_like_signature", "dump_events", "dump_session", "render"]


def looks_like_signature(data: bytes) -> bool:
    """True when data is exactly a header, a sum head and count * (4 + s2len) bytes."""
    try:
        r = ByteReader(data)
        h = read_header(r)
        head = read_sum_head(r, h.protocol)
    except OcError:
        return False
    return len(data) - r.pos == head.count * (4 + head.s2len)


def _signature_events(r: ByteReader) -> Iterator[object]:
    h = read_header(r)
    yield h
    head = read_sum_head(r, h.protocol)
    yield head
    for i in range(head.count):
        sum1 = r.read_uint32()
        yield ("block", i, sum1, r.read_bytes(head.s2len))


def dump_events(data: bytes, kind: str = "auto") -> Iterator[dict]:
    """Decoded records as dicts; the last is {"event": "error", ...} when decoding failed."""
    sig = kind == "sig" or (kind == "auto" and looks_like_signature(data))
    r = ByteReader(data)
    return _records(_signature_events(r) if sig else walk_batch(r), r)


def dump_session(data: bytes, side: SessionSide) -> Iterator[dict]:
    """Records of one captured direction of a live session (session_stream.py)."""
    return _records(walk_direction(data, side), None)


def _records(events: Iterator[object], r: ByteReader | None) -> Iterator[dict]:
    """Records for events, literal and match runs collapsed; errors become a last record
    (r: the reader, to report trailing bytes and the truncation offset)."""
    run: dict | None = None
    try:
        for ev in events:
            if isinstance(ev, Match):
                if run and run["event"] == "match" and run["last"] == ev.index - 1:
                    run["last"] = ev.index + ev.count - 1
                    continue
                if run:
                    yield run
                run = {"event": "match", "first": ev.index, "last": ev.index + ev.count - 1}
                continue
            if isinstance(ev, Literal):
                if run and run["event"] == "literal":
                    run["bytes"] += len(ev.data)
                    continue
                if run:
                    yield run
                run = {"event": "literal", "bytes": len(ev.data)}
                continue
            if run:
                yield run
                run = None
            yield _record(ev)
        if r is not None and r.remaining():
            yield {"event": "error", "offset": r.offset, "message": "trailing bytes"}
    except NeedData as e:
        if run:
            yield run
        offset = r.offset if r is not None else getattr(e, "offset", None)
        yield {"event": "error", "offset": offset, "message": "the stream is truncated"}
    except OcError as e:
        if run:
            yield run
        yield {"event": "error", "offset": getattr(e, "offset", None), "message": str(e)}


def _record(ev) -> dict:
    if isinstance(ev, BatchHeader):
        return {"event": "header", "stream_flags": ev.stream_flags, "protocol": ev.protocol,
                "compat_flags": ev.compat_flags, "checksum_seed": ev.checksum_seed}
    if isinstance(ev, FileEntry):
        rec = {"event": "entry", "name": ev.name.decode("utf-8", "backslashreplace"),
               "mode": f"{ev.mode:o}", "size": ev.size, "mtime": ev.mtime}
        if ev.mtime_nsec:
            rec["mtime_nsec"] = ev.mtime_nsec
        if stat.S_ISLNK(ev.mode):
            rec["target"] = (ev.link_target or b"").decode("utf-8", "backslashreplace")
        return rec
    if isinstance(ev, SumHead):
        return {"event": "sum_head", "count": ev.count, "block_len": ev.block_len,
                "s2len": ev.s2len, "remainder": ev.remainder}
    if isinstance(ev, FlistEnd):
        return {"event": "flist_end", "entries": ev.count, "io_error": ev.io_error}
    if isinstance(ev, FileStart):
        rec = {"event": "file", "ndx": ev.ndx, "iflags": f"{ev.iflags:#06x}"}
        if ev.entry is not None:
            rec["name"] = ev.entry.name.decode("utf-8", "backslashreplace")
        return rec
    if isinstance(ev, End):
        return {"event": "tokens_end"}
    if isinstance(ev, FileChecksum):
        return {"event": "file_checksum", "digest": ev.digest.hex()}
    if isinstance(ev, PhaseDone):
        return {"event": "ndx_done", "phase": ev.phase}
    if isinstance(ev, Stats):
        return {"event": "stats", "total_read": ev.total_read,
                "total_written": ev.total_written, "total_size": ev.total_size,
                "flist_buildtime": ev.flist_buildtime, "flist_xfertime": ev.flist_xfertime}
    if isinstance(ev, Goodbye):
        return {"event": "goodbye"}
    if isinstance(ev, FlistSegment):
        return {"event": "flist_segment", "dir_index": ev.dir_index}
    if isinstance(ev, FlistEof):
        return {"event": "flist_eof"}
    if isinstance(ev, Hello):
        rec = {"event": "hello", "version": ev.version}
        for k in ("compat_flags", "checksums", "compressions", "seed"):
            v = getattr(ev, k)
            if v is not None:
                rec[k] = " ".join(v) if isinstance(v, tuple) else v
        return rec
    if isinstance(ev, FilterList):
        return {"event": "filter_list",
                "rules": [t.decode("utf-8", "backslashreplace") for t in ev.rules]}
    if isinstance(ev, Message):
        return {"event": f"msg_{ev.code.name.lower()}",
                "text": ev.payload.decode("utf-8", "backslashreplace").rstrip("\n")}
    if isinstance(ev, BlockSums):
        return {"event": "block_sums", "count": ev.count, "s2len": ev.s2len}
    if isinstance(ev, NdxDone):
        return {"event": "ndx_done"}
    if isinstance(ev, DelStats):
        return {"event": "del_stats", "files": ev.files, "dirs": ev.dirs,
                "symlinks": ev.symlinks, "devices": ev.devices, "specials": ev.specials}
    _, i, sum1, strong = ev
    return {"event": "block", "index": i, "sum1": f"{sum1:08x}", "strong": strong.hex()}


def render(rec: dict, as_json: bool) -> str:
    if as_json:
        return json.dumps(rec)
    event = rec["event"]
    if event == "match":
        blocks = rec["first"] if rec["first"] == rec["last"] else f"{rec['first']}-{rec['last']}"
        return f"tokens: match block{'s' if rec['first'] != rec['last'] else ''} {blocks}"
    if event == "literal":
        return f"tokens: literal {rec['bytes']} bytes"
    fields = " ".join(f"{k}={v}" for k, v in rec.items() if k != "event")
    return f"{event}: {fields}" if fields else event
