//! `cargo xtask propose` with a team: a bare origin, this clone and a teammate's. What these
//! tests prove: it refuses on main, with nothing to propose, and on a commit `pre-pr` has not
//! verified — and the refusal's hints, pasted, verify and propose; it pushes leased (a teammate's
//! commits on the branch are never overwritten: it refuses, and its pasted hints bring them in);
//! it opens the PR with `gh pr create --body-file` when `gh` is on PATH (a stub that records its
//! arguments), and otherwise prints the forge's compare page derived from the remote.

use std::path::Path;

use crate::pre_pr::{commit_feature, project};
use crate::support::{assert_contains, hint_command, paste_every_hint, Sandbox};

const FAST: &str = "verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n";

fn origin_tip(sandbox: &Sandbox, origin: &Path, branch: &str) -> String {
    sandbox.git_in(origin, &["rev-parse", branch]).trim().to_string()
}

/// A `gh` that prints a PR URL and records its arguments in `gh.args` beside the sandbox.
fn stub_gh(sandbox: &Sandbox) -> (String, std::path::PathBuf) {
    let dir = sandbox.root.parent().unwrap().join("stub-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let record = sandbox.root.parent().unwrap().join("gh.args");
    let script =
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\necho https://forge.example/pr/1\n", record.display());
    std::fs::write(dir.join("gh"), script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.join("gh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default()), record)
}

/// Unverified → refused with the verify-then-propose hints, which, pasted, push the verified
/// commit. A second propose reuses the same verify (no pre-pr in between) and opens the PR with
/// the gh stub, passing the PR body file.
#[test]
fn propose_pushes_only_what_pre_pr_verified_and_opens_the_pr_with_gh() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let refused = sandbox.xtask().args(["propose"]).refused(1);
    assert_contains(&refused.stderr, "has not verified");
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert_eq!(origin_tip(&sandbox, &origin, "feat/work"), sandbox.head(), "the verified commit was not pushed");

    let (path, record) = stub_gh(&sandbox);
    let out = sandbox.xtask().args(["propose"]).env("PATH", &path).success();
    assert_contains(&out.stdout, "verified by pre-pr");
    let args = std::fs::read_to_string(&record).unwrap();
    assert_contains(&args, "pr\ncreate\n--title\n");
    assert_contains(&args, "--body-file\ntarget/pre-pr/PR_BODY.md\n--base\nmain\n--head\nfeat/work\n");
    assert_contains(&sandbox.read(".git/sop/receipts.jsonl"), "proposed `feat/work`");
}

/// `gh pr create` failing after the push: refused (exit 1), saying the branch is pushed; the
/// hint, pasted as printed from a sub-folder of the clone (where the engineer ran propose),
/// opens the pull request with the PR body found by its full path.
#[test]
fn a_failed_gh_gives_a_hint_that_works_from_any_folder() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.xtask().args(["pre-pr"]).success();
    let (path, record) = stub_gh(&sandbox);
    // The first call fails (not logged in), the next ones work.
    let gh = sandbox.root.parent().unwrap().join("stub-bin/gh");
    let failing = format!(
        "#!/bin/sh\nif [ ! -e '{flag}' ]; then touch '{flag}'; echo 'not logged in' >&2; exit 1; fi\n[ -f \"$(printf '%s\\n' \"$@\" | sed -n '/^--body-file$/{{n;p;}}')\" ] || exit 3\n{rest}",
        flag = sandbox.root.parent().unwrap().join("gh.failed-once").display(),
        rest = std::fs::read_to_string(&gh).unwrap().trim_start_matches("#!/bin/sh\n"),
    );
    std::fs::write(&gh, failing).unwrap();
    let sub = sandbox.path("docs");
    std::fs::create_dir_all(&sub).unwrap();
    // Not `refused`: the push before gh is what propose promises.
    let refused = sandbox.xtask().current_dir(&sub).args(["propose"]).env("PATH", &path).run();
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert_contains(&refused.stderr, "the branch is pushed, but `gh pr create` failed: not logged in");
    assert_eq!(origin_tip(&sandbox, &origin, "feat/work"), sandbox.head());
    let hint = hint_command(&refused.stderr);
    assert!(hint.starts_with("gh pr create "), "{hint}");
    let pasted =
        std::process::Command::new("sh").arg("-c").arg(&hint).current_dir(&sub).env("PATH", &path).output().unwrap();
    assert!(pasted.status.success(), "pasted `{hint}`: {}", String::from_utf8_lossy(&pasted.stderr));
    assert_contains(&std::fs::read_to_string(&record).unwrap(), "--body-file\n");
}

/// Without gh, a GitHub remote gives its compare page; the push goes to the push URL.
#[test]
fn propose_without_gh_prints_the_forges_compare_page() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.xtask().args(["pre-pr"]).success();
    sandbox.git(&["remote", "set-url", "origin", "https://github.com/acme/lancelot.git"]);
    sandbox.git(&["remote", "set-url", "--push", "origin", origin.to_str().unwrap()]);
    let out = sandbox.xtask().args(["propose"]).success();
    assert_contains(&out.stdout, "https://github.com/acme/lancelot/compare/main...feat/work?expand=1");
    assert_eq!(origin_tip(&sandbox, &origin, "feat/work"), sandbox.head());
}

/// On main, and on a branch with nothing main lacks: exit 2, nothing changed, hints that work.
#[test]
fn propose_refuses_on_main_and_with_nothing_to_propose() {
    let (sandbox, _origin) = project(FAST);
    let empty = sandbox.xtask().args(["propose"]).refused(2);
    assert_contains(&empty.stderr, "nothing to propose");
    sandbox.git(&["switch", "-q", "main"]);
    let on_main = sandbox.xtask().args(["propose"]).refused(2);
    assert_contains(&on_main.stderr, "you are on `main`");
    paste_every_hint(&sandbox, &sandbox.root, &on_main.stderr);
}

/// A teammate pushed to this branch: propose refuses rather than drop their commit, and its
/// hints — sync, pre-pr, propose — pasted in order, push a branch that keeps it.
#[test]
fn propose_never_drops_a_teammates_commits_on_the_branch() {
    let (sandbox, origin) = project(FAST);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    sandbox.git(&["push", "-q", "-u", "origin", "feat/work"]);
    let teammate = sandbox.clone_of(&origin, "teammate");
    commit_feature(&sandbox, "feature.txt", "mine, more\n", "feat: more of mine");
    sandbox.xtask().args(["pre-pr"]).success();
    // Verified; then a teammate pushes to the branch before propose.
    sandbox.git_in(&teammate, &["switch", "-q", "feat/work"]);
    std::fs::write(teammate.join("theirs.txt"), "theirs\n").unwrap();
    sandbox.git_in(&teammate, &["add", "theirs.txt"]);
    sandbox.git_in(&teammate, &["commit", "-q", "--no-verify", "-m", "feat: a teammate's commit"]);
    let theirs = sandbox.git_in(&teammate, &["rev-parse", "HEAD"]).trim().to_string();
    sandbox.git_in(&teammate, &["push", "-q", "origin", "feat/work"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    let refused = sandbox.xtask().args(["propose"]).run();
    assert!(refused.code == 1, "{}{}", refused.stdout, refused.stderr);
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    let pushed = origin_tip(&sandbox, &origin, "feat/work");
    let kept = sandbox.git_in(&origin, &["merge-base", "--is-ancestor", &theirs, &pushed]);
    assert!(kept.is_empty(), "the teammate's commit is not in what was pushed");
}

/// Issue 15: `pre-pr --scope` verified only the packages the branch touches, and CI runs
/// everything: propose does not take it for the full verify. The scoped PR body says which
/// commands were narrowed; propose refuses (exit 1, nothing pushed), and its hints pasted — a full
/// `pre-pr`, then propose — push the commit, which a reviewer's clone of the origin then sees.
#[test]
fn a_scoped_verify_is_not_the_full_one_propose_needs() {
    let sandbox = crate::verify_scope::workspace();
    let origin = sandbox.root.parent().unwrap().join("origin.git");
    let ran = || std::fs::read_to_string(sandbox.root.parent().unwrap().join("verify.args")).unwrap_or_default();
    sandbox.git(&["switch", "-q", "-c", "feat/change-a"]);
    commit_feature(&sandbox, "a/src/lib.rs", "//! A package, changed.\n", "feat: change a");
    let out = sandbox.xtask().args(["pre-pr", "--scope"]).success();
    assert_contains(&out.stdout, "scoped to a, b (--scope)");
    let scoped = "(`--scope`: only a, b and their dependents; CI runs it in full)";
    assert_contains(&sandbox.read("target/pre-pr/PR_BODY.md"), scoped);

    let refused = sandbox.xtask().args(["propose"]).refused(1);
    assert_contains(&refused.stderr, "`pre-pr --scope` verified only `a`, `b` (and their dependents)");
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert_eq!(ran().lines().last(), Some("--workspace"), "the pasted pre-pr did not verify everything");
    assert!(!sandbox.read("target/pre-pr/PR_BODY.md").contains(scoped), "the body still says scoped");
    let head = sandbox.head();
    assert_eq!(origin_tip(&sandbox, &origin, "feat/change-a"), head, "the verified commit was not pushed");
    let reviewer = sandbox.clone_of(&origin, "reviewer");
    assert_eq!(sandbox.git_in(&reviewer, &["rev-parse", "origin/feat/change-a"]).trim(), head);
}
