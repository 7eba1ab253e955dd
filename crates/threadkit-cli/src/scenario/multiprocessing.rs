//! `multiprocessing`: the seeds' `Process` and `Pool(cpu_count()).map` of a
//! CPU-bound job, as child processes of this binary.

use std::time::Instant;

use threadkit::process::{Function, Process, ProcessPool, Registry, cpu_count};

use super::work::{iterations_for, secs, spin};
use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "multiprocessing",
    summary: "Process and ProcessPool::map of a CPU-bound job over all cores",
    flags: "--orders N jobs, --work-ms MS per job",
    run,
};

/// The seed's `cpu_bound_task`: count, for real, `n` times.
fn cpu_bound_task(n: u64) -> u64 {
    spin(n)
}

const CPU_BOUND_TASK: Function<u64, u64> = threadkit::process_fn!(cpu_bound_task);

/// Adds the functions this demo's child processes run to `registry`
/// (installed by `main` with `threadkit::process::init`).
pub(crate) fn register(registry: Registry) -> Registry {
    registry.register(CPU_BOUND_TASK)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let jobs = p.orders.unwrap_or(4);
    let work = p.work(500, 30);
    let n = iterations_for(work);
    let cores = cpu_count();
    r.note(format!(
        "The seed starts 4 Processes of a CPU-bound count, then maps it over Pool(cpu_count()). \
         Each job here loops {n} times (about {work:?}); {cores} core(s)."
    ));
    let expected = spin(n);

    let t = Instant::now();
    for _ in 0..jobs {
        std::hint::black_box(spin(n));
    }
    r.seconds(
        format!("{jobs} jobs one after the other, in this process"),
        secs(t),
        None,
    );

    let t = Instant::now();
    let procs = (0..jobs)
        .map(|_| Process::new(CPU_BOUND_TASK, n).map_err(err))
        .collect::<Result<Vec<_>, _>>()?;
    for pr in &procs {
        pr.start().map_err(err)?;
    }
    for pr in &procs {
        if pr.join().map_err(err)? != expected {
            return Err("a child process returned a wrong count".into());
        }
    }
    r.seconds(
        format!("{jobs} Processes started and joined"),
        secs(t),
        None,
    );

    let t = Instant::now();
    let pool = ProcessPool::new().map_err(err)?;
    let results = pool
        .map(CPU_BOUND_TASK, vec![n; jobs as usize])
        .map_err(err)?;
    if results.iter().any(|&x| x != expected) {
        return Err("a pool worker returned a wrong count".into());
    }
    r.seconds(
        format!("ProcessPool({cores}).map over {jobs} jobs (pool start-up included)"),
        secs(t),
        None,
    );
    r.note(
        "In Python, processes are the way around the GIL. In Rust, threads already use every \
         core; a child process adds isolation (a crashing worker cannot take the parent down).",
    );
    Ok(())
}
