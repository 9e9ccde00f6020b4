//! A read-only command's whole result, kept for its next run in `.git/sop/cache/<command>.bin`
//! (never tracked) and reused while nothing the command could read has changed since a run
//! whose inputs were all settled: `check`'s verdict (`check/verdict.rs`) and `status`'s war room
//! (`status/mod.rs`). Reusing costs one `stat` a file of the working tree and a read of that file,
//! about what `git status` pays. Any change falls back to the command itself, which the
//! per-document cache (`cache.rs`) still speeds up.
//!
//! **Keyed by everything the command could read, conservatively** (its [`Fingerprint`]):
//! - the stat data (as git's index keeps it) of every file and folder of the working tree, except
//!   `.git` and the top-level folders git ignores that hold none of the kit (`target/`): an
//!   added, removed, renamed or rewritten file anywhere else changes it, tracked or not;
//! - the git state: HEAD's branch and commit, the main branch and `<remote>/<main>` (by id), and
//!   by stat the worktree's index and `config.worktree`, the clone's `config`, `info/attributes`,
//!   `info/exclude`, `shallow`, `info/grafts` and `objects/pack`, the global and system git
//!   configuration, attributes and ignore files, and those the configuration names;
//! - where the clone is, and the folder it runs from;
//! - the environment variables git and the tool read (`GIT_*`, `LANCELOT_*`, `FEATURE_*`, `CI`);
//! - the per-document cache's own key (the tool's binary, `Cargo.toml`, the templates);
//! - the command's name and its own inputs: its options, and what it reads beyond the tree
//!   (`status`: the receipts log and the branches).
//!
//! The fingerprint is stored whole and compared byte for byte, so no hash collision can pass a
//! changed tree. A folder reached through a symbolic link, or one that cannot be read, turns the
//! reuse off for the run. A result is stored only when every file and folder walked is settled
//! ([`crate::cache::SETTLE`]), so an edit in the same timestamp tick cannot hide behind an equal
//! stat. A damaged, truncated or foreign file is ignored and replaced; reading or writing it
//! never fails the command.

use std::time::SystemTime;

use xtask_store::tree;

use crate::cache::{put_bytes, put_u64, Reader};
use crate::ctx::Ctx;

const MAGIC: &[u8] = b"lancelot-xtask-memo\n";
const FORMAT: u64 = 1;
/// A file larger than this is not read.
const MAX_BYTES: u64 = 256 << 20;

/// What a command's run depends on, in bytes (see the module's documentation).
pub struct Fingerprint {
    bytes: Vec<u8>,
    /// Every file and folder walked is older than the settle window.
    settled: bool,
}

/// The fingerprint of this run, or `None` when the working tree holds what the walk cannot
/// vouch for (a linked folder, an unreadable one).
/// `extra` is the command's own inputs beyond the tree (its options, its own files' stat data,
/// see [`put_file`]), `extra_settled` whether they are settled.
pub fn fingerprint(ctx: &Ctx, command: &str, extra: &[u8], extra_settled: bool) -> Option<Fingerprint> {
    let limit = settle_limit()?;
    let mut bytes = Vec::with_capacity(1 << 20);
    let mut settled = extra_settled;
    let out = &mut bytes;
    put_u64(out, FORMAT);
    put_u64(out, crate::cache::context_key(ctx.root()));
    put_bytes(out, command.as_bytes());
    put_bytes(out, extra);
    let (main, remote) = (&ctx.config.main_branch, &ctx.config.remote);
    put_bytes(out, format!("{:?}", ctx.repo.head().ok()?).as_bytes());
    put_bytes(out, format!("{:?}", ctx.repo.main_commit(main, remote).ok()).as_bytes());
    put_bytes(out, format!("{:?}", ctx.repo.remote_tracking_commit(remote, main)).as_bytes());
    // This worktree's index and own configuration; the clone's configuration and `info/`.
    let (git_dir, common) = (ctx.repo.git_dir(), ctx.repo.common_dir());
    let files = [
        git_dir.join("index"),
        git_dir.join("config.worktree"),
        common.join("config"),
        common.join("info/attributes"),
        common.join("info/exclude"),
        // What the history walks see: a deepened shallow clone, grafts; and a fetch's new pack
        // (an abbreviated commit id in a hint must stay unambiguous).
        common.join("shallow"),
        common.join("info/grafts"),
        common.join("objects/pack"),
    ];
    // The attributes and ignore files the configuration names.
    let named = ["core.attributesFile", "core.excludesFile"].into_iter().filter_map(|key| configured_file(ctx, key));
    for file in files.into_iter().chain(global_git_files()).chain(named) {
        settled &= put_file(out, &file, limit);
    }
    // Where the clone is and where it runs from: outputs name paths from both.
    put_bytes(out, ctx.root().as_os_str().as_encoded_bytes());
    put_bytes(out, std::env::current_dir().unwrap_or_default().as_os_str().as_encoded_bytes());
    let mut variables: Vec<(String, String)> = std::env::vars_os()
        .map(|(key, value)| (key.to_string_lossy().into_owned(), value.to_string_lossy().into_owned()))
        .filter(|(key, _)| {
            ["GIT_", "LANCELOT_", "FEATURE_"].iter().any(|prefix| key.starts_with(prefix)) || key == "CI"
        })
        .collect();
    variables.sort();
    for (key, value) in variables {
        put_bytes(out, key.as_bytes());
        put_bytes(out, value.as_bytes());
    }
    // The kit's top-level folders are walked even if ignored: the rules read them.
    let config = &ctx.config;
    let kit: Vec<&str> =
        [&config.docs.specs, &config.docs.blueprints, &config.docs.runbooks, &config.docs.architecture]
            .iter()
            .map(|path| path.split('/').next().unwrap_or_default())
            .chain(["src", "tests", "templates"])
            .collect();
    let skip = |name: &str| !kit.contains(&name) && ctx.repo.is_ignored(&format!("{name}/")).unwrap_or(false);
    settled &= tree::walk(ctx.root(), &skip, limit, out)?;
    Some(Fingerprint { bytes, settled })
}

/// The time before which every input must have been written for a result to be stored.
pub fn settle_limit() -> Option<SystemTime> {
    crate::cache::settle_limit(SystemTime::now())
}

/// Appends the stat data of the file at `path` (a marker if there is none); returns whether it
/// is settled (older than `limit`).
pub fn put_file(out: &mut Vec<u8>, path: &std::path::Path, limit: SystemTime) -> bool {
    match std::fs::metadata(path) {
        Ok(metadata) => tree::put_stat(out, &metadata, limit),
        Err(_) => {
            out.push(b'0');
            true
        }
    }
}

/// Appends what [`tree::walk`] sees under `dir` (a marker if there is no such folder); returns
/// whether it is all settled, `None` when it cannot be vouched for.
pub fn put_folder(out: &mut Vec<u8>, dir: &std::path::Path, limit: SystemTime) -> Option<bool> {
    if !dir.is_dir() {
        out.push(b'0');
        return Some(true);
    }
    out.push(b'd');
    tree::walk(dir, &|_| false, limit, out)
}

/// The file a configuration key names (`core.attributesFile`), as git finds it: `~/` is the home
/// folder, a relative path is the working tree's.
pub fn configured_file(ctx: &Ctx, key: &str) -> Option<std::path::PathBuf> {
    let value = ctx.repo.config_string(key)?;
    match value.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(rest)),
        None => Some(ctx.root().join(value)),
    }
}

/// The files outside the repository that git reads, as git finds them: the global and system
/// configuration, and the attributes and ignore files git reads by default (the configuration
/// can name others: see [`fingerprint`]).
fn global_git_files() -> Vec<std::path::PathBuf> {
    let var = |key: &str| std::env::var_os(key).filter(|value| !value.is_empty()).map(std::path::PathBuf::from);
    let mut files = Vec::new();
    files.extend(var("GIT_CONFIG_GLOBAL"));
    files.extend(var("GIT_CONFIG_SYSTEM"));
    let mut config_dirs: Vec<std::path::PathBuf> = var("XDG_CONFIG_HOME").into_iter().collect();
    if let Some(home) = var("HOME") {
        config_dirs.push(home.join(".config"));
        files.push(home.join(".gitconfig"));
    }
    for dir in config_dirs {
        files.extend(["git/config", "git/attributes", "git/ignore"].map(|file| dir.join(file)));
    }
    files.extend(["/etc/gitconfig", "/etc/gitattributes"].map(std::path::PathBuf::from));
    files
}

/// The stored result of `command`, if its fingerprint is this one, byte for byte.
pub fn load(ctx: &Ctx, command: &str, print: &Fingerprint) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let file = path(ctx, command);
    let metadata = file.symlink_metadata().ok()?;
    if !metadata.is_file() || metadata.len() > MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    std::fs::File::open(&file).ok()?.take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
    let body = bytes.strip_prefix(MAGIC)?;
    let (body, sum) = body.split_at(body.len().checked_sub(8)?);
    if xtask_store::checksum(body) != u64::from_le_bytes(sum.try_into().ok()?) {
        return None;
    }
    let mut input = Reader::new(body);
    if input.u64()? != FORMAT || input.bytes()? != print.bytes.as_slice() {
        return None;
    }
    let result = input.bytes()?.to_vec();
    input.is_empty().then_some(result)
}

/// Keeps `result` for the next run of `command` with this fingerprint, when it is settled.
/// Never fails: a result that cannot be written only costs the next run its speed-up.
pub fn store(ctx: &Ctx, command: &str, print: &Fingerprint, result: &[u8]) {
    if !print.settled {
        // An older result stays: its fingerprint can never be this tree's again (a change time
        // only moves forward).
        return;
    }
    let mut body = Vec::with_capacity(print.bytes.len() + result.len() + 32);
    put_u64(&mut body, FORMAT);
    put_bytes(&mut body, &print.bytes);
    put_bytes(&mut body, result);
    let mut bytes = Vec::with_capacity(MAGIC.len() + body.len() + 8);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(&xtask_store::checksum(&body).to_le_bytes());
    // No fsync: a torn or lost file fails its checksum, and the command runs.
    let _ = crate::plan::write_regenerable(&path(ctx, command), &bytes);
}

fn path(ctx: &Ctx, command: &str) -> std::path::PathBuf {
    ctx.repo.git_dir().join("sop").join("cache").join(format!("{command}.bin"))
}
