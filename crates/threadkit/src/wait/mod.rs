//! Layer 1: the one place in the crate where a thread blocks.
//!
//! Every blocking call of every primitive follows the same protocol:
//!
//! 1. **Fast path** (in the primitive): one atomic read-modify-write. If it
//!    succeeds, nothing here is touched.
//! 2. **Spin** ([`Spin`]): a bounded, load-only back-off, in case the holder
//!    is about to let go (a hand-off between cores costs ~100 ns; a futex
//!    sleep and wake costs microseconds).
//! 3. **Register, re-check, sleep** ([`Waiter::park`]): the primitive
//!    announces itself in its state word (a "parked" bit or a waiter count),
//!    then parks on its own address; the parking lot calls the primitive's
//!    `validate` under the queue lock, so a release that happens between the
//!    re-check and the sleep is seen either by `validate` or by the
//!    releaser's unpark: no wake-up is lost.
//! 4. **Wake after release**: releasers change the state first, then unpark,
//!    and never run user code while holding the parking lot's queue lock.
//!
//! Around this protocol the layer keeps, for each blocked thread, a
//! [`WaitRecord`] (what, whose, since when, timed or not) in the thread's
//! registry entry. Diagnostics read these records; the fast paths never
//! write them.
//!
//! Deadlines are computed once per call ([`deadline_after`]), and a time-out
//! is only reported once the clock has passed the deadline.

pub(crate) mod deadline;
#[cfg(loom)]
mod loom_lot;
pub(crate) mod meta;
mod park;
mod record;
mod spin;
pub(crate) mod tid;

pub(crate) use deadline::deadline_after;
pub(crate) use meta::Meta;
pub(crate) use park::{
    DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, FilterOp, Park, ParkToken, RequeueOp, UnparkResult,
    UnparkToken, Waiter, unpark_all, unpark_filter, unpark_one, unpark_requeue,
};
pub(crate) use record::{Held, Owner, OwnerProbe, WaitKind, WaitRecord, WaitSlot};
pub(crate) use spin::Spin;
pub(crate) use tid::Tid;
