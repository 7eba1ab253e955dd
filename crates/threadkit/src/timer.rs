//! `Timer`: Python's `threading.Timer`, a thread that runs a function after
//! an interval unless cancelled first.
//!
//! # State word (`Flag::state`)
//!
//! | value       | meaning                                                   |
//! |-------------|-----------------------------------------------------------|
//! | `WAITING`   | the interval has not run out and nobody cancelled         |
//! | `CANCELLED` | `cancel()` won: the function will never run               |
//! | `FIRED`     | the timer thread won: the function runs (or ran)          |
//!
//! Both ends leave `WAITING` by a CAS, so exactly one of "cancel succeeded"
//! and "the function ran" happens. The timer thread waits for the interval
//! through the wait layer (a timed wait of kind `Timer`, parked on the
//! word's address with `validate = state is WAITING`); `cancel()` stores
//! `CANCELLED` and then unparks it, so a cancelled timer thread ends at
//! once. The deadline is taken when the timer thread starts, which is after
//! `start()` was called, so the function never runs early.

use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::loom::sync::atomic::{AtomicU32, Ordering};
use crate::thread::{Builder, Thread, ThreadError, ThreadRef};
use crate::wait::{
    self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, Meta, Owner, Park, WaitKind, Waiter,
    deadline_after,
};

const WAITING: u32 = 0;
const CANCELLED: u32 = 1;
const FIRED: u32 = 2;

#[derive(Debug)]
struct Flag {
    state: AtomicU32,
}

impl Flag {
    fn new() -> Flag {
        Flag {
            state: AtomicU32::new(WAITING),
        }
    }

    fn key(&self) -> usize {
        &self.state as *const AtomicU32 as usize
    }

    /// Relaxed loads: the word carries no data; the outcome is decided by
    /// the CASes below, and a stale `WAITING` only means one more loop.
    fn waiting(&self) -> bool {
        self.state.load(Ordering::Relaxed) == WAITING
    }

    /// Sleeps until cancelled or `deadline` (`None`: until cancelled).
    fn sleep(&self, deadline: Option<Instant>, site: &'static Location<'static>) {
        if !self.waiting() {
            return;
        }
        let mut w = Waiter::new(
            WaitKind::Timer,
            self,
            Meta::ANONYMOUS,
            Owner::None,
            site,
            deadline,
        );
        loop {
            if !self.waiting() || w.timed_out() {
                return;
            }
            // SAFETY: the key is our own word's address; the callbacks only
            // load an atomic (cannot panic or park).
            let r = unsafe {
                w.park(
                    self.key(),
                    || self.waiting(),
                    || {},
                    |_, _| {},
                    DEFAULT_PARK_TOKEN,
                )
            };
            match r {
                Park::TimedOut => return,
                // A wait with no owner is never a proven deadlock; keep
                // waiting for cancel() if a detector says otherwise.
                Park::Unparked(_) | Park::Invalid | Park::Retry | Park::Deadlock(_) => {}
            }
        }
    }

    /// The timer thread claims the right to run the function. AcqRel: the
    /// function's run is ordered after the claim, and a successful cancel
    /// (Acquire on the other side) is ordered before a failed claim.
    fn fire(&self) -> bool {
        self.state
            .compare_exchange(WAITING, FIRED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// `cancel()` claims the word; true if the function will never run.
    fn cancel(&self) -> bool {
        let won = self
            .state
            .compare_exchange(WAITING, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if won {
            // SAFETY: the key is our own word's address; the token is a value.
            unsafe {
                wait::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN);
            }
        }
        won
    }
}

/// A thread that calls a function once `interval` has passed since it
/// started, unless [`cancel`](Timer::cancel)led first (Python's
/// `threading.Timer`).
///
/// Like Python's, a `Timer` is a thread: it has a name (`Thread-N` unless
/// built with one), shows in [`enumerate`](crate::enumerate) while it waits
/// or runs, and can be joined; [`join`](Timer::join) hands back the
/// function's value, or `None` if the timer was cancelled.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threadkit::Timer;
///
/// let t = Timer::new(Duration::from_millis(10), || "fired");
/// t.start().unwrap();
/// assert_eq!(t.join().unwrap(), Some("fired"));
///
/// let t = Timer::new(Duration::from_secs(3600), || "never");
/// t.start().unwrap();
/// assert!(t.cancel());
/// assert_eq!(t.join().unwrap(), None);
/// ```
pub struct Timer<T> {
    thread: Thread<Option<T>>,
    flag: Arc<Flag>,
}

impl<T: Send + 'static> Timer<T> {
    /// An unstarted timer that will call `function` `interval` after
    /// [`start`](Timer::start). An interval too large to represent waits
    /// until cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::ZERO, || 1);
    /// t.start().unwrap();
    /// assert_eq!(t.join().unwrap(), Some(1));
    /// ```
    #[track_caller]
    pub fn new<F>(interval: Duration, function: F) -> Timer<T>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Timer::with_builder(Builder::new(), interval, function)
    }

    /// [`new`](Timer::new) with the thread settings of `builder` (name,
    /// daemon flag, stack size).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::{Builder, Timer};
    ///
    /// let t = Timer::with_builder(Builder::new().name("reminder"), Duration::ZERO, || ());
    /// assert_eq!(t.name(), "reminder");
    /// ```
    #[track_caller]
    pub fn with_builder<F>(builder: Builder, interval: Duration, function: F) -> Timer<T>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let site = Location::caller();
        let flag = Arc::new(Flag::new());
        let f2 = flag.clone();
        let thread = builder.build(move || {
            f2.sleep(deadline_after(interval), site);
            if f2.fire() { Some(function()) } else { None }
        });
        Timer { thread, flag }
    }

    /// Starts the timer's thread; the interval counts from here (at the
    /// earliest).
    ///
    /// # Errors
    ///
    /// As [`Thread::start`]: `AlreadyStarted`, `Spawn`.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::ZERO, || ());
    /// t.start().unwrap();
    /// assert!(t.start().is_err());
    /// # t.join().unwrap();
    /// ```
    pub fn start(&self) -> Result<(), ThreadError> {
        self.thread.start()
    }

    /// Stops the timer if it is still waiting (Python's `cancel()`); works
    /// before `start()` too. Returns `true` if this call guarantees that the
    /// function never runs, `false` if it already started running (or the
    /// timer was already cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::from_secs(60), || ());
    /// assert!(t.cancel());
    /// assert!(!t.cancel());
    /// t.start().unwrap();
    /// assert_eq!(t.join().unwrap(), None);
    /// ```
    pub fn cancel(&self) -> bool {
        self.flag.cancel()
    }

    /// Waits for the timer thread to end: `Some(value)` if the function ran,
    /// `None` if the timer was cancelled.
    ///
    /// # Errors
    ///
    /// As [`Thread::join`] (`NotStarted`, `JoinSelf`, `Panicked` if the
    /// function panicked, `Deadlock`).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::from_millis(1), || 2);
    /// t.start().unwrap();
    /// assert_eq!(t.join().unwrap(), Some(2));
    /// ```
    #[track_caller]
    pub fn join(self) -> Result<Option<T>, ThreadError> {
        self.thread.join()
    }

    /// Waits at most `timeout` for the timer thread to end (see
    /// [`Thread::join_timeout`]).
    ///
    /// # Errors
    ///
    /// `Timeout` if it is still waiting or running; otherwise as
    /// [`join`](Timer::join).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let t = threadkit::Timer::new(Duration::from_secs(60), || ());
    /// t.start().unwrap();
    /// assert!(t.join_timeout(Duration::from_millis(1)).is_err());
    /// t.cancel();
    /// t.join_timeout(Duration::from_secs(30)).unwrap();
    /// ```
    #[track_caller]
    pub fn join_timeout(&self, timeout: Duration) -> Result<(), ThreadError> {
        self.thread.join_timeout(timeout)
    }

    /// Whether the timer thread has ended, without blocking.
    ///
    /// # Errors
    ///
    /// As [`join_timeout`](Timer::join_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::ZERO, || ());
    /// assert!(t.try_join().is_err()); // not started
    /// ```
    #[track_caller]
    pub fn try_join(&self) -> Result<(), ThreadError> {
        self.thread.try_join()
    }

    /// The timer's thread handle.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::ZERO, || ());
    /// assert_eq!(t.handle().name(), t.name());
    /// ```
    pub fn handle(&self) -> ThreadRef {
        self.thread.handle()
    }

    /// The timer thread's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::ZERO, || ());
    /// assert!(t.name().starts_with("Thread-"));
    /// ```
    pub fn name(&self) -> String {
        self.thread.name()
    }

    /// Whether the timer thread is running (waiting or calling).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::ZERO, || ());
    /// assert!(!t.is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        self.thread.is_alive()
    }

    /// Sets the daemon flag (before `start()` only).
    ///
    /// # Errors
    ///
    /// [`ThreadError::DaemonAfterStart`] once started.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Timer::new(std::time::Duration::ZERO, || ());
    /// t.set_daemon(true).unwrap();
    /// ```
    pub fn set_daemon(&self, daemon: bool) -> Result<(), ThreadError> {
        self.thread.set_daemon(daemon)
    }
}

impl<T> std::fmt::Debug for Timer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timer")
            .field("thread", &self.thread)
            .field("state", &self.flag.state.load(Ordering::Relaxed))
            .finish()
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn check<X: Send + Sync>() {}
    check::<Timer<i32>>();
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::AtomicBool;

    /// cancel() racing the timer: exactly one of "cancel won" and "the
    /// function ran".
    #[test]
    fn loom_cancel_or_fire_exactly_once() {
        loom::model(|| {
            let flag = Arc::new(Flag::new());
            let ran = Arc::new(AtomicBool::new(false));
            let timer = {
                let (flag, ran) = (flag.clone(), ran.clone());
                loom::thread::spawn(move || {
                    flag.sleep(Some(Instant::now()), Location::caller());
                    if flag.fire() {
                        ran.store(true, Ordering::Relaxed);
                    }
                })
            };
            let cancelled = flag.cancel();
            timer.join().unwrap();
            assert_ne!(cancelled, ran.load(Ordering::Relaxed));
        });
    }

    /// An untimed timer (huge interval) is woken by cancel(): no lost wake-up.
    #[test]
    fn loom_cancel_wakes_sleeper() {
        loom::model(|| {
            let flag = Arc::new(Flag::new());
            let timer = {
                let flag = flag.clone();
                loom::thread::spawn(move || {
                    flag.sleep(None, Location::caller());
                    assert!(!flag.fire());
                })
            };
            assert!(flag.cancel());
            timer.join().unwrap();
        });
    }
}
