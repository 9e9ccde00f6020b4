//! SOP 4.4's PR checklist as rules: each box is a function of the facts `check` gathered once
//! (the add-on inventory, the branch's diff and index, its commit range) and of what `pre-pr`'s
//! verify step ran ([`TestRun`]), returning whether the rule verified it and the evidence it saw
//! (`file:line`, counts), or why the box stays open. `pre-pr`'s PR body is a view of this result:
//! it ticks nothing itself.
//!
//! The rules are honest against the scaffold: what `new-addon` writes is not what the branch
//! added. Tests count only when the branch adds test functions beyond the ones the rendered
//! templates (`module.rs.tera`, `integration_test.rs.tera`, rendered for this add-on through
//! `render.rs`) already have, and verify ran tests at the tested commit; receipts and war-room
//! visibility only when the module does more than the rendered template does; documents only
//! once no `TODO(sop)` placeholder is left.

use std::collections::HashMap;

use git2::Oid;

use super::Facts;
use crate::addons::Addon;
use crate::changelog;
use crate::docs::{self, PLACEHOLDER};
use crate::git::history::{ChangeKind, FileChange};
use crate::layout;
use crate::names::{self, Names};
use crate::render::{addon_context, Dependency, Details, Templates};

/// One box of SOP 4.4's required PR checklist, in the checklist's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    SpecCreated,
    BlueprintCreated,
    FeatureGated,
    ContractsDefined,
    UnitTests,
    IntegrationTests,
    ReceiptsEmitted,
    WarRoomVisibility,
    Runbook,
    Changelog,
}

impl Check {
    /// Every box, in the checklist's order.
    pub const ALL: [Check; 10] = [
        Check::SpecCreated,
        Check::BlueprintCreated,
        Check::FeatureGated,
        Check::ContractsDefined,
        Check::UnitTests,
        Check::IntegrationTests,
        Check::ReceiptsEmitted,
        Check::WarRoomVisibility,
        Check::Runbook,
        Check::Changelog,
    ];

    /// The box's wording, word for word: the one place it lives.
    pub const fn wording(self) -> &'static str {
        match self {
            Check::SpecCreated => "Spec created (new, not modified)",
            Check::BlueprintCreated => "Blueprint created",
            Check::FeatureGated => "Feature gated",
            Check::ContractsDefined => "Contracts defined",
            Check::UnitTests => "Unit tests added",
            Check::IntegrationTests => "Integration tests added (env-gated)",
            Check::ReceiptsEmitted => "Receipts emitted",
            Check::WarRoomVisibility => "War Room visibility added (if required)",
            Check::Runbook => "Runbook added/updated",
            Check::Changelog => "CHANGELOG updated",
        }
    }
}

/// SOP 4.4's required PR checklist, word for word, in order ([`Check::wording`] of
/// [`Check::ALL`]). The repository's `.github/pull_request_template.md` lists exactly these.
pub const PR_CHECKLIST: [&str; Check::ALL.len()] = {
    let mut wordings = [""; Check::ALL.len()];
    let mut next = 0;
    while next < wordings.len() {
        wordings[next] = Check::ALL[next].wording();
        next += 1;
    }
    wordings
};

/// What `pre-pr`'s verify step established: the evidence the test rules need.
#[derive(Debug, Clone, Default)]
pub struct TestRun {
    /// The commit verify ran on.
    pub commit: Option<Oid>,
    /// Every verify command passed.
    pub succeeded: bool,
    /// Summed test counts, `None` when no command printed any.
    pub passed: Option<u64>,
    pub failed: u64,
    /// The tests the output names as passed (`test core::x::tests::y ... ok`), when it names them.
    pub passed_names: Vec<String>,
    /// The env-gated integration tests ran (`--integration`).
    pub integration_ran: bool,
}

/// One box of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub item: &'static str,
    /// Ticked only when a rule verified it.
    pub ticked: bool,
    /// What the rule saw (ticked) or why the box is open.
    pub note: String,
    /// Where it looked: `file:line` or `file`.
    pub evidence: Vec<String>,
}

/// The add-on slice the branch works on, as the PR body shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Slice {
    pub names: Names,
    /// The spec is new on this branch.
    pub spec_added: bool,
    pub spec_exists: bool,
    pub blueprint_exists: bool,
    pub runbook_exists: bool,
    pub architecture_exists: bool,
    /// The `FEATURE_…` flag the spec's header declares.
    pub declared_flag: Option<String>,
    /// The spec's `## Summary`, when it holds no placeholder.
    pub summary: Option<String>,
    /// The blueprint's `## Rollout notes` without its placeholder lines (`None`: no section).
    pub rollout_notes: Option<String>,
    /// How many placeholder lines were left out of the rollout notes.
    pub rollout_placeholders: usize,
}

/// One commit of the branch, oldest first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BranchCommit {
    pub id: String,
    pub short: String,
    /// The first line of its message, as written (the body redacts what it shows).
    pub subject: String,
    pub parents: usize,
    pub conventional: bool,
}

/// The checklist and the facts the PR body shows beside it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Checklist {
    pub items: Vec<Item>,
    pub slice: Option<Slice>,
    /// Every change is documentation.
    pub docs_only: bool,
    pub commits: Vec<BranchCommit>,
}

impl Checklist {
    /// Every box open with the same reason (the rules could not run).
    pub fn unverified(reason: &str) -> Checklist {
        let items = PR_CHECKLIST
            .iter()
            .map(|item| Item { item, ticked: false, note: reason.to_string(), evidence: Vec::new() })
            .collect();
        Checklist { items, ..Checklist::default() }
    }

    /// Notes and subjects through the redaction layer.
    pub fn redacted(&self) -> Checklist {
        let mut checklist = self.clone();
        for item in &mut checklist.items {
            item.note = crate::redact::owned(&item.note);
        }
        for commit in &mut checklist.commits {
            commit.subject = crate::redact::owned(&commit.subject);
        }
        checklist
    }
}

/// The add-on of the branch: the one whose spec it adds, else the one the branch is named after.
fn branch_addon<'a>(facts: &'a Facts<'_>) -> Option<(&'a Addon, bool)> {
    let added = |addon: &Addon| {
        facts.branch.changes.iter().any(|change| change.path == addon.spec && change.kind == ChangeKind::Added)
    };
    if let Some(addon) = facts.inventory.addons.iter().find(|addon| added(addon)) {
        return Some((addon, true));
    }
    let name = facts.branch.name.as_deref()?;
    let (_, words) = names::parse_branch(name, &facts.ctx.config).ok()?;
    let feature = words.pascal();
    facts.inventory.addons.iter().find(|addon| addon.feature == feature).map(|addon| (addon, false))
}

/// Runs the checklist's rules.
pub(super) fn evaluate(facts: &Facts<'_>, run: &TestRun) -> anyhow::Result<Checklist> {
    let changes = &facts.branch.changes;
    let docs_only = docs_only(facts, changes);
    let commits = branch_commits(facts)?;
    let Some((addon, spec_added)) = branch_addon(facts) else {
        let items = Check::ALL.into_iter().map(|check| without_slice(facts, run, docs_only, check));
        return Ok(Checklist { items: items.collect::<anyhow::Result<_>>()?, slice: None, docs_only, commits });
    };
    let sources = SliceSources::read(facts, addon)?;
    let items = Check::ALL.into_iter().map(|check| sources.verdict(facts, run, check));
    let items = items.collect::<anyhow::Result<_>>()?;
    let slice = sources.slice(facts, spec_added)?;
    Ok(Checklist { items, slice: Some(slice), docs_only, commits })
}

/// What the slice's boxes are judged on, as the branch has it: its documents, its module and
/// the scaffold `new-addon` would write for it.
struct SliceSources<'a> {
    addon: &'a Addon,
    spec: Option<String>,
    blueprint: Option<String>,
    runbook: Option<String>,
    module: Option<Module>,
    scaffold: Scaffold,
}

impl<'a> SliceSources<'a> {
    fn read(facts: &Facts<'_>, addon: &'a Addon) -> anyhow::Result<SliceSources<'a>> {
        let names = &addon.names;
        Ok(SliceSources {
            addon,
            spec: facts.new_version(&addon.spec)?,
            blueprint: facts.new_version(&names.blueprint)?,
            runbook: facts.new_version(&names.runbook)?,
            module: module_source(facts, names)?,
            scaffold: Scaffold::render(facts, addon),
        })
    }

    /// The box `check` of an add-on slice.
    fn verdict(&self, facts: &Facts<'_>, run: &TestRun, check: Check) -> anyhow::Result<Item> {
        let (names, module, scaffold) = (&self.addon.names, self.module.as_ref(), &self.scaffold);
        let (ticked, note, evidence) = match check {
            Check::SpecCreated => document(facts, &self.addon.spec, self.spec.as_deref(), true),
            Check::BlueprintCreated => document(facts, &names.blueprint, self.blueprint.as_deref(), true),
            Check::FeatureGated => feature_gated(names, module),
            Check::ContractsDefined => contracts(&self.addon.spec, self.spec.as_deref()),
            Check::UnitTests => unit_tests(facts, run, names, module, scaffold)?,
            Check::IntegrationTests => integration_tests(facts, run, names, scaffold)?,
            Check::ReceiptsEmitted => beyond_template(names, module, scaffold, Marker::Receipts),
            Check::WarRoomVisibility => beyond_template(names, module, scaffold, Marker::WarRoom),
            Check::Runbook => document(facts, &names.runbook, self.runbook.as_deref(), false),
            Check::Changelog => changelog_updated(facts)?,
        };
        Ok(Item { item: check.wording(), ticked, note, evidence })
    }

    /// The slice as the PR body shows it beside the checklist.
    fn slice(&self, facts: &Facts<'_>, spec_added: bool) -> anyhow::Result<Slice> {
        let names = &self.addon.names;
        let summary = self
            .spec
            .as_deref()
            .and_then(|spec| section(spec, "Summary"))
            .map(|(_, text)| text)
            .filter(|text| !text.contains(PLACEHOLDER));
        let rollout = self.blueprint.as_deref().and_then(|text| section(text, "Rollout notes")).map(|(_, text)| text);
        let rollout_placeholders =
            rollout.as_deref().map_or(0, |text| text.lines().filter(|l| l.contains(PLACEHOLDER)).count());
        let rollout_notes = rollout.map(|text| {
            text.lines().filter(|line| !line.contains(PLACEHOLDER)).collect::<Vec<_>>().join("\n").trim().to_string()
        });
        let declared_flag = self
            .spec
            .as_deref()
            .and_then(|spec| docs::Header::parse(spec).get("Feature flag").map(str::to_string))
            .and_then(|value| flag_in(&value));
        Ok(Slice {
            names: names.clone(),
            spec_added,
            spec_exists: self.spec.is_some(),
            blueprint_exists: self.blueprint.is_some(),
            runbook_exists: self.runbook.is_some(),
            architecture_exists: facts.new_version(&names.architecture)?.is_some(),
            declared_flag,
            summary,
            rollout_notes,
            rollout_placeholders,
        })
    }
}

/// A rule's answer: ticked, the note, the locations.
type Verdict = (bool, String, Vec<String>);

fn open(note: String) -> Verdict {
    (false, note, Vec::new())
}

/// The box `check` of a branch that is no add-on slice: the slice's boxes do not apply.
fn without_slice(facts: &Facts<'_>, run: &TestRun, docs_only: bool, check: Check) -> anyhow::Result<Item> {
    let (ticked, note, evidence) = match check {
        Check::FeatureGated if docs_only => open("n/a: a docs-only change needs no flag".into()),
        Check::UnitTests => added_tests_elsewhere(facts, run),
        Check::Runbook => changed_runbook(facts)?,
        Check::Changelog => changelog_updated(facts)?,
        _ => {
            let branch = facts.branch.name.as_deref().unwrap_or("HEAD");
            open(format!("n/a: `{branch}` is not an add-on slice (it adds no spec and no spec is named after it)"))
        }
    };
    Ok(Item { item: check.wording(), ticked, note, evidence })
}

/// Spec, blueprint, runbook: on the branch (new, or for a runbook new or updated) and with no
/// placeholder left.
fn document(facts: &Facts<'_>, path: &str, text: Option<&str>, must_be_new: bool) -> Verdict {
    let Some(text) = text else { return open(format!("`{path}` does not exist on this branch")) };
    let change = facts.branch.changes.iter().find(|change| change.path == path).map(|change| change.kind);
    let how = match change {
        Some(ChangeKind::Added) => "new on this branch",
        Some(_) if must_be_new => {
            return open(format!(
                "`{path}` existed before this branch and was changed (SOP 2.1: a new slice gets a new spec)"
            ))
        }
        Some(_) => "updated on this branch",
        None => return open(format!("`{path}` existed before this branch and is unchanged")),
    };
    let placeholders = placeholder_lines(text);
    if !placeholders.is_empty() {
        return (
            false,
            format!(
                "`{path}` is {how}, but {} still hold `{PLACEHOLDER}` (lines {})",
                plural(placeholders.len(), "line"),
                list(&placeholders)
            ),
            placeholders.iter().map(|line| format!("{path}:{line}")).collect(),
        );
    }
    (true, format!("`{path}` is {how}, {} lines, no `{PLACEHOLDER}` left", text.lines().count()), vec![path.into()])
}

/// 1-based numbers of the lines that hold a placeholder.
fn placeholder_lines(text: &str) -> Vec<usize> {
    text.lines().enumerate().filter(|(_, line)| line.contains(PLACEHOLDER)).map(|(index, _)| index + 1).collect()
}

fn contracts(spec: &str, text: Option<&str>) -> Verdict {
    let Some(text) = text else { return open(format!("`{spec}` does not exist")) };
    let Some((start, body)) = section(text, "Contracts") else {
        return open(format!("`{spec}` has no `## Contracts` section (or it is empty)"));
    };
    let placeholders: Vec<usize> = placeholder_lines(&body).into_iter().map(|line| start + line - 1).collect();
    if !placeholders.is_empty() {
        return (
            false,
            format!(
                "`## Contracts` in `{spec}` still has {} `{PLACEHOLDER}` placeholders (lines {})",
                placeholders.len(),
                list(&placeholders)
            ),
            placeholders.iter().map(|line| format!("{spec}:{line}")).collect(),
        );
    }
    let subsections = body.lines().filter(|line| line.starts_with("### ")).count();
    (
        true,
        format!("`## Contracts` (`{spec}:{start}`) is filled in: {subsections} subsections, no `{PLACEHOLDER}`"),
        vec![format!("{spec}:{start}")],
    )
}

/// The module's sources as the branch has them: the file, or every file of its folder.
struct Module {
    path: String,
    /// `(file, text)`; one entry for the file form.
    files: Vec<(String, String)>,
}

fn module_source(facts: &Facts<'_>, names: &Names) -> anyhow::Result<Option<Module>> {
    if let Some(text) = facts.new_version(&names.module)? {
        return Ok(Some(Module { path: names.module.clone(), files: vec![(names.module.clone(), text)] }));
    }
    let prefix = format!("{}/", names.module_dir);
    let mut files = Vec::new();
    for entry in facts.tracked_under(&prefix)?.filter(|entry| entry.stage == 0 && entry.path.ends_with(".rs")) {
        if let Some(text) = facts.new_version(&entry.path)? {
            files.push((entry.path.clone(), text));
        }
    }
    Ok((!files.is_empty()).then(|| Module { path: names.module_dir.clone(), files }))
}

fn feature_gated(names: &Names, module: Option<&Module>) -> Verdict {
    let Some(module) = module else { return open(format!("the owning module `{}` does not exist", names.module)) };
    let declared = module.files.iter().find_map(|(path, text)| {
        layout::declared_str(text, "FLAG")
            .filter(|(flag, _)| *flag == names.flag)
            .map(|(_, line)| format!("{path}:{line}"))
    });
    let Some(declared) = declared else {
        return open(format!("`{}` does not declare `pub const FLAG: &str = \"{}\"`", module.path, names.flag));
    };
    let read = module.files.iter().find_map(|(path, text)| {
        statements(production(text))
            .into_iter()
            .find(|(_, statement)| statement.contains("is_enabled(FLAG)"))
            .map(|(line, _)| format!("{path}:{line}"))
    });
    match read {
        Some(read) => (
            true,
            format!("`{declared}` declares `{}`; `{read}` starts the add-on only when it is `true`", names.flag),
            vec![declared, read],
        ),
        None => (
            false,
            format!("`{declared}` declares `{}`, but the module never reads it (`is_enabled(FLAG)`)", names.flag),
            vec![declared],
        ),
    }
}

/// The scaffold `new-addon` would write for this add-on today: the rendered templates.
struct Scaffold {
    module: Result<String, String>,
    integration_test: Result<String, String>,
}

impl Scaffold {
    fn render(facts: &Facts<'_>, addon: &Addon) -> Scaffold {
        let config = &facts.ctx.config;
        let templates = match Templates::load(facts.ctx.root()) {
            Ok(templates) => templates,
            Err(error) => {
                let reason = format!("the templates cannot be loaded ({error})");
                return Scaffold { module: Err(reason.clone()), integration_test: Err(reason) };
            }
        };
        let depends_on = addon
            .dependencies
            .iter()
            .filter_map(|dependency| dependency.feature.as_ref().ok())
            .map(|feature| Dependency { feature: feature.clone(), file: names::doc_file_name(config, "Spec", feature) })
            .collect();
        let details = Details { depends_on, ..Details::default() };
        let render = |kind: &str| {
            let context = addon_context(&addon.names, config, &details, templates.get(kind).version);
            templates
                .render(kind, &context)
                .map_err(|error| format!("`templates/{kind}` cannot be rendered for `{}` ({error})", addon.feature))
        };
        Scaffold { module: render("module"), integration_test: render("integration_test") }
    }
}

/// `#[test]` functions: `(line, name)`.
fn test_functions(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut pending: Option<usize> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line == "#[test]" {
            pending = Some(index + 1);
            continue;
        }
        let Some(start) = pending else { continue };
        if line.starts_with("#[") || line.starts_with("//") {
            continue;
        }
        pending = None;
        let name = line
            .split("fn ")
            .nth(1)
            .map(|rest| rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default());
        if let Some(name) = name.filter(|name| !name.is_empty()) {
            found.push((start, name.to_string()));
        }
    }
    found
}

/// Whether verify ran tests at HEAD; the reason when it did not.
fn tests_ran(facts: &Facts<'_>, run: &TestRun) -> Result<String, String> {
    let tested = match (run.commit, facts.branch.head) {
        (Some(tested), Some(head)) if tested == head => facts.ctx.repo.short_id(tested),
        (Some(tested), Some(head)) => {
            return Err(format!(
                "verify tested `{}`, not HEAD `{}`",
                facts.ctx.repo.short_id(tested),
                facts.ctx.repo.short_id(head)
            ))
        }
        _ => return Err("verify did not run".into()),
    };
    if !run.succeeded {
        return Err("verify failed".into());
    }
    match run.passed {
        None => Err("verify printed no test results (no `test result:` line): no test is known to have run".into()),
        Some(0) => Err("verify ran 0 tests".into()),
        Some(passed) if run.failed == 0 => {
            Ok(format!("verify ran {} at `{tested}`", plural(passed as usize, "passing test")))
        }
        Some(_) => Err(format!("{} failed", plural(run.failed as usize, "test"))),
    }
}

/// Which of `new` (test function names) the run names as passed; `None` when it names none at all.
fn ran_by_name<'a>(run: &TestRun, snake: &str, new: &'a [(String, usize, String)]) -> Option<Vec<&'a str>> {
    if run.passed_names.is_empty() {
        return None;
    }
    Some(
        new.iter()
            .filter(|(_, _, name)| {
                run.passed_names.iter().any(|passed| {
                    passed.rsplit("::").next() == Some(name.as_str())
                        && (snake.is_empty() || passed.split("::").any(|part| part == snake) || !passed.contains("::"))
                })
            })
            .map(|(_, _, name)| name.as_str())
            .collect(),
    )
}

/// The names of the `#[test]` functions `paths` had where the branch starts: tests the branch
/// did not add.
fn tests_at_base(facts: &Facts<'_>, paths: &[&str]) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for path in paths {
        if let Some(text) = facts.version_at(facts.branch.base, path)? {
            names.extend(test_functions(&text).into_iter().map(|(_, name)| name));
        }
    }
    Ok(names)
}

fn unit_tests(
    facts: &Facts<'_>,
    run: &TestRun,
    names: &Names,
    module: Option<&Module>,
    scaffold: &Scaffold,
) -> anyhow::Result<Verdict> {
    let Some(module) = module else {
        return Ok(open(format!("the owning module `{}` does not exist", names.module)));
    };
    let template = match &scaffold.module {
        Ok(text) => text,
        Err(reason) => return Ok(open(format!("cannot tell the branch's tests from the scaffold's: {reason}"))),
    };
    let scaffold_tests: Vec<String> = test_functions(template).into_iter().map(|(_, name)| name).collect();
    let paths: Vec<&str> = module.files.iter().map(|(path, _)| path.as_str()).collect();
    let before = tests_at_base(facts, &paths)?;
    let new: Vec<(String, usize, String)> = module
        .files
        .iter()
        .flat_map(|(path, text)| test_functions(text).into_iter().map(move |(line, name)| (path.clone(), line, name)))
        .filter(|(_, _, name)| !scaffold_tests.contains(name) && !before.contains(name))
        .collect();
    let scaffold_note = format!("the scaffold's {}", plural(scaffold_tests.len(), "test"));
    if new.is_empty() {
        let older = before.iter().filter(|name| !scaffold_tests.contains(name)).count();
        let older =
            if older > 0 { format!(" and {} from before this branch", plural(older, "test")) } else { String::new() };
        return Ok(open(format!(
            "`{}` has only {scaffold_note} (as `templates/module.rs.tera` renders them){older}: add the add-on's own `#[test]` functions",
            module.path
        )));
    }
    let evidence: Vec<String> = new.iter().map(|(path, line, _)| format!("{path}:{line}")).collect();
    let listed = new.iter().take(5).map(|(path, line, name)| format!("`{name}` ({path}:{line})")).collect::<Vec<_>>();
    let more = if new.len() > 5 { format!(" and {} more", new.len() - 5) } else { String::new() };
    let added = format!("{} beyond {scaffold_note}: {}{more}", plural(new.len(), "new test"), listed.join(", "));
    Ok(match tests_ran(facts, run) {
        Err(reason) => (false, format!("{added}; not verified: {reason}"), evidence),
        Ok(ran) => match ran_by_name(run, &names.snake, &new) {
            Some(seen) if seen.is_empty() => {
                (false, format!("{added}; not verified: none of them is among the tests verify ran"), evidence)
            }
            Some(seen) => (true, format!("{added}; {ran}, {} of the new ones among them", seen.len()), evidence),
            None => (true, format!("{added}; {ran} (its output names no tests)"), evidence),
        },
    })
}

/// Unit tests on a branch that is no add-on slice: `#[test]` lines the diff adds outside `tests/`.
fn added_tests_elsewhere(facts: &Facts<'_>, run: &TestRun) -> Verdict {
    let new: Vec<String> = facts
        .branch
        .changes
        .iter()
        .filter(|change| !change.path.starts_with("tests/"))
        .flat_map(|change| {
            change
                .added
                .iter()
                .filter(|line| line.text.trim() == "#[test]")
                .map(|line| format!("{}:{}", change.path, line.line))
        })
        .collect();
    if new.is_empty() {
        return open("the branch adds no `#[test]` function outside `tests/`".into());
    }
    let added = format!(
        "{} added ({})",
        plural(new.len(), "`#[test]` function"),
        new.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
    );
    match tests_ran(facts, run) {
        Ok(ran) => (true, format!("{added}; {ran}"), new),
        Err(reason) => (false, format!("{added}; not verified: {reason}"), new),
    }
}

fn integration_tests(facts: &Facts<'_>, run: &TestRun, names: &Names, scaffold: &Scaffold) -> anyhow::Result<Verdict> {
    let env = &facts.ctx.config.integration_env;
    let path = &names.integration_test;
    let Some(text) = facts.new_version(path)? else {
        return Ok(open(format!("`{path}` does not exist on this branch")));
    };
    if !text.contains(env.as_str()) && !text.contains("#[ignore") {
        return Ok(open(format!("`{path}` is not env-gated by `{env}` (`#[ignore = \"integration: set {env}=1\"]`)")));
    }
    let template = match &scaffold.integration_test {
        Ok(text) => text,
        Err(reason) => return Ok(open(format!("cannot tell the branch's tests from the scaffold's: {reason}"))),
    };
    let scaffold_tests: Vec<String> = test_functions(template).into_iter().map(|(_, name)| name).collect();
    let before = tests_at_base(facts, &[path.as_str()])?;
    let new: Vec<(usize, String)> = test_functions(&text)
        .into_iter()
        .filter(|(_, name)| !scaffold_tests.contains(name) && !before.contains(name))
        .collect();
    if new.is_empty() {
        return Ok(open(format!(
            "`{path}` has only the scaffold's {} (as `templates/integration_test.rs.tera` renders it): add the add-on's own env-gated tests",
            plural(scaffold_tests.len(), "test")
        )));
    }
    let ran = if run.integration_ran {
        "run by this pre-pr".to_string()
    } else {
        format!("gated by `{env}=1`, not run by this pre-pr")
    };
    let listed: Vec<String> = new.iter().take(5).map(|(line, name)| format!("`{name}` ({path}:{line})")).collect();
    Ok((
        true,
        format!("{} beyond the scaffold's: {}; {ran}", plural(new.len(), "env-gated test"), listed.join(", ")),
        new.iter().map(|(line, _)| format!("{path}:{line}")).collect(),
    ))
}

/// What the module must do more of than the rendered template.
#[derive(Clone, Copy)]
enum Marker {
    Receipts,
    WarRoom,
}

impl Marker {
    /// Whether a (whitespace-free) statement does it.
    fn matches(self, statement: &str) -> bool {
        if statement.starts_with("use") {
            return false;
        }
        match self {
            Marker::Receipts => statement.contains(".record(") || statement.contains(".record_with_detail("),
            Marker::WarRoom => {
                statement.contains("self.entry.")
                    || statement.contains("AddonStatus::")
                    || statement.contains("WarRoomEntry")
            }
        }
    }

    /// The names it uses (`ReceiptKind::Failure`, `AddonStatus::Degraded`, `self.entry.last_error`).
    fn vocabulary(self, statement: &str) -> Vec<String> {
        let prefixes: &[&str] = match self {
            Marker::Receipts => &["ReceiptKind::"],
            Marker::WarRoom => &["AddonStatus::", "self.entry."],
        };
        let mut words = Vec::new();
        for prefix in prefixes {
            for (offset, _) in statement.match_indices(prefix) {
                let rest = &statement[offset + prefix.len()..];
                let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !word.is_empty() {
                    words.push(format!("{prefix}{word}"));
                }
            }
        }
        words
    }

    fn what(self) -> &'static str {
        match self {
            Marker::Receipts => "receipt",
            Marker::WarRoom => "war-room",
        }
    }
}

fn beyond_template(names: &Names, module: Option<&Module>, scaffold: &Scaffold, marker: Marker) -> Verdict {
    let Some(module) = module else { return open(format!("the owning module `{}` does not exist", names.module)) };
    let template = match &scaffold.module {
        Ok(text) => text,
        Err(reason) => return open(format!("cannot tell the module's code from the scaffold's: {reason}")),
    };
    let template_all: Vec<String> = statements(production(template)).into_iter().map(|(_, s)| s).collect();
    let template_statements: Vec<&String> = template_all.iter().filter(|s| marker.matches(s)).collect();
    let template_words: Vec<String> = template_statements.iter().flat_map(|s| marker.vocabulary(s)).collect();
    let module_all: Vec<(String, String)> = module
        .files
        .iter()
        .flat_map(|(path, text)| {
            statements(production(text)).into_iter().map(move |(line, statement)| (format!("{path}:{line}"), statement))
        })
        .collect();
    let kept = common_subsequence(&template_all, &module_all);
    let own = module_all.iter().filter(|(_, s)| marker.matches(s)).count();
    let new: Vec<(String, String)> = module_all
        .iter()
        .zip(kept)
        .filter(|((_, statement), kept)| !kept && marker.matches(statement))
        .map(|((location, statement), _)| (location.clone(), statement.clone()))
        .collect();
    let new_words: Vec<String> = {
        let mut words: Vec<String> =
            new.iter().flat_map(|(_, s)| marker.vocabulary(s)).filter(|w| !template_words.contains(w)).collect();
        words.sort();
        words.dedup();
        words
    };
    let what = marker.what();
    if own <= template_statements.len() && new_words.is_empty() {
        let changed = if new.is_empty() { "" } else { ", some reworded" };
        return open(format!(
            "`{}` has {} {what} statements, as many as the scaffold's template{changed}: it does nothing beyond what `templates/module.rs.tera` renders",
            module.path,
            own,
        ));
    }
    let evidence: Vec<String> = new.iter().map(|(location, _)| location.clone()).collect();
    let uses = if new_words.is_empty() { String::new() } else { format!(", using {}", new_words.join(", ")) };
    (
        true,
        format!(
            "`{}` has {} beyond the scaffold's {} ({}){uses}",
            module.path,
            plural(new.len(), &format!("{what} statement")),
            template_statements.len(),
            evidence.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        ),
        evidence,
    )
}

/// For each statement of `module`, whether it is part of a longest common subsequence with
/// `template`: the ones that are not are what the module added or changed.
fn common_subsequence(template: &[String], module: &[(String, String)]) -> Vec<bool> {
    let (n, m) = (template.len(), module.len());
    if n.saturating_mul(m) > 4_000_000 {
        // A module far beyond any template: match statements as a multiset instead.
        let mut unmatched: HashMap<&str, usize> = HashMap::new();
        for statement in template {
            *unmatched.entry(statement.as_str()).or_default() += 1;
        }
        return module
            .iter()
            .map(|(_, statement)| match unmatched.get_mut(statement.as_str()) {
                Some(count) if *count > 0 => {
                    *count -= 1;
                    true
                }
                _ => false,
            })
            .collect();
    }
    // lengths[i][j]: the LCS of template[i..] and module[j..].
    let mut lengths = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lengths[i][j] = if template[i] == module[j].1 {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let mut kept = vec![false; m];
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if template[i] == module[j].1 {
            kept[j] = true;
            i += 1;
            j += 1;
        } else if lengths[i + 1][j] >= lengths[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    kept
}

/// The production part of a module: up to its `#[cfg(test)]` module.
fn production(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(offset) => &text[..offset],
        None => text,
    }
}

/// The code's statements with every blank removed (so rustfmt's wrapping changes nothing), split at
/// `;`, `{` and `}`, with the line each starts on; comment lines are skipped.
fn statements(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        for c in trimmed.chars() {
            if c.is_whitespace() {
                continue;
            }
            if matches!(c, ';' | '{' | '}') {
                let statement = current.trim_end_matches(',').replace(",)", ")").replace(",]", "]");
                if !statement.is_empty() {
                    out.push((start, statement));
                }
                current.clear();
                continue;
            }
            if current.is_empty() {
                start = index + 1;
            }
            current.push(c);
        }
    }
    out
}

fn changed_runbook(facts: &Facts<'_>) -> anyhow::Result<Verdict> {
    let prefix = format!("{}/", facts.ctx.config.docs.runbooks);
    let changed: Vec<&FileChange> = facts
        .branch
        .changes
        .iter()
        .filter(|change| change.path.starts_with(&prefix) && change.kind != ChangeKind::Deleted)
        .collect();
    let Some(first) = changed.first() else { return Ok(open("the branch changes no runbook".into())) };
    let text = facts.new_version(&first.path)?;
    Ok(document(facts, &first.path, text.as_deref(), false))
}

/// SOP 4.4 "CHANGELOG updated": the branch's valid fragment in `docs/changelog.d/`, or a release.
fn changelog_updated(facts: &Facts<'_>) -> anyhow::Result<Verdict> {
    let changes = &facts.branch.changes;
    let mut described = Vec::new();
    let mut evidence = Vec::new();
    for change in changes.iter().filter(|c| c.kind != ChangeKind::Deleted && changelog::is_fragment_path(&c.path)) {
        let text = facts.new_version(&change.path)?.unwrap_or_default();
        match changelog::examine(&change.path, &text) {
            Err(problem) => {
                return Ok((
                    false,
                    format!("`{}` is not a valid fragment: {}", problem.location(), problem.message),
                    vec![problem.location()],
                ))
            }
            Ok(None) => {}
            Ok(Some(fragment)) => {
                let mut sections: Vec<&str> = fragment.entries.iter().map(|e| e.section.as_str()).collect();
                sections.dedup();
                described.push(format!(
                    "`{}` ({}: {})",
                    change.path,
                    plural(fragment.entries.len(), "entry"),
                    sections.join(", ")
                ));
                evidence.push(change.path.clone());
            }
        }
    }
    if !described.is_empty() {
        return Ok((true, format!("{} on this branch", described.join("; ")), evidence));
    }
    let released = changes.iter().any(|c| c.path == layout::CHANGELOG && c.kind != ChangeKind::Deleted)
        && changes.iter().any(|c| c.kind == ChangeKind::Deleted && changelog::is_fragment_path(&c.path));
    if released {
        return Ok((
            true,
            format!("a release: the fragments are folded into `{}`", layout::CHANGELOG),
            vec![layout::CHANGELOG.to_string()],
        ));
    }
    let slug = facts
        .branch
        .name
        .as_deref()
        .and_then(|name| names::parse_branch(name, &facts.ctx.config).ok())
        .map_or_else(|| "<slug>".to_string(), |(_, words)| words.slug());
    Ok(open(format!(
        "no fragment with an entry in `{}/` on this branch: add `{}`",
        changelog::FRAGMENTS_DIR,
        changelog::fragment_path(&slug)
    )))
}

fn docs_only(facts: &Facts<'_>, changes: &[FileChange]) -> bool {
    let docs = &facts.ctx.config.docs;
    let dirs = [&docs.specs, &docs.blueprints, &docs.runbooks, &docs.architecture];
    !changes.is_empty()
        && changes.iter().all(|change| {
            change.path.ends_with(".md")
                || change.path.starts_with("docs/")
                || dirs.iter().any(|dir| change.path.starts_with(&format!("{dir}/")))
        })
}

/// The branch's commits (the range a push sends), oldest first.
fn branch_commits(facts: &Facts<'_>) -> anyhow::Result<Vec<BranchCommit>> {
    let repo = &facts.ctx.repo;
    let Some(head) = facts.branch.head else { return Ok(Vec::new()) };
    let hide = facts.branch.base;
    if hide.is_none() && facts.branch.main.is_none() {
        // Nothing tells the branch's commits from the rest.
        return Ok(Vec::new());
    }
    let mut read: HashMap<Oid, (usize, String, bool)> = HashMap::new();
    repo.for_each_commit(head, hide, |commit| {
        let subject = commit.message.lines().next().unwrap_or_default().trim().to_string();
        let conventional = commit.parents > 1 || super::check_commit_message(commit.message, &facts.ctx.config).is_ok();
        read.insert(commit.id, (commit.parents, subject, conventional));
    })?;
    let ordered = repo.commits_between(&[head], &hide.into_iter().collect::<Vec<_>>())?;
    Ok(ordered
        .into_iter()
        .filter_map(|id| {
            let (parents, subject, conventional) = read.remove(&id)?;
            Some(BranchCommit { id: id.to_string(), short: repo.short_id(id), subject, parents, conventional })
        })
        .collect())
}

/// The body of the `## <name>` section of a Markdown document (until the next `## ` heading,
/// fences respected), trimmed, with the line number its first line has in `text`; `None` when there is no such
/// section or it is empty.
pub fn section(text: &str, name: &str) -> Option<(usize, String)> {
    let mut lines = text.lines().enumerate();
    let (heading, _) = lines
        .find(|(_, line)| line.strip_prefix("## ").is_some_and(|heading| heading.trim().eq_ignore_ascii_case(name)))?;
    let mut in_fence = false;
    let mut body = Vec::new();
    for (_, line) in lines {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && line.starts_with("## ") {
            break;
        }
        body.push(line);
    }
    // Line numbers of the trimmed body are counted from the heading.
    let leading_blank = body.iter().take_while(|line| line.trim().is_empty()).count();
    let body = body.join("\n");
    let body = body.trim();
    (!body.is_empty()).then(|| (heading + 2 + leading_blank, body.to_string()))
}

/// The first `FEATURE_…` word of a header value.
fn flag_in(value: &str) -> Option<String> {
    value
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|word| word.starts_with("FEATURE_") && word.len() > "FEATURE_".len())
        .map(str::to_string)
}

fn plural(count: usize, word: &str) -> String {
    match (count, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) => format!("{count} {stem}ies"),
        _ => format!("{count} {word}s"),
    }
}

fn list(lines: &[usize]) -> String {
    let shown: Vec<String> = lines.iter().take(8).map(usize::to_string).collect();
    let more = if lines.len() > 8 { format!(", … {} more", lines.len() - 8) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checklist_is_sop_4_4_word_for_word() {
        assert_eq!(PR_CHECKLIST.len(), 10);
        assert_eq!(PR_CHECKLIST.first(), Some(&"Spec created (new, not modified)"));
        assert_eq!(PR_CHECKLIST.last(), Some(&"CHANGELOG updated"));
        let wordings: Vec<&str> = Check::ALL.iter().map(|check| check.wording()).collect();
        assert_eq!(wordings, PR_CHECKLIST);
    }

    #[test]
    fn statements_ignore_blanks_wrapping_and_comments() {
        let one = "let r = host.record(ReceiptKind::Job, NAME, \"x\")?;\n// host.record(comment)\n";
        let wrapped = "let r = host.record(\n    ReceiptKind::Job,\n    NAME,\n    \"x\",\n)?;\n";
        assert_eq!(statements(one), vec![(1, "letr=host.record(ReceiptKind::Job,NAME,\"x\")?".to_string())]);
        assert_eq!(statements(wrapped), statements(one));
        assert_eq!(statements("fn a() {\n    b();\n}\n"), vec![(1, "fna()".into()), (2, "b()".into())]);
    }

    #[test]
    fn the_common_subsequence_finds_what_was_inserted() {
        let template: Vec<String> = ["a", "x", "b", "x"].map(String::from).to_vec();
        let module: Vec<(String, String)> =
            ["a", "x", "new", "x", "b", "x"].iter().enumerate().map(|(i, s)| (i.to_string(), s.to_string())).collect();
        let kept = common_subsequence(&template, &module);
        assert_eq!(kept.iter().filter(|k| !**k).count(), 2);
        assert!(!kept[2], "the inserted statement is not kept: {kept:?}");
    }

    #[test]
    fn test_functions_are_named_with_their_line() {
        let text =
            "mod tests {\n    #[test]\n    #[ignore = \"x\"]\n    fn one() {}\n\n    #[test]\n    fn two_2() {}\n}\n";
        assert_eq!(test_functions(text), vec![(2, "one".to_string()), (6, "two_2".to_string())]);
    }

    #[test]
    fn markers_see_receipts_and_war_room_writes() {
        assert!(Marker::Receipts.matches("host.record(ReceiptKind::Failure,NAME,e)?"));
        assert!(!Marker::Receipts.matches("usecrate::receipts::ReceiptKind"));
        assert_eq!(Marker::WarRoom.vocabulary("self.entry.last_error=Some(e)"), ["self.entry.last_error"]);
        assert_eq!(Marker::Receipts.vocabulary("host.record(ReceiptKind::Failure,NAME,e)"), ["ReceiptKind::Failure"]);
    }

    #[test]
    fn sections_end_at_the_next_heading_and_know_their_line() {
        let text = "# T\n\n## Rollout notes\n\n- dark\n- flag\n\n```\n## not a heading\n```\n## Next\nx\n";
        assert_eq!(section(text, "rollout notes").unwrap(), (5, "- dark\n- flag\n\n```\n## not a heading\n```".into()));
        assert_eq!(section(text, "Missing"), None);
        assert_eq!(section("## Empty\n\n## B\n", "Empty"), None);
    }

    #[test]
    fn flags_are_read_from_header_values_and_words_pluralised() {
        assert_eq!(flag_in("`FEATURE_SCHEDULER` (default `false`)").as_deref(), Some("FEATURE_SCHEDULER"));
        assert_eq!(flag_in("none"), None);
        assert_eq!(
            (plural(1, "entry"), plural(2, "entry"), plural(3, "test")),
            ("1 entry".into(), "2 entries".into(), "3 tests".into())
        );
    }
}
