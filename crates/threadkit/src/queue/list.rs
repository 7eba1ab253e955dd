//! The unbounded FIFO buffer: a lock-free linked list of blocks of slots.
//!
//! The scheme follows crossbeam-channel's list flavour (studied, not
//! copied): positions count slots across blocks of `BLOCK_CAP` slots; a
//! writer or reader claims a position with one CAS, then works on its slot
//! alone. The writer of a block's last slot installs the next block; the
//! reader of a block's last slot moves `head` to the next block; a block is
//! freed by the last reader to leave it.
//!
//! # State words
//!
//! Positions are `index << SHIFT | flag`. Each block spans `LAP` indices, of
//! which the last (`offset == BLOCK_CAP`) is a "moving to the next block"
//! state that nobody claims.
//!
//! | word            | meaning                                                       |
//! | --------------- | ------------------------------------------------------------- |
//! | `tail.index`    | next position to write; flag `MARK` = closed                  |
//! | `head.index`    | next position to read; flag `MARK` = "a next block exists" (no need to read `tail`) |
//! | `tail.block`, `head.block` | the blocks those positions are in              |
//! | `slot.state`    | bits `WRITE` (item written), `READ` (item taken), `DESTROY` (the block's destroyer passed and left freeing it to this slot's reader) |
//!
//! # Orderings
//!
//! - `tail.index`/`head.index` CAS: `SeqCst`, the "not empty" signal of the
//!   engine's wake protocol (see `buffer.rs`), and ordering the index claim
//!   with the emptiness check of readers.
//! - block pointers: `Release` stores / `Acquire` loads, so a thread that
//!   sees a block pointer sees the initialised block.
//! - `slot.state`: `WRITE` set with `Release`, awaited with `Acquire` (hands
//!   the item over); `READ`/`DESTROY` with `AcqRel` (whoever comes second
//!   frees the block, after the other is done with it).

use std::mem::MaybeUninit;
use std::ptr;

use crossbeam_utils::CachePadded;

use super::buffer::{Backoff, Buffer, PopError, PushError};
use crate::loom::UnsafeCell;
use crate::loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering, fence};

const WRITE: usize = 1;
const READ: usize = 2;
const DESTROY: usize = 4;

/// Slots per block, plus one "moving" index. Small under loom so the
/// models cross block boundaries.
#[cfg(not(loom))]
const LAP: usize = 32;
#[cfg(loom)]
const LAP: usize = 3;
const BLOCK_CAP: usize = LAP - 1;
const SHIFT: usize = 1;
const MARK: usize = 1;

struct Slot<T> {
    item: UnsafeCell<MaybeUninit<T>>,
    state: AtomicUsize,
}

impl<T> Slot<T> {
    /// Waits until the writer that claimed this slot has written it.
    fn wait_write(&self) {
        let mut snooze = Backoff::default();
        // Acquire: pairs with the writer's Release `fetch_or(WRITE)`.
        while self.state.load(Ordering::Acquire) & WRITE == 0 {
            let _ = snooze.snooze();
        }
    }
}

struct Block<T> {
    next: AtomicPtr<Block<T>>,
    slots: [Slot<T>; BLOCK_CAP],
}

impl<T> Block<T> {
    fn alloc() -> *mut Block<T> {
        Box::into_raw(Box::new(Block {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| Slot {
                item: UnsafeCell::new(MaybeUninit::uninit()),
                state: AtomicUsize::new(0),
            }),
        }))
    }

    /// Waits until the next block is installed and returns it.
    fn wait_next(&self) -> *mut Block<T> {
        let mut snooze = Backoff::default();
        loop {
            // Acquire: pairs with the Release store of the installer.
            let next = self.next.load(Ordering::Acquire);
            if !next.is_null() {
                return next;
            }
            let _ = snooze.snooze();
        }
    }

    /// Frees `this` once every slot from `start` on has been read; a slot
    /// still being read is marked `DESTROY` and its reader continues.
    ///
    /// # Safety
    ///
    /// `this` is a live block that every writer has left, and the caller is
    /// the reader of slot `start - 1` (or of the last slot, with `start == 0`
    /// meaning "all slots but the last").
    unsafe fn destroy(this: *mut Block<T>, start: usize) {
        for i in start..BLOCK_CAP - 1 {
            // SAFETY: `this` is live: only the last reader frees it, and
            // that is us or a reader that will see our DESTROY mark.
            let slot = unsafe { &(*this).slots[i] };
            // Acquire/AcqRel: if the reader is done, its read happened
            // before our free; if not, it sees DESTROY and frees instead.
            if slot.state.load(Ordering::Acquire) & READ == 0
                && slot.state.fetch_or(DESTROY, Ordering::AcqRel) & READ == 0
            {
                return;
            }
        }
        // SAFETY: every slot has been read and every reader has left the
        // block; it was allocated by `Block::alloc`.
        drop(unsafe { Box::from_raw(this) });
    }
}

struct Position<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

/// An unbounded lock-free FIFO (see the module docs).
pub(crate) struct List<T> {
    head: CachePadded<Position<T>>,
    tail: CachePadded<Position<T>>,
}

// SAFETY: items move between threads through the list (so `T: Send`); a slot
// is only touched by the thread whose CAS claimed its position, and blocks
// are freed exactly once (see `Block::destroy`).
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for List<T> {}

impl<T> List<T> {
    /// An empty list (one block allocated up front).
    pub(crate) fn new() -> Self {
        let block = Block::alloc();
        List {
            head: CachePadded::new(Position {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(block),
            }),
            tail: CachePadded::new(Position {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(block),
            }),
        }
    }
}

impl<T> Buffer<T> for List<T> {
    fn push(&self, item: T) -> Result<(), PushError<T>> {
        let mut snooze = Backoff::default();
        // Acquire: the block pointer read next must be at least as new.
        let mut tail = self.tail.index.load(Ordering::Acquire);
        // Acquire: pairs with the installer's Release store.
        let mut block = self.tail.block.load(Ordering::Acquire);
        let mut next_block: Option<*mut Block<T>> = None;
        let result = loop {
            if tail & MARK != 0 {
                break Err(PushError::Closed(item));
            }
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // Another writer is installing the next block.
                let _ = snooze.snooze();
                tail = self.tail.index.load(Ordering::Acquire);
                block = self.tail.block.load(Ordering::Acquire);
                continue;
            }
            if offset + 1 == BLOCK_CAP && next_block.is_none() {
                // Allocate before claiming, so the install is short.
                next_block = Some(Block::alloc());
            }
            let new_tail = tail + (1 << SHIFT);
            // SeqCst: the "not empty" signal of the wake protocol.
            match self.tail.index.compare_exchange_weak(
                tail,
                new_tail,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        let next = next_block.take().unwrap_or_else(Block::alloc);
                        // Release: the new block is initialised.
                        self.tail.block.store(next, Ordering::Release);
                        // Release: skips the "moving" index; writers that see
                        // it also see the new block pointer.
                        self.tail.index.fetch_add(1 << SHIFT, Ordering::Release);
                        // SAFETY: `block` is live: its last slot is ours and
                        // not yet written, so no reader has freed it.
                        unsafe { (*block).next.store(next, Ordering::Release) };
                    }
                    // SAFETY: as above; our CAS claimed slot `offset`.
                    let slot = unsafe { &(*block).slots[offset] };
                    // SAFETY: the slot is ours alone until WRITE is set.
                    slot.item.with_mut(|p| unsafe { (*p).write(item) });
                    // Release: publishes the item to its reader.
                    slot.state.fetch_or(WRITE, Ordering::Release);
                    break Ok(());
                }
                Err(t) => {
                    tail = t;
                    block = self.tail.block.load(Ordering::Acquire);
                }
            }
        };
        if let Some(b) = next_block {
            // SAFETY: allocated above and never shared.
            drop(unsafe { Box::from_raw(b) });
        }
        result
    }

    fn pop(&self) -> Result<T, PopError> {
        let mut snooze = Backoff::default();
        // Acquire: the block pointer read next must be at least as new.
        let mut head = self.head.index.load(Ordering::Acquire);
        // Acquire: pairs with the Release store that moved head's block.
        let mut block = self.head.block.load(Ordering::Acquire);
        loop {
            let offset = (head >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // Another reader is moving head to the next block.
                let _ = snooze.snooze();
                head = self.head.index.load(Ordering::Acquire);
                block = self.head.block.load(Ordering::Acquire);
                continue;
            }
            let mut new_head = head + (1 << SHIFT);
            if new_head & MARK == 0 {
                // SeqCst fence: orders our head read before the tail read.
                fence(Ordering::SeqCst);
                // Relaxed: ordered by the fence above.
                let tail = self.tail.index.load(Ordering::Relaxed);
                if head >> SHIFT == tail >> SHIFT {
                    return Err(if tail & MARK != 0 {
                        PopError::Closed
                    } else {
                        PopError::Empty
                    });
                }
                if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP {
                    new_head |= MARK;
                }
            }
            // SeqCst: claims the position in the same total order as the
            // writers' claims (see buffer.rs).
            match self.head.index.compare_exchange_weak(
                head,
                new_head,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        // SAFETY: `block` is live: its last slot is ours and
                        // unread, and only its last reader frees it.
                        let next = unsafe { (*block).wait_next() };
                        let mut next_index = (new_head & !MARK).wrapping_add(1 << SHIFT);
                        // SAFETY: `next` was installed by a writer and is
                        // freed only after its readers, which come after us.
                        // Relaxed: only a hint that lets readers skip the
                        // tail check; a stale null costs one tail read.
                        if !unsafe { (*next).next.load(Ordering::Relaxed) }.is_null() {
                            next_index |= MARK;
                        }
                        // Release: the new block pointer before the index.
                        self.head.block.store(next, Ordering::Release);
                        self.head.index.store(next_index, Ordering::Release);
                    }
                    // SAFETY: as above; our CAS claimed slot `offset`.
                    let slot = unsafe { &(*block).slots[offset] };
                    slot.wait_write();
                    // SAFETY: WRITE is set, the item is initialised, and the
                    // slot is ours alone: we move it out exactly once.
                    let item = slot.item.with(|p| unsafe { (*p).assume_init_read() });
                    if offset + 1 == BLOCK_CAP {
                        // SAFETY: we read the last slot: start the destruction.
                        unsafe { Block::destroy(block, 0) };
                    } else if slot.state.fetch_or(READ, Ordering::AcqRel) & DESTROY != 0 {
                        // SAFETY: the destroyer left the rest to us.
                        unsafe { Block::destroy(block, offset + 1) };
                    }
                    return Ok(item);
                }
                Err(h) => {
                    head = h;
                    block = self.head.block.load(Ordering::Acquire);
                }
            }
        }
    }

    fn len(&self) -> usize {
        loop {
            // SeqCst: three loads in one total order (see ring.rs).
            let mut tail = self.tail.index.load(Ordering::SeqCst);
            let mut head = self.head.index.load(Ordering::SeqCst);
            if self.tail.index.load(Ordering::SeqCst) == tail {
                tail &= !((1 << SHIFT) - 1);
                head &= !((1 << SHIFT) - 1);
                // A "moving" index counts as the next block's first slot.
                if (tail >> SHIFT) & (LAP - 1) == LAP - 1 {
                    tail = tail.wrapping_add(1 << SHIFT);
                }
                if (head >> SHIFT) & (LAP - 1) == LAP - 1 {
                    head = head.wrapping_add(1 << SHIFT);
                }
                let lap = (head >> SHIFT) / LAP;
                tail = tail.wrapping_sub((lap * LAP) << SHIFT);
                head = head.wrapping_sub((lap * LAP) << SHIFT);
                tail >>= SHIFT;
                head >>= SHIFT;
                return tail - head - tail / LAP;
            }
        }
    }

    #[inline]
    fn is_empty(&self) -> bool {
        // SeqCst: the reading side of the wake protocol (see buffer.rs).
        let head = self.head.index.load(Ordering::SeqCst);
        let tail = self.tail.index.load(Ordering::SeqCst);
        head >> SHIFT == tail >> SHIFT
    }

    #[inline]
    fn is_full(&self) -> bool {
        false
    }

    fn close(&self) -> bool {
        // SeqCst: a writer that claimed a position before the mark is
        // ordered before it, and its item is still drained.
        self.tail.index.fetch_or(MARK, Ordering::SeqCst) & MARK == 0
    }

    #[inline]
    fn is_closed(&self) -> bool {
        // SeqCst: read inside the wake protocol's validate callbacks.
        self.tail.index.load(Ordering::SeqCst) & MARK != 0
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        // Relaxed everywhere: `&mut self` rules out concurrent access.
        let mut head = self.head.index.load(Ordering::Relaxed) & !MARK;
        let tail = self.tail.index.load(Ordering::Relaxed) & !MARK;
        let mut block = self.head.block.load(Ordering::Relaxed);
        while head != tail {
            let offset = (head >> SHIFT) % LAP;
            if offset < BLOCK_CAP {
                // SAFETY: positions between head and tail were written and
                // not read; the block is live (not yet freed below).
                let slot = unsafe { &(*block).slots[offset] };
                // SAFETY: as above; dropped exactly once.
                slot.item.with_mut(|p| unsafe { (*p).assume_init_drop() });
            } else {
                // SAFETY: every slot of `block` is done with; the next block
                // was installed before `tail` moved past it.
                let next = unsafe { (*block).next.load(Ordering::Relaxed) };
                // SAFETY: allocated by `Block::alloc`, freed once.
                drop(unsafe { Box::from_raw(block) });
                block = next;
            }
            head = head.wrapping_add(1 << SHIFT);
        }
        if !block.is_null() {
            // SAFETY: the last block, allocated by `Block::alloc`.
            drop(unsafe { Box::from_raw(block) });
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    /// Two writers and a reader cross a block boundary (2 slots a block
    /// under loom); every item comes out once, each writer's in order, and
    /// dropping the list frees what is left (loom checks for leaks).
    #[test]
    fn loom_list_two_writers_one_reader() {
        loom::model(|| {
            let l = Arc::new(List::new());
            let w: Vec<_> = (0..2)
                .map(|k| {
                    let l = l.clone();
                    thread::spawn(move || {
                        l.push(k * 10).unwrap();
                        l.push(k * 10 + 1).unwrap();
                    })
                })
                .collect();
            let mut got = Vec::new();
            for _ in 0..2 {
                if let Ok(v) = l.pop() {
                    got.push(v);
                }
            }
            for t in w {
                t.join().unwrap();
            }
            while let Ok(v) = l.pop() {
                got.push(v);
            }
            assert_eq!(got.len(), 4);
            for k in 0..2 {
                let mine: Vec<_> = got.iter().filter(|v| *v / 10 == k).collect();
                assert_eq!(mine, [&(k * 10), &(k * 10 + 1)]);
            }
        });
    }

    /// Close races a push: the push either lands (and is drained) or is
    /// handed back; after close a reader sees Closed once empty.
    #[test]
    fn loom_list_close_races_push() {
        loom::model(|| {
            let l = Arc::new(List::new());
            l.push(1).unwrap();
            let p = {
                let l = l.clone();
                thread::spawn(move || l.push(2).is_ok())
            };
            l.close();
            let pushed = p.join().unwrap();
            assert_eq!(l.pop(), Ok(1));
            if pushed {
                assert_eq!(l.pop(), Ok(2));
            }
            assert_eq!(l.pop(), Err(PopError::Closed));
        });
    }

    /// Two readers race over the last slot of a block (block freeing).
    #[test]
    fn loom_list_two_readers_free_block() {
        loom::model(|| {
            let l = Arc::new(List::new());
            for i in 0..3 {
                l.push(i).unwrap();
            }
            let r = {
                let l = l.clone();
                thread::spawn(move || l.pop().ok())
            };
            let a = l.pop().ok();
            let b = r.join().unwrap();
            let mut got: Vec<_> = [a, b].into_iter().flatten().collect();
            while let Ok(v) = l.pop() {
                got.push(v);
            }
            got.sort_unstable();
            assert_eq!(got, [0, 1, 2]);
        });
    }
}
