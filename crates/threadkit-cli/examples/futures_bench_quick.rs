//! Temporary harness: runs the `futures` bench group without the CLI runner.
#![allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../src/bench/case.rs"]
mod case;
#[path = "../src/bench/futures.rs"]
mod futures;
mod bench {
    pub(crate) use super::{case, futures};
}
fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let quick = std::env::args().any(|a| a == "--quick");
    for mut c in bench::futures::cases() {
        if !format!("{} {}", c.case, c.imp).contains(&filter) {
            continue;
        }
        let mut v: Vec<f64> = (0..3)
            .map(|_| (c.sample)(bench::case::Scale { quick }))
            .collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{:45} {:12} {:>12.3e} {}",
            c.case,
            c.imp,
            v[1],
            c.unit.as_str()
        );
    }
}
