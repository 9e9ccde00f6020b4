//! Snapshots of the tool's human output: every command of a deterministic scenario and every
//! refusal that simple bad input reaches, each compared with `xtask/tests/snapshots/<name>.txt`
//! (`golden.rs`; `SNAPSHOTS=overwrite` rewrites them). A test builds one sandbox and runs many
//! commands in it, so the file stays fast. The `--json` reports are
//! snapshotted whole by [`json_reports`].

use crate::golden::{render, Golden, Redactor};
use crate::support::{Outcome, Sandbox};

/// Verify commands that run nothing slow, for `pre-pr`.
const FAST_VERIFY: &str = "verify = [[\"true\"]]\n";

/// A sandbox, the redactor of its varying parts and the snapshots compared so far.
struct Scenario {
    sandbox: Sandbox,
    redactor: Redactor,
    golden: Golden,
    /// Bare repositories beside the working tree whose object ids are redacted too.
    others: Vec<std::path::PathBuf>,
}

impl Scenario {
    fn new(sandbox: Sandbox) -> Scenario {
        let redactor = Redactor::new(&sandbox);
        Scenario { sandbox, redactor, golden: Golden::new(), others: Vec::new() }
    }

    fn snap(&mut self, name: &str, args: &[&str], outcome: &Outcome) {
        self.redactor.learn_oids(&self.sandbox, &self.sandbox.root);
        for other in &self.others {
            self.redactor.learn_oids(&self.sandbox, other);
        }
        let text = render(&self.redactor, args, outcome);
        self.golden.check(name, &text);
    }

    /// Runs `cargo xtask <args>` and compares its exit code and output with `name`.
    fn run(&mut self, name: &str, args: &[&str]) -> Outcome {
        let outcome = self.sandbox.xtask().args(args).run();
        self.snap(name, args, &outcome);
        outcome
    }

    /// Like [`Scenario::run`] for a refusal: it also asserts the repository is byte-identical.
    fn refused(&mut self, name: &str, args: &[&str], code: i32) -> Outcome {
        let before = self.sandbox.snapshot();
        let outcome = self.sandbox.xtask().args(args).run();
        assert!(self.sandbox.snapshot() == before, "`{name}` changed the repository:\n{}", outcome.stderr);
        if outcome.code != code {
            self.golden.fail(format!("`{name}` exited {} instead of {code}", outcome.code));
        }
        self.snap(name, args, &outcome);
        outcome
    }

    /// Compares a file the tool wrote with the snapshot `name`.
    fn file(&mut self, name: &str, relative: &str) {
        self.redactor.learn_oids(&self.sandbox, &self.sandbox.root);
        let text = self.redactor.redact(&self.sandbox.read(relative));
        self.golden.check(name, &text);
    }

    /// `onboard --dry-run`, without the items that probe this machine's toolchain.
    fn onboard_dry_run(&mut self, name: &str) {
        let args = ["onboard", "--dry-run"];
        let outcome = self.sandbox.xtask().args(args).run();
        let outcome = Outcome { stdout: without_toolchain_probes(&outcome.stdout), ..outcome };
        self.snap(name, &args, &outcome);
    }

    #[track_caller]
    fn finish(self) {
        self.golden.finish();
    }
}

/// The `--json` reports, pinned whole (docs/json.md's keys are checked by `json_reports.rs`;
/// these pin the values and shapes too): the read-only reports on the kit, then a slice's
/// `new-addon`, `spec`, `branch`, `sync`, `prune` and `undo` reports, dry runs first.
#[test]
fn json_reports() {
    let mut scenario = kit_scenario();
    scenario.run("json-config", &["config", "--json"]);
    scenario.run("json-status", &["status", "--json"]);
    scenario.run("json-graph", &["graph", "--json"]);
    scenario.run("json-check", &["check", "--json"]);
    scenario.run("json-spec-list", &["spec", "list", "--json"]);
    scenario.run("json-changelog", &["changelog", "--json"]);
    scenario.run("json-branch-dry-run", &["branch", "chore", "tidy", "--dry-run", "--json"]);
    scenario.run("json-sync-dry-run", &["sync", "--dry-run", "--json"]);
    scenario.run("json-prune-dry-run", &["prune", "--dry-run", "--json"]);
    scenario.run("json-new-addon", &["new-addon", "scheduler", "--yes", "--json"]);
    scenario.run("status-all", &["status", "--all"]);
    scenario.run("json-status-all", &["status", "--all", "--json"]);
    scenario.run("json-undo-dry-run", &["undo", "--dry-run", "--json"]);
    scenario.run("json-undo", &["undo", "--json"]);
    scenario.run("json-spec-start-dry-run", &["spec", "start", "health-monitor", "--dry-run", "--json"]);
    scenario.run("json-receipts", &["receipts", "--limit", "3", "--json"]);
    scenario.finish();
}

/// The kit with `verify = [["true"]]` committed, a bare `origin` and `main` pushed.
fn kit_scenario() -> Scenario {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write("Cargo.toml", &format!("{manifest}{FAST_VERIFY}"));
    sandbox.commit_all("chore: verify quickly");
    let origin = sandbox.with_origin();
    let mut scenario = Scenario::new(sandbox);
    scenario.others.push(origin);
    scenario
}

/// `onboard`'s report without the items that probe this machine's toolchain (their versions,
/// and whether an optional tool is installed, differ between machines).
fn without_toolchain_probes(report: &str) -> String {
    let probes = ["Rust toolchain", "rustfmt", "clippy", "cargo-nextest", "git"];
    let mut out = String::new();
    let mut dropping = false;
    for line in report.split_inclusive('\n') {
        // `  ✔ label  detail`: the item after its mark; continuation lines are indented deeper.
        let item = line.trim_start().split_once(' ').map(|(_, rest)| rest.trim_start());
        if let Some(item) = item.filter(|_| line.starts_with("  ") && !line.starts_with("   ")) {
            let label = item.split("  ").next().unwrap_or(item);
            dropping = probes.contains(&label);
            if dropping {
                continue;
            }
        } else if dropping && line.starts_with("    ") {
            continue;
        }
        dropping = false;
        out.push_str(line);
    }
    out
}

/// `text` with every `TODO(sop)` placeholder filled in.
fn filled(text: &str) -> String {
    text.replace("TODO(sop)", "Defined")
}

// Proves: a slice's whole path, from the plan to the PR body, prints what the snapshots hold.
#[test]
fn a_slice_from_its_plan_to_its_pr_body() {
    let mut s = kit_scenario();
    s.sandbox.xtask().args(["trust"]).success();
    let summary = ["--summary", "Runs jobs on a schedule"];
    s.run("new-addon-dry-run", &[&["new-addon", "scheduler", "--dry-run"][..], &summary].concat());
    s.run("new-addon", &[&["new-addon", "scheduler", "--yes"][..], &summary].concat());
    s.run("status-new-slice", &["status"]);
    s.run("graph", &["graph"]);
    s.run("spec-list", &["spec", "list"]);
    s.refused("refusal-spec-approve-placeholders", &["spec", "approve", "scheduler"], 1);
    s.run("check-draft-slice", &["check"]);
    s.run("changelog", &["changelog"]);

    for (dir, kind) in
        [("specs", "Spec"), ("blueprints", "Blueprint"), ("runbooks", "Runbook"), ("architecture", "Architecture")]
    {
        let path = format!("docs/{dir}/Lancelot_vNext2_{kind}_Scheduler.md");
        let text = filled(&s.sandbox.read(&path));
        s.sandbox.write(&path, &text);
    }
    s.run("spec-approve-dry-run", &["spec", "approve", "scheduler", "--dry-run"]);
    s.run("spec-approve", &["spec", "approve", "scheduler"]);
    s.run("spec-start-dry-run", &["spec", "start", "scheduler", "--dry-run"]);
    s.run("spec-start", &["spec", "start", "scheduler"]);
    s.refused("refusal-spec-start-twice", &["spec", "start", "scheduler"], 2);
    s.sandbox.commit_all("feat: add scheduler skeleton");
    s.sandbox.write("README.md", "edited, not committed\n");
    s.refused("refusal-pre-pr-dirty-tree", &["pre-pr"], 1);
    s.sandbox.git(&["checkout", "--", "README.md"]);
    s.run("status-started-slice", &["status"]);
    s.run("check-clean-slice", &["check"]);
    s.run("pre-pr-dry-run", &["pre-pr", "--dry-run"]);
    s.run("pre-pr", &["pre-pr"]);
    s.file("pre-pr-pr-body", "target/pre-pr/PR_BODY.md");
    s.run("changelog-release-dry-run", &["changelog", "release", "1.2.0", "--date", "2026-12-01", "--dry-run"]);
    s.run("receipts", &["receipts"]);
    s.run("receipts-limit", &["receipts", "--limit", "2", "--command", "spec"]);
    s.finish();
}

// Proves: the commands that need no slice (settings, trust, branches, hotfix, migrate, onboard's
// plan, the templates) print what the snapshots hold on the kit.
#[test]
fn commands_around_the_slices() {
    let mut s = kit_scenario();
    s.onboard_dry_run("onboard-dry-run-without-hooks");
    s.sandbox.copy_githooks();
    s.sandbox.commit_all("chore: add the git hooks");
    s.sandbox.git(&["push", "-q", "origin", "main"]);
    s.onboard_dry_run("onboard-dry-run");
    s.run("config", &["config"]);
    s.run("trust-show", &["trust", "--show"]);
    s.run("trust", &["trust"]);
    s.run("trust-revoke", &["trust", "--revoke"]);
    s.run("status-kit", &["status"]);
    s.run("check-kit", &["check"]);
    s.run("changelog-empty", &["changelog"]);
    s.run("changelog-check", &["changelog", "--check"]);
    s.refused("refusal-changelog-release-nothing", &["changelog", "release", "1.2.0", "--date", "2026-12-01"], 1);
    s.run("changelog-migrate-dry-run", &["changelog", "migrate", "--dry-run"]);
    s.run("migrate-dry-run", &["migrate", "--dry-run"]);
    s.run("templates", &["templates"]);
    s.run("templates-check", &["templates", "--check"]);
    s.run("branch-dry-run", &["branch", "fix", "login timeout", "--dry-run"]);
    s.run("branch", &["branch", "fix", "login timeout"]);
    s.sandbox.git(&["switch", "-q", "main"]);
    s.run("hotfix-dry-run", &["hotfix", "broken build", "--dry-run"]);
    s.finish();
}

// Proves: every refusal simple bad input reaches says why and prints its hint, changes nothing,
// and exits 2 (bad input) or 1 (a failed check).
#[test]
fn refusals_of_simple_bad_input() {
    let mut s = kit_scenario();
    s.refused("refusal-new-addon-empty-name", &["new-addon", "", "--yes"], 2);
    s.refused("refusal-branch-empty-name", &["branch", "fix", ""], 2);
    s.refused("refusal-new-addon-no-words", &["new-addon", "***", "--yes"], 2);
    s.refused("refusal-new-addon-dash", &["new-addon", "-scheduler", "--yes"], 2);
    s.refused("refusal-new-addon-symbols", &["new-addon", "sched!uler", "--yes"], 2);
    s.refused("refusal-new-addon-taken", &["new-addon", "health monitor", "--yes"], 2);
    s.refused(
        "refusal-new-addon-unknown-dependency",
        &["new-addon", "scheduler", "--yes", "--depends-on", "nosuch"],
        2,
    );
    s.refused("refusal-new-addon-bad-kind", &["new-addon", "scheduler", "--yes", "--kind", "wip"], 2);
    s.refused("refusal-new-addon-bad-slug", &["new-addon", "scheduler", "--yes", "--slug", "Sched_Uler"], 2);
    s.refused("refusal-spec-unknown-addon", &["spec", "approve", "nosuch"], 2);
    s.refused("refusal-spec-supersede-itself", &["spec", "supersede", "health-monitor", "--by", "health-monitor"], 2);
    s.refused("refusal-receipts-bad-limit", &["receipts", "--limit", "many"], 2);
    s.refused("refusal-spec-wrong-transition", &["spec", "complete", "health-monitor"], 2);
    s.refused("refusal-spec-supersede-unknown", &["spec", "supersede", "health-monitor", "--by", "nosuch"], 2);
    s.refused("refusal-branch-bad-kind", &["branch", "wip", "login"], 2);
    s.refused("refusal-branch-bad-name", &["branch", "fix", "!!!"], 2);
    s.refused("refusal-branch-bad-slug", &["branch", "fix", "--slug", "Login_Timeout"], 2);
    s.refused("refusal-pre-pr-untrusted", &["pre-pr"], 1);
    s.sandbox.xtask().args(["trust"]).success();
    s.refused("refusal-pre-pr-on-main", &["pre-pr"], 1);
    s.refused("refusal-changelog-bad-version", &["changelog", "release", "v1.2", "--dry-run"], 2);
    s.refused("refusal-changelog-bad-date", &["changelog", "release", "1.2.0", "--date", "yesterday", "--dry-run"], 2);
    s.refused("refusal-unknown-command", &["frobnicate"], 2);
    s.refused("refusal-unknown-flag", &["status", "--bogus"], 2);
    s.refused("refusal-completions-unknown-shell", &["completions", "tcsh"], 2);
    s.sandbox.write("README.md", "edited, not committed\n");
    s.refused("refusal-new-addon-dirty-tree", &["new-addon", "scheduler", "--yes"], 1);
    s.refused("refusal-branch-dirty-tree", &["branch", "fix", "login"], 1);
    s.sandbox.git(&["checkout", "--", "README.md"]);
    s.sandbox.git(&["switch", "-q", "-c", "wip/login"]);
    s.refused("refusal-pre-pr-branch-name", &["pre-pr"], 1);
    s.sandbox.git(&["remote", "remove", "origin"]);
    s.refused("refusal-hotfix-no-remote", &["hotfix", "broken build", "--dry-run"], 1);
    s.finish();
}

// Proves: the git hooks' refusals (a message that is not a conventional commit, a push to
// main) and `check`'s findings print what the snapshots hold.
#[test]
fn hook_refusals_and_check_findings() {
    let mut s = kit_scenario();
    s.sandbox.write(".git/COMMIT_EDITMSG", "stuff\n");
    s.run("hook-commit-msg-refusal", &["hook", "commit-msg", ".git/COMMIT_EDITMSG"]);
    s.sandbox.write(".git/COMMIT_EDITMSG", "feat: add scheduler receipts\n");
    s.run("hook-commit-msg-accepted", &["hook", "commit-msg", ".git/COMMIT_EDITMSG"]);
    let head = s.sandbox.head();
    let push = format!("refs/heads/main {head} refs/heads/main {head}\n");
    let url = s.others[0].to_string_lossy().into_owned();
    let args = ["hook", "pre-push", "origin", &url];
    let outcome = s.sandbox.xtask().args(args).stdin(&push).run();
    s.snap("hook-pre-push-main-refusal", &args, &outcome);

    // Findings: a flag switched on in `.env.example`, another module reading the reference
    // add-on's flag, a commit that is not conventional, on a branch without a fragment.
    s.sandbox.git(&["switch", "-q", "-c", "feat/findings"]);
    let example = s.sandbox.read(".env.example");
    s.sandbox.write(".env.example", &format!("{example}FEATURE_HEALTH_MONITOR=true\n"));
    s.sandbox.write("src/reader.rs", "//! Reads another module's flag.\nconst F: &str = \"FEATURE_HEALTH_MONITOR\";\n");
    s.sandbox.commit_all("stuff");
    s.run("check-findings", &["check"]);
    s.run("check-findings-no-branch-rules", &["check", "--no-branch-rules"]);
    s.finish();
}

/// How many receipts `.git/sop/receipts.jsonl` holds.
fn receipt_count(sandbox: &Sandbox) -> usize {
    std::fs::read_to_string(sandbox.path(".git/sop/receipts.jsonl")).unwrap_or_default().lines().count()
}

// Proves what the README and the guide say about receipts: a command that only reads (and every
// dry run and refusal of bad input) leaves none; one that changes the repository or the clone's
// state leaves exactly one; `check` records each run (so `status` can show it), `pre-pr` one
// receipt per step, the hooks one per verdict but an accepted commit message.
#[test]
fn read_only_commands_leave_no_receipt_and_changes_leave_one() {
    let s = kit_scenario();
    let sandbox = &s.sandbox;
    let expect = |args: &[&str], receipts: usize| {
        let before = receipt_count(sandbox);
        sandbox.xtask().args(args).run();
        assert_eq!(
            receipt_count(sandbox) - before,
            receipts,
            "`cargo xtask {}` left the wrong number of receipts",
            args.join(" ")
        );
    };
    expect(&["trust"], 1);
    let reads: &[&[&str]] = &[
        &["status"],
        &["graph"],
        &["spec", "list"],
        &["receipts"],
        &["config"],
        &["changelog"],
        &["changelog", "--check"],
        &["templates"],
        &["trust", "--show"],
        &["new-addon", "scheduler", "--yes", "--dry-run"],
        &["new-addon", "***", "--yes"],
        &["branch", "fix", "login", "--dry-run"],
        &["hotfix", "login", "--dry-run"],
        &["spec", "start", "health-monitor", "--dry-run"],
        &["spec", "complete", "health-monitor"],
        &["changelog", "migrate", "--dry-run"],
        &["migrate", "--dry-run"],
        &["onboard", "--dry-run"],
        &["pre-pr", "--dry-run"],
    ];
    for args in reads {
        expect(args, 0);
    }
    // The hooks record their verdicts but an accepted commit message.
    sandbox.write(".git/COMMIT_EDITMSG", "feat: add scheduler receipts\n");
    expect(&["hook", "commit-msg", ".git/COMMIT_EDITMSG"], 0);
    sandbox.write(".git/COMMIT_EDITMSG", "stuff\n");
    expect(&["hook", "commit-msg", ".git/COMMIT_EDITMSG"], 1);
    let changes: &[&[&str]] = &[&["trust", "--revoke"], &["trust"], &["new-addon", "scheduler", "--yes"]];
    for args in changes {
        expect(args, 1);
    }
    // `pre-pr` records each step, even when preflight refuses (here: on `main`).
    sandbox.git(&["switch", "-q", "main"]);
    expect(&["pre-pr"], 6);
    sandbox.git(&["switch", "-q", "feat/scheduler"]);
    sandbox.commit_all("feat: add scheduler skeleton");
    expect(&["check"], 1);
    expect(&["spec", "start", "health-monitor"], 1);
    sandbox.commit_all("spec: start health-monitor");
    expect(&["pre-pr"], 6);
    expect(&["changelog", "release", "1.2.0", "--date", "2026-12-01"], 1);
    sandbox.commit_all("chore: release 1.2.0");
    expect(&["branch", "fix", "login"], 1);
    expect(&["hotfix", "broken build"], 1);
}

// Proves: every file in `xtask/tests/snapshots/` is named by a scenario of this file, and every
// name has its file, so a renamed or removed snapshot leaves no stale file behind (overwrite
// mode only writes).
#[test]
fn every_snapshot_file_belongs_to_a_scenario() {
    let source = include_str!("snapshots.rs");
    let call = regex_lite::Regex::new(r#"\.(?:run|refused|file|snap|onboard_dry_run)\(\s*"([a-z0-9-]+)""#).unwrap();
    let mut named: Vec<String> = call.captures_iter(source).map(|caps| format!("{}.txt", &caps[1])).collect();
    named.sort();
    named.dedup();
    let mut files: Vec<String> = std::fs::read_dir(crate::golden::snapshot_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let stale: Vec<&String> = files.iter().filter(|file| !named.contains(file)).collect();
    let missing: Vec<&String> = named.iter().filter(|name| !files.contains(name)).collect();
    assert!(stale.is_empty(), "snapshot files no scenario names (delete them): {stale:?}");
    assert!(missing.is_empty(), "snapshots without a file (run {}): {missing:?}", crate::golden::UPDATE);
    assert!(named.len() > 60, "the pattern finds the scenarios' names: {named:?}");
}
