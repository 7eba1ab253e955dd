//! The seeds' `multiprocessing` ending, the threadkit way:
//!
//! ```python
//! def cpu_task(n):
//!     return sum(i * i for i in range(n))
//!
//! if __name__ == "__main__":
//!     with Pool(cpu_count()) as pool:
//!         print(pool.map(cpu_task, [10**6] * 4))
//! ```
//!
//! plus what processes add in Rust, where threads already use every core:
//! isolation. A task that aborts its worker fails alone; the pool replaces
//! the worker and goes on.
//!
//! Run: `cargo run --release -p threadkit --features process --example process_pool`

use std::time::Instant;

use threadkit::process::{self, Function, ProcessPool, Registry, cpu_count};

fn cpu_task(n: u64) -> u64 {
    (0..n)
        .map(|i| i.wrapping_mul(i))
        .fold(0u64, u64::wrapping_add)
}

fn crash(_: ()) -> u64 {
    std::process::abort()
}

const CPU_TASK: Function<u64, u64> = threadkit::process_fn!(cpu_task);
const CRASH: Function<(), u64> = threadkit::process_fn!(crash);

fn main() -> Result<(), process::ProcessError> {
    // First thing in main: in a worker process this never returns.
    process::init(Registry::new().register(CPU_TASK).register(CRASH))?;

    let pool = ProcessPool::new()?;
    println!("Pool({}) started", cpu_count());
    let t = Instant::now();
    let results = pool.map(CPU_TASK, vec![1_000_000; 4])?;
    println!("{results:?} in {:?}", t.elapsed());

    let crashed = pool.submit(CRASH, ())?;
    let fine = pool.submit(CPU_TASK, 10)?;
    println!("crashing task: {}", crashed.result().unwrap_err());
    println!("next task: {}", fine.result().unwrap());
    Ok(())
}
