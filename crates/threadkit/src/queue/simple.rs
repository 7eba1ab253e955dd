//! `SimpleQueue<T>`: Python's `queue.SimpleQueue`, an unbounded FIFO
//! without task tracking.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::buffer::Buffer;
use super::engine::{Engine, Wait};
use super::error::GetError;
use super::list::List;
use crate::wait::{self, Meta};

/// An unbounded first-in, first-out queue without `task_done`/`join` or
/// shutdown: Python's `queue.SimpleQueue`.
///
/// It is the same lock-free block list as an unbounded [`Queue`](crate::Queue)
/// without the task counter. `put` never blocks and never fails. It takes no
/// internal lock and runs no user code, so it is safe to `put` from a `Drop`
/// that runs in the middle of another `put`/`get` on the same queue (the
/// re-entrancy CPython's `SimpleQueue` was written for). Clone the handle
/// to share it.
///
/// # Examples
///
/// ```
/// let q = threadkit::SimpleQueue::new();
/// let tx = q.clone();
/// std::thread::spawn(move || {
///     for i in 0..3 {
///         tx.put(i);
///     }
/// });
/// assert_eq!((q.get(), q.get(), q.get()), (Ok(0), Ok(1), Ok(2)));
/// ```
pub struct SimpleQueue<T>(Arc<Engine<T, List<T>>>);

impl<T> SimpleQueue<T> {
    /// An empty queue (Python's `SimpleQueue()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let q: threadkit::SimpleQueue<i32> = threadkit::SimpleQueue::new();
    /// assert!(q.empty());
    /// ```
    #[track_caller]
    pub fn new() -> Self {
        SimpleQueue(Arc::new(Engine::new(
            List::new(),
            false,
            false,
            Meta::here(),
        )))
    }

    /// Puts `item` at the back (Python's `put` and `put_nowait`). Never
    /// blocks, never fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = threadkit::SimpleQueue::new();
    /// q.put("x");
    /// assert_eq!(q.qsize(), 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn put(&self, item: T) {
        // A SimpleQueue is never closed and never full, so the push cannot
        // fail; were it to, dropping the error would only drop the item.
        let _ = self.0.put(item, Wait::Try, Location::caller());
    }

    /// Takes the next item, waiting for one (Python's `get()`).
    ///
    /// # Errors
    ///
    /// None in practice: a `SimpleQueue` cannot be shut down, so this only
    /// returns `Ok`. The `Result` keeps the shape of the other queues.
    ///
    /// # Panics
    ///
    /// Never in practice: a queue wait names no owner, so the deadlock
    /// detector cannot prove it part of a deadlock (it would panic with the
    /// report, like every unchecked blocking call).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = threadkit::SimpleQueue::new();
    /// q.put(1);
    /// assert_eq!(q.get(), Ok(1));
    /// ```
    #[inline]
    #[track_caller]
    pub fn get(&self) -> Result<T, GetError> {
        self.0.get(Wait::Until(None), Location::caller())
    }

    /// Takes the next item, waiting at most `timeout` (Python's
    /// `get(timeout=t)`). A zero timeout is [`try_get`](Self::try_get).
    ///
    /// # Errors
    ///
    /// [`GetError::Timeout`] if the queue stayed empty for the whole timeout
    /// (never earlier).
    ///
    /// # Panics
    ///
    /// Never in practice: a queue wait names no owner, so the deadlock
    /// detector cannot prove it part of a deadlock (it would panic with the
    /// report, like every unchecked blocking call).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::{GetError, SimpleQueue};
    ///
    /// let q: SimpleQueue<u8> = SimpleQueue::new();
    /// assert_eq!(q.get_timeout(Duration::from_millis(5)), Err(GetError::Timeout));
    /// ```
    #[inline]
    #[track_caller]
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        let wait = if timeout.is_zero() {
            Wait::Try
        } else {
            Wait::Until(wait::deadline_after(timeout))
        };
        self.0.get(wait, Location::caller())
    }

    /// Takes the next item only if one is there now (Python's `get_nowait`).
    ///
    /// # Errors
    ///
    /// [`GetError::Empty`] if there is none.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{GetError, SimpleQueue};
    ///
    /// let q: SimpleQueue<u8> = SimpleQueue::new();
    /// assert_eq!(q.try_get(), Err(GetError::Empty));
    /// ```
    #[inline]
    pub fn try_get(&self) -> Result<T, GetError> {
        self.0.get(Wait::Try, Location::caller())
    }

    /// The number of items now (Python's `qsize()`; a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = threadkit::SimpleQueue::new();
    /// q.put(());
    /// assert_eq!(q.qsize(), 1);
    /// ```
    #[inline]
    pub fn qsize(&self) -> usize {
        self.0.buffer().len()
    }

    /// Whether the queue is empty now (Python's `empty()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let q: threadkit::SimpleQueue<()> = threadkit::SimpleQueue::new();
    /// assert!(q.empty());
    /// ```
    #[inline]
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }
}

impl<T> Default for SimpleQueue<T> {
    /// An empty queue.
    #[track_caller]
    fn default() -> Self {
        SimpleQueue::new()
    }
}

impl<T> Clone for SimpleQueue<T> {
    /// Another handle to the same queue.
    fn clone(&self) -> Self {
        SimpleQueue(Arc::clone(&self.0))
    }
}

impl<T> fmt::Debug for SimpleQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue")
            .field("qsize", &self.0.buffer().len())
            .finish()
    }
}
