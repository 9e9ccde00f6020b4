//! `cargo xtask spec`: the lifecycle on real repositories. Each transition changes only the Status
//! line (the rest stays byte-identical), leaves a receipt, and freezing records the spec's git blob
//! hash in its own freeze record, `docs/specs/frozen/<spec file stem>.lock` (never the old shared
//! `docs/specs/spec.lock`), so two slices freezing different specs never conflict; every refusal
//! names the allowed transitions and changes nothing.

use std::path::Path;

use crate::support::{assert_contains, Sandbox};

const SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
const RECORD: &str = "docs/specs/frozen/Lancelot_vNext2_Spec_Scheduler.lock";
const LEGACY_LOCK: &str = "docs/specs/spec.lock";

/// A repository with a Draft `Scheduler` spec whose placeholders are filled in, on its branch.
pub(crate) fn draft_scheduler() -> Sandbox {
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
    assert!(!sandbox.exists(RECORD), "approving does not freeze");

    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    let started = sandbox.read(SPEC);
    assert_eq!(started, draft.replace("**Status:** Draft  \n", "**Status:** In Progress  \n"));
    let hash = sandbox.git(&["hash-object", SPEC]).trim().to_string();
    assert!(sandbox.read(RECORD).ends_with(&format!("\nhash = {hash}\n")), "{}", sandbox.read(RECORD));

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
    // Complete keeps the record, rewritten with the hash of the completed text.
    assert!(sandbox.read(RECORD).ends_with(&format!("\nhash = {hash}\n")), "{}", sandbox.read(RECORD));

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

    // The frozen, complete spec passes the check with its record.
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
    assert_contains(&out.stderr, "hint: cargo xtask spec approve scheduler\n");
    let out = sandbox.xtask().args(["spec", "complete", "scheduler"]).refused(2);
    assert_contains(&out.stderr, "it cannot go to Complete");

    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.commit_all("spec: approve scheduler");
    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).refused(2);
    assert_contains(&out.stderr, "error: spec `Scheduler` is already Approved");
    assert_contains(&out.stderr, "hint: cargo xtask spec start scheduler\n");
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
    assert_contains(&sandbox.read(RECORD), "\nhash = ");
    sandbox.commit_all("spec: supersede scheduler");

    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).refused(2);
    assert_contains(&out.stderr, "spec `Scheduler` is Superseded; it cannot go to Approved");
    assert_contains(&out.stderr, "nothing is allowed from Superseded: it is final");
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
    assert_contains(&out.stderr, "hint: cargo xtask spec list\n");
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
    assert_contains(&out.stdout, &format!("create  {RECORD}"));
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

/// `spec start` writes exactly one new file, the spec's own record, and no `spec.lock`; the
/// `next:` lines it prints, run as printed, commit both and leave the tree clean.
#[test]
fn start_writes_exactly_one_record_and_no_spec_lock() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.commit_all("spec: approve scheduler");
    let out = sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    let status = sandbox.git(&["status", "--porcelain=v1", "--untracked-files=all"]);
    assert_eq!(status, format!(" M {SPEC}\n?? {RECORD}\n"));
    assert!(!sandbox.exists(LEGACY_LOCK));
    assert_contains(&out.stdout, &format!("Recorded its hash in {RECORD}"));

    let next = crate::support::next_lines(&out.stdout);
    assert_eq!(next[0], format!("git add :/{SPEC} :/{RECORD} && git commit -m 'spec: start scheduler'"));
    sandbox.sh(&sandbox.root, &next[0]);
    assert_eq!(sandbox.git(&["status", "--porcelain=v1", "--untracked-files=all"]), "");
    sandbox.xtask().args(["check", "--no-branch-rules"]).success();
}

/// Editing a frozen spec fails `check` (exit 1) against its record, and the revert command the
/// hint prints, pasted as is, makes `check` pass again.
#[test]
fn editing_a_frozen_spec_fails_check_and_the_printed_revert_works() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.git(&["add", "-A"]);
    sandbox.git(&["commit", "-q", "-m", "spec: start scheduler"]);
    sandbox.write(SPEC, &format!("{}\nA late idea.\n", sandbox.read(SPEC)));

    let out = sandbox.xtask().args(["check", "--no-branch-rules"]).refused(1);
    assert_contains(&out.stdout, &format!("error[sop-2.1/frozen-spec] {SPEC}:"));
    assert_contains(&out.stdout, &format!("no longer matches the hash recorded in `{RECORD}`"));
    let revert = crate::support::hint_command(&out.stdout);
    assert_eq!(revert, format!("git checkout HEAD -- :/{SPEC}"), "the spec was frozen on this branch");
    sandbox.sh(&sandbox.root, &revert);
    sandbox.xtask().args(["check", "--no-branch-rules"]).success();
}

/// A spec frozen on main, edited on a branch together with its freeze record (the record's hash
/// rewritten to match the edit), neither staged: `check` judges the working tree's spec against
/// main's, as it does a staged edit, so the forged record does not hide the edit. The revert
/// hints it prints, pasted as printed, put back both, and `check` finds the spec frozen again.
#[test]
fn an_unstaged_edit_of_a_frozen_spec_with_a_forged_record_fails_check() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.commit_all("spec: start scheduler");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.git(&["merge", "-q", "--no-ff", "--no-edit", "feat/scheduler"]);
    sandbox.git(&["switch", "-q", "-c", "fix/other"]);
    let frozen_text = sandbox.read(SPEC);
    let edited = format!("{frozen_text}\nA late idea.\n");
    sandbox.write(SPEC, &edited);
    let record = sandbox.read(RECORD);
    let old_hash = record.lines().find_map(|line| line.strip_prefix("hash = ")).expect("a hash line").to_string();
    sandbox.write(RECORD, &record.replace(&old_hash, &sandbox.blob_id(&edited)));
    assert_ne!(sandbox.read(RECORD), record, "the record was not forged: the test proves nothing");

    let frozen = |out: &crate::support::Outcome| -> Vec<String> {
        out.stdout.lines().filter(|line| line.starts_with("error[sop-2.1/")).map(str::to_string).collect()
    };
    let out = sandbox.xtask().args(["check", "--no-branch-rules"]).refused(1);
    let found = frozen(&out);
    assert!(
        found.iter().any(|line| line.starts_with(&format!("error[sop-2.1/frozen-spec] {SPEC}"))
            && line.contains("this branch changes it")),
        "{}",
        out.stdout
    );
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stdout);
    let out = sandbox.xtask().args(["check", "--no-branch-rules"]).run();
    assert_eq!(frozen(&out), Vec::<String>::new(), "{}", out.stdout);
    assert_eq!(sandbox.read(SPEC), frozen_text, "the pasted hints did not put the frozen spec back");
    assert_eq!(sandbox.read(RECORD), record, "the pasted hints did not put the record back");
}

/// A hand-broken record stops the next transition (exit 1) with its location, and changes nothing.
#[test]
fn a_malformed_record_stops_the_next_transition() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.git(&["add", "-A"]);
    sandbox.git(&["commit", "-q", "-m", "spec: start scheduler"]);
    sandbox.write(RECORD, "# broken\r\nhash = 1234\r\n");
    let out = sandbox.xtask().args(["spec", "complete", "scheduler"]).refused(1);
    assert_contains(&out.stderr, &format!("the freeze record of spec `Scheduler` cannot be read ({RECORD}:2)"));
    assert_contains(&out.stderr, &format!("hint: git checkout HEAD -- :/{RECORD}"));
    sandbox.git(&["checkout", "HEAD", "--", RECORD]);
    sandbox.xtask().args(["spec", "complete", "scheduler"]).success();
}

/// A record replaced by a folder is named for what it is — not "no record, the status was set by
/// hand", whose hint then failed on the folder — by `check` and by the next transition; the
/// hints, pasted as printed, set the folder aside (kept) and bring the committed record back,
/// after which `check` passes and the spec moves on.
#[test]
fn a_record_replaced_by_a_folder_is_named_and_its_hints_restore_it() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.commit_all("spec: start scheduler");
    std::fs::remove_file(sandbox.path(RECORD)).unwrap();
    sandbox.write(&format!("{RECORD}/notes.txt"), "mine\n");

    let refused = sandbox.xtask().args(["spec", "complete", "scheduler"]).refused(1);
    assert_contains(&refused.stderr, "it is a folder, not a file");
    let out = sandbox.xtask().args(["check"]).failure(1);
    assert_contains(&out.stdout, "the freeze record cannot be read: it is a folder, not a file");
    assert!(!out.stdout.contains("by hand"), "{}", out.stdout);
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stdout);
    assert_eq!(sandbox.read(&format!("{RECORD}.orig/notes.txt")), "mine\n", "the folder is kept");
    sandbox.xtask().args(["check"]).success();
    sandbox.xtask().args(["spec", "complete", "scheduler"]).success();
}

/// In one clone: scaffolds `name` with `new-addon` from main, fills in its spec, approves and
/// starts it, commits and pushes the branch. Returns the branch.
fn start_a_slice_in(sandbox: &Sandbox, clone: &Path, name: &str, feature: &str) -> String {
    sandbox.xtask().current_dir(clone).args(["new-addon", name, "--yes", "--summary", "A slice"]).success();
    let spec = clone.join(format!("docs/specs/Lancelot_vNext2_Spec_{feature}.md"));
    std::fs::write(&spec, std::fs::read_to_string(&spec).unwrap().replace("TODO(sop)", "Defined")).unwrap();
    sandbox.git_in(clone, &["add", "-A"]);
    sandbox.git_in(clone, &["commit", "-q", "--no-verify", "-m", &format!("feat: add {name}")]);
    sandbox.xtask().current_dir(clone).args(["spec", "approve", name]).success();
    sandbox.xtask().current_dir(clone).args(["spec", "start", name]).success();
    sandbox.git_in(clone, &["add", "-A"]);
    sandbox.git_in(clone, &["commit", "-q", "--no-verify", "-m", &format!("spec: start {name}")]);
    let branch = sandbox.git_in(clone, &["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string();
    sandbox.git_in(clone, &["push", "-q", "origin", &branch]);
    branch
}

/// The team case: two engineers clone the same main and each starts a different spec on their
/// own branch. Their freeze records are different files, so merging the two branches never
/// conflicts on a freeze (the old shared `spec.lock` conflicted every time), and the merge holds
/// both records.
#[test]
fn two_slices_started_in_parallel_never_conflict_on_their_freeze_records() {
    let sandbox = Sandbox::with_kit();
    let origin = sandbox.with_origin();
    let ada = sandbox.clone_of(&origin, "ada");
    let bob = sandbox.clone_of(&origin, "bob");
    let scheduler = start_a_slice_in(&sandbox, &ada, "scheduler", "Scheduler");
    let mailer = start_a_slice_in(&sandbox, &bob, "mailer", "Mailer");

    sandbox.git(&["fetch", "-q", "origin"]);
    let (one, two) = (format!("origin/{scheduler}"), format!("origin/{mailer}"));
    let output = sandbox
        .git_command(&sandbox.root)
        .args(["merge-tree", "--write-tree", "--name-only", &one, &two])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    // The first line is the merged tree; conflicted files follow until a blank line.
    let mut lines = stdout.lines();
    let tree = lines.next().expect("a tree id").to_string();
    let conflicted: Vec<&str> = lines.take_while(|line| !line.is_empty()).collect();
    assert!(
        conflicted.iter().all(|path| !path.starts_with("docs/specs/frozen/") && !path.ends_with("spec.lock")),
        "the freeze records conflict: {conflicted:?}\n{stdout}"
    );
    let files = sandbox.git(&["ls-tree", "-r", "--name-only", &tree]);
    for record in [RECORD, "docs/specs/frozen/Lancelot_vNext2_Spec_Mailer.lock"] {
        assert!(files.lines().any(|file| file == record), "the merge lost {record}:\n{files}");
    }
    assert!(!files.lines().any(|file| file == LEGACY_LOCK));
}

/// An add-on named without its separator (`healthmonitor` for `HealthMonitor`): the refusal
/// names the add-on it meant instead of hinting `new-addon healthmonitor`, which `new-addon`
/// refuses as a collision; its pasted hint works.
#[test]
fn a_name_that_differs_only_in_separators_is_pointed_at_the_add_on() {
    let sandbox = Sandbox::with_kit();
    let out = sandbox.xtask().args(["spec", "start", "healthmonitor", "--dry-run"]).refused(2);
    assert_contains(&out.stderr, "did you mean `health-monitor`");
    assert!(!out.stderr.contains("new-addon"), "{}", out.stderr);
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
}

/// `spec approve` and `spec start` refuse (exit 1, nothing changed) while `Depends on` names no
/// spec here, by `check`'s own `sop-3.1/depends-on` rule: frozen, the spec could no longer fix
/// that line. The hint, pasted as printed, works, and the same command succeeds once the line
/// names `none`. Frozen on an unmerged branch, an edited spec's `check` hint says to land the
/// branch before the new slice (as `spec start` says), since `new-addon` refuses to build on it
/// before.
#[test]
fn approve_and_start_refuse_a_depends_on_that_names_no_spec() {
    let sandbox = draft_scheduler();
    let draft = sandbox.read(SPEC);
    let none = "**Depends on:** none";
    assert_contains(&draft, none);
    let ghost = "**Depends on:** [Ghost](Lancelot_vNext2_Spec_Ghost.md)";
    sandbox.write(SPEC, &draft.replace(none, ghost));
    sandbox.commit_all("spec: scheduler depends on ghost");

    let out = sandbox.xtask().args(["spec", "approve", "scheduler"]).refused(1);
    assert_contains(&out.stderr, "depends on `Ghost`, which is not a spec here");
    assert_contains(&out.stderr, "cannot be Approved");
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_contains(&sandbox.read(SPEC), "**Status:** Draft");

    sandbox.write(SPEC, &sandbox.read(SPEC).replace(ghost, none));
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.write(SPEC, &sandbox.read(SPEC).replace(none, ghost));
    sandbox.commit_all("spec: approve scheduler");
    let out = sandbox.xtask().args(["spec", "start", "scheduler"]).refused(1);
    assert_contains(&out.stderr, "cannot be In Progress");
    assert_contains(&out.stderr, "cargo xtask spec start scheduler");

    sandbox.write(SPEC, &sandbox.read(SPEC).replace(ghost, none));
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    sandbox.commit_all("spec: start scheduler");
    sandbox.write(SPEC, &sandbox.read(SPEC).replace(none, ghost));
    let check = sandbox.xtask().args(["check"]).failure(1);
    assert_contains(&check.stdout, "sop-2.1/frozen-spec");
    assert_contains(&check.stdout, "once this branch has landed on `main` (`cargo xtask new-addon scheduler-2");
}

/// An untracked file at `docs/specs/frozen`, where the freeze records' folder goes, makes
/// `check`, `spec list` and `spec start` refuse (exit 1, nothing changed) naming it, not fail
/// with a bare "Not a directory"; the hint's `mv`, pasted as printed, sets it aside, after which
/// `spec start` freezes the spec and `check` passes.
#[test]
fn a_file_where_the_freeze_records_folder_goes_is_named_with_the_mv_that_sets_it_aside() {
    let sandbox = draft_scheduler();
    sandbox.xtask().args(["spec", "approve", "scheduler"]).success();
    sandbox.commit_all("spec: approve scheduler");
    sandbox.write("docs/specs/frozen", "notes\n");
    for args in [&["check", "--no-cache"][..], &["spec", "list"], &["spec", "start", "scheduler"]] {
        let out = sandbox.xtask().args(args).refused(1);
        assert_contains(&out.stderr, "`docs/specs/frozen` is a file, where the folder of the freeze records goes");
        assert!(!out.stderr.contains("Not a directory"), "{args:?}: {}", out.stderr);
    }
    let out = sandbox.xtask().args(["spec", "start", "scheduler"]).refused(1);
    crate::support::paste_every_hint(&sandbox, &sandbox.root, &out.all());
    assert_eq!(sandbox.read("docs/specs/frozen.orig"), "notes\n", "set aside, still readable");
    sandbox.xtask().args(["spec", "start", "scheduler"]).success();
    assert!(sandbox.exists(RECORD));
    sandbox.xtask().args(["check"]).success();
}
