//! Layer 4: diagnostics (deadlock detection, lock-order checking, thread
//! dumps, contention statistics).
//!
//! Contract with the layers below:
//! - the wait layer calls [`detection_delay`] when a thread first parks in
//!   an untimed wait, and [`on_long_wait`] each time that delay passes;
//! - owner-tracked primitives call the `hooks` on acquire and release;
//!   the hooks are `#[inline]` checks of one relaxed flag and cost nothing
//!   when tracking is off.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::registry::ThreadInfo;

pub(crate) mod hooks;

/// A proven deadlock: returned by checked blocking calls (and carried by the
/// panic of unchecked ones) on the one thread chosen to break the cycle.
#[derive(Clone, Debug)]
pub struct Deadlock {
    report: Arc<str>,
}

impl Deadlock {
    /// The human-readable report.
    pub fn report(&self) -> &str {
        &self.report
    }
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report)
    }
}

impl std::error::Error for Deadlock {}

/// What the detector tells a thread that has waited one detection delay.
pub(crate) enum Verdict {
    /// Keep waiting; check again after this long (`None`: never again).
    Continue(Option<Duration>),
    /// This thread was chosen to break a proven deadlock.
    Fail(Deadlock),
}

/// How long an untimed wait lasts before the detector looks at it
/// (`None`: detection is off).
pub(crate) fn detection_delay() -> Option<Duration> {
    None
}

/// Called by the wait layer on a thread blocked for a detection delay.
pub(crate) fn on_long_wait(_me: &Arc<ThreadInfo>) -> Verdict {
    Verdict::Continue(None)
}
