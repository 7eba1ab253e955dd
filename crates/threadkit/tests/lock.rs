//! Lock and RawLock: behaviour, time-outs, raw release, stress.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{Fairness, Lock, LockError, RawLock};

#[test]
fn sizes_are_one_word() {
    assert_eq!(std::mem::size_of::<Lock<()>>(), 8);
    assert_eq!(std::mem::size_of::<RawLock>(), 8);
    assert_eq!(std::mem::size_of::<Lock<u32>>(), 12);
}

#[test]
fn acquire_release_and_locked() {
    watchdog(|| {
        let lock = Lock::new(5);
        assert!(!lock.locked());
        {
            let mut g = lock.acquire();
            assert!(lock.locked());
            *g += 1;
        }
        assert!(!lock.locked());
        assert_eq!(*lock.acquire(), 6);
        assert_eq!(lock.into_inner(), 6);
    });
}

#[test]
fn not_reentrant_try_and_timeout_fail_for_the_owner() {
    watchdog(|| {
        let lock = Lock::new(());
        let _g = lock.acquire();
        assert!(matches!(lock.try_acquire(), Err(LockError::WouldBlock)));
        let start = Instant::now();
        assert!(matches!(
            lock.acquire_timeout(Duration::from_millis(30)),
            Err(LockError::Timeout)
        ));
        assert!(start.elapsed() >= Duration::from_millis(30));
    });
}

#[test]
fn try_acquire_fails_while_another_thread_holds_it() {
    watchdog(|| {
        let lock = Arc::new(Lock::new(()));
        let (held_tx, held_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let l = lock.clone();
        let t = std::thread::spawn(move || {
            let _g = l.acquire();
            held_tx.send(()).unwrap();
            go_rx.recv().unwrap();
        });
        held_rx.recv().unwrap();
        assert!(lock.locked());
        assert!(matches!(lock.try_acquire(), Err(LockError::WouldBlock)));
        assert!(matches!(
            lock.acquire_timeout(Duration::ZERO),
            Err(LockError::Timeout)
        ));
        go_tx.send(()).unwrap();
        t.join().unwrap();
        assert!(lock.try_acquire().is_ok());
    });
}

#[test]
fn timeout_never_returns_early() {
    watchdog(|| {
        let lock = Arc::new(Lock::new(()));
        let g = lock.acquire();
        let l = lock.clone();
        let t = std::thread::spawn(move || {
            for ms in [1u64, 5, 20, 50] {
                let d = Duration::from_millis(ms);
                let start = Instant::now();
                assert!(matches!(l.acquire_timeout(d), Err(LockError::Timeout)));
                assert!(
                    start.elapsed() >= d,
                    "returned after {:?} < {d:?}",
                    start.elapsed()
                );
            }
        });
        t.join().unwrap();
        drop(g);
    });
}

#[test]
fn blocked_acquire_is_woken_by_release() {
    watchdog(|| {
        let lock = Arc::new(Lock::new(0));
        let barrier = Arc::new(Barrier::new(2));
        let mut g = lock.acquire();
        let (l, b) = (lock.clone(), barrier.clone());
        let tag = common::unique("acquirer");
        let t = common::spawn_named(tag.clone(), move || {
            b.wait();
            *l.acquire()
        });
        barrier.wait();
        // The other thread is parked on the lock before we release it.
        common::until_blocked(&tag, 1);
        *g = 1;
        drop(g);
        assert_eq!(t.join().unwrap(), 1);
    });
}

#[test]
fn timed_acquire_succeeds_when_released_in_time() {
    watchdog(|| {
        let lock = Arc::new(Lock::new(()));
        let g = lock.acquire();
        let (tx, rx) = mpsc::channel();
        let l = lock.clone();
        let tag = common::unique("timed-acquirer");
        let t = common::spawn_named(tag.clone(), move || {
            tx.send(()).unwrap();
            l.acquire_timeout(Duration::from_secs(30)).is_ok()
        });
        rx.recv().unwrap();
        common::until_blocked(&tag, 1);
        drop(g);
        assert!(t.join().unwrap());
    });
}

#[test]
fn duration_max_waits_forever() {
    watchdog(|| {
        let lock = Lock::new(());
        assert!(lock.acquire_timeout(Duration::MAX).is_ok());
    });
}

#[test]
fn a_panic_releases_the_lock_without_poisoning() {
    watchdog(|| {
        let lock = Arc::new(Lock::new(0));
        let l = lock.clone();
        let r = std::thread::spawn(move || {
            let mut g = l.acquire();
            *g = 7;
            panic!("boom");
        })
        .join();
        assert!(r.is_err());
        assert!(!lock.locked());
        assert_eq!(*lock.acquire(), 7);
    });
}

fn stress(lock: Arc<Lock<u64>>, threads: usize, per_thread: u64) {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (lock, barrier) = (lock.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..per_thread {
                    let mut g = lock.acquire();
                    // A non-atomic read-modify-write: lost updates would show.
                    let v = *g;
                    *g = v + 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*lock.acquire(), threads as u64 * per_thread);
    assert!(!lock.locked());
}

#[test]
fn stress_8_threads_100k_increments_exact() {
    watchdog(|| stress(Arc::new(Lock::new(0)), 8, 100_000));
}

#[test]
fn stress_fifo_exact() {
    watchdog(|| {
        let lock = Arc::new(Lock::builder().fairness(Fairness::Fifo).lock(0));
        stress(lock, 4, 20_000);
    });
}

#[test]
fn stress_mixed_timed_try_and_blocking_acquires_exact() {
    watchdog(|| {
        let lock = Arc::new(Lock::new(0u64));
        let done = Arc::new(AtomicUsize::new(0));
        let threads = 6;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (lock, barrier, done) = (lock.clone(), barrier.clone(), done.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut mine = 0u64;
                    for k in 0..20_000u64 {
                        let g = match (i + k as usize) % 3 {
                            0 => Some(lock.acquire()),
                            1 => lock.acquire_timeout(Duration::from_micros(50)).ok(),
                            _ => lock.try_acquire().ok(),
                        };
                        if let Some(mut g) = g {
                            *g += 1;
                            mine += 1;
                        }
                    }
                    done.fetch_add(mine as usize, Ordering::Relaxed);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*lock.acquire(), done.load(Ordering::Relaxed) as u64);
        assert!(!lock.locked());
    });
}

#[test]
fn raw_lock_released_by_another_thread() {
    watchdog(|| {
        let lock = Arc::new(RawLock::new());
        lock.acquire();
        let l = lock.clone();
        std::thread::spawn(move || l.release().unwrap())
            .join()
            .unwrap();
        assert!(!lock.locked());
        assert!(matches!(lock.release(), Err(LockError::NotLocked)));
        assert!(lock.try_acquire().is_ok());
        assert!(matches!(lock.try_acquire(), Err(LockError::WouldBlock)));
        lock.release().unwrap();
    });
}

#[test]
fn raw_lock_as_a_signal_between_threads() {
    watchdog(|| {
        // The waiter blocks in acquire until another thread releases.
        let lock = Arc::new(RawLock::named("signal"));
        lock.acquire();
        let flag = Arc::new(AtomicBool::new(false));
        let (l, f) = (lock.clone(), flag.clone());
        let tag = common::unique("raw-acquirer");
        let t = common::spawn_named(tag.clone(), move || {
            l.acquire();
            assert!(f.load(Ordering::SeqCst));
            l.release().unwrap();
        });
        common::until_blocked(&tag, 1);
        flag.store(true, Ordering::SeqCst);
        lock.release().unwrap();
        t.join().unwrap();
        assert!(!lock.locked());
    });
}

#[test]
fn raw_lock_double_release_races_exactly_one_succeeds() {
    watchdog(|| {
        for _ in 0..200 {
            let lock = Arc::new(RawLock::new());
            lock.acquire();
            let barrier = Arc::new(Barrier::new(2));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let (l, b) = (lock.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        b.wait();
                        l.release().is_ok()
                    })
                })
                .collect();
            let oks = handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|&ok| ok)
                .count();
            assert_eq!(oks, 1);
            assert!(!lock.locked());
        }
    });
}

#[test]
fn raw_lock_stress_exact() {
    watchdog(|| {
        struct Shared {
            lock: RawLock,
            value: std::cell::UnsafeCell<u64>,
        }
        // SAFETY: `value` is only touched while `lock` is held.
        unsafe impl Sync for Shared {}
        let s = Arc::new(Shared {
            lock: RawLock::new(),
            value: std::cell::UnsafeCell::new(0),
        });
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        s.lock.acquire();
                        // SAFETY: the lock is held.
                        unsafe { *s.value.get() += 1 };
                        s.lock.release().unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        s.lock.acquire();
        // SAFETY: the lock is held.
        assert_eq!(unsafe { *s.value.get() }, 80_000);
    });
}

#[test]
fn debug_shows_data_or_locked() {
    let lock = Lock::new(3);
    assert!(format!("{lock:?}").contains('3'));
    let _g = lock.acquire();
    assert!(format!("{lock:?}").contains("<locked>"));
}

#[test]
fn error_messages_say_what_to_do() {
    for e in [
        LockError::WouldBlock,
        LockError::Timeout,
        LockError::NotLocked,
        LockError::NotOwner,
    ] {
        let m = e.to_string();
        assert!(m.len() > 30, "{m}");
    }
}
