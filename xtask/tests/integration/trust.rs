//! The trust model (issue 11, class 2): a command list from committed configuration (`verify`,
//! `integration_verify`, `extra_secret_scanner`) runs only after the engineer approved that exact
//! list in this clone with `cargo xtask trust`; `check` runs no program unless asked; `--yes`
//! never approves; `LANCELOT_TRUST_CONFIG=1` approves one run (CI) and records nothing.
//!
//! Each configured "program" is `touch <marker>`, the marker outside the repository: whether the
//! marker exists is whether the committed command ran.

use std::path::PathBuf;

use crate::pre_pr::commit_feature;
use crate::support::{assert_contains, hint_command, Sandbox};

/// A TOML array running `touch <marker>`, and the marker (in the sandbox's home, outside the tree).
fn touching(sandbox: &Sandbox, name: &str) -> (String, PathBuf) {
    let marker = sandbox.home.join(name);
    (format!("[\"touch\", \"{}\"]", marker.display()), marker)
}

/// Replaces the settings table's content with `settings`, and commits it.
fn configure(sandbox: &Sandbox, settings: &str) {
    let manifest = sandbox.read("Cargo.toml");
    let start =
        manifest.find("[workspace.metadata.sop]\n").expect("the settings table") + "[workspace.metadata.sop]\n".len();
    sandbox.write("Cargo.toml", &format!("{}{settings}", &manifest[..start]));
    sandbox.commit_all("chore: configure the SOP commands");
}

/// A feature branch with one compliant commit, `verify` running `touch <marker>`, never approved.
fn branch_with_unapproved_verify() -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::empty();
    let (command, marker) = touching(&sandbox, "verify-ran");
    let sandbox = minimal_repository_without_approval(sandbox, &format!("verify = [{command}]\n"));
    sandbox.git(&["switch", "-q", "-c", "feat/work"]);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    (sandbox, marker)
}

/// `pre_pr::minimal_repository`'s content, without its approval step.
fn minimal_repository_without_approval(sandbox: Sandbox, sop: &str) -> Sandbox {
    sandbox.write("Cargo.toml", &format!("[workspace.metadata.sop]\n{sop}"));
    sandbox.write(".gitignore", "/target/\n.env\n.env.*\n!.env.example\n");
    sandbox.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n");
    sandbox.write("README.md", "one\ntwo\nthree\n");
    sandbox.commit_all("chore: initial commit");
    sandbox
}

/// Reproduces "`extra_secret_scanner` runs during the read-only `check`": checking a branch whose
/// `Cargo.toml` names a program ran it. Now plain `check` runs nothing, passes, and says how to
/// run the scanner.
#[test]
fn check_runs_no_configured_program_unless_asked() {
    let sandbox = Sandbox::with_kit();
    let (command, marker) = touching(&sandbox, "scanner-ran");
    configure(&sandbox, &format!("extra_secret_scanner = {command}\n"));
    let out = sandbox.xtask().args(["check"]).success();
    assert!(!marker.exists(), "`check` ran the configured scanner");
    assert_contains(&out.stdout, "was not run: `check` runs no program unless asked");
    assert_contains(&out.stdout, "hint: run it too: cargo xtask check --extra-scanner");
}

/// Proves `check --extra-scanner` refuses an unapproved scanner (exit 1, nothing run, nothing
/// changed) and shows the exact command; the printed hint approves it, after which it runs — and
/// a changed scanner is refused again, with what changed.
#[test]
fn the_extra_scanner_runs_only_once_approved_and_again_only_after_a_change_is_approved() {
    let sandbox = Sandbox::with_kit();
    let (command, marker) = touching(&sandbox, "scanner-ran");
    configure(&sandbox, &format!("extra_secret_scanner = {command}\n"));

    let out = sandbox.xtask().args(["check", "--extra-scanner"]).refused(1);
    assert!(!marker.exists(), "an unapproved scanner ran");
    assert_contains(
        &out.stderr,
        "error: `Cargo.toml` names commands this clone has not approved (`extra_secret_scanner`); nothing was run",
    );
    assert_contains(&out.stderr, "extra_secret_scanner (not approved in this clone):");
    assert_contains(&out.stderr, &format!("[\"touch\", \"{}\"]", marker.display()));
    assert_contains(&out.stderr, "hint: review them above, then approve them for this clone: cargo xtask trust");

    let approved = sandbox.sh(&sandbox.root, &hint_command(&out.stderr));
    assert_contains(&approved, "Approved extra_secret_scanner for this clone (recorded in `.git/sop/trust.json`)");
    sandbox.xtask().args(["check", "--extra-scanner"]).success();
    assert!(marker.exists(), "the approved scanner did not run");

    // One argument more is another command: asked again, with the difference.
    std::fs::remove_file(&marker).unwrap();
    let changed = format!("[\"touch\", \"{}\", \"{}\"]", marker.display(), sandbox.home.join("also").display());
    configure(&sandbox, &format!("extra_secret_scanner = {changed}\n"));
    let out = sandbox.xtask().args(["check", "--extra-scanner"]).refused(1);
    assert!(!marker.exists(), "a changed scanner ran without a new approval");
    assert_contains(&out.stderr, "extra_secret_scanner (changed since it was approved in this clone):");
    assert_contains(&out.stderr, &format!("- [\"touch\", \"{}\"]", marker.display()));
    assert_contains(&out.stderr, &format!("+ {changed}"));
}

/// Reproduces "pushing a teammate's branch runs code from their `Cargo.toml`": the pre-push hook
/// ran the configured scanner. Now it runs `check` without it until this clone approved it.
#[test]
fn the_pre_push_hook_runs_the_scanner_only_once_approved() {
    let sandbox = Sandbox::empty();
    let (command, marker) = touching(&sandbox, "scanner-ran");
    let sandbox = minimal_repository_without_approval(sandbox, &format!("extra_secret_scanner = {command}\n"));
    sandbox.git(&["switch", "-q", "-c", "feat/work"]);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let head = sandbox.head();
    let push = format!("refs/heads/feat/work {head} refs/heads/feat/work 0000000000000000000000000000000000000000\n");

    let out = sandbox.xtask().args(["hook", "pre-push", "origin"]).stdin(&push).success();
    assert!(!marker.exists(), "the pre-push hook ran an unapproved scanner");
    assert_contains(&out.stderr, "was not run: this clone has not approved it");
    assert_contains(&out.stderr, "hint: review and approve it: cargo xtask trust");

    sandbox.xtask().args(["trust"]).success();
    sandbox.xtask().args(["hook", "pre-push", "origin"]).stdin(&push).success();
    assert!(marker.exists(), "the pre-push hook did not run the approved scanner");
}

/// Reproduces "`verify` runs in `pre-pr`" from a branch whose `Cargo.toml` names it: without a
/// terminal, `pre-pr` now refuses before any step (exit 1, the repository byte-identical, nothing
/// run); the printed hint approves, and `pre-pr` then runs the list.
#[test]
fn pre_pr_refuses_an_unapproved_verify_list_and_the_hint_approves_it() {
    let (sandbox, marker) = branch_with_unapproved_verify();
    // The dry run predicts the real run: the same refusal, not "the real run would then run".
    let dry = sandbox.xtask().args(["pre-pr", "--no-sync", "--dry-run"]).refused(1);
    assert_contains(&dry.stderr, "names commands this clone has not approved (`verify`)");
    assert!(!dry.stdout.contains("would then run"), "{}", dry.stdout);
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);
    assert!(!marker.exists(), "pre-pr ran an unapproved verify list");
    assert_contains(&out.stderr, "`Cargo.toml` names commands this clone has not approved (`verify`); nothing was run");
    assert_contains(&out.stderr, "verify (not approved in this clone):");
    assert!(!out.stdout.contains("preflight"), "a step ran before the refusal:\n{}", out.stdout);
    assert!(!sandbox.exists(".git/sop/trust.json"));

    sandbox.sh(&sandbox.root, &hint_command(&out.stderr));
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).success();
    assert!(marker.exists(), "the approved verify list did not run");
    assert_contains(&out.stdout, "verify       passed");
    // Now a dry run predicts the reuse the real run makes of that verify on this very tree.
    let dry = sandbox.xtask().args(["pre-pr", "--no-sync", "--dry-run"]).success();
    assert_contains(&dry.stdout, "the real run would then reuse the verify that passed on this very tree");
    let again = sandbox.xtask().args(["pre-pr", "--no-sync"]).success();
    assert_contains(&again.stdout, "reusing verify");
}

/// Proves an approval is of the exact list: a teammate's branch that changes `verify` is refused
/// with the difference shown, though the clone approved the previous list.
#[test]
fn a_changed_verify_list_is_asked_for_again_with_the_difference() {
    let (sandbox, marker) = branch_with_unapproved_verify();
    sandbox.xtask().args(["trust"]).success();
    let before = sandbox.read("Cargo.toml");
    let evil = sandbox.home.join("evil");
    sandbox.write("Cargo.toml", &before.replace("]]\n", &format!("], [\"touch\", \"{}\"]]\n", evil.display())));
    sandbox.commit_all("chore: verify a little more");
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);
    assert!(!marker.exists() && !evil.exists(), "a changed list ran");
    assert_contains(&out.stderr, "verify (changed since it was approved in this clone):");
    assert_contains(&out.stderr, &format!("  [\"touch\", \"{}\"]", marker.display()));
    assert_contains(&out.stderr, &format!("+ [\"touch\", \"{}\"]", evil.display()));
}

/// Proves `LANCELOT_TRUST_CONFIG=1` (what CI sets) approves the lists for that one run and
/// records nothing, and that any other value than `1`/`0` is bad input (exit 2), not a guess.
#[test]
fn the_ci_variable_approves_one_run_and_records_nothing() {
    let (sandbox, marker) = branch_with_unapproved_verify();
    sandbox.xtask().args(["pre-pr", "--no-sync"]).env("LANCELOT_TRUST_CONFIG", "1").success();
    assert!(marker.exists(), "LANCELOT_TRUST_CONFIG=1 did not approve");
    assert!(!sandbox.exists(".git/sop/trust.json"), "the variable recorded an approval");
    std::fs::remove_file(&marker).unwrap();

    sandbox.xtask().args(["pre-pr", "--no-sync"]).env("LANCELOT_TRUST_CONFIG", "0").refused(1);
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).env("LANCELOT_TRUST_CONFIG", "yes").refused(2);
    assert_contains(&out.stderr, "error: `LANCELOT_TRUST_CONFIG` is `yes`: set it to `1`");
    assert_contains(&out.stderr, "hint: unset LANCELOT_TRUST_CONFIG");
    assert!(!marker.exists());
}

/// Proves `--yes` never approves: `onboard --yes` runs `check`'s rules, and the configured
/// scanner stays unrun (onboarding reports it as a warning). The build onboarding runs before
/// the check is not this test's subject (`onboard.rs` builds for real): a `cargo` double on
/// `PATH` answers the probes' `--version` and passes the build, without compiling the kit.
#[test]
fn yes_never_approves_a_configured_program() {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    let (command, marker) = touching(&sandbox, "scanner-ran");
    configure(&sandbox, &format!("extra_secret_scanner = {command}\n"));
    sandbox.with_origin();
    let bin = sandbox.home.join("cargo-double");
    std::fs::create_dir_all(&bin).unwrap();
    let double = "#!/bin/sh\n# Test double of cargo: see yes_never_approves_a_configured_program.\ncase \"$*\" in\nnextest*) exit 101 ;;\n*--version) echo 'cargo 1.0.0 (test double)' ;;\n\"build --workspace\"*) exit 0 ;;\n*) echo \"unexpected: cargo $*\" >&2; exit 1 ;;\nesac\n";
    std::fs::write(bin.join("cargo"), double).unwrap();
    std::fs::set_permissions(bin.join("cargo"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = sandbox.xtask().env("PATH", &path).without_cargo().args(["onboard", "--yes", "--json"]).run();
    assert!(!marker.exists(), "onboard --yes ran an unapproved scanner:\n{}{}", out.stdout, out.stderr);
    assert_contains(&out.stdout, "cargo xtask check: no problems (1 warning(s))");
}

/// Proves `trust --show` lists every configured list with its state and approves nothing, the
/// tool's own defaults need no approval, and `--revoke` withdraws the clone's approvals.
#[test]
fn show_approves_nothing_and_revoke_withdraws_every_approval() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(["trust", "--show"]).success();
    for key in ["verify", "integration_verify"] {
        assert_contains(&out.stdout, &format!("{key} (the tool's own, needs no approval):"));
    }
    assert_contains(&out.stdout, "extra_secret_scanner: not set, runs nothing");
    assert_contains(&out.stdout, "Trusted every configured command may run in this clone");

    let (sandbox, marker) = branch_with_unapproved_verify();
    let out = sandbox.xtask().args(["trust", "--show"]).success();
    assert_contains(&out.stdout, "verify (not approved in this clone):");
    assert_contains(&out.stdout, "next: cargo xtask trust");
    sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);

    sandbox.xtask().args(["trust"]).success();
    let out = sandbox.xtask().args(["trust", "--show"]).success();
    assert_contains(&out.stdout, "verify (approved in this clone):");
    let out = sandbox.xtask().args(["trust"]).success();
    assert_contains(&out.stdout, "nothing to approve");

    let out = sandbox.xtask().args(["trust", "--revoke"]).success();
    assert_contains(&out.stdout, "Revoked 1 approval(s)");
    sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);
    assert!(!marker.exists());
    // Again, with nothing recorded: said so, and the receipt is a skipped action, not a change.
    let out = sandbox.xtask().args(["trust", "--revoke"]).success();
    assert_contains(&out.stdout, "Revoked nothing: no approval is recorded");
    let last = sandbox.xtask().args(["receipts", "--json", "--limit", "1"]).success();
    let last: serde_json::Value = serde_json::from_str(&last.stdout).unwrap();
    assert_eq!((&last["receipts"][0]["command"], &last["receipts"][0]["kind"]), (&"trust".into(), &"skipped".into()));
    sandbox.xtask().args(["trust", "--show", "--revoke"]).failure(2);
}

/// Proves a damaged record approves nothing (a warning says so) and `trust` rewrites it.
#[test]
fn an_unreadable_record_approves_nothing_and_trust_rewrites_it() {
    let (sandbox, marker) = branch_with_unapproved_verify();
    sandbox.xtask().args(["trust"]).success();
    std::fs::write(sandbox.path(".git/sop/trust.json"), b"\xff\xfe not json").unwrap();
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);
    assert_contains(&out.stderr, "trust.json` is not a record this version can read, so nothing counts as approved");
    assert!(!marker.exists());
    sandbox.xtask().args(["trust"]).success();
    sandbox.xtask().args(["pre-pr", "--no-sync"]).success();
    assert!(marker.exists());
}

/// Proves `pre-pr` asks for the scanner its compliance step runs, with the verify list, rather
/// than skipping it quietly: refused before any step until approved, then the scanner runs.
#[test]
fn pre_pr_asks_for_the_scanner_its_compliance_step_runs() {
    let sandbox = Sandbox::empty();
    let (command, marker) = touching(&sandbox, "scanner-ran");
    let sandbox = minimal_repository_without_approval(
        sandbox,
        &format!("verify = [[\"true\"]]\nextra_secret_scanner = {command}\n"),
    );
    sandbox.git(&["switch", "-q", "-c", "feat/work"]);
    commit_feature(&sandbox, "feature.txt", "mine\n", "feat: add the feature file");
    let out = sandbox.xtask().args(["pre-pr", "--no-sync"]).refused(1);
    assert_contains(&out.stderr, "not approved (`verify`, `extra_secret_scanner`); nothing was run");
    assert!(!marker.exists());
    sandbox.sh(&sandbox.root, &hint_command(&out.stderr));
    sandbox.xtask().args(["pre-pr", "--no-sync"]).success();
    assert!(marker.exists(), "the approved scanner did not run in the compliance step");
}
