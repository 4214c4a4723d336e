"""Which BLAS the PyTorch peer runs on, and how fast: the probe that
`deno task bench:peers` (bench/peers.ts) runs before it times anything.

    /usr/bin/python3 bench/peers/blas.py

prints one JSON object: {"libraries" (the BLAS / LAPACK shared objects
mapped into this process after a matrix product, from /proc/self/maps),
"blasInfo" (BLAS_INFO of torch.__config__.show()), "gflops" (a
1024 x 1024 float32 `a @ b`, median of the timed products), "size",
"threads", "timedMs" (every timed product), "torch"}.

Debian's torch calls the system libblas.so.3, whichever library the
alternatives system points it at; the build's BLAS_INFO ("generic") does
not say which, so the probe reads what the process actually loaded.
Threads: one, set as bench/peers/steps.py sets them for --threads 1.
"""
import json
import os
import re
import statistics
import sys
import time

# No __pycache__ in the working tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Sets OMP_NUM_THREADS / MKL_NUM_THREADS to 1 (no --threads here) before
# torch starts its thread pools, exactly as a 1-thread step run does.
import steps  # noqa: E402,F401
import torch  # noqa: E402

SIZE = 1024
WARMUP = 3
TIMED = 10


def blas_info() -> str | None:
    """BLAS_INFO=... of the build settings, or None where absent."""
    match = re.search(r"\bBLAS_INFO=([^,\s]*)", torch.__config__.show())
    return match.group(1) if match else None


def loaded_libraries() -> list[str]:
    """Paths of the mapped files whose name says BLAS or LAPACK, in map
    order, each once."""
    paths: list[str] = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) < 6:
                continue  # an anonymous mapping
            path = fields[5].strip()
            name = os.path.basename(path).lower()
            if ("blas" in name or "lapack" in name) and path not in paths:
                paths.append(path)
    return paths


def time_products() -> list[float]:
    """ms of each timed `a @ b`, after untimed ones that load the library
    and warm its buffers."""
    torch.manual_seed(0)
    a = torch.randn(SIZE, SIZE)
    b = torch.randn(SIZE, SIZE)
    times_ms = []
    for product in range(WARMUP + TIMED):
        started = time.perf_counter()
        a @ b
        elapsed = (time.perf_counter() - started) * 1000
        if product >= WARMUP:
            times_ms.append(elapsed)
    return times_ms


def main() -> None:
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    times_ms = time_products()
    flops = 2 * SIZE**3
    print(json.dumps({
        "libraries": loaded_libraries(),
        "blasInfo": blas_info(),
        "gflops": flops / (statistics.median(times_ms) / 1000) / 1e9,
        "size": SIZE,
        "threads": torch.get_num_threads(),
        "timedMs": [round(ms, 3) for ms in times_ms],
        "torch": torch.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
