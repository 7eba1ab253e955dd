//! Semaphore and BoundedSemaphore: behaviour, CPython's `lock_tests.py`
//! (BaseSemaphoreTests, SemaphoreTests, BoundedSemaphoreTests) ported, and
//! stress tests.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{BoundedSemaphore, Semaphore, SemaphoreError};

const LONG: Duration = Duration::from_secs(30);

// ---- CPython BaseSemaphoreTests ----

#[test]
fn acquire_release_basic() {
    watchdog(|| {
        let sem = Semaphore::new(1);
        sem.acquire().forget();
        sem.release(1).unwrap();
        let sem = Semaphore::new(2);
        let a = sem.acquire();
        let b = sem.acquire();
        assert_eq!(sem.value(), 0);
        drop((a, b));
        assert_eq!(sem.value(), 2);
    })
}

#[test]
fn acquire_contended_wakes_in_release_counts() {
    // CPython test_acquire_contended: 10 threads block on a drained
    // Semaphore(7); each release lets exactly that many more through.
    watchdog(|| {
        let sem = Arc::new(Semaphore::new(7));
        for _ in 0..7 {
            sem.acquire().forget();
        }
        let got = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let hs: Vec<_> = (0..10)
            .map(|_| {
                let (sem, got, tx) = (sem.clone(), got.clone(), tx.clone());
                std::thread::spawn(move || {
                    sem.acquire().forget();
                    got.fetch_add(1, Ordering::SeqCst);
                    tx.send(()).unwrap();
                })
            })
            .collect();
        sem.release(6).unwrap();
        for _ in 0..6 {
            rx.recv().unwrap();
        }
        assert_eq!(got.load(Ordering::SeqCst), 6);
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        sem.release(4).unwrap();
        for _ in 0..4 {
            rx.recv().unwrap();
        }
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(got.load(Ordering::SeqCst), 10);
        assert_eq!(sem.value(), 0);
    })
}

#[test]
fn multirelease_wakes_n() {
    // CPython test_multirelease.
    watchdog(|| {
        let sem = Arc::new(Semaphore::new(0));
        let hs: Vec<_> = (0..5)
            .map(|_| {
                let sem = sem.clone();
                std::thread::spawn(move || sem.acquire().forget())
            })
            .collect();
        sem.release(5).unwrap();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(sem.value(), 0);
    })
}

#[test]
fn try_acquire() {
    // CPython test_try_acquire.
    watchdog(|| {
        let sem = Semaphore::new(2);
        let a = sem.try_acquire().unwrap();
        let b = sem.try_acquire().unwrap();
        assert!(matches!(sem.try_acquire(), Err(SemaphoreError::WouldBlock)));
        drop((a, b));
        assert!(sem.try_acquire().is_ok());
    })
}

#[test]
fn try_acquire_contended() {
    // CPython test_try_acquire_contended: other threads' try fails.
    watchdog(|| {
        let sem = Semaphore::new(4);
        let held: Vec<_> = (0..4).map(|_| sem.acquire()).collect();
        std::thread::scope(|s| {
            for _ in 0..5 {
                s.spawn(|| assert!(sem.try_acquire().is_err()));
            }
        });
        drop(held);
        assert_eq!(sem.value(), 4);
    })
}

#[test]
fn acquire_timeout_never_early() {
    // CPython test_acquire_timeout.
    watchdog(|| {
        let sem = Semaphore::new(2);
        let t = Duration::from_millis(5);
        let a = sem.acquire_timeout(t).unwrap();
        let b = sem.acquire_timeout(t).unwrap();
        let start = Instant::now();
        assert!(matches!(
            sem.acquire_timeout(Duration::from_millis(50)),
            Err(SemaphoreError::Timeout)
        ));
        assert!(start.elapsed() >= Duration::from_millis(50));
        drop(a);
        assert!(sem.acquire_timeout(t).is_ok());
        drop(b);
        // A zero timeout is a try.
        let _c = sem.acquire_timeout(Duration::ZERO).unwrap();
        let _d = sem.acquire_timeout(Duration::ZERO).unwrap();
        assert!(matches!(
            sem.acquire_timeout(Duration::ZERO),
            Err(SemaphoreError::WouldBlock)
        ));
    })
}

#[test]
fn timed_acquire_woken_by_release() {
    watchdog(|| {
        let sem = Semaphore::new(0);
        std::thread::scope(|s| {
            let h = s.spawn(|| sem.acquire_timeout(LONG).map(|p| p.forget()));
            sem.release(1).unwrap();
            assert_eq!(h.join().unwrap().unwrap(), 1);
        });
    })
}

#[test]
fn release_unacquired_plain_semaphore_grows() {
    // CPython SemaphoreTests.test_release_unacquired.
    watchdog(|| {
        let sem = Semaphore::new(1);
        sem.release(1).unwrap();
        sem.acquire().forget();
        sem.acquire().forget();
        sem.release(3).unwrap();
        assert_eq!(sem.value(), 3);
    })
}

#[test]
fn release_zero_is_an_error() {
    let sem = Semaphore::new(1);
    assert!(matches!(sem.release(0), Err(SemaphoreError::ZeroRelease)));
    assert_eq!(sem.value(), 1);
}

#[test]
fn release_overflow_is_an_error() {
    let sem = Semaphore::new(threadkit::MAX_PERMITS);
    assert!(matches!(
        sem.release(1),
        Err(SemaphoreError::OverRelease { .. })
    ));
    assert_eq!(sem.value(), threadkit::MAX_PERMITS);
}

#[test]
fn acquire_many_and_too_many() {
    watchdog(|| {
        let sem = BoundedSemaphore::new(3);
        let p = sem.acquire_many(3).unwrap();
        assert_eq!(p.count(), 3);
        assert!(sem.try_acquire().is_err());
        drop(p);
        assert!(matches!(
            sem.acquire_many(4),
            Err(SemaphoreError::TooMany {
                requested: 4,
                bound: 3
            })
        ));
        let z = sem.acquire_many(0).unwrap();
        assert_eq!(z.count(), 0);
        drop(z);
        assert_eq!(sem.value(), 3);
    })
}

// ---- CPython BoundedSemaphoreTests ----

#[test]
fn bounded_release_unacquired_is_an_error() {
    watchdog(|| {
        let sem = BoundedSemaphore::new(1);
        assert!(matches!(
            sem.release(1),
            Err(SemaphoreError::OverRelease {
                requested: 1,
                value: 1,
                bound: 1
            })
        ));
        sem.acquire().forget();
        sem.release(1).unwrap();
        assert!(sem.release(1).is_err());
        assert_eq!(sem.value(), 1);
    })
}

#[test]
fn bounded_semaphore_three() {
    // CPython test_bounded_semaphore (via acquire x3, release x3, then error).
    watchdog(|| {
        let sem = BoundedSemaphore::new(3);
        for _ in 0..3 {
            sem.acquire().forget();
        }
        sem.release(2).unwrap();
        sem.release(1).unwrap();
        assert!(sem.release(1).is_err());
        // A partial over-release is refused whole: count unchanged.
        sem.acquire().forget();
        assert!(sem.release(2).is_err());
        assert_eq!(sem.value(), 2);
    })
}

#[test]
fn bounded_foreign_thread_may_release() {
    watchdog(|| {
        let sem = BoundedSemaphore::new(2);
        let n = sem.acquire().forget();
        std::thread::scope(|s| {
            s.spawn(|| sem.release(n).unwrap());
        });
        assert_eq!(sem.value(), 2);
    })
}

#[test]
fn bounded_over_release_never_visible() {
    // Racing releases on a BoundedSemaphore: never above the bound, and
    // exactly the taken permits come back.
    watchdog(|| {
        let sem = BoundedSemaphore::new(4);
        for _ in 0..4 {
            sem.acquire().forget();
        }
        let ok = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    if sem.release(1).is_ok() {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    assert!(sem.value() <= 4);
                });
            }
        });
        assert_eq!(ok.load(Ordering::SeqCst), 4);
        assert_eq!(sem.value(), 4);
    })
}

// ---- FIFO mode ----

#[test]
fn fifo_newcomer_does_not_barge() {
    watchdog(|| {
        let sem = Semaphore::fifo(1);
        std::thread::scope(|s| {
            let big = s.spawn(|| sem.acquire_many(2).map(|p| p.forget()));
            // Wait until the big request is queued: in FIFO mode a try
            // fails while someone is queued, even with a permit free.
            loop {
                match sem.try_acquire() {
                    Ok(p) => drop(p),
                    Err(_) if sem.value() == 1 => break,
                    Err(_) => {}
                }
                std::thread::yield_now();
            }
            assert!(sem.try_acquire().is_err());
            assert!(sem.acquire_timeout(Duration::from_millis(20)).is_err());
            sem.release(1).unwrap();
            assert_eq!(big.join().unwrap().unwrap(), 2);
        });
        assert_eq!(sem.value(), 0);
    })
}

#[test]
fn fifo_timeout_of_head_passes_permits_on() {
    watchdog(|| {
        let sem = Semaphore::fifo(1);
        std::thread::scope(|s| {
            let big = s.spawn(|| {
                sem.acquire_many_timeout(2, Duration::from_millis(100))
                    .is_ok()
            });
            loop {
                match sem.try_acquire() {
                    Ok(p) => drop(p),
                    Err(_) if sem.value() == 1 => break,
                    Err(_) => {}
                }
                std::thread::yield_now();
            }
            // Queued behind the big one; served when it gives up.
            let small = s.spawn(|| sem.acquire_timeout(LONG).map(|p| p.forget()).is_ok());
            assert!(!big.join().unwrap());
            assert!(small.join().unwrap());
        });
    })
}

#[test]
fn fifo_large_request_not_starved() {
    watchdog(|| {
        let sem = Semaphore::fifo(4);
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    while !done.load(Ordering::SeqCst) {
                        let _p = sem.acquire();
                        std::hint::spin_loop();
                    }
                });
            }
            for _ in 0..20 {
                let p = sem.acquire_many(4).unwrap();
                assert_eq!(p.count(), 4);
            }
            done.store(true, Ordering::SeqCst);
        });
        assert_eq!(sem.value(), 4);
    })
}

#[test]
fn fifo_one_permit_per_release_serves_every_waiter() {
    watchdog(|| {
        let sem = Semaphore::fifo(0);
        let order = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for i in 0..4 {
                // Each release(1) is handed to exactly one waiter (queued
                // ones first); none is lost or served twice.
                let (sem, order) = (&sem, &order);
                s.spawn(move || {
                    let p = sem.acquire();
                    order.lock().unwrap().push(i);
                    p.forget();
                });
            }
            for _ in 0..4 {
                sem.release(1).unwrap();
            }
        });
        assert_eq!(order.lock().unwrap().len(), 4);
        assert_eq!(sem.value(), 0);
    })
}

// ---- Stress ----

fn never_a_fourth(sem: &Semaphore, threads: usize, iters: usize) {
    let holders = AtomicUsize::new(0);
    let max = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let start = Barrier::new(threads);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (holders, max, total, start) = (&holders, &max, &total, &start);
            s.spawn(move || {
                start.wait();
                for i in 0..iters {
                    let p = match (t + i) % 3 {
                        0 => sem.acquire(),
                        1 => sem.acquire_timeout(LONG).unwrap(),
                        _ => match sem.try_acquire() {
                            Ok(p) => p,
                            Err(_) => sem.acquire(),
                        },
                    };
                    let h = holders.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(h, Ordering::SeqCst);
                    assert!(h <= 3, "{h} holders of a Semaphore(3)");
                    total.fetch_add(1, Ordering::SeqCst);
                    holders.fetch_sub(1, Ordering::SeqCst);
                    drop(p);
                }
            });
        }
    });
    assert_eq!(total.load(Ordering::SeqCst), threads * iters);
    assert!(max.load(Ordering::SeqCst) <= 3);
    assert_eq!(sem.value(), 3);
}

#[test]
fn stress_semaphore3_never_lets_a_fourth_in() {
    watchdog(|| never_a_fourth(&Semaphore::new(3), 12, 3000))
}

#[test]
fn stress_fifo_semaphore3_never_lets_a_fourth_in() {
    watchdog(|| never_a_fourth(&Semaphore::fifo(3), 12, 2000))
}

#[test]
fn stress_mixed_sizes_conserve_permits() {
    for fifo in [false, true] {
        watchdog(move || {
            let sem = if fifo {
                BoundedSemaphore::fifo(5)
            } else {
                BoundedSemaphore::new(5)
            };
            let in_use = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for t in 0..8usize {
                    let (sem, in_use) = (&sem, &in_use);
                    s.spawn(move || {
                        for i in 0..1500 {
                            let n = 1 + (t + i) % 3;
                            let p = sem.acquire_many(n).unwrap();
                            let u = in_use.fetch_add(n, Ordering::SeqCst) + n;
                            assert!(u <= 5);
                            in_use.fetch_sub(n, Ordering::SeqCst);
                            drop(p);
                        }
                    });
                }
            });
            assert_eq!(sem.value(), 5);
        })
    }
}

#[test]
fn stress_timeouts_lose_no_permit() {
    // Waiters that time out while releases race with them: at the end all
    // permits are back, for both modes.
    for fifo in [false, true] {
        watchdog(move || {
            let sem = if fifo {
                Semaphore::fifo(2)
            } else {
                Semaphore::new(2)
            };
            std::thread::scope(|s| {
                for t in 0..6usize {
                    let sem = &sem;
                    s.spawn(move || {
                        for i in 0..400 {
                            let n = 1 + (t + i) % 2;
                            if let Ok(p) = sem.acquire_many_timeout(n, Duration::from_micros(50)) {
                                std::hint::spin_loop();
                                drop(p);
                            }
                        }
                    });
                }
            });
            assert_eq!(sem.value(), 2);
            // Nobody left queued: a try of everything succeeds.
            assert!(sem.try_acquire_many(2).is_ok());
        })
    }
}

#[test]
fn errors_display_and_debug() {
    let e = SemaphoreError::Timeout;
    assert!(e.to_string().contains("timed out"));
    let sem = Semaphore::new(1);
    assert!(format!("{sem:?}").contains("value: 1"));
    fn is_error<E: std::error::Error + Send + Sync>() {}
    is_error::<SemaphoreError>();
}
