//! `cargo xtask templates [--check]`: lists the templates with their versions and origins, and
//! with `--check` renders each one for a sample add-on, failing on any error. CI runs the check.

use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::names::Names;
use crate::render::{addon_context, Dependency, Details, PrBody, Templates};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Render every template with a sample add-on and fail on any error
    #[arg(long)]
    pub check: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let templates = Templates::load(ctx.root())?;
    if !args.check {
        let mut rows = vec![vec!["TEMPLATE".into(), "VERSION".into(), "SOURCE".into()]];
        for loaded in templates.all() {
            rows.push(vec![loaded.kind.to_string(), format!("v{}", loaded.version), loaded.origin.clone()]);
        }
        out!("{}", crate::output::table(&rows));
        return Ok(());
    }
    let failures = check(&templates, &ctx.config);
    for loaded in templates.all() {
        match failures.iter().find(|(kind, _)| *kind == loaded.kind) {
            Some((_, error)) => outln!("FAIL  {} v{} ({}): {error:#}", loaded.kind, loaded.version, loaded.origin),
            None => outln!("ok    {} v{} ({})", loaded.kind, loaded.version, loaded.origin),
        }
    }
    if !failures.is_empty() {
        return Err(Refusal::failed(format!(
            "{} of {} templates failed to render",
            failures.len(),
            templates.all().len()
        ))
        .hint("fix the templates named above, then run: cargo xtask templates --check")
        .into());
    }
    outln!("{} templates rendered", templates.all().len());
    Ok(())
}

/// Renders every template for a sample add-on; returns the failures.
pub fn check(templates: &Templates, config: &Config) -> Vec<(&'static str, anyhow::Error)> {
    let names = match Names::derive("sample addon", "feat", config) {
        Ok(names) => names,
        Err(error) => return vec![("names", anyhow::anyhow!("cannot derive sample names: {error}"))],
    };
    let details = Details {
        summary: "A sample add-on used to check the templates.".into(),
        include: vec!["one included item".into()],
        exclude: vec!["one excluded item".into()],
        depends_on: vec![Dependency {
            feature: "HealthMonitor".into(),
            file: "Lancelot_vNext2_Spec_HealthMonitor.md".into(),
        }],
        date: crate::receipts::today(),
    };
    let mut failures = Vec::new();
    for loaded in templates.all() {
        // The PR body is not an add-on's document: it sees `pre-pr`'s results.
        let context = match loaded.kind {
            "pr_body" => PrBody::sample().context(loaded.version),
            _ => addon_context(&names, config, &details, loaded.version),
        };
        match templates.render(loaded.kind, &context) {
            Ok(text) if text.trim().is_empty() => failures.push((loaded.kind, anyhow::anyhow!("rendered nothing"))),
            Ok(_) => {}
            Err(error) => failures.push((loaded.kind, error)),
        }
    }
    failures
}
