//! `Task<R>`: the pool's internal handle of one task, for the calls that
//! wait themselves and report a typed [`ProcessError`] (`apply`, `map`,
//! `imap_unordered`). `submit` returns the crate's `Future` instead (see
//! `sink.rs`).
//!
//! # States
//!
//! | state     | meaning                                            | next           |
//! | --------- | -------------------------------------------------- | -------------- |
//! | `Pending` | queued in the parent, not sent to a worker         | `Running`, `Done` (cancel, shutdown) |
//! | `Running` | sent to a worker (which runs its tasks in order)   | `Done`         |
//! | `Done`    | outcome known; the value waits to be taken         | (final)        |
//!
//! The state lives under a short mutex (never held while waiting); waiters
//! sleep on a [`Signal`] that every transition to `Done` notifies.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use super::codec;
use super::error::ProcessError;
use super::job::Completion;
use super::signal::{Signal, Stop};
use crate::wait::{self, WaitKind};

enum State<R> {
    Pending,
    Running,
    /// `None` once the value was taken.
    Done(Option<Result<R, ProcessError>>),
}

pub(crate) struct Shared<R> {
    state: Mutex<State<R>>,
    signal: Signal,
    /// Called after the task completes (used by `imap_unordered`).
    on_done: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl<R> Shared<R> {
    fn lock(&self) -> MutexGuard<'_, State<R>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn complete(&self, outcome: Result<R, ProcessError>) {
        {
            let mut g = self.lock();
            if matches!(*g, State::Done(_)) {
                return;
            }
            *g = State::Done(Some(outcome));
        }
        self.signal.notify_all();
        let cb = self
            .on_done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(cb) = cb {
            cb();
        }
    }
}

/// The parent's side of one task: decodes the reply into `R`.
pub(crate) struct Completer<R> {
    shared: Arc<Shared<R>>,
    /// Turns the reply payload into `R`.
    decode: fn(&[u8]) -> Result<R, ProcessError>,
    _r: PhantomData<fn() -> R>,
}

pub(crate) fn decode_one<R: DeserializeOwned>(bytes: &[u8]) -> Result<R, ProcessError> {
    codec::decode(bytes)
}

impl<R: Send + 'static> Completion for Completer<R> {
    fn start(&self) -> bool {
        let mut g = self.shared.lock();
        match *g {
            State::Pending => {
                *g = State::Running;
                true
            }
            State::Running => true,
            State::Done(_) => false,
        }
    }

    fn finish(self: Box<Self>, reply: Result<&[u8], ProcessError>) {
        let outcome = reply.and_then(self.decode);
        self.shared.complete(outcome);
    }

    fn abandon(self: Box<Self>, err: ProcessError) {
        self.shared.complete(Err(err));
    }
}

/// The handle of one internal task (see the module docs). The value is
/// handed out once; later calls get [`ProcessError::ResultTaken`].
pub(crate) struct Task<R> {
    shared: Arc<Shared<R>>,
}

impl<R: Send + 'static> Task<R> {
    pub(crate) fn new(decode: fn(&[u8]) -> Result<R, ProcessError>) -> (Task<R>, Completer<R>) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::Pending),
            signal: Signal::new(),
            on_done: Mutex::new(None),
        });
        (
            Task {
                shared: shared.clone(),
            },
            Completer {
                shared,
                decode,
                _r: PhantomData,
            },
        )
    }

    /// Runs `f` once the task is done (at once if it already is).
    pub(crate) fn on_done(&self, f: Box<dyn FnOnce() + Send>) {
        let mut slot = self
            .shared
            .on_done
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if matches!(*self.shared.lock(), State::Done(_)) {
            drop(slot);
            f();
        } else {
            *slot = Some(f);
        }
    }

    /// Waits for the outcome and takes it.
    ///
    /// # Errors
    ///
    /// The task's failure: [`ProcessError::Panicked`],
    /// [`ProcessError::WorkerDied`], [`ProcessError::Cancelled`],
    /// [`ProcessError::ShutDown`], [`ProcessError::Terminated`],
    /// [`ProcessError::Serialize`]; [`ProcessError::ResultTaken`] if an
    /// earlier call took the value.
    ///
    #[track_caller]
    pub(crate) fn result(&self) -> Result<R, ProcessError> {
        self.result_deadline(None)
    }

    /// [`result`](Task::result), waiting at most `timeout`
    /// ([`ProcessError::Timeout`] then; the task goes on).
    ///
    /// # Errors
    ///
    /// As [`result`](Task::result), plus [`ProcessError::Timeout`].
    ///
    #[track_caller]
    pub(crate) fn result_timeout(&self, timeout: Duration) -> Result<R, ProcessError> {
        self.result_deadline(wait::deadline_after(timeout))
    }

    /// [`result`](Task::result) without waiting ([`ProcessError::Timeout`]
    /// if the task is not done).
    ///
    /// # Errors
    ///
    /// As [`result_timeout`](Task::result_timeout).
    ///
    pub(crate) fn try_result(&self) -> Result<R, ProcessError> {
        self.take().unwrap_or(Err(ProcessError::Timeout))
    }

    fn take(&self) -> Option<Result<R, ProcessError>> {
        match &mut *self.shared.lock() {
            State::Done(v) => Some(v.take().unwrap_or(Err(ProcessError::ResultTaken))),
            _ => None,
        }
    }

    #[track_caller]
    fn result_deadline(&self, deadline: Option<Instant>) -> Result<R, ProcessError> {
        let mut out = None;
        let r = self
            .shared
            .signal
            .wait_until(WaitKind::Future, deadline, || {
                out = self.take();
                out.is_some()
            });
        match r {
            Ok(()) => out.unwrap_or(Err(ProcessError::ResultTaken)),
            Err(Stop::TimedOut) => Err(ProcessError::Timeout),
            Err(Stop::Deadlock(d)) => Err(ProcessError::Deadlock(d.report().to_string())),
        }
    }

    /// Cancels the task if it has not been sent to a worker yet; `true` if
    /// it is (now) cancelled.
    ///
    pub(crate) fn cancel(&self) -> bool {
        {
            let mut g = self.shared.lock();
            match &*g {
                State::Pending => *g = State::Done(Some(Err(ProcessError::Cancelled))),
                State::Done(Some(Err(ProcessError::Cancelled))) => return true,
                _ => return false,
            }
        }
        self.shared.signal.notify_all();
        let cb = self
            .shared
            .on_done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(cb) = cb {
            cb();
        }
        true
    }
}

impl<R> fmt::Debug for Task<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match &*self.shared.lock() {
            State::Pending => "pending",
            State::Running => "running",
            State::Done(_) => "done",
        };
        f.debug_struct("Task").field("state", &s).finish()
    }
}
