//! Test support: a sandbox directory and a builder that runs the real `lancelot` binary inside it
//! with a cleared environment (only `PATH` is kept), so the machine's `FEATURE_*` variables and
//! `.env` files never leak into a test.
//!
//! Helpers only: no assertions about the runtime's behaviour live here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh temp directory, removed on drop.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox { dir: tempfile::Builder::new().prefix("lancelot-it-").tempdir().expect("create a temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directory");
        }
        std::fs::write(path, contents).expect("write sandbox file");
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative)).unwrap_or_else(|e| panic!("read `{relative}`: {e}"))
    }

    /// Every file under the sandbox with its bytes, to assert that a refused run changed nothing.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).expect("read sandbox dir") {
                let path = entry.expect("sandbox entry").path();
                let relative = path.strip_prefix(root).expect("inside the sandbox").to_path_buf();
                if path.is_dir() {
                    out.insert(relative, Vec::new());
                    walk(&path, root, out);
                } else {
                    out.insert(relative, std::fs::read(&path).expect("read sandbox file"));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        out
    }

    /// `lancelot <args>` in this sandbox.
    pub fn lancelot(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lancelot"));
        command.args(args).current_dir(self.path()).env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        Run { command }
    }
}

/// A run of the binary being set up.
#[must_use = "a Run does nothing until `.success()`, `.failure()` or `.output()`"]
pub struct Run {
    command: Command,
}

/// What a run printed and returned.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs in `relative`, a folder of the sandbox, instead of its root.
    pub fn current_dir(mut self, relative: &str) -> Run {
        let dir = self.command.get_current_dir().map(|root| root.join(relative));
        if let Some(dir) = dir {
            self.command.current_dir(dir);
        }
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Run {
        self.command.env(name, value);
        self
    }

    /// Starts the binary with its output discarded, for tests that signal or kill it.
    pub fn spawn(mut self) -> std::process::Child {
        self.command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        self.command.spawn().expect("spawn the lancelot binary")
    }

    pub fn output(mut self) -> Outcome {
        let output = self.command.output().expect("spawn the lancelot binary");
        Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs and asserts exit code 0.
    pub fn success(self) -> Outcome {
        let outcome = self.output();
        assert_eq!(outcome.code, Some(0), "expected success\n{outcome:#?}");
        outcome
    }

    /// Runs and asserts exit code `code`.
    pub fn failure(self, code: i32) -> Outcome {
        let outcome = self.output();
        assert_eq!(outcome.code, Some(code), "expected exit code {code}\n{outcome:#?}");
        outcome
    }
}

impl Outcome {
    /// The war-room table row of `addon`, split into words.
    pub fn row(&self, addon: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(addon))
            .unwrap_or_else(|| panic!("no war-room row for `{addon}` in:\n{}", self.stdout))
            .split_whitespace()
            .collect()
    }
}
