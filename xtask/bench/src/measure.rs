//! How `bench` times a command and reads its peak memory, the same way for ours and for the
//! baselines, so that a ratio compares like with like.
//!
//! Wall time: `Instant` around spawning the process and reading all of its output (xshell's
//! `output()`, stdin from `/dev/null`). Every command first runs once untimed (the warm-up, which
//! also checks that it works and fills the page cache), then ours and the baseline's runs are
//! interleaved, so a burst of load from another process hits both; the figure is the median.
//!
//! Peak memory: one more run under GNU time (`/usr/bin/time -f %M -o <file>`), whose figure is
//! the kernel's own maximum resident set size of the finished process (`wait4`'s `ru_maxrss`):
//! exact, and nothing of ours runs inside the measured process. Two other ways were rejected:
//! polling `/proc/<pid>/status` for `VmHWM` loses the last and largest figure of a process that
//! exits between two polls (most of ours live for tens of milliseconds), and `getrusage` needs
//! FFI the xtask has nowhere else. Without GNU time the figure is "n/a", never a guess.
//!
//! This module measures; it never judges a figure (that is `report.rs`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use xshell::{cmd, Cmd, Shell};

/// GNU time: reports the peak resident set size of the command it runs.
pub const GNU_TIME: &str = "/usr/bin/time";

/// A shell for the synthetic repository: its working tree as the current directory, and a git
/// configuration of its own so that neither the engineer's global settings (an fsmonitor, an
/// untracked cache, a pager) nor the system's change what is measured.
pub fn isolated_shell(dir: &Path, gitconfig: &Path) -> anyhow::Result<Shell> {
    let sh = Shell::new().context("failed to set up the command runner")?;
    sh.change_dir(dir);
    sh.set_var("GIT_CONFIG_GLOBAL", gitconfig);
    sh.set_var("GIT_CONFIG_NOSYSTEM", "1");
    sh.set_var("NO_COLOR", "1");
    sh.set_var("GIT_TERMINAL_PROMPT", "0");
    Ok(sh)
}

/// Removes the variables that would point a command (git, the xtask) at another repository:
/// a bench started from a git hook inherits them.
pub use xtask::git::scratch::without_overrides as without_git_overrides;

/// Runs a command that must succeed (a setup step, not a measurement), returning its output; the
/// error quotes the end of its stderr.
pub fn run_checked(command: Cmd<'_>, what: &str) -> anyhow::Result<Output> {
    let output = without_git_overrides(command)
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| format!("failed to start {what}"))?;
    if !output.status.success() {
        anyhow::bail!("{what} failed ({}): {}", exit_description(&output), tail(&output.stderr));
    }
    Ok(output)
}

/// `exit code 2` or `killed by a signal`.
fn exit_description(output: &Output) -> String {
    match output.status.code() {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_string(),
    }
}

/// What a failed command said, on one line for an error message: from its first `error` line
/// when it has one (clap and cargo put the cause there and usage after it), else its last lines.
pub fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    let start = lines.iter().position(|line| line.starts_with("error")).unwrap_or(lines.len().saturating_sub(3));
    let joined = lines[start..].iter().take(3).copied().collect::<Vec<_>>().join(" / ");
    if joined.is_empty() {
        "no output".to_string()
    } else {
        joined
    }
}

/// One command to time: a program, its arguments, and the exit codes that mean it worked.
pub struct Probe<'a> {
    /// How the table and the errors name it: `cargo xtask check`, `git status`.
    pub label: String,
    sh: &'a Shell,
    program: OsString,
    args: Vec<OsString>,
    accepted: &'static [i32],
}

/// One timed run.
pub struct Sample {
    pub elapsed: Duration,
    pub stdout: Vec<u8>,
}

/// What the runs of one command took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timing {
    /// The median, in milliseconds.
    pub median_ms: f64,
    /// Every timed run, in milliseconds, in the order they ran.
    pub runs_ms: Vec<f64>,
}

impl Timing {
    pub fn from_runs(runs: Vec<Duration>) -> Timing {
        let runs_ms: Vec<f64> = runs.iter().map(|run| run.as_secs_f64() * 1000.0).collect();
        Timing { median_ms: median(&runs_ms), runs_ms }
    }
}

/// The median of some figures (the mean of the two middle ones for an even count; 0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Peak memory of one command, or why there is no figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Memory {
    MiB(f64),
    Unavailable(String),
}

impl<'a> Probe<'a> {
    pub fn new(sh: &'a Shell, label: impl Into<String>, program: impl Into<OsString>, args: &[&str]) -> Probe<'a> {
        Probe {
            label: label.into(),
            sh,
            program: program.into(),
            args: args.iter().map(OsString::from).collect(),
            accepted: &[0],
        }
    }

    /// Also accepts these exit codes as a working run (`check` exits 1 when it has findings).
    pub fn accepting(mut self, codes: &'static [i32]) -> Probe<'a> {
        self.accepted = codes;
        self
    }

    fn command(&self) -> Cmd<'a> {
        let (program, args) = (&self.program, &self.args);
        without_git_overrides(cmd!(self.sh, "{program} {args...}")).quiet().ignore_status()
    }

    fn check(&self, output: &Output) -> anyhow::Result<()> {
        match output.status.code() {
            Some(code) if self.accepted.contains(&code) => Ok(()),
            _ => Err(anyhow::anyhow!(
                "`{}` failed ({}): {}",
                self.label,
                exit_description(output),
                tail(if output.stderr.is_empty() { &output.stdout } else { &output.stderr })
            )),
        }
    }

    /// Runs once, timed; fails when the exit code is not an accepted one.
    pub fn run_once(&self) -> anyhow::Result<Sample> {
        let command = self.command();
        let started = Instant::now();
        let output = command.output().with_context(|| format!("failed to start `{}`", self.label))?;
        let elapsed = started.elapsed();
        self.check(&output)?;
        Ok(Sample { elapsed, stdout: output.stdout })
    }

    /// Runs once under GNU time and reads the peak resident set size it reports (in KiB).
    pub fn peak_memory(&self, scratch: &Path) -> anyhow::Result<Memory> {
        if !Path::new(GNU_TIME).is_file() {
            return Ok(Memory::Unavailable(format!("`{GNU_TIME}` (GNU time) is not installed")));
        }
        let report = scratch.join("peak-memory.txt");
        let (program, args) = (&self.program, &self.args);
        let output = without_git_overrides(cmd!(self.sh, "{GNU_TIME} -f %M -o {report} {program} {args...}"))
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("failed to start `{}` under `{GNU_TIME}`", self.label))?;
        self.check(&output)?;
        let text =
            std::fs::read_to_string(&report).with_context(|| format!("failed to read `{}`", report.display()))?;
        // GNU time writes "Command exited with non-zero status N" above the figure in that case.
        let figure = text.lines().rev().map(str::trim).find(|line| !line.is_empty()).unwrap_or_default();
        Ok(match figure.parse::<u64>() {
            Ok(kib) => Memory::MiB(kib as f64 / 1024.0),
            Err(_) => Memory::Unavailable(format!("`{GNU_TIME}` printed `{figure}`, not a size in KiB")),
        })
    }
}

/// Runs every action once untimed (the warm-up), then `runs` rounds of all of them in turn, and
/// returns each one's timing. `between` runs after every run, untimed: it puts the repository
/// back for commands that change it.
pub fn rounds(
    runs: u32,
    actions: &mut [&mut dyn FnMut() -> anyhow::Result<Duration>],
    between: &mut dyn FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Timing>> {
    for action in actions.iter_mut() {
        action()?;
        between()?;
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); actions.len()];
    for _ in 0..runs {
        for (action, samples) in actions.iter_mut().zip(&mut samples) {
            samples.push(action()?);
            between()?;
        }
    }
    Ok(samples.into_iter().map(Timing::from_runs).collect())
}

/// Times probes against each other, the way [`rounds`] does; one timing per probe, in order. A
/// probe that fails stops being run and gets its error; the others go on.
pub fn compare(probes: &[&Probe<'_>], runs: u32) -> Vec<anyhow::Result<Timing>> {
    let mut results: Vec<anyhow::Result<Vec<Duration>>> =
        probes.iter().map(|probe| probe.run_once().map(|_| Vec::new())).collect();
    for _ in 0..runs {
        for (probe, result) in probes.iter().zip(&mut results) {
            if let Ok(samples) = result {
                match probe.run_once() {
                    Ok(sample) => samples.push(sample.elapsed),
                    Err(error) => *result = Err(error),
                }
            }
        }
    }
    results.into_iter().map(|result| result.map(Timing::from_runs)).collect()
}

/// A scratch directory under the system's temp dir, removed when dropped (unless kept).
pub struct Scratch {
    pub path: PathBuf,
    pub keep: bool,
}

impl Scratch {
    pub fn create(keep: bool) -> anyhow::Result<Scratch> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let path = std::env::temp_dir().join(format!("xtask-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).with_context(|| format!("failed to create `{}`", path.display()))?;
        Ok(Scratch { path, keep })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn rounds_warm_up_then_alternate() {
        let order = std::cell::RefCell::new(Vec::new());
        let mut ours = || {
            order.borrow_mut().push("ours");
            Ok(Duration::from_millis(10))
        };
        let mut baseline = || {
            order.borrow_mut().push("baseline");
            Ok(Duration::from_millis(4))
        };
        let mut reset = || {
            order.borrow_mut().push("reset");
            Ok(())
        };
        let timings = rounds(2, &mut [&mut ours, &mut baseline], &mut reset).unwrap();
        assert_eq!(timings[0].runs_ms, [10.0, 10.0]);
        assert_eq!(timings[1].median_ms, 4.0);
        let order = order.into_inner();
        assert_eq!(order.len(), 12);
        assert_eq!(&order[..6], ["ours", "reset", "baseline", "reset", "ours", "reset"]);
    }

    #[test]
    fn tails_keep_the_error_or_the_last_lines() {
        assert_eq!(tail(b"a\n\nb\nc\nd\n"), "b / c / d");
        assert_eq!(
            tail(b"error: no such command\n\nUsage: x\nmore\nand more\n"),
            "error: no such command / Usage: x / more"
        );
        assert_eq!(tail(b""), "no output");
    }
}
