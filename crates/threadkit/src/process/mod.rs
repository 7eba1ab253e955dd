//! Processes: Python's `multiprocessing.Process`, `Pool` and
//! `ProcessPoolExecutor` (crate feature `process`, Unix).
//!
//! In Rust, threads already run on every core; what a child process adds is
//! **isolation**: a worker that panics, aborts, calls `exit`, is killed or
//! runs out of memory cannot take the parent down.
//!
//! # How it works
//!
//! - Workers are the same executable started again (`exec`, never a bare
//!   `fork` of a threaded parent). The program calls [`init`] first thing in
//!   `main`, with the [`Registry`] of functions children may run. In a
//!   worker, `init` runs the worker loop and exits; in the parent it
//!   installs the registry and returns.
//! - Work is a named function ([`Function`], made by
//!   [`process_fn!`](crate::process_fn)); arguments and results travel
//!   serialized with serde (bincode) over two pipes per worker, as
//!   length-prefixed frames. An unregistered function or an argument that
//!   cannot be encoded is an `Err` at the call, before anything is sent.
//! - A worker exits when its request pipe ends (the parent closed it or
//!   died), and at most ~50 ms after its parent dies even while it is busy.
//!   The parent reaps every child it started: after `join`, `terminate`,
//!   `kill`, pool shutdown and drop; none is left as a zombie.
//!
//! # Python -> threadkit
//!
//! | Python | threadkit |
//! | --- | --- |
//! | `Process(target=f, args=(x,))`, `start()`, `join(timeout)` | [`Process::new`]`(F, x)`, [`start`](Process::start), [`join`](Process::join) / [`join_timeout`](Process::join_timeout) (hands back `f`'s value) |
//! | `is_alive()`, `exitcode`, `pid`, `terminate()`, `kill()` | same names; [`ExitStatus`] |
//! | `ProcessPoolExecutor(n)`, `submit`, `shutdown(wait, cancel_futures)` | [`ProcessPool::with_workers`], [`submit`](ProcessPool::submit) (returns the thread pool's [`Future`](crate::Future)), [`shutdown`](ProcessPool::shutdown) |
//! | `Pool(cpu_count()).map(f, xs, chunksize)` | [`ProcessPool::new`], [`map`](ProcessPool::map), [`map_chunked`](ProcessPool::map_chunked) |
//! | `imap_unordered`, `apply`, `maxtasksperchild` | [`imap_unordered`](ProcessPool::imap_unordered), [`apply`](ProcessPool::apply), [`max_tasks_per_child`](ProcessPoolBuilder::max_tasks_per_child) |
//! | `len(os.sched_getaffinity(0))` | [`cpu_count`] |
//!
//! Differences from CPython: a worker that dies fails only the task it was
//! running ([`ProcessError::WorkerDied`]) and is replaced; the pool is not
//! broken (see [`ProcessPool`]). The parent must not have `SIGPIPE`
//! handled by termination (Rust programs ignore it by default).
//!
//! # Example
//!
//! ```
//! use threadkit::process::{self, Function, ProcessPool, Registry};
//!
//! fn square(x: u64) -> u64 {
//!     x * x
//! }
//! const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
//!
//! fn main() -> Result<(), process::ProcessError> {
//!     process::init(Registry::new().register(SQUARE))?;
//!     let pool = ProcessPool::with_workers(2)?;
//!     assert_eq!(pool.map(SQUARE, 1..=4)?, vec![1, 4, 9, 16]);
//!     Ok(())
//! }
//! ```

mod child;
mod codec;
mod cpu;
mod error;
mod function;
mod job;
mod pool;
#[allow(clippy::module_inception)]
mod process;
mod signal;
mod sink;
mod task;
mod worker;

pub use cpu::cpu_count;
pub use error::{ExitStatus, ProcessError};
pub use function::{Function, Registry};
pub use pool::{ImapUnordered, ProcessPool, ProcessPoolBuilder};
pub use process::Process;

/// Call first thing in `main`. In a worker child this runs the worker loop
/// and exits the process (it never returns); in the parent it installs
/// `registry` for [`Process`] and [`ProcessPool`] and returns.
///
/// The registry must be built the same way in every run (children look
/// functions up by name in their own copy).
///
/// # Errors
///
/// [`ProcessError::DuplicateName`] if two functions share a name;
/// [`ProcessError::InvalidArgument`] if `init` was already called (the
/// first registry stays in use).
///
/// # Examples
///
/// ```
/// use threadkit::process::{Function, Registry};
///
/// fn id(x: u8) -> u8 {
///     x
/// }
/// const ID: Function<u8, u8> = threadkit::process_fn!(id);
///
/// threadkit::process::init(Registry::new().register(ID)).unwrap();
/// ```
pub fn init(registry: Registry) -> Result<(), ProcessError> {
    if let Ok(v) = std::env::var(child::ENV) {
        if let Some(never) = worker::run(&registry, &v) {
            match never {}
        }
    }
    function::install(registry).map(|_| ())
}

/// Sets the program started as a worker (Python's
/// `multiprocessing.set_executable`); default: this program. The program
/// must call [`init`] with the same registry. Returns `false` (and changes
/// nothing) if it was already set.
///
/// # Examples
///
/// ```
/// let exe = std::env::current_exe().unwrap();
/// assert!(threadkit::process::set_executable(exe));
/// ```
pub fn set_executable(path: impl Into<std::path::PathBuf>) -> bool {
    child::set_executable(path.into())
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ProcessPool>();
    assert_send_sync::<Process<u64>>();
    assert_send_sync::<ProcessError>();
    assert_send_sync::<Registry>();
    assert_send_sync::<Function<u64, u64>>();
    assert_send_sync::<ImapUnordered<u64>>();
    assert_send_sync::<ProcessPoolBuilder>();
    assert_send_sync::<ExitStatus>();
};
