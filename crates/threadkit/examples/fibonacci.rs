//! The course's `FibonacciThread(threading.Thread)`: a type implementing
//! `Run` whose value comes back from `join` (Python can only print it).
//!
//! Run with `cargo run -p threadkit --example fibonacci`.

use threadkit::{Run, Thread};

struct FibonacciThread {
    num: usize,
}

impl Run for FibonacciThread {
    type Output = u64;

    fn run(self) -> u64 {
        let mut fib = vec![0u64; self.num + 1];
        if self.num > 0 {
            fib[1] = 1;
        }
        for i in 2..=self.num {
            fib[i] = fib[i - 1] + fib[i - 2];
        }
        println!("{}", fib[self.num]);
        fib[self.num]
    }
}

fn main() -> Result<(), threadkit::ThreadError> {
    let my_fib_task1 = Thread::new(FibonacciThread { num: 9 });
    let my_fib_task2 = Thread::new(FibonacciThread { num: 12 });
    my_fib_task1.start()?;
    my_fib_task2.start()?;
    let a = my_fib_task1.join()?;
    let b = my_fib_task2.join()?;
    assert_eq!((a, b), (34, 144));
    println!("joined: fib(9) = {a}, fib(12) = {b}");
    Ok(())
}
