//! `Condition<T>`: Python's `threading.Condition`, owning its lock and data.
//!
//! # State
//!
//! Besides its [`Lock`], a condition keeps:
//!
//! | field | guarded by | meaning |
//! |---|---|---|
//! | `spinners: [AtomicU32; 2]` | claimed under the lock; set `NOTIFIED` under the bucket lock | `EMPTY` / `SPINNING` (a waiter spins here, outside the queue) / `NOTIFIED` (its notification, not yet seen) |
//! | `absent: AtomicUsize` | the bucket lock or the lock | waiters dequeued by a time-out (or a detection check) and not yet back in the queue nor gone |
//! | `registered` | the lock | threads inside a wait call |
//! | `next_ticket` | the lock | ticket of the next waiter (arrival order) |
//! | `pending` | the lock | notifications handed to absent waiters, not yet taken |
//! | `pending_bound` | the lock | only waiters with a ticket below it may take one |
//!
//! # Protocol
//!
//! Every waiter is at each instant in exactly one place: in a spinner
//! slot, in the parking lot's queue for the condition's key, or counted in
//! `absent`. It moves between them only under the bucket lock of that key.
//!
//! - **wait**: with the lock held, take a ticket. If a spinner slot is
//!   free, claim it (`EMPTY -> SPINNING`), release the lock and spin a few
//!   microseconds watching for `NOTIFIED`; then (or with no free slot)
//!   park. A spinner's `validate` moves it from its slot into the queue
//!   (`SPINNING -> EMPTY`), or finds `NOTIFIED` and does not sleep. A
//!   waiter without a slot is queued *before* `before_sleep` releases the
//!   lock. So any notifier (which must hold the lock) finds every waiter.
//!   Dequeued by a time-out (the callback, under the bucket lock, counts it
//!   in `absent`): re-acquire the lock, then take a pending notification if
//!   one is pending and its ticket is below `pending_bound` (notified),
//!   else leave `absent` and report the time-out, or (the deadline has not
//!   passed: a detection check) park again, `validate` moving it from
//!   `absent` back to the queue.
//! - **notify(n)** (lock held): move up to `n` queued waiters, oldest
//!   first, onto the lock's queue (`unpark_requeue`; they are woken by the
//!   notifier's release, one futex wake each, no thundering herd); once the
//!   queue is empty (under its bucket lock), notify spinning slots
//!   (`SPINNING -> NOTIFIED`), then hand what is left to absent waiters:
//!   `pending += min(rest, absent - pending)`, `pending_bound = next_ticket`.
//!
//! Why exactly `min(n, waiting)`: when the notifier looks (lock held, under
//! the bucket lock) every waiter is queued, spinning in a slot, or absent,
//! and each place is counted once. A notification is consumed once (a queue
//! move, a slot's `NOTIFIED`, or `pending -= 1` under the lock). A slot is
//! claimed with the lock held, so a `SPINNING` slot always belongs to a
//! thread that was waiting before the notify. A waiter that arrives after a
//! notify gets a ticket at or above that notify's `pending_bound`, so it
//! cannot take a notification meant for an older absent waiter; every
//! waiter counted when `pending` was raised is eligible and leaves `absent`
//! only by taking one while any is pending, so pending notifications always
//! find a taker. A waiter never returns "notified" unless it was.
//!
//! # Orderings
//!
//! `absent` and the slots are `Relaxed`: each change happens under the
//! bucket lock or the condition's lock (or is the slot owner resetting its
//! own `NOTIFIED`), and every decision is made under those locks. A
//! notified thread re-acquires the lock before returning, so it sees the
//! notifier's writes through the lock's Acquire/Release.

use std::cell::Cell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::{Duration, Instant};

use super::fairness::Fairness;
use super::lock::{Lock, LockGuard};
use super::lock_builder::LockBuilder;
use super::lock_error::LockError;
use super::lock_word::{Failure, LockWord, TOKEN_HANDOFF, clock_units, park_token};
use crate::diagnostics::{Deadlock, hooks};
use crate::loom::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use crate::wait::DEFAULT_UNPARK_TOKEN;
use crate::wait::{self, Meta, Owner, Park, RequeueOp, Spin, WaitKind, Waiter, tid};

/// How many waiters of one condition may spin at a time (each needs a slot).
const SPIN_SLOTS: usize = 2;
/// Spinner slot states (module docs).
const SLOT_EMPTY: u32 = 0;
const SLOT_SPINNING: u32 = 1;
const SLOT_NOTIFIED: u32 = 2;
/// Spin steps of a waiter in a slot before it parks: about 2^7 `spin_loop`
/// hints (a few microseconds), enough for a partner running on another core
/// to answer a ping-pong without either side sleeping, short enough that a
/// loaded machine does not lose much to it (measured: the wait layer's
/// default budget of 10 steps was slower than `std` on a busy 2-core box).
const WAIT_SPIN_STEPS: u32 = 6;

/// The parts of a condition's state guarded by its lock (module docs).
#[derive(Debug, Default)]
struct Tickets {
    registered: usize,
    next_ticket: u64,
    pending: usize,
    pending_bound: u64,
}

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
    absent: AtomicUsize,
    spinners: [AtomicU32; SPIN_SLOTS],
    tickets: UnsafeCell<Tickets>,
}

// SAFETY: `tickets` is only touched with the lock held; the data is
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
            absent: AtomicUsize::new(0),
            spinners: std::array::from_fn(|_| AtomicU32::new(SLOT_EMPTY)),
            tickets: UnsafeCell::new(Tickets::default()),
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
        &self.absent as *const AtomicUsize as usize
    }

    /// Runs `f` on the lock-guarded part of the state.
    ///
    /// # Safety
    ///
    /// The calling thread must hold the lock.
    #[inline]
    unsafe fn tickets<R>(&self, f: impl FnOnce(&mut Tickets) -> R) -> R {
        // SAFETY: the caller holds the lock, which guards `tickets`, and no
        // reference escapes `f`.
        self.tickets.with_mut(|p| f(unsafe { &mut *p }))
    }

    /// Claims a spinner slot for a waiter about to wait (lock held) and
    /// releases the lock; `None` (lock still held) if all slots are taken.
    fn spin_slot(&self) -> Option<&AtomicU32> {
        let slot = self.spinners.iter().find(|slot| {
            // Relaxed: slots are claimed only with the lock held; the
            // notifier reads them under the bucket lock (module docs).
            slot.compare_exchange(
                SLOT_EMPTY,
                SLOT_SPINNING,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
        })?;
        let word = self.lock.word();
        word.unlock_owned();
        hooks::released(word.addr());
        Some(slot)
    }

    /// Spins in `slot` watching for a notification; `true` (slot freed) if
    /// one came, `false` (still `SPINNING`) when the budget is used up.
    fn spin(&self, slot: &AtomicU32) -> bool {
        let mut spin = Spin::with_steps(WAIT_SPIN_STEPS);
        loop {
            // Relaxed: see `spin_slot`.
            if slot.load(Ordering::Relaxed) == SLOT_NOTIFIED {
                slot.store(SLOT_EMPTY, Ordering::Relaxed);
                return true;
            }
            if !spin.spin() {
                return false;
            }
        }
    }

    /// Wakes up to `n` waiters (lock held by the caller). Returns how many.
    ///
    /// The woken threads could not run anyway until the caller releases the
    /// lock, so they are not woken here: they are moved from the
    /// condition's queue onto the lock's queue (`PARKED` set on the lock
    /// word), and the caller's release wakes (or hands the lock to) them one
    /// by one. No thundering herd on `notify_all`, and one wake-up per
    /// notified thread.
    fn notify_n(&self, n: usize) -> usize {
        // SAFETY: the caller (a guard) holds the lock.
        if n == 0 || unsafe { self.tickets(|t| t.registered) } == 0 {
            return 0;
        }
        let word = self.lock.word();
        let mut moved = 0usize;
        let mut handed = 0usize;
        while moved < n {
            let all = n == usize::MAX;
            let validate = || {
                if all {
                    RequeueOp::RequeueAll
                } else {
                    RequeueOp::RequeueOne
                }
            };
            let callback = |_op: RequeueOp, result: wait::UnparkResult| {
                if result.requeued_threads > 0 {
                    word.set_parked();
                } else {
                    // The queue is empty: every other waiter is spinning in
                    // a slot or absent.
                    let mut rest = n - moved;
                    for slot in &self.spinners {
                        // Relaxed: the woken spinner re-takes the lock,
                        // which orders what it reads after.
                        if rest > 0
                            && slot
                                .compare_exchange(
                                    SLOT_SPINNING,
                                    SLOT_NOTIFIED,
                                    Ordering::Relaxed,
                                    Ordering::Relaxed,
                                )
                                .is_ok()
                        {
                            rest -= 1;
                            handed += 1;
                        }
                    }
                    // Relaxed: stable here (module docs, "Orderings").
                    let absent = self.absent.load(Ordering::Relaxed);
                    // SAFETY: the notifier holds the lock.
                    unsafe {
                        self.tickets(|t| {
                            let give = rest.min(absent.saturating_sub(t.pending));
                            if give > 0 {
                                t.pending += give;
                                t.pending_bound = t.next_ticket;
                                handed += give;
                            }
                        })
                    };
                }
                DEFAULT_UNPARK_TOKEN
            };
            // SAFETY: both keys are addresses this condition owns (its
            // `absent` and its lock's word); the callbacks only touch
            // atomics, locals and the lock-guarded tickets (no panic, no
            // park).
            let r = unsafe { wait::unpark_requeue(self.key(), word.addr(), validate, callback) };
            if r.requeued_threads == 0 {
                break;
            }
            moved += r.requeued_threads;
            if all {
                // RequeueAll emptied the queue; the absent ones next.
                continue;
            }
        }
        moved + handed
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
        let me = tid::current();
        // SAFETY: we hold the lock.
        let ticket = unsafe {
            cond.tickets(|t| {
                t.registered += 1;
                t.next_ticket += 1;
                t.next_ticket - 1
            })
        };
        let mut waiter = Waiter::new(
            WaitKind::Condition,
            &cond.absent,
            word.meta(),
            Owner::None,
            site,
            deadline,
        );
        let mut absent = false;
        let mut first_parked = None;
        let mut slot = cond.spin_slot();
        let notified = loop {
            if let Some(my_slot) = slot {
                // Spinning in a slot, lock released (module docs).
                if cond.spin(my_slot) {
                    relock(word, me, site);
                    break true;
                }
            }
            if absent {
                // Back from a time-out or a detection check, lock held.
                // SAFETY: we hold the lock.
                let took = unsafe {
                    cond.tickets(|t| {
                        if t.pending > 0 && ticket < t.pending_bound {
                            t.pending -= 1;
                            true
                        } else {
                            false
                        }
                    })
                };
                if took || waiter.timed_out() {
                    // Relaxed: module docs, "Orderings".
                    cond.absent.fetch_sub(1, Ordering::Relaxed);
                    break took;
                }
            }
            let was_absent = absent;
            let from_slot = slot.take();
            let requeued = Cell::new(false);
            let validate = || {
                if let Some(my_slot) = from_slot {
                    // Slot -> queued, unless notified meanwhile: then take
                    // it and do not sleep. Relaxed: the notifier writes the
                    // slot under this bucket lock; the lock orders the rest.
                    return my_slot
                        .compare_exchange(
                            SLOT_SPINNING,
                            SLOT_EMPTY,
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        )
                        .map_err(|_| my_slot.store(SLOT_EMPTY, Ordering::Relaxed))
                        .is_ok();
                }
                if was_absent {
                    // Absent -> queued (Relaxed: module docs).
                    cond.absent.fetch_sub(1, Ordering::Relaxed);
                }
                true
            };
            let before_sleep = || {
                // Queued: now let the notifier in (a spinner already did).
                if from_slot.is_none() {
                    word.unlock_owned();
                }
            };
            let timed_out = |key: usize, last: bool| {
                if key == word.addr() {
                    // Notified (moved to the lock's queue) and then timed
                    // out there: a lock waiter leaving.
                    requeued.set(true);
                    if last {
                        word.clear_parked();
                    }
                } else {
                    // Queued -> absent (Relaxed: module docs).
                    cond.absent.fetch_add(1, Ordering::Relaxed);
                }
            };
            if from_slot.is_none() {
                hooks::released(word.addr());
            }
            let since = *first_parked.get_or_insert_with(clock_units);
            // SAFETY: the key is the address of this condition's `absent`,
            // which it owns; `validate` and `timed_out` only touch atomics
            // and a local cell (no panic, no park); `before_sleep` releases
            // the lock, which may unpark (allowed) but neither parks nor
            // panics.
            let r = unsafe {
                waiter.park(
                    cond.key(),
                    validate,
                    before_sleep,
                    timed_out,
                    park_token(me, since),
                )
            };
            match r {
                // A spinner notified between its last look and `validate`.
                Park::Invalid if from_slot.is_some() => {
                    relock(word, me, site);
                    break true;
                }
                // Otherwise `validate` always agrees, so this does not
                // happen; if it did, nothing changed and the lock is held.
                Park::Invalid => continue,
                // Notified, then handed the lock by its releaser.
                Park::Unparked(TOKEN_HANDOFF) => {
                    word.acquired_by_handoff(me);
                    hooks::acquired(WaitKind::Lock, word.addr(), word.meta(), site);
                    break true;
                }
                // Notified, then woken by the lock's release: retry it.
                Park::Unparked(_) => {
                    relock(word, me, site);
                    break true;
                }
                _ => {
                    relock(word, me, site);
                    if requeued.get() {
                        break true;
                    }
                    absent = true;
                }
            }
        };
        // SAFETY: we hold the lock again.
        unsafe { cond.tickets(|t| t.registered -= 1) };
        notified
    }
}

/// Takes the condition's lock again after a wait (the guard must hold it on
/// return, so a deadlock verdict cannot be returned from here: the thread
/// keeps waiting for the lock).
fn relock(word: &LockWord, me: tid::Tid, site: &'static Location<'static>) {
    if !word.lock_fast(me) {
        while let Err(Failure::Deadlock(_)) = word.lock_slow(me, WaitKind::Lock, site, None) {}
    }
    hooks::acquired(WaitKind::Lock, word.addr(), word.meta(), site);
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

#[cfg(all(test, loom))]
mod loom_tests {
    use std::time::Duration;

    use super::*;
    use crate::loom::sync::Arc;

    #[test]
    fn loom_notify_is_not_lost() {
        loom::model(|| {
            let c = Arc::new(Condition::new(false));
            let c2 = c.clone();
            let t = loom::thread::spawn(move || {
                let mut g = c2.acquire();
                *g = true;
                g.notify(1);
            });
            let mut g = c.acquire();
            g.wait_for(|ready| *ready);
            drop(g);
            t.join().unwrap();
        });
    }

    #[test]
    fn loom_timed_wait_and_notify_agree() {
        loom::model(|| {
            let c = Arc::new(Condition::new(0u32));
            let c2 = c.clone();
            let t = loom::thread::spawn(move || {
                let mut g = c2.acquire();
                *g += 1; // "waiting" published under the lock
                g.wait_timeout(Duration::from_secs(1))
            });
            let woke = loop {
                let g = c.acquire();
                if *g == 1 {
                    break g.notify(1);
                }
                drop(g);
                loom::thread::yield_now();
            };
            let notified = t.join().unwrap();
            // notify reported a wake-up exactly when the waiter saw one.
            assert_eq!(woke == 1, notified);
        });
    }

    #[test]
    fn loom_two_timed_waiters_notify_one_counts_agree() {
        loom::model(|| {
            let c = Arc::new(Condition::new(0u32));
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let c = c.clone();
                    loom::thread::spawn(move || {
                        let mut g = c.acquire();
                        *g += 1;
                        g.wait_timeout(Duration::from_secs(1))
                    })
                })
                .collect();
            let woke = {
                let g = c.acquire();
                g.notify(1)
            };
            let notified = waiters
                .into_iter()
                .map(|t| t.join().unwrap())
                .filter(|&n| n)
                .count();
            assert!(woke <= 1);
            assert_eq!(woke, notified);
        });
    }
}
