//! The blocking engine shared by every queue kind: waiting, waking, task
//! tracking and shutdown on top of a non-blocking [`Buffer`].
//!
//! # State words
//!
//! | word         | meaning                                                              |
//! | ------------ | -------------------------------------------------------------------- |
//! | `getters`    | threads registered to sleep until the buffer is not empty (parking key) |
//! | `putters`    | threads registered to sleep until the buffer is not full (parking key) |
//! | `joiners`    | threads registered to sleep until `unfinished` is 0 (parking key)     |
//! | `unfinished` | items put and not yet marked done (tracked kinds only)                |
//!
//! # Wake protocol (no lost wake-ups, no syscall on the fast path)
//!
//! A sleeper (say a getter) does: `getters += 1` (`SeqCst`), re-check the
//! buffer, then park with a `validate` that re-reads "empty and not closed"
//! (`SeqCst`) under the parking lot's bucket lock. A pusher does its push,
//! whose `SeqCst` read-modify-write publishes "not empty", then reads
//! `getters` (`SeqCst`) and only if it is non-zero calls `unpark_one`.
//!
//! All four accesses are `SeqCst`, so they sit in one total order: either
//! the pusher's read of `getters` comes after the increment (it sees a
//! sleeper and unparks; the unpark takes the bucket lock, so it either finds
//! the sleeper parked or happens before its `validate`, which then sees the
//! item), or it comes before, and then the push comes before the sleeper's
//! re-check, which sees the item. Each push wakes at most one getter, and a
//! woken getter always tries to pop before anything else, so an item never
//! sits in the queue while a getter sleeps. The same argument, with roles
//! swapped, covers putters of a bounded queue, and joiners against the
//! `task_done` that brings `unfinished` to zero.
//!
//! Under loom, `SeqCst` accesses are modelled as acquire/release, so both
//! sides add a `SeqCst` fence there (see [`loom_sc_fence`]); natively the
//! `SeqCst` accesses are enough, and on x86 the loads are plain moves.
//!
//! # Task tracking
//!
//! `unfinished` is incremented (`Relaxed`) before the push that makes the
//! item visible, so a consumer's `task_done` can never see the item before
//! its count; a put that fails takes its count back. `task_done` is a CAS
//! that refuses to go below zero. Immediate shutdown drops the drained
//! items and removes their count (saturating at zero, as CPython does).
//!
//! # Fairness
//!
//! None is promised between threads (as in CPython): a running thread may
//! take an item before a woken one, which then sleeps again. Parked threads
//! are woken in FIFO order by the parking lot.

use std::marker::PhantomData;
use std::panic::Location;
use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::buffer::{Backoff, Buffer, PopError, PushError};
use super::error::{GetError, JoinError, PutError, TaskDoneError};
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::wait::{self, Meta, Owner, Park, WaitKind, Waiter};

/// How long a call may block.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Wait {
    /// Not at all.
    Try,
    /// Until the deadline (`None`: forever).
    Until(Option<Instant>),
}

/// A `SeqCst` fence under loom only (see the module docs).
#[inline(always)]
fn loom_sc_fence() {
    #[cfg(loom)]
    crate::loom::sync::atomic::fence(Ordering::SeqCst);
}

/// A joiner's registration in `joiners`, removed when the call ends.
struct Registered<'a>(&'a AtomicUsize);

impl<'a> Registered<'a> {
    #[inline]
    fn new(count: &'a AtomicUsize) -> Self {
        // SeqCst: the sleeper's half of the wake protocol.
        count.fetch_add(1, Ordering::SeqCst);
        loom_sc_fence();
        Registered(count)
    }
}

impl Drop for Registered<'_> {
    #[inline]
    fn drop(&mut self) {
        // Relaxed: a stale non-zero count only costs a waker one needless
        // `unpark_all`; it never makes anyone sleep.
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A getter's or putter's registration in `getters`/`putters`.
///
/// These counts mean "registered and not woken yet": a waker that unparks a
/// thread takes that thread's count off itself, under the parking lot's
/// bucket lock and before the thread runs ([`Engine::wake_one`]). So after
/// one wake, the pushes (or pops) that follow see zero and skip the parking
/// lot until somebody registers again, instead of each paying for a
/// needless `unpark_one` while the woken thread is still getting up. A
/// woken thread that must wait again registers again.
struct Registration<'a> {
    count: &'a AtomicUsize,
    on: bool,
}

impl<'a> Registration<'a> {
    #[inline]
    fn new(count: &'a AtomicUsize) -> Self {
        Registration { count, on: false }
    }

    #[inline]
    fn register(&mut self) {
        // SeqCst: the sleeper's half of the wake protocol.
        self.count.fetch_add(1, Ordering::SeqCst);
        loom_sc_fence();
        self.on = true;
    }

    /// A waker took our count off when it unparked us.
    #[inline]
    fn woken(&mut self) {
        self.on = false;
    }
}

impl Drop for Registration<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.on {
            // Relaxed: a stale non-zero count only costs a waker one
            // needless `unpark_one`; it never makes anyone sleep.
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Takes a put's count back if the put unwinds (forgotten otherwise).
struct UndoOnUnwind<'a, T, B: Buffer<T>>(&'a Engine<T, B>);

impl<T, B: Buffer<T>> Drop for UndoOnUnwind<'_, T, B> {
    fn drop(&mut self) {
        if self.0.tracked {
            self.0.finish(1);
        }
    }
}

/// The shared state behind every queue handle (see the module docs).
pub(crate) struct Engine<T, B> {
    buf: B,
    getters: CachePadded<AtomicUsize>,
    putters: CachePadded<AtomicUsize>,
    unfinished: CachePadded<AtomicUsize>,
    joiners: CachePadded<AtomicUsize>,
    /// Whether `unfinished` is kept (not for `SimpleQueue`).
    tracked: bool,
    /// Whether the buffer can be full (wake putters after a pop).
    bounded: bool,
    meta: Meta,
    _items: PhantomData<fn(T) -> T>,
}

impl<T, B: Buffer<T>> Engine<T, B> {
    pub(crate) fn new(buf: B, tracked: bool, bounded: bool, meta: Meta) -> Self {
        Engine {
            buf,
            getters: CachePadded::new(AtomicUsize::new(0)),
            putters: CachePadded::new(AtomicUsize::new(0)),
            unfinished: CachePadded::new(AtomicUsize::new(0)),
            joiners: CachePadded::new(AtomicUsize::new(0)),
            tracked,
            bounded,
            meta,
            _items: PhantomData,
        }
    }

    /// The buffer (for `qsize` and friends).
    #[inline]
    pub(crate) fn buffer(&self) -> &B {
        &self.buf
    }

    // ----- put -------------------------------------------------------------

    /// Stores `item`, waiting for room as `wait` allows.
    #[inline]
    pub(crate) fn put(
        &self,
        item: T,
        wait: Wait,
        site: &'static Location<'static>,
    ) -> Result<(), PutError<T>> {
        if self.tracked {
            // Relaxed: ordered before the item's publication by the push's
            // Release/SeqCst write, which the consumer acquires.
            self.unfinished.fetch_add(1, Ordering::Relaxed);
        }
        // Should the push panic (a `PriorityQueue` item's `Ord::cmp`), the
        // count is taken back while unwinding, so `join` cannot hang on it.
        let undo = UndoOnUnwind(self);
        let r = match self.buf.push(item) {
            Ok(()) => {
                self.notify_getters();
                Ok(())
            }
            Err(PushError::Full(item)) => match wait {
                Wait::Try => Err(self.put_failed(PutError::Full(item))),
                Wait::Until(deadline) => self.put_slow(item, deadline, site),
            },
            Err(PushError::Closed(item)) => Err(self.put_failed(PutError::ShutDown(item))),
        };
        std::mem::forget(undo);
        r
    }

    #[cold]
    fn put_slow(
        &self,
        mut item: T,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), PutError<T>> {
        let mut backoff = Backoff::default();
        let mut spinning = true;
        let mut reg = Registration::new(&self.putters);
        let mut waiter = None;
        loop {
            match self.buf.push(item) {
                Ok(()) => {
                    self.notify_getters();
                    return Ok(());
                }
                Err(PushError::Closed(i)) => return Err(self.put_failed(PutError::ShutDown(i))),
                Err(PushError::Full(i)) => item = i,
            }
            if !reg.on {
                spinning = spinning && backoff.snooze();
                if !spinning {
                    // Register, then re-check (the loop) before parking.
                    reg.register();
                }
                continue;
            }
            let w = waiter.get_or_insert_with(|| {
                Waiter::new(
                    WaitKind::Queue,
                    self,
                    self.meta,
                    Owner::None,
                    site,
                    deadline,
                )
            });
            if w.timed_out() {
                return Err(self.put_failed(PutError::Timeout(item)));
            }
            let key = &*self.putters as *const AtomicUsize as usize;
            // SAFETY: `key` is the address of our own `putters` counter;
            // `validate` only loads atomics (no panic, no park); the other
            // callbacks do nothing.
            let r = unsafe {
                w.park(
                    key,
                    || self.buf.is_full() && !self.buf.is_closed(),
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            match r {
                Park::Unparked(_) => reg.woken(),
                // `Owner::None` waits are never part of a proven deadlock.
                Park::Deadlock(d) => panic!("{d}"),
                Park::Invalid | Park::TimedOut | Park::Retry => {}
            }
        }
    }

    /// Takes back a failed put's count and passes the error through.
    #[inline]
    fn put_failed(&self, e: PutError<T>) -> PutError<T> {
        if self.tracked {
            self.finish(1);
        }
        e
    }

    #[inline]
    fn notify_getters(&self) {
        loom_sc_fence();
        // SeqCst: the waker's half of the wake protocol.
        if self.getters.load(Ordering::SeqCst) != 0 {
            self.wake_one(&self.getters);
        }
    }

    // ----- get -------------------------------------------------------------

    /// Takes the next item, waiting for one as `wait` allows.
    #[inline]
    pub(crate) fn get(&self, wait: Wait, site: &'static Location<'static>) -> Result<T, GetError> {
        match self.buf.pop() {
            Ok(item) => {
                self.notify_putters();
                Ok(item)
            }
            Err(PopError::Closed) => Err(GetError::ShutDown),
            Err(PopError::Empty) => match wait {
                Wait::Try => Err(GetError::Empty),
                Wait::Until(deadline) => self.get_slow(deadline, site),
            },
        }
    }

    #[cold]
    fn get_slow(
        &self,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<T, GetError> {
        let mut backoff = Backoff::default();
        let mut spinning = true;
        let mut reg = Registration::new(&self.getters);
        let mut waiter = None;
        loop {
            match self.buf.pop() {
                Ok(item) => {
                    self.notify_putters();
                    return Ok(item);
                }
                Err(PopError::Closed) => return Err(GetError::ShutDown),
                Err(PopError::Empty) => {}
            }
            if !reg.on {
                spinning = spinning && backoff.snooze();
                if !spinning {
                    // Register, then re-check (the loop) before parking.
                    reg.register();
                }
                continue;
            }
            let w = waiter.get_or_insert_with(|| {
                Waiter::new(
                    WaitKind::Queue,
                    self,
                    self.meta,
                    Owner::None,
                    site,
                    deadline,
                )
            });
            if w.timed_out() {
                return Err(GetError::Timeout);
            }
            let key = &*self.getters as *const AtomicUsize as usize;
            // SAFETY: `key` is the address of our own `getters` counter;
            // `validate` only loads atomics (no panic, no park); the other
            // callbacks do nothing.
            let r = unsafe {
                w.park(
                    key,
                    || self.buf.is_empty() && !self.buf.is_closed(),
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            match r {
                Park::Unparked(_) => reg.woken(),
                // `Owner::None` waits are never part of a proven deadlock.
                Park::Deadlock(d) => panic!("{d}"),
                Park::Invalid | Park::TimedOut | Park::Retry => {}
            }
        }
    }

    #[inline]
    fn notify_putters(&self) {
        if self.bounded {
            loom_sc_fence();
            // SeqCst: the waker's half of the wake protocol.
            if self.putters.load(Ordering::SeqCst) != 0 {
                self.wake_one(&self.putters);
            }
        }
    }

    // ----- task tracking ---------------------------------------------------

    /// Marks one item done.
    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        // Relaxed: a guess, checked by the CAS.
        let mut cur = self.unfinished.load(Ordering::Relaxed);
        loop {
            if cur == 0 {
                return Err(TaskDoneError);
            }
            // SeqCst: the "all done" signal of the joiners' wake protocol,
            // and Release for the work done on the item before `task_done`.
            match self.unfinished.compare_exchange_weak(
                cur,
                cur - 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if cur == 1 {
                        self.notify_joiners();
                    }
                    return Ok(());
                }
                Err(c) => cur = c,
            }
        }
    }

    /// Removes `n` counts, saturating at zero; wakes joiners on reaching it.
    fn finish(&self, n: usize) {
        // Relaxed: a guess, checked by the CAS.
        let mut cur = self.unfinished.load(Ordering::Relaxed);
        while cur != 0 {
            let new = cur.saturating_sub(n);
            // SeqCst: as in `task_done`.
            match self.unfinished.compare_exchange_weak(
                cur,
                new,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if new == 0 {
                        self.notify_joiners();
                    }
                    return;
                }
                Err(c) => cur = c,
            }
        }
    }

    #[inline]
    fn notify_joiners(&self) {
        loom_sc_fence();
        // SeqCst: the waker's half of the wake protocol.
        if self.joiners.load(Ordering::SeqCst) != 0 {
            self.wake_joiners();
        }
    }

    /// Items put and not yet marked done.
    #[inline]
    pub(crate) fn unfinished(&self) -> usize {
        // Acquire: pairs with `task_done`'s release, like `join`.
        self.unfinished.load(Ordering::Acquire)
    }

    /// Waits until every item put has been marked done, as `wait` allows.
    #[inline]
    pub(crate) fn join(
        &self,
        wait: Wait,
        site: &'static Location<'static>,
    ) -> Result<(), JoinError> {
        // Acquire: the consumers' work happens before `join` returns.
        let n = self.unfinished.load(Ordering::Acquire);
        if n == 0 {
            return Ok(());
        }
        match wait {
            Wait::Try => Err(JoinError { unfinished: n }),
            Wait::Until(deadline) => self.join_slow(deadline, site),
        }
    }

    #[cold]
    fn join_slow(
        &self,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), JoinError> {
        let _registered = Registered::new(&self.joiners);
        let mut w = Waiter::new(
            WaitKind::Queue,
            self,
            self.meta,
            Owner::None,
            site,
            deadline,
        );
        loop {
            // SeqCst: the sleeper's half of the wake protocol (and Acquire).
            let n = self.unfinished.load(Ordering::SeqCst);
            if n == 0 {
                return Ok(());
            }
            if w.timed_out() {
                return Err(JoinError { unfinished: n });
            }
            let key = &*self.joiners as *const AtomicUsize as usize;
            // SAFETY: `key` is the address of our own `joiners` counter;
            // `validate` only loads an atomic; the other callbacks do nothing.
            let r = unsafe {
                w.park(
                    key,
                    || self.unfinished.load(Ordering::SeqCst) != 0,
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            if let Park::Deadlock(d) = r {
                // `Owner::None` waits are never part of a proven deadlock.
                panic!("{d}");
            }
        }
    }

    // ----- shutdown --------------------------------------------------------

    /// Shuts the queue down (see `Queue::shutdown`).
    pub(crate) fn shutdown(&self, immediate: bool) {
        self.buf.close();
        let mut drained = Vec::new();
        if immediate {
            while let Ok(item) = self.buf.pop() {
                drained.push(item);
            }
            if self.tracked && !drained.is_empty() {
                self.finish(drained.len());
            }
        }
        self.wake_all(&self.getters);
        self.wake_all(&self.putters);
        if self.tracked {
            self.notify_joiners();
        }
        // The items are dropped last, outside any internal lock, once the
        // queue's state is final and every waiter is on its way: a `Drop`
        // may use the queue, and one that panics leaves nothing half done.
        drop(drained);
    }

    /// Whether `shutdown` was called.
    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.buf.is_closed()
    }

    // ----- waking ----------------------------------------------------------

    /// Wakes one thread registered in `count` (getters or putters) and
    /// takes its count off (see [`Registration`]).
    #[cold]
    fn wake_one(&self, count: &AtomicUsize) {
        let key = count as *const AtomicUsize as usize;
        // SAFETY: `key` is one of our own counters' addresses; the callback
        // only does an atomic subtraction (no panic, no park).
        unsafe {
            wait::unpark_one(key, |r| {
                if r.unparked_threads != 0 {
                    // Relaxed: under the bucket lock, before the woken thread
                    // runs; an RMW, so no other change is lost.
                    count.fetch_sub(1, Ordering::Relaxed);
                }
                wait::DEFAULT_UNPARK_TOKEN
            })
        };
    }

    /// Wakes every thread registered in `count` (getters or putters) and
    /// takes their counts off. A woken thread may register again before the
    /// subtraction; the count is then too high for a moment (a needless
    /// unpark), never too low (a lost wake-up).
    #[cold]
    fn wake_all(&self, count: &AtomicUsize) {
        let key = count as *const AtomicUsize as usize;
        // SAFETY: `key` is one of our own counters' addresses.
        let n = unsafe { wait::unpark_all(key, wait::DEFAULT_UNPARK_TOKEN) };
        if n != 0 {
            // Relaxed: an RMW; see above.
            count.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// Wakes every joiner (they remove their own registration).
    #[cold]
    fn wake_joiners(&self) {
        let key = &*self.joiners as *const AtomicUsize as usize;
        // SAFETY: `key` is our own `joiners` counter's address.
        unsafe { wait::unpark_all(key, wait::DEFAULT_UNPARK_TOKEN) };
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::queue::list::List;
    use crate::queue::locked::{Locked, Stack};
    use crate::queue::ring::Ring;
    use loom::thread;
    use std::sync::Arc;

    fn site() -> &'static Location<'static> {
        Location::caller()
    }

    /// A getter that may sleep and a putter: the getter always gets the
    /// item (a lost wake-up would leave it parked, which loom reports).
    #[test]
    fn loom_engine_get_waits_for_put() {
        loom::model(|| {
            let e = Arc::new(Engine::new(List::new(), true, false, Meta::ANONYMOUS));
            let g = {
                let e = e.clone();
                thread::spawn(move || e.get(Wait::Until(None), site()))
            };
            e.put(7, Wait::Until(None), site()).unwrap();
            assert_eq!(g.join().unwrap(), Ok(7));
        });
    }

    /// A putter blocked on a full ring of 1 and a getter: both finish.
    #[test]
    fn loom_engine_put_waits_for_room() {
        loom::model(|| {
            let e = Arc::new(Engine::new(Ring::new(1), true, true, Meta::ANONYMOUS));
            e.put(1, Wait::Until(None), site()).unwrap();
            let p = {
                let e = e.clone();
                thread::spawn(move || e.put(2, Wait::Until(None), site()).is_ok())
            };
            assert_eq!(e.get(Wait::Until(None), site()), Ok(1));
            assert!(p.join().unwrap());
            assert_eq!(e.get(Wait::Try, site()), Ok(2));
        });
    }

    /// One getter takes two items while the putter puts two: after the
    /// first wake the waker has taken the getter's count off, so the second
    /// wait must register again (a stale or missing count would lose it).
    #[test]
    fn loom_engine_getter_waits_twice() {
        loom::model(|| {
            let e = Arc::new(Engine::new(Ring::new(2), false, true, Meta::ANONYMOUS));
            let g = {
                let e = e.clone();
                thread::spawn(move || {
                    let a = e.get(Wait::Until(None), site()).unwrap();
                    let b = e.get(Wait::Until(None), site()).unwrap();
                    (a, b)
                })
            };
            e.put(1, Wait::Try, site()).unwrap();
            e.put(2, Wait::Until(None), site()).unwrap();
            assert_eq!(g.join().unwrap(), (1, 2));
        });
    }

    /// The locked (LIFO) buffer under the same protocol: a getter that may
    /// sleep and a putter.
    #[test]
    fn loom_engine_lifo_get_waits_for_put() {
        loom::model(|| {
            let buf = Locked::new(Stack::default(), 1, Meta::ANONYMOUS);
            let e = Arc::new(Engine::new(buf, true, true, Meta::ANONYMOUS));
            let g = {
                let e = e.clone();
                thread::spawn(move || e.get(Wait::Until(None), site()))
            };
            e.put(7, Wait::Until(None), site()).unwrap();
            assert_eq!(g.join().unwrap(), Ok(7));
        });
    }

    /// `join` waits for the `task_done` of a concurrent consumer.
    #[test]
    fn loom_engine_join_waits_for_task_done() {
        loom::model(|| {
            let e = Arc::new(Engine::new(List::new(), true, false, Meta::ANONYMOUS));
            e.put(1, Wait::Try, site()).unwrap();
            let c = {
                let e = e.clone();
                thread::spawn(move || {
                    e.get(Wait::Try, site()).unwrap();
                    e.task_done().unwrap();
                })
            };
            e.join(Wait::Until(None), site()).unwrap();
            assert_eq!(e.unfinished(), 0);
            c.join().unwrap();
        });
    }

    /// Shutdown wakes a getter blocked on an empty queue.
    #[test]
    fn loom_engine_shutdown_wakes_getter() {
        loom::model(|| {
            let e = Arc::new(Engine::<u8, _>::new(
                Ring::new(1),
                true,
                true,
                Meta::ANONYMOUS,
            ));
            let g = {
                let e = e.clone();
                thread::spawn(move || e.get(Wait::Until(None), site()))
            };
            e.shutdown(false);
            assert_eq!(g.join().unwrap(), Err(GetError::ShutDown));
        });
    }

    /// Immediate shutdown racing a put: the count ends at zero either way.
    #[test]
    fn loom_engine_immediate_shutdown_counts() {
        loom::model(|| {
            let e = Arc::new(Engine::new(List::new(), true, false, Meta::ANONYMOUS));
            let p = {
                let e = e.clone();
                thread::spawn(move || e.put(1, Wait::Try, site()).is_ok())
            };
            e.shutdown(true);
            let _ = p.join().unwrap();
            // A put that landed before the close is drained by the shutdown
            // or still there; either way `join` after draining returns.
            while e.get(Wait::Try, site()).is_ok() {
                e.task_done().unwrap();
            }
            assert_eq!(e.unfinished(), 0);
        });
    }
}
