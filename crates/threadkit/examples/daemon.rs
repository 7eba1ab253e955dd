//! The course's daemon thread: it runs forever, yet the program ends when
//! `main` does, because daemon threads never hold up the exit rule.
//!
//! Run with `cargo run -p threadkit --example daemon`. (The course sleeps
//! 1 s per line and 3 s in main; this runs 5x faster.)

use std::thread::sleep;
use std::time::Duration;

use threadkit::Builder;

fn daemon_worker() {
    loop {
        println!("Daemon thread is running");
        sleep(Duration::from_millis(200));
    }
}

fn main() -> Result<(), threadkit::ThreadError> {
    // Python's exit rule: wait for non-daemon threads at the end of main.
    let _exit_rule = threadkit::main_guard();

    let daemon_thread = Builder::new().name("daemon-worker").build(daemon_worker);
    daemon_thread.set_daemon(true)?;
    daemon_thread.start()?;

    // Main program sleeps for 0.6 seconds.
    sleep(Duration::from_millis(600));
    println!("Main program exiting");
    Ok(())
}
