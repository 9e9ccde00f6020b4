//! `cargo xtask changelog [--check] | release <version> | migrate`: CHANGELOG fragments.
//!
//! Every slice used to edit the `## [Unreleased]` section of `CHANGELOG.md`, so every pair of
//! branches in flight conflicted there. Instead each branch adds **one fragment file**,
//! `docs/changelog.d/<slug>.md` (towncrier, changesets), and a release step folds every fragment
//! into `CHANGELOG.md` under `## [<version>] - <date>` and deletes them.
//!
//! The format, in full (a fragment is read by [`Fragment::parse`], nothing else):
//!
//! ```text
//! <!-- section: Added -->
//! - One entry per `- ` line; an entry may continue on lines
//!   indented by at least two spaces.
//! - Another entry.
//!
//! <!-- section: Fixed -->
//! - A fragment may hold several sections, each at most once.
//! ```
//!
//! Sections are Keep a Changelog's: Added, Changed, Deprecated, Removed, Fixed, Security (spelt
//! exactly so). Blank lines are allowed between entries; headings, prose, `*` bullets and empty
//! sections are errors with their line number. `\r\n` files read the same as `\n` ones.
//! `docs/changelog.d/README.md` (and dotfiles) are not fragments.
//!
//! This module owns the format (one reader, one renderer for fragment files, one renderer for
//! the release section) and the folding; `check` and `pre-pr` call it. It writes nothing itself:
//! `release` and `migrate` build a [`Plan`].

use std::path::Path;

use anyhow::Context as _;

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::layout;
use crate::lock::RunLock;
use crate::output::{self, Paint};
use crate::plan::{Change, Plan};
use crate::receipts::{self, Kind, Receipt};

/// Where fragments live, relative to the repository root.
pub const FRAGMENTS_DIR: &str = "docs/changelog.d";

/// The file in [`FRAGMENTS_DIR`] that explains the format; never read as a fragment.
pub const README: &str = "docs/changelog.d/README.md";

/// The fragment the migration moves the old Unreleased entries into.
pub const MIGRATED_SLUG: &str = "unreleased-before-fragments";

/// What the `## [Unreleased]` section says once entries live in fragments.
pub const UNRELEASED_NOTE: &str = "Entries for the next release live in `docs/changelog.d/`, one file per branch \
(`docs/changelog.d/<slug>.md`); preview them with `cargo xtask changelog`, fold them in here with \
`cargo xtask changelog release <version>`.";

const COMMAND: &str = "changelog";

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<Action>,

    /// Validate every fragment in docs/changelog.d/ instead of printing the preview
    #[arg(long)]
    pub check: bool,

    #[command(flatten)]
    pub json: output::JsonArg,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Fold every fragment into CHANGELOG.md under `## [<version>] - <date>` and delete them
    Release(Release),
    /// Move the entries under CHANGELOG.md's `## [Unreleased]` into a fragment (once per repository)
    Migrate(Migrate),
}

#[derive(Debug, clap::Args)]
pub struct Release {
    /// The version to release, like `1.4.0` (semantic versioning, no leading `v`)
    #[arg(value_name = "VERSION")]
    pub release: String,
    /// The release date, `YYYY-MM-DD` (default: today, UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    #[command(flatten)]
    pub dry_run: output::DryRunArg,
    #[command(flatten)]
    pub json: output::JsonArg,
}

#[derive(Debug, clap::Args)]
pub struct Migrate {
    #[command(flatten)]
    pub dry_run: output::DryRunArg,
    #[command(flatten)]
    pub json: output::JsonArg,
}

// ---------------------------------------------------------------------------------------------
// The format.

/// A Keep a Changelog section, in the order a release lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Section {
    Added,
    Changed,
    Deprecated,
    Removed,
    Fixed,
    Security,
}

impl Section {
    pub const ALL: [Section; 6] =
        [Section::Added, Section::Changed, Section::Deprecated, Section::Removed, Section::Fixed, Section::Security];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Added => "Added",
            Section::Changed => "Changed",
            Section::Deprecated => "Deprecated",
            Section::Removed => "Removed",
            Section::Fixed => "Fixed",
            Section::Security => "Security",
        }
    }

    /// The exact name only: `added` is an error that suggests `Added`.
    pub fn parse(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|section| section.as_str() == name)
    }

    fn names() -> String {
        Section::ALL.map(Section::as_str).join(", ")
    }
}

/// The first line of a section in a fragment: `<!-- section: Added -->`.
fn marker(section: &str) -> String {
    format!("<!-- section: {section} -->")
}

/// One entry: its section, its Markdown (`- …`, continuation lines kept), its first line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub section: Section,
    /// `- text`, with any continuation lines, `\n`-separated, no trailing newline.
    pub text: String,
    /// 1-based line of the `- ` in its file.
    pub line: usize,
}

/// A parsed fragment: its entries in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Fragment {
    pub entries: Vec<Entry>,
}

/// Why a fragment does not parse, at which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl Fragment {
    /// The one reader of the fragment format (see the module's documentation).
    pub fn parse(text: &str) -> Result<Fragment, ParseError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let error = |line: usize, message: String| Err(ParseError { line, message });
        let mut entries: Vec<Entry> = Vec::new();
        // The current section, the line of its marker, and how many entries it has so far.
        let mut current: Option<(Section, usize, usize)> = None;
        let mut seen: Vec<Section> = Vec::new();
        // Whether the previous line belongs to an entry (so an indented line continues it).
        let mut in_entry = false;
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let line = raw.trim_end();
            if line.is_empty() {
                in_entry = false;
                continue;
            }
            if line.starts_with("<!--") {
                let Some(name) = line
                    .strip_prefix("<!--")
                    .and_then(|rest| rest.strip_suffix("-->"))
                    .map(str::trim)
                    .and_then(|inner| inner.strip_prefix("section:"))
                    .map(str::trim)
                else {
                    return error(number, format!("`{line}` is not a section line like `{}`", marker("Added")));
                };
                let Some(section) = Section::parse(name) else {
                    let suggestion = Section::ALL
                        .into_iter()
                        .find(|s| s.as_str().eq_ignore_ascii_case(name))
                        .map_or_else(String::new, |s| format!(" (did you mean `{}`?)", s.as_str()));
                    return error(
                        number,
                        format!("`{name}` is not a section{suggestion}; use one of: {}", Section::names()),
                    );
                };
                if let Some((previous, at, 0)) = current {
                    return error(at, format!("section `{}` has no entries", previous.as_str()));
                }
                if seen.contains(&section) {
                    return error(
                        number,
                        format!("section `{}` appears twice; put all its entries under one", section.as_str()),
                    );
                }
                seen.push(section);
                current = Some((section, number, 0));
                in_entry = false;
                continue;
            }
            if let Some(rest) = line.strip_prefix("- ").or_else(|| (line == "-").then_some("")) {
                let Some((section, at, count)) = current else {
                    return error(
                        number,
                        format!("an entry before any section line; start the file with `{}`", marker("Added")),
                    );
                };
                if rest.trim().is_empty() {
                    return error(number, "an empty entry: write what changed after `- `".into());
                }
                current = Some((section, at, count + 1));
                entries.push(Entry { section, text: line.to_string(), line: number });
                in_entry = true;
                continue;
            }
            if line.starts_with("  ") || line.starts_with('\t') {
                match entries.last_mut() {
                    Some(entry) if in_entry => {
                        entry.text.push('\n');
                        entry.text.push_str(line);
                        continue;
                    }
                    _ => return error(
                        number,
                        "an indented line that continues no entry; continuation lines follow their `- ` line directly"
                            .into(),
                    ),
                }
            }
            let what = if line.starts_with('#') {
                "a heading; the release writes the `### <section>` headings, a fragment only holds entries".to_string()
            } else if line.starts_with("* ") || line.starts_with("+ ") {
                "a list item that does not start with `- `".to_string()
            } else {
                format!("`{line}` is not an entry (`- …`), a continuation (indented) or a section line")
            };
            return error(number, what);
        }
        match current {
            None => {
                error(1, format!("the fragment is empty; write `{}` and then one `- ` line per entry", marker("Added")))
            }
            Some((section, at, 0)) => error(at, format!("section `{}` has no entries", section.as_str())),
            Some(_) => Ok(Fragment { entries }),
        }
    }

    /// The one renderer of fragment files: the sections in file order, `\n` line endings.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut section = None;
        for entry in &self.entries {
            if section != Some(entry.section) {
                if section.is_some() {
                    out.push('\n');
                }
                out.push_str(&marker(entry.section.as_str()));
                out.push('\n');
                section = Some(entry.section);
            }
            out.push_str(&entry.text);
            out.push('\n');
        }
        out
    }
}

/// `docs/changelog.d/<slug>.md`: the fragment of the branch `<kind>/<slug>`.
pub fn fragment_path(slug: &str) -> String {
    format!("{FRAGMENTS_DIR}/{slug}.md")
}

/// A fragment file holding `entry` under `section`, for `new-addon`. `entry` is one or more
/// `- ` lines (continuation lines indented), as `templates/changelog_entry.md.tera` renders it;
/// a first line without `- ` gets one.
pub fn render_fragment(section: &str, entry: &str) -> String {
    let mut out = marker(section);
    out.push('\n');
    let mut first = true;
    for line in entry.trim().lines().map(str::trim_end).filter(|line| !line.is_empty()) {
        if first && !line.starts_with("- ") {
            out.push_str("- ");
        }
        first = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Whether `path` (repository-relative, `/`-separated) is a fragment: a `.md` file directly in
/// [`FRAGMENTS_DIR`], other than its README.
pub fn is_fragment_path(path: &str) -> bool {
    path.strip_prefix(FRAGMENTS_DIR)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|name| !name.contains('/') && name.ends_with(".md") && !is_ignored_name(name))
}

/// Files of [`FRAGMENTS_DIR`] that are not fragments and not errors: the README and dotfiles.
fn is_ignored_name(name: &str) -> bool {
    name == "README.md" || name.starts_with('.')
}

/// What is wrong with one file of [`FRAGMENTS_DIR`], for `check` and this command alike.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// `docs/changelog.d/x.md`
    pub path: String,
    /// 1-based, when the problem is at a line.
    pub line: Option<usize>,
    pub message: String,
    pub hint: String,
}

impl Problem {
    /// `path:line` or `path`.
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        }
    }
}

/// Checks a file of [`FRAGMENTS_DIR`] (`path` repository-relative, `text` its content): its name
/// and its format. `Ok` holds the parsed fragment; a file that is not a fragment at all (the
/// README, a dotfile) gives `Ok(None)`.
pub fn examine(path: &str, text: &str) -> Result<Option<Fragment>, Problem> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if is_ignored_name(name) {
        return Ok(None);
    }
    let problem =
        |line: Option<usize>, message: String, hint: String| Problem { path: path.to_string(), line, message, hint };
    // A rename to a real name made of the file's own words, root-relative (any folder).
    let rename = |stem: &str| {
        let slug = crate::names::suggest(&stem.to_lowercase()).unwrap_or_else(|| "change".to_string());
        format!("rename it:\n{}", crate::git::hint::move_file_staged(path, &fragment_path(&slug)))
    };
    let Some(stem) = name.strip_suffix(".md") else {
        return Err(problem(
            None,
            format!("`{name}` is not a fragment: fragments are `<slug>.md` files"),
            rename(name.rsplit_once('.').map_or(name, |(stem, _)| stem)),
        ));
    };
    match crate::names::Words::parse(stem).map(|words| words.slug()) {
        Ok(slug) if slug == stem => {}
        Ok(slug) => {
            return Err(problem(
                None,
                format!("`{name}` is not named `<slug>.md` (lowercase words joined by `-`)"),
                format!("rename it:\n{}", crate::git::hint::move_file_staged(path, &fragment_path(&slug))),
            ))
        }
        Err(error) => {
            return Err(problem(None, format!("`{name}` is not named `<slug>.md`: {}", error.detail), rename(stem)))
        }
    }
    Fragment::parse(text).map(Some).map_err(|error| {
        problem(
            Some(error.line),
            format!("not a valid CHANGELOG fragment: {}", error.message),
            format!(
                "fix line {} of {path} (the format: {README}), then check again:\ncargo xtask changelog --check",
                error.line
            ),
        )
    })
}

/// A fragment read from the working tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Loaded {
    pub path: String,
    #[serde(flatten)]
    pub fragment: Fragment,
}

/// Every fragment of the working tree, sorted by path, and the problems of the files that are not
/// valid fragments. A missing directory has no fragments; the fragments a sparse checkout leaves
/// out are read from the index, as every reader of the tree does.
pub fn load(root: &Path) -> anyhow::Result<(Vec<Loaded>, Vec<Problem>)> {
    use crate::git::sparse;
    let dir = root.join(FRAGMENTS_DIR);
    let mut names = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.with_context(|| format!("failed to read `{}`", dir.display()))?;
                names.push((entry.file_name().to_string_lossy().into_owned(), entry.path()));
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", dir.display())),
    }
    names.extend(sparse::absent_in(&dir).into_iter().map(|(name, _, _)| (name.clone(), dir.join(name))));
    names.sort();
    let mut fragments = Vec::new();
    let mut problems = Vec::new();
    for (name, full) in names {
        let path = format!("{FRAGMENTS_DIR}/{name}");
        if is_ignored_name(&name) {
            continue;
        }
        if sparse::is_dir(&full) {
            problems.push(Problem {
                path: path.clone(),
                line: None,
                message: format!("`{name}` is a folder; fragments are files directly in {FRAGMENTS_DIR}/"),
                hint: {
                    // The folder's files by name: a shell glob would expand in the engineer's folder.
                    let mut files: Vec<String> = std::fs::read_dir(&full)
                        .into_iter()
                        .flatten()
                        .flatten()
                        .map(|entry| {
                            crate::git::hint::root_path(&format!("{path}/{}", entry.file_name().to_string_lossy()))
                        })
                        .collect();
                    files.sort();
                    format!(
                        "move its files up, then remove the folder:\nmv {} {}/",
                        files.join(" "),
                        crate::git::hint::root_path(FRAGMENTS_DIR)
                    )
                },
            });
            continue;
        }
        let text = match sparse::read(&full) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    problems.push(Problem {
                        path: path.clone(),
                        line: None,
                        message: "not UTF-8 text".into(),
                        hint: format!("save {path} as UTF-8, then check again:\ncargo xtask changelog --check"),
                    });
                    continue;
                }
            },
            Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", full.display())),
        };
        match examine(&path, &text) {
            Ok(Some(fragment)) => fragments.push(Loaded { path, fragment }),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    Ok((fragments, problems))
}

/// The one renderer of a release's body: `### <section>` in Keep a Changelog order, each with the
/// entries of every fragment, fragments in path order, entries in file order. Empty when there
/// are no entries.
pub fn render_entries(fragments: &[Loaded]) -> String {
    let mut out = String::new();
    for section in Section::ALL {
        let entries: Vec<&Entry> = fragments
            .iter()
            .flat_map(|loaded| loaded.fragment.entries.iter())
            .filter(|entry| entry.section == section)
            .collect();
        if entries.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("### {}\n\n", section.as_str()));
        for entry in entries {
            out.push_str(&entry.text);
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// CHANGELOG.md.

/// `CHANGELOG.md` cut around its `## [Unreleased]` section (lines without their endings).
struct Split<'a> {
    /// Everything up to and including the Unreleased heading.
    head: &'a [&'a str],
    /// The Unreleased section's body.
    body: &'a [&'a str],
    /// The next `## ` heading and everything after it.
    rest: &'a [&'a str],
    /// 1-based line of the Unreleased heading.
    heading_line: usize,
}

fn split<'a>(lines: &'a [&'a str]) -> Option<Split<'a>> {
    let heading = lines.iter().position(|line| is_unreleased_heading(line))?;
    let end =
        lines[heading + 1..].iter().position(|line| line.starts_with("## ")).map_or(lines.len(), |i| heading + 1 + i);
    Some(Split {
        head: &lines[..=heading],
        body: &lines[heading + 1..end],
        rest: &lines[end..],
        heading_line: heading + 1,
    })
}

/// Lines of the Unreleased section that are entries or subsection headings (as opposed to the
/// note that points to the fragments), with their 1-based line numbers.
pub fn unreleased_entries(changelog: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = changelog.lines().collect();
    let Some(parts) = split(&lines) else { return Vec::new() };
    parts
        .body
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            let trimmed = line.trim_start();
            trimmed.starts_with("- ") || trimmed.starts_with("* ") || line.starts_with("### ")
        })
        .map(|(index, line)| (parts.heading_line + 1 + index, line.trim_end().to_string()))
        .collect()
}

/// The release headings (`## [1.2.0] - …`) of a CHANGELOG, without Unreleased.
pub fn release_headings(changelog: &str) -> Vec<String> {
    changelog
        .lines()
        .filter(|line| line.starts_with("## [") && !is_unreleased_heading(line))
        .map(|line| line.trim_end().to_string())
        .collect()
}

/// Joins lines with the file's own line ending, with one final newline.
fn join(lines: &[&str], newline: &str) -> String {
    let mut out = lines.join(newline);
    while out.ends_with(newline) {
        out.truncate(out.len() - newline.len());
    }
    out.push_str(newline);
    out
}

fn newline_of(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// The Unreleased section replaced by the note (and `release`, if any, inserted after it).
fn rewrite_unreleased(changelog: &str, release: Option<&[String]>) -> anyhow::Result<String> {
    let newline = newline_of(changelog);
    let lines: Vec<&str> = changelog.lines().collect();
    let Some(parts) = split(&lines) else {
        anyhow::bail!("it has no `## [Unreleased]` heading (Keep a Changelog)");
    };
    let mut out: Vec<&str> = parts.head.to_vec();
    out.extend(["", UNRELEASED_NOTE, ""]);
    if let Some(release) = release {
        out.extend(release.iter().map(String::as_str));
        out.push("");
    }
    out.extend_from_slice(parts.rest);
    Ok(join(&out, newline))
}

/// Folds a release into `changelog`: `## [<version>] - <date>` with `entries` (from
/// [`render_entries`]) right under the Unreleased section, which is left holding only the note.
/// Refuses while Unreleased still holds entries (an unmigrated CHANGELOG) or the version exists.
pub fn fold(changelog: &str, version: &str, date: &str, entries: &str) -> anyhow::Result<String> {
    if let Some((line, text)) = unreleased_entries(changelog).into_iter().next() {
        anyhow::bail!(
            "its `## [Unreleased]` section still holds entries (line {line}: `{text}`); move them to fragments first"
        );
    }
    if release_headings(changelog).iter().any(|heading| heading_version(heading) == Some(version)) {
        anyhow::bail!("it already has a `## [{version}]` release");
    }
    let mut release = vec![format!("## [{version}] - {date}"), String::new()];
    release.extend(entries.trim_end().lines().map(str::to_string));
    rewrite_unreleased(changelog, Some(&release))
}

/// `1.2.0` from `## [1.2.0] - 2026-01-01`.
fn heading_version(heading: &str) -> Option<&str> {
    heading.strip_prefix("## [")?.split_once(']').map(|(version, _)| version)
}

/// Whether the branch is a release: `after` has a release heading that `before` lacks.
pub fn added_release(before: Option<&str>, after: &str) -> Option<String> {
    let old = before.map(release_headings).unwrap_or_default();
    release_headings(after).into_iter().find(|heading| !old.contains(heading))
}

/// The old Unreleased section as a fragment: `### <section>` subsections of `- ` entries.
fn old_entries(changelog: &str) -> Result<Fragment, (usize, String)> {
    let lines: Vec<&str> = changelog.lines().collect();
    let Some(parts) = split(&lines) else { return Ok(Fragment::default()) };
    let mut entries: Vec<Entry> = Vec::new();
    let mut section = None;
    let mut in_entry = false;
    for (index, raw) in parts.body.iter().enumerate() {
        let number = parts.heading_line + 1 + index;
        let line = raw.trim_end();
        if line.is_empty() {
            in_entry = false;
            continue;
        }
        if let Some(name) = line.strip_prefix("### ") {
            let Some(parsed) = Section::parse(name.trim()) else {
                return Err((
                    number,
                    format!("`{line}` is not a Keep a Changelog section ({}); rename it", Section::names()),
                ));
            };
            section = Some(parsed);
            in_entry = false;
            continue;
        }
        let item = line.strip_prefix("- ").or_else(|| line.strip_prefix("* "));
        if let Some(item) = item {
            let Some(section) = section else {
                return Err((number, format!("`{line}` is not under a `### <section>` heading; put it under one")));
            };
            entries.push(Entry { section, text: format!("- {}", item.trim()), line: number });
            in_entry = true;
            continue;
        }
        if (line.starts_with("  ") || line.starts_with('\t')) && in_entry {
            if let Some(entry) = entries.last_mut() {
                entry.text.push('\n');
                entry.text.push_str(line);
            }
            continue;
        }
        if entries.is_empty() && section.is_none() {
            // Prose before any entry: the old or the new note, not an entry.
            continue;
        }
        return Err((number, format!("`{line}` is not an entry (`- …`) of the Unreleased section; edit or remove it")));
    }
    // One section per marker in the fragment: group entries by section, keeping their order.
    entries.sort_by_key(|entry| entry.section);
    Ok(Fragment { entries })
}

/// For `cargo xtask migrate`: plans moving the entries under CHANGELOG.md's `## [Unreleased]` to
/// `docs/changelog.d/unreleased-before-fragments.md`, the Unreleased section to the note, and the
/// fragments' README. Returns what it planned, one line each; empty when there is nothing to do
/// (already migrated, or no CHANGELOG.md).
pub fn migrate(root: &Path, plan: &mut Plan) -> anyhow::Result<Vec<String>> {
    let mut done = Vec::new();
    let path = layout::CHANGELOG;
    let full = root.join(path);
    let changelog = match crate::git::sparse::read_regular_to_string(&full) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", full.display())),
    };
    if let Some(changelog) = changelog {
        let lines: Vec<&str> = changelog.lines().collect();
        let migrated = split(&lines).is_some_and(|parts| {
            parts.body.iter().any(|line| line.contains(FRAGMENTS_DIR)) && unreleased_entries(&changelog).is_empty()
        });
        if !migrated && split(&lines).is_some() {
            let fragment = old_entries(&changelog).map_err(|(line, message)| {
                Refusal::usage(format!("cannot migrate `{path}`:{line}: {message}")).hint(format!(
                    "edit {path} line {line}, then preview again:\ncargo xtask changelog migrate --dry-run"
                ))
            })?;
            if !fragment.entries.is_empty() {
                let target = fragment_path(MIGRATED_SLUG);
                if root.join(&target).exists() {
                    return Err(Refusal::failed(format!(
                        "`{target}` already exists; the migration would overwrite it"
                    ))
                    .hint(format!(
                        "give it its own name (or merge it into another fragment), then migrate again:\n{}",
                        crate::git::hint::move_file(&target, &fragment_path(&format!("{MIGRATED_SLUG}-earlier")))
                    ))
                    .into());
                }
                done.push(format!(
                    "move {} from the Unreleased section of {path} to {target}",
                    counted(fragment.entries.len(), "entry", "entries")
                ));
                plan.create(target, fragment.render());
            }
            plan.edit(root, path, |text| rewrite_unreleased(text, None))?;
            done.push(format!("leave the Unreleased section of {path} pointing to {FRAGMENTS_DIR}/"));
        }
    }
    if !done.is_empty() && !root.join(README).exists() {
        plan.create(README, readme());
        done.push(format!("explain the fragment format in {README}"));
    }
    Ok(done)
}

/// `docs/changelog.d/README.md`.
fn readme() -> String {
    format!(
        "# CHANGELOG fragments\n\n\
One file per branch: `docs/changelog.d/<slug>.md` (the branch `feat/scheduler` writes\n\
`docs/changelog.d/scheduler.md`). Two branches never edit the same file, so they never conflict\n\
here. `cargo xtask changelog release <version>` folds every fragment into `CHANGELOG.md` and\n\
deletes them.\n\n\
A fragment is one or more sections, each a section line and its entries:\n\n\
```markdown\n{}\n- What changed, for the people who use it.\n  A long entry continues on lines indented by two spaces.\n\n{}\n- Another section of the same branch.\n```\n\n\
Sections: {}. Each appears at most once per fragment, with at least one `- ` entry.\n\
Check your fragment with `cargo xtask changelog --check`; preview the next release with\n\
`cargo xtask changelog`. This README is not a fragment.\n",
        marker("Added"),
        marker("Fixed"),
        Section::names()
    )
}

// ---------------------------------------------------------------------------------------------
// The command.

/// The `--json` report of the preview and `--check`.
#[derive(Debug, serde::Serialize)]
struct PreviewReport<'a> {
    ok: bool,
    fragments: &'a [Loaded],
    problems: &'a [Problem],
    /// The would-be Unreleased section, Markdown.
    markdown: String,
}

/// The `--json` report of `release` and `migrate`.
#[derive(Debug, serde::Serialize)]
struct PlanReport<'a> {
    dry_run: bool,
    /// What the command did (or would do), one line each.
    summary: &'a [String],
    plan: &'a Plan,
}

impl output::Report for PreviewReport<'_> {
    const VERSION: u32 = 1;
}

impl output::Report for PlanReport<'_> {
    const VERSION: u32 = 1;
}

/// The receipt's detail of a release or a migration.
#[derive(serde::Serialize)]
struct Detail<'a> {
    files: Vec<&'a str>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    match args.action {
        Some(Action::Release(release)) => run_release(ctx, release),
        Some(Action::Migrate(migrate)) => run_migrate(ctx, migrate),
        None => preview(ctx, args.check, args.json.json),
    }
}

/// The problems as `check` prints findings: through the one renderer, a `hint:` on every line.
fn print_problems(problems: &[Problem]) {
    let findings: Vec<crate::check::Finding> = problems
        .iter()
        .map(|problem| {
            crate::check::Finding::error(
                "sop-4.4/changelog-fragment",
                Some(problem.location()),
                problem.message.clone(),
                problem.hint.clone(),
            )
        })
        .collect();
    out!("{}", crate::check::render_findings(&findings, Paint::stdout()));
}

/// The refusal after `problems`; `printed`: each was printed with its hint already, which the
/// refusal does not repeat (each command is pasted once).
fn problems_refusal(problems: &[Problem], printed: bool) -> anyhow::Error {
    let first = problems.first().map(|p| p.hint.clone()).unwrap_or_default();
    let hint = if problems.len() == 1 && !printed {
        first
    } else {
        "fix each fragment as its hint says, then check again:\ncargo xtask changelog --check".into()
    };
    let what = if problems.len() == 1 { "CHANGELOG fragment is" } else { "CHANGELOG fragments are" };
    Refusal::failed(format!("{} {what} not valid", problems.len())).hint(hint).into()
}

fn preview(ctx: &Ctx, check: bool, json: bool) -> anyhow::Result<()> {
    let (fragments, problems) = load(ctx.root())?;
    let entries = render_entries(&fragments);
    if json {
        let markdown = format!("## [Unreleased]\n\n{entries}");
        let report = PreviewReport { ok: problems.is_empty(), fragments: &fragments, problems: &problems, markdown };
        output::json(&report)?;
    } else {
        print_problems(&problems);
        if check {
            if problems.is_empty() {
                let count: usize = fragments.iter().map(|f| f.fragment.entries.len()).sum();
                output::status(
                    "Checked",
                    format!("{} fragments in {FRAGMENTS_DIR}/ ({count} entries): no findings", fragments.len()),
                );
            }
        } else if problems.is_empty() {
            if entries.is_empty() {
                output::status(
                    "Previewed",
                    format!("no fragments in {FRAGMENTS_DIR}/: the next release has no entries yet"),
                );
            } else {
                out!("## [Unreleased]\n\n{entries}");
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems_refusal(&problems, !json));
    }
    Ok(())
}

/// Why `version` is not a SemVer 2.0.0 version (`1.2.0`, `1.2.0-rc.1`, `1.2.0+build.5`), or
/// `None` when it is: three numbers without leading zeros (§2), then optional pre-release
/// identifiers (§9: non-empty, `[0-9A-Za-z-]`, a numeric one without leading zeros), then
/// optional build identifiers (§10: non-empty, `[0-9A-Za-z-]`, leading zeros allowed).
fn version_problem(version: &str) -> Option<String> {
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.len() != 3 || numbers.iter().any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit())) {
        return Some("it needs three numbers, MAJOR.MINOR.PATCH".into());
    }
    if let Some(number) = numbers.iter().find(|n| n.len() > 1 && n.starts_with('0')) {
        return Some(format!("`{number}` has a leading zero"));
    }
    let identifiers = |part: &str, what: &str, numeric_zeros: bool| -> Option<String> {
        for identifier in part.split('.') {
            if identifier.is_empty() {
                return Some(format!("its {what} has an empty identifier"));
            }
            if !identifier.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Some(format!(
                    "its {what} identifier `{identifier}` holds more than `0-9`, `A-Z`, `a-z` and `-`"
                ));
            }
            let numeric = identifier.bytes().all(|b| b.is_ascii_digit());
            if !numeric_zeros && numeric && identifier.len() > 1 && identifier.starts_with('0') {
                return Some(format!("its {what} identifier `{identifier}` is a number with a leading zero"));
            }
        }
        None
    };
    pre.and_then(|pre| identifiers(pre, "pre-release", false))
        .or_else(|| build.and_then(|build| identifiers(build, "build metadata", true)))
}

/// The valid version nearest to a refused one, for the hint: without a leading `v`, leading
/// zeros or empty identifiers (`v01.2.3-rc..01` → `1.2.3-rc.1`); `1.0.0` when there is none.
fn nearest_version(version: &str) -> String {
    let trimmed = version.trim_start_matches(['v', 'V']);
    let (rest, build) = trimmed.split_once('+').map_or((trimmed, None), |(rest, build)| (rest, Some(build)));
    let (core, pre) = rest.split_once('-').map_or((rest, None), |(core, pre)| (core, Some(pre)));
    let unpadded = |identifier: &str| {
        if identifier.len() > 1 && identifier.bytes().all(|b| b.is_ascii_digit()) {
            let digits = identifier.trim_start_matches('0');
            if digits.is_empty() {
                "0".to_string()
            } else {
                digits.to_string()
            }
        } else {
            identifier.to_string()
        }
    };
    let joined = |part: &str, unpad: bool| -> String {
        let kept: Vec<String> = part
            .split('.')
            .filter(|identifier| !identifier.is_empty())
            .map(|identifier| if unpad { unpadded(identifier) } else { identifier.to_string() })
            .collect();
        kept.join(".")
    };
    let mut nearest = joined(core, true);
    if let Some(pre) = pre.map(|pre| joined(pre, true)).filter(|pre| !pre.is_empty()) {
        nearest = format!("{nearest}-{pre}");
    }
    if let Some(build) = build.map(|build| joined(build, false)).filter(|build| !build.is_empty()) {
        nearest = format!("{nearest}+{build}");
    }
    if version_problem(&nearest).is_none() {
        nearest
    } else {
        "1.0.0".to_string()
    }
}

/// The days of `month` (1–12) of `year` in the Gregorian calendar: a leap year is divisible by
/// 4, and not by 100 unless by 400.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Why `date` is not a calendar day written `YYYY-MM-DD`, or `None` when it is.
fn date_problem(date: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let number = |text: &str, len: usize| {
        (text.len() == len && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<u32>().ok()).flatten()
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Some("it is not written YYYY-MM-DD".into());
    };
    let (Some(year), Some(month), Some(day)) = (number(year, 4), number(month, 2), number(day, 2)) else {
        return Some("it is not written YYYY-MM-DD".into());
    };
    let Some(name) = month.checked_sub(1).and_then(|index| MONTHS.get(index as usize)) else {
        return Some(format!("there is no month {month:02}"));
    };
    let days = days_in_month(year, month);
    (!(1..=days).contains(&day)).then(|| format!("{name} {year:04} has {days} days"))
}

/// `1.4.0` → `1.4.1`: the version after one that is taken.
fn next_patch(version: &str) -> String {
    let mut parts: Vec<String> = version.split('.').map(str::to_string).collect();
    if let Some(last) = parts.last_mut() {
        let digits: String = last.chars().take_while(char::is_ascii_digit).collect();
        *last = digits.parse::<u64>().map_or_else(|_| "1".to_string(), |n| (n + 1).to_string());
    }
    parts.join(".")
}

fn run_release(ctx: &Ctx, args: Release) -> anyhow::Result<()> {
    let version = args.release.trim();
    if let Some(problem) = version_problem(version) {
        return Err(Refusal::usage(format!(
            "`{version}` is not a version like `1.4.0` (semantic versioning, SemVer 2.0.0): {problem}"
        ))
        .hint(format!(
            "the nearest valid version; check it is the one you mean:\ncargo xtask changelog release {} --dry-run",
            nearest_version(version)
        ))
        .into());
    }
    let date = args.date.clone().unwrap_or_else(receipts::today);
    if let Some(problem) = date_problem(&date) {
        return Err(Refusal::usage(format!("`{date}` is not a date like `2026-01-31` (YYYY-MM-DD): {problem}"))
            .hint(format!(
                "a release date is a day of the calendar; today's (UTC):\ncargo xtask changelog release {version} --date {} --dry-run",
                receipts::today()
            ))
            .into());
    }
    let _lock = if args.dry_run.dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    // A release is a commit of its own: not into the middle of a rebase or merge.
    ctx.repo.ensure_no_operation_in_progress()?;
    let root = ctx.root();
    let (fragments, problems) = load(root)?;
    if !problems.is_empty() {
        print_problems(&problems);
        return Err(problems_refusal(&problems, true));
    }
    // A release deletes its fragments: never one a sparse checkout left out of the working tree.
    let absent: Vec<&str> = fragments
        .iter()
        .filter(|loaded| std::fs::symlink_metadata(root.join(&loaded.path)).is_err())
        .map(|loaded| loaded.path.as_str())
        .collect();
    if !absent.is_empty() {
        return Err(Refusal::failed(format!(
            "the sparse checkout leaves {} of {FRAGMENTS_DIR}/ out of the working tree ({}): a release deletes every fragment, so nothing was done",
            counted(absent.len(), "fragment", "fragments"),
            absent.join(", ")
        ))
        .hint(format!("check the folder out, then run the release again:\ngit -C \"$(git rev-parse --show-toplevel)\" sparse-checkout add {FRAGMENTS_DIR}"))
        .into());
    }
    if fragments.is_empty() {
        return Err(Refusal::failed(format!("there is nothing to release: {FRAGMENTS_DIR}/ holds no fragments"))
            .hint("preview what is there: cargo xtask changelog")
            .into());
    }
    let entries = render_entries(&fragments);
    let mut plan = Plan::new(&format!("{COMMAND} release {version}"));
    let changelog_error = |error: anyhow::Error| -> anyhow::Error {
        let message = format!("{error:#}");
        if message.contains("still holds entries") {
            Refusal::failed(format!("cannot release into `{}`: {message}", layout::CHANGELOG))
                .hint("cargo xtask changelog migrate")
                .into()
        } else if message.contains("already has") {
            Refusal::usage(format!("cannot release into `{}`: {message}", layout::CHANGELOG))
                .hint(format!(
                    "pick the next version:\ncargo xtask changelog release {} --dry-run",
                    next_patch(version)
                ))
                .into()
        } else {
            Refusal::failed(format!("cannot release into `{}`: {message}", layout::CHANGELOG))
                .hint(format!("add `## [Unreleased]` above the first release in {}", layout::CHANGELOG))
                .into()
        }
    };
    // Check the fold before planning, so its refusal carries the right hint.
    let current = crate::git::sparse::read_regular_to_string(&root.join(layout::CHANGELOG)).ok();
    if let Some(current) = &current {
        fold(current, version, &date, &entries).map_err(changelog_error)?;
    }
    plan.edit(root, layout::CHANGELOG, |text| fold(text, version, &date, &entries))?;
    for loaded in &fragments {
        plan.delete(root, &loaded.path)?;
    }
    let count: usize = fragments.iter().map(|f| f.fragment.entries.len()).sum();
    let summary = vec![format!(
        "fold {} from {} into `## [{version}] - {date}` of {}, and delete {}",
        counted(count, "entry", "entries"),
        counted(fragments.len(), "fragment", "fragments"),
        layout::CHANGELOG,
        if fragments.len() == 1 { "it" } else { "them" }
    )];
    finish(ctx, &plan, &summary, args.dry_run.dry_run, args.json.json, &format!("release {version}"))
}

/// `1 entry`, `2 entries`.
fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn run_migrate(ctx: &Ctx, args: Migrate) -> anyhow::Result<()> {
    let _lock = if args.dry_run.dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    let mut plan = Plan::new(&format!("{COMMAND} migrate"));
    let summary = migrate(ctx.root(), &mut plan)?;
    if summary.is_empty() {
        if args.json.json {
            return output::json(&PlanReport { dry_run: args.dry_run.dry_run, summary: &summary, plan: &plan });
        } else {
            output::status(
                "Migrated",
                format!("nothing to do: {} already points to {FRAGMENTS_DIR}/", layout::CHANGELOG),
            );
        }
        return Ok(());
    }
    finish(ctx, &plan, &summary, args.dry_run.dry_run, args.json.json, "move CHANGELOG entries to fragments")
}

/// Prints (`--dry-run`) or applies a plan, with a receipt.
fn finish(ctx: &Ctx, plan: &Plan, summary: &[String], dry_run: bool, json: bool, done: &str) -> anyhow::Result<()> {
    if !dry_run {
        plan.apply(&ctx.repo)?;
        let files: Vec<&str> = plan.changes.iter().map(Change::path).collect();
        let receipt = Receipt::new(COMMAND, Kind::StateChange, done).detail(serde_json::to_value(Detail { files })?);
        receipts::append(&ctx.repo, receipt)?;
    }
    if json {
        return output::json(&PlanReport { dry_run, summary, plan });
    }
    if dry_run {
        outln!("dry run: `cargo xtask {}` would do the following; nothing is written\n", plan.command);
        for line in summary {
            outln!("  {line}");
        }
        outln!();
        out!("{}", plan.render());
        outln!("\nrun it without --dry-run to apply");
        return Ok(());
    }
    for change in &plan.changes {
        match change {
            Change::Create { path, .. } => output::status("Created", path),
            Change::Edit { path, .. } => output::status("Edited", path),
            Change::Delete { path, .. } => output::status("Removed", path),
        }
    }
    outln!("\nreview it, then commit it:");
    let message = crate::git::hint::message(&ctx.config, "docs", done);
    outln!("next: {}", crate::git::hint::commit_written(&ctx.repo, plan.changes.iter().map(Change::path), &message)?);
    Ok(())
}

/// Whether `line` is Keep a Changelog's `## [Unreleased]` heading (any case).
pub fn is_unreleased_heading(line: &str) -> bool {
    line.starts_with("## ") && line.to_ascii_lowercase().contains("unreleased")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(path: &str, text: &str) -> Loaded {
        Loaded { path: path.into(), fragment: Fragment::parse(text).unwrap() }
    }

    #[test]
    fn a_fragment_round_trips() {
        let text = "<!-- section: Added -->\n- one\n  continued\n- two\n\n<!-- section: Fixed -->\n- three\n";
        let fragment = Fragment::parse(text).unwrap();
        assert_eq!(fragment.entries.len(), 3);
        assert_eq!(fragment.entries[0].text, "- one\n  continued");
        assert_eq!((fragment.entries[2].section, fragment.entries[2].line), (Section::Fixed, 7));
        assert_eq!(fragment.render(), text);
        assert_eq!(Fragment::parse(&fragment.render()).unwrap(), fragment);
    }

    #[test]
    fn crlf_and_a_bom_read_the_same() {
        let text = "<!-- section: Added -->\n- one\n  more\n";
        let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        assert_eq!(Fragment::parse(&crlf).unwrap(), Fragment::parse(text).unwrap());
    }

    #[test]
    fn errors_name_their_line() {
        let cases = [
            ("", 1, "empty"),
            ("\n\n", 1, "empty"),
            ("- x\n", 1, "before any section"),
            ("<!-- section: Added -->\n", 1, "no entries"),
            ("<!-- section: added -->\n- x\n", 1, "did you mean `Added`"),
            ("<!-- section: Misc -->\n- x\n", 1, "not a section"),
            ("<!-- sections Added -->\n- x\n", 1, "not a section line"),
            ("<!-- section: Added -->\n- x\n<!-- section: Added -->\n- y\n", 3, "appears twice"),
            ("<!-- section: Added -->\n<!-- section: Fixed -->\n- y\n", 1, "no entries"),
            ("<!-- section: Added -->\n- x\n### Added\n", 3, "heading"),
            ("<!-- section: Added -->\n* x\n", 2, "does not start with `- `"),
            ("<!-- section: Added -->\n- x\nprose\n", 3, "not an entry"),
            ("<!-- section: Added -->\n- x\n\n  orphan\n", 4, "continues no entry"),
            ("<!-- section: Added -->\n-   \n", 2, "empty entry"),
            ("<!-- section: Added -->\r\n- x\r\nbad\r\n", 3, "not an entry"),
        ];
        for (text, line, needle) in cases {
            let error = Fragment::parse(text).unwrap_err();
            assert_eq!(error.line, line, "{text:?}: {error}");
            assert!(error.message.contains(needle), "{text:?}: {error}");
        }
    }

    #[test]
    fn render_fragment_is_what_parse_reads() {
        let entry = "- Scheduler: runs jobs — behind `FEATURE_SCHEDULER` (off by default)\n";
        let text = render_fragment("Added", entry);
        assert_eq!(text, format!("<!-- section: Added -->\n{entry}"));
        assert_eq!(Fragment::parse(&text).unwrap().entries[0].text, entry.trim_end());
        assert_eq!(render_fragment("Fixed", "no bullet"), "<!-- section: Fixed -->\n- no bullet\n");
        assert_eq!(fragment_path("scheduler"), "docs/changelog.d/scheduler.md");
    }

    #[test]
    fn fragment_paths_are_recognised() {
        assert!(is_fragment_path("docs/changelog.d/scheduler.md"));
        assert!(!is_fragment_path("docs/changelog.d/README.md"));
        assert!(!is_fragment_path("docs/changelog.d/.gitkeep"));
        assert!(!is_fragment_path("docs/changelog.d/sub/x.md"));
        assert!(!is_fragment_path("docs/changelog.dx/x.md"));
        assert!(!is_fragment_path("CHANGELOG.md"));
    }

    #[test]
    fn names_are_checked() {
        let ok = "<!-- section: Added -->\n- x\n";
        assert!(examine("docs/changelog.d/api-v2.md", ok).unwrap().is_some());
        assert!(examine("docs/changelog.d/README.md", "anything").unwrap().is_none());
        let error = examine("docs/changelog.d/My Thing.md", ok).unwrap_err();
        assert_eq!(
            error.hint,
            "rename it:\nmv \"$(git rev-parse --show-toplevel)\"/'docs/changelog.d/My Thing.md' \"$(git rev-parse --show-toplevel)\"/docs/changelog.d/my-thing.md && git add -A -- \"$(git rev-parse --show-toplevel)\"/docs/changelog.d"
        );
        assert!(examine("docs/changelog.d/x.txt", ok).unwrap_err().message.contains("not a fragment"));
        let error = examine("docs/changelog.d/x.md", "<!-- section: Added -->\nbad\n").unwrap_err();
        assert_eq!(error.location(), "docs/changelog.d/x.md:2");
        assert!(error.hint.contains("cargo xtask changelog --check"), "{}", error.hint);
    }

    #[test]
    fn entries_group_by_section_in_a_deterministic_order() {
        let fragments = [
            loaded("docs/changelog.d/a.md", "<!-- section: Fixed -->\n- a fix\n<!-- section: Added -->\n- a1\n- a2\n"),
            loaded("docs/changelog.d/b.md", "<!-- section: Security -->\n- b sec\n\n<!-- section: Added -->\n- b1\n"),
        ];
        let expected = "### Added\n\n- a1\n- a2\n- b1\n\n### Fixed\n\n- a fix\n\n### Security\n\n- b sec\n";
        assert_eq!(render_entries(&fragments), expected);
        assert_eq!(render_entries(&[]), "");
    }

    #[test]
    fn load_reads_an_empty_or_missing_directory_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), (Vec::new(), Vec::new()));
        std::fs::create_dir_all(dir.path().join(FRAGMENTS_DIR)).unwrap();
        assert_eq!(load(dir.path()).unwrap(), (Vec::new(), Vec::new()));
        for (name, text) in [
            ("zeta.md", "<!-- section: Added -->\n- z\n"),
            ("alpha.md", "<!-- section: Added -->\n- a\n"),
            ("README.md", "# not a fragment\n"),
            ("broken.md", "nope\n"),
        ] {
            std::fs::write(dir.path().join(FRAGMENTS_DIR).join(name), text).unwrap();
        }
        let (fragments, problems) = load(dir.path()).unwrap();
        let paths: Vec<&str> = fragments.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["docs/changelog.d/alpha.md", "docs/changelog.d/zeta.md"]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location(), "docs/changelog.d/broken.md:1");
    }

    const OLD: &str = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n\n- one\n  more\n- two\n\n### Fixed\n\n- bug\n\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- old\n";

    fn migrated() -> String {
        format!("# Changelog\n\nIntro.\n\n## [Unreleased]\n\n{UNRELEASED_NOTE}\n\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- old\n")
    }

    #[test]
    fn fold_writes_the_release_under_unreleased() {
        let entries = "### Added\n\n- new\n";
        let out = fold(&migrated(), "0.2.0", "2026-02-02", entries).unwrap();
        assert_eq!(
            out,
            format!(
                "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n{UNRELEASED_NOTE}\n\n## [0.2.0] - 2026-02-02\n\n### Added\n\n- new\n\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- old\n"
            )
        );
        assert!(fold(&out, "0.2.0", "2026-02-03", entries).unwrap_err().to_string().contains("already has"));
        assert!(fold(OLD, "0.2.0", "2026-02-02", entries).unwrap_err().to_string().contains("still holds entries"));
        assert!(fold("# Changelog\n", "0.2.0", "2026-02-02", entries).unwrap_err().to_string().contains("Unreleased"));
        let crlf = fold(&migrated().replace('\n', "\r\n"), "0.2.0", "2026-02-02", entries).unwrap();
        assert_eq!(crlf, out.replace('\n', "\r\n"));
    }

    #[test]
    fn a_release_is_recognised() {
        let after = fold(&migrated(), "0.2.0", "2026-02-02", "### Added\n\n- new\n").unwrap();
        assert_eq!(added_release(Some(&migrated()), &after).as_deref(), Some("## [0.2.0] - 2026-02-02"));
        assert_eq!(added_release(Some(&after), &after), None);
    }

    #[test]
    fn migration_moves_the_entries_then_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("CHANGELOG.md"), OLD).unwrap();
        let mut plan = Plan::new("migrate");
        let lines = migrate(dir.path(), &mut plan).unwrap();
        assert_eq!(lines.len(), 3, "{lines:?}");
        let created = |path: &str| {
            plan.changes.iter().find_map(|c| match c {
                Change::Create { path: p, content } if p == path => Some(content.clone()),
                _ => None,
            })
        };
        let fragment = created("docs/changelog.d/unreleased-before-fragments.md").unwrap();
        assert_eq!(fragment, "<!-- section: Added -->\n- one\n  more\n- two\n\n<!-- section: Fixed -->\n- bug\n");
        assert!(Fragment::parse(&created(README).unwrap()).is_err(), "the README is not a fragment itself");
        let after = plan
            .changes
            .iter()
            .find_map(|c| match c {
                Change::Edit { after, .. } => Some(after.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(after, migrated());

        std::fs::write(dir.path().join("CHANGELOG.md"), &after).unwrap();
        let mut again = Plan::new("migrate");
        assert_eq!(migrate(dir.path(), &mut again).unwrap(), Vec::<String>::new());
        assert!(again.changes.is_empty());
    }

    #[test]
    fn migration_refuses_entries_outside_a_section() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("CHANGELOG.md"), "# C\n\n## [Unreleased]\n\n- loose\n").unwrap();
        let error = migrate(dir.path(), &mut Plan::new("migrate")).unwrap_err();
        assert!(error.to_string().contains("CHANGELOG.md`:5"), "{error}");
        assert_eq!(crate::error::exit_code(&error), 2);
    }

    /// SemVer 2.0.0 as a table: every valid form (§2, §9, §10) is accepted, and every invalid
    /// one is refused for its own reason, whichever part it is in; the hint's version is valid.
    #[test]
    fn versions_are_semver() {
        for good in [
            "0.0.0",
            "1.0.0",
            "0.12.3",
            "10.20.30",
            "18446744073709551616.0.0",
            "1.0.0-0",
            "1.0.0-rc.1",
            "1.0.0-alpha.beta.10",
            "1.0.0-0a.01a.a01",
            "1.0.0-x-y-z.--",
            "1.0.0--",
            "1.0.0+build.5",
            "1.0.0+001.0099",
            "1.0.0-rc.1+exp.sha.5114f85",
            "1.0.0+x-y.Z",
        ] {
            assert_eq!(version_problem(good), None, "{good}");
            assert_eq!(nearest_version(good), good);
        }
        for (bad, why) in [
            ("", "three numbers"),
            ("1.0", "three numbers"),
            ("1.0.0.0", "three numbers"),
            ("v1.0.0", "three numbers"),
            ("1.x.0", "three numbers"),
            ("1..0", "three numbers"),
            ("1.0.0 x", "three numbers"),
            ("-1.0.0", "three numbers"),
            ("01.2.3", "`01` has a leading zero"),
            ("1.02.3", "`02` has a leading zero"),
            ("1.2.03", "`03` has a leading zero"),
            ("00.0.0", "`00` has a leading zero"),
            ("1.2.3-01", "pre-release identifier `01` is a number with a leading zero"),
            ("1.2.3-rc.00", "pre-release identifier `00` is a number with a leading zero"),
            ("1.2.3-", "pre-release has an empty identifier"),
            ("1.2.3-a..b", "pre-release has an empty identifier"),
            ("1.2.3-a.", "pre-release has an empty identifier"),
            ("1.2.3-.a", "pre-release has an empty identifier"),
            ("1.2.3-rc_1", "pre-release identifier `rc_1` holds more"),
            ("1.2.3-ré", "pre-release identifier `ré` holds more"),
            ("1.2.3+", "build metadata has an empty identifier"),
            ("1.2.3+a..b", "build metadata has an empty identifier"),
            ("1.2.3+a+b", "build metadata identifier `a+b` holds more"),
            ("1.2.3-01+", "pre-release identifier `01`"),
        ] {
            let problem = version_problem(bad).unwrap_or_else(|| panic!("`{bad}` was accepted"));
            assert!(problem.contains(why), "{bad}: {problem}");
            let nearest = nearest_version(bad);
            assert_eq!(version_problem(&nearest), None, "{bad} → {nearest}");
        }
        for (bad, nearest) in [
            ("v0.2.0", "0.2.0"),
            ("01.02.03", "1.2.3"),
            ("1.2.3-01", "1.2.3-1"),
            ("1.2.3-rc..01", "1.2.3-rc.1"),
            ("1.2.3-", "1.2.3"),
            ("1.2.3+", "1.2.3"),
            ("1.2.3+007", "1.2.3+007"),
            ("1.0", "1.0.0"),
        ] {
            assert_eq!(nearest_version(bad), nearest, "{bad}");
        }
    }

    /// Dates as a table: every day of the Gregorian calendar is accepted, with the leap-year
    /// rule at its three edges (every 4th year, not every 100th, every 400th), and every day
    /// past its month's end, month past 12 or form other than `YYYY-MM-DD` is refused.
    #[test]
    fn dates_are_calendar_days() {
        for good in ["2026-01-01", "2026-01-31", "2026-02-28", "2024-02-29", "2000-02-29", "2026-04-30", "2026-12-31"] {
            assert_eq!(date_problem(good), None, "{good}");
        }
        for (bad, why) in [
            ("2026-02-29", "February 2026 has 28 days"),
            ("2026-02-30", "February 2026 has 28 days"),
            ("2025-02-29", "February 2025 has 28 days"),
            ("1900-02-29", "February 1900 has 28 days"),
            ("2100-02-29", "February 2100 has 28 days"),
            ("2024-02-30", "February 2024 has 29 days"),
            ("2026-04-31", "April 2026 has 30 days"),
            ("2026-06-31", "June 2026 has 30 days"),
            ("2026-09-31", "September 2026 has 30 days"),
            ("2026-11-31", "November 2026 has 30 days"),
            ("2026-01-32", "January 2026 has 31 days"),
            ("2026-01-00", "January 2026 has 31 days"),
            ("2026-13-01", "no month 13"),
            ("2026-00-10", "no month 00"),
            ("2026-1-01", "YYYY-MM-DD"),
            ("26-01-01", "YYYY-MM-DD"),
            ("2026/01/01", "YYYY-MM-DD"),
            ("2026-01-01-01", "YYYY-MM-DD"),
            ("2026-01-+1", "YYYY-MM-DD"),
            ("today", "YYYY-MM-DD"),
            ("", "YYYY-MM-DD"),
        ] {
            let problem = date_problem(bad).unwrap_or_else(|| panic!("`{bad}` was accepted"));
            assert!(problem.contains(why), "{bad}: {problem}");
        }
        // Every day of a leap cycle's four years, against the days each month has.
        for year in [2000, 2023, 2024, 2100] {
            for month in 1..=12u32 {
                let days = days_in_month(year, month);
                for day in 1..=31u32 {
                    let date = format!("{year:04}-{month:02}-{day:02}");
                    assert_eq!(date_problem(&date).is_none(), day <= days, "{date}");
                }
            }
        }
        assert_eq!((1..=12).map(|month| days_in_month(2024, month)).sum::<u32>(), 366);
        assert_eq!((1..=12).map(|month| days_in_month(2100, month)).sum::<u32>(), 365);
        assert_eq!(date_problem(&receipts::today()), None);
    }
}
