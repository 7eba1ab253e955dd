//! The storage contract every queue kind plugs into the blocking engine.
//!
//! A buffer is a non-blocking container with a "closed" mark (set once by
//! `shutdown`). The engine in `engine.rs` adds waiting, waking, task
//! tracking and shutdown semantics on top, the same way for all kinds.
//!
//! The wake protocol relies on two signals, both read with `SeqCst` loads:
//! "not empty" ([`Buffer::is_empty`] turns false) must be published by a
//! `SeqCst` read-modify-write inside [`Buffer::push`], and "not full"
//! ([`Buffer::is_full`] turns false) by a `SeqCst` read-modify-write inside
//! [`Buffer::pop`]. Together with the engine's `SeqCst` waiter counters this
//! forms the Dekker pattern that rules out lost wake-ups (see
//! `engine.rs`).

/// Why a [`Buffer::push`] did not take the item.
#[derive(Debug)]
pub(crate) enum PushError<T> {
    /// No room (bounded buffers only).
    Full(T),
    /// The buffer is closed.
    Closed(T),
}

/// Why a [`Buffer::pop`] returned nothing.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum PopError {
    /// Nothing stored right now.
    Empty,
    /// Nothing stored, and the buffer is closed: nothing ever will be.
    Closed,
}

/// A non-blocking container with a closed mark (see the module docs).
pub(crate) trait Buffer<T> {
    /// Stores `item`, or hands it back.
    fn push(&self, item: T) -> Result<(), PushError<T>>;
    /// Takes the next item. A closed buffer still yields what it holds.
    fn pop(&self) -> Result<T, PopError>;
    /// Number of items stored (a snapshot).
    fn len(&self) -> usize;
    /// Whether nothing is stored (a `SeqCst` snapshot; see the module docs).
    fn is_empty(&self) -> bool;
    /// Whether a push would find no room (a `SeqCst` snapshot).
    fn is_full(&self) -> bool;
    /// Marks the buffer closed; `true` for the call that closed it.
    fn close(&self) -> bool;
    /// Whether [`close`](Buffer::close) was called (a `SeqCst` snapshot).
    fn is_closed(&self) -> bool;
}

/// Back-off for the short window in which another thread is half-way
/// through an operation on the same slot (it won the index, and is about to
/// write or read the slot), and for the engine's wait before it parks.
///
/// A few doubling spins (about 130 `spin_loop` hints in all), then
/// `yield_now` a few times, then [`Backoff::snooze`] says "park now". The
/// yields matter when threads outnumber cores (the benchmark's 4P4C on two
/// cores): the thread we wait for is often runnable but not running, and a
/// yield hands it our core for far less than a futex sleep and wake. It is
/// not a wait for the queue's state: the blocking wait goes through the
/// wait layer after this back-off.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    step: u32,
}

/// Doubling spin steps before yielding.
const SPIN_STEPS: u32 = 6;
/// Total steps (spins, then yields) before the back-off gives up.
const YIELD_STEPS: u32 = 10;

impl Backoff {
    /// Spins a little, then yields the CPU; `false` once the budget is used
    /// up (a waiter then parks; a slot hand-off keeps calling, yielding).
    #[inline]
    pub(crate) fn snooze(&mut self) -> bool {
        #[cfg(loom)]
        {
            loom::thread::yield_now();
            false
        }
        #[cfg(not(loom))]
        {
            if self.step < SPIN_STEPS {
                for _ in 0..(1u32 << self.step) {
                    std::hint::spin_loop();
                }
            } else if self.step < YIELD_STEPS {
                std::thread::yield_now();
            } else {
                // Budget used up: a waiter parks now; a slot hand-off (which
                // ignores the result) keeps yielding.
                std::thread::yield_now();
                return false;
            }
            self.step += 1;
            true
        }
    }
}
