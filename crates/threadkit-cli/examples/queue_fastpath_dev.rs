//! Temporary: single-thread put+get cost (not committed).
use std::time::Instant;
fn main() {
    let n = 5_000_000u64;
    for round in 0..3 {
        let q = threadkit::Queue::with_maxsize(1024);
        let t = Instant::now();
        for i in 0..n { q.put(i).unwrap(); q.get().unwrap(); }
        let a = t.elapsed().as_nanos() as f64 / n as f64;
        let q = threadkit::Queue::new();
        let t = Instant::now();
        for i in 0..n { q.put(i).unwrap(); q.get().unwrap(); }
        let a2 = t.elapsed().as_nanos() as f64 / n as f64;
        let q = threadkit::SimpleQueue::new();
        let t = Instant::now();
        for i in 0..n { q.put(i); q.get().unwrap(); }
        let a3 = t.elapsed().as_nanos() as f64 / n as f64;
        let q = threadkit::Queue::with_maxsize(1024);
        let t = Instant::now();
        for i in 0..n { q.put(i).unwrap(); q.get().unwrap(); q.task_done().unwrap(); }
        let a4 = t.elapsed().as_nanos() as f64 / n as f64;
        let q = threadkit::LifoQueue::with_maxsize(1024);
        let t = Instant::now();
        for i in 0..n { q.put(i).unwrap(); q.get().unwrap(); }
        let a5 = t.elapsed().as_nanos() as f64 / n as f64;
        let (tx, rx) = crossbeam_channel::bounded(1024);
        let t = Instant::now();
        for i in 0..n { tx.send(i).unwrap(); rx.recv().unwrap(); }
        let b = t.elapsed().as_nanos() as f64 / n as f64;
        let (tx, rx) = crossbeam_channel::unbounded();
        let t = Instant::now();
        for i in 0..n { tx.send(i).unwrap(); rx.recv().unwrap(); }
        let b2 = t.elapsed().as_nanos() as f64 / n as f64;
        println!("round {round}: tk bounded {a:.1} ns, tk unbounded {a2:.1}, simple {a3:.1}, tk+task_done {a4:.1}, lifo {a5:.1} | cb bounded {b:.1}, cb unbounded {b2:.1}");
    }
}
