//! The xtask's receipts (SOP 6.2): an append-only JSON Lines log of every state change, job,
//! failure and skipped action, kept in the clone's git directory (`.git/sop/receipts.jsonl`) so it
//! survives restarts and `cargo clean` and is never committed.
//!
//! Appends write one whole line and `fsync` it. Reading tolerates a torn last line (a crash mid
//! write) and reports garbage lines with their line number instead of failing the command.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::git::Repo;

/// What a receipt records (SOP 6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    StateChange,
    Job,
    Failure,
    Skipped,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::StateChange => "state_change",
            Kind::Job => "job",
            Kind::Failure => "failure",
            Kind::Skipped => "skipped",
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
}

pub fn log_path(repo: &Repo) -> PathBuf {
    repo.sop_dir().join("receipts.jsonl")
}

/// Appends a receipt, filling in the branch and commit from HEAD.
pub fn append(repo: &Repo, mut receipt: Receipt) -> anyhow::Result<()> {
    if let Ok(head) = repo.head() {
        receipt.branch = receipt.branch.or_else(|| head.branch_name().map(str::to_string));
        receipt.commit = receipt.commit.or_else(|| head.commit().map(|oid| oid.to_string()));
    }
    append_to(&log_path(repo), &receipt)
}

pub fn append_to(path: &Path, receipt: &Receipt) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
    }
    let mut line = serde_json::to_string(receipt).context("failed to encode a receipt")?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("failed to open the receipts log `{}`", path.display()))?;
    // A torn line from an earlier crash must not swallow this one: start on a fresh line.
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    if length > 0 && !ends_with_newline(path) {
        line.insert(0, '\n');
    }
    file.write_all(line.as_bytes())
        .with_context(|| format!("failed to write the receipts log `{}`", path.display()))?;
    file.sync_data().with_context(|| format!("failed to sync the receipts log `{}`", path.display()))?;
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
    /// Lines that are not receipts, as `line N: reason`; the torn last line is among them.
    pub problems: Vec<String>,
}

/// Reads every receipt, oldest first. A missing log is empty; bad lines are reported, not fatal.
pub fn read(repo: &Repo) -> anyhow::Result<(Vec<Receipt>, ReadReport)> {
    read_from(&log_path(repo))
}

pub fn read_from(path: &Path) -> anyhow::Result<(Vec<Receipt>, ReadReport)> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(error) => {
            return Err(error).with_context(|| format!("failed to read the receipts log `{}`", path.display()))
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut receipts = Vec::with_capacity(lines.len());
    let mut report = ReadReport::default();
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Receipt>(line) {
            Ok(receipt) => receipts.push(receipt),
            Err(_) if index + 1 == lines.len() && !complete => report.problems.push(format!(
                "{}:{}: torn last line (an interrupted write), ignored",
                path.display(),
                index + 1
            )),
            Err(error) => {
                report.problems.push(format!("{}:{}: not a receipt ({error}), skipped", path.display(), index + 1))
            }
        }
    }
    Ok((receipts, report))
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

    #[test]
    fn missing_log_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let (receipts, report) = read_from(&dir.path().join("none.jsonl")).unwrap();
        assert!(receipts.is_empty() && report.problems.is_empty());
    }
}
