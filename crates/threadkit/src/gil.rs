//! [`Gil`]: a working model of CPython's global interpreter lock.
//!
//! threadkit has no GIL; this type exists so the course's GIL experiments
//! can be reproduced next to the free-running ones, and so the cost of a
//! global lock can be measured rather than described.
//!
//! # The model
//!
//! CPython's GIL since 3.2 (`Python/ceval_gil.c`), reduced to its observable
//! behaviour:
//!
//! - one holder at a time;
//! - a thread that wants the GIL waits one *switch interval* (5 ms by
//!   default, `sys.getswitchinterval()`); if no switch happened meanwhile it
//!   sets a *drop request*;
//! - the holder polls the request at its next *checkpoint* (the eval loop's
//!   "eval breaker" between bytecodes: [`GilGuard::checkpoint`]) and then
//!   hands the GIL directly to a waiting thread (CPython's
//!   `FORCE_SWITCHING`: the yielding thread cannot take it straight back),
//!   before queueing to get it again;
//! - blocking calls release it ([`GilGuard::allow_threads`], the
//!   `Py_BEGIN_ALLOW_THREADS` bracket; [`GilGuard::sleep`] is `time.sleep`).
//!
//! # State word
//!
//! `state: AtomicU32`
//!
//! | bits   | meaning                                                     |
//! |--------|-------------------------------------------------------------|
//! | 0..30  | holder's thread id (`wait::tid`), 0 when free               |
//! | 30     | `PARKED`: some thread may be parked on the word's address   |
//!
//! | transition                 | who                | how                            |
//! |----------------------------|--------------------|--------------------------------|
//! | `0 -> me`                  | acquirer (fast)    | one CAS, `Acquire`             |
//! | `P -> P or me`             | acquirer (slow)    | CAS, `Acquire`                 |
//! | `h -> h or P`              | acquirer (slow)    | CAS before parking             |
//! | `me -> 0`                  | holder (fast)      | one CAS, `Release`             |
//! | `me or P -> 0 / P`         | holder (slow)      | in `unpark_one`'s callback     |
//! | `me or P -> w (or P)`      | holder (hand-off)  | in `unpark_filter`'s callback  |
//! | `x or P -> x`              | timed-out waiter   | in `park`'s `timed_out`        |
//!
//! Every change of the `PARKED` bit by a releaser happens under the parking
//! lot's bucket lock (in a callback), and a waiter only sleeps after its
//! `validate` has seen "held and `PARKED`" under the same lock, so a release
//! either fails that validation or finds the waiter in the queue: no wake-up
//! is lost.
//!
//! Besides the word, `drop_request` (the eval breaker), `waiting` (threads
//! in the acquisition slow path), `switches` (the number of acquisitions,
//! CPython's `switch_number`) and `forced` (the number of hand-offs; these
//! two are written only by the holder).
//!
//! A requester sets `drop_request` between two of its timed rounds, so the
//! holder's checkpoint may find nobody parked yet: it then keeps the request
//! for its next checkpoint as long as `waiting` says someone wants the GIL,
//! and clears it only after a hand-off or once nobody waits.
//!
//! # Fairness
//!
//! A normal release wakes one waiter and lets it race for the word (like
//! CPython's `drop_gil` without a request). A requested drop hands the GIL
//! to the waiter that has been parked the longest (the parking lot's queue is
//! FIFO), so two CPU-bound threads alternate every switch interval, as they
//! do in CPython.
//!
//! # Deadlock detection
//!
//! A GIL waiter publishes the holder as its owner, but it always waits in
//! timed rounds of one switch interval, so it is never part of a *proven*
//! deadlock (timed waits end by themselves). Acquiring the GIL a second time
//! on the thread that holds it is reported as [`GilError::AlreadyHeld`].

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;
use std::time::Duration;

use crate::diagnostics::Deadlock;
use crate::loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use crate::wait::deadline::expired;
use crate::wait::{
    self, DEFAULT_UNPARK_TOKEN, FilterOp, Meta, Owner, Park, ParkToken, Spin, Tid, UnparkToken,
    WaitKind, Waiter, deadline_after, tid,
};

/// Holder bits of the state word.
const HOLDER: u32 = (1 << 30) - 1;
/// Some thread may be parked on the state word.
const PARKED: u32 = 1 << 30;
/// Unpark token of a direct hand-off: the woken thread already owns the GIL.
const HANDOFF: UnparkToken = UnparkToken(1);

/// CPython's default switch interval (`sys.getswitchinterval()`): 5 ms.
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// A model of CPython's global interpreter lock (see the module docs of
/// `gil.rs` in the repository for the protocol).
///
/// Hold it with [`acquire`](Gil::acquire); call
/// [`checkpoint`](GilGuard::checkpoint) regularly in CPU-bound work (where
/// CPython's eval loop would check between bytecodes); release it around
/// blocking calls with [`allow_threads`](GilGuard::allow_threads).
///
/// # Example
///
/// Two CPU-bound threads under one `Gil` take turns instead of running in
/// parallel:
///
/// ```
/// use std::sync::Arc;
/// use threadkit::Gil;
///
/// let gil = Arc::new(Gil::new());
/// let workers: Vec<_> = (0..2)
///     .map(|_| {
///         let gil = Arc::clone(&gil);
///         std::thread::spawn(move || {
///             let mut guard = gil.acquire();
///             let mut x = 0u64;
///             for i in 0..100_000u64 {
///                 x = x.wrapping_add(std::hint::black_box(i));
///                 guard.checkpoint();
///             }
///             x
///         })
///     })
///     .collect();
/// for w in workers {
///     assert_eq!(w.join().unwrap(), (0..100_000u64).sum::<u64>());
/// }
/// assert!(!gil.locked());
/// ```
pub struct Gil {
    state: AtomicU32,
    drop_request: AtomicBool,
    waiting: AtomicU32,
    switches: AtomicU64,
    forced: AtomicU64,
    interval_ns: AtomicU64,
    meta: Meta,
}

/// Why the GIL could not be taken.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum GilError {
    /// `try_acquire`: another thread holds the GIL.
    WouldBlock,
    /// `acquire_timeout`: the timeout passed and the GIL is still held.
    Timeout,
    /// The calling thread already holds this GIL (it would wait for itself
    /// forever).
    AlreadyHeld,
    /// A zero switch interval was given.
    InvalidInterval,
    /// The deadlock detector chose this wait to break a proven deadlock.
    Deadlock(Deadlock),
}

impl fmt::Display for GilError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GilError::WouldBlock => {
                f.write_str("the GIL is held by another thread; retry later or use acquire()")
            }
            GilError::Timeout => f.write_str(
                "timed out waiting for the GIL; its holder did not reach a checkpoint or release it",
            ),
            GilError::AlreadyHeld => f.write_str(
                "this thread already holds the GIL; use the guard you have instead of acquiring again",
            ),
            GilError::InvalidInterval => {
                f.write_str("the switch interval must be greater than zero")
            }
            GilError::Deadlock(d) => write!(f, "deadlock while waiting for the GIL:\n{d}"),
        }
    }
}

impl std::error::Error for GilError {}

/// Proof that the calling thread holds a [`Gil`]; releases it on drop.
///
/// Not `Send`: the GIL is held by a thread, and only that thread may let go.
///
/// # Example
///
/// ```
/// let gil = threadkit::Gil::new();
/// let guard = gil.acquire();
/// assert!(gil.locked());
/// drop(guard);
/// assert!(!gil.locked());
/// ```
#[must_use = "the GIL is released as soon as the guard is dropped"]
pub struct GilGuard<'a> {
    gil: &'a Gil,
    me: u32,
    _not_send: PhantomData<*const ()>,
}

/// Why an internal acquisition stopped.
enum Failed {
    Timeout,
    AlreadyHeld,
    Deadlock(Deadlock),
}

impl Gil {
    /// A free GIL with CPython's default switch interval (5 ms).
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// assert_eq!(gil.switch_interval(), threadkit::DEFAULT_SWITCH_INTERVAL);
    /// ```
    #[track_caller]
    pub fn new() -> Gil {
        Gil::with_meta(Meta::here())
    }

    fn with_meta(meta: Meta) -> Gil {
        Gil {
            state: AtomicU32::new(0),
            drop_request: AtomicBool::new(false),
            waiting: AtomicU32::new(0),
            switches: AtomicU64::new(0),
            forced: AtomicU64::new(0),
            interval_ns: AtomicU64::new(DEFAULT_SWITCH_INTERVAL.as_nanos() as u64),
            meta,
        }
    }

    /// The switch interval: how long a waiting thread lets the holder run
    /// before it asks for the GIL (`sys.getswitchinterval()`).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let gil = threadkit::Gil::new();
    /// gil.set_switch_interval(Duration::from_millis(1)).unwrap();
    /// assert_eq!(gil.switch_interval(), Duration::from_millis(1));
    /// ```
    pub fn switch_interval(&self) -> Duration {
        // Relaxed: a configuration value; a waiter that reads the old one
        // only waits one round with it.
        Duration::from_nanos(self.interval_ns.load(Ordering::Relaxed))
    }

    /// Sets the switch interval (`sys.setswitchinterval()`); takes effect
    /// at each waiter's next round.
    ///
    /// # Errors
    ///
    /// [`GilError::InvalidInterval`] if `interval` is zero (CPython raises
    /// `ValueError`); the interval is unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let gil = threadkit::Gil::new();
    /// assert!(gil.set_switch_interval(Duration::ZERO).is_err());
    /// assert!(gil.set_switch_interval(Duration::from_micros(500)).is_ok());
    /// ```
    pub fn set_switch_interval(&self, interval: Duration) -> Result<(), GilError> {
        if interval.is_zero() {
            return Err(GilError::InvalidInterval);
        }
        let ns = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX);
        // Relaxed: see `switch_interval`.
        self.interval_ns.store(ns, Ordering::Relaxed);
        Ok(())
    }

    /// Whether some thread holds the GIL right now (a snapshot).
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// assert!(!gil.locked());
    /// let _g = gil.acquire();
    /// assert!(gil.locked());
    /// ```
    pub fn locked(&self) -> bool {
        // Relaxed: a snapshot for display; nothing is read through it.
        self.state.load(Ordering::Relaxed) & HOLDER != 0
    }

    /// How many times the GIL has been taken (CPython's `switch_number`).
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// drop(gil.acquire());
    /// drop(gil.acquire());
    /// assert_eq!(gil.switches(), 2);
    /// ```
    pub fn switches(&self) -> u64 {
        // Relaxed: a statistic.
        self.switches.load(Ordering::Relaxed)
    }

    /// How many times a holder gave the GIL up at a checkpoint because a
    /// waiter asked for it (forced switches).
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// let mut g = gil.acquire();
    /// g.checkpoint(); // nobody is waiting: no switch
    /// assert_eq!(gil.forced_switches(), 0);
    /// ```
    pub fn forced_switches(&self) -> u64 {
        // Relaxed: a statistic.
        self.forced.load(Ordering::Relaxed)
    }

    /// Takes the GIL, waiting as long as it takes.
    ///
    /// # Panics
    ///
    /// If the calling thread already holds this GIL (it would wait for
    /// itself forever; [`acquire_timeout`](Gil::acquire_timeout) and
    /// [`try_acquire`](Gil::try_acquire) return [`GilError::AlreadyHeld`]
    /// instead), or if the deadlock detector chose this wait to break a
    /// proven deadlock (the message is the report).
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// let g = gil.acquire();
    /// assert!(gil.locked());
    /// drop(g);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire(&self) -> GilGuard<'_> {
        let me = tid::current().get();
        if self.try_fast(me) {
            return self.guard(me);
        }
        match self.acquire_slow(me, None, Location::caller()) {
            Ok(()) => self.guard(me),
            Err(e) => panic!("{e}"),
        }
    }

    /// Takes the GIL, waiting at most `timeout` (a zero timeout is a try).
    ///
    /// # Errors
    ///
    /// [`GilError::Timeout`] if the GIL was still held when `timeout`
    /// passed (never earlier); [`GilError::AlreadyHeld`] if the caller holds
    /// it already.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let gil = threadkit::Gil::new();
    /// let g = gil.acquire_timeout(Duration::from_millis(10)).unwrap();
    /// assert!(matches!(
    ///     gil.acquire_timeout(Duration::from_millis(10)),
    ///     Err(threadkit::GilError::AlreadyHeld)
    /// ));
    /// drop(g);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<GilGuard<'_>, GilError> {
        let me = tid::current().get();
        if self.try_fast(me) {
            return Ok(self.guard(me));
        }
        if timeout.is_zero() {
            return self.try_acquire();
        }
        self.acquire_slow(me, deadline_after(timeout), Location::caller())
            .map(|()| self.guard(me))
    }

    /// Takes the GIL if it is free right now; never blocks.
    ///
    /// # Errors
    ///
    /// [`GilError::WouldBlock`] if another thread holds it;
    /// [`GilError::AlreadyHeld`] if the caller does.
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// let g = gil.try_acquire().unwrap();
    /// assert!(gil.try_acquire().is_err());
    /// drop(g);
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<GilGuard<'_>, GilError> {
        let me = tid::current().get();
        // Relaxed: the CAS below (Acquire) is what takes the GIL.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & HOLDER == me {
                return Err(GilError::AlreadyHeld);
            }
            if s & HOLDER != 0 {
                return Err(GilError::WouldBlock);
            }
            // Acquire: pairs with the holder's Release so everything the
            // previous holder did is visible to us.
            match self
                .state
                .compare_exchange_weak(s, s | me, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => {
                    self.on_acquired();
                    return Ok(self.guard(me));
                }
                Err(now) => s = now,
            }
        }
    }

    #[inline]
    fn guard(&self, me: u32) -> GilGuard<'_> {
        GilGuard {
            gil: self,
            me,
            _not_send: PhantomData,
        }
    }

    /// One CAS from free to held by `me`.
    #[inline]
    fn try_fast(&self, me: u32) -> bool {
        // Acquire: pairs with the Release of the previous holder's release.
        let ok = self
            .state
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok();
        if ok {
            self.on_acquired();
        }
        ok
    }

    /// Bookkeeping of a new holder (runs while holding the GIL).
    #[inline]
    fn on_acquired(&self) {
        // Relaxed load + store, not an RMW: only the holder writes
        // `switches`, and holders are ordered by the state word's
        // Acquire/Release; readers only compare it for change.
        let n = self.switches.load(Ordering::Relaxed);
        self.switches.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    /// A switch happened: a pending drop request is answered (CPython's
    /// `take_gil` resets it the same way); a waiter that still wants the
    /// GIL asks again after its next round.
    #[inline]
    fn reset_request(&self) {
        // Relaxed: a hint (see `checkpoint`).
        if self.drop_request.load(Ordering::Relaxed) {
            self.drop_request.store(false, Ordering::Relaxed);
        }
    }

    /// The slow path shared by every blocking acquisition.
    #[cold]
    fn acquire_slow(
        &self,
        me: u32,
        deadline: Option<std::time::Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), GilError> {
        self.wait_for_gil(me, deadline, site).map_err(|f| match f {
            Failed::Timeout => GilError::Timeout,
            Failed::AlreadyHeld => GilError::AlreadyHeld,
            Failed::Deadlock(d) => GilError::Deadlock(d),
        })
    }

    fn wait_for_gil(
        &self,
        me: u32,
        deadline: Option<std::time::Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), Failed> {
        /// Counts this thread among those that want the GIL until it
        /// leaves the slow path (with the GIL, a time-out or an error).
        struct Wanting<'g>(&'g AtomicU32);
        impl Drop for Wanting<'_> {
            fn drop(&mut self) {
                // Relaxed: a hint for `yield_slow` (see there).
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        // Relaxed: see `Wanting`.
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _wanting = Wanting(&self.waiting);
        let mut spin = Spin::new();
        loop {
            // Relaxed: only a hint for which CAS to try.
            let s = self.state.load(Ordering::Relaxed);
            if s & HOLDER == me {
                return Err(Failed::AlreadyHeld);
            }
            if s & HOLDER == 0 {
                // Acquire: see `try_fast`. The PARKED bit is kept: other
                // threads may still be parked.
                if self
                    .state
                    .compare_exchange_weak(s, s | me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    self.on_acquired();
                    self.reset_request();
                    return Ok(());
                }
                continue;
            }
            if s & PARKED == 0 {
                if spin.spin() {
                    continue;
                }
                // Relaxed: the bit is re-validated under the bucket lock.
                if self
                    .state
                    .compare_exchange_weak(s, s | PARKED, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
                {
                    continue;
                }
            }
            if deadline.is_some_and(expired) {
                return Err(Failed::Timeout);
            }
            // One round of at most one switch interval. Under loom, time does
            // not pass: once a request is pending, wait untimed so the model
            // stays finite.
            // Relaxed: `switches` is only compared for change, and
            // `drop_request` is a hint polled by the holder.
            let seen = self.switches.load(Ordering::Relaxed);
            let requested = cfg!(loom) && self.drop_request.load(Ordering::Relaxed);
            let round = if requested {
                deadline
            } else {
                let end = deadline_after(self.switch_interval());
                match (deadline, end) {
                    (Some(d), Some(e)) => Some(d.min(e)),
                    (d, e) => d.or(e),
                }
            };
            let mut w = Waiter::new(
                WaitKind::Gil,
                self,
                self.meta,
                Owner::Probe {
                    data: self as *const Gil as *const (),
                    probe: holder_probe,
                },
                site,
                round,
            );
            let key = self.key();
            let validate = || {
                // Relaxed: runs under the bucket lock, which orders it with
                // every releaser's callback.
                let s = self.state.load(Ordering::Relaxed);
                s & HOLDER != 0 && s & PARKED != 0
            };
            let timed_out = |_key: usize, was_last: bool| {
                if was_last {
                    // Relaxed: under the bucket lock (see `validate`).
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
            };
            // SAFETY: `key` is the address of our own state word; `validate`
            // and `timed_out` only touch atomics (no panic, no park); the
            // no-op `before_sleep` neither parks nor panics.
            let r = unsafe { w.park(key, validate, || {}, timed_out, ParkToken(me as usize)) };
            match r {
                // The holder wrote our id into the word in its callback.
                Park::Unparked(HANDOFF) => {
                    self.on_acquired();
                    self.reset_request();
                    return Ok(());
                }
                Park::Unparked(_) | Park::Invalid | Park::Retry => spin.reset(),
                Park::TimedOut => {
                    if deadline.is_some_and(expired) {
                        return Err(Failed::Timeout);
                    }
                    // A whole interval without a switch: ask the holder to
                    // drop it (CPython's SET_GIL_DROP_REQUEST).
                    // Relaxed: see above.
                    if self.switches.load(Ordering::Relaxed) == seen {
                        self.drop_request.store(true, Ordering::Relaxed);
                    }
                    spin.reset();
                }
                Park::Deadlock(d) => return Err(Failed::Deadlock(d)),
            }
        }
    }

    #[inline]
    fn key(&self) -> usize {
        &self.state as *const AtomicU32 as usize
    }

    /// Releases the GIL held by `me`.
    #[inline]
    fn release(&self, me: u32) {
        // Release: publishes the holder's work to the next holder.
        if self
            .state
            .compare_exchange(me, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.release_slow();
        }
    }

    /// Release with parked waiters: wake one, which races for the word.
    #[cold]
    fn release_slow(&self) {
        let key = self.key();
        let callback = |r: wait::UnparkResult| {
            // Release: as in `release`. Under the bucket lock, so a waiter
            // validating concurrently sees either the held word (and is then
            // in the queue we just looked at) or this one.
            let next = if r.have_more_threads { PARKED } else { 0 };
            self.state.store(next, Ordering::Release);
            DEFAULT_UNPARK_TOKEN
        };
        // SAFETY: `key` is our state word's address; the callback only
        // stores to an atomic (no panic, no park).
        unsafe {
            wait::unpark_one(key, callback);
        }
    }

    /// A requested drop at a checkpoint: hand the GIL to the longest
    /// waiter, then queue for it again.
    #[cold]
    fn yield_slow(&self, me: u32) {
        let key = self.key();
        let chosen = Cell::new(0u32);
        let filter = |t: ParkToken| {
            if chosen.get() == 0 {
                chosen.set(t.0 as u32);
                FilterOp::Unpark
            } else {
                FilterOp::Stop
            }
        };
        let callback = |r: wait::UnparkResult| {
            if r.unparked_threads == 0 {
                return DEFAULT_UNPARK_TOKEN;
            }
            // Served. Relaxed: a hint; the hand-off itself is ordered by
            // the bucket lock.
            self.drop_request.store(false, Ordering::Relaxed);
            let more = if r.have_more_threads { PARKED } else { 0 };
            // Release: the new holder sees everything we did (it also
            // synchronizes through the parking lot's wake-up).
            self.state.store(chosen.get() | more, Ordering::Release);
            HANDOFF
        };
        // SAFETY: `key` is our state word's address; the filter and the
        // callback only touch a `Cell` and an atomic (no panic, no park).
        let r = unsafe { wait::unpark_filter(key, filter, callback) };
        if r.unparked_threads == 0 {
            // Nobody is parked right now. The requester may be between two
            // rounds (it sets the request, then parks again): keep the
            // request for the next checkpoint while some thread still wants
            // the GIL; drop it once nobody does (the requester timed out).
            // Relaxed: both are hints; a stale read costs one more
            // checkpoint's look at the queue, or one more round.
            if self.waiting.load(Ordering::Relaxed) == 0 {
                self.drop_request.store(false, Ordering::Relaxed);
            }
            return;
        }
        let n = self.forced.load(Ordering::Relaxed);
        // Relaxed load + store: `forced` is written by holders only (we
        // still count as the holder until the callback above ran).
        self.forced.store(n.wrapping_add(1), Ordering::Relaxed);
        self.reacquire(me);
    }

    /// Takes the GIL back after a hand-off or an `allow_threads` section.
    fn reacquire(&self, me: u32) {
        if self.try_fast(me) {
            return;
        }
        if let Err(Failed::Deadlock(d)) = self.wait_for_gil(me, None, Location::caller()) {
            panic!("deadlock while re-acquiring the GIL:\n{d}");
        }
    }
}

/// Reads the holder of a GIL for the deadlock detector.
///
/// # Safety
///
/// `data` must point to a live [`Gil`] (guaranteed by the wait record's
/// contract: the waiter keeps the Gil borrowed while the record exists).
unsafe fn holder_probe(data: *const ()) -> Vec<Tid> {
    // SAFETY: by this function's contract `data` is a live `Gil`.
    let gil = unsafe { &*(data as *const Gil) };
    // Relaxed: a diagnostic snapshot, re-read on each detector walk.
    let h = gil.state.load(Ordering::Relaxed) & HOLDER;
    Tid::from_raw(h).into_iter().collect()
}

impl Default for Gil {
    #[track_caller]
    fn default() -> Gil {
        Gil::new()
    }
}

impl fmt::Debug for Gil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gil")
            .field("locked", &self.locked())
            .field("switch_interval", &self.switch_interval())
            .field("switches", &self.switches())
            .field("forced_switches", &self.forced_switches())
            .finish()
    }
}

impl GilGuard<'_> {
    /// The eval loop's check between bytecodes: if a waiting thread has
    /// asked for the GIL (a whole switch interval went by), hand it over and
    /// wait to get it back. Otherwise one relaxed load.
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// let mut g = gil.acquire();
    /// for _ in 0..1000 {
    ///     g.checkpoint();
    /// }
    /// ```
    #[inline]
    pub fn checkpoint(&mut self) {
        // Relaxed: a stale `false` only delays the hand-off to a later
        // checkpoint; the hand-off itself is ordered by the bucket lock.
        if self.gil.drop_request.load(Ordering::Relaxed) {
            self.gil.yield_slow(self.me);
        }
    }

    /// Runs `f` without the GIL (CPython's `Py_BEGIN_ALLOW_THREADS`), then
    /// takes it back, also if `f` panics.
    ///
    /// # Panics
    ///
    /// Re-raises a panic of `f` (after taking the GIL back).
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// let mut g = gil.acquire();
    /// let free = g.allow_threads(|| !gil.locked());
    /// assert!(free);
    /// assert!(gil.locked());
    /// ```
    pub fn allow_threads<R>(&mut self, f: impl FnOnce() -> R) -> R {
        struct Reacquire<'g>(&'g Gil, u32);
        impl Drop for Reacquire<'_> {
            fn drop(&mut self) {
                self.0.reacquire(self.1);
            }
        }
        self.gil.release(self.me);
        let _back = Reacquire(self.gil, self.me);
        f()
    }

    /// `time.sleep(d)`: sleeps for `d` without the GIL.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let gil = threadkit::Gil::new();
    /// let mut g = gil.acquire();
    /// let t = Instant::now();
    /// g.sleep(Duration::from_millis(5));
    /// assert!(t.elapsed() >= Duration::from_millis(5));
    /// ```
    pub fn sleep(&mut self, d: Duration) {
        self.allow_threads(|| std::thread::sleep(d));
    }

    /// The GIL this guard holds.
    ///
    /// # Example
    ///
    /// ```
    /// let gil = threadkit::Gil::new();
    /// let g = gil.acquire();
    /// assert!(std::ptr::eq(g.gil(), &gil));
    /// ```
    pub fn gil(&self) -> &Gil {
        self.gil
    }
}

impl Drop for GilGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.gil.release(self.me);
    }
}

impl fmt::Debug for GilGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GilGuard")
            .field("holder", &self.me)
            .finish()
    }
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Gil>();
    send_sync::<GilError>();
};

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// Two threads take turns; every acquisition sees the other's writes.
    #[test]
    fn loom_gil_mutual_exclusion() {
        loom::model(|| {
            let gil = Arc::new(Gil::with_meta(Meta::ANONYMOUS));
            let data = Arc::new(crate::loom::sync::atomic::AtomicU32::new(0));
            let (g2, d2) = (gil.clone(), data.clone());
            let t = loom::thread::spawn(move || {
                let _g = g2.acquire();
                let v = d2.load(Ordering::Relaxed);
                d2.store(v + 1, Ordering::Relaxed);
            });
            {
                let _g = gil.acquire();
                let v = data.load(Ordering::Relaxed);
                data.store(v + 1, Ordering::Relaxed);
            }
            t.join().unwrap();
            assert_eq!(data.load(Ordering::Relaxed), 2);
            assert!(!gil.locked());
        });
    }

    /// A requested drop at a checkpoint hands the GIL over without losing
    /// the waiter or leaving the word held.
    #[test]
    fn loom_gil_forced_handoff() {
        loom::model(|| {
            let gil = Arc::new(Gil::with_meta(Meta::ANONYMOUS));
            let g2 = gil.clone();
            let mut g = gil.acquire();
            let t = loom::thread::spawn(move || {
                drop(g2.acquire());
            });
            g.checkpoint();
            drop(g);
            t.join().unwrap();
            assert!(!gil.locked());
        });
    }
}
