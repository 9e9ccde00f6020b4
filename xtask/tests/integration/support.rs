//! The test builder: a sandboxed git repository in a temp dir, the real `xtask` binary, and
//! snapshots of everything a command could change.
//!
//! Nothing here reads the machine's git configuration or the project's own history: every git
//! and xtask process gets `HOME` and `GIT_CONFIG_GLOBAL` inside the sandbox, a local identity,
//! `commit.gpgsign false`, and a cleared environment (only `PATH` and the toolchain's homes pass).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository this test suite belongs to (the source of the fixture).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository root").to_path_buf()
}

/// One target dir shared by every test that builds a fixture workspace with cargo.
pub fn fixture_target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixture-target")
}

#[must_use]
pub struct Sandbox {
    _temp: tempfile::TempDir,
    /// The working tree under test.
    pub root: PathBuf,
    /// `HOME` of every process: holds the sandbox's global git config.
    pub home: PathBuf,
}

impl Sandbox {
    /// An empty repository on `main` with no commits.
    pub fn empty() -> Sandbox {
        Sandbox::empty_at("repo")
    }

    /// Like [`Sandbox::empty`], with the working tree at `<temp>/<relative>` (spaces, non-ASCII…).
    pub fn empty_at(relative: &str) -> Sandbox {
        let temp = tempfile::Builder::new().prefix("xtask-test-").tempdir().expect("temp dir");
        let home = temp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Test Engineer\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n[advice]\n\tdetachedHead = false\n",
        )
        .unwrap();
        let root = temp.path().join(relative);
        std::fs::create_dir_all(&root).unwrap();
        let sandbox = Sandbox { _temp: temp, root, home };
        sandbox.git(&["init", "-q", "-b", "main"]);
        sandbox
    }

    /// A repository holding a copy of this project's runtime kit (no xtask), one commit on `main`.
    pub fn with_kit() -> Sandbox {
        let sandbox = Sandbox::empty();
        sandbox.copy_kit();
        sandbox.commit_all("chore: initial commit");
        sandbox
    }

    /// Copies the runtime kit, templates, docs and top-level files into the working tree.
    pub fn copy_kit(&self) {
        let source = project_root();
        for dir in ["src", "tests", "templates", "docs"] {
            copy_dir(&source.join(dir), &self.root.join(dir));
        }
        for file in ["CHANGELOG.md", ".env.example", ".gitignore", "README.md", "rustfmt.toml"] {
            if source.join(file).exists() {
                std::fs::copy(source.join(file), self.root.join(file)).unwrap();
            }
        }
        // The fixture is the root crate alone: no xtask member, and cargo's lock stays untracked.
        let manifest = std::fs::read_to_string(source.join("Cargo.toml")).unwrap();
        let manifest = manifest.replace("members = [\".\", \"xtask\"]", "members = [\".\"]");
        assert!(
            manifest.contains("members = [\".\"]"),
            "the root Cargo.toml's members line changed; update the fixture"
        );
        std::fs::write(self.root.join("Cargo.toml"), manifest).unwrap();
        let mut ignore = std::fs::read_to_string(self.root.join(".gitignore")).unwrap_or_default();
        ignore.push_str("/Cargo.lock\n");
        std::fs::write(self.root.join(".gitignore"), ignore).unwrap();
        self.keep_only_the_reference_addon();
    }

    /// Removes every add-on but the shipped reference one (health monitor), so the fixture is the
    /// same whatever add-ons the repository under development has (`scheduler` on a branch,
    /// say): tests never depend on the project's own state.
    fn keep_only_the_reference_addon(&self) {
        const KEEP: [&str; 3] = ["health_monitor", "HEALTH_MONITOR", "HealthMonitor"];
        let keep = |text: &str| KEEP.iter().any(|k| text.contains(k));
        for dir in ["src/core", "tests/integration"] {
            for entry in std::fs::read_dir(self.root.join(dir)).unwrap().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let stem = name.trim_end_matches(".rs");
                let kit_file = ["mod", "main", "support", "status_command"].contains(&stem);
                if !kit_file && !keep(&name) {
                    let path = entry.path();
                    if path.is_dir() {
                        std::fs::remove_dir_all(path).unwrap()
                    } else {
                        std::fs::remove_file(path).unwrap()
                    }
                }
            }
        }
        for dir in ["docs/specs", "docs/blueprints", "docs/runbooks", "docs/architecture"] {
            for entry in std::fs::read_dir(self.root.join(dir)).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".md")
                    && name.contains("_Spec_")
                        | name.contains("_Blueprint_")
                        | name.contains("_Runbook_")
                        | name.contains("_Architecture_")
                    && !keep(&name)
                {
                    std::fs::remove_file(entry.path()).unwrap();
                }
            }
        }
        // The project's pending CHANGELOG fragments are its state, not the kit's.
        for entry in std::fs::read_dir(self.root.join("docs/changelog.d")).into_iter().flatten().flatten() {
            if entry.file_name() != "README.md" {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
        if let Ok(lock) = std::fs::read_to_string(self.root.join("docs/specs/spec.lock")) {
            let kept: String = lock
                .split_inclusive('\n')
                .filter(|line| line.starts_with('#') || line.trim().is_empty() || keep(line))
                .collect();
            std::fs::write(self.root.join("docs/specs/spec.lock"), kept).unwrap();
        }
        // Marker-delimited registries keep only the reference add-on's lines.
        for (file, begin, end) in [
            ("src/flags.rs", "// sop:flags:begin", "// sop:flags:end"),
            ("src/core/mod.rs", "// sop:modules:begin", "// sop:modules:end"),
            ("src/core/mod.rs", "// sop:addons:begin", "// sop:addons:end"),
            ("tests/integration/main.rs", "// sop:tests:begin", "// sop:tests:end"),
            (".env.example", "# sop:flags:begin", "# sop:flags:end"),
        ] {
            let text = std::fs::read_to_string(self.root.join(file)).unwrap();
            let mut inside = false;
            let mut out = String::new();
            for line in text.split_inclusive('\n') {
                let trimmed = line.trim();
                if trimmed == begin {
                    inside = true;
                } else if trimmed == end {
                    inside = false;
                } else if inside && !trimmed.is_empty() && !keep(line) {
                    continue;
                }
                out.push_str(line);
            }
            std::fs::write(self.root.join(file), out).unwrap();
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn write(&self, relative: &str, content: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.path(relative).exists()
    }

    /// A `git` command in the sandbox's environment, not yet run.
    pub fn git_command(&self, dir: &Path) -> Command {
        let mut command = Command::new("git");
        self.isolate(&mut command);
        command.current_dir(dir);
        command
    }

    /// Runs git in the working tree, asserting success; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.root, args)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let output = self.git_command(dir).args(args).stdin(Stdio::null()).output().expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn current_branch(&self) -> String {
        self.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string()
    }

    /// Creates a bare `origin.git` beside the working tree, adds it as `origin` and pushes `main`.
    pub fn with_origin(&self) -> PathBuf {
        let origin = self.root.parent().unwrap().join("origin.git");
        self.git_in(self.root.parent().unwrap(), &["init", "-q", "--bare", "-b", "main", origin.to_str().unwrap()]);
        self.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
        self.git(&["push", "-q", "-u", "origin", "main"]);
        origin
    }

    /// A teammate's clone of `origin`, sharing this sandbox's home and identity.
    pub fn clone_of(&self, origin: &Path, name: &str) -> PathBuf {
        let clone = self.root.parent().unwrap().join(name);
        self.git_in(self.root.parent().unwrap(), &["clone", "-q", origin.to_str().unwrap(), clone.to_str().unwrap()]);
        clone
    }

    /// The real xtask binary, run in the working tree.
    pub fn xtask(&self) -> Run<'_> {
        Run::new(self, self.root.clone())
    }

    /// Everything a command could change: HEAD, refs, status, the index, every file's bytes.
    pub fn snapshot(&self) -> Snapshot {
        let refs = self.git(&["for-each-ref", "--format=%(refname) %(objectname)"]);
        let head = std::fs::read_to_string(self.root.join(".git/HEAD")).unwrap_or_default();
        let status = self.git(&["status", "--porcelain=v1", "--untracked-files=all", "--ignored"]);
        let index =
            if self.root.join(".git/index").exists() { self.git(&["ls-files", "--stage"]) } else { String::new() };
        let mut files = BTreeMap::new();
        hash_tree(&self.root, &self.root, &mut files);
        Snapshot { head, refs, status, index, files }
    }

    fn isolate(&self, command: &mut Command) {
        command.env_clear();
        for key in ["PATH", "RUSTUP_HOME", "CARGO_HOME", "RUSTUP_TOOLCHAIN", "TMPDIR"] {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
        // rustup and cargo find their homes through HOME unless told: keep the real ones.
        if std::env::var_os("RUSTUP_HOME").is_none() {
            if let Some(home) = std::env::var_os("HOME") {
                command.env("RUSTUP_HOME", Path::new(&home).join(".rustup"));
            }
        }
        if std::env::var_os("CARGO_HOME").is_none() {
            if let Some(home) = std::env::var_os("HOME") {
                command.env("CARGO_HOME", Path::new(&home).join(".cargo"));
            }
        }
        command.env("HOME", &self.home);
        command.env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"));
        command.env("GIT_CONFIG_NOSYSTEM", "1");
        command.env("NO_COLOR", "1");
        command.env("LANG", "C.UTF-8");
    }
}

/// What a command could have changed. Two equal snapshots mean the repository is byte-identical.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub head: String,
    pub refs: String,
    pub status: String,
    /// `git ls-files --stage`: the index's entries (not its bytes, which hold timestamps).
    pub index: String,
    pub files: BTreeMap<String, u64>,
}

fn hash_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if relative == ".git" || relative == "target" {
            continue;
        }
        if path.is_dir() {
            hash_tree(root, &path, out);
        } else {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(&path).unwrap_or_default().hash(&mut hasher);
            out.insert(relative, hasher.finish());
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else { return };
    std::fs::create_dir_all(to).unwrap();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// One run of the xtask binary: `.args()`, `.env()`, `.stdin()`, then `.success()` or `.failure(code)`.
#[must_use]
pub struct Run<'a> {
    sandbox: &'a Sandbox,
    dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
}

/// What a run printed and returned.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl<'a> Run<'a> {
    fn new(sandbox: &'a Sandbox, dir: PathBuf) -> Run<'a> {
        Run { sandbox, dir, args: Vec::new(), env: Vec::new(), stdin: None }
    }

    /// Runs in another directory (a teammate's clone, a subfolder).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn stdin(mut self, input: &str) -> Self {
        self.stdin = Some(input.to_string());
        self
    }

    /// The process, configured but not started (for tests that kill it mid-run).
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        self.sandbox.isolate(&mut command);
        command.current_dir(&self.dir).args(&self.args);
        command.env("CARGO_TARGET_DIR", fixture_target_dir());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    pub fn run(self) -> Outcome {
        use std::io::Write as _;
        let mut command = self.command();
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the xtask binary starts");
        let input = self.stdin.clone().unwrap_or_default();
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        let output: Output = child.wait_with_output().expect("the xtask binary finishes");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs and asserts exit 0.
    pub fn success(self) -> Outcome {
        let description = format!("xtask {:?}", self.args);
        let outcome = self.run();
        assert_eq!(
            outcome.code, 0,
            "{description} failed:\n--- stdout\n{}\n--- stderr\n{}",
            outcome.stdout, outcome.stderr
        );
        outcome
    }

    /// Runs and asserts the exit code.
    pub fn failure(self, code: i32) -> Outcome {
        let description = format!("xtask {:?}", self.args);
        let outcome = self.run();
        assert_eq!(
            outcome.code, code,
            "{description}: wrong exit code:\n--- stdout\n{}\n--- stderr\n{}",
            outcome.stdout, outcome.stderr
        );
        outcome
    }

    /// Runs, asserts the exit code, and asserts the repository is byte-identical afterwards.
    pub fn refused(self, code: i32) -> Outcome {
        let before = self.sandbox.snapshot();
        let sandbox = self.sandbox;
        let outcome = self.failure(code);
        assert_eq!(sandbox.snapshot(), before, "the refused command changed the repository:\n{}", outcome.stderr);
        outcome
    }
}

/// Asserts `haystack` contains `needle`, printing both when it does not.
#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "expected to find {needle:?} in:\n{haystack}");
}

impl Sandbox {
    /// Copies the project's committed git hooks (`.githooks/`, executable bits kept) into the
    /// working tree, as a clone of the project has them.
    pub fn copy_githooks(&self) {
        copy_dir(&project_root().join(".githooks"), &self.root.join(".githooks"));
    }

    /// Copies the project's `Cargo.lock` (ignored in the fixture) so cargo resolves the fixture's
    /// dependencies from it, offline, instead of from the registry.
    pub fn copy_lockfile(&self) {
        std::fs::copy(project_root().join("Cargo.lock"), self.root.join("Cargo.lock")).unwrap();
    }
}
