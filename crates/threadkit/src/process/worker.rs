//! The worker loop: what a child process runs instead of the program's
//! `main` once [`init`](super::init) recognises it.
//!
//! It reads request frames (buffered: a burst of requests costs one `read`),
//! runs each named function under `catch_unwind`, and writes each reply
//! before it starts the next task. Batching replies would save a `write`
//! per task, but a task that then aborts or calls `exit` would take the
//! finished tasks' replies down with it, and the parent could no longer
//! tell which task killed the worker.
//!
//! It exits (code 0) at end-of-file on its requests: the parent closed its
//! end (shutdown, retirement after `max_tasks_per_child`) or died. A task
//! that runs when the parent dies would delay that, so a watcher thread
//! also checks every 50 ms whether the parent is still the process that
//! started it, and ends the worker at once if not. (`PR_SET_PDEATHSIG` is
//! not used: on Linux it fires when the *thread* that spawned the child
//! exits, and pool workers are spawned from short-lived threads.)

use std::fs::File;
use std::io::{BufReader, Write};
use std::os::fd::FromRawFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use super::codec;
use super::function::Registry;

/// Parses the value of [`ENV`](super::child::ENV).
fn parse_env(v: &str) -> Option<(i32, i32, u32)> {
    let mut it = v.split(',');
    let a = it.next()?.parse().ok()?;
    let b = it.next()?.parse().ok()?;
    let c = it.next()?.parse().ok()?;
    Some((a, b, c))
}

pub(crate) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Runs the worker and exits the process; returns only if `value` is not a
/// worker description (then the caller goes on as a normal program).
pub(crate) fn run(registry: &Registry, value: &str) -> Option<std::convert::Infallible> {
    let (fd_in, fd_out, parent) = parse_env(value)?;
    // SAFETY: `init` runs first thing in the worker's `main` (its documented
    // contract), before the worker starts any thread, so no other thread can
    // be reading the environment while it changes.
    unsafe { std::env::remove_var(super::child::ENV) };
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } as u32 != parent {
        std::process::exit(0);
    }
    for fd in [fd_in, fd_out] {
        // SAFETY: plain fcntl on fds the parent passed us; children of
        // tasks must not inherit them (they would hold the pipes open).
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    let _ = std::thread::Builder::new()
        .name("threadkit-parent-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(50));
                // SAFETY: getppid has no preconditions.
                if unsafe { libc::getppid() } as u32 != parent {
                    // SAFETY: _exit is always safe to call; nothing of this
                    // process may outlive its parent.
                    unsafe { libc::_exit(1) };
                }
            }
        });
    // Panics in tasks travel to the parent as messages; printing them here
    // too would only duplicate them.
    std::panic::set_hook(Box::new(|_| {}));
    // SAFETY: the parent passed these two fds for us alone; we own them.
    let (input, mut output) = unsafe { (File::from_raw_fd(fd_in), File::from_raw_fd(fd_out)) };
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let mut body = Vec::new();
    let mut out = Vec::with_capacity(64 * 1024);
    codec::put_reply(&mut out, codec::READY_ID, codec::OK, &[]);
    if output.write_all(&out).is_err() {
        std::process::exit(0);
    }
    loop {
        out.clear();
        match codec::read_frame(&mut input, &mut body) {
            Ok(true) => {}
            _ => break,
        }
        let Some(req) = codec::parse_request(&body) else {
            break;
        };
        match registry.entries.get(req.name) {
            None => {
                let msg = format!(
                    "function `{}` is not registered in the worker process: build the same \
                     Registry in every run of the program",
                    req.name
                );
                codec::put_reply(&mut out, req.id, codec::ERROR, msg.as_bytes());
            }
            Some(entry) => {
                let run = if req.chunk {
                    &entry.run_chunk
                } else {
                    &entry.run
                };
                match catch_unwind(AssertUnwindSafe(|| run(req.arg))) {
                    Ok(Ok(bytes)) => codec::put_reply(&mut out, req.id, codec::OK, &bytes),
                    Ok(Err(msg)) => {
                        codec::put_reply(&mut out, req.id, codec::ERROR, msg.as_bytes())
                    }
                    Err(p) => {
                        let msg = panic_message(&*p);
                        codec::put_reply(&mut out, req.id, codec::PANIC, msg.as_bytes())
                    }
                }
            }
        }
        if output.write_all(&out).is_err() {
            break;
        }
    }
    let _ = output.flush();
    std::process::exit(0);
}
