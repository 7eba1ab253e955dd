//! Runs the `sync` signalling benchmark cases (Semaphore, Event) directly,
//! median of 5 samples each, for quick measurements while developing;
//! `threadkit bench` is the real runner. An optional argument filters the
//! cases by name; `--quick` scales the work down.

#[allow(dead_code)]
#[path = "../src/bench/case.rs"]
mod case;
#[path = "../src/bench/sync_signals.rs"]
mod sync_signals;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    for mut c in sync_signals::cases() {
        if filter.as_deref().is_some_and(|f| !c.case.contains(f)) {
            continue;
        }
        let mut v: Vec<f64> = (0..5).map(|_| (c.sample)(case::Scale { quick })).collect();
        v.sort_by(f64::total_cmp);
        println!(
            "{:<40} {:<12} {:>12.1} {}",
            c.case,
            c.imp,
            v[2],
            c.unit.as_str()
        );
    }
}
