//! Starting a worker child, signalling it safely, and reaping it.
//!
//! A worker is the current executable run again (`exec`, never a bare
//! `fork` of a threaded parent) with the environment variable [`ENV`] set
//! to `"<request fd>,<reply fd>,<parent pid>"`. The two pipes are created
//! close-on-exec; only the child's two ends are made inheritable, between
//! `fork` and `exec` in the child, so no other child of this process ever
//! holds them and the worker sees end-of-file on its requests exactly when
//! the parent closes its end (or dies).
//!
//! # Signalling without racing the reaper
//!
//! A pid may be reused once its zombie is reaped. [`Child`] therefore
//! waits for the exit *without* reaping (`waitid(WNOWAIT)`), then reaps
//! under the same mutex that [`Child::signal`] holds while it calls
//! `kill`: a signal is only ever sent to a pid that is still ours.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

use super::error::{ExitStatus, ProcessError};
use super::signal::{Signal, Stop};
use crate::wait::WaitKind;

/// The environment variable that makes [`init`](super::init) run a worker.
pub(crate) const ENV: &str = "THREADKIT_PROCESS_WORKER";

static EXECUTABLE: OnceLock<std::path::PathBuf> = OnceLock::new();

/// Sets the executable started as a worker (default: this program).
pub(crate) fn set_executable(path: std::path::PathBuf) -> bool {
    EXECUTABLE.set(path).is_ok()
}

fn executable() -> io::Result<std::path::PathBuf> {
    match EXECUTABLE.get() {
        Some(p) => Ok(p.clone()),
        None => std::env::current_exe(),
    }
}

/// One child process of ours (see the module docs).
#[derive(Debug)]
pub(crate) struct Child {
    pid: libc::pid_t,
    /// `Some` once reaped (the pid is no longer ours).
    status: Mutex<Option<ExitStatus>>,
    exited: Signal,
}

/// A started worker: the child and the parent's ends of its pipes.
pub(crate) struct Spawned {
    pub(crate) child: std::sync::Arc<Child>,
    /// Requests to the child.
    pub(crate) requests: File,
    /// Replies from the child.
    pub(crate) replies: File,
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both fds are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Starts a worker child.
pub(crate) fn spawn() -> Result<Spawned, ProcessError> {
    let spawn_err = |e: io::Error| ProcessError::Spawn(e.to_string());
    let (req_r, req_w) = pipe().map_err(spawn_err)?;
    let (rep_r, rep_w) = pipe().map_err(spawn_err)?;
    let child_in: RawFd = req_r.as_raw_fd();
    let child_out: RawFd = rep_w.as_raw_fd();
    let mut cmd = Command::new(executable().map_err(spawn_err)?);
    cmd.env(
        ENV,
        format!("{child_in},{child_out},{}", std::process::id()),
    )
    .stdin(Stdio::null());
    // SAFETY: the closure runs in the child between fork and exec and only
    // calls `fcntl`, which is async-signal-safe; it allocates nothing and
    // touches no lock.
    unsafe {
        cmd.pre_exec(move || {
            for fd in [child_in, child_out] {
                if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let std_child = cmd.spawn().map_err(spawn_err)?;
    // The child holds its own copies now; closing ours makes the child the
    // only reader of requests and the only writer of replies.
    drop(req_r);
    drop(rep_w);
    let pid = std_child.id() as libc::pid_t;
    // `std::process::Child` does not wait on drop: `Child` below reaps.
    drop(std_child);
    Ok(Spawned {
        child: std::sync::Arc::new(Child {
            pid,
            status: Mutex::new(None),
            exited: Signal::new(),
        }),
        requests: File::from(req_w),
        replies: File::from(rep_r),
    })
}

impl Child {
    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid as u32
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ExitStatus>> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `sig` unless the child was already reaped; `false` if it was.
    pub(crate) fn signal(&self, sig: libc::c_int) -> bool {
        let g = self.lock();
        if g.is_some() {
            return false;
        }
        // SAFETY: plain syscall; the pid is still ours (not reaped) while
        // the lock is held, see the module docs.
        unsafe { libc::kill(self.pid, sig) };
        true
    }

    /// The exit status, once reaped.
    pub(crate) fn status(&self) -> Option<ExitStatus> {
        *self.lock()
    }

    /// Blocks this (service) thread until the child exits, reaps it, and
    /// wakes every [`Child::wait`]. Called by exactly one thread per child.
    pub(crate) fn reap_blocking(&self) -> ExitStatus {
        loop {
            // SAFETY: zeroed siginfo_t is a valid out-parameter.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: valid pointer to `info`; WNOWAIT leaves the zombie so
            // the pid stays ours until the reap below.
            let r = unsafe {
                libc::waitid(
                    libc::P_PID,
                    self.pid as libc::id_t,
                    &mut info,
                    libc::WEXITED | libc::WNOWAIT,
                )
            };
            if r == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break;
            }
        }
        let status = {
            let mut g = self.lock();
            let mut raw: libc::c_int = 0;
            let st = loop {
                // SAFETY: valid pointer to `raw`; the child has exited, so
                // this returns at once.
                let r = unsafe { libc::waitpid(self.pid, &mut raw, 0) };
                if r == self.pid {
                    break ExitStatus::from_wait_status(raw);
                }
                if r == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // Someone else reaped it (a SIGCHLD handler set to ignore,
                // or `waitpid(-1)` elsewhere): the status is lost.
                break ExitStatus::Code(-1);
            };
            *g = Some(st);
            st
        };
        self.exited.notify_all();
        status
    }

    /// Waits until the child is reaped or `deadline` passes.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Result<ExitStatus, ProcessError> {
        let mut out = None;
        match self.exited.wait_until(WaitKind::Join, deadline, || {
            out = self.status();
            out.is_some()
        }) {
            Ok(()) => Ok(out.unwrap_or(ExitStatus::Code(-1))),
            Err(Stop::TimedOut) => Err(ProcessError::Timeout),
            Err(Stop::Deadlock(d)) => Err(ProcessError::Deadlock(d.report().to_string())),
        }
    }
}
