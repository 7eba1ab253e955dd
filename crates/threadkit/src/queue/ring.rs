//! The bounded FIFO buffer: a lock-free ring of stamped slots.
//!
//! The scheme is the classic array queue of Dmitry Vyukov as refined in
//! crossbeam-channel's array flavour (studied, not copied): `head` and
//! `tail` are positions that carry a *lap* counter above the index bits, and
//! every slot carries a *stamp* telling which lap and which side (written or
//! read) it is on. Claiming a position is one CAS on `head` or `tail`; the
//! slot's stamp then publishes the item (or the free slot) to the other side.
//!
//! # State words
//!
//! With `cap` slots, `mark = (cap + 1).next_power_of_two()` and
//! `one_lap = 2 * mark`:
//!
//! | word           | bits                          | meaning                                      |
//! | -------------- | ----------------------------- | -------------------------------------------- |
//! | `tail`         | `lap \| mark? \| index`       | next position to write; `mark` set = closed  |
//! | `head`         | `lap \| index` (mark never set)| next position to read                        |
//! | `slot.stamp`   | `== tail` (same lap and index)| free: a writer holding position `tail` may write |
//! |                | `== head + 1`                 | written: a reader holding `head` may read    |
//! |                | `== head + one_lap` after read| free for the next lap                        |
//!
//! The buffer is empty when `head == tail & !mark` and full when
//! `head + one_lap == tail & !mark`.
//!
//! # Orderings
//!
//! - `tail`/`head` CAS: `SeqCst`. They are the "not empty" / "not full"
//!   signals the engine's Dekker protocol reads with `SeqCst` loads (see
//!   `buffer.rs`); a weaker CAS would let a sleeper miss an item.
//! - stamp store `Release` / load `Acquire`: hands the slot's content from
//!   the writer to the reader (and the emptied slot back to the next writer).
//! - Initial `Relaxed` loads of `head`/`tail`: only a guess, validated by the
//!   CAS and the stamp.
//! - The `SeqCst` fence before reading the opposite index on the full/empty
//!   path orders our stamp load before that read, so "the slot is not ready
//!   and the other index says full/empty" is a consistent observation.

use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use super::buffer::{Backoff, Buffer, PopError, PushError};
use crate::loom::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering, fence};

/// One slot: a stamp and room for one item.
struct Slot<T> {
    stamp: AtomicUsize,
    item: UnsafeCell<MaybeUninit<T>>,
}

/// A bounded lock-free FIFO (see the module docs).
pub(crate) struct Ring<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    cap: usize,
    one_lap: usize,
    mark: usize,
}

// SAFETY: items move between threads through the ring (so `T: Send`); the
// slots are only accessed by the one thread whose CAS claimed the position,
// and the stamp protocol orders consecutive owners of a slot.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above; `&Ring` only gives access through that protocol.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// A ring with room for `cap` items (`cap >= 1`).
    pub(crate) fn new(cap: usize) -> Self {
        assert!(cap > 0, "ring capacity must be positive");
        let mark = (cap + 1).next_power_of_two();
        let slots = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                item: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Ring {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            slots,
            cap,
            one_lap: mark * 2,
            mark,
        }
    }

    /// The position after `pos` (same lap, or index 0 of the next lap).
    #[inline]
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }
}

impl<T> Buffer<T> for Ring<T> {
    fn push(&self, item: T) -> Result<(), PushError<T>> {
        let mut snooze = Backoff::default();
        // Relaxed: a guess, checked by the stamp and the CAS below.
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark != 0 {
                return Err(PushError::Closed(item));
            }
            let index = tail & (self.mark - 1);
            let slot = &self.slots[index];
            // Acquire: pairs with the reader's Release store that freed the
            // slot, so our write below comes after its read.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                let new_tail = self.next(tail);
                // SeqCst: the "not empty" signal of the wake protocol.
                match self.tail.compare_exchange_weak(
                    tail,
                    new_tail,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: our CAS claimed position `tail`, whose stamp
                        // says the slot is free: no other thread touches it
                        // until we publish the new stamp.
                        slot.item.with_mut(|p| unsafe { (*p).write(item) });
                        // Release: publishes the item to the reader.
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(());
                    }
                    Err(t) => tail = t,
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds last lap's item: maybe full.
                // SeqCst fence: orders the stamp load before the head load.
                fence(Ordering::SeqCst);
                // Relaxed: ordered by the fence above.
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == tail {
                    return Err(PushError::Full(item));
                }
                let _ = snooze.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another writer claimed this position and has not published yet.
                let _ = snooze.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    fn pop(&self) -> Result<T, PopError> {
        let mut snooze = Backoff::default();
        // Relaxed: a guess, checked by the stamp and the CAS below.
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let index = head & (self.mark - 1);
            let slot = &self.slots[index];
            // Acquire: pairs with the writer's Release store of the item.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if head + 1 == stamp {
                let new_head = self.next(head);
                // SeqCst: the "not full" signal of the wake protocol.
                match self.head.compare_exchange_weak(
                    head,
                    new_head,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: our CAS claimed position `head`, whose stamp
                        // says the slot holds a written item: we move it out,
                        // and nobody touches the slot until the new stamp.
                        let item = slot.item.with(|p| unsafe { (*p).assume_init_read() });
                        // Release: hands the emptied slot to the next writer.
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Ok(item);
                    }
                    Err(h) => head = h,
                }
            } else if stamp == head {
                // The slot was not written this lap: maybe empty.
                // SeqCst fence: orders the stamp load before the tail load.
                fence(Ordering::SeqCst);
                // Relaxed: ordered by the fence above.
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.mark == head {
                    return Err(if tail & self.mark != 0 {
                        PopError::Closed
                    } else {
                        PopError::Empty
                    });
                }
                let _ = snooze.snooze();
                head = self.head.load(Ordering::Relaxed);
            } else {
                // Another reader claimed this position and has not freed it yet.
                let _ = snooze.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    fn len(&self) -> usize {
        loop {
            // SeqCst: three loads in one total order, so the re-read of
            // `tail` proves `head` was read while `tail` had this value.
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) == tail {
                let hix = head & (self.mark - 1);
                let tix = tail & (self.mark - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.cap - hix + tix
                } else if tail & !self.mark == head {
                    0
                } else {
                    self.cap
                };
            }
        }
    }

    #[inline]
    fn is_empty(&self) -> bool {
        // SeqCst: the reading side of the wake protocol (see buffer.rs).
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        tail & !self.mark == head
    }

    #[inline]
    fn is_full(&self) -> bool {
        // SeqCst: the reading side of the wake protocol (see buffer.rs).
        let tail = self.tail.load(Ordering::SeqCst);
        let head = self.head.load(Ordering::SeqCst);
        head.wrapping_add(self.one_lap) == tail & !self.mark
    }

    fn close(&self) -> bool {
        // SeqCst: a pusher that sees the mark fails; one that claimed its
        // position before it is ordered before, and its item is drained.
        self.tail.fetch_or(self.mark, Ordering::SeqCst) & self.mark == 0
    }

    #[inline]
    fn is_closed(&self) -> bool {
        // SeqCst: read inside the wake protocol's validate callbacks.
        self.tail.load(Ordering::SeqCst) & self.mark != 0
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Exclusive access: every written slot between head and tail holds
        // an item that nobody took.
        let n = self.len();
        // Relaxed: `&mut self` rules out concurrent access.
        let head = self.head.load(Ordering::Relaxed);
        let hix = head & (self.mark - 1);
        for i in 0..n {
            let index = (hix + i) % self.cap;
            // SAFETY: the slot is between head and tail, so it was written
            // and not read; `&mut self` rules out any concurrent access.
            self.slots[index]
                .item
                .with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    /// A writer and a reader lap a ring of 1 slot: nothing lost, nothing
    /// duplicated, FIFO, and `Full`/`Empty` only when true at the time.
    #[test]
    fn loom_ring_one_slot_laps() {
        loom::model(|| {
            let r = Arc::new(Ring::new(1));
            let w = {
                let r = r.clone();
                thread::spawn(move || {
                    let mut sent = 0;
                    for i in 0..2 {
                        if r.push(i).is_ok() {
                            sent += 1;
                        }
                    }
                    sent
                })
            };
            let mut got = Vec::new();
            for _ in 0..2 {
                if let Ok(v) = r.pop() {
                    got.push(v);
                }
            }
            let sent = w.join().unwrap();
            while let Ok(v) = r.pop() {
                got.push(v);
            }
            assert_eq!(got.len(), sent);
            assert!(got.windows(2).all(|w| w[0] < w[1]));
        });
    }

    /// Two writers into two slots while a reader takes one; close at the end.
    #[test]
    fn loom_ring_two_writers_close() {
        loom::model(|| {
            let r = Arc::new(Ring::new(2));
            let w: Vec<_> = (0..2)
                .map(|k| {
                    let r = r.clone();
                    thread::spawn(move || r.push(k).is_ok())
                })
                .collect();
            let first = r.pop().ok();
            let sent = w
                .into_iter()
                .map(|t| t.join().unwrap())
                .filter(|ok| *ok)
                .count();
            r.close();
            let mut got: Vec<_> = first.into_iter().collect();
            while let Ok(v) = r.pop() {
                got.push(v);
            }
            assert_eq!(got.len(), sent);
            assert_eq!(r.pop(), Err(PopError::Closed));
            assert!(r.push(9).is_err());
        });
    }
}
