//! Layer 3: threads (Python's `threading.Thread` and the module functions
//! around it).
//!
//! - [`Thread<T>`](handle::Thread) owns a body and its value;
//!   [`ThreadRef`](handle::ThreadRef) is the shareable handle every other
//!   place gets (current, main, enumerate, hook arguments).
//! - `core`: the join state word; `exit`: the non-daemon counter behind
//!   Python's exit rule; `hook`: what a panic that ends a thread does.

mod builder;
mod core;
mod current;
mod error;
mod exit;
mod handle;
mod hook;
mod run;

pub use builder::Builder;
pub use current::{active_count, current_thread, enumerate, get_ident, get_native_id, main_thread};
pub use error::ThreadError;
pub use exit::{
    MainGuard, main_guard, try_wait_for_non_daemon_threads, wait_for_non_daemon_threads,
    wait_for_non_daemon_threads_timeout,
};
pub use handle::{Thread, ThreadRef};
pub use hook::{ExceptHookArgs, default_excepthook, reset_excepthook, set_excepthook};
pub use run::Run;
