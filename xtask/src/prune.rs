//! `cargo xtask prune`: deletes the branches whose work is in main (SOP 4.6, "delete the branch
//! after merge"), locally and on the remote, however they were merged — a merge commit, a
//! squash or a rebase (see `git/merged.rs` for how that is proven).
//!
//! What it never deletes: main; a branch checked out in a worktree of this clone; a branch with
//! one commit main lacks; a branch that never moved since it was created here (nothing of its
//! own yet: it is about to be worked on, not merged); a remote branch a teammate pushed to since
//! (the delete is leased on the commit that was judged); a local branch that moved while it ran.
//! It asks first, unless `--yes`; without a terminal it needs `--yes`. Every branch deleted
//! leaves a receipt and a printed command that brings it back.

use git2::Oid;
use serde::Serialize;

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::merged::{self, InMain, LocalBranch};
use crate::lock::RunLock;
use crate::output::{DryRunArg, JsonArg, Report};
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Delete without asking (needed when not at a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Delete local branches only; leave the remote's branches alone
    #[arg(long)]
    pub local_only: bool,

    /// Judge against the remote-tracking branches as last fetched, without fetching
    #[arg(long)]
    pub no_fetch: bool,

    #[command(flatten)]
    pub dry_run: DryRunArg,

    #[command(flatten)]
    pub json: JsonArg,
}

const COMMAND: &str = "prune";

/// A remote branch to delete: the remote, the branch's name there, and the commit it was judged at.
type RemoteTarget = (String, String, Oid);

/// One branch considered, and what happens to it.
#[derive(Debug, Serialize)]
pub struct Verdict {
    pub branch: String,
    pub tip: String,
    /// How its work is in main; absent when it is kept for holding work main lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged: Option<InMain>,
    /// `delete`, `keep`, `deleted`, or `failed`.
    pub action: &'static str,
    /// Why it is kept, or why deleting it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The remote branch deleted (or to delete) with it, `<remote>/<branch>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    #[serde(skip)]
    remote_target: Option<RemoteTarget>,
    #[serde(skip)]
    oid: Oid,
}

/// `prune --json`.
#[derive(Debug, Serialize)]
struct PruneReport<'a> {
    dry_run: bool,
    /// The commit the branches were judged against, and its name.
    main: String,
    main_commit: String,
    branches: &'a [Verdict],
}

impl Report for PruneReport<'_> {
    const VERSION: u32 = 1;
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let dry_run = args.dry_run.dry_run;
    if !dry_run && !args.yes && !ctx.interactive {
        return Err(Refusal::usage("`prune` deletes branches and asks first, but there is no terminal to ask at")
            .hint("preview it, then delete without asking:\ncargo xtask prune --dry-run\ncargo xtask prune --yes")
            .into());
    }
    let _lock = if dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    // A rebase or merge in progress holds a branch git would still move: it ends first.
    ctx.repo.ensure_no_operation_in_progress()?;
    let remote = &ctx.config.remote;
    let has_remote = ctx.repo.remote_url(remote).is_some();
    if has_remote && !args.no_fetch && !dry_run {
        crate::git::sync::fetch_all(
            &ctx.sh,
            &ctx.repo,
            remote,
            "prune local branches only:\ncargo xtask prune --no-fetch --local-only",
        )?;
    }
    let (main_name, main_commit) = judge_against(ctx)?;
    let mut verdicts = judge(ctx, &args, main_commit)?;
    let doomed = verdicts.iter().filter(|v| v.action == "delete").count();
    if !dry_run && doomed > 0 && !args.yes && !confirm(&verdicts, &main_name)? {
        return Err(crate::prompt::cancelled("no branch was deleted"));
    }
    if !dry_run {
        delete(ctx, &mut verdicts, &main_name)?;
    }
    if args.json.json {
        let report =
            PruneReport { dry_run, main: main_name, main_commit: main_commit.to_string(), branches: &verdicts };
        crate::output::json(&report)?;
    } else {
        print(&verdicts, &main_name, dry_run);
    }
    if verdicts.iter().any(|v| v.action == "failed") {
        return Err(Refusal::failed("some branches could not be deleted (see above); the others were").into());
    }
    Ok(())
}

/// The main commit branches are judged against: the remote's main when there is one (what was
/// merged upstream), else the local main.
fn judge_against(ctx: &Ctx) -> anyhow::Result<(String, Oid)> {
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    if let Some(commit) = ctx.repo.remote_tracking_commit(remote, main) {
        return Ok((format!("{remote}/{main}"), commit));
    }
    match ctx.repo.branch_commit(main)? {
        Some(commit) => Ok((main.to_string(), commit)),
        // No commit anywhere yet, and no remote to fetch a main from: nothing to prune.
        None if ctx.repo.remote_url(remote).is_none() && ctx.repo.local_branches()?.is_empty() => match ctx
            .repo
            .head()?
        {
            crate::git::Head::Unborn { name } => {
                Err(Refusal::failed(format!("branch `{name}` has no commits yet; there is nothing to prune"))
                    .hint(format!("commit your work first:\n{}", crate::git::hint::first_commit(&ctx.config, &name)))
                    .into())
            }
            _ => Err(no_main(ctx)),
        },
        None => Err(no_main(ctx)),
    }
}

/// The refusal of a clone with neither the main branch nor the remote's.
fn no_main(ctx: &Ctx) -> anyhow::Error {
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    Refusal::failed(format!("there is no `{main}` branch here, nor `{remote}/{main}`"))
        .hint(format!("fetch it, then prune:\ngit fetch {remote} {main}\ncargo xtask prune"))
        .into()
}

/// The verdict on every local branch but main, sorted by name.
fn judge(ctx: &Ctx, args: &Args, main_commit: Oid) -> anyhow::Result<Vec<Verdict>> {
    let checked_out = ctx.repo.checked_out_worktrees();
    let mut branches = ctx.repo.local_branches_with_upstreams()?;
    branches.sort_by(|a, b| a.name.cmp(&b.name));
    let mut verdicts = Vec::new();
    for branch in branches {
        if branch.name == ctx.config.main_branch {
            continue;
        }
        let keep = |reason: String, merged: Option<InMain>| Verdict {
            branch: branch.name.clone(),
            tip: ctx.repo.short_id(branch.tip),
            merged,
            action: "keep",
            reason: Some(reason),
            remote: None,
            remote_target: None,
            oid: branch.tip,
        };
        let how = ctx.repo.merged_into(branch.tip, main_commit)?;
        let verdict = match how {
            None => keep("it has commits main lacks".into(), None),
            // Created at a commit main already has, and never moved: a slice not started yet.
            // A branch created at commits of its own (`git branch x <sha>` of a squash-merged
            // slice, as prune's own "bring back" hint does) is judged by its work like any other.
            Some(InMain::Merged) if branch.untouched && branch.upstream.is_none() => {
                keep("no commits of its own yet (it never moved since it was created)".into(), None)
            }
            Some(how) if checked_out.get(&branch.name).is_some_and(|folder| folder.as_path() == ctx.root()) => {
                let (switch, note) = crate::git::hint::switch_to_main(&ctx.repo, &ctx.config);
                // Uncommitted changes git would not carry over to main: set aside first, as
                // `sync` does, or the pasted switch is refused.
                let refused = crate::git::hint::switch_to_main_target(&ctx.repo, &ctx.config)
                    .map(|target| crate::git::hint::switch_refused_by_changes(&ctx.repo, target))
                    .transpose()?
                    .unwrap_or(false);
                let stash = match refused {
                    true => format!("{}\n", crate::git::hint::stash_aside(&branch.name)),
                    false => String::new(),
                };
                let aside = if refused { ", your uncommitted work set aside in the stash first (`git stash pop` takes it back)" } else { "" };
                keep(
                    format!("it is checked out; switch away{note}{aside}, then prune again:\n{stash}{switch}\ncargo xtask prune --yes"),
                    Some(how),
                )
            }
            // Checked out in another worktree of this clone, where the main branch may be taken
            // too: that worktree lets go of it (detached at the same commit), then prune again.
            Some(how) if checked_out.contains_key(&branch.name) => keep(
                format!(
                    "it is checked out in the worktree `{}`; let go of it there, then prune again:\ngit -C {} switch --detach\ncargo xtask prune --yes",
                    checked_out[&branch.name].display(),
                    crate::output::shell_word(&checked_out[&branch.name].display().to_string())
                ),
                Some(how),
            ),
            Some(how) => match remote_side(ctx, args, &branch, main_commit)? {
                Err(reason) => keep(reason, Some(how)),
                Ok(target) => Verdict {
                    branch: branch.name.clone(),
                    tip: ctx.repo.short_id(branch.tip),
                    merged: Some(how),
                    action: "delete",
                    reason: None,
                    remote: target.as_ref().map(|(remote, name, _)| format!("{remote}/{name}")),
                    remote_target: target,
                    oid: branch.tip,
                },
            },
        };
        verdicts.push(verdict);
    }
    Ok(verdicts)
}

/// The remote branch to delete with `branch` (`Ok(None)`: none, or `--local-only`), or why the
/// local one must be kept: the remote branch holds work main lacks (a teammate's push).
fn remote_side(
    ctx: &Ctx,
    args: &Args,
    branch: &LocalBranch,
    main_commit: Oid,
) -> anyhow::Result<Result<Option<RemoteTarget>, String>> {
    let Some((remote, name)) = &branch.upstream else { return Ok(Ok(None)) };
    // A branch cut with `git switch -c x origin/main` tracks the remote's main: the local branch
    // goes, the remote's main never does (nor a branch that is not this branch's own).
    if *name == ctx.config.main_branch || *name != branch.name {
        return Ok(Ok(None));
    }
    let Some(remote_tip) = ctx.repo.remote_tracking_commit(remote, name) else {
        // Gone on the remote (deleted after the merge): only the local branch is left.
        return Ok(Ok(None));
    };
    if ctx.repo.merged_into(remote_tip, main_commit)?.is_none() {
        // The listing leaves out the local branch's own commits too: squash- or rebase-merged,
        // they are in main by their changes, not by their ids, and are not what was pushed since.
        return Ok(Err(format!(
            "`{remote}/{name}` has commits main lacks (pushed since?); bring them in or ask who pushed them:\ngit log {} --not {} {}",
            crate::output::shell_word(&format!("{remote}/{name}")),
            ctx.repo.short_id(branch.tip),
            ctx.repo.short_id(main_commit)
        )));
    }
    if args.local_only {
        return Ok(Ok(None));
    }
    Ok(Ok(Some((remote.clone(), name.clone(), remote_tip))))
}

/// Asks once, listing what goes.
fn confirm(verdicts: &[Verdict], main: &str) -> anyhow::Result<bool> {
    errln!("Branches whose work is in `{main}`:");
    for verdict in verdicts.iter().filter(|v| v.action == "delete") {
        errln!("  {}", line_of(verdict));
    }
    crate::prompt::confirm("Delete them?", false, "no branch was deleted")
}

/// Deletes what the verdicts say: the remote branch first (leased), then the local one (only if
/// it still points where it was judged). One receipt per branch deleted.
fn delete(ctx: &Ctx, verdicts: &mut [Verdict], main: &str) -> anyhow::Result<()> {
    for verdict in verdicts.iter_mut().filter(|v| v.action == "delete") {
        if let Some((remote, name, expected)) = &verdict.remote_target {
            if let Err(message) = merged::delete_remote_branch(&ctx.sh, remote, name, *expected)? {
                verdict.action = "failed";
                verdict.reason = Some(format!("deleting `{remote}/{name}` failed: {message}"));
                continue;
            }
        }
        let tip = verdict.oid;
        if !ctx.repo.delete_branch_if_at(&verdict.branch, tip)? {
            verdict.action = "failed";
            verdict.reason = Some("it moved while prune ran; it was kept".into());
            continue;
        }
        verdict.action = "deleted";
        let how = verdict.merged.map_or("merged", InMain::describe);
        let receipt = Receipt::new(
            COMMAND,
            Kind::StateChange,
            format!("deleted `{}` ({how} into {main})", verdict.branch),
        )
        .detail(serde_json::json!({ "branch": verdict.branch, "commit": tip.to_string(), "remote": verdict.remote }));
        receipts::append(&ctx.repo, receipt)?;
    }
    Ok(())
}

fn line_of(verdict: &Verdict) -> String {
    let how = verdict.merged.map_or("", InMain::describe);
    match &verdict.remote {
        Some(remote) => format!("{} ({how}, at {}; and {remote})", verdict.branch, verdict.tip),
        None => format!("{} ({how}, at {})", verdict.branch, verdict.tip),
    }
}

fn print(verdicts: &[Verdict], main: &str, dry_run: bool) {
    let paint = crate::output::Paint::stdout();
    let (verb, done) = if dry_run { ("Would delete", "delete") } else { ("Deleted", "deleted") };
    let gone: Vec<&Verdict> = verdicts.iter().filter(|v| v.action == done).collect();
    let kept: Vec<&Verdict> = verdicts.iter().filter(|v| v.action == "keep" && v.merged.is_some()).collect();
    let failed = verdicts.iter().any(|v| v.action == "failed");
    if gone.is_empty() && kept.is_empty() && !failed {
        if dry_run {
            // The dry run does not fetch: a merge since the last fetch is not seen yet.
            outln!(
                "Nothing to prune: no local branch's work is in `{main}` as last fetched (a dry run does not fetch)."
            );
        } else {
            outln!("Nothing to prune: no local branch's work is in `{main}`.");
        }
    }
    for verdict in &gone {
        outln!("{} {}", paint.green_bold(verb), line_of(verdict));
    }
    for verdict in kept {
        let reason = verdict.reason.as_deref().unwrap_or_default();
        let mut lines = reason.lines();
        let why = lines.next().unwrap_or_default();
        outln!(
            "{} {} ({}): {why}",
            paint.yellow_bold("Kept"),
            verdict.branch,
            verdict.merged.map_or("", InMain::describe)
        );
        for command in lines {
            outln!("hint: {command}");
        }
    }
    for verdict in verdicts.iter().filter(|v| v.action == "failed") {
        errln!("{} {}: {}", paint.red_bold("Failed"), verdict.branch, verdict.reason.as_deref().unwrap_or_default());
    }
    if dry_run && !gone.is_empty() {
        outln!("Nothing was deleted (--dry-run); judged against `{main}` as last fetched. To delete them:");
        outln!("next: cargo xtask prune --yes");
    }
    if !dry_run {
        for verdict in &gone {
            let tip = verdict.oid;
            let name = crate::output::shell_word(&verdict.branch);
            outln!("hint: to bring `{}` back: git branch {name} {tip}", verdict.branch);
            if let Some((remote, _, _)) = &verdict.remote_target {
                outln!("hint: and on `{remote}`: git push {} {name}", crate::output::shell_word(remote));
            }
        }
    }
}
