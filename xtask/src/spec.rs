//! `cargo xtask spec approve|start|complete|supersede|list`: the spec lifecycle (SOP 2.1, 3 step 1).
//!
//! A transition is validated (Draft → Approved → In Progress → Complete; Superseded from any
//! state; anything else is refused with the allowed transitions), changes only the Status line
//! (the rest of the file stays byte-identical), and leaves a receipt. Entering a frozen state
//! (`start`, `supersede`) writes the spec's content hash to its own freeze record,
//! `docs/specs/frozen/<spec file stem>.lock`, in the same all-or-nothing write, and `complete` or
//! a later `supersede` rewrites that record with the new hash: the freeze shows in the reviewer's
//! diff, `check` can enforce it, and slices freezing different specs touch different files. The
//! record's format belongs to `check::frozen`. `approve` refuses while the spec still holds
//! template placeholders or lacks a required section (SOP 3.5).

use crate::addons::{Addon, Inventory};
use crate::check::frozen::{allowed_transitions, spec_hash, FreezeRecord, FreezeRecords};
use crate::check::Severity;
use crate::ctx::Ctx;
use crate::docs::{self, Status};
use crate::error::Refusal;
use crate::lock::RunLock;
use crate::output;
use crate::plan::Plan;
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Draft → Approved: the contracts are defined (no `TODO(sop)` placeholder left)
    Approve(Transition),
    /// Approved → In Progress: work starts and the spec is frozen (its hash goes into its freeze record)
    Start(Transition),
    /// In Progress → Complete
    Complete(Transition),
    /// Any status → Superseded by another spec
    Supersede(Supersede),
    /// List the specs with their status
    List(List),
}

#[derive(Debug, clap::Args)]
pub struct Transition {
    /// The add-on: `health-monitor`, `HealthMonitor`, `"health monitor"` or its spec file name
    pub name: String,
    #[command(flatten)]
    pub dry_run: output::DryRunArg,
    #[command(flatten)]
    pub json: output::JsonArg,
}

#[derive(Debug, clap::Args)]
pub struct Supersede {
    #[command(flatten)]
    pub transition: Transition,
    /// The spec that replaces it
    #[arg(long, value_name = "SPEC")]
    pub by: String,
}

#[derive(Debug, clap::Args)]
pub struct List {
    #[command(flatten)]
    pub json: output::JsonArg,
}

const COMMAND: &str = "spec";

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Approve(transition) => change(ctx, transition, Status::Approved, None),
        Action::Start(transition) => change(ctx, transition, Status::InProgress, None),
        Action::Complete(transition) => change(ctx, transition, Status::Complete, None),
        Action::Supersede(Supersede { transition, by }) => change(ctx, transition, Status::Superseded, Some(by)),
        Action::List(list) => print_list(ctx, list),
    }
}

/// The subcommand that moves a spec to `status`.
fn verb(status: Status) -> &'static str {
    match status {
        Status::Draft => "(none)",
        Status::Approved => "approve",
        Status::InProgress => "start",
        Status::Complete => "complete",
        Status::Superseded => "supersede",
    }
}

/// The transitions allowed from `from`, one command a line after a lead-in line (`supersede`
/// needs the newer spec's name, so it is named in the lead-in, not as a command).
fn allowed_commands(from: Status, slug: &str) -> String {
    let mut lead = format!("allowed from {from}");
    let mut lines = Vec::new();
    for to in allowed_transitions(from) {
        match to {
            Status::Superseded => {
                lead.push_str(&format!(" (to retire it: `cargo xtask spec supersede {slug} --by <newer spec>`)"))
            }
            to => lines.push(format!("cargo xtask spec {} {slug}", verb(*to))),
        }
    }
    if lines.is_empty() {
        lines.push("cargo xtask spec list".to_string());
        lead = format!("nothing is allowed from {from}: it is final; the add-ons and their status");
    }
    format!("{lead}:\n{}", lines.join("\n"))
}

/// One transition being made: the spec, its old and new status, and the plan that writes it.
struct Change<'a> {
    addon: &'a Addon,
    from: Status,
    to: Status,
    /// The new `**Status:**` value (`Superseded by [X](x.md)` names the newer spec).
    value: String,
    /// The content hash of the spec's new text.
    hash: String,
    /// The spec's freeze record, `docs/specs/frozen/<stem>.lock`.
    record_path: String,
    plan: Plan,
}

/// `spec approve|start|complete|supersede` (and `--json` as `spec-transition` in docs/json.md).
#[derive(Debug, serde::Serialize)]
struct TransitionReport<'a> {
    dry_run: bool,
    feature: &'a str,
    spec: &'a str,
    from: Status,
    to: Status,
    status: &'a str,
    frozen: bool,
    hash: &'a str,
}

impl output::Report for TransitionReport<'_> {
    const VERSION: u32 = 1;
}

impl Change<'_> {
    fn report(&self, dry_run: bool) -> TransitionReport<'_> {
        TransitionReport {
            dry_run,
            feature: &self.addon.feature,
            spec: &self.addon.spec,
            from: self.from,
            to: self.to,
            status: &self.value,
            frozen: self.to.is_frozen(),
            hash: &self.hash,
        }
    }
}

/// Moves a spec to `to`: validated, planned, then printed (`--dry-run`) or applied.
fn change(ctx: &Ctx, args: Transition, to: Status, by: Option<String>) -> anyhow::Result<()> {
    let dry_run = args.dry_run.dry_run;
    let _lock = if dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    if !dry_run {
        // A spec edited in the middle of a merge, rebase or bisect would be swept into git's
        // resolution (or lost by its abort): finish the operation first.
        crate::sync_cmd::ensure_no_operation_in_progress(ctx)?;
    }
    let inventory = Inventory::load(ctx.root(), &ctx.config)?;
    let addon = inventory.resolve(&args.name)?;
    let from = transition_from(addon, to)?;
    let full = ctx.root().join(&addon.spec);
    let text = crate::git::sparse::read_regular_to_string(&full)
        .map_err(|error| anyhow::Error::new(error).context(format!("failed to read `{}`", full.display())))?;
    let records = FreezeRecords::load(ctx.root(), &ctx.config)?;
    // A frozen spec changes only through here: refuse to carry hand edits into the new status.
    if from.is_frozen() {
        ensure_unedited(ctx, &inventory, addon, &records, &text)?;
    }
    if to == Status::Approved {
        ensure_contracts_defined(ctx, addon, &text)?;
    }
    if matches!(to, Status::Approved | Status::InProgress) {
        ensure_dependencies_exist(ctx, &inventory, addon, to)?;
    }
    let value = status_value(&inventory, addon, to, by.as_deref())?;
    let change = plan_change(ctx, addon, &text, from, to, value)?;
    if dry_run {
        if args.json.json {
            return output::json(&change.report(true));
        }
        outln!(
            "dry run: `cargo xtask spec {} {}` would do the following; nothing is written\n",
            verb(to),
            addon.names.slug
        );
        out!("{}", change.plan.render());
        return Ok(());
    }
    apply(ctx, &change)?;
    if args.json.json {
        return output::json(&change.report(false));
    }
    print_done(&change, &records);
    print_next(ctx, &inventory, &change)
}

/// The status the spec is in, once moving it to `to` is allowed; a refusal names what is.
fn transition_from(addon: &Addon, to: Status) -> anyhow::Result<Status> {
    let slug = &addon.names.slug;
    let from = addon.status().map_err(|problem| {
        Refusal::failed(format!("the status of spec `{}` cannot be read: {problem}", addon.feature))
            .hint(format!("fix the `**Status:**` line of {}", addon.spec))
    })?;
    if from == to {
        return Err(Refusal::usage(format!("spec `{}` is already {to}", addon.feature))
            .hint(allowed_commands(from, slug))
            .into());
    }
    if !allowed_transitions(from).contains(&to) {
        return Err(Refusal::usage(format!(
            "spec `{}` is {from}; it cannot go to {to} (Draft → Approved → In Progress → Complete, or Superseded)",
            addon.feature
        ))
        .hint(allowed_commands(from, slug))
        .into());
    }
    Ok(from)
}

/// A frozen spec still has the text its freeze record holds, and that record can be read.
fn ensure_unedited(
    ctx: &Ctx,
    inventory: &Inventory,
    addon: &Addon,
    records: &FreezeRecords,
    text: &str,
) -> anyhow::Result<()> {
    let file_name = addon.spec.rsplit('/').next().unwrap_or(&addon.spec);
    if let Some(bad) = records.bad.iter().find(|bad| bad.spec_file.as_deref() == Some(file_name)) {
        let location = match bad.problem.line {
            Some(line) => format!("{}:{line}", bad.path),
            None => bad.path.clone(),
        };
        return Err(Refusal::failed(format!(
            "the freeze record of spec `{}` cannot be read ({location}): {}",
            addon.feature, bad.problem.message
        ))
        .hint(match crate::check::frozen::set_aside(ctx.root(), &bad.path) {
            Some(aside) => aside,
            None => restore_record_command(ctx, &bad.path)?,
        })
        .into());
    }
    if let Some(recorded) = records.get(file_name) {
        if spec_hash(text.as_bytes())? != recorded.hash {
            return Err(Refusal::failed(format!(
                "spec `{}` was edited after it was frozen (it no longer matches `{}`)",
                addon.feature, recorded.path
            ))
            .hint(format!(
                "revert it, and put the change in a new slice (`{}`):\n{}",
                inventory.new_slice_command(addon),
                revert_frozen_command(ctx, &addon.spec, &recorded.hash)?
            ))
            .into());
        }
    }
    Ok(())
}

/// The new `**Status:**` value: the status, or `Superseded by [X](x.md)` naming the newer spec.
fn status_value(inventory: &Inventory, addon: &Addon, to: Status, by: Option<&str>) -> anyhow::Result<String> {
    let Some(by) = by else { return Ok(to.as_str().to_string()) };
    let other = inventory.resolve(by)?;
    if other.feature == addon.feature {
        let slug = &addon.names.slug;
        return Err(Refusal::usage(format!("spec `{}` cannot supersede itself", addon.feature))
            .hint(format!(
                "name the newer spec (`cargo xtask spec supersede {slug} --by <newer spec>`); the add-ons:\ncargo xtask spec list"
            ))
            .into());
    }
    let other_file = other.spec.rsplit('/').next().unwrap_or(&other.spec);
    Ok(format!("Superseded by [{}]({other_file})", other.feature))
}

/// The plan: the spec's Status line, and in a frozen state the freeze record of its new text
/// (so `complete` and `supersede` rewrite it; a repository still on the old `spec.lock` gets
/// records from here on).
fn plan_change<'a>(
    ctx: &Ctx,
    addon: &'a Addon,
    text: &str,
    from: Status,
    to: Status,
    value: String,
) -> anyhow::Result<Change<'a>> {
    let root = ctx.root();
    let Some(new_text) = docs::set_status(text, &value) else {
        return Err(Refusal::failed(format!("spec `{}` has no `**Status:**` line to change", addon.feature))
            .hint(format!("add `**Status:** {from}` to the header of {}", addon.spec))
            .into());
    };
    let file_name = addon.spec.rsplit('/').next().unwrap_or(&addon.spec);
    let record_path = FreezeRecord::path(&ctx.config, file_name);
    let mut plan = Plan::new(&format!("{COMMAND} {} {}", verb(to), addon.names.slug));
    plan.edit(root, &addon.spec, |_| Ok(new_text.clone()))?;
    let hash = spec_hash(new_text.as_bytes())?;
    if to.is_frozen() {
        let rendered = FreezeRecord { hash: hash.clone() }.render(file_name);
        if root.join(&record_path).symlink_metadata().is_ok() {
            plan.edit(root, &record_path, |_| Ok(rendered))?;
        } else {
            plan.create(&record_path, rendered);
        }
    }
    Ok(Change { addon, from, to, value, hash, record_path, plan })
}

/// Writes the plan and the receipt (a failure's receipt too).
fn apply(ctx: &Ctx, change: &Change<'_>) -> anyhow::Result<()> {
    let Change { addon, from, to, .. } = change;
    change.plan.apply(&ctx.repo).inspect_err(|error| {
        let receipt = Receipt::new(COMMAND, Kind::Failure, format!("spec {}: {from} → {to} failed", addon.feature))
            .addon(&addon.feature)
            .reason(format!("{error:#}"));
        let _ = receipts::append(&ctx.repo, receipt);
    })?;
    let receipt = Receipt::new(COMMAND, Kind::StateChange, format!("spec {}: {from} → {to}", addon.feature))
        .addon(&addon.feature)
        .detail(serde_json::to_value(Detail {
            file: &addon.spec,
            from: *from,
            to: *to,
            status: &change.value,
            hash: &change.hash,
            frozen: to.is_frozen(),
        })?);
    receipts::append(&ctx.repo, receipt)
}

/// The receipt's detail of a transition.
#[derive(serde::Serialize)]
struct Detail<'a> {
    file: &'a str,
    from: Status,
    to: Status,
    status: &'a str,
    hash: &'a str,
    frozen: bool,
}

/// What changed, for people.
fn print_done(change: &Change<'_>, records: &FreezeRecords) {
    let Change { addon, from, to, .. } = change;
    output::status(past_tense(*to), format!("spec `{}`: {from} → {} ({})", addon.feature, change.value, addon.spec));
    if to.is_frozen() {
        output::status("Recorded", format!("its hash in {}; from now on the spec is frozen", change.record_path));
    }
    if let Some(lock_path) = &records.legacy {
        output::warning(format!(
            "`{lock_path}` is the old layout of the freeze records; `cargo xtask check` fails until it is migrated\n  hint: cargo xtask migrate --dry-run"
        ));
    }
    outln!();
}

/// The `next:` lines: commit the spec (and the add-on's files never committed), then the next
/// transition or the new slice a frozen spec calls for.
fn print_next(ctx: &Ctx, inventory: &Inventory, change: &Change<'_>) -> anyhow::Result<()> {
    let (addon, to) = (change.addon, change.to);
    let slug = &addon.names.slug;
    // Only the spec and its record, and the add-on's own files that were never committed (so
    // the commit builds): `commit -a` would leave a new record out, and `add -A` would sweep in
    // unrelated work. Root-relative pathspecs work from any folder.
    let mut paths = vec![addon.spec.clone()];
    if to.is_frozen() {
        paths.push(change.record_path.clone());
    }
    let names = &addon.names;
    let fragment = crate::changelog::fragment_path(slug);
    for path in
        [&names.blueprint, &names.runbook, &names.architecture, &names.module, &names.integration_test, &fragment]
    {
        if !paths.contains(path) && ctx.root().join(path).is_file() && ctx.repo.index_file(path)?.is_none() {
            paths.push(path.clone());
        }
    }
    let pathspecs: Vec<String> = paths.iter().map(|path| crate::git::hint::pathspec(path)).collect();
    outln!(
        "next: git add {} && git commit -m {}",
        pathspecs.join(" "),
        crate::git::hint::message(&ctx.config, "spec", &format!("{} {slug}", verb(to)))
    );
    match to {
        Status::Approved => outln!("next: cargo xtask spec start {slug}"),
        Status::InProgress => print_new_slice(ctx, inventory, addon)?,
        _ => {}
    }
    Ok(())
}

/// A started spec is frozen: anything new goes into a new slice, which starts from the base and
/// so can build on this spec only once it is there.
fn print_new_slice(ctx: &Ctx, inventory: &Inventory, addon: &Addon) -> anyhow::Result<()> {
    if crate::check::frozen::on_main(ctx, addon)? {
        outln!("the spec is now frozen: anything new goes into a new slice, such as:");
        outln!("next: {}", inventory.new_slice_command(addon));
    } else {
        outln!(
            "the spec is now frozen: anything new goes into a new slice, once this branch has landed on `{}`: `{}`",
            ctx.config.main_branch,
            inventory.new_slice_command(addon)
        );
    }
    Ok(())
}

/// How to bring back a committed record (from HEAD), or drop one that was never committed.
fn restore_record_command(ctx: &Ctx, path: &str) -> anyhow::Result<String> {
    let committed = match ctx.repo.head()?.commit() {
        Some(head) => ctx.repo.file_at(head, path)?.is_some(),
        None => false,
    };
    Ok(if committed {
        format!("git checkout HEAD -- {}", crate::git::hint::pathspec(path))
    } else {
        format!("rm {}", crate::git::hint::root_path(path))
    })
}

/// Brings a frozen spec back to the text its record holds: from HEAD or the base when one of
/// them has exactly that text (a spec frozen on this branch is not on the main branch), else
/// from the object database, where `spec start`/`approve` left the blob the hash names.
fn revert_frozen_command(ctx: &Ctx, spec: &str, hash: &str) -> anyhow::Result<String> {
    let mut sources = Vec::new();
    if let Some(head) = ctx.repo.head()?.commit() {
        sources.push(head);
    }
    if let Ok(base) = ctx.repo.main_commit(&ctx.config.main_branch, &ctx.config.remote) {
        sources.push(base);
    }
    for source in sources {
        if let Some(bytes) = ctx.repo.file_at(source, spec)? {
            if spec_hash(&bytes)? == hash {
                if let Some(command) = crate::git::hint::restore(&ctx.repo, &ctx.config, spec, &[source]) {
                    return Ok(command);
                }
            }
        }
    }
    Ok(format!("git cat-file blob {hash} > {}", crate::git::hint::root_path(spec)))
}

fn past_tense(status: Status) -> &'static str {
    match status {
        Status::Draft => "Drafted",
        Status::Approved => "Approved",
        Status::InProgress => "Started",
        Status::Complete => "Completed",
        Status::Superseded => "Superseded",
    }
}

/// SOP 3.5: contracts are defined before implementation. Approval refuses while the spec has a
/// placeholder or lacks a section its template version requires.
fn ensure_contracts_defined(ctx: &Ctx, addon: &Addon, text: &str) -> anyhow::Result<()> {
    let templates = crate::render::Templates::load(ctx.root())?;
    let findings =
        crate::check::repository::check_document(&templates, "spec", &addon.spec, text, Some(Status::Approved));
    let blocking: Vec<_> = findings.iter().filter(|finding| finding.severity == Severity::Error).collect();
    let Some(first) = blocking.first() else { return Ok(()) };
    let mut message = format!("spec `{}` is not ready to approve: {}", addon.feature, first.message);
    if blocking.len() > 1 {
        message.push_str(&format!(" (and {} more problems: run cargo xtask check)", blocking.len() - 1));
    }
    let location = first.location.as_deref().unwrap_or(&addon.spec);
    Err(Refusal::failed(message)
        .hint(format!(
            "{} (at {location}), then approve it again:\ncargo xtask spec approve {}",
            first.hint, addon.names.slug
        ))
        .into())
}

/// SOP 2.1, 3.1: a spec is approved or started only while every `Depends on` entry names a spec
/// here, by `check`'s own rule (`sop-3.1/depends-on`): once frozen, its `Depends on` line can no
/// longer be fixed, and `check` would fail for good.
fn ensure_dependencies_exist(ctx: &Ctx, inventory: &Inventory, addon: &Addon, to: Status) -> anyhow::Result<()> {
    let (_, findings) = crate::check::repository::dependency_findings(ctx, inventory, addon);
    let Some(first) = findings.first() else { return Ok(()) };
    let mut message = format!("{}: it cannot be {to} while so (SOP 3.1)", first.message);
    if findings.len() > 1 {
        message.push_str(&format!(" (and {} more such entries: run cargo xtask check)", findings.len() - 1));
    }
    let location = first.location.as_deref().unwrap_or(&addon.spec);
    Err(Refusal::failed(message)
        .hint(format!(
            "a frozen spec's `Depends on` never changes (docs/guide.md, \"No moving targets (SOP 2.1)\"): at {location}, name a spec that exists here or write `none`, then run `cargo xtask spec {} {}` again; the specs:\ncargo xtask spec list",
            verb(to),
            addon.names.slug
        ))
        .into())
}

/// `spec list --json` (docs/json.md).
#[derive(Debug, serde::Serialize)]
struct ListReport<'a> {
    specs: Vec<ListedSpec<'a>>,
    problems: &'a [crate::addons::Problem],
}

impl output::Report for ListReport<'_> {
    const VERSION: u32 = 1;
}

/// One spec of `spec list --json`.
#[derive(Debug, serde::Serialize)]
struct ListedSpec<'a> {
    feature: &'a str,
    slug: &'a str,
    /// `None` when the Status line cannot be read (`status_error` says why).
    status: Option<Status>,
    status_line: Option<&'a str>,
    status_error: Option<&'a str>,
    frozen: bool,
    /// Whether a freeze record holds its hash.
    locked: bool,
    depends_on: &'a [String],
    spec: &'a str,
}

fn print_list(ctx: &Ctx, args: List) -> anyhow::Result<()> {
    let inventory = Inventory::load(ctx.root(), &ctx.config)?;
    let records = FreezeRecords::load(ctx.root(), &ctx.config)?;
    let locked = |addon: &Addon| records.get(addon.spec.rsplit('/').next().unwrap_or(&addon.spec)).is_some();
    if args.json.json {
        let specs = (inventory.addons.iter())
            .map(|addon| ListedSpec {
                feature: &addon.feature,
                slug: &addon.names.slug,
                status: addon.status,
                status_line: addon.header.get("Status"),
                status_error: addon.status_error.as_deref(),
                frozen: addon.is_frozen(),
                locked: locked(addon),
                depends_on: &addon.depends_on,
                spec: &addon.spec,
            })
            .collect();
        return output::json(&ListReport { specs, problems: &inventory.problems });
    }
    for problem in &inventory.problems {
        output::warning(format!("{}: {}", problem.path, problem.message));
    }
    if inventory.addons.is_empty() {
        outln!("no specs yet in {}; create one: cargo xtask new-addon <name>", ctx.config.docs.specs);
        return Ok(());
    }
    let mut rows = vec![vec!["FEATURE".into(), "STATUS".into(), "DEPENDS ON".into(), "SPEC".into()]];
    for addon in &inventory.addons {
        let status = match addon.status() {
            Ok(status) if status.is_frozen() => format!("{status} (frozen)"),
            Ok(status) => status.to_string(),
            Err(_) => "invalid".to_string(),
        };
        let depends = if addon.depends_on.is_empty() { "-".to_string() } else { addon.depends_on.join(", ") };
        rows.push(vec![addon.feature.clone(), status, depends, addon.spec.clone()]);
    }
    out!("{}", output::table(&rows));
    Ok(())
}
