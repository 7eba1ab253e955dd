//! [`as_completed`]: iterate over futures in the order they finish.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::FutureError;
use super::future::Future;
use super::multi::{Multi, Woke};
use super::state::Action;
use crate::wait as waitlayer;

/// Yields each of `futures` once (duplicates removed) as it completes:
/// the ones already done first, in input order, then the others in the
/// order they finish (or are cancelled).
///
/// # Examples
///
/// ```
/// use threadkit::{as_completed, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new();
/// let fs: Vec<_> = (1..=3).map(|i| pool.submit(move || i * 10).unwrap()).collect();
/// let mut total = 0;
/// for f in as_completed(&fs) {
///     total += f.unwrap().result().unwrap();
/// }
/// assert_eq!(total, 60);
/// ```
#[track_caller]
pub fn as_completed<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a Future<T>>,
) -> AsCompleted<'a, T> {
    AsCompleted::new(futures, None, Location::caller())
}

/// [`as_completed`] with a timeout counted from this call: once it passes
/// with futures still unfinished, the iterator yields
/// [`FutureError::Unfinished`] (saying how many of how many) and ends.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threadkit::{as_completed_timeout, Future, FutureError};
///
/// let (a, ca) = Future::pending();
/// let (b, _cb) = Future::<u8>::pending();
/// ca.set_result(1);
/// let got: Vec<_> = as_completed_timeout([&a, &b], Duration::from_millis(20)).collect();
/// assert!(got[0].as_ref().unwrap().same(&a));
/// assert_eq!(got[1].as_ref().unwrap_err(), &FutureError::Unfinished { unfinished: 1, total: 2 });
/// ```
#[track_caller]
pub fn as_completed_timeout<'a, T: 'a>(
    futures: impl IntoIterator<Item = &'a Future<T>>,
    timeout: Duration,
) -> AsCompleted<'a, T> {
    let deadline = waitlayer::deadline_after(timeout);
    AsCompleted::new(futures, deadline, Location::caller())
}

/// The iterator of [`as_completed`].
pub struct AsCompleted<'a, T> {
    futures: Vec<&'a Future<T>>,
    /// (index, registration id) of futures registered and not yet seen done.
    pending: Vec<Option<u64>>,
    unfinished: usize,
    ready: VecDeque<usize>,
    multi: Arc<Multi>,
    deadline: Option<Instant>,
    site: &'static Location<'static>,
    ended: bool,
}

impl<'a, T: 'a> AsCompleted<'a, T> {
    fn new(
        futures: impl IntoIterator<Item = &'a Future<T>>,
        deadline: Option<Instant>,
        site: &'static Location<'static>,
    ) -> Self {
        let mut seen = HashSet::new();
        let futures: Vec<&'a Future<T>> = futures
            .into_iter()
            .filter(|f| seen.insert(f.addr()))
            .collect();
        let multi = Arc::new(Multi::new());
        let mut ready = VecDeque::new();
        let mut pending = vec![None; futures.len()];
        let mut late = Vec::new();
        // Done ones first, in input order.
        let done_at_start: Vec<bool> = futures.iter().map(|f| f.done()).collect();
        for (i, &done) in done_at_start.iter().enumerate() {
            if done {
                ready.push_back(i);
            }
        }
        for (i, f) in futures.iter().enumerate() {
            if done_at_start[i] {
                continue;
            }
            match f.header().register(Action::Multi(multi.clone(), i)) {
                Ok(id) => pending[i] = Some(id),
                Err(_) => late.push(i),
            }
        }
        let unfinished = pending.iter().filter(|p| p.is_some()).count();
        // Finished between the scan and the registration: never registered,
        // so they cannot be notified (and yielded) twice.
        ready.extend(late);
        AsCompleted {
            futures,
            pending,
            unfinished,
            ready,
            multi,
            deadline,
            site,
            ended: false,
        }
    }

    fn collect_notified(&mut self) {
        let mut got = Vec::new();
        self.multi.drain(&mut got);
        for i in got {
            if self.pending[i].take().is_some() {
                self.unfinished -= 1;
                self.ready.push_back(i);
            }
        }
    }

    fn deregister_all(&mut self) {
        for (i, p) in self.pending.iter_mut().enumerate() {
            if let Some(id) = p.take() {
                self.futures[i].header().deregister(id);
            }
        }
    }
}

impl<'a, T: 'a> Iterator for AsCompleted<'a, T> {
    type Item = Result<&'a Future<T>, FutureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        loop {
            if let Some(i) = self.ready.pop_front() {
                return Some(Ok(self.futures[i]));
            }
            if self.unfinished == 0 {
                self.ended = true;
                return None;
            }
            let seen = self.multi.seq();
            self.collect_notified();
            if !self.ready.is_empty() {
                continue;
            }
            if let Woke::TimedOut = self.multi.wait(seen, self.deadline, self.site) {
                self.collect_notified();
                if !self.ready.is_empty() {
                    continue;
                }
                self.ended = true;
                let unfinished = self.unfinished;
                self.deregister_all();
                return Some(Err(FutureError::Unfinished {
                    unfinished,
                    total: self.futures.len(),
                }));
            }
        }
    }
}

impl<T> Drop for AsCompleted<'_, T> {
    fn drop(&mut self) {
        for (i, p) in self.pending.iter_mut().enumerate() {
            if let Some(id) = p.take() {
                self.futures[i].header().deregister(id);
            }
        }
    }
}

impl<T> fmt::Debug for AsCompleted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("total", &self.futures.len())
            .field("unfinished", &self.unfinished)
            .field("ready", &self.ready.len())
            .finish()
    }
}
