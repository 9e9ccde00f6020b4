//! `pre-pr`'s sync step (SOP 4.2, pull before you push): fetch the remote's main branch, predict
//! in memory whether rebasing (or merging, per `sync_strategy`) conflicts and name the files
//! before touching anything, then do it. A conflict — predicted or not — leaves HEAD, the index
//! and the working tree exactly as they were (`git/sync.rs` proves it) and prints the commands to
//! resolve it by hand. Any other failure is named for what it is (git's own message, a full disk);
//! one git could not undo is said to be unfinished, with the command that goes back. A file the
//! sync would overwrite or trip over (an ignored `.env`, an untracked or stashed file where
//! upstream adds one) is refused before anything moves, with the command to move it aside.
//! Also `--autostash`: stash before, restore after, never lose the work: the stash is never put
//! back into an unfinished rebase or merge, and never called droppable unless it was applied.

use git2::Oid;
use xshell::Shell;

use super::interrupt;
use super::progress::Console;
use crate::config::SyncStrategy;
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::sync::{self, Applied, InTheWay, Prediction, StashEntry, Unfinished, Unstashed};
use crate::git::Repo;

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
/// fetched and stops after the prediction. `stash` is the autostash, if one was made (its
/// untracked files count as in the way, and a failure's hint says how to get it back); `rerun`
/// is the command that runs `pre-pr` again as it was started.
pub fn run(
    ctx: &Ctx,
    console: &Console,
    branch: &str,
    head: Oid,
    dry_run: bool,
    stash: Option<Oid>,
    rerun: &str,
) -> anyhow::Result<Synced> {
    let (remote, main, strategy) = (&ctx.config.remote, &ctx.config.main_branch, ctx.config.sync_strategy);
    let upstream = format!("{remote}/{main}");
    let upstream_commit = fetch(ctx, &upstream, dry_run)?;
    if !dry_run {
        refuse_a_teammates_push(ctx, branch, head, rerun)?;
    }
    crate::test_hooks::point("pre-pr:predict");
    let mut prediction = ctx.repo.predict_sync(head, upstream_commit, strategy)?;
    if crate::test_hooks::skip_conflict_prediction() && matches!(prediction, Prediction::Conflicts { .. }) {
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
    let short_upstream = crate::branch::short(&upstream_commit);
    match &prediction {
        Prediction::UpToDate => {
            synced.outcome = format!("up to date with `{upstream}` ({short_upstream})");
            return Ok(synced);
        }
        Prediction::Conflicts { paths, commit } => {
            // A branch whose work main already holds (squash- or rebase-merged, main changed
            // since) conflicts only by replaying that work: `prune`'s rule says so first.
            if let Some(refusal) = already_in_main(ctx, branch, head, upstream_commit, &upstream)? {
                return Err(refusal.into());
            }
            print_resolution(console, strategy, &upstream, paths);
            return Err(predicted_conflict(strategy, &upstream, &short_upstream, paths, commit.as_ref()).into());
        }
        Prediction::FastForward | Prediction::Clean { .. } => {}
    }
    let in_the_way = ctx.repo.paths_in_the_way(head, upstream_commit, stash)?;
    if !in_the_way.is_empty() {
        return Err(in_the_way_refusal(ctx, &in_the_way, &upstream, upstream_commit, rerun)?.into());
    }
    if dry_run {
        synced.outcome = outcome(&prediction, strategy, &upstream, &short_upstream, "would ");
        return Ok(synced);
    }
    let applied = apply(ctx, strategy, &upstream, branch)?;
    crate::test_hooks::point("pre-pr:synced");
    applied_outcome(console, applied, synced, &prediction, stash, rerun)
}

/// The refusal of a branch whose work `upstream_commit` already holds, by the rule `sync` uses
/// ([`crate::git::Repo::work_already_in`]): nothing to verify or propose, and the hint deletes
/// the branch off it, as `sync` points to. `None` otherwise.
fn already_in_main(
    ctx: &Ctx,
    branch: &str,
    head: Oid,
    upstream_commit: Oid,
    upstream: &str,
) -> anyhow::Result<Option<Refusal>> {
    let theirs = ctx.repo.remote_tracking_commit(&ctx.config.remote, branch);
    let Some(how) = ctx.repo.work_already_in(head, theirs, upstream_commit)? else { return Ok(None) };
    let (switch, note) = crate::git::hint::switch_to_main(&ctx.repo, &ctx.config);
    Ok(Some(
        Refusal::failed(format!(
            "`{branch}` has no work `{upstream}` lacks: its work is already there ({}), so there is nothing to verify or propose; nothing was changed",
            how.describe()
        ))
        .hint(format!("delete the branch{note}:\n{switch}\ncargo xtask prune --yes")),
    ))
}

/// The upstream commit: fetched (`pre-pr:fetch`), or with `dry_run` as last fetched.
fn fetch(ctx: &Ctx, upstream: &str, dry_run: bool) -> anyhow::Result<Oid> {
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    if dry_run {
        return Ok(ctx.repo.remote_tracking_commit(remote, main).ok_or_else(|| {
            Refusal::failed(format!("`{upstream}` has never been fetched here, so nothing can be predicted")).hint(
                format!(
                    "fetch it first (or run without --dry-run):\ngit fetch {} {}",
                    crate::output::shell_word(remote),
                    crate::output::shell_word(main)
                ),
            )
        })?);
    }
    crate::test_hooks::point("pre-pr:fetch");
    sync::fetch(&ctx.sh, &ctx.repo, remote, main, ctx.interactive).map_err(|error| match error.downcast::<Refusal>() {
        Ok(refusal) => {
            let hint = refusal.hint.clone().unwrap_or_default();
            anyhow::Error::new(refusal.hint(format!("{hint}\nor work offline:\ncargo xtask pre-pr --no-sync")))
        }
        Err(error) => error,
    })
}

/// A teammate pushed to this branch since it was last synced: pre-pr syncs with main only, and
/// would call the branch ready with a push git then rejects. Fetches the branch's own upstream
/// (only when it has one, pushed before) and refuses, changing nothing, when the branch lacks
/// commits from it; `cargo xtask sync` brings them in.
fn refuse_a_teammates_push(ctx: &Ctx, branch: &str, head: Oid, rerun: &str) -> anyhow::Result<()> {
    let Some((remote, name)) = ctx.repo.own_upstream(branch, &ctx.config.remote) else { return Ok(()) };
    // A branch deleted on the remote (merged, pruned) is not a teammate's push.
    let Ok(theirs) = sync::fetch(&ctx.sh, &ctx.repo, &remote, &name, ctx.interactive) else { return Ok(()) };
    if ctx.repo.holds_upstream(head, theirs) {
        return Ok(());
    }
    Err(Refusal::failed(format!(
        "`{remote}/{name}` has commits `{branch}` lacks ({}): a teammate pushed to it; nothing was changed",
        crate::branch::short(&theirs)
    ))
    .hint(format!("bring them in, then run pre-pr again:\ncargo xtask sync\n{rerun}"))
    .into())
}

/// `rebase` or `merge`, as git names the strategy.
fn verb(strategy: SyncStrategy) -> &'static str {
    match strategy {
        SyncStrategy::Rebase => "rebase",
        SyncStrategy::Merge => "merge",
    }
}

/// The refusal of a sync the prediction says conflicts: nothing was changed.
fn predicted_conflict(
    strategy: SyncStrategy,
    upstream: &str,
    short_upstream: &str,
    paths: &[String],
    commit: Option<&(Oid, String)>,
) -> Refusal {
    let during = match commit {
        Some((id, summary)) => format!(" while replaying {} \"{summary}\"", crate::branch::short(id)),
        None => String::new(),
    };
    Refusal::failed(format!(
        "{} onto `{upstream}` ({short_upstream}) would conflict{during} in {}; nothing was changed",
        verb(strategy),
        list(paths)
    ))
    .hint(resolution_hint(strategy, upstream))
}

/// What a clean sync did (or, with `would` = `"would "`, would do).
fn outcome(prediction: &Prediction, strategy: SyncStrategy, upstream: &str, short: &str, would: &str) -> String {
    let (fast_forwarded, rebased, merged) =
        if would.is_empty() { ("fast-forwarded", "rebased", "merged") } else { ("fast-forward", "rebase", "merge") };
    match prediction {
        Prediction::FastForward => format!("{would}{fast_forwarded} to `{upstream}` ({short})"),
        Prediction::Clean { commits } if strategy == SyncStrategy::Rebase => {
            let clean = if would.is_empty() { "" } else { " without conflicts" };
            format!("{would}{rebased} {} onto `{upstream}` ({short}){clean}", plural(*commits, "commit"))
        }
        _ if would.is_empty() => format!("{merged} `{upstream}` ({short})"),
        _ => format!("{would}{merged} `{upstream}` ({short}) without conflicts"),
    }
}

/// The rebase or merge itself (`pre-pr:rebase`, `pre-pr:merge`), holding git's turn: a signal
/// waits for it (and for the abort, if it fails).
fn apply(ctx: &Ctx, strategy: SyncStrategy, upstream: &str, branch: &str) -> anyhow::Result<Applied> {
    let message = format!("chore: merge {upstream} into {branch}");
    crate::test_hooks::point(&format!("pre-pr:{}", verb(strategy)));
    let mut turn = interrupt::git_turn();
    let applied = sync::apply(&ctx.sh, &ctx.repo, strategy, &format!("refs/remotes/{upstream}"), &message)?;
    if let Applied::Failed { unfinished: Some(unfinished), .. } = &applied {
        turn.recover = Some(unfinished.recover.clone());
    }
    Ok(applied)
}

/// What the rebase or merge came to: done, or the refusal that says what happened and how back.
fn applied_outcome(
    console: &Console,
    applied: Applied,
    mut synced: Synced,
    prediction: &Prediction,
    stash: Option<Oid>,
    rerun: &str,
) -> anyhow::Result<Synced> {
    let (strategy, upstream) = (synced.strategy, synced.upstream.clone());
    let short_upstream = crate::branch::short(&Oid::from_str(&synced.upstream_commit)?);
    let verb = verb(strategy);
    match applied {
        Applied::Done { from, to } => {
            synced.before = from.to_string();
            synced.after = to.to_string();
            synced.outcome = outcome(prediction, strategy, &upstream, &short_upstream, "");
            Ok(synced)
        }
        Applied::Conflicts { paths } | Applied::Stopped { paths } => {
            print_resolution(console, strategy, &upstream, &paths);
            Err(Refusal::failed(format!(
                "{verb} onto `{upstream}` ({short_upstream}) conflicted in {} and was aborted; HEAD, the index and the working tree are as before",
                list(&paths)
            ))
            .hint(resolution_hint(strategy, &upstream))
            .into())
        }
        Applied::Failed { message, unfinished: None } => Err(Refusal::failed(format!(
            "`git {verb}` failed: {message}; it was aborted: HEAD, the index and the working tree are as before"
        ))
        .hint(format!("{}, then run it again: {rerun}", fix_the_cause(&message)))
        .into()),
        Applied::Failed { message, unfinished: Some(Unfinished { state, reason, recover }) } => {
            let hint = match stash {
                Some(stash) => format!(
                    "{}, then go back to where you were and restore your uncommitted work: {recover} && git stash apply {stash}",
                    fix_the_cause(&message)
                ),
                None => format!("{}, then go back to where you were: {recover}", fix_the_cause(&message)),
            };
            Err(Refusal::failed(format!("`git {verb}` failed: {message}; {state}: {reason}")).hint(hint).into())
        }
    }
}

/// The first half of a failure's hint: what to fix before the command.
fn fix_the_cause(message: &str) -> &'static str {
    if message.contains("No space left on device") || message.contains("Disk quota exceeded") {
        "free some disk space"
    } else {
        "fix the cause above"
    }
}

/// The refusal for files in the way, with the command that moves each aside and runs again.
pub(crate) fn in_the_way_refusal(
    ctx: &Ctx,
    found: &[InTheWay],
    upstream: &str,
    upstream_commit: Oid,
    rerun: &str,
) -> anyhow::Result<Refusal> {
    let described: Vec<String> = found
        .iter()
        .map(|file| {
            let kind = match (file.ignored, file.stashed) {
                (true, _) => "an ignored file here",
                (false, false) => "an untracked file here",
                (false, true) => "an untracked file here (in the autostash)",
            };
            format!("`{}`, {kind}", file.path)
        })
        .collect();
    let mut moves = Vec::new();
    for file in found {
        moves.push(move_aside_command(ctx, file, upstream_commit)?);
    }
    let (it, them) = if found.len() == 1 { ("it", "it") } else { ("them", "them") };
    Ok(Refusal::failed(format!(
        "`{upstream}` adds {}: the sync would overwrite {it}; nothing was synced",
        described.join("; ")
    ))
    .hint(format!(
        "move {them} aside (yours is kept beside `{upstream}`'s), then run it again: {} && {rerun}",
        moves.join(" && ")
    )))
}

/// `mv <path> <aside>`: the aside name is new, not in the upstream commit, and ignored when the
/// file was (secrets stay out of commits); failing that, inside the clone's git directory.
fn move_aside_command(ctx: &Ctx, file: &InTheWay, upstream: Oid) -> anyhow::Result<String> {
    let path = file.path.as_str();
    let (dir, name) = match path.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), path),
    };
    let mut candidates = vec![format!("{path}.mine")];
    if let Some((stem, extension)) = name.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) {
        candidates.push(format!("{dir}{stem}.mine.{extension}"));
    }
    candidates.extend((2..10).map(|n| format!("{path}.mine-{n}")));
    for candidate in candidates {
        let taken = std::fs::symlink_metadata(ctx.root().join(&candidate)).is_ok()
            || ctx.repo.exists_at(upstream, &candidate)?;
        if taken || (file.ignored && !ctx.repo.is_ignored(&candidate)?) {
            continue;
        }
        // Root-relative: the hint works from any folder of the clone.
        return Ok(format!("mv {} {}", crate::git::hint::root_path(path), crate::git::hint::root_path(&candidate)));
    }
    let aside = ctx.repo.sop_dir().join("aside");
    let target = aside.join(path.replace('/', "%2F"));
    Ok(format!(
        "mkdir -p {} && mv {} {}",
        crate::output::shell_word(&aside.to_string_lossy()),
        crate::git::hint::root_path(path),
        crate::output::shell_word(&target.to_string_lossy())
    ))
}

/// The conflicting files and the exact commands to resolve them locally.
fn print_resolution(console: &Console, strategy: SyncStrategy, upstream: &str, paths: &[String]) {
    let mut text = String::from("conflicting files:\n");
    for path in paths {
        text.push_str(&format!("    {path}\n"));
    }
    text.push_str(&format!(
        "resolve them in place with `cargo xtask sync`: it brings in `{upstream}` ({}) and stops at the\n\
         conflict; edit the files above, remove the conflict markers, `git add` them, then run\n\
         `cargo xtask sync --continue` (or `cargo xtask sync --abort` to get back exactly what you\n\
         had), and `cargo xtask pre-pr` again",
        verb(strategy)
    ));
    console.text(&text);
}

/// The command that starts resolving the conflict in place: it stops at the conflict (exit 1),
/// with `--continue` and `--abort` to finish or go back (`sync_cmd.rs`).
fn resolution_hint(_strategy: SyncStrategy, upstream: &str) -> String {
    format!(
        "resolve it in place, as listed above: this brings in `{upstream}` and stops at the conflict; fix the files, `git add` them, then `cargo xtask sync --continue` and `cargo xtask pre-pr`:\ncargo xtask sync"
    )
}

fn list(paths: &[String]) -> String {
    let shown: Vec<String> = paths.iter().take(5).map(|path| format!("`{path}`")).collect();
    let more = if paths.len() > 5 { format!(" and {} more", paths.len() - 5) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

/// Stashes the uncommitted work (tracked changes and untracked files) for `--autostash`. The
/// stash is recorded for the signal handler before the lock is released; one git made before it
/// failed (or was killed) is recorded too, so it is restored like any other.
pub fn stash(ctx: &Ctx, branch: &str) -> anyhow::Result<Option<Oid>> {
    let message = format!("{} on {branch}", sync::AUTOSTASH_MESSAGE);
    let mut turn = interrupt::git_turn();
    let before = ctx.repo.stash_entries().first().map(|entry| entry.commit);
    let result = sync::stash_push(&ctx.sh, &ctx.repo, &message).map_err(|error| match error.downcast::<Refusal>() {
        // The hint commits with a type the commit-msg hook accepts.
        Ok(refusal) => anyhow::Error::new(refusal.hint(format!(
            "commit the changes instead, then run cargo xtask pre-pr:\n{}",
            crate::git::hint::commit_all(
                &ctx.repo,
                &ctx.config,
                branch.split('/').next().unwrap_or_default(),
                "save work in progress"
            )
        ))),
        Err(error) => error,
    });
    let newest = ctx.repo.stash_entries().into_iter().next();
    let made = newest.filter(|entry| Some(entry.commit) != before && entry.message.contains(&message));
    turn.stash = made.map(|entry| entry.commit);
    drop(turn);
    crate::test_hooks::point("pre-pr:stashed");
    result
}

/// What restoring the autostash came to, ready to print: by the `restore` step, or by the signal
/// handler (which has no `Ctx`).
pub struct RestoreReport {
    /// The one-line detail for the summary, when the work is back.
    pub restored: Option<String>,
    /// Said before the error: a warning.
    pub warning: Option<String>,
    /// Said before the error: where the work is and how to finish.
    pub text: Option<String>,
    /// The failure, when the work is not back.
    pub error: Option<Refusal>,
}

/// Restores the autostash `commit` unless the repository is not fit for it, and says how it went.
/// `recover` is the command that undoes a sync git could not abort (it goes before the restore).
pub fn restore_report(sh: &Shell, repo: &Repo, commit: Oid, recover: Option<&str>) -> RestoreReport {
    let short = crate::branch::short(&commit);
    let unstashed = match sync::stash_pop(sh, repo, commit) {
        Ok(unstashed) => unstashed,
        Err(error) => return kept_report(repo, commit, &format!("{error:#}"), recover),
    };
    match unstashed {
        Unstashed::Restored => RestoreReport {
            restored: Some(format!("restored the uncommitted work (stash {short})")),
            warning: None,
            text: None,
            error: None,
        },
        Unstashed::RestoredUnstaged => RestoreReport {
            restored: Some(format!("restored the uncommitted work (stash {short}), unstaged")),
            warning: Some(
                "the stashed changes are back, but unstaged: `git stash pop --index` could not re-stage them".into(),
            ),
            text: None,
            error: None,
        },
        Unstashed::Conflicts { paths, reference } => RestoreReport {
            restored: None,
            warning: None,
            text: Some(format!(
                "your uncommitted work is safe in `{reference}` ({short}); the files with conflict markers:\n{}\nto finish: resolve the markers, then drop the stash: git stash drop {reference}\nto look at the work: git stash show -p --include-untracked {reference}",
                paths.iter().map(|path| format!("    {path}")).collect::<Vec<_>>().join("\n")
            )),
            error: Some(
                Refusal::failed(format!(
                    "restoring your uncommitted work conflicted in {}; it is safe in `{reference}` ({short}), which was kept",
                    list(&paths)
                ))
                .hint(format!(
                    "resolve the conflict markers in those files, then drop the stash: git stash drop {reference}"
                )),
            ),
        },
        Unstashed::Kept { reason, entry } => kept(repo, commit, &reason, Some(entry), recover),
        Unstashed::Partial { reason, entry, missing } => partial(repo, commit, &reason, &entry, &missing),
    }
}

/// The stash went back in part: everything but the untracked files `missing`, which git would
/// not write over files of the same names (or, when git did not say which, the tracked changes
/// only). Never "not restored", and never a `git stash apply` of the whole, which fails over the
/// changes already back: the hint moves the files in the way aside and takes the stash's copies.
fn partial(repo: &Repo, commit: Oid, reason: &str, entry: &StashEntry, missing: &[String]) -> RestoreReport {
    let reference = entry.reference();
    let location = format!("the stash is kept:\n    {}\n    commit {commit}", entry.list_line());
    if missing.is_empty() {
        return RestoreReport {
            restored: None,
            warning: None,
            text: Some(format!("your uncommitted work was put back only in part ({reason}); {location}")),
            error: Some(
                Refusal::failed(format!(
                    "your uncommitted work was put back only in part: the changes to tracked files are back, the rest is not ({reason}); it is kept in `{reference}` ({commit})"
                ))
                .hint(format!(
                    "compare what is back with the stash, then take what is missing from it and drop it (`git stash drop {reference}`):\ngit stash show -p --include-untracked {commit}"
                )),
            ),
        };
    }
    let (aside, moves) = crate::git::hint::move_aside(repo, missing);
    let specs: Vec<String> = missing.iter().map(|path| crate::git::hint::pathspec(path)).collect();
    let one = missing.len() == 1;
    RestoreReport {
        restored: None,
        warning: None,
        text: Some(format!(
            "your uncommitted work was put back, all but the untracked {} {} (a file of the same name is in the working tree, and git's stash never writes over one); {location}",
            if one { "file" } else { "files" },
            list(missing)
        )),
        error: Some(
            Refusal::failed(format!(
                "your uncommitted work was put back only in part: all but the untracked {} {} ({} in the working tree); the stash is kept in `{reference}` ({commit})",
                if one { "file" } else { "files" },
                list(missing),
                if one { "a file of the same name is" } else { "files of the same names are" }
            ))
            .hint(format!(
                "move yours aside into `{}` and take the stash's {} (compare, keep what you want, then drop the stash: `git stash drop {reference}`):\n{moves}\ngit restore --source={} -- {}",
                aside.display(),
                if one { "copy" } else { "copies" },
                crate::output::shell_word(&format!("{commit}^3")),
                specs.join(" ")
            )),
        ),
    }
}

/// The stash was not restored because of `reason`: where it is, exactly.
pub fn kept_report(repo: &Repo, commit: Oid, reason: &str, recover: Option<&str>) -> RestoreReport {
    let entry = repo.stash_entries().into_iter().find(|entry| entry.commit == commit);
    kept(repo, commit, reason, entry, recover)
}

/// The stash could not even be looked for (the repository would not open).
pub fn unreadable_report(commit: Oid, reason: &str) -> RestoreReport {
    RestoreReport {
        restored: None,
        warning: None,
        text: None,
        error: Some(
            Refusal::failed(format!(
                "your uncommitted work was not restored ({reason}); it is in the stash as commit {commit}"
            ))
            .hint(format!("restore it: git stash apply {commit}")),
        ),
    }
}

fn kept(repo: &Repo, commit: Oid, reason: &str, entry: Option<StashEntry>, recover: Option<&str>) -> RestoreReport {
    // Before the stash can go back, what the sync left must be undone: the command the sync
    // named, or else the abort of the operation in progress.
    let before = match recover {
        Some(recover) => format!("{recover} && "),
        None => repo.in_progress().map(|operation| format!("{} && ", operation.abort_command)).unwrap_or_default(),
    };
    let listed = entry.as_ref().map(StashEntry::list_line).unwrap_or_else(|| "(not in `git stash list`)".into());
    let reference = entry.as_ref().map(StashEntry::reference).unwrap_or_else(|| commit.to_string());
    RestoreReport {
        restored: None,
        warning: None,
        text: Some(format!(
            "your uncommitted work was not restored ({reason}); it is safe in the stash, which was kept:\n    {listed}\n    commit {commit}\nget it back: {before}git stash apply {commit}"
        )),
        error: Some(
            Refusal::failed(format!(
                "your uncommitted work was not restored: {reason}; it is kept in `{reference}` ({commit})"
            ))
            .hint(format!("get it back: {before}git stash apply {commit}")),
        ),
    }
}

impl RestoreReport {
    /// Prints it after a signal, ending with the `error:`/`hint:` of exit 130.
    pub fn print_interrupted(self, console: &Console, rerun: &str) {
        if let Some(warning) = &self.warning {
            console.warning(warning);
        }
        if let Some(text) = &self.text {
            console.text(text);
        }
        let refusal = match (self.restored, self.error) {
            (Some(restored), _) => Refusal::failed(format!("interrupted; {restored}"))
                .hint(format!("run it again when you are ready: {rerun}")),
            (None, Some(error)) => Refusal { message: format!("interrupted; {}", error.message), ..error },
            (None, None) => Refusal::failed("interrupted").hint(format!("run it again when you are ready: {rerun}")),
        };
        let refusal = Refusal { code: interrupt::EXIT_INTERRUPTED, ..refusal };
        crate::error::report(&anyhow::Error::new(refusal));
    }
}

/// Restores the `--autostash` stash, unless the signal handler already has. A conflict, or a
/// repository not fit for it, keeps the stash and says exactly where the work is.
pub fn restore(ctx: &Ctx, console: &Console, commit: Oid) -> anyhow::Result<String> {
    let mut turn = interrupt::git_turn();
    if turn.stash != Some(commit) {
        return Ok("restored by the signal handler".into());
    }
    turn.stash = None;
    let report = restore_report(&ctx.sh, &ctx.repo, commit, turn.recover.as_deref());
    if let Some(warning) = &report.warning {
        console.warning(warning);
    }
    // Said here as well as in the error: when an earlier step failed, that failure is the run's
    // error, and these instructions must not get lost behind it.
    if let Some(text) = &report.text {
        console.text(text);
    }
    turn.restored = report.restored.clone();
    match (report.restored, report.error) {
        (Some(restored), _) => Ok(restored),
        (None, Some(error)) => Err(error.into()),
        (None, None) => Ok(String::new()),
    }
}
