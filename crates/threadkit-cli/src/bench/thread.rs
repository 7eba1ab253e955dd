//! Group `thread`: the cost of a thread's life, spawn + join of one thread
//! that returns at once.
//!
//! Peers: `std::thread::spawn` + `JoinHandle::join`, and CPython's
//! `Thread(target=f).start(); join()` (`python/bench_thread.py`). Target:
//! threadkit within 1.25x of std. threadkit does more per thread than std:
//! a registry entry (for `enumerate()` and the deadlock detector), a
//! `Thread-N` name given to the OS thread, and a join through the wait
//! layer; the spawn itself (mmap of the stack, clone) dominates.

use std::time::Instant;

use super::case::{Case, Scale, Unit};

const CASE: &str = "spawn+join one thread";

fn per_op(scale: Scale, mut op: impl FnMut()) -> f64 {
    let n = scale.n(2000);
    // Warm the allocator and the thread-stack cache.
    for _ in 0..(n / 20).max(1) {
        op();
    }
    let start = Instant::now();
    for _ in 0..n {
        op();
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// The cases of group `thread`.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case::new("thread", CASE, "threadkit", Unit::NsPerOp, |scale| {
            per_op(scale, || {
                let t = threadkit::Thread::spawn(|| std::hint::black_box(1u64))
                    .expect("spawn a thread");
                std::hint::black_box(t.join().expect("join the thread"));
            })
        }),
        Case::new("thread", CASE, "std", Unit::NsPerOp, |scale| {
            per_op(scale, || {
                let t = std::thread::spawn(|| std::hint::black_box(1u64));
                std::hint::black_box(t.join().expect("join the thread"));
            })
        }),
    ]
}
