//! `subclass`: the seeds' `OrderProcessing(Thread)` and `FibonacciThread`
//! as `Run` types, with Python's thread attributes.

use std::time::{Duration, Instant};

use threadkit::{Builder, Run, Thread};

use super::work::secs;
use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "subclass",
    summary: "the seeds' OrderProcessing and FibonacciThread subclasses as Run types",
    flags: "--latency-ms MS",
    run,
};

/// `class OrderProcessing(Thread)`: processes one order in `run()`.
struct OrderProcessing {
    order_id: u32,
    latency: Duration,
}

impl Run for OrderProcessing {
    type Output = String;
    fn run(self) -> String {
        let me = threadkit::current_thread();
        std::thread::sleep(self.latency);
        format!("{} processed order with id={}", me.name(), self.order_id)
    }
}

/// `class FibonacciThread(Thread)`: computes fib(num); join hands it back.
struct FibonacciThread {
    num: usize,
}

impl Run for FibonacciThread {
    type Output = u64;
    fn run(self) -> u64 {
        let (mut a, mut b) = (0u64, 1u64);
        for _ in 0..self.num {
            (a, b) = (b, a.wrapping_add(b));
        }
        a
    }
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let latency = p.latency(1000, 50);
    r.note("class OrderProcessing(Thread) with run(): here a type implementing `Run`.");
    let t = Instant::now();
    let orders: Vec<Thread<String>> = [10, 20]
        .into_iter()
        .map(|id| {
            Builder::new()
                .name(format!("order-{id}"))
                .build(OrderProcessing {
                    order_id: id,
                    latency,
                })
        })
        .collect();
    for o in &orders {
        r.note(format!(
            "{}: is_alive() before start = {}",
            o.name(),
            o.is_alive()
        ));
        o.start().map_err(|e| e.to_string())?;
    }
    for o in orders {
        let ident = o.ident();
        let line = o.join().map_err(|e| e.to_string())?;
        r.note(format!("{line} (ident {})", ident.unwrap_or(0)));
    }
    r.seconds("2 OrderProcessing threads", secs(t), None);

    r.note("class FibonacciThread(Thread): the result comes back from join() (Python can only print it).");
    let fibs: Vec<(usize, Thread<u64>)> = [9usize, 12, 50]
        .into_iter()
        .map(|n| (n, Thread::new(FibonacciThread { num: n })))
        .collect();
    for (_, f) in &fibs {
        f.start().map_err(|e| e.to_string())?;
    }
    for (n, f) in fibs {
        let v = f.join().map_err(|e| e.to_string())?;
        r.measure(
            format!("fib({n}) from a FibonacciThread"),
            v as f64,
            "count",
            None,
        );
    }
    Ok(())
}
