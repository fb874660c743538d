"""`make bench`: every benchmark in one run; writes bench/out/results.md (the README table)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import core_throughput  # noqa: E402
import flist  # noqa: E402
import rsync_bench  # noqa: E402
import stages  # noqa: E402


def plot(scenarios, path: str) -> None:
    """The oc-rsync / rsync ratios (time and peak RSS) per scenario as a bar chart; 1.0
    is parity. Skipped, with a note, when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker  # noqa: F401 (used as matplotlib.ticker)
    except ImportError:
        print("(no plot: matplotlib is not installed; `make bench` installs it)")
        return
    names = [s[0] for s in scenarios]
    times = [s[3] / s[1] for s in scenarios]
    rss = [s[4] / s[2] for s in scenarios]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], times, 0.4, label="wall time")
    ax.bar([x + 0.2 for x in xs], rss, 0.4, label="peak RSS")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(list(xs), names, fontsize=8)
    ax.set_ylabel("oc-rsync / rsync")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks([0.5, 1, 2, 4, 8])
    ax.set_title("oc-rsync vs rsync 3.5.0 (below 1 is better)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


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
    entries = int(os.environ.get("BENCH_FLIST_ENTRIES", "200000"))
    lines += ["", f"Listing a tree of {entries:,} entries, warm cache, one run each:", "",
              "| command | wall | peak RSS |", "|---|---|---|"]
    rows = flist.main(entries)
    for name, secs, rss, _count in rows:
        lines.append(f"| `{name}` | {secs:.2f} s | {rss / 1024:.1f} MB |")
    lines.append(f"| ratio oc / upstream | {rows[1][1] / rows[0][1]:.2f} | "
                 f"{rows[1][2] / rows[0][2]:.2f} |")
    files = int(os.environ.get("BENCH_FILES", "5000"))
    where, scenarios = rsync_bench.main(size, files)
    lines += ["", f"oc-rsync vs rsync 3.5.0 ({files:,} files of 100 B-100 kB, copied locally "
              f"and pulled over the `-e` transport; a {size} MiB file with 200 scattered edits "
              f"over `-e`; on {where}), median of {rsync_bench.ROUNDS} runs each:", "",
              "| scenario | rsync | oc-rsync | time ratio | rsync RSS | oc RSS | RSS ratio |",
              "|---|---|---|---|---|---|---|"]
    for scenario, tu, mu, to, mo in scenarios:
        lines.append(f"| {scenario} | {tu:.2f} s | {to:.2f} s | {to / tu:.2f} | "
                     f"{mu / 1024:.1f} MB | {mo / 1024:.1f} MB | {mo / mu:.2f} |")
    plot(scenarios, os.path.join(out, "rsync_ratios.png"))
    lines += ["", "Rolling checksum throughput (libcore):", ""]
    for name, gbs in core_throughput.main():
        lines.append(f"- {name}: {gbs:.2f} GB/s")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
