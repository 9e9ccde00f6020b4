//! Every `hint:` and `next:` line works when pasted exactly as printed. Each test brings a real
//! repository into a state that makes a command refuse (or finish with `next:` lines), collects
//! every printed line that holds a command, runs each through `sh -c` in that scenario (the
//! sandbox's HOME, no terminal, from the directory the engineer is in), and then asserts the
//! refusal is gone or the promised state was reached. A pasted line that exits non-zero fails
//! the test unless the test declares that exit and what it means (`paste_hints`).

use crate::pre_pr::{commit_feature, project, teammate_pushes};
use crate::support::{assert_contains, hint_commands, paste_every_hint, paste_hints, Sandbox};

/// Fast verify commands, so `pre-pr` runs in a second.
const FAST: &str = "verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n";
const SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
const RECORD: &str = "docs/specs/frozen/Lancelot_vNext2_Spec_Scheduler.lock";

/// A `project` whose commits go through the committed commit-msg hook, as after onboarding.
fn hooked_project() -> (Sandbox, std::path::PathBuf) {
    let (sandbox, origin) = project(FAST);
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    sandbox.git(&["push", "-q", "origin", "main"]);
    sandbox.git(&["config", "core.hooksPath", ".githooks"]);
    sandbox.git(&["switch", "-q", "feat/work"]);
    sandbox.git(&["reset", "-q", "--hard", "main"]);
    (sandbox, origin)
}

fn status(sandbox: &Sandbox) -> String {
    sandbox.git(&["status", "--porcelain", "--untracked-files=all"])
}

fn subject(sandbox: &Sandbox) -> String {
    sandbox.git(&["log", "-1", "--format=%s"]).trim().to_string()
}

/// The dirty-tree refusal of `pre-pr` names a commit the commit-msg hook accepts (not `wip:`),
/// with `git add -A` because a file is untracked, and names the untracked files it sweeps in;
/// pasted, it commits everything and the refusal is gone.
#[test]
fn pre_pr_dirty_tree_hint_commits_through_the_hook_with_untracked_files() {
    let (sandbox, _origin) = hooked_project();
    sandbox.write("README.md", "one\ntwo\nthree\nfour\n");
    sandbox.write("notes/new.txt", "a new file\n");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&out.stderr, "uncommitted changes");
    assert_contains(&out.stderr, "it also commits the untracked `notes/`");
    let commands = hint_commands(&out.all());
    assert_eq!(commands, ["git add -A && git commit -m 'feat: save work in progress on work'"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(status(&sandbox), "");
    assert_eq!(subject(&sandbox), "feat: save work in progress on work");
    let again = sandbox.xtask().args(["pre-pr", "--no-sync"]).run();
    assert!(!again.stderr.contains("uncommitted changes"), "{}", again.stderr);
}

/// The same refusal says how to leave the untracked files out (scratch notes the engineer never
/// means to commit): that command, pasted as quoted, commits the tracked change only, the notes
/// stay untracked, and pre-pr no longer refuses.
#[test]
fn pre_pr_dirty_tree_refusal_says_how_to_leave_untracked_files_out() {
    let (sandbox, _origin) = hooked_project();
    sandbox.write("README.md", "one\ntwo\nthree\nfour\n");
    sandbox.write("scratch-notes.txt", "password ideas\n");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    let quoted = "to leave them out: `";
    let start = out.stderr.find(quoted).unwrap_or_else(|| panic!("{}", out.stderr)) + quoted.len();
    let command = &out.stderr[start..start + out.stderr[start..].find('`').unwrap()];
    assert_eq!(command, "git commit -am 'feat: save work in progress on work'");
    let pasted = sandbox.paste(&sandbox.root, command);
    assert_eq!(pasted.code, 0, "{pasted:?}");
    assert_eq!(status(&sandbox), "?? scratch-notes.txt\n");
    assert_eq!(sandbox.git(&["show", "--name-only", "--format=", "HEAD"]), "README.md\n");
    let again = sandbox.xtask().args(["pre-pr", "--no-sync"]).run();
    assert!(!again.stderr.contains("uncommitted changes"), "{}", again.stderr);
}

/// Without untracked files the same refusal uses `git commit -am`, and it works from a subfolder.
#[test]
fn pre_pr_dirty_tree_hint_without_untracked_files_works_from_a_subfolder() {
    let (sandbox, _origin) = hooked_project();
    sandbox.write("sub/keep.txt", "kept\n");
    sandbox.commit_all("feat: add a folder");
    sandbox.write("README.md", "changed\n");
    let dir = sandbox.path("sub");
    let out = sandbox.xtask().current_dir(&dir).args(["pre-pr"]).refused(1);
    assert_eq!(hint_commands(&out.all()), ["git commit -am 'feat: save work in progress on work'"]);
    paste_every_hint(&sandbox, &dir, &out.all());
    assert_eq!(status(&sandbox), "");
}

/// After `pre-pr` rebased a branch that was already pushed, the `next:` push carries
/// `--force-with-lease` (a plain push is refused), and pasted, it updates the remote branch.
/// Local `main` is stale throughout: the tool works from `origin/main`.
#[test]
fn pre_pr_next_push_after_a_rebase_of_a_pushed_branch_uses_a_lease() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/work"]);
    teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "from the teammate\n");
    let out = sandbox.xtask().args(["pre-pr"]).success();
    assert_contains(&out.stdout, "rebased 1 commit");
    let lease = sandbox.git(&["rev-parse", "origin/feat/work"]);
    let push = format!("git push --force-with-lease=refs/heads/feat/work:{} -u origin feat/work", lease.trim());
    assert_eq!(hint_commands(&out.all()), [push]);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.git(&["rev-parse", "origin/feat/work"]).trim(), sandbox.head());
}

/// A branch never pushed gets a plain `git push -u`, even after a rebase, and it works.
#[test]
fn pre_pr_next_push_of_a_new_branch_is_plain_and_works() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "from the teammate\n");
    let out = sandbox.xtask().args(["pre-pr"]).success();
    assert_eq!(hint_commands(&out.all()), ["git push -u origin feat/work"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.git(&["rev-parse", "origin/feat/work"]).trim(), sandbox.head());
}

/// A teammate pushed a commit to this branch: pre-pr stops before verifying a tree without it
/// (fetched or not), and its hints pasted — `sync`, then pre-pr — bring the commit in and pass;
/// the `next:` push then puts both commits on the remote branch.
#[test]
fn pre_pr_next_push_keeps_a_teammates_commit_on_the_branch() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/work"]);
    let mate = sandbox.clone_of(&origin, "mate");
    sandbox.git_in(&mate, &["switch", "-q", "feat/work"]);
    std::fs::write(mate.join("theirs.txt"), "theirs\n").unwrap();
    sandbox.git_in(&mate, &["add", "-A"]);
    sandbox.git_in(&mate, &["commit", "-q", "-m", "feat: a teammate's part"]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "feat/work"]);
    let theirs = sandbox.git_in(&mate, &["rev-parse", "HEAD"]).trim().to_string();
    commit_feature(&sandbox, "feature.txt", "mine, more\n", "feat: more of the feature");
    let mine = sandbox.head();
    let refused = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_contains(&refused.stderr, "a teammate pushed to it");
    assert_eq!(sandbox.head(), mine, "the refusal moved the branch");
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert!(sandbox.exists("theirs.txt"), "the pasted sync did not bring the teammate's commit in");
    let ready = pasted.last().expect("the pasted pre-pr").stdout.clone();
    assert_eq!(hint_commands(&ready), ["git push -u origin feat/work"]);
    paste_every_hint(&sandbox, &sandbox.root, &ready);
    sandbox.git(&["merge-base", "--is-ancestor", &theirs, "origin/feat/work"]);
    assert_eq!(sandbox.git(&["rev-parse", "origin/feat/work"]).trim(), sandbox.head());
}

/// Commits made on `main` by mistake: the hint moves them to a branch named after the last
/// commit (not `feat/<name>`, which a shell reads as a redirection) and puts `main` back at
/// `origin/main`; pasted, `pre-pr` gets past its preflight.
#[test]
fn pre_pr_on_main_hint_moves_the_commits_to_a_branch_named_after_them() {
    let (sandbox, _origin) = project(FAST);
    sandbox.git(&["switch", "-q", "main"]);
    commit_feature(&sandbox, "login.txt", "login\n", "feat: add login page");
    let mine = sandbox.head();
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);
    assert_eq!(hint_commands(&out.all()), ["git switch -c feat/add-login-page && git branch -f main origin/main"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.current_branch(), "feat/add-login-page");
    assert_eq!(sandbox.head(), mine);
    assert_eq!(sandbox.git(&["rev-parse", "main"]), sandbox.git(&["rev-parse", "origin/main"]));
    let again = sandbox.xtask().args(["pre-pr", "--no-sync"]).run();
    assert!(!again.stderr.contains("main branch"), "{}", again.stderr);
}

/// A detached HEAD: the hint creates a real branch for the commits; pasted, preflight passes.
#[test]
fn pre_pr_detached_head_hint_creates_a_branch() {
    let (sandbox, _origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "fix: repair the feature");
    sandbox.git(&["switch", "-q", "--detach", "HEAD"]);
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);
    assert_eq!(hint_commands(&out.all()), ["git switch -c fix/repair-the-feature"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.current_branch(), "fix/repair-the-feature");
}

/// A branch outside the naming policy: the rename hint pastes, and the branch then passes.
#[test]
fn pre_pr_branch_name_hint_renames_it_into_the_policy() {
    let (sandbox, _origin) = project(FAST);
    sandbox.git(&["switch", "-q", "-c", "Feature/Login_Timeout"]);
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.current_branch(), "feat/login-timeout");
}

/// A conflict with `origin/main`: the hint's command, `cargo xtask sync`, brings main in and
/// stops at the conflict (exit 1, as promised); resolving, `git add` and `sync --continue` finish
/// it, and `pre-pr` then passes. Nothing of the engineer's is lost on the way.
#[test]
fn pre_pr_conflict_hint_syncs_in_place_and_continue_finishes_it() {
    let (sandbox, origin) = project(FAST);
    crate::pre_pr::commit_feature(&sandbox, "README.md", "one\nmine\nthree\n", "feat: change the readme");
    teammate_pushes(&sandbox, &origin, "mate", "README.md", "one\ntheirs\nthree\n");
    let out = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_eq!(hint_commands(&out.stderr), ["cargo xtask sync"]);
    paste_hints(&sandbox, &sandbox.root, &out.stderr, &[("cargo xtask sync", 1)]);
    assert!(sandbox.path(".git/rebase-merge").exists(), "the pasted sync stopped at the conflict");
    sandbox.write("README.md", "one\nmine and theirs\nthree\n");
    sandbox.git(&["add", "README.md"]);
    sandbox.xtask().args(["sync", "--continue"]).success();
    sandbox.xtask().args(["pre-pr"]).success();
    assert_contains(&sandbox.git(&["log", "--format=%s"]), "feat: change the readme");
}

/// `new-addon` with uncommitted changes: the hint's `git stash` pastes, and the same command
/// then works.
#[test]
fn new_addon_on_a_dirty_tree_hint_stashes_and_the_command_then_works() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("README.md", "changed\n");
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).refused(1);
    assert_eq!(hint_commands(&out.stderr), ["git stash"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
}

/// `branch` with an unknown kind: the hint keeps the engineer's own name (not an example).
#[test]
fn branch_unknown_kind_hint_keeps_the_engineers_name() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(["branch", "wip", "login timeout"]).refused(2);
    assert_eq!(hint_commands(&out.stderr), ["cargo xtask branch feat 'login timeout'"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_eq!(sandbox.current_branch(), "feat/login-timeout");
}

/// `branch` for a branch that exists: the hint switches to it.
#[test]
fn branch_that_exists_hint_switches_to_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["branch", "feat/login"]);
    let out = sandbox.xtask().args(["branch", "feat", "login"]).refused(2);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_eq!(sandbox.current_branch(), "feat/login");
}

/// A scaffold never committed, its spec approved from a subfolder: the `next:` lines add the
/// add-on's untracked files too (root-relative, so they work from `src/`), commit with a type
/// the hook accepts, start the spec, commit its freeze record and start the next slice: every
/// line pasted, in order, from `src/`, leaves nothing of the add-on uncommitted.
#[test]
fn spec_next_lines_commit_the_whole_slice_from_a_subfolder() {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    sandbox.git(&["config", "core.hooksPath", ".githooks"]);
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    sandbox.write(SPEC, &sandbox.read(SPEC).replace("TODO(sop)", "Defined"));
    let src = sandbox.path("src");
    let approved = sandbox.xtask().current_dir(&src).args(["spec", "approve", "scheduler"]).success();
    let pasted = paste_every_hint(&sandbox, &src, &approved.all());
    assert_eq!(pasted.len(), 2, "commit, then start");
    let tree = sandbox.git(&["ls-tree", "-r", "--name-only", "HEAD"]);
    for path in ["src/core/scheduler.rs", "tests/integration/scheduler.rs", SPEC, "docs/changelog.d/scheduler.md"] {
        assert_contains(&tree, path);
    }
    assert_eq!(subject(&sandbox), "spec: approve scheduler");
    // What is left is what the pasted `spec start` changed: the spec's status and its record.
    assert_eq!(status(&sandbox), format!(" M {SPEC}\n?? {RECORD}\n"), "the approve commit left add-on files out");
    // Its own `next:` line commits both (a next slice waits until this one has landed).
    let started = &pasted[1].stdout;
    paste_every_hint(&sandbox, &src, started);
    assert_contains(&sandbox.git(&["ls-tree", "-r", "--name-only", "HEAD"]), RECORD);
    assert_eq!(status(&sandbox), "");
}

/// The scheduler's slice on its own branch, its spec filled in, approved and started (frozen),
/// committed: the spec is not on `main`.
fn scheduler_started_on_its_branch() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    sandbox.write(SPEC, &sandbox.read(SPEC).replace("TODO(sop)", "Defined"));
    sandbox.commit_all("feat: add scheduler");
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.commit_all("spec: start scheduler");
    sandbox
}

/// A spec frozen on this branch (so not on `main`), then edited: the refusal's revert restores
/// the frozen text from HEAD (`git checkout main -- <spec>` fails: main has no such file), from
/// a subfolder, and the transition then works.
#[test]
fn a_spec_frozen_on_the_branch_and_edited_is_reverted_by_the_hint() {
    let sandbox = scheduler_started_on_its_branch();
    sandbox.write(SPEC, &format!("{}\nA late idea.\n", sandbox.read(SPEC)));
    let src = sandbox.path("src");
    let out = sandbox.xtask().current_dir(&src).args(["spec", "complete", "scheduler"]).refused(1);
    assert_eq!(hint_commands(&out.stderr), [format!("git checkout HEAD -- :/{SPEC}")]);
    paste_every_hint(&sandbox, &src, &out.stderr);
    sandbox.xtask().args(["spec", "complete", "scheduler"]).success();
}

/// Two frozen-spec findings whose revert had nowhere to come from (QA): the freeze record damaged
/// with the spec untouched, on the slice's own branch (its spec is not on main), and a spec edit
/// that already landed on main. Each hint, pasted as printed, makes `check` pass again.
#[test]
fn frozen_spec_hints_restore_what_the_record_and_the_spec_agreed_on() {
    let sandbox = scheduler_started_on_its_branch();
    let record = sandbox.read(RECORD);
    sandbox.write(RECORD, &record.replacen("= ", "= 0", 1));
    let out = sandbox.xtask().args(["check"]).refused(1);
    paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.read(RECORD), record, "the pasted hint did not bring the record back");
    sandbox.xtask().args(["check"]).success();

    // The slice lands; then an edit of its frozen spec lands on main unchecked.
    let branch = sandbox.current_branch();
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--ff-only", &branch]);
    sandbox.write(SPEC, &format!("{}\nA late idea.\n", sandbox.read(SPEC)));
    sandbox.commit_all("docs: a late idea");
    let out = sandbox.xtask().args(["check"]).refused(1);
    let restores: Vec<String> =
        hint_commands(&out.all()).into_iter().filter(|c| c.starts_with("git checkout")).collect();
    assert_eq!(restores.len(), 1, "{}", out.all());
    sandbox.paste(&sandbox.root, &restores[0]);
    assert!(!sandbox.read(SPEC).contains("A late idea."), "the pasted revert did nothing");
    sandbox.commit_all("docs: revert the frozen spec");
    sandbox.xtask().args(["check"]).success();
}

/// A missing document or module: the hint restores it only from where it exists. Deleted on a
/// branch, the pasted restore brings it back; under a name never committed (the add-on's spec
/// renamed on the branch), there is nothing to restore and the hint says only how to write it.
#[test]
fn missing_document_hints_restore_only_what_exists() {
    let sandbox = Sandbox::with_kit();
    let runbook = "docs/runbooks/Lancelot_vNext2_Runbook_HealthMonitor.md";
    let text = sandbox.read(runbook);
    sandbox.git(&["switch", "-q", "-c", "docs/tidy"]);
    sandbox.git(&["rm", "-q", runbook]);
    sandbox.commit_all("docs: drop the runbook");
    let out = sandbox.xtask().args(["check", "--no-branch-rules"]).refused(1);
    let restores: Vec<String> =
        hint_commands(&out.all()).into_iter().filter(|c| c.starts_with("git checkout")).collect();
    assert_eq!(restores.len(), 1, "{}", out.all());
    sandbox.paste(&sandbox.root, &restores[0]);
    assert_eq!(sandbox.read(runbook), text, "the pasted restore did not bring the runbook back");

    sandbox.git(&["checkout", "-q", "--", "."]);
    sandbox.git(&["switch", "-q", "-c", "feat/rename", "main"]);
    sandbox.git(&[
        "mv",
        "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md",
        "docs/specs/Lancelot_vNext2_Spec_HealthWatch.md",
    ]);
    sandbox.commit_all("docs: rename the spec");
    let out = sandbox.xtask().args(["check", "--no-branch-rules", "--json"]).refused(1);
    let json = out.json();
    for finding in json["findings"].as_array().unwrap() {
        let hint = finding["hint"].as_str().unwrap_or_default();
        let location = finding["location"].as_str().unwrap_or_default();
        if location.contains("HealthWatch") || location.contains("health_watch") {
            assert!(!hint.contains("git checkout"), "a restore of a file never committed: {hint}");
        }
    }
}

/// A transition that is not allowed: each allowed command stands on its own line and works.
#[test]
fn spec_not_allowed_transition_hint_lines_each_paste() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    sandbox.write(SPEC, &sandbox.read(SPEC).replace("TODO(sop)", "Defined"));
    sandbox.commit_all("feat: add scheduler");
    let out = sandbox.xtask().args(["spec", "start", "scheduler"]).refused(2);
    assert_eq!(hint_commands(&out.stderr), ["cargo xtask spec approve scheduler"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    sandbox.commit_all("spec: approve scheduler");
    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).refused(2);
    assert_eq!(hint_commands(&out.stderr), ["cargo xtask spec start scheduler"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
}

/// A branch without its CHANGELOG fragment: the finding's command writes one from a subfolder,
/// and the finding is gone.
#[test]
fn check_missing_fragment_hint_writes_it_from_a_subfolder() {
    let (sandbox, _origin) = project(FAST);
    sandbox.write("sub/work.txt", "work\n");
    sandbox.commit_all("feat: add work");
    let dir = sandbox.path("sub");
    let out = sandbox.xtask().current_dir(&dir).args(["check"]).refused(1);
    assert_contains(&out.stdout, "sop-4.4/changelog");
    paste_every_hint(&sandbox, &dir, &out.stdout);
    let again = sandbox.xtask().current_dir(&dir).args(["check"]).run();
    assert!(!again.stdout.contains("sop-4.4/changelog]"), "{}", again.stdout);
}

/// `hotfix --dry-run` before `origin/main` was ever fetched: the fetch pastes, and the dry run
/// then works.
#[test]
fn hotfix_dry_run_unfetched_hint_fetches() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let clone = sandbox.clone_of(&origin, "fresh");
    sandbox.git_in(&clone, &["update-ref", "-d", "refs/remotes/origin/main"]);
    let out = sandbox.xtask().current_dir(&clone).args(["hotfix", "login crash", "--dry-run"]).refused(1);
    paste_every_hint(&sandbox, &clone, &out.stderr);
    sandbox.xtask().current_dir(&clone).args(["hotfix", "login crash", "--dry-run"]).success();
}

/// `changelog release` with CHANGELOG.md deleted by mistake: the hint restores it from HEAD
/// (from any folder), and the release then works.
#[test]
fn a_deleted_file_a_command_edits_is_restored_by_the_hint() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("docs/changelog.d/login.md", "<!-- section: Added -->\n- Login\n");
    sandbox.commit_all("docs: add a fragment");
    std::fs::remove_file(sandbox.path("CHANGELOG.md")).unwrap();
    let src = sandbox.path("src");
    let out = sandbox.xtask().current_dir(&src).args(["changelog", "release", "0.2.0"]).run();
    assert_ne!(out.code, 0);
    paste_every_hint(&sandbox, &src, &out.stderr);
    assert!(sandbox.exists("CHANGELOG.md"));
    sandbox.xtask().args(["changelog", "release", "0.2.0"]).success();
}

/// A fragment named off the rule (`My Notes.txt`): the rename keeps the engineer's words,
/// quotes the space, works from a subfolder, and `changelog --check` then passes.
#[test]
fn changelog_bad_fragment_name_rename_pastes_from_a_subfolder() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("docs/changelog.d/My Notes.txt", "<!-- section: Added -->\n- Notes\n");
    let src = sandbox.path("src");
    let out = sandbox.xtask().current_dir(&src).args(["changelog", "--check"]).failure(1);
    paste_every_hint(&sandbox, &src, &out.all());
    assert!(sandbox.exists("docs/changelog.d/my-notes.md"));
    sandbox.xtask().current_dir(&src).args(["changelog", "--check"]).success();
}

/// Releasing a version the CHANGELOG already has: the hint names the next version (no
/// `<version>` placeholder, which a shell reads as a redirection), and its dry run works.
#[test]
fn changelog_release_of_a_taken_version_suggests_the_next_one() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("docs/changelog.d/login.md", "<!-- section: Added -->\n- Login\n");
    sandbox.commit_all("docs: add a fragment");
    sandbox.xtask().args(["changelog", "release", "0.2.0"]).success();
    sandbox.commit_all("chore: release 0.2.0");
    sandbox.write("docs/changelog.d/logout.md", "<!-- section: Added -->\n- Logout\n");
    let out = sandbox.xtask().args(["changelog", "release", "0.2.0"]).refused(2);
    assert_eq!(hint_commands(&out.stderr), ["cargo xtask changelog release 0.2.1 --dry-run"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
}

/// The `next:` line after a release commits it with a type the commit-msg hook accepts.
#[test]
fn changelog_release_next_line_commits_through_the_hook() {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.write("docs/changelog.d/login.md", "<!-- section: Added -->\n- Login\n");
    sandbox.commit_all("docs: add a fragment");
    sandbox.git(&["config", "core.hooksPath", ".githooks"]);
    let out = sandbox.xtask().args(["changelog", "release", "0.2.0"]).success();
    paste_every_hint(&sandbox, &sandbox.path("src"), &out.all());
    assert_eq!(status(&sandbox), "");
}

/// `onboard --yes` where `.env` is not ignored: the fix and the run again are separate lines
/// (not `<fix>, then run: …`), the run again keeps `--yes` (without a terminal a run without it
/// declines every change), and pasted from a subfolder they make the clone READY.
#[test]
fn onboard_fix_and_run_again_are_separate_commands_that_reach_ready() {
    let _cargo = crate::support::cargo_guard();
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.copy_lockfile();
    sandbox.write(".gitignore", "/target/\n/Cargo.lock\n");
    sandbox.commit_all("chore: forget the env rule");
    sandbox.with_origin();
    let src = sandbox.path("src");
    let out = sandbox.xtask().current_dir(&src).args(["onboard", "--yes"]).failure(1);
    let commands = hint_commands(&out.stderr);
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert_eq!(commands[1], "cargo xtask onboard --yes");
    let pasted = paste_every_hint(&sandbox, &src, &out.stderr);
    assert_contains(&pasted[1].stdout, "READY");
}

/// `trust`: a configured command list not yet approved; the hint approves it, and the command
/// then runs.
#[test]
fn trust_hint_approves_and_the_command_then_runs() {
    let (sandbox, _origin) = project("verify = [[\"true\"]]\n");
    sandbox.write("Cargo.toml", "[workspace.metadata.sop]\nverify = [[\"echo\", \"changed\"]]\n");
    sandbox.commit_all("chore: change verify");
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).failure(1);
    assert_eq!(hint_commands(&out.stderr), ["cargo xtask trust"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    let again = sandbox.xtask().args(["pre-pr", "--no-sync"]).run();
    assert!(!again.stderr.contains("cargo xtask trust"), "{}", again.stderr);
}

/// A frozen spec on `main` that the branch edits, while the local `main` is stale: the revert
/// names `origin/main` (where the tool found the base), works from a subfolder, and the
/// finding is gone.
#[test]
fn check_revert_of_a_frozen_spec_uses_the_real_base_when_main_is_stale() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let mate = sandbox.clone_of(&origin, "mate");
    // The teammate freezes a spec on main and pushes; this clone only fetches.
    sandbox.xtask().current_dir(&mate).args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    let spec = mate.join(SPEC);
    std::fs::write(&spec, std::fs::read_to_string(&spec).unwrap().replace("TODO(sop)", "Defined")).unwrap();
    sandbox.xtask().current_dir(&mate).args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().current_dir(&mate).args(["spec", "start", "scheduler"]).success();
    sandbox.git_in(&mate, &["add", "-A"]);
    sandbox.git_in(&mate, &["commit", "-q", "-m", "feat: add scheduler"]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "HEAD:main"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.git(&["switch", "-q", "-c", "fix/tweak", "origin/main"]);
    sandbox.write(SPEC, &format!("{}\nA late idea.\n", sandbox.read(SPEC)));
    sandbox.write("docs/changelog.d/tweak.md", "<!-- section: Fixed -->\n- Tweak\n");
    sandbox.commit_all("fix: tweak the scheduler spec");
    let src = sandbox.path("src");
    let out = sandbox.xtask().current_dir(&src).args(["check"]).failure(1);
    assert_contains(&out.stdout, "sop-2.1/frozen-spec");
    let commands = hint_commands(&out.stdout);
    assert!(commands.contains(&format!("git checkout origin/main -- :/{SPEC}")), "{commands:?}");
    let revert: Vec<&String> = commands.iter().filter(|c| c.contains(SPEC)).collect();
    for command in revert {
        assert_eq!(sandbox.paste(&src, command).code, 0);
    }
    let again = sandbox.xtask().current_dir(&src).args(["check"]).run();
    assert!(!again.stdout.contains("sop-2.1/frozen-spec"), "{}", again.stdout);
}

/// `spec start` on a branch whose spec has landed on the base: the `next:` new slice line
/// pastes. (On a branch whose spec is not on the base it is not a `next:` line: stacking is
/// refused.)
#[test]
fn spec_start_next_slice_line_pastes_once_the_spec_has_landed() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    sandbox.write(SPEC, &sandbox.read(SPEC).replace("TODO(sop)", "Defined"));
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.commit_all("feat: add scheduler");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--ff-only", "feat/scheduler"]);
    sandbox.git(&["switch", "-q", "feat/scheduler"]);
    let out = sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(pasted.len(), 2, "commit, then the next slice");
    let branch = sandbox.current_branch();
    assert!(branch.starts_with("feat/scheduler") && branch != "feat/scheduler", "{branch}");
}

/// A `.env` committed on the branch: the untrack command of the finding works from a subfolder.
#[test]
fn check_tracked_env_file_untrack_hint_works_from_a_subfolder() {
    let (sandbox, _origin) = project(FAST);
    sandbox.write(".env", "MY_SETTING=1\n");
    sandbox.git(&["add", "-f", ".env"]);
    let sub = sandbox.path("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let out = sandbox.xtask().current_dir(&sub).args(["check"]).failure(1);
    let untrack: Vec<String> = hint_commands(&out.stdout).into_iter().filter(|c| c.contains("rm --cached")).collect();
    assert_eq!(untrack, ["git rm --cached :/.env"]);
    assert_eq!(sandbox.paste(&sub, &untrack[0]).code, 0);
    assert_eq!(sandbox.git(&["ls-files", ".env"]), "");
}

/// Every refusal of a malformed secret baseline names a restore that works: there is none on
/// `main`, so the hint removes it rather than checking out a file `main` does not have.
#[test]
fn an_invalid_secret_baseline_hint_works_without_one_on_main() {
    let (sandbox, _origin) = project(FAST);
    sandbox.write(".secrets.baseline.json", "{ not json");
    let out = sandbox.xtask().args(["check", "--update-baseline"]).refused(2);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    sandbox.xtask().args(["check", "--update-baseline"]).success();
    let baseline = std::fs::read_to_string(sandbox.path(".secrets.baseline.json")).unwrap_or_default();
    assert!(!baseline.contains("not json"), "{baseline}");
}

/// `new-addon`'s `next:` lines, pasted in order right after the scaffold: the skeleton is
/// committed (the tree is clean, the commit-msg rules accept it) and boots with its flag on.
#[test]
fn new_addon_next_lines_paste_in_order() {
    let _cargo = crate::support::cargo_guard();
    let sandbox = Sandbox::with_kit();
    sandbox.copy_lockfile();
    // The host ran before in this clone: its persisted war room has no scheduler row, so the
    // "see it boot" line must boot it, not show what was persisted.
    let earlier = sandbox.paste(&sandbox.root, "cargo run -- run --once");
    assert_eq!(earlier.code, 0, "{}", earlier.stderr);
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(pasted.len(), 2, "{pasted:?}");
    assert_eq!(status(&sandbox), "");
    assert_eq!(subject(&sandbox), "feat: add scheduler skeleton");
    let row = pasted[1].stdout.lines().find(|line| line.trim_start().starts_with("scheduler"));
    assert!(row.is_some_and(|row| row.contains("running")), "{}", pasted[1].stdout);
}

/// The commit-msg hook's hint, pasted from a subfolder.
#[test]
fn commit_msg_hook_hint_pastes_from_a_subfolder() {
    let (sandbox, _origin) = hooked_project();
    sandbox.write("sub/file.txt", "x\n");
    sandbox.git(&["add", "-A"]);
    let sub = sandbox.path("sub");
    let refused = sandbox.paste(&sub, "git commit -m 'wip: stuff'");
    assert_ne!(refused.code, 0);
    let commands = hint_commands(&refused.stderr);
    assert!(!commands.is_empty(), "{}", refused.stderr);
    // The editor it opens writes a valid message.
    let line = format!("GIT_EDITOR='printf \"feat: stuff\\n\" >' {}", commands[0]);
    assert_eq!(sandbox.paste(&sub, &line).code, 0, "{}", sandbox.paste(&sub, &line).stderr);
}

/// `check`'s reword hint for a non-conventional commit below the branch's tip when the local
/// `main` is stale: the rebase starts at the merge-base the check used (the teammate's commit on
/// `origin/main`, not the stale local `main`), so pasted with an editor that rewords the first
/// line, it replays exactly the branch's two commits and the finding is gone.
#[test]
fn commit_reword_hint_uses_the_real_base() {
    let (sandbox, origin) = project(FAST);
    teammate_pushes(&sandbox, &origin, "mate", "NOTES.md", "theirs\n");
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.git(&["reset", "-q", "--hard", "origin/main"]);
    commit_feature(&sandbox, "a.txt", "a\n", "bad subject");
    commit_feature(&sandbox, "b.txt", "b\n", "feat: second");
    let out = sandbox.xtask().args(["check"]).failure(1);
    let commands = hint_commands(&out.stdout);
    let reword: Vec<&String> = commands.iter().filter(|c| c.starts_with("git rebase -i")).collect();
    assert_eq!(reword.len(), 1, "{commands:?}");
    let base = reword[0].trim_start_matches("git rebase -i ");
    assert_eq!(
        sandbox.git(&["rev-parse", base]),
        sandbox.git(&["rev-parse", "origin/main"]),
        "the rebase starts where the branch left origin/main"
    );
    let line = format!(
        "GIT_SEQUENCE_EDITOR=\"sed -i -e '1s/^pick/reword/'\" GIT_EDITOR='printf \"feat: first\\n\" >' {}",
        reword[0]
    );
    let pasted = sandbox.paste(&sandbox.root, &line);
    assert_eq!(pasted.code, 0, "{}", pasted.stderr);
    assert_eq!(sandbox.git(&["log", "--format=%s", "origin/main..HEAD"]), "feat: second\nfeat: first\n");
    sandbox.xtask().args(["check"]).success();
}

/// No remote: the hint's command (work offline) is on its own line, and pasted, `pre-pr` runs
/// to the end.
#[test]
fn pre_pr_without_a_remote_hint_works_offline() {
    let sandbox = crate::pre_pr::minimal_repository(FAST);
    sandbox.git(&["switch", "-q", "-c", "fix/offline"]);
    commit_feature(&sandbox, "fix.txt", "fixed\n", "fix: work offline");
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_eq!(hint_commands(&out.stderr), ["cargo xtask pre-pr --no-sync"]);
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_contains(&pasted[0].stdout, "ready for review");
    // No remote: the push is said, not offered as a `next:` line that cannot work.
    assert_eq!(hint_commands(&pasted[0].stdout), Vec::<String>::new());
}

/// An unreachable remote: the diagnosis (`git ls-remote`) fails as promised (it shows git's
/// own error), and the offline run pastes and works.
#[test]
fn pre_pr_unreachable_remote_hints_diagnose_and_work_offline() {
    let (sandbox, _origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let gone = sandbox.home.join("gone.git");
    sandbox.git(&["remote", "set-url", "origin", gone.to_str().unwrap()]);
    let out = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_eq!(hint_commands(&out.stderr), ["git ls-remote origin", "cargo xtask pre-pr --no-sync"]);
    let pasted = paste_hints(&sandbox, &sandbox.root, &out.stderr, &[("git ls-remote", 128)]);
    assert_contains(&pasted[0].stderr, "gone.git");
    assert_contains(&pasted[1].stdout, "ready for review");
}

/// An ignored file where `origin/main` adds a tracked one, `pre-pr` run from a subfolder: the
/// move-aside-and-run-again line works there (root-relative paths).
#[test]
fn pre_pr_file_in_the_way_hint_works_from_a_subfolder() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "sub/feature.txt", "mine\n", "feat: add the feature file");
    let mate = sandbox.clone_of(&origin, "mate");
    std::fs::create_dir_all(mate.join("config")).unwrap();
    std::fs::write(mate.join("config/local.toml"), "shared = true\n").unwrap();
    sandbox.git_in(&mate, &["add", "-A"]);
    sandbox.git_in(&mate, &["commit", "-q", "-m", "feat: share the settings"]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "main"]);
    std::fs::write(sandbox.path(".git/info/exclude"), "config/\n").unwrap();
    sandbox.write("config/local.toml", "token = \"mine\"\n");
    let sub = sandbox.path("sub");
    let out = sandbox.xtask().current_dir(&sub).args(["pre-pr"]).failure(1);
    assert_contains(&out.stderr, "`config/local.toml`");
    paste_every_hint(&sandbox, &sub, &out.stderr);
    assert_eq!(sandbox.read("config/local.toml"), "shared = true\n");
    assert!(sandbox.exists("target/pre-pr/PR_BODY.md"));
}

/// A merge stopped at a conflict: `branch` refuses, its hint's abort pastes, and `branch` then
/// works.
#[test]
fn an_operation_in_progress_hint_aborts_it_and_the_command_then_works() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "feat/one"]);
    sandbox.write("README.md", "one\n");
    sandbox.commit_all("feat: one");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.write("README.md", "two\n");
    sandbox.commit_all("feat: two");
    let merge = sandbox.paste(&sandbox.root, "git merge feat/one");
    assert_ne!(merge.code, 0, "the merge stops at the conflict");
    let out = sandbox.xtask().args(["branch", "feat", "login"]).refused(1);
    assert_eq!(hint_commands(&out.stderr), ["git merge --abort"]);
    paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    sandbox.xtask().args(["branch", "feat", "login"]).success();
}

/// `migrate --dry-run` on a repository of the first layout: its `next:` line applies it, and
/// the applied run's own `next:` lines (check, then a commit the hook accepts) paste too.
#[test]
fn migrate_next_lines_paste_in_order() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("docs/specs/spec.lock", "");
    sandbox.commit_all("chore: the first layout's lock");
    let preview = sandbox.xtask().args(["migrate", "--dry-run"]).success();
    let applied = paste_every_hint(&sandbox, &sandbox.root, &preview.all());
    paste_every_hint(&sandbox, &sandbox.root, &applied[0].stdout);
    assert_eq!(status(&sandbox), "");
}

/// A spec moved to In Progress by hand (no freeze record): the hint brings back the committed
/// Approved text and freezes it with the tool; both lines paste, and the finding is gone.
#[test]
fn a_status_changed_by_hand_hint_restores_and_freezes_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    sandbox.write(SPEC, &sandbox.read(SPEC).replace("TODO(sop)", "Defined"));
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.commit_all("feat: add scheduler");
    sandbox.write(SPEC, &crate::support::pin_status(&sandbox.read(SPEC), "In Progress"));
    let out = sandbox.xtask().args(["check", "--no-branch-rules"]).failure(1);
    assert_contains(&out.stdout, "changed by hand");
    let commands: Vec<String> =
        hint_commands(&out.stdout).into_iter().filter(|c| c.contains("Scheduler") || c.contains("scheduler")).collect();
    assert_eq!(commands, [format!("git checkout HEAD -- :/{SPEC}"), "cargo xtask spec start scheduler".to_string()]);
    for command in &commands {
        assert_eq!(sandbox.paste(&sandbox.path("src"), command).code, 0, "{command}");
    }
    let again = sandbox.xtask().args(["check", "--no-branch-rules"]).run();
    assert!(!again.stdout.contains("changed by hand"), "{}", again.stdout);
    assert!(sandbox.exists(RECORD));
}

/// A spec command for an add-on that does not exist: the hint's one command lists the add-ons
/// (not `list; create it: …`, which a shell runs as two commands, the second unknown).
#[test]
fn an_unknown_add_on_hint_lists_the_add_ons() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(["spec", "approve", "nowhere"]).refused(2);
    assert_eq!(hint_commands(&out.stderr), ["cargo xtask spec list"]);
    let pasted = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
    assert_contains(&pasted[0].stdout, "HealthMonitor");
}

/// `pre-pr`'s compliance step prints each finding's hint one `hint:` a line, as `check` does:
/// a branch that adds an Unreleased line to CHANGELOG.md gets the restore on its own line, and
/// pasted with the fragment written, the finding is gone.
#[test]
fn pre_pr_findings_print_one_hint_command_a_line() {
    let (sandbox, _origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- the feature\n");
    sandbox.commit_all("docs: note the feature");
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).failure(1);
    assert_contains(&out.stdout, "    hint: git checkout main -- :/CHANGELOG.md\n");
    let restore: Vec<String> = hint_commands(&out.all()).into_iter().filter(|c| c.contains("CHANGELOG.md")).collect();
    assert_eq!(restore, ["git checkout main -- :/CHANGELOG.md"]);
    assert_eq!(sandbox.paste(&sandbox.path("docs"), &restore[0]).code, 0);
    sandbox.commit_all("docs: the entry is in the fragment");
    let again = sandbox.xtask().args(["check"]).run();
    assert!(!again.stdout.contains("sop-4.4/changelog]"), "{}", again.stdout);
}
