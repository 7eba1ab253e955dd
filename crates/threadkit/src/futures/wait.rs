//! [`wait`]: block until some or all of several futures are done.

use std::collections::HashSet;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::future::Future;
use super::multi::{Multi, Woke};
use super::state::Action;
use crate::wait as waitlayer;

/// When [`wait`] returns (Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`,
/// `ALL_COMPLETED`).
///
/// # Examples
///
/// ```
/// use threadkit::ReturnWhen;
/// assert_ne!(ReturnWhen::FirstCompleted, ReturnWhen::AllCompleted);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ReturnWhen {
    /// As soon as any future is done (finished or cancelled).
    FirstCompleted,
    /// As soon as any future finishes with an error (a cancelled future
    /// does not count); if none does, when all are done.
    FirstException,
    /// When every future is done.
    AllCompleted,
}

/// The two sets [`wait`] returns: Python's `DoneAndNotDoneFutures`.
/// Duplicates in the input appear once.
///
/// # Examples
///
/// ```
/// use threadkit::{wait, Future, ReturnWhen};
///
/// let (a, ca) = Future::pending();
/// let (b, _cb) = Future::<u8>::pending();
/// ca.set_result(1);
/// let r = wait([&a, &b], ReturnWhen::FirstCompleted);
/// assert_eq!((r.done.len(), r.not_done.len()), (1, 1));
/// ```
#[derive(Debug)]
pub struct Done<'a, T> {
    /// Futures done (finished or cancelled) when `wait` returned.
    pub done: Vec<&'a Future<T>>,
    /// The others.
    pub not_done: Vec<&'a Future<T>>,
}

/// Blocks until `return_when` holds for `futures`; returns the done and
/// not-done sets.
///
/// # Examples
///
/// ```
/// use threadkit::{wait, ReturnWhen, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new();
/// let fs: Vec<_> = (0..4).map(|i| pool.submit(move || i).unwrap()).collect();
/// let r = wait(&fs, ReturnWhen::AllCompleted);
/// assert_eq!(r.done.len(), 4);
/// assert!(r.not_done.is_empty());
/// ```
#[track_caller]
pub fn wait<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a Future<T>>,
    return_when: ReturnWhen,
) -> Done<'a, T> {
    wait_deadline(futures, return_when, None, Location::caller())
}

/// [`wait`] that returns after at most `timeout` even if `return_when` does
/// not hold yet (a zero timeout just sorts the futures). There is no error:
/// look at `not_done`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threadkit::{wait_timeout, Future, ReturnWhen};
///
/// let (f, _c) = Future::<u8>::pending();
/// let r = wait_timeout([&f], Duration::from_millis(10), ReturnWhen::AllCompleted);
/// assert_eq!(r.not_done.len(), 1);
/// ```
#[track_caller]
pub fn wait_timeout<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a Future<T>>,
    timeout: Duration,
    return_when: ReturnWhen,
) -> Done<'a, T> {
    wait_deadline(
        futures,
        return_when,
        waitlayer::deadline_after(timeout),
        Location::caller(),
    )
}

fn unique<'a, T: 'a>(futures: impl IntoIterator<Item = &'a Future<T>>) -> Vec<&'a Future<T>> {
    let mut seen = HashSet::new();
    futures
        .into_iter()
        .filter(|f| seen.insert(f.addr()))
        .collect()
}

/// Progress of a `wait`, kept incrementally so each wake-up costs the
/// number of futures that finished, not the number watched.
struct Progress {
    total: usize,
    done: usize,
    failed: bool,
}

impl Progress {
    fn saw_done<T>(&mut self, f: &Future<T>) {
        self.done += 1;
        self.failed |= f.failed();
    }

    fn satisfied(&self, return_when: ReturnWhen) -> bool {
        match return_when {
            ReturnWhen::FirstCompleted => self.done > 0,
            ReturnWhen::FirstException => self.failed || self.done == self.total,
            ReturnWhen::AllCompleted => self.done == self.total,
        }
    }
}

pub(super) fn wait_deadline<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a Future<T>>,
    return_when: ReturnWhen,
    deadline: Option<Instant>,
    site: &'static Location<'static>,
) -> Done<'a, T> {
    let fs = unique(futures);
    let mut progress = Progress {
        total: fs.len(),
        done: 0,
        failed: false,
    };
    let done_at_start: Vec<bool> = fs.iter().map(|f| f.done()).collect();
    for (f, _) in fs.iter().zip(&done_at_start).filter(|(_, d)| **d) {
        progress.saw_done(f);
    }
    if !progress.satisfied(return_when) && deadline.is_none_or(|d| Instant::now() < d) {
        let multi = Arc::new(Multi::new());
        let mut regs = vec![None; fs.len()];
        for (i, f) in fs.iter().enumerate() {
            if done_at_start[i] {
                continue;
            }
            match f.header().register(Action::Multi(multi.clone(), i)) {
                Ok(id) => regs[i] = Some(id),
                // Finished since the scan: never registered, counted once here.
                Err(_) => progress.saw_done(f),
            }
        }
        let mut notified = Vec::new();
        loop {
            let seen = multi.seq();
            multi.drain(&mut notified);
            for i in notified.drain(..) {
                // Each registered future notifies once, when it completes.
                progress.saw_done(fs[i]);
            }
            if progress.satisfied(return_when) {
                break;
            }
            if let Woke::TimedOut = multi.wait(seen, deadline, site) {
                break;
            }
        }
        for (i, id) in regs.into_iter().enumerate() {
            if let Some(id) = id {
                fs[i].header().deregister(id);
            }
        }
    }
    let (done, not_done) = fs.into_iter().partition(|f| f.done());
    Done { done, not_done }
}
