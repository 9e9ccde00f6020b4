//! The bench's rows that need a remote (issue 15): `sync` with nothing to do against
//! `git fetch` + `git status`, `propose`'s own time beyond its push after a cached verify, and
//! `status --all` over 50 branches against `git for-each-ref` + `git status`.
//!
//! The remote is a bare clone of the synthetic repository in the bench's temp dir, added as
//! `origin` with every branch pushed and tracked; the set-up git goes through the xtask's
//! `git/scratch.rs`, and the git commands timed here are the yardsticks.

use std::time::{Duration, Instant};

use crate::measure::{self, Probe};
use crate::report::{Figure, Row, State, Target};
use crate::Bench;
use xtask::git::scratch as git;

/// The remote the synthetic repository pushes to (the configuration's default).
const REMOTE: &str = "origin";

/// The branches `status --all` reads, each carrying the synthetic slice.
pub const BRANCHES: u32 = 50;

pub fn rows() -> Vec<Row> {
    vec![
        Row::new("sync_vs_git_fetch_status", "sync with nothing to do vs git fetch + git status", Target::Ratio(1.5)),
        Row::new(
            "propose_beyond_push",
            "propose after a cached verify, own time beyond the push",
            Target::Millis(1000.0),
        ),
        Row::new(
            "status_all_vs_git_for_each_ref",
            format!("status --all on {BRANCHES} branches vs git for-each-ref + git status"),
            Target::Ratio(2.0),
        ),
    ]
}

/// Adds the bare origin, then fills the three rows; the synthetic repository is left on its
/// slice branch.
pub fn measure(bench: &Bench, rows: &mut [Row]) -> anyhow::Result<()> {
    let sh = &bench.sh;
    let slice = &bench.synthetic.slice_branch;
    crate::switch(sh, slice)?;
    git::bare_origin(sh, REMOTE, &bench.scratch.join("origin.git"), &bench.synthetic.main)?;
    // Each row on its own: one that fails leaves the others measured.
    let measured = [sync(bench, &rows[0]), propose(bench, &rows[1]), status_all(bench, &rows[2])];
    for (row, result) in rows.iter_mut().zip(measured) {
        *row = result.unwrap_or_else(|error| crate::failed(row, &error));
    }
    Ok(())
}

/// Two probes run one after the other, as one timed action.
fn both(first: &Probe<'_>, second: &Probe<'_>) -> anyhow::Result<Duration> {
    let started = Instant::now();
    first.run_once()?;
    second.run_once()?;
    Ok(started.elapsed())
}

fn sync(bench: &Bench, row: &Row) -> anyhow::Result<Row> {
    let sh = &bench.sh;
    let sync = bench.xtask(sh, "cargo xtask sync", &["sync"]);
    let fetch = Probe::new(sh, "git fetch", "git", &["fetch", "-q", REMOTE]);
    let status = Probe::new(sh, "git status", "git", &["status"]);
    let mut ours = || -> anyhow::Result<Duration> { Ok(sync.run_once()?.elapsed) };
    let mut baseline = || both(&fetch, &status);
    let timings = measure::rounds(bench.runs, &mut [&mut ours, &mut baseline], &mut || Ok(()))?;
    Ok(row.clone().figures(Figure::Millis(timings[0].median_ms), Some(Figure::Millis(timings[1].median_ms))).note(
        format!(
            "on `{}`, up to date with a bare origin in the temp dir; the baseline fetches it, then runs `git status`",
            bench.synthetic.slice_branch
        ),
    ))
}

/// `propose --no-open` after a passing `pre-pr` (its verify recorded), minus the same push done
/// by git; the branch is deleted on the remote after every run, so every run pushes it.
fn propose(bench: &Bench, row: &Row) -> anyhow::Result<Row> {
    let sh = &bench.sh;
    let branch = bench.synthetic.slice_branch.as_str();
    let pre_pr =
        bench.xtask(sh, "cargo xtask pre-pr --no-sync --json", &["pre-pr", "--no-sync", "--json"]).accepting(&[0, 1]);
    // Only a passing pre-pr records the verify propose reuses; a kit whose synthetic slice breaks
    // a rule (the bench's own tests use a partial one) has no such state to measure from.
    if let (_, Some(error)) = crate::pre_pr_commands_ms(&pre_pr.run_once()?.stdout)? {
        return Ok(row.clone().state(State::Unavailable(format!("pre-pr does not pass on `{branch}`: {error}"))));
    }
    let propose = bench.xtask(sh, "cargo xtask propose --no-open", &["propose", "--no-open"]);
    let push = Probe::new(sh, "git push", "git", &["push", "-q", "--force-with-lease", "-u", REMOTE, branch]);
    let mut ours = || -> anyhow::Result<Duration> { Ok(propose.run_once()?.elapsed) };
    let mut baseline = || -> anyhow::Result<Duration> { Ok(push.run_once()?.elapsed) };
    let mut between = || git::delete_remote_branch(sh, REMOTE, branch);
    between()?;
    let timings = measure::rounds(bench.runs, &mut [&mut ours, &mut baseline], &mut between)?;
    let (propose_ms, push_ms) = (timings[0].median_ms, timings[1].median_ms);
    Ok(row
        .clone()
        .figures(Figure::Millis((propose_ms - push_ms).max(0.0)), Some(Figure::Millis(push_ms)))
        .note(format!(
            "propose took {}; the reference is `git push --force-with-lease -u {REMOTE} {branch}`, the branch deleted on the remote between runs",
            crate::report::duration(propose_ms)
        )))
}

fn status_all(bench: &Bench, row: &Row) -> anyhow::Result<Row> {
    let sh = &bench.sh;
    let slice = &bench.synthetic.slice_branch;
    for index in 1..=BRANCHES {
        git::create_branch(sh, &format!("feat/bench-slice-{index:02}"), slice)?;
    }
    git::push_all(sh, REMOTE)?;
    let status = bench.xtask(sh, "cargo xtask status --all --json", &["status", "--all", "--json"]).accepting(&[0, 1]);
    let refs = Probe::new(sh, "git for-each-ref", "git", &["for-each-ref"]);
    let git_status = Probe::new(sh, "git status", "git", &["status"]);
    let mut ours = || -> anyhow::Result<Duration> { Ok(status.run_once()?.elapsed) };
    let mut baseline = || both(&refs, &git_status);
    let timings = measure::rounds(bench.runs, &mut [&mut ours, &mut baseline], &mut || Ok(()))?;
    Ok(row
        .clone()
        .figures(Figure::Millis(timings[0].median_ms), Some(Figure::Millis(timings[1].median_ms)))
        .note(format!(
            "{BRANCHES} branches at `{slice}`'s tip (its slice: one new add-on and its spec), local and on the remote, plus the synthetic ones"
        )))
}
