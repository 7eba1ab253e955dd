//! The course's deadlock: two threads take two locks in opposite order.
//! threadkit's detector proves the cycle after its detection delay and
//! fails one thread's wait with a report; the other finishes, and so does
//! the program. (In Python this program hangs forever.)
//!
//! Run with `cargo run -p threadkit --example deadlock`.

use std::sync::{Arc, Barrier};

use threadkit::{Builder, Lock, Thread};

fn main() -> Result<(), threadkit::ThreadError> {
    let lock_a = Arc::new(Lock::named("lock_a", ()));
    let lock_b = Arc::new(Lock::named("lock_b", ()));
    // Make the unlucky timing certain: both hold their first lock first.
    let lined_up = Arc::new(Barrier::new(2));

    let start = |name: &'static str, first: Arc<Lock>, second: Arc<Lock>, b: Arc<Barrier>| {
        Builder::new().name(name).spawn(move || {
            let _first = first.acquire();
            println!("{name} acquired its first lock");
            b.wait();
            match second.acquire_checked() {
                Ok(_second) => println!("{name} acquired its second lock"),
                Err(deadlock) => println!("{name} gave up:\n{deadlock}"),
            }
        })
    };
    let t1: Thread<()> = start("thread1", lock_a.clone(), lock_b.clone(), lined_up.clone())?;
    let t2: Thread<()> = start("thread2", lock_b, lock_a, lined_up)?;
    t1.join()?;
    t2.join()?;
    println!("the program finished");
    Ok(())
}
