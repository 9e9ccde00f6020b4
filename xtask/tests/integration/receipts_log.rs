//! The tool's receipts log (`.git/sop/receipts.jsonl`) as `receipts` and `status` read it:
//! receipts of kinds a newer xtask writes are kept and shown as unknown, a log of garbage gives
//! one summary line instead of one warning per line, and reads start from the end of the log, so
//! what a command shows decides what it reads. Reading never changes the log.
//!
//! How fast this is on a 100 MB log is measured by `cargo xtask bench`, never asserted here.

use crate::support::{assert_contains, Sandbox};

const LOG: &str = ".git/sop/receipts.jsonl";

/// A receipt line of the tool's format.
fn receipt(command: &str, kind: &str, addon: Option<&str>, unix_ms: u64) -> String {
    let mut value = serde_json::json!({
        "time": "2026-11-24T08:00:00Z", "unix_ms": unix_ms, "command": command, "kind": kind,
        "message": format!("{command} {kind} at {unix_ms}"),
    });
    if let Some(addon) = addon {
        value["addon"] = addon.into();
    }
    format!("{value}\n")
}

fn write_log(sandbox: &Sandbox, text: &str) {
    std::fs::create_dir_all(sandbox.path(".git/sop")).unwrap();
    sandbox.write(LOG, text);
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|line| line.starts_with("warning:")).collect()
}

/// A receipt of a kind this version does not know is listed as unknown, comes back in
/// `--json` with its kind unchanged, and the log is left byte-identical.
#[test]
fn a_newer_kind_is_shown_as_unknown_and_kept() {
    let sandbox = Sandbox::with_kit();
    let log = receipt("new-addon", "state_change", None, 1) + &receipt("undo", "rollback", Some("Scheduler"), 2);
    write_log(&sandbox, &log);
    let out = sandbox.xtask().args(["receipts"]).success();
    assert_contains(&out.stdout, "rollback (unknown)");
    assert_eq!(warnings(&out.stderr), Vec::<&str>::new());
    let json = sandbox.xtask().args(["receipts", "--json"]).success().json();
    assert_eq!(json["receipts"][1]["kind"], "rollback");
    assert_eq!(json["problems"], serde_json::json!([]));
    assert_eq!(sandbox.read(LOG), log);
}

/// Defect: a log of garbage printed one warning per line (a million for a million lines). Now
/// `receipts` and `status` print one summary line naming the count and the first bad line.
#[test]
fn a_log_of_garbage_gives_one_summary_line() {
    let sandbox = Sandbox::with_kit();
    let log = receipt("check", "job", None, 1) + &"garbage\n".repeat(10_000) + &receipt("check", "job", None, 2);
    write_log(&sandbox, &log);
    let out = sandbox.xtask().args(["receipts", "--limit", "5"]).success();
    let found = warnings(&out.stderr);
    assert_eq!(found.len(), 1, "{}", out.stderr);
    assert_contains(found[0], "10,000 lines could not be read and were skipped (first at line 2: not a receipt");
    let out = sandbox.xtask().args(["status"]).success();
    let found = warnings(&out.stderr);
    assert_eq!(found.len(), 1, "{}", out.stderr);
    assert_contains(found[0], "10,000 lines could not be read");
    assert_eq!(sandbox.read(LOG), log, "reading changed the log");
}

/// `receipts --limit N` reads from the end: the newest N are found without reading the start
/// of the log (so a damaged start goes unmentioned), and it says when older receipts exist.
#[test]
fn receipts_reads_the_newest_from_the_end() {
    let sandbox = Sandbox::with_kit();
    let newest: String = (1..=3).map(|n| receipt("pre-pr", "job", None, n)).collect();
    write_log(&sandbox, &format!("not a receipt at the start\n{newest}"));
    let out = sandbox.xtask().args(["receipts", "--limit", "2"]).success();
    assert_eq!(warnings(&out.stderr), Vec::<&str>::new(), "the start of the log was read");
    assert_contains(&out.stdout, "pre-pr job at 3");
    assert!(!out.stdout.contains("pre-pr job at 1"), "{}", out.stdout);
    assert_contains(&out.stdout, "(older receipts not shown; --limit 4 shows more)");
    let out = sandbox.xtask().args(["receipts", "--limit", "10"]).success();
    assert_contains(&out.stderr, "receipts.jsonl:1: not a receipt");
    assert!(!out.stdout.contains("older receipts"), "{}", out.stdout);
}

/// `status` finds each add-on's last error and last activity reading from the end, however many
/// receipts of other commands came after them.
#[test]
fn status_finds_the_last_error_from_the_end() {
    let sandbox = Sandbox::with_kit();
    let mut log = receipt("pre-pr", "failure", Some("HealthMonitor"), 1_795_500_000_000);
    log.push_str(&receipt("check", "job", None, 1_795_500_001_000).repeat(5_000));
    log.push_str(&receipt("spec", "state_change", Some("HealthMonitor"), 1_795_500_002_000));
    write_log(&sandbox, &log);
    let json = sandbox.xtask().args(["status", "--json"]).success().json();
    let health = &json["addons"][0];
    assert_contains(health["last_error"].as_str().unwrap(), "pre-pr failure at 1795500000000");
    assert_eq!(json["problems"], serde_json::json!([]));
}

/// A log bigger than the read budget (16 MiB): `receipts --limit 1` shows the newest receipt,
/// and looking for an older one it stops at the budget, says so, and summarises what it could
/// not read in one line; so does `status`.
#[test]
fn reads_stop_at_the_budget() {
    let sandbox = Sandbox::with_kit();
    let line = "x".repeat(1023) + "\n";
    let log = line.repeat(17 * 1024) + &receipt("check", "job", None, 7);
    write_log(&sandbox, &log);
    let out = sandbox.xtask().args(["receipts", "--limit", "1"]).success();
    assert_contains(&out.stdout, "check job at 7");
    assert_contains(&out.stdout, "(only the last 16 MiB of the log were read)");
    assert_eq!(warnings(&out.stderr).len(), 1, "{}", out.stderr);
    assert_contains(&out.stderr, "16,383 lines could not be read and were skipped (first at byte ");
    let out = sandbox.xtask().args(["status"]).success();
    let found = warnings(&out.stderr);
    assert_eq!(found.len(), 1, "{}", out.stderr);
    assert_contains(found[0], "lines could not be read and were skipped (first at byte ");
}

/// `receipts --command X` with no receipt of X says that, not that the log is empty.
#[test]
fn a_command_filter_with_no_match_says_what_was_looked_for() {
    let sandbox = crate::support::Sandbox::with_kit();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--no-branch"]).success();
    let out = sandbox.xtask().args(["receipts", "--command", "sync"]).success();
    crate::support::assert_contains(&out.stdout, "no receipt of `sync`");
    assert!(!out.stdout.contains("no receipts yet"), "{}", out.stdout);
}
