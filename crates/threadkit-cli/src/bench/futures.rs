//! Group `futures`: the thread pool and its futures against the pools a Rust
//! user would pick instead (a hand-rolled crossbeam-channel pool, the
//! `threadpool` crate, rayon) and CPython's `ThreadPoolExecutor`
//! (`python/bench_futures.py`). Every pool has 2 workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use super::case::{Case, Scale, Unit};

const GROUP: &str = "futures";
const FIRE: &str = "1M tiny tasks, 2 workers (fire-and-forget)";
const ALL: &str = "submit 1M tasks then wait on every result";
const ROUND: &str = "one submit -> result round trip";
const WORKERS: usize = 2;

/// The cases of the group.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case::new(GROUP, FIRE, "threadkit", Unit::TasksPerSec, fire_threadkit),
        Case::new(GROUP, FIRE, "crossbeam", Unit::TasksPerSec, fire_crossbeam),
        Case::new(
            GROUP,
            FIRE,
            "threadpool",
            Unit::TasksPerSec,
            fire_threadpool,
        ),
        Case::new(
            GROUP,
            FIRE,
            "rayon spawn",
            Unit::TasksPerSec,
            fire_rayon_spawn,
        ),
        Case::new(
            GROUP,
            FIRE,
            "rayon scope",
            Unit::TasksPerSec,
            fire_rayon_scope,
        ),
        Case::new(GROUP, ALL, "threadkit", Unit::TasksPerSec, all_threadkit),
        Case::new(GROUP, ALL, "crossbeam", Unit::TasksPerSec, all_crossbeam),
        Case::new(GROUP, ROUND, "threadkit", Unit::Us, round_threadkit),
        Case::new(GROUP, ROUND, "crossbeam", Unit::Us, round_crossbeam),
        Case::new(GROUP, ROUND, "rayon spawn", Unit::Us, round_rayon),
    ]
}

fn rate(n: u64, t0: Instant) -> f64 {
    n as f64 / t0.elapsed().as_secs_f64()
}

fn threadkit_pool() -> threadkit::ThreadPoolExecutor {
    let pool = threadkit::ThreadPoolExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .expect("2 workers is valid");
    // Start both workers before timing.
    let b = Arc::new(std::sync::Barrier::new(WORKERS));
    let fs: Vec<_> = (0..WORKERS)
        .map(|_| {
            let b = b.clone();
            pool.submit(move || {
                b.wait();
            })
            .expect("pool is open")
        })
        .collect();
    for f in fs {
        f.result().expect("warm-up task");
    }
    pool
}

fn fire_threadkit(s: Scale) -> f64 {
    let n = s.n(1_000_000);
    let pool = threadkit_pool();
    let done = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    for _ in 0..n {
        let d = done.clone();
        pool.execute(move || {
            d.fetch_add(1, Ordering::Relaxed);
        })
        .expect("pool is open");
    }
    pool.shutdown(true, false);
    let r = rate(n, t0);
    assert_eq!(done.load(Ordering::Relaxed) as u64, n);
    r
}

type BoxedJob = Box<dyn FnOnce() + Send>;

/// The hand-rolled pool: an unbounded crossbeam channel of boxed closures.
struct CrossbeamPool {
    tx: Option<crossbeam_channel::Sender<BoxedJob>>,
    workers: Vec<JoinHandle<()>>,
}

impl CrossbeamPool {
    fn new() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded::<BoxedJob>();
        let workers = (0..WORKERS)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || {
                    for job in rx {
                        job();
                    }
                })
            })
            .collect();
        CrossbeamPool {
            tx: Some(tx),
            workers,
        }
    }

    fn execute(&self, f: impl FnOnce() + Send + 'static) {
        if let Some(tx) = &self.tx {
            tx.send(Box::new(f)).expect("workers alive");
        }
    }

    /// A task plus a one-slot channel as its future.
    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> crossbeam_channel::Receiver<T> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.execute(move || {
            let _ = tx.send(f());
        });
        rx
    }

    fn join(mut self) {
        self.tx = None;
        for w in self.workers.drain(..) {
            w.join().expect("worker");
        }
    }
}

fn fire_crossbeam(s: Scale) -> f64 {
    let n = s.n(1_000_000);
    let pool = CrossbeamPool::new();
    let done = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    for _ in 0..n {
        let d = done.clone();
        pool.execute(move || {
            d.fetch_add(1, Ordering::Relaxed);
        });
    }
    pool.join();
    let r = rate(n, t0);
    assert_eq!(done.load(Ordering::Relaxed) as u64, n);
    r
}

fn fire_threadpool(s: Scale) -> f64 {
    let n = s.n(1_000_000);
    let pool = threadpool::ThreadPool::new(WORKERS);
    let done = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    for _ in 0..n {
        let d = done.clone();
        pool.execute(move || {
            d.fetch_add(1, Ordering::Relaxed);
        });
    }
    pool.join();
    let r = rate(n, t0);
    assert_eq!(done.load(Ordering::Relaxed) as u64, n);
    r
}

fn rayon_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .expect("rayon pool")
}

fn fire_rayon_spawn(s: Scale) -> f64 {
    let n = s.n(1_000_000);
    let pool = rayon_pool();
    let done = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = crossbeam_channel::bounded::<()>(1);
    let t0 = Instant::now();
    for _ in 0..n {
        let d = done.clone();
        let tx = tx.clone();
        pool.spawn(move || {
            if d.fetch_add(1, Ordering::Relaxed) + 1 == n as usize {
                let _ = tx.send(());
            }
        });
    }
    rx.recv().expect("last task signals");
    let r = rate(n, t0);
    assert_eq!(done.load(Ordering::Relaxed) as u64, n);
    r
}

fn fire_rayon_scope(s: Scale) -> f64 {
    let n = s.n(1_000_000);
    let pool = rayon_pool();
    let done = AtomicUsize::new(0);
    let t0 = Instant::now();
    pool.scope(|sc| {
        for _ in 0..n {
            let d = &done;
            sc.spawn(move |_| {
                d.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    let r = rate(n, t0);
    assert_eq!(done.load(Ordering::Relaxed) as u64, n);
    r
}

fn all_threadkit(s: Scale) -> f64 {
    let n = s.n(1_000_000);
    let pool = threadkit_pool();
    let t0 = Instant::now();
    let fs: Vec<_> = (0..n)
        .map(|i| pool.submit(move || i).expect("pool is open"))
        .collect();
    let mut sum = 0;
    for f in fs {
        sum += f.into_result().expect("task ran");
    }
    let r = rate(n, t0);
    assert_eq!(sum, n * (n - 1) / 2);
    r
}

fn all_crossbeam(s: Scale) -> f64 {
    let n = s.n(1_000_000);
    let pool = CrossbeamPool::new();
    let t0 = Instant::now();
    let fs: Vec<_> = (0..n).map(|i| pool.submit(move || i)).collect();
    let mut sum = 0;
    for f in fs {
        sum += f.recv().expect("task ran");
    }
    let r = rate(n, t0);
    pool.join();
    assert_eq!(sum, n * (n - 1) / 2);
    r
}

fn round_threadkit(s: Scale) -> f64 {
    let m = s.n(100_000);
    let pool = threadkit_pool();
    let t0 = Instant::now();
    for i in 0..m {
        let v = pool.submit(move || i).expect("pool is open").into_result();
        assert_eq!(v, Ok(i));
    }
    t0.elapsed().as_secs_f64() * 1e6 / m as f64
}

fn round_crossbeam(s: Scale) -> f64 {
    let m = s.n(100_000);
    let pool = CrossbeamPool::new();
    let t0 = Instant::now();
    for i in 0..m {
        assert_eq!(pool.submit(move || i).recv(), Ok(i));
    }
    let r = t0.elapsed().as_secs_f64() * 1e6 / m as f64;
    pool.join();
    r
}

fn round_rayon(s: Scale) -> f64 {
    let m = s.n(100_000);
    let pool = rayon_pool();
    let t0 = Instant::now();
    for i in 0..m {
        let (tx, rx) = crossbeam_channel::bounded(1);
        pool.spawn(move || {
            let _ = tx.send(i);
        });
        assert_eq!(rx.recv(), Ok(i));
    }
    t0.elapsed().as_secs_f64() * 1e6 / m as f64
}
