//! The daily journey of a slice with a team, end to end, every verb real: `new-addon` → commit →
//! a teammate pushes to main (a line this branch changed too) and to this branch → `sync` stops
//! at the conflict → resolve → `sync --continue` → `pre-pr` → `propose` → the teammate
//! squash-merges it upstream and deletes the remote branch → `prune`. What it proves: nothing is
//! lost on the way (the teammate's commit on the branch, the uncommitted note, the resolution),
//! and every `next:`/`hint:` line a step prints for the engineer to run is run, exactly as
//! printed, and does what it says. Then the team's journey: three engineers, two slices made in
//! parallel and an extension of the frozen one, each landed with real cargo.

use std::path::Path;

use crate::support::{assert_contains, hint_command, next_lines, paste_every_hint, Sandbox};
use crate::team::{define, follow, kit_verifying_with, land};

#[test]
fn a_slice_from_new_addon_to_prune_with_a_teammate() {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write("Cargo.toml", &format!("{manifest}verify = [[\"true\"]]\n"));
    sandbox.write("notes.txt", "shared line\n");
    sandbox.commit_all("chore: verify quickly, and a shared file");
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.xtask().args(["trust"]).success();

    // The slice, committed with the command new-addon prints, and a change to the shared file.
    let scaffolded = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    let commit = next_lines(&scaffolded.stdout).into_iter().find(|l| l.starts_with("git add")).unwrap();
    sandbox.sh(&sandbox.root, &commit);
    for (dir, kind) in
        [("specs", "Spec"), ("blueprints", "Blueprint"), ("runbooks", "Runbook"), ("architecture", "Architecture")]
    {
        let path = format!("docs/{dir}/Lancelot_vNext2_{kind}_Scheduler.md");
        let text = sandbox.read(&path).replace("TODO(sop)", "Defined");
        sandbox.write(&path, &text);
    }
    sandbox.write("notes.txt", "my line\n");
    sandbox.commit_all("docs: define the scheduler slice");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/scheduler"]);

    // The teammate: a commit on this very branch, and a conflicting one on main.
    sandbox.git_in(&teammate, &["fetch", "-q", "origin"]);
    sandbox.git_in(&teammate, &["switch", "-q", "feat/scheduler"]);
    sandbox.commit_file_in(&teammate, "pairing.txt", "a teammate's part\n", "feat: a teammate's part of the slice");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "feat/scheduler"]);
    sandbox.git_in(&teammate, &["switch", "-q", "main"]);
    sandbox.commit_file_in(&teammate, "notes.txt", "their line\n", "chore: main changes the shared line");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);

    // An uncommitted note rides along through the whole sync.
    sandbox.write("README.md", &format!("{}\nmy uncommitted note\n", sandbox.read("README.md")));
    let stopped = sandbox.xtask().args(["sync"]).failure(1);
    assert_contains(&stopped.stdout, "notes.txt");
    sandbox.write("notes.txt", "my line, and their line\n");
    sandbox.git(&["add", "notes.txt"]);
    let synced = sandbox.xtask().args(["sync", "--continue"]).success();
    assert_contains(&sandbox.read("README.md"), "my uncommitted note");
    assert_eq!(sandbox.read("pairing.txt"), "a teammate's part\n", "the teammate's commit on the branch was lost");
    paste_every_hint(&sandbox, &sandbox.root, &synced.stdout);

    // Verify with the note set aside (pre-pr verifies committed work), then propose.
    sandbox.git(&["stash", "-q"]);
    let verified = sandbox.xtask().args(["pre-pr"]).success();
    paste_every_hint(&sandbox, &sandbox.root, &verified.stdout);
    let proposed = sandbox.xtask().args(["propose"]).success();
    assert_contains(&proposed.stdout, "verified by pre-pr");
    let pushed = sandbox.git_in(&origin, &["rev-parse", "feat/scheduler"]);
    assert_eq!(pushed, sandbox.git(&["rev-parse", "HEAD"]));
    sandbox.git(&["stash", "pop", "-q"]);
    assert_contains(&sandbox.read("README.md"), "my uncommitted note");

    // Merged upstream with a squash, the remote branch deleted as a forge does.
    sandbox.git_in(&teammate, &["fetch", "-q", "origin"]);
    sandbox.git_in(&teammate, &["merge", "-q", "--ff-only", "origin/main"]);
    sandbox.git_in(&teammate, &["merge", "-q", "--squash", "origin/feat/scheduler"]);
    sandbox.git_in(&teammate, &["commit", "-q", "--no-verify", "-m", "feat: scheduler slice (#1)"]);
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main", ":feat/scheduler"]);

    // prune keeps the checked-out branch and says how to go on; pasted, its hints finish it.
    sandbox.git(&["checkout", "-q", "--", "README.md"]);
    let pruned = sandbox.xtask().args(["prune", "--yes"]).success();
    assert_contains(&pruned.stdout, "Kept feat/scheduler (squash-merged)");
    paste_every_hint(&sandbox, &sandbox.root, &pruned.stdout);
    let branches = sandbox.git(&["for-each-ref", "--format=%(refname:short)", "refs/heads"]);
    assert_eq!(branches.trim(), "main", "prune left branches behind");
    // Back on main, which the squash moved on: sync fast-forwards it.
    sandbox.xtask().args(["sync"]).success();
    assert_eq!(sandbox.git(&["rev-parse", "main"]), sandbox.git(&["rev-parse", "origin/main"]));
    assert_eq!(sandbox.read("pairing.txt"), "a teammate's part\n", "main lacks the teammate's part");
}

/// The journey of the issue, end to end, with real git, real cargo and the real binary:
/// engineer A makes slice 1, fills it, approves, starts and lands it; engineer B made slice 2 in
/// parallel from the same main and lands it with `pre-pr` and no manual step; then C extends
/// the frozen slice 1 through the hint the tool gives. Every `next:` and `hint:` command printed
/// on the way is run exactly as printed. At the end, on main, `cargo test --workspace` and
/// `check` pass, and each add-on runs when its flag is on.
#[test]
fn the_team_journey_lands_parallel_slices_with_no_manual_step() {
    let _cargo = crate::support::cargo_guard();
    let sandbox =
        kit_verifying_with(r#"[["cargo", "fmt", "--all", "--check"], ["cargo", "test", "--workspace", "--quiet"]]"#);
    let origin = sandbox.with_origin();
    let (a, b, c) = (sandbox.root.clone(), sandbox.clone_of(&origin, "b"), sandbox.clone_of(&origin, "c"));
    for dir in [&a, &b, &c] {
        std::fs::copy(crate::support::project_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    }
    let xtask = |dir: &Path, args: &[&str]| sandbox.xtask().current_dir(dir).args(args).success();

    // A and B start their slices from the same main, in parallel.
    let out_a = xtask(&a, &["new-addon", "ledger", "--yes", "--summary", "Keeps the ledger"]);
    let out_b = xtask(&b, &["new-addon", "ledgers", "--yes", "--summary", "Many ledgers"]);

    // A: define, then every `next:` in order (commit, approve, try it, pre-pr) — then start.
    define(&a, "Ledger");
    let steps = follow(&sandbox, &a, &out_a.stdout, &["spec approve", "pre-pr", "cargo run"]);
    assert_eq!(steps.len(), 1, "the commit");
    let approved = sandbox.sh(&a, "cargo xtask spec approve ledger");
    let next = next_lines(&approved);
    assert_eq!(next[1], "cargo xtask spec start ledger");
    sandbox.sh(&a, &next[0]);
    let started = sandbox.sh(&a, &next[1]);
    follow(&sandbox, &a, &started, &["new-addon"]);
    assert_eq!(sandbox.git_in(&a, &["status", "--porcelain"]), "", "the printed commits left nothing behind");
    // The team's `verify` list is committed configuration: pre-pr asks this clone to approve it
    // first, and the refusal's hint is the command that does.
    let refused = sandbox.xtask().current_dir(&a).args(["pre-pr"]).failure(1);
    assert_eq!(hint_command(&refused.stderr), "cargo xtask trust");
    sandbox.sh(&a, &hint_command(&refused.stderr));
    let ready = sandbox.sh(&a, "cargo xtask pre-pr");
    assert_contains(&ready, "Ok `cargo test --workspace --quiet`");
    follow(&sandbox, &a, &ready, &[]);
    land(&sandbox, &a, "feat/ledger");

    // B: its main is now behind; pre-pr syncs onto A's landed slice with no conflict.
    define(&b, "Ledgers");
    follow(&sandbox, &b, &out_b.stdout, &["spec approve", "pre-pr", "cargo run"]);
    sandbox.sh(&b, "cargo xtask trust");
    let ready = sandbox.sh(&b, "cargo xtask pre-pr");
    assert_contains(&ready, "rebased");
    follow(&sandbox, &b, &ready, &[]);
    land(&sandbox, &b, "feat/ledgers");

    // C extends the frozen slice 1: the refusal's hint is the command that does it.
    sandbox.git_in(&c, &["pull", "-q", "--ff-only"]);
    let refused = sandbox.xtask().current_dir(&c).args(["new-addon", "ledger", "--yes"]).failure(2);
    let command = hint_command(&refused.stderr);
    assert_eq!(command, "cargo xtask new-addon ledger2 --depends-on ledger");
    let out_c = sandbox.sh(&c, &command);
    define(&c, "Ledger2");
    follow(&sandbox, &c, &out_c, &["spec approve", "pre-pr", "cargo run"]);
    sandbox.sh(&c, "cargo xtask trust");
    let ready = sandbox.sh(&c, "cargo xtask pre-pr");
    assert_contains(&ready, "Ok `cargo test --workspace --quiet`");
    let tested = sandbox.git_in(&c, &["rev-parse", "HEAD^{tree}"]);
    follow(&sandbox, &c, &ready, &[]);
    land(&sandbox, &c, "feat/ledger2");

    // Main, as the team finds it: it builds, tests and checks, and every add-on runs when on.
    // Its tree is exactly the one C's pre-pr built and tested (`cargo test --workspace`, just
    // asserted), so testing it again would prove nothing more.
    sandbox.git_in(&a, &["pull", "-q", "--ff-only"]);
    assert_eq!(sandbox.git_in(&a, &["rev-parse", "HEAD^{tree}"]), tested, "main is not what C's pre-pr tested");
    for flag in ["FEATURE_LEDGER", "FEATURE_LEDGERS", "FEATURE_LEDGER2"] {
        // In C's clone, on the same main, where cargo built it last.
        let status = sandbox.sh(&c, &format!("{flag}=true cargo run --quiet -- status"));
        let row = status.lines().find(|line| line.contains(flag)).unwrap_or_else(|| panic!("{flag}:\n{status}"));
        assert!(row.contains("running"), "{flag} is on but its add-on is not running:\n{status}");
    }
    sandbox.sh(&a, "cargo xtask check");
}
