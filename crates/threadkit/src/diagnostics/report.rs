//! The deadlock report: what a person needs to fix the bug (`Display`), and
//! the same facts as data (`serde`) for programs.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::registry::{self, ThreadInfo};
use crate::wait::{Held, Meta, Tid, WaitKind, WaitRecord};

/// A thread as reports name it.
///
/// # Examples
///
/// ```
/// let d = threadkit::diagnostics::dump();
/// let main = &d.threads[0].thread;
/// assert_eq!(main.name, "MainThread");
/// assert_eq!(main.to_string(), "\"MainThread\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadLabel {
    /// The thread's name (`Thread-N`, `MainThread`, or the name given).
    pub name: String,
    /// Python's `ident`: unique for the process's life.
    pub ident: u64,
}

/// An object (a lock, a thread being joined, a future...) as reports name it.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::ObjectLabel;
///
/// let l = ObjectLabel { kind: "Lock".into(), name: Some("accounts".into()), created_at: None };
/// assert_eq!(l.to_string(), "Lock \"accounts\"");
/// let l = ObjectLabel { kind: "Lock".into(), name: None, created_at: Some("src/main.rs:3".into()) };
/// assert_eq!(l.to_string(), "Lock created at src/main.rs:3");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLabel {
    /// `Lock`, `RLock`, `Thread.join`, `Future`, `Event`, ...
    pub kind: String,
    /// The name given at creation, if any.
    pub name: Option<String>,
    /// Where the object was created (`file:line`), if known.
    pub created_at: Option<String>,
}

/// A lock a thread holds.
///
/// # Examples
///
/// ```
/// use threadkit::{diagnostics, Lock};
///
/// diagnostics::set_tracking(true);
/// let l = Lock::named("held", ());
/// let _g = l.acquire();
/// let me = std::thread::current().name().map(str::to_owned);
/// let d = diagnostics::dump();
/// let held: Vec<_> = d.threads.iter().flat_map(|t| &t.holds).collect();
/// assert!(held.iter().any(|h| h.lock.name.as_deref() == Some("held") && h.acquired_at.is_some()));
/// # let _ = me;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLock {
    /// The lock.
    pub lock: ObjectLabel,
    /// Where it was acquired (`file:line`); `None` when held-lock tracking
    /// was off (the lock is then known only because a waiter saw its owner).
    pub acquired_at: Option<String>,
}

/// What a blocked thread waits for.
///
/// # Examples
///
/// ```
/// for t in threadkit::diagnostics::dump().threads {
///     if let Some(w) = &t.waiting {
///         println!("{} {w} ({} ms)", t.thread, w.waited_ms);
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitInfo {
    /// The object waited on.
    pub object: ObjectLabel,
    /// Where the blocking call was made (`file:line`).
    pub site: String,
    /// How long the thread has waited, in milliseconds.
    pub waited_ms: u64,
    /// Whether the wait has a deadline.
    pub timed: bool,
    /// The thread(s) that must act for the wait to end (a lock's owner, the
    /// thread being joined, the workers that could run a future); empty when
    /// the object has no owner (Event, Queue...).
    pub held_by: Vec<ThreadLabel>,
}

/// One thread of a deadlock cycle.
///
/// # Examples
///
/// ```
/// fn victims_wait(d: &threadkit::Deadlock) -> &str {
///     &d.details().cycle[0].waits_for.site
/// }
/// # let _ = victims_wait;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleThread {
    /// The thread.
    pub thread: ThreadLabel,
    /// The locks it holds (those that matter to the cycle at least).
    pub holds: Vec<HeldLock>,
    /// The wait that is part of the cycle.
    pub waits_for: WaitInfo,
}

/// The structured form of a deadlock report.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Barrier};
/// use threadkit::{diagnostics, Lock};
///
/// diagnostics::set_detection_delay(std::time::Duration::from_millis(50));
/// let (a, b) = (Arc::new(Lock::named("a", ())), Arc::new(Lock::named("b", ())));
/// let barrier = Arc::new(Barrier::new(2));
/// let t = {
///     let (a, b, barrier) = (a.clone(), b.clone(), barrier.clone());
///     std::thread::spawn(move || {
///         let _a = a.acquire();
///         barrier.wait();
///         b.acquire_checked().map(drop)
///     })
/// };
/// let _b = b.acquire();
/// barrier.wait();
/// let mine = a.acquire_checked().map(drop);
/// drop(_b);
/// let theirs = t.join().unwrap();
/// // Exactly one of the two waits failed, with the report.
/// let d = mine.err().or(theirs.err()).expect("one victim");
/// let report = d.details();
/// assert_eq!(report.cycle.len(), 2);
/// assert!(serde_json::from_str::<diagnostics::DeadlockReport>(&d.to_json()).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlockReport {
    /// The threads of the cycle, each waiting for the next (the last for the
    /// first).
    pub cycle: Vec<CycleThread>,
    /// Other threads that are stuck with the cycle (waiting on it), if any.
    pub also_stuck: Vec<CycleThread>,
    /// The thread chosen to fail its wait (the one that found the cycle).
    pub victim: ThreadLabel,
    /// Whether the victim fails (policy `Fail`) or keeps waiting (`Report`).
    pub victim_fails: bool,
    /// Whether held-lock tracking was on, i.e. acquisition sites are known.
    pub acquisition_sites_recorded: bool,
}

/// A proven deadlock: returned by checked blocking calls (and carried by the
/// panic of unchecked ones) on the one thread chosen to break the cycle.
///
/// `Display` (and [`report`](Deadlock::report)) give the text for people;
/// [`details`](Deadlock::details) the same facts as data.
///
/// # Examples
///
/// ```
/// fn explain(d: &threadkit::diagnostics::Deadlock) {
///     eprintln!("{d}");
///     for t in &d.details().cycle {
///         eprintln!("{} waits at {}", t.thread.name, t.waits_for.site);
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Clone, Debug)]
pub struct Deadlock {
    details: Arc<DeadlockReport>,
    report: Arc<str>,
}

impl Deadlock {
    pub(crate) fn new(details: DeadlockReport) -> Deadlock {
        let report: Arc<str> = Arc::from(details.to_string());
        Deadlock {
            details: Arc::new(details),
            report,
        }
    }

    /// The human-readable report (the same text as `Display`).
    ///
    /// # Examples
    ///
    /// ```
    /// fn log(d: &threadkit::diagnostics::Deadlock) {
    ///     assert!(d.report().starts_with("deadlock"));
    /// }
    /// # let _ = log;
    /// ```
    pub fn report(&self) -> &str {
        &self.report
    }

    /// The report as data.
    ///
    /// # Examples
    ///
    /// ```
    /// fn names(d: &threadkit::diagnostics::Deadlock) -> Vec<String> {
    ///     d.details().cycle.iter().map(|t| t.thread.name.clone()).collect()
    /// }
    /// # let _ = names;
    /// ```
    pub fn details(&self) -> &DeadlockReport {
        &self.details
    }

    /// The report as JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// fn json(d: &threadkit::diagnostics::Deadlock) -> String {
    ///     d.to_json()
    /// }
    /// # let _ = json;
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&*self.details).unwrap_or_default()
    }
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report)
    }
}

impl std::error::Error for Deadlock {}

impl fmt::Display for ThreadLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.name)
    }
}

impl fmt::Display for ObjectLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, &self.created_at) {
            (Some(n), _) => write!(f, "{} \"{}\"", self.kind, n),
            (None, Some(at)) => write!(f, "{} created at {}", self.kind, at),
            (None, None) => write!(f, "an unnamed {}", self.kind),
        }
    }
}

impl fmt::Display for HeldLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.acquired_at {
            Some(at) => write!(f, "{} (acquired at {})", self.lock, at),
            None => write!(f, "{}", self.lock),
        }
    }
}

fn list<T: fmt::Display>(items: &[T], f: &mut fmt::Formatter<'_>, last: &str) -> fmt::Result {
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(if i + 1 == items.len() { last } else { ", " })?;
        }
        write!(f, "{it}")?;
    }
    Ok(())
}

impl fmt::Display for WaitInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.object.kind == WaitKind::Join.as_str() {
            f.write_str("waits to join ")?;
            list(&self.held_by, f, " or ")?;
            return write!(f, " at {}", self.site);
        }
        write!(f, "waits for {} at {}", self.object, self.site)?;
        match self.held_by.len() {
            0 => Ok(()),
            1 => write!(f, ", held by {}", self.held_by[0]),
            _ => {
                f.write_str(", which any of ")?;
                list(&self.held_by, f, " or ")?;
                f.write_str(" could release")
            }
        }
    }
}

impl fmt::Display for CycleThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.thread)?;
        if !self.holds.is_empty() {
            f.write_str(" holds ")?;
            list(&self.holds, f, " and ")?;
            f.write_str(" and")?;
        }
        write!(f, " {}", self.waits_for)
    }
}

impl fmt::Display for DeadlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cycle.len() {
            1 => writeln!(f, "deadlock: 1 thread waits on itself")?,
            n => writeln!(f, "deadlock: {n} threads wait on each other")?,
        }
        for t in &self.cycle {
            writeln!(f, "  {t}")?;
        }
        if !self.also_stuck.is_empty() {
            writeln!(f, "stuck behind the cycle:")?;
            for t in &self.also_stuck {
                writeln!(f, "  {t}")?;
            }
        }
        if self.victim_fails {
            write!(
                f,
                "{} was chosen to fail its wait so the others can go on.",
                self.victim
            )?;
        } else {
            write!(
                f,
                "policy is Report: every thread keeps waiting ({} found the cycle).",
                self.victim
            )?;
        }
        if !self.acquisition_sites_recorded {
            write!(
                f,
                "\nacquisition sites were not recorded: turn held-lock tracking on with \
                 threadkit::diagnostics::set_tracking(true) or THREADKIT_TRACK=1."
            )?;
        }
        Ok(())
    }
}

// ----- building the report pieces from the wait layer's records -----------

pub(crate) fn site(l: &'static Location<'static>) -> String {
    format!("{}:{}", l.file(), l.line())
}

pub(crate) fn object_label(kind: WaitKind, meta: Meta) -> ObjectLabel {
    let d = meta.describe();
    ObjectLabel {
        kind: kind.as_str().to_string(),
        name: d.name.map(|n| n.to_string()),
        created_at: d.site.map(site),
    }
}

pub(crate) fn thread_label(info: &ThreadInfo) -> ThreadLabel {
    ThreadLabel {
        name: info.name().to_string(),
        ident: info.ident,
    }
}

pub(crate) fn thread_label_of(tid: Tid) -> ThreadLabel {
    match registry::by_tid(tid) {
        Some(i) => thread_label(&i),
        None => ThreadLabel {
            name: format!("<exited thread #{}>", tid.get()),
            ident: 0,
        },
    }
}

pub(crate) fn wait_info(rec: &WaitRecord, owners: &[Tid], now: Instant) -> WaitInfo {
    WaitInfo {
        object: object_label(rec.kind, rec.meta),
        site: site(rec.site),
        waited_ms: u64::try_from(now.saturating_duration_since(rec.since).as_millis())
            .unwrap_or(u64::MAX),
        timed: rec.timed,
        held_by: owners.iter().map(|&t| thread_label_of(t)).collect(),
    }
}

pub(crate) fn held_lock(h: &Held) -> HeldLock {
    HeldLock {
        lock: object_label(h.kind, h.meta),
        acquired_at: Some(site(h.site)),
    }
}
