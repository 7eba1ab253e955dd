//! One builder for the lock area: a name and a fairness mode.

use std::panic::Location;

use super::condition::Condition;
use super::fairness::Fairness;
use super::lock::Lock;
use super::raw_lock::RawLock;
use super::rlock::RLock;
use crate::wait::Meta;

/// Options shared by [`Lock`], [`RawLock`], [`RLock`] and [`Condition`]:
/// a name (shown in deadlock reports and thread dumps instead of the
/// creation site) and a [`Fairness`] mode.
///
/// # Examples
///
/// ```
/// use threadkit::{Fairness, Lock};
///
/// let accounts = Lock::builder()
///     .name("accounts")
///     .fairness(Fairness::Fifo)
///     .lock(vec![100, 250]);
/// assert_eq!(accounts.acquire().len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until a lock is built"]
pub struct LockBuilder {
    name: Option<String>,
    fairness: Fairness,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LockBuilder>();
};

impl LockBuilder {
    /// Default options: no name, [`Fairness::Eventual`].
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::LockBuilder::new().lock(1);
    /// assert_eq!(*lock.acquire(), 1);
    /// ```
    pub fn new() -> LockBuilder {
        LockBuilder::default()
    }

    /// Names the lock (Python code would name the variable; reports use it).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::Lock::builder().name("db").lock(());
    /// assert!(!lock.locked());
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> LockBuilder {
        self.name = Some(name.into());
        self
    }

    /// Chooses how the lock passes itself on (see [`Fairness`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use threadkit::{Fairness, RLock};
    ///
    /// let r = RLock::builder().fairness(Fairness::Fifo).rlock(());
    /// assert_eq!(r.fairness(), Fairness::Fifo);
    /// ```
    pub fn fairness(mut self, fairness: Fairness) -> LockBuilder {
        self.fairness = fairness;
        self
    }

    #[track_caller]
    fn meta(&self) -> Meta {
        Meta::new(self.name.as_deref(), Location::caller())
    }

    /// Builds a [`Lock`] holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = threadkit::LockBuilder::new().name("counter").lock(0u64);
    /// *lock.acquire() += 1;
    /// assert_eq!(lock.into_inner(), 1);
    /// ```
    #[track_caller]
    pub fn lock<T>(&self, value: T) -> Lock<T> {
        Lock::from_parts(self.meta(), self.fairness, value)
    }

    /// Builds a [`RawLock`] (Python's `threading.Lock`, released by any thread).
    ///
    /// # Examples
    ///
    /// ```
    /// let raw = threadkit::LockBuilder::new().name("gate").raw_lock();
    /// raw.acquire();
    /// assert!(raw.release().is_ok());
    /// ```
    #[track_caller]
    pub fn raw_lock(&self) -> RawLock {
        RawLock::from_parts(self.meta(), self.fairness)
    }

    /// Builds an [`RLock`] holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = threadkit::LockBuilder::new().name("tree").rlock(5);
    /// let outer = r.acquire();
    /// let inner = r.acquire();
    /// assert_eq!(*outer + *inner, 10);
    /// ```
    #[track_caller]
    pub fn rlock<T>(&self, value: T) -> RLock<T> {
        RLock::from_parts(self.meta(), self.fairness, value)
    }

    /// Builds a [`Condition`] holding `value` behind its own lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = threadkit::LockBuilder::new().name("jobs").condition(Vec::<u32>::new());
    /// assert!(c.acquire().is_empty());
    /// ```
    #[track_caller]
    pub fn condition<T>(&self, value: T) -> Condition<T> {
        Condition::from_parts(self.meta(), self.fairness, value)
    }
}
