//! `daemon`: a daemon thread prints while the main thread sleeps; the
//! program then ends without waiting for it. The program runs as a child
//! process of this binary (`threadkit internal daemon-child`), so the
//! never-ending daemon really ends with its process.

use std::process::Command;
use std::time::{Duration, Instant};

use threadkit::Builder;

use super::work::secs;
use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "daemon",
    summary: "a daemon thread prints while main sleeps; the program exits without waiting for it",
    flags: "--latency-ms MS (print interval), --work-ms MS (main's sleep)",
    run,
};

/// The seed's program, run in the child process.
pub(crate) fn child(interval: Duration, main_sleep: Duration) -> Result<(), String> {
    let _exit_rule = threadkit::main_guard();
    let daemon = Builder::new().name("daemon-worker").build(move || {
        loop {
            println!("Daemon thread is running");
            std::thread::sleep(interval);
        }
    });
    daemon.set_daemon(true).map_err(|e| e.to_string())?;
    daemon.start().map_err(|e| e.to_string())?;
    std::thread::sleep(main_sleep);
    println!("Main program exiting");
    Ok(())
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let interval = p.latency(1000, 20);
    let main_sleep = p.work(3000, 70);
    r.note(format!(
        "The seed: a daemon thread prints every 1 s forever; main sleeps 3 s and exits. Here: \
         every {interval:?}, main sleeps {main_sleep:?}, in a child process:"
    ));
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let t = Instant::now();
    let out = Command::new(exe)
        .args([
            "internal",
            "daemon-child",
            "--interval-ms",
            &interval.as_millis().to_string(),
            "--main-ms",
            &main_sleep.as_millis().to_string(),
        ])
        .output()
        .map_err(|e| format!("cannot run the child process: {e}"))?;
    let elapsed = secs(t);
    if !out.status.success() {
        return Err(format!(
            "the child process failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    for l in text.lines() {
        r.note(format!("| {l}"));
    }
    let lines = text.lines().filter(|l| l.starts_with("Daemon")).count();
    r.measure("lines printed by the daemon", lines as f64, "count", None);
    r.seconds(
        "the program's run time (it did not wait for the daemon)",
        elapsed,
        None,
    );
    Ok(())
}
