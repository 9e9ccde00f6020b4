//! The process's one handler of Ctrl-C, SIGTERM and SIGHUP (the `ctrlc` crate allows one a
//! process), installed the first time something needs it, never before: until then a signal ends
//! the process as the system's default does.
//!
//! - **A prompt** (`prompt.rs`) lets Ctrl-C through as a key: the terminal library reads it in raw
//!   mode and raises SIGINT on itself, then returns an interrupted read, which the prompt turns
//!   into `cancelled: …` (exit 130) on the way out, the lock released like on any error. A Ctrl-C
//!   pressed while the terminal is not in raw mode (the prompt's text is out, its first key not
//!   yet awaited, or between two keys) is the kernel's SIGINT, which the prompt never reads: on
//!   Linux the handler then interrupts the prompt's wait for a key (SIGINT sent to the prompt's
//!   thread, every 50 ms until the prompt has seen it, for at most 5 s), so that one Ctrl-C
//!   cancels as the key does. Otherwise, while a prompt runs (and after one that was interrupted,
//!   while the process goes out), the handler does nothing.
//! - **`pre-pr`** registers its own action: restore the autostash, then exit 130
//!   (`pre_pr/interrupt.rs`).
//! - **Otherwise** the process exits 130 at once, the cursor shown again (a prompt may have hidden
//!   it), as the default action would have ended it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// The exit code after a signal, as a shell reports Ctrl-C (128 + 2).
pub const EXIT_INTERRUPTED: i32 = 130;

static IN_PROMPT: AtomicBool = AtomicBool::new(false);
/// The prompt's read was interrupted: it returns `cancelled`, and the process goes out.
static PROMPT_INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The handler is making the prompt see a Ctrl-C it did not read (see [`cancel_the_prompt`]).
static NUDGING: AtomicBool = AtomicBool::new(false);
/// The SIGINTs the handler sent the prompt's thread and has not yet seen come back.
static NUDGES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// The thread a prompt runs on, which the handler interrupts.
#[cfg(target_os = "linux")]
static PROMPT_THREAD: Mutex<Option<libc::pthread_t>> = Mutex::new(None);
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
        #[cfg(target_os = "linux")]
        {
            // SAFETY: `pthread_self` only returns the calling thread's id; it cannot fail.
            let this = unsafe { libc::pthread_self() };
            *PROMPT_THREAD.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(this);
        }
        // Signals of one kind do not queue: a nudge can be lost, and must not swallow a later key.
        NUDGES.store(0, Ordering::SeqCst);
        IN_PROMPT.store(true, Ordering::SeqCst);
    }
}

/// The prompt's read was interrupted (by the key, or by the handler): it cancels the run.
pub fn prompt_interrupted() {
    PROMPT_INTERRUPTED.store(true, Ordering::SeqCst);
}

/// The prompt was answered (not interrupted): signals act again.
pub fn prompt_answered() {
    IN_PROMPT.store(false, Ordering::SeqCst);
}

fn handle() {
    // One of the handler's own SIGINTs to the prompt's thread, back through the handler.
    if NUDGES.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        return;
    }
    if IN_PROMPT.load(Ordering::SeqCst) {
        crate::test_hooks::point("signal:prompt");
        cancel_the_prompt();
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

/// A Ctrl-C while a prompt runs. When the prompt read it as a key, its read returns interrupted
/// at once and nothing is left to do. When it came as the kernel's SIGINT (the terminal was not
/// in raw mode), the prompt would wait for a key forever: its thread is sent SIGINT until its
/// wait is interrupted (a `poll` is never restarted after a signal), at most for 5 s. On other
/// systems, or with a second Ctrl-C while this runs, nothing happens.
fn cancel_the_prompt() {
    if PROMPT_INTERRUPTED.load(Ordering::SeqCst) || NUDGING.swap(true, Ordering::SeqCst) {
        return;
    }
    #[cfg(target_os = "linux")]
    if let Some(thread) = *PROMPT_THREAD.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            // The key's own SIGINT is followed by the interrupted read within microseconds.
            std::thread::sleep(std::time::Duration::from_millis(50));
            let seen = PROMPT_INTERRUPTED.load(Ordering::SeqCst) || !IN_PROMPT.load(Ordering::SeqCst);
            if seen || std::time::Instant::now() > deadline {
                break;
            }
            NUDGES.fetch_add(1, Ordering::SeqCst);
            // SAFETY: `thread` is the id of the thread that runs the prompt (the one running
            // `main`: no prompt runs elsewhere), alive while the prompt runs, which was just seen.
            unsafe {
                libc::pthread_kill(thread, libc::SIGINT);
            }
        }
    }
    NUDGING.store(false, Ordering::SeqCst);
}
