//! CPython's `Lib/test/test_concurrent_futures/` cases, ported where they
//! apply (test names follow CPython's; the Python class is in the comment).
//! Waits on sleeps in CPython's versions are replaced by gates and
//! completers, so nothing here depends on timing except the timeouts.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{
    Completer, Future, FutureError, ReturnWhen, ThreadPoolExecutor, as_completed,
    as_completed_timeout, wait, wait_timeout,
};

fn pending<T: Send + 'static>() -> (Future<T>, Completer<T>) {
    Future::pending()
}

fn finished<T: Send + 'static>(v: T) -> Future<T> {
    let (f, c) = pending();
    c.set_result(v);
    f
}

fn failed(msg: &str) -> Future<u32> {
    let (f, c) = pending();
    c.set_error(FutureError::Failed(msg.into()));
    f
}

fn cancelled() -> Future<u32> {
    let (f, _c) = pending();
    assert!(f.cancel());
    f
}

fn running() -> (Future<u32>, Completer<u32>) {
    let (f, c) = pending();
    assert!(c.set_running());
    (f, c)
}

// FutureTests (test_future.py)

#[test]
fn test_done_callback_with_result() {
    watchdog(|| {
        let got = Arc::new(Mutex::new(None));
        let (f, c) = pending();
        let g = got.clone();
        f.add_done_callback(move |f| *g.lock().unwrap() = Some(*f.result().unwrap()));
        c.set_result(5u32);
        assert_eq!(*got.lock().unwrap(), Some(5));
    });
}

#[test]
fn test_done_callback_with_exception() {
    watchdog(|| {
        let got = Arc::new(Mutex::new(None));
        let (f, c) = pending::<u32>();
        let g = got.clone();
        f.add_done_callback(move |f| *g.lock().unwrap() = f.exception().unwrap());
        c.set_error(FutureError::Failed("test".into()));
        assert_eq!(
            *got.lock().unwrap(),
            Some(FutureError::Failed("test".into()))
        );
    });
}

#[test]
fn test_done_callback_with_cancel() {
    watchdog(|| {
        let was_cancelled = Arc::new(Mutex::new(None));
        let (f, _c) = pending::<u32>();
        let w = was_cancelled.clone();
        f.add_done_callback(move |f| *w.lock().unwrap() = Some(f.cancelled()));
        assert!(f.cancel());
        assert_eq!(*was_cancelled.lock().unwrap(), Some(true));
    });
}

#[test]
fn test_done_callback_raises() {
    watchdog(|| {
        let raising_was_called = Arc::new(AtomicUsize::new(0));
        let fn_was_called = Arc::new(AtomicUsize::new(0));
        let (f, c) = pending::<u32>();
        let r = raising_was_called.clone();
        f.add_done_callback(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
            panic!("doh!");
        });
        let n = fn_was_called.clone();
        f.add_done_callback(move |_| {
            n.fetch_add(1, Ordering::SeqCst);
        });
        c.set_result(5);
        assert_eq!(raising_was_called.load(Ordering::SeqCst), 1);
        assert_eq!(fn_was_called.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn test_done_callback_already_successful() {
    watchdog(|| {
        let got = Arc::new(Mutex::new(None));
        let f = finished(5u32);
        let g = got.clone();
        f.add_done_callback(move |f| *g.lock().unwrap() = Some(*f.result().unwrap()));
        assert_eq!(*got.lock().unwrap(), Some(5));
    });
}

#[test]
fn test_done_callback_already_failed() {
    watchdog(|| {
        let got = Arc::new(Mutex::new(None));
        let f = failed("test");
        let g = got.clone();
        f.add_done_callback(move |f| *g.lock().unwrap() = f.exception().unwrap());
        assert_eq!(
            *got.lock().unwrap(),
            Some(FutureError::Failed("test".into()))
        );
    });
}

#[test]
fn test_done_callback_already_cancelled() {
    watchdog(|| {
        let got = Arc::new(Mutex::new(None));
        let f = cancelled();
        let g = got.clone();
        f.add_done_callback(move |f| *g.lock().unwrap() = Some(f.cancelled()));
        assert_eq!(*got.lock().unwrap(), Some(true));
    });
}

#[test]
fn test_repr() {
    watchdog(|| {
        assert!(format!("{:?}", pending::<u8>().0).contains("state=pending"));
        assert!(format!("{:?}", running().0).contains("state=running"));
        assert!(format!("{:?}", cancelled()).contains("state=cancelled"));
        assert!(format!("{:?}", failed("x")).contains("state=finished (failed)"));
        assert!(format!("{:?}", finished(4)).contains("state=finished"));
    });
}

#[test]
fn test_cancel() {
    watchdog(|| {
        let (f1, _c1) = pending::<u32>();
        let (f2, _c2) = running();
        let f4 = failed("x");
        let f5 = finished(5);
        assert!(f1.cancel());
        assert!(f1.cancelled());
        assert!(!f2.cancel());
        assert!(!f2.cancelled());
        let f3 = cancelled();
        assert!(f3.cancel());
        assert!(!f4.cancel());
        assert!(!f5.cancel());
    });
}

#[test]
fn test_cancelled_running_done() {
    watchdog(|| {
        let (p, _c) = pending::<u32>();
        let (r, _rc) = running();
        let (x, f, d) = (cancelled(), failed("e"), finished(1));
        assert_eq!(
            [
                p.cancelled(),
                r.cancelled(),
                x.cancelled(),
                f.cancelled(),
                d.cancelled()
            ],
            [false, false, true, false, false]
        );
        assert_eq!(
            [p.done(), r.done(), x.done(), f.done(), d.done()],
            [false, false, true, true, true]
        );
        assert_eq!(
            [
                p.running(),
                r.running(),
                x.running(),
                f.running(),
                d.running()
            ],
            [false, true, false, false, false]
        );
    });
}

#[test]
fn test_result_with_timeout() {
    watchdog(|| {
        let (p, _c) = pending::<u32>();
        assert_eq!(p.result_timeout(Duration::ZERO), Err(FutureError::Timeout));
        let (r, _rc) = running();
        assert_eq!(r.result_timeout(Duration::ZERO), Err(FutureError::Timeout));
        assert_eq!(
            cancelled().result_timeout(Duration::ZERO),
            Err(FutureError::Cancelled)
        );
        assert_eq!(
            failed("x").result_timeout(Duration::ZERO),
            Err(FutureError::Failed("x".into()))
        );
        assert_eq!(finished(42).result_timeout(Duration::ZERO), Ok(&42));
    });
}

#[test]
fn test_result_with_success() {
    watchdog(|| {
        let (f, c) = running();
        let t = std::thread::spawn(move || c.set_result(42));
        assert_eq!(f.result_timeout(Duration::from_secs(30)), Ok(&42));
        t.join().unwrap();
    });
}

#[test]
fn test_result_with_cancel() {
    watchdog(|| {
        let (f, _c) = pending::<u32>();
        let g = f.clone();
        let t = std::thread::spawn(move || g.cancel());
        assert_eq!(
            f.result_timeout(Duration::from_secs(30)),
            Err(FutureError::Cancelled)
        );
        assert!(t.join().unwrap());
    });
}

#[test]
fn test_exception_with_timeout() {
    watchdog(|| {
        let (p, _c) = pending::<u32>();
        assert_eq!(
            p.exception_timeout(Duration::ZERO),
            Err(FutureError::Timeout)
        );
        assert_eq!(
            cancelled().exception_timeout(Duration::ZERO),
            Err(FutureError::Cancelled)
        );
        assert_eq!(
            failed("x").exception_timeout(Duration::ZERO),
            Ok(Some(FutureError::Failed("x".into())))
        );
        assert_eq!(finished(1).exception_timeout(Duration::ZERO), Ok(None));
    });
}

#[test]
fn test_exception_with_success() {
    watchdog(|| {
        let (f, c) = running();
        let t = std::thread::spawn(move || c.set_error(FutureError::Failed("fail".into())));
        assert_eq!(
            f.exception_timeout(Duration::from_secs(30)),
            Ok(Some(FutureError::Failed("fail".into())))
        );
        t.join().unwrap();
    });
}

#[test]
fn test_multiple_set_result_cannot_compile() {
    // CPython raises InvalidStateError on a second set_result; here
    // `set_result` consumes the Completer, so a second call does not compile
    // (a `compile_fail` doctest on `Completer::set_result` checks it).
    let (_f, c) = pending();
    c.set_result(1u8);
}

// WaitTests (test_wait.py)

#[test]
fn test_first_completed() {
    watchdog(|| {
        let (f1, c1) = pending::<u32>();
        let (f2, _c2) = pending::<u32>();
        let t = std::thread::spawn(move || c1.set_result(21));
        let r = wait([&f1, &f2], ReturnWhen::FirstCompleted);
        t.join().unwrap();
        assert_eq!(r.done.len(), 1);
        assert!(r.done[0].same(&f1));
        assert!(r.not_done[0].same(&f2));
    });
}

#[test]
fn test_first_completed_some_already_completed() {
    watchdog(|| {
        let (p, _c) = pending::<u32>();
        let x = cancelled();
        let d = finished(1);
        let r = wait([&x, &d, &p], ReturnWhen::FirstCompleted);
        assert_eq!(r.done.len(), 2);
        assert_eq!(r.not_done.len(), 1);
    });
}

#[test]
fn test_first_exception() {
    watchdog(|| {
        let (f1, c1) = pending::<u32>();
        let (f2, c2) = pending::<u32>();
        let (f3, _c3) = pending::<u32>();
        let t = std::thread::spawn(move || {
            c1.set_result(1);
            c2.set_error(FutureError::Failed("boom".into()));
        });
        let r = wait([&f1, &f2, &f3], ReturnWhen::FirstException);
        t.join().unwrap();
        assert_eq!(r.done.len(), 2);
        assert!(r.not_done[0].same(&f3));
    });
}

#[test]
fn test_first_exception_some_already_complete() {
    watchdog(|| {
        let (p, _c) = pending::<u32>();
        let e = failed("x");
        let x = cancelled();
        let d = finished(1);
        let r = wait([&d, &x, &e, &p], ReturnWhen::FirstException);
        assert_eq!(r.done.len(), 3);
        assert_eq!(r.not_done.len(), 1);
    });
}

#[test]
fn test_first_exception_one_already_failed() {
    watchdog(|| {
        let e = failed("x");
        let (p, _c) = pending::<u32>();
        let r = wait([&e, &p], ReturnWhen::FirstException);
        assert!(r.done[0].same(&e));
        assert!(r.not_done[0].same(&p));
    });
}

#[test]
fn test_all_completed() {
    watchdog(|| {
        let (a, b, c, d) = (finished(1), failed("x"), cancelled(), finished(2));
        let r = wait([&a, &b, &c, &d], ReturnWhen::AllCompleted);
        assert_eq!(r.done.len(), 4);
        assert!(r.not_done.is_empty());
    });
}

#[test]
fn test_timeout() {
    watchdog(|| {
        let (a, b) = (finished(1), failed("x"));
        let (p, _c) = pending::<u32>();
        let t0 = Instant::now();
        let r = wait_timeout(
            [&a, &b, &p],
            Duration::from_millis(60),
            ReturnWhen::AllCompleted,
        );
        assert!(t0.elapsed() >= Duration::from_millis(60));
        assert_eq!(r.done.len(), 2);
        assert!(r.not_done[0].same(&p));
    });
}

// AsCompletedTests (test_as_completed.py)

#[test]
fn test_no_timeout() {
    watchdog(|| {
        let (f1, c1) = pending::<u32>();
        let (f2, c2) = pending::<u32>();
        let (a, b) = (finished(1), failed("x"));
        let t = std::thread::spawn(move || {
            c1.set_result(1);
            c2.set_result(2);
        });
        let n = as_completed([&a, &b, &f1, &f2]).map(Result::unwrap).count();
        t.join().unwrap();
        assert_eq!(n, 4);
    });
}

#[test]
fn test_future_times_out() {
    // CPython's test_zero_timeout / test_future_times_out: the already
    // finished ones come out, then the timeout error.
    watchdog(|| {
        let (a, b, c) = (finished(1), failed("x"), cancelled());
        let (p, _cp) = pending::<u32>();
        let got: Vec<_> = as_completed_timeout([&a, &b, &c, &p], Duration::ZERO).collect();
        assert_eq!(got.len(), 4);
        assert!(got[..3].iter().all(Result::is_ok));
        assert_eq!(
            got[3],
            Err(FutureError::Unfinished {
                unfinished: 1,
                total: 4
            })
        );
    });
}

#[test]
fn test_duplicate_futures() {
    watchdog(|| {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(2)
            .build()
            .unwrap();
        let f = pool.submit(|| 1).unwrap();
        let all = [&f, &f, &f, &f];
        assert_eq!(as_completed(all).count(), 1);
    });
}

// ThreadPoolExecutorTest / ExecutorShutdownTest / InitializerMixin

#[test]
fn test_map_submits_without_iteration() {
    watchdog(|| {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(2)
            .build()
            .unwrap();
        let finished = Arc::new(Mutex::new(Vec::new()));
        let f2 = finished.clone();
        let it = pool
            .map(move |i: u32| f2.lock().unwrap().push(i), 0..10)
            .unwrap();
        pool.shutdown(true, false);
        let mut got = finished.lock().unwrap().clone();
        got.sort_unstable();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
        drop(it);
    });
}

#[test]
fn test_map_exception() {
    watchdog(|| {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(2)
            .build()
            .unwrap();
        let mut it = pool
            .map(
                |(a, b): (u32, u32)| (a.checked_div(b)).expect("division by zero"),
                [(2, 1), (2, 0), (4, 2)],
            )
            .unwrap();
        assert_eq!(it.next(), Some(Ok(2)));
        assert_eq!(
            it.next(),
            Some(Err(FutureError::Panicked("division by zero".into())))
        );
        assert_eq!(it.next(), Some(Ok(2)));
    });
}

#[test]
fn test_run_after_shutdown() {
    watchdog(|| {
        let pool = ThreadPoolExecutor::new();
        pool.shutdown(true, false);
        assert!(pool.submit(|| 2u32.pow(3)).is_err());
    });
}

#[test]
fn test_cancel_futures_wait_false() {
    watchdog(|| {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(1)
            .build()
            .unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel();
        let first = pool
            .submit(move || {
                started_tx.send(()).unwrap();
                rx.recv().unwrap();
            })
            .unwrap();
        started_rx.recv().unwrap();
        let fs: Vec<_> = (0..50).map(|i| pool.submit(move || i).unwrap()).collect();
        pool.shutdown(false, true);
        assert!(fs.iter().all(|f| f.cancelled()));
        tx.send(()).unwrap();
        first.result().unwrap();
    });
}

#[test]
fn test_thread_names_assigned() {
    watchdog(|| {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(5)
            .thread_name_prefix("SpecialPool")
            .build()
            .unwrap();
        let names: Vec<String> = pool
            .map(
                |_: u8| std::thread::current().name().unwrap().to_string(),
                0..5,
            )
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for n in names {
            let (prefix, index) = n.rsplit_once('_').unwrap();
            assert_eq!(prefix, "SpecialPool");
            assert!(index.parse::<usize>().unwrap() < 5);
        }
    });
}

#[test]
fn test_default_workers() {
    watchdog(|| {
        assert_eq!(
            ThreadPoolExecutor::new().max_workers(),
            threadkit::cpu_count()
        );
        assert_eq!(
            threadkit::io_bound_workers(),
            (threadkit::cpu_count() + 4).min(32)
        );
    });
}

#[test]
fn test_initializer() {
    watchdog(|| {
        let initialized = Arc::new(AtomicUsize::new(0));
        let i = initialized.clone();
        let pool = ThreadPoolExecutor::builder()
            .max_workers(5)
            .initializer(move || {
                i.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let seen = initialized.clone();
        let all_saw_init = pool
            .map(move |_: u8| seen.load(Ordering::SeqCst) >= 1, 0..10)
            .unwrap()
            .all(|r| r.unwrap());
        assert!(all_saw_init);
    });
}

#[test]
fn test_failing_initializer() {
    watchdog(|| {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(5)
            .initializer(|| panic!("error in initializer"))
            .build()
            .unwrap();
        let fs: Vec<_> = (0..10)
            .filter_map(|i| pool.submit(move || i).ok())
            .collect();
        for f in fs {
            assert!(matches!(f.result(), Err(FutureError::BrokenPool(_))));
        }
        // The pool stays broken.
        let t0 = Instant::now();
        while pool.submit(|| 0).is_ok() {
            assert!(t0.elapsed() < Duration::from_secs(30));
            std::thread::yield_now();
        }
    });
}
