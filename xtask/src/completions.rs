//! `cargo xtask completions <SHELL>`: prints a shell completion script for the xtask's commands
//! and options, generated from the same clap definitions as `--help` (so it cannot drift).
//!
//! Shells complete a command by its first word, and `cargo`'s own completion does not know about
//! `xtask`, so the script completes a command named `xtask`; the help text says how to define it.
//! It reads nothing and writes only to stdout.

use anyhow::Context as _;
use clap::CommandFactory as _;

/// The command word the scripts complete.
const BIN_NAME: &str = "xtask";

const INSTALL: &str = "\
The script completes a command named `xtask`. Install it, e.g. for bash:
  cargo xtask completions bash > ~/.local/share/bash-completion/completions/xtask
then define `xtask` as a function (zsh does not complete aliases):
  xtask() { cargo xtask \"$@\"; }            bash and zsh, in ~/.bashrc or ~/.zshrc
  function xtask; cargo xtask $argv; end   fish";

#[derive(Debug, clap::Args)]
#[command(after_help = INSTALL)]
pub struct Args {
    /// The shell to generate the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Needs no repository: completions can be generated anywhere.
pub fn run(args: Args) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut command = crate::cli::Cli::command();
    // Rendered in memory first: clap_complete panics when its writer fails, and stdout can be a
    // closed pipe (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, BIN_NAME, &mut script);
    match std::io::stdout().lock().write_all(&script) {
        Ok(()) => Ok(()),
        // The reader stopped reading: what it wanted was printed.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(error).context("failed to print the completion script"),
    }
}
