//! The daily journey of a slice with a team, end to end, every verb real: `new-addon` → commit →
//! a teammate pushes to main (a line this branch changed too) and to this branch → `sync` stops
//! at the conflict → resolve → `sync --continue` → `pre-pr` → `propose` → the teammate
//! squash-merges it upstream and deletes the remote branch → `prune`. What it proves: nothing is
//! lost on the way (the teammate's commit on the branch, the uncommitted note, the resolution),
//! and every `next:`/`hint:` line a step prints for the engineer to run is run, exactly as
//! printed, and does what it says.

use crate::support::{assert_contains, next_lines, paste_every_hint, Sandbox};

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
