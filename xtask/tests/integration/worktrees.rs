//! Linked worktrees (`git worktree add`) and sparse checkouts: the repository states in which a
//! branch is checked out in another folder of the clone, or files are left out of the working
//! tree on purpose. What these tests prove: every `hint:` and `next:` line that would switch to a
//! branch another worktree has checked out (git refuses: "already used by worktree") prints a
//! command that works pasted as printed where it was printed; and `check` counts the files a
//! sparse checkout leaves out (skip-worktree in the index) as present, while a file really
//! deleted is still reported.

use std::path::{Path, PathBuf};

use crate::support::{assert_contains, hint_commands, killed_at, next_lines, paste_every_hint, Sandbox};

/// `fix/typo`, whose pull request was rebase-merged on the forge, checked out in a linked
/// worktree (a folder with a space in its name); the main clone is on `main`.
fn merged_branch_in_a_linked_worktree() -> (Sandbox, PathBuf) {
    let sandbox = crate::sync_cmd::rebase_merged_on_the_forge(
        "rebase",
        &[("typo.txt", "fixed\n", "fix: the typo")],
        ("news.txt", "news\n"),
        &[("typo.txt", "fixed\n")],
    );
    sandbox.git(&["switch", "-q", "main"]);
    let linked = sandbox.root.parent().unwrap().join("linked wt");
    sandbox.git(&["worktree", "add", "-q", linked.to_str().unwrap(), "fix/typo"]);
    (sandbox, linked)
}

/// The branch is gone, the linked worktree sits on no branch, and the main clone is untouched.
fn assert_deleted_from(sandbox: &Sandbox, linked: &Path) {
    assert_eq!(sandbox.git(&["branch", "--list", "fix/typo"]), "", "the branch is still here");
    assert_eq!(sandbox.git_in(linked, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(), "HEAD");
    assert_eq!(sandbox.current_branch(), "main", "the main clone left main");
}

/// Proves: after `sync` in a linked worktree finds the branch's work already in main, its `next:`
/// lines no longer say `git switch main` (main is the main clone's): pasted in the linked
/// worktree, they detach it at `origin/main` and prune the branch.
#[test]
fn sync_in_a_linked_worktree_points_to_a_switch_that_works_there() {
    let (sandbox, linked) = merged_branch_in_a_linked_worktree();
    let out = sandbox.xtask().current_dir(&linked).args(["sync"]).success();
    assert_contains(&out.stdout, "is checked out in the worktree");
    assert_eq!(next_lines(&out.stdout), ["git switch --detach origin/main", "cargo xtask prune --yes"]);
    let pasted = paste_every_hint(&sandbox, &linked, &out.stdout);
    assert_contains(&pasted[1].stdout, "Deleted fix/typo");
    assert_deleted_from(&sandbox, &linked);
}

/// Proves: `prune` run in a linked worktree on a merged branch keeps it (it is checked out
/// there) with a hint that, pasted there, takes the worktree off it and prunes it; and `pre-pr`'s
/// stop on the same branch hints the same working commands.
#[test]
fn prune_and_pre_pr_in_a_linked_worktree_hint_a_switch_that_works_there() {
    let (sandbox, linked) = merged_branch_in_a_linked_worktree();
    sandbox.git_in(&linked, &["fetch", "-q", "origin"]);
    let out = sandbox.xtask().current_dir(&linked).args(["prune", "--yes"]).run();
    assert!(sandbox.git(&["branch", "--list", "fix/typo"]).contains("fix/typo"), "prune deleted a checked-out branch");
    assert!(hint_commands(&out.all()).iter().any(|c| c == "git switch --detach origin/main"), "{}", out.all());
    paste_every_hint(&sandbox, &linked, &out.all());
    assert_deleted_from(&sandbox, &linked);

    let (sandbox, linked) = merged_branch_in_a_linked_worktree();
    let out = sandbox.xtask().current_dir(&linked).args(["pre-pr"]).run();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_contains(&out.stderr, "its work is already in `origin/main`");
    assert_eq!(hint_commands(&out.stderr), ["git switch --detach origin/main", "cargo xtask prune --yes"]);
    let pasted = paste_every_hint(&sandbox, &linked, &out.stderr);
    assert_contains(&pasted[1].stdout, "Deleted fix/typo");
    assert_deleted_from(&sandbox, &linked);
}

/// Proves: `sync` on a detached HEAD in a linked worktree, while main is checked out in the main
/// clone, no longer hints `git switch main` there; the hint, pasted in the linked worktree, syncs
/// main where it is checked out.
#[test]
fn sync_on_a_detached_linked_worktree_hints_a_sync_where_main_is() {
    let sandbox = Sandbox::with_kit();
    sandbox.with_origin();
    let linked = sandbox.root.parent().unwrap().join("linked wt");
    sandbox.git(&["worktree", "add", "-q", "--detach", linked.to_str().unwrap(), "main"]);
    let out = sandbox.xtask().current_dir(&linked).args(["sync"]).refused(2);
    let main_clone = sandbox.root.canonicalize().unwrap();
    let commands = hint_commands(&out.stderr);
    assert_eq!(commands.len(), 1, "{}", out.stderr);
    assert!(commands[0].starts_with("cargo xtask -C ") && commands[0].ends_with(" sync"), "{commands:?}");
    assert_contains(&commands[0], &main_clone.display().to_string());
    paste_every_hint(&sandbox, &linked, &out.stderr);
    assert_eq!(sandbox.current_branch(), "main");
}

/// Proves: `branch` and `new-addon` refused because the branch exists, while another worktree
/// has it checked out, no longer hint `git switch <branch>` (git refuses it here): the hint names
/// that worktree and, pasted where it was printed, shows the branch's state there.
#[test]
fn an_existing_branch_checked_out_elsewhere_is_pointed_at_not_switched_to() {
    let sandbox = Sandbox::with_kit();
    let linked = sandbox.root.parent().unwrap().join("linked wt");
    for (branch, args) in
        [("feat/pager", &["branch", "feat", "pager"][..]), ("feat/scheduler", &["new-addon", "scheduler", "--yes"])]
    {
        sandbox.git(&["worktree", "add", "-q", "-b", branch, linked.to_str().unwrap(), "main"]);
        let out = sandbox.xtask().args(args).refused(2);
        assert_contains(&out.stderr, "is checked out in the worktree");
        let commands = hint_commands(&out.stderr);
        assert!(commands.iter().all(|c| !c.starts_with("git switch")), "{args:?}: {commands:?}");
        let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
        assert_contains(&pasted[0].stdout, branch);
        assert_eq!(sandbox.current_branch(), "main");
        sandbox.git(&["worktree", "remove", "--force", linked.to_str().unwrap()]);
    }
}

/// The reference add-on's documents, which the kit's sparse checkouts below leave out or keep.
const BLUEPRINT: &str = "docs/blueprints/Lancelot_vNext2_Blueprint_HealthMonitor.md";
const RUNBOOK: &str = "docs/runbooks/Lancelot_vNext2_Runbook_HealthMonitor.md";

/// The rule ids of `check --json`'s findings.
fn rules_of(sandbox: &Sandbox) -> Vec<String> {
    let out = sandbox.xtask().args(["check", "--json"]).run();
    let report = out.json();
    report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

/// Proves: in a sparse checkout (cone mode), the files left out of the working tree on purpose
/// (skip-worktree in the index) count as present: with the documents (a frozen spec and its
/// freeze record among them) and the sources out, the documents out, or the specs kept and the
/// other documents out, `check` passes as in the full checkout (it reported an orphan flag, then
/// the blueprint, runbook and architecture note as missing). A document really deleted inside the
/// cone is still reported, and its pasted hint restores it.
#[test]
fn check_counts_the_files_a_sparse_checkout_leaves_out_as_present() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["spec", "start", "health-monitor"]).success();
    sandbox.commit_all("docs: start the health monitor");
    let cones =
        [&["tests", "templates"][..], &["src", "tests", "templates"], &["src", "tests", "templates", "docs/specs"]];
    for cone in cones {
        let mut args = vec!["sparse-checkout", "set"];
        args.extend(cone);
        sandbox.git(&args);
        assert!(!sandbox.exists(BLUEPRINT), "{cone:?}: the sparse checkout kept the blueprint");
        assert_eq!(rules_of(&sandbox), Vec::<String>::new(), "{cone:?}");
        sandbox.xtask().args(["check"]).success();
    }

    sandbox.git(&["sparse-checkout", "set", "src", "tests", "templates", "docs/specs", "docs/runbooks"]);
    std::fs::remove_file(sandbox.path(RUNBOOK)).unwrap();
    let out = sandbox.xtask().args(["check"]).failure(1);
    assert_contains(&out.stdout, "has no runbook");
    assert!(!out.stdout.contains("has no blueprint"), "{}", out.stdout);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert!(sandbox.exists(RUNBOOK), "the pasted hint did not restore the runbook");
}

/// Proves: a sparse checkout with a sparse index (`--sparse-index`: a folder outside the cone is
/// one index entry, which libgit2 cannot read) is refused before anything runs, for `check` (it
/// failed on "unsupported mandatory extension 'sdir'") and `status` (it called the add-on's
/// module missing) alike, the repository unchanged; the hint, pasted as printed, makes the index
/// full with the same files checked out, and both then answer as in the full checkout.
#[test]
fn a_sparse_index_is_named_and_its_hint_makes_the_tool_work() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "pager", "--yes"]).success();
    sandbox.commit_all("feat: the pager add-on");
    sandbox.git(&["sparse-checkout", "set", "--sparse-index", "tests", "templates"]);
    let sparse = sandbox.git(&["ls-files", "--sparse"]);
    assert!(sparse.lines().any(|line| line == "src/"), "the index is not sparse:\n{sparse}");
    let before = sandbox.snapshot();
    for command in ["check", "status"] {
        let out = sandbox.xtask().args([command]).failure(1);
        assert_contains(&out.stderr, "this clone's index is a sparse index");
        assert_eq!(sandbox.snapshot(), before, "`{command}` changed the repository");
    }
    let out = sandbox.xtask().args(["check"]).failure(1);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert!(!sandbox.exists("src"), "the hint checked out the folders outside the cone");
    sandbox.xtask().args(["check"]).success();
    let status = sandbox.xtask().args(["status"]).success();
    assert!(!status.stdout.contains("module missing"), "{}", status.stdout);
}

/// Proves: on a branch of a sparse checkout that leaves `docs/` out, the missing CHANGELOG
/// fragment is the one finding, and its hint, pasted as printed, writes and stages the fragment
/// (git refuses a plain `git add` of a path outside the sparse checkout), after which `check`
/// passes.
#[test]
fn a_changelog_fragment_hint_works_in_a_sparse_checkout() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["sparse-checkout", "set", "src", "tests", "templates"]);
    sandbox.git(&["switch", "-q", "-c", "fix/sparse"]);
    sandbox.write("tests/sparse.txt", "x\n");
    sandbox.commit_all("fix: a change inside the cone");
    assert_eq!(rules_of(&sandbox), ["sop-4.4/changelog"]);
    let out = sandbox.xtask().args(["check"]).failure(1);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert!(sandbox.exists("docs/changelog.d/sparse.md"), "the pasted hint wrote no fragment");
}

/// Proves: `undo` of a `branch` run in a linked worktree, once the main clone has checked out the
/// branch the run started from, refuses and touches nothing: going back would put two worktrees
/// on one branch, which git refuses (libgit2 did it). Its hints, pasted there as printed, let go
/// of the branch in the main clone (detached at the same commit) and undo the run (its hint was
/// a bare `git status`, which showed nothing of the cause).
#[test]
fn undo_never_puts_two_worktrees_on_one_branch() {
    let sandbox = Sandbox::with_kit();
    let linked = sandbox.root.parent().unwrap().join("linked wt");
    sandbox.git(&["worktree", "add", "-q", "-b", "chore/side", linked.to_str().unwrap(), "main"]);
    sandbox.xtask().current_dir(&linked).args(["branch", "feat", "pager"]).success();
    sandbox.git(&["switch", "-q", "chore/side"]);
    let out = sandbox.xtask().current_dir(&linked).args(["undo"]).run();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_contains(&out.stderr, "`chore/side` is checked out in the worktree");
    assert_eq!(sandbox.git_in(&linked, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(), "feat/pager");
    assert_eq!(sandbox.current_branch(), "chore/side");
    let pasted = paste_every_hint(&sandbox, &linked, &out.stderr);
    assert_eq!(pasted.len(), 2, "{}", out.stderr);
    assert_eq!(sandbox.git_in(&linked, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(), "chore/side");
    assert_eq!(sandbox.git(&["branch", "--list", "feat/pager"]), "", "the undo left the run's branch");
    assert_eq!(
        sandbox.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "HEAD",
        "the main clone still has the branch"
    );
}

/// Proves: a `new-addon` killed in a linked worktree, once the main clone has checked out the
/// branch the run started from, is not rolled back (that would put two worktrees on one branch),
/// and the manual steps printed instead, pasted in the linked worktree, work: they no longer say
/// `git switch <that branch>`, which git refuses there.
#[test]
fn a_killed_run_in_a_linked_worktree_prints_steps_that_work_there() {
    let sandbox = Sandbox::with_kit();
    let linked = sandbox.root.parent().unwrap().join("linked wt");
    sandbox.git(&["worktree", "add", "-q", "-b", "chore/side", linked.to_str().unwrap(), "main"]);
    let run = sandbox.xtask().current_dir(&linked).args(["new-addon", "scheduler", "--yes"]);
    assert!(killed_at(run, "plan:docs/changelog.d/scheduler.md"), "new-addon was not interrupted");
    sandbox.git(&["switch", "-q", "chore/side"]);
    let out = sandbox.xtask().current_dir(&linked).args(["receipts"]).success();
    assert_contains(&out.stderr, "was not rolled back");
    assert_contains(&out.stderr, "`chore/side` is checked out in the worktree");
    assert!(
        hint_commands(&out.stderr).iter().any(|c| c.starts_with("git switch --detach chore/side")),
        "{}",
        out.stderr
    );
    paste_every_hint(&sandbox, &linked, &out.stderr);
    assert_eq!(sandbox.git(&["branch", "--list", "feat/scheduler"]), "", "the run's branch is still here");
    assert!(!linked.join("src/core/scheduler.rs").exists(), "the run's own module is still there");
    assert_eq!(sandbox.current_branch(), "chore/side");
}
