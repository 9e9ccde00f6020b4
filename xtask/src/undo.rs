//! `cargo xtask undo`: takes back the last state-changing command of this clone — a
//! `new-addon`, `branch`, `hotfix`, spec transition, CHANGELOG release or migration (any applied
//! plan), or a `sync` — but only while the repository is exactly as that command left it.
//!
//! A plan's journal is kept after it finished (`.git/sop/last-run.json`); undoing it is the
//! crash recovery's rollback, run on purpose, and checked the same way afterwards. A sync leaves
//! its own record there (the branch and main before and after). If anything changed since — a
//! commit, an edit of a file the command wrote, a switch to another branch, a push — nothing is
//! touched and the refusal says what changed. Undo is one level deep: what it undid cannot be
//! undone again, and nothing is kept after it.

use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::lock::RunLock;
use crate::output::{DryRunArg, JsonArg, Report};
use crate::plan::journal::{self, Record};
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dry_run: DryRunArg,

    #[command(flatten)]
    pub json: JsonArg,
}

const COMMAND: &str = "undo";

/// What a finished `sync` leaves in `.git/sop/last-run.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRun {
    /// Always `sync`: tells this record from a plan's journal.
    pub kind: String,
    pub root: String,
    pub branch: String,
    pub before: String,
    pub after: String,
    /// The local main before and after the sync fast-forwarded it.
    pub main: Option<(String, String)>,
}

/// The last run, as read back.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum LastRun {
    Sync(SyncRun),
    Plan(Box<Record>),
}

/// `undo --json`.
#[derive(Debug, Serialize)]
struct UndoReport<'a> {
    /// The command undone (`new-addon`, `sync`…).
    command: &'a str,
    dry_run: bool,
    /// What was (or would be) put back, one line each.
    undone: &'a [String],
}

impl Report for UndoReport<'_> {
    const VERSION: u32 = 1;
}

/// Records a finished sync as the last run (best effort: an undo is a convenience).
pub fn record_sync(ctx: &Ctx, run: &SyncRun) {
    if let Ok(text) = serde_json::to_string_pretty(run) {
        let _ = crate::plan::write_atomically(&journal::last_run_path(&ctx.repo), text.as_bytes());
    }
}

/// The record of the last run cannot be read or understood: set it aside, nothing changed.
fn damaged_record(path: &std::path::Path, why: &str) -> Refusal {
    Refusal::failed(format!("the record of the last run is damaged{why}; nothing was changed")).hint(format!(
        "set it aside:\nmv {} {}.bad",
        shell_path(path),
        shell_path(path)
    ))
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let dry_run = args.dry_run.dry_run;
    let _lock = if dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    // A sync not finished is undone by its own abort, never by undoing what ran before it.
    if let Some((branch, abort)) = crate::sync_cmd::unfinished_abort(ctx) {
        return Err(Refusal::failed(format!(
            "a sync of `{branch}` is not finished; undo takes back a finished command; nothing was touched"
        ))
        .hint(format!("go back to where the sync started:\n{abort}"))
        .into());
    }
    // Nor in the middle of a rebase or merge someone else started: it ends first.
    ctx.repo.ensure_no_operation_in_progress()?;
    let path = journal::last_run_path(&ctx.repo);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(Refusal::usage("there is nothing to undo: no command changed this clone since the last undo")
                .hint("see what the tool did here:\ncargo xtask receipts")
                .into())
        }
        Err(error) => return Err(damaged_record(&path, &format!(" ({error})")).into()),
    };
    let last = serde_json::from_str::<LastRun>(&text).map_err(|_| damaged_record(&path, ""))?;
    let (command, undone) = match last {
        LastRun::Sync(sync) => ("sync".to_string(), undo_sync(ctx, &sync, dry_run)?),
        LastRun::Plan(record) => (record.plan.command.clone(), undo_plan(ctx, &record, dry_run)?),
    };
    if !dry_run {
        journal::forget_last_run(&ctx.repo);
        let receipt = Receipt::new(COMMAND, Kind::StateChange, format!("undid `{command}`"))
            .detail(serde_json::json!({ "undone": undone }));
        receipts::append(&ctx.repo, receipt)?;
    }
    if args.json.json {
        return crate::output::json(&UndoReport { command: &command, dry_run, undone: &undone });
    }
    let verb = if dry_run { "Would undo" } else { "Undid" };
    outln!("{} `{command}`:", crate::output::Paint::stdout().green_bold(verb));
    for line in &undone {
        outln!("    {line}");
    }
    if dry_run {
        outln!("next: cargo xtask undo");
    }
    Ok(())
}

fn shell_path(path: &std::path::Path) -> String {
    crate::output::shell_word(&path.display().to_string())
}

/// Refuses when the run was made in another worktree of this clone, or things changed since.
fn refuse_if_changed(command: &str, why: &[String]) -> anyhow::Result<()> {
    if why.is_empty() {
        return Ok(());
    }
    Err(Refusal::failed(format!(
        "cannot undo `{command}`: the repository changed since it ran ({}); nothing was touched",
        why.join("; ")
    ))
    .hint("see what changed:\ngit status")
    .into())
}

fn other_worktree(ctx: &Ctx, root: &str) -> anyhow::Result<()> {
    if root.is_empty() || std::path::Path::new(root) == ctx.root() {
        return Ok(());
    }
    Err(Refusal::usage(format!("the last run changed another worktree of this clone, `{root}`"))
        .hint(format!("undo it there:\ncargo xtask -C {} undo", crate::output::shell_word(root)))
        .into())
}

/// An applied plan: its rollback, when the repository is as the plan left it.
fn undo_plan(ctx: &Ctx, record: &Record, dry_run: bool) -> anyhow::Result<Vec<String>> {
    other_worktree(ctx, &record.root)?;
    let why = journal::changed_since(&ctx.repo, record)?;
    // The one change since: the branch the run started from is taken by another worktree. That
    // worktree lets go of it (detached at the same commit), and the undo goes through.
    if let (Some((name, folder)), [only]) = (journal::start_branch_elsewhere(&ctx.repo, record), why.as_slice()) {
        return Err(Refusal::failed(format!(
            "cannot undo `{}`: {only}, and going back to it would put two worktrees on one branch; nothing was touched",
            record.plan.command
        ))
        .hint(format!(
            "let go of `{name}` there (that worktree stays at its commit, on no branch), then undo again:\ngit -C {} switch --detach\ncargo xtask undo",
            shell_path(&folder)
        ))
        .into());
    }
    refuse_if_changed(&record.plan.command, &why)?;
    if let Some(branch) = &record.plan.branch {
        let remote = &ctx.config.remote;
        if ctx.repo.remote_tracking_commit(remote, &branch.name).is_some() {
            let name = crate::output::shell_word(&branch.name);
            return Err(Refusal::failed(format!(
                "cannot undo `{}`: `{}` was pushed to `{remote}` since, and an undo would delete it here only; nothing was touched",
                record.plan.command, branch.name
            ))
            .hint(format!(
                "if no one else works on it, delete it on the remote, then undo:\ngit push {} --delete {name}\ncargo xtask undo",
                crate::output::shell_word(remote)
            ))
            .into());
        }
    }
    let mut undone = Vec::new();
    for change in record.plan.changes.iter().rev() {
        undone.push(match change {
            crate::plan::Change::Create { path, .. } => format!("remove {path}"),
            crate::plan::Change::Edit { path, .. } => format!("restore {path}"),
            crate::plan::Change::Delete { path, .. } => format!("bring back {path}"),
        });
    }
    if let Some(branch) = &record.plan.branch {
        let previous = branch.previous_head.strip_prefix("refs/heads/").unwrap_or(&branch.previous_head);
        undone.push(format!("switch back to `{previous}` and delete `{}`", branch.name));
    }
    if dry_run {
        return Ok(undone);
    }
    journal::roll_back(&ctx.repo, record)?;
    let left = journal::left_after_rollback(&ctx.repo, record)?;
    if !left.is_empty() {
        return Err(Refusal::failed(format!("the undo of `{}` was partial: {}", record.plan.command, left.join("; ")))
            .hint("see what is left:\ngit status")
            .into());
    }
    Ok(undone)
}

/// A sync: the branch back to where it was (uncommitted work kept, as `git reset --keep` does),
/// and main back where it was, if each is still where the sync left it and was not pushed.
fn undo_sync(ctx: &Ctx, run: &SyncRun, dry_run: bool) -> anyhow::Result<Vec<String>> {
    other_worktree(ctx, &run.root)?;
    let head = ctx.repo.head()?;
    let before = crate::git::Repo::parse_oid(&run.before)?;
    let after = crate::git::Repo::parse_oid(&run.after)?;
    let mut why = Vec::new();
    if head.branch_name() != Some(run.branch.as_str()) {
        why.push(format!("HEAD is no longer on `{}`", run.branch));
    } else if head.commit() != Some(after) {
        why.push(format!("`{}` has commits the sync did not make", run.branch));
    }
    if ctx.repo.remote_tracking_commit(&ctx.config.remote, &run.branch) == Some(after) && after != before {
        why.push(format!(
            "`{}` was pushed since; undoing would diverge from `{}/{}`",
            run.branch, ctx.config.remote, run.branch
        ));
    }
    let main = match &run.main {
        Some((from, to)) => {
            let (from, to) = (crate::git::Repo::parse_oid(from)?, crate::git::Repo::parse_oid(to)?);
            (ctx.repo.branch_commit(&ctx.config.main_branch)? == Some(to)).then_some(from)
        }
        None => None,
    };
    refuse_if_changed("sync", &why)?;
    if before != after && !ctx.repo.index_matches(after)? {
        // `git reset --keep` resets the index: staged changes would become unstaged, and a
        // version of a file that only the index holds would be lost.
        return Err(Refusal::failed(format!(
            "cannot undo `sync` while changes are staged: moving `{}` back would unstage them; nothing was touched",
            run.branch
        ))
        .hint("set them aside with the index, undo, then bring them back staged:\ngit stash push\ncargo xtask undo\ngit stash pop --index")
        .into());
    }
    let mut undone = Vec::new();
    if before != after {
        undone.push(format!("`{}` back to {}", run.branch, ctx.repo.short_id(before)));
    }
    if let Some(from) = main {
        undone.push(format!("`{}` back to {}", ctx.config.main_branch, ctx.repo.short_id(from)));
    }
    if dry_run {
        return Ok(undone);
    }
    if before != after {
        crate::git::sync::reset_keep(&ctx.sh, &ctx.repo, before)?;
    }
    if let Some(from) = main {
        if run.branch != ctx.config.main_branch {
            ctx.repo.set_branch(&ctx.config.main_branch, from, "cargo xtask undo")?;
        }
    }
    Ok(undone)
}
