//! Thread configuration before start: Python's `Thread(name=, daemon=)`
//! keyword arguments and `threading.stack_size()`.

use std::sync::Arc;

use super::core::Config;
use super::error::ThreadError;
use super::handle::Thread;
use super::run::Run;
use crate::registry;

/// Settings for a new [`Thread`]: name, daemon flag, stack size.
///
/// # Examples
///
/// ```
/// use threadkit::Thread;
///
/// let t = Thread::builder()
///     .name("order-1")
///     .daemon(false)
///     .stack_size(256 * 1024)
///     .spawn(|| "processed")
///     .unwrap();
/// assert_eq!(t.name(), "order-1");
/// assert_eq!(t.join().unwrap(), "processed");
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until build() or spawn()"]
pub struct Builder {
    name: Option<String>,
    daemon: bool,
    stack_size: usize,
}

impl Builder {
    /// Default settings: name `Thread-N`, not a daemon, default stack.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Builder::new().build(|| ());
    /// assert!(t.name().starts_with("Thread-"));
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The thread's name (also given to the OS thread, truncated to the
    /// platform's limit: 15 bytes on Linux; text after a NUL is kept in
    /// threadkit's name only).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Builder::new().name("net").build(|| ());
    /// assert_eq!(t.name(), "net");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Whether the thread is a daemon (default: `false`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(threadkit::Builder::new().daemon(true).build(|| ()).daemon());
    /// ```
    pub fn daemon(mut self, daemon: bool) -> Builder {
        self.daemon = daemon;
        self
    }

    /// The new thread's stack size in bytes; `0` (the default) means the
    /// platform default. Sizes below the platform minimum are rounded up; a
    /// size the OS cannot provide makes `start()` fail with
    /// [`ThreadError::Spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Builder::new().stack_size(1 << 20).spawn(|| 1).unwrap();
    /// assert_eq!(t.join().unwrap(), 1);
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = bytes;
        self
    }

    /// An unstarted thread with these settings that will run `body`.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Builder::new().build(|| 5);
    /// t.start().unwrap();
    /// assert_eq!(t.join().unwrap(), 5);
    /// ```
    pub fn build<R: Run>(self, body: R) -> Thread<R::Output> {
        // Python numbers threads when they are created, not started.
        let name: Arc<str> = match self.name {
            Some(n) => Arc::from(n),
            None => Arc::from(format!("Thread-{}", registry::next_thread_number())),
        };
        Thread::from_parts(
            Box::new(move || body.run()),
            Config {
                name,
                daemon: self.daemon,
                stack_size: self.stack_size,
            },
        )
    }

    /// [`build`](Builder::build) and start.
    ///
    /// # Errors
    ///
    /// [`ThreadError::Spawn`] if the OS refuses to create the thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = threadkit::Builder::new().name("w").spawn(|| 3).unwrap();
    /// assert_eq!(t.join().unwrap(), 3);
    /// ```
    pub fn spawn<R: Run>(self, body: R) -> Result<Thread<R::Output>, ThreadError> {
        let t = self.build(body);
        t.start()?;
        Ok(t)
    }
}
