//! Event: behaviour, CPython's `lock_tests.py` EventTests ported, storms.

mod common;

use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::Event;

const LONG: Duration = Duration::from_secs(30);

#[test]
fn is_set() {
    // CPython test_is_set.
    let e = Event::new();
    assert!(!e.is_set());
    e.set();
    assert!(e.is_set());
    e.set();
    assert!(e.is_set());
    e.clear();
    assert!(!e.is_set());
    e.clear();
    assert!(!e.is_set());
    assert!(!e.try_wait());
}

#[test]
fn notify_wakes_every_waiter() {
    // CPython test_notify: waiters blocked before set, and waiters that
    // arrive while it is set, all return true.
    watchdog(|| {
        let e = Event::new();
        let n = 5;
        let results = AtomicUsize::new(0);
        let start = Barrier::new(n + 1);
        std::thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| {
                    start.wait();
                    e.wait();
                    if e.wait_timeout(LONG) {
                        results.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            start.wait();
            e.set();
        });
        assert_eq!(results.load(Ordering::SeqCst), n);
    })
}

#[test]
fn timeout_never_early_and_returns_flag() {
    // CPython test_timeout.
    watchdog(|| {
        let e = Event::new();
        assert!(!e.wait_timeout(Duration::ZERO));
        let t = Duration::from_millis(50);
        let start = Instant::now();
        assert!(!e.wait_timeout(t));
        assert!(start.elapsed() >= t);
        e.set();
        let start = Instant::now();
        assert!(e.wait_timeout(t));
        assert!(start.elapsed() < LONG);
        assert!(e.wait_timeout(Duration::ZERO));
    })
}

#[test]
fn several_timed_waiters_time_out() {
    watchdog(|| {
        let e = Event::new();
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let t = Instant::now();
                        let r = e.wait_timeout(Duration::from_millis(30));
                        (r, t.elapsed())
                    })
                })
                .collect();
            for h in hs {
                let (r, el) = h.join().unwrap();
                assert!(!r);
                assert!(el >= Duration::from_millis(30));
            }
        });
    })
}

#[test]
fn set_wakes_timed_and_untimed_waiters() {
    watchdog(|| {
        let e = Event::new();
        let go = Barrier::new(3);
        std::thread::scope(|s| {
            let a = s.spawn(|| {
                go.wait();
                e.wait();
                true
            });
            let b = s.spawn(|| {
                go.wait();
                e.wait_timeout(LONG)
            });
            go.wait();
            e.set();
            assert!(a.join().unwrap());
            assert!(b.join().unwrap());
        });
    })
}

#[test]
fn ping_pong_rounds() {
    // Two events, two threads, many hand-offs: a lost wake-up hangs (and
    // the watchdog fails the test).
    watchdog(|| {
        let (ping, pong) = (Event::new(), Event::new());
        let rounds = 20_000;
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..rounds {
                    ping.wait();
                    ping.clear();
                    pong.set();
                }
            });
            for _ in 0..rounds {
                ping.set();
                pong.wait();
                pong.clear();
            }
        });
    })
}

#[test]
fn stress_set_clear_storm_loses_no_waiter() {
    // Rounds: every waiter waits; main sets while a noise thread storms
    // clear()/set() pairs (always ending set). Every waiter of every round
    // must come back; main clears only once they all did.
    watchdog(|| {
        let e = Event::new();
        let n = 6;
        let rounds = 300;
        let back = AtomicUsize::new(0);
        let start = Barrier::new(n + 2);
        let end = Barrier::new(n + 2);
        std::thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| {
                    for r in 0..rounds {
                        start.wait();
                        if r % 2 == 0 {
                            e.wait();
                        } else {
                            assert!(e.wait_timeout(LONG));
                        }
                        back.fetch_add(1, Ordering::SeqCst);
                        end.wait();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..rounds {
                    start.wait();
                    for _ in 0..20 {
                        e.clear();
                        e.set();
                    }
                    end.wait();
                }
            });
            for r in 0..rounds {
                start.wait();
                e.set();
                end.wait();
                assert_eq!(back.load(Ordering::SeqCst), n * (r + 1));
                e.clear();
            }
        });
    })
}

#[test]
fn debug_and_default() {
    let e = Event::default();
    assert!(format!("{e:?}").contains("set: false"));
}
