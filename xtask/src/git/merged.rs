//! Whether a branch's work is already in main, however it got there: merged (its tip is an
//! ancestor of main), squash-merged (main holds one commit with the branch's whole change) or
//! rebase-merged (main holds a copy of each of its commits), and the remote work `prune` does.
//!
//! The answer errs on the side of keeping: a branch is "in main" only when git can prove it —
//! replaying it onto main changes nothing, or every change it carries has the same patch id as
//! a commit of main since they parted. A branch whose change main later rewrote on the same lines
//! may fail both proofs and is then kept; a branch with one commit main lacks is always kept.
//! Like the sync prediction, the replay runs in a second handle whose object writes stay in
//! memory, so judging never writes to the repository.

use std::collections::HashSet;

use anyhow::Context as _;
use git2::{Diff, Oid, Repository, Sort};
use xshell::{cmd, Shell};

use super::Repo;

/// How a branch's work is in main.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InMain {
    /// Its tip is an ancestor of main's (a merge commit or a fast-forward).
    Merged,
    /// Main holds its whole change: replaying it onto main, or its combined patch, is a no-op.
    #[serde(rename = "squash-merged")]
    Squashed,
    /// Main holds a commit with the same patch as each of its commits.
    #[serde(rename = "rebase-merged")]
    Rebased,
}

impl InMain {
    pub fn describe(self) -> &'static str {
        match self {
            InMain::Merged => "merged",
            InMain::Squashed => "squash-merged",
            InMain::Rebased => "rebase-merged",
        }
    }
}

/// A local branch: its name, tip, and the remote-tracking branch it pushes to, if configured.
#[derive(Debug, Clone)]
pub struct LocalBranch {
    pub name: String,
    pub tip: Oid,
    /// `(remote, branch on the remote)` from `branch.<name>.remote` / `.merge`.
    pub upstream: Option<(String, String)>,
    /// The branch never moved since it was created here (its reflog says so): no work of its own.
    pub untouched: bool,
}

impl Repo {
    /// How a branch's work is already in `main` before it is synced onto it (its pull request
    /// squash- or rebase-merged on the forge), for `sync` and `pre-pr` alike: only for a `head`
    /// with commits beyond `main`, and only while its own upstream `theirs` holds nothing `main`
    /// lacks (a teammate's follow-up pushed to the branch is work to sync). `None` otherwise.
    pub fn work_already_in(&self, head: Oid, theirs: Option<Oid>, main: Oid) -> anyhow::Result<Option<InMain>> {
        if self.ahead_behind(head, main).0 == 0 {
            return Ok(None);
        }
        let Some(how) = self.merged_into(head, main)? else { return Ok(None) };
        if let Some(theirs) = theirs {
            if self.merged_into(theirs, main)?.is_none() {
                return Ok(None);
            }
        }
        Ok(Some(how))
    }

    /// How `tip`'s work is in `main`, or `None` when it holds work `main` lacks (or the two
    /// histories are unrelated).
    pub fn merged_into(&self, tip: Oid, main: Oid) -> anyhow::Result<Option<InMain>> {
        if self.is_merged(tip, main) {
            return Ok(Some(InMain::Merged));
        }
        let Ok(base) = self.raw().merge_base(tip, main) else { return Ok(None) };
        let scratch = Repository::open(self.git_dir()).context("failed to open the repository to compare branches")?;
        let odb = scratch.odb().context("failed to open the object database")?;
        let _mempack = odb.add_new_mempack_backend(1000).context("failed to set up an in-memory object store")?;
        if replays_to_nothing(&scratch, base, tip, main)? {
            return Ok(Some(InMain::Squashed));
        }
        let main_patches = patch_ids(&scratch, main, base)?;
        let whole = patch_id(&scratch, Some(base), tip)?;
        if whole.is_some_and(|id| main_patches.contains(&id)) {
            return Ok(Some(InMain::Squashed));
        }
        let own = patch_ids(&scratch, tip, base)?;
        if !own.is_empty() && own.is_subset(&main_patches) {
            return Ok(Some(InMain::Rebased));
        }
        Ok(None)
    }

    /// Every local branch, with its upstream and whether it ever moved.
    pub fn local_branches_with_upstreams(&self) -> anyhow::Result<Vec<LocalBranch>> {
        let mut out = Vec::new();
        for (name, tip, _) in self.local_branches()? {
            let upstream = self.upstream_of(&name);
            let untouched = self.never_moved(&name, tip);
            out.push(LocalBranch { name, tip, upstream, untouched });
        }
        Ok(out)
    }

    /// The branch `name` pushes to and pulls from, `(remote, branch on the remote)`, as
    /// `branch.<name>.remote` and `.merge` say (a local upstream, remote `.`, is none).
    pub fn upstream_of(&self, name: &str) -> Option<(String, String)> {
        let remote = self.config_string(&format!("branch.{name}.remote")).filter(|remote| remote != ".")?;
        let merge = self.config_string(&format!("branch.{name}.merge"))?;
        merge.strip_prefix("refs/heads/").map(|branch| (remote, branch.to_string()))
    }

    /// The branch's own upstream, `(remote, branch on the remote)`, when it has been fetched:
    /// the one it tracks, else one of its own name on `default_remote`. What `sync` brings in
    /// and `pre-pr` checks for a teammate's push.
    pub fn own_upstream(&self, branch: &str, default_remote: &str) -> Option<(String, String)> {
        let (remote, name) =
            self.upstream_of(branch).unwrap_or_else(|| (default_remote.to_string(), branch.to_string()));
        self.remote_tracking_commit(&remote, &name).map(|_| (remote, name))
    }

    /// Whether `head` already holds `upstream`'s work: `upstream` is one of its ancestors, or each
    /// commit only it has is `head`'s own as it was before a rebase (same author time and
    /// subject) or already in `head` (squash-merged into main, then brought in).
    /// When not, `upstream` has commits someone else made: they are brought in, never pushed over.
    pub fn holds_upstream(&self, head: Oid, upstream: Oid) -> bool {
        self.is_merged(upstream, head) || super::hint::holds_work(self, upstream, head)
    }

    /// Whether the branch still points where it was created (every reflog entry at `tip`).
    fn never_moved(&self, name: &str, tip: Oid) -> bool {
        match self.raw().reflog(&format!("refs/heads/{name}")) {
            Ok(reflog) if !reflog.is_empty() => reflog.iter().all(|entry| entry.id_new() == tip),
            _ => false,
        }
    }

    /// The branches checked out in a worktree of this clone (this one included): git refuses to
    /// delete them.
    pub fn checked_out_branches(&self) -> HashSet<String> {
        self.checked_out_worktrees().into_keys().collect()
    }

    /// Each branch checked out in a worktree of this clone (this one included), with that
    /// worktree's folder.
    pub fn checked_out_worktrees(&self) -> std::collections::HashMap<String, std::path::PathBuf> {
        let mut found = std::collections::HashMap::new();
        let mut add = |repo: &Repository| {
            if let (Ok(head), Some(folder)) = (repo.head(), repo.workdir()) {
                if head.is_branch() {
                    if let Ok(name) = head.shorthand() {
                        let folder = folder.canonicalize().unwrap_or_else(|_| folder.to_path_buf());
                        found.insert(name.to_string(), folder);
                    }
                }
            }
        };
        add(self.raw());
        // From a linked worktree, the main one is not among the linked ones: it is the clone the
        // common git directory belongs to.
        if self.raw().is_worktree() {
            if let Ok(main) = Repository::open(self.raw().commondir()) {
                add(&main);
            }
        }
        if let Ok(worktrees) = self.raw().worktrees() {
            for name in (0..worktrees.len()).filter_map(|index| worktrees.get(index).ok().flatten()) {
                if let Ok(worktree) = self.raw().find_worktree(name) {
                    if let Ok(repo) = Repository::open_from_worktree(&worktree) {
                        add(&repo);
                    }
                }
            }
        }
        found
    }
}

/// Whether replaying `base..tip` onto `main` (one three-way merge of trees) leaves main's tree.
fn replays_to_nothing(scratch: &Repository, base: Oid, tip: Oid, main: Oid) -> anyhow::Result<bool> {
    let tree = |id: Oid| scratch.find_commit(id).and_then(|commit| commit.tree());
    let (base_tree, tip_tree, main_tree) = (
        tree(base).context("failed to read the merge base")?,
        tree(tip).context("failed to read the branch's tree")?,
        tree(main).context("failed to read main's tree")?,
    );
    let mut index = scratch.merge_trees(&base_tree, &main_tree, &tip_tree, None).context("failed to compare trees")?;
    if index.has_conflicts() {
        return Ok(false);
    }
    let merged = index.write_tree_to(scratch).context("failed to build a tree in memory")?;
    Ok(merged == main_tree.id())
}

/// The patch id of the change from `from` (or the empty tree) to `to`; `None` for no change.
fn patch_id(scratch: &Repository, from: Option<Oid>, to: Oid) -> anyhow::Result<Option<Oid>> {
    let tree = |id: Oid| scratch.find_commit(id).and_then(|commit| commit.tree());
    let old = from.map(tree).transpose().context("failed to read a tree")?;
    let new = tree(to).context("failed to read a tree")?;
    let diff: Diff = scratch.diff_tree_to_tree(old.as_ref(), Some(&new), None).context("failed to diff")?;
    if diff.deltas().len() == 0 {
        return Ok(None);
    }
    diff.patchid(None).map(Some).context("failed to compute a patch id")
}

/// The patch ids of the non-merge commits reachable from `tip` but not from `base`.
fn patch_ids(scratch: &Repository, tip: Oid, base: Oid) -> anyhow::Result<HashSet<Oid>> {
    let mut walk = scratch.revwalk().context("failed to walk the history")?;
    walk.set_sorting(Sort::TOPOLOGICAL).context("failed to walk the history")?;
    walk.push(tip).context("failed to walk the history")?;
    walk.hide(base).context("failed to walk the history")?;
    let mut ids = HashSet::new();
    for id in walk {
        let id = id.context("failed to walk the history")?;
        let commit = scratch.find_commit(id).with_context(|| format!("failed to read commit {id}"))?;
        if commit.parent_count() > 1 {
            continue;
        }
        let parent = commit.parent_id(0).ok();
        if let Some(patch) = patch_id(scratch, parent, id)? {
            ids.insert(patch);
        }
    }
    Ok(ids)
}

/// Deletes `branch` on `remote` if it still points at `expected` there (a lease: a teammate's
/// push since the fetch makes it fail). Returns git's message on failure.
pub fn delete_remote_branch(
    sh: &Shell,
    remote: &str,
    branch: &str,
    expected: Oid,
) -> anyhow::Result<Result<(), String>> {
    let lease = format!("--force-with-lease=refs/heads/{branch}:{expected}");
    let refspec = format!(":refs/heads/{branch}");
    let output = cmd!(sh, "git push --quiet {lease} {remote} {refspec}")
        .env("GIT_TERMINAL_PROMPT", "0")
        .ignore_status()
        .quiet()
        .output()
        .context("failed to run `git push` (is git installed?)")?;
    if output.status.success() {
        Ok(Ok(()))
    } else {
        Ok(Err(super::sync::git_message(&output)))
    }
}
