//! `Timer`: runs a function after an interval unless cancelled.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{Builder, ThreadError, Timer, enumerate};

#[test]
fn fires_after_the_interval_never_early() {
    watchdog(|| {
        for ms in [0u64, 5, 40, 100] {
            let interval = Duration::from_millis(ms);
            let start = Instant::now();
            let t = Timer::new(interval, Instant::now);
            t.start().unwrap();
            let fired_at = t.join().unwrap().expect("not cancelled");
            assert!(
                fired_at.duration_since(start) >= interval,
                "{ms} ms timer fired early"
            );
        }
    });
}

#[test]
fn cancel_before_it_fires_means_it_never_runs() {
    watchdog(|| {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let t = Timer::new(Duration::from_secs(3600), move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        t.start().unwrap();
        assert!(t.is_alive());
        assert!(t.cancel());
        assert!(!t.cancel(), "a second cancel changes nothing");
        // The timer thread ends at once, not after an hour.
        t.join_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(t.join().unwrap(), None);
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn cancel_before_start() {
    watchdog(|| {
        let t = Timer::new(Duration::ZERO, || 1);
        assert!(t.cancel());
        t.start().unwrap();
        assert_eq!(t.join().unwrap(), None);
    });
}

#[test]
fn cancel_after_it_fired_reports_false() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let t = Timer::new(Duration::ZERO, move || {
            started_tx.send(()).unwrap();
            rx.recv().unwrap();
            7
        });
        t.start().unwrap();
        started_rx.recv().unwrap();
        assert!(!t.cancel(), "the function already runs");
        tx.send(()).unwrap();
        assert_eq!(t.join().unwrap(), Some(7));
    });
}

#[test]
fn a_timer_is_a_named_listed_joinable_thread() {
    watchdog(|| {
        let t = Timer::with_builder(
            Builder::new().name("reminder"),
            Duration::from_secs(3600),
            || (),
        );
        assert_eq!(t.name(), "reminder");
        assert!(matches!(t.try_join(), Err(ThreadError::NotStarted)));
        t.start().unwrap();
        assert!(matches!(t.start(), Err(ThreadError::AlreadyStarted)));
        assert!(matches!(
            t.set_daemon(true),
            Err(ThreadError::DaemonAfterStart)
        ));
        let h = t.handle();
        assert!(enumerate().contains(&h));
        let start = Instant::now();
        assert!(matches!(
            t.join_timeout(Duration::from_millis(30)),
            Err(ThreadError::Timeout)
        ));
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert!(matches!(t.try_join(), Err(ThreadError::Timeout)));
        t.cancel();
        h.join().unwrap();
        assert!(!enumerate().contains(&h));
        assert!(!t.is_alive());
    });
}

#[test]
fn default_timer_name_is_thread_n() {
    let t = Timer::new(Duration::ZERO, || ());
    assert!(t.name().starts_with("Thread-"));
}

#[test]
fn panicking_function_fails_join() {
    watchdog(|| {
        let t = Timer::with_builder(
            Builder::new().name("timer-panics"),
            Duration::ZERO,
            || -> u8 { panic!("timer body failed") },
        );
        t.start().unwrap();
        assert!(matches!(t.join(), Err(ThreadError::Panicked(m)) if m == "timer body failed"));
    });
}

#[test]
fn huge_interval_waits_until_cancelled() {
    watchdog(|| {
        let t = Timer::new(Duration::MAX, || ());
        t.start().unwrap();
        assert!(matches!(
            t.join_timeout(Duration::from_millis(20)),
            Err(ThreadError::Timeout)
        ));
        assert!(t.cancel());
        assert_eq!(t.join().unwrap(), None);
    });
}

#[test]
fn stress_cancel_races_count_exactly() {
    watchdog(|| {
        let ran = Arc::new(AtomicUsize::new(0));
        let timers: Vec<_> = (0..64u64)
            .map(|i| {
                let r = ran.clone();
                let t = Timer::new(Duration::from_micros(i * 50), move || {
                    r.fetch_add(1, Ordering::SeqCst);
                });
                t.start().unwrap();
                t
            })
            .collect();
        let mut cancelled = 0;
        for (i, t) in timers.iter().enumerate() {
            if i % 2 == 0 && t.cancel() {
                cancelled += 1;
            }
        }
        let mut fired = 0;
        for t in timers {
            if t.join().unwrap().is_some() {
                fired += 1;
            }
        }
        assert_eq!(fired + cancelled, 64);
        assert_eq!(ran.load(Ordering::SeqCst), fired);
    });
}
