//! `cargo xtask sync` with a team: a bare origin, this clone and a teammate's. The teammate
//! pushes to main (a line this branch changed too) and to this very branch; this clone has a
//! stale local main and uncommitted work. What these tests prove: the teammate's commits on the
//! branch are kept (brought in first, never force-pushed away); the conflict with main stops the
//! sync in place; `--continue` finishes it (refusing files still holding conflict markers);
//! `--abort` puts back exactly what was there; the uncommitted work comes back; every printed
//! hint works when pasted; both sync strategies behave alike.

use std::path::PathBuf;

use crate::support::{assert_contains, next_lines, paste_every_hint, paste_hints, Sandbox};

/// This clone on `feat/x` (pushed), with a tracked change and an untracked file uncommitted;
/// the teammate has pushed a commit to `feat/x` and a conflicting one to main. `strategy` is
/// written to this clone's `sync_strategy`.
fn diverged(strategy: &str) -> (Sandbox, PathBuf, PathBuf) {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox.read("Cargo.toml");
    let manifest = manifest
        .replace("[workspace.metadata.sop]\n", &format!("[workspace.metadata.sop]\nsync_strategy = \"{strategy}\"\n"));
    assert!(manifest.contains("sync_strategy"), "the kit's Cargo.toml has no [workspace.metadata.sop]");
    sandbox.write("Cargo.toml", &manifest);
    sandbox.write("shared.txt", "base\n");
    sandbox.write("wip.txt", "committed\n");
    sandbox.commit_all("chore: shared files");
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.git(&["switch", "-q", "-c", "feat/x"]);
    sandbox.commit_file_in(&sandbox.root, "shared.txt", "mine\n", "feat: my change to shared");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/x"]);
    let team = |args: &[&str]| sandbox.git_in(&teammate, args);
    team(&["fetch", "-q", "origin"]);
    team(&["switch", "-q", "feat/x"]);
    sandbox.commit_file_in(&teammate, "other.txt", "a teammate's work\n", "feat: a teammate's commit on feat/x");
    team(&["push", "-q", "origin", "feat/x"]);
    team(&["switch", "-q", "main"]);
    sandbox.commit_file_in(&teammate, "shared.txt", "theirs\n", "fix: main changes shared");
    team(&["push", "-q", "origin", "main"]);
    sandbox.write("wip.txt", "uncommitted work\n");
    sandbox.write("scratch.txt", "untracked\n");
    (sandbox, origin, teammate)
}

/// [`diverged`] with main's conflicting commit replaced by one adding `news.txt`: a sync goes
/// through every step without stopping.
fn no_conflict_with_main() -> Sandbox {
    let (sandbox, _origin, teammate) = diverged("rebase");
    sandbox.git_in(&teammate, &["switch", "-q", "main"]);
    sandbox.git_in(&teammate, &["reset", "-q", "--hard", "HEAD~1"]);
    sandbox.commit_file_in(&teammate, "news.txt", "news\n", "feat: news on main");
    sandbox.git_in(&teammate, &["push", "-q", "--force", "origin", "main"]);
    sandbox.git(&["fetch", "-q", "--prune", "origin"]);
    sandbox
}

fn state_exists(sandbox: &Sandbox) -> bool {
    sandbox.path(".git/sop/sync.json").exists()
}

/// The journey, for both strategies: stop at the conflict with main (after bringing in the
/// teammate's commit), refuse a resolution still holding markers, continue, paste the push hint,
/// and end with the teammate's commit and main's both on the origin's branch, local main
/// fast-forwarded, and the uncommitted work back.
#[test]
fn sync_keeps_a_teammates_commits_stops_at_the_conflict_and_continues() {
    for strategy in ["rebase", "merge"] {
        let (sandbox, origin, _teammate) = diverged(strategy);
        let stopped = sandbox.xtask().args(["sync"]).failure(1);
        assert_contains(&stopped.stdout, "Conflicts with `origin/main` in:\n    shared.txt");
        assert!(state_exists(&sandbox), "{strategy}: no state was saved");
        let branch_log = sandbox.git(&["log", "--format=%s", "refs/heads/feat/x"]);
        assert_contains(&branch_log, "feat: a teammate's commit on feat/x");
        assert_eq!(sandbox.read("wip.txt"), "committed\n", "{strategy}: the work was not stashed");

        // Running `sync` again is refused until the stopped one is finished or aborted.
        let again = sandbox.xtask().args(["sync"]).refused(2);
        assert_contains(&again.stderr, "cargo xtask sync --continue");

        // A resolution staged with its markers is refused.
        sandbox.git(&["add", "shared.txt"]);
        let marked = sandbox.xtask().args(["sync", "--continue"]).failure(1);
        assert_contains(&marked.stderr, "conflict markers: shared.txt");

        sandbox.write("shared.txt", "resolved\n");
        sandbox.git(&["add", "shared.txt"]);
        let done = sandbox.xtask().args(["sync", "--continue"]).success();
        assert!(!state_exists(&sandbox), "{strategy}: the state outlived the sync");
        assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "{strategy}: the uncommitted work is not back");
        assert_eq!(sandbox.read("scratch.txt"), "untracked\n", "{strategy}: the untracked file is gone");
        assert_eq!(sandbox.git(&["rev-parse", "main"]), sandbox.git(&["rev-parse", "origin/main"]), "main is stale");
        let pushes = next_lines(&done.stdout);
        assert_eq!(pushes.len(), 1, "{strategy}: {}", done.stdout);
        if strategy == "rebase" {
            assert_contains(&pushes[0], "--force-with-lease");
        }
        paste_every_hint(&sandbox, &sandbox.root, &done.stdout);
        let log = sandbox.git_in(&origin, &["log", "--format=%s", "feat/x"]);
        assert_contains(&log, "feat: a teammate's commit on feat/x");
        assert_contains(&log, "fix: main changes shared");
        assert_contains(&log, "feat: my change to shared");
        assert_eq!(sandbox.git_in(&origin, &["show", "feat/x:shared.txt"]), "resolved\n");
        assert_contains(&sandbox.read(".git/sop/receipts.jsonl"), "synced `feat/x`");

        let idle = sandbox.xtask().args(["sync"]).success();
        assert!(next_lines(&idle.stdout).is_empty(), "{strategy}: nothing to push after a no-op sync: {}", idle.stdout);
    }
}

/// `sync --abort` after the stop puts back exactly the repository as it was before the sync:
/// the branch (before the teammate's commit came in), the stale local main, the tracked change
/// and the untracked file. The refusal's hints, pasted: `--continue` fails (conflicts remain),
/// `--abort` goes back.
#[test]
fn sync_abort_puts_back_exactly_what_was_there() {
    let (sandbox, _origin, _teammate) = diverged("rebase");
    // Fetched first, so the remote-tracking refs the sync's own fetch moves are already there.
    sandbox.git(&["fetch", "-q", "--prune", "origin"]);
    let before = sandbox.snapshot();
    sandbox.xtask().args(["sync"]).failure(1);
    assert_ne!(sandbox.snapshot(), before, "the sync changed nothing before stopping");
    // `--dry-run` previews a new sync only: with `--abort` or `--continue` it is bad usage, and
    // nothing is aborted or continued.
    let stopped = sandbox.snapshot();
    for flag in ["--abort", "--continue"] {
        sandbox.xtask().args(["sync", flag, "--dry-run"]).refused(2);
        assert_eq!(sandbox.snapshot(), stopped, "`sync {flag} --dry-run` changed the repository");
    }
    // `undo` while the sync is stopped: refused, pointing at the sync's own abort.
    let undo = sandbox.xtask().args(["undo"]).refused(1);
    assert_contains(&undo.stderr, "a sync of `feat/x` is not finished");
    assert_eq!(crate::support::hint_commands(&undo.stderr), ["cargo xtask sync --abort"]);
    let again = sandbox.xtask().args(["sync"]).refused(2);
    paste_hints(&sandbox, &sandbox.root, &again.stderr, &[("cargo xtask sync --continue", 1)]);
    assert!(!state_exists(&sandbox), "the abort left the state");
    assert_eq!(sandbox.snapshot(), before, "--abort did not put back exactly what was there");
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    assert_contains(&receipts, "sync of `feat/x` aborted");
}

/// The rebase a sync stopped at was ended by hand (`git rebase --abort`, as `pre-pr` once hinted
/// it) and the engineer committed more: `sync --abort` must not drop that commit. It refuses
/// with exit 1, changes nothing, and its pasted hint (`sync --continue`) syncs the branch with the
/// new commit kept and the stashed work back.
#[test]
fn sync_abort_never_drops_commits_made_after_the_rebase_was_ended_by_hand() {
    let (sandbox, _origin, _teammate) = diverged("rebase");
    sandbox.xtask().args(["sync"]).failure(1);
    sandbox.git(&["rebase", "--abort"]);
    sandbox.commit_file_in(&sandbox.root, "important.txt", "important\n", "feat: important work");
    let important = sandbox.git(&["rev-parse", "HEAD"]);
    let before = sandbox.snapshot();
    let refused = sandbox.xtask().args(["sync", "--abort"]).failure(1);
    assert_contains(&refused.stderr, "made since the sync stopped");
    assert_eq!(sandbox.snapshot(), before, "a refused --abort changed the repository");
    // The pasted `sync --continue` stops at the same conflict (shared.txt): resolve it as ours.
    paste_hints(&sandbox, &sandbox.root, &refused.stderr, &[("cargo xtask sync --continue", 1)]);
    sandbox.write("shared.txt", "mine\n");
    sandbox.git(&["add", "shared.txt"]);
    sandbox.xtask().args(["sync", "--continue"]).success();
    assert!(!state_exists(&sandbox), "the finished sync left its state");
    assert_eq!(sandbox.read("important.txt"), "important\n");
    let subjects = sandbox.git(&["log", "--format=%s", "origin/main..HEAD"]);
    assert_contains(&subjects, "feat: important work");
    assert_ne!(sandbox.git(&["rev-parse", "HEAD"]), important, "the branch was not synced onto main");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "the stashed work did not come back");
}

/// A sync killed before it stopped at a conflict (here right before its rebase onto main: a
/// kill mid-pick leaves the same state with a rebase in progress) is never "continued": plain
/// `sync` and `sync --continue` say it was interrupted and change nothing, and the pasted hints
/// (`--abort`, then `sync`) give back the branch and the work, then sync again (stopping at the
/// real conflict, exit 1). No commit of the branch is dropped.
#[test]
fn an_interrupted_sync_is_undone_never_continued() {
    use crate::support::killed_at;
    let (sandbox, _origin, _teammate) = diverged("rebase");
    let mine = sandbox.git(&["rev-parse", "HEAD"]);
    assert!(killed_at(sandbox.xtask().args(["sync"]), "sync:main"), "the run was not interrupted");
    let before = sandbox.snapshot();
    for args in [&["sync"][..], &["sync", "--continue"]] {
        let refused = sandbox.xtask().args(args).failure(1);
        assert_contains(&refused.stderr, "was interrupted");
        assert_eq!(sandbox.snapshot(), before, "{args:?} changed the repository");
    }
    let refused = sandbox.xtask().args(["sync", "--continue"]).failure(1);
    paste_hints(&sandbox, &sandbox.root, &refused.stderr, &[("cargo xtask sync --abort", 0), ("cargo xtask sync", 1)]);
    // The pasted `sync` stopped at the real conflict (shared.txt), as a sync does.
    assert_contains(&sandbox.xtask().args(["sync"]).failure(2).stderr, "stopped at a conflict");
    sandbox.xtask().args(["sync", "--abort"]).success();
    assert_eq!(sandbox.git(&["rev-parse", "feat/x"]), mine, "the branch lost or changed its commit");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "the stashed work is gone");
}

/// A sync that stops at a conflict in `Cargo.toml` itself (its settings now hold conflict
/// markers, no TOML at all) can still be aborted, exactly, and continued once resolved: the
/// settings are read from HEAD's `Cargo.toml` meanwhile, with a warning.
#[test]
fn a_conflict_in_the_manifest_can_be_aborted_and_continued() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    let manifest = sandbox.read("Cargo.toml");
    let with = |version: &str| manifest.replacen("version = \"0.1.0\"", &format!("version = \"{version}\""), 1);
    assert_ne!(with("0.2.0"), manifest, "the kit's Cargo.toml has no version line to change");
    sandbox.git(&["switch", "-q", "-c", "feat/x"]);
    sandbox.commit_file_in(&sandbox.root, "Cargo.toml", &with("0.2.0"), "feat: bump to 0.2");
    sandbox.commit_file_in(&teammate, "Cargo.toml", &with("0.3.0"), "feat: bump to 0.3");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    let before = sandbox.snapshot();
    let stopped = sandbox.xtask().args(["sync"]).failure(1);
    assert_contains(&stopped.stdout, "Cargo.toml");
    let aborted = sandbox.xtask().args(["sync", "--abort"]).success();
    assert_contains(&aborted.stderr, "conflict markers");
    assert_eq!(sandbox.snapshot(), before, "--abort did not put back exactly what was there");

    sandbox.xtask().args(["sync"]).failure(1);
    sandbox.write("Cargo.toml", &with("0.3.0"));
    sandbox.git(&["add", "Cargo.toml"]);
    sandbox.xtask().args(["sync", "--continue"]).success();
    assert!(!state_exists(&sandbox));
    assert_eq!(sandbox.read("Cargo.toml"), with("0.3.0"));
}

/// An interrupted sync (it never stopped at a conflict, so it cannot be continued) and a commit
/// made afterwards: `sync --abort` puts back what the sync did (the stash, main) and keeps the
/// commit on the branch, rather than refusing (its refusal would point to `--continue`, which
/// an interrupted sync refuses: a loop) or dropping it.
#[test]
fn aborting_an_interrupted_sync_keeps_commits_made_since() {
    use crate::support::killed_at;
    let (sandbox, _origin, _teammate) = diverged("rebase");
    assert!(killed_at(sandbox.xtask().args(["sync"]), "sync:main"), "the run was not interrupted");
    sandbox.commit_file_in(&sandbox.root, "important.txt", "important\n", "feat: important work");
    let important = sandbox.head();
    let out = sandbox.xtask().args(["sync", "--abort"]).success();
    assert_contains(&out.stdout, "keeps the 1 commit made since");
    assert_eq!(sandbox.head(), important, "the commit made since was dropped");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "the stashed work did not come back");
    assert!(!state_exists(&sandbox));
}

/// Worktrees of one clone share `.git/sop/`: a sync stopped in one is refused in another (plain,
/// `--continue`, `--abort`), changing nothing in either, and the pasted hint goes to its
/// worktree (there it stops at the conflict, still unresolved: exit 1). It used to rebase the
/// other worktree's branch and move the stashed work into it.
#[test]
fn a_sync_stopped_in_one_worktree_is_refused_in_another() {
    let (sandbox, _origin, _teammate) = diverged("rebase");
    sandbox.xtask().args(["sync"]).failure(1);
    let other = sandbox.root.parent().unwrap().join("other");
    sandbox.git(&["worktree", "add", "-q", "-b", "feat/other", other.to_str().unwrap(), "main"]);
    let before = sandbox.snapshot();
    let other_head = sandbox.git_in(&other, &["rev-parse", "HEAD"]);
    for args in [&["sync"][..], &["sync", "--continue"], &["sync", "--abort"]] {
        let refused = sandbox.xtask().current_dir(&other).args(args).failure(1);
        assert_contains(&refused.stderr, "is stopped in the worktree");
        assert_eq!(sandbox.snapshot(), before, "{args:?} in the other worktree changed this one");
        assert_eq!(sandbox.git_in(&other, &["rev-parse", "HEAD"]), other_head, "{args:?} moved the other branch");
        assert_eq!(
            sandbox.git_in(&other, &["status", "--porcelain"]),
            "",
            "{args:?} brought work into the other worktree"
        );
    }
    let refused = sandbox.xtask().current_dir(&other).args(["sync", "--abort"]).failure(1);
    crate::support::paste_every_hint(&sandbox, &other, &refused.stderr);
    assert!(!state_exists(&sandbox), "the pasted --abort did not end the sync in its worktree");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n");
}

/// On a local main that diverged from the remote's (a commit made on main, a teammate's push):
/// `sync` used to say "up to date" while its dry run planned a sync. Both now refuse with exit
/// 1, changing nothing, and the pasted hints move the commit to a branch of its own, put main
/// back on `origin/main`, and sync that branch.
#[test]
fn a_diverged_local_main_is_never_called_up_to_date() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.commit_file_in(&sandbox.root, "local.txt", "local\n", "docs: a note made on main");
    let mine = sandbox.head();
    sandbox.commit_file_in(&teammate, "news.txt", "news\n", "feat: news on main");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    let before = sandbox.snapshot();
    for args in [&["sync", "--dry-run"][..], &["sync"]] {
        let refused = sandbox.xtask().args(args).failure(1);
        assert_contains(&refused.stderr, "is never rebased");
        assert_eq!(sandbox.snapshot(), before, "{args:?} changed the repository");
    }
    let refused = sandbox.xtask().args(["sync"]).failure(1);
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert_eq!(sandbox.git(&["rev-parse", "main"]), sandbox.git(&["rev-parse", "origin/main"]));
    assert_ne!(sandbox.current_branch(), "main");
    assert!(sandbox.exists("local.txt") && sandbox.exists("news.txt"), "the branch was not synced onto main");
    assert_ne!(sandbox.head(), mine, "the branch was not rebased onto origin/main");
}

/// A disk that fills up as the sync writes its state: the error names the full disk and its hint
/// (which says nothing specific to the step, like most state writes) is the one every full disk
/// gets; nothing moved, no state is left, and the next sync runs.
#[test]
fn a_full_disk_at_the_state_is_named_with_a_hint() {
    let (sandbox, _origin, _teammate) = diverged("rebase");
    sandbox.git(&["fetch", "-q", "--prune", "origin"]);
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["sync"]).env("XTASK_TEST_DISK_FULL", "sync.json").failure(1);
    assert_contains(&out.stderr, "no space left on device");
    assert_contains(&out.stderr, "hint: the disk that holds the repository is full");
    assert_contains(&out.stderr, "hint: df -h .");
    assert_eq!(sandbox.snapshot(), before, "the full disk left the repository changed");
    assert!(!state_exists(&sandbox));
    sandbox.xtask().args(["sync"]).failure(1);
    assert!(state_exists(&sandbox), "the next sync did not run (it stops at the real conflict)");
}

/// On main, `sync` fast-forwards a stale local main; `--dry-run` changes nothing and its `next:`
/// line does what it previews; `--continue` with no stopped sync is refused, with a hint that works.
#[test]
fn sync_on_main_fast_forwards_and_previews_without_changing_anything() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.commit_file_in(&teammate, "news.txt", "news\n", "feat: news on main");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    sandbox.git(&["fetch", "-q", "origin"]);

    let nothing = sandbox.xtask().args(["sync", "--continue"]).refused(2);
    paste_every_hint(&sandbox, &sandbox.root, &nothing.stderr);
    assert_eq!(sandbox.read("news.txt"), "news\n", "the pasted `cargo xtask sync` did not sync main");

    sandbox.commit_file_in(&teammate, "more.txt", "more\n", "feat: more on main");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    let before = sandbox.snapshot();
    let preview = sandbox.xtask().args(["sync", "--dry-run"]).success();
    assert_eq!(sandbox.snapshot(), before, "--dry-run changed the repository");
    assert_contains(&preview.stdout, "fast-forward to `origin/main`");
    paste_every_hint(&sandbox, &sandbox.root, &preview.stdout);
    assert_eq!(sandbox.read("more.txt"), "more\n");
    assert_eq!(sandbox.git(&["rev-parse", "main"]), sandbox.git(&["rev-parse", "origin/main"]));
}

/// `sync` SIGKILLed at every point of a run (the tool's own named points, the state's writes):
/// each kill really interrupts the run, and afterwards either the stopped state is there and
/// `sync --abort` gives back exactly the repository as it was — the branch, the stale main,
/// the uncommitted change and the untracked file — or the sync had finished, with the work back.
#[test]
fn sync_killed_at_any_point_loses_nothing() {
    use crate::support::{killed_at, points_of};
    // No conflict with main here, so a whole run passes every point. Built once, then each kill
    // starts from a byte-for-byte copy (`Sandbox::cached`: clones, origin and uncommitted work).
    let scenario = || {
        let sandbox = Sandbox::cached("sync kill scenario", no_conflict_with_main);
        let origin = sandbox.root.parent().unwrap().join("origin.git");
        (sandbox, origin)
    };
    let (probe, _) = scenario();
    let trace = probe.root.parent().unwrap().join("points");
    probe.xtask().args(["sync"]).env("XTASK_TEST_POINTS", trace.to_str().unwrap()).success();
    let points = points_of(&trace);
    for expected in ["sync:saved", "sync:stashed", "sync:upstream", "sync:main", "sync:restore", "sync:cleared"] {
        assert!(points.iter().any(|p| p == expected), "no point {expected} in {points:?}");
    }
    for point in &points {
        let (sandbox, _origin) = scenario();
        let before = sandbox.snapshot();
        assert!(killed_at(sandbox.xtask().args(["sync"]), point), "{point}: the run was not interrupted");
        if state_exists(&sandbox) {
            sandbox.xtask().args(["sync", "--abort"]).success();
            assert_eq!(sandbox.snapshot(), before, "killed at {point}: --abort did not give back what was there");
        } else if sandbox.snapshot() != before {
            // Killed once the state was gone: the sync had finished, the work back in place.
            assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "killed at {point}: the work is gone");
            assert!(sandbox.exists("news.txt"), "killed at {point}: neither undone nor synced");
        }
    }
}

/// A sync stopped at a conflict, and the engineer edits another file meanwhile, unstaged: both
/// `--abort` (git's abort overwrote it) and `--continue` (git refused over it, and the failure
/// undid the sync, the resolution and the edit with it) refuse instead, changing nothing; the
/// hint's `git diff`, pasted, shows the edit. Once it is put aside, each goes through. The same
/// for `--abort` of a sync killed after git stopped at the conflict, before the sync recorded
/// the stop (its state says interrupted): no stash can be made over the conflict to keep the
/// edit in, so it refuses the same way.
#[test]
fn edits_made_during_a_stopped_sync_are_never_overwritten() {
    for (verb, recorded) in [("--abort", true), ("--continue", true), ("--abort", false)] {
        let (sandbox, _origin, _teammate) = diverged("rebase");
        sandbox.xtask().args(["sync"]).failure(1);
        if !recorded {
            let state = sandbox.read(".git/sop/sync.json");
            let interrupted = state.replace("\"stopped\": true", "\"stopped\": false");
            assert_ne!(state, interrupted, "the state does not record the stop:\n{state}");
            sandbox.write(".git/sop/sync.json", &interrupted);
        }
        if verb == "--continue" {
            sandbox.write("shared.txt", "resolved\n");
            sandbox.git(&["add", "shared.txt"]);
        }
        sandbox.write("README.md", &format!("{}an edit made during the stop\n", sandbox.read("README.md")));
        let before = sandbox.snapshot();
        let out = sandbox.xtask().args(["sync", verb]).failure(1);
        assert_contains(&out.stderr, "README.md");
        assert_eq!(sandbox.snapshot(), before, "{verb} changed something");
        let shown = crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
        assert_contains(&shown[0].stdout, "+an edit made during the stop");
        sandbox.git(&["checkout", "--", "README.md"]);
        sandbox.xtask().args(["sync", verb]).success();
        assert!(!state_exists(&sandbox), "{verb}: the sync did not end");
        assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "{verb}: the uncommitted work is not back");
    }
}

/// A sync stopped at a conflict with uncommitted work stashed (a tracked change, an untracked
/// `scratch.txt`), and the engineer makes `scratch.txt` again while resolving. `--continue` and
/// `--abort` used to put the tracked change back, fail over the untracked file, and say the work
/// "was not restored", with a `git stash apply` that failed when pasted. Proves each refuses
/// first, naming the file and changing nothing, and that its hint, pasted as printed, moves the
/// new copy aside into `.git/sop/aside/` and runs the same command again, which then ends the
/// sync with all the stashed work back and no stash left.
#[test]
fn an_untracked_file_made_again_during_a_stopped_sync_is_refused_before_the_stash_goes_back() {
    for verb in ["--continue", "--abort"] {
        let (sandbox, _origin, _teammate) = diverged("rebase");
        sandbox.xtask().args(["sync"]).failure(1);
        assert!(!sandbox.exists("scratch.txt"), "{verb}: the untracked file was not stashed");
        if verb == "--continue" {
            sandbox.write("shared.txt", "resolved\n");
            sandbox.git(&["add", "shared.txt"]);
        }
        sandbox.write("scratch.txt", "made during the stop\n");
        let before = sandbox.snapshot();
        let out = sandbox.xtask().args(["sync", verb]).failure(1);
        assert_contains(&out.stderr, "untracked file that is in the working tree again");
        assert_contains(&out.stderr, "`scratch.txt`");
        assert_eq!(sandbox.snapshot(), before, "{verb} changed something");
        assert!(state_exists(&sandbox), "{verb}: the sync ended");
        let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
        assert_eq!(pasted.len(), 2, "{verb}: {}", out.stderr);
        assert!(!state_exists(&sandbox), "{verb}: the sync did not end");
        assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "{verb}: the tracked change is not back");
        assert_eq!(sandbox.read("scratch.txt"), "untracked\n", "{verb}: the stash's untracked file is not back");
        assert_eq!(
            sandbox.read(".git/sop/aside/scratch.txt"),
            "made during the stop\n",
            "{verb}: the new copy is lost"
        );
        assert_eq!(sandbox.git(&["stash", "list"]), "", "{verb}: a stash was left");
    }
}

/// A sync killed after it stashed the uncommitted work (a tracked change, an untracked
/// `scratch.txt`); the engineer then makes `scratch.txt` again, and `--abort` goes back. Git puts
/// the tracked change back and stops at the untracked file. Proves the failure says what it is —
/// put back in part, all but `scratch.txt` — not "was not restored", and that its hint, pasted as
/// printed, moves the new copy aside and takes the stash's (the old `git stash apply` hint failed
/// over the changes already back).
#[test]
fn an_abort_that_puts_the_work_back_in_part_says_so_and_its_hint_finishes_it() {
    use crate::support::killed_at;
    let sandbox = no_conflict_with_main();
    assert!(killed_at(sandbox.xtask().args(["sync"]), "sync:stashed"), "the run was not interrupted");
    assert!(state_exists(&sandbox), "the kill came after the state was gone: the test proves nothing");
    assert!(!sandbox.exists("scratch.txt"), "the untracked file was not stashed");
    sandbox.write("scratch.txt", "made since\n");
    let out = sandbox.xtask().args(["sync", "--abort"]).failure(1);
    assert_contains(&out.stderr, "put back only in part: all but the untracked file `scratch.txt`");
    assert!(!out.stderr.contains("was not restored"), "{}", out.stderr);
    assert!(!state_exists(&sandbox), "the sync's state is left");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "the tracked change is not back");
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_eq!(sandbox.read("scratch.txt"), "untracked\n", "the stash's untracked file is not back");
    assert_eq!(sandbox.read(".git/sop/aside/scratch.txt"), "made since\n", "the new copy is lost");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n");
}

/// A sync killed after it put the uncommitted work back (its stash popped), before it forgot its
/// state; the engineer then goes on working. `sync --abort` puts the branch back around the
/// working tree's changes and keeps every one, those made after the kill included (it used to
/// reset the tree to the old commit, and they were gone for good). When a change made since is
/// in a file the sync brought in, the branch cannot go back around it: the abort ends the sync
/// where it got to (synced), says so (exit 1), and its hint shows what the sync brought in.
#[test]
fn a_sync_killed_after_putting_the_work_back_never_loses_work_made_since() {
    use crate::support::killed_at;
    for overlapping in [false, true] {
        let sandbox = no_conflict_with_main();
        let before = sandbox.head();
        assert!(killed_at(sandbox.xtask().args(["sync"]), "sync:restored"), "the run was not interrupted");
        assert!(state_exists(&sandbox), "the kill came after the state was gone: the test proves nothing");
        assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "the sync had not put the work back");
        sandbox.write("wip.txt", "uncommitted work\nand more since\n");
        if overlapping {
            sandbox.write("news.txt", "news, edited since\n");
            let out = sandbox.xtask().args(["sync", "--abort"]).failure(1);
            assert_contains(&out.stderr, "the branch stays synced");
            let shown = crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
            assert_contains(&shown[0].stdout, "feat: news on main");
            assert_eq!(sandbox.read("news.txt"), "news, edited since\n");
        } else {
            let out = sandbox.xtask().args(["sync", "--abort"]).success();
            assert_contains(&out.stdout, "stays in the working tree");
            assert_eq!(sandbox.head(), before, "the branch is not back where the sync started");
        }
        assert!(!state_exists(&sandbox), "the sync's state is left");
        assert_eq!(sandbox.read("wip.txt"), "uncommitted work\nand more since\n", "work made since was lost");
    }
}

/// `sync` killed after it rebased, its stash of the work not yet put back; the engineer then
/// edits tracked files (one the sync brought in, one the branch had, the stashed one), and
/// `--abort` goes back. It used to reset over those edits, losing them. Proves the branch and
/// the stashed work come back, the edits are kept in a stash entry of their own, and the
/// warning's hint, pasted as printed, shows them.
#[test]
fn an_abort_after_a_killed_sync_keeps_the_edits_made_since() {
    use crate::support::killed_at;
    let sandbox = no_conflict_with_main();
    let before = sandbox.head();
    assert!(killed_at(sandbox.xtask().args(["sync"]), "sync:restore"), "the run was not interrupted");
    assert!(state_exists(&sandbox), "the kill came after the state was gone: the test proves nothing");
    assert_eq!(sandbox.read("wip.txt"), "committed\n", "the stashed work was already back");
    sandbox.write("news.txt", "news, edited since\n");
    sandbox.write("shared.txt", "mine, edited since\n");
    sandbox.write("wip.txt", "committed, edited since\n");
    let out = sandbox.xtask().args(["sync", "--abort"]).success();
    assert_contains(&out.stderr, "news.txt, shared.txt, wip.txt; they are kept in the stash entry");
    assert_eq!(sandbox.head(), before, "the branch is not back where the sync started");
    assert!(!state_exists(&sandbox), "the sync's state is left");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "the stashed work is not back");
    let shown = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_eq!(shown.len(), 1, "{}", out.stderr);
    for edit in ["+news, edited since", "+mine, edited since", "+committed, edited since"] {
        assert_contains(&shown[0].stdout, edit);
    }
}

/// The branch was pushed and squash-merged into main; a teammate then pushed a follow-up to the
/// branch, and this clone made one more commit. `sync` brings in the follow-up and rebases onto
/// main (the squashed commits drop out), so the branch holds all the remote's work: its push is
/// `--force-with-lease`, not a `pull --rebase` that would replay main's squash onto the old
/// commits and stop in a conflict. Pasted as printed, it pushes exactly the synced branch.
#[test]
fn after_a_squash_merge_and_a_teammates_follow_up_the_push_is_a_lease() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    sandbox.git(&["switch", "-q", "-c", "fix/thing"]);
    sandbox.commit_file_in(&sandbox.root, "a.txt", "a\n", "fix: thing A");
    sandbox.commit_file_in(&sandbox.root, "a2.txt", "a2\n", "fix: thing A2");
    sandbox.git(&["push", "-q", "-u", "origin", "fix/thing"]);
    let mate = sandbox.clone_of(&origin, "mate");
    let team = |args: &[&str]| sandbox.git_in(&mate, args);
    team(&["merge", "-q", "--squash", "origin/fix/thing"]);
    team(&["commit", "-q", "-m", "fix: thing (#1)"]);
    team(&["push", "-q", "origin", "main"]);
    team(&["switch", "-q", "-c", "fix/thing", "--track", "origin/fix/thing"]);
    sandbox.commit_file_in(&mate, "follow.txt", "follow-up\n", "fix: a teammate's follow-up");
    team(&["push", "-q", "origin", "fix/thing"]);
    sandbox.commit_file_in(&sandbox.root, "c.txt", "c\n", "fix: local C");

    let out = sandbox.xtask().args(["sync"]).success();
    let next = next_lines(&out.stdout);
    let lease = sandbox.git(&["rev-parse", "origin/fix/thing"]);
    let push = format!("git push --force-with-lease=refs/heads/fix/thing:{} -u origin fix/thing", lease.trim());
    assert_eq!(next, [push], "{}", out.stdout);
    paste_every_hint(&sandbox, &sandbox.root, &out.stdout);
    let remote = sandbox.git_in(&origin, &["log", "--format=%s", "fix/thing"]);
    for subject in ["fix: local C", "fix: a teammate's follow-up", "fix: thing (#1)"] {
        assert_contains(&remote, subject);
    }
    assert!(!remote.contains("fix: thing A2"), "the squashed commits are still on the branch:\n{remote}");
}

/// This clone's `feat/sq` (two commits, one to `notes.md`), pushed and squash-merged into main by
/// a teammate, who then changed the same lines of `notes.md` on main again and either deleted the
/// branch on the origin or, with `follow_up`, pushed a follow-up commit to it. Fetched, with main
/// brought up to date: what the sync's own fetch and fast-forward would move is already there.
fn squash_merged_then_main_changed(follow_up: bool) -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.write("notes.md", "base\n");
    sandbox.commit_all("chore: notes");
    let origin = sandbox.with_origin();
    sandbox.git(&["switch", "-q", "-c", "feat/sq"]);
    sandbox.commit_file_in(&sandbox.root, "a.txt", "a\n", "feat: a");
    sandbox.commit_file_in(&sandbox.root, "notes.md", "base\nb\n", "feat: b");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/sq"]);
    let mate = sandbox.clone_of(&origin, "mate");
    let team = |args: &[&str]| sandbox.git_in(&mate, args);
    team(&["merge", "-q", "--squash", "origin/feat/sq"]);
    team(&["commit", "-q", "--no-verify", "-m", "feat: sq (#1)"]);
    sandbox.commit_file_in(&mate, "notes.md", "base\nb\nmore\n", "docs: more notes");
    team(&["push", "-q", "origin", "main"]);
    if follow_up {
        team(&["switch", "-q", "-c", "feat/sq", "--track", "origin/feat/sq"]);
        sandbox.commit_file_in(&mate, "follow.txt", "follow-up\n", "feat: a teammate's follow-up");
        team(&["push", "-q", "origin", "feat/sq"]);
    } else {
        team(&["push", "-q", "origin", "--delete", "feat/sq"]);
    }
    sandbox.git(&["fetch", "-q", "--prune", "origin"]);
    sandbox.git(&["branch", "-f", "main", "origin/main"]);
    sandbox
}

/// [`squash_merged_then_main_changed`], with an untracked file here. `sync` used to rebase the
/// squashed commits onto main and stop at a conflict, asking to resolve work main already had
/// (while `prune` called the branch squash-merged). Proves the sync judges the branch by
/// `prune`'s own rules before it rebases: it (and its `--dry-run`) says the work is already
/// there, leaves the repository byte-identical (no conflict, no stash, no state), and its
/// `next:` lines, pasted as printed, switch to main and delete the branch. With a teammate's
/// follow-up pushed to the branch instead, the branch holds work main lacks, and the sync goes on
/// as always: it brings the follow-up in and stops at the conflict.
#[test]
fn a_squash_merged_branch_main_changed_since_is_pointed_to_prune_without_a_conflict() {
    for follow_up in [false, true] {
        let sandbox = squash_merged_then_main_changed(follow_up);
        sandbox.write("scratch.txt", "untracked\n");
        if follow_up {
            let stopped = sandbox.xtask().args(["sync"]).failure(1);
            assert_contains(&stopped.stdout, "Conflicts with `origin/main` in:\n    notes.md");
            assert!(!stopped.stdout.contains("prune"), "{}", stopped.stdout);
            let log = sandbox.git(&["log", "--format=%s", "refs/heads/feat/sq"]);
            assert_contains(&log, "feat: a teammate's follow-up");
            sandbox.xtask().args(["sync", "--abort"]).success();
            continue;
        }
        let pruned = sandbox.xtask().args(["prune", "--dry-run"]).success();
        assert_contains(&pruned.stdout, "feat/sq (squash-merged)");
        let before = sandbox.snapshot();
        let planned = sandbox.xtask().args(["sync", "--dry-run"]).success();
        assert_contains(&planned.stdout, "its work is already in `origin/main` (squash-merged)");
        let out = sandbox.xtask().args(["sync"]).success();
        assert_contains(
            &out.stdout,
            "`feat/sq` has no work of its own beyond `origin/main`: its work is already there (squash-merged)",
        );
        assert_eq!(next_lines(&out.stdout), ["git switch main", "cargo xtask prune --yes"], "{}", out.stdout);
        assert_eq!(sandbox.snapshot(), before, "the sync changed something");
        assert!(!state_exists(&sandbox), "a sync state was left");
        let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stdout);
        assert_contains(&pasted[1].stdout, "Deleted feat/sq");
        assert_eq!(sandbox.current_branch(), "main");
        assert_eq!(sandbox.git(&["branch", "--list", "feat/sq"]), "");
        assert_eq!(sandbox.read("scratch.txt"), "untracked\n");
    }
}

/// The same, with an uncommitted edit to `notes.md`, the file main changed since: left on the
/// branch's old tree, `git switch main` refuses to carry it. Proves the sync still changes
/// nothing, and that its `next:` lines set the work aside in a stash of its own first, so that,
/// pasted as printed, each succeeds: the branch is deleted and the edit is kept in that stash.
#[test]
fn a_squash_merged_branch_with_uncommitted_work_is_pointed_to_prune_through_a_stash() {
    let sandbox = squash_merged_then_main_changed(false);
    sandbox.write("notes.md", "base\nb\nmine, uncommitted\n");
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["sync"]).success();
    assert_contains(&out.stdout, "your uncommitted work set aside in the stash first");
    let next = next_lines(&out.stdout);
    assert_eq!(next.len(), 3, "{}", out.stdout);
    assert_contains(&next[0], "git stash push --include-untracked -m");
    assert_eq!(next[1..], ["git switch main", "cargo xtask prune --yes"], "{}", out.stdout);
    assert_eq!(sandbox.snapshot(), before, "the sync changed something");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stdout);
    assert_contains(&pasted[2].stdout, "Deleted feat/sq");
    assert_eq!(sandbox.current_branch(), "main");
    assert_contains(&sandbox.git(&["stash", "list"]), "uncommitted work from feat/sq");
    assert_contains(&sandbox.git(&["stash", "show", "-p"]), "+mine, uncommitted");
}

/// The same sync; then, before its `next:` push is pasted, the teammate pushes one more commit to
/// the branch and this clone fetches (as `prune` or any `git fetch` does). The bare
/// `--force-with-lease` it printed leased on whatever was fetched last and overwrote that commit.
/// Proves the printed lease names the commit the sync brought in: pasted as printed, git refuses
/// the push (exit 1), and the teammate's late commit stays on the remote.
#[test]
fn a_sync_push_pasted_after_a_teammates_later_push_and_a_fetch_never_drops_it() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    sandbox.git(&["switch", "-q", "-c", "feat/t"]);
    sandbox.commit_file_in(&sandbox.root, "t.txt", "t\n", "feat: t");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/t"]);
    let mate = sandbox.clone_of(&origin, "mate");
    let team = |args: &[&str]| sandbox.git_in(&mate, args);
    team(&["switch", "-q", "feat/t"]);
    sandbox.commit_file_in(&mate, "mate.txt", "mate\n", "feat: the teammate's commit");
    team(&["push", "-q", "origin", "feat/t"]);
    team(&["switch", "-q", "main"]);
    sandbox.commit_file_in(&mate, "news.txt", "news\n", "feat: news on main");
    team(&["push", "-q", "origin", "main"]);
    sandbox.commit_file_in(&sandbox.root, "mine.txt", "mine\n", "feat: mine");

    let out = sandbox.xtask().args(["sync"]).success();
    let next = next_lines(&out.stdout);
    assert_eq!(next.len(), 1, "{}", out.stdout);
    assert_contains(&next[0], "--force-with-lease=");
    team(&["switch", "-q", "feat/t"]);
    sandbox.commit_file_in(&mate, "late.txt", "late\n", "feat: the teammate's late commit");
    team(&["push", "-q", "origin", "feat/t"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    paste_hints(&sandbox, &sandbox.root, &out.stdout, &[("git push", 1)]);
    let remote = sandbox.git_in(&origin, &["log", "--format=%s", "feat/t"]);
    assert_contains(&remote, "feat: the teammate's late commit");
}

/// This clone's `fix/typo`, pushed, with the commits `commits` writes (`(file, content, subject)`);
/// a teammate then lands `main_first` on main and the forge rebase-merges the branch's work as
/// `merged` (files and contents on top of main) and deletes the remote branch. `strategy` is this
/// clone's `sync_strategy`.
pub(crate) fn rebase_merged_on_the_forge(
    strategy: &str,
    commits: &[(&str, &str, &str)],
    main_first: (&str, &str),
    merged: &[(&str, &str)],
) -> Sandbox {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox
        .read("Cargo.toml")
        .replace("[workspace.metadata.sop]\n", &format!("[workspace.metadata.sop]\nsync_strategy = \"{strategy}\"\n"));
    sandbox.write("Cargo.toml", &manifest);
    sandbox.write("typo.txt", "base\n");
    sandbox.commit_all("chore: a file with a typo");
    let origin = sandbox.with_origin();
    let forge = sandbox.clone_of(&origin, "forge");
    sandbox.git(&["switch", "-q", "-c", "fix/typo"]);
    for (file, content, subject) in commits {
        sandbox.commit_file_in(&sandbox.root, file, content, subject);
    }
    sandbox.git(&["push", "-q", "-u", "origin", "fix/typo"]);
    sandbox.commit_file_in(&forge, main_first.0, main_first.1, "docs: a teammate's change on main");
    for (file, content) in merged {
        std::fs::write(forge.join(file), content).unwrap();
    }
    sandbox.git_in(&forge, &["add", "-A"]);
    sandbox.git_in(&forge, &["commit", "-q", "--no-verify", "-m", "fix: the typo (rebase-merged)"]);
    sandbox.git_in(&forge, &["push", "-q", "origin", "main"]);
    sandbox.git_in(&forge, &["push", "-q", "origin", "--delete", "fix/typo"]);
    sandbox
}

/// After sync, a branch whose work is already in main: it says so, prints no push (which would
/// re-create the deleted remote branch), and its `next:` lines, pasted as printed, switch to main
/// and delete the branch, which then exists nowhere.
fn assert_done_and_pruned(sandbox: &Sandbox, out: &crate::support::Outcome, strategy: &str) {
    // Found before the sync moved the branch ("no work of its own"), or after ("no commits").
    assert_contains(&out.stdout, "of its own beyond `origin/main`: its work is already there");
    assert_eq!(next_lines(&out.stdout), ["git switch main", "cargo xtask prune --yes"], "{strategy}: {}", out.stdout);
    let pasted = paste_every_hint(sandbox, &sandbox.root, &out.stdout);
    assert_contains(&pasted[1].stdout, "Deleted fix/typo");
    assert_eq!(sandbox.current_branch(), "main");
    assert_eq!(sandbox.git(&["branch", "--list", "fix/typo"]), "", "{strategy}: the branch is still here");
    let remote = sandbox.git(&["ls-remote", "--heads", "origin"]);
    assert!(!remote.contains("fix/typo"), "{strategy}: the remote branch was re-created: {remote}");
    assert_contains(&sandbox.git(&["log", "--format=%s", "main"]), "fix: the typo (rebase-merged)");
}

/// The branch's PR was rebase-merged on the forge (its commit copied onto main, the remote branch
/// deleted): `sync` finds its work in main before it rebases or merges, fast-forwards main, and,
/// for both strategies, points to `prune` instead of a push.
#[test]
fn after_a_rebase_merge_sync_points_to_prune_not_to_a_push() {
    for strategy in ["rebase", "merge"] {
        let sandbox = rebase_merged_on_the_forge(
            strategy,
            &[("typo.txt", "fixed\n", "fix: the typo")],
            ("news.txt", "news\n"),
            &[("typo.txt", "fixed\n")],
        );
        let out = sandbox.xtask().args(["sync"]).success();
        assert!(!out.stdout.contains("git push"), "{strategy}: {}", out.stdout);
        assert_done_and_pruned(&sandbox, &out, strategy);
    }
}

/// The same, where the forge's copy differs from the branch's commits (main changed the same
/// line first, and the merge reworded it), so no rule can prove the work is in main: `sync`
/// stops at the conflicts, the engineer keeps main's version, and `sync --continue` ends with
/// nothing of the branch's own left: it points to `prune`.
#[test]
fn a_sync_continued_to_nothing_of_its_own_points_to_prune() {
    let sandbox = rebase_merged_on_the_forge(
        "rebase",
        &[("typo.txt", "a\n", "fix: the typo, a"), ("typo.txt", "b\n", "fix: the typo, b")],
        ("typo.txt", "main's\n"),
        &[("typo.txt", "b, as merged\n")],
    );
    let stopped = sandbox.xtask().args(["sync"]).failure(1);
    assert_contains(&stopped.stdout, "Conflicts with `origin/main` in:\n    typo.txt");
    // Each of the branch's two commits stops at the same line: main's version is kept each time.
    sandbox.write("typo.txt", "b, as merged\n");
    sandbox.git(&["add", "typo.txt"]);
    let again = sandbox.xtask().args(["sync", "--continue"]).failure(1);
    assert_contains(&again.stdout, "Conflicts with `origin/main` in:\n    typo.txt");
    sandbox.write("typo.txt", "b, as merged\n");
    sandbox.git(&["add", "typo.txt"]);
    let out = sandbox.xtask().args(["sync", "--continue"]).success();
    assert!(!out.stdout.contains("git push"), "{}", out.stdout);
    assert_eq!(sandbox.git(&["rev-list", "--count", "origin/main..HEAD"]).trim(), "0");
    assert_done_and_pruned(&sandbox, &out, "rebase");
}

/// A branch created but not worked on yet, fast-forwarded by `sync` to a teammate's newer main,
/// has nothing to push and nothing to prune: no `next:` line, and the branch stays.
#[test]
fn a_branch_with_no_commits_yet_has_nothing_to_push_after_sync() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let mate = sandbox.clone_of(&origin, "mate");
    sandbox.xtask().args(["branch", "fix", "later"]).success();
    sandbox.commit_file_in(&mate, "news.txt", "news\n", "docs: a teammate's change on main");
    sandbox.git_in(&mate, &["push", "-q", "origin", "main"]);
    let out = sandbox.xtask().args(["sync"]).success();
    assert_contains(&out.stdout, "`fix/later` has no commits of its own yet: nothing to push");
    assert_eq!(next_lines(&out.stdout), Vec::<String>::new(), "{}", out.stdout);
    assert!(sandbox.exists("news.txt"));
    assert_eq!(sandbox.current_branch(), "fix/later");
}

/// The team's settings name a remote this clone calls otherwise (`remote = "upstream"`, the
/// clone's `origin`): `sync` used to say "up to date" against a main nobody fetched. It refuses
/// with the repository byte-identical, and its hint, pasted, adds the configured name for the
/// same repository, after which `sync` brings in the teammate's commit.
#[test]
fn a_remote_the_clone_calls_otherwise_is_refused_with_a_pasteable_fix() {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox
        .read("Cargo.toml")
        .replace("[workspace.metadata.sop]\n", "[workspace.metadata.sop]\nremote = \"upstream\"\n");
    sandbox.write("Cargo.toml", &manifest);
    sandbox.commit_all("chore: the team's remote is upstream");
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.git(&["switch", "-q", "-c", "feat/x"]);
    sandbox.commit_file_in(&sandbox.root, "mine.txt", "mine\n", "feat: my change");
    sandbox.commit_file_in(&teammate, "theirs.txt", "theirs\n", "fix: a teammate's change");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);

    let out = sandbox.xtask().args(["sync"]).refused(1);
    assert_contains(&out.stderr, "no remote `upstream` is configured in this clone");
    assert!(!out.stdout.contains("up to date"), "{}", out.stdout);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    sandbox.xtask().args(["sync"]).success();
    assert!(sandbox.exists("theirs.txt"), "the teammate's commit was not brought in");
}

/// A damaged index (`.git/index` cut short, as a crash mid-write leaves it) is named for what it
/// is by every command that meets it — `sync` blamed the network — and the one hint, pasted as
/// printed, rebuilds it from HEAD with the working tree's files kept; then `sync` and `check` run.
#[test]
fn a_damaged_index_is_named_and_its_hint_rebuilds_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.with_origin();
    sandbox.git(&["switch", "-q", "-c", "feat/x"]);
    sandbox.commit_file_in(&sandbox.root, "mine.txt", "mine\n", "feat: my change");
    sandbox.write("mine.txt", "mine, edited\n");
    let index = std::fs::read(sandbox.path(".git/index")).unwrap();
    std::fs::write(sandbox.path(".git/index"), &index[..30]).unwrap();

    for args in [&["sync"][..], &["check"], &["new-addon", "pager", "--yes"]] {
        let out = sandbox.xtask().args(args).run();
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        assert_contains(&out.stderr, "hint: the index (`.git/index`, what is staged) is damaged");
        assert!(!out.stderr.contains("network"), "{args:?}: {}", out.stderr);
    }
    let out = sandbox.xtask().args(["sync", "--json"]).run();
    assert_contains(out.json()["hint"].as_str().unwrap(), "git reset -q");
    paste_every_hint(&sandbox, &sandbox.root, &sandbox.xtask().args(["sync"]).run().stderr);
    assert_eq!(sandbox.read("mine.txt"), "mine, edited\n", "the working tree's file is kept");
    sandbox.xtask().args(["sync"]).success();
    let check = sandbox.xtask().args(["check"]).run();
    assert!(!check.stderr.contains("damaged"), "{}", check.stderr);
    assert_eq!(sandbox.git(&["status", "--porcelain"]), " M mine.txt\n");
}

/// `pre-pr` on a branch whose pull request was rebase-merged on the forge: its sync finds the
/// commit in main, and the stop says the work is already there and, pasted as printed, switches
/// to main and prunes the branch (it pointed to `status --all`).
#[test]
fn pre_pr_on_a_merged_branch_points_to_prune() {
    let sandbox = rebase_merged_on_the_forge(
        "rebase",
        &[("typo.txt", "fixed\n", "fix: the typo")],
        ("news.txt", "news\n"),
        &[("typo.txt", "fixed\n")],
    );
    let out = sandbox.xtask().args(["pre-pr"]).run();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_contains(&out.stderr, "its work is already in `origin/main`");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_contains(&pasted[1].stdout, "Deleted fix/typo");
    assert_eq!(sandbox.current_branch(), "main");
    assert_eq!(sandbox.git(&["branch", "--list", "fix/typo"]), "");
}

/// `sync` run in a linked worktree, while main is checked out in the main clone: it must leave
/// main where it is (moving it staged the reverse of a teammate's commit in the main clone, which
/// its next commit then made), and `prune` there must not offer to delete the branch the main
/// clone has checked out. The linked worktree's own branch is synced as always.
#[test]
fn a_linked_worktree_never_moves_the_branch_the_main_clone_has_checked_out() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let linked = sandbox.root.parent().unwrap().join("linked");
    sandbox.git(&["worktree", "add", "-q", "-b", "fix/y", linked.to_str().unwrap(), "main"]);
    sandbox.commit_file_in(&linked, "y.txt", "y\n", "fix: y");
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.commit_file_in(&teammate, "t.txt", "t\n", "docs: a teammate's file");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    let main_before = sandbox.git(&["rev-parse", "main"]);

    sandbox.xtask().current_dir(&linked).args(["sync"]).success();
    assert_eq!(sandbox.git(&["rev-parse", "main"]), main_before, "main moved under the main clone");
    assert_eq!(sandbox.git(&["status", "--porcelain"]), "", "the main clone's index was changed");
    assert!(linked.join("t.txt").exists(), "the linked worktree's branch did not get the teammate's commit");

    // A merged branch checked out in the main clone is kept, and said so, from the linked one.
    sandbox.git(&["switch", "-q", "-c", "fix/m"]);
    let preview = sandbox.xtask().current_dir(&linked).args(["prune", "--dry-run"]).run();
    assert!(!preview.stdout.contains("Would delete fix/m"), "{}", preview.stdout);
    sandbox.xtask().current_dir(&linked).args(["prune", "--yes"]).run();
    assert_eq!(sandbox.current_branch(), "fix/m", "prune deleted the main clone's branch");
}

/// `fix/b` rebased by hand onto `fix/a`, stopped at their conflict in `shared.txt`: an operation
/// git has in progress that no sync started.
fn rebase_started_by_hand() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/a"]);
    sandbox.commit_file_in(&sandbox.root, "shared.txt", "a\n", "fix: a");
    sandbox.git(&["switch", "-q", "-c", "fix/b", "main"]);
    sandbox.commit_file_in(&sandbox.root, "shared.txt", "b\n", "fix: b");
    let status = sandbox.git_command(&sandbox.root).args(["rebase", "fix/a"]).output().unwrap().status;
    assert!(!status.success(), "the rebase should stop on the conflict");
    sandbox
}

/// A rebase started by hand: `sync --abort` and `sync --continue` have no stopped sync to act on,
/// and hint git's own abort and continue, never `cargo xtask sync` (which refuses while the rebase
/// is in progress). Pasted as printed, the abort puts `fix/b` back where it was; the continue,
/// once the conflict is resolved and staged, finishes the rebase onto `fix/a`.
#[test]
fn continue_or_abort_with_a_rebase_started_by_hand_hint_gits_own_commands() {
    let sandbox = rebase_started_by_hand();
    let before = sandbox.git(&["rev-parse", "fix/b"]);
    let abort = sandbox.xtask().args(["sync", "--abort"]).refused(2);
    assert_contains(&abort.stderr, "there is no stopped sync to abort; the rebase in progress was started with git");
    assert_eq!(crate::support::hint_commands(&abort.stderr), ["git rebase --abort"]);
    paste_every_hint(&sandbox, &sandbox.root, &abort.stderr);
    assert_eq!(sandbox.current_branch(), "fix/b", "the pasted abort did not go back to the branch");
    assert_eq!(sandbox.git(&["rev-parse", "fix/b"]), before, "the pasted abort moved the branch");
    assert_eq!(sandbox.read("shared.txt"), "b\n");

    let sandbox = rebase_started_by_hand();
    let resume = sandbox.xtask().args(["sync", "--continue"]).refused(2);
    assert_contains(&resume.stderr, "there is no stopped sync to continue; the rebase in progress");
    assert_eq!(crate::support::hint_commands(&resume.stderr), ["git rebase --continue"]);
    sandbox.write("shared.txt", "a and b\n");
    sandbox.git(&["add", "shared.txt"]);
    // The engineer's editor, accepting the commit message as it is (the sandbox has no terminal).
    sandbox.git(&["config", "core.editor", "true"]);
    paste_every_hint(&sandbox, &sandbox.root, &resume.stderr);
    assert_eq!(sandbox.current_branch(), "fix/b", "the pasted continue did not finish the rebase");
    assert_eq!(sandbox.git(&["rev-parse", "fix/b~1"]), sandbox.git(&["rev-parse", "fix/a"]));
}

/// A sync stopped at a conflict, with the uncommitted work in its stash: `pre-pr`, `branch`,
/// `new-addon` and `hotfix` refuse while its rebase is in progress, and hint the sync's own
/// `--continue` and `--abort`, never git's `rebase --abort` (which leaves the work in the stash and
/// the state behind). Pasted as printed from `pre-pr`'s refusal: the continue refuses the conflict
/// still unresolved (exit 1, nothing changed), and the abort brings the work back and ends the sync.
#[test]
fn commands_refused_during_a_stopped_sync_hint_the_syncs_own_commands() {
    let (sandbox, _origin, _teammate) = diverged("rebase");
    sandbox.xtask().args(["sync"]).failure(1);
    let own = ["cargo xtask sync --continue", "cargo xtask sync --abort"];
    for args in [
        &["branch", "fix", "other", "--dry-run"][..],
        &["new-addon", "probe", "--dry-run"],
        &["hotfix", "urgent", "--dry-run"],
    ] {
        let out = sandbox.xtask().args(args.iter().copied()).refused(1);
        assert_contains(&out.stderr, "a sync of `feat/x` stopped at a conflict and is not finished");
        assert_eq!(crate::support::hint_commands(&out.stderr), own, "{args:?}");
    }
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "a sync of `feat/x` stopped at a conflict and is not finished");
    assert_eq!(crate::support::hint_commands(&out.stderr), own);
    paste_hints(&sandbox, &sandbox.root, &out.stderr, &[("cargo xtask sync --continue", 1)]);
    assert!(!state_exists(&sandbox), "the pasted abort left the state");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "the pasted abort did not bring the work back");
    assert_eq!(sandbox.git(&["stash", "list"]), "", "the work was left in the stash");
}

/// A detached HEAD with a commit of its own (on no branch): `sync` hints a branch named from the
/// commit, as `pre-pr` does, never `git switch main` (which would leave the commit behind); pasted,
/// the commit is on `fix/work-done-detached` and that branch syncs. Detached at a commit a branch
/// holds, there is nothing to keep, and the hint goes back to main.
#[test]
fn sync_on_a_detached_head_keeps_its_commits_on_a_branch() {
    let sandbox = Sandbox::with_kit();
    sandbox.with_origin();
    sandbox.git(&["switch", "-q", "--detach", "origin/main"]);
    let none_of_its_own = sandbox.xtask().args(["sync"]).refused(2);
    assert_eq!(crate::support::hint_commands(&none_of_its_own.stderr), ["git switch main"]);

    sandbox.write("w.txt", "work\n");
    let work = sandbox.commit_all("fix: work done detached");
    let out = sandbox.xtask().args(["sync"]).refused(2);
    assert_contains(&out.stderr, "with commits on no branch");
    assert_eq!(
        crate::support::hint_commands(&out.stderr),
        ["git switch -c fix/work-done-detached", "cargo xtask sync"]
    );
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_eq!(sandbox.current_branch(), "fix/work-done-detached");
    assert_eq!(sandbox.head(), work, "the commit is not on the new branch");

    sandbox.git(&["switch", "-q", "--detach", "main"]);
    let back = sandbox.xtask().args(["sync"]).refused(2);
    paste_every_hint(&sandbox, &sandbox.root, &back.stderr);
    assert_eq!(sandbox.current_branch(), "main");
}

/// The squash-merged branch of [`a_squash_merged_branch_main_changed_since_is_pointed_to_prune_without_a_conflict`],
/// given to `pre-pr`: it predicted a conflict (replaying work main already had) and hinted a
/// sync. Proves `pre-pr` judges the branch by `prune`'s rule first: it refuses (exit 1), changes
/// nothing, and its hints, pasted as printed, switch to main and delete the branch.
#[test]
fn pre_pr_on_a_squash_merged_branch_main_changed_since_points_to_prune() {
    let sandbox = squash_merged_then_main_changed(false);
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_contains(
        &out.stderr,
        "`feat/sq` has no work `origin/main` lacks: its work is already there (squash-merged)",
    );
    assert_eq!(sandbox.snapshot(), before, "the refused pre-pr changed something");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_contains(&pasted[pasted.len() - 1].stdout, "Deleted feat/sq");
    assert_eq!(sandbox.current_branch(), "main");
}

/// A sync stopped at a conflict; the engineer resolves it, and edits and stages another file
/// (as the refusal over unstaged edits used to advise). `sync --abort` went back through git's
/// abort, which dropped the staged edit without a word. Proves the abort now keeps it in a stash
/// entry of its own, says so, and the hint, pasted as printed, shows it; the branch and the
/// uncommitted work from before the sync are back.
#[test]
fn an_abort_after_a_stop_keeps_an_edit_staged_since() {
    let (sandbox, _origin, _teammate) = diverged("rebase");
    let before = sandbox.head();
    sandbox.xtask().args(["sync"]).failure(1);
    sandbox.write("shared.txt", "resolved\n");
    sandbox.write("README.md", &format!("{}an edit staged during the stop\n", sandbox.read("README.md")));
    sandbox.git(&["add", "shared.txt", "README.md"]);
    let out = sandbox.xtask().args(["sync", "--abort"]).success();
    assert_contains(&out.stderr, "README.md");
    assert_contains(&out.stderr, "they are kept in the stash entry");
    assert_eq!(sandbox.head(), before, "the branch is not back where the sync started");
    assert_eq!(sandbox.read("wip.txt"), "uncommitted work\n", "the uncommitted work is not back");
    let shown = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_contains(&shown[0].stdout, "+an edit staged during the stop");
}
