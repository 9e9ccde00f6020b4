//! System READY (SOP 8.1): whether every mandatory add-on was installed, verified and persisted,
//! what was verified and when, or why the system is not READY. `lancelot onboard` establishes
//! it; the runtime drops it, with the reason, when a mandatory add-on later stops being healthy;
//! `ready.json` in the state directory keeps it across restarts.
//!
//! This module holds and persists the state only. It must not verify add-ons (the runtime asks
//! each mandatory add-on, see `host.rs`) or read flags.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::format_timestamp_ms;
use crate::error::{Error, Warning};
use crate::state::{self, Read};

/// The file READY is persisted in, inside the state directory.
pub const READY_FILE: &str = "ready.json";
/// The version of `ready.json` this runtime writes and reads.
pub const READY_VERSION: u32 = 1;

/// One mandatory add-on `onboard` verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// Its module name.
    pub addon: String,
    /// When its readiness check passed (ms since the epoch).
    pub at_ms: u64,
}

/// The system's READY state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    /// Whether the system is READY.
    pub ready: bool,
    /// When it became what it is (ms since the epoch); `None` when never onboarded.
    pub since_ms: Option<u64>,
    /// What the last successful onboarding verified.
    pub verified: Vec<Verified>,
    /// Why it is not READY, when it is not.
    pub reason: Option<String>,
}

impl Default for Readiness {
    fn default() -> Readiness {
        Readiness::never_onboarded()
    }
}

impl Readiness {
    /// The state of a system `onboard` never ran on.
    pub fn never_onboarded() -> Readiness {
        Readiness { ready: false, since_ms: None, verified: Vec::new(), reason: Some("never onboarded".to_string()) }
    }

    /// READY since `at_ms`, having verified `verified`.
    pub fn ready(at_ms: u64, verified: Vec<Verified>) -> Readiness {
        Readiness { ready: true, since_ms: Some(at_ms), verified, reason: None }
    }

    /// Not READY since `at_ms` because of `reason`; what was verified before is kept.
    pub fn dropped(&self, at_ms: u64, reason: String) -> Readiness {
        Readiness { ready: false, since_ms: Some(at_ms), verified: self.verified.clone(), reason: Some(reason) }
    }

    /// One line for people: `READY since … (verified: a, b)` or `not READY: …`.
    pub fn describe(&self) -> String {
        match (self.ready, self.since_ms) {
            (true, since) => {
                let verified: Vec<&str> = self.verified.iter().map(|v| v.addon.as_str()).collect();
                format!(
                    "READY since {} (verified: {})",
                    since.map_or_else(|| "?".to_string(), format_timestamp_ms),
                    if verified.is_empty() { "no mandatory add-ons".to_string() } else { verified.join(", ") }
                )
            }
            (false, Some(since)) => {
                format!("not READY since {}: {}", format_timestamp_ms(since), self.reason.as_deref().unwrap_or("?"))
            }
            (false, None) => format!("not READY: {}", self.reason.as_deref().unwrap_or("never onboarded")),
        }
    }

    /// The reason jobs are skipped for, when not READY.
    pub fn not_ready_reason(&self) -> Option<String> {
        (!self.ready).then(|| match (self.reason.as_deref(), self.since_ms) {
            (Some(reason), Some(since)) => format!("{reason}, since {}", format_timestamp_ms(since)),
            (Some(reason), None) => reason.to_string(),
            (None, _) => "no reason recorded".to_string(),
        })
    }
}

/// `ready.json` in `state_dir`.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(READY_FILE)
}

/// The persisted READY state (never onboarded when there is none), and a warning when the file
/// could not be used and was kept aside.
pub fn load(state_dir: &Path, now_ms: u64) -> Result<(Readiness, Option<Warning>), Error> {
    match state::read_document::<Readiness>(&path(state_dir), READY_VERSION, now_ms)? {
        Read::Found { data, .. } => Ok((data, None)),
        Read::Missing => Ok((Readiness::never_onboarded(), None)),
        Read::KeptAside(warning) | Read::LeftInPlace(warning) => Ok((Readiness::never_onboarded(), Some(warning))),
    }
}

/// The persisted READY state for a command that only reads (`status`): `None` with a warning
/// when `ready.json` cannot be used; a newer one is left in place (a newer host may be running
/// on it), see [`state::peek_document`].
pub fn peek(state_dir: &Path, now_ms: u64) -> Result<(Option<Readiness>, Option<Warning>), Error> {
    match state::peek_document::<Readiness>(&path(state_dir), READY_VERSION, now_ms)? {
        Read::Found { data, .. } => Ok((Some(data), None)),
        Read::Missing => Ok((Some(Readiness::never_onboarded()), None)),
        Read::KeptAside(warning) | Read::LeftInPlace(warning) => Ok((None, Some(warning))),
    }
}

/// Persists `readiness` atomically.
pub fn save(state_dir: &Path, readiness: &Readiness, now_ms: u64) -> Result<(), Error> {
    state::write_document(&path(state_dir), READY_VERSION, now_ms, readiness)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_persists_and_reads_back_and_a_missing_file_is_never_onboarded() {
        let dir = tempfile::tempdir().unwrap();
        let (never, warning) = load(dir.path(), 0).unwrap();
        assert_eq!((never.ready, warning), (false, None));
        assert_eq!(never.not_ready_reason().as_deref(), Some("never onboarded"));
        let ready = Readiness::ready(1_770_199_200_000, vec![Verified { addon: "vault".into(), at_ms: 1 }]);
        save(dir.path(), &ready, 2).unwrap();
        assert_eq!(load(dir.path(), 3).unwrap().0, ready);
        assert_eq!(ready.describe(), "READY since 2026-02-04T10:00:00.000Z (verified: vault)");
        assert_eq!(ready.not_ready_reason(), None);
        let dropped = ready.dropped(1_770_199_260_000, "mandatory add-on `vault` is degraded".into());
        assert_eq!(
            dropped.not_ready_reason().as_deref(),
            Some("mandatory add-on `vault` is degraded, since 2026-02-04T10:01:00.000Z")
        );
        assert_eq!(dropped.verified, ready.verified);
    }

    #[test]
    fn an_unreadable_file_is_kept_aside_and_means_not_ready() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(dir.path()), "READY!").unwrap();
        let (readiness, warning) = load(dir.path(), 7).unwrap();
        assert!(!readiness.ready);
        assert!(warning.unwrap().message.contains("ready.json.corrupt-7"));
    }
}
