//! Group `gil`: the cost of the `Gil` model, and what a GIL does to
//! CPU-bound threads (threadkit's free threads vs the model vs CPython).

use std::hint::black_box;
use std::time::{Duration, Instant};

use threadkit::Gil;

use super::{Case, Scale, Unit};
use crate::scenario::work::{iterations_for, spin, spin_with_gil};

const OPS: u64 = 200_000;

/// Nanoseconds per call of `f`, over `n` calls.
fn per_op(n: u64, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

/// Sequential time of two loops / time of the two loops on two threads.
fn speed_up(scale: Scale, gil: Option<&Gil>) -> f64 {
    let n = iterations_for(Duration::from_millis(if scale.quick { 10 } else { 60 }));
    let t = Instant::now();
    black_box(spin(n));
    black_box(spin(n));
    let sequential = t.elapsed().as_secs_f64();
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| match gil {
                Some(g) => {
                    let mut guard = g.acquire();
                    black_box(spin_with_gil(n, &mut guard))
                }
                None => black_box(spin(n)),
            });
        }
    });
    sequential / t.elapsed().as_secs_f64()
}

pub(crate) fn cases() -> Vec<Case> {
    const UNCONTENDED: &str = "uncontended GIL acquire+release";
    const SPEEDUP: &str = "2 CPU-bound threads: speed-up";
    vec![
        Case::new("gil", UNCONTENDED, "threadkit", Unit::NsPerOp, {
            let gil = Gil::new();
            move |s: Scale| per_op(s.n(OPS), || drop(black_box(gil.acquire())))
        }),
        Case::new("gil", UNCONTENDED, "std", Unit::NsPerOp, {
            let m = std::sync::Mutex::new(());
            move |s: Scale| per_op(s.n(OPS), || drop(black_box(m.lock())))
        }),
        Case::new("gil", UNCONTENDED, "parking_lot", Unit::NsPerOp, {
            let m = parking_lot::Mutex::new(());
            move |s: Scale| per_op(s.n(OPS), || drop(black_box(m.lock())))
        }),
        Case::new("gil", SPEEDUP, "threadkit", Unit::Ratio, |s| {
            speed_up(s, None)
        }),
        Case::new("gil", SPEEDUP, "gil-model", Unit::Ratio, {
            let gil = Gil::new();
            move |s: Scale| speed_up(s, Some(&gil))
        }),
    ]
}
