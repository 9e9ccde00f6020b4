//! `cargo xtask branch <kind> <name>`: creates and checks out `<kind>/<slug>` from the main branch
//! (SOP 4.1), for work that is not a new add-on (`new-addon` makes its own branch).
//!
//! Names follow the same rules and exit codes as `new-addon` (`names.rs` decides). The branch is
//! created through `plan.rs`, so a killed run is rolled back like any other. It never touches a
//! dirty tree, an operation in progress or an existing branch. `hotfix` reuses [`create`].

use git2::Oid;

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::Head;
use crate::lock::RunLock;
use crate::names::{self, Names};
use crate::output;
use crate::plan::{BranchChange, Plan};
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The branch kind: one of the configured kinds (feat, fix, chore, docs, spec)
    pub kind: String,

    /// What the branch is for: `login timeout`, `login-timeout`, `LoginTimeout`… (a name
    /// starting with `-` is refused with the name without it, never read as an option)
    #[arg(allow_hyphen_values = true, required_unless_present = "slug")]
    pub name: Option<String>,

    /// Use this slug instead of the one derived from NAME (it must be canonical: what deriving
    /// from it gives back)
    #[arg(long, value_name = "SLUG")]
    pub slug: Option<String>,

    #[command(flatten)]
    pub dry_run: crate::output::DryRunArg,

    #[command(flatten)]
    pub json: crate::output::JsonArg,
}

const COMMAND: &str = "branch";

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let names = match &args.slug {
        Some(slug) => derive_slug(ctx, &args.kind, slug, &flags_again(args.dry_run.dry_run, args.json.json))?,
        None => derive(
            ctx,
            &args.kind,
            args.name.as_deref().unwrap_or_default(),
            COMMAND,
            &flags_again(args.dry_run.dry_run, args.json.json),
        )?,
    };
    let _lock = if args.dry_run.dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    preconditions(ctx, &names.branch, COMMAND)?;
    let (main, remote) = (&ctx.config.main_branch, &ctx.config.remote);
    // Cut from the team's newest main: fetched first when there is a remote. Offline, the last
    // fetch is used, and the warning says so.
    if !args.dry_run.dry_run && ctx.repo.remote_url(remote).is_some() {
        if let Err(error) = crate::git::sync::fetch(&ctx.sh, &ctx.repo, remote, main, false) {
            crate::output::warning(format!(
                "could not fetch `{remote}/{main}` ({}); branching from what was last fetched",
                error.to_string().lines().next().unwrap_or_default()
            ));
        }
    }
    let commit = ctx.repo.main_commit(main, remote)?;
    let from = if ctx.repo.remote_tracking_commit(remote, main) == Some(commit) {
        format!("{remote}/{main}")
    } else {
        main.clone()
    };
    let created = Creation { command: COMMAND, branch: names.branch.clone(), from, commit };
    create(ctx, &created, args.dry_run.dry_run, args.json.json)?;
    if !args.json.json && !args.dry_run.dry_run {
        outln!();
        outln!("commit your work on it (git add <your files> && git commit -m \"{}: …\"), then:", args.kind);
        outln!("next: cargo xtask pre-pr");
    }
    Ok(())
}

/// Derives the names for `<kind>/<name>`, refusing a bad kind or name (exit 2) like `new-addon`:
/// the hint names the rule's fix and ends with the command, with a fixed name that is accepted.
/// ` --dry-run`, ` --json`: what a refusal's fixed command repeats of the command line, so that
/// pasting it previews again rather than doing it for real.
pub fn flags_again(dry_run: bool, json: bool) -> String {
    [(dry_run, " --dry-run"), (json, " --json")].iter().filter(|(set, _)| *set).map(|(_, flag)| *flag).collect()
}

/// `flags` ([`flags_again`]) end every fixed command of its hints.
pub fn derive(ctx: &Ctx, kind: &str, name: &str, command: &str, flags: &str) -> anyhow::Result<Names> {
    let fixed_name = |slug: &str| {
        if command == "hotfix" {
            format!("cargo xtask hotfix {slug}{flags}")
        } else {
            format!("cargo xtask branch {kind} {slug}{flags}")
        }
    };
    names::check_kind(kind, &ctx.config).map_err(|error| {
        Refusal::usage(format!("invalid branch kind: {error}")).hint(format!(
            "use a configured kind ({}):\ncargo xtask {command} {}{flags}",
            ctx.config.branch_kinds.join(", "),
            yours(ctx, kind, name, command)
        ))
    })?;
    let names = Names::derive(name, kind, &ctx.config).map_err(|error| {
        let fixed = error.suggestion.clone().unwrap_or_else(|| names::EXAMPLE.to_string());
        let mut message = format!("invalid branch name{}: {error}", names::quoted_input(name));
        if error.rule == "no-leading-dash" {
            message.push_str(
                "; whatever follows `--` is read as the name, never as an option, but no name starts with `-`",
            );
        }
        Refusal::usage(message).hint(format!("{}:\n{}", error.advice(), fixed_name(&output::shell_word(&fixed))))
    })?;
    Ok(names)
}

/// The names for `<kind>/<slug>` from a `--slug` override, which must be a canonical slug.
fn derive_slug(ctx: &Ctx, kind: &str, slug: &str, flags: &str) -> anyhow::Result<Names> {
    names::check_kind(kind, &ctx.config).map_err(|error| {
        Refusal::usage(format!("invalid branch kind: {error}")).hint(format!(
            "use a configured kind ({}):\ncargo xtask branch {} --slug {}{flags}",
            ctx.config.branch_kinds.join(", "),
            output::shell_word(ctx.config.branch_kinds.first().map_or("feat", String::as_str)),
            output::shell_word(slug)
        ))
    })?;
    let words = names::parse_slug(slug).map_err(|error| {
        let fixed = error.suggestion.clone().unwrap_or_else(|| names::EXAMPLE.to_string());
        Refusal::usage(format!("invalid `--slug {}`: {error}", slug.escape_debug())).hint(format!(
            "{}:\ncargo xtask branch {} --slug {fixed}{flags}",
            error.advice(),
            output::shell_word(kind)
        ))
    })?;
    Ok(Names::from_words(&words, kind, &ctx.config))
}

/// The engineer's own name with a configured kind, for the hint of an unknown kind: `branch wip
/// login` → `feat login`; `hotfix` takes no kind.
fn yours(ctx: &Ctx, kind: &str, name: &str, command: &str) -> String {
    // A name that would be refused too is replaced by the fix its own rule suggests.
    let name = match names::Words::parse(name) {
        Ok(_) => crate::output::shell_word(name),
        Err(_) => names::suggest(name).unwrap_or_else(|| names::EXAMPLE.to_string()),
    };
    if command == "hotfix" {
        return name;
    }
    let kinds = &ctx.config.branch_kinds;
    let kind = kinds.iter().find(|k| k.starts_with(kind) || kind.starts_with(k.as_str())).or(kinds.first());
    format!("{} {name}", crate::output::shell_word(kind.map_or("feat", String::as_str)))
}

/// Everything that must hold before a branch is created; all read-only, so `--dry-run` checks
/// them too and never promises what the real run would refuse.
pub fn preconditions(ctx: &Ctx, branch: &str, command: &str) -> anyhow::Result<()> {
    let repo = &ctx.repo;
    // The lock first: it also blocks the commands that finish or abort an operation.
    repo.ensure_index_unlocked()?;
    crate::sync_cmd::ensure_no_operation_in_progress(ctx)?;
    // The hint runs this very command again, its name and flags included.
    let again = crate::lock::this_command();
    repo.ensure_clean(again.strip_prefix("cargo xtask ").unwrap_or(command))?;
    if let Some(existing) = repo.conflicting_ref(branch)? {
        let word = crate::output::shell_word(&existing);
        let hint = if existing == branch {
            crate::git::hint::existing_branch(repo, &existing)
        } else {
            format!(
                "move the branch `{existing}` out of the way (or pick another name):\ngit branch -m {word} {}",
                crate::output::shell_word(&existing.replace('/', "-"))
            )
        };
        return Err(Refusal::usage(format!("branch `{branch}` cannot be created: `{existing}` already exists"))
            .hint(hint)
            .into());
    }
    Ok(())
}

/// A branch to create: its name, what it starts from (for people) and the commit.
pub struct Creation {
    pub command: &'static str,
    pub branch: String,
    /// `main` or `origin/main`.
    pub from: String,
    pub commit: Oid,
}

/// `branch --json` and `hotfix --json` (docs/json.md); without `dry_run`, the receipt's detail.
#[derive(Debug, serde::Serialize)]
struct BranchReport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<bool>,
    branch: &'a str,
    from: &'a str,
    commit: String,
}

impl crate::output::Report for BranchReport<'_> {
    const VERSION: u32 = 1;
}

impl Creation {
    fn report(&self, dry_run: Option<bool>) -> BranchReport<'_> {
        BranchReport { dry_run, branch: &self.branch, from: &self.from, commit: self.commit.to_string() }
    }
}

/// Creates and checks out the branch (or, with `dry_run`, says what it would do), prints the
/// result and leaves a receipt.
pub fn create(ctx: &Ctx, creation: &Creation, dry_run: bool, json: bool) -> anyhow::Result<()> {
    let short = short(&creation.commit);
    if dry_run {
        if json {
            return crate::output::json(&creation.report(Some(true)));
        }
        outln!(
            "dry run: would create and check out `{}` from `{}` ({short}); nothing is written",
            creation.branch,
            creation.from
        );
        return Ok(());
    }
    let head = ctx.repo.head()?;
    let mut plan = Plan::new(&format!("{} {}", creation.command, creation.branch));
    plan.branch = Some(BranchChange {
        name: creation.branch.clone(),
        commit: creation.commit.to_string(),
        previous_head: match &head {
            Head::Branch { name, .. } | Head::Unborn { name } => format!("refs/heads/{name}"),
            Head::Detached { commit } => commit.to_string(),
        },
        previous_commit: head.commit().map(|c| c.to_string()),
    });
    plan.apply(&ctx.repo).inspect_err(|error| {
        let receipt = Receipt::new(creation.command, Kind::Failure, format!("creating `{}` failed", creation.branch))
            .reason(format!("{error:#}"));
        let _ = receipts::append(&ctx.repo, receipt);
    })?;
    let receipt = Receipt::new(
        creation.command,
        Kind::StateChange,
        format!("created and checked out `{}` from `{}`", creation.branch, creation.from),
    )
    .detail(serde_json::to_value(creation.report(None))?);
    receipts::append(&ctx.repo, receipt)?;
    if json {
        crate::output::json(&creation.report(Some(false)))?;
    } else {
        output::status("Branched", format!("`{}` from `{}` ({short})", creation.branch, creation.from));
    }
    Ok(())
}

pub fn short(commit: &Oid) -> String {
    let text = commit.to_string();
    text[..text.len().min(10)].to_string()
}
