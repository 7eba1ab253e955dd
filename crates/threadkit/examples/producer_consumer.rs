//! The course's queue programs, the threadkit way.
//!
//! 1. The notebook's producer/consumer: the producer puts 0..5, the main
//!    thread puts a `None` sentinel once the producer is done, and the
//!    consumer stops at it (Python's `if item is None: break`).
//! 2. The slides' `put`/`get`/`task_done`/`join`: a daemon consumer loops
//!    forever, and `join()` returns once every item put has been processed.
//!
//! Run with `cargo run -p threadkit --example producer_consumer`.

use threadkit::{Builder, Queue, Thread, ThreadError};

/// Python: `def producer(q): for i in range(5): q.put(i)`.
fn producer(q: Queue<Option<u32>>) {
    for i in 0..5 {
        q.put(Some(i)).expect("the queue is never shut down here");
        println!("Produced {i}");
    }
}

/// Python: `def consumer(q): while True: item = q.get(); if item is None: break ...`.
fn consumer(q: Queue<Option<u32>>) {
    while let Some(item) = q.get().expect("the queue is never shut down here") {
        println!("Consumed {item}");
        q.task_done().expect("one task_done per item got");
    }
}

fn main() -> Result<(), ThreadError> {
    let _exit_rule = threadkit::main_guard();

    // 1. Sentinel.
    let q = Queue::new();
    let producer_thread = Thread::new({
        let q = q.clone();
        move || producer(q)
    });
    let consumer_thread = Thread::new({
        let q = q.clone();
        move || consumer(q)
    });
    producer_thread.start()?;
    consumer_thread.start()?;
    producer_thread.join()?;
    q.put(None).expect("not shut down"); // signal the consumer to exit
    consumer_thread.join()?;

    // 2. task_done / join with a consumer that never returns (a daemon).
    let queue: Queue<u32> = Queue::new();
    let t1 = Thread::new({
        let queue = queue.clone();
        move || {
            for i in 0..10 {
                queue.put(i * i).expect("not shut down"); // make an item available
            }
        }
    });
    let t2 = Builder::new().daemon(true).build({
        let queue = queue.clone();
        move || loop {
            let item = queue.get().expect("not shut down");
            println!("processed {item}"); // do something with the item
            queue.task_done().expect("one task_done per item got");
        }
    });
    t1.start()?;
    t2.start()?;
    t1.join()?;
    queue.join(); // every item put has been marked done
    println!("all {} items processed", 10);
    Ok(())
}
