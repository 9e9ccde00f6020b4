//! The health-monitor add-on (`FEATURE_HEALTH_MONITOR`): runs registered [`HealthCheck`]s as its
//! one recurring job, [`CHECKS_JOB`], every interval on the injected clock, records a `job`
//! receipt per check run and a `failure` receipt per failing check, and reports `running` (all
//! healthy) or `degraded` (a check failing, with its error and recovery actions) to the war room.
//! It is the dependency other add-ons gate on: an add-on that names `health_monitor` in its
//! `DEPENDS_ON` gets its jobs run only while this one reports `running` (the runtime decides, from
//! this report).
//!
//! The checks are a job, not upkeep: the runtime runs them only while the system is READY (SOP
//! 8.2) and records a `skipped` receipt saying why otherwise, and a read-only command (`status`,
//! `onboard`), which only boots and ticks, never runs them. Until its first run the monitor
//! reports `running` from its boot (nothing found wrong yet), so the monitor must not be made
//! mandatory: READY would then wait on checks that wait on READY.
//!
//! This is the only module that reads `FEATURE_HEALTH_MONITOR`. It must not read other add-ons'
//! flags, sleep, or spawn threads: the runtime's ticks drive it.

use std::time::Duration;

use crate::error::Error;
use crate::host::{Addon, Host};
use crate::jobs::Job;
use crate::receipts::ReceiptKind;
use crate::war_room::{AddonStatus, WarRoomEntry};

/// The flag that gates the health monitor; only this module reads it.
pub const FLAG: &str = "FEATURE_HEALTH_MONITOR";
/// The add-on's name in receipts and the war room.
pub const NAME: &str = "health_monitor";
/// The add-on as the runtime boots it (`src/build` lists every add-on's `addon()`).
pub fn addon() -> Box<dyn Addon> {
    Box::new(HealthMonitor::new())
}

/// How often [`HealthMonitor::new`] runs its checks.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// The name of the job that runs every check once: `"job":"checks"` in `skipped` receipts.
pub const CHECKS_JOB: &str = "checks";

/// The result of one health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The component is healthy.
    Healthy,
    /// The component is not healthy.
    Unhealthy {
        /// What is wrong.
        error: String,
        /// What an operator can do about it, as exact commands or steps.
        recovery_actions: Vec<String>,
    },
}

/// A component check the health monitor runs every interval.
pub trait HealthCheck {
    /// A stable snake_case name, e.g. `receipts_log_writable`.
    fn name(&self) -> &str;
    /// Checks the component now.
    fn run(&mut self, host: &Host) -> CheckOutcome;
}

/// Healthy while the receipts log can still be opened for appending.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReceiptsLogWritable;

impl HealthCheck for ReceiptsLogWritable {
    fn name(&self) -> &str {
        "receipts_log_writable"
    }

    fn run(&mut self, host: &Host) -> CheckOutcome {
        match host.receipts().check_writable() {
            Ok(()) => CheckOutcome::Healthy,
            Err(error) => CheckOutcome::Unhealthy { error: error.to_string(), recovery_actions: vec![error.hint()] },
        }
    }
}

/// Healthy while the flags resolved without warnings (no unknown `FEATURE_*` variables).
#[derive(Debug, Clone, Copy, Default)]
pub struct FlagsWithoutWarnings;

impl HealthCheck for FlagsWithoutWarnings {
    fn name(&self) -> &str {
        "flags_without_warnings"
    }

    fn run(&mut self, host: &Host) -> CheckOutcome {
        let warnings = host.flags().warnings();
        match warnings.first() {
            None => CheckOutcome::Healthy,
            Some(first) => CheckOutcome::Unhealthy {
                error: match warnings.len() {
                    1 => first.message.clone(),
                    more => format!("{} (and {} more flag warnings)", first.message, more - 1),
                },
                recovery_actions: warnings.iter().map(|warning| warning.hint.clone()).collect(),
            },
        }
    }
}

/// The latest outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The check's name.
    pub check: String,
    /// When it ran (ms since the epoch).
    pub at_ms: u64,
    /// What it found.
    pub outcome: CheckOutcome,
}

/// The health-monitor add-on.
pub struct HealthMonitor {
    checks: Vec<Box<dyn HealthCheck>>,
    /// [`CHECKS_JOB`] every interval: the runtime decides when it is due and whether it may run.
    jobs: [Job; 1],
    started: bool,
    entry: WarRoomEntry,
    results: Vec<CheckResult>,
}

impl HealthMonitor {
    /// The monitor with its default checks ([`ReceiptsLogWritable`], [`FlagsWithoutWarnings`])
    /// every [`DEFAULT_INTERVAL`].
    pub fn new() -> HealthMonitor {
        HealthMonitor::with_checks(
            vec![Box::new(ReceiptsLogWritable), Box::new(FlagsWithoutWarnings)],
            DEFAULT_INTERVAL,
        )
    }

    /// A monitor running `checks` every `interval`.
    pub fn with_checks(checks: Vec<Box<dyn HealthCheck>>, interval: Duration) -> HealthMonitor {
        HealthMonitor {
            checks,
            jobs: [Job::every(CHECKS_JOB, interval)],
            started: false,
            entry: WarRoomEntry::new(NAME, FLAG),
            results: Vec::new(),
        }
    }

    /// The outcome of each check's latest run, in registration order.
    pub fn results(&self) -> &[CheckResult] {
        &self.results
    }

    fn run_checks(&mut self, host: &mut Host) -> Result<(), Error> {
        let mut results = Vec::with_capacity(self.checks.len());
        for check in &mut self.checks {
            let name = check.name().to_string();
            let outcome = check.run(host);
            let receipt = match &outcome {
                CheckOutcome::Healthy => host.record_with_detail(
                    ReceiptKind::Job,
                    NAME,
                    format!("check `{name}` passed"),
                    serde_json::json!({ "check": name, "healthy": true }),
                )?,
                CheckOutcome::Unhealthy { error, recovery_actions } => {
                    host.record_with_detail(
                        ReceiptKind::Job,
                        NAME,
                        format!("check `{name}` failed"),
                        serde_json::json!({ "check": name, "healthy": false }),
                    )?;
                    host.record_with_detail(
                        ReceiptKind::Failure,
                        NAME,
                        format!("check `{name}` failed: {error}"),
                        serde_json::json!({ "check": name, "recovery_actions": recovery_actions }),
                    )?
                }
            };
            results.push(CheckResult { check: name, at_ms: receipt.timestamp_ms, outcome });
        }
        let now_ms = host.now_ms();
        self.entry.last_activity_ms = Some(now_ms);
        self.results = results;
        self.update_status(host)
    }

    /// Moves between `running` and `degraded` from the latest results, recording the change.
    fn update_status(&mut self, host: &mut Host) -> Result<(), Error> {
        let failing: Vec<(&str, &String, &Vec<String>)> = self
            .results
            .iter()
            .filter_map(|result| match &result.outcome {
                CheckOutcome::Healthy => None,
                CheckOutcome::Unhealthy { error, recovery_actions } => {
                    Some((result.check.as_str(), error, recovery_actions))
                }
            })
            .collect();
        let previous = self.entry.status;
        match failing.first() {
            None => {
                self.entry.status = AddonStatus::Running;
                self.entry.last_error = None;
                self.entry.recovery_actions.clear();
                if previous == AddonStatus::Degraded {
                    host.record(ReceiptKind::StateChange, NAME, "recovered: every check passes")?;
                }
            }
            Some((check, error, _)) => {
                self.entry.status = AddonStatus::Degraded;
                self.entry.last_error = Some(format!("check `{check}` failed: {error}"));
                self.entry.recovery_actions =
                    failing.iter().flat_map(|(_, _, actions)| actions.iter().cloned()).collect();
                if previous != AddonStatus::Degraded {
                    let names: Vec<String> = failing.iter().map(|(check, _, _)| format!("`{check}`")).collect();
                    host.record(ReceiptKind::StateChange, NAME, format!("degraded: {} failing", names.join(", ")))?;
                }
            }
        }
        Ok(())
    }
}

impl Default for HealthMonitor {
    fn default() -> HealthMonitor {
        HealthMonitor::new()
    }
}

impl Addon for HealthMonitor {
    fn name(&self) -> &'static str {
        NAME
    }

    fn flag(&self) -> &'static str {
        FLAG
    }

    fn boot(&mut self, host: &mut Host) -> Result<(), Error> {
        if !host.flags().is_enabled(FLAG) {
            let receipt = host.record(ReceiptKind::Skipped, NAME, format!("not started: `{FLAG}` is not `true`"))?;
            self.entry.status = AddonStatus::Disabled;
            self.entry.last_activity_ms = Some(receipt.timestamp_ms);
            // A command that enables it when pasted: the host, with the flags it has on kept on.
            self.entry.recovery_actions = vec![format!("to enable it: {}", host.flags().command(&[FLAG], "run"))];
            return Ok(());
        }
        let names: Vec<&str> = self.checks.iter().map(|check| check.name()).collect();
        let receipt = host.record_with_detail(
            ReceiptKind::StateChange,
            NAME,
            format!(
                "started: {} {} every {}s",
                self.checks.len(),
                if self.checks.len() == 1 { "check" } else { "checks" },
                self.jobs[0].every.as_secs_f64()
            ),
            serde_json::json!({ "checks": names, "interval_ms": self.jobs[0].every.as_millis() }),
        )?;
        self.started = true;
        self.entry.status = AddonStatus::Running;
        self.entry.last_activity_ms = Some(receipt.timestamp_ms);
        self.entry.recovery_actions.clear();
        Ok(())
    }

    fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    fn run_job(&mut self, job: &str, host: &mut Host) -> Result<(), Error> {
        if !self.started || job != CHECKS_JOB {
            return Ok(());
        }
        self.run_checks(host)
    }

    /// No upkeep of its own: its checks are [`CHECKS_JOB`], which only the runtime's gated job
    /// runner starts, so looking at the war room never runs them.
    fn tick(&mut self, _host: &mut Host) -> Result<(), Error> {
        Ok(())
    }

    fn report(&self) -> WarRoomEntry {
        self.entry.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::flags::Flags;
    use crate::host::Runtime;
    use crate::ready::Readiness;
    use crate::receipts::{MemorySink, Receipt};

    /// A check that returns scripted outcomes (healthy once the script runs out) and counts runs.
    struct Scripted {
        outcomes: VecDeque<CheckOutcome>,
        runs: Rc<RefCell<u32>>,
    }

    impl HealthCheck for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        fn run(&mut self, _host: &Host) -> CheckOutcome {
            *self.runs.borrow_mut() += 1;
            self.outcomes.pop_front().unwrap_or(CheckOutcome::Healthy)
        }
    }

    fn scripted(outcomes: Vec<CheckOutcome>) -> (Box<dyn HealthCheck>, Rc<RefCell<u32>>) {
        let runs = Rc::new(RefCell::new(0));
        (Box::new(Scripted { outcomes: outcomes.into(), runs: runs.clone() }), runs)
    }

    fn unhealthy(error: &str) -> CheckOutcome {
        CheckOutcome::Unhealthy { error: error.into(), recovery_actions: vec![format!("fix {error}")] }
    }

    fn host(environment: &[(&str, &str)], sink: &MemorySink, clock: &ManualClock) -> Host {
        let environment = environment.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Host::new(Flags::resolve(environment, None).unwrap(), Arc::new(clock.clone()), Box::new(sink.clone()))
    }

    fn kinds(receipts: &[Receipt]) -> Vec<(ReceiptKind, &str)> {
        receipts.iter().map(|receipt| (receipt.kind, receipt.message.as_str())).collect()
    }

    const ON: &[(&str, &str)] = &[(FLAG, "true")];

    #[test]
    fn off_it_records_a_skipped_receipt_reports_disabled_and_never_checks() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(1_000));
        let (check, runs) = scripted(vec![]);
        let mut monitor = HealthMonitor::with_checks(vec![check], Duration::from_secs(10));
        let mut host = host(&[(FLAG, "false")], &sink, &clock);
        monitor.boot(&mut host).unwrap();
        for _ in 0..3 {
            clock.advance(Duration::from_secs(60));
            monitor.tick(&mut host).unwrap();
            monitor.run_job(CHECKS_JOB, &mut host).unwrap();
        }
        assert_eq!(
            kinds(&sink.receipts()),
            [(ReceiptKind::Skipped, "not started: `FEATURE_HEALTH_MONITOR` is not `true`")]
        );
        assert_eq!(*runs.borrow(), 0);
        let entry = monitor.report();
        assert_eq!((entry.status, entry.last_activity_ms), (AddonStatus::Disabled, Some(1_000)));
        assert_eq!(entry.recovery_actions, ["to enable it: FEATURE_HEALTH_MONITOR=true cargo run -- run"]);
    }

    #[test]
    fn unset_is_off_too() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let mut monitor = HealthMonitor::new();
        monitor.boot(&mut host(&[], &sink, &clock)).unwrap();
        assert_eq!(sink.receipts()[0].kind, ReceiptKind::Skipped);
        assert_eq!(monitor.report().status, AddonStatus::Disabled);
    }

    /// The runtime runs the checks job at its first tick, then once its interval has passed.
    #[test]
    fn on_it_starts_and_runs_checks_every_interval() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(1_000));
        let (check, runs) = scripted(vec![]);
        let monitor = HealthMonitor::with_checks(vec![check], Duration::from_secs(10));
        let mut runtime = Runtime::new(host(ON, &sink, &clock), vec![Box::new(monitor)])
            .with_readiness(Readiness::ready(0, Vec::new()));
        runtime.boot().unwrap();
        assert_eq!(runtime.war_room().entries[0].status, AddonStatus::Running);
        runtime.tick().unwrap();
        clock.advance(Duration::from_millis(9_999));
        runtime.tick().unwrap();
        assert_eq!(*runs.borrow(), 1, "not due yet");
        clock.advance(Duration::from_millis(1));
        runtime.tick().unwrap();
        assert_eq!(*runs.borrow(), 2);
        let receipts = sink.receipts();
        assert_eq!(
            kinds(&receipts),
            [
                (ReceiptKind::StateChange, "started: 1 check every 10s"),
                (ReceiptKind::Job, "check `scripted` passed"),
                (ReceiptKind::Job, "check `scripted` passed"),
            ]
        );
        assert_eq!(receipts[0].detail, Some(serde_json::json!({ "checks": ["scripted"], "interval_ms": 10_000 })));
        assert_eq!(receipts.iter().map(|r| r.timestamp_ms).collect::<Vec<_>>(), [1_000, 1_000, 11_000]);
        let entry = runtime.war_room().entries[0].clone();
        assert_eq!(
            (entry.status, entry.last_activity_ms, entry.last_error),
            (AddonStatus::Running, Some(11_000), None)
        );
    }

    /// Defect (qa3 repro-7): the checks ran in the monitor's upkeep, so `status` (which boots and
    /// ticks) and a host that was never onboarded recorded `job` receipts. They are a job now: a
    /// tick never runs them, and a host that is not READY records one `skipped` receipt naming
    /// the job and why, however many ticks pass.
    #[test]
    fn the_checks_are_a_job_a_tick_never_runs_and_a_host_not_ready_skips_once() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(1_000));
        let (check, runs) = scripted(vec![]);
        let mut monitor = HealthMonitor::with_checks(vec![check], Duration::from_secs(10));
        let mut alone = host(ON, &sink, &clock);
        monitor.boot(&mut alone).unwrap();
        monitor.tick(&mut alone).unwrap();
        assert_eq!(*runs.borrow(), 0, "a tick (what `status` and `onboard` run) ran the checks");

        let (check, runs) = scripted(vec![]);
        let monitor = HealthMonitor::with_checks(vec![check], Duration::from_secs(10));
        let sink = MemorySink::new();
        let mut runtime = Runtime::new(host(ON, &sink, &clock), vec![Box::new(monitor)]);
        runtime.boot().unwrap();
        for _ in 0..3 {
            runtime.tick().unwrap();
            clock.advance(Duration::from_secs(10));
        }
        assert_eq!(*runs.borrow(), 0, "the checks ran while the system was not READY");
        let receipts = sink.receipts();
        assert_eq!(
            kinds(&receipts),
            [
                (ReceiptKind::StateChange, "started: 1 check every 10s"),
                (ReceiptKind::Skipped, "jobs skipped: the system is not READY (never onboarded)"),
            ]
        );
        let detail = receipts[1].detail.clone().unwrap_or_default();
        assert_eq!(detail["jobs"], serde_json::json!([CHECKS_JOB]), "{detail}");
        assert_eq!(detail["reasons"][0]["kind"], "not_ready", "{detail}");
    }

    #[test]
    fn a_failing_check_degrades_it_with_the_error_and_recovery_actions_until_it_recovers() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let (check, _) = scripted(vec![unhealthy("disk full"), unhealthy("disk full")]);
        let mut monitor = HealthMonitor::with_checks(vec![check], Duration::from_secs(5));
        let mut host = host(ON, &sink, &clock);
        monitor.boot(&mut host).unwrap();
        for _ in 0..3 {
            monitor.run_job(CHECKS_JOB, &mut host).unwrap();
            if monitor.report().status == AddonStatus::Degraded {
                let entry = monitor.report();
                assert_eq!(entry.last_error.as_deref(), Some("check `scripted` failed: disk full"));
                assert_eq!(entry.recovery_actions, ["fix disk full"]);
            }
            clock.advance(Duration::from_secs(5));
        }
        let receipts = sink.receipts();
        assert_eq!(
            kinds(&receipts),
            [
                (ReceiptKind::StateChange, "started: 1 check every 5s"),
                (ReceiptKind::Job, "check `scripted` failed"),
                (ReceiptKind::Failure, "check `scripted` failed: disk full"),
                (ReceiptKind::StateChange, "degraded: `scripted` failing"),
                (ReceiptKind::Job, "check `scripted` failed"),
                (ReceiptKind::Failure, "check `scripted` failed: disk full"),
                (ReceiptKind::Job, "check `scripted` passed"),
                (ReceiptKind::StateChange, "recovered: every check passes"),
            ]
        );
        assert_eq!(
            receipts[2].detail,
            Some(serde_json::json!({ "check": "scripted", "recovery_actions": ["fix disk full"] }))
        );
        let entry = monitor.report();
        assert_eq!(
            (entry.status, entry.last_error, entry.last_activity_ms),
            (AddonStatus::Running, None, Some(10_000))
        );
        assert!(entry.recovery_actions.is_empty());
        assert_eq!(monitor.results()[0].outcome, CheckOutcome::Healthy);
    }

    #[test]
    fn the_default_flags_check_fails_on_unknown_feature_variables() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let mut monitor = HealthMonitor::new();
        let mut host = host(&[(FLAG, "true"), ("FEATURE_TYPO", "true")], &sink, &clock);
        monitor.boot(&mut host).unwrap();
        monitor.run_job(CHECKS_JOB, &mut host).unwrap();
        let entry = monitor.report();
        assert_eq!(entry.status, AddonStatus::Degraded);
        let error = entry.last_error.unwrap_or_default();
        assert!(error.starts_with("check `flags_without_warnings` failed: unknown flag `FEATURE_TYPO`"), "{error}");
        assert_eq!(
            entry.recovery_actions,
            ["unset FEATURE_TYPO, or add the add-on it should gate: cargo xtask new-addon typo"]
        );
        let checks: Vec<&str> = monitor.results().iter().map(|result| result.check.as_str()).collect();
        assert_eq!(checks, ["receipts_log_writable", "flags_without_warnings"]);
        assert_eq!(monitor.results()[0].outcome, CheckOutcome::Healthy);
    }

    #[test]
    fn the_default_receipts_check_fails_when_the_sink_refuses_writes() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let host = host(ON, &sink, &clock);
        assert_eq!(ReceiptsLogWritable.run(&host), CheckOutcome::Healthy);
        sink.fail_writes(Some("read-only file system"));
        match ReceiptsLogWritable.run(&host) {
            CheckOutcome::Unhealthy { error, recovery_actions } => {
                assert_eq!(error, "the receipt sink rejected a write: read-only file system");
                assert_eq!(recovery_actions.len(), 1);
            }
            CheckOutcome::Healthy => panic!("a refusing sink must fail the check"),
        }
    }

    #[test]
    fn a_receipt_that_cannot_be_written_is_an_error_not_a_silent_skip() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let mut monitor = HealthMonitor::new();
        let mut host = host(ON, &sink, &clock);
        monitor.boot(&mut host).unwrap();
        sink.fail_writes(Some("disk full"));
        assert!(matches!(monitor.run_job(CHECKS_JOB, &mut host), Err(Error::SinkRejected { .. })));
    }
}
