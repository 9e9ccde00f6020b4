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
    /// Print what would change and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
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
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
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

fn change(ctx: &Ctx, args: Transition, to: Status, by: Option<String>) -> anyhow::Result<()> {
    let _lock = if args.dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    if !args.dry_run {
        // A spec edited in the middle of a merge, rebase or bisect would be swept into git's
        // resolution (or lost by its abort): finish the operation first.
        ctx.repo.ensure_no_operation_in_progress()?;
    }
    let root = ctx.root();
    let inventory = Inventory::load(root, &ctx.config)?;
    let addon = inventory.resolve(&args.name)?;
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

    let full = root.join(&addon.spec);
    let text = std::fs::read_to_string(&full)
        .map_err(|error| anyhow::anyhow!("failed to read `{}`: {error}", full.display()))?;
    let records = FreezeRecords::load(root, &ctx.config)?;
    let file_name = addon.spec.rsplit('/').next().unwrap_or(&addon.spec).to_string();
    let record_path = FreezeRecord::path(&ctx.config, &file_name);

    // A frozen spec changes only through here: refuse to carry hand edits into the new status.
    if from.is_frozen() {
        if let Some(bad) = records.bad.iter().find(|bad| bad.spec_file.as_deref() == Some(file_name.as_str())) {
            let location = match bad.problem.line {
                Some(line) => format!("{}:{line}", bad.path),
                None => bad.path.clone(),
            };
            return Err(Refusal::failed(format!(
                "the freeze record of spec `{}` cannot be read ({location}): {}",
                addon.feature, bad.problem.message
            ))
            .hint(restore_record_command(ctx, &bad.path)?)
            .into());
        }
        if let Some(recorded) = records.get(&file_name) {
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
    }
    if to == Status::Approved {
        ensure_contracts_defined(ctx, addon, &text)?;
    }
    let value = match &by {
        Some(by) => {
            let other = inventory.resolve(by)?;
            if other.feature == addon.feature {
                return Err(Refusal::usage(format!("spec `{}` cannot supersede itself", addon.feature))
                    .hint(format!(
                        "name the newer spec (`cargo xtask spec supersede {slug} --by <newer spec>`); the add-ons:\ncargo xtask spec list"
                    ))
                    .into());
            }
            let other_file = other.spec.rsplit('/').next().unwrap_or(&other.spec);
            format!("Superseded by [{}]({other_file})", other.feature)
        }
        None => to.as_str().to_string(),
    };
    let Some(new_text) = docs::set_status(&text, &value) else {
        return Err(Refusal::failed(format!("spec `{}` has no `**Status:**` line to change", addon.feature))
            .hint(format!("add `**Status:** {from}` to the header of {}", addon.spec))
            .into());
    };

    let mut plan = Plan::new(&format!("{COMMAND} {} {slug}", verb(to)));
    plan.edit(root, &addon.spec, |_| Ok(new_text.clone()))?;
    let hash = spec_hash(new_text.as_bytes())?;
    // Every frozen state keeps the record of the text it now has (so `complete` and `supersede`
    // rewrite it); a repository still on the old `spec.lock` gets records from here on.
    if to.is_frozen() {
        let rendered = FreezeRecord { hash: hash.clone() }.render(&file_name);
        if root.join(&record_path).symlink_metadata().is_ok() {
            plan.edit(root, &record_path, |_| Ok(rendered))?;
        } else {
            plan.create(&record_path, rendered);
        }
    }

    if args.dry_run {
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&summary(addon, from, to, &value, &hash, true))?);
        } else {
            outln!("dry run: `cargo xtask spec {} {slug}` would do the following; nothing is written\n", verb(to));
            out!("{}", plan.render());
        }
        return Ok(());
    }

    plan.apply(&ctx.repo).inspect_err(|error| {
        let receipt = Receipt::new(COMMAND, Kind::Failure, format!("spec {}: {from} → {to} failed", addon.feature))
            .addon(&addon.feature)
            .reason(format!("{error:#}"));
        let _ = receipts::append(&ctx.repo, receipt);
    })?;
    let receipt = Receipt::new(COMMAND, Kind::StateChange, format!("spec {}: {from} → {to}", addon.feature))
        .addon(&addon.feature)
        .detail(serde_json::json!({ "file": addon.spec, "from": from, "to": to, "status": value, "hash": hash, "frozen": to.is_frozen() }));
    receipts::append(&ctx.repo, receipt)?;

    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary(addon, from, to, &value, &hash, false))?);
        return Ok(());
    }
    output::status(past_tense(to), format!("spec `{}`: {from} → {value} ({})", addon.feature, addon.spec));
    if to.is_frozen() {
        output::status("Recorded", format!("its hash in {record_path}; from now on the spec is frozen"));
    }
    if let Some(lock_path) = &records.legacy {
        output::warning(format!(
            "`{lock_path}` is the old layout of the freeze records; `cargo xtask check` fails until it is migrated\n  hint: cargo xtask migrate --dry-run"
        ));
    }
    outln!();
    // Only the spec and its record: `commit -a` would leave a new record (or a spec the slice
    // has not committed yet) out, and `add -A` would sweep in unrelated work.
    // The add-on's own files that were never committed go in too, so the commit builds; `add -A`
    // would sweep in unrelated work. Root-relative pathspecs work from any folder.
    let mut paths = vec![addon.spec.clone()];
    if to.is_frozen() {
        paths.push(record_path.clone());
    }
    let names = &addon.names;
    let fragment = crate::changelog::fragment_path(slug);
    for path in
        [&names.blueprint, &names.runbook, &names.architecture, &names.module, &names.integration_test, &fragment]
    {
        if !paths.contains(path) && root.join(path).is_file() && ctx.repo.index_file(path)?.is_none() {
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
        Status::InProgress => {
            // A new slice starts from the base: it can build on this spec only once it is there.
            let base = ctx.repo.main_commit(&ctx.config.main_branch, &ctx.config.remote).ok();
            let landed = match base {
                Some(base) => ctx.repo.exists_at(base, &addon.spec)?,
                None => false,
            };
            if landed {
                outln!("the spec is now frozen: anything new goes into a new slice, such as:");
                outln!("next: {}", inventory.new_slice_command(addon));
            } else {
                outln!(
                    "the spec is now frozen: anything new goes into a new slice, once this branch has landed on `{}`: `{}`",
                    ctx.config.main_branch,
                    inventory.new_slice_command(addon)
                );
            }
        }
        _ => {}
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

fn summary(addon: &Addon, from: Status, to: Status, value: &str, hash: &str, dry_run: bool) -> serde_json::Value {
    serde_json::json!({
        "dry_run": dry_run,
        "feature": addon.feature,
        "spec": addon.spec,
        "from": from,
        "to": to,
        "status": value,
        "frozen": to.is_frozen(),
        "hash": hash,
    })
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

fn print_list(ctx: &Ctx, args: List) -> anyhow::Result<()> {
    let inventory = Inventory::load(ctx.root(), &ctx.config)?;
    let records = FreezeRecords::load(ctx.root(), &ctx.config)?;
    let locked = |addon: &Addon| records.get(addon.spec.rsplit('/').next().unwrap_or(&addon.spec)).is_some();
    if args.json {
        let specs: Vec<serde_json::Value> = inventory
            .addons
            .iter()
            .map(|addon| {
                serde_json::json!({
                    "feature": addon.feature,
                    "slug": addon.names.slug,
                    "status": addon.status,
                    "status_line": addon.header.get("Status"),
                    "status_error": addon.status_error,
                    "frozen": addon.is_frozen(),
                    "locked": locked(addon),
                    "depends_on": addon.depends_on,
                    "spec": addon.spec,
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "specs": specs, "problems": inventory.problems }))?
        );
        return Ok(());
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
