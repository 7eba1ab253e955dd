//! Group `sync`, the signalling primitives: Semaphore and Event against the
//! semaphore and event a user would otherwise build from a mutex and a
//! condition variable (std and parking_lot), and CPython
//! (`python/bench_sync_signals.py`).
//!
//! Scenarios:
//! - `semaphore acquire+release uncontended`: one thread takes and gives
//!   back one permit (the fast path: one atomic RMW each way).
//! - `event set+is_set+wait fast path`: on an event that is already set,
//!   `set()`, `is_set()` and `wait()` (no thread ever sleeps).
//! - `event ping-pong round trip`: two threads hand a turn back and forth
//!   with two events (wait, clear, set the other); the time of one full
//!   round trip (two hand-offs).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use super::case::{Case, Scale, Unit};

const GROUP: &str = "sync";
const SEM: &str = "semaphore acquire+release uncontended";
const EVENT_FAST: &str = "event set+is_set+wait fast path";
const PING_PONG: &str = "event ping-pong round trip";

/// The semaphore (or, with the count as a flag, the event) people write
/// with a mutex and a condition variable.
struct CondvarSignal<M, C> {
    count: M,
    cv: C,
}

/// The two peers' flavours, behind one small interface.
trait Signal: Send + Sync + 'static {
    fn new_sem(n: usize) -> Self;
    fn acquire(&self);
    fn release(&self);
    fn set(&self);
    fn clear(&self);
    fn is_set(&self) -> bool;
    fn wait(&self);
}

type StdSignal = CondvarSignal<std::sync::Mutex<usize>, std::sync::Condvar>;
type PlSignal = CondvarSignal<parking_lot::Mutex<usize>, parking_lot::Condvar>;

impl Signal for StdSignal {
    fn new_sem(n: usize) -> Self {
        CondvarSignal {
            count: std::sync::Mutex::new(n),
            cv: std::sync::Condvar::new(),
        }
    }
    fn acquire(&self) {
        let mut c = self.count.lock().unwrap();
        while *c == 0 {
            c = self.cv.wait(c).unwrap();
        }
        *c -= 1;
    }
    fn release(&self) {
        *self.count.lock().unwrap() += 1;
        self.cv.notify_one();
    }
    // As an event: count 0 = clear, 1 = set.
    fn set(&self) {
        *self.count.lock().unwrap() = 1;
        self.cv.notify_all();
    }
    fn clear(&self) {
        *self.count.lock().unwrap() = 0;
    }
    fn is_set(&self) -> bool {
        *self.count.lock().unwrap() != 0
    }
    fn wait(&self) {
        let mut c = self.count.lock().unwrap();
        while *c == 0 {
            c = self.cv.wait(c).unwrap();
        }
    }
}

impl Signal for PlSignal {
    fn new_sem(n: usize) -> Self {
        CondvarSignal {
            count: parking_lot::Mutex::new(n),
            cv: parking_lot::Condvar::new(),
        }
    }
    fn acquire(&self) {
        let mut c = self.count.lock();
        while *c == 0 {
            self.cv.wait(&mut c);
        }
        *c -= 1;
    }
    fn release(&self) {
        *self.count.lock() += 1;
        self.cv.notify_one();
    }
    fn set(&self) {
        *self.count.lock() = 1;
        self.cv.notify_all();
    }
    fn clear(&self) {
        *self.count.lock() = 0;
    }
    fn is_set(&self) -> bool {
        *self.count.lock() != 0
    }
    fn wait(&self) {
        let mut c = self.count.lock();
        while *c == 0 {
            self.cv.wait(&mut c);
        }
    }
}

fn ns_per_op(n: u64, f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_nanos() as f64 / n as f64
}

fn sem_peer<S: Signal>(scale: Scale) -> f64 {
    let n = scale.n(2_000_000);
    let s = S::new_sem(1);
    ns_per_op(n, || {
        for _ in 0..n {
            s.acquire();
            s.release();
        }
    })
}

fn event_fast_peer<S: Signal>(scale: Scale) -> f64 {
    let n = scale.n(2_000_000);
    let e = S::new_sem(0);
    e.set();
    ns_per_op(n, || {
        for _ in 0..n {
            e.set();
            black_box(e.is_set());
            e.wait();
        }
    })
}

fn ping_pong_peer<S: Signal>(scale: Scale) -> f64 {
    let n = scale.n(20_000);
    let ping = Arc::new(S::new_sem(0));
    let pong = Arc::new(S::new_sem(0));
    let (p2, q2) = (ping.clone(), pong.clone());
    let other = std::thread::spawn(move || {
        for _ in 0..n {
            p2.wait();
            p2.clear();
            q2.set();
        }
    });
    let r = ns_per_op(n, || {
        for _ in 0..n {
            ping.set();
            pong.wait();
            pong.clear();
        }
    });
    other.join().expect("ping-pong peer thread");
    r
}

fn sem_threadkit(scale: Scale) -> f64 {
    let n = scale.n(2_000_000);
    let s = threadkit::Semaphore::new(1);
    ns_per_op(n, || {
        for _ in 0..n {
            drop(black_box(s.acquire()));
        }
    })
}

fn event_fast_threadkit(scale: Scale) -> f64 {
    let n = scale.n(2_000_000);
    let e = threadkit::Event::new();
    e.set();
    ns_per_op(n, || {
        for _ in 0..n {
            e.set();
            black_box(e.is_set());
            e.wait();
        }
    })
}

fn ping_pong_threadkit(scale: Scale) -> f64 {
    let n = scale.n(20_000);
    let ping = Arc::new(threadkit::Event::new());
    let pong = Arc::new(threadkit::Event::new());
    let (p2, q2) = (ping.clone(), pong.clone());
    let other = std::thread::spawn(move || {
        for _ in 0..n {
            p2.wait();
            p2.clear();
            q2.set();
        }
    });
    let r = ns_per_op(n, || {
        for _ in 0..n {
            ping.set();
            pong.wait();
            pong.clear();
        }
    });
    other.join().expect("ping-pong threadkit thread");
    r
}

/// The signalling cases of group `sync`.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case::new(GROUP, SEM, "threadkit", Unit::NsPerOp, sem_threadkit),
        Case::new(GROUP, SEM, "std", Unit::NsPerOp, sem_peer::<StdSignal>),
        Case::new(
            GROUP,
            SEM,
            "parking_lot",
            Unit::NsPerOp,
            sem_peer::<PlSignal>,
        ),
        Case::new(
            GROUP,
            EVENT_FAST,
            "threadkit",
            Unit::NsPerOp,
            event_fast_threadkit,
        ),
        Case::new(
            GROUP,
            EVENT_FAST,
            "std",
            Unit::NsPerOp,
            event_fast_peer::<StdSignal>,
        ),
        Case::new(
            GROUP,
            EVENT_FAST,
            "parking_lot",
            Unit::NsPerOp,
            event_fast_peer::<PlSignal>,
        ),
        Case::new(
            GROUP,
            PING_PONG,
            "threadkit",
            Unit::NsPerOp,
            ping_pong_threadkit,
        ),
        Case::new(
            GROUP,
            PING_PONG,
            "std",
            Unit::NsPerOp,
            ping_pong_peer::<StdSignal>,
        ),
        Case::new(
            GROUP,
            PING_PONG,
            "parking_lot",
            Unit::NsPerOp,
            ping_pong_peer::<PlSignal>,
        ),
    ]
}
