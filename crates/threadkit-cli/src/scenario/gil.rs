//! `gil`: CPU-bound threads with and without the `Gil` model; the speed-up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use threadkit::Gil;

use super::work::{iterations_for, on_threads, secs, spin, spin_with_gil};
use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "gil",
    summary: "four CPU-bound threads with and without the Gil model: the speed-up table",
    flags: "--threads N, --work-ms MS, --interval-ms MS",
    run,
};

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let threads = p.threads.unwrap_or(4) as usize;
    let work = p.work(250, 20);
    let n = iterations_for(work);
    let interval = Duration::from_millis(p.interval_ms.unwrap_or(5));
    r.note(format!(
        "The seed runs 4 threads of a CPU-bound count under CPython: no faster than one thread. \
         Each thread here loops {n} times (about {work:?}); speed-up = sequential time / elapsed."
    ));

    let t = Instant::now();
    for _ in 0..threads {
        std::hint::black_box(spin(n));
    }
    let sequential = secs(t);
    r.seconds(
        format!("{threads} loops one after the other"),
        sequential,
        None,
    );

    let mut table = String::from("threads | free-running | under the Gil model\n");
    let mut counts: Vec<usize> = vec![1, 2, threads];
    counts.retain(|&c| c <= threads);
    counts.sort_unstable();
    counts.dedup();
    for &k in &counts {
        let seq_k = sequential * k as f64 / threads as f64;
        let t = Instant::now();
        on_threads(k, move || {
            std::hint::black_box(spin(n));
        })?;
        let free = seq_k / secs(t);

        let gil = Arc::new(Gil::new());
        gil.set_switch_interval(interval)
            .map_err(|e| e.to_string())?;
        let g2 = Arc::clone(&gil);
        let t = Instant::now();
        on_threads(k, move || {
            let mut g = g2.acquire();
            std::hint::black_box(spin_with_gil(n, &mut g));
        })?;
        let with_gil = seq_k / secs(t);
        table.push_str(&format!("{k:>7} | {free:>11.2}x | {with_gil:>18.2}x\n"));
        r.measure(
            format!("speed-up, {k} threads, free-running"),
            free,
            "x",
            None,
        );
        r.measure(
            format!("speed-up, {k} threads, under the Gil model"),
            with_gil,
            "x",
            None,
        );
    }
    r.note(table);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    r.note(format!(
        "Free-running threads scale up to the {cores} core(s) of this machine; under the Gil \
         model the speed-up stays at about 1x whatever the thread count."
    ));
    Ok(())
}
