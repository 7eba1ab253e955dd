//! A stall that cannot be proven a deadlock: every thread, the main thread
//! included, waits on a Condition that nobody will notify. The detector
//! reports it once as a possible deadlock, with the thread dump, and fails
//! nobody. This binary runs without the test harness (`harness = false`)
//! because the main thread itself has to be one of the stalled threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use threadkit::diagnostics::{self, Incident};
use threadkit::{Builder, Condition};

fn main() {
    // Watchdog: a plain std thread (invisible to threadkit, so it does not
    // count as a running thread) that fails the test if it hangs.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        eprintln!("diagnostics_stall: watchdog fired (hang?)");
        std::process::exit(1);
    });
    diagnostics::set_detection_delay(Duration::from_millis(50));
    let main_cond = Arc::new(Condition::named("main_cond", false));
    let worker_cond = Arc::new(Condition::named("worker_cond", false));
    let reports = Arc::new(Mutex::new(Vec::<String>::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    {
        let (reports, calls) = (reports.clone(), calls.clone());
        let (m, w) = (main_cond.clone(), worker_cond.clone());
        diagnostics::set_report_hook(move |i| {
            if let Incident::PossibleDeadlock(_) = i {
                calls.fetch_add(1, Ordering::SeqCst);
                reports.lock().unwrap().push(i.to_string());
                // Release everyone from a fresh thread (the hook runs in a
                // blocked thread, in the middle of its wait).
                let (m, w) = (m.clone(), w.clone());
                std::thread::spawn(move || {
                    // Let a few more detection periods pass first: the stall
                    // must not be reported twice.
                    std::thread::sleep(Duration::from_millis(300));
                    for c in [&m, &w] {
                        let mut g = c.acquire();
                        *g = true;
                        g.notify_all();
                    }
                });
            }
        });
    }
    let w = worker_cond.clone();
    let worker = Builder::new()
        .name("stalled-worker")
        .spawn(move || {
            let mut g = w.acquire();
            g.wait_for(|done| *done);
        })
        .expect("spawn");
    {
        let mut g = main_cond.acquire();
        g.wait_for(|done| *done);
    }
    worker.join().expect("the worker is not failed");
    let reports = reports.lock().unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "reported once: {reports:?}"
    );
    let text = &reports[0];
    assert!(text.starts_with("possible deadlock"), "{text}");
    for needle in [
        "\"MainThread\"",
        "\"stalled-worker\"",
        "waits for Condition \"main_cond\"",
        "waits for Condition \"worker_cond\"",
        "untimed",
    ] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
    println!("{text}\ndiagnostics_stall: ok");
}
