//! [`Future`]: the handle to a task's eventual result.

use std::fmt;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::error::FutureError;
use super::pool_table;
use super::state::{
    Action, CANCELLED, Core, Erased, FINISHED, Header, Inner, Once, Outcome, PHASE, RUNNING,
    ShareMarker, WAITERS, is_done, run_action,
};
use crate::loom::sync::atomic::Ordering;
use crate::wait::{self, Owner, Park, Spin, Tid, WaitKind, Waiter};

/// Doubling spin steps before parking (about 2^steps `spin_loop`
/// hints in all): work or a result often arrives within a microsecond or
/// two, and on a loaded machine a longer spin steals the CPU from the
/// thread we wait for.
const WAIT_SPIN_STEPS: u32 = 6;

/// `yield_now` rounds after spinning, before parking.
const WAIT_YIELDS: u32 = 4;

/// The eventual result of a task: Python's `concurrent.futures.Future`.
///
/// A `Future` is a cheap, clonable handle (clones share the one result).
/// It is returned by [`ThreadPoolExecutor::submit`](crate::ThreadPoolExecutor::submit),
/// or made directly with [`Future::pending`] by code that completes it
/// itself. Blocking calls come in three forms: `result()` blocks,
/// `result_timeout(d)` blocks at most `d` (never returning early), and
/// `try_result()` never blocks.
///
/// A task that panics completes its future with
/// [`FutureError::Panicked`]; the worker goes on serving.
///
/// `Future<T>` is `Send` and `Sync` when `T` is `Send + Sync` (clones on
/// several threads can all borrow the value).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threadkit::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new();
/// let f = pool.submit(|| 6 * 7).unwrap();
/// assert_eq!(*f.result().unwrap(), 42);
/// assert_eq!(*f.result_timeout(Duration::from_millis(500)).unwrap(), 42);
/// assert!(f.done() && !f.cancelled());
/// assert_eq!(f.into_result().unwrap(), 42);
/// ```
pub struct Future<T> {
    inner: Arc<Inner<T, dyn Erased>>,
    _share: ShareMarker<T>,
}

/// The other end of a [`Future::pending`] future: whoever holds it
/// completes the future (an executor written outside this module, a test).
///
/// Python's executor-side methods of `Future` (`set_running_or_notify_cancel`,
/// `set_result`, `set_exception`) live here, so user code holding a
/// `Future` cannot complete it by mistake. Dropping a `Completer` that never
/// completed its future fails the future with [`FutureError::BrokenPool`]
/// (a waiter never hangs on a lost completer).
///
/// # Examples
///
/// ```
/// use threadkit::Future;
///
/// let (future, completer) = Future::pending();
/// let worker = std::thread::spawn(move || {
///     if completer.set_running() {
///         completer.set_result(String::from("done"));
///     }
/// });
/// assert_eq!(future.result().unwrap(), "done");
/// worker.join().unwrap();
/// ```
pub struct Completer<T: Send + 'static> {
    inner: Arc<HandMade<T>>,
    state: std::cell::Cell<CompleterState>,
}

/// The allocation of a [`Future::pending`] future: no closure.
type HandMade<T> = Inner<T, Once<fn() -> T>>;

#[derive(Copy, Clone, PartialEq, Eq)]
enum CompleterState {
    Pending,
    Running,
    Done,
}

impl<T> Future<T> {
    #[inline]
    pub(super) fn header(&self) -> &Header<T> {
        &self.inner.header
    }

    #[inline]
    pub(super) fn from_inner(inner: Arc<Inner<T, dyn Erased>>) -> Future<T> {
        Future {
            inner,
            _share: ShareMarker::default(),
        }
    }

    /// The address identifying the shared state (equal for clones).
    #[inline]
    pub(super) fn addr(&self) -> usize {
        Arc::as_ptr(&self.inner) as *const () as usize
    }

    /// Whether `self` and `other` are handles to the same future.
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, _c) = threadkit::Future::<u8>::pending();
    /// assert!(f.same(&f.clone()));
    /// ```
    pub fn same(&self, other: &Future<T>) -> bool {
        self.addr() == other.addr()
    }

    /// Attempts to cancel the task: succeeds (`true`) only while it is still
    /// pending, or if it was already cancelled. A running or finished task
    /// cannot be cancelled (`false`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, _c) = threadkit::Future::<u8>::pending();
    /// assert!(f.cancel());
    /// assert!(f.cancel() && f.cancelled() && f.done());
    /// ```
    pub fn cancel(&self) -> bool {
        self.header().cancel()
    }

    /// Whether the future was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, _c) = threadkit::Future::<u8>::pending();
    /// assert!(!f.cancelled());
    /// ```
    #[inline]
    pub fn cancelled(&self) -> bool {
        self.header().state() & PHASE == CANCELLED
    }

    /// Whether the task is running right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, c) = threadkit::Future::<u8>::pending();
    /// assert!(c.set_running());
    /// assert!(f.running());
    /// ```
    #[inline]
    pub fn running(&self) -> bool {
        self.header().state() & PHASE == RUNNING
    }

    /// Whether the future is done: finished (with a value or an error) or
    /// cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let f = pool.submit(|| 1).unwrap();
    /// f.result().unwrap();
    /// assert!(f.done());
    /// ```
    #[inline]
    pub fn done(&self) -> bool {
        is_done(self.header().state())
    }

    /// Waits for the task and returns a reference to its value.
    ///
    /// # Errors
    ///
    /// [`FutureError::Cancelled`] if it was cancelled; the task's failure
    /// ([`Panicked`](FutureError::Panicked), [`BrokenPool`](FutureError::BrokenPool),
    /// [`Failed`](FutureError::Failed)); [`FutureError::Deadlock`] if the
    /// deadlock detector proves that the task can never run (e.g. it is
    /// queued behind the caller in a saturated pool).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let f = pool.submit(|| vec![1, 2, 3]).unwrap();
    /// assert_eq!(f.result().unwrap().len(), 3);
    /// ```
    #[track_caller]
    pub fn result(&self) -> Result<&T, FutureError> {
        self.wait_until(None, Location::caller())?;
        self.value()
    }

    /// [`result`](Self::result) waiting at most `timeout` (a zero timeout
    /// is [`try_result`](Self::try_result)).
    ///
    /// # Errors
    ///
    /// As `result`, plus [`FutureError::Timeout`] once `timeout` has passed
    /// (never earlier) with the task not done.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::FutureError;
    ///
    /// let (f, _c) = threadkit::Future::<u8>::pending();
    /// assert_eq!(f.result_timeout(Duration::from_millis(10)), Err(FutureError::Timeout));
    /// ```
    #[track_caller]
    pub fn result_timeout(&self, timeout: Duration) -> Result<&T, FutureError> {
        self.wait_timeout(timeout, Location::caller())?;
        self.value()
    }

    /// The value if the future is done now, without blocking.
    ///
    /// # Errors
    ///
    /// [`FutureError::Timeout`] if it is not done; otherwise as `result`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::FutureError;
    ///
    /// let (f, c) = threadkit::Future::pending();
    /// assert_eq!(f.try_result(), Err(FutureError::Timeout));
    /// c.set_result(5);
    /// assert_eq!(f.try_result(), Ok(&5));
    /// ```
    pub fn try_result(&self) -> Result<&T, FutureError> {
        if !self.done() {
            return Err(FutureError::Timeout);
        }
        self.value()
    }

    /// Waits for the task and returns how it failed (`Ok(None)` if it
    /// returned a value): Python's `Future.exception()`.
    ///
    /// # Errors
    ///
    /// [`FutureError::Cancelled`] if it was cancelled,
    /// [`FutureError::Deadlock`] as for `result`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::FutureError;
    ///
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let f = pool.submit(|| -> u8 { panic!("bad input") }).unwrap();
    /// assert_eq!(f.exception(), Ok(Some(FutureError::Panicked("bad input".into()))));
    /// ```
    #[track_caller]
    pub fn exception(&self) -> Result<Option<FutureError>, FutureError> {
        self.wait_until(None, Location::caller())?;
        self.failure()
    }

    /// [`exception`](Self::exception) waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// As `exception`, plus [`FutureError::Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let f = pool.submit(|| 1).unwrap();
    /// assert_eq!(f.exception_timeout(Duration::from_secs(5)), Ok(None));
    /// ```
    #[track_caller]
    pub fn exception_timeout(&self, timeout: Duration) -> Result<Option<FutureError>, FutureError> {
        self.wait_timeout(timeout, Location::caller())?;
        self.failure()
    }

    /// [`exception`](Self::exception) without blocking.
    ///
    /// # Errors
    ///
    /// [`FutureError::Timeout`] if not done; [`FutureError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, _c) = threadkit::Future::<u8>::pending();
    /// assert!(f.try_exception().is_err());
    /// ```
    pub fn try_exception(&self) -> Result<Option<FutureError>, FutureError> {
        if !self.done() {
            return Err(FutureError::Timeout);
        }
        self.failure()
    }

    /// Waits for the task and moves its value out of the future.
    ///
    /// # Errors
    ///
    /// As [`result`](Self::result), plus [`FutureError::Shared`] if other
    /// clones of this future are still alive (the value stays in the
    /// future: read it with `result()` through a clone).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let f = pool.submit(|| String::from("owned")).unwrap();
    /// let s: String = f.into_result().unwrap();
    /// assert_eq!(s, "owned");
    /// ```
    #[track_caller]
    pub fn into_result(self) -> Result<T, FutureError> {
        self.wait_until(None, Location::caller())?;
        self.take()
    }

    /// [`into_result`](Self::into_result) waiting at most `timeout`; on a
    /// timeout the future is handed back with the error.
    ///
    /// # Errors
    ///
    /// `(FutureError::Timeout, self)` if not done in time; the errors of
    /// `into_result` otherwise (the future is consumed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (f, c) = threadkit::Future::pending();
    /// let f = f.into_result_timeout(Duration::from_millis(1)).unwrap_err().1.unwrap();
    /// c.set_result(3u8);
    /// assert_eq!(f.into_result_timeout(Duration::from_secs(1)).unwrap(), 3);
    /// ```
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn into_result_timeout(
        self,
        timeout: Duration,
    ) -> Result<T, (FutureError, Option<Future<T>>)> {
        match self.wait_timeout(timeout, Location::caller()) {
            Ok(()) => self.take().map_err(|e| (e, None)),
            Err(FutureError::Timeout) => Err((FutureError::Timeout, Some(self))),
            Err(e) => Err((e, None)),
        }
    }

    /// Calls `f` with this future once it is done, on the thread that
    /// completes it (at once, on the calling thread, if it is already done;
    /// a cancelled future counts as done). A panicking callback is reported
    /// on stderr and the other callbacks still run.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let (tx, rx) = mpsc::channel();
    /// let f = pool.submit(|| 2).unwrap();
    /// f.add_done_callback(move |f| tx.send(*f.result().unwrap()).unwrap());
    /// assert_eq!(rx.recv().unwrap(), 2);
    /// ```
    pub fn add_done_callback(&self, f: impl FnOnce(&Future<T>) + Send + 'static)
    where
        T: Send + Sync,
    {
        let action = Action::User(Box::new(f), self.clone());
        if let Err(action) = self.header().register(action) {
            run_action(action);
        }
    }

    fn value(&self) -> Result<&T, FutureError> {
        if self.header().state() & PHASE == CANCELLED {
            return Err(FutureError::Cancelled);
        }
        match self.header().outcome() {
            Outcome::Value(v) => Ok(v),
            Outcome::Failed(e) => Err((**e).clone()),
            Outcome::Empty | Outcome::Taken => Err(FutureError::Shared),
        }
    }

    fn failure(&self) -> Result<Option<FutureError>, FutureError> {
        match self.value() {
            Ok(_) => Ok(None),
            Err(FutureError::Cancelled) => Err(FutureError::Cancelled),
            Err(e) => Ok(Some(e)),
        }
    }

    /// Whether the future finished with a failure (done, not cancelled).
    pub(super) fn failed(&self) -> bool {
        self.header().state() & PHASE == FINISHED
            && matches!(self.header().outcome(), Outcome::Failed(_))
    }

    /// Moves the outcome out of a done future.
    #[track_caller]
    pub(super) fn take(self) -> Result<T, FutureError> {
        if self.header().state() & PHASE == CANCELLED {
            return Err(FutureError::Cancelled);
        }
        // Acquire: pairs with the Release decrement of every other handle,
        // so their borrows of the value are over before we move it. A
        // callback's handle goes away once the finisher has run it: wait for
        // that rather than report a clone the caller never made.
        if self.header().handles.load(Ordering::Acquire) != 1 {
            self.header().wait_callbacks(Location::caller());
        }
        if self.header().handles.load(Ordering::Acquire) != 1 {
            return match self.header().outcome() {
                Outcome::Failed(e) => Err((**e).clone()),
                _ => Err(FutureError::Shared),
            };
        }
        match self.header().take_outcome() {
            Outcome::Value(v) => Ok(v),
            Outcome::Failed(e) => Err(*e),
            Outcome::Empty | Outcome::Taken => Err(FutureError::Shared),
        }
    }

    #[inline]
    fn wait_timeout(
        &self,
        timeout: Duration,
        site: &'static Location<'static>,
    ) -> Result<(), FutureError> {
        if self.done() {
            return Ok(());
        }
        if timeout.is_zero() {
            return Err(FutureError::Timeout);
        }
        self.wait_slow(wait::deadline_after(timeout), site)
    }

    /// Blocks until done or `deadline`.
    #[inline]
    pub(super) fn wait_until(
        &self,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), FutureError> {
        if self.done() {
            return Ok(());
        }
        self.wait_slow(deadline, site)
    }

    #[cold]
    fn wait_slow(
        &self,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), FutureError> {
        let core = &self.header().core;
        let mut spin = Spin::with_steps(WAIT_SPIN_STEPS);
        while spin.spin() {
            if self.done() {
                return Ok(());
            }
        }
        // A few yields before parking: with more runnable threads than
        // cores, the worker we wait for may need this core to finish.
        for _ in 0..WAIT_YIELDS {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            super::executor::yield_now();
            if self.done() {
                return Ok(());
            }
        }
        let owner = Owner::Probe {
            data: core as *const Core as *const (),
            probe: probe_owners,
        };
        let mut w = Waiter::new(WaitKind::Future, core, core.meta, owner, site, deadline);
        loop {
            let s = self.header().state();
            if is_done(s) {
                return Ok(());
            }
            if w.timed_out() {
                return Err(FutureError::Timeout);
            }
            if s & WAITERS == 0 {
                // Relaxed: the flag only has to be in the word before we
                // park; `validate` re-reads it under the parking lot's lock,
                // and the finisher's swap takes it out atomically.
                if core
                    .state
                    .compare_exchange_weak(s, s | WAITERS, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
                {
                    continue;
                }
            }
            let validate = || {
                // Relaxed: runs under the bucket lock that `unpark_all` also
                // takes, which orders it with the finisher's swap.
                let s = core.state.load(Ordering::Relaxed);
                !is_done(s) && s & WAITERS != 0
            };
            // SAFETY: the key is this future's state word, an address the
            // future controls; `validate` only loads an atomic (cannot
            // panic or park); the other callbacks do nothing.
            let r = unsafe {
                w.park(
                    core.key(),
                    validate,
                    || {},
                    |_, _| {},
                    wait::DEFAULT_PARK_TOKEN,
                )
            };
            match r {
                Park::Deadlock(d) => return Err(FutureError::Deadlock(d)),
                Park::TimedOut => {
                    if self.done() {
                        return Ok(());
                    }
                    return Err(FutureError::Timeout);
                }
                Park::Unparked(_) | Park::Invalid | Park::Retry => {}
            }
        }
    }
}

/// The deadlock detector's view of who must act for a future's waiter to go
/// on: the worker running the task; while it is queued in a pool whose
/// workers are all busy, every one of them ("any of them").
///
/// # Safety
///
/// `data` points to the `Core` of a future kept alive by the waiter that
/// published it (see `OwnerProbe`).
unsafe fn probe_owners(data: *const ()) -> Vec<Tid> {
    // SAFETY: guaranteed by the caller (the record's waiter borrows it).
    let core = unsafe { &*(data as *const Core) };
    // Acquire: pairs with the worker's AcqRel `fetch_or(RUNNING)`, which
    // published `runner` before it.
    let s = core.state.load(Ordering::Acquire);
    match s & PHASE {
        // Relaxed: ordered by the Acquire load above.
        RUNNING => Tid::from_raw(core.runner.load(Ordering::Relaxed))
            .into_iter()
            .collect(),
        super::state::PENDING => pool_table::saturated_workers(core.pool),
        _ => Vec::new(),
    }
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        // Relaxed: a new handle is made from an existing one, which keeps
        // the count above zero; nothing is published by the increment.
        self.header().handles.fetch_add(1, Ordering::Relaxed);
        Future::from_inner(self.inner.clone())
    }
}

impl<T> Drop for Future<T> {
    fn drop(&mut self) {
        // Release: our borrows of the value end before the last handle's
        // Acquire load in `take` sees the count drop.
        self.header().handles.fetch_sub(1, Ordering::Release);
    }
}

/// Futures compare by identity, as in Python: clones are equal.
impl<T> PartialEq for Future<T> {
    fn eq(&self, other: &Self) -> bool {
        self.same(other)
    }
}

impl<T> Eq for Future<T> {}

/// Hashes the identity, so futures can go in a `HashSet` (like Python's sets
/// of futures).
impl<T> std::hash::Hash for Future<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.addr().hash(state);
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.header().state();
        let state = match s & PHASE {
            super::state::PENDING => "pending",
            RUNNING => "running",
            FINISHED => match self.header().outcome() {
                Outcome::Failed(_) => "finished (failed)",
                _ => "finished",
            },
            _ => "cancelled",
        };
        write!(f, "Future(at {:#x}, state={state})", self.addr())
    }
}

impl<T: Send + 'static> Future<T> {
    /// A future completed by hand through its [`Completer`] (for executors
    /// other than the thread pool, and for tests).
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, c) = threadkit::Future::pending();
    /// c.set_result(1);
    /// assert_eq!(f.into_result().unwrap(), 1);
    /// ```
    pub fn pending() -> (Future<T>, Completer<T>) {
        Self::pending_in(0, wait::Meta::ANONYMOUS)
    }

    pub(crate) fn pending_in(pool: u32, meta: wait::Meta) -> (Future<T>, Completer<T>) {
        let inner: Arc<HandMade<T>> = Arc::new(Inner {
            header: Header::new(pool, meta),
            func: std::cell::UnsafeCell::new(Once(None)),
        });
        let future = Future::from_inner(inner.clone());
        (
            future,
            Completer {
                inner,
                state: std::cell::Cell::new(CompleterState::Pending),
            },
        )
    }
}

impl<T: Send + 'static> Completer<T> {
    /// Python's `set_running_or_notify_cancel`: marks the future running on
    /// the calling thread and returns `true`, or returns `false` if it was
    /// cancelled (then do not run the work; the future is already done).
    /// Calling it again after it returned `true` returns `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, c) = threadkit::Future::<u8>::pending();
    /// f.cancel();
    /// assert!(!c.set_running());
    /// ```
    pub fn set_running(&self) -> bool {
        match self.state.get() {
            CompleterState::Running => true,
            CompleterState::Done => false,
            CompleterState::Pending => {
                if self.inner.header.start(wait::tid::current()) {
                    self.state.set(CompleterState::Running);
                    true
                } else {
                    self.state.set(CompleterState::Done);
                    false
                }
            }
        }
    }

    /// [`set_running`](Self::set_running) for work that runs outside every
    /// threadkit thread (the process pool's child processes): no thread is
    /// recorded as the runner, so the deadlock detector never blames the
    /// thread that happened to dispatch the work.
    // Only the process pool completes futures from a non-worker thread.
    #[cfg_attr(not(feature = "process"), allow(dead_code))]
    pub(crate) fn set_running_elsewhere(&self) -> bool {
        match self.state.get() {
            CompleterState::Running => true,
            CompleterState::Done => false,
            CompleterState::Pending => {
                if self.inner.header.start_elsewhere() {
                    self.state.set(CompleterState::Running);
                    true
                } else {
                    self.state.set(CompleterState::Done);
                    false
                }
            }
        }
    }

    /// Whether the future was cancelled (so the work need not run).
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, c) = threadkit::Future::<u8>::pending();
    /// f.cancel();
    /// assert!(c.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        self.inner.header.state() & PHASE == CANCELLED
    }

    /// Cancels the future if it is still pending (the executor side of
    /// `Future::cancel`, e.g. for a task dropped from a queue): `true` if it
    /// is (now) cancelled, `false` once it runs or finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, c) = threadkit::Future::<u8>::pending();
    /// assert!(c.cancel());
    /// assert!(f.cancelled());
    /// ```
    pub fn cancel(&self) -> bool {
        self.inner.header.cancel()
    }

    /// Completes the future with `value` (a cancelled future stays
    /// cancelled and `value` is dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// let (f, c) = threadkit::Future::pending();
    /// c.set_result("v");
    /// assert_eq!(*f.result().unwrap(), "v");
    /// ```
    ///
    /// Completing twice (CPython's `InvalidStateError`) does not compile:
    ///
    /// ```compile_fail
    /// let (f, c) = threadkit::Future::pending();
    /// c.set_result(1);
    /// c.set_result(2);
    /// ```
    pub fn set_result(self, value: T) {
        self.complete(Outcome::Value(value));
    }

    /// Completes the future with `error` (Python's `set_exception`).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::FutureError;
    ///
    /// let (f, c) = threadkit::Future::<u8>::pending();
    /// c.set_error(FutureError::Failed("worker crashed".into()));
    /// assert_eq!(f.exception(), Ok(Some(FutureError::Failed("worker crashed".into()))));
    /// ```
    pub fn set_error(self, error: FutureError) {
        self.complete(Outcome::Failed(Box::new(error)));
    }

    fn complete(&self, outcome: Outcome<T>) {
        if self.set_running() {
            self.state.set(CompleterState::Done);
            self.inner.header.finish(outcome);
        }
    }
}

impl<T: Send + 'static> Drop for Completer<T> {
    fn drop(&mut self) {
        if self.state.get() != CompleterState::Done {
            self.complete(Outcome::Failed(Box::new(FutureError::BrokenPool(
                "the completer was dropped without completing the future".into(),
            ))));
        }
    }
}

impl<T: Send + 'static> fmt::Debug for Completer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = Arc::as_ptr(&self.inner) as *const () as usize;
        write!(f, "Completer(at {addr:#x})")
    }
}

/// `.await` support: `future.await` waits without blocking a thread and
/// yields what [`Future::into_result`] would.
///
/// # Examples
///
/// ```
/// // A tiny executor for the example; any async runtime works.
/// fn block_on<F: std::future::Future>(f: F) -> F::Output {
///     use std::task::{Context, Poll, Wake, Waker};
///     struct T(std::thread::Thread);
///     impl Wake for T { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
///     let waker = Waker::from(std::sync::Arc::new(T(std::thread::current())));
///     let mut cx = Context::from_waker(&waker);
///     let mut f = std::pin::pin!(f);
///     loop {
///         if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
///         std::thread::park();
///     }
/// }
///
/// let pool = threadkit::ThreadPoolExecutor::new();
/// let f = pool.submit(|| 40 + 2).unwrap();
/// assert_eq!(block_on(async { f.await }).unwrap(), 42);
/// ```
impl<T: Send + 'static> std::future::IntoFuture for Future<T> {
    type Output = Result<T, FutureError>;
    type IntoFuture = Awaiting<T>;

    fn into_future(self) -> Awaiting<T> {
        Awaiting {
            future: Some(self),
            registration: None,
        }
    }
}

/// The `std::future::Future` that `.await` on a [`Future`] polls.
///
/// # Examples
///
/// ```
/// use std::future::IntoFuture;
///
/// let (f, _c) = threadkit::Future::<u8>::pending();
/// let awaiting: threadkit::Awaiting<u8> = f.into_future();
/// drop(awaiting);
/// ```
pub struct Awaiting<T> {
    future: Option<Future<T>>,
    registration: Option<u64>,
}

impl<T: Send + 'static> std::future::Future for Awaiting<T> {
    type Output = Result<T, FutureError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Some(future) = this.future.as_ref() else {
            return Poll::Ready(Err(FutureError::Shared));
        };
        if !future.done() {
            let header = future.header();
            let registered = match this.registration {
                Some(id) => header.update_waker(id, cx.waker()),
                None => false,
            };
            if !registered {
                if let Ok(id) = header.register(Action::Waker(cx.waker().clone())) {
                    this.registration = Some(id);
                    return Poll::Pending;
                }
            } else {
                return Poll::Pending;
            }
        }
        this.registration = None;
        let future = this.future.take().expect("checked above");
        Poll::Ready(future.take())
    }
}

impl<T> Drop for Awaiting<T> {
    fn drop(&mut self) {
        if let (Some(f), Some(id)) = (&self.future, self.registration) {
            f.header().deregister(id);
        }
    }
}

impl<T> fmt::Debug for Awaiting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Awaiting")
            .field("future", &self.future)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::ThreadPoolExecutor;
    use std::sync::mpsc;

    fn owners<T>(f: &Future<T>) -> Vec<Tid> {
        let core = &f.header().core;
        // SAFETY: `f` keeps the core alive for the call.
        unsafe { probe_owners(core as *const Core as *const ()) }
    }

    /// The deadlock probe names the worker running a task, and every worker
    /// of a saturated pool for a task still queued in it.
    #[test]
    fn probe_names_runner_then_saturated_pool() {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(1)
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let running = pool
            .submit(move || {
                started_tx.send(wait::tid::current()).unwrap();
                release_rx.recv().unwrap();
            })
            .unwrap();
        let worker = started_rx.recv().unwrap();
        let queued = pool.submit(|| ()).unwrap();
        assert_eq!(owners(&running), vec![worker]);
        assert_eq!(owners(&queued), vec![worker]);
        release_tx.send(()).unwrap();
        queued.result().unwrap();
        assert!(owners(&queued).is_empty(), "a done future has no owner");

        let (hand, c) = Future::<u8>::pending();
        assert!(owners(&hand).is_empty(), "no pool: nobody known");
        assert!(c.set_running());
        assert_eq!(owners(&hand), vec![wait::tid::current()]);
    }
}
