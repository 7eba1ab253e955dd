//! Layer 3: `concurrent.futures` — [`ThreadPoolExecutor`], [`Future`],
//! [`as_completed`] and [`wait`].
//!
//! - `state`: the future's one allocation and its state word;
//! - `future`: the [`Future`] handle, [`Completer`], `.await` support;
//! - `executor`: the pool, its submit gate and worker bookkeeping;
//! - `job`: a queued job, stored inline in the queue when small;
//! - `worker`: the worker loop and its sleep/wake-up protocol;
//! - `multi`: one waiter on many futures (for `wait` / `as_completed`);
//! - `map`, `wait`, `as_completed`: the module functions and iterators;
//! - `pool_table`: what the deadlock detector needs to know about pools;
//! - `error`: [`FutureError`] and [`ExecutorError`].

mod as_completed;
mod error;
mod executor;
mod future;
mod job;
mod map;
mod multi;
mod pool_table;
mod state;
mod wait;
mod worker;

pub use as_completed::{AsCompleted, as_completed, as_completed_timeout};
pub use error::{ExecutorError, FutureError};
pub use executor::{ThreadPoolBuilder, ThreadPoolExecutor, cpu_count, io_bound_workers};
pub use future::{Awaiting, Completer, Future};
pub use map::Map;
pub use wait::{Done, ReturnWhen, wait, wait_timeout};

#[allow(dead_code)]
fn _assert_send_sync() {
    fn send_sync<X: Send + Sync>() {}
    fn send<X: Send>() {}
    send_sync::<ThreadPoolExecutor>();
    send_sync::<Future<u64>>();
    send_sync::<Future<String>>();
    send::<Completer<u64>>();
    send::<Awaiting<u64>>();
    send_sync::<FutureError>();
    send_sync::<ExecutorError>();
    send_sync::<ThreadPoolBuilder>();
}
