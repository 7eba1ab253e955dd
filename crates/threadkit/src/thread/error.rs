//! The one error type of the thread area.

use std::fmt;
use std::io;

use crate::diagnostics::Deadlock;

/// What can go wrong when starting, configuring or joining a thread.
///
/// Python raises `RuntimeError` for most of these; threadkit returns them.
///
/// # Examples
///
/// ```
/// use threadkit::{Thread, ThreadError};
///
/// let t = Thread::new(|| 1);
/// assert!(matches!(t.try_join(), Err(ThreadError::NotStarted)));
/// t.start().unwrap();
/// assert!(matches!(t.start(), Err(ThreadError::AlreadyStarted)));
/// assert_eq!(t.join().unwrap(), 1);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ThreadError {
    /// `start()` was called on a thread that was already started (or whose
    /// start failed: a thread's body runs at most once).
    AlreadyStarted,
    /// The thread was joined (or waited for) before `start()` succeeded.
    NotStarted,
    /// A thread tried to join itself, which could never return.
    JoinSelf,
    /// The daemon flag can only be changed before `start()`.
    DaemonAfterStart,
    /// The handle is of a thread threadkit did not start (the main thread
    /// or a plain `std::thread`): there is nothing to join.
    NotJoinable,
    /// The operating system refused to create the thread; nothing was left
    /// behind (no registry entry, the body was dropped).
    Spawn(io::Error),
    /// The thread's body panicked; this is the panic message.
    Panicked(String),
    /// `join_timeout` ran out of time; the thread is still alive.
    Timeout,
    /// The deadlock detector proved that this join could never return and
    /// chose this thread to break the cycle.
    Deadlock(Deadlock),
}

impl fmt::Display for ThreadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadError::AlreadyStarted => f.write_str(
                "thread already started: start() can be called once per thread; create a new Thread to run the body again",
            ),
            ThreadError::NotStarted => f.write_str(
                "cannot join a thread before it is started: call start() first (or check that it did not fail)",
            ),
            ThreadError::JoinSelf => f.write_str(
                "cannot join the current thread: a thread joining itself would wait forever",
            ),
            ThreadError::DaemonAfterStart => f.write_str(
                "cannot set the daemon flag of a started thread: set it before calling start()",
            ),
            ThreadError::NotJoinable => f.write_str(
                "cannot join a thread threadkit did not start (the main thread or a foreign thread); join it through its own handle",
            ),
            ThreadError::Spawn(e) => write!(
                f,
                "the operating system could not start the thread ({e}); lower the stack size or the number of live threads"
            ),
            ThreadError::Panicked(msg) => write!(f, "the thread panicked: {msg}"),
            ThreadError::Timeout => f.write_str(
                "join timed out: the thread is still alive; join again or check is_alive()",
            ),
            ThreadError::Deadlock(d) => write!(f, "join would never return:\n{d}"),
        }
    }
}

impl std::error::Error for ThreadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ThreadError::Spawn(e) => Some(e),
            ThreadError::Deadlock(d) => Some(d),
            _ => None,
        }
    }
}
