//! `cargo xtask branch` and `cargo xtask hotfix` on real repositories: the branch is created from
//! the main branch (the remote's, fetched, for a hotfix) and checked out; every refusal leaves the
//! repository byte-identical.

use crate::support::{assert_contains, Sandbox};

/// A repository with one commit on `main`, then a feature branch with one more commit checked out.
fn repository_on_a_feature_branch() -> (Sandbox, String) {
    let sandbox = Sandbox::empty();
    sandbox.write("README.md", "hello\n");
    let main = sandbox.commit_all("chore: initial commit");
    sandbox.git(&["switch", "-q", "-c", "feat/other"]);
    sandbox.write("other.txt", "other work\n");
    sandbox.commit_all("feat: other work");
    (sandbox, main)
}

#[test]
fn branch_creates_kind_slug_from_main_and_checks_it_out() {
    let (sandbox, main) = repository_on_a_feature_branch();
    let out = sandbox.xtask().args(["branch", "fix", "Login Timeout"]).success();
    assert_contains(&out.stdout, "Branched `fix/login-timeout` from `main`");
    assert_eq!(sandbox.current_branch(), "fix/login-timeout");
    assert_eq!(sandbox.head(), main, "it starts from main, not from the branch it was run on");
    assert!(!sandbox.exists("other.txt"));

    let receipts = std::fs::read_to_string(sandbox.path(".git/sop/receipts.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(receipts.lines().last().unwrap()).unwrap();
    assert_eq!(last["command"], "branch");
    assert_eq!(last["kind"], "state_change");
    assert_eq!(last["branch"], "fix/login-timeout");
    assert_eq!(last["detail"]["commit"], main);
}

#[test]
fn branch_dry_run_and_json_change_nothing() {
    let (sandbox, main) = repository_on_a_feature_branch();
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["branch", "docs", "runbook-fixes", "--dry-run"]).success();
    assert_contains(&out.stdout, "dry run: would create and check out `docs/runbook-fixes` from `main`");
    let json = sandbox.xtask().args(["branch", "docs", "runbook-fixes", "--dry-run", "--json"]).success().json();
    assert_eq!(json["branch"], "docs/runbook-fixes");
    assert_eq!(json["commit"], main);
    assert_eq!(sandbox.snapshot(), before);
    assert!(!sandbox.path(".git/sop/receipts.jsonl").exists(), "a dry run leaves no receipt");
}

#[test]
fn bad_kinds_and_names_are_refused_with_exit_2() {
    let (sandbox, _) = repository_on_a_feature_branch();
    let out = sandbox.xtask().args(["branch", "wip", "x"]).refused(2);
    assert_contains(
        &out.stderr,
        "error: invalid branch kind: `wip` is not a branch kind; use one of: feat, fix, chore, docs, spec",
    );
    assert_contains(
        &out.stderr,
        "hint: use a configured kind (feat, fix, chore, docs, spec):\nhint: cargo xtask branch feat x\n",
    );
    for (name, message) in [
        ("../../etc", "path separator"),
        ("", "is empty"),
        ("_lives", "starts with `_`"),
        ("a~b", "contains `~`"),
        ("type", "Rust keyword"),
    ] {
        let out = sandbox.xtask().args(["branch", "feat", "--", name]).refused(2);
        assert_contains(&out.stderr, "error: invalid branch name");
        assert_contains(&out.stderr, message);
        assert_contains(&out.stderr, ":\nhint: cargo xtask branch feat ");
    }
}

#[test]
fn an_existing_branch_a_dirty_tree_or_an_operation_in_progress_is_refused() {
    let (sandbox, _) = repository_on_a_feature_branch();
    let out = sandbox.xtask().args(["branch", "feat", "other"]).refused(2);
    assert_contains(&out.stderr, "error: branch `feat/other` cannot be created: `feat/other` already exists");
    assert_contains(&out.stderr, "hint: git switch feat/other\n");

    sandbox.write("README.md", "changed\n");
    let out = sandbox.xtask().args(["branch", "feat", "new-thing"]).refused(1);
    assert_contains(&out.stderr, "uncommitted changes: `README.md`");
    assert_contains(&out.stderr, "hint: ");
    sandbox.git(&["checkout", "--", "README.md"]);

    sandbox.write(".git/MERGE_HEAD", &format!("{}\n", sandbox.head()));
    let out = sandbox.xtask().args(["branch", "feat", "new-thing"]).refused(1);
    assert_contains(&out.stderr, "a merge is in progress");
    assert_contains(&out.stderr, "git merge --abort");
}

#[test]
fn hotfix_branches_from_the_fetched_remote_main() {
    let (sandbox, _) = repository_on_a_feature_branch();
    sandbox.git(&["switch", "-q", "main"]);
    let origin = sandbox.with_origin();
    sandbox.git(&["switch", "-q", "feat/other"]);
    // A teammate pushes to main: the local `main` and `origin/main` are now behind.
    let mate = sandbox.clone_of(&origin, "mate");
    std::fs::write(mate.join("deployed.txt"), "what runs in production\n").unwrap();
    sandbox.git_in(&mate, &["add", "-A"]);
    sandbox.git_in(&mate, &["commit", "-q", "-m", "feat: deployed change"]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "main"]);
    let deployed = sandbox.git_in(&mate, &["rev-parse", "HEAD"]).trim().to_string();

    let out = sandbox.xtask().args(["hotfix", "broken login"]).success();
    assert_contains(&out.stdout, "Fetched `origin/main`");
    assert_contains(&out.stdout, "Branched `fix/broken-login` from `origin/main`");
    assert_contains(&out.stdout, "minimal fix only");
    assert_eq!(sandbox.current_branch(), "fix/broken-login");
    assert_eq!(sandbox.head(), deployed);
    assert_eq!(sandbox.read("deployed.txt"), "what runs in production\n");

    // Running it again is refused: the branch exists.
    sandbox.git(&["switch", "-q", "main"]);
    let out = sandbox.xtask().args(["hotfix", "broken login"]).refused(2);
    assert_contains(&out.stderr, "`fix/broken-login` already exists");
}

#[test]
fn hotfix_dry_run_neither_fetches_nor_writes() {
    let (sandbox, main) = repository_on_a_feature_branch();
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.with_origin();
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["hotfix", "broken-login", "--dry-run"]).success();
    assert_contains(&out.stdout, "would create and check out `fix/broken-login` from `origin/main`");
    assert_contains(&out.stdout, &main[..10]);
    assert_eq!(sandbox.snapshot(), before);
}

#[test]
fn hotfix_without_a_remote_is_refused() {
    let (sandbox, _) = repository_on_a_feature_branch();
    let out = sandbox.xtask().args(["hotfix", "broken-login"]).refused(1);
    assert_contains(&out.stderr, "error: no remote `origin` is configured in this clone");
    assert_contains(&out.stderr, "hint: ");
    let out = sandbox.xtask().args(["hotfix", "../x"]).refused(2);
    assert_contains(&out.stderr, "hint: use ASCII letters, digits, spaces, `-` or `_`:\nhint: cargo xtask hotfix x\n");
}
