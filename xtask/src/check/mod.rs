//! `cargo xtask check [--json]`: the enforcement of SOP §11, run locally, by `pre-pr`, by the
//! pre-push hook and in CI. Each rule module turns what it reads into [`Finding`]s with a rule id
//! that names the SOP section (`sop-2.1/frozen-spec`); this module gathers what the rules read
//! (the add-on inventory, the branch's diff) exactly once, runs the rules, prints the findings and
//! decides the exit code (1 on any error; warnings don't fail).
//!
//! It never writes the working tree (but for `--update-baseline`, through `plan.rs`) and never
//! spawns a process per file: one repository handle, one revwalk for the commits, one
//! tree-to-index diff for the branch, and one tree-to-tree diff per pushed commit for the secret
//! scanner. A finding's message and hint never hold a secret in clear (see `secrets/mod.rs`).

mod branch;
pub mod checklist;
mod commits;
pub mod frozen;
mod hygiene;
pub mod repository;
pub(crate) mod secrets;
mod verdict;

use git2::Oid;

pub use commits::{
    autosquash_prefix, check_commit_message, cleanup, cleanup_with, has_verbose_diff,
    range_findings as commit_findings, shown as shown_subject, Cleanup,
};

use crate::addons::Inventory;
use crate::ctx::Ctx;
use crate::git::history::{FileChange, IndexEntry};
use crate::git::Head;
use crate::output::Paint;
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub json: crate::output::JsonArg,

    /// Run the branch rules (name, one slice, commits, CHANGELOG, add-on checklist) even on the
    /// main branch or a detached HEAD; by default they run on any other branch
    #[arg(long, conflicts_with = "no_branch_rules")]
    pub branch_rules: bool,

    /// Skip the branch rules
    #[arg(long)]
    pub no_branch_rules: bool,

    /// Also run `extra_secret_scanner` from [workspace.metadata.sop], once this clone approved it
    /// (`cargo xtask trust`); without this flag `check` runs no program
    #[arg(long)]
    pub extra_scanner: bool,

    /// Accept the current secret findings: add their fingerprints (never the secrets) to
    /// `.secrets.baseline.json`, which is reviewed like code and in effect once on the main branch
    #[arg(long, conflicts_with = "json")]
    pub update_baseline: bool,

    /// Judge every file afresh, without the incremental cache in `.git/sop/cache/` (the results
    /// are the same; this proves it)
    #[arg(long)]
    pub no_cache: bool,
}

/// How bad a finding is: errors fail the check (exit 1), warnings don't.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One broken rule: which rule (its id maps to the SOP section), where, what and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// `sop-2.1/frozen-spec`
    pub rule: &'static str,
    pub severity: Severity,
    /// `file:line` or `file`, where there is one.
    pub location: Option<String>,
    /// One line; never holds a secret in clear.
    pub message: String,
    /// One line per step; a line that ends with a command works pasted as printed.
    pub hint: String,
    /// A secret finding's fingerprint (a hash of the rule, the path and the secret's hash), what
    /// `--update-baseline` records to accept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The rule and path a baseline entry shows its reviewer.
    #[serde(skip)]
    pub accept_as: Option<(String, String)>,
}

impl Finding {
    /// The finding as it may be printed, reported or stored: its message, hint and location
    /// through the redaction layer (`redact.rs`), whatever rule wrote them (a quoted commit
    /// subject, an echoed allowlist entry).
    pub fn redacted(&self) -> Finding {
        Finding {
            location: self.location.as_deref().map(crate::redact::owned),
            message: crate::redact::owned(&self.message),
            hint: crate::redact::owned(&self.hint),
            ..self.clone()
        }
    }

    pub fn error(rule: &'static str, location: Option<String>, message: String, hint: String) -> Finding {
        Finding { rule, severity: Severity::Error, location, message, hint, fingerprint: None, accept_as: None }
    }

    pub fn warning(rule: &'static str, location: Option<String>, message: String, hint: String) -> Finding {
        Finding { rule, severity: Severity::Warning, location, message, hint, fingerprint: None, accept_as: None }
    }
}

/// Every rule id a cached finding may carry (`cache.rs` stores findings; a stored id is read back
/// as one of these, and an id that is not here makes the entry a miss).
const CACHED_RULES: &[&str] = &[
    "sop-9/template-version",
    "sop-3.1/spec-header",
    "sop-3.2/blueprint-header",
    "sop-9/document-header",
    "sop-3.1/scope",
    "sop-3.5/contracts",
    "sop-3.1/spec-sections",
    "sop-3.2/blueprint-sections",
    "sop-9/document-sections",
    "sop-3.5/placeholder",
    "sop-9/placeholder",
    "sop-4.9/case-collision",
];

impl crate::cache::Codec for Finding {
    fn encode(&self, out: &mut Vec<u8>) {
        use crate::cache::put_bytes;
        put_bytes(out, self.rule.as_bytes());
        crate::cache::put_u64(out, u64::from(self.severity == Severity::Error));
        self.location.encode(out);
        self.message.encode(out);
        self.hint.encode(out);
    }

    fn decode(input: &mut crate::cache::Reader<'_>) -> Option<Self> {
        let written = input.str()?;
        let rule = *CACHED_RULES.iter().find(|rule| **rule == written)?;
        let severity = match input.u64()? {
            1 => Severity::Error,
            0 => Severity::Warning,
            _ => return None,
        };
        let location = Option::<String>::decode(input)?;
        let (message, hint) = (String::decode(input)?, String::decode(input)?);
        Some(Finding { rule, severity, location, message, hint, fingerprint: None, accept_as: None })
    }
}

/// `file:line`, or `file` when the line is unknown.
pub fn at(path: &str, line: Option<usize>) -> Option<String> {
    Some(match line {
        Some(line) if line > 0 => format!("{path}:{line}"),
        _ => path.to_string(),
    })
}

/// Whether the configured `extra_secret_scanner` (a program named by committed configuration)
/// runs: see `trust.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraScanner {
    /// Never (`check` without `--extra-scanner`): a warning says it was not run.
    Never,
    /// When this clone approved it (the pre-push hook, `pre-pr`, `onboard`); otherwise a warning.
    IfApproved,
}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Run the branch rules (the command turns them on for a non-main branch).
    pub branch_rules: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// What the secret scanner read: the commits of the push and the staged changes.
    pub secret_scope: String,
    /// SOP 4.4's PR checklist, with its evidence: only from [`evaluate_for_pr`].
    #[serde(skip)]
    pub checklist: Option<checklist::Checklist>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Error).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Warning).count()
    }

    pub fn is_ok(&self) -> bool {
        self.errors() == 0
    }

    /// Every finding [`Finding::redacted`]: what the printers and reports show.
    pub fn redacted(&self) -> Report {
        Report {
            findings: self.findings.iter().map(Finding::redacted).collect(),
            secret_scope: self.secret_scope.clone(),
            checklist: self.checklist.as_ref().map(checklist::Checklist::redacted),
        }
    }
}

/// The branch as the rules see it: read once, shared by every rule.
pub(crate) struct BranchFacts {
    /// The checked-out branch, `None` on a detached HEAD.
    pub name: Option<String>,
    pub head: Option<Oid>,
    /// The main branch's tip (local, else the remote's).
    pub main: Option<Oid>,
    /// The merge-base of HEAD and the main branch: the diff's base.
    pub base: Option<Oid>,
    /// merge-base..HEAD plus staged changes, one entry per file.
    pub changes: Vec<FileChange>,
    /// The commits a push sends, oldest first: the secret scanner reads each one's own diff
    /// and message (see `secrets/mod.rs` for the range).
    pub pushed: Vec<Oid>,
    /// The range in words: `` `origin/main..HEAD` (3 commits) ``.
    pub pushed_range: String,
    /// The commit whose tree the rules judge instead of the index: the pre-push hook's, when
    /// HEAD is pushed (a push sends commits, never what is only staged).
    pub judged: Option<Oid>,
    /// The tips the pre-push hook was given (none for `check`): the branches a push sends.
    pub tips: Vec<Oid>,
}

/// Everything the rules read, gathered once.
pub(crate) struct Facts<'a> {
    pub ctx: &'a Ctx,
    pub extra_scanner: ExtraScanner,
    pub inventory: Inventory,
    pub branch: BranchFacts,
    /// The main branch's secret allowlists and baseline: what silences the scanner.
    pub suppression: secrets::Suppression,
    /// Every tracked path with its blob id in the index, read once when a rule first asks.
    tracked: std::cell::OnceCell<Vec<IndexEntry>>,
}

impl Facts<'_> {
    /// Every tracked path with its blob id in the index (HEAD plus staged changes), or in the
    /// judged commit ([`BranchFacts::judged`]).
    /// From the cache while git's index file is unchanged: libgit2 reading an index of thousands
    /// of entries costs more than every rule that reads it.
    pub fn tracked(&self) -> anyhow::Result<&[IndexEntry]> {
        if let Some(tracked) = self.tracked.get() {
            return Ok(tracked);
        }
        let repo = &self.ctx.repo;
        let read = match self.branch.judged {
            Some(commit) => repo.tree_blobs(commit)?,
            None => self.ctx.cache.derive("index-entries", repo.git_dir(), "index", "", |_| repo.tracked_blobs())?,
        };
        Ok(self.tracked.get_or_init(|| read))
    }

    /// The tracked paths under `prefix` (a folder with its `/`).
    pub fn tracked_under<'a>(&'a self, prefix: &'a str) -> anyhow::Result<impl Iterator<Item = &'a IndexEntry>> {
        Ok(self.tracked()?.iter().filter(move |entry| entry.path.starts_with(prefix)))
    }

    /// The blob id of a file in [`Facts::tracked`] (stage 0), without reading the blob.
    pub fn staged_blob(&self, path: &str) -> anyhow::Result<Option<Oid>> {
        let tracked = self.tracked()?;
        let at = tracked.partition_point(|entry| (entry.path.as_str(), entry.stage) < (path, 0));
        Ok(tracked.get(at).filter(|entry| entry.path == path && entry.stage == 0).map(|entry| entry.blob))
    }

    /// The version of a file the branch would push: the index (HEAD plus staged changes), or the
    /// judged commit's.
    pub fn new_version(&self, path: &str) -> anyhow::Result<Option<String>> {
        // The index is sorted by path, then stage: the merged version is stage 0.
        let Some(blob) = self.staged_blob(path)? else { return Ok(None) };
        let bytes = self.ctx.repo.blob_bytes(blob)?;
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// The version of a file at a commit, if the commit and the file exist.
    pub fn version_at(&self, commit: Option<Oid>, path: &str) -> anyhow::Result<Option<String>> {
        let Some(commit) = commit else { return Ok(None) };
        Ok(self.ctx.repo.file_at(commit, path)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// Runs every rule; used by `pre-pr`'s compliance step, `onboard` and the pre-push hook: the
/// extra scanner runs only if this clone approved it.
pub fn evaluate(ctx: &Ctx, options: &Options) -> anyhow::Result<Report> {
    evaluate_with(ctx, options, ExtraScanner::IfApproved)
}

/// Runs every rule for the pre-push hook: the secret scanner also reads the history of the
/// commits being pushed (`pushed`, their tips), which need not be HEAD's.
pub fn evaluate_push(ctx: &Ctx, options: &Options, pushed: &[Oid]) -> anyhow::Result<Report> {
    ctx.use_cache(false);
    evaluate_inner(ctx, options, ExtraScanner::IfApproved, pushed, None)
}

/// Whether a run judges HEAD's commit rather than the index: when HEAD is among the commits a
/// push sends.
fn judged_commit(ctx: &Ctx, tips: &[Oid]) -> anyhow::Result<Option<Oid>> {
    Ok(ctx.repo.head()?.commit().filter(|head| tips.contains(head)))
}

/// Runs every rule, the extra scanner as `extra_scanner` says.
pub fn evaluate_with(ctx: &Ctx, options: &Options, extra_scanner: ExtraScanner) -> anyhow::Result<Report> {
    evaluate_inner(ctx, options, extra_scanner, &[], None)
}

/// Runs every rule with the branch rules, and SOP 4.4's PR checklist over the same facts and
/// what `pre-pr`'s verify step ran (`run`): the report's [`Report::checklist`].
pub fn evaluate_for_pr(ctx: &Ctx, run: &checklist::TestRun) -> anyhow::Result<Report> {
    ctx.use_cache(false);
    evaluate_inner(ctx, &Options { branch_rules: true }, ExtraScanner::IfApproved, &[], Some(run))
}

fn evaluate_inner(
    ctx: &Ctx,
    options: &Options,
    extra_scanner: ExtraScanner,
    tips: &[Oid],
    run: Option<&checklist::TestRun>,
) -> anyhow::Result<Report> {
    let mut findings = Vec::new();
    let inventory = Inventory::load_cached(ctx.root(), &ctx.config, &ctx.cache)?;
    let branch = branch_facts(ctx, tips, &mut findings)?;
    let suppression = secrets::Suppression::in_effect(ctx, branch.main, &mut findings)?;
    let secret_scope = branch.pushed_range.clone();
    let facts = Facts { ctx, extra_scanner, inventory, branch, suppression, tracked: Default::default() };

    repository::check(&facts, &mut findings)?;
    frozen::check(&facts, &mut findings)?;
    hygiene::check(&facts, &mut findings)?;
    secrets::check(&facts, &mut findings)?;
    branch::fragments(&facts, &mut findings)?;
    if options.branch_rules {
        branch::check(&facts, &mut findings)?;
        commits::check(&facts, &mut findings)?;
    }
    let checklist = match run {
        Some(run) => Some(checklist::evaluate(&facts, run)?),
        None => None,
    };
    // What this run derived is kept for the next (a no-op when nothing changed or it is off).
    ctx.cache.save();
    // Errors first; within a severity, the order the rules found them (SOP order).
    findings.sort_by_key(|finding| finding.severity);
    Ok(Report { findings, secret_scope, checklist })
}

fn branch_facts(ctx: &Ctx, tips: &[Oid], findings: &mut Vec<Finding>) -> anyhow::Result<BranchFacts> {
    let config = &ctx.config;
    let (main_name, remote) = (&config.main_branch, &config.remote);
    let head = ctx.repo.head()?;
    let main = match ctx.repo.main_commit(main_name, remote) {
        Ok(main) => Some(main),
        Err(_) if head.commit().is_none() => None,
        Err(_) => {
            // Fail closed: without the main branch nothing tells which commits are new, so
            // every commit of HEAD is scanned below, and the check fails until it is here.
            findings.push(Finding::error(
                "sop-4.1/main-branch",
                None,
                format!(
                    "the main branch `{main_name}` is not here (neither `{main_name}` nor `{remote}/{main_name}`), so what this branch adds cannot be told apart from `{main_name}`"
                ),
                missing_main_hint(ctx, head.commit())?,
            ));
            None
        }
    };
    let base = match (head.commit(), main) {
        (Some(head), Some(main)) => ctx.repo.merge_base(head, main)?,
        _ => None,
    };
    // Without a main branch there is nothing to diff against, except in a repository that has
    // no commits yet, where everything staged is new.
    // A function of the base tree and the index (the worktree's attributes files in the key too:
    // they decide what is binary): from the cache while the index file is unchanged. A push is
    // judged by the commit it sends.
    let judged = judged_commit(ctx, tips)?.filter(|_| base.is_some());
    let changes = if let Some(tip) = judged {
        ctx.repo.changes_between(base, tip)?
    } else if base.is_some() || head.commit().is_none() {
        let extra = format!("{base:?} {:?}", attributes_stats(ctx));
        let (changes, nested) = ctx.cache.derive("branch-diff", ctx.repo.git_dir(), "index", &extra, |_| {
            let changes = ctx.repo.changes_since(base)?;
            let nested = nested_attributes_stats(ctx, &changes);
            Ok((changes, nested))
        })?;
        if nested == nested_attributes_stats(ctx, &changes) {
            changes
        } else {
            ctx.repo.changes_since(base)?
        }
    } else {
        Vec::new()
    };
    let name = match &head {
        Head::Branch { name, .. } | Head::Unborn { name } => Some(name.clone()),
        Head::Detached { .. } => None,
    };
    let (pushed, pushed_range) = pushed_commits(ctx, &head, main, tips)?;
    let tips = tips.to_vec();
    Ok(BranchFacts { name, head: head.commit(), main, base, changes, pushed, pushed_range, judged, tips })
}

/// The stat data of the attributes files that decide what git diffs as binary: the worktree's
/// top one, the clone's `info/attributes`, the one the configuration names and git's defaults
/// (all stat data, the change time too: an edit that keeps size and modification time shows).
fn attributes_stats(ctx: &Ctx) -> Vec<Option<[u64; 7]>> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let mut files = vec![ctx.root().join(".gitattributes"), ctx.repo.common_dir().join("info/attributes")];
    files.extend(crate::tree_memo::configured_file(ctx, "core.attributesFile"));
    files.extend(std::env::var_os("XDG_CONFIG_HOME").map(|dir| std::path::PathBuf::from(dir).join("git/attributes")));
    files.extend(home.map(|home| home.join(".config/git/attributes")));
    files.push("/etc/gitattributes".into());
    files.iter().map(|file| std::fs::metadata(file).ok().map(|metadata| xtask_store::tree::stat(&metadata))).collect()
}

/// The stat data of the `.gitattributes` in every folder below the top one that holds a changed
/// file: git reads them from the working tree, tracked or not, to judge the files below them
/// binary, so a diff taken from the cache (keyed by the index) holds only while they are as they
/// were when it was taken.
fn nested_attributes_stats(ctx: &Ctx, changes: &[FileChange]) -> String {
    let mut folders = std::collections::BTreeSet::new();
    for change in changes {
        let mut path = std::path::Path::new(&change.path);
        while let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            if !folders.insert(parent) {
                break;
            }
            path = parent;
        }
    }
    let stat = |folder: &&std::path::Path| {
        std::fs::metadata(ctx.root().join(folder).join(".gitattributes")).ok().map(|m| xtask_store::tree::stat(&m))
    };
    format!("{:?}", folders.iter().map(stat).collect::<Vec<_>>())
}

/// The commits a push would send that the remote's main branch does not have, oldest first.
/// Hidden: `<remote>/<main>` when it exists (what the remote is known to have), else the local
/// main branch on another branch; on the main branch itself with no `<remote>/<main>`, nothing
/// is hidden (fail closed: none of it is known to be pushed).
/// The secret scope of a branch without commits: only the staged changes are scanned.
const NO_COMMITS: &str = "staged changes only (no commits yet)";

fn pushed_commits(ctx: &Ctx, head: &Head, main: Option<Oid>, tips: &[Oid]) -> anyhow::Result<(Vec<Oid>, String)> {
    let config = &ctx.config;
    let mut all_tips: Vec<Oid> = head.commit().into_iter().collect();
    all_tips.extend(tips.iter().copied().filter(|tip| Some(*tip) != head.commit()));
    if all_tips.is_empty() {
        return Ok((Vec::new(), NO_COMMITS.into()));
    }
    let tracking = ctx.repo.remote_tracking_commit(&config.remote, &config.main_branch);
    let on_main = head.branch_name() == Some(config.main_branch.as_str());
    let (hide, from) = match (tracking, main) {
        (Some(tracking), _) => (vec![tracking], format!("{}/{}", config.remote, config.main_branch)),
        (None, Some(main)) if !on_main => (vec![main], config.main_branch.clone()),
        _ => (Vec::new(), String::new()),
    };
    let commits = ctx.repo.commits_between(&all_tips, &hide)?;
    let count = match commits.len() {
        1 => "1 commit".to_string(),
        n => format!("{n} commits"),
    };
    let to = if tips.iter().any(|tip| Some(*tip) != head.commit()) { "HEAD and the pushed refs" } else { "HEAD" };
    let range =
        if from.is_empty() { format!("every commit of {to} ({count})") } else { format!("`{from}..{to}` ({count})") };
    Ok((commits, range))
}

/// How to bring the main branch here: fetch it from the remote, or, with no remote, name the
/// commit it starts from (the root of HEAD's history, so that every commit is the branch's).
fn missing_main_hint(ctx: &Ctx, head: Option<Oid>) -> anyhow::Result<String> {
    let config = &ctx.config;
    let main = crate::output::shell_word(&config.main_branch);
    if ctx.repo.remote_url(&config.remote).is_some() {
        return Ok(format!("fetch it: git fetch {} {main}", crate::output::shell_word(&config.remote)));
    }
    let root = match head {
        Some(head) => ctx.repo.commits_between(&[head], &[])?.first().map(|root| ctx.repo.short_id(*root)),
        None => None,
    };
    Ok(match root {
        Some(root) => format!(
            "there is no remote `{}` either; create `{main}` at the first commit, so every commit counts as this branch's: git branch {main} {root}",
            config.remote
        ),
        None => format!("create it: git branch {main}"),
    })
}

/// `check --json` (docs/json.md).
#[derive(Debug, serde::Serialize)]
struct CheckReport<'a> {
    ok: bool,
    errors: usize,
    warnings: usize,
    branch_rules: bool,
    secret_scope: &'a str,
    findings: &'a [Finding],
    /// How much the incremental cache answered (`--no-cache`: `enabled` is false).
    cache: crate::cache::Stats,
}

impl crate::output::Report for CheckReport<'_> {
    const VERSION: u32 = 1;
}

/// The receipt's detail of a check.
#[derive(serde::Serialize)]
struct Detail<'a> {
    branch_rules: bool,
    rules: Vec<&'a str>,
}

/// The receipt's detail of `--update-baseline`.
#[derive(serde::Serialize)]
struct BaselineDetail<'a> {
    file: &'a str,
    accepted: usize,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let head = ctx.repo.head()?;
    let on_other_branch = head.branch_name().is_some_and(|name| name != ctx.config.main_branch);
    let branch_rules = args.branch_rules || (on_other_branch && !args.no_branch_rules);
    // Asked to run the scanner: it must be approved first (refused otherwise, before any rule).
    let extra_scanner = if args.extra_scanner {
        crate::trust::require(ctx, &[crate::trust::List::ExtraSecretScanner])?;
        ExtraScanner::IfApproved
    } else {
        ExtraScanner::Never
    };
    // The whole verdict of an unchanged tree (`verdict.rs`): not with `--no-cache`, not when a
    // program runs (the extra scanner), not for `--update-baseline` (it needs what the stored
    // findings leave out).
    let print = (!args.no_cache && extra_scanner == ExtraScanner::Never && !args.update_baseline)
        .then(|| verdict::fingerprint(ctx, branch_rules))
        .flatten();
    let (report, cache) = match print.as_ref().and_then(|print| verdict::load(ctx, print)) {
        Some((report, derivations)) => {
            (report, crate::cache::Stats { enabled: true, reused: derivations, read: 0, verdict: true })
        }
        None => {
            ctx.use_cache(args.no_cache);
            let report = evaluate_with(ctx, &Options { branch_rules }, extra_scanner)?;
            let cache = ctx.cache.stats();
            if let Some(print) = &print {
                verdict::store(ctx, print, &report, cache.reused + cache.read);
            }
            (report, cache)
        }
    };
    if args.update_baseline {
        // The fingerprints are computed from the unredacted findings; what is printed is redacted.
        return update_baseline(ctx, &report);
    }
    // Printed, reported as JSON: redacted once, here (a reused verdict was stored redacted).
    let report = if cache.verdict { report } else { report.redacted() };

    let summary = format!("{} errors, {} warnings", report.errors(), report.warnings());
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    let receipt =
        Receipt::new("check", if report.is_ok() { Kind::Job } else { Kind::Failure }, format!("check: {summary}"))
            .detail(serde_json::to_value(Detail { branch_rules, rules })?);
    receipts::append(&ctx.repo, receipt)?;

    if args.json.json {
        crate::output::json(&CheckReport {
            ok: report.is_ok(),
            errors: report.errors(),
            warnings: report.warnings(),
            branch_rules,
            secret_scope: &report.secret_scope,
            findings: &report.findings,
            cache,
        })?;
    } else {
        print_report(&report, branch_rules);
    }
    if !report.is_ok() {
        return Err(crate::error::Refusal::failed(format!("check failed: {summary}"))
            .hint("fix each finding as its hint says, then run: cargo xtask check")
            .into());
    }
    Ok(())
}

/// `check --update-baseline`: accepts the current secret findings, then says what to do next.
fn update_baseline(ctx: &Ctx, report: &Report) -> anyhow::Result<()> {
    let added = secrets::update_baseline(ctx, report)?;
    let file = secrets::BASELINE_FILE;
    if added == 0 {
        crate::output::status("Checked", format!("no secret finding to accept; `{file}` is unchanged"));
        return Ok(());
    }
    crate::output::status(
        "Accepted",
        format!("{added} secret finding(s) in `{file}` (fingerprints only); reviewers approve it like code, and it is in effect once on `{}`", ctx.config.main_branch),
    );
    let receipt =
        Receipt::new("check", Kind::StateChange, format!("check: accepted {added} secret finding(s) in the baseline"))
            .detail(serde_json::to_value(BaselineDetail { file, accepted: added })?);
    receipts::append(&ctx.repo, receipt)?;
    outln!("next: git add {file}");
    outln!("next: git commit -m \"chore: accept {added} secret scanner finding(s)\"");
    Ok(())
}

/// Findings as people read them, the one renderer `check`, `pre-pr` and the pre-push hook use:
/// `error[rule] location: message`, then the hint one `hint:` line each (a hint may be a why,
/// then one command a line, each pasted as printed). `paint` is the stream's (colour or not).
pub fn render_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>, paint: Paint) -> String {
    let mut out = String::new();
    for finding in findings {
        let label = match finding.severity {
            Severity::Error => paint.red_bold(&format!("error[{}]", finding.rule)),
            Severity::Warning => paint.yellow_bold(&format!("warning[{}]", finding.rule)),
        };
        let location = finding.location.as_deref().map(|location| format!("{location}: ")).unwrap_or_default();
        out.push_str(&format!("{label} {location}{}\n", finding.message));
        for hint in finding.hint.lines() {
            out.push_str(&format!("    {} {hint}\n", paint.cyan_bold("hint:")));
        }
    }
    out
}

fn print_report(report: &Report, branch_rules: bool) {
    out!("{}", render_findings(&report.findings, Paint::stdout()));
    // The scope never follows the word "secrets" and a colon: the redaction layer reads that as
    // a secret assignment and masked the range.
    let scanned = match report.secret_scope.as_str() {
        NO_COMMITS => "the staged changes for secrets (no commits yet)".to_string(),
        scope => format!("{scope} and the staged changes for secrets"),
    };
    crate::output::status("Scanned", scanned);
    if report.findings.is_empty() {
        let scope = if branch_rules { "repository, hygiene and branch rules" } else { "repository and hygiene rules" };
        crate::output::status("Checked", format!("{scope}: no findings"));
    } else if report.is_ok() {
        crate::output::status("Checked", format!("no errors, {} warnings", report.warnings()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_counts_and_json_shape() {
        let report = Report {
            findings: vec![
                Finding::error("sop-2.1/frozen-spec", at("a.md", Some(3)), "m".into(), "h".into()),
                Finding::warning("sop-9/placeholder", at("b.md", None), "m".into(), "h".into()),
            ],
            secret_scope: String::new(),
            checklist: None,
        };
        assert_eq!((report.errors(), report.warnings(), report.is_ok()), (1, 1, false));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["findings"][0]["severity"], "error");
        assert_eq!(json["findings"][0]["location"], "a.md:3");
        assert_eq!(json["findings"][1]["location"], "b.md");
    }

    /// The one renderer: label, location and message on a line, then each hint line on its own
    /// `hint:` line, so every command pastes as printed; no colour when the stream has none.
    #[test]
    fn findings_render_one_hint_a_line() {
        let findings = [
            Finding::error(
                "sop-4.9/env-file",
                at(".env", Some(2)),
                "tracked".into(),
                "why:\ngit rm --cached :/.env".into(),
            ),
            Finding::warning("sop-9/placeholder", None, "left".into(), "fill it in".into()),
        ];
        let text = render_findings(&findings, Paint::disabled());
        assert_eq!(
            text,
            "error[sop-4.9/env-file] .env:2: tracked\n    hint: why:\n    hint: git rm --cached :/.env\n\
             warning[sop-9/placeholder] left\n    hint: fill it in\n"
        );
    }
}
