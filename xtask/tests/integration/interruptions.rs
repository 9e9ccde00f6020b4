//! Faults and interruptions never lose work: `new-addon` killed with SIGKILL at every step leaves
//! a repository that the next command restores to exactly its state before; two writers at once
//! in one clone are serialised by a lock that a crashed run does not leave stuck.

use std::time::{Duration, Instant};

use crate::support::{assert_contains, Sandbox};

/// Starts `new-addon scheduler` with the test-only pause after its steps (`env`: the knobs).
fn spawn_paused_new_addon(sandbox: &Sandbox, env: &[(&str, &str)]) -> std::process::Child {
    let mut run = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]);
    for (key, value) in env {
        run = run.env(key, value);
    }
    run.command().stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap()
}

/// Waits (at most 30 s) until `path` exists or `child` has exited.
fn wait_for(path: &std::path::Path, child: &mut std::process::Child) {
    let started = Instant::now();
    while !path.exists() && started.elapsed() < Duration::from_secs(30) {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `new-addon scheduler` killed (SIGKILL, from inside, by the test-only hook) at an exact
/// point: after `steps` steps of its plan, or between writing a file's temporary and renaming it.
/// Returns whether it was killed: a run that ends on its own returns false.
fn new_addon_killed(sandbox: &Sandbox, knob: (&str, &str)) -> bool {
    use std::os::unix::process::ExitStatusExt as _;
    let status = sandbox
        .xtask()
        .args(["new-addon", "scheduler", "--yes"])
        .env(knob.0, knob.1)
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    match status.signal() {
        Some(9) => true,
        None => false,
        Some(other) => panic!("{knob:?}: new-addon died of signal {other}, not of the injected SIGKILL"),
    }
}

/// After a killed `new-addon`, the next command restores the repository to exactly `before`, and
/// the add-on can then be created normally.
fn assert_rolled_back(sandbox: &Sandbox, before: &crate::support::Snapshot, point: &str) {
    assert!(crate::recovery::journal_of(sandbox).is_some(), "{point}: the killed run left no journal");
    let out = sandbox.xtask().args(["receipts", "--limit", "1"]).success();
    if let Some(journal) = crate::recovery::journal_of(sandbox) {
        panic!("{point}: the journal {} survived the next command:\n{}", journal.display(), out.stderr);
    }
    assert_eq!(&sandbox.snapshot(), before, "{point}: not restored:\n{}", out.stderr);
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert_eq!(sandbox.current_branch(), "feat/scheduler", "{point}");
    assert!(sandbox.exists("src/core/scheduler.rs"), "{point}");
}

/// `new-addon` killed before its first step, after each of its steps (the branch, then every file
/// it creates) and in the middle of a file's write is rolled back by the next command. Every
/// point is a real interruption (the run died of the SIGKILL, asserted), reached by a step count,
/// not a timer; the count runs until a run completes, so every step of the plan is covered.
#[test]
fn new_addon_killed_at_every_step_is_rolled_back_by_the_next_run() {
    let mut killed = 0;
    for steps in 0.. {
        let sandbox = Sandbox::with_kit();
        let before = sandbox.snapshot();
        if !new_addon_killed(&sandbox, ("XTASK_TEST_KILL_AFTER_STEPS", &steps.to_string())) {
            // More steps than the plan has: the run completed, with everything.
            assert!(sandbox.exists("src/core/scheduler.rs") && sandbox.exists("docs/changelog.d/scheduler.md"));
            break;
        }
        killed += 1;
        assert_rolled_back(&sandbox, &before, &format!("killed after {steps} steps"));
    }
    // The branch and the seven files of a slice: nine points, before the first step included.
    assert!(killed >= 9, "only {killed} runs were interrupted");

    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    assert!(new_addon_killed(&sandbox, ("XTASK_TEST_KILL_AT", "write:scheduler.rs")), "the write was not interrupted");
    assert_rolled_back(&sandbox, &before, "killed mid-write");
}

#[test]
fn a_second_writer_is_refused_while_the_first_runs() {
    let sandbox = Sandbox::with_kit();
    let mut first = spawn_paused_new_addon(&sandbox, &[("XTASK_TEST_PAUSE_MS", "300")]);
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
    // Held after writing the spec (a pause of a minute that the kill ends): killed there.
    let spec_path = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
    let mut child =
        spawn_paused_new_addon(&sandbox, &[("XTASK_TEST_PAUSE_MS", "60000"), ("XTASK_TEST_PAUSE_AT", spec_path)]);
    let spec = sandbox.path(spec_path);
    wait_for(&spec, &mut child);
    assert!(child.try_wait().unwrap().is_none(), "new-addon ended before it was killed");
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
