//! `cargo xtask migrate`: a repository of the first layout — hand-edited lists between `sop:`
//! markers in four files, entries under the CHANGELOG's Unreleased heading, a shared
//! `docs/specs/spec.lock` — moves to the conflict-free layout in one step, previewed first, and
//! real cargo builds and tests the result.
//!
//! The first layout is rebuilt here from the kit, in the exact shapes the first tool wrote (not
//! from this repository's history), so the test holds whatever the repository goes through.

use crate::support::{assert_contains, next_lines, Sandbox};

const OLD_MODULES: &str =
    "//! The add-ons: one module per capability (SOP 3.4) and the one list of them the runtime boots.
//! `cargo xtask new-addon` inserts lines between the `sop:modules` and `sop:addons` markers.

// sop:modules:begin
pub mod health_monitor;
pub mod scheduler;
// sop:modules:end

/// A fresh instance of every add-on, sorted by module name.
#[rustfmt::skip]
pub fn addons() -> Vec<Box<dyn crate::host::Addon>> {
    vec![
        // sop:addons:begin
        Box::new(health_monitor::HealthMonitor::new()),
        Box::new(scheduler::Scheduler::new()),
        // sop:addons:end
    ]
}
";

const OLD_REGISTRY: &str = "/// Every flag the runtime knows, one line each, sorted. Edited by `cargo xtask new-addon`.
#[rustfmt::skip]
pub const REGISTRY: &[FlagSpec] = &[
    // sop:flags:begin
    FlagSpec { name: \"FEATURE_HEALTH_MONITOR\", addon: \"health_monitor\" },
    FlagSpec { name: \"FEATURE_SCHEDULER\", addon: \"scheduler\" },
    // sop:flags:end
];";

const OLD_TESTS_MAIN: &str = "//! The root crate's one integration-test binary.

mod status_command;
mod support;

// sop:tests:begin
mod health_monitor;
mod scheduler;
// sop:tests:end
";

const OLD_ENV: &str = "# Copy to `.env` (never committed) and set what you need.
# `cargo xtask new-addon` adds one line per add-on between the markers.
# sop:flags:begin
FEATURE_HEALTH_MONITOR=false
FEATURE_SCHEDULER=false
# sop:flags:end

# LANCELOT_STATE_DIR=.lancelot
";

/// The kit with one more add-on (`scheduler`, its spec started), turned back into the first
/// layout: marker lists, no build script, modules without `addon()`, an Unreleased entry and
/// the shared spec.lock.
pub(crate) fn first_layout() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_lockfile();
    sandbox.xtask().args(["new-addon", "scheduler", "--yes", "--no-branch", "--summary", "Runs jobs"]).success();
    let spec = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
    sandbox.write(spec, &sandbox.read(spec).replace("TODO(sop)", "Defined"));
    sandbox.commit_all("feat: add scheduler skeleton");
    for verb in ["approve", "start"] {
        sandbox.xtask().args(["spec", verb, "scheduler"]).success();
    }
    let record = "docs/specs/frozen/Lancelot_vNext2_Spec_Scheduler.lock";
    let hash = sandbox.read(record).lines().find_map(|l| l.strip_prefix("hash = ").map(str::to_string)).unwrap();
    std::fs::remove_dir_all(sandbox.path("docs/specs/frozen")).unwrap();
    sandbox.write("docs/specs/spec.lock", &format!("# Frozen specs\nLancelot_vNext2_Spec_Scheduler.md = {hash}\n"));

    std::fs::remove_dir_all(sandbox.path("src/build")).unwrap();
    std::fs::remove_dir_all(sandbox.path("docs/changelog.d")).unwrap();
    let manifest = sandbox.read("Cargo.toml");
    let build_line = manifest.lines().find(|l| l.starts_with("build = ")).unwrap().to_string();
    sandbox.write("Cargo.toml", &manifest.replace(&format!("{build_line}\n"), ""));
    sandbox.write("src/core/mod.rs", OLD_MODULES);
    let flags = sandbox.read("src/flags.rs");
    let start = flags.find("/// Every flag the runtime knows").unwrap();
    let end = flags[start..].find("DISCOVERED_FLAGS;").unwrap() + start + "DISCOVERED_FLAGS;".len();
    sandbox.write("src/flags.rs", &format!("{}{OLD_REGISTRY}{}", &flags[..start], &flags[end..]));
    sandbox.write("tests/integration/main.rs", OLD_TESTS_MAIN);
    sandbox.write(".env.example", OLD_ENV);
    for module in ["src/core/health_monitor.rs", "src/core/scheduler.rs"] {
        let text = sandbox.read(module);
        // The function and the `///` lines right above it.
        let start = text.find("pub fn addon()").unwrap();
        let mut doc_start = start;
        while let Some(line_start) = text[..doc_start.saturating_sub(1)].rfind('\n').map(|i| i + 1) {
            if !text[line_start..doc_start].starts_with("///") {
                break;
            }
            doc_start = line_start;
        }
        let end = text[start..].find("\n}\n").unwrap() + start + 3;
        sandbox.write(module, &format!("{}{}", &text[..doc_start], &text[end..]));
    }
    sandbox.write(
        "CHANGELOG.md",
        "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Scheduler: Runs jobs — behind `FEATURE_SCHEDULER`\n",
    );
    sandbox.commit_all("chore: a repository of the first layout");
    sandbox
}

/// `check` names the command; `--dry-run` changes nothing; `migrate` moves everything in one
/// step; real cargo builds and tests the result, `check` passes, a second run is a no-op, and
/// a new slice afterwards only adds files.
#[test]
fn a_first_layout_repository_moves_in_one_command() {
    let _cargo = crate::support::cargo_guard();
    let sandbox = first_layout();
    let out = sandbox.xtask().args(["check", "--no-branch-rules"]).refused(1);
    assert_contains(&out.stdout, "cargo xtask migrate --dry-run");

    let preview = sandbox.xtask().args(["migrate", "--dry-run"]).refused(0);
    assert_contains(&preview.stdout, "nothing is written");
    for path in ["src/core/mod.rs", "src/flags.rs", "tests/integration/main.rs", ".env.example", "src/build/main.rs"] {
        assert_contains(&preview.stdout, path);
    }
    assert_eq!(next_lines(&preview.stdout), ["cargo xtask migrate"]);

    let done = sandbox.xtask().args(["migrate"]).success();
    let next = next_lines(&done.stdout);
    assert_eq!(next[0], "cargo xtask check");
    assert!(!sandbox.exists("docs/specs/spec.lock"));
    assert!(sandbox.exists("docs/specs/frozen/Lancelot_vNext2_Spec_Scheduler.lock"));
    assert_contains(&sandbox.read("src/core/scheduler.rs"), "Box::new(Scheduler::new())");
    assert_contains(&sandbox.read("docs/changelog.d/unreleased-before-fragments.md"), "Scheduler: Runs jobs");
    for line in &next {
        sandbox.sh(&sandbox.root, line);
    }
    assert_eq!(sandbox.git(&["status", "--porcelain"]), "", "the printed commit took everything");

    // Real cargo: the migrated kit builds, its tests pass, and both add-ons are booted.
    sandbox.sh(&sandbox.root, "cargo test --workspace --quiet");
    let status = sandbox.sh(&sandbox.root, "FEATURE_SCHEDULER=true cargo run --quiet -- status");
    assert!(status.lines().any(|l| l.contains("scheduler") && l.contains("running")), "{status}");
    assert!(status.lines().any(|l| l.contains("health_monitor") && l.contains("disabled")), "{status}");

    let again = sandbox.xtask().args(["migrate"]).refused(0);
    assert_contains(&again.stdout, "nothing to do");
    sandbox.xtask().args(["new-addon", "quota", "--yes"]).success();
    sandbox.commit_all("feat: add quota skeleton");
    let changed = sandbox.git(&["diff", "--name-status", "main", "HEAD"]);
    assert!(changed.lines().all(|line| line.starts_with("A\t")), "{changed}");
}

/// A kit file that no longer has the shape the first layout wrote is refused with exit 2,
/// naming the file, and nothing is written.
#[test]
fn a_hand_changed_list_is_refused_and_nothing_is_written() {
    let sandbox = first_layout();
    sandbox.write("src/core/mod.rs", &OLD_MODULES.replace("// sop:modules:end\n", ""));
    sandbox.commit_all("chore: someone edited the list by hand");
    let out = sandbox.xtask().args(["migrate"]).refused(2);
    assert_contains(&out.stderr, "cannot migrate `src/core/mod.rs`");
    assert_contains(&out.stderr, "hint: ");
}
