//! `cargo xtask sync` and `propose` with a team (a bare origin, this clone, a teammate's) when
//! something outside the tool fails: a `sync --abort` killed while git held the index lock, a
//! rebase interrupted while it wrote a commit's files, a stash git cannot write, a push that
//! cannot reach the remote. What these tests prove: the next run names the cause before anything
//! moves; every printed `hint:`/`next:` line, pasted as printed, does what it says; the staged,
//! unstaged and untracked work always comes back.
//!
//! The faults come from a test double of `git` first on `PATH` (a shell script that runs the real
//! git, as in `sync_safety.rs`) that stops at the exact step named in `<home>/fault` and waits
//! for the test there (a file handshake, no timer); the test then kills the run as `kill -9` or a
//! terminal's Ctrl-C does. Unix only: the double is a shell script, the signals POSIX ones.

#![cfg(unix)]

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::pre_pr::{commit_feature, project, teammate_pushes};
use crate::support::{assert_contains, hint_commands, paste_every_hint, paste_hints, Sandbox};

const FAST: &str = "verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n";

/// The uncommitted work every scenario keeps: a staged new file, an unstaged change to a file the
/// branch committed, an untracked file.
fn leave_uncommitted_work(sandbox: &Sandbox) {
    sandbox.write("staged.txt", "staged work\n");
    sandbox.git(&["add", "staged.txt"]);
    sandbox.write("FEATURE.md", "mine\nunstaged work\n");
    sandbox.write("scratch.txt", "untracked work\n");
}

/// Asserts the work of [`leave_uncommitted_work`] is back, the staged part staged, the stash
/// empty, no operation or lock left.
#[track_caller]
fn assert_work_is_back(sandbox: &Sandbox) {
    assert_eq!(sandbox.read("staged.txt"), "staged work\n");
    assert_eq!(sandbox.read("FEATURE.md"), "mine\nunstaged work\n");
    assert_eq!(sandbox.read("scratch.txt"), "untracked work\n");
    assert_eq!(sandbox.git(&["diff", "--cached", "--name-only"]), "staged.txt\n", "the staged work is not staged");
    assert_eq!(sandbox.git(&["stash", "list"]), "", "the stash was not restored and dropped");
    for leftover in [".git/rebase-merge", ".git/rebase-apply", ".git/index.lock", ".git/sop/sync.json"] {
        assert!(!sandbox.path(leftover).exists(), "`{leftover}` was left behind");
    }
}

/// `feat/work` with a commit adding `FEATURE.md` (and its changelog fragment), and one setting
/// `README.md` to `readme` when given; a teammate's commit on `origin/main` setting `file` to
/// `content` (fetched); the uncommitted work. Returns the branch's tip.
fn team(readme: Option<&str>, file: &str, content: &str) -> (Sandbox, PathBuf, String) {
    let (sandbox, origin) = project(FAST);
    let mut mine = commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: add the feature file");
    if let Some(readme) = readme {
        mine = commit_feature(&sandbox, "README.md", readme, "feat: change the readme");
    }
    teammate_pushes(&sandbox, &origin, "mate", file, content);
    sandbox.git(&["fetch", "-q", "--prune", "origin"]);
    leave_uncommitted_work(&sandbox);
    (sandbox, origin, mine)
}

fn real_git() -> String {
    let output = std::process::Command::new("sh").args(["-c", "command -v git"]).output().unwrap();
    let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(output.status.success() && !path.is_empty(), "git is not on PATH");
    path
}

/// Installs the test double of `git` in `<home>/fault-bin`; returns a `PATH` that finds it first.
/// It runs the real git, except for the fault `<home>/fault` names:
/// - `hold-abort`: `git rebase --abort` takes git's index lock (as the real one does first), says
///   so (`<home>/started`) and waits for `<home>/release`: killed there, it leaves the lock as
///   a git killed mid-abort does.
/// - `torn`: `git rebase` picks the first commit for real, then leaves its files in the working
///   tree but not in the index (HEAD back on the new base), says so and waits: a rebase stopped
///   while it was writing the commit's files.
/// - `stash-full`: `git stash` fails as git does on a full disk, changing nothing.
/// - `stash-<state>`: `git stash push` leaves the state a git killed inside it leaves, then says
///   so and waits (its commit in `<home>/stash-commit`): `index-lock`, the index lock taken,
///   nothing stashed; `made`, the stash commit written but `refs/stash` not updated (its lock
///   `refs/stash.lock` left), the working tree untouched; `stored`, `refs/stash` updated, the
///   working tree untouched; `cleaned`, the untracked files removed, the tracked changes not yet
///   reset; `half-reset`, one tracked file reset, the index lock left (a `git reset --hard`
///   killed half-way); `reset`, everything done; `log-locked`, everything done, and the reflog's lock
///   (`logs/refs/stash.lock`, which `git stash drop` takes) left.
/// - `die-stash-<state>`: the same `index-lock`, `made` or `stored` state, then git alone is
///   killed (`kill -9`), and the sync sees it fail.
fn install_git_double(sandbox: &Sandbox) -> String {
    let bin = sandbox.home.join("fault-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/bin/sh
# Test double of git: see install_git_double in xtask/tests/integration/sync_faults.rs.
real='{real}'
mode=$(cat "$HOME/fault" 2>/dev/null)
held() {{
    touch "$HOME/started"
    while [ ! -e "$HOME/release" ]; do sleep 0.01; done
}}
case "$mode: $* " in
"hold-abort:"*" rebase --abort "*)
    : > "$("$real" rev-parse --git-dir)/index.lock"
    held ;;
"torn:"*" rebase "*)
    "$real" "$@" --exec false >/dev/null 2>&1
    "$real" reset -q HEAD~1
    held ;;
"stash-full:"*" stash "*)
    echo "error: unable to write new index file: No space left on device" >&2
    exit 128 ;;
"stash-"*": stash push "*)
    gitdir=$("$real" rev-parse --git-dir)
    case "$mode" in stash-index-lock) : > "$gitdir/index.lock"; held ;; esac
    "$real" "$@" || exit
    "$real" rev-parse refs/stash > "$HOME/stash-commit"
    case "$mode" in
    stash-made|stash-stored|stash-cleaned|stash-half-reset) "$real" stash apply --index -q "stash@{{0}}" ;;
    esac
    case "$mode" in
    stash-made) "$real" stash drop -q && : > "$gitdir/refs/stash.lock" ;;
    stash-cleaned) "$real" clean -f -d -q ;;
    stash-half-reset) "$real" checkout -q HEAD -- FEATURE.md && : > "$gitdir/index.lock" ;;
    stash-log-locked) mkdir -p "$gitdir/logs/refs" && : > "$gitdir/logs/refs/stash.lock" ;;
    esac
    held ;;
"die-stash-"*": stash push "*)
    gitdir=$("$real" rev-parse --git-dir)
    case "$mode" in
    die-stash-index-lock) : > "$gitdir/index.lock" ;;
    die-stash-made) "$real" "$@" && "$real" stash apply --index -q "stash@{{0}}" && "$real" stash drop -q && : > "$gitdir/refs/stash.lock" ;;
    die-stash-stored) "$real" "$@" && "$real" stash apply --index -q "stash@{{0}}" ;;
    esac
    kill -KILL $$ ;;
esac
exec "$real" "$@"
"#,
        real = real_git()
    );
    let path = bin.join("git");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

fn set_fault(sandbox: &Sandbox, mode: &str) {
    std::fs::write(sandbox.home.join("fault"), mode).unwrap();
}

/// Starts `cargo xtask <args>` with the double, in a process group of its own (as a terminal's
/// job is), and waits until the double is held at its fault.
fn spawn_held(sandbox: &Sandbox, path: &str, args: &[&str]) -> Child {
    use std::os::unix::process::CommandExt as _;
    let mut command = sandbox.xtask().args(args).env("PATH", path).command();
    command.process_group(0).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    while !sandbox.home.join("started").exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("`{args:?}` ended ({status}) before git reached the fault");
        }
        assert!(started.elapsed() < Duration::from_secs(60), "git never reached the fault");
        std::thread::sleep(Duration::from_millis(2));
    }
    child
}

/// Sends `signal` to the whole process group of `child` (the xtask and the git it runs) and
/// proves the signal is what ended the run.
fn kill_group(child: &mut Child, signal: &str) {
    use std::os::unix::process::ExitStatusExt as _;
    let status = std::process::Command::new("kill").args([signal, "--", &format!("-{}", child.id())]).status();
    assert!(status.unwrap().success(), "kill {signal} failed");
    let status = child.wait().unwrap();
    assert!(status.signal().is_some(), "the run ended on its own ({status}): it was not interrupted");
}

/// repro-11: `sync --abort` (after a stop at a conflict) killed with `kill -9` while git held the
/// index lock. The next `sync --abort` used to fail half-way ("could not move back") and hint
/// `git rebase --abort`, which fails on the lock too. Proves it now refuses before anything moves,
/// naming the stale lock, and that its hints pasted in order (`rm` the lock, `sync --abort`)
/// give back the branch and every kind of uncommitted work.
#[test]
fn a_sync_abort_killed_while_git_held_the_index_lock_is_named_and_its_hints_recover() {
    let (sandbox, _origin, mine) = team(Some("one\nmine\nthree\n"), "README.md", "one\ntheirs\nthree\n");
    let stopped = sandbox.xtask().args(["sync"]).failure(1);
    assert_contains(&stopped.stdout, "Conflicts with `origin/main` in:\n    README.md");
    let path = install_git_double(&sandbox);
    set_fault(&sandbox, "hold-abort");
    let mut child = spawn_held(&sandbox, &path, &["sync", "--abort"]);
    kill_group(&mut child, "-KILL");
    std::fs::remove_file(sandbox.home.join("fault")).unwrap();
    assert!(sandbox.path(".git/index.lock").exists(), "the kill left no stale lock");
    let before = sandbox.snapshot();
    let refused = sandbox.xtask().args(["sync", "--abort"]).failure(1);
    assert_contains(&refused.stderr, "index.lock` exists: another git process is running, or one crashed");
    assert!(!refused.stderr.contains("could not move back"), "{}", refused.stderr);
    assert_eq!(sandbox.snapshot(), before, "the refused --abort changed the repository");
    let lock = sandbox.path(".git/index.lock");
    assert_eq!(
        hint_commands(&refused.stderr),
        [format!("rm {}", lock.display()), "cargo xtask sync --abort".to_string()],
        "{}",
        refused.stderr
    );
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert_eq!(sandbox.head(), mine, "the branch is not back where it was");
    assert_work_is_back(&sandbox);
}

/// [`team`] with a teammate's `NOTES.md` on main, and `sync` interrupted by Ctrl-C while its
/// rebase wrote the branch's commit (the `torn` fault): the rebase in progress, HEAD on main,
/// the commit's files untracked. Returns the branch's tip before the sync.
fn torn_rebase() -> (Sandbox, String) {
    let (sandbox, _origin, mine) = team(None, "NOTES.md", "from the teammate\n");
    let path = install_git_double(&sandbox);
    set_fault(&sandbox, "torn");
    let mut child = spawn_held(&sandbox, &path, &["sync"]);
    kill_group(&mut child, "-INT");
    std::fs::remove_file(sandbox.home.join("fault")).unwrap();
    assert!(sandbox.path(".git/rebase-merge").exists(), "the rebase was not interrupted");
    (sandbox, mine)
}

/// repro-3: Ctrl-C (SIGINT to the process group) while `sync` rebased, git stopped after it wrote
/// the commit's files but before its index: they are untracked, and git refuses to abort over
/// them ("untracked working tree files would be overwritten by reset"), as `sync --abort` and
/// its hint `git rebase --abort` did. Proves `sync --abort` now refuses before anything moves,
/// naming the files, and that its hints pasted in order move them aside (kept, out of the
/// working tree) and go back: the branch, the stash's work back, nothing lost.
#[test]
fn an_interrupted_rebase_that_left_untracked_files_can_be_aborted_with_its_hints() {
    let (sandbox, mine) = torn_rebase();
    assert_eq!(sandbox.git(&["stash", "list"]).lines().count(), 1, "the work is not in the stash");
    let before = sandbox.snapshot();
    let refused = sandbox.xtask().args(["sync", "--abort"]).failure(1);
    assert_contains(&refused.stderr, "untracked files the branch tracks");
    assert_contains(&refused.stderr, "`FEATURE.md`, `docs/changelog.d/work.md`");
    assert_eq!(sandbox.snapshot(), before, "the refused --abort changed the repository");
    assert_eq!(sandbox.git(&["stash", "list"]).lines().count(), 1, "the stash was touched");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert_eq!(pasted.len(), 2, "{}", refused.stderr);
    assert_eq!(sandbox.head(), mine, "the branch is not back where it was");
    assert_work_is_back(&sandbox);
    // The files moved aside are kept, out of the working tree: here the rebase's own copies.
    let aside = sandbox.path(".git/sop/aside");
    assert_eq!(std::fs::read_to_string(aside.join("FEATURE.md")).unwrap(), "mine\n");
    assert!(aside.join("docs%2Fchangelog.d%2Fwork.md").exists());
}

/// The rebase of [`an_interrupted_rebase_that_left_untracked_files_can_be_aborted_with_its_hints`]
/// interrupted the same way, and the engineer then edits a tracked file (the teammate's, which
/// the branch does not have yet): git's abort, which is hard, used to overwrite it. Proves that
/// `sync --abort`, once the hints moved the rebase's files aside, keeps the edit in a stash entry
/// of its own before it aborts, says so, and that its hint pasted shows the edit; the branch and
/// the stashed work come back.
#[test]
fn an_abort_of_an_interrupted_rebase_keeps_the_edits_made_since() {
    let (sandbox, mine) = torn_rebase();
    sandbox.write("NOTES.md", "from the teammate\nand an edit made since\n");
    let refused = sandbox.xtask().args(["sync", "--abort"]).failure(1);
    assert_contains(&refused.stderr, "untracked files the branch tracks");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    let aborted = &pasted[pasted.len() - 1].stderr;
    assert_contains(aborted, "NOTES.md; they are kept in the stash entry");
    assert_eq!(sandbox.head(), mine, "the branch is not back where it was");
    assert_eq!(sandbox.read("FEATURE.md"), "mine\nunstaged work\n", "the stashed work is not back");
    assert_eq!(sandbox.read("scratch.txt"), "untracked work\n", "the stashed work is not back");
    assert!(!sandbox.path(".git/rebase-merge").exists(), "the rebase was not aborted");
    let shown = paste_every_hint(&sandbox, &sandbox.root, aborted);
    assert_contains(&shown[0].stdout, "+and an edit made since");
}

/// Installs `<home>/refusing-hooks/reference-transaction`, a hook that refuses any update of
/// `refs/stash` (as a team's policy hook might), as this clone's only hooks.
fn refuse_stashes(sandbox: &Sandbox) {
    let hooks = sandbox.home.join("refusing-hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("reference-transaction");
    let script = "#!/bin/sh\n[ \"$1\" = prepared ] || exit 0\nif grep -q ' refs/stash$'; then echo 'stashes are not allowed here' >&2; exit 1; fi\n";
    std::fs::write(&hook, script).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    sandbox.git(&["config", "core.hooksPath", hooks.to_str().unwrap()]);
}

/// repro-4: `git stash push` fails inside `sync` (a full disk; a hook that refuses the stash)
/// after the sync saved its state and fast-forwarded the local main. It used to leave
/// `.git/sop/sync.json`, so the hint's "run the command again" was refused as an interrupted
/// sync. Proves that now nothing is left changed (main put back, no state: the repository is as
/// before) and that the hints, pasted in order, work: once the disk has room, `df -h .` and
/// `cargo xtask sync`; with the hook still there, commit the work and `cargo xtask sync`. The
/// work is never lost.
#[test]
fn a_failed_stash_leaves_no_sync_state_and_its_hints_sync() {
    for fault in ["stash-full", "hook"] {
        let (sandbox, _origin, _mine) = team(None, "NOTES.md", "from the teammate\n");
        assert_ne!(
            sandbox.git(&["rev-parse", "main"]),
            sandbox.git(&["rev-parse", "origin/main"]),
            "main is not stale"
        );
        let path = install_git_double(&sandbox);
        if fault == "hook" {
            refuse_stashes(&sandbox);
        } else {
            set_fault(&sandbox, fault);
        }
        let before = sandbox.snapshot();
        let failed = sandbox.xtask().args(["sync"]).env("PATH", &path).failure(1);
        assert_contains(&failed.stderr, "`git stash push` failed");
        assert!(!sandbox.path(".git/sop/sync.json").exists(), "{fault}: the failed stash left the sync's state");
        assert_eq!(sandbox.snapshot(), before, "{fault}: the failed sync left the repository changed");
        let commands = hint_commands(&failed.stderr);
        assert_eq!(commands.last().map(String::as_str), Some("cargo xtask sync"), "{fault}: {}", failed.stderr);
        if fault == "hook" {
            // The hook stays: the hint's way round it is a commit, not a stash.
            assert!(commands[0].starts_with("git add -A && git commit -m "), "{}", failed.stderr);
            paste_every_hint(&sandbox, &sandbox.root, &failed.stderr);
            assert_eq!(sandbox.read("scratch.txt"), "untracked work\n");
            assert_eq!(sandbox.read("FEATURE.md"), "mine\nunstaged work\n");
            assert_contains(&sandbox.git(&["show", "--stat", "HEAD"]), "staged.txt");
        } else {
            // `df` is no command the paste helper knows: pasted here, as printed.
            assert_contains(&failed.stderr, "hint: df -h .\nhint: cargo xtask sync");
            sandbox.sh(&sandbox.root, "df -h .");
            std::fs::remove_file(sandbox.home.join("fault")).unwrap();
            paste_every_hint(&sandbox, &sandbox.root, &failed.stderr);
            assert_work_is_back(&sandbox);
        }
        assert!(sandbox.exists("NOTES.md"), "{fault}: the pasted sync did not bring in main");
        assert_eq!(sandbox.git(&["rev-parse", "main"]), sandbox.git(&["rev-parse", "origin/main"]));
        assert!(!sandbox.path(".git/sop/sync.json").exists());
    }
}

/// repro-10: `propose` whose push cannot go through for a reason no sync fixes (here a
/// `remote.origin.pushurl` that points nowhere; then `push.gpgSign` against a remote that takes
/// no signed push). It used to say "refused" and hint sync → pre-pr → propose, which ends in the
/// same error forever. Proves it now says the push failed (not refused as out of date), with the
/// hints that show where it pushes and try the same push: pasted, `get-url` prints the wrong URL
/// and the dry run fails as the push did; once the cause is fixed, the pasted `propose` pushes
/// the verified commit. A push the remote rejects as out of date keeps the sync hints (in
/// `propose.rs`).
#[test]
fn a_push_that_cannot_reach_the_remote_is_not_called_refused_and_its_hints_check_it() {
    for fault in ["pushurl", "gpgsign"] {
        let (sandbox, origin) = project(FAST);
        commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: add the feature file");
        sandbox.xtask().args(["pre-pr"]).success();
        let nowhere = sandbox.root.parent().unwrap().join("nowhere.git");
        let nowhere = nowhere.to_str().unwrap();
        let (key, value) =
            if fault == "pushurl" { ("remote.origin.pushurl", nowhere) } else { ("push.gpgSign", "true") };
        sandbox.git(&["config", key, value]);
        let failed = sandbox.xtask().args(["propose", "--no-open"]).failure(1);
        assert!(!failed.stderr.contains("was refused"), "{fault}: {}", failed.stderr);
        assert!(!failed.stderr.contains("cargo xtask sync"), "{fault}: the loop is hinted again: {}", failed.stderr);
        assert_contains(&failed.stderr, "the push of `feat/work` to `origin` failed: ");
        assert_contains(
            &failed.stderr,
            if fault == "pushurl" { "does not appear to be a git repository" } else { "signed push" },
        );
        let pasted = paste_hints(
            &sandbox,
            &sandbox.root,
            &failed.stderr,
            &[("git push --dry-run", 128), ("cargo xtask propose", 1)],
        );
        let shown = if fault == "pushurl" { nowhere.to_string() } else { origin.display().to_string() };
        assert_eq!(pasted[0].stdout.trim(), shown, "{fault}: get-url does not show where it pushes");
        let reason = if fault == "pushurl" { "does not appear to be a git repository" } else { "signed push" };
        assert_contains(&pasted[1].stderr, reason);
        assert_contains(&pasted[2].stderr, "the push of `feat/work` to `origin` failed: ");
        // The cause fixed, the last hint proposes.
        sandbox.git(&["config", "--unset", key]);
        let last = hint_commands(&failed.stderr).pop().unwrap();
        assert_eq!(last, "cargo xtask propose");
        paste_every_hint(&sandbox, &sandbox.root, &format!("hint: {last}"));
        assert_eq!(sandbox.git_in(&origin, &["rev-parse", "feat/work"]), sandbox.git(&["rev-parse", "HEAD"]));
    }
}

/// The other side of repro-10: a push git rejects because a teammate pushed to the branch since
/// it was last fetched (the lease is stale) is still called refused, and its hints, pasted in
/// order, bring the teammate's commit in, verify and propose: the remote branch then holds both.
#[test]
fn a_push_rejected_by_a_stale_lease_keeps_the_sync_hints_and_they_propose() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: add the feature file");
    sandbox.xtask().args(["pre-pr"]).success();
    sandbox.xtask().args(["propose", "--no-open"]).success();
    commit_feature(&sandbox, "MORE.md", "more of mine\n", "feat: add more");
    sandbox.xtask().args(["pre-pr"]).success();
    // Between the verify and the push, the teammate pushes to the branch.
    let mate = sandbox.clone_of(&origin, "mate-on-branch");
    sandbox.git_in(&mate, &["switch", "-q", "feat/work"]);
    sandbox.commit_file_in(&mate, "MATE.md", "a teammate's work\n", "feat: a teammate's commit on feat/work");
    sandbox.git_in(&mate, &["push", "-q", "origin", "feat/work"]);
    let refused = sandbox.xtask().args(["propose", "--no-open"]).failure(1);
    assert_contains(&refused.stderr, "the push of `feat/work` was refused: [rejected]");
    assert_eq!(
        hint_commands(&refused.stderr),
        ["cargo xtask sync", "cargo xtask pre-pr", "cargo xtask propose"],
        "{}",
        refused.stderr
    );
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert_eq!(sandbox.git_in(&origin, &["show", "feat/work:MORE.md"]), "more of mine\n");
    assert_eq!(sandbox.git_in(&origin, &["show", "feat/work:MATE.md"]), "a teammate's work\n");
}

/// The local main's commit.
fn main_commit(sandbox: &Sandbox) -> String {
    sandbox.git(&["rev-parse", "main"]).trim().to_string()
}

/// Every state `kill -9` of `sync` can leave while git's `stash push` writes `refs/stash` (see
/// [`install_git_double`]). `sync --abort` used to loop: with the stash stored and the working
/// tree not yet reset (or partly), it refused to put back a stash over the very changes it holds,
/// kept the sync's state, and every command, `--abort` included, refused again; a stale
/// `refs/stash.lock` or `logs/refs/stash.lock` made the stash un-droppable the same way. Proves,
/// for each state, that the run was really killed there, that `--abort` either finishes or
/// refuses before anything moves naming the stale lock, with hints that pasted in order finish
/// it; that the branch, main and every kind of uncommitted work are back, no lock or stash left;
/// and that the next `sync` runs.
#[test]
fn a_sync_killed_while_git_wrote_the_stash_is_aborted_and_the_work_comes_back() {
    let states = [
        "stash-index-lock",
        "stash-made",
        "stash-stored",
        "stash-cleaned",
        "stash-half-reset",
        "stash-reset",
        "stash-log-locked",
    ];
    for fault in states {
        let (sandbox, _origin, mine) = team(None, "NOTES.md", "from the teammate\n");
        let main_before = main_commit(&sandbox);
        let path = install_git_double(&sandbox);
        set_fault(&sandbox, fault);
        let mut child = spawn_held(&sandbox, &path, &["sync"]);
        kill_group(&mut child, "-KILL");
        std::fs::remove_file(sandbox.home.join("fault")).unwrap();
        assert_killed_in_the_stash(&sandbox, fault);
        let refused = sandbox.xtask().args(["sync"]).failure(1);
        assert_contains(&refused.stderr, "was interrupted");
        let before = sandbox.snapshot();
        let abort = sandbox.xtask().args(["sync", "--abort"]).run();
        let lock = match fault {
            "stash-index-lock" | "stash-half-reset" => Some(".git/index.lock"),
            "stash-made" => Some(".git/refs/stash.lock"),
            "stash-log-locked" => Some(".git/logs/refs/stash.lock"),
            _ => None,
        };
        match lock {
            Some(lock) => {
                assert_eq!(abort.code, 1, "{fault}: {}", abort.stderr);
                assert_eq!(sandbox.snapshot(), before, "{fault}: the refused --abort changed the repository");
                let lock = sandbox.path(lock);
                assert_contains(&abort.stderr, &format!("`{}` exists", lock.display()));
                assert_eq!(
                    hint_commands(&abort.stderr),
                    [format!("rm {}", lock.display()), "cargo xtask sync --abort".to_string()],
                    "{fault}: {}",
                    abort.stderr
                );
                paste_every_hint(&sandbox, &sandbox.root, &abort.stderr);
            }
            None => assert_eq!(abort.code, 0, "{fault}: --abort failed:\n{}\n{}", abort.stdout, abort.stderr),
        }
        assert_eq!(sandbox.head(), mine, "{fault}: the branch is not back where it was");
        assert_eq!(main_commit(&sandbox), main_before, "{fault}: main is not back where it was");
        assert_work_is_back(&sandbox);
        for lock in [".git/refs/stash.lock", ".git/logs/refs/stash.lock"] {
            assert!(!sandbox.path(lock).exists(), "{fault}: `{lock}` was left behind");
        }
        // Out of the loop: the next sync runs, and the work comes back after it too.
        let synced = sandbox.xtask().args(["sync"]).success();
        paste_every_hint(&sandbox, &sandbox.root, &synced.stdout);
        assert!(sandbox.exists("NOTES.md"), "{fault}: the sync after the abort did not bring in main");
        assert_work_is_back(&sandbox);
    }
}

/// Proves the killed `sync` stopped inside git's `stash push`, in the state `fault` names.
#[track_caller]
fn assert_killed_in_the_stash(sandbox: &Sandbox, fault: &str) {
    assert!(sandbox.path(".git/sop/sync.json").exists(), "{fault}: the kill left no sync state");
    let stashes = sandbox.git(&["stash", "list"]).lines().count();
    let in_tree = sandbox.exists("scratch.txt") && sandbox.read("FEATURE.md") == "mine\nunstaged work\n";
    let expected = match fault {
        "stash-index-lock" | "stash-made" => (0, true),
        "stash-stored" => (1, true),
        "stash-cleaned" => (1, false),
        _ => (1, false),
    };
    assert_eq!((stashes, in_tree), expected, "{fault}: not the state the fault leaves");
    if fault == "stash-made" {
        let commit = std::fs::read_to_string(sandbox.home.join("stash-commit")).unwrap();
        assert_eq!(sandbox.git(&["cat-file", "-t", commit.trim()]), "commit\n", "no dangling stash commit");
    }
    if fault == "stash-cleaned" {
        assert!(!sandbox.exists("scratch.txt") && sandbox.read("FEATURE.md") == "mine\nunstaged work\n");
    }
}

/// The same states when git alone is killed inside its `stash push` (`kill -9` of the git, not of
/// the sync, which sees it fail): a stash already stored keeps the sync's state, and its hints
/// (`sync --abort`, `sync`) used to loop as the killed sync's did; with none stored the sync is
/// undone, but its hint committed the work past a stale lock `git add` trips over (the index's)
/// or that the next stash trips over (the stash's). Proves the run failed, and that its hints,
/// pasted in order, bring main in and every kind of work back, nothing left behind.
#[test]
fn a_git_killed_inside_the_syncs_stash_leaves_hints_that_sync() {
    for fault in ["die-stash-index-lock", "die-stash-made", "die-stash-stored"] {
        let (sandbox, _origin, _mine) = team(None, "NOTES.md", "from the teammate\n");
        let path = install_git_double(&sandbox);
        set_fault(&sandbox, fault);
        let failed = sandbox.xtask().args(["sync"]).env("PATH", &path).failure(1);
        std::fs::remove_file(sandbox.home.join("fault")).unwrap();
        assert_contains(&failed.stderr, "`git stash push` failed");
        let commands = hint_commands(&failed.stderr);
        let expected = match fault {
            "die-stash-stored" => vec!["cargo xtask sync --abort".to_string(), "cargo xtask sync".to_string()],
            lock => {
                let name = if lock == "die-stash-made" { ".git/refs/stash.lock" } else { ".git/index.lock" };
                assert!(sandbox.path(name).exists(), "{fault}: no stale lock was left");
                vec![format!("rm {}", sandbox.path(name).display()), "cargo xtask sync".to_string()]
            }
        };
        assert_eq!(commands, expected, "{fault}: {}", failed.stderr);
        let pasted = paste_every_hint(&sandbox, &sandbox.root, &failed.stderr);
        paste_every_hint(&sandbox, &sandbox.root, &pasted.last().unwrap().stdout);
        assert!(sandbox.exists("NOTES.md"), "{fault}: the pasted sync did not bring in main");
        assert_work_is_back(&sandbox);
        for lock in [".git/refs/stash.lock", ".git/logs/refs/stash.lock"] {
            assert!(!sandbox.path(lock).exists(), "{fault}: `{lock}` was left behind");
        }
    }
}

/// A sync killed once git stored the stash, before it reset the working tree, and then more work
/// done before the `--abort`: the stash cannot go back over it (nor can the tree be set back
/// without losing it), and `--abort` used to refuse, keep the sync's state and loop. Proves it
/// now undoes the rest (branch, main), keeps both copies of the work (the tree as it is, the
/// stash), ends the sync (the next one runs) and hints a command that works pasted.
#[test]
fn a_sync_killed_in_its_stash_then_worked_on_is_aborted_keeping_both_copies() {
    let (sandbox, _origin, mine) = team(None, "NOTES.md", "from the teammate\n");
    let main_before = main_commit(&sandbox);
    let path = install_git_double(&sandbox);
    set_fault(&sandbox, "stash-stored");
    let mut child = spawn_held(&sandbox, &path, &["sync"]);
    kill_group(&mut child, "-KILL");
    std::fs::remove_file(sandbox.home.join("fault")).unwrap();
    assert_killed_in_the_stash(&sandbox, "stash-stored");
    let stash = std::fs::read_to_string(sandbox.home.join("stash-commit")).unwrap().trim().to_string();
    sandbox.write("FEATURE.md", "mine\nunstaged work\nmore since the kill\n");
    let aborted = sandbox.xtask().args(["sync", "--abort"]).failure(1);
    assert_contains(&aborted.stderr, "Back to where the sync started");
    assert_contains(&aborted.stderr, &format!("it is kept in `stash@{{0}}` ({stash})"));
    assert!(!sandbox.path(".git/sop/sync.json").exists(), "the sync's state was kept: every command refuses");
    assert_eq!(sandbox.head(), mine, "the branch is not back where it was");
    assert_eq!(main_commit(&sandbox), main_before, "main is not back where it was");
    assert_eq!(sandbox.read("FEATURE.md"), "mine\nunstaged work\nmore since the kill\n");
    assert_eq!(sandbox.read("scratch.txt"), "untracked work\n");
    assert_eq!(sandbox.git(&["rev-parse", "stash@{0}"]).trim(), stash, "the stash is not kept");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &aborted.stderr);
    assert_eq!(pasted.len(), 1, "{}", aborted.stderr);
    assert_contains(&pasted[0].stdout, "+unstaged work");
    // Out of the loop: the next sync runs, the work since comes back, the old stash stays.
    let synced = sandbox.xtask().args(["sync"]).success();
    paste_every_hint(&sandbox, &sandbox.root, &synced.stdout);
    assert!(sandbox.exists("NOTES.md"), "the sync after the abort did not bring in main");
    assert_eq!(sandbox.read("FEATURE.md"), "mine\nunstaged work\nmore since the kill\n");
    assert_eq!(sandbox.git(&["stash", "list"]).lines().count(), 1);
}
