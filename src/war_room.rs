//! The war room (SOP 7): one row per add-on with its status, last activity, last error and
//! recovery actions, rendered as a text table for people and as JSON for scripts.
//!
//! Besides the rows it carries the system's READY state, each add-on's skipped jobs and their
//! reasons (set by the runtime), and where the data comes from: assembled now, or persisted by a
//! running (or the last) `lancelot run` in `war_room.json` ([`PersistedWarRoom`]), with its age.
//!
//! This module only holds, renders and stores what the runtime assembled; it must not query
//! add-ons, read flags or decide statuses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::format_timestamp_ms;
use crate::error::{Error, Warning};
use crate::jobs::{self, SkipReason};
use crate::ready::Readiness;
use crate::state::{self, Read};

/// The version of the war room's JSON (`status --json`, `war_room.json`).
pub const WAR_ROOM_VERSION: u32 = 1;
/// The file a running host persists its war room in, inside the state directory.
pub const WAR_ROOM_FILE: &str = "war_room.json";

/// An add-on's state as the war room shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddonStatus {
    /// Its flag is off; it did not start.
    #[default]
    Disabled,
    /// Started and healthy.
    Running,
    /// Started, but something it depends on or checks is failing.
    Degraded,
    /// It could not start or its last step failed.
    Failed,
}

impl AddonStatus {
    /// The lowercase name, e.g. `running`.
    pub fn as_str(self) -> &'static str {
        match self {
            AddonStatus::Disabled => "disabled",
            AddonStatus::Running => "running",
            AddonStatus::Degraded => "degraded",
            AddonStatus::Failed => "failed",
        }
    }
}

/// One add-on's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarRoomEntry {
    /// The add-on's snake_case name.
    pub addon: String,
    /// The flag that gates it.
    pub flag: String,
    /// Its status.
    pub status: AddonStatus,
    /// When it last did something (ms since the epoch), if ever.
    pub last_activity_ms: Option<u64>,
    /// Its most recent unresolved error.
    pub last_error: Option<String>,
    /// What an operator can do about its state, as exact commands or steps.
    pub recovery_actions: Vec<String>,
    /// Its jobs are being skipped, since when and why (set by the runtime, SOP 8.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<SkippedJobs>,
}

/// Why an add-on's due jobs are not running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedJobs {
    /// Since when these reasons hold (ms since the epoch).
    pub since_ms: u64,
    /// Every reason, READY first, then each dependency in declared order.
    pub reasons: Vec<SkipReason>,
}

impl WarRoomEntry {
    /// A row for `addon` gated by `flag`: disabled, never active, no error.
    pub fn new(addon: &str, flag: &str) -> WarRoomEntry {
        WarRoomEntry {
            addon: addon.to_string(),
            flag: flag.to_string(),
            status: AddonStatus::Disabled,
            last_activity_ms: None,
            last_error: None,
            recovery_actions: Vec::new(),
            skipped: None,
        }
    }
}

/// Where a war room's data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Assembled by this process (`status` booted the add-ons once, or `run` itself).
    #[default]
    Live,
    /// Read from what `lancelot run` persisted.
    Persisted {
        /// The process that wrote it.
        pid: u32,
        /// When that host started (ms since the epoch).
        started_at_ms: u64,
        /// When it wrote this (ms since the epoch).
        persisted_at_ms: u64,
        /// How old the data was when read.
        age_ms: u64,
        /// When that host stopped cleanly; `None`: it is still running, or it was killed.
        stopped_at_ms: Option<u64>,
    },
}

/// The whole war room at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarRoom {
    /// The JSON's version, [`WAR_ROOM_VERSION`].
    #[serde(default)]
    pub version: u32,
    /// Where the data comes from.
    #[serde(default)]
    pub source: Source,
    /// The system's READY state (SOP 8.1).
    #[serde(default)]
    pub system: Readiness,
    /// When it was assembled (ms since the epoch).
    pub generated_at_ms: u64,
    /// Where this run's receipts went.
    pub receipts: String,
    /// One row per add-on, in the order of `crate::core::addons`.
    pub entries: Vec<WarRoomEntry>,
    /// Warnings of this run (unknown flags, a repaired receipts log).
    pub warnings: Vec<Warning>,
}

impl WarRoom {
    /// Whether any add-on is [`AddonStatus::Failed`].
    pub fn any_failed(&self) -> bool {
        self.entries.iter().any(|entry| entry.status == AddonStatus::Failed)
    }

    /// The war room as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self)
            .map_err(|error| Error::Encoding { what: "the war room", reason: error.to_string() })
    }

    /// The war room as an aligned text table: where it comes from, the system's READY state,
    /// one row per add-on, then each add-on's skipped jobs and recovery actions.
    pub fn render_table(&self) -> String {
        let mut rows = vec![["ADDON", "STATUS", "FLAG", "LAST ACTIVITY", "LAST ERROR"].map(str::to_string)];
        for entry in &self.entries {
            rows.push([
                entry.addon.clone(),
                entry.status.as_str().to_string(),
                entry.flag.clone(),
                entry.last_activity_ms.map_or_else(|| "never".to_string(), format_timestamp_ms),
                entry.last_error.clone().unwrap_or_else(|| "-".to_string()),
            ]);
        }
        let mut widths = [0usize; 5];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = match &self.source {
            Source::Live => {
                format!("war room at {} (receipts: {})\n", format_timestamp_ms(self.generated_at_ms), self.receipts)
            }
            Source::Persisted { pid, persisted_at_ms, age_ms, stopped_at_ms, .. } => {
                let host = match stopped_at_ms {
                    Some(stopped) => format!("it stopped cleanly at {}", format_timestamp_ms(*stopped)),
                    None => "no clean stop recorded: it is still running, or it was killed".to_string(),
                };
                format!(
                    "war room persisted by `lancelot run` (pid {pid}) at {}, {} ago; {host} (receipts: {})\n",
                    format_timestamp_ms(*persisted_at_ms),
                    format_age(*age_ms),
                    self.receipts
                )
            }
        };
        out.push_str(&format!("system: {}\n\n", self.system.describe()));
        for row in &rows {
            let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        let skipped: Vec<(&WarRoomEntry, &SkippedJobs)> =
            self.entries.iter().filter_map(|e| e.skipped.as_ref().map(|s| (e, s))).collect();
        if !skipped.is_empty() {
            out.push_str("\nskipped jobs:\n");
            for (entry, skipped) in skipped {
                out.push_str(&format!(
                    "  {}: since {}: {}\n",
                    entry.addon,
                    format_timestamp_ms(skipped.since_ms),
                    jobs::describe(&skipped.reasons)
                ));
            }
        }
        let with_actions: Vec<&WarRoomEntry> = self.entries.iter().filter(|e| !e.recovery_actions.is_empty()).collect();
        if !with_actions.is_empty() {
            out.push_str("\nrecovery actions:\n");
            for entry in with_actions {
                for action in &entry.recovery_actions {
                    out.push_str(&format!("  {}: {action}\n", entry.addon));
                }
            }
        }
        out
    }
}

/// `4s`, `3m 20s`, `2h 5m`, `3d 4h`: an age for people.
pub fn format_age(age_ms: u64) -> String {
    let seconds = age_ms / 1_000;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3_600 => format!("{}m {}s", seconds / 60, seconds % 60),
        3_600..86_400 => format!("{}h {}m", seconds / 3_600, seconds / 60 % 60),
        _ => format!("{}d {}h", seconds / 86_400, seconds / 3_600 % 24),
    }
}

/// What `lancelot run` persists after its ticks (`war_room.json`): the war room, which process
/// wrote it and whether it stopped cleanly, and when each job last ran (so intervals survive a
/// restart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistedWarRoom {
    /// The process that wrote it.
    pub pid: u32,
    /// When that host started (ms since the epoch).
    pub started_at_ms: u64,
    /// When it stopped cleanly, if it did.
    pub stopped_at_ms: Option<u64>,
    /// The war room as of the write.
    pub war_room: WarRoom,
    /// add-on → job → when it last ran (ms since the epoch).
    #[serde(default)]
    pub last_job_runs: BTreeMap<String, BTreeMap<String, u64>>,
}

impl PersistedWarRoom {
    /// `war_room.json` in `state_dir`.
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(WAR_ROOM_FILE)
    }

    /// Persists it atomically (write-then-rename, fsync) as of `now_ms`.
    pub fn save(&self, state_dir: &Path, now_ms: u64) -> Result<(), Error> {
        state::write_document(&PersistedWarRoom::path(state_dir), WAR_ROOM_VERSION, now_ms, self)
    }

    /// What the last host persisted, with when; an unusable file is kept aside and reported.
    pub fn load(state_dir: &Path, now_ms: u64) -> Result<Read<PersistedWarRoom>, Error> {
        state::read_document(&PersistedWarRoom::path(state_dir), WAR_ROOM_VERSION, now_ms)
    }

    /// What the last host persisted, for a command that only reads: a newer file is left in
    /// place (a newer host may be running on it) and reported, see [`state::peek_document`].
    pub fn peek(state_dir: &Path, now_ms: u64) -> Result<Read<PersistedWarRoom>, Error> {
        state::peek_document(&PersistedWarRoom::path(state_dir), WAR_ROOM_VERSION, now_ms)
    }

    /// The war room to show at `now_ms`, marked as persisted, with its age.
    pub fn as_read_at(&self, persisted_at_ms: u64, now_ms: u64) -> WarRoom {
        let mut room = self.war_room.clone();
        room.source = Source::Persisted {
            pid: self.pid,
            started_at_ms: self.started_at_ms,
            persisted_at_ms,
            age_ms: now_ms.saturating_sub(persisted_at_ms),
            stopped_at_ms: self.stopped_at_ms,
        };
        room
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn war_room() -> WarRoom {
        let mut running = WarRoomEntry::new("health_monitor", "FEATURE_HEALTH_MONITOR");
        running.status = AddonStatus::Degraded;
        running.last_activity_ms = Some(1_770_199_200_000);
        running.last_error = Some("check `receipts_log_writable` failed".into());
        running.recovery_actions = vec!["free disk space".into()];
        let mut disabled = WarRoomEntry::new("scheduler", "FEATURE_SCHEDULER");
        disabled.recovery_actions = vec!["enable it: FEATURE_SCHEDULER=true cargo run -- run".into()];
        WarRoom {
            version: WAR_ROOM_VERSION,
            source: Source::Live,
            system: Readiness::never_onboarded(),
            generated_at_ms: 1_770_199_201_000,
            receipts: ".lancelot/receipts.jsonl".into(),
            entries: vec![running, disabled],
            warnings: vec![],
        }
    }

    #[test]
    fn the_table_aligns_columns_and_lists_recovery_actions() {
        let expected = "\
war room at 2026-02-04T10:00:01.000Z (receipts: .lancelot/receipts.jsonl)
system: not READY: never onboarded

ADDON           STATUS    FLAG                    LAST ACTIVITY             LAST ERROR
health_monitor  degraded  FEATURE_HEALTH_MONITOR  2026-02-04T10:00:00.000Z  check `receipts_log_writable` failed
scheduler       disabled  FEATURE_SCHEDULER       never                     -

recovery actions:
  health_monitor: free disk space
  scheduler: enable it: FEATURE_SCHEDULER=true cargo run -- run
";
        assert_eq!(war_room().render_table(), expected);
    }

    #[test]
    fn the_json_carries_the_same_data() {
        let value: serde_json::Value = serde_json::from_str(&war_room().to_json().unwrap()).unwrap();
        assert_eq!(value["entries"][0]["status"], "degraded");
        assert_eq!(value["entries"][0]["last_activity_ms"], 1_770_199_200_000u64);
        assert_eq!(value["entries"][0]["recovery_actions"][0], "free disk space");
        assert_eq!(value["entries"][1]["status"], "disabled");
        assert_eq!(value["entries"][1]["last_error"], serde_json::Value::Null);
        assert_eq!(value["receipts"], ".lancelot/receipts.jsonl");
        let entry: WarRoomEntry = serde_json::from_value(value["entries"][0].clone()).unwrap();
        assert_eq!(entry, war_room().entries[0]);
    }

    #[test]
    fn a_persisted_war_room_says_how_old_it_is_and_shows_skipped_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let mut room = war_room();
        room.entries[1].status = AddonStatus::Running;
        room.entries[1].skipped = Some(SkippedJobs {
            since_ms: 1_770_199_200_500,
            reasons: vec![SkipReason::DependencyDisabled {
                dependency: "health_monitor".into(),
                flag: "FEATURE_HEALTH_MONITOR".into(),
            }],
        });
        let persisted = PersistedWarRoom {
            pid: 4242,
            started_at_ms: 1_770_199_100_000,
            stopped_at_ms: None,
            war_room: room,
            last_job_runs: BTreeMap::from([("scheduler".into(), BTreeMap::from([("sweep".into(), 7)]))]),
        };
        persisted.save(dir.path(), 1_770_199_201_000).unwrap();
        let Read::Found { data, saved_at_ms, .. } = PersistedWarRoom::load(dir.path(), 0).unwrap() else {
            panic!("persisted")
        };
        assert_eq!(data, persisted);
        let shown = data.as_read_at(saved_at_ms, 1_770_199_201_000 + 125_000);
        let table = shown.render_table();
        assert!(
            table.starts_with("war room persisted by `lancelot run` (pid 4242) at 2026-02-04T10:00:01.000Z, 2m 5s ago; no clean stop recorded: it is still running, or it was killed (receipts: .lancelot/receipts.jsonl)\n"),
            "{table}"
        );
        assert!(table.contains("\nskipped jobs:\n  scheduler: since 2026-02-04T10:00:00.500Z: dependency `health_monitor` is disabled (`FEATURE_HEALTH_MONITOR` is not `true`)\n"), "{table}");
        let json: serde_json::Value = serde_json::from_str(&shown.to_json().unwrap()).unwrap();
        assert_eq!(json["source"]["kind"], "persisted");
        assert_eq!(json["source"]["age_ms"], 125_000);
        assert_eq!(json["entries"][1]["skipped"]["reasons"][0]["kind"], "dependency_disabled");
    }

    #[test]
    fn ages_read_for_people() {
        assert_eq!(format_age(4_999), "4s");
        assert_eq!(format_age(200_000), "3m 20s");
        assert_eq!(format_age(7_500_000), "2h 5m");
        assert_eq!(format_age(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
    }

    #[test]
    fn only_failed_entries_count_as_failures() {
        let mut room = war_room();
        assert!(!room.any_failed());
        room.entries[1].status = AddonStatus::Failed;
        assert!(room.any_failed());
    }
}
