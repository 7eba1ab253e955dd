//! Behaviour of `Queue`, `LifoQueue`, `PriorityQueue` and `SimpleQueue`,
//! including ports of CPython's `Lib/test/test_queue.py` cases.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::watchdog;
use threadkit::{
    GetError, JoinError, LifoQueue, PriorityQueue, PutError, Queue, SimpleQueue, TaskDoneError,
};

/// The tracked kinds behind one interface, so each test runs on all three.
trait Tracked<T>: Clone + Send + Sync + 'static {
    fn make(maxsize: usize) -> Self;
    fn put(&self, t: T) -> Result<(), PutError<T>>;
    fn put_timeout(&self, t: T, d: Duration) -> Result<(), PutError<T>>;
    fn try_put(&self, t: T) -> Result<(), PutError<T>>;
    fn get(&self) -> Result<T, GetError>;
    fn get_timeout(&self, d: Duration) -> Result<T, GetError>;
    fn try_get(&self) -> Result<T, GetError>;
    fn task_done(&self) -> Result<(), TaskDoneError>;
    fn join(&self);
    fn join_timeout(&self, d: Duration) -> Result<(), JoinError>;
    fn try_join(&self) -> Result<(), JoinError>;
    fn shutdown(&self, immediate: bool);
    fn is_shutdown(&self) -> bool;
    fn qsize(&self) -> usize;
    fn empty(&self) -> bool;
    fn full(&self) -> bool;
    fn unfinished(&self) -> usize;
}

macro_rules! tracked {
    ($ty:ident, [$($b:tt)*]) => {
        impl<T: Send + 'static $($b)*> Tracked<T> for $ty<T> {
            fn make(m: usize) -> Self { $ty::with_maxsize(m) }
            fn put(&self, t: T) -> Result<(), PutError<T>> { $ty::put(self, t) }
            fn put_timeout(&self, t: T, d: Duration) -> Result<(), PutError<T>> { $ty::put_timeout(self, t, d) }
            fn try_put(&self, t: T) -> Result<(), PutError<T>> { $ty::try_put(self, t) }
            fn get(&self) -> Result<T, GetError> { $ty::get(self) }
            fn get_timeout(&self, d: Duration) -> Result<T, GetError> { $ty::get_timeout(self, d) }
            fn try_get(&self) -> Result<T, GetError> { $ty::try_get(self) }
            fn task_done(&self) -> Result<(), TaskDoneError> { $ty::task_done(self) }
            fn join(&self) { $ty::join(self) }
            fn join_timeout(&self, d: Duration) -> Result<(), JoinError> { $ty::join_timeout(self, d) }
            fn try_join(&self) -> Result<(), JoinError> { $ty::try_join(self) }
            fn shutdown(&self, i: bool) { $ty::shutdown(self, i) }
            fn is_shutdown(&self) -> bool { $ty::is_shutdown(self) }
            fn qsize(&self) -> usize { $ty::qsize(self) }
            fn empty(&self) -> bool { $ty::empty(self) }
            fn full(&self) -> bool { $ty::full(self) }
            fn unfinished(&self) -> usize { $ty::unfinished_tasks(self) }
        }
    };
}
tracked!(Queue, []);
tracked!(LifoQueue, []);
tracked!(PriorityQueue, [+ Ord]);

/// Runs `$f::<Kind<i64>>` for the three tracked kinds, as separate tests.
macro_rules! for_each_kind {
    ($($f:ident),* $(,)?) => {
        mod fifo { use super::*; $( #[test] fn $f() { watchdog(|| super::$f::<Queue<i64>>()) } )* }
        mod lifo { use super::*; $( #[test] fn $f() { watchdog(|| super::$f::<LifoQueue<i64>>()) } )* }
        mod prio { use super::*; $( #[test] fn $f() { watchdog(|| super::$f::<PriorityQueue<i64>>()) } )* }
    };
}

for_each_kind!(
    basic_full_empty,
    basic_full_empty_unbounded,
    blocking_put_waits_for_get,
    blocking_get_waits_for_put,
    timeouts_are_not_early,
    zero_timeout_is_a_try,
    task_done_and_join_with_workers,
    task_done_too_often_is_an_error,
    join_many_threads_many_times,
    failed_put_keeps_count,
    shutdown_empty,
    shutdown_nonempty,
    shutdown_immediate,
    shutdown_allowed_transitions,
    shutdown_wakes_blocked_getters,
    shutdown_wakes_blocked_putters,
    shutdown_immediate_releases_join,
    shutdown_all_methods_in_many_threads,
    shutdown_immediate_all_methods_in_many_threads,
    shutdown_put_join,
    shutdown_get_task_done_join,
    many_producers_many_consumers_small_bound,
);

const QUEUE_SIZE: usize = 5;

// CPython: BaseQueueTestMixin.simple_queue_test, on a bounded queue.
fn basic_full_empty<Q: Tracked<i64>>() {
    let q = Q::make(QUEUE_SIZE);
    assert!(q.empty());
    assert_eq!(q.qsize(), 0);
    q.put(111).unwrap();
    q.put(222).unwrap();
    let a = q.get().unwrap();
    let b = q.get().unwrap();
    assert_eq!(a + b, 333);
    for i in 0..QUEUE_SIZE as i64 - 1 {
        q.put(i).unwrap();
        assert!(!q.empty());
    }
    assert!(!q.full());
    q.put(999).unwrap();
    assert!(q.full());
    assert_eq!(q.qsize(), QUEUE_SIZE);
    assert!(matches!(q.try_put(888), Err(PutError::Full(888))));
    assert!(matches!(
        q.put_timeout(888, Duration::from_millis(10)),
        Err(PutError::Timeout(888))
    ));
    for _ in 0..QUEUE_SIZE {
        q.get().unwrap();
    }
    assert!(q.empty());
    assert_eq!(q.try_get(), Err(GetError::Empty));
    assert_eq!(
        q.get_timeout(Duration::from_millis(10)),
        Err(GetError::Timeout)
    );
}

fn basic_full_empty_unbounded<Q: Tracked<i64>>() {
    let q = Q::make(0);
    for i in 0..10_000 {
        q.try_put(i).unwrap();
    }
    assert!(!q.full());
    assert_eq!(q.qsize(), 10_000);
    let mut sum = 0;
    while let Ok(v) = q.try_get() {
        sum += v;
    }
    assert_eq!(sum, (0..10_000).sum::<i64>());
    assert!(q.empty());
}

// CPython: do_blocking_test(q.put, ..., q.get, ...): the blocking call must
// not return before the trigger thread has started its trigger.
fn blocking_put_waits_for_get<Q: Tracked<i64>>() {
    let q = Q::make(1);
    q.put(1).unwrap();
    let started = Arc::new(Barrier::new(2));
    let triggered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let me = common::current_name();
    let t = {
        let (q, started, triggered) = (q.clone(), started.clone(), triggered.clone());
        thread::spawn(move || {
            started.wait();
            // Wait until the put is blocked (it must wait for this get anyway).
            common::until_blocked(&me, 1);
            triggered.store(true, Ordering::SeqCst);
            q.get().unwrap()
        })
    };
    started.wait();
    q.put(2).unwrap();
    assert!(
        triggered.load(Ordering::SeqCst),
        "put returned before the get"
    );
    assert_eq!(t.join().unwrap(), 1);
    assert_eq!(q.get(), Ok(2));
}

fn blocking_get_waits_for_put<Q: Tracked<i64>>() {
    let q = Q::make(0);
    let started = Arc::new(Barrier::new(2));
    let me = common::current_name();
    let t = {
        let (q, started) = (q.clone(), started.clone());
        thread::spawn(move || {
            started.wait();
            common::until_blocked(&me, 1);
            q.put(42).unwrap();
        })
    };
    started.wait();
    // Only the other thread's put can produce 42: the get waited for it.
    assert_eq!(q.get(), Ok(42));
    t.join().unwrap();
}

fn timeouts_are_not_early<Q: Tracked<i64>>() {
    let q = Q::make(1);
    let d = Duration::from_millis(50);
    let t0 = Instant::now();
    assert_eq!(q.get_timeout(d), Err(GetError::Timeout));
    assert!(t0.elapsed() >= d);
    q.put(1).unwrap();
    let t0 = Instant::now();
    assert!(matches!(q.put_timeout(2, d), Err(PutError::Timeout(2))));
    assert!(t0.elapsed() >= d);
    let t0 = Instant::now();
    assert_eq!(q.join_timeout(d), Err(JoinError { unfinished: 1 }));
    assert!(t0.elapsed() >= d);
    // Still usable, and nothing lost.
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.unfinished(), 1);
}

fn zero_timeout_is_a_try<Q: Tracked<i64>>() {
    let q = Q::make(1);
    assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::Empty));
    q.put(1).unwrap();
    assert!(matches!(
        q.put_timeout(2, Duration::ZERO),
        Err(PutError::Full(2))
    ));
    assert_eq!(
        q.join_timeout(Duration::ZERO),
        Err(JoinError { unfinished: 1 })
    );
    assert_eq!(q.get_timeout(Duration::ZERO), Ok(1));
    // A timeout too large for an Instant means forever, not an error.
    q.put(3).unwrap();
    assert_eq!(q.get_timeout(Duration::MAX), Ok(3));
}

// CPython: BaseQueueTestMixin.queue_join_test: workers sum 0..100, None stops them.
fn task_done_and_join_with_workers<Q: Tracked<i64>>() {
    for maxsize in [0, 3] {
        let q = Q::make(maxsize);
        let cum = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (q, cum) = (q.clone(), cum.clone());
                thread::spawn(move || {
                    loop {
                        let x = q.get().unwrap();
                        if x < 0 {
                            q.task_done().unwrap();
                            return;
                        }
                        cum.fetch_add(x as usize, Ordering::SeqCst);
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        for i in 0..100 {
            q.put(i).unwrap();
        }
        q.join();
        assert_eq!(cum.load(Ordering::SeqCst), 4950);
        assert_eq!(q.unfinished(), 0);
        for _ in 0..2 {
            q.put(-1).unwrap();
        }
        q.join();
        for w in workers {
            w.join().unwrap();
        }
        // Do it again on the same queue (join may be called repeatedly).
        q.join();
        assert!(q.try_join().is_ok());
    }
}

// CPython: test_queue_task_done raises ValueError.
fn task_done_too_often_is_an_error<Q: Tracked<i64>>() {
    let q = Q::make(0);
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.put(1).unwrap();
    q.get().unwrap();
    q.task_done().unwrap();
    assert_eq!(q.task_done(), Err(TaskDoneError));
    assert_eq!(q.unfinished(), 0);
    assert!(!TaskDoneError.to_string().is_empty());
}

fn join_many_threads_many_times<Q: Tracked<i64>>() {
    let q = Q::make(0);
    for i in 0..4 {
        q.put(i).unwrap();
    }
    let n = 4;
    let ready = Arc::new(Barrier::new(n + 1));
    let joined = Arc::new(AtomicUsize::new(0));
    let joiners: Vec<_> = (0..n)
        .map(|_| {
            let (q, ready, joined) = (q.clone(), ready.clone(), joined.clone());
            thread::spawn(move || {
                ready.wait();
                q.join();
                joined.fetch_add(1, Ordering::SeqCst);
                q.join();
            })
        })
        .collect();
    ready.wait();
    for _ in 0..4 {
        q.get().unwrap();
    }
    thread::sleep(Duration::from_millis(10));
    assert_eq!(joined.load(Ordering::SeqCst), 0, "join returned early");
    for _ in 0..4 {
        q.task_done().unwrap();
    }
    for j in joiners {
        j.join().unwrap();
    }
    assert_eq!(joined.load(Ordering::SeqCst), n);
}

fn failed_put_keeps_count<Q: Tracked<i64>>() {
    let q = Q::make(1);
    q.put(1).unwrap();
    assert!(q.try_put(2).is_err());
    assert!(q.put_timeout(2, Duration::from_millis(5)).is_err());
    assert_eq!(q.unfinished(), 1);
    q.get().unwrap();
    q.task_done().unwrap();
    q.join();
}

// ----- Python 3.13 shutdown tests -----------------------------------------

// CPython: test_shutdown_empty.
fn shutdown_empty<Q: Tracked<i64>>() {
    let q = Q::make(0);
    q.shutdown(false);
    assert!(q.is_shutdown());
    assert!(matches!(q.put(1), Err(PutError::ShutDown(1))));
    assert!(matches!(q.try_put(1), Err(PutError::ShutDown(1))));
    assert_eq!(q.get(), Err(GetError::ShutDown));
    assert_eq!(q.try_get(), Err(GetError::ShutDown));
    assert_eq!(
        q.get_timeout(Duration::from_secs(60)),
        Err(GetError::ShutDown)
    );
    assert_eq!(q.unfinished(), 0);
}

// CPython: test_shutdown_nonempty.
fn shutdown_nonempty<Q: Tracked<i64>>() {
    let q = Q::make(0);
    q.put(7).unwrap();
    q.shutdown(false);
    assert_eq!(q.get(), Ok(7));
    assert_eq!(q.get(), Err(GetError::ShutDown));
    assert_eq!(q.unfinished(), 1);
    q.task_done().unwrap();
    q.join();
}

// CPython: test_shutdown_immediate.
fn shutdown_immediate<Q: Tracked<i64>>() {
    let q = Q::make(0);
    q.put(1).unwrap();
    q.put(2).unwrap();
    q.shutdown(true);
    assert_eq!(q.qsize(), 0);
    assert_eq!(q.get(), Err(GetError::ShutDown));
    assert_eq!(q.unfinished(), 0);
    q.join();
}

// CPython: test_shutdown_allowed_transitions.
fn shutdown_allowed_transitions<Q: Tracked<i64>>() {
    let q = Q::make(0);
    assert!(!q.is_shutdown());
    q.shutdown(false);
    assert!(q.is_shutdown());
    q.shutdown(true);
    assert!(q.is_shutdown());
    q.shutdown(false);
    assert!(q.is_shutdown());
}

fn shutdown_wakes_blocked_getters<Q: Tracked<i64>>() {
    let q = Q::make(0);
    let ready = Arc::new(Barrier::new(4));
    let tag = common::unique("getter");
    let getters: Vec<_> = (0..3)
        .map(|i| {
            let (q, ready) = (q.clone(), ready.clone());
            common::spawn_named(format!("{tag}-{i}"), move || {
                ready.wait();
                if i == 0 {
                    q.get()
                } else {
                    q.get_timeout(Duration::from_secs(600))
                }
            })
        })
        .collect();
    ready.wait();
    common::until_blocked(&tag, 3);
    q.shutdown(false);
    for g in getters {
        assert_eq!(g.join().unwrap(), Err(GetError::ShutDown));
    }
}

fn shutdown_wakes_blocked_putters<Q: Tracked<i64>>() {
    let q = Q::make(1);
    q.put(0).unwrap();
    let ready = Arc::new(Barrier::new(4));
    let tag = common::unique("putter");
    let putters: Vec<_> = (0..3)
        .map(|i| {
            let (q, ready) = (q.clone(), ready.clone());
            common::spawn_named(format!("{tag}-{i}"), move || {
                ready.wait();
                if i == 0 {
                    q.put(i)
                } else {
                    q.put_timeout(i, Duration::from_secs(600))
                }
                .map_err(|e| (e.is_shutdown(), e.into_inner() == i))
            })
        })
        .collect();
    ready.wait();
    common::until_blocked(&tag, 3);
    q.shutdown(false);
    for p in putters {
        assert_eq!(p.join().unwrap(), Err((true, true)));
    }
    // The put that got in is still there; the failed ones took their count back.
    assert_eq!(q.unfinished(), 1);
    assert_eq!(q.get(), Ok(0));
}

fn shutdown_immediate_releases_join<Q: Tracked<i64>>() {
    let q = Q::make(0);
    for i in 0..5 {
        q.put(i).unwrap();
    }
    q.get().unwrap(); // taken, not done: join must still wait for it
    let ready = Arc::new(Barrier::new(3));
    let joiners: Vec<_> = (0..2)
        .map(|_| {
            let (q, ready) = (q.clone(), ready.clone());
            thread::spawn(move || {
                ready.wait();
                q.join();
            })
        })
        .collect();
    ready.wait();
    q.shutdown(true);
    assert_eq!(q.unfinished(), 1);
    assert!(q.join_timeout(Duration::from_millis(10)).is_err());
    q.task_done().unwrap();
    for j in joiners {
        j.join().unwrap();
    }
}

/// CPython's `_shutdown_all_methods_in_many_threads`: many threads doing
/// put, get and join while the queue is shut down; every thread ends, every
/// failed put hands its item back, and the accounting adds up.
fn shutdown_many<Q: Tracked<i64>>(immediate: bool) {
    let q = Q::make(2);
    let n = 3;
    let go = Arc::new(Barrier::new(3 * n + 1));
    let put_ok = Arc::new(AtomicUsize::new(0));
    let got = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::new();
    for i in 0..n {
        let (q1, go1, put_ok) = (q.clone(), go.clone(), put_ok.clone());
        threads.push(thread::spawn(move || {
            let (q, go) = (q1, go1);
            go.wait();
            loop {
                match q.put(i as i64) {
                    Ok(()) => {
                        put_ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => {
                        assert!(e.is_shutdown());
                        assert_eq!(e.into_inner(), i as i64);
                        return;
                    }
                }
            }
        }));
        let (q1, go1, got) = (q.clone(), go.clone(), got.clone());
        threads.push(thread::spawn(move || {
            let (q, go) = (q1, go1);
            go.wait();
            loop {
                match q.get() {
                    Ok(_) => {
                        got.fetch_add(1, Ordering::SeqCst);
                        q.task_done().unwrap();
                    }
                    Err(e) => {
                        assert_eq!(e, GetError::ShutDown);
                        return;
                    }
                }
            }
        }));
        let (q1, go1) = (q.clone(), go.clone());
        threads.push(thread::spawn(move || {
            let (q, go) = (q1, go1);
            go.wait();
            if immediate {
                q.join();
            } else {
                // Without `immediate`, join waits for the consumers, who
                // drain the queue; bounded so a bug fails instead of hanging.
                q.join_timeout(Duration::from_secs(30)).unwrap();
            }
        }));
    }
    go.wait();
    // Let the threads run for a while: any interleaving with the shutdown
    // is valid, and every one must end with the counts checked below.
    thread::sleep(Duration::from_millis(20));
    q.shutdown(immediate);
    for t in threads {
        t.join().unwrap();
    }
    assert!(q.empty());
    let puts = put_ok.load(Ordering::SeqCst);
    let gets = got.load(Ordering::SeqCst);
    if immediate {
        assert!(gets <= puts);
    } else {
        assert_eq!(gets, puts, "shutdown(false) must let the getters drain");
    }
    assert_eq!(q.unfinished(), 0);
    q.join();
}

fn shutdown_all_methods_in_many_threads<Q: Tracked<i64>>() {
    shutdown_many::<Q>(false);
}

fn shutdown_immediate_all_methods_in_many_threads<Q: Tracked<i64>>() {
    shutdown_many::<Q>(true);
}

// CPython: test_shutdown_[immediate_]put_join.
fn shutdown_put_join<Q: Tracked<i64>>() {
    for immediate in [false, true] {
        let q = Q::make(2);
        q.put(1).unwrap();
        q.put(2).unwrap();
        let ready = Arc::new(Barrier::new(2));
        let tag = common::unique("put-join");
        let putter = {
            let (q, ready) = (q.clone(), ready.clone());
            common::spawn_named(format!("{tag}-put"), move || {
                ready.wait();
                q.put(3)
            })
        };
        let joiner = {
            let q = q.clone();
            common::spawn_named(format!("{tag}-join"), move || q.join())
        };
        ready.wait();
        common::until_blocked(&tag, 2);
        q.shutdown(immediate);
        assert!(matches!(putter.join().unwrap(), Err(PutError::ShutDown(3))));
        if !immediate {
            let (a, b) = (q.get().unwrap(), q.get().unwrap());
            assert_eq!(a + b, 3);
            q.task_done().unwrap();
            q.task_done().unwrap();
        }
        joiner.join().unwrap();
        assert_eq!(q.unfinished(), 0);
    }
}

// CPython: test_shutdown_[immediate_]get_task_done_join.
fn shutdown_get_task_done_join<Q: Tracked<i64>>() {
    for immediate in [false, true] {
        let q = Q::make(2);
        q.put(1).unwrap();
        q.put(2).unwrap();
        assert_eq!(q.unfinished(), 2);
        q.get().unwrap();
        let joiner = {
            let q = q.clone();
            thread::spawn(move || q.join())
        };
        q.shutdown(immediate);
        if immediate {
            assert_eq!(q.get(), Err(GetError::ShutDown));
            assert_eq!(q.unfinished(), 1);
        } else {
            q.get().unwrap();
            assert_eq!(q.unfinished(), 2);
            q.task_done().unwrap();
        }
        q.task_done().unwrap();
        assert_eq!(q.task_done(), Err(TaskDoneError));
        joiner.join().unwrap();
    }
}

fn many_producers_many_consumers_small_bound<Q: Tracked<i64>>() {
    let q = Q::make(4);
    let per = 20_000i64;
    let producers: Vec<_> = (0..3)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for i in 0..per {
                    q.put(p * per + i).unwrap();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || {
                let (mut n, mut sum) = (0i64, 0i64);
                while let Ok(v) = q.get() {
                    n += 1;
                    sum += v;
                    q.task_done().unwrap();
                }
                (n, sum)
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    q.join();
    q.shutdown(false);
    let (n, sum) = consumers
        .into_iter()
        .map(|c| c.join().unwrap())
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert_eq!(n, 3 * per);
    assert_eq!(sum, (0..3 * per).sum::<i64>());
}

// ----- kind-specific -------------------------------------------------------

// CPython: the three kinds' orders for puts 111, 333, 222.
#[test]
fn ordering_of_the_three_kinds() {
    watchdog(|| {
        let order = |q: &dyn Fn(i64), g: &dyn Fn() -> i64| {
            for x in [111, 333, 222] {
                q(x);
            }
            [g(), g(), g()]
        };
        let f = Queue::with_maxsize(QUEUE_SIZE);
        assert_eq!(
            order(&|x| f.put(x).unwrap(), &|| f.get().unwrap()),
            [111, 333, 222]
        );
        let l = LifoQueue::new();
        assert_eq!(
            order(&|x| l.put(x).unwrap(), &|| l.get().unwrap()),
            [222, 333, 111]
        );
        let p = PriorityQueue::with_maxsize(QUEUE_SIZE);
        assert_eq!(
            order(&|x| p.put(x).unwrap(), &|| p.get().unwrap()),
            [111, 222, 333]
        );
        let s = SimpleQueue::new();
        assert_eq!(order(&|x| s.put(x), &|| s.get().unwrap()), [111, 333, 222]);
    });
}

#[test]
fn fifo_order_across_blocks_and_laps() {
    watchdog(|| {
        // Unbounded: many blocks; bounded: many laps of the ring.
        for q in [Queue::new(), Queue::with_maxsize(3), Queue::with_maxsize(1)] {
            let mut next = 0;
            for i in 0..1000 {
                if q.try_put(i).is_err() {
                    assert_eq!(q.get(), Ok(next));
                    next += 1;
                    q.put(i).unwrap();
                }
                assert_eq!(q.qsize(), (i + 1 - next) as usize);
            }
            while let Ok(v) = q.try_get() {
                assert_eq!(v, next);
                next += 1;
            }
            assert_eq!(next, 1000);
        }
    });
}

#[test]
fn items_leave_the_queue_when_got() {
    watchdog(|| {
        let item = Arc::new(());
        for q in [Queue::new(), Queue::with_maxsize(2)] {
            q.put(item.clone()).unwrap();
            assert_eq!(Arc::strong_count(&item), 2);
            drop(q.get().unwrap());
            assert_eq!(Arc::strong_count(&item), 1, "the queue kept a copy");
        }
        let q = SimpleQueue::new();
        q.put(item.clone());
        drop(q.get().unwrap());
        assert_eq!(Arc::strong_count(&item), 1);
    });
}

#[test]
fn dropping_a_queue_drops_its_items() {
    watchdog(|| {
        let item = Arc::new(());
        {
            let (a, b, c) = (Queue::new(), Queue::with_maxsize(100), LifoQueue::new());
            let d = SimpleQueue::new();
            for _ in 0..70 {
                a.put(item.clone()).unwrap();
                b.put(item.clone()).unwrap();
                c.put(item.clone()).unwrap();
                d.put(item.clone());
            }
            for _ in 0..10 {
                a.get().unwrap();
                b.get().unwrap();
            }
        }
        assert_eq!(Arc::strong_count(&item), 1);
        let q = Queue::new();
        q.put(item.clone()).unwrap();
        q.shutdown(true);
        assert_eq!(
            Arc::strong_count(&item),
            1,
            "immediate shutdown drops items"
        );
    });
}

#[test]
fn priority_queue_pops_smallest_under_load() {
    watchdog(|| {
        let q = PriorityQueue::new();
        let mut xs: Vec<i64> = (0..1000).map(|i| (i * 7919) % 1000).collect();
        for &x in &xs {
            q.put(x).unwrap();
        }
        xs.sort();
        let out: Vec<i64> = (0..1000).map(|_| q.get().unwrap()).collect();
        assert_eq!(out, xs);
    });
}

#[test]
fn simple_queue_blocking_and_timeouts() {
    watchdog(|| {
        let q = SimpleQueue::new();
        assert_eq!(q.try_get(), Err(GetError::Empty));
        let d = Duration::from_millis(30);
        let t0 = Instant::now();
        assert_eq!(q.get_timeout(d), Err(GetError::Timeout));
        assert!(t0.elapsed() >= d);
        assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::Empty));
        let ready = Arc::new(Barrier::new(2));
        let me = common::current_name();
        let t = {
            let (q, ready) = (q.clone(), ready.clone());
            thread::spawn(move || {
                ready.wait();
                common::until_blocked(&me, 1);
                q.put(5);
            })
        };
        ready.wait();
        assert_eq!(q.get(), Ok(5));
        t.join().unwrap();
        assert!(q.empty());
        assert_eq!(q.qsize(), 0);
    });
}

/// An item whose `Drop` puts into the queue it came from: CPython's
/// `SimpleQueue` re-entrancy case (a finalizer running inside `put`/`get`).
struct Reenter {
    q: SimpleQueue<Option<Reenter>>,
    depth: usize,
}

impl Drop for Reenter {
    fn drop(&mut self) {
        if self.depth > 0 {
            self.q.put(Some(Reenter {
                q: self.q.clone(),
                depth: self.depth - 1,
            }));
        } else {
            self.q.put(None);
        }
    }
}

#[test]
fn simple_queue_put_from_drop_is_reentrant() {
    watchdog(|| {
        let q = SimpleQueue::new();
        q.put(Some(Reenter {
            q: q.clone(),
            depth: 3,
        }));
        let mut n = 0;
        // Each get hands out an item whose drop (at the end of the loop
        // body) puts the next one, until the `None`.
        while let Some(item) = q.get().unwrap() {
            drop(item);
            n += 1;
        }
        assert_eq!(n, 4);
        assert!(q.empty());
    });
}

#[test]
fn errors_hand_items_back_and_explain() {
    let e: PutError<String> = PutError::Full("a".into());
    assert!(e.to_string().contains("full"));
    assert_eq!(format!("{e:?}"), "Full(..)");
    assert_eq!(e.into_inner(), "a");
    assert!(PutError::Timeout(1).to_string().contains("timed out"));
    assert!(PutError::ShutDown(1).to_string().contains("shut-down"));
    assert!(GetError::Empty.to_string().contains("empty"));
    assert!(GetError::Timeout.to_string().contains("timed out"));
    assert!(GetError::ShutDown.to_string().contains("shut-down"));
    assert!(JoinError { unfinished: 3 }.to_string().contains('3'));
    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    is_error(&PutError::Full(1));
    is_error(&GetError::Empty);
    is_error(&TaskDoneError);
    is_error(&JoinError { unfinished: 0 });
}

#[test]
fn debug_shows_state() {
    let q = Queue::with_maxsize(3);
    q.put(1).unwrap();
    let s = format!("{q:?}");
    assert!(s.contains("maxsize: 3") && s.contains("qsize: 1"), "{s}");
    assert!(format!("{:?}", SimpleQueue::<u8>::new()).contains("SimpleQueue"));
}

/// While set, comparing a `Touchy` marked `true` panics.
static ARMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// An item whose comparison can be made to panic.
#[derive(Debug)]
struct Touchy(i32, bool);

impl PartialEq for Touchy {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Touchy {}
impl PartialOrd for Touchy {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Touchy {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        let armed = ARMED.load(Ordering::SeqCst);
        assert!(!(armed && (self.1 || o.1)), "Touchy compared");
        self.0.cmp(&o.0)
    }
}

#[test]
fn priority_queue_survives_a_panicking_ord() {
    watchdog(|| {
        let q = PriorityQueue::new();
        q.put(Touchy(1, false)).unwrap();
        let q2 = q.clone();
        ARMED.store(true, Ordering::SeqCst);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _ = q2.put(Touchy(0, true));
        }));
        ARMED.store(false, Ordering::SeqCst);
        assert!(r.is_err(), "the comparison should have panicked");
        // The internal lock was released, and the counts agree with the heap
        // (the heap kept the item it had already taken in).
        assert_eq!(q.qsize(), 2);
        assert_eq!(q.unfinished_tasks(), 1);
        let mut n = 0;
        while q.try_get().is_ok() {
            n += 1;
        }
        assert_eq!(n, 2);
        q.task_done().unwrap();
        q.join();
        q.put(Touchy(5, false)).unwrap();
        assert_eq!(q.get().map(|t| t.0), Ok(5));
    });
}

#[test]
fn huge_maxsize_is_accepted_and_bounded() {
    watchdog(|| {
        for maxsize in [usize::MAX, (1 << 16) + 1, 1 << 16] {
            let q = Queue::with_maxsize(maxsize);
            assert_eq!(q.maxsize(), maxsize);
            for i in 0..100 {
                q.try_put(i).unwrap();
            }
            assert!(!q.full());
            assert_eq!(q.qsize(), 100);
            assert_eq!(q.get(), Ok(0), "still first in, first out");
            q.shutdown(true);
            assert_eq!(q.unfinished_tasks(), 1);
        }
        let q = Queue::with_maxsize((1 << 16) + 2);
        for i in 0..(1 << 16) + 2 {
            q.try_put(i).unwrap();
        }
        assert!(q.full());
        assert!(matches!(q.try_put(0), Err(PutError::Full(0))));
        let l = LifoQueue::<u8>::with_maxsize(usize::MAX);
        l.put(1).unwrap();
        assert_eq!(l.get(), Ok(1));
    });
}

/// Panics when dropped while armed.
struct Bomb(bool);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0 {
            panic!("Bomb dropped");
        }
    }
}

#[test]
fn immediate_shutdown_with_a_panicking_drop_still_wakes_everyone() {
    watchdog(|| {
        let q = Queue::new();
        q.put(Bomb(true)).unwrap();
        q.put(Bomb(false)).unwrap();
        let waiting = Arc::new(Barrier::new(2));
        let joiner = {
            let (q, waiting) = (q.clone(), waiting.clone());
            thread::spawn(move || {
                waiting.wait();
                q.join();
            })
        };
        waiting.wait();
        let q2 = q.clone();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || q2.shutdown(true)));
        assert!(r.is_err(), "the item's drop panicked through shutdown");
        assert!(q.is_shutdown());
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 0);
        joiner.join().unwrap();
    });
}
