//! Stalls that cannot be proven deadlocks: every known thread blocked in an
//! untimed wait, at least one of them on an object without owner
//! information (Event, Condition, Semaphore, Queue, Barrier). Nobody is
//! failed (some thread outside threadkit's view might still set the Event);
//! the stall is reported once, as a possible deadlock, with a thread dump.

use std::time::Duration;

use super::detector::snap;
use super::dump::ThreadDump;
use crate::registry;
use crate::wait::Tid;

/// The last stall reported, so the same stall is not reported again by each
/// of its threads at each check.
pub(crate) struct Memory {
    last: Vec<(Tid, u64)>,
}

impl Memory {
    pub(crate) const fn new() -> Memory {
        Memory { last: Vec::new() }
    }
}

/// Each listed thread's publication counter, if every listed thread is
/// blocked in an untimed wait that nobody has been chosen to break.
fn all_blocked() -> Option<Vec<(Tid, u64)>> {
    let mut fp = Vec::new();
    for info in registry::listed() {
        let s = snap(&info);
        let r = s.rec?;
        if r.timed || r.victim {
            return None;
        }
        fp.push((info.tid, s.seq));
    }
    Some(fp)
}

/// Checks for a stable, not yet reported stall; returns its dump. Called
/// with the detector mutex held (`memory` lives under it); the caller emits
/// the report after releasing it.
pub(crate) fn check(memory: &mut Memory, gap: Duration) -> Option<ThreadDump> {
    let first = all_blocked()?;
    if first == memory.last {
        return None;
    }
    std::thread::sleep(gap);
    let second = all_blocked()?;
    if second != first {
        return None;
    }
    memory.last = second;
    Some(super::dump::dump())
}
