//! Python's exit rule, checked in a child process: the end of `main` waits
//! for every non-daemon thread (also those started by other threads) and
//! never for daemon threads.

mod common;

use std::process::Command;
use std::time::Duration;

use common::watchdog;
use threadkit::{Builder, Thread};

fn child(test: &str, env: &str) -> (bool, Vec<String>, String) {
    let out = Command::new(std::env::current_exe().expect("test binary path"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(env, "1")
        .output()
        .expect("re-run the test binary");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.find("EXIT: ")
                .map(|i| l[i + "EXIT: ".len()..].to_string())
        })
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn pos(lines: &[String], what: &str) -> usize {
    lines
        .iter()
        .position(|l| l == what)
        .unwrap_or_else(|| panic!("{what:?} missing from {lines:?}"))
}

/// The program the child runs: a parent thread starting a child thread,
/// both unjoined, and a daemon thread that never ends.
fn program() {
    Builder::new()
        .name("daemon")
        .daemon(true)
        .spawn(|| {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        })
        .unwrap();
    Thread::spawn(|| {
        // Simulated work, so the waits below really wait.
        std::thread::sleep(Duration::from_millis(100));
        Thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            println!("EXIT: grandchild done");
        })
        .unwrap();
        println!("EXIT: child done");
    })
    .unwrap();
    println!("EXIT: main body done");
}

fn check(lines: &[String]) {
    let main = pos(lines, "main body done");
    let child = pos(lines, "child done");
    let grandchild = pos(lines, "grandchild done");
    let end = pos(lines, "after wait");
    assert!(
        main < child && child < grandchild && grandchild < end,
        "{lines:?}"
    );
}

#[test]
fn wait_for_non_daemon_threads_in_child_process() {
    const ENV: &str = "TK_EXIT_RULE_CALL";
    if std::env::var_os(ENV).is_some() {
        program();
        threadkit::wait_for_non_daemon_threads();
        println!("EXIT: after wait");
        return;
    }
    watchdog(|| {
        let (ok, lines, err) = child("wait_for_non_daemon_threads_in_child_process", ENV);
        assert!(ok, "child failed: {err}");
        check(&lines);
    });
}

#[test]
fn main_guard_in_child_process() {
    const ENV: &str = "TK_EXIT_RULE_GUARD";
    if std::env::var_os(ENV).is_some() {
        {
            let _guard = threadkit::main_guard();
            program();
        }
        println!("EXIT: after wait");
        return;
    }
    watchdog(|| {
        let (ok, lines, err) = child("main_guard_in_child_process", ENV);
        assert!(ok, "child failed: {err}");
        check(&lines);
    });
}

#[test]
fn only_daemon_threads_do_not_hold_it_up() {
    watchdog(|| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let d = Builder::new()
            .daemon(true)
            .spawn(move || rx.recv().is_ok())
            .unwrap();
        // Returns although a daemon thread is blocked (other tests of this
        // binary run daemon-free or finish on their own).
        threadkit::wait_for_non_daemon_threads();
        tx.send(()).unwrap();
        assert!(d.join().unwrap());
    });
}

#[test]
fn called_from_a_non_daemon_thread_it_does_not_wait_for_itself() {
    watchdog(|| {
        let t = Thread::spawn(|| {
            let inner = Thread::spawn(|| std::thread::sleep(Duration::from_millis(20))).unwrap();
            let h = inner.handle();
            threadkit::wait_for_non_daemon_threads();
            !h.is_alive()
        })
        .unwrap();
        assert!(t.join().unwrap());
    });
}

#[test]
fn two_non_daemon_threads_waiting_at_once_do_not_wait_for_each_other() {
    watchdog(|| {
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let b = barrier.clone();
                Thread::spawn(move || {
                    b.wait();
                    threadkit::wait_for_non_daemon_threads();
                })
                .unwrap()
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    });
}

#[test]
fn timed_and_try_forms() {
    watchdog(|| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = Thread::spawn(move || rx.recv().is_ok()).unwrap();
        assert!(matches!(
            threadkit::try_wait_for_non_daemon_threads(),
            Err(threadkit::ThreadError::Timeout)
        ));
        let start = std::time::Instant::now();
        let d = Duration::from_millis(40);
        assert!(matches!(
            threadkit::wait_for_non_daemon_threads_timeout(d),
            Err(threadkit::ThreadError::Timeout)
        ));
        assert!(start.elapsed() >= d, "returned early");
        tx.send(()).unwrap();
        threadkit::wait_for_non_daemon_threads_timeout(Duration::from_secs(30)).unwrap();
        assert!(!t.is_alive());
        // (No `try_` success check here: other tests of this binary may have
        // started non-daemon threads meanwhile.)
        assert!(t.join().unwrap());
    });
}
