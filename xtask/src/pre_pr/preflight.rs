//! `pre-pr`'s preflight: everything that must hold before the branch is synced, checked read-only.
//! Never on the main branch (it is never rebased, SOP 4.2) or a detached HEAD; the branch name
//! follows the policy (SOP 4.1); the tree is clean unless `--autostash`; no merge or rebase is in
//! progress (an interrupted `pre-pr` leaves one, and this is where the next run says how to end it).

use git2::Oid;

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::{hint, Head};
use crate::names::{self, Words};
use crate::output;

/// What preflight established about the branch.
#[derive(Debug, Clone)]
pub struct Branch {
    pub name: String,
    pub kind: String,
    pub words: Words,
    pub head: Oid,
    /// Tracked paths with uncommitted changes (only with `--autostash`; otherwise it refused).
    pub changed: Vec<String>,
}

pub fn check(ctx: &Ctx, autostash: bool) -> anyhow::Result<Branch> {
    let repo = &ctx.repo;
    let main = &ctx.config.main_branch;
    // A stale index lock first: it also blocks the commands that finish or abort an operation.
    repo.ensure_index_unlocked()?;
    if let Some(operation) = repo.in_progress() {
        // The operation of a stopped sync is ended by the sync: git's `--abort` strands its stash.
        if let Some(refusal) = crate::sync_cmd::stopped_here(ctx, "then run cargo xtask pre-pr again") {
            return Err(refusal.into());
        }
        // A sync only ever rebases or merges; a bisect has no conflicts to resolve.
        let (whose, finish) = match operation.operation {
            "rebase" | "merge" => {
                (" (an interrupted sync, or one you started)", "resolve the conflicts, `git add` them, ")
            }
            "bisect" => ("", "mark each commit git checks out: "),
            _ => ("", "resolve the conflicts, `git add` them, "),
        };
        return Err(Refusal::failed(format!(
            "a {} is in progress in `{}`{whose}",
            operation.operation,
            ctx.root().display()
        ))
        .hint(format!(
            "finish it ({finish}`{}`), or go back to where you were, then run cargo xtask pre-pr again:\n{}",
            operation.continue_command, operation.abort_command
        ))
        .into());
    }
    let (name, head) = match repo.head()? {
        Head::Branch { name, commit } => (name, commit),
        Head::Unborn { name } => {
            return Err(Refusal::failed(format!("branch `{name}` has no commits yet; there is nothing to review"))
                .hint(format!("commit your work first:\n{}", hint::first_commit(&ctx.config, &name)))
                .into())
        }
        Head::Detached { commit } => {
            return Err(Refusal::failed(format!(
                "HEAD is detached at {}; pre-pr works on a branch",
                crate::branch::short(&commit)
            ))
            .hint(format!(
                "put the commits on a branch (or go back to yours: `git switch -`):\ngit switch -c {}",
                hint::branch_for(repo, &ctx.config, commit)
            ))
            .into())
        }
    };
    if &name == main {
        return Err(Refusal::failed(format!(
            "you are on the main branch `{main}`; it is never rebased and never gets direct commits (SOP 2.4, 4.2)"
        ))
        .hint(match ctx.repo.remote_tracking_commit(&ctx.config.remote, main) {
            // Nothing of its own on main: there is no commit to move, only a branch to go to.
            Some(upstream) if ctx.repo.is_merged(head, upstream) => {
                "pre-pr verifies a branch; find the one of your slice (this lists them), then switch to it:\ncargo xtask status --all".to_string()
            }
            _ => format!("move your commits to a branch (they come along) and run pre-pr there:\n{}", off_main(ctx, head)),
        })
        .into());
    }
    let (kind, words) = names::parse_branch(&name, &ctx.config).map_err(|error| {
        Refusal::failed(format!("branch `{name}` does not follow the naming policy: {error}")).hint(format!(
            "rename it:\ngit branch -m {}",
            output::shell_word(&names::suggest_branch(&name, &ctx.config))
        ))
    })?;
    let changed = repo.changed_paths_with_cli(&ctx.sh)?;
    if !changed.is_empty() && !autostash {
        let shown: Vec<String> = changed.iter().take(5).map(|path| format!("`{path}`")).collect();
        let more = if changed.len() > 5 { format!(" and {} more", changed.len() - 5) } else { String::new() };
        // `git add -A` sweeps in every untracked file, which the engineer may not mean to commit
        // (scratch notes): the hint names them and how to leave them out.
        let description = format!("save work in progress on {}", words.slug());
        return Err(Refusal::failed(format!("the working tree has uncommitted changes: {}{more}", shown.join(", ")))
            .hint(format!(
                "commit them{} (or let pre-pr stash and restore them: `cargo xtask pre-pr --autostash`):\n{}",
                hint::untracked_note(repo, &ctx.config, &kind, &description),
                hint::commit_all(repo, &ctx.config, &kind, &description)
            ))
            .into());
    }
    Ok(Branch { name, kind, words, head, changed })
}

/// `git switch -c <branch>` for commits made on the main branch, and, when `<remote>/<main>` is
/// behind them, `git branch -f <main> <remote>/<main>` so the main branch no longer holds them.
fn off_main(ctx: &Ctx, head: Oid) -> String {
    let (main, remote) = (&ctx.config.main_branch, &ctx.config.remote);
    let switch = format!("git switch -c {}", hint::branch_for(&ctx.repo, &ctx.config, head));
    match ctx.repo.remote_tracking_commit(remote, main) {
        Some(upstream) if upstream != head && ctx.repo.is_merged(upstream, head) => format!(
            "{switch} && git branch -f {} {}",
            output::shell_word(main),
            output::shell_word(&format!("{remote}/{main}"))
        ),
        _ => switch,
    }
}
