//! `pre-pr`'s sync fails safe (issue 11, class 4): a full disk is not called a conflict and the
//! stash is never restored into, or advised dropped during, an unfinished rebase; an ignored or
//! untracked file the sync would overwrite is refused before anything moves; Ctrl-C and SIGTERM
//! put the stash back before exiting 130; every `hint:`/`next:` on these paths works when pasted.
//!
//! A full disk is simulated by a test double of `git` first on `PATH` (a shell script that runs
//! the real git and then fails the way git fails on ENOSPC), not a tmpfs: it needs no root, and
//! the rebase it breaks is real (git's own half-done state, aborted or not by git itself).
//! Unix only: the double is a shell script, and the signals are POSIX ones.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::pre_pr::{commit_feature, project, teammate_pushes};
use crate::support::{assert_contains, hint_command, next_lines, Sandbox};

/// Fast verify commands, as in `pre_pr.rs`.
const FAST: &str = "verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n";

/// The uncommitted work every scenario must keep: a staged change, an unstaged one and an
/// untracked file.
fn leave_uncommitted_work(sandbox: &Sandbox) {
    sandbox.write("FEATURE.md", "mine, staged\n");
    sandbox.git(&["add", "FEATURE.md"]);
    sandbox.write("README.md", "one\ntwo\nthree\nunsaved work\n");
    sandbox.write("scratch.txt", "untracked work\n");
}

/// Asserts the work of [`leave_uncommitted_work`] is in the working tree, the staged part staged.
#[track_caller]
fn assert_work_is_back(sandbox: &Sandbox) {
    assert_eq!(sandbox.read("README.md"), "one\ntwo\nthree\nunsaved work\n");
    assert_eq!(sandbox.read("scratch.txt"), "untracked work\n");
    assert_eq!(sandbox.read("FEATURE.md"), "mine, staged\n");
    assert_eq!(sandbox.git(&["stash", "list"]), "", "the stash was restored and dropped");
    assert_no_operation_in_progress(sandbox);
}

#[track_caller]
fn assert_no_operation_in_progress(sandbox: &Sandbox) {
    for leftover in [".git/rebase-merge", ".git/rebase-apply", ".git/MERGE_HEAD", ".git/index.lock"] {
        assert!(!sandbox.path(leftover).exists(), "`{leftover}` was left behind");
    }
}

/// A branch `feat/work` with one commit (`FEATURE.md`), and a teammate's commit on `origin/main`
/// (`NOTES.md`), already fetched: syncing rebases one commit, without conflicts.
fn diverged(sop: &str) -> (Sandbox, PathBuf, String) {
    let (sandbox, origin) = project(sop);
    let mine = commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: add the feature file");
    teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "from the teammate\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    (sandbox, origin, mine)
}

/// The absolute path of the real `git`.
fn real_git() -> String {
    let output = std::process::Command::new("sh").args(["-c", "command -v git"]).output().unwrap();
    let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(output.status.success() && !path.is_empty(), "git is not on PATH");
    path
}

/// Installs a test double of `git` in `<home>/fault-bin` and returns a `PATH` that finds it first.
///
/// It runs the real git, except when `<home>/fault` names a fault:
/// - `full`: the disk is full. `git rebase`/`git merge` stop half-way (the real command, stopped
///   after its first step, leaving git's own unfinished state), `FEATURE.md` is left half-written,
///   and git's ENOSPC error is printed (exit 128); `--abort` fails the same way while it lasts.
/// - `once`: the same rebase/merge failure, after which the disk is freed (the fault file goes).
/// - `conflict`: the real rebase runs (and conflicts), then the disk fills: git's ENOSPC error is
///   printed and it exits 128, with unmerged entries in the index. The fault file goes.
/// - `slow`: `git rebase` first touches `<home>/rebase-started`, then waits until the test
///   creates `<home>/rebase-release` (a long rebase, held as long as the test needs).
fn install_git_double(sandbox: &Sandbox) -> String {
    let bin = sandbox.home.join("fault-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/bin/sh
# Test double of git: see install_git_double in xtask/tests/integration/sync_safety.rs.
real='{real}'
fault="$HOME/fault"
mode=$(cat "$fault" 2>/dev/null)
enospc() {{
    echo "error: unable to write new index file" >&2
    echo "fatal: write error: No space left on device" >&2
    exit 128
}}
case " $* " in
*" --abort "*)
    [ "$mode" = full ] && enospc ;;
*" rebase "*|*" merge "*)
    case "$* $mode" in
    *rebase*" full"|*rebase*" once") "$real" "$@" --exec false >/dev/null 2>&1 ;;
    *merge*" full"|*merge*" once") "$real" "$@" --no-commit --no-ff >/dev/null 2>&1 ;;
    *" conflict") "$real" "$@" >/dev/null 2>&1 ;;
    *rebase*" slow") touch "$HOME/rebase-started"
        while [ ! -e "$HOME/rebase-release" ]; do sleep 0.01; done
        exec "$real" "$@" ;;
    *) exec "$real" "$@" ;;
    esac
    [ "$mode" = full ] || rm -f "$fault"
    [ "$mode" = conflict ] || printf 'half-writ' > FEATURE.md
    enospc ;;
esac
exec "$real" "$@"
"#,
        real = real_git()
    );
    let path = bin.join("git");
    std::fs::write(&path, script).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

fn set_fault(sandbox: &Sandbox, mode: &str) {
    std::fs::write(sandbox.home.join("fault"), mode).unwrap();
}

/// The stash's commit id, as `git stash list` knows it.
fn stash_commit(sandbox: &Sandbox) -> String {
    sandbox.git(&["rev-parse", "stash@{0}"]).trim().to_string()
}

/// Reproduces issue 11's first defect: a full disk during the rebase was reported as "the rebase
/// conflicted", the stash was popped inside the unfinished rebase and the message said to drop the
/// stash. Proves that now the failure is named for what it is, the stash is left alone while git
/// cannot abort the rebase, the output says exactly where the work is (the `git stash list`
/// entry, its id and `git stash apply <id>`), and that the hint, pasted once the disk has room
/// again, brings back the branch and every kind of uncommitted work.
#[test]
fn a_full_disk_during_the_rebase_is_no_conflict_and_the_stash_is_left_where_it_is_said_to_be() {
    let (sandbox, _origin, mine) = diverged(FAST);
    leave_uncommitted_work(&sandbox);
    let path = install_git_double(&sandbox);
    set_fault(&sandbox, "full");
    let out = sandbox.xtask().args(["pre-pr", "--autostash"]).env("PATH", &path).failure(1);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.to_lowercase().contains("conflict"), "a full disk is no conflict:\n{all}");
    assert!(!all.contains("stash drop"), "never advise dropping the only copy of the work:\n{all}");
    assert_contains(&out.stderr, "No space left on device");
    assert_contains(&all, "the rebase is unfinished");
    // The stash was not touched: the work is in it, not in the half-rebased tree.
    let stash = stash_commit(&sandbox);
    assert_eq!(sandbox.git(&["stash", "list"]).lines().count(), 1);
    assert!(!sandbox.exists("scratch.txt"), "the stash was applied inside the unfinished rebase");
    assert!(sandbox.path(".git/rebase-merge").exists(), "the double did not leave a rebase unfinished");
    // Where the work is, exactly.
    let entry = sandbox.git(&["stash", "list"]);
    assert_contains(&all, entry.trim());
    assert_contains(&all, &stash);
    assert_contains(&all, &format!("git stash apply {stash}"));
    assert_contains(&out.stdout, "restore      failed");

    // Run again before the disk has room: it refuses (a rebase is in progress) and points at
    // the stash without advising to pop it into the unfinished rebase.
    let again = sandbox.xtask().args(["pre-pr"]).env("PATH", &path).refused(1);
    assert_contains(&again.stderr, "a rebase is in progress");
    assert_contains(
        &again.stderr,
        &format!("once the rebase is finished or aborted (git rebase --abort), get it back: git stash apply {stash}"),
    );
    assert!(!again.stderr.contains("stash pop"), "{}", again.stderr);

    // The disk has room again: the hint, pasted as printed, gets everything back.
    std::fs::remove_file(sandbox.home.join("fault")).unwrap();
    let hint = hint_command(&out.stderr);
    assert_eq!(hint, format!("git rebase --abort && git checkout -f -B feat/work {mine} && git stash apply {stash}"));
    sandbox.sh(&sandbox.root, &hint);
    assert_eq!(sandbox.head(), mine, "the branch is back where it was");
    assert_eq!(sandbox.read("README.md"), "one\ntwo\nthree\nunsaved work\n");
    assert_eq!(sandbox.read("scratch.txt"), "untracked work\n");
    assert_eq!(sandbox.read("FEATURE.md"), "mine, staged\n");
    assert_no_operation_in_progress(&sandbox);
}

/// A full disk that is freed before the abort: the failed rebase is aborted, the repository is
/// proven as before, and only then is the stash restored. The message names the disk, not a
/// conflict, and its hint (run it again) works when pasted.
#[test]
fn a_failed_rebase_that_could_be_aborted_restores_the_work_and_names_the_cause() {
    let (sandbox, _origin, mine) = diverged(FAST);
    leave_uncommitted_work(&sandbox);
    let path = install_git_double(&sandbox);
    set_fault(&sandbox, "once");
    let out = sandbox.xtask().args(["pre-pr", "--autostash"]).env("PATH", &path).failure(1);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.to_lowercase().contains("conflict"), "a full disk is no conflict:\n{all}");
    assert_contains(&out.stderr, "error: `git rebase` failed: fatal: write error: No space left on device");
    assert_contains(&out.stderr, "it was aborted: HEAD, the index and the working tree are as before");
    assert_contains(&out.stdout, "restore      passed");
    assert_eq!(sandbox.head(), mine);
    assert_work_is_back(&sandbox);
    let hint = hint_command(&out.stderr);
    assert_eq!(hint, "cargo xtask pre-pr --autostash");
    sandbox.sh(&sandbox.root, &hint);
    assert_eq!(
        sandbox.git(&["merge-base", "HEAD", "origin/main"]).trim(),
        sandbox.git(&["rev-parse", "origin/main"]).trim()
    );
    assert_work_is_back(&sandbox);
}

/// Unmerged entries alone do not make a conflict: a rebase that stopped on a conflict and then
/// hit a full disk (git exits 128 with ENOSPC) is reported as the disk failure. Told apart by
/// git's exit status and its messages, not assumed from the index.
#[test]
fn unmerged_entries_with_a_fatal_error_are_not_called_a_conflict() {
    let (sandbox, origin) = project(FAST);
    sandbox.write("README.md", "one\nmine\nthree\n");
    sandbox.commit_all("feat: change the readme");
    let mine = sandbox.head();
    teammate_pushes(&sandbox, &origin, "mate", "README.md", "one\ntheirs\nthree\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.write("scratch.txt", "untracked work\n");
    let path = install_git_double(&sandbox);
    set_fault(&sandbox, "conflict");
    let out = sandbox
        .xtask()
        .args(["pre-pr", "--autostash"])
        .env("PATH", &path)
        .env("XTASK_TEST_SKIP_PREDICTION", "1")
        .failure(1);
    assert!(!out.stderr.contains("conflicted in"), "{}", out.stderr);
    assert_contains(&out.stderr, "No space left on device");
    assert_contains(&out.stderr, "it was aborted: HEAD, the index and the working tree are as before");
    assert_eq!(sandbox.head(), mine);
    assert_eq!(sandbox.read("scratch.txt"), "untracked work\n");
    assert_eq!(sandbox.git(&["stash", "list"]), "");
    assert_no_operation_in_progress(&sandbox);
}

/// The merge strategy fails safe the same way: a full disk mid-merge leaves the stash alone and
/// says where it is; the hint, pasted once there is room, aborts the merge and restores the work.
#[test]
fn a_full_disk_during_a_merge_leaves_the_stash_and_says_where_it_is() {
    let (sandbox, _origin, mine) = diverged(&format!("sync_strategy = \"merge\"\n{FAST}"));
    leave_uncommitted_work(&sandbox);
    let path = install_git_double(&sandbox);
    set_fault(&sandbox, "full");
    let out = sandbox.xtask().args(["pre-pr", "--autostash"]).env("PATH", &path).failure(1);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.to_lowercase().contains("conflict"), "{all}");
    assert!(!all.contains("stash drop"), "{all}");
    assert!(sandbox.path(".git/MERGE_HEAD").exists(), "the double did not leave a merge unfinished");
    let stash = stash_commit(&sandbox);
    std::fs::remove_file(sandbox.home.join("fault")).unwrap();
    let hint = hint_command(&out.stderr);
    assert_eq!(hint, format!("git merge --abort && git checkout -f -B feat/work {mine} && git stash apply {stash}"));
    sandbox.sh(&sandbox.root, &hint);
    assert_eq!(sandbox.head(), mine);
    assert_eq!(sandbox.read("README.md"), "one\ntwo\nthree\nunsaved work\n");
    assert_eq!(sandbox.read("scratch.txt"), "untracked work\n");
    assert_no_operation_in_progress(&sandbox);
}

/// The teammate commits `file` with `content` on main, even if it is ignored, and pushes.
fn teammate_adds_tracked(sandbox: &Sandbox, origin: &Path, file: &str, content: &str) {
    let mate = sandbox.clone_of(origin, "mate-adds");
    let path = mate.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    sandbox.git_in(&mate, &["add", "-f", file]);
    sandbox.git_in(&mate, &["commit", "-q", "-m", &format!("chore: track {file}")]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "main"]);
}

/// The command after the hint's last `: ` (the hint of a file in the way starts with `mv`, which
/// `hint_command` does not look for).
fn hint_after_colon(stderr: &str) -> String {
    let hint = stderr.lines().find_map(|line| line.strip_prefix("hint: ")).expect("a hint: line");
    hint.rsplit_once(": ").map(|(_, command)| command.to_string()).unwrap_or_default()
}

/// Reproduces issue 11's second defect: an ignored `.env` holding secrets was silently
/// overwritten when upstream added a tracked `.env`. Proves the sync now predicts it, refuses
/// (exit 1) before anything moves (the repository byte-identical), names the file, and that the
/// hint's move keeps the secrets (still ignored) while the sync goes through. (The full hint line
/// is pasted in the next test: here `check` rightly fails the run on upstream's tracked `.env`.)
#[test]
fn an_ignored_env_file_the_sync_would_overwrite_is_refused_and_kept() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: add the feature file");
    teammate_adds_tracked(&sandbox, &origin, ".env", "FEATURE_SHARED=true\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.write(".env", "SECRET_TOKEN=hunter2\n");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "error: `origin/main` adds `.env`, an ignored file here: the sync would overwrite it");
    assert_eq!(sandbox.read(".env"), "SECRET_TOKEN=hunter2\n");
    let hint = hint_after_colon(&out.stderr);
    assert_eq!(hint, "mv \"$(git rev-parse --show-toplevel)\"/.env \"$(git rev-parse --show-toplevel)\"/.env.mine && cargo xtask pre-pr");
    sandbox.sh(&sandbox.root, "mv .env .env.mine");
    let out = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_contains(&out.stdout, "Passed sync: rebased 1 commit");
    assert_contains(&out.stdout, "`.env` is tracked");
    assert_eq!(sandbox.read(".env.mine"), "SECRET_TOKEN=hunter2\n");
    assert_eq!(sandbox.read(".env"), "FEATURE_SHARED=true\n");
    // The moved file is still ignored: the secrets cannot be committed by `git add -A`.
    assert!(!sandbox.git(&["status", "--porcelain"]).contains(".env.mine"));
}

/// `sync` (not only `pre-pr`) with an untracked file where main adds one: the dry run and the
/// run refuse before anything moves (exit 1, byte-identical), naming the file; the hint, pasted
/// as printed, moves it aside and syncs, and the file's content is kept.
#[test]
fn sync_refuses_an_untracked_file_in_the_way_and_its_hint_syncs() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: add the feature file");
    teammate_adds_tracked(&sandbox, &origin, "notes/plan.md", "the team's plan\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.write("notes/plan.md", "my own plan\n");
    for args in [&["sync", "--dry-run"][..], &["sync"]] {
        let out = sandbox.xtask().args(args).refused(1);
        assert_contains(
            &out.stderr,
            "`origin/main` adds `notes/plan.md`, an untracked file here: the sync would overwrite it",
        );
    }
    let out = sandbox.xtask().args(["sync"]).refused(1);
    let hint = hint_after_colon(&out.stderr);
    assert!(hint.starts_with("mv ") && hint.ends_with(" && cargo xtask sync"), "{hint}");
    sandbox.sh(&sandbox.root, &hint);
    assert_eq!(sandbox.read("notes/plan.md"), "the team's plan\n");
    assert_eq!(sandbox.read("notes/plan.md.mine"), "my own plan\n");
    assert!(sandbox.git(&["log", "--format=%s", "-2"]).contains("feat: add the feature file"));
}

/// An ignored file (ignored locally, through `.git/info/exclude`) where upstream adds a tracked
/// one: refused with the file named, and the hint, pasted exactly as printed, moves it aside to
/// a name that is still ignored (`settings.mine.toml` for `*.toml`-style rules) and runs `pre-pr`
/// to the end.
#[test]
fn the_hint_for_a_file_in_the_way_works_when_pasted() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: add the feature file");
    teammate_adds_tracked(&sandbox, &origin, "config/settings.toml", "shared = true\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    std::fs::write(sandbox.path(".git/info/exclude"), "config/*.toml\n").unwrap();
    sandbox.write("config/settings.toml", "token = \"mine\"\n");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "`config/settings.toml`, an ignored file here");
    let hint = hint_after_colon(&out.stderr);
    assert_eq!(hint, "mv \"$(git rev-parse --show-toplevel)\"/config/settings.toml \"$(git rev-parse --show-toplevel)\"/config/settings.mine.toml && cargo xtask pre-pr");
    sandbox.sh(&sandbox.root, &hint);
    assert_eq!(sandbox.read("config/settings.mine.toml"), "token = \"mine\"\n");
    assert_eq!(sandbox.read("config/settings.toml"), "shared = true\n");
    assert!(sandbox.exists("target/pre-pr/PR_BODY.md"));
}

/// With `--autostash`, an untracked file (stashed with the rest) that upstream adds as a tracked
/// file would make the restore fail after the sync: it is found in the stash and refused up front,
/// the stash is put back, and the repository is byte-identical. A `--dry-run` says so too.
#[test]
fn an_untracked_file_in_the_way_is_refused_before_the_sync_even_when_stashed() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: add the feature file");
    teammate_adds_tracked(&sandbox, &origin, "docs/notes.md", "theirs\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.write("docs/notes.md", "my own notes\n");
    sandbox.write("README.md", "one\ntwo\nthree\nunsaved work\n");
    let out = sandbox.xtask().args(["pre-pr", "--dry-run", "--autostash"]).refused(1);
    assert_contains(&out.stderr, "`docs/notes.md`");
    let out = sandbox.xtask().args(["pre-pr", "--autostash"]).refused(1);
    assert_contains(&out.stderr, "`docs/notes.md`");
    assert_contains(&out.stderr, "untracked");
    assert_eq!(sandbox.git(&["stash", "list"]), "");
    let hint = hint_after_colon(&out.stderr);
    assert_eq!(hint, "mv \"$(git rev-parse --show-toplevel)\"/docs/notes.md \"$(git rev-parse --show-toplevel)\"/docs/notes.md.mine && cargo xtask pre-pr --autostash");
    sandbox.sh(&sandbox.root, &hint);
    assert_eq!(sandbox.read("docs/notes.md.mine"), "my own notes\n");
    assert_eq!(sandbox.read("docs/notes.md"), "theirs\n");
    assert_eq!(sandbox.read("README.md"), "one\ntwo\nthree\nunsaved work\n");
}

/// `[workspace.metadata.sop]` whose verify command records that it started, and then waits
/// while `<home>/slow` exists (held until the test removes it, or the run is interrupted). The one place a test sets a verify command of its own: when
/// committed verify commands need the engineer's approval, approve it here.
fn slow_verify_project() -> (Sandbox, PathBuf, String) {
    let script = r#"touch "$HOME/verify-started"; while [ -e "$HOME/slow" ]; do sleep 0.01; done; touch "$HOME/verify-finished""#;
    let sop = format!("verify = [['sh', '-c', '{script}']]\nintegration_verify = [[\"true\"]]\n");
    let (sandbox, origin, mine) = diverged(&sop);
    std::fs::write(sandbox.home.join("slow"), "").unwrap();
    (sandbox, origin, mine)
}

/// Starts `pre-pr --autostash` in a process group of its own (as a terminal's job is), its
/// output going to files in the sandbox's home.
fn spawn_pre_pr(sandbox: &Sandbox, path: Option<&str>) -> Child {
    spawn_pre_pr_held(sandbox, path, None)
}

/// [`spawn_pre_pr`], held at `hold`'s point when there is one.
fn spawn_pre_pr_held(sandbox: &Sandbox, path: Option<&str>, hold: Option<&crate::support::Hold>) -> Child {
    use std::os::unix::process::CommandExt as _;
    let trace = sandbox.home.join("points");
    let mut run = sandbox.xtask().args(["pre-pr", "--autostash"]).env("XTASK_TEST_POINTS", trace.to_str().unwrap());
    if let Some(path) = path {
        run = run.env("PATH", path);
    }
    if let Some(hold) = hold {
        run = hold.on(run);
    }
    let mut command = run.command();
    let stdout = std::fs::File::create(sandbox.home.join("stdout")).unwrap();
    let stderr = std::fs::File::create(sandbox.home.join("stderr")).unwrap();
    command.process_group(0).stdin(Stdio::null()).stdout(stdout).stderr(stderr);
    command.spawn().unwrap()
}

/// Waits (at most 60 s) until `path` exists; fails if the run ends first.
fn wait_for(path: &Path, child: &mut Child, sandbox: &Sandbox) {
    let started = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("pre-pr ended ({status}) before {}:\n{}", path.display(), output_of(sandbox));
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits (at most 20 s) for the run to end and returns its exit code.
fn wait_exit(child: &mut Child, sandbox: &Sandbox) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or_else(|| panic!("killed by {status}:\n{}", output_of(sandbox)));
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("pre-pr did not exit after the signal:\n{}", output_of(sandbox));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn output_of(sandbox: &Sandbox) -> String {
    let read = |name: &str| std::fs::read_to_string(sandbox.home.join(name)).unwrap_or_default();
    format!("--- stdout\n{}--- stderr\n{}", read("stdout"), read("stderr"))
}

fn send(signal: &str, target: &str) {
    let status = std::process::Command::new("kill").args([signal, "--", target]).status().unwrap();
    assert!(status.success(), "kill {signal} {target} failed");
}

/// The same Ctrl-C, with the signal handler held at its first point until the main thread has
/// run the restore step: what a loaded machine does by chance (the verify command dies of the
/// same Ctrl-C, and the restore runs before the handler's thread). Proves the run waits for the
/// handler, exits 130 with the work back and says it was restored. (Once the restore step has
/// let go of git, the handler may end the process before the step's line is printed: it then
/// says what the step restored itself, which this test cannot time.)
#[test]
fn ctrl_c_handled_after_the_restore_step_still_says_the_work_is_back() {
    let (sandbox, _origin, _mine) = slow_verify_project();
    leave_uncommitted_work(&sandbox);
    let hold = crate::support::Hold::at(&sandbox, "pre-pr:signal");
    let mut child = spawn_pre_pr_held(&sandbox, None, Some(&hold));
    wait_for(&sandbox.home.join("verify-started"), &mut child, &sandbox);
    send("-INT", &format!("-{}", child.id()));
    hold.wait(&mut child);
    // The main thread goes on to the restore step: the stash is emptied by it, not the handler.
    let started = Instant::now();
    let stashed = || {
        let output = sandbox.git_command(&sandbox.root).args(["rev-parse", "-q", "--verify", "refs/stash"]).output();
        output.unwrap().status.success()
    };
    while stashed() {
        assert!(started.elapsed() < Duration::from_secs(30), "the restore step never ran:\n{}", output_of(&sandbox));
        std::thread::sleep(Duration::from_millis(10));
    }
    hold.release();
    let code = wait_exit(&mut child, &sandbox);
    let output = output_of(&sandbox);
    assert_eq!(code, 130, "{output}");
    assert_contains(&output, "interrupted");
    assert_contains(&output, "restored the uncommitted work");
    assert_work_is_back(&sandbox);
}

/// Reproduces issue 11's third defect: Ctrl-C during `pre-pr --autostash` left the edits in the
/// stash without a word. The terminal's Ctrl-C (SIGINT to the whole process group) arrives while
/// the verify command is running, after the sync. Proves the run really was interrupted there
/// (the work was in the stash, verify started and never finished, no PR body, 130 while verify
/// was still held), and that the work came back before it exited; the hint it prints, pasted,
/// runs `pre-pr` again to the end.
#[test]
fn ctrl_c_during_verify_restores_the_stash_before_exiting_130() {
    let (sandbox, _origin, _mine) = slow_verify_project();
    leave_uncommitted_work(&sandbox);
    let mut child = spawn_pre_pr(&sandbox, None);
    wait_for(&sandbox.home.join("verify-started"), &mut child, &sandbox);
    // Paused in verify, the work in the stash, the branch rebased.
    assert_eq!(sandbox.git(&["stash", "list"]).lines().count(), 1);
    assert!(!sandbox.exists("scratch.txt"));
    let rebased = sandbox.head();
    let started = Instant::now();
    send("-INT", &format!("-{}", child.id()));
    let code = wait_exit(&mut child, &sandbox);
    let output = output_of(&sandbox);
    assert_eq!(code, 130, "{output}");
    assert!(started.elapsed() < Duration::from_secs(20), "it waited for verify to end");
    assert!(!sandbox.home.join("verify-finished").exists(), "verify was not interrupted");
    assert!(!sandbox.exists("target/pre-pr/PR_BODY.md"), "it went on after the signal");
    assert_contains(&output, "interrupted");
    assert_contains(&output, "restored the uncommitted work");
    assert_eq!(sandbox.head(), rebased, "the sync, finished before the signal, stays");
    assert_work_is_back(&sandbox);
    assert!(!output.contains("stash drop"), "{output}");

    // The hint, pasted as printed, runs it again (now without the slow verify) to the end.
    std::fs::remove_file(sandbox.home.join("slow")).unwrap();
    let stderr = std::fs::read_to_string(sandbox.home.join("stderr")).unwrap();
    let hint = hint_command(&stderr);
    assert_eq!(hint, "cargo xtask pre-pr --autostash");
    sandbox.sh(&sandbox.root, &hint);
    assert!(sandbox.exists("target/pre-pr/PR_BODY.md"));
    assert_work_is_back(&sandbox);
}

/// SIGTERM to the xtask alone while git is rebasing: the handler waits for git (never restores
/// inside a running rebase), then restores the stash onto the rebased branch and exits 130 before
/// verify starts. Proves the signal arrived mid-rebase (the double had started and is held until
/// the handler has the signal: its `pre-pr:signal` point is traced) and that nothing ran after it.
#[test]
fn sigterm_during_the_rebase_waits_for_git_then_restores_and_exits_130() {
    let (sandbox, _origin, mine) = slow_verify_project();
    leave_uncommitted_work(&sandbox);
    let path = install_git_double(&sandbox);
    set_fault(&sandbox, "slow");
    let mut child = spawn_pre_pr(&sandbox, Some(&path));
    wait_for(&sandbox.home.join("rebase-started"), &mut child, &sandbox);
    assert_eq!(sandbox.head(), mine, "the rebase had not finished when the signal was sent");
    send("-TERM", &child.id().to_string());
    let trace = sandbox.home.join("points");
    let started = Instant::now();
    while !crate::support::points_of(&trace).iter().any(|point| point == "pre-pr:signal") {
        assert!(started.elapsed() < Duration::from_secs(60), "the handler never had the signal");
        std::thread::sleep(Duration::from_millis(2));
    }
    std::fs::write(sandbox.home.join("rebase-release"), "").unwrap();
    let code = wait_exit(&mut child, &sandbox);
    let output = output_of(&sandbox);
    assert_eq!(code, 130, "{output}");
    assert!(!sandbox.home.join("verify-started").exists(), "verify ran after the signal:\n{output}");
    assert_ne!(sandbox.head(), mine, "the rebase git had started was allowed to finish");
    assert_eq!(sandbox.git(&["rev-list", "--count", "origin/main..HEAD"]).trim(), "1");
    assert_contains(&output, "interrupted");
    assert_work_is_back(&sandbox);
}

/// After a rebase, the `next:` push is `--force-with-lease`, and pasted as printed it updates a
/// branch that was pushed before the rebase (a plain push would be rejected).
#[test]
fn the_push_after_a_rebase_uses_force_with_lease_and_works_as_printed() {
    let (sandbox, origin, _mine) = diverged(FAST);
    sandbox.git(&["push", "-q", "-u", "origin", "feat/work"]);
    teammate_pushes(&sandbox, &origin, "mate-2", "MORE.md", "more from the teammate\n");
    let out = sandbox.xtask().args(["pre-pr"]).success();
    let next = next_lines(&out.stdout);
    let lease = sandbox.git(&["rev-parse", "origin/feat/work"]);
    assert_eq!(
        next,
        [format!("git push --force-with-lease=refs/heads/feat/work:{} -u origin feat/work", lease.trim())]
    );
    sandbox.sh(&sandbox.root, &next[0]);
    let pushed = sandbox.git(&["ls-remote", "origin", "refs/heads/feat/work"]);
    assert_contains(&pushed, &sandbox.head());
}
