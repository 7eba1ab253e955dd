"""CPython side of `threadkit bench`, group `sync`, signalling cases.

Same scenarios as crates/threadkit-cli/src/bench/sync_signals.rs:
Semaphore acquire+release uncontended, Event set+is_set+wait fast path,
Event ping-pong round trip between two threads. Prints one JSON object per
line (see README.md); each value is the median of a few samples.
"""

import json
import statistics
import sys
import threading
import time

GROUP = "sync"
QUICK = "--quick" in sys.argv
SAMPLES = 3 if QUICK else 5


def scaled(n):
    return max(1, n // 10) if QUICK else n


def median_ns_per_op(n, run):
    values = []
    for _ in range(SAMPLES):
        start = time.perf_counter_ns()
        run(n)
        values.append((time.perf_counter_ns() - start) / n)
    return statistics.median(values)


def semaphore(n):
    sem = threading.Semaphore(1)
    acquire, release = sem.acquire, sem.release
    for _ in range(n):
        acquire()
        release()


def event_fast(n):
    e = threading.Event()
    e.set()
    set_, is_set, wait = e.set, e.is_set, e.wait
    for _ in range(n):
        set_()
        is_set()
        wait()


def ping_pong(n):
    ping, pong = threading.Event(), threading.Event()

    def other():
        for _ in range(n):
            ping.wait()
            ping.clear()
            pong.set()

    t = threading.Thread(target=other)
    t.start()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    t.join()


def emit(case, value):
    print(json.dumps({"group": GROUP, "case": case, "impl": "cpython",
                      "value": value, "unit": "ns/op"}), flush=True)


def main():
    emit("semaphore acquire+release uncontended",
         median_ns_per_op(scaled(300_000), semaphore))
    emit("event set+is_set+wait fast path",
         median_ns_per_op(scaled(300_000), event_fast))
    emit("event ping-pong round trip",
         median_ns_per_op(scaled(5_000), ping_pong))


if __name__ == "__main__":
    main()
