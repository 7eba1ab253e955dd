//! One benchmark case: a group, a scenario, an implementation, a unit, and a
//! function that measures one sample.
//!
//! Every group module (`bench/<group>.rs`) exposes
//! `pub(crate) fn cases() -> Vec<Case>`; the runner filters, samples each case
//! several times, takes the median, and reports ratios to the threadkit
//! implementation of the same scenario. CPython's figures come from
//! `python/bench_<group>.py` (see `python/README.md`).

use serde::Serialize;

/// The unit a case reports in; it fixes which direction is better.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Serialize)]
pub(crate) enum Unit {
    /// Nanoseconds per operation (lower is better).
    #[serde(rename = "ns/op")]
    NsPerOp,
    /// Microseconds per run (lower is better).
    #[serde(rename = "us")]
    Us,
    /// Operations per second (higher is better).
    #[serde(rename = "ops/s")]
    OpsPerSec,
    /// Messages per second (higher is better).
    #[serde(rename = "msgs/s")]
    MsgsPerSec,
    /// Tasks per second (higher is better).
    #[serde(rename = "tasks/s")]
    TasksPerSec,
    /// A dimensionless ratio, e.g. a speed-up (higher is better).
    #[serde(rename = "x")]
    Ratio,
}

impl Unit {
    /// Whether a larger value is better.
    pub(crate) fn higher_is_better(self) -> bool {
        !matches!(self, Unit::NsPerOp | Unit::Us)
    }

    /// The unit as printed and as written in JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Unit::NsPerOp => "ns/op",
            Unit::Us => "us",
            Unit::OpsPerSec => "ops/s",
            Unit::MsgsPerSec => "msgs/s",
            Unit::TasksPerSec => "tasks/s",
            Unit::Ratio => "x",
        }
    }
}

/// How much work one sample should do.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Scale {
    /// `--quick`: scale the work down (about 10x) for smoke runs.
    pub(crate) quick: bool,
}

impl Scale {
    /// `n`, or `n / 10` (at least 1) when quick.
    pub(crate) fn n(self, n: u64) -> u64 {
        if self.quick { (n / 10).max(1) } else { n }
    }
}

/// One measurable case (see the module docs).
pub(crate) struct Case {
    /// Group name: `thread`, `sync`, `queue`, `futures`, `diagnostics`, `process`.
    pub(crate) group: &'static str,
    /// Scenario, shared by every implementation of it (e.g. "uncontended lock+unlock").
    pub(crate) case: &'static str,
    /// Implementation: "threadkit", "std", "parking_lot", "crossbeam", "flume", "rayon", "threadpool".
    pub(crate) imp: &'static str,
    /// Unit of the value.
    pub(crate) unit: Unit,
    /// Measures one sample and returns its value in `unit`.
    pub(crate) sample: Box<dyn FnMut(Scale) -> f64>,
}

impl Case {
    /// Builds a case.
    pub(crate) fn new(
        group: &'static str,
        case: &'static str,
        imp: &'static str,
        unit: Unit,
        sample: impl FnMut(Scale) -> f64 + 'static,
    ) -> Case {
        Case {
            group,
            case,
            imp,
            unit,
            sample: Box::new(sample),
        }
    }
}
