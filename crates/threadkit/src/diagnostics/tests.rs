//! Unit tests of the detector, reports, dumps, lock-order graph and
//! statistics against the wait layer, with a tiny test-only lock built on
//! `Waiter` (the real primitives have their own integration tests).
//!
//! These tests share the library's unit-test binary with other modules'
//! tests, so they leave the detection delay at its default (a short delay
//! would make every other test's parked waiters wake up and re-queue
//! often); the integration tests use short delays in binaries of their own.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::*;
use crate::wait::{self, Meta, Owner, Park, Tid, WaitKind, Waiter, tid};

/// Serialises the tests: the switches are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

/// Holds [`SERIAL`]; puts the switches back to their defaults when the
/// test ends (other modules' tests run in the same binary).
struct Serial(#[allow(dead_code)] MutexGuard<'static, ()>);

fn defaults() {
    set_policy(Policy::Fail);
    set_tracking(cfg!(debug_assertions));
    set_lock_order_checking(false);
    set_stats(false);
    reset_report_hook();
    reset_lock_order_hook();
}

impl Drop for Serial {
    fn drop(&mut self) {
        defaults();
    }
}

fn serial() -> Serial {
    let g = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    defaults();
    set_tracking(true);
    Serial(g)
}

/// A minimal owner-tracked lock: word = owner tid, 0 = free.
struct TestLock {
    word: AtomicU32,
    meta: Meta,
    /// Set by a test to release every waiter with an error (so a test of
    /// `Policy::Report` can end a deadlock it left in place).
    abort: AtomicBool,
}

struct TestGuard<'a>(&'a TestLock);

impl Drop for TestGuard<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// SAFETY contract: `data` points to a live `TestLock` (the waiter borrows
/// it for as long as its record is published).
unsafe fn lock_owner(data: *const ()) -> Vec<Tid> {
    // SAFETY: see the function's contract.
    let l = unsafe { &*(data as *const TestLock) };
    Tid::from_raw(l.word.load(Ordering::Relaxed))
        .into_iter()
        .collect()
}

impl TestLock {
    #[track_caller]
    fn new(name: &str) -> TestLock {
        TestLock {
            word: AtomicU32::new(0),
            meta: Meta::new(Some(name), Location::caller()),
            abort: AtomicBool::new(false),
        }
    }

    fn key(&self) -> usize {
        self as *const TestLock as usize
    }

    #[track_caller]
    fn acquire(&self) -> Result<TestGuard<'_>, Option<Deadlock>> {
        let me = tid::current().get();
        let site = Location::caller();
        let mut w = Waiter::new(
            WaitKind::Lock,
            self,
            self.meta,
            Owner::Probe {
                data: self as *const TestLock as *const (),
                probe: lock_owner,
            },
            site,
            None,
        );
        loop {
            if self.abort.load(Ordering::Acquire) {
                return Err(None);
            }
            if self
                .word
                .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                drop(w);
                hooks::acquired(WaitKind::Lock, self.key(), self.meta, site);
                return Ok(TestGuard(self));
            }
            // SAFETY: the key is this lock's address; the callbacks only
            // read atomics and cannot panic or park.
            let r = unsafe {
                w.park(
                    self.key(),
                    || {
                        self.word.load(Ordering::Relaxed) != 0
                            && !self.abort.load(Ordering::Relaxed)
                    },
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            if let Park::Deadlock(d) = r {
                return Err(Some(d));
            }
        }
    }

    fn release(&self) {
        self.word.store(0, Ordering::Release);
        hooks::released(self.key());
        // SAFETY: the key is this lock's address; the callback is trivial.
        unsafe {
            wait::unpark_one(self.key(), |_| wait::DEFAULT_UNPARK_TOKEN);
        }
    }

    fn abort_all(&self) {
        self.abort.store(true, Ordering::Release);
        // SAFETY: as in `release`.
        unsafe {
            wait::unpark_all(self.key(), wait::DEFAULT_UNPARK_TOKEN);
        }
    }
}

/// A wait with a fixed set of owners until `done` is set: models a join
/// (`Owner::Thread`) or a future queued in a pool (any of several workers).
struct TestWait {
    done: AtomicBool,
    owners: Mutex<Vec<Tid>>,
}

unsafe fn wait_owners(data: *const ()) -> Vec<Tid> {
    // SAFETY: `data` is a live `TestWait` (borrowed by the waiter).
    let w = unsafe { &*(data as *const TestWait) };
    w.owners
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

impl TestWait {
    fn new(owners: Vec<Tid>) -> TestWait {
        TestWait {
            done: AtomicBool::new(false),
            owners: Mutex::new(owners),
        }
    }

    #[track_caller]
    fn wait(&self, kind: WaitKind, owner: Owner) -> Result<(), Deadlock> {
        let mut w = Waiter::new(kind, self, Meta::here(), owner, Location::caller(), None);
        let key = self as *const TestWait as usize;
        while !self.done.load(Ordering::Acquire) {
            // SAFETY: key is this object's address; callbacks trivial.
            let r = unsafe {
                w.park(
                    key,
                    || !self.done.load(Ordering::Relaxed),
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            if let Park::Deadlock(d) = r {
                return Err(d);
            }
        }
        Ok(())
    }

    fn probe_owner(&self) -> Owner {
        Owner::Probe {
            data: self as *const TestWait as *const (),
            probe: wait_owners,
        }
    }

    fn finish(&self) {
        self.done.store(true, Ordering::Release);
        // SAFETY: key is this object's address.
        unsafe {
            wait::unpark_all(self as *const TestWait as usize, wait::DEFAULT_UNPARK_TOKEN);
        }
    }
}

fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .expect("spawn")
}

/// Two threads, two locks, opposite orders: exactly one fails, with a report
/// naming both threads and both locks; the other goes on.
#[test]
fn two_locks_opposite_order() {
    let _g = serial();
    let a = Arc::new(TestLock::new("account_a"));
    let b = Arc::new(TestLock::new("account_b"));
    let barrier = Arc::new(Barrier::new(2));
    let fails = Arc::new(AtomicUsize::new(0));
    let reports = Arc::new(Mutex::new(Vec::<Deadlock>::new()));
    let mut hs = Vec::new();
    for (name, first, second) in [
        ("worker-1", a.clone(), b.clone()),
        ("worker-2", b.clone(), a.clone()),
    ] {
        let (barrier, fails, reports) = (barrier.clone(), fails.clone(), reports.clone());
        hs.push(spawn(name, move || {
            let _g1 = first.acquire().expect("first lock");
            barrier.wait();
            match second.acquire() {
                Ok(_g2) => {}
                Err(d) => {
                    fails.fetch_add(1, Ordering::SeqCst);
                    reports.lock().unwrap().push(d.expect("a deadlock"));
                }
            }
        }));
    }
    for h in hs {
        h.join().expect("no panic");
    }
    assert_eq!(fails.load(Ordering::SeqCst), 1);
    let d = reports.lock().unwrap().pop().unwrap();
    let text = d.to_string();
    assert!(
        text.starts_with("deadlock: 2 threads wait on each other"),
        "{text}"
    );
    for needle in [
        "\"worker-1\"",
        "\"worker-2\"",
        "Lock \"account_a\"",
        "Lock \"account_b\"",
        "acquired at",
        "tests.rs",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    let details = d.details();
    assert_eq!(details.cycle.len(), 2);
    assert!(details.victim_fails);
    assert!(details.acquisition_sites_recorded);
    for t in &details.cycle {
        assert_eq!(t.waits_for.held_by.len(), 1);
        assert!(t.holds.iter().any(|h| h.acquired_at.is_some()));
        assert!(!t.waits_for.timed);
    }
    // The structured form round-trips through JSON.
    let back: DeadlockReport = serde_json::from_str(&d.to_json()).expect("json");
    assert_eq!(&back, details);
}

/// Without held-lock tracking the report still names threads and locks
/// (held locks derived from the waiters' owners) and says how to get sites.
#[test]
fn report_without_tracking() {
    let _g = serial();
    set_tracking(false);
    let a = Arc::new(TestLock::new("left"));
    let b = Arc::new(TestLock::new("right"));
    let barrier = Arc::new(Barrier::new(2));
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut hs = Vec::new();
    for (name, first, second) in [
        ("t-left", a.clone(), b.clone()),
        ("t-right", b.clone(), a.clone()),
    ] {
        let (barrier, out) = (barrier.clone(), out.clone());
        hs.push(spawn(name, move || {
            let _g1 = first.acquire().expect("first");
            barrier.wait();
            if let Err(d) = second.acquire() {
                out.lock().unwrap().push(d.expect("deadlock"));
            }
        }));
    }
    for h in hs {
        h.join().unwrap();
    }
    let d = out.lock().unwrap().pop().expect("one report");
    let text = d.to_string();
    assert!(text.contains("holds Lock \"left\""), "{text}");
    assert!(text.contains("holds Lock \"right\""), "{text}");
    assert!(
        text.contains("acquisition sites were not recorded"),
        "{text}"
    );
    assert!(!d.details().acquisition_sites_recorded);
}

/// A cycle of three threads.
#[test]
fn three_thread_cycle() {
    let _g = serial();
    let locks: Vec<Arc<TestLock>> = ["l0", "l1", "l2"]
        .iter()
        .map(|n| Arc::new(TestLock::new(n)))
        .collect();
    let barrier = Arc::new(Barrier::new(3));
    let fails = Arc::new(Mutex::new(Vec::new()));
    let mut hs = Vec::new();
    for i in 0..3 {
        let first = locks[i].clone();
        let second = locks[(i + 1) % 3].clone();
        let (barrier, fails) = (barrier.clone(), fails.clone());
        hs.push(spawn(&format!("ring-{i}"), move || {
            let _g1 = first.acquire().unwrap();
            barrier.wait();
            if let Err(d) = second.acquire() {
                fails.lock().unwrap().push(d.unwrap());
            }
        }));
    }
    for h in hs {
        h.join().unwrap();
    }
    let fails = fails.lock().unwrap();
    assert_eq!(fails.len(), 1, "exactly one victim");
    let text = fails[0].to_string();
    assert!(
        text.starts_with("deadlock: 3 threads wait on each other"),
        "{text}"
    );
    for n in ["ring-0", "ring-1", "ring-2", "\"l0\"", "\"l1\"", "\"l2\""] {
        assert!(text.contains(n), "{n} missing in\n{text}");
    }
}

/// A lock re-acquired by its owner.
#[test]
fn self_deadlock() {
    let _g = serial();
    let h = spawn("selfish", || {
        let l = TestLock::new("once");
        let _g = l.acquire().unwrap();
        let started = Instant::now();
        let e = l
            .acquire()
            .err()
            .expect("second acquire fails")
            .expect("deadlock");
        (e, started.elapsed())
    });
    let (d, waited) = h.join().unwrap();
    assert!(waited >= detection_delay(), "detection waited the delay");
    let text = d.to_string();
    assert!(
        text.starts_with("deadlock: 1 thread waits on itself"),
        "{text}"
    );
    assert!(text.contains("\"selfish\" holds Lock \"once\""), "{text}");
}

/// A thread holding a lock joins a thread that waits for that lock.
#[test]
fn hold_and_join() {
    let _g = serial();
    let lock = Arc::new(TestLock::new("shared"));
    let target = Arc::new(TestWait::new(Vec::new()));
    let held = Arc::new(Barrier::new(2));
    let guard = lock.acquire().unwrap();
    // The joined thread: waits for the lock, then finishes.
    let (tx, rx) = std::sync::mpsc::channel();
    let (l2, t2, held2) = (lock.clone(), target.clone(), held.clone());
    let child = spawn("child", move || {
        tx.send(tid::current()).unwrap();
        held2.wait();
        let r = l2.acquire().map(drop).map_err(|e| e.unwrap());
        t2.finish();
        r
    });
    let child_tid = rx.recv().unwrap();
    held.wait();
    let joined = target.wait(WaitKind::Join, Owner::Thread(child_tid));
    let child_result = match joined {
        // The joiner was the victim: release the lock so the child ends.
        Err(d) => {
            assert!(d.to_string().contains("waits to join \"child\""), "{d}");
            drop(guard);
            child.join().unwrap()
        }
        Ok(()) => {
            drop(guard);
            child.join().unwrap()
        }
    };
    if let Err(d) = child_result {
        assert!(d.to_string().contains("waits for Lock \"shared\""), "{d}");
    }
}

/// A worker waits for a future queued behind it in a saturated pool of two
/// workers, the other worker doing the same: any-of waits forming a knot.
#[test]
fn saturated_pool_knot() {
    let _g = serial();
    let start = Arc::new(Barrier::new(3));
    let futs = Arc::new([TestWait::new(Vec::new()), TestWait::new(Vec::new())]);
    let tids = Arc::new(Mutex::new(Vec::new()));
    let fails = Arc::new(AtomicUsize::new(0));
    let mut hs = Vec::new();
    for i in 0..2 {
        let (start, futs, tids, fails) = (start.clone(), futs.clone(), tids.clone(), fails.clone());
        hs.push(spawn(&format!("pool-worker-{i}"), move || {
            tids.lock().unwrap().push(tid::current());
            start.wait();
            start.wait();
            let f = &futs[i];
            match f.wait(WaitKind::Future, f.probe_owner()) {
                Ok(()) => {}
                Err(d) => {
                    assert!(d.to_string().contains("which any of"), "{d}");
                    fails.fetch_add(1, Ordering::SeqCst);
                    // The victim "finishes" the other future, like a pool
                    // worker that moves on to the queued task.
                    futs[1 - i].finish();
                }
            }
        }));
    }
    start.wait();
    let all = tids.lock().unwrap().clone();
    for f in futs.iter() {
        *f.owners.lock().unwrap() = all.clone();
    }
    start.wait();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(fails.load(Ordering::SeqCst), 1);
}

/// No report when the owner of an any-of wait is running.
#[test]
fn any_of_with_running_owner_is_no_deadlock() {
    let _g = serial();
    let fut = Arc::new(TestWait::new(vec![tid::current()]));
    let f2 = fut.clone();
    let waiter = spawn("waiting-worker", move || {
        f2.wait(WaitKind::Future, f2.probe_owner())
            .map_err(|d| d.to_string())
    });
    // Two detection delays pass while this (running) thread owns it.
    std::thread::sleep(detection_delay() * 2 + Duration::from_millis(100));
    fut.finish();
    assert_eq!(waiter.join().unwrap(), Ok(()));
}

/// Correct, heavily contended code with the detector on (short delay):
/// no false report, and every increment counted.
#[test]
fn stress_no_false_positive() {
    let _g = serial();
    let locks: Arc<Vec<TestLock>> = Arc::new(vec![
        TestLock::new("s0"),
        TestLock::new("s1"),
        TestLock::new("s2"),
    ]);
    let count = Arc::new(AtomicUsize::new(0));
    let threads = 6;
    let iters = 3000;
    let hs: Vec<_> = (0..threads)
        .map(|i| {
            let (locks, count) = (locks.clone(), count.clone());
            spawn(&format!("stress-{i}"), move || {
                for k in 0..iters {
                    // Always in index order: no deadlock is possible.
                    let g0 = locks[0].acquire().expect("no false deadlock");
                    let g1 = if k % 2 == 0 {
                        Some(locks[1].acquire().expect("no false deadlock"))
                    } else {
                        None
                    };
                    let _g2 = locks[2].acquire().expect("no false deadlock");
                    drop(g1);
                    drop(g0);
                    count.fetch_add(1, Ordering::Relaxed);
                    if k % 64 == 0 {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().expect("no thread failed");
    }
    assert_eq!(count.load(Ordering::Relaxed), threads * iters);
}

/// Policy::Report: the deadlock is reported once through the hook and every
/// thread keeps waiting.
#[test]
fn report_policy_keeps_waiting() {
    let _g = serial();
    set_policy(Policy::Report);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = seen.clone();
    set_report_hook(move |i| {
        if let Incident::Deadlock(d) = i {
            sink.lock().unwrap().push(d.to_string());
        }
    });
    let a = Arc::new(TestLock::new("rep_a"));
    let b = Arc::new(TestLock::new("rep_b"));
    let barrier = Arc::new(Barrier::new(2));
    let mut hs = Vec::new();
    for (name, first, second) in [
        ("rep-1", a.clone(), b.clone()),
        ("rep-2", b.clone(), a.clone()),
    ] {
        let barrier = barrier.clone();
        hs.push(spawn(name, move || {
            let _g1 = first.acquire().unwrap();
            barrier.wait();
            match second.acquire() {
                Err(None) => "aborted",
                Err(Some(_)) => "failed",
                Ok(_) => "acquired",
            }
        }));
    }
    let t0 = Instant::now();
    while seen.lock().unwrap().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(30), "no report");
        std::thread::sleep(Duration::from_millis(10));
    }
    // More detection periods: no second report, nobody failed.
    std::thread::sleep(detection_delay() + Duration::from_millis(200));
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(seen.lock().unwrap()[0].contains("policy is Report"));
    a.abort_all();
    b.abort_all();
    for h in hs {
        assert_eq!(h.join().unwrap(), "aborted");
    }
}

/// Policy::Off: never checked.
#[test]
fn policy_off_never_checks() {
    let _g = serial();
    set_policy(Policy::Off);
    let l = Arc::new(TestLock::new("off"));
    let l2 = l.clone();
    let h = spawn("off-thread", move || {
        let _g = l2.acquire().unwrap();
        match l2.acquire() {
            Err(None) => "aborted",
            Err(Some(_)) => "failed",
            Ok(_) => "acquired",
        }
    });
    std::thread::sleep(detection_delay() + Duration::from_millis(200));
    l.abort_all();
    assert_eq!(h.join().unwrap(), "aborted");
}

/// The seeds' lock-order example, run so the threads never overlap: the
/// inversion is still flagged, once, with both acquisition paths.
#[test]
fn lock_order_inversion_flagged_without_hang() {
    let _g = serial();
    set_lock_order_checking(true);
    clear_lock_order_graph();
    let seen = Arc::new(Mutex::new(Vec::<LockOrderViolation>::new()));
    let sink = seen.clone();
    set_lock_order_hook(move |v| sink.lock().unwrap().push(v.clone()));
    let a = Arc::new(TestLock::new("lock_a"));
    let b = Arc::new(TestLock::new("lock_b"));
    for round in 0..3 {
        let (a1, b1) = (a.clone(), b.clone());
        spawn(&format!("first-{round}"), move || {
            let _x = a1.acquire().unwrap();
            let _y = b1.acquire().unwrap();
        })
        .join()
        .unwrap();
        let (a2, b2) = (a.clone(), b.clone());
        spawn(&format!("second-{round}"), move || {
            let _y = b2.acquire().unwrap();
            let _x = a2.acquire().unwrap();
        })
        .join()
        .unwrap();
    }
    // Other modules' tests may run meanwhile: look at this test's locks only.
    let mine = |v: &LockOrderViolation| v.to_string().contains("\"lock_a\"");
    let v: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|v| mine(v))
        .cloned()
        .collect();
    assert_eq!(v.len(), 1, "reported once per cycle");
    let text = v[0].to_string();
    assert!(text.starts_with("potential deadlock"), "{text}");
    assert!(
        text.contains("\"second-0\" acquired Lock \"lock_b\""),
        "{text}"
    );
    assert!(
        text.contains("\"first-0\" acquired Lock \"lock_a\""),
        "{text}"
    );
    assert_eq!(v[0].edges.len(), 2);
    let back: LockOrderViolation = serde_json::from_str(&v[0].to_json()).unwrap();
    assert_eq!(back, v[0]);
    // A consistent order adds no report.
    let c = TestLock::new("lock_c");
    {
        let _x = a.acquire().unwrap();
        let _z = c.acquire().unwrap();
    }
    assert_eq!(seen.lock().unwrap().iter().filter(|v| mine(v)).count(), 1);
}

/// A hook that panics makes the acquire that closes the cycle panic.
#[test]
fn lock_order_hook_can_panic() {
    let _g = serial();
    set_lock_order_checking(true);
    clear_lock_order_graph();
    set_lock_order_hook(|v| {
        if v.to_string().contains("\"p_a\"") {
            panic!("{v}")
        }
    });
    let a = TestLock::new("p_a");
    let b = TestLock::new("p_b");
    {
        let _x = a.acquire().unwrap();
        let _y = b.acquire().unwrap();
    }
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _y = b.acquire().unwrap();
        let _x = a.acquire().unwrap();
    }));
    let msg = r.expect_err("panics").downcast::<String>().unwrap();
    assert!(msg.contains("potential deadlock"), "{msg}");
}

/// The dump shows who waits for what, held by whom, for how long, and where
/// held locks were acquired; it serialises to JSON.
#[test]
fn dump_shows_waits_and_holders() {
    let _g = serial();
    let l = Arc::new(TestLock::new("dumped"));
    let held = Arc::new(Barrier::new(2));
    let release = Arc::new(TestWait::new(Vec::new()));
    let (l1, held1, rel1) = (l.clone(), held.clone(), release.clone());
    let holder = spawn("holder", move || {
        let _g = l1.acquire().unwrap();
        held1.wait();
        rel1.wait(WaitKind::Event, Owner::None).unwrap();
    });
    held.wait();
    let l2 = l.clone();
    let waiter = spawn("waiter", move || {
        drop(l2.acquire().unwrap());
    });
    // Wait until the dump shows the waiter blocked.
    let d = loop {
        let d = dump();
        let w = d.threads.iter().find(|t| t.thread.name == "waiter");
        if w.is_some_and(|t| t.waiting.is_some()) {
            break d;
        }
        std::thread::yield_now();
    };
    let text = d.to_string();
    assert!(text.contains("\"waiter\""), "{text}");
    assert!(text.contains("waits for Lock \"dumped\""), "{text}");
    assert!(text.contains("held by \"holder\""), "{text}");
    assert!(text.contains("untimed"), "{text}");
    let h = d
        .threads
        .iter()
        .find(|t| t.thread.name == "holder")
        .unwrap();
    assert!(h.holds.iter().any(|x| {
        x.lock.name.as_deref() == Some("dumped")
            && x.acquired_at
                .as_deref()
                .is_some_and(|s| s.contains("tests.rs"))
    }));
    let back: ThreadDump = serde_json::from_str(&d.to_json()).unwrap();
    assert_eq!(back, d);
    release.finish();
    holder.join().unwrap();
    waiter.join().unwrap();
    // Nothing is held any more.
    let d = dump();
    for name in ["holder", "waiter"] {
        assert!(
            d.threads
                .iter()
                .filter(|t| t.thread.name == name)
                .all(|t| t.holds.is_empty())
        );
    }
}

/// Statistics: acquisitions and contended acquisitions per lock, the
/// longest waiter, and starvation.
#[test]
fn contention_stats() {
    let _g = serial();
    set_stats(true);
    reset_stats();
    set_starvation_threshold(Duration::from_millis(30));
    let l = Arc::new(TestLock::new("counted"));
    let g = l.acquire().unwrap();
    let l2 = l.clone();
    let w = spawn("patient", move || drop(l2.acquire().unwrap()));
    // Once the waiter is parked, keep it waiting for 60 ms.
    while !dump()
        .threads
        .iter()
        .any(|t| t.thread.name == "patient" && t.waiting.is_some())
    {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(60));
    drop(g);
    // Hand the lock around while the waiter may be woken.
    w.join().unwrap();
    for _ in 0..10 {
        drop(l.acquire().unwrap());
    }
    let s = stats();
    let e = s
        .locks
        .iter()
        .find(|x| x.lock.name.as_deref() == Some("counted"))
        .expect("entry");
    assert_eq!(e.acquisitions, 12);
    assert!(e.contended >= 1);
    assert!(e.max_wait_us >= 60_000, "{e:?}");
    assert_eq!(e.longest_waiter.as_ref().unwrap().name, "patient");
    assert!(s.to_string().contains("counted"));
    set_stats(false);
    set_starvation_threshold(DEFAULT_STARVATION);
}

/// Starvation: a waiter passed over for longer than the threshold while
/// another thread keeps re-acquiring.
#[test]
fn starvation_reported() {
    let _g = serial();
    set_stats(true);
    reset_stats();
    set_starvation_threshold(Duration::from_millis(20));
    let l = Arc::new(TestLock::new("greedy"));
    let stop = Arc::new(AtomicBool::new(false));
    let (l1, stop1) = (l.clone(), stop.clone());
    let greedy = spawn("greedy", move || {
        let t0 = Instant::now();
        while !stop1.load(Ordering::Relaxed) && t0.elapsed() < Duration::from_millis(300) {
            let _g = l1.acquire().unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let l2 = l.clone();
    let polite = spawn("polite", move || {
        let t0 = Instant::now();
        let _g = l2.acquire().unwrap();
        t0.elapsed()
    });
    let waited = polite.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    greedy.join().unwrap();
    let s = stats();
    if waited >= Duration::from_millis(40) {
        assert!(
            s.starvation.iter().any(|x| x.thread.name == "polite"),
            "{s}"
        );
    }
    set_stats(false);
    set_starvation_threshold(DEFAULT_STARVATION);
}

/// Every thread blocked on unowned waits (Event-like), none timed: reported
/// once as a possible deadlock with a dump, nobody failed.
#[test]
fn stall_reported_once_as_possible_deadlock() {
    let _g = serial();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = seen.clone();
    set_report_hook(move |i| {
        if let Incident::PossibleDeadlock(_) = i {
            sink.lock().unwrap().push(i.to_string());
        }
    });
    // The libtest main thread runs no threadkit code here: stand in for it
    // with an untimed unowned record, as if it were blocked on an Event.
    let main = crate::registry::main_info();
    let main_event = TestWait::new(Vec::new());
    main.wait.publish(crate::wait::WaitRecord {
        kind: WaitKind::Event,
        object: &main_event as *const TestWait as usize,
        meta: Meta::here(),
        owner: Owner::None,
        site: Location::caller(),
        since: Instant::now(),
        timed: false,
        victim: false,
    });
    let events = Arc::new([TestWait::new(Vec::new()), TestWait::new(Vec::new())]);
    let hs: Vec<_> = (0..2)
        .map(|i| {
            let events = events.clone();
            spawn(&format!("stalled-{i}"), move || {
                events[i]
                    .wait(WaitKind::Event, Owner::None)
                    .map_err(|d| d.to_string())
            })
        })
        .collect();
    let t0 = Instant::now();
    while seen.lock().unwrap().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(30), "no stall report");
        std::thread::sleep(Duration::from_millis(10));
    }
    // More checks of both threads: still one report.
    std::thread::sleep(detection_delay() + Duration::from_millis(200));
    main.wait.clear();
    for e in events.iter() {
        e.finish();
    }
    for h in hs {
        assert_eq!(h.join().unwrap(), Ok(()), "nobody is failed");
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "reported once");
    let text = &seen[0];
    assert!(text.starts_with("possible deadlock"), "{text}");
    for n in [
        "\"stalled-0\"",
        "\"stalled-1\"",
        "\"MainThread\"",
        "waits for Event",
    ] {
        assert!(text.contains(n), "{n} missing in {text}");
    }
}
