//! The command line. Global options live here; each command's options live beside its code
//! (`new_addon::Args`, …) so a command is one module and its `///` comments are its help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The Lancelot engineering SOP as commands: scaffold add-ons, check the rules, prepare PRs.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, propagate_version = true)]
#[command(after_help = "The workflow: cargo xtask onboard → new-addon <name> → work → pre-pr → open the PR.")]
pub struct Cli {
    /// Run as if started in <DIR> (like `git -C`)
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a new add-on: spec, blueprint, runbook, architecture note, flag, module, tests, branch
    NewAddon(crate::new_addon::Args),
    /// Render every template with a sample add-on (`--check`), or list them
    Templates(crate::templates::Args),
    /// Print the effective `[workspace.metadata.sop]` settings
    Config(crate::config_cmd::Args),
}
