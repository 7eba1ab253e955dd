//! `Local<T>`: Python's `threading.local()`, a per-object, per-thread value.
//!
//! # Storage
//!
//! Each thread has one map (a thread-local `HashMap`) from a `Local`'s id to
//! that thread's value. Ids come from a process-wide counter and are never
//! reused, so a value can never be seen through another `Local`. Values are
//! created lazily, on the thread that uses them, by the `Local`'s
//! initialiser, and dropped on that same thread: when the thread exits (a
//! threadkit thread drops them before its joiners are woken; any other
//! thread in its thread-local destructors), when the thread calls
//! [`Local::clear`], or, once the `Local` itself was dropped, the next time
//! that thread creates a value of any `Local` (dead entries are swept then).
//! Because a value never leaves its thread, `T` need not be `Send`.
//!
//! Each value sits in an `Rc`: [`Local::with`] clones the `Rc` out of the
//! map and releases the map before calling the user's closure, so the
//! closure may use other `Local`s, or even replace this one's value (the old
//! value then lives until the closure returns).

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

use crate::loom::sync::atomic::{AtomicBool, Ordering};

/// Ids of `Local`s, never reused. Relaxed: only uniqueness matters.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

struct Entry {
    /// Cleared when the `Local` is dropped (see `Local`'s `Drop`).
    alive: Arc<AtomicBool>,
    value: Rc<dyn Any>,
}

/// Keys are our own sequential ids, so a fixed hasher is enough; it also
/// spares every thread the `getrandom` call a `RandomState` makes.
type Map = HashMap<u64, Entry, BuildHasherDefault<DefaultHasher>>;

#[derive(Default)]
struct Slots {
    map: Map,
}

/// How many rounds of drops run at thread exit when dropping values keeps
/// creating new ones (POSIX uses 4 for its thread-specific data).
const EXIT_ROUNDS: usize = 4;

impl Drop for Slots {
    fn drop(&mut self) {
        // The map is unreachable now (its thread-local is being destroyed);
        // values whose drop touches a `Local` get a temporary one.
        drop(std::mem::take(&mut self.map));
    }
}

crate::loom::thread_local! {
    static SLOTS: RefCell<Slots> = RefCell::new(Slots::default());
}

/// Drops every `Local` value of the calling thread (a threadkit thread
/// calls this after its body, before it is reported finished).
pub(crate) fn clear_current_thread() {
    for _ in 0..EXIT_ROUNDS {
        let map = SLOTS
            .try_with(|s| std::mem::take(&mut s.borrow_mut().map))
            .unwrap_or_default();
        if map.is_empty() {
            return;
        }
        // Outside the borrow: drops may use Locals again.
        drop(map);
    }
}

/// A value per thread and per `Local` (Python's `threading.local()`).
///
/// Every thread that uses a `Local` sees its own value, created on first
/// use by the initialiser given to [`Local::new`]; no thread ever sees
/// another's. A thread's value is dropped, on that thread, when the thread
/// exits (see the module docs for the exact moments).
///
/// `Local<T>` is `Send + Sync` whatever `T` is, since values never leave
/// their thread: share it with `Arc` or a `static`.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::sync::Arc;
/// use threadkit::{Local, Thread};
///
/// let counter = Arc::new(Local::new(|| Cell::new(0)));
/// counter.with(|c| c.set(c.get() + 1));
/// let c2 = counter.clone();
/// let other = Thread::spawn(move || c2.with(|c| c.get())).unwrap();
/// assert_eq!(other.join().unwrap(), 0); // a fresh value on that thread
/// assert_eq!(counter.with(|c| c.get()), 1);
/// ```
///
/// A reference to a thread's value cannot leave [`with`](Local::with), so
/// it can never reach another thread:
///
/// ```compile_fail
/// let l = threadkit::Local::new(|| 1);
/// let escaped: &i32 = l.with(|v| v);
/// ```
pub struct Local<T: 'static> {
    id: u64,
    alive: Arc<AtomicBool>,
    init: Box<dyn Fn() -> T + Send + Sync + 'static>,
    /// `fn() -> T`: the `Local` hands out `T`s made on the calling thread and
    /// never moves one between threads, so it is `Send + Sync` for any `T`.
    _values: PhantomData<fn() -> T>,
}

impl<T: 'static> Local<T> {
    /// A `Local` whose value, on each thread, starts as `init()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = threadkit::Local::new(|| String::from("unset"));
    /// assert_eq!(name.get(), "unset");
    /// ```
    pub fn new(init: impl Fn() -> T + Send + Sync + 'static) -> Local<T> {
        Local {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            alive: Arc::new(AtomicBool::new(true)),
            init: Box::new(init),
            _values: PhantomData,
        }
    }

    /// Runs `f` with the calling thread's value, creating it first if this
    /// thread has none.
    ///
    /// For a mutable value, put it in a `Cell` or `RefCell`.
    ///
    /// # Panics
    ///
    /// Only if the initialiser or `f` panics. Called while the thread's
    /// local storage is being torn down (from another thread-local's
    /// destructor), `f` gets a fresh value that is dropped right after.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    ///
    /// let log = threadkit::Local::new(|| RefCell::new(Vec::new()));
    /// log.with(|l| l.borrow_mut().push("a"));
    /// assert_eq!(log.with(|l| l.borrow().len()), 1);
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        match self.value() {
            Some(rc) => {
                let v = rc
                    .downcast_ref::<T>()
                    .expect("a Local's id maps to a value of its own type");
                f(v)
            }
            None => f(&(self.init)()),
        }
    }

    /// The calling thread's value, created if needed; `None` if thread-local
    /// storage is gone.
    fn value(&self) -> Option<Rc<dyn Any>> {
        let found = SLOTS
            .try_with(|s| s.borrow().map.get(&self.id).map(|e| e.value.clone()))
            .ok()?;
        if let Some(v) = found {
            return Some(v);
        }
        // Created outside any borrow: `init` may use other Locals.
        let fresh: Rc<dyn Any> = Rc::new((self.init)());
        self.insert(fresh)
    }

    /// Stores `value` as this thread's, sweeping entries of dropped
    /// `Local`s; returns the value now stored (a reentrant `init` may have
    /// stored one first: that one wins).
    fn insert(&self, value: Rc<dyn Any>) -> Option<Rc<dyn Any>> {
        let (stored, dead) = SLOTS
            .try_with(|s| {
                let mut s = s.borrow_mut();
                // Relaxed: ids are never reused, so a stale `true` only
                // delays the sweep of that entry.
                let dead_ids: Vec<u64> = s
                    .map
                    .iter()
                    .filter(|(_, e)| !e.alive.load(Ordering::Relaxed))
                    .map(|(id, _)| *id)
                    .collect();
                let dead: Vec<Entry> = dead_ids.iter().filter_map(|id| s.map.remove(id)).collect();
                let stored = s
                    .map
                    .entry(self.id)
                    .or_insert_with(|| Entry {
                        alive: self.alive.clone(),
                        value,
                    })
                    .value
                    .clone();
                (stored, dead)
            })
            .ok()?;
        // Dead values drop outside the borrow.
        drop(dead);
        Some(stored)
    }

    /// Replaces the calling thread's value (Python's `local.x = v`); the old
    /// value, if any, is dropped (after any `with` call using it returns).
    ///
    /// # Examples
    ///
    /// ```
    /// let l = threadkit::Local::new(|| 0);
    /// l.set(5);
    /// assert_eq!(l.get(), 5);
    /// ```
    pub fn set(&self, value: T) {
        let value: Rc<dyn Any> = Rc::new(value);
        let old = SLOTS.try_with(|s| {
            s.borrow_mut().map.insert(
                self.id,
                Entry {
                    alive: self.alive.clone(),
                    value,
                },
            )
        });
        // Dropped outside the borrow.
        drop(old);
    }

    /// Drops the calling thread's value, if it has one; the next use
    /// creates a fresh one (Python's `del local.x`).
    ///
    /// # Examples
    ///
    /// ```
    /// let l = threadkit::Local::new(|| 1);
    /// l.set(9);
    /// l.clear();
    /// assert_eq!(l.get(), 1);
    /// ```
    pub fn clear(&self) {
        let old = SLOTS.try_with(|s| s.borrow_mut().map.remove(&self.id));
        drop(old);
    }

    /// Whether the calling thread has a value (it used or set this `Local`
    /// and did not clear it).
    ///
    /// # Examples
    ///
    /// ```
    /// let l = threadkit::Local::new(|| 1);
    /// assert!(!l.is_set());
    /// l.with(|_| ());
    /// assert!(l.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        SLOTS
            .try_with(|s| s.borrow().map.contains_key(&self.id))
            .unwrap_or(false)
    }
}

impl<T: Clone + 'static> Local<T> {
    /// A clone of the calling thread's value.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = threadkit::Local::new(|| vec![1]);
    /// assert_eq!(l.get(), [1]);
    /// ```
    pub fn get(&self) -> T {
        self.with(T::clone)
    }
}

impl<T: Default + 'static> Default for Local<T> {
    /// A `Local` starting at `T::default()` on every thread.
    fn default() -> Self {
        Local::new(T::default)
    }
}

impl<T: 'static> Drop for Local<T> {
    fn drop(&mut self) {
        // Relaxed: see `insert`.
        self.alive.store(false, Ordering::Relaxed);
        // This thread's value goes now; other threads' at their next sweep
        // or exit.
        self.clear();
    }
}

impl<T: 'static> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("id", &self.id)
            .field("set_on_this_thread", &self.is_set())
            .finish()
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn check<X: Send + Sync>() {}
    check::<Local<i32>>();
    check::<Local<Rc<i32>>>();
}
