//! Persistent state (SOP 6.1): versioned JSON documents under the state directory, written
//! atomically and read back without ever dropping one silently.
//!
//! Every document is an envelope `{"version": N, "saved_at_ms": T, "data": …}`. A write goes to
//! a hidden temporary sibling, is fsynced, renamed over the old file, and the directory is
//! fsynced (on Unix), so a crash leaves the old document or the new one, never half of one. A
//! document that cannot be read (not JSON, not an envelope) or that a newer runtime wrote (a
//! version above the reader's) is renamed aside (`<file>.corrupt-<ms>` or
//! `<file>.v<N>-<ms>`), reported as a [`Warning`], and the caller starts fresh.
//!
//! The [`StateStore`] gives each add-on one slot, `<state dir>/state/<addon>.json`; the host's
//! own documents (`war_room.json`, `ready.json`) use [`write_document`] and [`read_document`]
//! directly. This module must not interpret what a slot holds; add-ons do.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Warning};

/// The folder of the add-on slots inside the state directory.
pub const SLOTS_DIR: &str = "state";

/// The envelope every document is stored in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Envelope<T> {
    version: u32,
    saved_at_ms: u64,
    data: T,
}

/// What reading a document found.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<T> {
    /// There is no document.
    Missing,
    /// The document, of a version the reader knows.
    Found {
        /// The version it was written with (≤ the reader's).
        version: u32,
        /// When it was saved (ms since the epoch).
        saved_at_ms: u64,
        /// What it holds.
        data: T,
    },
    /// It could not be used and was renamed aside; the warning says where and why.
    KeptAside(Warning),
    /// A newer runtime wrote it, and a read-only reader ([`peek_document`]) left it where it
    /// is; the warning says so.
    LeftInPlace(Warning),
}

/// Writes `data` as version `version` of the document at `path`, atomically and durably.
pub fn write_document<T: Serialize>(path: &Path, version: u32, saved_at_ms: u64, data: &T) -> Result<(), Error> {
    let text = serde_json::to_vec_pretty(&Envelope { version, saved_at_ms, data })
        .map_err(|error| Error::Encoding { what: "a state document", reason: error.to_string() })?;
    write_atomically(path, &text)
}

/// Reads the document at `path`, written by a version up to `known_version`. A document that
/// is unreadable or newer is renamed aside and reported; only failing to rename it is an error.
pub fn read_document<T: for<'de> Deserialize<'de>>(
    path: &Path,
    known_version: u32,
    now_ms: u64,
) -> Result<Read<T>, Error> {
    match inspect(path, known_version)? {
        Inspected::Usable(read) => Ok(read),
        Inspected::Unusable { label, reason } => keep_aside(path, &label, &reason, now_ms).map(Read::KeptAside),
    }
}

/// Reads the document at `path` as [`read_document`] does, for a command that only reads
/// (`status`), except that a document a newer runtime wrote is left where it is
/// ([`Read::LeftInPlace`]): a newer host may be running on it right now. An unreadable one is
/// kept aside as [`read_document`] does (no version of the runtime can use it).
pub fn peek_document<T: for<'de> Deserialize<'de>>(
    path: &Path,
    known_version: u32,
    now_ms: u64,
) -> Result<Read<T>, Error> {
    match inspect(path, known_version)? {
        Inspected::Usable(read) => Ok(read),
        Inspected::Unusable { label, reason } if label.starts_with('v') => Ok(Read::LeftInPlace(Warning {
            message: format!("`{}` was not used: {reason}; left it in place", path.display()),
            hint: "a newer runtime ran here: use its `cargo run -- status`; a `run` or `onboard` of this version would keep the file aside and start fresh".to_string(),
        })),
        Inspected::Unusable { label, reason } => keep_aside(path, &label, &reason, now_ms).map(Read::KeptAside),
    }
}

/// What a document holds, before anything is done about an unusable one.
enum Inspected<T> {
    Usable(Read<T>),
    /// Not usable: the label it is kept aside under (`corrupt`, `v<N>`), and why.
    Unusable {
        label: String,
        reason: String,
    },
}

fn inspect<T: for<'de> Deserialize<'de>>(path: &Path, known_version: u32) -> Result<Inspected<T>, Error> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Inspected::Usable(Read::Missing)),
        Err(error) => return Err(Error::io("read the state document", path, error)),
    };
    let unusable = |label: &str, reason: String| Ok(Inspected::Unusable { label: label.to_string(), reason });
    let version = match serde_json::from_slice::<Envelope<serde_json::Value>>(&bytes) {
        Err(error) => return unusable("corrupt", format!("it is not a state document: {error}")),
        Ok(envelope) => envelope.version,
    };
    if version > known_version {
        let reason = format!("a newer runtime wrote it (version {version}; this one reads up to {known_version})");
        return unusable(&format!("v{version}"), reason);
    }
    match serde_json::from_slice::<Envelope<T>>(&bytes) {
        Ok(envelope) => {
            Ok(Inspected::Usable(Read::Found { version, saved_at_ms: envelope.saved_at_ms, data: envelope.data }))
        }
        Err(error) => unusable("corrupt", format!("its data cannot be read: {error}")),
    }
}

/// Renames `path` to `<path>.<label>-<now_ms>` and says so.
pub fn keep_aside(path: &Path, label: &str, reason: &str, now_ms: u64) -> Result<Warning, Error> {
    let mut aside = path.as_os_str().to_os_string();
    aside.push(format!(".{label}-{now_ms}"));
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside).map_err(|error| Error::io("move the unusable state document aside", path, error))?;
    Ok(Warning {
        message: format!("`{}` was kept aside as `{}`: {reason}; started fresh", path.display(), aside.display()),
        hint: format!("nothing was deleted; inspect it, and remove it once recovered: rm {}", aside.display()),
    })
}

/// Writes `bytes` to `path` through a temporary sibling, fsync and rename, then fsyncs the
/// directory, creating it if needed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|error| Error::io("create the state directory", dir, error))?;
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = |file: &mut File| {
        file.write_all(bytes)?;
        file.sync_all()
    };
    let written = File::create(&temporary).and_then(|mut file| write(&mut file));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        // The target's name, not the pid-named temporary one: that is what people look for.
        return Err(Error::io("write the state document", path, error));
    }
    if let Err(error) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(Error::io("replace the state document", path, error));
    }
    sync_directory(dir)
}

#[cfg(unix)]
fn sync_directory(dir: &Path) -> Result<(), Error> {
    File::open(dir).and_then(|dir| dir.sync_all()).map_err(|error| Error::io("sync the state directory", dir, error))
}

#[cfg(not(unix))]
fn sync_directory(_dir: &Path) -> Result<(), Error> {
    // Windows cannot open a directory as a file; `rename` there is already metadata-durable.
    Ok(())
}

/// The add-ons' state slots: one versioned document per add-on under `<state dir>/state/`. A
/// slot is written only when its data changed since it was last read or written.
#[derive(Debug)]
pub struct StateStore {
    dir: PathBuf,
    written: HashMap<String, Vec<u8>>,
}

impl StateStore {
    /// The slots under `state_dir` (the folder is created at the first write).
    pub fn new(state_dir: &Path) -> StateStore {
        StateStore { dir: state_dir.join(SLOTS_DIR), written: HashMap::new() }
    }

    /// The file of `addon`'s slot.
    pub fn path(&self, addon: &str) -> PathBuf {
        self.dir.join(format!("{addon}.json"))
    }

    /// Reads `addon`'s slot, written by a version up to `known_version`.
    pub fn load(&mut self, addon: &str, known_version: u32, now_ms: u64) -> Result<Read<serde_json::Value>, Error> {
        let read = read_document::<serde_json::Value>(&self.path(addon), known_version, now_ms)?;
        if let Read::Found { data, .. } = &read {
            self.written.insert(addon.to_string(), serde_json::to_vec(data).unwrap_or_default());
        }
        Ok(read)
    }

    /// Saves `data` as version `version` of `addon`'s slot unless it is what the slot holds.
    /// Returns whether it wrote.
    pub fn save(&mut self, addon: &str, version: u32, data: &serde_json::Value, now_ms: u64) -> Result<bool, Error> {
        let bytes = serde_json::to_vec(data)
            .map_err(|error| Error::Encoding { what: "an add-on's state", reason: error.to_string() })?;
        if self.written.get(addon) == Some(&bytes) {
            return Ok(false);
        }
        write_document(&self.path(addon), version, now_ms, data)?;
        self.written.insert(addon.to_string(), bytes);
        Ok(true)
    }

    /// Renames `addon`'s slot aside because the add-on could not restore it.
    pub fn keep_aside(&mut self, addon: &str, reason: &str, now_ms: u64) -> Result<Warning, Error> {
        self.written.remove(addon);
        keep_aside(&self.path(addon), "corrupt", reason, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    /// Defect (repro-13): `status` of an older build renamed a newer host's documents aside,
    /// un-READYing it. A read-only peek leaves an unusable document where it is and says why.
    #[test]
    fn peeking_never_moves_an_unusable_document() {
        let dir = scratch();
        let path = dir.path().join("doc.json");
        std::fs::write(&path, r#"{"version": 2, "saved_at_ms": 1, "data": {}}"#).unwrap();
        let Read::LeftInPlace(warning) = peek_document::<serde_json::Value>(&path, 1, 6).unwrap() else {
            panic!("a newer document is left in place")
        };
        assert!(
            warning.message.contains("a newer runtime wrote it (version 2; this one reads up to 1)"),
            "{warning:?}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing was renamed");
        write_document(&path, 1, 5, &serde_json::json!(3)).unwrap();
        let read = peek_document::<serde_json::Value>(&path, 1, 6).unwrap();
        assert_eq!(read, Read::Found { version: 1, saved_at_ms: 5, data: serde_json::json!(3) });
    }

    #[test]
    fn a_document_round_trips_and_replaces_the_old_one_whole() {
        let dir = scratch();
        let path = dir.path().join("nested/doc.json");
        write_document(&path, 1, 5, &serde_json::json!({ "n": 1 })).unwrap();
        write_document(&path, 1, 6, &serde_json::json!({ "n": 2 })).unwrap();
        let read: Read<serde_json::Value> = read_document(&path, 1, 7).unwrap();
        assert_eq!(read, Read::Found { version: 1, saved_at_ms: 6, data: serde_json::json!({ "n": 2 }) });
        let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["doc.json"], "no temporary is left behind");
        assert_eq!(read_document::<serde_json::Value>(&dir.path().join("none.json"), 1, 0).unwrap(), Read::Missing);
    }

    #[test]
    fn a_corrupt_document_is_kept_aside_and_reported() {
        let dir = scratch();
        let path = dir.path().join("doc.json");
        std::fs::write(&path, "{\"version\":1,\"saved_").unwrap();
        let Read::KeptAside(warning) = read_document::<serde_json::Value>(&path, 1, 42).unwrap() else {
            panic!("kept aside")
        };
        assert!(warning.message.contains("doc.json.corrupt-42"), "{}", warning.message);
        assert!(warning.message.contains("it is not a state document"), "{}", warning.message);
        assert!(!path.exists());
        assert_eq!(std::fs::read_to_string(dir.path().join("doc.json.corrupt-42")).unwrap(), "{\"version\":1,\"saved_");
    }

    #[test]
    fn a_newer_document_is_kept_aside_not_misread() {
        let dir = scratch();
        let path = dir.path().join("doc.json");
        write_document(&path, 3, 1, &serde_json::json!({ "shape": "new" })).unwrap();
        let Read::KeptAside(warning) = read_document::<serde_json::Value>(&path, 2, 9).unwrap() else {
            panic!("kept aside")
        };
        assert!(warning.message.contains("a newer runtime wrote it (version 3; this one reads up to 2)"));
        assert!(dir.path().join("doc.json.v3-9").is_file());
    }

    #[test]
    fn data_of_the_wrong_shape_is_corrupt() {
        let dir = scratch();
        let path = dir.path().join("doc.json");
        write_document(&path, 1, 1, &"text").unwrap();
        let read = read_document::<Vec<u32>>(&path, 1, 2).unwrap();
        assert!(matches!(read, Read::KeptAside(ref w) if w.message.contains("its data cannot be read")), "{read:?}");
    }

    #[test]
    fn the_store_writes_a_slot_only_when_it_changed() {
        let dir = scratch();
        let mut store = StateStore::new(dir.path());
        let data = serde_json::json!({ "runs": 1 });
        assert!(store.save("scheduler", 1, &data, 1).unwrap());
        assert!(!store.save("scheduler", 1, &data, 2).unwrap());
        let mut reopened = StateStore::new(dir.path());
        let read = reopened.load("scheduler", 1, 3).unwrap();
        assert_eq!(read, Read::Found { version: 1, saved_at_ms: 1, data: data.clone() });
        assert!(!reopened.save("scheduler", 1, &data, 4).unwrap(), "what was read is not written back");
        let warning = reopened.keep_aside("scheduler", "the add-on refused it", 5).unwrap();
        assert!(warning.message.contains("scheduler.json.corrupt-5"));
        assert!(reopened.save("scheduler", 1, &data, 6).unwrap());
    }
}
