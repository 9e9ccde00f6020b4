//! Refusals and exit codes: the one place that decides how an error reaches the engineer.
//!
//! Every command returns `anyhow::Result`. A [`Refusal`] inside the error chain carries the exit
//! code (2 for bad usage or input, 1 for a failed check or step) and a `hint:` line with the exact
//! command that fixes the problem. Anything else is a failed step (exit 1). This module prints; it
//! never decides *whether* something is an error.

use std::fmt;

/// Exit code for a failed check or step.
pub const EXIT_FAILED: i32 = 1;
/// Exit code for bad usage or bad input.
pub const EXIT_USAGE: i32 = 2;

/// An error the engineer can act on: what is wrong, how to fix it, and which exit code it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub hint: Option<String>,
    pub code: i32,
}

impl Refusal {
    /// Bad usage or input (exit 2).
    pub fn usage(message: impl Into<String>) -> Refusal {
        Refusal { message: message.into(), hint: None, code: EXIT_USAGE }
    }

    /// A check or step that failed (exit 1).
    pub fn failed(message: impl Into<String>) -> Refusal {
        Refusal { message: message.into(), hint: None, code: EXIT_FAILED }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Refusal {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// `bail!` for refusals: `refuse!(usage, hint = "cargo xtask …", "message {}", x)`.
#[macro_export]
macro_rules! refuse {
    ($kind:ident, hint = $hint:expr, $($arg:tt)+) => {
        return Err(anyhow::Error::new($crate::error::Refusal::$kind(format!($($arg)+)).hint($hint)))
    };
    ($kind:ident, $($arg:tt)+) => {
        return Err(anyhow::Error::new($crate::error::Refusal::$kind(format!($($arg)+))))
    };
}

/// The hint of an error a full disk caused that says nothing more specific.
pub const DISK_FULL: &str =
    "the disk that holds the repository is full: free some space (this shows it), then run the command again:\ndf -h .";

/// The hint of a damaged index (`.git/index`, what is staged), whichever command met it.
pub const DAMAGED_INDEX: &str = "the index (`.git/index`, what is staged) is damaged: rebuild it from HEAD; the working tree's files are kept, what was staged must be staged again:\nrm -f \"$(git rev-parse --git-path index)\" && git reset -q";

/// The hint an error ends with: a damaged index wherever it struck (git and libgit2 name it
/// their own ways, and the step's own hint, such as a fetch's "check the network", would
/// mislead), else the refusal's own, else a full disk's.
pub fn hint_of(error: &anyhow::Error) -> Option<String> {
    let damaged_index = error.chain().any(|cause| {
        let text = cause.to_string();
        [
            "invalid data in index",
            "index file smaller than expected",
            "index file corrupt",
            "bad index file sha1 signature",
            "bad signature 0x",
            "unknown index entry format",
            "/index' no longer exists",
        ]
        .iter()
        .any(|sign| text.contains(sign))
    });
    if damaged_index {
        return Some(DAMAGED_INDEX.to_string());
    }
    // A file of the tree the readers refuse to read (a link to `/dev/zero`, a huge file).
    let unreadable = error.chain().find_map(|cause| {
        let io = cause.downcast_ref::<std::io::Error>()?;
        io.get_ref()?.downcast_ref::<crate::git::sparse::Unreadable>()
    });
    if let Some(unreadable) = unreadable {
        return Some(unreadable.hint());
    }
    let hint = error.chain().find_map(|cause| cause.downcast_ref::<Refusal>()).and_then(|r| r.hint.clone());
    // A full disk wherever it struck (a lock, a receipt, a state file) and whatever said so:
    // the way out is the same, and an error without one would leave the engineer guessing.
    hint.or_else(|| crate::plan::confine::chain_is_disk_full(error).then(|| DISK_FULL.to_string()))
}

/// The exit code an error means: a [`Refusal`]'s own, otherwise a failed step.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    error.chain().find_map(|cause| cause.downcast_ref::<Refusal>()).map_or(EXIT_FAILED, |r| r.code)
}

/// Prints `error: …`, the cause chain, and the hint, cargo-style, to stderr, each through the
/// redaction layer: an error may quote git, a URL or a commit subject.
pub fn report(error: &anyhow::Error) {
    use crate::redact::text as redact;
    let paint = crate::output::Paint::stderr();
    errln!("{} {}", paint.red_bold("error:"), redact(&error.to_string()));
    for cause in error.chain().skip(1) {
        errln!("  {} {}", paint.bold("caused by:"), redact(&cause.to_string()));
    }
    if let Some(hint) = hint_of(error) {
        crate::output::hint(&hint);
    }
}
