//! CPython's `Lib/test/lock_tests.py`, ported where it applies to Lock,
//! RawLock, RLock and Condition. Each test names the CPython test it
//! follows. Not ported: argument validation that Rust's types make
//! impossible (negative timeouts, `blocking=False` with a timeout, wait or
//! notify without the lock: compile errors here), weak references, fork.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{Condition, Lock, LockError, RLock, RawLock};

/// Runs `f` on `n` threads and returns their handles.
fn bunch(n: usize, f: impl Fn() + Send + Sync + 'static) -> Vec<std::thread::JoinHandle<()>> {
    let f = Arc::new(f);
    (0..n)
        .map(|_| {
            let f = f.clone();
            std::thread::spawn(move || f())
        })
        .collect()
}

// --- BaseLockTests ---

#[test]
fn base_acquire_release() {
    // test_acquire_release / test_constructor / test_locked_repr
    watchdog(|| {
        let lock = RawLock::new();
        assert!(!lock.locked());
        lock.acquire();
        assert!(lock.locked());
        assert!(format!("{lock:?}").contains("locked: true"));
        lock.release().unwrap();
        assert!(!lock.locked());
    });
}

#[test]
fn base_try_acquire() {
    // test_try_acquire
    watchdog(|| {
        let lock = RawLock::new();
        assert!(lock.try_acquire().is_ok());
        lock.release().unwrap();
    });
}

#[test]
fn base_try_acquire_contended() {
    // test_try_acquire_contended: another thread's non-blocking acquire fails.
    watchdog(|| {
        let lock = Arc::new(RawLock::new());
        lock.acquire();
        let l = lock.clone();
        let r = std::thread::spawn(move || l.try_acquire().is_err())
            .join()
            .unwrap();
        assert!(r);
        lock.release().unwrap();
    });
}

#[test]
fn base_acquire_contended() {
    // test_acquire_contended: 5 threads block until the holder releases,
    // then all of them get the lock in turn.
    watchdog(|| {
        let lock = Arc::new(RawLock::new());
        lock.acquire();
        let started = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let (l, s, f) = (lock.clone(), started.clone(), finished.clone());
        let handles = bunch(5, move || {
            s.fetch_add(1, Ordering::SeqCst);
            l.acquire();
            l.release().unwrap();
            f.fetch_add(1, Ordering::SeqCst);
        });
        while started.load(Ordering::SeqCst) < 5 {
            std::thread::yield_now();
        }
        // Simulated delay (CPython waits too): nobody can finish meanwhile.
        std::thread::sleep(Duration::from_millis(10));
        assert_eq!(finished.load(Ordering::SeqCst), 0);
        lock.release().unwrap();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(finished.load(Ordering::SeqCst), 5);
    });
}

#[test]
fn base_with() {
    // test_with: the guard releases on normal exit and on a panic.
    watchdog(|| {
        let lock = Arc::new(Lock::new(()));
        {
            let _g = lock.acquire();
            assert!(lock.locked());
        }
        assert!(!lock.locked());
        let l = lock.clone();
        assert!(
            std::thread::spawn(move || {
                let _g = l.acquire();
                panic!("TypeError in the with block");
            })
            .join()
            .is_err()
        );
        assert!(!lock.locked());
    });
}

#[test]
fn base_timeout() {
    // test_timeout: TIMEOUT_MAX is accepted; a timed acquire in another
    // thread fails after at least its timeout; the holder's own timed
    // acquire fails too (not re-entrant).
    watchdog(|| {
        let lock = Arc::new(Lock::new(()));
        let g = lock.acquire_timeout(Duration::MAX).unwrap();
        let l = lock.clone();
        let results = std::thread::spawn(move || {
            let t1 = Instant::now();
            let r1 = l.acquire_timeout(Duration::from_millis(100)).is_ok();
            let dt = t1.elapsed();
            let r2 = l.acquire_timeout(Duration::ZERO).is_ok();
            (r1, dt, r2)
        })
        .join()
        .unwrap();
        assert!(!results.0);
        assert!(results.1 >= Duration::from_millis(100));
        assert!(!results.2);
        drop(g);
    });
}

// --- LockTests ---

#[test]
fn lock_reacquire() {
    // test_reacquire: a thread blocks on a held lock until it is released.
    watchdog(|| {
        let lock = Arc::new(RawLock::new());
        lock.acquire();
        let (tx, rx) = mpsc::channel();
        let l = lock.clone();
        let t = std::thread::spawn(move || {
            tx.send(()).unwrap();
            l.acquire();
            l.release().unwrap();
        });
        rx.recv().unwrap();
        lock.release().unwrap();
        t.join().unwrap();
    });
}

#[test]
fn lock_different_thread() {
    // test_different_thread: acquired in one thread, released in another.
    watchdog(|| {
        let lock = Arc::new(RawLock::new());
        let l = lock.clone();
        std::thread::spawn(move || l.acquire()).join().unwrap();
        assert!(lock.locked());
        lock.release().unwrap();
        assert!(!lock.locked());
    });
}

#[test]
fn lock_state_after_timeout() {
    // test_state_after_timeout: a failed timed acquire leaves the lock's
    // state untouched; it can be acquired and released normally after.
    watchdog(|| {
        let lock = Arc::new(RawLock::new());
        let l = lock.clone();
        let (held_tx, held_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            l.acquire();
            held_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            l.release().unwrap();
        });
        held_rx.recv().unwrap();
        assert!(matches!(
            lock.acquire_timeout(Duration::from_millis(10)),
            Err(LockError::Timeout)
        ));
        go_tx.send(()).unwrap();
        t.join().unwrap();
        assert!(!lock.locked());
        assert!(lock.acquire_timeout(Duration::ZERO).is_ok());
        lock.release().unwrap();
    });
}

#[test]
fn lock_release_unlocked_is_an_error() {
    // LockTests: releasing an unlocked lock raises RuntimeError.
    let lock = RawLock::new();
    assert!(matches!(lock.release(), Err(LockError::NotLocked)));
    assert!(!lock.locked());
}

// --- RLockTests ---

#[test]
fn rlock_reacquire() {
    // test_reacquire: acquire three times, release three times.
    watchdog(|| {
        let r = RLock::new(());
        std::mem::forget(r.acquire());
        std::mem::forget(r.acquire());
        std::mem::forget(r.acquire());
        r.release().unwrap();
        r.release().unwrap();
        r.release().unwrap();
        assert!(!r.locked());
    });
}

#[test]
fn rlock_release_unacquired() {
    // test_release_unacquired
    let r = RLock::new(());
    assert!(matches!(r.release(), Err(LockError::NotOwner)));
    std::mem::forget(r.acquire());
    std::mem::forget(r.acquire());
    r.release().unwrap();
    std::mem::forget(r.acquire());
    r.release().unwrap();
    r.release().unwrap();
    assert!(matches!(r.release(), Err(LockError::NotOwner)));
}

#[test]
fn rlock_different_thread() {
    // test_different_thread: a thread that does not own it cannot release.
    watchdog(|| {
        let r = Arc::new(RLock::new(()));
        let (tx, rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let r2 = r.clone();
        let t = std::thread::spawn(move || {
            std::mem::forget(r2.acquire());
            tx.send(()).unwrap();
            go_rx.recv().unwrap();
            r2.release().unwrap();
        });
        rx.recv().unwrap();
        assert!(matches!(r.release(), Err(LockError::NotOwner)));
        go_tx.send(()).unwrap();
        t.join().unwrap();
    });
}

#[test]
fn rlock_is_owned_and_recursion_count() {
    // test__is_owned / test_recursion_count
    watchdog(|| {
        let r = Arc::new(RLock::new(()));
        assert!(!r.is_owned());
        assert_eq!(r.recursion_count(), 0);
        let a = r.acquire();
        assert!(r.is_owned());
        assert_eq!(r.recursion_count(), 1);
        let b = r.acquire();
        assert_eq!(r.recursion_count(), 2);
        let r2 = r.clone();
        let (owned, count) = std::thread::spawn(move || (r2.is_owned(), r2.recursion_count()))
            .join()
            .unwrap();
        assert!(!owned);
        assert_eq!(count, 0);
        drop(b);
        assert_eq!(r.recursion_count(), 1);
        drop(a);
        assert!(!r.is_owned());
        assert_eq!(r.recursion_count(), 0);
    });
}

// --- ConditionTests ---

/// CPython's `_check_notify`: `n` waiters; notify(1), notify(3),
/// notify_all; after each, exactly that many more have woken.
#[test]
fn condition_check_notify() {
    watchdog(|| {
        let cond = Arc::new(Condition::new(0usize));
        let woken = Arc::new(AtomicUsize::new(0));
        let n = 5;
        let (c, w) = (cond.clone(), woken.clone());
        let handles = bunch(n, move || {
            let mut g = c.acquire();
            *g += 1;
            g.wait();
            w.fetch_add(1, Ordering::SeqCst);
        });
        let wait_all_in = || loop {
            let g = cond.acquire();
            if *g == n {
                break;
            }
            drop(g);
            std::thread::yield_now();
        };
        // Each waiter counts itself and waits in one critical section, so
        // once the count reads n under the lock, all of them are waiting.
        wait_all_in();
        let settle = |expect: usize| {
            while woken.load(Ordering::SeqCst) < expect {
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_millis(10));
            assert_eq!(woken.load(Ordering::SeqCst), expect);
        };
        assert_eq!(cond.acquire().notify(1), 1);
        settle(1);
        assert_eq!(cond.acquire().notify(3), 3);
        settle(4);
        assert_eq!(cond.acquire().notify_all(), 1);
        settle(5);
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn condition_timeout() {
    // test_timeout: 5 threads wait(timeout) and all time out, none early.
    watchdog(|| {
        let cond = Arc::new(Condition::new(()));
        let c = cond.clone();
        let handles = bunch(5, move || {
            let mut g = c.acquire();
            let t1 = Instant::now();
            let r = g.wait_timeout(Duration::from_millis(50));
            assert!(!r);
            assert!(t1.elapsed() >= Duration::from_millis(50));
        });
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn condition_waitfor() {
    // test_waitfor: wait_for returns once the state reaches 4.
    watchdog(|| {
        let cond = Arc::new(Condition::new(0));
        let c = cond.clone();
        let t = std::thread::spawn(move || {
            let mut g = c.acquire();
            g.wait_for(|s| *s == 4);
            *g
        });
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(2)); // simulated work
            let mut g = cond.acquire();
            *g += 1;
            g.notify(1);
        }
        assert_eq!(t.join().unwrap(), 4);
    });
}

#[test]
fn condition_waitfor_timeout() {
    // test_waitfor_timeout: the predicate never holds; wait_for returns
    // false after at least the timeout.
    watchdog(|| {
        let cond = Arc::new(Condition::new(0));
        let c = cond.clone();
        let (tx, rx) = mpsc::channel();
        let t = std::thread::spawn(move || {
            let mut g = c.acquire();
            tx.send(()).unwrap();
            let t1 = Instant::now();
            let r = g.wait_for_timeout(|s| *s == 4, Duration::from_millis(100));
            (r, t1.elapsed())
        });
        rx.recv().unwrap();
        for _ in 0..3 {
            let mut g = cond.acquire();
            *g += 1;
            g.notify(1);
        }
        let (r, dt) = t.join().unwrap();
        assert!(!r);
        assert!(dt >= Duration::from_millis(100));
    });
}
