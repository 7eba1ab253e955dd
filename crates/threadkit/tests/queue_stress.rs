//! Stress: many producers and consumers move many items through small
//! queues; every item must come out exactly once (count, sum and a
//! per-item seen-bitmap), and a FIFO keeps each producer's order.

mod common;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use common::bounded;
use threadkit::{GetError, LifoQueue, PriorityQueue, Queue, SimpleQueue};

const LIMIT: std::time::Duration = std::time::Duration::from_secs(240);

/// Tells the test which operations a queue kind offers.
trait Kind: Clone + Send + 'static {
    fn put(&self, v: u64);
    fn get(&self) -> Result<u64, GetError>;
    fn done(&self) {}
    fn finish(&self) {}
    const FIFO: bool;
}

impl Kind for Queue<u64> {
    fn put(&self, v: u64) {
        Queue::put(self, v).unwrap();
    }
    fn get(&self) -> Result<u64, GetError> {
        Queue::get(self)
    }
    fn done(&self) {
        self.task_done().unwrap();
    }
    fn finish(&self) {
        self.join();
        self.shutdown(false);
    }
    const FIFO: bool = true;
}

impl Kind for LifoQueue<u64> {
    fn put(&self, v: u64) {
        LifoQueue::put(self, v).unwrap();
    }
    fn get(&self) -> Result<u64, GetError> {
        LifoQueue::get(self)
    }
    fn done(&self) {
        self.task_done().unwrap();
    }
    fn finish(&self) {
        self.join();
        self.shutdown(false);
    }
    const FIFO: bool = false;
}

impl Kind for PriorityQueue<u64> {
    fn put(&self, v: u64) {
        PriorityQueue::put(self, v).unwrap();
    }
    fn get(&self) -> Result<u64, GetError> {
        PriorityQueue::get(self)
    }
    fn done(&self) {
        self.task_done().unwrap();
    }
    fn finish(&self) {
        self.join();
        self.shutdown(false);
    }
    const FIFO: bool = false;
}

/// `SimpleQueue` has no shutdown: consumers stop on a `u64::MAX` sentinel.
impl Kind for SimpleQueue<u64> {
    fn put(&self, v: u64) {
        SimpleQueue::put(self, v);
    }
    fn get(&self) -> Result<u64, GetError> {
        match SimpleQueue::get(self) {
            Ok(u64::MAX) => Err(GetError::ShutDown),
            r => r,
        }
    }
    fn finish(&self) {
        for _ in 0..64 {
            SimpleQueue::put(self, u64::MAX);
        }
    }
    const FIFO: bool = true;
}

/// Moves `total` items from `p` producers to `c` consumers through `q`.
fn run<Q: Kind>(q: Q, p: u64, c: usize, total: u64) {
    let per = total / p;
    let total = per * p;
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..total).map(|_| AtomicU8::new(0)).collect());
    let start = Arc::new(Barrier::new(p as usize + c + 1));
    let producers: Vec<_> = (0..p)
        .map(|k| {
            let (q, start) = (q.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for i in 0..per {
                    // Producer k sends k, k + p, k + 2p, ...: increasing.
                    q.put(i * p + k);
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..c)
        .map(|_| {
            let (q, start, seen) = (q.clone(), start.clone(), seen.clone());
            thread::spawn(move || {
                start.wait();
                let (mut n, mut sum) = (0u64, 0u64);
                let mut last = vec![None::<u64>; p as usize];
                while let Ok(v) = q.get() {
                    assert!(v < total, "an item that was never put: {v}");
                    let before = seen[v as usize].fetch_add(1, Ordering::Relaxed);
                    assert_eq!(before, 0, "item {v} received twice");
                    if Q::FIFO {
                        let k = (v % p) as usize;
                        assert!(last[k].is_none_or(|l| l < v), "producer {k} reordered");
                        last[k] = Some(v);
                    }
                    n += 1;
                    sum = sum.wrapping_add(v.wrapping_mul(v));
                    q.done();
                }
                (n, sum)
            })
        })
        .collect();
    start.wait();
    for t in producers {
        t.join().unwrap();
    }
    q.finish();
    let (n, sum) = consumers
        .into_iter()
        .map(|t| t.join().unwrap())
        .fold((0u64, 0u64), |a, b| (a.0 + b.0, a.1.wrapping_add(b.1)));
    assert_eq!(n, total, "items lost or duplicated");
    let expect = (0..total).fold(0u64, |s, v| s.wrapping_add(v.wrapping_mul(v)));
    assert_eq!(sum, expect, "checksum");
    assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1));
}

#[test]
fn queue_bounded_16_4p4c_one_million() {
    bounded(LIMIT, || run(Queue::with_maxsize(16), 4, 4, 1_000_000));
}

#[test]
fn queue_bounded_1_3p3c() {
    bounded(LIMIT, || run(Queue::with_maxsize(1), 3, 3, 100_000));
}

#[test]
fn queue_unbounded_4p4c() {
    bounded(LIMIT, || run(Queue::new(), 4, 4, 1_000_000));
}

#[test]
fn simple_queue_4p4c() {
    bounded(LIMIT, || run(SimpleQueue::new(), 4, 4, 1_000_000));
}

#[test]
fn lifo_bounded_16_4p4c() {
    bounded(LIMIT, || run(LifoQueue::with_maxsize(16), 4, 4, 200_000));
}

#[test]
fn priority_bounded_16_4p4c() {
    bounded(LIMIT, || {
        run(PriorityQueue::with_maxsize(16), 4, 4, 200_000)
    });
}

#[test]
fn queue_timed_gets_and_puts_lose_nothing() {
    // Timed calls that often time out must never lose or duplicate an item.
    bounded(LIMIT, || {
        let q = Queue::with_maxsize(2);
        let total = 20_000u64;
        let prod: Vec<_> = (0..2u64)
            .map(|k| {
                let q = q.clone();
                thread::spawn(move || {
                    let mut i = 0;
                    while i < total / 2 {
                        let v = i * 2 + k;
                        match q.put_timeout(v, std::time::Duration::from_micros(50)) {
                            Ok(()) => i += 1,
                            Err(e) => assert_eq!(e.into_inner(), v),
                        }
                    }
                })
            })
            .collect();
        let cons: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    loop {
                        match q.get_timeout(std::time::Duration::from_micros(50)) {
                            Ok(v) => got.push(v),
                            Err(GetError::Timeout) => {}
                            Err(GetError::ShutDown) => return got,
                            Err(GetError::Empty) => unreachable!(),
                        }
                    }
                })
            })
            .collect();
        for p in prod {
            p.join().unwrap();
        }
        q.shutdown(false);
        let mut all: Vec<u64> = cons.into_iter().flat_map(|c| c.join().unwrap()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..total).collect::<Vec<_>>());
    });
}

#[test]
fn queue_huge_maxsize_deque_4p4c() {
    bounded(LIMIT, || {
        run(Queue::with_maxsize(usize::MAX), 4, 4, 200_000)
    });
}

// CPython: SimpleQueue's test_many_threads_nonblock / _timeout: consumers
// poll with `try_get`/`get_timeout`; nothing is lost or duplicated.
#[test]
fn simple_queue_many_threads_nonblocking_and_timed() {
    bounded(LIMIT, || {
        let q = SimpleQueue::new();
        let total = 40_000u64;
        let producers: Vec<_> = (0..4u64)
            .map(|k| {
                let q = q.clone();
                thread::spawn(move || {
                    for i in 0..total / 4 {
                        q.put(i * 4 + k);
                    }
                })
            })
            .collect();
        let taken = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let consumers: Vec<_> = (0..4)
            .map(|c| {
                let (q, taken) = (q.clone(), taken.clone());
                thread::spawn(move || {
                    let mut got = Vec::new();
                    while taken.load(Ordering::SeqCst) < total {
                        let r = if c % 2 == 0 {
                            q.try_get()
                        } else {
                            q.get_timeout(std::time::Duration::from_micros(100))
                        };
                        match r {
                            Ok(v) => {
                                got.push(v);
                                taken.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(GetError::Empty) | Err(GetError::Timeout) => thread::yield_now(),
                            Err(GetError::ShutDown) => unreachable!(),
                        }
                    }
                    got
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let mut all: Vec<u64> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..total).collect::<Vec<_>>());
        assert!(q.empty());
    });
}
