//! The course's starvation example: a greedy thread re-takes the lock as
//! soon as it lets go, a polite one sleeps after each turn. Counted for a
//! second with the default lock and with a FIFO (fair) lock.
//!
//! Run with `cargo run -p threadkit --example starvation`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use threadkit::{Fairness, Lock, Thread, ThreadError};

fn contest(lock: Lock) -> Result<(u64, u64), ThreadError> {
    let lock = Arc::new(lock);
    let stop = Arc::new(AtomicBool::new(false));
    let turns = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let hold = Duration::from_millis(10);
    let threads = (0..2)
        .map(|who| {
            let (lock, stop, turns) = (lock.clone(), stop.clone(), turns.clone());
            Thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    {
                        let _resource = lock.acquire();
                        turns[who].fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(hold);
                    }
                    if who == 1 {
                        std::thread::sleep(hold); // the polite thread steps back
                    }
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join()?;
    }
    Ok((
        turns[0].load(Ordering::Relaxed),
        turns[1].load(Ordering::Relaxed),
    ))
}

fn main() -> Result<(), ThreadError> {
    let (g, p) = contest(Lock::new(()))?;
    println!("default lock: greedy {g} turns, polite {p} turns");
    let fair = Lock::builder().fairness(Fairness::Fifo).lock(());
    let (g, p) = contest(fair)?;
    println!("FIFO lock:    greedy {g} turns, polite {p} turns");
    Ok(())
}
