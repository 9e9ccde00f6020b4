//! `cargo xtask pre-pr`: one command from "I think I'm done" to "ready to open the PR".
//!
//! Steps, in order, each timed, printed and leaving a receipt: preflight (`preflight.rs`),
//! autostash (with `--autostash`), sync with the main branch (`sync.rs`), verify and the optional
//! integration run (`verify.rs`), compliance (`check`'s rules for the branch), the PR description
//! (`body.rs`), `--open`, and the restore of the autostash, which runs even after a failure. The
//! first failed step stops the rest (each recorded as skipped, with the reason); the summary table
//! (or `--json`) lists them all, and the exit code is 0 only when every step passed. Ctrl-C or
//! SIGTERM (`interrupt.rs`) stops it: no step starts after the signal, the autostash is put back
//! (or where it is is said), and it exits 130.
//!
//! This module only orchestrates: it never runs git itself (`git/sync.rs` does) and never decides
//! a rule (`check` does).

mod body;
mod cache;
mod interrupt;
mod preflight;
mod progress;
mod report;
mod scope;
mod steps;
pub(crate) mod sync;
mod verify;

/// Putting back an autostash, shared with `cargo xtask sync`.
pub use sync::restore_report;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use git2::Oid;
use xshell::cmd;

use progress::Console;

use crate::check::Report;
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::Repo;
use crate::lock::RunLock;
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
#[command(mut_arg("dry_run", |arg| arg.help(
    "Check the branch and predict the sync from the last fetch; run, write and fetch nothing"
)))]
pub struct Args {
    /// Stash uncommitted changes (untracked files too) first and restore them at the end
    #[arg(long)]
    pub autostash: bool,

    /// Do not fetch or sync with the main branch (offline work); the PR body says so
    #[arg(long)]
    pub no_sync: bool,

    /// Also run the env-gated integration tests (`integration_verify`, with the gate variable set)
    #[arg(long)]
    pub integration: bool,

    /// When every step passed, open the PR with `gh pr create` (if `gh` is installed)
    #[arg(long)]
    pub open: bool,

    /// Run verify again even when it passed on this very tree with the same commands
    #[arg(long)]
    pub fresh: bool,

    /// Verify only the packages the branch touches (and their dependents): `--workspace` in a
    /// verify command becomes `-p` for each (CI always runs everything)
    #[arg(long)]
    pub scope: bool,

    #[command(flatten)]
    pub dry_run: crate::output::DryRunArg,

    #[command(flatten)]
    pub json: crate::output::JsonArg,
}

/// [`Args`] with the shared flags read: what `run` and its steps look at.
struct Options {
    fresh: bool,
    scope: bool,
    autostash: bool,
    no_sync: bool,
    integration: bool,
    open: bool,
    dry_run: bool,
    json: bool,
}

impl From<Args> for Options {
    fn from(args: Args) -> Options {
        let Args { autostash, no_sync, integration, open, fresh, scope, dry_run, json } = args;
        Options { fresh, scope, autostash, no_sync, integration, open, dry_run: dry_run.dry_run, json: json.json }
    }
}

const COMMAND: &str = "pre-pr";

/// Where `pre-pr` writes the PR body and the verify logs: `<repository root>/target/pre-pr/`.
///
/// Deliberately *not* under `CARGO_TARGET_DIR`: that directory may be shared by several clones
/// (CI caches, the test suite's fixture target), and two clones' PR bodies must never overwrite
/// each other. `target/` at the root is gitignored, so nothing here can be committed by mistake.
pub fn output_dir(ctx: &Ctx) -> PathBuf {
    ctx.root().join("target").join("pre-pr")
}

/// The onboarding contract (SOP 8.1, 8.2): `cargo xtask onboard` writes `<sop dir>/ready.json`
/// (`.git/sop/ready.json`) once the clone is READY, its content being onboarding's own JSON
/// object. This module only reads it: the clone is READY when that file exists and holds a JSON
/// object; missing, unreadable or anything else means not READY. `pre-pr` still runs on a clone
/// that is not READY, but it says so first.
fn clone_is_ready(repo: &Repo) -> bool {
    let path = repo.sop_dir().join("ready.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|value| value.is_object())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Passed,
    Failed,
    Skipped,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

/// One row of the summary.
#[derive(Debug, serde::Serialize)]
struct StepRecord {
    name: &'static str,
    status: Status,
    duration_ms: u64,
    detail: String,
}

/// How a step that ran to its end came out.
enum Outcome {
    Passed,
    /// It failed, but still has evidence to report (the verify results so far).
    Failed(anyhow::Error),
    Skipped(String),
}

/// A step's value, its one-line detail and the data for its receipt.
struct Done<T> {
    value: T,
    detail: String,
    data: serde_json::Value,
    outcome: Outcome,
}

impl<T> Done<T> {
    fn passed(value: T, detail: impl Into<String>, data: serde_json::Value) -> Done<T> {
        Done { value, detail: detail.into(), data, outcome: Outcome::Passed }
    }
}

/// Runs the steps, keeps the summary and the first failure, and writes the receipts.
struct Pipeline<'a> {
    ctx: &'a Ctx,
    console: &'a Console,
    /// A dry run leaves no receipts: it changes nothing.
    dry_run: bool,
    steps: Vec<StepRecord>,
    receipts: Receipts<'a>,
    /// The first failure, and why the steps after it do not run (`` `verify` failed ``).
    failure: Option<(String, anyhow::Error)>,
}

impl<'a> Pipeline<'a> {
    /// Runs `body` unless an earlier step failed (then records it as skipped).
    fn step<T>(
        &mut self,
        name: &'static str,
        label: &str,
        kind: Kind,
        body: impl FnOnce() -> anyhow::Result<Done<T>>,
    ) -> Option<T> {
        if self.failure.is_some() {
            self.not_run(name);
            return None;
        }
        if interrupt::interrupted() {
            self.skip(name, "not run: interrupted".into());
            return None;
        }
        self.always(name, label, kind, body)
    }

    /// Runs `body` even after a failure (the autostash restore).
    fn always<T>(
        &mut self,
        name: &'static str,
        label: &str,
        kind: Kind,
        body: impl FnOnce() -> anyhow::Result<Done<T>>,
    ) -> Option<T> {
        crate::test_hooks::point(&format!("pre-pr:{name}"));
        let activity = self.console.begin(label);
        let result = body();
        let duration = activity.finish();
        crate::test_hooks::point(&format!("pre-pr:receipt:{name}"));
        match result {
            Ok(done) => {
                let (status, error) = match done.outcome {
                    Outcome::Passed => (Status::Passed, None),
                    Outcome::Failed(error) => (Status::Failed, Some(error)),
                    Outcome::Skipped(reason) => {
                        self.skip(name, reason);
                        return Some(done.value);
                    }
                };
                self.record(name, status, duration, done.detail.clone());
                let receipt = match &error {
                    None => Receipt::new(COMMAND, kind, format!("{name}: {}", done.detail)),
                    Some(error) => Receipt::new(COMMAND, Kind::Failure, format!("{name} failed: {}", done.detail))
                        .reason(format!("{error:#}")),
                };
                self.receipt(receipt.detail(with_duration(done.data, duration)));
                if let Some(error) = error {
                    self.fail(name, error);
                }
                Some(done.value)
            }
            Err(error) => {
                self.record(name, Status::Failed, duration, first_line(&format!("{error}")));
                let receipt =
                    Receipt::new(COMMAND, Kind::Failure, format!("{name} failed")).reason(format!("{error:#}"));
                self.receipt(receipt.detail(with_duration(serde_json::Value::Null, duration)));
                self.fail(name, error);
                None
            }
        }
    }

    fn fail(&mut self, name: &'static str, error: anyhow::Error) {
        if self.failure.is_none() {
            self.failure = Some((format!("`{name}` failed"), error));
        }
    }

    /// Ends the run without a failed step: the steps after this one are not run, for `why`, and
    /// the run exits with `error` (a refusal saying what to do instead).
    fn stop(&mut self, why: String, error: anyhow::Error) {
        if self.failure.is_none() {
            self.failure = Some((why, error));
        }
    }

    /// Records a step that was deliberately not run, with why.
    fn skip(&mut self, name: &'static str, reason: String) {
        self.record(name, Status::Skipped, Duration::ZERO, reason.clone());
        self.receipt(Receipt::new(COMMAND, Kind::Skipped, format!("{name} skipped")).reason(reason));
    }

    /// Records a step an earlier failure (or stop) kept from running.
    fn not_run(&mut self, name: &'static str) {
        let why = self.failure.as_ref().map_or("an earlier step failed", |(why, _)| why.as_str());
        let reason = format!("not run: {why}");
        self.skip(name, reason);
    }

    fn record(&mut self, name: &'static str, status: Status, duration: Duration, detail: String) {
        let time =
            if status == Status::Skipped { String::new() } else { format!(" ({})", progress::duration(duration)) };
        let verb = match status {
            Status::Passed => "Passed",
            Status::Failed => "Failed",
            Status::Skipped => "Skipped",
        };
        self.console.status(verb, format!("{name}: {detail}{time}"));
        self.steps.push(StepRecord { name, status, duration_ms: duration.as_millis() as u64, detail });
    }

    fn receipt(&mut self, receipt: Receipt) {
        if self.dry_run {
            return;
        }
        // Synced once, when the run ends (`Receipts`' drop): one wait for the disk, not one a step.
        match receipts::append_unsynced(&self.ctx.repo, receipt) {
            Ok(()) => self.receipts.written = true,
            Err(error) => self.console.warning(format!("could not write a receipt: {error:#}")),
        }
    }
}

/// The run's receipts, made durable when it ends, however it ends (a signal's exit aside: the
/// lines are then written, only not yet synced).
struct Receipts<'a> {
    repo: &'a crate::git::Repo,
    written: bool,
}

impl Drop for Receipts<'_> {
    fn drop(&mut self) {
        if self.written {
            // Best effort, like the append itself: the lines are in the log already.
            let _ = receipts::sync(self.repo);
        }
    }
}

fn with_duration(data: serde_json::Value, duration: Duration) -> serde_json::Value {
    let mut data = match data {
        serde_json::Value::Object(map) => map,
        serde_json::Value::Null => serde_json::Map::new(),
        other => {
            let mut map = serde_json::Map::new();
            map.insert("data".into(), other);
            map
        }
    };
    data.insert("duration_ms".into(), serde_json::json!(duration.as_millis() as u64));
    serde_json::Value::Object(data)
}

fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let args = Options::from(args);
    let console = Console::new(args.json);
    let Started { lock: _lock, rerun, ready } = start(ctx, &args, &console)?;
    let receipts = Receipts { repo: &ctx.repo, written: false };
    let mut pipeline =
        Pipeline { ctx, console: &console, dry_run: args.dry_run, steps: Vec::new(), receipts, failure: None };
    let branch = steps::preflight(&mut pipeline, &args, ready);
    let stashed = steps::autostash(&mut pipeline, &args, branch.as_ref());
    let synced = steps::sync(&mut pipeline, &args, branch.as_ref(), stashed, &rerun);
    steps::own_commits(&mut pipeline, branch.as_ref(), synced.as_ref(), stashed);
    if args.dry_run {
        return finish_dry_run(ctx, &console, pipeline, &args);
    }
    let evidence = steps::verify(&mut pipeline, &args);
    let compliance = steps::compliance(&mut pipeline, &evidence);
    let body_path = output_dir(ctx).join("PR_BODY.md");
    let body_relative = body::relative_path(ctx.root(), &body_path);
    let written =
        steps::pr_body(&mut pipeline, branch.as_ref(), synced.as_ref(), &evidence, compliance.as_ref(), &body_path);
    steps::open(&mut pipeline, &args, written.as_ref(), &body_path);
    steps::restore(&mut pipeline, stashed);
    let steps::Evidence { verify, integration, scope, .. } = evidence;
    let Pipeline { steps, mut failure, .. } = pipeline;
    console.text(&summary_table(&steps));
    if let (None, Some(branch), Some((body, tested))) = (&failure, &branch, &written) {
        // Every step passed: `cargo xtask propose` pushes this commit without verifying again,
        // and only if the verify is recorded.
        if let Err(error) =
            crate::propose::record_verified(ctx, &branch.name, *tested, scope.clone(), &body_relative, &body.title)
        {
            let refusal = Refusal::failed(format!(
                "every step passed, but the verify could not be recorded for `cargo xtask propose`, which pushes only a recorded one: {error:#}"
            ))
            .hint(format!("fix what is said above, then run pre-pr again:\n{}", rerun_command(&args)));
            failure = Some(("recording the verify failed".to_string(), refusal.into()));
        }
    }
    if args.json {
        let tests = verify.as_ref().and_then(|v| v.tests()).map(|mut total| {
            if let Some(counts) = integration.as_ref().and_then(|i| i.tests()) {
                total.add(counts);
            }
            total
        });
        // Step details and the error quote git, URLs and commit subjects: `output::json` redacts.
        crate::output::json(&report::RunReport {
            ok: failure.is_none(),
            dry_run: false,
            ready,
            branch: branch.as_ref().map(|b| b.name.as_str()),
            tested_commit: written.as_ref().map(|(_, commit)| commit.to_string()),
            steps: &steps,
            sync: synced.as_ref(),
            verify: verify.as_ref().map(|v| v.results.as_slice()),
            integration: integration.as_ref().map(|i| i.results.as_slice()),
            tests,
            compliance: compliance.as_ref(),
            pr_body: written.as_ref().map(|(body, _)| report::PrBody { path: &body_relative, body }),
            error: failure.as_ref().map(|(_, error)| format!("{error:#}")),
        })?;
    }
    if let Some((_, error)) = failure {
        return Err(error);
    }
    match (args.json, &branch, &written, scope) {
        (false, Some(_), Some(_), Some(packages)) => print_scoped(&console, &packages, &rerun_command(&args)),
        (false, Some(branch), Some((body, tested)), None) => {
            print_ready(ctx, &console, &branch.name, body, *tested, &body_relative)
        }
        _ => {}
    }
    Ok(())
}

/// What a run holds before its first step: the run lock (none for a dry run), the command that
/// runs it again as started, and whether the clone is READY.
struct Started {
    lock: Option<RunLock>,
    rerun: String,
    ready: bool,
}

/// Approves the configured commands (or asks), takes the lock, installs the signal handler and
/// says what the engineer must know first: a clone that is not READY, a forgotten autostash.
fn start(ctx: &Ctx, args: &Options, console: &Console) -> anyhow::Result<Started> {
    // The configured commands must be approved (or asked for) before anything changes. A dry
    // run never asks, and refuses what the real run would refuse.
    verify::approve(ctx, args.integration, !args.dry_run)?;
    let lock = if args.dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    let rerun = rerun_command(args);
    if !args.dry_run {
        interrupt::install(ctx.root().to_path_buf(), rerun.clone(), args.json);
    }
    let ready = clone_is_ready(&ctx.repo);
    if !ready {
        console.warning("this clone is not READY (SOP 8.2): onboarding has not verified it; run `cargo xtask onboard`");
    }
    for entry in ctx.repo.forgotten_autostashes() {
        // Never advise putting it back inside an unfinished rebase or merge: that ends first.
        let get_back = match ctx.repo.in_progress() {
            Some(operation) => format!(
                "once the {} is finished or aborted ({}), get it back: git stash apply {}",
                operation.operation, operation.abort_command, entry.commit
            ),
            None => format!("get it back: git stash pop {}", entry.reference()),
        };
        console.warning(format!(
            "`{}` holds uncommitted work an interrupted `cargo xtask pre-pr --autostash` did not restore; {get_back}",
            entry.reference()
        ));
    }
    Ok(Started { lock, rerun, ready })
}

/// The closing lines of a run where every step passed: where the body is, and the push.
fn print_ready(ctx: &Ctx, console: &Console, branch: &str, body: &body::Body, tested: Oid, body_relative: &str) {
    let remote = ctx.config.remote.as_str();
    // Built from the refs as they are now: a lease only when the push would be refused.
    let mut push = format!("next: {}", crate::git::hint::push(&ctx.repo, remote, branch, tested));
    if ctx.repo.remote_url(remote).is_none() {
        // No command can push before the remote exists: not a `next:` line to paste.
        push = format!("push it once the remote exists (`git remote add {remote} <url>`): `{}`", &push[6..]);
    }
    console.text(&format!(
        "\nready for review: {body_relative}\n  title: {}\n  merge: {} merge ({})\n  open:  cargo xtask propose (pushes, then opens it with gh or prints the forge's page)\n{push}",
        body.title, body.merge.method, body.merge.reason
    ));
}

/// The closing lines of a scoped run (`--scope`) where every step passed: it verified part of the
/// workspace, which is no pull request's evidence (CI runs everything), so the next step is the
/// full verify, not the push.
fn print_scoped(console: &Console, packages: &[String], full: &str) {
    let packages: Vec<String> = packages.iter().map(|p| format!("`{p}`")).collect();
    console.text(&format!(
        "\nverified {} (and their dependents) only: a pull request needs the full verify\nnext: {full}",
        packages.join(", ")
    ));
}

/// `cargo xtask pre-pr` with the options that change what a run does, to run it again as started
/// (never `--scope`: a scoped run's next step is the full one).
fn rerun_command(args: &Options) -> String {
    let mut command = String::from("cargo xtask pre-pr");
    for (set, flag) in [
        (args.autostash, "--autostash"),
        (args.no_sync, "--no-sync"),
        (args.integration, "--integration"),
        (args.open, "--open"),
        (args.dry_run, "--dry-run"),
        (args.json, "--json"),
    ] {
        if set {
            command.push(' ');
            command.push_str(flag);
        }
    }
    command
}

/// `--dry-run`: what was checked and predicted, and what the real run would do next.
fn finish_dry_run(ctx: &Ctx, console: &Console, mut pipeline: Pipeline<'_>, args: &Options) -> anyhow::Result<()> {
    let commands: Vec<String> = ctx.config.verify.iter().map(|c| verify::display_command(c)).collect();
    for name in ["verify", "integration", "compliance", "pr-body"] {
        if pipeline.failure.is_some() {
            pipeline.not_run(name);
        } else {
            pipeline.skip(name, "dry run".into());
        }
    }
    let Pipeline { steps, failure, .. } = pipeline;
    console.text(&summary_table(&steps));
    if args.json {
        crate::output::json(&report::DryRunReport {
            ok: failure.is_none(),
            dry_run: true,
            steps: &steps,
            verify_commands: &commands,
            error: failure.as_ref().map(|(_, error)| format!("{error:#}")),
        })?;
    } else if failure.is_none() {
        // What the real run's verify step does on this tree (`cache.rs`), unless the sync changes it.
        let reuse = !args.fresh && cache::lookup(ctx, "verify", &ctx.config.verify).is_some();
        let then = match reuse {
            true => "reuse the verify that passed on this very tree (unless the sync changes it; --fresh runs it again), which ran:",
            false => "run:",
        };
        console.text(&format!(
            "dry run: nothing was fetched, run or written; the real run would then {then}\n{}",
            commands.iter().map(|c| format!("    {c}")).collect::<Vec<_>>().join("\n")
        ));
    }
    match failure {
        Some((_, error)) => Err(error),
        None => Ok(()),
    }
}

/// Builds the PR body and writes it to `path`; the value is the body and the tested commit.
fn write_body(ctx: &Ctx, inputs: &body::Inputs<'_>, path: &std::path::Path) -> anyhow::Result<Done<(body::Body, Oid)>> {
    let body = body::build(ctx, inputs)?;
    crate::plan::write_regenerable(path, body.text.as_bytes())?;
    let relative = body::relative_path(ctx.root(), path);
    let ticked = body.checklist.iter().filter(|item| item.ticked).count();
    let masked = if body.masked { "; a possible secret in a commit subject or the spec was masked" } else { "" };
    let detail = format!("wrote {relative} ({ticked}/{} boxes ticked{masked})", body.checklist.len());
    let data = serde_json::json!({
        "path": relative,
        "title": body.title,
        "tested_commit": inputs.tested_commit.to_string(),
        "merge": body.merge,
    });
    Ok(Done::passed((body, inputs.tested_commit), detail, data))
}

fn run_verify(
    ctx: &Ctx,
    console: &Console,
    name: &str,
    commands: &[Vec<String>],
    gate: Option<&str>,
    fresh: bool,
    rerun: &str,
) -> anyhow::Result<Done<verify::Sequence>> {
    verify::unchanged_since_start(ctx, gate, rerun)?;
    if commands.is_empty() {
        let key = if gate.is_some() { "integration_verify" } else { "verify" };
        return Ok(Done {
            value: verify::Sequence::default(),
            detail: String::new(),
            data: serde_json::Value::Null,
            outcome: Outcome::Skipped(format!("no `{key}` commands are configured")),
        });
    }
    let cache_key = match gate {
        Some(gate) => format!("{name} {gate}=1"),
        None => name.to_string(),
    };
    let reused = if fresh { None } else { cache::lookup(ctx, &cache_key, commands) };
    let mut sequence = match reused {
        Some(sequence) => {
            console.text(&format!(
                "reusing {name}: it passed on this very tree with these commands (run again with --fresh)"
            ));
            sequence
        }
        None => verify::run_sequence(ctx, console, name, commands, gate)?,
    };
    cache::store(ctx, &cache_key, commands, &sequence);
    let mut detail = sequence.describe();
    if sequence.reused {
        detail.push_str(", reused (same tree, same commands)");
    }
    let data = serde_json::json!({ "commands": sequence.results, "tests": sequence.tests() });
    let outcome = match sequence.failure.take() {
        Some(error) => Outcome::Failed(error),
        None => Outcome::Passed,
    };
    Ok(Done { value: sequence, detail, data, outcome })
}

fn print_findings(console: &Console, report: &Report) {
    if !report.findings.is_empty() {
        console.text(&crate::check::render_findings(&report.findings, console.paint()));
    }
}

fn summary_table(steps: &[StepRecord]) -> String {
    let mut rows = vec![vec!["STEP".to_string(), "STATUS".into(), "TIME".into(), "DETAIL".into()]];
    for step in steps {
        let time = if step.status == Status::Skipped {
            "-".to_string()
        } else {
            progress::duration(Duration::from_millis(step.duration_ms))
        };
        rows.push(vec![step.name.to_string(), step.status.as_str().to_string(), time, step.detail.clone()]);
    }
    format!("\n{}", crate::output::table(&rows))
}

/// The program's path if it is on `PATH`.
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file() || (cfg!(windows) && candidate.with_extension("exe").is_file()))
}

/// Runs `gh pr create` with the title and body; `gh` may ask questions (where to push), so it gets
/// the terminal. With `--json` its output goes to stderr, keeping stdout for the report.
fn open_with_gh(ctx: &Ctx, json: bool, title: &str, body: &std::path::Path, main: &str) -> anyhow::Result<()> {
    let mut process: std::process::Command =
        cmd!(ctx.sh, "gh pr create --title {title} --body-file {body} --base {main}").into();
    process.stdin(std::process::Stdio::inherit());
    if json {
        process.stdout(std::io::stderr());
    }
    let status = process.status().context("failed to run `gh pr create`")?;
    if !status.success() {
        return Err(Refusal::failed(format!("`gh pr create` failed ({status})"))
            .hint(format!(
                "push the branch first ({}), then open the pull request:\ngh pr create --title {} --body-file {} --base {}",
                push_command(ctx),
                crate::output::shell_word(title),
                crate::output::shell_word(&body.to_string_lossy()),
                crate::output::shell_word(main)
            ))
            .into());
    }
    Ok(())
}

/// The push of the current branch, built from the refs as they are now.
fn push_command(ctx: &Ctx) -> String {
    match ctx.repo.head() {
        Ok(crate::git::Head::Branch { name, commit }) => {
            crate::git::hint::push(&ctx.repo, &ctx.config.remote, &name, commit)
        }
        _ => format!("git push -u {} HEAD", crate::output::shell_word(&ctx.config.remote)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::checklist::PR_CHECKLIST;

    #[test]
    fn the_pull_request_template_has_the_checklist_word_for_word() {
        let path = std::path::Path::new(env!("XTASK_DIR")).join("../.github/pull_request_template.md");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let boxes: Vec<&str> = text.lines().filter_map(|line| line.strip_prefix("- [ ] ")).collect();
        assert_eq!(boxes, PR_CHECKLIST, "{} and PR_CHECKLIST disagree", path.display());
    }

    #[test]
    fn the_summary_is_a_table() {
        let steps = vec![
            StepRecord { name: "preflight", status: Status::Passed, duration_ms: 12, detail: "on `feat/x`".into() },
            StepRecord { name: "integration", status: Status::Skipped, duration_ms: 0, detail: "not requested".into() },
        ];
        let table = summary_table(&steps);
        assert!(table.contains("STEP         STATUS   TIME  DETAIL\n"), "{table}");
        assert!(table.contains("preflight    passed   0.0s  on `feat/x`\n"), "{table}");
        assert!(table.contains("integration  skipped  -     not requested\n"), "{table}");
    }
}
