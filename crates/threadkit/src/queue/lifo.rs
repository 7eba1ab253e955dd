//! `LifoQueue<T>`: Python's `queue.LifoQueue`, last in, first out.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::api::tracked_queue_api;
use super::buffer::Buffer;
use super::engine::{Engine, Wait};
use super::error::{GetError, JoinError, PutError, TaskDoneError};
use super::locked::{Locked, Stack};
use crate::wait::{self, Meta};

/// A last-in, first-out queue (a stack) with the full [`Queue`](crate::Queue)
/// API: Python's `queue.LifoQueue`.
///
/// A `Vec` behind a small internal spin-then-park lock, with the same
/// waiting, task tracking and shutdown as `Queue`. Clone the handle to share
/// it.
///
/// # Examples
///
/// ```
/// let q = threadkit::LifoQueue::new();
/// for i in 0..3 {
///     q.put(i).unwrap();
/// }
/// assert_eq!(q.get(), Ok(2));
/// assert_eq!(q.get(), Ok(1));
/// assert_eq!(q.get(), Ok(0));
/// ```
pub struct LifoQueue<T>(Arc<Engine<T, Locked<Stack<T>>>>, usize);

impl<T> LifoQueue<T> {
    /// An unbounded LIFO queue (Python's `LifoQueue()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let q: threadkit::LifoQueue<u8> = threadkit::LifoQueue::new();
    /// assert!(q.empty());
    /// ```
    #[track_caller]
    pub fn new() -> Self {
        LifoQueue::build(0, Meta::here())
    }

    /// A LIFO queue holding at most `maxsize` items; `0` means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = threadkit::LifoQueue::with_maxsize(1);
    /// q.put(1).unwrap();
    /// assert!(q.try_put(2).is_err());
    /// ```
    #[track_caller]
    pub fn with_maxsize(maxsize: usize) -> Self {
        LifoQueue::build(maxsize, Meta::here())
    }

    fn build(maxsize: usize, meta: Meta) -> Self {
        let buf = Locked::new(Stack::default(), maxsize, meta);
        LifoQueue(Arc::new(Engine::new(buf, true, maxsize > 0, meta)), maxsize)
    }

    /// The bound given at creation (`0`: unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::LifoQueue::<u8>::new().maxsize(), 0);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.1
    }
}

impl<T> Default for LifoQueue<T> {
    /// An unbounded LIFO queue.
    #[track_caller]
    fn default() -> Self {
        LifoQueue::new()
    }
}

tracked_queue_api!(LifoQueue, []);
