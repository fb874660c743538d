"""Rolling-checksum throughput of libcore's AVX2 and scalar paths and the pure reference."""
import os
import time

from oc_core import load_backend


def _gbs(fn, data: bytes, repeat: int) -> float:
    t = time.perf_counter()
    for _ in range(repeat):
        fn(data)
    return len(data) * repeat / (time.perf_counter() - t) / 1e9


def main() -> list[tuple[str, float]]:
    native, pure = load_backend("native"), load_backend("pure")
    data = os.urandom(64 << 20)
    rows = [("native " + ("avx2" if native.simd_level() == 2 else "scalar"),
             _gbs(native.rolling_checksum, data, 5))]
    native.force_scalar(True)
    try:
        rows.append(("native scalar", _gbs(native.rolling_checksum, data, 3)))
    finally:
        native.force_scalar(False)
    rows.append(("pure Python", _gbs(pure.rolling_checksum, data[:1 << 20], 1)))
    return rows


if __name__ == "__main__":
    for name, gbs in main():
        print(f"{name}: {gbs:.2f} GB/s")
