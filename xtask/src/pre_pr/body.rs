//! `pre-pr`'s PR description (SOP 4.3): a conventional-commit title, links to the branch's spec
//! and blueprint, the feature flag, the test evidence, the rollout notes from the blueprint, the
//! SOP 4.4 checklist (each box ticked only when the tool verified it, otherwise open with the
//! reason) and the merge method SOP 4.6 recommends for the branch's history.
//!
//! The checklist's wording is [`super::PR_CHECKLIST`]. This module only reads the repository and
//! renders text; `mod.rs` writes the file. The title and the whole text (the Summary, commit
//! subjects, links) pass the redaction layer (`redact.rs`) before anyone sees them: a PR is
//! public to the whole team and its text outlives any rotation.

use std::path::Path;

use git2::Oid;

use super::preflight::Branch;
use super::sync::Synced;
use super::verify::Sequence;
use super::PR_CHECKLIST;
use crate::changelog;
use crate::ctx::Ctx;
use crate::docs::{self, Header};
use crate::git::history::{ChangeKind, FileChange};
use crate::layout;
use crate::names::Names;

/// Everything the earlier steps established.
pub struct Inputs<'a> {
    pub branch: &'a Branch,
    /// The commit the verify step tested (HEAD after the sync).
    pub tested_commit: Oid,
    /// `None` with `--no-sync`.
    pub synced: Option<&'a Synced>,
    pub verify: &'a Sequence,
    /// The integration run, or why it was skipped.
    pub integration: Result<&'a Sequence, String>,
    pub compliance: Option<&'a crate::check::Report>,
}

/// One checklist box.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckItem {
    pub item: &'static str,
    pub ticked: bool,
    /// What the tool saw (ticked) or why the box is open.
    pub note: String,
}

/// SOP 4.6's advice for this branch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MergeAdvice {
    /// `squash` or `rebase`
    pub method: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Body {
    pub title: String,
    #[serde(skip)]
    pub text: String,
    /// Something in the title or the text looked like a secret and was masked.
    #[serde(skip)]
    pub masked: bool,
    pub spec: Option<String>,
    pub blueprint: Option<String>,
    pub flag: String,
    pub checklist: Vec<CheckItem>,
    pub merge: MergeAdvice,
}

/// A commit of the branch, as the title and the merge advice need it.
#[derive(Debug, Clone)]
struct BranchCommit {
    parents: usize,
    summary: String,
    conventional: bool,
}

/// The add-on slice the branch works on, if any: its names and what exists of its documents.
struct Slice {
    names: Names,
    spec_text: Option<String>,
    blueprint_text: Option<String>,
}

pub fn build(ctx: &Ctx, inputs: &Inputs<'_>) -> anyhow::Result<Body> {
    let repo = &ctx.repo;
    let config = &ctx.config;
    let head = inputs.tested_commit;
    let upstream = match inputs.synced {
        Some(synced) => Oid::from_str(&synced.upstream_commit).ok(),
        None => repo
            .remote_tracking_commit(&config.remote, &config.main_branch)
            .or_else(|| repo.main_commit(&config.main_branch, &config.remote).ok()),
    };
    let base = match upstream {
        Some(upstream) => repo.merge_base(head, upstream)?,
        None => None,
    };
    let mut commits = Vec::new();
    repo.for_each_commit(head, base, |commit| {
        let summary = commit.message.lines().next().unwrap_or_default().trim().to_string();
        let conventional = commit.parents > 1 || crate::check::check_commit_message(commit.message, config).is_ok();
        commits.push(BranchCommit { parents: commit.parents, summary, conventional });
    })?;
    let changes = repo.changes_since(base)?;
    let slice = find_slice(ctx, inputs.branch, &changes);

    let raw_title = title(inputs.branch, &commits, slice.as_ref().map(|s| &s.names), &changes, config);
    let title = crate::redact::owned(&raw_title);
    let flag = flag_line(ctx, slice.as_ref(), &changes);
    let checklist = checklist(ctx, inputs, slice.as_ref(), &changes);
    let merge = merge_advice(&commits);
    let links = Links::new(repo.remote_url(&config.remote).as_deref(), &inputs.branch.name);

    let mut text = String::new();
    text.push_str(&format!("<!-- Suggested title (conventional commit): {title} -->\n"));
    text.push_str("<!-- Written by `cargo xtask pre-pr`; edit freely before opening the PR. -->\n\n");

    text.push_str("## Summary\n\n");
    let summary = slice.as_ref().and_then(|s| s.spec_text.as_deref()).and_then(|spec| section(spec, "Summary"));
    match summary.filter(|text| !text.contains(docs::PLACEHOLDER)) {
        Some(summary) => text.push_str(&format!("{summary}\n\n")),
        None => text.push_str(&format!("{}\n\n", title_description(&title))),
    }

    text.push_str("## Spec and blueprint\n\n");
    match &slice {
        Some(slice) => {
            for (what, path, exists) in [
                ("Spec", &slice.names.spec, slice.spec_text.is_some()),
                ("Blueprint", &slice.names.blueprint, slice.blueprint_text.is_some()),
                ("Runbook", &slice.names.runbook, ctx.root().join(&slice.names.runbook).is_file()),
                ("Architecture note", &slice.names.architecture, ctx.root().join(&slice.names.architecture).is_file()),
            ] {
                if exists {
                    text.push_str(&format!("- {what}: {}\n", links.link(path)));
                } else {
                    text.push_str(&format!("- {what}: missing (`{path}` does not exist)\n"));
                }
            }
        }
        None => text.push_str(&format!(
            "- None: `{}` is not an add-on slice (no spec matches it or was added on it).\n",
            inputs.branch.name
        )),
    }
    text.push('\n');

    text.push_str("## Feature flag\n\n");
    text.push_str(&format!("{flag}\n\n"));

    text.push_str("## Test evidence\n\n");
    text.push_str(&evidence(inputs, &config.remote, &config.main_branch, &config.integration_env));

    text.push_str("## Rollout notes\n\n");
    match &slice {
        Some(slice) => match slice.blueprint_text.as_deref().and_then(|b| section(b, "Rollout notes")) {
            Some(notes) => text.push_str(&format!("{notes}\n\n")),
            None => text.push_str(&format!(
                "_The blueprint (`{}`) has no `## Rollout notes` section: add one._\n\n",
                slice.names.blueprint
            )),
        },
        None => text.push_str(
            "_Not an add-on slice, so there is no blueprint: say how this change rolls out and how to roll it back._\n\n",
        ),
    }

    text.push_str("## Checklist (SOP 4.4)\n\n");
    for item in &checklist {
        let mark = if item.ticked { "x" } else { " " };
        text.push_str(&format!("- [{mark}] {} — {}\n", item.item, item.note));
    }
    text.push('\n');

    text.push_str("## Merging (SOP 4.6)\n\n");
    text.push_str(&format!(
        "Recommended: **{} merge** — {}. Avoid merge commits; delete the branch after merging.\n",
        merge.method, merge.reason
    ));

    let redacted = crate::redact::owned(&text);
    let masked = title != raw_title || redacted != text;
    Ok(Body {
        title,
        text: redacted,
        masked,
        spec: slice.as_ref().filter(|s| s.spec_text.is_some()).map(|s| s.names.spec.clone()),
        blueprint: slice.as_ref().filter(|s| s.blueprint_text.is_some()).map(|s| s.names.blueprint.clone()),
        flag,
        checklist,
        merge,
    })
}

/// The slice of `feat/scheduler` is `Scheduler` when its spec exists; otherwise the feature of a
/// spec the branch added (a branch named differently from its add-on).
fn find_slice(ctx: &Ctx, branch: &Branch, changes: &[FileChange]) -> Option<Slice> {
    let config = &ctx.config;
    let read = |path: &str| std::fs::read_to_string(ctx.root().join(path)).ok();
    let names = Names::from_words(&branch.words, &branch.kind, config);
    let names = if ctx.root().join(&names.spec).is_file() {
        names
    } else {
        let added_spec = changes.iter().find_map(|change| {
            let file = change.path.strip_prefix(&format!("{}/", config.docs.specs))?;
            (change.kind == ChangeKind::Added).then(|| crate::names::feature_of_spec_file(file)).flatten()
        })?;
        let derived = Names::derive(added_spec, &branch.kind, config).ok()?;
        Names { branch: branch.name.clone(), ..derived }
    };
    Some(Slice { spec_text: read(&names.spec), blueprint_text: read(&names.blueprint), names })
}

/// The suggested title: the branch's one conventional commit as it is; for an add-on slice
/// `feat(scheduler): add the Scheduler add-on`; otherwise `<kind>: <name in words>`.
fn title(
    branch: &Branch,
    commits: &[BranchCommit],
    names: Option<&Names>,
    changes: &[FileChange],
    config: &crate::config::Config,
) -> String {
    let own: Vec<&BranchCommit> = commits.iter().filter(|c| c.parents <= 1).collect();
    if let [only] = own.as_slice() {
        if only.conventional {
            return only.summary.clone();
        }
    }
    let kind = if config.commit_types.iter().any(|t| t == &branch.kind) { branch.kind.as_str() } else { "chore" };
    if let Some(names) = names {
        let added = changes.iter().any(|c| c.path == names.spec && c.kind == ChangeKind::Added);
        if added {
            return format!("{kind}({}): add the {} add-on", names.slug, names.title);
        }
        return format!("{kind}({}): {}", names.slug, branch.words.slug().replace('-', " "));
    }
    format!("{kind}: {}", branch.words.slug().replace('-', " "))
}

/// `feat(x): add the X add-on` → `Add the X add-on.`
fn title_description(title: &str) -> String {
    let description = title.split_once(": ").map_or(title, |(_, d)| d).trim();
    let mut chars = description.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_ascii_uppercase(), chars.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// The flag line: the slice's flag from its spec header, `docs-only`, or none.
fn flag_line(ctx: &Ctx, slice: Option<&Slice>, changes: &[FileChange]) -> String {
    if let Some(slice) = slice {
        let declared = slice
            .spec_text
            .as_deref()
            .and_then(|spec| Header::parse(spec).get("Feature flag").map(str::to_string))
            .and_then(|value| flag_in(&value));
        let flag = declared.unwrap_or_else(|| slice.names.flag.clone());
        return format!("`{flag}` (off by default: `{flag}=false`; turn it on with `{flag}=true`)");
    }
    if docs_only(ctx, changes) {
        return "None: docs-only change.".into();
    }
    "None: this change is not behind a feature flag (not an add-on slice).".into()
}

/// The first `FEATURE_…` word of a header value.
fn flag_in(value: &str) -> Option<String> {
    value
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|word| word.starts_with("FEATURE_") && word.len() > "FEATURE_".len())
        .map(str::to_string)
}

fn docs_only(ctx: &Ctx, changes: &[FileChange]) -> bool {
    let docs = &ctx.config.docs;
    let dirs = [&docs.specs, &docs.blueprints, &docs.runbooks, &docs.architecture];
    !changes.is_empty()
        && changes.iter().all(|change| {
            change.path.ends_with(".md")
                || change.path.starts_with("docs/")
                || dirs.iter().any(|dir| change.path.starts_with(&format!("{dir}/")))
        })
}

fn evidence(inputs: &Inputs<'_>, remote: &str, main: &str, integration_env: &str) -> String {
    let mut text = format!("Tested commit: `{}` on `{}`", inputs.tested_commit, inputs.branch.name);
    match inputs.synced {
        Some(synced) => {
            text.push_str(&format!(", after the sync with `{}`: {}.\n\n", synced.upstream, synced.outcome));
        }
        None => text.push_str(&format!(
            ".\n\n**Not synced with `{remote}/{main}`** (`--no-sync`, offline work): the branch may be behind; sync before merging.\n\n"
        )),
    }
    text.push_str("| Command | Result | Tests | Time |\n|---|---|---|---|\n");
    let mut rows = |sequence: &Sequence, suffix: &str| {
        for result in &sequence.results {
            let outcome = if result.passed { "passed" } else { "failed" };
            let tests = result.tests.map_or_else(|| "—".to_string(), |t| t.describe());
            text.push_str(&format!(
                "| `{}`{suffix} | {outcome} | {tests} | {} |\n",
                result.display(),
                super::progress::duration(result.duration)
            ));
        }
    };
    rows(inputs.verify, "");
    if let Ok(integration) = inputs.integration {
        rows(integration, &format!(" (`{integration_env}=1`)"));
    }
    text.push('\n');
    let mut total = inputs.verify.tests();
    if let Ok(integration) = inputs.integration {
        if let Some(counts) = integration.tests() {
            total.get_or_insert_with(Default::default).add(counts);
        }
    }
    if let Some(total) = total {
        text.push_str(&format!("Tests: {}.\n", total.describe()));
    }
    match &inputs.integration {
        Ok(_) => text.push_str(&format!("Integration tests: run (`{integration_env}=1`).\n")),
        Err(reason) => text.push_str(&format!("Integration tests: not run — {reason}.\n")),
    }
    if let Some(report) = inputs.compliance {
        text.push_str(&format!(
            "Compliance (`cargo xtask check`): {} errors, {} warnings.\n",
            report.errors(),
            report.warnings()
        ));
    }
    text.push('\n');
    text
}

fn checklist(ctx: &Ctx, inputs: &Inputs<'_>, slice: Option<&Slice>, changes: &[FileChange]) -> Vec<CheckItem> {
    let config = &ctx.config;
    let root = ctx.root();
    let changed = |path: &str| changes.iter().find(|c| c.path == path).map(|c| c.kind);
    let not_a_slice = format!("n/a: `{}` is not an add-on slice", inputs.branch.name);
    let read = |path: &str| std::fs::read_to_string(root.join(path)).ok();
    let module_source =
        slice.and_then(|s| read(&s.names.module).or_else(|| read(&format!("{}/mod.rs", s.names.module_dir))));
    let tests_ran = inputs.verify.tests().filter(|t| t.passed > 0 && t.failed == 0);
    let mut items = Vec::with_capacity(PR_CHECKLIST.len());
    let mut push = |index: usize, ticked: bool, note: String| {
        items.push(CheckItem { item: PR_CHECKLIST[index], ticked, note });
    };

    // 0: Spec created (new, not modified).
    match slice {
        Some(s) => match changed(&s.names.spec) {
            Some(ChangeKind::Added) => push(0, true, format!("`{}` is new on this branch", s.names.spec)),
            Some(_) => push(
                0,
                false,
                format!("`{}` existed before this branch and was changed (SOP 2.1: start a new spec)", s.names.spec),
            ),
            None if s.spec_text.is_some() => push(0, false, format!("`{}` existed before this branch", s.names.spec)),
            None => push(0, false, format!("`{}` does not exist", s.names.spec)),
        },
        None => push(0, false, not_a_slice.clone()),
    }
    // 1: Blueprint created.
    match slice {
        Some(s) => match (changed(&s.names.blueprint), s.blueprint_text.is_some()) {
            (Some(ChangeKind::Added), true) => push(1, true, format!("`{}` is new on this branch", s.names.blueprint)),
            (_, true) => push(1, false, format!("`{}` existed before this branch", s.names.blueprint)),
            (_, false) => push(1, false, format!("`{}` does not exist", s.names.blueprint)),
        },
        None => push(1, false, not_a_slice.clone()),
    }
    // 2: Feature gated.
    match slice {
        Some(s) => {
            let declared = read(&s.names.module)
                .and_then(|text| layout::declared_str(&text, "FLAG"))
                .is_some_and(|(flag, _)| flag == s.names.flag);
            if declared {
                push(2, true, format!("`{}` declares `{}`", s.names.module, s.names.flag))
            } else {
                push(2, false, format!("`{}` does not declare `{}`", s.names.module, s.names.flag))
            }
        }
        None if docs_only(ctx, changes) => push(2, true, "docs-only change: no flag needed".into()),
        None => push(2, false, not_a_slice.clone()),
    }
    // 3: Contracts defined.
    match slice.and_then(|s| s.spec_text.as_deref().map(|text| (s, text))) {
        Some((s, spec)) => match section(spec, "Contracts") {
            Some(contracts) if !contracts.contains(docs::PLACEHOLDER) => {
                push(3, true, format!("`## Contracts` in `{}` is filled in", s.names.spec))
            }
            Some(contracts) => push(
                3,
                false,
                format!(
                    "`## Contracts` in `{}` still has {} `{}` placeholders",
                    s.names.spec,
                    contracts.matches(docs::PLACEHOLDER).count(),
                    docs::PLACEHOLDER
                ),
            ),
            None => push(3, false, format!("`{}` has no `## Contracts` section", s.names.spec)),
        },
        None => push(3, false, not_a_slice.clone()),
    }
    // 4: Unit tests added.
    let new_tests: usize = changes
        .iter()
        .filter(|c| !c.path.starts_with("tests/"))
        .map(|c| c.added.iter().filter(|line| line.text.trim() == "#[test]").count())
        .sum();
    match (new_tests, tests_ran, inputs.verify.failure.is_none()) {
        (0, _, _) => push(4, false, "no new `#[test]` outside `tests/` on this branch".into()),
        (n, Some(counts), true) => push(4, true, format!("{n} new `#[test]` functions; {}", counts.describe())),
        (n, None, true) => push(4, true, format!("{n} new `#[test]` functions; the verify commands passed")),
        (n, _, false) => push(4, false, format!("{n} new `#[test]` functions, but verify failed")),
    }
    // 5: Integration tests added (env-gated).
    match slice {
        Some(s) => match read(&s.names.integration_test) {
            Some(text) if text.contains(&config.integration_env) || text.contains("#[ignore") => {
                let ran = match &inputs.integration {
                    Ok(_) => "run by this pre-pr".to_string(),
                    Err(_) => format!("gated by `{}=1`, not run by this pre-pr", config.integration_env),
                };
                push(5, true, format!("`{}`, {ran}", s.names.integration_test))
            }
            Some(_) => push(
                5,
                false,
                format!("`{}` is not env-gated by `{}`", s.names.integration_test, config.integration_env),
            ),
            None => push(5, false, format!("`{}` does not exist", s.names.integration_test)),
        },
        None => push(5, false, not_a_slice.clone()),
    }
    // 6: Receipts emitted. 7: War Room visibility.
    match (slice, module_source.as_deref()) {
        (Some(s), Some(source)) => {
            if source.contains("ReceiptKind::") {
                push(6, true, format!("`{}` records receipts", s.names.module));
            } else {
                push(6, false, format!("`{}` records no receipt (`ReceiptKind::…`)", s.names.module));
            }
            if source.contains("fn report(") && source.contains("WarRoomEntry") {
                push(7, true, format!("`{}` reports a war-room row", s.names.module));
            } else {
                push(
                    7,
                    false,
                    format!(
                        "`{}` reports no war-room row (required for background or decision-making add-ons, SOP 7)",
                        s.names.module
                    ),
                );
            }
        }
        (Some(s), None) => {
            push(6, false, format!("the owning module `{}` does not exist", s.names.module));
            push(7, false, format!("the owning module `{}` does not exist", s.names.module));
        }
        (None, _) => {
            push(6, false, not_a_slice.clone());
            push(7, false, not_a_slice.clone());
        }
    }
    // 8: Runbook added/updated.
    let runbooks = format!("{}/", config.docs.runbooks);
    let runbook_changes: Vec<&FileChange> =
        changes.iter().filter(|c| c.path.starts_with(&runbooks) && c.kind != ChangeKind::Deleted).collect();
    match runbook_changes.first() {
        Some(change) => {
            let placeholders = read(&change.path).map_or(0, |text| text.matches(docs::PLACEHOLDER).count());
            if placeholders == 0 {
                push(8, true, format!("`{}` changed on this branch", change.path))
            } else {
                push(
                    8,
                    false,
                    format!("`{}` still has {placeholders} `{}` placeholders", change.path, docs::PLACEHOLDER),
                )
            }
        }
        None => push(8, false, "no runbook changed on this branch".into()),
    }
    // 9: CHANGELOG updated: the branch's fragment in docs/changelog.d/, valid (a release folds
    // the fragments into CHANGELOG.md instead).
    let fragments: Vec<(&str, Result<Option<changelog::Fragment>, changelog::Problem>)> = changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Deleted && changelog::is_fragment_path(&c.path))
        .map(|c| (c.path.as_str(), changelog::examine(&c.path, &read(&c.path).unwrap_or_default())))
        .collect();
    let released = changed(layout::CHANGELOG).is_some_and(|kind| kind != ChangeKind::Deleted)
        && changes.iter().any(|c| c.kind == ChangeKind::Deleted && changelog::is_fragment_path(&c.path));
    if let Some(problem) = fragments.iter().find_map(|(_, result)| result.as_ref().err()) {
        push(9, false, format!("`{}` is not a valid fragment: {}", problem.location(), problem.message));
    } else if !fragments.is_empty() {
        let described: Vec<String> = fragments
            .iter()
            .filter_map(|(path, result)| {
                let fragment = result.as_ref().ok()?.as_ref()?;
                let mut sections: Vec<&str> = fragment.entries.iter().map(|e| e.section.as_str()).collect();
                sections.dedup();
                Some(format!("`{path}` ({} entries: {})", fragment.entries.len(), sections.join(", ")))
            })
            .collect();
        push(9, true, format!("{} on this branch", described.join("; ")));
    } else if released {
        push(9, true, format!("a release: the fragments are folded into `{}`", layout::CHANGELOG));
    } else {
        push(
            9,
            false,
            format!(
                "no fragment in `{}/` on this branch: add `{}`",
                changelog::FRAGMENTS_DIR,
                changelog::fragment_path(&inputs.branch.words.slug())
            ),
        );
    }
    items
}

/// SOP 4.6: squash a messy history, rebase-merge a clean one.
fn merge_advice(commits: &[BranchCommit]) -> MergeAdvice {
    let merges = commits.iter().filter(|c| c.parents > 1).count();
    let own: Vec<&BranchCommit> = commits.iter().filter(|c| c.parents <= 1).collect();
    let fixups = own
        .iter()
        .filter(|c| {
            let lower = c.summary.to_ascii_lowercase();
            ["fixup!", "squash!", "amend!", "wip"].iter().any(|prefix| lower.starts_with(prefix))
        })
        .count();
    let unconventional = own.iter().filter(|c| !c.conventional).count();
    let squash = |reason: String| MergeAdvice { method: "squash", reason };
    if own.is_empty() {
        return squash("the branch has no commits of its own".into());
    }
    if merges > 0 {
        return squash(format!("the history has {}", plural(merges, "merge commit")));
    }
    if fixups > 0 {
        return squash(format!("{} of {} are fixups or work in progress", plural(fixups, "commit"), own.len()));
    }
    if unconventional > 0 {
        return squash(format!("{} of {} are not conventional commits", plural(unconventional, "commit"), own.len()));
    }
    let mut summaries: Vec<&str> = own.iter().map(|c| c.summary.as_str()).collect();
    summaries.sort_unstable();
    summaries.dedup();
    if summaries.len() < own.len() {
        return squash("several commits repeat the same message".into());
    }
    MergeAdvice {
        method: "rebase",
        reason: if own.len() == 1 {
            "one clean conventional commit".into()
        } else {
            format!("a clean history of {} conventional commits", own.len())
        },
    }
}

fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

/// The body of the `## <name>` section of a Markdown document (until the next `## ` heading),
/// trimmed; `None` when there is no such section or it is empty.
pub fn section(text: &str, name: &str) -> Option<String> {
    let mut lines = text.lines();
    lines.find(|line| line.strip_prefix("## ").is_some_and(|heading| heading.trim().eq_ignore_ascii_case(name)))?;
    let mut in_fence = false;
    let mut body = Vec::new();
    for line in lines {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && line.starts_with("## ") {
            break;
        }
        body.push(line);
    }
    let body = body.join("\n");
    let body = body.trim();
    (!body.is_empty()).then(|| body.to_string())
}

/// Links to files of the branch: GitHub URLs when the remote is on GitHub, paths otherwise.
struct Links {
    base: Option<String>,
    branch: String,
}

impl Links {
    fn new(remote_url: Option<&str>, branch: &str) -> Links {
        Links { base: remote_url.and_then(github_base), branch: branch.to_string() }
    }

    fn link(&self, path: &str) -> String {
        match &self.base {
            Some(base) => format!("[`{path}`]({base}/blob/{}/{path})", self.branch),
            None => format!("[`{path}`]({path})"),
        }
    }
}

/// `https://github.com/owner/repo` from the usual GitHub remote URLs.
fn github_base(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://github.com/")
        .or_else(|| url.strip_prefix("http://github.com/"))
        .or_else(|| url.strip_prefix("git@github.com:"))
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))?;
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let mut parts = rest.split('/');
    let (Some(owner), Some(name), None) = (parts.next(), parts.next(), parts.next()) else { return None };
    (!owner.is_empty() && !name.is_empty()).then(|| format!("https://github.com/{owner}/{name}"))
}

/// Where the body is written, relative to the repository root.
pub fn relative_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(summary: &str, parents: usize, conventional: bool) -> BranchCommit {
        BranchCommit { parents, summary: summary.into(), conventional }
    }

    #[test]
    fn the_checklist_is_sop_4_4_word_for_word() {
        assert_eq!(PR_CHECKLIST.len(), 10);
        assert_eq!(PR_CHECKLIST[0], "Spec created (new, not modified)");
        assert_eq!(PR_CHECKLIST[9], "CHANGELOG updated");
    }

    #[test]
    fn clean_histories_rebase_and_messy_ones_squash() {
        let clean = [commit("feat: a", 1, true), commit("test: b", 1, true)];
        assert_eq!(merge_advice(&clean).method, "rebase");
        assert_eq!(merge_advice(&clean[..1]).reason, "one clean conventional commit");
        let wip = [commit("feat: a", 1, true), commit("wip", 1, false)];
        assert_eq!(
            merge_advice(&wip),
            MergeAdvice { method: "squash", reason: "1 commit of 2 are fixups or work in progress".into() }
        );
        let merged = [commit("feat: a", 1, true), commit("chore: merge origin/main into feat/x", 2, true)];
        assert_eq!(merge_advice(&merged).method, "squash");
        let sloppy = [commit("feat: a", 1, true), commit("Fixed it", 1, false)];
        assert!(merge_advice(&sloppy).reason.contains("not conventional"));
        let repeated = [commit("feat: a", 1, true), commit("feat: a", 1, true)];
        assert_eq!(merge_advice(&repeated).method, "squash");
        assert_eq!(merge_advice(&[]).method, "squash");
    }

    #[test]
    fn sections_end_at_the_next_heading() {
        let text = "# T\n\n## Rollout notes\n\n- dark\n- flag\n\n```\n## not a heading\n```\n## Next\nx\n";
        assert_eq!(section(text, "rollout notes").unwrap(), "- dark\n- flag\n\n```\n## not a heading\n```");
        assert_eq!(section(text, "Missing"), None);
        assert_eq!(section("## Empty\n\n## B\n", "Empty"), None);
    }

    #[test]
    fn github_remotes_give_web_links() {
        for url in [
            "https://github.com/acme/lancelot.git",
            "git@github.com:acme/lancelot.git",
            "ssh://git@github.com/acme/lancelot",
            "https://github.com/acme/lancelot/",
        ] {
            assert_eq!(github_base(url).as_deref(), Some("https://github.com/acme/lancelot"), "{url}");
        }
        assert_eq!(github_base("/tmp/origin.git"), None);
        assert_eq!(github_base("https://gitlab.com/acme/lancelot.git"), None);
        let links = Links::new(Some("git@github.com:acme/lancelot.git"), "feat/x");
        assert_eq!(links.link("docs/a.md"), "[`docs/a.md`](https://github.com/acme/lancelot/blob/feat/x/docs/a.md)");
        assert_eq!(Links::new(None, "feat/x").link("docs/a.md"), "[`docs/a.md`](docs/a.md)");
    }

    #[test]
    fn flags_are_read_from_header_values() {
        assert_eq!(flag_in("`FEATURE_SCHEDULER` (default `false`)").as_deref(), Some("FEATURE_SCHEDULER"));
        assert_eq!(flag_in("none"), None);
        assert_eq!(title_description("feat(x): add the X add-on"), "Add the X add-on.");
    }
}
