//! Repository rules: every add-on has its four documents with the headers and sections its
//! template version requires (SOP 3.1, 3.2, 3.5, 9), its Depends-on references resolve and form no
//! cycle, its owning module exists, declares its flag, name and constructor (what the build
//! discovers) and the dependencies its spec names (`DEPENDS_ON`, what the runtime gates jobs on,
//! SOP 8.2), and is the only place that reads its flag; no module is compiled in without a spec;
//! `.env.example` switches no flag on (SOP 3.3, 3.4).
//!
//! These rules look at the working tree, as the engineer sees it. They read each document once;
//! the required headers and sections come from the loaded templates, never from a list here.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context as _;

use crate::addons::{Addon, Inventory};
use crate::ctx::Ctx;
use crate::docs::{self, Header, Status, PLACEHOLDER};
use crate::git::sparse;
use crate::layout;
use crate::render::Templates;

use super::{at, Facts, Finding};

pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let ctx = facts.ctx;
    let root = ctx.root();
    for problem in &facts.inventory.problems {
        findings.push(Finding::error(
            "sop-3.1/spec-name",
            at(&problem.path, None),
            problem.message.clone(),
            format!(
                "rename it to `{}` with a valid feature name (git mv)",
                crate::names::doc_file_name(&ctx.config, "Spec", "<Feature>")
            ),
        ));
    }
    // Loaded at the first document the cache cannot answer: a stored verdict was reached with
    // these very templates (their bytes are in the cache's key), so they loaded then and would
    // load now.
    let templates = LazyTemplates { root, loaded: std::cell::OnceCell::new() };
    let templates_at = findings.len();
    for addon in &facts.inventory.addons {
        documents(facts, &templates, addon, findings)?;
    }
    if let Some(Err(error)) = templates.loaded.get() {
        findings.insert(
            templates_at,
            Finding::error(
                "sop-9/templates",
                Some("templates/".into()),
                format!("the templates cannot be loaded, so no document's sections were checked: {error}"),
                "fix the template, then check it: cargo xtask templates --check".into(),
            ),
        );
    }
    depends_on(facts, findings);
    flags(facts, findings)?;
    modules(facts, findings)?;
    // A function of the tracked paths alone: from the cache while git's index file is unchanged,
    // or, when a pushed commit is judged instead of the index, by that commit.
    let compute = || -> anyhow::Result<Vec<Finding>> {
        let mut found = Vec::new();
        let paths: Vec<String> = facts.tracked()?.iter().map(|entry| entry.path.clone()).collect();
        case_collisions(&paths, &mut found);
        Ok(found)
    };
    let collisions: Vec<Finding> = match facts.branch.judged {
        Some(commit) => ctx.cache.memo("case-collisions-of", &commit.to_string(), compute)?,
        None => ctx.cache.derive("case-collisions", ctx.repo.git_dir(), "index", "", |_| compute())?,
    };
    findings.extend(collisions);
    Ok(())
}

/// Tracked paths that differ only in case (`Foo.md` and `foo.md`, or folders `Docs/` and
/// `docs/`): on macOS and Windows they are one file, so a clone there loses one of them
/// (SOP 4.9). One pass over the index; each folder and file name is looked up once per path.
fn case_collisions(paths: &[String], findings: &mut Vec<Finding>) {
    let mut seen: HashMap<String, &str> = HashMap::with_capacity(paths.len());
    let mut reported = std::collections::HashSet::new();
    for path in paths {
        let ends = path.match_indices('/').map(|(index, _)| index).chain([path.len()]);
        for end in ends {
            let prefix = &path[..end];
            let lower = prefix.to_lowercase();
            match seen.get(&lower) {
                None => {
                    seen.insert(lower, prefix);
                }
                Some(first) if *first != prefix => {
                    if reported.insert(prefix) {
                        let renamed = match prefix.rsplit_once('.').filter(|(stem, _)| !stem.ends_with('/')) {
                            Some((stem, extension)) if !extension.contains('/') => format!("{stem}-2.{extension}"),
                            _ => format!("{prefix}-2"),
                        };
                        findings.push(Finding::error(
                            "sop-4.9/case-collision",
                            at(prefix, None),
                            format!(
                                "`{prefix}` and `{first}` differ only in case: on macOS and Windows they are the same path, so a clone there keeps only one"
                            ),
                            format!(
                                "rename one so they differ in more than case: git mv -- {} {}",
                                crate::output::shell_word(prefix),
                                crate::output::shell_word(&renamed)
                            ),
                        ));
                    }
                    // The folder's files would all repeat the same finding.
                    break;
                }
                Some(_) => {}
            }
        }
    }
}

/// The templates, loaded on first use; the load's error as text.
struct LazyTemplates<'a> {
    root: &'a Path,
    loaded: std::cell::OnceCell<Result<Templates, String>>,
}

impl LazyTemplates<'_> {
    fn get(&self) -> Option<&Templates> {
        self.loaded.get_or_init(|| Templates::load(self.root).map_err(|error| format!("{error:#}"))).as_ref().ok()
    }
}

/// A document left unchecked because the templates cannot be loaded (reported once, above).
#[derive(Debug)]
struct NoTemplates;

impl std::fmt::Display for NoTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the templates cannot be loaded")
    }
}

impl std::error::Error for NoTemplates {}

fn documents(
    facts: &Facts<'_>,
    templates: &LazyTemplates<'_>,
    addon: &Addon,
    findings: &mut Vec<Finding>,
) -> anyhow::Result<()> {
    let ctx = facts.ctx;
    let root = ctx.root();
    if addon.spec != addon.names.spec {
        findings.push(Finding::warning(
            "sop-3.1/spec-name",
            at(&addon.spec, None),
            format!("spec `{}` is not named as the configuration expects (`{}`)", addon.feature, addon.names.spec),
            format!("rename it: git mv {} {}", addon.spec, addon.names.spec),
        ));
    }
    let documents: [(&'static str, &str, bool); 4] = [
        ("spec", &addon.spec, true),
        ("blueprint", &addon.names.blueprint, addon.has_blueprint),
        ("runbook", &addon.names.runbook, addon.has_runbook),
        ("architecture", &addon.names.architecture, addon.has_architecture),
    ];
    for (kind, path, exists) in documents {
        if !exists {
            let rule = if kind == "blueprint" { "sop-3.2/blueprint" } else { "sop-9/missing-document" };
            findings.push(Finding::error(
                rule,
                at(path, None),
                format!(
                    "add-on `{}` has no {kind} (SOP 9: spec, blueprint, runbook and architecture note)",
                    addon.feature
                ),
                missing_hint(facts, path, &format!("write it from templates/{kind}.md.tera")),
            ));
            continue;
        }
        // Its findings depend on the file, its kind and the spec's status (the templates are
        // in the cache's key). Without templates it is not checked, and nothing is stored.
        let extra = format!("{kind} {:?}", addon.status);
        let found = ctx.cache.derive("document", root, path, &extra, |full| {
            let Some(templates) = templates.get() else { return Err(NoTemplates.into()) };
            let text = sparse::read_to_string(full).with_context(|| format!("failed to read `{}`", full.display()))?;
            Ok(check_document(templates, kind, path, &text, addon.status))
        });
        match found {
            Ok(found) => findings.extend(found),
            Err(error) if error.is::<NoTemplates>() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// The rule a missing header key or section of a document breaks.
fn section_rule(kind: &str, parent: &str) -> &'static str {
    match kind {
        "spec" if parent.eq_ignore_ascii_case("## Scope") => "sop-3.1/scope",
        "spec" if parent.eq_ignore_ascii_case("## Contracts") => "sop-3.5/contracts",
        "spec" => "sop-3.1/spec-sections",
        "blueprint" => "sop-3.2/blueprint-sections",
        _ => "sop-9/document-sections",
    }
}

fn header_rule(kind: &str) -> &'static str {
    match kind {
        "spec" => "sop-3.1/spec-header",
        "blueprint" => "sop-3.2/blueprint-header",
        _ => "sop-9/document-header",
    }
}

/// Checks one document against the template version it declares: header keys, sections and
/// placeholders. `status` is the add-on's spec status (it decides whether a spec's placeholders
/// are an error). Used by `check` and by `spec approve`.
pub fn check_document(
    templates: &Templates,
    kind: &'static str,
    path: &str,
    text: &str,
    status: Option<Status>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let header = Header::parse(text);
    let template = templates.get(kind);
    let template_hint = format!("compare it with templates/{kind}.md.tera (v{})", template.version);
    let template_line = header.field("Template").map(|field| field.line);
    let check_sections = match header.template() {
        Some((declared, version)) if declared == kind && version == template.version => true,
        Some((declared, version)) if declared != kind => {
            findings.push(Finding::warning(
                "sop-9/template-version",
                at(path, template_line),
                format!("declares the template `{declared} v{version}`; a {kind} needs a `{kind}` template"),
                format!("set `**Template:** {kind} v{}`", template.version),
            ));
            true
        }
        Some((_, version)) => {
            findings.push(Finding::warning(
                "sop-9/template-version",
                at(path, template_line),
                format!("{kind} template v{version} is not known here (the templates are at v{}), so its sections were not checked", template.version),
                format!("bring it up to date with templates/{kind}.md.tera and set `**Template:** {kind} v{}`", template.version),
            ));
            false
        }
        None => {
            findings.push(Finding::warning(
                "sop-9/template-version",
                at(path, None),
                format!("has no `**Template:**` line; checked against {kind} template v{}", template.version),
                format!("add `**Template:** {kind} v{}` to its header", template.version),
            ));
            true
        }
    };

    if kind == "spec" {
        if let Err(problem) = header.status() {
            findings.push(Finding::error(
                "sop-3.1/spec-header",
                at(path, header.field("Status").map(|field| field.line)),
                format!("the spec's status cannot be read: {problem}"),
                "write `**Status:** Draft` in the header (then Approved, In Progress, Complete or Superseded via cargo xtask spec)".into(),
            ));
        }
        // Every reader takes the first Status line: a second one is a status nobody sees.
        let statuses: Vec<usize> =
            header.fields.iter().filter(|field| field.key == "Status").map(|field| field.line).collect();
        if let [_, second, ..] = statuses[..] {
            findings.push(Finding::error(
                "sop-3.1/spec-header",
                at(path, Some(second)),
                format!(
                    "the header has {} `**Status:**` lines; every reader takes the first, line {}",
                    statuses.len(),
                    statuses[0]
                ),
                format!("delete the other Status lines (line {second} and after), keeping the one that is true"),
            ));
        }
    }

    if check_sections {
        for key in template.required_fields.iter().map(String::as_str) {
            if header.field(key).is_none() {
                findings.push(Finding::error(
                    header_rule(kind),
                    at(path, None),
                    format!(
                        "the header has no `**{key}:**` line, which {kind} template v{} requires",
                        template.version
                    ),
                    format!("add `**{key}:** …` to the header; {template_hint}"),
                ));
            }
        }
        let present: Vec<&str> = docs::headings(text).into_iter().map(|(_, heading)| heading).collect();
        let mut parent = String::new();
        for heading in template.headings() {
            if heading.starts_with("## ") {
                parent = heading.clone();
            }
            // Exact first (a memcmp, even unoptimised); the loose comparison only for the rest.
            if present.contains(&heading.as_str()) || present.iter().any(|candidate| same_heading(candidate, heading)) {
                continue;
            }
            findings.push(Finding::error(
                section_rule(kind, &parent),
                at(path, None),
                format!("the section `{heading}` is missing ({kind} template v{})", template.version),
                format!("add `{heading}` and fill it in; {template_hint}"),
            ));
        }
    }

    let placeholder_lines: Vec<usize> = if text.contains(PLACEHOLDER) {
        text.lines().enumerate().filter(|(_, line)| line.contains(PLACEHOLDER)).map(|(index, _)| index + 1).collect()
    } else {
        Vec::new()
    };
    if let Some(first) = placeholder_lines.first() {
        let count = placeholder_lines.len();
        let lines = placeholder_lines.iter().take(8).map(usize::to_string).collect::<Vec<_>>().join(", ");
        let message = format!(
            "{count} `{PLACEHOLDER}` placeholder(s) left (lines {lines}{})",
            if count > 8 { ", …" } else { "" }
        );
        let hint = format!("replace each `{PLACEHOLDER}` with the real content");
        let finding = match (kind, status) {
            ("spec", Some(status)) if status > Status::Draft => Finding::error(
                "sop-3.5/placeholder",
                at(path, Some(*first)),
                // `spec approve` asks about the status the spec would have: only a status the
                // header holds is stated as the spec's.
                match header.status() {
                    Ok(current) if current == status => {
                        format!("the spec is {status} but its contracts are not defined: {message}")
                    }
                    _ => format!("its contracts are not defined: {message}"),
                },
                format!("{hint}; contracts are defined before implementation (SOP 3.5)"),
            ),
            ("spec", _) => Finding::warning(
                "sop-3.5/placeholder",
                at(path, Some(*first)),
                format!("draft: {message}"),
                format!("{hint}; `cargo xtask spec approve` refuses until none are left"),
            ),
            _ => Finding::warning("sop-9/placeholder", at(path, Some(*first)), message, hint),
        };
        findings.push(finding);
    }
    findings
}

/// `##  Scope ` and `## scope` are the same heading.
/// Headings compare loosely: same level, same words, any case and spacing. Allocation-free, as
/// it runs for every heading of every document.
fn same_heading(one: &str, other: &str) -> bool {
    let mut one = one.split_whitespace();
    let mut other = other.split_whitespace();
    loop {
        match (one.next(), other.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
            _ => return false,
        }
    }
}

/// SOP 3.1: every `Depends on` entry of `addon` names a spec of `inventory`. The entries it
/// resolves, and an error finding for each that names no spec: `check`'s rule, which `spec approve`
/// and `spec start` apply too (a frozen spec's `Depends on` can no longer be fixed).
pub(crate) fn dependency_findings(ctx: &Ctx, inventory: &Inventory, addon: &Addon) -> (Vec<String>, Vec<Finding>) {
    let config = &ctx.config;
    let mut findings = Vec::new();
    let line = addon.header.field("Depends on").map(|field| field.line);
    let mut resolved = Vec::new();
    // Resolved once, by the inventory, through `names::resolve_dependency`: `graph`, `status`
    // and `spec` read the same answer.
    for dependency in &addon.dependencies {
        let entry = &dependency.written;
        match &dependency.feature {
            Ok(feature) if inventory.find(feature).is_some() => resolved.push(feature.clone()),
            Ok(feature) => {
                let missing = crate::names::Names::derive(feature, "feat", config);
                let (spec, create) = match &missing {
                    Ok(names) => (names.spec.as_str(), format!("cargo xtask new-addon {}", names.slug)),
                    Err(_) => (entry.as_str(), "cargo xtask new-addon <name>".to_string()),
                };
                // A teammate's slice of that name in flight (pushed, not merged): creating it
                // again would duplicate it (SOP 4.1); it lands first, then this spec builds on it.
                let in_flight = missing.as_ref().ok().and_then(|names| {
                    let main = ctx.repo.main_commit(&config.main_branch, &config.remote).ok()?;
                    ctx.repo.slice_on_remote(&config.remote, &config.branch_kinds, &names.slug, main)
                });
                let hint = match in_flight {
                    Some(branch) => format!(
                        "`{entry}` is a teammate's slice in flight on `{branch}`, not merged yet: do not create it again; once it lands this spec can build on it (or name another spec, or write `none`); see it: git log --oneline -1 {}",
                        crate::output::shell_word(&branch)
                    ),
                    None => format!(
                        "list the specs (cargo xtask spec list) and name one, write `none`, or create it: {create}"
                    ),
                };
                findings.push(Finding::error(
                    "sop-3.1/depends-on",
                    at(&addon.spec, line),
                    format!("spec `{}` depends on `{entry}`, which is not a spec here (no `{spec}`)", addon.feature),
                    hint,
                ));
            }
            Err(error) => {
                let example = inventory
                    .addons
                    .iter()
                    .find(|other| other.feature != addon.feature)
                    .map_or_else(|| "none".to_string(), |other| crate::names::dependency_link(&other.names));
                findings.push(Finding::error(
                    "sop-3.1/depends-on",
                    at(&addon.spec, line),
                    format!("spec `{}` depends on `{entry}`, which is not a spec name: {error}", addon.feature),
                    format!("name an existing spec (cargo xtask spec list) as `{example}`, or write `none`"),
                ));
            }
        }
    }
    (resolved, findings)
}

fn depends_on(facts: &Facts<'_>, findings: &mut Vec<Finding>) {
    let inventory = &facts.inventory;
    let mut graph: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for addon in &inventory.addons {
        let (resolved, missing) = dependency_findings(facts.ctx, inventory, addon);
        findings.extend(missing);
        graph.insert(&addon.feature, resolved);
    }

    // Depth-first search; a back edge closes a cycle, reported once from its first spec.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = graph.keys().map(|feature| (*feature, Mark::New)).collect();
    for start in graph.keys() {
        if marks[start] != Mark::New {
            continue;
        }
        // (node, index of the next edge to follow)
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Active);
        while let Some((node, next)) = stack.last().copied() {
            let edges = &graph[node];
            if next == edges.len() {
                marks.insert(node, Mark::Done);
                stack.pop();
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let target = edges[next].as_str();
            match marks.get(target).copied() {
                Some(Mark::New) => {
                    marks.insert(target, Mark::Active);
                    stack.push((target, 0));
                }
                Some(Mark::Active) => {
                    let from = stack.iter().position(|(feature, _)| *feature == target).unwrap_or(0);
                    let mut cycle: Vec<&str> = stack[from..].iter().map(|(feature, _)| *feature).collect();
                    cycle.push(target);
                    let first = inventory.find(target);
                    findings.push(Finding::error(
                        "sop-3.1/depends-on-cycle",
                        first.and_then(|addon| at(&addon.spec, addon.header.field("Depends on").map(|f| f.line))),
                        format!("specs depend on each other in a cycle: {}", cycle.join(" → ")),
                        "remove one of these Depends-on references: a slice depends only on slices before it".into(),
                    ));
                }
                _ => {}
            }
        }
    }
}

/// The well-formed `KEY=value` definitions of a dotenv file with their line numbers, read by the
/// runtime's own line syntax ([`layout::dotenv`]); malformed lines are left out (see
/// [`env_syntax_errors`]).
pub fn env_lines(text: &str) -> Vec<(usize, String, String)> {
    layout::dotenv::definitions(text)
        .filter_map(|(line, entry)| entry.ok().map(|(key, value)| (line, key, value)))
        .collect()
}

/// The lines of a dotenv file the runtime would refuse, with the reason it gives: malformed
/// lines and second definitions, by the runtime's own rule ([`layout::dotenv::read`]).
pub fn env_syntax_errors(text: &str) -> Vec<(usize, String)> {
    let (_, refused) = layout::dotenv::read(text);
    refused
        .into_iter()
        .map(|refused| match refused {
            layout::dotenv::Refused::Malformed { line, reason } => (line, reason),
            layout::dotenv::Refused::Duplicate { key, first_line, second_line } => {
                (second_line, format!("`{key}` is defined again (first on line {first_line})"))
            }
        })
        .collect()
}

/// What the runtime makes of the clone's `.env` (`cargo run -- …`), as `status` shows it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EnvVerdict {
    /// Each `FEATURE_*` flag `.env` sets, with its value, when the runtime accepts its line.
    pub values: std::collections::BTreeMap<String, String>,
    /// Each `FEATURE_*` flag whose line(s) the runtime refuses, with why in a few words (for a
    /// table cell): it is not on, and the runtime does not start until the line is fixed.
    pub refused: std::collections::BTreeMap<String, String>,
    /// Every line the runtime refuses, in file order: what is wrong and the fix, one line each.
    pub problems: Vec<String>,
}

/// Judges a `.env` (`text`, shown as `shown`) by the runtime's rules, all of them compiled in
/// from `src/dotenv/syntax.rs`: a malformed line, a variable defined twice, and a registered
/// flag's value other than `true`/`false` each stop the runtime (exit 2). `registered` says
/// which flags the build registers; an unknown `FEATURE_*` name is only a warning there, whatever
/// its value, so it is judged by the callers that warn about it.
pub fn env_verdict(text: &str, shown: &str, registered: &dyn Fn(&str) -> bool) -> EnvVerdict {
    use layout::dotenv::{flag_value, read, Refused};
    let refuses = "the runtime refuses to start with it (exit 2)";
    let (kept, refused) = read(text);
    let mut verdict = EnvVerdict::default();
    for refusal in refused {
        match refusal {
            Refused::Malformed { line, reason } => verdict.problems.push(format!(
                "`{shown}` line {line} is malformed: {reason}; {refuses}: write line {line} of {shown} as `KEY=VALUE` (or make it a comment with `#`)"
            )),
            Refused::Duplicate { key, first_line, second_line } => {
                verdict.problems.push(format!(
                    "`{key}` is defined twice in `{shown}`: line {first_line} and line {second_line}; {refuses}: keep one definition, delete line {first_line} or line {second_line} of {shown}"
                ));
                if key.starts_with("FEATURE_") {
                    verdict.refused.insert(key, "defined twice".into());
                }
            }
        }
    }
    for (line, key, value) in kept {
        if !key.starts_with("FEATURE_") || verdict.refused.contains_key(&key) {
            continue;
        }
        if registered(&key) && flag_value(&value).is_none() {
            verdict.problems.push(format!(
                "`{key}={value}` on line {line} of `{shown}` is not a valid flag value; {refuses}: write line {line} of {shown} as `{key}=true` (or `{key}=false`)"
            ));
            verdict.refused.insert(key, format!("`{value}` is not true/false"));
            continue;
        }
        verdict.values.insert(key, value);
    }
    verdict
}

/// A kit file's text for a marker search (ASCII): bytes that are not UTF-8 are another rule's
/// finding, not a reason to stop.
fn read_optional(root: &Path, relative: &str) -> anyhow::Result<Option<String>> {
    let path = root.join(relative);
    match sparse::read(&path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("failed to read `{}`", path.display())),
    }
}

fn flags(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let root = facts.ctx.root();
    let addons = &facts.inventory.addons;
    let env_path = layout::ENV_EXAMPLE;

    // The first layout's hand-edited lists: one finding that says how to move on.
    for (file, marker) in layout::legacy::MARKERS {
        if read_optional(root, file)?.is_some_and(|text| text.lines().any(|line| line.trim() == *marker)) {
            findings.push(Finding::error(
                "sop-3.3/legacy-layout",
                at(file, None),
                format!(
                    "`{file}` still has the hand-edited list `{marker}`: every slice edits it, so parallel slices conflict"
                ),
                "move to build-time discovery, previewing first: cargo xtask migrate --dry-run".into(),
            ));
            break;
        }
    }

    // What the build compiles in: every module under src/core and what it declares.
    let (declared, bad) = layout::declared_addons_cached(root, &facts.ctx.cache)?;
    for (file, reason) in &bad {
        findings.push(Finding::error(
            "sop-3.4/owner-module",
            at(file, None),
            format!("the build stops on `{file}`: {reason}"),
            format!("rename it to a module name, e.g.: git mv {file} src/core/<module>.rs"),
        ));
    }
    let by_module: HashMap<&str, &layout::Declared> = declared.iter().map(|d| (d.module.as_str(), d)).collect();
    let mut flag_owners: BTreeMap<&str, Vec<&layout::Declared>> = BTreeMap::new();
    for module in &declared {
        if let Some((flag, _)) = &module.flag {
            flag_owners.entry(flag.as_str()).or_default().push(module);
        }
    }
    for addon in addons {
        let names = &addon.names;
        let Some(module) = by_module.get(names.snake.as_str()) else { continue };
        match &module.flag {
            Some((flag, _)) if *flag == names.flag => {}
            Some((flag, line)) => findings.push(Finding::error(
                "sop-3.3/flag-declaration",
                at(&module.file, Some(*line)),
                format!(
                    "`{}` declares the flag `{flag}`, but add-on `{}` is gated by `{}`",
                    module.file, addon.feature, names.flag
                ),
                format!("write it as `{}`", layout::flag_declaration(&names.flag)),
            )),
            None => findings.push(Finding::error(
                "sop-3.3/flag-declaration",
                at(&module.file, None),
                format!("`{}` declares no flag, so add-on `{}` is not gated (SOP 3.3)", module.file, addon.feature),
                format!("add this line to {}: {}", module.file, layout::flag_declaration(&names.flag)),
            )),
        }
        match &module.name {
            Some((name, _)) if *name == names.snake => {}
            Some((name, line)) => findings.push(Finding::error(
                "sop-3.3/flag-declaration",
                at(&module.file, Some(*line)),
                format!("`{}` names itself `{name}`; the war room and receipts expect `{}`", module.file, names.snake),
                format!("write it as `pub const NAME: &str = \"{}\";`", names.snake),
            )),
            None => findings.push(Finding::error(
                "sop-3.3/flag-declaration",
                at(&module.file, None),
                format!("`{}` declares no `NAME`, so the build cannot register it", module.file),
                format!("add this line to {}: pub const NAME: &str = \"{}\";", module.file, names.snake),
            )),
        }
        code_depends_on(facts, addon, module, findings);
        if !module.has_constructor {
            findings.push(Finding::error(
                "sop-3.3/flag-declaration",
                at(&module.file, None),
                format!("`{}` has no `pub fn addon()`, so the runtime cannot boot it", module.file),
                format!(
                    "add to {}: pub fn addon() -> Box<dyn Addon> {{ Box::new({}::new()) }}",
                    module.file, addon.feature
                ),
            ));
        }
    }
    for (flag, owners) in &flag_owners {
        if owners.len() > 1 {
            let files: Vec<&str> = owners.iter().map(|d| d.file.as_str()).collect();
            findings.push(Finding::error(
                "sop-3.4/single-owner",
                at(&owners[1].file, owners[1].flag.as_ref().map(|(_, line)| *line)),
                format!("`{flag}` is declared by {} modules: {}", owners.len(), files.join(", ")),
                "keep one owner per capability (SOP 3.4): each add-on declares its own flag".into(),
            ));
        }
    }
    for module in orphan_modules(&declared, addons) {
        findings.push(Finding::error(
            "sop-3.3/orphan-flag",
            at(&module.file, None),
            orphan_message(module),
            "restore the add-on's spec, or remove the module: a flag belongs to exactly one specified add-on".into(),
        ));
    }

    // `.env.example` documents no flag by obligation; any flag it shows must be owned and off.
    // It must be UTF-8 (the runtime and its tests read it as text): a line that is not is a
    // finding, and the rest of the file is still judged.
    let env_text = match sparse::read(&root.join(env_path)) {
        Ok(bytes) => Some(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let bytes = error.as_bytes();
                let line = bytes[..error.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
                findings.push(Finding::error(
                    "sop-3.3/env-example-syntax",
                    at(env_path, Some(line)),
                    format!("line {line} of `{env_path}` is not UTF-8 text; the runtime and its build read the file as UTF-8"),
                    format!(
                        "save {env_path} as UTF-8; the line's bytes are shown by:\nsed -n '{line}p' {} | od -c",
                        crate::git::hint::root_path(env_path)
                    ),
                ));
                String::from_utf8_lossy(bytes).into_owned()
            }
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error).with_context(|| format!("failed to read `{env_path}`")),
    };
    let known: std::collections::HashSet<&str> = addons.iter().map(|addon| addon.names.flag.as_str()).collect();
    for (line, reason) in env_text.as_deref().map(env_syntax_errors).unwrap_or_default() {
        findings.push(Finding::error(
            "sop-3.3/env-example-syntax",
            at(env_path, Some(line)),
            format!("line {line} of `{env_path}` is malformed: {reason}; a `.env` copied from it stops the runtime"),
            format!("write line {line} of {env_path} as `KEY=value`, or make it a comment with `#`"),
        ));
    }
    for (line, key, value) in env_text.as_deref().map(env_lines).unwrap_or_default() {
        let (key, value) = (key.as_str(), value.as_str());
        if !key.starts_with("FEATURE_") {
            continue;
        }
        if !known.contains(key) {
            findings.push(Finding::error(
                "sop-3.3/orphan-flag",
                at(env_path, Some(line)),
                format!("`{key}` is in `{env_path}` but no add-on owns it"),
                format!("remove line {line} of {env_path}, or restore the add-on's spec"),
            ));
        } else if !value.eq_ignore_ascii_case("false") {
            findings.push(Finding::error(
                "sop-3.3/flag-env-example",
                at(env_path, Some(line)),
                format!("`{key}` defaults to `{value}` in `{env_path}`; add-ons ship dark (`false`)"),
                format!("write `{key}=false` on line {line} of {env_path}"),
            ));
        }
    }
    Ok(())
}

/// The module's `DEPENDS_ON` (what the runtime gates the add-on's jobs on) names the same add-ons
/// as its spec's Depends on. Both sides go through `names::resolve_dependency`, so `health_monitor`
/// in code and `[HealthMonitor](…Spec_HealthMonitor.md)` in the spec agree. A spec entry that
/// resolves to no name or names no spec is the Depends-on rule's finding, not this one's.
fn code_depends_on(facts: &Facts<'_>, addon: &Addon, module: &layout::Declared, findings: &mut Vec<Finding>) {
    let config = &facts.ctx.config;
    let Ok(spec) =
        addon.dependencies.iter().map(|dependency| dependency.feature.clone()).collect::<Result<Vec<String>, _>>()
    else {
        return;
    };
    if spec.iter().any(|feature| facts.inventory.find(feature).is_none()) {
        return; // the Depends-on rule names the spec that is missing
    }
    let (written, line) = module.depends_on.clone().map_or((Vec::new(), None), |(modules, line)| (modules, Some(line)));
    let mut code = Vec::with_capacity(written.len());
    for entry in &written {
        match crate::names::resolve_dependency(entry, config) {
            Ok(names) => code.push(names.feature),
            Err(error) => findings.push(Finding::error(
                "sop-8.2/depends-on-code",
                at(&module.file, line),
                format!("`{}` depends on `{entry}`, which is not an add-on name: {error}", module.file),
                "name each dependency by its module name, e.g. `health_monitor`".into(),
            )),
        }
    }
    if code.len() != written.len() {
        return;
    }
    let sorted = |features: &[String]| {
        let mut sorted = features.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted
    };
    if sorted(&code) == sorted(&spec) {
        return;
    }
    let expected: Vec<String> = spec
        .iter()
        .map(|feature| {
            crate::names::Names::derive(feature, "feat", config).map_or_else(|_| feature.clone(), |n| n.snake)
        })
        .collect();
    let list = |features: &[String]| {
        if features.is_empty() {
            "nothing".to_string()
        } else {
            features.iter().map(|feature| format!("`{feature}`")).collect::<Vec<_>>().join(", ")
        }
    };
    let fix = layout::depends_on_declaration(&expected);
    findings.push(Finding::error(
        "sop-8.2/depends-on-code",
        at(&module.file, line),
        format!(
            "`{}` depends on {} at run time, but its spec `{}` depends on {}: the runtime would gate its jobs on the wrong add-ons",
            module.file,
            list(&code),
            addon.feature,
            list(&spec)
        ),
        match line {
            Some(_) => format!("write the spec's list in the module: {fix} (or change the spec's Depends on)"),
            None => format!("declare it in {} and return it from `depends_on()`: {fix}", module.file),
        },
    ));
}

/// Every `.rs` file under `dir`, relative to `root`, `/`-separated, sorted; those a sparse
/// checkout leaves out included.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for (name, file, folder) in sparse::absent_in(dir) {
        let path = dir.join(&name);
        if folder {
            rust_files(root, &path, out)?;
        } else if file && name.ends_with(".rs") {
            if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to read `{}`", dir.display()))?;
        let file_type = entry.file_type().with_context(|| format!("failed to read `{}`", entry.path().display()))?;
        let path = entry.path();
        if file_type.is_dir() {
            rust_files(root, &path, out)?;
        } else if file_type.is_file() && path.extension().is_some_and(|extension| extension == "rs") {
            if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(())
}

/// The `FEATURE_*` identifiers on a line of code (not in a `//` comment).
fn flag_mentions(line: &str) -> impl Iterator<Item = &str> {
    let code = line.split("//").next().unwrap_or(line);
    code.match_indices("FEATURE_").filter_map(move |(start, _)| {
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let length =
            code[start..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(code.len() - start);
        Some(&code[start..start + length])
    })
}

/// Every flag a Rust source names outside its unit tests (an item `#[cfg(test)]` marks may name
/// any flag; the code around and after it may not), with its 1-based line, in order: by its name
/// (`FEATURE_X`), or through a module's constant (`crate::core::scheduler::FLAG`, reported as
/// `scheduler::FLAG` for the rule to map to the add-on whose module it is).
fn flag_mentions_in(text: &str) -> Vec<(usize, String)> {
    let mut mentions = Vec::new();
    if !text.contains("FEATURE_") && !text.contains("::FLAG") {
        return mentions;
    }
    let tests = test_items(text);
    let code = text;
    for (offset, _) in code.match_indices("::FLAG") {
        let after = code[offset + "::FLAG".len()..].bytes().next();
        if after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            || tests.iter().any(|range| range.contains(&offset))
        {
            continue;
        }
        let module_start = code[..offset]
            .rfind(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .map_or(0, |at| at + 1);
        let module = &code[module_start..offset];
        if !module.is_empty() {
            let line_number = code[..offset].matches('\n').count() + 1;
            mentions.push((line_number, format!("{module}::FLAG")));
        }
    }
    // Visit only the lines that mention a flag: one substring search over the file instead of a
    // scan of every line (this runs over every module of thousands of add-ons).
    let mut line_start_seen = usize::MAX;
    for (offset, _) in code.match_indices("FEATURE_") {
        let line_start = code[..offset].rfind('\n').map_or(0, |newline| newline + 1);
        if line_start == line_start_seen {
            continue;
        }
        line_start_seen = line_start;
        if tests.iter().any(|range| range.contains(&offset)) {
            continue;
        }
        let line_end = code[offset..].find('\n').map_or(code.len(), |length| offset + length);
        let line_number = code[..line_start].matches('\n').count() + 1;
        mentions.extend(flag_mentions(&code[line_start..line_end]).map(|flag| (line_number, flag.to_string())));
    }
    mentions.sort_by_key(|(line, _)| *line);
    mentions
}

/// The byte ranges of the items `#[cfg(test)]` marks (the attribute alone on its line): from
/// the attribute to the `;` or the closing brace that ends the item. Braces are counted as
/// written: a string holding an unmatched brace can end a range early, which reports a test's
/// mention, never misses one of the code's.
fn test_items(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    for (offset, attribute) in text.match_indices("#[cfg(test)]") {
        let line_start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
        if !text[line_start..offset].trim().is_empty()
            || ranges.iter().any(|r: &std::ops::Range<usize>| r.contains(&offset))
        {
            continue;
        }
        let mut depth = 0usize;
        let mut end = text.len();
        for (index, byte) in text.bytes().enumerate().skip(offset + attribute.len()) {
            match byte {
                b'{' => depth += 1,
                b'}' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        end = index + 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    end = index + 1;
                    break;
                }
                _ => {}
            }
        }
        ranges.push(offset..end);
    }
    ranges
}

/// The way to a missing document or module: restored from the base or HEAD when one of them has
/// it (the command names the one that does), else `write` alone. A spec renamed on the branch
/// asks for documents under the new name that were never committed: no command restores those.
fn missing_hint(facts: &Facts<'_>, path: &str, write: &str) -> String {
    let sources: Vec<git2::Oid> = [facts.branch.main, facts.branch.head].into_iter().flatten().collect();
    match crate::git::hint::restore(&facts.ctx.repo, &facts.ctx.config, path, &sources) {
        Some(restore) => format!("{write}, or restore it:\n{restore}"),
        None => write.to_string(),
    }
}

fn modules(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let root = facts.ctx.root();
    let addons = &facts.inventory.addons;
    for addon in addons {
        if !addon.has_module {
            findings.push(Finding::error(
                "sop-3.4/owner-module",
                at(&addon.names.module, None),
                format!(
                    "add-on `{}` has no owning module (`{}` or `{}/`)",
                    addon.feature, addon.names.module, addon.names.module_dir
                ),
                missing_hint(facts, &addon.names.module, "create it from templates/module.rs.tera"),
            ));
        }
    }
    if addons.is_empty() {
        return Ok(());
    }
    // One pass over the runtime's sources: a flag may appear only in its owner and the registry.
    // Unit tests (everything from `#[cfg(test)]` on) and `tests/` may name any flag.
    let owners: HashMap<&str, &Addon> = addons.iter().map(|addon| (addon.names.flag.as_str(), addon)).collect();
    // `scheduler::FLAG` names the flag of the add-on whose module is `scheduler`.
    let by_module: HashMap<&str, &Addon> = addons.iter().map(|addon| (addon.names.snake.as_str(), addon)).collect();
    let mut files = Vec::new();
    rust_files(root, &root.join("src"), &mut files)?;
    files.sort();
    for file in files {
        let mentions: Vec<(usize, String)> = facts.ctx.cache.derive("flag-mentions", root, &file, "", |full| {
            let text = sparse::read_to_string(full).with_context(|| format!("failed to read `{}`", full.display()))?;
            Ok(flag_mentions_in(&text))
        })?;
        for (line_number, mention) in mentions {
            let owner = match mention.strip_suffix("::FLAG") {
                Some(module) => by_module.get(module),
                None => owners.get(mention.as_str()),
            };
            let Some(owner) = owner else { continue };
            let flag = &owner.names.flag;
            let inside = file == owner.names.module || file.starts_with(&format!("{}/", owner.names.module_dir));
            if !inside {
                findings.push(Finding::error(
                    "sop-3.4/single-owner",
                    at(&file, Some(line_number)),
                    format!(
                        "`{flag}` is read outside its owning module `{}` (SOP 3.4: one owner per capability)",
                        owner.names.module
                    ),
                    format!(
                        "move this logic into {} and expose what others need through its public methods",
                        owner.module_path(root)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The modules compiled in as add-ons that no spec owns (SOP 3.3): `check`'s orphan-flag
/// finding and the war room's problem line alike.
pub fn orphan_modules<'a>(
    declared: &'a [layout::Declared],
    addons: &[crate::addons::Addon],
) -> Vec<&'a layout::Declared> {
    let owned: std::collections::HashSet<&str> = addons.iter().map(|addon| addon.names.snake.as_str()).collect();
    declared.iter().filter(|module| !owned.contains(module.module.as_str())).collect()
}

/// What an orphan module is, in one sentence.
pub fn orphan_message(module: &layout::Declared) -> String {
    format!(
        "`{}` is compiled in as an add-on{}, but no spec owns it",
        module.file,
        module.flag.as_ref().map(|(flag, _)| format!(" gated by `{flag}`")).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the items `#[cfg(test)]` marks may name any flag: code after a one-line test item,
    /// or after a file's test module, is read (a flag read there was missed when the scan
    /// stopped at the first attribute).
    #[test]
    fn flags_after_a_test_item_are_still_read() {
        let text = "use x;\n#[cfg(test)]\nconst T: &str = \"FEATURE_A\";\npub fn peek() -> bool { std::env::var(\"FEATURE_B\").is_ok() }\n\n#[cfg(test)]\nmod tests {\n    fn t() { let _ = \"FEATURE_C\"; if true { } }\n}\n\nfn after() { let _ = \"FEATURE_D\"; }\n";
        let found: Vec<(usize, String)> = flag_mentions_in(text);
        assert_eq!(found, [(4, "FEATURE_B".to_string()), (11, "FEATURE_D".to_string())]);
        // The usual layout: everything from the test module on is a test.
        let usual =
            "fn f() { let _ = \"FEATURE_E\"; }\n\n#[cfg(test)]\nmod tests {\n    const F: &str = \"FEATURE_F\";\n}\n";
        assert_eq!(flag_mentions_in(usual), [(1, "FEATURE_E".to_string())]);
    }

    /// A flag read through its owner's constant is a mention of that module's flag; a longer
    /// constant (`FLAG_X`), a `{name}::FLAG` template and a test item's are not.
    #[test]
    fn a_flag_read_through_its_owners_constant_is_a_mention() {
        let text = "fn f(f: &Flags) -> bool {\n    f.is_enabled(crate::core::health_monitor::FLAG)\n}\nconst A: &str = other::FLAG_X;\nconst B: &str = \"{name}::FLAG\";\n#[cfg(test)]\nmod tests {\n    const C: &str = scheduler::FLAG;\n}\n";
        assert_eq!(flag_mentions_in(text), [(2, "health_monitor::FLAG".to_string())]);
    }

    /// Paths that differ only in case are one finding each, folders included; distinct paths
    /// that share a prefix are none.
    #[test]
    fn case_collisions_are_found_in_one_pass() {
        let paths: Vec<String> =
            ["Foo.md", "foo.md", "docs/a.md", "Docs/b.md", "Docs/c.md", "src/x.rs", "src/xy.rs", "src/X.rs"]
                .iter()
                .map(|p| p.to_string())
                .collect();
        let mut findings = Vec::new();
        case_collisions(&paths, &mut findings);
        let located: Vec<_> = findings.iter().map(|f| f.location.clone().unwrap_or_default()).collect();
        assert_eq!(located, ["foo.md", "Docs", "src/X.rs"]);
        assert!(findings.iter().all(|f| f.rule == "sop-4.9/case-collision"));
        assert!(findings[0].hint.ends_with("git mv -- foo.md foo-2.md"), "{}", findings[0].hint);
        findings.clear();
        case_collisions(&["a/b.rs".to_string(), "a/bc.rs".to_string(), "ab".to_string()], &mut findings);
        assert!(findings.is_empty());
    }

    #[test]
    fn flag_mentions_skip_comments_and_longer_names() {
        let line = r#"let x = env("FEATURE_A"); let y = MY_FEATURE_B; // FEATURE_C"#;
        assert_eq!(flag_mentions(line).collect::<Vec<_>>(), ["FEATURE_A"]);
        assert_eq!(flag_mentions("FEATURE_A_B.len()").collect::<Vec<_>>(), ["FEATURE_A_B"]);
    }

    #[test]
    fn headings_compare_loosely() {
        assert!(same_heading("##  Scope ", "## scope"));
        assert!(!same_heading("### Scope", "## Scope"));
        assert!(!same_heading("## Scope", "## Scope extra"));
    }

    /// Defect (qa3 repro-5): `status` took the last of two definitions of a flag and showed a
    /// `yes` as the flag's value, while the runtime refuses both `.env` files (exit 2). The
    /// verdict is the runtime's: the line is refused, the flag is not on, and the fix is named.
    #[test]
    fn env_verdict_refuses_what_the_runtime_refuses() {
        let registered = |flag: &str| flag == "FEATURE_A" || flag == "FEATURE_B";
        let verdict = env_verdict("FEATURE_A=false\nFEATURE_A=true\nFEATURE_B=TRUE\n", ".env", &registered);
        assert_eq!(verdict.values.get("FEATURE_A"), None, "a flag defined twice is not on: {verdict:?}");
        assert_eq!(verdict.refused.get("FEATURE_A").map(String::as_str), Some("defined twice"));
        assert_eq!(verdict.values.get("FEATURE_B").map(String::as_str), Some("TRUE"), "any case, as the runtime");
        assert_eq!(
            verdict.problems,
            ["`FEATURE_A` is defined twice in `.env`: line 1 and line 2; the runtime refuses to start with it (exit 2): keep one definition, delete line 1 or line 2 of .env"]
        );
        for value in ["yes", "1", "on", ""] {
            let verdict = env_verdict(&format!("FEATURE_B={value}\nFEATURE_X=yes\n"), ".env", &registered);
            assert_eq!(verdict.values.get("FEATURE_B"), None, "{value:?}: {verdict:?}");
            assert!(verdict.refused.contains_key("FEATURE_B"), "{value:?}");
            assert_eq!(verdict.problems.len(), 1, "an unregistered flag is only the unknown-flag warning: {verdict:?}");
            assert!(verdict.problems[0].ends_with("write line 1 of .env as `FEATURE_B=true` (or `FEATURE_B=false`)"));
            assert_eq!(verdict.values.get("FEATURE_X").map(String::as_str), Some("yes"));
        }
        let verdict = env_verdict("OTHER=1\nOTHER=2\nnot a line\n", ".env", &registered);
        assert_eq!(verdict.problems.len(), 2, "{verdict:?}");
        assert!(verdict.refused.is_empty());
    }

    #[test]
    fn env_lines_read_keys_and_values() {
        // The runtime's reading: a trailing comment is no part of the value, quotes are removed.
        let text = "# c\nexport A=1\nB = \"x # y\"\n\nnot a line\nFEATURE_C=false # off until launch\n";
        let owned = |line: usize, key: &str, value: &str| (line, key.to_string(), value.to_string());
        assert_eq!(env_lines(text), [owned(2, "A", "1"), owned(3, "B", "x # y"), owned(6, "FEATURE_C", "false")]);
        let errors = env_syntax_errors(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, 5);
        // A `.env` copied from a `.env.example` that defines a variable twice stops the runtime too.
        let errors = env_syntax_errors("FEATURE_C=false\nFEATURE_C=false\n");
        assert_eq!(errors, [(2, "`FEATURE_C` is defined again (first on line 1)".to_string())]);
    }

    fn spec(contracts: &str, status: &str) -> String {
        let templates = Templates::load(Path::new("/nonexistent")).unwrap();
        let template = templates.get("spec");
        let mut text = format!("# T\n\n**Status:** {status}  \n**Depends on:** none  \n**Feature flag:** `FEATURE_X`  \n**Owner module:** `src/core/x.rs`  \n**Branch:** `feat/x`  \n**Created:** 2026-01-01  \n**Template:** spec v{}\n\n", template.version);
        for heading in template.headings() {
            text.push_str(&format!("{heading}\n\n{contracts}\n\n"));
        }
        text
    }

    #[test]
    fn a_complete_spec_has_no_findings_and_gaps_are_named() {
        let templates = Templates::load(Path::new("/nonexistent")).unwrap();
        let good = spec("Filled in.", "Approved");
        assert_eq!(check_document(&templates, "spec", "s.md", &good, Some(Status::Approved)), []);

        let no_excluded = good.replace("### Excluded", "### Left out");
        let findings = check_document(&templates, "spec", "s.md", &no_excluded, Some(Status::Approved));
        assert_eq!(findings.iter().map(|f| f.rule).collect::<Vec<_>>(), ["sop-3.1/scope"]);

        let no_endpoints = good.replace("### Endpoints", "");
        let findings = check_document(&templates, "spec", "s.md", &no_endpoints, Some(Status::Approved));
        assert_eq!(findings.iter().map(|f| f.rule).collect::<Vec<_>>(), ["sop-3.5/contracts"]);

        let no_flag = good.replace("**Feature flag:** `FEATURE_X`  \n", "");
        let findings = check_document(&templates, "spec", "s.md", &no_flag, Some(Status::Approved));
        assert_eq!(findings.iter().map(|f| f.rule).collect::<Vec<_>>(), ["sop-3.1/spec-header"]);
    }

    #[test]
    fn placeholders_warn_in_a_draft_and_fail_once_approved() {
        let templates = Templates::load(Path::new("/nonexistent")).unwrap();
        let draft = spec("TODO(sop): later", "Draft");
        let findings = check_document(&templates, "spec", "s.md", &draft, Some(Status::Draft));
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].rule, findings[0].severity), ("sop-3.5/placeholder", super::super::Severity::Warning));
        let approved = spec("TODO(sop): later", "Approved");
        let findings = check_document(&templates, "spec", "s.md", &approved, Some(Status::Approved));
        assert_eq!((findings[0].rule, findings[0].severity), ("sop-3.5/placeholder", super::super::Severity::Error));
        assert!(findings[0].location.as_deref().unwrap().starts_with("s.md:"));
    }

    #[test]
    fn an_unknown_template_version_warns_and_skips_sections() {
        let templates = Templates::load(Path::new("/nonexistent")).unwrap();
        let text = "# T\n**Status:** Draft\n**Template:** spec v99\n";
        let findings = check_document(&templates, "spec", "s.md", text, Some(Status::Draft));
        assert_eq!(findings.iter().map(|f| f.rule).collect::<Vec<_>>(), ["sop-9/template-version"]);
    }
}
