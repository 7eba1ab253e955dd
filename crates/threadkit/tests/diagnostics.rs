//! Integration tests of the diagnostics' public surface: configuration and
//! environment variables, thread dumps (text and JSON), statistics, the
//! report hook and the SIGQUIT handler. (The detector itself is unit-tested
//! in `src/diagnostics/tests.rs` against the wait layer.)

mod common;

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use threadkit::diagnostics::{self, Deadlock, Policy, ThreadDump};

/// The switches are process-wide: tests that touch them run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs this test binary's test `name` alone in a child process with `env`,
/// and returns (success, stderr).
fn child(name: &str, env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("THREADKIT_DIAG_CHILD", "1")
        .envs(env.iter().copied())
        .output()
        .expect("run child");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn in_child() -> bool {
    std::env::var_os("THREADKIT_DIAG_CHILD").is_some()
}

#[test]
fn setters_round_trip() {
    common::watchdog(|| {
        let _g = serial();
        let (p, d, t, o, s) = (
            diagnostics::policy(),
            diagnostics::detection_delay(),
            diagnostics::tracking(),
            diagnostics::lock_order_checking(),
            diagnostics::stats_enabled(),
        );
        for policy in [Policy::Report, Policy::Off, Policy::Fail] {
            diagnostics::set_policy(policy);
            assert_eq!(diagnostics::policy(), policy);
        }
        diagnostics::set_detection_delay(Duration::from_millis(80));
        assert_eq!(diagnostics::detection_delay(), Duration::from_millis(80));
        // Below 1 ms is raised to 1 ms (a zero delay would spin).
        diagnostics::set_detection_delay(Duration::ZERO);
        assert_eq!(diagnostics::detection_delay(), Duration::from_millis(1));
        for on in [true, false] {
            diagnostics::set_tracking(on);
            assert_eq!(diagnostics::tracking(), on);
            diagnostics::set_lock_order_checking(on);
            assert_eq!(diagnostics::lock_order_checking(), on);
            diagnostics::set_stats(on);
            assert_eq!(diagnostics::stats_enabled(), on);
        }
        diagnostics::set_policy(p);
        diagnostics::set_detection_delay(d);
        diagnostics::set_tracking(t);
        diagnostics::set_lock_order_checking(o);
        diagnostics::set_stats(s);
    })
}

/// Defaults: Fail, at most 1 s, tracking only in debug builds, the opt-in
/// modes off (checked in a fresh process with a clean environment).
#[test]
fn defaults() {
    common::watchdog(|| {
        if in_child() {
            assert_eq!(diagnostics::policy(), Policy::Fail);
            assert!(diagnostics::detection_delay() <= Duration::from_secs(1));
            assert_eq!(diagnostics::tracking(), cfg!(debug_assertions));
            assert!(!diagnostics::lock_order_checking());
            assert!(!diagnostics::stats_enabled());
            return;
        }
        let (ok, out) = child(
            "defaults",
            &[
                ("THREADKIT_DEADLOCK", ""),
                ("THREADKIT_DEADLOCK_DELAY_MS", ""),
                ("THREADKIT_TRACK", ""),
                ("THREADKIT_LOCK_ORDER", ""),
                ("THREADKIT_STATS", ""),
            ],
        );
        assert!(ok, "{out}");
    })
}

/// Every switch can be set from the environment.
#[test]
fn environment_variables() {
    common::watchdog(|| {
        if in_child() {
            assert_eq!(diagnostics::policy(), Policy::Report);
            assert_eq!(diagnostics::detection_delay(), Duration::from_millis(77));
            assert_eq!(diagnostics::tracking(), !cfg!(debug_assertions));
            assert!(diagnostics::lock_order_checking());
            assert!(diagnostics::stats_enabled());
            return;
        }
        let track = if cfg!(debug_assertions) { "0" } else { "1" };
        let (ok, out) = child(
            "environment_variables",
            &[
                ("THREADKIT_DEADLOCK", "report"),
                ("THREADKIT_DEADLOCK_DELAY_MS", "77"),
                ("THREADKIT_TRACK", track),
                ("THREADKIT_LOCK_ORDER", "1"),
                ("THREADKIT_STATS", "on"),
            ],
        );
        assert!(ok, "{out}");
        // `off` switches detection off.
        let (ok, out) = child("policy_off_from_env", &[("THREADKIT_DEADLOCK", "off")]);
        assert!(ok, "{out}");
    })
}

#[test]
fn policy_off_from_env() {
    common::watchdog(|| {
        if in_child() {
            assert_eq!(diagnostics::policy(), Policy::Off);
        }
    })
}

/// The dump lists the main thread and the calling thread; its JSON form
/// round-trips; its text says how to get acquisition sites when tracking
/// is off.
#[test]
fn dump_lists_threads_and_round_trips() {
    common::watchdog(|| {
        let _g = serial();
        let d = diagnostics::dump();
        let main = d.threads.first().expect("main thread first");
        assert_eq!(main.thread.name, "MainThread");
        let json = d.to_json();
        let back: ThreadDump = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(back, d);
        let before = diagnostics::tracking();
        diagnostics::set_tracking(false);
        let text = diagnostics::dump().to_string();
        assert!(text.starts_with("threadkit thread dump:"), "{text}");
        assert!(text.contains("\"MainThread\""), "{text}");
        assert!(text.contains("THREADKIT_TRACK=1"), "{text}");
        diagnostics::set_tracking(before);
    })
}

#[test]
fn stats_reset_and_json() {
    common::watchdog(|| {
        let _g = serial();
        diagnostics::reset_stats();
        let s = diagnostics::stats();
        assert!(s.locks.is_empty());
        assert!(s.starvation.is_empty());
        let back: diagnostics::Stats = serde_json::from_str(&s.to_json()).unwrap();
        assert_eq!(back, s);
        assert!(s.to_string().contains("0 locks"));
    })
}

/// `SIGQUIT` prints a dump and the process goes on (checked in a child, so
/// a missing handler would only kill the child).
#[test]
fn sigquit_prints_a_dump() {
    common::watchdog(|| {
        if in_child() {
            diagnostics::install_sigquit_handler().expect("install");
            diagnostics::install_sigquit_handler().expect("installing twice is fine");
            let pid = std::process::id().to_string();
            let st = Command::new("kill")
                .args(["-QUIT", &pid])
                .status()
                .expect("kill");
            assert!(st.success());
            // Give the handler thread time to print (it runs asynchronously).
            std::thread::sleep(Duration::from_millis(500));
            println!("child still alive");
            return;
        }
        let (ok, out) = child("sigquit_prints_a_dump", &[]);
        assert!(ok, "{out}");
        assert!(out.contains("child still alive"), "{out}");
        assert!(out.contains("threadkit thread dump:"), "{out}");
        assert!(out.contains("\"MainThread\""), "{out}");
    })
}

/// The public types cross threads, and `Deadlock` is an error.
#[test]
fn public_types_are_send_sync_errors() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    send_sync::<Deadlock>();
    send_sync::<diagnostics::DeadlockReport>();
    send_sync::<ThreadDump>();
    send_sync::<diagnostics::LockOrderViolation>();
    send_sync::<diagnostics::Stats>();
    error::<Deadlock>();
}

/// Hooks can be set and reset from any thread.
#[test]
fn hooks_set_and_reset() {
    common::watchdog(|| {
        let _g = serial();
        diagnostics::set_report_hook(|i| eprintln!("{i}"));
        diagnostics::reset_report_hook();
        diagnostics::set_lock_order_hook(|v| eprintln!("{v}"));
        diagnostics::reset_lock_order_hook();
        diagnostics::clear_lock_order_graph();
    })
}

/// Two threads that join each other: one join fails with the report, the
/// other thread then finishes and its join returns.
#[test]
fn threads_joining_each_other() {
    common::watchdog(|| {
        let _g = serial();
        let before = diagnostics::detection_delay();
        diagnostics::set_detection_delay(Duration::from_millis(50));
        let (tx1, rx1) = std::sync::mpsc::channel::<threadkit::ThreadRef>();
        let (tx2, rx2) = std::sync::mpsc::channel::<threadkit::ThreadRef>();
        let t1 = threadkit::Builder::new()
            .name("joiner-1")
            .spawn(move || rx1.recv().unwrap().join())
            .unwrap();
        let t2 = threadkit::Builder::new()
            .name("joiner-2")
            .spawn(move || rx2.recv().unwrap().join())
            .unwrap();
        tx1.send(t2.handle()).unwrap();
        tx2.send(t1.handle()).unwrap();
        let results = [t1.join().unwrap(), t2.join().unwrap()];
        diagnostics::set_detection_delay(before);
        let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(failed.len(), 1, "{results:?}");
        let threadkit::ThreadError::Deadlock(d) = failed[0] else {
            panic!("not a deadlock: {:?}", failed[0]);
        };
        let text = d.to_string();
        assert!(
            text.starts_with("deadlock: 2 threads wait on each other"),
            "{text}"
        );
        assert!(
            text.contains("\"joiner-1\" waits to join \"joiner-2\""),
            "{text}"
        );
        assert!(
            text.contains("\"joiner-2\" waits to join \"joiner-1\""),
            "{text}"
        );
    })
}
