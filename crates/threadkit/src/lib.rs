//! # threadkit
//!
//! Python's threading model (`threading`, `queue`, `concurrent.futures`,
//! `multiprocessing`) rebuilt in Rust, with two differences that matter:
//!
//! 1. **No GIL.** CPU-bound work on N threads runs on N cores.
//! 2. **The classic threading bugs are caught, not suffered.** A deadlock
//!    is detected and reported (which threads, which locks, where each was
//!    taken) instead of hanging; lock-order inversions can be flagged even on
//!    runs where timing avoided the hang; locks have a fair mode against
//!    starvation; a thread dump is one call away; and data races do not
//!    compile.
//!
//! The names and the observable semantics are Python's; the shapes are
//! Rust's: RAII guards instead of `with`, [`Duration`](std::time::Duration)
//! instead of float seconds, `Result` instead of exceptions, and values
//! returned from threads. Every blocking call comes in three forms: `x()`
//! blocks, `x_timeout(d)` blocks at most `d` (never returning early), and
//! `try_x()` never blocks.
//!
//! ## A tour
//!
//! ```
//! use std::time::Duration;
//! use threadkit::{Lock, Queue, Thread, ThreadPoolExecutor};
//!
//! // threading.Thread(target=...) -- and join() hands the value back.
//! let t = Thread::new(|| (1..=10u64).product::<u64>());
//! t.start()?;
//! assert_eq!(t.join()?, 3_628_800);
//!
//! // 10 threads x 1000 increments under a Lock = 10000, always.
//! let counter = std::sync::Arc::new(Lock::new(0u64));
//! let threads: Vec<_> = (0..10)
//!     .map(|_| {
//!         let c = counter.clone();
//!         Thread::spawn(move || {
//!             for _ in 0..1000 {
//!                 *c.acquire() += 1;
//!             }
//!         })
//!     })
//!     .collect::<Result<_, _>>()?;
//! for t in threads {
//!     t.join()?;
//! }
//! assert_eq!(*counter.acquire(), 10_000);
//!
//! // queue.Queue with task_done / join.
//! let q: Queue<Option<u32>> = Queue::with_maxsize(4);
//! let consumer = {
//!     let q = q.clone();
//!     Thread::spawn(move || {
//!         let mut sum = 0;
//!         while let Ok(Some(x)) = q.get() {
//!             sum += x;
//!             q.task_done().unwrap();
//!         }
//!         q.task_done().unwrap(); // the sentinel
//!         sum
//!     })?
//! };
//! for x in 1..=5 {
//!     q.put(Some(x)).unwrap();
//! }
//! q.put(None).unwrap();
//! q.join();
//! assert_eq!(consumer.join()?, 15);
//!
//! // concurrent.futures: submit, result(timeout=...), map.
//! let pool = ThreadPoolExecutor::new();
//! let f = pool.submit(|| 6 * 7)?;
//! assert_eq!(*f.result_timeout(Duration::from_secs(5))?, 42);
//! let squares: Vec<u64> = pool.map(|x: u64| x * x, 1..=4)?.map(Result::unwrap).collect();
//! assert_eq!(squares, [1, 4, 9, 16]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Python -> threadkit
//!
//! | Python | threadkit |
//! | --- | --- |
//! | `threading.Thread`, subclass with `run()` | [`Thread`], [`Run`], [`Builder`] |
//! | `current_thread`, `main_thread`, `enumerate`, `active_count`, `get_ident`, `excepthook` | [`current_thread`], [`main_thread`], [`enumerate`], [`active_count`], [`get_ident`], [`set_excepthook`] |
//! | interpreter exit waits for non-daemon threads | [`wait_for_non_daemon_threads`], [`main_guard`] |
//! | `threading.local` | [`Local`] |
//! | `Lock` (`acquire`, `release`, `locked`, `with`) | [`Lock`] (owns its data), [`RawLock`] (release from any thread) |
//! | `RLock` | [`RLock`] |
//! | `Condition` | [`Condition`] (wait/notify live on the guard) |
//! | `Semaphore`, `BoundedSemaphore` | [`Semaphore`], [`BoundedSemaphore`] |
//! | `Event` | [`Event`] |
//! | `Barrier` | [`Barrier`] |
//! | `Timer` | [`Timer`] |
//! | `queue.Queue`, `LifoQueue`, `PriorityQueue`, `SimpleQueue` | [`Queue`], [`LifoQueue`], [`PriorityQueue`], [`SimpleQueue`] |
//! | `ThreadPoolExecutor`, `Future`, `as_completed`, `wait` | [`ThreadPoolExecutor`], [`Future`], [`as_completed()`], [`wait()`] |
//! | `multiprocessing.Process`, `Pool`, `ProcessPoolExecutor` | `process::Process`, `process::ProcessPool` (feature `process`) |
//! | the GIL | [`Gil`], a model of it, used by the tour to reproduce the GIL's figures |
//! | hunting a hang | [`diagnostics`]: deadlock reports, lock-order checking, [`diagnostics::dump`] |
//!
//! ## Deliberate differences from Python
//!
//! - Data races do not compile: shared state lives inside a [`Lock`],
//!   [`RLock`] or [`Condition`], or in atomics.
//! - Locks are not poisoned: a panic while holding a guard releases the
//!   lock, as leaving a `with` block by an exception does in Python.
//! - A thread's exception is a panic; `join` returns it as an `Err`.
//! - A failed `put` hands the item back inside the error.
//! - A proven deadlock fails one thread of the cycle (see [`diagnostics`])
//!   instead of hanging the program.

#![warn(missing_docs)]

mod loom;

#[cfg(all(feature = "process", unix))]
pub mod process;
// The process module's event count alone, so CI's loom run (built without
// the `process` feature) model-checks it too.
#[cfg(all(loom, not(feature = "process")))]
#[path = "process/signal.rs"]
mod process_signal;

mod cpu;
pub mod diagnostics;
mod futures;
mod gil;
mod local;
mod queue;
mod registry;
mod sync;
mod thread;
mod timer;
mod wait;

pub use crate::{
    cpu::cpu_count,
    diagnostics::Deadlock,
    futures::{
        AsCompleted, Awaiting, Completer, Done, ExecutorError, Future, FutureError, Map,
        ReturnWhen, ThreadPoolBuilder, ThreadPoolExecutor, as_completed, as_completed_timeout,
        io_bound_workers, wait, wait_timeout,
    },
    gil::{DEFAULT_SWITCH_INTERVAL, Gil, GilError, GilGuard},
    local::Local,
    queue::{
        GetError, JoinError, LifoQueue, PriorityQueue, PutError, Queue, SimpleQueue, TaskDoneError,
    },
    sync::{
        barrier::{Barrier, BarrierError, MAX_PARTIES},
        condition::{Condition, ConditionGuard},
        event::Event,
        fairness::Fairness,
        lock::{Lock, LockGuard},
        lock_builder::LockBuilder,
        lock_error::LockError,
        raw_lock::RawLock,
        rlock::{RLock, RLockGuard},
        semaphore::{BoundedSemaphore, MAX_PERMITS, Semaphore, SemaphoreError, SemaphorePermit},
    },
    thread::{
        Builder, ExceptHookArgs, MainGuard, Run, Thread, ThreadError, ThreadRef, active_count,
        current_thread, default_excepthook, enumerate, get_ident, get_native_id, main_guard,
        main_thread, reset_excepthook, set_excepthook, try_wait_for_non_daemon_threads,
        wait_for_non_daemon_threads, wait_for_non_daemon_threads_timeout,
    },
    timer::Timer,
};
