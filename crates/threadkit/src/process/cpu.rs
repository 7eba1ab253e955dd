//! `cpu_count()`: the cores this process may run on.

/// The number of CPUs this process may use: its affinity mask on Linux
/// (`sched_getaffinity`, so `taskset -c 0 prog` gives 1), else
/// [`std::thread::available_parallelism`]; at least 1. It is the default
/// size of a [`ProcessPool`](super::ProcessPool).
///
/// Python's `os.cpu_count()` counts the machine's CPUs; this is
/// `len(os.sched_getaffinity(0))`, which is what a pool should use.
///
/// # Examples
///
/// ```
/// let n = threadkit::process::cpu_count();
/// assert!(n >= 1);
/// ```
pub fn cpu_count() -> usize {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a zeroed cpu_set_t is a valid (empty) set, and the size
        // passed is its real size.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer and size for the current process (pid 0).
        let r =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        if r == 0 {
            // SAFETY: `set` was filled by the kernel.
            let n = unsafe { libc::CPU_COUNT(&set) };
            if n > 0 {
                return n as usize;
            }
        }
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
