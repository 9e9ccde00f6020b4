//! Remote work and history rewriting for `pre-pr` and `hotfix`: fetch, rebase, merge, stash,
//! and the in-memory conflict prediction that runs before any of them touches the tree.
//!
//! Fetch, rebase, merge and stash run the `git` CLI through xshell's `cmd!`, so the engineer's
//! credentials, hooks and config apply; everything that only reads (the prediction, the
//! checkpoints, the stash list) uses git2. The prediction never writes an object to disk: it works
//! in a second handle on the repository whose object database has an in-memory (mempack) backend
//! in front. A rebase or merge that conflicts anyway is aborted here, and the repository is then
//! compared with the checkpoint taken before it started, so a caller never sees a half-done sync.
//! A conflict is told apart from every other failure by git's exit status, its messages and the
//! index's unmerged entries together; any other failure (a full disk, a killed git) is reported
//! with git's own message, and one git could not abort is reported as unfinished, never as done.
//! A stash is put back only into a repository with no operation in progress and nothing changed.
//! Nothing here decides *whether* to sync; that is the command's job.

use anyhow::Context as _;
use git2::{Oid, Repository, Sort, StatusOptions};
use xshell::{cmd, Shell};

use super::Repo;
use crate::config::SyncStrategy;
use crate::error::Refusal;

/// The message every stash made by the tool starts with, so a later run can find a forgotten one.
pub const AUTOSTASH_MESSAGE: &str = "cargo xtask pre-pr --autostash";

/// What syncing the branch onto its upstream would do, computed in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prediction {
    /// The upstream is already part of the branch: nothing to do.
    UpToDate,
    /// The branch has no commits of its own beyond the upstream's: it moves forward.
    FastForward,
    /// The branch's commits apply cleanly (`commits` of them for a rebase, one merge otherwise).
    Clean { commits: usize },
    /// Replaying `commit` (or the merge) conflicts in `paths`.
    Conflicts { paths: Vec<String>, commit: Option<(Oid, String)> },
}

/// What a rebase or merge that was run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// HEAD moved from `from` to `to`.
    Done { from: Oid, to: Oid },
    /// It conflicted in `paths` and was aborted; the repository is exactly as it was.
    Conflicts { paths: Vec<String> },
    /// It stopped at a conflict in `paths`, left in place for the engineer to resolve
    /// ([`apply_stopping_at_conflicts`], [`continue_operation`]).
    Stopped { paths: Vec<String> },
    /// It failed for another reason (`message`, git's own words). With `unfinished` `None` it was
    /// aborted (or never started) and the repository is proven exactly as it was.
    Failed { message: String, unfinished: Option<Unfinished> },
}

/// A rebase or merge that failed and could not be undone: the repository is not as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    /// What is left: `the rebase is unfinished`, or what differs.
    pub state: String,
    /// Why it could not be undone (the abort's own error).
    pub reason: String,
    /// The one command that goes back to where the branch was, once the cause is fixed.
    pub recover: String,
}

/// A file in the working tree (or in the autostash's untracked files) where the sync would
/// create a tracked file: git overwrites an ignored file silently, and refuses an untracked one
/// half-way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InTheWay {
    /// The path in the working tree (the added path itself, or a file where it needs a folder).
    pub path: String,
    pub ignored: bool,
    /// Only in the autostash (an untracked file that `--autostash` put away).
    pub stashed: bool,
}

/// Why a push did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushFailed {
    /// The remote has commits the push would drop (not a fast-forward, a stale lease): git's
    /// status of the ref, `[rejected] (stale info)`.
    Rejected(String),
    /// Anything else: the remote could not be reached or declined (network, URL, credentials,
    /// signing, a hook on the remote): git's message.
    Failed(String),
}

/// What putting back a stash did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unstashed {
    /// Everything is back, staged changes staged.
    Restored,
    /// Everything is back, but the staged changes came back unstaged (`--index` could not apply).
    RestoredUnstaged,
    /// It conflicted: the stash is kept, and `paths` hold conflict markers.
    Conflicts { paths: Vec<String>, reference: String },
    /// It was not restored (`reason`): the stash is kept, untouched, as `entry`.
    Kept { reason: String, entry: StashEntry },
    /// Restored in part (`reason`): the changes to tracked files are back, and the untracked files
    /// but `missing`, which git would not write over files of the same names in the working tree
    /// (empty when git did not say which). The stash is kept as `entry`.
    Partial { reason: String, entry: StashEntry, missing: Vec<String> },
}

/// The uncommitted work a stash already holds ([`Repo::work_held_by_stash`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldByStash {
    /// Tracked files differ from HEAD (staged or not).
    pub tracked: bool,
    /// The untracked files, each identical to the stash's copy.
    pub untracked: Vec<String>,
}

/// One stash entry: `stash@{index}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StashEntry {
    pub index: usize,
    pub commit: Oid,
    pub message: String,
}

impl StashEntry {
    pub fn reference(&self) -> String {
        format!("stash@{{{}}}", self.index)
    }

    /// The line `git stash list` shows for it.
    pub fn list_line(&self) -> String {
        format!("{}: {}", self.reference(), self.message)
    }
}

/// Everything a sync could change, to prove an aborted one changed nothing: HEAD, every ref, the
/// index's entries and the status of every file in the working tree (a file whose status is
/// unchanged holds what the index says, because git compares content when the stat differs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    head: String,
    refs: Vec<(String, String)>,
    index: Vec<(String, u32, Oid, u16)>,
    status: Vec<(String, u32)>,
}

impl Checkpoint {
    /// The commit HEAD pointed at.
    pub fn head_description(&self) -> &str {
        &self.head
    }
}

impl Repo {
    /// The commit a full reference name (`refs/heads/main`) points at.
    pub fn raw_ref(&self, reference: &str) -> anyhow::Result<Oid> {
        self.raw().refname_to_id(reference).with_context(|| format!("`{reference}` does not exist"))
    }

    /// An object id the tool itself recorded (a state file, a receipt).
    pub fn parse_oid(text: &str) -> anyhow::Result<Oid> {
        Oid::from_str(text).with_context(|| format!("`{text}` is not an object id"))
    }

    /// Points the local branch `name` at `commit` (created if missing), with a reflog message.
    /// Not for the branch checked out here: its index and files would not follow.
    pub fn set_branch(&self, name: &str, commit: Oid, message: &str) -> anyhow::Result<()> {
        match self.raw().reference(&format!("refs/heads/{name}"), commit, true, message) {
            Ok(_) => Ok(()),
            Err(error) => Err(Refusal::failed(format!("failed to move `{name}`: {}", error.message()))
                .hint(if is_no_space(error.message()) {
                    crate::error::DISK_FULL
                } else {
                    "see what git says about the branch:\ngit status"
                })
                .into()),
        }
    }

    /// The staged files (index against HEAD) that still hold a conflict marker line: a resolution
    /// `git add`ed before the markers were removed.
    pub fn staged_conflict_markers(&self) -> anyhow::Result<Vec<String>> {
        let head = self.raw().head().ok().and_then(|head| head.peel_to_tree().ok());
        let index = self.raw().index().context("failed to read the index")?;
        let diff = self
            .raw()
            .diff_tree_to_index(head.as_ref(), Some(&index), None)
            .context("failed to compare the index with HEAD")?;
        let mut found = Vec::new();
        for delta in diff.deltas() {
            let file = delta.new_file();
            let Ok(blob) = self.raw().find_blob(file.id()) else { continue };
            let marked = blob
                .content()
                .split(|byte| *byte == b'\n')
                .any(|line| line.starts_with(b"<<<<<<< ") || line.starts_with(b">>>>>>> ") || line == b"=======");
            if marked {
                found.push(file.path().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default());
            }
        }
        Ok(found)
    }

    /// The commit of `refs/remotes/<remote>/<branch>`, if it exists.
    pub fn remote_tracking_commit(&self, remote: &str, branch: &str) -> Option<Oid> {
        self.raw().refname_to_id(&format!("refs/remotes/{remote}/{branch}")).ok()
    }

    /// Re-reads the index from disk: the `git` CLI may have rewritten it since it was loaded.
    pub fn reload_index(&self) -> anyhow::Result<()> {
        let mut index = self.raw().index().context("failed to read the index")?;
        index.read(false).context("failed to re-read the index")
    }

    /// Predicts, without touching the repository, what syncing `head` onto `upstream` does.
    ///
    /// A rebase replays the branch's own commits (oldest first, merge commits dropped, as
    /// `git rebase` does) one by one on top of the upstream, each a three-way merge of trees; the
    /// first one that conflicts is reported. A merge is one three-way merge of the two commits.
    pub fn predict_sync(&self, head: Oid, upstream: Oid, strategy: SyncStrategy) -> anyhow::Result<Prediction> {
        if head == upstream || self.raw().graph_descendant_of(head, upstream).unwrap_or(false) {
            return Ok(Prediction::UpToDate);
        }
        if self.raw().graph_descendant_of(upstream, head).unwrap_or(false) {
            return Ok(Prediction::FastForward);
        }
        // A second handle whose writes (the trees of replayed commits) go to memory only.
        let scratch = Repository::open(self.git_dir()).context("failed to open the repository for the prediction")?;
        let odb = scratch.odb().context("failed to open the object database")?;
        let _mempack = odb.add_new_mempack_backend(1000).context("failed to set up an in-memory object store")?;
        let head_commit = scratch.find_commit(head).context("failed to read HEAD's commit")?;
        let upstream_commit = scratch.find_commit(upstream).context("failed to read the upstream commit")?;
        match strategy {
            SyncStrategy::Merge => {
                let index = scratch
                    .merge_commits(&head_commit, &upstream_commit, None)
                    .context("failed to predict the merge")?;
                if index.has_conflicts() {
                    return Ok(Prediction::Conflicts { paths: conflicted_paths(&index)?, commit: None });
                }
                Ok(Prediction::Clean { commits: 1 })
            }
            SyncStrategy::Rebase => {
                let mut walk = scratch.revwalk().context("failed to walk the branch")?;
                walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).context("failed to walk the branch")?;
                walk.push(head).context("failed to walk the branch")?;
                walk.hide(upstream).context("failed to walk the branch")?;
                let mut onto = upstream_commit.tree().context("failed to read the upstream tree")?;
                let mut replayed = 0;
                for id in walk {
                    let id = id.context("failed to walk the branch")?;
                    let commit = scratch.find_commit(id).with_context(|| format!("failed to read commit {id}"))?;
                    if commit.parent_count() > 1 {
                        continue;
                    }
                    let base = match commit.parent(0) {
                        Ok(parent) => parent.tree().context("failed to read a parent tree")?,
                        Err(_) => {
                            let empty = scratch.treebuilder(None).and_then(|b| b.write())?;
                            scratch.find_tree(empty)?
                        }
                    };
                    let theirs = commit.tree().context("failed to read a commit's tree")?;
                    let mut index = scratch
                        .merge_trees(&base, &onto, &theirs, None)
                        .with_context(|| format!("failed to predict replaying commit {id}"))?;
                    if index.has_conflicts() {
                        let summary = String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned();
                        return Ok(Prediction::Conflicts {
                            paths: conflicted_paths(&index)?,
                            commit: Some((id, summary)),
                        });
                    }
                    let tree = index.write_tree_to(&scratch).context("failed to build a replayed tree in memory")?;
                    onto = scratch.find_tree(tree).context("failed to read a replayed tree")?;
                    replayed += 1;
                }
                Ok(Prediction::Clean { commits: replayed })
            }
        }
    }

    /// Records HEAD, the refs, the index and the working tree's status, read fresh from disk.
    pub fn checkpoint(&self) -> anyhow::Result<Checkpoint> {
        let fresh = Repository::open(self.git_dir()).context("failed to re-open the repository")?;
        let head = match fresh.find_reference("HEAD") {
            Ok(reference) => {
                let commit = fresh.refname_to_id("HEAD").map(|o| o.to_string()).unwrap_or_default();
                match reference.symbolic_target_bytes() {
                    Some(target) => format!("{} {commit}", String::from_utf8_lossy(target)),
                    None => commit,
                }
            }
            Err(error) => return Err(error).context("failed to read HEAD"),
        };
        let mut refs = Vec::new();
        for reference in fresh.references().context("failed to list references")? {
            let reference = reference.context("failed to read a reference")?;
            let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
            let target = match reference.target() {
                Some(oid) => oid.to_string(),
                None => String::from_utf8_lossy(reference.symbolic_target_bytes().unwrap_or_default()).into_owned(),
            };
            refs.push((name, target));
        }
        refs.sort();
        let index = fresh.index().context("failed to read the index")?;
        let index: Vec<(String, u32, Oid, u16)> = index
            .iter()
            .map(|entry| (String::from_utf8_lossy(&entry.path).into_owned(), entry.mode, entry.id, entry.flags))
            .collect();
        let mut options = StatusOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false).exclude_submodules(true);
        let statuses = fresh.statuses(Some(&mut options)).context("failed to read `git status`")?;
        let mut status: Vec<(String, u32)> = statuses
            .iter()
            .map(|entry| (String::from_utf8_lossy(entry.path_bytes()).into_owned(), entry.status().bits()))
            .collect();
        status.sort();
        Ok(Checkpoint { head, refs, index, status })
    }

    /// The paths with unresolved conflicts in the index on disk.
    pub fn conflicted_paths(&self) -> anyhow::Result<Vec<String>> {
        let fresh = Repository::open(self.git_dir()).context("failed to re-open the repository")?;
        let index = fresh.index().context("failed to read the index")?;
        conflicted_paths(&index)
    }

    /// Tracked files whose working-tree copy differs from the index, conflicts left out: during a
    /// rebase or merge stopped at a conflict, git leaves every other file as the index has it, so
    /// these are edits made by hand since (a resolution is either conflicted or staged).
    pub fn unstaged_edits(&self) -> anyhow::Result<Vec<String>> {
        let fresh = Repository::open(self.git_dir()).context("failed to re-open the repository")?;
        let mut options = StatusOptions::new();
        options.include_untracked(false).include_ignored(false).exclude_submodules(true);
        let statuses = fresh.statuses(Some(&mut options)).context("failed to read `git status`")?;
        let unstaged = git2::Status::WT_MODIFIED | git2::Status::WT_DELETED | git2::Status::WT_TYPECHANGE;
        let skipped = self.skip_worktree_paths()?;
        Ok(statuses
            .iter()
            .filter(|entry| entry.status().intersects(unstaged) && !entry.status().is_conflicted())
            .filter_map(|entry| entry.path().ok().map(str::to_string))
            .filter(|path| !skipped.contains(path))
            .collect())
    }

    /// The stash list, newest first (`stash@{0}` first).
    pub fn stash_entries(&self) -> Vec<StashEntry> {
        let Ok(fresh) = Repository::open(self.git_dir()) else { return Vec::new() };
        // libgit2 creates an empty reflog when it reads a missing one: without a stash, nothing
        // is read (a dry run writes nothing, not even under `.git/logs`).
        if fresh.find_reference("refs/stash").is_err() {
            return Vec::new();
        }
        let Ok(reflog) = fresh.reflog("refs/stash") else { return Vec::new() };
        reflog
            .iter()
            .enumerate()
            .map(|(index, entry)| StashEntry {
                index,
                commit: entry.id_new(),
                message: String::from_utf8_lossy(entry.message_bytes().unwrap_or_default()).into_owned(),
            })
            .collect()
    }

    /// Whether every uncommitted change here (staged, unstaged, untracked) is also in `stash`, a
    /// `git stash push --include-untracked` of HEAD: as a `git stash push` killed after it stored
    /// the stash, before it reset the working tree (or half-way), leaves it. Then setting the tree
    /// back to HEAD loses nothing. `None` when anything here differs from both HEAD and the stash
    /// (or cannot be compared: a conflict, a file git would filter); read-only.
    pub fn work_held_by_stash(&self, stash: Oid) -> anyhow::Result<Option<HeldByStash>> {
        let fresh = Repository::open(self.git_dir()).context("failed to re-open the repository")?;
        let commit = fresh.find_commit(stash).with_context(|| format!("failed to read the stash {stash}"))?;
        let head = fresh.head().and_then(|head| head.peel_to_commit()).context("failed to read HEAD")?;
        if commit.parent_id(0).ok() != Some(head.id()) {
            return Ok(None);
        }
        let worktree = commit.tree().context("failed to read the stash's tree")?;
        let staged = commit.parent(1).and_then(|c| c.tree()).context("failed to read the stash's index")?;
        let untracked = commit.parent(2).ok().and_then(|c| c.tree().ok());
        let index = fresh.index().context("failed to read the index")?;
        let mut options = StatusOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false).exclude_submodules(true);
        let statuses = fresh.statuses(Some(&mut options)).context("failed to read `git status`")?;
        let mut held = HeldByStash { tracked: false, untracked: Vec::new() };
        for entry in statuses.iter() {
            let (Ok(path), status) = (entry.path(), entry.status()) else { return Ok(None) };
            let at = std::path::Path::new(path);
            let in_stash = |tree: Option<&git2::Tree<'_>>| tree.and_then(|tree| tree.get_path(at).ok()).map(|e| e.id());
            if status.is_conflicted() {
                return Ok(None);
            }
            if status
                .intersects(git2::Status::INDEX_NEW | git2::Status::INDEX_MODIFIED | git2::Status::INDEX_TYPECHANGE)
                && index.get_path(at, 0).map(|entry| entry.id) != in_stash(Some(&staged))
            {
                return Ok(None);
            }
            let new = status.contains(git2::Status::WT_NEW);
            if new || status.intersects(git2::Status::WT_MODIFIED | git2::Status::WT_TYPECHANGE) {
                let copy = if new { in_stash(untracked.as_ref()) } else { in_stash(Some(&worktree)) };
                if copy.is_none() || worktree_blob_id(&self.root().join(at)) != copy {
                    return Ok(None);
                }
            }
            // A deletion, staged or not, loses nothing when the file comes back.
            match new {
                true => held.untracked.push(path.to_string()),
                false => held.tracked = true,
            }
        }
        Ok(Some(held))
    }

    /// What in the working tree now stands in the way of the untracked files `stash` holds (its
    /// third parent: `git stash push --include-untracked`), each named once: a file (or folder,
    /// or link) of the same name as one of them, tracked or not, or a file where one of their
    /// folders goes. `git stash pop` never writes over them ("already exists, no checkout"): it
    /// fails after putting back the rest. Empty when the stash holds no untracked files, or
    /// cannot be read.
    pub fn stash_untracked_in_the_way(&self, stash: Oid) -> anyhow::Result<Vec<String>> {
        let fresh = Repository::open(self.git_dir()).context("failed to re-open the repository")?;
        let Some(tree) = fresh.find_commit(stash).ok().and_then(|c| c.parent(2).ok()).and_then(|c| c.tree().ok())
        else {
            return Ok(Vec::new());
        };
        let mut held = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |folder, entry| {
            if entry.kind() != Some(git2::ObjectType::Tree) {
                if let Ok(name) = entry.name() {
                    held.push(format!("{folder}{name}"));
                }
            }
            git2::TreeWalkResult::Ok
        })
        .context("failed to read the stash's untracked files")?;
        let root = self.root();
        let mut found: Vec<String> = Vec::new();
        for path in held {
            let at = root.join(&path);
            // The file itself, else the outermost of its folders that is not one.
            let blocking = match std::fs::symlink_metadata(&at) {
                Ok(_) => Some(at.clone()),
                Err(_) => at
                    .ancestors()
                    .skip(1)
                    .take_while(|folder| *folder != root)
                    .filter(|folder| std::fs::symlink_metadata(folder).is_ok_and(|meta| !meta.is_dir()))
                    .last()
                    .map(std::path::Path::to_path_buf),
            };
            let relative = blocking.as_deref().and_then(|blocking| blocking.strip_prefix(root).ok());
            if let Some(relative) = relative.map(|relative| relative.to_string_lossy().into_owned()) {
                if !found.contains(&relative) {
                    found.push(relative);
                }
            }
        }
        Ok(found)
    }

    /// The tracked files whose content here, in the working tree or the index, going back to
    /// `target` would not leave: changed since HEAD, and different from `target`'s copy (a
    /// commit; a stash's commit holds the tree putting it back writes). Conflicted files count.
    pub fn changes_going_back_loses(&self, target: Oid) -> anyhow::Result<Vec<String>> {
        let fresh = Repository::open(self.git_dir()).context("failed to re-open the repository")?;
        let tree =
            fresh.find_commit(target).and_then(|c| c.tree()).with_context(|| format!("failed to read {target}"))?;
        let index = fresh.index().context("failed to read the index")?;
        let mut options = StatusOptions::new();
        options.include_untracked(false).include_ignored(false).exclude_submodules(true);
        let statuses = fresh.statuses(Some(&mut options)).context("failed to read `git status`")?;
        let staged = git2::Status::INDEX_NEW
            | git2::Status::INDEX_MODIFIED
            | git2::Status::INDEX_DELETED
            | git2::Status::INDEX_RENAMED
            | git2::Status::INDEX_TYPECHANGE;
        let unstaged = git2::Status::WT_MODIFIED | git2::Status::WT_DELETED | git2::Status::WT_TYPECHANGE;
        let mut lost = Vec::new();
        for entry in statuses.iter() {
            let path = String::from_utf8_lossy(entry.path_bytes()).into_owned();
            let at = std::path::Path::new(&path);
            let theirs = tree.get_path(at).ok().map(|entry| entry.id());
            let status = entry.status();
            let differs = status.is_conflicted()
                || (status.intersects(staged) && index.get_path(at, 0).map(|entry| entry.id) != theirs)
                || (status.intersects(unstaged) && worktree_blob_id(&self.root().join(at)) != theirs);
            if differs {
                lost.push(path);
            }
        }
        Ok(lost)
    }

    /// Stashes left behind by an earlier `pre-pr --autostash` (interrupted before it restored them).
    pub fn forgotten_autostashes(&self) -> Vec<StashEntry> {
        self.stash_entries().into_iter().filter(|entry| entry.message.contains(AUTOSTASH_MESSAGE)).collect()
    }

    /// Files that syncing `head` with `upstream` would overwrite or trip over: for each path
    /// `upstream` has and `head` does not (what the sync creates), an ignored or untracked file
    /// at that path, or a file where it needs a folder, in the working tree or among the
    /// untracked files of the autostash `stash`. Read-only.
    pub fn paths_in_the_way(&self, head: Oid, upstream: Oid, stash: Option<Oid>) -> anyhow::Result<Vec<InTheWay>> {
        let repo = self.raw();
        let head_tree = repo.find_commit(head).and_then(|c| c.tree()).context("failed to read HEAD's tree")?;
        let upstream_tree =
            repo.find_commit(upstream).and_then(|c| c.tree()).context("failed to read the upstream tree")?;
        // `git stash push --include-untracked` keeps the untracked files in its third parent.
        let stashed_tree = match stash {
            Some(stash) => repo.find_commit(stash).ok().and_then(|c| c.parent(2).ok()).and_then(|c| c.tree().ok()),
            None => None,
        };
        let diff = repo
            .diff_tree_to_tree(Some(&head_tree), Some(&upstream_tree), None)
            .context("failed to compare HEAD with the upstream")?;
        let mut found = std::collections::BTreeMap::new();
        for delta in diff.deltas().filter(|delta| delta.status() == git2::Delta::Added) {
            let Some(added) = delta.new_file().path() else { continue };
            // The path itself (a file or a folder there), then each folder it needs (a file there).
            let mut candidates = vec![(added.to_path_buf(), true)];
            candidates.extend(
                added.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()).map(|a| (a.to_path_buf(), false)),
            );
            for (path, exact) in candidates {
                if head_tree.get_path(&path).is_ok() {
                    continue;
                }
                let on_disk = std::fs::symlink_metadata(self.root().join(&path));
                let in_tree = match &on_disk {
                    Ok(metadata) => exact || !metadata.is_dir(),
                    Err(_) => false,
                };
                let in_stash = stashed_tree.as_ref().is_some_and(|tree| {
                    tree.get_path(&path).is_ok_and(|entry| exact || entry.kind() != Some(git2::ObjectType::Tree))
                });
                if !in_tree && !in_stash {
                    continue;
                }
                let text = path.to_string_lossy().replace('\\', "/");
                let ignored = in_tree && repo.status_should_ignore(&path).unwrap_or(false);
                found.entry(text.clone()).or_insert(InTheWay { path: text, ignored, stashed: !in_tree });
            }
        }
        Ok(found.into_values().collect())
    }
}

impl Repo {
    /// The untracked (not ignored) files that git's abort of the operation in progress would
    /// overwrite, so it refuses ("untracked working tree files would be overwritten by reset"):
    /// those the commit it goes back to tracks (a rebase's `orig-head`, else HEAD). A rebase
    /// interrupted while it wrote a commit's files leaves them so. Read-only.
    pub fn untracked_in_the_way_of_abort(&self) -> anyhow::Result<Vec<String>> {
        let orig_head = ["rebase-merge/orig-head", "rebase-apply/orig-head"]
            .iter()
            .find_map(|name| std::fs::read_to_string(self.git_dir().join(name)).ok())
            .and_then(|text| Oid::from_str(text.trim()).ok());
        let Some(target) = orig_head.or(self.head()?.commit()) else { return Ok(Vec::new()) };
        let fresh = Repository::open(self.git_dir()).context("failed to re-open the repository")?;
        let tree = fresh.find_commit(target).and_then(|c| c.tree()).context("failed to read the abort's tree")?;
        let mut options = StatusOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false).exclude_submodules(true);
        let statuses = fresh.statuses(Some(&mut options)).context("failed to read `git status`")?;
        let mut found: Vec<String> = statuses
            .iter()
            .filter(|entry| entry.status() == git2::Status::WT_NEW)
            .filter_map(|entry| entry.path().ok().map(str::to_string))
            .filter(|path| tree.get_path(std::path::Path::new(path)).is_ok())
            .collect();
        found.sort();
        Ok(found)
    }
}

fn conflicted_paths(index: &git2::Index) -> anyhow::Result<Vec<String>> {
    let mut paths = Vec::new();
    for conflict in index.conflicts().context("failed to list the conflicts")? {
        let conflict = conflict.context("failed to read a conflict")?;
        let entry = conflict.our.or(conflict.their).or(conflict.ancestor);
        if let Some(entry) = entry {
            paths.push(String::from_utf8_lossy(&entry.path).into_owned());
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The last meaningful line git printed, for an error message, through the redaction layer (git
/// strips credentials from the URLs it prints, but not from every message, nor a hook's output).
pub(super) fn git_message(output: &std::process::Output) -> String {
    crate::redact::owned(&last_git_line(output))
}

fn last_git_line(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> =
        stderr.lines().chain(stdout.lines()).map(str::trim).filter(|line| !line.is_empty()).collect();
    let fatal = lines.iter().rev().find(|line| line.starts_with("fatal:") || line.starts_with("error:"));
    fatal.or(lines.last()).map(|line| line.to_string()).unwrap_or_else(|| format!("git exited with {}", output.status))
}

/// Fetches `<remote>`'s `branch` into `refs/remotes/<remote>/<branch>` and returns its commit.
/// `interactive` allows git to ask for credentials on the terminal.
pub fn fetch(sh: &Shell, repo: &Repo, remote: &str, branch: &str, interactive: bool) -> anyhow::Result<Oid> {
    let Some(url) = repo.remote_url(remote) else {
        return Err(super::hint::no_remote(repo, remote, "").into());
    };
    // An explicit refspec updates the remote-tracking branch whatever the clone's fetch config.
    let refspec = format!("+refs/heads/{branch}:refs/remotes/{remote}/{branch}");
    let prompt = if interactive { "1" } else { "0" };
    let output = cmd!(sh, "git fetch --quiet --no-tags {remote} {refspec}")
        .env("GIT_TERMINAL_PROMPT", prompt)
        .ignore_status()
        .quiet()
        .output()
        .context("failed to run `git fetch` (is git installed?)")?;
    if !output.status.success() {
        // The configured URL may hold credentials (`https://user:token@host`): never shown.
        let url = crate::redact::url(&url);
        return Err(Refusal::failed(format!(
            "cannot fetch `{branch}` from `{remote}` ({url}): {}",
            git_message(&output)
        ))
        .hint(format!(
            "check the network and the remote's URL (`git remote -v`); this reaches it:\ngit ls-remote {}",
            crate::output::shell_word(remote)
        ))
        .into());
    }
    repo.remote_tracking_commit(remote, branch)
        .ok_or_else(|| anyhow::anyhow!("`git fetch` succeeded but `refs/remotes/{remote}/{branch}` does not exist"))
}

/// Rebases the current branch onto `upstream` (a ref name), or merges it with `message`.
///
/// A conflict (git exits 1, says `CONFLICT`, no other error, and the index has unmerged entries)
/// is aborted and the repository proven as before. Any other failure is [`Applied::Failed`] with
/// git's message: aborted and proven as before when git could, [`Unfinished`] otherwise.
pub fn apply(
    sh: &Shell,
    repo: &Repo,
    strategy: SyncStrategy,
    upstream: &str,
    message: &str,
) -> anyhow::Result<Applied> {
    apply_with(sh, repo, strategy, upstream, message, false)
}

/// Like [`apply`], except that a conflict is left in place, the rebase or merge in progress, for
/// the engineer to resolve: [`Applied::Stopped`]. Any other failure is aborted as in `apply`.
pub fn apply_stopping_at_conflicts(
    sh: &Shell,
    repo: &Repo,
    strategy: SyncStrategy,
    upstream: &str,
    message: &str,
) -> anyhow::Result<Applied> {
    apply_with(sh, repo, strategy, upstream, message, true)
}

fn apply_with(
    sh: &Shell,
    repo: &Repo,
    strategy: SyncStrategy,
    upstream: &str,
    message: &str,
    stop_at_conflicts: bool,
) -> anyhow::Result<Applied> {
    let before = repo.checkpoint()?;
    let head = repo.head()?;
    let from = head.commit().context("HEAD has no commit")?;
    // Config that would change what the sync does is pinned: the tree is clean (or stashed by us),
    // and other branches must not move (rebase.updateRefs).
    let output = match strategy {
        SyncStrategy::Rebase => cmd!(
            sh,
            "git -c rebase.autoStash=false -c rebase.updateRefs=false -c rebase.autoSquash=false rebase --quiet {upstream}"
        ),
        SyncStrategy::Merge => {
            cmd!(sh, "git -c merge.autoStash=false merge --ff --no-edit --quiet -m {message} {upstream}")
        }
    }
    .env("GIT_EDITOR", "true")
    .ignore_status()
    .quiet()
    .output()
    .with_context(|| format!("failed to run `git {}`", strategy_verb(strategy)))?;
    if output.status.success() {
        repo.reload_index()?;
        let to = repo.head()?.commit().context("HEAD has no commit after the sync")?;
        return Ok(Applied::Done { from, to });
    }
    let in_progress = repo.in_progress();
    let unmerged = repo.conflicted_paths().unwrap_or_default();
    let conflict = is_conflict(&output, in_progress.is_some(), &unmerged);
    if conflict && stop_at_conflicts {
        repo.reload_index()?;
        return Ok(Applied::Stopped { paths: unmerged });
    }
    let failure = if conflict { format!("it conflicted in {}", unmerged.join(", ")) } else { git_message(&output) };
    // Where the branch was: the command that puts it back whatever git left.
    let reset = match &head {
        super::Head::Branch { name, .. } => format!("git checkout -f -B {name} {from}"),
        _ => format!("git checkout -f {from}"),
    };
    if let Some(operation) = &in_progress {
        let abort = match strategy {
            SyncStrategy::Rebase => cmd!(sh, "git rebase --abort"),
            SyncStrategy::Merge => cmd!(sh, "git merge --abort"),
        }
        .ignore_status()
        .quiet()
        .output()
        .context("failed to run the abort")?;
        repo.reload_index()?;
        if !abort.status.success() || repo.in_progress().is_some() {
            let state = format!("the {} is unfinished", operation.operation);
            return Ok(Applied::Failed {
                message: failure,
                unfinished: Some(Unfinished {
                    state,
                    reason: format!("`{}` failed: {}", operation.abort_command, git_message(&abort)),
                    // `git merge --abort` keeps changes to files the merge did not touch (a file
                    // left half-written); the tree was clean before the sync, so the checkout
                    // after it only puts back what the branch holds.
                    recover: format!("{} && {reset}", operation.abort_command),
                }),
            });
        }
    }
    let after = repo.checkpoint()?;
    repo.reload_index()?;
    if after != before {
        return Ok(Applied::Failed {
            message: failure,
            unfinished: Some(Unfinished {
                state: format!(
                    "the failed {} left HEAD, the index or the working tree different from before",
                    strategy_verb(strategy)
                ),
                reason: format!("HEAD was {} before it", before.head_description()),
                recover: reset,
            }),
        });
    }
    if conflict {
        return Ok(Applied::Conflicts { paths: unmerged });
    }
    Ok(Applied::Failed { message: failure, unfinished: None })
}

/// Whether a failed rebase or merge stopped on a conflict, and on nothing else: git exited with
/// 1 (not a signal, not 128), said `CONFLICT`, printed no `fatal:` and no `error:` but the
/// "could not apply" that names the stopped commit, left the operation in progress and unmerged
/// entries in the index. A full disk, a killed git or a hook's failure is none of that.
fn is_conflict(output: &std::process::Output, in_progress: bool, unmerged: &[String]) -> bool {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).map(str::trim).collect();
    let said_conflict = lines.iter().any(|line| line.starts_with("CONFLICT ("));
    let other_error = lines.iter().any(|line| {
        line.starts_with("fatal:") || (line.starts_with("error:") && !line.starts_with("error: could not apply"))
    });
    output.status.code() == Some(1) && in_progress && !unmerged.is_empty() && said_conflict && !other_error
}

/// Continues the rebase or merge in progress once its conflicts are resolved and staged:
/// `git rebase --continue` (commit messages kept as they were), or the merge's commit. It may stop
/// at the next commit's conflict ([`Applied::Stopped`]); any other failure is
/// [`Applied::Failed`] and leaves the operation in progress, as git does.
pub fn continue_operation(sh: &Shell, repo: &Repo, strategy: SyncStrategy, from: Oid) -> anyhow::Result<Applied> {
    let output = match strategy {
        SyncStrategy::Rebase => cmd!(sh, "git -c rebase.autoStash=false rebase --continue"),
        SyncStrategy::Merge => cmd!(sh, "git commit --no-edit --quiet"),
    }
    .env("GIT_EDITOR", "true")
    .run_quiet_with(|| format!("failed to continue the {}", strategy_verb(strategy)))?;
    repo.reload_index()?;
    if output.status.success() && repo.in_progress().is_none() {
        let to = repo.head()?.commit().context("HEAD has no commit after the sync")?;
        return Ok(Applied::Done { from, to });
    }
    let unmerged = repo.conflicted_paths().unwrap_or_default();
    if is_conflict(&output, repo.in_progress().is_some(), &unmerged) {
        return Ok(Applied::Stopped { paths: unmerged });
    }
    Ok(Applied::Failed { message: git_message(&output), unfinished: None })
}

/// Aborts the rebase or merge in progress (`git rebase --abort`, `git merge --abort`); `Err` with
/// git's message when it could not.
pub fn abort_operation(sh: &Shell, repo: &Repo) -> anyhow::Result<Result<(), String>> {
    let Some(operation) = repo.in_progress() else { return Ok(Ok(())) };
    let output = match operation.abort_command {
        "git rebase --abort" => cmd!(sh, "git rebase --abort"),
        "git merge --abort" => cmd!(sh, "git merge --abort"),
        "git rebase --quit" => cmd!(sh, "git rebase --quit"),
        other => return Ok(Err(format!("a {} is in progress; end it first: {other}", operation.operation))),
    }
    .run_quiet("failed to run the abort")?;
    repo.reload_index()?;
    if output.status.success() && repo.in_progress().is_none() {
        Ok(Ok(()))
    } else {
        Ok(Err(git_message(&output)))
    }
}

/// Points the current branch (HEAD) at `commit` and makes the index and the working tree match
/// it: `git reset --hard`. Only for putting back what a sync moved, on a tree it left clean.
pub fn reset_hard(sh: &Shell, repo: &Repo, commit: Oid) -> anyhow::Result<()> {
    let commit = commit.to_string();
    let output = cmd!(sh, "git reset --hard --quiet {commit}").run_quiet("failed to run `git reset --hard`")?;
    repo.reload_index()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("`git reset --hard {commit}` failed: {}", git_message(&output)))
    }
}

/// Points the current branch at `commit`, keeping uncommitted changes (`git reset --keep`: git
/// refuses, changing nothing, when a changed file differs between the two commits).
pub fn reset_keep(sh: &Shell, repo: &Repo, commit: Oid) -> anyhow::Result<()> {
    let target = commit.to_string();
    let output = cmd!(sh, "git reset --keep --quiet {target}").run_quiet("failed to run `git reset --keep`")?;
    repo.reload_index()?;
    if output.status.success() {
        return Ok(());
    }
    Err(Refusal::failed(format!("`git reset --keep` refused: {}; nothing was changed", git_message(&output)))
        .hint("commit or stash your uncommitted changes, then undo again:\ngit stash push\ncargo xtask undo\ngit stash pop --index")
        .into())
}

/// Removes the untracked files `paths` (relative to the root; each one exactly, no pattern):
/// `git clean`, for files a stash holds copies of, before it is put back.
pub fn remove_untracked(sh: &Shell, repo: &Repo, paths: &[String]) -> anyhow::Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let specs: Vec<String> = paths.iter().map(|path| format!(":(top,literal){path}")).collect();
    let output = cmd!(sh, "git clean -f -q -- {specs...}").run_quiet("failed to run `git clean`")?;
    repo.reload_index()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("`git clean` failed: {}", git_message(&output)))
    }
}

/// The id git gives the file at `path` as a blob (a symbolic link's is its target's), with no
/// filter applied; `None` when it cannot be read.
fn worktree_blob_id(path: &std::path::Path) -> Option<Oid> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).ok()?;
        return Oid::hash_object(git2::ObjectType::Blob, target.to_string_lossy().as_bytes()).ok();
    }
    Oid::hash_file(git2::ObjectType::Blob, path).ok()
}

/// Pushes `branch` to `remote` with upstream tracking, leased: the remote branch must still be at
/// `expected` (or, with `None`, must not exist) — a teammate's push since makes git refuse.
pub fn push_leased(
    sh: &Shell,
    remote: &str,
    branch: &str,
    expected: Option<Oid>,
) -> anyhow::Result<Result<(), PushFailed>> {
    let (lease, refspec) = push_leased_args(branch, expected);
    let output = cmd!(sh, "git push --porcelain --quiet -u {lease} {remote} {refspec}")
        .env("GIT_TERMINAL_PROMPT", "0")
        .run_quiet("failed to run `git push` (is git installed?)")?;
    if output.status.success() {
        return Ok(Ok(()));
    }
    // `--porcelain`'s stable `!<TAB><ref><TAB>[rejected] (<why>)` line: the remote has commits the
    // lease or a fast-forward does not allow. A `[remote rejected]` one (a hook, a protected
    // branch) and no line at all (no connection, a wrong URL, credentials, signing) are other
    // failures.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let statuses: Vec<&str> =
        stdout.lines().filter_map(|line| line.strip_prefix('!')).filter_map(|line| line.split('\t').nth(2)).collect();
    if let Some(status) = statuses.iter().find(|status| status.starts_with("[rejected]")) {
        return Ok(Err(PushFailed::Rejected(crate::redact::owned(status))));
    }
    // Every line that says why (git's last one alone is often "the remote end hung up"), and the
    // remote's status of the ref; not git's "failed to push some refs", which says nothing more.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut reasons: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("fatal:") || line.starts_with("error:"))
        .filter(|line| !line.starts_with("error: failed to push some refs"))
        .map(|line| line.trim_end_matches('.'))
        .collect();
    reasons.extend(statuses);
    Ok(Err(PushFailed::Failed(match reasons.is_empty() {
        true => git_message(&output),
        false => crate::redact::owned(&reasons.join("; ")),
    })))
}

/// The lease and the refspec [`push_leased`] pushes with, for a hint that tries the same push.
pub fn push_leased_args(branch: &str, expected: Option<Oid>) -> (String, String) {
    let expected = expected.map(|oid| oid.to_string()).unwrap_or_default();
    (format!("--force-with-lease=refs/heads/{branch}:{expected}"), format!("refs/heads/{branch}:refs/heads/{branch}"))
}

/// Fast-forwards the branch checked out here to `upstream` (`git merge --ff-only`).
pub fn fast_forward(sh: &Shell, repo: &Repo, upstream: &str) -> anyhow::Result<Result<(), String>> {
    let output = cmd!(sh, "git merge --ff-only --quiet {upstream}").run_quiet("failed to run `git merge --ff-only`")?;
    repo.reload_index()?;
    Ok(if output.status.success() { Ok(()) } else { Err(git_message(&output)) })
}

/// Fetches every branch of `remote` into its remote-tracking branches, pruning the ones deleted
/// there: one round trip for main, the branch's own upstream and everything `prune` judges.
pub fn fetch_all(sh: &Shell, repo: &Repo, remote: &str, offline_hint: &str) -> anyhow::Result<()> {
    let Some(url) = repo.remote_url(remote) else {
        return Err(super::hint::no_remote(repo, remote, "").into());
    };
    let refspec = format!("+refs/heads/*:refs/remotes/{remote}/*");
    let output = cmd!(sh, "git fetch --quiet --no-tags --prune {remote} {refspec}")
        .env("GIT_TERMINAL_PROMPT", "0")
        .run_quiet("failed to run `git fetch` (is git installed?)")?;
    if output.status.success() {
        return Ok(());
    }
    let url = crate::redact::url(&url);
    Err(Refusal::failed(format!("cannot fetch from `{remote}` ({url}): {}", git_message(&output)))
        .hint(format!("check the network and the remote's URL (`git remote -v`), or {offline_hint}"))
        .into())
}

/// How the tool runs git for a result it reads: exit status ignored (the caller judges it),
/// nothing echoed, the output captured; `what` names the command when it cannot even start.
trait RunQuiet {
    fn run_quiet(self, what: &str) -> anyhow::Result<std::process::Output>;
    fn run_quiet_with(self, what: impl FnOnce() -> String) -> anyhow::Result<std::process::Output>;
}

impl RunQuiet for xshell::Cmd<'_> {
    fn run_quiet(self, what: &str) -> anyhow::Result<std::process::Output> {
        self.ignore_status().quiet().output().with_context(|| what.to_string())
    }

    fn run_quiet_with(self, what: impl FnOnce() -> String) -> anyhow::Result<std::process::Output> {
        self.ignore_status().quiet().output().with_context(what)
    }
}

/// Whether git's message says the disk is full.
fn is_no_space(message: &str) -> bool {
    message.contains("No space left") || message.contains("ENOSPC") || message.contains("disk full")
}

fn strategy_verb(strategy: SyncStrategy) -> &'static str {
    match strategy {
        SyncStrategy::Rebase => "rebase",
        SyncStrategy::Merge => "merge",
    }
}

/// Stashes tracked changes and untracked files with `message`; returns the stash's commit, or
/// `None` when there was nothing to stash.
pub fn stash_push(sh: &Shell, repo: &Repo, message: &str) -> anyhow::Result<Option<Oid>> {
    let before = repo.stash_entries().first().map(|entry| entry.commit);
    let output = cmd!(sh, "git stash push --include-untracked --quiet -m {message}")
        .ignore_status()
        .quiet()
        .output()
        .context("failed to run `git stash push`")?;
    if !output.status.success() {
        let message = git_message(&output);
        let hint = if is_no_space(&message) {
            crate::error::DISK_FULL
        } else {
            "commit the changes instead, then run the command again:\ngit add -A && git commit -m 'chore: save work in progress'"
        };
        return Err(Refusal::failed(format!("`git stash push` failed: {message}")).hint(hint).into());
    }
    repo.reload_index()?;
    let after = repo.stash_entries().first().map(|entry| entry.commit);
    Ok(if after != before { after } else { None })
}

/// Keeps the tracked changes here (staged and not) in a new stash entry with `message`,
/// leaving the working tree and the index as they are (`git stash create`, then `git stash
/// store`); returns its commit, or `None` when there was nothing to keep.
pub fn stash_keep_copy(sh: &Shell, message: &str) -> anyhow::Result<Option<Oid>> {
    let created = cmd!(sh, "git stash create {message}").run_quiet("failed to run `git stash create`")?;
    let failed = |output: &std::process::Output| {
        let why = git_message(output);
        let hint = if is_no_space(&why) { crate::error::DISK_FULL } else { "see what is in the way:\ngit status" };
        Refusal::failed(format!("the changes here could not be kept in a stash: {why}; nothing was changed")).hint(hint)
    };
    if !created.status.success() {
        return Err(failed(&created).into());
    }
    let commit = String::from_utf8_lossy(&created.stdout).trim().to_string();
    if commit.is_empty() {
        return Ok(None);
    }
    let stored = cmd!(sh, "git stash store -m {message} {commit}").run_quiet("failed to run `git stash store`")?;
    if !stored.status.success() {
        return Err(failed(&stored).into());
    }
    Ok(Some(Repo::parse_oid(&commit)?))
}

/// Puts back the stash `commit` (wherever it is in the stash list), staged changes staged.
/// It never drops a stash that was not fully applied, and never applies one into a repository
/// with an operation in progress or with changes of its own: then the stash is [`Unstashed::Kept`].
pub fn stash_pop(sh: &Shell, repo: &Repo, commit: Oid) -> anyhow::Result<Unstashed> {
    let find = || repo.stash_entries().into_iter().find(|entry| entry.commit == commit);
    let Some(entry) = find() else {
        return Err(Refusal::failed(format!("the stash {commit} is no longer in the stash list"))
            .hint(format!("look for it with `git stash list`, or apply it by id:\ngit stash apply {commit}"))
            .into());
    };
    repo.reload_index()?;
    if let Some(reason) = restore_blocker(repo)? {
        return Ok(Unstashed::Kept { reason, entry });
    }
    let reference = entry.reference();
    let output = cmd!(sh, "git stash pop --index --quiet {reference}")
        .ignore_status()
        .quiet()
        .output()
        .context("failed to run `git stash pop`")?;
    repo.reload_index()?;
    if output.status.success() {
        return Ok(Unstashed::Restored);
    }
    // `--index` refuses before touching anything when the staged changes cannot be replayed as
    // staged; then the plain pop (everything unstaged) is the next best thing.
    let mut last = output;
    if let Some(entry) = find() {
        if repo.changed_paths()?.is_empty() && repo.conflicted_paths()?.is_empty() {
            let reference = entry.reference();
            let retry = cmd!(sh, "git stash pop --quiet {reference}")
                .ignore_status()
                .quiet()
                .output()
                .context("failed to run `git stash pop`")?;
            repo.reload_index()?;
            if retry.status.success() {
                return Ok(Unstashed::RestoredUnstaged);
            }
            last = retry;
        }
    }
    match find() {
        Some(entry) => {
            // Conflict markers only where the index has unmerged entries; any other failure (a
            // full disk, a file in the way) is no conflict, and the stash is the work's copy.
            let paths = repo.conflicted_paths()?;
            let reason = format!("`git stash pop` failed: {}", git_message(&last));
            // The tree had no tracked changes before (`restore_blocker`): any now are the stash's,
            // put back before git stopped at an untracked file in the way.
            if paths.is_empty() && !repo.changed_paths()?.is_empty() {
                let missing = repo.stash_untracked_in_the_way(commit)?;
                Ok(Unstashed::Partial { reason, entry, missing })
            } else if paths.is_empty() {
                Ok(Unstashed::Kept { reason, entry })
            } else {
                Ok(Unstashed::Conflicts { paths, reference: entry.reference() })
            }
        }
        // Dropped means git applied it fully.
        None => Ok(Unstashed::Restored),
    }
}

/// Why a stash must not be applied now, if it must not: an operation in progress (git's rebase or
/// merge state), git's index lock, unmerged entries, or tracked changes the stash would be mixed
/// with (the autostash left the tree clean; anything else is what a failed sync left).
pub fn restore_blocker(repo: &Repo) -> anyhow::Result<Option<String>> {
    if let Some(operation) = repo.in_progress() {
        return Ok(Some(format!("a {} is unfinished", operation.operation)));
    }
    if repo.git_dir().join("index.lock").exists() {
        return Ok(Some("git's index lock (`index.lock`) is held".to_string()));
    }
    let fresh = Repo::discover(repo.root())?;
    if !fresh.conflicted_paths()?.is_empty() {
        return Ok(Some("the index has unresolved conflicts".to_string()));
    }
    let changed = fresh.changed_paths()?;
    if !changed.is_empty() {
        return Ok(Some(format!("the working tree has changes the stash would be mixed with: {}", changed.join(", "))));
    }
    Ok(None)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn output(code: i32, stdout: &str, stderr: &str) -> std::process::Output {
        use std::os::unix::process::ExitStatusExt as _;
        std::process::Output {
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    const CONFLICT_OUT: &str = "Auto-merging R\nCONFLICT (content): Merge conflict in R\n";
    const CONFLICT_ERR: &str = "error: could not apply 1be08bf... mine\nhint: Resolve all conflicts manually\n";

    #[test]
    fn a_conflict_is_exit_1_with_conflict_lines_unmerged_entries_and_no_other_error() {
        let paths = vec!["R".to_string()];
        assert!(is_conflict(&output(1, CONFLICT_OUT, CONFLICT_ERR), true, &paths));
        // Each missing piece makes it something else.
        assert!(!is_conflict(&output(128, CONFLICT_OUT, CONFLICT_ERR), true, &paths), "exit 128");
        assert!(!is_conflict(&output(1, CONFLICT_OUT, CONFLICT_ERR), false, &paths), "no operation");
        assert!(!is_conflict(&output(1, CONFLICT_OUT, CONFLICT_ERR), true, &[]), "no unmerged entries");
        assert!(!is_conflict(&output(1, "", CONFLICT_ERR), true, &paths), "git never said CONFLICT");
        let full = format!("{CONFLICT_ERR}fatal: write error: No space left on device\n");
        assert!(!is_conflict(&output(1, CONFLICT_OUT, &full), true, &paths), "a fatal error");
        let other = format!("{CONFLICT_ERR}error: unable to write new index file\n");
        assert!(!is_conflict(&output(1, CONFLICT_OUT, &other), true, &paths), "another error");
    }
}
