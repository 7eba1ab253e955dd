//! Run-time switches of the diagnostics, and their environment variables.
//!
//! | switch | default | environment variable | setter |
//! | --- | --- | --- | --- |
//! | deadlock policy | [`Policy::Fail`] | `THREADKIT_DEADLOCK=fail\|report\|off` | [`set_policy`] |
//! | detection delay | 500 ms | `THREADKIT_DEADLOCK_DELAY_MS=<ms>` | [`set_detection_delay`] |
//! | held-lock tracking | on in debug builds, off in release | `THREADKIT_TRACK=1\|0` | [`set_tracking`] |
//! | lock-order checking | off | `THREADKIT_LOCK_ORDER=1\|0` | [`set_lock_order_checking`] |
//! | contention statistics | off | `THREADKIT_STATS=1\|0` | [`set_stats`] |
//!
//! The environment is read once, the first time any diagnostics code runs;
//! a setter called later wins over the environment.
//!
//! The per-acquire switches (tracking, lock order, statistics) share one
//! byte, [`FLAGS`], which the hooks on the lock fast paths test with one
//! relaxed load:
//!
//! | value / bit | meaning |
//! | --- | --- |
//! | `0` | environment not read yet: the next hook takes the slow path once |
//! | bit 0 (`READY`) | environment read |
//! | bit 1 (`TRACK`) | keep each thread's held-lock list |
//! | bit 2 (`ORDER`) | lock-order graph (needs the held-lock list) |
//! | bit 3 (`STATS`) | contention statistics |
//!
//! So the fast path's test is `FLAGS != READY`: anything else (not read
//! yet, or a switch on) goes to the `#[cold]` path.

use std::sync::Once;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

/// Environment read (see the module table).
pub(crate) const READY: u8 = 1;
/// Held-lock tracking on.
pub(crate) const TRACK: u8 = 2;
/// Lock-order checking on.
pub(crate) const ORDER: u8 = 4;
/// Contention statistics on.
pub(crate) const STATS: u8 = 8;

/// The per-acquire switches (see the module docs). Relaxed everywhere: a
/// switch is not synchronised with acquisitions already in flight; a lock
/// taken just before the switch flips is simply not tracked (or, when
/// switched off, a release may still be tracked, which the held list
/// tolerates: it ignores releases of objects it does not hold).
pub(crate) static FLAGS: AtomicU8 = AtomicU8::new(0);

// The three settings below are independent values that publish no other
// data, so they are read and written Relaxed (a setter racing with a wait
// that is starting may or may not be seen by that wait; the next one sees it).

/// The policy, as `Policy as u8`.
static POLICY: AtomicU8 = AtomicU8::new(Policy::Fail as u8);
/// The detection delay in nanoseconds.
static DELAY_NS: AtomicU64 = AtomicU64::new(DEFAULT_DELAY.as_nanos() as u64);
/// The starvation threshold in nanoseconds (statistics).
static STARVE_NS: AtomicU64 = AtomicU64::new(DEFAULT_STARVATION.as_nanos() as u64);

static INIT: Once = Once::new();

/// Default detection delay.
///
/// # Examples
///
/// ```
/// assert!(threadkit::diagnostics::DEFAULT_DELAY <= std::time::Duration::from_secs(1));
/// ```
pub const DEFAULT_DELAY: Duration = Duration::from_millis(500);
/// Default starvation threshold.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(threadkit::diagnostics::DEFAULT_STARVATION, Duration::from_millis(100));
/// ```
pub const DEFAULT_STARVATION: Duration = Duration::from_millis(100);

/// What the deadlock detector does with a proven deadlock.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{policy, set_policy, Policy};
///
/// let before = policy();
/// set_policy(Policy::Report);
/// assert_eq!(policy(), Policy::Report);
/// set_policy(before);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Policy {
    /// The thread that found the cycle fails its wait (`Err(Deadlock)` from
    /// a checked call, a panic with the report from a plain one), so the
    /// others can go on. The default.
    Fail = 1,
    /// Print the report once (through the report hook) and keep waiting.
    Report = 2,
    /// No detection at all: untimed waits never wake up to look.
    Off = 3,
}

impl Policy {
    fn from_u8(v: u8) -> Policy {
        match v {
            2 => Policy::Report,
            3 => Policy::Off,
            _ => Policy::Fail,
        }
    }
}

fn env_flag(name: &str) -> Option<bool> {
    let v = std::env::var(name).ok()?;
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" => Some(true),
        "0" | "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// Reads the environment once (see the module table).
#[cold]
fn read_env() {
    if let Ok(v) = std::env::var("THREADKIT_DEADLOCK") {
        let p = match v.trim().to_ascii_lowercase().as_str() {
            "report" => Some(Policy::Report),
            "off" | "0" => Some(Policy::Off),
            "fail" | "on" | "1" => Some(Policy::Fail),
            _ => None,
        };
        if let Some(p) = p {
            POLICY.store(p as u8, Ordering::Relaxed);
        }
    }
    if let Some(ms) = std::env::var("THREADKIT_DEADLOCK_DELAY_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        DELAY_NS.store(ms.max(1).saturating_mul(1_000_000), Ordering::Relaxed);
    }
    let mut flags = READY;
    if env_flag("THREADKIT_TRACK").unwrap_or(cfg!(debug_assertions)) {
        flags |= TRACK;
    }
    if env_flag("THREADKIT_LOCK_ORDER").unwrap_or(false) {
        flags |= ORDER;
    }
    if env_flag("THREADKIT_STATS").unwrap_or(false) {
        flags |= STATS;
    }
    FLAGS.store(flags, Ordering::Relaxed);
}

/// Makes sure the environment has been read. `Once` gives the happens-before
/// edge from `read_env`'s stores to every caller that returns from here.
#[inline]
pub(crate) fn init() {
    INIT.call_once(read_env);
}

/// The per-acquire switches, environment read.
#[inline]
pub(crate) fn flags() -> u8 {
    init();
    FLAGS.load(Ordering::Relaxed)
}

fn set_flag(bit: u8, on: bool) {
    init();
    if on {
        FLAGS.fetch_or(bit, Ordering::Relaxed);
    } else {
        FLAGS.fetch_and(!bit, Ordering::Relaxed);
    }
}

/// The current deadlock policy.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{policy, Policy};
///
/// // `Fail` unless THREADKIT_DEADLOCK says otherwise.
/// let _p: Policy = policy();
/// ```
pub fn policy() -> Policy {
    init();
    Policy::from_u8(POLICY.load(Ordering::Relaxed))
}

/// Chooses what the detector does with a proven deadlock (see [`Policy`]).
/// Takes effect for waits that start afterwards (and, for `Off`, at the
/// next check of waits already in progress).
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{set_policy, Policy};
///
/// set_policy(Policy::Report); // print deadlocks, keep waiting
/// set_policy(Policy::Fail); // back to the default
/// ```
pub fn set_policy(p: Policy) {
    init();
    POLICY.store(p as u8, Ordering::Relaxed);
}

/// How long an untimed owner-tracked wait lasts before the detector looks.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::detection_delay;
///
/// assert!(detection_delay() > std::time::Duration::ZERO);
/// ```
pub fn detection_delay() -> Duration {
    init();
    Duration::from_nanos(DELAY_NS.load(Ordering::Relaxed))
}

/// Sets the detection delay (at least 1 ms; larger values are kept as is).
/// Waits already parked keep the delay they started with until their next
/// check.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threadkit::diagnostics::{detection_delay, set_detection_delay};
///
/// let before = detection_delay();
/// set_detection_delay(Duration::from_millis(100));
/// assert_eq!(detection_delay(), Duration::from_millis(100));
/// set_detection_delay(before);
/// ```
pub fn set_detection_delay(d: Duration) {
    init();
    let ns = u64::try_from(d.as_nanos())
        .unwrap_or(u64::MAX)
        .max(1_000_000);
    DELAY_NS.store(ns, Ordering::Relaxed);
}

/// Whether held-lock tracking is on (acquisition sites in reports and dumps).
///
/// # Examples
///
/// ```
/// let _on: bool = threadkit::diagnostics::tracking();
/// ```
pub fn tracking() -> bool {
    flags() & TRACK != 0
}

/// Turns held-lock tracking on or off: each acquire then pushes (and each
/// release pops) an entry on the thread's held-lock list, so reports and
/// dumps can say where every held lock was acquired. Costs a thread-local
/// lookup and an uncontended mutex per acquire and release; on by default
/// in debug builds only.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{set_tracking, tracking};
///
/// let before = tracking();
/// set_tracking(true);
/// assert!(tracking());
/// set_tracking(before);
/// ```
pub fn set_tracking(on: bool) {
    set_flag(TRACK, on);
}

/// Whether lock-order checking is on.
///
/// # Examples
///
/// ```
/// let _on: bool = threadkit::diagnostics::lock_order_checking();
/// ```
pub fn lock_order_checking() -> bool {
    flags() & ORDER != 0
}

/// Turns lock-order checking on or off (see
/// [`set_lock_order_hook`](super::set_lock_order_hook)). It keeps the
/// held-lock list too, whatever [`set_tracking`] says.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{lock_order_checking, set_lock_order_checking};
///
/// let before = lock_order_checking();
/// set_lock_order_checking(true);
/// assert!(lock_order_checking());
/// set_lock_order_checking(before);
/// ```
pub fn set_lock_order_checking(on: bool) {
    set_flag(ORDER, on);
}

/// Whether contention statistics are on.
///
/// # Examples
///
/// ```
/// let _on: bool = threadkit::diagnostics::stats_enabled();
/// ```
pub fn stats_enabled() -> bool {
    flags() & STATS != 0
}

/// Turns contention statistics on or off (see [`stats`](super::stats)).
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{set_stats, stats_enabled};
///
/// let before = stats_enabled();
/// set_stats(true);
/// assert!(stats_enabled());
/// set_stats(before);
/// ```
pub fn set_stats(on: bool) {
    set_flag(STATS, on);
}

/// How long a waiter may be passed over before statistics call it starved.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{set_starvation_threshold, starvation_threshold};
/// use std::time::Duration;
///
/// let before = starvation_threshold();
/// set_starvation_threshold(Duration::from_millis(20));
/// assert_eq!(starvation_threshold(), Duration::from_millis(20));
/// set_starvation_threshold(before);
/// ```
pub fn starvation_threshold() -> Duration {
    init();
    Duration::from_nanos(STARVE_NS.load(Ordering::Relaxed))
}

/// Sets the starvation threshold (see [`starvation_threshold`]).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// threadkit::diagnostics::set_starvation_threshold(Duration::from_millis(250));
/// # threadkit::diagnostics::set_starvation_threshold(threadkit::diagnostics::DEFAULT_STARVATION);
/// ```
pub fn set_starvation_threshold(d: Duration) {
    init();
    STARVE_NS.store(
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}
