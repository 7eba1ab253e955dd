//! Stress: a million tiny tasks from several submitters, with cancellations
//! and callbacks racing the workers; every future completes exactly once and
//! every task runs at most once (exactly once unless its future was
//! cancelled).

mod common;

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use threadkit::{FutureError, ThreadPoolExecutor};

const TASKS: usize = 1_000_000;
const SUBMITTERS: usize = 4;

#[test]
fn a_million_tasks_complete_exactly_once() {
    common::bounded(Duration::from_secs(300), || {
        let pool = Arc::new(
            ThreadPoolExecutor::builder()
                .max_workers(3)
                .build()
                .unwrap(),
        );
        let ran: Arc<Vec<AtomicU8>> = Arc::new((0..TASKS).map(|_| AtomicU8::new(0)).collect());
        let callbacks: Arc<Vec<AtomicU8>> =
            Arc::new((0..TASKS).map(|_| AtomicU8::new(0)).collect());
        let start = Arc::new(Barrier::new(SUBMITTERS));
        let per = TASKS / SUBMITTERS;
        let threads: Vec<_> = (0..SUBMITTERS)
            .map(|s| {
                let (pool, ran, callbacks, start) =
                    (pool.clone(), ran.clone(), callbacks.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut futures = Vec::with_capacity(per);
                    for i in s * per..(s + 1) * per {
                        let r = ran.clone();
                        let f = pool
                            .submit(move || {
                                r[i].fetch_add(1, Ordering::Relaxed);
                                i
                            })
                            .unwrap();
                        if i % 97 == 0 {
                            let c = callbacks.clone();
                            f.add_done_callback(move |_| {
                                c[i].fetch_add(1, Ordering::Relaxed);
                            });
                        }
                        if i % 7 == 0 {
                            f.cancel();
                        }
                        futures.push((i, f));
                    }
                    let mut cancelled = 0usize;
                    for (i, f) in futures {
                        match f.into_result() {
                            Ok(v) => assert_eq!(v, i),
                            Err(FutureError::Cancelled) => cancelled += 1,
                            Err(e) => panic!("task {i}: {e}"),
                        }
                    }
                    cancelled
                })
            })
            .collect();
        let cancelled: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        drop(pool);
        let mut executed = 0usize;
        for (i, r) in ran.iter().enumerate() {
            let r = r.load(Ordering::Relaxed);
            assert!(r <= 1, "task {i} ran {r} times");
            executed += r as usize;
            if i % 97 == 0 {
                assert_eq!(callbacks[i].load(Ordering::Relaxed), 1, "callback {i}");
            }
        }
        assert_eq!(executed + cancelled, TASKS);
        assert!(cancelled <= TASKS / 7 + 1);
    });
}

#[test]
fn execute_from_many_threads_loses_nothing() {
    common::watchdog(|| {
        let pool = Arc::new(
            ThreadPoolExecutor::builder()
                .max_workers(2)
                .build()
                .unwrap(),
        );
        let count = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (pool, count) = (pool.clone(), count.clone());
                std::thread::spawn(move || {
                    for _ in 0..50_000 {
                        let c = count.clone();
                        pool.execute(move || {
                            c.fetch_add(1, Ordering::Relaxed);
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        pool.shutdown(true, false);
        assert_eq!(count.load(Ordering::Relaxed), 200_000);
    });
}

#[test]
fn shutdown_racing_submitters_never_strands_a_task() {
    common::watchdog(|| {
        for _ in 0..20 {
            let pool = Arc::new(
                ThreadPoolExecutor::builder()
                    .max_workers(2)
                    .build()
                    .unwrap(),
            );
            let start = Arc::new(Barrier::new(3));
            let submitters: Vec<_> = (0..2)
                .map(|_| {
                    let (pool, start) = (pool.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        let mut accepted = Vec::new();
                        while let Ok(f) = pool.submit(|| 1u8) {
                            accepted.push(f);
                        }
                        accepted
                    })
                })
                .collect();
            start.wait();
            pool.shutdown(false, true);
            for s in submitters {
                for f in s.join().unwrap() {
                    // Every accepted task either ran or was cancelled: none hangs.
                    match f.into_result() {
                        Ok(1) | Err(FutureError::Cancelled) => {}
                        other => panic!("{other:?}"),
                    }
                }
            }
        }
    });
}
