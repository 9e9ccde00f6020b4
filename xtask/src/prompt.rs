//! Every question the tool asks, in one place, so every prompt behaves the same way: Ctrl-C (or
//! Esc at a yes/no or a choice) cancels cleanly — the terminal's cursor is shown again (a
//! multi-select hides it), the command says `cancelled: …` and exits 130, and since the answer
//! arrives as an error returned through the command, the run lock and everything else are
//! released on the way out, as on any other error. (dialoguer reads keys in raw mode and its
//! terminal library raises SIGINT on itself for Ctrl-C before returning an interrupted read:
//! `signals.rs` lets that signal through while a prompt runs.)
//!
//! Prompts only run when `Ctx::interactive` says so (a terminal, not CI, no `--yes`); every one
//! has a flag that answers it, so a `--yes` run is complete.

use crate::error::Refusal;

/// The exit code of a cancelled command, as a shell reports Ctrl-C.
pub const EXIT_CANCELLED: i32 = crate::signals::EXIT_INTERRUPTED;

/// The error a cancelled prompt returns: `cancelled: <what>`, exit 130.
pub fn cancelled(what: &str) -> anyhow::Error {
    Refusal { message: format!("cancelled: {what}"), hint: None, code: EXIT_CANCELLED }.into()
}

/// Shows the terminal's cursor again (a multi-select hides it): on every way out of a prompt,
/// and from the signal handler (`signals.rs`).
pub fn show_cursor() {
    let _ = dialoguer::console::Term::stderr().show_cursor();
}

/// A prompt's error, after putting the terminal back: Ctrl-C is a cancellation.
fn failed(error: dialoguer::Error, what: &str) -> anyhow::Error {
    show_cursor();
    match error {
        // The signal it raised stays let through while the process goes out with exit 130.
        dialoguer::Error::IO(error) if error.kind() == std::io::ErrorKind::Interrupted => {
            crate::signals::prompt_interrupted();
            cancelled(what)
        }
        error => {
            crate::signals::prompt_answered();
            anyhow::anyhow!("prompt failed: {error}")
        }
    }
}

/// Runs one prompt with Ctrl-C as its key (see the module's documentation).
fn asking<T>(ask: impl FnOnce() -> dialoguer::Result<T>, what: &str) -> anyhow::Result<T> {
    crate::signals::prompt_begins();
    crate::test_hooks::point("prompt:begins");
    let answer = ask().map_err(|e| failed(e, what))?;
    crate::signals::prompt_answered();
    Ok(answer)
}

/// A line of text (empty allowed).
pub fn text(prompt: &str, what: &str) -> anyhow::Result<String> {
    asking(|| dialoguer::Input::<String>::new().with_prompt(prompt).allow_empty(true).interact_text(), what)
}

/// Yes or no; Esc (or `q`) cancels.
pub fn confirm(prompt: &str, default: bool, what: &str) -> anyhow::Result<bool> {
    let answer = asking(|| dialoguer::Confirm::new().with_prompt(prompt).default(default).interact_opt(), what)?;
    answer.ok_or_else(|| {
        show_cursor();
        cancelled(what)
    })
}

/// Any number of `items` (indices); Esc (or `q`) cancels.
pub fn choose(prompt: &str, items: &[String], what: &str) -> anyhow::Result<Vec<usize>> {
    let chosen = asking(|| dialoguer::MultiSelect::new().with_prompt(prompt).items(items).interact_opt(), what)?;
    show_cursor();
    chosen.ok_or_else(|| cancelled(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ctrl-C at a prompt (an `Interrupted` read) is a cancellation with exit 130; any other
    /// failure of the terminal is an error of its own (exit 1).
    #[test]
    fn ctrl_c_is_a_cancellation_and_other_failures_are_not() {
        let interrupted =
            dialoguer::Error::IO(std::io::Error::new(std::io::ErrorKind::Interrupted, "read interrupted"));
        let error = failed(interrupted, "nothing was written");
        assert_eq!(crate::error::exit_code(&error), EXIT_CANCELLED);
        assert_eq!(error.to_string(), "cancelled: nothing was written");
        let broken = dialoguer::Error::IO(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "gone"));
        assert_eq!(crate::error::exit_code(&failed(broken, "x")), 1);
    }
}
