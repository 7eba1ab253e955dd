//! Which threads can run a queued future: the deadlock probe's view of the
//! pools.
//!
//! Each executor registers its worker slots here under a small id that its
//! futures carry (`Core::pool`). The table holds `Weak` references to the
//! slots only, so it never keeps a pool alive, and dropping the last strong
//! reference never runs inside the table's lock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

use crossbeam_utils::CachePadded;

use crate::loom::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use crate::wait::Tid;

/// One worker's entry, written only by that worker.
pub(crate) struct Slot {
    /// The worker's raw tid (0: not started or exited).
    pub(crate) tid: AtomicU32,
    /// Whether the worker is running a task (as opposed to looking for one).
    pub(crate) busy: AtomicBool,
}

/// The slots of one pool, one per possible worker.
pub(crate) struct Slots(pub(crate) Box<[CachePadded<Slot>]>);

impl Slots {
    pub(crate) fn new(n: usize) -> Slots {
        Slots(
            (0..n)
                .map(|_| {
                    CachePadded::new(Slot {
                        tid: AtomicU32::new(0),
                        busy: AtomicBool::new(false),
                    })
                })
                .collect(),
        )
    }

    /// Every worker's tid if all started workers are busy; empty otherwise
    /// (an idle worker will take the queued task, so nobody is stuck).
    fn saturated(&self) -> Vec<Tid> {
        let mut tids = Vec::new();
        for s in self.0.iter() {
            // Relaxed: a diagnostic snapshot; the detector confirms a cycle
            // over two walks, so a stale read cannot make a false report stick.
            let Some(t) = Tid::from_raw(s.tid.load(Ordering::Relaxed)) else {
                continue;
            };
            if !s.busy.load(Ordering::Relaxed) {
                return Vec::new();
            }
            tids.push(t);
        }
        tids
    }
}

struct Table {
    next: u32,
    pools: BTreeMap<u32, Weak<Slots>>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    next: 1,
    pools: BTreeMap::new(),
});

/// Registers a pool's slots; returns its id (never 0).
pub(crate) fn register(slots: &Arc<Slots>) -> u32 {
    let mut t = lock(&TABLE);
    let id = t.next;
    t.next = t.next.checked_add(1).unwrap_or(1);
    t.pools.insert(id, Arc::downgrade(slots));
    id
}

/// Removes a pool (its executor is gone).
pub(crate) fn unregister(id: u32) {
    lock(&TABLE).pools.remove(&id);
}

/// The probe for a future still queued on pool `id`.
pub(crate) fn saturated_workers(id: u32) -> Vec<Tid> {
    if id == 0 {
        return Vec::new();
    }
    let slots = lock(&TABLE).pools.get(&id).and_then(Weak::upgrade);
    slots.map(|s| s.saturated()).unwrap_or_default()
}

/// Locks a bookkeeping mutex (never held across user code or a wait, so a
/// poisoned one is still consistent).
fn lock<X>(m: &std::sync::Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
