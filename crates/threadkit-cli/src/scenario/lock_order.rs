//! `lock-order`: the deadlock's code with lucky timing: no hang, but the
//! lock-order checker flags the inversion anyway.

use std::sync::{Arc, Mutex};

use threadkit::diagnostics::{
    clear_lock_order_graph, lock_order_checking, reset_lock_order_hook, set_lock_order_checking,
    set_lock_order_hook,
};
use threadkit::{Lock, Thread};

use super::{Params, Scenario};
use crate::report::Report;

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "lock-order",
    summary: "the same two locks with lucky timing: no hang, the inversion is flagged anyway",
    flags: "",
    run,
};

fn run(_p: &Params, r: &mut Report) -> Result<(), String> {
    r.note(
        "The seed's output shows the lucky run: thread1 took both locks and finished before \
         thread2 started. Here thread2 starts only after thread1 was joined, so no hang is \
         possible; the lock-order checker still sees lock_a -> lock_b and then lock_b -> lock_a.",
    );
    let was_on = lock_order_checking();
    set_lock_order_checking(true);
    clear_lock_order_graph();
    let found: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&found);
    set_lock_order_hook(move |v| {
        if let Ok(mut f) = sink.lock() {
            f.push(v.to_string());
        }
    });

    let lock_a = Arc::new(Lock::named("lock_a", ()));
    let lock_b = Arc::new(Lock::named("lock_b", ()));
    let run_thread = |name: &'static str, first: Arc<Lock>, second: Arc<Lock>| {
        threadkit::Builder::new()
            .name(name)
            .spawn(move || {
                let _g1 = first.acquire();
                let _g2 = second.acquire();
                format!("{name} acquired both locks")
            })
            .map_err(|e| e.to_string())
            .and_then(|t: Thread<String>| t.join().map_err(|e| e.to_string()))
    };
    let outcome = run_thread("thread1", lock_a.clone(), lock_b.clone())
        .and_then(|l1| run_thread("thread2", lock_b, lock_a).map(|l2| (l1, l2)));
    reset_lock_order_hook();
    set_lock_order_checking(was_on);
    let (l1, l2) = outcome?;
    r.note(l1);
    r.note(l2);
    let found = found.lock().map(|f| f.clone()).unwrap_or_default();
    r.measure(
        "lock-order inversions flagged",
        found.len() as f64,
        "count",
        None,
    );
    for v in &found {
        for line in v.lines() {
            r.note(format!("  | {line}"));
        }
    }
    if found.is_empty() {
        Err("the lock-order inversion was not flagged".into())
    } else {
        Ok(())
    }
}
