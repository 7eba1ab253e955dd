//! The errors of the futures area: one for a future's outcome, one for the
//! executor refusing work.

use std::fmt;

use crate::diagnostics::Deadlock;

/// Why a [`Future`](crate::Future) has no value to give.
///
/// Python raises these as exceptions from `Future.result()`
/// (`CancelledError`, `TimeoutError`, the task's own exception,
/// `BrokenThreadPool`); here they are the `Err` side of every result call.
///
/// # Examples
///
/// ```
/// use threadkit::{FutureError, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new();
/// let f = pool.submit(|| -> u32 { panic!("boom") }).unwrap();
/// match f.result() {
///     Err(FutureError::Panicked(msg)) => assert_eq!(msg, "boom"),
///     other => panic!("unexpected: {other:?}"),
/// }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum FutureError {
    /// The future was cancelled before its task started.
    Cancelled,
    /// The wait ended (timeout or try) before the future was done.
    Timeout,
    /// [`as_completed`](crate::as_completed) ran out of time: `unfinished`
    /// of the `total` distinct futures were still not done.
    Unfinished {
        /// Futures not done when the time ran out.
        unfinished: usize,
        /// Distinct futures given.
        total: usize,
    },
    /// The task panicked; the payload's message (or a placeholder for a
    /// payload that is not a string).
    Panicked(String),
    /// The task failed without panicking (set through a
    /// [`Completer`](crate::Completer), e.g. a worker process that crashed).
    Failed(String),
    /// The pool broke before the task could run (an initializer failed);
    /// the message says why.
    BrokenPool(String),
    /// The executor refused to run the task (it was shut down or broken
    /// while a [`map`](crate::ThreadPoolExecutor::map) was still feeding it).
    Rejected(ExecutorError),
    /// [`into_result`](crate::Future::into_result) could not move the value
    /// out because other clones of the future are alive.
    Shared,
    /// The deadlock detector proved that this wait can never end and chose
    /// this thread to break the cycle.
    Deadlock(Deadlock),
}

impl fmt::Display for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled => {
                f.write_str("the future was cancelled before its task started")
            }
            FutureError::Timeout => f.write_str(
                "the future is not done yet (timed out); wait longer or call result() to block",
            ),
            FutureError::Unfinished { unfinished, total } => write!(
                f,
                "{unfinished} (of {total}) futures unfinished when the timeout expired"
            ),
            FutureError::Panicked(m) => write!(f, "the task panicked: {m}"),
            FutureError::Failed(m) => write!(f, "the task failed: {m}"),
            FutureError::BrokenPool(m) => write!(
                f,
                "the thread pool is broken and did not run the task: {m}; create a new executor"
            ),
            FutureError::Rejected(e) => write!(f, "the task was not submitted: {e}"),
            FutureError::Shared => f.write_str(
                "cannot move the value out: other clones of this future are alive; \
                 use result() for a reference or drop the clones first",
            ),
            FutureError::Deadlock(d) => write!(f, "deadlock detected while waiting: {d}"),
        }
    }
}

impl std::error::Error for FutureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FutureError::Rejected(e) => Some(e),
            FutureError::Deadlock(d) => Some(d),
            _ => None,
        }
    }
}

impl PartialEq for FutureError {
    /// Same variant and same data (two deadlock errors compare by report).
    fn eq(&self, other: &Self) -> bool {
        use FutureError::*;
        match (self, other) {
            (Cancelled, Cancelled) | (Timeout, Timeout) | (Shared, Shared) => true,
            (
                Unfinished {
                    unfinished: a,
                    total: b,
                },
                Unfinished {
                    unfinished: c,
                    total: d,
                },
            ) => a == c && b == d,
            (Panicked(a), Panicked(b))
            | (Failed(a), Failed(b))
            | (BrokenPool(a), BrokenPool(b)) => a == b,
            (Rejected(a), Rejected(b)) => a == b,
            (Deadlock(a), Deadlock(b)) => a.report() == b.report(),
            _ => false,
        }
    }
}

/// Why a [`ThreadPoolExecutor`](crate::ThreadPoolExecutor) refused a call.
///
/// # Examples
///
/// ```
/// use threadkit::{ExecutorError, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new();
/// pool.shutdown(true, false);
/// assert_eq!(pool.submit(|| 1).unwrap_err(), ExecutorError::ShutDown);
/// assert!(ThreadPoolExecutor::builder().max_workers(0).build().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecutorError {
    /// `submit` (or `map`, `execute`) after `shutdown`.
    ShutDown,
    /// The pool is broken (an initializer failed): the message says why.
    Broken(String),
    /// `max_workers` was 0.
    InvalidWorkers,
    /// `map_with`'s `buffer` was `Some(0)`.
    InvalidBuffer,
}

impl fmt::Display for ExecutorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecutorError::ShutDown => {
                f.write_str("cannot schedule new tasks after the executor was shut down")
            }
            ExecutorError::Broken(m) => write!(
                f,
                "the thread pool is broken ({m}); no new task can run on it, create a new executor"
            ),
            ExecutorError::InvalidWorkers => f.write_str("max_workers must be greater than 0"),
            ExecutorError::InvalidBuffer => {
                f.write_str("map's buffer must be at least 1 (None submits every item at once)")
            }
        }
    }
}

impl std::error::Error for ExecutorError {}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(d) = payload.downcast_ref::<Deadlock>() {
        d.report().to_string()
    } else {
        "<non-string panic payload>".to_string()
    }
}
