//! `cargo xtask bench`: with tiny sizes it finishes, prints every row of the table (or of the
//! JSON), writes `docs/benchmarks.md` only when asked, and refuses bad sizes. No figure is
//! asserted: performance lives in the bench's output, never in timed assertions.

use crate::support::{assert_contains, Sandbox};

/// Small enough for the test suite: a handful of add-ons, a short branch, one run each.
const TINY: &[&str] = &["bench", "--addons", "5", "--commits", "20", "--runs", "1", "--skip-cold-build"];

/// Every row's measurement, as the table names it.
const ROWS: &[&str] = &[
    "check vs git status",
    "status --json vs git status",
    "check peak memory (vs git status)",
    "status --json peak memory (vs git status)",
    "check on a 20-commit branch vs git log --format=%B",
    "commit rules over 20 commits vs git log --format=%B",
    "commit-msg hook, one message (vs git rev-parse)",
    "pre-pr own overhead (share of its total)",
    "new-addon --no-branch vs git branch + copying its files",
    "build-time discovery of the add-ons vs git ls-files src/core",
    "confining new-addon's writes (every path, twice)",
    "secret scan of a 2500-line diff vs git diff producing it",
    "check peak memory on a 2500-line diff",
    "receipts --limit 1 on a 100 MiB log vs tail -n 1",
    "receipts --limit 1 peak memory on a 100 MiB log",
    "status --json with a 100 MiB receipts log vs without one",
    "lancelot status with a 100 MiB receipts log vs a fresh one",
    "lancelot run: one tick with 100 enabled add-ons, no job due",
    "lancelot run: one tick running 100 due jobs (receipts in memory)",
    "lancelot: one receipt appended and fsynced",
    "cold build of the xtask vs a git2-only crate",
    "rebuild after editing templates/spec.md.tera",
    "rebuild after editing one xtask source file (xtask/src/status.rs)",
    "cargo xtask --version vs the binary alone",
];

#[test]
fn tiny_bench_prints_every_row_and_changes_nothing() {
    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(TINY).success();
    assert_contains(&out.stdout, "measurement");
    assert_contains(&out.stdout, "synthetic repository: 6 add-ons");
    for row in ROWS {
        assert!(out.stdout.lines().any(|line| line.starts_with(row)), "no row `{row}` in:\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("FAILED"), "{}", out.stdout);
    assert_contains(&out.stdout, "skipped: --skip-cold-build");
    assert_eq!(sandbox.snapshot(), before, "the bench changed the repository it ran in");
}

#[test]
fn json_lists_every_row_and_write_docs_fills_the_figures_section() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(TINY).args(["--json", "--write-docs"]).success();
    let json = out.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["commits"], 20);
    let rows = json["rows"].as_array().expect("rows");
    let measurements: Vec<&str> = rows.iter().filter_map(|row| row["measurement"].as_str()).collect();
    assert_eq!(measurements, ROWS);
    for row in rows {
        let state = row["state"].as_str().unwrap_or_default();
        assert!(["measured", "skipped", "unavailable"].contains(&state), "{row}");
    }
    assert_eq!(rows[0]["target"], "≤ 2×");
    let cold = ROWS.iter().position(|row| row.starts_with("cold build")).unwrap();
    assert_eq!(rows[cold]["state"], "skipped");

    let doc = sandbox.read("docs/benchmarks.md");
    assert_contains(&doc, "<!-- bench:figures:begin");
    assert_contains(&doc, "<!-- bench:figures:end -->");
    assert_contains(&doc, "| measurement | ours | baseline | ratio | target | met? |");
    for row in ROWS {
        assert_contains(&doc, &format!("| {row} |"));
    }
}

#[test]
fn bad_sizes_are_refused_and_nothing_changes() {
    let sandbox = Sandbox::with_kit();
    for (flag, value) in [("--addons", "0"), ("--commits", "0"), ("--runs", "0"), ("--addons", "many")] {
        let out = sandbox.xtask().args(["bench", flag, value]).refused(2);
        assert_contains(&out.stderr, &format!("invalid value '{value}' for '{flag}"));
    }
}
