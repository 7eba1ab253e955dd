//! Group `diagnostics`: what the diagnostics cost (CPython's side:
//! `python/bench_diagnostics.py`).
//!
//! | case | implementations | what one sample measures |
//! |---|---|---|
//! | uncontended lock+unlock | `threadkit` (detection on, the default; tracking off), `threadkit-detection-off`, `threadkit-tracking`, `threadkit-lock-order`, `threadkit-stats` | ns per acquire + release of a `Lock` on one thread |
//! | nested lock+lock+unlock+unlock | `threadkit`, `threadkit-tracking`, `threadkit-lock-order` | ns per pair of nested acquires and releases (lock-order checking looks at held locks only when nesting) |
//! | deadlock detection latency (50 ms delay) | `threadkit` | us from two threads deadlocking to the victim's `Err`: the delay plus the detector's walks |
//! | dump of 8 blocked threads | `threadkit` | us per `diagnostics::dump()` with 8 threads blocked on a lock |
//!
//! The target (issue 6): with detection on, the uncontended acquire+release
//! stays within 1.1x of the same with detection off. Detection is not on the
//! fast path at all (it runs in threads that have waited a detection delay),
//! so the two differ only by noise; the opt-in modes show their price.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use threadkit::diagnostics::{self, Policy};

use super::case::{Case, Scale, Unit};

const GROUP: &str = "diagnostics";
const UNCONTENDED: &str = "uncontended lock+unlock";
const NESTED: &str = "nested lock+lock+unlock+unlock";
const LATENCY: &str = "deadlock detection latency (50 ms delay)";
const DUMP: &str = "dump of 8 blocked threads";

/// One configuration of the switches, applied for one sample.
#[derive(Copy, Clone)]
struct Mode {
    policy: Policy,
    tracking: bool,
    lock_order: bool,
    stats: bool,
}

const DEFAULT: Mode = Mode {
    policy: Policy::Fail,
    tracking: false,
    lock_order: false,
    stats: false,
};

impl Mode {
    fn apply(self) {
        diagnostics::set_policy(self.policy);
        diagnostics::set_tracking(self.tracking);
        diagnostics::set_lock_order_checking(self.lock_order);
        diagnostics::set_stats(self.stats);
    }
}

/// Runs `f` with the switches set to `mode`, then back to the defaults.
fn with_mode<R>(mode: Mode, f: impl FnOnce() -> R) -> R {
    mode.apply();
    let r = f();
    DEFAULT.apply();
    r
}

/// The cases of group `diagnostics`.
pub(crate) fn cases() -> Vec<Case> {
    let modes: [(&'static str, Mode); 5] = [
        ("threadkit", DEFAULT),
        (
            "threadkit-detection-off",
            Mode {
                policy: Policy::Off,
                ..DEFAULT
            },
        ),
        (
            "threadkit-tracking",
            Mode {
                tracking: true,
                ..DEFAULT
            },
        ),
        (
            "threadkit-lock-order",
            Mode {
                lock_order: true,
                ..DEFAULT
            },
        ),
        (
            "threadkit-stats",
            Mode {
                stats: true,
                ..DEFAULT
            },
        ),
    ];
    let mut v = Vec::new();
    for (imp, mode) in modes {
        v.push(Case::new(
            GROUP,
            UNCONTENDED,
            imp,
            Unit::NsPerOp,
            move |s| with_mode(mode, || uncontended(s)),
        ));
    }
    for (imp, mode) in [modes[0], modes[2], modes[3]] {
        v.push(Case::new(GROUP, NESTED, imp, Unit::NsPerOp, move |s| {
            with_mode(mode, || nested(s))
        }));
    }
    v.push(Case::new(GROUP, LATENCY, "threadkit", Unit::Us, |_| {
        with_mode(DEFAULT, latency)
    }));
    v.push(Case::new(GROUP, DUMP, "threadkit", Unit::Us, |s| {
        with_mode(DEFAULT, || dump(s))
    }));
    v
}

fn uncontended(s: Scale) -> f64 {
    let lock = threadkit::Lock::new(0u64);
    let n = s.n(20_000_000);
    let start = Instant::now();
    for _ in 0..n {
        *lock.acquire() += 1;
    }
    black_box(lock.into_inner());
    start.elapsed().as_nanos() as f64 / n as f64
}

fn nested(s: Scale) -> f64 {
    let outer = threadkit::Lock::named("bench_outer", 0u64);
    let inner = threadkit::Lock::named("bench_inner", 0u64);
    let n = s.n(5_000_000);
    let start = Instant::now();
    for _ in 0..n {
        let mut a = outer.acquire();
        let mut b = inner.acquire();
        *a += 1;
        *b += 1;
    }
    black_box((outer.into_inner(), inner.into_inner()));
    start.elapsed().as_nanos() as f64 / n as f64
}

/// Two threads take two locks in opposite orders; returns the time from
/// both holding their first lock to the victim's error.
fn latency() -> f64 {
    let before = diagnostics::detection_delay();
    diagnostics::set_detection_delay(Duration::from_millis(50));
    let a = Arc::new(threadkit::Lock::named("latency_a", ()));
    let b = Arc::new(threadkit::Lock::named("latency_b", ()));
    let barrier = Arc::new(Barrier::new(3));
    let mk = |x: Arc<threadkit::Lock<()>>, y: Arc<threadkit::Lock<()>>| {
        let barrier = barrier.clone();
        std::thread::spawn(move || {
            let _x = x.acquire();
            barrier.wait();
            let r = y.acquire_checked().map(drop);
            (r.is_err(), Instant::now())
        })
    };
    let t1 = mk(a.clone(), b.clone());
    let t2 = mk(b, a);
    barrier.wait();
    let start = Instant::now();
    let r1 = t1.join().expect("bench thread");
    let r2 = t2.join().expect("bench thread");
    diagnostics::set_detection_delay(before);
    let failed_at = if r1.0 { r1.1 } else { r2.1 };
    failed_at.duration_since(start).as_secs_f64() * 1e6
}

/// `dump()` while 8 threads are blocked on one lock held by this thread.
fn dump(s: Scale) -> f64 {
    let lock = Arc::new(threadkit::Lock::named("dumped", ()));
    let guard = lock.acquire();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let lock = lock.clone();
            std::thread::spawn(move || drop(lock.acquire()))
        })
        .collect();
    // Wait until all 8 are blocked (visible in the dump).
    while diagnostics::dump()
        .threads
        .iter()
        .filter(|t| t.waiting.is_some())
        .count()
        < 8
    {
        std::thread::yield_now();
    }
    let n = s.n(2_000);
    let start = Instant::now();
    for _ in 0..n {
        black_box(diagnostics::dump());
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    drop(guard);
    for t in threads {
        t.join().expect("bench thread");
    }
    us
}
