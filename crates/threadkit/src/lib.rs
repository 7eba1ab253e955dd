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
mod gil;
mod registry;
mod sync;
mod wait;

pub use gil::{Gil, GilError, GilGuard, DEFAULT_SWITCH_INTERVAL};
