//! Nothing leaks (issue 12, SOP 4.9): for each place the tool once printed or stored a secret in
//! clear, a fake secret is planted through the real binary (and real git runs, hooks included),
//! and the whole secret must appear in none of stdout, stderr, the `--json` report,
//! `.git/sop/receipts.jsonl` and `target/pre-pr/PR_BODY.md`.
//!
//! Every secret is assembled at run time from pieces, so that no scannable literal sits in the
//! repository. Remote URLs with credentials point at a closed port on loopback
//! (`127.0.0.1:9`, the fetch fails fast) or at the sandbox's own bare origin through `file://`.

use std::process::Stdio;

use crate::pre_pr::{commit_feature, project};
use crate::support::{assert_contains, fake_aws_key_id, hooked_clone, Sandbox};

const FAST: &str = "verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n";

fn github_token() -> String {
    ["gh", "p_", "Zq8Lw3Nx7Rb2Kd9Tf4Hs6Jm1Pv5Yc0Ga3Ue8"].concat()
}

fn slack_token() -> String {
    ["xo", "xb-", "2846102937-", "QwErTyUiOpAsDfGh"].concat()
}

/// The password of the `user:password@` URLs: no rule knows it, only the URL stripper.
fn url_password() -> String {
    ["pl4nted", "-", "Pa55w0rd"].concat()
}

/// Asserts that `secret` is in none of the outputs, the receipts and the PR body.
#[track_caller]
fn assert_nowhere(sandbox: &Sandbox, outputs: &[&str], secret: &str) {
    for (index, output) in outputs.iter().enumerate() {
        assert!(!output.contains(secret), "the secret leaked in output #{index}:\n{output}");
    }
    let receipts = std::fs::read_to_string(sandbox.path(".git/sop/receipts.jsonl")).unwrap_or_default();
    assert!(!receipts.contains(secret), "the secret leaked in the receipts:\n{receipts}");
    let body = std::fs::read_to_string(sandbox.path("target/pre-pr/PR_BODY.md")).unwrap_or_default();
    assert!(!body.contains(secret), "the secret leaked in PR_BODY.md:\n{body}");
}

/// A CHANGELOG fragment for the current branch, without any secret in it.
fn fragment(sandbox: &Sandbox) {
    let branch = sandbox.current_branch();
    let slug = branch.rsplit('/').next().unwrap();
    sandbox.write(&format!("docs/changelog.d/{slug}.md"), "<!-- section: Added -->\n- a harmless entry\n");
}

/// git with the hooks handing over to the binary under test; returns (success, stderr).
#[cfg(unix)]
fn git_with_hooks(sandbox: &Sandbox, args: &[&str]) -> (bool, String) {
    let output = sandbox
        .git_command(&sandbox.root)
        .args(args)
        .env("LANCELOT_XTASK", env!("CARGO_BIN_EXE_xtask"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Leak (1): a non-conventional commit subject holding a GitHub token is quoted by the
/// commit-rule finding of `check`, plain and `--json`, with its safe prefix only.
#[test]
fn a_token_in_a_non_conventional_subject_is_not_quoted_by_check() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "feat/notes"]);
    let token = github_token();
    sandbox.write("NOTES.md", "notes\n");
    fragment(&sandbox);
    sandbox.commit_all(&format!("added {token} to the deploy settings"));

    let plain = sandbox.xtask().args(["check"]).failure(1);
    assert_contains(&plain.stdout, "error[sop-4.5/conventional-commit]");
    assert_contains(&plain.stdout, "`added ghp_**** to the deploy settings` is not a conventional commit");
    let json = sandbox.xtask().args(["check", "--json"]).failure(1);
    let findings = json.json()["findings"].to_string();
    assert_contains(&findings, "ghp_****");
    for secret in [token.as_str(), &token[4..]] {
        assert_nowhere(&sandbox, &[&plain.stdout, &plain.stderr, &json.stdout, &json.stderr], secret);
    }
}

/// Leak (1), the pre-push hook: the same finding, printed by the hook and stored in its
/// receipt, holds no token.
#[cfg(unix)]
#[test]
fn a_token_in_a_subject_is_not_in_the_pre_push_hooks_output_or_receipt() {
    let sandbox = hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "feat/notes"]);
    let token = github_token();
    sandbox.write("NOTES.md", "notes\n");
    fragment(&sandbox);
    sandbox.commit_all(&format!("use {token} for the release job"));
    let (ok, stderr) = git_with_hooks(&sandbox, &["push", "-q", "-u", "origin", "feat/notes"]);
    assert!(!ok, "the push went through:\n{stderr}");
    assert_contains(&stderr, "`use ghp_**** for the release job` is not a conventional commit");
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    assert_contains(&receipts, "sop-4.5/conventional-commit");
    for secret in [token.as_str(), &token[4..]] {
        assert_nowhere(&sandbox, &[&stderr], secret);
    }
}

/// Leak (2): the commit-msg hook rejects a subject holding a Slack token; neither its message
/// nor its receipt (reason and `detail.subject`) holds the token.
#[cfg(unix)]
#[test]
fn the_commit_msg_hook_never_stores_the_rejected_subject_raw() {
    let sandbox = hooked_clone();
    let token = slack_token();
    sandbox.write("NOTES.md", "notes\n");
    sandbox.git(&["add", "NOTES.md"]);
    let (ok, stderr) = git_with_hooks(&sandbox, &["commit", "-q", "-m", &format!("{token} rotated")]);
    assert!(!ok, "the commit was accepted");
    assert_contains(&stderr, "commit message rejected: `xoxb-**** rotated` is not a conventional commit");
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    let last: serde_json::Value = serde_json::from_str(receipts.lines().last().unwrap()).unwrap();
    assert_eq!(last["detail"]["subject"], "xoxb-**** rotated");
    for secret in [token.as_str(), &token[5..]] {
        assert_nowhere(&sandbox, &[&stderr], secret);
    }
}

/// Leak (3): a push to a URL with `user:password@` in it (to `main`, refused; and to a branch,
/// checked and let through) names the URL with its credentials stripped, in the hook's message
/// and in both receipts.
#[cfg(unix)]
#[test]
fn a_push_to_a_url_with_credentials_names_it_stripped() {
    let sandbox = hooked_clone();
    let origin = sandbox.root.parent().unwrap().join("origin.git");
    let password = url_password();
    let url = format!("file://builder:{password}@{}", origin.display());

    sandbox.write("NOTES.md", "notes\n");
    sandbox.commit_all("docs: notes");
    let (ok, refused) = git_with_hooks(&sandbox, &["push", "-q", &url, "HEAD:refs/heads/main"]);
    assert!(!ok, "the push to main went through");
    assert_contains(&refused, "file://***@");

    sandbox.git(&["switch", "-q", "-c", "docs/notes"]);
    fragment(&sandbox);
    sandbox.commit_all("docs: a fragment");
    let (ok, pushed) = git_with_hooks(&sandbox, &["push", "-q", &url, "HEAD:refs/heads/docs/notes"]);
    assert!(ok, "the branch push was stopped:\n{pushed}");
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    assert_contains(&receipts, "pre-push checks passed for a push to `file://***@");
    assert_contains(&receipts, "\"url\":\"file://***@");
    for secret in [format!("builder:{password}"), password.clone()] {
        assert_nowhere(&sandbox, &[&refused, &pushed], &secret);
    }
}

/// Leak (4): a failed fetch in `pre-pr` (the origin's URL carries `user:password@`) prints the
/// URL stripped, and neither the summary, the `--json` report nor the receipt's reason holds
/// the credentials. The exit code is the same as before (1).
#[test]
fn a_failed_fetch_names_the_remote_without_its_credentials() {
    let (sandbox, _origin) = project(FAST);
    commit_feature(&sandbox, "fix.txt", "fixed\n", "fix: a fix");
    let password = url_password();
    sandbox.git(&["remote", "set-url", "origin", &format!("https://user:{password}@127.0.0.1:9/x.git")]);

    let plain = sandbox.xtask().args(["pre-pr"]).refused(1);
    assert_contains(&plain.stderr, "error: cannot fetch `main` from `origin` (https://***@127.0.0.1:9/x.git)");
    let json = sandbox.xtask().args(["pre-pr", "--json"]).refused(1);
    assert_eq!(json.json()["ok"], false);
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    assert_contains(&receipts, "https://***@127.0.0.1:9/x.git");
    for secret in [format!("user:{password}"), password.clone()] {
        assert_nowhere(&sandbox, &[&plain.stdout, &plain.stderr, &json.stdout, &json.stderr], &secret);
    }
}

/// Leak (5): `onboard` shows the remote as a passing item on every run; a token used as the
/// URL's user (`https://TOKEN@host`, and GitHub's `x-access-token:TOKEN@`) is stripped, in
/// the plain and the `--json` report.
#[test]
fn onboard_shows_the_remote_url_stripped() {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    sandbox.with_origin();
    let token = github_token();
    for url in
        [format!("https://{token}@127.0.0.1:9/x.git"), format!("https://x-access-token:{token}@127.0.0.1:9/x.git")]
    {
        sandbox.git(&["remote", "set-url", "origin", &url]);
        let plain = sandbox.xtask().args(["onboard", "--dry-run"]).success();
        assert_contains(&plain.stdout, "`origin` → https://***@127.0.0.1:9/x.git");
        let json = sandbox.xtask().args(["onboard", "--dry-run", "--json"]).success();
        assert_contains(&json.stdout, "https://***@127.0.0.1:9/x.git");
        for secret in [token.as_str(), &token[4..]] {
            assert_nowhere(&sandbox, &[&plain.stdout, &plain.stderr, &json.stdout, &json.stderr], secret);
        }
    }
}

/// Leak (6): a token in a conventional commit subject becomes the PR's title and Summary; in
/// `PR_BODY.md`, `pre-pr`'s output, its `--json` report and its receipts it is masked. (Should
/// compliance refuse the branch for the token, no body is written: nothing leaks either way.)
#[test]
fn a_token_in_a_conventional_subject_is_masked_in_the_pr_body() {
    let (sandbox, _origin) = project(FAST);
    let token = github_token();
    sandbox.write("feature.txt", "mine\n");
    fragment(&sandbox);
    sandbox.commit_all(&format!("feat: deploy with {token}"));

    let plain = sandbox.xtask().args(["pre-pr"]).run();
    let json = sandbox.xtask().args(["pre-pr", "--json"]).run();
    assert_eq!(plain.code, json.code, "{}", plain.stderr);
    if plain.code == 0 {
        let body = sandbox.read("target/pre-pr/PR_BODY.md");
        assert_contains(&body, "<!-- Suggested title (conventional commit): feat: deploy with ghp_**** -->");
        assert_contains(&body, "## Summary\n\nDeploy with ghp_****.");
        assert_contains(&plain.stdout, "title: feat: deploy with ghp_****");
        assert_eq!(json.json()["pr_body"]["title"], "feat: deploy with ghp_****");
    } else {
        assert_eq!(plain.code, 1, "{}", plain.stderr);
    }
    for secret in [token.as_str(), &token[4..]] {
        assert_nowhere(&sandbox, &[&plain.stdout, &plain.stderr, &json.stdout, &json.stderr], secret);
    }
}

/// An invalid `secret_allowlist` entry holding an AWS key is reported without echoing the key,
/// plain and `--json` (the finding printer redacts whatever a rule wrote).
#[test]
fn an_invalid_allowlist_entry_is_not_echoed() {
    let sandbox = Sandbox::with_kit();
    let key = fake_aws_key_id();
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write("Cargo.toml", &format!("{manifest}secret_allowlist = [\"{key}(\"]\n"));
    sandbox.commit_all("chore: allow a key");

    let plain = sandbox.xtask().args(["check"]).failure(1);
    assert_contains(&plain.stdout, "sop-4.9/secret-allowlist");
    assert_contains(&plain.stdout, "AKIA****");
    let json = sandbox.xtask().args(["check", "--json"]).failure(1);
    assert!(json.json()["findings"].to_string().contains("AKIA****"), "{}", json.stdout);
    for secret in [key.as_str(), &key[4..]] {
        assert_nowhere(&sandbox, &[&plain.stdout, &plain.stderr, &json.stdout, &json.stderr], secret);
    }
}

/// A receipt an older version stored with a secret in clear is shown redacted by
/// `cargo xtask receipts`, plain and `--json` (the log itself is never rewritten).
#[test]
fn old_receipts_are_shown_redacted() {
    let sandbox = Sandbox::with_kit();
    let token = github_token();
    let password = url_password();
    let line = serde_json::json!({
        "time": "2026-01-01T00:00:00Z", "unix_ms": 1_767_225_600_000u64, "command": "hook", "kind": "failure",
        "message": "commit-msg hook rejected a commit message",
        "reason": format!("`{token}` is not a conventional commit"),
        "detail": { "url": format!("https://user:{password}@127.0.0.1:9/x.git") },
    });
    sandbox.write(".git/sop/receipts.jsonl", &format!("{line}\n"));
    let plain = sandbox.xtask().args(["receipts"]).success();
    assert_contains(&plain.stdout, "`ghp_****` is not a conventional commit");
    let json = sandbox.xtask().args(["receipts", "--json"]).success();
    assert_eq!(json.json()["receipts"][0]["detail"]["url"], "https://***@127.0.0.1:9/x.git");
    for secret in [token.as_str(), &token[4..], &password] {
        for output in [&plain.stdout, &plain.stderr, &json.stdout, &json.stderr] {
            assert!(!output.contains(secret), "the secret leaked:\n{output}");
        }
    }
}

/// A token typed into `new-addon --summary` and `receipts --command`: the plain `--dry-run`
/// plan printed it three times in clear (the `--json` plan and the real run masked it), and
/// `receipts`' "no receipt of …" line quoted it whole. Proves both now show its safe prefix
/// only, while the spec the real run writes holds the summary as typed (the engineer's file).
#[test]
fn a_token_in_a_summary_is_masked_in_the_dry_run_plan_and_the_receipts_lookup() {
    let sandbox = Sandbox::with_kit();
    let token = github_token();
    let summary = format!("syncs with {token} as its key");
    let plan = sandbox.xtask().args(["new-addon", "leaky", "--yes", "--dry-run", "--summary", &summary]).success();
    assert_contains(&plan.stdout, "ghp_****");
    let lookup = sandbox.xtask().args(["receipts", "--command", &token]).success();
    assert_nowhere(&sandbox, &[&plan.stdout, &plan.stderr, &lookup.stdout, &lookup.stderr], &token);
    sandbox.xtask().args(["new-addon", "leaky", "--yes", "--summary", &summary]).success();
    assert_contains(&sandbox.read("docs/specs/Lancelot_vNext2_Spec_Leaky.md"), &token);
}
