//! The secret scanner's rows: scanning a large diff against `git diff` producing the same diff,
//! and its peak memory (issue 12: ≤ 3× and ≤ 128 MiB on 500,000 lines, in the profile
//! `cargo xtask` runs).
//!
//! The diff is real code: the runtime kit's own sources (`src/`), cycled until the branch adds the wanted
//! number of lines in one commit, so the scanner sees what it meets in practice (keywords,
//! string literals, long lines) rather than one repeated line.

use std::time::Duration;

use anyhow::Context as _;
use xtask::git::scratch as git;

use super::measure::{self, Memory, Probe};
use super::report::{Figure, Row, State, Target};
use super::{switch, Bench};

/// The branch that adds the big file, and where the file goes (outside `src/core`: not an add-on).
const BRANCH: &str = "bench/big-diff";
const FILE: &str = "bench-corpus/code.txt";

pub fn rows(lines: usize) -> Vec<Row> {
    vec![
        Row::new(
            "secret_scan_vs_git_diff",
            format!("secret scan of a {lines}-line diff vs git diff producing it"),
            Target::Ratio(3.0),
        ),
        Row::new("secret_scan_peak_memory", format!("check peak memory on a {lines}-line diff"), Target::MiB(128.0)),
    ]
}

/// How many lines the big diff has: 500 per synthetic add-on, at most 500,000 (the size).
pub fn lines_for(addons: u32) -> usize {
    (addons as usize * 500).min(500_000)
}

pub fn measure(workspace: &std::path::Path, bench: &Bench, rows: &mut [Row], lines: usize) -> anyhow::Result<()> {
    let sh = &bench.sh;
    let main = &bench.synthetic.main;
    switch(sh, main)?;
    let corpus = corpus(workspace, lines)?;
    git::switch(sh, BRANCH, true)?;
    let path = sh.current_dir().join(FILE);
    std::fs::create_dir_all(path.parent().unwrap_or(&path)).context("failed to create the corpus folder")?;
    std::fs::write(&path, corpus).with_context(|| format!("failed to write `{}`", path.display()))?;
    git::commit_file(sh, FILE, "test: a big diff")?;

    let check = bench.xtask(sh, "cargo xtask check", &["check", "--no-branch-rules"]).accepting(&[0, 1]);
    let range = format!("{main}..{BRANCH}");
    let git_diff = Probe::new(sh, "git diff", "git", &["diff", &range]);
    let slice = &bench.synthetic.slice_branch;
    let mut small = || -> anyhow::Result<Duration> {
        switch(sh, slice)?;
        Ok(check.run_once()?.elapsed)
    };
    let mut big = || -> anyhow::Result<Duration> {
        switch(sh, BRANCH)?;
        Ok(check.run_once()?.elapsed)
    };
    let mut diff = || -> anyhow::Result<Duration> { Ok(git_diff.run_once()?.elapsed) };
    let timings = measure::rounds(bench.runs, &mut [&mut small, &mut big, &mut diff], &mut || Ok(()))?;
    let (small_ms, big_ms, diff_ms) = (timings[0].median_ms, timings[1].median_ms, timings[2].median_ms);
    rows[0] = rows[0]
        .clone()
        .figures(Figure::Millis((big_ms - small_ms).max(0.0)), Some(Figure::Millis(diff_ms)))
        .note(format!(
            "check on `{BRANCH}` ({}) minus check on a one-add-on branch ({}): what scanning {lines} added lines costs",
            super::report::duration(big_ms),
            super::report::duration(small_ms)
        ));
    switch(sh, BRANCH)?;
    rows[1] = match check.peak_memory(&bench.scratch) {
        Ok(Memory::MiB(mib)) => rows[1].clone().figures(Figure::MiB(mib), None),
        Ok(Memory::Unavailable(reason)) => rows[1].clone().state(State::Unavailable(reason)),
        Err(error) => rows[1].clone().state(State::Failed(format!("{error:#}"))),
    };
    switch(sh, main)?;
    Ok(())
}

/// `lines` lines of the kit's own Rust sources, cycled.
fn corpus(workspace: &std::path::Path, lines: usize) -> anyhow::Result<String> {
    let mut source = Vec::new();
    collect(&workspace.join("src"), &mut source)?;
    anyhow::ensure!(!source.is_empty(), "no Rust sources under `{}`", workspace.join("src").display());
    let mut out = String::with_capacity(lines * 48);
    for line in source.iter().cycle().take(lines) {
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

fn collect(dir: &std::path::Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read `{}`", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("failed to read `{}`", path.display()))?;
            out.extend(text.lines().map(str::to_string));
        }
    }
    Ok(())
}
