//! Deadlock detection, lock-order checking, dumps and statistics with the
//! real primitives (Lock, RLock, Thread). Every test sets a short detection
//! delay; the switches are process-wide, so the tests run one at a time.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::{Duration, Instant};

use threadkit::diagnostics::{self, Deadlock, LockOrderViolation, Policy};
use threadkit::{Builder, Lock, RLock, Thread, ThreadError};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    let g = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    diagnostics::set_policy(Policy::Fail);
    diagnostics::set_detection_delay(Duration::from_millis(50));
    diagnostics::set_tracking(true);
    diagnostics::set_lock_order_checking(false);
    diagnostics::set_stats(false);
    g
}

fn named<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> Thread<T> {
    Builder::new().name(name).spawn(f).expect("spawn")
}

/// The seeds' two locks taken in opposite order: exactly one checked
/// acquire fails with a report naming both threads, both locks and where
/// each was acquired; the other thread then completes.
#[test]
fn two_locks_opposite_order() {
    common::watchdog(|| {
        let _g = serial();
        let a = Arc::new(Lock::named("account_a", 100));
        let b = Arc::new(Lock::named("account_b", 50));
        let barrier = Arc::new(Barrier::new(2));
        let spawn = |name: &str, first: Arc<Lock<i32>>, second: Arc<Lock<i32>>| {
            let barrier = barrier.clone();
            named(name, move || {
                let mut x = first.acquire();
                barrier.wait();
                let mut y = second.acquire_checked()?;
                *x -= 10;
                *y += 10;
                Ok::<(), Deadlock>(())
            })
        };
        let t1 = spawn("worker-1", a.clone(), b.clone());
        let t2 = spawn("worker-2", b.clone(), a.clone());
        let r = [t1.join().unwrap(), t2.join().unwrap()];
        let errs: Vec<&Deadlock> = r.iter().filter_map(|x| x.as_ref().err()).collect();
        assert_eq!(errs.len(), 1, "exactly one victim: {r:?}");
        let text = errs[0].to_string();
        assert!(
            text.starts_with("deadlock: 2 threads wait on each other"),
            "{text}"
        );
        for n in [
            "\"worker-1\" holds Lock \"account_a\" (acquired at",
            "\"worker-2\" holds Lock \"account_b\" (acquired at",
            "waits for Lock \"account_b\" at",
            "waits for Lock \"account_a\" at",
            "diagnostics_locks.rs",
        ] {
            assert!(text.contains(n), "{n:?} missing in\n{text}");
        }
        // The survivor moved the money; totals are intact.
        assert_eq!(*a.acquire() + *b.acquire(), 150);
    })
}

/// A plain acquire panics with the report; unwinding drops its guard, so
/// the other thread goes on.
#[test]
fn plain_acquire_panics_with_the_report() {
    common::watchdog(|| {
        let _g = serial();
        let a = Arc::new(Lock::named("first", ()));
        let b = Arc::new(Lock::named("second", ()));
        let barrier = Arc::new(Barrier::new(2));
        let mk = |name: &str, x: Arc<Lock<()>>, y: Arc<Lock<()>>| {
            let barrier = barrier.clone();
            named(name, move || {
                let _x = x.acquire();
                barrier.wait();
                let _y = y.acquire();
            })
        };
        let t1 = mk("p-1", a.clone(), b.clone());
        let t2 = mk("p-2", b, a);
        let r = [t1.join(), t2.join()];
        let panics: Vec<String> = r
            .iter()
            .filter_map(|x| match x {
                Err(ThreadError::Panicked(m)) => Some(m.to_string()),
                Err(e) => Some(format!("unexpected: {e}")),
                Ok(()) => None,
            })
            .collect();
        assert_eq!(panics.len(), 1, "{r:?}");
        assert!(
            panics[0].contains("deadlock: 2 threads wait on each other"),
            "{}",
            panics[0]
        );
    })
}

/// A cycle of three threads.
#[test]
fn three_thread_cycle() {
    common::watchdog(|| {
        let _g = serial();
        let locks: Vec<Arc<Lock<()>>> = (0..3)
            .map(|i| Arc::new(Lock::named(&format!("fork-{i}"), ())))
            .collect();
        let barrier = Arc::new(Barrier::new(3));
        let ts: Vec<_> = (0..3)
            .map(|i| {
                let (x, y, barrier) = (
                    locks[i].clone(),
                    locks[(i + 1) % 3].clone(),
                    barrier.clone(),
                );
                named(&format!("philosopher-{i}"), move || {
                    let _x = x.acquire();
                    barrier.wait();
                    y.acquire_checked().map(drop).map_err(|d| d.to_string())
                })
            })
            .collect();
        let r: Vec<_> = ts.into_iter().map(|t| t.join().unwrap()).collect();
        let errs: Vec<_> = r.iter().filter_map(|x| x.as_ref().err()).collect();
        assert_eq!(errs.len(), 1, "{r:?}");
        assert!(
            errs[0].starts_with("deadlock: 3 threads wait on each other"),
            "{}",
            errs[0]
        );
        for i in 0..3 {
            assert!(
                errs[0].contains(&format!("\"philosopher-{i}\"")),
                "{}",
                errs[0]
            );
            assert!(
                errs[0].contains(&format!("Lock \"fork-{i}\"")),
                "{}",
                errs[0]
            );
        }
    })
}

/// Two RLocks (each taken twice, re-entrantly) in opposite orders.
#[test]
fn two_rlocks() {
    common::watchdog(|| {
        let _g = serial();
        let a = Arc::new(RLock::named("ra", ()));
        let b = Arc::new(RLock::named("rb", ()));
        let barrier = Arc::new(Barrier::new(2));
        let mk = |name: &str, x: Arc<RLock<()>>, y: Arc<RLock<()>>| {
            let barrier = barrier.clone();
            named(name, move || {
                let _x1 = x.acquire();
                let _x2 = x.acquire();
                barrier.wait();
                y.acquire_checked().map(drop).map_err(|d| d.to_string())
            })
        };
        let t1 = mk("r-1", a.clone(), b.clone());
        let t2 = mk("r-2", b, a);
        let r = [t1.join().unwrap(), t2.join().unwrap()];
        let errs: Vec<_> = r.iter().filter_map(|x| x.as_ref().err()).collect();
        assert_eq!(errs.len(), 1, "{r:?}");
        assert!(errs[0].contains("waits for RLock \"r"), "{}", errs[0]);
        assert!(errs[0].contains("holds RLock \"r"), "{}", errs[0]);
    })
}

/// A thread holding a lock joins a thread that waits for that lock.
#[test]
fn hold_lock_and_join_its_waiter() {
    common::watchdog(|| {
        let _g = serial();
        let lock = Arc::new(Lock::named("guarded", 0));
        let (tx, rx) = mpsc::channel();
        let l2 = lock.clone();
        let holder = named("holder", move || {
            let _g = l2.acquire();
            let l3 = l2.clone();
            let child = named("child", move || {
                l3.acquire_checked().map(|_| ()).map_err(|d| d.to_string())
            });
            tx.send(()).unwrap();
            match child.join() {
                Ok(r) => Ok(r),
                Err(ThreadError::Deadlock(d)) => Err(d.to_string()),
                Err(e) => panic!("unexpected {e}"),
            }
        });
        rx.recv().unwrap();
        let r = holder.join().unwrap();
        // Either the join failed (then the holder released the lock and the
        // child got it), or the child's acquire failed (and the join
        // returned its error).
        match r {
            Err(text) => assert!(text.contains("\"holder\" holds Lock \"guarded\""), "{text}"),
            Ok(Err(text)) => assert!(text.contains("waits to join \"child\""), "{text}"),
            Ok(Ok(())) => panic!("no deadlock reported"),
        }
    })
}

/// A Lock re-acquired by its owner is a one-thread deadlock.
#[test]
fn lock_reacquired_by_owner() {
    common::watchdog(|| {
        let _g = serial();
        let l = Lock::named("not_reentrant", ());
        let _held = l.acquire();
        let t0 = Instant::now();
        let Err(d) = l.acquire_checked() else {
            panic!("re-acquiring a Lock must fail");
        };
        assert!(t0.elapsed() >= Duration::from_millis(50));
        let text = d.to_string();
        assert!(
            text.starts_with("deadlock: 1 thread waits on itself"),
            "{text}"
        );
        assert!(text.contains("holds Lock \"not_reentrant\""), "{text}");
        assert!(text.contains("waits for Lock \"not_reentrant\""), "{text}");
    })
}

/// Correct, heavily contended code (consistent order) with the detector on
/// and a very short delay: no false report, every increment counted.
#[test]
fn stress_no_false_report() {
    common::watchdog(|| {
        let _g = serial();
        diagnostics::set_detection_delay(Duration::from_millis(5));
        let a = Arc::new(Lock::named("outer", 0u64));
        let b = Arc::new(Lock::named("inner", 0u64));
        let threads = 8;
        let iters: usize = 20_000;
        let ts: Vec<_> = (0..threads)
            .map(|i| {
                let (a, b) = (a.clone(), b.clone());
                named(&format!("stress-{i}"), move || {
                    for k in 0..iters {
                        let mut x = a.acquire_checked().expect("no false deadlock");
                        *x += 1;
                        if k % 3 == 0 {
                            *b.acquire_checked().expect("no false deadlock") += 1;
                        }
                    }
                })
            })
            .collect();
        for t in ts {
            t.join().expect("no thread failed");
        }
        assert_eq!(*a.acquire(), (threads * iters) as u64);
        assert_eq!(*b.acquire(), (threads * iters.div_ceil(3)) as u64);
    })
}

/// The seeds' deadlock example run so that thread 1 finishes before thread
/// 2 starts: no hang, but lock-order checking flags it, once.
#[test]
fn lock_order_flags_a_lucky_run() {
    common::watchdog(|| {
        let _g = serial();
        diagnostics::set_lock_order_checking(true);
        diagnostics::clear_lock_order_graph();
        let seen = Arc::new(Mutex::new(Vec::<LockOrderViolation>::new()));
        let sink = seen.clone();
        diagnostics::set_lock_order_hook(move |v| sink.lock().unwrap().push(v.clone()));
        let a = Arc::new(Lock::named("lock_a", ()));
        let b = Arc::new(Lock::named("lock_b", ()));
        for round in 0..3 {
            let (x, y) = (a.clone(), b.clone());
            named(&format!("thread-1.{round}"), move || {
                let _x = x.acquire();
                let _y = y.acquire();
            })
            .join()
            .unwrap();
            let (x, y) = (a.clone(), b.clone());
            named(&format!("thread-2.{round}"), move || {
                let _y = y.acquire();
                let _x = x.acquire();
            })
            .join()
            .unwrap();
        }
        diagnostics::reset_lock_order_hook();
        diagnostics::set_lock_order_checking(false);
        let v = seen.lock().unwrap();
        assert_eq!(v.len(), 1, "once per cycle: {v:?}");
        let text = v[0].to_string();
        assert!(
            text.contains("\"thread-2.0\" acquired Lock \"lock_b\" at"),
            "{text}"
        );
        assert!(text.contains("then Lock \"lock_a\" at"), "{text}");
        assert!(
            text.contains("\"thread-1.0\" acquired Lock \"lock_a\" at"),
            "{text}"
        );
    })
}

/// The dump of a blocked program: who waits for which lock, held by whom,
/// and where the holder acquired it.
#[test]
fn dump_with_real_locks() {
    common::watchdog(|| {
        let _g = serial();
        let l = Arc::new(Lock::named("dumped", ()));
        let guard = l.acquire();
        let l2 = l.clone();
        let waiter = named("dump-waiter", move || drop(l2.acquire()));
        let d = loop {
            let d = diagnostics::dump();
            if d.threads
                .iter()
                .any(|t| t.thread.name == "dump-waiter" && t.waiting.is_some())
            {
                break d;
            }
            std::thread::yield_now();
        };
        let text = d.to_string();
        assert!(text.contains("\"dump-waiter\""), "{text}");
        assert!(text.contains("waits for Lock \"dumped\""), "{text}");
        assert!(text.contains("untimed"), "{text}");
        let holder = d
            .threads
            .iter()
            .find(|t| {
                t.holds
                    .iter()
                    .any(|h| h.lock.name.as_deref() == Some("dumped"))
            })
            .expect("someone holds it");
        let held = &holder.holds[0];
        assert!(
            held.acquired_at
                .as_deref()
                .is_some_and(|s| s.contains("diagnostics_locks.rs")),
            "{text}"
        );
        drop(guard);
        waiter.join().unwrap();
    })
}

/// Contention statistics with a real Lock.
#[test]
fn stats_with_real_lock() {
    common::watchdog(|| {
        let _g = serial();
        diagnostics::set_stats(true);
        diagnostics::reset_stats();
        let l = Arc::new(Lock::named("hot", 0u64));
        let n = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..4)
            .map(|i| {
                let (l, n) = (l.clone(), n.clone());
                named(&format!("hot-{i}"), move || {
                    for _ in 0..5_000 {
                        *l.acquire() += 1;
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in ts {
            t.join().unwrap();
        }
        diagnostics::set_stats(false);
        let s = diagnostics::stats();
        let e = s
            .locks
            .iter()
            .find(|e| e.lock.name.as_deref() == Some("hot"))
            .expect("entry");
        assert_eq!(e.acquisitions, 20_000);
        assert!(e.contended <= e.acquisitions);
        assert!(e.max_wait_us * e.contended >= e.total_wait_us.min(e.max_wait_us));
        assert_eq!(*l.acquire(), 20_000);
    })
}

/// A cycle that contains a timed wait is not a deadlock: it ends by itself.
/// Nobody is failed; the timed acquire times out (never early), and the
/// untimed one then gets its lock.
#[test]
fn cycle_with_a_timed_wait_is_not_reported() {
    common::watchdog(|| {
        let _g = serial();
        let a = Arc::new(Lock::named("timed_a", ()));
        let b = Arc::new(Lock::named("timed_b", ()));
        let barrier = Arc::new(Barrier::new(2));
        let (a1, b1, bar1) = (a.clone(), b.clone(), barrier.clone());
        let timed = named("timed", move || {
            let _a = a1.acquire();
            bar1.wait();
            let t0 = Instant::now();
            let r = b1.acquire_timeout(Duration::from_millis(400)).map(drop);
            (r, t0.elapsed())
        });
        let (a2, b2, bar2) = (a.clone(), b.clone(), barrier.clone());
        let untimed = named("untimed", move || {
            let _b = b2.acquire();
            bar2.wait();
            a2.acquire_checked().map(drop).map_err(|d| d.to_string())
        });
        let (r, waited) = timed.join().unwrap();
        assert!(matches!(r, Err(threadkit::LockError::Timeout)), "{r:?}");
        assert!(
            waited >= Duration::from_millis(400),
            "never early: {waited:?}"
        );
        assert_eq!(untimed.join().unwrap(), Ok(()));
    })
}

/// The seeds' example verbatim (unnamed locks, `thread1` then `thread2`),
/// run so that thread 1 finishes before thread 2 starts: the inversion is
/// flagged, naming the locks by their creation sites.
#[test]
fn seeds_example_unnamed_locks_lock_order() {
    common::watchdog(|| {
        let _g = serial();
        diagnostics::set_lock_order_checking(true);
        diagnostics::clear_lock_order_graph();
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = seen.clone();
        diagnostics::set_lock_order_hook(move |v| sink.lock().unwrap().push(v.to_string()));
        let lock_a = Arc::new(Lock::new(()));
        let lock_b = Arc::new(Lock::new(()));
        let (a, b) = (lock_a.clone(), lock_b.clone());
        let t1 = named("Thread-1", move || {
            let _a = a.acquire();
            let _b = b.acquire();
        });
        t1.join().unwrap();
        let (a, b) = (lock_a.clone(), lock_b.clone());
        let t2 = named("Thread-2", move || {
            let _b = b.acquire();
            let _a = a.acquire();
        });
        t2.join().unwrap();
        diagnostics::reset_lock_order_hook();
        diagnostics::set_lock_order_checking(false);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(
            seen[0].contains("\"Thread-2\" acquired Lock created at"),
            "{}",
            seen[0]
        );
        assert!(seen[0].contains("diagnostics_locks.rs"), "{}", seen[0]);
    })
}
