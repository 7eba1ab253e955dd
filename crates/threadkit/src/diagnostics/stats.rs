//! Contention statistics (opt-in): per lock class (name or creation site),
//! acquisitions, contended acquisitions (calls that had to park), total and
//! maximum time parked, the thread that waited longest, and starvation: a
//! waiter parked longer than the threshold while other threads acquired the
//! same lock class.
//!
//! Counting happens in two places: the acquire hook (every acquisition, a
//! shared read lock on the table and one relaxed add) and the end of every
//! parked wait on a Lock, RLock or Semaphore (slow path only). A call that
//! got its lock while spinning, without parking, counts as uncontended.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::config;
use super::report::{self, ObjectLabel, ThreadLabel};
use crate::registry::ThreadInfo;
use crate::wait::{Meta, WaitKind};

/// Statistics of one lock class.
///
/// # Examples
///
/// ```
/// use threadkit::{diagnostics, Lock};
///
/// diagnostics::set_stats(true);
/// let l = Lock::named("stats_doc", 0);
/// *l.acquire() += 1;
/// let s = diagnostics::stats();
/// let e = s.locks.iter().find(|e| e.lock.name.as_deref() == Some("stats_doc")).unwrap();
/// assert_eq!(e.acquisitions, 1);
/// assert_eq!(e.contended, 0);
/// diagnostics::set_stats(false);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockStats {
    /// The lock (class: name or creation site).
    pub lock: ObjectLabel,
    /// Successful acquisitions.
    pub acquisitions: u64,
    /// Acquire calls that had to park (contended).
    pub contended: u64,
    /// Total time parked, in microseconds.
    pub total_wait_us: u64,
    /// Longest single park, in microseconds.
    pub max_wait_us: u64,
    /// The thread that waited `max_wait_us`.
    pub longest_waiter: Option<ThreadLabel>,
    /// Waits reported as starvation.
    pub starved: u64,
}

/// A waiter passed over for longer than the starvation threshold.
///
/// # Examples
///
/// ```
/// for s in threadkit::diagnostics::stats().starvation {
///     eprintln!("{} waited {} ms for {}", s.thread, s.waited_ms, s.lock);
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Starvation {
    /// The waiter.
    pub thread: ThreadLabel,
    /// The lock class.
    pub lock: ObjectLabel,
    /// How long it waited, in milliseconds.
    pub waited_ms: u64,
    /// How many times other threads acquired the lock class meanwhile.
    pub others_acquired: u64,
}

/// A snapshot of the contention statistics (see [`stats`]).
///
/// # Examples
///
/// ```
/// let s = threadkit::diagnostics::stats();
/// println!("{s}");
/// let _json = s.to_json();
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// One entry per lock class that was acquired or waited on, most
    /// contended first.
    pub locks: Vec<LockStats>,
    /// Starvation reports (at most the first 1000).
    pub starvation: Vec<Starvation>,
}

impl Stats {
    /// The statistics as JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(threadkit::diagnostics::stats().to_json().contains("locks"));
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[derive(Default)]
struct Entry {
    acquisitions: AtomicU64,
    contended: AtomicU64,
    total_ns: AtomicU64,
    max_ns: AtomicU64,
    starved: AtomicU64,
    longest: Mutex<Option<(u64, ThreadLabel)>>,
}

type Key = (u32, u8);

fn kind_code(kind: WaitKind) -> u8 {
    kind as u8
}

/// Per class: its kind and identity (for the report) and its counters.
type Table = BTreeMap<Key, (WaitKind, Meta, Arc<Entry>)>;

static TABLE: RwLock<Table> = RwLock::new(BTreeMap::new());
static STARVED: Mutex<Vec<Starvation>> = Mutex::new(Vec::new());
const MAX_STARVATION_REPORTS: usize = 1000;

fn entry(kind: WaitKind, meta: Meta) -> Arc<Entry> {
    let key = (meta.index(), kind_code(kind));
    if let Some((_, _, e)) = TABLE
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return e.clone();
    }
    TABLE
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key)
        .or_insert_with(|| (kind, meta, Arc::default()))
        .2
        .clone()
}

fn counted(kind: WaitKind) -> bool {
    matches!(kind, WaitKind::Lock | WaitKind::RLock | WaitKind::Semaphore)
}

/// One successful acquisition (all counters are Relaxed: they are
/// statistics, read as a snapshot that need not be consistent).
pub(crate) fn acquired(kind: WaitKind, meta: Meta) {
    entry(kind, meta)
        .acquisitions
        .fetch_add(1, Ordering::Relaxed);
}

/// The acquisition count of the class when a wait starts.
pub(crate) fn wait_started(kind: WaitKind, meta: Meta) -> u64 {
    if !counted(kind) {
        return 0;
    }
    entry(kind, meta).acquisitions.load(Ordering::Relaxed)
}

/// A parked wait ended.
pub(crate) fn wait_ended(kind: WaitKind, meta: Meta, since: Instant, start: u64, me: &ThreadInfo) {
    if !counted(kind) {
        return;
    }
    let waited = since.elapsed();
    let ns = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
    let e = entry(kind, meta);
    e.contended.fetch_add(1, Ordering::Relaxed);
    e.total_ns.fetch_add(ns, Ordering::Relaxed);
    if e.max_ns.fetch_max(ns, Ordering::Relaxed) < ns {
        let mut l = e.longest.lock().unwrap_or_else(PoisonError::into_inner);
        if l.as_ref().is_none_or(|(m, _)| *m < ns) {
            *l = Some((ns, report::thread_label(me)));
        }
    }
    // The waiter's own acquisition may already be counted (primitives call
    // the acquire hook before or after the wait ends): count it out.
    let others = e
        .acquisitions
        .load(Ordering::Relaxed)
        .saturating_sub(start)
        .saturating_sub(1);
    if waited >= config::starvation_threshold() && others > 0 {
        e.starved.fetch_add(1, Ordering::Relaxed);
        let mut s = STARVED.lock().unwrap_or_else(PoisonError::into_inner);
        if s.len() < MAX_STARVATION_REPORTS {
            s.push(Starvation {
                thread: report::thread_label(me),
                lock: report::object_label(kind, meta),
                waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                others_acquired: others,
            });
        }
    }
}

/// The contention statistics gathered since statistics were turned on (or
/// last reset). Empty unless [`set_stats`](super::set_stats)`(true)` or
/// `THREADKIT_STATS=1`.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{set_stats, stats};
///
/// set_stats(true);
/// // ... run the program ...
/// for l in stats().locks {
///     println!("{}: {} of {} acquisitions contended", l.lock, l.contended, l.acquisitions);
/// }
/// set_stats(false);
/// ```
pub fn stats() -> Stats {
    let table = TABLE.read().unwrap_or_else(PoisonError::into_inner);
    let mut locks: Vec<LockStats> = table
        .values()
        .map(|(kind, meta, e)| LockStats {
            lock: report::object_label(*kind, *meta),
            acquisitions: e.acquisitions.load(Ordering::Relaxed),
            contended: e.contended.load(Ordering::Relaxed),
            total_wait_us: e.total_ns.load(Ordering::Relaxed) / 1000,
            max_wait_us: e.max_ns.load(Ordering::Relaxed) / 1000,
            longest_waiter: e
                .longest
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .map(|(_, t)| t.clone()),
            starved: e.starved.load(Ordering::Relaxed),
        })
        .collect();
    drop(table);
    locks.sort_by(|a, b| {
        b.contended
            .cmp(&a.contended)
            .then(b.acquisitions.cmp(&a.acquisitions))
    });
    Stats {
        locks,
        starvation: STARVED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
    }
}

/// Forgets all statistics gathered so far.
///
/// # Examples
///
/// ```
/// threadkit::diagnostics::reset_stats();
/// assert!(threadkit::diagnostics::stats().locks.is_empty());
/// ```
pub fn reset_stats() {
    TABLE
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    STARVED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "threadkit contention statistics: {} locks",
            self.locks.len()
        )?;
        for l in &self.locks {
            write!(
                f,
                "\n  {}: {} acquisitions, {} contended, waited {:?} in total, {:?} at most",
                l.lock,
                l.acquisitions,
                l.contended,
                Duration::from_micros(l.total_wait_us),
                Duration::from_micros(l.max_wait_us),
            )?;
            if let Some(t) = &l.longest_waiter {
                write!(f, " (by {t})")?;
            }
            if l.starved > 0 {
                write!(f, ", {} starved waits", l.starved)?;
            }
        }
        for s in &self.starvation {
            write!(
                f,
                "\n  starvation: {} waited {} ms for {} while others acquired it {} times",
                s.thread, s.waited_ms, s.lock, s.others_acquired
            )?;
        }
        Ok(())
    }
}
