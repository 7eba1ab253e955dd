"""CPython side of `threadkit bench` group `thread` (see README.md)."""

import json
import statistics
import sys
import threading
import time

CASE = "spawn+join one thread"


def f():
    return 1


def sample(n):
    for _ in range(max(n // 20, 1)):
        t = threading.Thread(target=f)
        t.start()
        t.join()
    start = time.perf_counter_ns()
    for _ in range(n):
        t = threading.Thread(target=f)
        t.start()
        t.join()
    return (time.perf_counter_ns() - start) / n


def main():
    quick = "--quick" in sys.argv[1:]
    n = 200 if quick else 2000
    samples = [sample(n) for _ in range(3 if quick else 5)]
    print(json.dumps({
        "group": "thread",
        "case": CASE,
        "impl": "cpython",
        "value": statistics.median(samples),
        "unit": "ns/op",
    }))


if __name__ == "__main__":
    main()
