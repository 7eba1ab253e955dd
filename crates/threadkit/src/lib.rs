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
// The process module's event count alone, so CI's loom run (built without
// the `process` feature) model-checks it too.
#[cfg(all(loom, not(feature = "process")))]
#[path = "process/signal.rs"]
mod process_signal;

pub mod diagnostics;
mod futures;
mod gil;
mod local;
mod registry;
mod sync;
mod thread;
mod timer;
mod wait;

pub use crate::{
    futures::{
        as_completed, as_completed_timeout, cpu_count, io_bound_workers, wait, wait_timeout,
        AsCompleted, Awaiting, Completer, Done, ExecutorError, Future, FutureError, Map,
        ReturnWhen, ThreadPoolBuilder, ThreadPoolExecutor,
    },
    gil::{Gil, GilError, GilGuard, DEFAULT_SWITCH_INTERVAL},
    local::Local,
    sync::{
        condition::{Condition, ConditionGuard},
        fairness::Fairness,
        lock::{Lock, LockGuard},
        lock_builder::LockBuilder,
        lock_error::LockError,
        raw_lock::RawLock,
        rlock::{RLock, RLockGuard},
    },
    thread::{
        active_count, current_thread, default_excepthook, enumerate, get_ident, get_native_id,
        main_guard, main_thread, reset_excepthook, set_excepthook, wait_for_non_daemon_threads,
        Builder, ExceptHookArgs, MainGuard, Run, Thread, ThreadError, ThreadRef,
    },
    timer::Timer,
};
