//! `cargo xtask pre-pr` on real repositories: a bare `origin`, the engineer's clone and a
//! teammate's clone, commits on both sides. Every refusal and every conflict leaves HEAD, the
//! index, the refs and the working tree byte-identical. The verify commands are configured to be
//! fast (`true`, `echo`) except in the one test that runs the real cargo sequence on the kit.

use std::path::{Path, PathBuf};

use crate::support::{assert_contains, paste_every_hint, project_root, Sandbox};

/// `[workspace.metadata.sop]` with fast verify commands.
const FAST: &str = "verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n";

/// A repository with an origin and a feature branch `feat/work` checked out, at main's commit.
pub(crate) fn project(sop: &str) -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::cached(&format!("project {sop}"), || {
        let sandbox = minimal_repository(sop);
        sandbox.with_origin();
        sandbox.git(&["switch", "-q", "-c", "feat/work"]);
        sandbox
    });
    let origin = sandbox.root.parent().unwrap().join("origin.git");
    (sandbox, origin)
}

/// The smallest repository `check` finds compliant, with one commit on `main`. Its configured
/// commands are approved for the clone (`cargo xtask trust`), as the engineer who wrote them would.
pub(crate) fn minimal_repository(sop: &str) -> Sandbox {
    let sandbox = Sandbox::empty();
    sandbox.write("Cargo.toml", &format!("[workspace.metadata.sop]\n{sop}"));
    sandbox.write(".gitignore", "/target/\n.env\n.env.*\n!.env.example\n");
    sandbox.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n");
    sandbox.write("README.md", "one\ntwo\nthree\n");
    sandbox.commit_all("chore: initial commit");
    sandbox.xtask().args(["trust"]).success();
    sandbox
}

/// Commits `content` to `file` on the current branch with its CHANGELOG fragment
/// (`docs/changelog.d/<slug>.md`), as `check` wants.
pub(crate) fn commit_feature(sandbox: &Sandbox, file: &str, content: &str, message: &str) -> String {
    sandbox.write(file, content);
    let branch = sandbox.current_branch();
    let fragment = format!("docs/changelog.d/{}.md", branch.rsplit('/').next().unwrap());
    let before = if sandbox.exists(&fragment) { sandbox.read(&fragment) } else { "<!-- section: Added -->\n".into() };
    sandbox.write(&fragment, &format!("{before}- {message}\n"));
    sandbox.commit_all(message)
}

/// A teammate clones `origin`, commits `content` to `file` on main and pushes. Returns the commit.
pub(crate) fn teammate_pushes(sandbox: &Sandbox, origin: &Path, clone: &str, file: &str, content: &str) -> String {
    let mate = sandbox.clone_of(origin, clone);
    std::fs::write(mate.join(file), content).unwrap();
    sandbox.git_in(&mate, &["add", "-A"]);
    sandbox.git_in(&mate, &["commit", "-q", "-m", &format!("fix: teammate changes {file}")]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "main"]);
    sandbox.git_in(&mate, &["rev-parse", "HEAD"]).trim().to_string()
}

fn merge_base(sandbox: &Sandbox, one: &str, two: &str) -> String {
    sandbox.git(&["merge-base", one, two]).trim().to_string()
}

fn last_receipts(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(sandbox.path(".git/sop/receipts.jsonl")).unwrap_or_default();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn assert_no_operation_in_progress(sandbox: &Sandbox) {
    for leftover in [".git/rebase-merge", ".git/rebase-apply", ".git/MERGE_HEAD"] {
        assert!(!sandbox.path(leftover).exists(), "`{leftover}` was left behind");
    }
}

#[test]
fn a_branch_without_commits_fast_forwards_to_the_new_main() {
    let (sandbox, origin) = project(FAST);
    let theirs = teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "from the teammate\n");
    // The sync still brings the branch up to the new main; then there is nothing to propose.
    let out = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_contains(&out.stdout, "Passed sync: fast-forwarded to `origin/main`");
    assert_eq!(sandbox.head(), theirs);
    assert_eq!(sandbox.current_branch(), "feat/work");
    assert_eq!(sandbox.read("NOTES.md"), "from the teammate\n");
    assert_no_operation_in_progress(&sandbox);
}

/// Issue 15: a branch with no commits of its own stops before verify — no minute of verify, no
/// 0/10 PR body — says there is nothing to propose and how to go on; the hint works when pasted.
#[test]
fn a_branch_without_commits_stops_before_verify_with_what_to_do() {
    let (sandbox, _origin) = project(FAST);
    let out = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_contains(
        &out.stderr,
        "error: `feat/work` has no commits `main` lacks: there is nothing to verify or propose",
    );
    assert_contains(&out.stderr, "hint: commit your change on it first, or switch to the branch that holds it:\n");
    assert_contains(&out.stdout, "verify       skipped  -     not run: the branch has no commits of its own");
    assert_contains(&out.stdout, "pr-body      skipped  -     not run: the branch has no commits of its own");
    assert!(!sandbox.exists("target/pre-pr/logs"), "verify ran");
    assert!(!sandbox.exists("target/pre-pr/PR_BODY.md"), "a PR body was written");
    assert!(!sandbox.exists(".git/sop/verified.json"), "propose would take it as verified");
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);

    // A dry run predicts it, changing nothing; offline, the same, from main as last fetched.
    let out = sandbox.xtask().args(["pre-pr", "--dry-run"]).refused(1);
    assert_contains(&out.stderr, "has no commits `main` lacks: there is nothing to verify or propose");
    let out = sandbox.xtask().args(["pre-pr", "--no-sync", "--json"]).failure(1);
    let json = out.json();
    assert_eq!(json["ok"], false);
    assert_contains(json["error"].as_str().unwrap(), "has no commits `main` lacks");
}

/// The engineer's uncommitted work on such a branch is never lost: with `--autostash` it is put
/// back, and the hint commits it (untracked files too) and runs pre-pr again, which then passes.
#[test]
fn uncommitted_work_on_a_branch_without_commits_is_kept_and_the_hint_commits_it() {
    let (sandbox, _origin) = project(FAST);
    sandbox.write("README.md", "one\ntwo\nthree\nmine, uncommitted\n");
    sandbox.write("docs/changelog.d/work.md", "<!-- section: Added -->\n- A line of mine.\n");
    let out = sandbox.xtask().args(["pre-pr", "--autostash"]).failure(1);
    assert_contains(&out.stdout, "restore      passed");
    assert_eq!(sandbox.read("README.md"), "one\ntwo\nthree\nmine, uncommitted\n");
    assert!(sandbox.exists("docs/changelog.d/work.md"), "the untracked file was not put back");
    assert!(sandbox.git(&["stash", "list"]).is_empty(), "the work was left in the stash");
    assert_contains(&out.stderr, "hint: commit your work, then run pre-pr again:\nhint: git add -A && git commit -m 'feat: describe the change'\nhint: cargo xtask pre-pr\n");
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_eq!(sandbox.git(&["show", "-s", "--format=%s", "HEAD"]).trim(), "feat: describe the change");
    assert!(sandbox.exists("target/pre-pr/PR_BODY.md"), "the pasted pre-pr did not write the body");
}

#[test]
fn a_diverged_branch_is_rebased_onto_the_new_main() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let theirs = teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "from the teammate\n");
    let out = sandbox.xtask().args(["pre-pr"]).success();
    assert_contains(&out.stdout, "rebased 1 commit onto `origin/main`");
    assert_eq!(merge_base(&sandbox, "HEAD", "origin/main"), theirs);
    assert_eq!(sandbox.git(&["rev-list", "--count", "origin/main..HEAD"]).trim(), "1");
    assert_eq!(sandbox.read("feature.txt"), "mine\n");
    assert_eq!(sandbox.read("NOTES.md"), "from the teammate\n");
    assert_no_operation_in_progress(&sandbox);

    // Every step is in the summary, and left a receipt.
    for row in ["preflight    passed", "sync         passed", "verify       passed", "integration  skipped"] {
        assert_contains(&out.stdout, row);
    }
    let receipts = last_receipts(&sandbox);
    let pre_pr: Vec<&serde_json::Value> = receipts.iter().filter(|r| r["command"] == "pre-pr").collect();
    let sync = pre_pr.iter().find(|r| r["message"].as_str().unwrap().starts_with("sync:")).unwrap();
    assert_eq!(sync["kind"], "state_change");
    assert_eq!(sync["detail"]["after"], sandbox.head());
    let skipped = pre_pr.iter().find(|r| r["message"] == "integration skipped").unwrap();
    assert_eq!(skipped["kind"], "skipped");
    assert_contains(skipped["reason"].as_str().unwrap(), "not requested");

    // The PR body names the tested commit and recommends a rebase merge of the one clean commit.
    let body = sandbox.read("target/pre-pr/PR_BODY.md");
    assert_contains(&body, &format!("Tested commit: `{}` on `feat/work`", sandbox.head()));
    assert_contains(&body, "<!-- Suggested title (conventional commit): feat: add the feature file -->");
    assert_contains(&body, "Recommended: **rebase merge** — one clean conventional commit");
    assert_contains(&body, "- [ ] Spec created (new, not modified) — n/a: `feat/work` is not an add-on slice");
    // It keeps the headings of the repository's pull request template, in order.
    let template = std::fs::read_to_string(project_root().join(".github/pull_request_template.md")).unwrap();
    let mut rest = body.as_str();
    for heading in template.lines().filter(|line| line.starts_with("## ")) {
        let at = rest
            .find(&format!("{heading}\n"))
            .unwrap_or_else(|| panic!("`{heading}` missing or out of order:\n{body}"));
        rest = &rest[at..];
    }
}

/// `propose` pushes only a verify pre-pr recorded: when the record cannot be written (here its
/// path is a folder; a full disk or a read-only `.git/sop` fail the same way), pre-pr does not
/// call the branch ready (it sent `propose` into a loop of "not verified" hints) but fails with
/// the cause; once that is fixed, the hint's command records it and `propose` pushes.
#[test]
fn a_verify_that_cannot_be_recorded_is_no_ready_branch() {
    let (sandbox, _origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    std::fs::create_dir_all(sandbox.path(".git/sop/verified.json/held")).unwrap();

    let out = sandbox.xtask().args(["pre-pr"]).run();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_contains(&out.stderr, "the verify could not be recorded for `cargo xtask propose`");
    assert!(!out.stdout.contains("ready for review"), "{}", out.stdout);
    let json = sandbox.xtask().args(["pre-pr", "--json"]).run();
    assert_eq!((json.code, json.json()["ok"].as_bool()), (1, Some(false)), "{}", json.stdout);

    std::fs::remove_dir_all(sandbox.path(".git/sop/verified.json")).unwrap();
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    sandbox.xtask().args(["propose", "--no-open"]).success();
}

/// A teammate changes the verify commands on main: the sync brings the change, and pre-pr does
/// not verify the new tree with the old commands (nor call it ready). It stops with exit 1, and
/// its hint, pasted as printed, approves the new commands and runs pre-pr again, which now runs
/// them (the new `false` fails the verify, as it must).
#[test]
fn verify_commands_a_sync_brings_are_approved_before_they_count() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let manifest = "[workspace.metadata.sop]\nverify = [[\"true\"], [\"false\"]]\n".to_string();
    teammate_pushes(&sandbox, &origin, "mate", "Cargo.toml", &manifest);

    // Not `refused`: the sync before the refusal changed the branch, as it should.
    let out = sandbox.xtask().args(["pre-pr"]).run();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_contains(&out.stdout, "sync         passed");
    assert_contains(&out.stderr, "`verify` in `Cargo.toml` changed during this run");
    assert!(!out.stdout.contains("ready for review"), "{}", out.stdout);
    assert_eq!(sandbox.read("Cargo.toml"), manifest, "the sync brought the teammate's commands");

    let pasted = crate::support::paste_hints(&sandbox, &sandbox.root, &out.stderr, &[("cargo xtask pre-pr", 1)]);
    let rerun = pasted.last().unwrap();
    assert_contains(&rerun.stdout, "verify       failed");
    assert_contains(&format!("{}{}", rerun.stdout, rerun.stderr), "`false`");
}

#[test]
fn a_conflicting_push_stops_names_the_file_and_changes_nothing() {
    let (sandbox, origin) = project(FAST);
    sandbox.write("README.md", "one\nmine\nthree\n");
    sandbox.commit_all("feat: change the readme");
    teammate_pushes(&sandbox, &origin, "mate", "README.md", "one\ntheirs\nthree\n");
    // Fetch first, so the snapshot already holds what pre-pr's own fetch brings.
    sandbox.git(&["fetch", "-q", "origin"]);
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "would conflict while replaying");
    assert_contains(&out.stderr, "in `README.md`; nothing was changed");
    assert_contains(&out.stderr, "hint: cargo xtask sync\n");
    assert_contains(&out.stdout, "conflicting files:\n    README.md\n");
    assert_contains(&out.stdout, "cargo xtask sync --continue");
    assert_contains(&out.stdout, "verify       skipped  -     not run: `sync` failed");
    assert_no_operation_in_progress(&sandbox);
    assert!(!sandbox.exists("target/pre-pr/PR_BODY.md"));
    let failure = last_receipts(&sandbox).into_iter().rev().find(|r| r["kind"] == "failure").unwrap();
    assert_contains(failure["reason"].as_str().unwrap(), "README.md");
}

#[test]
fn a_conflict_the_prediction_missed_is_aborted_and_changes_nothing() {
    // The test-only switch makes pre-pr trust the real rebase, so its abort path runs.
    let (sandbox, origin) = project(FAST);
    sandbox.write("README.md", "one\nmine\nthree\n");
    sandbox.commit_all("feat: change the readme");
    teammate_pushes(&sandbox, &origin, "mate", "README.md", "one\ntheirs\nthree\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    // Untracked files are not dirt: they ride through the sync and its abort untouched.
    sandbox.write("untracked.txt", "still not committed\n");
    let out = sandbox.xtask().args(["pre-pr"]).env("XTASK_TEST_SKIP_PREDICTION", "1").refused(1);
    assert_contains(&out.stderr, "conflicted in `README.md` and was aborted");
    assert_contains(&out.stdout, "conflicting files:\n    README.md\n");
    assert_no_operation_in_progress(&sandbox);
    assert_eq!(sandbox.read("untracked.txt"), "still not committed\n");
}

#[test]
fn a_dirty_tree_is_refused_unless_autostash() {
    let (sandbox, _origin) = project(FAST);
    sandbox.write("README.md", "one\ntwo\nthree\nfour\n");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "error: the working tree has uncommitted changes: `README.md`");
    assert_contains(&out.stderr, "hint: git commit -am 'feat: save work in progress on work'\n");
    assert_contains(&out.stdout, "preflight    failed");
}

/// Preflight asks `git status` which tracked paths changed: unstaged, staged, deleted and renamed
/// files are named (a rename by both its paths, a name with a space or a non-ASCII letter as it
/// is); untracked files and the files a sparse checkout leaves out on purpose are no changes.
#[test]
fn preflight_names_every_tracked_change_and_nothing_else() {
    let (sandbox, _origin) = project(FAST);
    for (file, text) in [("notes/a b é.md", "x\n"), ("extra/out.txt", "o\n"), ("gone.txt", "g\n")] {
        sandbox.write(file, text);
    }
    commit_feature(&sandbox, "moved.txt", "m\n", "feat: add the notes");
    sandbox.git(&["sparse-checkout", "set", "notes"]);
    assert!(!sandbox.exists("extra/out.txt"), "the sparse checkout did not leave `extra` out");
    sandbox.write("untracked.txt", "u\n");
    sandbox.xtask().args(["pre-pr"]).success();

    sandbox.write("notes/a b é.md", "changed\n");
    sandbox.git(&["rm", "-q", "gone.txt"]);
    sandbox.git(&["mv", "moved.txt", "renamed.txt"]);
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(
        &out.stderr,
        "error: the working tree has uncommitted changes: `gone.txt`, `moved.txt`, `notes/a b é.md`, `renamed.txt`\n",
    );
}

#[test]
fn autostash_stashes_the_work_and_restores_it_after_the_sync() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let theirs = teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "from the teammate\n");
    sandbox.write("feature.txt", "mine, staged\n");
    sandbox.git(&["add", "feature.txt"]);
    sandbox.write("README.md", "one\ntwo\nthree\nunstaged\n");
    sandbox.write("scratch.txt", "untracked\n");
    let out = sandbox.xtask().args(["pre-pr", "--autostash"]).success();
    assert_contains(&out.stdout, "autostash: stashed the uncommitted work as ");
    assert_contains(&out.stdout, "restore: restored the uncommitted work");
    assert_eq!(merge_base(&sandbox, "HEAD", "origin/main"), theirs);
    // Everything is back where it was: staged stays staged, unstaged and untracked too.
    assert_eq!(sandbox.read("feature.txt"), "mine, staged\n");
    assert_eq!(sandbox.read("README.md"), "one\ntwo\nthree\nunstaged\n");
    assert_eq!(sandbox.read("scratch.txt"), "untracked\n");
    assert_eq!(sandbox.git(&["diff", "--cached", "--name-only"]), "feature.txt\n");
    assert_eq!(sandbox.git(&["diff", "--name-only"]), "README.md\n");
    assert_eq!(sandbox.git(&["stash", "list"]), "");
    // The PR body was made from the committed work only.
    assert_contains(&sandbox.read("target/pre-pr/PR_BODY.md"), &format!("Tested commit: `{}`", sandbox.head()));
    let receipts = last_receipts(&sandbox);
    assert!(receipts.iter().any(|r| r["message"].as_str().unwrap().starts_with("autostash: stashed")));
    assert!(receipts.iter().any(|r| r["message"].as_str().unwrap().starts_with("restore: restored")));
}

#[test]
fn autostash_with_a_conflicting_push_puts_everything_back() {
    let (sandbox, origin) = project(FAST);
    sandbox.write("README.md", "one\nmine\nthree\n");
    sandbox.commit_all("feat: change the readme");
    teammate_pushes(&sandbox, &origin, "mate", "README.md", "one\ntheirs\nthree\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.write("README.md", "one\nmine\nthree\nuncommitted\n");
    sandbox.write("scratch.txt", "untracked\n");
    let out = sandbox.xtask().args(["pre-pr", "--autostash"]).env("XTASK_TEST_SKIP_PREDICTION", "1").refused(1);
    assert_contains(&out.stderr, "conflicted in `README.md` and was aborted");
    assert_contains(&out.stdout, "restore: restored the uncommitted work");
    assert_eq!(sandbox.git(&["stash", "list"]), "");
}

#[test]
fn an_autostash_that_conflicts_on_restore_is_kept_and_explained() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    teammate_pushes(&sandbox, &origin, "mate", "README.md", "one\ntheirs\nthree\n");
    sandbox.write("README.md", "one\nmine, uncommitted\nthree\n");
    let out = sandbox.xtask().args(["pre-pr", "--autostash"]).failure(1);
    assert_contains(
        &out.stderr,
        "error: restoring your uncommitted work conflicted in `README.md`; it is safe in `stash@{0}`",
    );
    assert_contains(&out.stdout, "restore      failed");
    assert_contains(&out.stdout, "to finish: resolve the markers, then drop the stash: git stash drop stash@{0}");
    // Nothing is lost: the stash still holds the change, and the file shows both sides.
    assert_eq!(sandbox.git(&["stash", "list"]).lines().count(), 1);
    assert_contains(&sandbox.git(&["stash", "show", "-p", "stash@{0}"]), "+mine, uncommitted");
    let readme = sandbox.read("README.md");
    assert_contains(&readme, "mine, uncommitted");
    assert_contains(&readme, "theirs");
}

#[test]
fn work_an_interrupted_autostash_left_in_the_stash_is_pointed_out() {
    // What Ctrl-C during verify leaves with --autostash: the work is safe in the stash.
    let (sandbox, _origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.write("README.md", "one\ntwo\nthree\nuncommitted\n");
    sandbox.git(&["stash", "push", "-q", "-m", "cargo xtask pre-pr --autostash on feat/work"]);
    let out = sandbox.xtask().args(["pre-pr"]).success();
    assert_contains(
        &out.stderr,
        "warning: `stash@{0}` holds uncommitted work an interrupted `cargo xtask pre-pr --autostash` did not restore; get it back: git stash pop stash@{0}",
    );
    assert_eq!(sandbox.git(&["stash", "list"]).lines().count(), 1, "the stash is the engineer's to restore");
}

#[test]
fn the_main_branch_is_refused() {
    let (sandbox, _origin) = project(FAST);
    sandbox.git(&["switch", "-q", "main"]);
    // Nothing of its own on main: no commit to move, a branch to find (the hint lists them).
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "error: you are on the main branch `main`; it is never rebased");
    assert_contains(&out.stderr, "hint: cargo xtask status --all\n");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_contains(&pasted[0].stdout, "feat/work");
    // A commit made on main: it is moved to a branch named from it.
    sandbox.commit_file_in(&sandbox.root, "notes.txt", "mine\n", "chore: a note");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "hint: git switch -c chore/");
    assert_contains(&out.stderr, " && git branch -f main origin/main\n");
}

#[test]
fn a_detached_head_is_refused() {
    let (sandbox, _origin) = project(FAST);
    sandbox.git(&["switch", "-q", "--detach", "HEAD"]);
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "error: HEAD is detached at ");
    assert_contains(&out.stderr, "hint: git switch -c ");
}

#[test]
fn a_branch_outside_the_naming_policy_is_refused() {
    let (sandbox, _origin) = project(FAST);
    sandbox.git(&["switch", "-q", "-c", "Feature/Login_Timeout"]);
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "branch `Feature/Login_Timeout` does not follow the naming policy");
    assert_contains(&out.stderr, "hint: git branch -m feat/login-timeout\n");
}

#[test]
fn a_rebase_left_in_progress_is_detected_with_the_recovery_command() {
    // What Ctrl-C in the middle of the sync leaves: git's own rebase state.
    let (sandbox, origin) = project(FAST);
    sandbox.write("README.md", "one\nmine\nthree\n");
    sandbox.commit_all("feat: change the readme");
    teammate_pushes(&sandbox, &origin, "mate", "README.md", "one\ntheirs\nthree\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    let status = sandbox.git_command(&sandbox.root).args(["rebase", "origin/main"]).output().unwrap().status;
    assert!(!status.success(), "the rebase was expected to conflict");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "error: a rebase is in progress");
    assert_contains(&out.stderr, "hint: git rebase --abort\n");
}

#[test]
fn no_remote_is_a_clear_error_and_no_sync_works_offline() {
    let sandbox = minimal_repository(FAST);
    sandbox.git(&["switch", "-q", "-c", "fix/offline"]);
    commit_feature(&sandbox, "fix.txt", "fixed\n", "fix: work offline");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "error: no remote `origin` is configured in this clone");
    assert_contains(&out.stderr, "cargo xtask pre-pr --no-sync");

    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).success();
    assert_contains(&out.stdout, "sync         skipped  -     --no-sync: not synced with `origin/main` (offline work)");
    let body = sandbox.read("target/pre-pr/PR_BODY.md");
    assert_contains(&body, "**Not synced with `origin/main`** (`--no-sync`, offline work)");
    let skipped = last_receipts(&sandbox).into_iter().find(|r| r["message"] == "sync skipped").unwrap();
    assert_eq!(skipped["kind"], "skipped");
    assert_contains(skipped["reason"].as_str().unwrap(), "--no-sync");
}

#[test]
fn an_unreachable_remote_is_a_clear_error() {
    let (sandbox, _origin) = project(FAST);
    let gone = sandbox.home.join("gone.git");
    sandbox.git(&["remote", "set-url", "origin", gone.to_str().unwrap()]);
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "error: cannot fetch `main` from `origin`");
    assert_contains(&out.stderr, "hint: check the network and the remote");
}

#[test]
fn a_failing_verify_step_stops_there_and_shows_its_output() {
    let (sandbox, _origin) =
        project("verify = [[\"git\", \"--version\"], [\"git\", \"no-such-subcommand\"], [\"true\"]]\n");
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let out = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_contains(&out.stdout, "Failed `git no-such-subcommand` (exit code 1");
    assert_contains(&out.stdout, "'no-such-subcommand' is not a git command");
    assert_contains(&out.stdout, "verify       failed");
    assert_contains(&out.stdout, "compliance   skipped  -     not run: `verify` failed");
    assert_contains(&out.stderr, "error: verify failed: `git no-such-subcommand` ended with exit code 1");
    assert!(sandbox.exists("target/pre-pr/logs/verify-2-git-no-such-subcommand.log"));
    assert!(!sandbox.exists("target/pre-pr/logs/verify-3-true.log"), "it went on after the failure");
    assert!(!sandbox.exists("target/pre-pr/PR_BODY.md"));
}

#[test]
fn test_counts_are_evidence_in_the_json_and_the_body() {
    let (sandbox, _origin) = project(
        "verify = [[\"echo\", \"test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\"], [\"echo\", \"test result: ok. 2 passed; 0 failed; 0 ignored\"]]\n",
    );
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let out = sandbox.xtask().args(["pre-pr", "--json"]).success();
    let json = out.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["tests"]["passed"], 5);
    assert_eq!(json["tests"]["ignored"], 1);
    assert_eq!(json["tested_commit"], sandbox.head());
    let steps: Vec<(&str, &str)> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("preflight", "passed"),
            ("sync", "passed"),
            ("verify", "passed"),
            ("integration", "skipped"),
            ("compliance", "passed"),
            ("pr-body", "passed")
        ]
    );
    assert_eq!(json["pr_body"]["checklist"].as_array().unwrap().len(), 10);
    let body = sandbox.read("target/pre-pr/PR_BODY.md");
    assert_contains(&body, "Tests: 5 passed, 0 failed, 1 ignored.");
    assert_contains(&body, "| 3 passed, 0 failed, 1 ignored |");
}

#[test]
fn integration_runs_only_when_asked_with_the_gate_set() {
    let (sandbox, _origin) = project("verify = [[\"true\"]]\nintegration_verify = [[\"env\"]]\n");
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.xtask().args(["pre-pr"]).success();
    assert!(!sandbox.exists("target/pre-pr/logs/integration-1-env.log"));
    let out = sandbox.xtask().args(["pre-pr", "--integration"]).success();
    assert_contains(&out.stdout, "integration  passed");
    assert_contains(&sandbox.read("target/pre-pr/logs/integration-1-env.log"), "LANCELOT_INTEGRATION=1");
    assert_contains(&sandbox.read("target/pre-pr/PR_BODY.md"), "Integration tests: run (`LANCELOT_INTEGRATION=1`).");
}

#[test]
fn a_clone_that_is_not_ready_gets_a_warning() {
    let (sandbox, _origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let out = sandbox.xtask().args(["pre-pr"]).success();
    assert_contains(&out.stderr, "warning: this clone is not READY (SOP 8.2)");
    std::fs::write(sandbox.path(".git/sop/ready.json"), "{\"state\": \"READY\"}\n").unwrap();
    let out = sandbox.xtask().args(["pre-pr"]).success();
    assert!(!out.stderr.contains("not READY"), "{}", out.stderr);
}

#[test]
fn the_merge_strategy_merges_main_into_the_branch() {
    let (sandbox, origin) = project(&format!("sync_strategy = \"merge\"\n{FAST}"));
    let mine = commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let theirs = teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "from the teammate\n");
    let out = sandbox.xtask().args(["pre-pr"]).success();
    assert_contains(&out.stdout, "merged `origin/main`");
    assert_eq!(sandbox.git(&["rev-parse", "HEAD^1", "HEAD^2"]), format!("{mine}\n{theirs}\n"));
    assert_eq!(sandbox.git(&["log", "-1", "--format=%s"]), "chore: merge origin/main into feat/work\n");
    assert_eq!(merge_base(&sandbox, "HEAD", "origin/main"), theirs);
    assert_contains(
        &sandbox.read("target/pre-pr/PR_BODY.md"),
        "Recommended: **squash merge** — the history has 1 merge commit",
    );

    // A conflicting merge is aborted the same way.
    let (sandbox, origin) = project(&format!("sync_strategy = \"merge\"\n{FAST}"));
    sandbox.write("README.md", "one\nmine\nthree\n");
    sandbox.commit_all("feat: change the readme");
    teammate_pushes(&sandbox, &origin, "mate", "README.md", "one\ntheirs\nthree\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "merge onto `origin/main`");
    assert_contains(&out.stderr, "would conflict in `README.md`");
    let out = sandbox.xtask().args(["pre-pr"]).env("XTASK_TEST_SKIP_PREDICTION", "1").refused(1);
    assert_contains(&out.stderr, "conflicted in `README.md` and was aborted");
    assert_contains(&out.stdout, "cargo xtask sync --abort");
    assert_no_operation_in_progress(&sandbox);
}

#[test]
fn dry_run_predicts_without_fetching_or_writing() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "from the teammate\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    let before = sandbox.snapshot();
    let receipts_before = last_receipts(&sandbox).len();
    let out = sandbox.xtask().args(["pre-pr", "--dry-run"]).success();
    assert_eq!(sandbox.snapshot(), before);
    assert_contains(&out.stdout, "would rebase 1 commit onto `origin/main`");
    assert_contains(&out.stdout, "dry run: nothing was fetched, run or written");
    assert!(!sandbox.exists("target/pre-pr"));
    assert_eq!(last_receipts(&sandbox).len(), receipts_before, "a dry run leaves no receipt");
    // Not even under `.git/logs`: looking for forgotten autostashes reads no missing reflog.
    assert!(!sandbox.exists(".git/logs/refs/stash"), "a dry run created the stash's reflog");
}

#[test]
fn open_hands_the_body_to_gh() {
    let (sandbox, _origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    // A stand-in `gh` that records its arguments.
    let bin = sandbox.home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("gh");
    std::fs::write(&script, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$HOME/gh-arguments\"\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = sandbox.xtask().args(["pre-pr", "--open"]).env("PATH", &path).success();
    assert_contains(&out.stdout, "open: opened the PR with `gh pr create`");
    let arguments = std::fs::read_to_string(sandbox.home.join("gh-arguments")).unwrap();
    assert_eq!(
        arguments,
        format!(
            "pr\ncreate\n--title\nfeat: add the feature file\n--body-file\n{}\n--base\nmain\n",
            sandbox.path("target/pre-pr/PR_BODY.md").display()
        )
    );
}

/// A kit repository whose verify runs `verify` (the real cargo sequence when `None`), with an
/// origin, on a fresh `feat/scheduler` slice from `new-addon` committed as it was scaffolded.
fn scaffolded_slice(verify: Option<&str>) -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::with_kit();
    if let Some(verify) = verify {
        let manifest = sandbox.read("Cargo.toml");
        // The kit's manifest ends with its (empty) settings table.
        sandbox.write("Cargo.toml", &format!("{manifest}verify = {verify}\n"));
        sandbox.commit_all("chore: fast verify");
    }
    let origin = sandbox.with_origin();
    sandbox.xtask().args(["trust"]).success();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    sandbox.commit_all("feat: add scheduler skeleton");
    (sandbox, origin)
}

/// The boxes of the body, `(ticked, item, note)`.
fn boxes(body: &str) -> Vec<(bool, String, String)> {
    let section = body.split("## Checklist (SOP 4.4)").nth(1).unwrap().split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|line| {
            let (ticked, rest) = match line {
                _ if line.starts_with("- [x] ") => (true, &line[6..]),
                _ if line.starts_with("- [ ] ") => (false, &line[6..]),
                _ => return None,
            };
            let (item, note) = rest.split_once(" — ").unwrap();
            Some((ticked, item.to_string(), note.to_string()))
        })
        .collect()
}

/// Issue 13: the PR body overclaimed on an empty scaffold (8 of 10 boxes, tests "added" while
/// none ran). Now a scaffold with nothing implemented and a verify that runs no test gets only the
/// boxes a rule verified with the evidence shown — the generated module really reads its flag,
/// and the CHANGELOG fragment is there — every open box says why, the JSON report carries the
/// same verdicts, no `TODO(sop)` line is pasted, and the branch's commits are listed.
#[test]
fn an_empty_scaffold_gets_no_box_it_did_not_earn() {
    let (sandbox, _origin) = scaffolded_slice(Some("[[\"true\"]]"));
    let out = sandbox.xtask().args(["pre-pr", "--json"]).success();
    let body = sandbox.read("target/pre-pr/PR_BODY.md");
    let boxes = boxes(&body);
    assert_eq!(boxes.len(), 10, "{body}");
    let ticked: Vec<&str> = boxes.iter().filter(|(t, _, _)| *t).map(|(_, item, _)| item.as_str()).collect();
    assert_eq!(ticked, ["Feature gated", "CHANGELOG updated"], "{body}");
    assert_contains(&body, "- [x] Feature gated — `src/core/scheduler.rs:");
    assert_contains(&body, "declares `FEATURE_SCHEDULER`; `src/core/scheduler.rs:");
    assert_contains(&body, "- [x] CHANGELOG updated — `docs/changelog.d/scheduler.md` (1 entry: Added) on this branch");
    for (ticked, item, note) in &boxes {
        assert!(*ticked || !note.is_empty(), "`{item}` is open without a reason");
    }
    let note = |item: &str| boxes.iter().find(|(_, i, _)| i == item).unwrap().2.clone();
    assert_contains(&note("Unit tests added"), "has only the scaffold's");
    assert_contains(&note("Integration tests added (env-gated)"), "has only the scaffold's 1 test");
    assert_contains(&note("Receipts emitted"), "does nothing beyond what `templates/module.rs.tera` renders");
    assert_contains(&note("War Room visibility added (if required)"), "does nothing beyond");
    assert_contains(&note("Blueprint created"), "still hold `TODO(sop)` (lines ");
    assert_contains(&note("Spec created (new, not modified)"), "still hold `TODO(sop)`");
    assert_contains(&note("Contracts defined"), "still has 5 `TODO(sop)` placeholders (lines 35, 39, 43, 49, 54)");
    assert_contains(&note("Runbook added/updated"), "still hold `TODO(sop)`");
    assert!(!body.contains("TODO(sop):"), "a placeholder line was pasted:\n{body}");
    assert_contains(&body, "- Ships dark: `FEATURE_SCHEDULER=false` by default");
    assert_contains(&body, "_1 line of `## Rollout notes` in `docs/blueprints/Lancelot_vNext2_Blueprint_Scheduler.md` still holds `TODO(sop)`");
    assert_contains(&body, "2 of 10 boxes ticked");
    let short = sandbox.git(&["rev-parse", "--short", "HEAD"]);
    assert_contains(&body, &format!("## Commits\n\n- `{}` feat: add scheduler skeleton\n", short.trim()));

    let json = out.json();
    let checklist = json["pr_body"]["checklist"].as_array().unwrap();
    let json_ticked: Vec<&str> =
        checklist.iter().filter(|i| i["ticked"] == true).map(|i| i["item"].as_str().unwrap()).collect();
    assert_eq!(json_ticked, ticked);
    assert!(checklist.iter().filter(|i| i["ticked"] == true).all(|i| !i["evidence"].as_array().unwrap().is_empty()));
    assert_eq!(json["pr_body"]["commits"][0]["subject"], "feat: add scheduler skeleton");
    assert_contains(&out.stderr, "2/10 boxes ticked");
}

/// The one test that runs the real cargo sequence (fmt, clippy, test, and the env-gated
/// integration suite) on the kit: the "done when"
/// of the issue, on a real slice — the add-on's own unit test, an env-gated integration test, a
/// failure receipt and the war-room row it degrades, and its documents filled in — gets every box,
/// each with the evidence the rules saw (the new test is among the ones `cargo test` ran). The
/// fixture shares one target dir, so repeated runs are incremental.
#[test]
fn a_real_slice_verified_for_real_gets_the_honest_ticks() {
    let _cargo = crate::support::cargo_guard();
    let (sandbox, origin) = scaffolded_slice(None);
    sandbox.copy_lockfile();
    let module = sandbox.read("src/core/scheduler.rs");
    let module = module.replacen(
        "    /// Whether it booted with its flag on.\n",
        "    /// Records a failed run: a `failure` receipt, and the war room shows the error.\n    pub fn fail(&mut self, host: &mut Host, error: &str) -> Result<(), Error> {\n        let receipt = host.record(ReceiptKind::Failure, NAME, format!(\"job failed: {error}\"))?;\n        self.entry.status = AddonStatus::Degraded;\n        self.entry.last_error = Some(error.to_string());\n        self.entry.last_activity_ms = Some(receipt.timestamp_ms);\n        Ok(())\n    }\n\n    /// Whether it booted with its flag on.\n",
        1,
    );
    let module = module.replacen(
        "    #[test]\n    fn its_flag_is_registered_under_its_name() {",
        "    #[test]\n    fn a_failure_is_recorded_and_degrades_its_war_room_row() {\n        let (mut addon, _) = boot_with(flag_set_to(\"true\"));\n        let sink = MemorySink::new();\n        let flags = Flags::resolve(flag_set_to(\"true\"), None).expect(\"valid flag values\");\n        let mut host = Host::new(flags, Arc::new(ManualClock::new(2_000)), Box::new(sink.clone()));\n        addon.fail(&mut host, \"disk full\").expect(\"fail\");\n        assert_eq!(sink.receipts()[0].kind, ReceiptKind::Failure);\n        let entry = addon.report();\n        assert_eq!((entry.status, entry.last_error.as_deref()), (AddonStatus::Degraded, Some(\"disk full\")));\n    }\n\n    #[test]\n    fn its_flag_is_registered_under_its_name() {",
        1,
    );
    sandbox.write("src/core/scheduler.rs", &module);
    let test = sandbox.read("tests/integration/scheduler.rs");
    sandbox.write(
        "tests/integration/scheduler.rs",
        &format!("{test}\n#[test]\n#[ignore = \"integration: set LANCELOT_INTEGRATION=1 and run cargo test -- --ignored\"]\nfn scheduler_is_registered_with_its_flag() {{\n    assert!(REGISTRY.iter().any(|spec| spec.addon == addon::NAME && spec.name == addon::FLAG));\n}}\n"),
    );
    for kind in
        ["specs/Lancelot_vNext2_Spec", "blueprints/Lancelot_vNext2_Blueprint", "runbooks/Lancelot_vNext2_Runbook"]
    {
        let path = format!("docs/{kind}_Scheduler.md");
        sandbox.write(&path, &sandbox.read(&path).replace("TODO(sop): ", ""));
    }
    sandbox.commit_all("feat(scheduler): record failures in receipts and the war room");
    let theirs = teammate_pushes(&sandbox, &origin, "mate", "TEAM.md", "a teammate's change on main\n");
    crate::support::touch_sources(&sandbox.root);
    // With the env-gated integration suite too: the kit's own integration tests must pass on any
    // slice's branch, not only on main (one used to count the add-ons booted).
    let out = sandbox.xtask().args(["pre-pr", "--integration"]).success();
    assert_contains(&out.stdout, "integration  passed");
    assert_eq!(merge_base(&sandbox, "HEAD", "origin/main"), theirs);
    assert_contains(&out.stdout, "rebased 2 commits onto `origin/main`");
    for command in [
        "`cargo fmt --all --check`",
        "`cargo clippy --workspace --all-targets -- -D warnings`",
        "`cargo test --workspace`",
    ] {
        assert_contains(&out.stdout, &format!("Ok {command}"));
    }
    let body = sandbox.read("target/pre-pr/PR_BODY.md");
    assert_contains(
        &body,
        "- Spec: [`docs/specs/Lancelot_vNext2_Spec_Scheduler.md`](docs/specs/Lancelot_vNext2_Spec_Scheduler.md)",
    );
    assert_contains(&body, "`FEATURE_SCHEDULER` (off by default");
    assert_contains(&body, &format!("Tested commit: `{}` on `feat/scheduler`", sandbox.head()));
    assert_contains(&body, "| `cargo test --workspace` | passed | ");
    assert!(!body.contains("TODO(sop):"), "{body}");
    let boxes = boxes(&body);
    let open: Vec<&(bool, String, String)> = boxes.iter().filter(|(ticked, _, _)| !ticked).collect();
    assert!(open.is_empty(), "every box is earned here: {open:?}\n{body}");
    for ticked in [
        "- [x] Spec created (new, not modified) — `docs/specs/Lancelot_vNext2_Spec_Scheduler.md` is new on this branch",
        "- [x] Unit tests added — 1 new test beyond the scaffold's",
        "`a_failure_is_recorded_and_degrades_its_war_room_row` (src/core/scheduler.rs:",
        "1 of the new ones among them",
        "- [x] Integration tests added (env-gated) — 1 env-gated test beyond the scaffold's: `scheduler_is_registered_with_its_flag`",
        "- [x] Receipts emitted — `src/core/scheduler.rs` has 1 receipt statement beyond the scaffold's 3 (src/core/scheduler.rs:53)",
        "using ReceiptKind::Failure",
        "- [x] War Room visibility added (if required) — `src/core/scheduler.rs` has 3 war-room statements beyond the scaffold's 12 (src/core/scheduler.rs:54, src/core/scheduler.rs:55, src/core/scheduler.rs:56), using AddonStatus::Degraded, self.entry.last_error",
        "- [x] Contracts defined — `## Contracts` (`docs/specs/Lancelot_vNext2_Spec_Scheduler.md:",
        "- [x] CHANGELOG updated",
    ] {
        assert_contains(&body, ticked);
    }
    assert_contains(&body, "feat(scheduler): record failures in receipts and the war room");
}

/// The PR body is rendered from `templates/pr_body.md.tera`, which a repository may override like
/// any template: the override's text is what `pre-pr` writes (still redacted), and one that does
/// not render stops the step with the command that checks it.
#[test]
fn the_pr_body_template_is_the_repository_s_own() {
    let (sandbox, _origin) = project(FAST);
    sandbox.write(
        "templates/pr_body.md.tera",
        "{# sop-template: pr_body v1 #}\n# {{ pr.title }}\n{% for check in pr.checklist %}[{{ check.mark }}] {{ check.item }}\n{% endfor %}{% for c in pr.commits %}* {{ c.subject }}\n{% endfor %}",
    );
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.xtask().args(["pre-pr"]).success();
    let body = sandbox.read("target/pre-pr/PR_BODY.md");
    assert!(body.starts_with("# feat: add the feature file\n[ ] Spec created (new, not modified)\n"), "{body}");
    assert_contains(&body, "[x] CHANGELOG updated\n");
    assert!(body.ends_with("* feat: add the feature file\n"), "{body}");

    sandbox.write("templates/pr_body.md.tera", "{# sop-template: pr_body v1 #}\n{{ pr.no_such_field }}\n");
    sandbox.commit_all("chore: break the body template");
    let out = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_contains(&out.stderr, "`templates/pr_body.md.tera` failed to render");
    assert_contains(&out.stderr, "hint: fix the template, then check it: cargo xtask templates --check");
}

/// A branch on an add-on that exists already (`fix/health-monitor`): the documents it did not
/// create are not "created", and the tests the module had before the branch are not "added" by it
/// (only the ones the branch adds would be), while the runbook it updates is.
#[test]
fn a_branch_on_an_existing_add_on_claims_nothing_it_did_not_add() {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write("Cargo.toml", &format!("{manifest}verify = [[\"true\"]]\n"));
    sandbox.commit_all("chore: fast verify");
    sandbox.with_origin();
    sandbox.xtask().args(["trust"]).success();
    sandbox.git(&["switch", "-q", "-c", "fix/health-monitor"]);
    let runbook = "docs/runbooks/Lancelot_vNext2_Runbook_HealthMonitor.md";
    sandbox.write(runbook, &format!("{}\nOne more recovery step.\n", sandbox.read(runbook)));
    commit_feature(&sandbox, "NOTES.md", "notes\n", "fix(health-monitor): document one more recovery step");
    sandbox.xtask().args(["pre-pr"]).success();
    let body = sandbox.read("target/pre-pr/PR_BODY.md");
    let boxes = boxes(&body);
    let find = |item: &str| boxes.iter().find(|(_, i, _)| i == item).unwrap().clone();
    let (ticked, _, note) = find("Spec created (new, not modified)");
    assert!(!ticked);
    assert_contains(&note, "existed before this branch and is unchanged");
    let (ticked, _, note) = find("Unit tests added");
    assert!(!ticked, "{note}");
    assert_contains(&note, "from before this branch: add the add-on's own `#[test]` functions");
    let (ticked, _, note) = find("Runbook added/updated");
    assert!(ticked, "{note}");
    assert_contains(&note, &format!("`{runbook}` is updated on this branch"));
}
