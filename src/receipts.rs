//! Receipts: the append-only JSON Lines record of every state change, job execution, failure and
//! skipped action (SOP 6.2). [`JsonLinesLog`] is the durable log (one line per receipt, written
//! whole, flushed and `sync_data`'d); [`MemorySink`] is the in-memory twin for unit tests.
//!
//! Only a line without its trailing newline is torn. A complete line is never removed or
//! rewritten, whatever it holds: a receipt of a kind this version does not know is read as
//! [`ReceiptKind::Unknown`] and keeps its name ([`Receipt::unknown_kind`]), and a line that is not a receipt at all is
//! skipped by readers and counted ([`UnreadableLines`]), never one message per line.
//!
//! Opening the log for appending reads only its end ([`tail`]): its cost does not grow with the
//! log. A torn last line is kept as it is, and the next receipt starts on a fresh line, so no
//! byte ever written is destroyed (not even by a second process that opens the log while the
//! first is writing). This module must not rewrite or reorder receipts.

pub mod tail;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// How far back [`JsonLinesLog::open`] looks for the start of an unterminated last line, to
/// describe it; the repair (a newline) is the same whatever its length.
pub const TORN_LINE_SCAN: u64 = 1 << 20;

/// What a receipt records.
///
/// Serialized as its snake_case name. A name this version does not know (written by a newer
/// runtime) is [`ReceiptKind::Unknown`]; the name itself is kept in [`Receipt::unknown_kind`], so
/// the receipt serializes back unchanged. The enum stays `Copy`: every add-on matches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptKind {
    /// An add-on changed state (started, degraded, recovered, stopped).
    StateChange,
    /// A job ran (a health check, a scheduled task).
    Job,
    /// Something failed.
    Failure,
    /// An action was not taken, with the reason (e.g. the add-on's flag is off).
    Skipped,
    /// A kind this version does not know; its name is in [`Receipt::unknown_kind`].
    Unknown,
}

impl ReceiptKind {
    /// The name used in the log, e.g. `state_change` (`unknown` for [`ReceiptKind::Unknown`]).
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::StateChange => "state_change",
            ReceiptKind::Job => "job",
            ReceiptKind::Failure => "failure",
            ReceiptKind::Skipped => "skipped",
            ReceiptKind::Unknown => "unknown",
        }
    }

    /// The kind a name stands for.
    pub fn from_name(name: &str) -> ReceiptKind {
        match name {
            "state_change" => ReceiptKind::StateChange,
            "job" => ReceiptKind::Job,
            "failure" => ReceiptKind::Failure,
            "skipped" => ReceiptKind::Skipped,
            _ => ReceiptKind::Unknown,
        }
    }
}

impl Serialize for ReceiptKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReceiptKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ReceiptKind, D::Error> {
        String::deserialize(deserializer).map(|name| ReceiptKind::from_name(&name))
    }
}

/// One line of the receipts log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "ReceiptLine", into = "ReceiptLine")]
pub struct Receipt {
    /// Milliseconds since the Unix epoch, from the host's clock.
    pub timestamp_ms: u64,
    /// The add-on's snake_case name, e.g. `health_monitor`.
    pub addon: String,
    /// What kind of event this is.
    pub kind: ReceiptKind,
    /// What happened, or why it was skipped.
    pub message: String,
    /// Structured detail, when there is any.
    pub detail: Option<serde_json::Value>,
    /// The kind's name as written, when `kind` is [`ReceiptKind::Unknown`] (else `None`).
    pub unknown_kind: Option<String>,
}

impl Receipt {
    /// The kind's name as written in the log: `rollback` for an unknown kind named so.
    pub fn kind_name(&self) -> &str {
        match (self.kind, &self.unknown_kind) {
            (ReceiptKind::Unknown, Some(name)) => name,
            (kind, _) => kind.as_str(),
        }
    }
}

/// A receipt as the log spells it: the kind by name.
#[derive(Serialize, Deserialize)]
struct ReceiptLine {
    timestamp_ms: u64,
    addon: String,
    kind: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<serde_json::Value>,
}

impl From<ReceiptLine> for Receipt {
    fn from(line: ReceiptLine) -> Receipt {
        let kind = ReceiptKind::from_name(&line.kind);
        Receipt {
            timestamp_ms: line.timestamp_ms,
            addon: line.addon,
            kind,
            message: line.message,
            detail: line.detail,
            unknown_kind: (kind == ReceiptKind::Unknown).then_some(line.kind),
        }
    }
}

impl From<Receipt> for ReceiptLine {
    fn from(receipt: Receipt) -> ReceiptLine {
        ReceiptLine {
            kind: receipt.kind_name().to_string(),
            timestamp_ms: receipt.timestamp_ms,
            addon: receipt.addon,
            message: receipt.message,
            detail: receipt.detail,
        }
    }
}

/// Where receipts go.
pub trait ReceiptSink {
    /// Appends one receipt durably; returns only once it is stored.
    fn append(&mut self, receipt: &Receipt) -> Result<(), Error>;
    /// Fails when the next append would fail (used by health checks).
    fn check_writable(&self) -> Result<(), Error>;
    /// Where the receipts are, for people: a path, or `memory`.
    fn location(&self) -> String;
}

/// A last line without its trailing newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornLine {
    /// The byte offset where it starts (where the search stopped, for [`TornKind::TooLong`]).
    pub offset: u64,
    /// Its length in bytes (at least this, for [`TornKind::TooLong`]).
    pub length: u64,
    /// What it holds.
    pub kind: TornKind,
}

/// What an unterminated last line holds; [`JsonLinesLog::open`] keeps it in every case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TornKind {
    /// A write that was interrupted: not a JSON object, with the parser's reason.
    Interrupted(String),
    /// A whole JSON object whose newline was never written.
    MissingNewline,
    /// More than [`TORN_LINE_SCAN`] bytes without a newline: not an interrupted receipt.
    TooLong,
}

/// Complete lines that are not receipts: how many, and the first of them. One summary, never a
/// message per line (a log of garbage has millions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnreadableLines {
    /// How many.
    pub count: usize,
    /// The first one: its 1-based line number and why it is not a receipt.
    pub first: Option<(usize, String)>,
}

impl UnreadableLines {
    fn add(&mut self, line: usize, reason: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((line, reason()));
        }
    }

    /// One line for people, e.g. `1,000,000 lines could not be read (first at line 3: …)`;
    /// `None` when every line was read.
    pub fn summary(&self) -> Option<String> {
        let (line, reason) = self.first.as_ref()?;
        let count = match self.count {
            1 => "1 line".to_string(),
            count => format!("{} lines", tail::thousands(count)),
        };
        Some(format!("{count} could not be read (first at line {line}: {reason})"))
    }
}

/// The receipts of a log, what could not be read, and the torn last line if there was one.
#[derive(Debug, Clone, PartialEq)]
pub struct LogContents {
    /// Every complete receipt, in order (unknown kinds included).
    pub receipts: Vec<Receipt>,
    /// Complete lines that are not receipts (blank lines are not counted).
    pub unreadable: UnreadableLines,
    /// The last line, when it has no trailing newline.
    pub torn_tail: Option<TornLine>,
}

/// Reads the whole receipts log at `path`, for tools and tests; the runtime itself never does
/// (see [`JsonLinesLog::open`]).
pub fn read_log(path: &Path) -> Result<LogContents, Error> {
    let bytes = std::fs::read(path).map_err(|error| Error::io("read the receipts log", path, error))?;
    Ok(parse_log(&bytes))
}

/// Parses the bytes of a receipts log. Never fails: a line that is not a receipt is counted in
/// [`LogContents::unreadable`], and a last line without its newline is [`LogContents::torn_tail`].
pub fn parse_log(bytes: &[u8]) -> LogContents {
    let mut receipts = Vec::new();
    let mut unreadable = UnreadableLines::default();
    let mut offset = 0usize;
    let mut line = 0usize;
    while offset < bytes.len() {
        line += 1;
        let Some(end) = bytes[offset..].iter().position(|&b| b == b'\n') else {
            let tail = &bytes[offset..];
            let torn = TornLine { offset: offset as u64, length: tail.len() as u64, kind: torn_kind(tail) };
            return LogContents { receipts, unreadable, torn_tail: Some(torn) };
        };
        let content = &bytes[offset..offset + end];
        if !content.iter().all(u8::is_ascii_whitespace) {
            match parse_receipt(content) {
                Ok(receipt) => receipts.push(receipt),
                Err(reason) => unreadable.add(line, || reason),
            }
        }
        offset += end + 1;
    }
    LogContents { receipts, unreadable, torn_tail: None }
}

/// Parses one complete line.
pub fn parse_receipt(content: &[u8]) -> Result<Receipt, String> {
    let text = std::str::from_utf8(content).map_err(|_| "it is not UTF-8".to_string())?;
    serde_json::from_str(text).map_err(|error| format!("it is not a receipt ({error})"))
}

fn torn_kind(tail: &[u8]) -> TornKind {
    match serde_json::from_slice::<serde_json::Value>(tail) {
        Ok(value) if value.is_object() => TornKind::MissingNewline,
        Ok(_) => TornKind::Interrupted("it is not a JSON object".to_string()),
        Err(error) => TornKind::Interrupted(error.to_string()),
    }
}

/// Opens the log at `path` for appending, creating it and its directory if needed.
fn open_for_append(path: &Path) -> Result<File, Error> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| Error::io("create the directory", parent, error))?;
    }
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|error| Error::io("open the receipts log", path, error))
}

/// The durable receipts log: a JSON Lines file opened for appending.
#[derive(Debug)]
pub struct JsonLinesLog {
    path: PathBuf,
    file: File,
}

impl JsonLinesLog {
    /// Opens (creating it and its directory if needed) the log at `path` for appending.
    ///
    /// Only the end of the log is read, so opening costs the same for any size. A last line
    /// without its newline is kept, a newline is added after it so the next receipt starts on a
    /// fresh line, and it is returned so the caller can report it. Nothing else is checked:
    /// the runtime only appends, and readers skip lines they cannot read.
    pub fn open(path: &Path) -> Result<(JsonLinesLog, Option<TornLine>), Error> {
        let mut file = open_for_append(path)?;
        let read_error = |error| Error::io("read the receipts log", path, error);
        let length = file.metadata().map_err(read_error)?.len();
        let torn = match tail::Backwards::new(&mut file, TORN_LINE_SCAN).map_err(read_error)?.tail() {
            tail::Tail::Clean => None,
            tail::Tail::Unterminated { offset, bytes } => {
                Some(TornLine { offset: *offset, length: bytes.len() as u64, kind: torn_kind(bytes) })
            }
            tail::Tail::TooLong { scanned } => {
                Some(TornLine { offset: length - scanned, length: *scanned, kind: TornKind::TooLong })
            }
        };
        if torn.is_some() {
            let terminate = |file: &mut File| {
                file.write_all(b"\n")?;
                file.sync_data()
            };
            terminate(&mut file).map_err(|error| Error::io("end the last line of", path, error))?;
        }
        Ok((JsonLinesLog { path: path.to_path_buf(), file }, torn))
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reopens the log by its path when the file the handle holds is no longer there: deleted,
    /// or replaced (`rm` + `touch`, a log rotation in `create` mode). Appending to the old handle
    /// would write every later receipt into a file nobody can read. One `stat` per append.
    fn reopen_if_replaced(&mut self) -> Result<(), Error> {
        if self.still_at_path() {
            return Ok(());
        }
        let (log, _torn) = JsonLinesLog::open(&self.path)?;
        *self = log;
        Ok(())
    }

    /// Whether the path still names the file the handle holds (same device and inode).
    #[cfg(unix)]
    fn still_at_path(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (self.file.metadata(), std::fs::metadata(&self.path)) {
            (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
            // The path is gone (or unreadable): reopening creates it, or reports why it cannot.
            _ => false,
        }
    }

    /// Windows does not delete or rename a file another process holds open for writing.
    #[cfg(not(unix))]
    fn still_at_path(&self) -> bool {
        true
    }
}

impl ReceiptSink for JsonLinesLog {
    fn append(&mut self, receipt: &Receipt) -> Result<(), Error> {
        let mut line = serde_json::to_vec(receipt)
            .map_err(|error| Error::Encoding { what: "a receipt", reason: error.to_string() })?;
        line.push(b'\n');
        self.reopen_if_replaced()?;
        // One write of the whole line, so a crash tears at most the last line.
        let append = |file: &mut File| {
            file.write_all(&line)?;
            file.flush()?;
            file.sync_data()
        };
        append(&mut self.file).map_err(|error| Error::io("append to the receipts log", &self.path, error))
    }

    fn check_writable(&self) -> Result<(), Error> {
        // Opening by path, as the next append does when the log was replaced or deleted,
        // notices a log (or directory) made read-only or replaced by something not a file. A
        // deleted log is created again, as the next append would.
        open_for_append(&self.path).map(drop)
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

/// An in-memory receipt sink for unit tests. Clones share the same receipts, so a test keeps one
/// clone and gives another to the host. Writes can be made to fail with [`MemorySink::fail_writes`].
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    receipts: Arc<Mutex<Vec<Receipt>>>,
    failure: Arc<Mutex<Option<String>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// A copy of every receipt appended so far.
    pub fn receipts(&self) -> Vec<Receipt> {
        self.receipts.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Makes every later append (and writability check) fail with `reason`; `None` heals it.
    pub fn fail_writes(&self, reason: Option<&str>) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = reason.map(str::to_string);
    }

    fn failure(&self) -> Result<(), Error> {
        match &*self.failure.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(reason) => Err(Error::SinkRejected { reason: reason.clone() }),
            None => Ok(()),
        }
    }
}

impl ReceiptSink for MemorySink {
    fn append(&mut self, receipt: &Receipt) -> Result<(), Error> {
        self.failure()?;
        self.receipts.lock().unwrap_or_else(PoisonError::into_inner).push(receipt.clone());
        Ok(())
    }

    fn check_writable(&self) -> Result<(), Error> {
        self.failure()
    }

    fn location(&self) -> String {
        "memory".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(timestamp_ms: u64, kind: ReceiptKind) -> Receipt {
        Receipt {
            timestamp_ms,
            addon: "health_monitor".into(),
            kind,
            message: format!("event {timestamp_ms}"),
            detail: None,
            unknown_kind: None,
        }
    }

    fn line(receipt: &Receipt) -> String {
        format!("{}\n", serde_json::to_string(receipt).unwrap())
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let unique = format!("lancelot-receipts-{name}-{}-{:?}", std::process::id(), std::thread::current().id());
            let path = std::env::temp_dir().join(unique.replace(['(', ')'], ""));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn receipts_serialize_with_snake_case_kinds_and_optional_detail() {
        let mut with_detail = receipt(5, ReceiptKind::StateChange);
        assert_eq!(
            serde_json::to_string(&with_detail).unwrap(),
            r#"{"timestamp_ms":5,"addon":"health_monitor","kind":"state_change","message":"event 5"}"#
        );
        with_detail.detail = Some(serde_json::json!({ "check": "x" }));
        let text = serde_json::to_string(&with_detail).unwrap();
        assert!(text.ends_with(r#""detail":{"check":"x"}}"#), "{text}");
        assert_eq!(serde_json::from_str::<Receipt>(&text).unwrap(), with_detail);
        for kind in [ReceiptKind::StateChange, ReceiptKind::Job, ReceiptKind::Failure, ReceiptKind::Skipped] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    /// A receipt of a kind a newer runtime writes is read as `Unknown` with its name, and
    /// serializes back to exactly the line it came from.
    #[test]
    fn an_unknown_kind_is_kept_and_round_trips_unchanged() {
        let text = r#"{"timestamp_ms":9,"addon":"scheduler","kind":"rollback","message":"undone"}"#;
        let receipt: Receipt = serde_json::from_str(text).unwrap();
        assert_eq!((receipt.kind, receipt.kind_name()), (ReceiptKind::Unknown, "rollback"));
        assert_eq!(serde_json::to_string(&receipt).unwrap(), text);
    }

    #[test]
    fn a_clean_log_parses_every_line() {
        let text = line(&receipt(1, ReceiptKind::Job)) + &line(&receipt(2, ReceiptKind::Failure));
        let contents = parse_log(text.as_bytes());
        assert_eq!(contents.receipts, [receipt(1, ReceiptKind::Job), receipt(2, ReceiptKind::Failure)]);
        assert_eq!((contents.torn_tail, contents.unreadable), (None, UnreadableLines::default()));
        assert_eq!(parse_log(b"").receipts, []);
    }

    #[test]
    fn a_torn_last_line_without_newline_is_skipped_and_reported() {
        let first = line(&receipt(1, ReceiptKind::Job));
        let text = format!("{first}{{\"timestamp_ms\":2,\"addon\":\"heal");
        let contents = parse_log(text.as_bytes());
        assert_eq!(contents.receipts, [receipt(1, ReceiptKind::Job)]);
        let torn = contents.torn_tail.unwrap();
        assert_eq!((torn.offset, torn.length), (first.len() as u64, 31));
        assert!(matches!(torn.kind, TornKind::Interrupted(_)), "{torn:?}");
    }

    /// Defect: a complete last line the runtime could not parse (a newer receipt kind) was
    /// called torn. Now a complete last line is never torn: a newer kind is a receipt, and
    /// anything else is counted as unreadable, not dropped.
    #[test]
    fn a_complete_last_line_is_never_torn() {
        let newer = r#"{"timestamp_ms":2,"addon":"scheduler","kind":"rollback","message":"undone"}"#;
        let text = line(&receipt(1, ReceiptKind::Job)) + newer + "\n";
        let contents = parse_log(text.as_bytes());
        assert_eq!(contents.torn_tail, None);
        assert_eq!(contents.receipts[1].kind_name(), "rollback");
        let text = line(&receipt(1, ReceiptKind::Job)) + "{\"timestamp_ms\":\n";
        let contents = parse_log(text.as_bytes());
        assert_eq!((contents.receipts.len(), contents.torn_tail), (1, None));
        assert_eq!(contents.unreadable.count, 1);
    }

    /// Defect: the runtime stopped at a line it could not parse in the middle of the log. Now
    /// newer kinds are read and garbage is skipped, counted, and summarised in one line.
    #[test]
    fn lines_in_the_middle_that_are_not_receipts_are_skipped_and_summarised() {
        let newer = r#"{"timestamp_ms":2,"addon":"scheduler","kind":"rollback","message":"undone"}"#;
        let text =
            line(&receipt(1, ReceiptKind::Job)) + newer + "\n" + "garbage\n\n" + &line(&receipt(3, ReceiptKind::Job));
        let contents = parse_log(text.as_bytes());
        let times: Vec<u64> = contents.receipts.iter().map(|r| r.timestamp_ms).collect();
        assert_eq!(times, [1, 2, 3]);
        let summary = contents.unreadable.summary().unwrap();
        assert!(summary.starts_with("1 line could not be read (first at line 3: it is not a receipt"), "{summary}");

        let garbage = "\u{0}garbage\n".repeat(1_000_000);
        let contents = parse_log(format!("{}{garbage}", line(&receipt(1, ReceiptKind::Job))).as_bytes());
        let summary = contents.unreadable.summary().unwrap();
        assert!(summary.starts_with("1,000,000 lines could not be read (first at line 2: "), "{summary}");
    }

    #[test]
    fn the_log_appends_durably_and_reads_back() {
        let scratch = Scratch::new("append");
        let path = scratch.0.join("nested/receipts.jsonl");
        let (mut log, torn) = JsonLinesLog::open(&path).unwrap();
        assert_eq!(torn, None);
        log.append(&receipt(1, ReceiptKind::StateChange)).unwrap();
        log.append(&receipt(2, ReceiptKind::Skipped)).unwrap();
        drop(log);
        let (mut log, _) = JsonLinesLog::open(&path).unwrap();
        log.append(&receipt(3, ReceiptKind::Job)).unwrap();
        let contents = read_log(&path).unwrap();
        let times: Vec<u64> = contents.receipts.iter().map(|r| r.timestamp_ms).collect();
        assert_eq!(times, [1, 2, 3]);
        assert_eq!(log.location(), path.display().to_string());
    }

    /// A torn last line is kept byte for byte; the next receipt starts on a fresh line, so the
    /// log reads back with the torn line counted as unreadable and nothing lost.
    #[test]
    fn opening_keeps_a_torn_last_line_and_the_next_append_starts_clean() {
        let scratch = Scratch::new("torn");
        let path = scratch.0.join("receipts.jsonl");
        let first = line(&receipt(1, ReceiptKind::Job));
        let written = format!("{first}{{\"timestamp_ms\":2,");
        std::fs::write(&path, &written).unwrap();
        let (mut log, torn) = JsonLinesLog::open(&path).unwrap();
        let torn = torn.unwrap();
        assert_eq!((torn.offset, torn.length), (first.len() as u64, 18));
        assert!(matches!(torn.kind, TornKind::Interrupted(_)), "{torn:?}");
        log.append(&receipt(3, ReceiptKind::Job)).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with(&written));
        let contents = read_log(&path).unwrap();
        assert_eq!(contents.receipts, [receipt(1, ReceiptKind::Job), receipt(3, ReceiptKind::Job)]);
        assert_eq!((contents.torn_tail, contents.unreadable.count), (None, 1));
        let (_, torn) = JsonLinesLog::open(&path).unwrap();
        assert_eq!(torn, None, "reported once");
    }

    /// Defect: opening deleted a complete last line it could not parse. A whole receipt that
    /// only lacks its newline (of a newer kind, even) is completed instead, and stays readable.
    #[test]
    fn opening_completes_a_last_receipt_that_lacks_only_its_newline() {
        let scratch = Scratch::new("newline");
        let path = scratch.0.join("receipts.jsonl");
        let newer = r#"{"timestamp_ms":2,"addon":"scheduler","kind":"rollback","message":"undone"}"#;
        let written = line(&receipt(1, ReceiptKind::Job)) + newer;
        std::fs::write(&path, &written).unwrap();
        let (mut log, torn) = JsonLinesLog::open(&path).unwrap();
        assert_eq!(torn.map(|torn| torn.kind), Some(TornKind::MissingNewline));
        log.append(&receipt(3, ReceiptKind::Job)).unwrap();
        let contents = read_log(&path).unwrap();
        let kinds: Vec<&str> = contents.receipts.iter().map(Receipt::kind_name).collect();
        assert_eq!(kinds, ["job", "rollback", "job"]);
        assert_eq!(contents.unreadable.count, 0);
    }

    /// Defect: opening read and validated the whole log, so its cost grew with the log and a
    /// bad line anywhere stopped the runtime. Now a log with garbage in it is opened, left
    /// byte-identical, and appended to; and a huge unterminated tail is kept, not cut.
    #[test]
    fn opening_never_rewrites_existing_lines() {
        let scratch = Scratch::new("corrupt");
        let path = scratch.0.join("receipts.jsonl");
        let text = line(&receipt(1, ReceiptKind::Job)) + "not json\n" + &line(&receipt(2, ReceiptKind::Job));
        std::fs::write(&path, &text).unwrap();
        let (mut log, torn) = JsonLinesLog::open(&path).unwrap();
        assert_eq!(torn, None);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        log.append(&receipt(3, ReceiptKind::Job)).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with(&text));

        let huge = "x".repeat(TORN_LINE_SCAN as usize + 10);
        std::fs::write(&path, &huge).unwrap();
        let (_, torn) = JsonLinesLog::open(&path).unwrap();
        let torn = torn.unwrap();
        assert_eq!((torn.kind, torn.length), (TornKind::TooLong, TORN_LINE_SCAN));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), huge + "\n");
    }

    /// Defect (repro-18): after the log was replaced under a running host (`rm` + `touch`, a
    /// log rotation in `create` mode) or deleted, every later receipt went to the deleted file.
    /// Now the append notices and writes to the file the path names.
    #[test]
    fn appends_follow_a_replaced_or_deleted_log() {
        let scratch = Scratch::new("replaced");
        let path = scratch.0.join("receipts.jsonl");
        let (mut log, _) = JsonLinesLog::open(&path).unwrap();
        log.append(&receipt(1, ReceiptKind::Job)).unwrap();
        std::fs::rename(&path, scratch.0.join("receipts.jsonl.1")).unwrap();
        std::fs::write(&path, "").unwrap();
        log.append(&receipt(2, ReceiptKind::Job)).unwrap();
        assert_eq!(read_log(&path).unwrap().receipts, [receipt(2, ReceiptKind::Job)]);
        std::fs::remove_file(&path).unwrap();
        log.append(&receipt(3, ReceiptKind::Job)).unwrap();
        log.append(&receipt(4, ReceiptKind::Job)).unwrap();
        let times: Vec<u64> = read_log(&path).unwrap().receipts.iter().map(|r| r.timestamp_ms).collect();
        assert_eq!(times, [3, 4]);
        let rotated = read_log(&scratch.0.join("receipts.jsonl.1")).unwrap();
        assert_eq!(rotated.receipts, [receipt(1, ReceiptKind::Job)]);
    }

    /// A deleted log is writable (the next append creates it again, and its directory); a log
    /// path taken by something that is not a file is not.
    #[test]
    fn a_log_path_that_is_not_a_file_is_not_writable() {
        let scratch = Scratch::new("deleted");
        let path = scratch.0.join("state/receipts.jsonl");
        let (log, _) = JsonLinesLog::open(&path).unwrap();
        log.check_writable().unwrap();
        std::fs::remove_dir_all(scratch.0.join("state")).unwrap();
        log.check_writable().unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let error = log.check_writable().unwrap_err();
        assert!(error.to_string().starts_with("failed to open the receipts log"), "{error}");
    }

    #[test]
    fn the_memory_sink_shares_receipts_and_can_fail() {
        let sink = MemorySink::new();
        let mut handle = sink.clone();
        handle.append(&receipt(1, ReceiptKind::Job)).unwrap();
        assert_eq!(sink.receipts(), [receipt(1, ReceiptKind::Job)]);
        sink.fail_writes(Some("disk full"));
        assert!(handle.append(&receipt(2, ReceiptKind::Job)).is_err());
        assert!(handle.check_writable().is_err());
        sink.fail_writes(None);
        handle.append(&receipt(3, ReceiptKind::Job)).unwrap();
        assert_eq!(sink.receipts().len(), 2);
    }
}
