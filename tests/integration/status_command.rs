//! `lancelot status` end to end: the real binary, a cleared environment, a temp dir. Covers every
//! registered flag off and each one on, bad flag values, `.env` handling, the state directory,
//! the receipts log across runs, and bad usage.
//!
//! These tests iterate `lancelot::flags::REGISTRY`, so a new add-on is covered without edits here.

use lancelot::flags::REGISTRY;
use lancelot::receipts::{read_log, Receipt, ReceiptKind};

use crate::support::Sandbox;

const RECEIPTS: &str = ".lancelot/receipts.jsonl";

fn receipts(sandbox: &Sandbox, relative: &str) -> Vec<Receipt> {
    let contents = read_log(&sandbox.path().join(relative)).expect("a readable receipts log");
    assert_eq!(contents.torn_tail, None);
    contents.receipts
}

fn kinds_of(receipts: &[Receipt], addon: &str) -> Vec<ReceiptKind> {
    receipts.iter().filter(|receipt| receipt.addon == addon).map(|receipt| receipt.kind).collect()
}

#[test]
fn with_every_flag_off_every_add_on_is_disabled_and_skipped() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.lancelot(&["status"]).success();
    assert!(outcome.stdout.contains("ADDON"), "{}", outcome.stdout);
    assert_eq!(outcome.stderr, "");
    let receipts = receipts(&sandbox, RECEIPTS);
    for spec in REGISTRY {
        assert_eq!(outcome.row(spec.addon)[1..3], ["disabled", spec.name]);
        assert_eq!(kinds_of(&receipts, spec.addon), [ReceiptKind::Skipped], "{receipts:#?}");
        let skipped = receipts.iter().find(|receipt| receipt.addon == spec.addon).map(|r| r.message.as_str());
        assert!(skipped.is_some_and(|message| message.contains(spec.name)), "the reason names the flag: {skipped:?}");
    }
}

#[test]
fn with_each_flag_on_its_add_on_starts_and_only_it() {
    for spec in REGISTRY {
        let sandbox = Sandbox::new();
        let outcome = sandbox.lancelot(&["status"]).env(spec.name, "true").success();
        assert_eq!(outcome.row(spec.addon)[1], "running", "{}", outcome.stdout);
        let receipts = receipts(&sandbox, RECEIPTS);
        let own = kinds_of(&receipts, spec.addon);
        assert_eq!(own.first(), Some(&ReceiptKind::StateChange), "{} starts with a state change: {own:?}", spec.addon);
        assert!(!own.contains(&ReceiptKind::Skipped) && !own.contains(&ReceiptKind::Failure), "{own:?}");
        for other in REGISTRY.iter().filter(|other| other.name != spec.name) {
            assert_eq!(outcome.row(other.addon)[1], "disabled", "{} must stay off", other.addon);
        }
    }
}

#[test]
fn an_invalid_flag_value_is_refused_with_exit_2_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    let outcome = sandbox.lancelot(&["status"]).env("FEATURE_HEALTH_MONITOR", "maybe").failure(2);
    assert_eq!(
        outcome.stderr,
        "error: `FEATURE_HEALTH_MONITOR=maybe` is not a valid flag value (set in the environment)\n\
         hint: accepted values are `true` or `false`: FEATURE_HEALTH_MONITOR=false cargo run -- status\n"
    );
    assert_eq!(outcome.stdout, "");
    assert_eq!(sandbox.snapshot(), before, "no receipts log may be created");
}

#[test]
fn every_registered_flag_refuses_values_other_than_true_or_false() {
    for spec in REGISTRY {
        for value in ["1", "yes", "on", ""] {
            let outcome = Sandbox::new().lancelot(&["status"]).env(spec.name, value).failure(2);
            assert!(outcome.stderr.starts_with(&format!("error: `{}={value}` is not a valid flag value", spec.name)));
        }
        Sandbox::new().lancelot(&["status"]).env(spec.name, "TRUE").success();
        Sandbox::new().lancelot(&["status"]).env(spec.name, "False").success();
    }
}

#[test]
fn dotenv_enables_flags_and_the_environment_wins() {
    let sandbox = Sandbox::new();
    sandbox.write(".env", "# local flags\nexport FEATURE_HEALTH_MONITOR='true'  # on for local work\n");
    let outcome = sandbox.lancelot(&["status"]).success();
    assert_eq!(outcome.row("health_monitor")[1], "running");
    let outcome = sandbox.lancelot(&["status"]).env("FEATURE_HEALTH_MONITOR", "false").success();
    assert_eq!(outcome.row("health_monitor")[1], "disabled");
}

#[test]
fn a_bad_dotenv_value_names_the_line() {
    let sandbox = Sandbox::new();
    sandbox.write(".env", "\nFEATURE_HEALTH_MONITOR=maybe\n");
    let outcome = sandbox.lancelot(&["status"]).failure(2);
    let dotenv = sandbox.path().join(".env");
    assert_eq!(
        outcome.stderr,
        format!(
            "error: `FEATURE_HEALTH_MONITOR=maybe` is not a valid flag value (set in `{0}` line 2)\n\
             hint: accepted values are `true` or `false`: change line 2 of `{0}` to `FEATURE_HEALTH_MONITOR=false` (or `FEATURE_HEALTH_MONITOR=true`)\n",
            dotenv.display()
        )
    );
}

#[test]
fn a_malformed_or_duplicated_dotenv_is_refused_and_changes_nothing() {
    for (text, message) in [
        ("OK=1\nnot a definition\n", "line 2 is malformed: expected `KEY=VALUE`"),
        ("FEATURE_HEALTH_MONITOR=true\nFEATURE_HEALTH_MONITOR=false\n", "is defined twice in"),
        ("A=\"unterminated\n", "line 1 is malformed: the double-quoted value has no closing"),
    ] {
        let sandbox = Sandbox::new();
        sandbox.write(".env", text);
        let before = sandbox.snapshot();
        let outcome = sandbox.lancelot(&["status"]).failure(2);
        assert!(outcome.stderr.starts_with("error: `"), "{}", outcome.stderr);
        assert!(outcome.stderr.contains(message), "{text:?}: {}", outcome.stderr);
        assert!(outcome.stderr.contains("\nhint: "), "{}", outcome.stderr);
        assert_eq!(sandbox.snapshot(), before);
    }
}

/// Defect (repro-9): a `.env` that is not UTF-8, or a directory, was reported as a
/// state-directory failure (exit 1, a `LANCELOT_STATE_DIR` hint that fails the same way). It is
/// bad input: exit 2, a hint about the `.env`, nothing written.
#[test]
fn an_unreadable_dotenv_is_bad_input_with_a_hint_about_it() {
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.path().join(".env"), b"FEATURE_HEALTH_MONITOR=\xff\n").expect("write .env");
    let before = sandbox.snapshot();
    let outcome = sandbox.lancelot(&["run", "--once"]).failure(2);
    assert!(outcome.stderr.contains(".env` cannot be read: it is not UTF-8 text\nhint: save `"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("LANCELOT_STATE_DIR"), "{}", outcome.stderr);
    assert_eq!(sandbox.snapshot(), before);

    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.path().join(".env")).expect("a directory named .env");
    let outcome = sandbox.lancelot(&["status"]).failure(2);
    assert!(outcome.stderr.contains(".env` cannot be read: it is a directory\nhint: "), "{}", outcome.stderr);
}

#[test]
fn unknown_feature_variables_are_warned_about_not_ignored() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.lancelot(&["status", "--json"]).env("FEATURE_TYPO", "true").success();
    assert!(
        outcome.stderr.starts_with("warning: unknown flag `FEATURE_TYPO` in the environment is ignored"),
        "{}",
        outcome.stderr
    );
    assert!(outcome
        .stderr
        .contains("hint: unset FEATURE_TYPO, or add the add-on it should gate: cargo xtask new-addon typo"));
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("status --json prints JSON");
    assert_eq!(json["warnings"].as_array().map(Vec::len), Some(1));
}

#[test]
fn json_output_has_a_row_per_registered_add_on() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.lancelot(&["status", "--json"]).env("FEATURE_HEALTH_MONITOR", "true").success();
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("status --json prints JSON");
    let entries = json["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), REGISTRY.len());
    for spec in REGISTRY {
        let entry = entries.iter().find(|entry| entry["addon"] == spec.addon).expect("a row per add-on");
        assert_eq!(entry["flag"], spec.name);
        assert!(entry["last_activity_ms"].is_u64(), "{entry}");
    }
    let monitor = entries.iter().find(|entry| entry["addon"] == "health_monitor").expect("health_monitor row");
    assert_eq!(monitor["status"], "running");
    assert_eq!(monitor["last_error"], serde_json::Value::Null);
    assert_eq!(json["receipts"], sandbox.path().join(RECEIPTS).display().to_string());
    assert!(json["generated_at_ms"].is_u64());
}

#[test]
fn receipts_accumulate_across_runs_in_the_chosen_state_dir() {
    let sandbox = Sandbox::new();
    sandbox.lancelot(&["status"]).env("LANCELOT_STATE_DIR", "var/state").success();
    sandbox
        .lancelot(&["status"])
        .env("LANCELOT_STATE_DIR", "var/state")
        .env("FEATURE_HEALTH_MONITOR", "true")
        .success();
    assert!(!sandbox.path().join(".lancelot").exists());
    let receipts = receipts(&sandbox, "var/state/receipts.jsonl");
    let monitor = kinds_of(&receipts, "health_monitor");
    // `status` boots (a state change) but runs no job: the checks run only in a READY host.
    assert_eq!(monitor, [ReceiptKind::Skipped, ReceiptKind::StateChange], "{monitor:?}");
    assert!(receipts.windows(2).all(|pair| pair[0].timestamp_ms <= pair[1].timestamp_ms));
}

#[test]
fn an_empty_state_dir_setting_is_bad_input() {
    let outcome = Sandbox::new().lancelot(&["status"]).env("LANCELOT_STATE_DIR", "").failure(2);
    assert!(outcome.stderr.starts_with("error: `LANCELOT_STATE_DIR` is set but empty\nhint: "), "{}", outcome.stderr);
}

/// A torn last line (a write interrupted by a crash) is kept, reported once, and the next
/// receipts start on a fresh line: nothing written before is lost or rewritten.
#[test]
fn a_torn_receipts_log_is_repaired_with_a_warning() {
    let sandbox = Sandbox::new();
    sandbox.lancelot(&["status"]).success();
    let intact = sandbox.read(RECEIPTS);
    let torn = format!("{intact}{{\"timestamp_ms\":12");
    sandbox.write(RECEIPTS, &torn);
    let outcome = sandbox.lancelot(&["status"]).success();
    assert!(outcome.stderr.starts_with("warning: the last line of `"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("was torn (18 bytes at byte "), "{}", outcome.stderr);
    assert!(sandbox.read(RECEIPTS).starts_with(&format!("{torn}\n")));
    let contents = read_log(&sandbox.path().join(RECEIPTS)).expect("a readable receipts log");
    assert_eq!((contents.receipts.len(), contents.unreadable.count), (2 * REGISTRY.len(), 1));
    assert_eq!(sandbox.lancelot(&["status"]).success().stderr, "", "reported once");
}

/// Defect: `status` deleted a complete last line it could not parse (a receipt of a kind a
/// newer runtime writes) as "torn". Now it keeps every complete line, byte for byte.
#[test]
fn a_newer_receipt_kind_at_the_end_of_the_log_is_kept() {
    let sandbox = Sandbox::new();
    sandbox.lancelot(&["status"]).success();
    let newer =
        r#"{"timestamp_ms":12,"addon":"from_a_newer_runtime","kind":"rollback","message":"undone","detail":{"v":2}}"#;
    let before = format!("{}{newer}\n", sandbox.read(RECEIPTS));
    sandbox.write(RECEIPTS, &before);
    let outcome = sandbox.lancelot(&["status"]).success();
    assert_eq!(outcome.stderr, "");
    assert!(sandbox.read(RECEIPTS).starts_with(&before), "the newer receipt was removed or rewritten");
    let kept = receipts(&sandbox, RECEIPTS).into_iter().find(|r| r.addon == "from_a_newer_runtime").expect("kept");
    assert_eq!((kept.kind, kept.kind_name()), (ReceiptKind::Unknown, "rollback"));
}

/// Defect: a line `status` could not parse in the middle of the log stopped it (exit 1) on
/// every run. The runtime only appends: it reads no more than the end of the log, leaves every
/// existing byte alone, and the lines readers cannot parse are counted, not fatal.
#[test]
fn a_log_with_unreadable_lines_is_appended_to_and_left_alone() {
    let sandbox = Sandbox::new();
    sandbox.lancelot(&["status"]).success();
    let corrupt = format!("garbage\n{}\u{0}\u{1}\n", sandbox.read(RECEIPTS));
    sandbox.write(RECEIPTS, &corrupt);
    let outcome = sandbox.lancelot(&["status"]).success();
    assert_eq!(outcome.stderr, "");
    assert!(sandbox.read(RECEIPTS).starts_with(&corrupt));
    let contents = read_log(&sandbox.path().join(RECEIPTS)).expect("a readable receipts log");
    assert_eq!((contents.receipts.len(), contents.unreadable.count), (2 * REGISTRY.len(), 2));
    let summary = contents.unreadable.summary().expect("a summary");
    assert!(summary.starts_with("2 lines could not be read (first at line 1: it is not a receipt"), "{summary}");
}

#[test]
fn bad_usage_exits_2_with_a_hint() {
    let sandbox = Sandbox::new();
    for (args, message) in [
        (&[][..], "error: no command given\n"),
        (&["start"][..], "error: unknown command `start`\n"),
        (&["status", "--yaml"][..], "error: unexpected argument `--yaml` for `status`\n"),
    ] {
        let outcome = sandbox.lancelot(args).failure(2);
        assert!(outcome.stderr.starts_with(message), "{args:?}: {}", outcome.stderr);
        assert!(outcome.stderr.contains("\nhint: "), "{}", outcome.stderr);
    }
    assert_eq!(sandbox.snapshot().len(), 0, "bad usage writes nothing");
}

#[test]
fn help_lists_the_commands_and_every_registered_flag() {
    let outcome = Sandbox::new().lancelot(&["--help"]).success();
    assert!(outcome.stdout.starts_with("lancelot: the Lancelot runtime host\n"));
    assert!(outcome.stdout.contains("  status "));
    for spec in REGISTRY {
        assert!(outcome.stdout.contains(spec.name), "{}", outcome.stdout);
    }
    assert_eq!(Sandbox::new().lancelot(&["status", "--help"]).success().stdout, outcome.stdout);
}

#[test]
fn the_state_dir_can_come_from_dotenv_and_the_environment_wins() {
    let sandbox = Sandbox::new();
    sandbox.write(".env", "LANCELOT_STATE_DIR=from-dotenv\n");
    sandbox.lancelot(&["status"]).success();
    assert_eq!(receipts(&sandbox, "from-dotenv/receipts.jsonl").len(), REGISTRY.len());
    sandbox.lancelot(&["status"]).env("LANCELOT_STATE_DIR", "from-env").success();
    assert_eq!(receipts(&sandbox, "from-env/receipts.jsonl").len(), REGISTRY.len());
    assert!(!sandbox.path().join(".lancelot").exists());
}

/// Defect (repro-11): the state directory is `.lancelot` in the current directory, and cargo runs
/// the package from any subdirectory, but `.gitignore` only ignored the root's `/.lancelot/`, so
/// `cd src && cargo run -- status` left untracked state that `git add -A` committed. The
/// repository's `.gitignore` now ignores `.lancelot/` at any depth.
#[test]
fn the_state_directory_is_ignored_in_any_subdirectory() {
    let sandbox = Sandbox::new();
    let ignore = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.gitignore")).expect(".gitignore");
    sandbox.write(".gitignore", &ignore);
    sandbox.lancelot(&["status"]).success();
    std::fs::create_dir(sandbox.path().join("src")).expect("mkdir src");
    sandbox.lancelot(&["status"]).current_dir("src").success();
    assert!(sandbox.path().join("src/.lancelot/receipts.jsonl").is_file());
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(sandbox.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs")
    };
    assert!(git(&["init", "-q"]).status.success());
    let status = git(&["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(String::from_utf8_lossy(&status.stdout), "?? .gitignore\n");
}
