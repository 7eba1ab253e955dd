//! `pool`: the seeds' ThreadPoolExecutor: `map`, `submit` + `as_completed`,
//! and `result` with a 0.5 s timeout that times out.

use std::time::{Duration, Instant};

use threadkit::{FutureError, ThreadPoolExecutor, as_completed};

use super::work::secs;
use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "pool",
    summary: "ThreadPoolExecutor: map, submit + as_completed, result(timeout=0.5) timing out",
    flags: "--threads N workers, --orders N tasks, --latency-ms MS per task",
    run,
};

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let workers = p.threads.unwrap_or(3) as usize;
    let tasks = p.orders.unwrap_or(5);
    let latency = p.latency(200, 10);
    let pool = ThreadPoolExecutor::builder()
        .max_workers(workers)
        .thread_name_prefix("pool")
        .build()
        .map_err(err)?;

    // map: results in input order, whatever order the tasks finish in.
    let t = Instant::now();
    let squares = pool
        .map(
            move |n: u64| {
                std::thread::sleep(latency);
                n * n
            },
            0..tasks,
        )
        .map_err(err)?
        .collect::<Result<Vec<u64>, FutureError>>()
        .map_err(err)?;
    r.note(format!(
        "map(square, range({tasks})) -> {squares:?} (input order)"
    ));
    r.seconds(
        format!("map: {tasks} tasks of {latency:?} on {workers} workers"),
        secs(t),
        None,
    );

    // submit + as_completed: the shortest task first.
    let futures = (0..tasks)
        .map(|i| {
            let d = latency * (tasks - i) as u32 / tasks as u32;
            pool.submit(move || {
                std::thread::sleep(d);
                i
            })
            .map_err(err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut order = Vec::new();
    for f in as_completed(&futures) {
        order.push(*f.map_err(err)?.result().map_err(err)?);
    }
    r.note(format!(
        "submit + as_completed: task ids in completion order {order:?} (later tasks were shorter)"
    ));

    // result(timeout=0.5) on a task that takes longer.
    let slow_for = Duration::from_millis(p.pick(1000, 200));
    let wait = Duration::from_millis(p.pick(500, 50));
    let slow = pool
        .submit(move || {
            std::thread::sleep(slow_for);
            "done"
        })
        .map_err(err)?;
    let t = Instant::now();
    match slow.result_timeout(wait) {
        Err(e @ FutureError::Timeout) => {
            r.seconds(
                format!("result(timeout={wait:?}) on a {slow_for:?} task gave up after"),
                secs(t),
                None,
            );
            r.note(format!("  error: {e}"));
        }
        other => return Err(format!("expected a timeout, got {other:?}")),
    }
    r.note(format!(
        "The task itself still finishes: {:?}",
        slow.result().map_err(err)?
    ));
    Ok(())
}
