"""f_name_cmp against upstream's own order: `rsync -r --no-inc-recursive --list-only`
prints the sorted file list, so the order of its names is the oracle."""
import os
import stat
import subprocess

import pytest
from oc_wire.flist_entry import FileEntry
from oc_wire.flist_order import sorted_list

NAMES = ["a", "a.b", "a-b", "ab", "a0", "b", "B", "_x", "a b", "\xe9t\xe9", "zz", "a.",
         ".hidden", "-dash"]


def _tree(root):
    os.makedirs(root / "a")
    os.makedirs(root / "a" / "a")
    os.makedirs(root / "ab.d")
    os.makedirs(root / "a-b" / "x")
    for d in ("", "a", "a/a", "ab.d", "a-b", "a-b/x"):
        for n in NAMES:
            p = root / d / n
            if not p.exists():
                p.write_bytes(b"x")
    os.makedirs(root / "zz.dir" / "a")


def _entries(root) -> list[FileEntry]:
    out = [FileEntry(name=b".", mode=stat.S_IFDIR | 0o755)]
    for dirpath, dirs, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for n in dirs + files:
            name = os.fsencode(n if rel == "." else os.path.join(rel, n))
            mode = os.lstat(os.path.join(dirpath, n)).st_mode
            out.append(FileEntry(name=name, mode=mode))
    return out


@pytest.mark.parametrize("protocol", [28, 29, 30, 32])
def test_sorted_order_equals_upstream_list_only(upstream_rsync, tmp_path, protocol):
    src = tmp_path / "src"
    _tree(src)
    out = subprocess.run([upstream_rsync, "-r", "--no-inc-recursive", "--list-only",
                          f"--protocol={protocol}", "src/"], cwd=tmp_path,
                         capture_output=True, check=True).stdout
    upstream = [line.split(None, 4)[4] for line in out.decode("utf-8", "replace").splitlines()]
    ours = [e.name.decode("utf-8", "replace") for e in sorted_list(_entries(src), protocol)]
    assert ours == upstream
