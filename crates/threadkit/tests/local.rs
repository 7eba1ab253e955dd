//! `Local<T>`: per-object, per-thread values.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};

use common::watchdog;
use threadkit::{Local, Thread};

/// Counts drops of the values it is part of.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn each_thread_has_its_own_lazily_created_value() {
    watchdog(|| {
        let inits = Arc::new(AtomicUsize::new(0));
        let i = inits.clone();
        let local = Arc::new(Local::new(move || {
            i.fetch_add(1, Ordering::SeqCst);
            Cell::new(0u32)
        }));
        assert_eq!(inits.load(Ordering::SeqCst), 0, "created lazily");
        local.with(|c| c.set(10));
        local.with(|c| c.set(c.get() + 1));
        assert_eq!(inits.load(Ordering::SeqCst), 1, "created once per thread");
        let l = local.clone();
        let t = Thread::spawn(move || {
            let first = l.with(|c| c.get());
            l.with(|c| c.set(99));
            first
        })
        .unwrap();
        assert_eq!(t.join().unwrap(), 0);
        assert_eq!(local.with(|c| c.get()), 11);
        assert_eq!(inits.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn no_thread_ever_sees_another_value() {
    watchdog(|| {
        const N: usize = 16;
        let local = Arc::new(Local::new(|| Cell::new(usize::MAX)));
        let barrier = Arc::new(Barrier::new(N));
        let threads: Vec<_> = (0..N)
            .map(|i| {
                let (local, barrier) = (local.clone(), barrier.clone());
                Thread::spawn(move || {
                    let mut ok = true;
                    for round in 0..200 {
                        local.with(|c| c.set(i * 1000 + round));
                        if round % 50 == 0 {
                            // Everyone has written before anyone reads.
                            barrier.wait();
                        }
                        ok &= local.with(|c| c.get()) == i * 1000 + round;
                    }
                    ok
                })
                .unwrap()
            })
            .collect();
        for t in threads {
            assert!(t.join().unwrap());
        }
        assert_eq!(local.with(|c| c.get()), usize::MAX);
    });
}

#[test]
fn value_dropped_when_threadkit_thread_exits_before_join_returns() {
    watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let local = Arc::new(Local::new(move || Counted(d.clone())));
        for round in 1..=20 {
            let l = local.clone();
            let t = Thread::spawn(move || l.with(|_| ())).unwrap();
            t.join().unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), round);
        }
        // Waiting through a handle gives the same guarantee.
        let l = local.clone();
        let t = Thread::spawn(move || l.with(|_| ())).unwrap();
        t.handle().join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 21);
    });
}

#[test]
fn value_dropped_when_foreign_thread_exits() {
    watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let local = Arc::new(Local::new(move || Counted(d.clone())));
        let l = local.clone();
        std::thread::spawn(move || l.with(|_| ())).join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn value_dropped_when_thread_panics() {
    watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let local = Arc::new(Local::new(move || Counted(d.clone())));
        let l = local.clone();
        let t = threadkit::Builder::new()
            .name("local-panics")
            .spawn(move || {
                l.with(|_| ());
                panic!("after using the local");
            })
            .unwrap();
        assert!(t.join().is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn set_clear_is_set_and_get() {
    watchdog(|| {
        let l = Local::new(|| String::from("init"));
        assert!(!l.is_set());
        assert_eq!(l.get(), "init");
        assert!(l.is_set());
        l.set("changed".into());
        assert_eq!(l.get(), "changed");
        l.clear();
        assert!(!l.is_set());
        assert_eq!(l.get(), "init");
        let d: Local<Vec<u8>> = Local::default();
        assert!(d.get().is_empty());
    });
}

#[test]
fn reentrant_use_is_allowed() {
    watchdog(|| {
        let inner = Arc::new(Local::new(|| 5u32));
        let i2 = inner.clone();
        // The initialiser uses another Local.
        let outer = Local::new(move || i2.get() * 2);
        assert_eq!(outer.get(), 10);
        // Inside `with`, the same Local can be read, replaced, cleared.
        let l = Local::new(|| RefCell::new(vec![1]));
        l.with(|v| {
            assert_eq!(l.with(|w| w.borrow().len()), 1);
            l.set(RefCell::new(vec![7, 8]));
            // The value we hold stays valid until we return.
            v.borrow_mut().push(2);
            assert_eq!(*v.borrow(), [1, 2]);
        });
        assert_eq!(*l.with(|v| v.borrow().clone()), [7, 8]);
    });
}

#[test]
fn values_need_not_be_send() {
    watchdog(|| {
        let l = Arc::new(Local::new(|| Rc::new(Cell::new(1))));
        let l2 = l.clone();
        let t = Thread::spawn(move || {
            let rc = l2.with(Rc::clone);
            rc.set(5);
            l2.with(|r| r.get())
        })
        .unwrap();
        assert_eq!(t.join().unwrap(), 5);
        assert_eq!(l.with(|r| r.get()), 1);
    });
}

#[test]
fn dropping_the_local_drops_values() {
    watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let local = Arc::new(Local::new(move || Counted(d.clone())));
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        let l = local.clone();
        let other = Local::new(|| 0u8);
        let t = Thread::spawn(move || {
            l.with(|_| ());
            drop(l);
            ready_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            // Creating any other Local value sweeps the dead entry.
            let before = other.get();
            drop(other);
            before
        })
        .unwrap();
        ready_rx.recv().unwrap();
        local.with(|_| ());
        // Dropping the last handle drops this thread's value at once.
        drop(local);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        go_tx.send(()).unwrap();
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn stress_many_threads_many_locals() {
    watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let locals: Arc<Vec<Local<Counted>>> = Arc::new(
            (0..8)
                .map(|_| {
                    let d = drops.clone();
                    Local::new(move || Counted(d.clone()))
                })
                .collect(),
        );
        let threads: Vec<_> = (0..32)
            .map(|_| {
                let locals = locals.clone();
                Thread::spawn(move || {
                    for l in locals.iter() {
                        l.with(|_| ());
                        l.with(|_| ());
                    }
                })
                .unwrap()
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(drops.load(Ordering::SeqCst), 32 * 8);
    });
}
