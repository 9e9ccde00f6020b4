//! `cargo xtask graph [--json]`: the Depends-on graph of the specs as Mermaid, which GitHub renders
//! in Markdown. An arrow `A --> B` reads "A depends on B". Dependencies with no spec are drawn
//! dashed so a broken reference is visible, not hidden (`check` fails on them).

use std::collections::BTreeSet;

use crate::addons::Inventory;
use crate::ctx::Ctx;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub json: output::JsonArg,
}

/// `graph --json` (docs/json.md): the add-ons, the Depends-on edges and the names with no spec.
#[derive(Debug, serde::Serialize)]
struct GraphReport<'a> {
    nodes: Vec<Node<'a>>,
    edges: Vec<Edge<'a>>,
    missing: Vec<&'a str>,
}

impl output::Report for GraphReport<'_> {
    const VERSION: u32 = 1;
}

#[derive(Debug, serde::Serialize)]
struct Node<'a> {
    addon: &'a str,
    /// `None` when the spec's status cannot be read.
    status: Option<String>,
    spec: &'a str,
}

#[derive(Debug, serde::Serialize)]
struct Edge<'a> {
    from: &'a str,
    to: &'a str,
    /// Whether `to` names a spec that exists.
    resolved: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let inventory = Inventory::load(ctx.root(), &ctx.config)?;
    let mut edges = Vec::new();
    let mut missing = BTreeSet::new();
    for addon in &inventory.addons {
        // Each entry was resolved by the inventory through `names::resolve_dependency`, the
        // resolver `check` uses too: `health-monitor` and `[HealthMonitor](…)` are one node.
        for dependency in &addon.dependencies {
            let target = dependency.name().to_string();
            let resolved = dependency.feature.as_ref().is_ok_and(|feature| inventory.find(feature).is_some());
            if !resolved {
                missing.insert(target.clone());
            }
            edges.push((addon.feature.clone(), target, resolved));
        }
    }
    if args.json.json {
        let report = GraphReport {
            nodes: (inventory.addons.iter())
                .map(|a| Node { addon: &a.feature, status: a.status.map(|s| s.to_string()), spec: &a.spec })
                .collect(),
            edges: (edges.iter()).map(|(from, to, resolved)| Edge { from, to, resolved: *resolved }).collect(),
            missing: missing.iter().map(String::as_str).collect(),
        };
        return output::json(&report);
    }
    outln!("```mermaid");
    outln!("graph TD");
    for addon in &inventory.addons {
        let status = addon.status.map(|s| s.to_string()).unwrap_or_else(|| "unreadable".into());
        outln!("  {}[\"{}<br/>{status}\"]", addon.feature, addon.names.title);
    }
    // A missing entry that is not a name may hold any character: its node id is made safe, its
    // label keeps the text.
    let node_id = |name: &str| -> String {
        if name.chars().all(|c| c.is_ascii_alphanumeric()) {
            name.to_string()
        } else {
            let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            format!("missing_{safe}")
        }
    };
    for name in &missing {
        let id = node_id(name);
        outln!("  {id}[\"{}<br/>no spec\"]", name.replace('"', "#quot;"));
        outln!("  style {id} stroke-dasharray: 5 5");
    }
    for (from, to, resolved) in &edges {
        let arrow = if *resolved { "-->" } else { "-.->" };
        outln!("  {from} {arrow} {}", node_id(to));
    }
    outln!("```");
    Ok(())
}
