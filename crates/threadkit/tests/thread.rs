//! Threads: start/join, names, errors, panics and hooks, module functions.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{
    Builder, Run, Thread, ThreadError, active_count, current_thread, enumerate, get_ident,
    get_native_id, main_thread,
};

/// Runs this test binary again with only `test` selected and `env` set;
/// returns (success, stdout, stderr).
fn child(test: &str, env: &str) -> (bool, String, String) {
    let out = Command::new(std::env::current_exe().expect("test binary path"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(env, "1")
        .output()
        .expect("re-run the test binary");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn is_child(env: &str) -> bool {
    std::env::var_os(env).is_some()
}

#[test]
fn closure_value_comes_back_from_join() {
    watchdog(|| {
        let order = 21;
        let t = Thread::new(move || order * 2);
        t.start().unwrap();
        assert_eq!(t.join().unwrap(), 42);
    });
}

struct Fibonacci {
    n: usize,
}

impl Run for Fibonacci {
    type Output = u64;
    fn run(self) -> u64 {
        let mut fib = vec![0u64; self.n + 1];
        fib[1] = 1;
        for i in 2..=self.n {
            fib[i] = fib[i - 1] + fib[i - 2];
        }
        fib[self.n]
    }
}

#[test]
fn run_trait_type_is_a_thread_body() {
    watchdog(|| {
        let a = Thread::new(Fibonacci { n: 9 });
        let b = Thread::new(Fibonacci { n: 12 });
        a.start().unwrap();
        b.start().unwrap();
        assert_eq!(a.join().unwrap(), 34);
        assert_eq!(b.join().unwrap(), 144);
    });
}

fn number(name: &str) -> u64 {
    name.strip_prefix("Thread-")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not Thread-N"))
}

#[test]
fn default_names_are_unique_and_increasing() {
    watchdog(|| {
        let threads: Vec<Thread<()>> = (0..20).map(|_| Thread::new(|| ())).collect();
        let nums: Vec<u64> = threads.iter().map(|t| number(&t.name())).collect();
        for w in nums.windows(2) {
            assert!(w[0] < w[1], "{nums:?} not increasing");
        }
        // Names are given at creation and survive start.
        let before = threads[3].name();
        threads[3].start().unwrap();
        assert_eq!(threads[3].name(), before);
        threads.into_iter().nth(3).unwrap().join().unwrap();
    });
}

#[test]
fn builder_settings_and_renaming() {
    watchdog(|| {
        let t = Builder::new()
            .name("worker-a")
            .daemon(true)
            .stack_size(512 * 1024)
            .build(|| current_thread().name());
        assert_eq!(t.name(), "worker-a");
        assert!(t.daemon());
        t.set_name("worker-b");
        t.start().unwrap();
        assert_eq!(t.join().unwrap(), "worker-b");
        let t = Thread::spawn(|| ()).unwrap();
        t.set_name("renamed-after-start");
        assert_eq!(t.name(), "renamed-after-start");
        assert_eq!(t.handle().name(), "renamed-after-start");
        t.join().unwrap();
    });
}

#[cfg(target_os = "linux")]
#[test]
fn os_thread_name_follows_name_truncated() {
    watchdog(|| {
        let comm = || {
            let path = format!("/proc/self/task/{}/comm", get_native_id());
            std::fs::read_to_string(path)
                .unwrap()
                .trim_end()
                .to_string()
        };
        let t = Builder::new().name("short").spawn(comm).unwrap();
        assert_eq!(t.join().unwrap(), "short");
        let t = Builder::new()
            .name("a-rather-long-thread-name")
            .spawn(comm)
            .unwrap();
        // Linux keeps 15 bytes.
        assert_eq!(t.join().unwrap(), "a-rather-long-t");
        let t = Thread::new(comm);
        let name = t.name();
        t.start().unwrap();
        assert_eq!(t.join().unwrap(), name);
        // A NUL cannot reach the OS; the name is cut there, no panic.
        let t = Builder::new().name("nul\0after").spawn(comm).unwrap();
        assert_eq!(t.name(), "nul\0after");
        assert_eq!(t.join().unwrap(), "nul");
    });
}

#[test]
fn start_twice_is_an_error() {
    watchdog(|| {
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let t = Thread::new(move || r.fetch_add(1, Ordering::SeqCst));
        t.start().unwrap();
        assert!(matches!(t.start(), Err(ThreadError::AlreadyStarted)));
        t.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn concurrent_starts_run_the_body_once() {
    watchdog(|| {
        for _ in 0..50 {
            let runs = Arc::new(AtomicUsize::new(0));
            let r = runs.clone();
            let t = Arc::new(Thread::new(move || {
                r.fetch_add(1, Ordering::SeqCst);
            }));
            let gate = Arc::new(Barrier::new(4));
            let starters: Vec<_> = (0..4)
                .map(|_| {
                    let (t, gate) = (t.clone(), gate.clone());
                    std::thread::spawn(move || {
                        gate.wait();
                        t.start().is_ok()
                    })
                })
                .collect();
            let ok = starters
                .into_iter()
                .map(|s| s.join().unwrap())
                .filter(|&ok| ok)
                .count();
            assert_eq!(ok, 1);
            t.handle().join().unwrap();
            assert_eq!(runs.load(Ordering::SeqCst), 1);
        }
    });
}

#[test]
fn join_before_start_is_an_error() {
    watchdog(|| {
        let t = Thread::new(|| 1);
        assert!(matches!(t.handle().join(), Err(ThreadError::NotStarted)));
        assert!(matches!(
            t.join_timeout(Duration::from_secs(1)),
            Err(ThreadError::NotStarted)
        ));
        assert!(matches!(t.try_join(), Err(ThreadError::NotStarted)));
        assert!(!t.is_alive());
        assert!(matches!(t.join(), Err(ThreadError::NotStarted)));
    });
}

#[test]
fn a_thread_cannot_join_itself() {
    watchdog(|| {
        let t = Thread::spawn(|| {
            let me = current_thread();
            (
                matches!(me.join(), Err(ThreadError::JoinSelf)),
                matches!(
                    me.join_timeout(Duration::from_secs(1)),
                    Err(ThreadError::JoinSelf)
                ),
            )
        })
        .unwrap();
        assert_eq!(t.join().unwrap(), (true, true));

        // Through its own owning handle, sent to it.
        let (tx, rx) = mpsc::channel::<Thread<bool>>();
        let t = Thread::spawn(move || {
            let own = rx.recv().unwrap();
            matches!(own.join(), Err(ThreadError::JoinSelf))
        })
        .unwrap();
        let h = t.handle();
        tx.send(t).unwrap();
        h.join().unwrap();
    });
}

#[test]
fn daemon_flag_only_before_start() {
    watchdog(|| {
        let t = Thread::new(|| ());
        assert!(!t.daemon());
        t.set_daemon(true).unwrap();
        assert!(t.daemon());
        t.start().unwrap();
        assert!(matches!(
            t.set_daemon(false),
            Err(ThreadError::DaemonAfterStart)
        ));
        assert!(matches!(
            t.handle().set_daemon(false),
            Err(ThreadError::DaemonAfterStart)
        ));
        assert!(t.daemon());
        t.join().unwrap();
        assert!(matches!(
            main_thread().set_daemon(true),
            Err(ThreadError::DaemonAfterStart)
        ));
    });
}

#[test]
fn os_refusing_to_spawn_is_an_error_and_leaves_nothing() {
    watchdog(|| {
        let dropped = Arc::new(AtomicUsize::new(0));
        struct Probe(Arc<AtomicUsize>);
        impl Drop for Probe {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let p = Probe(dropped.clone());
        // More stack than any address space holds.
        let t = Builder::new()
            .name("never-spawned")
            .stack_size(1 << 50)
            .build(move || drop(p));
        match t.start() {
            Err(ThreadError::Spawn(e)) => assert!(!e.to_string().is_empty()),
            other => panic!("expected a spawn error, got {other:?}"),
        }
        // The body was dropped without running, no entry is left behind.
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
        assert!(enumerate().iter().all(|h| h.name() != "never-spawned"));
        assert!(!t.is_alive());
        assert!(matches!(t.start(), Err(ThreadError::AlreadyStarted)));
        assert!(matches!(t.handle().join(), Err(ThreadError::NotStarted)));
        assert!(matches!(t.join(), Err(ThreadError::NotStarted)));
    });
}

#[test]
fn panicking_thread_fails_its_join_with_the_message() {
    watchdog(|| {
        let t = Builder::new()
            .name("panicker")
            .spawn(|| -> u32 { panic!("order 7 failed") })
            .unwrap();
        let h = t.handle();
        match t.join() {
            Err(ThreadError::Panicked(m)) => assert_eq!(m, "order 7 failed"),
            other => panic!("expected Panicked, got {other:?}"),
        }
        // Every waiter is told.
        assert!(matches!(h.join(), Err(ThreadError::Panicked(m)) if m == "order 7 failed"));
        let t = Thread::spawn(|| std::panic::panic_any(17u8)).unwrap();
        assert!(
            matches!(t.join(), Err(ThreadError::Panicked(m)) if m == "<non-string panic payload>")
        );
    });
}

#[test]
fn default_hook_prints_exception_and_process_goes_on() {
    const ENV: &str = "TK_CHILD_DEFAULT_HOOK";
    if is_child(ENV) {
        let t = Builder::new()
            .name("boom-thread")
            .spawn(|| panic!("kaboom"))
            .unwrap();
        assert!(t.join().is_err());
        println!("CHILD: main goes on");
        return;
    }
    watchdog(|| {
        let (ok, out, err) = child("default_hook_prints_exception_and_process_goes_on", ENV);
        assert!(ok, "child failed: {err}");
        assert!(
            err.contains("Exception in thread boom-thread:\nkaboom\n"),
            "stderr: {err}"
        );
        assert!(out.contains("CHILD: main goes on"), "stdout: {out}");
    });
}

#[test]
fn panicking_hook_falls_back_to_default_output() {
    const ENV: &str = "TK_CHILD_PANICKING_HOOK";
    if is_child(ENV) {
        threadkit::set_excepthook(|_| panic!("the hook itself failed"));
        let t = Builder::new()
            .name("hooked")
            .spawn(|| panic!("first failure"))
            .unwrap();
        assert!(matches!(t.join(), Err(ThreadError::Panicked(m)) if m == "first failure"));
        println!("CHILD: survived");
        return;
    }
    watchdog(|| {
        let (ok, out, err) = child("panicking_hook_falls_back_to_default_output", ENV);
        assert!(ok, "child failed: {err}");
        assert!(
            err.contains("Exception in thread hooked:\nfirst failure\n"),
            "stderr: {err}"
        );
        assert!(out.contains("CHILD: survived"), "stdout: {out}");
    });
}

#[test]
fn custom_hook_sees_thread_and_message() {
    watchdog(|| {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        threadkit::set_excepthook(move |args| {
            if args.thread().name().starts_with("custom-hook-") {
                s.lock().unwrap().push((
                    args.thread().name(),
                    args.message().to_string(),
                    args.thread().is_alive(),
                ));
            } else {
                threadkit::default_excepthook(args);
            }
        });
        let t = Builder::new()
            .name("custom-hook-1")
            .spawn(|| panic!("bad input {}", 3))
            .unwrap();
        assert!(t.join().is_err());
        threadkit::reset_excepthook();
        let seen = seen.lock().unwrap().clone();
        // The hook runs on the dying thread, which is still alive then.
        assert_eq!(
            seen,
            [("custom-hook-1".to_string(), "bad input 3".to_string(), true)]
        );
    });
}

#[test]
fn many_threads_join_the_same_thread() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<()>();
        let t = Thread::spawn(move || {
            rx.recv().unwrap();
            99
        })
        .unwrap();
        let joined = Arc::new(AtomicUsize::new(0));
        let ready = Arc::new(Barrier::new(9));
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let (h, joined, ready) = (t.handle(), joined.clone(), ready.clone());
                Thread::spawn(move || {
                    ready.wait();
                    h.join().unwrap();
                    assert!(!h.is_alive());
                    joined.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap()
            })
            .collect();
        ready.wait();
        // Nobody got through before the target finished.
        assert!(matches!(
            t.join_timeout(Duration::from_millis(20)),
            Err(ThreadError::Timeout)
        ));
        assert_eq!(joined.load(Ordering::SeqCst), 0);
        tx.send(()).unwrap();
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(joined.load(Ordering::SeqCst), 8);
        assert_eq!(t.join().unwrap(), 99);
    });
}

#[test]
fn join_timeout_never_returns_early_and_is_alive_idiom() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<()>();
        let t = Thread::spawn(move || rx.recv().is_ok()).unwrap();
        for ms in [0u64, 1, 30, 80] {
            let d = Duration::from_millis(ms);
            let start = Instant::now();
            assert!(matches!(t.join_timeout(d), Err(ThreadError::Timeout)));
            assert!(start.elapsed() >= d, "{ms} ms timeout returned early");
            assert!(t.is_alive());
        }
        let start = Instant::now();
        assert!(matches!(t.try_join(), Err(ThreadError::Timeout)));
        assert!(matches!(t.handle().try_join(), Err(ThreadError::Timeout)));
        assert!(start.elapsed() < Duration::from_secs(5));
        tx.send(()).unwrap();
        t.join_timeout(Duration::from_secs(30)).unwrap();
        assert!(!t.is_alive());
        t.try_join().unwrap();
        assert!(t.join().unwrap());
        // A timeout too large for an Instant means "forever" and works.
        let t = Thread::spawn(|| 5).unwrap();
        t.join_timeout(Duration::MAX).unwrap();
        assert_eq!(t.join().unwrap(), 5);
    });
}

#[test]
fn ident_and_native_id() {
    watchdog(|| {
        let t = Thread::new(|| (get_ident(), get_native_id(), current_thread().ident()));
        assert_eq!(t.ident(), None);
        assert_eq!(t.native_id(), None);
        t.start().unwrap();
        let ident = t.ident().expect("ident after start");
        // Known right after start, as in CPython.
        let native = t.native_id().expect("native id after start");
        let h = t.handle();
        let (inner_ident, inner_native, cur_ident) = t.join().unwrap();
        assert_eq!(inner_ident, ident);
        assert_eq!(cur_ident, Some(ident));
        assert_eq!(h.native_id(), Some(inner_native));
        assert_eq!(native, inner_native);
        assert_ne!(ident, get_ident());
        // Idents are never reused.
        let idents: HashSet<u64> = (0..20)
            .map(|_| {
                let t = Thread::spawn(get_ident).unwrap();
                t.join().unwrap()
            })
            .collect();
        assert_eq!(idents.len(), 20);
    });
}

#[test]
fn current_and_main_thread() {
    watchdog(|| {
        let t = Builder::new()
            .name("cur")
            .spawn(|| {
                let me = current_thread();
                (me.name(), me.is_alive(), me.daemon(), format!("{me}"))
            })
            .unwrap();
        let h = t.handle();
        let (name, alive, daemon, repr) = t.join().unwrap();
        assert_eq!(name, "cur");
        assert!(alive && !daemon);
        assert!(repr.starts_with("<Thread(cur, started "), "{repr}");
        assert_eq!(
            format!("{h}"),
            format!("<Thread(cur, stopped {})>", h.ident().unwrap())
        );
        let main = main_thread();
        assert_eq!(main.name(), "MainThread");
        assert!(main.is_alive());
        assert_eq!(enumerate()[0], main);
        // The test body runs on a foreign thread.
        let me = current_thread();
        assert_ne!(me, main);
        assert_eq!(me, current_thread());
        assert!(matches!(me.join(), Err(ThreadError::NotJoinable)));
        assert!(matches!(main.join(), Err(ThreadError::NotJoinable)));
    });
}

fn listed(ident: u64) -> bool {
    enumerate().iter().any(|h| h.ident() == Some(ident))
}

#[test]
fn enumerate_lists_started_threads_until_joined() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<()>();
        let t = Thread::new(move || rx.recv().unwrap());
        t.start().unwrap();
        let ident = t.ident().unwrap();
        assert!(listed(ident));
        assert!(active_count() >= 2);
        // A handle from enumerate() is joinable.
        let from_list = enumerate()
            .into_iter()
            .find(|h| h.ident() == Some(ident))
            .unwrap();
        assert_eq!(from_list, t.handle());
        assert!(from_list.is_alive());
        tx.send(()).unwrap();
        from_list.join().unwrap();
        assert!(!listed(ident));
        t.join().unwrap();
        assert!(!listed(ident));
    });
}

#[test]
fn never_listed_after_join_under_load() {
    watchdog(|| {
        for _ in 0..200 {
            let t = Thread::spawn(get_ident).unwrap();
            let ident = t.join().unwrap();
            assert!(!listed(ident));
        }
    });
}

#[test]
fn foreign_threads_are_seen_and_leave_when_they_exit() {
    watchdog(|| {
        let (tx, rx) = mpsc::channel::<()>();
        let (itx, irx) = mpsc::channel();
        let plain = std::thread::Builder::new()
            .name("plain-std".into())
            .spawn(move || {
                let me = current_thread();
                itx.send((me.ident().unwrap(), me.name(), me.daemon()))
                    .unwrap();
                rx.recv().unwrap();
            })
            .unwrap();
        let (ident, name, daemon) = irx.recv().unwrap();
        assert_eq!(name, "plain-std");
        assert!(daemon, "foreign threads count as daemons");
        assert!(listed(ident));
        tx.send(()).unwrap();
        plain.join().unwrap();
        assert!(!listed(ident));

        let unnamed = std::thread::spawn(|| current_thread().name())
            .join()
            .unwrap();
        assert!(unnamed.starts_with("Dummy-"), "{unnamed}");
    });
}

#[test]
fn stress_spawn_join_counts_exactly() {
    watchdog(|| {
        let total = Arc::new(AtomicUsize::new(0));
        let threads: Vec<Thread<usize>> = (0..64)
            .map(|i| {
                let total = total.clone();
                Thread::spawn(move || {
                    // Threads started by threads.
                    let inner = Thread::spawn(move || i * 2).unwrap();
                    total.fetch_add(1, Ordering::SeqCst);
                    inner.join().unwrap() + 1
                })
                .unwrap()
            })
            .collect();
        let sum: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(sum, (0..64).map(|i| i * 2 + 1).sum::<usize>());
        assert_eq!(total.load(Ordering::SeqCst), 64);
    });
}

#[test]
fn errors_display_what_to_do() {
    let all = [
        ThreadError::AlreadyStarted,
        ThreadError::NotStarted,
        ThreadError::JoinSelf,
        ThreadError::DaemonAfterStart,
        ThreadError::NotJoinable,
        ThreadError::Spawn(std::io::Error::other("no memory")),
        ThreadError::Panicked("x".into()),
        ThreadError::Timeout,
    ];
    for e in all {
        let s = e.to_string();
        assert!(s.len() > 20, "{s}");
        let _: &dyn std::error::Error = &e;
    }
}

// Ported from CPython's Lib/test/test_threading.py (ThreadTests), in the
// shapes threadkit gives them.

/// test_various_ops: ten threads, at most three at work at once; ident is
/// unset before start, native ids are distinct (also from the caller's)
/// right after start, and after join the thread is stopped with an ident.
#[test]
fn cpython_various_ops() {
    watchdog(|| {
        const TASKS: usize = 10;
        let running = Arc::new(Mutex::new(0usize));
        let slots = Arc::new(Mutex::new(3usize));
        let threads: Vec<Thread<()>> = (0..TASKS)
            .map(|i| {
                let (running, slots) = (running.clone(), slots.clone());
                let t = Builder::new().name(format!("<thread {i}>")).build(move || {
                    // A spin-acquired slot of three (no semaphore needed).
                    loop {
                        let mut s = slots.lock().unwrap();
                        if *s > 0 {
                            *s -= 1;
                            break;
                        }
                        drop(s);
                        std::thread::yield_now();
                    }
                    {
                        let mut r = running.lock().unwrap();
                        *r += 1;
                        assert!(*r <= 3);
                    }
                    std::thread::sleep(Duration::from_micros(50));
                    *running.lock().unwrap() -= 1;
                    *slots.lock().unwrap() += 1;
                });
                assert_eq!(t.ident(), None);
                assert!(format!("{}", t.handle()).ends_with(", initial)>"));
                t.start().unwrap();
                t
            })
            .collect();
        let mut native: HashSet<u64> = threads.iter().map(|t| t.native_id().unwrap()).collect();
        native.insert(get_native_id());
        assert_eq!(native.len(), TASKS + 1);
        for t in threads {
            let h = t.handle();
            t.join().unwrap();
            assert!(!h.is_alive());
            assert!(h.ident().is_some_and(|i| i != 0));
            assert_eq!(
                format!("{h}"),
                format!("<Thread({}, stopped {})>", h.name(), h.ident().unwrap())
            );
        }
        assert_eq!(*running.lock().unwrap(), 0);
    });
}

/// test_various_ops_small_stack / _large_stack: the same with 256 KiB and
/// 1 MiB stacks.
#[test]
fn cpython_various_stack_sizes() {
    watchdog(|| {
        for size in [256 * 1024, 1024 * 1024] {
            let threads: Vec<_> = (0..10)
                .map(|i| Builder::new().stack_size(size).spawn(move || i).unwrap())
                .collect();
            let sum: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
            assert_eq!(sum, 45);
        }
    });
}

/// test_no_refcycle_through_target: once the thread completed (normally
/// or by panicking), nothing it captured is kept alive by the handle.
#[test]
fn cpython_no_refcycle_through_target() {
    watchdog(|| {
        for should_panic in [false, true] {
            let object = Arc::new(5u32);
            let weak = Arc::downgrade(&object);
            let t = Builder::new()
                .name("refcycle")
                .spawn(move || {
                    assert_eq!(*object, 5);
                    if should_panic {
                        panic!("raising target");
                    }
                })
                .unwrap();
            let h = t.handle();
            let _ = h.join();
            // The handle is still alive, the captured object is gone.
            assert!(weak.upgrade().is_none());
            drop(t);
        }
    });
}

/// test_repr_daemon and test_daemon_param.
#[test]
fn cpython_repr_daemon_and_daemon_param() {
    let t = Thread::new(|| ());
    assert!(!format!("{}", t.handle()).contains("daemon"));
    t.set_daemon(true).unwrap();
    assert!(format!("{}", t.handle()).contains("daemon"));
    assert!(!Builder::new().build(|| ()).daemon());
    assert!(!Builder::new().daemon(false).build(|| ()).daemon());
    assert!(Builder::new().daemon(true).build(|| ()).daemon());
}

/// test_enumerate_after_join, with threads started by a foreign thread too.
#[test]
fn cpython_enumerate_after_join_from_foreign_thread() {
    watchdog(|| {
        std::thread::spawn(|| {
            for _ in 0..100 {
                let t = Thread::spawn(|| ()).unwrap();
                let h = t.handle();
                t.join().unwrap();
                assert!(!enumerate().contains(&h));
            }
        })
        .join()
        .unwrap();
    });
}
