//! `cargo xtask status` (the add-ons' war room) and `cargo xtask graph` on real repositories.

use crate::support::{assert_contains, Sandbox};

#[test]
fn status_shows_every_addon_with_its_docs_flag_branch_and_next_action() {
    let sandbox = Sandbox::with_kit();
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    let health = &json["addons"][0];
    assert_eq!(health["addon"], "HealthMonitor");
    assert_eq!(health["flag"], "FEATURE_HEALTH_MONITOR");
    assert_eq!(health["flag_local"], serde_json::Value::Null, "no `.env` sets it: off");
    assert_eq!(health["flag_registered"], true);
    assert_eq!(
        health["docs"],
        serde_json::json!({ "spec": true, "blueprint": true, "runbook": true, "architecture": true })
    );
    assert_eq!(health["module"], true);
    assert_eq!(health["branch_state"], "none");

    // The clone's own `.env` (never committed) is what the `.ENV` column reports.
    sandbox.write(".env", "FEATURE_HEALTH_MONITOR=true\n");
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    assert_eq!(json["addons"][0]["flag_local"], "true");
    std::fs::remove_file(sandbox.path(".env")).unwrap();

    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--depends-on", "HealthMonitor"]).success();
    sandbox.commit_all("feat: add scheduler skeleton");
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    let scheduler = json["addons"].as_array().unwrap().iter().find(|row| row["addon"] == "Scheduler").unwrap().clone();
    assert_eq!(scheduler["status"], "Draft");
    assert_eq!(scheduler["branch"], "feat/scheduler");
    assert_eq!(scheduler["branch_state"], "open");
    assert!(scheduler["last_activity"].as_str().unwrap().starts_with("20"), "{scheduler}");
    assert_contains(scheduler["recovery"].as_str().unwrap(), "cargo xtask spec approve scheduler");

    std::fs::remove_file(sandbox.path("docs/runbooks/Lancelot_vNext2_Runbook_Scheduler.md")).unwrap();
    let out = sandbox.xtask().args(["status"]).success();
    assert_contains(&out.stdout, "runbook missing → write docs/runbooks/Lancelot_vNext2_Runbook_Scheduler.md");
    assert_contains(&out.stdout, "SB-A");
}

/// Defect (qa3 repro-5): with a `.env` the runtime refuses (`cargo run -- …` exits 2: a flag
/// defined twice, a flag value `yes` or `1`), `status` and `status --all` showed the flag as set
/// (the last duplicate's `true`, or `yes`) with no warning. They show the runtime's verdict: the
/// flag is refused, not on, and a warning names the line and its fix.
#[test]
fn a_dotenv_the_runtime_refuses_is_a_warning_and_its_flag_is_not_on() {
    let sandbox = Sandbox::with_kit();
    sandbox.write(".env", "FEATURE_HEALTH_MONITOR=false\nFEATURE_HEALTH_MONITOR=true\n");
    let out = sandbox.xtask().args(["status"]).success();
    assert_contains(&out.stdout, "refused: defined twice");
    assert_contains(
        &out.stderr,
        "warning: `FEATURE_HEALTH_MONITOR` is defined twice in `.env`: line 1 and line 2; the runtime refuses to start with it (exit 2): keep one definition, delete line 1 or line 2 of .env",
    );
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    assert_eq!(json["addons"][0]["flag_local"], serde_json::Value::Null, "{json}");
    assert_eq!(json["addons"][0]["flag_refused"], "defined twice", "{json}");
    let out = sandbox.xtask().args(["status", "--all"]).success();
    assert_contains(&out.stdout, "refused: defined twice (off)");
    assert_contains(&out.stderr, "`FEATURE_HEALTH_MONITOR` is defined twice in `.env`: line 1 and line 2");

    for value in ["yes", "1"] {
        sandbox.write(".env", &format!("FEATURE_HEALTH_MONITOR={value}\n"));
        let json = sandbox.xtask().args(["status", "--all", "--json"]).success().json();
        let flag = json["flags"].as_array().unwrap().iter().find(|f| f["flag"] == "FEATURE_HEALTH_MONITOR").unwrap();
        assert_eq!(flag["local"], serde_json::Value::Null, "{json}");
        assert_eq!(flag["refused"], format!("`{value}` is not true/false"), "{json}");
        let warnings: Vec<&str> = json["warnings"].as_array().unwrap().iter().filter_map(|w| w.as_str()).collect();
        assert_eq!(
            warnings,
            [format!(
                "`FEATURE_HEALTH_MONITOR={value}` on line 1 of `.env` is not a valid flag value; the runtime refuses to start with it (exit 2): write line 1 of .env as `FEATURE_HEALTH_MONITOR=true` (or `FEATURE_HEALTH_MONITOR=false`)"
            )],
            "{json}"
        );
        let json = sandbox.xtask().args(["status", "--json"]).success().json();
        assert_eq!(json["addons"][0]["flag_refused"], format!("`{value}` is not true/false"), "{json}");
    }

    // What the runtime accepts is shown as it is, with no warning.
    sandbox.write(".env", "FEATURE_HEALTH_MONITOR=TRUE\n");
    let json = sandbox.xtask().args(["status", "--all", "--json"]).success().json();
    assert_eq!(json["flags"][0]["local"], "TRUE", "{json}");
    assert_eq!(json["warnings"], serde_json::json!([]), "{json}");
}

/// A slice squash-merged on `main` (the usual PR merge: main gets one new commit, the branch's
/// tip is no ancestor of it) is `merged` in status, as `prune` judges it, not `open`; in this
/// clone and in a teammate's after a fetch, with the cache and without.
#[test]
fn a_squash_merged_slice_is_merged_not_open() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    sandbox.commit_all("feat: add scheduler skeleton");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--squash", "feat/scheduler"]);
    sandbox.git(&["commit", "-q", "-m", "feat: add scheduler skeleton (#1)"]);
    let row = |args: &[&str]| {
        let json = sandbox.xtask().args(args).success().json();
        json["addons"].as_array().unwrap().iter().find(|row| row["addon"] == "Scheduler").unwrap().clone()
    };
    for args in [&["status", "--json"][..], &["status", "--json"], &["status", "--json", "--no-cache"]] {
        assert_eq!(row(args)["branch_state"], "merged", "{args:?}");
    }
    let prune = sandbox.xtask().args(["prune", "--dry-run", "--json"]).success().stdout;
    assert_contains(&prune, "squash-merged");
    // One more commit on the branch: its work is no longer all in main.
    sandbox.git(&["switch", "-q", "feat/scheduler"]);
    sandbox.write("more.txt", "more\n");
    sandbox.commit_all("feat: more scheduler");
    assert_eq!(row(&["status", "--json"])["branch_state"], "open");
}

#[test]
fn status_reports_the_last_error_from_the_receipts() {
    let sandbox = Sandbox::with_kit();
    std::fs::create_dir_all(sandbox.path(".git/sop")).unwrap();
    sandbox.write(
        ".git/sop/receipts.jsonl",
        "{\"time\":\"2026-11-24T08:00:00Z\",\"unix_ms\":1795500000000,\"command\":\"pre-pr\",\"kind\":\"failure\",\"message\":\"verify failed\",\"reason\":\"cargo test failed\",\"addon\":\"HealthMonitor\"}\nnot json\n",
    );
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    assert_contains(json["addons"][0]["last_error"].as_str().unwrap(), "cargo test failed");
    assert_contains(json["addons"][0]["recovery"].as_str().unwrap(), "last run failed");
    assert_contains(json["problems"][0].as_str().unwrap(), ":2: not a receipt");
}

#[test]
fn graph_draws_dependencies_and_flags_missing_ones() {
    let sandbox = Sandbox::with_kit();
    // The clone's own `.env` (never committed) is what the `.ENV` column reports.
    sandbox.write(".env", "FEATURE_HEALTH_MONITOR=true\n");
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    assert_eq!(json["addons"][0]["flag_local"], "true");
    std::fs::remove_file(sandbox.path(".env")).unwrap();

    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--depends-on", "HealthMonitor"]).success();
    let out = sandbox.xtask().args(["graph"]).success();
    assert_contains(&out.stdout, "```mermaid\ngraph TD\n");
    assert_contains(&out.stdout, "Scheduler --> HealthMonitor");

    let spec = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
    let text = sandbox.read(spec).replace("[HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)", "Ghost");
    sandbox.write(spec, &text);
    let json = sandbox.xtask().args(["graph", "--json"]).success().json();
    assert_eq!(json["missing"], serde_json::json!(["Ghost"]));
    assert_eq!(json["edges"][0], serde_json::json!({ "from": "Scheduler", "to": "Ghost", "resolved": false }));
}

/// A spec whose Status line cannot be read: its row says `unreadable`, and `problems` says which
/// file and why (the table's warning too), rather than an empty list next to the row.
#[test]
fn an_unreadable_status_is_a_problem_too() {
    let sandbox = Sandbox::with_kit();
    let spec = "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md";
    let text = sandbox.read(spec);
    let status_line = text.lines().find(|line| line.contains("**Status:**")).unwrap().to_string();
    sandbox.write(spec, &text.replace(&status_line, "**Status:** Sort of done"));
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    assert_eq!(json["addons"][0]["status"], "unreadable");
    let problems = json["problems"].to_string();
    assert!(problems.contains(spec) && problems.contains("Status"), "{problems}");
    let out = sandbox.xtask().args(["status"]).success();
    assert_contains(&out.stderr, spec);
}

/// A branch deletes an add-on's spec (and its docs) but keeps its module, which still compiles in
/// with its flag: `check` fails on the orphan flag, while the war room dropped the add-on and
/// reported nothing. Proves `status` now names the module as a problem, plain (a warning) and
/// `--json` (`problems`), from the same rule `check` fails on.
#[test]
fn a_module_no_spec_owns_is_a_problem_in_the_war_room_too() {
    let sandbox = Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--no-branch"]).success();
    sandbox.commit_all("feat: add scheduler skeleton");
    for document in ["specs/Lancelot_vNext2_Spec", "blueprints/Lancelot_vNext2_Blueprint"] {
        std::fs::remove_file(sandbox.path(&format!("docs/{document}_Scheduler.md"))).unwrap();
    }
    let check = sandbox.xtask().args(["check", "--json"]).failure(1).json();
    assert!(check["findings"].to_string().contains("sop-3.3/orphan-flag"), "{check}");
    let out = sandbox.xtask().args(["status"]).success();
    assert_contains(&out.stderr, "`src/core/scheduler.rs` is compiled in as an add-on gated by `FEATURE_SCHEDULER`");
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    assert_contains(&json["problems"].to_string(), "sop-3.3/orphan-flag");
}

/// An In Progress slice merged into main and its branch deleted after the merge (`prune`, SOP
/// 4.6) is `merged` with `spec complete` as its next action, not "pre-pr on its branch" (there is
/// no branch), and that action works pasted as printed. While a branch of its name on the remote
/// carries work main lacks, it is not merged.
#[test]
fn an_in_progress_slice_merged_and_its_branch_deleted_is_merged() {
    const SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
    let sandbox = Sandbox::with_kit();
    sandbox.with_origin();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--summary", "Runs jobs"]).success();
    sandbox.write(SPEC, &sandbox.read(SPEC).replace("TODO(sop)", "Defined"));
    sandbox.commit_all("feat: add scheduler skeleton");
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.commit_all("spec: start scheduler");
    // The PR merges on the forge (fast-forward); the branch is deleted after the merge.
    sandbox.git(&["push", "-q", "origin", "feat/scheduler", "feat/scheduler:main"]);
    sandbox.git(&["fetch", "-q", "origin"]);
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--ff-only", "origin/main"]);
    sandbox.xtask().args(["prune", "--yes"]).success();
    assert!(sandbox.git(&["branch", "--list", "feat/scheduler"]).trim().is_empty(), "prune deleted the branch");

    let row = |args: &[&str]| {
        let json = sandbox.xtask().args(args).success().json();
        json["addons"].as_array().unwrap().iter().find(|row| row["addon"] == "Scheduler").unwrap().clone()
    };
    for args in [&["status", "--json"][..], &["status", "--json", "--no-cache"]] {
        let row = row(args);
        assert_eq!(row["branch_state"], "merged", "{args:?}: {row}");
        assert_eq!(row["recovery"], "merged → cargo xtask spec complete scheduler", "{args:?}");
    }
    let human = sandbox.xtask().args(["status"]).success().stdout;
    let line = human.lines().find(|line| line.starts_with("Scheduler")).unwrap();
    let (_, action) = line.split_once("merged → ").unwrap_or_else(|| panic!("no merged action: {line}"));
    sandbox.sh(&sandbox.root, action.trim());
    assert_contains(&sandbox.read(SPEC), "**Status:** Complete");

    // A teammate's branch of that name on the remote with work main lacks: still in flight.
    sandbox.git(&["checkout", "-q", "--", "."]);
    sandbox.git(&["switch", "-q", "-c", "feat/scheduler"]);
    sandbox.write("more.txt", "more\n");
    sandbox.commit_all("feat: more scheduler");
    sandbox.git(&["push", "-q", "origin", "feat/scheduler"]);
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["branch", "-q", "-D", "feat/scheduler"]);
    assert_eq!(row(&["status", "--json"])["branch_state"], "none");
}
