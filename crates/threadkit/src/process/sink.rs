//! The bridge from a worker's reply to a [`Future`](crate::Future): what
//! [`ProcessPool::submit`](super::ProcessPool::submit) returns is the very
//! `Future` type of the thread pool, completed through its public
//! [`Completer`](crate::Completer), so `as_completed` and `wait` work on
//! process tasks and thread tasks alike.
//!
//! | process outcome                     | the future                          |
//! | ----------------------------------- | ----------------------------------- |
//! | value                               | `result()` = the value              |
//! | panic in the child                  | `FutureError::Panicked(message)`    |
//! | cancelled (`cancel`, shutdown with `cancel_futures`, terminate) | cancelled |
//! | worker died, terminated, decode failure | `FutureError::Failed(message)`: the [`ProcessError`] text, e.g. "broken pool: the worker process running the task ended (exit code 99) ..." |

use crate::futures::{Completer, Future, FutureError};

use super::error::ProcessError;
use super::job::Completion;

/// Completes one pool task's [`Future`].
pub(crate) struct FutureSink<R: Send + 'static> {
    completer: Completer<R>,
    /// A handle kept only to cancel the future when the pool abandons the
    /// task; dropped before any completion so `into_result` sees no clone.
    future: Future<R>,
    decode: fn(&[u8]) -> Result<R, ProcessError>,
}

impl<R: Send + Sync + 'static> FutureSink<R> {
    /// A pending future and its sink.
    pub(crate) fn new(decode: fn(&[u8]) -> Result<R, ProcessError>) -> (Future<R>, Self) {
        let (future, completer) = Future::pending();
        let sink = FutureSink {
            completer,
            future: future.clone(),
            decode,
        };
        (future, sink)
    }
}

/// The future's view of a failed process task.
pub(crate) fn future_error(e: ProcessError) -> FutureError {
    match e {
        ProcessError::Panicked(m) => FutureError::Panicked(m),
        ProcessError::Cancelled => FutureError::Cancelled,
        other => FutureError::Failed(other.to_string()),
    }
}

impl<R: Send + Sync + 'static> Completion for FutureSink<R> {
    fn start(&self) -> bool {
        // The task runs in a child process, not on the dispatching thread.
        self.completer.set_running_elsewhere()
    }

    fn finish(self: Box<Self>, reply: Result<&[u8], ProcessError>) {
        let FutureSink {
            completer,
            future,
            decode,
        } = *self;
        drop(future);
        match reply.and_then(decode) {
            Ok(v) => completer.set_result(v),
            Err(e) => completer.set_error(future_error(e)),
        }
    }

    fn abandon(self: Box<Self>, err: ProcessError) {
        let FutureSink {
            completer, future, ..
        } = *self;
        if err == ProcessError::Cancelled && future.cancel() {
            return; // the completer's drop finds the future cancelled
        }
        drop(future);
        completer.set_error(future_error(err));
    }
}
