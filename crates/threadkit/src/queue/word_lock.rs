//! The small internal lock around the `LifoQueue`/`PriorityQueue` stores.
//!
//! A three-state word on the wait layer, held for a few instructions (one
//! `Vec::push`/`pop` or one heap sift). It is not a user-visible lock: it is
//! never held while user code could block, and it never holds while an item
//! is dropped (see `locked.rs`).
//!
//! | `state` | meaning                                         |
//! | ------- | ----------------------------------------------- |
//! | 0       | unlocked                                        |
//! | 1       | locked, nobody parked                           |
//! | 2       | locked, maybe somebody parked (unlock must wake) |

use std::panic::Location;

use super::buffer::Backoff;
use crate::loom::sync::atomic::{AtomicU8, Ordering};
use crate::wait::{self, Meta, Owner, Park, WaitKind, Waiter};

const UNLOCKED: u8 = 0;
const LOCKED: u8 = 1;
const PARKED: u8 = 2;

/// A spin-then-park mutual-exclusion word (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct WordLock {
    state: AtomicU8,
}

impl WordLock {
    /// An unlocked word.
    pub(crate) fn new() -> Self {
        WordLock {
            state: AtomicU8::new(UNLOCKED),
        }
    }

    /// Takes the lock.
    #[inline]
    pub(crate) fn lock(&self, meta: Meta) {
        // Acquire: the critical section comes after the previous unlock.
        if self
            .state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow(meta);
        }
    }

    #[cold]
    fn lock_slow(&self, meta: Meta) {
        let mut backoff = Backoff::default();
        loop {
            // Relaxed: a load-only spin; the CAS below does the acquiring.
            let s = self.state.load(Ordering::Relaxed);
            if s == UNLOCKED
                && self
                    .state
                    .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            if s == PARKED || !backoff.snooze() {
                break;
            }
        }
        let mut w = Waiter::new(
            WaitKind::Queue,
            self,
            meta,
            Owner::None,
            Location::caller(),
            None,
        );
        // Acquire: as in `lock`. From now on we hold the lock as PARKED, since
        // other threads may still be parked behind us.
        while self.state.swap(PARKED, Ordering::Acquire) != UNLOCKED {
            let key = self as *const WordLock as usize;
            // SAFETY: `key` is this lock's own address; the validate closure
            // only loads an atomic (no panic, no park); the other callbacks
            // do nothing.
            let r = unsafe {
                w.park(
                    key,
                    // Relaxed: read under the bucket lock, which orders it
                    // with the unlocker's unpark.
                    || self.state.load(Ordering::Relaxed) == PARKED,
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            if let Park::Deadlock(d) = r {
                // Unreachable in practice: `Owner::None` waits are never part
                // of a proven deadlock. Report it rather than hide it.
                panic!("{d}");
            }
        }
    }

    /// Releases the lock.
    #[inline]
    pub(crate) fn unlock(&self) {
        // Release: publishes the critical section to the next locker.
        if self.state.swap(UNLOCKED, Ordering::Release) == PARKED {
            self.wake();
        }
    }

    #[cold]
    fn wake(&self) {
        let key = self as *const WordLock as usize;
        // SAFETY: `key` is this lock's address; the callback does nothing.
        unsafe { wait::unpark_one(key, |_| wait::DEFAULT_UNPARK_TOKEN) };
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::UnsafeCell;
    use loom::sync::Arc;
    use loom::thread;

    /// Two threads increment a cell under the lock: loom's cell tracking
    /// proves mutual exclusion, and a lost wake-up would deadlock the model.
    #[test]
    fn loom_word_lock_mutual_exclusion() {
        loom::model(|| {
            let l = Arc::new((WordLock::new(), UnsafeCell::new(0)));
            let t = {
                let l = l.clone();
                thread::spawn(move || {
                    l.0.lock(Meta::ANONYMOUS);
                    // SAFETY: under the lock.
                    l.1.with_mut(|p| unsafe { *p += 1 });
                    l.0.unlock();
                })
            };
            for _ in 0..2 {
                l.0.lock(Meta::ANONYMOUS);
                // SAFETY: under the lock.
                l.1.with_mut(|p| unsafe { *p += 1 });
                l.0.unlock();
            }
            t.join().unwrap();
            // SAFETY: every other user has finished.
            assert_eq!(l.1.with(|p| unsafe { *p }), 3);
        });
    }
}
