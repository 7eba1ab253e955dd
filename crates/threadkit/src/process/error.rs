//! `ProcessError`: everything that can go wrong with a child process.

use std::fmt;

/// How a child process ended.
///
/// # Examples
///
/// ```
/// use threadkit::process::ExitStatus;
///
/// assert_eq!(ExitStatus::Code(99).to_string(), "exit code 99");
/// assert_eq!(ExitStatus::Signal(9).to_string(), "signal 9 (SIGKILL)");
/// assert!(ExitStatus::Code(0).success());
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Debug, Hash)]
pub enum ExitStatus {
    /// The process exited with this code (`exit`, or returning from `main`).
    Code(i32),
    /// The process was ended by this signal (`kill`, `abort`, a crash).
    Signal(i32),
}

impl ExitStatus {
    /// Whether the process exited with code 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::ExitStatus;
    /// assert!(!ExitStatus::Signal(15).success());
    /// ```
    pub fn success(self) -> bool {
        self == ExitStatus::Code(0)
    }

    /// Python's `Process.exitcode`: the exit code, or minus the signal.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::ExitStatus;
    /// assert_eq!(ExitStatus::Signal(15).python_exitcode(), -15);
    /// assert_eq!(ExitStatus::Code(3).python_exitcode(), 3);
    /// ```
    pub fn python_exitcode(self) -> i32 {
        match self {
            ExitStatus::Code(c) => c,
            ExitStatus::Signal(s) => -s,
        }
    }

    pub(crate) fn from_wait_status(status: libc::c_int) -> ExitStatus {
        if libc::WIFSIGNALED(status) {
            ExitStatus::Signal(libc::WTERMSIG(status))
        } else {
            ExitStatus::Code(libc::WEXITSTATUS(status))
        }
    }
}

fn signal_name(sig: i32) -> Option<&'static str> {
    Some(match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => return None,
    })
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExitStatus::Code(c) => write!(f, "exit code {c}"),
            ExitStatus::Signal(s) => match signal_name(s) {
                Some(n) => write!(f, "signal {s} ({n})"),
                None => write!(f, "signal {s}"),
            },
        }
    }
}

/// The error of every fallible call of the `process` module.
///
/// # Examples
///
/// ```
/// use threadkit::process::ProcessError;
///
/// let e = ProcessError::NotRegistered("demo::square".into());
/// assert!(e.to_string().contains("Registry::register"));
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ProcessError {
    /// [`init`](crate::process::init) was not called before the first
    /// process or pool was started.
    NotInitialized,
    /// The function is not in the registry given to
    /// [`init`](crate::process::init) (or is registered with other types).
    NotRegistered(String),
    /// Two functions were registered under one name.
    DuplicateName(String),
    /// The argument or the result could not be serialized or deserialized.
    Serialize(String),
    /// The task panicked in the child; the message is the panic's.
    Panicked(String),
    /// The child process running the task died (or was terminated) before it
    /// answered; the pool replaced it.
    WorkerDied(ExitStatus),
    /// The child of a [`Process`](crate::process::Process) ended without
    /// returning a value (it exited, aborted, or was terminated or killed).
    Exited(ExitStatus),
    /// An earlier call already took the value.
    ResultTaken,
    /// The worker could not run the task (its registry lacks the function,
    /// or the argument did not decode there).
    Worker(String),
    /// The worker process could not be started.
    Spawn(String),
    /// A process was started twice, or joined before it was started.
    NotStarted,
    /// [`Process::start`](crate::process::Process::start) was called a second time.
    AlreadyStarted,
    /// The call's timeout passed first.
    Timeout,
    /// The pool was shut down before the task could run (also for a submit
    /// after shutdown).
    ShutDown,
    /// The task was cancelled before it started.
    Cancelled,
    /// The pool's workers were terminated or killed while the task ran.
    Terminated,
    /// The pool was created with bad parameters.
    InvalidArgument(String),
    /// The deadlock detector failed this wait.
    Deadlock(String),
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::NotInitialized => f.write_str(
                "threadkit::process::init was not called: call it first thing in main, \
                 with the registry of functions children may run",
            ),
            ProcessError::NotRegistered(n) => write!(
                f,
                "function `{n}` is not registered (or is registered with other argument or \
                 result types): add it with Registry::register before calling process::init"
            ),
            ProcessError::DuplicateName(n) => write!(
                f,
                "two functions are registered as `{n}`: give each a distinct name"
            ),
            ProcessError::Serialize(m) => {
                write!(f, "value cannot cross the process boundary: {m}")
            }
            ProcessError::Panicked(m) => write!(f, "task panicked in the child process: {m}"),
            ProcessError::WorkerDied(s) => write!(
                f,
                "broken pool: the worker process running the task ended ({s}) before it \
                 answered; the pool started a replacement, resubmit the task if it is safe"
            ),
            ProcessError::Exited(s) => {
                write!(f, "the child process ended ({s}) without returning a value")
            }
            ProcessError::ResultTaken => {
                f.write_str("the value was already taken by an earlier call")
            }
            ProcessError::Worker(m) => write!(f, "the worker could not run the task: {m}"),
            ProcessError::Spawn(m) => write!(f, "could not start a worker process: {m}"),
            ProcessError::NotStarted => f.write_str("process was not started: call start first"),
            ProcessError::AlreadyStarted => {
                f.write_str("process was already started: a Process runs once")
            }
            ProcessError::Timeout => f.write_str("timed out waiting for the child process"),
            ProcessError::ShutDown => {
                f.write_str("the process pool is shut down: it accepts and runs no more tasks")
            }
            ProcessError::Cancelled => f.write_str("the task was cancelled before it started"),
            ProcessError::Terminated => f.write_str(
                "the pool's workers were terminated while the task ran (terminate_workers or \
                 kill_workers)",
            ),
            ProcessError::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            ProcessError::Deadlock(r) => write!(f, "deadlock detected:\n{r}"),
        }
    }
}

impl std::error::Error for ProcessError {}
