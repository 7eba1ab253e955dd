//! The buffer of `LifoQueue` and `PriorityQueue`: a plain container behind
//! a [`WordLock`], with atomic mirrors of its length and closed mark so the
//! wake protocol and `qsize` never take the lock.
//!
//! | word      | meaning                                                     |
//! | --------- | ----------------------------------------------------------- |
//! | `len`     | items stored; written under the lock with `SeqCst` stores    |
//! | `closed`  | set once by `close`, under the lock, with a `SeqCst` store   |
//!
//! The `SeqCst` stores are the "not empty"/"not full" signals of the
//! engine's wake protocol (see `buffer.rs`; on x86 a `SeqCst` store is the
//! one locked `xchg` the protocol needs). Items are never dropped under the
//! lock: `pop` hands them out, and the engine drops drained items after.
//! `Ord::cmp` of a `PriorityQueue` item does run under the lock, so an `Ord`
//! implementation must not use the same queue.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::buffer::{Buffer, PopError, PushError};
use super::word_lock::WordLock;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::UnsafeCell;
use crate::wait::Meta;

/// The container inside a [`Locked`] buffer: which item comes out next.
pub(crate) trait Store<T>: Default {
    /// Adds an item.
    fn put(&mut self, item: T);
    /// Removes the next item.
    fn take(&mut self) -> Option<T>;
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

    /// Runs `f` on the store under the lock.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut S, &AtomicUsize, &AtomicBool) -> R) -> R {
        struct Unlock<'a>(&'a WordLock);
        impl Drop for Unlock<'_> {
            fn drop(&mut self) {
                self.0.unlock();
            }
        }
        self.lock.lock(self.meta);
        // Unlock even if `Ord::cmp` panics inside `f`.
        let _unlock = Unlock(&self.lock);
        // SAFETY: we hold the lock, so this is the only reference to the store.
        self.store
            .with_mut(|s| f(unsafe { &mut *s }, &self.len, &self.closed))
    }
}

impl<T, S: Store<T>> Buffer<T> for Locked<S> {
    #[inline]
    fn push(&self, item: T) -> Result<(), PushError<T>> {
        let cap = self.cap;
        self.with(|s, len, closed| {
            // Relaxed: written only under the lock we hold.
            if closed.load(Ordering::Relaxed) {
                return Err(PushError::Closed(item));
            }
            // Relaxed: written only under the lock we hold.
            let n = len.load(Ordering::Relaxed);
            if cap != 0 && n >= cap {
                return Err(PushError::Full(item));
            }
            s.put(item);
            // SeqCst: the "not empty" signal (see the module docs).
            len.store(n + 1, Ordering::SeqCst);
            Ok(())
        })
    }

    #[inline]
    fn pop(&self) -> Result<T, PopError> {
        self.with(|s, len, closed| match s.take() {
            Some(item) => {
                // Relaxed load: written only under the lock we hold.
                // SeqCst store: the "not full" signal.
                len.store(len.load(Ordering::Relaxed) - 1, Ordering::SeqCst);
                Ok(item)
            }
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
        self.with(|_, _, closed| !closed.swap(true, Ordering::SeqCst))
    }

    #[inline]
    fn is_closed(&self) -> bool {
        // SeqCst: read inside the wake protocol's validate callbacks.
        self.closed.load(Ordering::SeqCst)
    }
}
