//! `pre-pr`'s PR description (SOP 4.3): a conventional-commit title, links to the branch's spec
//! and blueprint, the feature flag, the test evidence, the rollout notes from the blueprint, the
//! SOP 4.4 checklist, the branch's commits and the merge method SOP 4.6 recommends.
//!
//! The body is a view: the checklist (each box, its evidence or why it is open), the slice and
//! the commits come from the compliance step's report (`check/checklist.rs`, the same rules and
//! facts as `cargo xtask check`); this module decides no box and reads no document. It renders
//! `templates/pr_body.md.tera` (versioned, overridable like every template); `mod.rs` writes the
//! file. The title and the whole text pass the redaction layer (`redact.rs`): a PR is public to
//! the whole team and its text outlives any rotation.

use std::path::Path;

use git2::Oid;

use super::preflight::Branch;
use super::sync::Synced;
use super::verify::Sequence;
use crate::check::checklist::{BranchCommit, Checklist, Item, Slice};
use crate::ctx::Ctx;
use crate::render::{PrBody, PrCheck, PrCommand, PrCommit, PrDocument, Templates};

/// Everything the earlier steps established.
pub struct Inputs<'a> {
    pub branch: &'a Branch,
    /// The commit the verify step tested (HEAD after the sync).
    pub tested_commit: Oid,
    /// `None` with `--no-sync`.
    pub synced: Option<&'a Synced>,
    pub verify: &'a Sequence,
    /// With `--scope`, the packages verify was narrowed to (`None`: it verified everything).
    pub scope: Option<&'a [String]>,
    /// The integration run, or why it was skipped.
    pub integration: Result<&'a Sequence, String>,
    /// The compliance step's report, with its checklist; `None` when it did not run.
    pub compliance: Option<&'a crate::check::Report>,
}

/// One checklist box, as `--json` reports it: the rule's verdict and evidence.
pub type CheckItem = Item;

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
    /// The branch's commits, oldest first: short id and redacted subject.
    pub commits: Vec<Commit>,
    pub merge: MergeAdvice,
}

/// A commit of the branch as the body lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Commit {
    pub short: String,
    pub subject: String,
}

pub fn build(ctx: &Ctx, inputs: &Inputs<'_>) -> anyhow::Result<Body> {
    let config = &ctx.config;
    let checklist = match inputs.compliance.and_then(|report| report.checklist.as_ref()) {
        // Redacted again: whoever built the report, nothing reaches the body in clear.
        Some(checklist) => checklist.redacted(),
        None => Checklist::unverified("not verified: the compliance step (`cargo xtask check`) did not run"),
    };
    let slice = checklist.slice.as_ref();
    let raw_title = title(inputs.branch, &checklist.commits, slice, config);
    let title = crate::redact::owned(&raw_title);
    let flag = flag_line(slice, checklist.docs_only);
    let merge = merge_advice(&checklist.commits);
    let links = Links::new(ctx.repo.remote_url(&config.remote).as_deref(), &inputs.branch.name);

    let documents = match slice {
        Some(slice) => [
            ("Spec", &slice.names.spec, slice.spec_exists),
            ("Blueprint", &slice.names.blueprint, slice.blueprint_exists),
            ("Runbook", &slice.names.runbook, slice.runbook_exists),
            ("Architecture note", &slice.names.architecture, slice.architecture_exists),
        ]
        .into_iter()
        .map(|(what, path, exists)| PrDocument {
            what: what.into(),
            path: path.clone(),
            link: links.link(path),
            exists,
        })
        .collect(),
        None => Vec::new(),
    };
    let (rollout_notes, rollout_gap) = rollout(slice);
    let ticked = checklist.items.iter().filter(|item| item.ticked).count();
    let view = PrBody {
        title: title.clone(),
        summary: slice.and_then(|s| s.summary.clone()).unwrap_or_else(|| title_description(&title)),
        branch: inputs.branch.name.clone(),
        slice: slice.is_some(),
        documents,
        flag: flag.clone(),
        tested_commit: inputs.tested_commit.to_string(),
        synced: inputs.synced.map(|synced| format!("`{}`: {}", synced.upstream, synced.outcome)),
        remote_main: format!("{}/{}", config.remote, config.main_branch),
        verify: verify_rows(inputs, &config.verify, &config.integration_env),
        tests: total_tests(inputs).map(|total| total.describe()),
        integration: match &inputs.integration {
            Ok(_) => format!("run (`{}=1`)", config.integration_env),
            Err(reason) => format!("not run — {reason}"),
        },
        compliance: inputs
            .compliance
            .map(|report| format!("{} errors, {} warnings", report.errors(), report.warnings())),
        rollout_notes,
        rollout_gap,
        checklist: checklist
            .items
            .iter()
            .map(|item| PrCheck {
                mark: if item.ticked { "x".into() } else { " ".into() },
                item: item.item.to_string(),
                note: item.note.clone(),
            })
            .collect(),
        ticked,
        commits: checklist
            .commits
            .iter()
            .map(|commit| PrCommit { short: commit.short.clone(), subject: commit.subject.clone() })
            .collect(),
        merge_method: merge.method.to_string(),
        merge_reason: merge.reason.clone(),
    };
    let templates = Templates::load_one(ctx.root(), "pr_body")?;
    let text = templates.render("pr_body", &view.context(templates.get("pr_body").version))?;

    let redacted = crate::redact::owned(&text);
    let masked = title != raw_title || redacted != text;
    Ok(Body {
        title,
        text: redacted,
        masked,
        spec: slice.filter(|s| s.spec_exists).map(|s| s.names.spec.clone()),
        blueprint: slice.filter(|s| s.blueprint_exists).map(|s| s.names.blueprint.clone()),
        flag,
        checklist: checklist.items.clone(),
        commits: view.commits.iter().map(|c| Commit { short: c.short.clone(), subject: c.subject.clone() }).collect(),
        merge,
    })
}

/// The rollout notes the blueprint has, never a placeholder line; and what is missing.
fn rollout(slice: Option<&Slice>) -> (String, Option<String>) {
    let Some(slice) = slice else {
        return (
            String::new(),
            Some(
                "Not an add-on slice, so there is no blueprint: say how this change rolls out and how to roll it back."
                    .into(),
            ),
        );
    };
    let blueprint = &slice.names.blueprint;
    let notes = slice.rollout_notes.clone().unwrap_or_default();
    let gap = match (&slice.rollout_notes, slice.rollout_placeholders) {
        (None, _) => Some(format!("The blueprint (`{blueprint}`) has no `## Rollout notes` section: add one.")),
        (Some(_), 0) => None,
        (Some(_), n) => Some(format!(
            "{n} line{} of `## Rollout notes` in `{blueprint}` still {} `{}` and {} left out: fill {} in.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "holds" } else { "hold" },
            crate::docs::PLACEHOLDER,
            if n == 1 { "is" } else { "are" },
            if n == 1 { "it" } else { "them" },
        )),
    };
    (notes, gap)
}

/// The suggested title: the branch's one conventional commit as it is; for an add-on slice
/// `feat(scheduler): add the Scheduler add-on`; otherwise `<kind>: <name in words>`.
fn title(branch: &Branch, commits: &[BranchCommit], slice: Option<&Slice>, config: &crate::config::Config) -> String {
    let own: Vec<&BranchCommit> = commits.iter().filter(|c| c.parents <= 1).collect();
    if let [only] = own.as_slice() {
        if only.conventional {
            return only.subject.clone();
        }
    }
    let kind = if config.commit_types.iter().any(|t| t == &branch.kind) { branch.kind.as_str() } else { "chore" };
    if let Some(slice) = slice {
        if slice.spec_added {
            return format!("{kind}({}): add the {} add-on", slice.names.slug, slice.names.title);
        }
        return format!("{kind}({}): {}", slice.names.slug, branch.words.slug().replace('-', " "));
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
fn flag_line(slice: Option<&Slice>, docs_only: bool) -> String {
    if let Some(slice) = slice {
        let flag = slice.declared_flag.clone().unwrap_or_else(|| slice.names.flag.clone());
        return format!("`{flag}` (off by default: `{flag}=false`; turn it on with `{flag}=true`)");
    }
    if docs_only {
        return "None: docs-only change.".into();
    }
    "None: this change is not behind a feature flag (not an add-on slice).".into()
}

/// One row per command that ran; a command `--scope` narrowed says so (CI runs it in full).
fn verify_rows(inputs: &Inputs<'_>, configured: &[Vec<String>], integration_env: &str) -> Vec<PrCommand> {
    let mut rows = Vec::new();
    let scoped = inputs
        .scope
        .map(|packages| format!(" (`--scope`: only {} and their dependents; CI runs it in full)", packages.join(", ")));
    let mut add = |sequence: &Sequence, suffix: &str, narrowed: &dyn Fn(usize, &[String]) -> bool| {
        for (index, result) in sequence.results.iter().enumerate() {
            let note = match &scoped {
                Some(note) if narrowed(index, &result.command) => note.as_str(),
                _ => "",
            };
            rows.push(PrCommand {
                command: format!("`{}`{suffix}{note}", result.display()),
                result: match (result.passed, sequence.reused) {
                    (true, true) => "passed (reused: this tree passed earlier with these commands)",
                    (true, false) => "passed",
                    (false, _) => "failed",
                }
                .into(),
                tests: result.tests.map_or_else(|| "—".to_string(), |t| t.describe()),
                time: super::progress::duration(result.duration),
            });
        }
    };
    add(inputs.verify, "", &|index, command| configured.get(index).is_some_and(|c| c.as_slice() != command));
    if let Ok(integration) = inputs.integration {
        add(integration, &format!(" (`{integration_env}=1`)"), &|_, _| false);
    }
    rows
}

fn total_tests(inputs: &Inputs<'_>) -> Option<super::verify::TestCounts> {
    let mut total = inputs.verify.tests();
    if let Ok(integration) = inputs.integration {
        if let Some(counts) = integration.tests() {
            total.get_or_insert_with(Default::default).add(counts);
        }
    }
    total
}

/// SOP 4.6: squash a messy history, rebase-merge a clean one.
fn merge_advice(commits: &[BranchCommit]) -> MergeAdvice {
    let merges = commits.iter().filter(|c| c.parents > 1).count();
    let own: Vec<&BranchCommit> = commits.iter().filter(|c| c.parents <= 1).collect();
    let fixups = own
        .iter()
        .filter(|c| {
            let lower = c.subject.to_ascii_lowercase();
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
    let mut summaries: Vec<&str> = own.iter().map(|c| c.subject.as_str()).collect();
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

    fn commit(subject: &str, parents: usize, conventional: bool) -> BranchCommit {
        BranchCommit { id: String::new(), short: String::new(), parents, subject: subject.into(), conventional }
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
}
