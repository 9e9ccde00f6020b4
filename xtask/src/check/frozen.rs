//! Frozen specs (SOP 2.1, the rule no other tool enforces). `cargo xtask spec start` records the
//! spec's content hash in a committed lock file, `docs/specs/spec.lock`, so a reviewer sees the
//! freeze in the diff. This module owns that file's format ([`SpecLock`]) and the two rules:
//!
//! - a frozen spec (In Progress, Complete, Superseded) must match its recorded hash;
//! - a branch's diff may not touch a spec that is frozen on the main branch, except a lifecycle
//!   transition made by the tool: the new version is the base version with only its Status line
//!   changed, to a status the lifecycle allows.
//!
//! Every error says what to do instead: start a new slice that depends on the frozen spec.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context as _;

use crate::addons::Addon;
use crate::config::Config;
use crate::docs::{Header, Status};
use crate::git::history::ChangeKind;
use crate::git::Repo;

use super::{at, Facts, Finding};

/// The lock's file name, in the specs folder.
pub const LOCK_FILE_NAME: &str = "spec.lock";

const LOCK_PREAMBLE: &str = "\
# Frozen specs (SOP 2.1): the content hash (git blob id, LF line endings) each spec had when
# `cargo xtask spec start` froze it. `cargo xtask spec` keeps this file; `cargo xtask check`
# fails when a frozen spec no longer matches. Do not edit it by hand.
";

/// `docs/specs/spec.lock`: spec file name → content hash.
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
        format!("{}/{LOCK_FILE_NAME}", config.docs.specs)
    }

    /// Reads the lock; a missing file is an empty lock. Returns the lock and the file's text.
    pub fn load(root: &Path, config: &Config) -> anyhow::Result<(SpecLock, Option<String>)> {
        let path = root.join(SpecLock::path(config));
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((SpecLock::parse(&text), Some(text))),
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

    /// The file's text: the preamble and one sorted `file = hash` line per frozen spec.
    pub fn render(&self) -> String {
        let mut out = String::from(LOCK_PREAMBLE);
        for (file, hash) in &self.entries {
            out.push_str(&format!("{file} = {hash}\n"));
        }
        out
    }

    pub fn get(&self, file_name: &str) -> Option<&str> {
        self.entries.get(file_name).map(String::as_str)
    }

    pub fn set(&mut self, file_name: &str, hash: String) {
        self.entries.insert(file_name.to_string(), hash);
    }
}

/// The hash recorded for a spec: the git blob id of its text with `\n` line endings, so a lock
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

pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let ctx = facts.ctx;
    let config = &ctx.config;
    let main_name = &config.main_branch;
    let lock_path = SpecLock::path(config);
    let (lock, _) = SpecLock::load(ctx.root(), config)?;
    for (line, problem) in &lock.problems {
        findings.push(Finding::error(
            "sop-2.1/spec-lock",
            at(&lock_path, Some(*line)),
            problem.clone(),
            format!("restore the file from the main branch: git checkout {main_name} -- {lock_path}"),
        ));
    }

    // A branch that touches a spec frozen on the main branch, other than by a lifecycle transition.
    let mut reported = BTreeSet::new();
    for change in &facts.branch.changes {
        let Some(directory) = change.path.strip_suffix(file_name(&change.path)) else { continue };
        if directory.trim_end_matches('/') != config.docs.specs.trim_end_matches('/') {
            continue;
        }
        let Some(feature) = crate::names::feature_of_spec_file(file_name(&change.path)) else { continue };
        if change.kind == ChangeKind::Added {
            continue;
        }
        let Some(on_main) = facts.version_at(facts.branch.main, &change.path)? else { continue };
        let Ok(main_status) = Header::parse(&on_main).status() else { continue };
        if !main_status.is_frozen() {
            continue;
        }
        let base = facts.version_at(facts.branch.base, &change.path)?.unwrap_or(on_main);
        let new = facts.new_version(&change.path)?;
        if let Some(new) = &new {
            if is_lifecycle_transition(&base, new) {
                continue;
            }
        }
        let slice = match facts.inventory.find(feature) {
            Some(addon) => facts.inventory.new_slice_command(addon),
            None => format!("cargo xtask new-addon <name> --depends-on {feature}"),
        };
        let (what, line) = match &new {
            Some(new) => {
                ("changes it", change.first_changed_line.map(|l| l as usize).or(Some(first_difference(&base, new))))
            }
            None => ("deletes it", None),
        };
        findings.push(Finding::error(
            "sop-2.1/frozen-spec",
            at(&change.path, line),
            format!("spec `{feature}` is {main_status} on `{main_name}` and frozen; this branch {what}"),
            format!("revert it (git checkout {main_name} -- {}) and start a new slice instead: {slice}", change.path),
        ));
        reported.insert(change.path.clone());
    }

    // Every frozen spec matches its recorded hash.
    for addon in &facts.inventory.addons {
        if reported.contains(&addon.spec) {
            continue;
        }
        check_addon(facts, &lock, addon, findings)?;
    }

    // Every lock entry names a spec that exists and is frozen.
    let by_file: std::collections::HashMap<&str, &Addon> =
        facts.inventory.addons.iter().map(|addon| (file_name(&addon.spec), addon)).collect();
    for (file, line) in &lock.lines {
        let addon = by_file.get(file.as_str()).copied();
        let location = at(&lock_path, Some(*line));
        match addon {
            None => findings.push(Finding::error(
                "sop-2.1/spec-lock",
                location,
                format!("`{file}` is frozen in the lock, but there is no such spec: a frozen spec is never deleted"),
                format!(
                    "restore it (git checkout {main_name} -- {}/{file}); to retire it, supersede it: cargo xtask spec supersede <spec> --by <newer spec>",
                    config.docs.specs
                ),
            )),
            Some(addon) if !addon.is_frozen() => {
                let status = addon.status.map_or("unreadable".to_string(), |s| s.to_string());
                findings.push(Finding::error(
                    "sop-2.1/frozen-spec",
                    at(&addon.spec, addon.header.field("Status").map(|f| f.line)),
                    format!("spec `{}` is frozen in the lock, but its Status line says {status}", addon.feature),
                    format!(
                        "a frozen spec never goes back: restore it (git checkout {main_name} -- {}) and start a new slice instead: {}",
                        addon.spec,
                        facts.inventory.new_slice_command(addon)
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn check_addon(facts: &Facts<'_>, lock: &SpecLock, addon: &Addon, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    if !addon.is_frozen() {
        return Ok(());
    }
    let ctx = facts.ctx;
    let main_name = &ctx.config.main_branch;
    let lock_path = SpecLock::path(&ctx.config);
    let status = addon.status.map_or(String::new(), |s| s.to_string());
    let Some(recorded) = lock.get(file_name(&addon.spec)) else {
        findings.push(Finding::error(
            "sop-2.1/frozen-spec",
            at(&addon.spec, addon.header.field("Status").map(|f| f.line)),
            format!(
                "spec `{}` is {status} but `{lock_path}` has no hash for it: its status was changed by hand",
                addon.feature
            ),
            format!(
                "put the Status line back to Approved and freeze it with the tool: cargo xtask spec start {}",
                addon.names.slug
            ),
        ));
        return Ok(());
    };
    let full = ctx.root().join(&addon.spec);
    let bytes = std::fs::read(&full).with_context(|| format!("failed to read `{}`", full.display()))?;
    if spec_hash(&bytes)? == recorded {
        return Ok(());
    }
    // Point at the first changed line when the main branch still has the frozen text.
    let frozen_text = facts
        .version_at(facts.branch.main, &addon.spec)?
        .filter(|text| spec_hash(text.as_bytes()).is_ok_and(|hash| hash == recorded));
    let line = frozen_text.map(|text| first_difference(&text, &String::from_utf8_lossy(&bytes)));
    findings.push(Finding::error(
        "sop-2.1/frozen-spec",
        at(&addon.spec, line),
        format!(
            "spec `{}` is {status} and frozen, but it no longer matches the hash recorded in `{lock_path}`",
            addon.feature
        ),
        format!(
            "revert it (git checkout {main_name} -- {}) and start a new slice instead: {}",
            addon.spec,
            facts.inventory.new_slice_command(addon)
        ),
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn lock_round_trips_and_reports_bad_lines() {
        let mut lock = SpecLock::default();
        lock.set("Lancelot_vNext2_Spec_B.md", HASH.into());
        lock.set("Lancelot_vNext2_Spec_A.md", HASH.into());
        let text = lock.render();
        assert!(text.ends_with(&format!("Lancelot_vNext2_Spec_A.md = {HASH}\nLancelot_vNext2_Spec_B.md = {HASH}\n")));
        let parsed = SpecLock::parse(&text);
        assert_eq!(parsed.entries, lock.entries);
        assert!(parsed.problems.is_empty());

        let bad = SpecLock::parse(&format!("junk\nREADME.md = {HASH}\nLancelot_vNext2_Spec_A.md = xyz\nLancelot_vNext2_Spec_B.md = {HASH}\nLancelot_vNext2_Spec_B.md = {HASH}\n"));
        let lines: Vec<usize> = bad.problems.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [1, 2, 3, 5]);
        assert_eq!(bad.get("Lancelot_vNext2_Spec_B.md"), Some(HASH));
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

/// Placeholder until per-spec freeze records land.
pub fn migrate(
    _root: &std::path::Path,
    _config: &crate::config::Config,
    _plan: &mut crate::plan::Plan,
) -> anyhow::Result<Vec<String>> {
    Ok(Vec::new())
}
