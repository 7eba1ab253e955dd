//! What a scenario found: notes and measurements, printed as text or JSON.

use serde::Serialize;

/// A figure from the course material, printed beside our measurement.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Seed {
    /// The seed's value.
    pub(crate) value: f64,
    /// Its unit (`s`, `count`...).
    pub(crate) unit: &'static str,
    /// Who measured it, e.g. "Python with its GIL, in the seed".
    pub(crate) source: &'static str,
}

/// One measured value.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Measure {
    /// What was measured ("2 CPU-bound orders on 2 threads").
    pub(crate) label: String,
    /// The value measured here.
    pub(crate) value: f64,
    /// Its unit: `s`, `ms`, `count`, `x`.
    pub(crate) unit: &'static str,
    /// The seed's figure for the same thing, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) seed: Option<Seed>,
}

/// One line of a report, in order.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Item {
    /// Text: what the seed shows, what happens, a conclusion.
    Note {
        /// The text.
        text: String,
    },
    /// A measurement.
    Measure(Measure),
}

/// The result of one scenario.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Report {
    /// The scenario's name (`orders-io`).
    pub(crate) scenario: &'static str,
    /// Its one-line summary.
    pub(crate) summary: &'static str,
    /// Notes and measurements in the order they were made.
    pub(crate) items: Vec<Item>,
    /// Set when the scenario failed (bad input, a failed download...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

impl Report {
    pub(crate) fn new(scenario: &'static str, summary: &'static str) -> Report {
        Report {
            scenario,
            summary,
            items: Vec::new(),
            error: None,
        }
    }

    /// Adds a line of text.
    pub(crate) fn note(&mut self, text: impl Into<String>) {
        self.items.push(Item::Note { text: text.into() });
    }

    /// Adds a measurement in seconds.
    pub(crate) fn seconds(&mut self, label: impl Into<String>, secs: f64, seed: Option<Seed>) {
        self.measure(label, secs, "s", seed);
    }

    /// Adds a measurement.
    pub(crate) fn measure(
        &mut self,
        label: impl Into<String>,
        value: f64,
        unit: &'static str,
        seed: Option<Seed>,
    ) {
        self.items.push(Item::Measure(Measure {
            label: label.into(),
            value,
            unit,
            seed,
        }));
    }

    /// The report as text.
    pub(crate) fn text(&self) -> String {
        let mut out = format!("== {}: {}\n", self.scenario, self.summary);
        for item in &self.items {
            match item {
                Item::Note { text } => {
                    for line in text.lines() {
                        out.push_str("   ");
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                Item::Measure(m) => {
                    out.push_str(&format!("   {}: {}", m.label, fmt_value(m.value, m.unit)));
                    if let Some(s) = &m.seed {
                        out.push_str(&format!(" ({}: {})", s.source, fmt_value(s.value, s.unit)));
                    }
                    out.push('\n');
                }
            }
        }
        if let Some(e) = &self.error {
            out.push_str(&format!("   error: {e}\n"));
        }
        out
    }

    /// Prints the report (JSON: one object).
    pub(crate) fn print(&self, json: bool) {
        if json {
            println!("{}", serde_json::to_string_pretty(self).unwrap_or_default());
        } else {
            print!("{}", self.text());
        }
    }
}

/// `1.21 s`, `10000`, `3.9x`, `120 ms`.
pub(crate) fn fmt_value(v: f64, unit: &str) -> String {
    match unit {
        "s" => format!("{v:.2} s"),
        "ms" => format!("{v:.1} ms"),
        "x" => format!("{v:.2}x"),
        "count" => format!("{v:.0}"),
        "%" => format!("{v:.0}%"),
        u => format!("{v:.2} {u}"),
    }
}

/// The seeds' figures, with where they come from.
pub(crate) mod seeds {
    use super::Seed;

    /// A figure measured with CPython in the course material.
    pub(crate) fn python_s(value: f64) -> Option<Seed> {
        Some(Seed {
            value,
            unit: "s",
            source: "Python with its GIL, in the seed",
        })
    }

    /// A count printed in the course material.
    pub(crate) fn count(value: f64) -> Option<Seed> {
        Some(Seed {
            value,
            unit: "count",
            source: "in the seed",
        })
    }
}
