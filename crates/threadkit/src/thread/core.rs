//! The join state of one thread: a state word plus the wait layer.
//!
//! # State word (`Core::state`)
//!
//! | value       | meaning                                                        |
//! |-------------|----------------------------------------------------------------|
//! | `NEW`       | created, not started; the body waits in the packet             |
//! | `STARTING`  | one `start()` call won the claim and owns the body             |
//! | `RUNNING`   | the registry entry exists (`info` is set); spawned or spawning |
//! | `FINISHED`  | the body returned or panicked; result and panic message written|
//! | `FAILED`    | the OS refused to spawn; the body was dropped, never ran       |
//! | `FOREIGN`   | the core of a thread threadkit did not start (main, foreign)   |
//!
//! Transitions: `NEW -> STARTING` (CAS, the start claim), `STARTING ->
//! RUNNING` (the starter, before spawning: the child never reads the word,
//! so a fast child cannot be overwritten), `RUNNING -> FINISHED` (the child,
//! last) or `RUNNING -> FAILED` (the starter, on spawn error). `FINISHED`,
//! `FAILED` and `FOREIGN` are final.
//!
//! # Join protocol
//!
//! The child writes its result and panic message, stores `FINISHED` with
//! `Release`, then `unpark_all` on the word's address. A joiner loads the
//! word with `Acquire` (so the writes before `FINISHED` are visible), and
//! parks with `validate = state is RUNNING`. `validate` runs under the
//! parking lot's bucket lock and `unpark_all` takes the same lock after the
//! store, so either `validate` sees `FINISHED` or the unpark finds the
//! joiner: no wake-up is lost.

use std::panic::Location;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use super::error::ThreadError;
use crate::loom::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use crate::registry::ThreadInfo;
use crate::wait::{
    self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, Meta, Owner, Park, Spin, WaitKind, Waiter, tid,
};

pub(crate) const NEW: u32 = 0;
pub(crate) const STARTING: u32 = 1;
pub(crate) const RUNNING: u32 = 2;
pub(crate) const FINISHED: u32 = 3;
pub(crate) const FAILED: u32 = 4;
pub(crate) const FOREIGN: u32 = 5;

/// Settings of a thread that `start()` reads.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) name: std::sync::Arc<str>,
    pub(crate) daemon: bool,
    pub(crate) stack_size: usize,
}

/// The non-generic part of a thread: identity, settings, join state.
#[derive(Debug)]
pub(crate) struct Core {
    /// See the module docs.
    pub(crate) state: AtomicU32,
    /// The registry entry; set before `RUNNING` is published.
    pub(crate) info: OnceLock<std::sync::Arc<ThreadInfo>>,
    /// Settings before start (the name moves to `info` at start). Never
    /// held across a wait or user code.
    pub(crate) config: Mutex<Config>,
    /// The panic message, written by the child before `FINISHED`.
    pub(crate) panic: OnceLock<String>,
    /// Set by the child once it is bound (its OS id known); see
    /// [`Core::wait_started`].
    pub(crate) started: AtomicBool,
}

impl Core {
    pub(crate) fn new(config: Config) -> Core {
        Core {
            state: AtomicU32::new(NEW),
            info: OnceLock::new(),
            config: Mutex::new(config),
            panic: OnceLock::new(),
            started: AtomicBool::new(false),
        }
    }

    /// The core of a thread threadkit did not start.
    pub(crate) fn foreign(info: std::sync::Arc<ThreadInfo>) -> Core {
        let core = Core {
            state: AtomicU32::new(FOREIGN),
            info: OnceLock::new(),
            config: Mutex::new(Config {
                name: info.name(),
                daemon: info.daemon(),
                stack_size: 0,
            }),
            panic: OnceLock::new(),
            started: AtomicBool::new(true),
        };
        let _ = core.info.set(info);
        core
    }

    pub(crate) fn config(&self) -> MutexGuard<'_, Config> {
        // Poisoning needs a panic while the lock is held; the critical
        // sections only copy plain values, so the data is consistent.
        self.config.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[inline]
    fn key(&self) -> usize {
        &self.state as *const AtomicU32 as usize
    }

    /// Acquire: pairs with the child's `Release` store of `FINISHED` (the
    /// result and panic message) and the starter's store of `RUNNING`
    /// (`info`).
    #[inline]
    pub(crate) fn load(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    /// Whether the body is running (Python's `is_alive()`).
    #[inline]
    pub(crate) fn is_alive(&self) -> bool {
        match self.load() {
            RUNNING => true,
            FOREIGN => self.info.get().is_some_and(|i| i.is_listed()),
            _ => false,
        }
    }

    /// The outcome of a finished (or failed, or never started) thread.
    fn settled(&self, state: u32) -> Result<(), ThreadError> {
        match state {
            FINISHED => match self.panic.get() {
                Some(msg) => Err(ThreadError::Panicked(msg.clone())),
                None => Ok(()),
            },
            FOREIGN => Err(ThreadError::NotJoinable),
            _ => Err(ThreadError::NotStarted),
        }
    }

    /// Waits until the thread finished, or `deadline` (`None`: forever).
    #[inline]
    pub(crate) fn wait(
        &self,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), ThreadError> {
        let s = self.load();
        if s != RUNNING {
            return self.settled(s);
        }
        self.wait_slow(deadline, site)
    }

    #[cold]
    fn wait_slow(
        &self,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Result<(), ThreadError> {
        let target = self
            .info
            .get()
            .expect("info is set before RUNNING is published")
            .tid;
        // While the target has not finished it keeps its id bound, and ids
        // of live threads are unique: equal ids mean this is the thread.
        if target == tid::current() {
            return Err(ThreadError::JoinSelf);
        }
        let mut spin = Spin::with_steps(6);
        let mut w = Waiter::new(
            WaitKind::Join,
            self,
            Meta::ANONYMOUS,
            Owner::Thread(target),
            site,
            deadline,
        );
        loop {
            let s = self.load();
            if s != RUNNING {
                return self.settled(s);
            }
            if w.timed_out() {
                return Err(ThreadError::Timeout);
            }
            if spin.spin() {
                continue;
            }
            // SAFETY: the key is the address of our own state word; the
            // callbacks only load an atomic (cannot panic or park).
            let r = unsafe {
                w.park(
                    self.key(),
                    || self.state.load(Ordering::Acquire) == RUNNING,
                    || {},
                    |_, _| {},
                    DEFAULT_PARK_TOKEN,
                )
            };
            match r {
                Park::Unparked(_) | Park::Invalid | Park::Retry => {}
                Park::TimedOut => {
                    let s = self.load();
                    return if s == RUNNING {
                        Err(ThreadError::Timeout)
                    } else {
                        self.settled(s)
                    };
                }
                Park::Deadlock(d) => return Err(ThreadError::Deadlock(d)),
            }
        }
    }

    #[inline]
    fn started_key(&self) -> usize {
        &self.started as *const AtomicBool as usize
    }

    /// The child is bound to its registry entry (its OS id is stored).
    /// Release: the OS id stored before is visible to `wait_started`.
    pub(crate) fn mark_started(&self) {
        self.started.store(true, Ordering::Release);
        // SAFETY: the key is our own field's address; the token is a value.
        unsafe {
            wait::unpark_all(self.started_key(), DEFAULT_UNPARK_TOKEN);
        }
    }

    /// Waits until the child has begun to run (or the start failed), as
    /// CPython's `start()` does before it returns; used by `native_id()`
    /// only, so `start()` itself stays one spawn.
    pub(crate) fn wait_started(&self, site: &'static Location<'static>) {
        // Acquire: pairs with `mark_started`.
        let ready = || self.started.load(Ordering::Acquire) || self.load() != RUNNING;
        if ready() {
            return;
        }
        let owner = match self.info.get() {
            Some(info) => Owner::Thread(info.tid),
            None => Owner::None,
        };
        let mut w = Waiter::new(
            WaitKind::Join,
            &self.started,
            Meta::ANONYMOUS,
            owner,
            site,
            None,
        );
        while !ready() {
            // SAFETY: the key is our own field's address; the callbacks
            // only load atomics (cannot panic or park).
            let r = unsafe {
                w.park(
                    self.started_key(),
                    || !ready(),
                    || {},
                    |_, _| {},
                    DEFAULT_PARK_TOKEN,
                )
            };
            if let Park::Deadlock(_) = r {
                // A thread that has been spawned always runs; a detector
                // cannot prove otherwise. Keep waiting.
            }
        }
    }

    /// Publishes a final state (`FINISHED` or `FAILED`) and wakes every
    /// joiner. Release: the result and panic message written before are
    /// visible to a joiner that loads the state with `Acquire`.
    pub(crate) fn settle(&self, state: u32) {
        self.state.store(state, Ordering::Release);
        // SAFETY: the keys are our own fields' addresses; the token is a
        // plain value.
        unsafe {
            wait::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN);
            if state == FAILED {
                // `wait_started` callers wait for this too.
                wait::unpark_all(self.started_key(), DEFAULT_UNPARK_TOKEN);
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::UnsafeCell;
    use loom::sync::Arc;

    fn core() -> Core {
        Core::new(Config {
            name: std::sync::Arc::from("t"),
            daemon: false,
            stack_size: 0,
        })
    }

    struct Shared {
        core: Core,
        result: UnsafeCell<u32>,
    }

    // SAFETY: `result` is written by the child before `FINISHED` (Release)
    // and read by joiners only after they saw `FINISHED` (Acquire).
    unsafe impl Sync for Shared {}

    /// Two joiners and a finishing child: both joiners see the result, no
    /// wake-up is lost (loom reports a deadlock if one is).
    #[test]
    fn loom_join_sees_result() {
        loom::model(|| {
            let s = Arc::new(Shared {
                core: core(),
                result: UnsafeCell::new(0),
            });
            // Stand-in for start(): RUNNING with an entry whose tid is not
            // any joiner's.
            let info = crate::registry::register_new(std::sync::Arc::from("t"), false);
            let _ = s.core.info.set(info.clone());
            s.core.state.store(RUNNING, Ordering::Release);
            let child = {
                let s = s.clone();
                loom::thread::spawn(move || {
                    // SAFETY: only the child writes, before FINISHED.
                    s.result.with_mut(|p| unsafe { *p = 42 });
                    s.core.settle(FINISHED);
                })
            };
            let other = {
                let s = s.clone();
                loom::thread::spawn(move || {
                    s.core.wait(None, Location::caller()).unwrap();
                    // SAFETY: FINISHED was observed with Acquire.
                    assert_eq!(s.result.with(|p| unsafe { *p }), 42);
                })
            };
            s.core.wait(None, Location::caller()).unwrap();
            // SAFETY: as above.
            assert_eq!(s.result.with(|p| unsafe { *p }), 42);
            child.join().unwrap();
            other.join().unwrap();
            crate::registry::discard(&info);
        });
    }

    /// `native_id()`'s wait for the child to begin: never lost, whether the
    /// child starts or the spawn fails.
    #[test]
    fn loom_wait_started() {
        loom::model(|| {
            for fail in [false, true] {
                let s = Arc::new(core());
                s.state.store(RUNNING, Ordering::Release);
                let child = {
                    let s = s.clone();
                    loom::thread::spawn(move || {
                        if fail {
                            s.settle(FAILED);
                        } else {
                            s.mark_started();
                        }
                    })
                };
                s.wait_started(Location::caller());
                assert!(s.started.load(Ordering::Acquire) || s.load() == FAILED);
                child.join().unwrap();
            }
        });
    }

    /// A timed join either sees the result or times out, never anything else.
    #[test]
    fn loom_timed_join() {
        loom::model(|| {
            let s = Arc::new(core());
            let info = crate::registry::register_new(std::sync::Arc::from("t"), false);
            let _ = s.info.set(info.clone());
            s.state.store(RUNNING, Ordering::Release);
            let child = {
                let s = s.clone();
                loom::thread::spawn(move || s.settle(FINISHED))
            };
            let deadline = Some(Instant::now());
            match s.wait(deadline, Location::caller()) {
                Ok(()) | Err(ThreadError::Timeout) => {}
                Err(e) => panic!("unexpected {e}"),
            }
            child.join().unwrap();
            s.wait(None, Location::caller()).unwrap();
            crate::registry::discard(&info);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use crate::registry;
    use crate::thread::{Thread, ThreadError};
    use crate::wait::{Owner, WaitKind};

    /// A blocked join is visible to diagnostics as "joins T": kind Join,
    /// owner the target's small id, untimed.
    #[test]
    fn join_publishes_a_join_record_owned_by_the_target() {
        let (tx, rx) = mpsc::channel::<()>();
        let target = Thread::spawn(move || rx.recv().is_ok()).unwrap();
        let target_tid = target.handle().0.info.get().unwrap().tid;
        let h = target.handle();
        let (jtx, jrx) = mpsc::channel();
        let joiner = Thread::spawn(move || {
            jtx.send(registry::current_info()).unwrap();
            h.join()
        })
        .unwrap();
        let joiner_info = jrx.recv().unwrap();
        let limit = Instant::now() + Duration::from_secs(30);
        let rec = loop {
            if let Some(r) = joiner_info.wait.lock().clone() {
                break r;
            }
            assert!(
                Instant::now() < limit,
                "the joiner never published a record"
            );
            std::thread::yield_now();
        };
        assert_eq!(rec.kind, WaitKind::Join);
        assert!(!rec.timed);
        assert!(matches!(rec.owner, Owner::Thread(t) if t == target_tid));
        assert_eq!(rec.owners(), vec![target_tid]);
        tx.send(()).unwrap();
        joiner.join().unwrap().unwrap();
        assert!(target.join().unwrap());
        assert!(
            joiner_info.wait.lock().is_none(),
            "record cleared after the join"
        );
    }

    #[test]
    fn timed_join_record_is_timed() {
        let (tx, rx) = mpsc::channel::<()>();
        let target = Thread::spawn(move || rx.recv().is_ok()).unwrap();
        let h = target.handle();
        let (jtx, jrx) = mpsc::channel();
        let joiner = Thread::spawn(move || {
            jtx.send(registry::current_info()).unwrap();
            h.join_timeout(Duration::from_secs(60))
        })
        .unwrap();
        let info = jrx.recv().unwrap();
        let limit = Instant::now() + Duration::from_secs(30);
        let rec = loop {
            if let Some(r) = info.wait.lock().clone() {
                break r;
            }
            assert!(Instant::now() < limit);
            std::thread::yield_now();
        };
        assert!(rec.timed);
        tx.send(()).unwrap();
        assert!(!matches!(joiner.join().unwrap(), Err(ThreadError::Timeout)));
        target.join().unwrap();
    }
}
