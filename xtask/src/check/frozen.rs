//! Frozen specs (SOP 2.1, the rule no other tool enforces). Freezing a spec (`cargo xtask spec
//! start`, or `supersede`) writes one small committed file per spec, its freeze record
//! `docs/specs/frozen/<spec file stem>.lock`, holding the spec's content hash; later transitions
//! (`complete`, `supersede`) rewrite that same record with the new hash. Slices that freeze
//! different specs add different files, so they never conflict, and a reviewer sees each freeze
//! in the diff. This module owns the record format ([`FreezeRecord`]), the merged view of every
//! record ([`FreezeRecords`]) and the rules:
//!
//! - a frozen spec (In Progress, Complete, Superseded) has a record and matches its hash;
//! - a record names a spec that exists and is frozen, and is well formed;
//! - a branch's diff may not touch a spec that is frozen on the main branch (by its Status or by
//!   a record there), except a lifecycle transition made by the tool: the new version is the base
//!   version with only its Status line changed, to a status the lifecycle allows; nor delete the
//!   freeze record the main branch has.
//!
//! The old layout, one shared `docs/specs/spec.lock` every started slice edited, is still read
//! ([`SpecLock`], read-only) so an un-migrated repository stays protected, and `check` reports it
//! once (`sop-2.1/legacy-spec-lock`); [`migrate`] plans its conversion for `cargo xtask migrate`.
//! Nothing here writes the working tree: writes are planned on a [`Plan`].
//!
//! Every error says what to do instead: start a new slice that depends on the frozen spec.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context as _;

use crate::addons::{Addon, Inventory};
use crate::config::Config;
use crate::ctx::Ctx;
use crate::docs::{Header, Status};
use crate::error::Refusal;
use crate::git::history::ChangeKind;
use crate::git::Repo;
use crate::plan::Plan;

use super::{at, Facts, Finding};

/// The old shared lock's file name, in the specs folder (read only, for migration).
pub const LOCK_FILE_NAME: &str = "spec.lock";

/// The folder of the freeze records, in the specs folder.
pub const RECORDS_DIR_NAME: &str = "frozen";

/// A freeze record's extension: `<spec file stem>.lock`.
pub const RECORD_EXTENSION: &str = "lock";

/// The key of a record's one data line: `hash = <40 hex digits>`.
const HASH_KEY: &str = "hash";

/// One frozen spec's record, `docs/specs/frozen/<spec file stem>.lock`: the content hash the spec
/// had when the tool last froze it or moved it on. Its file name says which spec it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezeRecord {
    /// [`spec_hash`] of the spec's text: 40 lowercase hex digits.
    pub hash: String,
}

/// Why a record cannot be read: the line (1-based) where there is one, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    pub line: Option<usize>,
    pub message: String,
}

impl FreezeRecord {
    /// The records' folder relative to the root: `<docs.specs>/frozen`.
    pub fn dir(config: &Config) -> String {
        format!("{}/{RECORDS_DIR_NAME}", config.docs.specs.trim_end_matches('/'))
    }

    /// The record of a spec (`Lancelot_vNext2_Spec_Scheduler.md`), relative to the root:
    /// `docs/specs/frozen/Lancelot_vNext2_Spec_Scheduler.lock`.
    pub fn path(config: &Config, spec_file_name: &str) -> String {
        let stem = spec_file_name.strip_suffix(".md").unwrap_or(spec_file_name);
        format!("{}/{stem}.{RECORD_EXTENSION}", FreezeRecord::dir(config))
    }

    /// The spec file a record's file name stands for, if it is `<spec file stem>.lock`.
    pub fn spec_file_of(record_file_name: &str) -> Option<String> {
        let stem = record_file_name.strip_suffix(&format!(".{RECORD_EXTENSION}"))?;
        let spec = format!("{stem}.md");
        crate::names::feature_of_spec_file(&spec).is_some().then_some(spec)
    }

    /// Reads a record: comment (`#`) and blank lines, and exactly one `hash = <hex>` line. Line
    /// endings may be `\n` or `\r\n`.
    pub fn parse(text: &str) -> Result<FreezeRecord, RecordProblem> {
        let mut found: Option<(usize, String)> = None;
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let problem = |message: String| Err(RecordProblem { line: Some(line_number), message });
            let Some((key, value)) = trimmed.split_once('=') else {
                return problem(format!("`{trimmed}` is not `{HASH_KEY} = <hash>`"));
            };
            let (key, value) = (key.trim(), value.trim());
            if key != HASH_KEY {
                return problem(format!("`{key}` is not a field of a freeze record (only `{HASH_KEY}`)"));
            }
            if value.len() != 40 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
                return problem(format!("the hash `{value}` is not a 40-digit hex blob id"));
            }
            if let Some((first, _)) = &found {
                return problem(format!("a second hash; the first is on line {first}"));
            }
            found = Some((line_number, value.to_ascii_lowercase()));
        }
        match found {
            Some((_, hash)) => Ok(FreezeRecord { hash }),
            None => Err(RecordProblem { line: None, message: format!("there is no `{HASH_KEY} = <hash>` line") }),
        }
    }

    /// The file's text: two comment lines naming the spec, then the hash line.
    pub fn render(&self, spec_file_name: &str) -> String {
        format!(
            "# Frozen spec (SOP 2.1): the content hash (git blob id, LF line endings) of {spec_file_name},\n\
             # written by `cargo xtask spec`; `cargo xtask check` fails when the spec no longer matches.\n\
             {HASH_KEY} = {}\n",
            self.hash
        )
    }

    /// The 1-based line of the hash in a rendered or hand-written record (1 when unknown).
    fn hash_line(text: &str) -> usize {
        text.lines()
            .position(|line| line.trim().starts_with(HASH_KEY) && line.contains('='))
            .map_or(1, |index| index + 1)
    }
}

/// Where a spec's freeze is recorded, and the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub hash: String,
    /// The record, or the old `spec.lock`, relative to the root.
    pub path: String,
    /// The hash's line in that file.
    pub line: usize,
}

/// A record that cannot be read, relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub path: String,
    /// The spec it is named after, when its name is a spec's.
    pub spec_file: Option<String>,
    pub problem: RecordProblem,
}

/// Every freeze the working tree records: the records, then the old lock's entries for specs
/// that have no record yet (an un-migrated repository stays protected).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FreezeRecords {
    /// Spec file name → its freeze.
    pub entries: BTreeMap<String, Recorded>,
    /// Records that cannot be read.
    pub bad: Vec<BadRecord>,
    /// The old shared lock's path, when the repository still has one.
    pub legacy: Option<String>,
}

impl FreezeRecords {
    /// Reads `docs/specs/frozen/*.lock` and, if it exists, the old `docs/specs/spec.lock`.
    pub fn load(root: &Path, config: &Config) -> anyhow::Result<FreezeRecords> {
        FreezeRecords::load_cached(root, config, &crate::cache::Cache::disabled())
    }

    /// [`FreezeRecords::load`], each record's reading from `cache` while its file is unchanged.
    pub fn load_cached(root: &Path, config: &Config, cache: &crate::cache::Cache) -> anyhow::Result<FreezeRecords> {
        let mut records = FreezeRecords::default();
        let dir = FreezeRecord::dir(config);
        let full_dir = root.join(&dir);
        let listing = match std::fs::read_dir(&full_dir) {
            Ok(listing) => Some(listing),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            // Something else where the records' folder goes (an untracked note named `frozen`):
            // named, with the command that sets it aside, never a bare "Not a directory".
            Err(_) if full_dir.metadata().is_ok_and(|metadata| !metadata.is_dir()) => {
                return Err(Refusal::failed(format!(
                    "`{dir}` is a file, where the folder of the freeze records goes (SOP 2.1)"
                ))
                .hint(format!(
                    "set it aside (what it holds stays readable beside it), then run the command again:\n{}",
                    crate::git::hint::move_file(&dir, &format!("{dir}.orig"))
                ))
                .into())
            }
            Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", full_dir.display())),
        };
        // The records a sparse checkout leaves out are records too (their folder maybe absent).
        let mut names: Vec<String> = crate::git::sparse::absent_in(&full_dir)
            .into_iter()
            .filter(|(name, file, _)| *file && name.ends_with(&format!(".{RECORD_EXTENSION}")))
            .map(|(name, _, _)| name)
            .collect();
        for entry in listing.into_iter().flatten() {
            let entry = entry.with_context(|| format!("failed to read `{}`", full_dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type().ok();
            if !name.ends_with(&format!(".{RECORD_EXTENSION}")) {
                continue;
            }
            if kind.is_some_and(|kind| kind.is_file()) {
                names.push(name);
            } else if kind.is_some_and(|kind| kind.is_dir()) {
                // Not "no record": the spec would be judged as frozen by hand, and the tool's own
                // write of the record would fail on the folder.
                records.bad.push(BadRecord {
                    path: format!("{dir}/{name}"),
                    spec_file: FreezeRecord::spec_file_of(&name),
                    problem: RecordProblem { line: None, message: "it is a folder, not a file".into() },
                });
            }
        }
        names.sort();
        for name in names {
            let path = format!("{dir}/{name}");
            let spec_file = FreezeRecord::spec_file_of(&name);
            // Cached as `(hash, line)` or `(problem line, problem)`.
            type Read = (Option<(String, usize)>, (Option<usize>, String));
            let read: Read = cache.derive("freeze-record", root, &path, "", |full| {
                let bytes =
                    crate::git::sparse::read(full).with_context(|| format!("failed to read `{}`", full.display()))?;
                let parsed = match (&spec_file, String::from_utf8(bytes)) {
                    (None, _) => Err(RecordProblem {
                        line: None,
                        message: format!("`{name}` is not named after a spec (`<spec file stem>.{RECORD_EXTENSION}`)"),
                    }),
                    (Some(_), Err(_)) => Err(RecordProblem { line: None, message: "it is not UTF-8 text".into() }),
                    (Some(_), Ok(text)) => {
                        FreezeRecord::parse(&text).map(|record| (record, FreezeRecord::hash_line(&text)))
                    }
                };
                Ok(match parsed {
                    Ok((record, line)) => (Some((record.hash, line)), (None, String::new())),
                    Err(problem) => (None, (problem.line, problem.message)),
                })
            })?;
            let parsed = match read {
                (Some((hash, line)), _) => Ok((FreezeRecord { hash }, line)),
                (None, (line, message)) => Err(RecordProblem { line, message }),
            };
            match (parsed, spec_file) {
                (Ok((record, line)), Some(spec_file)) => {
                    records.entries.insert(spec_file, Recorded { hash: record.hash, path, line });
                }
                (Err(problem), spec_file) => records.bad.push(BadRecord { path, spec_file, problem }),
                (Ok(_), None) => {}
            }
        }
        if let (lock, Some(_)) = SpecLock::load(root, config)? {
            let lock_path = SpecLock::path(config);
            for (file, hash) in &lock.entries {
                let has_record = records.entries.contains_key(file) || records.is_bad(file);
                if !has_record {
                    let line = lock.lines.get(file).copied().unwrap_or(1);
                    records
                        .entries
                        .insert(file.clone(), Recorded { hash: hash.clone(), path: lock_path.clone(), line });
                }
            }
            records.legacy = Some(lock_path);
        }
        Ok(records)
    }

    /// The freeze of a spec, by file name (`Lancelot_vNext2_Spec_Scheduler.md`).
    pub fn get(&self, spec_file_name: &str) -> Option<&Recorded> {
        self.entries.get(spec_file_name)
    }

    /// Whether the spec's record exists but cannot be read.
    pub fn is_bad(&self, spec_file_name: &str) -> bool {
        self.bad.iter().any(|bad| bad.spec_file.as_deref() == Some(spec_file_name))
    }
}

/// The old layout, `docs/specs/spec.lock`: spec file name → content hash. Read only: the tool
/// writes freeze records now, and [`migrate`] converts this file into them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecLock {
    pub entries: BTreeMap<String, String>,
    /// Lines that are not `file = hash`, as `(line, problem)`.
    pub problems: Vec<(usize, String)>,
    /// The line of each entry, for locations.
    pub lines: BTreeMap<String, usize>,
}

impl SpecLock {
    /// The lock's path relative to the root.
    pub fn path(config: &Config) -> String {
        format!("{}/{LOCK_FILE_NAME}", config.docs.specs.trim_end_matches('/'))
    }

    /// Reads the lock; a missing file is an empty lock. Returns the lock and the file's text.
    pub fn load(root: &Path, config: &Config) -> anyhow::Result<(SpecLock, Option<String>)> {
        let path = root.join(SpecLock::path(config));
        match crate::git::sparse::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                Ok((SpecLock::parse(&text), Some(text)))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok((SpecLock::default(), None)),
            Err(error) => Err(error).with_context(|| format!("failed to read `{}`", path.display())),
        }
    }

    pub fn parse(text: &str) -> SpecLock {
        let mut lock = SpecLock::default();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some((file, hash)) = trimmed.split_once('=') else {
                lock.problems.push((line_number, format!("`{trimmed}` is not `<spec file> = <hash>`")));
                continue;
            };
            let (file, hash) = (file.trim(), hash.trim());
            if crate::names::feature_of_spec_file(file).is_none() {
                lock.problems.push((line_number, format!("`{file}` is not a spec file name")));
            } else if hash.len() != 40 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
                lock.problems.push((line_number, format!("the hash of `{file}` is not a 40-digit hex blob id")));
            } else if lock.entries.insert(file.to_string(), hash.to_ascii_lowercase()).is_some() {
                lock.problems.push((line_number, format!("`{file}` is listed twice")));
            } else {
                lock.lines.insert(file.to_string(), line_number);
            }
        }
        lock
    }

    pub fn get(&self, file_name: &str) -> Option<&str> {
        self.entries.get(file_name).map(String::as_str)
    }
}

/// Plans the move from the old shared `docs/specs/spec.lock` to one freeze record per frozen
/// spec: a record with the same hash for each entry that has no record yet, then the lock's
/// deletion. Returns what it planned, one line per file, for people. Plans nothing and returns
/// an empty list when there is no `spec.lock`. Refuses (exit 1) while the lock has a line it
/// cannot read, since deleting the lock would lose that freeze.
pub fn migrate(root: &Path, config: &Config, plan: &mut Plan) -> anyhow::Result<Vec<String>> {
    let (lock, Some(_)) = SpecLock::load(root, config)? else { return Ok(Vec::new()) };
    let lock_path = SpecLock::path(config);
    if let Some((line, problem)) = lock.problems.first() {
        return Err(Refusal::failed(format!("`{lock_path}` cannot be migrated: line {line}: {problem}"))
            .hint(format!(
                "make line {line} `<spec file> = <hash>`, or restore the committed file:\ngit checkout HEAD -- {}",
                crate::git::hint::pathspec(&lock_path)
            ))
            .into());
    }
    let mut planned = Vec::new();
    for (file, hash) in &lock.entries {
        let record_path = FreezeRecord::path(config, file);
        let line = lock.lines.get(file).copied().unwrap_or(1);
        if root.join(&record_path).symlink_metadata().is_ok() {
            planned.push(format!("keep    {record_path}: it already records `{file}` ({lock_path}:{line} is dropped)"));
            continue;
        }
        plan.create(&record_path, FreezeRecord { hash: hash.clone() }.render(file));
        planned.push(format!("create  {record_path}: the freeze of `{file}` from {lock_path}:{line}"));
    }
    plan.delete(root, &lock_path)?;
    planned.push(format!("delete  {lock_path}: one record per frozen spec replaces it"));
    Ok(planned)
}

/// The hash recorded for a spec: the git blob id of its text with `\n` line endings, so a record
/// written on a machine that checks files out with `\r\n` matches everywhere else.
pub fn spec_hash(bytes: &[u8]) -> anyhow::Result<String> {
    if bytes.contains(&b'\r') {
        let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
        Repo::hash_blob(text.as_bytes())
    } else {
        Repo::hash_blob(bytes)
    }
}

/// The transitions the lifecycle allows from `from` (SOP 2.1, 3 step 1).
pub fn allowed_transitions(from: Status) -> &'static [Status] {
    match from {
        Status::Draft => &[Status::Approved, Status::Superseded],
        Status::Approved => &[Status::InProgress, Status::Superseded],
        Status::InProgress => &[Status::Complete, Status::Superseded],
        Status::Complete => &[Status::Superseded],
        Status::Superseded => &[],
    }
}

/// Whether `after` is `before` with only its Status line changed, to a status the lifecycle
/// allows: the one change a frozen spec accepts.
pub fn is_lifecycle_transition(before: &str, after: &str) -> bool {
    let (Ok(from), Some(field)) = (Header::parse(before).status(), Header::parse(after).field("Status").cloned())
    else {
        return false;
    };
    let Some(to) = Status::parse(&field.value) else { return false };
    allowed_transitions(from).contains(&to) && crate::docs::set_status(before, &field.value).as_deref() == Some(after)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The first line where two texts differ (1-based).
fn first_difference(old: &str, new: &str) -> usize {
    old.lines().zip(new.lines()).take_while(|(a, b)| a == b).count() + 1
}

/// The command that brings a committed file back: from the main branch, else from HEAD; `None`
/// when neither has it.
fn restore_command(facts: &Facts<'_>, path: &str) -> anyhow::Result<Option<String>> {
    // The base as the check used it (the newest of `main` and `<remote>/main`), named so that a
    // stale local `main` is never the source; root-relative, so it works from any folder.
    let sources: Vec<git2::Oid> = [facts.branch.main, facts.branch.head].into_iter().flatten().collect();
    Ok(crate::git::hint::restore(&facts.ctx.repo, &facts.ctx.config, path, &sources))
}

/// For a record path that is a folder: the command that sets it aside, kept in the repository
/// (`mv <path> <path>.orig`), before anything writes a record there.
pub fn set_aside(root: &Path, path: &str) -> Option<String> {
    root.join(path).is_dir().then(|| {
        let from = crate::git::hint::root_path(path);
        let to = crate::git::hint::root_path(&format!("{path}.orig"));
        format!("set the folder aside (it is kept): mv {from} {to}")
    })
}

/// A spec whose status was moved past Approved by hand: bring back a committed Approved version
/// when HEAD or the base has one, then freeze it with the tool; one command a line.
fn status_by_hand_hint(facts: &Facts<'_>, addon: &Addon) -> anyhow::Result<String> {
    let start = format!("cargo xtask spec start {}", addon.names.slug);
    for source in [facts.branch.head, facts.branch.main].into_iter().flatten() {
        let Some(text) = facts.version_at(Some(source), &addon.spec)? else { continue };
        if Header::parse(&text).status() == Ok(crate::docs::Status::Approved) {
            if let Some(restore) = crate::git::hint::restore(&facts.ctx.repo, &facts.ctx.config, &addon.spec, &[source])
            {
                return Ok(format!(
                    "put the Status line back to Approved, then freeze it with the tool:\n{restore}\n{start}"
                ));
            }
        }
    }
    Ok(format!("put the Status line back to Approved (by hand), then freeze it with the tool:\n{start}"))
}

/// `git checkout <base> -- :/path`, the base named as the check used it.
fn from_base(facts: &Facts<'_>, path: &str) -> String {
    // The base when it has the file, else HEAD (a slice's own spec is not on the base yet).
    let sources: Vec<git2::Oid> = [facts.branch.main, facts.branch.head].into_iter().flatten().collect();
    crate::git::hint::restore(&facts.ctx.repo, &facts.ctx.config, path, &sources).unwrap_or_else(|| {
        format!(
            "git checkout {} -- {}",
            crate::git::hint::base_name(&facts.ctx.repo, &facts.ctx.config),
            crate::git::hint::pathspec(path)
        )
    })
}

pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let ctx = facts.ctx;
    let config = &ctx.config;
    let main_name = &config.main_branch;
    let records = FreezeRecords::load_cached(ctx.root(), config, &ctx.cache)?;
    let records_dir = FreezeRecord::dir(config);

    if let Some(lock_path) = &records.legacy {
        findings.push(Finding::error(
            "sop-2.1/legacy-spec-lock",
            at(lock_path, None),
            format!(
                "the repository uses the old layout: `{lock_path}` is one file every started slice edits, so parallel slices conflict; each frozen spec now has its own record in `{records_dir}/`"
            ),
            "cargo xtask migrate --dry-run".to_string(),
        ));
    }
    for bad in &records.bad {
        let hint = match (set_aside(facts.ctx.root(), &bad.path), restore_command(facts, &bad.path)?) {
            (Some(aside), Some(restore)) => format!("{aside}\n{restore}"),
            (Some(aside), None) => aside,
            (None, Some(restore)) => restore,
            (None, None) => format!("rm {}", crate::git::hint::root_path(&bad.path)),
        };
        findings.push(Finding::error(
            "sop-2.1/freeze-record",
            at(&bad.path, bad.problem.line),
            format!("the freeze record cannot be read: {}", bad.problem.message),
            hint,
        ));
    }

    // What the main branch records as frozen: its records, and its old lock if it has one.
    let main_lock = facts.version_at(facts.branch.main, &SpecLock::path(config))?.map(|text| SpecLock::parse(&text));
    let recorded_on_main = |spec_file: &str| -> anyhow::Result<Option<String>> {
        let record = FreezeRecord::path(config, spec_file);
        if facts.version_at(facts.branch.main, &record)?.is_some() {
            return Ok(Some(record));
        }
        Ok(main_lock.as_ref().and_then(|lock| lock.get(spec_file)).map(|_| SpecLock::path(config)))
    };

    // A branch that touches a spec frozen on the main branch, other than by a lifecycle
    // transition, or deletes the main branch's record of a freeze.
    let mut reported = BTreeSet::new();
    for change in &facts.branch.changes {
        let name = file_name(&change.path);
        let Some(directory) = change.path.strip_suffix(name) else { continue };
        let directory = directory.trim_end_matches('/');
        if directory == records_dir {
            let Some(spec_file) = FreezeRecord::spec_file_of(name) else { continue };
            let deleted = change.kind == ChangeKind::Deleted && facts.new_version(&change.path)?.is_none();
            if deleted && facts.version_at(facts.branch.main, &change.path)?.is_some() {
                findings.push(Finding::error(
                    "sop-2.1/freeze-record",
                    at(&change.path, None),
                    format!("`{spec_file}` is frozen on `{main_name}`; this branch deletes its freeze record"),
                    from_base(facts, &change.path),
                ));
            }
            continue;
        }
        if directory != config.docs.specs.trim_end_matches('/') {
            continue;
        }
        let Some(feature) = crate::names::feature_of_spec_file(name) else { continue };
        if change.kind == ChangeKind::Added {
            continue;
        }
        let new = facts.new_version(&change.path)?;
        let first_changed = change.first_changed_line.map(|line| line as usize);
        if let Some(finding) =
            frozen_change(facts, &recorded_on_main, &change.path, feature, new.as_deref(), first_changed)?
        {
            findings.push(finding);
            reported.insert(change.path.clone());
        }
    }

    // The same for an edit not staged yet: `check` judges the working tree's spec too, whose
    // freeze record may have been edited to match (an unstaged forged record).
    if facts.branch.judged.is_none() {
        for addon in &facts.inventory.addons {
            if reported.contains(&addon.spec) {
                continue;
            }
            // As staged (judged above) unless its blob id differs from the index's: one hash of
            // the file, from the cache while the file is unchanged, and no blob read.
            let read = |full: &Path| crate::git::sparse::read(full).context("failed to read a spec");
            let Ok(id) = ctx
                .cache
                .derive("blob-id", ctx.root(), &addon.spec, "", |full| crate::git::Repo::hash_blob(&read(full)?))
            else {
                continue;
            };
            if facts.staged_blob(&addon.spec)?.is_some_and(|staged| staged.to_string() == id) {
                continue;
            }
            // With main's record as it is, the edit no longer matches it: `check_addon` says so.
            // Only a record edited too (to match, or by a transition) is judged here.
            let record = FreezeRecord::path(config, file_name(&addon.spec));
            let on_main = facts.version_at(facts.branch.main, &record)?;
            let here = crate::git::sparse::read_to_string(&ctx.root().join(&record)).ok();
            if on_main.is_none() || here == on_main {
                continue;
            }
            let Ok(text) = crate::git::sparse::read_to_string(&ctx.root().join(&addon.spec)) else { continue };
            if let Some(mut finding) =
                frozen_change(facts, &recorded_on_main, &addon.spec, &addon.feature, Some(&text), None)?
            {
                // The record goes back with the spec, or the spec would no longer match it.
                finding.hint = format!("{}\n{}", finding.hint, from_base(facts, &record));
                findings.push(finding);
                reported.insert(addon.spec.clone());
            }
        }
    }

    // Every frozen spec matches its recorded hash.
    for addon in &facts.inventory.addons {
        if reported.contains(&addon.spec) {
            continue;
        }
        check_addon(facts, &records, addon, findings)?;
    }

    // Every record names a spec that exists and is frozen.
    let by_file: std::collections::HashMap<&str, &Addon> =
        facts.inventory.addons.iter().map(|addon| (file_name(&addon.spec), addon)).collect();
    for (file, recorded) in &records.entries {
        let location = at(&recorded.path, Some(recorded.line));
        match by_file.get(file.as_str()).copied() {
            None => {
                let spec = format!("{}/{file}", config.docs.specs.trim_end_matches('/'));
                let hint = match (restore_command(facts, &spec)?, Some(&recorded.path) == records.legacy.as_ref()) {
                    (Some(restore), _) => format!(
                        "restore it (to retire a frozen spec, supersede it: `cargo xtask spec supersede <spec> --by <newer spec>`):\n{restore}"
                    ),
                    (None, false) => format!(
                        "it was never committed; remove its record:\nrm {}",
                        crate::git::hint::root_path(&recorded.path)
                    ),
                    (None, true) => "move the old lock to freeze records first:\ncargo xtask migrate --dry-run".into(),
                };
                findings.push(Finding::error(
                    "sop-2.1/freeze-record",
                    location,
                    format!(
                        "`{file}` is frozen in `{}`, but there is no such spec: a frozen spec is never deleted",
                        recorded.path
                    ),
                    hint,
                ));
            }
            Some(addon) if !addon.is_frozen() => {
                let status = addon.status.map_or("unreadable".to_string(), |s| s.to_string());
                findings.push(Finding::error(
                    "sop-2.1/frozen-spec",
                    at(&addon.spec, addon.header.field("Status").map(|f| f.line)),
                    format!(
                        "spec `{}` is frozen in `{}`, but its Status line says {status}",
                        addon.feature, recorded.path
                    ),
                    format!(
                        "a frozen spec never goes back: restore it, and {}:\n{}",
                        new_slice_advice(facts.ctx, &facts.inventory, addon)?,
                        from_base(facts, &addon.spec)
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The finding for `path`, a spec frozen on the main branch (by its Status there, or a record
/// there), whose new version (`None`: deleted) is more than a lifecycle transition from the
/// base's; `None` when it is not frozen on main, is new there, or the change is a transition.
fn frozen_change(
    facts: &Facts<'_>,
    recorded_on_main: &dyn Fn(&str) -> anyhow::Result<Option<String>>,
    path: &str,
    feature: &str,
    new: Option<&str>,
    first_changed_line: Option<usize>,
) -> anyhow::Result<Option<Finding>> {
    let main_name = &facts.ctx.config.main_branch;
    let Some(on_main) = facts.version_at(facts.branch.main, path)? else { return Ok(None) };
    let state = match Header::parse(&on_main).status() {
        Ok(status) if status.is_frozen() => format!("is {status} on `{main_name}` and frozen"),
        _ => match recorded_on_main(file_name(path))? {
            Some(record) => format!("is frozen on `{main_name}` (`{record}` records it)"),
            None => return Ok(None),
        },
    };
    let base = facts.version_at(facts.branch.base, path)?.unwrap_or(on_main);
    if new.is_some_and(|new| new == base || is_lifecycle_transition(&base, new)) {
        return Ok(None);
    }
    let slice = match facts.inventory.find(feature) {
        Some(addon) => facts.inventory.new_slice_command(addon),
        None => format!("cargo xtask new-addon <name> --depends-on {feature}"),
    };
    let (what, line) = match new {
        Some(new) => ("changes it", first_changed_line.or(Some(first_difference(&base, new)))),
        None => ("deletes it", None),
    };
    Ok(Some(Finding::error(
        "sop-2.1/frozen-spec",
        at(path, line),
        format!("spec `{feature}` {state}; this branch {what}"),
        format!("revert it, and start a new slice instead (`{slice}`):\n{}", from_base(facts, path)),
    )))
}

fn check_addon(
    facts: &Facts<'_>,
    records: &FreezeRecords,
    addon: &Addon,
    findings: &mut Vec<Finding>,
) -> anyhow::Result<()> {
    if !addon.is_frozen() {
        return Ok(());
    }
    let ctx = facts.ctx;
    let main_name = &ctx.config.main_branch;
    let spec_file = file_name(&addon.spec);
    let status = addon.status.map_or(String::new(), |s| s.to_string());
    let Some(recorded) = records.get(spec_file) else {
        if records.is_bad(spec_file) {
            return Ok(()); // Reported as an unreadable record.
        }
        findings.push(Finding::error(
            "sop-2.1/frozen-spec",
            at(&addon.spec, addon.header.field("Status").map(|f| f.line)),
            format!(
                "spec `{}` is {status} but has no freeze record (`{}`): its status was changed by hand",
                addon.feature,
                FreezeRecord::path(&ctx.config, spec_file)
            ),
            status_by_hand_hint(facts, addon)?,
        ));
        return Ok(());
    };
    let read =
        |full: &Path| crate::git::sparse::read(full).with_context(|| format!("failed to read `{}`", full.display()));
    let hash = ctx.cache.derive("spec-hash", ctx.root(), &addon.spec, "", |full| spec_hash(&read(full)?))?;
    if hash == recorded.hash {
        return Ok(());
    }
    let bytes = read(&ctx.root().join(&addon.spec))?;
    // The frozen text is on the main branch, or on this branch when it froze the spec: point at
    // the first changed line, and revert from where it is.
    let matches = |text: &String| spec_hash(text.as_bytes()).is_ok_and(|hash| hash == recorded.hash);
    // Named as a command reads it: the base as the check found it (`origin/main` when the local
    // `main` is behind), root-relative so the revert works from any folder.
    let base_name = match facts.branch.main {
        Some(main) => crate::git::hint::commit_name(&ctx.repo, &ctx.config, main),
        None => crate::output::shell_word(main_name),
    };
    let (source, frozen_text) = match facts.version_at(facts.branch.main, &addon.spec)?.filter(matches) {
        Some(text) => (base_name.as_str(), Some(text)),
        None => match facts.version_at(facts.branch.head, &addon.spec)?.filter(matches) {
            Some(text) => ("HEAD", Some(text)),
            None => (base_name.as_str(), None),
        },
    };
    let line = frozen_text.as_ref().map(|text| first_difference(text, &String::from_utf8_lossy(&bytes)));
    let restore = match frozen_text {
        Some(_) => format!("git checkout {source} -- {}", crate::git::hint::pathspec(&addon.spec)),
        None => restore_frozen(facts, addon, recorded, &bytes, &base_name, &matches)?,
    };
    findings.push(Finding::error(
        "sop-2.1/frozen-spec",
        at(&addon.spec, line),
        format!(
            "spec `{}` is {status} and frozen, but it no longer matches the hash recorded in `{}`",
            addon.feature, recorded.path
        ),
        format!("revert it, and {}:\n{restore}", new_slice_advice(facts.ctx, &facts.inventory, addon)?),
    ));
    Ok(())
}

/// What a frozen spec's hint offers instead of an edit: a new slice that builds on it
/// (`start a new slice instead (`…`)`), or, while the spec is not on the main branch yet (only on
/// this unmerged branch, where `new-addon` refuses to build on it), to land this branch first, as
/// `spec start` says.
pub(crate) fn new_slice_advice(ctx: &Ctx, inventory: &Inventory, addon: &Addon) -> anyhow::Result<String> {
    let command = inventory.new_slice_command(addon);
    Ok(if on_main(ctx, addon)? {
        format!("start a new slice instead (`{command}`)")
    } else {
        format!(
            "put anything new in a new slice once this branch has landed on `{}` (`{command}`)",
            ctx.config.main_branch
        )
    })
}

/// Whether `addon`'s spec is on the main branch (`<remote>/<main>`, else `main`), where a new
/// slice starts from and so can build on it.
pub(crate) fn on_main(ctx: &Ctx, addon: &Addon) -> anyhow::Result<bool> {
    match ctx.repo.main_commit(&ctx.config.main_branch, &ctx.config.remote) {
        Ok(main) => ctx.repo.exists_at(main, &addon.spec),
        Err(_) => Ok(false),
    }
}

/// How far back the history is searched for the frozen text of a spec.
const FROZEN_SEARCH: usize = 500;

/// The command that puts back what the freeze record and the spec agreed on, when neither the
/// base's nor HEAD's spec matches the record:
/// - the spec is as HEAD has it but the record was changed: the record comes back from HEAD;
/// - else the newest commit (of the last [`FROZEN_SEARCH`]) whose spec matches the record: an
///   edit already on the main branch is reverted from before it;
/// - else, as before, the base's spec.
fn restore_frozen(
    facts: &Facts<'_>,
    addon: &Addon,
    recorded: &Recorded,
    spec_now: &[u8],
    base_name: &str,
    matches: &dyn Fn(&String) -> bool,
) -> anyhow::Result<String> {
    let head = facts.branch.head;
    let record_now = crate::git::sparse::read(&facts.ctx.root().join(&recorded.path)).unwrap_or_default();
    let spec_at_head = facts.version_at(head, &addon.spec)?;
    let record_at_head = facts.version_at(head, &recorded.path)?;
    if spec_at_head.as_deref().map(str::as_bytes) == Some(spec_now)
        && record_at_head.as_ref().is_some_and(|text| text.as_bytes() != record_now.as_slice())
    {
        return Ok(format!("git checkout HEAD -- {}", crate::git::hint::pathspec(&recorded.path)));
    }
    if let Some(head) = head {
        for commit in facts.ctx.repo.recent_commits(head, FROZEN_SEARCH)? {
            if facts.version_at(Some(commit), &addon.spec)?.as_ref().is_some_and(matches) {
                let name = facts.ctx.repo.short_id(commit);
                return Ok(format!("git checkout {name} -- {}", crate::git::hint::pathspec(&addon.spec)));
            }
        }
    }
    Ok(format!("git checkout {base_name} -- {}", crate::git::hint::pathspec(&addon.spec)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Change;

    const HASH: &str = "0123456789abcdef0123456789abcdef01234567";
    const SPEC_A: &str = "Lancelot_vNext2_Spec_A.md";
    const SPEC_B: &str = "Lancelot_vNext2_Spec_B.md";

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A record is named after its spec, renders with a comment naming it, and reads back.
    #[test]
    fn record_round_trips_and_is_named_after_its_spec() {
        let config = Config::default();
        assert_eq!(FreezeRecord::path(&config, SPEC_A), "docs/specs/frozen/Lancelot_vNext2_Spec_A.lock");
        assert_eq!(FreezeRecord::spec_file_of("Lancelot_vNext2_Spec_A.lock").as_deref(), Some(SPEC_A));
        assert_eq!(FreezeRecord::spec_file_of("README.lock"), None);
        assert_eq!(FreezeRecord::spec_file_of("Lancelot_vNext2_Spec_A.md"), None);

        let record = FreezeRecord { hash: HASH.into() };
        let text = record.render(SPEC_A);
        assert!(text.starts_with("# Frozen spec (SOP 2.1)"), "{text}");
        assert!(text.contains(SPEC_A));
        assert!(text.ends_with(&format!("\nhash = {HASH}\n")), "{text}");
        assert_eq!(FreezeRecord::parse(&text), Ok(record));
        assert_eq!(FreezeRecord::hash_line(&text), 3);
        // Upper-case digits are read as the same hash.
        assert_eq!(FreezeRecord::parse(&format!("hash = {}", HASH.to_uppercase())).unwrap().hash, HASH);
    }

    /// `\r\n` line endings (a Windows checkout) read the same as `\n`.
    #[test]
    fn record_reads_crlf() {
        let text = FreezeRecord { hash: HASH.into() }.render(SPEC_A).replace('\n', "\r\n");
        assert_eq!(FreezeRecord::parse(&text), Ok(FreezeRecord { hash: HASH.into() }));
        assert_eq!(FreezeRecord::hash_line(&text), 3);
    }

    /// Every malformed record is refused with the line at fault, never a panic.
    #[test]
    fn malformed_records_name_their_line() {
        let problem = |text: &str| FreezeRecord::parse(text).unwrap_err();
        assert_eq!(problem("").line, None);
        assert_eq!(problem("# only a comment\n\n").line, None);
        assert!(problem("").message.contains("no `hash = <hash>` line"));
        let junk = problem("# c\njunk\n");
        assert_eq!(junk.line, Some(2));
        assert!(junk.message.contains("`junk` is not `hash = <hash>`"), "{}", junk.message);
        let key = problem(&format!("# c\n\nblob = {HASH}\n"));
        assert_eq!((key.line, key.message.contains("`blob`")), (Some(3), true));
        assert_eq!(problem("hash = xyz\n").line, Some(1));
        assert_eq!(problem(&format!("hash = {HASH}0\n")).line, Some(1));
        assert_eq!(problem("hash = ééééééééééééééééééééééééééééééééééééééé\n").line, Some(1));
        let twice = problem(&format!("hash = {HASH}\r\n# c\r\nhash = {HASH}\r\n"));
        assert_eq!(twice.line, Some(3));
        assert!(twice.message.contains("line 1"));
    }

    /// The old lock is still read: entries, their lines, and the bad lines.
    #[test]
    fn legacy_lock_is_read_with_its_bad_lines() {
        let lock = SpecLock::parse(&format!("# c\n{SPEC_B} = {HASH}\r\n{SPEC_A} = {HASH}\n"));
        assert_eq!(lock.get(SPEC_A), Some(HASH));
        assert_eq!((lock.lines[SPEC_B], lock.lines[SPEC_A]), (2, 3));
        assert!(lock.problems.is_empty());

        let bad = SpecLock::parse(&format!(
            "junk\nREADME.md = {HASH}\n{SPEC_A} = xyz\n{SPEC_B} = {HASH}\n{SPEC_B} = {HASH}\n"
        ));
        let lines: Vec<usize> = bad.problems.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [1, 2, 3, 5]);
        assert_eq!(bad.get(SPEC_B), Some(HASH));
    }

    /// The merged view: records first, the old lock for specs without one, bad records apart.
    #[test]
    fn records_are_loaded_with_the_old_lock_as_a_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config = Config::default();
        assert_eq!(FreezeRecords::load(root, &config).unwrap(), FreezeRecords::default());

        let other = "fedcba9876543210fedcba9876543210fedcba98";
        write(
            root,
            "docs/specs/frozen/Lancelot_vNext2_Spec_A.lock",
            &FreezeRecord { hash: other.into() }.render(SPEC_A),
        );
        write(root, "docs/specs/frozen/Lancelot_vNext2_Spec_C.lock", "hash = nope\n");
        write(root, "docs/specs/frozen/notes.lock", &format!("hash = {HASH}\n"));
        write(root, "docs/specs/frozen/README.md", "not a record\n");
        write(root, "docs/specs/spec.lock", &format!("{SPEC_A} = {HASH}\n{SPEC_B} = {HASH}\n"));
        let records = FreezeRecords::load(root, &config).unwrap();

        let a = records.get(SPEC_A).unwrap();
        assert_eq!(
            (a.hash.as_str(), a.path.as_str(), a.line),
            (other, "docs/specs/frozen/Lancelot_vNext2_Spec_A.lock", 3)
        );
        let b = records.get(SPEC_B).unwrap();
        assert_eq!((b.hash.as_str(), b.path.as_str(), b.line), (HASH, "docs/specs/spec.lock", 2));
        assert_eq!(records.legacy.as_deref(), Some("docs/specs/spec.lock"));
        let bad: Vec<(&str, Option<usize>)> = records.bad.iter().map(|b| (b.path.as_str(), b.problem.line)).collect();
        assert_eq!(
            bad,
            [("docs/specs/frozen/Lancelot_vNext2_Spec_C.lock", Some(1)), ("docs/specs/frozen/notes.lock", None)]
        );
        assert!(records.is_bad("Lancelot_vNext2_Spec_C.md") && !records.is_bad(SPEC_A));
    }

    /// `migrate` plans one record per lock entry with the same hash, keeps a record that already
    /// exists, deletes the lock, and says so; with no lock it plans nothing.
    #[test]
    fn migrate_plans_one_record_per_entry_and_the_lock_deletion() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config = Config::default();
        let mut plan = Plan::new("migrate");
        assert_eq!(migrate(root, &config, &mut plan).unwrap(), Vec::<String>::new());
        assert!(plan.changes.is_empty());

        let lock = format!("# old\n{SPEC_A} = {HASH}\n{SPEC_B} = {HASH}\n");
        write(root, "docs/specs/spec.lock", &lock);
        let kept = FreezeRecord { hash: HASH.into() }.render(SPEC_B);
        write(root, "docs/specs/frozen/Lancelot_vNext2_Spec_B.lock", &kept);
        let lines = migrate(root, &config, &mut plan).unwrap();
        assert_eq!(
            lines,
            [
                "create  docs/specs/frozen/Lancelot_vNext2_Spec_A.lock: the freeze of `Lancelot_vNext2_Spec_A.md` from docs/specs/spec.lock:2",
                "keep    docs/specs/frozen/Lancelot_vNext2_Spec_B.lock: it already records `Lancelot_vNext2_Spec_B.md` (docs/specs/spec.lock:3 is dropped)",
                "delete  docs/specs/spec.lock: one record per frozen spec replaces it",
            ]
        );
        assert_eq!(
            plan.changes,
            [
                Change::Create {
                    path: "docs/specs/frozen/Lancelot_vNext2_Spec_A.lock".into(),
                    content: FreezeRecord { hash: HASH.into() }.render(SPEC_A),
                },
                Change::Delete { path: "docs/specs/spec.lock".into(), before: lock },
            ]
        );
    }

    /// A lock with a line `migrate` cannot read is refused (exit 1) before anything is planned.
    #[test]
    fn migrate_refuses_a_lock_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "docs/specs/spec.lock", &format!("{SPEC_A} = {HASH}\njunk\n"));
        let mut plan = Plan::new("migrate");
        let error = migrate(root, &Config::default(), &mut plan).unwrap_err();
        assert_eq!(crate::error::exit_code(&error), 1);
        assert!(format!("{error:#}").contains("`docs/specs/spec.lock` cannot be migrated: line 2"), "{error:#}");
        assert!(plan.changes.is_empty());
    }

    #[test]
    fn lifecycle_follows_the_sop() {
        assert_eq!(allowed_transitions(Status::Draft), [Status::Approved, Status::Superseded]);
        assert_eq!(allowed_transitions(Status::InProgress), [Status::Complete, Status::Superseded]);
        assert!(allowed_transitions(Status::Superseded).is_empty());
    }

    #[test]
    fn only_a_status_change_is_a_lifecycle_transition() {
        let before = "# S\n\n**Status:** In Progress  \n**Depends on:** none\n\n## Scope\n\ntext\n";
        let complete = before.replace("In Progress", "Complete");
        assert!(is_lifecycle_transition(before, &complete));
        let superseded = before.replace("In Progress", "Superseded by [X](Lancelot_vNext2_Spec_X.md)");
        assert!(is_lifecycle_transition(before, &superseded));
        assert!(!is_lifecycle_transition(before, &before.replace("In Progress", "Draft")), "backwards");
        assert!(!is_lifecycle_transition(before, &complete.replace("text", "more text")), "content too");
        assert!(!is_lifecycle_transition(before, before), "no change is not a transition");
    }

    #[test]
    fn the_hash_ignores_line_endings() {
        let unix = spec_hash(b"# S\n**Status:** In Progress\n").unwrap();
        assert_eq!(unix, spec_hash(b"# S\r\n**Status:** In Progress\r\n").unwrap());
        assert_eq!(unix, Repo::hash_blob(b"# S\n**Status:** In Progress\n").unwrap());
    }

    #[test]
    fn first_difference_is_one_based() {
        assert_eq!(first_difference("a\nb\nc\n", "a\nx\nc\n"), 2);
        assert_eq!(first_difference("a\n", "a\nb\n"), 2);
    }
}
