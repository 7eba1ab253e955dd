//! The shared state behind a [`Future`](super::Future): one allocation that
//! holds the state word, the outcome slot, the callback list and (for a
//! submitted task) the closure itself.
//!
//! # The state word (`Core::state`, an `AtomicU32`)
//!
//! | bits | name        | meaning                                                      |
//! |------|-------------|--------------------------------------------------------------|
//! | 0-1  | phase       | `PENDING` 0, `RUNNING` 1, `FINISHED` 2, `CANCELLED` 3        |
//! | 2    | `WAITERS`   | a thread is (about to be) parked on the word's address       |
//! | 3    | `CALLBACKS` | the callback list is not empty (done callbacks, wakers, multi-waits) |
//! | 4    | `CALLING`   | set with `FINISHED` when there were callbacks; cleared once they all ran (their handles are dropped by then) |
//!
//! Transitions (each one atomic RMW):
//! - `PENDING -> RUNNING`: the worker's `fetch_or(RUNNING)`. `CANCELLED | 1`
//!   is still `CANCELLED`, so the same instruction tells a cancelled task
//!   apart without a CAS loop. `FINISHED` is never seen here: only the runner
//!   finishes a task.
//! - `PENDING -> CANCELLED`: `cancel()`'s CAS.
//! - `RUNNING -> FINISHED`: the runner writes the outcome, then `swap`s in
//!   `FINISHED` (clearing both flag bits) and acts on the flags it took out:
//!   unpark every waiter, run every callback.
//! - flags are set only while the phase is `PENDING` or `RUNNING` (CAS), so
//!   whoever moves the word to a done phase sees every registration.
//!
//! The outcome slot is written once, by the runner, before the `Release` of
//! the swap to `FINISHED`; readers load the word with `Acquire` and read the
//! slot only once they saw `FINISHED`.

use std::any::Any;
use std::cell::UnsafeCell as StdUnsafeCell;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, PoisonError};
use std::task::Waker;

// The callback list's mutex is loom's under loom, so a model that blocks on
// it is explored instead of hanging.
#[cfg(loom)]
pub(super) use loom::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(super) use std::sync::{Mutex, MutexGuard};

use super::error::{FutureError, panic_message};
use super::multi::Multi;
use crate::loom::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use crate::wait::{self, Meta, Tid};

pub(super) const PENDING: u32 = 0;
pub(super) const RUNNING: u32 = 1;
pub(super) const FINISHED: u32 = 2;
pub(super) const CANCELLED: u32 = 3;
pub(super) const PHASE: u32 = 0b11;
pub(super) const WAITERS: u32 = 0b100;
pub(super) const CALLBACKS: u32 = 0b1000;
pub(super) const CALLING: u32 = 0b1_0000;

crate::loom::thread_local! {
    /// Set while this thread runs a future's callbacks: `into_result` on
    /// this thread must not wait for callbacks to end (it is inside one).
    static IN_CALLBACKS: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// Whether `state` is in a done phase (`FINISHED` or `CANCELLED`).
#[inline]
pub(super) fn is_done(state: u32) -> bool {
    state & PHASE >= FINISHED
}

/// The type-independent part of a future's state, the one the deadlock
/// detector's owner probe reads.
pub(crate) struct Core {
    /// The state word (see the module docs).
    pub(super) state: AtomicU32,
    /// Raw [`Tid`] of the thread running the task (0 before it starts).
    pub(super) runner: AtomicU32,
    /// Id of the pool the task was queued on (0: none).
    pub(super) pool: u32,
    /// Name / creation site used in reports (the executor's).
    pub(super) meta: Meta,
}

impl Core {
    pub(super) fn new(pool: u32, meta: Meta) -> Core {
        Core {
            state: AtomicU32::new(PENDING),
            runner: AtomicU32::new(0),
            pool,
            meta,
        }
    }

    /// The parking key of the future's waiters: the state word's address.
    #[inline]
    pub(super) fn key(&self) -> usize {
        &self.state as *const AtomicU32 as usize
    }
}

/// What a finished task left behind.
pub(super) enum Outcome<T> {
    /// Not done yet (or cancelled: the phase says which).
    Empty,
    /// The task's return value.
    Value(T),
    /// The task's failure (boxed: keeps the slot two words for small `T`).
    Failed(Box<FutureError>),
    /// The value was moved out by `into_result` (only possible once no other
    /// handle exists, so no reader can see this).
    Taken,
}

/// A user's done callback.
pub(super) type Callback<T> = Box<dyn FnOnce(&super::Future<T>) + Send>;

/// A waiter on a future that is not a parked thread.
pub(super) enum Action<T> {
    /// `add_done_callback`: the callback and a handle to pass it (the handle
    /// keeps `handles` above 1 until the callback has run).
    User(Callback<T>, super::Future<T>),
    /// An `.await`ing task.
    Waker(Waker),
    /// `wait` / `as_completed`: notify this multi-waiter with this index.
    Multi(Arc<Multi>, usize),
}

pub(super) struct Entry<T> {
    pub(super) id: u64,
    pub(super) action: Action<T>,
}

pub(super) struct Callbacks<T> {
    next_id: u64,
    entries: Vec<Entry<T>>,
}

/// Everything about a future except the closure.
pub(crate) struct Header<T> {
    pub(super) core: Core,
    /// Number of live `Future<T>` handles (the executor's own reference is not
    /// one): `into_result` may move the value out only when it holds the last.
    pub(super) handles: AtomicUsize,
    pub(super) outcome: UnsafeCell<Outcome<T>>,
    /// Registered callbacks; a plain mutex: held for a push or a take,
    /// never across user code or a wait.
    callbacks: Mutex<Callbacks<T>>,
}

/// Implemented by every closure cell so the unsized `Inner<T, dyn Erased>`
/// can drop whatever closure type it holds.
pub(crate) trait Erased: Send {}
impl<X: Send> Erased for X {}

/// The one allocation: header plus closure. `F` is `Once<G>` while the
/// concrete type is known and `dyn Erased` behind a [`Future`](super::Future).
///
/// The closure cell is a std `UnsafeCell` (loom's cell cannot be unsized);
/// it is touched only by the one thread that won the `PENDING -> RUNNING`
/// transition, and by `Drop`.
pub(crate) struct Inner<T, F: ?Sized> {
    pub(super) header: Header<T>,
    pub(super) func: StdUnsafeCell<F>,
}

/// The closure of a submitted task, taken out when it runs.
pub(crate) struct Once<G>(pub(super) Option<G>);

// SAFETY: the closure cell is accessed by one thread at a time (the runner
// that won `PENDING -> RUNNING`, or the last owner in `Drop`), and it is
// `Send`. The outcome slot is written once before a Release publication and
// only read after the matching Acquire; `T: Send` lets the value be moved to
// the thread that takes it. Shared references to `T` across threads are
// handed out only through `Future<T>`, whose own Send/Sync additionally
// require `T: Sync` (see `Future`'s marker field). The callback list is
// behind a mutex and only holds `Send` entries.
unsafe impl<T: Send, F: ?Sized + Send> Send for Inner<T, F> {}
// SAFETY: as above.
unsafe impl<T: Send, F: ?Sized + Send> Sync for Inner<T, F> {}

pub(super) fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> Header<T> {
    pub(super) fn new(pool: u32, meta: Meta) -> Header<T> {
        Header {
            core: Core::new(pool, meta),
            handles: AtomicUsize::new(1),
            outcome: UnsafeCell::new(Outcome::Empty),
            callbacks: Mutex::new(Callbacks {
                next_id: 0,
                entries: Vec::new(),
            }),
        }
    }

    /// The state word, `Acquire`: a done phase makes the outcome readable.
    #[inline]
    pub(super) fn state(&self) -> u32 {
        self.core.state.load(Ordering::Acquire)
    }

    /// Marks the task as started by the calling thread; `false` if it was
    /// cancelled first (then it must not run).
    #[inline]
    pub(super) fn start(&self, runner: Tid) -> bool {
        // Relaxed: published by the Release half of the fetch_or below.
        self.core.runner.store(runner.get(), Ordering::Relaxed);
        // AcqRel: Release publishes `runner` to the deadlock probe, which
        // reads the phase with Acquire; Acquire orders this thread after a
        // concurrent `cancel` (then we see CANCELLED and skip).
        let old = self.core.state.fetch_or(RUNNING, Ordering::AcqRel);
        old & PHASE == PENDING
    }

    /// Marks the task as started outside every threadkit thread (in a child
    /// process; the result comes back through a pipe): the deadlock probe
    /// then names no runner, so a wait on this future is never taken for
    /// part of a proven deadlock. `false` if it was cancelled first.
    #[inline]
    #[cfg_attr(not(feature = "process"), allow(dead_code))]
    pub(super) fn start_elsewhere(&self) -> bool {
        // Relaxed / AcqRel: as in `start` (0 = no runner thread).
        self.core.runner.store(0, Ordering::Relaxed);
        let old = self.core.state.fetch_or(RUNNING, Ordering::AcqRel);
        old & PHASE == PENDING
    }

    /// Publishes `outcome` and wakes everyone. Only the thread for which
    /// [`start`](Self::start) returned `true` may call it, once.
    pub(super) fn finish(&self, outcome: Outcome<T>)
    where
        T: Send,
    {
        // SAFETY: only the runner writes the slot, once, before the phase
        // becomes FINISHED; no reader looks at it before seeing FINISHED.
        self.outcome.with_mut(|p| unsafe { *p = outcome });
        // AcqRel: Release publishes the outcome to every Acquire load that
        // sees FINISHED; Acquire makes the flag setters' registrations visible.
        // `CALLING` goes in with `FINISHED` in the same RMW, so nobody can see
        // the future finished while a callback's handle is still to be dropped
        // without also seeing that callbacks are running.
        let mut old = self.core.state.load(Ordering::Relaxed);
        loop {
            let new = if old & CALLBACKS != 0 {
                FINISHED | CALLING
            } else {
                FINISHED
            };
            match self.core.state.compare_exchange_weak(
                old,
                new,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(x) => old = x,
            }
        }
        self.after_done(old);
    }

    /// `PENDING -> CANCELLED`; `true` if the future is (now) cancelled.
    pub(super) fn cancel(&self) -> bool {
        // Relaxed: only a hint for the CAS below, which re-checks.
        let mut s = self.core.state.load(Ordering::Relaxed);
        loop {
            match s & PHASE {
                PENDING => {}
                CANCELLED => return true,
                _ => return false,
            }
            // AcqRel: Release publishes "cancelled" to readers of the phase;
            // Acquire sees the registrations whose flags we take out.
            match self.core.state.compare_exchange_weak(
                s,
                CANCELLED,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.after_done(s);
                    return true;
                }
                Err(x) => s = x,
            }
        }
    }

    /// Wakes parked threads and runs callbacks, as the flags in `old` say.
    fn after_done(&self, old: u32) {
        if old & WAITERS != 0 {
            // SAFETY: the key is this future's own address; the callback
            // does nothing (cannot panic or park).
            unsafe {
                wait::unpark_all(self.core.key(), wait::DEFAULT_UNPARK_TOKEN);
            }
        }
        if old & CALLBACKS != 0 {
            self.run_callbacks();
            // Release: the callbacks' handles were dropped (Release decrements
            // of `handles`) before this; a taker that sees `CALLING` clear with
            // Acquire then reads the final handle count.
            self.core.state.fetch_and(!CALLING, Ordering::Release);
            // SAFETY: the key is this future's own address; the callback
            // does nothing (cannot panic or park).
            unsafe {
                wait::unpark_all(self.core.key(), wait::DEFAULT_UNPARK_TOKEN);
            }
        }
    }

    /// Waits until the finisher has run every callback (so the handles the
    /// callbacks held are gone). Returns at once on the finisher's own
    /// thread, or when no callbacks are running.
    pub(super) fn wait_callbacks(&self, site: &'static std::panic::Location<'static>) {
        let calling = || self.core.state.load(Ordering::Acquire) & CALLING != 0;
        if !calling() || IN_CALLBACKS.with(|c| c.get()) {
            return;
        }
        let mut w = wait::Waiter::new(
            wait::WaitKind::Future,
            &self.core,
            self.core.meta,
            wait::Owner::None,
            site,
            None,
        );
        while calling() {
            // SAFETY: the key is this future's own address; `validate` only
            // loads the word; the other callbacks do nothing.
            let _ = unsafe {
                w.park(
                    self.core.key(),
                    || self.core.state.load(Ordering::Relaxed) & CALLING != 0,
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
        }
    }

    #[cold]
    fn run_callbacks(&self) {
        let entries = std::mem::take(&mut lock(&self.callbacks).entries);
        let outer = IN_CALLBACKS.with(|c| c.replace(true));
        for e in entries {
            run_action(e.action);
        }
        IN_CALLBACKS.with(|c| c.set(outer));
    }

    /// Registers `action` to run when the future is done; hands it back if
    /// the future already is (the caller runs it then).
    pub(super) fn register(&self, action: Action<T>) -> Result<u64, Action<T>> {
        let mut cbs = lock(&self.callbacks);
        let mut s = self.state();
        if is_done(s) {
            return Err(action);
        }
        let id = cbs.next_id;
        cbs.next_id += 1;
        cbs.entries.push(Entry { id, action });
        loop {
            if is_done(s) {
                // The finisher swapped the word before our flag went in, so
                // it will not look at the list: run the action ourselves.
                let e = cbs
                    .entries
                    .pop()
                    .expect("pushed just above, under the lock");
                return Err(e.action);
            }
            if s & CALLBACKS != 0 {
                return Ok(id);
            }
            // Release/Acquire: the finisher's AcqRel swap sees the flag; it
            // then takes the list's mutex, which orders our push before its take.
            match self.core.state.compare_exchange_weak(
                s,
                s | CALLBACKS,
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(id),
                Err(x) => s = x,
            }
        }
    }

    /// Removes the registration `id` if it has not run; returns it.
    pub(super) fn deregister(&self, id: u64) -> Option<Action<T>> {
        let mut cbs = lock(&self.callbacks);
        let pos = cbs.entries.iter().position(|e| e.id == id)?;
        Some(cbs.entries.swap_remove(pos).action)
    }

    /// Replaces the waker of registration `id` if it is still listed;
    /// `false` if it is gone (the future completed and took it).
    pub(super) fn update_waker(&self, id: u64, waker: &Waker) -> bool {
        let mut cbs = lock(&self.callbacks);
        match cbs.entries.iter_mut().find(|e| e.id == id) {
            Some(Entry {
                action: Action::Waker(w),
                ..
            }) => {
                if !w.will_wake(waker) {
                    *w = waker.clone();
                }
                true
            }
            _ => false,
        }
    }

    /// A reference to the outcome. Only valid once the phase is done (the
    /// caller loaded it with Acquire).
    #[inline]
    pub(super) fn outcome(&self) -> &Outcome<T> {
        // SAFETY: the caller saw a done phase with Acquire, so the single
        // write happened before; the only later write (`take_outcome`) needs
        // the last handle, which the caller's borrow of its handle excludes.
        self.outcome.with(|p| unsafe { &*p })
    }

    /// Moves the outcome out. The caller owns the last handle and saw a done
    /// phase with Acquire.
    pub(super) fn take_outcome(&self) -> Outcome<T> {
        // SAFETY: as `outcome`, and no other handle exists to read the slot
        // (the executor's reference never reads it after the write).
        self.outcome
            .with_mut(|p| unsafe { std::mem::replace(&mut *p, Outcome::Taken) })
    }
}

/// Runs one completion action; a panicking callback is reported on stderr
/// (like CPython's `concurrent.futures` logger) and the rest still run.
pub(super) fn run_action<T>(action: Action<T>) {
    match action {
        Action::User(f, handle) => {
            let r = panic::catch_unwind(AssertUnwindSafe(|| f(&handle)));
            if let Err(p) = r {
                report_callback_panic(&*p);
            }
        }
        Action::Waker(w) => w.wake(),
        Action::Multi(m, index) => m.notify(index),
    }
}

#[cold]
fn report_callback_panic(p: &(dyn Any + Send)) {
    // Not `eprintln!`: it panics if stderr is closed, and this runs on a
    // worker that must survive.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "threadkit: exception calling callback for future: {}",
        panic_message(p)
    );
}

/// The work behind a queued job: run it or fail it.
pub(crate) trait Task: Send + Sync {
    /// Runs the task on the calling worker (skipped if it was cancelled);
    /// `ran` is called after the closure returned and before the future is
    /// completed (the worker announces itself idle there, so a caller woken
    /// by the result finds the worker reusable).
    fn run(self: Arc<Self>, worker: Tid, ran: &dyn Fn());
    /// Completes the future with `error` without running it (broken pool),
    /// unless it already left `PENDING`.
    fn abandon(self: Arc<Self>, error: FutureError);
    /// Cancels the future if it has not started (shutdown with
    /// `cancel_futures`).
    fn cancel(&self);
}

impl<T, G> Task for Inner<T, Once<G>>
where
    T: Send + 'static,
    G: FnOnce() -> T + Send + 'static,
{
    #[inline]
    fn run(self: Arc<Self>, worker: Tid, ran: &dyn Fn()) {
        if !self.header.start(worker) {
            return;
        }
        // SAFETY: `start` returned true exactly once, for this thread: no
        // one else touches the closure cell (see `Inner`).
        let f = unsafe { (*self.func.get()).0.take() };
        let Some(f) = f else { return };
        let outcome = match panic::catch_unwind(AssertUnwindSafe(f)) {
            Ok(v) => Outcome::Value(v),
            Err(p) => Outcome::Failed(Box::new(FutureError::Panicked(panic_message(&*p)))),
        };
        ran();
        self.header.finish(outcome);
    }

    fn abandon(self: Arc<Self>, error: FutureError) {
        if self.header.start(crate::wait::tid::current()) {
            self.header.finish(Outcome::Failed(Box::new(error)));
        }
    }

    fn cancel(&self) {
        self.header.cancel();
    }
}

/// Marker making `Future<T>` `Send`/`Sync` only when `T: Send + Sync`
/// (handles share `&T` between threads).
pub(super) type ShareMarker<T> = PhantomData<Arc<T>>;

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::futures::future::Future;
    use loom::thread;

    /// The worker's start races `cancel`: exactly one wins, and the outcome
    /// matches the winner.
    #[test]
    fn loom_start_races_cancel() {
        loom::model(|| {
            let (f, c) = Future::<u32>::pending();
            let f2 = f.clone();
            let t = thread::spawn(move || f2.cancel());
            let ran = c.set_running();
            if ran {
                c.set_result(7);
            } else {
                drop(c);
            }
            let cancelled = t.join().unwrap();
            assert_ne!(ran, cancelled, "exactly one of run / cancel wins");
            if ran {
                assert_eq!(f.try_result(), Ok(&7));
            } else {
                assert_eq!(f.try_result(), Err(FutureError::Cancelled));
            }
        });
    }

    /// A thread blocked in `result()` is always woken by the finisher (no
    /// lost wake-up between its check, its WAITERS flag and its park).
    #[test]
    fn loom_result_wakes_on_finish() {
        loom::model(|| {
            let (f, c) = Future::<u32>::pending();
            let t = thread::spawn(move || {
                assert!(c.set_running());
                c.set_result(3);
            });
            assert_eq!(f.result(), Ok(&3));
            t.join().unwrap();
        });
    }

    /// A callback registered while the future finishes runs exactly once,
    /// either on the finisher or on the registering thread.
    #[test]
    fn loom_callback_runs_once() {
        loom::model(|| {
            let (f, c) = Future::<u32>::pending();
            let hits = Arc::new(crate::loom::sync::atomic::AtomicUsize::new(0));
            let h = hits.clone();
            let t = thread::spawn(move || {
                c.set_result(1);
            });
            f.add_done_callback(move |_| {
                h.fetch_add(1, Ordering::Relaxed);
            });
            t.join().unwrap();
            assert_eq!(hits.load(Ordering::Relaxed), 1);
        });
    }
}
