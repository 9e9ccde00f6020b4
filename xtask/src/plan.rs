//! The one place that writes the working tree: plan → render → write all or nothing, confined
//! to the repository.
//!
//! A [`Plan`] is a list of file creations and edits computed in memory. `--dry-run` prints it.
//! [`Plan::apply`] first writes a journal (`.git/sop/journal.<run id>.json`, see `journal.rs`)
//! describing the whole change and the state it starts from, then writes every file through a
//! temporary sibling and a rename (`confine.rs`). If a step fails the change is rolled back at
//! once; if the process dies (SIGKILL, power loss) the next command outside a git hook finds the
//! journal and rolls back what was done — but only while the repository is exactly as the run
//! left it, so an engineer's later work is never touched. Existing files are never overwritten
//! by a creation, and no write passes through a linked folder or lands outside the repository.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

pub mod confine;
pub mod journal;

use confine::Purpose;

use crate::error::Refusal;
use crate::git::Repo;

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

/// How to bring back a file this command edits: from HEAD when HEAD has it (a file created on the
/// branch is not on the main branch), else where it was last seen in the history.
fn restore_hint(root: &Path, path: &str) -> String {
    let head = crate::git::Repo::discover(root).ok().and_then(|repo| {
        let commit = repo.head().ok()?.commit()?;
        repo.exists_at(commit, path).ok()?.then_some(())
    });
    match head {
        Some(()) => format!("restore it:\ngit checkout HEAD -- {}", crate::git::hint::pathspec(path)),
        None => format!(
            "HEAD has no such file; find the commits that had it:\ngit log --oneline --all -- {}",
            crate::git::hint::pathspec(path)
        ),
    }
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
        let full = confine::resolve(root, path, Purpose::Replace)?;
        let before = match crate::git::sparse::read_regular_to_string(&full) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(Refusal::failed(format!("`{path}` does not exist; this command edits it"))
                    .hint(restore_hint(root, path))
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
        let full = confine::resolve(root, path, Purpose::Replace)?;
        let before = crate::git::sparse::read_regular_to_string(&full)
            .with_context(|| format!("failed to read `{}`", full.display()))?;
        self.changes.push(Change::Delete { path: path.to_string(), before });
        Ok(())
    }

    /// The plan as people read it: each file with its full content, each edit as a diff; through
    /// the redaction layer, as everything printed is (a `--summary` may hold a token).
    pub fn render(&self) -> String {
        crate::redact::text(&self.render_raw()).into_owned()
    }

    fn render_raw(&self) -> String {
        let mut out = String::new();
        if let Some(branch) = &self.branch {
            out.push_str(&format!("branch  create and check out `{}` from {}\n", branch.name, short(&branch.commit)));
        }
        for change in &self.changes {
            // A blank line between blocks, none before the first: callers lead in with their own.
            if !out.is_empty() {
                out.push('\n');
            }
            match change {
                Change::Create { path, content } => {
                    out.push_str(&format!("create  {path} ({} lines)\n", content.lines().count()));
                    for line in content.lines() {
                        out.push_str(&format!("    + {line}\n"));
                    }
                }
                Change::Edit { path, before, after } => {
                    out.push_str(&format!("edit    {path}\n"));
                    out.push_str(&diff(before, after));
                }
                Change::Delete { path, before } => {
                    out.push_str(&format!("delete  {path} ({} lines)\n", before.lines().count()));
                }
            }
        }
        out
    }

    /// Applies the plan: branch first, then files; all or nothing, and nothing outside the
    /// repository.
    pub fn apply(&self, repo: &Repo) -> anyhow::Result<()> {
        let root = repo.root().to_path_buf();
        // Refuse before touching anything: every path confined, creations must not exist,
        // edits must be unchanged, and no file written under two names (a link to another file
        // of the plan: the second write would replace the first, the engineer's edits with it).
        let mut written: std::collections::HashMap<PathBuf, &str> = std::collections::HashMap::new();
        for change in &self.changes {
            match change {
                Change::Create { path, .. } => {
                    let full = confine::resolve(&root, path, Purpose::Create)?;
                    written.insert(full, path);
                }
                Change::Edit { path, before, .. } | Change::Delete { path, before } => {
                    let full = confine::resolve(&root, path, Purpose::Replace)?;
                    if let Some(other) = written.insert(full.clone(), path) {
                        let (link, file) =
                            if root.join(path).is_symlink() { (path.as_str(), other) } else { (other, path.as_str()) };
                        // From any folder of the clone.
                        let word = crate::git::hint::root_path(link);
                        return Err(Refusal::failed(format!(
                            "`{link}` is a symbolic link to `{file}`, which this run also writes: cargo xtask never writes one file under two names, so nothing was changed"
                        ))
                        .hint(format!("remove the link (the file it points to is kept), then run the command again:\nrm {word}"))
                        .into());
                    }
                    let now = crate::git::sparse::read_regular_to_string(&full).unwrap_or_default();
                    if &now != before {
                        return Err(Refusal::failed(format!("`{path}` changed while the plan was made"))
                            .hint("run the command again")
                            .into());
                    }
                }
            }
        }
        let record = journal::Record::new(repo, self)?;
        let journal = journal::path_for(repo, &record.run);
        write_atomically(&journal, serde_json::to_string_pretty(&record)?.as_bytes())?;
        let result = self.apply_steps(repo, &root);
        if let Err(error) = result {
            let rollback = journal::roll_back(repo, &record);
            let _ = std::fs::remove_file(&journal);
            return match rollback {
                Ok(()) => Err(error.context("nothing was changed: the partial work was rolled back")),
                Err(rollback_error) => Err(error.context(format!(
                    "rolling back also failed ({rollback_error:#}); check `git status` and the files listed above"
                ))),
            };
        }
        // The journal of a finished run is what `cargo xtask undo` reads: kept as the last run.
        if std::fs::rename(&journal, journal::last_run_path(repo)).is_err() {
            std::fs::remove_file(&journal).with_context(|| format!("failed to remove `{}`", journal.display()))?;
        }
        Ok(())
    }

    fn apply_steps(&self, repo: &Repo, root: &Path) -> anyhow::Result<()> {
        crate::test_hooks::plan_starting();
        if let Some(branch) = &self.branch {
            let commit = git2::Oid::from_str(&branch.commit).context("bad commit id in the plan")?;
            repo.create_and_checkout_branch(&branch.name, commit)?;
            crate::test_hooks::after_step("branch");
        }
        for change in &self.changes {
            // Resolved again after the checkout: the branch may bring a link of its own.
            match change {
                Change::Create { path, content } => {
                    let full = confine::resolve(root, path, Purpose::Create)?;
                    create_folders(root, path)?;
                    confine::write_file(&full, content.as_bytes())?;
                }
                Change::Edit { path, after, .. } => {
                    let full = confine::resolve(root, path, Purpose::Replace)?;
                    confine::write_file(&full, after.as_bytes())?;
                }
                Change::Delete { path, .. } => {
                    let full = confine::resolve(root, path, Purpose::Remove)?;
                    std::fs::remove_file(&full).with_context(|| format!("failed to remove `{}`", full.display()))?;
                }
            }
            crate::test_hooks::after_step(change.path());
        }
        Ok(())
    }
}

/// Creates the missing folders of `relative` one by one, each checked to be a real folder
/// inside the root (never following a link created meanwhile).
fn create_folders(root: &Path, relative: &str) -> anyhow::Result<()> {
    let mut current = root.to_path_buf();
    let parts: Vec<&str> = relative.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        current.push(part);
        match std::fs::create_dir(&current) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(confine::io_error(error, format!("failed to create `{}`", current.display()))),
        }
        if !current.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            // Re-resolving names the link (or the file) in the way.
            confine::resolve(root, relative, Purpose::Replace)?;
            anyhow::bail!("`{}` is not a folder", current.display());
        }
    }
    Ok(())
}

/// Writes a file of the tool's own state (in the git directory) or a report it generates, all
/// or nothing: through a temporary sibling with a unique name, created exclusively and never
/// through a link. The path must be built from the canonical repository root or git directory:
/// no component of it may be a link, and a link at the file itself is refused too. Leftover
/// temporaries of the same file from killed runs are removed first.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically_with(path, bytes, true)
}

/// [`write_atomically`] without waiting for the disk before the rename, for a file the next run
/// regenerates or can do without (`pre-pr`'s PR body, its verify cache, the record `propose`
/// reuses): a machine crash may lose its newest version (its readers then treat it as missing),
/// a killed run never leaves it torn. One fsync less is milliseconds on a real disk.
pub fn write_regenerable(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically_with(path, bytes, false)
}

fn write_atomically_with(path: &Path, bytes: &[u8], sync: bool) -> anyhow::Result<()> {
    let mut current = PathBuf::new();
    for component in path.components() {
        current.push(component);
        match current.symlink_metadata() {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let word = crate::output::shell_word(&current.display().to_string());
                return Err(Refusal::failed(format!(
                    "`{}` is a symbolic link; cargo xtask writes nothing through a link",
                    current.display()
                ))
                .hint(format!("remove the link (what it points to is kept), then run the command again: rm {word}"))
                .into());
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        confine::remove_stale_temporaries(dir, Some(&name.to_string_lossy()));
    }
    confine::write_file_with(path, bytes, sync)
}

/// Creates the folder `dir` (an absolute path below `root`) and its missing parents as real
/// folders, refusing when it is outside `root` or any part of it below `root` is a link. For the
/// reports a command writes beside the plan (`pre-pr`'s `target/pre-pr/`).
pub fn create_confined_folder(root: &Path, dir: &Path) -> anyhow::Result<()> {
    let relative = confined_relative(root, dir)?;
    confine::resolve(root, &format!("{relative}/file"), Purpose::Replace)?;
    create_folders(root, &format!("{relative}/file"))
}

/// Creates (or truncates) the report file `path` below `root`: a link in a folder on the way,
/// or at the file pointing outside the repository, is refused.
pub fn create_confined_file(root: &Path, path: &Path) -> anyhow::Result<std::fs::File> {
    let relative = confined_relative(root, path)?;
    // A link at the file is followed only to a file inside the repository.
    let full = confine::resolve(root, &relative, Purpose::Replace)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(&full).map_err(|error| confine::io_error(error, format!("failed to create `{}`", full.display())))
}

/// Refuses when the clone's state folder (`.git/sop`) is a symbolic link: the run lock, the
/// receipts, the journal and the states written there would land wherever it points. Checked
/// once, before a command touches it.
pub fn check_state_folder(sop_dir: &Path) -> anyhow::Result<()> {
    match sop_dir.symlink_metadata() {
        Ok(metadata) if metadata.file_type().is_symlink() => Err(linked_state(sop_dir, "; the folder is made afresh")),
        // Every read and write of the state would fail on it ("Not a directory"), unexplained.
        Ok(metadata) if !metadata.is_dir() => {
            Err(set_aside(sop_dir, "a file; cargo xtask keeps a folder of its own there"))
        }
        _ => Ok(()),
    }
}

/// The refusal of something else where the state keeps a file or a folder of its own, with the
/// command that sets it aside (it is made afresh; what it held stays readable beside it).
fn set_aside(path: &Path, what: &str) -> anyhow::Error {
    let word = crate::output::shell_word(&path.display().to_string());
    Refusal::failed(format!("`{}` is {what}", path.display()))
        .hint(format!("set it aside (it is made afresh): mv {word} {word}.bad"))
        .into()
}

/// The refusal of a link in the state folder, with the command that removes the link only.
fn linked_state(path: &Path, afresh: &str) -> anyhow::Error {
    let word = crate::output::shell_word(&path.display().to_string());
    Refusal::failed(format!("`{}` is a symbolic link; cargo xtask writes nothing through a link", path.display()))
        .hint(format!("remove the link (not what it points to){afresh}: rm {word}"))
        .into()
}

/// Opens a file of the clone's state folder (the run lock, the receipts log) without following
/// a link at the file: a link there would make the tool write outside the repository. A link is
/// refused (exit 1) with the command that removes it.
pub fn open_state_file(path: &Path, options: &mut std::fs::OpenOptions) -> anyhow::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let folder = "a folder; cargo xtask keeps a file of its own there";
    match options.open(path) {
        // A folder opens for reading (the read then fails, "Is a directory"): the same refusal.
        Ok(file) if file.metadata().is_ok_and(|metadata| metadata.is_dir()) => Err(set_aside(path, folder)),
        Ok(file) => Ok(file),
        Err(_) if path.symlink_metadata().is_ok_and(|metadata| metadata.file_type().is_symlink()) => {
            Err(linked_state(path, ""))
        }
        Err(_) if path.is_dir() => Err(set_aside(path, folder)),
        Err(error) => Err(confine::io_error(error, format!("failed to open `{}`", path.display()))),
    }
}

fn confined_relative(root: &Path, path: &Path) -> anyhow::Result<String> {
    match path.strip_prefix(root) {
        Ok(relative) => Ok(relative.to_string_lossy().replace('\\', "/")),
        Err(_) => Err(Refusal::failed(format!("`{}` is outside the repository; nothing was written", path.display()))
            .hint("check the path settings: cargo xtask config")
            .into()),
    }
}

/// The crash journal of an interrupted [`Plan::apply`].
pub struct Journal;

impl Journal {
    /// The journals interrupted runs left, if any.
    pub fn pending(repo: &Repo) -> Vec<PathBuf> {
        journal::pending(repo)
    }

    /// Rolls back what the interrupted runs left, where the repository is still as they left
    /// it. Never fails: each journal ends as an outcome the caller reports.
    pub fn recover(repo: &Repo) -> Vec<journal::Outcome> {
        // A kill while the journal itself was written leaves only its temporary.
        confine::remove_stale_temporaries(&repo.sop_dir(), None);
        journal::pending(repo).iter().map(|path| journal::recover(repo, path)).collect()
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
