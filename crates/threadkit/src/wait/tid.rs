//! Small thread ids: the value a lock word stores as its owner.
//!
//! Every thread that touches threadkit gets a `Tid`, a non-zero `u32` below
//! [`MAX_TID`], read on the fast path from a const-initialised thread-local
//! (one TLS load, no branch on lazy initialisation after the first call).
//! Two high bits are left free so primitives can pack an owner and flags in
//! one `AtomicU32`.
//!
//! Ids are reused after a thread exits, so `u32` never runs out in a program
//! that spawns threads forever. A thread whose registry entry has already been
//! torn down (code running in a late thread-local destructor) gets a fresh id
//! from a range that is never reused, so two live threads never share an id.

use std::num::NonZeroU32;

/// Largest id a thread can have; ids fit in the low 30 bits of a word.
pub(crate) const MAX_TID: u32 = (1 << 30) - 1;

/// Ids at and above this value are handed to threads in their exit path and
/// never reused.
pub(crate) const LATE_TID_BASE: u32 = 1 << 29;

/// A small, non-zero id of a live thread (see the module docs).
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub(crate) struct Tid(NonZeroU32);

impl Tid {
    /// The id as stored in lock words.
    #[inline]
    pub(crate) const fn get(self) -> u32 {
        self.0.get()
    }

    /// Rebuilds an id read back from a word; `None` for 0 (no owner).
    #[inline]
    pub(crate) const fn from_raw(raw: u32) -> Option<Tid> {
        match NonZeroU32::new(raw) {
            Some(n) => Some(Tid(n)),
            None => None,
        }
    }
}

/// Sentinel stored in the TLS cell once the thread's registry entry is gone.
const EXITED: u32 = u32::MAX;

#[cfg(not(loom))]
std::thread_local! {
    static TID: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}
#[cfg(loom)]
loom::thread_local! {
    static TID: std::cell::Cell<u32> = std::cell::Cell::new(0);
}

/// The calling thread's id. Registers the thread on first use.
#[inline]
pub(crate) fn current() -> Tid {
    let raw = TID.with(|c| c.get());
    if raw != 0 && raw != EXITED {
        return Tid(NonZeroU32::new(raw).expect("non-zero by the check above"));
    }
    current_slow(raw)
}

#[cold]
fn current_slow(raw: u32) -> Tid {
    if raw == EXITED {
        return crate::registry::late_tid();
    }
    let info = crate::registry::current_info();
    info.tid
}

/// Records `tid` as the calling thread's id (called by the registry when it
/// binds a thread to its entry).
pub(crate) fn set_current(tid: Tid) {
    TID.with(|c| c.set(tid.get()));
}

/// Marks the calling thread as exiting: later calls to [`current`] get a
/// never-reused late id.
pub(crate) fn mark_exited() {
    let _ = TID.try_with(|c| c.set(EXITED));
}
