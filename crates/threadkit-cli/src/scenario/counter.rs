//! `counter`: increments from many threads. Unsynchronized updates lose
//! counts; the plain racy version does not even compile in Rust.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use threadkit::Lock;

use super::work::on_threads;
use super::{Params, Scenario};
use crate::report::{Report, seeds};

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "counter",
    summary: "10 x 1,000 and 5 x 100,000 increments under a Lock, and lost updates without one",
    flags: "--threads N, --iterations N",
    run,
};

/// How often a thread is preempted between its read and its write. A
/// compiled loop of 100,000 increments is shorter than a time slice, so
/// without this the threads would rarely overlap at all.
const PREEMPT_EVERY: u64 = 500;

/// `counter += 1` as Python runs it: a load, then a store, as two separate
/// atomic operations. Another thread's increment between the two is lost.
fn racy(threads: u64, iterations: u64) -> u64 {
    let counter = AtomicU64::new(0);
    // All threads start counting together, as a thread started a little
    // earlier could otherwise finish before the others begin.
    let start = std::sync::Barrier::new(threads as usize);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start.wait();
                for i in 0..iterations {
                    // Relaxed: this is the bug on display; the atomics only
                    // make it defined behaviour.
                    let v = counter.load(Ordering::Relaxed);
                    if i % PREEMPT_EVERY == PREEMPT_EVERY - 1 {
                        // The scheduler's time slice ends between the read
                        // and the write now and then (CPython's switch
                        // interval does the same to `counter += 1`).
                        std::thread::yield_now();
                    }
                    counter.store(v + 1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}

/// `with lock: counter += 1` on `threads` threadkit threads.
fn locked(threads: u64, iterations: u64) -> Result<u64, String> {
    let counter = Arc::new(Lock::new(0u64));
    let c = Arc::clone(&counter);
    on_threads(threads as usize, move || {
        for _ in 0..iterations {
            *c.acquire() += 1;
        }
    })?;
    let total = *counter.acquire();
    Ok(total)
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let cases: Vec<(u64, u64)> = match (p.threads, p.iterations) {
        (None, None) => vec![(10, 1_000), (5, 100_000)],
        (t, i) => vec![(t.unwrap_or(5), i.unwrap_or(100_000))],
    };
    for (threads, iterations) in cases {
        let expected = threads * iterations;
        let seed = match (threads, iterations) {
            (10, 1_000) => seeds::count(10_000.0),
            (5, 100_000) => seeds::count(500_000.0),
            _ => None,
        };
        r.measure(
            format!("{threads} threads x {iterations} increments under a Lock"),
            locked(threads, iterations)? as f64,
            "count",
            seed,
        );
        let got = racy(threads, iterations);
        r.measure(
            format!("{threads} threads x {iterations} unsynchronized load-then-store increments"),
            got as f64,
            "count",
            None,
        );
        r.measure(
            format!("  lost updates (expected {expected})"),
            expected.saturating_sub(got) as f64,
            "count",
            None,
        );
    }
    r.note(format!(
        "Every {PREEMPT_EVERY}th increment a thread is preempted between its read and its write, \
         as a time slice ending there would do."
    ));
    r.note(
        "`counter += 1` on a shared integer is a read, an add and a write; without a lock two \
         threads can read the same value and one increment is lost. In Rust the plain version \
         (a `static mut` or a shared `&mut u64` written from several threads) does not compile: \
         the only way to show the race is two separate atomic operations, as above.",
    );
    Ok(())
}
