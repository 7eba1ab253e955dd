//! Condition: notify counts, no lost or spurious wake-ups, time-outs,
//! wait_for, producer/consumer stress.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::Condition;

/// Starts `n` threads that each register as waiting (under the lock) and
/// wait until notified; returns once all of them are inside `wait`.
fn start_waiters(
    cond: &Arc<Condition<usize>>,
    n: usize,
    woken: &Arc<AtomicUsize>,
) -> Vec<std::thread::JoinHandle<()>> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (c, w) = (cond.clone(), woken.clone());
            std::thread::spawn(move || {
                let mut g = c.acquire();
                *g += 1; // "I am about to wait", published under the lock
                g.wait();
                w.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    // The counter is bumped under the lock right before `wait` releases it,
    // so once we can take the lock and see n, every thread is waiting.
    loop {
        let g = cond.acquire();
        if *g == n {
            break;
        }
        drop(g);
        std::thread::yield_now();
    }
    handles
}

#[test]
fn notify_wakes_exactly_n() {
    watchdog(|| {
        let cond = Arc::new(Condition::new(0usize));
        let woken = Arc::new(AtomicUsize::new(0));
        let handles = start_waiters(&cond, 5, &woken);
        assert_eq!(cond.acquire().notify(2), 2);
        // Wait until the two woken ones are through, then check nobody else.
        while woken.load(Ordering::SeqCst) < 2 {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(woken.load(Ordering::SeqCst), 2);
        assert_eq!(cond.acquire().notify(1), 1);
        assert_eq!(cond.acquire().notify(10), 2);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 5);
        assert_eq!(cond.acquire().notify(3), 0);
    });
}

#[test]
fn notify_all_wakes_everyone() {
    watchdog(|| {
        let cond = Arc::new(Condition::new(0usize));
        let woken = Arc::new(AtomicUsize::new(0));
        let handles = start_waiters(&cond, 6, &woken);
        assert_eq!(cond.acquire().notify_all(), 6);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 6);
    });
}

#[test]
fn notify_before_wait_is_not_remembered() {
    watchdog(|| {
        let cond = Condition::new(());
        let mut g = cond.acquire();
        assert_eq!(g.notify(1), 0);
        assert!(!g.wait_timeout(Duration::from_millis(10)));
    });
}

#[test]
fn wait_timeout_never_returns_early_and_holds_the_lock_after() {
    watchdog(|| {
        let cond = Condition::new(());
        let mut g = cond.acquire();
        for ms in [1u64, 10, 30] {
            let d = Duration::from_millis(ms);
            let start = Instant::now();
            assert!(!g.wait_timeout(d));
            assert!(start.elapsed() >= d);
            assert!(cond.locked());
        }
        assert!(!g.wait_timeout(Duration::ZERO));
    });
}

#[test]
fn wait_timeout_true_when_notified() {
    watchdog(|| {
        let cond = Arc::new(Condition::new(0usize));
        let c = cond.clone();
        let t = std::thread::spawn(move || {
            let mut g = c.acquire();
            *g = 1;
            g.wait_timeout(Duration::from_secs(30))
        });
        loop {
            let g = cond.acquire();
            if *g == 1 {
                assert_eq!(g.notify(1), 1);
                break;
            }
            drop(g);
            std::thread::yield_now();
        }
        assert!(t.join().unwrap());
    });
}

#[test]
fn wait_for_returns_the_predicates_last_value() {
    watchdog(|| {
        let cond = Arc::new(Condition::new(0u32));
        let mut g = cond.acquire();
        let start = Instant::now();
        assert!(!g.wait_for_timeout(|v| *v >= 3, Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
        drop(g);

        let c = cond.clone();
        let t = std::thread::spawn(move || {
            for _ in 0..3 {
                let mut g = c.acquire();
                *g += 1;
                g.notify_all();
            }
        });
        let mut g = cond.acquire();
        assert!(g.wait_for_timeout(|v| *v >= 3, Duration::from_secs(30)));
        assert_eq!(*g, 3);
        drop(g);
        t.join().unwrap();
        cond.acquire().wait_for(|v| *v == 3);
    });
}

#[test]
fn producer_consumer_nothing_lost_or_duplicated() {
    watchdog(|| {
        let cond = Arc::new(Condition::new(Vec::<u64>::new()));
        let producers = 4u64;
        let per = 10_000u64;
        let consumers = 4;
        let total = Arc::new(AtomicUsize::new(0));
        let sum = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(producers as usize + consumers));
        let mut handles = Vec::new();
        for p in 0..producers {
            let (c, b) = (cond.clone(), barrier.clone());
            handles.push(std::thread::spawn(move || {
                b.wait();
                for i in 0..per {
                    let mut g = c.acquire();
                    g.push(p * per + i + 1);
                    g.notify(1);
                }
            }));
        }
        for _ in 0..consumers {
            let (c, b, total, sum) = (cond.clone(), barrier.clone(), total.clone(), sum.clone());
            handles.push(std::thread::spawn(move || {
                b.wait();
                loop {
                    let mut g = c.acquire();
                    g.wait_for(|v| !v.is_empty());
                    let x = g.pop().unwrap();
                    if x == 0 {
                        // Sentinel: pass it on and stop.
                        g.push(0);
                        g.notify_all();
                        return;
                    }
                    drop(g);
                    total.fetch_add(1, Ordering::Relaxed);
                    sum.fetch_add(x as usize, Ordering::Relaxed);
                }
            }));
        }
        let consumers_handles = handles.split_off(producers as usize);
        for h in handles {
            h.join().unwrap();
        }
        // All items are in; send the sentinel after them.
        loop {
            let mut g = cond.acquire();
            if g.is_empty() {
                g.push(0);
                g.notify_all();
                break;
            }
            drop(g);
            std::thread::yield_now();
        }
        for h in consumers_handles {
            h.join().unwrap();
        }
        let n = producers * per;
        assert_eq!(total.load(Ordering::Relaxed) as u64, n);
        assert_eq!(sum.load(Ordering::Relaxed) as u64, n * (n + 1) / 2);
    });
}

#[test]
fn timed_waiters_and_notifies_mixed_stress_counts_exact() {
    // Each notify(1) that reports a wake-up must be matched by exactly one
    // wait that reports "notified"; waits that time out report false.
    watchdog(|| {
        let cond = Arc::new(Condition::new(()));
        let notified = Arc::new(AtomicUsize::new(0));
        let reported = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waiters: Vec<_> = (0..4)
            .map(|i| {
                let (c, n, s) = (cond.clone(), notified.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !s.load(Ordering::SeqCst) {
                        let mut g = c.acquire();
                        let ok = if i % 2 == 0 {
                            g.wait_timeout(Duration::from_micros(200))
                        } else {
                            g.wait_timeout(Duration::from_millis(5))
                        };
                        if ok {
                            n.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        let notifier = {
            let (c, r) = (cond.clone(), reported.clone());
            std::thread::spawn(move || {
                for _ in 0..5_000 {
                    let g = c.acquire();
                    r.fetch_add(g.notify(1), Ordering::SeqCst);
                    drop(g);
                    std::hint::spin_loop();
                }
            })
        };
        notifier.join().unwrap();
        stop.store(true, Ordering::SeqCst);
        // Wake any still waiting (counts as notified on both sides).
        reported.fetch_add(cond.acquire().notify_all(), Ordering::SeqCst);
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(
            notified.load(Ordering::SeqCst),
            reported.load(Ordering::SeqCst)
        );
    });
}

#[test]
fn ping_pong_round_trips() {
    watchdog(|| {
        let cond = Arc::new(Condition::new(0u64));
        let c = cond.clone();
        let rounds = 2_000u64;
        let t = std::thread::spawn(move || {
            let mut g = c.acquire();
            for i in 0..rounds {
                g.wait_for(|v| *v == 2 * i + 1);
                *g += 1;
                g.notify(1);
            }
        });
        let mut g = cond.acquire();
        for i in 0..rounds {
            *g += 1;
            g.notify(1);
            g.wait_for(|v| *v == 2 * i + 2);
        }
        drop(g);
        t.join().unwrap();
        assert_eq!(*cond.acquire(), 2 * rounds);
    });
}

#[test]
fn acquire_forms() {
    watchdog(|| {
        let cond = Arc::new(Condition::new(()));
        let g = cond.acquire();
        let (tx, rx) = mpsc::channel();
        let c = cond.clone();
        std::thread::spawn(move || {
            tx.send((
                c.try_acquire().is_err(),
                c.acquire_timeout(Duration::from_millis(5)).is_err(),
            ))
            .unwrap();
        })
        .join()
        .unwrap();
        assert_eq!(rx.recv().unwrap(), (true, true));
        drop(g);
        assert!(cond.acquire_checked().is_ok());
    });
}
