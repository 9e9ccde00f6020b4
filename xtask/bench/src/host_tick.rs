//! Bench rows for the runtime host (issue 16): its own cost per tick with 100 enabled add-ons
//! (every one with a job and a dependency, so every gate is walked), with no job due and with
//! every job due, and what durability costs: one receipt appended and fsynced, one
//! `war_room.json` written atomically.
//!
//! The figures come from the root crate's example `examples/host_tick.rs`, built in the
//! engineer's repository (dev profile, `--locked`, like `lancelot status`'s row) and run once;
//! it times the runtime on a manual clock with receipts in memory and prints JSON. This module
//! only builds, runs and reads it; `report.rs` judges. No `Cargo.lock` or no example: the rows
//! are unavailable.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use xshell::{cmd, Shell};

use super::measure;
use super::report::{Figure, Row, State, Target};

/// Add-ons in the measured host.
const ADDONS: u32 = 100;

pub fn rows() -> Vec<Row> {
    vec![
        Row::new("host_tick", "lancelot run: one tick with 100 enabled add-ons, no job due", Target::Millis(1.0)),
        Row::new(
            "host_tick_all_jobs_due",
            "lancelot run: one tick running 100 due jobs (receipts in memory)",
            Target::Millis(1.0),
        ),
        Row::new("host_receipt_fsync", "lancelot: one receipt appended and fsynced", Target::Report),
    ]
}

pub fn measure(workspace: &Path, rows: &mut [Row]) -> anyhow::Result<()> {
    if !workspace.join("Cargo.lock").is_file() || !workspace.join("examples/host_tick.rs").is_file() {
        let reason = "no `Cargo.lock` or `examples/host_tick.rs` to build the host's benchmark with";
        for row in rows.iter_mut() {
            *row = row.clone().state(State::Unavailable(reason.into()));
        }
        return Ok(());
    }
    let exe = example_binary(workspace)?;
    let sh = Shell::new().context("failed to set up the command runner")?;
    let addons = ADDONS.to_string();
    let output = measure::run_checked(cmd!(sh, "{exe} --addons {addons}"), "`examples/host_tick`")?;
    let figures: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("`examples/host_tick` printed no JSON")?;
    let micros = |key: &str| {
        figures[key].as_f64().with_context(|| format!("`examples/host_tick` printed no `{key}`: {figures}"))
    };
    let (steady, checked, busy) =
        (micros("steady_tick_us")?, micros("steady_tick_and_persist_check_us")?, micros("all_jobs_due_tick_us")?);
    let (append, write) = (micros("receipt_append_fsync_us")?, micros("war_room_write_us")?);
    rows[0] = rows[0].clone().figures(Figure::Millis(checked / 1000.0), None).note(format!(
        "median of 200 ticks with `run`'s persistence check; {steady:.0} µs without it; dev profile, manual clock"
    ));
    rows[1] = rows[1]
        .clone()
        .figures(Figure::Millis(busy / 1000.0), None)
        .note("every gate passes; each job's receipt is recorded in memory, so the disk is not timed");
    rows[2] = rows[2].clone().figures(Figure::Millis(append / 1000.0), None).note(format!(
        "one write, then fsync (data) before `append` returns; war_room.json: {:.1} ms (write, fsync, rename, directory fsync), after a tick that recorded a receipt and at least every 5 s",
        write / 1000.0
    ));
    Ok(())
}

/// Builds the example (dev profile, `--locked`, so the repository is not written) and returns
/// its path.
fn example_binary(workspace: &Path) -> anyhow::Result<PathBuf> {
    let sh = Shell::new().context("failed to set up the command runner")?;
    sh.change_dir(workspace);
    let output = measure::run_checked(
        cmd!(sh, "cargo build --quiet --locked -p lancelot --example host_tick --message-format=json"),
        "`cargo build -p lancelot --example host_tick`",
    )?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == "host_tick")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .context("`cargo build -p lancelot --example host_tick` named no executable")
}
