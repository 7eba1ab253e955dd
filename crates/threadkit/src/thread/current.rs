//! Python's module-level functions: `current_thread()`, `main_thread()`,
//! `enumerate()`, `active_count()`, `get_ident()`, `get_native_id()`.

use std::cell::RefCell;

use super::handle::ThreadRef;
use crate::registry;

crate::loom::thread_local! {
    /// The calling thread's handle, once asked for (set first thing by a
    /// threadkit thread).
    static CURRENT: RefCell<Option<ThreadRef>> = RefCell::new(None);
}

/// Records the handle of the threadkit thread now running.
pub(crate) fn set_current(handle: ThreadRef) {
    CURRENT.with(|c| *c.borrow_mut() = Some(handle));
}

/// The calling thread (Python's `threading.current_thread()`).
///
/// A thread threadkit did not start (the main thread, a plain
/// `std::thread`) is registered on its first call into threadkit: the main
/// thread as `MainThread`, others as `Dummy-N` (or their `std` name); they
/// leave [`enumerate`] when they exit.
///
/// # Examples
///
/// ```
/// use threadkit::{current_thread, Thread};
///
/// let t = Thread::builder().name("me").spawn(|| current_thread().name()).unwrap();
/// assert_eq!(t.join().unwrap(), "me");
/// ```
pub fn current_thread() -> ThreadRef {
    let cached = CURRENT.try_with(|c| c.borrow().clone());
    match cached {
        Ok(Some(h)) => h,
        Ok(None) => {
            let h = ThreadRef::foreign(registry::current_info());
            let _ = CURRENT.try_with(|c| *c.borrow_mut() = Some(h.clone()));
            h
        }
        // Thread-local storage is being torn down.
        Err(_) => ThreadRef::foreign(registry::current_info()),
    }
}

/// The process's main thread, named `MainThread` (Python's
/// `threading.main_thread()`).
///
/// # Examples
///
/// ```
/// assert_eq!(threadkit::main_thread().name(), "MainThread");
/// ```
pub fn main_thread() -> ThreadRef {
    ThreadRef::foreign(registry::main_info())
}

/// Every thread alive and known to threadkit, the main thread first
/// (Python's `threading.enumerate()`): threadkit threads from `start()`
/// until their body returns (never after their `join` returned), and
/// foreign threads from their first call into threadkit until they exit.
///
/// # Examples
///
/// ```
/// let names: Vec<String> = threadkit::enumerate().iter().map(|t| t.name()).collect();
/// assert_eq!(names[0], "MainThread");
/// ```
pub fn enumerate() -> Vec<ThreadRef> {
    registry::listed().into_iter().map(ThreadRef::of).collect()
}

/// How many threads [`enumerate`] would list (Python's
/// `threading.active_count()`).
///
/// # Examples
///
/// ```
/// assert!(threadkit::active_count() >= 1);
/// ```
pub fn active_count() -> usize {
    registry::listed().len()
}

/// The calling thread's `ident` (Python's `threading.get_ident()`): unique
/// for the life of the process, never reused.
///
/// # Examples
///
/// ```
/// let a = threadkit::get_ident();
/// let b = std::thread::spawn(threadkit::get_ident).join().unwrap();
/// assert_ne!(a, b);
/// ```
pub fn get_ident() -> u64 {
    registry::current_info().ident
}

/// The calling thread's OS id (Python's `threading.get_native_id()`).
///
/// # Examples
///
/// ```
/// assert!(threadkit::get_native_id() > 0);
/// ```
pub fn get_native_id() -> u64 {
    registry::os_thread_id()
}
