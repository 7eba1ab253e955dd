//! The course's `multiprocessing`: four `Process`es of a CPU-bound task,
//! then `Pool(cpu_count()).map`. Workers are child processes of this same
//! program, so `process::init` comes first in `main`.
//!
//! Run with `cargo run -p threadkit --features process --example multiprocessing`.

use std::hint::black_box;

use threadkit::process::{self, Function, Process, ProcessError, ProcessPool, Registry, cpu_count};

fn cpu_bound_task(n: u64) -> u64 {
    let mut count = 0u64;
    for _ in 0..n {
        count = black_box(count + 1);
    }
    count
}
const CPU_BOUND_TASK: Function<u64, u64> = threadkit::process_fn!(cpu_bound_task);

fn square(x: u64) -> u64 {
    x * x
}
const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);

fn main() -> Result<(), ProcessError> {
    process::init(Registry::new().register(CPU_BOUND_TASK).register(SQUARE))?;

    let processes = (0..4)
        .map(|_| Process::new(CPU_BOUND_TASK, 10_000_000))
        .collect::<Result<Vec<_>, _>>()?;
    for p in &processes {
        p.start()?;
    }
    for p in &processes {
        println!("Task completed: counted to {}", p.join()?);
    }

    let pool = ProcessPool::new()?;
    println!("Pool({}): {:?}", cpu_count(), pool.map(SQUARE, 1..=10)?);
    Ok(())
}
