"""oc-rsync vs upstream rsync, same machine, the median of a few runs: wall time and peak RSS
(/usr/bin/time -f %M) for a local initial copy of a tree, a no-change rerun, a -c
rerun, a big-file delta over the remote-shell transport (a stub `-e` that runs the
server here), and the tree pulled whole over that transport (each program talking to
its own server), both programs with the same options.

The trees and files live on a file system made for the run: a 6 GiB ext4 (with a
journal, as mkfs.ext4 makes it) on a loop device over a file, unmounted and deleted at
the end. This machine's own ext4 has no journal, and without one ext4 passes over the
inodes deleted in the last minutes each time it allocates one: after any big deletion
(a test run, the previous benchmark) creating files cost either program several times
more, from one run to the next. Where no loop device can be had (not root, no
mkfs.ext4, a container), the run uses a directory in the temp dir instead, and says so."""
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

OC = os.path.join(os.path.dirname(sys.executable), "oc-rsync")
RSYNC = "/usr/bin/rsync"


def _tree(root: str, files: int) -> None:
    rng = random.Random(1)
    for i in range(files):
        d = os.path.join(root, f"d{i % 50:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}"), "wb") as f:
            f.write(rng.randbytes(rng.choice((100, 1000, 10_000, 100_000))))


FS_SIZE = 6 << 30
ROUNDS = 5  # runs of each scenario per program (the median is taken)


@contextlib.contextmanager
def _fresh_fs():
    """(the directory to work in, what it is) for the duration: see the module's text."""
    work = tempfile.mkdtemp(prefix="oc-rsync-bench-")
    image, mnt = os.path.join(work, "fs.img"), os.path.join(work, "mnt")
    os.mkdir(mnt)
    loop = None
    try:
        with open(image, "wb") as f:
            f.truncate(FS_SIZE)
        subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True, capture_output=True)
        loop = subprocess.run(["losetup", "-f", "--show", "--direct-io=on", image],
                              check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run(["mount", loop, mnt], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        if loop:
            subprocess.run(["losetup", "-d", loop], capture_output=True)
        print(f"rsync_bench: no fresh ext4 ({e}); working in {mnt}", file=sys.stderr)
        try:
            yield mnt, "a directory of the temp dir"
        finally:
            shutil.rmtree(work)
        return
    try:
        yield mnt, "a fresh ext4 on a loop device"
    finally:
        subprocess.run(["umount", mnt], check=False)
        subprocess.run(["losetup", "-d", loop], check=False)
        shutil.rmtree(work)


def _timed(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode:
        raise RuntimeError(f"{cmd} failed: {r.stderr[-500:]}")
    return time.perf_counter() - t, int(r.stderr.strip().splitlines()[-1])


def main(big_mib: int = 512, files: int = 5000,
         rounds: int = ROUNDS) -> tuple[str, list[tuple[str, float, int, float, int]]]:
    """Each scenario `rounds` times per program, the programs taking turns run by run (so
    drift of the disk and the cache hits both alike); the median time and peak RSS.
    Returns (the file system the runs were on, the rows)."""
    with _fresh_fs() as (base, where):
        return where, _scenarios(base, big_mib, files, rounds)


def _scenarios(base: str, big_mib: int, files: int, rounds: int) -> list[tuple]:
    rows = []
    src = os.path.join(base, "src")
    _tree(src, files)
    stub = os.path.join(base, "rsh")
    with open(stub, "w") as f:
        f.write('#!/bin/sh\nshift\nexec sh -c "$*"\n')
    os.chmod(stub, 0o755)
    big = os.path.join(base, "big")
    os.makedirs(big)
    rng = random.Random(2)
    data = bytearray(os.urandom(big_mib << 20))
    with open(os.path.join(big, "old"), "wb") as f:
        f.write(data)
    for _ in range(200):  # scattered edits
        at = rng.randrange(len(data) - 100)
        data[at:at + 64] = rng.randbytes(64)
    with open(os.path.join(big, "new"), "wb") as f:
        f.write(data)
    del data
    progs = (("upstream", [RSYNC]), ("oc", [OC, f"--rsync-path={OC}"]))

    runs_made = iter(range(1 << 30))
    copied: dict[str, str] = {}  # each program's last initial copy, which reruns use

    def prepare(kind: str, name: str) -> list[str]:
        """The destination as the scenario starts from it; the operands. A copy into
        an empty destination gets a new one each run, none deleted before the end
        (as a journal-less ext4 would otherwise slow the runs after it)."""
        if kind in ("initial", "pull"):
            dst = os.path.join(base, f"dst-{name}-{next(runs_made)}")
            if kind == "initial":
                copied[name] = dst
            return [f"{'localhost:' if kind == 'pull' else ''}{src}/", dst + "/"]
        if kind == "rerun":
            return [f"{src}/", copied[name] + "/"]
        bdst = os.path.join(base, f"bigdst-{name}")
        os.makedirs(bdst, exist_ok=True)
        shutil.copy(os.path.join(big, "old"), os.path.join(bdst, "f"))
        os.utime(os.path.join(bdst, "f"), (1, 1))
        return [f"localhost:{big}/new", os.path.join(bdst, "f")]

    scenarios = (("initial copy", ["-a"], "initial"), ("no-change rerun", ["-a"], "rerun"),
                 ("-c rerun", ["-ac"], "rerun"),
                 (f"{big_mib} MiB delta (-e)", ["-a", "-e", stub], "big"),
                 ("tree pull (-e)", ["-a", "-e", stub], "pull"))
    for scenario, opts, kind in scenarios:
        runs: dict[str, list[tuple[float, int]]] = {name: [] for name, _ in progs}
        for _ in range(rounds):
            for name, prog in progs:
                operands = prepare(kind, name)
                subprocess.run(["sync"])
                runs[name].append(_timed([*prog, *opts, *operands]))
        row = [scenario]
        for name, _ in progs:
            row += [statistics.median(t for t, _ in runs[name]),
                    int(statistics.median(m for _, m in runs[name]))]
        rows.append(tuple(row))
    return rows


if __name__ == "__main__":
    where, rows = main(int(os.environ.get("BENCH_MIB", "512")))
    print(where)
    for row in rows:
        print(row)
