//! `Event`: a flag threads can wait for, in one atomic word.
//!
//! # The state word
//!
//! | bits          | meaning                                                     |
//! | ------------- | ----------------------------------------------------------- |
//! | 0 (`SET`)     | the flag                                                    |
//! | 1 (`PARKED`)  | the parking queue of this event is not empty                |
//! | 2.. (`>> 2`)  | generation: how many times the flag went from clear to set |
//!
//! `PARKED` is set (in `validate`) and cleared (in the unpark and time-out
//! callbacks) only under the parking lot's bucket lock, so under that lock
//! it means exactly "someone is queued".
//!
//! # Protocol
//!
//! A waiter reads the word; if `SET` is clear it parks with the generation
//! it saw as its park token, and `validate` (under the bucket lock) parks
//! it only if the word still has that generation and no `SET`. `set()`
//! turns `SET` on and bumps the generation in one CAS; if `PARKED` was on,
//! it wakes, under the bucket lock, every waiter whose token is an older
//! generation, with a token that says "set": the waiter returns `true`
//! without reading the flag again, so a `clear()` right after `set()` cannot
//! take the wake-up back. A waiter that started after that `clear()` has
//! the new generation as its token and keeps waiting.
//!
//! # Spinning
//!
//! Before parking, a waiter spins for an adaptive number of steps (see
//! the `spin` field): spinning only pays when the setter is running on
//! another core, and costs the setter its CPU when the machine is loaded.
//!
//! # Orderings
//!
//! `set` is a `Release` CAS and `is_set`/`wait` read with `Acquire`: what
//! the setter did before `set()` is visible to whoever sees the flag. A
//! waiter woken by the token is ordered after the setter by the parking
//! lot's bucket lock. `clear` is `Relaxed`: it publishes nothing.

use std::fmt;
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::loom::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use crate::wait::{
    self, FilterOp, Meta, Owner, Park, ParkToken, Spin, UnparkToken, WaitKind, Waiter,
    deadline_after,
};

const SET: usize = 1;
const PARKED: usize = 2;
const GEN_SHIFT: u32 = 2;
/// Unpark token: the event was set while you waited.
const TOKEN_SET: UnparkToken = UnparkToken(1);
/// Most spin steps before parking: about 500 `spin_loop` hints, ~4 us
/// here, about one futex sleep and wake.
const MAX_SPIN_STEPS: u8 = 8;
/// Spin steps a new event starts with (about 30 `spin_loop` hints).
const START_SPIN_STEPS: u8 = 4;
/// With the budget at zero, one slow wait in this many still spins
/// `START_SPIN_STEPS`, to notice when spinning starts paying again.
const PROBE_EVERY: u8 = 32;

/// Python's `threading.Event`: a flag that threads wait for.
///
/// `set()` turns it on and wakes every waiter; `clear()` turns it off;
/// `wait()` returns once it is on. A waiter woken by `set()` returns `true`
/// even if `clear()` follows at once.
///
/// # Examples
///
/// ```
/// use threadkit::Event;
///
/// let ready = Event::new();
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         ready.wait();
///         println!("go!");
///     });
///     ready.set();
/// });
/// assert!(ready.is_set());
/// ```
pub struct Event {
    /// See the module docs for the layout.
    state: AtomicUsize,
    /// Adaptive spin budget (steps of the wait layer's `Spin`): one step
    /// more each time spinning saw the flag, halved each time the waiter
    /// had to park anyway (on a loaded machine the setter is often not
    /// running, and spinning only takes CPU from it). A hint: `Relaxed`,
    /// races only blur it.
    spin: AtomicU8,
    /// Counts slow waits made with a zero budget (see `PROBE_EVERY`).
    probe: AtomicU8,
    meta: Meta,
}

impl Event {
    /// A new event, not set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!threadkit::Event::new().is_set());
    /// ```
    #[track_caller]
    pub fn new() -> Event {
        Event {
            state: AtomicUsize::new(0),
            spin: AtomicU8::new(START_SPIN_STEPS),
            probe: AtomicU8::new(0),
            meta: Meta::here(),
        }
    }

    #[inline]
    fn key(&self) -> usize {
        &self.state as *const AtomicUsize as usize
    }

    /// Whether the flag is set (Python's `is_set()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = threadkit::Event::new();
    /// e.set();
    /// assert!(e.is_set());
    /// ```
    #[inline]
    pub fn is_set(&self) -> bool {
        // Acquire: seeing the flag means seeing what the setter did before.
        self.state.load(Ordering::Acquire) & SET != 0
    }

    /// Sets the flag and wakes every thread waiting for it. Setting an
    /// event that is already set does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = threadkit::Event::new();
    /// e.set();
    /// e.set();
    /// assert!(e.wait_timeout(std::time::Duration::ZERO));
    /// ```
    #[inline]
    pub fn set(&self) {
        // Relaxed: a guess for the CAS (and, when already set, there is
        // nothing to publish: the setter that set it published).
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & SET != 0 {
                return;
            }
            let new = (s | SET).wrapping_add(1 << GEN_SHIFT);
            // Release: publish the setter's writes to whoever sees `SET`.
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => {
                    if s & PARKED != 0 {
                        self.wake(new >> GEN_SHIFT);
                    }
                    return;
                }
                Err(now) => s = now,
            }
        }
    }

    /// Wakes the waiters of generations before `generation`.
    #[cold]
    fn wake(&self, generation: usize) {
        let filter = |t: ParkToken| {
            if t.0 != generation {
                FilterOp::Unpark
            } else {
                FilterOp::Skip
            }
        };
        let callback = |r: wait::UnparkResult| {
            if !r.have_more_threads {
                // Relaxed: under the bucket lock (see module docs).
                self.state.fetch_and(!PARKED, Ordering::Relaxed);
            }
            TOKEN_SET
        };
        // SAFETY: our own key; the filter compares integers and the callback
        // does one atomic operation: neither panics nor parks.
        unsafe { wait::unpark_filter(self.key(), filter, callback) };
    }

    /// Clears the flag: later `wait()` calls block until the next `set()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = threadkit::Event::new();
    /// e.set();
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    #[inline]
    pub fn clear(&self) {
        // Relaxed: clearing publishes nothing; waiters decide by the
        // generation and the unpark token, not by this bit alone.
        if self.state.load(Ordering::Relaxed) & SET != 0 {
            self.state.fetch_and(!SET, Ordering::Relaxed);
        }
    }

    /// Waits until the flag is set.
    ///
    /// # Panics
    ///
    /// If the deadlock detector picks this thread to break a deadlock (the
    /// message is the report).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = threadkit::Event::new();
    /// e.set();
    /// e.wait(); // returns at once
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait(&self) {
        if !self.is_set() {
            self.wait_slow(None, Location::caller());
        }
    }

    /// Waits until the flag is set or `timeout` has passed (never less);
    /// returns the flag, as Python's `wait(timeout)` does. A zero timeout
    /// is [`try_wait`](Self::try_wait).
    ///
    /// # Panics
    ///
    /// As for [`wait`](Self::wait) (timed waits are never chosen in
    /// practice: they end by themselves).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = threadkit::Event::new();
    /// assert!(!e.wait_timeout(Duration::from_millis(10)));
    /// e.set();
    /// assert!(e.wait_timeout(Duration::from_millis(10)));
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        if self.is_set() {
            return true;
        }
        if timeout.is_zero() {
            return false;
        }
        self.wait_slow(deadline_after(timeout), Location::caller())
    }

    /// The non-blocking form of [`wait`](Self::wait): the flag right now
    /// (the same as [`is_set`](Self::is_set)).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = threadkit::Event::new();
    /// assert!(!e.try_wait());
    /// ```
    #[inline]
    pub fn try_wait(&self) -> bool {
        self.is_set()
    }

    /// Spin, queue, sleep; shared by the timed and untimed calls. Returns
    /// the flag (`true` when woken by `set`).
    #[cold]
    fn wait_slow(&self, deadline: Option<Instant>, site: &'static Location<'static>) -> bool {
        // Relaxed: a tuning hint (see the field docs).
        let stored = self.spin.load(Ordering::Relaxed);
        let mut steps = stored;
        // Relaxed: a counter for a heuristic.
        if stored == 0 && self.probe.fetch_add(1, Ordering::Relaxed) % PROBE_EVERY == 0 {
            steps = START_SPIN_STEPS;
        }
        let mut spin = Spin::with_steps(u32::from(steps));
        while spin.spin() {
            if self.is_set() {
                self.tune(steps, true);
                return true;
            }
        }
        // A failed probe leaves the budget at zero.
        self.tune(stored, false);
        let mut waiter = Waiter::new(
            WaitKind::Event,
            self,
            self.meta,
            Owner::None,
            site,
            deadline,
        );
        loop {
            // Acquire: as in `is_set`.
            let s = self.state.load(Ordering::Acquire);
            if s & SET != 0 {
                return true;
            }
            let generation = s >> GEN_SHIFT;
            let validate = || {
                // Relaxed: under the bucket lock; a `set` this load misses
                // takes the same lock after us and finds us queued.
                let mut s = self.state.load(Ordering::Relaxed);
                loop {
                    if s & SET != 0 || s >> GEN_SHIFT != generation {
                        return false;
                    }
                    if s & PARKED != 0 {
                        return true;
                    }
                    match self.state.compare_exchange_weak(
                        s,
                        s | PARKED,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => return true,
                        Err(now) => s = now,
                    }
                }
            };
            let timed_out = |_key: usize, was_last: bool| {
                if was_last {
                    // Relaxed: under the bucket lock.
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
            };
            // SAFETY: the key is our own state word's address; `validate`
            // and `timed_out` only do atomic operations on it (no panic, no
            // parking); `before_sleep` does nothing.
            let r = unsafe {
                waiter.park(
                    self.key(),
                    validate,
                    || {},
                    timed_out,
                    ParkToken(generation),
                )
            };
            match r {
                Park::Unparked(_) => return true,
                Park::Invalid | Park::Retry => {}
                Park::TimedOut => return self.is_set(),
                Park::Deadlock(d) => panic!("{}", d.report()),
            }
        }
    }
}

impl Event {
    /// Adjusts the spin budget after a slow wait: up one step when spinning
    /// worked, halved when the waiter has to park (a loaded machine must
    /// stop wasting CPU fast; an idle one regains the budget in a few
    /// waits).
    #[inline]
    fn tune(&self, steps: u8, up: bool) {
        let new = if up {
            (steps + 1).min(MAX_SPIN_STEPS)
        } else {
            steps / 2
        };
        if new != steps {
            // Relaxed: a hint.
            self.spin.store(new, Ordering::Relaxed);
        }
    }
}

impl Default for Event {
    #[track_caller]
    fn default() -> Event {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Event>();
};

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    #[test]
    fn loom_event_set_wakes_waiter() {
        loom::model(|| {
            let e = Arc::new(Event::new());
            let e2 = e.clone();
            let t = thread::spawn(move || e2.wait());
            e.set();
            t.join().unwrap();
            assert!(e.is_set());
        });
    }

    #[test]
    fn loom_event_set_then_clear_still_wakes() {
        loom::model(|| {
            let e = Arc::new(Event::new());
            let e2 = e.clone();
            let t = thread::spawn(move || e2.wait());
            // Wait until the waiter is queued, then set and clear at once:
            // the waiter must still return.
            while e.state.load(Ordering::SeqCst) & PARKED == 0 {
                thread::yield_now();
            }
            e.set();
            e.clear();
            t.join().unwrap();
        });
    }

    #[test]
    fn loom_event_two_waiters() {
        loom::model(|| {
            let e = Arc::new(Event::new());
            let ths: Vec<_> = (0..2)
                .map(|_| {
                    let e = e.clone();
                    thread::spawn(move || e.wait())
                })
                .collect();
            e.set();
            for t in ths {
                t.join().unwrap();
            }
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// CPython gh-57711: a waiter blocked in `wait` returns true even when
    /// `clear()` follows `set()` before it runs.
    #[test]
    fn woken_by_set_returns_true_after_clear() {
        for _ in 0..20 {
            let e = Event::new();
            std::thread::scope(|s| {
                let h = s.spawn(|| e.wait_timeout(Duration::from_secs(60)));
                // Queued: `PARKED` is set under the bucket lock right before
                // the waiter is enqueued.
                while e.state.load(Ordering::SeqCst) & PARKED == 0 {
                    std::thread::yield_now();
                }
                e.set();
                e.clear();
                assert!(h.join().unwrap());
            });
        }
    }
}
