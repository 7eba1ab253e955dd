//! Named functions a child process may run, and the registry of them.
//!
//! A child cannot receive a closure: it is a fresh run of the same
//! executable. What crosses the boundary is a *name* and serialized
//! argument bytes; the child looks the name up in the same registry (built
//! by the same code in its own `main`) and runs the function.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::ProcessError;

/// A function a child process can run: a name and a plain `fn(A) -> R`.
///
/// Build it with [`process_fn!`](crate::process_fn), which names it after
/// its path, and add it to the [`Registry`] given to
/// [`init`](crate::process::init). Several arguments travel as a tuple.
///
/// # Examples
///
/// ```
/// use threadkit::process::Function;
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
/// const SQUARE: Function<u64, u64> = threadkit::process_fn!(square);
/// assert!(SQUARE.name().ends_with("square"));
/// assert_eq!(SQUARE.call(7), 49);
/// ```
///
/// A closure that captures state cannot be one (a child process could not
/// receive the captured values), so this does not compile:
///
/// ```compile_fail
/// use threadkit::process::Function;
///
/// let base = 10u64;
/// let add_base: Function<u64, u64> = Function::new("add_base", move |x| x + base);
/// ```
pub struct Function<A, R> {
    name: &'static str,
    run: fn(A) -> R,
    _types: PhantomData<fn(A) -> R>,
}

impl<A, R> Function<A, R> {
    /// A function registered as `name`. Prefer
    /// [`process_fn!`](crate::process_fn), which picks a unique name.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::Function;
    /// const NEG: Function<i32, i32> = Function::new("neg", |x| -x);
    /// assert_eq!(NEG.name(), "neg");
    /// ```
    pub const fn new(name: &'static str, run: fn(A) -> R) -> Self {
        Function {
            name,
            run,
            _types: PhantomData,
        }
    }

    /// The name the function is registered and sent under.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::Function;
    /// assert_eq!(Function::<(), ()>::new("noop", |()| ()).name(), "noop");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the function here, in this process.
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::Function;
    /// assert_eq!(Function::new("inc", |x: u8| x + 1).call(1), 2);
    /// ```
    pub fn call(&self, arg: A) -> R {
        (self.run)(arg)
    }
}

impl<A, R> Clone for Function<A, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, R> Copy for Function<A, R> {}

impl<A, R> fmt::Debug for Function<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .finish()
    }
}

/// Names a function for child processes after its path in the crate:
/// `process_fn!(square)` in module `app::math` is registered as
/// `app::math::square`.
///
/// # Examples
///
/// ```
/// use threadkit::process::Function;
///
/// fn add((a, b): (i64, i64)) -> i64 {
///     a + b
/// }
/// const ADD: Function<(i64, i64), i64> = threadkit::process_fn!(add);
/// assert_eq!(ADD.call((2, 3)), 5);
/// ```
#[macro_export]
macro_rules! process_fn {
    ($f:path) => {
        $crate::process::Function::new(
            ::core::concat!(::core::module_path!(), "::", ::core::stringify!($f)),
            $f,
        )
    };
}

/// Runs one request in a child: argument bytes in, result bytes out.
pub(crate) type Erased = Box<dyn Fn(&[u8]) -> Result<Vec<u8>, String> + Send + Sync>;

pub(crate) struct Entry {
    pub(crate) types: TypeId,
    /// One argument in, one result out.
    pub(crate) run: Erased,
    /// A chunk: `Vec<A>` in, `Vec<Result<R, String>>` out (a panic in one
    /// item becomes that item's message; the others still run).
    pub(crate) run_chunk: Erased,
}

/// The functions children may run; built once and given to
/// [`init`](crate::process::init).
///
/// # Examples
///
/// ```
/// use threadkit::process::{Function, Registry};
///
/// fn double(x: u32) -> u32 {
///     x * 2
/// }
/// const DOUBLE: Function<u32, u32> = threadkit::process_fn!(double);
/// let registry = Registry::new().register(DOUBLE);
/// assert_eq!(registry.len(), 1);
/// ```
#[derive(Default)]
pub struct Registry {
    pub(crate) entries: HashMap<&'static str, Entry>,
    pub(crate) duplicate: Option<&'static str>,
}

impl Registry {
    /// An empty registry.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(threadkit::process::Registry::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds `f`. Registering two functions under one name makes
    /// [`init`](crate::process::init) fail with
    /// [`ProcessError::DuplicateName`].
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::process::{Function, Registry};
    /// const ID: Function<String, String> = Function::new("id", |s| s);
    /// assert_eq!(Registry::new().register(ID).len(), 1);
    /// ```
    pub fn register<A, R>(mut self, f: Function<A, R>) -> Self
    where
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
    {
        let run = f.run;
        let erased: Erased = Box::new(move |bytes: &[u8]| {
            let arg: A = super::codec::decode(bytes).map_err(|e| e.to_string())?;
            let out = run(arg);
            super::codec::encode(&out).map_err(|e| e.to_string())
        });
        let run_chunk: Erased = Box::new(move |bytes: &[u8]| {
            let args: Vec<A> = super::codec::decode(bytes).map_err(|e| e.to_string())?;
            let out: Vec<Result<R, String>> = args
                .into_iter()
                .map(|a| {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(a)))
                        .map_err(|p| super::worker::panic_message(&*p))
                })
                .collect();
            super::codec::encode(&out).map_err(|e| e.to_string())
        });
        let entry = Entry {
            types: TypeId::of::<fn(A) -> R>(),
            run: erased,
            run_chunk,
        };
        if self.entries.insert(f.name, entry).is_some() && self.duplicate.is_none() {
            self.duplicate = Some(f.name);
        }
        self
    }

    /// The number of registered functions.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(threadkit::process::Registry::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no function is registered.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(threadkit::process::Registry::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.entries.keys().collect();
        names.sort();
        f.debug_struct("Registry")
            .field("functions", &names)
            .finish()
    }
}

static INSTALLED: OnceLock<Registry> = OnceLock::new();

/// Installs the process-wide registry; only once (children were or will be
/// started with the first one, so a second is refused, not ignored).
pub(crate) fn install(registry: Registry) -> Result<&'static Registry, ProcessError> {
    if let Some(name) = registry.duplicate {
        return Err(ProcessError::DuplicateName(name.to_string()));
    }
    let mut fresh = false;
    let installed = INSTALLED.get_or_init(|| {
        fresh = true;
        registry
    });
    if fresh {
        Ok(installed)
    } else {
        Err(ProcessError::InvalidArgument(
            "process::init was already called: call it once, first thing in main".into(),
        ))
    }
}

/// The installed registry, or [`ProcessError::NotInitialized`].
pub(crate) fn installed() -> Result<&'static Registry, ProcessError> {
    INSTALLED.get().ok_or(ProcessError::NotInitialized)
}

/// Checks, before anything is sent, that the parent may ask a child for
/// `f`: `init` ran and `f` is registered with these exact types.
pub(crate) fn check<A: 'static, R: 'static>(f: &Function<A, R>) -> Result<(), ProcessError> {
    let reg = installed()?;
    match reg.entries.get(f.name) {
        Some(e) if e.types == TypeId::of::<fn(A) -> R>() => Ok(()),
        _ => Err(ProcessError::NotRegistered(f.name.to_string())),
    }
}
