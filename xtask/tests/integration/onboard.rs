//! `cargo xtask onboard`, `cargo xtask completions`, and the GitHub files onboarding points to
//! (the CI workflow, the PR template, the ruleset). One test builds the fixture for real; the
//! others fail a mandatory item first, so onboarding skips the build and they stay cheap.

use std::path::Path;

use crate::support::{assert_contains, project_root, Sandbox};

/// A fresh clone of the project: the kit and the committed hooks on `main`, pushed to a bare origin.
fn fresh_clone() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    sandbox.with_origin();
    sandbox
}

/// A clone without a remote: `onboard` reports it and skips the build.
fn clone_without_remote() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    sandbox
}

fn ready_file(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.path(".git/sop/ready.json")
}

fn receipts(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(sandbox.path(".git/sop/receipts.jsonl")).unwrap_or_default();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn local_config(sandbox: &Sandbox, key: &str) -> String {
    let output = sandbox.git_command(&sandbox.root).args(["config", "--local", "--get", key]).output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A git run with the hooks pointed at the binary under test (the sandbox has no xtask source).
fn git_with_hooks(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    sandbox
        .git_command(&sandbox.root)
        .args(args)
        .env("LANCELOT_XTASK", env!("CARGO_BIN_EXE_xtask"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_fresh_clone_reaches_ready_then_the_hooks_guard_commits_and_pushes() {
    let sandbox = fresh_clone();
    sandbox.copy_lockfile();

    let out = sandbox.xtask().args(["onboard", "--yes"]).success();
    for line in [
        "✔ Rust toolchain",
        "✔ rustfmt",
        "✔ clippy",
        "✔ git ",
        "✔ git identity    Test Engineer <test@example.invalid>",
        "✔ remote          `origin` → ",
        "✔ main branch     `main` at ",
        "✔ git hooks       installed (commit-msg, pre-push): `core.hooksPath` set to `.githooks`",
        "✔ .env            created from `.env.example`",
        "✔ build           cargo build --workspace",
        "✔ check           cargo xtask check: no problems",
        "this clone is READY",
        "cargo xtask new-addon <name>",
        "cargo xtask pre-pr",
    ] {
        assert_contains(&out.stdout, line);
    }
    assert_eq!(local_config(&sandbox, "core.hooksPath"), ".githooks");
    assert_eq!(sandbox.read(".env"), sandbox.read(".env.example"));
    let status = sandbox.git(&["status", "--porcelain"]);
    assert!(!status.contains(".env"), ".env must be ignored, never committed:\n{status}");

    let ready: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ready_file(&sandbox)).unwrap()).unwrap();
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["branch"], "main");
    let verified: Vec<&str> = ready["verified"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    for id in
        ["rust", "rustfmt", "clippy", "git", "identity", "remote", "main-branch", "hooks", "env", "build", "check"]
    {
        assert!(verified.contains(&id), "`{id}` missing from the READY receipt: {verified:?}");
    }
    let last = receipts(&sandbox).pop().unwrap();
    assert_eq!((last["command"].as_str(), last["kind"].as_str()), (Some("onboard"), Some("state_change")));
    assert_eq!(last["message"], "the clone is READY");

    // Idempotent: a second run re-verifies, keeps `since`, and says it is already READY.
    let since = ready["since"].clone();
    let out = sandbox.xtask().args(["onboard", "--yes"]).success();
    assert_contains(&out.stdout, &format!("already READY since {}", since.as_str().unwrap()));
    assert_contains(&out.stdout, "✔ git hooks       installed (commit-msg, pre-push): `core.hooksPath` is `.githooks`");
    assert_contains(&out.stdout, "✔ .env            `.env` exists (kept as it is; ignored by git)");
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ready_file(&sandbox)).unwrap()).unwrap();
    assert_eq!(again["since"], since);
    assert_eq!(receipts(&sandbox).pop().unwrap()["message"], "re-verified the clone: still READY");
    // A dry run reports the READY state in effect, which it does not touch.
    let dry = sandbox.xtask().args(["onboard", "--dry-run", "--json"]).success().json();
    assert_eq!((&dry["ready"], &dry["already_ready"], &dry["since"]), (&true.into(), &true.into(), &since));

    // The hooks now guard the clone: "stuff" is rejected, a conventional message is accepted …
    let head = sandbox.head();
    sandbox.write("notes.txt", "one\n");
    sandbox.git(&["add", "notes.txt"]);
    let rejected = git_with_hooks(&sandbox, &["commit", "-q", "-m", "stuff"]);
    assert!(!rejected.status.success(), "the commit-msg hook let `stuff` through");
    let stderr = String::from_utf8_lossy(&rejected.stderr);
    assert_contains(&stderr, "commit message rejected");
    assert_contains(&stderr, "feat: add scheduler receipts");
    assert_eq!(sandbox.head(), head);
    let accepted = git_with_hooks(&sandbox, &["commit", "-q", "-m", "chore: add notes"]);
    assert!(accepted.status.success(), "{}", String::from_utf8_lossy(&accepted.stderr));
    assert_ne!(sandbox.head(), head);

    // … and a push to main is refused before it leaves the machine.
    let origin = sandbox.root.parent().unwrap().join("origin.git");
    let origin_main = sandbox.git_in(&origin, &["rev-parse", "main"]);
    let push = git_with_hooks(&sandbox, &["push", "origin", "main"]);
    assert!(!push.status.success(), "the pre-push hook let a push to main through");
    assert_contains(&String::from_utf8_lossy(&push.stderr), "pushing to `main` is not allowed");
    assert_eq!(sandbox.git_in(&origin, &["rev-parse", "main"]), origin_main);

    // A mandatory item failing later drops READY and says why; the build is not even tried.
    sandbox.git(&["remote", "remove", "origin"]);
    let out = sandbox.xtask().args(["onboard", "--yes", "--json"]).failure(1);
    assert_contains(&out.stderr, "error: dropped READY: `remote`: the remote `origin` is not configured");
    assert_contains(&out.stderr, "hint: add it with the URL of the Lancelot repository: `git remote add origin <url>`");
    let json = out.json();
    assert_eq!(json["ready"], false);
    assert_eq!(json["dropped"], true);
    assert_eq!(json["already_ready"], true, "it was READY before this run");
    let build = json["items"].as_array().unwrap().iter().find(|item| item["id"] == "build").unwrap();
    assert_eq!(build["status"], "skipped");
    assert!(!ready_file(&sandbox).exists(), "READY must be dropped");
    let all = receipts(&sandbox);
    let dropped = all.iter().rev().find(|r| r["command"] == "onboard" && r["kind"] == "state_change").unwrap();
    assert_eq!(dropped["message"], "dropped READY: a mandatory item failed");
    assert_contains(dropped["reason"].as_str().unwrap(), "`remote`");
    assert!(all.iter().any(|r| r["command"] == "onboard" && r["kind"] == "skipped"), "the skipped build has a receipt");
}

#[test]
fn missing_identity_and_remote_are_reported_with_their_fixes_and_nothing_is_built() {
    let sandbox = clone_without_remote();
    std::fs::write(sandbox.home.join(".gitconfig"), "[init]\n\tdefaultBranch = main\n").unwrap();
    sandbox.write(".env", "MY_LOCAL_SETTING=1\n");

    let out = sandbox.xtask().args(["onboard", "--yes"]).failure(1);
    for line in [
        "✘ git identity    `user.name` and `user.email` are not set",
        "fix: git config --global user.name \"Your Name\" && git config --global user.email you@example.com",
        "✘ remote          the remote `origin` is not configured",
        "fix: add it with the URL of the Lancelot repository: `git remote add origin <url>`",
        "✔ main branch     `main` at ",
        "✔ .env            `.env` exists (kept as it is; ignored by git)",
        "- build           skipped: fix the items above first",
        "- check           skipped: fix the items above first",
    ] {
        assert_contains(&out.stdout, line);
    }
    assert_contains(
        &out.stderr,
        "error: not READY: `git identity`: `user.name` and `user.email` are not set; `remote`: ",
    );
    assert_contains(&out.stderr, "hint: git config --global user.name");
    assert!(!out.stdout.contains("this clone is READY"));
    // An existing `.env` is never overwritten, and nothing was built.
    assert_eq!(sandbox.read(".env"), "MY_LOCAL_SETTING=1\n");
    assert!(!ready_file(&sandbox).exists());
    let all = receipts(&sandbox);
    let last = all.last().unwrap();
    assert_eq!(
        (last["kind"].as_str(), last["message"].as_str()),
        (Some("failure"), Some("onboarding incomplete: not READY"))
    );
    assert!(all.iter().any(|r| r["kind"] == "skipped" && r["message"] == "skipped the build and the check"));
}

#[cfg(unix)]
#[test]
fn a_machine_without_rust_gets_the_install_fix() {
    let sandbox = clone_without_remote();
    // A PATH holding git alone: rustc and cargo are really missing for this run.
    let bin = sandbox.home.join("bin-git-only");
    std::fs::create_dir_all(&bin).unwrap();
    let git = find_on_path("git").expect("git is on PATH");
    std::os::unix::fs::symlink(git, bin.join("git")).unwrap();

    let out = sandbox.xtask().env("PATH", bin.to_str().unwrap()).without_cargo().args(["onboard", "--yes"]).failure(1);
    assert_contains(&out.stdout, "✘ Rust toolchain");
    assert_contains(&out.stdout, "fix: install Rust with rustup (https://rustup.rs), then: rustup default stable");
    assert_contains(&out.stdout, "✘ rustfmt");
    assert_contains(&out.stdout, "! cargo-nextest   not installed (optional");
    assert_contains(&out.stdout, "✔ git ");
    assert_contains(&out.stdout, "- build           skipped");
    assert_contains(&out.stderr, "error: not READY: `Rust toolchain`: ");
}

fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| candidate.is_file())
}

#[test]
fn an_env_file_git_would_not_ignore_is_refused_and_not_created() {
    let sandbox = clone_without_remote();
    sandbox.write(".gitignore", "/target/\n/Cargo.lock\n");
    sandbox.commit_all("chore: forget the env rule");

    let out = sandbox.xtask().args(["onboard", "--yes"]).failure(1);
    assert_contains(
        &out.stdout,
        "✘ .env            `.env` is not ignored by git, so its secrets could be committed (SOP 4.9)",
    );
    assert_contains(&out.stdout, "fix: echo '/.env' >> \"$(git rev-parse --show-toplevel)\"/.gitignore");
    assert!(!sandbox.exists(".env"), "`.env` must not be created where git would commit it");
}

#[test]
fn dry_run_says_what_it_would_change_and_changes_nothing() {
    let sandbox = fresh_clone();
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["onboard", "--dry-run"]).success();
    assert_contains(&out.stdout, "- git hooks       dry run: would set `core.hooksPath` to `.githooks`");
    assert_contains(&out.stdout, "- .env            dry run: would create `.env` from `.env.example`");
    assert_contains(&out.stdout, "- build           dry run: would run cargo build --workspace");
    assert_contains(&out.stdout, "nothing was changed");
    assert_eq!(sandbox.snapshot(), before);
    assert_eq!(local_config(&sandbox, "core.hooksPath"), "");
    assert!(!ready_file(&sandbox).exists());
    assert!(receipts(&sandbox).is_empty(), "a dry run leaves no receipt");
}

#[test]
fn a_broken_hooks_folder_is_a_failed_item_with_the_fix() {
    let sandbox = clone_without_remote();
    std::fs::remove_file(sandbox.path(".githooks/pre-push")).unwrap();
    let out = sandbox.xtask().args(["onboard", "--yes"]).failure(1);
    assert_contains(&out.stdout, "✘ git hooks       `.githooks/pre-push` is missing from the working tree");
    assert_contains(&out.stdout, "fix: git checkout origin/main -- :/.githooks");
    assert_eq!(local_config(&sandbox, "core.hooksPath"), "", "nothing to install, so nothing is installed");
}

/// The committed hooks folder deleted from the working tree, and onboard run from a
/// subdirectory: its fix restores the folder with a root pathspec (`:/.githooks`), so pasted as
/// printed from that same subdirectory it works, and onboard's own next line then passes.
#[test]
fn the_missing_hooks_fix_works_from_a_subdirectory() {
    let sandbox = fresh_clone();
    std::fs::remove_dir_all(sandbox.path(".githooks")).unwrap();
    let docs = sandbox.path("docs");
    let out = sandbox.xtask().current_dir(&docs).args(["onboard", "--dry-run"]).failure(1);
    assert_eq!(
        crate::support::hint_commands(&out.stderr),
        ["git checkout origin/main -- :/.githooks", "cargo xtask onboard --dry-run"]
    );
    crate::support::paste_every_hint(&sandbox, &docs, &out.stderr);
    assert!(sandbox.path(".githooks/pre-push").is_file(), "the pasted fix did not restore the hooks");
}

/// A hook script that lost its executable bit: the fix, pasted as printed from a subfolder, sets
/// it again in the working tree and in the index (its globs started in that subfolder).
#[cfg(unix)]
#[test]
fn the_not_executable_hooks_fix_works_from_a_subdirectory() {
    use std::os::unix::fs::PermissionsExt as _;
    let sandbox = fresh_clone();
    let script = sandbox.path(".githooks/commit-msg");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    sandbox.git(&["update-index", "--chmod=-x", ".githooks/commit-msg"]);
    let docs = sandbox.path("docs");
    let out = sandbox.xtask().current_dir(&docs).args(["onboard", "--dry-run"]).failure(1);
    assert_contains(&out.stderr, "is not executable");
    crate::support::paste_every_hint(&sandbox, &docs, &out.stderr);
    assert_eq!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o111, 0o111);
    assert_contains(&sandbox.git(&["ls-files", "--stage", ".githooks/commit-msg"]), "100755");
}

/// A clone with `core.autocrlf=true` checked the hook scripts out with CRLF, which `sh` cannot
/// run (`#!/bin/sh\r`): onboard names it instead of installing hooks that fail on every commit,
/// and its fix, pasted as printed from a subfolder, converts the line ends in place, the scripts
/// still executable, the working tree clean; onboard's own next line then passes. A hook of the
/// engineer's own in the folder is kept (the first fix, a fresh checkout of the folder, deleted
/// it, and would have dropped a local change to a script).
#[cfg(unix)]
#[test]
fn hook_scripts_checked_out_with_crlf_are_named_and_the_fix_works() {
    use std::os::unix::fs::PermissionsExt as _;
    let sandbox = fresh_clone();
    sandbox.git(&["config", "core.autocrlf", "true"]);
    let script = sandbox.path(".githooks/commit-msg");
    std::fs::remove_file(&script).unwrap();
    sandbox.git(&["checkout", "--", ".githooks/commit-msg"]);
    assert!(sandbox.read(".githooks/commit-msg").contains("\r\n"), "git did not check the script out with CRLF");
    std::fs::write(sandbox.path(".githooks/post-checkout"), "#!/bin/sh\nexit 0\n").unwrap();
    // A change of the engineer's own to another script, saved with CRLF: kept, converted.
    let tweaked = format!("{}# my tweak\n", sandbox.read(".githooks/pre-push")).replace('\n', "\r\n");
    sandbox.write(".githooks/pre-push", &tweaked);
    let docs = sandbox.path("docs");
    let out = sandbox.xtask().current_dir(&docs).args(["onboard", "--dry-run"]).failure(1);
    assert_contains(&out.stdout, "`.githooks/commit-msg`, `.githooks/pre-push` have Windows line endings");
    let pasted = crate::support::paste_every_hint(&sandbox, &docs, &out.stderr);
    assert_eq!(pasted.len(), 2, "{}", out.stderr);
    assert!(!sandbox.read(".githooks/commit-msg").contains('\r'), "the fix left CRLF");
    assert_eq!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o111, 0o111, "no longer executable");
    assert_eq!(
        sandbox.git(&["status", "--porcelain"]),
        " M .githooks/pre-push\n?? .githooks/post-checkout\n",
        "the fix changed what is committed"
    );
    let pre_push = sandbox.read(".githooks/pre-push");
    assert!(
        pre_push.ends_with("# my tweak\n") && !pre_push.contains('\r'),
        "the tweak was not kept as LF:\n{pre_push}"
    );
    assert_eq!(sandbox.read(".githooks/post-checkout"), "#!/bin/sh\nexit 0\n", "the engineer's own hook is gone");
}

#[test]
fn completions_print_a_script_for_each_shell_anywhere() {
    let sandbox = Sandbox::empty();
    // Outside any repository: completions need none.
    let out = sandbox.xtask().current_dir(&sandbox.home).args(["completions", "bash"]).success();
    assert_contains(&out.stdout, "_xtask()");
    assert_contains(&out.stdout, "complete -F _xtask");
    for command in ["new-addon", "onboard", "completions"] {
        assert_contains(&out.stdout, command);
    }
    let zsh = sandbox.xtask().args(["completions", "zsh"]).success();
    assert_contains(&zsh.stdout, "#compdef xtask");
    let fish = sandbox.xtask().args(["completions", "fish"]).success();
    assert_contains(&fish.stdout, "complete -c xtask");

    let out = sandbox.xtask().args(["completions", "tcsh"]).refused(2);
    assert_contains(&out.stderr, "invalid value 'tcsh'");
}

fn project_file(relative: &str) -> String {
    let path = project_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", Path::new(relative).display()))
}

#[test]
fn the_pr_template_carries_the_sop_checklist_and_sections() {
    let template = project_file(".github/pull_request_template.md");
    let checklist: Vec<&str> = template.lines().filter(|line| line.starts_with("- [ ]")).collect();
    assert_eq!(
        checklist,
        [
            "- [ ] Spec created (new, not modified)",
            "- [ ] Blueprint created",
            "- [ ] Feature gated",
            "- [ ] Contracts defined",
            "- [ ] Unit tests added",
            "- [ ] Integration tests added (env-gated)",
            "- [ ] Receipts emitted",
            "- [ ] War Room visibility added (if required)",
            "- [ ] Runbook added/updated",
            "- [ ] CHANGELOG updated",
        ],
        "the checklist must be SOP 4.4's, word for word"
    );
    // The sections of the body `cargo xtask pre-pr` writes, in its order.
    let headings: Vec<&str> = template.lines().filter(|line| line.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## Summary",
            "## Spec and blueprint",
            "## Feature flag",
            "## Test evidence",
            "## Rollout notes",
            "## Checklist (SOP 4.4)",
            "## Merging (SOP 4.6)",
        ]
    );
}

#[test]
fn the_ruleset_enforces_sop_4_7_and_requires_the_ci_job() {
    let ruleset: serde_json::Value = serde_json::from_str(&project_file(".github/rulesets/main.json")).unwrap();
    assert_eq!(ruleset["target"], "branch");
    assert_eq!(ruleset["enforcement"], "active");
    assert_eq!(ruleset["bypass_actors"], serde_json::json!([]), "nobody bypasses: no direct commits");
    assert_eq!(ruleset["conditions"]["ref_name"]["include"], serde_json::json!(["~DEFAULT_BRANCH"]));
    let rules = ruleset["rules"].as_array().unwrap();
    let rule =
        |kind: &str| rules.iter().find(|rule| rule["type"] == kind).unwrap_or_else(|| panic!("no `{kind}` rule"));
    assert!(rule("pull_request")["parameters"]["required_approving_review_count"].as_u64().unwrap() >= 1);
    rule("non_fast_forward");
    rule("deletion");
    let checks = &rule("required_status_checks")["parameters"]["required_status_checks"];
    let context = checks[0]["context"].as_str().unwrap();
    // The required check is a job of the workflow, by its name.
    assert_contains(&project_file(".github/workflows/ci.yml"), &format!("name: {context}\n"));
}

#[test]
fn the_ci_workflow_runs_what_pre_pr_runs_and_shards_the_tests() {
    let workflow = project_file(".github/workflows/ci.yml");
    for expected in [
        "cargo xtask fmt --check",
        "cargo clippy --workspace --all-targets --locked -- -D warnings",
        "cargo xtask check",
        "cargo xtask templates --check",
        "cargo nextest run --workspace --locked --no-fail-fast --partition \"count:${{ matrix.partition }}/${{ strategy.job-total }}\"",
        "workflow_dispatch:",
        "schedule:",
        "LANCELOT_INTEGRATION: \"1\"",
        "cargo test --workspace --locked -- --ignored",
    ] {
        assert_contains(&workflow, expected);
    }
}
