//! `cargo xtask prune` with a team: a bare origin, this clone and a teammate's. The teammate
//! lands this clone's branches the three ways a forge does (a merge commit, a squash, a rebase)
//! and pushes to one of them afterwards; `prune` must delete exactly the branches whose work is
//! in main, here and on the origin, keep every branch holding a commit main lacks, and every
//! hint it prints must do what it says when pasted.

use std::path::{Path, PathBuf};

use crate::support::{assert_contains, hint_commands, paste_every_hint, Sandbox};

fn team() -> (Sandbox, PathBuf, PathBuf) {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    (sandbox, origin, teammate)
}

/// A branch of `commits` commits (each a line of `path`) cut from main and pushed with upstream.
fn pushed_branch(sandbox: &Sandbox, name: &str, path: &str, commits: usize) {
    sandbox.git(&["switch", "-q", "-c", name, "main"]);
    let mut text = String::new();
    for n in 1..=commits {
        text.push_str(&format!("{name} line {n}\n"));
        sandbox.commit_file_in(&sandbox.root, path, &text, &format!("feat: {name} part {n}"));
    }
    sandbox.git(&["push", "-q", "-u", "origin", name]);
    sandbox.git(&["switch", "-q", "main"]);
}

/// The teammate brings `origin/<name>` into main the way `how` says, and pushes main.
fn land(sandbox: &Sandbox, teammate: &Path, name: &str, how: &str) {
    let git = |args: &[&str]| sandbox.git_in(teammate, args);
    git(&["fetch", "-q", "origin"]);
    git(&["switch", "-q", "main"]);
    git(&["merge", "-q", "--ff-only", "origin/main"]);
    let remote = format!("origin/{name}");
    match how {
        "merge" => drop(git(&["merge", "-q", "--no-ff", "--no-edit", &remote])),
        "squash" => {
            git(&["merge", "-q", "--squash", &remote]);
            git(&["commit", "-q", "--no-verify", "-m", &format!("feat: {name} (#1)")]);
        }
        "rebase" => drop(git(&["cherry-pick", &format!("main..{remote}")])),
        _ => unreachable!(),
    }
    git(&["push", "-q", "origin", "main"]);
}

fn local_branches(sandbox: &Sandbox) -> Vec<String> {
    sandbox.git(&["for-each-ref", "--format=%(refname:short)", "refs/heads"]).lines().map(str::to_string).collect()
}

fn origin_branches(sandbox: &Sandbox, origin: &Path) -> Vec<String> {
    sandbox
        .git_in(origin, &["for-each-ref", "--format=%(refname:short)", "refs/heads"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// The whole team scenario, step by step:
/// - without a terminal and without `--yes`, `prune` refuses (exit 2), changing nothing;
/// - `--dry-run --json` names what would go and why the rest stays, changing nothing;
/// - the refusal's hints, pasted, preview then delete: merged, squash-merged (remote already
///   deleted by the forge) and rebase-merged (main rewrote its lines since) branches go, locally
///   and on the origin; an unmerged branch, a branch with no commits yet, and a squash-merged
///   branch the teammate pushed to afterwards stay, the last on the origin too;
/// - the checked-out merged branch stays, and its hints (switch, prune again) delete it;
/// - the "bring it back" hints restore a deleted branch here and on the origin at its commit.
#[test]
fn prune_deletes_exactly_the_branches_whose_work_is_in_main() {
    let (sandbox, origin, teammate) = team();
    pushed_branch(&sandbox, "feat/merged", "merged.txt", 1);
    pushed_branch(&sandbox, "feat/squashed", "squashed.txt", 2);
    pushed_branch(&sandbox, "feat/rebased", "rebased.txt", 2);
    pushed_branch(&sandbox, "feat/pushed-to", "pushed.txt", 1);
    pushed_branch(&sandbox, "feat/unmerged", "unmerged.txt", 1);
    sandbox.git(&["branch", "feat/fresh", "main"]);
    land(&sandbox, &teammate, "feat/merged", "merge");
    land(&sandbox, &teammate, "feat/squashed", "squash");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "--delete", "feat/squashed"]);
    land(&sandbox, &teammate, "feat/rebased", "rebase");
    // Main rewrites the rebased branch's lines afterwards: replaying it would conflict.
    sandbox.commit_file_in(&teammate, "rebased.txt", "rewritten on main\n", "fix: reword rebased lines");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    land(&sandbox, &teammate, "feat/pushed-to", "squash");
    sandbox.git_in(&teammate, &["switch", "-q", "-c", "feat/pushed-to", "origin/feat/pushed-to"]);
    sandbox.commit_file_in(&teammate, "pushed.txt", "a teammate's later work\n", "feat: more on pushed-to");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "feat/pushed-to"]);
    sandbox.git(&["switch", "-q", "feat/merged"]);

    let refused = sandbox.xtask().args(["prune"]).refused(2);
    assert_contains(&refused.stderr, "no terminal");

    sandbox.git(&["fetch", "-q", "--prune", "origin"]);
    let before = sandbox.snapshot();
    let preview = sandbox.xtask().args(["prune", "--dry-run", "--json"]).success().json();
    assert_eq!(sandbox.snapshot(), before, "--dry-run changed the repository");
    let action = |name: &str| {
        let entry = preview["branches"].as_array().unwrap().iter().find(|b| b["branch"] == name).cloned();
        let entry = entry.unwrap_or_else(|| panic!("{name} not in the report: {preview:#}"));
        (entry["action"].as_str().unwrap().to_string(), entry["merged"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(action("feat/squashed"), ("delete".into(), "squash-merged".into()));
    assert_eq!(action("feat/rebased"), ("delete".into(), "rebase-merged".into()));
    assert_eq!(action("feat/merged"), ("keep".into(), "merged".into()), "it is checked out");
    assert_eq!(action("feat/pushed-to"), ("keep".into(), "squash-merged".into()), "the origin has more");
    assert_eq!(action("feat/unmerged").0, "keep");
    assert_eq!(action("feat/fresh").0, "keep");

    let pasted = paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    let deleted = &pasted.last().unwrap().stdout;
    // The pushed-to branch's `git log` hint lists what the teammate pushed since, and not the
    // slice's own commit, which is in main by a squash.
    let command = hint_commands(deleted).into_iter().find(|c| c.starts_with("git log origin/feat/pushed-to"));
    let log = sandbox.paste(&sandbox.root, &command.expect("a git log hint for feat/pushed-to"));
    assert_eq!(log.code, 0, "{}", log.stderr);
    assert_contains(&log.stdout, "feat: more on pushed-to");
    assert_eq!(log.stdout.lines().filter(|line| line.starts_with("commit ")).count(), 1, "{}", log.stdout);
    assert_contains(deleted, "Deleted feat/rebased (rebase-merged");
    let mut here = local_branches(&sandbox);
    here.sort();
    assert_eq!(here, ["feat/fresh", "feat/merged", "feat/pushed-to", "feat/unmerged", "main"]);
    let there = origin_branches(&sandbox, &origin);
    assert!(!there.contains(&"feat/rebased".to_string()), "the origin still has feat/rebased: {there:?}");
    assert!(there.contains(&"feat/pushed-to".to_string()), "the teammate's pushed work was deleted");
    assert!(there.contains(&"feat/merged".to_string()), "the checked-out branch's remote was deleted");

    // The checked-out branch's hints: switch to main, prune again; then the bring-back hints.
    let rebased_tip = sandbox.git_in(&teammate, &["rev-parse", "origin/feat/rebased"]);
    let commands = hint_commands(deleted);
    // The local main is stale here (only behind origin/main): the switch brings it up to date.
    assert!(commands.iter().any(|c| c == "git switch -C main origin/main"), "{commands:?}");
    paste_every_hint(&sandbox, &sandbox.root, deleted);
    let here = local_branches(&sandbox);
    assert!(!here.contains(&"feat/merged".to_string()), "the switch-then-prune hints left feat/merged: {here:?}");
    assert!(!origin_branches(&sandbox, &origin).contains(&"feat/merged".to_string()));
    assert_eq!(sandbox.git(&["rev-parse", "feat/rebased"]), rebased_tip, "brought back at its commit");
    assert!(origin_branches(&sandbox, &origin).contains(&"feat/rebased".to_string()), "brought back on the origin");
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    assert!(receipts.contains("deleted `feat/squashed` (squash-merged"), "{receipts}");
}

/// A delete pushed through the committed pre-push hook passes it, and nothing is asked or
/// deleted when no branch's work is in main.
#[test]
fn prune_passes_the_pre_push_hook_and_says_when_there_is_nothing_to_do() {
    let sandbox = crate::support::hooked_clone();
    let out = sandbox.xtask().args(["prune", "--yes"]).success();
    assert_contains(&out.stdout, "Nothing to prune");
    sandbox.git(&["switch", "-q", "-c", "feat/done"]);
    sandbox.commit_file_in(&sandbox.root, "done.txt", "done\n", "feat: done");
    sandbox.git(&["push", "-q", "--no-verify", "-u", "origin", "feat/done"]);
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--no-verify", "--no-ff", "--no-edit", "feat/done"]);
    sandbox.git(&["push", "-q", "--no-verify", "origin", "main"]);
    let hooked = sandbox.xtask().args(["prune", "--yes"]).env("LANCELOT_XTASK", env!("CARGO_BIN_EXE_xtask"));
    let out = hooked.success();
    assert_contains(&out.stdout, "Deleted feat/done (merged");
    let remote = sandbox.git(&["ls-remote", "--heads", "origin"]);
    assert!(!remote.contains("feat/done"), "still on the origin:\n{remote}");
}

/// A squash-merged branch brought back with prune's own hint (`git branch <name> <tip>`) never
/// moved since it was re-created, but its commits are its own work: the next prune deletes it
/// again as squash-merged, rather than keeping it forever as "no commits of its own yet". A
/// branch freshly cut from main is still kept.
#[test]
fn a_branch_brought_back_by_the_hint_is_pruned_again() {
    let (sandbox, _origin, teammate) = team();
    pushed_branch(&sandbox, "feat/squashed", "squashed.txt", 2);
    land(&sandbox, &teammate, "feat/squashed", "squash");
    sandbox.git(&["branch", "feat/fresh", "main"]);
    let pruned = sandbox.xtask().args(["prune", "--yes"]).success();
    assert!(!local_branches(&sandbox).contains(&"feat/squashed".to_string()), "{}", pruned.stdout);
    let back: Vec<String> =
        hint_commands(&pruned.stdout).into_iter().filter(|c| c.starts_with("git branch feat/squashed ")).collect();
    assert_eq!(back.len(), 1, "no bring-back hint for feat/squashed:\n{}", pruned.stdout);
    sandbox.paste(&sandbox.root, &back[0]);
    assert!(local_branches(&sandbox).contains(&"feat/squashed".to_string()), "the pasted hint did not bring it back");
    let again = sandbox.xtask().args(["prune", "--yes", "--json"]).success().json();
    let verdicts = again["branches"].as_array().expect("branches");
    let squashed = verdicts.iter().find(|v| v["branch"] == "feat/squashed").expect("feat/squashed judged");
    assert_eq!(squashed["merged"], "squash-merged", "{squashed}");
    assert!(!local_branches(&sandbox).contains(&"feat/squashed".to_string()), "{again}");
    assert!(local_branches(&sandbox).contains(&"feat/fresh".to_string()), "a fresh branch was pruned");
}

/// A branch cut with `git switch -c <name> origin/main` tracks the remote's main (git's default):
/// once its work is merged, prune deletes the local branch and never the remote's main.
#[test]
fn prune_never_deletes_the_remotes_main() {
    let (sandbox, origin, _teammate) = team();
    sandbox.git_in(&origin, &["config", "receive.denyDeleteCurrent", "warn"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.git(&["switch", "-q", "-c", "feat/gone", "origin/main"]);
    sandbox.commit_file_in(&sandbox.root, "gone.txt", "gone\n", "feat: gone");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--ff-only", "feat/gone"]);
    sandbox.git(&["push", "-q", "origin", "main"]);
    sandbox.xtask().args(["prune", "--yes"]).success();
    assert!(!local_branches(&sandbox).contains(&"feat/gone".to_string()), "the merged local branch was kept");
    assert!(origin_branches(&sandbox, &origin).contains(&"main".to_string()), "prune deleted the remote's main");
}

/// A merged branch checked out in another worktree of the clone: prune keeps it and its hint
/// names that worktree (`git switch main` there fails: main is taken here); pasted, the other
/// worktree lets go of it and the pasted prune deletes it.
#[test]
fn a_branch_checked_out_in_another_worktree_gets_a_hint_for_that_worktree() {
    let (sandbox, _origin, teammate) = team();
    pushed_branch(&sandbox, "feat/b", "b.txt", 1);
    land(&sandbox, &teammate, "feat/b", "merge");
    sandbox.git(&["pull", "-q", "--ff-only", "origin", "main"]);
    let other = sandbox.root.parent().unwrap().join("wt");
    sandbox.git(&["worktree", "add", "-q", other.to_str().unwrap(), "feat/b"]);
    let out = sandbox.xtask().args(["prune", "--yes"]).success();
    assert_contains(&out.stdout, "is checked out in the worktree");
    assert!(local_branches(&sandbox).contains(&"feat/b".to_string()));
    paste_every_hint(&sandbox, &sandbox.root, &out.stdout);
    assert!(!local_branches(&sandbox).contains(&"feat/b".to_string()), "the pasted prune kept it");
}

/// The engineer is on a branch a teammate squash-merged, with an uncommitted change to a file
/// the branch added, and a stale local main (it lacks the merge). `prune` keeps the branch (it
/// is checked out) and hinted `git switch main`, which git refuses: the switch would remove the
/// changed file. Proves the hint, pasted as printed, now switches (main brought up to the
/// remote's, which has the file), the change comes along, and `prune`'s next hint deletes the
/// branch.
#[test]
fn the_switch_away_hint_works_with_a_stale_main_and_a_change_to_the_merged_work() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    sandbox.git(&["switch", "-q", "-c", "feat/sq"]);
    sandbox.commit_file_in(&sandbox.root, "sq1.txt", "a\n", "feat: sq1");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/sq"]);
    let mate = sandbox.clone_of(&origin, "mate");
    sandbox.git_in(&mate, &["merge", "-q", "--squash", "origin/feat/sq"]);
    sandbox.git_in(&mate, &["commit", "-q", "-m", "feat: sq (#1)"]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "main"]);
    sandbox.write("sq1.txt", "a\nmore work\n");
    let out = sandbox.xtask().args(["prune", "--yes"]).success();
    assert_eq!(
        hint_commands(&out.all()),
        ["git switch -C main origin/main", "cargo xtask prune --yes"],
        "{}",
        out.all()
    );
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.current_branch(), "main");
    assert_eq!(sandbox.read("sq1.txt"), "a\nmore work\n", "the uncommitted change did not come along");
    assert!(!local_branches(&sandbox).contains(&"feat/sq".to_string()), "the branch was not pruned");
}

/// As above, but the local main has a commit of its own (so it is not moved up): `git switch
/// main` would take the working tree past the merged work, and git refused over the change.
/// Proves the hint then sets the uncommitted work aside first (as `sync` does), and its three
/// lines, pasted as printed, switch, prune the branch, and keep the change in that stash.
#[test]
fn the_switch_away_hint_sets_the_work_aside_when_git_would_refuse_it() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    sandbox.git(&["switch", "-q", "-c", "feat/mm"]);
    sandbox.commit_file_in(&sandbox.root, "mm.txt", "a\n", "feat: mm");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/mm"]);
    let mate = sandbox.clone_of(&origin, "mate");
    sandbox.git_in(&mate, &["merge", "-q", "--squash", "origin/feat/mm"]);
    sandbox.git_in(&mate, &["commit", "-q", "-m", "feat: mm (#1)"]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "main"]);
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.commit_file_in(&sandbox.root, "local.txt", "local\n", "chore: a commit only this main has");
    sandbox.git(&["switch", "-q", "feat/mm"]);
    sandbox.write("mm.txt", "a\nmore work\n");
    let out = sandbox.xtask().args(["prune", "--yes"]).success();
    assert_eq!(
        hint_commands(&out.all()),
        [
            "git stash push --include-untracked -m 'uncommitted work from feat/mm'",
            "git switch main",
            "cargo xtask prune --yes"
        ],
        "{}",
        out.all()
    );
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.current_branch(), "main");
    assert!(!local_branches(&sandbox).contains(&"feat/mm".to_string()), "the branch was not pruned");
    assert_contains(&sandbox.git(&["stash", "show", "-p", "stash@{0}"]), "+more work");
}
