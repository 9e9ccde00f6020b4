//! `lancelot run`'s loop: tick a booted [`Runtime`] every tick interval on the injected clock,
//! persist after each tick and, between ticks, whenever the heartbeat is due, and stop after one tick (`--once`), when the `--for` duration has
//! passed, or when asked to (SIGINT/SIGTERM) — then persist the war room as cleanly stopped.
//!
//! Waiting goes through an injected `pause`, in steps of at most [`STOP_POLL_MS`] so a stop
//! request is noticed quickly; tests pass a pause that advances a manual clock, so the loop is
//! deterministic and never sleeps. This module must not print or read the environment.

use crate::clock::Clock;
use crate::error::Error;
use crate::host::Runtime;

/// The longest single wait: how late a stop request can be noticed between ticks.
pub const STOP_POLL_MS: u64 = 100;
/// The default time between ticks.
pub const DEFAULT_TICK_MS: u64 = 1_000;

/// How long to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// One tick, then stop.
    pub once: bool,
    /// Stop once this long has passed since the first tick.
    pub for_ms: Option<u64>,
    /// Time between the starts of two ticks.
    pub tick_ms: u64,
}

/// Why the loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// `--once`: after its tick.
    Once,
    /// The `--for` duration passed.
    Deadline,
    /// A stop was requested (SIGINT/SIGTERM).
    Requested,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Ticks run.
    pub ticks: u64,
    /// Why it stopped.
    pub stopped: Stopped,
}

/// Ticks `runtime` (already booted) until `options` or `stop_requested` end it, persisting after
/// every tick and once more, as stopped, at the end. `pause(ms)` waits about `ms` milliseconds.
pub fn run(
    runtime: &mut Runtime,
    clock: &dyn Clock,
    options: RunOptions,
    stop_requested: &dyn Fn() -> bool,
    pause: &mut dyn FnMut(u64),
) -> Result<Summary, Error> {
    let tick_ms = options.tick_ms.max(1);
    let deadline = options.for_ms.map(|for_ms| clock.now_ms().saturating_add(for_ms));
    let mut ticks = 0;
    let stopped = 'run: loop {
        if stop_requested() {
            break Stopped::Requested;
        }
        let started_ms = clock.now_ms();
        runtime.tick()?;
        ticks += 1;
        runtime.persist(false)?;
        if options.once {
            break Stopped::Once;
        }
        // From the tick's own start, the time its jobs were stamped with: the next tick is then
        // exactly one interval later for them, never a millisecond short.
        let next_ms = runtime.tick_started_ms().unwrap_or(started_ms).saturating_add(tick_ms);
        loop {
            if stop_requested() {
                break 'run Stopped::Requested;
            }
            // The heartbeat: between long ticks (`--tick 20s`) the war room is still rewritten
            // every `HEARTBEAT_MS`, so `status` never takes a live host for a dead one.
            runtime.persist(false)?;
            let now_ms = clock.now_ms();
            if deadline.is_some_and(|deadline| now_ms >= deadline) {
                break 'run Stopped::Deadline;
            }
            if now_ms >= next_ms {
                break;
            }
            let until = deadline.map_or(next_ms, |deadline| deadline.min(next_ms));
            pause(until.saturating_sub(now_ms).min(STOP_POLL_MS));
        }
    };
    runtime.persist(true)?;
    Ok(Summary { ticks, stopped })
}

/// Reads `500ms`, `3s`, `2m`, `1h` (a whole number and a unit) as milliseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration like `3s` or `500ms`"))?;
    if unit.starts_with(['.', ',']) {
        return Err(format!(
            "`{text}` is not a whole number of its unit: use a smaller unit, e.g. `1500ms` for `1.5s`"
        ));
    }
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("`{text}` has no unit `ms`, `s`, `m` or `h` (e.g. `3s`)")),
    };
    number.checked_mul(factor).ok_or_else(|| format!("`{text}` is too long"))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::clock::ManualClock;
    use crate::flags::Flags;
    use crate::host::{Addon, Host};
    use crate::jobs::Job;
    use crate::receipts::{MemorySink, ReceiptKind};
    use crate::war_room::{AddonStatus, WarRoomEntry};

    struct Ticker;

    impl Addon for Ticker {
        fn name(&self) -> &'static str {
            "ticker"
        }
        fn flag(&self) -> &'static str {
            "FEATURE_TICKER"
        }
        fn jobs(&self) -> &'static [Job] {
            const JOBS: &[Job] = &[Job::every("beat", Duration::from_secs(2))];
            JOBS
        }
        fn boot(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn tick(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn report(&self) -> WarRoomEntry {
            let mut entry = WarRoomEntry::new("ticker", "FEATURE_TICKER");
            entry.status = AddonStatus::Running;
            entry
        }
    }

    fn booted(sink: &MemorySink, clock: &ManualClock) -> Runtime {
        let host = Host::new(Flags::all_disabled(), Arc::new(clock.clone()), Box::new(sink.clone()));
        let mut runtime =
            Runtime::new(host, vec![Box::new(Ticker)]).with_readiness(crate::ready::Readiness::ready(0, Vec::new()));
        runtime.boot().unwrap();
        runtime
    }

    fn job_times(sink: &MemorySink) -> Vec<u64> {
        sink.receipts().iter().filter(|r| r.kind == ReceiptKind::Job).map(|r| r.timestamp_ms).collect()
    }

    #[test]
    fn for_a_duration_it_ticks_on_the_clock_and_runs_jobs_at_their_interval() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(10_000));
        let mut runtime = booted(&sink, &clock);
        let pauses = Cell::new(0);
        let mut pause = |ms: u64| {
            assert!(ms > 0 && ms <= STOP_POLL_MS, "{ms}");
            pauses.set(pauses.get() + 1);
            clock.advance(Duration::from_millis(ms));
        };
        let options = RunOptions { once: false, for_ms: Some(5_000), tick_ms: 1_000 };
        let summary = run(&mut runtime, &clock, options, &|| false, &mut pause).unwrap();
        assert_eq!(summary, Summary { ticks: 5, stopped: Stopped::Deadline });
        assert_eq!(job_times(&sink), [10_000, 12_000, 14_000]);
        assert_eq!(clock.now_ms(), 15_000);
        assert_eq!(pauses.get(), 50);
    }

    #[test]
    fn once_ticks_once_and_a_stop_request_ends_it_between_ticks() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let mut runtime = booted(&sink, &clock);
        let once = RunOptions { once: true, for_ms: None, tick_ms: 1_000 };
        let summary = run(&mut runtime, &clock, once, &|| false, &mut |_| panic!("no wait")).unwrap();
        assert_eq!(summary, Summary { ticks: 1, stopped: Stopped::Once });

        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let mut runtime = booted(&sink, &clock);
        let forever = RunOptions { once: false, for_ms: None, tick_ms: 1_000 };
        let stop = || clock.now_ms() >= 2_500;
        let mut pause = |ms: u64| clock.advance(Duration::from_millis(ms));
        let summary = run(&mut runtime, &clock, forever, &stop, &mut pause).unwrap();
        assert_eq!(summary, Summary { ticks: 3, stopped: Stopped::Requested });
        assert_eq!(clock.now_ms(), 2_500, "noticed within one poll");
    }

    /// An add-on whose own tick takes `delays[n]` ms on the manual clock at its n-th tick,
    /// with a job due every second.
    struct Slow {
        clock: ManualClock,
        delays: Vec<u64>,
    }

    impl Addon for Slow {
        fn name(&self) -> &'static str {
            "slow"
        }
        fn flag(&self) -> &'static str {
            "FEATURE_SLOW"
        }
        fn jobs(&self) -> &'static [Job] {
            const JOBS: &[Job] = &[Job::every("work", Duration::from_secs(1))];
            JOBS
        }
        fn boot(&mut self, _host: &mut Host) -> Result<(), Error> {
            Ok(())
        }
        fn tick(&mut self, _host: &mut Host) -> Result<(), Error> {
            let delay = if self.delays.is_empty() { 0 } else { self.delays.remove(0) };
            self.clock.advance(Duration::from_millis(delay));
            Ok(())
        }
        fn report(&self) -> WarRoomEntry {
            let mut entry = WarRoomEntry::new("slow", "FEATURE_SLOW");
            entry.status = AddonStatus::Running;
            entry
        }
    }

    /// Defect (repro-8): a job due every tick skipped ticks, since it was stamped when the tick
    /// reached it (after slower add-ons) rather than at the tick's start. Ticks whose upkeep
    /// takes 7 ms, then 0 ms, still run the 1 s job at every 1 s tick.
    #[test]
    fn a_job_due_every_tick_runs_every_tick_however_long_the_upkeep_before_it() {
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let host = Host::new(Flags::all_disabled(), Arc::new(clock.clone()), Box::new(sink.clone()));
        let slow = Slow { clock: clock.clone(), delays: vec![7, 0, 7, 0, 3] };
        let mut runtime =
            Runtime::new(host, vec![Box::new(slow)]).with_readiness(crate::ready::Readiness::ready(0, Vec::new()));
        runtime.boot().unwrap();
        let options = RunOptions { once: false, for_ms: Some(5_000), tick_ms: 1_000 };
        let mut pause = |ms: u64| clock.advance(Duration::from_millis(ms));
        let summary = run(&mut runtime, &clock, options, &|| false, &mut pause).unwrap();
        assert_eq!(summary.ticks, 5);
        assert_eq!(job_times(&sink).len(), 5, "{:?}", job_times(&sink));
    }

    /// Defect (repro-7): with `--tick 20s` the war room was rewritten only after each tick, so
    /// a live host looked dead to `status` (older than the promised 5 s). The heartbeat is now
    /// kept between ticks.
    #[test]
    fn the_war_room_is_rewritten_every_heartbeat_between_long_ticks() {
        let dir = tempfile::tempdir().unwrap();
        let (sink, clock) = (MemorySink::new(), ManualClock::new(0));
        let host = Host::new(Flags::all_disabled(), Arc::new(clock.clone()), Box::new(sink.clone()));
        let mut runtime = Runtime::new(host, vec![Box::new(Ticker)]).persisting_in(dir.path()).unwrap();
        runtime.boot().unwrap();
        let oldest = Cell::new(0u64);
        let mut pause = |ms: u64| {
            let read = crate::war_room::PersistedWarRoom::load(dir.path(), clock.now_ms()).unwrap();
            let crate::state::Read::Found { saved_at_ms, .. } = read else { panic!("persisted after the first tick") };
            oldest.set(oldest.get().max(clock.now_ms() - saved_at_ms));
            clock.advance(Duration::from_millis(ms));
        };
        let options = RunOptions { once: false, for_ms: Some(41_000), tick_ms: 20_000 };
        let summary = run(&mut runtime, &clock, options, &|| false, &mut pause).unwrap();
        assert_eq!(summary.ticks, 3);
        assert!(oldest.get() < crate::host::HEARTBEAT_MS, "the war room got {} ms old", oldest.get());
    }

    #[test]
    fn durations_parse_with_their_unit() {
        assert_eq!(parse_duration("3s"), Ok(3_000));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("2m"), Ok(120_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert!(parse_duration("3").unwrap_err().contains("no unit"));
        // Defect (repro-19): a fraction was said to have no unit.
        assert_eq!(
            parse_duration("1.5s").unwrap_err(),
            "`1.5s` is not a whole number of its unit: use a smaller unit, e.g. `1500ms` for `1.5s`"
        );
        assert!(parse_duration("s").unwrap_err().contains("not a duration"));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("99999999999999999h").unwrap_err().contains("too long"));
    }
}
