"""`make bench`: every benchmark in one run; writes bench/out/results.md (the README table)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import core_throughput  # noqa: E402
import stages  # noqa: E402


def main() -> None:
    size = int(os.environ.get("BENCH_MIB", "512"))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
    os.makedirs(out, exist_ok=True)
    lines = [f"Stage tools vs rdiff (librsync 2.3), {size} MiB pair, 1% scattered edits, one run "
             "(oc: rsync's batch default, MD5 sums; oc xxh128: `--cc xxh128` on every stage):",
             "", "| stage | rdiff | oc | oc / rdiff | oc xxh128 | oc xxh128 / rdiff |",
             "|---|---|---|---|---|---|"]
    for stage, t_oc, t_ox, t_rd in stages.main(size):
        lines.append(f"| {stage} | {t_rd:.2f} s | {t_oc:.2f} s | {t_oc / t_rd:.2f} | "
                     f"{t_ox:.2f} s | {t_ox / t_rd:.2f} |")
    lines += ["", "Rolling checksum throughput (libcore):", ""]
    for name, gbs in core_throughput.main():
        lines.append(f"- {name}: {gbs:.2f} GB/s")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
