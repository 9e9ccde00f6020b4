//! The snapshot harness: a command's human output (exit code, stdout, stderr), redacted of what
//! varies between runs and machines, compared with `xtask/tests/snapshots/<name>.txt`.
//!
//! `SNAPSHOTS=overwrite cargo test -p xtask --test integration snapshots` rewrites the files
//! (snapbox's convention); otherwise a mismatch or a missing file fails the test with a diff and
//! that command. A test collects every mismatch of its scenario and fails once, at the end.

use std::path::{Path, PathBuf};

use crate::support::{Outcome, Sandbox};

/// The command that rewrites the snapshots, printed with every mismatch.
pub const UPDATE: &str = "SNAPSHOTS=overwrite cargo test -p xtask --test integration snapshots";

/// Where the snapshot files live.
pub fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn overwrite() -> bool {
    std::env::var("SNAPSHOTS").is_ok_and(|mode| mode == "overwrite")
}

/// One scenario's snapshots: compare (or rewrite) each, then [`Golden::finish`] fails the test
/// with every mismatch at once.
#[must_use]
pub struct Golden {
    dir: PathBuf,
    overwrite: bool,
    failures: Vec<String>,
}

impl Golden {
    /// The snapshots of `xtask/tests/snapshots/`, rewritten when `SNAPSHOTS=overwrite`.
    pub fn new() -> Golden {
        Golden::in_dir(snapshot_dir(), overwrite())
    }

    pub fn in_dir(dir: PathBuf, overwrite: bool) -> Golden {
        Golden { dir, overwrite, failures: Vec::new() }
    }

    /// Compares `actual` with the snapshot `name` (rewritten under `SNAPSHOTS=overwrite`).
    pub fn check(&mut self, name: &str, actual: &str) {
        let path = self.dir.join(format!("{name}.txt"));
        let expected = std::fs::read_to_string(&path).ok();
        if expected.as_deref() == Some(actual) {
            return;
        }
        if self.overwrite {
            std::fs::create_dir_all(&self.dir).unwrap();
            std::fs::write(&path, actual).unwrap();
            return;
        }
        let failure = match expected {
            None => format!("snapshot `{name}` is missing ({})\n{actual}", path.display()),
            Some(expected) => format!("snapshot `{name}` differs (- expected, + actual):\n{}", diff(&expected, actual)),
        };
        self.failures.push(failure);
    }

    /// Records a failure of the scenario itself (a wrong exit code), reported with the rest.
    pub fn fail(&mut self, failure: String) {
        self.failures.push(failure);
    }

    /// Fails the test with every mismatch, and the command that accepts them.
    #[track_caller]
    pub fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{}\n{} snapshot(s) differ; if the new output is right, update them with:\n  {UPDATE}\n",
            self.failures.join("\n"),
            self.failures.len()
        );
    }
}

/// A run as a snapshot's text: the command line, its exit code and both streams, all redacted.
pub fn render(redactor: &Redactor, args: &[&str], outcome: &Outcome) -> String {
    let command: Vec<String> = args.iter().map(|arg| shell_word(arg)).collect();
    let mut text = format!("$ cargo xtask {}\nexit: {}\n", redactor.redact(&command.join(" ")), outcome.code);
    for (stream, content) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
        if content.is_empty() {
            continue;
        }
        text.push_str(&format!("--- {stream}\n"));
        text.push_str(&redactor.redact(content));
        if !content.ends_with('\n') {
            text.push_str("[no newline at the end]\n");
        }
    }
    text
}

/// `word` as a POSIX shell reads it back: bare when it is plain, else single-quoted.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Replaces what varies between runs and machines with placeholders: the sandbox's paths, the
/// binary's, object ids (full, and abbreviated ones of objects the sandbox holds), times, dates,
/// durations and process ids.
pub struct Redactor {
    /// `(text, placeholder)`, longest text first.
    paths: Vec<(String, &'static str)>,
    /// Every object id the sandbox's repositories hold (reflogs included).
    oids: Vec<String>,
}

impl Redactor {
    pub fn new(sandbox: &Sandbox) -> Redactor {
        let temp = sandbox.root.parent().unwrap().to_path_buf();
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_xtask"));
        let mut paths = Vec::new();
        for (path, placeholder) in [
            (sandbox.root.clone(), "[ROOT]"),
            (sandbox.home.clone(), "[HOME]"),
            (temp, "[TEMP]"),
            (binary, "[XTASK]"),
            (crate::support::fixture_target_dir(), "[TARGET]"),
            (crate::support::project_root(), "[PROJECT]"),
        ] {
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            for form in [path, canonical] {
                paths.push((form.to_string_lossy().into_owned(), placeholder));
            }
        }
        paths.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
        Redactor { paths, oids: Vec::new() }
    }

    /// Learns the object ids of the repository (or bare repository) at `dir`.
    pub fn learn_oids(&mut self, sandbox: &Sandbox, dir: &Path) {
        let listing = sandbox.git_in(dir, &["rev-list", "--all", "--reflog", "--objects"]);
        let stash = sandbox.git_command(dir).args(["stash", "list", "--format=%H"]).output().unwrap();
        let stash = String::from_utf8_lossy(&stash.stdout).into_owned();
        for line in listing.lines().chain(stash.lines()) {
            if let Some(oid) = line.split_whitespace().next() {
                self.oids.push(oid.to_string());
            }
        }
        self.oids.sort();
        self.oids.dedup();
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (path, placeholder) in &self.paths {
            text = text.replace(path.as_str(), placeholder);
        }
        let rules: [(&str, &str); 8] = [
            (r"\b[0-9a-f]{40}\b", "[OID]"),
            // Unix times in milliseconds (a JSON report's `unix_ms`): 13 digits from 2001 to 2286.
            (r"\b1\d{12}\b", "[UNIX_MS]"),
            (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?", "[TIME]"),
            (r"\b\d{4}-\d{2}-\d{2}\b", "[DATE]"),
            (r"\b\d+(\.\d+)?\s?(ns|µs|us|ms|s|min|m|h)\b", "[DURATION]"),
            (r"\bpid \d+", "pid [PID]"),
            (r"\(process \d+\)", "(process [PID])"),
            // The incremental cache's figures: how many files had settled depends on the clock.
            (r#""(read|reused)": \d+"#, r#""${1}": [COUNT]"#),
        ];
        for (pattern, placeholder) in rules {
            text = regex_lite::Regex::new(pattern).unwrap().replace_all(&text, placeholder).into_owned();
        }
        let short = regex_lite::Regex::new(r"\b[0-9a-f]{7,39}\b").unwrap();
        short
            .replace_all(&text, |caps: &regex_lite::Captures<'_>| {
                let word = &caps[0];
                if self.oids.iter().any(|oid| oid.starts_with(word)) {
                    "[OID]".to_string()
                } else {
                    word.to_string()
                }
            })
            .into_owned()
    }
}

/// A line diff of two texts (longest common subsequence): `-` expected, `+` actual, ` ` both.
pub fn diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            out.push_str(&format!("  {}\n", old[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < old.len() && (j == new.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", old[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", new[j]));
            j += 1;
        }
    }
    out
}

// Proves: a missing or different snapshot fails with a diff and the update command, and
// overwrite mode writes the file so the next comparison passes.
#[test]
fn a_mismatch_fails_with_its_diff_and_overwrite_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut golden = Golden::in_dir(dir.path().to_path_buf(), false);
    golden.check("missing", "new\n");
    assert_eq!(golden.failures.len(), 1);
    assert!(golden.failures[0].starts_with("snapshot `missing` is missing"), "{}", golden.failures[0]);
    std::fs::write(dir.path().join("changed.txt"), "same\nold\n").unwrap();
    golden.check("changed", "same\nnew\n");
    assert!(golden.failures[1].ends_with("  same\n- old\n+ new\n"), "{}", golden.failures[1]);
    let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| golden.finish()));
    let message = *finished.expect_err("two mismatches fail the test").downcast::<String>().unwrap();
    assert!(message.contains(UPDATE), "{message}");

    let mut golden = Golden::in_dir(dir.path().to_path_buf(), true);
    golden.check("changed", "same\nnew\n");
    golden.finish();
    let mut golden = Golden::in_dir(dir.path().to_path_buf(), false);
    golden.check("changed", "same\nnew\n");
    golden.finish();
}

// Proves: the sandbox's paths, its object ids (full and abbreviated), times, dates, durations
// and process ids are replaced, and a hex word that names no object is kept.
#[test]
fn the_redactor_replaces_what_varies_and_keeps_the_rest() {
    let sandbox = Sandbox::empty();
    sandbox.write("a.txt", "a\n");
    let head = sandbox.commit_all("chore: a");
    let mut redactor = Redactor::new(&sandbox);
    redactor.learn_oids(&sandbox, &sandbox.root);
    let text = format!(
        "{}/a.txt at {head} ({}) on 2026-12-03T07:13:22Z, 2026-12-03, took 0.0s and 12ms; pid 4242; deadbeef7\n",
        sandbox.root.display(),
        &head[..10]
    );
    assert_eq!(
        redactor.redact(&text),
        "[ROOT]/a.txt at [OID] ([OID]) on [TIME], [DATE], took [DURATION] and [DURATION]; pid [PID]; deadbeef7\n"
    );
}

// Proves: the command line of a snapshot reads back as the arguments it ran with.
#[test]
fn arguments_are_quoted_as_a_shell_reads_them() {
    let words: Vec<String> = ["new-addon", "", "health monitor", "it's", "--dry-run"].map(shell_word).into();
    assert_eq!(words, ["new-addon", "''", "'health monitor'", r"'it'\''s'", "--dry-run"]);
}

#[test]
fn the_diff_marks_removed_and_added_lines_and_keeps_the_common_ones() {
    assert_eq!(diff("a\nb\nc\n", "a\nx\nc\n"), "  a\n- b\n+ x\n  c\n");
    assert_eq!(diff("", "new\n"), "+ new\n");
}
