//! `cargo xtask bench`: the benchmark's command line, and the forwarder that starts it.
//!
//! The benchmark is a workspace member of its own (`xtask/bench/`, package `xtask-bench`): its
//! code and its dependencies (toml's writer) stay out of the tool's cold build, and the
//! `cargo xtask` alias (`--package xtask`) never builds it. This module holds its options (the
//! same [`Args`] the bench parses, so `cargo xtask bench --help` and a bad value answer without
//! building anything) and forwards them: `cargo run -p xtask-bench -- --xtask <this binary> -C
//! <repository> <options>`, with cargo's own output and the bench's on the engineer's terminal.
//!
//! The bench runs in the `dev` profile, the alias's, as every figure so far was measured: the
//! xtask code it runs in-process (the commit rules, the discovery, the confinement) is compiled as
//! `cargo xtask` compiles it, and `--xtask` makes the binary it times the one `cargo xtask` built.
//! A release build would measure another program and first build git2 and libgit2 a second time.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::ctx::Ctx;
use crate::error::Refusal;

#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Args {
    /// Add-ons in the synthetic repository
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub addons: u32,

    /// Commits on the synthetic branch whose range the commit rules read
    #[arg(long, value_name = "M", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=200_000))]
    pub commits: u32,

    /// Timed runs of each command; the table shows the median
    #[arg(long, value_name = "K", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,

    /// Skip the cold build of the xtask and of the git2-only crate (about a minute on 2 cores)
    #[arg(long)]
    pub skip_cold_build: bool,

    /// Write the figures into docs/benchmarks.md (between its `bench:figures` markers), and the first-build figure into the README
    #[arg(long)]
    pub write_docs: bool,

    /// Keep the synthetic repository and print where it is (to profile a command on it)
    #[arg(long)]
    pub keep: bool,

    /// Print the figures as JSON (progress lines go to stderr)
    #[arg(long)]
    pub json: bool,
}

impl Args {
    /// The command line that parses back to these options: what the forwarder passes on.
    pub fn to_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, value) in [("--addons", self.addons), ("--commits", self.commits), ("--runs", self.runs)] {
            out.extend([flag.to_string(), value.to_string()]);
        }
        let switches =
            [("--skip-cold-build", self.skip_cold_build), ("--write-docs", self.write_docs), ("--keep", self.keep)];
        for (flag, on) in switches.into_iter().chain([("--json", self.json)]) {
            if on {
                out.push(flag.to_string());
            }
        }
        out
    }
}

/// The package of the bench, and its manifest beside this crate's.
pub const PACKAGE: &str = "xtask-bench";

fn manifest() -> PathBuf {
    Path::new(env!("XTASK_DIR")).join("bench").join("Cargo.toml")
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let manifest = manifest();
    if !manifest.is_file() {
        let workspace = crate::output::shell_word(&Path::new(env!("XTASK_DIR")).join("..").display().to_string());
        return Err(Refusal::failed(format!("the benchmark's manifest `{}` is missing", manifest.display()))
            .hint(format!("restore the benchmark beside the xtask: git -C {workspace} checkout HEAD -- xtask/bench"))
            .into());
    }
    // The cargo that started this binary (`cargo run` sets `CARGO`), else the one on `PATH`.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let exe = std::env::current_exe().context("failed to find the running xtask binary")?;
    let (root, forwarded) = (ctx.root(), args.to_args());
    let command = xshell::cmd!(
        ctx.sh,
        "{cargo} run --manifest-path {manifest} -p {PACKAGE} --bin {PACKAGE} -- --xtask {exe} -C {root} {forwarded...}"
    );
    let status = std::process::Command::from(command)
        .status()
        .with_context(|| format!("failed to start `cargo run -p {PACKAGE}`"))?;
    let refusal = match status.code() {
        Some(0) => return Ok(()),
        // The bench's own exit codes: it printed its report and its error above.
        Some(code @ (crate::error::EXIT_FAILED | crate::error::EXIT_USAGE)) => {
            let mut refusal = Refusal::failed("the benchmark failed (its error is above)").hint(
                "keep the synthetic repository to look into it: cargo xtask bench --keep --runs 1 --skip-cold-build",
            );
            refusal.code = code;
            refusal
        }
        Some(code) => Refusal::failed(format!(
            "`cargo run -p {PACKAGE}` failed with exit code {code}: the benchmark did not build or start (see above)"
        ))
        .hint(format!("build it alone to see why: cargo build -p {PACKAGE}")),
        None => Refusal::failed(format!("`cargo run -p {PACKAGE}` was killed by a signal"))
            .hint("run it again: cargo xtask bench"),
    };
    Err(refusal.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(Debug, clap::Parser)]
    struct Line {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn forwarded_options_parse_back_to_the_same_options() {
        let parse =
            |words: &[&str]| Line::try_parse_from(std::iter::once("bench").chain(words.iter().copied())).unwrap().args;
        for words in [
            &[][..],
            &["--addons", "5", "--runs", "1", "--skip-cold-build", "--json"],
            &["--write-docs", "--keep", "--commits", "20"],
        ] {
            let args = parse(words);
            let again = parse(&args.to_args().iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(again, args, "{words:?}");
        }
        assert_eq!(parse(&["--keep"]).to_args(), ["--addons", "1000", "--commits", "10000", "--runs", "5", "--keep"]);
    }
}
