"""--info's NONREG, REMOVE, MOUNT and SYMSAFE words and the "created directory" line
against upstream 3.5.0 in five directions: the exit code, standard output and error
(byte counts and rates left out), the destination and what is left of the source.

Before, "skipping non-regular file" lines were printed whatever --info=nonreg said,
--remove-source-files never said "sender removed NAME" (-vv, --info=remove) and its
other messages were ours, -xx never said "[sender] skipping mount-point dir NAME",
--copy-unsafe-links never "copying unsafe symlink", and a local copy's "created
directory" followed -v, -i and --progress rather than --info=NAME and %i."""
import os
import re
import subprocess

import pytest
from test_rsync_interop import DIRECTIONS, _reference_for, _run, _snapshot


def _source(root):
    src = root / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a").write_bytes(b"a\n")
    (src / "sub" / "b").write_bytes(b"b" * 5000)
    os.symlink("a", src / "ln")
    os.symlink("../elsewhere", src / "unsafe")  # (leaves the tree)
    (root / "elsewhere").write_bytes(b"outside\n")
    os.mkfifo(src / "ff")
    for p in ("a", "sub/b", "ff", "sub", ".", "../elsewhere"):
        os.utime(src / p, (1_600_000_000, 1_600_000_000))
    return src


def _lines(out: bytes, root) -> list[bytes]:
    out = out.replace(os.fsencode(root), b"ROOT")
    out = re.sub(rb"^oc-rsync", b"rsync", out, flags=re.M)
    out = re.sub(rb" at \S+\(\d+\) \[\w+=[\d.]+\]$", b"", out, flags=re.M)
    out = re.sub(rb"^(sent|total size) .*$", rb"\1", out, flags=re.M)
    return [x for x in out.splitlines() if x and not x.startswith(b"opening connection")
            and b"B/s " not in x]  # (--progress's lines: rates and times)


def _both(tmp_path, direction, opts):
    """upstream's run and ours, each from a source and into a destination of its own:
    (returncode, stdout lines sorted, stderr lines, destination, source) for each."""
    got = []
    for name, run in (("up", _reference_for), ("oc", lambda d, *a: _run(direction, *a))):
        root = tmp_path / name
        src, dst = _source(root), root / "dst"
        r = run(direction, opts, src, dst, tmp_path)
        times = "a" in opts[0]  # (without -t a new file's mtime is now)
        got.append((r.returncode, sorted(_lines(r.stdout, root)), _lines(r.stderr, root),
                    _snapshot(dst, True, times), _snapshot(src, True, False)))
    return got


CASES = [["-r", "--info=nonreg0"], ["-rv", "--info=nonreg0"], ["-r"],
         ["-avv", "--remove-source-files"], ["-a", "--info=remove", "--remove-source-files"],
         ["-av", "--remove-source-files"], ["-av", "--copy-unsafe-links"],
         ["-a", "--copy-unsafe-links", "--info=symsafe"], ["-a", "--progress"],
         ["-aq", "--info=name"], ["-a", "--out-format=%i %n"], ["-a", "--info=name"]]


@pytest.mark.parametrize("opts", CASES, ids=[" ".join(c) for c in CASES])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_info_nonreg_and_remove_as_upstream(tmp_path, direction, opts):
    up, oc = _both(tmp_path, direction, opts)
    assert oc == up


@pytest.fixture
def mounted(tmp_path):
    """A tmpfs mounted inside the source tree (skipped where mounting is not allowed)."""
    point = tmp_path / "mp"
    point.mkdir()
    if os.geteuid() or subprocess.run(["mount", "-t", "tmpfs", "none", str(point)],
                                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    (point / "g").write_bytes(b"on another file system\n")
    yield point
    subprocess.run(["umount", str(point)], check=True)


@pytest.mark.parametrize("opts", [["-avvxx"], ["-axx", "--info=mount"], ["-avvx"]],
                         ids=lambda v: " ".join(v))
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_mount_points_said_as_upstream(tmp_path, mounted, direction, opts):
    src = tmp_path / "src"
    (src / "plain").mkdir(parents=True)
    (src / "plain" / "f").write_bytes(b"f\n")
    (src / "mp").mkdir()
    subprocess.run(["mount", "--bind", str(mounted), str(src / "mp")], check=True)
    for p in ("plain/f", "plain", "mp", "."):  # (times of the current second: upstream
        os.utime(src / p, (1_600_000_000, 1_600_000_000))  # may leave a directory's)
    try:
        got = []
        for name, run in (("up", _reference_for), ("oc", lambda d, *a: _run(direction, *a))):
            dst = tmp_path / name
            r = run(direction, opts, src, dst, tmp_path)
            got.append((r.returncode, sorted(_lines(r.stdout, dst)), _lines(r.stderr, dst),
                        _snapshot(dst, True, True)))
        assert got[1] == got[0]
    finally:
        subprocess.run(["umount", str(src / "mp")], check=True)
