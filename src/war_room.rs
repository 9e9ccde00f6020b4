//! The war room (SOP 7): one row per add-on with its status, last activity, last error and
//! recovery actions, rendered as a text table for people and as JSON for scripts.
//!
//! This module only holds and renders what add-ons report; it must not query add-ons, read flags
//! or decide statuses.

use serde::{Deserialize, Serialize};

use crate::clock::format_timestamp_ms;
use crate::error::{Error, Warning};

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
        }
    }
}

/// The whole war room at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarRoom {
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

    /// The war room as an aligned text table, followed by each add-on's recovery actions.
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
        let mut out =
            format!("war room at {} (receipts: {})\n\n", format_timestamp_ms(self.generated_at_ms), self.receipts);
        for row in &rows {
            let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
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
        disabled.recovery_actions = vec!["enable it: FEATURE_SCHEDULER=true cargo run -- status".into()];
        WarRoom {
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

ADDON           STATUS    FLAG                    LAST ACTIVITY             LAST ERROR
health_monitor  degraded  FEATURE_HEALTH_MONITOR  2026-02-04T10:00:00.000Z  check `receipts_log_writable` failed
scheduler       disabled  FEATURE_SCHEDULER       never                     -

recovery actions:
  health_monitor: free disk space
  scheduler: enable it: FEATURE_SCHEDULER=true cargo run -- status
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
    fn only_failed_entries_count_as_failures() {
        let mut room = war_room();
        assert!(!room.any_failed());
        room.entries[1].status = AddonStatus::Failed;
        assert!(room.any_failed());
    }
}
