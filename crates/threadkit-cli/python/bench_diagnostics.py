"""CPython side of `threadkit bench`, group `diagnostics` (scenario names
match crates/threadkit-cli/src/bench/diagnostics.rs).

CPython has no deadlock detector, lock-order checker or lock statistics; the
comparable numbers are the plain uncontended `with lock:` and the closest
thing to a thread dump: `sys._current_frames()` formatted with `traceback`
while 8 threads are blocked on a lock.

Run as `python3 bench_diagnostics.py [--quick]`; prints one JSON object per line.
"""

import json
import statistics
import sys
import threading
import time
import traceback

GROUP = "diagnostics"
QUICK = "--quick" in sys.argv
SAMPLES = 3


def n(count):
    return max(1, count // 10) if QUICK else count


def emit(case, value, unit):
    print(json.dumps({"group": GROUP, "case": case, "impl": "cpython",
                      "value": value, "unit": unit}), flush=True)


def median(sample):
    return statistics.median(sample() for _ in range(SAMPLES))


def uncontended():
    lock = threading.Lock()
    count = n(300_000)
    start = time.perf_counter()
    for _ in range(count):
        with lock:
            pass
    return (time.perf_counter() - start) * 1e9 / count


def nested():
    outer, inner = threading.Lock(), threading.Lock()
    count = n(200_000)
    start = time.perf_counter()
    for _ in range(count):
        with outer:
            with inner:
                pass
    return (time.perf_counter() - start) * 1e9 / count


def dump():
    lock = threading.Lock()
    lock.acquire()
    started = threading.Barrier(9)

    def blocked():
        started.wait()
        with lock:
            pass

    threads = [threading.Thread(target=blocked) for _ in range(8)]
    for t in threads:
        t.start()
    started.wait()
    count = n(2_000)
    start = time.perf_counter()
    for _ in range(count):
        frames = sys._current_frames()
        for frame in frames.values():
            traceback.format_stack(frame)
    us = (time.perf_counter() - start) * 1e6 / count
    lock.release()
    for t in threads:
        t.join()
    return us


def main():
    emit("uncontended lock+unlock", median(uncontended), "ns/op")
    emit("nested lock+lock+unlock+unlock", median(nested), "ns/op")
    emit("dump of 8 blocked threads", median(dump), "us")


if __name__ == "__main__":
    main()
