//! Thread dumps: every known thread, what it waits for, what it holds.

use std::fmt;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::detector::{derived_holds, holds_of, snap};
use super::report::{self, HeldLock, ThreadLabel, WaitInfo};
use crate::registry;

/// One thread of a [`ThreadDump`].
///
/// # Examples
///
/// ```
/// let d = threadkit::diagnostics::dump();
/// let main = &d.threads[0];
/// assert!(!main.daemon);
/// println!("{main}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadState {
    /// Name and ident.
    pub thread: ThreadLabel,
    /// The OS thread id, once the thread runs.
    pub native_id: Option<u64>,
    /// The daemon flag.
    pub daemon: bool,
    /// What it is blocked on; `None`: running (or blocked outside threadkit).
    pub waiting: Option<WaitInfo>,
    /// The locks it holds: all of them with their acquisition sites when
    /// held-lock tracking is on; otherwise those a blocked waiter sees it
    /// own, without sites.
    pub holds: Vec<HeldLock>,
}

/// A snapshot of every known thread (see [`dump`]).
///
/// # Examples
///
/// ```
/// let d = threadkit::diagnostics::dump();
/// assert!(d.threads.iter().any(|t| t.thread.name == "MainThread"));
/// println!("{d}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadDump {
    /// The threads, in `enumerate()` order (the main thread first).
    pub threads: Vec<ThreadState>,
    /// Whether held-lock tracking was on (acquisition sites are known).
    pub acquisition_sites_recorded: bool,
}

impl ThreadDump {
    /// The dump as JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// let json = threadkit::diagnostics::dump().to_json();
    /// assert!(json.contains("MainThread"));
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A dump of every thread threadkit knows: the main thread, every started
/// `Thread`, and every foreign thread that has called into threadkit. Each
/// thread's state is read under its own lock, one thread at a time, so the
/// dump is not one atomic snapshot of the whole process.
///
/// # Examples
///
/// ```
/// let d = threadkit::diagnostics::dump();
/// for t in &d.threads {
///     match &t.waiting {
///         Some(w) => println!("{} {}", t.thread, w),
///         None => println!("{} running", t.thread),
///     }
/// }
/// ```
pub fn dump() -> ThreadDump {
    let now = Instant::now();
    let snaps: Vec<_> = registry::listed().iter().map(snap).collect();
    let derived = derived_holds(snaps.iter());
    let threads = snaps
        .iter()
        .map(|s| ThreadState {
            thread: report::thread_label(&s.info),
            native_id: s.info.native_id(),
            daemon: s.info.daemon(),
            waiting: s.rec.as_ref().map(|r| report::wait_info(r, &s.owners, now)),
            holds: holds_of(
                &s.info,
                derived.get(&s.info.tid).map(Vec::as_slice).unwrap_or(&[]),
            ),
        })
        .collect();
    ThreadDump {
        threads,
        acquisition_sites_recorded: super::config::tracking()
            || super::config::lock_order_checking(),
    }
}

impl fmt::Display for ThreadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (ident {}", self.thread, self.thread.ident)?;
        if let Some(n) = self.native_id {
            write!(f, ", native id {n}")?;
        }
        if self.daemon {
            f.write_str(", daemon")?;
        }
        f.write_str("): ")?;
        match &self.waiting {
            None => f.write_str("running")?,
            Some(w) => {
                let secs = w.waited_ms as f64 / 1000.0;
                write!(
                    f,
                    "blocked for {secs:.3} s ({}): {w}",
                    if w.timed { "timed" } else { "untimed" }
                )?;
            }
        }
        for h in &self.holds {
            write!(f, "\n    holds {h}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ThreadDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "threadkit thread dump: {} threads", self.threads.len())?;
        for t in &self.threads {
            write!(f, "\n{t}")?;
        }
        if !self.acquisition_sites_recorded {
            write!(
                f,
                "\n(held locks shown only where a waiter sees their owner; \
                 THREADKIT_TRACK=1 or set_tracking(true) records every held lock and its site)"
            )?;
        }
        Ok(())
    }
}
