//! Faults and interruptions never lose work: `new-addon` killed with SIGKILL at every step leaves
//! a repository that the next command restores to exactly its state before; `pre-pr` killed at
//! every step, and inside git, loses no commit and no uncommitted work; two writers at once in one
//! clone are serialised by a lock that a crashed run does not leave stuck. Every kill lands at a
//! named point (`xtask/src/test_hooks.rs`) or a git hook call, never after a delay, and is
//! asserted to have happened there.

use crate::support::{assert_contains, killed_at, points_of, spawn_quiet, Hold, Sandbox};

/// After a killed `new-addon`, the next command restores the repository to exactly `before`, and
/// the add-on can then be created normally. A run killed while writing its journal has changed
/// nothing yet, and leaves no journal.
fn assert_rolled_back(sandbox: &Sandbox, before: &crate::support::Snapshot, point: &str) {
    let journal = crate::recovery::journal_of(sandbox).is_some();
    assert_eq!(journal, point != "write:journal", "{point}: a journal is left exactly once it is written");
    let out = sandbox.xtask().args(["receipts", "--limit", "1"]).success();
    if let Some(journal) = crate::recovery::journal_of(sandbox) {
        panic!("{point}: the journal {} survived the next command:\n{}", journal.display(), out.stderr);
    }
    assert_eq!(&sandbox.snapshot(), before, "{point}: not restored:\n{}", out.stderr);
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert_eq!(sandbox.current_branch(), "feat/scheduler", "{point}");
    assert!(sandbox.exists("src/core/scheduler.rs"), "{point}");
}

/// `new-addon` killed at every named point of its plan — before its first step, after each step
/// (the branch, then every file it creates) and between each file's write and its rename — is
/// rolled back by the next command. The points are the ones a complete run reports passing
/// (`XTASK_TEST_POINTS`), so a step added to the plan is covered without editing this test; every
/// point is a real interruption (the run died of the SIGKILL, asserted), reached by name, not a
/// timer.
#[test]
fn new_addon_killed_at_every_step_is_rolled_back_by_the_next_run() {
    let sandbox = Sandbox::with_kit();
    let trace = sandbox.home.join("points");
    let run = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]);
    run.env("XTASK_TEST_POINTS", trace.to_str().unwrap()).success();
    let points = points_of(&trace);
    // The start, the branch, and the seven files of a slice, each written then in place, and the
    // journal's own write before them.
    assert_eq!(points.iter().filter(|p| p.starts_with("plan:")).count(), 9, "{points:?}");
    assert_eq!(points.iter().filter(|p| p.starts_with("write:")).count(), 8, "{points:?}");
    assert!(points.contains(&"write:scheduler.rs#2".to_string()), "the test's write is a point too: {points:?}");
    for point in &points {
        let sandbox = Sandbox::with_kit();
        let before = sandbox.snapshot();
        let run = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]);
        assert!(killed_at(run, point), "{point}: the run was not interrupted");
        assert_rolled_back(&sandbox, &before, point);
    }
}

/// A draft spec approved and committed: `spec start` freezes it (edits its status, adds a record).
fn approved_scheduler() -> Sandbox {
    let sandbox = crate::spec::draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.commit_all("spec: approve scheduler");
    sandbox
}

/// The other commands that write through a plan, killed at every named point of it: `spec start`
/// (an edited spec and a new freeze record), `changelog release` (an edited CHANGELOG and
/// deleted fragments) and `migrate` (edits, new files and deletions across the kit; there, the
/// points between its steps only: the mid-write ones of the same writer are covered above, and
/// each of its many files costs a run). Each kill is asserted, the next command restores the repository to
/// exactly its state before (edits undone, deleted files back), and the command then completes.
#[test]
fn spec_changelog_and_migrate_killed_at_every_step_are_rolled_back() {
    /// The command's name, how its repository is made, its arguments, the points killed at.
    type Case = (&'static str, fn() -> Sandbox, &'static [&'static str], &'static str);
    let cases: [Case; 3] = [
        ("spec start", approved_scheduler, &["spec", "start", "scheduler"], ""),
        ("changelog release", crate::changelog::with_fragments, &["changelog", "release", "0.2.0"], ""),
        ("migrate", crate::migrate::first_layout, &["migrate"], "plan:"),
    ];
    for (name, setup, args, only) in cases {
        let sandbox = Sandbox::cached(name, setup);
        let trace = sandbox.home.join("points");
        sandbox.xtask().args(args).env("XTASK_TEST_POINTS", trace.to_str().unwrap()).success();
        let mut points = points_of(&trace);
        points.retain(|point| point.starts_with(only));
        assert!(points.iter().filter(|p| p.starts_with("plan:")).count() >= 3, "{name}: {points:?}");
        for point in &points {
            let sandbox = Sandbox::cached(name, setup);
            let before = sandbox.snapshot();
            assert!(killed_at(sandbox.xtask().args(args), point), "{name} at {point}: not interrupted");
            let out = sandbox.xtask().args(["receipts", "--limit", "1"]).success();
            assert!(crate::recovery::journal_of(&sandbox).is_none(), "{name} at {point}: the journal stayed");
            assert_eq!(sandbox.snapshot(), before, "{name} at {point}: not restored:\n{}", out.stderr);
            sandbox.xtask().args(args).success();
        }
    }
}

/// Proves a second writer is refused while the first holds the lock (held at the start of its
/// plan, the journal written), and that the first, let go, finishes undisturbed and lets go of
/// the lock.
#[test]
fn a_second_writer_is_refused_while_the_first_runs() {
    let sandbox = Sandbox::with_kit();
    let hold = Hold::at(&sandbox, "plan:start");
    let mut first = spawn_quiet(&hold.on(sandbox.xtask().args(["new-addon", "scheduler", "--yes"])));
    hold.wait(&mut first);
    let lock = sandbox.path(".git/sop/run.lock");
    assert!(lock.exists(), "the first run never took the lock");
    let out = sandbox.xtask().args(["new-addon", "jobs", "--yes"]).failure(1);
    assert_contains(&out.stderr, "another `cargo xtask new-addon` (pid ");
    assert_contains(&out.stderr, "hint: wait for it to finish");
    hold.release();
    assert!(first.wait().unwrap().success(), "the first run must finish undisturbed");
    assert!(!lock.exists(), "the lock is released at the end");
}

#[test]
fn a_lock_left_by_a_dead_process_is_taken_over() {
    let sandbox = Sandbox::with_kit();
    std::fs::create_dir_all(sandbox.path(".git/sop")).unwrap();
    // A pid far above any real one on Linux (pid_max is at most 2^22).
    sandbox.write(".git/sop/run.lock", "99999999\nnew-addon\n");
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert_contains(&out.stderr, "took over a stale lock left by an interrupted `cargo xtask new-addon`");
    assert!(!sandbox.path(".git/sop/run.lock").exists());
}

/// A run killed while it wrote its journal leaves only the journal's torn temporary, which no
/// recovery sees (there is no journal): the next writer sweeps the temporaries of dead runs in
/// `.git/sop`, and keeps a live run's.
#[test]
fn a_torn_journal_temporary_is_swept_by_the_next_writer() {
    let sandbox = Sandbox::with_kit();
    std::fs::create_dir_all(sandbox.path(".git/sop")).unwrap();
    // Pids far above any real one on Linux (pid_max is at most 2^22); this process is alive.
    let dead = ".git/sop/.journal.99999999-1a.json.99999999-1a-0.xtask-tmp";
    let live = format!(".git/sop/.journal.{0}-1a.json.{0}-1a-0.xtask-tmp", std::process::id());
    sandbox.write(dead, "{\"version\": 1, \"run\": \"torn");
    sandbox.write(&live, "{");
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert!(!sandbox.exists(dead), "the dead run's temporary is left");
    assert!(sandbox.exists(&live), "a live run's temporary was removed");
}

/// Proves an edit the engineer makes to a file an interrupted run wrote (killed right after
/// writing the spec) survives the next command's recovery.
#[test]
fn rollback_never_deletes_work_made_after_the_interruption() {
    let sandbox = Sandbox::with_kit();
    let spec_path = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
    let run = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]);
    assert!(killed_at(run, &format!("plan:{spec_path}")), "new-addon was not interrupted");
    assert!(sandbox.exists(spec_path), "the spec was written before the kill");
    // The engineer edits the half-created spec before running anything else.
    sandbox.write(spec_path, "my own notes\n");
    sandbox.xtask().args(["receipts"]).success();
    assert_eq!(sandbox.read(spec_path), "my own notes\n", "the engineer's edit was lost");
}

/// Fast verify commands, as in `pre_pr.rs`.
const FAST: &str = "verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n";

/// What every `pre-pr` kill starts from: `feat/work` with one commit, a teammate's commit on
/// `origin/main` not yet fetched (so the run fetches and rebases), and uncommitted work: a
/// changed file and an untracked one.
/// Built once, then copied for each kill ([`Sandbox::cached`]).
fn pre_pr_scenario() -> Sandbox {
    use crate::pre_pr::{commit_feature, project, teammate_pushes};
    Sandbox::cached("pre-pr kill scenario", || {
        let (sandbox, origin) = project(FAST);
        commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: my work");
        teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "theirs\n");
        sandbox.write("README.md", "one\ntwo\nthree\nunsaved work\n");
        sandbox.write("scratch.txt", "untracked work\n");
        sandbox
    })
}

/// The points inside git where a hook kills `pre-pr`'s whole process group (`pre-pr`, git and
/// the hook), as a terminal's `kill -9` of the job would: each a hook call of a complete run,
/// matched as `<hook> <arguments> <stdin>` (a shell pattern), first match only.
const IN_GIT: [(&str, &str); 7] = [
    (
        "the stash, its ref written, the tree not yet cleaned",
        "reference-transaction committed 0000000000000000000000000000000000000000 * refs/stash",
    ),
    ("the fetch, before it moves `origin/main`", "reference-transaction prepared * refs/remotes/origin/main"),
    ("the rebase, before it starts", "pre-rebase *"),
    ("the rebase, HEAD detached on `origin/main`", "post-checkout *"),
    ("the rebase, replaying the branch's commit", "prepare-commit-msg *"),
    ("the rebase, the branch moved, before it cleans up", "post-rewrite *"),
    (
        "the restore, the work applied, the stash being dropped",
        "reference-transaction prepared * 0000000000000000000000000000000000000000 refs/stash",
    ),
];

/// Installs the hooks that kill at the call `<home>/kill-in-git` names, leaving the call in
/// `<home>/killed-in-git`: the proof that the kill landed there.
fn install_killing_hooks(sandbox: &Sandbox) {
    let script = "#!/bin/sh\n# Test hook: see install_killing_hooks in xtask/tests/integration/interruptions.rs.\nwant=$(cat \"$HOME/kill-in-git\" 2>/dev/null) || exit 0\ncall=\"$(basename \"$0\") $* $(cat)\"\ncase \"$call\" in\n$want) printf '%s\\n' \"$call\" > \"$HOME/killed-in-git\"; kill -9 0 ;;\nesac\n";
    for hook in ["reference-transaction", "pre-rebase", "post-checkout", "prepare-commit-msg", "post-rewrite"] {
        let path = sandbox.path(&format!(".git/hooks/{hook}"));
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// SIGKILLs `pre-pr --autostash` at every named point of a complete run (each step, and the
/// stash, fetch, prediction, rebase, receipts inside them; `XTASK_TEST_POINTS` lists them, so a
/// new point is covered without editing this test), and inside git at each of [`IN_GIT`]. Each
/// kill is asserted to have happened, and where: the run died of SIGKILL, and the point it
/// reached last (or the hook call that killed it) is the one asked for. Afterwards the
/// engineer's commit, uncommitted change and untracked file are always there or in the stash,
/// and what the kill left (a stale lock, a rebase) is explained by the next run with a command
/// that works as printed.
#[test]
fn pre_pr_killed_at_every_step_never_loses_work() {
    use std::os::unix::process::ExitStatusExt as _;
    let sandbox = pre_pr_scenario();
    let trace = sandbox.home.join("points");
    let run = sandbox.xtask().args(["pre-pr", "--autostash"]).env("XTASK_TEST_POINTS", trace.to_str().unwrap());
    run.success();
    let points = points_of(&trace);
    for step in ["autostash", "stashed", "fetch", "predict", "rebase", "synced", "verify", "pr-body", "restore"] {
        assert!(points.contains(&format!("pre-pr:{step}")), "no point `pre-pr:{step}` in {points:?}");
    }
    assert!(points.iter().any(|p| p.starts_with("pre-pr:receipt:")), "{points:?}");

    for point in &points {
        let sandbox = pre_pr_scenario();
        let trace = sandbox.home.join("points");
        let run = sandbox.xtask().args(["pre-pr", "--autostash"]).env("XTASK_TEST_POINTS", trace.to_str().unwrap());
        assert!(killed_at(run, point), "{point}: pre-pr was not interrupted");
        assert_eq!(points_of(&trace).last(), Some(point), "{point}: killed elsewhere");
        assert_no_work_lost(&sandbox, point);
    }

    let mut rebases_left = 0;
    for (what, call) in IN_GIT {
        let sandbox = pre_pr_scenario();
        install_killing_hooks(&sandbox);
        std::fs::write(sandbox.home.join("kill-in-git"), call).unwrap();
        // Its own process group, killed as a whole by the hook, as a terminal kills a job.
        let mut command = sandbox.xtask().args(["pre-pr", "--autostash"]).command();
        use std::os::unix::process::CommandExt as _;
        command.process_group(0).stdin(std::process::Stdio::null());
        let status = command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).status().unwrap();
        std::fs::remove_file(sandbox.home.join("kill-in-git")).unwrap();
        assert_eq!(status.signal(), Some(9), "{what}: pre-pr was not killed ({status})");
        assert!(sandbox.home.join("killed-in-git").exists(), "{what}: the kill did not come from `{call}`");
        rebases_left += usize::from(assert_no_work_lost(&sandbox, what));
    }
    // Kills inside the rebase really leave one unfinished, and its recovery was run above.
    assert!(rebases_left >= 2, "only {rebases_left} kills left a rebase to recover");
}

/// After a kill at `point`: a stale lock or an unfinished rebase is named by the next run with a
/// command that works as printed, and then the commit, the uncommitted change and the untracked
/// file are each on the branch, in the tree or in the stash. Returns whether a rebase was left.
fn assert_no_work_lost(sandbox: &Sandbox, point: &str) -> bool {
    // A lock a killed git left behind is named first, with its fix (it would block the rest):
    // the index's, or HEAD's (a kill while a rebase moved HEAD). The hint is run as printed.
    for lock in ["index.lock", "HEAD.lock"] {
        if sandbox.path(&format!(".git/{lock}")).exists() {
            let out = sandbox.xtask().args(["pre-pr"]).failure(1);
            assert_contains(&out.stderr, &format!("{lock}` exists"));
            let hint = out
                .stderr
                .lines()
                .find_map(|l| l.strip_prefix("hint: if no git command is running, remove the stale lock: "))
                .unwrap_or_else(|| panic!("{point}: no hint for the stale lock:\n{}", out.stderr));
            sandbox.sh(&sandbox.root, hint);
            assert!(!sandbox.path(&format!(".git/{lock}")).exists(), "{point}: the printed `rm` left the lock");
        }
    }
    // A rebase the kill left behind is explained, and its recovery command works.
    let rebase_left = sandbox.path(".git/rebase-merge").exists() || sandbox.path(".git/rebase-apply").exists();
    if rebase_left {
        let out = sandbox.xtask().args(["pre-pr"]).failure(1);
        assert_contains(&out.stderr, "a rebase");
        // The hint names the way back: `--abort`, or `--quit` for a rebase killed while
        // it was still setting up (HEAD had not moved).
        if out.stderr.contains("git rebase --quit") {
            sandbox.git(&["rebase", "--quit"]);
        } else {
            assert_contains(&out.stderr, "git rebase --abort");
            abort_rebase(sandbox);
        }
    }
    // The commit is still on the branch (rebased or not).
    assert_contains(&sandbox.git(&["log", "--format=%s", "feat/work"]), "feat: my work");
    // The uncommitted work is in the tree or in the stash, never gone.
    // A kill inside git's own checkout can leave the file missing: then the work is in the stash.
    let tree = std::fs::read_to_string(sandbox.path("README.md")).unwrap_or_default();
    let stashed = sandbox.git(&["stash", "list"]);
    let in_stash =
        !stashed.is_empty() && sandbox.git(&["stash", "show", "-p", "--include-untracked"]).contains("unsaved work");
    assert!(
        tree.contains("unsaved work") || in_stash,
        "{point}: the uncommitted change is gone (tree: {tree:?}, stash: {stashed:?})"
    );
    let untracked_kept = sandbox.exists("scratch.txt")
        || (!stashed.is_empty()
            && sandbox.git(&["stash", "show", "--include-untracked", "--name-only"]).contains("scratch.txt"));
    assert!(untracked_kept, "{point}: the untracked file is gone");
    rebase_left
}

/// `git rebase --abort`, as the runbook tells an engineer to do it: when git refuses because
/// untracked files would be overwritten, those are the half-applied commit's own files (checked
/// here byte for byte against the branch, which the rebase has not moved yet), so they are moved
/// away and the abort is run again.
fn abort_rebase(sandbox: &Sandbox) {
    let output = sandbox.git_command(&sandbox.root).args(["rebase", "--abort"]).output().unwrap();
    if output.status.success() {
        return;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_contains(&stderr, "untracked working tree files would be overwritten");
    for file in stderr.lines().filter(|line| line.starts_with('\t')).map(str::trim) {
        let committed = sandbox.git(&["show", &format!("feat/work:{file}")]);
        assert_eq!(sandbox.read(file), committed, "`{file}` is not the branch's own version: it would be work lost");
        std::fs::remove_file(sandbox.path(file)).unwrap();
    }
    sandbox.git(&["rebase", "--abort"]);
}
