//! The opt-in `SIGQUIT` handler: prints a thread dump to stderr, as the JVM
//! does on `kill -QUIT` (Ctrl-\ in a terminal), and keeps the process running.

use std::io;
use std::sync::{Mutex, PoisonError};

static INSTALLED: Mutex<bool> = Mutex::new(false);

/// Installs a `SIGQUIT` handler that prints [`dump`](super::dump) to stderr
/// each time the signal arrives (the process goes on instead of dumping
/// core). The handler only wakes a dedicated thread, `threadkit-sigquit`,
/// which builds and prints the dump outside signal context. Installing twice
/// is a no-op.
///
/// # Errors
///
/// The OS error if the handler or the thread cannot be set up; on
/// platforms without `SIGQUIT` (Windows), an `Unsupported` error.
///
/// # Examples
///
/// ```
/// threadkit::diagnostics::install_sigquit_handler().expect("install");
/// // From a shell: kill -QUIT <pid>, or Ctrl-\ in the terminal.
/// ```
pub fn install_sigquit_handler() -> io::Result<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if *installed {
        return Ok(());
    }
    install()?;
    *installed = true;
    Ok(())
}

#[cfg(unix)]
fn install() -> io::Result<()> {
    use signal_hook::consts::SIGQUIT;
    use signal_hook::iterator::Signals;

    let mut signals = Signals::new([SIGQUIT])?;
    std::thread::Builder::new()
        .name("threadkit-sigquit".into())
        .spawn(move || {
            for _ in signals.forever() {
                eprintln!("{}", super::dump());
            }
        })?;
    Ok(())
}

#[cfg(not(unix))]
fn install() -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "SIGQUIT does not exist on this platform",
    ))
}
