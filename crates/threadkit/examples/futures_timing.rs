//! Quick timing of the executor (the real benchmarks are `threadkit bench futures`).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use threadkit::ThreadPoolExecutor;

fn main() {
    let n = 1_000_000u64;
    for _ in 0..3 {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(2)
            .build()
            .unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let t0 = Instant::now();
        for _ in 0..n {
            let d = done.clone();
            pool.execute(move || {
                d.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
        }
        pool.shutdown(true, false);
        let dt = t0.elapsed();
        assert_eq!(done.load(Ordering::Relaxed) as u64, n);
        println!(
            "execute: {:.2} M tasks/s",
            n as f64 / dt.as_secs_f64() / 1e6
        );

        let pool = ThreadPoolExecutor::builder()
            .max_workers(2)
            .build()
            .unwrap();
        let t0 = Instant::now();
        let fs: Vec<_> = (0..n).map(|i| pool.submit(move || i).unwrap()).collect();
        let mut s = 0;
        for f in fs {
            s += f.into_result().unwrap();
        }
        let dt = t0.elapsed();
        assert_eq!(s, n * (n - 1) / 2);
        println!(
            "submit all, wait all: {:.2} M/s",
            n as f64 / dt.as_secs_f64() / 1e6
        );

        let pool = ThreadPoolExecutor::builder()
            .max_workers(2)
            .build()
            .unwrap();
        pool.submit(|| 0).unwrap().result().unwrap();
        let m = 100_000;
        let t0 = Instant::now();
        for i in 0..m {
            pool.submit(move || i).unwrap().into_result().unwrap();
        }
        let dt = t0.elapsed();
        println!("round trip: {:.2} us", dt.as_secs_f64() * 1e6 / m as f64);
    }
}
