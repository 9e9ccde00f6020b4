//! `cargo xtask`: the Lancelot engineering SOP as commands.
//!
//! This file is the crate's root: it declares the modules and dispatches. Parse the command line,
//! build the [`ctx::Ctx`], call the command's `run`, and turn its error into a message and an exit
//! code (0 ok, 1 failed, 2 bad input). Each command lives in its own module; shared pieces (git,
//! names, templates, the file writer, receipts) each have exactly one module. See
//! docs/ARCHITECTURE.md.
//!
//! The same root is compiled twice, for two readers. `cargo xtask` builds it as the binary (this
//! package): one crate, so a one-line edit recompiles one crate and links it, with no library
//! metadata to write and no second crate to relink. The benchmark beside the tool
//! (`xtask/bench/`) links it as a library, the `xtask-lib` package (`xtask/lib/`), to build its
//! synthetic repositories with the tool's own names, templates, plan writer, configuration reader
//! and git wrapper instead of copies of them.

// First, so that its `outln!` and `out!` are in scope in every module below.
#[macro_use]
pub mod output;

pub mod addons;
pub mod bench;
mod branch;
pub mod cache;
pub mod changelog;
pub mod check;
mod cli;
mod completions;
pub mod config;
mod config_cmd;
pub mod ctx;
pub mod docs;
pub mod error;
mod fmt;
pub mod git;
mod graph;
mod hooks;
mod hotfix;
pub mod layout;
pub mod lock;
mod migrate;
pub mod names;
mod new_addon;
mod onboard;
pub mod plan;
mod pre_pr;
mod prompt;
mod propose;
mod prune;
pub mod receipts;
mod receipts_cmd;
mod redact;
pub mod render;
mod signals;
mod spec;
mod status;
mod sync_cmd;
mod templates;
mod test_hooks;
mod tree_memo;
mod trust;
mod undo;

use std::process::ExitCode;

use clap::Parser as _;

/// The whole of `cargo xtask`.
pub fn main() -> ExitCode {
    signals::report_oversized_writes();
    let cli = cli::Cli::parse();
    finish(run(cli))
}

/// The exit of a run, for `cargo xtask` and the bench alike: 0, or the error reported on stderr
/// with its exit code (1 failed, 2 bad input).
pub fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A write that bypassed the output layer met the pipe the output layer found closed
        // (`| head -1`): the reader has what it wanted, so this is the quiet exit, not a failure.
        Err(error) if output::stdout_closed() && is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            error::report(&error);
            if json_requested() {
                output::json_error(&error);
            }
            ExitCode::from(error::exit_code(&error) as u8)
        }
    }
}

/// Whether the command line asked for `--json`: clap accepted it, so the token is the flag (a
/// value never starts with `--`), unless it follows `--`.
fn json_requested() -> bool {
    std::env::args_os().skip(1).take_while(|arg| arg != "--").any(|arg| arg == "--json")
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let dir = match cli.directory {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?,
    };
    let ctx = |yes: bool| ctx::Ctx::new(&dir, yes);
    match cli.command {
        cli::Command::NewAddon(args) => new_addon::run(&ctx(args.yes)?, args),
        cli::Command::Branch(args) => branch::run(&ctx(true)?, args),
        cli::Command::Hotfix(args) => hotfix::run(&ctx(false)?, args),
        cli::Command::PrePr(args) => pre_pr::run(&ctx(false)?, args),
        cli::Command::Sync(args) => sync_cmd::run(&ctx(true)?, args),
        cli::Command::Propose(args) => propose::run(&ctx(true)?, args),
        cli::Command::Undo(args) => undo::run(&ctx(true)?, args),
        cli::Command::Prune(args) => prune::run(&ctx(args.yes)?, args),
        cli::Command::Templates(args) => templates::run(&ctx(true)?, args),
        cli::Command::Config(args) => config_cmd::run(&ctx(true)?, args),
        cli::Command::Receipts(args) => receipts_cmd::run(&ctx(true)?, args),
        cli::Command::Status(args) => status::run(&ctx(true)?, args),
        cli::Command::Graph(args) => graph::run(&ctx(true)?, args),
        cli::Command::Check(args) => check::run(&ctx(true)?, args),
        cli::Command::Spec(args) => spec::run(&ctx(true)?, args),
        cli::Command::Onboard(args) => onboard::run(&ctx(args.yes)?, args),
        cli::Command::Completions(args) => completions::run(args),
        cli::Command::Changelog(args) => changelog::run(&ctx(true)?, args),
        cli::Command::Bench(args) => bench::run(&ctx(true)?, args),
        cli::Command::Hook(args) => hooks::run(&ctx(true)?, args),
        cli::Command::Migrate(args) => migrate::run(&ctx(true)?, args),
        cli::Command::Fmt(args) => fmt::run(&ctx(true)?, args),
        cli::Command::Trust(args) => trust::run(&ctx(true)?, args),
    }
}
