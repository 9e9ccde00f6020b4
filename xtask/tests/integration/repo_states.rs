//! Every command against awkward repository states: dirty, staged-only, untracked, detached,
//! unborn, shallow, a stale `index.lock`, a rebase in progress, a linked worktree, a path with
//! spaces and non-ASCII characters. Each either works or refuses clearly; a refusal and every
//! read-only command leave the repository byte-identical; nothing panics.

use crate::support::{assert_contains, hint_commands, paste_every_hint, Sandbox};

/// The read-only commands: they may pass or report findings, never change a byte or panic.
const READ_ONLY: &[&[&str]] = &[
    &["status", "--json"],
    &["check", "--json"],
    &["receipts"],
    &["graph"],
    &["spec", "list"],
    &["templates", "--check"],
    &["config"],
    &["new-addon", "probe", "--dry-run"],
];

fn assert_read_only_commands_are_harmless(sandbox: &Sandbox, state: &str) {
    for args in READ_ONLY {
        let before = sandbox.snapshot();
        let out = sandbox.xtask().args(args.iter().copied()).run();
        assert!(!out.stderr.contains("panicked"), "{state}: `{args:?}` panicked:\n{}", out.stderr);
        assert!(matches!(out.code, 0..=2), "{state}: `{args:?}` exited {}:\n{}", out.code, out.stderr);
        if out.code != 0 {
            assert_contains(&format!("{}{}", out.stdout, out.stderr), "hint");
        }
        assert_eq!(sandbox.snapshot(), before, "{state}: `{args:?}` changed the repository");
    }
}

/// Starts a rebase that stops on a conflict, the way an engineer's would.
fn start_conflicting_rebase(sandbox: &Sandbox) {
    sandbox.git(&["switch", "-q", "-c", "feat/side"]);
    sandbox.write("README.md", "side\n");
    sandbox.commit_all("docs: side");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.write("README.md", "main\n");
    sandbox.commit_all("docs: main");
    sandbox.git(&["switch", "-q", "feat/side"]);
    let status = sandbox.git_command(&sandbox.root).args(["rebase", "main"]).output().unwrap().status;
    assert!(!status.success(), "the rebase should stop on the conflict");
}

#[test]
fn dirty_and_staged_trees_refuse_writers_and_keep_the_changes() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("README.md", "unsaved work\n");
    assert_read_only_commands_are_harmless(&sandbox, "dirty");
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).refused(1);
    assert_contains(&out.stderr, "uncommitted changes: `README.md`");
    assert_contains(&out.stderr, "hint: git stash\n");

    sandbox.git(&["add", "README.md"]);
    assert_read_only_commands_are_harmless(&sandbox, "staged");
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).refused(1);
    assert_eq!(sandbox.read("README.md"), "unsaved work\n");
}

#[test]
fn untracked_files_do_not_block_and_survive() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("notes/todo.txt", "mine\n");
    assert_read_only_commands_are_harmless(&sandbox, "untracked");
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert_eq!(sandbox.read("notes/todo.txt"), "mine\n");
}

#[test]
fn a_detached_head_branches_from_main() {
    let sandbox = Sandbox::with_kit();
    let main = sandbox.head();
    sandbox.git(&["checkout", "-q", "--detach", "HEAD"]);
    assert_read_only_commands_are_harmless(&sandbox, "detached");
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert_eq!(sandbox.current_branch(), "feat/scheduler");
    assert_eq!(sandbox.git(&["merge-base", "HEAD", "main"]).trim(), main);
}

#[test]
fn an_unborn_repository_is_explained() {
    let sandbox = Sandbox::empty();
    sandbox.copy_kit();
    assert_read_only_commands_are_harmless(&sandbox, "unborn");
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).refused(1);
    assert_contains(&out.stderr, "has no commits");
    assert_contains(&out.stderr, "hint: ");
}

/// An unborn repository (no commit, no remote): `sync --dry-run` and `prune --dry-run` say there
/// is nothing to sync or prune yet and hint the first commit, never `git switch main` or
/// `git fetch origin main` (both fail here). Pasted as printed, the hint makes the first commit,
/// and both commands then run.
#[test]
fn sync_and_prune_in_an_unborn_repository_hint_the_first_commit() {
    for (command, nothing) in [("sync", "there is nothing to sync"), ("prune", "there is nothing to prune")] {
        let sandbox = Sandbox::empty();
        sandbox.copy_kit();
        let out = sandbox.xtask().args([command, "--dry-run"]).refused(1);
        assert_contains(&out.stderr, &format!("branch `main` has no commits yet; {nothing}"));
        assert_eq!(hint_commands(&out.stderr), ["git add -A && git commit -m 'chore: first commit'"], "{command}");
        paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
        assert_eq!(sandbox.git(&["log", "--format=%s"]), "chore: first commit\n", "{command}");
        sandbox.xtask().args([command, "--dry-run"]).success();
    }
}

#[test]
fn a_stale_index_lock_is_named_with_its_fix() {
    let sandbox = Sandbox::with_kit();
    sandbox.write(".git/index.lock", "");
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).refused(1);
    assert_contains(&out.stderr, "index.lock` exists");
    assert_contains(&out.stderr, "hint: if no git command is running, remove the stale lock: rm ");
}

#[test]
fn a_rebase_in_progress_is_explained_with_the_recovery_command() {
    let sandbox = Sandbox::with_kit();
    start_conflicting_rebase(&sandbox);
    assert_read_only_commands_are_harmless(&sandbox, "rebase in progress");
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).refused(1);
    assert_contains(&out.stderr, "a rebase is in progress");
    assert_contains(&out.stderr, "git rebase --continue");
    assert_contains(&out.stderr, "git rebase --abort");
}

/// `pre-pr` in the middle of a bisect: it is not called an interrupted sync (a sync never
/// bisects) nor given conflicts to resolve; the repository is unchanged, and the hint's command,
/// pasted as printed, ends the bisect on the branch it started from.
#[test]
fn pre_pr_during_a_bisect_names_it_as_a_bisect_and_its_hint_ends_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "feat/probe"]);
    for n in 1..=3 {
        sandbox.write("probe.txt", &format!("{n}\n"));
        sandbox.commit_all(&format!("feat: probe {n}"));
    }
    sandbox.git(&["bisect", "start", "HEAD", "HEAD~2"]);
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_eq!(sandbox.snapshot(), before, "pre-pr changed the repository during a bisect");
    assert_contains(&out.stderr, "a bisect is in progress");
    assert!(!out.stderr.contains("sync") && !out.stderr.contains("conflicts"), "{}", out.stderr);
    assert_contains(&out.stderr, "`git bisect good|bad`");
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert!(!sandbox.path(".git/BISECT_LOG").exists(), "the pasted hint did not end the bisect");
    assert_eq!(sandbox.current_branch(), "feat/probe");
}

/// Every command that writes or pushes refuses in the middle of a rebase someone started by
/// hand, with the repository byte-identical: `changelog release` rewrote the CHANGELOG into the
/// rebase, `undo` took back an earlier run, `prune` deleted the branch being rebased, `propose`
/// pushed a half-rebased HEAD. The hint's abort, pasted as printed, ends the rebase.
#[test]
fn writers_and_pushers_refuse_in_the_middle_of_a_rebase() {
    let sandbox = Sandbox::with_kit();
    sandbox.with_origin();
    sandbox.write("docs/changelog.d/side.md", "<!-- section: Added -->\n- A side change.\n");
    sandbox.commit_all("docs: a fragment");
    start_conflicting_rebase(&sandbox);
    let mut last = String::new();
    for args in [
        &["changelog", "release", "9.9.9"][..],
        &["changelog", "release", "9.9.9", "--dry-run"],
        &["undo"],
        &["prune", "--yes"],
        &["prune", "--dry-run"],
        &["propose", "--no-open"],
    ] {
        let out = sandbox.xtask().args(args).refused(1);
        assert_contains(&out.stderr, "a rebase is in progress");
        last = out.stderr;
    }
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &last);
    assert!(!sandbox.path(".git/rebase-merge").exists(), "the pasted abort did not end the rebase");
}

#[test]
fn a_shallow_clone_works() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let url = format!("file://{}", origin.display());
    let clone = sandbox.root.parent().unwrap().join("shallow");
    sandbox.git_in(sandbox.root.parent().unwrap(), &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    assert_eq!(sandbox.git_in(&clone, &["rev-parse", "--is-shallow-repository"]).trim(), "true");
    sandbox.xtask().current_dir(&clone).args(["new-addon", "scheduler", "--yes"]).success();
    assert!(clone.join("src/core/scheduler.rs").exists());
    sandbox.xtask().current_dir(&clone).args(["status", "--json"]).success();
}

#[test]
fn a_linked_worktree_works_and_shares_the_receipts() {
    let sandbox = Sandbox::with_kit();
    let worktree = sandbox.root.parent().unwrap().join("linked worktree");
    sandbox.git(&["worktree", "add", "-q", worktree.to_str().unwrap(), "-b", "chore/side"]);
    sandbox.xtask().current_dir(&worktree).args(["new-addon", "scheduler", "--yes"]).success();
    assert!(worktree.join("src/core/scheduler.rs").exists());
    assert!(!sandbox.exists("src/core/scheduler.rs"), "the main worktree is untouched");
    assert_eq!(sandbox.git_in(&worktree, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(), "feat/scheduler");
    // Receipts live in the clone's common git directory: the main worktree sees them.
    let out = sandbox.xtask().args(["receipts", "--json"]).success().json();
    assert_eq!(out["receipts"][0]["addon"], "Scheduler");
}

#[test]
fn a_path_with_spaces_and_non_ascii_characters_works() {
    let sandbox = Sandbox::empty_at("my projects/Übung ñ 日本");
    sandbox.copy_kit();
    sandbox.commit_all("chore: initial commit");
    assert_read_only_commands_are_harmless(&sandbox, "odd path");
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert!(sandbox.exists("docs/specs/Lancelot_vNext2_Spec_Scheduler.md"));
}

#[test]
fn corrupted_inputs_are_reported_with_file_and_line() {
    let sandbox = Sandbox::with_kit();
    let spec = "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md";
    let broken = sandbox.read(spec).replacen("**Status:** Approved", "**Status:** Someday", 1);
    sandbox.write(spec, &broken);
    sandbox.write(".env.example", &format!("{}this line is odd\nexport =\n", sandbox.read(".env.example")));
    std::fs::create_dir_all(sandbox.path(".git/sop")).unwrap();
    sandbox.write(".git/sop/receipts.jsonl", "\u{0}\u{1}garbage\n{\"torn\": ");
    sandbox.commit_all("chore: break things");
    assert_read_only_commands_are_harmless(&sandbox, "corrupted");
    let status = sandbox.xtask().args(["status", "--json"]).success().json();
    assert_eq!(status["addons"][0]["status"], "unreadable");
    assert_contains(status["addons"][0]["recovery"].as_str().unwrap(), "`Someday` is not a status");
    let receipts = sandbox.xtask().args(["receipts", "--json"]).success().json();
    assert_contains(receipts["problems"][0].as_str().unwrap(), "receipts.jsonl:1: not a receipt");
    // Line 2 was torn; a failing `check` above has appended after it since, on a fresh line.
    assert_contains(receipts["problems"][1].as_str().unwrap(), "receipts.jsonl:2: ");
}
