//! Every branch of the clone at once, local and remote-tracking, for the war room across
//! branches (`status --all`): one pass over the refs, and per branch what git computes without
//! touching the working tree — ahead/behind main and which files of a folder it changed since it
//! forked from main.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use git2::{BranchType, Oid};

use super::Repo;

/// One branch name with its local tip and its remote-tracking tip, when each exists.
#[derive(Debug, Clone)]
pub struct BranchTip {
    pub name: String,
    pub local: Option<Oid>,
    pub remote: Option<Oid>,
}

impl BranchTip {
    /// The newer of the two tips (the local one when they diverged: it is the engineer's).
    pub fn tip(&self, repo: &Repo) -> Option<Oid> {
        match (self.local, self.remote) {
            (Some(local), Some(remote)) if repo.is_merged(local, remote) => Some(remote),
            (local, remote) => local.or(remote),
        }
    }
}

impl Repo {
    /// Every local branch and every branch of `remote` (its `HEAD` alias left out), merged by
    /// name and sorted.
    pub fn branch_tips(&self, remote: &str) -> anyhow::Result<Vec<BranchTip>> {
        let mut tips: BTreeMap<String, BranchTip> = BTreeMap::new();
        let prefix = format!("{remote}/");
        for branch in self.raw().branches(None).context("failed to list branches")? {
            let (branch, kind) = branch.context("failed to read a branch")?;
            let (Ok(Some(name)), Some(oid)) = (branch.name(), branch.get().target()) else { continue };
            let (name, local) = match kind {
                BranchType::Local => (name.to_string(), true),
                BranchType::Remote => match name.strip_prefix(&prefix) {
                    Some("HEAD") | None => continue,
                    Some(name) => (name.to_string(), false),
                },
            };
            let entry = tips.entry(name.clone()).or_insert_with(|| BranchTip { name, local: None, remote: None });
            if local {
                entry.local = Some(oid);
            } else {
                entry.remote = Some(oid);
            }
        }
        Ok(tips.into_values().collect())
    }

    /// Whether `commit` is on a branch, local or remote-tracking (its tip or an ancestor of it):
    /// a detached HEAD that is not has commits of its own, which `git switch` would leave behind.
    pub fn on_a_branch(&self, commit: Oid) -> bool {
        let Ok(branches) = self.raw().branches(None) else { return false };
        branches
            .filter_map(Result::ok)
            .filter_map(|(branch, _)| branch.get().target())
            .any(|tip| self.is_merged(commit, tip))
    }

    /// The tree of `commit`.
    pub fn tree_id_of(&self, commit: Oid) -> anyhow::Result<Oid> {
        Ok(self.raw().find_commit(commit).context("failed to read a commit")?.tree_id())
    }

    /// How many commits `tip` has that `base` lacks, and the other way round.
    pub fn ahead_behind(&self, tip: Oid, base: Oid) -> (usize, usize) {
        self.raw().graph_ahead_behind(tip, base).unwrap_or((0, 0))
    }

    /// The files directly in `dir` whose blob at `tip` is new or differs from `base`'s. Equal
    /// folders (the same tree id, the common case for most branches) cost one lookup each side;
    /// others are compared by libgit2's tree diff, which walks both sorted listings once.
    pub fn changed_in_dir(&self, tip: Oid, base: Oid, dir: &str) -> anyhow::Result<Vec<String>> {
        let folder = |commit: Oid| -> anyhow::Result<Option<git2::Tree<'_>>> {
            let tree = self.raw().find_commit(commit).and_then(|c| c.tree()).context("failed to read a tree")?;
            let Ok(entry) = tree.get_path(Path::new(dir)) else { return Ok(None) };
            Ok(entry.to_object(self.raw()).ok().and_then(|object| object.into_tree().ok()))
        };
        let (at_tip, at_base) = (folder(tip)?, folder(base)?);
        let Some(at_tip) = at_tip else { return Ok(Vec::new()) };
        if at_base.as_ref().is_some_and(|base| base.id() == at_tip.id()) {
            return Ok(Vec::new());
        }
        let mut options = git2::DiffOptions::new();
        options.skip_binary_check(true);
        let diff = self
            .raw()
            .diff_tree_to_tree(at_base.as_ref(), Some(&at_tip), Some(&mut options))
            .context("failed to compare two folders")?;
        Ok(diff
            .deltas()
            .filter(|delta| matches!(delta.status(), git2::Delta::Added | git2::Delta::Modified))
            .filter_map(|delta| delta.new_file().path().map(|path| path.to_string_lossy().into_owned()))
            .filter(|path| !path.contains('/'))
            .collect())
    }
}
