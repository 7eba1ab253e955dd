//! How a lock chooses among the threads waiting for it.

/// How a [`Lock`](crate::Lock) (or [`RawLock`](crate::RawLock),
/// [`RLock`](crate::RLock), [`Condition`](crate::Condition)) passes itself
/// on when it is released while threads wait.
///
/// - [`Eventual`](Fairness::Eventual) (the default): a releasing thread
///   wakes the longest waiter but leaves the lock free, so a running thread
///   may take it first ("barging"), which keeps throughput high. A waiter
///   that has been waiting longer than about half a millisecond is no longer
///   passed over: the next release hands the lock straight to it. No thread
///   is starved, however greedy the others are.
/// - [`Fifo`](Fairness::Fifo): every release while threads wait hands the
///   lock to the longest waiter, so the lock is granted in arrival order
///   (the woken thread owns it when it returns). Slower under contention
///   (each hand-off waits for the woken thread to run), but strictly fair.
///
/// # Examples
///
/// ```
/// use threadkit::{Fairness, Lock};
///
/// let fifo = Lock::builder().fairness(Fairness::Fifo).lock(0);
/// assert_eq!(fifo.fairness(), Fairness::Fifo);
/// assert_eq!(Lock::new(0).fairness(), Fairness::Eventual);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
pub enum Fairness {
    /// Barging allowed, but a waiter starved for ~0.5 ms gets the lock handed
    /// over on the next release.
    #[default]
    Eventual,
    /// Strict first-in, first-out hand-off to waiting threads.
    Fifo,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Fairness>();
};
