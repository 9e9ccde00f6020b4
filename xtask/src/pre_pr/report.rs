//! `pre-pr --json`: the typed reports of a run and of a dry run, printed with `output::json`
//! (their keys are documented in docs/json.md).

use super::{body, sync, verify, StepRecord};

/// `pre-pr --json`: every step, what each found, and the PR body written.
#[derive(Debug, serde::Serialize)]
pub(super) struct RunReport<'a> {
    pub ok: bool,
    /// Always `false` here (the dry run's report is [`DryRunReport`]).
    pub dry_run: bool,
    /// Whether onboarding verified this clone (SOP 8.2).
    pub ready: bool,
    pub branch: Option<&'a str>,
    pub tested_commit: Option<String>,
    pub steps: &'a [StepRecord],
    pub sync: Option<&'a sync::Synced>,
    pub verify: Option<&'a [verify::CommandResult]>,
    pub integration: Option<&'a [verify::CommandResult]>,
    pub tests: Option<verify::TestCounts>,
    pub compliance: Option<&'a crate::check::Report>,
    pub pr_body: Option<PrBody<'a>>,
    pub error: Option<String>,
}

impl crate::output::Report for RunReport<'_> {
    const VERSION: u32 = 1;
}

/// The PR body written: where, and what it says.
#[derive(Debug, serde::Serialize)]
pub(super) struct PrBody<'a> {
    pub path: &'a str,
    #[serde(flatten)]
    pub body: &'a body::Body,
}

/// `pre-pr --dry-run --json`: what was checked and predicted, and what the real run would run.
#[derive(Debug, serde::Serialize)]
pub(super) struct DryRunReport<'a> {
    pub ok: bool,
    /// Always `true` here.
    pub dry_run: bool,
    pub steps: &'a [StepRecord],
    pub verify_commands: &'a [String],
    pub error: Option<String>,
}

impl crate::output::Report for DryRunReport<'_> {
    const VERSION: u32 = 1;
}
