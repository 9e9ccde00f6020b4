//! `cargo xtask hotfix <name>`: for a broken main branch (SOP 4.8). Fetches the remote's main
//! branch and creates `fix/<slug>` from *that* commit, so the fix starts from what is deployed
//! even when the local main is behind; then: minimal fix only, and a fast PR.
//!
//! The fetch is the only remote work; it runs through `git/sync.rs`. The branch itself is made
//! by [`crate::branch::create`]. `--dry-run` neither fetches nor writes: it branches (on paper)
//! from the remote-tracking branch as it was last fetched.

use crate::branch::{self, Creation};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::sync;
use crate::lock::RunLock;

#[derive(Debug, clap::Args)]
#[command(mut_arg("dry_run", |arg| arg.help(
    "Check everything and say what would be created, without fetching or writing"
)))]
pub struct Args {
    /// What is broken: `login timeout`, `login-timeout`… (the branch is `fix/<slug>`)
    #[arg(allow_hyphen_values = true)]
    pub name: String,

    #[command(flatten)]
    pub dry_run: crate::output::DryRunArg,

    #[command(flatten)]
    pub json: crate::output::JsonArg,
}

const COMMAND: &str = "hotfix";
const KIND: &str = "fix";

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let config = &ctx.config;
    if !config.branch_kinds.iter().any(|kind| kind == KIND) {
        return Err(Refusal::usage(format!(
            "hotfixes go on `{KIND}/<slug>` branches, but `{KIND}` is not in `branch_kinds` ({})",
            config.branch_kinds.join(", ")
        ))
        .hint("add \"fix\" to `branch_kinds` in [workspace.metadata.sop] of Cargo.toml")
        .into());
    }
    let names =
        branch::derive(ctx, KIND, &args.name, COMMAND, &branch::flags_again(args.dry_run.dry_run, args.json.json))?;
    let _lock = if args.dry_run.dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    branch::preconditions(ctx, &names.branch, COMMAND)?;
    let (remote, main) = (&config.remote, &config.main_branch);
    let commit = if args.dry_run.dry_run {
        match ctx.repo.remote_tracking_commit(remote, main) {
            Some(commit) => commit,
            None if ctx.repo.remote_url(remote).is_none() => {
                return Err(crate::git::hint::no_remote(&ctx.repo, remote, "").into())
            }
            None => {
                return Err(Refusal::failed(format!("`{remote}/{main}` has never been fetched here"))
                    .hint(format!(
                        "fetch it first (or run without --dry-run):\ngit fetch {} {}",
                        crate::output::shell_word(remote),
                        crate::output::shell_word(main)
                    ))
                    .into())
            }
        }
    } else {
        let commit = sync::fetch(&ctx.sh, &ctx.repo, remote, main, ctx.interactive)?;
        if !args.json.json {
            crate::output::status("Fetched", format!("`{remote}/{main}` ({})", branch::short(&commit)));
        }
        commit
    };
    let creation =
        Creation { command: COMMAND, branch: names.branch.clone(), from: format!("{remote}/{main}"), commit };
    branch::create(ctx, &creation, args.dry_run.dry_run, args.json.json)?;
    if !args.json.json && !args.dry_run.dry_run {
        outln!();
        outln!("make the minimal fix only (SOP 4.8), commit it (git commit -m \"fix: …\"), then get it reviewed fast:");
        outln!("next: cargo xtask pre-pr --open");
    }
    Ok(())
}
