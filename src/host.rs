//! The host add-ons plug into: the [`Addon`] trait every module under `src/core` implements, the
//! [`Host`] they receive (flags, clock, receipts) and the [`Runtime`] that boots and ticks them
//! and assembles the war room.
//!
//! The host never reads an add-on's flag on the add-on's behalf and never decides whether an
//! add-on runs: each add-on's own module asks `host.flags().is_enabled(FLAG)` (SOP 3.4). The host
//! must not keep a list of add-ons either; that list lives in `src/core/mod.rs`.

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{Error, Warning};
use crate::flags::Flags;
use crate::receipts::{Receipt, ReceiptKind, ReceiptSink};
use crate::war_room::{AddonStatus, WarRoom, WarRoomEntry};

/// An add-on: a capability gated by one `FEATURE_*` flag and owned by one module.
///
/// The runtime calls [`Addon::boot`] once, then [`Addon::tick`] on every cycle (also when the
/// add-on is disabled, so the add-on itself decides, from its own flag, whether to act), and
/// [`Addon::report`] whenever the war room is assembled.
pub trait Addon {
    /// The snake_case module name, e.g. `health_monitor`; also the `addon` of its receipts.
    fn name(&self) -> &'static str;

    /// The `FEATURE_*` flag that gates it, as registered in [`crate::flags::REGISTRY`].
    fn flag(&self) -> &'static str;

    /// Starts the add-on if (and only if) its flag is `true`; otherwise records a `skipped`
    /// receipt with the reason. Records a `state_change` receipt when it starts.
    ///
    /// An `Err` means the add-on could not start; the runtime records a `failure` receipt and
    /// shows the add-on as failed.
    fn boot(&mut self, host: &mut Host) -> Result<(), Error>;

    /// Does one cycle of recurring work (a no-op when the add-on is not running). Every job it
    /// runs records a `job` receipt, every failure a `failure` receipt.
    fn tick(&mut self, host: &mut Host) -> Result<(), Error>;

    /// The add-on's war-room row.
    fn report(&self) -> WarRoomEntry;
}

/// What add-ons get from the runtime: the resolved flags, the clock and the receipts sink.
pub struct Host {
    flags: Flags,
    clock: Arc<dyn Clock>,
    receipts: Box<dyn ReceiptSink>,
    warnings: Vec<Warning>,
}

impl Host {
    /// A host with `flags`, reading time from `clock` and recording receipts to `receipts`.
    pub fn new(flags: Flags, clock: Arc<dyn Clock>, receipts: Box<dyn ReceiptSink>) -> Host {
        Host { flags, clock, receipts, warnings: Vec::new() }
    }

    /// The resolved flags. An add-on reads only its own flag here.
    pub fn flags(&self) -> &Flags {
        &self.flags
    }

    /// The current time in milliseconds since the epoch, from the injected clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The receipts sink, for checks such as "is the log writable".
    pub fn receipts(&self) -> &dyn ReceiptSink {
        self.receipts.as_ref()
    }

    /// Records a receipt stamped with the current time; returns it once it is stored.
    pub fn record(&mut self, kind: ReceiptKind, addon: &str, message: impl Into<String>) -> Result<Receipt, Error> {
        self.append(kind, addon, message.into(), None)
    }

    /// Like [`Host::record`], with structured detail.
    pub fn record_with_detail(
        &mut self,
        kind: ReceiptKind,
        addon: &str,
        message: impl Into<String>,
        detail: serde_json::Value,
    ) -> Result<Receipt, Error> {
        self.append(kind, addon, message.into(), Some(detail))
    }

    fn append(
        &mut self,
        kind: ReceiptKind,
        addon: &str,
        message: String,
        detail: Option<serde_json::Value>,
    ) -> Result<Receipt, Error> {
        let receipt = Receipt {
            timestamp_ms: self.now_ms(),
            addon: addon.to_string(),
            kind,
            message,
            detail,
            unknown_kind: None,
        };
        self.receipts.append(&receipt)?;
        Ok(receipt)
    }

    /// Adds a warning of the runtime itself (e.g. a repaired receipts log) to this run's warnings.
    pub fn add_warning(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }

    /// Every warning of this run: the flags' first, then the runtime's.
    pub fn warnings(&self) -> Vec<Warning> {
        self.flags.warnings().iter().chain(&self.warnings).cloned().collect()
    }
}

/// One add-on and, if its last step returned an error, that error.
struct Slot {
    addon: Box<dyn Addon>,
    failure: Option<Failure>,
}

struct Failure {
    at_ms: u64,
    message: String,
    hint: String,
}

/// Boots and ticks a list of add-ons against a host and assembles the war room.
pub struct Runtime {
    host: Host,
    slots: Vec<Slot>,
}

impl Runtime {
    /// A runtime for `addons` (usually [`crate::core::addons`]).
    pub fn new(host: Host, addons: Vec<Box<dyn Addon>>) -> Runtime {
        Runtime { host, slots: addons.into_iter().map(|addon| Slot { addon, failure: None }).collect() }
    }

    /// Boots every add-on. An add-on whose boot fails gets a `failure` receipt and shows as
    /// failed; the others still boot. `Err` only when that receipt cannot be recorded either.
    pub fn boot(&mut self) -> Result<(), Error> {
        for slot in &mut self.slots {
            let outcome = slot.addon.boot(&mut self.host);
            record_outcome(&mut self.host, slot, "boot", outcome)?;
        }
        Ok(())
    }

    /// Ticks every add-on that has not failed, with the same failure handling as [`Runtime::boot`].
    pub fn tick(&mut self) -> Result<(), Error> {
        for slot in self.slots.iter_mut().filter(|slot| slot.failure.is_none()) {
            let outcome = slot.addon.tick(&mut self.host);
            record_outcome(&mut self.host, slot, "tick", outcome)?;
        }
        Ok(())
    }

    /// The war room now: each add-on's report, overridden to `failed` for add-ons whose last
    /// step returned an error.
    pub fn war_room(&self) -> WarRoom {
        let entries = self
            .slots
            .iter()
            .map(|slot| {
                let mut entry = slot.addon.report();
                if let Some(failure) = &slot.failure {
                    entry.status = AddonStatus::Failed;
                    entry.last_activity_ms = Some(failure.at_ms);
                    entry.last_error = Some(failure.message.clone());
                    entry.recovery_actions = vec![failure.hint.clone()];
                }
                entry
            })
            .collect();
        WarRoom {
            generated_at_ms: self.host.now_ms(),
            receipts: self.host.receipts().location(),
            entries,
            warnings: self.host.warnings(),
        }
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The host, mutably (e.g. to add a warning).
    pub fn host_mut(&mut self) -> &mut Host {
        &mut self.host
    }
}

fn record_outcome(host: &mut Host, slot: &mut Slot, step: &str, outcome: Result<(), Error>) -> Result<(), Error> {
    let Err(error) = outcome else { return Ok(()) };
    let name = slot.addon.name();
    let message = format!("{step} failed: {error}");
    let receipt = host.record(ReceiptKind::Failure, name, message.clone())?;
    slot.failure = Some(Failure { at_ms: receipt.timestamp_ms, message, hint: error.hint() });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::receipts::MemorySink;

    /// An add-on whose boot fails, to see the runtime isolate it.
    struct Broken;

    impl Addon for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }
        fn flag(&self) -> &'static str {
            "FEATURE_BROKEN"
        }
        fn boot(&mut self, _host: &mut Host) -> Result<(), Error> {
            Err(Error::InvalidSetting {
                name: "BROKEN_PORT".into(),
                reason: "is not a number".into(),
                hint: "set a port number: BROKEN_PORT=8080".into(),
            })
        }
        fn tick(&mut self, _host: &mut Host) -> Result<(), Error> {
            panic!("a failed add-on must not be ticked")
        }
        fn report(&self) -> WarRoomEntry {
            WarRoomEntry::new("broken", "FEATURE_BROKEN")
        }
    }

    /// An add-on that counts its ticks and records a job for each.
    struct Counter {
        ticks: u32,
    }

    impl Addon for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn flag(&self) -> &'static str {
            "FEATURE_COUNTER"
        }
        fn boot(&mut self, host: &mut Host) -> Result<(), Error> {
            host.record(ReceiptKind::StateChange, "counter", "started").map(drop)
        }
        fn tick(&mut self, host: &mut Host) -> Result<(), Error> {
            self.ticks += 1;
            host.record_with_detail(ReceiptKind::Job, "counter", "counted", serde_json::json!({ "ticks": self.ticks }))
                .map(drop)
        }
        fn report(&self) -> WarRoomEntry {
            let mut entry = WarRoomEntry::new("counter", "FEATURE_COUNTER");
            entry.status = AddonStatus::Running;
            entry
        }
    }

    fn host(sink: &MemorySink, clock: &ManualClock) -> Host {
        Host::new(Flags::all_disabled(), Arc::new(clock.clone()), Box::new(sink.clone()))
    }

    #[test]
    fn a_failing_add_on_is_isolated_recorded_and_shown_as_failed() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(7_000));
        let mut runtime = Runtime::new(host(&sink, &clock), vec![Box::new(Broken), Box::new(Counter { ticks: 0 })]);
        runtime.boot().unwrap();
        clock.advance(std::time::Duration::from_secs(1));
        runtime.tick().unwrap();
        let receipts = sink.receipts();
        let summary: Vec<(&str, ReceiptKind, u64)> =
            receipts.iter().map(|r| (r.addon.as_str(), r.kind, r.timestamp_ms)).collect();
        assert_eq!(
            summary,
            [
                ("broken", ReceiptKind::Failure, 7_000),
                ("counter", ReceiptKind::StateChange, 7_000),
                ("counter", ReceiptKind::Job, 8_000),
            ]
        );
        assert_eq!(receipts[0].message, "boot failed: `BROKEN_PORT` is not a number");
        assert_eq!(receipts[2].detail, Some(serde_json::json!({ "ticks": 1 })));
        let room = runtime.war_room();
        assert_eq!(room.entries[0].status, AddonStatus::Failed);
        assert_eq!(room.entries[0].last_activity_ms, Some(7_000));
        assert_eq!(room.entries[0].last_error.as_deref(), Some("boot failed: `BROKEN_PORT` is not a number"));
        assert_eq!(room.entries[0].recovery_actions, ["set a port number: BROKEN_PORT=8080"]);
        assert_eq!(room.entries[1].status, AddonStatus::Running);
        assert!(room.any_failed());
        assert_eq!((room.generated_at_ms, room.receipts.as_str()), (8_000, "memory"));
    }

    #[test]
    fn an_unwritable_sink_stops_the_runtime() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        sink.fail_writes(Some("disk full"));
        let mut runtime = Runtime::new(host(&sink, &clock), vec![Box::new(Counter { ticks: 0 })]);
        let error = runtime.boot().unwrap_err();
        assert_eq!(error.to_string(), "the receipt sink rejected a write: disk full");
    }

    #[test]
    fn runtime_warnings_follow_flag_warnings() {
        let flags = Flags::resolve(vec![("FEATURE_NOT_REGISTERED".to_string(), "true".to_string())], None).unwrap();
        let mut host = Host::new(flags, Arc::new(ManualClock::new(0)), Box::new(MemorySink::new()));
        host.add_warning(Warning { message: "repaired".into(), hint: "none".into() });
        let messages: Vec<String> = host.warnings().into_iter().map(|w| w.message).collect();
        assert_eq!(messages.len(), 2);
        assert!(messages[0].contains("FEATURE_NOT_REGISTERED"));
        assert_eq!(messages[1], "repaired");
    }
}
