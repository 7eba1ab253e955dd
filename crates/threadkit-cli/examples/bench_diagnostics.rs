//! Runs the `diagnostics` benchmark cases directly (median of 5 samples
//! each), for quick measurements while developing; `threadkit bench` is the
//! real runner.

#[allow(dead_code)]
#[path = "../src/bench/case.rs"]
mod case;
#[path = "../src/bench/diagnostics.rs"]
mod diagnostics;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    for mut c in diagnostics::cases() {
        if filter.as_deref().is_some_and(|f| !c.case.contains(f)) {
            continue;
        }
        let mut v: Vec<f64> = (0..5).map(|_| (c.sample)(case::Scale { quick })).collect();
        v.sort_by(f64::total_cmp);
        println!(
            "{:<42} {:<24} {:>14.2} {}",
            c.case,
            c.imp,
            v[2],
            c.unit.as_str()
        );
    }
}
