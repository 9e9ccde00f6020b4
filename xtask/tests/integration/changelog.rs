//! `cargo xtask changelog`: CHANGELOG fragments (`docs/changelog.d/<slug>.md`) through the real
//! binary: the preview, `--check`, `release` (dry run and real), `migrate`, the exit codes, and
//! the reason fragments exist: two teammates' branches never conflict over the CHANGELOG.

use std::path::Path;

use crate::support::{assert_contains, hint_commands, Sandbox};

const NOTE: &str = "Entries for the next release live in `docs/changelog.d/`, one file per branch \
(`docs/changelog.d/<slug>.md`); preview them with `cargo xtask changelog`, fold them in here with \
`cargo xtask changelog release <version>`.";

/// A CHANGELOG whose Unreleased section already points to the fragments, and one old release.
fn new_style() -> String {
    format!(
        "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n{NOTE}\n\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- The kit.\n"
    )
}

/// The kit with a new-style CHANGELOG and two fragments, committed on main.
pub(crate) fn with_fragments() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.write("CHANGELOG.md", &new_style());
    sandbox.write(
        "docs/changelog.d/scheduler.md",
        "<!-- section: Fixed -->\n- Scheduler: no double runs.\n\n<!-- section: Added -->\n- Scheduler: runs jobs\n  on a schedule.\n",
    );
    sandbox.write("docs/changelog.d/audit-log.md", "<!-- section: Added -->\n- Audit log.\n");
    sandbox.commit_all("docs: fragments");
    sandbox
}

/// The preview groups every fragment's entries by section (Keep a Changelog order), fragments in
/// file-name order, entries in file order; `--json` carries the same with a version.
#[test]
fn the_preview_groups_fragments_by_section_in_a_stable_order() {
    let sandbox = with_fragments();
    let out = sandbox.xtask().args(["changelog"]).success();
    assert_eq!(
        out.stdout,
        "## [Unreleased]\n\n### Added\n\n- Audit log.\n- Scheduler: runs jobs\n  on a schedule.\n\n### Fixed\n\n- Scheduler: no double runs.\n"
    );
    let json = sandbox.xtask().args(["changelog", "--json"]).success().json();
    assert_eq!((json["version"].as_u64(), json["ok"].as_bool()), (Some(1), Some(true)));
    assert_eq!(json["fragments"][0]["path"], "docs/changelog.d/audit-log.md");
    assert_eq!(json["fragments"][1]["entries"][0]["section"], "Fixed");
    assert_eq!(json["markdown"].as_str().unwrap(), out.stdout);
    let checked = sandbox.xtask().args(["changelog", "--check"]).success();
    assert_contains(&checked.stdout, "2 fragments in docs/changelog.d/ (3 entries): no findings");
}

/// With no fragment the preview says so and succeeds.
#[test]
fn the_preview_of_no_fragments_is_empty() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(["changelog"]).success();
    assert_contains(&out.stdout, "no fragments in docs/changelog.d/");
}

/// `release --dry-run` prints the plan (the CHANGELOG edit, each fragment's deletion) and leaves
/// the repository byte-identical.
#[test]
fn a_release_dry_run_changes_nothing() {
    let sandbox = with_fragments();
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["changelog", "release", "0.2.0", "--date", "2026-03-01", "--dry-run"]).success();
    assert_eq!(sandbox.snapshot(), before, "the dry run changed the repository");
    for expected in [
        "edit    CHANGELOG.md",
        "+ ## [0.2.0] - 2026-03-01",
        "delete  docs/changelog.d/audit-log.md",
        "delete  docs/changelog.d/scheduler.md",
        "nothing is written",
    ] {
        assert_contains(&out.stdout, expected);
    }
    let json = sandbox
        .xtask()
        .args(["changelog", "release", "0.2.0", "--date", "2026-03-01", "--dry-run", "--json"])
        .success();
    assert_eq!(json.json()["dry_run"], true);
    assert_eq!(sandbox.snapshot(), before);
}

/// `release` writes `## [<version>] - <date>` above the previous release, keeps the Unreleased
/// note, deletes every fragment (not the README), and leaves a receipt; the version cannot be
/// released twice.
#[test]
fn a_release_folds_the_fragments_into_the_changelog() {
    let sandbox = with_fragments();
    sandbox.write("docs/changelog.d/README.md", "# not a fragment\n");
    let out = sandbox.xtask().args(["changelog", "release", "0.2.0", "--date", "2026-03-01"]).success();
    assert_contains(&out.stdout, "Removed docs/changelog.d/scheduler.md");
    assert_eq!(
        sandbox.read("CHANGELOG.md"),
        format!(
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n{NOTE}\n\n## [0.2.0] - 2026-03-01\n\n### Added\n\n- Audit log.\n- Scheduler: runs jobs\n  on a schedule.\n\n### Fixed\n\n- Scheduler: no double runs.\n\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- The kit.\n"
        )
    );
    assert!(!sandbox.exists("docs/changelog.d/scheduler.md") && !sandbox.exists("docs/changelog.d/audit-log.md"));
    assert!(sandbox.exists("docs/changelog.d/README.md"));
    let receipts = sandbox.read(".git/sop/receipts.jsonl");
    let last: serde_json::Value = serde_json::from_str(receipts.lines().last().unwrap()).unwrap();
    assert_eq!((last["command"].as_str(), last["kind"].as_str()), (Some("changelog"), Some("state_change")));

    let out = sandbox.xtask().args(["changelog"]).success();
    assert_contains(&out.stdout, "no fragments");
    sandbox.write("docs/changelog.d/again.md", "<!-- section: Added -->\n- Again.\n");
    let out = sandbox.xtask().args(["changelog", "release", "0.2.0"]).refused(2);
    assert_contains(&out.stderr, "already has a `## [0.2.0]` release");
}

/// `release`'s `next:` commit, pasted exactly as printed, stages exactly what the release wrote
/// (the CHANGELOG and the removed fragments), never an untracked file of the engineer's.
#[test]
fn the_release_commit_takes_only_what_the_release_wrote() {
    let sandbox = with_fragments();
    sandbox.write("scratch.txt", "mine\n");
    let out = sandbox.xtask().args(["changelog", "release", "0.2.0", "--date", "2026-03-01"]).success();
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stdout);
    let committed = sandbox.git(&["show", "--name-status", "--format=", "HEAD"]);
    assert_eq!(
        committed, "M\tCHANGELOG.md\nD\tdocs/changelog.d/audit-log.md\nD\tdocs/changelog.d/scheduler.md\n",
        "{}",
        out.stdout
    );
    assert_eq!(sandbox.git(&["status", "--porcelain"]), "?? scratch.txt\n");
}

/// A fragment that does not parse is a `check` error at its file and line (on main too: every
/// branch's fragments must parse), `changelog --check` fails with exit 1, and `release` refuses
/// and changes nothing.
#[test]
fn a_broken_fragment_fails_check_with_its_line() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("CHANGELOG.md", &new_style());
    sandbox.write("docs/changelog.d/scheduler.md", "<!-- section: Added -->\n* Runs jobs.\n");
    sandbox.commit_all("docs: a broken fragment");
    let out = sandbox.xtask().args(["check", "--json"]).refused(1);
    let json = out.json();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sop-4.4/changelog-fragment")
        .unwrap_or_else(|| panic!("no fragment finding:\n{}", out.stdout))
        .clone();
    assert_eq!(finding["location"], "docs/changelog.d/scheduler.md:2");
    assert_contains(finding["message"].as_str().unwrap(), "does not start with `- `");
    assert_eq!(
        finding["hint"],
        "fix line 2 of docs/changelog.d/scheduler.md (the format: docs/changelog.d/README.md), then check again:\ncargo xtask changelog --check"
    );

    let out = sandbox.xtask().args(["changelog", "--check"]).refused(1);
    assert_contains(&out.stdout, "docs/changelog.d/scheduler.md:2");
    // The finding's hint, every line prefixed as `check` prints them; the refusal does not repeat it.
    assert_contains(&out.stdout, "    hint: fix line 2 of docs/changelog.d/scheduler.md");
    assert_contains(&out.stdout, "    hint: cargo xtask changelog --check");
    assert_contains(&out.stderr, "hint: fix each fragment as its hint says, then check again:");
    sandbox.xtask().args(["changelog", "release", "0.2.0"]).refused(1);
    sandbox.xtask().args(["changelog"]).refused(1);
}

/// A committed fragment with a name that is not `<slug>.md`: `check` reads the index, so the
/// rename hint must stage the rename; pasted as printed, the next `check` has no fragment
/// finding left and the fragment's entries are intact (a plain `mv` left the old name in the
/// index, and the next hint wrote a placeholder over the moved entries).
#[test]
fn the_fragment_rename_hint_is_seen_by_the_next_check() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("CHANGELOG.md", &new_style());
    sandbox.commit_all("docs: the new-style changelog");
    sandbox.git(&["switch", "-q", "-c", "feat/scheduler"]);
    let entries = "<!-- section: Added -->\n- Runs jobs on a schedule.\n";
    sandbox.write("docs/changelog.d/Scheduler.txt", entries);
    sandbox.commit_all("docs: a fragment with a wrong name");
    let out = sandbox.xtask().args(["check"]).refused(1);
    let renames: Vec<String> = hint_commands(&out.all()).into_iter().filter(|c| c.starts_with("mv ")).collect();
    assert_eq!(renames.len(), 1, "no rename hint:\n{}", out.all());
    sandbox.paste(&sandbox.root, &renames[0]);
    let json = sandbox.xtask().args(["check", "--json"]).run().json();
    let left: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap_or("").starts_with("sop-4.4"))
        .collect();
    assert!(left.is_empty(), "after the pasted rename: {left:?}");
    assert_eq!(sandbox.read("docs/changelog.d/scheduler.md"), entries);
}

/// Bad usage and bad input exit 2, change nothing, and hint a command that works.
#[test]
fn bad_usage_exits_2() {
    let sandbox = with_fragments();
    let out = sandbox.xtask().args(["changelog", "release", "v0.2.0"]).refused(2);
    assert_contains(&out.stderr, "hint: cargo xtask changelog release 0.2.0 --dry-run");
    sandbox.xtask().args(["changelog", "release", "0.2.0", "--dry-run"]).success();
    let out = sandbox.xtask().args(["changelog", "release", "0.2.0", "--date", "2026-13-01"]).refused(2);
    assert_contains(&out.stderr, "`2026-13-01` is not a date");
    sandbox.xtask().args(["changelog", "release"]).refused(2);
    sandbox.xtask().args(["changelog", "--bogus"]).refused(2);
    sandbox.xtask().args(["changelog", "publish"]).refused(2);
}

/// A `--date` that is no day of the calendar (a day past its month's end, February 29th of a
/// year that is not a leap year) and a version SemVer 2.0.0 forbids (a leading zero in a number
/// or a numeric pre-release identifier, an empty identifier) are refused with exit 2 before
/// anything is written, even without `--dry-run`; each hint, pasted as printed, works.
#[test]
fn a_release_of_an_impossible_date_or_version_changes_nothing() {
    let sandbox = with_fragments();
    let before = sandbox.snapshot();
    for args in [
        ["0.2.0", "--date", "2026-02-30"],
        ["0.2.0", "--date", "2026-04-31"],
        ["0.2.0", "--date", "2025-02-29"],
        ["01.2.0", "--date", "2026-03-01"],
        ["0.02.0", "--date", "2026-03-01"],
        ["0.2.0-01", "--date", "2026-03-01"],
        ["0.2.0-rc..1", "--date", "2026-03-01"],
        ["0.2.0+", "--date", "2026-03-01"],
    ] {
        let out = sandbox.xtask().args(["changelog", "release"]).args(args).refused(2);
        assert_contains(&out.stderr, &format!("`{}` is not a ", if args[0] == "0.2.0" { args[2] } else { args[0] }));
        assert_eq!(sandbox.snapshot(), before, "`release {}` changed the repository", args.join(" "));
        let pasted = crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
        assert_contains(&pasted[0].stdout, "nothing is written");
        assert_eq!(sandbox.snapshot(), before);
    }
    // The leap day of a leap year is a day.
    sandbox.xtask().args(["changelog", "release", "0.2.0", "--date", "2028-02-29"]).success();
    assert_contains(&sandbox.read("CHANGELOG.md"), "## [0.2.0] - 2028-02-29");
}

/// `migrate` moves the old Unreleased entries into one fragment and is a no-op the second time;
/// `release` on an unmigrated CHANGELOG refuses, and its hint, run as printed, migrates it.
#[test]
fn migrate_moves_unreleased_entries_into_a_fragment_once() {
    let sandbox = Sandbox::with_kit();
    let old = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- One,\n  on two lines.\n\n### Fixed\n\n- Two.\n\n## [0.1.0] - 2026-01-01\n\n- The kit.\n";
    sandbox.write("CHANGELOG.md", old);
    sandbox.write("docs/changelog.d/thing.md", "<!-- section: Added -->\n- Thing.\n");
    sandbox.commit_all("docs: old changelog");

    let out = sandbox.xtask().args(["changelog", "release", "0.2.0"]).refused(1);
    assert_contains(&out.stderr, "still holds entries");
    assert_contains(&out.stderr, "hint: cargo xtask changelog migrate\n");
    let before = sandbox.snapshot();
    sandbox.xtask().args(["changelog", "migrate", "--dry-run"]).success();
    assert_eq!(sandbox.snapshot(), before);

    sandbox.xtask().args(["changelog", "migrate"]).success();
    assert_eq!(
        sandbox.read("docs/changelog.d/unreleased-before-fragments.md"),
        "<!-- section: Added -->\n- One,\n  on two lines.\n\n<!-- section: Fixed -->\n- Two.\n"
    );
    assert_eq!(
        sandbox.read("CHANGELOG.md"),
        format!("# Changelog\n\n## [Unreleased]\n\n{NOTE}\n\n## [0.1.0] - 2026-01-01\n\n- The kit.\n")
    );
    assert_contains(&sandbox.read("docs/changelog.d/README.md"), "<!-- section: Added -->");
    sandbox.commit_all("docs: changelog fragments");

    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["changelog", "migrate"]).success();
    assert_contains(&out.stdout, "nothing to do");
    assert_eq!(sandbox.snapshot(), before);
    let out = sandbox.xtask().args(["changelog"]).success();
    assert_contains(&out.stdout, "### Added\n\n- Thing.\n- One,\n  on two lines.\n\n### Fixed\n\n- Two.\n");
}

/// A slice branch: a file and the branch's fragment, written as the check hint says.
fn slice(sandbox: &Sandbox, clone: &Path, slug: &str) {
    sandbox.git_in(clone, &["switch", "-q", "-c", &format!("feat/{slug}")]);
    std::fs::write(clone.join(format!("{slug}.txt")), "work\n").unwrap();
    std::fs::create_dir_all(clone.join("docs/changelog.d")).unwrap();
    std::fs::write(clone.join(format!("docs/changelog.d/{slug}.md")), format!("<!-- section: Added -->\n- {slug}.\n"))
        .unwrap();
    sandbox.git_in(clone, &["add", "-A"]);
    sandbox.git_in(clone, &["commit", "-q", "--no-verify", "-m", &format!("feat: add {slug}")]);
    sandbox.git_in(clone, &["push", "-q", "origin", &format!("feat/{slug}")]);
}

/// The team test, the reason for fragments: two teammates branch from the same main in their own
/// clones and each adds a CHANGELOG entry; as fragments, `git merge-tree` merges the two branches
/// without a conflict (and each passes `check`), while the same entries added to the Unreleased
/// section of CHANGELOG.md conflict. Merged, the release holds both entries.
#[test]
fn two_teammates_fragments_never_conflict() {
    let sandbox = Sandbox::with_kit();
    sandbox.write("CHANGELOG.md", &new_style());
    sandbox.commit_all("docs: changelog fragments");
    let origin = sandbox.with_origin();
    let alice = sandbox.clone_of(&origin, "alice");
    let bob = sandbox.clone_of(&origin, "bob");
    slice(&sandbox, &alice, "scheduler");
    slice(&sandbox, &bob, "audit-log");
    for (clone, branch) in [(&alice, "feat/scheduler"), (&bob, "feat/audit-log")] {
        let out = sandbox.xtask().current_dir(clone).args(["check", "--json"]).success();
        assert_eq!(out.json()["ok"], true, "{branch}: {}", out.stdout);
    }

    sandbox.git(&["fetch", "-q", "origin"]);
    let merge = sandbox
        .git_command(&sandbox.root)
        .args(["merge-tree", "--write-tree", "origin/feat/scheduler", "origin/feat/audit-log"])
        .output()
        .unwrap();
    assert!(merge.status.success(), "fragments conflicted:\n{}", String::from_utf8_lossy(&merge.stdout));
    let tree = String::from_utf8_lossy(&merge.stdout).lines().next().unwrap().to_string();

    // The old way: both add their line under `## [Unreleased]` from the same main.
    for (clone, slug) in [(&alice, "scheduler"), (&bob, "audit-log")] {
        let text = std::fs::read_to_string(clone.join("CHANGELOG.md")).unwrap();
        let text = text.replacen(&format!("{NOTE}\n"), &format!("{NOTE}\n\n### Added\n\n- {slug}.\n"), 1);
        std::fs::write(clone.join("CHANGELOG.md"), text).unwrap();
        sandbox.git_in(clone, &["commit", "-q", "--no-verify", "-am", "docs: the old way"]);
        sandbox.git_in(clone, &["push", "-q", "origin", &format!("feat/{slug}:old/{slug}")]);
    }
    sandbox.git(&["fetch", "-q", "origin"]);
    let old = sandbox
        .git_command(&sandbox.root)
        .args(["merge-tree", "--write-tree", "--name-only", "origin/old/scheduler", "origin/old/audit-log"])
        .output()
        .unwrap();
    assert_eq!(old.status.code(), Some(1), "the old way should conflict");
    assert_contains(&String::from_utf8_lossy(&old.stdout), "CHANGELOG.md");

    // The merged fragments release together.
    sandbox.git(&["read-tree", "--reset", "-u", &tree]);
    let out = sandbox.xtask().args(["changelog"]).success();
    assert_contains(&out.stdout, "### Added\n\n- audit-log.\n- scheduler.\n");
}

/// A sparse checkout that leaves `docs/` out: `changelog` and `--check` read the fragments from
/// the index, as every reader of the tree does (they saw none, and `--check` passed on 0
/// fragments whatever they held). `release`, which deletes every fragment, refuses instead of
/// releasing none of them, changing nothing; its hint, pasted as printed from a subfolder,
/// checks the folder out, and the release then folds both fragments in.
#[test]
fn fragments_left_out_by_a_sparse_checkout_are_read_and_never_released_half() {
    let sandbox = with_fragments();
    sandbox.git(&["sparse-checkout", "set", "src", "tests", "templates"]);
    assert!(!sandbox.exists("docs/changelog.d/scheduler.md"), "the sparse checkout kept the fragments");
    let checked = sandbox.xtask().args(["changelog", "--check"]).success();
    assert_contains(&checked.stdout, "2 fragments in docs/changelog.d/ (3 entries): no findings");
    assert_contains(&sandbox.xtask().args(["changelog"]).success().stdout, "- Scheduler: no double runs.");
    let before = sandbox.snapshot();
    let tests = sandbox.path("tests");
    let out =
        sandbox.xtask().current_dir(&tests).args(["changelog", "release", "0.2.0", "--date", "2026-03-01"]).failure(1);
    assert_contains(&out.stderr, "leaves 2 fragments of docs/changelog.d/ out of the working tree");
    assert_eq!(sandbox.snapshot(), before, "the refused release changed something");
    crate::support::paste_every_hint(&sandbox, &tests, &out.stderr);
    assert!(sandbox.exists("docs/changelog.d/scheduler.md"), "the pasted hint did not check the fragments out");
    sandbox.xtask().args(["changelog", "release", "0.2.0", "--date", "2026-03-01"]).success();
    let changelog = sandbox.read("CHANGELOG.md");
    assert_contains(&changelog, "- Audit log.");
    assert_contains(&changelog, "- Scheduler: no double runs.");
}
