"""CPython side of bench group `process` (see README.md for the contract).

Same scenarios as crates/threadkit-cli/src/bench/process.rs:
- pool start + first result + shutdown (2 workers): ProcessPoolExecutor(2),
  one task, its result, shutdown(wait=True);
- small tasks submitted together (2 workers): N tiny tasks submitted at once
  to a running ProcessPoolExecutor(2), then every result;
- single round trip: submit + result of one tiny task, one at a time;
- CPU-bound map speed-up, 2 workers vs 1: Pool(1).map / Pool(2).map of 8
  CPU-bound items (chunksize 1).
"""

import json
import multiprocessing
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

GROUP = "process"


def square(x):
    return x * x


def burn(n):
    x = n
    for i in range(n):
        x = (x * 6364136223846793005 + i) & 0xFFFFFFFFFFFFFFFF
    return x


def emit(case, value, unit):
    print(json.dumps({"group": GROUP, "case": case, "impl": "cpython",
                      "value": value, "unit": unit}), flush=True)


def median_of(samples, fn):
    return statistics.median(fn() for _ in range(samples))


def start_sample():
    t = time.perf_counter()
    with ProcessPoolExecutor(2) as ex:
        assert ex.submit(square, 3).result() == 9
    return (time.perf_counter() - t) * 1e6


def main():
    quick = "--quick" in sys.argv
    samples = 3 if quick else 5

    emit("pool start + first result + shutdown (2 workers)",
         median_of(samples, start_sample), "us")

    n = 1_000 if quick else 3_000
    with ProcessPoolExecutor(2) as ex:
        ex.submit(square, 1).result()

        def throughput():
            t = time.perf_counter()
            fs = [ex.submit(square, i) for i in range(n)]
            for f in fs:
                f.result()
            return n / (time.perf_counter() - t)

        emit("small tasks submitted together (2 workers)",
             median_of(3, throughput), "tasks/s")

    m = 200 if quick else 1_000
    with ProcessPoolExecutor(1) as ex:
        ex.submit(square, 1).result()

        def round_trip():
            t = time.perf_counter()
            for i in range(m):
                ex.submit(square, i).result()
            return (time.perf_counter() - t) * 1e6 / m

        emit("single round trip", median_of(samples, round_trip), "us")

    work = [30_000 if quick else 300_000] * 8
    with multiprocessing.Pool(1) as one, multiprocessing.Pool(2) as two:
        one.map(square, [1])
        two.map(square, [1, 2])

        def speedup():
            t = time.perf_counter()
            one.map(burn, work, chunksize=1)
            t1 = time.perf_counter() - t
            t = time.perf_counter()
            two.map(burn, work, chunksize=1)
            t2 = time.perf_counter() - t
            return t1 / t2

        emit("CPU-bound map speed-up, 2 workers vs 1",
             median_of(3, speedup), "x")


if __name__ == "__main__":
    main()
