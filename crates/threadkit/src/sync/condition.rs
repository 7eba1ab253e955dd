//! `Condition<T>`: Python's `threading.Condition`, owning its lock and data.
//!
//! # State
//!
//! Besides its [`Lock`], a condition keeps one `AtomicU64`, `waiters`:
//!
//! | bits   | name      | meaning                                               |
//! |--------|-----------|-------------------------------------------------------|
//! | 0..32  | `absent`  | waiting threads *not* in the parking lot's queue (spinning, about to park, or between a wake-up and a re-park) |
//! | 32..64 | `pending` | notifications handed to absent threads, not yet taken (always `pending <= absent`) |
//!
//! and, under the lock, `registered`: how many threads are inside a wait
//! call (a cheap "nobody waits" test for `notify`).
//!
//! # Protocol
//!
//! Every waiting thread is, at each instant, in exactly one place: parked in
//! the queue of the condition's key, or counted in `absent`. It moves
//! between the two only under the parking lot's bucket lock (`validate`:
//! absent -> queued; the time-out callback: queued -> absent), and leaves
//! `absent` only by a CAS that takes a pending notification if there is one.
//!
//! - **wait**: with the lock held, `absent += 1` and `registered += 1`;
//!   release the lock; spin a little watching for `pending`, then park.
//!   `validate` moves the thread into the queue, or, if a notification is
//!   pending, takes it and does not sleep. On a wake-up by `notify` the
//!   thread was notified; on a time-out it takes a pending notification if
//!   one arrived meanwhile (then it was notified), else leaves `absent` and
//!   reports the time-out; any other wake-up re-parks. It then re-acquires
//!   the lock.
//! - **notify(n)** (lock held): under the bucket lock, unpark up to `n`
//!   queued threads, then hand the rest as `pending` to absent threads that
//!   have none yet: `pending += min(rest, absent - pending)`.
//!
//! Exactly `min(n, waiting)` threads are woken, where waiting threads are
//! those that entered `wait` before the notifier took the lock and have not
//! been notified yet: a thread registers while it holds the lock, so the
//! notifier sees it (queued or absent); a notification is consumed by one
//! thread only (a queue removal or a CAS on `pending`); a timed-out thread
//! cannot lose a notification given to it (it takes it in the same CAS that
//! leaves `absent`). No wake-up is seen by the caller unless it was notified
//! or timed out.
//!
//! # Orderings
//!
//! `waiters` is `Relaxed` throughout: registering happens with the lock
//! held and `notify` holds the lock too, so those two are ordered by the
//! lock; a notified thread re-acquires the lock before returning, so it
//! sees what the notifier wrote through the lock's Acquire/Release, not
//! through `waiters`. The counts themselves are kept exact by CAS.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::{Duration, Instant};

use super::fairness::Fairness;
use super::lock::{Lock, LockGuard};
use super::lock_builder::LockBuilder;
use super::lock_error::LockError;
use super::lock_word::Failure;
use crate::diagnostics::{hooks, Deadlock};
use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::loom::UnsafeCell;
use crate::wait::{self, tid, FilterOp, Meta, Owner, Park, Spin, WaitKind, Waiter};
use crate::wait::{DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN};

const ABSENT_ONE: u64 = 1;
const ABSENT_MASK: u64 = 0xffff_ffff;
const PENDING_ONE: u64 = 1 << 32;

#[inline]
fn absent(w: u64) -> u64 {
    w & ABSENT_MASK
}

#[inline]
fn pending(w: u64) -> u64 {
    w >> 32
}

/// Spin steps a waiter watches for a notification before parking: about
/// 2^8 `spin_loop` hints, a few microseconds, enough for a ping-pong partner
/// on another core to answer, short enough not to burn a core otherwise.
const WAIT_SPIN_STEPS: u32 = 8;

/// A condition variable (Python's `threading.Condition`) that owns its lock
/// and the data the condition is about.
///
/// [`acquire`](Condition::acquire) returns a [`ConditionGuard`]: the data,
/// plus [`wait`](ConditionGuard::wait),
/// [`wait_for`](ConditionGuard::wait_for) and
/// [`notify`](ConditionGuard::notify). Because they live on the guard, waiting
/// or notifying without holding the lock does not compile (Python raises
/// `RuntimeError` at run time).
///
/// Semantics (tested): `notify(n)` wakes exactly `min(n, waiting)` threads
/// and returns that number; `wait` returns only when notified (never on a
/// spurious wake-up); `wait_timeout` returns `false` only after its timeout
/// has passed; `wait_for_timeout` returns the predicate's last value.
///
/// # Examples
///
/// A producer hands items to a consumer:
///
/// ```
/// use std::sync::Arc;
/// use threadkit::Condition;
///
/// let items = Arc::new(Condition::new(Vec::new()));
/// let consumer = {
///     let items = items.clone();
///     std::thread::spawn(move || {
///         let mut g = items.acquire();
///         g.wait_for(|v: &Vec<u32>| !v.is_empty());
///         g.pop()
///     })
/// };
/// {
///     let mut g = items.acquire();
///     g.push(42);
///     g.notify(1);
/// }
/// assert_eq!(consumer.join().unwrap(), Some(42));
/// ```
///
/// Notifying without the lock is a compile error:
///
/// ```compile_fail
/// let c = threadkit::Condition::new(());
/// c.notify(1); // no such method on Condition: notify lives on the guard
/// ```
pub struct Condition<T = ()> {
    lock: Lock<T>,
    waiters: AtomicU64,
    registered: UnsafeCell<usize>,
}

// SAFETY: `registered` is only touched with the lock held; the data is
// guarded by the lock, as for `Lock<T>`.
unsafe impl<T: Send> Sync for Condition<T> {}
// SAFETY: owning the condition owns the `T`.
unsafe impl<T: Send> Send for Condition<T> {}

/// The calling thread holds the [`Condition`]'s lock: access to the data,
/// and the condition's `wait` and `notify` operations.
///
/// # Examples
///
/// ```
/// let c = threadkit::Condition::new(0);
/// let mut g = c.acquire();
/// *g += 1;
/// assert_eq!(g.notify_all(), 0); // nobody waits
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a, T> {
    cond: &'a Condition<T>,
    guard: LockGuard<'a, T>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    const fn assert_sync<T: Sync>() {}
    assert_send_sync::<Condition<()>>();
    assert_send_sync::<Condition<Vec<u8>>>();
    assert_sync::<ConditionGuard<'static, u64>>();
};

impl Condition<()> {
    /// A builder for a name and the lock's fairness
    /// ([`LockBuilder::condition`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::builder().name("jobs").condition(0);
    /// assert_eq!(*c.acquire(), 0);
    /// ```
    pub fn builder() -> LockBuilder {
        LockBuilder::new()
    }
}

impl<T> Condition<T> {
    /// A condition holding `value`, identified in reports by where it was
    /// created.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::new(false);
    /// assert!(!*c.acquire());
    /// ```
    #[track_caller]
    pub fn new(value: T) -> Condition<T> {
        Condition::from_parts(Meta::here(), Fairness::Eventual, value)
    }

    /// A condition holding `value`, with a name for reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::named("ready", false);
    /// assert!(!*c.acquire());
    /// ```
    #[track_caller]
    pub fn named(name: &str, value: T) -> Condition<T> {
        Condition::from_parts(
            Meta::new(Some(name), Location::caller()),
            Fairness::Eventual,
            value,
        )
    }

    pub(crate) fn from_parts(meta: Meta, fairness: Fairness, value: T) -> Condition<T> {
        Condition {
            lock: Lock::from_parts(meta, fairness, value),
            waiters: AtomicU64::new(0),
            registered: UnsafeCell::new(0),
        }
    }

    /// Consumes the condition and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::Condition::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.lock.into_inner()
    }

    /// Blocks until the lock is acquired.
    ///
    /// # Panics
    ///
    /// If the deadlock detector proves the wait can never end (see
    /// [`Lock::acquire`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::new(1);
    /// assert_eq!(*c.acquire(), 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire(&self) -> ConditionGuard<'_, T> {
        self.wrap(self.lock.acquire())
    }

    /// Blocks until the lock is acquired, or returns the detector's report.
    ///
    /// # Errors
    ///
    /// [`Deadlock`] when the detector chose this thread to break a cycle.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::new(());
    /// assert!(c.acquire_checked().is_ok());
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_checked(&self) -> Result<ConditionGuard<'_, T>, Deadlock> {
        self.lock.acquire_checked().map(|g| self.wrap(g))
    }

    /// Acquires the lock within `timeout` (zero: a try). Never fails early.
    ///
    /// # Errors
    ///
    /// [`LockError::Timeout`] if the lock stayed held for the whole timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let c = threadkit::Condition::new(());
    /// let g = c.acquire_timeout(Duration::from_millis(10)).unwrap();
    /// assert!(c.acquire_timeout(Duration::from_millis(1)).is_err());
    /// drop(g);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<ConditionGuard<'_, T>, LockError> {
        self.lock.acquire_timeout(timeout).map(|g| self.wrap(g))
    }

    /// Acquires the lock if it is free; never waits.
    ///
    /// # Errors
    ///
    /// [`LockError::WouldBlock`] if the lock is held.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::new(());
    /// let g = c.try_acquire().unwrap();
    /// assert!(c.try_acquire().is_err());
    /// drop(g);
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_acquire(&self) -> Result<ConditionGuard<'_, T>, LockError> {
        self.lock.try_acquire().map(|g| self.wrap(g))
    }

    /// Whether the condition's lock is held (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::new(());
    /// let g = c.acquire();
    /// assert!(c.locked());
    /// drop(g);
    /// assert!(!c.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    #[inline]
    fn wrap<'a>(&'a self, guard: LockGuard<'a, T>) -> ConditionGuard<'a, T> {
        ConditionGuard { cond: self, guard }
    }

    #[inline]
    fn key(&self) -> usize {
        &self.waiters as *const AtomicU64 as usize
    }

    /// Leaves `absent`, taking a pending notification if there is one.
    /// Returns whether one was taken.
    fn leave(&self) -> bool {
        // Relaxed: module docs, "Orderings".
        let mut w = self.waiters.load(Ordering::Relaxed);
        loop {
            let new = if pending(w) > 0 {
                w - PENDING_ONE - ABSENT_ONE
            } else {
                w - ABSENT_ONE
            };
            // Relaxed: as above; the CAS keeps the counts exact.
            match self
                .waiters
                .compare_exchange_weak(w, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return pending(w) > 0,
                Err(x) => w = x,
            }
        }
    }

    /// Takes a pending notification (and leaves `absent`) if there is one.
    fn take_pending(&self) -> bool {
        // Relaxed: module docs, "Orderings".
        let mut w = self.waiters.load(Ordering::Relaxed);
        while pending(w) > 0 {
            // Relaxed: as above.
            match self.waiters.compare_exchange_weak(
                w,
                w - PENDING_ONE - ABSENT_ONE,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(x) => w = x,
            }
        }
        false
    }

    /// The waiting part of `wait`, lock released: `true` if notified.
    fn block(&self, deadline: Option<Instant>, site: &'static Location<'static>) -> bool {
        let mut spin = Spin::with_steps(WAIT_SPIN_STEPS);
        if deadline.map_or(true, |d| d > Instant::now()) {
            loop {
                if self.take_pending() {
                    return true;
                }
                if !spin.spin() {
                    break;
                }
            }
        }
        let mut waiter = Waiter::new(
            WaitKind::Condition,
            &self.waiters,
            self.lock.word().meta(),
            Owner::None,
            site,
            deadline,
        );
        loop {
            if waiter.timed_out() {
                return self.leave();
            }
            let validate = || {
                // Absent -> queued, unless a notification is pending: then
                // take it and do not sleep.
                !self.take_pending() && {
                    // Relaxed: module docs; under the bucket lock, so no
                    // notifier runs between this and the enqueue.
                    self.waiters.fetch_sub(ABSENT_ONE, Ordering::Relaxed);
                    true
                }
            };
            let timed_out = |_key: usize, _last: bool| {
                // Queued -> absent (Relaxed: module docs).
                self.waiters.fetch_add(ABSENT_ONE, Ordering::Relaxed);
            };
            // SAFETY: the key is the address of this condition's `waiters`,
            // which it owns; `validate` and `timed_out` only touch atomics
            // (no panic, no park); `before_sleep` does nothing.
            let r =
                unsafe { waiter.park(self.key(), validate, || {}, timed_out, DEFAULT_PARK_TOKEN) };
            match r {
                Park::Unparked(_) | Park::Invalid => return true,
                Park::TimedOut => return self.leave(),
                // Dequeued by a detection check or an early timer: absent
                // again (the time-out callback ran), so park again.
                Park::Retry | Park::Deadlock(_) => {}
            }
        }
    }

    /// Wakes up to `n` waiters (lock held by the caller). Returns how many.
    fn notify_n(&self, n: usize) -> usize {
        // SAFETY: the caller holds the lock, which guards `registered`.
        if n == 0 || self.registered.with(|p| unsafe { *p }) == 0 {
            return 0;
        }
        let n = n.min(ABSENT_MASK as usize);
        let mut left = n;
        let mut handed = 0usize;
        let filter = |_token| {
            if left == 0 {
                FilterOp::Stop
            } else {
                left -= 1;
                FilterOp::Unpark
            }
        };
        let callback = |result: wait::UnparkResult| {
            let rest = (n - result.unparked_threads) as u64;
            if rest > 0 {
                // Relaxed: module docs, "Orderings".
                let mut w = self.waiters.load(Ordering::Relaxed);
                loop {
                    let give = rest.min(absent(w) - pending(w));
                    if give == 0 {
                        break;
                    }
                    // Relaxed: as above.
                    match self.waiters.compare_exchange_weak(
                        w,
                        w + give * PENDING_ONE,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            handed = give as usize;
                            break;
                        }
                        Err(x) => w = x,
                    }
                }
            }
            DEFAULT_UNPARK_TOKEN
        };
        // SAFETY: the key is this condition's `waiters` address; the filter
        // and callback only touch atomics and locals (no panic, no park).
        let r = unsafe { wait::unpark_filter(self.key(), filter, callback) };
        r.unparked_threads + handed
    }
}

impl<'a, T> ConditionGuard<'a, T> {
    /// Releases the lock, waits until notified, re-acquires the lock
    /// (Python's `wait()`). Never returns on a spurious wake-up.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use threadkit::Condition;
    ///
    /// let ready = Arc::new(Condition::new(false));
    /// let r = ready.clone();
    /// let t = std::thread::spawn(move || {
    ///     let mut g = r.acquire();
    ///     *g = true;
    ///     g.notify_all();
    /// });
    /// let mut g = ready.acquire();
    /// while !*g {
    ///     g.wait();
    /// }
    /// # drop(g);
    /// t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn wait(&mut self) {
        self.wait_deadline(None, Location::caller());
    }

    /// Like [`wait`](ConditionGuard::wait) for at most `timeout`: `true` if
    /// notified, `false` if the timeout passed first (never earlier). The
    /// lock is held again on return either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let c = threadkit::Condition::new(());
    /// let mut g = c.acquire();
    /// let start = Instant::now();
    /// assert!(!g.wait_timeout(Duration::from_millis(20)));
    /// assert!(start.elapsed() >= Duration::from_millis(20));
    /// ```
    #[track_caller]
    pub fn wait_timeout(&mut self, timeout: Duration) -> bool {
        let deadline = wait::deadline_after(timeout);
        self.wait_deadline(deadline, Location::caller())
    }

    /// Waits until `pred` holds (checked first, then after each
    /// notification), like Python's `wait_for(predicate)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use threadkit::Condition;
    ///
    /// let n = Arc::new(Condition::new(0));
    /// let n2 = n.clone();
    /// let t = std::thread::spawn(move || {
    ///     for _ in 0..3 {
    ///         let mut g = n2.acquire();
    ///         *g += 1;
    ///         g.notify_all();
    ///     }
    /// });
    /// n.acquire().wait_for(|v| *v == 3);
    /// t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn wait_for(&mut self, mut pred: impl FnMut(&T) -> bool) {
        let site = Location::caller();
        while !pred(self) {
            self.wait_deadline(None, site);
        }
    }

    /// Waits until `pred` holds or `timeout` passes, and returns the
    /// predicate's last value (Python's `wait_for(predicate, timeout)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let c = threadkit::Condition::new(0);
    /// let mut g = c.acquire();
    /// assert!(!g.wait_for_timeout(|v| *v > 0, Duration::from_millis(5)));
    /// *g = 1;
    /// assert!(g.wait_for_timeout(|v| *v > 0, Duration::ZERO));
    /// ```
    #[track_caller]
    pub fn wait_for_timeout(
        &mut self,
        mut pred: impl FnMut(&T) -> bool,
        timeout: Duration,
    ) -> bool {
        let site = Location::caller();
        let deadline = wait::deadline_after(timeout);
        loop {
            if pred(self) {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            self.wait_deadline(deadline, site);
        }
    }

    /// Wakes up to `n` threads waiting on this condition, and returns how
    /// many it woke: exactly `min(n, waiting)` (Python's `notify(n)`). The
    /// woken threads run once this guard releases the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::new(());
    /// assert_eq!(c.acquire().notify(1), 0); // nobody waits: nothing happens
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        self.cond.notify_n(n)
    }

    /// Wakes every thread waiting on this condition; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::Condition::new(());
    /// assert_eq!(c.acquire().notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.cond.notify_n(usize::MAX)
    }

    fn wait_deadline(
        &mut self,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> bool {
        let cond = self.cond;
        let word = cond.lock.word();
        // SAFETY: we hold the lock, which guards `registered`.
        cond.registered.with_mut(|p| unsafe { *p += 1 });
        // Relaxed: module docs, "Orderings" (the lock orders it).
        cond.waiters.fetch_add(ABSENT_ONE, Ordering::Relaxed);
        word.unlock_owned();
        hooks::released(word.addr());

        let notified = cond.block(deadline, site);

        let me = tid::current();
        if !word.lock_fast(me) {
            // A deadlock verdict cannot be returned from here (the guard
            // must hold the lock again): keep waiting for the lock.
            while let Err(Failure::Deadlock(_)) = word.lock_slow(me, WaitKind::Lock, site, None) {}
        }
        hooks::acquired(WaitKind::Lock, word.addr(), word.meta(), site);
        // SAFETY: we hold the lock again.
        cond.registered.with_mut(|p| unsafe { *p -= 1 });
        notified
    }
}

impl<T> Deref for ConditionGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for ConditionGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: Default> Default for Condition<T> {
    #[track_caller]
    fn default() -> Condition<T> {
        Condition::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("lock", &self.lock)
            .finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for ConditionGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
