//! The persisted READY state of a clone (SOP 8.1): `.git/sop/ready.json`, written by `onboard`
//! when every mandatory item passed, removed when a later run finds one failing.
//!
//! The contract with its readers (`pre-pr`): the file exists and is valid JSON = the clone is
//! READY. It lives in the clone's common git directory, so every worktree shares it, and it is
//! never committed. Only `onboard` writes or removes it.

use std::path::PathBuf;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::git::Repo;

/// One item that passed, as recorded in the receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    pub id: String,
    pub label: String,
    pub detail: String,
}

/// The READY receipt: what was verified, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyState {
    /// Always `true`: a clone that is not READY has no file.
    pub ready: bool,
    /// When the clone first became READY (kept by later re-verifications), RFC 3339 UTC.
    pub since: String,
    /// When the items below were last verified, RFC 3339 UTC.
    pub verified_at: String,
    pub verified_unix_ms: u64,
    /// The xtask that verified them.
    pub xtask_version: String,
    /// HEAD at the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub verified: Vec<Verified>,
}

pub fn path(repo: &Repo) -> PathBuf {
    repo.sop_dir().join("ready.json")
}

/// The recorded READY state; `None` when there is none or it is not valid (not READY).
pub fn read(repo: &Repo) -> anyhow::Result<Option<ReadyState>> {
    let path = path(repo);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", path.display())),
    };
    Ok(serde_json::from_str(&text).ok())
}

pub fn write(repo: &Repo, state: &ReadyState) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(state).context("failed to encode the READY state")?;
    text.push('\n');
    crate::plan::write_atomically(&path(repo), text.as_bytes())
}

/// Drops the READY state. Returns whether there was one.
pub fn remove(repo: &Repo) -> anyhow::Result<bool> {
    let path = path(repo);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error).with_context(|| format!("failed to remove `{}`", path.display())),
    }
}
