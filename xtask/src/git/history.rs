//! Reading history for `check`: commits and diffs between the merge-base and HEAD.
//!
//! Everything here is one libgit2 repository and no spawned process, so `check` stays fast on long
//! histories: the commits of a branch are one revwalk (messages read straight from the object
//! database), and the branch's changes are one tree-to-index diff (merge-base..HEAD plus what is
//! staged, in a single pass). Nothing here writes.

use std::path::Path;

use anyhow::Context as _;
use git2::{Delta, DiffOptions, Oid, Sort};

use super::Repo;

/// How a file changed on the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// A line the branch adds, with its number in the new version of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedLine {
    pub line: u32,
    pub text: String,
}

/// One file the branch changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path in the new version (the old one for a deletion).
    pub path: String,
    pub kind: ChangeKind,
    /// libgit2 sees binary content: no lines are listed.
    pub binary: bool,
    /// The first line of the new version that differs (for a `file:line` location).
    pub first_changed_line: Option<u32>,
    /// Every added line of a text file.
    pub added: Vec<AddedLine>,
}

/// One commit of a branch, as the commit rules need it.
#[derive(Debug, Clone, Copy)]
pub struct CommitRef<'a> {
    pub id: Oid,
    pub parents: usize,
    /// The full message (lossily decoded when it is not UTF-8).
    pub message: &'a str,
}

impl Repo {
    /// The best common ancestor of two commits, if they have one.
    pub fn merge_base(&self, one: Oid, two: Oid) -> anyhow::Result<Option<Oid>> {
        match self.inner.merge_base(one, two) {
            Ok(base) => Ok(Some(base)),
            Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(error) => Err(error).context("failed to find the merge-base"),
        }
    }

    /// Calls `visit` for every commit reachable from `head` and not from `hide` (the commits of a
    /// branch since it left the main branch), newest first. Returns how many it visited.
    pub fn for_each_commit(
        &self,
        head: Oid,
        hide: Option<Oid>,
        mut visit: impl FnMut(CommitRef<'_>),
    ) -> anyhow::Result<usize> {
        let mut walk = self.inner.revwalk().context("failed to walk the history")?;
        walk.set_sorting(Sort::NONE).context("failed to walk the history")?;
        walk.push(head).context("failed to walk the history from HEAD")?;
        if let Some(hide) = hide {
            walk.hide(hide).context("failed to walk the history")?;
        }
        let mut count = 0;
        for id in walk {
            let id = id.context("failed to walk the history")?;
            let commit = self.inner.find_commit(id).with_context(|| format!("failed to read commit {id}"))?;
            let message = String::from_utf8_lossy(commit.message_bytes());
            visit(CommitRef { id, parents: commit.parent_count(), message: &message });
            count += 1;
        }
        Ok(count)
    }

    /// The branch's changes: `base`'s tree against the index, which is HEAD plus what is staged.
    pub fn changes_since(&self, base: Option<Oid>) -> anyhow::Result<Vec<FileChange>> {
        let base_tree = match base {
            Some(base) => {
                Some(self.inner.find_commit(base).and_then(|c| c.tree()).context("failed to read the base tree")?)
            }
            None => None,
        };
        let index = self.inner.index().context("failed to read the index")?;
        let mut options = DiffOptions::new();
        options.context_lines(0).ignore_submodules(true).include_typechange(false);
        let diff = self
            .inner
            .diff_tree_to_index(base_tree.as_ref(), Some(&index), Some(&mut options))
            .context("failed to diff the branch against its base")?;
        let mut changes = Vec::with_capacity(diff.deltas().len());
        for index in 0..diff.deltas().len() {
            let Some(delta) = diff.get_delta(index) else { continue };
            let kind = match delta.status() {
                Delta::Added | Delta::Copied => ChangeKind::Added,
                Delta::Deleted => ChangeKind::Deleted,
                Delta::Modified | Delta::Renamed | Delta::Typechange => ChangeKind::Modified,
                _ => continue,
            };
            let file = if kind == ChangeKind::Deleted { delta.old_file() } else { delta.new_file() };
            let path = file.path().map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
            let mut change = FileChange { path, kind, binary: false, first_changed_line: None, added: Vec::new() };
            let patch =
                git2::Patch::from_diff(&diff, index).with_context(|| format!("failed to diff `{}`", change.path))?;
            match patch {
                // The binary flag is known once the patch has loaded the content.
                Some(patch) if !patch.delta().flags().is_binary() => {
                    for hunk_index in 0..patch.num_hunks() {
                        let (hunk, lines) =
                            patch.hunk(hunk_index).with_context(|| format!("failed to diff `{}`", change.path))?;
                        let start = hunk.new_start().max(1);
                        change.first_changed_line =
                            Some(change.first_changed_line.map_or(start, |line| line.min(start)));
                        for line_index in 0..lines {
                            let line = patch
                                .line_in_hunk(hunk_index, line_index)
                                .with_context(|| format!("failed to diff `{}`", change.path))?;
                            if line.origin() == '+' {
                                let text = String::from_utf8_lossy(line.content());
                                let text = text.trim_end_matches(['\n', '\r']).to_string();
                                change.added.push(AddedLine { line: line.new_lineno().unwrap_or(0), text });
                            }
                        }
                    }
                }
                _ => change.binary = true,
            }
            changes.push(change);
        }
        Ok(changes)
    }

    /// A file's bytes as staged in the index (HEAD plus staged changes), if it is tracked.
    pub fn index_file(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let index = self.inner.index().context("failed to read the index")?;
        let Some(entry) = index.get_path(Path::new(path), 0) else { return Ok(None) };
        let blob = self.inner.find_blob(entry.id).with_context(|| format!("failed to read `{path}` from the index"))?;
        Ok(Some(blob.content().to_vec()))
    }

    /// Every tracked path (the index's entries), `/`-separated.
    pub fn tracked_paths(&self) -> anyhow::Result<Vec<String>> {
        let index = self.inner.index().context("failed to read the index")?;
        Ok(index.iter().map(|entry| String::from_utf8_lossy(&entry.path).replace('\\', "/")).collect())
    }
}
