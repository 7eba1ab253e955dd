//! Deadlock detection with the thread pool: a task waiting on a future
//! queued behind it in a saturated pool (one worker, and an any-of knot of
//! two), and no false report under load. The switches are process-wide, so
//! the tests run one at a time.

mod common;

use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use threadkit::Lock;
use threadkit::diagnostics::{self, Policy};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    let g = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    diagnostics::set_policy(Policy::Fail);
    diagnostics::set_detection_delay(Duration::from_millis(50));
    diagnostics::set_tracking(true);
    g
}

/// A pool task waits on a future queued behind it in a saturated pool: the
/// wait fails with the report instead of hanging the pool.
#[test]
fn pool_task_waits_on_future_queued_behind_it() {
    common::watchdog(|| {
        let _g = serial();
        let pool = Arc::new(
            threadkit::ThreadPoolExecutor::builder()
                .max_workers(1)
                .thread_name_prefix("pool")
                .build()
                .unwrap(),
        );
        let p2 = pool.clone();
        let outer = pool
            .submit(move || {
                // The only worker is busy running this task, so the inner
                // task stays queued behind it.
                let inner = p2.submit(|| 42).unwrap();
                match inner.result() {
                    Ok(v) => Ok(*v),
                    Err(threadkit::FutureError::Deadlock(d)) => Err(d.to_string()),
                    Err(e) => Err(format!("unexpected: {e}")),
                }
            })
            .unwrap();
        let r = outer.result().expect("outer task completes").clone();
        let text = r.expect_err("the inner wait is a deadlock");
        assert!(
            text.starts_with("deadlock: 1 thread waits on itself"),
            "{text}"
        );
        assert!(text.contains("waits for Future"), "{text}");
        assert!(text.contains("\"pool"), "{text}");
        pool.shutdown(true, false);
    })
}

/// Both workers of a saturated two-worker pool wait on futures queued
/// behind them: an any-of knot. One wait fails; its worker then runs the
/// queued tasks, so the other wait completes.
#[test]
fn saturated_two_worker_pool() {
    common::watchdog(|| {
        let _g = serial();
        let pool = Arc::new(
            threadkit::ThreadPoolExecutor::builder()
                .max_workers(2)
                .thread_name_prefix("pair")
                .build()
                .unwrap(),
        );
        let both_running = Arc::new(Barrier::new(2));
        let outers: Vec<_> = (0..2)
            .map(|i| {
                let (p, b) = (pool.clone(), both_running.clone());
                pool.submit(move || {
                    b.wait();
                    let inner = p.submit(move || i).unwrap();
                    match inner.result() {
                        Ok(v) => Ok(*v),
                        Err(threadkit::FutureError::Deadlock(d)) => Err(d.to_string()),
                        Err(e) => Err(format!("unexpected: {e}")),
                    }
                })
                .unwrap()
            })
            .collect();
        let r: Vec<Result<i32, String>> = outers
            .iter()
            .map(|f| f.result().expect("outer completes").clone())
            .collect();
        let errs: Vec<&String> = r.iter().filter_map(|x| x.as_ref().err()).collect();
        assert_eq!(errs.len(), 1, "{r:?}");
        assert!(errs[0].contains("which any of"), "{}", errs[0]);
        pool.shutdown(true, false);
    })
}

/// Correct pool code under load with a 5 ms detection delay: the main thread
/// waits on thousands of futures whose tasks contend on a Lock; no false
/// report, every task counted once.
#[test]
fn pool_stress_no_false_report() {
    common::watchdog(|| {
        let _g = serial();
        diagnostics::set_detection_delay(Duration::from_millis(5));
        let pool = threadkit::ThreadPoolExecutor::builder()
            .max_workers(4)
            .build()
            .unwrap();
        let counter = Arc::new(Lock::named("pool_counter", 0u64));
        let futures: Vec<_> = (0..4_000u64)
            .map(|i| {
                let c = counter.clone();
                pool.submit(move || {
                    *c.acquire_checked().expect("no false deadlock") += 1;
                    if i % 500 == 0 {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    i
                })
                .unwrap()
            })
            .collect();
        let mut sum = 0;
        for f in &futures {
            sum += *f.result().expect("no false deadlock");
        }
        pool.shutdown(true, false);
        assert_eq!(sum, (0..4_000u64).sum::<u64>());
        assert_eq!(*counter.acquire(), 4_000);
    })
}
