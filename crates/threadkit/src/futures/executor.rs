//! [`ThreadPoolExecutor`]: Python's `concurrent.futures.ThreadPoolExecutor`.
//!
//! # The submit gate (`Shared::gate`, an `AtomicUsize`)
//!
//! | bits  | name        | meaning                                             |
//! |-------|-------------|-----------------------------------------------------|
//! | 0     | `SHUTDOWN`  | `shutdown` was called: no new task is accepted      |
//! | 1     | `BROKEN`    | an initializer failed: no new task is accepted      |
//! | 2..   | submitters  | submits between their check and their push (x4)     |
//!
//! A submit adds `ONE_SUBMIT`, checks the flag bits, pushes its job (and
//! starts a worker if needed), then takes `ONE_SUBMIT` back. Shutdown sets
//! its bit and then waits for the submitter count to drain, so after that
//! point every accepted job is in the queue and every worker that will ever
//! exist has been started: the queue can be drained (cancel_futures) and
//! the workers joined without missing anything. The gate is touched only by
//! submitters (workers never read it on their hot path), so a lone
//! submitter keeps its cache line.

use std::panic::Location;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_deque::{Injector, Steal};
use crossbeam_utils::CachePadded;

use super::error::{ExecutorError, FutureError};
use super::future::Future;
use super::job::Job;
use super::map::Map;
use super::pool_table::{self, Slots};
use super::state::{Erased, Header, Inner, Once};
use super::worker;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use crate::registry;
use crate::wait::{self, Meta};

// Under loom a wait loop must yield to the model's scheduler.
#[cfg(loom)]
pub(super) use loom::thread::yield_now;
#[cfg(not(loom))]
pub(super) use std::thread::yield_now;

const SHUTDOWN: usize = 1;
const BROKEN: usize = 2;
const ONE_SUBMIT: usize = 4;

type Initializer = dyn Fn() -> Result<(), String> + Send + Sync;

/// State shared by the executor handle and its workers.
pub(super) struct Shared {
    pub(super) queue: Injector<Job>,
    gate: CachePadded<AtomicUsize>,
    /// Workers parked (or about to park) waiting for work.
    pub(super) sleepers: CachePadded<AtomicUsize>,
    /// Set when the pool breaks; read by workers before each job.
    pub(super) broken: CachePadded<AtomicBool>,
    /// Started workers (only grows, up to `max_workers`).
    threads: AtomicUsize,
    /// Idle workers not yet claimed by a submit (CPython's idle semaphore,
    /// capped at the number of workers).
    idle_tokens: AtomicUsize,
    pub(super) max_workers: usize,
    prefix: Arc<str>,
    pub(super) initializer: Option<Arc<Initializer>>,
    handles: Mutex<Vec<JoinHandle<()>>>,
    broken_reason: Mutex<Option<String>>,
    pub(super) slots: Arc<Slots>,
    pub(super) id: u32,
    pub(super) meta: Meta,
}

/// A pool of worker threads running submitted closures: Python's
/// `ThreadPoolExecutor`.
///
/// Workers are threadkit threads named `PREFIX_0`, `PREFIX_1`, ... (they
/// show in `enumerate()` and thread dumps), started on demand: a submit
/// reuses an idle worker before starting a new one, and never more than
/// `max_workers` exist. Dropping the executor is `shutdown(true, false)`:
/// queued work still runs, then the workers are joined.
///
/// Tasks that panic complete their future with
/// [`FutureError::Panicked`]; the worker survives.
///
/// # Examples
///
/// ```
/// use threadkit::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::builder().max_workers(4).build().unwrap();
/// let futures: Vec<_> = (0..10u64).map(|i| pool.submit(move || i * i).unwrap()).collect();
/// let total: u64 = futures.into_iter().map(|f| f.into_result().unwrap()).sum();
/// assert_eq!(total, 285);
/// ```
pub struct ThreadPoolExecutor {
    shared: Arc<Shared>,
}

/// Options of a [`ThreadPoolExecutor`] (Python's constructor arguments).
///
/// # Examples
///
/// ```
/// use threadkit::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::builder()
///     .max_workers(2)
///     .thread_name_prefix("fetch")
///     .initializer(|| println!("worker ready"))
///     .build()
///     .unwrap();
/// assert_eq!(pool.max_workers(), 2);
/// ```
pub struct ThreadPoolBuilder {
    max_workers: Option<usize>,
    prefix: Option<String>,
    initializer: Option<Arc<Initializer>>,
    meta_site: &'static Location<'static>,
}

impl std::fmt::Debug for ThreadPoolBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("max_workers", &self.max_workers)
            .field("thread_name_prefix", &self.prefix)
            .field("initializer", &self.initializer.is_some())
            .finish()
    }
}

/// The number of cores available to this process: the default size of a
/// pool for CPU-bound work.
///
/// # Examples
///
/// ```
/// assert!(threadkit::cpu_count() >= 1);
/// ```
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A size for pools whose tasks mostly wait on I/O: CPython's default,
/// `min(32, cpu_count() + 4)`. I/O-bound pools want more workers than
/// cores (a blocked worker uses no CPU); size them to the number of
/// concurrent I/O operations you want in flight, this is a starting point.
///
/// # Examples
///
/// ```
/// use threadkit::{io_bound_workers, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::builder().max_workers(io_bound_workers()).build().unwrap();
/// assert!(pool.max_workers() >= 5);
/// ```
pub fn io_bound_workers() -> usize {
    (cpu_count() + 4).min(32)
}

static EXECUTOR_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl ThreadPoolBuilder {
    /// The largest number of workers (default: [`cpu_count`], for CPU-bound
    /// work; see [`io_bound_workers`] for I/O-bound pools). 0 is an error at
    /// [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::builder().max_workers(3).build().unwrap();
    /// assert_eq!(pool.max_workers(), 3);
    /// ```
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Workers are named `PREFIX_0`, `PREFIX_1`, ... (default prefix:
    /// `ThreadPoolExecutor-N`, unique per executor).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::builder().thread_name_prefix("io").build().unwrap();
    /// let name = pool.submit(|| std::thread::current().name().map(String::from)).unwrap();
    /// assert_eq!(name.into_result().unwrap().as_deref(), Some("io_0"));
    /// ```
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Runs `f` once in each worker before it takes any task. If `f`
    /// panics, the pool breaks: every pending future fails with
    /// [`FutureError::BrokenPool`] and every later submit with
    /// [`ExecutorError::Broken`].
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{ExecutorError, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::builder()
    ///     .initializer(|| panic!("no database"))
    ///     .build()
    ///     .unwrap();
    /// let f = pool.submit(|| 1).unwrap();
    /// assert!(f.result().is_err());
    /// assert!(matches!(pool.submit(|| 1), Err(ExecutorError::Broken(_))));
    /// ```
    pub fn initializer(self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.try_initializer(move || {
            f();
            Ok::<(), String>(())
        })
    }

    /// Like [`initializer`](Self::initializer), for an initializer that
    /// reports failure with `Err` (its `Display` becomes the broken-pool
    /// message) as well as by panicking.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{FutureError, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::builder()
    ///     .try_initializer(|| Err::<(), _>("no config file"))
    ///     .build()
    ///     .unwrap();
    /// let err = pool.submit(|| 1).unwrap().into_result().unwrap_err();
    /// assert!(matches!(err, FutureError::BrokenPool(m) if m.contains("no config file")));
    /// ```
    pub fn try_initializer<E: std::fmt::Display>(
        mut self,
        f: impl Fn() -> Result<(), E> + Send + Sync + 'static,
    ) -> Self {
        self.initializer = Some(Arc::new(move || f().map_err(|e| e.to_string())));
        self
    }

    /// Creates the executor (no worker starts before the first submit).
    ///
    /// # Errors
    ///
    /// [`ExecutorError::InvalidWorkers`] if `max_workers` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::builder().build().unwrap();
    /// assert_eq!(pool.max_workers(), threadkit::cpu_count());
    /// ```
    pub fn build(self) -> Result<ThreadPoolExecutor, ExecutorError> {
        let max_workers = self.max_workers.unwrap_or_else(cpu_count);
        if max_workers == 0 {
            return Err(ExecutorError::InvalidWorkers);
        }
        let prefix: Arc<str> = match self.prefix {
            Some(p) if !p.is_empty() => Arc::from(p),
            // Relaxed: only uniqueness of the number matters.
            _ => Arc::from(format!(
                "ThreadPoolExecutor-{}",
                EXECUTOR_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            )),
        };
        let slots = Arc::new(Slots::new(max_workers));
        let id = pool_table::register(&slots);
        let meta = Meta::new(Some(&prefix), self.meta_site);
        Ok(ThreadPoolExecutor {
            shared: Arc::new(Shared {
                queue: Injector::new(),
                gate: CachePadded::new(AtomicUsize::new(0)),
                sleepers: CachePadded::new(AtomicUsize::new(0)),
                broken: CachePadded::new(AtomicBool::new(false)),
                threads: AtomicUsize::new(0),
                idle_tokens: AtomicUsize::new(0),
                max_workers,
                prefix,
                initializer: self.initializer,
                handles: Mutex::new(Vec::new()),
                broken_reason: Mutex::new(None),
                slots,
                id,
                meta,
            }),
        })
    }
}

impl Default for ThreadPoolExecutor {
    #[track_caller]
    fn default() -> Self {
        ThreadPoolExecutor::new()
    }
}

impl ThreadPoolExecutor {
    /// An executor with the default options (`max_workers` = [`cpu_count`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// assert_eq!(*pool.submit(|| 1).unwrap().result().unwrap(), 1);
    /// ```
    #[track_caller]
    pub fn new() -> ThreadPoolExecutor {
        ThreadPoolExecutor::builder()
            .build()
            .expect("the default max_workers is at least 1")
    }

    /// Starts configuring an executor (see [`ThreadPoolBuilder`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::builder().max_workers(1).build().unwrap();
    /// # drop(pool);
    /// ```
    #[track_caller]
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder {
            max_workers: None,
            prefix: None,
            initializer: None,
            meta_site: Location::caller(),
        }
    }

    /// The largest number of workers this pool may start.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::builder().max_workers(2).build().unwrap();
    /// assert_eq!(pool.max_workers(), 2);
    /// ```
    pub fn max_workers(&self) -> usize {
        self.shared.max_workers
    }

    /// The workers started so far (at most `max_workers`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::builder().max_workers(4).build().unwrap();
    /// assert_eq!(pool.num_threads(), 0);
    /// pool.submit(|| ()).unwrap().result().unwrap();
    /// assert_eq!(pool.num_threads(), 1);
    /// ```
    pub fn num_threads(&self) -> usize {
        // Relaxed: a snapshot for the caller.
        self.shared.threads.load(Ordering::Relaxed)
    }

    /// The worker-name prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::builder().thread_name_prefix("x").build().unwrap();
    /// assert_eq!(pool.thread_name_prefix(), "x");
    /// ```
    pub fn thread_name_prefix(&self) -> &str {
        &self.shared.prefix
    }

    /// Schedules `f` and returns the [`Future`] of its result.
    ///
    /// # Errors
    ///
    /// [`ExecutorError::ShutDown`] after [`shutdown`](Self::shutdown);
    /// [`ExecutorError::Broken`] once an initializer failed.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let f = pool.submit(|| "hello".len()).unwrap();
    /// assert_eq!(*f.result().unwrap(), 5);
    /// ```
    #[inline]
    pub fn submit<F, T>(&self, f: F) -> Result<Future<T>, ExecutorError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let shared = &*self.shared;
        shared.enter()?;
        let inner: Arc<Inner<T, Once<F>>> = Arc::new(Inner {
            header: Header::new(shared.id, shared.meta),
            func: std::cell::UnsafeCell::new(Once(Some(f))),
        });
        let erased: Arc<Inner<T, dyn Erased>> = inner.clone();
        self.shared.push(Job::task(inner));
        Ok(Future::from_inner(erased))
    }

    /// Schedules `f` without a future (fire and forget; the fastest way to
    /// hand work to the pool). A panic in `f` is reported on stderr and the
    /// worker goes on.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let n = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..100 {
    ///     let n = n.clone();
    ///     pool.execute(move || { n.fetch_add(1, Ordering::Relaxed); }).unwrap();
    /// }
    /// pool.shutdown(true, false);
    /// assert_eq!(n.load(Ordering::Relaxed), 100);
    /// ```
    #[inline]
    pub fn execute<F>(&self, f: F) -> Result<(), ExecutorError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.shared.enter()?;
        self.shared.push(Job::closure(f));
        Ok(())
    }

    /// Python's `Executor.map`: runs `f` on every item and returns an
    /// iterator of the results in input order. Every item is submitted now;
    /// see [`map_with`](Self::map_with) for a timeout and a bound on the
    /// tasks in flight. Dropping the iterator cancels what has not started.
    ///
    /// # Errors
    ///
    /// [`ExecutorError::ShutDown`] / [`ExecutorError::Broken`] as for `submit`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let squares: Vec<u32> = pool.map(|x: u32| x * x, 1..=4).unwrap().map(Result::unwrap).collect();
    /// assert_eq!(squares, [1, 4, 9, 16]);
    /// ```
    pub fn map<'e, A, R, F, I>(&'e self, f: F, items: I) -> Result<Map<'e, R>, ExecutorError>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: 'e,
        A: Send + 'static,
        R: Send + 'static,
    {
        self.map_with(f, items, None, None)
    }

    /// [`map`](Self::map) with a `timeout` counted from this call (the
    /// iterator yields [`FutureError::Timeout`] once and ends, cancelling
    /// the rest, when a result is not ready by then) and a bound on how many
    /// tasks are in flight (`buffer`: the input is pulled lazily, so an
    /// endless input works).
    ///
    /// # Errors
    ///
    /// As [`map`](Self::map); [`ExecutorError::InvalidBuffer`] for
    /// `buffer == Some(0)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let firsts: Vec<u64> = pool
    ///     .map_with(|x: u64| x + 1, 0.., None, Some(8))
    ///     .unwrap()
    ///     .take(3)
    ///     .map(Result::unwrap)
    ///     .collect();
    /// assert_eq!(firsts, [1, 2, 3]);
    /// ```
    pub fn map_with<'e, A, R, F, I>(
        &'e self,
        f: F,
        items: I,
        timeout: Option<Duration>,
        buffer: Option<usize>,
    ) -> Result<Map<'e, R>, ExecutorError>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        I::IntoIter: 'e,
        A: Send + 'static,
        R: Send + 'static,
    {
        self.shared.check_open()?;
        if buffer == Some(0) {
            return Err(ExecutorError::InvalidBuffer);
        }
        let deadline = timeout.and_then(wait::deadline_after);
        let f = Arc::new(f);
        let mut items = items.into_iter();
        let feed = move || {
            let item = items.next()?;
            let f = f.clone();
            Some(self.submit(move || f(item)))
        };
        Ok(Map::new(Box::new(feed), buffer, deadline))
    }

    /// Python's `shutdown(wait, cancel_futures)`: afterwards every submit
    /// fails with [`ExecutorError::ShutDown`]. With `cancel_futures`, every
    /// task that has not started is cancelled; otherwise queued tasks still
    /// run. With `wait`, returns once every worker has exited (a worker
    /// calling this never waits for itself). Calling it again is harmless.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// let f = pool.submit(|| 1).unwrap();
    /// pool.shutdown(true, false);
    /// assert_eq!(*f.result().unwrap(), 1);
    /// assert!(pool.submit(|| 2).is_err());
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let shared = &*self.shared;
        shared.close(SHUTDOWN);
        if cancel_futures {
            shared.drain(Job::cancel);
        }
        shared.wake_all();
        if wait {
            let handles = std::mem::take(&mut *lock(&shared.handles));
            let me = std::thread::current().id();
            for h in handles {
                if h.thread().id() != me {
                    let _ = h.join();
                }
            }
        }
    }

    /// Whether the pool is broken (an initializer failed), and why.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = threadkit::ThreadPoolExecutor::new();
    /// assert_eq!(pool.broken(), None);
    /// ```
    pub fn broken(&self) -> Option<String> {
        lock(&self.shared.broken_reason).clone()
    }
}

impl Drop for ThreadPoolExecutor {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl std::fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPoolExecutor")
            .field("thread_name_prefix", &self.shared.prefix)
            .field("max_workers", &self.shared.max_workers)
            .field("num_threads", &self.num_threads())
            .finish()
    }
}

impl Shared {
    /// Passes the gate (see the module docs); the caller must `push`.
    #[inline]
    fn enter(&self) -> Result<(), ExecutorError> {
        // Acquire: a caller that sees the BROKEN bit also sees the reason.
        let g = self.gate.fetch_add(ONE_SUBMIT, Ordering::Acquire);
        if g & (SHUTDOWN | BROKEN) != 0 {
            self.gate.fetch_sub(ONE_SUBMIT, Ordering::Release);
            return Err(self.refusal(g));
        }
        Ok(())
    }

    #[cold]
    fn refusal(&self, g: usize) -> ExecutorError {
        if g & BROKEN != 0 {
            ExecutorError::Broken(
                lock(&self.broken_reason)
                    .clone()
                    .unwrap_or_else(|| "an initializer failed".into()),
            )
        } else {
            ExecutorError::ShutDown
        }
    }

    fn check_open(&self) -> Result<(), ExecutorError> {
        // Acquire: as in `enter`.
        let g = self.gate.load(Ordering::Acquire);
        if g & (SHUTDOWN | BROKEN) != 0 {
            return Err(self.refusal(g));
        }
        Ok(())
    }

    /// Queues `job`, wakes or starts a worker, and leaves the gate.
    #[inline]
    fn push(self: &Arc<Self>, job: Job) {
        self.queue.push(job);
        // Relaxed: `threads` only grows, under the handles mutex; a stale
        // small value just takes the cold path, which re-reads it there.
        if self.threads.load(Ordering::Relaxed) < self.max_workers {
            self.adjust_threads();
        }
        // SeqCst fence: pairs with the one in `worker::sleep` (Dekker): either
        // we see the sleeper's increment, or it sees our job.
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence above.
        if self.sleepers.load(Ordering::Relaxed) != 0 {
            self.wake_one();
        }
        // Release: the push (and any worker started) happens before a
        // shutdown that sees the count drop.
        self.gate.fetch_sub(ONE_SUBMIT, Ordering::Release);
    }

    #[cold]
    fn wake_one(&self) {
        // SAFETY: the key is this pool's own `sleepers` address; no callback.
        unsafe {
            wait::unpark_one(self.sleepers_key(), |_| wait::DEFAULT_UNPARK_TOKEN);
        }
    }

    pub(super) fn wake_all(&self) {
        // SAFETY: as in `wake_one`.
        unsafe {
            wait::unpark_all(self.sleepers_key(), wait::DEFAULT_UNPARK_TOKEN);
        }
    }

    pub(super) fn sleepers_key(&self) -> usize {
        &*self.sleepers as *const AtomicUsize as usize
    }

    /// Whether `shutdown` was called (workers exit once the queue is empty).
    pub(super) fn is_shut_down(&self) -> bool {
        // Relaxed: the worker re-checks the queue after seeing the flag, and
        // shutdown waited for every submit to finish its push before the
        // wake-up that led here.
        self.gate.load(Ordering::Relaxed) & SHUTDOWN != 0
    }

    /// Reuses an idle worker or starts a new one (CPython's
    /// `_adjust_thread_count`).
    #[cold]
    fn adjust_threads(self: &Arc<Self>) {
        // An idle worker will pick the job up: claim it.
        let claimed = self
            .idle_tokens
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        if claimed {
            return;
        }
        let mut handles = lock(&self.handles);
        // Relaxed: writes happen under `handles`, which we hold.
        let n = self.threads.load(Ordering::Relaxed);
        if n >= self.max_workers {
            return;
        }
        // Counted before it starts, so the new worker's first idle token
        // (given when its first task ends) is not capped away.
        self.threads.store(n + 1, Ordering::Relaxed);
        match worker::spawn(self.clone(), n) {
            Ok(h) => handles.push(h),
            Err(e) => {
                // Relaxed: under the handles mutex, as above.
                self.threads.store(n, Ordering::Relaxed);
                if n == 0 {
                    drop(handles);
                    // We are inside the gate ourselves: do not wait for it.
                    self.break_pool(format!("could not start a worker thread: {e}"), false);
                }
            }
        }
    }

    /// A worker has nothing to do: count it as idle (capped at the number
    /// of workers), only while the pool may still grow.
    pub(super) fn add_idle_token(&self) {
        // Relaxed: see `push`.
        let threads = self.threads.load(Ordering::Relaxed);
        if threads < self.max_workers {
            // Relaxed: the token is a hint for sizing the pool, it publishes
            // nothing (a submit that misses it starts one more worker).
            let _ = self
                .idle_tokens
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < threads).then_some(n + 1)
                });
        }
    }

    /// Sets `flag` in the gate and waits until no submit is between its
    /// check and its push.
    fn close(&self, flag: usize) {
        // AcqRel: Acquire sees the pushes of submitters that left already.
        self.gate.fetch_or(flag, Ordering::AcqRel);
        let mut spins = 0u32;
        // Acquire: pairs with the submitters' Release decrement.
        while self.gate.load(Ordering::Acquire) >= ONE_SUBMIT {
            spins += 1;
            if spins < 64 && !cfg!(loom) {
                std::hint::spin_loop();
            } else {
                yield_now();
            }
        }
    }

    /// Pops every queued job into `f`.
    pub(super) fn drain(&self, mut f: impl FnMut(Job)) {
        loop {
            match self.queue.steal() {
                Steal::Success(job) => f(job),
                Steal::Empty => return,
                Steal::Retry => {}
            }
        }
    }

    /// An initializer failed (or no worker could start): refuse new work,
    /// fail every queued future, and let the workers fail the rest.
    pub(super) fn break_pool(&self, reason: String, wait_gate: bool) {
        {
            let mut r = lock(&self.broken_reason);
            if r.is_none() {
                *r = Some(reason.clone());
            }
        }
        // Release: a worker that sees the flag also sees the reason.
        self.broken.store(true, Ordering::Release);
        if wait_gate {
            self.close(BROKEN);
        } else {
            // AcqRel: as in `close`.
            self.gate.fetch_or(BROKEN, Ordering::AcqRel);
        }
        let reason = lock(&self.broken_reason).clone().unwrap_or(reason);
        self.drain(|job| job.abandon(FutureError::BrokenPool(reason.clone())));
        self.wake_all();
    }

    pub(super) fn broken_reason(&self) -> String {
        lock(&self.broken_reason)
            .clone()
            .unwrap_or_else(|| "an initializer failed".into())
    }

    pub(super) fn worker_name(&self, index: usize) -> String {
        format!("{}_{index}", self.prefix)
    }

    pub(super) fn register_thread(&self, name: &str) -> Arc<registry::ThreadInfo> {
        registry::register_new(Arc::from(name), true)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        pool_table::unregister(self.id);
    }
}

/// Locks a bookkeeping mutex (never held across user code or a wait, so a
/// poisoned one is still consistent).
fn lock<X>(m: &std::sync::Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::thread;

    fn model_pool() -> ThreadPoolExecutor {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(1)
            .build()
            .unwrap();
        // No real worker may start inside a model: count one as started.
        pool.shared.threads.store(1, Ordering::Relaxed);
        pool
    }

    /// A submit racing `shutdown(cancel_futures)` is either refused or its
    /// task is in the queue when shutdown drains it: nothing is stranded.
    #[test]
    fn loom_submit_races_shutdown() {
        loom::model(|| {
            let pool = Arc::new(model_pool());
            let p2 = pool.clone();
            let t = thread::spawn(move || p2.submit(|| 1u8).ok());
            pool.shutdown(false, true);
            let f = t.join().unwrap();
            if let Some(f) = f {
                assert!(f.cancelled(), "an accepted task was drained and cancelled");
            }
            assert!(pool.submit(|| 2u8).is_err());
        });
    }

    /// A worker going to sleep never misses a job pushed at the same time
    /// (the Dekker pair of fences plus `validate`).
    #[test]
    fn loom_worker_sleep_never_misses_a_push() {
        loom::model(|| {
            let pool = Arc::new(model_pool());
            let shared = pool.shared.clone();
            let w = thread::spawn(move || worker::sleep_for_model(&shared));
            pool.execute(|| ()).unwrap();
            assert!(w.join().unwrap(), "the worker saw the job");
        });
    }
}
