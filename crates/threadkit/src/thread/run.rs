//! The `Run` trait: what a thread executes.

/// The body of a [`Thread`](crate::Thread): Python's `run()` method.
///
/// Python starts a thread either from a function (`Thread(target=f)`) or
/// from a subclass that overrides `run()`. threadkit takes both through this
/// one trait: every `FnOnce() -> T + Send + 'static` closure implements it,
/// and a type of your own implements it to play the subclass.
///
/// `run` takes `self` by value, so the thread owns its state and hands its
/// result back through [`Thread::join`](crate::Thread::join).
///
/// # Examples
///
/// ```
/// use threadkit::{Run, Thread};
///
/// struct Fibonacci(u64);
///
/// impl Run for Fibonacci {
///     type Output = u64;
///     fn run(self) -> u64 {
///         let (mut a, mut b) = (0u64, 1u64);
///         for _ in 0..self.0 {
///             (a, b) = (b, a + b);
///         }
///         a
///     }
/// }
///
/// let t = Thread::new(Fibonacci(12));
/// t.start().unwrap();
/// assert_eq!(t.join().unwrap(), 144);
/// ```
///
/// The body and its value cross threads, so both must be `Send`; a body
/// returning an `Rc` does not compile:
///
/// ```compile_fail
/// let t = threadkit::Thread::new(|| std::rc::Rc::new(1));
/// ```
pub trait Run: Send + 'static {
    /// What the thread hands back to [`Thread::join`](crate::Thread::join).
    type Output: Send + 'static;

    /// The thread's body, run once on the new thread.
    fn run(self) -> Self::Output;
}

impl<F, T> Run for F
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = T;

    #[inline]
    fn run(self) -> T {
        self()
    }
}
