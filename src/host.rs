//! The host add-ons plug into: the [`Addon`] trait every module under `src/core` implements, the
//! [`Host`] they receive (flags, clock, receipts) and the [`Runtime`] that boots and ticks them,
//! runs their jobs behind the gates of SOP 8.2, keeps the system's READY state, persists their
//! state slots and the war room, and assembles the war room.
//!
//! The host never reads an add-on's flag on the add-on's behalf: each add-on's own module asks
//! `host.flags().is_enabled(FLAG)` (SOP 3.4) and reports the outcome as its war-room status. The
//! runtime gates jobs on those statuses: a dependency is enabled and healthy when it reports
//! `running`. The host must not keep a list of add-ons either; that list lives in
//! `src/core/mod.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{Error, Warning};
use crate::flags::Flags;
use crate::jobs::{self, Job, SkipReason};
use crate::ready::{self, Readiness, Verified};
use crate::receipts::{Receipt, ReceiptKind, ReceiptSink};
use crate::state::{Read, StateStore};
use crate::war_room::{AddonStatus, PersistedWarRoom, SkippedJobs, Source, WarRoom, WarRoomEntry, WAR_ROOM_VERSION};

/// The `addon` of the receipts the runtime records about the system itself (READY, persistence).
pub const SYSTEM: &str = "lancelot";

/// How often a running host rewrites `war_room.json` when nothing changed, so its age tells
/// whether the host is alive.
pub const HEARTBEAT_MS: u64 = 5_000;

/// An add-on: a capability gated by one `FEATURE_*` flag and owned by one module.
///
/// The runtime restores its state slot, calls [`Addon::boot`] once (in dependency order), then on
/// every cycle [`Addon::tick`] (also when the add-on is disabled, so the add-on itself decides,
/// from its own flag, whether to act) and the [`Addon::jobs`] that are due, and
/// [`Addon::report`] whenever the war room is assembled.
pub trait Addon {
    /// The snake_case module name, e.g. `health_monitor`; also the `addon` of its receipts.
    fn name(&self) -> &'static str;

    /// The `FEATURE_*` flag that gates it, as registered in [`crate::flags::REGISTRY`].
    fn flag(&self) -> &'static str;

    /// The add-ons (module names) its jobs need enabled and healthy: the module's
    /// `DEPENDS_ON`, generated from the spec's Depends on (`check` holds the two equal). They
    /// boot before it.
    fn depends_on(&self) -> &'static [&'static str] {
        &[]
    }

    /// Its recurring jobs. The runtime runs each at its interval through [`Addon::run_job`], only
    /// while the add-on is started (reports neither `disabled` nor `failed`), the system is
    /// READY and every dependency reports `running`; otherwise it records why they were skipped.
    /// An add-on's recurring work belongs here, never in [`Addon::tick`], which read-only
    /// commands (`status`, `onboard`) run too.
    fn jobs(&self) -> &[Job] {
        &[]
    }

    /// Runs the job named `job` (one of [`Addon::jobs`]) now. The runtime records the `job`
    /// receipt of a run that returns `Ok` unless the add-on records its own; an `Err` is a
    /// `failure` receipt and the add-on shows as failed.
    fn run_job(&mut self, job: &str, host: &mut Host) -> Result<(), Error> {
        let _ = (job, host);
        Ok(())
    }

    /// Whether the system cannot be READY without it (SOP 8.1): `lancelot onboard` verifies it
    /// and READY is dropped when it stops being healthy.
    fn mandatory(&self) -> bool {
        false
    }

    /// Its own readiness check, run by `lancelot onboard` for a mandatory add-on after a boot and
    /// a tick: `Err` says why it is not ready. By default: it reports `running`.
    fn verify_ready(&self, host: &Host) -> Result<(), String> {
        let _ = host;
        match self.report().status {
            AddonStatus::Running => Ok(()),
            AddonStatus::Disabled => Err(format!("it is disabled (`{}` is not `true`)", self.flag())),
            other => Err(format!("it is {}", other.as_str())),
        }
    }

    /// The version of what [`Addon::save_state`] returns; a slot of a higher version (written
    /// by a newer runtime) is kept aside, not handed to [`Addon::restore_state`].
    fn state_version(&self) -> u32 {
        1
    }

    /// What it wants kept across restarts (SOP 6.1), or `None` for nothing. Called after every
    /// tick; the slot is written only when this changed.
    fn save_state(&self) -> Option<serde_json::Value> {
        None
    }

    /// Takes back what [`Addon::save_state`] returned before a restart, written by `version`
    /// (≤ [`Addon::state_version`]). Called before [`Addon::boot`]. `Err` says why it cannot
    /// use it: the slot is kept aside and reported, and the add-on starts fresh.
    fn restore_state(&mut self, version: u32, data: serde_json::Value) -> Result<(), String> {
        let _ = (version, data);
        Ok(())
    }

    /// Starts the add-on if (and only if) its flag is `true`; otherwise records a `skipped`
    /// receipt with the reason. Records a `state_change` receipt when it starts.
    ///
    /// An `Err` means the add-on could not start; the runtime records a `failure` receipt and
    /// shows the add-on as failed.
    fn boot(&mut self, host: &mut Host) -> Result<(), Error>;

    /// Does one cycle of the add-on's own upkeep (a no-op when it is not running). Read-only
    /// commands (`status`, `onboard`) tick too, so it runs no job and records no `job` receipt:
    /// recurring work, the health monitor's checks among it, is a job ([`Addon::jobs`]), run only
    /// behind the runtime's gates. Every failure records a `failure` receipt.
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
    recorded: u64,
}

impl Host {
    /// A host with `flags`, reading time from `clock` and recording receipts to `receipts`.
    pub fn new(flags: Flags, clock: Arc<dyn Clock>, receipts: Box<dyn ReceiptSink>) -> Host {
        Host { flags, clock, receipts, warnings: Vec::new(), recorded: 0 }
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
        self.recorded += 1;
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

/// One add-on and what the runtime keeps about it.
struct Slot {
    addon: Box<dyn Addon>,
    /// Its last step returned this error.
    failure: Option<Failure>,
    /// When each of its jobs last ran, in the order of `jobs()`.
    last_runs: Vec<Option<u64>>,
    /// Its due jobs are being skipped: since when and why (the last `skipped` receipt's reasons).
    skipped: Option<SkippedJobs>,
    /// When the runtime first saw it report `degraded` or `failed`, while it does.
    unhealthy_since: Option<u64>,
}

struct Failure {
    at_ms: u64,
    message: String,
    hint: String,
}

impl Slot {
    /// Notes when it started being unhealthy (its failure's time, else `now_ms`), or clears it.
    fn track_health(&mut self, now_ms: u64) {
        let unhealthy = matches!(self.status(), AddonStatus::Degraded | AddonStatus::Failed);
        self.unhealthy_since = match (unhealthy, self.unhealthy_since) {
            (true, None) => Some(self.failure.as_ref().map_or(now_ms, |failure| failure.at_ms)),
            (true, since) => since,
            (false, _) => None,
        };
    }

    fn status(&self) -> AddonStatus {
        if self.failure.is_some() {
            AddonStatus::Failed
        } else {
            self.addon.report().status
        }
    }
}

/// Where a persisting runtime keeps its state: the state directory, the add-ons' slots and what
/// it last wrote to `war_room.json`.
struct Persistence {
    state_dir: PathBuf,
    slots: StateStore,
    pid: u32,
    started_at_ms: u64,
    /// When `war_room.json` was last written, and how many receipts had been recorded then.
    last_written: Option<(u64, u64)>,
    restored_job_runs: BTreeMap<String, BTreeMap<String, u64>>,
    /// Each add-on's skipped jobs as the last host left them, so a restart with the same
    /// reasons records no second `skipped` receipt.
    restored_skipped: BTreeMap<String, SkippedJobs>,
    /// The modification time of `ready.json` as last read or written.
    ready_seen: Option<std::time::SystemTime>,
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|metadata| metadata.modified()).ok()
}

/// Boots and ticks a list of add-ons against a host, runs their jobs, and assembles the war room.
pub struct Runtime {
    host: Host,
    slots: Vec<Slot>,
    readiness: Readiness,
    persistence: Option<Persistence>,
    /// When the last [`Runtime::tick`] started: its jobs are due and stamped as of then.
    tick_started_ms: Option<u64>,
}

/// What `onboard` found for one mandatory add-on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The add-on's module name.
    pub addon: String,
    /// `Ok` when its readiness check passed, else why not.
    pub outcome: Result<(), String>,
}

impl Runtime {
    /// A runtime for `addons` (usually [`crate::core::addons`]), not READY, persisting nothing.
    pub fn new(host: Host, addons: Vec<Box<dyn Addon>>) -> Runtime {
        let slots = addons
            .into_iter()
            .map(|addon| Slot {
                last_runs: vec![None; addon.jobs().len()],
                addon,
                failure: None,
                skipped: None,
                unhealthy_since: None,
            })
            .collect();
        Runtime { host, slots, readiness: Readiness::never_onboarded(), persistence: None, tick_started_ms: None }
    }

    /// Sets the system's READY state (e.g. in tests; [`Runtime::persisting_in`] reads it from
    /// the state directory).
    pub fn with_readiness(mut self, readiness: Readiness) -> Runtime {
        self.readiness = readiness;
        self
    }

    /// Makes the runtime persistent under `state_dir`: READY is read from and written to
    /// `ready.json`, each add-on's state slot is restored at boot and saved after each tick, and
    /// [`Runtime::persist`] writes `war_room.json`. When the job runs of the last host can be
    /// read there, the jobs keep their schedule across the restart. Unusable files are kept
    /// aside and become warnings.
    pub fn persisting_in(mut self, state_dir: &Path) -> Result<Runtime, Error> {
        let now_ms = self.host.now_ms();
        let ready_seen = modified(&ready::path(state_dir));
        let (readiness, warning) = ready::load(state_dir, now_ms)?;
        self.readiness = readiness;
        self.host.warnings.extend(warning);
        let (restored_job_runs, restored_skipped) = match PersistedWarRoom::load(state_dir, now_ms)? {
            Read::Found { data, .. } => {
                let skipped = data
                    .war_room
                    .entries
                    .into_iter()
                    .filter_map(|entry| entry.skipped.map(|skipped| (entry.addon, skipped)))
                    .collect();
                (data.last_job_runs, skipped)
            }
            Read::Missing => (BTreeMap::new(), BTreeMap::new()),
            Read::KeptAside(warning) | Read::LeftInPlace(warning) => {
                self.host.add_warning(warning);
                (BTreeMap::new(), BTreeMap::new())
            }
        };
        self.persistence = Some(Persistence {
            state_dir: state_dir.to_path_buf(),
            slots: StateStore::new(state_dir),
            pid: std::process::id(),
            started_at_ms: now_ms,
            last_written: None,
            restored_job_runs,
            restored_skipped,
            ready_seen,
        });
        Ok(self)
    }

    /// The system's READY state.
    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// The add-ons' module names, in the order they boot and tick.
    pub fn order(&self) -> Vec<&'static str> {
        self.slots.iter().map(|slot| slot.addon.name()).collect()
    }

    /// Orders the add-ons (dependencies first; a cycle is [`Error::DependencyCycle`]), restores
    /// their state slots and boots each. An add-on whose boot fails gets a `failure` receipt and
    /// shows as failed; the others still boot, disabled ones included (SOP 3.3). `Err` when the
    /// dependencies form a cycle or a receipt cannot be recorded.
    pub fn boot(&mut self) -> Result<(), Error> {
        let declared: Vec<(&str, &[&str])> =
            self.slots.iter().map(|slot| (slot.addon.name(), slot.addon.depends_on())).collect();
        let order = jobs::boot_order(&declared).map_err(|cycle| Error::DependencyCycle { cycle })?;
        let mut slots: Vec<Option<Slot>> = std::mem::take(&mut self.slots).into_iter().map(Some).collect();
        self.slots = order.into_iter().filter_map(|index| slots[index].take()).collect();
        self.restore()?;
        for slot in &mut self.slots {
            let outcome = slot.addon.boot(&mut self.host);
            record_outcome(&mut self.host, slot, "boot", outcome)?;
            // The skip state restored from the last host applies only to an add-on whose jobs
            // can run: one that is off (or failed) in this host has none to skip.
            if matches!(slot.status(), AddonStatus::Disabled | AddonStatus::Failed) {
                slot.skipped = None;
            }
        }
        self.save_slots()
    }

    /// One cycle: ticks every add-on that has not failed (same failure handling as
    /// [`Runtime::boot`]), drops READY if a mandatory add-on stopped being healthy, runs the due
    /// jobs whose gates are open and records why the others are skipped (once per change of
    /// reasons), then saves the state slots that changed.
    ///
    /// Jobs are due, and stamped as run, as of the tick's start ([`Runtime::tick_started_ms`]),
    /// not of when the tick reached them: a job due every tick runs every tick, however long
    /// the add-ons before it took.
    pub fn tick(&mut self) -> Result<(), Error> {
        let started_ms = self.host.now_ms();
        self.tick_started_ms = Some(started_ms);
        self.upkeep()?;
        for index in 0..self.slots.len() {
            let before = self.host.recorded;
            self.run_jobs(index, started_ms)?;
            // A job that failed or degraded its add-on: its dependents, which run later in this
            // tick, see the same "since" as every later tick, so one change is one receipt.
            // Every job run records a receipt, so a tick that ran none costs nothing more.
            if self.host.recorded != before {
                let now_ms = self.host.now_ms();
                self.slots[index].track_health(now_ms);
            }
        }
        self.save_slots()
    }

    /// When the last [`Runtime::tick`] started (ms on the host's clock), if one ran: the run
    /// loop schedules the next tick from it.
    pub fn tick_started_ms(&self) -> Option<u64> {
        self.tick_started_ms
    }

    /// The part of a tick that runs no job: every add-on's own [`Addon::tick`] and the READY
    /// check. `status` and `onboard` boot the add-ons and call this, so looking at the war room
    /// or onboarding never runs a job.
    pub fn upkeep(&mut self) -> Result<(), Error> {
        for slot in self.slots.iter_mut().filter(|slot| slot.failure.is_none()) {
            let outcome = slot.addon.tick(&mut self.host);
            record_outcome(&mut self.host, slot, "tick", outcome)?;
        }
        self.track_health();
        self.reload_readiness()?;
        self.check_readiness()
    }

    /// `lancelot onboard`: verifies every mandatory add-on (after [`Runtime::boot`] and a
    /// [`Runtime::tick`]) and sets READY when all pass, or not READY with the first failure's
    /// reason; records a receipt and, when persisting, saves `ready.json`.
    pub fn onboard(&mut self) -> Result<Vec<Verification>, Error> {
        let now_ms = self.host.now_ms();
        let verifications: Vec<Verification> = self
            .slots
            .iter()
            .filter(|slot| slot.addon.mandatory())
            .map(|slot| Verification {
                addon: slot.addon.name().to_string(),
                outcome: match &slot.failure {
                    Some(failure) => Err(format!("it failed: {}", failure.message)),
                    None => slot.addon.verify_ready(&self.host),
                },
            })
            .collect();
        let failed = verifications.iter().find_map(|v| v.outcome.as_ref().err().map(|reason| (&v.addon, reason)));
        self.readiness = match failed {
            None => Readiness::ready(
                now_ms,
                verifications.iter().map(|v| Verified { addon: v.addon.clone(), at_ms: now_ms }).collect(),
            ),
            Some((addon, reason)) => self
                .readiness
                .dropped(now_ms, format!("mandatory add-on `{addon}` failed its readiness check: {reason}")),
        };
        let kind = if self.readiness.ready { ReceiptKind::StateChange } else { ReceiptKind::Failure };
        let detail = serde_json::to_value(&self.readiness)
            .map_err(|error| Error::Encoding { what: "the READY state", reason: error.to_string() })?;
        self.host.record_with_detail(kind, SYSTEM, format!("onboard: {}", self.readiness.describe()), detail)?;
        self.save_readiness()?;
        Ok(verifications)
    }

    /// The war room now: each add-on's report, overridden to `failed` for add-ons whose last
    /// step returned an error, with its skipped jobs and what to do about them, and the
    /// system's READY state.
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
                if let Some(skipped) = &slot.skipped {
                    let flags = self.host.flags();
                    entry.recovery_actions.extend(skipped.reasons.iter().map(|reason| reason.recovery_action(flags)));
                    entry.skipped = Some(skipped.clone());
                }
                entry
            })
            .collect();
        WarRoom {
            version: WAR_ROOM_VERSION,
            source: Source::Live,
            system: self.readiness.clone(),
            generated_at_ms: self.host.now_ms(),
            receipts: self.host.receipts().location(),
            entries,
            warnings: self.host.warnings(),
        }
    }

    /// Writes `war_room.json` when persisting and a receipt was recorded since the last write
    /// (every state change, job, skip and failure records one), [`HEARTBEAT_MS`] passed (which
    /// also carries changes an add-on made to its row without a receipt), or `stopped` (the host
    /// is stopping cleanly). The check costs nothing per tick; only a write serializes the war
    /// room. Returns whether it wrote.
    pub fn persist(&mut self, stopped: bool) -> Result<bool, Error> {
        let now_ms = self.host.now_ms();
        let recorded = self.host.recorded;
        let due = match &self.persistence {
            None => return Ok(false),
            Some(persistence) => match persistence.last_written {
                None => true,
                Some((at_ms, receipts)) => {
                    stopped || receipts != recorded || now_ms.saturating_sub(at_ms) >= HEARTBEAT_MS
                }
            },
        };
        if !due {
            return Ok(false);
        }
        let war_room = self.war_room();
        let last_job_runs = self.last_job_runs();
        let Some(persistence) = &mut self.persistence else { return Ok(false) };
        let document = PersistedWarRoom {
            pid: persistence.pid,
            started_at_ms: persistence.started_at_ms,
            stopped_at_ms: stopped.then_some(now_ms),
            war_room,
            last_job_runs,
        };
        document.save(&persistence.state_dir, now_ms)?;
        persistence.last_written = Some((now_ms, recorded));
        Ok(true)
    }

    /// How many receipts this runtime recorded.
    pub fn receipts_recorded(&self) -> u64 {
        self.host.recorded
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The host, mutably (e.g. to add a warning).
    pub fn host_mut(&mut self) -> &mut Host {
        &mut self.host
    }

    fn last_job_runs(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.slots
            .iter()
            .filter(|slot| slot.last_runs.iter().any(Option::is_some))
            .map(|slot| {
                let runs = slot
                    .addon
                    .jobs()
                    .iter()
                    .zip(&slot.last_runs)
                    .filter_map(|(job, last)| last.map(|at| (job.name.to_string(), at)))
                    .collect();
                (slot.addon.name().to_string(), runs)
            })
            .collect()
    }

    /// Hands each add-on its state slot and the last host's job runs.
    fn restore(&mut self) -> Result<(), Error> {
        let now_ms = self.host.now_ms();
        let Some(persistence) = &mut self.persistence else { return Ok(()) };
        for slot in &mut self.slots {
            let name = slot.addon.name();
            slot.skipped = persistence.restored_skipped.remove(name);
            if let Some(runs) = persistence.restored_job_runs.get(name) {
                for (job, last) in slot.addon.jobs().iter().zip(&mut slot.last_runs) {
                    *last = runs.get(job.name).copied();
                }
            }
            match persistence.slots.load(name, slot.addon.state_version(), now_ms)? {
                Read::Missing => {}
                Read::KeptAside(warning) | Read::LeftInPlace(warning) => self.host.warnings.push(warning),
                Read::Found { version, data, .. } => {
                    if let Err(reason) = slot.addon.restore_state(version, data) {
                        let reason = format!("`{name}` could not restore it: {reason}");
                        let warning = persistence.slots.keep_aside(name, &reason, now_ms)?;
                        self.host.warnings.push(warning);
                    }
                }
            }
        }
        Ok(())
    }

    fn save_slots(&mut self) -> Result<(), Error> {
        let now_ms = self.host.now_ms();
        let Some(persistence) = &mut self.persistence else { return Ok(()) };
        for slot in &self.slots {
            if let Some(data) = slot.addon.save_state() {
                persistence.slots.save(slot.addon.name(), slot.addon.state_version(), &data, now_ms)?;
            }
        }
        Ok(())
    }

    fn save_readiness(&mut self) -> Result<(), Error> {
        let now_ms = self.host.now_ms();
        let Some(persistence) = &mut self.persistence else { return Ok(()) };
        ready::save(&persistence.state_dir, &self.readiness, now_ms)?;
        persistence.ready_seen = modified(&ready::path(&persistence.state_dir));
        Ok(())
    }

    /// Picks up `ready.json` when another process (`lancelot onboard`) rewrote it while this host
    /// runs: one `stat` per tick.
    fn reload_readiness(&mut self) -> Result<(), Error> {
        let now_ms = self.host.now_ms();
        let Some(persistence) = &mut self.persistence else { return Ok(()) };
        let seen = modified(&ready::path(&persistence.state_dir));
        if seen == persistence.ready_seen {
            return Ok(());
        }
        persistence.ready_seen = seen;
        let (readiness, warning) = ready::load(&persistence.state_dir, now_ms)?;
        self.host.warnings.extend(warning);
        if readiness != self.readiness {
            self.readiness = readiness;
            self.host.record(
                ReceiptKind::StateChange,
                SYSTEM,
                format!("READY reloaded: {}", self.readiness.describe()),
            )?;
        }
        Ok(())
    }

    /// Notes when each add-on started being unhealthy, for the skip reasons' "since".
    fn track_health(&mut self) {
        let now_ms = self.host.now_ms();
        for slot in &mut self.slots {
            slot.track_health(now_ms);
        }
    }

    /// Drops READY when a mandatory add-on is not `running` or was never verified.
    fn check_readiness(&mut self) -> Result<(), Error> {
        if !self.readiness.ready {
            return Ok(());
        }
        let problem = self.slots.iter().filter(|slot| slot.addon.mandatory()).find_map(|slot| {
            let name = slot.addon.name();
            if !self.readiness.verified.iter().any(|verified| verified.addon == name) {
                return Some(format!("mandatory add-on `{name}` was never verified"));
            }
            match slot.status() {
                AddonStatus::Running => None,
                status => Some(format!("mandatory add-on `{name}` is {}", status.as_str())),
            }
        });
        let Some(reason) = problem else { return Ok(()) };
        let now_ms = self.host.now_ms();
        self.readiness = self.readiness.dropped(now_ms, reason);
        self.host.record(ReceiptKind::StateChange, SYSTEM, format!("READY dropped: {}", self.readiness.describe()))?;
        self.save_readiness()
    }

    /// Why `slots[index]`'s jobs cannot run now: not READY first, then each dependency.
    fn skip_reasons(&self, index: usize) -> Vec<SkipReason> {
        let mut reasons = Vec::new();
        if let Some(reason) = self.readiness.not_ready_reason() {
            reasons.push(SkipReason::NotReady { reason });
        }
        for dependency in self.slots[index].addon.depends_on() {
            let Some(slot) = self.slots.iter().find(|slot| slot.addon.name() == *dependency) else {
                reasons.push(SkipReason::DependencyMissing { dependency: dependency.to_string() });
                continue;
            };
            match slot.status() {
                AddonStatus::Running => {}
                AddonStatus::Disabled => reasons.push(SkipReason::DependencyDisabled {
                    dependency: dependency.to_string(),
                    flag: slot.addon.flag().to_string(),
                }),
                status @ (AddonStatus::Degraded | AddonStatus::Failed) => reasons.push(SkipReason::DependencyFailing {
                    dependency: dependency.to_string(),
                    status: status.as_str().to_string(),
                    since_ms: slot.unhealthy_since.unwrap_or_else(|| self.host.now_ms()),
                }),
            }
        }
        reasons
    }

    fn run_jobs(&mut self, index: usize, now_ms: u64) -> Result<(), Error> {
        let slot = &self.slots[index];
        if slot.failure.is_some() || matches!(slot.status(), AddonStatus::Disabled | AddonStatus::Failed) {
            return Ok(());
        }
        let jobs: Vec<Job> = slot.addon.jobs().to_vec();
        if !jobs.iter().zip(&slot.last_runs).any(|(job, last)| job.is_due(*last, now_ms)) {
            return Ok(());
        }
        let reasons = self.skip_reasons(index);
        let name = self.slots[index].addon.name();
        if !reasons.is_empty() {
            if self.slots[index].skipped.as_ref().is_some_and(|skipped| skipped.reasons == reasons) {
                return Ok(());
            }
            let due: Vec<&str> = jobs
                .iter()
                .zip(&self.slots[index].last_runs)
                .filter(|(job, last)| job.is_due(**last, now_ms))
                .map(|(job, _)| job.name)
                .collect();
            let detail = serde_json::json!({ "jobs": due, "reasons": reasons });
            let message = format!("jobs skipped: {}", jobs::describe(&reasons));
            let receipt = self.host.record_with_detail(ReceiptKind::Skipped, name, message, detail)?;
            self.slots[index].skipped = Some(SkippedJobs { since_ms: receipt.timestamp_ms, reasons });
            return Ok(());
        }
        if let Some(skipped) = self.slots[index].skipped.take() {
            let message =
                format!("jobs resume: was skipped since {}", crate::clock::format_timestamp_ms(skipped.since_ms));
            self.host.record(ReceiptKind::StateChange, name, message)?;
        }
        for (job_index, job) in jobs.iter().enumerate() {
            let slot = &mut self.slots[index];
            if slot.failure.is_some() || !job.is_due(slot.last_runs[job_index], now_ms) {
                continue;
            }
            let before = self.host.recorded;
            let outcome = slot.addon.run_job(job.name, &mut self.host);
            slot.last_runs[job_index] = Some(now_ms);
            if outcome.is_ok() && self.host.recorded == before {
                self.host.record_with_detail(
                    ReceiptKind::Job,
                    name,
                    format!("job `{}` ran", job.name),
                    serde_json::json!({ "job": job.name }),
                )?;
            }
            record_outcome(&mut self.host, slot, &format!("job `{}`", job.name), outcome)?;
        }
        Ok(())
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

    /// An add-on whose status the test sets; `mandatory` on demand.
    struct Settable {
        name: &'static str,
        status: std::rc::Rc<std::cell::Cell<AddonStatus>>,
        mandatory: bool,
    }

    impl Addon for Settable {
        fn name(&self) -> &'static str {
            self.name
        }
        fn flag(&self) -> &'static str {
            "FEATURE_SETTABLE"
        }
        fn mandatory(&self) -> bool {
            self.mandatory
        }
        fn boot(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn tick(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn report(&self) -> WarRoomEntry {
            let mut entry = WarRoomEntry::new(self.name, "FEATURE_SETTABLE");
            entry.status = self.status.get();
            entry
        }
    }

    /// A running add-on with one job every second, depending on `settable`, saving its runs.
    struct Dependent {
        depends_on: &'static [&'static str],
        runs: u64,
    }

    impl Addon for Dependent {
        fn name(&self) -> &'static str {
            "dependent"
        }
        fn flag(&self) -> &'static str {
            "FEATURE_DEPENDENT"
        }
        fn depends_on(&self) -> &'static [&'static str] {
            self.depends_on
        }
        fn jobs(&self) -> &'static [Job] {
            const JOBS: &[Job] = &[Job::every("sweep", std::time::Duration::from_secs(1))];
            JOBS
        }
        fn run_job(&mut self, job: &str, _host: &mut Host) -> Result<(), Error> {
            assert_eq!(job, "sweep");
            self.runs += 1;
            Ok(())
        }
        fn save_state(&self) -> Option<serde_json::Value> {
            Some(serde_json::json!({ "runs": self.runs }))
        }
        fn restore_state(&mut self, _version: u32, data: serde_json::Value) -> Result<(), String> {
            self.runs = data["runs"].as_u64().ok_or("`runs` is not a number")?;
            Ok(())
        }
        fn boot(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn tick(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn report(&self) -> WarRoomEntry {
            let mut entry = WarRoomEntry::new("dependent", "FEATURE_DEPENDENT");
            entry.status = AddonStatus::Running;
            entry
        }
    }

    fn dependency(status: AddonStatus) -> (Box<dyn Addon>, std::rc::Rc<std::cell::Cell<AddonStatus>>) {
        let status = std::rc::Rc::new(std::cell::Cell::new(status));
        (Box::new(Settable { name: "settable", status: status.clone(), mandatory: false }), status)
    }

    fn dependent() -> Box<dyn Addon> {
        Box::new(Dependent { depends_on: &["settable"], runs: 0 })
    }

    fn receipts_of(sink: &MemorySink, addon: &str) -> Vec<(ReceiptKind, String, u64)> {
        sink.receipts().into_iter().filter(|r| r.addon == addon).map(|r| (r.kind, r.message, r.timestamp_ms)).collect()
    }

    fn ready() -> Readiness {
        Readiness::ready(0, Vec::new())
    }

    #[test]
    fn dependencies_boot_first_and_a_cycle_is_refused_at_startup() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let (settable, _) = dependency(AddonStatus::Running);
        let mut runtime = Runtime::new(host(&sink, &clock), vec![dependent(), settable]);
        runtime.boot().unwrap();
        assert_eq!(runtime.order(), ["settable", "dependent"]);

        let cyclic: Vec<Box<dyn Addon>> = vec![
            Box::new(Dependent { depends_on: &["settable"], runs: 0 }),
            Box::new(Settable { name: "settable", status: Default::default(), mandatory: false }),
        ];
        let mut runtime = Runtime::new(host(&sink, &clock), cyclic);
        runtime.boot().unwrap();
        let looped: Vec<Box<dyn Addon>> = vec![Box::new(Dependent { depends_on: &["dependent"], runs: 0 })];
        let error = Runtime::new(host(&sink, &clock), looped).boot().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the add-ons depend on each other in a cycle, so none can boot first: `dependent` → `dependent`"
        );
        assert_eq!(error.exit_code(), crate::error::EXIT_FAILURE);
        assert!(error.hint().contains("src/core/dependent.rs names `dependent`"), "{}", error.hint());
    }

    /// `settable` with a job every second that fails.
    struct FailingJob;

    impl Addon for FailingJob {
        fn name(&self) -> &'static str {
            "settable"
        }
        fn flag(&self) -> &'static str {
            "FEATURE_SETTABLE"
        }
        fn jobs(&self) -> &'static [Job] {
            const JOBS: &[Job] = &[Job::every("boom", std::time::Duration::from_secs(1))];
            JOBS
        }
        fn run_job(&mut self, _job: &str, _host: &mut Host) -> Result<(), Error> {
            Err(Error::SinkRejected { reason: "boom".into() })
        }
        fn boot(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn tick(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn report(&self) -> WarRoomEntry {
            let mut entry = WarRoomEntry::new("settable", "FEATURE_SETTABLE");
            entry.status = AddonStatus::Running;
            entry
        }
    }

    /// A sink whose every append takes 1 ms on the manual clock, as an fsync does.
    struct SlowSink(MemorySink, ManualClock);

    impl ReceiptSink for SlowSink {
        fn append(&mut self, receipt: &Receipt) -> Result<(), Error> {
            self.1.advance(std::time::Duration::from_millis(1));
            self.0.append(receipt)
        }
        fn check_writable(&self) -> Result<(), Error> {
            Ok(())
        }
        fn location(&self) -> String {
            "memory".into()
        }
    }

    /// Defect (repro-5): a dependency whose job failed gave its dependent two `skipped`
    /// receipts for one change: in the failing tick the "since" was the dependent's clock
    /// reading, from the next tick the failure's time. Now the same from the first.
    #[test]
    fn a_dependency_failing_in_its_job_skips_the_dependent_with_one_receipt() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(1_000));
        let slow = SlowSink(sink.clone(), clock.clone());
        let host = Host::new(Flags::all_disabled(), Arc::new(clock.clone()), Box::new(slow));
        let mut runtime = Runtime::new(host, vec![Box::new(FailingJob), dependent()]).with_readiness(ready());
        runtime.boot().unwrap();
        for _ in 0..4 {
            runtime.tick().unwrap();
            clock.advance(std::time::Duration::from_secs(1));
        }
        let skipped: Vec<_> =
            receipts_of(&sink, "dependent").into_iter().filter(|r| r.0 == ReceiptKind::Skipped).collect();
        assert_eq!(skipped.len(), 1, "{skipped:#?}");
        let failure = receipts_of(&sink, "settable").into_iter().find(|r| r.0 == ReceiptKind::Failure).unwrap();
        let since = runtime.war_room().entries[1].skipped.as_ref().unwrap().reasons.clone();
        assert!(
            matches!(&since[0], SkipReason::DependencyFailing { since_ms, .. } if *since_ms == failure.2),
            "{since:?}"
        );
    }

    #[test]
    fn jobs_skip_once_per_change_of_reasons_and_run_when_the_dependency_recovers() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(1_000));
        let (settable, status) = dependency(AddonStatus::Disabled);
        let mut runtime = Runtime::new(host(&sink, &clock), vec![settable, dependent()]).with_readiness(ready());
        runtime.boot().unwrap();
        for _ in 0..3 {
            runtime.tick().unwrap();
            clock.advance(std::time::Duration::from_secs(1));
        }
        let room = runtime.war_room();
        let skipped = room.entries[1].skipped.as_ref().expect("shown in the war room");
        assert_eq!(skipped.since_ms, 1_000);
        assert_eq!(
            room.entries[1].recovery_actions,
            ["run the host with `settable` enabled: FEATURE_SETTABLE=true cargo run -- run"]
        );

        status.set(AddonStatus::Degraded);
        runtime.tick().unwrap(); // 4_000: failing since now
        clock.advance(std::time::Duration::from_secs(1));
        runtime.tick().unwrap(); // 5_000: same reason, no receipt
        status.set(AddonStatus::Running);
        clock.advance(std::time::Duration::from_secs(1));
        runtime.tick().unwrap(); // 6_000: runs
        clock.advance(std::time::Duration::from_millis(500));
        runtime.tick().unwrap(); // 6_500: not due
        assert_eq!(
            receipts_of(&sink, "dependent"),
            [
                (
                    ReceiptKind::Skipped,
                    "jobs skipped: dependency `settable` is disabled (`FEATURE_SETTABLE` is not `true`)".to_string(),
                    1_000
                ),
                (
                    ReceiptKind::Skipped,
                    "jobs skipped: dependency `settable` is degraded since 1970-01-01T00:00:04.000Z".to_string(),
                    4_000
                ),
                (
                    ReceiptKind::StateChange,
                    "jobs resume: was skipped since 1970-01-01T00:00:04.000Z".to_string(),
                    6_000
                ),
                (ReceiptKind::Job, "job `sweep` ran".to_string(), 6_000),
            ]
        );
        assert_eq!(sink.receipts()[0].detail.as_ref().unwrap()["jobs"], serde_json::json!(["sweep"]));
        assert_eq!(runtime.war_room().entries[1].skipped, None);
    }

    #[test]
    fn not_ready_skips_with_that_reason_and_onboard_makes_it_ready() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let (settable, status) = dependency(AddonStatus::Running);
        let mandatory = Box::new(Settable { name: "vault", status: status.clone(), mandatory: true });
        let mut runtime = Runtime::new(host(&sink, &clock), vec![settable, mandatory, dependent()]);
        runtime.boot().unwrap();
        runtime.tick().unwrap();
        assert_eq!(
            receipts_of(&sink, "dependent"),
            [(ReceiptKind::Skipped, "jobs skipped: the system is not READY (never onboarded)".to_string(), 0)]
        );
        let verifications = runtime.onboard().unwrap();
        assert_eq!(verifications, [Verification { addon: "vault".into(), outcome: Ok(()) }]);
        assert!(runtime.readiness().ready);
        runtime.tick().unwrap();
        assert_eq!(receipts_of(&sink, "dependent").last().map(|r| r.0), Some(ReceiptKind::Job));

        // A mandatory add-on that stops being healthy drops READY, with the reason, until onboarded again.
        status.set(AddonStatus::Degraded);
        clock.advance(std::time::Duration::from_secs(1));
        runtime.tick().unwrap();
        assert!(!runtime.readiness().ready);
        let system = receipts_of(&sink, SYSTEM);
        assert_eq!(
            system.last().map(|r| r.1.as_str()),
            Some("READY dropped: not READY since 1970-01-01T00:00:01.000Z: mandatory add-on `vault` is degraded")
        );
        let skipped = receipts_of(&sink, "dependent").pop().unwrap();
        assert_eq!(skipped.0, ReceiptKind::Skipped);
        assert!(
            skipped
                .1
                .starts_with("jobs skipped: the system is not READY (mandatory add-on `vault` is degraded, since "),
            "{}",
            skipped.1
        );
        assert!(skipped.1.contains("dependency `settable` is degraded since"), "{}", skipped.1);
        status.set(AddonStatus::Disabled);
        let verifications = runtime.onboard().unwrap();
        assert_eq!(verifications[0].outcome, Err("it is disabled (`FEATURE_SETTABLE` is not `true`)".to_string()));
        assert_eq!(system.len() + 1, receipts_of(&sink, SYSTEM).len());
        assert_eq!(receipts_of(&sink, SYSTEM).last().map(|r| r.0), Some(ReceiptKind::Failure));
    }

    #[test]
    fn a_missing_dependency_skips_the_jobs_but_boots() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let mut runtime = Runtime::new(host(&sink, &clock), vec![dependent()]).with_readiness(ready());
        runtime.boot().unwrap();
        runtime.tick().unwrap();
        assert_eq!(
            receipts_of(&sink, "dependent"),
            [(ReceiptKind::Skipped, "jobs skipped: dependency `settable` is not part of this build".to_string(), 0)]
        );
    }

    /// Defect (repro-14): the skip state was not restored across restarts, so every restart
    /// (`run --once` from cron) recorded one more identical `skipped` receipt.
    #[test]
    fn a_restart_with_the_same_skip_reasons_records_no_second_skipped_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        crate::ready::save(dir.path(), &ready(), 0).unwrap();
        for _ in 0..3 {
            let mut runtime = Runtime::new(host(&sink, &clock), vec![dependent()]).persisting_in(dir.path()).unwrap();
            runtime.boot().unwrap();
            runtime.tick().unwrap();
            runtime.persist(true).unwrap();
            clock.advance(std::time::Duration::from_secs(60));
        }
        let skipped: Vec<_> =
            receipts_of(&sink, "dependent").into_iter().filter(|r| r.0 == ReceiptKind::Skipped).collect();
        assert_eq!(skipped.len(), 1, "{skipped:#?}");

        // Restarted with the add-on off, it shows no skipped jobs (it has none to run).
        let status = std::rc::Rc::new(std::cell::Cell::new(AddonStatus::Disabled));
        let off = Box::new(Settable { name: "dependent", status, mandatory: false });
        let mut runtime = Runtime::new(host(&sink, &clock), vec![off]).persisting_in(dir.path()).unwrap();
        runtime.boot().unwrap();
        assert_eq!(runtime.war_room().entries[0].skipped, None);
    }

    #[test]
    fn state_slots_and_job_runs_survive_a_restart_and_a_corrupt_slot_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (sink, clock) = (MemorySink::new(), ManualClock::new(10_000));
        crate::ready::save(dir.path(), &ready(), 0).unwrap();
        let start = |sink: &MemorySink| {
            let (settable, _) = dependency(AddonStatus::Running);
            Runtime::new(host(sink, &clock), vec![settable, dependent()]).persisting_in(dir.path()).unwrap()
        };
        let mut first = start(&sink);
        first.boot().unwrap();
        first.tick().unwrap();
        assert!(first.persist(false).unwrap());
        assert!(!first.persist(false).unwrap(), "nothing changed");
        clock.advance(std::time::Duration::from_millis(HEARTBEAT_MS));
        assert!(first.persist(false).unwrap(), "the heartbeat");
        drop(first); // as if killed: no clean stop recorded

        clock.set_ms(10_500);
        let slot = dir.path().join("state/dependent.json");
        let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&slot).unwrap()).unwrap();
        assert_eq!(saved["data"], serde_json::json!({ "runs": 1 }));
        let mut second = start(&sink);
        second.boot().unwrap();
        second.tick().unwrap();
        let jobs: Vec<u64> =
            receipts_of(&sink, "dependent").iter().filter(|r| r.0 == ReceiptKind::Job).map(|r| r.2).collect();
        assert_eq!(jobs, [10_000], "the restart kept the schedule: the job is not due yet");
        clock.advance(std::time::Duration::from_millis(500));
        second.tick().unwrap();
        assert!(second.persist(true).unwrap());
        let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&slot).unwrap()).unwrap();
        assert_eq!(saved["data"], serde_json::json!({ "runs": 2 }), "restored, then counted on");

        std::fs::write(&slot, r#"{"version":1,"saved_at_ms":0,"data":{"runs":"many"}}"#).unwrap();
        let mut third = start(&sink);
        third.boot().unwrap();
        let warnings = third.host().warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].message.contains("`dependent` could not restore it: `runs` is not a number"),
            "{warnings:?}"
        );
        assert!(std::fs::read_dir(dir.path().join("state")).unwrap().any(|entry| entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("dependent.json.corrupt-")));
    }
}
