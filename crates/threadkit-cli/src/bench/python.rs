//! The CPython column: runs `python/bench_<group>.py` (embedded in the
//! binary, so it works from any directory) with `python3` and reads its
//! JSON lines (contract in `python/README.md`).

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Row;

/// The embedded scripts: (group, source).
pub(crate) const SCRIPTS: &[(&str, &str)] = &[
    ("thread", include_str!("../../python/bench_thread.py")),
    (
        "sync_locks",
        include_str!("../../python/bench_sync_locks.py"),
    ),
    ("futures", include_str!("../../python/bench_futures.py")),
    ("process", include_str!("../../python/bench_process.py")),
    ("queue", include_str!("../../python/bench_queue.py")),
    (
        "sync_signals",
        include_str!("../../python/bench_sync_signals.py"),
    ),
    (
        "diagnostics",
        include_str!("../../python/bench_diagnostics.py"),
    ),
    ("gil", include_str!("../../python/bench_gil.py")),
];

/// How long one script may run before it is stopped.
const LIMIT: Duration = Duration::from_secs(120);

/// `python3 --version`, or `None` when it cannot be run.
pub(crate) fn version() -> Option<String> {
    let out = Command::new("python3").arg("--version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Some(if v.is_empty() {
        String::from_utf8_lossy(&out.stderr).trim().to_string()
    } else {
        v
    })
}

/// Runs one script and parses its rows (impl is forced to "cpython").
pub(crate) fn run_script(name: &str, src: &str, quick: bool) -> Result<Vec<Row>, String> {
    let mut cmd = Command::new("python3");
    cmd.arg("-").arg(format!("bench_{name}.py"));
    if quick {
        cmd.arg("--quick");
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(src.as_bytes())
            .map_err(|e| format!("cannot send the script to python3: {e}"))?;
    }
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("stopped after {LIMIT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let last = err.lines().last().unwrap_or("no message");
        return Err(format!("python3 exited with {status}: {last}"));
    }
    parse(&out)
}

/// Parses the JSON lines of a script.
pub(crate) fn parse(out: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for line in out.lines().map(str::trim).filter(|l| l.starts_with('{')) {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("bad JSON line `{line}`: {e}"))?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let (Some(group), Some(case), Some(unit), Some(value)) = (
            field("group"),
            field("case"),
            field("unit"),
            v.get("value").and_then(|x| x.as_f64()),
        ) else {
            return Err(format!("line without group/case/value/unit: `{line}`"));
        };
        rows.push(Row {
            group,
            case,
            imp: "cpython".to_string(),
            value,
            unit,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_contract() {
        let rows = super::parse(
            "noise\n{\"group\": \"gil\", \"case\": \"c\", \"impl\": \"cpython\", \"value\": 1.5, \"unit\": \"x\"}\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].value, 1.5);
        assert!(super::parse("{\"group\": 1}").is_err());
    }
}
