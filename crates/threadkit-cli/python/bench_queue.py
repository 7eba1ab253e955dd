"""CPython side of `threadkit bench` group `queue` (see README.md).

Same scenarios as crates/threadkit-cli/src/bench/queue.rs: P producers send
n // P integers each, then one None sentinel per consumer; a sample is timed
from a start barrier to the last consumer's exit. Ping-pong bounces one
message between two threads through two maxsize-1 queues.
"""

import json
import queue
import statistics
import sys
import threading
import time

QUICK = "--quick" in sys.argv
N = 2_000 if QUICK else 20_000
ROUNDS = 500 if QUICK else 5_000
SAMPLES = 3


def throughput(make, p, c, n, task_done=False):
    q = make()
    per = n // p
    start = threading.Barrier(p + c + 1)

    def produce():
        start.wait()
        put = q.put
        for i in range(per):
            put(i)

    def consume():
        start.wait()
        get = q.get
        while True:
            v = get()
            if task_done:
                q.task_done()
            if v is None:
                return

    threads = [threading.Thread(target=produce) for _ in range(p)]
    threads += [threading.Thread(target=consume) for _ in range(c)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads[:p]:
        t.join()
    for _ in range(c):
        q.put(None)
    for t in threads[p:]:
        t.join()
    if task_done:
        q.join()
    return per * p / (time.perf_counter() - t0)


def counted(make, n):
    """One producer, one consumer taking exactly n items (LIFO/priority)."""
    q = make()
    start = threading.Barrier(3)

    def produce():
        start.wait()
        for i in range(n):
            q.put(i)

    def consume():
        start.wait()
        for _ in range(n):
            q.get()

    ts = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for t in ts:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in ts:
        t.join()
    return n / (time.perf_counter() - t0)


def ping_pong(rounds):
    ping, pong = queue.Queue(1), queue.Queue(1)

    def echo():
        while True:
            v = ping.get()
            pong.put(v)
            if v is None:
                return

    t = threading.Thread(target=echo)
    t.start()
    t0 = time.perf_counter()
    for i in range(rounds):
        ping.put(i)
        pong.get()
    ns = (time.perf_counter() - t0) * 1e9 / rounds
    ping.put(None)
    pong.get()
    t.join()
    return ns


def emit(case, value, unit):
    print(json.dumps({"group": "queue", "case": case, "impl": "cpython",
                      "value": value, "unit": unit}), flush=True)


def median(f):
    return statistics.median(f() for _ in range(SAMPLES))


def main():
    for p in (1, 2, 4):
        emit(f"bounded(1024) {p}P{p}C",
             median(lambda: throughput(lambda: queue.Queue(1024), p, p, N)), "msgs/s")
    for p in (1, 2, 4):
        emit(f"unbounded {p}P{p}C",
             median(lambda: throughput(queue.Queue, p, p, N)), "msgs/s")
    for p in (1, 2, 4):
        emit(f"SimpleQueue {p}P{p}C",
             median(lambda: throughput(queue.SimpleQueue, p, p, N)), "msgs/s")
    for p in (1, 4):
        emit(f"bounded(1024) {p}P{p}C task_done+join",
             median(lambda: throughput(lambda: queue.Queue(1024), p, p, N, True)), "msgs/s")
    emit("LifoQueue bounded(1024) 1P1C",
         median(lambda: counted(lambda: queue.LifoQueue(1024), N)), "msgs/s")
    emit("PriorityQueue bounded(1024) 1P1C",
         median(lambda: counted(lambda: queue.PriorityQueue(1024), N)), "msgs/s")
    emit("ping-pong round trip", median(lambda: ping_pong(ROUNDS)), "ns/op")


if __name__ == "__main__":
    main()
