//! `cargo xtask onboard [--yes] [--dry-run] [--json]`: what a new engineer runs right after
//! cloning (SOP 8.1: mandatory pieces installed, verified and persisted before READY).
//!
//! It verifies each item and prints ✔ or ✘ with the exact fix (`probes.rs`), installs the git
//! hooks (`crate::hooks`), creates `.env` from `.env.example` when there is none, builds the
//! workspace, runs the `check` rules, and persists the READY state (`state.rs`). Every run
//! re-verifies: a clone that is READY says so again, and one whose mandatory item now fails
//! drops READY and says why. On a terminal it asks before changing anything (`--yes` skips the
//! question). It never overwrites a file, never touches the engineer's global git config and
//! never commits anything.

mod probes;
pub mod state;

use anyhow::Context as _;
use serde::Serialize;
use xshell::cmd;

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::hooks::{self, HooksState};
use crate::lock::RunLock;
use crate::output;
use crate::plan::Plan;
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
#[command(mut_arg("dry_run", |arg| arg.help(
    "Verify and say what would change, but change nothing (no hooks, no `.env`, no build)"
)))]
pub struct Args {
    /// Never prompt: make every change without asking (for scripts)
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub dry_run: output::DryRunArg,

    #[command(flatten)]
    pub json: output::JsonArg,
}

/// `onboard --json` (docs/json.md): the same keys with and without `--dry-run`.
#[derive(Debug, Serialize)]
struct OnboardReport<'a> {
    dry_run: bool,
    ready: bool,
    /// It was READY before this run.
    already_ready: bool,
    /// It was READY before this run and no longer is.
    dropped: bool,
    /// Where the READY state lives (`.git/sop/ready.json`).
    state_file: &'a std::path::Path,
    /// When it first became READY; `None` when it is not.
    since: Option<&'a str>,
    items: &'a [Item],
}

impl output::Report for OnboardReport<'_> {
    const VERSION: u32 = 1;
}

/// The receipt's detail of the hooks' installation.
#[derive(Serialize)]
struct HooksDetail<'a> {
    #[serde(rename = "core.hooksPath")]
    hooks_path: &'a str,
    chained: Option<&'a str>,
    hooks: &'a [&'a str],
}

/// The receipt's detail of a run: every item.
#[derive(Serialize)]
struct ItemsDetail<'a> {
    items: &'a [Item],
}

const COMMAND: &str = "onboard";
const ENV_FILE: &str = ".env";

/// How an item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    /// An optional item is missing: reported with its fix, READY does not depend on it.
    Warning,
    /// Not run (an earlier item failed, or a dry run).
    Skipped,
}

/// One line of the onboarding report.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: &'static str,
    pub label: &'static str,
    /// READY needs every mandatory item to be `ok`.
    pub mandatory: bool,
    pub status: Status,
    pub detail: String,
    /// The exact command (or step) that fixes a failed or missing item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Item {
    pub fn mandatory(id: &'static str, label: &'static str) -> Item {
        Item { id, label, mandatory: true, status: Status::Skipped, detail: String::new(), fix: None }
    }

    pub fn optional(id: &'static str, label: &'static str) -> Item {
        Item { mandatory: false, ..Item::mandatory(id, label) }
    }

    pub fn ok(self, detail: impl Into<String>) -> Item {
        Item { status: Status::Ok, detail: detail.into(), fix: None, ..self }
    }

    pub fn failed(self, detail: impl Into<String>, fix: impl Into<String>) -> Item {
        Item { status: Status::Failed, detail: detail.into(), fix: Some(fix.into()), ..self }
    }

    pub fn warning(self, detail: impl Into<String>, fix: impl Into<String>) -> Item {
        Item { status: Status::Warning, detail: detail.into(), fix: Some(fix.into()), ..self }
    }

    pub fn skipped(self, detail: impl Into<String>) -> Item {
        Item { status: Status::Skipped, detail: detail.into(), fix: None, ..self }
    }

    /// Keeps a mandatory item from being READY.
    fn blocks_ready(&self) -> bool {
        self.mandatory && self.status != Status::Ok
    }
}

/// The items so far; prints each as it completes (the build takes a while).
struct Report {
    json: bool,
    items: Vec<Item>,
}

impl Report {
    fn push(&mut self, mut item: Item) {
        // Every item is printed, reported as JSON and persisted in READY through here: its text
        // passes the redaction layer once (a remote URL with a token, a finding's message).
        item.detail = crate::redact::owned(&item.detail);
        item.fix = item.fix.as_deref().map(crate::redact::owned);
        if !self.json {
            print_item(&item);
        }
        self.items.push(item);
    }

    fn has_failures(&self) -> bool {
        self.items.iter().any(|item| item.mandatory && item.status == Status::Failed)
    }

    /// `label`: detail, for each item that keeps the clone from being READY.
    fn reasons(&self) -> Vec<String> {
        self.items
            .iter()
            .filter(|item| item.blocks_ready())
            .map(|item| format!("`{}`: {}", item.label, item.detail))
            .collect()
    }

    /// `label`: detail, for each mandatory item that failed (a dry run's skipped items are what
    /// it would do, not why the clone is not READY).
    fn failures(&self) -> Vec<String> {
        self.items
            .iter()
            .filter(|item| item.mandatory && item.status == Status::Failed)
            .map(|item| format!("`{}`: {}", item.label, item.detail))
            .collect()
    }
}

fn print_item(item: &Item) {
    let paint = output::Paint::stdout();
    let mark = match item.status {
        Status::Ok => paint.green_bold("✔"),
        Status::Failed => paint.red_bold("✘"),
        Status::Warning => paint.yellow_bold("!"),
        Status::Skipped => paint.dim("-"),
    };
    outln!("  {mark} {:<15} {}", item.label, item.detail);
    if let Some(fix) = &item.fix {
        outln!("    {:<15} {} {fix}", "", paint.cyan_bold("fix:"));
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let _lock = if args.dry_run.dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    let previous = state::read(&ctx.repo)?;
    let mut report = Report { json: args.json.json, items: Vec::new() };
    if !args.json.json {
        output::status("Onboarding", format!("`{}` (SOP 8.1: verify, install, then READY)", ctx.root().display()));
    }

    // 1. What the engineer's machine and clone must have. Read-only.
    report.push(probes::rust_toolchain(ctx));
    report.push(probes::component(ctx, "rustfmt", "fmt"));
    report.push(probes::component(ctx, "clippy", "clippy"));
    report.push(probes::nextest(ctx));
    report.push(probes::git(ctx));
    report.push(probes::git_identity(ctx));
    report.push(probes::remote(ctx));
    report.push(probes::main_branch(ctx));

    // 2. What onboarding installs: asked for once, on a terminal.
    let hooks_state = hooks::inspect(ctx)?;
    let env_state = inspect_env(ctx)?;
    let changes = planned_changes(&hooks_state, &env_state);
    let approved = args.dry_run.dry_run || changes.is_empty() || confirm(ctx, &changes)?;
    if !approved && !args.json.json {
        outln!("  nothing was changed");
    }
    report.push(hooks_item(ctx, &hooks_state, &args, approved)?);
    report.push(env_item(ctx, env_state, &args, approved)?);

    // 3. Build and check: only when everything they depend on is there.
    if args.dry_run.dry_run {
        report.push(Item::mandatory("build", "build").skipped("dry run: would run cargo build --workspace"));
        report.push(Item::mandatory("check", "check").skipped("dry run: would run the `cargo xtask check` rules"));
    } else if report.has_failures() {
        let reasons = report.reasons();
        report.push(Item::mandatory("build", "build").skipped("skipped: fix the items above first"));
        report.push(Item::mandatory("check", "check").skipped("skipped: fix the items above first"));
        let receipt = Receipt::new(COMMAND, Kind::Skipped, "skipped the build and the check")
            .reason(format!("mandatory items failed: {}", reasons.join("; ")));
        receipts::append(&ctx.repo, receipt)?;
    } else {
        report.push(build(ctx, args.json.json));
        report.push(check(ctx));
    }

    if args.dry_run.dry_run {
        return finish_dry_run(ctx, &report, previous.as_ref(), &args);
    }
    persist(ctx, &report, previous, &args)
}

/// What onboarding would change, one line each, for the prompt and `--dry-run`.
fn planned_changes(hooks: &HooksState, env: &EnvFile) -> Vec<String> {
    let mut changes = Vec::new();
    if let HooksState::NotInstalled { previous, .. } = hooks {
        let chain = previous.as_deref().map(|p| format!(", chaining your hooks in `{p}`")).unwrap_or_default();
        changes.push(format!(
            "install the git hooks: set `core.hooksPath` to `{}` in this clone's .git/config{chain}",
            hooks::HOOKS_DIR
        ));
    }
    if let EnvFile::Create { .. } = env {
        changes.push(format!(
            "create `{ENV_FILE}` from `{}` (ignored by git, never committed)",
            crate::layout::ENV_EXAMPLE
        ));
    }
    changes
}

fn confirm(ctx: &Ctx, changes: &[String]) -> anyhow::Result<bool> {
    if !ctx.interactive {
        return Ok(true);
    }
    errln!("onboarding will:");
    for change in changes {
        errln!("  - {change}");
    }
    crate::prompt::confirm("Make these changes?", true, "nothing was changed")
}

fn hooks_item(ctx: &Ctx, state: &HooksState, args: &Args, approved: bool) -> anyhow::Result<Item> {
    let item = Item::mandatory("hooks", "git hooks");
    let names = hooks::HOOK_NAMES.join(", ");
    let chaining = |previous: &Option<String>| {
        previous.as_deref().map(|p| format!("; chaining your hooks in `{p}`")).unwrap_or_default()
    };
    let warn_unchained = |previous: &Option<String>, unchained: &[String]| {
        if args.json.json {
            return;
        }
        for name in unchained {
            output::warning(format!(
                "your `{name}` hook in `{}` does not run while `core.hooksPath` is `{}`: only {names} are chained",
                previous.as_deref().unwrap_or_default(),
                hooks::HOOKS_DIR
            ));
        }
    };
    Ok(match state {
        HooksState::Broken { problem, fix } => item.failed(problem.clone(), fix.clone()),
        HooksState::Installed { previous, unchained } => {
            warn_unchained(previous, unchained);
            item.ok(format!("installed ({names}): `core.hooksPath` is `{}`{}", hooks::HOOKS_DIR, chaining(previous)))
        }
        HooksState::NotInstalled { previous, .. } if args.dry_run.dry_run => {
            item.skipped(format!("dry run: would set `core.hooksPath` to `{}`{}", hooks::HOOKS_DIR, chaining(previous)))
        }
        HooksState::NotInstalled { .. } if !approved => {
            item.failed("not installed: declined at the prompt", "cargo xtask onboard --yes")
        }
        HooksState::NotInstalled { previous, unchained } => {
            hooks::install(ctx, previous.as_deref())?;
            let receipt = Receipt::new(COMMAND, Kind::StateChange, "installed the git hooks").detail(
                serde_json::to_value(HooksDetail {
                    hooks_path: hooks::HOOKS_DIR,
                    chained: previous.as_deref(),
                    hooks: &hooks::HOOK_NAMES,
                })?,
            );
            receipts::append(&ctx.repo, receipt)?;
            warn_unchained(previous, unchained);
            item.ok(format!(
                "installed ({names}): `core.hooksPath` set to `{}`{}",
                hooks::HOOKS_DIR,
                chaining(previous)
            ))
        }
    })
}

/// What `.env` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EnvFile {
    /// The repository has no `.env.example`: nothing to copy.
    NoExample,
    Exists,
    /// `.env` is tracked by git (SOP 4.9: never commit `.env` files).
    Tracked,
    /// `.env` would not be ignored: secrets put in it could be committed.
    NotIgnored,
    Create {
        content: String,
    },
}

fn inspect_env(ctx: &Ctx) -> anyhow::Result<EnvFile> {
    if ctx.repo.is_tracked(ENV_FILE)? {
        return Ok(EnvFile::Tracked);
    }
    if !ctx.repo.is_ignored(ENV_FILE)? {
        return Ok(EnvFile::NotIgnored);
    }
    if ctx.root().join(ENV_FILE).symlink_metadata().is_ok() {
        return Ok(EnvFile::Exists);
    }
    let example = ctx.root().join(crate::layout::ENV_EXAMPLE);
    // Copied as UTF-8 text (a byte that is not becomes U+FFFD): such a line is `check`'s
    // finding, not a reason to stop here.
    match crate::git::sparse::read_regular(&example) {
        Ok(bytes) => Ok(EnvFile::Create { content: String::from_utf8_lossy(&bytes).into_owned() }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(EnvFile::NoExample),
        Err(error) => Err(error).with_context(|| format!("failed to read `{}`", example.display())),
    }
}

fn env_item(ctx: &Ctx, state: EnvFile, args: &Args, approved: bool) -> anyhow::Result<Item> {
    let item = Item::mandatory("env", ".env");
    let example = crate::layout::ENV_EXAMPLE;
    Ok(match state {
        EnvFile::Tracked => item.failed(
            format!("`{ENV_FILE}` is tracked by git; it must never be committed (SOP 4.9)"),
            format!(
                "git rm --cached {} && git commit -m {}",
                crate::git::hint::pathspec(ENV_FILE),
                crate::git::hint::message(&ctx.config, "chore", &format!("stop tracking {ENV_FILE}"))
            ),
        ),
        EnvFile::NotIgnored => item.failed(
            format!("`{ENV_FILE}` is not ignored by git, so its secrets could be committed (SOP 4.9)"),
            format!("echo '/{ENV_FILE}' >> {}", crate::git::hint::root_path(".gitignore")),
        ),
        EnvFile::Exists => item.ok(format!("`{ENV_FILE}` exists (kept as it is; ignored by git)")),
        EnvFile::NoExample => item.ok(format!("no `{example}` in this repository: nothing to create")),
        EnvFile::Create { .. } if args.dry_run.dry_run => {
            item.skipped(format!("dry run: would create `{ENV_FILE}` from `{example}`"))
        }
        EnvFile::Create { .. } if !approved => item.failed(
            format!("`{ENV_FILE}` not created: declined at the prompt"),
            format!("cp {} {}", crate::git::hint::root_path(example), crate::git::hint::root_path(ENV_FILE)),
        ),
        EnvFile::Create { content } => {
            let mut plan = Plan::new(COMMAND);
            plan.create(ENV_FILE, content);
            plan.apply(&ctx.repo)?;
            let receipt = Receipt::new(COMMAND, Kind::StateChange, format!("created `{ENV_FILE}` from `{example}`"));
            receipts::append(&ctx.repo, receipt)?;
            item.ok(format!("created from `{example}` (ignored by git; put your local settings there)"))
        }
    })
}

/// `cargo build --workspace`, `--locked` when the lock file is committed, with cargo's own
/// output on stderr so the engineer sees its progress and its errors.
fn build(ctx: &Ctx, json: bool) -> Item {
    let item = Item::mandatory("build", "build");
    let locked: Vec<&str> =
        if ctx.repo.is_tracked("Cargo.lock").unwrap_or(false) { vec!["--locked"] } else { Vec::new() };
    if !json {
        output::status("Building", "the workspace (the first build takes a few minutes)");
    }
    let description = format!("cargo build --workspace {}", locked.join(" ")).trim_end().to_string();
    match cmd!(ctx.sh, "cargo build --workspace {locked...}").run() {
        Ok(()) => item.ok(description),
        Err(error) => item.failed(format!("the build failed ({error})"), "fix the errors cargo printed above"),
    }
}

/// The repository rules of `cargo xtask check` (the branch rules belong to `pre-pr`: an
/// unfinished branch must not make the clone un-READY).
fn check(ctx: &Ctx) -> Item {
    let item = Item::mandatory("check", "check");
    match crate::check::evaluate(ctx, &crate::check::Options { branch_rules: false }) {
        Ok(report) if report.is_ok() => match report.warnings() {
            0 => item.ok("cargo xtask check: no problems"),
            warnings => item.ok(format!("cargo xtask check: no problems ({warnings} warning(s))")),
        },
        Ok(report) => {
            let first = report
                .findings
                .iter()
                .find(|finding| finding.severity == crate::check::Severity::Error)
                .map(|finding| format!(", first: {}", finding.message))
                .unwrap_or_default();
            item.failed(format!("cargo xtask check found {} problem(s){first}", report.errors()), "cargo xtask check")
        }
        Err(error) => item.failed(format!("cargo xtask check could not run: {error:#}"), "cargo xtask check"),
    }
}

/// A dry run changes nothing: the READY state it reports is the one in effect.
fn finish_dry_run(ctx: &Ctx, report: &Report, previous: Option<&state::ReadyState>, args: &Args) -> anyhow::Result<()> {
    let failed = report.has_failures();
    if args.json.json {
        output::json(&OnboardReport {
            dry_run: true,
            ready: previous.is_some(),
            already_ready: previous.is_some(),
            dropped: false,
            state_file: &state::path(&ctx.repo),
            since: previous.map(|state| state.since.as_str()),
            items: &report.items,
        })?;
    } else {
        outln!(
            "\ndry run: nothing was changed and the READY state was not touched; run `cargo xtask onboard` to apply"
        );
    }
    if failed {
        return Err(Refusal::failed(format!("not READY: {}", report.failures().join("; ")))
            .hint(first_fix(report, args))
            .into());
    }
    Ok(())
}

/// The first blocking item's fix, then `cargo xtask onboard` again, one command a line: a fix that
/// is a command stands alone on its line (it is pasted as printed), one in words leads in. The
/// run again keeps `--yes` (without a terminal, a run without it declines every change) and
/// `--dry-run`.
fn first_fix(report: &Report, args: &Args) -> String {
    let mut again = String::from("cargo xtask onboard");
    for (set, flag) in [(args.yes, " --yes"), (args.dry_run.dry_run, " --dry-run")] {
        if set {
            again.push_str(flag);
        }
    }
    let again = again.as_str();
    let fix = report.items.iter().filter(|item| item.blocks_ready()).find_map(|item| item.fix.clone());
    let is_command = |fix: &str| {
        ["cargo ", "git ", "rustup ", "cp ", "echo ", "chmod ", "rm ", "perl "]
            .iter()
            .any(|program| fix.starts_with(program))
    };
    match fix {
        Some(fix) if fix == "cargo xtask onboard" || fix.starts_with("cargo xtask onboard ") => fix,
        Some(fix) if is_command(&fix) => format!("fix it, then run onboard again:\n{fix}\n{again}"),
        Some(fix) => format!("{fix}, then run onboard again:\n{again}"),
        None => again.to_string(),
    }
}

/// Writes the READY receipt when every mandatory item passed; drops it, and says why, when not.
fn persist(ctx: &Ctx, report: &Report, previous: Option<state::ReadyState>, args: &Args) -> anyhow::Result<()> {
    let detail = serde_json::to_value(ItemsDetail { items: &report.items })?;
    if report.items.iter().any(Item::blocks_ready) {
        return persist_not_ready(ctx, report, args, detail);
    }
    let path = state::path(&ctx.repo);
    let already = previous.is_some();
    let new_state = ready_state(ctx, report, previous);
    state::write(&ctx.repo, &new_state)?;
    let receipt = if already {
        Receipt::new(COMMAND, Kind::Job, "re-verified the clone: still READY")
    } else {
        Receipt::new(COMMAND, Kind::StateChange, "the clone is READY")
    };
    receipts::append(&ctx.repo, receipt.detail(detail))?;
    if args.json.json {
        return output::json(&OnboardReport {
            dry_run: false,
            ready: true,
            already_ready: already,
            dropped: false,
            state_file: &path,
            since: Some(&new_state.since),
            items: &report.items,
        });
    }
    outln!();
    if already {
        output::status("Ready", format!("already READY since {}; every item re-verified just now", new_state.since));
    } else {
        output::status("Ready", "this clone is READY: every mandatory item is installed and verified");
    }
    outln!("{:>12} receipt: {}", "", path.display());
    print_tour(ctx);
    Ok(())
}

/// The READY state of this run: every item verified, since the first READY run.
fn ready_state(ctx: &Ctx, report: &Report, previous: Option<state::ReadyState>) -> state::ReadyState {
    let now = receipts::now_unix_ms();
    let time = receipts::rfc3339(now / 1000);
    let head = ctx.repo.head().ok();
    state::ReadyState {
        ready: true,
        since: previous.map(|p| p.since).unwrap_or_else(|| time.clone()),
        verified_at: time,
        verified_unix_ms: now,
        xtask_version: env!("CARGO_PKG_VERSION").to_string(),
        branch: head.as_ref().and_then(|h| h.branch_name()).map(str::to_string),
        commit: head.as_ref().and_then(|h| h.commit()).map(|c| c.to_string()),
        verified: (report.items.iter())
            .filter(|item| item.status == Status::Ok)
            .map(|item| state::Verified { id: item.id.into(), label: item.label.into(), detail: item.detail.clone() })
            .collect(),
    }
}

/// Drops the READY state (a mandatory item failed), with its receipt, and says why.
fn persist_not_ready(ctx: &Ctx, report: &Report, args: &Args, detail: serde_json::Value) -> anyhow::Result<()> {
    let reasons = report.reasons();
    let dropped = state::remove(&ctx.repo)?;
    let receipt = if dropped {
        Receipt::new(COMMAND, Kind::StateChange, "dropped READY: a mandatory item failed")
    } else {
        Receipt::new(COMMAND, Kind::Failure, "onboarding incomplete: not READY")
    };
    receipts::append(&ctx.repo, receipt.reason(reasons.join("; ")).detail(detail))?;
    if args.json.json {
        output::json(&OnboardReport {
            dry_run: false,
            ready: false,
            // Dropped: it was READY before this run.
            already_ready: dropped,
            dropped,
            state_file: &state::path(&ctx.repo),
            since: None,
            items: &report.items,
        })?;
    }
    let what = if dropped { "dropped READY" } else { "not READY" };
    Err(Refusal::failed(format!("{what}: {}", reasons.join("; "))).hint(first_fix(report, args)).into())
}

/// The workflow in four steps, for the engineer who just became READY.
fn print_tour(ctx: &Ctx) {
    let main = &ctx.config.main_branch;
    outln!();
    outln!("the workflow (SOP 3 and 4):");
    outln!("  1. cargo xtask new-addon <name>   a new slice: branch, spec, blueprint, flag, module, tests");
    outln!("  2. work on the branch             fill in the spec, build the module behind its flag,");
    outln!("                                    commit small conventional commits (\"feat: add scheduler receipts\")");
    outln!("  3. cargo xtask pre-pr             sync with `{main}`, verify, and write the PR body");
    outln!("  4. open the pull request          `{main}` is protected: reviews and CI decide (SOP 4.7)");
    outln!("the hooks check every commit message and every push; `cargo xtask --help` lists the commands");
}
