//! `ProcessPool`: Python's `ProcessPoolExecutor` and `multiprocessing.Pool`
//! in one type.
//!
//! # Shape
//!
//! The parent keeps one queue of tasks. Each worker child has two service
//! threads in the parent: a *writer* that moves tasks from the queue into
//! the worker's request pipe (several per `write` when many wait), and a
//! *reader* that reads replies and completes the tasks, then reaps the
//! child when its reply pipe ends. A worker runs its requests in order, so
//! the parent knows, for each worker, the in-flight tasks in the order they
//! will run: the first is the running one.
//!
//! A writer sends at most [`WINDOW`] tasks ahead, keeps at most its fair
//! share of the unanswered tasks in flight (`ceil((queued + in flight) /
//! workers)`); while another worker is idle, it sends nothing to a busy
//! worker and one task to an idle one. So a few long tasks spread over all workers (each starts as soon
//! as a worker is free), while a burst of small ones travels in batches.
//!
//! # A worker that dies
//!
//! The pool is **not** broken by a dying worker (unlike CPython's
//! `ProcessPoolExecutor`, which breaks the whole pool): the task the worker
//! was running fails with [`ProcessError::WorkerDied`] naming the exit code
//! or signal, the tasks queued behind it in that worker (never started)
//! go back to the front of the pool's queue, and a replacement worker is
//! started. Only if no worker can be started any more does the pool fail
//! its queued tasks with [`ProcessError::Spawn`] and refuse new ones.
//!
//! # Locking
//!
//! One `std::sync::Mutex` guards the queue and the worker table; it is held
//! for short, non-blocking sections only: no user code, no waiting, and no
//! pipe I/O except `dispatch_direct`'s one write that cannot block (a lone
//! task of at most `PIPE_BUF` bytes into an idle worker's empty pipe). Every change a waiter may care about is followed by a
//! [`Signal::notify_all`]; waiters re-check under the mutex.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufReader, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::child::{self, Child};
use super::codec;
use super::cpu::cpu_count;
use super::error::ProcessError;
use super::function::{self, Function};
use super::job::{Completion, Job};
use super::signal::{Signal, Stop};
use super::sink::FutureSink;
use super::task::{Task, decode_one};
use crate::futures::Future;
use crate::wait::{self, WaitKind};

/// The most tasks a writer sends ahead to its worker.
pub(crate) const WINDOW: usize = 64;

/// A task answered faster than this lets its worker's window double.
const FAST: Duration = Duration::from_micros(200);

/// A task that ran longer than this shrinks its worker's window back to 1.
const SLOW: Duration = Duration::from_millis(1);

struct WorkerState {
    child: Arc<Child>,
    /// The request pipe, shared with the writer thread so `submit` can send
    /// a lone task to an idle worker itself; `None` once the writer closed
    /// it (the pipe closes when the writer's handle goes too).
    requests: Option<Arc<File>>,
    /// Sent and not answered, in the order the worker runs them.
    inflight: VecDeque<(u64, Job, Instant)>,
    /// Tasks sent to this worker so far.
    sent: usize,
    /// How many tasks may be in flight (1 ..= WINDOW), adapted to how long
    /// the worker's tasks take.
    window: usize,
    /// When the worker's last reply came.
    last_reply: Option<Instant>,
}

struct State {
    queue: VecDeque<(u64, Job)>,
    workers: HashMap<u64, WorkerState>,
    next_worker: u64,
    next_task: u64,
    shutdown: bool,
    terminated: bool,
    /// Set when no worker could be started; new submits get it.
    broken: Option<ProcessError>,
}

struct Inner {
    state: Mutex<State>,
    signal: Signal,
    max_workers: usize,
    max_tasks_per_child: Option<usize>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Builds a [`ProcessPool`] with options.
///
/// # Examples
///
/// ```
/// use threadkit::process::ProcessPool;
///
/// # fn main() -> Result<(), threadkit::process::ProcessError> {
/// # threadkit::process::init(threadkit::process::Registry::new())?;
/// let pool = ProcessPool::builder()
///     .max_workers(2)
///     .max_tasks_per_child(100)
///     .build()?;
/// assert_eq!(pool.max_workers(), 2);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ProcessPoolBuilder {
    max_workers: Option<usize>,
    max_tasks_per_child: Option<usize>,
}

impl ProcessPoolBuilder {
    /// The number of worker processes (default: [`cpu_count`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::builder().max_workers(3).build()?;
    ///     assert_eq!(pool.max_workers(), 3);
    ///     Ok(())
    /// }
    /// ```
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Replace each worker by a fresh process after it ran `n` tasks
    /// (default: never).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::builder().max_workers(1).max_tasks_per_child(1).build()?;
    ///     let first = pool.worker_pids();
    ///     assert_eq!(pool.apply(SQUARE, 3)?, 9);
    ///     assert_eq!(pool.apply(SQUARE, 4)?, 16); // ran in a fresh worker
    ///     assert_ne!(pool.worker_pids(), first);
    ///     Ok(())
    /// }
    /// ```
    pub fn max_tasks_per_child(mut self, n: usize) -> Self {
        self.max_tasks_per_child = Some(n);
        self
    }

    /// Starts the workers.
    ///
    /// # Errors
    ///
    /// [`ProcessError::InvalidArgument`] for zero workers or zero tasks per
    /// child; [`ProcessError::NotInitialized`] if
    /// [`init`](super::init) was not called; [`ProcessError::Spawn`] if a
    /// worker cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::builder().max_workers(2).build()?;
    ///     assert_eq!(pool.worker_pids().len(), 2);
    ///     assert!(ProcessPool::builder().max_workers(0).build().is_err());
    ///     Ok(())
    /// }
    /// ```
    pub fn build(self) -> Result<ProcessPool, ProcessError> {
        let max_workers = self.max_workers.unwrap_or_else(cpu_count);
        if max_workers == 0 {
            return Err(ProcessError::InvalidArgument(
                "max_workers must be at least 1".into(),
            ));
        }
        if self.max_tasks_per_child == Some(0) {
            return Err(ProcessError::InvalidArgument(
                "max_tasks_per_child must be at least 1".into(),
            ));
        }
        function::installed()?;
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                workers: HashMap::new(),
                next_worker: 0,
                next_task: 0,
                shutdown: false,
                terminated: false,
                broken: None,
            }),
            signal: Signal::new(),
            max_workers,
            max_tasks_per_child: self.max_tasks_per_child,
        });
        let pool = ProcessPool { inner };
        for _ in 0..max_workers {
            if let Err(e) = spawn_worker(&pool.inner) {
                pool.kill_workers();
                return Err(e);
            }
        }
        Ok(pool)
    }
}

/// A pool of worker processes running registered functions: Python's
/// `ProcessPoolExecutor` (`submit`, `shutdown`) and `multiprocessing.Pool`
/// (`map`, `imap_unordered`, `apply`, `maxtasksperchild`) in one type.
///
/// Dropping the pool shuts it down and waits for the queued tasks
/// (`shutdown(wait = true)`), then every worker has exited and been reaped.
///
/// # Examples
///
/// ```
/// use threadkit::process::{Function, ProcessPool, Registry};
///
/// fn cpu_task(n: u64) -> u64 {
///     (0..n).map(|i| i % 7).sum()
/// }
/// const CPU_TASK: Function<u64, u64> = threadkit::process_fn!(cpu_task);
///
/// fn main() -> Result<(), threadkit::process::ProcessError> {
///     // First thing in main: in a worker process this call never returns.
///     threadkit::process::init(Registry::new().register(CPU_TASK))?;
///     let pool = ProcessPool::new()?; // cpu_count() workers
///     let sums = pool.map(CPU_TASK, vec![10, 20, 30])?;
///     assert_eq!(sums, vec![cpu_task(10), cpu_task(20), cpu_task(30)]);
///     Ok(())
/// }
/// ```
pub struct ProcessPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.inner.lock();
        f.debug_struct("ProcessPool")
            .field("max_workers", &self.inner.max_workers)
            .field("workers", &st.workers.len())
            .field("queued", &st.queue.len())
            .field("shutdown", &st.shutdown)
            .finish()
    }
}

fn spawn_worker(inner: &Arc<Inner>) -> Result<(), ProcessError> {
    let sp = child::spawn()?;
    let child = sp.child.clone();
    let wid = {
        let mut st = inner.lock();
        let wid = st.next_worker;
        st.next_worker += 1;
        st.workers.insert(
            wid,
            WorkerState {
                child: sp.child.clone(),
                requests: None,
                inflight: VecDeque::new(),
                sent: 0,
                window: 1,
                last_reply: None,
            },
        );
        wid
    };
    let pid = child.pid();
    let (w_inner, r_inner) = (inner.clone(), inner.clone());
    let requests = Arc::new(sp.requests);
    let replies = sp.replies;
    let w = std::thread::Builder::new()
        .name(format!("threadkit-pool-writer-{pid}"))
        .spawn(move || writer(&w_inner, wid, requests));
    let r = std::thread::Builder::new()
        .name(format!("threadkit-pool-reader-{pid}"))
        .spawn(move || reader(&r_inner, wid, replies));
    if let Err(e) = w.as_ref().and(r.as_ref()) {
        let msg = e.to_string();
        // Without both threads the worker is useless: end it. A writer
        // that did start sees the worker gone and closes its pipe.
        child.signal(libc::SIGKILL);
        if r.is_err() {
            child.reap_blocking();
            inner.lock().workers.remove(&wid);
            inner.signal.notify_all();
        }
        return Err(ProcessError::Spawn(msg));
    }
    Ok(())
}

/// What a writer does next.
enum Step {
    Wait,
    Write { close: bool },
    Exit,
}

fn writer(inner: &Inner, wid: u64, requests: Arc<File>) {
    if let Some(w) = inner.lock().workers.get_mut(&wid) {
        w.requests = Some(requests.clone());
    }
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut failed: Vec<(Box<dyn Completion>, ProcessError)> = Vec::new();
    loop {
        let mut step = Step::Wait;
        let r = inner.signal.wait_until(WaitKind::Queue, None, || {
            step = fill(inner, wid, &mut buf, &mut failed);
            !matches!(step, Step::Wait)
        });
        for (done, e) in failed.drain(..) {
            done.finish(Err(e));
        }
        if r.is_err() {
            break;
        }
        match step {
            Step::Wait | Step::Exit => break,
            Step::Write { close } => {
                if (&*requests).write_all(&buf).is_err() || close {
                    break;
                }
                buf.clear();
            }
        }
    }
    // Closing the request pipe tells the worker to exit once it has
    // answered what it already read.
    if let Some(w) = inner.lock().workers.get_mut(&wid) {
        w.requests = None;
    }
    drop(requests);
}

/// Sends the queue's only task straight to an idle worker from the
/// submitting thread (under the lock), sparing a lone task the hop through
/// a writer thread. The write cannot block: the worker is idle (nothing in
/// flight), so its request pipe is empty, and the frame is at most
/// `PIPE_BUF` bytes, which an empty pipe takes at once and whole.
fn dispatch_direct(inner: &Inner, st: &mut State) {
    let State { queue, workers, .. } = st;
    let [(_, job)] = queue.as_slices().0 else {
        return;
    };
    let size = 4 + 8 + 1 + 2 + job.name.len() + job.arg.len();
    if size > libc::PIPE_BUF {
        return;
    }
    let max = inner.max_tasks_per_child;
    let Some(w) = workers
        .values_mut()
        .find(|w| w.inflight.is_empty() && w.requests.is_some() && max.is_none_or(|m| w.sent < m))
    else {
        return;
    };
    let Some((id, job)) = queue.pop_front() else {
        return;
    };
    if !job.done.start() {
        return; // cancelled already: dropped unsent
    }
    let mut buf = Vec::with_capacity(size);
    if codec::put_request(&mut buf, id, job.chunk, job.name, &job.arg).is_err() {
        queue.push_front((id, job));
        return;
    }
    let Some(file) = w.requests.clone() else {
        return;
    };
    w.inflight.push_back((id, job, Instant::now()));
    w.sent += 1;
    // A failed write means the worker died: its reader fails the task.
    let _ = (&*file).write_all(&buf);
}

/// Moves this writer's share of the queue into `buf` (under the lock).
fn fill(
    inner: &Inner,
    wid: u64,
    buf: &mut Vec<u8>,
    failed: &mut Vec<(Box<dyn Completion>, ProcessError)>,
) -> Step {
    let mut st = inner.lock();
    let st = &mut *st;
    if st.terminated {
        return Step::Exit;
    }
    let workers = st.workers.len().max(1);
    let inflight: usize = st.workers.values().map(|w| w.inflight.len()).sum();
    let max_tasks = inner.max_tasks_per_child;
    let idle_other = st
        .workers
        .iter()
        .any(|(&id, o)| id != wid && o.inflight.is_empty() && max_tasks.is_none_or(|m| o.sent < m));
    let Some(w) = st.workers.get_mut(&wid) else {
        return Step::Exit;
    };
    if max_tasks.is_some_and(|m| w.sent >= m) {
        // Retire (the last tasks may have been sent by `submit` itself).
        return Step::Write { close: true };
    }
    if st.queue.is_empty() {
        return if st.shutdown { Step::Exit } else { Step::Wait };
    }
    // Fair share: no worker holds more than its part of everything not yet
    // answered, so a few long tasks spread over all workers even when one
    // writer wakes long before the others.
    // While another worker is idle, a busy worker takes nothing and an idle
    // one takes a single task: the next tasks go to the idle workers and
    // start at once instead of waiting behind a long one.
    let mine = w.inflight.len();
    let share = (st.queue.len() + inflight).div_ceil(workers);
    let room = w.window.saturating_sub(mine);
    let mut take = match (mine, idle_other) {
        (0, true) => 1,
        (_, true) => 0,
        (_, false) => room.min(share.saturating_sub(mine)),
    };
    if let Some(max) = inner.max_tasks_per_child {
        take = take.min(max.saturating_sub(w.sent));
    }
    let mut wrote = false;
    let now = Instant::now();
    while take > 0 {
        let Some((id, job)) = st.queue.pop_front() else {
            break;
        };
        if !job.done.start() {
            continue; // cancelled while queued: dropped unsent
        }
        match codec::put_request(buf, id, job.chunk, job.name, &job.arg) {
            Ok(()) => {
                w.inflight.push_back((id, job, now));
                w.sent += 1;
                take -= 1;
                wrote = true;
            }
            Err(e) => failed.push((job.done, e)),
        }
    }
    let close = inner.max_tasks_per_child.is_some_and(|max| w.sent >= max);
    if wrote || close {
        Step::Write { close }
    } else if !failed.is_empty() {
        // Completions to run, nothing to write: come back.
        Step::Write { close: false }
    } else {
        Step::Wait
    }
}

/// The error of a worker that ended before its worker loop ran.
pub(crate) fn startup_failure(status: super::error::ExitStatus) -> ProcessError {
    ProcessError::Spawn(format!(
        "the worker process ended at start-up ({status}) before running any task: the \
         program must call threadkit::process::init first thing in main (see also \
         set_executable)"
    ))
}

/// Adapts the worker's window to the task just answered (sent at `sent`):
/// it began when both it was sent and the previous task was answered.
fn adapt(w: &mut WorkerState, sent: Instant) {
    let now = Instant::now();
    let began = w.last_reply.map_or(sent, |r| r.max(sent));
    let took = now.saturating_duration_since(began);
    w.last_reply = Some(now);
    if took < FAST {
        w.window = (w.window * 2).min(WINDOW);
    } else if took > SLOW {
        w.window = 1;
    }
}

fn reader(inner: &Arc<Inner>, wid: u64, replies: File) {
    let mut rd = BufReader::with_capacity(64 * 1024, replies);
    let mut body = Vec::new();
    let mut ready = false;
    while let Ok(true) = codec::read_frame(&mut rd, &mut body) {
        let Some(reply) = codec::parse_reply(&body) else {
            break;
        };
        if reply.id == codec::READY_ID {
            ready = true;
            continue;
        }
        let done = {
            let mut st = inner.lock();
            st.workers.get_mut(&wid).and_then(|w| {
                let pos = w.inflight.iter().position(|(id, ..)| *id == reply.id)?;
                let entry = w.inflight.remove(pos)?;
                adapt(w, entry.2);
                Some(entry)
            })
        };
        inner.signal.notify_all();
        let Some((_, Job { done, .. }, _)) = done else {
            continue;
        };
        let outcome = match reply.tag {
            codec::OK => Ok(reply.payload),
            codec::PANIC => Err(ProcessError::Panicked(
                String::from_utf8_lossy(reply.payload).into_owned(),
            )),
            _ => Err(ProcessError::Worker(
                String::from_utf8_lossy(reply.payload).into_owned(),
            )),
        };
        done.finish(outcome);
    }
    let child = inner.lock().workers.get(&wid).map(|w| w.child.clone());
    let Some(child) = child else { return };
    let status = child.reap_blocking();
    let (lost, respawn) = {
        let mut st = inner.lock();
        let mut lost: Vec<(Box<dyn Completion>, ProcessError)> = Vec::new();
        if !ready && !st.terminated {
            // Not one task ran: the program does not start as a worker.
            // Respawning would only loop; the pool is broken.
            let e = startup_failure(status);
            st.broken = Some(e.clone());
            if let Some(w) = st.workers.remove(&wid) {
                lost.extend(w.inflight.into_iter().map(|(_, j, _)| (j.done, e.clone())));
            }
            if st.workers.is_empty() {
                lost.extend(st.queue.drain(..).map(|(_, j)| (j.done, e.clone())));
            }
        }
        if let Some(w) = st.workers.remove(&wid) {
            let mut inflight = w.inflight;
            if let Some((_, running, _)) = inflight.pop_front() {
                let running = running.done;
                let e = if st.terminated {
                    ProcessError::Terminated
                } else {
                    ProcessError::WorkerDied(status)
                };
                lost.push((running, e));
            }
            // Never started: back to the front of the queue, in order.
            while let Some((id, job, _)) = inflight.pop_back() {
                if st.terminated {
                    lost.push((job.done, ProcessError::Terminated));
                } else {
                    st.queue.push_front((id, job));
                }
            }
        }
        let respawn = !st.terminated
            && st.broken.is_none()
            && (!st.shutdown || !st.queue.is_empty())
            && st.workers.len() < inner.max_workers;
        (lost, respawn)
    };
    inner.signal.notify_all();
    for (done, e) in lost {
        done.finish(Err(e));
    }
    if respawn {
        if let Err(e) = spawn_worker(inner) {
            let drained: Vec<_> = {
                let mut st = inner.lock();
                if !st.workers.is_empty() {
                    Vec::new()
                } else {
                    st.broken = Some(e.clone());
                    st.queue.drain(..).collect()
                }
            };
            inner.signal.notify_all();
            for (_, job) in drained {
                job.done.abandon(e.clone());
            }
        }
    }
}

impl ProcessPool {
    /// A pool of [`cpu_count`] workers.
    ///
    /// # Errors
    ///
    /// As [`ProcessPoolBuilder::build`].
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::new()?;
    ///     assert_eq!(pool.max_workers(), threadkit::process::cpu_count());
    ///     Ok(())
    /// }
    /// ```
    pub fn new() -> Result<ProcessPool, ProcessError> {
        ProcessPool::builder().build()
    }

    /// A pool of `n` workers.
    ///
    /// # Errors
    ///
    /// As [`ProcessPoolBuilder::build`].
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::with_workers(2)?;
    ///     assert_eq!(pool.map(SQUARE, [1, 2, 3])?, vec![1, 4, 9]);
    ///     Ok(())
    /// }
    /// ```
    pub fn with_workers(n: usize) -> Result<ProcessPool, ProcessError> {
        ProcessPool::builder().max_workers(n).build()
    }

    /// A builder for the other options.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::builder().build()?;
    ///     assert_eq!(pool.apply(SQUARE, 5)?, 25);
    ///     Ok(())
    /// }
    /// ```
    pub fn builder() -> ProcessPoolBuilder {
        ProcessPoolBuilder::default()
    }

    /// The number of workers the pool keeps.
    ///
    /// # Examples
    ///
    /// See [`ProcessPoolBuilder`].
    pub fn max_workers(&self) -> usize {
        self.inner.max_workers
    }

    /// The process ids of the current workers.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), threadkit::process::ProcessError> {
    /// # threadkit::process::init(threadkit::process::Registry::new())?;
    /// let pool = threadkit::process::ProcessPool::with_workers(2)?;
    /// assert_eq!(pool.worker_pids().len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn worker_pids(&self) -> Vec<u32> {
        let st = self.inner.lock();
        let mut v: Vec<u32> = st.workers.values().map(|w| w.child.pid()).collect();
        v.sort_unstable();
        v
    }

    fn enqueue(&self, jobs: Vec<Job>) -> Result<(), ProcessError> {
        {
            let mut st = self.inner.lock();
            if let Some(e) = &st.broken {
                return Err(e.clone());
            }
            if st.shutdown {
                return Err(ProcessError::ShutDown);
            }
            for job in jobs {
                let id = st.next_task;
                st.next_task += 1;
                st.queue.push_back((id, job));
            }
            dispatch_direct(&self.inner, &mut st);
        }
        self.inner.signal.notify_all();
        Ok(())
    }

    /// Schedules `f(arg)` on a worker and returns its [`Future`], the same
    /// type the thread pool returns (so [`as_completed`](crate::as_completed)
    /// and [`wait`](crate::wait) mix both). A panic in the child completes it
    /// with [`FutureError::Panicked`](crate::FutureError::Panicked); a worker
    /// that died, with [`FutureError::Failed`](crate::FutureError::Failed)
    /// naming the exit code or signal (see the [`sink`](self) table).
    ///
    /// # Errors
    ///
    /// At the call, before anything is sent: [`ProcessError::NotRegistered`]
    /// / [`ProcessError::NotInitialized`], [`ProcessError::Serialize`] if
    /// `arg` cannot be encoded, [`ProcessError::ShutDown`] after
    /// [`shutdown`](ProcessPool::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::with_workers(2)?;
    ///     let futures: Vec<_> = (1..=3).map(|x| pool.submit(SQUARE, x)).collect::<Result<_, _>>()?;
    ///     let mut got: Vec<u64> = threadkit::as_completed(&futures)
    ///         .map(|f| *f.unwrap().result().unwrap())
    ///         .collect();
    ///     got.sort();
    ///     assert_eq!(got, vec![1, 4, 9]);
    ///     Ok(())
    /// }
    /// ```
    pub fn submit<A, R>(&self, f: Function<A, R>, arg: A) -> Result<Future<R>, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + Sync + 'static,
    {
        function::check(&f)?;
        let arg = codec::encode(&arg)?;
        let (future, sink) = FutureSink::new(decode_one::<R>);
        self.enqueue(vec![Job::new(f.name(), false, arg, Box::new(sink))])?;
        Ok(future)
    }

    /// Runs `f(arg)` on a worker and waits for the result (Python's
    /// `Pool.apply`).
    ///
    /// # Errors
    ///
    /// As [`submit`](ProcessPool::submit), at the call; then the task's
    /// failure: [`ProcessError::Panicked`], [`ProcessError::WorkerDied`]
    /// (naming the exit code or signal), [`ProcessError::Cancelled`] or
    /// [`ProcessError::Terminated`].
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::with_workers(1)?;
    ///     assert_eq!(pool.apply(SQUARE, 7)?, 49);
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn apply<A, R>(&self, f: Function<A, R>, arg: A) -> Result<R, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        self.apply_until(f, arg, None)
    }

    /// [`apply`](ProcessPool::apply), waiting at most `timeout`
    /// ([`ProcessError::Timeout`]; the task still runs).
    ///
    /// # Errors
    ///
    /// As [`apply`](ProcessPool::apply), plus [`ProcessError::Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let pool = ProcessPool::with_workers(1)?;
    ///     assert_eq!(pool.apply_timeout(NAP, 300, Duration::from_millis(10)), Err(ProcessError::Timeout));
    ///     assert_eq!(pool.apply_timeout(NAP, 1, Duration::from_secs(60))?, 1);
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn apply_timeout<A, R>(
        &self,
        f: Function<A, R>,
        arg: A,
        timeout: Duration,
    ) -> Result<R, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        self.apply_until(f, arg, wait::deadline_after(timeout))
    }

    #[track_caller]
    fn apply_until<A, R>(
        &self,
        f: Function<A, R>,
        arg: A,
        deadline: Option<Instant>,
    ) -> Result<R, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        function::check(&f)?;
        let arg = codec::encode(&arg)?;
        let (task, completer) = Task::new(decode_one::<R>);
        self.enqueue(vec![Job::new(f.name(), false, arg, Box::new(completer))])?;
        task_result_until(&task, deadline)
    }

    /// `f` applied to every argument, in order (Python's `Pool.map`), with
    /// `multiprocessing`'s default chunk size: the arguments travel in
    /// about four chunks per worker.
    ///
    /// # Errors
    ///
    /// As [`submit`](ProcessPool::submit); the first failed item's error
    /// (a panic in one item fails the map, as in Python).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::with_workers(2)?;
    ///     let squares = pool.map(SQUARE, 0..100)?;
    ///     assert_eq!(squares[99], 9801);
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn map<A, R>(
        &self,
        f: Function<A, R>,
        args: impl IntoIterator<Item = A>,
    ) -> Result<Vec<R>, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        self.map_inner(f, args.into_iter().collect(), None, None)
    }

    /// [`map`](ProcessPool::map) with an explicit chunk size (at least 1).
    ///
    /// # Errors
    ///
    /// As [`map`](ProcessPool::map); [`ProcessError::InvalidArgument`] for
    /// a zero chunk size.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let pool = ProcessPool::with_workers(2)?;
    ///     assert_eq!(pool.map_chunked(SQUARE, 1..=4, 3)?, vec![1, 4, 9, 16]);
    ///     assert!(pool.map_chunked(SQUARE, 1..=4, 0).is_err());
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn map_chunked<A, R>(
        &self,
        f: Function<A, R>,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        if chunksize == 0 {
            return Err(ProcessError::InvalidArgument(
                "chunksize must be at least 1".into(),
            ));
        }
        self.map_inner(f, args.into_iter().collect(), Some(chunksize), None)
    }

    /// [`map`](ProcessPool::map), giving up after `timeout` counted from the
    /// call ([`ProcessError::Timeout`]; chunks not started are cancelled).
    ///
    /// # Errors
    ///
    /// As [`map`](ProcessPool::map), plus [`ProcessError::Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let pool = ProcessPool::with_workers(1)?;
    ///     assert_eq!(pool.map_timeout(NAP, [300], Duration::from_millis(10)), Err(ProcessError::Timeout));
    ///     assert_eq!(pool.map_timeout(NAP, [1, 2], Duration::from_secs(60))?, vec![1, 2]);
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn map_timeout<A, R>(
        &self,
        f: Function<A, R>,
        args: impl IntoIterator<Item = A>,
        timeout: Duration,
    ) -> Result<Vec<R>, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        let deadline = wait::deadline_after(timeout);
        self.map_inner(f, args.into_iter().collect(), None, deadline)
    }

    #[track_caller]
    fn map_inner<A, R>(
        &self,
        f: Function<A, R>,
        args: Vec<A>,
        chunksize: Option<usize>,
        deadline: Option<Instant>,
    ) -> Result<Vec<R>, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        function::check(&f)?;
        let n = args.len();
        let chunksize = chunksize
            .unwrap_or_else(|| n.div_ceil(self.inner.max_workers * 4))
            .max(1);
        let mut jobs = Vec::new();
        let mut tasks = Vec::new();
        for chunk in args.chunks(chunksize) {
            let bytes = codec::encode(chunk)?;
            let (task, completer) = Task::new(decode_one::<Vec<Result<R, String>>>);
            jobs.push(Job::new(f.name(), true, bytes, Box::new(completer)));
            tasks.push(task);
        }
        self.enqueue(jobs)?;
        let mut out = Vec::with_capacity(n);
        for (i, task) in tasks.iter().enumerate() {
            match task_result_until(task, deadline) {
                Ok(items) => {
                    for item in items {
                        out.push(item.map_err(ProcessError::Panicked)?);
                    }
                }
                Err(e) => {
                    for t in &tasks[i + 1..] {
                        t.cancel();
                    }
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    /// Runs `f` on every argument and yields the results as they complete,
    /// in any order (Python's `Pool.imap_unordered` with chunk size 1).
    ///
    /// # Errors
    ///
    /// As [`submit`](ProcessPool::submit), at the call; each item is the
    /// task's own outcome.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, ProcessPool, Registry};
    /// fn neg(x: i32) -> i32 {
    ///     -x
    /// }
    /// const NEG: Function<i32, i32> = threadkit::process_fn!(neg);
    /// # fn main() -> Result<(), threadkit::process::ProcessError> {
    /// threadkit::process::init(Registry::new().register(NEG))?;
    /// let pool = ProcessPool::with_workers(2)?;
    /// let mut got: Vec<i32> = pool
    ///     .imap_unordered(NEG, 1..=3)?
    ///     .collect::<Result<_, _>>()?;
    /// got.sort();
    /// assert_eq!(got, vec![-3, -2, -1]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn imap_unordered<A, R>(
        &self,
        f: Function<A, R>,
        args: impl IntoIterator<Item = A>,
    ) -> Result<ImapUnordered<R>, ProcessError>
    where
        A: Serialize + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        function::check(&f)?;
        let ready = Arc::new(Ready {
            done: Mutex::new(VecDeque::new()),
            signal: Signal::new(),
        });
        let mut jobs = Vec::new();
        let mut tasks = Vec::new();
        for (i, arg) in args.into_iter().enumerate() {
            let bytes = codec::encode(&arg)?;
            let (task, completer) = Task::new(decode_one::<R>);
            let r = ready.clone();
            task.on_done(Box::new(move || {
                r.done
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_back(i);
                r.signal.notify_all();
            }));
            jobs.push(Job::new(f.name(), false, bytes, Box::new(completer)));
            tasks.push(Some(task));
        }
        self.enqueue(jobs)?;
        Ok(ImapUnordered { tasks, ready })
    }

    /// Stops accepting tasks (Python's `shutdown`). With `cancel_futures`,
    /// queued tasks that have not started are cancelled; with `wait`, the
    /// call returns once every remaining task finished and every worker
    /// exited and was reaped. Calling it again is harmless.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), threadkit::process::ProcessError> {
    /// # threadkit::process::init(threadkit::process::Registry::new())?;
    /// let pool = threadkit::process::ProcessPool::with_workers(1)?;
    /// pool.shutdown(true, false);
    /// assert!(pool.worker_pids().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let cancelled: Vec<_> = {
            let mut st = self.inner.lock();
            st.shutdown = true;
            if cancel_futures {
                st.queue.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        self.inner.signal.notify_all();
        for (_, job) in cancelled {
            job.done.abandon(ProcessError::Cancelled);
        }
        if wait {
            self.wait_workers_gone();
        }
    }

    fn wait_workers_gone(&self) {
        // Untimed: every worker either finishes its tasks or dies, and its
        // reader removes it; an error here (deadlock verdict) cannot apply
        // to a wait on child processes, so it is simply retried.
        while self
            .inner
            .signal
            .wait_until(WaitKind::Join, None, || {
                self.inner.lock().workers.is_empty()
            })
            .is_err()
        {}
    }

    fn stop_workers(&self, sig: libc::c_int) {
        let (cancelled, children): (Vec<_>, Vec<_>) = {
            let mut st = self.inner.lock();
            st.shutdown = true;
            st.terminated = true;
            (
                st.queue.drain(..).collect(),
                st.workers.values().map(|w| w.child.clone()).collect(),
            )
        };
        self.inner.signal.notify_all();
        for (_, job) in cancelled {
            job.done.abandon(ProcessError::Cancelled);
        }
        for c in children {
            c.signal(sig);
        }
        self.wait_workers_gone();
    }

    /// Ends every worker at once with `SIGTERM` and shuts the pool down
    /// (Python 3.14's `terminate_workers`): running tasks fail with
    /// [`ProcessError::Terminated`], queued ones are cancelled. Returns once
    /// every worker has been reaped.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), threadkit::process::ProcessError> {
    /// # threadkit::process::init(threadkit::process::Registry::new())?;
    /// let pool = threadkit::process::ProcessPool::with_workers(2)?;
    /// pool.terminate_workers();
    /// assert!(pool.worker_pids().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn terminate_workers(&self) {
        self.stop_workers(libc::SIGTERM);
    }

    /// [`terminate_workers`](ProcessPool::terminate_workers) with `SIGKILL`
    /// (cannot be caught or ignored by the worker).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), threadkit::process::ProcessError> {
    /// # threadkit::process::init(threadkit::process::Registry::new())?;
    /// let pool = threadkit::process::ProcessPool::with_workers(2)?;
    /// pool.kill_workers();
    /// assert!(pool.worker_pids().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn kill_workers(&self) {
        self.stop_workers(libc::SIGKILL);
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

#[track_caller]
fn task_result_until<R: Send + 'static>(
    task: &Task<R>,
    deadline: Option<Instant>,
) -> Result<R, ProcessError> {
    match deadline {
        None => task.result(),
        Some(d) => task.result_timeout(d.saturating_duration_since(Instant::now())),
    }
}

struct Ready {
    done: Mutex<VecDeque<usize>>,
    signal: Signal,
}

/// The iterator of [`ProcessPool::imap_unordered`]: each task's outcome,
/// in completion order.
///
/// # Examples
///
/// See [`ProcessPool::imap_unordered`].
pub struct ImapUnordered<R> {
    tasks: Vec<Option<Task<R>>>,
    ready: Arc<Ready>,
}

impl<R> std::fmt::Debug for ImapUnordered<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let left = self.tasks.iter().filter(|t| t.is_some()).count();
        f.debug_struct("ImapUnordered")
            .field("left", &left)
            .finish()
    }
}

impl<R: Send + 'static> ImapUnordered<R> {
    /// The next outcome, waiting at most `timeout`: `None` when every
    /// outcome was yielded, `Some(Err(Timeout))` if none came in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let pool = ProcessPool::with_workers(1)?;
    ///     let mut it = pool.imap_unordered(NAP, [200])?;
    ///     assert_eq!(it.next_timeout(Duration::from_millis(10)), Some(Err(ProcessError::Timeout)));
    ///     assert_eq!(it.next_timeout(Duration::from_secs(60)), Some(Ok(200)));
    ///     assert_eq!(it.next_timeout(Duration::ZERO), None);
    ///     Ok(())
    /// }
    /// ```
    pub fn next_timeout(&mut self, timeout: Duration) -> Option<Result<R, ProcessError>> {
        self.next_until(wait::deadline_after(timeout))
    }

    /// The next outcome if one is ready, without waiting:
    /// `Some(Err(Timeout))` if none is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let pool = ProcessPool::with_workers(1)?;
    ///     let mut it = pool.imap_unordered(NAP, [200])?;
    ///     assert_eq!(it.try_next(), Some(Err(ProcessError::Timeout)));
    ///     assert_eq!(it.next(), Some(Ok(200)));
    ///     assert_eq!(it.try_next(), None);
    ///     Ok(())
    /// }
    /// ```
    pub fn try_next(&mut self) -> Option<Result<R, ProcessError>> {
        self.next_until(Some(Instant::now()))
    }

    fn next_until(&mut self, deadline: Option<Instant>) -> Option<Result<R, ProcessError>> {
        if self.tasks.iter().all(|t| t.is_none()) {
            return None;
        }
        let mut got = None;
        let r = self
            .ready
            .signal
            .wait_until(WaitKind::Future, deadline, || {
                got = self
                    .ready
                    .done
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                got.is_some()
            });
        match r {
            Ok(()) => {
                let i = got?;
                let task = self.tasks.get_mut(i)?.take()?;
                Some(task.try_result())
            }
            Err(Stop::TimedOut) => Some(Err(ProcessError::Timeout)),
            Err(Stop::Deadlock(d)) => Some(Err(ProcessError::Deadlock(d.report().to_string()))),
        }
    }
}

impl<R: Send + 'static> Iterator for ImapUnordered<R> {
    type Item = Result<R, ProcessError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_until(None)
    }
}
