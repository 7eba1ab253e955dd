//! The lock word: the state machine behind [`RawLock`](crate::RawLock),
//! [`Lock`](crate::Lock), [`RLock`](crate::RLock) and the lock inside
//! [`Condition`](crate::Condition).
//!
//! # State word (`state: AtomicU32`)
//!
//! | bits  | name     | meaning                                                   |
//! |-------|----------|-----------------------------------------------------------|
//! | 0     | `PARKED` | some thread may be parked on this lock (release must look) |
//! | 1     | -        | always 0                                                  |
//! | 2..32 | owner    | the owner's small thread id; 0 = unlocked                 |
//!
//! | word                 | meaning                                            |
//! |----------------------|----------------------------------------------------|
//! | `0`                  | unlocked, nobody parked                            |
//! | `tid << 2`           | held by `tid`, nobody parked: release is one CAS   |
//! | `tid << 2 \| PARKED` | held by `tid`, waiters may sleep: release wakes one |
//! | `PARKED`             | free, a woken waiter is on its way to retry        |
//!
//! The second `u32` (`info`) never changes after construction: the
//! [`Meta`] index in bits 0..31 and the [`Fairness`] in bit 31, so a
//! `Lock<()>` is 8 bytes.
//!
//! # Protocol
//!
//! - **Acquire**: fast path `CAS(0 -> me)`. Slow path: take the lock
//!   whenever the owner field is 0 (keeping `PARKED`); else spin (only while
//!   `PARKED` is clear, loads only), then set `PARKED` and park on the
//!   word's address. `validate` (under the parking lot's bucket lock)
//!   re-checks "held and `PARKED`", so a release between our check and our
//!   sleep is seen either by `validate` or by the releaser's unpark.
//! - **Release**: fast path `CAS(me -> 0)`; it fails only if `PARKED` is set
//!   (or the guard moved threads), and the slow path runs under the bucket
//!   lock: it picks the longest waiter and either frees the word (`PARKED`
//!   kept, the waiter retries: *barging* allowed) or writes the waiter's tid
//!   as the new owner (*hand-off*: the waiter owns the lock when it wakes).
//!   `PARKED` is cleared when the queue empties.
//! - **Fairness**: hand-off happens always in [`Fairness::Fifo`], and in
//!   [`Fairness::Eventual`] when the chosen waiter first parked more than
//!   [`STARVING_AFTER_US`] microseconds ago (its park token carries its
//!   tid and when it first parked), so barging can never starve a waiter.
//!   A thread makes such a fair hand-off at most once per that period
//!   (`fair_release_due`), so under heavy contention most releases still
//!   let the running threads barge (throughput), and a starving waiter
//!   waits at most about one period more.
//! - **Time-outs**: a waiter that times out is dequeued under the bucket
//!   lock; if it was the last one it clears `PARKED`.
//!
//! # Orderings
//!
//! Taking the lock is `Acquire` (it must see the previous critical
//! section), freeing or handing it over is `Release` (it publishes ours).
//! A thread that got the lock by hand-off re-reads the word with `Acquire`,
//! which reads the releaser's `Release` write (or a later RMW in its
//! release sequence), so the hand-off is ordered without relying on the
//! parking lot's internals. Setting and clearing `PARKED` is `Relaxed`:
//! the bit is only a hint that the slow release must look at the queue,
//! and every decision based on it is re-made under the bucket lock.

use std::cell::Cell;
use std::panic::Location;
use std::time::Instant;

use super::fairness::Fairness;
use crate::diagnostics::Deadlock;
use crate::loom::sync::atomic::{AtomicU32, Ordering};
use crate::wait::{
    self, DEFAULT_UNPARK_TOKEN, FilterOp, Meta, Owner, Park, ParkToken, Spin, Tid, UnparkToken,
    WaitKind, Waiter, tid,
};

/// Some thread may be parked on the word.
const PARKED: u32 = 0b01;
/// The owner's tid is stored shifted by this much.
const OWNER_SHIFT: u32 = 2;

/// `info` bit: strict FIFO hand-off.
const INFO_FIFO: u32 = 1 << 31;
/// `info` bits: the `Meta` index.
const INFO_META: u32 = !INFO_FIFO;

/// A waiter parked longer than this (microseconds, approximately) is handed
/// the lock on the next release even in [`Fairness::Eventual`].
pub(crate) const STARVING_AFTER_US: u64 = 500;

/// Unpark token: the lock was handed to the woken thread.
pub(crate) const TOKEN_HANDOFF: UnparkToken = UnparkToken(1);
/// Unpark token: the lock was freed; the woken thread retries.
const TOKEN_RETRY: UnparkToken = DEFAULT_UNPARK_TOKEN;

/// Why a blocking acquire gave up.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The deadline passed.
    TimedOut,
    /// The deadlock detector chose this thread to break a cycle.
    Deadlock(Deadlock),
}

/// Releasing a word that nobody holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotLocked;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct LockWord {
    state: AtomicU32,
    info: u32,
}

/// The word a thread with id `tid` writes as owner.
#[inline]
fn owner_bits(tid: Tid) -> u32 {
    tid.get() << OWNER_SHIFT
}

/// A process-wide clock in units of 1,024 ns, truncated to 32 bits (wraps
/// every ~73 minutes; only differences of recent values are used).
pub(crate) fn clock_units() -> u32 {
    if cfg!(loom) {
        return 0;
    }
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    (epoch.elapsed().as_nanos() >> 10) as u32
}

/// The park token of a waiter: its tid in the low 32 bits and, on 64-bit
/// targets, when it first parked (in [`clock_units`]) in the high 32 bits.
pub(crate) fn park_token(tid: Tid, first_parked: u32) -> ParkToken {
    ParkToken(((u64::from(first_parked) << 32) | u64::from(tid.get())) as usize)
}

/// Whether the waiter that parked with `token` has waited long enough that
/// the lock must be handed to it. On 32-bit targets the time is not in the
/// token, and every waiter counts as starving (the lock behaves as FIFO).
fn is_starving(token: ParkToken) -> bool {
    if cfg!(loom) {
        return false;
    }
    let since = ((token.0 as u64) >> 32) as u32;
    let waited = clock_units().wrapping_sub(since);
    u64::from(waited) * 1024 >= STARVING_AFTER_US * 1000
}

/// Rate limit of eventual fairness: whether the releasing thread may hand
/// the lock to a starving waiter now. Each thread does so at most once per
/// [`STARVING_AFTER_US`], so a heavily contended lock does not turn into a
/// convoy of hand-offs (each one waits for a sleeping thread to wake), while
/// a starving waiter still gets the lock within about that long.
fn fair_release_due() -> bool {
    std::thread_local! {
        static NEXT_FAIR: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    let now = clock_units();
    NEXT_FAIR
        .try_with(|next| {
            // Wrapping comparison: `now` is at or past `next`.
            if now.wrapping_sub(next.get()) < (1 << 31) {
                next.set(now.wrapping_add((STARVING_AFTER_US * 1000 / 1024) as u32));
                true
            } else {
                false
            }
        })
        .unwrap_or(true)
}

/// Reads the owner out of a lock word for the deadlock detector.
///
/// # Safety
///
/// `data` must point to the `AtomicU32` state of a live [`LockWord`].
unsafe fn probe_owner(data: *const ()) -> Vec<Tid> {
    // SAFETY: the caller guarantees `data` is the state word of a live lock
    // (the waiter that published the probe borrows the lock while the record
    // is visible).
    let state = unsafe { &*(data as *const AtomicU32) };
    // Relaxed: a diagnostic snapshot; the detector re-reads until stable.
    let s = state.load(Ordering::Relaxed);
    Tid::from_raw(s >> OWNER_SHIFT).into_iter().collect()
}

impl LockWord {
    /// An unlocked word.
    pub(crate) fn new(meta: Meta, fairness: Fairness) -> LockWord {
        let index = meta.index();
        let index = if index & INFO_FIFO != 0 {
            Meta::ANONYMOUS.index()
        } else {
            index
        };
        let fifo = match fairness {
            Fairness::Eventual => 0,
            Fairness::Fifo => INFO_FIFO,
        };
        LockWord {
            state: AtomicU32::new(0),
            info: index | fifo,
        }
    }

    /// The name / creation site.
    #[inline]
    pub(crate) fn meta(&self) -> Meta {
        Meta::from_index(self.info & INFO_META)
    }

    /// The fairness mode.
    #[inline]
    pub(crate) fn fairness(&self) -> Fairness {
        if self.info & INFO_FIFO != 0 {
            Fairness::Fifo
        } else {
            Fairness::Eventual
        }
    }

    /// The word's address: the parking key and the object's identity.
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        &self.state as *const AtomicU32 as usize
    }

    /// Whether some thread holds the lock (a snapshot).
    #[inline]
    pub(crate) fn is_locked(&self) -> bool {
        // Relaxed: a snapshot that orders nothing (Python's `locked()`).
        self.state.load(Ordering::Relaxed) >> OWNER_SHIFT != 0
    }

    /// The raw owner tid (0 = unlocked). `Relaxed`: used by `RLock` to ask
    /// "is it me?", which only the calling thread itself can make true.
    #[inline]
    pub(crate) fn owner_raw(&self) -> u32 {
        self.state.load(Ordering::Relaxed) >> OWNER_SHIFT
    }

    /// One attempt: `CAS(0 -> me)`.
    #[inline]
    pub(crate) fn lock_fast(&self, me: Tid) -> bool {
        // Acquire: taking the lock must see the previous critical section.
        self.state
            .compare_exchange(0, owner_bits(me), Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes the lock if its owner field is 0, whatever the flags.
    #[inline]
    pub(crate) fn try_lock(&self, me: Tid) -> bool {
        // Relaxed load: only a guess for the CAS below, which decides.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s >> OWNER_SHIFT != 0 {
                return false;
            }
            // Acquire: as in `lock_fast`.
            match self.state.compare_exchange_weak(
                s,
                s | owner_bits(me),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(x) => s = x,
            }
        }
    }

    /// The blocking acquire after the fast path failed (timed and untimed).
    #[cold]
    pub(crate) fn lock_slow(
        &self,
        me: Tid,
        kind: WaitKind,
        site: &'static Location<'static>,
        deadline: Option<Instant>,
    ) -> Result<(), Failure> {
        let mut spin = Spin::new();
        let mut waiter = Waiter::new(
            kind,
            &self.state,
            self.meta(),
            Owner::Probe {
                data: &self.state as *const AtomicU32 as *const (),
                probe: probe_owner,
            },
            site,
            deadline,
        );
        let mut first_parked: Option<u32> = None;
        loop {
            // Relaxed: a guess; the CASes below decide.
            let s = self.state.load(Ordering::Relaxed);
            if s >> OWNER_SHIFT == 0 {
                // Acquire: as in `lock_fast`.
                if self
                    .state
                    .compare_exchange_weak(
                        s,
                        s | owner_bits(me),
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
                {
                    return Ok(());
                }
                continue;
            }
            if s & PARKED == 0 {
                if spin.spin() {
                    continue;
                }
                // Relaxed: PARKED is a hint re-checked under the bucket lock
                // (module docs).
                if self
                    .state
                    .compare_exchange_weak(s, s | PARKED, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
                {
                    continue;
                }
            }
            if waiter.timed_out() {
                // PARKED may stay set with nobody parked: the next release
                // takes the slow path once, finds no waiter and clears it.
                return Err(Failure::TimedOut);
            }
            let since = *first_parked.get_or_insert_with(clock_units);
            let validate = || {
                // Relaxed: runs under the bucket lock, which every change of
                // PARKED that matters (release, time-out) also holds.
                let s = self.state.load(Ordering::Relaxed);
                s & PARKED != 0 && s >> OWNER_SHIFT != 0
            };
            let timed_out = |_key: usize, was_last: bool| {
                if was_last {
                    // Relaxed: see `validate`.
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
            };
            // SAFETY: the key is this word's address, which this lock owns;
            // `validate` and `timed_out` only touch atomics (no panic, no
            // park); `before_sleep` does nothing.
            let r = unsafe {
                waiter.park(
                    self.addr(),
                    validate,
                    || {},
                    timed_out,
                    park_token(me, since),
                )
            };
            match r {
                Park::Unparked(TOKEN_HANDOFF) => {
                    self.acquired_by_handoff(me);
                    return Ok(());
                }
                Park::Unparked(_) | Park::Invalid | Park::Retry => spin.reset(),
                Park::TimedOut => return Err(Failure::TimedOut),
                Park::Deadlock(d) => return Err(Failure::Deadlock(d)),
            }
        }
    }

    /// After a wake-up with [`TOKEN_HANDOFF`]: the lock is ours; re-read
    /// the word so the hand-off is ordered (module docs, "Orderings").
    #[inline]
    pub(crate) fn acquired_by_handoff(&self, me: Tid) {
        // Acquire: pairs with the releaser's Release hand-off.
        let s = self.state.load(Ordering::Acquire);
        debug_assert_eq!(s >> OWNER_SHIFT, me.get());
    }

    /// Marks the word as having parked threads (a `Condition` moving its
    /// waiters onto this lock's queue, under both bucket locks).
    pub(crate) fn set_parked(&self) {
        // Relaxed: PARKED is a hint (module docs); the caller holds the
        // bucket lock of this word.
        self.state.fetch_or(PARKED, Ordering::Relaxed);
    }

    /// A thread requeued onto this word timed out and was the last one:
    /// clear `PARKED` (under the bucket lock).
    pub(crate) fn clear_parked(&self) {
        // Relaxed: as in `set_parked`.
        self.state.fetch_and(!PARKED, Ordering::Relaxed);
    }

    /// Release by the thread that took the lock (guards).
    #[inline]
    pub(crate) fn unlock_owned(&self) {
        let me = tid::current();
        // Release: publishes the critical section to the next owner.
        if self
            .state
            .compare_exchange(owner_bits(me), 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            let r = self.unlock_slow();
            debug_assert!(r.is_ok(), "a guard released a lock nobody held");
        }
    }

    /// Release by any thread (Python's `Lock.release`).
    #[inline]
    pub(crate) fn unlock_any(&self) -> Result<(), NotLocked> {
        // Relaxed: a guess for the CAS, which decides.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s >> OWNER_SHIFT == 0 {
                return Err(NotLocked);
            }
            if s & PARKED != 0 {
                return self.unlock_slow();
            }
            // Release: as in `unlock_owned`.
            match self
                .state
                .compare_exchange_weak(s, 0, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(x) => s = x,
            }
        }
    }

    /// Release with `PARKED` set: wake (or hand over to) the longest waiter.
    #[cold]
    fn unlock_slow(&self) -> Result<(), NotLocked> {
        #[derive(Copy, Clone, PartialEq)]
        enum Outcome {
            NoWaiter,
            NotLocked,
            Freed,
            HandedOff,
        }
        let outcome = Cell::new(Outcome::NoWaiter);
        let fifo = self.fairness() == Fairness::Fifo;
        // The filter sees the queue's waiters in arrival order, under the
        // bucket lock: it releases (or hands over) the word on the first one
        // and stops.
        let filter = |token: ParkToken| {
            if outcome.get() != Outcome::NoWaiter {
                return FilterOp::Stop;
            }
            let handoff = fifo || (is_starving(token) && fair_release_due());
            let next = token.0 as u32;
            // Relaxed: a guess for the CAS.
            let mut s = self.state.load(Ordering::Relaxed);
            loop {
                if s >> OWNER_SHIFT == 0 {
                    outcome.set(Outcome::NotLocked);
                    return FilterOp::Stop;
                }
                let new = if handoff {
                    (next << OWNER_SHIFT) | PARKED
                } else {
                    PARKED
                };
                // Release: publishes the critical section to the next owner
                // (the woken thread, or a barging one).
                match self
                    .state
                    .compare_exchange(s, new, Ordering::Release, Ordering::Relaxed)
                {
                    Ok(_) => break,
                    Err(x) => s = x,
                }
            }
            outcome.set(if handoff {
                Outcome::HandedOff
            } else {
                Outcome::Freed
            });
            FilterOp::Unpark
        };
        let callback = |result: wait::UnparkResult| match outcome.get() {
            Outcome::NotLocked => TOKEN_RETRY,
            Outcome::NoWaiter => {
                // Nobody parked: free the word and clear PARKED.
                // Relaxed: a guess for the CAS.
                let mut s = self.state.load(Ordering::Relaxed);
                loop {
                    if s >> OWNER_SHIFT == 0 {
                        outcome.set(Outcome::NotLocked);
                        return TOKEN_RETRY;
                    }
                    // Release: as in `unlock_owned`.
                    match self
                        .state
                        .compare_exchange(s, 0, Ordering::Release, Ordering::Relaxed)
                    {
                        Ok(_) => return TOKEN_RETRY,
                        Err(x) => s = x,
                    }
                }
            }
            o @ (Outcome::Freed | Outcome::HandedOff) => {
                if !result.have_more_threads {
                    // Relaxed: PARKED is a hint (module docs).
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
                if o == Outcome::HandedOff {
                    TOKEN_HANDOFF
                } else {
                    TOKEN_RETRY
                }
            }
        };
        // SAFETY: the key is this word's address; the filter and callback
        // only touch atomics and a local `Cell` (no panic, no park).
        unsafe { wait::unpark_filter(self.addr(), filter, callback) };
        if outcome.get() == Outcome::NotLocked {
            Err(NotLocked)
        } else {
            Ok(())
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::UnsafeCell;
    use crate::loom::sync::Arc;

    struct Shared {
        word: LockWord,
        data: UnsafeCell<u32>,
    }

    fn shared(fairness: Fairness) -> Arc<Shared> {
        Arc::new(Shared {
            word: LockWord::new(Meta::ANONYMOUS, fairness),
            data: UnsafeCell::new(0),
        })
    }

    fn lock(s: &Shared) {
        let me = tid::current();
        if !s.word.lock_fast(me) {
            s.word
                .lock_slow(me, WaitKind::Lock, Location::caller(), None)
                .expect("untimed acquire cannot fail under loom");
        }
    }

    fn critical(s: &Shared) {
        // SAFETY: called with the lock held; loom checks the claim.
        s.data.with_mut(|p| unsafe { *p += 1 });
    }

    fn two_threads(fairness: Fairness) {
        loom::model(move || {
            let s = shared(fairness);
            let s2 = s.clone();
            let t = loom::thread::spawn(move || {
                lock(&s2);
                critical(&s2);
                s2.word.unlock_owned();
            });
            lock(&s);
            critical(&s);
            s.word.unlock_owned();
            t.join().unwrap();
            // SAFETY: both threads are done.
            assert_eq!(s.data.with(|p| unsafe { *p }), 2);
            assert!(!s.word.is_locked());
        });
    }

    #[test]
    fn loom_mutual_exclusion_eventual() {
        two_threads(Fairness::Eventual);
    }

    #[test]
    fn loom_mutual_exclusion_fifo() {
        two_threads(Fairness::Fifo);
    }

    #[test]
    fn loom_timed_acquire_and_release_by_other_thread() {
        loom::model(|| {
            let s = shared(Fairness::Eventual);
            let me = tid::current();
            assert!(s.word.lock_fast(me));
            let s2 = s.clone();
            let t = loom::thread::spawn(move || {
                let me = tid::current();
                let got = s2.word.lock_fast(me)
                    || s2
                        .word
                        .lock_slow(me, WaitKind::Lock, Location::caller(), Some(Instant::now()))
                        .is_ok();
                if got {
                    critical(&s2);
                    s2.word.unlock_owned();
                }
            });
            // Python-style: the raw release from the main thread.
            critical(&s);
            assert_eq!(s.word.unlock_any(), Ok(()));
            t.join().unwrap();
            assert!(!s.word.is_locked());
            assert_eq!(s.word.unlock_any(), Err(NotLocked));
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    use crate::registry;
    use crate::wait::{Tid, WaitKind, tid};
    use crate::{Fairness, Lock};

    /// Polls `tid`'s wait slot until it holds a record (the thread parked).
    fn wait_until_parked(tid: Tid) -> (WaitKind, Vec<Tid>) {
        let info = registry::by_tid(tid).expect("registered thread");
        loop {
            if let Some(rec) = info.wait.lock().as_ref() {
                return (rec.kind, rec.owners());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_blocked_acquire_records_the_lock_and_its_owner() {
        let lock = Arc::new(Lock::named("probe", ()));
        let g = lock.acquire();
        let me = tid::current();
        let (tx, rx) = mpsc::channel();
        let l = lock.clone();
        let t = std::thread::spawn(move || {
            tx.send(tid::current()).unwrap();
            drop(l.acquire());
        });
        let waiter = rx.recv().unwrap();
        let (kind, owners) = wait_until_parked(waiter);
        assert_eq!(kind, WaitKind::Lock);
        assert_eq!(owners, vec![me]);
        drop(g);
        t.join().unwrap();
        // Cleared once the call returned.
        let info = registry::by_tid(waiter);
        assert!(info.is_none_or(|i| i.wait.lock().is_none()));
    }

    #[test]
    fn fifo_mode_grants_the_lock_in_arrival_order() {
        let lock = Arc::new(Lock::builder().fairness(Fairness::Fifo).lock(Vec::new()));
        let mut g = lock.acquire();
        let mut handles = Vec::new();
        for i in 0..4 {
            let (tx, rx) = mpsc::channel();
            let l = lock.clone();
            handles.push(std::thread::spawn(move || {
                tx.send(tid::current()).unwrap();
                l.acquire().push(i);
            }));
            // Thread i is parked before thread i + 1 starts. The record is
            // published just before the thread enters the parking lot's
            // queue; the short pause covers that sub-microsecond window on
            // a loaded machine (the order itself comes from the polling).
            wait_until_parked(rx.recv().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
        g.push(-1);
        drop(g);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*lock.acquire(), vec![-1, 0, 1, 2, 3]);
    }
}
