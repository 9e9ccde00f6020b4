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
    /// Create and check out `<kind>/<slug>` from the main branch (kinds: feat fix chore docs spec)
    Branch(crate::branch::Args),
    /// Fetch the remote's main branch and branch `fix/<slug>` from it, for a broken main (SOP 4.8)
    Hotfix(crate::hotfix::Args),
    /// Get the branch ready for review: sync with main, verify, check, write the PR body
    PrePr(crate::pre_pr::Args),
    /// Render every template with a sample add-on (`--check`), or list them
    Templates(crate::templates::Args),
    /// Bring the branch up to date: fetch, fast-forward main, a teammate's commits, then main; `--continue`/`--abort`
    Sync(crate::sync_cmd::Args),
    /// Push the branch verified by pre-pr (leased, never a plain force) and open its pull request
    Propose(crate::propose::Args),
    /// Take back the last state-changing command of this clone, if nothing changed since it ran
    Undo(crate::undo::Args),
    /// Delete the branches whose work is in main (merged, squash- or rebase-merged), here and on the remote
    Prune(crate::prune::Args),
    /// Print the effective `[workspace.metadata.sop]` settings
    Config(crate::config_cmd::Args),
    /// Show what the tool did in this clone (the receipts log)
    Receipts(crate::receipts_cmd::Args),
    /// The war room: every add-on's spec status, flag, docs, module, branch, last activity and error
    Status(crate::status::Args),
    /// Print the Depends-on graph of the specs as Mermaid
    Graph(crate::graph::Args),
    /// Enforce the SOP (§11): documents, flags, ownership, frozen specs, hygiene, secrets, branch rules
    Check(crate::check::Args),
    /// Move a spec through its lifecycle (approve, start, complete, supersede) or list the specs
    Spec(crate::spec::Args),
    /// Verify this clone, install the git hooks, build, and persist READY (run it right after cloning)
    Onboard(crate::onboard::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(crate::completions::Args),
    /// Preview the next release's CHANGELOG from docs/changelog.d/, `--check` it, `release` or `migrate`
    Changelog(crate::changelog::Args),
    /// Measure what the xtask costs against git on a synthetic repository, and its cold build
    Bench(crate::bench::Args),
    /// Move a repository of the first layout (marker lists, Unreleased entries, spec.lock) to the conflict-free one
    Migrate(crate::migrate::Args),
    /// `cargo fmt --all`, plus the add-on modules it cannot see (they are discovered at build time)
    Fmt(crate::fmt::Args),
    /// Show the commands Cargo.toml's SOP settings would run (verify, scanner) and approve them for this clone
    Trust(crate::trust::Args),
    /// Run a git hook's checks (called by the scripts in `.githooks/`)
    #[command(hide = true)]
    Hook(crate::hooks::Args),
}
