//! The course's counters: 10 threads x 1,000 increments under a Lock
//! (exactly 10,000), and 5 named threads x 100,000 (exactly 500,000).
//!
//! The course's "unsafe counter" (`counter += 1` from five threads without
//! a lock) does not compile in Rust: a `static mut` or a shared `&mut u64`
//! written from several threads is rejected. `threadkit demo counter` shows
//! the lost updates with two separate atomic operations instead.
//!
//! Run with `cargo run -p threadkit --example counter`.

use std::sync::Arc;

use threadkit::{Builder, Lock, Thread, ThreadError};

fn count(threads: usize, increments: u64) -> Result<u64, ThreadError> {
    let counter = Arc::new(Lock::new(0u64));
    let workers = (0..threads)
        .map(|i| {
            let counter = Arc::clone(&counter);
            Builder::new().name(format!("Worker-{i}")).spawn(move || {
                for _ in 0..increments {
                    // `with lock: counter += 1`
                    *counter.acquire() += 1;
                }
            })
        })
        .collect::<Result<Vec<Thread<()>>, _>>()?;
    for w in workers {
        w.join()?;
    }
    let total = *counter.acquire();
    Ok(total)
}

fn main() -> Result<(), ThreadError> {
    let a = count(10, 1_000)?;
    println!("Final counter value: {a}");
    assert_eq!(a, 10_000);
    let b = count(5, 100_000)?;
    println!("Counter with lock: {b}");
    assert_eq!(b, 500_000);
    Ok(())
}
