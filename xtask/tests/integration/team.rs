//! The team, not the engineer: a bare `origin` and several clones, slices made in parallel, a
//! stale local main, work started from a feature branch. What these tests prove is that a slice
//! only adds its own files, computed on the commit it starts from, so slices never conflict and
//! no command carries or reverts anyone else's lines.

use std::path::{Path, PathBuf};

use crate::support::{assert_contains, Sandbox};

/// A kit repository pushed to a bare origin, plus `names.len()` clones of it.
fn team(names: &[&str]) -> (Sandbox, PathBuf, Vec<PathBuf>) {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let clones = names.iter().map(|name| sandbox.clone_of(&origin, name)).collect();
    (sandbox, origin, clones)
}

/// What the forge does when a PR is merged: a merge commit on main, pushed.
fn land(sandbox: &Sandbox, clone: &Path, branch: &str) {
    sandbox.git_in(clone, &["fetch", "-q", "origin"]);
    sandbox.git_in(clone, &["switch", "-q", "main"]);
    sandbox.git_in(clone, &["merge", "-q", "--ff-only", "origin/main"]);
    sandbox.git_in(clone, &["merge", "-q", "--no-ff", "--no-edit", branch]);
    sandbox.git_in(clone, &["push", "-q", "origin", "main"]);
}

fn commit_all_in(sandbox: &Sandbox, clone: &Path, message: &str) {
    sandbox.git_in(clone, &["add", "-A"]);
    sandbox.git_in(clone, &["commit", "-q", "--no-verify", "-m", message]);
}

/// The paths `branch` changes relative to `base`, with git's status letter.
fn changes(sandbox: &Sandbox, dir: &Path, base: &str, branch: &str) -> Vec<String> {
    sandbox.git_in(dir, &["diff", "--name-status", base, branch]).lines().map(str::to_string).collect()
}

/// A teammate lands `alpha` while this clone's main is stale (fetched, not pulled): the new slice
/// starts from `origin/main`, so it carries alpha untouched and reverts none of its lines.
#[test]
fn a_stale_local_main_is_never_reverted() {
    let (sandbox, _origin, clones) = team(&["teammate"]);
    let teammate = &clones[0];
    sandbox.xtask().current_dir(teammate).args(["new-addon", "alpha", "--yes"]).success();
    commit_all_in(&sandbox, teammate, "feat: add alpha skeleton");
    land(&sandbox, teammate, "feat/alpha");

    sandbox.git(&["fetch", "-q", "origin"]);
    assert_ne!(sandbox.git(&["rev-parse", "main"]), sandbox.git(&["rev-parse", "origin/main"]), "main is stale");
    let out = sandbox.xtask().args(["new-addon", "beta", "--yes"]).success();
    assert_contains(&out.stdout, "`feat/beta` from `origin/main`");
    sandbox.commit_all("feat: add beta skeleton");

    let tip = sandbox.git(&["rev-parse", "origin/main"]);
    assert_eq!(sandbox.git(&["rev-parse", "feat/beta~1"]), tip, "the slice starts exactly at origin/main");
    let changed = changes(&sandbox, &sandbox.root, "origin/main", "feat/beta");
    assert!(changed.iter().all(|line| line.starts_with("A\t")), "beta reverts or edits something: {changed:?}");
    assert!(changed.iter().any(|line| line.ends_with("src/core/beta.rs")), "{changed:?}");
    assert!(sandbox.exists("src/core/alpha.rs"), "the teammate's slice is still there");
}

/// Started from a feature branch, the new slice is cut from main and carries 0 lines of it.
#[test]
fn from_a_feature_branch_the_slice_carries_none_of_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "alpha", "--yes"]).success();
    sandbox.commit_all("feat: add alpha skeleton");
    sandbox.xtask().args(["new-addon", "beta", "--yes"]).success();
    assert_eq!(sandbox.current_branch(), "feat/beta");
    sandbox.commit_all("feat: add beta skeleton");
    let changed = changes(&sandbox, &sandbox.root, "main", "feat/beta");
    assert!(changed.iter().all(|line| line.starts_with("A\t") && !line.contains("alpha")), "{changed:?}");
    assert_eq!(sandbox.git(&["rev-parse", "feat/beta~1"]), sandbox.git(&["rev-parse", "main"]));
}

/// Building on a spec that exists only on an unmerged branch is refused, changing nothing, with
/// a hint whose command works, exactly as printed, once that branch has landed.
#[test]
fn a_dependency_only_on_an_unmerged_branch_is_refused_and_the_hint_works_once_landed() {
    let sandbox = Sandbox::with_kit();
    sandbox.with_origin();
    sandbox.xtask().args(["new-addon", "alpha", "--yes"]).success();
    sandbox.commit_all("feat: add alpha skeleton");
    let out = sandbox.xtask().args(["new-addon", "alpha-next", "--yes", "--depends-on", "Alpha"]).refused(2);
    assert_contains(&out.stderr, "is not on `main` yet, only on this unmerged branch");
    let hint = out.stderr.lines().find_map(|line| line.strip_prefix("hint: ")).expect("a hint").to_string();
    let command = hint.split("then run: ").nth(1).expect("the hint ends with a command");

    land(&sandbox, &sandbox.root, "feat/alpha");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&words[..2], ["cargo", "xtask"], "{command}");
    sandbox.xtask().args(&words[2..]).success();
    let spec = sandbox.read(&format!("docs/specs/Lancelot_vNext2_Spec_{}.md", "AlphaNext"));
    assert_contains(&spec, "**Depends on:** [Alpha](Lancelot_vNext2_Spec_Alpha.md)");
}

/// Four slices made in parallel from one main, by four clones, with names adjacent in sort
/// order: every pair merges with no conflict (`git merge-tree`, as a forge computes it).
#[test]
fn parallel_slices_never_conflict_pairwise() {
    let names = ["queue", "queue-x", "queues", "quota"];
    let (sandbox, _origin, clones) = team(&names);
    for (name, clone) in names.iter().zip(&clones) {
        sandbox.xtask().current_dir(clone).args(["new-addon", name, "--yes", "--summary", "A slice"]).success();
        commit_all_in(&sandbox, clone, &format!("feat: add {name} skeleton"));
        let branch = sandbox.git_in(clone, &["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string();
        sandbox.git_in(clone, &["push", "-q", "origin", &branch]);
    }
    sandbox.git(&["fetch", "-q", "origin"]);
    let branches: Vec<String> = sandbox
        .git(&["for-each-ref", "--format=%(refname:short)", "refs/remotes/origin/feat/"])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(branches.len(), 4, "{branches:?}");
    for (index, one) in branches.iter().enumerate() {
        for other in &branches[index + 1..] {
            let output = sandbox
                .git_command(&sandbox.root)
                .args(["merge-tree", "--write-tree", "--name-only", one, other])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{one} and {other} conflict:\n{}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
    }
}
