//! Progress for long runs: an updating line on a terminal, plain lines when
//! stderr is piped (so logs stay readable).

use std::io::{IsTerminal, Write};

/// Progress over `total` steps, written to stderr.
pub(crate) struct Progress {
    total: usize,
    done: usize,
    tty: bool,
    quiet: bool,
}

impl Progress {
    /// `quiet`: print nothing (e.g. `--json` on a terminal keeps stderr clean too).
    pub(crate) fn new(total: usize, quiet: bool) -> Progress {
        Progress {
            total,
            done: 0,
            tty: std::io::stderr().is_terminal(),
            quiet,
        }
    }

    /// Announces the next step.
    pub(crate) fn step(&mut self, what: &str) {
        self.done += 1;
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K[{}/{}] {what}", self.done, self.total);
        } else {
            let _ = writeln!(err, "[{}/{}] {what}", self.done, self.total);
        }
        let _ = err.flush();
    }

    /// Clears the terminal line before regular output.
    pub(crate) fn clear(&self) {
        if self.tty && !self.quiet {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}
