//! Runs the `queue` benchmark cases directly, for quick measurements while
//! developing; `threadkit bench` is the real runner.
//!
//! Samples are interleaved (one sample of every selected case, then the
//! next round), so on a loaded machine the peers of a scenario see the same
//! load; the median of `SAMPLES` rounds (default 5) is printed.
//!
//! `cargo run --release -p threadkit-cli --example bench_queue -- [--quick] [FILTER...]`
//! where a FILTER matches `"<case> / <impl>"`.

#[allow(dead_code)]
#[path = "../src/bench/case.rs"]
mod case;
#[path = "../src/bench/queue.rs"]
mod queue;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let rounds: usize = std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let mut cases: Vec<_> = queue::cases()
        .into_iter()
        .filter(|c| {
            let name = format!("{} / {}", c.case, c.imp);
            filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
        })
        .collect();
    let mut values = vec![Vec::with_capacity(rounds); cases.len()];
    for _ in 0..rounds {
        for (c, v) in cases.iter_mut().zip(values.iter_mut()) {
            v.push((c.sample)(case::Scale { quick }));
        }
    }
    for (c, mut v) in cases.iter().zip(values) {
        v.sort_by(f64::total_cmp);
        let m = v[v.len() / 2];
        if c.unit.higher_is_better() {
            println!(
                "{:<40} {:<10} {:>10.2} M{}",
                c.case,
                c.imp,
                m / 1e6,
                c.unit.as_str()
            );
        } else {
            println!(
                "{:<40} {:<10} {:>10.0} {}",
                c.case,
                c.imp,
                m,
                c.unit.as_str()
            );
        }
    }
}
