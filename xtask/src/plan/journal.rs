//! The crash journal of [`super::Plan::apply`] and the recovery that reads it.
//!
//! Before the first change, `apply` records the plan and the state it starts from (HEAD, the
//! index, whether the tracked files were clean) in `.git/sop/journal.<run id>.json`, a name no
//! other run uses. A run that dies leaves it; the next command outside a git hook reads it and
//! rolls the run back — but only when the repository is still exactly in a state the run could
//! have left: HEAD where the run started or on the branch it created, the index as it was or as
//! the checkout wrote it, every file the run (or its checkout) touched holding either its old
//! or its new content, and no other tracked change. Anything else means the engineer has moved
//! on: nothing is touched, and a warning names what the run did and the exact commands to undo
//! it by hand. After a rollback the result is checked before anything says "as it was". No
//! journal, readable or not, ever blocks a command.
//!
//! Every path the journal names goes through `confine.rs`: recovery never deletes or writes
//! outside the repository, and never removes a folder at or above its root.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use git2::Oid;
use serde::{Deserialize, Serialize};

use super::confine::{self, Purpose};
use super::{Change, Plan};
use crate::git::{Head, Repo};

/// The journal format's version; a newer one is set aside, never guessed at.
const VERSION: u32 = 2;

/// What a run records before its first change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    /// The run's id (pid and start time): the journal's and the temporaries' names.
    pub run: String,
    /// HEAD when the run started: `refs/heads/<name>` or a commit id (detached).
    pub head: String,
    pub head_commit: Option<String>,
    /// A digest of the index entries when the run started.
    pub index: String,
    /// The working tree the run wrote (worktrees of one clone share `.git/sop/`): only a
    /// command in that working tree recovers it.
    #[serde(default)]
    pub root: String,
    /// Whether the tracked files had no changes when the run started (then any other tracked
    /// change means the engineer has moved on).
    pub clean: bool,
    pub plan: Plan,
}

impl Record {
    pub fn new(repo: &Repo, plan: &Plan) -> anyhow::Result<Record> {
        let head = repo.head()?;
        Ok(Record {
            version: VERSION,
            run: confine::run_id().to_string(),
            head: head_ref(&head),
            head_commit: head.commit().map(|c| c.to_string()),
            index: repo.index_digest()?,
            root: repo.root().display().to_string(),
            // Every command that plans a branch (`new-addon`, `branch`, `hotfix`) has refused a
            // tree with tracked changes already; a second `git status` here would cost more than
            // the rest of the journal. Without a branch nothing is assumed: only the plan's own
            // files are compared.
            clean: plan.branch.is_some(),
            plan: plan.clone(),
        })
    }

    fn start_head(&self) -> anyhow::Result<Head> {
        let commit =
            self.head_commit.as_deref().map(Oid::from_str).transpose().context("bad commit id in the journal")?;
        Ok(match (self.head.strip_prefix("refs/heads/"), commit) {
            (Some(name), Some(commit)) => Head::Branch { name: name.to_string(), commit },
            (Some(name), None) => Head::Unborn { name: name.to_string() },
            (None, _) => Head::Detached { commit: Oid::from_str(&self.head).context("bad HEAD in the journal")? },
        })
    }
}

fn head_ref(head: &Head) -> String {
    match head {
        Head::Branch { name, .. } | Head::Unborn { name } => format!("refs/heads/{name}"),
        Head::Detached { commit } => commit.to_string(),
    }
}

fn describe(head: &Head) -> String {
    match head {
        Head::Branch { name, commit } => format!("`{name}` at {}", super::short(&commit.to_string())),
        Head::Unborn { name } => format!("`{name}` (no commits)"),
        Head::Detached { commit } => format!("a detached HEAD at {}", super::short(&commit.to_string())),
    }
}

/// This run's journal file.
pub fn path_for(repo: &Repo, run: &str) -> PathBuf {
    repo.sop_dir().join(format!("journal.{run}.json"))
}

/// The journal of the last plan applied in this clone, kept after it finished for
/// `cargo xtask undo` (never read by crash recovery: its name is not `journal.*`).
pub fn last_run_path(repo: &Repo) -> PathBuf {
    repo.sop_dir().join("last-run.json")
}

/// Forgets the last run once it was undone: undo is one level deep.
pub fn forget_last_run(repo: &Repo) {
    let _ = std::fs::remove_file(last_run_path(repo));
}

/// Why the repository is no longer exactly as the finished run left it (empty: it is), for
/// `undo`. A run's crash recovery accepts any state on the way; an undo only the end state.
pub fn changed_since(repo: &Repo, record: &Record) -> anyhow::Result<Vec<String>> {
    let mut why = assess(repo, record)?;
    if let Some(branch) = &record.plan.branch {
        let head = repo.head()?;
        if head.branch_name() != Some(branch.name.as_str()) {
            why.insert(0, format!("HEAD is no longer on `{}`, the branch the run created", branch.name));
        }
    }
    for change in &record.plan.changes {
        let now = planned_bytes(repo.root(), change.path());
        let written = match change {
            Change::Create { content, .. } => Some(content.as_bytes()),
            Change::Edit { after, .. } => Some(after.as_bytes()),
            Change::Delete { .. } => None,
        };
        if now.as_deref() != written && !why.iter().any(|w| w.contains(change.path())) {
            why.push(format!("`{}` was changed after the run", change.path()));
        }
    }
    why.truncate(5);
    Ok(why)
}

/// Checks a rollback: what still differs from the state before the run (empty: nothing).
pub fn left_after_rollback(repo: &Repo, record: &Record) -> anyhow::Result<Vec<String>> {
    verify(repo, record)
}

/// Every journal present: this layout's `journal.<run>.json` and the earlier `journal.json`.
pub fn pending(repo: &Repo) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(repo.sop_dir()) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with("journal.") && name.ends_with(".json")
        })
        .map(|entry| entry.path())
        .collect();
    out.sort();
    out
}

/// What recovery did about one journal, for the message and the receipt.
#[derive(Debug)]
pub enum Outcome {
    /// Rolled back and checked: the repository is as it was before the run.
    Restored { command: String },
    /// Rolled back as far as was safe; `left` says what still differs.
    Partial { command: String, left: Vec<String>, hints: Vec<String> },
    /// The engineer moved on: nothing was touched.
    MovedOn { command: String, why: Vec<String>, hints: Vec<String>, kept: PathBuf },
    /// The journal cannot be read: nothing was touched.
    Unreadable { why: String, kept: PathBuf },
    /// Another worktree's run: left for a command there.
    OtherWorktree,
}

/// Recovers from one leftover journal. Never fails: whatever goes wrong becomes an outcome
/// with a warning, and the journal is set aside so no later command trips on it again.
pub fn recover(repo: &Repo, path: &Path) -> Outcome {
    let record = match read(path) {
        Ok(record) => record,
        Err(why) => {
            let kept = set_aside(path);
            return Outcome::Unreadable { why, kept };
        }
    };
    if !record.root.is_empty() && Path::new(&record.root) != repo.root() {
        return Outcome::OtherWorktree;
    }
    let command = record.plan.command.clone();
    let why = match assess(repo, &record) {
        Ok(why) => why,
        Err(error) => vec![format!("its state could not be compared ({error:#})")],
    };
    if !why.is_empty() {
        let hints = manual_undo(repo, &record);
        let kept = set_aside(path);
        return Outcome::MovedOn { command, why, hints, kept };
    }
    let rolled_back = roll_back(repo, &record);
    // Before the verdict: a temporary the killed run left beside a file is not "as it was".
    remove_temporaries(repo, &record);
    let outcome = match rolled_back {
        Ok(()) => match verify(repo, &record) {
            Ok(left) if left.is_empty() => Outcome::Restored { command },
            Ok(left) => Outcome::Partial { command, left, hints: manual_undo(repo, &record) },
            Err(error) => Outcome::Partial {
                command,
                left: vec![format!("the result could not be checked ({error:#})")],
                hints: manual_undo(repo, &record),
            },
        },
        Err(error) => Outcome::Partial {
            command,
            left: vec![format!("the rollback stopped ({error:#})")],
            hints: manual_undo(repo, &record),
        },
    };
    match &outcome {
        Outcome::Restored { .. } => {
            let _ = std::fs::remove_file(path);
        }
        _ => {
            set_aside(path);
        }
    }
    outcome
}

/// Reads a journal: this layout, or the earlier one (the bare plan).
fn read(path: &Path) -> Result<Record, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("it cannot be read: {error}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_string())?;
    if let Ok(record) = serde_json::from_str::<Record>(&text) {
        if record.version > VERSION {
            return Err(format!("it was written by a newer cargo xtask (journal version {})", record.version));
        }
        return Ok(record);
    }
    match serde_json::from_str::<Plan>(&text) {
        // The earlier layout recorded no start state: only its own files and branch are checked.
        Ok(plan) => Ok(Record {
            version: 1,
            run: String::new(),
            head: plan.branch.as_ref().map(|b| b.previous_head.clone()).unwrap_or_default(),
            head_commit: plan.branch.as_ref().and_then(|b| b.previous_commit.clone()),
            index: String::new(),
            root: String::new(),
            clean: false,
            plan,
        }),
        Err(error) => Err(format!("it is incomplete or damaged ({error})")),
    }
}

/// Renames a journal that is not rolled back to `<name>.kept`, so it blocks nothing and can
/// still be read.
fn set_aside(path: &Path) -> PathBuf {
    let kept = path.with_extension("json.kept");
    match std::fs::rename(path, &kept) {
        Ok(()) => kept,
        Err(_) => {
            let _ = std::fs::remove_file(path);
            path.to_path_buf()
        }
    }
}

/// The bytes at a working-tree path as git sees them (a link's target), or `None`.
fn current_bytes(root: &Path, relative: &str) -> Option<Vec<u8>> {
    let full = root.join(relative);
    let metadata = full.symlink_metadata().ok()?;
    if metadata.file_type().is_symlink() {
        let target = std::fs::read_link(&full).ok()?;
        return Some(target.to_string_lossy().into_owned().into_bytes());
    }
    if !metadata.is_file() {
        return None;
    }
    std::fs::read(&full).ok()
}

/// The bytes a plan's path holds, read the way the plan wrote it (through a link inside the
/// repository), or `None` when absent or not confined.
fn planned_bytes(root: &Path, relative: &str) -> Option<Vec<u8>> {
    let path = confine::resolve(root, relative, Purpose::Replace).ok()?;
    crate::git::sparse::read_regular(&path).ok()
}

/// The paths the branch checkout touches (they differ between the two commits), with their
/// old and new bytes.
struct Checkout {
    from: Option<Oid>,
    paths: Vec<CheckoutPath>,
}

/// A path the checkout touches: its bytes in the old commit and in the new one.
type CheckoutPath = (String, Option<Vec<u8>>, Option<Vec<u8>>);

fn checkout_of(repo: &Repo, record: &Record) -> anyhow::Result<Option<Checkout>> {
    let Some(branch) = &record.plan.branch else { return Ok(None) };
    let to = Oid::from_str(&branch.commit).context("bad commit id in the journal")?;
    let from = branch.previous_commit.as_deref().map(Oid::from_str).transpose().context("bad commit id")?;
    let mut paths = Vec::new();
    for path in repo.paths_between(from, to)? {
        let old = match from {
            Some(from) => repo.file_at(from, &path)?,
            None => None,
        };
        let new = repo.file_at(to, &path)?;
        paths.push((path, old, new));
    }
    Ok(Some(Checkout { from, paths }))
}

/// The branch a run that made a branch started from, when another worktree of this clone has
/// it checked out now (going back to it would put two worktrees on one branch): its name and
/// that worktree's folder.
pub fn start_branch_elsewhere(repo: &Repo, record: &Record) -> Option<(String, std::path::PathBuf)> {
    record.plan.branch.as_ref()?;
    let name = record.start_head().ok()?.branch_name()?.to_string();
    let folder = crate::git::hint::checked_out_elsewhere(repo, &name)?;
    Some((name, folder))
}

/// Why the repository is not in a state the run could have left; empty when it is.
fn assess(repo: &Repo, record: &Record) -> anyhow::Result<Vec<String>> {
    let root = repo.root();
    let mut why = Vec::new();
    let head = repo.head()?;
    let branch = record.plan.branch.as_ref();
    let on_new_branch = branch.is_some_and(|b| {
        head.branch_name() == Some(b.name.as_str()) && head.commit().map(|c| c.to_string()) == Some(b.commit.clone())
    });
    if record.version >= 2 {
        let start = record.start_head()?;
        if head != start && !on_new_branch {
            why.push(format!("HEAD is now {}, not {}", describe(&head), describe(&start)));
        }
    } else if branch.is_some() && !on_new_branch && head_ref(&head) != record.head {
        why.push(format!("HEAD is now {}", describe(&head)));
    }
    // Going back to a branch another worktree has checked out since would put two worktrees on
    // one branch (git refuses it; libgit2 would not): the run is left for the engineer.
    if let Some((name, folder)) = start_branch_elsewhere(repo, record) {
        why.push(format!("`{name}` is checked out in the worktree `{}` now", folder.display()));
    }
    if let Some(branch) = branch {
        if let Some(at) = repo.branch_commit(&branch.name)? {
            if at.to_string() != branch.commit {
                why.push(format!("the branch `{}` has commits the run did not make", branch.name));
            }
        }
    }
    if record.version >= 2 {
        let index_as_left = repo.index_digest()? == record.index
            || branch
                .map(|b| Oid::from_str(&b.commit).ok().map(|c| repo.index_matches(c)))
                .is_some_and(|m| m.transpose().ok().flatten() == Some(true));
        if !index_as_left {
            why.push("the index has changed (something was staged or committed)".to_string());
        }
    }
    for change in &record.plan.changes {
        let path = change.path();
        if confine::check_relative(path).is_err() {
            why.push(format!("the journal names `{}`, which is not a path inside the repository", path.escape_debug()));
            continue;
        }
        let now = planned_bytes(root, path);
        let as_left = match change {
            Change::Create { content, .. } => now.is_none() || now.as_deref() == Some(content.as_bytes()),
            Change::Edit { before, after, .. } => {
                now.as_deref() == Some(before.as_bytes()) || now.as_deref() == Some(after.as_bytes())
            }
            Change::Delete { before, .. } => now.is_none() || now.as_deref() == Some(before.as_bytes()),
        };
        if !as_left {
            why.push(format!("`{path}` was changed after the run"));
        }
    }
    let checkout = checkout_of(repo, record)?;
    let mut expected: BTreeSet<&str> = record.plan.changes.iter().map(Change::path).collect();
    if let Some(checkout) = &checkout {
        for (path, old, new) in &checkout.paths {
            expected.insert(path);
            let now = current_bytes(root, path);
            if now.is_some() && now != *old && now != *new {
                why.push(format!("`{path}` was changed after the run"));
            }
        }
    }
    if record.clean {
        for path in repo.changed_paths()? {
            if !expected.contains(path.as_str()) {
                why.push(format!("`{path}` was changed after the run"));
            }
        }
    }
    why.truncate(5);
    Ok(why)
}

/// Undoes the run. Only called when [`assess`] found the repository as the run left it.
pub fn roll_back(repo: &Repo, record: &Record) -> anyhow::Result<()> {
    let root = repo.root();
    for change in record.plan.changes.iter().rev() {
        let path = change.path();
        let now = planned_bytes(root, path);
        match change {
            Change::Create { content, .. } => {
                if now.as_deref() == Some(content.as_bytes()) {
                    let full = confine::resolve(root, path, Purpose::Remove)?;
                    std::fs::remove_file(&full).with_context(|| format!("failed to remove `{}`", full.display()))?;
                    remove_empty_parents(root, &full);
                }
            }
            Change::Edit { before, after, .. } => {
                if now.as_deref() == Some(after.as_bytes()) {
                    let full = confine::resolve(root, path, Purpose::Replace)?;
                    confine::write_file(&full, before.as_bytes())?;
                }
            }
            Change::Delete { before, .. } => {
                if now.is_none() {
                    let full = confine::resolve(root, path, Purpose::Replace)?;
                    confine::write_file(&full, before.as_bytes())?;
                }
            }
        }
    }
    let Some(branch) = &record.plan.branch else { return Ok(()) };
    let commit = Oid::from_str(&branch.commit).context("bad commit id in the journal")?;
    if let Some(checkout) = checkout_of(repo, record)? {
        // The checkout's own files: back to the old commit's, whatever step it died at.
        let mut restore = Vec::new();
        for (path, old, _) in &checkout.paths {
            match old {
                None => {
                    if current_bytes(root, path).is_some() {
                        let full = confine::resolve(root, path, Purpose::Remove)?;
                        std::fs::remove_file(&full)
                            .with_context(|| format!("failed to remove `{}`", full.display()))?;
                        remove_empty_parents(root, &full);
                    }
                }
                Some(old) => {
                    if current_bytes(root, path).as_ref() != Some(old) {
                        // Confined: the folders on the way must be real ones.
                        confine::resolve(root, path, Purpose::Remove)?;
                        restore.push(path.clone());
                    }
                }
            }
        }
        if let Some(from) = checkout.from {
            repo.force_paths(from, &restore)?;
        }
        if record.version >= 2 && repo.index_digest()? != record.index {
            repo.reset_index(checkout.from)?;
        }
    }
    let head = repo.head()?;
    if head.branch_name() == Some(branch.name.as_str()) {
        repo.set_head_only(&record.start_head()?)?;
    }
    repo.delete_branch_if_at(&branch.name, commit)?;
    Ok(())
}

/// What still differs from the state before the run, after a rollback; empty when nothing.
fn verify(repo: &Repo, record: &Record) -> anyhow::Result<Vec<String>> {
    let root = repo.root();
    let mut left = Vec::new();
    if record.version >= 2 {
        let start = record.start_head()?;
        let head = repo.head()?;
        if head != start {
            left.push(format!("HEAD is {}, not {}", describe(&head), describe(&start)));
        }
        if repo.index_digest()? != record.index {
            left.push("the index differs from before the run".to_string());
        }
    }
    if let Some(branch) = &record.plan.branch {
        if repo.branch_commit(&branch.name)?.map(|c| c.to_string()) == Some(branch.commit.clone()) {
            left.push(format!("the branch `{}` still exists", branch.name));
        }
    }
    for change in &record.plan.changes {
        let path = change.path();
        let now = planned_bytes(root, path);
        let restored = match change {
            Change::Create { content, .. } => now.as_deref() != Some(content.as_bytes()),
            Change::Edit { before, .. } | Change::Delete { before, .. } => now.as_deref() == Some(before.as_bytes()),
        };
        if !restored {
            left.push(format!("`{path}` still holds what the run wrote"));
        }
    }
    if let Some(checkout) = checkout_of(repo, record)? {
        for (path, old, _) in &checkout.paths {
            if current_bytes(root, path) != *old {
                left.push(format!("`{path}` is not as it was"));
            }
        }
    }
    if record.clean && record.version >= 2 {
        let changed = repo.changed_paths()?;
        if !changed.is_empty() {
            left.push(format!("{} tracked file(s) differ from HEAD, such as `{}`", changed.len(), changed[0]));
        }
    }
    left.truncate(5);
    Ok(left)
}

/// The exact commands that undo what the run did, where that is still its own work: files it
/// created that nobody changed, the branch it created while it has no other commits.
fn manual_undo(repo: &Repo, record: &Record) -> Vec<String> {
    let root = repo.root();
    let mut hints = Vec::new();
    let untouched: Vec<String> = record
        .plan
        .changes
        .iter()
        .filter_map(|change| match change {
            Change::Create { path, content } if planned_bytes(root, path).as_deref() == Some(content.as_bytes()) => {
                Some(crate::output::shell_word(path))
            }
            _ => None,
        })
        .collect();
    if let Some(branch) = &record.plan.branch {
        let at_start =
            repo.branch_commit(&branch.name).ok().flatten().map(|c| c.to_string()) == Some(branch.commit.clone());
        let on_it = repo.head().ok().and_then(|h| h.branch_name().map(str::to_string)) == Some(branch.name.clone());
        if at_start {
            let back = branch.previous_head.strip_prefix("refs/heads/").unwrap_or(&branch.previous_head).to_string();
            if on_it {
                if !untouched.is_empty() {
                    hints.push(format!("rm -- {}", untouched.join(" ")));
                }
                hints.push(format!("{} && git branch -D {}", crate::git::hint::switch_away(repo, &back), branch.name));
                return hints;
            }
            hints.push(format!("git branch -D {}", branch.name));
        }
    }
    if !untouched.is_empty() {
        hints.push(format!("rm -- {}", untouched.join(" ")));
    }
    hints.push("git status".to_string());
    hints
}

/// Removes this run's leftover temporaries beside every path it planned.
fn remove_temporaries(repo: &Repo, record: &Record) {
    for change in &record.plan.changes {
        if let Ok(full) = confine::resolve(repo.root(), change.path(), Purpose::Remove) {
            if let (Some(dir), Some(name)) = (full.parent(), full.file_name()) {
                confine::remove_temporaries_of(dir, Some(&name.to_string_lossy()), Some(&record.run));
            }
        }
    }
}

/// Removes the folders a removed file leaves empty, up to (never including) the root, and
/// never a folder outside it or reached through a link.
pub fn remove_empty_parents(root: &Path, file: &Path) {
    if !file.starts_with(root) {
        return;
    }
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == root || !current.starts_with(root) || current.symlink_metadata().map_or(true, |m| !m.is_dir()) {
            break;
        }
        if std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}
