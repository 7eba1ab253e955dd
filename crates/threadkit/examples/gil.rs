//! The course's GIL example: four CPU-bound threads. threadkit has no GIL,
//! so they run on every core; the same threads under the `Gil` model take
//! turns, as CPython's do.
//!
//! Run with `cargo run -p threadkit --release --example gil`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use threadkit::{Gil, Thread};

/// `count += 1` ten million times (the course counts to 10**6; a compiled
/// loop needs more to be measurable).
fn cpu_bound_task(gil: Option<&Gil>) -> u64 {
    let mut guard = gil.map(Gil::acquire);
    let mut count = 0u64;
    for i in 0..10_000_000u64 {
        count = black_box(count + 1);
        if i % 1024 == 0 {
            if let Some(g) = guard.as_mut() {
                // Where CPython's eval loop would check for a GIL request.
                g.checkpoint();
            }
        }
    }
    println!("Task completed");
    count
}

fn run_four(gil: Option<Arc<Gil>>) -> Result<f64, threadkit::ThreadError> {
    let start = Instant::now();
    let threads = (0..4)
        .map(|_| {
            let gil = gil.clone();
            Thread::spawn(move || cpu_bound_task(gil.as_deref()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for t in threads {
        assert_eq!(t.join()?, 10_000_000);
    }
    Ok(start.elapsed().as_secs_f64())
}

fn main() -> Result<(), threadkit::ThreadError> {
    let free = run_four(None)?;
    println!("4 threads, no GIL: {free:.3} s");
    let gil = Arc::new(Gil::new());
    let with_gil = run_four(Some(Arc::clone(&gil)))?;
    println!(
        "4 threads under the Gil model: {with_gil:.3} s ({} forced switches)",
        gil.forced_switches()
    );
    Ok(())
}
