//! Integration tests of `concurrent.futures`: ThreadPoolExecutor, Future,
//! as_completed, wait.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{
    ExecutorError, Future, FutureError, ReturnWhen, ThreadPoolExecutor, as_completed,
    as_completed_timeout, wait, wait_timeout,
};

fn pool(n: usize) -> ThreadPoolExecutor {
    ThreadPoolExecutor::builder()
        .max_workers(n)
        .build()
        .unwrap()
}

/// A gate tasks block on until the test opens it (no sleeps involved).
#[derive(Clone)]
struct Gate(Arc<(Mutex<bool>, std::sync::Condvar)>);

impl Gate {
    fn new() -> Gate {
        Gate(Arc::new((Mutex::new(false), std::sync::Condvar::new())))
    }
    fn wait(&self) {
        let mut open = self.0.0.lock().unwrap();
        while !*open {
            open = self.0.1.wait(open).unwrap();
        }
    }
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }
}

/// Occupies the single worker of `p` until the returned gate opens; returns
/// once the task is running.
fn occupy(p: &ThreadPoolExecutor) -> (Gate, Future<()>) {
    let gate = Gate::new();
    let (tx, rx) = mpsc::channel();
    let g = gate.clone();
    let f = p
        .submit(move || {
            tx.send(()).unwrap();
            g.wait();
        })
        .unwrap();
    rx.recv().unwrap();
    (gate, f)
}

#[test]
fn submit_and_result() {
    watchdog(|| {
        let p = pool(2);
        let f = p.submit(|| 21 * 2).unwrap();
        assert_eq!(*f.result().unwrap(), 42);
        assert!(f.done() && !f.running() && !f.cancelled());
        assert_eq!(f.exception(), Ok(None));
        assert_eq!(f.into_result().unwrap(), 42);
    });
}

#[test]
fn panicking_task_fails_its_future_and_worker_survives() {
    watchdog(|| {
        let p = pool(1);
        let bad = p.submit(|| -> u8 { panic!("exploded {}", 7) }).unwrap();
        assert_eq!(
            bad.result(),
            Err(FutureError::Panicked("exploded 7".into()))
        );
        assert_eq!(
            bad.exception(),
            Ok(Some(FutureError::Panicked("exploded 7".into())))
        );
        let good = p.submit(|| 1).unwrap();
        assert_eq!(*good.result().unwrap(), 1);
        assert_eq!(p.num_threads(), 1);
    });
}

#[test]
fn cancel_only_while_pending() {
    watchdog(|| {
        let p = pool(1);
        let (gate, running) = occupy(&p);
        let queued = p.submit(|| 5).unwrap();
        assert!(running.running());
        assert!(!running.cancel(), "a running task cannot be cancelled");
        assert!(!queued.running() && !queued.done());
        assert!(queued.cancel());
        assert!(queued.cancel(), "cancel again is still true");
        assert!(queued.cancelled() && queued.done());
        assert_eq!(queued.result(), Err(FutureError::Cancelled));
        assert_eq!(queued.exception(), Err(FutureError::Cancelled));
        gate.open();
        running.result().unwrap();
        assert!(!running.cancel(), "a finished task cannot be cancelled");
        assert!(!running.cancelled());
    });
}

#[test]
fn cancelled_task_never_runs() {
    watchdog(|| {
        let p = pool(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let (gate, first) = occupy(&p);
        let r = ran.clone();
        let f = p.submit(move || r.fetch_add(1, Ordering::SeqCst)).unwrap();
        assert!(f.cancel());
        gate.open();
        first.result().unwrap();
        // A later task on the same single worker runs after the cancelled one.
        p.submit(|| ()).unwrap().result().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn result_timeout_never_returns_early() {
    watchdog(|| {
        let (f, _c) = Future::<u8>::pending();
        for ms in [1u64, 20, 60] {
            let d = Duration::from_millis(ms);
            let t0 = Instant::now();
            assert_eq!(f.result_timeout(d), Err(FutureError::Timeout));
            assert!(
                t0.elapsed() >= d,
                "returned after {:?} < {d:?}",
                t0.elapsed()
            );
        }
        assert_eq!(f.try_result(), Err(FutureError::Timeout));
        assert_eq!(f.result_timeout(Duration::ZERO), Err(FutureError::Timeout));
        assert_eq!(
            f.exception_timeout(Duration::from_millis(5)),
            Err(FutureError::Timeout)
        );
    });
}

#[test]
fn result_wakes_when_completed_from_another_thread() {
    watchdog(|| {
        let (f, c) = Future::pending();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let f = f.clone();
                std::thread::spawn(move || *f.result_timeout(Duration::from_secs(30)).unwrap())
            })
            .collect();
        assert!(c.set_running());
        assert!(f.running());
        c.set_result(9u32);
        for w in waiters {
            assert_eq!(w.join().unwrap(), 9);
        }
    });
}

#[test]
fn callbacks_run_once_in_order_and_survive_panics() {
    watchdog(|| {
        let (f, c) = Future::pending();
        let log = Arc::new(Mutex::new(Vec::new()));
        for i in 0..3 {
            let log = log.clone();
            f.add_done_callback(move |f: &Future<u32>| {
                if i == 1 {
                    panic!("callback {i} fails");
                }
                log.lock().unwrap().push((i, *f.result().unwrap()));
            });
        }
        assert!(log.lock().unwrap().is_empty());
        c.set_result(7);
        assert_eq!(*log.lock().unwrap(), vec![(0, 7), (2, 7)]);
        // Already done: runs at once, on this thread.
        let me = std::thread::current().id();
        let l2 = log.clone();
        f.add_done_callback(move |_| {
            assert_eq!(std::thread::current().id(), me);
            l2.lock().unwrap().push((3, 0));
        });
        assert_eq!(log.lock().unwrap().len(), 3);
    });
}

#[test]
fn callback_sees_cancellation() {
    watchdog(|| {
        let (f, _c) = Future::<u8>::pending();
        let (tx, rx) = mpsc::channel();
        f.add_done_callback(move |f| tx.send(f.cancelled()).unwrap());
        assert!(f.cancel());
        assert!(rx.recv().unwrap());
    });
}

#[test]
fn callbacks_from_pool_tasks() {
    watchdog(|| {
        let p = pool(2);
        let hits = Arc::new(AtomicUsize::new(0));
        let fs: Vec<_> = (0..200)
            .map(|i| {
                let f = p.submit(move || i).unwrap();
                let h = hits.clone();
                f.add_done_callback(move |_| {
                    h.fetch_add(1, Ordering::SeqCst);
                });
                f
            })
            .collect();
        for f in &fs {
            f.result().unwrap();
        }
        drop(p);
        assert_eq!(hits.load(Ordering::SeqCst), 200);
    });
}

#[test]
fn into_result_with_clones_alive_is_an_error() {
    watchdog(|| {
        let (f, c) = Future::pending();
        let g = f.clone();
        c.set_result(String::from("x"));
        assert_eq!(f.into_result(), Err(FutureError::Shared));
        assert_eq!(g.result().unwrap(), "x");
        assert_eq!(g.into_result().unwrap(), "x");
    });
}

#[test]
fn dropped_completer_breaks_the_future() {
    watchdog(|| {
        let (f, c) = Future::<u8>::pending();
        drop(c);
        assert!(matches!(f.result(), Err(FutureError::BrokenPool(_))));
    });
}

#[test]
fn submit_after_shutdown_is_an_error() {
    watchdog(|| {
        let p = pool(2);
        p.shutdown(true, false);
        assert_eq!(p.submit(|| 1).unwrap_err(), ExecutorError::ShutDown);
        assert_eq!(p.execute(|| ()).unwrap_err(), ExecutorError::ShutDown);
        assert!(p.map(|x: u8| x, [1]).is_err());
        p.shutdown(true, true); // again: harmless
        assert_eq!(
            ExecutorError::ShutDown.to_string(),
            "cannot schedule new tasks after the executor was shut down"
        );
    });
}

#[test]
fn shutdown_runs_queued_work_unless_cancelled() {
    watchdog(|| {
        // Without cancel_futures: queued work still runs.
        let p = pool(1);
        let (gate, first) = occupy(&p);
        let queued: Vec<_> = (0..10).map(|i| p.submit(move || i).unwrap()).collect();
        let opener = {
            let gate = gate.clone();
            std::thread::spawn(move || gate.open())
        };
        p.shutdown(true, false);
        opener.join().unwrap();
        first.result().unwrap();
        for (i, f) in queued.iter().enumerate() {
            assert_eq!(*f.result().unwrap(), i);
        }

        // With cancel_futures: everything not started is cancelled.
        let p = pool(1);
        let (gate, first) = occupy(&p);
        let queued: Vec<_> = (0..10).map(|i| p.submit(move || i).unwrap()).collect();
        p.shutdown(false, true);
        for f in &queued {
            assert!(f.cancelled());
        }
        gate.open();
        first.result().unwrap();
        drop(p);
    });
}

#[test]
fn dropping_the_executor_waits_for_queued_work() {
    watchdog(|| {
        let n = Arc::new(AtomicUsize::new(0));
        {
            let p = pool(2);
            for _ in 0..1000 {
                let n = n.clone();
                p.execute(move || {
                    n.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap();
            }
        }
        assert_eq!(n.load(Ordering::SeqCst), 1000);
    });
}

#[test]
fn zero_workers_is_an_error() {
    watchdog(|| {
        assert_eq!(
            ThreadPoolExecutor::builder()
                .max_workers(0)
                .build()
                .unwrap_err(),
            ExecutorError::InvalidWorkers
        );
        assert_eq!(
            ThreadPoolExecutor::new().max_workers(),
            threadkit::cpu_count()
        );
        assert!(threadkit::io_bound_workers() > threadkit::cpu_count().min(28));
    });
}

#[test]
fn thread_names_use_the_prefix() {
    watchdog(|| {
        let p = ThreadPoolExecutor::builder()
            .max_workers(3)
            .thread_name_prefix("SpecialPool")
            .build()
            .unwrap();
        let barrier = Arc::new(Barrier::new(3));
        let fs: Vec<_> = (0..3)
            .map(|_| {
                let b = barrier.clone();
                p.submit(move || {
                    b.wait();
                    std::thread::current().name().unwrap().to_string()
                })
                .unwrap()
            })
            .collect();
        let names: HashSet<String> = fs.into_iter().map(|f| f.into_result().unwrap()).collect();
        let want: HashSet<String> = (0..3).map(|i| format!("SpecialPool_{i}")).collect();
        assert_eq!(names, want);

        // Default prefixes are unique per executor.
        let a = pool(1);
        let b = pool(1);
        assert_ne!(a.thread_name_prefix(), b.thread_name_prefix());
        assert!(a.thread_name_prefix().starts_with("ThreadPoolExecutor-"));
        let name = a
            .submit(|| std::thread::current().name().unwrap().to_string())
            .unwrap();
        assert_eq!(
            name.into_result().unwrap(),
            format!("{}_0", a.thread_name_prefix())
        );
    });
}

#[test]
fn saturation_starts_exactly_max_workers() {
    watchdog(|| {
        let p = pool(4);
        let gate = Gate::new();
        let fs: Vec<_> = (0..60)
            .map(|_| {
                let g = gate.clone();
                p.submit(move || g.wait()).unwrap()
            })
            .collect();
        assert_eq!(p.num_threads(), 4);
        gate.open();
        for f in &fs {
            f.result().unwrap();
        }
        assert_eq!(p.num_threads(), 4);
    });
}

#[test]
fn idle_worker_is_reused() {
    watchdog(|| {
        let p = pool(8);
        for _ in 0..3 {
            assert_eq!(*p.submit(|| 21 * 2).unwrap().result().unwrap(), 42);
        }
        assert_eq!(p.num_threads(), 1);
    });
}

#[test]
fn initializer_runs_once_per_worker_before_tasks() {
    watchdog(|| {
        let inits = Arc::new(Mutex::new(Vec::new()));
        let i2 = inits.clone();
        let p = ThreadPoolExecutor::builder()
            .max_workers(3)
            .initializer(move || {
                i2.lock()
                    .unwrap()
                    .push(std::thread::current().name().unwrap().to_string())
            })
            .build()
            .unwrap();
        let barrier = Arc::new(Barrier::new(3));
        let fs: Vec<_> = (0..3)
            .map(|_| {
                let b = barrier.clone();
                let inits = inits.clone();
                p.submit(move || {
                    let me = std::thread::current().name().unwrap().to_string();
                    assert!(inits.lock().unwrap().contains(&me));
                    b.wait();
                })
                .unwrap()
            })
            .collect();
        for f in &fs {
            f.result().unwrap();
        }
        for _ in 0..20 {
            p.submit(|| ()).unwrap().result().unwrap();
        }
        drop(p);
        assert_eq!(inits.lock().unwrap().len(), 3);
    });
}

#[test]
fn failing_initializer_breaks_the_pool() {
    watchdog(|| {
        let p = ThreadPoolExecutor::builder()
            .max_workers(2)
            .try_initializer(|| Err::<(), _>("cannot open the database"))
            .build()
            .unwrap();
        let fs: Vec<_> = (0..10).map(|i| p.submit(move || i)).collect();
        let mut broken = 0;
        for f in fs {
            match f {
                Ok(f) => match f.result() {
                    Err(FutureError::BrokenPool(m)) => {
                        assert!(m.contains("cannot open the database"), "{m}");
                        broken += 1;
                    }
                    other => panic!("unexpected {other:?}"),
                },
                Err(ExecutorError::Broken(_)) => broken += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(broken, 10);
        assert!(matches!(p.submit(|| 1), Err(ExecutorError::Broken(m)) if m.contains("database")));
        assert!(p.broken().is_some());

        // A panicking initializer breaks it too.
        let p = ThreadPoolExecutor::builder()
            .max_workers(1)
            .initializer(|| panic!("init panicked"))
            .build()
            .unwrap();
        let f = p.submit(|| 1).unwrap();
        assert!(
            matches!(f.result(), Err(FutureError::BrokenPool(m)) if m.contains("init panicked"))
        );
    });
}

#[test]
fn map_yields_in_input_order() {
    watchdog(|| {
        let p = pool(4);
        let out: Vec<u64> = p
            .map(
                |x: u64| {
                    // Later items finish first.
                    std::thread::sleep(Duration::from_micros(200 * (20 - x)));
                    x * 2
                },
                0..20,
            )
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(out, (0..20).map(|x| x * 2).collect::<Vec<_>>());
        let errs: Vec<_> = p
            .map(|x: u8| if x == 1 { panic!("one") } else { x }, [0, 1, 2])
            .unwrap()
            .collect();
        assert_eq!(
            errs,
            vec![Ok(0), Err(FutureError::Panicked("one".into())), Ok(2)]
        );
    });
}

#[test]
fn map_timeout_counts_from_the_call_and_cancels_the_rest() {
    watchdog(|| {
        let p = pool(1);
        let gate = Gate::new();
        let started = Arc::new(AtomicUsize::new(0));
        let (g, s) = (gate.clone(), started.clone());
        let t0 = Instant::now();
        let timeout = Duration::from_millis(50);
        let mut it = p
            .map_with(
                move |x: u32| {
                    s.fetch_add(1, Ordering::SeqCst);
                    if x == 1 {
                        g.wait();
                    }
                    x
                },
                0..10,
                Some(timeout),
                None,
            )
            .unwrap();
        assert_eq!(it.next(), Some(Ok(0)));
        assert_eq!(it.next(), Some(Err(FutureError::Timeout)));
        assert!(t0.elapsed() >= timeout);
        assert_eq!(it.next(), None);
        gate.open();
        drop(it);
        p.shutdown(true, false);
        assert_eq!(
            started.load(Ordering::SeqCst),
            2,
            "items after the timeout were cancelled"
        );
    });
}

#[test]
fn map_with_buffer_handles_endless_input() {
    watchdog(|| {
        let p = pool(2);
        let submitted = Arc::new(AtomicUsize::new(0));
        let s = submitted.clone();
        let input = (0u64..).inspect(move |_| {
            s.fetch_add(1, Ordering::SeqCst);
        });
        let it = p.map_with(|x: u64| x + 1, input, None, Some(4)).unwrap();
        let first: Vec<u64> = it.take(100).map(Result::unwrap).collect();
        assert_eq!(
            p.map_with(|x: u64| x, 0..1, None, Some(0)).unwrap_err(),
            ExecutorError::InvalidBuffer
        );
        assert_eq!(first, (1..=100).collect::<Vec<_>>());
        assert!(submitted.load(Ordering::SeqCst) <= 104);
    });
}

#[test]
fn dropping_map_cancels_what_has_not_started() {
    watchdog(|| {
        let p = pool(1);
        let (gate, first) = occupy(&p);
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let it = p
            .map(
                move |_: u32| {
                    r.fetch_add(1, Ordering::SeqCst);
                },
                0..50,
            )
            .unwrap();
        drop(it);
        gate.open();
        first.result().unwrap();
        p.shutdown(true, false);
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn as_completed_yields_each_once_done_first() {
    watchdog(|| {
        let p = pool(2);
        let (done_a, ca) = Future::pending();
        ca.set_result(100u32);
        let gate = Gate::new();
        let g = gate.clone();
        let slow = p
            .submit(move || {
                g.wait();
                1u32
            })
            .unwrap();
        let fast = p.submit(|| 2u32).unwrap();
        fast.result().unwrap();
        let list = [&slow, &done_a, &fast, &done_a, &slow];
        let mut it = as_completed(list);
        let first = it.next().unwrap().unwrap();
        let second = it.next().unwrap().unwrap();
        let firsts = [first, second];
        assert!(firsts.iter().any(|f| f.same(&done_a)));
        assert!(firsts.iter().any(|f| f.same(&fast)));
        gate.open();
        let third = it.next().unwrap().unwrap();
        assert!(third.same(&slow));
        assert!(it.next().is_none());
    });
}

#[test]
fn as_completed_timeout_reports_unfinished() {
    watchdog(|| {
        let (a, ca) = Future::pending();
        let (b, _cb) = Future::<u8>::pending();
        let (c, _cc) = Future::<u8>::pending();
        ca.set_result(1u8);
        let t0 = Instant::now();
        let d = Duration::from_millis(40);
        let got: Vec<_> = as_completed_timeout([&a, &b, &c, &b], d).collect();
        assert!(t0.elapsed() >= d);
        assert_eq!(got.len(), 2);
        assert!(got[0].as_ref().unwrap().same(&a));
        let err = got[1].as_ref().unwrap_err();
        assert_eq!(
            err,
            &FutureError::Unfinished {
                unfinished: 2,
                total: 3
            }
        );
        assert_eq!(
            err.to_string(),
            "2 (of 3) futures unfinished when the timeout expired"
        );
    });
}

#[test]
fn as_completed_many_from_a_pool() {
    watchdog(|| {
        let p = pool(2);
        let fs: Vec<_> = (0..2000u64).map(|i| p.submit(move || i).unwrap()).collect();
        let mut seen = HashSet::new();
        for f in as_completed(&fs) {
            assert!(seen.insert(*f.unwrap().result().unwrap()));
        }
        assert_eq!(seen.len(), 2000);
    });
}

#[test]
fn wait_return_when() {
    watchdog(|| {
        let p = pool(2);
        let gate = Gate::new();
        let g = gate.clone();
        let blocked = p
            .submit(move || {
                g.wait();
                0u8
            })
            .unwrap();
        let ok = p.submit(|| 1u8).unwrap();
        let r = wait([&blocked, &ok], ReturnWhen::FirstCompleted);
        assert_eq!(r.done.len(), 1);
        assert!(r.done[0].same(&ok));
        assert!(r.not_done[0].same(&blocked));

        let bad = p.submit(|| -> u8 { panic!("x") }).unwrap();
        let r = wait([&blocked, &bad, &ok], ReturnWhen::FirstException);
        assert!(r.done.iter().any(|f| f.same(&bad)));
        assert_eq!(r.not_done.len(), 1);

        let t0 = Instant::now();
        let d = Duration::from_millis(30);
        let r = wait_timeout([&blocked, &ok], d, ReturnWhen::AllCompleted);
        assert!(t0.elapsed() >= d);
        assert_eq!((r.done.len(), r.not_done.len()), (1, 1));

        gate.open();
        let r = wait([&blocked, &ok, &ok], ReturnWhen::AllCompleted);
        assert_eq!((r.done.len(), r.not_done.len()), (2, 0));
    });
}

#[test]
fn wait_first_exception_without_failures_waits_for_all() {
    watchdog(|| {
        let (a, ca) = Future::pending();
        let (b, cb) = Future::pending();
        let (c, _cc) = Future::<u8>::pending();
        assert!(c.cancel());
        let t = std::thread::spawn(move || {
            ca.set_result(1u8);
            cb.set_result(2u8);
        });
        let r = wait([&a, &b, &c], ReturnWhen::FirstException);
        t.join().unwrap();
        assert_eq!(r.done.len(), 3);
        let r = wait_timeout([&a], Duration::ZERO, ReturnWhen::AllCompleted);
        assert_eq!(r.done.len(), 1);
    });
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unparker(std::thread::Thread);
    impl Wake for Unparker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unparker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn futures_can_be_awaited() {
    watchdog(|| {
        let p = pool(2);
        let fs: Vec<_> = (0..50u64).map(|i| p.submit(move || i).unwrap()).collect();
        let total = block_on(async {
            let mut t = 0;
            for f in fs {
                t += f.await.unwrap();
            }
            t
        });
        assert_eq!(total, 1225);
        let (f, c) = Future::pending();
        let t = std::thread::spawn(move || block_on(f.into_future_helper()));
        c.set_result(5u8);
        assert_eq!(t.join().unwrap(), Ok(5));
        let bad = p.submit(|| -> u8 { panic!("async boom") }).unwrap();
        assert_eq!(
            block_on(async { bad.await }),
            Err(FutureError::Panicked("async boom".into()))
        );
    });
}

trait IntoFutureHelper<T> {
    fn into_future_helper(self) -> threadkit::Awaiting<T>;
}
impl<T: Send + 'static> IntoFutureHelper<T> for Future<T> {
    fn into_future_helper(self) -> threadkit::Awaiting<T> {
        std::future::IntoFuture::into_future(self)
    }
}

#[test]
fn execute_reports_panics_and_goes_on() {
    watchdog(|| {
        let p = pool(1);
        p.execute(|| panic!("fire-and-forget failure")).unwrap();
        assert_eq!(*p.submit(|| 3).unwrap().result().unwrap(), 3);
    });
}

#[test]
fn a_task_waiting_on_a_future_behind_it_times_out_instead_of_hanging() {
    watchdog(|| {
        let p = Arc::new(pool(1));
        let p2 = p.clone();
        let outer = p
            .submit(move || {
                let inner = p2.submit(|| 1).unwrap();
                inner.result_timeout(Duration::from_millis(50)).copied()
            })
            .unwrap();
        assert_eq!(*outer.result().unwrap(), Err(FutureError::Timeout));
    });
}

#[test]
fn workers_are_registered_threads() {
    watchdog(|| {
        let p = ThreadPoolExecutor::builder()
            .max_workers(1)
            .thread_name_prefix("Registered")
            .build()
            .unwrap();
        let me = p
            .submit(|| {
                let t = threadkit::current_thread();
                (t.name(), t.daemon())
            })
            .unwrap();
        assert_eq!(
            me.into_result().unwrap(),
            ("Registered_0".to_string(), true)
        );
        assert!(
            threadkit::enumerate()
                .iter()
                .any(|t| t.name() == "Registered_0")
        );
        p.shutdown(true, false);
        assert!(
            !threadkit::enumerate()
                .iter()
                .any(|t| t.name() == "Registered_0")
        );
    });
}

#[test]
fn completer_cancel_then_completion_is_ignored() {
    watchdog(|| {
        let (f, c) = Future::<u8>::pending();
        assert!(!c.cancelled());
        assert!(c.cancel());
        assert!(c.cancelled() && f.cancelled());
        assert!(!c.set_running(), "a cancelled task must not run");
        c.set_result(1);
        assert_eq!(f.result(), Err(FutureError::Cancelled));

        let (f, c) = Future::<u8>::pending();
        assert!(c.set_running());
        assert!(!c.cancel(), "running: too late to cancel");
        c.set_result(2);
        assert_eq!(f.into_result(), Ok(2));
    });
}

#[test]
fn wait_on_many_futures() {
    watchdog(|| {
        let p = pool(2);
        let gate = Gate::new();
        let fs: Vec<_> = (0..50_000u32)
            .map(|i| {
                let g = gate.clone();
                p.submit(move || {
                    if i == 0 {
                        g.wait();
                    }
                    if i == 40_000 {
                        panic!("one failure");
                    }
                    i
                })
                .unwrap()
            })
            .collect();
        let r = wait(&fs, ReturnWhen::FirstException);
        assert!(r.done.iter().any(|f| f.failed_for_test()));
        assert!(r.not_done.iter().any(|f| f.same(&fs[0])));
        gate.open();
        let r = wait(&fs, ReturnWhen::AllCompleted);
        assert_eq!((r.done.len(), r.not_done.len()), (50_000, 0));
    });
}

trait FailedForTest {
    fn failed_for_test(&self) -> bool;
}
impl<T> FailedForTest for Future<T> {
    fn failed_for_test(&self) -> bool {
        matches!(self.try_exception(), Ok(Some(_)))
    }
}

#[test]
fn into_result_waits_for_a_running_callback_instead_of_reporting_a_clone() {
    common::watchdog(|| {
        let (f, c) = threadkit::Future::<u32>::pending();
        let entered = std::sync::Arc::new(threadkit::Event::new());
        let release = std::sync::Arc::new(threadkit::Event::new());
        {
            let (entered, release) = (entered.clone(), release.clone());
            // The callback holds a handle to the future while it runs.
            f.add_done_callback(move |_| {
                entered.set();
                release.wait();
            });
        }
        let finisher = std::thread::spawn(move || {
            c.set_running();
            c.set_result(7);
        });
        entered.wait();
        let releaser = {
            let release = release.clone();
            std::thread::spawn(move || {
                // Simulated work inside the callback; correctness does not
                // depend on it: into_result must succeed in either order.
                std::thread::sleep(std::time::Duration::from_millis(20));
                release.set();
            })
        };
        assert_eq!(f.into_result().unwrap(), 7);
        finisher.join().unwrap();
        releaser.join().unwrap();
    });
}
