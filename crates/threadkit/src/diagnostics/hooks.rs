//! Hooks the owner-tracked primitives call on acquire and release, and the
//! wait layer calls around a parked wait.
//!
//! Each hook is an `#[inline]` relaxed load of one global byte
//! ([`config::FLAGS`]) compared with "environment read, every switch off";
//! the work is behind `#[cold]` functions that run only when a per-acquire
//! switch is on (held-lock tracking, lock-order checking, contention
//! statistics) or on the very first call (to read the environment).

use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::config::{self, FLAGS, ORDER, READY, STATS, TRACK};
use super::{lock_order, stats};
use crate::registry::{self, ThreadInfo};
use crate::wait::{Held, Meta, WaitKind};

/// Whether the slow path must run (see the module docs). Relaxed: see
/// [`config::FLAGS`].
#[inline]
fn armed() -> bool {
    !cfg!(loom) && FLAGS.load(Ordering::Relaxed) != READY
}

/// The calling thread just took `object` (acquired at `site`).
#[inline]
pub(crate) fn acquired(
    kind: WaitKind,
    object: usize,
    meta: Meta,
    site: &'static Location<'static>,
) {
    if armed() {
        acquired_slow(kind, object, meta, site);
    }
}

/// The calling thread released `object`.
#[inline]
pub(crate) fn released(object: usize) {
    if armed() {
        released_slow(object);
    }
}

/// A wait on an object of class `meta` is about to park for the first time;
/// returns the statistics' acquisition count (0 when statistics are off).
#[inline]
pub(crate) fn wait_started(kind: WaitKind, meta: Meta) -> u64 {
    if armed() && config::flags() & STATS != 0 {
        return stats::wait_started(kind, meta);
    }
    0
}

/// A parked wait ended (acquired, timed out or failed).
#[inline]
pub(crate) fn wait_ended(kind: WaitKind, meta: Meta, since: Instant, start: u64, me: &ThreadInfo) {
    if armed() && config::flags() & STATS != 0 {
        stats::wait_ended(kind, meta, since, start, me);
    }
}

std::thread_local! {
    /// The calling thread's registry entry, cached so tracking costs no
    /// reference-count traffic per acquire.
    static ME: std::cell::OnceCell<Arc<ThreadInfo>> = const { std::cell::OnceCell::new() };
}

/// Runs `f` with the calling thread's entry (registering it if needed);
/// `None` once the thread's thread-locals are being torn down.
fn with_me<R>(f: impl FnOnce(&Arc<ThreadInfo>) -> R) -> Option<R> {
    ME.try_with(|me| f(me.get_or_init(registry::current_info)))
        .ok()
}

#[cold]
fn acquired_slow(kind: WaitKind, object: usize, meta: Meta, site: &'static Location<'static>) {
    let flags = config::flags();
    if flags & (TRACK | ORDER) != 0 {
        let new = Held {
            kind,
            object,
            meta,
            site,
        };
        with_me(|me| {
            let mut held = me.wait.held();
            if flags & ORDER != 0 && !held.is_empty() && lock_order::any_fresh(&held, &new) {
                // Checked without the list's lock: the hook may run user code.
                let before = held.clone();
                drop(held);
                lock_order::on_acquire(&before, &new, me);
                held = me.wait.held();
            }
            held.push(new);
        });
    }
    if flags & STATS != 0 {
        stats::acquired(kind, meta);
    }
}

#[cold]
fn released_slow(object: usize) {
    if config::flags() & (TRACK | ORDER) == 0 {
        return;
    }
    let Some(me) = with_me(|me| (!remove_last(me, object)).then(|| me.clone())) else {
        return;
    };
    let Some(me) = me else {
        return;
    };
    // Released by a thread that did not acquire it (a raw lock handed
    // between threads, as Python allows): take it off its acquirer's list.
    for other in registry::listed() {
        if !Arc::ptr_eq(&other, &me) && remove_last(&other, object) {
            return;
        }
    }
}

fn remove_last(info: &ThreadInfo, object: usize) -> bool {
    let mut held = info.wait.held();
    match held.iter().rposition(|h| h.object == object) {
        Some(i) => {
            held.remove(i);
            true
        }
        None => false,
    }
}
