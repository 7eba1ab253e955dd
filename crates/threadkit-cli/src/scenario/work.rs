//! The CPU-bound "order": a loop the optimizer cannot delete, sized by a
//! quick calibration so it takes a given time on this machine.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use threadkit::GilGuard;

/// Iterations between two GIL checkpoints (CPython checks its eval breaker
/// every few bytecodes; this is a few microseconds of work).
const CHECK_EVERY: u64 = 1024;

/// `for _ in range(n): pass`, done for real.
#[inline(never)]
pub(crate) fn spin(n: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..n {
        x = x.wrapping_add(black_box(i));
    }
    x
}

/// The same loop holding a `Gil`, polling it like CPython's eval loop.
#[inline(never)]
pub(crate) fn spin_with_gil(n: u64, guard: &mut GilGuard<'_>) -> u64 {
    let mut x = 0u64;
    let mut i = 0;
    while i < n {
        let end = (i + CHECK_EVERY).min(n);
        x = x.wrapping_add(spin_range(i, end));
        i = end;
        guard.checkpoint();
    }
    x
}

#[inline(never)]
fn spin_range(from: u64, to: u64) -> u64 {
    let mut x = 0u64;
    for i in from..to {
        x = x.wrapping_add(black_box(i));
    }
    x
}

/// Loop iterations per second on one core (measured once per process): the
/// best of three samples of at least 20 ms, so a moment of load on a busy
/// machine does not make every later loop too short.
pub(crate) fn rate() -> f64 {
    static RATE: OnceLock<f64> = OnceLock::new();
    *RATE.get_or_init(|| {
        let mut n = 1u64 << 14;
        let mut best = 0.0f64;
        let mut good = 0;
        while good < 3 {
            let t = Instant::now();
            black_box(spin(n));
            let e = t.elapsed();
            if e >= Duration::from_millis(20) {
                best = best.max(n as f64 / e.as_secs_f64());
                good += 1;
            } else {
                n *= 2;
            }
        }
        best
    })
}

/// Iterations that take about `d` on one core.
pub(crate) fn iterations_for(d: Duration) -> u64 {
    ((rate() * d.as_secs_f64()) as u64).max(1)
}

/// Seconds since `t`.
pub(crate) fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Runs `f` on `k` threadkit threads at once and joins them all.
pub(crate) fn on_threads<F>(k: usize, f: F) -> Result<(), String>
where
    F: Fn() + Send + Sync + 'static,
{
    let f = std::sync::Arc::new(f);
    let threads = (0..k)
        .map(|_| {
            let f = std::sync::Arc::clone(&f);
            threadkit::Thread::spawn(move || f()).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    for t in threads {
        t.join().map_err(|e| e.to_string())?;
    }
    Ok(())
}
