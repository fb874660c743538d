"""Benchmark: oc-sig / oc-delta / oc-patch against rdiff signature / delta / patch on a
generated pair (random basis, 1% of it rewritten in scattered 4 KiB edits), measured in
one run, reported as time ratios (oc / rdiff; below 1.0 means oc is faster)."""
import os
import random
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(os.path.dirname(sys.executable))


def make_pair(d: str, size: int) -> tuple[str, str]:
    old, new = os.path.join(d, "old"), os.path.join(d, "new")
    rng = random.Random(1)
    with open(old, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 24)
            f.write(rng.randbytes(n))
            left -= n
    with open(old, "rb") as src, open(new, "wb") as dst:
        while chunk := src.read(1 << 24):
            dst.write(chunk)
    with open(new, "r+b") as f:
        edits = size // 100 // 4096
        for _ in range(edits):
            f.seek(rng.randrange(0, size - 4096))
            f.write(rng.randbytes(4096))
    return old, new


def timed(cmd: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of the children run by a shell command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(["bash", "-c", cmd], check=True)
    wall = time.perf_counter() - t
    return wall, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)


def main(size_mib: int = 512, workdir: str = "/tmp/oc-bench") -> list[tuple]:
    os.makedirs(workdir, exist_ok=True)
    old, new = make_pair(workdir, size_mib << 20)
    w = lambda n: os.path.join(workdir, n)  # noqa: E731
    oc = {
        "signature": f"{BIN}/oc-sig -q --checksum-seed 1 {old} {w('oc.sig')}",
        "delta": f"{BIN}/oc-delta -q --sig {w('oc.sig')} {new} {w('oc.delta')}",
        "patch": f"{BIN}/oc-patch -q --delta {w('oc.delta')} {old} -o {w('oc.out')}",
    }
    rd = {
        "signature": f"rdiff signature {old} {w('rd.sig')}",
        "delta": f"rdiff delta {w('rd.sig')} {new} {w('rd.delta')}",
        "patch": f"rdiff patch {old} {w('rd.delta')} {w('rd.out')}",
    }
    rows = []
    for stage in ("signature", "delta", "patch"):
        t_rd, _ = timed(rd[stage])
        t_oc, _ = timed(oc[stage])
        rows.append((stage, t_oc, t_rd, t_oc / t_rd,
                     os.path.getsize(w(f"oc.{'sig' if stage == 'signature' else stage}"))
                     if stage != "patch" else 0))
    subprocess.run(["cmp", w("oc.out"), new], check=True)
    subprocess.run(["cmp", w("rd.out"), new], check=True)
    return rows


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    for row in main(size):
        stage, t_oc, t_rd, ratio = row[:4]
        print(f"{stage:10s} oc {t_oc:.2f}s  rdiff {t_rd:.2f}s  ratio {ratio:.2f}")
