//! The one place that writes the working tree: plan → render → write all or nothing.
//!
//! A [`Plan`] is a list of file creations and edits computed in memory. `--dry-run` prints it.
//! [`Plan::apply`] first writes a journal (`.git/sop/journal.json`) describing the whole change,
//! then writes every file to a temporary sibling and renames it into place. If a step fails the
//! change is rolled back at once; if the process dies (SIGKILL, power loss) the next writing
//! command finds the journal and rolls back what was done — but only where the file still holds
//! exactly what we wrote, so an engineer's later edits are never lost. Existing files are never
//! overwritten by a creation.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::error::Refusal;
use crate::git::{Head, Repo};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    /// Creates a file that must not exist.
    Create { path: String, content: String },
    /// Replaces a file whose content must still be `before`.
    Edit { path: String, before: String, after: String },
    /// Removes a file whose content must still be `before` (a migration retiring a file).
    Delete { path: String, before: String },
}

impl Change {
    pub fn path(&self) -> &str {
        match self {
            Change::Create { path, .. } | Change::Edit { path, .. } | Change::Delete { path, .. } => path,
        }
    }
}

/// A branch the change creates and checks out, and where HEAD was before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchChange {
    pub name: String,
    pub commit: String,
    /// `refs/heads/<name>` or a commit id (detached).
    pub previous_head: String,
    pub previous_commit: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The command that made the plan, for the journal and receipts.
    pub command: String,
    pub branch: Option<BranchChange>,
    pub changes: Vec<Change>,
}

impl Plan {
    pub fn new(command: &str) -> Plan {
        Plan { command: command.to_string(), ..Plan::default() }
    }

    pub fn create(&mut self, path: impl Into<String>, content: String) {
        self.changes.push(Change::Create { path: path.into(), content });
    }

    /// Plans an edit of an existing file: `edit` maps its current text to the new text.
    pub fn edit(
        &mut self,
        root: &Path,
        path: &str,
        edit: impl FnOnce(&str) -> anyhow::Result<String>,
    ) -> anyhow::Result<()> {
        let full = root.join(path);
        let before = match std::fs::read_to_string(&full) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(Refusal::failed(format!("`{path}` does not exist; this command edits it"))
                    .hint(format!("restore it from the main branch: git checkout main -- {path}"))
                    .into())
            }
            Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", full.display())),
        };
        let after = edit(&before).with_context(|| format!("cannot edit `{path}`"))?;
        self.changes.push(Change::Edit { path: path.to_string(), before, after });
        Ok(())
    }

    /// Plans the removal of an existing file, which must still hold what it holds now.
    pub fn delete(&mut self, root: &Path, path: &str) -> anyhow::Result<()> {
        let full = root.join(path);
        let before = std::fs::read_to_string(&full).with_context(|| format!("failed to read `{}`", full.display()))?;
        self.changes.push(Change::Delete { path: path.to_string(), before });
        Ok(())
    }

    /// The plan as people read it: each file with its full content, each edit as a diff.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(branch) = &self.branch {
            out.push_str(&format!("branch  create and check out `{}` from {}\n", branch.name, short(&branch.commit)));
        }
        for change in &self.changes {
            match change {
                Change::Create { path, content } => {
                    out.push_str(&format!("\ncreate  {path} ({} lines)\n", content.lines().count()));
                    for line in content.lines() {
                        out.push_str(&format!("    + {line}\n"));
                    }
                }
                Change::Edit { path, before, after } => {
                    out.push_str(&format!("\nedit    {path}\n"));
                    out.push_str(&diff(before, after));
                }
                Change::Delete { path, before } => {
                    out.push_str(&format!("\ndelete  {path} ({} lines)\n", before.lines().count()));
                }
            }
        }
        out
    }

    /// Applies the plan: branch first, then files; all or nothing.
    pub fn apply(&self, repo: &Repo) -> anyhow::Result<()> {
        let root = repo.root().to_path_buf();
        // Refuse before touching anything: creations must not exist, edits must be unchanged.
        for change in &self.changes {
            let full = root.join(change.path());
            match change {
                Change::Create { path, .. } => {
                    if full.symlink_metadata().is_ok() {
                        return Err(Refusal::failed(format!("`{path}` already exists; it is never overwritten"))
                            .hint(format!("move it away (git mv {path} <elsewhere>) or pick another name"))
                            .into());
                    }
                }
                Change::Edit { path, before, .. } | Change::Delete { path, before } => {
                    let now = std::fs::read_to_string(&full).unwrap_or_default();
                    if &now != before {
                        return Err(Refusal::failed(format!("`{path}` changed while the plan was made"))
                            .hint("run the command again")
                            .into());
                    }
                }
            }
        }
        let journal = Journal::path(repo);
        write_atomically(&journal, serde_json::to_string_pretty(self)?.as_bytes())?;
        let result = self.apply_steps(repo, &root);
        if let Err(error) = result {
            let rollback = rollback(repo, self);
            let _ = std::fs::remove_file(&journal);
            return match rollback {
                Ok(()) => Err(error.context("nothing was changed: the partial work was rolled back")),
                Err(rollback_error) => Err(error.context(format!(
                    "rolling back also failed ({rollback_error:#}); check `git status` and the files listed above"
                ))),
            };
        }
        std::fs::remove_file(&journal).with_context(|| format!("failed to remove `{}`", journal.display()))?;
        Ok(())
    }

    fn apply_steps(&self, repo: &Repo, root: &Path) -> anyhow::Result<()> {
        if let Some(branch) = &self.branch {
            let commit = git2::Oid::from_str(&branch.commit).context("bad commit id in the plan")?;
            repo.create_and_checkout_branch(&branch.name, commit)?;
            pause_for_tests("branch");
        }
        for change in &self.changes {
            let full = root.join(change.path());
            let content = match change {
                Change::Create { content, .. } => content,
                Change::Edit { after, .. } => after,
                Change::Delete { .. } => {
                    std::fs::remove_file(&full).with_context(|| format!("failed to remove `{}`", full.display()))?;
                    pause_for_tests(change.path());
                    continue;
                }
            };
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
            }
            write_atomically(&full, content.as_bytes())?;
            pause_for_tests(change.path());
        }
        Ok(())
    }
}

/// Test-only fault injection: with `XTASK_TEST_PAUSE_MS` set, sleep after each step so a test can
/// SIGKILL the process mid-change. Harmless otherwise.
fn pause_for_tests(_step: &str) {
    if let Some(ms) = std::env::var("XTASK_TEST_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Writes to a temporary sibling, syncs it, then renames it over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.xtask-tmp"));
    let mut file =
        std::fs::File::create(&temporary).with_context(|| format!("failed to create `{}`", temporary.display()))?;
    file.write_all(bytes).with_context(|| format!("failed to write `{}`", temporary.display()))?;
    file.sync_all().with_context(|| format!("failed to sync `{}`", temporary.display()))?;
    drop(file);
    std::fs::rename(&temporary, path).with_context(|| format!("failed to move `{}` into place", path.display()))
}

/// The crash journal of an interrupted [`Plan::apply`].
pub struct Journal;

impl Journal {
    pub fn path(repo: &Repo) -> PathBuf {
        repo.sop_dir().join("journal.json")
    }

    /// Rolls back what an interrupted run left, if anything. Returns what it did, for the message.
    pub fn recover(repo: &Repo) -> anyhow::Result<Option<String>> {
        let path = Journal::path(repo);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", path.display())),
        };
        let plan: Plan = match serde_json::from_str(&text) {
            Ok(plan) => plan,
            Err(_) => {
                // A journal torn before it was complete means nothing was applied yet.
                std::fs::remove_file(&path).with_context(|| format!("failed to remove `{}`", path.display()))?;
                return Ok(Some("removed an incomplete journal; nothing had been changed".into()));
            }
        };
        rollback(repo, &plan)?;
        std::fs::remove_file(&path).with_context(|| format!("failed to remove `{}`", path.display()))?;
        Ok(Some(format!("rolled back an interrupted `cargo xtask {}`", plan.command)))
    }
}

/// Undoes a plan's changes where the tree still holds exactly what the plan wrote.
fn rollback(repo: &Repo, plan: &Plan) -> anyhow::Result<()> {
    let root = repo.root();
    for change in plan.changes.iter().rev() {
        let full = root.join(change.path());
        let _ = std::fs::remove_file(temporary_of(&full));
        let current = std::fs::read_to_string(&full).ok();
        match change {
            Change::Create { content, .. } => {
                if current.as_deref() == Some(content.as_str()) {
                    std::fs::remove_file(&full).with_context(|| format!("failed to remove `{}`", full.display()))?;
                    remove_empty_parents(root, &full);
                }
            }
            Change::Edit { before, after, .. } => {
                if current.as_deref() == Some(after.as_str()) {
                    write_atomically(&full, before.as_bytes())?;
                }
            }
            Change::Delete { before, .. } => {
                if full.symlink_metadata().is_err() {
                    write_atomically(&full, before.as_bytes())?;
                }
            }
        }
    }
    if let Some(branch) = &plan.branch {
        let commit = git2::Oid::from_str(&branch.commit)?;
        let head = repo.head()?;
        if head.branch_name() == Some(branch.name.as_str()) {
            let previous = match (branch.previous_head.strip_prefix("refs/heads/"), &branch.previous_commit) {
                (Some(name), Some(commit)) => {
                    Head::Branch { name: name.to_string(), commit: git2::Oid::from_str(commit)? }
                }
                (Some(name), None) => Head::Unborn { name: name.to_string() },
                (None, _) => Head::Detached { commit: git2::Oid::from_str(&branch.previous_head)? },
            };
            repo.restore_head(&previous)?;
        }
        repo.delete_branch_if_at(&branch.name, commit)?;
    }
    Ok(())
}

fn temporary_of(path: &Path) -> PathBuf {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{file_name}.xtask-tmp"))
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == root || std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

/// A minimal line diff: the common prefix and suffix are context, the middle is -/+.
pub fn diff(before: &str, after: &str) -> String {
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..].iter().rev().zip(new[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let mut out = String::new();
    let context_start = prefix.saturating_sub(2);
    out.push_str(&format!("    @@ line {} @@\n", context_start + 1));
    for line in &old[context_start..prefix] {
        out.push_str(&format!("      {line}\n"));
    }
    for line in &old[prefix..old.len() - suffix] {
        out.push_str(&format!("    - {line}\n"));
    }
    for line in &new[prefix..new.len() - suffix] {
        out.push_str(&format!("    + {line}\n"));
    }
    for line in new[new.len() - suffix..].iter().take(2) {
        out.push_str(&format!("      {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn diff_shows_an_insertion_with_context() {
        let out = diff("a\nb\nc\nd\n", "a\nb\nx\nc\nd\n");
        assert_eq!(out, "    @@ line 1 @@\n      a\n      b\n    + x\n      c\n      d\n");
    }

    #[test]
    fn diff_of_identical_text_has_no_changes() {
        assert!(!diff("a\n", "a\n").contains('+'));
    }
}
