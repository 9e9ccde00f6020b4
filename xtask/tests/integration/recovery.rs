//! Recovery never does harm (issue 11, class 3, and the kill leftovers of class 7): an
//! interrupted run is rolled back only while the repository is exactly as that run left it,
//! never from inside a git hook, and the result is checked before anything says "as it was".
//! Otherwise a warning names what the run did with the exact commands, and no command is
//! blocked. Every kill here is proven to have interrupted the run.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::{assert_contains, kill_held, killed_at, paste_every_hint, spawn_quiet, Hold, Run, Sandbox};

const SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
const FRAGMENT: &str = "docs/changelog.d/scheduler.md";

/// The journal a run left (`.git/sop/journal.<run id>.json`, or the earlier `journal.json`).
pub fn journal_of(sandbox: &Sandbox) -> Option<PathBuf> {
    let entries = std::fs::read_dir(sandbox.path(".git/sop")).ok()?;
    entries.flatten().map(|entry| entry.path()).find(|path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        name.starts_with("journal.") && name.ends_with(".json")
    })
}

/// `new-addon scheduler --yes`, not yet run.
fn new_addon(sandbox: &Sandbox) -> Run<'_> {
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"])
}

/// A `new-addon scheduler` killed once every file is written (at the point after the last).
fn killed_after_every_file(sandbox: &Sandbox) {
    assert!(killed_at(new_addon(sandbox), &format!("plan:{FRAGMENT}")), "new-addon was not interrupted");
    assert!(journal_of(sandbox).is_some(), "the killed run left no journal");
}

/// Proves: a `git commit` after an interrupted `new-addon` runs the commit-msg hook, which is an
/// xtask process, but the hook never rolls the run back under git's feet: the commit lands on
/// the new branch with the files, `main` is untouched, the branch survives, and the next
/// command sees the engineer moved on and touches nothing.
#[test]
fn a_commit_hook_never_rolls_back_an_interrupted_run() {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    sandbox.git(&["config", "core.hooksPath", ".githooks"]);
    let main_before = sandbox.head();
    killed_after_every_file(&sandbox);
    assert_eq!(sandbox.current_branch(), "feat/scheduler");

    // `git add -A && git commit`, as the printed next: line says.
    sandbox.git(&["add", "-A"]);
    let output = sandbox
        .git_command(&sandbox.root)
        .args(["commit", "-q", "-m", "feat: add scheduler skeleton"])
        .env("LANCELOT_XTASK", env!("CARGO_BIN_EXE_xtask"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "the commit failed:\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(sandbox.current_branch(), "feat/scheduler", "the hook moved HEAD");
    assert_eq!(sandbox.git(&["rev-parse", "main"]).trim(), main_before, "the commit landed on main");
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]).trim(), "feat: add scheduler skeleton");
    assert!(sandbox.git(&["ls-files", SPEC]).contains("Scheduler"), "the spec is not in the commit");

    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["receipts", "--limit", "1"]).success();
    assert_contains(&out.stderr, "was not rolled back, because the repository changed since");
    assert_contains(&out.stderr, "hint: ");
    assert_eq!(sandbox.snapshot(), before, "recovery touched the engineer's commit:\n{}", out.stderr);
    assert!(journal_of(&sandbox).is_none(), "the journal still blocks");
    let again = sandbox.xtask().args(["receipts", "--limit", "1"]).success();
    assert!(!again.stderr.contains("interrupted"), "the warning repeats:\n{}", again.stderr);
}

/// Proves: when the engineer has moved on after a kill (edited a file the run wrote, committed
/// on the new branch, switched back), recovery deletes nothing, warns with commands that work
/// as printed, and later commands — `new-addon` included — are not blocked.
#[test]
fn recovery_after_the_engineer_moved_on_touches_nothing_and_blocks_nothing() {
    // Committed on the new branch.
    let sandbox = Sandbox::with_kit();
    killed_after_every_file(&sandbox);
    sandbox.commit_all("feat: my work on the scheduler");
    sandbox.write("NOTES.md", "mine\n");
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["status"]).success();
    assert_contains(&out.stderr, "was not rolled back");
    assert_contains(&out.stderr, "`feat/scheduler` has commits the run did not make");
    assert_eq!(sandbox.snapshot(), before, "recovery changed the repository:\n{}", out.stderr);
    sandbox.xtask().args(["new-addon", "jobs", "--yes"]).success();

    // Edited a file the run wrote, then switched back to main (the files follow, untracked).
    let sandbox = Sandbox::with_kit();
    killed_after_every_file(&sandbox);
    sandbox.write(SPEC, "my own notes\n");
    sandbox.git(&["switch", "-q", "main"]);
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["receipts"]).success();
    assert_contains(&out.stderr, &format!("`{SPEC}` was changed after the run"));
    assert_eq!(sandbox.snapshot(), before, "recovery changed the repository:\n{}", out.stderr);
    // The hint undoes exactly the run's own part, as printed: its untouched files and branch.
    let hints: Vec<String> =
        out.stderr.lines().filter_map(|line| line.trim_start().strip_prefix("hint: ")).map(str::to_string).collect();
    assert!(hints.iter().any(|h| h.starts_with("git branch -D feat/scheduler")), "{hints:?}");
    for hint in &hints {
        sandbox.sh(&sandbox.root, hint);
    }
    assert_eq!(sandbox.read(SPEC), "my own notes\n", "the engineer's edit was lost");
    assert!(!sandbox.exists("src/core/scheduler.rs"), "the run's own module is still there");
    assert!(sandbox.git(&["branch", "--list", "feat/scheduler"]).trim().is_empty());
}

/// Proves: a SIGKILL inside the branch checkout itself, started from a branch with many more
/// files than `main` (so the checkout deletes hundreds), is rolled back file by file, and
/// "as it was" is only said once the repository is checked to be byte-identical.
#[test]
fn a_kill_during_the_checkout_is_restored_and_checked() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "feat/big"]);
    for index in 0..300 {
        sandbox.write(&format!("big/file_{index:03}.txt"), &format!("file {index}\n"));
    }
    sandbox.commit_all("feat: a branch with many files");
    let before = sandbox.snapshot();

    // Killed once the checkout has reported 100 of its files.
    assert!(killed_at(new_addon(&sandbox), "checkout:100"), "the checkout was not interrupted");
    let deleted = (0..300).filter(|i| !sandbox.exists(&format!("big/file_{i:03}.txt"))).count();
    assert!((20..300).contains(&deleted), "the kill did not land inside the checkout ({deleted} deleted)");

    let out = sandbox.xtask().args(["receipts", "--limit", "1"]).success();
    assert_contains(&out.stderr, "the repository is as it was before that run");
    assert_eq!(sandbox.snapshot(), before, "not restored:\n{}", out.stderr);
    assert!(journal_of(&sandbox).is_none());
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
}

/// Proves: a journal that is truncated or not UTF-8 neither blocks the next commands nor claims
/// that nothing had changed; it is set aside and named, with a command to look.
#[test]
fn a_damaged_journal_blocks_nothing_and_claims_nothing() {
    for (name, bytes) in [
        ("journal.json", &b"{\"command\": \"new-addon sched"[..]),
        ("journal.4242-1.json", &b"{\"version\": 2, \"run\": \"\xff\xfe\""[..]),
    ] {
        let sandbox = Sandbox::with_kit();
        std::fs::create_dir_all(sandbox.path(".git/sop")).unwrap();
        std::fs::write(sandbox.path(".git/sop").join(name), bytes).unwrap();
        let before = sandbox.snapshot();
        let out = sandbox.xtask().args(["receipts"]).success();
        assert_contains(&out.stderr, "found the journal of an interrupted run, but");
        assert_contains(&out.stderr, "nothing was rolled back; what that run changed may still be there");
        assert_contains(&out.stderr, "hint: git status");
        assert!(!out.stderr.contains("nothing had been changed"), "{}", out.stderr);
        assert_eq!(sandbox.snapshot(), before);
        let again = sandbox.xtask().args(["status"]).success();
        assert!(!again.stderr.contains("journal"), "the damaged journal still speaks:\n{}", again.stderr);
        sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    }
}

/// Proves: a journal naming paths outside the repository (absolute, `..`, through a linked
/// folder) never makes recovery delete them or the empty folders above them.
#[test]
fn recovery_never_deletes_outside_the_repository() {
    let sandbox = Sandbox::with_kit();
    let outside = sandbox.root.parent().unwrap().join("outside");
    std::fs::create_dir_all(outside.join("deep/er")).unwrap();
    std::fs::write(outside.join("deep/er/victim.txt"), "precious\n").unwrap();
    std::fs::write(outside.join("linked.txt"), "precious\n").unwrap();
    std::os::unix::fs::symlink(&outside, sandbox.path("docs/elsewhere")).unwrap();
    let absolute = outside.join("deep/er/victim.txt").display().to_string();
    let journal = serde_json::json!({
        "command": "new-addon evil",
        "branch": null,
        "changes": [
            { "action": "create", "path": absolute, "content": "precious\n" },
            { "action": "create", "path": "../outside/deep/er/victim.txt", "content": "precious\n" },
            { "action": "create", "path": "docs/elsewhere/linked.txt", "content": "precious\n" },
        ],
    });
    std::fs::create_dir_all(sandbox.path(".git/sop")).unwrap();
    sandbox.write(".git/sop/journal.json", &journal.to_string());
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["receipts"]).success();
    assert_eq!(std::fs::read_to_string(outside.join("deep/er/victim.txt")).unwrap(), "precious\n", "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(outside.join("linked.txt")).unwrap(), "precious\n");
    assert!(outside.join("deep/er").is_dir());
    assert_contains(&out.stderr, "which is not a path inside the repository");
    assert_eq!(sandbox.snapshot(), before);
    assert!(sandbox.root.is_dir());
}

/// Proves: each run's journal has a name of its own (it carries the run's pid), so two runs
/// never write or remove each other's.
#[test]
fn journal_names_are_unique_per_run() {
    let sandbox = Sandbox::with_kit();
    let hold = Hold::at(&sandbox, "plan:branch");
    let mut child = spawn_quiet(&hold.on(new_addon(&sandbox)));
    hold.wait(&mut child);
    let journal = journal_of(&sandbox).expect("the held run wrote its journal");
    let name = journal.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("journal.{}-", child.id())), "{name}");
    kill_held(&mut child);
    sandbox.xtask().args(["receipts"]).success();
    assert!(journal_of(&sandbox).is_none());
}

/// Proves: the temporary file a kill leaves between writing and renaming is removed by the
/// next run, with the rest of the rollback.
#[test]
fn temporaries_left_by_a_kill_are_cleaned_by_the_next_run() {
    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    let spec_name = SPEC.rsplit('/').next().unwrap();
    assert!(killed_at(new_addon(&sandbox), &format!("write:{spec_name}")), "the write was not interrupted");
    let temporary = || temporaries(&sandbox.path("docs/specs"));
    assert!(!temporary().is_empty(), "no temporary was left to clean");
    assert!(!sandbox.exists(SPEC), "the kill came after the rename");
    let out = sandbox.xtask().args(["receipts"]).success();
    assert!(temporary().is_empty(), "left: {:?}\n{}", temporary(), out.stderr);
    assert_eq!(sandbox.snapshot(), before);
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().ends_with(".xtask-tmp")).collect()
}

/// Proves: worktrees of one clone share `.git/sop/`, but a run interrupted in one worktree is
/// recovered only by a command in that worktree, never by one in another (whose HEAD and files
/// are not the run's).
#[test]
fn another_worktree_never_recovers_a_run_it_did_not_make() {
    let sandbox = Sandbox::with_kit();
    let linked = sandbox.root.parent().unwrap().join("linked");
    sandbox.git(&["worktree", "add", "-q", "-b", "feat/linked", linked.to_str().unwrap()]);
    let before = sandbox.snapshot();
    killed_after_every_file(&sandbox);
    let out = sandbox.xtask().current_dir(&linked).args(["receipts"]).success();
    assert!(!out.stderr.contains("rolled back"), "{}", out.stderr);
    assert!(journal_of(&sandbox).is_some(), "the other worktree took the journal");
    let out = sandbox.xtask().args(["receipts"]).success();
    assert_contains(&out.stderr, "the repository is as it was before that run");
    assert_eq!(sandbox.snapshot(), before);
}

/// The tool's own state files under `.git/sop`, damaged the ways a disk, a tool or a hand can
/// damage them (a folder in the file's place, bytes that are not UTF-8): the command that reads
/// each refuses with exit 1 and a hint, changes nothing else, and the pasted hint sets the
/// damaged one aside so that the command runs again.
#[test]
fn damaged_state_files_are_refused_with_a_hint_that_sets_them_aside() {
    let sandbox = Sandbox::with_kit();
    let cases: &[(&str, bool, &[&str])] = &[
        ("sync.json", true, &["sync"]),
        ("sync.json", false, &["sync"]),
        ("last-run.json", true, &["undo"]),
        ("last-run.json", false, &["undo"]),
        ("trust.json", true, &["trust"]),
        ("receipts.jsonl", true, &["check"]),
        // Read, not appended to: `status` and `receipts` said "Is a directory", with no hint.
        ("receipts.jsonl", true, &["status"]),
        ("receipts.jsonl", true, &["receipts"]),
        ("run.lock", true, &["new-addon", "scheduler", "--yes"]),
    ];
    for (file, folder, args) in cases {
        let path = sandbox.path(&format!(".git/sop/{file}"));
        let _ = std::fs::remove_file(&path);
        if *folder {
            std::fs::create_dir_all(path.join("inside")).unwrap();
        } else {
            std::fs::write(&path, [0xff, 0xfe, b'{', 0x80]).unwrap();
        }
        let before = sandbox.snapshot();
        let refused = sandbox.xtask().args(*args).failure(1);
        assert_contains(&refused.stderr, file);
        assert_eq!(sandbox.snapshot(), before, "{file}: the refusal changed the repository");
        paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
        assert!(!path.exists(), "{file}: the pasted hint did not set it aside");
        let again = sandbox.xtask().args(*args).run();
        assert!(!again.stderr.contains(&format!("{file}`")), "{file}: still refused:\n{}", again.stderr);
        let _ = std::fs::remove_dir_all(sandbox.path(&format!(".git/sop/{file}.bad")));
        let _ = std::fs::remove_file(sandbox.path(&format!(".git/sop/{file}.bad")));
    }
    // The state folder itself a file: every command said "Not a directory" or "File exists".
    for args in [&["check"][..], &["status"], &["receipts"]] {
        let folder = sandbox.path(".git/sop");
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::write(&folder, "not a folder\n").unwrap();
        let before = sandbox.snapshot();
        let refused = sandbox.xtask().args(args).failure(1);
        assert_contains(&refused.stderr, "sop` is a file; cargo xtask keeps a folder of its own there");
        assert_eq!(sandbox.snapshot(), before, "{args:?}: the refusal changed the repository");
        paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
        sandbox.xtask().args(args).success();
        std::fs::remove_file(sandbox.path(".git/sop.bad")).unwrap();
    }
}
