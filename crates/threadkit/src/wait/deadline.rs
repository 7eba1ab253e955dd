//! Deadlines inside, timeouts outside.

use std::time::{Duration, Instant};

/// Turns a timeout into a deadline, once, at the start of a blocking call.
///
/// `None` means "no deadline": a timeout too large to represent as an
/// `Instant` (like `Duration::MAX`) waits forever, as CPython treats
/// `threading.TIMEOUT_MAX`.
#[inline]
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Whether `deadline` has passed. Under loom, time does not pass, so a timed
/// park that came back timed out is taken at its word.
#[inline]
pub(crate) fn expired(deadline: Instant) -> bool {
    cfg!(loom) || Instant::now() >= deadline
}
