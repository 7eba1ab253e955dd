//! The course's synchronization toolbox: RLock re-entry, Semaphore(3),
//! BoundedSemaphore over-release, Event, Condition, Barrier.
//!
//! Run with `cargo run -p threadkit --example sync_primitives`.

use std::sync::Arc;
use std::time::Duration;

use threadkit::{Barrier, BoundedSemaphore, Condition, Event, RLock, Semaphore, Thread};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // RLock: the owner may acquire again.
    let rlock = RLock::new(());
    {
        let _outer = rlock.acquire();
        let _inner = rlock.acquire(); // a Lock would deadlock here
        println!("RLock recursion count: {}", rlock.recursion_count());
    }

    // Semaphore(3): at most three threads inside at once.
    let db = Arc::new(Semaphore::new(3));
    let clients = (0..6)
        .map(|i| {
            let db = Arc::clone(&db);
            Thread::spawn(move || {
                let _connection = db.acquire();
                println!("client {i} connected");
                std::thread::sleep(Duration::from_millis(50));
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for c in clients {
        c.join()?;
    }

    // BoundedSemaphore: releasing more than was acquired is an error.
    let bounded = BoundedSemaphore::new(3);
    if let Err(e) = bounded.release(1) {
        println!("BoundedSemaphore: {e}");
    }

    // Event: one thread waits until another sets it.
    let event = Arc::new(Event::new());
    let waiter = {
        let event = Arc::clone(&event);
        Thread::spawn(move || {
            println!("Waiting for event...");
            event.wait();
            println!("Event received!");
        })?
    };
    std::thread::sleep(Duration::from_millis(100));
    event.set();
    waiter.join()?;

    // Condition: the consumer waits for an item; notify happens under the lock.
    let shelf = Arc::new(Condition::new(Vec::<&str>::new()));
    let consumer = {
        let shelf = Arc::clone(&shelf);
        Thread::spawn(move || {
            let mut items = shelf.acquire();
            items.wait_for(|v| !v.is_empty());
            println!("Consumed {:?}!", items.pop());
        })?
    };
    {
        let mut items = shelf.acquire();
        items.push("bread");
        items.notify_all();
    }
    consumer.join()?;

    // Barrier: three threads meet, then all go on.
    let barrier = Arc::new(Barrier::new(3)?);
    let parties = (0..3)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            Thread::spawn(move || barrier.wait())
        })
        .collect::<Result<Vec<_>, _>>()?;
    for p in parties {
        println!("passed the barrier as arrival {}", p.join()??);
    }
    Ok(())
}
