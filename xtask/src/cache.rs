//! The incremental cache behind `check`, `status` and `pre-pr`'s compliance step: what they
//! derive from each file of the working tree (a spec's header, a document's findings, a module's
//! declarations, a source file's flag mentions, a spec's content hash), kept in the clone's git
//! directory (`.git/sop/cache/`, never tracked) so that an unchanged repository is judged without
//! opening its documents.
//!
//! **What an entry is keyed by.** Its file's path, the derivation's kind and its inputs beyond
//! the file (`extra`: a document's kind and its spec's status), and the file's stat data as git's
//! index keeps it: size, modification and change times to the nanosecond, inode and device. The
//! whole cache is keyed by what every entry depends on: its format, the tool's version and binary
//! (a rebuilt or upgraded xtask starts afresh), the workspace manifest (the configuration) and the
//! templates. Anything that differs is a miss: the file is read and the entry replaced.
//!
//! **Racy files are never trusted.** A file whose modification or change time is less than
//! [`SETTLE`] old is read on every run and not stored: an edit in the same timestamp tick as the
//! read (two-second ticks on FAT) cannot hide behind an equal stat. This is git's racy-clean rule
//! made conservative. An edit that keeps the size and resets the modification time still changes
//! the change time, which no program can set.
//!
//! **Never trusted when damaged.** The file ends with a checksum of its content; a file that is
//! truncated, corrupt, of another format, another worktree's or another tool's is ignored and
//! rebuilt. Reading and writing it never fail a command: a full disk or a read-only git directory
//! only costs the speed-up. `--no-cache` ([`Cache::disabled`]) derives everything afresh, which
//! the tests use to prove the results equal.

use std::cell::RefCell;
use std::collections::HashSet;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How old a file's times must be before what was derived from it is stored.
pub const SETTLE: Duration = Duration::from_secs(2);

const MAGIC: &[u8] = b"lancelot-xtask-cache\n";
const FORMAT: u32 = 1;
/// The stat data of a content-addressed entry ([`Cache::memo`]): no file.
const NO_FILE: [u64; 7] = [0; 7];
/// A value larger than this is not stored (a branch that adds 500,000 lines is diffed afresh).
const MAX_ENTRY: usize = 4 << 20;
/// A cache file larger than this is not read (it is rebuilt).
const MAX_BYTES: u64 = 256 << 20;

use xtask_store::{decode_all, Entry, Table};
pub use xtask_store::{put_bytes, put_u64, Codec, Reader};

/// A file's stat data as git's index keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat([u64; 7]);

impl Stat {
    fn of(metadata: &std::fs::Metadata) -> Stat {
        Stat(xtask_store::tree::stat(metadata))
    }

    /// Old enough that an edit can no longer share its timestamps (see [`SETTLE`]).
    fn settled(metadata: &std::fs::Metadata, now: SystemTime) -> bool {
        settle_limit(now).is_some_and(|limit| xtask_store::tree::older_than(metadata, limit))
    }
}

/// The time before which a file's times must lie for it to be settled ([`SETTLE`]; tests may
/// shorten the window).
pub(crate) fn settle_limit(now: SystemTime) -> Option<SystemTime> {
    now.checked_sub(crate::test_hooks::settle().unwrap_or(SETTLE))
}

struct State {
    /// Where the cache lives; `None` when it is off.
    file: Option<PathBuf>,
    /// What every entry depends on (see the module's documentation).
    key: u64,
    entries: Table,
    /// The kinds derived in this run: their untouched entries are of files that are gone.
    used: HashSet<&'static str>,
    dirty: bool,
    hits: u64,
    misses: u64,
    now: SystemTime,
}

/// The cache of one command run (see the module's documentation). Interior mutability: the
/// rules share it through `&Ctx`.
pub struct Cache {
    state: RefCell<State>,
}

/// How much of a run the cache answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Whether the cache was on (`--no-cache` turns it off).
    pub enabled: bool,
    /// Derivations answered from the cache, without opening the file.
    pub reused: u64,
    /// Derivations that read their file.
    pub read: u64,
    /// `check` reused its last run's whole verdict: nothing it reads changed since
    /// (`check/verdict.rs`); `reused` is then every derivation that run made.
    pub verdict: bool,
}

impl Cache {
    /// No cache: every derivation reads its file (`--no-cache`, and commands that judge one file).
    pub fn disabled() -> Cache {
        Cache {
            state: RefCell::new(State {
                file: None,
                key: 0,
                entries: Table::default(),
                used: HashSet::new(),
                dirty: false,
                hits: 0,
                misses: 0,
                now: SystemTime::now(),
            }),
        }
    }

    /// The cache of the working tree at `root`, in `state_dir` (the worktree's own git directory's
    /// `sop/`: `.git/sop`, or `.git/worktrees/<name>/sop` in a linked worktree): read if it is
    /// this tool's, for this configuration and these templates; otherwise empty, to be rebuilt.
    pub fn open(state_dir: &Path, root: &Path) -> Cache {
        let cache = Cache::disabled();
        {
            let mut state = cache.state.borrow_mut();
            let file = state_dir.join("cache").join("worktree.bin");
            state.key = context_key(root);
            match read_entries(&file, state.key) {
                Some(entries) => state.entries = entries,
                // Absent, damaged or foreign: written afresh at the end of the run.
                None => state.dirty = true,
            }
            state.file = Some(file);
        }
        cache
    }

    /// What `derive` computes from the file at `root/path`, from the cache when the file's stat
    /// data and `extra` are the ones stored; otherwise computed (reading the file) and stored
    /// once the file is settled. `compute` gets the file's full path; an error is returned as
    /// is and nothing is stored.
    pub fn derive<T: Codec>(
        &self,
        kind: &'static str,
        root: &Path,
        path: &str,
        extra: &str,
        compute: impl FnOnce(&Path) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let full = root.join(path);
        let before = if self.is_on() { std::fs::metadata(&full).ok() } else { None };
        let Some(before) = before else {
            self.state.borrow_mut().misses += 1;
            return compute(&full);
        };
        let stat = Stat::of(&before);
        if let Some(value) = self.lookup(kind, path, stat.0, extra) {
            return Ok(value);
        }
        let value = compute(&full)?;
        // Stored only when the file is settled and did not change while it was read.
        let unchanged = std::fs::metadata(&full).is_ok_and(|after| Stat::of(&after) == stat);
        let settled = Stat::settled(&before, self.state.borrow().now);
        if unchanged && settled {
            self.store(kind, path, stat.0, extra, &value);
        } else if self.state.borrow_mut().entries.remove(kind, path) {
            self.state.borrow_mut().dirty = true;
        }
        Ok(value)
    }

    /// What `compute` gives for the content named `id` (a blob id, with whatever else the value
    /// depends on): content-addressed, so a stored value is valid for as long as the cache's key.
    pub fn memo<T: Codec>(
        &self,
        kind: &'static str,
        id: &str,
        compute: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        if !self.is_on() {
            self.state.borrow_mut().misses += 1;
            return compute();
        }
        if let Some(value) = self.lookup(kind, id, NO_FILE, "") {
            return Ok(value);
        }
        let value = compute()?;
        self.store(kind, id, NO_FILE, "", &value);
        Ok(value)
    }

    fn is_on(&self) -> bool {
        self.state.borrow().file.is_some()
    }

    /// The value stored for `(kind, key)` when it was derived from `stat` and `extra` and still
    /// decodes; counts a hit or a miss.
    fn lookup<T: Codec>(&self, kind: &'static str, key: &str, stat: [u64; 7], extra: &str) -> Option<T> {
        let mut state = self.state.borrow_mut();
        state.used.insert(kind);
        let found =
            state.entries.get_mut(kind, key).filter(|entry| entry.stat == stat && entry.extra == extra).and_then(
                |entry| {
                    let value = decode_all::<T>(&entry.value)?;
                    entry.touched = true;
                    Some(value)
                },
            );
        match found {
            Some(_) => state.hits += 1,
            None => state.misses += 1,
        }
        found
    }

    /// Keeps `value` for `(kind, key)`, unless it is larger than [`MAX_ENTRY`].
    fn store<T: Codec>(&self, kind: &'static str, key: &str, stat: [u64; 7], extra: &str, value: &T) {
        let mut bytes = Vec::new();
        value.encode(&mut bytes);
        let mut state = self.state.borrow_mut();
        if bytes.len() <= MAX_ENTRY {
            state.entries.insert(kind, key, Entry { extra: extra.to_string(), stat, value: bytes, touched: true });
            state.dirty = true;
        } else if state.entries.remove(kind, key) {
            state.dirty = true;
        }
    }

    /// Turns this (disabled) cache into the working tree's: what `check`, `status` and `pre-pr`
    /// do first, unless `--no-cache`.
    pub fn turn_on(&self, state_dir: &Path, root: &Path) {
        let opened = Cache::open(state_dir, root).state.into_inner();
        *self.state.borrow_mut() = opened;
    }

    pub fn stats(&self) -> Stats {
        let state = self.state.borrow();
        Stats { enabled: state.file.is_some(), reused: state.hits, read: state.misses, verdict: false }
    }

    /// Writes what changed. The entries of a kind this run derived but did not look up are of
    /// files that are gone, and are dropped; other kinds' entries are kept. Never fails: a cache
    /// that cannot be written only costs the next run its speed-up.
    pub fn save(&self) {
        let mut state = self.state.borrow_mut();
        let Some(file) = state.file.clone() else { return };
        let used: Vec<&str> = std::mem::take(&mut state.used).into_iter().collect();
        let dropped = state.entries.drop_untouched(&used);
        if !state.dirty && !dropped {
            return;
        }
        let bytes = state.entries.to_bytes(MAGIC, u64::from(FORMAT), state.key);
        // No fsync: a torn or lost cache file fails its checksum and is rebuilt.
        if crate::plan::write_regenerable(&file, &bytes).is_ok() {
            state.dirty = false;
            state.entries.untouch();
        }
    }
}

/// What every entry depends on: the format, this binary (its version, size and time: a rebuilt
/// or upgraded tool starts afresh), the workspace manifest and the templates.
pub(crate) fn context_key(root: &Path) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    FORMAT.hash(&mut hasher);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    match std::env::current_exe().and_then(std::fs::metadata) {
        Ok(binary) => {
            binary.len().hash(&mut hasher);
            binary.modified().ok().hash(&mut hasher);
        }
        // Without knowing the binary, nothing stored can be trusted to be this tool's.
        Err(_) => SystemTime::now().hash(&mut hasher),
    }
    crate::git::sparse::read_regular(&root.join("Cargo.toml")).ok().hash(&mut hasher);
    let mut templates: Vec<(String, Option<Vec<u8>>)> = std::fs::read_dir(root.join("templates"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            (entry.file_name().to_string_lossy().into_owned(), crate::git::sparse::read_regular(&entry.path()).ok())
        })
        .collect();
    templates.sort();
    templates.hash(&mut hasher);
    hasher.finish()
}

/// The entries of the cache file, or `None` when it is absent, damaged or made for another key.
fn read_entries(file: &Path, key: u64) -> Option<Table> {
    use std::io::Read as _;
    let metadata = file.symlink_metadata().ok()?;
    if !metadata.is_file() || metadata.len() > MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    std::fs::File::open(file).ok()?.take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
    Table::from_bytes(&bytes, MAGIC, u64::from(FORMAT), key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settle(path: &Path) {
        // Backdates the modification time; the change time stays recent, so it is not settled.
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(60)).unwrap();
    }

    /// A file changed within the settle time is derived again on every run and never stored.
    #[test]
    fn an_unsettled_file_is_never_stored() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.md"), "one").unwrap();
        settle(&root.join("a.md"));
        let state = dir.path().join("state");
        for _ in 0..2 {
            let cache = Cache::open(&state, &root);
            let text: String =
                cache.derive("text", &root, "a.md", "", |full| Ok(std::fs::read_to_string(full)?)).unwrap();
            assert_eq!(text, "one");
            assert_eq!(cache.stats().reused, 0, "its change time is recent");
            cache.save();
        }
    }

    /// A damaged cache file is ignored, and the next save replaces it.
    #[test]
    fn a_damaged_file_is_ignored_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path(), dir.path());
        let file = cache.state.borrow().file.clone().unwrap();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"lancelot-xtask-cache\nnot really").unwrap();
        let cache = Cache::open(dir.path(), dir.path());
        assert!(cache.state.borrow().entries.is_empty());
        cache.save();
        assert!(read_entries(&file, context_key(dir.path())).is_some(), "rewritten in the current format");
    }
}
