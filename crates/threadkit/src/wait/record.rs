//! The record of what a blocked thread waits on, read by diagnostics.
//!
//! A thread publishes a [`WaitRecord`] in its registry entry's [`WaitSlot`]
//! before it first parks in a blocking call, and clears it when the call
//! returns. Publishing is on the slow path only (the thread is about to
//! sleep anyway); the fast path of every primitive never touches it.

use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::meta::Meta;
use super::tid::Tid;

/// What kind of object a thread waits on.
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WaitKind {
    Lock,
    RLock,
    Condition,
    Semaphore,
    Event,
    Barrier,
    Join,
    Future,
    Queue,
    Timer,
    Gil,
    Other,
}

impl WaitKind {
    /// Lower-case name used in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WaitKind::Lock => "Lock",
            WaitKind::RLock => "RLock",
            WaitKind::Condition => "Condition",
            WaitKind::Semaphore => "Semaphore",
            WaitKind::Event => "Event",
            WaitKind::Barrier => "Barrier",
            WaitKind::Join => "Thread.join",
            WaitKind::Future => "Future",
            WaitKind::Queue => "Queue",
            WaitKind::Timer => "Timer",
            WaitKind::Gil => "GIL",
            WaitKind::Other => "object",
        }
    }
}

/// Reads the thread(s) a waiter depends on; called by diagnostics while the
/// record is published (so `data` is still borrowed by the waiter).
///
/// The waiter can proceed once *any* returned thread makes progress (for a
/// lock that is its one owner; for a future queued in a pool, any worker).
pub(crate) type OwnerProbe = unsafe fn(data: *const ()) -> Vec<Tid>;

/// Who must act before the waiter can go on.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Owner {
    /// Unknown or nobody in particular (Event, Condition, Queue...): such a
    /// wait can be part of a *possible* deadlock, never a proven one.
    None,
    /// A fixed thread (joining it).
    Thread(Tid),
    /// Computed on demand from the waited-on object.
    Probe {
        /// Pointer to the object (or the part of it the probe reads).
        data: *const (),
        /// Reads the owners; see [`OwnerProbe`].
        probe: OwnerProbe,
    },
}

/// One published wait.
#[derive(Clone, Debug)]
pub(crate) struct WaitRecord {
    /// Kind of object.
    pub(crate) kind: WaitKind,
    /// Address of the object: its identity while the wait lasts.
    pub(crate) object: usize,
    /// Name / creation site of the object.
    pub(crate) meta: Meta,
    /// Who can release the waiter.
    pub(crate) owner: Owner,
    /// Where the blocking call was made.
    pub(crate) site: &'static Location<'static>,
    /// When the blocking call started.
    pub(crate) since: Instant,
    /// Whether the call has a deadline (timed waits are never part of a
    /// proven deadlock: they end by themselves).
    pub(crate) timed: bool,
    /// Set by the deadlock detector on the thread it chose to fail, so a
    /// second detector does not report the same cycle again.
    pub(crate) victim: bool,
}

impl WaitRecord {
    /// The owners right now. Must be called with the slot locked.
    pub(crate) fn owners(&self) -> Vec<Tid> {
        match self.owner {
            Owner::None => Vec::new(),
            Owner::Thread(t) => vec![t],
            // SAFETY: the record is only reachable through a locked
            // `WaitSlot`, and the waiter clears the slot (taking the same
            // lock) before its borrow of the object ends, so `data` points
            // to a live object for the whole call.
            Owner::Probe { data, probe } => unsafe { probe(data) },
        }
    }
}

/// One lock a thread holds, as the diagnostics' held-lock tracking saw it
/// being acquired (kept only while tracking is on; see `diagnostics::hooks`).
#[derive(Copy, Clone, Debug)]
pub(crate) struct Held {
    /// Kind of object.
    pub(crate) kind: WaitKind,
    /// Address of the object.
    pub(crate) object: usize,
    /// Name / creation site of the object.
    pub(crate) meta: Meta,
    /// Where it was acquired.
    pub(crate) site: &'static Location<'static>,
}

/// The per-thread slot holding the current [`WaitRecord`], and (when
/// tracking is on) the locks the thread holds.
#[derive(Debug, Default)]
pub(crate) struct WaitSlot {
    record: Mutex<Option<WaitRecord>>,
    /// Locks held, in acquisition order (pushed and popped by the owning
    /// thread through the diagnostics hooks; read by dumps and reports).
    held: Mutex<Vec<Held>>,
    /// Incremented each time a record is published: diagnostics compare it
    /// across two walks to tell a stable wait from a new one.
    seq: AtomicU64,
}

// SAFETY: the raw pointer inside `Owner::Probe` is only dereferenced through
// `WaitRecord::owners`, under the slot's mutex, while the publishing thread
// keeps the object borrowed (see `WaitRecord::owners`). Nothing else in the
// record is thread-bound.
unsafe impl Send for WaitRecord {}

impl WaitSlot {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        WaitSlot {
            record: Mutex::new(None),
            held: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
        }
    }

    /// Publishes `rec`.
    pub(crate) fn publish(&self, rec: WaitRecord) {
        let mut g = self.lock();
        *g = Some(rec);
        // Relaxed: readers take the mutex, which orders the two.
        self.seq.fetch_add(1, Ordering::Relaxed);
    }

    /// Clears the slot; returns once no reader can still use the record.
    pub(crate) fn clear(&self) {
        *self.lock() = None;
    }

    /// Locks the slot for reading (diagnostics).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Option<WaitRecord>> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the held-lock list (diagnostics; never held across a wait).
    pub(crate) fn held(&self) -> MutexGuard<'_, Vec<Held>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the published record (if any) as the detector's victim;
    /// returns whether there was one.
    pub(crate) fn mark_victim(&self) -> bool {
        match self.lock().as_mut() {
            Some(r) => {
                r.victim = true;
                true
            }
            None => false,
        }
    }

    /// The publication counter (see the field docs).
    pub(crate) fn seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }
}
