//! Object identity for people: a lock's name, or else where it was created.
//!
//! A primitive stores a [`Meta`], a `u32` index into a process-wide table of
//! `(name, creation site)` pairs, so `Lock<()>` stays one word. Interning
//! happens at construction (a hash lookup under a mutex, tens of
//! nanoseconds), never on acquire or release. The table only grows with
//! distinct call sites and distinct names, both bounded by the program.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Index of an object's name and creation site (see the module docs).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
pub(crate) struct Meta(u32);

/// What a [`Meta`] says about an object.
#[derive(Clone, Debug)]
pub(crate) struct Described {
    /// The name given at creation, if any.
    pub(crate) name: Option<Arc<str>>,
    /// Where the object was created, if known.
    pub(crate) site: Option<&'static Location<'static>>,
}

impl Described {
    /// `name` if there is one, else `kind@file:line`, else `kind#addr`.
    pub(crate) fn label(&self, kind: &str, addr: usize) -> String {
        match (&self.name, self.site) {
            (Some(n), _) => n.to_string(),
            (None, Some(s)) => format!("{kind}@{}:{}", s.file(), s.line()),
            (None, None) => format!("{kind}#{addr:x}"),
        }
    }
}

type Key = (Option<Arc<str>>, usize);

#[derive(Default)]
struct Table {
    entries: Vec<Described>,
    index: HashMap<Key, u32>,
}

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(|| {
        Mutex::new(Table {
            // Index 0 is "nothing known".
            entries: vec![Described {
                name: None,
                site: None,
            }],
            index: HashMap::new(),
        })
    })
}

impl Meta {
    /// No name, no site.
    pub(crate) const ANONYMOUS: Meta = Meta(0);

    /// Interns `(name, site)`.
    pub(crate) fn new(name: Option<&str>, site: &'static Location<'static>) -> Meta {
        let key: Key = (
            name.map(Arc::from),
            site as *const Location<'static> as usize,
        );
        let mut t = table().lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&i) = t.index.get(&key) {
            return Meta(i);
        }
        let i = u32::try_from(t.entries.len()).unwrap_or(0);
        if i == 0 {
            // 4 billion distinct names: fall back to anonymous rather than fail.
            return Meta::ANONYMOUS;
        }
        t.entries.push(Described {
            name: key.0.clone(),
            site: Some(site),
        });
        t.index.insert(key, i);
        Meta(i)
    }

    /// Interns the caller's location, unnamed.
    #[track_caller]
    pub(crate) fn here() -> Meta {
        Meta::new(None, Location::caller())
    }

    /// What this index stands for.
    pub(crate) fn describe(self) -> Described {
        let t = table().lock().unwrap_or_else(PoisonError::into_inner);
        t.entries
            .get(self.0 as usize)
            .cloned()
            .unwrap_or(Described {
                name: None,
                site: None,
            })
    }

    /// Rebuilds a `Meta` from its [`index`](Meta::index) (primitives that
    /// pack the index with flags in one `u32`). An index that was never
    /// handed out describes as anonymous.
    pub(crate) const fn from_index(index: u32) -> Meta {
        Meta(index)
    }

    /// The raw index (stable identity of a name/site, used by the lock-order
    /// graph).
    pub(crate) fn index(self) -> u32 {
        self.0
    }
}
