//! The benchmark end to end, with tiny sizes: it finishes, prints every row of the table (or of
//! the JSON), writes `docs/benchmarks.md` only when asked and through the plan writer, and
//! changes nothing else. No figure is asserted: performance lives in the bench's output, never in
//! timed assertions.
//!
//! The repository measured is a fixture in a temp dir (the project's `src/`, `tests/`,
//! `templates/` and manifest, one commit, its own `HOME` and git configuration, no `Cargo.lock`
//! so nothing is built with cargo), and the xtask timed is `bench-xtask`, this package's link of
//! the xtask library (`cargo xtask bench` passes the binary the alias built instead).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Small enough for the test suite: a handful of add-ons, a short branch, one run each.
const TINY: &[&str] = &["--addons", "5", "--commits", "20", "--runs", "1", "--skip-cold-build"];

/// Every row's measurement, as the table names it.
const ROWS: &[&str] = &[
    "check vs git status",
    "status --json vs git status",
    "check peak memory (vs git status)",
    "status --json peak memory (vs git status)",
    // Ten times `--addons 5`, in a repository of its own.
    "check on 50 add-ons vs git status",
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
    "sync with nothing to do vs git fetch + git status",
    "propose after a cached verify, own time beyond the push",
    "status --all on 50 branches vs git for-each-ref + git status",
    "cold build of the xtask vs a git2-only crate",
    "rebuild after editing templates/spec.md.tera",
    "rebuild after editing one xtask source file (xtask/src/status/mod.rs)",
    "cargo xtask --version vs the binary alone",
];

/// A repository of the kit in a temp dir, with its own home.
struct Fixture {
    _temp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let temp = tempfile::Builder::new().prefix("xtask-bench-test-").tempdir().expect("temp dir");
        let home = temp.path().join("home");
        let root = temp.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Test Engineer\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        )
        .unwrap();
        let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for dir in ["src", "tests", "templates"] {
            copy_dir(&project.join(dir), &root.join(dir));
        }
        std::fs::copy(project.join("Cargo.toml"), root.join("Cargo.toml")).unwrap();
        std::fs::write(root.join(".gitignore"), "/target\n/Cargo.lock\n").unwrap();
        let fixture = Fixture { _temp: temp, root, home };
        fixture.git(&["init", "-q", "-b", "main"]);
        fixture.git(&["add", "-A"]);
        fixture.git(&["commit", "-q", "--no-verify", "-m", "chore: the kit"]);
        fixture
    }

    fn isolate(&self, command: &mut Command) {
        command.env_clear();
        for key in ["PATH", "TMPDIR"] {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
        command.env("HOME", &self.home).env("GIT_CONFIG_NOSYSTEM", "1").env("NO_COLOR", "1").env("LANG", "C.UTF-8");
        command.env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"));
    }

    fn git(&self, args: &[&str]) -> String {
        let mut command = Command::new("git");
        self.isolate(&mut command);
        let output = command.current_dir(&self.root).args(args).stdin(Stdio::null()).output().expect("git runs");
        assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The bench binary on this repository, timing `bench-xtask`.
    fn bench(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask-bench"));
        self.isolate(&mut command);
        command.current_dir(&self.root).arg("--xtask").arg(env!("CARGO_BIN_EXE_bench-xtask")).args(args);
        command.stdin(Stdio::null()).output().expect("the bench starts")
    }

    /// Everything the bench could change: refs, status, the index and every file's bytes.
    fn snapshot(&self) -> (String, BTreeMap<PathBuf, Vec<u8>>) {
        let git = self.git(&["for-each-ref"]) + &self.git(&["status", "--porcelain", "--ignored"]);
        let mut files = BTreeMap::new();
        read_tree(&self.root, &mut files);
        (git + &self.git(&["ls-files", "--stage"]), files)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if entry.file_name() == "target" {
            continue;
        }
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// Every file outside `.git`, except the receipts the bench appends to in `.git/sop`.
fn read_tree(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_name() == ".git" {
            continue;
        }
        if path.is_dir() {
            read_tree(&path, files);
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Proves a tiny run measures every row without a failure and leaves the repository as it was.
#[test]
fn tiny_bench_prints_every_row_and_changes_nothing() {
    let fixture = Fixture::new();
    let before = fixture.snapshot();
    let out = fixture.bench(TINY);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "the bench failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("measurement"), "{stdout}");
    assert!(stdout.contains("synthetic repository: ") && stdout.contains("add-ons"), "{stdout}");
    for row in ROWS {
        assert!(stdout.lines().any(|line| line.starts_with(row)), "no row `{row}` in:\n{stdout}");
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("skipped: --skip-cold-build"), "{stdout}");
    assert_eq!(fixture.snapshot(), before, "the bench changed the repository it ran in");
}

/// Proves `--json` lists every row and `--write-docs` writes the figures section, and only it.
#[test]
fn json_lists_every_row_and_write_docs_fills_the_figures_section() {
    let fixture = Fixture::new();
    let out = fixture.bench(&[TINY, &["--json", "--write-docs"]].concat());
    assert!(out.status.success(), "the bench failed:\n{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
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

    let doc = std::fs::read_to_string(fixture.root.join("docs/benchmarks.md")).expect("docs/benchmarks.md");
    assert!(doc.contains("<!-- bench:figures:begin") && doc.contains("<!-- bench:figures:end -->"), "{doc}");
    assert!(doc.contains("| measurement | ours | baseline | ratio | target | met? |"), "{doc}");
    for row in ROWS {
        assert!(doc.contains(&format!("| {row} |")), "no row `{row}` in:\n{doc}");
    }
    // The plan writer leaves no journal behind, and the cold build was skipped: no README edit.
    assert_eq!(fixture.git(&["status", "--porcelain"]), "?? docs/\n");
}

/// Proves the bench refuses to start without the binary it times.
#[test]
fn without_an_xtask_binary_the_bench_is_refused() {
    let fixture = Fixture::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask-bench"));
    fixture.isolate(&mut command);
    let out = command.current_dir(&fixture.root).args(["--xtask", "/nonexistent/xtask"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("hint: start the bench through the xtask"), "{}", text(&out.stderr));
}
