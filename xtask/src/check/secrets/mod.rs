//! The secret scanner (SOP 4.9): what is scanned, and what silences it. The rules that recognise
//! a secret on one line are the `xtask-secrets` crate's (`xtask/secrets/`); this module is their caller.
//!
//! **What is scanned is what a push sends**: every line each commit of the pushed range adds
//! against its parent (so a secret added in one commit and removed in a later one is still found,
//! naming the commit and how to purge it), every commit message of the range, the files each
//! commit adds under a key or `.env` name, and the staged changes. The range is the branch's
//! commits not on the main branch (`<remote>/<main>` when it exists, else `<main>`); on the main
//! branch it is the commits not on `<remote>/<main>` yet, or every commit when there is no such
//! ref (fail closed). `check/mod.rs` computes the range; `git/history.rs` reads the diffs.
//!
//! **What silences it** is tamper-evident. The allowlists (`secret_allowlist` for line text,
//! `secret_allowlist_paths` for paths; one never matches the other) and the fingerprint baseline
//! (`.secrets.baseline.json`) in effect are the main branch's, read from its commit, never from
//! the working tree; a branch that changes either gets a warning that names the change. The
//! inline marker counts only as a comment that ends the line it silences (`# sop:allow-secret`,
//! `// sop:allow-secret`, `-- …`, `; …`, `<!-- sop:allow-secret -->`, `/* sop:allow-secret */`);
//! anywhere else on the line it silences nothing. `gitleaks:allow` is not honoured (it is
//! gitleaks' marker; an extra scanner reads it itself).
//!
//! A finding never holds the secret: messages show the rule, a safe prefix at most, and the
//! length; the baseline holds fingerprints (a hash of the rule, the path and the secret's hash).
//! An extra scanner such as `gitleaks` can be configured (`extra_secret_scanner`); being a program
//! committed configuration names, it runs only when the caller allows it and this clone approved
//! it (`trust.rs`), and its output is never printed either.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context as _;
use git2::Oid;
use regex_lite::Regex;

use super::hygiene::{is_env_file, is_key_file};
use super::{at, ExtraScanner, Facts, Finding};
use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::git::Repo;
use crate::output::shell_word;

/// The detection rules: the `xtask-secrets` crate (`xtask/secrets/`), optimised even in dev.
pub use xtask_secrets as rules;

use rules::files::{credential_file, CredentialFile};

pub use rules::Hit;

/// The inline marker that silences the scanner on one line, as the comment that ends it.
pub const ALLOW_MARKER: &str = "sop:allow-secret";
/// The fingerprint baseline of accepted findings, at the repository root, reviewed like code.
pub const BASELINE_FILE: &str = ".secrets.baseline.json";
/// The command that adds the current findings to the baseline.
pub const UPDATE_BASELINE: &str = "cargo xtask check --update-baseline";
/// The path a commit message's fingerprint uses: no file is named like this.
const MESSAGE_PATH: &str = ":commit-message";

/// Where the comment that ends `line` starts, if that comment is exactly the allow marker.
fn trailing_marker(line: &str) -> Option<usize> {
    let line = line.trim_end();
    for (open, close) in [("<!--", "-->"), ("/*", "*/")] {
        if let Some(body) = line.strip_suffix(close) {
            if let Some(start) = body.rfind(open) {
                if body[start + open.len()..].trim() == ALLOW_MARKER {
                    return Some(start);
                }
            }
        }
    }
    let before = line.strip_suffix(ALLOW_MARKER)?.trim_end_matches([' ', '\t']);
    for open in ["//", "#", "--", ";"] {
        if let Some(code) = before.strip_suffix(open) {
            // A line comment starts a line or follows a blank: `a#b` is not a comment in a shell.
            if code.is_empty() || code.ends_with([' ', '\t']) {
                return Some(code.len());
            }
        }
    }
    None
}

/// The secrets on one line, unless a trailing comment that is the allow marker ends it.
pub fn scan_line(line: &str) -> Vec<Hit> {
    silence_marked(line, rules::scan_line(line))
}

fn silence_marked(line: &str, hits: Vec<Hit>) -> Vec<Hit> {
    if hits.is_empty() {
        return hits;
    }
    match trailing_marker(line) {
        Some(start) => hits.into_iter().filter(|hit| hit.span.end > start).collect(),
        None => hits,
    }
}

/// A finding's fingerprint: the hash of the rule, the path and the secret's own hash, so the
/// baseline that stores it never holds the secret and a line can move without losing it.
pub fn fingerprint(rule: &str, path: &str, secret: &str) -> anyhow::Result<String> {
    let secret_hash = Repo::hash_blob(secret.as_bytes())?;
    Repo::hash_blob(format!("sop-secret-fingerprint/1\n{rule}\n{path}\n{secret_hash}\n").as_bytes())
}

/// `.secrets.baseline.json`: the accepted findings, by fingerprint. `rule` and `path` are for
/// the reviewer; only the fingerprint silences.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    pub version: u32,
    #[serde(default)]
    pub about: String,
    pub accepted: Vec<Accepted>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Accepted {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
}

const BASELINE_ABOUT: &str = "Findings of the secret scanner accepted as not secret. Fingerprints only (a hash of the rule, the path and the secret's hash): never a secret. Reviewed like code; only the main branch's copy is in effect. Add the current findings with `cargo xtask check --update-baseline`; see docs/guide.md.";

impl Baseline {
    fn parse(bytes: &[u8]) -> Result<Baseline, String> {
        let baseline: Baseline = serde_json::from_slice(bytes).map_err(|error| error.to_string())?;
        if baseline.version != 1 {
            return Err(format!("version {} is not known (1 is)", baseline.version));
        }
        if let Some(bad) = baseline.accepted.iter().find(|entry| !is_hex_id(&entry.fingerprint)) {
            return Err(format!("`{}` is not a fingerprint (40 hexadecimal digits)", bad.fingerprint.escape_debug()));
        }
        Ok(baseline)
    }

    fn fingerprints(&self) -> HashSet<&str> {
        self.accepted.iter().map(|entry| entry.fingerprint.as_str()).collect()
    }

    /// The file's text: entries sorted and one per line group, so two branches that each accept
    /// a finding rarely touch the same lines.
    fn render(&self) -> anyhow::Result<String> {
        let mut text = serde_json::to_string_pretty(self).context("failed to write the baseline")?;
        text.push('\n');
        Ok(text)
    }
}

fn is_hex_id(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What silences the scanner in this run: the main branch's allowlists and baseline.
pub(crate) struct Suppression {
    lines: Vec<Regex>,
    paths: Vec<Regex>,
    baseline: HashSet<String>,
}

impl Suppression {
    /// The main branch's allowlists and baseline, read from its commit `main`; with no main
    /// commit (a repository with no commits yet) the working tree's. A branch whose own differ
    /// gets a warning per change, and anything unreadable is a finding, never silently ignored.
    pub fn in_effect(ctx: &Ctx, main: Option<Oid>, findings: &mut Vec<Finding>) -> anyhow::Result<Suppression> {
        let config = &ctx.config;
        let working_baseline = read_working_baseline(ctx);
        let Some(main) = main else {
            let baseline = match working_baseline {
                Ok(Some(baseline)) => baseline.fingerprints().into_iter().map(str::to_string).collect(),
                Ok(None) => HashSet::new(),
                Err(error) => {
                    findings.push(invalid_baseline(BASELINE_FILE, &error));
                    HashSet::new()
                }
            };
            return Ok(Suppression {
                lines: compile("secret_allowlist", &config.secret_allowlist, findings),
                paths: compile("secret_allowlist_paths", &config.secret_allowlist_paths, findings),
                baseline,
            });
        };
        let main_name = &config.main_branch;
        let main_short = ctx.repo.short_id(main);
        let main_config = match ctx.repo.file_at(main, "Cargo.toml")? {
            None => Config::default(),
            Some(bytes) => match Config::parse(&String::from_utf8_lossy(&bytes)) {
                Ok(config) => config,
                Err(_) => {
                    findings.push(Finding::warning(
                        "sop-4.9/secret-allowlist",
                        Some("Cargo.toml".into()),
                        format!("`{main_name}`'s `Cargo.toml` (at {main_short}) has settings this version of the tool cannot read, so no secret allowlist is in effect"),
                        format!("update this branch with `{main_name}` (cargo xtask pre-pr), then run: cargo xtask check"),
                    ));
                    Config { secret_allowlist: Vec::new(), secret_allowlist_paths: Vec::new(), ..Config::default() }
                }
            },
        };
        let lines = compile("secret_allowlist", &main_config.secret_allowlist, findings);
        let paths = compile("secret_allowlist_paths", &main_config.secret_allowlist_paths, findings);
        for (key, ours, theirs) in [
            ("secret_allowlist", &config.secret_allowlist, &main_config.secret_allowlist),
            ("secret_allowlist_paths", &config.secret_allowlist_paths, &main_config.secret_allowlist_paths),
        ] {
            if ours != theirs {
                // The branch's own entries are not in effect, but a bad one must not wait for the merge.
                compile(key, ours, findings);
                findings.push(Finding::warning(
                    "sop-4.9/suppression-changed",
                    Some("Cargo.toml".into()),
                    format!(
                        "this branch changes `{key}` ({}); it is not in effect here (`{main_name}`'s is) and silences the secret scanner for everyone once merged",
                        change_summary(ours.len(), theirs.len(), ours.iter().filter(|entry| !theirs.contains(entry)).count())
                    ),
                    format!("reviewers: approve this change to `{key}` in [workspace.metadata.sop] explicitly, or revert it: git checkout {} -- Cargo.toml", shell_word(main_name)),
                ));
            }
        }
        let main_baseline = match ctx.repo.file_at(main, BASELINE_FILE)? {
            None => Baseline::default(),
            Some(bytes) => Baseline::parse(&bytes).unwrap_or_else(|error| {
                findings.push(invalid_baseline(&format!("`{main_name}`'s {BASELINE_FILE}"), &error));
                Baseline::default()
            }),
        };
        let accepted: HashSet<String> = main_baseline.fingerprints().into_iter().map(str::to_string).collect();
        match working_baseline {
            Err(error) => findings.push(invalid_baseline(BASELINE_FILE, &error)),
            Ok(working) => {
                let working = working.unwrap_or_default();
                let ours = working.fingerprints();
                let theirs: HashSet<&str> = accepted.iter().map(String::as_str).collect();
                if ours != theirs {
                    let added = ours.difference(&theirs).count();
                    let removed = theirs.difference(&ours).count();
                    findings.push(Finding::warning(
                        "sop-4.9/suppression-changed",
                        Some(BASELINE_FILE.into()),
                        format!(
                            "this branch changes the secret baseline ({added} accepted, {removed} no longer accepted); it is not in effect here (`{main_name}`'s is) and silences those findings for everyone once merged"
                        ),
                        format!("reviewers: approve each accepted finding explicitly (the file names its rule and path), or revert it: git checkout {} -- {BASELINE_FILE}", shell_word(main_name)),
                    ));
                }
            }
        }
        Ok(Suppression { lines, paths, baseline: accepted })
    }

    pub fn path_allowed(&self, path: &str) -> bool {
        self.paths.iter().any(|regex| regex.is_match(path))
    }

    pub fn line_allowed(&self, line: &str) -> bool {
        self.lines.iter().any(|regex| regex.is_match(line))
    }

    fn accepted(&self, fingerprint: &str) -> bool {
        self.baseline.contains(fingerprint)
    }
}

fn change_summary(ours: usize, theirs: usize, new_entries: usize) -> String {
    format!("{theirs} entries on the main branch, {ours} here, {new_entries} of them new")
}

fn invalid_baseline(what: &str, error: &str) -> Finding {
    Finding::error(
        "sop-4.9/secret-baseline",
        Some(BASELINE_FILE.into()),
        format!("{what} is not a valid secret baseline, so it accepts nothing: {}", one_line(error)),
        format!("rewrite it from the current findings: {UPDATE_BASELINE}"),
    )
}

/// The working tree's baseline: `None` when there is none.
fn read_working_baseline(ctx: &Ctx) -> Result<Option<Baseline>, String> {
    match crate::git::sparse::read_regular(&ctx.root().join(BASELINE_FILE)) {
        Ok(bytes) => Baseline::parse(&bytes).map(Some),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.to_string()),
    }
}

/// One allowlist, compiled; an invalid pattern is a finding that names the key and the entry's
/// position, never the entry (it may be a fragment of what it was written to silence).
fn compile(key: &str, patterns: &[String], findings: &mut Vec<Finding>) -> Vec<Regex> {
    let mut out = Vec::new();
    for (position, pattern) in patterns.iter().enumerate() {
        match Regex::new(pattern) {
            Ok(regex) => out.push(regex),
            Err(_) => findings.push(Finding::error(
                "sop-4.9/secret-allowlist",
                Some("Cargo.toml".into()),
                format!("entry {} of `{key}` is not a valid regular expression", position + 1),
                "fix it in [workspace.metadata.sop]; use ASCII classes like [0-9] and [A-Za-z] (no \\d, \\w or (?i))"
                    .into(),
            )),
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A secret found where the push would leave it, or only in a commit of the range.
struct Found {
    rule: &'static str,
    /// The rule's own finding id (`sop-4.9/secret/github-token`).
    id: &'static str,
    /// Whether the hint should say "rotate it" (an identifier is not itself a secret).
    rotate: bool,
    path: String,
    line: u32,
    redacted: String,
    fingerprint: String,
    /// The oldest commit of the range that adds it, and that commit's first parent.
    commit: Option<(Oid, Option<Oid>)>,
    /// Still in the version the push leaves (the index); otherwise only in history.
    in_final: bool,
}

impl Found {
    fn new(
        hit: Hit,
        path: &str,
        line: u32,
        fingerprint: String,
        commit: Option<(Oid, Option<Oid>)>,
        in_final: bool,
    ) -> Found {
        Found {
            rule: hit.rule,
            id: hit.id,
            rotate: hit.rotate,
            path: path.to_string(),
            line,
            redacted: hit.redacted,
            fingerprint,
            commit,
            in_final,
        }
    }
}

pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let suppression = &facts.suppression;
    let repo = &facts.ctx.repo;
    let mut found: Vec<Found> = Vec::new();
    let mut by_fingerprint: HashMap<String, usize> = HashMap::new();
    // Every added line of the final version, and the findings of those that hold a secret: a
    // commit's line equal to one of them gives the same hits, so it is looked up, not scanned again.
    // Built on first use: a branch whose every commit changes files straight to their final
    // version (one commit a file, the common case) never needs the table.
    let mut line_findings: HashMap<(usize, usize), Vec<usize>> = HashMap::new();

    for (change_index, change) in facts.branch.changes.iter().enumerate() {
        if suppression.path_allowed(&change.path) {
            continue;
        }
        if change.binary {
            binary_file(facts, change, &mut found, &mut by_fingerprint, findings)?;
            continue;
        }
        let file = credential_file(&change.path);
        for (line_index, added) in change.added.iter().enumerate() {
            let hits = hits_on(suppression, file, &added.text);
            let mut indices = Vec::new();
            for hit in hits {
                let fingerprint = fingerprint(hit.id, &change.path, &added.text[hit.span.clone()])?;
                if suppression.accepted(&fingerprint) {
                    continue;
                }
                let index = *by_fingerprint.entry(fingerprint.clone()).or_insert_with(|| {
                    found.push(Found::new(hit, &change.path, added.line, fingerprint, None, true));
                    found.len() - 1
                });
                indices.push(index);
            }
            if !indices.is_empty() {
                line_findings.insert((change_index, line_index), indices);
            }
        }
    }

    // Each commit the push sends, oldest first: the lines it adds, the files it adds, its message.
    let mut named_files: BTreeMap<String, (Oid, Option<Oid>)> = BTreeMap::new();
    let mut message_findings = Vec::new();
    let message_file = credential_file(MESSAGE_PATH);
    // A commit's line that the final version adds too, with no secret on it, is done with: it is
    // dropped before it is copied.
    let (final_lines, line_findings) = (std::cell::OnceCell::new(), std::cell::RefCell::new(line_findings));
    let final_lines =
        || final_lines.get_or_init(|| FinalLines::new(&facts.branch.changes, &mut line_findings.borrow_mut()));
    let worth_reading = |path: &str, text: &str| {
        final_lines().get(line_hash(PATH_SEED, path.as_bytes()), path, text).is_none_or(|found| !found.is_empty())
    };
    // A commit's change of a file to exactly the version the branch leaves, from exactly the
    // version it started with, adds the lines already scanned above: it is not diffed again.
    let final_blobs: HashMap<&str, (Option<Oid>, Option<Oid>)> =
        facts.branch.changes.iter().map(|change| (change.path.as_str(), change.blobs)).collect();
    let known = |path: &str, old: Option<Oid>, new: Oid| final_blobs.get(path) == Some(&(old, Some(new)));
    repo.for_each_commit_diff(&facts.branch.pushed, known, worth_reading, |commit| {
        let origin = (commit.id, commit.parent);
        for change in &commit.changes {
            if suppression.path_allowed(&change.path) {
                continue;
            }
            let name = change.path.rsplit('/').next().unwrap_or(&change.path);
            if change.kind == crate::git::history::ChangeKind::Added && (is_key_file(name) || is_env_file(name)) {
                named_files.entry(change.path.clone()).or_insert(origin);
            }
            if change.same_as_known {
                for secret in found.iter_mut().filter(|secret| secret.in_final && secret.path == change.path) {
                    secret.commit.get_or_insert(origin);
                }
                continue;
            }
            if change.binary {
                continue;
            }
            let file = credential_file(&change.path);
            let path_hash = line_hash(PATH_SEED, change.path.as_bytes());
            for added in &change.added {
                if let Some(indices) = final_lines().get(path_hash, &change.path, &added.text) {
                    for index in indices {
                        found[*index].commit.get_or_insert(origin);
                    }
                    continue;
                }
                for hit in hits_on(suppression, file, &added.text) {
                    let fingerprint = fingerprint(hit.id, &change.path, &added.text[hit.span.clone()])?;
                    if suppression.accepted(&fingerprint) {
                        continue;
                    }
                    match by_fingerprint.get(&fingerprint) {
                        Some(index) => {
                            found[*index].commit.get_or_insert(origin);
                        }
                        None => {
                            by_fingerprint.insert(fingerprint.clone(), found.len());
                            found.push(Found::new(hit, &change.path, added.line, fingerprint, Some(origin), false));
                        }
                    }
                }
            }
        }
        for line in commit.message.lines() {
            for hit in hits_on(suppression, message_file, line) {
                let fingerprint = fingerprint(hit.id, MESSAGE_PATH, &line[hit.span.clone()])?;
                if !suppression.accepted(&fingerprint) {
                    let branch = on_branch(repo, &facts.branch.tips, origin.0).map(|(name, _)| name);
                    message_findings.push(message_finding(repo, origin, &hit, fingerprint, branch.as_deref()));
                }
            }
        }
        Ok(())
    })?;

    // Files added under a key or `.env` name and gone from the index: hygiene names those still
    // tracked; these are only in history, which the push sends all the same.
    let tracked: HashSet<String> =
        if named_files.is_empty() { HashSet::new() } else { repo.tracked_paths()?.into_iter().collect() };
    let mut history_files = HashSet::new();
    for (path, origin) in &named_files {
        if tracked.contains(path) {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let rule = if is_env_file(name) { "sop-4.9/env-file" } else { "sop-4.9/key-file" };
        let short = repo.short_id(origin.0);
        findings.push(Finding::error(
            rule,
            at(path, None),
            format!("`{path}` was added in commit {short} and deleted later; the push still sends it in that commit"),
            format!(
                "{}\nthen rotate every secret it held",
                purge_hint(repo, *origin, on_branch(repo, &facts.branch.tips, origin.0))
            ),
        ));
        history_files.insert(path.clone());
    }

    for mut secret in found {
        if !secret.in_final && history_files.contains(&secret.path) {
            continue;
        }
        // A commit of another branch than HEAD's (`git push origin feat/x` from `feat/y`): what
        // that branch leaves decides whether its tip still holds the secret, not HEAD's index.
        let branch = secret.commit.and_then(|(commit, _)| on_branch(repo, &facts.branch.tips, commit));
        if let Some((_, tip)) = &branch {
            secret.in_final = still_holds(repo, suppression, *tip, &secret)?;
        }
        findings.push(secret_finding(repo, &secret, branch.map(|(name, _)| name)));
    }
    findings.extend(message_findings);
    extra_scanner(facts, findings);
    Ok(())
}

/// The seed of [`line_hash`] for a path; a line's hash is seeded with its path's.
const PATH_SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// A cheap hash of `bytes` from `seed` (not DoS-resistant, and it need not be: a collision costs
/// a text comparison, never a wrong answer). Eight bytes a step: it runs over every line a branch
/// adds, twice, in the unoptimised dev profile, where SipHash took a tenth of the scan.
fn line_hash(seed: u64, bytes: &[u8]) -> u64 {
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hash = seed ^ (bytes.len() as u64).wrapping_mul(MULTIPLIER);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7]]);
        hash = (hash ^ word).wrapping_mul(MULTIPLIER).rotate_left(29);
    }
    for byte in chunks.remainder() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(MULTIPLIER).rotate_left(29);
    }
    hash ^ (hash >> 32)
}

/// Every added line of the branch's final diff, by path and text, with the findings of those
/// that hold a secret. An open-addressing table of entry numbers keyed by [`line_hash`] and
/// confirmed by comparing the text: exact, and 24 to 32 bytes a line where a `HashMap` of string
/// pairs to vectors took 64 to 128.
struct FinalLines<'a> {
    changes: &'a [crate::git::history::FileChange],
    /// `(hash, change index, line index)` of each distinct line.
    entries: Vec<(u64, u32, u32)>,
    /// Entry number + 1 (0: empty); a power of two, at most half full.
    slots: Vec<u32>,
    /// The findings of the entries that have any, by entry number.
    found: HashMap<u32, Vec<usize>>,
}

impl<'a> FinalLines<'a> {
    /// Every added line of `changes` but those of binary files, with the findings each line
    /// holds (by `(change, line)` index).
    fn new(
        changes: &'a [crate::git::history::FileChange],
        findings: &mut HashMap<(usize, usize), Vec<usize>>,
    ) -> FinalLines<'a> {
        let lines: usize = changes.iter().map(|change| change.added.len()).sum();
        let size = (lines * 2).next_power_of_two().max(16);
        let mut table =
            FinalLines { changes, entries: Vec::with_capacity(lines), slots: vec![0; size], found: HashMap::new() };
        for (change_index, change) in changes.iter().enumerate() {
            let path_hash = line_hash(PATH_SEED, change.path.as_bytes());
            for line_index in 0..change.added.len() {
                let found = findings.remove(&(change_index, line_index)).unwrap_or_default();
                table.insert(path_hash, change_index, line_index, found);
            }
        }
        table
    }

    fn text(&self, entry: u32) -> (&'a str, &'a str) {
        let (_, change, line) = self.entries[entry as usize];
        let change = &self.changes[change as usize];
        (change.path.as_str(), change.added[line as usize].text.as_str())
    }

    /// The slot that holds the line, or the empty one where it would go.
    fn slot(&self, hash: u64, path: &str, text: &str) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = (hash as usize) & mask;
        loop {
            let entry = self.slots[slot];
            if entry == 0 {
                return slot;
            }
            if self.entries[(entry - 1) as usize].0 == hash && self.text(entry - 1) == (path, text) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Records line `line` of `changes[change]` (every line of a file, `path_hash` its path's
    /// [`line_hash`]) with its findings; an equal line already recorded has the same ones.
    fn insert(&mut self, path_hash: u64, change: usize, line: usize, found: Vec<usize>) {
        let (path, text) = {
            let file = &self.changes[change];
            (file.path.as_str(), file.added[line].text.as_str())
        };
        let hash = line_hash(path_hash, text.as_bytes());
        let slot = self.slot(hash, path, text);
        if self.slots[slot] != 0 {
            return;
        }
        let entry = u32::try_from(self.entries.len()).expect("fewer than 4 billion added lines");
        self.entries.push((hash, change as u32, line as u32));
        self.slots[slot] = entry + 1;
        if !found.is_empty() {
            self.found.insert(entry, found);
        }
    }

    /// The findings of the final version's line equal to this one, if the final version adds it.
    fn get(&self, path_hash: u64, path: &str, text: &str) -> Option<&[usize]> {
        let hash = line_hash(path_hash, text.as_bytes());
        let entry = self.slots[self.slot(hash, path, text)];
        if entry == 0 {
            return None;
        }
        Some(self.found.get(&(entry - 1)).map_or(&[], Vec::as_slice))
    }
}

/// A file git diffs as binary (NUL bytes, UTF-16, `-diff`): its bytes are decoded or scanned
/// as printable runs (bounded by `MAX_SCAN_BYTES`); what the version before the branch already
/// held is not reported again.
fn binary_file(
    facts: &Facts<'_>,
    change: &crate::git::history::FileChange,
    found: &mut Vec<Found>,
    by_fingerprint: &mut HashMap<String, usize>,
    findings: &mut Vec<Finding>,
) -> anyhow::Result<()> {
    // The version the branch holds (the index, or the judged commit): what a push sends, never
    // the working copy, which may hold what is neither staged nor committed.
    let Some(blob) = change.blobs.1 else { return Ok(()) };
    let Ok(bytes) = facts.ctx.repo.blob_bytes(blob) else { return Ok(()) };
    let before = match facts.branch.base {
        Some(base) => facts.ctx.repo.file_at(base, &change.path)?.unwrap_or_default(),
        None => Vec::new(),
    };
    let old: HashSet<(&str, String)> = rules::files::scan_bytes(&change.path, &before)
        .hits
        .into_iter()
        .map(|(_, hit)| (hit.id, hit.redacted))
        .collect();
    let scan = rules::files::scan_bytes(&change.path, &bytes);
    if scan.truncated {
        findings.push(Finding::warning(
            "sop-4.9/secret-scan-bound",
            at(&change.path, None),
            format!(
                "`{}` is larger than {} bytes: only its beginning was scanned for secrets",
                change.path,
                rules::files::MAX_SCAN_BYTES
            ),
            format!("keep large files out of the repository, or check it by hand: git show :{}", change.path),
        ));
    }
    for (line, hit) in scan.hits {
        if old.contains(&(hit.id, hit.redacted.clone())) || facts.suppression.line_allowed(&hit.redacted) {
            continue;
        }
        let fingerprint = fingerprint(hit.id, &change.path, &format!("{line}:{}", hit.redacted))?;
        if facts.suppression.accepted(&fingerprint) || by_fingerprint.contains_key(&fingerprint) {
            continue;
        }
        by_fingerprint.insert(fingerprint.clone(), found.len());
        found.push(Found::new(hit, &change.path, u32::try_from(line).unwrap_or(u32::MAX), fingerprint, None, true));
    }
    Ok(())
}

/// The hits on a line that neither a trailing marker nor a line pattern silences. `file` is
/// [`credential_file`] of the line's path, found once per file: a credential file's own format
/// (`.pgpass`, `.netrc`…) makes more of its values secret.
fn hits_on(suppression: &Suppression, file: Option<CredentialFile>, line: &str) -> Vec<Hit> {
    let hits = silence_marked(line, rules::files::scan_file_line(file, line));
    if hits.is_empty() || suppression.line_allowed(line) {
        return Vec::new();
    }
    hits
}

/// How to take a commit out of the history a push sends: an interactive rebase from its parent,
/// of the branch holding it when that is not HEAD's (`git rebase -i <from> <branch>` switches to
/// it first).
fn purge_hint(repo: &Repo, (commit, parent): (Oid, Option<Oid>), branch: Option<(String, Oid)>) -> String {
    let short = repo.short_id(commit);
    let from = rebase_from(&short, parent, branch.map(|(name, _)| name).as_deref());
    format!(
        "purge it from the history you push (in the list git opens, mark {short} `edit` and take it out, or `drop` it with the commit that removed it, or move that commit right below it and mark it `fixup`), and push a branch that was already pushed with `--force-with-lease`: git rebase -i {from}"
    )
}

/// The arguments of `git rebase -i` that replay a commit (`<short>~1`, or `--root` for a first
/// commit), on `branch` when it is not HEAD's.
fn rebase_from(short: &str, parent: Option<Oid>, branch: Option<&str>) -> String {
    let from = if parent.is_some() { format!("{short}~1") } else { "--root".to_string() };
    match branch {
        Some(branch) => format!("{from} {}", crate::output::shell_word(branch)),
        None => from,
    }
}

/// The local branch holding `commit` when HEAD is not what is judged (a push of another branch)
/// or its history lacks the commit, with its tip: one of the branches pushed (`tips`) first, then
/// the first by name. `None` when HEAD is judged and holds it, or no local branch does.
fn on_branch(repo: &Repo, tips: &[Oid], commit: Oid) -> Option<(String, Oid)> {
    let head = repo.head().ok()?.commit();
    // HEAD decides when it is what is judged: `check`, or a push that sends it. A push of other
    // branches is judged by them, even when HEAD's history holds the commit too.
    let head_judged = tips.is_empty() || head.is_some_and(|head| tips.contains(&head));
    if head_judged && head.is_some_and(|head| repo.is_merged(commit, head)) {
        return None;
    }
    let mut branches = repo.local_branches().ok()?;
    branches.sort_by_key(|(name, tip, _)| (!tips.contains(tip), name.clone()));
    branches.into_iter().find(|(_, tip, _)| repo.is_merged(commit, *tip)).map(|(name, tip, _)| (name, tip))
}

/// Whether `tip`'s version of the secret's file still holds it (a hit with its fingerprint).
fn still_holds(repo: &Repo, suppression: &Suppression, tip: Oid, secret: &Found) -> anyhow::Result<bool> {
    let Some(bytes) = repo.file_at(tip, &secret.path)? else { return Ok(false) };
    let text = String::from_utf8_lossy(&bytes);
    let file = credential_file(&secret.path);
    for line in text.lines() {
        for hit in hits_on(suppression, file, line) {
            if fingerprint(hit.id, &secret.path, &line[hit.span.clone()])? == secret.fingerprint {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The way to silence a finding that is no secret; on `branch` (the branch holding it, when HEAD
/// is not what is judged), whose range the baseline's update reads, switched to first.
fn not_a_secret_hint(marker: bool, branch: Option<&str>) -> String {
    let marker = if marker {
        format!("end its line with a `{ALLOW_MARKER}` comment (`# {ALLOW_MARKER}`, `// {ALLOW_MARKER}`, `<!-- {ALLOW_MARKER} -->`) or ")
    } else {
        String::new()
    };
    let update = match branch {
        Some(branch) => format!("git switch {} && {UPDATE_BASELINE}", crate::output::shell_word(branch)),
        None => UPDATE_BASELINE.to_string(),
    };
    format!("if it is not a secret, {marker}accept it in the baseline (reviewed like code, in effect once on the main branch): {update}")
}

/// The finding of a secret; `branch` names the branch holding its commit when HEAD's does not.
fn secret_finding(repo: &Repo, secret: &Found, branch: Option<String>) -> Finding {
    let location = at(&secret.path, Some(secret.line as usize));
    let on = branch.as_ref().map(|name| format!(" on `{name}`")).unwrap_or_default();
    let there = if branch.is_some() { " there" } else { "" };
    let origin_branch = |origin: (Oid, Option<Oid>)| branch.clone().map(|name| (name, origin.0));
    let rotate = if secret.rotate {
        "rotate it"
    } else {
        "check the line for the secret it goes with (this one is an identifier)"
    };
    let (message, first) = match (secret.in_final, secret.commit) {
        (true, None) => (
            format!("possible {} added: {}", secret.rule, secret.redacted),
            format!("remove it and {rotate}; it is only staged, so no commit holds it yet"),
        ),
        (true, Some(origin)) => (
            format!("possible {} added{on}: {}", secret.rule, secret.redacted),
            format!(
                "commit {} holds it, so the push sends it even once this line is gone\n{}\nthen {rotate}",
                repo.short_id(origin.0),
                purge_hint(repo, origin, origin_branch(origin))
            ),
        ),
        (false, origin) => {
            let short = origin.map(|origin| repo.short_id(origin.0)).unwrap_or_default();
            (
                format!(
                    "possible {} added in commit {short}{on} and removed later{there}: {}; the push still sends it in that commit",
                    secret.rule, secret.redacted
                ),
                match origin {
                    Some(origin) => format!("{}\nthen {rotate}", purge_hint(repo, origin, origin_branch(origin))),
                    None => rotate.to_string(),
                },
            )
        }
    };
    let mut finding = Finding::error(
        secret.id,
        location,
        message,
        format!("{first}\n{}", not_a_secret_hint(secret.in_final, branch.as_deref())),
    );
    finding.fingerprint = Some(secret.fingerprint.clone());
    finding.accept_as = Some((secret.rule.to_string(), secret.path.clone()));
    finding
}

/// The finding of a secret in a commit's message; `branch` names the branch holding the commit
/// when HEAD's does not.
fn message_finding(
    repo: &Repo,
    (commit, parent): (Oid, Option<Oid>),
    hit: &Hit,
    fingerprint: String,
    branch: Option<&str>,
) -> Finding {
    let short = repo.short_id(commit);
    let head = repo.head().ok().and_then(|head| head.commit());
    let reword = if head == Some(commit) {
        "reword it (take the secret out of the message that opens): git commit --amend --only".to_string()
    } else {
        let from = rebase_from(&short, parent, branch);
        format!("reword it (in the list git opens, mark {short} `reword` and take the secret out), and push a branch that was already pushed with `--force-with-lease`: git rebase -i {from}")
    };
    let mut finding = Finding::error(
        hit.id,
        Some(format!("commit {short}")),
        format!("possible {} in the message of commit {short}: {}", hit.rule, hit.redacted),
        format!("{reword}\nthen rotate it\n{}", not_a_secret_hint(false, branch)),
    );
    finding.fingerprint = Some(fingerprint);
    finding.accept_as = Some((hit.rule.to_string(), MESSAGE_PATH.to_string()));
    finding
}

/// How to start the baseline again: the base's version when it has one, else none at all.
fn baseline_restore_hint(ctx: &Ctx) -> String {
    let base = ctx.repo.main_commit(&ctx.config.main_branch, &ctx.config.remote).ok();
    match base.and_then(|base| crate::git::hint::restore(&ctx.repo, &ctx.config, BASELINE_FILE, &[base])) {
        Some(restore) => format!("fix it, or start again from the main branch's:\n{restore}"),
        None => format!("fix it, or start again without one:\nrm {}", crate::git::hint::root_path(BASELINE_FILE)),
    }
}

/// `check --update-baseline`: adds every current secret finding to the working tree's baseline
/// (through the plan writer), keeping what it already accepts. Returns how many it added.
pub(super) fn update_baseline(ctx: &Ctx, report: &super::Report) -> anyhow::Result<usize> {
    let existing = read_working_baseline(ctx).map_err(|error| {
        anyhow::Error::new(
            Refusal::usage(format!("`{BASELINE_FILE}` is not a valid secret baseline: {}", one_line(&error)))
                .hint(baseline_restore_hint(ctx)),
        )
    })?;
    let exists = existing.is_some();
    let mut baseline = existing.unwrap_or(Baseline { version: 1, about: String::new(), accepted: Vec::new() });
    baseline.version = 1;
    baseline.about = BASELINE_ABOUT.to_string();
    let known: HashSet<String> = baseline.accepted.iter().map(|entry| entry.fingerprint.clone()).collect();
    let mut added = 0;
    for finding in &report.findings {
        let (Some(fingerprint), Some((rule, path))) = (&finding.fingerprint, &finding.accept_as) else { continue };
        if known.contains(fingerprint) || baseline.accepted.iter().any(|entry| &entry.fingerprint == fingerprint) {
            continue;
        }
        baseline.accepted.push(Accepted { fingerprint: fingerprint.clone(), rule: rule.clone(), path: path.clone() });
        added += 1;
    }
    if added == 0 {
        return Ok(0);
    }
    baseline.accepted.sort();
    let text = baseline.render()?;
    let mut plan = crate::plan::Plan::new("check --update-baseline");
    if exists {
        plan.edit(ctx.root(), BASELINE_FILE, |_| Ok(text))?;
    } else {
        plan.create(BASELINE_FILE, text);
    }
    let _lock = crate::lock::RunLock::acquire(&ctx.repo, "check")?;
    plan.apply(&ctx.repo)?;
    Ok(added)
}

/// Runs the configured extra scanner (e.g. `gitleaks protect --staged --redact`) if the caller
/// allows it and this clone approved that exact command (`trust.rs`); otherwise a warning says
/// it did not run and how to run it. Its output is not shown: it may hold what it found.
fn extra_scanner(facts: &Facts<'_>, findings: &mut Vec<Finding>) {
    let Some((program, args)) = facts.ctx.config.extra_secret_scanner.split_first() else { return };
    let shown = crate::trust::show(&facts.ctx.config.extra_secret_scanner);
    if facts.extra_scanner == ExtraScanner::Never {
        findings.push(Finding::warning(
            "sop-4.9/extra-scanner",
            None,
            format!("`extra_secret_scanner` {shown} was not run: `check` runs no program unless asked"),
            "run it too: cargo xtask check --extra-scanner".to_string(),
        ));
        return;
    }
    let status = crate::trust::status(facts.ctx, crate::trust::List::ExtraSecretScanner);
    if !status.as_ref().is_ok_and(crate::trust::Status::may_run) {
        findings.push(Finding::warning(
            "sop-4.9/extra-scanner",
            None,
            format!("`extra_secret_scanner` {shown} was not run: this clone has not approved it"),
            format!("review and approve it: {}", crate::trust::TRUST_COMMAND),
        ));
        return;
    }
    let sh = &facts.ctx.sh;
    let output =
        xshell::cmd!(sh, "{program} {args...}").quiet().ignore_status().ignore_stdout().ignore_stderr().output();
    // Quoted word by word: pasted, it runs exactly the configured program and arguments.
    let command: Vec<String> =
        facts.ctx.config.extra_secret_scanner.iter().map(|word| crate::output::shell_word(word)).collect();
    let command = command.join(" ");
    match output {
        Ok(output) if output.status.success() => {}
        Ok(output) => findings.push(Finding::error(
            "sop-4.9/extra-scanner",
            None,
            format!(
                "`{command}` reported findings (exit {})",
                output.status.code().map_or("signal".into(), |c| c.to_string())
            ),
            format!("run `{command}` yourself to see them (its output is not repeated here)"),
        )),
        Err(_) => findings.push(Finding::warning(
            "sop-4.9/extra-scanner",
            None,
            format!(
                "the extra secret scanner `{program}` could not be run (is it installed?); only the built-in rules ran"
            ),
            format!("install `{program}`, or remove `extra_secret_scanner` from [workspace.metadata.sop]"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::rules::{compiled, entropy, looks_random, RULES};
    use super::*;

    // Every sample is assembled at run time so that no scannable literal exists in the repository.
    fn join(parts: &[&str]) -> String {
        parts.concat()
    }

    #[test]
    fn every_rule_compiles() {
        assert_eq!(compiled().len(), RULES.len());
    }

    #[test]
    fn positive_samples_are_found_and_redacted() {
        let samples = [
            (join(&["-----BEGIN RSA ", "PRIVATE KEY-----"]), "private key", ""),
            (join(&["-----BEGIN OPENSSH ", "PRIVATE KEY-----"]), "private key", ""),
            (join(&["key = \"", "AKIA", "Z7Q2K4M9T3W8X5R1", "\""]), "AWS access key id", "Z7Q2"),
            (
                join(&["aws_secret_access_key = ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "Q9Z4Y8V2N5"]),
                "AWS secret access key",
                "wJal",
            ),
            (join(&["const K: &str = \"", "AIza", "SyD3x9QmZ7v2Lr8Kp4Tn6Wb1Hc5Jf0Ge3Ud"]), "Google API key", "SyD3"),
            (join(&["token: ", "ghp_", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"]), "GitHub token", "aB3d"),
            (join(&["GITLAB=", "glpat-", "x7Kq2Lm9Pz4Rt8Vw3Yb6"]), "GitLab token", "x7Kq"),
            (join(&["slack: ", "xoxb-", "1234567890-ABCDEFghijklMNOP"]), "Slack token", "ABCD"),
            (
                join(&[
                    "auth = ",
                    "eyJ",
                    "hbGciOiJIUzI1NiJ9",
                    ".",
                    "eyJ",
                    "zdWIiOiIxMjM0NTY3ODkwIn0",
                    ".",
                    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                ]),
                "JSON Web Token",
                "hbGc",
            ),
            (join(&["PuTTY-User-", "Key-File-3: ssh-ed25519"]), "PuTTY private key", ""),
            (
                join(&["DefaultEndpointsProtocol=https;AccountKey=", &"Zm9vYmFy".repeat(10), "K9q2Lm", "=="]),
                "Azure storage key",
                "Zm9v",
            ),
            (join(&["pat = ", "github_pat_", &"11AbCdEfGh".repeat(7)]), "GitHub token", "11AbCdEfGh11"),
            (
                join(&["url = ", "https://hooks.slack", ".com/services/", "T0A1B2C3D/B4E5F6G7H/x8Y9z0W1v2U3t4S5r6Q7"]),
                "Slack webhook",
                "x8Y9",
            ),
            (join(&["stripe = ", "sk_", "live_", "4eC39HqLyjWDarjtT1zdp7dc"]), "Stripe secret key", "4eC3"),
            (join(&["DB_PASSWORD=", "Xk9#mP2$vL8qR4tW"]), "secret assignment", "Xk9#"),
            (join(&["\"client_secret\": \"", "3f9a1c7e5b2d8f4a6c0e9b1d7a3f5c2e", "\""]), "secret assignment", "3f9a"),
        ];
        for (line, rule, secret_part) in &samples {
            let hits = scan_line(line);
            assert_eq!(hits.len(), 1, "{line}: {hits:?}");
            assert_eq!(hits[0].rule, *rule, "{line}");
            if !secret_part.is_empty() {
                assert!(!hits[0].redacted.contains(secret_part), "not redacted: {hits:?}");
            }
            assert!(hits[0].redacted.contains("****"), "{hits:?}");
        }
    }

    #[test]
    fn negative_samples_are_not_found() {
        let samples = [
            "let token = next_token(&mut lexer);",
            "password = \"hunter2\"",
            "DB_PASSWORD=changeme",
            "API_KEY=<your-api-key>",
            "secret_allowlist: Vec<String>,",
            "SECRET_KEY=your_secret_key_here_1234",
            "token: &str,",
            "pub const PLACEHOLDER: &str = \"TODO(sop)\";",
            "-----BEGIN PUBLIC KEY-----",
            "AKIA is the prefix of AWS access key ids",
            "passwords = load_passwords_from_vault(config)",
        ];
        for line in samples {
            assert_eq!(scan_line(line), [], "{line}");
        }
        let marked = join(&["DB_PASSWORD=", "Xk9#mP2$vL8qR4tW ", "# ", ALLOW_MARKER]);
        assert_eq!(scan_line(&marked), []);
    }

    #[test]
    fn an_invalid_allowlist_entry_is_a_finding_that_does_not_echo_it() {
        let mut findings = Vec::new();
        let compiled = compile("secret_allowlist", &["fixtures/.*".into(), "(unclosed".into()], &mut findings);
        assert_eq!(compiled.len(), 1);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "sop-4.9/secret-allowlist");
        assert!(findings[0].message.contains("entry 2 of `secret_allowlist`"), "{}", findings[0].message);
        assert!(!findings[0].message.contains("unclosed"), "{}", findings[0].message);
    }

    #[test]
    fn only_a_trailing_comment_that_is_the_marker_silences() {
        let secret = join(&["DB_PASSWORD=", "Xk9#mP2$vL8qR4tW"]);
        for comment in [
            join(&[" # ", ALLOW_MARKER]),
            join(&[" // ", ALLOW_MARKER, "  "]),
            join(&[" -- ", ALLOW_MARKER]),
            join(&[" <!-- ", ALLOW_MARKER, " -->"]),
            join(&["<!--", ALLOW_MARKER, "-->"]),
            join(&[" /* ", ALLOW_MARKER, " */"]),
        ] {
            assert_eq!(scan_line(&format!("{secret}{comment}")), [], "{comment}");
        }
        // In the middle of a line (a minified file), as text, glued to the value, with more after
        // it: nothing is silenced.
        for line in [
            join(&[&secret, " /* ", ALLOW_MARKER, " */ ", &secret]),
            join(&["x = 1 // ", ALLOW_MARKER, "\n", &secret]),
            join(&[&secret, " ", ALLOW_MARKER]),
            join(&[&secret, "#", ALLOW_MARKER]),
            join(&[&secret, " # ", ALLOW_MARKER, " because"]),
            join(&[&secret, " gitleaks", ":allow"]),
        ] {
            assert!(!scan_line(&line).is_empty(), "{line}");
        }
    }

    #[test]
    fn a_fingerprint_depends_on_rule_path_and_secret_and_holds_none_of_the_secret() {
        let secret = join(&["AKIA", "Z7Q2K4M9T3W8X5R1"]);
        let one = fingerprint("AWS access key id", "a.toml", &secret).unwrap();
        assert_eq!(one.len(), 40);
        assert!(!one.contains(&secret[4..12].to_ascii_lowercase()));
        assert_eq!(one, fingerprint("AWS access key id", "a.toml", &secret).unwrap());
        assert_ne!(one, fingerprint("AWS access key id", "b.toml", &secret).unwrap());
        assert_ne!(one, fingerprint("GitHub token", "a.toml", &secret).unwrap());
        assert_ne!(one, fingerprint("AWS access key id", "a.toml", &secret.replace('Z', "Y")).unwrap());
    }

    #[test]
    fn a_baseline_is_read_back_and_a_bad_one_is_refused() {
        let baseline = Baseline {
            version: 1,
            about: BASELINE_ABOUT.into(),
            accepted: vec![Accepted { fingerprint: "a".repeat(40), rule: "r".into(), path: "p".into() }],
        };
        let text = baseline.render().unwrap();
        assert_eq!(Baseline::parse(text.as_bytes()).unwrap(), baseline);
        assert!(Baseline::parse(b"{").is_err());
        assert!(Baseline::parse(text.replace(&"a".repeat(40), "secret").as_bytes()).is_err());
        assert!(Baseline::parse(text.replace("\"version\": 1", "\"version\": 9").as_bytes()).is_err());
    }

    #[test]
    fn entropy_separates_words_from_keys() {
        assert!(entropy("aaaaaaaa") < 0.1);
        assert!(looks_random("Xk9#mP2$vL8qR4tW"));
        assert!(!looks_random("aaaaaaaaaaaaaaaa1"));
        assert!(!looks_random("my_database_password"));
    }
}
