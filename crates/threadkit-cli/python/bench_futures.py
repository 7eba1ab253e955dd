"""CPython side of `threadkit bench futures` (see README.md for the contract)."""
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

QUICK = "--quick" in sys.argv
GROUP = "futures"
FIRE = "1M tiny tasks, 2 workers (fire-and-forget)"
ALL = "submit 1M tasks then wait on every result"
ROUND = "one submit -> result round trip"


def n(full):
    return max(1, full // 10) if QUICK else full


def warm_pool():
    pool = ThreadPoolExecutor(max_workers=2)
    barrier = threading.Barrier(2)
    for f in [pool.submit(barrier.wait) for _ in range(2)]:
        f.result()
    return pool


def noop():
    pass


def fire():
    # CPython has no fire-and-forget: submit and drop the future.
    count = n(50_000)
    pool = warm_pool()
    t0 = time.perf_counter()
    for _ in range(count):
        pool.submit(noop)
    pool.shutdown(wait=True)
    return count / (time.perf_counter() - t0)


def ident(i):
    return i


def submit_all():
    count = n(50_000)
    pool = warm_pool()
    t0 = time.perf_counter()
    fs = [pool.submit(ident, i) for i in range(count)]
    total = sum(f.result() for f in fs)
    rate = count / (time.perf_counter() - t0)
    pool.shutdown()
    assert total == count * (count - 1) // 2
    return rate


def round_trip():
    count = n(20_000)
    pool = warm_pool()
    t0 = time.perf_counter()
    for i in range(count):
        assert pool.submit(ident, i).result() == i
    us = (time.perf_counter() - t0) * 1e6 / count
    pool.shutdown()
    return us


def emit(case, fn, unit, samples=3):
    value = statistics.median(fn() for _ in range(samples))
    print(json.dumps({"group": GROUP, "case": case, "impl": "cpython", "value": value, "unit": unit}))
    sys.stdout.flush()


if __name__ == "__main__":
    emit(FIRE, fire, "tasks/s")
    emit(ALL, submit_all, "tasks/s")
    emit(ROUND, round_trip, "us")
