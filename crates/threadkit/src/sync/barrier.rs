//! `Barrier`: CPython's barrier state machine in one atomic word.
//!
//! # The state word (`u64`)
//!
//! | bits          | meaning                                                     |
//! | ------------- | ----------------------------------------------------------- |
//! | 0..2 (state)  | `FILLING` 0, `DRAINING` 1, `RESETTING` 2, `BROKEN` 3        |
//! | 2 (`PASSED`)  | the threads inside have all passed their round              |
//! | 3..32 (count) | threads inside `wait` (arrived and not yet left)            |
//! | 32..64 (epoch)| bumped by every state change, so sleepers notice it         |
//!
//! # Protocol (the same states as CPython's `threading.Barrier`)
//!
//! - **Filling**: threads arrive (`count += 1`, the old count is the
//!   arrival index) and sleep until the state changes. The thread that
//!   makes `count == parties` runs the action (outside any lock, with the
//!   word still filling, so extra threads wait), then switches to
//!   **draining** and wakes everyone: each waiter sees draining and
//!   passes.
//! - Every thread leaving `wait` decrements `count`; the last one to leave
//!   a draining (or resetting) barrier switches it back to filling and wakes
//!   the threads that arrived meanwhile. So a generation never starts
//!   before every thread of the previous one has seen how it ended:
//!   generations never mix.
//! - `PASSED` is set with `DRAINING` and cleared when the barrier opens
//!   for the next round (or the last thread leaves a broken one): a thread
//!   whose round passed still passes if `abort()` or `reset()` comes before
//!   it wakes up (CPython would report `BrokenBarrierError` then).
//! - **Broken** (a timeout, `abort()`, a panicking action): every waiter
//!   and every later arrival fails with [`BarrierError::Broken`] until
//!   `reset()`.
//! - `reset()` with threads inside goes to **resetting** (they fail with
//!   `Broken`; the last to leave makes the barrier filling again); with
//!   nobody inside it goes straight to filling.
//!
//! Sleepers park on the word with `validate` = "the epoch is still the one
//! I saw"; every state change bumps the epoch with the same CAS, then
//! unparks all. A waiter never trusts a wake-up: it re-reads the word.
//!
//! # Orderings
//!
//! Arrivals and departures are `AcqRel` CASes on the one word, so the
//! completing thread (and the action it runs) sees everything each thread
//! did before arriving, and every released thread sees the action's
//! effects (it reads the `DRAINING` state, written with `Release`, with
//! `Acquire`).

use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::time::{Duration, Instant};

use crate::diagnostics::Deadlock;
use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::wait::{
    self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, Meta, Owner, Park, ParkToken, Spin, WaitKind,
    Waiter, deadline_after,
};

const FILLING: u64 = 0;
const DRAINING: u64 = 1;
const RESETTING: u64 = 2;
const BROKEN: u64 = 3;
const STATE_MASK: u64 = 3;
const PASSED: u64 = 4;
const COUNT_SHIFT: u32 = 3;
const COUNT_ONE: u64 = 1 << COUNT_SHIFT;
const COUNT_MASK: u64 = ((1 << 29) - 1) << COUNT_SHIFT;
const EPOCH_ONE: u64 = 1 << 32;

/// The most parties a barrier can have.
pub const MAX_PARTIES: usize = (1 << 29) - 1;

#[inline]
fn state(s: u64) -> u64 {
    s & STATE_MASK
}

#[inline]
fn count(s: u64) -> usize {
    ((s & COUNT_MASK) >> COUNT_SHIFT) as usize
}

#[inline]
fn epoch(s: u64) -> u64 {
    s >> 32
}

/// `s` with a new state and the epoch bumped.
///
/// `st` may carry `PASSED` (entering `DRAINING`); `PASSED` is otherwise
/// kept as it was.
#[inline]
fn with_state(s: u64, st: u64) -> u64 {
    ((s & !STATE_MASK) | st).wrapping_add(EPOCH_ONE)
}

/// Why a barrier wait failed, or why a barrier could not be made.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BarrierError {
    /// The barrier is broken (a waiter timed out, `abort()` was called, or
    /// the action panicked), or was reset while this thread waited
    /// (CPython's `BrokenBarrierError`).
    Broken,
    /// This thread's own timeout ran out; the barrier is now broken for
    /// every other waiter too.
    Timeout,
    /// `try_wait` would have had to wait (this thread would not have been
    /// the last to arrive); the barrier is unchanged.
    WouldBlock,
    /// `parties` was 0 or above [`MAX_PARTIES`].
    InvalidParties(usize),
    /// The deadlock detector chose this waiter to break a deadlock; the
    /// barrier is now broken.
    Deadlock(Deadlock),
}

impl fmt::Display for BarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarrierError::Broken => f.write_str(
                "the barrier is broken (a waiter timed out, abort() was called, the action \
                 panicked, or reset() ran while waiting); call reset() to use it again",
            ),
            BarrierError::Timeout => f.write_str(
                "timed out waiting at the barrier; the barrier is now broken for every \
                 waiter: call reset() to use it again",
            ),
            BarrierError::WouldBlock => f.write_str(
                "try_wait: this thread would not be the last to arrive, so it did not \
                 arrive; use wait() to wait for the others",
            ),
            BarrierError::InvalidParties(n) => write!(
                f,
                "a barrier needs between 1 and {MAX_PARTIES} parties, not {n}"
            ),
            BarrierError::Deadlock(d) => write!(f, "deadlock detected: {d}"),
        }
    }
}

impl std::error::Error for BarrierError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BarrierError::Deadlock(d) => Some(d),
            _ => None,
        }
    }
}

type Action = Box<dyn Fn() + Send + Sync>;

/// Python's `threading.Barrier`: `parties` threads wait for each other,
/// then all go on together; reusable for any number of rounds.
///
/// `wait` returns the thread's arrival index (`0..parties`). An optional
/// action runs once per round, on the last thread to arrive, before anyone
/// is released. A timeout, [`abort`](Barrier::abort) or a panicking action
/// breaks the barrier for every waiter, including the ones that arrive
/// later, until [`reset`](Barrier::reset).
///
/// # Examples
///
/// ```
/// use threadkit::Barrier;
///
/// let barrier = Barrier::new(3).unwrap();
/// let indexes: Vec<usize> = std::thread::scope(|s| {
///     let hs: Vec<_> = (0..3).map(|_| s.spawn(|| barrier.wait().unwrap())).collect();
///     hs.into_iter().map(|h| h.join().unwrap()).collect()
/// });
/// let mut sorted = indexes.clone();
/// sorted.sort();
/// assert_eq!(sorted, [0, 1, 2]);
/// ```
pub struct Barrier {
    /// See the module docs for the layout.
    state: AtomicU64,
    parties: usize,
    action: Option<Action>,
    timeout: Option<Duration>,
    meta: Meta,
}

impl Barrier {
    /// A barrier for `parties` threads, no action, no default timeout.
    ///
    /// # Errors
    ///
    /// [`BarrierError::InvalidParties`] if `parties` is 0 (Python's
    /// `ValueError`) or above [`MAX_PARTIES`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(threadkit::Barrier::new(0).is_err());
    /// assert_eq!(threadkit::Barrier::new(2).unwrap().parties(), 2);
    /// ```
    #[track_caller]
    pub fn new(parties: usize) -> Result<Barrier, BarrierError> {
        if parties == 0 || parties > MAX_PARTIES {
            return Err(BarrierError::InvalidParties(parties));
        }
        Ok(Barrier {
            state: AtomicU64::new(0),
            parties,
            action: None,
            timeout: None,
            meta: Meta::here(),
        })
    }

    /// Sets the action run once per round by the last thread to arrive,
    /// before any waiter is released. If it panics, the barrier breaks (the
    /// other waiters get [`BarrierError::Broken`]) and the panic goes on in
    /// the thread that ran it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let rounds = AtomicUsize::new(0);
    /// std::thread::scope(|s| {
    ///     let b = threadkit::Barrier::new(1).unwrap().action(|| println!("round done"));
    ///     b.wait().unwrap();
    ///     rounds.fetch_add(1, Ordering::SeqCst);
    /// });
    /// ```
    pub fn action(mut self, action: impl Fn() + Send + Sync + 'static) -> Barrier {
        self.action = Some(Box::new(action));
        self
    }

    /// Sets the default timeout of [`wait`](Self::wait) (Python's
    /// `timeout` argument of the constructor).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = threadkit::Barrier::new(2).unwrap().timeout(Duration::from_millis(10));
    /// assert!(b.wait().is_err()); // nobody else came
    /// assert!(b.broken());
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Barrier {
        self.timeout = Some(timeout);
        self
    }

    /// The number of threads each round waits for.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::Barrier::new(4).unwrap().parties(), 4);
    /// ```
    #[inline]
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of threads waiting in the current round (0 while the
    /// barrier drains, resets or is broken).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::Barrier::new(2).unwrap().n_waiting(), 0);
    /// ```
    #[inline]
    pub fn n_waiting(&self) -> usize {
        // Relaxed: a snapshot for information.
        let s = self.state.load(Ordering::Relaxed);
        if state(s) == FILLING { count(s) } else { 0 }
    }

    /// Whether the barrier is broken.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = threadkit::Barrier::new(2).unwrap();
    /// b.abort();
    /// assert!(b.broken());
    /// b.reset();
    /// assert!(!b.broken());
    /// ```
    #[inline]
    pub fn broken(&self) -> bool {
        // Acquire: a thread that sees it broken sees why.
        state(self.state.load(Ordering::Acquire)) == BROKEN
    }

    /// Waits for the other parties (with the default timeout, if one was
    /// set); returns this thread's arrival index, `0..parties`.
    ///
    /// # Errors
    ///
    /// [`BarrierError::Broken`] if the barrier is or becomes broken;
    /// [`BarrierError::Timeout`] if the default timeout ran out (the
    /// barrier is then broken); [`BarrierError::Deadlock`] if the deadlock
    /// detector picked this thread.
    ///
    /// # Panics
    ///
    /// If this thread ran the action and the action panicked (after
    /// breaking the barrier).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = threadkit::Barrier::new(1).unwrap();
    /// assert_eq!(b.wait().unwrap(), 0);
    /// assert_eq!(b.wait().unwrap(), 0); // reusable
    /// ```
    #[track_caller]
    pub fn wait(&self) -> Result<usize, BarrierError> {
        let deadline = self.timeout.and_then(deadline_after);
        self.wait_until(deadline, Location::caller())
    }

    /// Waits for the other parties at most `timeout` (never less),
    /// overriding the default timeout. On timeout the barrier breaks for
    /// every waiter, as in Python; a zero timeout therefore breaks it
    /// unless this thread is the last to arrive (see
    /// [`try_wait`](Self::try_wait) for a form that leaves it alone).
    ///
    /// # Errors
    ///
    /// As for [`wait`](Self::wait).
    ///
    /// # Panics
    ///
    /// As for [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = threadkit::Barrier::new(2).unwrap();
    /// assert!(matches!(
    ///     b.wait_timeout(Duration::from_millis(5)),
    ///     Err(threadkit::BarrierError::Timeout)
    /// ));
    /// assert!(b.broken());
    /// ```
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BarrierError> {
        self.wait_until(deadline_after(timeout), Location::caller())
    }

    /// Arrives only if this thread is the last one the round waits for
    /// (then runs the action, releases the others and returns its index);
    /// otherwise returns [`BarrierError::WouldBlock`] without arriving.
    ///
    /// # Errors
    ///
    /// [`BarrierError::WouldBlock`], or [`BarrierError::Broken`] if the
    /// barrier is broken.
    ///
    /// # Panics
    ///
    /// If the action panics (after breaking the barrier).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = threadkit::Barrier::new(2).unwrap();
    /// assert!(b.try_wait().is_err());
    /// assert!(!b.broken());
    /// ```
    pub fn try_wait(&self) -> Result<usize, BarrierError> {
        // Relaxed: a guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            match state(s) {
                BROKEN => return Err(BarrierError::Broken),
                FILLING if count(s) + 1 == self.parties => {}
                _ => return Err(BarrierError::WouldBlock),
            }
            // AcqRel: as in `arrive`.
            match self.state.compare_exchange_weak(
                s,
                s + COUNT_ONE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return self.complete(count(s)),
                Err(now) => s = now,
            }
        }
    }

    /// Breaks the barrier: every waiter, and every later arrival until
    /// [`reset`](Self::reset), gets [`BarrierError::Broken`].
    ///
    /// # Examples
    ///
    /// ```
    /// let b = threadkit::Barrier::new(2).unwrap();
    /// b.abort();
    /// assert!(matches!(b.wait(), Err(threadkit::BarrierError::Broken)));
    /// ```
    pub fn abort(&self) {
        self.transition(|_| Some(BROKEN));
    }

    /// Returns the barrier to its initial state. Threads waiting in it get
    /// [`BarrierError::Broken`]; once they have left, new rounds start.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = threadkit::Barrier::new(1).unwrap();
    /// b.abort();
    /// b.reset();
    /// assert_eq!(b.wait().unwrap(), 0);
    /// ```
    pub fn reset(&self) {
        self.transition(|s| {
            Some(if count(s) == 0 {
                FILLING
            } else if state(s) == DRAINING {
                DRAINING
            } else {
                RESETTING
            })
        });
    }

    /// Moves to the state `f` picks (None: no change), bumping the epoch,
    /// and wakes every sleeper.
    fn transition(&self, mut f: impl FnMut(u64) -> Option<u64>) {
        // Relaxed: a guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let Some(st) = f(s) else { return };
            let st = if st == DRAINING { st | PASSED } else { st };
            // AcqRel: publish why (Release) and see what came before
            // (Acquire) in one total order of state changes.
            match self.state.compare_exchange_weak(
                s,
                with_state(s, st),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        self.wake_all();
    }

    #[cold]
    fn wake_all(&self) {
        // SAFETY: our own key; no callbacks.
        unsafe { wait::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN) };
    }

    #[inline]
    fn key(&self) -> usize {
        &self.state as *const AtomicU64 as usize
    }

    /// The whole of `wait`: arrive, then complete the round or wait for it.
    fn wait_until(
        &self,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<usize, BarrierError> {
        let mut waiter = Waiter::new(
            WaitKind::Barrier,
            self,
            self.meta,
            Owner::None,
            site,
            deadline,
        );
        let index = self.arrive(&mut waiter)?;
        if index + 1 == self.parties {
            return self.complete(index);
        }
        let r = self.await_round(&mut waiter);
        self.leave();
        r.map(|()| index)
    }

    /// Waits while the barrier drains or resets (or runs an action), then
    /// counts this thread in; returns the arrival index.
    fn arrive(&self, waiter: &mut Waiter<'_>) -> Result<usize, BarrierError> {
        // Acquire: see the state change that let us in.
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            match state(s) {
                BROKEN => return Err(BarrierError::Broken),
                FILLING if count(s) < self.parties => {
                    // AcqRel: our arrival publishes our writes to the
                    // completing thread (Release) and orders us after the
                    // previous arrivals (Acquire).
                    match self.state.compare_exchange_weak(
                        s,
                        s + COUNT_ONE,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return Ok(count(s)),
                        Err(now) => {
                            s = now;
                            continue;
                        }
                    }
                }
                _ => {}
            }
            // Draining, resetting, or a full round running its action: wait
            // for the next state change.
            match self.sleep(waiter, s) {
                Ok(now) => s = now,
                Err(e) => {
                    // Not counted in: break the barrier for the others (a
                    // timeout breaks it for everyone) and leave.
                    self.abort();
                    return Err(e);
                }
            }
        }
    }

    /// The last arrival: run the action, then release the round.
    fn complete(&self, index: usize) -> Result<usize, BarrierError> {
        if let Some(action) = &self.action {
            if let Err(p) = panic::catch_unwind(AssertUnwindSafe(action)) {
                self.abort();
                self.leave();
                panic::resume_unwind(p);
            }
        }
        // Only a filling barrier passes; an abort or reset during the
        // action wins.
        let mut passed = false;
        self.transition(|s| {
            passed = state(s) == FILLING;
            passed.then_some(DRAINING)
        });
        self.leave();
        if passed {
            Ok(index)
        } else {
            Err(BarrierError::Broken)
        }
    }

    /// After arriving: wait until the round ends, and say how.
    fn await_round(&self, waiter: &mut Waiter<'_>) -> Result<(), BarrierError> {
        // Acquire: a `DRAINING` seen here orders the action's effects
        // before our return.
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s & PASSED != 0 {
                return Ok(());
            }
            match state(s) {
                RESETTING | BROKEN => return Err(BarrierError::Broken),
                _ => {}
            }
            match self.sleep(waiter, s) {
                Ok(now) => s = now,
                Err(e) => {
                    // Timed out (or chosen by the detector): break the
                    // round, unless it ended at the same moment.
                    let mut ended = None;
                    self.transition(|s| match state(s) {
                        FILLING => Some(BROKEN),
                        _ => {
                            ended = Some(s);
                            None
                        }
                    });
                    return match ended {
                        Some(s) if s & PASSED != 0 => Ok(()),
                        Some(_) => Err(BarrierError::Broken),
                        None => Err(e),
                    };
                }
            }
        }
    }

    /// This thread leaves `wait`; the last to leave a draining or resetting
    /// barrier opens it for the next round.
    fn leave(&self) {
        // Relaxed: a guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let left = s - COUNT_ONE;
            let last = count(left) == 0;
            let reopen = last && matches!(state(left), DRAINING | RESETTING);
            let new = if reopen {
                with_state(left & !PASSED, FILLING)
            } else if last {
                left & !PASSED
            } else {
                left
            };
            // AcqRel: a departure is ordered with the state changes around
            // it (the reopening publishes that every old waiter has left).
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    if reopen {
                        self.wake_all();
                    }
                    return;
                }
                Err(now) => s = now,
            }
        }
    }

    /// Sleeps until the epoch moves past the one in `seen`; returns the new
    /// word (spurious returns are fine: callers re-check).
    fn sleep(&self, waiter: &mut Waiter<'_>, seen: u64) -> Result<u64, BarrierError> {
        let mut spin = Spin::new();
        loop {
            // Acquire: see the state change that ended the sleep.
            let s = self.state.load(Ordering::Acquire);
            if epoch(s) != epoch(seen) {
                return Ok(s);
            }
            if spin.spin() {
                continue;
            }
            let validate = || {
                // Relaxed: under the bucket lock; a change this load misses
                // is followed by an `unpark_all` that finds us queued.
                epoch(self.state.load(Ordering::Relaxed)) == epoch(seen)
            };
            // SAFETY: our own key; `validate` is one atomic load; the other
            // callbacks do nothing: no panic, no parking.
            let r =
                unsafe { waiter.park(self.key(), validate, || {}, |_, _| {}, DEFAULT_PARK_TOKEN) };
            match r {
                Park::Unparked(_) | Park::Invalid | Park::Retry => {}
                Park::TimedOut => return Err(BarrierError::Timeout),
                Park::Deadlock(d) => return Err(BarrierError::Deadlock(d)),
            }
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &self.n_waiting())
            .field("broken", &self.broken())
            .field("timeout", &self.timeout)
            .finish()
    }
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Barrier>();
    send_sync::<BarrierError>();
};

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    #[test]
    fn loom_barrier_two_rounds() {
        loom::model(|| {
            let b = Arc::new(Barrier::new(2).unwrap());
            let b2 = b.clone();
            let t = thread::spawn(move || {
                let i = b2.wait().unwrap();
                let j = b2.wait().unwrap();
                (i, j)
            });
            let i = b.wait().unwrap();
            let j = b.wait().unwrap();
            let (ti, tj) = t.join().unwrap();
            assert_eq!(i + ti, 1);
            assert_eq!(j + tj, 1);
            assert_eq!(count(b.state.load(Ordering::SeqCst)), 0);
        });
    }

    #[test]
    fn loom_barrier_abort_wakes_waiter() {
        loom::model(|| {
            let b = Arc::new(Barrier::new(2).unwrap());
            let b2 = b.clone();
            let t = thread::spawn(move || b2.wait());
            b.abort();
            assert!(matches!(t.join().unwrap(), Err(BarrierError::Broken)));
            assert!(b.broken());
        });
    }

    #[test]
    fn loom_barrier_timeout_breaks_both_or_neither() {
        loom::model(|| {
            let b = Arc::new(Barrier::new(2).unwrap());
            let b2 = b.clone();
            let t = thread::spawn(move || b2.wait_timeout(Duration::from_secs(1)));
            let mine = b.wait();
            let theirs = t.join().unwrap();
            match (&mine, &theirs) {
                (Ok(i), Ok(j)) => assert_eq!(i + j, 1),
                (Err(BarrierError::Broken), Err(BarrierError::Timeout)) => assert!(b.broken()),
                other => panic!("mixed outcome {other:?}"),
            }
            assert_eq!(count(b.state.load(Ordering::SeqCst)), 0);
        });
    }

    #[test]
    fn loom_barrier_reset_during_wait() {
        loom::model(|| {
            let b = Arc::new(Barrier::new(2).unwrap());
            let b2 = b.clone();
            let t = thread::spawn(move || b2.wait_timeout(Duration::from_secs(1)));
            b.reset();
            // Inside when the reset came: Broken; else it waits alone and
            // times out (loom's timed park), breaking the barrier.
            match t.join().unwrap() {
                Err(BarrierError::Broken) | Err(BarrierError::Timeout) => {}
                r => panic!("{r:?}"),
            }
        });
    }
}
