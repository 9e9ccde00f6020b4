//! The scale row: `check` on a synthetic repository of ten times `--addons` add-ons (10,000 by
//! default) against `git status` there, with the incremental cache's hit rate. Built beside the
//! main synthetic repository, the same way (`synth.rs`), with a one-commit history.

use std::path::Path;

use anyhow::Context as _;

use crate::measure::{self, Probe};
use crate::report::{Figure, Row, Target};
use crate::{git, settle, synth, Bench};

pub(crate) fn rows(addons: u32) -> Vec<Row> {
    vec![Row::new("check_large_vs_git_status", format!("check on {addons} add-ons vs git status"), Target::Ratio(2.0))]
}

/// Builds the large repository in the bench's scratch folder and times `check` there.
pub(crate) fn measure(
    kit: &Path,
    config: &xtask::config::Config,
    bench: &Bench,
    addons: u32,
    rows: &mut [Row],
) -> anyhow::Result<()> {
    let root = bench.scratch.join("large");
    std::fs::create_dir_all(&root).with_context(|| format!("failed to create `{}`", root.display()))?;
    let sh = measure::isolated_shell(&root, &bench.scratch.join("gitconfig"))?;
    let synthetic = synth::build(kit, config, &sh, &root, addons, 1)?;
    git::switch(&sh, &synthetic.slice_branch, false)?;
    settle(&sh)?;
    let check = bench.xtask(&sh, "cargo xtask check", &["check"]).accepting(&[0, 1]);
    let git_status = Probe::new(&sh, "git status", "git", &["status"]);
    let [ours, git]: [anyhow::Result<measure::Timing>; 2] = measure::compare(&[&check, &git_status], bench.runs)
        .try_into()
        .map_err(|_| anyhow::anyhow!("two probes gave another number of timings"))?;
    let hit_rate = crate::cache_hit_rate(bench, &sh)?;
    rows[0] =
        rows[0].clone().figures(Figure::Millis(ours?.median_ms), Some(Figure::Millis(git?.median_ms))).note(format!(
            "on `{}` over {} add-ons ({} tracked files); {hit_rate}",
            synthetic.slice_branch, synthetic.addons, synthetic.files
        ));
    Ok(())
}
