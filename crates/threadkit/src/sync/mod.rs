//! Layer 2: synchronization primitives, each a small atomic state word on
//! top of the wait layer.

pub(crate) mod barrier;
pub(crate) mod condition;
pub(crate) mod event;
pub(crate) mod fairness;
pub(crate) mod lock;
pub(crate) mod lock_builder;
pub(crate) mod lock_error;
mod lock_word;
pub(crate) mod raw_lock;
pub(crate) mod rlock;
pub(crate) mod semaphore;
