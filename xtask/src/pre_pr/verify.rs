//! `pre-pr`'s verify step: runs the configured commands (`verify`, and `integration_verify` with
//! the gate variable set) one after another from the repository root, each a program and its
//! arguments (never a shell), and stops at the first failure.
//!
//! The lists come from committed configuration, so they run only once this clone approved them
//! (`trust.rs`): [`approve`] asks or refuses before `pre-pr` changes anything, and
//! [`run_sequence`] checks again right before it starts a program.
//!
//! Each command's stdout and stderr go, interleaved as they happened, to one log file under
//! `target/pre-pr/logs/`; the log is the evidence: the test counts are read from it (cargo test's
//! `test result:` lines, nextest's `Summary` line) and a failure shows its tail.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use xshell::cmd;

use super::progress::{self, Console};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::trust::List;

/// How much of a failed command's log is shown (the whole log stays on disk).
const TAIL_LINES: usize = 120;

/// Tests counted in a command's output, summed over every test binary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl TestCounts {
    pub fn add(&mut self, other: TestCounts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }

    pub fn describe(&self) -> String {
        format!("{} passed, {} failed, {} ignored", self.passed, self.failed, self.ignored)
    }
}

/// One command's evidence.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CommandResult {
    pub command: Vec<String>,
    pub passed: bool,
    /// The exit code; `None` when it was killed by a signal.
    pub exit_code: Option<i32>,
    #[serde(rename = "duration_ms", serialize_with = "as_millis", deserialize_with = "from_millis")]
    pub duration: Duration,
    /// `None` when the output holds no test summary (fmt, clippy).
    pub tests: Option<TestCounts>,
    /// The log, relative to the repository root.
    pub log: String,
    /// The tests the output names as passed (see [`passed_tests`]): evidence that a given test ran.
    #[serde(skip)]
    pub passed_names: Vec<String>,
}

impl CommandResult {
    pub fn display(&self) -> String {
        display_command(&self.command)
    }
}

fn from_millis<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let millis = <u64 as serde::Deserialize>::deserialize(deserializer)?;
    Ok(Duration::from_millis(millis))
}

fn as_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(duration.as_millis() as u64)
}

/// A sequence of commands that was run: every result, and the failure if one stopped it.
#[derive(Debug, Default)]
pub struct Sequence {
    pub results: Vec<CommandResult>,
    pub failure: Option<anyhow::Error>,
    /// Taken from an earlier passing run on the same tree with the same commands (`cache.rs`).
    pub reused: bool,
}

impl Sequence {
    /// The summed test counts, if any command printed some.
    pub fn tests(&self) -> Option<TestCounts> {
        let mut total: Option<TestCounts> = None;
        for counts in self.results.iter().filter_map(|result| result.tests) {
            total.get_or_insert_with(TestCounts::default).add(counts);
        }
        total
    }

    /// Every test the commands' output names as passed.
    pub fn passed_names(&self) -> Vec<String> {
        self.results.iter().flat_map(|result| result.passed_names.iter().cloned()).collect()
    }

    pub fn describe(&self) -> String {
        let ran = self.results.len();
        let mut text = format!("{ran} command{}", if ran == 1 { "" } else { "s" });
        if let Some(tests) = self.tests() {
            text.push_str(&format!(", {}", tests.describe()));
        }
        text
    }
}

/// `cargo fmt` only formats the modules it can read `mod` items for, and the add-ons are compiled
/// in through a file the build generates: a `cargo fmt` step is given the add-on modules and
/// their tests explicitly (after `--`, found by the build's own rule), so it checks them too.
fn with_addon_files(ctx: &Ctx, program: &str, args: &[String]) -> Vec<String> {
    let mut args = args.to_vec();
    if program != "cargo" || args.first().map(String::as_str) != Some("fmt") {
        return args;
    }
    let (found, _) = crate::layout::discover::addons(ctx.root());
    if found.is_empty() {
        return args;
    }
    if !args.iter().any(|arg| arg == "--") {
        args.push("--".into());
    }
    for addon in found {
        args.push(addon.file.to_string_lossy().into_owned());
        args.extend(addon.test.map(|test| test.to_string_lossy().into_owned()));
    }
    args
}

/// Makes sure the lists this `pre-pr` will run are approved (`verify`; `integration_verify` with
/// `--integration` or the gate variable set; the `extra_secret_scanner` its compliance step runs,
/// which would otherwise be skipped with a warning): on a terminal it asks, otherwise it refuses
/// (exit 1) with `hint: … cargo xtask trust`. Called before the first step, so a refusal
/// changes nothing.
pub fn approve(ctx: &Ctx, integration: bool, may_ask: bool) -> anyhow::Result<()> {
    let gate = ctx.config.integration_env.as_str();
    let gate_set = std::env::var(gate).is_ok_and(|value| !value.is_empty() && value != "0");
    let mut lists = vec![List::Verify];
    if integration || gate_set {
        lists.push(List::IntegrationVerify);
    }
    lists.push(List::ExtraSecretScanner);
    match may_ask {
        true => crate::trust::require(ctx, &lists),
        false => crate::trust::ensure(ctx, &lists),
    }
}

/// The list about to run must be the one the tree's `Cargo.toml` names now. The run read it
/// before its sync step, which may bring a teammate's change to it from the main branch: the old
/// list would verify the new tree with commands it no longer has (or reuse a verify of them), and
/// the new one has not been shown to this clone. `rerun` is the command that runs pre-pr again.
pub fn unchanged_since_start(ctx: &Ctx, gate: Option<&str>, rerun: &str) -> anyhow::Result<()> {
    let list = if gate.is_some() { List::IntegrationVerify } else { List::Verify };
    let now = crate::config::Config::load(ctx.root())?;
    if list.commands(&now) == list.commands(&ctx.config) {
        return Ok(());
    }
    Err(Refusal::failed(format!(
        "`{}` in `Cargo.toml` changed during this run (the sync brought a change from the main branch); nothing was run",
        list.key()
    ))
    .hint(format!("review the new commands and approve them for this clone, then run pre-pr again:\ncargo xtask trust\n{rerun}"))
    .into())
}

/// Runs `commands` in order; `gate` is an environment variable to set (the integration gate).
/// `name` prefixes the log files (`verify`, `integration`).
pub fn run_sequence(
    ctx: &Ctx,
    console: &Console,
    name: &str,
    commands: &[Vec<String>],
    gate: Option<&str>,
) -> anyhow::Result<Sequence> {
    // The last guard: nothing runs that this clone has not approved, whoever called.
    let list = if gate.is_some() { List::IntegrationVerify } else { List::Verify };
    crate::trust::ensure(ctx, &[list])?;
    let logs = super::output_dir(ctx).join("logs");
    crate::plan::create_confined_folder(ctx.root(), &logs)?;
    let mut sequence = Sequence::default();
    for (number, command) in commands.iter().enumerate() {
        let Some((program, args)) = command.split_first() else { continue };
        let shown = display_command(command);
        let args = with_addon_files(ctx, program, args);
        let log = logs.join(format!("{name}-{}-{}.log", number + 1, file_stem(command)));
        if !console.is_live() {
            console.status("Running", format!("`{shown}`"));
        }
        let activity = console.begin(format!("{name}: `{shown}` ({}/{})", number + 1, commands.len()));
        let mut process: std::process::Command = match gate {
            Some(variable) => cmd!(ctx.sh, "{program} {args...}").env(variable, "1").into(),
            None => cmd!(ctx.sh, "{program} {args...}").into(),
        };
        let file = crate::plan::create_confined_file(ctx.root(), &log)?;
        let file_for_stderr = file.try_clone().with_context(|| format!("failed to open `{}`", log.display()))?;
        process.stdin(Stdio::null()).stdout(file).stderr(file_for_stderr);
        let status = process.status();
        let duration = activity.finish();
        let relative = relative(ctx.root(), &log);
        let status = match status {
            Ok(status) => status,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                sequence.failure = Some(
                    Refusal::failed(format!("{name} command `{shown}`: `{program}` was not found"))
                        .hint(format!(
                            "install `{program}`, or change `{}` in [workspace.metadata.sop] of Cargo.toml",
                            if name == "integration" { "integration_verify" } else { "verify" }
                        ))
                        .into(),
                );
                sequence.results.push(CommandResult {
                    command: command.clone(),
                    passed: false,
                    exit_code: None,
                    duration,
                    tests: None,
                    log: relative,
                    passed_names: Vec::new(),
                });
                return Ok(sequence);
            }
            Err(error) => return Err(error).with_context(|| format!("failed to run `{shown}`")),
        };
        let text = std::fs::read(&log).map(|bytes| strip_ansi(&String::from_utf8_lossy(&bytes))).unwrap_or_default();
        let tests = count_tests(&text);
        let passed_names = passed_tests(&text);
        let passed = status.success();
        let counts = tests.map(|t| format!(", {}", t.describe())).unwrap_or_default();
        let result = CommandResult {
            command: command.clone(),
            passed,
            exit_code: status.code(),
            duration,
            tests,
            log: relative.clone(),
            passed_names,
        };
        sequence.results.push(result);
        if passed {
            console.status("Ok", format!("`{shown}` ({}{counts})", progress::duration(duration)));
            continue;
        }
        let code = status.code().map_or_else(|| "a signal".to_string(), |code| format!("exit code {code}"));
        console.status("Failed", format!("`{shown}` ({code}, {}{counts})", progress::duration(duration)));
        console.text(&tail(&text, TAIL_LINES, &relative));
        sequence.failure = Some(
            Refusal::failed(format!("{name} failed: `{shown}` ended with {code}"))
                .hint(format!(
                    "fix what its output above says (full log: {relative}), then run it again:\ncargo xtask pre-pr"
                ))
                .into(),
        );
        return Ok(sequence);
    }
    Ok(sequence)
}

/// `cargo test --workspace`, with arguments that hold spaces quoted.
pub fn display_command(command: &[String]) -> String {
    command
        .iter()
        .map(|word| {
            if word.is_empty() || word.contains([' ', '"', '\'']) {
                format!("\"{}\"", word.replace('"', "\\\""))
            } else {
                word.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `cargo-test` from `["cargo", "test", "--workspace"]`: the program and its first argument.
fn file_stem(command: &[String]) -> String {
    let words: Vec<String> = command
        .iter()
        .take(2)
        .map(|word| {
            let name = word.rsplit(['/', '\\']).next().unwrap_or(word);
            name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>()
        })
        .filter(|word| !word.trim_matches('-').is_empty())
        .collect();
    let mut stem = String::new();
    for c in words.join("-").chars() {
        if !(c == '-' && (stem.is_empty() || stem.ends_with('-'))) {
            stem.push(c);
        }
    }
    // Long enough to recognise the command, short enough for any file system.
    let stem: String = stem.chars().take(40).collect();
    match stem.trim_matches('-') {
        "" => "command".into(),
        stem => stem.to_string(),
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// The last `lines` lines of a log, framed, with where the rest is.
fn tail(text: &str, lines: usize, log: &str) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("--- last {lines} of {} lines (full log: {log}) ---\n", all.len()));
    } else {
        out.push_str(&format!("--- output (also in {log}) ---\n"));
    }
    for line in &all[start..] {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("--- end of output ---");
    out
}

/// The text without terminal escape sequences: some tools colour their output even into a file
/// (rustfmt's diff), and the tail shown and the counts read must be plain text.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters and intermediates, then one final byte in `@`..=`~`.
            Some('[') => {
                for next in chars.by_ref() {
                    if ('@'..='~').contains(&next) {
                        break;
                    }
                }
            }
            // Character-set selection (`ESC ( B`) and the like: one more character.
            Some('(' | ')') => {
                chars.next();
            }
            _ => {}
        }
    }
    out
}

/// Sums cargo test's `test result: ok. 3 passed; 0 failed; 1 ignored; …` lines, or reads
/// nextest's `Summary [ 1.2s] 12 tests run: 11 passed, 1 failed, 2 skipped` line.
pub fn count_tests(output: &str) -> Option<TestCounts> {
    let mut total: Option<TestCounts> = None;
    for line in output.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("test result: ") {
            let mut counts = TestCounts::default();
            let rest = rest.split_once(". ").map_or(rest, |(_, counts)| counts);
            for part in rest.split(';') {
                let mut words = part.split_whitespace();
                let (Some(number), Some(what)) = (words.next(), words.next()) else { continue };
                let Ok(number) = number.parse::<u64>() else { continue };
                match what {
                    "passed" => counts.passed += number,
                    "failed" => counts.failed += number,
                    "ignored" => counts.ignored += number,
                    _ => {}
                }
            }
            total.get_or_insert_with(TestCounts::default).add(counts);
        } else if line.starts_with("Summary [") {
            let Some((_, rest)) = line.split_once("run:") else { continue };
            let mut counts = TestCounts::default();
            for part in rest.split(',') {
                let mut words = part.split_whitespace();
                let (Some(number), Some(what)) = (words.next(), words.next()) else { continue };
                let Ok(number) = number.parse::<u64>() else { continue };
                match what {
                    "passed" => counts.passed += number,
                    "failed" | "timed" => counts.failed += number,
                    "skipped" => counts.ignored += number,
                    _ => {}
                }
            }
            // nextest prints one summary for the whole run: it replaces, never adds to, a total.
            total = Some(counts);
        }
    }
    total
}

/// The tests the output names as passed: cargo test's `test core::x::tests::y ... ok` lines and
/// nextest's `PASS [   0.004s] lancelot core::x::tests::y` lines (`cargo test -q` names none).
pub fn passed_tests(output: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in output.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("test ").and_then(|rest| rest.strip_suffix(" ... ok")) {
            names.push(name.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("PASS [") {
            if let Some((_, rest)) = rest.split_once(']') {
                if let Some(name) = rest.split_whitespace().last() {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_tests_that_passed() {
        let output = "running 3 tests\n\
            test core::x::tests::one ... ok\n\
            test core::x::tests::two ... FAILED\n\
            test core::x::tests::three ... ignored\n\
            test result: FAILED. 1 passed; 1 failed; 1 ignored\n\
                PASS [   0.004s] lancelot core::y::tests::four\n";
        assert_eq!(passed_tests(output), ["core::x::tests::one", "core::y::tests::four"]);
        assert!(passed_tests("...\ntest result: ok. 3 passed; 0 failed\n").is_empty());
    }

    #[test]
    fn sums_cargo_test_result_lines() {
        let output = "running 3 tests\n\
            test a ... ok\n\
            test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
            \n   Doc-tests lancelot\n\
            test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\
            test result: FAILED. 5 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s\n";
        assert_eq!(count_tests(output), Some(TestCounts { passed: 8, failed: 2, ignored: 1 }));
    }

    #[test]
    fn reads_the_nextest_summary() {
        let output = "    PASS [   0.004s] lancelot flags::tests::x\n\
            ------------\n     Summary [   0.120s] 12 tests run: 10 passed, 2 failed, 3 skipped\n";
        assert_eq!(count_tests(output), Some(TestCounts { passed: 10, failed: 2, ignored: 3 }));
        let output = "     Summary [   0.020s] 1 test run: 1 passed, 0 skipped\n";
        assert_eq!(count_tests(output), Some(TestCounts { passed: 1, failed: 0, ignored: 0 }));
    }

    #[test]
    fn output_without_tests_has_no_counts() {
        assert_eq!(count_tests("    Checking lancelot v0.1.0\n    Finished `dev` profile\n"), None);
        assert_eq!(count_tests(""), None);
    }

    #[test]
    fn commands_display_and_name_their_logs() {
        let command: Vec<String> = ["cargo", "clippy", "--", "-D", "warnings"].map(String::from).to_vec();
        assert_eq!(display_command(&command), "cargo clippy -- -D warnings");
        assert_eq!(file_stem(&command), "cargo-clippy");
        let command: Vec<String> = ["/usr/bin/true"].map(String::from).to_vec();
        assert_eq!(file_stem(&command), "true");
        assert_eq!(display_command(&["echo".into(), "a b".into()]), "echo \"a b\"");
        let long: Vec<String> =
            ["echo", "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured"].map(String::from).to_vec();
        assert_eq!(file_stem(&long), "echo-test-result-ok-3-passed-0-failed-1");
    }

    #[test]
    fn escape_sequences_are_removed() {
        let coloured = "\x1b[31m-        old\x1b(B\x1b[m\n\x1b[1;32m+new\x1b[0m\n";
        assert_eq!(strip_ansi(coloured), "-        old\n+new\n");
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn a_long_log_shows_its_tail() {
        let text: String = (1..=200).map(|n| format!("line {n}\n")).collect();
        let shown = tail(&text, 3, "target/pre-pr/logs/x.log");
        assert!(shown.starts_with("--- last 3 of 200 lines (full log: target/pre-pr/logs/x.log) ---\nline 198\n"));
        assert!(shown.ends_with("line 200\n--- end of output ---"));
    }
}
