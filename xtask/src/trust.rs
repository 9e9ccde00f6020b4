//! The trust model for the commands committed configuration names, and `cargo xtask trust`.
//!
//! `[workspace.metadata.sop]` can name programs to run: `verify` and `integration_verify`
//! (`pre-pr`) and `extra_secret_scanner` (`check --extra-scanner`, the pre-push hook). Whoever
//! can change `Cargo.toml` — a teammate's branch you check out, a pull you make — chooses them.
//! Like git's `safe.directory` or direnv's `allow`, such a list runs only once the engineer has
//! approved that exact list in this clone:
//!
//! - a list equal to the tool's own default (or empty) needs no approval: it is the tool's;
//! - an approval is recorded in `.git/sop/trust.json` (the clone's git directory, shared by its
//!   worktrees, never tracked), keyed by the list's name and the git blob id of its exact
//!   content; any change to a list — one argument — needs a new approval, and the refusal shows
//!   what changed since the last approved version;
//! - `cargo xtask trust` shows the lists and approves them; `--show` only shows; `--revoke`
//!   withdraws every approval of this clone;
//! - `--yes` never approves; `pre-pr` on a terminal asks; without a terminal it refuses (exit 1)
//!   with `hint: … cargo xtask trust`;
//! - `LANCELOT_TRUST_CONFIG=1` approves the lists for that one process, recording nothing: what
//!   CI sets, explicitly, where it runs these commands.
//!
//! This module decides and records approvals; it never runs a command itself.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::Repo;
use crate::output::{self, Paint};
use crate::receipts::{self, Kind, Receipt};

/// The variable that approves every configured list for one process (CI). Only `1` approves.
pub const TRUST_ENV: &str = "LANCELOT_TRUST_CONFIG";
/// The approvals, in the clone's `.git/sop/`.
pub const TRUST_FILE: &str = "trust.json";
/// The command the refusals name.
pub const TRUST_COMMAND: &str = "cargo xtask trust";
/// The version of `trust.json`'s format.
const VERSION: u32 = 1;
/// How many approvals are kept (the newest): enough for every branch one works on.
const KEPT: usize = 64;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show the configured commands and whether this clone approved them; approve nothing
    #[arg(long, conflicts_with = "revoke")]
    pub show: bool,

    /// Withdraw every approval recorded in this clone
    #[arg(long)]
    pub revoke: bool,
}

/// A command list of `[workspace.metadata.sop]` that runs programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Verify,
    IntegrationVerify,
    ExtraSecretScanner,
}

impl List {
    pub const ALL: [List; 3] = [List::Verify, List::IntegrationVerify, List::ExtraSecretScanner];

    /// The key in `[workspace.metadata.sop]`.
    pub fn key(self) -> &'static str {
        match self {
            List::Verify => "verify",
            List::IntegrationVerify => "integration_verify",
            List::ExtraSecretScanner => "extra_secret_scanner",
        }
    }

    /// The commands the configuration names, one program and its arguments each.
    pub fn commands(self, config: &Config) -> Vec<Vec<String>> {
        match self {
            List::Verify => config.verify.clone(),
            List::IntegrationVerify => config.integration_verify.clone(),
            List::ExtraSecretScanner if config.extra_secret_scanner.is_empty() => Vec::new(),
            List::ExtraSecretScanner => vec![config.extra_secret_scanner.clone()],
        }
    }

    /// Whether running this list needs the engineer's approval: it runs something, and it is
    /// not the tool's own default.
    pub fn needs_approval(self, config: &Config) -> bool {
        let commands = self.commands(config);
        !commands.is_empty() && commands != self.commands(&Config::default())
    }
}

/// Where a list stands in this clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Empty or the tool's default: runs without approval.
    Builtin,
    /// This exact list was approved in this clone.
    Approved,
    /// Approved for this process by `LANCELOT_TRUST_CONFIG=1`.
    ApprovedByEnvironment,
    /// Never approved in this clone.
    New,
    /// A different version was approved before: `previous` is the newest approved one.
    Changed { previous: Vec<Vec<String>> },
}

impl Status {
    pub fn may_run(&self) -> bool {
        matches!(self, Status::Builtin | Status::Approved | Status::ApprovedByEnvironment)
    }

    fn describe(&self) -> &'static str {
        match self {
            Status::Builtin => "the tool's own, needs no approval",
            Status::Approved => "approved in this clone",
            Status::ApprovedByEnvironment => "approved for this run by LANCELOT_TRUST_CONFIG=1",
            Status::New => "not approved in this clone",
            Status::Changed { .. } => "changed since it was approved in this clone",
        }
    }
}

/// One recorded approval.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Approval {
    /// The key in `[workspace.metadata.sop]`.
    key: String,
    /// The git blob id of `{"key": …, "commands": …}` as compact JSON.
    hash: String,
    commands: Vec<Vec<String>>,
    approved_unix_ms: u64,
}

/// `.git/sop/trust.json`.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Store {
    version: u32,
    approved: Vec<Approval>,
}

impl Store {
    fn path(repo: &Repo) -> PathBuf {
        repo.sop_dir().join(TRUST_FILE)
    }

    /// Reads the approvals; a missing file is none, and so is one that cannot be read (said once):
    /// an unreadable record never approves anything.
    fn load(repo: &Repo) -> anyhow::Result<Store> {
        let path = Store::path(repo);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Store::default()),
            Err(error) => {
                let word = output::shell_word(&path.display().to_string());
                return Err(Refusal::failed(format!("`{}` cannot be read ({error}); nothing was changed", path.display()))
                    .hint(format!(
                        "set it aside; nothing counts as approved until `{TRUST_COMMAND}` approves again: mv {word} {word}.bad"
                    ))
                    .into());
            }
        };
        match serde_json::from_slice::<Store>(&bytes) {
            Ok(store) if store.version == VERSION => Ok(store),
            _ => {
                output::warning(format!(
                    "`{}` is not a record this version can read, so nothing counts as approved; `{TRUST_COMMAND}` rewrites it",
                    path.display()
                ));
                Ok(Store::default())
            }
        }
    }

    /// Writes the record through a unique temporary file and a rename: never half a file.
    /// Written through the tool's one writer of its own state: exclusive, never through a link,
    /// synced, renamed into place.
    fn save(&self, repo: &Repo) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        crate::plan::write_atomically(&Store::path(repo), text.as_bytes())
    }

    fn find(&self, list: List, hash: &str, commands: &[Vec<String>]) -> bool {
        self.approved.iter().any(|a| a.key == list.key() && a.hash == hash && a.commands == commands)
    }

    /// The newest approved version of `list`, if any.
    fn newest(&self, list: List) -> Option<&Approval> {
        self.approved.iter().filter(|a| a.key == list.key()).max_by_key(|a| a.approved_unix_ms)
    }
}

/// What an approval's key hashes: `{"commands":…,"key":…}`. The fields are in that order, the
/// order approvals recorded before this type existed were hashed in, so they stay valid.
#[derive(serde::Serialize)]
struct Canonical<'a> {
    commands: &'a [Vec<String>],
    key: &'a str,
}

/// The key of an approval: the git blob id of the list's name and exact commands.
fn hash(list: List, commands: &[Vec<String>]) -> anyhow::Result<String> {
    Repo::hash_blob(&canonical(list, commands)?)
}

fn canonical(list: List, commands: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    Ok(serde_json::to_vec(&Canonical { commands, key: list.key() })?)
}

/// The receipt's detail of an approval: each list approved and its key.
#[derive(serde::Serialize)]
struct Approved<'a> {
    approved: Vec<ApprovedList<'a>>,
}

#[derive(serde::Serialize)]
struct ApprovedList<'a> {
    key: &'a str,
    hash: String,
}

/// Whether `LANCELOT_TRUST_CONFIG` approves: `1` does; unset, empty or `0` does not; anything
/// else is a mistake worth stopping for (exit 2) rather than guessing.
pub fn approved_by_environment() -> anyhow::Result<bool> {
    let Some(value) = std::env::var_os(TRUST_ENV) else { return Ok(false) };
    match value.to_str() {
        Some("1") => Ok(true),
        Some("" | "0") => Ok(false),
        _ => Err(Refusal::usage(format!(
            "`{TRUST_ENV}` is `{}`: set it to `1` to approve the configured commands for this run, or unset it",
            value.to_string_lossy().chars().filter(|c| !c.is_control()).take(40).collect::<String>()
        ))
        .hint(format!("unset {TRUST_ENV}"))
        .into()),
    }
}

/// Where `list` stands in this clone.
pub fn status(ctx: &Ctx, list: List) -> anyhow::Result<Status> {
    let store = Store::load(&ctx.repo)?;
    status_in(ctx, &store, list)
}

fn status_in(ctx: &Ctx, store: &Store, list: List) -> anyhow::Result<Status> {
    if !list.needs_approval(&ctx.config) {
        return Ok(Status::Builtin);
    }
    let commands = list.commands(&ctx.config);
    if store.find(list, &hash(list, &commands)?, &commands) {
        return Ok(Status::Approved);
    }
    if approved_by_environment()? {
        return Ok(Status::ApprovedByEnvironment);
    }
    Ok(match store.newest(list) {
        Some(previous) => Status::Changed { previous: previous.commands.clone() },
        None => Status::New,
    })
}

/// Makes sure every list in `lists` may run: approved, or the tool's own. On a terminal (`pre-pr`
/// without `CI`) the engineer is shown the lists and asked; otherwise, and on "no", the run is
/// refused (exit 1) before anything ran, with the command that approves them.
pub fn require(ctx: &Ctx, lists: &[List]) -> anyhow::Result<()> {
    check(ctx, lists, ctx.interactive)
}

/// Like [`require`], but never asks: the last guard right before a list runs.
pub fn ensure(ctx: &Ctx, lists: &[List]) -> anyhow::Result<()> {
    check(ctx, lists, false)
}

fn check(ctx: &Ctx, lists: &[List], may_ask: bool) -> anyhow::Result<()> {
    let store = Store::load(&ctx.repo)?;
    let mut pending = Vec::new();
    for &list in lists {
        let status = status_in(ctx, &store, list)?;
        if !status.may_run() {
            pending.push((list, status));
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    let listing = describe_lists(ctx, &pending);
    if may_ask {
        err!("{listing}");
        let approved = crate::prompt::confirm(
            "Run these commands, and remember that this clone approved them?",
            false,
            "nothing was approved or run",
        )?;
        if approved {
            let lists: Vec<List> = pending.iter().map(|(list, _)| *list).collect();
            return approve(ctx, &lists);
        }
    }
    let keys: Vec<String> = pending.iter().map(|(list, _)| format!("`{}`", list.key())).collect();
    Err(Refusal::failed(format!(
        "`Cargo.toml` names commands this clone has not approved ({}); nothing was run\n{}",
        keys.join(", "),
        listing.trim_end()
    ))
    .hint(format!("review them above, then approve them for this clone: {TRUST_COMMAND}"))
    .into())
}

/// Records approval of the current version of `lists`, with a receipt.
fn approve(ctx: &Ctx, lists: &[List]) -> anyhow::Result<()> {
    let mut store = Store::load(&ctx.repo)?;
    store.version = VERSION;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let mut approved = Vec::new();
    for &list in lists {
        let commands = list.commands(&ctx.config);
        let hash = hash(list, &commands)?;
        store.approved.retain(|a| !(a.key == list.key() && a.hash == hash));
        store.approved.push(Approval {
            key: list.key().to_string(),
            hash: hash.clone(),
            commands,
            approved_unix_ms: now,
        });
        approved.push(ApprovedList { key: list.key(), hash });
    }
    let excess = store.approved.len().saturating_sub(KEPT);
    store.approved.drain(..excess);
    store.save(&ctx.repo)?;
    let keys: Vec<&str> = lists.iter().map(|list| list.key()).collect();
    let receipt = Receipt::new("trust", Kind::StateChange, format!("approved the configured {}", keys.join(", ")))
        .detail(serde_json::to_value(Approved { approved })?);
    receipts::append(&ctx.repo, receipt)?;
    Ok(())
}

/// The lists, each with its status and its commands (a diff against the approved version when
/// it changed). Commands are shown as JSON arrays: exact, and with control characters escaped so
/// a hostile value cannot rewrite the terminal.
fn describe_lists(ctx: &Ctx, lists: &[(List, Status)]) -> String {
    let paint = Paint::stderr();
    let mut out = String::new();
    for (list, status) in lists {
        let current = list.commands(&ctx.config);
        if current.is_empty() {
            out.push_str(&format!("  {}: not set, runs nothing\n", paint.bold(list.key())));
            continue;
        }
        out.push_str(&format!("  {} ({}):\n", paint.bold(list.key()), status.describe()));
        match status {
            Status::Changed { previous } => {
                for (sign, command) in diff(previous, &current) {
                    out.push_str(&format!("    {sign} {}\n", show(command)));
                }
            }
            _ => {
                for command in &current {
                    out.push_str(&format!("      {}\n", show(command)));
                }
            }
        }
    }
    out
}

/// A command as an exact, escaped array: `["cargo", "test", "--workspace"]`.
pub fn show(command: &[String]) -> String {
    let words: Vec<String> =
        command.iter().map(|word| serde_json::to_string(word).unwrap_or_else(|_| "\"?\"".into())).collect();
    format!("[{}]", words.join(", "))
}

/// The lines of `before` and `after` as a diff: `-` removed, `+` added, ` ` kept (longest common
/// subsequence; the lists are a handful of commands).
fn diff<'a>(before: &'a [Vec<String>], after: &'a [Vec<String>]) -> Vec<(char, &'a [String])> {
    let (n, m) = (before.len(), after.len());
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] =
                if before[i] == after[j] { common[i + 1][j + 1] + 1 } else { common[i + 1][j].max(common[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && before[i] == after[j] {
            out.push((' ', after[j].as_slice()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            out.push(('-', before[i].as_slice()));
            i += 1;
        } else {
            out.push(('+', after[j].as_slice()));
            j += 1;
        }
    }
    out
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let path = display_path(ctx, &Store::path(&ctx.repo));
    if args.revoke {
        let store = Store::load(&ctx.repo)?;
        let count = store.approved.len();
        let removed = match std::fs::remove_file(Store::path(&ctx.repo)) {
            Ok(()) => true,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
            Err(error) => return Err(error).with_context(|| format!("failed to remove `{path}`")),
        };
        if !removed {
            // Nothing changed: a skipped action, not a state change.
            let receipt = Receipt::new("trust", Kind::Skipped, "nothing to revoke").reason("no approval is recorded");
            receipts::append(&ctx.repo, receipt)?;
            output::status("Revoked", format!("nothing: no approval is recorded in `{path}`"));
            return Ok(());
        }
        let receipt = Receipt::new("trust", Kind::StateChange, format!("revoked {count} approval(s)"));
        receipts::append(&ctx.repo, receipt)?;
        output::status(
            "Revoked",
            format!("{count} approval(s) recorded in `{path}`; configured commands will be asked for again"),
        );
        return Ok(());
    }

    let store = Store::load(&ctx.repo)?;
    let mut lists = Vec::new();
    for list in List::ALL {
        lists.push((list, status_in(ctx, &store, list)?));
    }
    outln!("the commands `[workspace.metadata.sop]` in `Cargo.toml` names:");
    out!("{}", describe_lists(ctx, &lists));
    let pending: Vec<List> = lists
        .iter()
        .filter(|(_, status)| matches!(status, Status::New | Status::Changed { .. } | Status::ApprovedByEnvironment))
        .map(|(list, _)| *list)
        .collect();
    if args.show {
        if pending.is_empty() {
            output::status("Trusted", "every configured command may run in this clone");
        } else {
            outln!("next: {TRUST_COMMAND}");
        }
        return Ok(());
    }
    if pending.is_empty() {
        output::status("Trusted", "nothing to approve: every configured command may already run in this clone");
        return Ok(());
    }
    approve(ctx, &pending)?;
    let keys: Vec<&str> = pending.iter().map(|list| list.key()).collect();
    output::status("Approved", format!("{} for this clone (recorded in `{path}`)", keys.join(", ")));
    Ok(())
}

/// `.git/sop/trust.json` relative to the root when it is inside it.
fn display_path(ctx: &Ctx, path: &Path) -> String {
    path.strip_prefix(ctx.root()).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(lines: &[&str]) -> Vec<Vec<String>> {
        lines.iter().map(|line| line.split(' ').map(str::to_string).collect()).collect()
    }

    #[test]
    fn defaults_and_empty_lists_need_no_approval() {
        let config = Config::default();
        assert!(List::ALL.iter().all(|list| !list.needs_approval(&config)));
        let mut config = Config {
            verify: commands(&["true"]),
            extra_secret_scanner: vec!["gitleaks".into(), "protect".into()],
            ..Config::default()
        };
        assert!(List::Verify.needs_approval(&config));
        assert!(!List::IntegrationVerify.needs_approval(&config));
        assert!(List::ExtraSecretScanner.needs_approval(&config));
        config.integration_verify = Vec::new();
        assert!(!List::IntegrationVerify.needs_approval(&config));
    }

    /// The hashed text is what it was when approvals were first recorded: they stay valid.
    #[test]
    fn the_canonical_text_of_an_approval_is_unchanged() {
        let text = canonical(List::Verify, &commands(&["cargo test"])).unwrap();
        assert_eq!(String::from_utf8(text).unwrap(), r#"{"commands":[["cargo","test"]],"key":"verify"}"#);
    }

    #[test]
    fn one_changed_argument_changes_the_key() {
        let one = hash(List::Verify, &commands(&["cargo test"])).unwrap();
        assert_eq!(one, hash(List::Verify, &commands(&["cargo test"])).unwrap());
        assert_ne!(one, hash(List::Verify, &commands(&["cargo test --all"])).unwrap());
        assert_ne!(one, hash(List::IntegrationVerify, &commands(&["cargo test"])).unwrap());
        // Word boundaries count: `a b` is not `a` `b` … nor `ab`.
        let split = hash(List::Verify, &[vec!["a b".to_string()]]).unwrap();
        assert_ne!(split, hash(List::Verify, &[vec!["a".to_string(), "b".to_string()]]).unwrap());
    }

    #[test]
    fn the_diff_shows_what_changed() {
        let before = commands(&["cargo fmt", "cargo test"]);
        let after = commands(&["cargo fmt", "curl x", "cargo test --all"]);
        let lines: Vec<String> =
            diff(&before, &after).iter().map(|(sign, c)| format!("{sign}{}", c.join(" "))).collect();
        assert_eq!(lines, [" cargo fmt", "-cargo test", "+curl x", "+cargo test --all"]);
        let lines: Vec<String> = diff(&after, &[]).iter().map(|(sign, c)| format!("{sign}{}", c.join(" "))).collect();
        assert_eq!(lines, ["-cargo fmt", "-curl x", "-cargo test --all"]);
    }

    #[test]
    fn commands_are_shown_exactly_and_escaped() {
        assert_eq!(show(&["cargo".into(), "a b".into()]), "[\"cargo\", \"a b\"]");
        assert_eq!(show(&["\u{1b}[2Kok".into()]), "[\"\\u001b[2Kok\"]");
    }
}
