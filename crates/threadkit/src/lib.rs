//! # threadkit
//!
//! Python's threading model (`threading`, `queue`, `concurrent.futures`,
//! `multiprocessing`) rebuilt in Rust: no GIL, and the classic threading
//! bugs caught instead of suffered.

#![warn(missing_docs)]
// Foundation stage: layer-1 items whose users land with the primitives.
#![allow(dead_code, unused_imports)]

mod loom;

pub mod diagnostics;
mod local;
mod registry;
mod sync;
mod thread;
mod timer;
mod wait;

pub use crate::{
    local::Local,
    thread::{
        active_count, current_thread, default_excepthook, enumerate, get_ident, get_native_id,
        main_guard, main_thread, reset_excepthook, set_excepthook, try_wait_for_non_daemon_threads,
        wait_for_non_daemon_threads, wait_for_non_daemon_threads_timeout, Builder, ExceptHookArgs,
        MainGuard, Run, Thread, ThreadError, ThreadRef,
    },
    timer::Timer,
};
