//! The worker thread: run jobs until shutdown, sleeping when there are none.
//!
//! # Sleep and wake-up protocol
//!
//! A worker that finds the queue empty spins briefly (a job often arrives
//! within a microsecond when a producer is busy), then:
//!
//! 1. `sleepers += 1` then a SeqCst fence;
//! 2. re-checks the queue and the shutdown flag (leaves if either says so);
//! 3. parks on `sleepers`' address; `validate` (under the parking lot's
//!    bucket lock) re-checks the queue and the flag once more.
//!
//! A submitter pushes its job, issues a SeqCst fence, and reads `sleepers`:
//! only if it is non-zero does it `unpark_one` (so a busy pool costs no
//! syscall per task). The two fences order "push; read sleepers" against
//! "sleepers += 1; read queue": at least one side sees the other, so
//! either the worker does not sleep or the submitter wakes someone. A wake
//! between step 2 and step 3 is caught by `validate` (it runs under the
//! same bucket lock the unpark takes).

use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::error::{FutureError, panic_message};
use super::executor::Shared;
use super::job::{Job, RunCtx};
use crate::loom::sync::atomic::{Ordering, fence};
use crate::registry;
use crate::wait::{self, Owner, Park, Spin, Tid, WaitKind, Waiter};

/// Doubling spin steps before parking (about 2^steps `spin_loop`
/// hints in all): work or a result often arrives within a microsecond or
/// two, and on a loaded machine a longer spin steals the CPU from the
/// thread we wait for.
const WAIT_SPIN_STEPS: u32 = 6;

/// `yield_now` rounds an idle worker makes after spinning, before parking.
const IDLE_YIELDS: u32 = 16;

/// Starts worker number `index` of `shared`.
pub(super) fn spawn(shared: Arc<Shared>, index: usize) -> std::io::Result<JoinHandle<()>> {
    let name = shared.worker_name(index);
    let info = shared.register_thread(&name);
    let bound = info.clone();
    let r = std::thread::Builder::new().name(name).spawn(move || {
        registry::bind_current(bound.clone());
        run(&shared, index);
        registry::unlist(&bound);
    });
    if r.is_err() {
        registry::discard(&info);
    }
    r
}

fn run(shared: &Shared, index: usize) {
    let me = wait::tid::current();
    let slot = &shared.slots.0[index];
    // Relaxed: read by the deadlock probe as a snapshot.
    slot.busy.store(true, Ordering::Relaxed);
    slot.tid.store(me.get(), Ordering::Relaxed);
    if let Some(init) = &shared.initializer {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| init()));
        let failure = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(msg)) => Some(msg),
            Err(p) => Some(format!("panicked: {}", panic_message(&*p))),
        };
        if let Some(msg) = failure {
            shared.break_pool(format!("a worker's initializer failed: {msg}"), true);
            // Relaxed: probe snapshots, as below.
            slot.busy.store(false, Ordering::Relaxed);
            slot.tid.store(0, Ordering::Relaxed);
            return;
        }
    }
    // Relaxed stores of `busy` and `tid` below: snapshots for the deadlock
    // probe, which confirms a cycle over two walks (see `pool_table`).
    let mut busy = true;
    loop {
        match pop(shared) {
            Some(job) => {
                if !busy {
                    slot.busy.store(true, Ordering::Relaxed);
                    busy = true;
                }
                run_job(shared, job, me);
            }
            None => {
                if busy {
                    slot.busy.store(false, Ordering::Relaxed);
                    busy = false;
                }
                if !idle(shared) {
                    break;
                }
            }
        }
    }
    // Relaxed: probe snapshot.
    slot.tid.store(0, Ordering::Relaxed);
}

#[inline]
fn pop(shared: &Shared) -> Option<Job> {
    loop {
        match shared.queue.steal() {
            crossbeam_deque::Steal::Success(job) => return Some(job),
            crossbeam_deque::Steal::Empty => return None,
            crossbeam_deque::Steal::Retry => std::hint::spin_loop(),
        }
    }
}

#[inline]
fn run_job(shared: &Shared, job: Job, me: Tid) {
    // Relaxed: a job that slips past a just-set flag runs normally, as if it
    // had started before the pool broke.
    if shared.broken.load(Ordering::Relaxed) {
        abandon(shared, job);
        return;
    }
    job.run(&RunCtx {
        worker: me,
        ran: &|| shared.add_idle_token(),
        report: &report_panic,
    });
}

#[cold]
fn abandon(shared: &Shared, job: Job) {
    job.abandon(FutureError::BrokenPool(shared.broken_reason()));
}

#[cold]
fn report_panic(p: &(dyn std::any::Any + Send)) {
    let name = registry::current_if_bound()
        .map(|i| i.name().to_string())
        .unwrap_or_default();
    // Not `eprintln!`: it panics if stderr is closed (see `state.rs`).
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "threadkit: a task run with execute() on {name} panicked: {}",
        panic_message(p)
    );
}

/// Waits for work; `false` when the worker should exit (shut down and
/// nothing left to do).
fn idle(shared: &Shared) -> bool {
    let mut spin = Spin::with_steps(WAIT_SPIN_STEPS);
    let mut yields = 0;
    loop {
        if !shared.queue.is_empty() {
            return true;
        }
        if shared.is_shut_down() {
            return false;
        }
        if !spin.spin() {
            // Spinning is over; yield a few times before parking. With more
            // runnable threads than cores (the submitter and every worker),
            // a yield hands the core to the thread that makes the next job,
            // and the worker stays awake for it: no futex sleep and wake.
            if yields == IDLE_YIELDS {
                break;
            }
            yields += 1;
            super::executor::yield_now();
        }
    }
    sleep(shared)
}

/// The sleep protocol alone, for the loom models (the spin and yield
/// rounds of `idle` would let the model wait for the push instead).
#[cfg(all(test, loom))]
pub(super) fn sleep_for_model(shared: &Shared) -> bool {
    sleep(shared)
}

#[cold]
fn sleep(shared: &Shared) -> bool {
    // Relaxed + fence: see the module docs.
    shared.sleepers.fetch_add(1, Ordering::Relaxed);
    fence(Ordering::SeqCst);
    let mut w = Waiter::new(
        WaitKind::Queue,
        &*shared.sleepers,
        shared.meta,
        Owner::None,
        Location::caller(),
        None,
    );
    let go_on = loop {
        if !shared.queue.is_empty() {
            break true;
        }
        if shared.is_shut_down() {
            break false;
        }
        let validate = || shared.queue.is_empty() && !shared.is_shut_down();
        // SAFETY: the key is the pool's own `sleepers` address; `validate`
        // only reads the queue's indices and an atomic (cannot panic or
        // park); the other callbacks do nothing.
        let r = unsafe {
            w.park(
                shared.sleepers_key(),
                validate,
                || {},
                |_, _| {},
                wait::DEFAULT_PARK_TOKEN,
            )
        };
        match r {
            Park::Unparked(_)
            | Park::Invalid
            | Park::Retry
            | Park::TimedOut
            | Park::Deadlock(_) => {}
        }
    };
    // Relaxed: only a hint for submitters (an extra wake is harmless).
    shared.sleepers.fetch_sub(1, Ordering::Relaxed);
    go_on
}
