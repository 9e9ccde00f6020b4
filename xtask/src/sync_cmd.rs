//! `cargo xtask sync`: brings the branch up to date the way the team works (SOP 4.2), in steps
//! that each either finish or stop at a conflict the engineer resolves in place:
//!
//! 1. fetch the remote (every branch, pruned);
//! 2. fast-forward the local main to the remote's, when it can (it never rewrites main);
//! 3. bring in the branch's own upstream first, so a teammate's commits on the same branch are
//!    kept and never force-pushed away (skipped when the upstream only holds the branch's own
//!    commits as they were before a rebase);
//! 4. rebase onto (or merge, per `sync_strategy`) the remote's main.
//!
//! Uncommitted work is stashed first and put back at the end. The state of a sync that stopped
//! lives in `.git/sop/sync.json`: `sync --continue` finishes it once the conflict is resolved and
//! staged; `sync --abort` puts back exactly what was there before — the branch, the local main and
//! the uncommitted work. Every finished, stopped or aborted sync leaves a receipt.

use git2::Oid;
use serde::{Deserialize, Serialize};

use crate::config::SyncStrategy;
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::merged::InMain;
use crate::git::sync::{self as gitsync, Applied};
use crate::git::Head;
use crate::lock::RunLock;
use crate::output::{DryRunArg, JsonArg, Report};
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Finish the sync that stopped at a conflict, once the files are resolved and `git add`ed
    // `--dry-run` previews a new sync only: with these it would be ignored, and the repository
    // changed by what was meant as a preview.
    #[arg(long = "continue", conflicts_with_all = ["abort", "dry_run"])]
    pub resume: bool,

    /// Go back to exactly where the stopped sync started: the branch, main, the uncommitted work
    #[arg(long, conflicts_with = "dry_run")]
    pub abort: bool,

    #[command(flatten)]
    pub dry_run: DryRunArg,

    #[command(flatten)]
    pub json: JsonArg,
}

const COMMAND: &str = "sync";
const STATE_FILE: &str = "sync.json";
const STATE_VERSION: u32 = 1;

/// A step that can stop at a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Step {
    /// Bringing in the branch's own upstream (`origin/<branch>`).
    Upstream,
    /// Rebasing onto (or merging) the remote's main.
    Main,
}

/// What a sync in progress needs to continue or to go back: `.git/sop/sync.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    version: u32,
    branch: String,
    /// HEAD when the sync started.
    before: String,
    /// The local main before it was fast-forwarded, to put back on `--abort`.
    main_before: Option<String>,
    /// The uncommitted work, stashed.
    stash: Option<String>,
    strategy: SyncStrategy,
    /// `origin/<branch>`, when the branch has one.
    own_upstream: Option<String>,
    /// `origin/main` (or `main` without a remote).
    main_upstream: String,
    /// The step that stopped, or is next.
    step: Step,
    /// What was done so far, for the summary.
    done: Vec<String>,
    /// This run's id, in its autostash's message: the stash a killed run did not record is
    /// found by it, and no other stash ever is.
    #[serde(default)]
    run: String,
    /// Set when the sync stopped at a conflict and said so; a state without it is a sync that
    /// was interrupted (killed, a full disk) wherever it was, even mid-rebase, where
    /// `git rebase --continue` on the untouched index would drop the commit being picked.
    #[serde(default)]
    stopped: bool,
    /// The working tree the sync runs in: worktrees of one clone share `.git/sop/`, and only this
    /// one holds the sync's rebase, branch and stash. Empty in a state an older version wrote.
    #[serde(default)]
    root: String,
    /// How the branch's work was found in main before anything was synced: the sync then only
    /// fast-forwards main, and points to `prune`. Never saved: such a sync never stops.
    #[serde(skip)]
    in_main: Option<InMain>,
}

/// `sync --json`.
#[derive(Debug, Serialize)]
struct SyncReport<'a> {
    /// `done`, `stopped` (at a conflict), `aborted`, `planned` (`--dry-run`).
    outcome: &'static str,
    branch: &'a str,
    before: String,
    after: String,
    /// What each step did, in order.
    steps: &'a [String],
    /// The files of the conflict it stopped at.
    conflicts: &'a [String],
}

impl Report for SyncReport<'_> {
    const VERSION: u32 = 1;
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let state = load(ctx)?;
    if let Some(state) = state.as_ref().filter(|state| !state.root.is_empty()) {
        if std::path::Path::new(&state.root) != ctx.root() {
            return Err(elsewhere(state, &args));
        }
    }
    match (args.resume, args.abort, state) {
        (true, _, Some(state)) => resume(ctx, &args, state),
        (_, true, Some(state)) => abort(ctx, &args, state),
        (true, _, None) | (_, true, None) => Err(no_stopped_sync(ctx, &args)),
        (false, false, Some(state)) if !state.stopped => Err(interrupted(&state)),
        (false, false, Some(state)) => Err(Refusal::usage(format!(
            "a sync of `{}` stopped at a conflict and is not finished (`.git/sop/{STATE_FILE}`)",
            state.branch
        ))
        .hint("finish it once the conflicts are resolved and staged:\ncargo xtask sync --continue\nor go back to where it started:\ncargo xtask sync --abort")
        .into()),
        (false, false, None) => start(ctx, &args),
    }
}

/// `--continue`/`--abort` with no sync stopped: an operation git has in progress was started by
/// hand, and `cargo xtask sync` would refuse it, so the hint is git's own command for it.
fn no_stopped_sync(ctx: &Ctx, args: &Args) -> anyhow::Error {
    let verb = if args.resume { "continue" } else { "abort" };
    let Some(op) = ctx.repo.in_progress() else {
        return Refusal::usage(format!("there is no stopped sync to {verb}"))
            .hint("sync the branch:\ncargo xtask sync")
            .into();
    };
    let refusal = Refusal::usage(format!(
        "there is no stopped sync to {verb}; the {} in progress was started with git, not by sync",
        op.operation
    ));
    // `git bisect good|bad` is a choice, not a command: it is named, and the way out is the line.
    let hint = match (args.resume, op.continue_command.contains('|')) {
        (true, false) => {
            format!(
                "finish it with git's own command, once the conflicts are resolved and staged:\n{}",
                op.continue_command
            )
        }
        (true, true) => format!("finish it with `{}`, or end it:\n{}", op.continue_command, op.abort_command),
        (false, _) => format!("abort it with git's own command:\n{}", op.abort_command),
    };
    refusal.hint(hint).into()
}

/// Refuses when an operation is in progress, as [`crate::git::Repo::ensure_no_operation_in_progress`]
/// does, except that the operation of a sync stopped (or interrupted) here is ended by the sync's
/// own `--continue`/`--abort`: git's `--abort` would leave the stashed work and the state behind.
pub(crate) fn ensure_no_operation_in_progress(ctx: &Ctx) -> anyhow::Result<()> {
    match ctx.repo.in_progress().and_then(|_| stopped_here(ctx, "then run this again")) {
        Some(refusal) => Err(refusal.into()),
        None => ctx.repo.ensure_no_operation_in_progress(),
    }
}

/// The refusal for an unfinished sync of this worktree, whose hint ends it with the sync's own
/// commands and then says `then`; `None` when no sync is unfinished here (its state unreadable
/// included: `sync` itself says how to handle that).
pub(crate) fn stopped_here(ctx: &Ctx, then: &str) -> Option<Refusal> {
    let state = load(ctx).ok().flatten()?;
    if !state.root.is_empty() && std::path::Path::new(&state.root) != ctx.root() {
        return None;
    }
    let refusal = Refusal::failed(format!(
        "a sync of `{}` {} and is not finished (`.git/sop/{STATE_FILE}`)",
        state.branch,
        if state.stopped { "stopped at a conflict" } else { "was interrupted" }
    ));
    // git's own `--abort` would leave the stashed work in the stash and the state behind.
    let why = format!("end it with the sync's own commands (they bring back your stashed work), {then}");
    Some(refusal.hint(match state.stopped {
        true => format!("{why}; once the conflicts are resolved and staged:\ncargo xtask sync --continue\nor go back to where it started:\ncargo xtask sync --abort"),
        false => format!("{why}; go back to where it started:\ncargo xtask sync --abort"),
    }))
}

/// The command that undoes an unfinished sync (stopped at a conflict, or interrupted), run from
/// here: what `undo` points to instead of undoing another command under it. `None` when no sync
/// is unfinished (or its state cannot be read: `sync` itself says how to handle that).
pub(crate) fn unfinished_abort(ctx: &Ctx) -> Option<(String, String)> {
    let state = load(ctx).ok().flatten()?;
    let command = match state.root.is_empty() || std::path::Path::new(&state.root) == ctx.root() {
        true => "cargo xtask sync --abort".to_string(),
        false => format!("cargo xtask -C {} sync --abort", crate::output::shell_word(&state.root)),
    };
    Some((state.branch, command))
}

fn state_path(ctx: &Ctx) -> std::path::PathBuf {
    ctx.repo.sop_dir().join(STATE_FILE)
}

/// The stopped sync's state; an unreadable one is refused, never guessed at.
fn load(ctx: &Ctx) -> anyhow::Result<Option<State>> {
    let path = state_path(ctx);
    // Unreadable (not UTF-8, a folder…) or not understood: the same refusal, with the way out.
    let damaged = |why: String| -> anyhow::Error {
        let word = crate::output::shell_word(&path.display().to_string());
        Refusal::failed(format!("`{}` {why}; nothing was changed", path.display()))
            .hint(format!(
                "look at it, then set it aside and finish by hand (git status says how):\nmv {word} {word}.bad"
            ))
            .into()
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(damaged(format!("cannot be read ({error})"))),
    };
    match serde_json::from_str::<State>(&text) {
        Ok(state) if state.version == STATE_VERSION => Ok(Some(state)),
        _ => Err(damaged("is not a sync state this version understands".into())),
    }
}

fn save(ctx: &Ctx, state: &State) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(state)?;
    crate::plan::write_atomically(&state_path(ctx), text.as_bytes())
}

fn clear(ctx: &Ctx) -> anyhow::Result<()> {
    match std::fs::remove_file(state_path(ctx)) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(anyhow::anyhow!("cannot remove `.git/sop/{STATE_FILE}`: {error}"))
        }
        _ => Ok(()),
    }
}

/// A fresh sync: checks, fetch, main, then the steps.
fn start(ctx: &Ctx, args: &Args) -> anyhow::Result<()> {
    let dry_run = args.dry_run.dry_run;
    ctx.repo.ensure_no_operation_in_progress()?;
    ctx.repo.ensure_index_unlocked()?;
    let (branch, before) = match ctx.repo.head()? {
        Head::Branch { name, commit } => (name, commit),
        head => return Err(not_on_a_branch(ctx, head)),
    };
    let _lock = if dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    let has_remote = ctx.repo.remote_url(remote).is_some();
    // A clone without any remote syncs with its local main; one whose remotes go by other names
    // is misconfigured, and "up to date" with a main nobody fetched would be a lie.
    if !has_remote && !ctx.repo.remote_names().is_empty() {
        return Err(crate::git::hint::no_remote(&ctx.repo, remote, "").into());
    }
    if has_remote && !dry_run {
        gitsync::fetch_all(&ctx.sh, &ctx.repo, remote, "work offline: commit, and sync when the remote is back")?;
    }
    let main_upstream =
        if ctx.repo.remote_tracking_commit(remote, main).is_some() { format!("{remote}/{main}") } else { main.clone() };
    let mut state = State {
        version: STATE_VERSION,
        branch: branch.clone(),
        before: before.to_string(),
        main_before: None,
        stash: None,
        strategy: ctx.config.sync_strategy,
        // On main, the remote's main is the only upstream: step 4's.
        own_upstream: if branch == *main { None } else { own_upstream(ctx, &branch) },
        main_upstream,
        step: Step::Upstream,
        done: Vec::new(),
        run: format!("{}-{}", std::process::id(), receipts::now_unix_ms()),
        stopped: false,
        root: ctx.root().display().to_string(),
        in_main: None,
    };
    if branch == *main {
        refuse_a_diverged_main(ctx, before)?;
    } else {
        state.in_main = work_already_in_main(ctx, &state, before)?;
    }
    if state.in_main.is_some() && !dry_run {
        // Nothing of the branch moves: only main is brought up to date, the main `prune` and
        // `git switch` then see.
        state.main_before = fast_forward_main(ctx, &mut state)?;
        return finish(ctx, args, state);
    }
    if state.in_main.is_none() {
        refuse_files_in_the_way(ctx, &state, before, dry_run)?;
    }
    if dry_run {
        return plan(ctx, args, &state, before);
    }
    if branch == *main {
        state.main_before = fast_forward_main(ctx, &mut state)?;
        return finish(ctx, args, state);
    }
    if up_to_date(ctx, &state, before)? {
        // Nothing to bring in anywhere: no state, no stash, no receipt (nothing changed).
        if args.json.json {
            return report(ctx, &state, "done", &[]);
        }
        outln!("`{branch}` is up to date; nothing to do.");
        return Ok(());
    }
    // The state is on disk before anything moves: a sync killed at any point is undone by
    // `sync --abort` (main put back where it was, the stash found by its message).
    state.main_before = ctx.repo.branch_commit(main)?.map(|commit| commit.to_string());
    save(ctx, &state)?;
    crate::test_hooks::point("sync:saved");
    if fast_forward_main(ctx, &mut state)?.is_none() {
        state.main_before = None;
    }
    stash_work(ctx, &mut state)?;
    steps(ctx, args, state)
}

/// The refusal of a sync with no branch to sync: an unborn branch has nothing yet (its first
/// commit is the way on); a detached HEAD with commits on no branch puts them on one, named from
/// them (`git switch` would leave them behind); one with none goes back to the main branch.
fn not_on_a_branch(ctx: &Ctx, head: Head) -> anyhow::Error {
    let refusal = match head {
        Head::Unborn { name } => {
            Refusal::failed(format!("branch `{name}` has no commits yet; there is nothing to sync"))
                .hint(format!("commit your work first:\n{}", crate::git::hint::first_commit(&ctx.config, &name)))
        }
        Head::Detached { commit } if !ctx.repo.on_a_branch(commit) => Refusal::usage(format!(
            "HEAD is detached at {}, with commits on no branch; sync works on a branch",
            crate::branch::short(&commit)
        ))
        .hint(format!(
            "put the commits on a branch, then sync it:\ngit switch -c {}\ncargo xtask sync",
            crate::git::hint::branch_for(&ctx.repo, &ctx.config, commit)
        )),
        Head::Detached { .. } | Head::Branch { .. } => {
            let main = &ctx.config.main_branch;
            let hint = match crate::git::hint::checked_out_elsewhere(&ctx.repo, main) {
                None => format!("switch to your branch first:\ngit switch {}", crate::output::shell_word(main)),
                // A linked worktree: `main` is the other worktree's, where it is synced.
                Some(folder) => format!(
                    "switch to your branch first (`git switch <branch>`); `{main}` is checked out in the worktree `{}`, sync it there:\ncargo xtask -C {} sync",
                    folder.display(),
                    crate::output::shell_word(&folder.display().to_string())
                ),
            };
            Refusal::usage("HEAD is not on a branch; there is nothing to sync").hint(hint)
        }
    };
    refusal.into()
}

/// Stashes the uncommitted work, if any, and records the stash in the state.
fn stash_work(ctx: &Ctx, state: &mut State) -> anyhow::Result<()> {
    if !ctx.repo.changed_paths()?.is_empty() {
        let message = stash_message(&state.branch, &state.run);
        match gitsync::stash_push(&ctx.sh, &ctx.repo, &message) {
            Ok(stash) => state.stash = stash.map(|id| id.to_string()),
            Err(error) => return Err(stash_failed(ctx, state, &message, error)),
        }
    }
    save(ctx, state)?;
    crate::test_hooks::point("sync:stashed");
    Ok(())
}

/// `git stash push` failed (a full disk, a hook that refuses the stash): when git made no stash,
/// main is put back and the state removed, so the sync is as if it never ran and the hint's
/// `cargo xtask sync` works; a stash git made before failing keeps the state, and the hint is
/// the abort that restores it.
fn stash_failed(ctx: &Ctx, state: &State, message: &str, error: anyhow::Error) -> anyhow::Error {
    let stashed = ctx.repo.stash_entries().iter().any(|entry| entry.message.contains(message));
    let undone = !stashed && undo_before_stash(ctx, state).is_ok();
    let mut refusal = match error.downcast::<Refusal>() {
        Ok(refusal) => refusal,
        Err(error) => Refusal::failed(format!("{error:#}")),
    };
    // A git killed inside the stash leaves its lock, which the hint's commit or stash would
    // trip over: named, with the `rm` and the sync to run again.
    if let (true, Some(stale)) = (undone, stale_lock(ctx, "cargo xtask sync")) {
        refusal.message = format!("{}; {}", refusal.message, stale.message);
        refusal.hint = stale.hint;
        return refusal.into();
    }
    refusal.hint = Some(match (undone, refusal.hint.as_deref()) {
        (false, _) => "put back the work and everything the sync did, then sync again:\ncargo xtask sync --abort\ncargo xtask sync".into(),
        (true, Some(crate::error::DISK_FULL)) => format!("{}\ncargo xtask sync", crate::error::DISK_FULL),
        (true, _) => format!(
            "commit the changes instead, then sync:\n{}\ncargo xtask sync",
            crate::git::hint::commit_all(
                &ctx.repo,
                &ctx.config,
                state.branch.split('/').next().unwrap_or_default(),
                "save work in progress"
            )
        ),
    });
    refusal.into()
}

/// The refusal naming a stale lock of the index, HEAD or the stash, whose hint removes it and
/// runs `then`; `None` when there is none.
fn stale_lock(ctx: &Ctx, then: &str) -> Option<Refusal> {
    let found =
        ctx.repo.ensure_index_unlocked_then(Some(then)).and_then(|()| ctx.repo.ensure_stash_unlocked_then(Some(then)));
    found.err().and_then(|error| error.downcast::<Refusal>().ok())
}

/// Puts back what a sync did before its stash (main fast-forwarded) and removes its state.
fn undo_before_stash(ctx: &Ctx, state: &State) -> anyhow::Result<()> {
    if let Some(main_before) = &state.main_before {
        let main = &ctx.config.main_branch;
        ctx.repo.set_branch(main, crate::git::Repo::parse_oid(main_before)?, "cargo xtask sync: stash failed")?;
    }
    clear(ctx)
}

/// The message of a sync's autostash: how `--abort` finds one a killed run did not record.
fn stash_message(branch: &str, run: &str) -> String {
    format!("cargo xtask sync --autostash on {branch} (run {run})")
}

/// Whether no step has anything to do: main needs no fast-forward, and the branch already holds
/// its own upstream and the remote's main.
fn up_to_date(ctx: &Ctx, state: &State, head: Oid) -> anyhow::Result<bool> {
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    let main_moves = match (ctx.repo.branch_commit(main)?, ctx.repo.remote_tracking_commit(remote, main)) {
        (Some(local), Some(upstream)) => local != upstream && ctx.repo.is_merged(local, upstream),
        _ => false,
    };
    let own_held = own_upstream_commit(ctx, state).is_none_or(|theirs| ctx.repo.holds_upstream(head, theirs));
    let (_, target) = main_target(ctx, state)?;
    Ok(!main_moves && own_held && ctx.repo.is_merged(target, head))
}

/// The commit of the branch's own upstream (`origin/<branch>`) as last fetched, if any.
fn own_upstream_commit(ctx: &Ctx, state: &State) -> Option<Oid> {
    let (remote, name) = state.own_upstream.as_deref()?.split_once('/')?;
    ctx.repo.remote_tracking_commit(remote, name)
}

/// What step 4 syncs onto: the reference of `state.main_upstream` (`refs/remotes/origin/main`,
/// or `refs/heads/main` without a remote) and its commit.
fn main_target(ctx: &Ctx, state: &State) -> anyhow::Result<(String, Oid)> {
    let reference = if state.main_upstream == ctx.config.main_branch {
        format!("refs/heads/{}", state.main_upstream)
    } else {
        format!("refs/remotes/{}", state.main_upstream)
    };
    let target = ctx.repo.raw_ref(&reference)?;
    Ok((reference, target))
}

/// Refuses, before anything moves, when what the sync brings in (the branch's own upstream, then
/// main) adds a file where an untracked or ignored one is: git would stop the rebase or merge
/// half-way. The hint moves each aside and syncs again, as `pre-pr`'s does.
fn refuse_files_in_the_way(ctx: &Ctx, state: &State, head: Oid, dry_run: bool) -> anyhow::Result<()> {
    let mut upstreams: Vec<(String, Oid)> = Vec::new();
    if let Some(own) = &state.own_upstream {
        if let Ok(commit) = ctx.repo.raw_ref(&format!("refs/remotes/{own}")) {
            upstreams.push((own.clone(), commit));
        }
    }
    if let Ok((_, target)) = main_target(ctx, state) {
        upstreams.push((state.main_upstream.clone(), target));
    }
    let rerun = if dry_run { "cargo xtask sync --dry-run" } else { "cargo xtask sync" };
    for (upstream, commit) in upstreams {
        let found = ctx.repo.paths_in_the_way(head, commit, None)?;
        if !found.is_empty() {
            return Err(crate::pre_pr::sync::in_the_way_refusal(ctx, &found, &upstream, commit, rerun)?.into());
        }
    }
    Ok(())
}

/// `origin/<branch>` when the branch tracks one (or one of its name exists), and it is fetched.
fn own_upstream(ctx: &Ctx, branch: &str) -> Option<String> {
    ctx.repo.own_upstream(branch, &ctx.config.remote).map(|(remote, name)| format!("{remote}/{name}"))
}

/// Fast-forwards the local main to the remote's when it is strictly behind; returns its commit
/// before, if it moved. A main with commits of its own is left alone, with a warning.
fn fast_forward_main(ctx: &Ctx, state: &mut State) -> anyhow::Result<Option<String>> {
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    let (Some(local), Some(upstream)) = (ctx.repo.branch_commit(main)?, ctx.repo.remote_tracking_commit(remote, main))
    else {
        return Ok(None);
    };
    if local == upstream {
        return Ok(None);
    }
    if !ctx.repo.is_merged(local, upstream) {
        crate::output::warning(format!(
            "the local `{main}` has commits `{remote}/{main}` lacks; it is never rewritten, so it was left as it is"
        ));
        return Ok(None);
    }
    let short = ctx.repo.short_id(upstream);
    if state.branch == *main {
        if let Err(message) = gitsync::fast_forward(&ctx.sh, &ctx.repo, &format!("refs/remotes/{remote}/{main}"))? {
            return Err(Refusal::failed(format!("`{main}` could not be fast-forwarded: {message}"))
                .hint("commit or stash your changes, then sync again:\ngit stash\ncargo xtask sync\ngit stash pop")
                .into());
        }
    } else if ctx.repo.checked_out_branches().contains(main) {
        state.done.push(format!("left `{main}` as it is: it is checked out in another worktree"));
        return Ok(None);
    } else {
        ctx.repo.set_branch(main, upstream, &format!("cargo xtask sync: fast-forward to {remote}/{main}"))?;
    }
    state.done.push(format!("fast-forwarded `{main}` to `{remote}/{main}` ({short})"));
    Ok(Some(local.to_string()))
}

/// On a local main with commits the remote's main lacks, while it also lacks some of the
/// remote's: main is never rebased, so there is nothing a sync may do, and "up to date" would
/// be false. Refused (exit 1, nothing changed) with the commands that move the commits to a
/// branch of their own and put main back on the remote's, then sync that branch.
fn refuse_a_diverged_main(ctx: &Ctx, head: Oid) -> anyhow::Result<()> {
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    let Some(upstream) = ctx.repo.remote_tracking_commit(remote, main) else { return Ok(()) };
    if ctx.repo.is_merged(head, upstream) || ctx.repo.is_merged(upstream, head) {
        return Ok(());
    }
    let branch = crate::git::hint::branch_for(&ctx.repo, &ctx.config, head);
    Err(Refusal::failed(format!(
        "the local `{main}` has commits `{remote}/{main}` lacks, and lacks some of its: `{main}` is never rebased, so nothing was changed"
    ))
    .hint(format!(
        "move your commits to a branch, put `{main}` back on `{remote}/{main}`, then sync the branch:\ngit switch -c {branch} && git branch -f {} {}\ncargo xtask sync",
        crate::output::shell_word(main),
        crate::output::shell_word(&format!("{remote}/{main}"))
    ))
    .into())
}

/// Runs the steps from `state.step` on; stops at a conflict (state saved, exit 1) or finishes.
fn steps(ctx: &Ctx, args: &Args, mut state: State) -> anyhow::Result<()> {
    if state.step == Step::Upstream {
        if let Some(stopped) = bring_in_upstream(ctx, &mut state)? {
            return stop(ctx, args, state, stopped);
        }
        state.step = Step::Main;
        save(ctx, &state)?;
    }
    if let Some(stopped) = onto_main(ctx, &mut state)? {
        return stop(ctx, args, state, stopped);
    }
    finish(ctx, args, state)
}

/// Step 3: the branch's own upstream, unless it holds nothing but the branch's own commits.
fn bring_in_upstream(ctx: &Ctx, state: &mut State) -> anyhow::Result<Option<Vec<String>>> {
    let Some(upstream) = state.own_upstream.clone() else { return Ok(None) };
    let (Some(theirs), Some(head)) = (own_upstream_commit(ctx, state), ctx.repo.head()?.commit()) else {
        return Ok(None);
    };
    if ctx.repo.holds_upstream(head, theirs) {
        return Ok(None);
    }
    let message = format!("chore: merge {upstream} into {}", state.branch);
    crate::test_hooks::point("sync:upstream");
    let applied = gitsync::apply_stopping_at_conflicts(
        &ctx.sh,
        &ctx.repo,
        state.strategy,
        &format!("refs/remotes/{upstream}"),
        &message,
    )?;
    outcome(ctx, state, applied, &format!("brought in `{upstream}`, a teammate's commits on this branch"))
}

/// Step 4: onto the remote's main.
fn onto_main(ctx: &Ctx, state: &mut State) -> anyhow::Result<Option<Vec<String>>> {
    let upstream = state.main_upstream.clone();
    let (reference, target) = main_target(ctx, state)?;
    let head = ctx.repo.head()?.commit().ok_or_else(|| anyhow::anyhow!("HEAD has no commit"))?;
    if ctx.repo.is_merged(target, head) {
        state.done.push(format!("up to date with `{upstream}`"));
        return Ok(None);
    }
    let verb = match state.strategy {
        SyncStrategy::Rebase => "rebased onto",
        SyncStrategy::Merge => "merged",
    };
    let message = format!("chore: merge {upstream} into {}", state.branch);
    crate::test_hooks::point("sync:main");
    let applied = gitsync::apply_stopping_at_conflicts(&ctx.sh, &ctx.repo, state.strategy, &reference, &message)?;
    let short = ctx.repo.short_id(target);
    outcome(ctx, state, applied, &format!("{verb} `{upstream}` ({short})"))
}

/// Records a step's result: done, stopped (the conflicting files), or failed (the sync is undone,
/// then the failure is reported).
fn outcome(ctx: &Ctx, state: &mut State, applied: Applied, done: &str) -> anyhow::Result<Option<Vec<String>>> {
    match applied {
        Applied::Done { .. } => {
            state.done.push(done.to_string());
            Ok(None)
        }
        Applied::Stopped { paths } | Applied::Conflicts { paths } => Ok(Some(paths)),
        Applied::Failed { message, unfinished } => {
            let undone = go_back(ctx, state).and_then(|(undone, kept)| match kept {
                Some(kept) => Err(kept),
                None => clear(ctx).map(|()| undone),
            });
            let recover = unfinished.map(|u| format!("\n{}", u.recover)).unwrap_or_default();
            Err(Refusal::failed(format!("the sync failed: {message}; {}", undone.unwrap_or_else(|e| format!("{e:#}"))))
                .hint(format!("fix the cause above, then sync again:{recover}\ncargo xtask sync"))
                .into())
        }
    }
}

/// Stopped at a conflict: state saved, what to do printed, exit 1.
fn stop(ctx: &Ctx, args: &Args, mut state: State, paths: Vec<String>) -> anyhow::Result<()> {
    state.stopped = true;
    save(ctx, &state)?;
    let upstream = match state.step {
        Step::Upstream => state.own_upstream.clone().unwrap_or_default(),
        Step::Main => state.main_upstream.clone(),
    };
    let receipt = Receipt::new(COMMAND, Kind::Failure, format!("sync of `{}` stopped at a conflict", state.branch))
        .reason(format!("conflicts with `{upstream}` in {}", paths.join(", ")));
    receipts::append(&ctx.repo, receipt)?;
    if args.json.json {
        report(ctx, &state, "stopped", &paths)?;
    } else {
        outln!("Conflicts with `{upstream}` in:");
        for path in &paths {
            outln!("    {path}");
        }
        outln!("Resolve them: edit the files, remove the conflict markers, `git add` them, then run");
        outln!("`cargo xtask sync --continue`. Your uncommitted work, if any, is kept in the stash until then.");
    }
    Err(Refusal::failed(format!("the sync of `{}` stopped at a conflict with `{upstream}`", state.branch))
        .hint("or give up, and go back to exactly where the sync started:\ncargo xtask sync --abort")
        .into())
}

/// The stopped sync belongs to another worktree of this clone: its rebase, its branch and the
/// stash of its work are there, and acting from here would rebase this worktree's branch and
/// bring that work here. Refused (exit 1), with the commands to run there.
fn elsewhere(state: &State, args: &Args) -> anyhow::Error {
    let there = crate::output::shell_word(&state.root);
    let verb = if args.abort { "--abort" } else { "--continue" };
    Refusal::failed(format!(
        "a sync of `{}` is stopped in the worktree `{}`; it can only be continued or aborted there, and no other sync starts until it ends",
        state.branch, state.root
    ))
    .hint(format!("finish it there:\ncargo xtask -C {there} sync {verb}"))
    .into()
}

/// Refuses, changing nothing, while files other than the conflicts were edited by hand during a
/// stop and not staged: `git rebase --continue` fails over them (and the failure undid the sync,
/// their edits with it), and `--abort` would overwrite them.
fn ensure_no_edits_since_the_stop(ctx: &Ctx, verb: &str) -> anyhow::Result<()> {
    if ctx.repo.in_progress().is_none() {
        return Ok(());
    }
    let edited = ctx.repo.unstaged_edits()?;
    if edited.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = edited.iter().map(|path| crate::git::hint::pathspec(path)).collect();
    Err(Refusal::failed(format!(
        "these files were edited during the stopped sync and are not staged: {}; `sync {verb}` would {}, so nothing was done",
        edited.join(", "),
        if verb == "--abort" { "overwrite them" } else { "fail over them" }
    ))
    .hint(format!(
        "{}, then run `cargo xtask sync {verb}` again; what they hold:\ngit diff -- {}",
        if verb == "--abort" {
            // Staged, they would be dropped by the abort all the same.
            "copy them elsewhere and put them back with `git checkout -- <file>`"
        } else {
            "stage them if they are part of the resolution (`git add`), or copy them elsewhere and put them back with `git checkout -- <file>`"
        },
        listed.join(" ")
    ))
    .into())
}

/// Refuses, changing nothing, while an untracked file the stash of the uncommitted work holds
/// exists again in the working tree (made during the stop): `git stash pop` never writes over it,
/// and fails after putting back everything else, the stash kept and the work half restored. The
/// hint moves each aside into `.git/sop/aside/` (the stash's copy then comes back in its place)
/// and runs the same command again.
fn ensure_stash_can_go_back(ctx: &Ctx, state: &State, verb: &str) -> anyhow::Result<()> {
    // A stash that cannot be read is no reason to stop: the restore says where it is.
    let Some(stash) = state.stash.as_deref().and_then(|stash| crate::git::Repo::parse_oid(stash).ok()) else {
        return Ok(());
    };
    let in_the_way = ctx.repo.stash_untracked_in_the_way(stash)?;
    if in_the_way.is_empty() {
        return Ok(());
    }
    let (aside, moves) = crate::git::hint::move_aside(&ctx.repo, &in_the_way);
    let one = in_the_way.len() == 1;
    Err(Refusal::failed(format!(
        "the stash of your uncommitted work holds {} that {} in the working tree again (made since the sync stopped?): {}; `sync {verb}` could not put {} back (git's stash never writes over a file), so nothing was done",
        if one { "an untracked file" } else { "untracked files" },
        if one { "is" } else { "are" },
        in_the_way.iter().map(|path| format!("`{path}`")).collect::<Vec<_>>().join(", "),
        if one { "it" } else { "them" },
    ))
    .hint(format!(
        "move yours aside into `{}` (the stash's {} back in {} place; compare, then keep what you want), then run it again:\n{moves}\ncargo xtask sync {verb}",
        aside.display(),
        if one { "copy comes" } else { "copies come" },
        if one { "its" } else { "their" },
    ))
    .into())
}

/// A sync that was interrupted rather than stopped at a conflict: it cannot be continued (its
/// rebase may be mid-pick), only undone, which puts back exactly what was there.
fn interrupted(state: &State) -> anyhow::Error {
    Refusal::failed(format!(
        "a sync of `{}` was interrupted before it finished (it did not stop at a conflict); continuing it could drop a commit (`.git/sop/{STATE_FILE}`)",
        state.branch
    ))
    .hint("go back to exactly where it started, then sync again:\ncargo xtask sync --abort\ncargo xtask sync")
    .into()
}

/// `sync --continue`.
fn resume(ctx: &Ctx, args: &Args, mut state: State) -> anyhow::Result<()> {
    if !state.stopped {
        return Err(interrupted(&state));
    }
    let _lock = RunLock::acquire(&ctx.repo, COMMAND)?;
    ctx.repo.ensure_index_unlocked_then(Some("cargo xtask sync --continue"))?;
    if ctx.repo.in_progress().is_some() {
        let unresolved = ctx.repo.conflicted_paths()?;
        if !unresolved.is_empty() {
            return Err(Refusal::failed(format!("these files still have conflicts: {}", unresolved.join(", ")))
                .hint("edit them, `git add` them, then continue; or go back to where the sync started:\ncargo xtask sync --abort")
                .into());
        }
        let markers = ctx.repo.staged_conflict_markers()?;
        if !markers.is_empty() {
            return Err(Refusal::failed(format!("these staged files still hold conflict markers: {}", markers.join(", ")))
                .hint("remove the `<<<<<<<`, `=======`, `>>>>>>>` lines, `git add` the files, then continue; or go back:\ncargo xtask sync --abort")
                .into());
        }
        ensure_no_edits_since_the_stop(ctx, "--continue")?;
        ensure_stash_can_go_back(ctx, &state, "--continue")?;
        // From here on the sync is running again: interrupted, it must be undone, not continued.
        state.stopped = false;
        save(ctx, &state)?;
        let from = crate::git::Repo::parse_oid(&state.before)?;
        let applied = gitsync::continue_operation(&ctx.sh, &ctx.repo, state.strategy, from)?;
        let label = match state.step {
            Step::Upstream => format!("brought in `{}`", state.own_upstream.clone().unwrap_or_default()),
            Step::Main => format!("onto `{}`, after resolving conflicts", state.main_upstream),
        };
        if let Some(paths) = outcome(ctx, &mut state, applied, &label)? {
            return stop(ctx, args, state, paths);
        }
        if state.step == Step::Main {
            return finish(ctx, args, state);
        }
        state.step = Step::Main;
        save(ctx, &state)?;
    } else {
        ensure_stash_can_go_back(ctx, &state, "--continue")?;
        if state.step == Step::Upstream {
            // Finished by hand (`git rebase --continue`): on to the next step. A step onto main
            // finished by hand is checked again below, and is then up to date.
            state.step = Step::Main;
        }
    }
    state.stopped = false;
    save(ctx, &state)?;
    steps(ctx, args, state)
}

/// The work is synced: restore the uncommitted work, forget the state, say what happened.
fn finish(ctx: &Ctx, args: &Args, mut state: State) -> anyhow::Result<()> {
    crate::test_hooks::point("sync:restore");
    let restored = restore_stash(ctx, &mut state);
    crate::test_hooks::point("sync:restored");
    clear(ctx)?;
    crate::test_hooks::point("sync:cleared");
    let head = ctx.repo.head()?.commit().map(|c| c.to_string()).unwrap_or_default();
    let main_after = ctx.repo.branch_commit(&ctx.config.main_branch)?.map(|c| c.to_string());
    if head != state.before || state.main_before.is_some() {
        let run = crate::undo::SyncRun {
            kind: "sync".into(),
            root: ctx.root().display().to_string(),
            branch: state.branch.clone(),
            before: state.before.clone(),
            after: head.clone(),
            main: state.main_before.clone().zip(main_after),
        };
        crate::undo::record_sync(ctx, &run);
    }
    let receipt = Receipt::new(COMMAND, Kind::StateChange, format!("synced `{}`", state.branch))
        .detail(serde_json::json!({ "before": state.before, "after": head, "steps": state.done }));
    receipts::append(&ctx.repo, receipt)?;
    if args.json.json {
        report(ctx, &state, "done", &[])?;
    } else {
        for line in &state.done {
            outln!("{} {line}", crate::output::Paint::stdout().green_bold("Synced"));
        }
        if let Some(how) = state.in_main {
            print_already_in_main(ctx, &state, how)?;
        } else if state.done.is_empty() {
            outln!("`{}` is up to date; nothing to do.", state.branch);
        }
        if head != state.before && state.branch != ctx.config.main_branch {
            print_next(ctx, &state, crate::git::Repo::parse_oid(&head)?)?;
        }
    }
    restored
}

/// After a sync that moved the branch: push it, unless it has nothing main lacks. A branch whose
/// commits the sync found already in main (its PR was rebase- or squash-merged on the forge, the
/// remote branch maybe deleted) is done: pushing would re-create it with nothing to propose, so
/// the next step is `prune`, which deletes it once it is no longer checked out. A branch that had
/// no commits of its own before either (fast-forwarded to a newer main) has nothing to push yet.
fn print_next(ctx: &Ctx, state: &State, head: Oid) -> anyhow::Result<()> {
    let (_, target) = main_target(ctx, state)?;
    let before = crate::git::Repo::parse_oid(&state.before)?;
    let in_main = ctx.repo.ahead_behind(head, target).0 == 0 || ctx.repo.merged_into(head, target)?.is_some();
    if !in_main {
        outln!("next: {}", crate::git::hint::push(&ctx.repo, &ctx.config.remote, &state.branch, head));
    } else if ctx.repo.ahead_behind(before, target).0 > 0 {
        let (switch, note) = crate::git::hint::switch_to_main(&ctx.repo, &ctx.config);
        outln!(
            "`{}` has no commits of its own beyond `{}`: its work is already there, so there is nothing to push; delete the branch{note}:",
            state.branch,
            state.main_upstream
        );
        outln!("next: {switch}");
        outln!("next: cargo xtask prune --yes");
    } else {
        outln!("`{}` has no commits of its own yet: nothing to push", state.branch);
    }
    Ok(())
}

/// How the branch's work is already in the main it syncs onto (its pull request squash- or
/// rebase-merged on the forge), judged by `prune`'s own rules ([`crate::git::Repo::merged_into`]):
/// only for a branch with commits of its own beyond that main, and only when its own upstream
/// holds nothing main lacks (a teammate's follow-up pushed to the branch is work main lacks, and
/// is synced as always). Rebasing or merging such a branch replays work main already has, and
/// stops at a conflict wherever main changed the same lines since. `None` otherwise.
fn work_already_in_main(ctx: &Ctx, state: &State, head: Oid) -> anyhow::Result<Option<InMain>> {
    // No main to judge against: the steps say so, as they always have.
    let Ok((_, target)) = main_target(ctx, state) else { return Ok(None) };
    ctx.repo.work_already_in(head, own_upstream_commit(ctx, state), target)
}

/// The branch's work was found in main before anything was synced ([`work_already_in_main`]):
/// the branch is left as it is, and the next step is the one the "already there" end of a sync
/// points to: `prune`, off the branch. Uncommitted changes to tracked files go to the stash
/// first: they sit on the branch's old tree, and `git switch` refuses to carry one over a file
/// main changed since.
fn print_already_in_main(ctx: &Ctx, state: &State, how: InMain) -> anyhow::Result<()> {
    let (switch, note) = crate::git::hint::switch_to_main(&ctx.repo, &ctx.config);
    let uncommitted = !ctx.repo.changed_paths()?.is_empty();
    outln!(
        "`{}` has no work of its own beyond `{}`: its work is already there ({}), so the branch was left as it is and there is nothing to push; delete the branch{note}{}:",
        state.branch,
        state.main_upstream,
        how.describe(),
        if uncommitted {
            ", your uncommitted work set aside in the stash first (take it back where you want it with `git stash pop`)"
        } else {
            ""
        }
    );
    if uncommitted {
        outln!("next: {}", crate::git::hint::stash_aside(&state.branch));
    }
    outln!("next: {switch}");
    outln!("next: cargo xtask prune --yes");
    Ok(())
}

/// Puts the stashed uncommitted work back; when it cannot, says exactly where it is.
fn restore_stash(ctx: &Ctx, state: &mut State) -> anyhow::Result<()> {
    let commit = match state.stash.take() {
        Some(stash) => crate::git::Repo::parse_oid(&stash)?,
        None => return Ok(()),
    };
    let report = crate::pre_pr::restore_report(&ctx.sh, &ctx.repo, commit, None);
    if let Some(text) = &report.text {
        errln!("{text}");
    }
    match (report.restored, report.error) {
        (Some(restored), _) => {
            state.done.push(restored);
            Ok(())
        }
        (None, Some(error)) => Err(error.into()),
        (None, None) => Ok(()),
    }
}

/// `sync --abort`: exactly the state before the sync.
fn abort(ctx: &Ctx, args: &Args, mut state: State) -> anyhow::Result<()> {
    let _lock = RunLock::acquire(&ctx.repo, COMMAND)?;
    // A stale lock (a git killed mid-abort, an interrupted `sync --abort`) makes git's own abort
    // fail half-way: named first, with the `rm` that clears it, before anything moves.
    ctx.repo.ensure_index_unlocked_then(Some("cargo xtask sync --abort"))?;
    // The stash's, too: a `git stash push` killed while it stored the stash leaves one, and the
    // stash, once applied, could not be dropped (the work then both here and in the stash).
    ctx.repo.ensure_stash_unlocked_then(Some("cargo xtask sync --abort"))?;
    // Stopped at a conflict, git left every other file as the index has it: an unstaged edit is
    // the engineer's, made since, which git's abort would overwrite.
    if state.stopped {
        ensure_no_edits_since_the_stop(ctx, "--abort")?;
        ensure_stash_can_go_back(ctx, &state, "--abort")?;
    }
    let (result, kept) = go_back(ctx, &mut state)?;
    // Everything else is undone: the state goes, or every command (this one too) would refuse
    // again over the same kept stash, which the refusal below names.
    clear(ctx)?;
    let receipt =
        Receipt::new(COMMAND, Kind::StateChange, format!("sync of `{}` aborted", state.branch)).reason(result.clone());
    receipts::append(&ctx.repo, receipt)?;
    if let Some(kept) = kept {
        errln!("{result}");
        return Err(kept);
    }
    if args.json.json {
        state.done = vec![result];
        report(ctx, &state, "aborted", &[])
    } else {
        outln!("{result}");
        Ok(())
    }
}

/// Puts back the branch, main and the uncommitted work as they were when the sync started; with
/// the why, when everything but the uncommitted work is back (it is then kept in the stash).
fn go_back(ctx: &Ctx, state: &mut State) -> anyhow::Result<(String, Option<anyhow::Error>)> {
    // The rebase or merge was ended by hand and commits were made since: never dropped. A sync
    // that stopped at a conflict can be continued with them; an interrupted one keeps them, and
    // everything else it did (main, the stash) is put back.
    let kept = if ctx.repo.in_progress().is_none() { hand_made_commits(ctx, state)? } else { Vec::new() };
    if !kept.is_empty() && state.stopped {
        return Err(dropping_refusal(ctx, state, &kept));
    }
    // Stopped or interrupted: staged changes git's abort would drop (an edit staged during the
    // stop, a resolution) are kept too, once no conflict is left to block a stash.
    if kept.is_empty() {
        keep_what_going_back_overwrites(ctx, state)?;
    }
    if let Err(message) = gitsync::abort_operation(&ctx.sh, &ctx.repo)? {
        let in_the_way = ctx.repo.untracked_in_the_way_of_abort()?;
        if !in_the_way.is_empty() {
            return Err(in_the_way_of_abort(ctx, &in_the_way));
        }
        let by_hand = ctx.repo.in_progress().map_or("git rebase --abort", |op| op.abort_command);
        return Err(Refusal::failed(format!("the stopped rebase or merge could not be aborted: {message}"))
            .hint(format!("abort it by hand, then go back:\n{by_hand}\ncargo xtask sync --abort"))
            .into());
    }
    let before = crate::git::Repo::parse_oid(&state.before)?;
    if kept.is_empty() && ctx.repo.head()?.branch_name() != Some(state.branch.as_str()) {
        ctx.repo.checkout(&format!("refs/heads/{}", state.branch), before)?;
    }
    let mut left_in_place = false;
    if kept.is_empty() && ctx.repo.head()?.commit() != Some(before) {
        if work_put_back_already(ctx, state)? {
            left_in_place = true;
            // Killed after it put the work back: the changes here are the engineer's (with any
            // made since), never the sync's. The branch goes back around them, or not at all.
            if gitsync::reset_keep(&ctx.sh, &ctx.repo, before).is_err() {
                let ended = format!("The sync of `{}` is ended where it got to, synced", state.branch);
                return Ok((ended, Some(put_back_refusal(ctx, before))));
            }
            state.stash = None;
        } else {
            gitsync::reset_hard(&ctx.sh, &ctx.repo, before)?;
        }
    }
    if let Some(main_before) = state.main_before.take() {
        let main = &ctx.config.main_branch;
        ctx.repo.set_branch(main, crate::git::Repo::parse_oid(&main_before)?, "cargo xtask sync --abort")?;
    }
    if state.stash.is_none() && !state.run.is_empty() {
        // A sync killed between its stash and the state that records it: found by its message.
        let message = stash_message(&state.branch, &state.run);
        let found = ctx.repo.stash_entries().into_iter().find(|entry| entry.message.contains(&message));
        state.stash = found.map(|entry| entry.commit.to_string());
    }
    set_aside_work_the_stash_holds(ctx, state)?;
    let not_restored = match work_kept_in_stash(ctx, state)? {
        Some(refusal) => Some(refusal),
        None => restore_stash(ctx, state).err(),
    };
    let undone = match kept.is_empty() {
        true if left_in_place => format!(
            "Back to where the sync started: `{}` at {}; your uncommitted work, which the sync had put back, stays in the working tree (unstaged)",
            state.branch,
            ctx.repo.short_id(before)
        ),
        true => format!("Back to where the sync started: `{}` at {}", state.branch, ctx.repo.short_id(before)),
        false => format!(
            "The interrupted sync is undone; `{}` keeps the {} commit{} made since (newest {})",
            state.branch,
            kept.len(),
            if kept.len() == 1 { "" } else { "s" },
            ctx.repo.short_id(kept[kept.len() - 1])
        ),
    };
    Ok((undone, not_restored))
}

/// An interrupted sync never stopped for the engineer, who may have worked on since (or the kill
/// left a step half-done): before going back (git's abort, or the reset to where it started)
/// overwrites tracked changes it would not put back, they are kept in a stash entry of their
/// own, and said so. Nothing is kept when going back writes nothing, or puts back exactly them.
fn keep_what_going_back_overwrites(ctx: &Ctx, state: &State) -> anyhow::Result<()> {
    let before = crate::git::Repo::parse_oid(&state.before)?;
    if ctx.repo.in_progress().is_some() {
        // Refused further on, nothing changed: git will not abort over them.
        if !ctx.repo.untracked_in_the_way_of_abort()?.is_empty() {
            return Ok(());
        }
        // Git stopped at a conflict just before the kill: no stash can be made over the
        // conflicts, and git's abort drops a resolution, as after a stop; edits elsewhere refuse.
        if !ctx.repo.conflicted_paths()?.is_empty() {
            return ensure_no_edits_since_the_stop(ctx, "--abort");
        }
    } else if ctx.repo.head()?.commit() == Some(before) || work_put_back_already(ctx, state)? {
        return Ok(());
    }
    let stashes = ctx.repo.stash_entries();
    let stash = state.stash.as_deref().and_then(|stash| stashes.iter().find(|entry| entry.commit.to_string() == stash));
    let lost = ctx.repo.changes_going_back_loses(stash.map_or(before, |entry| entry.commit))?;
    if lost.is_empty() {
        return Ok(());
    }
    let message = format!("sop: changes found by sync --abort of {} (run {})", state.branch, state.run);
    let Some(copy) = gitsync::stash_keep_copy(&ctx.sh, &message)? else { return Ok(()) };
    crate::output::warning(format!(
        "the working tree had changes going back would overwrite (made since the sync was interrupted, or left half-done by it): {}; they are kept in the stash entry {copy}",
        lost.join(", ")
    ));
    crate::output::hint(&format!(
        "look at them, then take what you want back (`git stash apply {copy}`):\ngit stash show -p {copy}"
    ));
    Ok(())
}

/// Whether the sync had put the uncommitted work back before it was interrupted: its stash is
/// gone from the stash list (popped) and the working tree has changes, which are then the
/// engineer's, not a half-done rebase's.
fn work_put_back_already(ctx: &Ctx, state: &State) -> anyhow::Result<bool> {
    let Some(stash) = state.stash.as_deref() else { return Ok(false) };
    if ctx.repo.in_progress().is_some() || ctx.repo.stash_entries().iter().any(|e| e.commit.to_string() == stash) {
        return Ok(false);
    }
    Ok(!ctx.repo.changed_paths()?.is_empty())
}

/// `--abort` cannot move the branch back around the engineer's changes (a file the sync brought
/// in is changed here too since): the branch stays synced, the work where it is, and the sync
/// ends; nothing is lost. The hint shows what the sync brought in.
fn put_back_refusal(ctx: &Ctx, before: Oid) -> anyhow::Error {
    Refusal::failed(
        "the sync had put your uncommitted work back before it was interrupted, and a file it brought in has changed in the working tree since: going back would overwrite it, so the branch stays synced and the sync is ended (nothing was lost)",
    )
    .hint(format!("see what the sync brought in:\ngit log --oneline {}..HEAD", ctx.repo.short_id(before)))
    .into()
}

/// The stash cannot go back over changes it does not hold (made since the sync was killed): it is
/// kept, the working tree left as it is, and the refusal says where the work is and how to look
/// at it. `None` when the stash can go back, or is not in the stash list (then
/// [`restore_stash`] says where it is).
fn work_kept_in_stash(ctx: &Ctx, state: &State) -> anyhow::Result<Option<anyhow::Error>> {
    let Some(stash) = state.stash.as_deref() else { return Ok(None) };
    let Some(reason) = gitsync::restore_blocker(&ctx.repo)? else { return Ok(None) };
    let Some(entry) = ctx.repo.stash_entries().into_iter().find(|entry| entry.commit.to_string() == stash) else {
        return Ok(None);
    };
    let reference = entry.reference();
    Ok(Some(
        Refusal::failed(format!(
            "the uncommitted work from before the sync was not put back ({reason}); it is kept in `{reference}` ({stash}), and nothing else of the sync is left"
        ))
        .hint(format!(
            "look at it, then put it back (`git stash pop --index {reference}`) once the changes made since are committed or set aside:\ngit stash show -p --include-untracked {stash}"
        ))
        .into(),
    ))
}

/// A `git stash push` killed after it stored the stash, before it reset the working tree (or
/// half-way), leaves the work both here and in the stash, and a stash is never put back over
/// changes: `--abort` refused, and kept the state, forever. When every change here (staged,
/// unstaged, untracked) is also in the stash, the tree is set back to HEAD, which loses nothing,
/// and the stash then goes back whole, staged changes staged. Anything else is left as it is.
fn set_aside_work_the_stash_holds(ctx: &Ctx, state: &State) -> anyhow::Result<()> {
    let Some(stash) = state.stash.as_deref() else { return Ok(()) };
    if ctx.repo.in_progress().is_some() {
        return Ok(());
    }
    // A stash that cannot be read (or compared) is no reason to stop: `restore_stash` says where it is.
    let held = crate::git::Repo::parse_oid(stash).and_then(|stash| ctx.repo.work_held_by_stash(stash));
    let Ok(Some(held)) = held else { return Ok(()) };
    if held.tracked {
        let head = ctx.repo.head()?.commit().ok_or_else(|| anyhow::anyhow!("HEAD has no commit"))?;
        gitsync::reset_hard(&ctx.sh, &ctx.repo, head)?;
    }
    gitsync::remove_untracked(&ctx.sh, &ctx.repo, &held.untracked)
}

/// Git will not abort the rebase over untracked files the branch tracks (an interrupted rebase
/// wrote them, its index not yet): refused (exit 1, nothing changed), with the command that
/// moves each into `.git/sop/aside/` (out of the working tree, never committed by mistake,
/// never overwritten) and goes back.
fn in_the_way_of_abort(ctx: &Ctx, paths: &[String]) -> anyhow::Error {
    let (aside, moves) = crate::git::hint::move_aside(&ctx.repo, paths);
    Refusal::failed(format!(
        "the interrupted rebase cannot be aborted: it left {} untracked file{} the branch tracks, which git will not overwrite: {}; nothing was changed",
        paths.len(),
        if paths.len() == 1 { "" } else { "s" },
        paths.iter().map(|path| format!("`{path}`")).collect::<Vec<_>>().join(", ")
    ))
    .hint(format!(
        "move them aside into `{}` (the branch's own copies come back; compare, then delete these), then go back:\n{}\ncargo xtask sync --abort",
        aside.display(),
        moves
    ))
    .into()
}

/// The commits of the branch made by hand since the sync (its rebase or merge ended by hand:
/// `git rebase --abort`, or finished): those neither the start nor a remote-tracking branch
/// holds (a teammate's, which the sync brought in, are on the remote), and that are not the
/// sync's own copies of the branch's commits or its merge. Oldest first.
fn hand_made_commits(ctx: &Ctx, state: &State) -> anyhow::Result<Vec<Oid>> {
    let before = crate::git::Repo::parse_oid(&state.before)?;
    let Some(tip) = ctx.repo.branch_commit(&state.branch)? else { return Ok(Vec::new()) };
    if tip == before {
        return Ok(Vec::new());
    }
    let remote = &ctx.config.remote;
    let upstream = ctx.repo.remote_tracking_commit(remote, &state.branch);
    let main = ctx.repo.remote_tracking_commit(remote, &ctx.config.main_branch);
    let hide: Vec<Oid> = [Some(before), upstream, main].into_iter().flatten().collect();
    let since = ctx.repo.commits_between(&[tip], &hide)?;
    // The sync's own rebase writes copies of the branch's commits, its own and the teammates' it
    // brought in (a run killed after its rebase leaves them): only commits that copy none of
    // them were made by hand.
    let tips: Vec<Oid> = [Some(before), upstream].into_iter().flatten().collect();
    let originals = ctx.repo.commits_between(&tips, &main.into_iter().collect::<Vec<_>>())?;
    ctx.repo.not_copies_of(&since, &originals)
}

/// Going back to where a stopped sync started would drop commits made by hand since: refused
/// (exit 1), with the way to keep them.
fn dropping_refusal(ctx: &Ctx, state: &State, new: &[Oid]) -> anyhow::Error {
    Refusal::failed(format!(
        "`{}` has {} commit{} made since the sync stopped (newest {}): going back to where the sync started would drop {}",
        state.branch,
        new.len(),
        if new.len() == 1 { "" } else { "s" },
        new.last().map(|id| ctx.repo.short_id(*id)).unwrap_or_default(),
        if new.len() == 1 { "it" } else { "them" },
    ))
    .hint("keep them, and sync them onto the main branch (your stashed work, if any, comes back at the end):\ncargo xtask sync --continue")
    .into()
}

/// `--dry-run`: what each step would do, predicted in memory from the refs as last fetched.
fn plan(ctx: &Ctx, args: &Args, state: &State, head: Oid) -> anyhow::Result<()> {
    let mut lines = Vec::new();
    if let Some(upstream) = state.own_upstream.as_ref().filter(|_| state.in_main.is_none()) {
        lines.push(format!("bring in `{upstream}` if a teammate pushed to it"));
    }
    let (_, target) = main_target(ctx, state)?;
    lines.push(match state.in_main {
        Some(how) => format!(
            "nothing to rebase or merge: its work is already in `{}` ({}); then delete the branch with `cargo xtask prune --yes`",
            state.main_upstream,
            how.describe()
        ),
        None => match ctx.repo.predict_sync(head, target, state.strategy)? {
            gitsync::Prediction::UpToDate => format!("nothing to do for `{}`: up to date", state.main_upstream),
            gitsync::Prediction::FastForward => format!("fast-forward to `{}`", state.main_upstream),
            gitsync::Prediction::Clean { .. } => format!("sync onto `{}` without conflicts", state.main_upstream),
            gitsync::Prediction::Conflicts { paths, .. } => {
                format!("sync onto `{}`: it would stop at conflicts in {}", state.main_upstream, paths.join(", "))
            }
        },
    });
    if args.json.json {
        let mut planned = state.clone();
        planned.done = lines;
        return report(ctx, &planned, "planned", &[]);
    }
    outln!("Would sync `{}` (judged against the refs as last fetched; nothing was changed):", state.branch);
    for line in &lines {
        outln!("    {line}");
    }
    outln!("next: cargo xtask sync");
    Ok(())
}

fn report(ctx: &Ctx, state: &State, outcome: &'static str, conflicts: &[String]) -> anyhow::Result<()> {
    let after = ctx.repo.head()?.commit().map(|c| c.to_string()).unwrap_or_default();
    crate::output::json(&SyncReport {
        outcome,
        branch: &state.branch,
        before: state.before.clone(),
        after,
        steps: &state.done,
        conflicts,
    })
}
