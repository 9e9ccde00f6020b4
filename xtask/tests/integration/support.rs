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

/// The runtime's own discovery rule (`src/build/discover.rs`): the fixture leaves out exactly the
/// files the build would compile in as add-ons, except the reference one.
#[path = "../../../src/build/discover.rs"]
mod discover;

/// The add-on every fixture keeps: the kit's reference add-on.
pub const REFERENCE_MODULE: &str = "health_monitor";
pub const REFERENCE_FEATURE: &str = "HealthMonitor";

/// A CHANGELOG as a new repository of the kit has it.
const KIT_CHANGELOG: &str = "# Changelog\n\nAll notable changes to this repository are recorded here, in the form of\n[Keep a Changelog](https://keepachangelog.com/en/1.1.0/).\n\n## [Unreleased]\n";

/// The root manifest of the fixture: the project's package and dependencies (so cargo resolves
/// it from the project's lock file), the root crate as the only member, and none of the
/// project's `[workspace.metadata.*]` settings: the SOP defaults apply, whatever the team set.
fn kit_manifest(source: &Path) -> String {
    let text = std::fs::read_to_string(source.join("Cargo.toml")).unwrap();
    let mut out = String::new();
    let mut table = String::new();
    let mut members_seen = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            table = trimmed.trim_matches(['[', ']']).trim().to_string();
        }
        if table.starts_with("workspace.metadata") {
            continue;
        }
        if table == "workspace" && trimmed.starts_with("members") {
            out.push_str("members = [\".\"]\n");
            members_seen = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(members_seen, "the project's Cargo.toml has no `[workspace] members`; update the fixture");
    // An empty settings table (every default), where tests add the keys they exercise.
    out.push_str("\n[workspace.metadata.sop]\n");
    out
}

/// `text` with its `**Status:**` line set to `status`.
pub fn pin_status(text: &str, status: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            if line.starts_with("**Status:**") {
                let end = if line.ends_with("  \n") { "  \n" } else { "\n" };
                format!("**Status:** {status}{end}")
            } else {
                line.to_string()
            }
        })
        .collect()
}

/// The repository this test suite belongs to (the source of the fixture).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository root").to_path_buf()
}

/// One target dir shared by every test that builds a fixture workspace with cargo.
pub fn fixture_target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixture-target")
}

/// The global git configuration of every sandbox: an identity, `main`, no signing, and no
/// automatic maintenance. git starts `git maintenance run --auto` after every commit, fetch,
/// merge and rebase to decide whether to repack; in repositories of a few hundred objects it never
/// does, and those processes were a fifth of the suite's git processes (counted with `strace`).
/// What git and the tool do is the same either way.
const SANDBOX_GITCONFIG: &str = "[user]\n\tname = Test Engineer\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n[advice]\n\tdetachedHead = false\n[maintenance]\n\tauto = false\n";

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
        let sandbox = Sandbox::unborn_at(relative);
        sandbox.git(&["init", "-q", "-b", "main"]);
        sandbox
    }

    /// The temp dir, its home and an empty working-tree folder, with no repository yet.
    fn unborn_at(relative: &str) -> Sandbox {
        let temp = tempfile::Builder::new().prefix("xtask-test-").tempdir_in(sandbox_temp_dir()).expect("temp dir");
        let home = temp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join(".gitconfig"), SANDBOX_GITCONFIG).unwrap();
        let root = temp.path().join(relative);
        std::fs::create_dir_all(&root).unwrap();
        Sandbox { _temp: temp, root, home }
    }

    /// A repository holding a copy of this project's runtime kit (no xtask), one commit on `main`.
    /// Built once per test process, then copied (see [`Sandbox::cached`]).
    pub fn with_kit() -> Sandbox {
        Sandbox::cached("kit", || {
            let built = Sandbox::empty();
            built.copy_kit();
            built.commit_all("chore: initial commit");
            built
        })
    }

    /// The sandbox `build` makes, built once per test process for each `key` and kept in memory;
    /// each call gets a byte-for-byte copy of its files (`.git` with its objects packed and
    /// without hook samples, and a bare `origin.git` beside it included, the home folder made
    /// afresh) instead of running the git processes again. The
    /// one absolute path a repository holds, a remote's URL in `.git/config`, is moved to the
    /// copy's folder, and the index's stat data are refreshed.
    pub fn cached(key: &str, build: impl FnOnce() -> Sandbox) -> Sandbox {
        static TEMPLATES: std::sync::Mutex<BTreeMap<String, std::sync::Arc<Template>>> =
            std::sync::Mutex::new(BTreeMap::new());
        let found = TEMPLATES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned();
        let template = found.unwrap_or_else(|| {
            let _timer = timer(|| format!("build template {key}"));
            let template = std::sync::Arc::new(Template::capture(&build()));
            let mut templates = TEMPLATES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            templates.entry(key.to_string()).or_insert(template).clone()
        });
        let _timer = timer(|| format!("copy template {key}"));
        let sandbox = Sandbox::unborn_at("repo");
        template.write_to(sandbox.root.parent().unwrap());
        // The index's stat data are the template's files': refreshed, as after a checkout, so git
        // sees the copies as the clean files they are (a sparse checkout removes them).
        // Exit 1 when a file is really changed (a template with uncommitted work): not an error.
        let _ = sandbox.git_command(&sandbox.root).args(["update-index", "-q", "--refresh"]).status();
        sandbox
    }

    /// Builds the fixture from the tool's own kit: the runtime's sources without any add-on but
    /// the reference one (health monitor), its tests likewise, the templates, the reference
    /// add-on's four documents with its spec pinned to `Approved`, a fresh CHANGELOG and a
    /// manifest with no `[workspace.metadata.sop]` (the defaults). Nothing of the project's own
    /// state reaches it — not its other add-ons, its CHANGELOG fragments, its frozen specs or its
    /// settings — so the suite passes in every state a team can bring this repository to.
    pub fn copy_kit(&self) {
        let source = project_root();
        let (addons, _) = discover::addons(&source);
        let is_other_addon = |path: &Path| {
            addons.iter().any(|addon| {
                addon.module != REFERENCE_MODULE
                    && (path
                        .starts_with(addon.file.parent().filter(|p| p.ends_with(&addon.module)).unwrap_or(&addon.file))
                        || path == addon.file
                        || addon.test.as_deref() == Some(path))
            })
        };
        for dir in ["src", "tests", "templates"] {
            copy_dir_filtered(&source.join(dir), &self.root.join(dir), &is_other_addon);
        }
        for file in [".gitignore", "rustfmt.toml"] {
            if source.join(file).exists() {
                std::fs::copy(source.join(file), self.root.join(file)).unwrap();
            }
        }
        // `.env.example` without the flags of the project's other add-ons, should it show any.
        let example = std::fs::read_to_string(source.join(".env.example")).unwrap_or_default();
        let kept: String = example
            .split_inclusive('\n')
            .filter(|line| !line.starts_with("FEATURE_") || line.starts_with("FEATURE_HEALTH_MONITOR="))
            .collect();
        self.write(".env.example", &kept);
        for (dir, kind) in [
            ("docs/specs", "Spec"),
            ("docs/blueprints", "Blueprint"),
            ("docs/runbooks", "Runbook"),
            ("docs/architecture", "Architecture"),
        ] {
            let name = format!("Lancelot_vNext2_{kind}_{REFERENCE_FEATURE}.md");
            let mut text = std::fs::read_to_string(source.join(dir).join(&name)).unwrap();
            if kind == "Spec" {
                text = pin_status(&text, "Approved");
            }
            self.write(&format!("{dir}/{name}"), &text);
        }
        self.write("CHANGELOG.md", KIT_CHANGELOG);
        // The fragments folder's guide is the kit's; the pending fragments are the project's state.
        if let Ok(guide) = std::fs::read_to_string(source.join("docs/changelog.d/README.md")) {
            self.write("docs/changelog.d/README.md", &guide);
        }
        self.write("README.md", "# A repository of the Lancelot kit\n");
        self.write("Cargo.toml", &kit_manifest(&source));
        let mut ignore = std::fs::read_to_string(self.root.join(".gitignore")).unwrap_or_default();
        ignore.push_str("/Cargo.lock\n");
        std::fs::write(self.root.join(".gitignore"), ignore).unwrap();
    }

    /// `git hash-object` of some text: the hash a freeze record holds.
    pub fn blob_id(&self, text: &str) -> String {
        use std::io::Write as _;
        let mut child = self
            .git_command(&self.root)
            .args(["hash-object", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("git runs");
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "git hash-object failed");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
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
    /// The origin keeps what is pushed to it as a pack, as a forge does (`receive.unpackLimit`):
    /// git's default explodes a push of under 100 objects into loose files, the kit's first push
    /// included, and every clone of it then links each one (measured: most of the suite's
    /// system time went to `unpack-objects` and `clone`).
    pub fn with_origin(&self) -> PathBuf {
        let origin = self.root.parent().unwrap().join("origin.git");
        self.git_in(self.root.parent().unwrap(), &["init", "-q", "--bare", "-b", "main", origin.to_str().unwrap()]);
        self.git_in(&origin, &["config", "receive.unpackLimit", "1"]);
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

    /// Writes `content` to `path` in the clone `dir` and commits it there (hooks skipped): a
    /// teammate's commit, or one of this clone's.
    pub fn commit_file_in(&self, dir: &Path, path: &str, content: &str, message: &str) {
        std::fs::write(dir.join(path), content).unwrap();
        self.git_in(dir, &["add", "-A"]);
        self.git_in(dir, &["commit", "-q", "--no-verify", "-m", message]);
    }

    /// The real xtask binary, run in the working tree.
    pub fn xtask(&self) -> Run<'_> {
        Run::new(self, self.root.clone())
    }

    /// Everything a command could change: HEAD, the refs, the repository's configuration, the
    /// index's entries and every file's bytes. `git status` is not asked: it is a function of
    /// these (HEAD's tree, the index, the files, the ignore rules in the files and in `.git/info`),
    /// and the refs are read as the files git keeps them in, so a snapshot costs one git process.
    pub fn snapshot(&self) -> Snapshot {
        let git_dir = self.root.join(".git");
        let head = std::fs::read_to_string(git_dir.join("HEAD")).unwrap_or_default();
        let mut refs = BTreeMap::new();
        for part in ["refs", "packed-refs", "config", "info"] {
            hash_tree(&git_dir, &git_dir.join(part), &mut refs);
        }
        let index = if git_dir.join("index").exists() { self.git(&["ls-files", "--stage"]) } else { String::new() };
        let mut files = BTreeMap::new();
        hash_tree(&self.root, &self.root, &mut files);
        Snapshot { head, refs, index, files }
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
    /// The bytes of every file under `.git/refs`, `.git/info`, `packed-refs` and `config`.
    pub refs: BTreeMap<String, u64>,
    /// `git ls-files --stage`: the index's entries (not its bytes, which hold timestamps).
    pub index: String,
    pub files: BTreeMap<String, u64>,
}

/// The hash of every file at or under `path` (a folder or one file; nothing if it is missing),
/// keyed by its path relative to `root`, `.git` and `target` left out.
fn hash_tree(root: &Path, path: &Path, out: &mut BTreeMap<String, u64>) {
    let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
    if relative == ".git" || relative == "target" {
        return;
    }
    if path.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            hash_tree(root, &entry.path(), out);
        }
    } else if path.symlink_metadata().is_ok() {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        if path.is_file() {
            std::fs::read(path).unwrap_or_default().hash(&mut hasher);
        } else {
            // A link to nothing, or to what is no file (`/dev/zero`, a FIFO: never read), is
            // there with its target.
            std::fs::read_link(path).ok().hash(&mut hasher);
        }
        out.insert(relative, hasher.finish());
    }
}

/// Every file under `dir` (relative to `root`), with its bytes and mode, and every empty folder
/// (mode [`EMPTY_FOLDER`]: git's `refs/tags`, `objects/pack`).
/// A built sandbox's files, for [`Sandbox::cached`]: the temp folder it was built in, and every
/// file under it but the home folder's, with its bytes and mode (or an empty folder).
struct Template {
    built_in: String,
    files: Vec<(PathBuf, Vec<u8>, u32)>,
}

impl Template {
    fn capture(built: &Sandbox) -> Template {
        assert!(built.root.ends_with("repo"), "a cached sandbox has its working tree at <temp>/repo");
        let temp = built.root.parent().unwrap().to_path_buf();
        // Loose objects packed (two files to copy instead of hundreds); refs untouched.
        for entry in std::fs::read_dir(&temp).unwrap().flatten() {
            let git_dir = [entry.path().join(".git"), entry.path()].into_iter().find(|d| d.join("objects").is_dir());
            if let Some(git_dir) = git_dir {
                built.git_in(&git_dir, &["repack", "-a", "-d", "-q"]);
            }
        }
        let mut files = Vec::new();
        read_all(&temp, &temp, &mut files);
        files.retain(|(path, _, _)| !path.starts_with("home"));
        // The hook samples are left out, their folder kept (a test may install a hook).
        for (path, bytes, mode) in &mut files {
            if path.to_string_lossy().ends_with(".sample") {
                (*path, *bytes, *mode) = (path.parent().unwrap().to_path_buf(), Vec::new(), EMPTY_FOLDER);
            }
        }
        files.dedup();
        Template { built_in: temp.to_string_lossy().into_owned(), files }
    }

    /// Writes the files under `temp`, a remote's URL moved from the folder they were built in.
    fn write_to(&self, temp: &Path) {
        let mut folders = std::collections::BTreeSet::new();
        for (relative, bytes, mode) in &self.files {
            let path = temp.join(relative);
            let folder = if *mode == EMPTY_FOLDER { path.clone() } else { path.parent().unwrap().to_path_buf() };
            if folders.insert(folder.clone()) {
                std::fs::create_dir_all(&folder).unwrap();
            }
            if *mode == EMPTY_FOLDER {
                continue;
            }
            if relative.ends_with(".git/config") || relative.ends_with("origin.git/config") {
                let text = String::from_utf8_lossy(bytes).replace(&self.built_in, &temp.to_string_lossy());
                std::fs::write(&path, text).unwrap();
            } else {
                std::fs::write(&path, bytes).unwrap();
            }
            // New files are not executable: only an executable one needs its mode set.
            if mode & 0o111 != 0 {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
            }
        }
    }
}

const EMPTY_FOLDER: u32 = u32::MAX;

fn read_all(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>, u32)>) {
    if std::fs::read_dir(dir).unwrap().next().is_none() {
        out.push((dir.strip_prefix(root).unwrap().to_path_buf(), Vec::new(), EMPTY_FOLDER));
    }
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        if metadata.is_dir() {
            read_all(root, &path, out);
        } else {
            use std::os::unix::fs::PermissionsExt as _;
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            out.push((relative, std::fs::read(&path).unwrap(), metadata.permissions().mode()));
        }
    }
}

fn copy_dir_filtered(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) {
    let Ok(entries) = std::fs::read_dir(from) else { return };
    std::fs::create_dir_all(to).unwrap();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || skip(&path) {
            continue;
        }
        if path.is_dir() {
            copy_dir_filtered(&path, &to.join(&name), skip);
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
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
    /// Set by [`Run::without_cargo`]: the run builds no fixture, whatever its command.
    no_build: bool,
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
        Run { sandbox, dir, args: Vec::new(), env: Vec::new(), stdin: None, no_build: false }
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

    /// For a run whose `PATH` has no real cargo (none, or a test double): it builds no fixture,
    /// so it neither waits for [`cargo_guard`] nor touches the sources.
    pub fn without_cargo(mut self) -> Self {
        self.no_build = true;
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
        // `onboard` builds the fixture with cargo: it takes its turn on the shared target dir.
        let builds = !self.no_build
            && self.args.first().is_some_and(|a| a == "onboard")
            && !self.args.iter().any(|a| a == "--dry-run" || a == "--help" || a == "-h");
        let _cargo = builds.then(cargo_guard);
        if builds {
            touch_sources(&self.dir);
        }
        let _timer = timer(|| format!("xtask {}", self.args.join(" ")));
        let mut command = self.command();
        // `pre-pr` under the guard verifies with real cargo: it builds at the site.
        let builds_there = builds || self.args.first().is_some_and(|a| a == "pre-pr");
        let relocated = if builds_there && !self.no_build { Relocated::for_build(&self.dir) } else { None };
        if let Some(relocated) = &relocated {
            command.current_dir(&relocated.dir);
        }
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

/// The commands a run printed as `next: <command>`, in order.
pub fn next_lines(output: &str) -> Vec<String> {
    output.lines().filter_map(|line| line.strip_prefix("next: ")).map(str::to_string).collect()
}

/// The command of the first `hint:` line that holds one (see [`command_of`]): hints read
/// `hint: <why>:` then `hint: <command>`, one command a line, or `hint: <why>: <command>`.
pub fn hint_command(output: &str) -> String {
    let hints: Vec<&str> = output.lines().filter_map(|line| line.trim_start().strip_prefix("hint: ")).collect();
    assert!(!hints.is_empty(), "no hint: line in:\n{output}");
    hints.iter().find_map(|hint| command_of(hint)).unwrap_or_else(|| panic!("the hint holds no command: {hints:?}"))
}

/// The programs a printed command may start with (after `NAME=value` assignments).
const PROGRAMS: &[&str] = &[
    "cargo", "git", "gh", "rm", "mv", "mkdir", "cp", "echo", "printf", "rustup", "unset", "sed", "chmod", "ls", "grep",
    "perl",
];

/// Whether `text` starts with a command: optional `NAME=value ` assignments, then a program.
fn starts_with_command(text: &str) -> bool {
    let mut rest = text;
    while let Some((word, tail)) = rest.split_once(' ') {
        let assignment = word.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        if !assignment {
            break;
        }
        rest = tail;
    }
    PROGRAMS.iter().any(|program| rest.strip_prefix(program).is_some_and(|tail| tail.starts_with(' ')))
}

/// The command a `hint:`/`next:` line holds: the whole line when it starts with one, else what
/// follows the first `: ` that precedes one (`<why>: <command>`); `None` for a line of words.
pub fn command_of(line: &str) -> Option<String> {
    let line = line.trim();
    if starts_with_command(line) {
        return Some(line.to_string());
    }
    line.match_indices(": ")
        .map(|(index, _)| &line[index + 2..])
        .find(|rest| starts_with_command(rest))
        .map(str::to_string)
}

/// Every `hint:` and `next:` line of `output` (prefix removed), in order.
pub fn hint_lines(output: &str) -> Vec<String> {
    output
        .lines()
        .map(str::trim_start)
        .filter_map(|line| line.strip_prefix("hint: ").or_else(|| line.strip_prefix("next: ")))
        .map(str::to_string)
        .collect()
}

/// The commands of every `hint:` and `next:` line of `output`, in order (lines of words dropped).
pub fn hint_commands(output: &str) -> Vec<String> {
    hint_lines(output).iter().filter_map(|line| command_of(line)).collect()
}

/// One printed command, pasted.
#[derive(Debug)]
pub struct Pasted {
    pub line: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// stdout then stderr: where `next:` and `hint:` lines are printed.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Sandbox {
    /// Runs a command line exactly as printed (see [`Sandbox::sh`]) and returns what it did,
    /// whatever its exit code.
    pub fn paste(&self, dir: &Path, line: &str) -> Pasted {
        let _timer = timer(|| format!("paste {line}"));
        if line.contains("cargo ") {
            touch_sources(dir);
        }
        let binary = env!("CARGO_BIN_EXE_xtask");
        let script = line.replace("cargo xtask ", &format!("'{binary}' "));
        let relocated = if line.contains("cargo ") { Relocated::for_build(dir) } else { None };
        let output = self
            .git_command(relocated.as_ref().map_or(dir, |r| &r.dir))
            .env("CARGO_TARGET_DIR", fixture_target_dir())
            .env("LANCELOT_XTASK", binary)
            .stdin(Stdio::null())
            .output_of_shell(&script);
        Pasted {
            line: line.to_string(),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Pastes every command of the `hint:` and `next:` lines of `output`, in order, in `dir`
/// (the sandbox's HOME, no terminal), and fails the test unless each exits 0. A refusal's output
/// must hold at least one command. See [`paste_hints`] for a line whose promised effect is not
/// an exit 0.
#[track_caller]
pub fn paste_every_hint(sandbox: &Sandbox, dir: &Path, output: &str) -> Vec<Pasted> {
    paste_hints(sandbox, dir, output, &[])
}

/// Like [`paste_every_hint`], with the exit codes a test declares for the lines that start with
/// a given prefix (`("git rebase origin/main", 1)`: it stops at the conflict, as promised); every
/// other line must exit 0, and every declared prefix must match a printed line.
#[track_caller]
pub fn paste_hints(sandbox: &Sandbox, dir: &Path, output: &str, expected: &[(&str, i32)]) -> Vec<Pasted> {
    let commands = hint_commands(output);
    assert!(!commands.is_empty(), "no hint: or next: line with a command to paste in:\n{output}");
    for (prefix, _) in expected {
        assert!(
            commands.iter().any(|command| command.starts_with(prefix)),
            "no printed command starts with {prefix:?}: {commands:?}"
        );
    }
    let mut pasted = Vec::new();
    for command in commands {
        let run = sandbox.paste(dir, &command);
        let want = expected.iter().find(|(prefix, _)| command.starts_with(prefix)).map_or(0, |(_, code)| *code);
        assert_eq!(
            run.code,
            want,
            "pasted `{command}` in {}: exit {} (expected {want})\n--- stdout\n{}\n--- stderr\n{}\n--- the output it came from\n{output}",
            dir.display(),
            run.code,
            run.stdout,
            run.stderr
        );
        pasted.push(run);
    }
    pasted
}

impl Sandbox {
    /// Runs a command line exactly as the tool printed it, through `sh -c`, in `dir`, with the
    /// sandbox's environment; `cargo xtask` is the binary under test (the fixture has no xtask
    /// member). Asserts success and returns stdout.
    pub fn sh(&self, dir: &Path, line: &str) -> String {
        let _timer = timer(|| format!("sh {line}"));
        if line.contains("cargo ") {
            touch_sources(dir);
        }
        let binary = env!("CARGO_BIN_EXE_xtask");
        let script = line.replace("cargo xtask ", &format!("'{binary}' "));
        let relocated = if line.contains("cargo ") { Relocated::for_build(dir) } else { None };
        let output = self
            .git_command(relocated.as_ref().map_or(dir, |r| &r.dir))
            .env("CARGO_TARGET_DIR", fixture_target_dir())
            .stdin(Stdio::null())
            .output_of_shell(&script);
        assert!(
            output.status.success(),
            "`{line}` failed in {}:\n{}{}",
            dir.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

trait ShellLine {
    fn output_of_shell(&mut self, script: &str) -> Output;
}

impl ShellLine for Command {
    /// Reuses the configured environment and directory, running `sh -c <script>` instead.
    fn output_of_shell(&mut self, script: &str) -> Output {
        let mut shell = Command::new("sh");
        shell.arg("-c").arg(script);
        shell.env_clear();
        for (key, value) in self.get_envs() {
            if let Some(value) = value {
                shell.env(key, value);
            }
        }
        if let Some(dir) = self.get_current_dir() {
            shell.current_dir(dir);
        }
        shell.stdin(Stdio::null()).output().expect("sh runs")
    }
}

/// Where the suite's time goes: with `XTASK_SUITE_TIMES=<file>` set, each xtask run, pasted or
/// `sh` line, sandbox template build and wait for [`cargo_guard`] appends a line
/// `<test>\t<seconds>\t<cpu>\t<what>` to the file (the test is the thread's name, as libtest sets it).
/// Unset, nothing is measured or written. Each line also gives the CPU seconds (user+sys) of the
/// child processes that ended meanwhile: exact with `--test-threads=1`, shared out otherwise.
pub struct Timer {
    started: std::time::Instant,
    children_cpu: f64,
    what: Option<String>,
}

/// CPU seconds (user+sys) of this process's ended and waited-for children.
fn children_cpu() -> f64 {
    // SAFETY: `getrusage` writes one `rusage` the caller owns; any `who` is memory-safe.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Starts a [`Timer`] for `what` (computed only when the log is on); it logs when dropped.
pub fn timer(what: impl FnOnce() -> String) -> Timer {
    let on = std::env::var_os("XTASK_SUITE_TIMES").is_some();
    let children_cpu = if on { children_cpu() } else { 0.0 };
    Timer { started: std::time::Instant::now(), children_cpu, what: on.then(what) }
}

impl Drop for Timer {
    fn drop(&mut self) {
        use std::io::Write as _;
        let (Some(what), Some(path)) = (&self.what, std::env::var_os("XTASK_SUITE_TIMES")) else { return };
        let thread = std::thread::current();
        let line = format!(
            "{}\t{:.3}\t{:.3}\t{}\n",
            thread.name().unwrap_or("?"),
            self.started.elapsed().as_secs_f64(),
            children_cpu() - self.children_cpu,
            what.replace(['\n', '\t'], " ")
        );
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

/// Tests that run cargo in a fixture share one target dir, and `cargo run` / `cargo build` put
/// the `lancelot` binary at the same path there whichever clone built it: such tests hold this
/// for their whole run, so one never runs the binary another just built.
/// Re-entrant within a thread: a test that holds it may run commands that take it again.
pub fn cargo_guard() -> CargoGuard {
    static CARGO: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if HELD.with(std::cell::Cell::get) {
        return CargoGuard(None);
    }
    let guard = {
        let _timer = timer(|| "wait for the cargo guard".to_string());
        CARGO.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    HELD.with(|held| held.set(true));
    forget_touched();
    CargoGuard(Some(guard))
}

/// The fixture whose sources the holder of [`cargo_guard`] touched last: cargo has built nothing
/// in another fixture since (every build holds the guard), so its artefacts are this fixture's
/// and the next cargo command there needs no touch (no rebuild of what is fresh).
static TOUCHED: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

fn forget_touched() {
    *TOUCHED.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
}

thread_local! {
    static HELD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Held while a test may run cargo in a fixture; see [`cargo_guard`].
#[must_use]
pub struct CargoGuard(Option<std::sync::MutexGuard<'static, ()>>);

impl Drop for CargoGuard {
    fn drop(&mut self) {
        if self.0.is_some() {
            forget_touched();
            HELD.with(|held| held.set(false));
        }
    }
}

/// Marks a fixture's sources as just changed before cargo builds it. Every fixture is the
/// `lancelot` package at its workspace root, and cargo hashes a path package by its path
/// *relative* to the workspace: all fixtures share one set of artefacts in the shared target
/// dir, and cargo judges them fresh by comparing the sources' mtimes with the artefacts'. A
/// fixture written before another fixture's build would otherwise be given that build's
/// artefacts (and its build script's add-on list). Called under [`cargo_guard`]; a fixture the
/// holder touched last is not touched again (files changed since are newer than its artefacts).
pub fn touch_sources(dir: &Path) {
    let holder = HELD.with(std::cell::Cell::get);
    let mut touched = TOUCHED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if holder && touched.as_deref() == Some(dir) {
        return;
    }
    if holder {
        *touched = Some(dir.to_path_buf());
    }
    fn touch(path: &Path, now: std::time::SystemTime) {
        if let Ok(file) = std::fs::File::open(path) {
            let _ = file.set_modified(now);
        }
        if path.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                touch(&entry.path(), now);
            }
        }
    }
    let now = std::time::SystemTime::now();
    for part in ["src", "tests", "Cargo.toml", "build.rs"] {
        touch(&dir.join(part), now);
    }
}

/// Where the sandboxes are made: `$TMPDIR` when the engineer set it; otherwise memory
/// (`/dev/shm`) when the machine offers a writable tmpfs with room to spare that may run programs
/// (the sandboxes hold git hooks and scripts), else the system's temp folder.
/// The suite creates, commits and deletes some hundred thousand small files; on the 2-core CI
/// machine's ext4 disk that was half its time in the kernel (measured: 103 s for the suite, 95 s
/// of it system CPU; on tmpfs, see docs/benchmarks.md). The files and what the tests check are the
/// same either way.
pub fn sandbox_temp_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        const ROOM: u64 = 4 << 30;
        let memory = Path::new("/dev/shm");
        if std::env::var_os("TMPDIR").is_none() && memory.is_dir() && available_bytes(memory) >= ROOM {
            memory.to_path_buf()
        } else {
            std::env::temp_dir()
        }
    })
}

/// The bytes an unprivileged process may still write under `dir`: 0 when it cannot be asked, or
/// when the file system is mounted read-only or without the right to run programs.
fn available_bytes(dir: &Path) -> u64 {
    use std::os::unix::ffi::OsStrExt as _;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return 0 };
    // SAFETY: `statvfs` reads a NUL-terminated path and writes one `statvfs` the caller owns.
    let (status, stat) = unsafe {
        let mut stat = std::mem::zeroed::<libc::statvfs>();
        (libc::statvfs(path.as_ptr(), &mut stat), stat)
    };
    if status != 0 || stat.f_flag & (libc::ST_NOEXEC | libc::ST_RDONLY) != 0 {
        return 0;
    }
    // SAFETY: `access` reads a NUL-terminated path.
    if unsafe { libc::access(path.as_ptr(), libc::W_OK) } != 0 {
        return 0;
    }
    stat.f_bavail.saturating_mul(stat.f_frsize)
}

/// Where a working tree is moved while a cargo command builds it: one path for every fixture.
/// The kit's build script writes each add-on's absolute path into the code it generates, so a
/// fixture built at a path of its own invalidates rustc's incremental cache of the last one
/// (measured: 9-11 s of CPU a `cargo test --workspace --no-run` instead of 4 s). Under
/// [`cargo_guard`] builds run one at a time, so one place serves them all; one a test process,
/// so two runs of the suite never move their trees into each other's. It is in the sandboxes'
/// temp folder, on their file system: a tree is moved there by a rename.
fn build_site() -> PathBuf {
    let process = std::process::id().to_string();
    sandbox_temp_dir().join("xtask-fixture-site").join(process).join("repo")
}

/// A working tree moved to [`build_site`] for one command, a symbolic link left where it was
/// (a remote URL or a path the test holds still reaches it); dropped, it is moved back.
pub struct Relocated {
    home: PathBuf,
    /// The directory to run in: at the site, the same place inside the working tree.
    pub dir: PathBuf,
}

impl Relocated {
    /// Moves the working tree holding `dir` to the site, if this thread holds [`cargo_guard`]
    /// (else, or for a folder outside any working tree, `None`: the command runs where it is).
    pub fn for_build(dir: &Path) -> Option<Relocated> {
        if !HELD.with(std::cell::Cell::get) {
            return None;
        }
        let home = dir.ancestors().find(|a| a.join(".git").exists())?.to_path_buf();
        let inside = dir.strip_prefix(&home).ok()?.to_path_buf();
        let site = build_site();
        // A test that failed while its tree was here (or a dead process of the same pid) left
        // it: the site is always free.
        let _ = std::fs::remove_dir_all(&site);
        std::fs::create_dir_all(site.parent().unwrap()).unwrap();
        std::fs::rename(&home, &site).unwrap();
        std::os::unix::fs::symlink(&site, &home).unwrap();
        Some(Relocated { home, dir: site.join(inside) })
    }
}

impl Drop for Relocated {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.home);
        let _ = std::fs::rename(build_site(), &self.home);
        // The process's folder goes too: a run leaves no empty folder behind.
        let _ = std::fs::remove_dir(build_site().parent().unwrap());
    }
}

/// Whether a finding's rule id is `rule` or one of its own kinds: each secret rule has an id of
/// its own (`sop-4.9/secret/github-token`), which tests about the secret rule as a whole (not
/// about which kind was found; `secrets_recall.rs` pins those) count as `sop-4.9/secret`.
pub fn rule_is(value: &serde_json::Value, rule: &str) -> bool {
    value.as_str().is_some_and(|id| rule_family(id) == rule || id == rule)
}

/// `sop-4.9/secret/<kind>` → `sop-4.9/secret`; any other id unchanged.
pub fn rule_family(id: &str) -> String {
    match id.strip_prefix("sop-4.9/secret/") {
        Some(_) => "sop-4.9/secret".to_string(),
        None => id.to_string(),
    }
}

/// A repository with a bare origin whose `core.hooksPath` points at the committed hooks.
pub fn hooked_clone() -> Sandbox {
    let sandbox = Sandbox::with_kit();
    sandbox.copy_githooks();
    sandbox.commit_all("chore: add the git hooks");
    sandbox.with_origin();
    sandbox.git(&["config", "core.hooksPath", ".githooks"]);
    sandbox
}

/// A fake PEM private key and its body, assembled so no scannable literal exists in the source.
pub fn fake_private_key() -> (String, String) {
    let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
    let key = ["-----BEGIN RSA ", "PRIVATE KEY-----\n", body, "\n-----END RSA ", "PRIVATE KEY-----\n"].concat();
    (key, body.to_string())
}

/// A fake AWS access key id, assembled from pieces.
pub fn fake_aws_key_id() -> String {
    ["AK", "IA", "Q3EGRZ7V", "K2MX9PLT"].concat()
}

/// Asserts a secret appears in none of a run's outputs nor the receipts.
#[track_caller]
pub fn assert_never_printed(sandbox: &Sandbox, out: &Outcome, secret: &str) {
    assert!(!out.stdout.contains(secret), "secret printed on stdout:\n{}", out.stdout);
    assert!(!out.stderr.contains(secret), "secret printed on stderr:\n{}", out.stderr);
    let receipts = std::fs::read_to_string(sandbox.path(".git/sop/receipts.jsonl")).unwrap_or_default();
    assert!(!receipts.contains(secret), "secret in the receipts");
}

/// A run held at a named point (`XTASK_TEST_HOLD_AT`, see `xtask/src/test_hooks.rs`): the run
/// says when it is there and waits for the test, so the test acts at an exact point of the run,
/// with no timing guess. One a run; its files live in a folder of the sandbox's home.
pub struct Hold {
    dir: PathBuf,
    point: String,
}

impl Hold {
    pub fn at(sandbox: &Sandbox, point: &str) -> Hold {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let number = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = sandbox.home.join(format!("hold-{number}"));
        std::fs::create_dir_all(&dir).unwrap();
        Hold { dir, point: point.to_string() }
    }

    /// `run` with the knobs that hold it at the point.
    pub fn on<'a>(&self, run: Run<'a>) -> Run<'a> {
        run.env("XTASK_TEST_HOLD_AT", &self.point).env("XTASK_TEST_HOLD_DIR", self.dir.to_str().unwrap())
    }

    /// Waits until the run is held at the point. Fails if it ends first (the point was never
    /// reached), or after a minute (a deadlock guard, not a timing assumption).
    #[track_caller]
    pub fn wait(&self, child: &mut std::process::Child) {
        let started = std::time::Instant::now();
        while !self.dir.join("reached").exists() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the run ended ({status}) before it reached `{}`", self.point);
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(60), "`{}` was never reached", self.point);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert_eq!(std::fs::read_to_string(self.dir.join("reached")).unwrap().trim(), self.point);
    }

    /// Lets the held run go on.
    pub fn release(&self) {
        std::fs::write(self.dir.join("release"), "").unwrap();
    }
}

/// Spawns `run` with its output discarded (for a run a test holds or kills).
pub fn spawn_quiet(run: &Run<'_>) -> std::process::Child {
    run.command().stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("the xtask binary starts")
}

/// SIGKILLs `child` (held, so it cannot have finished) and proves the kill is what ended it.
#[track_caller]
pub fn kill_held(child: &mut std::process::Child) {
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(status.code().is_none(), "the run finished before the kill ({status}): it was not interrupted");
}

/// The named points (`XTASK_TEST_POINTS`) a run passed, in order, from the trace at `path`.
pub fn points_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(str::to_string).collect()
}

/// Runs `run` with `XTASK_TEST_KILL_AT=<point>` (output discarded): whether it died of the
/// SIGKILL. A run that ends on its own returns false; any other signal fails the test.
#[track_caller]
pub fn killed_at(run: Run<'_>, point: &str) -> bool {
    use std::os::unix::process::ExitStatusExt as _;
    let status = spawn_quiet(&run.env("XTASK_TEST_KILL_AT", point)).wait().unwrap();
    match status.signal() {
        Some(9) => true,
        None => false,
        Some(other) => panic!("{point}: the run died of signal {other}, not of the injected SIGKILL"),
    }
}
