//! Python's exit rule: the program ends when only daemon threads are left.
//!
//! CPython's interpreter joins every non-daemon thread before it exits.
//! Rust's `main` returning ends the process at once, so threadkit gives the
//! rule as one call ([`wait_for_non_daemon_threads`]) or one guard
//! ([`main_guard`]) at the end of `main`.
//!
//! # State word (`NON_DAEMON`)
//!
//! | value | meaning                                                        |
//! |-------|----------------------------------------------------------------|
//! | `n`   | `n` non-daemon threadkit threads are starting or running       |
//!
//! `start()` adds one *before* spawning (so a thread started by another
//! thread is counted before its parent can finish), and takes it back if the
//! spawn fails; the child takes its one back as its very last action, after
//! it was unlisted and its joiners were woken. A waiter parks on the
//! counter's address with `validate = count > allowed`; a decrement that
//! leaves at most one thread unparks everyone (the one left may be the
//! waiter itself, when a non-daemon thread calls this function).

use std::panic::Location;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::wait::{self, Meta, Owner, Park, WaitKind, Waiter, DEFAULT_PARK_TOKEN};

crate::loom::thread_local! {
    /// Whether the calling thread is a non-daemon threadkit thread.
    static COUNTED: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

#[cfg(not(loom))]
static NON_DAEMON: AtomicUsize = AtomicUsize::new(0);

#[cfg(loom)]
loom::lazy_static! {
    static ref NON_DAEMON: AtomicUsize = AtomicUsize::new(0);
}

fn counter() -> &'static AtomicUsize {
    &NON_DAEMON
}

/// A non-daemon thread is about to be spawned. Relaxed: the count itself
/// orders nothing; the waiter's re-check runs under the parking lot's
/// bucket lock, which the decrement's unpark also takes.
pub(crate) fn add() {
    counter().fetch_add(1, Ordering::Relaxed);
}

/// Marks the calling thread as counted (a non-daemon threadkit thread).
pub(crate) fn mark_counted() {
    let _ = COUNTED.try_with(|c| c.set(true));
}

/// A non-daemon thread finished (or failed to spawn). Release: whatever
/// the thread did happens-before a waiter's `Acquire` load that sees the
/// lower count.
pub(crate) fn remove() {
    let c = counter();
    let before = c.fetch_sub(1, Ordering::Release);
    if before <= 2 {
        // SAFETY: the key is the counter's address; the token is a value.
        unsafe {
            wait::unpark_all(c as *const AtomicUsize as usize, wait::DEFAULT_UNPARK_TOKEN);
        }
    }
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
    let site = Location::caller();
    let allowed = usize::from(COUNTED.try_with(|c| c.get()).unwrap_or(false));
    let c = counter();
    // Acquire: pairs with `remove`'s Release (see there).
    if c.load(Ordering::Acquire) <= allowed {
        return;
    }
    let mut w = Waiter::new(WaitKind::Join, c, Meta::ANONYMOUS, Owner::None, site, None);
    loop {
        if c.load(Ordering::Acquire) <= allowed {
            return;
        }
        // SAFETY: the key is the counter's address; the callbacks only load
        // an atomic.
        let r = unsafe {
            w.park(
                c as *const AtomicUsize as usize,
                || c.load(Ordering::Acquire) > allowed,
                || {},
                |_, _| {},
                DEFAULT_PARK_TOKEN,
            )
        };
        match r {
            Park::Unparked(_) | Park::Invalid | Park::Retry | Park::TimedOut => {}
            // Owner::None waits are never chosen as deadlock victims; if a
            // future detector does, waiting on is still the rule's meaning.
            Park::Deadlock(_) => {}
        }
    }
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
            assert_eq!(counter().load(Ordering::Acquire), 0);
            a.join().unwrap();
            b.join().unwrap();
        });
    }
}
