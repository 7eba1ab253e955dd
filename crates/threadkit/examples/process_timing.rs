use std::time::Instant;
use threadkit::process::{Function, ProcessPool, Registry};
fn square(x: u64) -> u64 { x.wrapping_mul(x) }
fn burn(n: u64) -> u64 { let mut x = n; for i in 0..n { x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i)); } x }
const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
const BURN: Function<u64, u64> = threadkit::process_fn!(burn);
fn main() {
    threadkit::process::init(Registry::new().register(SQUARE).register(BURN)).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let pool = ProcessPool::with_workers(2).unwrap();
        assert_eq!(pool.submit(SQUARE, 3).unwrap().result().unwrap(), 9);
        drop(pool);
        println!("start+first+shutdown: {:?}", t.elapsed());
    }
    let pool = ProcessPool::with_workers(2).unwrap();
    for _ in 0..3 {
        let n = 20000;
        let t = Instant::now();
        let tasks: Vec<_> = (0..n).map(|i| pool.submit(SQUARE, i).unwrap()).collect();
        for f in &tasks { f.result().unwrap(); }
        println!("throughput: {:.0} tasks/s", n as f64 / t.elapsed().as_secs_f64());
    }
    let p1 = ProcessPool::with_workers(1).unwrap();
    for _ in 0..3 {
        let n = 2000;
        let t = Instant::now();
        for i in 0..n { p1.submit(SQUARE, i).unwrap().result().unwrap(); }
        println!("round trip: {:.1} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    let work = vec![30_000_000u64; 8];
    let t = Instant::now(); p1.map_chunked(BURN, work.clone(), 1).unwrap(); let t1 = t.elapsed().as_secs_f64();
    let t = Instant::now(); pool.map_chunked(BURN, work.clone(), 1).unwrap(); let t2 = t.elapsed().as_secs_f64();
    println!("map: 1w {t1:.3}s 2w {t2:.3}s ratio {:.2}", t1 / t2);
}
