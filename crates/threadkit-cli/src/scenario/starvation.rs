//! `starvation`: the seed's greedy and polite threads sharing one Lock,
//! with the default lock and with a FIFO (fair) lock: acquisition counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use threadkit::{Fairness, Lock, Thread};

use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "starvation",
    summary: "greedy vs polite thread on one lock: unfair, default and fair locks: acquisition counts",
    flags: "--latency-ms MS (hold time), --budget-ms MS",
    run,
};

/// A lock the two threads compete for.
trait Resource: Send + Sync + 'static {
    /// Runs `f` holding the lock.
    fn with(&self, f: &mut dyn FnMut());
}

impl Resource for Lock {
    fn with(&self, f: &mut dyn FnMut()) {
        let _g = self.acquire();
        f();
    }
}

/// std's futex mutex: no fairness at all, like CPython's `threading.Lock`.
impl Resource for std::sync::Mutex<()> {
    fn with(&self, f: &mut dyn FnMut()) {
        let _g = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f();
    }
}

/// Runs both threads for `budget`; returns (greedy, polite) acquisitions.
fn contest<L: Resource>(lock: L, hold: Duration, budget: Duration) -> Result<(u64, u64), String> {
    let lock = Arc::new(lock);
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let spawn = |who: usize| {
        let (lock, stop, counts) = (lock.clone(), stop.clone(), counts.clone());
        Thread::spawn(move || {
            // Relaxed: a stop flag; the join below orders the counts.
            while !stop.load(Ordering::Relaxed) {
                lock.with(&mut || {
                    counts[who].fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(hold);
                });
                if who == 1 {
                    // The polite thread gives the others a chance.
                    std::thread::sleep(hold);
                }
            }
        })
        .map_err(|e| e.to_string())
    };
    let greedy = spawn(0)?;
    let polite = spawn(1)?;
    std::thread::sleep(budget);
    stop.store(true, Ordering::Relaxed);
    greedy.join().map_err(|e| e.to_string())?;
    polite.join().map_err(|e| e.to_string())?;
    Ok((
        counts[0].load(Ordering::Relaxed),
        counts[1].load(Ordering::Relaxed),
    ))
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let hold = p.latency(10, 2);
    let budget = Duration::from_millis(p.budget_ms.unwrap_or(p.pick(2000, 200)));
    r.note(format!(
        "The seed: a greedy thread re-takes the lock as soon as it lets go; a polite one sleeps \
         after each turn. Each holds the lock {hold:?} per turn; {budget:?} per run."
    ));
    let mut record = |label: &str, (greedy, polite): (u64, u64)| {
        r.measure(
            format!("{label}: greedy acquisitions"),
            greedy as f64,
            "count",
            None,
        );
        r.measure(
            format!("{label}: polite acquisitions"),
            polite as f64,
            "count",
            None,
        );
        let total = (greedy + polite).max(1) as f64;
        r.measure(
            format!("{label}: polite share of the turns"),
            100.0 * polite as f64 / total,
            "%",
            None,
        );
    };
    record(
        "std::sync::Mutex (no fairness, like CPython's Lock)",
        contest(std::sync::Mutex::new(()), hold, budget)?,
    );
    record(
        "threadkit default lock",
        contest(Lock::new(()), hold, budget)?,
    );
    record(
        "threadkit fair (FIFO) lock",
        contest(
            Lock::builder().fairness(Fairness::Fifo).lock(()),
            hold,
            budget,
        )?,
    );
    r.note(
        "An unfair lock lets the releasing thread barge straight back in while the woken waiter \
         is still getting up, so the polite thread gets fewer turns the less fair the lock is. \
         threadkit's default lock is eventually fair (a waiter that has waited long is handed \
         the lock); a FIFO lock always hands it to the longest waiter.",
    );
    Ok(())
}
