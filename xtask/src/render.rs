//! Versioned templates. Each template's first line declares its kind and version
//! (`{# sop-template: spec v1 #}`); each document rendered from it records them, so `check` can
//! validate a document against the sections *its* template version requires.
//!
//! The repository's `templates/` folder is read at run time and overrides the defaults compiled
//! into the xtask (a snapshot taken by `build.rs`), so editing a template needs no rebuild.

use std::path::Path;

use anyhow::Context as _;

use crate::error::Refusal;

/// One template the xtask knows.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    pub kind: &'static str,
    pub file: &'static str,
    pub embedded: &'static str,
}

macro_rules! known {
    ($kind:literal, $file:literal) => {
        Known { kind: $kind, file: $file, embedded: include_str!(concat!(env!("OUT_DIR"), "/", $file)) }
    };
}

/// Every template, in the order `templates --check` reports them.
pub const KNOWN: &[Known] = &[
    known!("spec", "spec.md.tera"),
    known!("blueprint", "blueprint.md.tera"),
    known!("runbook", "runbook.md.tera"),
    known!("architecture", "architecture.md.tera"),
    known!("module", "module.rs.tera"),
    known!("integration_test", "integration_test.rs.tera"),
    known!("changelog_entry", "changelog_entry.md.tera"),
    known!("pr_body", "pr_body.md.tera"),
];

/// A loaded template: where it came from, its declared version, its source.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub kind: &'static str,
    pub version: u32,
    /// `templates/spec.md.tera` or `<built-in>`.
    pub origin: String,
    /// The sections a document of this kind and version must keep, computed once at load:
    /// `check` compares thousands of documents against them.
    pub required_headings: Vec<String>,
    /// The `**Key:**` header fields the template writes (besides Template and Status).
    pub required_fields: Vec<String>,
}

impl Loaded {
    /// The Markdown headings the template produces (`## Scope`, `### Included`, …): the sections a
    /// document of this kind and version must keep.
    pub fn headings(&self) -> &[String] {
        &self.required_headings
    }

    fn headings_of(source: &str) -> Vec<String> {
        source
            .lines()
            .map(str::trim_end)
            .filter(|line| {
                line.starts_with('#') && !line.starts_with("#[") && !line.starts_with("#!") && !line.contains("{{")
            })
            .filter(|line| line.trim_start_matches('#').starts_with(' '))
            .map(str::to_string)
            .collect()
    }
}

pub struct Templates {
    tera: tera::Tera,
    loaded: Vec<Loaded>,
}

impl Templates {
    /// Loads every template, preferring `<root>/templates/<file>` over the built-in one.
    pub fn load(root: &Path) -> anyhow::Result<Templates> {
        Templates::load_kinds(root, |_| true)
    }

    /// Loads the one template of `kind` (`pre-pr`'s PR body needs no other: reading and parsing
    /// the eight is most of its rendering time).
    pub fn load_one(root: &Path, kind: &str) -> anyhow::Result<Templates> {
        Templates::load_kinds(root, |known| known.kind == kind)
    }

    fn load_kinds(root: &Path, wanted: impl Fn(&Known) -> bool) -> anyhow::Result<Templates> {
        let mut tera = tera::Tera::new();
        tera.autoescape_on(Vec::<&str>::new());
        let mut loaded = Vec::with_capacity(KNOWN.len());
        for known in KNOWN.iter().filter(|known| wanted(known)) {
            let path = root.join("templates").join(known.file);
            let (origin, source) = match crate::git::sparse::read_regular_to_string(&path) {
                Ok(text) => (format!("templates/{}", known.file), text),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    ("<built-in>".to_string(), known.embedded.to_string())
                }
                Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", path.display())),
            };
            let version = parse_header(known.kind, &source).map_err(|message| {
                Refusal::usage(format!("`{origin}`:1: {message}"))
                    .hint(format!("start the file with `{{# sop-template: {} v1 #}}`", known.kind))
            })?;
            tera.add_raw_template(known.kind, &source).map_err(|error| {
                Refusal::usage(format!("`{origin}` is not a valid template: {}", tera_message(&error)))
                    .hint("fix the template, then check it: cargo xtask templates --check")
            })?;
            let required_headings = Loaded::headings_of(&source);
            let required_fields = crate::docs::Header::parse(&source)
                .fields
                .into_iter()
                .map(|field| field.key)
                .filter(|key| key != "Template" && key != "Status")
                .collect();
            loaded.push(Loaded { kind: known.kind, version, origin, required_headings, required_fields });
        }
        Ok(Templates { tera, loaded })
    }

    pub fn get(&self, kind: &str) -> &Loaded {
        self.loaded.iter().find(|t| t.kind == kind).unwrap_or_else(|| panic!("unknown template kind `{kind}`"))
    }

    pub fn all(&self) -> &[Loaded] {
        &self.loaded
    }

    /// Renders `kind` with `context`; the header comment's line is dropped from the output.
    pub fn render(&self, kind: &str, context: &tera::Context) -> anyhow::Result<String> {
        let origin = &self.get(kind).origin;
        let text = self.tera.render(kind, context).map_err(|error| {
            Refusal::failed(format!("`{origin}` failed to render: {}", tera_message(&error)))
                .hint("fix the template, then check it: cargo xtask templates --check")
        })?;
        Ok(text.strip_prefix('\n').unwrap_or(&text).to_string())
    }
}

/// Reads `{# sop-template: <kind> v<N> #}` from the first line.
pub fn parse_header(kind: &str, source: &str) -> Result<u32, String> {
    let first = source.lines().next().unwrap_or("").trim();
    let inner = first
        .strip_prefix("{#")
        .and_then(|rest| rest.strip_suffix("#}"))
        .map(str::trim)
        .and_then(|rest| rest.strip_prefix("sop-template:"))
        .map(str::trim)
        .ok_or_else(|| format!("the first line must be `{{# sop-template: {kind} v<N> #}}`, found `{first}`"))?;
    let (declared, version) = inner.split_once(' ').ok_or_else(|| format!("`{inner}` is not `<kind> v<N>`"))?;
    if declared != kind {
        return Err(format!("declares template `{declared}`, expected `{kind}`"));
    }
    version
        .trim()
        .strip_prefix('v')
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{version}` is not a version like `v1`"))
}

/// tera's error with its causes on one line.
fn tera_message(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_parsed_and_checked() {
        assert_eq!(parse_header("spec", "{# sop-template: spec v3 #}\nx"), Ok(3));
        assert!(parse_header("spec", "{# sop-template: blueprint v1 #}").unwrap_err().contains("expected `spec`"));
        assert!(parse_header("spec", "# Spec").unwrap_err().contains("first line"));
        assert!(parse_header("spec", "{# sop-template: spec vx #}").unwrap_err().contains("version"));
    }

    #[test]
    fn built_in_templates_load_and_declare_headings() {
        let dir = tempfile::tempdir().unwrap();
        let templates = Templates::load(dir.path()).unwrap();
        assert!(templates.all().iter().all(|t| t.origin == "<built-in>" && t.version >= 1));
        let headings = templates.get("spec").headings();
        for required in ["## Scope", "### Included", "### Excluded", "## Contracts"] {
            assert!(headings.iter().any(|h| h == required), "spec template lacks {required}: {headings:?}");
        }
    }

    #[test]
    fn a_broken_repository_template_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/spec.md.tera"), "{# sop-template: spec v1 #}\n{% if %}\n").unwrap();
        let error = Templates::load(dir.path()).err().unwrap();
        assert!(error.to_string().contains("`templates/spec.md.tera` is not a valid template"), "{error}");
    }
}

/// What the engineer says about a new add-on beyond its name.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Details {
    pub summary: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub depends_on: Vec<Dependency>,
    pub date: String,
}

/// A spec this add-on depends on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dependency {
    /// `HealthMonitor`
    pub feature: String,
    /// `Lancelot_vNext2_Spec_HealthMonitor.md`
    pub file: String,
}

/// The variables every template sees. Templates may use any of them; none is template-specific.
pub fn addon_context(
    names: &crate::names::Names,
    config: &crate::config::Config,
    details: &Details,
    version: u32,
) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("project", &config.project);
    context.insert("doc_version", &config.doc_version);
    context.insert("modules_dir", &config.modules_dir);
    context.insert("integration_env", &config.integration_env);
    context.insert("feature", &names.feature);
    context.insert("title", &names.title);
    context.insert("slug", &names.slug);
    context.insert("snake", &names.snake);
    context.insert("flag", &names.flag);
    context.insert("branch", &names.branch);
    context.insert("module", &names.module);
    context.insert("integration_test", &names.integration_test);
    context.insert("spec", &names.spec);
    context.insert("spec_path", &names.spec);
    context.insert("spec_file", names.spec.rsplit('/').next().unwrap_or(&names.spec));
    context.insert("blueprint", &names.blueprint);
    context.insert("runbook", &names.runbook);
    context.insert("architecture", &names.architecture);
    context.insert("summary", &details.summary);
    context.insert("include", &details.include);
    context.insert("exclude", &details.exclude);
    context.insert("depends_on", &details.depends_on);
    // The dependencies' module names, for the module's `DEPENDS_ON` (what the runtime gates on).
    let modules: Vec<String> = details
        .depends_on
        .iter()
        .filter_map(|dependency| crate::names::Names::derive(&dependency.feature, "feat", config).ok())
        .map(|names| names.snake)
        .collect();
    context.insert("depends_on_modules", &modules);
    context.insert("date", &details.date);
    context.insert("version", &version);
    context.insert("template_version", &version);
    context
}

/// What `templates/pr_body.md.tera` sees, as `pr`: every value already decided by `pre-pr` and
/// `check`'s checklist rules (the template only lays them out).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PrBody {
    /// The suggested conventional-commit title.
    pub title: String,
    pub summary: String,
    pub branch: String,
    /// The branch is an add-on slice: `documents` lists its four documents.
    pub slice: bool,
    pub documents: Vec<PrDocument>,
    /// The feature-flag line.
    pub flag: String,
    pub tested_commit: String,
    /// `` `origin/main`: rebased 1 commit `` when synced; `None` with `--no-sync`.
    pub synced: Option<String>,
    /// `origin/main`
    pub remote_main: String,
    pub verify: Vec<PrCommand>,
    /// `5 passed, 0 failed, 1 ignored` when any command printed test results.
    pub tests: Option<String>,
    /// `run (`X=1`)` or `not run — why`.
    pub integration: String,
    /// `0 errors, 1 warnings` when the compliance step ran.
    pub compliance: Option<String>,
    /// The blueprint's rollout notes without placeholder lines (empty: none left).
    pub rollout_notes: String,
    /// Why the rollout notes are missing or incomplete, when they are.
    pub rollout_gap: Option<String>,
    pub checklist: Vec<PrCheck>,
    pub ticked: usize,
    pub commits: Vec<PrCommit>,
    pub merge_method: String,
    pub merge_reason: String,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PrDocument {
    /// `Spec`, `Blueprint`, `Runbook`, `Architecture note`
    pub what: String,
    pub path: String,
    /// A Markdown link to the file on the branch.
    pub link: String,
    pub exists: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PrCommand {
    /// The command in backticks, and what it ran with (`` `cargo test` (`X=1`) ``).
    pub command: String,
    /// `passed`, `failed`
    pub result: String,
    /// The test counts, or `—`.
    pub tests: String,
    pub time: String,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PrCheck {
    /// `x` when ticked, a blank otherwise.
    pub mark: String,
    pub item: String,
    /// The evidence (ticked) or why the box is open.
    pub note: String,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PrCommit {
    pub short: String,
    pub subject: String,
}

impl PrBody {
    /// A body with every part filled in, for `templates --check`.
    pub fn sample() -> PrBody {
        PrBody {
            title: "feat(sample-addon): add the Sample Addon add-on".into(),
            summary: "A sample add-on used to check the templates.".into(),
            branch: "feat/sample-addon".into(),
            slice: true,
            documents: vec![
                PrDocument {
                    what: "Spec".into(),
                    path: "docs/specs/x.md".into(),
                    link: "[`docs/specs/x.md`](docs/specs/x.md)".into(),
                    exists: true,
                },
                PrDocument {
                    what: "Runbook".into(),
                    path: "docs/runbooks/x.md".into(),
                    link: String::new(),
                    exists: false,
                },
            ],
            flag: "`FEATURE_SAMPLE_ADDON` (off by default)".into(),
            tested_commit: "0123456789abcdef0123456789abcdef01234567".into(),
            synced: Some("`origin/main`: up to date".into()),
            remote_main: "origin/main".into(),
            verify: vec![PrCommand {
                command: "`cargo test --workspace`".into(),
                result: "passed".into(),
                tests: "3 passed, 0 failed, 0 ignored".into(),
                time: "1.0s".into(),
            }],
            tests: Some("3 passed, 0 failed, 0 ignored".into()),
            integration: "not run — not requested".into(),
            compliance: Some("0 errors, 0 warnings".into()),
            rollout_notes: "- Ships dark.".into(),
            rollout_gap: Some("1 placeholder line left out".into()),
            checklist: vec![PrCheck {
                mark: " ".into(),
                item: "Spec created (new, not modified)".into(),
                note: "why".into(),
            }],
            ticked: 0,
            commits: vec![PrCommit { short: "0123456".into(), subject: "feat: add the sample".into() }],
            merge_method: "rebase".into(),
            merge_reason: "one clean conventional commit".into(),
        }
    }

    /// The template's variables: `pr`, and the template's version.
    pub fn context(&self, version: u32) -> tera::Context {
        let mut context = tera::Context::new();
        context.insert("pr", self);
        context.insert("version", &version);
        context.insert("template_version", &version);
        context
    }
}
