//! Temporary dev harness (not committed): interleaved samples.
#[path = "../src/bench/case.rs"]
#[allow(dead_code)]
mod case;
#[path = "../src/bench/queue.rs"]
mod queue;

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).collect();
    let quick = std::env::var("QUICK").is_ok();
    let samples: usize = std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let mut cases: Vec<_> = queue::cases()
        .into_iter()
        .filter(|c| {
            let name = format!("{} / {}", c.case, c.imp);
            filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()))
        })
        .collect();
    let mut xs: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..samples {
        for (i, c) in cases.iter_mut().enumerate() {
            xs[i].push((c.sample)(case::Scale { quick }));
        }
    }
    for (c, mut x) in cases.iter().zip(xs) {
        x.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let m = x[x.len() / 2];
        let shown = if c.unit.higher_is_better() {
            format!("{:.2} M", m / 1e6)
        } else {
            format!("{:.0}", m)
        };
        println!("{:45} {:12} {} {}", c.case, c.imp, shown, c.unit.as_str());
    }
}
