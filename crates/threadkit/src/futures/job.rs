//! [`Job`]: one queued unit of work, stored in the queue without a
//! per-task allocation when it can be.
//!
//! A job is two words of payload plus a pointer to a static table of
//! functions for its payload type (a hand-made trait object, so the payload
//! can live inline in the queue slot):
//!
//! | payload               | made by                      | stored as                    |
//! |-----------------------|------------------------------|------------------------------|
//! | small closure         | `execute(f)`, `f` <= 2 words | the closure itself, inline   |
//! | larger closure        | `execute(f)`                 | `Box<F>` (one thin pointer)  |
//! | task with a future    | `submit(f)`                  | `Arc<Inner<T, Once<F>>>` (thin) |
//!
//! The typical `execute` closure (a captured `Arc` or two) therefore costs no
//! allocation at all: only the queue's block allocation, amortised over 63
//! jobs. Every job is consumed exactly once: run, cancelled, abandoned (pool
//! broken) or dropped.

use std::mem::{ManuallyDrop, MaybeUninit, align_of, size_of};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use super::error::{FutureError, panic_message};
use super::state::{Inner, Once, Task};
use crate::wait::Tid;

type Payload = MaybeUninit<[usize; 2]>;

/// What a running job needs from its worker.
pub(super) struct RunCtx<'a> {
    /// The worker's tid (recorded as the runner of a future).
    pub(super) worker: Tid,
    /// Called once the work is done, before a future is completed.
    pub(super) ran: &'a dyn Fn(),
    /// Reports a panic of a job that has no future.
    pub(super) report: &'a dyn Fn(&(dyn std::any::Any + Send)),
}

struct VTable {
    run: unsafe fn(*mut Payload, &RunCtx<'_>),
    cancel: unsafe fn(*mut Payload),
    abandon: unsafe fn(*mut Payload, FutureError),
    drop: unsafe fn(*mut Payload),
}

/// See the module docs.
pub(super) struct Job {
    payload: Payload,
    vtable: &'static VTable,
}

// SAFETY: every constructor takes a `Send` payload (`F: Send` closures,
// `Inner<T, Once<G>>` with `T: Send`, `G: Send`, which is `Send + Sync`).
unsafe impl Send for Job {}

impl Job {
    /// A job running `f` (no future).
    #[inline]
    pub(super) fn closure<F: FnOnce() + Send + 'static>(f: F) -> Job {
        let mut payload = Payload::uninit();
        if size_of::<F>() <= size_of::<Payload>() && align_of::<F>() <= align_of::<Payload>() {
            // SAFETY: the payload is large and aligned enough for `F` (checked
            // just above); it is uninitialised, so nothing is overwritten.
            unsafe { payload.as_mut_ptr().cast::<F>().write(f) };
            Job {
                payload,
                vtable: &Inline::<F>::VTABLE,
            }
        } else {
            let raw = Box::into_raw(Box::new(f));
            // SAFETY: a thin pointer fits the first word of the payload.
            unsafe { payload.as_mut_ptr().cast::<*mut F>().write(raw) };
            Job {
                payload,
                vtable: &Boxed::<F>::VTABLE,
            }
        }
    }

    /// A job running a submitted task.
    #[inline]
    pub(super) fn task<T, G>(task: Arc<Inner<T, Once<G>>>) -> Job
    where
        T: Send + 'static,
        G: FnOnce() -> T + Send + 'static,
    {
        let mut payload = Payload::uninit();
        let raw = Arc::into_raw(task);
        // SAFETY: a thin pointer fits the first word of the payload.
        unsafe {
            payload
                .as_mut_ptr()
                .cast::<*const Inner<T, Once<G>>>()
                .write(raw)
        };
        Job {
            payload,
            vtable: &Submitted::<T, G>::VTABLE,
        }
    }

    /// Runs the job on the calling worker.
    #[inline]
    pub(super) fn run(self, ctx: &RunCtx<'_>) {
        let mut me = ManuallyDrop::new(self);
        // SAFETY: the payload was written by the constructor matching this
        // vtable and is consumed here exactly once (`me` is not dropped).
        unsafe { (me.vtable.run)(&mut me.payload, ctx) }
    }

    /// Cancels the job's future if it has not started (a closure is dropped).
    pub(super) fn cancel(self) {
        let mut me = ManuallyDrop::new(self);
        // SAFETY: as in `run`.
        unsafe { (me.vtable.cancel)(&mut me.payload) }
    }

    /// Fails the job's future with `error` without running it (a closure is
    /// dropped).
    pub(super) fn abandon(self, error: FutureError) {
        let mut me = ManuallyDrop::new(self);
        // SAFETY: as in `run`.
        unsafe { (me.vtable.abandon)(&mut me.payload, error) }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: a job not consumed by `run`/`cancel`/`abandon` still owns
        // its payload; this is its only drop.
        unsafe { (self.vtable.drop)(&mut self.payload) }
    }
}

struct Inline<F>(F);

impl<F: FnOnce() + Send + 'static> Inline<F> {
    const VTABLE: VTable = VTable {
        run: Self::run,
        cancel: Self::drop,
        abandon: Self::abandon,
        drop: Self::drop,
    };

    /// # Safety
    /// `p` holds an initialised `F` that the caller gives up.
    unsafe fn take(p: *mut Payload) -> F {
        // SAFETY: guaranteed by the caller.
        unsafe { p.cast::<F>().read() }
    }

    /// # Safety
    /// As `take`.
    unsafe fn run(p: *mut Payload, ctx: &RunCtx<'_>) {
        // SAFETY: forwarded.
        let f = unsafe { Self::take(p) };
        if let Err(e) = panic::catch_unwind(AssertUnwindSafe(f)) {
            (ctx.report)(&*e);
        }
        (ctx.ran)();
    }

    /// # Safety
    /// As `take`.
    unsafe fn abandon(p: *mut Payload, _: FutureError) {
        // SAFETY: forwarded.
        unsafe { Self::drop(p) }
    }

    /// # Safety
    /// As `take`.
    unsafe fn drop(p: *mut Payload) {
        // SAFETY: forwarded.
        drop(unsafe { Self::take(p) });
    }
}

struct Boxed<F>(F);

impl<F: FnOnce() + Send + 'static> Boxed<F> {
    const VTABLE: VTable = VTable {
        run: Self::run,
        cancel: Self::drop,
        abandon: Self::abandon,
        drop: Self::drop,
    };

    /// # Safety
    /// `p` holds a pointer from `Box::<F>::into_raw` that the caller gives up.
    unsafe fn take(p: *mut Payload) -> Box<F> {
        // SAFETY: guaranteed by the caller.
        unsafe { Box::from_raw(p.cast::<*mut F>().read()) }
    }

    /// # Safety
    /// As `take`.
    unsafe fn run(p: *mut Payload, ctx: &RunCtx<'_>) {
        // SAFETY: forwarded.
        let f = unsafe { Self::take(p) };
        if let Err(e) = panic::catch_unwind(AssertUnwindSafe(*f)) {
            (ctx.report)(&*e);
        }
        (ctx.ran)();
    }

    /// # Safety
    /// As `take`.
    unsafe fn abandon(p: *mut Payload, _: FutureError) {
        // SAFETY: forwarded.
        unsafe { Self::drop(p) }
    }

    /// # Safety
    /// As `take`.
    unsafe fn drop(p: *mut Payload) {
        // SAFETY: forwarded.
        drop(unsafe { Self::take(p) });
    }
}

struct Submitted<T, G>(T, G);

impl<T, G> Submitted<T, G>
where
    T: Send + 'static,
    G: FnOnce() -> T + Send + 'static,
{
    const VTABLE: VTable = VTable {
        run: Self::run,
        cancel: Self::cancel,
        abandon: Self::abandon,
        drop: Self::drop,
    };

    /// # Safety
    /// `p` holds a pointer from `Arc::into_raw` that the caller gives up.
    unsafe fn take(p: *mut Payload) -> Arc<Inner<T, Once<G>>> {
        // SAFETY: guaranteed by the caller.
        unsafe { Arc::from_raw(p.cast::<*const Inner<T, Once<G>>>().read()) }
    }

    /// # Safety
    /// As `take`.
    unsafe fn run(p: *mut Payload, ctx: &RunCtx<'_>) {
        // SAFETY: forwarded.
        let t = unsafe { Self::take(p) };
        t.run(ctx.worker, ctx.ran);
    }

    /// # Safety
    /// As `take`.
    unsafe fn cancel(p: *mut Payload) {
        // SAFETY: forwarded.
        let t = unsafe { Self::take(p) };
        Task::cancel(&*t);
    }

    /// # Safety
    /// As `take`.
    unsafe fn abandon(p: *mut Payload, error: FutureError) {
        // SAFETY: forwarded.
        let t = unsafe { Self::take(p) };
        t.abandon(error);
    }

    /// # Safety
    /// As `take`.
    unsafe fn drop(p: *mut Payload) {
        // SAFETY: forwarded.
        drop(unsafe { Self::take(p) });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ctx_run(job: Job) {
        let ctx = RunCtx {
            worker: Tid::from_raw(1).expect("non-zero"),
            ran: &|| {},
            report: &|_| {},
        };
        job.run(&ctx);
    }

    /// Inline and boxed closures run once, and are dropped exactly once
    /// when not run.
    #[test]
    fn closures_run_or_drop_exactly_once() {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        ctx_run(Job::closure(move || {
            c.fetch_add(1, Ordering::SeqCst);
        }));
        let c = count.clone();
        let big = [7u64; 8];
        ctx_run(Job::closure(move || {
            c.fetch_add(big[0] as usize, Ordering::SeqCst);
        }));
        assert_eq!(count.load(Ordering::SeqCst), 8);
        let c = count.clone();
        drop(Job::closure(move || drop(c)));
        let c = count.clone();
        Job::closure(move || drop((c, big))).cancel();
        assert_eq!(Arc::strong_count(&count), 1, "captures dropped once");
        let panicked = AtomicUsize::new(0);
        let ctx = RunCtx {
            worker: Tid::from_raw(1).expect("non-zero"),
            ran: &|| {},
            report: &|_| {
                panicked.fetch_add(1, Ordering::SeqCst);
            },
        };
        Job::closure(|| panic!("inline")).run(&ctx);
        Job::closure(move || panic!("boxed {}", big[1])).run(&ctx);
        assert_eq!(panicked.load(Ordering::SeqCst), 2);
    }
}
