//! `cargo xtask receipts [--limit N] [--json]`: what the tool did in this clone, newest last.
//! Read-only; a damaged log is reported line by line, never fatal (see `receipts.rs`).

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
    /// Print JSON (one array) instead of a table
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let (all, report) = receipts::read(&ctx.repo)?;
    let selected: Vec<&receipts::Receipt> =
        all.iter().filter(|r| args.command.as_deref().is_none_or(|command| r.command == command)).collect();
    let shown = &selected[selected.len().saturating_sub(args.limit)..];
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "receipts": shown, "problems": report.problems }))?
        );
        return Ok(());
    }
    for problem in &report.problems {
        output::warning(problem);
    }
    if shown.is_empty() {
        println!("no receipts yet in {}", receipts::log_path(&ctx.repo).display());
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
            receipt.kind.as_str().to_string(),
            receipt.branch.clone().unwrap_or_else(|| "-".into()),
            message,
        ]);
    }
    print!("{}", output::table(&rows));
    if selected.len() > shown.len() {
        println!("({} older receipts; --limit {} shows them all)", selected.len() - shown.len(), selected.len());
    }
    Ok(())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
