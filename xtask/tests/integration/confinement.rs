//! Every write stays inside the repository (issue 11, class 1, and the write defects of class
//! 7): committed links at temporary paths, committed links as folders (`docs/specs`,
//! `src/core`, `target/pre-pr`) and path settings that leave the repository never make a
//! command write outside it; writes keep a file's mode and a link inside the repository; the
//! commands that must not run mid-operation refuse; sparse checkouts and full disks are named
//! for what they are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{assert_contains, hint_command, paste_every_hint, Sandbox};

const SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_Scheduler.md";
const REFERENCE_SPEC: &str = "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md";

/// A folder beside the repository holding files the engineer cares about.
fn outside(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.root.parent().unwrap().join("outside");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("profile"), "export PATH=/usr/bin\n").unwrap();
    dir
}

/// Every file under `dir` (links not followed) with its bytes.
fn listing(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    out
}

fn symlink(target: &Path, link: &Path) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Proves: committed links at the predictable temporary paths of the earlier writer
/// (`.<name>.xtask-tmp`), one to a file outside and one dangling, are never followed:
/// `new-addon` and `onboard --yes` write nothing outside.
#[test]
fn committed_links_at_temporary_paths_are_never_followed() {
    let sandbox = Sandbox::with_kit();
    let outside = outside(&sandbox);
    symlink(&outside.join("profile"), &sandbox.path("docs/specs/.Lancelot_vNext2_Spec_Scheduler.md.xtask-tmp"));
    symlink(&outside.join("created-by-xtask"), &sandbox.path("src/core/.scheduler.rs.xtask-tmp"));
    symlink(&outside.join("profile"), &sandbox.path("..env.xtask-tmp"));
    sandbox.write(".gitignore", &format!("{}.env\n", sandbox.read(".gitignore")));
    sandbox.commit_all("chore: a teammate's links");
    let before = listing(&outside);

    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert!(sandbox.exists(SPEC) && sandbox.exists("src/core/scheduler.rs"));
    let out = sandbox.xtask().args(["onboard", "--yes"]).run();
    assert_contains(&out.stdout, ".env            created from `.env.example`");
    assert!(!sandbox.path(".env").symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(listing(&outside), before, "a write escaped the repository");
}

/// Proves: a link to another file the same run writes is never written through — `spec start`
/// writes the spec and its freeze record, and the record linked to the spec would have replaced
/// the spec (an uncommitted edit with it) by the record. The run refuses with the repository
/// byte-identical; the hint, pasted, removes the link only, and the run then freezes the spec
/// with the edit kept.
#[test]
fn a_link_to_another_file_of_the_same_run_is_refused() {
    let sandbox = Sandbox::with_kit();
    let record = "docs/specs/frozen/Lancelot_vNext2_Spec_HealthMonitor.lock";
    symlink(Path::new("../Lancelot_vNext2_Spec_HealthMonitor.md"), &sandbox.path(record));
    let edited = format!("{}\nAn edit not committed yet.\n", sandbox.read(REFERENCE_SPEC));
    sandbox.write(REFERENCE_SPEC, &edited);

    let out = sandbox.xtask().args(["spec", "start", "health-monitor"]).refused(1);
    assert_contains(
        &out.stderr,
        &format!("`{record}` is a symbolic link to `{REFERENCE_SPEC}`, which this run also writes"),
    );
    assert_eq!(sandbox.read(REFERENCE_SPEC), edited);
    paste_every_hint(&sandbox, &sandbox.path("docs"), &out.stderr);
    assert!(sandbox.path(REFERENCE_SPEC).is_file(), "the spec is kept");

    sandbox.xtask().args(["spec", "start", "health-monitor"]).success();
    assert_contains(&sandbox.read(REFERENCE_SPEC), "An edit not committed yet.");
    assert_contains(&sandbox.read(REFERENCE_SPEC), "In Progress");
    assert!(!sandbox.path(record).is_symlink(), "the record is a file of its own");
    assert_contains(&sandbox.read(record), "hash = ");
}

/// Proves: a committed link as a folder the tool writes into makes the command refuse (exit 1)
/// with a clear message and a hint, nothing is written outside, and the repository is
/// byte-identical — `docs/specs` and `src/core` for `new-addon`, `target/pre-pr` for `pre-pr`.
#[test]
fn committed_folder_links_make_commands_refuse() {
    for folder in ["docs/specs", "src/core"] {
        let sandbox = Sandbox::with_kit();
        let outside = outside(&sandbox);
        let real = sandbox.path(folder);
        for entry in std::fs::read_dir(&real).unwrap().flatten() {
            std::fs::copy(entry.path(), outside.join(entry.file_name())).unwrap();
        }
        std::fs::remove_dir_all(&real).unwrap();
        symlink(&outside, &real);
        sandbox.commit_all("chore: a teammate's link");
        let before = listing(&outside);
        let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).refused(1);
        assert_contains(&out.stderr, &format!("`{folder}` is a symbolic link"));
        assert_eq!(listing(&outside), before, "{folder}: a write escaped the repository");
        assert_eq!(sandbox.current_branch(), "main");
        // The link is committed: replacing it in the working tree only was an uncommitted change
        // the next run refused, and every new branch checked the link out again. The hint,
        // pasted as printed, replaces it in a slice of its own.
        assert_contains(&out.stderr, "the link is committed");
        paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
        let slug = folder.replace('/', "-");
        assert_eq!(sandbox.current_branch(), format!("fix/{slug}-folder"));
        assert!(real.is_dir() && !real.symlink_metadata().unwrap().file_type().is_symlink(), "{folder}: still a link");
        assert_eq!(sandbox.git(&["ls-files", "-s", folder]), "", "{folder}: the link is still committed");
        assert_eq!(listing(&outside), before, "{folder}: the pasted hint touched what the link points to");
    }

    let (sandbox, _origin) = crate::pre_pr::project("verify = [[\"true\"]]\nintegration_verify = [[\"true\"]]\n");
    crate::pre_pr::commit_feature(&sandbox, "FEATURE.md", "mine\n", "feat: my work");
    let outside = outside(&sandbox);
    symlink(&outside, &sandbox.path("target/pre-pr"));
    let before = listing(&outside);
    let out = sandbox.xtask().args(["pre-pr"]).failure(1);
    assert_contains(&out.stderr, "`target/pre-pr` is a symbolic link");
    assert_contains(&out.stderr, "hint: replace the link with a real folder (what it points to is kept): rm target/pre-pr && mkdir target/pre-pr");
    assert_eq!(listing(&outside), before, "the PR body escaped the repository");
}

/// Proves: document folders set to leave the repository are refused when the configuration is
/// loaded (exit 2, the key named), before any command writes.
#[test]
fn path_settings_that_leave_the_repository_are_refused_at_load() {
    for (key, value) in [("specs", "../outside"), ("runbooks", "/tmp/runbooks"), ("blueprints", "")] {
        let sandbox = Sandbox::with_kit();
        let manifest = sandbox.read("Cargo.toml");
        sandbox.write("Cargo.toml", &format!("{manifest}\n[workspace.metadata.sop.docs]\n{key} = \"{value}\"\n"));
        sandbox.commit_all("chore: settings");
        let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).refused(2);
        assert_contains(&out.stderr, &format!("key `docs.{key}`"));
        assert_contains(&out.stderr, "hint: ");
        assert!(!sandbox.root.parent().unwrap().join("outside").exists());
    }
}

/// Proves: editing a file keeps its mode, writes through a link whose target is inside the
/// repository (the link stays a link), and refuses a link that points outside (exit 1, the
/// outside file untouched, the repository byte-identical).
#[test]
fn writes_keep_the_mode_and_only_follow_links_inside_the_repository() {
    use std::os::unix::fs::PermissionsExt as _;
    let sandbox = Sandbox::with_kit();
    std::fs::set_permissions(sandbox.path(REFERENCE_SPEC), std::fs::Permissions::from_mode(0o755)).unwrap();
    sandbox.commit_all("chore: an executable spec");
    sandbox.xtask().args(["spec", "start", "health-monitor"]).success();
    let mode = std::fs::metadata(sandbox.path(REFERENCE_SPEC)).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755, "the write replaced the file's mode");
    assert_contains(&sandbox.read(REFERENCE_SPEC), "In Progress");

    // A link inside the repository is written through and stays a link.
    let sandbox = Sandbox::with_kit();
    let text = sandbox.read(REFERENCE_SPEC);
    sandbox.write("shared/HealthMonitor.md", &text);
    std::fs::remove_file(sandbox.path(REFERENCE_SPEC)).unwrap();
    symlink(Path::new("../../shared/HealthMonitor.md"), &sandbox.path(REFERENCE_SPEC));
    sandbox.commit_all("chore: the spec is shared");
    sandbox.xtask().args(["spec", "start", "health-monitor"]).success();
    assert!(sandbox.path(REFERENCE_SPEC).symlink_metadata().unwrap().file_type().is_symlink(), "the link was replaced");
    assert_contains(&sandbox.read("shared/HealthMonitor.md"), "In Progress");

    // A link to a file outside is refused.
    let sandbox = Sandbox::with_kit();
    let outside = outside(&sandbox);
    std::fs::copy(sandbox.path(REFERENCE_SPEC), outside.join("spec.md")).unwrap();
    std::fs::remove_file(sandbox.path(REFERENCE_SPEC)).unwrap();
    symlink(&outside.join("spec.md"), &sandbox.path(REFERENCE_SPEC));
    sandbox.commit_all("chore: the spec lives elsewhere");
    let before = listing(&outside);
    let out = sandbox.xtask().args(["spec", "start", "health-monitor"]).refused(1);
    assert_contains(&out.stderr, "which is not a file inside the repository; cargo xtask never writes through it");
    assert_contains(
        &out.stderr,
        &format!("hint: look at it, and make it a regular file if it belongs here: ls -l {REFERENCE_SPEC}"),
    );
    assert_eq!(listing(&outside), before);
}

/// Proves: `spec start` refuses in the middle of a merge or a bisect (exit 1), changes nothing,
/// and its hint aborts the operation when run as printed.
#[test]
fn spec_start_refuses_during_a_merge_or_a_bisect() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["switch", "-q", "-c", "feat/other"]);
    sandbox.write("README.md", "theirs\n");
    sandbox.commit_all("docs: theirs");
    sandbox.git(&["switch", "-q", "main"]);
    sandbox.write("README.md", "ours\n");
    sandbox.commit_all("docs: ours");
    let merge = sandbox.git_command(&sandbox.root).args(["merge", "feat/other"]).output().unwrap();
    assert!(!merge.status.success(), "the merge should conflict");
    let out = sandbox.xtask().args(["spec", "start", "health-monitor"]).refused(1);
    assert_contains(&out.stderr, "a merge is in progress");
    let hint = hint_command(&out.stderr);
    assert_eq!(hint, "git merge --abort");
    sandbox.sh(&sandbox.root, &hint);

    sandbox.git(&["bisect", "start"]);
    let out = sandbox.xtask().args(["spec", "start", "health-monitor"]).refused(1);
    assert_contains(&out.stderr, "a bisect is in progress");
    sandbox.sh(&sandbox.root, &hint_command(&out.stderr));
    sandbox.xtask().args(["spec", "start", "health-monitor"]).success();
}

/// Proves: in a sparse checkout, the files outside the cone (skip-worktree, absent on purpose)
/// are not "uncommitted changes": `new-addon` works and leaves only its own files.
#[test]
fn a_sparse_checkout_is_not_a_dirty_tree() {
    let sandbox = Sandbox::with_kit();
    sandbox.git(&["sparse-checkout", "set", "docs", "src", "templates"]);
    assert!(!sandbox.exists("tests"), "the sparse checkout did not leave `tests` out");
    assert!(sandbox.git(&["status", "--porcelain"]).trim().is_empty());
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
    assert_eq!(sandbox.current_branch(), "feat/scheduler");
    let status = sandbox.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(status.lines().all(|line| line.starts_with("?? ")), "{status}");
}

/// Proves: a full disk during `new-addon` (the whole repository on a tiny tmpfs, filled up) is
/// reported as "no space left on device" with a hint, never as an unrelated git config error,
/// and nothing is left half-done. Needs a tmpfs mount (root); elsewhere the same path is
/// driven by the test-only fault in the writer.
#[test]
fn a_full_disk_is_named_for_what_it_is() {
    let sandbox = Sandbox::with_kit();
    // Fault injection: the writer's own step.
    let out = sandbox
        .xtask()
        .args(["new-addon", "scheduler", "--yes"])
        .env("XTASK_TEST_DISK_FULL", "scheduler.rs")
        .failure(1);
    assert_contains(&out.stderr, "no space left on device");
    assert_contains(
        &out.stderr,
        "hint: free some space on the disk that holds the repository, then run: cargo xtask new-addon scheduler",
    );
    assert!(!sandbox.exists(SPEC), "the partial add-on was not rolled back");
    assert_eq!(sandbox.current_branch(), "main");

    // The real thing, when a tmpfs can be mounted: git's checkout runs into the full disk. The
    // branch checked out lacks files `main` has, so the checkout must write them.
    let Some(mount) = Tmpfs::over(&sandbox) else { return };
    for index in 0..50 {
        sandbox.write(&format!("big/file_{index:02}.txt"), &"x".repeat(8192));
    }
    sandbox.commit_all("feat: more files on main");
    sandbox.git(&["switch", "-q", "-c", "feat/old", "HEAD~1"]);
    mount.fill(64 * 1024);
    let before = sandbox.snapshot();
    let out = sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).failure(1);
    assert_contains(&out.stderr, "no space left on device");
    assert!(!out.stderr.contains("merge.conflictstyle"), "{}", out.stderr);
    // It was git's checkout that ran into it (the step whose message libgit2 garbles).
    assert_contains(&out.stderr, "git could not write the working tree");
    assert_contains(&out.stderr, "hint: free some space");
    assert_eq!(sandbox.snapshot(), before, "the full disk left the repository half-changed:\n{}", out.stderr);
}

/// Proves: a write past the file size limit (`ulimit -f`, what a quota or a tiny limit does) is
/// an error the tool reports (exit 1, the cause named), not SIGXFSZ ending it without a word
/// (exit 153), and the run leaves the repository as it found it.
#[test]
fn a_file_size_limit_is_reported_not_a_silent_death() {
    let sandbox = Sandbox::with_kit();
    let before = sandbox.snapshot();
    let run = sandbox.paste(&sandbox.root, "ulimit -f 0; exec cargo xtask new-addon scheduler --yes");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_contains(&run.stderr, "File too large");
    assert_eq!(sandbox.snapshot(), before, "the refused run changed the repository:\n{}", run.stderr);
    sandbox.xtask().args(["new-addon", "scheduler", "--yes"]).success();
}

/// The working tree moved onto a small tmpfs for one test, unmounted when dropped.
struct Tmpfs {
    root: PathBuf,
}

impl Tmpfs {
    fn over(sandbox: &Sandbox) -> Option<Tmpfs> {
        let saved = sandbox.root.with_extension("saved");
        std::fs::rename(&sandbox.root, &saved).unwrap();
        std::fs::create_dir(&sandbox.root).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(&sandbox.root)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            std::fs::remove_dir(&sandbox.root).unwrap();
            std::fs::rename(&saved, &sandbox.root).unwrap();
            eprintln!(
                "note: no tmpfs could be mounted here (not root); the full-disk case ran with fault injection only"
            );
            return None;
        }
        let copied =
            std::process::Command::new("cp").arg("-a").arg(saved.join(".")).arg(&sandbox.root).status().unwrap();
        assert!(copied.success());
        Some(Tmpfs { root: sandbox.root.clone() })
    }

    /// Leaves only `free` bytes: a file grows until the disk is full, then gives some back.
    fn fill(&self, free: u64) {
        use std::io::Write as _;
        let path = self.root.join(".git/filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let size = file.metadata().unwrap().len();
        file.set_len(size.saturating_sub(free)).unwrap();
        file.sync_all().unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.root).status();
    }
}

/// The clone's state folder, `.git/sop`, holds the run lock and the receipts log, which are
/// opened, not renamed into place: a link at either file, or at the folder itself, must not make
/// a command write outside the repository. Each is refused with exit 1, nothing outside changes,
/// and the pasted hint (removing the link) lets the command run.
#[test]
fn links_in_the_state_folder_are_never_written_through() {
    let sandbox = Sandbox::with_kit();
    let outside = outside(&sandbox);
    let before = listing(&outside);
    let sop = sandbox.path(".git/sop");
    std::fs::create_dir_all(&sop).unwrap();
    for file in ["run.lock", "receipts.jsonl"] {
        let _ = std::fs::remove_file(sop.join(file));
        std::os::unix::fs::symlink(outside.join("profile"), sop.join(file)).unwrap();
        // `new-addon` takes the lock; `check` appends a receipt.
        let args: &[&str] = if file == "run.lock" { &["new-addon", "scheduler", "--yes"] } else { &["check"] };
        let refused = sandbox.xtask().args(args).failure(1);
        assert_contains(&refused.stderr, "is a symbolic link");
        assert_eq!(listing(&outside), before, "`{file}` as a link: a file outside the repository changed");
        paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
        assert!(!sop.join(file).is_symlink(), "the pasted hint did not remove the link");
        sandbox.xtask().args(args).run();
        assert_eq!(listing(&outside), before);
    }
    assert!(sandbox.exists("src/core/scheduler.rs"), "new-addon did not run once the link was gone");
    sandbox.git(&["add", "-A"]);
    sandbox.git(&["commit", "-qm", "feat: add scheduler skeleton"]);

    let moved = sandbox.root.parent().unwrap().join("sop-elsewhere");
    std::fs::rename(&sop, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &sop).unwrap();
    let elsewhere = listing(&moved);
    let refused = sandbox.xtask().args(["check"]).failure(1);
    assert_contains(&refused.stderr, "is a symbolic link");
    assert_eq!(listing(&moved), elsewhere, "a command wrote through the linked state folder");
    paste_every_hint(&sandbox, &sandbox.root, &refused.stderr);
    assert!(!sop.is_symlink(), "the pasted hint did not remove the linked folder");
    sandbox.xtask().args(["status"]).success();
}

/// A branch commits links to what is no file (`/dev/zero`, a FIFO) where the tool reads the
/// tree: an add-on module, `.env.example`, a template. `check` and `status` read `/dev/zero`
/// until memory ran out (10 GiB in 10 s), and a FIFO blocked them for good. Proves each such
/// path now fails at once (exit 1) with the path named, the repository byte-identical, and the
/// hint, pasted as printed, shows what the link is.
#[cfg(unix)]
#[test]
fn links_to_devices_and_fifos_in_the_tree_are_named_never_read() {
    let fifo = |sandbox: &Sandbox| {
        let path = sandbox.root.parent().unwrap().join("a fifo");
        let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success(), "mkfifo failed");
        path
    };
    let runs: [(&str, &[&[&str]]); 3] = [
        ("src/core/zz.rs", &[&["check"], &["status"]]),
        (".env.example", &[&["check"]]),
        ("templates/spec.md.tera", &[&["templates", "--check"]]),
    ];
    for (file, commands) in runs {
        for target in ["/dev/zero", "fifo"] {
            let sandbox = Sandbox::with_kit();
            let target = if target == "fifo" { fifo(&sandbox) } else { PathBuf::from(target) };
            let link = sandbox.path(file);
            let _ = std::fs::remove_file(&link);
            symlink(&target, &link);
            sandbox.commit_all("chore: a link where a file was");
            let before = sandbox.snapshot();
            for run in commands {
                let out = sandbox.xtask().args(run.iter()).failure(1);
                assert_contains(&out.stderr, &format!("{file}` is not a regular file"));
                assert_eq!(sandbox.snapshot(), before, "{run:?} changed the repository");
                let shown = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
                assert_contains(&shown[0].stdout, &target.display().to_string());
            }
        }
    }
}

/// A spec with a byte that is not UTF-8 (a file saved in Latin-1): `check` and `spec start` (the
/// war room's next action) failed with "invalid utf-8 sequence … from index 3245" and no hint.
/// Proves both now name the file and its line, the repository unchanged, and the hint, pasted as
/// printed, lists exactly that line.
#[test]
fn a_document_that_is_not_utf8_is_named_with_its_line() {
    let sandbox = Sandbox::with_kit();
    let spec = sandbox.path(REFERENCE_SPEC);
    let mut bytes = std::fs::read(&spec).unwrap();
    let line = bytes.iter().filter(|byte| **byte == b'\n').count() + 1;
    bytes.extend_from_slice(b"caf\xe9\n");
    std::fs::write(&spec, bytes).unwrap();
    sandbox.commit_all("docs: a line saved as Latin-1");
    let before = sandbox.snapshot();
    for args in [&["check"][..], &["spec", "start", "health-monitor"]] {
        let out = sandbox.xtask().args(args).failure(1);
        assert_contains(&out.stderr, &format!("is not UTF-8 text (line {line})"));
        assert_eq!(sandbox.snapshot(), before, "{args:?} changed the repository");
        let shown = paste_every_hint(&sandbox, &sandbox.root, &out.stderr);
        assert_eq!(shown[0].stdout.lines().count(), 1, "{}", shown[0].stdout);
        assert!(shown[0].stdout.starts_with(&format!("{line}:caf")), "{}", shown[0].stdout);
    }
}
