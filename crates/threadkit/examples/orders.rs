//! The course's first thread programs, the threadkit way: an
//! `OrderProcessing` "subclass" (a type implementing `Run`) and
//! `Thread(target=process_order, args=(10,))` for two orders.
//!
//! Run with `cargo run -p threadkit --example orders`. Like the Python
//! program, `main` does not join the order threads: the exit rule
//! (`main_guard`) waits for them, so both orders finish in about one second
//! (they overlap) before the process ends.

use std::thread::sleep;
use std::time::{Duration, Instant};

use threadkit::{Run, Thread};

/// Python: `class OrderProcessing(threading.Thread): def run(self): ...`
struct OrderProcessing;

impl Run for OrderProcessing {
    type Output = ();
    fn run(self) {
        println!("Processing");
    }
}

/// Python: `def process_order(order_id): ...` (the sleep stands for I/O).
fn process_order(order_id: u32) {
    println!("Processing order with id={order_id}");
    sleep(Duration::from_secs(1));
    println!("Finished processing order with id={order_id}");
}

fn main() -> Result<(), threadkit::ThreadError> {
    let _exit_rule = threadkit::main_guard();
    let started = Instant::now();

    let thread = Thread::new(OrderProcessing);
    thread.start()?;
    thread.join()?;

    let first_thread = Thread::new(move || process_order(10));
    let second_thread = Thread::new(move || process_order(20));
    first_thread.start()?;
    second_thread.start()?;

    // Not joined, as in the course. The guard would wait at the end of
    // main; waiting here instead lets us time the two orders.
    drop((first_thread, second_thread));
    threadkit::wait_for_non_daemon_threads();
    println!(
        "two orders on two threads: {:.2} s (one order alone: ~1 s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
