//! Shared helpers for the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The default limit for one test body: generous, so a loaded CI machine
/// never trips it, but a hang fails the test instead of stalling CI.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread and returns its value; fails the calling test
/// if `f` has not finished within `limit` (a hang becomes a failure, and the
/// stuck thread is left behind so the rest of the suite goes on). A panic in
/// `f` is re-raised here with its message.
#[track_caller]
pub fn bounded<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let body = std::thread::Builder::new()
        .name(unique("test-body"))
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(r);
        })
        .expect("spawn test body");
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => {
            let _ = body.join();
            v
        }
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("watchdog: test body still running after {limit:?} (hang?)"),
    }
}

/// [`bounded`] with [`LIMIT`].
#[track_caller]
pub fn watchdog<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    bounded(LIMIT, f)
}

/// `prefix-N`, with `N` unique in this test binary: a thread name that
/// [`until_blocked`] can find without confusing it with another test's.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Spawns a std thread named `name` (threadkit sees it under that name).
pub fn spawn_named<T: Send + 'static>(
    name: String,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name(name)
        .spawn(f)
        .expect("spawn test thread")
}

/// The calling thread's name (unique for test bodies run by [`bounded`]).
pub fn current_name() -> String {
    std::thread::current().name().unwrap_or("").to_owned()
}

/// Returns once at least `n` threads whose names start with `prefix` are
/// inside a threadkit blocking call (their wait record is published, which
/// happens right before they park), as `diagnostics::dump()` shows. This is
/// how a test knows "the other thread is blocked now" without sleeping.
/// Fails the test after [`LIMIT`].
#[track_caller]
pub fn until_blocked(prefix: &str, n: usize) {
    let start = Instant::now();
    loop {
        let blocked = threadkit::diagnostics::dump()
            .threads
            .iter()
            .filter(|t| t.thread.name.starts_with(prefix) && t.waiting.is_some())
            .count();
        if blocked >= n {
            return;
        }
        assert!(
            start.elapsed() < LIMIT,
            "watchdog: {blocked} of {n} threads named {prefix:?}* blocked after {LIMIT:?}"
        );
        std::thread::yield_now();
    }
}
