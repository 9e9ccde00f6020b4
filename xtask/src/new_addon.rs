//! `cargo xtask new-addon <NAME>`: every scaffolding step of a new upgrade slice in one command
//! (SOP 3): branch, spec, blueprint, runbook, architecture note, feature flag in the registry and
//! `.env.example`, the owning module wired into `src/core`, its unit and env-gated integration
//! tests, and the CHANGELOG entry.
//!
//! It validates everything and renders everything in memory first; only then does `plan.rs`
//! write, all or nothing. It never overwrites a file and never touches a dirty tree.

use anyhow::Context as _;

use crate::ctx::Ctx;
use crate::docs::Header;
use crate::error::Refusal;
use crate::git::Head;
use crate::layout;
use crate::lock::RunLock;
use crate::names::{self, Names};
use crate::output;
use crate::plan::{BranchChange, Plan};
use crate::receipts::{self, Kind, Receipt};
use crate::render::{addon_context, Dependency, Details, Templates};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The add-on's name: `scheduler`, `"health monitor"`, `health-monitor`, `HealthMonitor`…
    pub name: String,

    /// An existing spec this slice builds on, by name or file name (repeatable)
    #[arg(long = "depends-on", value_name = "SPEC")]
    pub depends_on: Vec<String>,

    /// Branch kind: the branch is `<kind>/<slug>`
    #[arg(long, default_value = "feat")]
    pub kind: String,

    /// One-line summary for the spec and the CHANGELOG
    #[arg(long)]
    pub summary: Option<String>,

    /// An item the slice includes (repeatable)
    #[arg(long = "include", value_name = "ITEM")]
    pub include: Vec<String>,

    /// An item the slice excludes (repeatable)
    #[arg(long = "exclude", value_name = "ITEM")]
    pub exclude: Vec<String>,

    /// Stay on the current branch instead of creating `<kind>/<slug>`
    #[arg(long)]
    pub no_branch: bool,

    /// Print the whole plan (branch, every file and its content, every edit) and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Never prompt; use the flags and defaults
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print what was done (or planned) as JSON
    #[arg(long)]
    pub json: bool,
}

const COMMAND: &str = "new-addon";

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let config = &ctx.config;
    names::check_kind(&args.kind, config).map_err(|error| {
        Refusal::usage(format!("invalid branch kind: {error}"))
            .hint(format!("cargo xtask new-addon {} --kind feat", shell_word(&args.name)))
    })?;
    let names = Names::derive(&args.name, &args.kind, config).map_err(|error| {
        Refusal::usage(format!("invalid add-on name `{}`: {error}", args.name.escape_debug())).hint(format!(
            "use letters, digits, spaces, `-` or `_`, starting with a letter: cargo xtask new-addon {}",
            names::EXAMPLE
        ))
    })?;
    for text in args.include.iter().chain(&args.exclude).chain(&args.summary) {
        if text.contains(['\n', '\r']) || text.chars().any(char::is_control) {
            return Err(Refusal::usage(
                "`--summary`, `--include` and `--exclude` take one line each, without control characters",
            )
            .hint("pass one item per flag: --include \"first item\" --include \"second item\"")
            .into());
        }
    }

    // Writers take the clone's lock (`Ctx::new` has already rolled back an interrupted run).
    let _lock = if args.dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };

    let head = preconditions(ctx, &names, &args)?;
    let depends_on = resolve_dependencies(ctx, &names, &args.depends_on)?;
    let details = ask_details(ctx, &args, depends_on)?;
    let templates = Templates::load(ctx.root())?;
    let mut plan = build_plan(ctx, &names, &details, &templates)?;
    if !args.no_branch {
        let main_commit = ctx.repo.main_commit(&config.main_branch, &config.remote)?;
        plan.branch = Some(BranchChange {
            name: names.branch.clone(),
            commit: main_commit.to_string(),
            previous_head: match &head {
                Head::Branch { name, .. } | Head::Unborn { name } => format!("refs/heads/{name}"),
                Head::Detached { commit } => commit.to_string(),
            },
            previous_commit: head.commit().map(|c| c.to_string()),
        });
    }

    if args.dry_run {
        return print_dry_run(&names, &plan, args.json);
    }

    plan.apply(&ctx.repo).inspect_err(|error| {
        let receipt = Receipt::new(COMMAND, Kind::Failure, format!("new-addon {} failed", names.slug))
            .addon(&names.feature)
            .reason(format!("{error:#}"));
        let _ = receipts::append(&ctx.repo, receipt);
    })?;
    let files: Vec<&str> = plan.changes.iter().map(|c| c.path()).collect();
    let receipt = Receipt::new(COMMAND, Kind::StateChange, format!("scaffolded add-on {}", names.feature))
        .addon(&names.feature)
        .detail(
            serde_json::json!({ "branch": plan.branch.as_ref().map(|b| &b.name), "flag": names.flag, "files": files }),
        );
    receipts::append(&ctx.repo, receipt).context("the add-on was created, but its receipt could not be written")?;
    print_done(ctx, &names, &plan, args.json)
}

/// Everything that must hold before anything is written. Returns HEAD as it was.
fn preconditions(ctx: &Ctx, names: &Names, args: &Args) -> anyhow::Result<Head> {
    let repo = &ctx.repo;
    let root = ctx.root();
    // The lock first: it also blocks the commands that finish or abort an operation.
    repo.ensure_index_unlocked()?;
    repo.ensure_no_operation_in_progress()?;
    let head = repo.head()?;
    if !args.dry_run {
        repo.ensure_clean(&format!("new-addon {}", names.slug))?;
    }

    let spec_path = root.join(&names.spec);
    if spec_path.exists() {
        let text = std::fs::read_to_string(&spec_path).with_context(|| format!("failed to read `{}`", names.spec))?;
        let status = Header::parse(&text).status().ok();
        let next = format!("{}-2", names.slug);
        return Err(match status {
            Some(status) if status.is_frozen() => Refusal::usage(format!(
                "spec `{}` already exists and is {status}, so it is frozen (SOP 2.1)",
                names.feature
            ))
            .hint(format!("start a new slice that builds on it: cargo xtask new-addon {next} --depends-on {}", names.feature)),
            _ => Refusal::usage(format!("add-on `{}` already exists: `{}`", names.feature, names.spec)).hint(format!(
                "edit the existing spec while it is Draft, or start a new slice: cargo xtask new-addon {next} --depends-on {}",
                names.feature
            )),
        }
        .into());
    }
    for (path, what) in [
        (&names.blueprint, "blueprint"),
        (&names.runbook, "runbook"),
        (&names.architecture, "architecture note"),
        (&names.module, "module"),
        (&names.module_dir, "module folder"),
        (&names.integration_test, "integration test"),
    ] {
        if root.join(path).symlink_metadata().is_ok() {
            return Err(Refusal::usage(format!(
                "the {what} `{path}` already exists, but the spec `{}` does not",
                names.spec
            ))
            .hint(format!("move it away or pick another name: git mv {path} <elsewhere>"))
            .into());
        }
    }
    for (file, needle) in [
        (layout::FLAG_REGISTRY.to_string(), format!("\"{}\"", names.flag)),
        (layout::ENV_EXAMPLE.to_string(), format!("{}=", names.flag)),
    ] {
        if let Ok(text) = std::fs::read_to_string(root.join(&file)) {
            if let Some(line) =
                text.lines().position(|line| line.contains(&needle) && !line.trim_start().starts_with("//"))
            {
                return Err(Refusal::usage(format!(
                    "the flag `{}` is already declared at `{file}:{}`",
                    names.flag,
                    line + 1
                ))
                .hint("pick another name, or remove the orphan flag first (cargo xtask check lists orphans)")
                .into());
            }
        }
    }
    if !args.no_branch {
        if let Some(existing) = repo.conflicting_ref(&names.branch)? {
            let hint = if existing == names.branch {
                format!("switch to it (git switch {existing}) or delete it (git branch -D {existing})")
            } else {
                format!("rename or delete the branch `{existing}` (git branch -m {existing} <new-name>), or pick another name")
            };
            return Err(Refusal::usage(format!(
                "branch `{}` cannot be created: `{existing}` already exists",
                names.branch
            ))
            .hint(hint)
            .into());
        }
    }
    Ok(head)
}

/// Resolves `--depends-on` values (names or spec file names) to existing specs.
fn resolve_dependencies(ctx: &Ctx, names: &Names, values: &[String]) -> anyhow::Result<Vec<Dependency>> {
    let mut out: Vec<Dependency> = Vec::new();
    for value in values {
        let file_name = value.rsplit(['/', '\\']).next().unwrap_or(value);
        let feature = match names::feature_of_spec_file(file_name) {
            Some(feature) => feature.to_string(),
            None => match Names::derive(value, "feat", &ctx.config) {
                Ok(derived) => derived.feature,
                Err(error) => {
                    return Err(Refusal::usage(format!("`--depends-on {value}` is not a spec name: {error}"))
                        .hint("name an existing spec: --depends-on HealthMonitor (list them: ls docs/specs)")
                        .into())
                }
            },
        };
        let file = names::doc_file_name(&ctx.config, "Spec", &feature);
        let path = format!("{}/{file}", ctx.config.docs.specs);
        if feature == names.feature {
            return Err(Refusal::usage(format!("`{}` cannot depend on itself", names.feature))
                .hint(format!("drop `--depends-on {value}`"))
                .into());
        }
        if !ctx.root().join(&path).is_file() {
            return Err(Refusal::usage(format!("`--depends-on {value}`: there is no spec `{path}`"))
                .hint(format!("name an existing spec (list them: ls {})", ctx.config.docs.specs))
                .into());
        }
        if !out.iter().any(|dep| dep.feature == feature) {
            out.push(Dependency { feature, file });
        }
    }
    Ok(out)
}

/// Fills in what flags did not say: prompts on a terminal, defaults otherwise.
fn ask_details(ctx: &Ctx, args: &Args, mut depends_on: Vec<Dependency>) -> anyhow::Result<Details> {
    let mut details = Details {
        summary: args.summary.clone().unwrap_or_default(),
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        depends_on: Vec::new(),
        date: receipts::today(),
    };
    if ctx.interactive && !args.dry_run {
        let prompt_error = |e: dialoguer::Error| anyhow::anyhow!("prompt failed: {e}");
        if args.summary.is_none() {
            details.summary = dialoguer::Input::<String>::new()
                .with_prompt("One-line summary (empty to fill in later)")
                .allow_empty(true)
                .interact_text()
                .map_err(prompt_error)?;
        }
        let split = |text: String| -> Vec<String> {
            text.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
        };
        if args.include.is_empty() {
            let text = dialoguer::Input::<String>::new()
                .with_prompt("In scope (items separated by `;`, empty to fill in later)")
                .allow_empty(true)
                .interact_text()
                .map_err(prompt_error)?;
            details.include = split(text);
        }
        if args.exclude.is_empty() {
            let text = dialoguer::Input::<String>::new()
                .with_prompt("Out of scope (items separated by `;`, empty to fill in later)")
                .allow_empty(true)
                .interact_text()
                .map_err(prompt_error)?;
            details.exclude = split(text);
        }
        if args.depends_on.is_empty() {
            let specs = existing_specs(ctx);
            if !specs.is_empty() {
                let chosen = dialoguer::MultiSelect::new()
                    .with_prompt("Depends on (space to select, enter to confirm)")
                    .items(&specs)
                    .interact()
                    .map_err(prompt_error)?;
                depends_on = chosen
                    .into_iter()
                    .map(|index| Dependency {
                        feature: specs[index].clone(),
                        file: names::doc_file_name(&ctx.config, "Spec", &specs[index]),
                    })
                    .collect();
            }
        }
    }
    details.depends_on = depends_on;
    Ok(details)
}

fn existing_specs(ctx: &Ctx) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(ctx.root().join(&ctx.config.docs.specs)) else { return Vec::new() };
    let mut specs: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| names::feature_of_spec_file(&name).map(str::to_string))
        .collect();
    specs.sort();
    specs
}

/// Renders every file and edit in memory.
fn build_plan(ctx: &Ctx, names: &Names, details: &Details, templates: &Templates) -> anyhow::Result<Plan> {
    let root = ctx.root();
    let config = &ctx.config;
    let mut plan = Plan::new(&format!("{COMMAND} {}", names.slug));
    let render =
        |kind: &str| templates.render(kind, &addon_context(names, config, details, templates.get(kind).version));
    for (kind, path) in names.documents() {
        plan.create(path, render(kind)?);
    }
    plan.create(&names.module, render("module")?);
    plan.create(&names.integration_test, render("integration_test")?);

    let markers = |begin: &'static str, end: &'static str, line: String| {
        move |text: &str| crate::edits::insert_between_markers(text, begin, end, &line)
    };
    plan.edit(
        root,
        layout::FLAG_REGISTRY,
        markers(layout::FLAGS_BEGIN, layout::FLAGS_END, layout::registry_line(&names.flag, &names.snake)),
    )?;
    let modules = layout::modules_file(config);
    let module_line = layout::module_line(&names.snake);
    let addon_line = layout::addon_line(&names.snake, &names.feature);
    plan.edit(root, &modules, move |text| {
        let text =
            crate::edits::insert_between_markers(text, layout::MODULES_BEGIN, layout::MODULES_END, &module_line)?;
        crate::edits::insert_between_markers(&text, layout::ADDONS_BEGIN, layout::ADDONS_END, &addon_line)
    })?;
    plan.edit(
        root,
        layout::TESTS_MAIN,
        markers(layout::TESTS_BEGIN, layout::TESTS_END, layout::test_module_line(&names.snake)),
    )?;
    plan.edit(root, layout::ENV_EXAMPLE, markers(layout::ENV_BEGIN, layout::ENV_END, layout::env_line(&names.flag)))?;
    let entry = render("changelog_entry")?;
    plan.create(crate::changelog::fragment_path(&names.slug), crate::changelog::render_fragment("Added", &entry));
    Ok(plan)
}

fn print_dry_run(names: &Names, plan: &Plan, json: bool) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "dry_run": true, "names": names, "plan": plan }))?
        );
        return Ok(());
    }
    println!("dry run: `cargo xtask new-addon {}` would do the following; nothing is written\n", names.slug);
    print_names(names);
    println!();
    print!("{}", plan.render());
    println!("\nrun it without --dry-run to apply");
    Ok(())
}

fn print_names(names: &Names) {
    let rows = vec![
        vec!["feature".to_string(), names.feature.clone()],
        vec!["slug".to_string(), names.slug.clone()],
        vec!["flag".to_string(), names.flag.clone()],
        vec!["branch".to_string(), names.branch.clone()],
        vec!["module".to_string(), names.module.clone()],
    ];
    print!("{}", output::table(&rows));
}

fn print_done(ctx: &Ctx, names: &Names, plan: &Plan, json: bool) -> anyhow::Result<()> {
    if json {
        let files: Vec<&str> = plan.changes.iter().map(|c| c.path()).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "dry_run": false, "names": names, "branch": plan.branch.as_ref().map(|b| &b.name), "files": files })
            )?
        );
        return Ok(());
    }
    if let Some(branch) = &plan.branch {
        output::status("Branched", format!("`{}` from `{}`", branch.name, ctx.config.main_branch));
    }
    for change in &plan.changes {
        match change {
            crate::plan::Change::Create { path, .. } => output::status("Created", path),
            crate::plan::Change::Edit { path, .. } => output::status("Edited", path),
            crate::plan::Change::Delete { path, .. } => output::status("Removed", path),
        }
    }
    println!();
    println!("next steps:");
    println!("  1. define Scope and Contracts in {} (replace every {})", names.spec, crate::docs::PLACEHOLDER);
    println!("  2. cargo xtask spec approve {}", names.slug);
    println!("  3. build it in {}; try it: {}=true cargo run -- status", names.module, names.flag);
    println!(
        "  4. commit (git add -A && git commit -m \"feat: add {} skeleton\") and run cargo xtask pre-pr",
        names.slug
    );
    Ok(())
}

/// Quotes a word for a hint when it has spaces.
fn shell_word(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        text.to_string()
    } else {
        format!("\"{}\"", text.escape_debug())
    }
}
