//! `starvation`: the seed's greedy and polite threads sharing one Lock,
//! with the default lock and with a FIFO (fair) lock: acquisition counts.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use threadkit::{Fairness, Lock, Thread};

use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "starvation",
    summary: "greedy vs polite thread on one Lock, default vs fair: acquisition counts",
    flags: "--latency-ms MS (hold time), --budget-ms MS",
    run,
};

/// Runs both threads for `budget`; returns (greedy, polite) acquisitions.
fn contest(lock: Lock, hold: Duration, budget: Duration) -> Result<(u64, u64), String> {
    let lock = Arc::new(lock);
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let spawn = |who: usize| {
        let (lock, stop, counts) = (lock.clone(), stop.clone(), counts.clone());
        Thread::spawn(move || {
            // Relaxed: a stop flag; the join below orders the counts.
            while !stop.load(Ordering::Relaxed) {
                {
                    let _g = lock.acquire();
                    counts[who].fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(hold);
                }
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
    for (label, lock) in [
        ("default lock", Lock::new(())),
        (
            "fair (FIFO) lock",
            Lock::builder().fairness(Fairness::Fifo).lock(()),
        ),
    ] {
        let (greedy, polite) = contest(lock, hold, budget)?;
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
    }
    r.note(
        "A FIFO lock hands itself to the longest waiter, so the polite thread gets its turn \
         whenever it asks; the default lock lets a releasing thread barge back in (faster, but \
         it only guarantees fairness eventually).",
    );
    Ok(())
}
