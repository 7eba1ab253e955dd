//! Group `process`: worker processes (`ProcessPool`) against CPython's
//! `ProcessPoolExecutor` / `multiprocessing.Pool` (python/bench_process.py).
//!
//! Workers re-execute the `threadkit` binary, so its `main` must call
//! `threadkit::process::init(bench::process::registry())` first thing.
//!
//! Scenarios (the same in the Python script):
//! - "pool start + first result + shutdown (2 workers)": create a 2-worker
//!   pool, one task, its result, shut down and reap (us);
//! - "small tasks submitted together (2 workers)": N tiny tasks submitted at
//!   once to a running pool, then every result (tasks/s);
//! - "single round trip": one tiny task, submit then result, one at a time
//!   (us per task);
//! - "CPU-bound map speed-up, 2 workers vs 1": `map` of 8 CPU-bound items on
//!   a 1-worker pool divided by the same on a 2-worker pool (x).

use std::time::Instant;

use threadkit::process::{Function, ProcessPool, Registry};

use super::case::{Case, Scale, Unit};

fn square(x: u64) -> u64 {
    x.wrapping_mul(x)
}

/// A CPU-bound job: `n` rounds of a multiply-add chain.
fn burn(n: u64) -> u64 {
    let mut x = n;
    for i in 0..n {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}

const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
const BURN: Function<u64, u64> = threadkit::process_fn!(burn);

/// The functions the benchmark's workers run; pass it to
/// `threadkit::process::init` at the start of `main`.
pub(crate) fn registry() -> Registry {
    Registry::new().register(SQUARE).register(BURN)
}

const GROUP: &str = "process";
const START: &str = "pool start + first result + shutdown (2 workers)";
const THROUGHPUT: &str = "small tasks submitted together (2 workers)";
const ROUND_TRIP: &str = "single round trip";
const MAP: &str = "CPU-bound map speed-up, 2 workers vs 1";

fn start_sample(_: Scale) -> f64 {
    let t = Instant::now();
    let pool = ProcessPool::with_workers(2).expect("pool");
    let r = pool.submit(SQUARE, 3).expect("submit");
    assert_eq!(*r.result().expect("result"), 9);
    drop(pool);
    t.elapsed().as_secs_f64() * 1e6
}

fn lazy_pool(slot: &mut Option<ProcessPool>, workers: usize) -> &ProcessPool {
    slot.get_or_insert_with(|| ProcessPool::with_workers(workers).expect("pool"))
}

/// The cases of the group.
pub(crate) fn cases() -> Vec<Case> {
    let mut pool_a: Option<ProcessPool> = None;
    let mut pool_b: Option<ProcessPool> = None;
    let mut one: Option<ProcessPool> = None;
    let mut two: Option<ProcessPool> = None;
    vec![
        Case::new(GROUP, START, "threadkit", Unit::Us, start_sample),
        Case::new(
            GROUP,
            THROUGHPUT,
            "threadkit",
            Unit::TasksPerSec,
            move |s| {
                let pool = lazy_pool(&mut pool_a, 2);
                let n = s.n(20_000);
                let t = Instant::now();
                let tasks: Vec<_> = (0..n)
                    .map(|i| pool.submit(SQUARE, i).expect("submit"))
                    .collect();
                let mut sum = 0u64;
                for f in &tasks {
                    sum = sum.wrapping_add(*f.result().expect("result"));
                }
                std::hint::black_box(sum);
                n as f64 / t.elapsed().as_secs_f64()
            },
        ),
        Case::new(GROUP, ROUND_TRIP, "threadkit", Unit::Us, move |s| {
            let pool = lazy_pool(&mut pool_b, 1);
            let n = s.n(2_000);
            let t = Instant::now();
            for i in 0..n {
                let f = pool.submit(SQUARE, i).expect("submit");
                std::hint::black_box(*f.result().expect("result"));
            }
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        }),
        Case::new(GROUP, MAP, "threadkit", Unit::Ratio, move |s| {
            let work = vec![s.n(30_000_000); 8];
            let time = |pool: &ProcessPool| {
                let t = Instant::now();
                let out = pool.map_chunked(BURN, work.clone(), 1).expect("map");
                std::hint::black_box(out);
                t.elapsed().as_secs_f64()
            };
            let t1 = time(lazy_pool(&mut one, 1));
            let t2 = time(lazy_pool(&mut two, 2));
            t1 / t2
        }),
    ]
}
