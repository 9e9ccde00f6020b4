//! The incremental cache of `check` and `status` (`xtask/src/cache.rs`) is invisible: on a
//! repository of 250 add-ons (1,000 documents and 250 modules), a one-byte change to one document
//! — only in the worktree with its modification time put back, staged, committed, by a branch
//! switch — is seen, and only that document is read again; on 40 add-ons, a change of template,
//! configuration or tool binary is seen, a damaged cache is rebuilt, a linked one never written
//! through, and a staged secret found. Every result equals `--no-cache`'s.
//!
//! The cache stores what it derived from a file only once the file's times are two seconds old
//! (a racy file is read on every run). The one-byte test waits that long, for real; the others
//! run the same rule with a test-only window of 300 ms (`XTASK_TEST_SETTLE_MS`), so the suite
//! does not spend its time asleep.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::Sandbox;

/// The scale of the one-byte test: 1,000 documents. The other properties do not depend on the
/// number of add-ons, and run on [`FEW`] (the suite's time is a target too).
const ADDONS: usize = 250;
const FEW: usize = 40;
const REFERENCE: [(&str, &str); 5] = [
    ("HealthMonitor", "Gen{P}"),
    ("health_monitor", "gen_{s}"),
    ("HEALTH_MONITOR", "GEN_{S}"),
    ("Health Monitor", "Gen {P}"),
    ("health-monitor", "gen-{s}"),
];
const FILES: [&str; 5] = [
    "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md",
    "docs/blueprints/Lancelot_vNext2_Blueprint_HealthMonitor.md",
    "docs/runbooks/Lancelot_vNext2_Runbook_HealthMonitor.md",
    "docs/architecture/Lancelot_vNext2_Architecture_HealthMonitor.md",
    "src/core/health_monitor.rs",
];

/// The kit plus `count - 1` more add-ons made from the reference one, every name replaced
/// (`GenAb`, `gen_ab`, `FEATURE_GEN_AB`…), committed on `main`.
fn many_addons(count: usize) -> Sandbox {
    Sandbox::cached(&format!("cache-{count}-addons"), || {
        let sandbox = Sandbox::with_kit();
        let sources: Vec<String> = FILES.iter().map(|file| sandbox.read(file)).collect();
        for index in 1..count {
            let letters = [b'a' + (index / 26) as u8, b'a' + (index % 26) as u8];
            let lower = String::from_utf8(letters.to_vec()).unwrap();
            let pascal = format!("{}{}", lower[..1].to_uppercase(), &lower[1..]);
            let fill = |pattern: &str| {
                pattern.replace("{P}", &pascal).replace("{s}", &lower).replace("{S}", &lower.to_uppercase())
            };
            for (file, source) in FILES.iter().zip(&sources) {
                let mut text = source.clone();
                let mut path = file.to_string();
                for (from, to) in REFERENCE {
                    text = text.replace(from, &fill(to));
                    path = path.replace(from, &fill(to));
                }
                sandbox.write(&path, &text);
            }
        }
        sandbox.commit_all("feat: more add-ons");
        sandbox
    })
}

thread_local! {
    /// The settle window of this test's runs: the test-only short one (`XTASK_TEST_SETTLE_MS`),
    /// or, for the main one-byte test, the real two seconds (see [`real_window`]).
    static WINDOW_MS: std::cell::Cell<u64> = const { std::cell::Cell::new(SHORT_MS) };
}

/// The short settle window the cache's tests run with: the rule is the same, only its length.
const SHORT_MS: u64 = 300;

/// This test runs with the cache's real settle window (two seconds).
fn real_window() {
    WINDOW_MS.with(|window| window.set(2_000));
}

/// The xtask as this test runs it: with the test's settle window.
fn xtask(sandbox: &Sandbox) -> crate::support::Run<'_> {
    let window = WINDOW_MS.with(std::cell::Cell::get);
    let run = sandbox.xtask();
    if window == 2_000 {
        run
    } else {
        run.env("XTASK_TEST_SETTLE_MS", &window.to_string())
    }
}

/// Lets every file of the fixture settle (see the module's documentation): the window, and a
/// tenth of a second more.
fn settle() {
    std::thread::sleep(Duration::from_millis(WINDOW_MS.with(std::cell::Cell::get) + 100));
}

/// `check --json`'s findings and cache figures, with `args` added.
fn check(sandbox: &Sandbox, args: &[&str]) -> (Vec<Value>, Value) {
    let out = xtask(sandbox).args(["check", "--json", "--no-branch-rules"]).args(args).without_cargo().run();
    assert!(out.code == 0 || out.code == 1, "check crashed ({}):\n{}", out.code, out.stderr);
    let json = out.json();
    (json["findings"].as_array().unwrap().clone(), json["cache"].clone())
}

/// `check --json --no-branch-rules` as this test runs it (its environment), but with the binary
/// `program`, in `dir`: its report.
fn check_json_with(sandbox: &Sandbox, program: &Path, dir: &Path) -> Value {
    let isolated = xtask(sandbox).args(["check", "--json", "--no-branch-rules"]).command();
    let mut command = std::process::Command::new(program);
    command.args(isolated.get_args()).current_dir(dir).env_clear();
    for (key, value) in isolated.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    let out = command.output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The findings with the cache, after asserting that they are exactly `--no-cache`'s; and the
/// cache's figures of that run.
fn judged(sandbox: &Sandbox) -> (Vec<Value>, Value) {
    let (cached, stats) = check(sandbox, &[]);
    let (fresh, fresh_stats) = check(sandbox, &["--no-cache"]);
    assert_eq!(fresh_stats["enabled"], false);
    assert_eq!(cached, fresh, "the cache changed what check found");
    (cached, stats)
}

fn reused(stats: &Value) -> u64 {
    stats["reused"].as_u64().unwrap()
}

fn read(stats: &Value) -> u64 {
    stats["read"].as_u64().unwrap()
}

fn at(findings: &[Value], rule: &str, file: &str) -> usize {
    findings
        .iter()
        .filter(|finding| finding["rule"] == rule && finding["location"].as_str().is_some_and(|l| l.starts_with(file)))
        .count()
}

/// Changes one byte of a heading of `file`, keeping its size: the section is then missing.
fn break_heading(sandbox: &Sandbox, file: &str, heading: &str) {
    let text = sandbox.read(file);
    assert!(text.contains(heading), "{file} has no `{heading}`");
    let broken = format!("{}X", &heading[..heading.len() - 1]);
    sandbox.write(file, &text.replacen(heading, &broken, 1));
}

/// The cache's two files: the per-document entries, and `check`'s whole verdict.
fn cache_files(sandbox: &Sandbox) -> [PathBuf; 2] {
    let dir = sandbox.path(".git/sop/cache");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert_eq!(files, [dir.join("verdict.bin"), dir.join("worktree.bin")]);
    [dir.join("worktree.bin"), dir.join("verdict.bin")]
}

/// One byte in one of 1,000 documents is seen wherever it changes: in the worktree (even with
/// its modification time put back), staged, committed, and by switching branches both ways;
/// each time only that document is read again.
#[test]
fn a_one_byte_change_is_seen_every_time() {
    real_window();
    let sandbox = many_addons(ADDONS);
    let blueprint = "docs/blueprints/Lancelot_vNext2_Blueprint_GenAk.md";
    settle();
    let (before, first) = judged(&sandbox);
    assert!(read(&first) > 1000, "the first run reads every document: {first}");
    let (again, second) = judged(&sandbox);
    assert_eq!(again, before);
    assert_eq!(read(&second), 0, "an unchanged repository is judged without opening a file: {second}");
    assert!(reused(&second) >= 1500, "{second}");
    assert_eq!(at(&before, "sop-3.2/blueprint-sections", blueprint), 0);

    // Only in the worktree, same size, modification time put back: the change time gives it away.
    let full = sandbox.path(blueprint);
    let modified = std::fs::metadata(&full).unwrap().modified().unwrap();
    break_heading(&sandbox, blueprint, "## Chunking");
    std::fs::File::options().write(true).open(&full).unwrap().set_modified(modified).unwrap();
    let (broken, stats) = judged(&sandbox);
    assert_eq!(at(&broken, "sop-3.2/blueprint-sections", blueprint), 1, "{broken:?}");
    assert_eq!(read(&stats), 1, "only the changed document is read again: {stats}");

    // Staged, then committed: the same text, the same finding (the index changed: its rule too).
    sandbox.git(&["add", blueprint]);
    assert_eq!(judged(&sandbox).0, broken);
    sandbox.git(&["commit", "-q", "-m", "docs: break a heading"]);
    assert_eq!(judged(&sandbox).0, broken);

    // A branch that repairs it; switching back and forth flips the finding every time.
    sandbox.git(&["checkout", "-q", "-b", "docs/repair"]);
    sandbox.git(&["revert", "--no-edit", "HEAD"]);
    for (branch, expected) in [("docs/repair", 0), ("main", 1), ("docs/repair", 0), ("main", 1)] {
        sandbox.git(&["checkout", "-q", branch]);
        let (found, _) = judged(&sandbox);
        assert_eq!(at(&found, "sop-3.2/blueprint-sections", blueprint), expected, "on {branch}");
    }
}

/// What every entry depends on beyond its file: a template, the configuration and the tool's
/// binary. Changing any of them makes the next run read everything again, and see the change.
#[test]
fn a_template_config_or_tool_change_starts_afresh() {
    let sandbox = many_addons(FEW);
    settle();
    judged(&sandbox);
    assert_eq!(read(&judged(&sandbox).1), 0);

    // A section added to the runbook template: every runbook lacks it, at once.
    let template = sandbox.read("templates/runbook.md.tera");
    sandbox.write("templates/runbook.md.tera", &format!("{template}\n## Drills\n\nTODO(sop): drills.\n"));
    let (found, stats) = judged(&sandbox);
    assert_eq!(reused(&stats), 0, "{stats}");
    let missing = found.iter().filter(|f| f["message"].as_str().unwrap_or("").contains("`## Drills`")).count();
    assert_eq!(missing, FEW, "every runbook is judged by the new template");
    // A template that no longer loads: reported once, never hidden behind stored verdicts.
    sandbox.write("templates/runbook.md.tera", &format!("{template}\n{{% if %}}\n"));
    let (found, _) = judged(&sandbox);
    assert_eq!(found.iter().filter(|f| f["rule"] == "sop-9/templates").count(), 1, "{found:?}");
    sandbox.write("templates/runbook.md.tera", &template);

    // The configuration (the workspace manifest), even a comment of it.
    settle();
    judged(&sandbox);
    let manifest = sandbox.read("Cargo.toml");
    sandbox.write("Cargo.toml", &format!("{manifest}\n# a comment\n"));
    assert_eq!(reused(&judged(&sandbox).1), 0);

    // Another build of the tool (a copy: another binary): nothing stored by this one is used.
    settle();
    judged(&sandbox);
    let upgraded = sandbox.path("../xtask-upgraded");
    std::fs::copy(env!("CARGO_BIN_EXE_xtask"), &upgraded).unwrap();
    let json = check_json_with(&sandbox, &upgraded, &sandbox.root);
    assert_eq!(json["cache"]["reused"], 0, "{}", json["cache"]);
    assert_eq!(json["findings"].as_array().unwrap(), &judged(&sandbox).0);
}

/// A truncated, garbled or foreign cache file — the per-document entries or the whole verdict —
/// is never trusted: the results stay `--no-cache`'s and the file is rebuilt. A cache file
/// replaced by a link is not written through.
#[test]
fn a_damaged_or_linked_cache_is_never_trusted() {
    let sandbox = many_addons(FEW);
    settle();
    let (good, _) = judged(&sandbox);
    let [entries, verdict] = cache_files(&sandbox);
    for file in [&entries, &verdict] {
        let bytes = std::fs::read(file).unwrap();
        let mut garbled = bytes.clone();
        for at in (100..garbled.len()).step_by(997) {
            garbled[at] ^= 0x5a;
        }
        let damages: [(&str, Vec<u8>); 4] = [
            ("truncated", bytes[..bytes.len() / 2].to_vec()),
            ("garbled", garbled),
            ("empty", Vec::new()),
            ("another tool's", b"{\"not\": \"a cache\"}".to_vec()),
        ];
        for (what, damage) in damages {
            let what = format!("{what} {}", file.display());
            std::fs::write(file, damage).unwrap();
            if file == &entries {
                // The entries are read only when the whole verdict is not reused.
                std::fs::remove_file(&verdict).unwrap();
            }
            let (found, stats) = judged(&sandbox);
            assert_eq!(found, good, "{what}");
            assert_eq!(stats["verdict"], false, "{what}: {stats}");
            if file == &entries {
                assert_eq!(reused(&stats), 0, "{what}: {stats}");
            }
            let (again, rebuilt) = judged(&sandbox);
            assert_eq!(again, good, "{what}");
            assert_eq!(rebuilt["verdict"], true, "{what}: rebuilt: {rebuilt}");
            assert_eq!(reused(&rebuilt), read(&stats) + reused(&stats), "{what}: rebuilt");
        }
    }

    let outside = sandbox.path("../outside.bin");
    for file in [&entries, &verdict] {
        std::fs::write(&outside, b"keep me").unwrap();
        std::fs::remove_file(file).unwrap();
        link(&outside, file);
        assert_eq!(judged(&sandbox).0, good);
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");
        std::fs::remove_file(file).unwrap();
    }
}

/// `check`'s whole verdict is reused only while nothing it could read changed: an untracked
/// document, a file edited in a new nested folder of `src/`, the main branch moving, an
/// environment variable git reads — each is seen at once, with `--no-cache`'s results — and a
/// linked folder in the tree turns the verdict off.
#[test]
fn the_whole_verdict_is_reused_only_for_an_unchanged_tree() {
    let sandbox = many_addons(FEW);
    settle();
    let (good, _) = judged(&sandbox);
    let (again, stats) = judged(&sandbox);
    assert_eq!(again, good);
    assert_eq!((stats["verdict"].clone(), read(&stats)), (Value::Bool(true), 0), "{stats}");

    // An untracked document with a broken header, then gone.
    let spec = "docs/specs/Lancelot_vNext2_Spec_GenAb.md";
    let text = sandbox.read(spec).replace("**Status:** Approved", "**Status:** Maybe");
    sandbox.write("docs/specs/Lancelot_vNext2_Spec_GenQq.md", &text.replace("GenAb", "GenQq"));
    let (found, stats) = judged(&sandbox);
    assert_eq!(stats["verdict"], false, "{stats}");
    assert!(found.len() > good.len(), "the untracked spec was not judged: {found:?}");
    std::fs::remove_file(sandbox.path("docs/specs/Lancelot_vNext2_Spec_GenQq.md")).unwrap();
    assert_eq!(judged(&sandbox).0, good);

    // A flag named outside its owner, in a file of a new nested folder; settled and stored, then
    // the file edited in place (its folder's times do not change).
    let flag = "FEATURE_GEN_AB";
    sandbox.write("src/core/extra/deep/mention.rs", &format!("pub const NAME: &str = \"{flag}\";\n"));
    let (mentioned, _) = judged(&sandbox);
    assert!(mentioned.len() > good.len(), "the mention was not found: {mentioned:?}");
    settle();
    judged(&sandbox);
    assert_eq!(judged(&sandbox).1["verdict"], true);
    sandbox.write("src/core/extra/deep/mention.rs", "pub const NAME: &str = \"none\";\n");
    let (found, stats) = judged(&sandbox);
    assert_eq!((found, stats["verdict"].clone()), (good.clone(), Value::Bool(false)));

    // The main branch moves (a teammate's commit fetched and fast-forwarded).
    settle();
    judged(&sandbox);
    sandbox.git(&["checkout", "-q", "-b", "feat/gen-ab-more"]);
    let main = sandbox.head();
    sandbox.write("notes.md", "more\n");
    sandbox.commit_all("docs: more notes");
    let tip = sandbox.head();
    judged(&sandbox);
    settle();
    judged(&sandbox);
    assert_eq!(judged(&sandbox).1["verdict"], true);
    sandbox.git(&["update-ref", "refs/heads/main", &tip, &main]);
    assert_eq!(judged(&sandbox).1["verdict"], false, "main moved");

    // An environment variable git reads.
    settle();
    judged(&sandbox);
    let out = xtask(&sandbox)
        .args(["check", "--json", "--no-branch-rules"])
        .env("GIT_CONFIG_PARAMETERS", "'core.quotepath'='false'")
        .without_cargo()
        .run();
    assert_eq!(out.json()["cache"]["verdict"], false, "{}", out.stdout);

    // A linked folder: never reused, every run judged afresh.
    let outside = sandbox.path("../outside-docs");
    std::fs::create_dir_all(&outside).unwrap();
    link(&outside, &sandbox.path("docs/linked"));
    settle();
    for _ in 0..2 {
        let (found, stats) = judged(&sandbox);
        assert_eq!(stats["verdict"], false, "{stats}");
        assert_eq!(found.len(), judged(&sandbox).0.len());
    }
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

#[cfg(not(unix))]
fn link(target: &Path, at: &Path) {
    std::fs::copy(target, at).unwrap();
}

/// `status` shares the cache: what `check` stored answers it, and its output is `--no-cache`'s.
#[test]
fn status_reads_what_check_stored() {
    let sandbox = many_addons(FEW);
    settle();
    judged(&sandbox);
    let cached = xtask(&sandbox).args(["status", "--json"]).without_cargo().success().stdout;
    let fresh = xtask(&sandbox).args(["status", "--json", "--no-cache"]).without_cargo().success().stdout;
    assert_eq!(cached, fresh);
    break_heading(&sandbox, "docs/specs/Lancelot_vNext2_Spec_GenBa.md", "**Status:** Approved");
    let cached = xtask(&sandbox).args(["status", "--json"]).without_cargo().success().json();
    let row = cached["addons"].as_array().unwrap().iter().find(|row| row["addon"] == "GenBa").unwrap().clone();
    assert_ne!(row["status"], "Approved", "{row}");

    // `status --all`: a branch's slices are memoised by its tip; what it shows is --no-cache's,
    // on the first run and the next, and a new commit on the branch is seen.
    sandbox.git(&["checkout", "-q", "-b", "feat/gen-zz"]);
    let spec = sandbox.read("docs/specs/Lancelot_vNext2_Spec_GenAb.md").replace("GenAb", "GenZz");
    sandbox.write("docs/specs/Lancelot_vNext2_Spec_GenZz.md", &spec);
    sandbox.commit_all("feat: gen zz");
    sandbox.git(&["checkout", "-q", "main"]);
    let all =
        |args: &[&str]| xtask(&sandbox).args(["status", "--all", "--json"]).args(args).without_cargo().success().stdout;
    for _ in 0..2 {
        assert_eq!(all(&[]), all(&["--no-cache"]));
    }
    assert!(all(&[]).contains("GenZz"));
    sandbox.git(&["checkout", "-q", "feat/gen-zz"]);
    sandbox.write("docs/specs/Lancelot_vNext2_Spec_GenZy.md", &spec.replace("GenZz", "GenZy"));
    sandbox.commit_all("feat: gen zy");
    assert!(all(&[]).contains("GenZy"));
    assert_eq!(all(&[]), all(&["--no-cache"]));
}

/// What the whole verdict's first version missed (a QA round's findings), each against
/// `--no-cache`: a staged binary under an ignored folder is judged by its staged version, not by
/// its working copy; git's default global attributes file and the clone's place are in the key.
#[test]
fn the_whole_verdict_keys_on_what_git_and_the_outputs_read() {
    let sandbox = many_addons(FEW);
    let key = crate::support::fake_aws_key_id();
    std::fs::create_dir_all(sandbox.path("assets")).unwrap();
    std::fs::write(sandbox.path("assets/blob.bin"), b"PNG\0\0\0harmless\0").unwrap();
    sandbox.git(&["add", "-f", "assets/blob.bin"]);
    std::fs::write(sandbox.path(".git/info/exclude"), "assets/\n").unwrap();
    settle();
    let (clean, _) = judged(&sandbox);
    assert_eq!(judged(&sandbox).1["verdict"], true);
    // The working copy gets a secret, not staged: neither run reports it (a push would not send it).
    std::fs::write(sandbox.path("assets/blob.bin"), format!("PNG\0\0\0id = {key}\0")).unwrap();
    assert_eq!(judged(&sandbox).0, clean);
    // Staged, it is found.
    sandbox.git(&["add", "-f", "assets/blob.bin"]);
    let (staged, _) = judged(&sandbox);
    assert!(staged.iter().any(|f| f["rule"].as_str().unwrap_or("").starts_with("sop-4.9/secret/")), "{staged:?}");

    // git's default global attributes file, never named in any configuration.
    settle();
    judged(&sandbox);
    assert_eq!(judged(&sandbox).1["verdict"], true);
    std::fs::create_dir_all(sandbox.home.join(".config/git")).unwrap();
    std::fs::write(sandbox.home.join(".config/git/attributes"), "*.md -diff\n").unwrap();
    assert_eq!(judged(&sandbox).1["verdict"], false, "a global attributes file was not in the key");

    // The clone moved (a rename keeps every inode): its paths in the output change.
    settle();
    judged(&sandbox);
    let moved = sandbox.root.with_file_name("moved");
    std::fs::rename(&sandbox.root, &moved).unwrap();
    let json = check_json_with(&sandbox, std::path::Path::new(env!("CARGO_BIN_EXE_xtask")), &moved);
    std::fs::rename(&moved, &sandbox.root).unwrap();
    assert_eq!(json["cache"]["verdict"], false, "a moved clone reused the verdict of its old place");
}

/// `status` reuses its whole war room while nothing it reads changed (the stored file is not
/// even rewritten); a receipt appended a moment ago (the log need not settle), a branch created
/// and deleted, the local `.env` — each is seen at once, and every output, `--json` and the
/// table, is `--no-cache`'s.
#[test]
fn the_status_war_room_is_reused_only_while_nothing_changed() {
    let sandbox = many_addons(FEW);
    let status = |args: &[&str]| xtask(&sandbox).args(["status"]).args(args).without_cargo().success().stdout;
    let same = || {
        let cached = status(&["--json"]);
        assert_eq!(cached, status(&["--json", "--no-cache"]));
        cached
    };
    settle();
    let first = same();
    let memo = sandbox.path(".git/sop/cache/status.bin");
    let stored = std::fs::metadata(&memo).unwrap().modified().unwrap();
    assert_eq!(same(), first);
    assert_eq!(std::fs::metadata(&memo).unwrap().modified().unwrap(), stored, "reused, so not written again");
    // `check` appends a receipt that names no add-on: no row changes, and the war room is reused.
    xtask(&sandbox).args(["check", "--no-branch-rules"]).without_cargo().run();
    assert_eq!(same(), first);
    assert_eq!(std::fs::metadata(&memo).unwrap().modified().unwrap(), stored, "a check's receipt changed nothing");
    // A log rewritten in place (a line put in before the old end) is read again.
    let log = sandbox.path(".git/sop/receipts.jsonl");
    let old = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, format!("{{\"time\":\"2026-11-23T08:00:00Z\",\"unix_ms\":1795400000000,\"command\":\"pre-pr\",\"kind\":\"failure\",\"message\":\"m\",\"reason\":\"an older gen-ab failure\",\"addon\":\"GenAb\"}}\n{old}")).unwrap();
    assert!(same().contains("an older gen-ab failure"), "a rewritten log was not read again");
    // Rewritten in place, the same length, away from its end (receipts after it).
    settle();
    same();
    for _ in 0..3 {
        xtask(&sandbox).args(["check", "--no-branch-rules"]).without_cargo().run();
    }
    same();
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("an older gen-ab failure", "an OLDER gen-ab failure", 1)).unwrap();
    assert!(same().contains("an OLDER gen-ab failure"), "an edit far from the log's end was not read");

    let log = sandbox.path(".git/sop/receipts.jsonl");
    let mut receipts = std::fs::read_to_string(&log).unwrap_or_default();
    receipts.push_str("{\"time\":\"2026-11-24T08:00:00Z\",\"unix_ms\":1795500000000,\"command\":\"pre-pr\",\"kind\":\"failure\",\"message\":\"verify failed\",\"reason\":\"the gen-ab job broke\",\"addon\":\"GenAb\"}\n");
    std::fs::write(&log, receipts).unwrap();
    assert!(same().contains("the gen-ab job broke"), "a new receipt was not seen");

    settle();
    same();
    sandbox.git(&["branch", "feat/gen-ab"]);
    assert!(same().contains("feat/gen-ab"), "a new branch was not seen");
    sandbox.git(&["branch", "-D", "feat/gen-ab"]);
    assert!(!same().contains("feat/gen-ab"), "a deleted branch was still shown");

    settle();
    same();
    sandbox.write(".env", "FEATURE_GEN_AB=true\n");
    let json: Value = serde_json::from_str(&same()).unwrap();
    let row = json["addons"].as_array().unwrap().iter().find(|row| row["addon"] == "GenAb").unwrap().clone();
    assert_eq!(row["flag_local"], "true", "{row}");
    settle();
    assert_eq!(status(&[]), status(&[]));
    assert_eq!(status(&[]), status(&["--no-cache"]));
}

/// The index is read from the cache while its file is unchanged; staging and unstaging change
/// it, so a staged secret is found, and gone once unstaged.
#[test]
fn a_staged_secret_is_seen_through_the_cached_index() {
    let sandbox = many_addons(FEW);
    settle();
    let (clean, _) = judged(&sandbox);
    assert_eq!(read(&judged(&sandbox).1), 0);
    let key = crate::support::fake_aws_key_id();
    sandbox.write("notes.txt", &format!("id = {key}\n"));
    sandbox.git(&["add", "notes.txt"]);
    let (staged, _) = judged(&sandbox);
    assert!(staged.iter().any(|f| f["rule"].as_str().unwrap_or("").starts_with("sop-4.9/secret/")), "{staged:?}");
    sandbox.git(&["reset", "-q", "--", "notes.txt"]);
    assert_eq!(judged(&sandbox).0, clean);
}

/// What git diffs as binary decides how a staged file is scanned, and a `.gitattributes` in the
/// file's own folder decides that, tracked or not, staged or not: the branch's diff, read from the
/// cache while the index is unchanged, is taken again when such a file appears, changes or goes.
#[test]
fn an_attributes_file_beside_a_staged_file_is_part_of_its_diffs_key() {
    let sandbox = many_addons(FEW);
    let key = crate::support::fake_aws_key_id();
    sandbox.write("docs/notes/keys.txt", &format!("id = {key}\n"));
    sandbox.git(&["add", "docs/notes/keys.txt"]);
    settle();
    let (text, _) = judged(&sandbox);
    sandbox.write("docs/notes/.gitattributes", "*.txt -diff\n");
    settle();
    let (binary, _) = judged(&sandbox);
    assert_ne!(binary, text, "the attributes file changed nothing: the test proves nothing");
    std::fs::remove_file(sandbox.path("docs/notes/.gitattributes")).unwrap();
    settle();
    assert_eq!(judged(&sandbox).0, text);
}
