//! `livelock`: two polite threads that keep stepping aside for each other
//! (bounded in time), and the fix: randomised back-off.

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "livelock",
    summary: "two threads politely back off forever (bounded), then randomised back-off fixes it",
    flags: "--budget-ms MS",
    run,
};

/// A tiny xorshift generator: each thread its own, seeded differently.
struct Rng(u64);

impl Rng {
    fn coin(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 & 1 == 1
    }
}

/// Two threads each need the shared corridor. Per round: raise my flag if I
/// try this round; meet; if the other raised too, step back. Both threads
/// move in lockstep (as two people mirroring each other do), so a fixed
/// back-off never breaks the tie. Returns (rounds, who got through).
fn corridor(budget: Duration, randomised: bool) -> (u64, Option<usize>) {
    let flags = [AtomicBool::new(false), AtomicBool::new(false)];
    let meet = Barrier::new(2);
    let done = AtomicBool::new(false);
    let start = Instant::now();
    let results: Vec<(u64, bool)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|me| {
                let (flags, meet, done) = (&flags, &meet, &done);
                s.spawn(move || {
                    let mut rng =
                        Rng(0x9E37_79B9_7F4A_7C15
                            ^ (me as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
                    let mut rounds = 0;
                    loop {
                        rounds += 1;
                        let trying = !randomised || rng.coin();
                        // SeqCst: the two flags are read after the barrier,
                        // which already orders them; kept simple on purpose.
                        flags[me].store(trying, Ordering::SeqCst);
                        meet.wait();
                        let other = flags[1 - me].load(Ordering::SeqCst);
                        let through = trying && !other;
                        // Decide together whether to stop, so both leave the
                        // loop in the same round.
                        if through || start.elapsed() >= budget {
                            done.store(true, Ordering::SeqCst);
                        }
                        meet.wait();
                        if done.load(Ordering::SeqCst) {
                            return (rounds, through);
                        }
                        // Polite: step aside for a moment, then try again.
                        flags[me].store(false, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_micros(200));
                        meet.wait();
                    }
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or((0, false)))
            .collect()
    });
    let rounds = results.iter().map(|r| r.0).max().unwrap_or(0);
    let winner = results.iter().position(|r| r.1);
    (rounds, winner)
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let budget = Duration::from_millis(p.budget_ms.unwrap_or(p.pick(1000, 100)));
    r.note(
        "The seed's table: a livelock is threads that keep changing state but make no progress. \
         Two threads meet in a corridor; each politely steps aside when the other comes, at the \
         same moment, forever.",
    );
    let t = Instant::now();
    let (rounds, winner) = corridor(budget, false);
    r.measure(
        "polite, fixed back-off: rounds",
        rounds as f64,
        "count",
        None,
    );
    r.measure(
        "polite, fixed back-off: threads that got through",
        winner.map_or(0.0, |_| 1.0),
        "count",
        None,
    );
    r.note(format!(
        "No progress in {:.2} s: stopped by the time budget, not by success.",
        t.elapsed().as_secs_f64()
    ));
    let t = Instant::now();
    let (rounds, winner) = corridor(budget, true);
    r.measure("randomised back-off: rounds", rounds as f64, "count", None);
    r.measure(
        "randomised back-off: threads that got through",
        winner.map_or(0.0, |_| 1.0),
        "count",
        None,
    );
    r.seconds(
        "randomised back-off: time to get through",
        t.elapsed().as_secs_f64(),
        None,
    );
    r.note("The fix: back off for a random time (or order the threads), so the tie breaks.");
    Ok(())
}
