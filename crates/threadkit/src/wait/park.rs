//! Parking: the one place a threadkit thread sleeps.
//!
//! [`Waiter`] wraps the parking lot (`parking_lot_core`, or a loom model of
//! it under `cfg(loom)`) and adds what the primitives all need:
//! - the wait record (published before the first park, cleared on drop);
//! - the caller's deadline, checked against the clock so a timed wait never
//!   reports a time-out early;
//! - deadlock detection: an untimed wait also wakes every detection delay
//!   and asks the detector whether it is part of a deadlock.

use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) use parking_lot_core::{DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN};
pub(crate) use parking_lot_core::{FilterOp, ParkToken, RequeueOp, UnparkResult, UnparkToken};

use super::deadline::expired;
use super::meta::Meta;
use super::record::{Owner, WaitKind, WaitRecord};
use crate::diagnostics::{self, Deadlock, Verdict};
use crate::registry::{self, ThreadInfo};

#[cfg(not(loom))]
pub(crate) use parking_lot_core::{park, unpark_all, unpark_filter, unpark_one, unpark_requeue};

#[cfg(loom)]
pub(crate) use super::loom_lot::{park, unpark_all, unpark_filter, unpark_one, unpark_requeue};

/// How a [`Waiter::park`] ended.
#[derive(Debug)]
pub(crate) enum Park {
    /// Woken by an unparker with this token.
    Unparked(UnparkToken),
    /// `validate` said no: re-check the state.
    Invalid,
    /// The caller's deadline has passed (never early).
    TimedOut,
    /// Woken without a token (a detection check that found nothing, or a
    /// timer that fired before the deadline): re-check and park again.
    Retry,
    /// The detector proved a deadlock and chose this thread to fail.
    Deadlock(Deadlock),
}

/// One blocking call's view of the wait layer (see the module docs).
///
/// Create it on the slow path, then loop: check the state, spin, and call
/// [`park`](Waiter::park) until the state lets you through or the result
/// says to give up. The lifetime ties the waiter to the object it waits on,
/// which keeps the published record's owner probe valid.
pub(crate) struct Waiter<'a> {
    kind: WaitKind,
    object: usize,
    meta: Meta,
    owner: Owner,
    site: &'static Location<'static>,
    deadline: Option<Instant>,
    since: Option<Instant>,
    next_check: Option<Instant>,
    published: Option<Arc<ThreadInfo>>,
    /// Contention statistics' acquisition count of the object's class when
    /// this call first parked (0 when statistics are off).
    stats_start: u64,
    _object: std::marker::PhantomData<&'a ()>,
}

impl<'a> Waiter<'a> {
    /// A waiter on `object` (any reference to it: only the address is kept).
    #[inline]
    pub(crate) fn new<T: ?Sized>(
        kind: WaitKind,
        object: &'a T,
        meta: Meta,
        owner: Owner,
        site: &'static Location<'static>,
        deadline: Option<Instant>,
    ) -> Self {
        Waiter {
            kind,
            object: object as *const T as *const () as usize,
            meta,
            owner,
            site,
            deadline,
            since: None,
            next_check: None,
            published: None,
            stats_start: 0,
            _object: std::marker::PhantomData,
        }
    }

    /// The caller's deadline.
    #[inline]
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the caller's deadline has passed (never early).
    #[inline]
    pub(crate) fn timed_out(&self) -> bool {
        self.deadline.is_some_and(expired)
    }

    fn publish(&mut self) {
        if self.published.is_some() || cfg!(loom) {
            return;
        }
        let now = Instant::now();
        self.since = Some(now);
        let info = registry::current_info();
        info.wait.publish(WaitRecord {
            kind: self.kind,
            object: self.object,
            meta: self.meta,
            owner: self.owner,
            site: self.site,
            since: now,
            timed: self.deadline.is_some(),
            victim: false,
        });
        self.stats_start = diagnostics::hooks::wait_started(self.kind, self.meta);
        if self.deadline.is_none() {
            self.next_check = diagnostics::first_check_delay().map(|d| now + d);
        }
        self.published = Some(info);
    }

    /// Parks on `key` (see `parking_lot_core::park` for the callbacks'
    /// contract) until woken, the deadline, or the next detection check.
    ///
    /// # Safety
    ///
    /// As for `parking_lot_core::park`: `key` must be an address this
    /// primitive controls; `validate` and `timed_out` run under the parking
    /// lot's bucket lock and must not panic or park; `before_sleep` must not
    /// park or panic.
    pub(crate) unsafe fn park(
        &mut self,
        key: usize,
        validate: impl FnOnce() -> bool,
        before_sleep: impl FnOnce(),
        timed_out: impl FnOnce(usize, bool),
        token: ParkToken,
    ) -> Park {
        self.publish();
        let wake_at = match (self.deadline, self.next_check) {
            (Some(d), Some(c)) => Some(d.min(c)),
            (d, c) => d.or(c),
        };
        // SAFETY: forwarded from this function's own contract.
        let r = unsafe { park(key, validate, before_sleep, timed_out, token, wake_at) };
        match r {
            parking_lot_core::ParkResult::Unparked(t) => Park::Unparked(t),
            parking_lot_core::ParkResult::Invalid => Park::Invalid,
            parking_lot_core::ParkResult::TimedOut => {
                if self.timed_out() {
                    Park::TimedOut
                } else if self.next_check.is_some_and(expired) {
                    self.check()
                } else {
                    Park::Retry
                }
            }
        }
    }

    #[cold]
    fn check(&mut self) -> Park {
        let Some(info) = self.published.clone() else {
            return Park::Retry;
        };
        match diagnostics::on_long_wait(&info) {
            Verdict::Continue(next) => {
                self.next_check = next.map(|d| Instant::now() + d);
                Park::Retry
            }
            Verdict::Fail(d) => Park::Deadlock(d),
        }
    }

    /// How long this call has been blocked (zero before it first parked).
    #[allow(dead_code)]
    pub(crate) fn waited(&self) -> Duration {
        self.since.map(|s| s.elapsed()).unwrap_or_default()
    }
}

impl Drop for Waiter<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(info) = self.published.take() {
            info.wait.clear();
            if let Some(since) = self.since {
                diagnostics::hooks::wait_ended(
                    self.kind,
                    self.meta,
                    since,
                    self.stats_start,
                    &info,
                );
            }
        }
    }
}
