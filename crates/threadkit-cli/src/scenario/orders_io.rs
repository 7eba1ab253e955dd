//! `orders-io`: orders that wait on I/O (a 1 s sleep) overlap on threads.

use std::sync::Arc;
use std::time::Instant;

use threadkit::Gil;

use super::work::{on_threads, secs};
use super::{Params, Scenario};
use crate::report::{Report, seeds};

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "orders-io",
    summary: "orders that each wait 1 s: one after the other vs one thread each",
    flags: "--orders N, --latency-ms MS",
    run,
};

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let orders = p.orders.unwrap_or(2) as usize;
    let latency = p.latency(1000, 50);
    r.note(format!(
        "The seed's process_order(id) sleeps 1 s (I/O); here each order waits {latency:?}."
    ));
    let process = || std::thread::sleep(latency);

    let t = Instant::now();
    process();
    r.seconds("1 order on 1 thread", secs(t), seeds::python_s(1.04));

    let t = Instant::now();
    for _ in 0..orders {
        process();
    }
    r.seconds(
        format!("{orders} orders one after the other"),
        secs(t),
        None,
    );

    let t = Instant::now();
    on_threads(orders, move || std::thread::sleep(latency))?;
    r.seconds(
        format!("{orders} orders on {orders} threads"),
        secs(t),
        if orders == 2 {
            seeds::python_s(1.03)
        } else {
            None
        },
    );

    let gil = Arc::new(Gil::new());
    let t = Instant::now();
    on_threads(orders, move || gil.acquire().sleep(latency))?;
    r.seconds(
        format!("{orders} orders on {orders} threads under the Gil model"),
        secs(t),
        None,
    );
    r.note(
        "Waiting is not computing: sleep releases even CPython's GIL, so I/O-bound orders overlap.",
    );
    Ok(())
}
