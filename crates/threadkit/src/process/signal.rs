//! `Signal`: an event count, the one way the process module's threads wait.
//!
//! Every waiting place of the module (a `Process` join, a pool's writer
//! threads waiting for work, a task handle waiting for its result) checks a
//! condition on data kept under a short `std::sync::Mutex` (never held while
//! waiting), and sleeps on a `Signal` until the condition may have changed.
//! Changers update the data first, then call [`Signal::notify_all`].
//!
//! # State word
//!
//! | bits      | meaning                                                    |
//! | --------- | ---------------------------------------------------------- |
//! | bit 0     | `PARKED`: a waiter may be asleep on this signal            |
//! | bits 1-31 | epoch: incremented by every `notify_all` (wraps around)    |
//!
//! # Protocol (no lost wake-up)
//!
//! A waiter reads the epoch `e`, checks its condition, and parks with a
//! `validate` (run under the parking lot's bucket lock) that sets `PARKED`
//! and lets the park go on only if the epoch is still `e`. A notifier bumps
//! the epoch and, if the word it replaced had `PARKED`, unparks every waiter
//! and clears `PARKED` in the unpark callback (also under the bucket lock).
//!
//! Both the validate's `fetch_or` and the notifier's `fetch_add` are
//! read-modify-writes of the same word, so one comes first in its
//! modification order: if the notifier's comes first, the waiter sees a new
//! epoch and re-checks; if the waiter's comes first, the notifier sees
//! `PARKED` and wakes it (the waiter is already queued, because validate and
//! enqueue happen under the same bucket lock the unpark takes). The callback
//! clearing `PARKED` runs under that lock too, after every queued waiter was
//! taken, so it never hides a waiter that validated earlier.

use std::panic::Location;
use std::time::Instant;

use crate::diagnostics::Deadlock;
use crate::loom::sync::atomic::{AtomicU32, Ordering};
use crate::wait::{self, Meta, Owner, Park, WaitKind, Waiter};

/// Bit 0 of the state word (see the module docs).
const PARKED: u32 = 1;
/// One epoch step.
const EPOCH: u32 = 2;

/// How a [`Signal::wait_until`] ended without its condition.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The deadline passed (never early) and the condition is still false.
    TimedOut,
    /// The deadlock detector chose this waiter.
    Deadlock(Deadlock),
}

/// An event count (see the module docs).
#[derive(Debug)]
pub(crate) struct Signal {
    state: AtomicU32,
}

impl Signal {
    /// A signal nobody waits on.
    pub(crate) fn new() -> Self {
        Signal {
            state: AtomicU32::new(0),
        }
    }

    /// Wakes every waiter so it re-checks its condition. Call it after the
    /// data the condition reads has changed.
    #[inline]
    pub(crate) fn notify_all(&self) {
        // AcqRel: the increment publishes the changer's data to a waiter
        // that reads the new epoch (Release) and is ordered with the
        // waiter's `fetch_or` on the same word (see the module docs).
        let old = self.state.fetch_add(EPOCH, Ordering::AcqRel);
        if old & PARKED != 0 {
            self.wake();
        }
    }

    #[cold]
    fn wake(&self) {
        let key = self as *const Signal as usize;
        // SAFETY: `key` is this signal's address, which only this module
        // parks on; the filter and callback neither panic nor park.
        unsafe {
            wait::unpark_filter(
                key,
                |_| wait::FilterOp::Unpark,
                |_| {
                    // Relaxed: under the bucket lock, which orders it with
                    // every waiter's validate (see the module docs).
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                    wait::DEFAULT_UNPARK_TOKEN
                },
            );
        }
    }

    /// Blocks until `ready()` returns `true` (then `Ok`), or the deadline
    /// passes with `ready()` still false, or the detector fails the wait.
    ///
    /// `ready` is called with no lock held by this function; it takes what
    /// it needs itself. It is always called once more after a time-out, so
    /// a condition that became true at the deadline is not missed.
    #[track_caller]
    pub(crate) fn wait_until(
        &self,
        kind: WaitKind,
        deadline: Option<Instant>,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), Stop> {
        // Acquire: pairs with the Release of `notify_all`.
        let mut epoch = self.state.load(Ordering::Acquire) & !PARKED;
        if ready() {
            return Ok(());
        }
        self.wait_slow(kind, deadline, &mut ready, &mut epoch, Location::caller())
    }

    #[cold]
    fn wait_slow(
        &self,
        kind: WaitKind,
        deadline: Option<Instant>,
        ready: &mut dyn FnMut() -> bool,
        epoch: &mut u32,
        site: &'static Location<'static>,
    ) -> Result<(), Stop> {
        let key = self as *const Signal as usize;
        let mut w = Waiter::new(kind, self, Meta::default(), Owner::None, site, deadline);
        loop {
            if w.timed_out() {
                return if ready() { Ok(()) } else { Err(Stop::TimedOut) };
            }
            let e = *epoch;
            // SAFETY: `key` is this signal's address; validate only does an
            // atomic RMW and a compare (no panic, no park); the other
            // callbacks do nothing.
            let r = unsafe {
                w.park(
                    key,
                    || {
                        // AcqRel: see the module docs (ordered with the
                        // notifier's fetch_add on the same word).
                        let s = self.state.fetch_or(PARKED, Ordering::AcqRel);
                        s & !PARKED == e
                    },
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            match r {
                Park::Unparked(_) | Park::Invalid | Park::Retry | Park::TimedOut => {
                    // Acquire: pairs with the Release of `notify_all`.
                    *epoch = self.state.load(Ordering::Acquire) & !PARKED;
                    if ready() {
                        return Ok(());
                    }
                }
                Park::Deadlock(d) => return Err(Stop::Deadlock(d)),
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use crate::loom::sync::atomic::AtomicBool;

    #[test]
    fn loom_signal_no_lost_wakeup() {
        loom::model(|| {
            let s = Arc::new((Signal::new(), AtomicBool::new(false)));
            let s2 = s.clone();
            let t = loom::thread::spawn(move || {
                s2.1.store(true, Ordering::Release);
                s2.0.notify_all();
            });
            s.0.wait_until(WaitKind::Other, None, || s.1.load(Ordering::Acquire))
                .unwrap();
            t.join().unwrap();
        });
    }

    #[test]
    fn loom_signal_two_waiters() {
        loom::model(|| {
            let s = Arc::new((Signal::new(), AtomicBool::new(false)));
            let s2 = s.clone();
            let s3 = s.clone();
            let w = loom::thread::spawn(move || {
                s3.0.wait_until(WaitKind::Other, None, || s3.1.load(Ordering::Acquire))
                    .unwrap();
            });
            let t = loom::thread::spawn(move || {
                s2.1.store(true, Ordering::Release);
                s2.0.notify_all();
            });
            s.0.wait_until(WaitKind::Other, None, || s.1.load(Ordering::Acquire))
                .unwrap();
            t.join().unwrap();
            w.join().unwrap();
        });
    }
}
