//! `cargo xtask receipts [--limit N] [--json]`: what the tool did in this clone, newest last.
//! Read-only, and bounded: the log is read from its end until the newest N receipts (and one
//! more, to know whether there are older ones) are found, so `--limit 1` costs the same on any
//! log. A damaged log is reported, summarised, never fatal (see `receipts.rs`).

use std::ops::ControlFlow;

use crate::ctx::Ctx;
use crate::output;
use crate::receipts;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show only the newest N receipts
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Only receipts of this command (`new-addon`, `pre-pr`, …)
    #[arg(long, value_name = "COMMAND")]
    pub command: Option<String>,
    #[command(flatten)]
    pub json: output::JsonArg,
}

/// `receipts --json` (docs/json.md): an object, not a bare array, so that the log's problems
/// travel with the receipts and a field can be added without breaking a reader.
#[derive(Debug, serde::Serialize)]
struct ReceiptsReport<'a> {
    /// Oldest first, at most `--limit`, redacted.
    receipts: &'a [receipts::Receipt],
    /// Lines of the log that are not receipts.
    problems: &'a [String],
    /// Older receipts exist that `--limit` left out.
    older: bool,
}

impl output::Report for ReceiptsReport<'_> {
    const VERSION: u32 = 1;
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let path = receipts::log_path(&ctx.repo);
    let mut newest_first: Vec<receipts::Receipt> = Vec::new();
    let report = receipts::read_backwards(&path, receipts::READ_BUDGET, |receipt: receipts::Receipt| {
        if args.command.as_deref().is_none_or(|command| receipt.command == command) {
            newest_first.push(receipt);
        }
        match newest_first.len() > args.limit {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    })?;
    let older = newest_first.len() > args.limit;
    newest_first.truncate(args.limit);
    newest_first.reverse();
    // A receipt written before the redaction layer existed may hold a secret: shown redacted.
    let shown: Vec<receipts::Receipt> = newest_first.into_iter().map(receipts::Receipt::redacted).collect();
    let shown = &shown;
    if args.json.json {
        return output::json(&ReceiptsReport { receipts: shown, problems: &report.problems, older });
    }
    for problem in &report.problems {
        output::warning(problem);
    }
    if shown.is_empty() && !older {
        match &args.command {
            // The log may hold receipts of other commands: say what was looked for.
            Some(command) => outln!("no receipt of `{}` in {}", crate::redact::text(command), path.display()),
            None => outln!("no receipts yet in {}", path.display()),
        }
        return Ok(());
    }
    let mut rows = vec![vec!["TIME".into(), "COMMAND".into(), "KIND".into(), "BRANCH".into(), "MESSAGE".into()]];
    for receipt in shown {
        let mut message = receipt.message.clone();
        if let Some(reason) = &receipt.reason {
            message.push_str(&format!(" ({})", first_line(reason)));
        }
        rows.push(vec![
            receipt.time.clone(),
            receipt.command.clone(),
            match &receipt.kind {
                receipts::Kind::Unknown(name) => format!("{name} (unknown)"),
                known => known.as_str().to_string(),
            },
            receipt.branch.clone().unwrap_or_else(|| "-".into()),
            message,
        ]);
    }
    out!("{}", output::table(&rows));
    if older {
        outln!("(older receipts not shown; --limit {} shows more)", args.limit.saturating_mul(2).max(1));
    } else if report.stopped_at_budget {
        outln!("(only the last {} MiB of the log were read)", receipts::READ_BUDGET >> 20);
    }
    Ok(())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
