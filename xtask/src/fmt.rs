//! `cargo xtask fmt [--check]`: `cargo fmt --all`, plus every add-on module and add-on test.
//!
//! The runtime compiles its add-ons in through files its build script generates, and rustfmt
//! only follows `mod` items it can read in the source: on its own, `cargo fmt --all` would
//! never format (or check) `src/core/<module>.rs`. This passes those files to rustfmt
//! explicitly, found by the very rule the build uses (`layout::discover`).

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::layout;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only check the formatting (exit 1 and show the diff when a file is not formatted)
    #[arg(long)]
    pub check: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let (found, _) = layout::discover::addons(ctx.root());
    let mut files: Vec<String> = Vec::new();
    for addon in &found {
        files.push(addon.file.to_string_lossy().into_owned());
        if let Some(test) = &addon.test {
            files.push(test.to_string_lossy().into_owned());
        }
    }
    let check = args.check.then_some("--check");
    let status = xshell::cmd!(ctx.sh, "cargo fmt --all -- {check...} {files...}").quiet().ignore_status().output()?;
    use std::io::Write as _;
    let _ = std::io::stdout().write_all(&status.stdout);
    let _ = std::io::stderr().write_all(&status.stderr);
    if status.status.success() {
        return Ok(());
    }
    Err(if args.check {
        Refusal::failed("some files are not formatted (the diff is above)").hint("format them: cargo xtask fmt").into()
    } else {
        Refusal::failed("`cargo fmt` failed (its output is above)")
            .hint("fix the syntax error it names, then run: cargo xtask fmt")
            .into()
    })
}
