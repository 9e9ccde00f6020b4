//! `pre-pr`'s steps, one function each, in the order `run` calls them: preflight, autostash,
//! sync, verify and integration, compliance, the PR body, `--open` and the restore. Each runs
//! through the [`Pipeline`] (timed, printed, a receipt, skipped after a failure); its name is the
//! step's row in the summary and its fault-injection point (`pre-pr:<name>`, `test_hooks.rs`).

use std::path::Path;

use anyhow::Context as _;
use git2::Oid;

use super::preflight::Branch;
use super::sync::Synced;
use super::verify::Sequence;
use super::{body, interrupt, plural, preflight, print_findings, run_verify, sync, write_body};
use super::{Done, Options, Outcome, Pipeline};
use crate::check::Report;
use crate::error::Refusal;
use crate::receipts::Kind;

/// The branch as preflight found it (`None`: preflight failed).
pub(super) fn preflight(pipeline: &mut Pipeline<'_>, args: &Options, ready: bool) -> Option<Branch> {
    let ctx = pipeline.ctx;
    pipeline.step("preflight", "preflight: checking the branch", Kind::Job, || {
        let branch = preflight::check(ctx, args.autostash)?;
        let tree = match branch.changed.len() {
            0 => "clean tree".to_string(),
            n => format!("{n} uncommitted change{} to stash", if n == 1 { "" } else { "s" }),
        };
        let detail = format!("on `{}` at {}, {tree}", branch.name, crate::branch::short(&branch.head));
        let data = serde_json::json!({ "branch": branch.name, "head": branch.head.to_string(), "ready": ready });
        Ok(Done::passed(branch, detail, data))
    })
}

/// With `--autostash`, the stash of the uncommitted work: everything after it runs on the
/// committed work only. `None` when nothing was stashed.
pub(super) fn autostash(pipeline: &mut Pipeline<'_>, args: &Options, branch: Option<&Branch>) -> Option<Oid> {
    if !args.autostash {
        return None;
    }
    let ctx = pipeline.ctx;
    let branch = match branch {
        None => {
            pipeline.not_run("autostash");
            return None;
        }
        Some(_) if args.dry_run => {
            pipeline.skip("autostash", "dry run: nothing is stashed".into());
            return None;
        }
        Some(branch) => branch,
    };
    let stashed = pipeline
        .step("autostash", "autostash: stashing uncommitted work", Kind::StateChange, || {
            Ok(match sync::stash(ctx, &branch.name)? {
                Some(commit) => Done::passed(
                    Some(commit),
                    format!("stashed the uncommitted work as {}", crate::branch::short(&commit)),
                    serde_json::json!({ "stash": commit.to_string() }),
                ),
                None => Done {
                    value: None,
                    detail: String::new(),
                    data: serde_json::Value::Null,
                    outcome: Outcome::Skipped("nothing to stash: the tree is clean".into()),
                },
            })
        })
        .flatten();
    // A stash git made before it failed (or was killed) is the work's copy too.
    stashed.or(interrupt::git_turn().stash)
}

/// The sync with the main branch, unless `--no-sync` (or preflight failed).
pub(super) fn sync(
    pipeline: &mut Pipeline<'_>,
    args: &Options,
    branch: Option<&Branch>,
    stashed: Option<Oid>,
    rerun: &str,
) -> Option<Synced> {
    let (ctx, console) = (pipeline.ctx, pipeline.console);
    let (remote, main) = (ctx.config.remote.as_str(), ctx.config.main_branch.as_str());
    match branch {
        None => {
            pipeline.not_run("sync");
            None
        }
        Some(_) if args.no_sync => {
            pipeline.skip("sync", format!("--no-sync: not synced with `{remote}/{main}` (offline work)"));
            None
        }
        Some(branch) => pipeline.step("sync", &format!("sync: fetching `{remote}/{main}`"), Kind::StateChange, || {
            let synced = sync::run(ctx, console, &branch.name, branch.head, args.dry_run, stashed, rerun)?;
            let data = serde_json::to_value(&synced)?;
            Ok(Done::passed(synced.clone(), synced.outcome.clone(), data))
        }),
    }
}

/// A branch with no commits the main branch lacks has nothing to verify or propose: the run stops
/// here, after the sync (which may have fast-forwarded it to a new main, or found its commits
/// already merged) and before verify, with the commit to make. Uncommitted work is untouched: it
/// was refused by preflight or is in the autostash, which the restore step puts back.
pub(super) fn own_commits(
    pipeline: &mut Pipeline<'_>,
    branch: Option<&Branch>,
    synced: Option<&Synced>,
    stashed: Option<Oid>,
) {
    let ctx = pipeline.ctx;
    let Some(branch) = branch.filter(|_| pipeline.failure.is_none()) else { return };
    let (main, remote) = (&ctx.config.main_branch, &ctx.config.remote);
    let (head, base) = match synced {
        Some(synced) => (synced.after.parse().ok(), synced.upstream_commit.parse().ok()),
        None => (Some(branch.head), ctx.repo.main_commit(main, remote).ok()),
    };
    let (Some(head), Some(base)) = (head, base) else { return };
    if ctx.repo.ahead_behind(head, base).0 > 0 {
        return;
    }
    let name = &branch.name;
    let main_name = crate::git::hint::commit_name(&ctx.repo, &ctx.config, base);
    let uncommitted = stashed.is_some() || !branch.changed.is_empty() || crate::git::hint::has_untracked(&ctx.repo);
    let hint = if uncommitted {
        // An autostash took the untracked files too: `-a` alone would leave them out once restored.
        let commit = match stashed {
            Some(_) => format!(
                "git add -A && git commit -m {}",
                crate::git::hint::message(&ctx.config, &branch.kind, "describe the change")
            ),
            None => crate::git::hint::commit_all(&ctx.repo, &ctx.config, &branch.kind, "describe the change"),
        };
        format!("commit your work, then run pre-pr again:\n{commit}\ncargo xtask pre-pr")
    } else if synced.is_some() && ctx.repo.ahead_behind(branch.head, base).0 > 0 {
        // It had commits of its own before the sync, which found them in main: its pull request
        // was merged (rebased or squashed on the forge). Done; `prune` deletes it off the branch.
        let (switch, note) = crate::git::hint::switch_to_main(&ctx.repo, &ctx.config);
        format!(
            "its work is already in `{main_name}` (its pull request was merged): delete the branch{note}:\n{switch}\ncargo xtask prune --yes"
        )
    } else {
        "commit your change on it first, or switch to the branch that holds it:\ncargo xtask status --all".to_string()
    };
    let refusal =
        Refusal::failed(format!("`{name}` has no commits `{main_name}` lacks: there is nothing to verify or propose"))
            .hint(hint);
    pipeline.stop("the branch has no commits of its own".into(), refusal.into());
}

/// What the verify and integration steps established, for compliance and the PR body.
pub(super) struct Evidence {
    /// The commit verify ran on.
    pub tested_at: Option<Oid>,
    pub verify: Option<Sequence>,
    /// With `--scope`, the packages verify was narrowed to; `None` when it verified everything.
    pub scope: Option<Vec<String>>,
    pub integration: Option<Sequence>,
    /// Why the integration tests did not run, when they were not asked for.
    not_requested: String,
}

impl Evidence {
    /// The integration run, or why it is no evidence: a sequence that ran nothing (none
    /// configured) is no evidence of integration tests.
    pub fn integration(&self) -> Result<&Sequence, String> {
        match &self.integration {
            Some(sequence) if !sequence.results.is_empty() => Ok(sequence),
            Some(_) => Err("no `integration_verify` commands are configured".to_string()),
            None => Err(self.not_requested.clone()),
        }
    }
}

/// Verify, and the env-gated integration tests when asked for (`--integration` or the gate set).
pub(super) fn verify(pipeline: &mut Pipeline<'_>, args: &Options) -> Evidence {
    let (ctx, console) = (pipeline.ctx, pipeline.console);
    let tested_at = ctx.repo.head().ok().and_then(|head| head.commit());
    let (commands, scope) = scoped(ctx, console, args.scope);
    let rerun = super::rerun_command(args);
    let verify = pipeline.step("verify", "verify", Kind::Job, || {
        let mut done = run_verify(ctx, console, "verify", &commands, None, args.fresh, &rerun)?;
        if let Some(packages) = &scope {
            done.detail.push_str(&format!(", scoped to {} (--scope)", packages.join(", ")));
        }
        Ok(done)
    });
    let gate = ctx.config.integration_env.as_str();
    let gate_set = std::env::var(gate).is_ok_and(|value| !value.is_empty() && value != "0");
    let not_requested = format!("not requested (pass --integration or set {gate}=1)");
    let integration = if args.integration || gate_set {
        pipeline.step("integration", "integration", Kind::Job, || {
            run_verify(ctx, console, "integration", &ctx.config.integration_verify, Some(gate), args.fresh, &rerun)
        })
    } else {
        if pipeline.failure.is_some() {
            pipeline.not_run("integration");
        } else {
            pipeline.skip("integration", not_requested.clone());
        }
        None
    };
    Evidence { tested_at, verify, scope, integration, not_requested }
}

/// The verify commands, narrowed to the packages the branch touches with `--scope`, and those
/// packages when that narrowed a command (`None`: everything is verified).
fn scoped(
    ctx: &crate::ctx::Ctx,
    console: &super::progress::Console,
    scope: bool,
) -> (Vec<Vec<String>>, Option<Vec<String>>) {
    let all = ctx.config.verify.clone();
    if !scope {
        return (all, None);
    }
    match super::scope::packages(ctx) {
        Ok(packages) if !packages.is_empty() => {
            let names: Vec<String> = packages.iter().cloned().collect();
            console.text(&format!("scope: verifying the packages the branch touches: {}", names.join(", ")));
            let narrowed = super::scope::narrow(&all, &packages);
            // No command names `--workspace`: the scoped verify is the full one.
            let scope = (narrowed != all).then_some(names);
            (narrowed, scope)
        }
        Ok(_) => (all, None),
        Err(reason) => {
            console.warning(format!("--scope: verifying everything: {reason}"));
            (all, None)
        }
    }
}

/// `check`'s rules for the branch, the checklist's fed with what verify ran.
pub(super) fn compliance(pipeline: &mut Pipeline<'_>, evidence: &Evidence) -> Option<Report> {
    let (ctx, console) = (pipeline.ctx, pipeline.console);
    pipeline.step("compliance", "compliance: cargo xtask check", Kind::Job, || {
        // The checklist's rules see what verify ran, at the commit it ran on.
        let verify = evidence.verify.as_ref();
        let run = crate::check::checklist::TestRun {
            commit: verify.filter(|v| !v.results.is_empty()).and(evidence.tested_at),
            succeeded: verify.is_some(),
            passed: verify.and_then(|v| v.tests()).map(|t| t.passed),
            failed: verify.and_then(|v| v.tests()).map_or(0, |t| t.failed),
            passed_names: verify.map(|v| v.passed_names()).unwrap_or_default(),
            integration_ran: evidence.integration().is_ok(),
        };
        let report = crate::check::evaluate_for_pr(ctx, &run)?.redacted();
        print_findings(console, &report);
        let detail = format!("{}, {}", plural(report.errors(), "error"), plural(report.warnings(), "warning"));
        let data = serde_json::json!({ "errors": report.errors(), "warnings": report.warnings() });
        let outcome = if report.is_ok() {
            Outcome::Passed
        } else {
            Outcome::Failed(
                Refusal::failed(format!("the branch breaks {}", plural(report.errors(), "SOP rule")))
                    .hint("fix the findings listed above as each hint says; this shows them again:\ncargo xtask check")
                    .into(),
            )
        };
        Ok(Done { value: report, detail, data, outcome })
    })
}

/// The PR description, written to `body_path`: the body and the commit it describes.
pub(super) fn pr_body(
    pipeline: &mut Pipeline<'_>,
    branch: Option<&Branch>,
    synced: Option<&Synced>,
    evidence: &Evidence,
    compliance: Option<&Report>,
    body_path: &Path,
) -> Option<(body::Body, Oid)> {
    let ctx = pipeline.ctx;
    let (Some(branch), Some(verify)) = (branch, evidence.verify.as_ref()) else {
        pipeline.not_run("pr-body");
        return None;
    };
    pipeline.step("pr-body", "pr-body: writing the PR description", Kind::StateChange, || {
        let inputs = body::Inputs {
            branch,
            tested_commit: ctx.repo.head()?.commit().context("HEAD has no commit")?,
            synced,
            verify,
            scope: evidence.scope.as_deref(),
            integration: evidence.integration(),
            compliance,
        };
        write_body(ctx, &inputs, body_path)
    })
}

/// `--open`: hands the body to `gh`.
pub(super) fn open(pipeline: &mut Pipeline<'_>, args: &Options, written: Option<&(body::Body, Oid)>, body_path: &Path) {
    if !args.open {
        return;
    }
    let ctx = pipeline.ctx;
    let main = ctx.config.main_branch.as_str();
    match (written, super::find_program("gh")) {
        (None, _) => pipeline.not_run("open"),
        (Some(_), None) => {
            let relative = body::relative_path(ctx.root(), body_path);
            pipeline.skip("open", format!("`gh` is not installed: open the PR by hand and paste {relative}"))
        }
        (Some((body, _)), Some(_)) => {
            pipeline.step("open", "open: gh pr create", Kind::StateChange, || {
                super::open_with_gh(ctx, args.json, &body.title, body_path, main)?;
                Ok(Done::passed((), "opened the PR with `gh pr create`", serde_json::json!({ "title": body.title })))
            });
        }
    }
}

/// The restore of the autostash: runs whatever happened, so uncommitted work is never left in a
/// stash. The last step: after a signal, the handler (which restores the autostash itself when
/// this step did not) ends the process with 130.
pub(super) fn restore(pipeline: &mut Pipeline<'_>, stashed: Option<Oid>) {
    let (ctx, console) = (pipeline.ctx, pipeline.console);
    if let Some(commit) = stashed {
        pipeline.always("restore", "restore: putting back the uncommitted work", Kind::StateChange, || {
            let detail = sync::restore(ctx, console, commit)?;
            Ok(Done::passed((), detail, serde_json::json!({ "stash": commit.to_string() })))
        });
    }
    if interrupt::interrupted() {
        interrupt::wait_for_handler();
    }
}
