//! Faults and interruptions never lose work: `new-addon` killed with SIGKILL at every step leaves
//! a repository that the next command restores to exactly its state before; two writers at once
//! in one clone are serialised by a lock that a crashed run does not leave stuck.

use std::time::{Duration, Instant};

use crate::support::{assert_contains, Sandbox};

/// The test-only pause `plan.rs` takes after each step (branch, then every file).
const PAUSE_MS: u64 = 150;

/// Starts `new-addon scheduler` with the test-only pause after each of its steps.
fn spawn_paused_new_addon(sandbox: &Sandbox, pause_ms: u64) -> std::process::Child {
    sandbox
        .xtask()
        .args(["new-addon", "scheduler", "--yes"])
        .env("XTASK_TEST_PAUSE_MS", &pause_ms.to_string())
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits (at most 30 s) until `path` exists or `child` has exited.
fn wait_for(path: &std::path::Path, child: &mut std::process::Child) {
    wait_until(|| path.exists(), child);
}

/// Waits (at most 30 s) until `ready()` or `child` has exited.
fn wait_until(ready: impl Fn() -> bool, child: &mut std::process::Child) {
    let started = Instant::now();
    while !ready() && started.elapsed() < Duration::from_secs(30) {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// SIGKILLs `new-addon` after `steps` pauses, at many points, and checks the outcome each time.
#[test]
fn new_addon_killed_at_every_step_is_rolled_back_by_the_next_run() {
    // Branch + 7 created files (a slice only adds files) = 8 steps; kill inside each of them and
    // at the start.
    for step in 0..9u64 {
        let sandbox = Sandbox::with_kit();
        let before = sandbox.snapshot();
        let mut child = spawn_paused_new_addon(&sandbox, PAUSE_MS);
        // Startup plus `step` pauses, then half a pause into the next one.
        // Each run's journal has a name of its own: `.git/sop/journal.<run id>.json`.
        wait_until(|| crate::recovery::journal_of(&sandbox).is_some(), &mut child);
        std::thread::sleep(Duration::from_millis(step * PAUSE_MS + PAUSE_MS / 2));
        child.kill().unwrap();
        let status = child.wait().unwrap();

        // A kill after the plan finished (its journal removed) but before the process exited
        // also leaves the whole add-on: all, not nothing.
        let completed = status.success()
            || (crate::recovery::journal_of(&sandbox).is_none() && sandbox.exists("docs/changelog.d/scheduler.md"));
        if completed {
            // It finished before the kill: everything must be there.
            assert!(sandbox.exists("src/core/scheduler.rs"), "step {step}: exited 0 without the module");
            continue;
        }
        // Any command now detects the leftover journal and rolls back to exactly `before`.
        let out = sandbox.xtask().args(["receipts", "--limit", "1"]).success();
        if let Some(journal) = crate::recovery::journal_of(&sandbox) {
            panic!("step {step}: the journal {} survived the next command:\n{}", journal.display(), out.stderr);
        }
        assert_eq!(sandbox.snapshot(), before, "step {step}: not restored:\n{}", out.stderr);
        assert!(!sandbox.path(".git/sop/run.lock").exists() || step == 0, "step {step}: the lock stayed");
        // And the add-on can then be created normally.
        sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
        assert_eq!(sandbox.current_branch(), "feat/scheduler");
    }
}

#[test]
fn a_second_writer_is_refused_while_the_first_runs() {
    let sandbox = Sandbox::with_kit();
    let mut first = spawn_paused_new_addon(&sandbox, 300);
    let lock = sandbox.path(".git/sop/run.lock");
    wait_for(&lock, &mut first);
    assert!(lock.exists(), "the first run never took the lock");
    let out = sandbox.xtask().args(["new-addon", "jobs", "--yes"]).failure(1);
    assert_contains(&out.stderr, "another `cargo xtask new-addon` (pid ");
    assert_contains(&out.stderr, "hint: wait for it to finish");
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

#[test]
fn rollback_never_deletes_work_made_after_the_interruption() {
    let sandbox = Sandbox::with_kit();
    let mut child = spawn_paused_new_addon(&sandbox, 400);
    let spec = sandbox.path("docs/specs/Lancelot_vNext2_Spec_Scheduler.md");
    wait_for(&spec, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(spec.exists(), "the spec was written before the kill");
    // The engineer edits the half-created spec before running anything else.
    sandbox.write("docs/specs/Lancelot_vNext2_Spec_Scheduler.md", "my own notes\n");
    sandbox.xtask().args(["receipts"]).success();
    assert_eq!(
        sandbox.read("docs/specs/Lancelot_vNext2_Spec_Scheduler.md"),
        "my own notes\n",
        "the engineer's edit was lost"
    );
}

/// SIGKILLs `pre-pr --autostash` at many points (during the stash, the fetch, the rebase, the
/// verify step). Afterwards the engineer's uncommitted work and commits are always recoverable,
/// and a leftover rebase is explained by the next run with its recovery command.
#[test]
fn pre_pr_killed_at_many_points_never_loses_work() {
    use crate::pre_pr::{commit_feature, project, teammate_pushes};
    let mut interrupted = 0;
    for delay_ms in [0u64, 20, 40, 70, 100, 150, 220, 320, 480, 700] {
        let (sandbox, origin) = project("verify = [[\"sleep\", \"0.4\"]]\nintegration_verify = [[\"true\"]]\n");
        let mine = commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: my work");
        teammate_pushes(&sandbox, &origin, &format!("mate-{delay_ms}"), "NOTES.md", "theirs\n");
        sandbox.write("README.md", "one\ntwo\nthree\nunsaved work\n");
        sandbox.write("scratch.txt", "untracked work\n");

        // Its own process group, killed as a whole: the git and verify processes it started die
        // with it, as they do when a terminal kills the job.
        let mut child = {
            use std::os::unix::process::CommandExt as _;
            let mut command = sandbox.xtask().args(["pre-pr", "--autostash"]).command();
            command.process_group(0).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
            command.spawn().unwrap()
        };
        std::thread::sleep(Duration::from_millis(delay_ms));
        let group = format!("-{}", child.id());
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &group]).status();
        let finished = child.wait().unwrap().code().is_some();
        if !finished {
            interrupted += 1;
        }

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
                    .unwrap();
                sandbox.sh(&sandbox.root, hint);
                assert!(!sandbox.path(&format!(".git/{lock}")).exists(), "the printed `rm` removed the stale lock");
            }
        }
        // A rebase the kill left behind is explained, and its recovery command works.
        if sandbox.path(".git/rebase-merge").exists() || sandbox.path(".git/rebase-apply").exists() {
            let out = sandbox.xtask().args(["pre-pr"]).failure(1);
            assert_contains(&out.stderr, "a rebase");
            // The hint names the way back: `--abort`, or `--quit` for a rebase killed while
            // it was still setting up (HEAD had not moved).
            if out.stderr.contains("git rebase --quit") {
                sandbox.git(&["rebase", "--quit"]);
            } else {
                assert_contains(&out.stderr, "git rebase --abort");
                abort_rebase(&sandbox);
            }
        }
        // The commit is still on the branch (rebased or not).
        let log = sandbox.git(&["log", "--format=%s", "feat/work"]);
        assert_contains(&log, "feat: my work");
        let _ = mine;
        // The uncommitted work is in the tree or in the stash, never gone.
        // A kill inside git's own checkout can leave the file missing: then the work is in the stash.
        let tree = std::fs::read_to_string(sandbox.path("README.md")).unwrap_or_default();
        let stashed = sandbox.git(&["stash", "list"]);
        let in_stash = !stashed.is_empty()
            && sandbox.git(&["stash", "show", "-p", "--include-untracked"]).contains("unsaved work");
        assert!(
            tree.contains("unsaved work") || in_stash,
            "killed after {delay_ms} ms: the uncommitted change is gone (tree: {tree:?}, stash: {stashed:?})"
        );
        let untracked_kept = sandbox.exists("scratch.txt")
            || (!stashed.is_empty()
                && sandbox.git(&["stash", "show", "--include-untracked", "--name-only"]).contains("scratch.txt"));
        assert!(untracked_kept, "killed after {delay_ms} ms: the untracked file is gone");
    }
    assert!(interrupted > 0, "no run was actually interrupted; the delays are too long");
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
