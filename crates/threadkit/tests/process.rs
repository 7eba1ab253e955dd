//! Integration tests of `threadkit::process` (feature `process`).
//!
//! This is a `harness = false` test: the test binary is also the worker
//! executable, so its `main` calls `process::init` first, exactly as a user
//! program does. Each test body runs under `common::watchdog`; crash cases
//! (abort, `exit(99)`, signals, out of memory) happen in worker children.
//! Two tests re-run this binary as a *parent* that panics or is killed, and
//! check that its workers go away. The run ends by checking that no child
//! of this process is left.
//!
//! Several tests port CPython's (Lib/test/_test_multiprocessing.py,
//! Lib/test/test_concurrent_futures/): process exit codes after terminate
//! and kill, `join` with a timeout, `map` order and exceptions, shutdown
//! with `cancel_futures`, `max_tasks_per_child`, a killed worker.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use threadkit::process::{
    self, ExitStatus, Function, Process, ProcessError, ProcessPool, Registry, cpu_count,
};
use threadkit::{Future, FutureError};

// ---- functions children run -------------------------------------------

fn square(x: u64) -> u64 {
    x * x
}
fn add((a, b): (i64, i64)) -> i64 {
    a + b
}
fn boom(msg: String) -> u64 {
    panic!("{msg}")
}
fn abort_now(_: ()) -> u64 {
    std::process::abort()
}
fn exit99(_: ()) -> u64 {
    std::process::exit(99)
}
fn kill_self(sig: i32) -> u64 {
    // SAFETY: plain syscalls on our own pid; the default action (Rust's
    // runtime handles SIGSEGV for stack overflows) so the signal ends us.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::kill(libc::getpid(), sig);
    }
    std::thread::sleep(Duration::from_secs(10));
    0
}
fn out_of_memory(_: ()) -> u64 {
    let lim = libc::rlimit {
        rlim_cur: 256 << 20,
        rlim_max: 256 << 20,
    };
    // SAFETY: valid pointer to a filled rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) };
    let mut keep: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut v = Vec::<u8>::with_capacity(64 << 20);
        v.resize(64 << 20, 1);
        keep.push(v);
    }
}
fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}
fn my_pid(_: ()) -> u32 {
    std::process::id()
}
fn slow_pid(ms: u64) -> u32 {
    std::thread::sleep(Duration::from_millis(ms));
    std::process::id()
}
fn same_f64(x: f64) -> f64 {
    x
}
fn burn(n: u64) -> u64 {
    let mut x = n;
    for i in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
    }
    x
}
fn echo(v: Vec<u8>) -> Vec<u8> {
    v
}
fn affinity_one(_: ()) -> (usize, usize) {
    let before = cpu_count();
    // SAFETY: zeroed cpu_set_t is a valid empty set; we fill it with the
    // first CPU we may use and apply it to this (child) process.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set);
        let first = (0..libc::CPU_SETSIZE as usize)
            .find(|&c| libc::CPU_ISSET(c, &set))
            .unwrap_or(0);
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(first, &mut one);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one);
    }
    (before, cpu_count())
}

/// A value whose `Serialize` always fails.
#[derive(Debug)]
struct Opaque;
impl Serialize for Opaque {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("Opaque cannot be serialized"))
    }
}
impl<'de> Deserialize<'de> for Opaque {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <()>::deserialize(d).map(|()| Opaque)
    }
}
fn take_opaque(_: Opaque) -> u64 {
    0
}
fn never_registered(x: u64) -> u64 {
    x
}
fn parent_only(x: u64) -> u64 {
    x
}

const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
const ADD: Function<(i64, i64), i64> = threadkit::process_fn!(add);
const BOOM: Function<String, u64> = threadkit::process_fn!(boom);
const ABORT: Function<(), u64> = threadkit::process_fn!(abort_now);
const EXIT99: Function<(), u64> = threadkit::process_fn!(exit99);
const KILL_SELF: Function<i32, u64> = threadkit::process_fn!(kill_self);
const OOM: Function<(), u64> = threadkit::process_fn!(out_of_memory);
const SLEEP: Function<u64, u64> = threadkit::process_fn!(sleep_ms);
const PID: Function<(), u32> = threadkit::process_fn!(my_pid);
const SLOW_PID: Function<u64, u32> = threadkit::process_fn!(slow_pid);
const SAME_F64: Function<f64, f64> = threadkit::process_fn!(same_f64);
const BURN: Function<u64, u64> = threadkit::process_fn!(burn);
const ECHO: Function<Vec<u8>, Vec<u8>> = threadkit::process_fn!(echo);
const AFFINITY: Function<(), (usize, usize)> = threadkit::process_fn!(affinity_one);
const OPAQUE: Function<Opaque, u64> = threadkit::process_fn!(take_opaque);
const UNREGISTERED: Function<u64, u64> = threadkit::process_fn!(never_registered);
const PARENT_ONLY: Function<u64, u64> = threadkit::process_fn!(parent_only);

fn registry() -> Registry {
    // A registry that differs between parent and worker (a programming
    // error the parent cannot see): the worker answers "not registered".
    let reg = if std::env::var_os("THREADKIT_PROCESS_WORKER").is_none() {
        Registry::new().register(PARENT_ONLY)
    } else {
        Registry::new()
    };
    reg.register(SQUARE)
        .register(ADD)
        .register(BOOM)
        .register(ABORT)
        .register(EXIT99)
        .register(KILL_SELF)
        .register(OOM)
        .register(SLEEP)
        .register(PID)
        .register(SLOW_PID)
        .register(SAME_F64)
        .register(BURN)
        .register(ECHO)
        .register(AFFINITY)
        .register(OPAQUE)
}

// ---- Process -----------------------------------------------------------

fn process_returns_value() {
    let p = Process::new(SQUARE, 9).unwrap();
    assert!(!p.is_alive());
    assert_eq!(p.pid(), None);
    assert_eq!(p.exit_code(), None);
    p.start().unwrap();
    let pid = p.pid().unwrap();
    assert_ne!(pid, std::process::id());
    assert_eq!(p.join().unwrap(), 81);
    assert!(!p.is_alive());
    assert_eq!(p.pid(), Some(pid));
    assert_eq!(p.exit_code(), Some(ExitStatus::Code(0)));
    // The value is handed out once.
    assert_eq!(p.join(), Err(ProcessError::ResultTaken));
    let p = Process::new(ADD, (40, 2)).unwrap();
    p.start().unwrap();
    assert_eq!(p.join().unwrap(), 42);
}

fn process_misuse_is_an_error() {
    let p = Process::new(SQUARE, 1).unwrap();
    assert_eq!(p.join(), Err(ProcessError::NotStarted));
    assert_eq!(p.try_join(), Err(ProcessError::NotStarted));
    assert_eq!(p.terminate(), Err(ProcessError::NotStarted));
    p.start().unwrap();
    assert_eq!(p.start(), Err(ProcessError::AlreadyStarted));
    assert_eq!(p.join().unwrap(), 1);
    // Dropped while running: the child runs to its end and is still reaped
    // (checked by `no_child_process_left`).
    let p = Process::new(SLEEP, 200).unwrap();
    p.start().unwrap();
    drop(p);
}

fn unregistered_and_unserializable_fail_at_the_call() {
    match Process::new(UNREGISTERED, 1) {
        Err(ProcessError::NotRegistered(n)) => assert!(n.ends_with("never_registered")),
        other => panic!("{other:?}"),
    }
    match Process::new(OPAQUE, Opaque) {
        Err(ProcessError::Serialize(m)) => assert!(m.contains("Opaque"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Same name, other types: not the registered function.
    const IMPOSTOR: Function<String, u64> = Function::new(SQUARE.name(), |_| 0);
    assert!(matches!(
        Process::new(IMPOSTOR, String::new()),
        Err(ProcessError::NotRegistered(_))
    ));
    let pool = ProcessPool::with_workers(1).unwrap();
    assert!(matches!(
        pool.submit(UNREGISTERED, 1),
        Err(ProcessError::NotRegistered(_))
    ));
    assert!(matches!(
        pool.submit(OPAQUE, Opaque),
        Err(ProcessError::Serialize(_))
    ));
    assert!(matches!(
        pool.map(OPAQUE, vec![Opaque]),
        Err(ProcessError::Serialize(_))
    ));
    // Registered in the parent, not in the worker: an error, not a hang.
    match pool.apply(PARENT_ONLY, 1) {
        Err(ProcessError::Worker(m)) => assert!(m.contains("not registered"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        pool.submit(PARENT_ONLY, 1).unwrap().result(),
        Err(FutureError::Failed(_))
    ));
    assert_eq!(pool.apply(SQUARE, 2), Ok(4));
    // A second init is refused, not ignored.
    assert!(matches!(
        process::init(registry()),
        Err(ProcessError::InvalidArgument(_))
    ));
    // Duplicate names are refused by init.
    assert_eq!(
        process::init(Registry::new().register(SQUARE).register(SQUARE)),
        Err(ProcessError::DuplicateName(SQUARE.name().to_string()))
    );
}

fn process_join_timeout_never_early() {
    let p = Process::new(SLEEP, 300).unwrap();
    p.start().unwrap();
    assert!(p.is_alive());
    let t = Instant::now();
    assert_eq!(
        p.join_timeout(Duration::from_millis(50)),
        Err(ProcessError::Timeout)
    );
    assert!(t.elapsed() >= Duration::from_millis(50));
    assert_eq!(p.try_join(), Err(ProcessError::Timeout));
    assert_eq!(p.join_timeout(Duration::from_secs(30)).unwrap(), 300);
}

fn process_terminate_and_kill() {
    // CPython: test_terminate / test_kill: exitcode is -SIGTERM / -SIGKILL.
    for (sig, stop) in [
        (
            libc::SIGTERM,
            Process::<u64>::terminate as fn(&Process<u64>) -> Result<(), ProcessError>,
        ),
        (
            libc::SIGKILL,
            Process::<u64>::kill as fn(&Process<u64>) -> Result<(), ProcessError>,
        ),
    ] {
        let p = Process::new(SLEEP, 60_000).unwrap();
        p.start().unwrap();
        stop(&p).unwrap();
        assert_eq!(
            p.join_timeout(Duration::from_secs(30)),
            Err(ProcessError::Exited(ExitStatus::Signal(sig)))
        );
        assert_eq!(p.exit_code(), Some(ExitStatus::Signal(sig)));
        assert_eq!(p.exit_code().unwrap().python_exitcode(), -sig);
        // Signalling an ended (reaped) child is a no-op, not an error.
        assert_eq!(stop(&p), Ok(()));
    }
}

fn process_crashes_come_back_as_errors() {
    let p = Process::new(BOOM, "the message".to_string()).unwrap();
    p.start().unwrap();
    assert_eq!(
        p.join(),
        Err(ProcessError::Panicked("the message".to_string()))
    );
    let p = Process::new(EXIT99, ()).unwrap();
    p.start().unwrap();
    assert_eq!(p.join(), Err(ProcessError::Exited(ExitStatus::Code(99))));
    assert_eq!(p.exit_code(), Some(ExitStatus::Code(99)));
    let p = Process::new(ABORT, ()).unwrap();
    p.start().unwrap();
    assert_eq!(
        p.join(),
        Err(ProcessError::Exited(ExitStatus::Signal(libc::SIGABRT)))
    );
    let p = Process::new(KILL_SELF, libc::SIGSEGV).unwrap();
    p.start().unwrap();
    assert_eq!(
        p.join(),
        Err(ProcessError::Exited(ExitStatus::Signal(libc::SIGSEGV)))
    );
}

fn values_cross_faithfully() {
    let p = Process::new(SAME_F64, f64::NAN).unwrap();
    p.start().unwrap();
    assert!(p.join().unwrap().is_nan());
    let pool = ProcessPool::with_workers(1).unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(pool.apply(ECHO, big.clone()).unwrap(), big);
}

// ---- ProcessPool -------------------------------------------------------

/// The error a pool future reports when its worker died with `status`.
fn died(status: ExitStatus) -> FutureError {
    FutureError::Failed(ProcessError::WorkerDied(status).to_string())
}

fn pool_submit_apply_map() {
    let pool = ProcessPool::with_workers(2).unwrap();
    assert_eq!(pool.max_workers(), 2);
    assert_eq!(pool.worker_pids().len(), 2);
    let t = pool.submit(SQUARE, 12).unwrap();
    assert_eq!(*t.result().unwrap(), 144);
    assert!(t.done());
    assert_eq!(t.into_result(), Ok(144));
    // The same Future type as the thread pool: as_completed and wait work.
    let fs: Vec<Future<u64>> = (0..20u64)
        .map(|i| pool.submit(SQUARE, i).unwrap())
        .collect();
    let mut seen: Vec<u64> = threadkit::as_completed(&fs)
        .map(|f| *f.unwrap().result().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..20u64).map(|i| i * i).collect::<Vec<_>>());
    let done = threadkit::wait(&fs, threadkit::ReturnWhen::AllCompleted);
    assert_eq!(done.done.len(), 20);
    assert_eq!(pool.apply(ADD, (1, 2)).unwrap(), 3);
    assert_eq!(
        pool.apply_timeout(ADD, (2, 2), Duration::from_secs(30))
            .unwrap(),
        4
    );
    let xs: Vec<u64> = (0..1000).collect();
    let want: Vec<u64> = xs.iter().map(|x| x * x).collect();
    assert_eq!(pool.map(SQUARE, xs.clone()).unwrap(), want);
    assert_eq!(pool.map_chunked(SQUARE, xs.clone(), 1).unwrap(), want);
    assert_eq!(pool.map_chunked(SQUARE, xs.clone(), 7).unwrap(), want);
    assert_eq!(pool.map_chunked(SQUARE, xs.clone(), 5000).unwrap(), want);
    assert_eq!(pool.map(SQUARE, Vec::new()).unwrap(), Vec::<u64>::new());
    assert!(matches!(
        pool.map_chunked(SQUARE, xs, 0),
        Err(ProcessError::InvalidArgument(_))
    ));
    let mut got: Vec<u64> = pool
        .imap_unordered(SQUARE, 0..200u64)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    got.sort_unstable();
    assert_eq!(got, (0..200u64).map(|x| x * x).collect::<Vec<_>>());
}

fn pool_map_fails_with_the_first_panic() {
    // CPython: test_map_exception.
    let pool = ProcessPool::with_workers(2).unwrap();
    let msgs: Vec<String> = vec!["ok".into(), "bad".into()];
    match pool.map(BOOM, msgs) {
        Err(ProcessError::Panicked(m)) => assert_eq!(m, "ok"),
        other => panic!("{other:?}"),
    }
    // imap_unordered yields each outcome, failures included.
    let outs: Vec<_> = pool
        .imap_unordered(BOOM, vec!["a".to_string(), "b".to_string()])
        .unwrap()
        .collect();
    assert_eq!(outs.len(), 2);
    assert!(
        outs.iter()
            .all(|o| matches!(o, Err(ProcessError::Panicked(_))))
    );
}

fn pool_panic_keeps_the_worker() {
    let pool = ProcessPool::with_workers(1).unwrap();
    let before = pool.worker_pids();
    let t = pool.submit(BOOM, "task failed".to_string()).unwrap();
    assert_eq!(
        t.result(),
        Err(FutureError::Panicked("task failed".to_string()))
    );
    assert_eq!(pool.apply(SQUARE, 3).unwrap(), 9);
    assert_eq!(pool.worker_pids(), before);
}

fn pool_replaces_a_dying_worker() {
    // CPython: test_killed_child (there, the whole pool breaks; here only
    // the running task fails, and the worker is replaced).
    type Crash = Box<dyn Fn(&ProcessPool) -> Future<u64>>;
    let cases: Vec<(Crash, ExitStatus)> = vec![
        (
            Box::new(|p: &ProcessPool| p.submit(EXIT99, ()).unwrap()),
            ExitStatus::Code(99),
        ),
        (
            Box::new(|p: &ProcessPool| p.submit(ABORT, ()).unwrap()),
            ExitStatus::Signal(libc::SIGABRT),
        ),
        (
            Box::new(|p: &ProcessPool| p.submit(KILL_SELF, libc::SIGKILL).unwrap()),
            ExitStatus::Signal(libc::SIGKILL),
        ),
        (
            Box::new(|p: &ProcessPool| p.submit(OOM, ()).unwrap()),
            ExitStatus::Signal(libc::SIGABRT),
        ),
    ];
    let pool = ProcessPool::with_workers(1).unwrap();
    for (crash, status) in cases {
        let before = pool.worker_pids();
        let dead = crash(&pool);
        // Queued behind the crash, in the same single worker: must all run.
        let after: Vec<_> = (0..50u64)
            .map(|i| pool.submit(SQUARE, i).unwrap())
            .collect();
        let e = dead.result().unwrap_err();
        assert_eq!(e, died(status));
        assert!(e.to_string().contains(&status.to_string()), "{e}");
        assert!(e.to_string().contains("broken pool"), "{e}");
        for (i, t) in after.iter().enumerate() {
            assert_eq!(*t.result().unwrap(), (i * i) as u64);
        }
        let now = pool.worker_pids();
        assert_eq!(now.len(), 1);
        assert_ne!(now, before, "the worker was replaced");
        // apply reports the same as a typed error.
        if status == ExitStatus::Code(99) {
            assert_eq!(
                pool.apply(EXIT99, ()),
                Err(ProcessError::WorkerDied(status))
            );
            assert_eq!(pool.apply(SQUARE, 5), Ok(25));
        }
    }
}

fn pool_max_tasks_per_child() {
    // CPython: test_max_tasks_per_child.
    let pool = ProcessPool::builder()
        .max_workers(1)
        .max_tasks_per_child(2)
        .build()
        .unwrap();
    let pids: Vec<u32> = (0..6)
        .map(|_| pool.submit(PID, ()).unwrap().into_result().unwrap())
        .collect();
    assert_eq!(pids[0], pids[1]);
    assert_eq!(pids[2], pids[3]);
    assert_eq!(pids[4], pids[5]);
    let distinct: HashSet<_> = pids.iter().collect();
    assert_eq!(distinct.len(), 3);
    // Submitted together, the same holds.
    let tasks: Vec<_> = (0..6).map(|_| pool.submit(PID, ()).unwrap()).collect();
    let pids: Vec<u32> = tasks.iter().map(|t| *t.result().unwrap()).collect();
    let distinct: HashSet<_> = pids.iter().collect();
    assert_eq!(distinct.len(), 3, "{pids:?}");
    assert!(matches!(
        ProcessPool::builder().max_tasks_per_child(0).build(),
        Err(ProcessError::InvalidArgument(_))
    ));
    assert!(matches!(
        ProcessPool::with_workers(0),
        Err(ProcessError::InvalidArgument(_))
    ));
}

fn pool_shutdown() {
    // CPython: test_cancel_futures / test_submit_after_interpreter_shutdown.
    let pool = ProcessPool::with_workers(1).unwrap();
    let running = pool.submit(SLEEP, 300).unwrap();
    let queued: Vec<_> = (0..10).map(|_| pool.submit(SLEEP, 1).unwrap()).collect();
    // Let the first one reach the worker before shutting down.
    while !running.running() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let pids = pool.worker_pids();
    pool.shutdown(true, true);
    assert_eq!(*running.result().unwrap(), 300);
    // The worker may have been sent some tasks ahead; the rest were cancelled.
    let cancelled = queued.iter().filter(|t| t.cancelled()).count();
    assert!(queued.iter().all(|t| t.done()));
    assert!(cancelled > 0 || queued.iter().all(|t| t.result().is_ok()));
    assert!(pool.worker_pids().is_empty());
    assert!(gone(pids[0]));
    assert_eq!(pool.submit(SQUARE, 1).unwrap_err(), ProcessError::ShutDown);
    pool.shutdown(true, false); // again: harmless

    // shutdown(wait = false) returns at once; the tasks still complete and
    // the workers are reaped in the background.
    let pool = ProcessPool::with_workers(1).unwrap();
    let slow = pool.submit(SLEEP, 1000).unwrap();
    let start = Instant::now();
    pool.shutdown(false, false);
    assert!(start.elapsed() < Duration::from_millis(1000));
    assert_eq!(*slow.result().unwrap(), 1000);
    drop(pool);

    // shutdown(wait) without cancel runs everything queued.
    let pool = ProcessPool::with_workers(2).unwrap();
    let tasks: Vec<_> = (0..100u64)
        .map(|i| pool.submit(SQUARE, i).unwrap())
        .collect();
    pool.shutdown(true, false);
    for (i, t) in tasks.iter().enumerate() {
        assert_eq!(*t.try_result().unwrap(), (i * i) as u64);
    }
}

fn pool_cancel_pending_task() {
    let pool = ProcessPool::with_workers(1).unwrap();
    let blocker = pool.submit(SLEEP, 200).unwrap();
    // Enough tasks that the last ones cannot have been sent yet.
    let tasks: Vec<_> = (0..200).map(|_| pool.submit(SLEEP, 1).unwrap()).collect();
    let last = tasks.last().unwrap();
    assert!(last.cancel());
    assert!(last.cancelled());
    assert!(last.done());
    assert_eq!(last.try_result(), Err(FutureError::Cancelled));
    // A task already sent to its worker cannot be cancelled.
    while !blocker.running() {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(!blocker.cancel());
    assert!(!blocker.cancelled());
    assert_eq!(*blocker.result().unwrap(), 200);
    for t in &tasks[..tasks.len() - 1] {
        assert_eq!(*t.result().unwrap(), 1);
    }
}

fn pool_terminate_and_kill_workers() {
    // CPython 3.14: test_terminate_workers / test_kill_workers.
    for kill in [false, true] {
        let pool = ProcessPool::with_workers(2).unwrap();
        let pids = pool.worker_pids();
        let long: Vec<_> = (0..2)
            .map(|_| pool.submit(SLEEP, 60_000).unwrap())
            .collect();
        let queued = pool.submit(SQUARE, 2).unwrap();
        while !long.iter().all(|t| t.running()) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let t = Instant::now();
        if kill {
            pool.kill_workers();
        } else {
            pool.terminate_workers();
        }
        assert!(t.elapsed() < Duration::from_secs(30));
        assert!(pool.worker_pids().is_empty());
        for t in &long {
            assert_eq!(
                t.result(),
                Err(FutureError::Failed(ProcessError::Terminated.to_string()))
            );
        }
        let q = queued.result();
        assert!(
            matches!(q, Err(FutureError::Cancelled) | Err(FutureError::Failed(_))),
            "{q:?}"
        );
        for pid in pids {
            assert!(gone(pid));
        }
        assert_eq!(pool.submit(SQUARE, 1).unwrap_err(), ProcessError::ShutDown);
    }
}

fn pool_result_timeout_never_early() {
    let pool = ProcessPool::with_workers(1).unwrap();
    let t0 = pool.submit(SLEEP, 300).unwrap();
    let start = Instant::now();
    assert_eq!(
        t0.result_timeout(Duration::from_millis(50)),
        Err(FutureError::Timeout)
    );
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert_eq!(t0.try_result(), Err(FutureError::Timeout));
    assert_eq!(*t0.result_timeout(Duration::from_secs(30)).unwrap(), 300);
    let start = Instant::now();
    assert_eq!(
        pool.apply_timeout(SLEEP, 300, Duration::from_millis(50)),
        Err(ProcessError::Timeout)
    );
    assert!(start.elapsed() >= Duration::from_millis(50));
    let start = Instant::now();
    assert_eq!(
        pool.map_timeout(SLEEP, vec![300, 300], Duration::from_millis(100)),
        Err(ProcessError::Timeout)
    );
    assert!(start.elapsed() >= Duration::from_millis(100));
    let mut it = pool.imap_unordered(SLEEP, vec![200]).unwrap();
    assert_eq!(it.try_next(), Some(Err(ProcessError::Timeout)));
    assert_eq!(
        it.next_timeout(Duration::from_millis(20)),
        Some(Err(ProcessError::Timeout))
    );
    assert_eq!(it.next_timeout(Duration::from_secs(30)), Some(Ok(200)));
    assert_eq!(it.next(), None);
}

fn pool_stress_counts_exactly() {
    let pool = ProcessPool::with_workers(2).unwrap();
    let n = 20_000u64;
    let submitters: Vec<_> = (0..4u64)
        .map(|k| {
            let tasks: Vec<_> = (0..n / 4)
                .map(|i| pool.submit(SQUARE, k * n + i).unwrap())
                .collect();
            tasks
        })
        .collect();
    let mut sum = 0u128;
    let mut count = 0u64;
    for tasks in submitters {
        for t in tasks {
            sum += *t.result().unwrap() as u128;
            count += 1;
        }
    }
    let want: u128 = (0..4u64)
        .flat_map(|k| (0..n / 4).map(move |i| ((k * n + i) as u128).pow(2)))
        .sum();
    assert_eq!(count, n);
    assert_eq!(sum, want);
    // From many threads at once, with a crash in the middle.
    let pool = std::sync::Arc::new(ProcessPool::with_workers(2).unwrap());
    let handles: Vec<_> = (0..4u64)
        .map(|k| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let tasks: Vec<_> = (0..500u64)
                    .map(|i| (i, pool.submit(SQUARE, k * 1000 + i).unwrap()))
                    .collect();
                if k == 2 {
                    let e = pool.submit(EXIT99, ()).unwrap().result().unwrap_err();
                    assert_eq!(e, died(ExitStatus::Code(99)));
                }
                tasks
                    .into_iter()
                    .map(|(i, t)| {
                        assert_eq!(*t.result().unwrap(), (k * 1000 + i).pow(2));
                    })
                    .count()
            })
        })
        .collect();
    let done: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(done, 2000);
}

fn pool_cpu_bound_map_uses_both_workers() {
    let pool = ProcessPool::with_workers(2).unwrap();
    // Two long items submitted together land on two different workers (a
    // writer never takes more than its fair share of the work in flight).
    let pids: HashSet<u32> = pool
        .map_chunked(SLOW_PID, vec![300; 2], 1)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(pids.len(), 2);
    let pids: HashSet<u32> = pool
        .map_chunked(SLOW_PID, vec![100; 8], 1)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(pids.len(), 2);
    assert_eq!(
        pool.map(BURN, vec![1000, 2000]).unwrap(),
        vec![burn(1000), burn(2000)]
    );
}

fn cpu_count_follows_affinity() {
    let n = cpu_count();
    assert!(n >= 1);
    assert!(n <= std::thread::available_parallelism().unwrap().get().max(n));
    let p = Process::new(AFFINITY, ()).unwrap();
    p.start().unwrap();
    let (before, after) = p.join().unwrap();
    assert_eq!(before, n);
    assert_eq!(after, 1);
}

// ---- parents that die --------------------------------------------------

/// Whether `pid` no longer runs (gone, or a zombie waiting for init).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn wait_gone(pids: &[u32]) {
    let t = Instant::now();
    while !pids.iter().all(|&p| gone(p)) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "workers {pids:?} outlived their parent"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Re-runs this binary as a parent (`role`), reads the worker pids it
/// prints, lets it end its way, and checks its workers went away.
fn orphan_case(role: &str, kill: bool) {
    use std::io::{BufRead, BufReader};
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.env("THREADKIT_PROCESS_TEST_ROLE", role)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut parent = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(parent.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pids: Vec<u32> = line
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2, "{line:?}");
    if kill {
        parent.kill().unwrap();
    }
    let status = parent.wait().unwrap();
    assert!(!status.success());
    wait_gone(&pids);
}

fn workers_exit_when_the_parent_is_killed() {
    orphan_case("busy", true);
    orphan_case("idle", true);
}

fn workers_exit_when_the_parent_panics() {
    orphan_case("panic", false);
}

/// In a fresh run of this binary (the executable is process-wide state):
/// workers that do not run the worker loop break the pool with an error.
fn startup_failure_is_an_error() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("THREADKIT_PROCESS_TEST_ROLE", "startup")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.trim(), "startup ok");
}

fn run_startup_role() {
    // `true` exits 0 at once, without ever reading its requests.
    assert!(process::set_executable("/bin/true"));
    let p = Process::new(SQUARE, 2).unwrap();
    p.start().unwrap();
    match p.join() {
        Err(ProcessError::Spawn(m)) => assert!(m.contains("init"), "{m}"),
        other => panic!("{other:?}"),
    }
    let pool = ProcessPool::with_workers(2).unwrap();
    let tasks: Vec<_> = (0..10).map(|i| pool.submit(SQUARE, i)).collect();
    for t in tasks {
        match t {
            Ok(f) => assert!(matches!(f.result(), Err(FutureError::Failed(_)))),
            Err(ProcessError::Spawn(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    // Broken: no respawn loop, new work refused with the reason.
    while pool.submit(SQUARE, 1).is_ok() {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(matches!(pool.apply(SQUARE, 1), Err(ProcessError::Spawn(_))));
    drop(pool);
    println!("startup ok");
}

fn run_role(role: &str) {
    if role == "startup" {
        run_startup_role();
        return;
    }
    let pool = ProcessPool::with_workers(2).unwrap();
    let pids = pool.worker_pids();
    let busy: Vec<_> = if role == "busy" {
        (0..2)
            .map(|_| pool.submit(SLEEP, 60_000).unwrap())
            .collect()
    } else {
        Vec::new()
    };
    println!("{} {}", pids[0], pids[1]);
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    if role == "panic" {
        // The pool is dropped while unwinding: it shuts down and reaps.
        panic!("parent panics on purpose");
    }
    drop(busy);
    std::thread::sleep(Duration::from_secs(120));
}

// ---- no leftovers ------------------------------------------------------

/// The children of every thread of this process.
fn children() -> Vec<u32> {
    let mut out = Vec::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
                out.extend(s.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
            }
        }
    }
    out
}

fn no_child_process_left() {
    // Dropped pools and joined processes reaped everything; a Process that
    // was dropped while running is reaped by its monitor when it ends.
    let t = Instant::now();
    loop {
        let left = children();
        if left.is_empty() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "children left: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---- the harness ---------------------------------------------------------

type Test = (&'static str, fn());

const TESTS: &[Test] = &[
    ("process_returns_value", process_returns_value),
    ("process_misuse_is_an_error", process_misuse_is_an_error),
    (
        "unregistered_and_unserializable_fail_at_the_call",
        unregistered_and_unserializable_fail_at_the_call,
    ),
    (
        "process_join_timeout_never_early",
        process_join_timeout_never_early,
    ),
    ("process_terminate_and_kill", process_terminate_and_kill),
    (
        "process_crashes_come_back_as_errors",
        process_crashes_come_back_as_errors,
    ),
    ("values_cross_faithfully", values_cross_faithfully),
    ("pool_submit_apply_map", pool_submit_apply_map),
    (
        "pool_map_fails_with_the_first_panic",
        pool_map_fails_with_the_first_panic,
    ),
    ("pool_panic_keeps_the_worker", pool_panic_keeps_the_worker),
    ("pool_replaces_a_dying_worker", pool_replaces_a_dying_worker),
    ("pool_max_tasks_per_child", pool_max_tasks_per_child),
    ("pool_shutdown", pool_shutdown),
    ("pool_cancel_pending_task", pool_cancel_pending_task),
    (
        "pool_terminate_and_kill_workers",
        pool_terminate_and_kill_workers,
    ),
    (
        "pool_result_timeout_never_early",
        pool_result_timeout_never_early,
    ),
    ("pool_stress_counts_exactly", pool_stress_counts_exactly),
    (
        "pool_cpu_bound_map_uses_both_workers",
        pool_cpu_bound_map_uses_both_workers,
    ),
    ("cpu_count_follows_affinity", cpu_count_follows_affinity),
    (
        "workers_exit_when_the_parent_is_killed",
        workers_exit_when_the_parent_is_killed,
    ),
    (
        "workers_exit_when_the_parent_panics",
        workers_exit_when_the_parent_panics,
    ),
    ("startup_failure_is_an_error", startup_failure_is_an_error),
    // Last: everything above must have left no child behind.
    ("no_child_process_left", no_child_process_left),
];

fn main() {
    // First thing, as in any program using threadkit::process: in a worker
    // child this call runs the worker and never returns.
    process::init(registry()).unwrap();
    if let Ok(role) = std::env::var("THREADKIT_PROCESS_TEST_ROLE") {
        run_role(&role);
        return;
    }
    // A small libtest-compatible command line (filters, `--exact`,
    // `--list [--ignored]`), so `cargo test` and cargo-nextest both drive it.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if flag("--list") {
        if !flag("--ignored") {
            for (name, _) in TESTS {
                println!("{name}: test");
            }
        }
        return;
    }
    let exact = flag("--exact");
    let (mut passed, mut failed) = (0, 0);
    for &(name, f) in TESTS {
        let selected = |p: &&String| {
            if exact {
                name == p.as_str()
            } else {
                name.contains(p.as_str())
            }
        };
        if !filter.is_empty() && !filter.iter().any(selected) {
            continue;
        }
        let r = std::panic::catch_unwind(|| common::watchdog(f));
        match r {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    println!();
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
