//! The deadlock detector: runs in a waiting thread, never in a background
//! thread, and only after the thread has waited one detection delay.
//!
//! ## The walk
//!
//! From the checking thread `me`, follow every "waits on -> can be released
//! by" edge ([`WaitRecord::owners`]): a lock's owner, the thread being
//! joined, every worker that could run a queued future. Waits are *any-of*:
//! the waiter goes on once any one of its owners acts. So a deadlock is a
//! *knot*: a set of threads, closed under the edges, in which every thread
//! is blocked in an untimed wait that has owner information. Then none of
//! them can act, and none ever will. The walk gives up (no deadlock) as soon
//! as it meets a thread that is running (no record), a timed wait (it ends
//! by itself), a wait whose owners are unknown (Event, Queue...: a *possible*
//! deadlock at most, see [`super::stall`]), an owner that no longer exists,
//! or a thread already chosen as a victim (its cycle is being broken).
//!
//! ## Stability
//!
//! Records are read one at a time, each under its own slot lock (never two
//! at once), so one walk is not an atomic snapshot: a thread seen blocked may
//! have been woken since. The detector therefore walks twice, a short gap
//! apart, and compares each thread's publication counter
//! ([`WaitSlot::seq`](crate::wait::WaitSlot)) and owner set. A thread that
//! was woken and blocked again has a new counter; a lock that changed hands
//! has a new owner. Equal walks over a knot mean nothing moved: the knot is
//! stable, and blocked threads of a knot cannot be woken by anyone.
//!
//! ## Who fails
//!
//! Detectors are serialised by one global mutex. The one that proves a knot
//! fails only if it is itself on a cycle of the knot (a thread merely stuck
//! behind a cycle would break nothing by failing); it marks its own record
//! as the victim before it returns, so a detector running next in the same
//! cycle sees the mark and keeps waiting. The victim's record is cleared
//! when its wait ends, before it unwinds and releases its guards.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::config::{self, Policy};
use super::report::{self, CycleThread, DeadlockReport, HeldLock};
use super::{Deadlock, Verdict, stall};
use crate::registry::{self, ThreadInfo};
use crate::wait::{Owner, Tid, WaitKind, WaitRecord};

/// One thread's state, copied out under its slot lock.
pub(crate) struct Snap {
    pub(crate) info: Arc<ThreadInfo>,
    pub(crate) rec: Option<WaitRecord>,
    pub(crate) seq: u64,
    /// The owners of the wait, sorted, without duplicates.
    pub(crate) owners: Vec<Tid>,
}

/// Copies `info`'s wait record and owners (one slot lock, held briefly).
pub(crate) fn snap(info: &Arc<ThreadInfo>) -> Snap {
    let g = info.wait.lock();
    // Read under the lock: `publish` bumps it under the same lock.
    let seq = info.wait.seq();
    let rec = g.clone();
    let mut owners = g.as_ref().map(WaitRecord::owners).unwrap_or_default();
    drop(g);
    owners.sort_unstable();
    owners.dedup();
    Snap {
        info: info.clone(),
        rec,
        seq,
        owners,
    }
}

/// What one walk found.
pub(crate) enum Walk {
    /// Every reached thread is blocked, untimed, with owners: a knot.
    Knot(BTreeMap<Tid, Snap>),
    /// Someone can still act (or the cycle is already being broken).
    Free,
    /// A reached wait has no owner information (Event, Queue, ...).
    Unowned,
}

/// Walks the owner edges from `me` (see the module docs).
pub(crate) fn walk(me: &Arc<ThreadInfo>) -> Walk {
    let mut seen: BTreeMap<Tid, Snap> = BTreeMap::new();
    let mut todo = vec![me.clone()];
    while let Some(info) = todo.pop() {
        if seen.contains_key(&info.tid) {
            continue;
        }
        let s = snap(&info);
        let Some(rec) = &s.rec else {
            return Walk::Free;
        };
        if rec.timed || rec.victim {
            return Walk::Free;
        }
        if s.owners.is_empty() {
            return match rec.owner {
                Owner::None => Walk::Unowned,
                // An owner-tracked object with no owner right now: the
                // waiter is about to get it.
                _ => Walk::Free,
            };
        }
        for &o in &s.owners {
            if !seen.contains_key(&o) {
                match registry::by_tid(o) {
                    Some(i) => todo.push(i),
                    // The owner has exited: a leak, not a cycle.
                    None => return Walk::Free,
                }
            }
        }
        seen.insert(info.tid, s);
    }
    Walk::Knot(seen)
}

/// A comparable summary of a knot: each thread's counter and owners.
fn fingerprint(knot: &BTreeMap<Tid, Snap>) -> Vec<(Tid, u64, Vec<Tid>)> {
    knot.iter()
        .map(|(&t, s)| (t, s.seq, s.owners.clone()))
        .collect()
}

/// A cycle through `me` inside the knot, in wait order (`me` first; each
/// thread waits for the next, the last for `me`), shortest first.
fn cycle_through(me: Tid, knot: &BTreeMap<Tid, Snap>) -> Option<Vec<Tid>> {
    let mut parent: BTreeMap<Tid, Tid> = BTreeMap::new();
    let mut queue = VecDeque::from([me]);
    while let Some(t) = queue.pop_front() {
        for &o in &knot.get(&t)?.owners {
            if o == me {
                let mut path = vec![t];
                let mut cur = t;
                while cur != me {
                    cur = parent[&cur];
                    path.push(cur);
                }
                path.reverse();
                return Some(path);
            }
            if o != me && !parent.contains_key(&o) {
                parent.insert(o, t);
                queue.push_back(o);
            }
        }
    }
    None
}

/// How long the detector waits between its two walks.
fn gap(delay: Duration) -> Duration {
    (delay / 10).clamp(Duration::from_millis(2), Duration::from_millis(50))
}

/// Serialises detectors; holds the last stall reported (see `stall`).
pub(crate) static DETECTOR: Mutex<stall::Memory> = Mutex::new(stall::Memory::new());

/// The wait layer's entry point (see `super::on_long_wait`).
pub(crate) fn on_long_wait(me: &Arc<ThreadInfo>) -> Verdict {
    let policy = config::policy();
    if policy == Policy::Off {
        return Verdict::Continue(None);
    }
    let delay = config::detection_delay();
    let mut memory = DETECTOR.lock().unwrap_or_else(PoisonError::into_inner);
    let first = match walk(me) {
        Walk::Knot(k) => k,
        Walk::Unowned => {
            let stalled = stall::check(&mut memory, gap(delay));
            drop(memory);
            if let Some(dump) = stalled {
                super::emit(&super::Incident::PossibleDeadlock(&dump));
            }
            return Verdict::Continue(Some(delay));
        }
        Walk::Free => return Verdict::Continue(Some(delay)),
    };
    if cycle_through(me.tid, &first).is_none() {
        // Stuck behind a cycle: its members will find it themselves.
        return Verdict::Continue(Some(delay));
    }
    std::thread::sleep(gap(delay));
    let second = match walk(me) {
        Walk::Knot(k) if fingerprint(&k) == fingerprint(&first) => k,
        _ => return Verdict::Continue(Some(delay)),
    };
    let Some(cycle) = cycle_through(me.tid, &second) else {
        return Verdict::Continue(Some(delay));
    };
    let fails = policy == Policy::Fail;
    let d = Deadlock::new(build(me, &cycle, &second, fails));
    if !me.wait.mark_victim() {
        return Verdict::Continue(Some(delay));
    }
    drop(memory);
    if fails {
        Verdict::Fail(d)
    } else {
        super::emit(&super::Incident::Deadlock(&d));
        Verdict::Continue(None)
    }
}

/// The locks `tid` holds, as far as the knot and the held-lock lists tell.
pub(crate) fn holds_of(
    info: &ThreadInfo,
    derived: &[(usize, WaitKind, crate::wait::Meta)],
) -> Vec<HeldLock> {
    let tracked = info.wait.held().clone();
    let mut out: Vec<HeldLock> = Vec::new();
    let mut objects: Vec<usize> = Vec::new();
    for h in &tracked {
        if !objects.contains(&h.object) {
            objects.push(h.object);
            out.push(report::held_lock(h));
        }
    }
    for &(object, kind, meta) in derived {
        if !objects.contains(&object) {
            objects.push(object);
            out.push(HeldLock {
                lock: report::object_label(kind, meta),
                acquired_at: None,
            });
        }
    }
    out
}

/// Objects each thread is known to own because a blocked thread waits on
/// them with that thread as their single owner.
pub(crate) fn derived_holds<'a>(
    snaps: impl Iterator<Item = &'a Snap>,
) -> BTreeMap<Tid, Vec<(usize, WaitKind, crate::wait::Meta)>> {
    let mut m: BTreeMap<Tid, Vec<(usize, WaitKind, crate::wait::Meta)>> = BTreeMap::new();
    for s in snaps {
        if let (Some(r), [owner]) = (&s.rec, s.owners.as_slice()) {
            if matches!(r.kind, WaitKind::Lock | WaitKind::RLock) {
                m.entry(*owner)
                    .or_default()
                    .push((r.object, r.kind, r.meta));
            }
        }
    }
    m
}

fn build(
    me: &Arc<ThreadInfo>,
    cycle: &[Tid],
    knot: &BTreeMap<Tid, Snap>,
    fails: bool,
) -> DeadlockReport {
    let now = Instant::now();
    let derived = derived_holds(knot.values());
    let entry = |t: &Tid| {
        let s = &knot[t];
        let rec = s.rec.as_ref().expect("knot members are blocked");
        CycleThread {
            thread: report::thread_label(&s.info),
            holds: holds_of(&s.info, derived.get(t).map(Vec::as_slice).unwrap_or(&[])),
            waits_for: report::wait_info(rec, &s.owners, now),
        }
    };
    DeadlockReport {
        cycle: cycle.iter().map(entry).collect(),
        also_stuck: knot
            .keys()
            .filter(|t| !cycle.contains(t))
            .map(entry)
            .collect(),
        victim: report::thread_label(me),
        victim_fails: fails,
        acquisition_sites_recorded: config::tracking() || config::lock_order_checking(),
    }
}
