//! [`Map`]: the iterator returned by
//! [`ThreadPoolExecutor::map`](super::ThreadPoolExecutor::map).

use std::collections::VecDeque;
use std::fmt;
use std::panic::Location;
use std::time::Instant;

use super::error::{ExecutorError, FutureError};
use super::future::Future;

type Feed<'e, R> = Box<dyn FnMut() -> Option<Result<Future<R>, ExecutorError>> + 'e>;

/// The results of a [`ThreadPoolExecutor::map`](super::ThreadPoolExecutor::map)
/// call, in input order.
///
/// Each item is the task's value or its [`FutureError`]. If a timeout was
/// given and a result is not ready by then, the iterator yields
/// [`FutureError::Timeout`] once, cancels the tasks that have not started,
/// and ends. Dropping the iterator also cancels what has not started.
///
/// # Examples
///
/// ```
/// let pool = threadkit::ThreadPoolExecutor::new();
/// let mut it = pool.map(|s: &str| s.len(), ["a", "bb"]).unwrap();
/// assert_eq!(it.next(), Some(Ok(1)));
/// assert_eq!(it.next(), Some(Ok(2)));
/// assert_eq!(it.next(), None);
/// ```
pub struct Map<'e, R> {
    feed: Feed<'e, R>,
    window: VecDeque<Future<R>>,
    limit: usize,
    deadline: Option<Instant>,
    exhausted: bool,
    ended: bool,
}

impl<'e, R: Send + 'static> Map<'e, R> {
    pub(super) fn new(feed: Feed<'e, R>, buffer: Option<usize>, deadline: Option<Instant>) -> Self {
        let mut m = Map {
            feed,
            window: VecDeque::new(),
            limit: buffer.unwrap_or(usize::MAX).max(1),
            deadline,
            exhausted: false,
            ended: false,
        };
        m.fill();
        m
    }

    /// Submits until the window is full or the input runs out. A refused
    /// submit becomes one failed item and ends the input.
    fn fill(&mut self) {
        while !self.exhausted && self.window.len() < self.limit {
            match (self.feed)() {
                None => self.exhausted = true,
                Some(Ok(f)) => self.window.push_back(f),
                Some(Err(e)) => {
                    let (f, c) = Future::pending();
                    c.set_error(FutureError::Rejected(e));
                    self.window.push_back(f);
                    self.exhausted = true;
                }
            }
        }
    }

    fn cancel_rest(&mut self) {
        for f in self.window.drain(..) {
            f.cancel();
        }
        self.exhausted = true;
    }
}

impl<R: Send + 'static> Iterator for Map<'_, R> {
    type Item = Result<R, FutureError>;

    #[track_caller]
    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        self.fill();
        let Some(f) = self.window.pop_front() else {
            self.ended = true;
            return None;
        };
        match f.wait_until(self.deadline, Location::caller()) {
            Ok(()) => {
                self.fill();
                Some(f.take())
            }
            Err(e) => {
                f.cancel();
                self.cancel_rest();
                self.ended = true;
                Some(Err(e))
            }
        }
    }
}

impl<R> Drop for Map<'_, R> {
    fn drop(&mut self) {
        for f in self.window.drain(..) {
            f.cancel();
        }
    }
}

impl<R> fmt::Debug for Map<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.window.len())
            .field("deadline", &self.deadline)
            .field("ended", &self.ended)
            .finish()
    }
}
