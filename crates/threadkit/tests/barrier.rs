//! Barrier: behaviour, CPython's `lock_tests.py` BarrierTests ported, and
//! a generations stress test.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{Barrier, BarrierError, Event};

const N: usize = 5;
const LONG: Duration = Duration::from_secs(30);

/// Runs `f(i)` on `n` threads and collects the results.
fn bunch<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..n)
            .map(|i| {
                s.spawn({
                    let f = &f;
                    move || f(i)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn constructor_rejects_zero_parties() {
    assert!(matches!(
        Barrier::new(0),
        Err(BarrierError::InvalidParties(0))
    ));
    assert!(Barrier::new(threadkit::MAX_PARTIES + 1).is_err());
    assert!(Barrier::new(1).is_ok());
}

#[test]
fn barrier_passes_and_phases_never_mix() {
    // CPython test_barrier / test_barrier_10: results of pass k are all in
    // before anyone leaves pass k.
    for passes in [1usize, 10] {
        watchdog(move || {
            let b = Barrier::new(N).unwrap();
            let arrived: Vec<AtomicUsize> = (0..passes).map(|_| AtomicUsize::new(0)).collect();
            bunch(N, |_| {
                for (k, a) in arrived.iter().enumerate() {
                    a.fetch_add(1, Ordering::SeqCst);
                    b.wait().unwrap();
                    assert_eq!(a.load(Ordering::SeqCst), N, "pass {k} mixed");
                }
            });
            assert_eq!(b.n_waiting(), 0);
            assert!(!b.broken());
        })
    }
}

#[test]
fn wait_returns_each_index_once() {
    // CPython test_wait_return.
    watchdog(|| {
        let b = Barrier::new(N).unwrap();
        let mut idx = bunch(N, |_| b.wait().unwrap());
        idx.sort();
        assert_eq!(idx, (0..N).collect::<Vec<_>>());
    })
}

#[test]
fn action_runs_once_per_pass_before_release() {
    // CPython test_action.
    watchdog(|| {
        let runs = Arc::new(AtomicUsize::new(0));
        let r2 = runs.clone();
        let b = Barrier::new(N).unwrap().action(move || {
            r2.fetch_add(1, Ordering::SeqCst);
        });
        bunch(N, |_| {
            for pass in 1..=3 {
                b.wait().unwrap();
                // Ran before anyone of this pass was released, and the
                // next pass cannot complete before we arrive again.
                assert_eq!(runs.load(Ordering::SeqCst), 2 * pass - 1);
                b.wait().unwrap();
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 6);
    })
}

#[test]
fn abort_breaks_for_everyone() {
    // CPython test_abort: one thread aborts instead of waiting a second
    // time; everyone else gets Broken; later arrivals too.
    watchdog(|| {
        let b = Barrier::new(N).unwrap();
        let broken = AtomicUsize::new(0);
        bunch(N, |_| {
            let i = b.wait().unwrap();
            if i == N / 2 {
                b.abort();
            } else if matches!(b.wait(), Err(BarrierError::Broken)) {
                broken.fetch_add(1, Ordering::SeqCst);
            }
        });
        assert_eq!(broken.load(Ordering::SeqCst), N - 1);
        assert!(b.broken());
        assert!(matches!(b.wait(), Err(BarrierError::Broken)));
        assert!(matches!(b.try_wait(), Err(BarrierError::Broken)));
    })
}

#[test]
fn reset_breaks_waiters_then_works() {
    // CPython test_reset: one thread resets while the others wait in pass
    // 2; they get Broken; then everyone meets again in pass 3.
    watchdog(|| {
        let b = Barrier::new(N).unwrap();
        let b2 = Barrier::new(N).unwrap();
        let broken = AtomicUsize::new(0);
        let passed = AtomicUsize::new(0);
        bunch(N, |_| {
            let i = b.wait().unwrap();
            if i == N / 2 {
                // Wait until the others are all waiting, then reset.
                while b.n_waiting() < N - 1 {
                    std::thread::yield_now();
                }
                b.reset();
            } else if matches!(b.wait(), Err(BarrierError::Broken)) {
                broken.fetch_add(1, Ordering::SeqCst);
            }
            b2.wait().unwrap();
            b.wait().unwrap();
            passed.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(broken.load(Ordering::SeqCst), N - 1);
        assert_eq!(passed.load(Ordering::SeqCst), N);
    })
}

#[test]
fn abort_and_reset() {
    // CPython test_abort_and_reset.
    watchdog(|| {
        let b = Barrier::new(N).unwrap();
        let b2 = Barrier::new(N).unwrap();
        let broken = AtomicUsize::new(0);
        let passed = AtomicUsize::new(0);
        bunch(N, |_| {
            let i = b.wait().unwrap();
            if i == N / 2 {
                b.abort();
            } else if matches!(b.wait(), Err(BarrierError::Broken)) {
                broken.fetch_add(1, Ordering::SeqCst);
            }
            if b2.wait().unwrap() == N / 2 {
                b.reset();
            }
            b2.wait().unwrap();
            b.wait().unwrap();
            passed.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(broken.load(Ordering::SeqCst), N - 1);
        assert_eq!(passed.load(Ordering::SeqCst), N);
    })
}

#[test]
fn timeout_breaks_for_everyone() {
    // CPython test_timeout: one thread is late; the others' timed wait
    // breaks the barrier, and the late one finds it broken.
    watchdog(|| {
        let b = Barrier::new(N).unwrap();
        let late_go = Event::new();
        let results = bunch(N, |_| {
            let i = b.wait().unwrap();
            if i == N / 2 {
                late_go.wait();
                b.wait_timeout(LONG)
            } else {
                let start = Instant::now();
                let r = b.wait_timeout(Duration::from_millis(50));
                assert!(start.elapsed() >= Duration::from_millis(50) || b.broken());
                if b.broken() {
                    late_go.set();
                }
                r
            }
        });
        let timeouts = results
            .iter()
            .filter(|r| matches!(r, Err(BarrierError::Timeout)))
            .count();
        let broken = results
            .iter()
            .filter(|r| matches!(r, Err(BarrierError::Broken)))
            .count();
        assert!(timeouts >= 1);
        assert_eq!(timeouts + broken, N);
        assert!(b.broken());
    })
}

#[test]
fn default_timeout() {
    // CPython test_default_timeout.
    watchdog(|| {
        let b = Barrier::new(N).unwrap().timeout(Duration::from_millis(50));
        let late_go = Event::new();
        let results = bunch(N, |_| {
            let i = b.wait_timeout(LONG).unwrap();
            if i == N / 2 {
                late_go.wait();
            }
            let r = b.wait();
            if b.broken() {
                late_go.set();
            }
            r
        });
        assert!(results.iter().all(|r| r.is_err()));
        assert!(b.broken());
    })
}

#[test]
fn timeout_never_early() {
    watchdog(|| {
        let b = Barrier::new(2).unwrap();
        let t = Duration::from_millis(50);
        let start = Instant::now();
        assert!(matches!(b.wait_timeout(t), Err(BarrierError::Timeout)));
        assert!(start.elapsed() >= t);
        assert!(b.broken());
        assert_eq!(b.n_waiting(), 0);
        b.reset();
        assert!(!b.broken());
    })
}

#[test]
fn single_thread() {
    // CPython test_single_thread.
    let b = Barrier::new(1).unwrap();
    for _ in 0..3 {
        assert_eq!(b.wait().unwrap(), 0);
    }
    assert_eq!(b.try_wait().unwrap(), 0);
}

#[test]
fn try_wait_only_completes() {
    watchdog(|| {
        let b = Barrier::new(2).unwrap();
        assert!(matches!(b.try_wait(), Err(BarrierError::WouldBlock)));
        assert_eq!(b.n_waiting(), 0);
        std::thread::scope(|s| {
            let h = s.spawn(|| b.wait().unwrap());
            loop {
                match b.try_wait() {
                    Ok(i) => {
                        assert_eq!(i, 1);
                        break;
                    }
                    Err(BarrierError::WouldBlock) => std::thread::yield_now(),
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(h.join().unwrap(), 0);
        });
    })
}

#[test]
fn panicking_action_breaks_the_barrier() {
    watchdog(|| {
        let b = Barrier::new(3).unwrap().action(|| panic!("action failed"));
        let results = bunch(3, |_| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.wait()))
        });
        let panicked = results.iter().filter(|r| r.is_err()).count();
        let broken = results
            .iter()
            .filter(|r| matches!(r, Ok(Err(BarrierError::Broken))))
            .count();
        assert_eq!((panicked, broken), (1, 2));
        assert!(b.broken());
        assert!(matches!(b.wait(), Err(BarrierError::Broken)));
        b.reset();
        assert_eq!(b.n_waiting(), 0);
    })
}

#[test]
fn n_waiting_counts_arrivals() {
    watchdog(|| {
        let b = Barrier::new(3).unwrap();
        std::thread::scope(|s| {
            let h1 = s.spawn(|| b.wait().unwrap());
            let h2 = s.spawn(|| b.wait().unwrap());
            while b.n_waiting() < 2 {
                std::thread::yield_now();
            }
            assert_eq!(b.n_waiting(), 2);
            b.wait().unwrap();
            h1.join().unwrap();
            h2.join().unwrap();
        });
        assert_eq!(b.n_waiting(), 0);
    })
}

#[test]
fn stress_generations_never_mix() {
    // More threads than parties (extra threads wait for the next round),
    // many rounds, an action counting rounds. If rounds mixed, some round
    // would hand out an index twice or one >= parties: every completed
    // round must give each index 0..parties exactly once. At the end one
    // thread aborts, which must free every thread still inside.
    watchdog(|| {
        let parties = 4;
        let threads = 8;
        let target = 1000;
        let action_runs = Arc::new(AtomicUsize::new(0));
        let a2 = action_runs.clone();
        let b = Barrier::new(parties).unwrap().action(move || {
            a2.fetch_add(1, Ordering::SeqCst);
        });
        let per_index: Vec<AtomicUsize> = (0..parties).map(|_| AtomicUsize::new(0)).collect();
        let order_ok = AtomicBool::new(true);
        bunch(threads, |_| {
            loop {
                let before = action_runs.load(Ordering::SeqCst);
                match b.wait() {
                    Ok(i) => {
                        // The action of our round ran before we were released.
                        if action_runs.load(Ordering::SeqCst) <= before {
                            order_ok.store(false, Ordering::SeqCst);
                        }
                        per_index[i].fetch_add(1, Ordering::SeqCst);
                        if action_runs.load(Ordering::SeqCst) >= target {
                            b.abort();
                            return;
                        }
                    }
                    Err(BarrierError::Broken) => return,
                    Err(e) => panic!("{e}"),
                }
            }
        });
        let rounds = per_index[0].load(Ordering::SeqCst);
        assert!(rounds >= target);
        for (i, c) in per_index.iter().enumerate() {
            assert_eq!(c.load(Ordering::SeqCst), rounds, "index {i}");
        }
        // At most the round whose action raced with the abort failed.
        assert!(action_runs.load(Ordering::SeqCst) - rounds <= 1);
        assert!(order_ok.load(Ordering::SeqCst));
        assert!(b.broken());
        assert_eq!(b.n_waiting(), 0);
    })
}
