//! `orders-cpu`: CPU-bound orders run in parallel without a GIL, and
//! serialize under the `Gil` model exactly as the seed measured in CPython.

use std::sync::Arc;
use std::time::{Duration, Instant};

use threadkit::Gil;

use super::work::{iterations_for, on_threads, secs, spin, spin_with_gil};
use super::{Params, Scenario};
use crate::report::{Report, seeds};

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "orders-cpu",
    summary: "CPU-bound orders: sequential, on two threads, and on two threads under the Gil model",
    flags: "--orders N, --work-ms MS, --interval-ms MS",
    run,
};

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let orders = p.orders.unwrap_or(2) as usize;
    let work = p.work(1000, 50);
    let n = iterations_for(work);
    r.note(format!(
        "The seed's order loops `for _ in range(100_000_000): pass` (1.24 s in CPython); here a loop \
         of {n} iterations, calibrated to about {work:?} on this machine."
    ));

    let t = Instant::now();
    std::hint::black_box(spin(n));
    r.seconds(
        "1 CPU-bound order on 1 thread",
        secs(t),
        seeds::python_s(1.24),
    );

    let t = Instant::now();
    for _ in 0..orders {
        std::hint::black_box(spin(n));
    }
    r.seconds(
        format!("{orders} CPU-bound orders one after the other"),
        secs(t),
        None,
    );

    let t = Instant::now();
    on_threads(orders, move || {
        std::hint::black_box(spin(n));
    })?;
    let parallel = secs(t);
    r.seconds(
        format!("{orders} CPU-bound orders on {orders} threads"),
        parallel,
        if orders == 2 {
            seeds::python_s(2.57)
        } else {
            None
        },
    );

    let gil = Arc::new(Gil::new());
    if let Some(ms) = p.interval_ms {
        gil.set_switch_interval(Duration::from_millis(ms))
            .map_err(|e| e.to_string())?;
    }
    let t = Instant::now();
    let g2 = Arc::clone(&gil);
    on_threads(orders, move || {
        let mut g = g2.acquire();
        std::hint::black_box(spin_with_gil(n, &mut g));
    })?;
    r.seconds(
        format!("{orders} CPU-bound orders on {orders} threads under the Gil model"),
        secs(t),
        if orders == 2 {
            seeds::python_s(2.57)
        } else {
            None
        },
    );
    r.measure(
        "forced GIL switches",
        gil.forced_switches() as f64,
        "count",
        None,
    );
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    r.note(format!(
        "No GIL: the threads run on {cores} core(s) at once. Under the Gil model they take turns \
         every {:?} and the two orders cost what they cost one after the other, as in the seed.",
        gil.switch_interval()
    ));
    Ok(())
}
