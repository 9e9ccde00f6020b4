//! The `--json` reports against their documentation: every command that takes `--json` runs in a
//! sandbox, and the top-level keys it prints (and its `version`) must be exactly the ones
//! `docs/json.md` lists for it. A key added, removed or renamed on either side fails here, so the
//! document cannot drift from the tool.

use std::collections::{BTreeMap, BTreeSet};

use crate::pre_pr::{commit_feature, project};
use crate::support::{project_root, Sandbox};

/// `[workspace.metadata.sop]` with fast verify commands (`pre-pr` runs them).
const FAST: &str = "verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n";

/// One report as `docs/json.md` documents it.
#[derive(Debug)]
struct Documented {
    version: u64,
    keys: BTreeSet<String>,
}

/// The sections of `docs/json.md`: each `` ## `cargo xtask …` `` heading, the `Version N.` that
/// opens its text and the first column of its table.
fn documented() -> BTreeMap<String, Documented> {
    let text = std::fs::read_to_string(project_root().join("docs/json.md")).expect("docs/json.md exists");
    let mut sections = BTreeMap::new();
    let mut current: Option<(String, Documented)> = None;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            sections.extend(current.take());
            let command = heading.trim().trim_matches('`').to_string();
            current = Some((command, Documented { version: 0, keys: BTreeSet::new() }));
            continue;
        }
        let Some((_, section)) = current.as_mut() else { continue };
        if let Some(rest) = line.strip_prefix("Version ") {
            let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
            section.version = number.parse().unwrap_or_else(|_| panic!("`{line}`: no version number"));
        } else if let Some(row) = line.strip_prefix("| `") {
            let key = row.split('`').next().unwrap_or_default();
            section.keys.insert(key.to_string());
        }
    }
    sections.extend(current);
    sections
}

/// The differences between a printed report and its section, as lines (none when they agree).
fn compare(section: &str, documented: &Documented, printed: &serde_json::Value, run: &str) -> Vec<String> {
    let Some(object) = printed.as_object() else {
        return vec![format!("{run}: not a JSON object")];
    };
    let keys: BTreeSet<String> = object.keys().cloned().collect();
    let mut problems = Vec::new();
    for key in keys.difference(&documented.keys) {
        problems.push(format!("{run}: prints `{key}`, which docs/json.md's `{section}` does not list"));
    }
    for key in documented.keys.difference(&keys) {
        problems.push(format!("{run}: does not print `{key}`, which docs/json.md's `{section}` lists"));
    }
    if printed["version"].as_u64() != Some(documented.version) {
        problems
            .push(format!("{run}: prints version {}, docs/json.md says {}", printed["version"], documented.version));
    }
    problems
}

/// Runs `args` in `dir` and returns its stdout as JSON (whatever the exit code: a failed check
/// prints its report too), or a problem line.
/// The arrays of objects whose rows name every key of an item (`` `command` (…), `passed`, … ``):
/// each item printed has exactly the keys its row names in backticks.
const ITEMS: &[(&str, &str)] = &[("cargo xtask pre-pr --json", "verify")];

fn compare_items(section: &str, printed: &serde_json::Value, run: &str) -> Vec<String> {
    let text = std::fs::read_to_string(project_root().join("docs/json.md")).expect("docs/json.md exists");
    let mut problems = Vec::new();
    for (_, key) in ITEMS.iter().filter(|(name, _)| *name == section) {
        let in_section = text.split("\n## ").find(|part| part.starts_with(&format!("`{section}`"))).unwrap_or("");
        let row = in_section.lines().find(|line| line.starts_with(&format!("| `{key}` |"))).unwrap_or("");
        let description = row.split(" | ").nth(2).unwrap_or("");
        let named: BTreeSet<String> = description.split('`').skip(1).step_by(2).map(str::to_string).collect();
        for item in printed[*key].as_array().into_iter().flatten() {
            let keys: BTreeSet<String> = item.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            if keys != named {
                problems.push(format!("{run}: `{key}` items have {keys:?}; docs/json.md names {named:?}"));
            }
        }
        if printed[*key].as_array().is_none_or(Vec::is_empty) {
            problems.push(format!("{run}: no `{key}` item to compare with docs/json.md"));
        }
    }
    problems
}

fn report(sandbox: &Sandbox, dir: &std::path::Path, args: &[&str]) -> Result<serde_json::Value, String> {
    let out = sandbox.xtask().current_dir(dir).args(args).run();
    serde_json::from_str(&out.stdout).map_err(|error| {
        format!(
            "`xtask {}` (exit {}) printed no JSON ({error}):\n{}{}",
            args.join(" "),
            out.code,
            out.stdout,
            out.stderr
        )
    })
}

/// Each documented section and the runs that exercise it, in an order that builds on itself: the
/// kit's sandbox gets an add-on (so `changelog release` has a fragment), the project's sandbox a
/// commit for `pre-pr`.
fn runs() -> Vec<(&'static str, Where, Vec<&'static str>)> {
    use Where::{Kit, Project};
    vec![
        ("cargo xtask config --json", Kit, vec!["config", "--json"]),
        // Refused before its report (the spec is not there): the error report instead.
        ("any command --json, failed before its report", Kit, vec!["spec", "approve", "no-such-thing", "--json"]),
        ("cargo xtask status --json", Kit, vec!["status", "--json"]),
        ("cargo xtask status --all --json", Kit, vec!["status", "--all", "--json"]),
        ("cargo xtask graph --json", Kit, vec!["graph", "--json"]),
        ("cargo xtask check --json", Kit, vec!["check", "--json"]),
        ("cargo xtask spec list --json", Kit, vec!["spec", "list", "--json"]),
        ("cargo xtask migrate --json", Kit, vec!["migrate", "--dry-run", "--json"]),
        ("cargo xtask migrate --json", Kit, vec!["migrate", "--json"]),
        ("cargo xtask onboard --json", Kit, vec!["onboard", "--dry-run", "--json"]),
        ("cargo xtask changelog --json", Kit, vec!["changelog", "--json"]),
        ("cargo xtask changelog --json", Kit, vec!["changelog", "--check", "--json"]),
        ("cargo xtask changelog release <version> --json", Kit, vec!["changelog", "migrate", "--dry-run", "--json"]),
        (
            "cargo xtask spec <approve|start|complete|supersede> <name> --json",
            Kit,
            vec!["spec", "start", "health-monitor", "--dry-run", "--json"],
        ),
        (
            "cargo xtask spec <approve|start|complete|supersede> <name> --json",
            Kit,
            vec!["spec", "start", "health-monitor", "--json"],
        ),
        // `migrate` and `spec start` changed files: `new-addon` starts from a clean tree.
        ("", Kit, vec![COMMIT]),
        ("cargo xtask new-addon <name> --json", Kit, vec!["new-addon", "scheduler", "--yes", "--dry-run", "--json"]),
        ("cargo xtask new-addon <name> --json", Kit, vec!["new-addon", "scheduler", "--yes", "--json"]),
        (
            "cargo xtask changelog release <version> --json",
            Kit,
            vec!["changelog", "release", "1.0.0", "--dry-run", "--json"],
        ),
        ("cargo xtask receipts --json", Kit, vec!["receipts", "--json"]),
        ("cargo xtask pre-pr --dry-run --json", Project, vec!["pre-pr", "--dry-run", "--json"]),
        ("cargo xtask pre-pr --json", Project, vec!["pre-pr", "--json"]),
        ("cargo xtask propose --json", Project, vec!["propose", "--dry-run", "--json"]),
        ("cargo xtask propose --json", Project, vec!["propose", "--json"]),
        ("cargo xtask branch <kind> <name> --json", Project, vec!["branch", "chore", "tidy", "--dry-run", "--json"]),
        ("cargo xtask hotfix <name> --json", Project, vec!["hotfix", "login", "--dry-run", "--json"]),
        ("cargo xtask hotfix <name> --json", Project, vec!["hotfix", "login", "--json"]),
        ("cargo xtask branch <kind> <name> --json", Project, vec!["branch", "chore", "tidy", "--json"]),
        ("cargo xtask undo --json", Project, vec!["undo", "--dry-run", "--json"]),
        ("cargo xtask undo --json", Project, vec!["undo", "--json"]),
        ("cargo xtask sync --json", Project, vec!["sync", "--dry-run", "--json"]),
        ("cargo xtask sync --json", Project, vec!["sync", "--json"]),
        ("cargo xtask prune --json", Project, vec!["prune", "--dry-run", "--json"]),
        ("cargo xtask prune --json", Project, vec!["prune", "--yes", "--json"]),
    ]
}

/// Not a command: commit everything in the sandbox.
const COMMIT: &str = "<commit>";

#[derive(Clone, Copy)]
enum Where {
    /// The kit on `main` (the reference add-on's spec is Approved).
    Kit,
    /// A minimal repository with an origin, on `feat/work` with one commit and its fragment.
    Project,
}

/// Every documented report is printed with exactly its documented keys and version, and every
/// section of docs/json.md is exercised by at least one run.
#[test]
fn every_json_report_prints_the_keys_docs_json_md_lists() {
    let documented = documented();
    assert!(documented.len() >= 10, "docs/json.md has too few sections to be read right: {documented:?}");
    let kit = Sandbox::with_kit();
    let (project, _origin) = project(FAST);
    commit_feature(&project, "feature.txt", "mine\n", "feat: add the feature file");
    let mut problems = Vec::new();
    let mut exercised = BTreeSet::new();
    for (section, place, args) in runs() {
        let sandbox = match place {
            Where::Kit => &kit,
            Where::Project => &project,
        };
        if args == [COMMIT] {
            sandbox.commit_all("chore: what the commands changed");
            continue;
        }
        let Some(doc) = documented.get(section) else {
            problems.push(format!("docs/json.md has no section `{section}`"));
            continue;
        };
        exercised.insert(section);
        match report(sandbox, &sandbox.root, &args) {
            Ok(printed) => {
                let run = format!("xtask {}", args.join(" "));
                problems.extend(compare(section, doc, &printed, &run));
                problems.extend(compare_items(section, &printed, &run));
            }
            Err(problem) => problems.push(problem),
        }
    }
    for section in documented.keys().filter(|section| !exercised.contains(section.as_str())) {
        problems.push(format!("docs/json.md's `{section}` is run by no case of this test"));
    }
    assert!(problems.is_empty(), "the --json reports and docs/json.md disagree:\n{}", problems.join("\n"));
}

/// Every command (and subcommand) whose `--help` offers `--json` has a section in docs/json.md,
/// so a new report cannot ship undocumented. `bench` is documented with the benchmark.
#[test]
fn every_command_with_json_is_documented() {
    let documented = documented();
    let sandbox = Sandbox::empty();
    let help = |args: &[&str]| sandbox.xtask().args(args.iter().chain(&["--help"])).success().stdout;
    let commands = |text: &str| -> Vec<String> {
        let listed = text.split("Commands:").nth(1).unwrap_or_default();
        let listed = listed.split("\n\n").next().unwrap_or_default();
        (listed.lines())
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != "help")
            .map(str::to_string)
            .collect()
    };
    let mut undocumented = Vec::new();
    for command in commands(&help(&[])) {
        if command == "bench" {
            continue;
        }
        let mut paths = vec![vec![command.clone()]];
        paths.extend(commands(&help(&[&command])).into_iter().map(|sub| vec![command.clone(), sub]));
        for path in paths {
            let words: Vec<&str> = path.iter().map(String::as_str).collect();
            if !help(&words).contains("--json") {
                continue;
            }
            let prefix = format!("cargo xtask {}", words.join(" "));
            let covered = documented.keys().any(|section| {
                section.starts_with(&prefix)
                    || (words.len() == 2
                        && section.starts_with(&format!("cargo xtask {} <", words[0]))
                        && section.contains(words[1]))
                    || (words == ["changelog", "migrate"] && section.starts_with("cargo xtask changelog release"))
            });
            if !covered {
                undocumented.push(prefix);
            }
        }
    }
    assert!(undocumented.is_empty(), "commands with --json that docs/json.md does not document: {undocumented:?}");
}

/// A `--json` command that fails before its report prints the error report on stdout (the error,
/// its hint, the exit code the process exits with), for a failed step (exit 1) and for bad input
/// (exit 2); a command line clap cannot read prints no JSON.
#[test]
fn a_failure_before_the_report_prints_the_error_report() {
    let (sandbox, _origin) = project(FAST);
    sandbox.write("README.md", "changed, not committed\n");
    for (args, code, words) in [
        (&["hotfix", "login", "--json"][..], 1, "uncommitted"),
        (&["new-addon", "type", "--dry-run", "--json"][..], 2, "Rust keyword"),
    ] {
        let out = sandbox.xtask().args(args).run();
        assert_eq!(out.code, code, "{args:?}: {}", out.stderr);
        let json: serde_json::Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", out.stdout));
        assert_eq!(
            (&json["version"], &json["ok"], &json["exit_code"]),
            (&1.into(), &false.into(), &code.into()),
            "{json}"
        );
        assert!(
            json["error"].as_str().unwrap_or_default().contains(words) || json["causes"].to_string().contains(words),
            "{json}"
        );
        assert!(json["hint"].is_string(), "{json}");
    }
    let out = sandbox.xtask().args(["status", "--bogus", "--json"]).run();
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
}
