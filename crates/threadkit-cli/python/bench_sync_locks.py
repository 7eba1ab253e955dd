"""CPython side of `threadkit bench`, group `sync`: the Lock, RLock and
Condition cases (scenario names match crates/threadkit-cli/src/bench/sync_locks.rs).

Run as `python3 bench_sync_locks.py [--quick]`; prints one JSON object per line.
"""

import json
import statistics
import sys
import threading
import time

GROUP = "sync"
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
    box = [0]
    start = time.perf_counter()
    for _ in range(count):
        with lock:
            box[0] += 1
    return (time.perf_counter() - start) * 1e9 / count


def rlock_reentry():
    lock = threading.RLock()
    count = n(300_000)
    with lock:
        start = time.perf_counter()
        for _ in range(count):
            with lock:
                pass
        return (time.perf_counter() - start) * 1e9 / count


def contended(threads):
    def sample():
        lock = threading.Lock()
        box = [0]
        per_thread = n(100_000)
        start_line = threading.Barrier(threads + 1)

        def body():
            start_line.wait()
            for _ in range(per_thread):
                with lock:
                    box[0] += 1

        ts = [threading.Thread(target=body) for _ in range(threads)]
        for t in ts:
            t.start()
        start_line.wait()
        start = time.perf_counter()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - start
        assert box[0] == threads * per_thread
        return threads * per_thread / elapsed
    return sample


def ping_pong():
    cond = threading.Condition()
    box = [0]
    rounds = n(10_000)

    def partner():
        with cond:
            for i in range(rounds):
                cond.wait_for(lambda: box[0] == 2 * i + 1)
                box[0] += 1
                cond.notify()

    t = threading.Thread(target=partner)
    t.start()
    start = time.perf_counter()
    with cond:
        for i in range(rounds):
            box[0] += 1
            cond.notify()
            cond.wait_for(lambda: box[0] == 2 * i + 2)
    elapsed = time.perf_counter() - start
    t.join()
    return elapsed * 1e6 / rounds


def main():
    emit("uncontended lock+unlock", median(uncontended), "ns/op")
    emit("RLock re-entry", median(rlock_reentry), "ns/op")
    emit("contended counter 2 threads", median(contended(2)), "ops/s")
    emit("contended counter 4 threads", median(contended(4)), "ops/s")
    emit("Condition ping-pong", median(ping_pong), "us")


if __name__ == "__main__":
    main()
