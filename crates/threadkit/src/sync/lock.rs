//! `Lock<T>`: Python's `threading.Lock`, owning the data it protects.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::Duration;

use super::fairness::Fairness;
use super::lock_builder::LockBuilder;
use super::lock_error::LockError;
use super::lock_word::{Failure, LockWord};
use crate::diagnostics::{Deadlock, hooks};
use crate::loom::UnsafeCell;
use crate::wait::{self, Meta, WaitKind, tid};

/// A mutual-exclusion lock (Python's `threading.Lock`) that may own the
/// data it protects: `Lock::new(0)` is a lock and a counter in one.
///
/// [`acquire`](Lock::acquire) blocks and returns a guard that gives access
/// to the data and releases the lock when dropped (Python's `with lock:`);
/// [`acquire_timeout`](Lock::acquire_timeout) waits at most a `Duration`;
/// [`try_acquire`](Lock::try_acquire) never waits. Not re-entrant: a second
/// acquire by the holder blocks, as in Python (the deadlock detector reports
/// it); use [`RLock`](crate::RLock) for re-entry. For a lock released by
/// another thread than the one that acquired it, use
/// [`RawLock`](crate::RawLock).
///
/// `Lock<()>` is one word (8 bytes): a 32-bit state holding the owner's
/// thread id and a "parked" flag, and the index of its name and creation
/// site. The uncontended acquire and release are one compare-and-swap each,
/// with no allocation and no system call. Fairness is
/// [`Fairness::Eventual`] unless built otherwise ([`Lock::builder`]).
///
/// **No poisoning.** Python has none: a panic while a guard is alive just
/// releases the lock while unwinding, and the next thread sees the data as
/// the panicking thread left it.
///
/// # Examples
///
/// The seeds' counter: 5 threads x 100,000 increments, exactly 500,000.
///
/// ```
/// use std::sync::Arc;
/// use threadkit::Lock;
///
/// let counter = Arc::new(Lock::new(0u64));
/// let threads: Vec<_> = (0..5)
///     .map(|_| {
///         let counter = counter.clone();
///         std::thread::spawn(move || {
///             for _ in 0..100_000 {
///                 *counter.acquire() += 1;
///             }
///         })
///     })
///     .collect();
/// for t in threads {
///     t.join().unwrap();
/// }
/// assert_eq!(*counter.acquire(), 500_000);
/// ```
///
/// The same counter without a lock does not compile: Rust refuses to share
/// a mutable variable between threads (this is the seeds' "unsafe counter"):
///
/// ```compile_fail
/// let mut counter = 0u64;
/// let threads: Vec<_> = (0..5)
///     .map(|_| {
///         std::thread::spawn(|| {
///             for _ in 0..100_000 {
///                 counter += 1; // error: closure may outlive `counter`
///             }
///         })
///     })
///     .collect();
/// ```
///
/// Nor does the seeds' racy bank account, where a deposit and a withdrawal
/// read the same balance and one update is lost:
///
/// ```compile_fail
/// struct BankAccount {
///     bal: i64,
/// }
/// impl BankAccount {
///     fn deposit(&mut self, amt: i64) {
///         let balance = self.bal;
///         self.bal = balance + amt;
///     }
///     fn withdraw(&mut self, amt: i64) {
///         let balance = self.bal;
///         self.bal = balance - amt;
///     }
/// }
/// let mut b = BankAccount { bal: 0 };
/// std::thread::scope(|s| {
///     s.spawn(|| b.deposit(100));
///     s.spawn(|| b.withdraw(50)); // error: `b` is already borrowed mutably
/// });
/// ```
///
/// With a `Lock` it compiles, and the balance is always 50:
///
/// ```
/// use threadkit::Lock;
///
/// struct BankAccount {
///     bal: Lock<i64>,
/// }
/// impl BankAccount {
///     fn deposit(&self, amt: i64) {
///         let mut bal = self.bal.acquire();
///         let balance = *bal;
///         *bal = balance + amt;
///     }
///     fn withdraw(&self, amt: i64) {
///         let mut bal = self.bal.acquire();
///         let balance = *bal;
///         *bal = balance - amt;
///     }
/// }
/// let b = BankAccount { bal: Lock::new(0) };
/// std::thread::scope(|s| {
///     s.spawn(|| b.deposit(100));
///     s.spawn(|| b.withdraw(50));
/// });
/// assert_eq!(*b.bal.acquire(), 50);
/// ```
pub struct Lock<T = ()> {
    word: LockWord,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one thread at a time (the
// guard holder), so sharing the lock only needs `T` to move between threads.
unsafe impl<T: Send> Sync for Lock<T> {}
// SAFETY: owning the lock owns the `T` (the cell is only accessed through a
// guard, which borrows the lock).
unsafe impl<T: Send> Send for Lock<T> {}

/// The proof that the calling thread holds a [`Lock`]: gives access to the
/// data and releases the lock when dropped.
///
/// Not `Send`: a lock is released by the thread that acquired it (use
/// [`RawLock`](crate::RawLock) to release from elsewhere).
///
/// # Examples
///
/// ```
/// let lock = threadkit::Lock::new(String::from("a"));
/// {
///     let mut s = lock.acquire();
///     s.push('b');
/// } // released here
/// assert_eq!(*lock.acquire(), "ab");
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a, T> {
    lock: &'a Lock<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: a shared guard only gives `&T`, so it may be shared when `T: Sync`.
unsafe impl<T: Sync> Sync for LockGuard<'_, T> {}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    const fn assert_sync<T: Sync>() {}
    assert_send_sync::<Lock<()>>();
    assert_send_sync::<Lock<Vec<u8>>>();
    assert_sync::<LockGuard<'static, u64>>();
};

impl Lock<()> {
    /// A builder for a name and a fairness mode ([`LockBuilder::lock`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{Fairness, Lock};
    ///
    /// let lock = Lock::builder().name("queue").fairness(Fairness::Fifo).lock(());
    /// assert_eq!(lock.fairness(), Fairness::Fifo);
    /// ```
    pub fn builder() -> LockBuilder {
        LockBuilder::new()
    }
}

impl<T> Lock<T> {
    /// A lock holding `value`, identified in reports by where it was
    /// created.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::Lock::new(0);
    /// assert_eq!(*lock.acquire(), 0);
    /// ```
    #[track_caller]
    pub fn new(value: T) -> Lock<T> {
        Lock::from_parts(Meta::here(), Fairness::Eventual, value)
    }

    /// A lock holding `value`, with a name for reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::Lock::named("balance", 100);
    /// assert_eq!(*lock.acquire(), 100);
    /// ```
    #[track_caller]
    pub fn named(name: &str, value: T) -> Lock<T> {
        Lock::from_parts(
            Meta::new(Some(name), Location::caller()),
            Fairness::Eventual,
            value,
        )
    }

    pub(crate) fn from_parts(meta: Meta, fairness: Fairness, value: T) -> Lock<T> {
        Lock {
            word: LockWord::new(meta, fairness),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::Lock::new(vec![1]);
    /// assert_eq!(lock.into_inner(), vec![1]);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }

    /// The data, through exclusive access (no locking needed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = threadkit::Lock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(*lock.acquire(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` excludes every guard and every other access.
        self.data.with_mut(|p| unsafe { &mut *p })
    }

    /// Blocks until the lock is acquired (Python's `acquire()` or `with`).
    ///
    /// # Panics
    ///
    /// If the deadlock detector proves this wait can never end (for example
    /// the calling thread already holds this lock), with the report as the
    /// panic message; guards held by the thread are released while
    /// unwinding. Use [`acquire_checked`](Lock::acquire_checked) to get an
    /// `Err` instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::Lock::new(1);
    /// let mut g = lock.acquire();
    /// *g += 1;
    /// assert_eq!(*g, 2);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire(&self) -> LockGuard<'_, T> {
        let me = tid::current();
        if !self.word.lock_fast(me) {
            self.acquire_contended(me, Location::caller());
        }
        self.guard(Location::caller())
    }

    #[cold]
    fn acquire_contended(&self, me: tid::Tid, site: &'static Location<'static>) {
        match self.word.lock_slow(me, WaitKind::Lock, site, None) {
            Ok(()) => {}
            Err(Failure::Deadlock(d)) => panic!("{d}"),
            Err(Failure::TimedOut) => unreachable!("an untimed wait does not time out"),
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
    /// let lock = threadkit::Lock::new(());
    /// let guard = lock.acquire_checked().expect("no deadlock here");
    /// drop(guard);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_checked(&self) -> Result<LockGuard<'_, T>, Deadlock> {
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
        Ok(self.guard(Location::caller()))
    }

    /// Blocks at most `timeout` (Python's `acquire(timeout=t)`); a zero
    /// timeout is [`try_acquire`](Lock::try_acquire). Never fails before
    /// `timeout` has passed; `Duration::MAX` waits forever.
    ///
    /// # Errors
    ///
    /// [`LockError::Timeout`] if the lock stayed held for the whole timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::{Lock, LockError};
    ///
    /// let lock = Lock::new(());
    /// let held = lock.acquire_timeout(Duration::from_secs(1)).unwrap();
    /// let again = lock.acquire_timeout(Duration::from_millis(5));
    /// assert!(matches!(again, Err(LockError::Timeout)));
    /// drop(held);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<LockGuard<'_, T>, LockError> {
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
        Ok(self.guard(Location::caller()))
    }

    /// Takes the lock if it is free, without waiting (Python's
    /// `acquire(blocking=False)`).
    ///
    /// # Errors
    ///
    /// [`LockError::WouldBlock`] if another thread (or this one) holds it.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::Lock::new(());
    /// let g = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_err());
    /// drop(g);
    /// assert!(lock.try_acquire().is_ok());
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_acquire(&self) -> Result<LockGuard<'_, T>, LockError> {
        if self.word.try_lock(tid::current()) {
            Ok(self.guard(Location::caller()))
        } else {
            Err(LockError::WouldBlock)
        }
    }

    /// Whether the lock is held by some thread (a snapshot: Python's
    /// `locked()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::Lock::new(());
    /// let g = lock.acquire();
    /// assert!(lock.locked());
    /// drop(g);
    /// assert!(!lock.locked());
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
    /// use threadkit::{Fairness, Lock};
    /// assert_eq!(Lock::new(()).fairness(), Fairness::Eventual);
    /// ```
    pub fn fairness(&self) -> Fairness {
        self.word.fairness()
    }

    /// Builds the guard after the word was taken (and tells diagnostics).
    #[inline]
    fn guard(&self, site: &'static Location<'static>) -> LockGuard<'_, T> {
        hooks::acquired(WaitKind::Lock, self.word.addr(), self.word.meta(), site);
        LockGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// The lock word (for `Condition`).
    pub(crate) fn word(&self) -> &LockWord {
        &self.word
    }
}

impl<T: Default> Default for Lock<T> {
    #[track_caller]
    fn default() -> Lock<T> {
        Lock::new(T::default())
    }
}

impl<T> From<T> for Lock<T> {
    #[track_caller]
    fn from(value: T) -> Lock<T> {
        Lock::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Lock");
        match self.try_acquire() {
            Ok(g) => d.field("data", &&*g),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.field("fairness", &self.fairness()).finish()
    }
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard proves this thread holds the lock, so no other
        // thread accesses the data until the guard is dropped; the shared
        // borrow of the guard bounds the reference.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and the unique borrow of the guard makes
        // this the only reference.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for LockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.word.unlock_owned();
        hooks::released(self.lock.word.addr());
    }
}

impl<T: fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
