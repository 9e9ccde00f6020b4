//! The host's own cost per tick, for `cargo xtask bench` (`xtask/bench/src/host_tick.rs`): N
//! synthetic add-ons, all enabled, each with one job and a dependency on the one before it, so
//! every tick walks every gate. Time comes from a manual clock; receipts go to memory, so what is
//! measured is the runtime itself, not the add-ons or the disk. Separately: one receipt appended
//! to a real log (write + fsync), the tick plus `run`'s check whether the war room changed, and
//! one `war_room.json` write (write, fsync, rename, fsync).
//!
//! Prints one JSON object. Not a test: it asserts nothing and never runs in `cargo test`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lancelot::clock::ManualClock;
use lancelot::error::Error;
use lancelot::flags::Flags;
use lancelot::host::{Addon, Host, Runtime};
use lancelot::jobs::Job;
use lancelot::ready::Readiness;
use lancelot::receipts::{JsonLinesLog, MemorySink, Receipt, ReceiptKind, ReceiptSink};
use lancelot::war_room::{AddonStatus, WarRoomEntry};

const JOBS: &[Job] = &[Job::every("work", Duration::from_secs(3_600))];

/// An enabled add-on with one job, depending on the add-on before it.
struct Synthetic {
    name: &'static str,
    depends_on: &'static [&'static str],
    entry: WarRoomEntry,
}

impl Addon for Synthetic {
    fn name(&self) -> &'static str {
        self.name
    }
    fn flag(&self) -> &'static str {
        "FEATURE_SYNTHETIC"
    }
    fn depends_on(&self) -> &'static [&'static str] {
        self.depends_on
    }
    fn jobs(&self) -> &'static [Job] {
        JOBS
    }
    fn boot(&mut self, _host: &mut Host) -> Result<(), Error> {
        self.entry.status = AddonStatus::Running;
        Ok(())
    }
    fn tick(&mut self, _host: &mut Host) -> Result<(), Error> {
        Ok(())
    }
    fn report(&self) -> WarRoomEntry {
        self.entry.clone()
    }
}

fn runtime(addons: usize, clock: &ManualClock) -> Runtime {
    let names: Vec<&'static str> =
        (0..addons).map(|i| &*Box::leak(format!("synthetic_{i:04}").into_boxed_str())).collect();
    let list: Vec<Box<dyn Addon>> = (0..addons)
        .map(|i| {
            let depends_on: &'static [&'static str] = if i == 0 { &[] } else { Box::leak(Box::new([names[i - 1]])) };
            Box::new(Synthetic { name: names[i], depends_on, entry: WarRoomEntry::new(names[i], "FEATURE_SYNTHETIC") })
                as Box<dyn Addon>
        })
        .collect();
    let host = Host::new(Flags::all_disabled(), Arc::new(clock.clone()), Box::new(MemorySink::new()));
    Runtime::new(host, list).with_readiness(Readiness::ready(0, Vec::new()))
}

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e6
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let mut addons = 100;
    let mut ticks = 2_000;
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|value| value.parse().ok()).unwrap_or(0);
        match arg.as_str() {
            "--addons" => addons = value,
            "--ticks" => ticks = value,
            _ => {}
        }
    }
    let clock = ManualClock::new(1_000_000);
    let mut host = runtime(addons.max(1), &clock);
    let boot = Instant::now();
    host.boot()?;
    let boot_us = boot.elapsed().as_secs_f64() * 1e6;

    // Steady state: every add-on ticked, every job checked, none due.
    host.tick()?;
    let mut steady = Vec::with_capacity(ticks);
    for _ in 0..ticks.max(1) {
        clock.advance(Duration::from_secs(1));
        let start = Instant::now();
        host.tick()?;
        steady.push(start.elapsed());
    }
    // Every job due on every tick: the gates pass and each job's receipt is recorded (in memory).
    let mut busy = Vec::with_capacity(ticks / 10 + 1);
    for _ in 0..(ticks / 10).max(1) {
        clock.advance(Duration::from_secs(3_600));
        let start = Instant::now();
        host.tick()?;
        busy.push(start.elapsed());
    }

    // Durability costs, on the real file system of the temp dir.
    let dir = std::env::temp_dir().join(format!("lancelot-host-tick-{}", std::process::id()));
    let (mut log, _) = JsonLinesLog::open(&dir.join("receipts.jsonl"))?;
    let receipt = Receipt {
        timestamp_ms: 1,
        addon: "synthetic_0000".into(),
        kind: ReceiptKind::Job,
        message: "job `work` ran".into(),
        detail: None,
        unknown_kind: None,
    };
    let mut appends = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        log.append(&receipt)?;
        appends.push(start.elapsed());
    }
    let persisting_clock = ManualClock::new(1_000_000);
    let mut persisted = runtime(addons.max(1), &persisting_clock).persisting_in(&dir)?;
    persisted.boot()?;
    // What `run` adds to every tick: the check whether the war room changed (most ticks write nothing).
    persisted.tick()?;
    persisted.persist(false)?;
    let mut checked = Vec::new();
    for _ in 0..200 {
        persisting_clock.advance(Duration::from_millis(10));
        let start = Instant::now();
        persisted.tick()?;
        persisted.persist(false)?;
        checked.push(start.elapsed());
    }
    let mut writes = Vec::new();
    for _ in 0..50 {
        persisting_clock.advance(Duration::from_millis(lancelot::host::HEARTBEAT_MS));
        let start = Instant::now();
        persisted.persist(false)?;
        writes.push(start.elapsed());
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "{}",
        serde_json::json!({
            "addons": addons,
            "ticks": ticks,
            "boot_us": boot_us,
            "steady_tick_us": median(steady),
            "all_jobs_due_tick_us": median(busy),
            "steady_tick_and_persist_check_us": median(checked),
            "receipt_append_fsync_us": median(appends),
            "war_room_write_us": median(writes),
        })
    );
    Ok(())
}
