//! Receipts: the append-only JSON Lines record of every state change, job execution, failure and
//! skipped action (SOP 6.2). [`JsonLinesLog`] is the durable log (one line per receipt, written
//! whole, flushed and `sync_data`'d); [`MemorySink`] is the in-memory twin for unit tests.
//!
//! Reading tolerates a torn last line (a write interrupted by a crash) and reports it; any other
//! bad line is an error naming its line number. This module must not rewrite or reorder
//! receipts: the only change to existing bytes is cutting off a torn last line before appending.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What a receipt records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// An add-on changed state (started, degraded, recovered, stopped).
    StateChange,
    /// A job ran (a health check, a scheduled task).
    Job,
    /// Something failed.
    Failure,
    /// An action was not taken, with the reason (e.g. the add-on's flag is off).
    Skipped,
}

impl ReceiptKind {
    /// The name used in the log, e.g. `state_change`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::StateChange => "state_change",
            ReceiptKind::Job => "job",
            ReceiptKind::Failure => "failure",
            ReceiptKind::Skipped => "skipped",
        }
    }
}

/// One line of the receipts log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
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

/// A torn last line that reading skipped (and that [`JsonLinesLog::open`] cut off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornLine {
    /// The 1-based line number.
    pub line: usize,
    /// The byte offset where the torn line starts.
    pub offset: u64,
    /// Its length in bytes, newline included.
    pub length: u64,
    /// Why it is not a receipt.
    pub reason: String,
}

/// The receipts of a log, and the torn last line if there was one.
#[derive(Debug, Clone, PartialEq)]
pub struct LogContents {
    /// Every complete receipt, in order.
    pub receipts: Vec<Receipt>,
    /// The skipped torn last line.
    pub torn_tail: Option<TornLine>,
}

/// Reads the receipts log at `path`.
pub fn read_log(path: &Path) -> Result<LogContents, Error> {
    let bytes = std::fs::read(path).map_err(|error| Error::io("read the receipts log", path, error))?;
    parse_log(path, &bytes)
}

/// Parses the bytes of a receipts log; `path` is only used in error messages.
///
/// The last line is torn when it has no trailing newline or is not a receipt; it is skipped and
/// reported in [`LogContents::torn_tail`]. Any earlier line that is not a receipt is an error.
pub fn parse_log(path: &Path, bytes: &[u8]) -> Result<LogContents, Error> {
    let mut receipts = Vec::new();
    let mut offset = 0usize;
    let mut line = 0usize;
    while offset < bytes.len() {
        line += 1;
        let (content, next, complete) = match bytes[offset..].iter().position(|&b| b == b'\n') {
            Some(end) => (&bytes[offset..offset + end], offset + end + 1, true),
            None => (&bytes[offset..], bytes.len(), false),
        };
        let is_last = next == bytes.len();
        let torn = |reason: String| TornLine { line, offset: offset as u64, length: (next - offset) as u64, reason };
        if !complete {
            return Ok(LogContents { receipts, torn_tail: Some(torn("it has no trailing newline".to_string())) });
        }
        match parse_receipt(content) {
            Ok(receipt) => receipts.push(receipt),
            Err(reason) if is_last => return Ok(LogContents { receipts, torn_tail: Some(torn(reason)) }),
            Err(reason) => return Err(Error::CorruptReceipt { path: path.to_path_buf(), line, reason }),
        }
        offset = next;
    }
    Ok(LogContents { receipts, torn_tail: None })
}

fn parse_receipt(content: &[u8]) -> Result<Receipt, String> {
    let text = std::str::from_utf8(content).map_err(|_| "it is not UTF-8".to_string())?;
    if text.trim().is_empty() {
        return Err("it is blank".to_string());
    }
    serde_json::from_str(text).map_err(|error| format!("it is not a receipt ({error})"))
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
    /// The existing log is validated first: a corrupt line in the middle is an error, and a torn
    /// last line is cut off (so the next receipt starts on a fresh line) and returned so the
    /// caller can report it.
    pub fn open(path: &Path) -> Result<(JsonLinesLog, Option<TornLine>), Error> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|error| Error::io("create the directory", parent, error))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|error| Error::io("open the receipts log", path, error))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|error| Error::io("read the receipts log", path, error))?;
        let contents = parse_log(path, &bytes)?;
        if let Some(torn) = &contents.torn_tail {
            file.set_len(torn.offset).map_err(|error| Error::io("cut the torn last line of", path, error))?;
            file.sync_data().map_err(|error| Error::io("sync", path, error))?;
        }
        Ok((JsonLinesLog { path: path.to_path_buf(), file }, contents.torn_tail))
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl ReceiptSink for JsonLinesLog {
    fn append(&mut self, receipt: &Receipt) -> Result<(), Error> {
        let mut line = serde_json::to_vec(receipt)
            .map_err(|error| Error::Encoding { what: "a receipt", reason: error.to_string() })?;
        line.push(b'\n');
        // One write of the whole line, so a crash tears at most the last line.
        let append = |file: &mut File| {
            file.write_all(&line)?;
            file.flush()?;
            file.sync_data()
        };
        append(&mut self.file).map_err(|error| Error::io("append to the receipts log", &self.path, error))
    }

    fn check_writable(&self) -> Result<(), Error> {
        // Reopening by path notices a log that was deleted, replaced or made read-only since it
        // was opened; the handle we hold would keep writing into the void.
        OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map(drop)
            .map_err(|error| Error::io("open the receipts log for appending", &self.path, error))
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

    #[test]
    fn a_clean_log_parses_every_line() {
        let text = line(&receipt(1, ReceiptKind::Job)) + &line(&receipt(2, ReceiptKind::Failure));
        let contents = parse_log(Path::new("r.jsonl"), text.as_bytes()).unwrap();
        assert_eq!(contents.receipts, [receipt(1, ReceiptKind::Job), receipt(2, ReceiptKind::Failure)]);
        assert_eq!(contents.torn_tail, None);
        assert_eq!(parse_log(Path::new("r.jsonl"), b"").unwrap().receipts, []);
    }

    #[test]
    fn a_torn_last_line_without_newline_is_skipped_and_reported() {
        let first = line(&receipt(1, ReceiptKind::Job));
        let text = format!("{first}{{\"timestamp_ms\":2,\"addon\":\"heal");
        let contents = parse_log(Path::new("r.jsonl"), text.as_bytes()).unwrap();
        assert_eq!(contents.receipts, [receipt(1, ReceiptKind::Job)]);
        let torn = contents.torn_tail.unwrap();
        assert_eq!(
            (torn.line, torn.offset, torn.reason.as_str()),
            (2, first.len() as u64, "it has no trailing newline")
        );
    }

    #[test]
    fn an_invalid_last_line_with_newline_is_torn_too() {
        let text = line(&receipt(1, ReceiptKind::Job)) + "{\"timestamp_ms\":\n";
        let contents = parse_log(Path::new("r.jsonl"), text.as_bytes()).unwrap();
        assert_eq!(contents.receipts.len(), 1);
        assert_eq!(contents.torn_tail.map(|torn| torn.line), Some(2));
    }

    #[test]
    fn a_garbage_line_in_the_middle_is_an_error_naming_the_line() {
        let text = line(&receipt(1, ReceiptKind::Job)) + "garbage\n" + &line(&receipt(3, ReceiptKind::Job));
        let error = parse_log(Path::new("state/r.jsonl"), text.as_bytes()).unwrap_err();
        assert!(
            error.to_string().starts_with("receipts log `state/r.jsonl` is corrupt at line 2: it is not a receipt"),
            "{error}"
        );
        assert_eq!(error.exit_code(), crate::error::EXIT_FAILURE);
        let blank_middle = line(&receipt(1, ReceiptKind::Job)) + "\n" + &line(&receipt(3, ReceiptKind::Job));
        let error = parse_log(Path::new("r.jsonl"), blank_middle.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("line 2: it is blank"), "{error}");
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

    #[test]
    fn opening_cuts_a_torn_last_line_so_the_next_append_starts_clean() {
        let scratch = Scratch::new("torn");
        let path = scratch.0.join("receipts.jsonl");
        let first = line(&receipt(1, ReceiptKind::Job));
        std::fs::write(&path, format!("{first}{{\"timestamp_ms\":2,")).unwrap();
        let (mut log, torn) = JsonLinesLog::open(&path).unwrap();
        assert_eq!(torn.map(|torn| torn.line), Some(2));
        log.append(&receipt(3, ReceiptKind::Job)).unwrap();
        let contents = read_log(&path).unwrap();
        assert_eq!(contents.receipts, [receipt(1, ReceiptKind::Job), receipt(3, ReceiptKind::Job)]);
        assert_eq!(contents.torn_tail, None);
    }

    #[test]
    fn opening_a_corrupt_log_fails_and_leaves_it_untouched() {
        let scratch = Scratch::new("corrupt");
        let path = scratch.0.join("receipts.jsonl");
        let text = line(&receipt(1, ReceiptKind::Job)) + "not json\n" + &line(&receipt(2, ReceiptKind::Job));
        std::fs::write(&path, &text).unwrap();
        let error = JsonLinesLog::open(&path).unwrap_err();
        assert!(matches!(error, Error::CorruptReceipt { line: 2, .. }), "{error:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn a_deleted_log_is_not_writable() {
        let scratch = Scratch::new("deleted");
        let path = scratch.0.join("receipts.jsonl");
        let (log, _) = JsonLinesLog::open(&path).unwrap();
        log.check_writable().unwrap();
        std::fs::remove_file(&path).unwrap();
        let error = log.check_writable().unwrap_err();
        assert!(error.to_string().starts_with("failed to open the receipts log for appending"), "{error}");
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
