//! The public methods shared by `Queue`, `LifoQueue` and `PriorityQueue`,
//! written once and stamped onto each type (with examples naming the type).

/// Implements the shared API on `$ty` (a tuple struct around
/// `Arc<Engine<T, $buf>>`); `$bound` is the item bound of the kind.
macro_rules! tracked_queue_api {
    ($ty:ident, [$($bound:tt)*]) => {
        impl<T: $($bound)*> $ty<T> {
            /// Puts `item` in the queue, waiting for room if it is full
            /// (Python's `put(item)`).
            ///
            /// # Errors
            ///
            /// [`PutError::ShutDown`] (with the item) if the queue is shut
            /// down, before or while waiting.
            ///
            /// # Panics
            ///
            /// Never in practice: a queue wait names no owner, so the deadlock
            /// detector cannot prove it part of a deadlock (it would panic
            /// with the report, like every unchecked blocking call).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// q.put(1).unwrap();
            /// assert_eq!(q.qsize(), 1);
            /// ```
            #[inline]
            #[track_caller]
            pub fn put(&self, item: T) -> Result<(), PutError<T>> {
                self.0.put(item, Wait::Until(None), Location::caller())
            }

            /// Puts `item`, waiting at most `timeout` for room (Python's
            /// `put(item, timeout=t)`). A zero timeout is [`try_put`](Self::try_put).
            ///
            /// # Errors
            ///
            /// [`PutError::Timeout`] if the queue stayed full for the whole
            /// timeout (never earlier); [`PutError::ShutDown`] if it is shut
            /// down. Either way the item is handed back.
            ///
            /// # Panics
            ///
            /// Never in practice: a queue wait names no owner, so the deadlock
            /// detector cannot prove it part of a deadlock (it would panic
            /// with the report, like every unchecked blocking call).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use threadkit::{", stringify!($ty), ", PutError};")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::with_maxsize(1);")]
            /// q.put(1).unwrap();
            /// let err = q.put_timeout(2, Duration::from_millis(10)).unwrap_err();
            /// assert!(matches!(err, PutError::Timeout(2)));
            /// ```
            #[inline]
            #[track_caller]
            pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
                let wait = if timeout.is_zero() {
                    Wait::Try
                } else {
                    Wait::Until(wait::deadline_after(timeout))
                };
                self.0.put(item, wait, Location::caller())
            }

            /// Puts `item` only if there is room now (Python's `put_nowait`).
            ///
            /// # Errors
            ///
            /// [`PutError::Full`] or [`PutError::ShutDown`], with the item.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::{", stringify!($ty), ", PutError};")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::with_maxsize(1);")]
            /// assert!(q.try_put(1).is_ok());
            /// assert!(matches!(q.try_put(2), Err(PutError::Full(2))));
            /// ```
            #[inline]
            #[track_caller]
            pub fn try_put(&self, item: T) -> Result<(), PutError<T>> {
                self.0.put(item, Wait::Try, Location::caller())
            }

            /// Takes the next item, waiting for one if the queue is empty
            /// (Python's `get()`). The item leaves the queue: the queue keeps
            /// no copy of it.
            ///
            /// # Errors
            ///
            /// [`GetError::ShutDown`] once the queue is shut down and holds
            /// nothing more (after `shutdown(false)`, the items left are
            /// still handed out first).
            ///
            /// # Panics
            ///
            /// Never in practice: a queue wait names no owner, so the deadlock
            /// detector cannot prove it part of a deadlock (it would panic
            /// with the report, like every unchecked blocking call).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// let q2 = q.clone();
            /// let t = std::thread::spawn(move || q2.put(7).unwrap());
            /// assert_eq!(q.get(), Ok(7));
            /// t.join().unwrap();
            /// ```
            #[inline]
            #[track_caller]
            pub fn get(&self) -> Result<T, GetError> {
                self.0.get(Wait::Until(None), Location::caller())
            }

            /// Takes the next item, waiting at most `timeout` (Python's
            /// `get(timeout=t)`). A zero timeout is [`try_get`](Self::try_get).
            ///
            /// # Errors
            ///
            /// [`GetError::Timeout`] if the queue stayed empty for the whole
            /// timeout (never earlier); [`GetError::ShutDown`] as for
            /// [`get`](Self::get).
            ///
            /// # Panics
            ///
            /// Never in practice: a queue wait names no owner, so the deadlock
            /// detector cannot prove it part of a deadlock (it would panic
            /// with the report, like every unchecked blocking call).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use threadkit::{", stringify!($ty), ", GetError};")]
            ///
            #[doc = concat!("let q: ", stringify!($ty), "<u8> = ", stringify!($ty), "::new();")]
            /// assert_eq!(q.get_timeout(Duration::from_millis(10)), Err(GetError::Timeout));
            /// ```
            #[inline]
            #[track_caller]
            pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
                let wait = if timeout.is_zero() {
                    Wait::Try
                } else {
                    Wait::Until(wait::deadline_after(timeout))
                };
                self.0.get(wait, Location::caller())
            }

            /// Takes the next item only if one is there now (Python's
            /// `get_nowait`).
            ///
            /// # Errors
            ///
            /// [`GetError::Empty`], or [`GetError::ShutDown`] if the queue is
            /// shut down and empty.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::{", stringify!($ty), ", GetError};")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// assert_eq!(q.try_get(), Err(GetError::Empty));
            /// q.put(3).unwrap();
            /// assert_eq!(q.try_get(), Ok(3));
            /// ```
            #[inline]
            pub fn try_get(&self) -> Result<T, GetError> {
                self.0.get(Wait::Try, Location::caller())
            }

            /// Marks one item taken with `get` as processed (Python's
            /// `task_done()`); once every item put is done, `join` returns.
            ///
            /// # Errors
            ///
            /// [`TaskDoneError`] if called more times than items were put;
            /// the count stays at zero.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// q.put(1).unwrap();
            /// q.get().unwrap();
            /// q.task_done().unwrap();
            /// assert!(q.task_done().is_err());
            /// ```
            #[inline]
            pub fn task_done(&self) -> Result<(), TaskDoneError> {
                self.0.task_done()
            }

            /// Waits until every item put has been marked done with
            /// [`task_done`](Self::task_done) (Python's `join()`). Several
            /// threads may join, any number of times.
            ///
            /// After `shutdown(true)` the dropped items count as done.
            ///
            /// # Panics
            ///
            /// Never in practice: a queue wait names no owner, so the deadlock
            /// detector cannot prove it part of a deadlock (it would panic
            /// with the report, like every unchecked blocking call).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// let worker = {
            ///     let q = q.clone();
            ///     std::thread::spawn(move || {
            ///         while let Ok(Some(_job)) = q.get() {
            ///             q.task_done().unwrap();
            ///         }
            ///         q.task_done().unwrap(); // for the None sentinel
            ///     })
            /// };
            /// for i in 0..10 {
            ///     q.put(Some(i)).unwrap();
            /// }
            /// q.join();
            /// assert_eq!(q.unfinished_tasks(), 0);
            /// q.put(None).unwrap();
            /// worker.join().unwrap();
            /// ```
            #[inline]
            #[track_caller]
            pub fn join(&self) {
                // Without a deadline, the join can only end with Ok.
                let _ = self.0.join(Wait::Until(None), Location::caller());
            }

            /// Like [`join`](Self::join), waiting at most `timeout`. A zero
            /// timeout is [`try_join`](Self::try_join).
            ///
            /// # Errors
            ///
            /// [`JoinError`] (with the unfinished count) if tasks were still
            /// unfinished when the timeout passed (never earlier).
            ///
            /// # Panics
            ///
            /// Never in practice: a queue wait names no owner, so the deadlock
            /// detector cannot prove it part of a deadlock (it would panic
            /// with the report, like every unchecked blocking call).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// q.put(1).unwrap();
            /// let err = q.join_timeout(Duration::from_millis(10)).unwrap_err();
            /// assert_eq!(err.unfinished, 1);
            /// ```
            #[inline]
            #[track_caller]
            pub fn join_timeout(&self, timeout: Duration) -> Result<(), JoinError> {
                let wait = if timeout.is_zero() {
                    Wait::Try
                } else {
                    Wait::Until(wait::deadline_after(timeout))
                };
                self.0.join(wait, Location::caller())
            }

            /// Whether every item put has been marked done, without waiting.
            ///
            /// # Errors
            ///
            /// [`JoinError`] with the unfinished count.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q: ", stringify!($ty), "<i32> = ", stringify!($ty), "::new();")]
            /// assert!(q.try_join().is_ok());
            /// ```
            #[inline]
            pub fn try_join(&self) -> Result<(), JoinError> {
                self.0.join(Wait::Try, Location::caller())
            }

            /// Items put and not yet marked done (Python's
            /// `unfinished_tasks` attribute).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// q.put(1).unwrap();
            /// q.get().unwrap();
            /// assert_eq!(q.unfinished_tasks(), 1);
            /// ```
            #[inline]
            pub fn unfinished_tasks(&self) -> usize {
                self.0.unfinished()
            }

            /// Shuts the queue down (Python 3.13's `shutdown(immediate)`).
            ///
            /// Afterwards every `put` fails with [`PutError::ShutDown`], and
            /// threads blocked in `put` or `get` wake with the shut-down
            /// error. Without `immediate`, `get` still hands out the items
            /// left and fails once the queue is empty. With `immediate`, the
            /// items left are dropped (on this thread), each counts as done,
            /// and `join` returns once nothing unfinished is left.
            /// Calling it again is harmless.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::{", stringify!($ty), ", GetError};")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// q.put(1).unwrap();
            /// q.shutdown(false);
            /// assert!(q.put(2).is_err());
            /// assert_eq!(q.get(), Ok(1));
            /// assert_eq!(q.get(), Err(GetError::ShutDown));
            /// assert!(q.is_shutdown());
            /// ```
            pub fn shutdown(&self, immediate: bool) {
                self.0.shutdown(immediate);
            }

            /// Whether [`shutdown`](Self::shutdown) was called.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q: ", stringify!($ty), "<i32> = ", stringify!($ty), "::new();")]
            /// assert!(!q.is_shutdown());
            /// q.shutdown(true);
            /// assert!(q.is_shutdown());
            /// ```
            #[inline]
            pub fn is_shutdown(&self) -> bool {
                self.0.is_shutdown()
            }

            /// The number of items in the queue now (Python's `qsize()`); a
            /// snapshot that other threads may change at once.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::new();")]
            /// q.put(1).unwrap();
            /// q.put(2).unwrap();
            /// assert_eq!(q.qsize(), 2);
            /// ```
            #[inline]
            pub fn qsize(&self) -> usize {
                self.0.buffer().len()
            }

            /// Whether the queue holds no item now (Python's `empty()`).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q: ", stringify!($ty), "<i32> = ", stringify!($ty), "::new();")]
            /// assert!(q.empty());
            /// ```
            #[inline]
            pub fn empty(&self) -> bool {
                self.qsize() == 0
            }

            /// Whether the queue is bounded and at its `maxsize` now
            /// (Python's `full()`; always `false` when unbounded).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threadkit::", stringify!($ty), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($ty), "::with_maxsize(1);")]
            /// assert!(!q.full());
            /// q.put(1).unwrap();
            /// assert!(q.full());
            /// ```
            #[inline]
            pub fn full(&self) -> bool {
                let max = self.maxsize();
                max > 0 && self.qsize() >= max
            }
        }

        impl<T: $($bound)*> Clone for $ty<T> {
            /// Another handle to the same queue.
            fn clone(&self) -> Self {
                $ty(Arc::clone(&self.0), self.1)
            }
        }

        impl<T: $($bound)*> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("maxsize", &self.1)
                    .field("qsize", &self.0.buffer().len())
                    .field("unfinished_tasks", &self.0.unfinished())
                    .field("shutdown", &self.0.is_shutdown())
                    .finish()
            }
        }
    };
}

pub(crate) use tracked_queue_api;
