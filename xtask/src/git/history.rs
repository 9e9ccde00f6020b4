//! Reading history for `check`: commits and diffs between the merge-base and HEAD, and each
//! commit's own diff for the secret scanner (what a push sends is every commit, not only the
//! branch's sum).
//!
//! Everything here is one libgit2 repository and no spawned process, so `check` stays fast on long
//! histories: the commits of a branch are one revwalk (messages read straight from the object
//! database), the branch's changes are one tree-to-index diff (merge-base..HEAD plus what is
//! staged, in a single pass), and each commit's own changes are one tree-to-tree diff with no
//! context lines. Nothing here writes.

use std::collections::HashSet;
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

/// One entry of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub path: String,
    pub blob: Oid,
    /// 0, or 1 to 3 for the sides of a conflict.
    pub stage: u16,
}

impl crate::cache::Codec for IndexEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.path.encode(out);
        crate::cache::put_bytes(out, self.blob.as_bytes());
        crate::cache::put_u64(out, u64::from(self.stage));
    }

    fn decode(input: &mut crate::cache::Reader<'_>) -> Option<Self> {
        let path = String::decode(input)?;
        let blob = Oid::from_bytes(input.bytes()?).ok()?;
        let stage = u16::try_from(input.u64()?).ok().filter(|stage| *stage <= 3)?;
        Some(IndexEntry { path, blob, stage })
    }
}

fn encode_oid(oid: Option<Oid>, out: &mut Vec<u8>) {
    crate::cache::put_bytes(out, oid.as_ref().map_or(&[][..], Oid::as_bytes));
}

fn decode_oid(input: &mut crate::cache::Reader<'_>) -> Option<Option<Oid>> {
    match input.bytes()? {
        [] => Some(None),
        bytes => Oid::from_bytes(bytes).ok().map(Some),
    }
}

/// The cache stores a branch's diff (`check`'s `branch-diff`, keyed by the index file).
impl crate::cache::Codec for FileChange {
    fn encode(&self, out: &mut Vec<u8>) {
        use crate::cache::put_u64;
        self.path.encode(out);
        put_u64(out, self.kind as u64);
        self.binary.encode(out);
        self.first_changed_line.map(|line| line as usize).encode(out);
        put_u64(out, self.added.len() as u64);
        for line in &self.added {
            put_u64(out, u64::from(line.line));
            line.text.encode(out);
        }
        encode_oid(self.blobs.0, out);
        encode_oid(self.blobs.1, out);
        self.same_as_known.encode(out);
    }

    fn decode(input: &mut crate::cache::Reader<'_>) -> Option<Self> {
        let path = String::decode(input)?;
        let kind = match input.u64()? {
            0 => ChangeKind::Added,
            1 => ChangeKind::Modified,
            2 => ChangeKind::Deleted,
            _ => return None,
        };
        let binary = bool::decode(input)?;
        let first_changed_line = match Option::<usize>::decode(input)? {
            Some(line) => Some(u32::try_from(line).ok()?),
            None => None,
        };
        let count = usize::try_from(input.u64()?).ok()?;
        let mut added = Vec::with_capacity(count.min(input.remaining() / 16));
        for _ in 0..count {
            let line = u32::try_from(input.u64()?).ok()?;
            added.push(AddedLine { line, text: String::decode(input)? });
        }
        let blobs = (decode_oid(input)?, decode_oid(input)?);
        let same_as_known = bool::decode(input)?;
        Some(FileChange { path, kind, binary, first_changed_line, added, blobs, same_as_known })
    }
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
    /// The blobs compared: before (`None` when the file is added) and after (`None` when it is
    /// deleted). Two changes with the same path and blobs add the same lines.
    pub blobs: (Option<Oid>, Option<Oid>),
    /// A commit's change left undiffed because the caller already holds a change of the same
    /// path and blobs (see [`Repo::for_each_commit_diff`]): `added` is empty, the lines are those.
    pub same_as_known: bool,
}

/// One commit of a branch, as the commit rules need it.
#[derive(Debug, Clone, Copy)]
pub struct CommitRef<'a> {
    pub id: Oid,
    pub parents: usize,
    /// The full message (lossily decoded when it is not UTF-8).
    pub message: &'a str,
}

/// One commit and the changes it makes itself, for the secret scanner.
#[derive(Debug)]
pub struct CommitDiff<'a> {
    pub id: Oid,
    /// The first parent, `None` for a root commit.
    pub parent: Option<Oid>,
    /// The full message (lossily decoded when it is not UTF-8).
    pub message: &'a str,
    /// Every file the commit adds, changes or deletes, with the lines it adds that the caller's
    /// `keep` kept.
    pub changes: Vec<FileChange>,
}

/// Diff options for listing added lines: no context, no submodules.
fn added_lines_options() -> DiffOptions {
    let mut options = DiffOptions::new();
    options.context_lines(0).ignore_submodules(true).include_typechange(false);
    options
}

/// Every file of a diff, with the lines it adds (none for binary content). An added file's lines
/// are its content, read without running the diff algorithm (see [`Repo::added_blob`]).
fn file_changes(repo: &Repo, diff: &git2::Diff<'_>) -> anyhow::Result<Vec<FileChange>> {
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
        let known = |file: git2::DiffFile<'_>| Some(file.id()).filter(|id| !id.is_zero());
        let blobs = (known(delta.old_file()), known(delta.new_file()));
        if let (ChangeKind::Added, (None, Some(new))) = (kind, blobs) {
            changes.push(repo.added_blob(path, new, &mut added_lines_options(), &mut |_, _| true)?);
            continue;
        }
        let mut change = FileChange {
            path,
            kind,
            binary: false,
            first_changed_line: None,
            added: Vec::new(),
            blobs,
            same_as_known: false,
        };
        let patch = git2::Patch::from_diff(diff, index).with_context(|| format!("failed to diff `{}`", change.path))?;
        match patch {
            Some(patch) => added_lines(&patch, &mut change)?,
            None => change.binary = true,
        }
        changes.push(change);
    }
    Ok(changes)
}

/// A raw commit object's number of parents and its message, exactly as stored: the headers end
/// at the first empty line.
fn split_commit(data: &[u8]) -> (usize, &[u8]) {
    use std::io::BufRead as _;
    let mut parents = 0;
    let mut rest = data;
    loop {
        let line = rest;
        // `skip_until` finds the newline with the C library's `memchr`, fast in the unoptimised
        // build `cargo xtask` runs, where a byte loop is not.
        let length = rest.skip_until(b'\n').unwrap_or(0);
        let line = &line[..length];
        if line == b"\n" {
            return (parents, rest);
        }
        if !line.ends_with(b"\n") {
            return (parents, &[]);
        }
        if line.starts_with(b"parent ") {
            parents += 1;
        }
    }
}

/// Fills `change` with the lines `patch` adds, or marks it binary.
fn added_lines(patch: &git2::Patch<'_>, change: &mut FileChange) -> anyhow::Result<()> {
    // The binary flag is known once the patch has loaded the content.
    if patch.delta().flags().is_binary() {
        change.binary = true;
        return Ok(());
    }
    for hunk_index in 0..patch.num_hunks() {
        let (hunk, lines) = patch.hunk(hunk_index).with_context(|| format!("failed to diff `{}`", change.path))?;
        let start = hunk.new_start().max(1);
        change.first_changed_line = Some(change.first_changed_line.map_or(start, |line| line.min(start)));
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
    Ok(())
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

    /// At most `limit` commits reachable from `head`, newest first (parents after children): a
    /// bounded look back that never walks the whole history.
    pub fn recent_commits(&self, head: Oid, limit: usize) -> anyhow::Result<Vec<Oid>> {
        let mut walk = self.inner.revwalk().context("failed to walk the history")?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME).context("failed to walk the history")?;
        walk.push(head).context("failed to walk the history")?;
        walk.take(limit).map(|id| id.context("failed to walk the history")).collect()
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
        // Each commit is read once, raw, from the object database: `find_commit` would parse
        // every header (and trim the message's leading blank lines, which are part of what git
        // stored). The commit rule reads thousands of them (docs/benchmarks.md).
        let odb = self.inner.odb().context("failed to open the object database")?;
        let mut count = 0;
        for id in walk {
            let id = id.context("failed to walk the history")?;
            let object = odb.read(id).with_context(|| format!("failed to read commit {id}"))?;
            let (parents, message) = split_commit(object.data());
            let message = String::from_utf8_lossy(message);
            visit(CommitRef { id, parents, message: &message });
            count += 1;
        }
        Ok(count)
    }

    /// The branch's changes: `base`'s tree against the index, which is HEAD plus what is staged.
    pub fn changes_since(&self, base: Option<Oid>) -> anyhow::Result<Vec<FileChange>> {
        let base_tree = match base {
            Some(base) => Some(self.tree_of(base).context("failed to read the base tree")?),
            None => None,
        };
        let index = self.inner.index().context("failed to read the index")?;
        let diff = self
            .inner
            .diff_tree_to_index(base_tree.as_ref(), Some(&index), Some(&mut added_lines_options()))
            .context("failed to diff the branch against its base")?;
        file_changes(self, &diff)
    }

    /// The changes of `tip` against `base`, tree to tree: what a push of `tip` sends, whatever
    /// the index holds.
    pub fn changes_between(&self, base: Option<Oid>, tip: Oid) -> anyhow::Result<Vec<FileChange>> {
        let base_tree = match base {
            Some(base) => Some(self.tree_of(base).context("failed to read the base tree")?),
            None => None,
        };
        let tip_tree = self.tree_of(tip).context("failed to read the pushed tree")?;
        let diff = self
            .inner
            .diff_tree_to_tree(base_tree.as_ref(), Some(&tip_tree), Some(&mut added_lines_options()))
            .context("failed to diff the pushed commit against its base")?;
        file_changes(self, &diff)
    }

    /// The commits reachable from `tips` and from none of `hide`, oldest first (parents before
    /// children): what a push of `tips` sends to a remote that has `hide`.
    pub fn commits_between(&self, tips: &[Oid], hide: &[Oid]) -> anyhow::Result<Vec<Oid>> {
        let mut walk = self.inner.revwalk().context("failed to walk the history")?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).context("failed to walk the history")?;
        for tip in tips {
            walk.push(*tip).context("failed to walk the history")?;
        }
        for hidden in hide {
            walk.hide(*hidden).context("failed to walk the history")?;
        }
        walk.map(|id| id.context("failed to walk the history")).collect()
    }

    /// Of `commits`, those that are neither a merge nor a copy of one of `originals` (the same
    /// author, author time and message: what a rebase or a cherry-pick writes): commits made by
    /// hand since the copies were made.
    pub fn not_copies_of(&self, commits: &[Oid], originals: &[Oid]) -> anyhow::Result<Vec<Oid>> {
        let key = |id: Oid| -> anyhow::Result<(usize, CopyKey)> {
            let commit = self.inner.find_commit(id).context("failed to read a commit")?;
            let author = commit.author();
            let key = (
                author.name_bytes().to_vec(),
                author.email_bytes().to_vec(),
                author.when().seconds(),
                commit.message_raw_bytes().to_vec(),
            );
            Ok((commit.parent_count(), key))
        };
        let originals: std::collections::HashSet<_> =
            originals.iter().map(|id| key(*id).map(|(_, key)| key)).collect::<anyhow::Result<_>>()?;
        let mut made = Vec::new();
        for id in commits {
            let (parents, key) = key(*id)?;
            if parents < 2 && !originals.contains(&key) {
                made.push(*id);
            }
        }
        Ok(made)
    }

    /// Calls `visit` with each commit's own changes (its tree against its parent's), in the
    /// order given. A merge commit's changes are the lines it adds against every parent (what
    /// the merge itself wrote, not what it brought in). One diff per commit, through the object
    /// database: no process, no working tree. An added line is listed only when `keep(path, text)`
    /// says so: the caller drops the lines it needs no more of before they are copied (a branch
    /// that adds 500,000 lines would otherwise hold them all).
    ///
    /// A single-parent commit's change whose path and blobs `known(path, old, new)` recognises
    /// (the branch's own change of that file, already read) is not diffed again: it comes with
    /// `same_as_known` set and no lines.
    pub fn for_each_commit_diff(
        &self,
        commits: &[Oid],
        known: impl Fn(&str, Option<Oid>, Oid) -> bool,
        mut keep: impl FnMut(&str, &str) -> bool,
        mut visit: impl FnMut(CommitDiff<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut options = added_lines_options();
        for id in commits {
            let commit = self.inner.find_commit(*id).with_context(|| format!("failed to read commit {id}"))?;
            let tree = commit.tree().with_context(|| format!("failed to read the tree of commit {id}"))?;
            let parents: Vec<Oid> = commit.parent_ids().collect();
            let single_parent = parents.len() <= 1;
            let mut diff_against =
                |parent: Option<Oid>, options: &mut DiffOptions| -> anyhow::Result<Vec<FileChange>> {
                    let old = parent.map(|parent| self.tree_of(parent)).transpose()?;
                    let mut blobs = Vec::new();
                    self.changed_blobs(old.as_ref(), &tree, "", &mut blobs)
                        .with_context(|| format!("failed to diff commit {id} against its parent"))?;
                    blobs
                        .into_iter()
                        .map(|(path, old, new)| {
                            if single_parent && known(&path, old, new) {
                                let kind = if old.is_some() { ChangeKind::Modified } else { ChangeKind::Added };
                                return Ok(FileChange {
                                    path,
                                    kind,
                                    binary: false,
                                    first_changed_line: None,
                                    added: Vec::new(),
                                    blobs: (old, Some(new)),
                                    same_as_known: true,
                                });
                            }
                            self.blob_change(path, old, new, options, &mut keep)
                        })
                        .collect::<anyhow::Result<Vec<_>>>()
                };
            let mut changes = diff_against(parents.first().copied(), &mut options)?;
            for other in parents.iter().skip(1) {
                let theirs = diff_against(Some(*other), &mut options)?;
                let added: HashSet<(&str, &str)> = theirs
                    .iter()
                    .flat_map(|change| change.added.iter().map(move |line| (change.path.as_str(), line.text.as_str())))
                    .collect();
                let new_files: HashSet<&str> = theirs
                    .iter()
                    .filter(|change| change.kind == ChangeKind::Added)
                    .map(|change| change.path.as_str())
                    .collect();
                for change in &mut changes {
                    let path = change.path.clone();
                    change.added.retain(|line| added.contains(&(path.as_str(), line.text.as_str())));
                    if change.kind == ChangeKind::Added && !new_files.contains(path.as_str()) {
                        change.kind = ChangeKind::Modified;
                    }
                }
                changes.retain(|change| change.kind == ChangeKind::Added || !change.added.is_empty());
            }
            let message = String::from_utf8_lossy(commit.message_bytes());
            visit(CommitDiff { id: *id, parent: parents.first().copied(), message: &message, changes })?;
        }
        Ok(())
    }

    /// The files that differ between two trees, as `(path, old blob, new blob)`: added and
    /// modified files only (a deletion adds nothing). Subtrees with the same id are skipped
    /// without being read, so a commit costs what it changed, not the size of the tree: libgit2's
    /// tree-to-tree diff reads every entry (3 ms a commit on a 6,000-file tree).
    fn changed_blobs(
        &self,
        old: Option<&git2::Tree<'_>>,
        new: &git2::Tree<'_>,
        prefix: &str,
        out: &mut Vec<(String, Option<Oid>, Oid)>,
    ) -> Result<(), git2::Error> {
        for entry in new.iter() {
            self.changed_entry(old, &entry, prefix, out)?;
        }
        Ok(())
    }

    fn changed_entry(
        &self,
        old: Option<&git2::Tree<'_>>,
        entry: &git2::TreeEntry<'_>,
        prefix: &str,
        out: &mut Vec<(String, Option<Oid>, Oid)>,
    ) -> Result<(), git2::Error> {
        use git2::ObjectType;
        let before = old.and_then(|old| old.get_name_bytes(entry.name_bytes()));
        if before.as_ref().is_some_and(|before| before.id() == entry.id() && before.filemode() == entry.filemode()) {
            return Ok(());
        }
        // Named only once it changed (most entries of a big folder did not). A name that is not
        // UTF-8 is shown lossily and still scanned.
        let path = format!("{prefix}{}", String::from_utf8_lossy(entry.name_bytes()));
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let subtree = self.inner.find_tree(entry.id())?;
                let old_subtree = match &before {
                    Some(before) if before.kind() == Some(ObjectType::Tree) => Some(self.inner.find_tree(before.id())?),
                    _ => None,
                };
                self.changed_blobs(old_subtree.as_ref(), &subtree, &format!("{path}/"), out)
            }
            Some(ObjectType::Blob) => {
                let old_blob =
                    before.filter(|before| before.kind() == Some(ObjectType::Blob)).map(|before| before.id());
                if old_blob != Some(entry.id()) {
                    out.push((path, old_blob, entry.id()));
                }
                Ok(())
            }
            // A submodule's commit: its content is another repository's.
            _ => Ok(()),
        }
    }

    /// One file's change between two blobs, with the lines it adds.
    fn blob_change(
        &self,
        path: String,
        old: Option<Oid>,
        new: Oid,
        options: &mut DiffOptions,
        keep: &mut impl FnMut(&str, &str) -> bool,
    ) -> anyhow::Result<FileChange> {
        let Some(old) = old else { return self.added_blob(path, new, options, keep) };
        let old_blob = self.inner.find_blob(old).with_context(|| format!("failed to read `{path}`"))?;
        let new_blob = self.inner.find_blob(new).with_context(|| format!("failed to read `{path}`"))?;
        // Streamed through callbacks rather than a `Patch`, which would hold every line of the
        // diff (a 500,000-line file is tens of MiB more at the peak of a `check`).
        let (mut binary, mut first_changed_line, mut added) = (false, None::<u32>, Vec::new());
        let mut on_file = |delta: git2::DiffDelta<'_>, _: f32| {
            binary |= delta.flags().is_binary();
            true
        };
        let mut on_hunk = |_: git2::DiffDelta<'_>, hunk: git2::DiffHunk<'_>| {
            let start = hunk.new_start().max(1);
            first_changed_line = Some(first_changed_line.map_or(start, |line| line.min(start)));
            true
        };
        let mut on_line = |_: git2::DiffDelta<'_>, _: Option<git2::DiffHunk<'_>>, line: git2::DiffLine<'_>| {
            if line.origin() == '+' {
                let text = String::from_utf8_lossy(line.content());
                let text = text.trim_end_matches(['\n', '\r']);
                if keep(&path, text) {
                    added.push(AddedLine { line: line.new_lineno().unwrap_or(0), text: text.to_string() });
                }
            }
            true
        };
        self.inner
            .diff_blobs(
                Some(&old_blob),
                Some(&path),
                Some(&new_blob),
                Some(&path),
                Some(options),
                Some(&mut on_file),
                None,
                Some(&mut on_hunk),
                Some(&mut on_line),
            )
            .with_context(|| format!("failed to diff `{path}`"))?;
        if binary {
            added.clear();
            first_changed_line = None;
        }
        let blobs = (Some(old), Some(new));
        Ok(FileChange {
            path,
            kind: ChangeKind::Modified,
            binary,
            first_changed_line,
            added,
            blobs,
            same_as_known: false,
        })
    }

    /// An added file's change: every line of the blob, found by splitting it as git's diff does
    /// (at `\n`, the line's `\r` dropped), which is the diff against nothing without running the
    /// diff algorithm over it (most of a big branch's cost). Whether git sees it as binary (its
    /// content, `binary` or `-diff` in `.gitattributes`) is still libgit2's judgement: the diff is
    /// started, and stopped at its file callback, which comes before any line is compared.
    fn added_blob(
        &self,
        path: String,
        new: Oid,
        options: &mut DiffOptions,
        keep: &mut impl FnMut(&str, &str) -> bool,
    ) -> anyhow::Result<FileChange> {
        let blob = self.inner.find_blob(new).with_context(|| format!("failed to read `{path}`"))?;
        let mut binary = false;
        let mut on_file = |delta: git2::DiffDelta<'_>, _: f32| {
            binary = delta.flags().is_binary();
            false
        };
        match self.inner.diff_blobs(
            None,
            Some(&path),
            Some(&blob),
            Some(&path),
            Some(options),
            Some(&mut on_file),
            None,
            None,
            None,
        ) {
            Err(error) if error.code() == git2::ErrorCode::User => {}
            Err(error) => return Err(error).with_context(|| format!("failed to diff `{path}`")),
            Ok(()) => {}
        }
        let mut change = FileChange {
            path,
            kind: ChangeKind::Added,
            binary,
            first_changed_line: None,
            added: Vec::new(),
            blobs: (None, Some(new)),
            same_as_known: false,
        };
        if binary {
            return Ok(change);
        }
        // Decoded once, not line by line: a `\n` is never part of an invalid sequence, so each
        // line reads as it would alone, and the split is the standard library's memchr.
        let content = String::from_utf8_lossy(blob.content());
        if content.is_empty() {
            return Ok(change);
        }
        change.first_changed_line = Some(1);
        let body = content.strip_suffix('\n').unwrap_or(&content);
        for (index, line) in body.split('\n').enumerate() {
            // As `trim_end_matches('\r')`, which costs a call per line unoptimised.
            let text = if line.ends_with('\r') { line.trim_end_matches('\r') } else { line };
            if keep(&change.path, text) {
                let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
                change.added.push(AddedLine { line: number, text: text.to_string() });
            }
        }
        Ok(change)
    }

    /// The oldest of `commits` (oldest first) that adds `path`: it is absent from the commit's
    /// first parent and present in the commit.
    pub fn first_commit_adding(&self, commits: &[Oid], path: &str) -> anyhow::Result<Option<Oid>> {
        for id in commits {
            let commit = self.inner.find_commit(*id).with_context(|| format!("failed to read commit {id}"))?;
            if !self.exists_at(*id, path)? {
                continue;
            }
            match commit.parent_ids().next() {
                Some(parent) if self.exists_at(parent, path)? => {}
                _ => return Ok(Some(*id)),
            }
        }
        Ok(None)
    }

    /// A commit's first parent, `None` for a root commit.
    pub fn first_parent(&self, commit: Oid) -> anyhow::Result<Option<Oid>> {
        let commit = self.inner.find_commit(commit).with_context(|| format!("failed to read commit {commit}"))?;
        Ok(commit.parent_ids().next())
    }

    /// A commit's unambiguous abbreviated id, as git prints it (`core.abbrev`, 7 at least).
    pub fn short_id(&self, id: Oid) -> String {
        let short = self.inner.find_object(id, None).and_then(|object| object.short_id());
        match short {
            Ok(buf) => buf.as_str().unwrap_or_default().to_string(),
            Err(_) => id.to_string()[..10].to_string(),
        }
    }

    fn tree_of(&self, commit: Oid) -> anyhow::Result<git2::Tree<'_>> {
        self.inner
            .find_commit(commit)
            .and_then(|c| c.tree())
            .with_context(|| format!("failed to read the tree of commit {commit}"))
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
        Ok(index.iter().map(|entry| path_of(&entry.path)).collect())
    }

    /// Every index entry (HEAD plus staged changes), in the index's order (by path, then
    /// stage): its path, blob id and stage (0, or 1 to 3 for a conflict's sides).
    pub fn tracked_blobs(&self) -> anyhow::Result<Vec<IndexEntry>> {
        let index = self.inner.index().context("failed to read the index")?;
        Ok(index
            .iter()
            .map(|entry| IndexEntry { path: path_of(&entry.path), blob: entry.id, stage: (entry.flags >> 12) & 0x3 })
            .collect())
    }

    /// Every file of `commit`'s tree as [`Repo::tracked_blobs`] gives the index's: by path, at
    /// stage 0 (what a pushed commit holds, whatever the index holds).
    pub fn tree_blobs(&self, commit: Oid) -> anyhow::Result<Vec<IndexEntry>> {
        let tree = self.tree_of(commit).context("failed to read the pushed tree")?;
        let mut entries = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |folder, entry| {
            if entry.kind() != Some(git2::ObjectType::Tree) {
                let path = path_of(format!("{folder}{}", String::from_utf8_lossy(entry.name_bytes())).as_bytes());
                entries.push(IndexEntry { path, blob: entry.id(), stage: 0 });
            }
            git2::TreeWalkResult::Ok
        })
        .context("failed to read the pushed tree")?;
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// A blob's bytes.
    pub fn blob_bytes(&self, blob: Oid) -> anyhow::Result<Vec<u8>> {
        Ok(self.inner.find_blob(blob).context("failed to read a blob")?.content().to_vec())
    }
}

/// An index path as the rules name it: `/`-separated (a `\\` only when git stored one).
fn path_of(bytes: &[u8]) -> String {
    let path = String::from_utf8_lossy(bytes);
    if path.contains('\\') {
        path.replace('\\', "/")
    } else {
        path.into_owned()
    }
}

/// What a rebase or a cherry-pick keeps of a commit: its author's name, email and time, and its
/// message.
type CopyKey = (Vec<u8>, Vec<u8>, i64, Vec<u8>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_commit_splits_into_parents_and_the_stored_message() {
        let raw = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 1111111111111111111111111111111111111111\nparent 2222222222222222222222222222222222222222\nauthor A <a@b> 0 +0000\ncommitter A <a@b> 0 +0000\ngpgsig -----BEGIN-----\n x\n -----END-----\n\n\nfeat: x\n\nbody\n";
        assert_eq!(split_commit(raw), (2, &b"\nfeat: x\n\nbody\n"[..]));
        assert_eq!(split_commit(b"tree x\n"), (0, &b""[..]));
    }

    /// An added file's lines are read without the diff algorithm; this proves they are exactly
    /// what libgit2's diff against nothing lists, and that the binary judgement (content and
    /// `.gitattributes`) is libgit2's, for the shapes a file takes.
    #[test]
    fn an_added_file_reads_as_libgit2_diffs_it() {
        let dir = tempfile::tempdir().unwrap();
        let git = git2::Repository::init(dir.path()).unwrap();
        std::fs::write(dir.path().join(".gitattributes"), "*.nodiff -diff\n*.bin binary\n*.text diff\n").unwrap();
        let repo = Repo::discover(dir.path()).unwrap();
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend("key = 1\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("plain.txt", b"one\ntwo\n".to_vec()),
            ("no-newline.txt", b"one\ntwo".to_vec()),
            ("crlf.txt", b"one\r\ntwo\r\r\n\r\n".to_vec()),
            ("blank-lines.txt", b"\n\n\nx\n\n".to_vec()),
            ("empty.txt", Vec::new()),
            ("only-newline.txt", b"\n".to_vec()),
            ("latin1.txt", b"caf\xe9 \xff\xfe\nok\n".to_vec()),
            ("nul.dat", b"a\0b\nc\n".to_vec()),
            ("utf16.txt", utf16),
            ("marked.nodiff", b"plain text\n".to_vec()),
            ("marked.bin", b"plain text\n".to_vec()),
            ("forced.text", b"a\0b\nc\n".to_vec()),
        ];
        for (path, content) in cases {
            let id = git.blob(&content).unwrap();
            let fast = repo.added_blob(path.to_string(), id, &mut added_lines_options(), &mut |_, _| true).unwrap();
            let blob = git.find_blob(id).unwrap();
            let patch = git2::Patch::from_blobs(
                &git.find_blob(git.blob(b"").unwrap()).unwrap(),
                Some(Path::new(path)),
                &blob,
                Some(Path::new(path)),
                Some(&mut added_lines_options()),
            )
            .unwrap();
            let mut slow = FileChange {
                path: path.to_string(),
                kind: ChangeKind::Added,
                binary: false,
                first_changed_line: None,
                added: Vec::new(),
                blobs: (None, Some(id)),
                same_as_known: false,
            };
            added_lines(&patch, &mut slow).unwrap();
            assert_eq!(fast, slow, "{path}");
        }
    }
}
