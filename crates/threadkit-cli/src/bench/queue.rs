//! Group `queue`: threadkit's queues against std's channels,
//! crossbeam-channel and flume (and CPython's `queue`, in
//! `python/bench_queue.py`), on the same scenarios in the same run.
//!
//! Throughput cases move `n` `u64` messages from `P` producers to `C`
//! consumers; each producer sends `n / P`, then one `u64::MAX` sentinel per
//! consumer is sent and each consumer stops at its sentinel (the same
//! protocol for every implementation, the course's `None` sentinel). A
//! sample is timed from a start barrier to the last consumer's exit.
//! Ping-pong bounces one message between two threads through two
//! capacity-1 queues and reports the round trip.

use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::Instant;

use threadkit::{LifoQueue, PriorityQueue, Queue, SimpleQueue};

use super::case::{Case, Scale, Unit};

const GROUP: &str = "queue";
const STOP: u64 = u64::MAX;

/// Runs one throughput sample; returns messages per second.
///
/// `make(c)` builds the queue and returns a sender and `c` receivers.
fn throughput<Tx, Rx>(
    p: usize,
    c: usize,
    n: u64,
    make: impl FnOnce(usize) -> (Tx, Vec<Rx>),
    send: fn(&Tx, u64),
    recv: fn(&Rx) -> u64,
) -> f64
where
    Tx: Clone + Send + 'static,
    Rx: Send + 'static,
{
    let (tx, rxs) = make(c);
    let per = n / p as u64;
    let start = Arc::new(Barrier::new(p + c + 1));
    let producers: Vec<_> = (0..p)
        .map(|_| {
            let (tx, start) = (tx.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for i in 0..per {
                    send(&tx, i);
                }
            })
        })
        .collect();
    let consumers: Vec<_> = rxs
        .into_iter()
        .map(|rx| {
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                let mut sum = 0u64;
                loop {
                    let v = recv(&rx);
                    if v == STOP {
                        return sum;
                    }
                    sum = sum.wrapping_add(v);
                }
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    for t in producers {
        t.join().expect("producer");
    }
    for _ in 0..c {
        send(&tx, STOP);
    }
    let mut sum = 0u64;
    for t in consumers {
        sum = sum.wrapping_add(t.join().expect("consumer"));
    }
    let secs = t0.elapsed().as_secs_f64();
    let expect = (per * (per.saturating_sub(1)) / 2).wrapping_mul(p as u64);
    assert_eq!(sum, expect, "messages lost");
    (per * p as u64) as f64 / secs
}

/// One producer, one consumer that takes exactly `n` items (for the kinds
/// whose order would hand out a sentinel early); returns messages per second.
fn counted<Q: Clone + Send + 'static>(n: u64, q: Q, send: fn(&Q, u64), recv: fn(&Q) -> u64) -> f64 {
    let start = Arc::new(Barrier::new(3));
    let producer = {
        let (q, start) = (q.clone(), start.clone());
        thread::spawn(move || {
            start.wait();
            for i in 0..n {
                send(&q, i);
            }
        })
    };
    let consumer = {
        let start = start.clone();
        thread::spawn(move || {
            start.wait();
            (0..n).fold(0u64, |s, _| s.wrapping_add(recv(&q)))
        })
    };
    start.wait();
    let t0 = Instant::now();
    producer.join().expect("producer");
    let sum = consumer.join().expect("consumer");
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(sum, n * (n - 1) / 2, "messages lost");
    n as f64 / secs
}

/// Runs one ping-pong sample; returns the round trip in nanoseconds.
fn ping_pong<Tx, Rx>(
    n: u64,
    make: fn() -> (Tx, Rx),
    send: fn(&Tx, u64),
    recv: fn(&Rx) -> u64,
) -> f64
where
    Tx: Send + 'static,
    Rx: Send + 'static,
{
    let (ping_tx, ping_rx) = make();
    let (pong_tx, pong_rx) = make();
    let echo = thread::spawn(move || {
        loop {
            let v = recv(&ping_rx);
            send(&pong_tx, v);
            if v == STOP {
                return;
            }
        }
    });
    let t0 = Instant::now();
    for i in 0..n {
        send(&ping_tx, i);
        let _ = recv(&pong_rx);
    }
    let ns = t0.elapsed().as_nanos() as f64 / n as f64;
    send(&ping_tx, STOP);
    let _ = recv(&pong_rx);
    echo.join().expect("echo");
    ns
}

// ----- the implementations, as (make, send, recv) ------------------------

fn tk_queue(cap: usize) -> impl Fn(usize) -> (Queue<u64>, Vec<Queue<u64>>) {
    move |c| {
        let q = Queue::with_maxsize(cap);
        (q.clone(), vec![q; c])
    }
}
fn tk_send(q: &Queue<u64>, v: u64) {
    q.put(v).expect("put");
}
fn tk_recv(q: &Queue<u64>) -> u64 {
    q.get().expect("get")
}
/// `get` then `task_done`, as a Python consumer does.
fn tk_recv_done(q: &Queue<u64>) -> u64 {
    let v = q.get().expect("get");
    q.task_done().expect("task_done");
    v
}

fn tk_simple(c: usize) -> (SimpleQueue<u64>, Vec<SimpleQueue<u64>>) {
    let q = SimpleQueue::new();
    (q.clone(), vec![q; c])
}
fn tk_simple_send(q: &SimpleQueue<u64>, v: u64) {
    q.put(v);
}
fn tk_simple_recv(q: &SimpleQueue<u64>) -> u64 {
    q.get().expect("get")
}

fn cb_bounded(cap: usize) -> impl Fn(usize) -> (CbTx, Vec<CbRx>) {
    move |c| {
        let (tx, rx) = crossbeam_channel::bounded(cap);
        (tx, vec![rx; c])
    }
}
fn cb_unbounded(c: usize) -> (CbTx, Vec<CbRx>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    (tx, vec![rx; c])
}
type CbTx = crossbeam_channel::Sender<u64>;
type CbRx = crossbeam_channel::Receiver<u64>;
fn cb_send(tx: &CbTx, v: u64) {
    tx.send(v).expect("send");
}
fn cb_recv(rx: &CbRx) -> u64 {
    rx.recv().expect("recv")
}

fn fl_bounded(cap: usize) -> impl Fn(usize) -> (FlTx, Vec<FlRx>) {
    move |c| {
        let (tx, rx) = flume::bounded(cap);
        (tx, vec![rx; c])
    }
}
fn fl_unbounded(c: usize) -> (FlTx, Vec<FlRx>) {
    let (tx, rx) = flume::unbounded();
    (tx, vec![rx; c])
}
type FlTx = flume::Sender<u64>;
type FlRx = flume::Receiver<u64>;
fn fl_send(tx: &FlTx, v: u64) {
    tx.send(v).expect("send");
}
fn fl_recv(rx: &FlRx) -> u64 {
    rx.recv().expect("recv")
}

/// std's channels have one consumer: used in the 1C cases only.
fn std_sync(cap: usize) -> impl Fn(usize) -> (mpsc::SyncSender<u64>, Vec<mpsc::Receiver<u64>>) {
    move |_| {
        let (tx, rx) = mpsc::sync_channel(cap);
        (tx, vec![rx])
    }
}
fn std_unbounded(_: usize) -> (mpsc::Sender<u64>, Vec<mpsc::Receiver<u64>>) {
    let (tx, rx) = mpsc::channel();
    (tx, vec![rx])
}
fn std_sync_send(tx: &mpsc::SyncSender<u64>, v: u64) {
    tx.send(v).expect("send");
}
fn std_send(tx: &mpsc::Sender<u64>, v: u64) {
    tx.send(v).expect("send");
}
fn std_recv(rx: &mpsc::Receiver<u64>) -> u64 {
    rx.recv().expect("recv")
}

/// Messages per sample (one million; 100k with `--quick`).
fn msgs(s: Scale) -> u64 {
    s.n(1_000_000)
}

macro_rules! tput {
    ($v:ident, $case:expr, $imp:expr, $p:expr, $c:expr, $make:expr, $send:expr, $recv:expr) => {
        $v.push(Case::new(GROUP, $case, $imp, Unit::MsgsPerSec, move |s| {
            throughput($p, $c, msgs(s), $make, $send, $recv)
        }));
    };
}

/// The cases of group `queue` (see the module docs).
pub(crate) fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    const B: usize = 1024;
    for (p, name) in [
        (1, "bounded(1024) 1P1C"),
        (2, "bounded(1024) 2P2C"),
        (4, "bounded(1024) 4P4C"),
    ] {
        tput!(v, name, "threadkit", p, p, tk_queue(B), tk_send, tk_recv);
        tput!(v, name, "crossbeam", p, p, cb_bounded(B), cb_send, cb_recv);
        tput!(v, name, "flume", p, p, fl_bounded(B), fl_send, fl_recv);
        if p == 1 {
            tput!(v, name, "std", 1, 1, std_sync(B), std_sync_send, std_recv);
        }
    }
    for (p, name) in [
        (1, "unbounded 1P1C"),
        (2, "unbounded 2P2C"),
        (4, "unbounded 4P4C"),
    ] {
        tput!(v, name, "threadkit", p, p, tk_queue(0), tk_send, tk_recv);
        tput!(v, name, "crossbeam", p, p, cb_unbounded, cb_send, cb_recv);
        tput!(v, name, "flume", p, p, fl_unbounded, fl_send, fl_recv);
        if p == 1 {
            tput!(v, name, "std", 1, 1, std_unbounded, std_send, std_recv);
        }
    }
    for (p, name) in [
        (1, "SimpleQueue 1P1C"),
        (2, "SimpleQueue 2P2C"),
        (4, "SimpleQueue 4P4C"),
    ] {
        tput!(
            v,
            name,
            "threadkit",
            p,
            p,
            tk_simple,
            tk_simple_send,
            tk_simple_recv
        );
        tput!(v, name, "crossbeam", p, p, cb_unbounded, cb_send, cb_recv);
    }
    for (p, name) in [
        (1, "bounded(1024) 1P1C task_done+join"),
        (4, "bounded(1024) 4P4C task_done+join"),
    ] {
        // threadkit pays for task_done after every get and a final join;
        // crossbeam runs without them (its plain throughput is the bar).
        v.push(Case::new(
            GROUP,
            name,
            "threadkit",
            Unit::MsgsPerSec,
            move |s| {
                let q = Queue::with_maxsize(B);
                let joiner = q.clone();
                let r = throughput(
                    p,
                    p,
                    msgs(s),
                    move |c| (q.clone(), vec![q; c]),
                    tk_send,
                    tk_recv_done,
                );
                joiner.join();
                r
            },
        ));
        tput!(v, name, "crossbeam", p, p, cb_bounded(B), cb_send, cb_recv);
    }
    v.push(Case::new(
        GROUP,
        "LifoQueue bounded(1024) 1P1C",
        "threadkit",
        Unit::MsgsPerSec,
        |s| {
            counted(
                msgs(s),
                LifoQueue::with_maxsize(B),
                |q: &LifoQueue<u64>, x| q.put(x).expect("put"),
                |q: &LifoQueue<u64>| q.get().expect("get"),
            )
        },
    ));
    v.push(Case::new(
        GROUP,
        "PriorityQueue bounded(1024) 1P1C",
        "threadkit",
        Unit::MsgsPerSec,
        |s| {
            counted(
                msgs(s),
                PriorityQueue::with_maxsize(B),
                |q: &PriorityQueue<u64>, x| q.put(x).expect("put"),
                |q: &PriorityQueue<u64>| q.get().expect("get"),
            )
        },
    ));
    const PP: &str = "ping-pong round trip";
    let rounds = |s: Scale| s.n(100_000);
    v.push(Case::new(GROUP, PP, "threadkit", Unit::NsPerOp, move |s| {
        ping_pong(
            rounds(s),
            || {
                let q = Queue::with_maxsize(1);
                (q.clone(), q)
            },
            tk_send,
            tk_recv,
        )
    }));
    v.push(Case::new(GROUP, PP, "crossbeam", Unit::NsPerOp, move |s| {
        ping_pong(
            rounds(s),
            || crossbeam_channel::bounded(1),
            cb_send,
            cb_recv,
        )
    }));
    v.push(Case::new(GROUP, PP, "flume", Unit::NsPerOp, move |s| {
        ping_pong(rounds(s), || flume::bounded(1), fl_send, fl_recv)
    }));
    v.push(Case::new(GROUP, PP, "std", Unit::NsPerOp, move |s| {
        ping_pong(rounds(s), || mpsc::sync_channel(1), std_sync_send, std_recv)
    }));
    v
}
