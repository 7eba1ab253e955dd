//! `Queue<T>`: Python's `queue.Queue`, first in, first out.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::api::tracked_queue_api;
use super::buffer::{Buffer, PopError, PushError};
use super::engine::{Engine, Wait};
use super::error::{GetError, JoinError, PutError, TaskDoneError};
use super::list::List;
use super::locked::{Deque, Locked};
use super::ring::Ring;
use crate::wait::{self, Meta};

/// The largest `maxsize` preallocated as a ring (one slot per item); a
/// larger bound (up to `usize::MAX`, which CPython accepts too) uses a
/// growable deque behind a lock instead of allocating it all up front.
const RING_MAX: usize = 1 << 16;

/// The FIFO storage: a lock-free ring when bounded, a lock-free block list
/// when not. One predictable branch per operation picks the flavour.
pub(crate) enum Fifo<T> {
    /// `0 < maxsize <= RING_MAX`.
    Ring(Ring<T>),
    /// `maxsize == 0`.
    List(List<T>),
    /// `maxsize > RING_MAX`.
    Deque(Locked<Deque<T>>),
}

macro_rules! each {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            Fifo::Ring($b) => $e,
            Fifo::List($b) => $e,
            Fifo::Deque($b) => $e,
        }
    };
}

impl<T> Buffer<T> for Fifo<T> {
    #[inline]
    fn push(&self, item: T) -> Result<(), PushError<T>> {
        each!(self, b => b.push(item))
    }
    #[inline]
    fn pop(&self) -> Result<T, PopError> {
        each!(self, b => b.pop())
    }
    #[inline]
    fn len(&self) -> usize {
        each!(self, b => b.len())
    }
    #[inline]
    fn is_empty(&self) -> bool {
        each!(self, b => b.is_empty())
    }
    #[inline]
    fn is_full(&self) -> bool {
        each!(self, b => b.is_full())
    }
    #[inline]
    fn close(&self) -> bool {
        each!(self, b => b.close())
    }
    #[inline]
    fn is_closed(&self) -> bool {
        each!(self, b => b.is_closed())
    }
}

/// A first-in, first-out queue for many producers and many consumers, with
/// task tracking and shutdown: Python's `queue.Queue`.
///
/// `Queue` is a handle: [`clone`](Clone::clone) it to share the queue
/// between threads, as Python code shares one object. Bounded queues
/// (`maxsize > 0`) are a lock-free ring (above 65,536 items, a deque behind
/// a small lock, so a huge bound allocates nothing up front), unbounded ones
/// a lock-free list of blocks; a thread only sleeps when it has to wait (empty or full), and a
/// `put` or `get` that finds nobody asleep makes no system call.
///
/// # Examples
///
/// The producer/consumer of the course, with a `None` sentinel:
///
/// ```
/// use threadkit::Queue;
///
/// let q = Queue::new();
/// let consumer = {
///     let q = q.clone();
///     std::thread::spawn(move || {
///         let mut total = 0;
///         while let Some(n) = q.get().unwrap() {
///             total += n;
///             q.task_done().unwrap();
///         }
///         q.task_done().unwrap();
///         total
///     })
/// };
/// for n in 1..=10 {
///     q.put(Some(n)).unwrap();
/// }
/// q.put(None).unwrap();
/// q.join();
/// assert_eq!(consumer.join().unwrap(), 55);
/// ```
pub struct Queue<T>(Arc<Engine<T, Fifo<T>>>, usize);

impl<T> Queue<T> {
    /// An unbounded queue (Python's `Queue()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let q: threadkit::Queue<String> = threadkit::Queue::new();
    /// assert_eq!(q.maxsize(), 0);
    /// ```
    #[track_caller]
    pub fn new() -> Self {
        Queue::build(0, Meta::here())
    }

    /// A queue holding at most `maxsize` items; `0` means unbounded
    /// (Python's `Queue(maxsize)`).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = threadkit::Queue::with_maxsize(2);
    /// q.put('a').unwrap();
    /// q.put('b').unwrap();
    /// assert!(q.full());
    /// ```
    #[track_caller]
    pub fn with_maxsize(maxsize: usize) -> Self {
        Queue::build(maxsize, Meta::here())
    }

    fn build(maxsize: usize, meta: Meta) -> Self {
        let buf = if maxsize == 0 {
            Fifo::List(List::new())
        } else if maxsize <= RING_MAX {
            Fifo::Ring(Ring::new(maxsize))
        } else {
            Fifo::Deque(Locked::new(Deque::default(), maxsize, meta))
        };
        Queue(Arc::new(Engine::new(buf, true, maxsize > 0, meta)), maxsize)
    }

    /// The bound given at creation (`0`: unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::Queue::<u8>::with_maxsize(16).maxsize(), 16);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.1
    }
}

impl<T> Default for Queue<T> {
    /// An unbounded queue.
    #[track_caller]
    fn default() -> Self {
        Queue::new()
    }
}

tracked_queue_api!(Queue, []);
