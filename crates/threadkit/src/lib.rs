//! # threadkit
//!
//! Python's threading model (`threading`, `queue`, `concurrent.futures`,
//! `multiprocessing`) rebuilt in Rust: no GIL, and the classic threading
//! bugs caught instead of suffered.

#![warn(missing_docs)]
// Foundation stage: layer-1 items whose users land with the primitives.
#![allow(dead_code, unused_imports)]

mod loom;

#[cfg(all(feature = "process", unix))]
pub mod process;

pub mod diagnostics;
mod futures;
mod registry;
mod sync;
mod wait;

pub use futures::{
    as_completed, as_completed_timeout, cpu_count, io_bound_workers, wait, wait_timeout,
    AsCompleted, Awaiting, Completer, Done, ExecutorError, Future, FutureError, Map, ReturnWhen,
    ThreadPoolBuilder, ThreadPoolExecutor,
};
