//! The one git wrapper. [`Repo`] is a newtype over `git2::Repository` with named methods for the
//! local work the SOP needs: discovery, status, refs, branches, trees and blobs.
//!
//! Anything that talks to a remote (fetch, push) or rewrites history (rebase) is *not* done with
//! git2: it runs the `git` CLI through xshell's `cmd!` (see `sync.rs`) so the engineer's
//! credentials, SSH config and hooks apply. One local read runs the CLI too, for speed:
//! [`Repo::changed_paths_with_cli`]. No other module may open a repository or run `git`.

pub mod branches;
pub mod hint;
pub mod history;
pub mod merged;
pub mod scratch;
pub mod setup;
pub mod sparse;
pub mod sync;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use git2::{BranchType, Oid, Repository, RepositoryState, StatusOptions};

use crate::error::Refusal;

/// What HEAD points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// On a branch with at least one commit.
    Branch { name: String, commit: Oid },
    /// On a branch that has no commits yet.
    Unborn { name: String },
    /// Not on a branch.
    Detached { commit: Oid },
}

impl Head {
    pub fn branch_name(&self) -> Option<&str> {
        match self {
            Head::Branch { name, .. } | Head::Unborn { name } => Some(name),
            Head::Detached { .. } => None,
        }
    }

    pub fn commit(&self) -> Option<Oid> {
        match self {
            Head::Branch { commit, .. } | Head::Detached { commit } => Some(*commit),
            Head::Unborn { .. } => None,
        }
    }
}

/// A git operation the engineer has started and not finished, with how to finish or abort it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InProgress {
    pub operation: &'static str,
    pub continue_command: &'static str,
    pub abort_command: &'static str,
}

pub struct Repo {
    inner: Repository,
    root: PathBuf,
    /// The canonical common git directory: the tool's state lives below it.
    common_dir: PathBuf,
}

/// The paths a commit in progress takes from the working tree itself ([`Repo::commit_in_progress_paths`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitPaths {
    /// `git commit -a` or `-i <paths>`: these are staged with the index's content.
    Include(Vec<String>),
    /// `git commit <paths>`: only these are committed, whatever else is staged.
    Only(Vec<String>),
}

impl Repo {
    /// Finds the repository containing `dir`, the way `git` does.
    pub fn discover(dir: &Path) -> anyhow::Result<Repo> {
        // libgit2 re-hashes every object it reads by default; git itself does not. On a
        // 10,000-commit history that verification was 12% of `check` (docs/benchmarks.md).
        git2::opts::strict_hash_verification(false);
        let inner = match Repository::discover(dir) {
            Ok(repo) => repo,
            Err(error) if error.code() == git2::ErrorCode::NotFound => {
                return Err(Refusal::usage(format!("`{}` is not inside a git repository", dir.display()))
                    .hint("run it inside your Lancelot clone, or point at one: cargo xtask -C <path-to-clone> …")
                    .into());
            }
            Err(error) => {
                return Err(error).with_context(|| format!("failed to open the git repository at `{}`", dir.display()))
            }
        };
        let Some(workdir) = inner.workdir() else {
            return Err(Refusal::usage(format!("`{}` is a bare repository; it has no working tree", dir.display()))
                .hint("run it in a clone with a working tree: git clone <url> && cd <clone>")
                .into());
        };
        let root = workdir.canonicalize().unwrap_or_else(|_| workdir.to_path_buf());
        let common_dir = inner.commondir().canonicalize().unwrap_or_else(|_| inner.commondir().to_path_buf());
        Ok(Repo { inner, root, common_dir })
    }

    /// The git2 handle, for the sibling modules of this wrapper only.
    pub(crate) fn raw(&self) -> &Repository {
        &self.inner
    }

    /// The root of the working tree.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// This worktree's git directory (`.git`, or `.git/worktrees/<name>` in a linked worktree).
    pub fn git_dir(&self) -> &Path {
        self.inner.path()
    }

    /// The git directory every worktree of the clone shares (`.git`): its configuration, `info/`
    /// and the objects.
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// The xtask's own state folder, shared by all worktrees of one clone and never committed:
    /// receipts, the run lock, the transaction journal and the onboarding state live here.
    pub fn sop_dir(&self) -> PathBuf {
        self.common_dir.join("sop")
    }

    /// The commit an object id names: itself, or what an annotated tag points at; `None` for
    /// anything else (a tree, a blob, an unknown id).
    pub fn commit_of(&self, id: Oid) -> Option<Oid> {
        self.inner.find_object(id, None).ok()?.peel_to_commit().ok().map(|commit| commit.id())
    }

    pub fn head(&self) -> anyhow::Result<Head> {
        match self.inner.head() {
            Ok(reference) => {
                let commit = reference.peel_to_commit().context("failed to read the commit HEAD points at")?.id();
                if reference.is_branch() {
                    let name = reference.shorthand().unwrap_or_default().to_string();
                    Ok(Head::Branch { name, commit })
                } else {
                    Ok(Head::Detached { commit })
                }
            }
            Err(error) if error.code() == git2::ErrorCode::UnbornBranch => {
                let head = self.inner.find_reference("HEAD").context("failed to read HEAD")?;
                let target = head.symbolic_target().ok().flatten().unwrap_or("refs/heads/main");
                let name = target.strip_prefix("refs/heads/").unwrap_or(target).to_string();
                Ok(Head::Unborn { name })
            }
            Err(error) => Err(error).context("failed to read HEAD"),
        }
    }

    /// The operation in progress (merge, rebase, cherry-pick, …), if any.
    pub fn in_progress(&self) -> Option<InProgress> {
        let (operation, continue_command, abort_command) = match self.inner.state() {
            RepositoryState::Clean => return None,
            RepositoryState::Merge => ("merge", "git commit", "git merge --abort"),
            RepositoryState::Rebase | RepositoryState::RebaseInteractive | RepositoryState::RebaseMerge => {
                // A rebase killed while it set itself up has a state folder without `head-name`:
                // `--abort` cannot read where to go back to, and HEAD has not moved yet, so the
                // way out is to drop the state.
                let started = ["rebase-merge", "rebase-apply"]
                    .iter()
                    .any(|dir| self.git_dir().join(dir).join("head-name").exists());
                if started {
                    ("rebase", "git rebase --continue", "git rebase --abort")
                } else {
                    ("rebase (interrupted while starting)", "git rebase --quit", "git rebase --quit")
                }
            }
            RepositoryState::ApplyMailbox | RepositoryState::ApplyMailboxOrRebase => {
                ("am", "git am --continue", "git am --abort")
            }
            RepositoryState::CherryPick | RepositoryState::CherryPickSequence => {
                ("cherry-pick", "git cherry-pick --continue", "git cherry-pick --abort")
            }
            RepositoryState::Revert | RepositoryState::RevertSequence => {
                ("revert", "git revert --continue", "git revert --abort")
            }
            RepositoryState::Bisect => ("bisect", "git bisect good|bad", "git bisect reset"),
        };
        Some(InProgress { operation, continue_command, abort_command })
    }

    /// Refuses when an operation is in progress, saying how to finish or abort it.
    pub fn ensure_no_operation_in_progress(&self) -> anyhow::Result<()> {
        if let Some(op) = self.in_progress() {
            return Err(Refusal::failed(format!("a {} is in progress in `{}`", op.operation, self.root.display()))
                .hint(format!(
                    "finish it with `{}`, or abort it, then run this again:\n{}",
                    op.continue_command, op.abort_command
                ))
                .into());
        }
        Ok(())
    }

    /// Refuses when git's index lock is held: another git process is running, or one crashed.
    pub fn ensure_index_unlocked(&self) -> anyhow::Result<()> {
        self.ensure_index_unlocked_then(None)
    }

    /// [`Repo::ensure_index_unlocked`], with `then`, the command to run again once the stale
    /// lock is gone, as the hint's next line: for the commands that finish or abort an operation
    /// git itself cannot end while the lock is there (`sync --abort` after a killed abort).
    pub fn ensure_index_unlocked_then(&self, then: Option<&str>) -> anyhow::Result<()> {
        // The index's lock, and HEAD's: a git killed while moving HEAD (a rebase's checkout)
        // leaves `HEAD.lock`, which blocks `git rebase --abort` itself.
        for name in ["index.lock", "HEAD.lock"] {
            self.ensure_unlocked(&self.git_dir().join(name), then)?;
        }
        Ok(())
    }

    /// [`Repo::ensure_index_unlocked_then`] for the stash's locks, in the common git directory:
    /// `refs/stash.lock` (a `git stash push` killed while it stored the stash) and
    /// `logs/refs/stash.lock` (a `git stash drop` or `pop` killed while it rewrote the reflog).
    /// Either makes putting a stash back fail half-way: it is applied, but never dropped.
    pub fn ensure_stash_unlocked_then(&self, then: Option<&str>) -> anyhow::Result<()> {
        let common = self.inner.commondir();
        for name in ["refs/stash.lock", "logs/refs/stash.lock"] {
            self.ensure_unlocked(&common.join(name), then)?;
        }
        Ok(())
    }

    fn ensure_unlocked(&self, lock: &Path, then: Option<&str>) -> anyhow::Result<()> {
        if lock.exists() {
            let hint = match then {
                None => format!("if no git command is running, remove the stale lock: rm '{}'", lock.display()),
                Some(then) => format!(
                    "if no git command is running, remove the stale lock, then run it again:\nrm {}\n{then}",
                    crate::output::shell_word(&lock.display().to_string())
                ),
            };
            return Err(Refusal::failed(format!(
                "`{}` exists: another git process is running, or one crashed",
                lock.display()
            ))
            .hint(hint)
            .into());
        }
        Ok(())
    }

    /// Paths with tracked changes, staged or not. Untracked files are not changes: they survive a
    /// branch switch untouched (a checkout that would overwrite one fails safely instead).
    pub fn changed_paths(&self) -> anyhow::Result<Vec<String>> {
        let mut options = StatusOptions::new();
        options.include_untracked(false).include_ignored(false).exclude_submodules(true);
        let statuses = self.inner.statuses(Some(&mut options)).context("failed to read `git status`")?;
        let mut changed: Vec<String> = statuses
            .iter()
            .filter(|entry| entry.status() != git2::Status::CURRENT)
            .map(|entry| entry.path().unwrap_or("<non-UTF-8 path>").to_string())
            .collect();
        // A sparse checkout leaves the files outside its cone absent on purpose, marked
        // skip-worktree in the index; libgit2 ignores the mark and calls them deleted. Git
        // does not, and neither do we.
        let only_deleted = |entry: &git2::StatusEntry<'_>| entry.status() == git2::Status::WT_DELETED;
        if statuses.iter().any(|entry| only_deleted(&entry)) {
            let skipped = self.skip_worktree_paths()?;
            if !skipped.is_empty() {
                let deleted: std::collections::HashSet<String> = statuses
                    .iter()
                    .filter(|entry| only_deleted(entry))
                    .filter_map(|entry| entry.path().ok().map(str::to_string))
                    .collect();
                changed.retain(|path| !(deleted.contains(path) && skipped.contains(path)));
            }
        }
        Ok(changed)
    }

    /// [`Repo::changed_paths`], asked of the `git` CLI in `sh` (at the root): the same answer —
    /// tracked paths changed in the index or the working tree; a sparse checkout's skip-worktree
    /// entries are not changes — in a fraction of the time on a large tree, where libgit2's status
    /// (unoptimised in a dev build) compares every file for tens of milliseconds (`pre-pr`'s
    /// preflight, issue 17). Read-only: `--no-optional-locks` keeps git from refreshing the index.
    /// When git cannot run or fails, libgit2 answers.
    pub fn changed_paths_with_cli(&self, sh: &xshell::Shell) -> anyhow::Result<Vec<String>> {
        let output = xshell::cmd!(
            sh,
            "git --no-optional-locks status --porcelain=v1 -z --untracked-files=no --ignore-submodules=all --no-renames"
        )
        .ignore_status()
        .quiet()
        .output();
        let Some(output) = output.ok().filter(|output| output.status.success()) else {
            return self.changed_paths();
        };
        // `XY <path>` entries, NUL-terminated; `--no-renames` keeps each to one path.
        Ok(output
            .stdout
            .split(|byte| *byte == 0)
            .filter_map(|entry| entry.get(3..).filter(|path| !path.is_empty()))
            .map(|path| String::from_utf8_lossy(path).into_owned())
            .collect())
    }

    /// The index entries a sparse checkout keeps out of the working tree (skip-worktree).
    pub fn skip_worktree_paths(&self) -> anyhow::Result<std::collections::HashSet<String>> {
        /// `GIT_INDEX_ENTRY_SKIP_WORKTREE`, an extended flag of an index entry.
        const SKIP_WORKTREE: u16 = 1 << 14;
        let index = self.inner.index().context("failed to read the index")?;
        Ok(index
            .iter()
            .filter(|entry| entry.flags_extended & SKIP_WORKTREE != 0)
            .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
            .collect())
    }

    /// A digest of the index's entries (path, mode, blob, stage and flags; not the timestamps
    /// git refreshes): equal digests mean nothing was staged, unstaged or committed between.
    pub fn index_digest(&self) -> anyhow::Result<String> {
        let mut index = self.inner.index().context("failed to read the index")?;
        index.read(false).context("failed to read the index")?;
        let mut text = Vec::new();
        for entry in index.iter() {
            text.extend_from_slice(&entry.path);
            text.extend_from_slice(
                format!(" {:o} {} {:x} {:x}\n", entry.mode, entry.id, entry.flags, entry.flags_extended).as_bytes(),
            );
        }
        Ok(Oid::hash_object(git2::ObjectType::Blob, &text).context("failed to hash the index")?.to_string())
    }

    /// Whether the index holds exactly `commit`'s tree (what a finished checkout of it writes).
    pub fn index_matches(&self, commit: Oid) -> anyhow::Result<bool> {
        let mut index = self.inner.index().context("failed to read the index")?;
        index.read(false).context("failed to read the index")?;
        if index.has_conflicts() {
            return Ok(false);
        }
        let tree = self.inner.find_commit(commit).and_then(|c| c.tree()).context("failed to read a commit's tree")?;
        let diff =
            self.inner.diff_tree_to_index(Some(&tree), Some(&index), None).context("failed to compare the index")?;
        Ok(diff.deltas().len() == 0)
    }

    /// The paths whose content or mode differs between two commits (`None`: the empty tree).
    pub fn paths_between(&self, from: Option<Oid>, to: Oid) -> anyhow::Result<Vec<String>> {
        let tree_of = |commit: Oid| self.inner.find_commit(commit).and_then(|c| c.tree());
        let old = from.map(tree_of).transpose().context("failed to read a commit's tree")?;
        let new = tree_of(to).context("failed to read a commit's tree")?;
        let diff =
            self.inner.diff_tree_to_tree(old.as_ref(), Some(&new), None).context("failed to compare two trees")?;
        Ok(diff
            .deltas()
            .filter_map(|delta| {
                delta.new_file().path().or(delta.old_file().path()).map(|p| p.to_string_lossy().into_owned())
            })
            .collect())
    }

    /// Writes `commit`'s version of `paths` into the working tree and the index, overwriting
    /// what is there: only for paths a caller has proven hold nothing of the engineer's.
    pub fn force_paths(&self, commit: Oid, paths: &[String]) -> anyhow::Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        let target = self.inner.find_commit(commit).context("failed to find the commit to restore")?;
        let mut options = git2::build::CheckoutBuilder::new();
        options.force().disable_pathspec_match(true);
        for path in paths {
            options.path(path);
        }
        self.inner
            .checkout_tree(target.as_object(), Some(&mut options))
            .map_err(|error| self.explain_checkout_error(error))
            .context("failed to restore the files of the previous branch")
    }

    /// Sets the index to `commit`'s tree (`None`: empty), leaving the working tree alone.
    pub fn reset_index(&self, commit: Option<Oid>) -> anyhow::Result<()> {
        let mut index = self.inner.index().context("failed to read the index")?;
        match commit {
            Some(commit) => {
                let tree =
                    self.inner.find_commit(commit).and_then(|c| c.tree()).context("failed to read a commit's tree")?;
                index.read_tree(&tree).context("failed to reset the index")?;
            }
            None => index.clear().context("failed to reset the index")?,
        }
        index.write().context("failed to write the index")
    }

    /// Points HEAD at `head` without touching the working tree or the index.
    pub fn set_head_only(&self, head: &Head) -> anyhow::Result<()> {
        match head {
            Head::Branch { name, .. } | Head::Unborn { name } => {
                self.inner.set_head(&format!("refs/heads/{name}")).context("failed to move HEAD back")
            }
            Head::Detached { commit } => self.inner.set_head_detached(*commit).context("failed to move HEAD back"),
        }
    }

    /// libgit2 can report a failed checkout with the message of a later, unrelated lookup
    /// ("config value 'merge.conflictstyle' was not found") when the real cause was a full
    /// disk. A probe write in the git directory tells: a full disk is named as such.
    fn explain_checkout_error(&self, error: git2::Error) -> anyhow::Error {
        if disk_is_full(self.git_dir()) {
            // libgit2's own message names the unrelated lookup: leave it out.
            let _ = error;
            return anyhow::anyhow!("no space left on device: git could not write the working tree");
        }
        anyhow::Error::new(error)
    }

    /// Refuses when there are tracked changes, listing a few of them.
    pub fn ensure_clean(&self, command: &str) -> anyhow::Result<()> {
        let changed = self.changed_paths()?;
        if changed.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = changed.iter().take(5).map(|path| format!("`{path}`")).collect();
        let more = if changed.len() > 5 { format!(" and {} more", changed.len() - 5) } else { String::new() };
        Err(Refusal::failed(format!("the working tree has uncommitted changes: {}{more}", shown.join(", ")))
            .hint(format!(
                "stash them (`git stash pop` brings them back), or commit them, then run `cargo xtask {command}` again:\ngit stash"
            ))
            .into())
    }

    /// A reference that would stop `refs/heads/<name>` from being created: the branch itself,
    /// a branch named like one of its parent folders (`feat`), or branches below it (`feat/x/y`).
    pub fn conflicting_ref(&self, branch: &str) -> anyhow::Result<Option<String>> {
        let full = format!("refs/heads/{branch}");
        let references = self.inner.references().context("failed to list references")?;
        for reference in references {
            let reference = reference.context("failed to read a reference")?;
            let Ok(name) = reference.name() else { continue };
            if !name.starts_with("refs/heads/") {
                continue;
            }
            if name == full || name.starts_with(&format!("{full}/")) || full.starts_with(&format!("{name}/")) {
                return Ok(Some(name.trim_start_matches("refs/heads/").to_string()));
            }
        }
        Ok(None)
    }

    /// The commit of the main branch, where a branch's work will land: the remote's copy
    /// (`<remote>/<main>`) whenever there is one, else the local branch. A stale local `main` must
    /// not make a teammate's merged work look like part of this branch, and commits only the
    /// local `main` has (never pushed: the pre-push hook refuses them) are not in the main branch
    /// a pull request merges into, so they must not hide from a branch's rules what it carries.
    pub fn main_commit(&self, main: &str, remote: &str) -> anyhow::Result<Oid> {
        if let Ok(branch) = self.inner.find_branch(&format!("{remote}/{main}"), BranchType::Remote) {
            return Ok(branch
                .get()
                .peel_to_commit()
                .with_context(|| format!("failed to read `{remote}/{main}`"))?
                .id());
        }
        match self.branch_commit(main)? {
            Some(local) => Ok(local),
            None => Err(Refusal::failed(format!(
                "the main branch `{main}` has no commits here (neither `{main}` nor `{remote}/{main}` exists)"
            ))
            .hint(format!(
                "create it with a first commit: git switch -c {} && git commit --allow-empty -m \"chore: initial commit\"",
                crate::output::shell_word(main)
            ))
            .into()),
        }
    }

    /// What a commit being made stages beyond the index, read from the index git gave its
    /// hooks (`GIT_INDEX_FILE`), so that a retry commits the same: `git commit -a` and
    /// `-i <paths>` run the hooks on the locked index (`index.lock`), which holds what they add;
    /// `git commit <paths>` on a temporary one (`next-index-*.lock`): HEAD plus those paths.
    /// `None` for the index itself, or an index that cannot be read.
    pub fn commit_in_progress_paths(&self, index_file: &Path) -> Option<CommitPaths> {
        let path = if index_file.is_absolute() { index_file.to_path_buf() } else { self.root().join(index_file) };
        let name = path.file_name()?.to_str()?;
        let given = git2::Index::open(&path).ok()?;
        let changed = |diff: git2::Diff<'_>| -> Vec<String> {
            let mut paths: Vec<String> = diff
                .deltas()
                .filter_map(|delta| delta.new_file().path().or_else(|| delta.old_file().path()))
                .map(|path| path.to_string_lossy().replace('\\', "/"))
                .collect();
            paths.sort();
            paths.dedup();
            paths
        };
        if name == "index.lock" {
            let index = git2::Index::open(&self.git_dir().join("index")).ok()?;
            let diff = self.inner.diff_index_to_index(&index, &given, None).ok()?;
            Some(CommitPaths::Include(changed(diff)))
        } else if name.starts_with("next-index-") && name.ends_with(".lock") {
            let head = self.inner.head().ok().and_then(|head| head.peel_to_tree().ok());
            let diff = self.inner.diff_tree_to_index(head.as_ref(), Some(&given), None).ok()?;
            Some(CommitPaths::Only(changed(diff)))
        } else {
            None
        }
    }

    /// Creates `name` at `commit` and checks it out, refusing to overwrite anything in the
    /// working tree (git2's safe checkout). On failure nothing is left behind.
    pub fn create_and_checkout_branch(&self, name: &str, commit: Oid) -> anyhow::Result<()> {
        let target = self.inner.find_commit(commit).context("failed to find the main branch's commit")?;
        let mut branch =
            self.inner.branch(name, &target, false).with_context(|| format!("failed to create branch `{name}`"))?;
        if let Err(error) = self.checkout(&format!("refs/heads/{name}"), commit) {
            let _ = branch.delete();
            return Err(error);
        }
        Ok(())
    }

    /// Safely checks out `commit` and points HEAD at `reference` (a full ref name).
    pub fn checkout(&self, reference: &str, commit: Oid) -> anyhow::Result<()> {
        let target = self.inner.find_commit(commit).context("failed to find the commit to check out")?;
        let mut options = git2::build::CheckoutBuilder::new();
        options.safe();
        options.progress(|_, done, _| crate::test_hooks::in_checkout(done));
        let name = reference.trim_start_matches("refs/heads/");
        if let Err(error) = self.inner.checkout_tree(target.as_object(), Some(&mut options)) {
            let conflict = error.code() == git2::ErrorCode::Conflict;
            return Err(self.explain_checkout_error(error)).with_context(|| {
                if conflict {
                    format!("failed to check out `{name}` (a file in the working tree would be overwritten)")
                } else {
                    format!("failed to check out `{name}`")
                }
            });
        }
        self.inner.set_head(reference).with_context(|| format!("failed to point HEAD at `{reference}`"))?;
        Ok(())
    }

    /// Deletes a local branch if it still points at `commit` (so later work on it is never lost).
    pub fn delete_branch_if_at(&self, name: &str, commit: Oid) -> anyhow::Result<bool> {
        let Ok(mut branch) = self.inner.find_branch(name, BranchType::Local) else { return Ok(false) };
        if branch.get().target() != Some(commit) {
            return Ok(false);
        }
        branch.delete().with_context(|| format!("failed to delete branch `{name}`"))?;
        Ok(true)
    }

    /// Every local branch: name, tip and the tip's commit time (Unix seconds). One pass over the
    /// refs, so listing thousands of add-ons costs one walk, not one lookup each.
    pub fn local_branches(&self) -> anyhow::Result<Vec<(String, Oid, i64)>> {
        let mut out = Vec::new();
        for branch in self.inner.branches(Some(BranchType::Local)).context("failed to list branches")? {
            let (branch, _) = branch.context("failed to read a branch")?;
            let Ok(Some(name)) = branch.name() else { continue };
            let Ok(commit) = branch.get().peel_to_commit() else { continue };
            out.push((name.to_string(), commit.id(), commit.time().seconds()));
        }
        Ok(out)
    }

    /// The names of `remote`'s remote-tracking branches, without the `<remote>/` prefix.
    pub fn remote_branch_names(&self, remote: &str) -> anyhow::Result<Vec<String>> {
        let prefix = format!("{remote}/");
        let mut out = Vec::new();
        for branch in self.inner.branches(Some(BranchType::Remote)).context("failed to list remote branches")? {
            let (branch, _) = branch.context("failed to read a remote branch")?;
            if let Ok(Some(name)) = branch.name() {
                if let Some(name) = name.strip_prefix(&prefix) {
                    out.push(name.to_string());
                }
            }
        }
        Ok(out)
    }

    /// A teammate's slice in flight: the remote-tracking branch `<remote>/<kind>/<slug>`, for one
    /// of `kinds`, whose tip `main` does not hold yet (pushed, not merged). SOP 4.1: one branch is
    /// one slice, so a second slice of that name would duplicate it.
    pub fn slice_on_remote(&self, remote: &str, kinds: &[String], slug: &str, main: Oid) -> Option<String> {
        kinds.iter().find_map(|kind| {
            let name = format!("{remote}/{kind}/{slug}");
            let tip = self.inner.refname_to_id(&format!("refs/remotes/{name}")).ok()?;
            (!self.is_merged(tip, main)).then_some(name)
        })
    }

    /// Whether `branch` is merged into `into` (its tip is an ancestor of `into`'s).
    pub fn is_merged(&self, branch: Oid, into: Oid) -> bool {
        branch == into || self.inner.graph_descendant_of(into, branch).unwrap_or(false)
    }

    /// A file's bytes in `commit`'s tree, or `None` if it does not exist there.
    pub fn file_at(&self, commit: Oid, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let tree = self.inner.find_commit(commit).and_then(|c| c.tree()).context("failed to read a commit's tree")?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(error) if error.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(error) => return Err(error).with_context(|| format!("failed to look up `{path}`")),
        };
        let object = entry.to_object(&self.inner).with_context(|| format!("failed to read `{path}`"))?;
        Ok(object.as_blob().map(|blob| blob.content().to_vec()))
    }

    /// The commit local branch `name` points at, if the branch exists.
    pub fn branch_commit(&self, name: &str) -> anyhow::Result<Option<Oid>> {
        match self.inner.find_branch(name, BranchType::Local) {
            Ok(branch) => {
                Ok(Some(branch.get().peel_to_commit().with_context(|| format!("failed to read branch `{name}`"))?.id()))
            }
            Err(_) => Ok(None),
        }
    }

    /// Whether anything (file, folder, link) exists at `path` in `commit`'s tree.
    pub fn exists_at(&self, commit: Oid, path: &str) -> anyhow::Result<bool> {
        let tree = self.inner.find_commit(commit).and_then(|c| c.tree()).context("failed to read a commit's tree")?;
        match tree.get_path(Path::new(path)) {
            Ok(_) => Ok(true),
            Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(false),
            Err(error) => Err(error).with_context(|| format!("failed to look up `{path}`")),
        }
    }

    /// The names of the entries of folder `dir` in `commit`'s tree, sorted; none if it is absent.
    pub fn names_at(&self, commit: Oid, dir: &str) -> anyhow::Result<Vec<String>> {
        let tree = self.inner.find_commit(commit).and_then(|c| c.tree()).context("failed to read a commit's tree")?;
        let entry = match tree.get_path(Path::new(dir)) {
            Ok(entry) => entry,
            Err(error) if error.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error).with_context(|| format!("failed to look up `{dir}`")),
        };
        let object = entry.to_object(&self.inner).with_context(|| format!("failed to read `{dir}`"))?;
        let Some(folder) = object.as_tree() else { return Ok(Vec::new()) };
        let mut names: Vec<String> = folder.iter().filter_map(|e| e.name().ok().map(str::to_string)).collect();
        names.sort();
        Ok(names)
    }

    /// The git blob id of some bytes: the content hash used for frozen specs.
    pub fn hash_blob(bytes: &[u8]) -> anyhow::Result<String> {
        Ok(Oid::hash_object(git2::ObjectType::Blob, bytes).context("failed to hash content")?.to_string())
    }

    /// A configuration value (local, then global, then system), if set.
    pub fn config_string(&self, key: &str) -> Option<String> {
        let moved = ["GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"]
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
        if !moved {
            // The repository's own view: it also evaluates `includeIf "gitdir:…"`, which a
            // configuration built from files alone cannot.
            return self.inner.config().ok()?.get_string(key).ok();
        }
        self.read_config().ok()?.get_string(key).ok()
    }

    /// The configuration as git itself reads it when the environment moves its files, for
    /// reading only. libgit2 reads `~/.gitconfig` and the system file whatever
    /// `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM` and `GIT_CONFIG_NOSYSTEM` say, so the identity,
    /// the hooks path to chain and the comment character the tool saw were not the ones git
    /// uses. Built afresh on each read (the tool's own writes go to `.git/config` through the
    /// repository's configuration).
    fn read_config(&self) -> anyhow::Result<git2::Config> {
        let mut config = git2::Config::new().context("failed to read the git configuration")?;
        let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let mut add = |path: &Path, level: git2::ConfigLevel| {
            if path.is_file() {
                let _ = config.add_file(path, level, false);
            }
        };
        let no_system = set("GIT_CONFIG_NOSYSTEM").is_some_and(|value| {
            !matches!(value.to_string_lossy().to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off")
        });
        if !no_system {
            match set("GIT_CONFIG_SYSTEM") {
                Some(system) => add(Path::new(&system), git2::ConfigLevel::System),
                None => {
                    if let Ok(system) = git2::Config::find_system() {
                        add(&system, git2::ConfigLevel::System);
                    }
                }
            }
        }
        match set("GIT_CONFIG_GLOBAL") {
            // Git then reads neither `~/.gitconfig` nor the XDG file.
            Some(global) => add(Path::new(&global), git2::ConfigLevel::Global),
            None => {
                if let Ok(xdg) = git2::Config::find_xdg() {
                    add(&xdg, git2::ConfigLevel::XDG);
                }
                if let Ok(global) = git2::Config::find_global() {
                    add(&global, git2::ConfigLevel::Global);
                }
            }
        }
        add(&self.common_dir.join("config"), git2::ConfigLevel::Local);
        add(&self.git_dir().join("config.worktree"), git2::ConfigLevel::Worktree);
        Ok(config)
    }

    /// A configuration value as git gives it to a hook it runs: `git -c key=value` (passed in
    /// `GIT_CONFIG_PARAMETERS`, which libgit2 does not read) and `GIT_CONFIG_COUNT` entries
    /// first, then the config files.
    pub fn hook_config_string(&self, key: &str) -> Option<String> {
        let parameters = std::env::var("GIT_CONFIG_PARAMETERS").unwrap_or_default();
        let mut found = config_parameter(&parameters, key);
        let count: usize = std::env::var("GIT_CONFIG_COUNT").ok().and_then(|n| n.trim().parse().ok()).unwrap_or(0);
        for index in 0..count.min(1000) {
            let name = std::env::var(format!("GIT_CONFIG_KEY_{index}")).unwrap_or_default();
            if name.eq_ignore_ascii_case(key) {
                found = std::env::var(format!("GIT_CONFIG_VALUE_{index}")).ok();
            }
        }
        found.or_else(|| self.config_string(key))
    }

    /// The URL of a remote, if it is configured.
    pub fn remote_url(&self, remote: &str) -> Option<String> {
        self.inner.find_remote(remote).ok()?.url().ok().map(str::to_string)
    }

    /// The names of the clone's remotes, sorted.
    pub fn remote_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .remotes()
            .map(|names| names.iter().filter_map(|name| name.ok().flatten().map(str::to_string)).collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// The last value of `key` in git's `GIT_CONFIG_PARAMETERS` (`'key'='value' 'key2'='value'`,
/// shell-quoted; older gits write `'key=value'`). Keys compare without regard to case.
fn config_parameter(parameters: &str, key: &str) -> Option<String> {
    let mut found = None;
    let mut chars = parameters.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return found;
        }
        // One entry: quoted pieces, `\x` escapes, and one unquoted `=` between key and value.
        let (mut name, mut value, mut split) = (String::new(), String::new(), false);
        while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
            let target = if split { &mut value } else { &mut name };
            match c {
                '\'' => target.extend(chars.by_ref().take_while(|c| *c != '\'')),
                '\\' => target.extend(chars.next()),
                '=' if !split => split = true,
                c => target.push(c),
            }
        }
        if !split {
            let (old_name, old_value) = name.split_once('=').unwrap_or((name.as_str(), ""));
            (name, value) = (old_name.to_string(), old_value.to_string());
        }
        if name.eq_ignore_ascii_case(key) {
            found = Some(value);
        }
    }
}

/// Whether the disk holding `dir` is full: a probe of 64 KiB cannot be written there.
fn disk_is_full(dir: &Path) -> bool {
    use std::io::Write as _;
    let probe = dir.join(format!("xtask-space-probe.{}", std::process::id()));
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut file| file.write_all(&[0; 64 * 1024]).and_then(|()| file.sync_all()));
    let _ = std::fs::remove_file(&probe);
    result.is_err_and(|error| crate::plan::confine::is_disk_full(&error))
}

#[cfg(test)]
mod tests {
    use super::config_parameter;

    /// `GIT_CONFIG_PARAMETERS` as git writes it for `git -c`: the last value wins, keys ignore
    /// case, quotes and `'\''` escapes are undone, the old `'key=value'` form is read too.
    #[test]
    fn git_dash_c_parameters_are_read_like_git() {
        let parameters =
            "'core.commentchar'=';' 'commit.cleanup'='strip' 'user.name'='it'\\''s me' 'commit.cleanup'='verbatim'";
        assert_eq!(config_parameter(parameters, "core.commentChar").as_deref(), Some(";"));
        assert_eq!(config_parameter(parameters, "commit.cleanup").as_deref(), Some("verbatim"));
        assert_eq!(config_parameter(parameters, "user.name").as_deref(), Some("it's me"));
        assert_eq!(config_parameter("'core.commentchar=@'", "core.commentchar").as_deref(), Some("@"));
        assert_eq!(config_parameter("", "commit.cleanup"), None);
    }
}
