//! `cargo xtask config`: prints the effective settings, defaults included, so nobody has to guess
//! what an absent key means. The text is a `[workspace.metadata.sop]` table of valid TOML that
//! can be pasted into `Cargo.toml` as it is; `--json` prints the same settings as a report.

use crate::config::Config;
use crate::ctx::Ctx;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub json: output::JsonArg,
}

/// `config --json` (docs/json.md): every key of `[workspace.metadata.sop]`, defaults included.
#[derive(Debug, serde::Serialize)]
struct ConfigReport<'a> {
    #[serde(flatten)]
    config: &'a Config,
}

impl output::Report for ConfigReport<'_> {
    const VERSION: u32 = 1;
}

/// `{ workspace: { metadata: { sop: … } } }`: serialised, the table's header is the full path.
#[derive(serde::Serialize)]
struct Manifest<'a> {
    workspace: Workspace<'a>,
}

#[derive(serde::Serialize)]
struct Workspace<'a> {
    metadata: Metadata<'a>,
}

#[derive(serde::Serialize)]
struct Metadata<'a> {
    sop: &'a Config,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    if args.json.json {
        return output::json(&ConfigReport { config: &ctx.config });
    }
    outln!("# effective [workspace.metadata.sop] of {}", ctx.root().join("Cargo.toml").display());
    out!("{}", as_toml(&ctx.config)?);
    Ok(())
}

/// The settings as the `[workspace.metadata.sop]` table of a `Cargo.toml` (and its subtables).
fn as_toml(config: &Config) -> anyhow::Result<String> {
    let manifest = Manifest { workspace: Workspace { metadata: Metadata { sop: config } } };
    Ok(toml::to_string(&manifest)?)
}
