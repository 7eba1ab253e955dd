//! Layer 3: queues (Python's `queue` module).
//!
//! | Python                  | threadkit                    | storage                         |
//! | ----------------------- | ---------------------------- | ------------------------------- |
//! | `queue.Queue(maxsize)`  | [`Queue`]                    | lock-free ring / block list     |
//! | `queue.LifoQueue`       | [`LifoQueue`]                | `Vec` behind a small lock       |
//! | `queue.PriorityQueue`   | [`PriorityQueue`]            | min-heap behind a small lock    |
//! | `queue.SimpleQueue`     | [`SimpleQueue`]              | lock-free block list            |
//!
//! Every kind plugs a non-blocking buffer (`buffer.rs`) into one blocking
//! engine (`engine.rs`), which owns waiting, waking, task tracking and
//! shutdown; the public methods of the three tracked kinds are written once
//! (`api.rs`).

mod api;
mod buffer;
mod engine;
mod error;
mod fifo;
mod lifo;
mod list;
mod locked;
mod priority;
mod ring;
mod simple;
mod word_lock;

pub use error::{GetError, JoinError, PutError, TaskDoneError};
pub use fifo::Queue;
pub use lifo::LifoQueue;
pub use priority::PriorityQueue;
pub use simple::SimpleQueue;

// Compile-time checks: the handles move to and are shared between threads
// whenever the items can move.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Queue<std::cell::Cell<u8>>>();
    send_sync::<LifoQueue<std::cell::Cell<u8>>>();
    send_sync::<PriorityQueue<u8>>();
    send_sync::<SimpleQueue<std::cell::Cell<u8>>>();
    send_sync::<PutError<u8>>();
    send_sync::<GetError>();
    send_sync::<TaskDoneError>();
    send_sync::<JoinError>();
};
