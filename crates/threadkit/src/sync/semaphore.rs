//! `Semaphore` and `BoundedSemaphore`: a counter of permits in one atomic
//! word, on top of the wait layer.
//!
//! # The state word
//!
//! | bits            | meaning                                                    |
//! | --------------- | ---------------------------------------------------------- |
//! | 0 (`PARKED`)    | the parking queue of this semaphore is not empty           |
//! | 1.. (`>> 1`)    | the permits available right now (at most `bound`)          |
//!
//! `PARKED` is only ever set (in `validate`) and cleared (in the unpark and
//! time-out callbacks) under the parking lot's bucket lock, so under that
//! lock `PARKED` set <=> at least one thread is queued. Outside the lock the
//! fast paths never touch it: they add or subtract whole permits with a
//! compare-and-swap that carries the bit along.
//!
//! # Fairness
//!
//! - **Eventual** (the default, [`Semaphore::new`]): a release wakes every
//!   queued waiter whose request fits in the permits available (queue
//!   order, skipping the ones that do not fit); woken threads compete with
//!   newcomers, which may take the permits first (barging keeps throughput
//!   high). A waiter that lost such a race once is marked *starving* when it
//!   parks again, and the next release that can serve it hands it its
//!   permits directly, so no waiter is overtaken more than once per release
//!   that could serve it. A request larger than what releases usually free
//!   can still wait while small ones proceed; use FIFO for that.
//! - **FIFO** ([`Semaphore::fifo`]): permits are handed to waiters in
//!   arrival order. A release serves the head of the queue first and stops
//!   at the first request it cannot serve; nobody (newcomers included, and
//!   `try_acquire`) takes permits while someone is queued. Permits that are
//!   not enough for the head stay in the word until more are released. The
//!   invariant, kept under the bucket lock: *if the queue is not empty, the
//!   word holds fewer permits than the head asks for* (a waiter that leaves
//!   the queue by time-out re-runs the hand-off so a waiter behind it that
//!   now fits is served).
//!
//! # Orderings
//!
//! Taking permits is an `Acquire` CAS and giving them back a `Release` CAS:
//! whatever a thread did before releasing is visible to the thread that
//! takes the permits. A hand-off passes permits through the parking lot,
//! whose bucket lock and wake-up orders the releaser's writes before the
//! woken thread's return. Everything done under the bucket lock uses
//! `Relaxed`: the lock orders it.

use std::cell::Cell;
use std::fmt;
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::diagnostics::Deadlock;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::fairness::Fairness;
use crate::wait::{
    self, FilterOp, Meta, Owner, Park, ParkToken, Spin, UnparkToken, WaitKind, Waiter,
    deadline_after,
};

/// Bit 0 of the state word: someone is queued.
const PARKED: usize = 1;
/// One permit in the state word.
const ONE: usize = 2;
/// Park-token bit: this waiter already lost a race for permits it was woken
/// for (eventual mode).
const STARVING: usize = 1 << (usize::BITS - 1);
/// Unpark token: go and try again.
const TOKEN_RETRY: UnparkToken = UnparkToken(0);
/// Unpark token: the permits asked for are now yours.
const TOKEN_HANDOFF: UnparkToken = UnparkToken(1);

/// The largest number of permits a semaphore can hold.
pub const MAX_PERMITS: usize = usize::MAX >> 1;

/// Why a semaphore operation did not succeed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SemaphoreError {
    /// A `try_` call found too few permits available (or, in FIFO mode,
    /// other threads queued first).
    WouldBlock,
    /// A `_timeout` call waited the whole timeout without getting its
    /// permits.
    Timeout,
    /// A release would raise the value above the bound (the initial value
    /// of a `BoundedSemaphore`, or [`MAX_PERMITS`]); nothing was released.
    OverRelease {
        /// Permits the caller tried to release.
        requested: usize,
        /// The value when the release was refused.
        value: usize,
        /// The bound.
        bound: usize,
    },
    /// `release(0)`: Python's `ValueError("n must be one or more")`.
    ZeroRelease,
    /// An acquire asked for more permits than the semaphore can ever hold,
    /// so it would wait forever.
    TooMany {
        /// Permits asked for.
        requested: usize,
        /// The most the semaphore can hold.
        bound: usize,
    },
    /// The deadlock detector chose this waiter to break a deadlock.
    Deadlock(Deadlock),
}

impl fmt::Display for SemaphoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SemaphoreError::WouldBlock => f.write_str(
                "not enough semaphore permits available right now; \
                 use acquire() or acquire_timeout() to wait for them",
            ),
            SemaphoreError::Timeout => f.write_str(
                "timed out waiting for semaphore permits; \
                 retry, wait longer, or release permits elsewhere",
            ),
            SemaphoreError::OverRelease {
                requested,
                value,
                bound,
            } => write!(
                f,
                "semaphore released too many times: releasing {requested} permit(s) \
                 at value {value} would exceed the bound {bound}; nothing was released \
                 (release only permits that were acquired)"
            ),
            SemaphoreError::ZeroRelease => {
                f.write_str("release(0) does nothing: release one or more permits")
            }
            SemaphoreError::TooMany { requested, bound } => write!(
                f,
                "asked for {requested} permits but the semaphore never holds more than \
                 {bound}: the call would wait forever; ask for fewer"
            ),
            SemaphoreError::Deadlock(d) => write!(f, "deadlock detected: {d}"),
        }
    }
}

impl std::error::Error for SemaphoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SemaphoreError::Deadlock(d) => Some(d),
            _ => None,
        }
    }
}

/// The engine under both public semaphores.
pub(crate) struct RawSemaphore {
    /// See the module docs for the layout.
    state: AtomicUsize,
    /// The most permits the word may hold.
    bound: usize,
    /// FIFO hand-off mode.
    fifo: bool,
    /// Name / creation site, for wait records.
    meta: Meta,
}

impl RawSemaphore {
    #[track_caller]
    fn new(value: usize, bound: usize, fifo: bool) -> RawSemaphore {
        assert!(
            value <= bound && bound <= MAX_PERMITS,
            "semaphore value {value} is above the maximum {MAX_PERMITS}"
        );
        RawSemaphore {
            state: AtomicUsize::new(value * ONE),
            bound,
            fifo,
            meta: Meta::here(),
        }
    }

    #[inline]
    fn key(&self) -> usize {
        &self.state as *const AtomicUsize as usize
    }

    /// Whether `n` permits may be taken from state `s` without queueing.
    #[inline]
    fn can_take(&self, s: usize, n: usize) -> bool {
        s / ONE >= n && !(self.fifo && s & PARKED != 0)
    }

    #[inline]
    fn value(&self) -> usize {
        // Relaxed: a snapshot for information; it orders nothing.
        self.state.load(Ordering::Relaxed) / ONE
    }

    /// One attempt: a load, then (if the permits are there) one CAS.
    #[inline]
    fn try_fast(&self, n: usize) -> bool {
        // Relaxed load: only a guess for the CAS, which re-checks it.
        let s = self.state.load(Ordering::Relaxed);
        // Acquire on success: see the release that made the permits.
        self.can_take(s, n)
            && self
                .state
                .compare_exchange(s, s - n * ONE, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Takes `n` permits if they are available now (retries lost races).
    fn try_take(&self, n: usize) -> bool {
        // Relaxed: the CAS below re-checks the value it is based on.
        let mut s = self.state.load(Ordering::Relaxed);
        while self.can_take(s, n) {
            // Acquire: as in `try_fast`.
            match self.state.compare_exchange_weak(
                s,
                s - n * ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
        false
    }

    fn check_count(&self, n: usize) -> Result<(), SemaphoreError> {
        if n > self.bound {
            Err(SemaphoreError::TooMany {
                requested: n,
                bound: self.bound,
            })
        } else {
            Ok(())
        }
    }

    #[inline]
    fn try_acquire(&self, n: usize) -> Result<(), SemaphoreError> {
        self.check_count(n)?;
        if self.try_fast(n) || self.try_take(n) {
            Ok(())
        } else {
            Err(SemaphoreError::WouldBlock)
        }
    }

    #[inline]
    fn acquire(
        &self,
        n: usize,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), SemaphoreError> {
        self.check_count(n)?;
        if self.try_fast(n) {
            return Ok(());
        }
        self.acquire_slow(n, deadline, site)
    }

    /// Spin, queue, sleep; shared by the timed and untimed calls.
    #[cold]
    fn acquire_slow(
        &self,
        n: usize,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), SemaphoreError> {
        let mut spin = Spin::new();
        let mut waiter = Waiter::new(
            WaitKind::Semaphore,
            self,
            self.meta,
            Owner::None,
            site,
            deadline,
        );
        let mut starving = 0;
        loop {
            if self.try_take(n) {
                return Ok(());
            }
            // (An expired deadline is noticed by `park`, which then returns
            // at once: one code path for "time is up".)
            // Relaxed: a hint for whether spinning can help at all.
            let s = self.state.load(Ordering::Relaxed);
            if !(self.fifo && s & PARKED != 0) && spin.spin() {
                continue;
            }
            let validate = || self.validate(n);
            let timed_out = |_key: usize, was_last: bool| {
                if was_last {
                    // Relaxed: under the bucket lock (see module docs).
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
            };
            // SAFETY: the key is the address of our own state word, which
            // lives as long as `self`; `validate` and `timed_out` only do
            // atomic operations on that word (no panic, no parking);
            // `before_sleep` does nothing.
            let r = unsafe {
                waiter.park(
                    self.key(),
                    validate,
                    || {},
                    timed_out,
                    ParkToken(n | starving),
                )
            };
            match r {
                Park::Unparked(TOKEN_HANDOFF) => return Ok(()),
                Park::Unparked(_) => {
                    // Woken to compete: if we lose, the next wake serves us
                    // first.
                    if !self.fifo {
                        starving = STARVING;
                    }
                }
                Park::Invalid => {}
                Park::Retry => {
                    if self.fifo {
                        self.dispatch(0, false).ok();
                    }
                }
                Park::TimedOut => {
                    if self.fifo {
                        self.dispatch(0, false).ok();
                    }
                    return Err(SemaphoreError::Timeout);
                }
                Park::Deadlock(d) => {
                    if self.fifo {
                        self.dispatch(0, false).ok();
                    }
                    return Err(SemaphoreError::Deadlock(d));
                }
            }
        }
    }

    /// Under the bucket lock: `true` = queue this thread (and mark the word
    /// `PARKED`), `false` = the permits are there, try again.
    fn validate(&self, n: usize) -> bool {
        // Relaxed throughout: under the bucket lock, which orders this with
        // every other `PARKED` change; a release that this load misses
        // takes the same lock after us and finds us queued.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if self.can_take(s, n) {
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
    }

    /// Gives back `n` permits. With `clamp`, releases only up to the bound
    /// instead of failing.
    #[inline]
    fn release(&self, n: usize, clamp: bool) -> Result<(), SemaphoreError> {
        if n == 0 {
            return if clamp {
                Ok(())
            } else {
                Err(SemaphoreError::ZeroRelease)
            };
        }
        // Relaxed: a guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if self.fifo && s & PARKED != 0 {
                return self.dispatch(n, clamp);
            }
            let v = s / ONE;
            let room = self.bound - v;
            let add = if n <= room {
                n
            } else if clamp {
                room
            } else {
                return Err(SemaphoreError::OverRelease {
                    requested: n,
                    value: v,
                    bound: self.bound,
                });
            };
            // Release: publish the holder's writes to the next taker.
            match self.state.compare_exchange_weak(
                s,
                s + add * ONE,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if s & PARKED != 0 {
                        self.wake();
                    }
                    return Ok(());
                }
                Err(now) => s = now,
            }
        }
    }

    /// Eventual mode: wake the queued waiters that fit in the permits now
    /// available; hand permits directly to a starving one.
    #[cold]
    fn wake(&self) {
        loop {
            let budget = Cell::new(None::<usize>);
            let taken = Cell::new(0usize);
            let handoff = Cell::new(false);
            let filter = |t: ParkToken| {
                if handoff.get() {
                    return FilterOp::Stop;
                }
                // Relaxed: under the bucket lock; a stale value only makes
                // us wake too many (they re-check) or too few (a later
                // release wakes them: it comes after this load).
                let b = budget
                    .get()
                    .unwrap_or_else(|| self.state.load(Ordering::Relaxed) / ONE);
                budget.set(Some(b));
                let want = t.0 & !STARVING;
                if want > b - taken.get() {
                    return FilterOp::Skip;
                }
                if t.0 & STARVING != 0 && taken.get() == 0 {
                    handoff.set(true);
                }
                taken.set(taken.get() + want);
                FilterOp::Unpark
            };
            let callback = |r: wait::UnparkResult| {
                let mut token = TOKEN_RETRY;
                // Relaxed: under the bucket lock; the hand-off itself is
                // ordered by the parking lot's wake-up.
                let mut s = self.state.load(Ordering::Relaxed);
                loop {
                    let mut new = s;
                    let give = handoff.get() && s / ONE >= taken.get();
                    if give {
                        new -= taken.get() * ONE;
                    }
                    if !r.have_more_threads {
                        new &= !PARKED;
                    }
                    match self.state.compare_exchange_weak(
                        s,
                        new,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            if give {
                                token = TOKEN_HANDOFF;
                            }
                            break;
                        }
                        Err(now) => s = now,
                    }
                }
                token
            };
            // SAFETY: our own key; the filter and callback only do atomic
            // operations and arithmetic that cannot overflow (`taken` never
            // exceeds `budget`), so they neither panic nor park.
            let r = unsafe { wait::unpark_filter(self.key(), filter, callback) };
            if !(handoff.get() && r.have_more_threads) {
                return;
            }
        }
    }

    /// FIFO mode: add `extra` permits and hand permits to the queue's head
    /// for as long as its request fits; runs under the bucket lock, so it
    /// sees the queue and the word together.
    #[cold]
    fn dispatch(&self, extra: usize, clamp: bool) -> Result<(), SemaphoreError> {
        let avail = Cell::new(None::<usize>);
        let added = Cell::new(0usize);
        let handed = Cell::new(0usize);
        let refused = Cell::new(None::<usize>);
        // Computes the permits to add under the bound; `None` = refused.
        let room = |v: usize| -> Option<usize> {
            let room = self.bound - v;
            if extra <= room {
                Some(extra)
            } else if clamp {
                Some(room)
            } else {
                None
            }
        };
        let filter = |t: ParkToken| {
            let a = match avail.get() {
                Some(a) => a,
                None => {
                    // Relaxed: under the bucket lock with the queue not
                    // empty, so `PARKED` is set and no fast path can change
                    // the value (FIFO fast paths need `PARKED` clear).
                    let v = self.state.load(Ordering::Relaxed) / ONE;
                    match room(v) {
                        Some(e) => {
                            added.set(e);
                            avail.set(Some(v + e));
                            v + e
                        }
                        None => {
                            refused.set(Some(v));
                            return FilterOp::Stop;
                        }
                    }
                }
            };
            let want = t.0 & !STARVING;
            if refused.get().is_none() && want <= a - handed.get() {
                handed.set(handed.get() + want);
                FilterOp::Unpark
            } else {
                FilterOp::Stop
            }
        };
        let callback = |r: wait::UnparkResult| {
            if refused.get().is_some() {
                return TOKEN_HANDOFF;
            }
            // Relaxed: under the bucket lock (see `filter`); with the queue
            // empty the fast paths may run, hence the CAS loop.
            let mut s = self.state.load(Ordering::Relaxed);
            loop {
                let v = s / ONE;
                let e = match avail.get() {
                    Some(_) => added.get(),
                    None => match room(v) {
                        Some(e) => e,
                        None => {
                            refused.set(Some(v));
                            return TOKEN_HANDOFF;
                        }
                    },
                };
                let new = ((v + e - handed.get()) * ONE) | usize::from(r.have_more_threads);
                // Release: when the queue is empty the permits become
                // available to fast-path takers (Acquire CAS).
                match self
                    .state
                    .compare_exchange_weak(s, new, Ordering::Release, Ordering::Relaxed)
                {
                    Ok(_) => return TOKEN_HANDOFF,
                    Err(now) => s = now,
                }
            }
        };
        // SAFETY: our own key; filter and callback do atomic operations and
        // arithmetic bounded by the checks above (`handed <= avail`,
        // `v + e <= bound`), so they neither panic nor park.
        unsafe { wait::unpark_filter(self.key(), filter, callback) };
        match refused.get() {
            Some(v) => Err(SemaphoreError::OverRelease {
                requested: extra,
                value: v,
                bound: self.bound,
            }),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for RawSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .field("bound", &self.bound)
            .field("fifo", &self.fifo)
            .finish()
    }
}

/// Permits taken from a [`Semaphore`] or [`BoundedSemaphore`]; they go back
/// when the permit is dropped.
///
/// Python's `with sem:` is `let _permit = sem.acquire();`. For Python's
/// manual style (acquire here, `release()` somewhere else, maybe on another
/// thread), call [`forget`](SemaphorePermit::forget) and later
/// `release(n)`.
///
/// Dropping a permit of a `BoundedSemaphore` gives back only as many
/// permits as fit under the bound (they can only fail to fit if some other
/// code released permits it never acquired; that code got the error).
///
/// # Examples
///
/// ```
/// let sem = threadkit::Semaphore::new(2);
/// {
///     let permit = sem.acquire();
///     assert_eq!(permit.count(), 1);
///     assert_eq!(sem.value(), 1);
/// }
/// assert_eq!(sem.value(), 2);
/// ```
#[must_use = "the permits go back as soon as the permit is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a RawSemaphore,
    n: usize,
}

impl SemaphorePermit<'_> {
    /// How many permits this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = threadkit::Semaphore::new(5);
    /// let p = sem.acquire_many(3).unwrap();
    /// assert_eq!(p.count(), 3);
    /// ```
    #[inline]
    pub fn count(&self) -> usize {
        self.n
    }

    /// Keeps the permits taken without returning them on drop; returns how
    /// many there were. Give them back later with `release(n)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = threadkit::Semaphore::new(1);
    /// let n = sem.acquire().forget();
    /// assert_eq!(sem.value(), 0);
    /// sem.release(n).unwrap();
    /// assert_eq!(sem.value(), 1);
    /// ```
    #[inline]
    pub fn forget(self) -> usize {
        let n = self.n;
        std::mem::forget(self);
        n
    }
}

impl Drop for SemaphorePermit<'_> {
    #[inline]
    fn drop(&mut self) {
        // Clamped, so it cannot fail (see the type docs).
        let _ = self.sem.release(self.n, true);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("count", &self.n)
            .finish()
    }
}

macro_rules! semaphore_api {
    ($ty:ident, $bounded:literal) => {
        impl $ty {
            /// Creates a semaphore holding `value` permits, with eventual
            /// fairness (see [`fifo`](Self::fifo) for strict arrival order).
            ///
            /// # Panics
            ///
            /// If `value` is above [`MAX_PERMITS`] (about 9.2e18 on 64-bit).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(3);")]
            /// assert_eq!(sem.value(), 3);
            /// ```
            #[track_caller]
            pub fn new(value: usize) -> $ty {
                let bound = if $bounded { value } else { MAX_PERMITS };
                $ty {
                    raw: RawSemaphore::new(value, bound.max(value), false),
                }
            }

            /// Creates a semaphore holding `value` permits that hands
            /// permits to waiters in arrival order: a large request at the
            /// head of the queue is never overtaken by smaller ones, and no
            /// newcomer takes permits while anyone is queued.
            ///
            /// # Panics
            ///
            /// If `value` is above [`MAX_PERMITS`].
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::fifo(2);")]
            /// assert_eq!(sem.fairness(), threadkit::Fairness::Fifo);
            /// let _p = sem.acquire_many(2).unwrap();
            /// assert!(sem.try_acquire().is_err());
            /// ```
            #[track_caller]
            pub fn fifo(value: usize) -> $ty {
                let bound = if $bounded { value } else { MAX_PERMITS };
                $ty {
                    raw: RawSemaphore::new(value, bound.max(value), true),
                }
            }

            /// Takes one permit, waiting as long as needed.
            ///
            /// # Panics
            ///
            /// If the deadlock detector picks this thread to break a
            /// deadlock (the panic message is the report).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(1);")]
            /// let permit = sem.acquire();
            /// assert_eq!(sem.value(), 0);
            /// drop(permit);
            /// assert_eq!(sem.value(), 1);
            /// ```
            #[inline]
            #[track_caller]
            pub fn acquire(&self) -> SemaphorePermit<'_> {
                match self.raw.acquire(1, None, Location::caller()) {
                    Ok(()) => SemaphorePermit {
                        sem: &self.raw,
                        n: 1,
                    },
                    Err(e) => blocking_failed(e),
                }
            }

            /// Takes one permit, waiting at most `timeout` (never less).
            /// A zero timeout is a [`try_acquire`](Self::try_acquire).
            ///
            /// # Errors
            ///
            /// [`SemaphoreError::Timeout`] when the time ran out.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(1);")]
            /// let held = sem.acquire();
            /// assert!(sem.acquire_timeout(Duration::from_millis(10)).is_err());
            /// drop(held);
            /// assert!(sem.acquire_timeout(Duration::from_millis(10)).is_ok());
            /// ```
            #[inline]
            #[track_caller]
            pub fn acquire_timeout(
                &self,
                timeout: Duration,
            ) -> Result<SemaphorePermit<'_>, SemaphoreError> {
                self.acquire_many_timeout(1, timeout)
            }

            /// Takes one permit if one is available now.
            ///
            /// # Errors
            ///
            /// [`SemaphoreError::WouldBlock`] when no permit is available
            /// (or, in FIFO mode, other threads are queued).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(1);")]
            /// let p = sem.try_acquire().unwrap();
            /// assert!(sem.try_acquire().is_err());
            /// drop(p);
            /// ```
            #[inline]
            pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, SemaphoreError> {
                self.try_acquire_many(1)
            }

            /// Takes `n` permits at once, waiting as long as needed.
            /// `n == 0` succeeds at once.
            ///
            /// # Errors
            ///
            /// [`SemaphoreError::TooMany`] if `n` is more than the
            /// semaphore can ever hold; [`SemaphoreError::Deadlock`] if the
            /// deadlock detector picks this thread.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(4);")]
            /// let p = sem.acquire_many(3).unwrap();
            /// assert_eq!(sem.value(), 1);
            /// drop(p);
            /// assert_eq!(sem.value(), 4);
            /// ```
            #[inline]
            #[track_caller]
            pub fn acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, SemaphoreError> {
                self.raw.acquire(n, None, Location::caller())?;
                Ok(SemaphorePermit { sem: &self.raw, n })
            }

            /// Takes `n` permits at once, waiting at most `timeout` (never
            /// less).
            ///
            /// # Errors
            ///
            /// [`SemaphoreError::Timeout`] when the time ran out (no permit
            /// is kept); [`SemaphoreError::TooMany`] as for
            /// [`acquire_many`](Self::acquire_many).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(2);")]
            /// assert!(sem.acquire_many_timeout(2, Duration::from_millis(5)).is_ok());
            /// ```
            #[inline]
            #[track_caller]
            pub fn acquire_many_timeout(
                &self,
                n: usize,
                timeout: Duration,
            ) -> Result<SemaphorePermit<'_>, SemaphoreError> {
                if timeout.is_zero() {
                    return self.try_acquire_many(n);
                }
                self.raw
                    .acquire(n, deadline_after(timeout), Location::caller())?;
                Ok(SemaphorePermit { sem: &self.raw, n })
            }

            /// Takes `n` permits if they are all available now.
            ///
            /// # Errors
            ///
            /// [`SemaphoreError::WouldBlock`] or [`SemaphoreError::TooMany`].
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(2);")]
            /// assert!(sem.try_acquire_many(3).is_err());
            /// assert!(sem.try_acquire_many(2).is_ok());
            /// ```
            #[inline]
            pub fn try_acquire_many(
                &self,
                n: usize,
            ) -> Result<SemaphorePermit<'_>, SemaphoreError> {
                self.raw.try_acquire(n)?;
                Ok(SemaphorePermit { sem: &self.raw, n })
            }

            /// Gives back `n` permits (any thread may release, as in
            /// Python) and wakes up to `n` waiters' worth of requests.
            ///
            /// # Errors
            ///
            /// [`SemaphoreError::ZeroRelease`] for `n == 0`;
            /// [`SemaphoreError::OverRelease`] if the value would go above
            /// the bound; the value is then unchanged.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(1);")]
            /// sem.acquire().forget();
            /// sem.release(1).unwrap();
            /// assert_eq!(sem.value(), 1);
            /// ```
            #[inline]
            pub fn release(&self, n: usize) -> Result<(), SemaphoreError> {
                self.raw.release(n, false)
            }

            /// The number of permits available right now (a snapshot).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::new(7);")]
            /// assert_eq!(sem.value(), 7);
            /// ```
            #[inline]
            pub fn value(&self) -> usize {
                self.raw.value()
            }

            /// Creates a semaphore holding `value` permits with the given
            /// fairness: [`Fairness::Eventual`] is [`new`](Self::new),
            /// [`Fairness::Fifo`] is [`fifo`](Self::fifo).
            ///
            /// # Panics
            ///
            /// If `value` is above [`MAX_PERMITS`].
            ///
            /// # Examples
            ///
            /// ```
            /// use threadkit::Fairness;
            #[doc = concat!("let sem = threadkit::", stringify!($ty), "::with_fairness(2, Fairness::Fifo);")]
            /// assert_eq!(sem.fairness(), Fairness::Fifo);
            /// ```
            #[track_caller]
            pub fn with_fairness(value: usize, fairness: Fairness) -> $ty {
                let bound = if $bounded { value } else { MAX_PERMITS };
                let fifo = fairness == Fairness::Fifo;
                $ty {
                    raw: RawSemaphore::new(value, bound.max(value), fifo),
                }
            }

            /// How permits are handed to waiters (see [`Fairness`]).
            ///
            /// # Examples
            ///
            /// ```
            /// use threadkit::Fairness;
            #[doc = concat!("assert_eq!(threadkit::", stringify!($ty), "::new(1).fairness(), Fairness::Eventual);")]
            /// ```
            #[inline]
            pub fn fairness(&self) -> Fairness {
                if self.raw.fifo {
                    Fairness::Fifo
                } else {
                    Fairness::Eventual
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("value", &self.raw.value())
                    .field("fifo", &self.raw.fifo)
                    .finish()
            }
        }
    };
}

/// An unchecked blocking call failed: the only possible reason is the
/// deadlock detector's verdict, reported as a panic (see the wait layer).
#[cold]
#[track_caller]
fn blocking_failed(e: SemaphoreError) -> ! {
    match e {
        SemaphoreError::Deadlock(d) => panic!("{}", d.report()),
        other => panic!("{other}"),
    }
}

/// Python's `threading.Semaphore`: a counter of permits; `acquire` takes
/// one (waiting while there are none), `release(n)` gives `n` back.
///
/// Any thread may release, including one that never acquired, and the
/// value may grow above the initial value (see [`BoundedSemaphore`] for a
/// semaphore that refuses that).
///
/// # Examples
///
/// ```
/// use threadkit::Semaphore;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let pool = Semaphore::new(2); // at most two downloads at once
/// let active = AtomicUsize::new(0);
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             let _permit = pool.acquire();
///             assert!(active.fetch_add(1, Ordering::SeqCst) < 2);
///             active.fetch_sub(1, Ordering::SeqCst);
///         });
///     }
/// });
/// ```
pub struct Semaphore {
    raw: RawSemaphore,
}

/// Python's `threading.BoundedSemaphore`: a [`Semaphore`] whose value may
/// never go above its initial value. A release that would is refused with
/// [`SemaphoreError::OverRelease`], leaving the value unchanged.
///
/// # Examples
///
/// ```
/// use threadkit::BoundedSemaphore;
///
/// let sem = BoundedSemaphore::new(1);
/// assert!(sem.release(1).is_err()); // nothing was acquired
/// let n = sem.acquire().forget();
/// sem.release(n).unwrap();
/// assert_eq!(sem.value(), 1);
/// ```
pub struct BoundedSemaphore {
    raw: RawSemaphore,
}

semaphore_api!(Semaphore, false);
semaphore_api!(BoundedSemaphore, true);

impl BoundedSemaphore {
    /// The bound: the initial value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::BoundedSemaphore::new(3).bound(), 3);
    /// ```
    #[inline]
    pub fn bound(&self) -> usize {
        self.raw.bound
    }
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Semaphore>();
    send_sync::<BoundedSemaphore>();
    send_sync::<SemaphorePermit<'static>>();
    send_sync::<SemaphoreError>();
};

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    #[test]
    fn loom_semaphore_never_overcommits() {
        loom::model(|| {
            let sem = Arc::new(RawSemaphore::new(1, MAX_PERMITS, false));
            let held = Arc::new(AtomicUsize::new(0));
            let ths: Vec<_> = (0..2)
                .map(|_| {
                    let (sem, held) = (sem.clone(), held.clone());
                    thread::spawn(move || {
                        sem.acquire(1, None, Location::caller()).unwrap();
                        assert_eq!(held.fetch_add(1, Ordering::SeqCst), 0);
                        held.fetch_sub(1, Ordering::SeqCst);
                        sem.release(1, false).unwrap();
                    })
                })
                .collect();
            for t in ths {
                t.join().unwrap();
            }
            assert_eq!(sem.value(), 1);
        });
    }

    #[test]
    fn loom_semaphore_release_wakes_waiter() {
        loom::model(|| {
            let sem = Arc::new(RawSemaphore::new(0, MAX_PERMITS, false));
            let s2 = sem.clone();
            let t = thread::spawn(move || s2.acquire(2, None, Location::caller()).unwrap());
            sem.release(1, false).unwrap();
            sem.release(1, false).unwrap();
            t.join().unwrap();
            assert_eq!(sem.value(), 0);
        });
    }

    #[test]
    fn loom_fifo_handoff() {
        loom::model(|| {
            let sem = Arc::new(RawSemaphore::new(0, 2, true));
            let ths: Vec<_> = [2usize, 1]
                .into_iter()
                .map(|n| {
                    let s = sem.clone();
                    thread::spawn(move || {
                        s.acquire(n, None, Location::caller()).unwrap();
                        s.release(n, false).unwrap();
                    })
                })
                .collect();
            sem.release(2, false).unwrap();
            for t in ths {
                t.join().unwrap();
            }
            assert_eq!(sem.value(), 2);
        });
    }

    #[test]
    fn loom_fifo_timeout_passes_on() {
        loom::model(|| {
            let sem = Arc::new(RawSemaphore::new(1, 2, true));
            let s1 = sem.clone();
            // A timed big request may leave the head; the small one behind
            // it must then get the permit that was there all along.
            let big = thread::spawn(move || {
                if s1
                    .acquire(2, Some(Instant::now()), Location::caller())
                    .is_ok()
                {
                    s1.release(2, false).unwrap();
                }
            });
            let s2 = sem.clone();
            let small = thread::spawn(move || {
                s2.acquire(1, None, Location::caller()).unwrap();
                s2.release(1, false).unwrap();
            });
            big.join().unwrap();
            small.join().unwrap();
            assert_eq!(sem.value(), 1);
        });
    }

    #[test]
    fn loom_eventual_woken_waiter_competes_with_barger() {
        loom::model(|| {
            let sem = Arc::new(RawSemaphore::new(0, MAX_PERMITS, false));
            let (s1, s2) = (sem.clone(), sem.clone());
            let waiter = thread::spawn(move || {
                s1.acquire(1, None, Location::caller()).unwrap();
                s1.release(1, false).unwrap();
            });
            let barger = thread::spawn(move || {
                if s2.try_acquire(1).is_ok() {
                    s2.release(1, false).unwrap();
                }
            });
            sem.release(1, false).unwrap();
            waiter.join().unwrap();
            barger.join().unwrap();
            assert_eq!(sem.value(), 1);
        });
    }
}
