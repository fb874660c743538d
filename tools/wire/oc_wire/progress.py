"""Progress lines in the shape rsync's --progress prints them (upstream: progress.c):
bytes so far (comma-grouped), percent, rate, and time remaining, redrawn with '\\r'."""
import time

__all__ = ["Progress", "progress_for"]


def _rate(bps: float) -> str:
    for unit, scale in (("GB/s", 1 << 30), ("MB/s", 1 << 20), ("kB/s", 1 << 10)):
        if bps >= scale:
            return f"{bps / scale:7.2f}{unit}"
    return f"{bps:7.2f}B/s"


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:4d}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Call update(done) as work advances and finish() at the end; writes to `out`
    (a text stream) at most every `interval` seconds. Disabled when out is None."""

    def __init__(self, out, total: int, interval: float = 0.5, clock=time.monotonic):
        self.out, self.total, self.interval, self.clock = out, total, interval, clock
        self.start = self.last = clock()

    def _line(self, done: int, elapsed: float) -> str:
        pct = 100 if self.total == 0 else done * 100 // self.total
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 else 0.0
        return f"\r{done:15,d} {pct:3d}% {_rate(rate)} {_hms(left)}"

    def update(self, done: int) -> None:
        if self.out is None:
            return
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self.out.write(self._line(done, now - self.start))
            self.out.flush()

    def finish(self, done: int) -> None:
        if self.out is None:
            return
        self.out.write(self._line(done, self.clock() - self.start) + "\n")
        self.out.flush()


def progress_for(stderr, total: int, forced: bool | None, quiet: bool,
                 threshold: int = 1 << 26) -> Progress:
    """The stage tools' rule: shown when forced (--progress), or by default for inputs of
    `threshold` bytes and more when stderr is a terminal; never with -q."""
    show = not quiet and (forced or (forced is None and stderr.isatty() and total >= threshold))
    return Progress(stderr if show else None, total)
