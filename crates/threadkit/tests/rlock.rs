//! RLock: re-entry, ownership, release rules, time-outs, stress.

mod common;

use std::cell::Cell;
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{LockError, RLock};

#[test]
fn reentry_counts_and_releases_at_zero() {
    watchdog(|| {
        let r = RLock::new(());
        assert_eq!(r.recursion_count(), 0);
        assert!(!r.is_owned());
        let a = r.acquire();
        let b = r.try_acquire().unwrap();
        let c = r.acquire_timeout(Duration::ZERO).unwrap();
        assert_eq!(r.recursion_count(), 3);
        assert!(r.is_owned());
        drop(c);
        drop(a); // out of order is fine: only the count matters
        assert_eq!(r.recursion_count(), 1);
        assert!(r.locked());
        drop(b);
        assert!(!r.locked());
        assert!(!r.is_owned());
    });
}

#[test]
fn other_threads_block_until_every_acquisition_is_undone() {
    watchdog(|| {
        let r = Arc::new(RLock::new(Cell::new(0)));
        let a = r.acquire();
        let b = r.acquire();
        a.set(1);
        let (tx, rx) = mpsc::channel();
        let r2 = r.clone();
        let t = std::thread::spawn(move || {
            assert!(!r2.is_owned());
            assert_eq!(r2.recursion_count(), 0);
            assert!(matches!(r2.try_acquire(), Err(LockError::WouldBlock)));
            let start = Instant::now();
            assert!(matches!(
                r2.acquire_timeout(Duration::from_millis(20)),
                Err(LockError::Timeout)
            ));
            assert!(start.elapsed() >= Duration::from_millis(20));
            tx.send(()).unwrap();
            let g = r2.acquire();
            g.get()
        });
        rx.recv().unwrap();
        drop(a);
        b.set(2);
        drop(b);
        assert_eq!(t.join().unwrap(), 2);
    });
}

#[test]
fn only_the_owner_releases() {
    watchdog(|| {
        let r = Arc::new(RLock::new(()));
        assert!(matches!(r.release(), Err(LockError::NotOwner)));
        std::mem::forget(r.acquire());
        let r2 = r.clone();
        let other = std::thread::spawn(move || r2.release()).join().unwrap();
        assert!(matches!(other, Err(LockError::NotOwner)));
        assert!(r.is_owned());
        r.release().unwrap();
        assert!(!r.locked());
        assert!(matches!(r.release(), Err(LockError::NotOwner)));
    });
}

#[test]
fn guard_dropped_after_manual_release_does_nothing() {
    watchdog(|| {
        let r = Arc::new(RLock::new(()));
        let g = r.acquire();
        r.release().unwrap();
        assert!(!r.locked());
        // Another thread takes it; our stale guard must not release it.
        let (tx, rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let r2 = r.clone();
        let t = std::thread::spawn(move || {
            let _g = r2.acquire();
            tx.send(()).unwrap();
            go_rx.recv().unwrap();
        });
        rx.recv().unwrap();
        drop(g);
        assert!(r.locked());
        go_tx.send(()).unwrap();
        t.join().unwrap();
        assert!(!r.locked());
    });
}

#[test]
fn stress_8_threads_with_nested_acquires_exact() {
    watchdog(|| {
        let r = Arc::new(RLock::new(Cell::new(0u64)));
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (r, barrier) = (r.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..20_000 {
                        let outer = r.acquire();
                        let inner = r.acquire();
                        inner.set(inner.get() + 1);
                        drop(inner);
                        outer.set(outer.get() + 1);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(r.acquire().get(), 8 * 20_000 * 2);
        assert!(!r.locked());
    });
}

#[test]
fn panic_while_nested_releases_everything() {
    watchdog(|| {
        let r = Arc::new(RLock::new(()));
        let r2 = r.clone();
        let res = std::thread::spawn(move || {
            let _a = r2.acquire();
            let _b = r2.acquire();
            panic!("boom");
        })
        .join();
        assert!(res.is_err());
        assert!(!r.locked());
        assert!(r.try_acquire().is_ok());
    });
}

#[test]
fn size_is_small() {
    assert_eq!(std::mem::size_of::<RLock<()>>(), 12);
}
