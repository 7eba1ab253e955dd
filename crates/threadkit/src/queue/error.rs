//! The queue area's errors: one per operation, each handing back what the
//! caller would otherwise lose.

use std::error::Error;
use std::fmt;

/// Why a `put` did not store the item. The item is inside: nothing is lost.
///
/// # Examples
///
/// ```
/// use threadkit::{PutError, Queue};
///
/// let q = Queue::with_maxsize(1);
/// q.put(1).unwrap();
/// let err = q.try_put(2).unwrap_err();
/// assert!(matches!(err, PutError::Full(2)));
/// assert_eq!(err.into_inner(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutError<T> {
    /// The queue was full (`try_put`, Python's `put_nowait` raising `queue.Full`).
    Full(T),
    /// The queue stayed full for the whole timeout (`put_timeout`).
    Timeout(T),
    /// The queue was shut down (Python's `queue.ShutDown`).
    ShutDown(T),
}

impl<T> PutError<T> {
    /// The item that was not stored.
    ///
    /// ```
    /// use threadkit::Queue;
    ///
    /// let q = Queue::new();
    /// q.shutdown(false);
    /// assert_eq!(q.put("x").unwrap_err().into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(t) | PutError::Timeout(t) | PutError::ShutDown(t) => t,
        }
    }

    /// Whether the queue was shut down.
    ///
    /// ```
    /// use threadkit::Queue;
    ///
    /// let q = Queue::new();
    /// q.shutdown(false);
    /// assert!(q.put(1).unwrap_err().is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, PutError::ShutDown(_))
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("Full(..)"),
            PutError::Timeout(_) => f.write_str("Timeout(..)"),
            PutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Full(_) => {
                "put on a full queue: the item is handed back; retry later, \
                 or use put()/put_timeout() to wait for room"
            }
            PutError::Timeout(_) => "put timed out: the queue stayed full; the item is handed back",
            PutError::ShutDown(_) => {
                "put on a shut-down queue: it takes no more items; the item is handed back"
            }
        })
    }
}

impl<T> Error for PutError<T> {}

/// Why a `get` returned no item.
///
/// # Examples
///
/// ```
/// use threadkit::{GetError, Queue};
///
/// let q: Queue<i32> = Queue::new();
/// assert_eq!(q.try_get(), Err(GetError::Empty));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GetError {
    /// The queue was empty (`try_get`, Python's `get_nowait` raising `queue.Empty`).
    Empty,
    /// The queue stayed empty for the whole timeout (`get_timeout`).
    Timeout,
    /// The queue was shut down and holds nothing more (Python's `queue.ShutDown`).
    ShutDown,
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetError::Empty => {
                "get on an empty queue: retry later, or use get()/get_timeout() to wait for an item"
            }
            GetError::Timeout => "get timed out: the queue stayed empty",
            GetError::ShutDown => {
                "get on a shut-down queue with nothing left in it: no item will ever arrive"
            }
        })
    }
}

impl Error for GetError {}

/// `task_done()` was called more times than items were put (Python's
/// `ValueError`). The count is left at zero.
///
/// # Examples
///
/// ```
/// use threadkit::Queue;
///
/// let q: Queue<()> = Queue::new();
/// assert!(q.task_done().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "task_done() called more times than items were put: \
             call it once per item taken with get()",
        )
    }
}

impl Error for TaskDoneError {}

/// `join` gave up (a timeout, or `try_join`) while tasks were unfinished.
///
/// # Examples
///
/// ```
/// use threadkit::{JoinError, Queue};
///
/// let q = Queue::new();
/// q.put(1).unwrap();
/// assert_eq!(q.try_join(), Err(JoinError { unfinished: 1 }));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct JoinError {
    /// Items put but not yet marked done when the call returned.
    pub unfinished: usize,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "join gave up with {} unfinished task(s): consumers must call task_done() \
             once per item they get",
            self.unfinished
        )
    }
}

impl Error for JoinError {}
