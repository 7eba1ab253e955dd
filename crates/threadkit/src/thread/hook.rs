//! What happens to a panic that ends a thread: Python's `threading.excepthook`.

use std::any::Any;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, PoisonError, RwLock};

use super::handle::ThreadRef;

/// What a thread's panic hook is told (Python's `ExceptHookArgs`).
///
/// # Examples
///
/// ```
/// use threadkit::ExceptHookArgs;
///
/// fn log(args: &ExceptHookArgs<'_>) {
///     eprintln!("{} died: {}", args.thread().name(), args.message());
/// }
/// # let _ = log;
/// ```
#[derive(Debug)]
pub struct ExceptHookArgs<'a> {
    thread: &'a ThreadRef,
    message: &'a str,
}

impl<'a> ExceptHookArgs<'a> {
    /// The thread whose body panicked.
    pub fn thread(&self) -> &'a ThreadRef {
        self.thread
    }

    /// The panic message (`"<non-string panic payload>"` when the payload
    /// was neither a `&str` nor a `String`).
    pub fn message(&self) -> &'a str {
        self.message
    }
}

type Hook = Arc<dyn Fn(&ExceptHookArgs<'_>) + Send + Sync + 'static>;

static HOOK: RwLock<Option<Hook>> = RwLock::new(None);

/// Installs `hook` as the handler of panics that end threadkit threads
/// (Python's `threading.excepthook = hook`), replacing the previous one.
///
/// The hook runs on the dying thread, after the body unwound and before the
/// thread is unlisted and its joiners are woken; `join` still returns
/// [`ThreadError::Panicked`](crate::ThreadError::Panicked). If the hook
/// itself panics, the [default output](default_excepthook) is printed.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use threadkit::Thread;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = seen.clone();
/// threadkit::set_excepthook(move |args| {
///     if args.thread().name() == "doc-hook" {
///         s.lock().unwrap().push(args.message().to_string());
///     } else {
///         threadkit::default_excepthook(args);
///     }
/// });
/// let t = Thread::builder().name("doc-hook").build(|| panic!("boom"));
/// t.start().unwrap();
/// assert!(t.join().is_err());
/// threadkit::reset_excepthook();
/// assert_eq!(*seen.lock().unwrap(), ["boom"]);
/// ```
pub fn set_excepthook<F>(hook: F)
where
    F: Fn(&ExceptHookArgs<'_>) + Send + Sync + 'static,
{
    *HOOK.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
}

/// Puts the default hook back (Python's `threading.excepthook =
/// threading.__excepthook__`).
///
/// # Examples
///
/// ```
/// threadkit::set_excepthook(|_| {});
/// threadkit::reset_excepthook();
/// ```
pub fn reset_excepthook() {
    *HOOK.write().unwrap_or_else(PoisonError::into_inner) = None;
}

/// The default hook: prints `Exception in thread NAME:` and the panic
/// message to stderr, as CPython does (without a traceback: Rust's panic
/// hook has already printed the location, and a backtrace when
/// `RUST_BACKTRACE` asks for one).
///
/// # Examples
///
/// ```
/// // Forward to the default output from a custom hook:
/// threadkit::set_excepthook(|args| threadkit::default_excepthook(args));
/// threadkit::reset_excepthook();
/// ```
pub fn default_excepthook(args: &ExceptHookArgs<'_>) {
    let mut err = std::io::stderr().lock();
    // Nothing sensible to do if stderr is closed, as in CPython.
    let _ = writeln!(
        err,
        "Exception in thread {}:\n{}",
        args.thread.name(),
        args.message
    );
}

/// The message of a panic payload.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// Reports a thread's panic through the installed hook (never panics).
pub(crate) fn report(thread: &ThreadRef, message: &str) {
    let args = ExceptHookArgs { thread, message };
    let hook = HOOK.read().unwrap_or_else(PoisonError::into_inner).clone();
    match hook {
        None => default_excepthook(&args),
        Some(h) => {
            if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| h(&args))) {
                default_excepthook(&args);
                // Dropping a payload can itself panic; keep that off the
                // thread's exit path.
                let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(p)));
            }
        }
    }
}
