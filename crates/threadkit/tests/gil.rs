//! The `Gil` model: one holder at a time, forced switches after the switch
//! interval, released around blocking calls.

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{Gil, GilError};

/// A CPU-bound loop the optimizer cannot remove.
fn spin_free(iterations: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..iterations {
        x = x.wrapping_add(black_box(i));
    }
    x
}

#[test]
fn one_holder_at_a_time_and_nothing_lost() {
    watchdog(|| {
        let gil = Arc::new(Gil::new());
        gil.set_switch_interval(Duration::from_micros(200)).unwrap();
        let inside = Arc::new(AtomicU32::new(0));
        let total = Arc::new(AtomicU64::new(0));
        let start = Arc::new(Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (gil, inside, total, start) =
                    (gil.clone(), inside.clone(), total.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut g = gil.acquire();
                    for _ in 0..20_000 {
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                        // A read-modify-write split in two: safe only under
                        // mutual exclusion.
                        let v = total.load(Ordering::Relaxed);
                        total.store(v + 1, Ordering::Relaxed);
                        inside.fetch_sub(1, Ordering::SeqCst);
                        g.checkpoint();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(total.load(Ordering::Relaxed), 80_000);
        assert!(!gil.locked());
    });
}

#[test]
fn two_cpu_bound_threads_take_about_as_long_as_both_in_sequence() {
    watchdog(|| {
        // Size the loop to ~40 ms on this machine.
        let mut n = 1u64 << 16;
        loop {
            let t = Instant::now();
            black_box(spin_free(n));
            if t.elapsed() >= Duration::from_millis(40) {
                break;
            }
            n *= 2;
        }
        let gil = Arc::new(Gil::new());
        let start = Arc::new(Barrier::new(2));
        let t0 = Instant::now();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (gil, start) = (gil.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    // Time holding the GIL = time in this thread minus time
                    // spent waiting for it (in acquire and in checkpoints).
                    let began = Instant::now();
                    let mut g = gil.acquire();
                    let mut waited = began.elapsed();
                    let mut x = 0u64;
                    for i in 0..n {
                        x = x.wrapping_add(black_box(i));
                        if i % 256 == 0 {
                            let c = Instant::now();
                            g.checkpoint();
                            waited += c.elapsed();
                        }
                    }
                    drop(g);
                    (x, began.elapsed() - waited)
                })
            })
            .collect();
        let mut held = Duration::ZERO;
        for t in threads {
            let (x, h) = t.join().unwrap();
            assert_eq!(x, spin_free(n));
            held += h;
        }
        let both = t0.elapsed();
        // The two threads' holding periods never overlap, so together they
        // fit in the wall time: the loops ran one after the other (in
        // slices), whatever the load on the machine.
        assert!(
            held <= both + Duration::from_millis(2),
            "held {held:?} in all, in {both:?} of wall time: the threads overlapped"
        );
        // And they took turns rather than running one whole loop each.
        assert!(gil.forced_switches() >= 1, "no forced switch happened");
    });
}

#[test]
fn a_waiter_gets_a_forced_switch_after_the_interval() {
    watchdog(|| {
        let gil = Arc::new(Gil::new());
        let (tx, rx) = mpsc::channel();
        let mut g = gil.acquire();
        let g2 = gil.clone();
        let waiter = std::thread::spawn(move || {
            tx.send(()).unwrap();
            let t = Instant::now();
            drop(g2.acquire());
            t.elapsed()
        });
        rx.recv().unwrap();
        // The holder runs CPU-bound work, checking in like the eval loop,
        // until the waiter forced a switch.
        while gil.forced_switches() == 0 {
            black_box(spin_free(1000));
            g.checkpoint();
        }
        let waited = waiter.join().unwrap();
        // The waiter asked after one switch interval (never before).
        assert!(waited >= gil.switch_interval(), "waited {waited:?}");
        assert!(gil.locked());
        drop(g);
        assert!(!gil.locked());
    });
}

#[test]
fn sleep_releases_the_gil() {
    watchdog(|| {
        let gil = Arc::new(Gil::new());
        let sleeping = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let (gil2, sleeping2) = (gil.clone(), sleeping.clone());
        let sleeper = std::thread::spawn(move || {
            let mut g = gil2.acquire();
            sleeping2.store(true, Ordering::SeqCst);
            tx.send(()).unwrap();
            g.sleep(Duration::from_millis(100));
            sleeping2.store(false, Ordering::SeqCst);
        });
        rx.recv().unwrap();
        // The sleeper holds the GIL except while it sleeps: we get it, and
        // it cannot have finished its sleep-and-reacquire yet.
        let g = gil
            .acquire_timeout(Duration::from_secs(30))
            .expect("the sleeper released the GIL");
        assert!(sleeping.load(Ordering::SeqCst));
        drop(g);
        sleeper.join().unwrap();
        assert!(!sleeping.load(Ordering::SeqCst));
    });
}

#[test]
fn allow_threads_takes_the_gil_back_even_on_panic() {
    watchdog(|| {
        let gil = Gil::new();
        let mut g = gil.acquire();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            g.allow_threads(|| panic!("boom"));
        }));
        assert!(r.is_err());
        assert!(gil.locked());
        assert!(!g.allow_threads(|| gil.locked()));
        drop(g);
        assert!(!gil.locked());
    });
}

#[test]
fn timeout_never_returns_early() {
    watchdog(|| {
        let gil = Arc::new(Gil::new());
        let _g = gil.acquire();
        let gil2 = gil.clone();
        let (elapsed, r) = std::thread::spawn(move || {
            let t = Instant::now();
            let r = gil2.acquire_timeout(Duration::from_millis(60)).map(|_| ());
            (t.elapsed(), r)
        })
        .join()
        .unwrap();
        assert!(matches!(r, Err(GilError::Timeout)), "{r:?}");
        assert!(
            elapsed >= Duration::from_millis(60),
            "returned after {elapsed:?}"
        );
    });
}

#[test]
fn try_forms_and_errors() {
    watchdog(|| {
        let gil = Arc::new(Gil::new());
        let g = gil.try_acquire().unwrap();
        assert!(matches!(gil.try_acquire(), Err(GilError::AlreadyHeld)));
        assert!(matches!(
            gil.acquire_timeout(Duration::ZERO),
            Err(GilError::AlreadyHeld)
        ));
        let gil2 = gil.clone();
        let other = std::thread::spawn(move || {
            (
                matches!(gil2.try_acquire(), Err(GilError::WouldBlock)),
                matches!(
                    gil2.acquire_timeout(Duration::ZERO),
                    Err(GilError::WouldBlock)
                ),
            )
        })
        .join()
        .unwrap();
        assert_eq!(other, (true, true));
        // A re-entrant blocking acquire is a programming error: it panics
        // with a message instead of hanging.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(gil.acquire())));
        let msg = r.unwrap_err();
        let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("already holds"), "{msg}");
        drop(g);
        assert!(matches!(
            gil.set_switch_interval(Duration::ZERO),
            Err(GilError::InvalidInterval)
        ));
        assert_eq!(gil.switch_interval(), threadkit::DEFAULT_SWITCH_INTERVAL);
        assert!(!GilError::Timeout.to_string().is_empty());
    });
}
