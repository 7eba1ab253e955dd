//! The course's scenarios: one file each, one table of them all.

mod bank_account;
mod counter;
pub(crate) mod daemon;
mod deadlock;
mod download;
mod gil;
mod livelock;
mod lock_order;
pub(crate) mod multiprocessing;
mod orders_cpu;
mod orders_io;
mod pool;
mod primitives;
mod producer_consumer;
mod starvation;
mod subclass;
pub(crate) mod work;

use std::time::Duration;

use crate::progress::Progress;
use crate::report::Report;

/// The parameters given on the command line (`None`: the scenario's default).
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    pub(crate) quick: bool,
    pub(crate) threads: Option<u64>,
    pub(crate) orders: Option<u64>,
    pub(crate) iterations: Option<u64>,
    pub(crate) latency_ms: Option<u64>,
    pub(crate) work_ms: Option<u64>,
    pub(crate) interval_ms: Option<u64>,
    pub(crate) budget_ms: Option<u64>,
    pub(crate) urls: Vec<String>,
}

impl Params {
    /// `--latency-ms`, else `full` ms, or `quick` ms with `--quick`.
    pub(crate) fn latency(&self, full: u64, quick: u64) -> Duration {
        Duration::from_millis(self.latency_ms.unwrap_or(self.pick(full, quick)))
    }

    /// `--work-ms`, else the default for the mode.
    pub(crate) fn work(&self, full: u64, quick: u64) -> Duration {
        Duration::from_millis(self.work_ms.unwrap_or(self.pick(full, quick)))
    }

    /// `full`, or `quick` with `--quick`.
    pub(crate) fn pick(&self, full: u64, quick: u64) -> u64 {
        if self.quick { quick } else { full }
    }
}

/// One scenario of the tour.
pub(crate) struct Scenario {
    /// Name on the command line.
    pub(crate) name: &'static str,
    /// One line: what it shows.
    pub(crate) summary: &'static str,
    /// The flags it reads.
    pub(crate) flags: &'static str,
    /// Runs it, adding to the report; `Err` for bad input or a failure the
    /// user must see (the report keeps what was measured before).
    pub(crate) run: fn(&Params, &mut Report) -> Result<(), String>,
}

/// Every scenario, in tour order.
pub(crate) fn all() -> &'static [Scenario] {
    const ALL: &[Scenario] = &[
        orders_io::SCENARIO,
        orders_cpu::SCENARIO,
        gil::SCENARIO,
        download::SCENARIO,
        subclass::SCENARIO,
        counter::SCENARIO,
        bank_account::SCENARIO,
        producer_consumer::SCENARIO,
        pool::SCENARIO,
        primitives::SCENARIO,
        daemon::SCENARIO,
        deadlock::SCENARIO,
        lock_order::SCENARIO,
        starvation::SCENARIO,
        livelock::SCENARIO,
        multiprocessing::SCENARIO,
    ];
    ALL
}

/// The scenario named `name`.
pub(crate) fn find(name: &str) -> Option<&'static Scenario> {
    all().iter().find(|s| s.name == name)
}

/// `demo --list`: one line each.
pub(crate) fn list() -> String {
    let width = all().iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for s in all() {
        out.push_str(&format!("{:width$}  {}", s.name, s.summary));
        if !s.flags.is_empty() {
            out.push_str(&format!(" [{}]", s.flags));
        }
        out.push('\n');
    }
    out
}

/// `tour`: every scenario in order; a failing one is reported and the tour
/// goes on (the exit status says so at the end).
pub(crate) fn tour(params: &Params, json: bool) -> Result<(), String> {
    let mut progress = Progress::new(all().len(), false);
    let mut reports = Vec::new();
    let mut failed = Vec::new();
    for s in all() {
        progress.step(s.name);
        let mut report = Report::new(s.name, s.summary);
        if let Err(e) = (s.run)(params, &mut report) {
            report.error = Some(e);
            failed.push(s.name);
        }
        if !json {
            progress.clear();
            println!("{}", report.text());
        }
        reports.push(report);
    }
    progress.clear();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).map_err(|e| e.to_string())?
        );
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("these scenarios failed: {}", failed.join(", ")))
    }
}
