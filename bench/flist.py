"""Listing a tree: `oc-flist -r` vs `rsync -r --list-only`, warm cache, one run each after a
warm-up; wall time and peak RSS (/usr/bin/time -f %M). The tree: directories of 100 files."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

BIN = os.path.dirname(sys.executable)


def make_tree(root: str, entries: int) -> None:
    per_dir = 100
    for d in range(entries // (per_dir + 1)):
        path = os.path.join(root, f"d{d // 100:03d}", f"s{d % 100:02d}")
        os.makedirs(path, exist_ok=True)
        for f in range(per_dir):
            open(os.path.join(path, f"file{f:03d}.dat"), "wb").close()


def _run(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=True)
    return time.perf_counter() - t, int(r.stderr.strip().splitlines()[-1])


def main(entries: int) -> list[tuple[str, float, int]]:
    root = tempfile.mkdtemp(prefix="oc-flist-bench-")
    try:
        make_tree(root, entries)
        count = sum(len(f) + len(d) for _, d, f in os.walk(root))
        cmds = {"rsync -r --list-only": ["rsync", "-r", "--list-only", root + "/"],
                "oc-flist -r": [f"{BIN}/oc-flist", "-r", root + "/"]}
        for cmd in cmds.values():  # warm the cache
            _run(cmd)
        return [(name, *_run(cmd), count) for name, cmd in cmds.items()]
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    for row in main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000):
        print(row)
