//! Python's exit rule: the program ends when only daemon threads are left.
//!
//! CPython's interpreter joins every non-daemon thread before it exits.
//! Rust's `main` returning ends the process at once, so threadkit gives the
//! rule as one call ([`wait_for_non_daemon_threads`]) or one guard
//! ([`main_guard`]) at the end of `main`.
//!
//! # State word (`NON_DAEMON`, one `AtomicU64`)
//!
//! | bits   | meaning                                                          |
//! |--------|------------------------------------------------------------------|
//! | 0..32  | `running`: non-daemon threadkit threads starting or running      |
//! | 32..64 | `waiting`: how many of those are inside `wait_for_non_daemon_threads` |
//!
//! A call returns once `running == waiting`: every non-daemon thread has
//! finished or is itself waiting here (so two non-daemon threads calling it
//! at once do not wait for each other forever).
//!
//! `start()` adds one to `running` *before* spawning (so a thread started by
//! another thread is counted before its parent can finish), and takes it
//! back if the spawn fails; the child takes its one back as its very last
//! action, after it was unlisted and its joiners were woken. Every change
//! that makes `running == waiting` true unparks all waiters; a waiter parks
//! on the word's address with `validate = running != waiting`, which the
//! parking lot runs under the bucket lock that the unparker takes after its
//! change, so no wake-up is lost.

use std::panic::Location;
use std::time::{Duration, Instant};

use super::error::ThreadError;
use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::wait::deadline_after;
use crate::wait::{self, DEFAULT_PARK_TOKEN, Meta, Owner, Park, WaitKind, Waiter};

crate::loom::thread_local! {
    /// Whether the calling thread is a non-daemon threadkit thread.
    static COUNTED: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

const RUNNING_ONE: u64 = 1;
const WAITING_ONE: u64 = 1 << 32;

#[cfg(not(loom))]
static NON_DAEMON: AtomicU64 = AtomicU64::new(0);

#[cfg(loom)]
loom::lazy_static! {
    static ref NON_DAEMON: AtomicU64 = AtomicU64::new(0);
}

fn word() -> &'static AtomicU64 {
    &NON_DAEMON
}

fn settled(v: u64) -> bool {
    (v & 0xffff_ffff) == (v >> 32)
}

/// Wakes every waiter if `v` (the word after a change) lets them go.
fn wake_if_settled(v: u64) {
    if settled(v) {
        let key = word() as *const AtomicU64 as usize;
        // SAFETY: the key is the word's address; the token is a value.
        unsafe {
            wait::unpark_all(key, wait::DEFAULT_UNPARK_TOKEN);
        }
    }
}

/// A non-daemon thread is about to be spawned. Relaxed: the count orders
/// no data; waiters re-check it under the parking lot's bucket lock.
pub(crate) fn add() {
    word().fetch_add(RUNNING_ONE, Ordering::Relaxed);
}

/// Marks the calling thread as counted (a non-daemon threadkit thread).
pub(crate) fn mark_counted() {
    let _ = COUNTED.try_with(|c| c.set(true));
}

/// A non-daemon thread finished (or failed to spawn). Release: what the
/// thread did happens-before a waiter's `Acquire` load of the new value.
pub(crate) fn remove() {
    let v = word().fetch_sub(RUNNING_ONE, Ordering::Release) - RUNNING_ONE;
    wake_if_settled(v);
}

/// Blocks until every non-daemon thread started by threadkit has finished,
/// including threads started by other threads while this call waits.
///
/// This is what CPython does when the main thread's code ends: call it (or
/// hold a [`main_guard`]) at the end of `main`. Daemon threads never hold
/// it up; they end with the process. Called from a non-daemon threadkit
/// thread, it does not wait for that thread itself.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use threadkit::Thread;
///
/// let done = Arc::new(AtomicBool::new(false));
/// let d = done.clone();
/// // The handle is dropped: nobody joins this thread...
/// Thread::spawn(move || d.store(true, Ordering::SeqCst)).unwrap();
/// // ...yet the program does not end before it.
/// threadkit::wait_for_non_daemon_threads();
/// assert!(done.load(Ordering::SeqCst));
/// ```
#[track_caller]
pub fn wait_for_non_daemon_threads() {
    // Without a deadline the wait only ends when the threads are done.
    let _ = wait_until(None, Location::caller());
}

/// [`wait_for_non_daemon_threads`] for at most `timeout` (never less).
///
/// # Errors
///
/// [`ThreadError::Timeout`] if some non-daemon thread is still running.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// threadkit::Thread::spawn(|| ()).unwrap();
/// threadkit::wait_for_non_daemon_threads_timeout(Duration::from_secs(30)).unwrap();
/// ```
#[track_caller]
pub fn wait_for_non_daemon_threads_timeout(timeout: Duration) -> Result<(), ThreadError> {
    // A timeout too large for an Instant is "forever".
    wait_until(deadline_after(timeout), Location::caller())
}

/// Whether every non-daemon thread has finished, without blocking.
///
/// # Errors
///
/// [`ThreadError::Timeout`] if some non-daemon thread is still running.
///
/// # Examples
///
/// ```
/// let (tx, rx) = std::sync::mpsc::channel::<()>();
/// let t = threadkit::Thread::spawn(move || rx.recv().is_ok()).unwrap();
/// assert!(threadkit::try_wait_for_non_daemon_threads().is_err());
/// tx.send(()).unwrap();
/// t.join().unwrap();
/// ```
#[track_caller]
pub fn try_wait_for_non_daemon_threads() -> Result<(), ThreadError> {
    wait_until(Some(Instant::now()), Location::caller())
}

#[cold]
fn wait_until(
    deadline: Option<Instant>,
    site: &'static Location<'static>,
) -> Result<(), ThreadError> {
    let w = word();
    // Acquire: pairs with `remove`'s Release (see there).
    if settled(w.load(Ordering::Acquire)) {
        return Ok(());
    }
    let counted = COUNTED.try_with(|c| c.get()).unwrap_or(false);
    if counted {
        // AcqRel: as `remove` (this may be the change that settles it) and
        // as the load above.
        let v = w.fetch_add(WAITING_ONE, Ordering::AcqRel) + WAITING_ONE;
        wake_if_settled(v);
    }
    let key = w as *const AtomicU64 as usize;
    let result = {
        let mut waiter = Waiter::new(
            WaitKind::Join,
            w,
            Meta::ANONYMOUS,
            Owner::None,
            site,
            deadline,
        );
        loop {
            if settled(w.load(Ordering::Acquire)) {
                break Ok(());
            }
            if waiter.timed_out() {
                break Err(ThreadError::Timeout);
            }
            // SAFETY: the key is the word's address; the callbacks only load
            // an atomic (cannot panic or park).
            let r = unsafe {
                waiter.park(
                    key,
                    || !settled(w.load(Ordering::Acquire)),
                    || {},
                    |_, _| {},
                    DEFAULT_PARK_TOKEN,
                )
            };
            match r {
                Park::TimedOut => {
                    if settled(w.load(Ordering::Acquire)) {
                        break Ok(());
                    }
                    break Err(ThreadError::Timeout);
                }
                // Owner::None waits are never proven deadlocks; the rule
                // means waiting on whatever a detector says.
                Park::Unparked(_) | Park::Invalid | Park::Retry | Park::Deadlock(_) => {}
            }
        }
    };
    if counted {
        // Relaxed: leaving can only make `running == waiting` false.
        w.fetch_sub(WAITING_ONE, Ordering::Relaxed);
    }
    result
}

/// Waits for the non-daemon threads when dropped: hold one for the whole of
/// `main` (see [`main_guard`]).
#[must_use = "the guard waits when dropped: bind it to a variable that lives until the end of main"]
#[derive(Debug)]
pub struct MainGuard {
    _private: (),
}

impl Drop for MainGuard {
    fn drop(&mut self) {
        wait_for_non_daemon_threads();
    }
}

/// Returns a guard that calls [`wait_for_non_daemon_threads`] when it goes
/// out of scope, so `let _guard = threadkit::main_guard();` as the first
/// line of `main` gives a program Python's exit rule (also when `main`
/// returns early or unwinds).
///
/// # Examples
///
/// ```
/// fn main() {
///     let _guard = threadkit::main_guard();
///     threadkit::Thread::spawn(|| println!("finishes before the process exits")).unwrap();
/// } // _guard waits here
/// # main();
/// ```
pub fn main_guard() -> MainGuard {
    MainGuard { _private: () }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;

    /// A waiter and two finishing threads: the waiter always returns.
    #[test]
    fn loom_exit_rule_waits_for_all() {
        loom::model(|| {
            add();
            add();
            let a = loom::thread::spawn(remove);
            let b = loom::thread::spawn(remove);
            wait_for_non_daemon_threads();
            assert_eq!(word().load(Ordering::Acquire), 0);
            a.join().unwrap();
            b.join().unwrap();
        });
    }
}
