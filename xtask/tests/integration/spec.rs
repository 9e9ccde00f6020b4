//! `cargo xtask spec`: the lifecycle on real repositories. Each transition changes only the Status
//! line (the rest stays byte-identical), leaves a receipt, and freezing records the spec's git blob
//! hash in `docs/specs/spec.lock`; every refusal names the allowed transitions and changes nothing.

use crate::support::{assert_contains, Sandbox};

const SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
const LOCK: &str = "docs/specs/spec.lock";

/// A repository with a Draft `Scheduler` spec whose placeholders are filled in, on its branch.
fn draft_scheduler() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs on a schedule"]).success();
    sandbox.write(SPEC, &sandbox.read(SPEC).replace("TODO(sop)", "Defined"));
    sandbox.commit_all("feat: add scheduler");
    sandbox
}

fn status_line(text: &str) -> &str {
    text.lines().find(|line| line.starts_with("**Status:**")).expect("a Status line")
}

fn receipts(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    sandbox.read(".git/sop/receipts.jsonl").lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn approve_start_and_complete_change_only_the_status_line() {
    let sandbox = draft_scheduler();
    let draft = sandbox.read(SPEC);
    assert_eq!(status_line(&draft), "**Status:** Draft  ");

    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    assert_contains(&out.stdout, "spec `Scheduler`: Draft → Approved");
    assert_contains(&out.stdout, "cargo xtask spec start scheduler");
    let approved = sandbox.read(SPEC);
    assert_eq!(approved, draft.replace("**Status:** Draft  \n", "**Status:** Approved  \n"));
    assert!(!sandbox.exists(LOCK), "approving does not freeze");

    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    let started = sandbox.read(SPEC);
    assert_eq!(started, draft.replace("**Status:** Draft  \n", "**Status:** In Progress  \n"));
    let hash = sandbox.git(&["hash-object", SPEC]).trim().to_string();
    let lock = sandbox.read(LOCK);
    assert_contains(&lock, &format!("Lancelot_vNext2_Spec_Scheduler.md = {hash}\n"));

    let out = sandbox.xtask().args(["spec", "complete", "scheduler", "--json"]).success();
    let json = out.json();
    assert_eq!(
        (json["from"].as_str(), json["to"].as_str(), json["frozen"].as_bool()),
        (Some("In Progress"), Some("Complete"), Some(true))
    );
    let completed = sandbox.read(SPEC);
    assert_eq!(completed, draft.replace("**Status:** Draft  \n", "**Status:** Complete  \n"));
    let hash = sandbox.git(&["hash-object", SPEC]).trim().to_string();
    assert_eq!(json["hash"], hash.as_str());
    assert_contains(&sandbox.read(LOCK), &format!("Lancelot_vNext2_Spec_Scheduler.md = {hash}\n"));

    let spec_receipts: Vec<_> = receipts(&sandbox).into_iter().filter(|r| r["command"] == "spec").collect();
    let messages: Vec<&str> = spec_receipts.iter().map(|r| r["message"].as_str().unwrap()).collect();
    assert_eq!(
        messages,
        [
            "spec Scheduler: Draft → Approved",
            "spec Scheduler: Approved → In Progress",
            "spec Scheduler: In Progress → Complete"
        ]
    );
    assert!(spec_receipts.iter().all(|r| r["kind"] == "state_change" && r["addon"] == "Scheduler"));

    // The frozen, complete spec passes the check with its lock.
    sandbox.commit_all("spec: complete scheduler");
    sandbox.xtask().args(["check", "--no-branch-rules"]).success();
}

#[test]
fn approve_refuses_while_placeholders_remain() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    sandbox.commit_all("feat: add scheduler skeleton");
    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).refused(1);
    assert_contains(&out.stderr, "error: spec `Scheduler` is not ready to approve:");
    assert_contains(&out.stderr, "`TODO(sop)` placeholder(s) left");
    assert_contains(&out.stderr, "hint: replace each `TODO(sop)` with the real content");
    assert_contains(&out.stderr, "cargo xtask spec approve scheduler");

    // A missing contract part blocks approval too, even without placeholders.
    let text = sandbox.read(SPEC).replace("TODO(sop)", "Defined").replace("### Public methods", "### Methods");
    sandbox.write(SPEC, &text);
    sandbox.commit_all("docs: fill in the scheduler spec");
    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).refused(1);
    assert_contains(&out.stderr, "the section `### Public methods` is missing");
}

#[test]
fn invalid_transitions_are_refused_with_the_allowed_ones() {
    let sandbox = draft_scheduler();
    let out = sandbox.xtask().args(["spec", "start", "scheduler"]).refused(2);
    assert_contains(&out.stderr, "error: spec `Scheduler` is Draft; it cannot go to In Progress");
    assert_contains(
        &out.stderr,
        "hint: allowed from Draft: cargo xtask spec approve scheduler or cargo xtask spec supersede scheduler --by <spec>",
    );
    let out = sandbox.xtask().args(["spec", "complete", "scheduler"]).refused(2);
    assert_contains(&out.stderr, "it cannot go to Complete");

    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.commit_all("spec: approve scheduler");
    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).refused(2);
    assert_contains(&out.stderr, "error: spec `Scheduler` is already Approved");
    assert_contains(&out.stderr, "hint: next: cargo xtask spec start scheduler");
}

#[test]
fn supersede_names_the_newer_spec_and_freezes() {
    let sandbox = draft_scheduler();
    let before = sandbox.read(SPEC);
    let out = sandbox.xtask().args(["spec", "supersede", "scheduler", "--by", "health-monitor"]).success();
    assert_contains(&out.stdout, "Superseded");
    assert_eq!(
        sandbox.read(SPEC),
        before.replace(
            "**Status:** Draft  \n",
            "**Status:** Superseded by [HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)  \n"
        )
    );
    assert_contains(&sandbox.read(LOCK), "Lancelot_vNext2_Spec_Scheduler.md = ");
    sandbox.commit_all("spec: supersede scheduler");

    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).refused(2);
    assert_contains(&out.stderr, "spec `Scheduler` is Superseded; it cannot go to Approved");
    assert_contains(&out.stderr, "allowed from Superseded: none: it is final");
}

#[test]
fn bad_supersede_targets_and_unknown_names_are_refused() {
    let sandbox = draft_scheduler();
    let out = sandbox.xtask().args(["spec", "supersede", "scheduler", "--by", "Scheduler"]).refused(2);
    assert_contains(&out.stderr, "error: spec `Scheduler` cannot supersede itself");
    let out = sandbox.xtask().args(["spec", "supersede", "scheduler", "--by", "jobs"]).refused(2);
    assert_contains(&out.stderr, "error: there is no add-on `Jobs`");
    let out = sandbox.xtask().args(["spec", "approve", "nowhere"]).refused(2);
    assert_contains(&out.stderr, "error: there is no add-on `Nowhere` (known: HealthMonitor, Scheduler)");
    assert_contains(&out.stderr, "hint: list them: cargo xtask spec list");
    let out = sandbox.xtask().args(["spec", "approve", "../etc"]).refused(2);
    assert_contains(&out.stderr, "is not an add-on name");
}

#[test]
fn every_spelling_of_the_name_is_accepted() {
    for name in ["scheduler", "Scheduler", "SCHEDULER ", "Lancelot_vNext2_Spec_Scheduler.md", SPEC] {
        let sandbox = draft_scheduler();
        let out = sandbox.xtask().args(["spec", "approve", name, "--json"]).success();
        assert_eq!(out.json()["feature"], "Scheduler", "{name}");
    }
}

#[test]
fn dry_run_writes_nothing() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.commit_all("spec: approve scheduler");
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["spec", "start", "scheduler", "--dry-run"]).success();
    assert_contains(&out.stdout, "dry run");
    assert_contains(&out.stdout, "- **Status:** Approved");
    assert_contains(&out.stdout, "+ **Status:** In Progress");
    assert_contains(&out.stdout, &format!("create  {LOCK}"));
    assert_eq!(sandbox.snapshot(), before);
}

#[test]
fn a_frozen_spec_edited_by_hand_cannot_move_on() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.commit_all("spec: start scheduler");
    sandbox.write(SPEC, &format!("{}\nA late idea.\n", sandbox.read(SPEC)));
    let out = sandbox.xtask().args(["spec", "complete", "scheduler"]).refused(1);
    assert_contains(&out.stderr, "error: spec `Scheduler` was edited after it was frozen");
    assert_contains(&out.stderr, "cargo xtask new-addon scheduler-2 --depends-on Scheduler");
}

#[test]
fn list_shows_every_spec_with_its_status() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    let out = sandbox.xtask().args(["spec", "list"]).success();
    assert_contains(&out.stdout, "FEATURE");
    assert_contains(&out.stdout, "Scheduler");
    assert_contains(&out.stdout, "In Progress (frozen)");
    let json = sandbox.xtask().args(["spec", "list", "--json"]).success().json();
    let specs = json["specs"].as_array().unwrap();
    let scheduler = specs.iter().find(|s| s["feature"] == "Scheduler").unwrap();
    assert_eq!(scheduler["status"], "In Progress");
    assert_eq!(scheduler["frozen"], true);
    assert_eq!(scheduler["locked"], true);
    assert_eq!(scheduler["spec"], SPEC);
    assert!(specs.iter().any(|s| s["feature"] == "HealthMonitor"));
}
