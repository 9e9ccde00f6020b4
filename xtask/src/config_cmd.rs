//! `cargo xtask config`: prints the effective settings, defaults included, so nobody has to guess
//! what an absent key means.

use crate::ctx::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of TOML-like text
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let value = serde_json::to_value(&ctx.config)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    outln!("# effective [workspace.metadata.sop] of {}", ctx.root().join("Cargo.toml").display());
    if let serde_json::Value::Object(map) = value {
        for (key, value) in map {
            outln!("{key} = {value}");
        }
    }
    Ok(())
}
