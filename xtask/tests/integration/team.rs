//! The team, not the engineer: a bare `origin` and several clones, slices made in parallel, a
//! stale local main, work started from a feature branch. What these tests prove is that a slice
//! only adds its own files, computed on the commit it starts from, so slices never conflict and
//! no command carries or reverts anyone else's lines.

use std::path::{Path, PathBuf};

use crate::support::{assert_contains, hint_command, next_lines, Sandbox};

/// A kit repository pushed to a bare origin, plus `names.len()` clones of it.
pub(crate) fn team(names: &[&str]) -> (Sandbox, PathBuf, Vec<PathBuf>) {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let clones = names.iter().map(|name| sandbox.clone_of(&origin, name)).collect();
    (sandbox, origin, clones)
}

/// What the forge does when a PR is merged: a merge commit on main, pushed.
pub(crate) fn land(sandbox: &Sandbox, clone: &Path, branch: &str) {
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

/// A local main holding a commit of its own (never pushed) while a teammate's slice lands on the
/// remote: the branch rules judge a branch against the main branch it will merge into, the
/// remote's, so only the branch's own slice counts (as `git diff origin/main...HEAD` shows), and
/// a new slice cut afterwards carries neither the stray commit nor reverts the teammate's.
#[test]
fn a_local_main_with_a_commit_of_its_own_does_not_skew_the_branch_rules() {
    let (sandbox, _origin, clones) = team(&["teammate"]);
    let teammate = &clones[0];
    sandbox.write("docs/notes.md", "A note committed on main by mistake.\n");
    sandbox.commit_all("docs: a note on main");

    sandbox.xtask().args(["new-addon", "mailer", "--yes", "--summary", "Mails"]).success();
    sandbox.commit_all("feat: add mailer skeleton");
    sandbox.xtask().current_dir(teammate).args(["new-addon", "pager", "--yes", "--summary", "Pages"]).success();
    commit_all_in(&sandbox, teammate, "feat: add pager skeleton");
    land(&sandbox, teammate, "feat/pager");
    sandbox.git(&["fetch", "-q", "origin"]);
    let behind_only =
        sandbox.git_command(&sandbox.root).args(["merge-base", "--is-ancestor", "main", "origin/main"]).status();
    assert!(!behind_only.unwrap().success(), "the local main must hold a commit origin/main lacks");
    // The branch brought up to date with the teammate's work, as pre-pr does before a PR.
    sandbox.xtask().args(["sync"]).success();

    let report = sandbox.xtask().args(["check", "--json"]).run().json();
    let rules: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| format!("{} {}", f["rule"], f["location"]))
        .collect();
    assert!(rules.iter().all(|r| !r.contains("one-slice") && !r.contains("Pager")), "{rules:?}");
    assert_eq!(report["ok"], true, "{rules:?}");

    sandbox.git(&["switch", "-q", "main"]);
    sandbox.xtask().args(["new-addon", "cron", "--yes", "--summary", "Runs"]).success();
    sandbox.commit_all("feat: add cron skeleton");
    let carried = sandbox.git(&["log", "--format=%s", "origin/main..feat/cron"]);
    assert_eq!(carried.trim(), "feat: add cron skeleton", "the new slice carries only its own commit");
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
    let command = hint_command(&out.stderr);

    land(&sandbox, &sandbox.root, "feat/alpha");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&words[..2], ["cargo", "xtask"], "{command}");
    sandbox.xtask().args(&words[2..]).success();
    let spec = sandbox.read(&format!("docs/specs/Lancelot_vNext2_Spec_{}.md", "AlphaNext"));
    assert_contains(&spec, "**Depends on:** [Alpha](Lancelot_vNext2_Spec_Alpha.md)");
}

/// The issue's "done when": four slices made in parallel from one main by four clones, with
/// names adjacent in sort order and one spec started: every pair merges with no conflict
/// (`git merge-tree`, as a forge computes mergeability); each then lands after `pre-pr` with no
/// manual step, in turn; and main afterwards builds, tests and checks, with each add-on running
/// when its flag is on.
#[test]
fn four_parallel_slices_never_conflict_and_each_lands_after_pre_pr() {
    let _cargo = crate::support::cargo_guard();
    let names = ["queue", "queue-x", "queues", "quota"];
    // Each slice's pre-pr proves it compiles (`cargo check`: no code generated, no link); main
    // is then built and tested for real once every slice has landed.
    let sandbox = kit_verifying_with(r#"[["cargo", "check", "--quiet"]]"#);
    let origin = sandbox.with_origin();
    let clones: Vec<PathBuf> = names.iter().map(|name| sandbox.clone_of(&origin, name)).collect();
    let mut branches = Vec::new();
    for (name, clone) in names.iter().zip(&clones) {
        std::fs::copy(crate::support::project_root().join("Cargo.lock"), clone.join("Cargo.lock")).unwrap();
        sandbox.xtask().current_dir(clone).args(["new-addon", name, "--yes", "--summary", "A slice"]).success();
        let branch = sandbox.git_in(clone, &["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string();
        let feature = branch.trim_start_matches("feat/").split('-').map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        });
        define(clone, &feature.collect::<String>());
        commit_all_in(&sandbox, clone, &format!("feat: add {name} skeleton"));
        if *name == "queues" {
            // One of them has its spec started (frozen), with its record.
            for verb in ["approve", "start"] {
                let out = sandbox.xtask().current_dir(clone).args(["spec", verb, "queues"]).success();
                sandbox.sh(clone, &next_lines(&out.stdout)[0]);
            }
        }
        sandbox.git_in(clone, &["push", "-q", "origin", &branch]);
        branches.push(branch);
    }
    sandbox.git(&["fetch", "-q", "origin"]);
    for (index, one) in branches.iter().enumerate() {
        for other in &branches[index + 1..] {
            let output = sandbox
                .git_command(&sandbox.root)
                .args([
                    "merge-tree",
                    "--write-tree",
                    "--name-only",
                    &format!("origin/{one}"),
                    &format!("origin/{other}"),
                ])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{one} and {other} conflict:\n{}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
    }

    // Landing one by one: every later branch is behind main, and pre-pr alone brings it up.
    // Each engineer approved the team's `verify` list in their clone once (`cargo xtask trust`).
    for (clone, branch) in clones.iter().zip(&branches) {
        sandbox.sh(clone, "cargo xtask trust");
        let ready = sandbox.sh(clone, "cargo xtask pre-pr");
        follow(&sandbox, clone, &ready, &[]);
        land(&sandbox, clone, branch);
    }
    let main = &clones[0];
    sandbox.git_in(main, &["pull", "-q", "--ff-only"]);
    // `cargo test` builds the library and the binary as `cargo build` does, then tests them.
    sandbox.sh(main, "cargo test --workspace --quiet");
    sandbox.sh(main, "cargo xtask check");
    let flags = sandbox.sh(main, "cargo run --quiet -- flags");
    for flag in ["FEATURE_QUEUE=", "FEATURE_QUEUE_X=", "FEATURE_QUEUES=", "FEATURE_QUOTA="] {
        assert_contains(&flags, flag);
        let flag = flag.trim_end_matches('=');
        let status = sandbox.sh(main, &format!("{flag}=true cargo run --quiet -- status"));
        let row = status
            .lines()
            .find(|line| line.contains(&format!(" {flag} ")))
            .unwrap_or_else(|| panic!("{flag}:\n{status}"));
        assert!(row.contains("running"), "{flag} is on but its add-on is not running:\n{status}");
    }
}

/// A kit repository whose `pre-pr` verifies with `verify` (real cargo), committed on main.
pub(crate) fn kit_verifying_with(verify: &str) -> Sandbox {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox
        .read("Cargo.toml")
        .replace("[workspace.metadata.sop]\n", &format!("[workspace.metadata.sop]\nverify = {verify}\n"));
    sandbox.write("Cargo.toml", &manifest);
    sandbox.commit_all("chore: verify with real cargo");
    sandbox
}

/// Fills in every placeholder of a slice's spec, as an engineer does before approving it.
pub(crate) fn define(dir: &Path, feature: &str) {
    let path = dir.join(format!("docs/specs/Lancelot_vNext2_Spec_{feature}.md"));
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("TODO(sop)", "Defined by the team")).unwrap();
}

/// Runs every `next:` line of `output` in `dir`, exactly as printed, except those `skip` names.
pub(crate) fn follow(sandbox: &Sandbox, dir: &Path, output: &str, skip: &[&str]) -> Vec<String> {
    let mut outputs = Vec::new();
    for line in next_lines(output) {
        if skip.iter().any(|s| line.contains(s)) {
            continue;
        }
        outputs.push(sandbox.sh(dir, &line));
    }
    outputs
}

/// A teammate's slice pushed and not merged (`origin/feat/scheduler`) is never created a second
/// time (SOP 4.1: one branch is one slice): `check`'s hint for a spec that depends on it points at
/// that branch instead of `new-addon scheduler`, and `new-addon scheduler` (with `--no-branch`
/// too) is refused, changing nothing, with a hint that, pasted as printed, checks out the teammate's branch (their work).
#[test]
fn a_teammates_slice_in_flight_is_pointed_at_never_created_twice() {
    let (sandbox, _origin, clones) = team(&["alice"]);
    let alice = &clones[0];
    sandbox.xtask().current_dir(alice).args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    commit_all_in(&sandbox, alice, "feat: add scheduler skeleton");
    sandbox.git_in(alice, &["push", "-q", "origin", "feat/scheduler"]);

    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.xtask().args(["new-addon", "cron", "--yes", "--summary", "Cron"]).success();
    let spec = "docs/specs/Lancelot_vNext2_Spec_Cron.md";
    let text = sandbox.read(spec);
    assert_contains(&text, "**Depends on:** none");
    sandbox.write(spec, &text.replace("**Depends on:** none", "**Depends on:** Scheduler"));
    sandbox.commit_all("feat: add cron skeleton");

    let check = sandbox.xtask().args(["check"]).failure(1);
    assert_contains(&check.stdout, "sop-3.1/depends-on");
    assert_contains(&check.stdout, "in flight on `origin/feat/scheduler`");
    assert!(!check.all().contains("new-addon scheduler"), "the hint creates the slice again:\n{}", check.all());

    let on_this_branch = sandbox.xtask().args(["new-addon", "scheduler", "--no-branch", "--yes"]).refused(2);
    assert_contains(&on_this_branch.stderr, "`origin/feat/scheduler` is pushed and not merged");
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).refused(2);
    assert_contains(&out.stderr, "`origin/feat/scheduler` is pushed and not merged");
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.current_branch(), "feat/scheduler");
    assert_eq!(
        sandbox.head(),
        sandbox.git(&["rev-parse", "origin/feat/scheduler"]).trim(),
        "the teammate's work, checked out"
    );
}
