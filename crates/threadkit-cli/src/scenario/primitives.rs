//! `primitives`: the seeds' tour of threading's toolbox: RLock re-entry,
//! Semaphore(3) limiting database connections, BoundedSemaphore
//! over-release, Event, Condition, Barrier, Timer, thread-local data.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use threadkit::{
    Barrier, BoundedSemaphore, Condition, Event, Local, RLock, Semaphore, Thread, Timer,
};

use super::work::secs;
use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "primitives",
    summary: "RLock, Semaphore(3), BoundedSemaphore, Event, Condition, Barrier, Timer, local data",
    flags: "--threads N (database clients), --latency-ms MS",
    run,
};

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn rlock(r: &mut Report) {
    let lock = RLock::new(());
    let outer = lock.acquire();
    let inner = lock.acquire();
    r.measure(
        "RLock: recursion count after two acquires by one thread",
        lock.recursion_count() as f64,
        "count",
        None,
    );
    drop(inner);
    drop(outer);
    r.note("RLock: the owner re-enters without blocking (a plain Lock would deadlock itself).");
}

fn semaphore(p: &Params, r: &mut Report) -> Result<(), String> {
    let clients = p.threads.unwrap_or(6) as usize;
    let latency = p.latency(200, 20);
    let pool = Arc::new(Semaphore::new(3));
    let open = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let threads = (0..clients)
        .map(|_| {
            let (pool, open, peak) = (pool.clone(), open.clone(), peak.clone());
            Thread::spawn(move || {
                let _connection = pool.acquire();
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(latency);
                open.fetch_sub(1, Ordering::SeqCst);
            })
            .map_err(err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    for th in threads {
        th.join().map_err(err)?;
    }
    r.measure(
        format!("Semaphore(3): most database connections open at once ({clients} clients)"),
        peak.load(Ordering::SeqCst) as f64,
        "count",
        None,
    );
    r.seconds(
        format!("Semaphore(3): {clients} queries of {latency:?}"),
        secs(t),
        None,
    );
    let bounded = BoundedSemaphore::new(3);
    match bounded.release(1) {
        Err(e) => r.note(format!(
            "BoundedSemaphore(3).release() with nothing acquired: error: {e}"
        )),
        Ok(()) => return Err("BoundedSemaphore accepted an over-release".into()),
    }
    Ok(())
}

fn event(p: &Params, r: &mut Report) -> Result<(), String> {
    let ev = Arc::new(Event::new());
    let e2 = ev.clone();
    let waiter = Thread::spawn(move || {
        let t = Instant::now();
        e2.wait();
        t.elapsed()
    })
    .map_err(err)?;
    std::thread::sleep(p.latency(100, 10));
    ev.set();
    let waited = waiter.join().map_err(err)?;
    r.seconds(
        "Event: a thread waited until set() was called",
        waited.as_secs_f64(),
        None,
    );
    ev.clear();
    r.note(format!(
        "Event: is_set() after clear() = {}; wait_timeout(10 ms) = {}",
        ev.is_set(),
        ev.wait_timeout(Duration::from_millis(10))
    ));
    Ok(())
}

fn condition(r: &mut Report) -> Result<(), String> {
    let items = Arc::new(Condition::new(Vec::<u32>::new()));
    let c2 = items.clone();
    let consumer = Thread::spawn(move || {
        let mut got = Vec::new();
        let mut g = c2.acquire();
        while got.len() < 3 {
            g.wait_for(|v| !v.is_empty());
            got.extend(g.drain(..));
        }
        got
    })
    .map_err(err)?;
    for i in 1..=3 {
        let mut g = items.acquire();
        g.push(i);
        g.notify(1);
    }
    let got = consumer.join().map_err(err)?;
    r.note(format!(
        "Condition: the consumer waited for items and got {got:?} (notify under the lock: \
         notifying without holding it does not compile)"
    ));
    Ok(())
}

fn barrier(r: &mut Report) -> Result<(), String> {
    let b = Arc::new(Barrier::new(3).map_err(err)?);
    let threads = (0..3)
        .map(|_| {
            let b = b.clone();
            Thread::spawn(move || b.wait()).map_err(err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut indices = BTreeSet::new();
    for th in threads {
        indices.insert(th.join().map_err(err)?.map_err(err)?);
    }
    r.note(format!(
        "Barrier(3): three threads met; their arrival indices {indices:?}"
    ));
    Ok(())
}

fn timer(p: &Params, r: &mut Report) -> Result<(), String> {
    let interval = p.latency(100, 10);
    let t = Instant::now();
    let fired = Timer::new(interval, || "fired");
    fired.start().map_err(err)?;
    let v = fired.join().map_err(err)?;
    r.seconds(
        format!("Timer({interval:?}): ran its function after"),
        secs(t),
        None,
    );
    let cancelled = Timer::new(Duration::from_secs(3600), || "fired");
    cancelled.start().map_err(err)?;
    cancelled.cancel();
    let w = cancelled.join().map_err(err)?;
    r.note(format!(
        "Timer: the first returned {v:?}; a cancelled one returned {w:?}"
    ));
    Ok(())
}

fn local(r: &mut Report) -> Result<(), String> {
    let data = Arc::new(Local::new(|| 0u32));
    let threads = (1..=3u32)
        .map(|i| {
            let data = data.clone();
            Thread::spawn(move || {
                data.set(i * 10);
                data.get()
            })
            .map_err(err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let seen = threads
        .into_iter()
        .map(|t| t.join().map_err(err))
        .collect::<Result<Vec<_>, _>>()?;
    r.note(format!(
        "local(): each thread saw its own value {seen:?}; the main thread still sees {}",
        data.get()
    ));
    Ok(())
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    rlock(r);
    semaphore(p, r)?;
    event(p, r)?;
    condition(r)?;
    barrier(r)?;
    timer(p, r)?;
    local(r)
}
