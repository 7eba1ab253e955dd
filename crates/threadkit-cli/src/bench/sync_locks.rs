//! Group `sync`, the lock cases: Lock, RLock and Condition against `std`
//! and `parking_lot` (CPython's side: `python/bench_sync_locks.py`).
//!
//! | case                          | what one sample measures                         |
//! |-------------------------------|--------------------------------------------------|
//! | uncontended lock+unlock       | ns per acquire + release on one thread           |
//! | RLock re-entry                | ns per nested acquire + release by the owner     |
//! | contended counter 2 threads   | increments/s, 2 threads hammering one lock       |
//! | contended counter 4 threads   | the same with 4 threads                          |
//! | Condition ping-pong           | us per round trip (notify, wait, notify back)    |

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use super::case::{Case, Scale, Unit};

const GROUP: &str = "sync";
const UNCONTENDED: &str = "uncontended lock+unlock";
const REENTRY: &str = "RLock re-entry";
const CONTENDED_2: &str = "contended counter 2 threads";
const CONTENDED_4: &str = "contended counter 4 threads";
const PING_PONG: &str = "Condition ping-pong";

/// The lock cases of group `sync`.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case::new(GROUP, UNCONTENDED, "threadkit", Unit::NsPerOp, |s| {
            let lock = threadkit::Lock::new(0u64);
            ns_per_op(s.n(20_000_000), || *lock.acquire() += 1)
        }),
        Case::new(GROUP, UNCONTENDED, "std", Unit::NsPerOp, |s| {
            let lock = std::sync::Mutex::new(0u64);
            ns_per_op(s.n(20_000_000), || {
                *lock.lock().unwrap_or_else(|e| e.into_inner()) += 1
            })
        }),
        Case::new(GROUP, UNCONTENDED, "parking_lot", Unit::NsPerOp, |s| {
            let lock = parking_lot::Mutex::new(0u64);
            ns_per_op(s.n(20_000_000), || *lock.lock() += 1)
        }),
        Case::new(GROUP, REENTRY, "threadkit", Unit::NsPerOp, |s| {
            let lock = threadkit::RLock::new(0u64);
            let _outer = lock.acquire();
            ns_per_op(s.n(20_000_000), || {
                black_box(*lock.acquire());
            })
        }),
        Case::new(GROUP, REENTRY, "parking_lot", Unit::NsPerOp, |s| {
            let lock = parking_lot::ReentrantMutex::new(0u64);
            let _outer = lock.lock();
            ns_per_op(s.n(20_000_000), || {
                black_box(*lock.lock());
            })
        }),
        contended(CONTENDED_2, 2, "threadkit", threadkit_counter),
        contended(CONTENDED_2, 2, "parking_lot", parking_lot_counter),
        contended(CONTENDED_2, 2, "std", std_counter),
        contended(CONTENDED_4, 4, "threadkit", threadkit_counter),
        contended(CONTENDED_4, 4, "parking_lot", parking_lot_counter),
        contended(CONTENDED_4, 4, "std", std_counter),
        Case::new(GROUP, PING_PONG, "threadkit", Unit::Us, |s| {
            threadkit_ping_pong(s.n(20_000))
        }),
        Case::new(GROUP, PING_PONG, "std", Unit::Us, |s| {
            std_ping_pong(s.n(20_000))
        }),
        Case::new(GROUP, PING_PONG, "parking_lot", Unit::Us, |s| {
            parking_lot_ping_pong(s.n(20_000))
        }),
    ]
}

/// Runs `op` `n` times and returns the mean cost in nanoseconds.
fn ns_per_op(n: u64, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        op();
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn contended(
    case: &'static str,
    threads: usize,
    imp: &'static str,
    run: fn(usize, u64) -> f64,
) -> Case {
    Case::new(GROUP, case, imp, Unit::OpsPerSec, move |s: Scale| {
        run(threads, s.n(2_000_000))
    })
}

/// Starts `threads` threads that each run `body` `per_thread` times after a
/// common start line; returns operations per second over all of them.
fn hammer(threads: usize, per_thread: u64, body: impl Fn() + Send + Sync + 'static) -> f64 {
    let body = Arc::new(body);
    let start_line = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (body, start_line) = (body.clone(), start_line.clone());
            std::thread::spawn(move || {
                start_line.wait();
                for _ in 0..per_thread {
                    body();
                }
            })
        })
        .collect();
    start_line.wait();
    let start = Instant::now();
    for h in handles {
        h.join().expect("bench thread panicked");
    }
    (threads as u64 * per_thread) as f64 / start.elapsed().as_secs_f64()
}

fn threadkit_counter(threads: usize, per_thread: u64) -> f64 {
    let lock = Arc::new(threadkit::Lock::new(0u64));
    let l = lock.clone();
    let r = hammer(threads, per_thread, move || *l.acquire() += 1);
    assert_eq!(*lock.acquire(), threads as u64 * per_thread);
    r
}

fn parking_lot_counter(threads: usize, per_thread: u64) -> f64 {
    let lock = Arc::new(parking_lot::Mutex::new(0u64));
    let l = lock.clone();
    let r = hammer(threads, per_thread, move || *l.lock() += 1);
    assert_eq!(*lock.lock(), threads as u64 * per_thread);
    r
}

fn std_counter(threads: usize, per_thread: u64) -> f64 {
    let lock = Arc::new(std::sync::Mutex::new(0u64));
    let l = lock.clone();
    let r = hammer(threads, per_thread, move || {
        *l.lock().unwrap_or_else(|e| e.into_inner()) += 1
    });
    assert_eq!(
        *lock.lock().unwrap_or_else(|e| e.into_inner()),
        threads as u64 * per_thread
    );
    r
}

/// Two threads take turns through one condition: the counter says whose
/// turn it is. Returns microseconds per round trip.
fn threadkit_ping_pong(rounds: u64) -> f64 {
    let cond = Arc::new(threadkit::Condition::new(0u64));
    let c = cond.clone();
    let partner = std::thread::spawn(move || {
        let mut g = c.acquire();
        for i in 0..rounds {
            g.wait_for(|v| *v == 2 * i + 1);
            *g += 1;
            g.notify(1);
        }
    });
    let start = Instant::now();
    let mut g = cond.acquire();
    for i in 0..rounds {
        *g += 1;
        g.notify(1);
        g.wait_for(|v| *v == 2 * i + 2);
    }
    let elapsed = start.elapsed();
    drop(g);
    partner.join().expect("ping-pong partner panicked");
    elapsed.as_secs_f64() * 1e6 / rounds as f64
}

fn std_ping_pong(rounds: u64) -> f64 {
    use std::sync::{Condvar, Mutex};
    let pair = Arc::new((Mutex::new(0u64), Condvar::new()));
    let p = pair.clone();
    let partner = std::thread::spawn(move || {
        let (m, cv) = &*p;
        let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
        for i in 0..rounds {
            while *g != 2 * i + 1 {
                g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            *g += 1;
            cv.notify_one();
        }
    });
    let (m, cv) = &*pair;
    let start = Instant::now();
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    for i in 0..rounds {
        *g += 1;
        cv.notify_one();
        while *g != 2 * i + 2 {
            g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }
    let elapsed = start.elapsed();
    drop(g);
    partner.join().expect("ping-pong partner panicked");
    elapsed.as_secs_f64() * 1e6 / rounds as f64
}

fn parking_lot_ping_pong(rounds: u64) -> f64 {
    use parking_lot::{Condvar, Mutex};
    let pair = Arc::new((Mutex::new(0u64), Condvar::new()));
    let p = pair.clone();
    let partner = std::thread::spawn(move || {
        let (m, cv) = &*p;
        let mut g = m.lock();
        for i in 0..rounds {
            while *g != 2 * i + 1 {
                cv.wait(&mut g);
            }
            *g += 1;
            cv.notify_one();
        }
    });
    let (m, cv) = &*pair;
    let start = Instant::now();
    let mut g = m.lock();
    for i in 0..rounds {
        *g += 1;
        cv.notify_one();
        while *g != 2 * i + 2 {
            cv.wait(&mut g);
        }
    }
    let elapsed = start.elapsed();
    drop(g);
    partner.join().expect("ping-pong partner panicked");
    elapsed.as_secs_f64() * 1e6 / rounds as f64
}
