//! `cargo xtask check`: a passing repository (a copy of this one), then one violation at a time,
//! each asserting the rule id, the location and the exit code, and that `check` changed nothing.
//! Secrets are fakes assembled at run time, so no scannable literal lives in this repository, and
//! every secret test asserts the value never appears in any output.

use serde_json::Value;

use crate::support::{assert_contains, assert_never_printed, fake_aws_key_id, fake_private_key, Outcome, Sandbox};

const HM_SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md";
const SCHEDULER_SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
const SCHEDULER_RECORD: &str = "docs/specs/frozen/Lancelot_vNext2_Spec_Scheduler.lock";

/// Every finding as `(rule, severity, location)`.
fn findings(out: &Outcome) -> Vec<(String, String, String)> {
    let json = out.json();
    json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {json}"))
        .iter()
        .map(|f| {
            let text = |key: &str| f[key].as_str().unwrap_or("").to_string();
            (crate::support::rule_family(&text("rule")), text("severity"), text("location"))
        })
        .collect()
}

/// The one finding of `rule`, asserting there is exactly one.
#[track_caller]
fn only(out: &Outcome, rule: &str) -> Value {
    let json = out.json();
    let matching: Vec<&Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| crate::support::rule_is(&f["rule"], rule)).collect();
    assert_eq!(matching.len(), 1, "expected one `{rule}` finding in:\n{}", out.stdout);
    matching[0].clone()
}

/// Errors only, as `(rule, location)`.
fn errors(out: &Outcome) -> Vec<(String, String)> {
    findings(out).into_iter().filter(|(_, severity, _)| severity == "error").map(|(r, _, l)| (r, l)).collect()
}

/// `check --json` must fail with exit 1 and leave the repository byte-identical.
fn check_fails(sandbox: &Sandbox) -> Outcome {
    let out = sandbox.xtask().args(["check", "--json"]).refused(1);
    assert_contains(&out.stderr, "error: check failed:");
    assert_eq!(out.json()["ok"], false);
    out
}

fn check_passes(sandbox: &Sandbox) -> Outcome {
    let out = sandbox.xtask().args(["check", "--json"]).success();
    assert_eq!(out.json()["ok"], true, "{}", out.stdout);
    assert_eq!(errors(&out), Vec::<(String, String)>::new());
    out
}

/// Writes the current branch's CHANGELOG fragment, `docs/changelog.d/<slug>.md`; `Fixed: x`
/// is the entry `x` under Fixed, anything else goes under Changed.
fn changelog_entry(sandbox: &Sandbox, entry: &str) {
    let branch = sandbox.current_branch();
    let slug = branch.rsplit('/').next().unwrap();
    let (section, text) = entry.split_once(": ").unwrap_or(("Changed", entry));
    sandbox.write(&format!("docs/changelog.d/{slug}.md"), &format!("<!-- section: {section} -->\n- {text}\n"));
}

/// A branch off main with one conventional commit and a CHANGELOG entry: passes the branch rules.
fn clean_branch(sandbox: &Sandbox, name: &str) {
    sandbox.git(&["switch", "-q", "-c", name]);
    changelog_entry(sandbox, "Fixed: a thing");
    sandbox.commit_all("fix: a thing");
}

/// Scaffolds an add-on with `new-addon`, fills in every placeholder, and lands it on main.
fn land_addon(sandbox: &Sandbox, name: &str, feature: &str) {
    sandbox.xtask().args(["new-addon", name, "--yes", "--summary", "Runs jobs on a schedule"]).success();
    for kind in [
        "specs/Lancelot_vNext2_Spec",
        "blueprints/Lancelot_vNext2_Blueprint",
        "runbooks/Lancelot_vNext2_Runbook",
        "architecture/Lancelot_vNext2_Architecture",
    ] {
        let path = format!("docs/{kind}_{feature}.md");
        sandbox.write(&path, &sandbox.read(&path).replace("TODO(sop)", "Defined"));
    }
    sandbox.commit_all(&format!("feat: add {name}"));
    let branch = sandbox.current_branch();
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--ff-only", &branch]);
}

/// The scheduler landed on main, approved and started (frozen).
fn frozen_scheduler() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    land_addon(&sandbox, "scheduler", "Scheduler");
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.commit_all("spec: start scheduler");
    sandbox
}

/// The words of a printed command without quoting, run as git arguments.
fn run_git_hint(sandbox: &Sandbox, hint: &str) {
    let words: Vec<&str> = hint.split_whitespace().collect();
    assert_eq!(words[0], "git", "not a git command: {hint}");
    sandbox.git(&words[1..]);
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|line| line.contains(needle)).unwrap_or_else(|| panic!("{needle:?} not found")) + 1
}

// --- the passing repository -------------------------------------------------------------------

#[test]
fn this_repository_passes() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(["check"]).success();
    assert_contains(&out.stdout, "Checked");
    let out = check_passes(&sandbox);
    assert_eq!(out.json()["branch_rules"], false);
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    assert_contains(&receipts, "\"command\":\"check\"");
}

#[test]
fn a_clean_branch_passes_the_branch_rules() {
    let sandbox = Sandbox::with_kit();
    clean_branch(&sandbox, "fix/health-monitor-timeout");
    let out = check_passes(&sandbox);
    assert_eq!(out.json()["branch_rules"], true);
}

#[test]
fn a_fresh_addon_branch_passes_with_draft_warnings() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    sandbox.commit_all("feat: add scheduler skeleton");
    // A draft may keep its placeholders: warnings, not errors.
    let out = check_passes(&sandbox);
    let rules: Vec<String> = findings(&out).into_iter().map(|(rule, _, _)| rule).collect();
    assert!(rules.contains(&"sop-3.5/placeholder".to_string()), "{rules:?}");
    assert_eq!(only(&out, "sop-3.5/placeholder")["severity"], "warning");
}

// --- frozen specs (SOP 2.1) -------------------------------------------------------------------

#[test]
fn editing_an_in_progress_spec_on_a_branch_fails() {
    let sandbox = frozen_scheduler();
    check_passes(&sandbox);
    sandbox.git(&["switch", "-q", "-c", "feat/scheduler-retries"]);
    let text = sandbox.read(SCHEDULER_SPEC);
    sandbox.write(SCHEDULER_SPEC, &text.replace("Runs jobs on a schedule", "Runs jobs on a schedule, with retries"));
    changelog_entry(&sandbox, "Added: retries");
    sandbox.commit_all("feat: retries");

    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-2.1/frozen-spec");
    let line = line_of(&sandbox.read(SCHEDULER_SPEC), "with retries");
    assert_eq!(finding["location"], format!("{SCHEDULER_SPEC}:{line}"));
    assert_contains(finding["message"].as_str().unwrap(), "spec `Scheduler` is In Progress on `main` and frozen");
    assert_contains(finding["hint"].as_str().unwrap(), "cargo xtask new-addon scheduler-2 --depends-on Scheduler");

    // People read the same finding, with the rule, the file and the hint.
    let out = sandbox.xtask().args(["check"]).refused(1);
    assert_contains(&out.stdout, &format!("error[sop-2.1/frozen-spec] {SCHEDULER_SPEC}:{line}:"));
    assert_contains(&out.stdout, "hint: git checkout main -- :/docs/specs/Lancelot_vNext2_Spec_Scheduler.md\n");
}

#[test]
fn editing_a_frozen_spec_in_the_working_tree_fails_against_its_record() {
    let sandbox = frozen_scheduler();
    let text = sandbox.read(SCHEDULER_SPEC);
    sandbox.write(SCHEDULER_SPEC, &format!("{text}\n## Later idea\n\nmore\n"));
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-2.1/frozen-spec");
    assert_eq!(finding["location"], format!("{SCHEDULER_SPEC}:{}", text.lines().count() + 1));
    assert_contains(
        finding["message"].as_str().unwrap(),
        "no longer matches the hash recorded in `docs/specs/frozen/Lancelot_vNext2_Spec_Scheduler.lock`",
    );
}

#[test]
fn deleting_a_frozen_spec_fails() {
    let sandbox = frozen_scheduler();
    sandbox.git(&["switch", "-q", "-c", "chore/cleanup"]);
    std::fs::remove_file(sandbox.path(SCHEDULER_SPEC)).unwrap();
    changelog_entry(&sandbox, "Removed: scheduler");
    sandbox.commit_all("chore: remove the scheduler spec");
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-2.1/frozen-spec");
    assert_eq!(finding["location"], SCHEDULER_SPEC);
    assert_contains(finding["message"].as_str().unwrap(), "this branch deletes it");
    let record_line = line_of(&sandbox.read(SCHEDULER_RECORD), "hash = ");
    assert_eq!(only(&out, "sop-2.1/freeze-record")["location"], format!("{SCHEDULER_RECORD}:{record_line}"));
}

/// A branch may not delete the freeze record of a spec frozen on main; the hint restores it.
#[test]
fn deleting_a_freeze_record_on_a_branch_fails() {
    let sandbox = frozen_scheduler();
    sandbox.git(&["switch", "-q", "-c", "chore/cleanup"]);
    std::fs::remove_file(sandbox.path(SCHEDULER_RECORD)).unwrap();
    changelog_entry(&sandbox, "Removed: a lock file");
    sandbox.commit_all("chore: remove a lock file");
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-2.1/freeze-record");
    assert_eq!(finding["location"], SCHEDULER_RECORD);
    assert_contains(finding["message"].as_str().unwrap(), "this branch deletes its freeze record");
    assert_eq!(finding["hint"], format!("git checkout main -- :/{SCHEDULER_RECORD}"));
    run_git_hint(&sandbox, finding["hint"].as_str().unwrap());
    sandbox.commit_all("fix: restore the freeze record");
    check_passes(&sandbox);
}

/// A malformed record is one finding at `file:line`, and its hint, pasted, restores it.
#[test]
fn a_malformed_freeze_record_fails_with_its_line() {
    let sandbox = frozen_scheduler();
    let record = sandbox.read(SCHEDULER_RECORD);
    sandbox.write(SCHEDULER_RECORD, &record.replace("hash = ", "hash: "));
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-2.1/freeze-record");
    assert_eq!(finding["location"], format!("{SCHEDULER_RECORD}:{}", line_of(&record, "hash = ")));
    assert_eq!(errors(&out).len(), 1, "one finding, not also `status changed by hand`: {}", out.stdout);
    assert_eq!(finding["hint"], format!("git checkout HEAD -- :/{SCHEDULER_RECORD}"));
    run_git_hint(&sandbox, finding["hint"].as_str().unwrap());
    check_passes(&sandbox);
}

/// A record whose spec is missing is reported at the record; a record for a spec that is not
/// frozen is reported at the spec's Status line.
#[test]
fn a_record_must_name_a_frozen_spec() {
    let sandbox = frozen_scheduler();
    let record = sandbox.read(SCHEDULER_RECORD);
    sandbox.write("docs/specs/frozen/Lancelot_vNext2_Spec_Ghost.lock", &record);
    sandbox.write("docs/specs/frozen/Lancelot_vNext2_Spec_HealthMonitor.lock", &record);
    let out = check_fails(&sandbox);
    let ghost = only(&out, "sop-2.1/freeze-record");
    assert_eq!(
        ghost["location"],
        format!("docs/specs/frozen/Lancelot_vNext2_Spec_Ghost.lock:{}", line_of(&record, "hash = "))
    );
    assert_contains(ghost["message"].as_str().unwrap(), "there is no such spec");
    assert_eq!(
        ghost["hint"],
        "it was never committed; remove its record:\nrm \"$(git rev-parse --show-toplevel)\"/docs/specs/frozen/Lancelot_vNext2_Spec_Ghost.lock"
    );
    let monitor = only(&out, "sop-2.1/frozen-spec");
    assert_eq!(monitor["location"], format!("{HM_SPEC}:3"));
    assert_contains(monitor["message"].as_str().unwrap(), "but its Status line says Approved");
}

/// A repository still on the old shared `spec.lock` gets one finding pointing at the migration,
/// and stays protected: a spec frozen in the old lock still fails when edited.
#[test]
fn the_old_spec_lock_is_one_finding_and_still_protects() {
    let sandbox = frozen_scheduler();
    let hash = line_of(&sandbox.read(SCHEDULER_RECORD), "hash = ");
    let hash = sandbox.read(SCHEDULER_RECORD).lines().nth(hash - 1).unwrap().trim_start_matches("hash = ").to_string();
    std::fs::remove_file(sandbox.path(SCHEDULER_RECORD)).unwrap();
    sandbox.write("docs/specs/spec.lock", &format!("# old layout\nLancelot_vNext2_Spec_Scheduler.md = {hash}\n"));
    sandbox.commit_all("chore: the old layout");

    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-2.1/legacy-spec-lock".to_string(), "docs/specs/spec.lock".to_string())]);
    let finding = only(&out, "sop-2.1/legacy-spec-lock");
    assert_contains(finding["message"].as_str().unwrap(), "the repository uses the old layout");
    assert_eq!(finding["hint"], "cargo xtask migrate --dry-run");

    sandbox.write(SCHEDULER_SPEC, &format!("{}\nA late idea.\n", sandbox.read(SCHEDULER_SPEC)));
    let out = check_fails(&sandbox);
    let edited = only(&out, "sop-2.1/frozen-spec");
    assert_contains(
        edited["message"].as_str().unwrap(),
        "no longer matches the hash recorded in `docs/specs/spec.lock`",
    );
    sandbox.git(&["checkout", "main", "--", SCHEDULER_SPEC]);

    // The lifecycle goes on before the migration: the transition writes the new record, leaves
    // the old lock alone, and says how to migrate.
    let out = sandbox.xtask().args(["spec", "complete", "scheduler"]).success();
    assert_contains(&out.stderr, "warning: `docs/specs/spec.lock` is the old layout");
    assert_contains(&out.stderr, "hint: cargo xtask migrate --dry-run");
    assert_contains(&sandbox.read(SCHEDULER_RECORD), "\nhash = ");
    assert_eq!(
        sandbox.read("docs/specs/spec.lock"),
        format!("# old layout\nLancelot_vNext2_Spec_Scheduler.md = {hash}\n")
    );
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-2.1/legacy-spec-lock".to_string(), "docs/specs/spec.lock".to_string())]);
}

#[test]
fn a_lifecycle_transition_by_the_tool_passes_on_a_branch() {
    let sandbox = frozen_scheduler();
    sandbox.git(&["switch", "-q", "-c", "spec/scheduler-complete"]);
    sandbox.xtask().args(["spec", "complete", "scheduler"]).success();
    changelog_entry(&sandbox, "Changed: the scheduler is complete");
    sandbox.commit_all("spec: complete scheduler");
    check_passes(&sandbox);
}

#[test]
fn a_status_changed_by_hand_fails() {
    let sandbox = Sandbox::with_kit();
    land_addon(&sandbox, "scheduler", "Scheduler");
    let text = sandbox.read(SCHEDULER_SPEC);
    sandbox.write(SCHEDULER_SPEC, &text.replace("**Status:** Draft", "**Status:** In Progress"));
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-2.1/frozen-spec");
    assert_eq!(finding["location"], format!("{SCHEDULER_SPEC}:3"));
    assert_contains(finding["message"].as_str().unwrap(), "its status was changed by hand");
    assert_contains(finding["hint"].as_str().unwrap(), "cargo xtask spec start scheduler");
}

// --- repository rules ---------------------------------------------------------------------------

#[test]
fn a_missing_document_fails() {
    let sandbox = Sandbox::with_kit();
    let blueprint = "docs/blueprints/Lancelot_vNext2_Blueprint_HealthMonitor.md";
    std::fs::remove_file(sandbox.path(blueprint)).unwrap();
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-3.2/blueprint".to_string(), blueprint.to_string())]);

    let sandbox = Sandbox::with_kit();
    let runbook = "docs/runbooks/Lancelot_vNext2_Runbook_HealthMonitor.md";
    std::fs::remove_file(sandbox.path(runbook)).unwrap();
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-9/missing-document".to_string(), runbook.to_string())]);
}

#[test]
fn missing_scope_and_contract_sections_fail() {
    let sandbox = Sandbox::with_kit();
    let text = sandbox.read(HM_SPEC);
    sandbox.write(HM_SPEC, &text.replace("### Excluded", "### Not now").replace("### Endpoints", "### Surfaces"));
    let out = check_fails(&sandbox);
    assert_eq!(only(&out, "sop-3.1/scope")["message"], "the section `### Excluded` is missing (spec template v1)");
    assert_contains(only(&out, "sop-3.5/contracts")["message"].as_str().unwrap(), "`### Endpoints`");
    assert_eq!(only(&out, "sop-3.1/scope")["location"], HM_SPEC);

    let sandbox = Sandbox::with_kit();
    let blueprint = "docs/blueprints/Lancelot_vNext2_Blueprint_HealthMonitor.md";
    let text = sandbox.read(blueprint);
    sandbox.write(blueprint, &text.replace("### Round 2", "### Later"));
    let out = check_fails(&sandbox);
    assert_contains(only(&out, "sop-3.2/blueprint-sections")["message"].as_str().unwrap(), "`### Round 2`");
}

#[test]
fn placeholders_warn_in_a_draft_and_fail_once_approved() {
    let sandbox = Sandbox::with_kit();
    land_addon(&sandbox, "scheduler", "Scheduler");
    let text = sandbox.read(SCHEDULER_SPEC);
    let with_todo = text.replacen("### Endpoints\n", "### Endpoints\n\nTODO(sop): decide\n", 1);
    sandbox.write(SCHEDULER_SPEC, &with_todo);
    let out = check_passes(&sandbox);
    assert_eq!(only(&out, "sop-3.5/placeholder")["severity"], "warning");

    sandbox.write(SCHEDULER_SPEC, &with_todo.replace("**Status:** Draft", "**Status:** Approved"));
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-3.5/placeholder");
    assert_eq!(finding["location"], format!("{SCHEDULER_SPEC}:{}", line_of(&with_todo, "TODO(sop): decide")));
    assert_contains(finding["message"].as_str().unwrap(), "the spec is Approved but its contracts are not defined");
}

#[test]
fn an_unknown_template_version_only_warns() {
    let sandbox = Sandbox::with_kit();
    let runbook = "docs/runbooks/Lancelot_vNext2_Runbook_HealthMonitor.md";
    let text = sandbox.read(runbook);
    sandbox.write(runbook, &text.replace("**Template:** runbook v1", "**Template:** runbook v9"));
    let out = check_passes(&sandbox);
    let finding = only(&out, "sop-9/template-version");
    assert_eq!(finding["severity"], "warning");
    assert_contains(finding["message"].as_str().unwrap(), "runbook template v9 is not known here");
}

#[test]
fn depends_on_must_resolve_without_cycles() {
    let sandbox = Sandbox::with_kit();
    let text = sandbox.read(HM_SPEC);
    let line = line_of(&text, "**Depends on:**");
    let depends = text.lines().nth(line - 1).unwrap().to_string();
    sandbox.write(HM_SPEC, &text.replace(&depends, "**Depends on:** [Nowhere](Lancelot_vNext2_Spec_Nowhere.md)  "));
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-3.1/depends-on");
    assert_eq!(finding["location"], format!("{HM_SPEC}:{line}"));
    assert_contains(finding["message"].as_str().unwrap(), "depends on `Nowhere`, which is not a spec here");

    let sandbox = Sandbox::with_kit();
    land_addon(&sandbox, "scheduler", "Scheduler");
    let scheduler = sandbox.read(SCHEDULER_SPEC);
    let scheduler_depends = scheduler.lines().find(|l| l.starts_with("**Depends on:**")).unwrap().to_string();
    sandbox.write(
        SCHEDULER_SPEC,
        &scheduler
            .replace(&scheduler_depends, "**Depends on:** [HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)  "),
    );
    sandbox.write(HM_SPEC, &text.replace(&depends, "**Depends on:** [Scheduler](Lancelot_vNext2_Spec_Scheduler.md)  "));
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-3.1/depends-on-cycle");
    assert_contains(finding["message"].as_str().unwrap(), "HealthMonitor → Scheduler → HealthMonitor");
}

/// The runtime gates an add-on's jobs on its module's `DEPENDS_ON`; the spec's Depends on is what
/// was agreed. What `new-addon` generates agrees, and a change to either side alone is named.
#[test]
fn the_code_and_the_spec_must_name_the_same_dependencies() {
    const MODULE: &str = "src/core/scheduler.rs";
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--depends-on", "health-monitor"]).success();
    check_passes(&sandbox);
    let module = sandbox.read(MODULE);
    let declaration = "pub const DEPENDS_ON: &[&str] = &[\"health_monitor\"];";
    let line = line_of(&module, declaration);

    sandbox.write(MODULE, &module.replace(declaration, "pub const DEPENDS_ON: &[&str] = &[];"));
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-8.2/depends-on-code".to_string(), format!("{MODULE}:{line}"))]);
    let finding = only(&out, "sop-8.2/depends-on-code");
    assert_contains(
        finding["message"].as_str().unwrap(),
        "`src/core/scheduler.rs` depends on nothing at run time, but its spec `Scheduler` depends on `HealthMonitor`",
    );
    assert_contains(finding["hint"].as_str().unwrap(), declaration);

    sandbox.write(MODULE, &module);
    let spec = sandbox.read(SCHEDULER_SPEC);
    let depends = spec.lines().find(|l| l.starts_with("**Depends on:**")).unwrap().to_string();
    sandbox.write(SCHEDULER_SPEC, &spec.replace(&depends, "**Depends on:** none  "));
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-8.2/depends-on-code");
    assert_eq!(finding["location"], format!("{MODULE}:{line}"));
    assert_contains(
        finding["message"].as_str().unwrap(),
        "depends on `HealthMonitor` at run time, but its spec `Scheduler` depends on nothing",
    );
    assert_contains(finding["hint"].as_str().unwrap(), "pub const DEPENDS_ON: &[&str] = &[];");
}

#[test]
fn flags_are_declared_by_their_module_and_env_example_switches_none_on() {
    let sandbox = Sandbox::with_kit();
    // `.env.example` need not list any flag; one it shows must be owned and off.
    let env = sandbox.read(".env.example");
    sandbox.write(".env.example", &format!("{env}FEATURE_HEALTH_MONITOR=true\n"));
    let out = check_fails(&sandbox);
    let line = env.lines().count() + 1;
    assert_eq!(errors(&out), [("sop-3.3/flag-env-example".to_string(), format!(".env.example:{line}"))]);
    assert_contains(&out.stdout, "defaults to `true`");
    sandbox.write(".env.example", &format!("{env}FEATURE_GHOST=false\n"));
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-3.3/orphan-flag".to_string(), format!(".env.example:{line}"))]);
    sandbox.write(".env.example", &env);

    // The module declares the flag the build registers; a wrong one is named at its line.
    let module = sandbox.read("src/core/health_monitor.rs");
    let declaration = "pub const FLAG: &str = \"FEATURE_HEALTH_MONITOR\";";
    sandbox.write(
        "src/core/health_monitor.rs",
        &module.replace(declaration, "pub const FLAG: &str = \"FEATURE_HEALTH\";"),
    );
    let out = check_fails(&sandbox);
    let line = line_of(&module, declaration);
    assert_eq!(errors(&out), [("sop-3.3/flag-declaration".to_string(), format!("src/core/health_monitor.rs:{line}"))]);
    assert_contains(only(&out, "sop-3.3/flag-declaration")["hint"].as_str().unwrap(), declaration);

    // A module compiled in with no spec is an ungoverned add-on.
    sandbox.write("src/core/health_monitor.rs", &module);
    sandbox.write("src/core/ghost.rs", "//! A ghost.\npub const FLAG: &str = \"FEATURE_GHOST\";\n");
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-3.3/orphan-flag".to_string(), "src/core/ghost.rs".to_string())]);
}

/// `check` reads `.env.example` with the runtime's own `.env` syntax: a flag line with a trailing
/// comment or quotes is what the host reads at boot (off), so it passes; a line the host would
/// refuse is a finding at that line (the runtime's own `dotenv` tests refuse the same line).
#[test]
fn env_example_is_read_as_the_runtime_reads_a_dotenv() {
    let sandbox = Sandbox::with_kit();
    let env = sandbox.read(".env.example");
    sandbox.write(".env.example", &format!("{env}FEATURE_HEALTH_MONITOR=false # off until launch\n"));
    check_passes(&sandbox);
    sandbox.write(".env.example", &format!("{env}export FEATURE_HEALTH_MONITOR=\"false\"\n"));
    check_passes(&sandbox);

    sandbox.write(".env.example", &format!("{env}FEATURE_HEALTH_MONITOR=\"false\n"));
    let out = check_fails(&sandbox);
    let line = env.lines().count() + 1;
    assert_eq!(errors(&out), [("sop-3.3/env-example-syntax".to_string(), format!(".env.example:{line}"))]);
    assert_contains(only(&out, "sop-3.3/env-example-syntax")["message"].as_str().unwrap(), "no closing `\"`");
}

/// A repository of the first layout (hand-edited lists between `sop:` markers) is told, in one
/// finding, the command that moves it on.
#[test]
fn the_first_layout_is_one_finding_that_names_migrate() {
    let sandbox = Sandbox::with_kit();
    let env = sandbox.read(".env.example");
    sandbox.write(".env.example", &format!("{env}# sop:flags:begin\nFEATURE_HEALTH_MONITOR=false\n# sop:flags:end\n"));
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-3.3/legacy-layout".to_string(), ".env.example".to_string())]);
    assert_eq!(
        only(&out, "sop-3.3/legacy-layout")["hint"],
        "move to build-time discovery, previewing first: cargo xtask migrate --dry-run"
    );
}

#[test]
fn the_owning_module_must_exist_and_be_the_only_reader_of_its_flag() {
    let sandbox = Sandbox::with_kit();
    sandbox.write(
        "src/peek.rs",
        "//! Peeks at a flag it does not own.\n// FEATURE_HEALTH_MONITOR in a comment is fine.\npub fn peek() -> bool {\n    std::env::var(\"FEATURE_HEALTH_MONITOR\").is_ok()\n}\n",
    );
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-3.4/single-owner".to_string(), "src/peek.rs:4".to_string())]);
    assert_contains(only(&out, "sop-3.4/single-owner")["hint"].as_str().unwrap(), "src/core/health_monitor.rs");

    // Through the owner's constant instead of its name: the same reading, the same finding.
    let sandbox = Sandbox::with_kit();
    sandbox.write(
        "src/peek.rs",
        "//! Peeks at a flag it does not own.\npub fn peek(flags: &crate::flags::Flags) -> bool {\n    flags.is_enabled(crate::core::health_monitor::FLAG)\n}\n",
    );
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-3.4/single-owner".to_string(), "src/peek.rs:3".to_string())]);
    assert_contains(only(&out, "sop-3.4/single-owner")["message"].as_str().unwrap(), "FEATURE_HEALTH_MONITOR");

    let sandbox = Sandbox::with_kit();
    std::fs::remove_file(sandbox.path("src/core/health_monitor.rs")).unwrap();
    let out = check_fails(&sandbox);
    assert_eq!(only(&out, "sop-3.4/owner-module")["location"], "src/core/health_monitor.rs");
}

// --- hygiene and secrets (SOP 4.9) -------------------------------------------------------------

#[test]
fn committing_a_dotenv_fails() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/config"]);
    sandbox.write(".env", "FEATURE_HEALTH_MONITOR=true\n");
    sandbox.git(&["add", "-f", ".env"]);
    changelog_entry(&sandbox, "Fixed: config");
    sandbox.commit_all("fix: config");
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-4.9/env-file".to_string(), ".env".to_string())]);
    assert_contains(only(&out, "sop-4.9/env-file")["hint"].as_str().unwrap(), "git rm --cached :/.env");
}

/// The env-file rule over a corpus of tracked names: `check` and the pre-push hook flag exactly
/// the local configuration files in any case (`.ENV`: macOS and Windows open it as `.env`) and
/// their editor copies (`.env~`, `#.env#`), never a template's exact name in any case nor a name
/// that only looks alike. Each finding's untrack hint, pasted as printed, untracks its file, and
/// the history the push still sends is then judged by the same rule.
#[test]
fn tracked_env_files_are_found_in_any_case_and_as_editor_copies() {
    const FLAGGED: [&str; 8] =
        [".ENV", ".Env.local", ".env~", ".env.local~", "#.env#", "config/PROD.ENV", "config/.env.~1~", "config/.Env"];
    const ALLOWED: [&str; 6] =
        [".Env.Sample", ".ENV.TEMPLATE", "config/.env.dist", "config/.ENV.EXAMPLE", ".envrc", "config/env.md"];
    let sandbox = crate::support::hooked_clone();
    sandbox.git(&["switch", "-q", "-c", "fix/config"]);
    for name in FLAGGED.iter().chain(&ALLOWED) {
        sandbox.write(name, "DB_HOST=localhost\n");
        sandbox.git(&["add", "-f", name]);
    }
    changelog_entry(&sandbox, "Fixed: config");
    sandbox.commit_all("fix: config");
    let mut expected: Vec<(String, String)> =
        FLAGGED.iter().map(|name| ("sop-4.9/env-file".to_string(), name.to_string())).collect();
    expected.sort();
    let sorted = |mut found: Vec<(String, String)>| {
        found.sort();
        found
    };

    let out = check_fails(&sandbox);
    assert_eq!(sorted(errors(&out)), expected, "{}", out.stdout);

    // The pre-push hook runs the same rule on what the push sends.
    let push = sandbox
        .git_command(&sandbox.root)
        .args(["push", "-q", "origin", "fix/config"])
        .env("LANCELOT_XTASK", env!("CARGO_BIN_EXE_xtask"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&push.stderr);
    assert!(!push.status.success(), "the push of tracked .env files passed:\n{stderr}");
    let mut pushed: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("error[sop-4.9/env-file] "))
        .map(|rest| rest.split(':').next().unwrap_or(rest))
        .collect();
    pushed.sort_unstable();
    let mut flagged = FLAGGED.to_vec();
    flagged.sort_unstable();
    assert_eq!(pushed, flagged, "{stderr}");

    // Each hint's `git rm --cached`, pasted as printed, untracks exactly its file.
    let json = out.json();
    for finding in json["findings"].as_array().unwrap() {
        let hint = finding["hint"].as_str().unwrap();
        let untrack = hint.lines().filter_map(crate::support::command_of).find(|c| c.starts_with("git rm --cached "));
        let untrack = untrack.unwrap_or_else(|| panic!("no untrack command in:\n{hint}"));
        let pasted = sandbox.paste(&sandbox.root, &untrack);
        assert_eq!(pasted.code, 0, "{untrack}: {}", pasted.stderr);
    }
    let mut tracked: Vec<String> = sandbox.git(&["ls-files"]).lines().map(str::to_string).collect();
    tracked.retain(|path| FLAGGED.iter().chain(&ALLOWED).any(|name| path == name));
    tracked.sort();
    let mut allowed: Vec<String> = ALLOWED.iter().map(|name| name.to_string()).collect();
    allowed.sort();
    assert_eq!(tracked, allowed);
    sandbox.git(&["commit", "-q", "--no-verify", "-m", "fix: untrack the local configuration"]);

    // Untracked, they are still in the commit the push sends: the history scan flags each.
    let out = check_fails(&sandbox);
    assert_eq!(sorted(errors(&out)), expected, "{}", out.stdout);
    assert_contains(&out.stdout, "deleted later");
}

#[test]
fn committing_a_private_key_fails_without_printing_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/tls"]);
    let (key, body) = fake_private_key();
    sandbox.write("deploy/server.pem", &key);
    sandbox.write("deploy/notes.txt", &format!("the key:\n{key}"));
    changelog_entry(&sandbox, "Fixed: tls");
    sandbox.commit_all("fix: tls");
    let out = check_fails(&sandbox);
    let mut errors = errors(&out);
    errors.sort();
    assert_eq!(
        errors,
        [
            ("sop-4.9/key-file".to_string(), "deploy/server.pem".to_string()),
            ("sop-4.9/secret".to_string(), "deploy/notes.txt:2".to_string()),
            ("sop-4.9/secret".to_string(), "deploy/server.pem:1".to_string()),
        ]
    );
    assert_never_printed(&sandbox, &out, &body);
    let out = sandbox.xtask().args(["check"]).refused(1);
    assert_contains(&out.stdout, "error[sop-4.9/secret/private-key] deploy/notes.txt:2: possible private key added");
    assert_never_printed(&sandbox, &out, &body);
}

#[test]
fn committing_a_cloud_key_fails_without_printing_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "feat/uploads"]);
    let key = fake_aws_key_id();
    sandbox.write("config/uploads.toml", &format!("[s3]\naccess_key_id = \"{key}\"\n"));
    changelog_entry(&sandbox, "Added: uploads");
    sandbox.commit_all("feat: uploads");
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-4.9/secret");
    assert_eq!(finding["location"], "config/uploads.toml:2");
    assert_eq!(finding["message"], "possible AWS access key id added: `AKIA****` (20 characters)");
    assert_never_printed(&sandbox, &out, &key);
    assert_never_printed(&sandbox, &out, &key[4..]);
}

#[test]
fn a_staged_secret_is_found_before_it_is_committed() {
    let sandbox = Sandbox::with_kit();
    let token = ["gh", "p_", "Zq8Lm2Xv7Rt4Nb6Kc1Wd9Yf3Hj5Gs0Pa8Ue2"].concat();
    sandbox.write("scripts/release.sh", &format!("#!/bin/sh\nexport GITHUB_TOKEN={token}\n"));
    sandbox.git(&["add", "scripts/release.sh"]);
    let out = check_fails(&sandbox);
    let finding = only(&out, "sop-4.9/secret");
    assert_eq!(finding["location"], "scripts/release.sh:2");
    assert_contains(finding["message"].as_str().unwrap(), "possible GitHub token added: `ghp_****`");
    assert_never_printed(&sandbox, &out, &token);
}

#[test]
fn the_allow_marker_and_the_allowlist_silence_false_positives() {
    let sandbox = Sandbox::with_kit();
    let key = fake_aws_key_id();
    sandbox.write("docs/example.md", &format!("An example key: {key} <!-- sop:allow-secret -->\n"));
    sandbox.write("fixtures/keys.txt", &format!("{key}\n"));
    sandbox.git(&["add", "docs/example.md", "fixtures/keys.txt"]);
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-4.9/secret".to_string(), "fixtures/keys.txt:1".to_string())]);

    // Only the main branch's allowlist is in effect: the change is committed there.
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write(
        "Cargo.toml",
        &manifest.replace(
            "[workspace.metadata.sop]\n",
            "[workspace.metadata.sop]\nsecret_allowlist_paths = [\"^fixtures/\"]\n",
        ),
    );
    sandbox.git(&["commit", "-q", "--no-verify", "-m", "chore: allow the fixtures", "--", "Cargo.toml"]);
    check_passes(&sandbox);
}

#[test]
fn gitignore_must_cover_dotenv() {
    let sandbox = Sandbox::with_kit();
    sandbox.write(".gitignore", "/target/\n");
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-4.9/gitignore".to_string(), ".gitignore".to_string())]);
}

#[test]
fn env_example_holds_placeholders_only() {
    let sandbox = Sandbox::with_kit();
    let env = sandbox.read(".env.example");
    let value = ["Vq7", "#Lm2", "$Xp9", "Rt4W"].concat();
    sandbox.write(".env.example", &format!("{env}DATABASE_PASSWORD={value}\nAPI_TOKEN=<your-token>\n"));
    let out = check_fails(&sandbox);
    let line = env.lines().count() + 1;
    assert_eq!(errors(&out), [("sop-4.9/env-example".to_string(), format!(".env.example:{line}"))]);
    assert_never_printed(&sandbox, &out, &value);
}

// --- branch rules (SOP 4) ----------------------------------------------------------------------

#[test]
fn a_commit_message_like_stuff_fails() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/thing"]);
    changelog_entry(&sandbox, "Fixed: a thing");
    let bad = sandbox.commit_all("stuff");
    // A merge commit from main is git's message, not the engineer's: ignored.
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.write("README.md", "changed on main\n");
    sandbox.commit_all("docs: readme");
    sandbox.git(&["switch", "-q", "fix/thing"]);
    sandbox.git(&["merge", "-q", "--no-ff", "--no-edit", "main"]);
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-4.5/conventional-commit".to_string(), format!("commit {}", &bad[..10]))]);
    let finding = only(&out, "sop-4.5/conventional-commit");
    assert_contains(finding["message"].as_str().unwrap(), "`stuff` is not a conventional commit");
    assert_contains(finding["message"].as_str().unwrap(), "feat: add scheduler receipts");
}

/// A branch without a fragment fails `sop-4.4/changelog` at the fragment it should add, and the
/// hint, run as printed, writes a fragment that passes.
#[test]
fn a_branch_without_a_changelog_fragment_fails_and_its_hint_fixes_it() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/thing"]);
    sandbox.write("README.md", "changed\n");
    sandbox.commit_all("fix: a thing");
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-4.4/changelog".to_string(), "docs/changelog.d/thing.md".to_string())]);
    let hint = only(&out, "sop-4.4/changelog")["hint"].as_str().unwrap().to_string();
    assert_eq!(
        hint,
        "mkdir -p \"$(git rev-parse --show-toplevel)\"/docs/changelog.d && printf '<!-- section: Fixed -->\\n- Describe the change\\n' > \"$(git rev-parse --show-toplevel)\"/docs/changelog.d/thing.md && git add :/docs/changelog.d/thing.md"
    );
    let shell = std::process::Command::new("sh")
        .args(["-c", &hint])
        .current_dir(&sandbox.root)
        .env("HOME", &sandbox.home)
        .env("GIT_CONFIG_GLOBAL", sandbox.home.join(".gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(shell.success());
    sandbox.git(&["commit", "-q", "--no-verify", "-m", "docs: changelog fragment"]);
    check_passes(&sandbox);
}

/// Adding an entry to CHANGELOG.md's Unreleased section (the old way, which conflicts across
/// branches) is an error at that line that points to the fragment, even with a fragment.
#[test]
fn a_branch_that_edits_the_unreleased_section_fails() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n\nSee docs/changelog.d.\n");
    sandbox.commit_all("docs: changelog");
    sandbox.git(&["switch", "-q", "-c", "fix/thing"]);
    changelog_entry(&sandbox, "Fixed: a thing");
    sandbox
        .write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n\nSee docs/changelog.d.\n\n### Fixed\n\n- a thing\n");
    sandbox.commit_all("fix: a thing");
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-4.4/changelog".to_string(), "CHANGELOG.md:7".to_string())]);
    let finding = only(&out, "sop-4.4/changelog");
    assert_contains(finding["message"].as_str().unwrap(), "entries go in a fragment");
    assert_contains(finding["hint"].as_str().unwrap(), "move the entry to docs/changelog.d/thing.md");
    assert_contains(finding["hint"].as_str().unwrap(), "git checkout main -- :/CHANGELOG.md");
}

#[test]
fn a_branch_name_off_the_policy_fails_and_the_branch_rules_can_be_chosen() {
    let sandbox = Sandbox::with_kit();
    clean_branch(&sandbox, "my-branch");
    let out = check_fails(&sandbox);
    assert_eq!(errors(&out), [("sop-4.1/branch-name".to_string(), String::new())]);
    assert_contains(only(&out, "sop-4.1/branch-name")["hint"].as_str().unwrap(), "git branch -m feat/my-branch");

    let out = sandbox.xtask().args(["check", "--json", "--no-branch-rules"]).success();
    assert_eq!(out.json()["branch_rules"], false);
    // On main the branch rules are off unless asked for.
    sandbox.git(&["switch", "-q", "main"]);
    let out = sandbox.xtask().args(["check", "--json", "--branch-rules"]).success();
    assert_eq!(out.json()["branch_rules"], true);
}

/// A `fix/` branch whose name has no ASCII word git accepts as is (`fix/ÉCOLE`): check's
/// rename hint is a real name, never a `<slug>` placeholder (a shell syntax error when pasted),
/// and keeps the branch's own kind, `fix`, instead of the first configured one. Pasted as
/// printed, it renames the branch, and check then passes.
#[test]
fn the_branch_name_hint_keeps_the_kind_and_pastes() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "fix/ÉCOLE"]);
    sandbox.write("docs/changelog.d/cole.md", "<!-- section: Fixed -->\n- a thing\n");
    sandbox.commit_all("fix: a thing");
    let out = sandbox.xtask().args(["check"]).refused(1);
    assert_eq!(crate::support::hint_commands(&out.all()), ["git branch -m fix/cole", "cargo xtask check"]);
    assert_contains(&out.all(), "hint: rename it (kinds: feat, fix, ");
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.current_branch(), "fix/cole");
    check_passes(&sandbox);
}

#[test]
fn two_slices_on_one_branch_fail() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    sandbox.commit_all("feat: add scheduler");
    sandbox.xtask().args(["new-addon", "jobs", "--yes", "--no-branch"]).success();
    sandbox.commit_all("feat: add jobs");
    let out = check_fails(&sandbox);
    let mut locations: Vec<String> = errors(&out)
        .into_iter()
        .filter(|(rule, _)| rule == "sop-4.1/one-slice")
        .map(|(_, location)| location)
        .collect();
    locations.sort();
    assert_eq!(locations, ["docs/blueprints/Lancelot_vNext2_Blueprint_Scheduler.md", SCHEDULER_SPEC]);
}

#[test]
fn an_addon_branch_needs_tests_receipts_and_its_runbook() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    sandbox.commit_all("feat: add scheduler skeleton");
    check_passes(&sandbox);

    let module = sandbox.read("src/core/scheduler.rs");
    let production = module.split("#[cfg(test)]").next().unwrap();
    let silent: String =
        production.lines().filter(|line| !line.contains("ReceiptKind::")).map(|l| format!("{l}\n")).collect();
    sandbox.write("src/core/scheduler.rs", &silent);
    let test = sandbox.read("tests/integration/scheduler.rs");
    sandbox.write("tests/integration/scheduler.rs", &test.replace("LANCELOT_INTEGRATION", "SOMETHING"));
    sandbox.git(&["add", "src", "tests"]);
    sandbox.git(&["rm", "-q", "--cached", "docs/runbooks/Lancelot_vNext2_Runbook_Scheduler.md"]);
    sandbox.git(&["commit", "-q", "--no-verify", "-m", "feat: strip the scheduler"]);
    let out = sandbox.xtask().args(["check", "--json"]).failure(1);
    let mut rules: Vec<(String, String)> =
        errors(&out).into_iter().filter(|(rule, _)| rule.starts_with("sop-4.4/")).collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            ("sop-4.4/integration-tests".to_string(), "tests/integration/scheduler.rs".to_string()),
            ("sop-4.4/receipts".to_string(), "src/core/scheduler.rs".to_string()),
            ("sop-4.4/runbook".to_string(), "docs/runbooks/Lancelot_vNext2_Runbook_Scheduler.md".to_string()),
            ("sop-4.4/unit-tests".to_string(), "src/core/scheduler.rs".to_string()),
        ]
    );
}

/// The extra scanner runs only with `--extra-scanner` and once this clone approved it (see
/// `trust.rs`, where the refusals are tested); then it can fail the check, and a missing one
/// only warns.
#[test]
fn an_extra_scanner_can_fail_the_check_and_a_missing_one_only_warns() {
    let sandbox = Sandbox::with_kit();
    let manifest = sandbox.read("Cargo.toml");
    let with_scanner = |command: &str| {
        manifest.replace(
            "[workspace.metadata.sop]\n",
            &format!("[workspace.metadata.sop]\nextra_secret_scanner = {command}\n"),
        )
    };
    let scan = |sandbox: &Sandbox, code: i32| {
        sandbox.xtask().args(["trust"]).success();
        sandbox.xtask().args(["check", "--json", "--extra-scanner"]).failure(code)
    };
    sandbox.write("Cargo.toml", &with_scanner("[\"false\"]"));
    let out = scan(&sandbox, 1);
    assert_eq!(errors(&out), [("sop-4.9/extra-scanner".to_string(), String::new())]);
    assert_contains(
        only(&out, "sop-4.9/extra-scanner")["message"].as_str().unwrap(),
        "`false` reported findings (exit 1)",
    );

    // The hint names the command quoted word by word, so that pasted it runs what is configured.
    sandbox.write("Cargo.toml", &with_scanner("[\"sh\", \"-c\", \"echo found one >&2; exit 3\"]"));
    let out = scan(&sandbox, 1);
    assert_contains(
        only(&out, "sop-4.9/extra-scanner")["hint"].as_str().unwrap(),
        "run `sh '-c' 'echo found one >&2; exit 3'` yourself",
    );

    sandbox.write("Cargo.toml", &with_scanner("[\"no-such-secret-scanner\", \"protect\"]"));
    let out = scan(&sandbox, 0);
    assert_eq!(only(&out, "sop-4.9/extra-scanner")["severity"], "warning");

    sandbox.write("Cargo.toml", &with_scanner("[\"true\"]"));
    scan(&sandbox, 0);
    // Without the flag, `check` runs no program: only a warning that says how.
    let out = check_passes(&sandbox);
    assert_eq!(only(&out, "sop-4.9/extra-scanner")["hint"], "run it too: cargo xtask check --extra-scanner");
}

#[test]
fn a_stale_local_main_does_not_make_merged_work_part_of_the_branch() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    // A teammate lands a commit whose message predates the policy, straight on origin's main.
    let mate = sandbox.clone_of(&origin, "mate");
    std::fs::write(mate.join("NOTES.md"), "theirs\n").unwrap();
    sandbox.git_in(&mate, &["add", "-A"]);
    sandbox.git_in(&mate, &["commit", "-q", "--no-verify", "-m", "stuff"]);
    sandbox.git_in(&mate, &["push", "-q", "origin", "main"]);
    // Our local `main` stays stale; the branch starts from the fetched origin/main.
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.git(&["switch", "-q", "-c", "fix/typo", "origin/main"]);
    changelog_entry(&sandbox, "Fixed a typo");
    sandbox.commit_all("fix: correct a typo");
    let out = check_passes(&sandbox);
    assert!(!out.stdout.contains("stuff"), "the teammate's commit was checked as ours:\n{}", out.stdout);
}

/// A spec header with two Status lines: every reader takes the first, so the second is a
/// status nobody sees; `check` reports it at its line.
#[test]
fn a_second_status_line_is_an_error() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--no-branch"]).success();
    let spec = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
    let text = sandbox.read(spec);
    let status = text.lines().find(|line| line.starts_with("**Status:**")).expect("a Status line").to_string();
    sandbox.write(spec, &text.replacen(&status, &format!("{status}\n**Status:** Complete"), 1));
    let json = sandbox.xtask().args(["check", "--json"]).refused(1).json();
    let found = json["findings"].as_array().unwrap().iter().any(|f| {
        f["rule"] == "sop-3.1/spec-header" && f["message"].as_str().unwrap_or("").contains("2 `**Status:**` lines")
    });
    assert!(found, "{json}");
}

/// One byte that is not UTF-8 in the committed `.env.example` stopped `check` (and so the
/// pre-push hook and `onboard`) with "stream did not contain valid UTF-8" and no hint: it is a
/// finding at its line now, with a hint whose command shows the bytes, the rest of the file
/// still judged (its flag default too), and `onboard --dry-run` goes on.
#[test]
fn a_non_utf8_line_in_the_env_example_is_a_finding_not_a_stop() {
    let sandbox = Sandbox::with_kit();
    let mut bytes = std::fs::read(sandbox.path(".env.example")).unwrap();
    bytes.extend_from_slice(b"GREETING=caf\xe9\nFEATURE_HEALTH_MONITOR=true\n");
    std::fs::write(sandbox.path(".env.example"), &bytes).unwrap();
    let line = bytes.iter().filter(|&&b| b == b'\n').count() - 1;
    let out = check_fails(&sandbox);
    let errors = errors(&out);
    assert!(errors.contains(&("sop-3.3/env-example-syntax".to_string(), format!(".env.example:{line}"))), "{errors:?}");
    assert!(errors.iter().any(|(rule, _)| rule == "sop-3.3/flag-env-example"), "the rest was not judged: {errors:?}");
    let text = sandbox.xtask().args(["check"]).failure(1);
    let pasted = crate::support::paste_every_hint(&sandbox, &sandbox.path("docs"), &text.stdout);
    assert!(pasted.iter().any(|p| p.stdout.contains("351")), "od -c shows the byte: {pasted:?}");
    sandbox.xtask().args(["onboard", "--dry-run"]).run();
}

/// On a detached HEAD, the branch-name warning's hint was the placeholder `git switch
/// <kind>/<slug>` (a shell syntax error when pasted); it names a real branch that keeps HEAD's
/// commits, and pasted as printed it puts them on that branch.
#[test]
fn the_detached_head_hint_puts_the_work_on_a_real_branch() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "--detach"]);
    sandbox.write("notes.txt", "work\n");
    sandbox.commit_all("docs: detached work");
    let head = sandbox.head();
    let out = sandbox.xtask().args(["check", "--branch-rules"]).run();
    assert_contains(&out.stdout, "HEAD is detached");
    crate::support::paste_every_hint(&sandbox, &sandbox.path("docs"), &out.stdout);
    assert_eq!(sandbox.head(), head);
    assert_ne!(sandbox.current_branch(), "HEAD", "still detached");
}
