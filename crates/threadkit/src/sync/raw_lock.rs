//! `RawLock`: Python's `threading.Lock` as it is, without a guard.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use super::fairness::Fairness;
use super::lock_builder::LockBuilder;
use super::lock_error::LockError;
use super::lock_word::{Failure, LockWord};
use crate::diagnostics::{Deadlock, hooks};
use crate::wait::{self, Meta, WaitKind, tid};

/// A lock with no data and no guard: any thread may release it, as Python's
/// `threading.Lock` allows (a lock used as a one-shot signal between two
/// threads, or released by a callback on another thread).
///
/// Prefer [`Lock`](crate::Lock) (a guard releases it, and it can own the
/// data it protects); use `RawLock` where acquire and release happen in
/// different places or on different threads. Like `Lock`, it is not
/// re-entrant: a second acquire by the holder blocks (the deadlock detector
/// reports it). One word (8 bytes); the uncontended acquire and release are
/// one atomic compare-and-swap each.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use threadkit::RawLock;
///
/// // A lock taken here and released by another thread: a one-shot signal.
/// let done = Arc::new(RawLock::new());
/// done.acquire();
/// let d = done.clone();
/// let worker = std::thread::spawn(move || {
///     // ... work ...
///     d.release().expect("the main thread holds it");
/// });
/// done.acquire(); // blocks until the worker releases it
/// done.release().unwrap();
/// worker.join().unwrap();
/// assert!(!done.locked());
/// ```
pub struct RawLock {
    word: LockWord,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RawLock>();
};

impl RawLock {
    /// An unlocked lock, identified in reports by where it was created.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::RawLock::new();
    /// assert!(!lock.locked());
    /// ```
    #[track_caller]
    pub fn new() -> RawLock {
        RawLock::from_parts(Meta::here(), Fairness::Eventual)
    }

    /// An unlocked lock with a name for reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::RawLock::named("printer");
    /// assert!(lock.try_acquire().is_ok());
    /// ```
    #[track_caller]
    pub fn named(name: &str) -> RawLock {
        RawLock::from_parts(
            Meta::new(Some(name), Location::caller()),
            Fairness::Eventual,
        )
    }

    /// A builder for a name and a fairness mode ([`LockBuilder::raw_lock`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{Fairness, RawLock};
    ///
    /// let lock = RawLock::builder().fairness(Fairness::Fifo).raw_lock();
    /// assert_eq!(lock.fairness(), Fairness::Fifo);
    /// ```
    pub fn builder() -> LockBuilder {
        LockBuilder::new()
    }

    pub(crate) fn from_parts(meta: Meta, fairness: Fairness) -> RawLock {
        RawLock {
            word: LockWord::new(meta, fairness),
        }
    }

    /// Blocks until the lock is acquired (Python's `acquire()`).
    ///
    /// # Panics
    ///
    /// If the deadlock detector proves this wait can never end (for example
    /// the calling thread already holds this lock), with the detector's
    /// report as message. Use [`acquire_checked`](RawLock::acquire_checked)
    /// to get it as an `Err` instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::RawLock::new();
    /// lock.acquire();
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire(&self) {
        if let Err(d) = self.acquire_checked() {
            panic!("{d}");
        }
    }

    /// Blocks until the lock is acquired, or fails with the detector's
    /// report if the wait is part of a proven deadlock.
    ///
    /// # Errors
    ///
    /// [`Deadlock`] when the detector chose this thread to break a cycle.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::RawLock::new();
    /// lock.acquire_checked().expect("no deadlock here");
    /// lock.release().unwrap();
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_checked(&self) -> Result<(), Deadlock> {
        let me = tid::current();
        if !self.word.lock_fast(me) {
            match self
                .word
                .lock_slow(me, WaitKind::Lock, Location::caller(), None)
            {
                Ok(()) => {}
                Err(Failure::Deadlock(d)) => return Err(d),
                Err(Failure::TimedOut) => unreachable!("an untimed wait does not time out"),
            }
        }
        self.acquired();
        Ok(())
    }

    /// Blocks at most `timeout` (Python's `acquire(timeout=t)`); a zero
    /// timeout is [`try_acquire`](RawLock::try_acquire). Never returns
    /// `Timeout` before `timeout` has passed.
    ///
    /// # Errors
    ///
    /// [`LockError::Timeout`] if the lock was held for the whole timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lock = threadkit::RawLock::new();
    /// assert!(lock.acquire_timeout(Duration::from_millis(10)).is_ok());
    /// assert!(lock.acquire_timeout(Duration::from_millis(10)).is_err());
    /// lock.release().unwrap();
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<(), LockError> {
        let me = tid::current();
        if !self.word.lock_fast(me) {
            if timeout.is_zero() {
                if !self.word.try_lock(me) {
                    return Err(LockError::Timeout);
                }
            } else {
                let deadline = wait::deadline_after(timeout);
                match self
                    .word
                    .lock_slow(me, WaitKind::Lock, Location::caller(), deadline)
                {
                    Ok(()) => {}
                    Err(Failure::TimedOut) => return Err(LockError::Timeout),
                    Err(Failure::Deadlock(d)) => return Err(LockError::Deadlock(d)),
                }
            }
        }
        self.acquired();
        Ok(())
    }

    /// Takes the lock if it is free, without waiting (Python's
    /// `acquire(blocking=False)`).
    ///
    /// # Errors
    ///
    /// [`LockError::WouldBlock`] if the lock is held.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::RawLock::new();
    /// assert!(lock.try_acquire().is_ok());
    /// assert!(lock.try_acquire().is_err());
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_acquire(&self) -> Result<(), LockError> {
        if self.word.try_lock(tid::current()) {
            self.acquired();
            Ok(())
        } else {
            Err(LockError::WouldBlock)
        }
    }

    #[inline]
    #[track_caller]
    fn acquired(&self) {
        hooks::acquired(
            WaitKind::Lock,
            self.word.addr(),
            self.word.meta(),
            Location::caller(),
        );
    }

    /// Releases the lock, whichever thread acquired it (Python's `release()`).
    ///
    /// # Errors
    ///
    /// [`LockError::NotLocked`] if the lock is not locked; nothing changes.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{LockError, RawLock};
    ///
    /// let lock = RawLock::new();
    /// lock.acquire();
    /// assert!(lock.release().is_ok());
    /// assert!(matches!(lock.release(), Err(LockError::NotLocked)));
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), LockError> {
        self.word.unlock_any().map_err(|_| LockError::NotLocked)?;
        hooks::released(self.word.addr());
        Ok(())
    }

    /// Whether the lock is held (a snapshot: Python's `locked()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::RawLock::new();
    /// assert!(!lock.locked());
    /// lock.acquire();
    /// assert!(lock.locked());
    /// ```
    #[inline]
    pub fn locked(&self) -> bool {
        self.word.is_locked()
    }

    /// The fairness mode chosen at creation.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{Fairness, RawLock};
    /// assert_eq!(RawLock::new().fairness(), Fairness::Eventual);
    /// ```
    pub fn fairness(&self) -> Fairness {
        self.word.fairness()
    }
}

impl Default for RawLock {
    #[track_caller]
    fn default() -> RawLock {
        RawLock::new()
    }
}

impl fmt::Debug for RawLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawLock")
            .field("locked", &self.locked())
            .field("fairness", &self.fairness())
            .finish()
    }
}
