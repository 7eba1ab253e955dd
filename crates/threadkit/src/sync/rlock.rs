//! `RLock<T>`: Python's `threading.RLock`, re-entrant, owning its data.
//!
//! # State
//!
//! The [lock word](super::lock_word) (owner tid + `PARKED`) plus a
//! recursion count that only the owner reads or writes:
//!
//! | word owner | count | meaning                                  |
//! |------------|-------|------------------------------------------|
//! | 0          | 0     | free                                     |
//! | `me`       | n ≥ 1 | held by `me`, acquired n times           |
//!
//! Re-entry is a relaxed load of the word, a compare with the caller's tid
//! and `count + 1`: only the owner itself can make the owner field equal to
//! its own tid, so a stale value can never look like "me" (the owner's own
//! writes are in its program order), and the count is only touched between
//! the owner's acquire and release of the word, which order it for the next
//! owner.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::panic::Location;
use std::time::Duration;

use super::fairness::Fairness;
use super::lock_builder::LockBuilder;
use super::lock_error::LockError;
use super::lock_word::{Failure, LockWord};
use crate::diagnostics::{Deadlock, hooks};
use crate::loom::UnsafeCell;
use crate::wait::{self, Meta, Tid, WaitKind, tid};

/// A re-entrant lock (Python's `threading.RLock`) that may own data: the
/// thread holding it can acquire it again without blocking, and it is free
/// once every guard of that thread is dropped.
///
/// Guards give `&T` (two guards of the same thread can coexist, so `&mut T`
/// would alias); put a `Cell`/`RefCell` inside for mutation. Only the owner
/// releases: guards are not `Send`, and [`RLock::<()>::release`](RLock::release)
/// (Python's explicit `release()`) fails for other threads.
/// [`is_owned`](RLock::is_owned) and
/// [`recursion_count`](RLock::recursion_count) tell the caller where it
/// stands. No poisoning (see [`Lock`](crate::Lock)).
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use threadkit::RLock;
///
/// fn add(log: &RLock<RefCell<Vec<u32>>>, x: u32) {
///     let g = log.acquire();
///     g.borrow_mut().push(x);
/// }
///
/// fn add_twice(log: &RLock<RefCell<Vec<u32>>>, x: u32) {
///     let _g = log.acquire(); // held across both calls
///     add(log, x); // re-enters without blocking
///     add(log, x);
///     assert_eq!(log.recursion_count(), 1);
/// }
///
/// let log = RLock::new(RefCell::new(Vec::new()));
/// add_twice(&log, 7);
/// assert_eq!(*log.acquire().borrow(), [7, 7]);
/// assert!(!log.is_owned());
/// ```
pub struct RLock<T = ()> {
    word: LockWord,
    count: UnsafeCell<u32>,
    data: UnsafeCell<T>,
}

// SAFETY: the data is only reached through guards, and the guards of one
// thread at a time exist (the owner's); they give `&T` only, all on that
// thread, so sharing the lock needs `T: Send` (the data moves between
// owners). The count is only touched by the owner (module docs).
unsafe impl<T: Send> Sync for RLock<T> {}
// SAFETY: owning the lock owns the `T`.
unsafe impl<T: Send> Send for RLock<T> {}

/// Proof that the calling thread holds an [`RLock`] (once more): gives
/// `&T`; dropping it undoes one acquisition.
///
/// # Examples
///
/// ```
/// let r = threadkit::RLock::new(3);
/// let a = r.acquire();
/// let b = r.acquire();
/// assert_eq!(r.recursion_count(), 2);
/// drop(b);
/// assert_eq!(r.recursion_count(), 1);
/// assert_eq!(*a, 3);
/// ```
#[must_use = "the acquisition is undone as soon as the guard is dropped"]
pub struct RLockGuard<'a, T> {
    rlock: &'a RLock<T>,
    /// The owner's tid, so the release needs no thread-local lookup.
    me: u32,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: a shared guard gives `&T` only.
unsafe impl<T: Sync> Sync for RLockGuard<'_, T> {}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    const fn assert_sync<T: Sync>() {}
    assert_send_sync::<RLock<()>>();
    assert_send_sync::<RLock<Vec<u8>>>();
    assert_sync::<RLockGuard<'static, u64>>();
};

impl RLock<()> {
    /// A builder for a name and a fairness mode ([`LockBuilder::rlock`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::builder().name("cache").rlock(());
    /// let _g = r.acquire();
    /// ```
    pub fn builder() -> LockBuilder {
        LockBuilder::new()
    }
}

impl<T> RLock<T> {
    /// An unlocked `RLock` holding `value`, identified in reports by where
    /// it was created.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::new(0);
    /// assert_eq!(*r.acquire(), 0);
    /// ```
    #[track_caller]
    pub fn new(value: T) -> RLock<T> {
        RLock::from_parts(Meta::here(), Fairness::Eventual, value)
    }

    /// An unlocked `RLock` holding `value`, with a name for reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::named("tree", ());
    /// assert!(!r.is_owned());
    /// ```
    #[track_caller]
    pub fn named(name: &str, value: T) -> RLock<T> {
        RLock::from_parts(
            Meta::new(Some(name), Location::caller()),
            Fairness::Eventual,
            value,
        )
    }

    pub(crate) fn from_parts(meta: Meta, fairness: Fairness, value: T) -> RLock<T> {
        RLock {
            word: LockWord::new(meta, fairness),
            count: UnsafeCell::new(0),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::RLock::new(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }

    /// The data, through exclusive access.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = threadkit::RLock::new(1);
    /// *r.get_mut() = 2;
    /// assert_eq!(*r.acquire(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` excludes every guard and every other access.
        self.data.with_mut(|p| unsafe { &mut *p })
    }

    /// Acquires the lock, blocking unless it is free or already held by
    /// the calling thread (then the recursion count goes up by one).
    ///
    /// # Panics
    ///
    /// If the deadlock detector proves the wait can never end (the report
    /// is the message; see [`acquire_checked`](RLock::acquire_checked)), or
    /// if one thread re-enters more than `u32::MAX` times.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::new(());
    /// let _a = r.acquire();
    /// let _b = r.acquire(); // same thread: no deadlock
    /// assert_eq!(r.recursion_count(), 2);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire(&self) -> RLockGuard<'_, T> {
        let me = tid::current();
        if self.word.owner_raw() == me.get() {
            return self.reenter(me);
        }
        if !self.word.lock_fast(me) {
            self.acquire_contended(me, Location::caller());
        }
        self.first(me, Location::caller())
    }

    #[cold]
    fn acquire_contended(&self, me: Tid, site: &'static Location<'static>) {
        match self.word.lock_slow(me, WaitKind::RLock, site, None) {
            Ok(()) => {}
            Err(Failure::Deadlock(d)) => panic!("{d}"),
            Err(Failure::TimedOut) => unreachable!("an untimed wait does not time out"),
        }
    }

    /// Like [`acquire`](RLock::acquire), but a proven deadlock is an `Err`.
    ///
    /// # Errors
    ///
    /// [`Deadlock`] when the detector chose this thread to break a cycle.
    ///
    /// # Panics
    ///
    /// If one thread re-enters more than `u32::MAX` times.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::new(());
    /// assert!(r.acquire_checked().is_ok());
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_checked(&self) -> Result<RLockGuard<'_, T>, Deadlock> {
        let me = tid::current();
        if self.word.owner_raw() == me.get() {
            return Ok(self.reenter(me));
        }
        if !self.word.lock_fast(me) {
            match self
                .word
                .lock_slow(me, WaitKind::RLock, Location::caller(), None)
            {
                Ok(()) => {}
                Err(Failure::Deadlock(d)) => return Err(d),
                Err(Failure::TimedOut) => unreachable!("an untimed wait does not time out"),
            }
        }
        Ok(self.first(me, Location::caller()))
    }

    /// Acquires within `timeout` (re-entry never waits); a zero timeout is
    /// [`try_acquire`](RLock::try_acquire). Never fails early.
    ///
    /// # Errors
    ///
    /// [`LockError::Timeout`] if another thread held it the whole time.
    ///
    /// # Panics
    ///
    /// If one thread re-enters more than `u32::MAX` times.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let r = threadkit::RLock::new(());
    /// let g = r.acquire_timeout(Duration::from_millis(10)).unwrap();
    /// assert!(r.acquire_timeout(Duration::ZERO).is_ok()); // re-entry
    /// drop(g);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<RLockGuard<'_, T>, LockError> {
        let me = tid::current();
        if self.word.owner_raw() == me.get() {
            return Ok(self.reenter(me));
        }
        if !self.word.lock_fast(me) {
            if timeout.is_zero() {
                if !self.word.try_lock(me) {
                    return Err(LockError::Timeout);
                }
            } else {
                let deadline = wait::deadline_after(timeout);
                match self
                    .word
                    .lock_slow(me, WaitKind::RLock, Location::caller(), deadline)
                {
                    Ok(()) => {}
                    Err(Failure::TimedOut) => return Err(LockError::Timeout),
                    Err(Failure::Deadlock(d)) => return Err(LockError::Deadlock(d)),
                }
            }
        }
        Ok(self.first(me, Location::caller()))
    }

    /// Acquires if free or already owned by the caller; never waits.
    ///
    /// # Errors
    ///
    /// [`LockError::WouldBlock`] if another thread holds it.
    ///
    /// # Panics
    ///
    /// If one thread re-enters more than `u32::MAX` times.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::new(());
    /// let a = r.try_acquire().unwrap();
    /// let b = r.try_acquire().unwrap(); // re-entry
    /// assert_eq!(r.recursion_count(), 2);
    /// # drop((a, b));
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_acquire(&self) -> Result<RLockGuard<'_, T>, LockError> {
        let me = tid::current();
        if self.word.owner_raw() == me.get() {
            return Ok(self.reenter(me));
        }
        if self.word.try_lock(me) {
            Ok(self.first(me, Location::caller()))
        } else {
            Err(LockError::WouldBlock)
        }
    }

    /// Whether the calling thread holds the lock (Python's `_is_owned()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::new(());
    /// assert!(!r.is_owned());
    /// let _g = r.acquire();
    /// assert!(r.is_owned());
    /// ```
    #[inline]
    pub fn is_owned(&self) -> bool {
        self.word.owner_raw() == tid::current().get()
    }

    /// How many times the calling thread holds the lock (0 if it does not
    /// own it; Python's `_recursion_count()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::new(());
    /// assert_eq!(r.recursion_count(), 0);
    /// let _a = r.acquire();
    /// assert_eq!(r.recursion_count(), 1);
    /// ```
    pub fn recursion_count(&self) -> u32 {
        if self.is_owned() {
            // SAFETY: the caller owns the lock, and only the owner touches
            // the count.
            self.count.with(|p| unsafe { *p })
        } else {
            0
        }
    }

    /// Whether some thread holds the lock (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::RLock::new(());
    /// let g = r.acquire();
    /// assert!(r.locked());
    /// drop(g);
    /// assert!(!r.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.word.is_locked()
    }

    /// The fairness mode chosen at creation.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{Fairness, RLock};
    /// assert_eq!(RLock::new(()).fairness(), Fairness::Eventual);
    /// ```
    pub fn fairness(&self) -> Fairness {
        self.word.fairness()
    }

    /// Re-entry by the owner: count + 1.
    #[inline]
    fn reenter(&self, me: Tid) -> RLockGuard<'_, T> {
        // SAFETY: the caller checked that this thread owns the lock; only
        // the owner touches the count.
        self.count.with_mut(|p| unsafe {
            *p = (*p)
                .checked_add(1)
                .expect("RLock re-entered more than u32::MAX times by one thread");
        });
        RLockGuard {
            rlock: self,
            me: me.get(),
            _not_send: PhantomData,
        }
    }

    /// First acquisition (the word was just taken): count = 1.
    #[inline]
    fn first(&self, me: Tid, site: &'static Location<'static>) -> RLockGuard<'_, T> {
        // SAFETY: this thread just took the word, so it is the owner; the
        // previous owner's writes to the count are ordered before ours by
        // its Release and our Acquire on the word.
        self.count.with_mut(|p| unsafe { *p = 1 });
        hooks::acquired(WaitKind::RLock, self.word.addr(), self.word.meta(), site);
        RLockGuard {
            rlock: self,
            me: me.get(),
            _not_send: PhantomData,
        }
    }

    /// Undoes one acquisition by the calling thread.
    #[inline]
    fn release_one(&self, me: u32) -> Result<(), LockError> {
        if self.word.owner_raw() != me {
            return Err(LockError::NotOwner);
        }
        // SAFETY: the caller owns the lock (checked above).
        let left = self.count.with_mut(|p| unsafe {
            *p -= 1;
            *p
        });
        if left == 0 {
            self.word.unlock_owned();
            hooks::released(self.word.addr());
        }
        Ok(())
    }
}

impl RLock<()> {
    /// Undoes one acquisition without a guard (Python's `release()`), for
    /// code that pairs acquire and release by hand: forget the guard
    /// (`std::mem::forget(r.acquire())`) and call this later on the same
    /// thread. Only for `RLock<()>`, which protects no data, so a guard
    /// outliving the lock's release can do no harm (its drop then does
    /// nothing, or undoes the count it was forgotten for).
    ///
    /// # Errors
    ///
    /// [`LockError::NotOwner`] if the calling thread does not hold the lock
    /// (Python's `RuntimeError: cannot release un-acquired lock`); nothing
    /// changes.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{LockError, RLock};
    ///
    /// let r = RLock::new(());
    /// std::mem::forget(r.acquire());
    /// std::mem::forget(r.acquire());
    /// assert!(r.release().is_ok());
    /// assert!(r.release().is_ok());
    /// assert!(matches!(r.release(), Err(LockError::NotOwner)));
    /// ```
    pub fn release(&self) -> Result<(), LockError> {
        self.release_one(tid::current().get())
    }
}

impl<T: Default> Default for RLock<T> {
    #[track_caller]
    fn default() -> RLock<T> {
        RLock::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for RLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RLock");
        match self.try_acquire() {
            Ok(g) => d.field("data", &&*g),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.field("fairness", &self.fairness()).finish()
    }
}

impl<T> Deref for RLockGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard proves this thread owns the lock; every other
        // reference to the data is a shared one on this same thread.
        self.rlock.data.with(|p| unsafe { &*p })
    }
}

impl<T> Drop for RLockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // An `RLock<()>` released by hand (`release()`) may already be free
        // or re-taken by another thread: then there is nothing to undo.
        let _ = self.rlock.release_one(self.me);
    }
}

impl<T: fmt::Debug> fmt::Debug for RLockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;

    #[test]
    fn loom_reentry_and_exclusion() {
        loom::model(|| {
            let r = Arc::new(RLock::new(UnsafeCell::new(0u32)));
            let r2 = r.clone();
            let bump = |r: &RLock<UnsafeCell<u32>>| {
                let outer = r.acquire();
                let inner = r.acquire();
                // SAFETY: the RLock is held; loom checks the claim.
                inner.with_mut(|p| unsafe { *p += 1 });
                drop(inner);
                assert!(r.is_owned());
                drop(outer);
            };
            let t = loom::thread::spawn(move || bump(&r2));
            bump(&r);
            t.join().unwrap();
            let g = r.acquire();
            // SAFETY: held.
            assert_eq!(g.with(|p| unsafe { *p }), 2);
        });
    }
}
