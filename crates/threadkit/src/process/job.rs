//! A task on its way to a worker: the request bytes and the completion
//! the reply goes to.

use super::error::ProcessError;

/// Where a task's outcome goes (a future, an unordered-results queue...).
pub(crate) trait Completion: Send + 'static {
    /// Marks the task as running just before it is sent (again, if its
    /// first worker died before starting it); `false` if it was cancelled
    /// meanwhile (the task is then dropped, never sent).
    fn start(&self) -> bool;
    /// Completes the task with the child's reply payload or the failure.
    fn finish(self: Box<Self>, reply: Result<&[u8], ProcessError>);
    /// Completes a task that never started (shutdown with
    /// `cancel_futures`, pool terminated) with `err`.
    fn abandon(self: Box<Self>, err: ProcessError);
}

/// One queued or in-flight task.
pub(crate) struct Job {
    /// The function's registered name.
    pub(crate) name: &'static str,
    /// Whether `arg` is a chunk (see the codec docs).
    pub(crate) chunk: bool,
    /// The encoded argument(s).
    pub(crate) arg: Vec<u8>,
    /// Where the outcome goes.
    pub(crate) done: Box<dyn Completion>,
}

impl Job {
    /// A job for `name`.
    pub(crate) fn new(
        name: &'static str,
        chunk: bool,
        arg: Vec<u8>,
        done: Box<dyn Completion>,
    ) -> Job {
        Job {
            name,
            chunk,
            arg,
            done,
        }
    }
}
