//! The error type of the lock area (Lock, RawLock, RLock, Condition).

use std::fmt;

use crate::diagnostics::Deadlock;

/// Why a lock operation did not succeed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threadkit::{Lock, LockError};
///
/// let lock = Lock::new(());
/// let _held = lock.acquire();
/// assert!(matches!(lock.try_acquire(), Err(LockError::WouldBlock)));
/// assert!(matches!(
///     lock.acquire_timeout(Duration::from_millis(1)),
///     Err(LockError::Timeout)
/// ));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LockError {
    /// A `try_*` call found the lock held by someone.
    WouldBlock,
    /// A `*_timeout` call's time ran out before the lock was free.
    Timeout,
    /// `release()` on a lock that nobody holds (Python's `RuntimeError:
    /// release unlocked lock`).
    NotLocked,
    /// `release()` on an `RLock` by a thread that does not own it (Python's
    /// `RuntimeError: cannot release un-acquired lock`).
    NotOwner,
    /// The deadlock detector proved this wait can never end and chose this
    /// thread to break the cycle; the report names every thread and lock.
    Deadlock(Deadlock),
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LockError>();
};

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::WouldBlock => f.write_str(
                "the lock is held by another thread (try_acquire does not wait; \
                 use acquire or acquire_timeout to wait for it)",
            ),
            LockError::Timeout => f.write_str(
                "timed out waiting for the lock (another thread held it for the whole \
                 timeout; use a longer timeout, or find the holder with a thread dump)",
            ),
            LockError::NotLocked => f.write_str(
                "release of a lock that is not locked (each release must match \
                 one successful acquire)",
            ),
            LockError::NotOwner => f.write_str(
                "release of an RLock by a thread that does not own it (only the \
                 thread that acquired an RLock may release it)",
            ),
            LockError::Deadlock(d) => write!(f, "deadlock detected: {d}"),
        }
    }
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LockError::Deadlock(d) => Some(d),
            _ => None,
        }
    }
}
