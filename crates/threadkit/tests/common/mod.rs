//! Shared helpers for the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::mpsc;
use std::time::Duration;

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
        .name("test-body".into())
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
