//! Runs the `sync` lock benchmark cases directly (median of 5 samples each),
//! for quick measurements while developing; `threadkit bench` is the real
//! runner.

#[allow(dead_code)]
#[path = "../src/bench/case.rs"]
mod case;
#[path = "../src/bench/sync_locks.rs"]
mod sync_locks;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    for mut c in sync_locks::cases() {
        if filter.as_deref().is_some_and(|f| !c.case.contains(f)) {
            continue;
        }
        let mut v: Vec<f64> = (0..5).map(|_| (c.sample)(case::Scale { quick })).collect();
        v.sort_by(f64::total_cmp);
        println!(
            "{:<32} {:<12} {:>14.2} {}",
            c.case,
            c.imp,
            v[2],
            c.unit.as_str()
        );
    }
}
