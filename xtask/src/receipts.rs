//! The xtask's receipts (SOP 6.2): an append-only JSON Lines log of every state change, job,
//! failure and skipped action, kept in the clone's git directory (`.git/sop/receipts.jsonl`) so it
//! survives restarts and `cargo clean` and is never committed.
//!
//! Appends write one whole line and `fsync` it (a run that appends one per step may sync once at
//! its end instead: [`append_unsynced`], [`sync`]); a torn last line (a crash mid write) is left as
//! it is and the next receipt starts on a fresh line. Nothing here ever rewrites or removes a
//! line. A receipt of a kind this version does not know is kept as [`Kind::Unknown`].
//!
//! Reading is bounded: [`read_backwards`] reads from the end of the log (the runtime's
//! backwards line reader, `src/receipts/tail.rs`, compiled in) and stops when the caller has what
//! it needs or after [`READ_BUDGET`] bytes, so no command's cost grows with the log. Lines that
//! are not receipts are reported, summarised in one line when there are more than a few.

use std::io::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::git::Repo;

/// The runtime's backwards line reader, compiled in here so both logs are read the same way.
#[path = "../../src/receipts/tail.rs"]
#[allow(dead_code)]
mod tail;

/// At most this much of the log is read from its end by one command (about 60,000 receipts):
/// what `receipts` and `status` show never costs more, however long the log has grown.
pub const READ_BUDGET: u64 = 16 << 20;

/// Up to this many unreadable lines are reported one by one; more are summarised in one line.
const PROBLEMS_LISTED: usize = 3;

/// What a receipt records (SOP 6.2). Serialized as its snake_case name; a name this version
/// does not know is [`Kind::Unknown`] and serializes back to the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Kind {
    StateChange,
    Job,
    Failure,
    Skipped,
    /// Written by a newer xtask: kept, shown as unknown.
    Unknown(String),
}

impl Kind {
    pub fn as_str(&self) -> &str {
        match self {
            Kind::StateChange => "state_change",
            Kind::Job => "job",
            Kind::Failure => "failure",
            Kind::Skipped => "skipped",
            Kind::Unknown(name) => name,
        }
    }
}

impl From<String> for Kind {
    fn from(name: String) -> Kind {
        match name.as_str() {
            "state_change" => Kind::StateChange,
            "job" => Kind::Job,
            "failure" => Kind::Failure,
            "skipped" => Kind::Skipped,
            _ => Kind::Unknown(name),
        }
    }
}

impl From<Kind> for String {
    fn from(kind: Kind) -> String {
        match kind {
            Kind::Unknown(name) => name,
            known => known.as_str().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// UTC time, RFC 3339 (`2026-11-24T08:01:29Z`).
    pub time: String,
    /// Milliseconds since the Unix epoch, for sorting and durations.
    pub unix_ms: u64,
    /// The xtask command (`new-addon`, `pre-pr`, …).
    pub command: String,
    pub kind: Kind,
    /// What happened, one line.
    pub message: String,
    /// Why, for failures and skipped actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The add-on concerned, if any (`Scheduler`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// HEAD when the receipt was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Command-specific data (files created, step durations, …).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

impl Receipt {
    pub fn new(command: &str, kind: Kind, message: impl Into<String>) -> Receipt {
        let unix_ms = now_unix_ms();
        Receipt {
            time: rfc3339(unix_ms / 1000),
            unix_ms,
            command: command.to_string(),
            kind,
            message: message.into(),
            reason: None,
            addon: None,
            branch: None,
            commit: None,
            detail: serde_json::Value::Null,
        }
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Receipt {
        self.reason = Some(reason.into());
        self
    }

    pub fn addon(mut self, addon: impl Into<String>) -> Receipt {
        self.addon = Some(addon.into());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Receipt {
        self.detail = detail;
        self
    }

    /// The receipt as it may be stored or shown: user-derived text through `redact.rs`.
    pub fn redacted(mut self) -> Receipt {
        self.message = crate::redact::owned(&self.message);
        self.reason = self.reason.as_deref().map(crate::redact::owned);
        crate::redact::json(&mut self.detail);
        self
    }
}

pub fn log_path(repo: &Repo) -> PathBuf {
    repo.sop_dir().join("receipts.jsonl")
}

/// Appends a receipt, filling in the branch and commit from HEAD. Its message, reason and every
/// string of its detail pass through the redaction layer first: no receipt stores a secret, a
/// credential in a URL or a raw commit subject holding one.
pub fn append(repo: &Repo, receipt: Receipt) -> anyhow::Result<()> {
    append_to(&log_path(repo), &filled_in(repo, receipt))
}

/// [`append`] without waiting for the disk, for a run that appends a receipt per step and then
/// calls [`sync`] once at its end (`pre-pr`): each line is written whole and at once, so another
/// process reads it, and a killed run loses none; only a machine crash before the sync could.
pub fn append_unsynced(repo: &Repo, receipt: Receipt) -> anyhow::Result<()> {
    write_line(&log_path(repo), &filled_in(repo, receipt), false)
}

/// Makes the receipts appended with [`append_unsynced`] durable.
pub fn sync(repo: &Repo) -> anyhow::Result<()> {
    let path = log_path(repo);
    let file = crate::plan::open_state_file(&path, std::fs::OpenOptions::new().append(true))
        .with_context(|| format!("failed to open the receipts log `{}`", path.display()))?;
    file.sync_data().with_context(|| format!("failed to sync the receipts log `{}`", path.display()))
}

/// The branch and commit from HEAD filled in, and every string redacted.
fn filled_in(repo: &Repo, mut receipt: Receipt) -> Receipt {
    if let Ok(head) = repo.head() {
        receipt.branch = receipt.branch.or_else(|| head.branch_name().map(str::to_string));
        receipt.commit = receipt.commit.or_else(|| head.commit().map(|oid| oid.to_string()));
    }
    receipt.redacted()
}

pub fn append_to(path: &Path, receipt: &Receipt) -> anyhow::Result<()> {
    write_line(path, receipt, true)
}

fn write_line(path: &Path, receipt: &Receipt, sync: bool) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
    }
    let mut line = serde_json::to_string(receipt).context("failed to encode a receipt")?;
    line.push('\n');
    let mut file = crate::plan::open_state_file(path, std::fs::OpenOptions::new().create(true).append(true))
        .with_context(|| format!("failed to open the receipts log `{}`", path.display()))?;
    // A torn line from an earlier crash must not swallow this one: start on a fresh line.
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    if length > 0 && !ends_with_newline(path) {
        line.insert(0, '\n');
    }
    file.write_all(line.as_bytes())
        .with_context(|| format!("failed to write the receipts log `{}`", path.display()))?;
    if sync {
        file.sync_data().with_context(|| format!("failed to sync the receipts log `{}`", path.display()))?;
    }
    Ok(())
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else { return true };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).is_ok() && file.read_exact(&mut last).is_ok() && last[0] == b'\n'
}

/// What reading the log found besides receipts.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ReadReport {
    /// Lines that are not receipts, as `path:N: reason` (or `path (byte B): reason` when the
    /// line number is unknown because the start of the log was not read): a few one by one,
    /// more in one summary line. A torn last line is among them.
    pub problems: Vec<String>,
    /// The read stopped at [`READ_BUDGET`]: older receipts were not looked at.
    pub stopped_at_budget: bool,
}

/// Reads every receipt, oldest first (within [`READ_BUDGET`]); for tests.
#[cfg(test)]
pub fn read_from(path: &Path) -> anyhow::Result<(Vec<Receipt>, ReadReport)> {
    let mut receipts = Vec::new();
    let report = read_backwards(path, READ_BUDGET, |receipt| {
        receipts.push(receipt);
        ControlFlow::Continue(())
    })?;
    receipts.reverse();
    Ok((receipts, report))
}

/// What [`read_backwards`] hands the receipts to. A closure `FnMut(Receipt) -> ControlFlow<()>`
/// is one that wants every line.
pub trait Visitor {
    /// Whether a line is worth parsing: a cheap look at its text, so a reader that needs few
    /// receipts does not pay for parsing the others. Say `true` when unsure.
    fn wants(&self, _line: &str) -> bool {
        true
    }
    /// Takes a receipt; `Break` ends the read.
    fn visit(&mut self, receipt: Receipt) -> ControlFlow<()>;
}

impl<F: FnMut(Receipt) -> ControlFlow<()>> Visitor for F {
    fn visit(&mut self, receipt: Receipt) -> ControlFlow<()> {
        self(receipt)
    }
}

/// The add-on of a receipt line as this tool writes it (compact JSON, fields in declaration
/// order: it starts with `{"time":"`): `Ok(None)` when it has no `addon` field, `Err(())` when
/// the line is not one of ours or the name is escaped, and only parsing can tell.
pub(crate) fn addon_of_line(line: &str) -> Result<Option<&str>, ()> {
    if !(line.starts_with("{\"time\":\"") && line.ends_with('}')) {
        return Err(());
    }
    let Some(start) = line.find("\"addon\":\"") else {
        return if line.contains("\"addon\"") { Err(()) } else { Ok(None) };
    };
    let rest = &line[start + "\"addon\":\"".len()..];
    match rest.find(['"', '\\']) {
        Some(end) if rest.as_bytes()[end] == b'"' => Ok(Some(&rest[..end])),
        _ => Err(()),
    }
}

/// Hands the receipts of the log at `path` to `visitor`, newest first, until it breaks, the
/// start of the log is reached, or `budget` bytes were read. A missing log is empty; lines that
/// are not receipts are skipped and reported, never fatal.
pub fn read_backwards(path: &Path, budget: u64, mut visitor: impl Visitor) -> anyhow::Result<ReadReport> {
    if path.symlink_metadata().is_err_and(|error| error.kind() == std::io::ErrorKind::NotFound) {
        return Ok(ReadReport::default());
    }
    // The state's one opener: a folder or a link there is refused with the command that sets it
    // aside, as when the log is appended to.
    let file = crate::plan::open_state_file(path, std::fs::OpenOptions::new().read(true))
        .with_context(|| format!("failed to open the receipts log `{}`", path.display()))?;
    let failed = || format!("failed to read the receipts log `{}`", path.display());
    let mut lines = tail::Backwards::new(file, budget).with_context(failed)?;
    // Unreadable lines, newest first: the newest few, and the oldest seen.
    let mut unreadable: Vec<(tail::Line, String)> = Vec::new();
    let mut oldest: Option<(tail::Line, String)> = None;
    let mut count = 0usize;
    while let Some(line) = lines.next_line().with_context(failed)? {
        let text = String::from_utf8_lossy(&line.bytes);
        if text.trim().is_empty() || !visitor.wants(&text) {
            continue;
        }
        match serde_json::from_str::<Receipt>(&text) {
            Ok(receipt) => {
                if visitor.visit(receipt).is_break() {
                    break;
                }
            }
            Err(error) => {
                count += 1;
                let reason = format!("not a receipt ({error})");
                if unreadable.len() < PROBLEMS_LISTED {
                    unreadable.push((line, reason));
                } else {
                    oldest = Some((line, reason));
                }
            }
        }
    }
    let at = |line: &tail::Line| match lines.line_number(line) {
        Some(number) => format!("{}:{number}", path.display()),
        None => format!("{} (byte {})", path.display(), line.offset),
    };
    let mut problems = Vec::new();
    if count > PROBLEMS_LISTED {
        let (line, reason) = oldest.as_ref().unwrap_or(&unreadable[PROBLEMS_LISTED - 1]);
        let first = match lines.line_number(line) {
            Some(number) => format!("line {number}"),
            None => format!("byte {}", line.offset),
        };
        problems.push(format!(
            "{}: {} lines could not be read and were skipped (first at {first}: {reason})",
            path.display(),
            tail::thousands(count)
        ));
    } else {
        problems.extend(unreadable.iter().rev().map(|(line, reason)| format!("{}: {reason}, skipped", at(line))));
    }
    match lines.tail() {
        tail::Tail::Clean => {}
        tail::Tail::Unterminated { offset, .. } => {
            let at = match lines.reached_start() {
                true => format!("{}:{}", path.display(), lines.lines_read() + 1),
                false => format!("{} (byte {offset})", path.display()),
            };
            problems.push(format!("{at}: torn last line (an interrupted write), ignored"));
        }
        tail::Tail::TooLong { scanned } => problems
            .push(format!("{}: the last {scanned} bytes hold no newline (not a receipt), ignored", path.display())),
    }
    Ok(ReadReport { problems, stopped_at_budget: lines.stopped_by_budget() })
}

pub fn now_unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Formats Unix seconds as RFC 3339 UTC without a date-time dependency.
pub fn rfc3339(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let seconds_of_day = unix_seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60,
        seconds_of_day % 60
    )
}

/// Today's date, `YYYY-MM-DD`, for documents.
pub fn today() -> String {
    rfc3339(now_unix_ms() / 1000)[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_510_889), "2026-11-24T09:01:29Z");
    }

    #[test]
    fn torn_last_line_is_ignored_and_garbage_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.jsonl");
        append_to(&path, &Receipt::new("new-addon", Kind::StateChange, "created")).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"time\": \"20").unwrap();
        let (receipts, report) = read_from(&path).unwrap();
        assert_eq!(receipts.len(), 1);
        assert_eq!(report.problems.len(), 1);
        assert!(report.problems[0].contains(":2: torn last line"), "{report:?}");

        // The next append starts on a fresh line, so the torn one never swallows it.
        append_to(&path, &Receipt::new("pre-pr", Kind::Job, "verified")).unwrap();
        let (receipts, report) = read_from(&path).unwrap();
        assert_eq!(receipts.iter().map(|r| r.command.as_str()).collect::<Vec<_>>(), ["new-addon", "pre-pr"]);
        assert!(report.problems[0].contains(":2: not a receipt"), "{report:?}");
    }

    /// A kind written by a newer xtask is read as `Unknown` and serializes back unchanged.
    #[test]
    fn unknown_kinds_round_trip_unchanged() {
        let line = r#"{"time":"2026-11-24T08:00:00Z","unix_ms":1,"command":"undo","kind":"rollback","message":"m"}"#;
        let receipt: Receipt = serde_json::from_str(line).unwrap();
        assert_eq!(receipt.kind, Kind::Unknown("rollback".into()));
        assert_eq!(serde_json::to_string(&receipt).unwrap(), line);
        for kind in [Kind::StateChange, Kind::Job, Kind::Failure, Kind::Skipped] {
            assert_eq!(Kind::from(kind.as_str().to_string()), kind);
        }
    }

    /// Up to three bad lines are listed one by one, more in one line with the count and the
    /// first; reading stops when the visitor has what it needs.
    #[test]
    fn problems_are_summarised_and_reading_stops_early() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.jsonl");
        append_to(&path, &Receipt::new("check", Kind::Job, "first")).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&b"bad\n".repeat(3)).unwrap();
        let (_, report) = read_from(&path).unwrap();
        assert_eq!(report.problems.len(), 3, "{report:?}");
        assert!(report.problems[0].contains(":2: not a receipt"), "{report:?}");
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&b"bad\n".repeat(2000)).unwrap();
        append_to(&path, &Receipt::new("check", Kind::Job, "last")).unwrap();
        let (receipts, report) = read_from(&path).unwrap();
        assert_eq!(receipts.len(), 2);
        assert_eq!(report.problems.len(), 1, "{report:?}");
        assert!(report.problems[0].ends_with(
            "2,003 lines could not be read and were skipped (first at line 2: not a receipt (expected value at line 1 column 1))"
        ), "{report:?}");
        let mut seen = 0;
        let report = read_backwards(&path, READ_BUDGET, |_: Receipt| {
            seen += 1;
            ControlFlow::Break(())
        })
        .unwrap();
        assert_eq!((seen, report.problems.len()), (1, 0), "{report:?}");
    }

    /// The cheap look at a line finds the add-on of our own lines and defers to the parser for
    /// anything else, so a line is never skipped by mistake.
    #[test]
    fn addon_of_line_reads_our_lines_and_defers_otherwise() {
        let ours = serde_json::to_string(&Receipt::new("pre-pr", Kind::Failure, "m").addon("Scheduler")).unwrap();
        assert_eq!(addon_of_line(&ours), Ok(Some("Scheduler")));
        let none = serde_json::to_string(&Receipt::new("check", Kind::Job, "the \"addon\":\"X\" text")).unwrap();
        assert_eq!(addon_of_line(&none), Ok(None));
        assert_eq!(addon_of_line(r#"{"time":"t","addon": "Spaced"}"#), Err(()));
        assert_eq!(addon_of_line("garbage"), Err(()));
    }

    #[test]
    fn missing_log_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let (receipts, report) = read_from(&dir.path().join("none.jsonl")).unwrap();
        assert!(receipts.is_empty() && report.problems.is_empty());
    }
}
