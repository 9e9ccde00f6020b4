//! The files a sparse checkout leaves out of the working tree on purpose: tracked, marked
//! skip-worktree in the index, absent from the disk. The one place the readers of the working
//! tree (the add-on inventory, `check`'s rules, `status`) ask about a file they do not find: such
//! a file is present as far as they are concerned, its content the index's blob (what HEAD plus
//! the staged changes hold), never "missing". A file deleted from the working tree without the
//! mark is still absent: only the mark makes a file present.
//!
//! The readers take the paths they always took (`root/relative`); a path outside the registered
//! working tree, or a clone without skip-worktree entries, reads the disk alone. Whether the index
//! can hold the mark at all is told by its version (git writes version 2 unless an entry has
//! extended flags), so a clone without a sparse checkout never reads its index here.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use git2::{Oid, Repository};

/// The working tree whose absent files are looked up, set once per process by [`register`].
static OVERLAY: OnceLock<Overlay> = OnceLock::new();

struct Overlay {
    /// The root of the working tree, as given and canonical.
    roots: Vec<PathBuf>,
    /// This worktree's git directory, where its index is.
    git_dir: PathBuf,
    /// The skip-worktree entries, read once when first asked: root-relative path → blob.
    entries: OnceLock<BTreeMap<String, Oid>>,
    /// The repository the blobs are read from, opened when a first one is read.
    repo: Mutex<Option<Repository>>,
}

/// Makes the files the working tree at `root` leaves out on purpose present to the readers of
/// this module; the first registration of a process holds.
pub fn register(root: &Path, git_dir: &Path) {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let _ = OVERLAY.set(Overlay {
        roots: vec![root.to_path_buf(), canonical],
        git_dir: git_dir.to_path_buf(),
        entries: OnceLock::new(),
        repo: Mutex::new(None),
    });
}

impl Overlay {
    /// `full` relative to the root, with `/` separators; `None` outside the working tree.
    fn relative(&self, full: &Path) -> Option<String> {
        let inside = self.roots.iter().find_map(|root| full.strip_prefix(root).ok())?;
        Some(inside.to_str()?.replace('\\', "/").trim_end_matches('/').to_string())
    }

    fn entries(&self) -> &BTreeMap<String, Oid> {
        self.entries.get_or_init(|| read_entries(&self.git_dir).unwrap_or_default())
    }

    /// The blob of the absent file `relative`.
    fn blob(&self, relative: &str) -> Option<Vec<u8>> {
        let id = *self.entries().get(relative)?;
        let mut repo = self.repo.lock().ok()?;
        if repo.is_none() {
            *repo = Some(Repository::open(&self.git_dir).ok()?);
        }
        let bytes = repo.as_ref()?.find_blob(id).ok().map(|blob| blob.content().to_vec());
        bytes
    }
}

/// The skip-worktree entries of the index in `git_dir`: none when the index's version (2) cannot
/// hold the mark.
fn read_entries(git_dir: &Path) -> Option<BTreeMap<String, Oid>> {
    /// `GIT_INDEX_ENTRY_SKIP_WORKTREE`, an extended flag of an index entry.
    const SKIP_WORKTREE: u16 = 1 << 14;
    let mut header = [0u8; 8];
    std::fs::File::open(git_dir.join("index")).ok()?.read_exact(&mut header).ok()?;
    if &header[..4] != b"DIRC" || header[4..] == 2u32.to_be_bytes() {
        return None;
    }
    let repo = Repository::open(git_dir).ok()?;
    let index = repo.index().ok()?;
    Some(
        index
            .iter()
            .filter(|entry| entry.flags_extended & SKIP_WORKTREE != 0)
            .map(|entry| (String::from_utf8_lossy(&entry.path).into_owned(), entry.id))
            .collect(),
    )
}

/// Refuses (exit 1, nothing read or changed) a clone whose index is a sparse index (`git
/// sparse-checkout set --sparse-index`: whole folders outside the cone as one entry, git's
/// `sdir` extension), which libgit2 cannot read: every reader of the index would fail, or find
/// the files outside the cone missing. Checked only when `index.sparse` is on, so a clone
/// without it never reads its index here.
pub fn ensure_readable_index(repo: &super::Repo) -> anyhow::Result<()> {
    let on = repo.config_string("index.sparse").is_some_and(|value| {
        ["true", "yes", "on", "1", ""].iter().any(|truthy| value.trim().eq_ignore_ascii_case(truthy))
    });
    if !on {
        return Ok(());
    }
    let unreadable = match Repository::open(repo.git_dir()).and_then(|fresh| fresh.index()) {
        Err(error) => error.message().contains("'sdir'"),
        Ok(_) => false,
    };
    if !unreadable {
        return Ok(());
    }
    Err(crate::error::Refusal::failed(
        "this clone's index is a sparse index (`index.sparse`), which the tool's git library (libgit2) cannot read; nothing was done",
    )
    .hint("make it a full index (the same files stay checked out, the checkout stays sparse), then run the command again:\ngit sparse-checkout reapply --no-sparse-index")
    .into())
}

/// Whether the index of the repository at `root` holds `relative` as a link (committed or
/// staged): such a link comes back with every checkout of the commits that hold it.
pub fn indexed_link(root: &Path, relative: &str) -> bool {
    const LINK: u32 = 0o120000;
    let Ok(repo) = Repository::open(root) else { return false };
    let Ok(index) = repo.index() else { return false };
    index.get_path(Path::new(relative), 0).is_some_and(|entry| entry.mode & 0o170000 == LINK)
}

/// Whether the working tree leaves files out on purpose (a sparse checkout): git then refuses to
/// stage a path outside it without `git add --sparse`.
pub fn leaves_files_out() -> bool {
    OVERLAY.get().is_some_and(|overlay| !overlay.entries().is_empty())
}

/// The registered overlay and `full` relative to its root, when `full` is in it.
fn lookup(full: &Path) -> Option<(&'static Overlay, String)> {
    let overlay = OVERLAY.get()?;
    let relative = overlay.relative(full)?;
    Some((overlay, relative))
}

/// The most a file of the tree is read: a document, a module or a manifest is kilobytes; a
/// larger one is refused, never read into memory whole.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A file of the tree that is not read: a link to something other than a regular file, or a
/// file larger than [`MAX_FILE_BYTES`]. Carried inside the `io::Error` the readers return, so
/// whichever command met it ends with [`Unreadable::hint`].
#[derive(Debug)]
pub struct Unreadable {
    pub path: PathBuf,
    what: String,
    /// Text that is not UTF-8 (found at this line), rather than no regular file.
    not_utf8_at: Option<usize>,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is {}", self.path.display(), self.what)
    }
}

impl std::error::Error for Unreadable {}

impl Unreadable {
    /// The hint: see what the file is (a link shows its target, a file its size), or which of
    /// its lines are not UTF-8 (`grep` in a UTF-8 locale matches no invalid byte with `.`).
    pub fn hint(&self) -> String {
        let path = crate::output::shell_word(&self.path.to_string_lossy());
        match self.not_utf8_at {
            Some(_) => format!("save it as UTF-8 (the tool reads every document as UTF-8); the lines that are not:\nLC_ALL=C.UTF-8 grep -naxv '.*' {path}"),
            None => format!("replace it with the file it stands for (and commit that), or remove it; what it is:\nls -l {path}"),
        }
    }
}

/// `bytes` of the file at `full` as UTF-8 text; else an `InvalidData` error holding an
/// [`Unreadable`] that names the first line that is not.
fn utf8(full: &Path, bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let line = error.as_bytes()[..valid].iter().filter(|byte| **byte == b'\n').count() + 1;
        let what = format!("not UTF-8 text (line {line})");
        let unreadable = Unreadable { path: full.to_path_buf(), what, not_utf8_at: Some(line) };
        std::io::Error::new(std::io::ErrorKind::InvalidData, unreadable)
    })
}

/// The bytes of the regular file at `full`, a link followed, at most [`MAX_FILE_BYTES`]. A link
/// to anything else (`/dev/zero`, a FIFO, a socket: a branch can commit such a link) is an
/// `InvalidData` error holding an [`Unreadable`], never opened: reading it would never end, or
/// block.
pub fn read_regular(full: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(full)?.read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let what = format!("larger than {} MiB", MAX_FILE_BYTES >> 20);
        let unreadable = Unreadable { path: full.to_path_buf(), what, not_utf8_at: None };
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, unreadable));
    }
    Ok(bytes)
}

/// The regular file at `full` (a link followed), opened for reading at most
/// [`MAX_FILE_BYTES`] and one byte more (so that a larger file can be told); anything else is
/// refused as [`read_regular`] refuses it, never opened. For readers that stop early (a
/// document's header).
pub fn open_regular(full: &Path) -> std::io::Result<std::io::Take<std::fs::File>> {
    let unreadable = |what: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            Unreadable { path: full.to_path_buf(), what, not_utf8_at: None },
        )
    };
    let metadata = std::fs::metadata(full)?;
    if metadata.is_dir() {
        return Err(unreadable("a folder".into()));
    }
    if !metadata.is_file() {
        return Err(unreadable("not a regular file (a link to a device, a FIFO or a socket?)".into()));
    }
    Ok(std::fs::File::open(full)?.take(MAX_FILE_BYTES + 1))
}

/// [`read_regular`], as UTF-8 text.
pub fn read_regular_to_string(full: &Path) -> std::io::Result<String> {
    utf8(full, read_regular(full)?)
}

/// The bytes of the file at `full`: from the disk ([`read_regular`]), else, for a file the sparse
/// checkout leaves out, the index's blob. The disk's error for any other file.
pub fn read(full: &Path) -> std::io::Result<Vec<u8>> {
    match read_regular(full) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            lookup(full).and_then(|(overlay, relative)| overlay.blob(&relative)).ok_or(error)
        }
        read => read,
    }
}

/// [`read`], as UTF-8 text.
pub fn read_to_string(full: &Path) -> std::io::Result<String> {
    utf8(full, read(full)?)
}

/// (is a file, is a folder) for `full`, a link followed: the disk's answer, else a file the
/// sparse checkout leaves out, or a folder holding one.
pub fn kind(full: &Path) -> Option<(bool, bool)> {
    if let Ok(metadata) = std::fs::metadata(full) {
        return Some((metadata.is_file(), metadata.is_dir()));
    }
    let (overlay, relative) = lookup(full)?;
    let entries = overlay.entries();
    if entries.contains_key(&relative) {
        return Some((true, false));
    }
    let prefix = format!("{relative}/");
    entries.range(prefix.clone()..).next().filter(|(path, _)| path.starts_with(&prefix)).map(|_| (false, true))
}

/// Whether `full` is a file, on the disk or left out by the sparse checkout.
pub fn is_file(full: &Path) -> bool {
    kind(full).is_some_and(|(file, _)| file)
}

/// Whether `full` is a folder, on the disk or holding files left out by the sparse checkout.
pub fn is_dir(full: &Path) -> bool {
    kind(full).is_some_and(|(_, dir)| dir)
}

/// The entries of the folder `dir` the sparse checkout leaves out, that a listing of the disk
/// lacks: (name, is a file, is a folder), sorted, each once.
pub fn absent_in(dir: &Path) -> Vec<(String, bool, bool)> {
    let Some((overlay, relative)) = lookup(dir) else { return Vec::new() };
    let prefix = if relative.is_empty() { String::new() } else { format!("{relative}/") };
    let mut found: Vec<(String, bool, bool)> = Vec::new();
    for path in overlay.entries().range(prefix.clone()..).map(|(path, _)| path).take_while(|p| p.starts_with(&prefix)) {
        let rest = &path[prefix.len()..];
        let (name, file) = match rest.split_once('/') {
            Some((folder, _)) => (folder, false),
            None => (rest, true),
        };
        if found.last().is_some_and(|(last, _, _)| last == name) || dir.join(name).symlink_metadata().is_ok() {
            continue;
        }
        found.push((name.to_string(), file, !file));
    }
    found
}
