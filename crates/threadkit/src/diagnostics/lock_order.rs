//! Lock-order checking: a graph of "held A while acquiring B" over lock
//! *classes* (a lock's name, or else its creation site), as Linux's lockdep
//! does. A new edge that closes a cycle means two code paths take the same
//! locks in opposite orders: if they ever run at the same time they can
//! deadlock, even though this run was lucky. Each cycle is reported once,
//! through the lock-order hook (default: print to stderr).
//!
//! Cost (only when on): the held-lock list (a thread-local lookup and an
//! uncontended mutex per acquire and release) plus, when the thread already
//! holds locks, a probe of a thread-local set of the edges this thread has
//! already recorded; only an edge new to the thread takes the global graph
//! mutex (and a new edge to the whole program runs a depth-first search).
//!
//! Two locks of the same class taken nested (two accounts created by the same
//! line) are not ordered by the graph: give them different names to check.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::report::{self, ObjectLabel};
use crate::registry::ThreadInfo;
use crate::wait::{Held, Meta, WaitKind};

/// One "held A, then acquired B" path seen at run time.
///
/// # Examples
///
/// ```
/// fn paths(v: &threadkit::diagnostics::LockOrderViolation) {
///     for e in &v.edges {
///         println!("{} took {} at {} then {} at {}", e.thread, e.held, e.held_at, e.acquired, e.acquired_at);
///     }
/// }
/// # let _ = paths;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEdge {
    /// The thread that took the path (the first time it was seen).
    pub thread: String,
    /// The lock held.
    pub held: ObjectLabel,
    /// Where it was acquired.
    pub held_at: String,
    /// The lock acquired while holding it.
    pub acquired: ObjectLabel,
    /// Where that was acquired.
    pub acquired_at: String,
}

/// A cycle in the lock-order graph: each edge's `acquired` lock is the next
/// edge's `held` lock, and the last edge leads back to the first.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use threadkit::diagnostics::{set_lock_order_hook, LockOrderViolation};
///
/// let seen: Arc<Mutex<Vec<LockOrderViolation>>> = Arc::default();
/// let sink = seen.clone();
/// set_lock_order_hook(move |v| sink.lock().unwrap().push(v.clone()));
/// # threadkit::diagnostics::reset_lock_order_hook();
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockOrderViolation {
    /// The acquisition paths of the cycle (the new one first).
    pub edges: Vec<OrderEdge>,
}

impl LockOrderViolation {
    /// The violation as JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// fn log(v: &threadkit::diagnostics::LockOrderViolation) -> String {
    ///     v.to_json()
    /// }
    /// # let _ = log;
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl fmt::Display for LockOrderViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "potential deadlock: {} locks are taken in inconsistent order",
            self.edges.len()
        )?;
        for e in &self.edges {
            writeln!(
                f,
                "  \"{}\" acquired {} at {}, then {} at {}",
                e.thread, e.held, e.held_at, e.acquired, e.acquired_at
            )?;
        }
        write!(
            f,
            "threads taking these paths at the same time can deadlock: \
             acquire these locks in one global order."
        )
    }
}

type Key = (u32, u32);

struct Edge {
    thread: Arc<str>,
    held: (WaitKind, Meta, &'static Location<'static>),
    acquired: (WaitKind, Meta, &'static Location<'static>),
}

struct Graph {
    out: BTreeMap<u32, BTreeSet<u32>>,
    edges: BTreeMap<Key, Edge>,
    reported: BTreeSet<Vec<u32>>,
}

static GRAPH: Mutex<Graph> = Mutex::new(Graph {
    out: BTreeMap::new(),
    edges: BTreeMap::new(),
    reported: BTreeSet::new(),
});

/// Bumped by [`clear_lock_order_graph`] so thread-local edge caches reset.
static GENERATION: AtomicU64 = AtomicU64::new(0);

type Hook = Arc<dyn Fn(&LockOrderViolation) + Send + Sync>;
static HOOK: RwLock<Option<Hook>> = RwLock::new(None);

std::thread_local! {
    static KNOWN: RefCell<(u64, HashSet<Key>)> = RefCell::new((0, HashSet::new()));
}

/// Calls `hook` for every lock-order cycle found from now on, instead of
/// printing it. A hook that panics makes the acquire that closed the cycle
/// panic (useful in tests); the lock being acquired is then left locked
/// only if the primitive calls the hook before building its guard.
///
/// # Examples
///
/// ```
/// use threadkit::diagnostics::{reset_lock_order_hook, set_lock_order_hook};
///
/// set_lock_order_hook(|v| panic!("{v}"));
/// reset_lock_order_hook();
/// ```
pub fn set_lock_order_hook(hook: impl Fn(&LockOrderViolation) + Send + Sync + 'static) {
    *HOOK.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
}

/// Restores the default lock-order hook (print the violation to stderr).
///
/// # Examples
///
/// ```
/// threadkit::diagnostics::reset_lock_order_hook();
/// ```
pub fn reset_lock_order_hook() {
    *HOOK.write().unwrap_or_else(PoisonError::into_inner) = None;
}

/// Forgets every recorded edge and every reported cycle.
///
/// # Examples
///
/// ```
/// threadkit::diagnostics::clear_lock_order_graph();
/// ```
pub fn clear_lock_order_graph() {
    let mut g = GRAPH.lock().unwrap_or_else(PoisonError::into_inner);
    g.out.clear();
    g.edges.clear();
    g.reported.clear();
    // Relaxed: a thread that misses the bump re-checks an edge it cached
    // against the graph at worst once more; the graph mutex orders the rest.
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

fn emit(v: &LockOrderViolation) {
    let hook = HOOK.read().unwrap_or_else(PoisonError::into_inner).clone();
    match hook {
        Some(h) => h(v),
        None => eprintln!("threadkit: {v}"),
    }
}

/// A path from `from` to `to` in the graph, as the list of nodes.
fn path(g: &Graph, from: u32, to: u32) -> Option<Vec<u32>> {
    let mut parent: BTreeMap<u32, u32> = BTreeMap::new();
    let mut stack = vec![from];
    let mut seen = BTreeSet::from([from]);
    while let Some(n) = stack.pop() {
        if n == to {
            let mut p = vec![n];
            let mut cur = n;
            while cur != from {
                cur = parent[&cur];
                p.push(cur);
            }
            p.reverse();
            return Some(p);
        }
        for &m in g.out.get(&n).into_iter().flatten() {
            if seen.insert(m) {
                parent.insert(m, n);
                stack.push(m);
            }
        }
    }
    None
}

fn order_edge(e: &Edge) -> OrderEdge {
    OrderEdge {
        thread: e.thread.to_string(),
        held: report::object_label(e.held.0, e.held.1),
        held_at: report::site(e.held.2),
        acquired: report::object_label(e.acquired.0, e.acquired.1),
        acquired_at: report::site(e.acquired.2),
    }
}

/// Whether some "held -> new" edge is not yet in this thread's cache of
/// recorded edges (so [`on_acquire`] has work to do). Cheap: one
/// thread-local set probe per held lock, no allocation, no global lock.
pub(crate) fn any_fresh(held: &[Held], new: &Held) -> bool {
    let new_class = new.meta.index();
    if new_class == 0 {
        return false;
    }
    let generation = GENERATION.load(Ordering::Relaxed);
    KNOWN
        .try_with(|k| {
            let k = k.borrow();
            k.0 != generation
                || held.iter().any(|h| {
                    let class = h.meta.index();
                    class != 0
                        && class != new_class
                        && h.object != new.object
                        && !k.1.contains(&(class, new_class))
                })
        })
        .unwrap_or(false)
}

/// Records "every lock in `held` was held while acquiring `new`" and
/// reports any cycle that closes. Call without the held list's lock.
pub(crate) fn on_acquire(held: &[Held], new: &Held, me: &ThreadInfo) {
    let new_class = new.meta.index();
    if new_class == 0 || held.is_empty() {
        return;
    }
    let generation = GENERATION.load(Ordering::Relaxed);
    let mut violations = Vec::new();
    for h in held {
        let class = h.meta.index();
        if class == 0 || class == new_class || h.object == new.object {
            continue;
        }
        let key = (class, new_class);
        let fresh = KNOWN
            .try_with(|k| {
                let mut k = k.borrow_mut();
                if k.0 != generation {
                    k.0 = generation;
                    k.1.clear();
                }
                k.1.insert(key)
            })
            .unwrap_or(true);
        if !fresh {
            continue;
        }
        let mut g = GRAPH.lock().unwrap_or_else(PoisonError::into_inner);
        if g.edges.contains_key(&key) {
            continue;
        }
        g.edges.insert(
            key,
            Edge {
                thread: me.name(),
                held: (h.kind, h.meta, h.site),
                acquired: (new.kind, new.meta, new.site),
            },
        );
        g.out.entry(class).or_default().insert(new_class);
        // The new edge class -> new_class closes a cycle iff new_class
        // already reaches class.
        if let Some(back) = path(&g, new_class, class) {
            let mut nodes = back.clone();
            nodes.sort_unstable();
            if g.reported.insert(nodes) {
                let mut edges = vec![order_edge(&g.edges[&key])];
                for w in back.windows(2) {
                    edges.push(order_edge(&g.edges[&(w[0], w[1])]));
                }
                violations.push(LockOrderViolation { edges });
            }
        }
    }
    for v in &violations {
        emit(v);
    }
}
