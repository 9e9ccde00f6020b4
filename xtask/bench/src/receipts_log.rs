//! Bench rows for the receipts logs (issue 11, class 6): `cargo xtask receipts --limit 1` (time
//! and peak memory) and `cargo xtask status --json` on a 100 MiB tool log, and `lancelot status`
//! on a 100 MiB runtime log. Both logs are written synthetically (deterministic receipts) in the
//! bench's scratch dir and the synthetic repository's git dir; the synthetic repository's own
//! log is put back afterwards so no other row sees the big one.
//!
//! This module measures; `report.rs` judges. It never changes the engineer's repository: it
//! builds the `lancelot` binary there with `--locked` (usually already fresh), and reports the
//! row as unavailable when there is no `Cargo.lock` to build with.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use xshell::{cmd, Shell};

use super::measure::{self, Memory, Probe};
use super::report::{Figure, Row, State, Target};
use super::Bench;

/// How big the synthetic logs are.
const LOG_BYTES: u64 = 100 << 20;

pub fn rows() -> Vec<Row> {
    vec![
        Row::new("receipts_limit_1_big_log", "receipts --limit 1 on a 100 MiB log vs tail -n 1", Target::Millis(50.0)),
        Row::new("receipts_limit_1_peak_memory", "receipts --limit 1 peak memory on a 100 MiB log", Target::MiB(32.0)),
        Row::new("status_big_log", "status --json with a 100 MiB receipts log vs without one", Target::Report),
        Row::new(
            "lancelot_status_big_log",
            "lancelot status with a 100 MiB receipts log vs a fresh one",
            Target::Millis(100.0),
        ),
    ]
}

pub fn measure(workspace: &Path, bench: &Bench, rows: &mut [Row]) -> anyhow::Result<()> {
    let sh = &bench.sh;
    let log = sh.current_dir().join(".git/sop/receipts.jsonl");
    let aside = bench.scratch.join("receipts.jsonl.aside");
    let had_log = log.exists();
    if had_log {
        std::fs::rename(&log, &aside).with_context(|| format!("failed to move `{}` aside", log.display()))?;
    }
    let big = bench.scratch.join("big-receipts.jsonl");
    let measured = write_log(&big, tool_line).and_then(|lines| tool_rows(bench, &log, &big, lines, rows));
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&big);
    if had_log {
        std::fs::rename(&aside, &log).with_context(|| format!("failed to put `{}` back", log.display()))?;
    }
    if let Err(error) = measured {
        fail_unfilled(&mut rows[..3], &error);
    }
    rows[3] = match lancelot_row(workspace, bench, &rows[3]) {
        Ok(row) => row,
        Err(error) => rows[3].clone().state(State::Failed(format!("{error:#}"))),
    };
    Ok(())
}

fn fail_unfilled(rows: &mut [Row], error: &anyhow::Error) {
    for row in rows.iter_mut().filter(|row| row.ours.is_none() && row.state == State::Measured) {
        *row = row.clone().state(State::Failed(format!("{error:#}")));
    }
}

fn tool_rows(bench: &Bench, log: &Path, big: &Path, lines: u64, rows: &mut [Row]) -> anyhow::Result<()> {
    let sh = &bench.sh;
    std::fs::rename(big, log).with_context(|| format!("failed to move the synthetic log to `{}`", log.display()))?;
    let receipts = bench.xtask(sh, "cargo xtask receipts --limit 1", &["receipts", "--limit", "1"]);
    let log_text = log.to_string_lossy().into_owned();
    let tail = Probe::new(sh, "tail -n 1", "tail", &["-n", "1", &log_text]);
    let timings = measure::compare(&[&receipts, &tail], bench.runs);
    let [ours, baseline]: [anyhow::Result<measure::Timing>; 2] =
        timings.try_into().map_err(|_| anyhow::anyhow!("two probes gave another number of timings"))?;
    let note = format!("{} receipts, {} MiB", lines, LOG_BYTES >> 20);
    rows[0] = rows[0]
        .clone()
        .figures(Figure::Millis(ours?.median_ms), Some(Figure::Millis(baseline?.median_ms)))
        .note(note.clone());
    rows[1] = match receipts.peak_memory(&bench.scratch)? {
        Memory::MiB(mib) => rows[1].clone().figures(Figure::MiB(mib), None).note(note.clone()),
        Memory::Unavailable(reason) => rows[1].clone().state(State::Unavailable(reason)),
    };

    // `status` with the big log and without it, interleaved; moving the log is not timed.
    let status = bench.xtask(sh, "cargo xtask status --json", &["status", "--json"]).accepting(&[0, 1]);
    let away = bench.scratch.join("big-receipts.away");
    let mut with_log = || -> anyhow::Result<Duration> { Ok(status.run_once()?.elapsed) };
    let mut without = || -> anyhow::Result<Duration> {
        std::fs::rename(log, &away)?;
        let run = status.run_once();
        std::fs::rename(&away, log)?;
        Ok(run?.elapsed)
    };
    let timings = measure::rounds(bench.runs, &mut [&mut with_log, &mut without], &mut || Ok(()))?;
    rows[2] = rows[2]
        .clone()
        .figures(Figure::Millis(timings[0].median_ms), Some(Figure::Millis(timings[1].median_ms)))
        .note(format!("{note}; status reads the log from its end, at most 4 MiB"));
    Ok(())
}

fn lancelot_row(workspace: &Path, bench: &Bench, row: &Row) -> anyhow::Result<Row> {
    if !workspace.join("Cargo.lock").is_file() {
        // Building would write one into the repository, which the bench never changes.
        return Ok(row.clone().state(State::Unavailable("no `Cargo.lock` to build `lancelot` with".into())));
    }
    let exe = lancelot_binary(workspace)?;
    let gitconfig = bench.scratch.join("gitconfig");
    let big_dir = bench.scratch.join("lancelot-big");
    let fresh_dir = bench.scratch.join("lancelot-fresh");
    for dir in [&big_dir, &fresh_dir] {
        std::fs::create_dir_all(dir.join(".lancelot"))
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
    }
    let lines = write_log(&big_dir.join(".lancelot/receipts.jsonl"), runtime_line)?;
    let big_sh = measure::isolated_shell(&big_dir, &gitconfig)?;
    let fresh_sh = measure::isolated_shell(&fresh_dir, &gitconfig)?;
    let exe = exe.to_string_lossy().into_owned();
    let big = Probe::new(&big_sh, "lancelot status", exe.as_str(), &["status"]).accepting(&[0, 1]);
    let fresh = Probe::new(&fresh_sh, "lancelot status (fresh log)", exe.as_str(), &["status"]).accepting(&[0, 1]);
    let timings = measure::compare(&[&big, &fresh], bench.runs);
    let [ours, baseline]: [anyhow::Result<measure::Timing>; 2] =
        timings.try_into().map_err(|_| anyhow::anyhow!("two probes gave another number of timings"))?;
    let _ = std::fs::remove_dir_all(&big_dir);
    Ok(row
        .clone()
        .figures(Figure::Millis(ours?.median_ms), Some(Figure::Millis(baseline?.median_ms)))
        .note(format!("{lines} receipts, {} MiB; the runtime reads only the log's end", LOG_BYTES >> 20)))
}

/// Builds `lancelot` (dev profile, like the alias builds the xtask; `--locked`, so the
/// repository is not written) and returns its path.
fn lancelot_binary(workspace: &Path) -> anyhow::Result<PathBuf> {
    let sh = Shell::new().context("failed to set up the command runner")?;
    sh.change_dir(workspace);
    let output = measure::run_checked(
        cmd!(sh, "cargo build --quiet --locked -p lancelot --bin lancelot --message-format=json"),
        "`cargo build -p lancelot --bin lancelot`",
    )?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == "lancelot")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .context("`cargo build -p lancelot` named no `lancelot` executable")
}

/// Writes receipts made by `line` until the file holds [`LOG_BYTES`]; returns how many.
fn write_log(path: &Path, line: fn(u64) -> String) -> anyhow::Result<u64> {
    let failed = || format!("failed to write `{}`", path.display());
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).with_context(failed)?);
    let (mut written, mut count) = (0u64, 0u64);
    while written < LOG_BYTES {
        let text = line(count);
        out.write_all(text.as_bytes()).with_context(failed)?;
        written += text.len() as u64;
        count += 1;
    }
    out.flush().with_context(failed)?;
    Ok(count)
}

/// A receipt of the tool's log: commands and add-ons in turn, a failure now and then.
fn tool_line(n: u64) -> String {
    let unix_ms = 1_767_225_600_000 + n * 1000;
    let (command, kind) =
        [("check", "job"), ("pre-pr", "job"), ("new-addon", "state_change"), ("pre-pr", "failure")][(n % 4) as usize];
    format!(
        "{{\"time\":\"{}\",\"unix_ms\":{unix_ms},\"command\":\"{command}\",\"kind\":\"{kind}\",\"message\":\"synthetic receipt {n} for the bench\",\"addon\":\"Synthetic{}\",\"branch\":\"feat/synthetic-{}\",\"commit\":\"{:040x}\"}}\n",
        xtask::receipts::rfc3339(unix_ms / 1000),
        n % 50,
        n % 50,
        n
    )
}

/// A receipt of the runtime's log, as the health monitor writes them.
fn runtime_line(n: u64) -> String {
    format!(
        "{{\"timestamp_ms\":{},\"addon\":\"health_monitor\",\"kind\":\"job\",\"message\":\"check `receipts_log_writable` passed\",\"detail\":{{\"run\":{n}}}}}\n",
        1_767_225_600_000 + n * 30_000
    )
}
