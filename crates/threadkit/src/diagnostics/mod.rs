//! Deadlock detection and recovery, lock-order checking, thread dumps and
//! contention statistics.
//!
//! - **Deadlock detection** (on by default, policy [`Policy::Fail`]): a
//!   thread blocked for [`detection_delay`] in an untimed wait on a Lock,
//!   RLock, a thread's join or a future's result follows "waits on -> held
//!   by" edges. A stable cycle with no timed wait is a deadlock; the thread
//!   that found it fails its wait with a [`Deadlock`] (a checked call returns
//!   `Err`, a plain one panics with the report, unwinding and releasing its
//!   guards), and the others go on. The fast paths never pay for this: the
//!   detector runs in the waiting thread, once per detection delay.
//! - **Possible deadlocks**: when every known thread is blocked in an untimed
//!   wait and some wait has no owner (Event, Condition, Semaphore, Queue,
//!   Barrier), nothing can be proven; the stall is reported once through the
//!   report hook ([`set_report_hook`]) with a [`ThreadDump`].
//! - **Lock-order checking** (opt-in, [`set_lock_order_checking`]): "held A
//!   while acquiring B" edges over lock names/creation sites; a cycle is
//!   reported through [`set_lock_order_hook`] even when no hang happened.
//! - **Thread dumps**: [`dump`], or `kill -QUIT` after
//!   [`install_sigquit_handler`].
//! - **Contention statistics** (opt-in, [`set_stats`]): [`stats`].
//!
//! Held-lock tracking ([`set_tracking`]) records where each held lock was
//! acquired, for reports and dumps. It costs a thread-local lookup and an
//! uncontended mutex per acquire and release, so it is on by default in
//! debug builds only; without it, reports still name every thread and lock
//! and every wait site.
//!
//! All switches are also read from the environment once (see
//! [`Policy`] and the setters): `THREADKIT_DEADLOCK=fail|report|off`,
//! `THREADKIT_DEADLOCK_DELAY_MS`, `THREADKIT_TRACK`, `THREADKIT_LOCK_ORDER`,
//! `THREADKIT_STATS`.
//!
//! Contract with the layers below:
//! - the wait layer calls `first_check_delay` when a thread first parks in
//!   an untimed wait, and `on_long_wait` each time that delay passes;
//! - owner-tracked primitives call the `hooks` on acquire and release;
//!   the hooks are `#[inline]` checks of one relaxed flag and cost nothing
//!   when every per-acquire switch is off.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::registry::ThreadInfo;

mod config;
mod detector;
mod dump;
pub(crate) mod hooks;
mod lock_order;
mod report;
mod signal;
mod stall;
mod stats;

#[cfg(test)]
mod tests;

pub use config::{
    DEFAULT_DELAY, DEFAULT_STARVATION, Policy, detection_delay, lock_order_checking, policy,
    set_detection_delay, set_lock_order_checking, set_policy, set_starvation_threshold, set_stats,
    set_tracking, starvation_threshold, stats_enabled, tracking,
};
pub use dump::{ThreadDump, ThreadState, dump};
pub use lock_order::{
    LockOrderViolation, OrderEdge, clear_lock_order_graph, reset_lock_order_hook,
    set_lock_order_hook,
};
pub use report::{
    CycleThread, Deadlock, DeadlockReport, HeldLock, ObjectLabel, ThreadLabel, WaitInfo,
};
pub use signal::install_sigquit_handler;
pub use stats::{LockStats, Starvation, Stats, reset_stats, stats};

/// Something the detector reports without failing anyone (see
/// [`set_report_hook`]).
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{reset_report_hook, set_report_hook, Incident};
///
/// set_report_hook(|i| {
///     if let Incident::PossibleDeadlock(dump) = i {
///         eprintln!("stalled: {} threads", dump.threads.len());
///     }
/// });
/// reset_report_hook();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Incident<'a> {
    /// A proven deadlock under [`Policy::Report`]: every thread keeps waiting.
    Deadlock(&'a Deadlock),
    /// Every known thread is blocked in an untimed wait, and some wait has
    /// no owner to blame (Event, Condition, Semaphore, Queue, Barrier): a
    /// possible deadlock, with the dump of every thread.
    PossibleDeadlock(&'a ThreadDump),
}

impl fmt::Display for Incident<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Incident::Deadlock(d) => write!(f, "{d}"),
            Incident::PossibleDeadlock(dump) => write!(
                f,
                "possible deadlock: every thread is blocked in an untimed wait, and no \
                 lock owner can be blamed (Event, Condition, Semaphore, Queue or Barrier \
                 waits); nothing was failed.\n{dump}"
            ),
        }
    }
}

type ReportHook = Arc<dyn Fn(&Incident<'_>) + Send + Sync>;
static REPORT_HOOK: RwLock<Option<ReportHook>> = RwLock::new(None);

/// Calls `hook` for each [`Incident`] instead of printing it to stderr.
/// The hook runs in a blocked thread, outside every internal lock; it may
/// take threadkit locks, but must not wait for the stalled threads.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{reset_report_hook, set_report_hook, Incident};
///
/// set_report_hook(|i| match i {
///     Incident::Deadlock(d) => eprintln!("DEADLOCK\n{d}"),
///     other => eprintln!("{other}"),
/// });
/// reset_report_hook();
/// ```
pub fn set_report_hook(hook: impl Fn(&Incident<'_>) + Send + Sync + 'static) {
    *REPORT_HOOK.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
}

/// Restores the default report hook (print to stderr).
///
/// # Examples
///
/// ```
/// threadkit::diagnostics::reset_report_hook();
/// ```
pub fn reset_report_hook() {
    *REPORT_HOOK.write().unwrap_or_else(PoisonError::into_inner) = None;
}

pub(crate) fn emit(incident: &Incident<'_>) {
    let hook = REPORT_HOOK
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match hook {
        Some(h) => h(incident),
        None => eprintln!("threadkit: {incident}"),
    }
}

/// What the detector tells a thread that has waited one detection delay.
pub(crate) enum Verdict {
    /// Keep waiting; check again after this long (`None`: never again).
    Continue(Option<Duration>),
    /// This thread was chosen to break a proven deadlock.
    Fail(Deadlock),
}

/// How long an untimed wait lasts before the detector looks at it
/// (`None`: detection is off).
pub(crate) fn first_check_delay() -> Option<Duration> {
    if cfg!(loom) || policy() == Policy::Off {
        None
    } else {
        Some(detection_delay())
    }
}

/// Called by the wait layer on a thread blocked for a detection delay.
pub(crate) fn on_long_wait(me: &Arc<ThreadInfo>) -> Verdict {
    detector::on_long_wait(me)
}

/// Asserts at compile time that the public types can cross threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Deadlock>();
    send_sync::<DeadlockReport>();
    send_sync::<ThreadDump>();
    send_sync::<LockOrderViolation>();
    send_sync::<Stats>();
    send_sync::<Policy>();
};
