//! `Process`: one function run in one child process (Python's
//! `multiprocessing.Process`), whose return value comes back.
//!
//! A monitor thread in the parent reads the child's one reply, then reaps
//! the child and records how it ended; `join` waits for that record.

use std::fmt;
use std::io::BufReader;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::child::{self, Child};
use super::codec;
use super::error::{ExitStatus, ProcessError};
use super::function::{self, Function};
use super::signal::{Signal, Stop};
use crate::wait::{self, WaitKind};

enum Phase<R> {
    /// Built, not started.
    New,
    /// Started; the child runs.
    Running(Arc<Child>),
    /// The child ended and was reaped; the value (or why there is none)
    /// waits to be taken (`None` once taken).
    Ended(ExitStatus, Option<Result<R, ProcessError>>, u32),
}

struct Shared<R> {
    phase: Mutex<Phase<R>>,
    ended: Signal,
}

impl<R> Shared<R> {
    fn lock(&self) -> MutexGuard<'_, Phase<R>> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A registered function run in its own child process.
///
/// Python's `Process(target=f, args=(x,))`: [`start`](Process::start),
/// [`join`](Process::join) (which also hands back `f`'s return value),
/// [`is_alive`](Process::is_alive), [`exit_code`](Process::exit_code),
/// [`terminate`](Process::terminate), [`kill`](Process::kill),
/// [`pid`](Process::pid).
///
/// Dropping a `Process` does not stop its child (as in Python): the child
/// runs to its end and is still reaped by the parent; it exits by itself
/// if the parent dies first.
///
/// # Examples
///
/// ```
/// use threadkit::process::{Function, Process, Registry};
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
/// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
///
/// fn main() -> Result<(), threadkit::process::ProcessError> {
///     threadkit::process::init(Registry::new().register(SQUARE))?;
///     let p = Process::new(SQUARE, 9)?;
///     p.start()?;
///     assert_eq!(p.join()?, 81);
///     assert_eq!(p.exit_code().map(|s| s.success()), Some(true));
///     Ok(())
/// }
/// ```
pub struct Process<R> {
    name: &'static str,
    arg: Vec<u8>,
    decode: fn(&[u8]) -> Result<R, ProcessError>,
    shared: Arc<Shared<R>>,
}

impl<R> fmt::Debug for Process<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match &*self.shared.lock() {
            Phase::New => "initial".to_string(),
            Phase::Running(c) => format!("started pid={}", c.pid()),
            Phase::Ended(s, _, pid) => format!("stopped pid={pid} ({s})"),
        };
        f.debug_struct("Process")
            .field("target", &self.name)
            .field("state", &phase)
            .finish()
    }
}

fn decode_value<R: DeserializeOwned>(bytes: &[u8]) -> Result<R, ProcessError> {
    codec::decode(bytes)
}

impl<R: DeserializeOwned + Send + 'static> Process<R> {
    /// A process that will run `f(arg)` once started.
    ///
    /// # Errors
    ///
    /// At the call: [`ProcessError::NotInitialized`],
    /// [`ProcessError::NotRegistered`], [`ProcessError::Serialize`] if
    /// `arg` cannot be encoded.
    ///
    /// # Examples
    ///
    /// See [`Process`].
    pub fn new<A: Serialize + 'static>(f: Function<A, R>, arg: A) -> Result<Self, ProcessError> {
        function::check(&f)?;
        let arg = codec::encode(&arg)?;
        Ok(Process {
            name: f.name(),
            arg,
            decode: decode_value::<R>,
            shared: Arc::new(Shared {
                phase: Mutex::new(Phase::New),
                ended: Signal::new(),
            }),
        })
    }

    /// Starts the child.
    ///
    /// # Errors
    ///
    /// [`ProcessError::AlreadyStarted`] the second time;
    /// [`ProcessError::Spawn`] if the child cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let p = Process::new(SQUARE, 3)?;
    ///     p.start()?;
    ///     assert!(p.start().is_err()); // a Process runs once
    ///     assert_eq!(p.join()?, 9);
    ///     Ok(())
    /// }
    /// ```
    pub fn start(&self) -> Result<(), ProcessError> {
        let mut phase = self.shared.lock();
        if !matches!(*phase, Phase::New) {
            return Err(ProcessError::AlreadyStarted);
        }
        let mut frame = Vec::with_capacity(self.arg.len() + 64);
        codec::put_request(&mut frame, 0, false, self.name, &self.arg)?;
        let sp = child::spawn()?;
        let child = sp.child.clone();
        *phase = Phase::Running(child.clone());
        drop(phase);
        let shared = self.shared.clone();
        let decode = self.decode;
        let mut requests = sp.requests;
        let replies = sp.replies;
        let monitor = move || {
            use std::io::Write;
            // The one request, then end-of-file: the worker exits after it.
            let _ = requests.write_all(&frame);
            drop(requests);
            let mut rd = BufReader::new(replies);
            let mut body = Vec::new();
            let mut value = None;
            let mut ready = false;
            while let Ok(true) = codec::read_frame(&mut rd, &mut body) {
                let Some(r) = codec::parse_reply(&body) else {
                    break;
                };
                if r.id == codec::READY_ID {
                    ready = true;
                    continue;
                }
                value = Some(match r.tag {
                    codec::OK => decode(r.payload),
                    codec::PANIC => Err(ProcessError::Panicked(
                        String::from_utf8_lossy(r.payload).into_owned(),
                    )),
                    _ => Err(ProcessError::Worker(
                        String::from_utf8_lossy(r.payload).into_owned(),
                    )),
                });
                break;
            }
            drop(rd);
            let status = child.reap_blocking();
            // A child that exited (no signal) before its worker loop ran is
            // a program that does not start as a worker.
            let value = value.unwrap_or(Err(match status {
                ExitStatus::Code(_) if !ready => super::pool::startup_failure(status),
                _ => ProcessError::Exited(status),
            }));
            *shared.lock() = Phase::Ended(status, Some(value), child.pid());
            shared.ended.notify_all();
        };
        let spawned = std::thread::Builder::new()
            .name(format!("threadkit-process-{}", sp.child.pid()))
            .spawn(monitor);
        if let Err(e) = spawned {
            // No monitor: stop and reap the child here.
            sp.child.signal(libc::SIGKILL);
            let status = sp.child.reap_blocking();
            let err = Err(ProcessError::Spawn(e.to_string()));
            *self.shared.lock() = Phase::Ended(status, Some(err), sp.child.pid());
            self.shared.ended.notify_all();
            return Err(ProcessError::Spawn(e.to_string()));
        }
        Ok(())
    }

    /// Waits for the child to end and hands back its return value.
    ///
    /// # Errors
    ///
    /// [`ProcessError::NotStarted`]; [`ProcessError::Panicked`] (the
    /// function panicked: the child still exits normally);
    /// [`ProcessError::Exited`] (the child ended without a value: `exit`,
    /// abort, a signal, [`terminate`](Process::terminate));
    /// [`ProcessError::ResultTaken`] for a second join after the value was
    /// taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let p = Process::new(SQUARE, 4)?;
    ///     p.start()?;
    ///     assert_eq!(p.join()?, 16);
    ///     // The value was handed out: a second join says so.
    ///     assert!(p.join().is_err());
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn join(&self) -> Result<R, ProcessError> {
        self.join_until(None)
    }

    /// [`join`](Process::join), waiting at most `timeout`
    /// ([`ProcessError::Timeout`] then; never early).
    ///
    /// # Errors
    ///
    /// As [`join`](Process::join), plus [`ProcessError::Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let p = Process::new(NAP, 300)?;
    ///     p.start()?;
    ///     assert_eq!(p.join_timeout(Duration::from_millis(10)), Err(ProcessError::Timeout));
    ///     assert_eq!(p.join_timeout(Duration::from_secs(60))?, 300);
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn join_timeout(&self, timeout: Duration) -> Result<R, ProcessError> {
        self.join_until(wait::deadline_after(timeout))
    }

    /// [`join`](Process::join) without waiting ([`ProcessError::Timeout`]
    /// while the child runs).
    ///
    /// # Errors
    ///
    /// As [`join_timeout`](Process::join_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let p = Process::new(NAP, 300)?;
    ///     p.start()?;
    ///     assert_eq!(p.try_join(), Err(ProcessError::Timeout));
    ///     assert_eq!(p.join()?, 300);
    ///     Ok(())
    /// }
    /// ```
    pub fn try_join(&self) -> Result<R, ProcessError> {
        self.take().unwrap_or(Err(ProcessError::Timeout))
    }

    fn take(&self) -> Option<Result<R, ProcessError>> {
        match &mut *self.shared.lock() {
            Phase::New => Some(Err(ProcessError::NotStarted)),
            Phase::Running(_) => None,
            Phase::Ended(_, v, _) => Some(v.take().unwrap_or(Err(ProcessError::ResultTaken))),
        }
    }

    #[track_caller]
    fn join_until(&self, deadline: Option<Instant>) -> Result<R, ProcessError> {
        let mut out = None;
        let r = self.shared.ended.wait_until(WaitKind::Join, deadline, || {
            out = self.take();
            out.is_some()
        });
        match r {
            Ok(()) => out.unwrap_or(Err(ProcessError::ResultTaken)),
            Err(Stop::TimedOut) => Err(ProcessError::Timeout),
            Err(Stop::Deadlock(d)) => Err(ProcessError::Deadlock(d.report().to_string())),
        }
    }
}

impl<R> Process<R> {
    /// The child's process id once started (Python's `pid`); it stays
    /// readable after the child ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let p = Process::new(SQUARE, 2)?;
    ///     assert_eq!(p.pid(), None);
    ///     p.start()?;
    ///     assert!(p.pid().is_some());
    ///     p.join()?;
    ///     Ok(())
    /// }
    /// ```
    pub fn pid(&self) -> Option<u32> {
        match &*self.shared.lock() {
            Phase::New => None,
            Phase::Running(c) => Some(c.pid()),
            Phase::Ended(_, _, pid) => Some(*pid),
        }
    }

    /// Whether the child was started and has not ended yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let p = Process::new(NAP, 200)?;
    ///     assert!(!p.is_alive());
    ///     p.start()?;
    ///     assert!(p.is_alive());
    ///     p.join()?;
    ///     assert!(!p.is_alive());
    ///     Ok(())
    /// }
    /// ```
    pub fn is_alive(&self) -> bool {
        matches!(&*self.shared.lock(), Phase::Running(_))
    }

    /// How the child ended (Python's `exitcode`; see
    /// [`ExitStatus::python_exitcode`]); `None` while it runs or before
    /// start.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Process, ProcessPool, Registry};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
    ///
    /// fn main() -> Result<(), threadkit::process::ProcessError> {
    ///     threadkit::process::init(Registry::new().register(SQUARE))?;
    ///     let p = Process::new(SQUARE, 2)?;
    ///     p.start()?;
    ///     p.join()?;
    ///     assert_eq!(p.exit_code(), Some(threadkit::process::ExitStatus::Code(0)));
    ///     Ok(())
    /// }
    /// ```
    pub fn exit_code(&self) -> Option<ExitStatus> {
        match &*self.shared.lock() {
            Phase::Ended(s, _, _) => Some(*s),
            _ => None,
        }
    }

    fn send(&self, sig: libc::c_int) -> Result<(), ProcessError> {
        match &*self.shared.lock() {
            Phase::New => Err(ProcessError::NotStarted),
            Phase::Running(c) => {
                c.signal(sig);
                Ok(())
            }
            Phase::Ended(..) => Ok(()),
        }
    }

    /// Asks the child to stop with `SIGTERM` (Python's `terminate`); a
    /// child that already ended is left alone. `join` then reports
    /// [`ProcessError::Exited`] with `Signal(15)`.
    ///
    /// # Errors
    ///
    /// [`ProcessError::NotStarted`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let p = Process::new(NAP, 60_000)?;
    ///     p.start()?;
    ///     p.terminate()?;
    ///     assert_eq!(p.join(), Err(ProcessError::Exited(ExitStatus::Signal(15))));
    ///     assert_eq!(p.exit_code().map(ExitStatus::python_exitcode), Some(-15));
    ///     Ok(())
    /// }
    /// ```
    pub fn terminate(&self) -> Result<(), ProcessError> {
        self.send(libc::SIGTERM)
    }

    /// Ends the child with `SIGKILL` (Python's `kill`).
    ///
    /// # Errors
    ///
    /// [`ProcessError::NotStarted`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadkit::process::{ExitStatus, Function, Process, ProcessError, ProcessPool, Registry};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    /// const NAP: Function<u64, u64> = threadkit::process_fn!(nap);
    ///
    /// fn main() -> Result<(), ProcessError> {
    ///     threadkit::process::init(Registry::new().register(NAP))?;
    ///     let p = Process::new(NAP, 60_000)?;
    ///     p.start()?;
    ///     p.kill()?;
    ///     assert_eq!(p.join(), Err(ProcessError::Exited(ExitStatus::Signal(9))));
    ///     Ok(())
    /// }
    /// ```
    pub fn kill(&self) -> Result<(), ProcessError> {
        self.send(libc::SIGKILL)
    }
}
