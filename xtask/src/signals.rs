//! The process's one handler of Ctrl-C, SIGTERM and SIGHUP (the `ctrlc` crate allows one a
//! process), installed the first time something needs it, never before: until then a signal ends
//! the process as the system's default does.
//!
//! - **A prompt** (`prompt.rs`) lets Ctrl-C through as a key: the terminal library reads it in raw
//!   mode and raises SIGINT on itself, then returns an interrupted read, which the prompt turns
//!   into `cancelled: …` (exit 130) on the way out, the lock released like on any error. While a
//!   prompt runs (and after one that was interrupted, while the process goes out), the handler
//!   does nothing.
//! - **`pre-pr`** registers its own action: restore the autostash, then exit 130
//!   (`pre_pr/interrupt.rs`).
//! - **Otherwise** the process exits 130 at once, the cursor shown again (a prompt may have hidden
//!   it), as the default action would have ended it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// The exit code after a signal, as a shell reports Ctrl-C (128 + 2).
pub const EXIT_INTERRUPTED: i32 = 130;

static IN_PROMPT: AtomicBool = AtomicBool::new(false);
static ACTION: Mutex<Option<fn()>> = Mutex::new(None);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// A write past the file size limit (`ulimit -f`) fails with `EFBIG` instead of ending the
/// process with SIGXFSZ (whose default action kills it without a word, exit 153): the write's
/// error is then reported like any other, exit 1, and the atomic writer leaves nothing
/// half-written. Rust's runtime does the same for SIGPIPE. Called first thing in `main`.
pub fn report_oversized_writes() {
    #[cfg(unix)]
    // SAFETY: `SIG_IGN` installs no handler code, only a disposition; this runs once, first in
    // `main`, before any thread exists, and `signal` with valid constants cannot fail unsafely.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Installs the handler, once; the error says why the platform refused.
fn install() -> Result<(), String> {
    INSTALLED.get_or_init(|| ctrlc::set_handler(handle).map_err(|error| error.to_string())).clone()
}

/// From now on a signal runs `action` (on the handler's thread) instead of exiting.
pub fn on_interrupt(action: fn()) -> Result<(), String> {
    *ACTION.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(action);
    install()
}

/// A prompt starts: Ctrl-C is its key until [`prompt_answered`].
pub fn prompt_begins() {
    // Without the handler (the platform refused), Ctrl-C ends the process as before.
    if install().is_ok() {
        IN_PROMPT.store(true, Ordering::SeqCst);
    }
}

/// The prompt was answered (not interrupted): signals act again.
pub fn prompt_answered() {
    IN_PROMPT.store(false, Ordering::SeqCst);
}

fn handle() {
    if IN_PROMPT.load(Ordering::SeqCst) {
        return;
    }
    let action = *ACTION.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match action {
        Some(action) => action(),
        None => {
            crate::prompt::show_cursor();
            std::process::exit(EXIT_INTERRUPTED);
        }
    }
}
