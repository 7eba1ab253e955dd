//! `bank-account`: the seed's deposit 100 / withdraw 50 interleaving, step
//! by step, showing the lost update.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;

use threadkit::{Lock, Thread};

use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "bank-account",
    summary: "deposit 100 / withdraw 50 interleaved step by step: the lost update, then with a Lock",
    flags: "",
    run,
};

/// One step of a thread, run when the scheduler (the main thread) says so.
enum Step {
    Read,
    Write,
}

/// `balance = self.bal; self.bal = balance + amount` on its own thread,
/// one step per message from `go`; each step's line comes back on `log`.
fn account_op(
    name: &'static str,
    amount: i64,
    bal: &AtomicI64,
    go: mpsc::Receiver<Step>,
    log: mpsc::Sender<String>,
) {
    let mut balance = 0;
    while let Ok(step) = go.recv() {
        let line = match step {
            Step::Read => {
                // Relaxed: the channel messages order the steps.
                balance = bal.load(Ordering::Relaxed);
                format!("{name} reads balance as {balance}")
            }
            Step::Write => {
                let new = balance + amount;
                bal.store(new, Ordering::Relaxed);
                format!(
                    "{name} computes {balance} {} {} = {new}, stores it and exits",
                    if amount < 0 { "-" } else { "+" },
                    amount.abs()
                )
            }
        };
        if log.send(line).is_err() {
            return;
        }
    }
}

fn run(_p: &Params, r: &mut Report) -> Result<(), String> {
    r.note(
        "The seed's BankAccount: deposit(100) and withdraw(50) each read the balance, then \
         write it back. The main thread schedules the two threads the way the seed's slides do:",
    );
    let bal = AtomicI64::new(0);
    let lines = std::thread::scope(|s| {
        let (go1, rx1) = mpsc::channel();
        let (go2, rx2) = mpsc::channel();
        let (log, logs) = mpsc::channel();
        let (l1, l2) = (log.clone(), log);
        let bal = &bal;
        s.spawn(move || account_op("Thread 1 (deposit 100)", 100, bal, rx1, l1));
        s.spawn(move || account_op("Thread 2 (withdraw 50)", -50, bal, rx2, l2));
        let mut lines = Vec::new();
        let mut step = |go: &mpsc::Sender<Step>, st: Step, extra: Option<&str>| {
            if go.send(st).is_ok() {
                if let Ok(l) = logs.recv() {
                    lines.push(l);
                }
            }
            if let Some(e) = extra {
                lines.push(e.to_string());
            }
        };
        step(
            &go1,
            Step::Read,
            Some("Thread 1 (deposit 100) gets suspended"),
        );
        step(&go2, Step::Read, None);
        step(
            &go2,
            Step::Write,
            Some("Thread 1 (deposit 100) gets switched back on the CPU"),
        );
        step(&go1, Step::Write, None);
        lines
    });
    for (i, l) in lines.iter().enumerate() {
        r.note(format!("{}. {l}", i + 1));
    }
    let final_balance = bal.load(Ordering::Relaxed);
    r.measure(
        "final balance (expected 50)",
        final_balance as f64,
        "count",
        None,
    );
    r.note(format!(
        "The withdrawal is lost: {final_balance} instead of 50. In Rust the seed's plain version \
         (two threads writing one `i64` through shared references) does not compile; the \
         interleaving above needs two separate atomic operations to be written at all."
    ));
    r.note(
        "With a Lock around each read-and-write, the same two threads cannot interleave inside \
         an operation: whoever comes second waits for the first to finish.",
    );
    let account = Arc::new(Lock::new(0i64));
    let ops = [100i64, -50]
        .into_iter()
        .map(|amount| {
            let account = Arc::clone(&account);
            Thread::spawn(move || {
                let mut bal = account.acquire();
                let balance = *bal;
                std::thread::yield_now(); // the suspension of the slides: harmless now
                *bal = balance + amount;
            })
            .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    for op in ops {
        op.join().map_err(|e| e.to_string())?;
    }
    let with_lock = *account.acquire();
    r.measure(
        "final balance with a Lock (expected 50)",
        with_lock as f64,
        "count",
        None,
    );
    Ok(())
}
