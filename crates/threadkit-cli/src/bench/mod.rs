//! `threadkit bench`: every case of every group, sampled several times; the
//! median per implementation, its ratio to threadkit, and a verdict per case.
//!
//! Registering a group: add its module below and its `cases()` to
//! [`all_cases`]; its CPython script goes in `python.rs`'s table.

// The contract names every unit; a unit is used once its group lands.
#[allow(dead_code)]
mod case;
mod diagnostics;
mod futures;
mod gil;
pub(crate) mod process;
mod python;
mod queue;
mod sync_locks;
mod sync_signals;
mod thread;

use serde::Serialize;

pub(crate) use case::{Case, Scale, Unit};

use crate::progress::Progress;

/// Every Rust case, in print order.
fn all_cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(thread::cases());
    v.extend(sync_locks::cases());
    v.extend(futures::cases());
    v.extend(process::cases());
    v.extend(queue::cases());
    v.extend(sync_signals::cases());
    v.extend(diagnostics::cases());
    v.extend(gil::cases());
    v
}

/// `bench`'s command-line options.
pub(crate) struct Options {
    pub(crate) filter: Option<String>,
    pub(crate) json: bool,
    pub(crate) markdown: bool,
    pub(crate) quick: bool,
    pub(crate) python: bool,
    pub(crate) list: bool,
    /// How many times the whole suite runs; each result is the median of
    /// its per-round medians (a 2-core machine's scheduling noise moves
    /// single rounds by 2x or more).
    pub(crate) rounds: usize,
}

/// One result: the JSON shape of `--json`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) group: String,
    pub(crate) case: String,
    #[serde(rename = "impl")]
    pub(crate) imp: String,
    pub(crate) value: f64,
    pub(crate) unit: String,
}

impl Row {
    fn higher_is_better(&self) -> bool {
        !matches!(self.unit.as_str(), "ns/op" | "us")
    }
}

/// Whether `group/case/impl` matches the filter (case-insensitive substring).
fn matches(filter: Option<&str>, group: &str, case: &str, imp: &str) -> bool {
    match filter {
        None => true,
        Some(f) => format!("{group}/{case}/{imp}")
            .to_lowercase()
            .contains(&f.to_lowercase()),
    }
}

/// Whether script `bench_<name>.py` measures group `group` (`sync_locks`
/// and `sync_signals` both report group `sync`).
fn script_covers(name: &str, group: &str) -> bool {
    name == group
        || name
            .strip_prefix(group)
            .is_some_and(|rest| rest.starts_with('_'))
}

/// The median of `v` (not empty).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs the benchmarks and prints them.
pub(crate) fn run(o: &Options) -> Result<(), String> {
    let filter = o.filter.as_deref();
    let mut cases: Vec<Case> = all_cases()
        .into_iter()
        .filter(|c| matches(filter, c.group, c.case, c.imp))
        .collect();
    if o.list {
        for c in &cases {
            println!("{}/{}/{} ({})", c.group, c.case, c.imp, c.unit.as_str());
        }
        for (name, _) in python::SCRIPTS {
            println!("{name}/*/cpython (python/bench_{name}.py)");
        }
        return Ok(());
    }
    let scripts: Vec<(&str, &str)> = python::SCRIPTS
        .iter()
        .copied()
        .filter(|(name, _)| {
            filter.is_none()
                || cases.iter().any(|c| script_covers(name, c.group))
                || matches(filter, name, "", "cpython")
        })
        .collect();
    if cases.is_empty() && scripts.is_empty() {
        return Err(format!(
            "no benchmark matches --filter `{}`; `threadkit bench --list` names them",
            filter.unwrap_or("")
        ));
    }
    let scale = Scale { quick: o.quick };
    let samples = if o.quick { 3 } else { 7 };
    let quiet = o.json;
    let rounds = o.rounds.max(1);
    let mut progress = Progress::new((cases.len() + scripts.len()) * rounds, quiet);
    let mut per_round = Vec::with_capacity(rounds);
    let mut notes = Vec::new();
    for round in 0..rounds {
        let (rows, round_notes) = measure_round(
            o,
            filter,
            &mut cases,
            &scripts,
            scale,
            samples,
            &mut progress,
        );
        per_round.push(rows);
        if round == 0 {
            notes = round_notes;
        }
    }
    if rounds > 1 {
        notes.push(format!(
            "each value is the median of {rounds} rounds' medians (`--rounds {rounds}`)"
        ));
    }
    let rows = combine_rounds(per_round);
    progress.clear();
    if o.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        );
        for n in &notes {
            eprintln!("{n}");
        }
    } else if o.markdown {
        print!("{}", markdown(&rows, &notes));
    } else {
        print!("{}", text(&rows, &notes));
    }
    Ok(())
}

/// Per (group, case, impl), in first-seen order: the median of the values
/// the rounds measured.
fn combine_rounds(per_round: Vec<Vec<Row>>) -> Vec<Row> {
    let mut order: Vec<Row> = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    for rows in per_round {
        for r in rows {
            let at = order
                .iter()
                .position(|o| o.group == r.group && o.case == r.case && o.imp == r.imp);
            match at {
                Some(i) => values[i].push(r.value),
                None => {
                    values.push(vec![r.value]);
                    order.push(r);
                }
            }
        }
    }
    for (row, mut v) in order.iter_mut().zip(values) {
        row.value = median(&mut v);
    }
    order
}

/// One round: every selected case and CPython script once.
fn measure_round(
    o: &Options,
    filter: Option<&str>,
    cases: &mut [Case],
    scripts: &[(&str, &str)],
    scale: Scale,
    samples: usize,
    progress: &mut Progress,
) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    for c in cases.iter_mut() {
        progress.step(&format!("{}/{}/{}", c.group, c.case, c.imp));
        (c.sample)(scale); // warm-up
        let mut v: Vec<f64> = (0..samples).map(|_| (c.sample)(scale)).collect();
        rows.push(Row {
            group: c.group.to_string(),
            case: c.case.to_string(),
            imp: c.imp.to_string(),
            value: median(&mut v),
            unit: c.unit.as_str().to_string(),
        });
    }
    let mut notes = Vec::new();
    if o.python && !scripts.is_empty() {
        match python::version() {
            None => notes.push("python3 not found: CPython column skipped".to_string()),
            Some(version) => {
                notes.push(format!("CPython: {version}"));
                for (name, src) in scripts {
                    progress.step(&format!("{name}/cpython"));
                    match python::run_script(name, src, o.quick) {
                        Ok(found) => rows.extend(
                            found
                                .into_iter()
                                .filter(|r| matches(filter, &r.group, &r.case, &r.imp)),
                        ),
                        Err(e) => notes.push(format!("bench_{name}.py failed: {e}")),
                    }
                }
            }
        }
    } else if !o.python {
        notes.push("CPython column skipped (--no-python)".to_string());
    }
    (rows, notes)
}

/// The (group, case) pairs in first-seen order, each with its rows.
fn by_case(rows: &[Row]) -> Vec<Vec<&Row>> {
    let mut out: Vec<Vec<&Row>> = Vec::new();
    for r in rows {
        match out
            .iter_mut()
            .find(|g| g[0].group == r.group && g[0].case == r.case)
        {
            Some(g) => g.push(r),
            None => out.push(vec![r]),
        }
    }
    out
}

/// `value / threadkit's value` for this case, if threadkit has one.
fn ratio(r: &Row, rows: &[&Row]) -> Option<f64> {
    let tk = rows.iter().find(|x| x.imp == "threadkit")?;
    (tk.value != 0.0).then(|| r.value / tk.value)
}

/// Targets from the issues: (group, case, peer, threadkit at most this many
/// times worse than the peer). Add a line when a group states one.
const TARGETS: &[(&str, &str, &str, f64)] = &[("thread", "spawn+join one thread", "std", 1.25)];

/// "target (within 1.25x of std): met" for a case that has a target.
fn target(rows: &[&Row]) -> Option<String> {
    let first = rows.first()?;
    let &(_, _, peer, max) = TARGETS
        .iter()
        .find(|t| t.0 == first.group && t.1 == first.case)?;
    let tk = rows.iter().find(|x| x.imp == "threadkit")?;
    let p = rows.iter().find(|x| x.imp == peer)?;
    let worse = if tk.higher_is_better() {
        p.value / tk.value
    } else {
        tk.value / p.value
    };
    let met = if worse <= max { "met" } else { "missed" };
    Some(format!(
        "target (threadkit within {max}x of {peer}): {met} ({worse:.2}x)"
    ))
}

/// One line: who wins this case and by how much (and the target, if any).
fn verdict(rows: &[&Row]) -> String {
    let v = winner(rows);
    match target(rows) {
        Some(t) => format!("{v}; {t}"),
        None => v,
    }
}

fn winner(rows: &[&Row]) -> String {
    let Some(tk) = rows.iter().find(|x| x.imp == "threadkit") else {
        return "no threadkit figure for this case".to_string();
    };
    let better = |a: &Row, b: &Row| {
        if a.higher_is_better() {
            a.value > b.value
        } else {
            a.value < b.value
        }
    };
    let best_peer = rows
        .iter()
        .filter(|x| x.imp != "threadkit")
        .fold(None::<&Row>, |best, x| match best {
            Some(b) if !better(x, b) => Some(b),
            _ => Some(x),
        });
    let Some(peer) = best_peer else {
        return "threadkit only".to_string();
    };
    let factor = |a: f64, b: f64| if b == 0.0 { f64::INFINITY } else { a / b };
    if better(peer, tk) {
        let f = if tk.higher_is_better() {
            factor(peer.value, tk.value)
        } else {
            factor(tk.value, peer.value)
        };
        format!("{} is {f:.2}x better than threadkit", peer.imp)
    } else {
        let f = if tk.higher_is_better() {
            factor(tk.value, peer.value)
        } else {
            factor(peer.value, tk.value)
        };
        format!("threadkit is best, {f:.2}x ahead of {}", peer.imp)
    }
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:.3e}")
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn text(rows: &[Row], notes: &[String]) -> String {
    let mut out = String::new();
    for case in by_case(rows) {
        let unit = &case[0].unit;
        let dir = if case[0].higher_is_better() {
            "higher is better"
        } else {
            "lower is better"
        };
        out.push_str(&format!(
            "{} / {} ({unit}, {dir})\n",
            case[0].group, case[0].case
        ));
        for r in &case {
            let ratio = ratio(r, &case)
                .map(|x| format!("{x:.2}x threadkit"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {:<12} {:>12} {:<8} {}\n",
                r.imp,
                fmt_num(r.value),
                r.unit,
                ratio
            ));
        }
        out.push_str(&format!("  verdict: {}\n\n", verdict(&case)));
    }
    for n in notes {
        out.push_str(n);
        out.push('\n');
    }
    out
}

fn markdown(rows: &[Row], notes: &[String]) -> String {
    let mut out =
        String::from("| group | case | impl | median | unit | vs threadkit | verdict |\n");
    out.push_str("| --- | --- | --- | ---: | --- | ---: | --- |\n");
    for case in by_case(rows) {
        let v = verdict(&case);
        for (i, r) in case.iter().enumerate() {
            let ratio = ratio(r, &case)
                .map(|x| format!("{x:.2}x"))
                .unwrap_or_default();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                r.group,
                r.case,
                r.imp,
                fmt_num(r.value),
                r.unit,
                ratio,
                if i == 0 { v.as_str() } else { "" }
            ));
        }
    }
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            out.push_str(&format!("{n}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(imp: &str, value: f64, unit: &str) -> Row {
        Row {
            group: "g".into(),
            case: "c".into(),
            imp: imp.into(),
            value,
            unit: unit.into(),
        }
    }

    #[test]
    fn verdict_respects_the_unit_direction() {
        let a = row("threadkit", 10.0, "ns/op");
        let b = row("std", 20.0, "ns/op");
        assert_eq!(verdict(&[&a, &b]), "threadkit is best, 2.00x ahead of std");
        let a = row("threadkit", 10.0, "ops/s");
        let b = row("std", 20.0, "ops/s");
        assert_eq!(verdict(&[&a, &b]), "std is 2.00x better than threadkit");
        assert_eq!(verdict(&[&a]), "threadkit only");
        let mut a = row("threadkit", 12.0, "ns/op");
        let mut b = row("std", 10.0, "ns/op");
        (a.group, a.case) = ("thread".into(), "spawn+join one thread".into());
        (b.group, b.case) = ("thread".into(), "spawn+join one thread".into());
        assert!(
            verdict(&[&a, &b]).ends_with("met (1.20x)"),
            "{}",
            verdict(&[&a, &b])
        );
    }

    #[test]
    fn median_and_filter() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(matches(Some("GIL/"), "gil", "x", "std"));
        assert!(!matches(Some("queue"), "gil", "x", "std"));
        assert!(script_covers("sync_locks", "sync"));
        assert!(script_covers("gil", "gil"));
        assert!(!script_covers("gil", "g"));
    }
}
