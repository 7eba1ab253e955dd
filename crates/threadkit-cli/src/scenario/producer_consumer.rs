//! `producer-consumer`: the seeds' producer and consumer over a Queue, with
//! a `None` sentinel, and with `task_done` / `join`.

use std::time::Instant;

use threadkit::{Queue, Thread};

use super::work::secs;
use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "producer-consumer",
    summary: "a Queue with a None sentinel, then with task_done/join",
    flags: "--orders N items, --threads N consumers, --latency-ms MS per item",
    run,
};

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let items = p.orders.unwrap_or(5) as u32;
    let consumers = p.threads.unwrap_or(3) as usize;
    let work = p.latency(100, 5);

    // 1. The seed: the producer puts 0..5 then None; the consumer stops at None.
    let q: Queue<Option<u32>> = Queue::new();
    let producer = {
        let q = q.clone();
        Thread::spawn(move || -> Result<(), String> {
            for i in 0..items {
                q.put(Some(i)).map_err(err)?;
            }
            q.put(None).map_err(err)
        })
        .map_err(err)?
    };
    let consumer = {
        let q = q.clone();
        Thread::spawn(move || -> Result<Vec<u32>, String> {
            let mut got = Vec::new();
            while let Some(item) = q.get().map_err(err)? {
                got.push(item);
            }
            Ok(got)
        })
        .map_err(err)?
    };
    producer.join().map_err(err)??;
    let got = consumer.join().map_err(err)??;
    r.note(format!(
        "Sentinel: the consumer got {got:?}, then None, and stopped."
    ));
    r.measure(
        "items consumed (sentinel version)",
        got.len() as f64,
        "count",
        None,
    );

    // 2. task_done/join: daemon-style workers; the producer waits for the
    // queue to be fully processed, not for the workers.
    let q: Queue<u32> = Queue::new();
    let t = Instant::now();
    for _ in 0..consumers {
        let q = q.clone();
        let worker = threadkit::Builder::new().daemon(true).build(move || {
            while let Ok(_item) = q.get() {
                std::thread::sleep(work);
                if q.task_done().is_err() {
                    return;
                }
            }
        });
        worker.start().map_err(err)?;
    }
    for i in 0..items {
        q.put(i).map_err(err)?;
    }
    q.join();
    let elapsed = secs(t);
    r.seconds(
        format!("{items} items of {work:?} each on {consumers} workers, until join() returned"),
        elapsed,
        None,
    );
    r.measure(
        "unfinished tasks after join()",
        q.unfinished_tasks() as f64,
        "count",
        None,
    );
    // Let the daemon workers go: shutting the queue down wakes their get().
    q.shutdown(false);
    Ok(())
}
