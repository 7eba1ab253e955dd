//! A waiter on many futures at once, behind [`wait`](super::wait) and
//! [`as_completed`](super::as_completed).
//!
//! The multi-waiter registers one `Action::Multi(self, index)` in each
//! future it watches; a future that completes pushes its index onto `done`
//! and bumps `seq`, then unparks whoever parks on `seq`'s address. The
//! waiting thread parks only while `seq` still has the value it last saw,
//! checked under the parking lot's lock, so no completion is lost.
//!
//! | field  | meaning                                                      |
//! |--------|--------------------------------------------------------------|
//! | `seq`  | number of notifications so far (wraps; only equality matters)|
//! | `done` | indices notified and not yet drained by the waiter          |

use std::panic::Location;
use std::time::Instant;

use super::state::{Mutex, lock};
use crate::loom::sync::atomic::{AtomicU32, Ordering};
use crate::wait::{self, Meta, Owner, Park, WaitKind, Waiter};

/// See the module docs.
pub(crate) struct Multi {
    seq: AtomicU32,
    done: Mutex<Vec<usize>>,
}

/// How a [`Multi::wait`] ended.
pub(crate) enum Woke {
    /// Something was notified (or a spurious wake-up): drain and re-check.
    Changed,
    /// The deadline passed.
    TimedOut,
}

impl Multi {
    pub(crate) fn new() -> Multi {
        Multi {
            seq: AtomicU32::new(0),
            done: Mutex::new(Vec::new()),
        }
    }

    /// Called by a completing future (through its callback list).
    pub(crate) fn notify(&self, index: usize) {
        lock(&self.done).push(index);
        // Release: the waiter that sees the new value also sees the push
        // (it drains under the same mutex anyway).
        self.seq.fetch_add(1, Ordering::Release);
        // SAFETY: the key is this object's own address; no callback.
        unsafe {
            wait::unpark_all(self.key(), wait::DEFAULT_UNPARK_TOKEN);
        }
    }

    fn key(&self) -> usize {
        &self.seq as *const AtomicU32 as usize
    }

    /// The current notification count, to pass to [`wait`](Self::wait).
    pub(crate) fn seq(&self) -> u32 {
        // Acquire: pairs with `notify`'s Release.
        self.seq.load(Ordering::Acquire)
    }

    /// Moves the notified indices into `out`.
    pub(crate) fn drain(&self, out: &mut impl Extend<usize>) {
        out.extend(lock(&self.done).drain(..));
    }

    /// Blocks until the count differs from `seen` or `deadline` passes.
    /// The wait is not owner-tracked (any of several futures can end it).
    pub(crate) fn wait(
        &self,
        seen: u32,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Woke {
        let mut w = Waiter::new(
            WaitKind::Future,
            self,
            Meta::ANONYMOUS,
            Owner::None,
            site,
            deadline,
        );
        loop {
            if self.seq() != seen {
                return Woke::Changed;
            }
            if w.timed_out() {
                return Woke::TimedOut;
            }
            // Relaxed: under the bucket lock `notify`'s unpark also takes.
            let validate = || self.seq.load(Ordering::Relaxed) == seen;
            // SAFETY: our own address as key; `validate` only loads an
            // atomic; the other callbacks do nothing.
            let r = unsafe {
                w.park(
                    self.key(),
                    validate,
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            match r {
                Park::TimedOut => {
                    return if self.seq() != seen {
                        Woke::Changed
                    } else {
                        Woke::TimedOut
                    };
                }
                // Owner::None waits are never chosen as deadlock victims;
                // treat a verdict like a spurious wake-up.
                Park::Deadlock(_) | Park::Unparked(_) | Park::Invalid | Park::Retry => {}
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::futures::future::Future;
    use crate::futures::state::Action;
    use loom::thread;
    use std::sync::Arc;

    /// `wait` on a multi-waiter registered on two futures wakes once either
    /// finishes, whatever the interleaving of registration and completion.
    #[test]
    fn loom_multi_wakes_on_any() {
        loom::model(|| {
            let (a, ca) = Future::<u8>::pending();
            let (b, _cb) = Future::<u8>::pending();
            let multi = Arc::new(Multi::new());
            let t = thread::spawn(move || ca.set_result(1));
            let mut done = Vec::new();
            for (i, f) in [&a, &b].into_iter().enumerate() {
                if f.header()
                    .register(Action::Multi(multi.clone(), i))
                    .is_err()
                {
                    done.push(i);
                }
            }
            while done.is_empty() {
                let seen = multi.seq();
                multi.drain(&mut done);
                if done.is_empty() {
                    multi.wait(seen, None, std::panic::Location::caller());
                }
            }
            assert_eq!(done, [0]);
            t.join().unwrap();
        });
    }
}
