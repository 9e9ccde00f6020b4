//! `check`'s whole verdict, kept for the next run in `.git/sop/cache/verdict.bin` (never
//! tracked): when nothing `check` could read has changed since a run whose inputs were all
//! settled, the next run prints that run's findings without deriving one. Its cost is one `stat`
//! a file of the working tree and a read of this file: about what `git status` pays. Any change
//! falls back to the rules, which the per-document cache (`cache.rs`) still speeds up.
//!
//! **Keyed by everything `check` could read, conservatively** (its [`Fingerprint`]):
//! - the stat data (as git's index keeps it) of every file and folder of the working tree, except
//!   `.git` and the top-level folders git ignores that hold none of the kit (`target/`): an
//!   added, removed, renamed or rewritten file anywhere else changes it, tracked or not;
//! - the git state the rules read: HEAD's branch and commit, the main branch and
//!   `<remote>/<main>` (by id), and by stat the worktree's index and `config.worktree`, the
//!   clone's `config`, `info/attributes` and `info/exclude`, and the global and system git
//!   configuration files;
//! - the environment variables git and the tool read (`GIT_*`, `LANCELOT_*`, `FEATURE_*`, `CI`);
//! - the run's options and the per-document cache's own key (the tool's binary, `Cargo.toml`,
//!   the templates).
//!
//! The fingerprint is stored whole and compared byte for byte, so no hash collision can pass a
//! changed tree. A folder reached through a symbolic link, or one that cannot be read, turns the
//! verdict off for the run. A verdict is stored only when every file and folder walked is
//! settled ([`crate::cache::SETTLE`]), so an edit in the same timestamp tick cannot hide behind an
//! equal stat. A damaged, truncated or foreign file is ignored and replaced; reading or writing
//! it never fails the command.

use std::time::SystemTime;

use xtask_store::tree;

use super::{Finding, Report, Severity};
use crate::cache::{put_bytes, put_u64, Reader};
use crate::ctx::Ctx;

const MAGIC: &[u8] = b"lancelot-xtask-verdict\n";
const FORMAT: u64 = 1;
/// A verdict file larger than this is not read.
const MAX_BYTES: u64 = 256 << 20;

/// What a run of `check` depends on, in bytes (see the module's documentation).
pub struct Fingerprint {
    bytes: Vec<u8>,
    /// Every file and folder walked is older than the settle window.
    settled: bool,
}

/// The fingerprint of this run, or `None` when the working tree holds what the walk cannot
/// vouch for (a linked folder, an unreadable one).
pub fn fingerprint(ctx: &Ctx, branch_rules: bool) -> Option<Fingerprint> {
    let limit = crate::cache::settle_limit(SystemTime::now())?;
    let mut bytes = Vec::with_capacity(1 << 20);
    let mut settled = true;
    let out = &mut bytes;
    put_u64(out, FORMAT);
    put_u64(out, crate::cache::context_key(ctx.root()));
    put_u64(out, u64::from(branch_rules));
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
    ];
    for file in files.into_iter().chain(global_git_files()) {
        match std::fs::metadata(&file) {
            Ok(metadata) => settled &= tree::put_stat(out, &metadata, limit),
            Err(_) => out.push(b'0'),
        }
    }
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

/// The git configuration files outside the repository that git reads, as git finds them.
fn global_git_files() -> Vec<std::path::PathBuf> {
    let var = |key: &str| std::env::var_os(key).filter(|value| !value.is_empty()).map(std::path::PathBuf::from);
    let mut files = Vec::new();
    files.extend(var("GIT_CONFIG_GLOBAL"));
    files.extend(var("GIT_CONFIG_SYSTEM"));
    files.extend(var("XDG_CONFIG_HOME").map(|dir| dir.join("git/config")));
    if let Some(home) = var("HOME") {
        files.push(home.join(".config/git/config"));
        files.push(home.join(".gitconfig"));
    }
    files.push("/etc/gitconfig".into());
    files
}

/// The stored verdict, if its fingerprint is this one, byte for byte: the report, and how many
/// derivations it stands for.
pub fn load(ctx: &Ctx, print: &Fingerprint) -> Option<(Report, u64)> {
    use std::io::Read as _;
    let file = path(ctx);
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
    let derivations = input.u64()?;
    let count = input.u64()?;
    let mut findings = Vec::new();
    for _ in 0..count {
        findings.push(decode_finding(&mut input)?);
    }
    let secret_scope = input.str()?.to_string();
    input.is_empty().then_some((Report { findings, secret_scope, checklist: None }, derivations))
}

/// Keeps `report` (redacted) for the next run with this fingerprint, when it is settled. Never
/// fails: a verdict that cannot be written only costs the next run its speed-up.
pub fn store(ctx: &Ctx, print: &Fingerprint, report: &Report, derivations: u64) {
    let file = path(ctx);
    if !print.settled {
        // An older verdict stays: its fingerprint can never be this tree's again (a change
        // time only moves forward).
        return;
    }
    let mut body = Vec::with_capacity(print.bytes.len() + 4096);
    put_u64(&mut body, FORMAT);
    put_bytes(&mut body, &print.bytes);
    put_u64(&mut body, derivations);
    let report = report.redacted();
    put_u64(&mut body, report.findings.len() as u64);
    for finding in &report.findings {
        encode_finding(&mut body, finding);
    }
    put_bytes(&mut body, report.secret_scope.as_bytes());
    let mut bytes = Vec::with_capacity(MAGIC.len() + body.len() + 8);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(&xtask_store::checksum(&body).to_le_bytes());
    // No fsync: a torn or lost file fails its checksum, and the rules run.
    let _ = crate::plan::write_regenerable(&file, &bytes);
}

fn path(ctx: &Ctx) -> std::path::PathBuf {
    ctx.repo.git_dir().join("sop").join("cache").join("verdict.bin")
}

fn put_optional(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => {
            put_u64(out, 1);
            put_bytes(out, value.as_bytes());
        }
        None => put_u64(out, 0),
    }
}

fn read_optional(input: &mut Reader<'_>) -> Option<Option<String>> {
    match input.u64()? {
        0 => Some(None),
        1 => Some(Some(input.str()?.to_string())),
        _ => None,
    }
}

fn encode_finding(out: &mut Vec<u8>, finding: &Finding) {
    put_bytes(out, finding.rule.as_bytes());
    put_u64(out, u64::from(finding.severity == Severity::Error));
    put_optional(out, finding.location.as_deref());
    put_bytes(out, finding.message.as_bytes());
    put_bytes(out, finding.hint.as_bytes());
    put_optional(out, finding.fingerprint.as_deref());
}

fn decode_finding(input: &mut Reader<'_>) -> Option<Finding> {
    let rule = rule_id(input.str()?)?;
    let severity = match input.u64()? {
        1 => Severity::Error,
        0 => Severity::Warning,
        _ => return None,
    };
    let location = read_optional(input)?;
    let (message, hint) = (input.str()?.to_string(), input.str()?.to_string());
    let fingerprint = read_optional(input)?;
    Some(Finding { rule, severity, location, message, hint, fingerprint, accept_as: None })
}

/// A stored rule id as the `&'static str` findings carry: every id is an SOP section and a
/// slug (`sop-4.9/secret/github-token`); anything else makes the file foreign. The rules' ids
/// are spread over the rule modules and the scanner's crate, so a stored one is kept for the
/// process's life, once per distinct id (a few dozen at most).
fn rule_id(stored: &str) -> Option<&'static str> {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    let shaped = stored.len() <= 96
        && stored.starts_with("sop-")
        && stored.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'/'));
    if !shaped {
        return None;
    }
    static IDS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut ids = IDS.get_or_init(Default::default).lock().ok()?;
    if let Some(id) = ids.get(stored) {
        return Some(id);
    }
    let id: &'static str = Box::leak(stored.to_string().into_boxed_str());
    ids.insert(id);
    Some(id)
}
