//! `deadlock`: the seeds' two locks taken in opposite order. threadkit's
//! detector proves the cycle, fails one thread's wait with a report, and
//! the program finishes.

use std::sync::{Arc, Barrier};
use std::time::Instant;

use threadkit::{Lock, Thread};

use super::work::secs;
use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "deadlock",
    summary: "two locks taken in opposite order: detected, reported, one thread failed, program finishes",
    flags: "",
    run,
};

/// What each thread did.
enum Outcome {
    Finished(&'static str),
    Failed(&'static str, String),
}

fn run(_p: &Params, r: &mut Report) -> Result<(), String> {
    r.note(
        "The seed: thread1 takes lock_a then lock_b, thread2 takes lock_b then lock_a. Here both \
         take their first lock before either asks for its second (a Barrier lines them up), so \
         the deadlock happens every time.",
    );
    let lock_a = Arc::new(Lock::named("lock_a", ()));
    let lock_b = Arc::new(Lock::named("lock_b", ()));
    let both_hold = Arc::new(Barrier::new(2));
    let spawn =
        |name: &'static str, first: Arc<Lock>, second: Arc<Lock>, lined_up: Arc<Barrier>| {
            threadkit::Builder::new()
                .name(name)
                .spawn(move || {
                    let _g1 = first.acquire();
                    lined_up.wait();
                    match second.acquire_checked() {
                        Ok(_g2) => Outcome::Finished(name),
                        Err(d) => Outcome::Failed(name, d.to_string()),
                    }
                })
                .map_err(|e| e.to_string())
        };
    let t = Instant::now();
    let t1: Thread<Outcome> = spawn("thread1", lock_a.clone(), lock_b.clone(), both_hold.clone())?;
    let t2: Thread<Outcome> = spawn("thread2", lock_b, lock_a, both_hold)?;
    let outcomes = [
        t1.join().map_err(|e| e.to_string())?,
        t2.join().map_err(|e| e.to_string())?,
    ];
    let elapsed = secs(t);
    let mut failed = 0;
    for o in &outcomes {
        match o {
            Outcome::Finished(n) => r.note(format!("{n}: acquired both locks and finished")),
            Outcome::Failed(n, report) => {
                failed += 1;
                r.note(format!("{n}: its wait failed with the detector's report:"));
                for line in report.lines() {
                    r.note(format!("  | {line}"));
                }
            }
        }
    }
    r.measure(
        "threads failed by the detector",
        failed as f64,
        "count",
        None,
    );
    r.seconds("from start to both threads joined", elapsed, None);
    r.note(format!(
        "The seed's program hangs forever; here it finished (detection delay {:?}).",
        threadkit::diagnostics::detection_delay()
    ));
    if failed == 1 {
        Ok(())
    } else {
        Err(format!("expected exactly one failed thread, got {failed}"))
    }
}
