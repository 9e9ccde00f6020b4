//! `cargo xtask undo` takes back the last state-changing command — only while the repository is
//! exactly as that command left it. What these tests prove: after `new-addon`, `branch` and
//! `sync` an undo gives back the repository byte for byte (uncommitted work kept); an edit, a
//! commit or a push since makes it refuse, naming what changed and touching nothing; `--dry-run`
//! changes nothing; it is one level deep; every hint works when pasted.

use crate::support::{assert_contains, next_lines, paste_every_hint, Sandbox};

/// `new-addon`, undone: the repository is exactly as before, on main, without the branch. A
/// second undo has nothing to take back, and says so with a hint that works.
#[test]
fn undo_takes_back_new_addon_exactly() {
    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert_eq!(sandbox.current_branch(), "feat/scheduler");

    let scaffolded = sandbox.snapshot();
    let preview = sandbox.xtask().args(["undo", "--dry-run"]).success();
    assert_eq!(sandbox.snapshot(), scaffolded, "--dry-run changed the repository");
    assert_contains(&preview.stdout, "remove src/core/scheduler.rs");
    assert_eq!(next_lines(&preview.stdout), ["cargo xtask undo"]);
    paste_every_hint(&sandbox, &sandbox.root, &preview.stdout);
    assert_eq!(sandbox.snapshot(), before, "the pasted undo did not give back the repository as it was");
    assert!(sandbox.read(".git/sop/receipts.jsonl").contains("undid `new-addon scheduler`"));

    let nothing = sandbox.xtask().args(["undo"]).refused(2);
    assert_contains(&nothing.stderr, "nothing to undo");
    paste_every_hint(&sandbox, &sandbox.root, &nothing.stderr);
}

/// After `new-addon`, an edit of a file it wrote, or a commit of its files, makes the undo
/// refuse (exit 1) and name what changed, with the repository untouched.
#[test]
fn undo_refuses_when_anything_changed_since() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    let spec = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
    let text = sandbox.read(spec);
    sandbox.write(spec, &format!("{text}\nmy own notes\n"));
    let refused = sandbox.xtask().args(["undo"]).refused(1);
    assert_contains(&refused.stderr, &format!("`{spec}` was changed after the run"));
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);

    sandbox.write(spec, &text);
    // The commit new-addon proposes, pasted as printed.
    let commit = next_lines(&out.stdout).into_iter().find(|line| line.starts_with("git add")).unwrap();
    sandbox.sh(&sandbox.root, &commit);
    let refused = sandbox.xtask().args(["undo"]).refused(1);
    assert_contains(&refused.stderr, "cannot undo `new-addon scheduler`");
}

/// `branch`, undone: back on main, the branch deleted.
#[test]
fn undo_takes_back_a_branch() {
    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    sandbox.xtask().args(["branch", "chore", "tidy up"]).success();
    assert_eq!(sandbox.current_branch(), "chore/tidy-up");
    sandbox.xtask().args(["undo"]).success();
    assert_eq!(sandbox.snapshot(), before);
}

/// `branch`, pushed, then undone: refused (exit 1, nothing touched), since an undo would delete
/// the branch here only; the pasted hints delete it on the remote, then undo: back on main, the
/// branch gone here and on the remote.
#[test]
fn undo_of_a_pushed_branch_refuses_until_it_is_deleted_on_the_remote() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    sandbox.xtask().args(["branch", "chore", "tidy up"]).success();
    sandbox.git(&["push", "-q", "-u", "origin", "chore/tidy-up"]);
    let pushed = sandbox.snapshot();
    let refused = sandbox.xtask().args(["undo"]).refused(1);
    assert_contains(&refused.stderr, "`chore/tidy-up` was pushed to `origin` since");
    assert_eq!(sandbox.snapshot(), pushed, "the refused undo changed the repository");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert_eq!(pasted.len(), 2, "{pasted:?}");
    assert_eq!(sandbox.current_branch(), "main");
    assert_eq!(sandbox.git(&["branch", "--list", "chore/tidy-up"]).trim(), "");
    let remote = sandbox.git(&["ls-remote", "--heads", origin.to_str().unwrap(), "chore/tidy-up"]);
    assert_eq!(remote.trim(), "", "the branch is still on the remote");
}

/// A branch `feat/x` with a commit of its own (`mine.txt`) while a teammate pushed `news.txt` to
/// `main` (fetched): a sync has something to do. `file` is committed on `main` first.
fn behind_main(file: &str) -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.write(file, "committed\n");
    sandbox.commit_all("chore: a file to work on");
    let origin = sandbox.with_origin();
    let teammate = sandbox.clone_of(&origin, "teammate");
    sandbox.git(&["switch", "-q", "-c", "feat/x"]);
    sandbox.commit_file_in(&sandbox.root, "mine.txt", "mine\n", "feat: mine");
    sandbox.commit_file_in(&teammate, "news.txt", "news\n", "feat: news on main");
    sandbox.git_in(&teammate, &["push", "-q", "origin", "main"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox
}

/// `undo` of a sync refuses while changes are staged (a `git reset --keep` would unstage them
/// and lose a version only the index holds), changes nothing, and its pasted hints set the work
/// aside, undo, and bring it back staged, byte for byte.
#[test]
fn undo_of_a_sync_never_loses_staged_work() {
    let sandbox = behind_main("notes.txt");
    sandbox.write("notes.txt", "staged only\n");
    sandbox.git(&["add", "notes.txt"]);
    sandbox.write("notes.txt", "in the worktree\n");
    sandbox.write("new.txt", "new\n");
    sandbox.git(&["add", "new.txt"]);
    sandbox.xtask().args(["sync"]).success();
    let staged = sandbox.git(&["diff", "--cached", "--name-status"]);
    let before = sandbox.snapshot();
    let refused = sandbox.xtask().args(["undo"]).failure(1);
    assert_contains(&refused.stderr, "while changes are staged");
    assert_eq!(sandbox.snapshot(), before, "a refused undo changed the repository");
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert!(!sandbox.exists("news.txt"), "the pasted undo did not take the sync back");
    assert_eq!(
        sandbox.git(&["diff", "--cached", "--name-status"]),
        staged,
        "the staged changes did not come back staged"
    );
    assert_eq!(
        sandbox.git(&["show", ":notes.txt"]).trim_end(),
        "staged only",
        "the version only the index held is lost"
    );
    assert_eq!(sandbox.read("notes.txt"), "in the worktree\n");
}

/// `sync`, undone: the branch back before the rebase and main back before the fast-forward, the
/// uncommitted work kept. Once the synced branch is pushed, the undo refuses.
#[test]
fn undo_takes_back_a_sync_until_it_is_pushed() {
    let sandbox = behind_main("wip.txt");
    sandbox.write("wip.txt", "uncommitted\n");
    let before = sandbox.snapshot();

    let synced = sandbox.xtask().args(["sync"]).success();
    assert!(sandbox.exists("news.txt"), "the sync did not rebase onto main");
    sandbox.xtask().args(["undo"]).success();
    assert_eq!(sandbox.snapshot(), before, "the undo did not give back the branch, main and the work");

    sandbox.xtask().args(["sync"]).success();
    sandbox.write("wip.txt", "committed\n");
    paste_every_hint(&sandbox, &sandbox.root, &synced.stdout);
    let refused = sandbox.xtask().args(["undo"]).refused(1);
    assert_contains(&refused.stderr, "was pushed since");
}
