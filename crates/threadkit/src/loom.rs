//! The one switch between real primitives and loom's model-checked ones.
//!
//! Every atomic, cell and thread-local that takes part in a cross-thread
//! protocol is imported from here, so `RUSTFLAGS="--cfg loom"` swaps the whole
//! crate onto loom without touching the algorithms.

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{
            AtomicBool, AtomicI64, AtomicIsize, AtomicPtr, AtomicU8, AtomicU32, AtomicU64,
            AtomicUsize, Ordering, fence,
        };
    }
    pub(crate) use std::sync::Arc;
}

#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) mod atomic {
        pub(crate) use loom::sync::atomic::{
            AtomicBool, AtomicI64, AtomicIsize, AtomicPtr, AtomicU8, AtomicU32, AtomicU64,
            AtomicUsize, Ordering, fence,
        };
    }
    pub(crate) use loom::sync::Arc;
}

/// An `UnsafeCell` with loom's closure-based access API, so code reads the
/// same under both configurations.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
#[allow(dead_code)]
impl<T> UnsafeCell<T> {
    #[inline]
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    #[inline]
    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

#[cfg(not(loom))]
#[allow(dead_code)]
impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a shared pointer to the value.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a unique pointer to the value.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }

    /// A mutable reference through exclusive access (no synchronisation needed).
    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `thread_local!` that is per loom thread under loom.
#[cfg(not(loom))]
macro_rules! tk_thread_local {
    ($($tt:tt)*) => { std::thread_local!($($tt)*); };
}
#[cfg(loom)]
macro_rules! tk_thread_local {
    ($($tt:tt)*) => { loom::thread_local!($($tt)*); };
}
pub(crate) use tk_thread_local as thread_local;
