//! `PriorityQueue<T>`: Python's `queue.PriorityQueue`, smallest first.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::api::tracked_queue_api;
use super::buffer::Buffer;
use super::engine::{Engine, Wait};
use super::error::{GetError, JoinError, PutError, TaskDoneError};
use super::locked::{Locked, MinHeap};
use crate::wait::{self, Meta};

/// A queue that hands out its smallest item first, with the full
/// [`Queue`](crate::Queue) API: Python's `queue.PriorityQueue`.
///
/// Items are ordered by `Ord`; as in Python, put `(priority, data)` tuples
/// to attach data. Equal items come out in no particular order. A binary
/// heap behind a small internal spin-then-park lock; `Ord::cmp` runs under
/// that lock, so it must not use the same queue.
///
/// # Examples
///
/// ```
/// let q = threadkit::PriorityQueue::new();
/// q.put((2, "write")).unwrap();
/// q.put((1, "read")).unwrap();
/// q.put((3, "close")).unwrap();
/// assert_eq!(q.get(), Ok((1, "read")));
/// assert_eq!(q.get(), Ok((2, "write")));
/// ```
pub struct PriorityQueue<T: Ord>(Arc<Engine<T, Locked<MinHeap<T>>>>, usize);

impl<T: Ord> PriorityQueue<T> {
    /// An unbounded priority queue (Python's `PriorityQueue()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let q: threadkit::PriorityQueue<u8> = threadkit::PriorityQueue::new();
    /// assert!(q.empty());
    /// ```
    #[track_caller]
    pub fn new() -> Self {
        PriorityQueue::build(0, Meta::here())
    }

    /// A priority queue holding at most `maxsize` items; `0` means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = threadkit::PriorityQueue::with_maxsize(1);
    /// q.put(1).unwrap();
    /// assert!(q.full());
    /// ```
    #[track_caller]
    pub fn with_maxsize(maxsize: usize) -> Self {
        PriorityQueue::build(maxsize, Meta::here())
    }

    fn build(maxsize: usize, meta: Meta) -> Self {
        let buf = Locked::new(MinHeap::default(), maxsize, meta);
        PriorityQueue(Arc::new(Engine::new(buf, true, maxsize > 0, meta)), maxsize)
    }

    /// The bound given at creation (`0`: unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::PriorityQueue::<u8>::with_maxsize(3).maxsize(), 3);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.1
    }
}

impl<T: Ord> Default for PriorityQueue<T> {
    /// An unbounded priority queue.
    #[track_caller]
    fn default() -> Self {
        PriorityQueue::new()
    }
}

tracked_queue_api!(PriorityQueue, [Ord]);
