//! The thread registry: one entry per thread that threadkit knows.
//!
//! An entry ([`ThreadInfo`]) exists for the main thread (created on first
//! demand, named `MainThread`), for every thread started by
//! [`Thread`](crate::Thread) (created at `start()`, before the OS thread
//! runs, as Python lists a thread in `enumerate()` from `start()` on), and
//! for every foreign thread (a plain `std::thread`) from the moment it first
//! calls into threadkit (named `Dummy-N`, as CPython names them).
//!
//! Two lifetimes are tracked apart:
//! - *listed*: the entry shows in `enumerate()`. A threadkit thread is
//!   unlisted when its body returns, before anyone blocked in `join()` is
//!   woken, so a joined thread is never seen in `enumerate()`.
//! - *bound*: the thread owns its small id ([`Tid`]). The id is given back
//!   only when the thread's thread-local state is torn down, because code in
//!   later thread-local destructors may still take locks.
//!
//! The registry sits in layer 1 beside the wait layer: the wait records live
//! in the entries, and diagnostics read them from here.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::wait::WaitSlot;
use crate::wait::tid::{self, LATE_TID_BASE, MAX_TID, Tid};

/// Where a registered thread came from.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    /// The process's main thread.
    Main,
    /// Started by threadkit's `Thread`.
    Threadkit,
    /// Started elsewhere (a plain `std::thread`), seen when it called in.
    Foreign,
}

/// What threadkit knows about one thread.
#[derive(Debug)]
pub(crate) struct ThreadInfo {
    /// Small id stored in lock words.
    pub(crate) tid: Tid,
    /// Python's `ident`: unique for the process's life, never reused.
    pub(crate) ident: u64,
    /// How the thread came to be known.
    pub(crate) origin: Origin,
    name: Mutex<Arc<str>>,
    /// The OS thread id (`gettid` on Linux); 0 until the thread runs.
    native_id: AtomicU64,
    daemon: AtomicBool,
    listed: AtomicBool,
    /// What the thread is blocked on right now, if anything.
    pub(crate) wait: WaitSlot,
    /// The layer-3 handle of a thread threadkit started (its join state),
    /// so `enumerate()` can hand out joinable handles. Weak: the handle
    /// owns this entry, not the other way round. Empty for the main and
    /// foreign threads.
    pub(crate) handle: Option<Weak<dyn Any + Send + Sync>>,
}

impl ThreadInfo {
    /// The thread's current name.
    pub(crate) fn name(&self) -> Arc<str> {
        lock(&self.name).clone()
    }

    /// Renames the thread (Python allows `t.name = ...` at any time).
    pub(crate) fn set_name(&self, name: Arc<str>) {
        *lock(&self.name) = name;
    }

    /// The OS id, once the thread runs.
    pub(crate) fn native_id(&self) -> Option<u64> {
        match self.native_id.load(Ordering::Acquire) {
            0 => None,
            n => Some(n),
        }
    }

    /// The daemon flag.
    pub(crate) fn daemon(&self) -> bool {
        self.daemon.load(Ordering::Relaxed)
    }

    /// Sets the daemon flag (the thread module checks that it is not started).
    pub(crate) fn set_daemon(&self, daemon: bool) {
        self.daemon.store(daemon, Ordering::Relaxed);
    }

    /// Whether the entry shows in `enumerate()`.
    pub(crate) fn is_listed(&self) -> bool {
        self.listed.load(Ordering::Acquire)
    }
}

struct Table {
    /// Every bound thread, by small id (listed or not).
    by_tid: BTreeMap<u32, Arc<ThreadInfo>>,
    /// Listed threads in the order they were listed.
    listed: Vec<Arc<ThreadInfo>>,
    free_tids: Vec<u32>,
    next_tid: u32,
    next_ident: u64,
    next_late: u32,
    main: Option<Arc<ThreadInfo>>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    by_tid: BTreeMap::new(),
    listed: Vec::new(),
    free_tids: Vec::new(),
    next_tid: 1,
    next_ident: 1,
    next_late: LATE_TID_BASE,
    main: None,
});

/// Python's shared counter behind `Thread-N` and `Dummy-N` names.
static THREAD_NUMBER: AtomicU32 = AtomicU32::new(1);

/// The registry mutex is never held across user code, so poisoning can only
/// come from an allocation failure; the table is still consistent then.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn table() -> MutexGuard<'static, Table> {
    lock(&TABLE)
}

/// The next `N` for a default `Thread-N` / `Dummy-N` name.
pub(crate) fn next_thread_number() -> u32 {
    THREAD_NUMBER.fetch_add(1, Ordering::Relaxed)
}

impl Table {
    fn alloc_tid(&mut self) -> Tid {
        let raw = match self.free_tids.pop() {
            Some(raw) => raw,
            None => {
                assert!(
                    self.next_tid < LATE_TID_BASE,
                    "threadkit: more than 2^29 threads alive at once"
                );
                let raw = self.next_tid;
                self.next_tid += 1;
                raw
            }
        };
        Tid::from_raw(raw).expect("tids start at 1")
    }

    fn new_info(&mut self, origin: Origin, name: Arc<str>, daemon: bool) -> Arc<ThreadInfo> {
        self.new_info_with(origin, name, daemon, None)
    }

    fn new_info_with(
        &mut self,
        origin: Origin,
        name: Arc<str>,
        daemon: bool,
        handle: Option<Weak<dyn Any + Send + Sync>>,
    ) -> Arc<ThreadInfo> {
        let tid = self.alloc_tid();
        let ident = self.next_ident;
        self.next_ident += 1;
        let info = Arc::new(ThreadInfo {
            tid,
            ident,
            origin,
            name: Mutex::new(name),
            native_id: AtomicU64::new(0),
            daemon: AtomicBool::new(daemon),
            listed: AtomicBool::new(true),
            wait: WaitSlot::new(),
            handle,
        });
        self.by_tid.insert(tid.get(), info.clone());
        self.listed.push(info.clone());
        info
    }

    fn main_info(&mut self) -> Arc<ThreadInfo> {
        if let Some(main) = &self.main {
            return main.clone();
        }
        let main = self.new_info(Origin::Main, Arc::from("MainThread"), false);
        main.native_id
            .store(process_id_as_main_native_id(), Ordering::Release);
        self.main = Some(main.clone());
        main
    }
}

/// Creates and lists the entry of a thread threadkit is about to start.
/// The OS thread binds it with [`bind_current`] as its first action; if the
/// spawn fails, [`discard`] removes it again.
pub(crate) fn register_new(name: Arc<str>, daemon: bool) -> Arc<ThreadInfo> {
    table().new_info(Origin::Threadkit, name, daemon)
}

/// [`register_new`] with the thread's layer-3 handle attached, set before
/// the entry becomes visible so `enumerate()` never sees it without one.
pub(crate) fn register_new_with(
    name: Arc<str>,
    daemon: bool,
    handle: Weak<dyn Any + Send + Sync>,
) -> Arc<ThreadInfo> {
    table().new_info_with(Origin::Threadkit, name, daemon, Some(handle))
}

/// Removes an entry whose OS thread never started.
pub(crate) fn discard(info: &Arc<ThreadInfo>) {
    let mut t = table();
    unlist_locked(&mut t, info);
    if t.by_tid.remove(&info.tid.get()).is_some() {
        t.free_tids.push(info.tid.get());
    }
}

fn unlist_locked(t: &mut Table, info: &Arc<ThreadInfo>) {
    if info.listed.swap(false, Ordering::AcqRel) {
        t.listed.retain(|i| !Arc::ptr_eq(i, info));
    }
}

/// Takes the entry out of `enumerate()` (a threadkit thread whose body
/// returned). Its id stays bound until the thread's TLS is torn down.
pub(crate) fn unlist(info: &Arc<ThreadInfo>) {
    unlist_locked(&mut table(), info);
}

/// Every listed thread, in the order they were listed (the main thread first
/// once anyone has asked for it).
pub(crate) fn listed() -> Vec<Arc<ThreadInfo>> {
    let mut t = table();
    t.main_info();
    let mut v = t.listed.clone();
    // The main thread leads, as in CPython's enumerate().
    if let Some(pos) = v.iter().position(|i| i.origin == Origin::Main) {
        let main = v.remove(pos);
        v.insert(0, main);
    }
    v
}

/// The entry of a bound thread by small id.
pub(crate) fn by_tid(tid: Tid) -> Option<Arc<ThreadInfo>> {
    table().by_tid.get(&tid.get()).cloned()
}

/// The main thread's entry, created on first demand.
pub(crate) fn main_info() -> Arc<ThreadInfo> {
    table().main_info()
}

/// Binding of the current OS thread to its entry; dropping it (at thread
/// exit) unlists the entry and gives the small id back.
struct Binding(Arc<ThreadInfo>);

impl Drop for Binding {
    fn drop(&mut self) {
        tid::mark_exited();
        let mut t = table();
        unlist_locked(&mut t, &self.0);
        if t.by_tid.remove(&self.0.tid.get()).is_some() {
            t.free_tids.push(self.0.tid.get());
        }
        if matches!(&t.main, Some(m) if Arc::ptr_eq(m, &self.0)) {
            t.main = None;
        }
    }
}

crate::loom::thread_local! {
    static CURRENT: std::cell::RefCell<Option<Binding>> = std::cell::RefCell::new(None);
}

/// Binds the calling thread (just started by threadkit) to its entry.
pub(crate) fn bind_current(info: Arc<ThreadInfo>) {
    info.native_id.store(os_thread_id(), Ordering::Release);
    tid::set_current(info.tid);
    CURRENT.with(|c| *c.borrow_mut() = Some(Binding(info)));
}

/// The calling thread's entry, registering it (as the main thread or as a
/// foreign `Dummy-N` thread) on first use.
pub(crate) fn current_info() -> Arc<ThreadInfo> {
    match CURRENT.try_with(|c| c.borrow().as_ref().map(|b| b.0.clone())) {
        Ok(Some(info)) => info,
        Ok(None) => {
            let info = {
                let mut t = table();
                if is_main_os_thread() {
                    t.main_info()
                } else {
                    let name: Arc<str> = match std::thread::current().name() {
                        Some(n) => Arc::from(n),
                        None => Arc::from(format!("Dummy-{}", next_thread_number())),
                    };
                    // Foreign threads count as daemons: nothing can join them.
                    t.new_info(Origin::Foreign, name, true)
                }
            };
            bind_current(info.clone());
            info
        }
        // TLS already torn down: an unlisted, never-reused stand-in.
        Err(_) => late_info(),
    }
}

/// A fresh never-reused id for a thread in its exit path.
pub(crate) fn late_tid() -> Tid {
    let mut t = table();
    let raw = t.next_late;
    assert!(raw < MAX_TID, "threadkit: thread ids exhausted");
    t.next_late += 1;
    Tid::from_raw(raw).expect("late ids are non-zero")
}

fn late_info() -> Arc<ThreadInfo> {
    let tid = late_tid();
    let ident = {
        let mut t = table();
        t.next_ident += 1;
        t.next_ident
    };
    Arc::new(ThreadInfo {
        tid,
        ident,
        origin: Origin::Foreign,
        name: Mutex::new(Arc::from("<exiting thread>")),
        native_id: AtomicU64::new(os_thread_id()),
        daemon: AtomicBool::new(true),
        listed: AtomicBool::new(false),
        wait: WaitSlot::new(),
        handle: None,
    })
}

/// The calling thread's entry if it already has one (never registers).
pub(crate) fn current_if_bound() -> Option<Arc<ThreadInfo>> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|b| b.0.clone()))
        .ok()
        .flatten()
}

/// The OS id of the calling thread.
pub(crate) fn os_thread_id() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions and cannot fail.
        let id = unsafe { libc::gettid() };
        id as u64
    }
    #[cfg(not(target_os = "linux"))]
    {
        // No portable OS thread id: fall back to the process-unique registry
        // ident space's neighbour, the address of a thread-local.
        thread_local!(static ANCHOR: u8 = const { 0 });
        ANCHOR.with(|a| a as *const u8 as u64)
    }
}

fn process_id_as_main_native_id() -> u64 {
    u64::from(std::process::id())
}

/// Whether the calling OS thread is the process's main thread.
fn is_main_os_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        os_thread_id() == u64::from(std::process::id())
    }
    #[cfg(not(target_os = "linux"))]
    {
        std::thread::current().name() == Some("main")
    }
}
