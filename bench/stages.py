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


def _oc_cmds(old: str, new: str, w, tag: str, extra: str) -> dict[str, str]:
    return {
        "signature": f"{BIN}/oc-sig -q {extra} --checksum-seed 1 {old} {w(tag + '.sig')}",
        "delta": f"{BIN}/oc-delta -q {extra} --sig {w(tag + '.sig')} {new} {w(tag + '.delta')}",
        "patch": (f"{BIN}/oc-patch -q {extra} --delta {w(tag + '.delta')} {old} "
                  f"-o {w(tag + '.out')}"),
    }


def main(size_mib: int = 512, workdir: str = "/tmp/oc-bench") -> list[tuple]:
    """Rows of (stage, oc seconds, oc --cc xxh128 seconds, rdiff seconds)."""
    os.makedirs(workdir, exist_ok=True)
    old, new = make_pair(workdir, size_mib << 20)
    w = lambda n: os.path.join(workdir, n)  # noqa: E731
    tools = {"oc": _oc_cmds(old, new, w, "oc", ""),
             "ox": _oc_cmds(old, new, w, "ox", "--cc xxh128"),
             "rd": {"signature": f"rdiff signature {old} {w('rd.sig')}",
                    "delta": f"rdiff delta {w('rd.sig')} {new} {w('rd.delta')}",
                    "patch": f"rdiff patch {old} {w('rd.delta')} {w('rd.out')}"}}
    outputs = {"signature": "sig", "delta": "delta", "patch": "out"}
    rows = []
    for stage in ("signature", "delta", "patch"):
        times = {}
        for tool in ("rd", "oc", "ox"):
            # replacing a big file costs the kernel time: every tool starts from none
            target = w(f"{tool}.{outputs[stage]}")
            if os.path.exists(target):
                os.unlink(target)
            os.sync()
            times[tool], _ = timed(tools[tool][stage])
        rows.append((stage, times["oc"], times["ox"], times["rd"]))
    for tool in tools:
        subprocess.run(["cmp", w(f"{tool}.out"), new], check=True)
    return rows


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    for stage, t_oc, t_ox, t_rd in main(size):
        print(f"{stage:10s} oc {t_oc:.2f}s  oc-xxh128 {t_ox:.2f}s  rdiff {t_rd:.2f}s")
