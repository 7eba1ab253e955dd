//! Hooks the owner-tracked primitives call on acquire and release.
//!
//! Each hook is an `#[inline]` relaxed load of one global flag; the work is
//! behind `#[cold]` functions that run only when tracking is on (lock-order
//! checking, held-lock tracking for reports, contention statistics).

use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::wait::{Meta, WaitKind};

/// Whether any per-acquire tracking is on. Relaxed: turning tracking on is
/// not synchronised with acquisitions already in flight; a lock acquired
/// just before the switch is simply not tracked.
pub(crate) static TRACKING: AtomicBool = AtomicBool::new(false);

/// The calling thread is about to block on, or just took, `object`.
#[inline]
pub(crate) fn acquired(
    kind: WaitKind,
    object: usize,
    meta: Meta,
    site: &'static Location<'static>,
) {
    if TRACKING.load(Ordering::Relaxed) {
        acquired_slow(kind, object, meta, site);
    }
}

/// The calling thread released `object`.
#[inline]
pub(crate) fn released(object: usize) {
    if TRACKING.load(Ordering::Relaxed) {
        released_slow(object);
    }
}

#[cold]
fn acquired_slow(_kind: WaitKind, _object: usize, _meta: Meta, _site: &'static Location<'static>) {}

#[cold]
fn released_slow(_object: usize) {}
