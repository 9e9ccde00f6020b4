//! `pre-pr`'s sync step (SOP 4.2, pull before you push): fetch the remote's main branch, predict
//! in memory whether rebasing (or merging, per `sync_strategy`) conflicts and name the files
//! before touching anything, then do it. A conflict — predicted or not — leaves HEAD, the index
//! and the working tree exactly as they were (`git/sync.rs` proves it) and prints the commands to
//! resolve it by hand. Also `--autostash`: stash before, restore after, never lose the work.

use git2::Oid;

use super::progress::Console;
use crate::config::SyncStrategy;
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::sync::{self, Applied, Prediction, Unstashed};

/// What the sync did, for the summary, the receipt and the PR body.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Synced {
    /// `origin/main`
    pub upstream: String,
    pub upstream_commit: String,
    pub strategy: SyncStrategy,
    /// `up to date`, `fast-forwarded`, `rebased 2 commits`, `merged`
    pub outcome: String,
    pub before: String,
    pub after: String,
}

/// Fetches, predicts, and rebases or merges. `dry_run` uses the remote-tracking branch as last
/// fetched and stops after the prediction.
pub fn run(ctx: &Ctx, console: &Console, branch: &str, head: Oid, dry_run: bool) -> anyhow::Result<Synced> {
    let (remote, main, strategy) = (&ctx.config.remote, &ctx.config.main_branch, ctx.config.sync_strategy);
    let upstream = format!("{remote}/{main}");
    let upstream_commit = if dry_run {
        ctx.repo.remote_tracking_commit(remote, main).ok_or_else(|| {
            Refusal::failed(format!("`{upstream}` has never been fetched here, so nothing can be predicted"))
                .hint(format!("fetch it (git fetch {remote} {main}) or run without --dry-run"))
        })?
    } else {
        sync::fetch(&ctx.sh, &ctx.repo, remote, main, ctx.interactive).map_err(|error| {
            match error.downcast::<Refusal>() {
                Ok(refusal) => {
                    let hint = refusal.hint.clone().unwrap_or_default();
                    anyhow::Error::new(refusal.hint(format!("{hint}; or work offline: cargo xtask pre-pr --no-sync")))
                }
                Err(error) => error,
            }
        })?
    };
    let short_upstream = crate::branch::short(&upstream_commit);
    let mut prediction = ctx.repo.predict_sync(head, upstream_commit, strategy)?;
    // Test-only fault injection: with `XTASK_TEST_SKIP_PREDICTION` set, a predicted conflict is
    // ignored so the tests reach the path a wrong prediction would take (the real rebase or merge
    // conflicts and is aborted). Harmless otherwise.
    if std::env::var_os("XTASK_TEST_SKIP_PREDICTION").is_some() && matches!(prediction, Prediction::Conflicts { .. }) {
        prediction = Prediction::Clean { commits: 0 };
    }
    let mut synced = Synced {
        upstream: upstream.clone(),
        upstream_commit: upstream_commit.to_string(),
        strategy,
        outcome: String::new(),
        before: head.to_string(),
        after: head.to_string(),
    };
    let verb = match strategy {
        SyncStrategy::Rebase => "rebase",
        SyncStrategy::Merge => "merge",
    };
    match &prediction {
        Prediction::UpToDate => {
            synced.outcome = format!("up to date with `{upstream}` ({short_upstream})");
            return Ok(synced);
        }
        Prediction::Conflicts { paths, commit } => {
            let during = match commit {
                Some((id, summary)) => {
                    format!(" while replaying {} \"{summary}\"", crate::branch::short(id))
                }
                None => String::new(),
            };
            print_resolution(console, strategy, &upstream, paths);
            return Err(Refusal::failed(format!(
                "{verb} onto `{upstream}` ({short_upstream}) would conflict{during} in {}; nothing was changed",
                list(paths)
            ))
            .hint(resolution_hint(strategy, &upstream))
            .into());
        }
        Prediction::FastForward | Prediction::Clean { .. } => {}
    }
    if dry_run {
        synced.outcome = match prediction {
            Prediction::FastForward => format!("would fast-forward to `{upstream}` ({short_upstream})"),
            Prediction::Clean { commits } if strategy == SyncStrategy::Rebase => {
                format!(
                    "would rebase {} onto `{upstream}` ({short_upstream}) without conflicts",
                    plural(commits, "commit")
                )
            }
            _ => format!("would merge `{upstream}` ({short_upstream}) without conflicts"),
        };
        return Ok(synced);
    }
    let message = format!("chore: merge {upstream} into {branch}");
    match sync::apply(&ctx.sh, &ctx.repo, strategy, &format!("refs/remotes/{upstream}"), &message)? {
        Applied::Done { from, to } => {
            synced.before = from.to_string();
            synced.after = to.to_string();
            synced.outcome = match prediction {
                Prediction::FastForward => format!("fast-forwarded to `{upstream}` ({short_upstream})"),
                Prediction::Clean { commits } if strategy == SyncStrategy::Rebase => {
                    format!("rebased {} onto `{upstream}` ({short_upstream})", plural(commits, "commit"))
                }
                _ => format!("merged `{upstream}` ({short_upstream})"),
            };
            Ok(synced)
        }
        Applied::Conflicts { paths } => {
            print_resolution(console, strategy, &upstream, &paths);
            Err(Refusal::failed(format!(
                "{verb} onto `{upstream}` ({short_upstream}) conflicted in {} and was aborted; HEAD, the index and the working tree are as before",
                list(&paths)
            ))
            .hint(resolution_hint(strategy, &upstream))
            .into())
        }
    }
}

/// The conflicting files and the exact commands to resolve them locally.
fn print_resolution(console: &Console, strategy: SyncStrategy, upstream: &str, paths: &[String]) {
    let mut text = String::from("conflicting files:\n");
    for path in paths {
        text.push_str(&format!("    {path}\n"));
    }
    text.push_str("resolve them locally:\n");
    let (start, finish, abort) = match strategy {
        SyncStrategy::Rebase => (format!("git rebase {upstream}"), "git rebase --continue", "git rebase --abort"),
        SyncStrategy::Merge => (format!("git merge {upstream}"), "git commit --no-edit", "git merge --abort"),
    };
    text.push_str(&format!("    {start}\n"));
    text.push_str("    # edit the files above, remove the conflict markers, then:\n");
    text.push_str(&format!("    git add {}\n", paths.join(" ")));
    text.push_str(&format!("    {finish}\n"));
    text.push_str(&format!("    # or give up and go back to where you were: {abort}\n"));
    text.push_str("    cargo xtask pre-pr");
    console.text(&text);
}

fn resolution_hint(strategy: SyncStrategy, upstream: &str) -> String {
    match strategy {
        SyncStrategy::Rebase => format!(
            "resolve it locally: git rebase {upstream}, fix the files, git add them, git rebase --continue; then run cargo xtask pre-pr"
        ),
        SyncStrategy::Merge => format!(
            "resolve it locally: git merge {upstream}, fix the files, git add them, git commit --no-edit; then run cargo xtask pre-pr"
        ),
    }
}

fn list(paths: &[String]) -> String {
    let shown: Vec<String> = paths.iter().take(5).map(|path| format!("`{path}`")).collect();
    let more = if paths.len() > 5 { format!(" and {} more", paths.len() - 5) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

/// Stashes the uncommitted work (tracked changes and untracked files) for `--autostash`.
pub fn stash(ctx: &Ctx, branch: &str) -> anyhow::Result<Option<Oid>> {
    let message = format!("{} on {branch}", sync::AUTOSTASH_MESSAGE);
    sync::stash_push(&ctx.sh, &ctx.repo, &message)
}

/// Restores the `--autostash` stash. A conflict keeps the stash and says how to get the work back.
pub fn restore(ctx: &Ctx, console: &Console, commit: Oid) -> anyhow::Result<String> {
    let short = crate::branch::short(&commit);
    match sync::stash_pop(&ctx.sh, &ctx.repo, commit)? {
        Unstashed::Restored => Ok(format!("restored the uncommitted work (stash {short})")),
        Unstashed::RestoredUnstaged => {
            console
                .warning("the stashed changes are back, but unstaged: `git stash pop --index` could not re-stage them");
            Ok(format!("restored the uncommitted work (stash {short}), unstaged"))
        }
        Unstashed::Conflicts { paths, reference } => {
            // Said here as well as in the error: when an earlier step failed, that failure is the
            // run's error, and these instructions must not get lost behind it.
            console.text(&format!(
                "your uncommitted work is safe in `{reference}` ({short}); the files with conflict markers:\n{}\nto finish: resolve the markers, then drop the stash: git stash drop {reference}\nto look at the work: git stash show -p --include-untracked {reference}",
                paths.iter().map(|path| format!("    {path}")).collect::<Vec<_>>().join("\n")
            ));
            Err(Refusal::failed(format!(
                "restoring your uncommitted work conflicted in {}; it is safe in `{reference}` ({short}), which was kept",
                list(&paths)
            ))
            .hint(format!(
                "resolve the conflict markers in those files, then drop the stash: git stash drop {reference}"
            ))
            .into())
        }
    }
}
