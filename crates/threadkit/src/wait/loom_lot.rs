//! A loom model of the parking lot, so primitives built on [`Waiter`]
//! can be model-checked unchanged.
//!
//! One global queue of parked threads under a loom `Mutex`; each parked
//! thread sleeps on its own loom `Condvar`. Timed parks cannot sleep in a
//! model (time does not pass), so a timed park that is not unparked by the
//! time it is scheduled again times out, which explores both outcomes.
//!
//! [`Waiter`]: super::Waiter

use std::time::Instant;

use loom::sync::{Arc, Condvar, Mutex};
use parking_lot_core::{FilterOp, ParkResult, ParkToken, RequeueOp, UnparkResult, UnparkToken};

struct Slot {
    woken: Mutex<Option<UnparkToken>>,
    cv: Condvar,
}

struct Parked {
    key: usize,
    token: ParkToken,
    slot: Arc<Slot>,
}

loom::lazy_static! {
    static ref QUEUE: Mutex<Vec<Parked>> = Mutex::new(Vec::new());
}

fn wake(p: &Parked, token: UnparkToken) {
    *p.slot.woken.lock().unwrap() = Some(token);
    p.slot.cv.notify_one();
}

/// Model of `parking_lot_core::park`.
///
/// # Safety
///
/// Same contract as `parking_lot_core::park` (kept so call sites are shared).
pub(crate) unsafe fn park(
    key: usize,
    validate: impl FnOnce() -> bool,
    before_sleep: impl FnOnce(),
    timed_out: impl FnOnce(usize, bool),
    park_token: ParkToken,
    timeout: Option<Instant>,
) -> ParkResult {
    let slot = Arc::new(Slot {
        woken: Mutex::new(None),
        cv: Condvar::new(),
    });
    {
        let mut q = QUEUE.lock().unwrap();
        if !validate() {
            return ParkResult::Invalid;
        }
        q.push(Parked {
            key,
            token: park_token,
            slot: slot.clone(),
        });
    }
    before_sleep();
    if timeout.is_some() {
        loom::thread::yield_now();
        let mut q = QUEUE.lock().unwrap();
        if let Some(pos) = q.iter().position(|p| Arc::ptr_eq(&p.slot, &slot)) {
            let p = q.remove(pos);
            let last = !q.iter().any(|o| o.key == p.key);
            timed_out(p.key, last);
            return ParkResult::TimedOut;
        }
    }
    let mut woken = slot.woken.lock().unwrap();
    loop {
        if let Some(t) = woken.take() {
            return ParkResult::Unparked(t);
        }
        woken = slot.cv.wait(woken).unwrap();
    }
}

fn result(unparked: usize, requeued: usize, more: bool) -> UnparkResult {
    let mut r = UnparkResult::default();
    r.unparked_threads = unparked;
    r.requeued_threads = requeued;
    r.have_more_threads = more;
    r
}

/// Model of `parking_lot_core::unpark_one`.
///
/// # Safety
///
/// Same contract as `parking_lot_core::unpark_one`.
pub(crate) unsafe fn unpark_one(
    key: usize,
    callback: impl FnOnce(UnparkResult) -> UnparkToken,
) -> UnparkResult {
    let mut q = QUEUE.lock().unwrap();
    let pos = q.iter().position(|p| p.key == key);
    let p = pos.map(|i| q.remove(i));
    let more = q.iter().any(|o| o.key == key);
    let r = result(usize::from(p.is_some()), 0, more);
    let token = callback(r);
    if let Some(p) = p {
        wake(&p, token);
    }
    r
}

/// Model of `parking_lot_core::unpark_all`.
///
/// # Safety
///
/// Same contract as `parking_lot_core::unpark_all`.
pub(crate) unsafe fn unpark_all(key: usize, token: UnparkToken) -> usize {
    let mut q = QUEUE.lock().unwrap();
    let mut n = 0;
    let mut i = 0;
    while i < q.len() {
        if q[i].key == key {
            let p = q.remove(i);
            wake(&p, token);
            n += 1;
        } else {
            i += 1;
        }
    }
    n
}

/// Model of `parking_lot_core::unpark_filter`.
///
/// # Safety
///
/// Same contract as `parking_lot_core::unpark_filter`.
pub(crate) unsafe fn unpark_filter(
    key: usize,
    mut filter: impl FnMut(ParkToken) -> FilterOp,
    callback: impl FnOnce(UnparkResult) -> UnparkToken,
) -> UnparkResult {
    let mut q = QUEUE.lock().unwrap();
    let mut chosen = Vec::new();
    let mut i = 0;
    while i < q.len() {
        if q[i].key == key {
            match filter(q[i].token) {
                FilterOp::Unpark => {
                    chosen.push(q.remove(i));
                    continue;
                }
                FilterOp::Skip => {}
                FilterOp::Stop => break,
            }
        }
        i += 1;
    }
    let more = q.iter().any(|o| o.key == key);
    let r = result(chosen.len(), 0, more);
    let token = callback(r);
    for p in &chosen {
        wake(p, token);
    }
    r
}

/// Model of `parking_lot_core::unpark_requeue`.
///
/// # Safety
///
/// Same contract as `parking_lot_core::unpark_requeue`.
pub(crate) unsafe fn unpark_requeue(
    key_from: usize,
    key_to: usize,
    validate: impl FnOnce() -> RequeueOp,
    callback: impl FnOnce(RequeueOp, UnparkResult) -> UnparkToken,
) -> UnparkResult {
    let mut q = QUEUE.lock().unwrap();
    let op = validate();
    let mut woken = None;
    let mut requeued = 0;
    match op {
        RequeueOp::Abort => return UnparkResult::default(),
        RequeueOp::UnparkOne | RequeueOp::UnparkOneRequeueRest => {
            if let Some(i) = q.iter().position(|p| p.key == key_from) {
                woken = Some(q.remove(i));
            }
        }
        RequeueOp::RequeueAll | RequeueOp::RequeueOne => {}
    }
    let requeue_all = matches!(op, RequeueOp::UnparkOneRequeueRest | RequeueOp::RequeueAll);
    let requeue_one = matches!(op, RequeueOp::RequeueOne);
    if requeue_all || requeue_one {
        for p in q.iter_mut().filter(|p| p.key == key_from) {
            p.key = key_to;
            requeued += 1;
            if requeue_one {
                break;
            }
        }
    }
    let more = q.iter().any(|o| o.key == key_from);
    let r = result(usize::from(woken.is_some()), requeued, more);
    let token = callback(op, r);
    if let Some(p) = woken {
        wake(&p, token);
    }
    r
}
