//! Jobs and their gating (SOP 8.2): what an add-on declares ([`Job`]: a name and an interval),
//! when a job is due, why an add-on's jobs are skipped ([`SkipReason`]: the system is not READY,
//! a dependency is disabled, failing or absent), and the order add-ons boot in (dependencies
//! first, a cycle refused: [`boot_order`]).
//!
//! This module decides nothing about a particular add-on and holds no state: the runtime
//! (`host.rs`) keeps the last runs and the skips and asks these functions. It must not read
//! flags, sleep or touch the disk.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::format_timestamp_ms;
use crate::flags::Flags;

/// A recurring job an add-on declares: the runtime runs it every `every` on the injected clock,
/// only while the system is READY and every dependency of the add-on is enabled and healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// A stable snake_case name, unique within its add-on, e.g. `sweep`.
    pub name: &'static str,
    /// How often it runs. A job runs at its first tick, then once `every` has passed since its
    /// last run.
    pub every: Duration,
}

impl Job {
    /// A job `name` run every `every`.
    pub const fn every(name: &'static str, every: Duration) -> Job {
        Job { name, every }
    }

    /// Whether a job last run at `last_run_ms` (never: `None`) is due at `now_ms`.
    pub fn is_due(&self, last_run_ms: Option<u64>, now_ms: u64) -> bool {
        let every_ms = u64::try_from(self.every.as_millis()).unwrap_or(u64::MAX);
        last_run_ms.is_none_or(|last| now_ms.saturating_sub(last) >= every_ms)
    }
}

/// Why an add-on's due jobs were not run. An add-on's jobs are skipped while any reason holds;
/// the runtime records one `skipped` receipt each time the set of reasons changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkipReason {
    /// The system is not READY (SOP 8.1).
    NotReady {
        /// Why: never onboarded, or what dropped READY.
        reason: String,
    },
    /// A dependency's flag is off, so it never started.
    DependencyDisabled {
        /// The dependency's module name.
        dependency: String,
        /// Its flag, for the recovery action.
        flag: String,
    },
    /// A dependency started but is degraded or failed.
    DependencyFailing {
        /// The dependency's module name.
        dependency: String,
        /// Its status, `degraded` or `failed`.
        status: String,
        /// When the runtime first saw it unhealthy (ms since the epoch).
        since_ms: u64,
    },
    /// A dependency the add-on declares is not compiled into this build.
    DependencyMissing {
        /// The name the add-on declares.
        dependency: String,
    },
}

impl SkipReason {
    /// What an operator can do about it, as a command that works when pasted where the host
    /// runs: it keeps on every flag `flags` has on from the environment ([`Flags::command`]).
    pub fn recovery_action(&self, flags: &Flags) -> String {
        match self {
            SkipReason::NotReady { .. } => {
                format!("verify the mandatory add-ons and persist READY: {}", flags.command(&[], "onboard"))
            }
            SkipReason::DependencyDisabled { dependency, flag } => {
                format!("run the host with `{dependency}` enabled: {}", flags.command(&[flag], "run"))
            }
            SkipReason::DependencyFailing { dependency, .. } => {
                format!("see why `{dependency}` is unhealthy (its row and recovery actions): cargo run -- status")
            }
            SkipReason::DependencyMissing { dependency } => format!(
                "add the add-on `{dependency}` (cargo xtask new-addon {}) or remove it from `DEPENDS_ON`",
                dependency.replace('_', "-")
            ),
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotReady { reason } => write!(f, "the system is not READY ({reason})"),
            SkipReason::DependencyDisabled { dependency, flag } => {
                write!(f, "dependency `{dependency}` is disabled (`{flag}` is not `true`)")
            }
            SkipReason::DependencyFailing { dependency, status, since_ms } => {
                write!(f, "dependency `{dependency}` is {status} since {}", format_timestamp_ms(*since_ms))
            }
            SkipReason::DependencyMissing { dependency } => {
                write!(f, "dependency `{dependency}` is not part of this build")
            }
        }
    }
}

/// Every reason joined for one line: `a; b`.
pub fn describe(reasons: &[SkipReason]) -> String {
    reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The order to boot `addons` in (each given as its name and its declared dependencies):
/// indices into `addons`, every dependency before its dependents, otherwise in the given order.
/// Dependencies that name no add-on of the list are ignored here (the runtime skips the jobs of
/// their dependents instead). A cycle is `Err` with its names, first repeated last
/// (`["a", "b", "a"]`).
pub fn boot_order(addons: &[(&str, &[&str])]) -> Result<Vec<usize>, Vec<String>> {
    let index_of = |name: &str| addons.iter().position(|(candidate, _)| *candidate == name);
    let edges: Vec<Vec<usize>> =
        addons.iter().map(|(_, depends_on)| depends_on.iter().filter_map(|name| index_of(name)).collect()).collect();
    // Depth-first, dependencies first; `Active` on the stack means a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; addons.len()];
    let mut order = Vec::with_capacity(addons.len());
    for start in 0..addons.len() {
        if marks[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::Active;
        while let Some(&(node, next)) = stack.last() {
            if next == edges[node].len() {
                marks[node] = Mark::Done;
                order.push(node);
                stack.pop();
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let target = edges[node][next];
            match marks[target] {
                Mark::New => {
                    marks[target] = Mark::Active;
                    stack.push((target, 0));
                }
                Mark::Active => {
                    let from = stack.iter().position(|(candidate, _)| *candidate == target).unwrap_or(0);
                    let mut cycle: Vec<String> = stack[from..].iter().map(|(i, _)| addons[*i].0.to_string()).collect();
                    cycle.push(addons[target].0.to_string());
                    return Err(cycle);
                }
                Mark::Done => {}
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_due_first_then_every_interval() {
        let job = Job::every("sweep", Duration::from_secs(10));
        assert!(job.is_due(None, 0));
        assert!(!job.is_due(Some(1_000), 10_999));
        assert!(job.is_due(Some(1_000), 11_000));
        assert!(!job.is_due(Some(5_000), 1_000), "a clock set back does not make it due");
    }

    #[test]
    fn dependencies_boot_first_and_the_rest_keep_their_order() {
        let addons: [(&str, &[&str]); 4] =
            [("alpha", &["delta"]), ("beta", &[]), ("charlie", &["alpha", "gone"]), ("delta", &[])];
        let order = boot_order(&addons).unwrap();
        let names: Vec<&str> = order.iter().map(|i| addons[*i].0).collect();
        assert_eq!(names, ["delta", "alpha", "beta", "charlie"]);
    }

    #[test]
    fn a_cycle_is_named_from_where_it_closes() {
        let addons: [(&str, &[&str]); 3] = [("a", &["b"]), ("b", &["c"]), ("c", &["a"])];
        assert_eq!(boot_order(&addons).unwrap_err(), ["a", "b", "c", "a"]);
        let itself: [(&str, &[&str]); 1] = [("x", &["x"])];
        assert_eq!(boot_order(&itself).unwrap_err(), ["x", "x"]);
    }

    #[test]
    fn reasons_read_as_sentences_with_their_fix() {
        let disabled = SkipReason::DependencyDisabled {
            dependency: "health_monitor".into(),
            flag: "FEATURE_HEALTH_MONITOR".into(),
        };
        let failing = SkipReason::DependencyFailing {
            dependency: "health_monitor".into(),
            status: "degraded".into(),
            since_ms: 1_770_199_200_000,
        };
        assert_eq!(
            describe(&[SkipReason::NotReady { reason: "never onboarded".into() }, disabled.clone()]),
            "the system is not READY (never onboarded); dependency `health_monitor` is disabled (`FEATURE_HEALTH_MONITOR` is not `true`)"
        );
        assert_eq!(failing.to_string(), "dependency `health_monitor` is degraded since 2026-02-04T10:00:00.000Z");
        // Defect (repro-4): the action set only the dependency's flag, so pasted it switched
        // off the dependent that the environment had enabled. It keeps that flag on now.
        let registry = [
            crate::flags::FlagSpec { name: "FEATURE_HEALTH_MONITOR", addon: "health_monitor" },
            crate::flags::FlagSpec { name: "FEATURE_SCHEDULER", addon: "scheduler" },
        ];
        let environment = [("FEATURE_SCHEDULER".to_string(), "true".to_string())];
        let flags = Flags::resolve_in(&registry, environment, None).unwrap();
        assert_eq!(
            disabled.recovery_action(&flags),
            "run the host with `health_monitor` enabled: FEATURE_HEALTH_MONITOR=true FEATURE_SCHEDULER=true cargo run -- run"
        );
        let not_ready = SkipReason::NotReady { reason: "never onboarded".into() };
        assert_eq!(
            not_ready.recovery_action(&flags),
            "verify the mandatory add-ons and persist READY: FEATURE_SCHEDULER=true cargo run -- onboard"
        );
        let json = serde_json::to_value(&failing).unwrap();
        assert_eq!(json["kind"], "dependency_failing");
        assert_eq!(serde_json::from_value::<SkipReason>(json).unwrap(), failing);
    }
}
