//! The handles: [`Thread<T>`] (owns the body and the result) and
//! [`ThreadRef`] (any number of them: identity, state, waiting).

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::builder::Builder;
use super::core::{Core, FAILED, FINISHED, FOREIGN, NEW, RUNNING, STARTING};
use super::error::ThreadError;
use super::run::Run;
use super::{current, exit, hook};
use crate::loom::UnsafeCell;
use crate::loom::sync::atomic::Ordering;
use crate::registry::{self, ThreadInfo};
use crate::wait::deadline_after;

type Body<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// The typed part of a thread: its body before start, its value after.
struct Packet<T> {
    /// Taken by the one `start()` that wins the `NEW -> STARTING` claim.
    body: UnsafeCell<Option<Body<T>>>,
    /// Written by the child before `FINISHED`; taken by `join(self)`.
    result: UnsafeCell<Option<T>>,
}

// SAFETY: `body` is only touched by the thread holding the start claim (a
// successful `NEW -> STARTING` CAS, which happens once). `result` is written
// only by the child, before its `Release` store of `FINISHED`, and read only
// by `Thread::join(self)` (one owner) after an `Acquire` load of `FINISHED`.
// So no two threads access a cell at once; the values cross threads, hence
// `T: Send`.
unsafe impl<T: Send> Sync for Packet<T> {}

/// A handle to any thread: threadkit's, the main thread, or a foreign one.
///
/// Cheap to clone; every clone sees the same thread. It names the thread
/// and waits for it ([`join`](ThreadRef::join) returns once the thread has
/// finished, for as many callers as want to wait), but the thread's return
/// value belongs to the [`Thread<T>`] that started it. Obtain one from
/// [`Thread::handle`], [`current_thread`](crate::current_thread),
/// [`main_thread`](crate::main_thread) or [`enumerate`](crate::enumerate).
///
/// # Examples
///
/// ```
/// use threadkit::Thread;
///
/// let t = Thread::spawn(|| 7).unwrap();
/// let h = t.handle();
/// let waiter = std::thread::spawn(move || h.join().is_ok());
/// assert!(waiter.join().unwrap());
/// assert_eq!(t.join().unwrap(), 7);
/// ```
#[derive(Clone)]
pub struct ThreadRef(pub(crate) Arc<Core>);

/// A thread threadkit starts: Python's `threading.Thread`.
///
/// Created unstarted ([`Thread::new`], [`Thread::builder`]), configured,
/// then [`start`](Thread::start)ed once; [`join`](Thread::join) hands back
/// the body's return value (or the panic that ended it). Other threads wait
/// for it through [`handle`](Thread::handle)s. Dropping a `Thread` does not
/// stop or detach anything: the thread runs on, and a non-daemon one still
/// holds up [`wait_for_non_daemon_threads`](crate::wait_for_non_daemon_threads).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threadkit::Thread;
///
/// let t = Thread::builder().name("worker").build(|| 6 * 7);
/// assert_eq!(t.name(), "worker");
/// assert!(!t.is_alive());
/// t.start().unwrap();
/// // Python's idiom: join with a timeout, then look.
/// let _ = t.join_timeout(Duration::from_secs(10));
/// assert_eq!(t.join().unwrap(), 42);
/// ```
pub struct Thread<T> {
    core: ThreadRef,
    packet: Arc<Packet<T>>,
}

impl Thread<()> {
    /// A [`Builder`] to set the name, daemon flag and stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::builder().name("io").daemon(true).build(|| ());
    /// assert!(t.daemon());
    /// ```
    /// (Defined on `Thread<()>` so `Thread::builder()` needs no type; the
    /// builder makes threads of any value type.)
    pub fn builder() -> Builder {
        Builder::new()
    }
}

impl<T: Send + 'static> Thread<T> {
    /// An unstarted thread that will run `body`, named `Thread-N`, not a
    /// daemon, with the platform's default stack size.
    ///
    /// `body` is a closure (Python's `target=`, arguments captured by
    /// `move`) or a value of a type implementing [`Run`] (Python's
    /// subclass overriding `run()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let order = 17;
    /// let t = threadkit::Thread::new(move || order * 2);
    /// assert!(t.name().starts_with("Thread-"));
    /// t.start().unwrap();
    /// assert_eq!(t.join().unwrap(), 34);
    /// ```
    pub fn new<R: Run<Output = T>>(body: R) -> Thread<T> {
        Builder::new().build(body)
    }

    /// [`new`](Thread::new) and [`start`](Thread::start) in one call.
    ///
    /// # Errors
    ///
    /// [`ThreadError::Spawn`] if the OS refuses to create the thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::spawn(|| "done").unwrap();
    /// assert_eq!(t.join().unwrap(), "done");
    /// ```
    pub fn spawn<R: Run<Output = T>>(body: R) -> Result<Thread<T>, ThreadError> {
        let t = Thread::new(body);
        t.start()?;
        Ok(t)
    }

    pub(crate) fn from_parts(body: Body<T>, config: super::core::Config) -> Thread<T> {
        Thread {
            core: ThreadRef(Arc::new(Core::new(config))),
            packet: Arc::new(Packet {
                body: UnsafeCell::new(Some(body)),
                result: UnsafeCell::new(None),
            }),
        }
    }

    /// Starts the thread: Python's `start()`.
    ///
    /// From here on the thread is listed by [`enumerate`](crate::enumerate)
    /// and [`is_alive`](Thread::is_alive) until its body returns. The body
    /// runs at most once.
    ///
    /// # Errors
    ///
    /// - [`ThreadError::AlreadyStarted`] on a second call (also after a
    ///   failed one);
    /// - [`ThreadError::Spawn`] if the OS refuses to create the thread; the
    ///   body is dropped and no trace is left in the registry.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{Thread, ThreadError};
    ///
    /// let t = Thread::new(|| ());
    /// t.start().unwrap();
    /// assert!(matches!(t.start(), Err(ThreadError::AlreadyStarted)));
    /// t.join().unwrap();
    /// ```
    pub fn start(&self) -> Result<(), ThreadError> {
        let core = &self.core.0;
        // Acquire: nothing to see from other starters (there are none
        // before the claim); the CAS only has to be atomic. Relaxed on
        // failure: we return at once.
        if core
            .state
            .compare_exchange(NEW, STARTING, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(ThreadError::AlreadyStarted);
        }
        // SAFETY: the claim above is won once per thread, so this is the
        // only access to `body` ever made from this point on (see `Packet`).
        let body = self
            .packet
            .body
            .with_mut(|p| unsafe { (*p).take() })
            .expect("the body is present until the one start claim takes it");
        let (info, daemon, stack_size) = {
            let cfg = core.config();
            let weak: Weak<dyn Any + Send + Sync> = {
                let w: Weak<Core> = Arc::downgrade(core);
                w
            };
            let info = registry::register_new_with(cfg.name.clone(), cfg.daemon, weak);
            let _ = core.info.set(info.clone());
            (info, cfg.daemon, cfg.stack_size)
        };
        if !daemon {
            exit::add();
        }
        // Release: `info` (set above) is visible to whoever sees RUNNING.
        core.state.store(RUNNING, Ordering::Release);

        let mut builder = std::thread::Builder::new();
        let name = info.name();
        // The OS name cannot hold a NUL; std would panic on one.
        let os_name = name.split('\0').next().unwrap_or("");
        if !os_name.is_empty() {
            builder = builder.name(os_name.to_string());
        }
        if stack_size != 0 {
            builder = builder.stack_size(stack_size);
        }
        let child_core = self.core.clone();
        let packet = self.packet.clone();
        let child_info = info.clone();
        match builder.spawn(move || child_main(child_core, packet, child_info, body, daemon)) {
            Ok(_detached) => Ok(()),
            Err(e) => {
                registry::discard(&info);
                if !daemon {
                    exit::remove();
                }
                core.settle(FAILED);
                Err(ThreadError::Spawn(e))
            }
        }
    }

    /// Waits for the thread to finish and returns its body's value:
    /// Python's `join()`, plus the value Python cannot hand back.
    ///
    /// Once `join` returned, the thread is no longer in
    /// [`enumerate`](crate::enumerate) and its [`Local`](crate::Local)
    /// values have been dropped. To wait without taking the value (or from
    /// several threads), use [`handle`](Thread::handle)`().join()`.
    ///
    /// # Errors
    ///
    /// - [`ThreadError::NotStarted`]: `start()` was not called or failed;
    /// - [`ThreadError::JoinSelf`]: called from the thread itself;
    /// - [`ThreadError::Panicked`]: the body panicked (the message);
    /// - [`ThreadError::Deadlock`]: the deadlock detector proved that the
    ///   join can never return.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::spawn(|| vec![1, 2, 3]).unwrap();
    /// assert_eq!(t.join().unwrap(), [1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn join(self) -> Result<T, ThreadError> {
        self.core.0.wait(None, Location::caller())?;
        // SAFETY: `wait` returned Ok, so it saw FINISHED with Acquire and no
        // panic: the child wrote the result before publishing FINISHED and
        // never touches it again; `self` is the only reader (see `Packet`).
        let value = self.packet.result.with_mut(|p| unsafe { (*p).take() });
        Ok(value.expect("a thread that finished without panicking left its value"))
    }

    /// Waits at most `timeout` for the thread to finish (Python's
    /// `join(timeout)`); the value stays inside for [`join`](Thread::join),
    /// which then returns at once.
    ///
    /// Never returns [`ThreadError::Timeout`] before `timeout` has passed; a
    /// zero timeout does not block.
    ///
    /// # Errors
    ///
    /// [`ThreadError::Timeout`] if the thread is still running, otherwise as
    /// [`join`](Thread::join) (a panicked thread gives `Panicked`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::{Thread, ThreadError};
    ///
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let t = Thread::spawn(move || rx.recv().is_ok()).unwrap();
    /// assert!(matches!(t.join_timeout(Duration::from_millis(10)), Err(ThreadError::Timeout)));
    /// assert!(t.is_alive());
    /// tx.send(()).unwrap();
    /// t.join_timeout(Duration::from_secs(30)).unwrap();
    /// assert!(!t.is_alive());
    /// assert!(t.join().unwrap());
    /// ```
    #[track_caller]
    pub fn join_timeout(&self, timeout: Duration) -> Result<(), ThreadError> {
        self.core.join_timeout_at(timeout, Location::caller())
    }

    /// Whether the thread has finished, without blocking (a zero-timeout
    /// [`join_timeout`](Thread::join_timeout)).
    ///
    /// # Errors
    ///
    /// As [`join_timeout`](Thread::join_timeout); `Timeout` means "still
    /// running".
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::new(|| ());
    /// assert!(t.try_join().is_err()); // not started
    /// ```
    #[track_caller]
    pub fn try_join(&self) -> Result<(), ThreadError> {
        self.core
            .join_timeout_at(Duration::ZERO, Location::caller())
    }

    /// A shareable handle to this thread (see [`ThreadRef`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::new(|| ());
    /// assert_eq!(t.handle().name(), t.name());
    /// ```
    pub fn handle(&self) -> ThreadRef {
        self.core.clone()
    }

    /// See [`ThreadRef::name`].
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::builder().name("a").build(|| ());
    /// assert_eq!(t.name(), "a");
    /// ```
    pub fn name(&self) -> String {
        self.core.name()
    }

    /// See [`ThreadRef::set_name`].
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::new(|| ());
    /// t.set_name("renamed");
    /// assert_eq!(t.name(), "renamed");
    /// ```
    pub fn set_name(&self, name: impl Into<String>) {
        self.core.set_name(name)
    }

    /// See [`ThreadRef::ident`].
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::new(|| ());
    /// assert_eq!(t.ident(), None);
    /// t.start().unwrap();
    /// assert!(t.ident().is_some());
    /// # t.join().unwrap();
    /// ```
    pub fn ident(&self) -> Option<u64> {
        self.core.ident()
    }

    /// See [`ThreadRef::native_id`].
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::spawn(|| ()).unwrap();
    /// assert!(t.native_id().is_some());
    /// # t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn native_id(&self) -> Option<u64> {
        self.core.native_id()
    }

    /// See [`ThreadRef::daemon`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!threadkit::Thread::new(|| ()).daemon());
    /// ```
    pub fn daemon(&self) -> bool {
        self.core.daemon()
    }

    /// See [`ThreadRef::set_daemon`].
    ///
    /// # Errors
    ///
    /// [`ThreadError::DaemonAfterStart`] once `start()` was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::new(|| ());
    /// t.set_daemon(true).unwrap();
    /// t.start().unwrap();
    /// assert!(t.set_daemon(false).is_err());
    /// # t.join().unwrap();
    /// ```
    pub fn set_daemon(&self, daemon: bool) -> Result<(), ThreadError> {
        self.core.set_daemon(daemon)
    }

    /// See [`ThreadRef::is_alive`].
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::spawn(|| ()).unwrap();
    /// t.handle().join().unwrap();
    /// assert!(!t.is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        self.core.is_alive()
    }
}

impl<T> fmt::Debug for Thread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

/// The body of every threadkit OS thread.
fn child_main<T: Send + 'static>(
    core: ThreadRef,
    packet: Arc<Packet<T>>,
    info: Arc<ThreadInfo>,
    body: Body<T>,
    daemon: bool,
) {
    registry::bind_current(info.clone());
    core.0.mark_started();
    current::set_current(core.clone());
    if !daemon {
        exit::mark_counted();
    }
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => {
            // SAFETY: only the child writes `result`, before FINISHED.
            packet.result.with_mut(|p| unsafe { *p = Some(value) });
        }
        Err(payload) => {
            let msg = hook::payload_message(&*payload);
            // Dropping a payload may panic; keep that off the exit path.
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
            hook::report(&core, &msg);
            let _ = core.0.panic.set(msg);
        }
    }
    // The thread's Local values go before anyone learns it finished.
    if let Err(payload) = panic::catch_unwind(crate::local::clear_current_thread) {
        let msg = hook::payload_message(&*payload);
        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
        hook::report(&core, &format!("while dropping a Local value: {msg}"));
    }
    drop(packet);
    registry::unlist(&info);
    core.0.settle(FINISHED);
    if !daemon {
        exit::remove();
    }
}

impl ThreadRef {
    fn info(&self) -> Option<&Arc<ThreadInfo>> {
        self.0.info.get()
    }

    /// The thread's name (Python's `name`): `Thread-N` by default,
    /// `MainThread` for the main thread, `Dummy-N` (or the `std` name) for
    /// a foreign thread.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::main_thread().name(), "MainThread");
    /// ```
    pub fn name(&self) -> String {
        match self.info() {
            Some(info) => info.name().to_string(),
            None => self.0.config().name.to_string(),
        }
    }

    /// Renames the thread (Python allows it at any time). The OS-level
    /// name is set once, at start, from the name then.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::new(|| ());
    /// t.handle().set_name("x");
    /// assert_eq!(t.name(), "x");
    /// ```
    pub fn set_name(&self, name: impl Into<String>) {
        let name: Arc<str> = Arc::from(name.into());
        let mut cfg = self.0.config();
        match self.info() {
            Some(info) => info.set_name(name),
            None => cfg.name = name,
        }
    }

    /// Python's `ident`: unique among all threads of the process for its
    /// whole life (never reused); `None` before start.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::current_thread().ident(), Some(threadkit::get_ident()));
    /// ```
    pub fn ident(&self) -> Option<u64> {
        self.info().map(|i| i.ident)
    }

    /// The OS thread id (Python's `native_id`; `gettid()` on Linux);
    /// `None` before `start()` (or if the start failed). Right after
    /// `start()` this may wait, briefly, for the new thread to begin to run,
    /// as CPython's `start()` does (threadkit makes only the callers of
    /// `native_id` pay for that hand-shake).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::spawn(|| ()).unwrap();
    /// assert!(t.native_id().is_some());
    /// assert!(threadkit::current_thread().native_id().is_some());
    /// # t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn native_id(&self) -> Option<u64> {
        let info = self.info()?;
        if info.native_id().is_none() {
            self.0.wait_started(Location::caller());
        }
        info.native_id()
    }

    /// Whether this is a daemon thread (one that does not hold up
    /// [`wait_for_non_daemon_threads`](crate::wait_for_non_daemon_threads)).
    /// Foreign threads count as daemons.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!threadkit::main_thread().daemon());
    /// ```
    pub fn daemon(&self) -> bool {
        match self.info() {
            Some(info) => info.daemon(),
            None => self.0.config().daemon,
        }
    }

    /// Sets the daemon flag; only before `start()` (Python's
    /// `daemon = ...`).
    ///
    /// # Errors
    ///
    /// [`ThreadError::DaemonAfterStart`] if the thread was started (or is
    /// the main or a foreign thread, which are running).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::ThreadError;
    ///
    /// let me = threadkit::current_thread();
    /// assert!(matches!(me.set_daemon(true), Err(ThreadError::DaemonAfterStart)));
    /// ```
    pub fn set_daemon(&self, daemon: bool) -> Result<(), ThreadError> {
        let mut cfg = self.0.config();
        // Relaxed: `start()` claims NEW before it takes the config lock we
        // hold, so under the lock the word is either still NEW (the start
        // will read our value) or already claimed.
        if self.0.state.load(Ordering::Relaxed) != NEW {
            return Err(ThreadError::DaemonAfterStart);
        }
        cfg.daemon = daemon;
        Ok(())
    }

    /// Python's `is_alive()`: true from `start()` until the body returned
    /// (the main and foreign threads: while they are listed).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(threadkit::current_thread().is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        self.0.is_alive()
    }

    /// Waits until the thread has finished. Any number of threads may wait
    /// for the same thread at once.
    ///
    /// # Errors
    ///
    /// - [`ThreadError::NotStarted`]: not started (or start failed);
    /// - [`ThreadError::JoinSelf`]: called from the thread itself;
    /// - [`ThreadError::NotJoinable`]: the main thread or a foreign thread;
    /// - [`ThreadError::Panicked`]: the body panicked (every waiter is told);
    /// - [`ThreadError::Deadlock`]: the detector proved the wait endless.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::ThreadError;
    ///
    /// let me = threadkit::current_thread();
    /// assert!(matches!(me.join(), Err(ThreadError::NotJoinable | ThreadError::JoinSelf)));
    /// ```
    #[track_caller]
    pub fn join(&self) -> Result<(), ThreadError> {
        self.0.wait(None, Location::caller())
    }

    /// [`join`](ThreadRef::join) for at most `timeout`; never times out
    /// early, and a zero timeout does not block.
    ///
    /// # Errors
    ///
    /// [`ThreadError::Timeout`] if the thread is still running; otherwise as
    /// [`join`](ThreadRef::join).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let t = threadkit::Thread::spawn(|| ()).unwrap();
    /// t.handle().join_timeout(Duration::from_secs(30)).unwrap();
    /// ```
    #[track_caller]
    pub fn join_timeout(&self, timeout: Duration) -> Result<(), ThreadError> {
        self.join_timeout_at(timeout, Location::caller())
    }

    /// Whether the thread has finished, without blocking.
    ///
    /// # Errors
    ///
    /// As [`join_timeout`](ThreadRef::join_timeout); `Timeout` means "still
    /// running".
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Thread::spawn(|| ()).unwrap();
    /// t.handle().join().unwrap();
    /// assert!(t.handle().try_join().is_ok());
    /// ```
    #[track_caller]
    pub fn try_join(&self) -> Result<(), ThreadError> {
        self.join_timeout_at(Duration::ZERO, Location::caller())
    }

    fn join_timeout_at(
        &self,
        timeout: Duration,
        site: &'static Location<'static>,
    ) -> Result<(), ThreadError> {
        // Cheap check first: no clock read for a finished thread.
        let s = self.0.load();
        if s != RUNNING {
            return self.0.wait(None, site);
        }
        self.0.wait(Some(deadline_or_far(timeout)), site)
    }
}

/// A deadline for a timed join; an unrepresentable one is "forever", but a
/// timed call stays timed (so it is never picked as a deadlock victim).
fn deadline_or_far(timeout: Duration) -> std::time::Instant {
    deadline_after(timeout).unwrap_or_else(|| {
        std::time::Instant::now() + Duration::from_secs(60 * 60 * 24 * 365 * 100)
    })
}

impl PartialEq for ThreadRef {
    /// Two handles are equal when they name the same thread.
    fn eq(&self, other: &ThreadRef) -> bool {
        if Arc::ptr_eq(&self.0, &other.0) {
            return true;
        }
        match (self.ident(), other.ident()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for ThreadRef {}

impl fmt::Debug for ThreadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.0.load() {
            NEW | STARTING => "initial",
            RUNNING => "started",
            FINISHED => "stopped",
            FAILED => "failed",
            FOREIGN if self.is_alive() => "started",
            _ => "stopped",
        };
        let mut d = f.debug_struct("Thread");
        d.field("name", &self.name()).field("state", &state);
        if let Some(id) = self.ident() {
            d.field("ident", &id);
        }
        if self.daemon() {
            d.field("daemon", &true);
        }
        d.finish()
    }
}

impl fmt::Display for ThreadRef {
    /// Like Python's repr: `<Thread(NAME, started IDENT)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match self.0.load() {
            NEW | STARTING => "initial".to_string(),
            RUNNING => format!("started {}", self.ident().unwrap_or(0)),
            FOREIGN if self.is_alive() => format!("started {}", self.ident().unwrap_or(0)),
            FINISHED | FOREIGN => match self.ident() {
                Some(id) => format!("stopped {id}"),
                None => "stopped".to_string(),
            },
            _ => "stopped".to_string(),
        };
        let daemon = if self.daemon() { " daemon" } else { "" };
        write!(f, "<Thread({}, {status}{daemon})>", self.name())
    }
}

impl ThreadRef {
    pub(crate) fn foreign(info: Arc<ThreadInfo>) -> ThreadRef {
        ThreadRef(Arc::new(Core::foreign(info)))
    }

    /// The handle of a registry entry (joinable when threadkit started it).
    pub(crate) fn of(info: Arc<ThreadInfo>) -> ThreadRef {
        if let Some(core) = info
            .handle
            .as_ref()
            .and_then(Weak::upgrade)
            .and_then(|a| a.downcast::<Core>().ok())
        {
            return ThreadRef(core);
        }
        ThreadRef::foreign(info)
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn check<X: Send + Sync>() {}
    check::<Thread<i32>>();
    check::<Thread<String>>();
    check::<ThreadRef>();
}
