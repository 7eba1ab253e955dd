"""CPython side of `threadkit bench`, group `gil`: what the GIL does to two
CPU-bound threads (contract in README.md)."""

import json
import statistics
import sys
import threading
import time

QUICK = "--quick" in sys.argv
N = 200_000 if QUICK else 2_000_000
SAMPLES = 3 if QUICK else 5


def spin(n):
    for _ in range(n):
        pass


def speed_up():
    t = time.perf_counter()
    spin(N)
    spin(N)
    sequential = time.perf_counter() - t
    threads = [threading.Thread(target=spin, args=(N,)) for _ in range(2)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sequential / (time.perf_counter() - t)


def emit(case, value, unit):
    print(json.dumps({"group": "gil", "case": case, "impl": "cpython",
                      "value": value, "unit": unit}))


speed_up()  # warm-up
emit("2 CPU-bound threads: speed-up",
     statistics.median(speed_up() for _ in range(SAMPLES)), "x")
