//! Bounded, load-only spinning before a thread parks.

/// Exponential back-off for the short window before parking.
///
/// Each call to [`Spin::spin`] busy-waits twice as long as the one before,
/// up to `limit` calls (about 2^limit `spin_loop` hints in all), then says
/// "park now". It never yields to the OS scheduler: on an oversubscribed
/// machine a yield only helps the thread we are waiting for if it happens to
/// be on our core, and parking is the honest answer.
#[derive(Debug)]
pub(crate) struct Spin {
    step: u32,
    limit: u32,
}

/// Default number of doubling steps: about 1,000 `spin_loop` hints in all,
/// roughly the cost of one futex wake on this class of machine.
pub(crate) const DEFAULT_STEPS: u32 = 10;

impl Spin {
    /// A spinner with the default budget.
    pub(crate) const fn new() -> Self {
        Spin::with_steps(DEFAULT_STEPS)
    }

    /// A spinner allowed `limit` doubling steps.
    pub(crate) const fn with_steps(limit: u32) -> Self {
        Spin { step: 0, limit }
    }

    /// Spins once; `false` once the budget is used up (the caller parks).
    #[inline]
    pub(crate) fn spin(&mut self) -> bool {
        if cfg!(loom) || self.step >= self.limit {
            return false;
        }
        self.step += 1;
        for _ in 0..(1u32 << self.step.min(10)) {
            std::hint::spin_loop();
        }
        true
    }

    /// Starts over (after a wake-up that did not let us in).
    #[inline]
    pub(crate) fn reset(&mut self) {
        self.step = 0;
    }
}

impl Default for Spin {
    fn default() -> Self {
        Spin::new()
    }
}
