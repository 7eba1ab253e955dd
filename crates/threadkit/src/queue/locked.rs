//! The buffer of `LifoQueue` and `PriorityQueue` (and of a `Queue` whose
//! `maxsize` is too large to preallocate as a ring): a plain container behind
//! a [`WordLock`], with atomic mirrors of its length and closed mark so the
//! wake protocol and `qsize` never take the lock.
//!
//! | word      | meaning                                                     |
//! | --------- | ----------------------------------------------------------- |
//! | `len`     | items stored; refreshed from the container with a `SeqCst` store before every unlock |
//! | `closed`  | set once by `close`, under the lock, with a `SeqCst` store   |
//!
//! The `SeqCst` stores are the "not empty"/"not full" signals of the
//! engine's wake protocol (see `buffer.rs`; on x86 a `SeqCst` store is the
//! one locked `xchg` the protocol needs). Items are never dropped under the
//! lock: `pop` hands them out, and the engine drops drained items after.
//! `Ord::cmp` of a `PriorityQueue` item does run under the lock, so an `Ord`
//! implementation must not use the same queue.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::marker::PhantomData;

use super::buffer::{Buffer, PopError, PushError};
use super::word_lock::WordLock;
use crate::loom::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::wait::Meta;

/// The container inside a [`Locked`] buffer: which item comes out next.
pub(crate) trait Store<T>: Default {
    /// Adds an item.
    fn put(&mut self, item: T);
    /// Removes the next item.
    fn take(&mut self) -> Option<T>;
    /// Items held.
    fn count(&self) -> usize;
}

/// Last in, first out.
#[derive(Debug)]
pub(crate) struct Stack<T>(Vec<T>);

impl<T> Default for Stack<T> {
    fn default() -> Self {
        Stack(Vec::new())
    }
}

impl<T> Store<T> for Stack<T> {
    #[inline]
    fn put(&mut self, item: T) {
        self.0.push(item);
    }
    #[inline]
    fn take(&mut self) -> Option<T> {
        self.0.pop()
    }
    #[inline]
    fn count(&self) -> usize {
        self.0.len()
    }
}

/// First in, first out (for bounds too large to preallocate as a ring).
#[derive(Debug)]
pub(crate) struct Deque<T>(VecDeque<T>);

impl<T> Default for Deque<T> {
    fn default() -> Self {
        Deque(VecDeque::new())
    }
}

impl<T> Store<T> for Deque<T> {
    #[inline]
    fn put(&mut self, item: T) {
        self.0.push_back(item);
    }
    #[inline]
    fn take(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    #[inline]
    fn count(&self) -> usize {
        self.0.len()
    }
}

/// Smallest first.
#[derive(Debug)]
pub(crate) struct MinHeap<T: Ord>(BinaryHeap<Reverse<T>>);

impl<T: Ord> Default for MinHeap<T> {
    fn default() -> Self {
        MinHeap(BinaryHeap::new())
    }
}

impl<T: Ord> Store<T> for MinHeap<T> {
    #[inline]
    fn put(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    #[inline]
    fn take(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(t)| t)
    }
    #[inline]
    fn count(&self) -> usize {
        self.0.len()
    }
}

/// A container behind a lock (see the module docs).
pub(crate) struct Locked<S> {
    lock: WordLock,
    store: UnsafeCell<S>,
    len: AtomicUsize,
    closed: AtomicBool,
    /// 0 = unbounded.
    cap: usize,
    meta: Meta,
}

// SAFETY: the store is only reached under `lock`, which hands it from thread
// to thread (Acquire/Release); the items it holds move between threads, so
// it must be `Send`.
unsafe impl<S: Send> Send for Locked<S> {}
// SAFETY: as above.
unsafe impl<S: Send> Sync for Locked<S> {}

impl<S> Locked<S> {
    /// An empty buffer holding at most `cap` items (0 = unbounded).
    pub(crate) fn new(store: S, cap: usize, meta: Meta) -> Self {
        Locked {
            lock: WordLock::new(),
            store: UnsafeCell::new(store),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            cap,
            meta,
        }
    }

    /// Runs `f` on the store under the lock, then refreshes the `len`
    /// mirror from the store itself (also when `f` unwinds, e.g. from a
    /// panicking `Ord::cmp`) and unlocks.
    #[inline]
    fn with<T, R>(&self, f: impl FnOnce(&mut S, &AtomicBool) -> R) -> R
    where
        S: Store<T>,
    {
        struct Exit<'a, T, S: Store<T>>(&'a Locked<S>, PhantomData<fn(T)>);
        impl<T, S: Store<T>> Drop for Exit<'_, T, S> {
            #[inline]
            fn drop(&mut self) {
                let l = self.0;
                // SAFETY: we still hold the lock, and `f`'s borrow of the
                // store has ended (returned or unwound).
                let n = l.store.with(|s| unsafe { (*s).count() });
                // SeqCst: the "not empty"/"not full" signal of the wake
                // protocol (see the module docs).
                l.len.store(n, Ordering::SeqCst);
                l.lock.unlock();
            }
        }
        self.lock.lock(self.meta);
        let _exit = Exit::<T, S>(self, PhantomData);
        // SAFETY: we hold the lock, so this is the only reference to the store.
        self.store.with_mut(|s| f(unsafe { &mut *s }, &self.closed))
    }
}

impl<T, S: Store<T>> Buffer<T> for Locked<S> {
    #[inline]
    fn push(&self, item: T) -> Result<(), PushError<T>> {
        let cap = self.cap;
        self.with(|s, closed| {
            // Relaxed: written only under the lock we hold.
            if closed.load(Ordering::Relaxed) {
                return Err(PushError::Closed(item));
            }
            if cap != 0 && s.count() >= cap {
                return Err(PushError::Full(item));
            }
            s.put(item);
            Ok(())
        })
    }

    #[inline]
    fn pop(&self) -> Result<T, PopError> {
        self.with(|s, closed| match s.take() {
            Some(item) => Ok(item),
            // Relaxed: written only under the lock we hold.
            None if closed.load(Ordering::Relaxed) => Err(PopError::Closed),
            None => Err(PopError::Empty),
        })
    }

    #[inline]
    fn len(&self) -> usize {
        // SeqCst: see the module docs.
        self.len.load(Ordering::SeqCst)
    }

    #[inline]
    fn is_empty(&self) -> bool {
        // SeqCst: the reading side of the wake protocol.
        self.len.load(Ordering::SeqCst) == 0
    }

    #[inline]
    fn is_full(&self) -> bool {
        // SeqCst: the reading side of the wake protocol.
        self.cap != 0 && self.len.load(Ordering::SeqCst) >= self.cap
    }

    fn close(&self) -> bool {
        // SeqCst: read by validate callbacks without the lock.
        self.with(|_: &mut S, closed| !closed.swap(true, Ordering::SeqCst))
    }

    #[inline]
    fn is_closed(&self) -> bool {
        // SeqCst: read inside the wake protocol's validate callbacks.
        self.closed.load(Ordering::SeqCst)
    }
}
