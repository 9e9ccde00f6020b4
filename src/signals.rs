//! Asking a running host to stop: SIGINT and SIGTERM set a flag the run loop polls, so the host
//! finishes its tick, saves its state and exits 0 instead of dying mid-write.
//!
//! No dependency: on Unix the handler is installed with the C library's `signal(2)`, which the
//! standard library already links, declared here by hand. The handler only stores to an atomic
//! (async-signal-safe). Elsewhere nothing is installed: Ctrl-C ends the process, and what the
//! host persisted after its last tick is what `status` shows. This module must not do anything
//! else from a signal handler.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether SIGINT or SIGTERM arrived since [`install`].
pub fn stop_requested() -> bool {
    STOP_REQUESTED.load(Ordering::SeqCst)
}

/// Installs the handlers for SIGINT and SIGTERM. Returns whether they are installed.
pub fn install() -> bool {
    platform::install()
}

#[cfg(unix)]
mod platform {
    use std::os::raw::c_int;
    use std::sync::atomic::Ordering;

    // The same numbers on every Unix (POSIX leaves them open, but every platform Rust supports
    // uses these two).
    const SIGINT: c_int = 2;
    const SIGTERM: c_int = 15;
    // `SIG_ERR` is `(sighandler_t) -1`.
    const SIG_ERR: usize = usize::MAX;

    extern "C" {
        fn signal(signum: c_int, handler: extern "C" fn(c_int)) -> usize;
    }

    extern "C" fn on_stop_signal(_signum: c_int) {
        super::STOP_REQUESTED.store(true, Ordering::SeqCst);
    }

    pub fn install() -> bool {
        // SAFETY: `signal` is the C library's, with its C signature; the handler only performs
        // an atomic store, which is async-signal-safe.
        unsafe { signal(SIGINT, on_stop_signal) != SIG_ERR && signal(SIGTERM, on_stop_signal) != SIG_ERR }
    }
}

#[cfg(not(unix))]
mod platform {
    pub fn install() -> bool {
        false
    }
}
