//! `cargo xtask`: the Lancelot engineering SOP as commands.
//!
//! This file only dispatches: parse the command line, build the [`ctx::Ctx`], call the command's
//! `run`, and turn its error into a message and an exit code (0 ok, 1 failed, 2 bad input).
//! Each command lives in its own module; shared pieces (git, names, templates, the file writer,
//! receipts) each have exactly one module. See docs/ARCHITECTURE.md.

mod cli;
mod config;
mod config_cmd;
mod ctx;
mod docs;
mod edits;
mod error;
mod git;
mod layout;
mod lock;
mod names;
mod new_addon;
mod output;
mod plan;
mod receipts;
mod render;
mod templates;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            error::report(&error);
            ExitCode::from(error::exit_code(&error) as u8)
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let dir = match cli.directory {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?,
    };
    let ctx = |yes: bool| ctx::Ctx::new(&dir, yes);
    match cli.command {
        cli::Command::NewAddon(args) => new_addon::run(&ctx(args.yes)?, args),
        cli::Command::Templates(args) => templates::run(&ctx(true)?, args),
        cli::Command::Config(args) => config_cmd::run(&ctx(true)?, args),
    }
}
