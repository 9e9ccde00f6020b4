//! Branch rules (SOP 4.1, 4.4), run on any branch but the main one: the name follows the policy,
//! one branch is one slice (at most one new spec/blueprint pair), the branch adds its CHANGELOG
//! fragment (`docs/changelog.d/<slug>.md`) and leaves CHANGELOG.md's Unreleased section alone,
//! and a branch that adds an add-on carries its PR checklist: unit tests, env-gated integration
//! tests, receipts emitted by the module, and a runbook. One rule here runs on every branch,
//! `main` included: [`fragments`], every CHANGELOG fragment parses.
//!
//! Everything is read from the branch's diff and the index (what the branch would push), never by
//! walking the working tree.

use crate::addons::Addon;
use crate::changelog;
use crate::git::history::ChangeKind;
use crate::layout;
use crate::names;

use super::{at, Facts, Finding};

pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let config = &facts.ctx.config;
    match &facts.branch.name {
        // Forced onto the main branch (`--branch-rules`), the other rules still apply.
        Some(name) if *name == config.main_branch => {}
        Some(name) => {
            if let Err(error) = names::parse_branch(name, config) {
                findings.push(Finding::error(
                    "sop-4.1/branch-name",
                    None,
                    format!("branch `{name}` does not follow the policy ({}): {}", error.rule, error.detail),
                    format!(
                        "rename it (kinds: {}): git branch -m {}",
                        config.branch_kinds.join(", "),
                        crate::output::shell_word(&names::suggest_branch(name, config))
                    ),
                ));
            }
        }
        None => findings.push(Finding::warning(
            "sop-4.1/branch-name",
            None,
            "HEAD is detached, so the branch name was not checked".into(),
            match facts.branch.head {
                // A branch at HEAD keeps its commits, whichever they are; the name is a real one.
                Some(head) => format!(
                    "put the work on a branch: git switch -c {}",
                    crate::git::hint::branch_for(&facts.ctx.repo, config, head)
                ),
                None => "check out your branch (this lists them): git branch --list".into(),
            },
        )),
    }
    if facts.branch.changes.is_empty() {
        return Ok(());
    }
    one_slice(facts, findings);
    changelog_rule(facts, findings)?;
    addon_checklist(facts, findings)?;
    Ok(())
}

/// The add-on documents the branch adds, by kind (`Spec`, `Blueprint`).
fn added_documents<'a>(facts: &'a Facts<'_>, dir: &str, what: &str) -> Vec<&'a str> {
    let marker = format!("_{what}_");
    facts
        .branch
        .changes
        .iter()
        .filter(|change| change.kind == ChangeKind::Added)
        .map(|change| change.path.as_str())
        .filter(|path| {
            let (parent, file) = path.rsplit_once('/').unwrap_or(("", path));
            parent == dir.trim_end_matches('/') && file.ends_with(".md") && file.contains(&marker)
        })
        .collect()
}

fn one_slice(facts: &Facts<'_>, findings: &mut Vec<Finding>) {
    let docs = &facts.ctx.config.docs;
    for (dir, what) in [(&docs.specs, "Spec"), (&docs.blueprints, "Blueprint")] {
        let added = added_documents(facts, dir, what);
        if added.len() <= 1 {
            continue;
        }
        for extra in &added[1..] {
            findings.push(Finding::error(
                "sop-4.1/one-slice",
                at(extra, None),
                format!(
                    "this branch adds {} {}s (`{}` and more); one branch is one slice",
                    added.len(),
                    what.to_lowercase(),
                    added[0]
                ),
                format!(
                    "move `{extra}` and its documents to their own branch (git rm --cached {extra} here; cargo xtask new-addon <name> from {})",
                    facts.ctx.config.main_branch
                ),
            ));
        }
    }
}

/// The branch's slug for hints: `scheduler` on `feat/scheduler`.
fn branch_slug(facts: &Facts<'_>) -> String {
    let Some(name) = &facts.branch.name else { return "<slug>".into() };
    match names::parse_branch(name, &facts.ctx.config) {
        Ok((_, words)) => words.slug(),
        Err(_) => {
            let suggested = names::suggest_branch(name, &facts.ctx.config);
            suggested.split_once('/').map_or(suggested.clone(), |(_, slug)| slug.to_string())
        }
    }
}

/// The section a branch's first entry most likely belongs to, from its kind.
fn likely_section(facts: &Facts<'_>) -> &'static str {
    match facts.branch.name.as_deref().and_then(|name| name.split_once('/')).map(|(kind, _)| kind) {
        Some("feat") => "Added",
        Some("fix") => "Fixed",
        _ => "Changed",
    }
}

/// SOP 4.4 "CHANGELOG updated", with fragments: the branch adds or changes a fragment in
/// `docs/changelog.d/` (or is a release), and never adds entries to the Unreleased section of
/// CHANGELOG.md itself (every branch appending there conflicts with every other branch).
/// Whether the fragment parses is [`fragments`]'s finding.
fn changelog_rule(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let path = layout::CHANGELOG;
    let main = &facts.ctx.config.main_branch;
    let fragment = changelog::fragment_path(&branch_slug(facts));
    // Root-relative paths: the hint works from any folder of the clone. A folder a sparse
    // checkout leaves out is staged with `--sparse` (git refuses the path otherwise).
    let outside = crate::git::sparse::leaves_files_out() && !facts.ctx.root().join(changelog::FRAGMENTS_DIR).is_dir();
    let write_hint = format!(
        "mkdir -p {} && printf '<!-- section: {} -->\\n- Describe the change\\n' > {} && git add {}{}",
        crate::git::hint::root_path(changelog::FRAGMENTS_DIR),
        likely_section(facts),
        crate::git::hint::root_path(&fragment),
        if outside { "--sparse " } else { "" },
        crate::git::hint::pathspec(&fragment)
    );
    let changed = facts.branch.changes.iter().find(|change| change.path == path && change.kind != ChangeKind::Deleted);
    let (before, after) = match changed {
        Some(_) => (facts.version_at(facts.branch.base, path)?, facts.new_version(path)?),
        None => (None, None),
    };
    let release = after.as_deref().and_then(|after| changelog::added_release(before.as_deref(), after));
    if let (Some(after), None) = (&after, &release) {
        let old: Vec<String> = before
            .as_deref()
            .map(changelog::unreleased_entries)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        if let Some((line, text)) =
            changelog::unreleased_entries(after).into_iter().find(|(_, text)| !old.contains(text))
        {
            findings.push(Finding::error(
                "sop-4.4/changelog",
                at(path, Some(line)),
                format!(
                    "this branch adds `{text}` to the Unreleased section of {path}; entries go in a fragment, one file per branch, so branches never conflict"
                ),
                format!(
                    "move the entry to {fragment} (format: {}) and restore the file:\ngit checkout {} -- {}",
                    changelog::README,
                    facts.branch.main.map_or_else(
                        || crate::output::shell_word(main),
                        |base| crate::git::hint::commit_name(&facts.ctx.repo, &facts.ctx.config, base)
                    ),
                    crate::git::hint::pathspec(path)
                ),
            ));
        }
    }
    let adds_fragment = facts
        .branch
        .changes
        .iter()
        .any(|change| change.kind != ChangeKind::Deleted && changelog::is_fragment_path(&change.path));
    if !adds_fragment && release.is_none() {
        findings.push(Finding::error(
            "sop-4.4/changelog",
            at(&fragment, None),
            format!("this branch adds no CHANGELOG fragment in {}/", changelog::FRAGMENTS_DIR),
            write_hint,
        ));
    }
    Ok(())
}

/// Every file of `docs/changelog.d/` the branch would push is a valid fragment (any branch,
/// `main` included: a broken fragment breaks the next release).
pub(super) fn fragments(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let prefix = format!("{}/", changelog::FRAGMENTS_DIR);
    for entry in facts.tracked_under(&prefix)?.filter(|entry| entry.stage == 0) {
        let (path, blob) = (&entry.path, entry.blob);
        // A function of the fragment's text and name: from the cache by blob id.
        let problem: Option<(Option<usize>, (String, String))> =
            facts.ctx.cache.memo("changelog-fragment", &format!("{blob} {path}"), || {
                let Some(text) = facts.new_version(path)? else { return Ok(None) };
                Ok(changelog::examine(path, &text).err().map(|problem| (problem.line, (problem.message, problem.hint))))
            })?;
        if let Some((line, (message, hint))) = problem {
            findings.push(Finding::error("sop-4.4/changelog-fragment", at(path, line), message, hint));
        }
    }
    Ok(())
}

/// The add-on whose spec this branch adds, if any: its PR checklist applies (SOP 4.4).
fn branch_addon<'a>(facts: &'a Facts<'_>) -> Option<&'a Addon> {
    let spec = added_documents(facts, &facts.ctx.config.docs.specs, "Spec").into_iter().next()?;
    facts.inventory.addons.iter().find(|addon| addon.spec == spec)
}

/// Code lines (not comments), up to the unit-test module.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim_start).filter(|line| !line.starts_with("//"))
}

/// SOP 4.4's checklist for a branch that adds an add-on: each rule below, by name.
fn addon_checklist(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let Some(addon) = branch_addon(facts) else { return Ok(()) };
    // The repository rules already report a missing module.
    let Some((module_path, module_text)) = module_sources(facts, addon)? else { return Ok(()) };
    unit_tests_rule(addon, &module_path, &module_text, findings);
    receipts_rule(addon, &module_path, &module_text, findings);
    integration_test_rule(facts, addon, findings)?;
    runbook_rule(facts, addon, findings)?;
    Ok(())
}

/// The module's sources as the branch has them, with the path to name: the file, or every file
/// of the folder; `None` when there are none.
fn module_sources(facts: &Facts<'_>, addon: &Addon) -> anyhow::Result<Option<(String, String)>> {
    let names = &addon.names;
    if let Some(text) = facts.new_version(&names.module)? {
        return Ok((!text.is_empty()).then(|| (names.module.clone(), text)));
    }
    let prefix = format!("{}/", names.module_dir);
    let mut module_text = String::new();
    for entry in facts.tracked_under(&prefix)?.filter(|entry| entry.stage == 0 && entry.path.ends_with(".rs")) {
        if let Some(text) = facts.new_version(&entry.path)? {
            module_text.push_str(&text);
            module_text.push('\n');
        }
    }
    Ok((!module_text.is_empty()).then(|| (names.module_dir.clone(), module_text)))
}

/// "Unit tests added": the module has `#[test]` functions.
fn unit_tests_rule(addon: &Addon, module_path: &str, module_text: &str, findings: &mut Vec<Finding>) {
    if !module_text.contains("#[test]") {
        findings.push(Finding::error(
            "sop-4.4/unit-tests",
            at(module_path, None),
            format!("add-on `{}` has no unit tests in its module", addon.feature),
            format!("add a `#[cfg(test)] mod tests` with `#[test]` functions to {module_path} (deterministic, no network, injected clock)"),
        ));
    }
}

/// "Receipts emitted": the module's production code records a receipt.
fn receipts_rule(addon: &Addon, module_path: &str, module_text: &str, findings: &mut Vec<Finding>) {
    let production = module_text.split("#[cfg(test)]").next().unwrap_or_default();
    if !code_lines(production).any(|line| line.contains("ReceiptKind::") && !line.starts_with("use ")) {
        findings.push(Finding::error(
            "sop-4.4/receipts",
            at(module_path, None),
            format!(
                "add-on `{}`'s module emits no receipts (SOP 6.2: state changes, jobs, failures, skipped actions)",
                addon.feature
            ),
            format!(
                "record them through the host: host.record(ReceiptKind::StateChange, NAME, \"…\") in {module_path}"
            ),
        ));
    }
}

/// "Integration tests added (env-gated)": the add-on's integration test exists and is gated.
fn integration_test_rule(facts: &Facts<'_>, addon: &Addon, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let integration_env = &facts.ctx.config.integration_env;
    let path = &addon.names.integration_test;
    match facts.new_version(path)? {
        None => findings.push(Finding::error(
            "sop-4.4/integration-tests",
            at(path, None),
            format!("add-on `{}` has no integration test `{path}`", addon.feature),
            format!("add it from templates/integration_test.rs.tera, gated by {integration_env}=1, and commit it"),
        )),
        Some(text) if !text.contains(integration_env.as_str()) => findings.push(Finding::error(
            "sop-4.4/integration-tests",
            at(path, None),
            format!("the integration test of `{}` is not env-gated by `{integration_env}`", addon.feature),
            format!("mark each test `#[ignore = \"integration: set {integration_env}=1\"]` (SOP 5.2: real services, env-gated)"),
        )),
        Some(_) => {}
    }
    Ok(())
}

/// "Runbook added/updated": a runbook missing from the working tree is the repository rules'
/// finding; here it is one that exists but is not part of the branch.
fn runbook_rule(facts: &Facts<'_>, addon: &Addon, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let names = &addon.names;
    if addon.has_runbook && facts.new_version(&names.runbook)?.is_none() {
        findings.push(Finding::error(
            "sop-4.4/runbook",
            at(&names.runbook, None),
            format!("the runbook of `{}` is not committed on this branch", addon.feature),
            format!("commit it: git add {} && git commit -m \"docs: add {} runbook\"", names.runbook, names.slug),
        ));
    }
    Ok(())
}
