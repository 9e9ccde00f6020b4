//! The verify cache: a verify sequence that passed is recorded with the tree it ran on and its
//! commands (`.git/sop/verify-cache.json`, never committed). A later `pre-pr` on the very same
//! tree with the very same commands reuses it instead of running them again — the PR body and
//! the summary say so — unless `--fresh`. `pre-pr` verifies committed work only (its preflight
//! refuses tracked changes), so HEAD's tree is what was verified. Only passing runs are kept,
//! the newest few; an unreadable cache is simply not used.

use serde::{Deserialize, Serialize};

use super::verify::{CommandResult, Sequence};
use crate::ctx::Ctx;

const CACHE_FILE: &str = "verify-cache.json";
const VERSION: u32 = 1;
/// How many passing runs are kept (a few branches' worth).
const KEEP: usize = 16;

#[derive(Debug, Serialize, Deserialize)]
struct Cache {
    version: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    tree: String,
    /// `verify`, or `integration` with its gate.
    name: String,
    commands: Vec<Vec<String>>,
    results: Vec<CommandResult>,
    /// Each result's passed test names (evidence for the checklist), in order.
    passed_names: Vec<Vec<String>>,
}

fn load(ctx: &Ctx) -> Cache {
    let text = std::fs::read_to_string(ctx.repo.sop_dir().join(CACHE_FILE)).unwrap_or_default();
    serde_json::from_str::<Cache>(&text)
        .ok()
        .filter(|cache| cache.version == VERSION)
        .unwrap_or(Cache { version: VERSION, entries: Vec::new() })
}

fn head_tree(ctx: &Ctx) -> Option<String> {
    let commit = ctx.repo.head().ok()?.commit()?;
    ctx.repo.tree_id_of(commit).ok().map(|tree| tree.to_string())
}

/// The passing run of `commands` on HEAD's tree, if one was recorded.
pub fn lookup(ctx: &Ctx, name: &str, commands: &[Vec<String>]) -> Option<Sequence> {
    let tree = head_tree(ctx)?;
    let cache = load(ctx);
    let entry = cache.entries.into_iter().find(|e| e.tree == tree && e.name == name && e.commands == commands)?;
    let results = entry
        .results
        .into_iter()
        .zip(entry.passed_names.into_iter().chain(std::iter::repeat(Vec::new())))
        .map(|(result, passed_names)| CommandResult { passed_names, ..result })
        .collect();
    Some(Sequence { results, failure: None, reused: true })
}

/// Records a passing run on HEAD's tree (best effort: a cache that cannot be written only means
/// the next run verifies again).
pub fn store(ctx: &Ctx, name: &str, commands: &[Vec<String>], sequence: &Sequence) {
    if sequence.failure.is_some() || sequence.reused {
        return;
    }
    let Some(tree) = head_tree(ctx) else { return };
    let mut cache = load(ctx);
    cache.entries.retain(|e| !(e.tree == tree && e.name == name));
    cache.entries.insert(
        0,
        Entry {
            tree,
            name: name.to_string(),
            commands: commands.to_vec(),
            results: sequence.results.clone(),
            passed_names: sequence.results.iter().map(|r| r.passed_names.clone()).collect(),
        },
    );
    cache.entries.truncate(KEEP);
    if let Ok(text) = serde_json::to_string(&cache) {
        let _ = crate::plan::write_regenerable(&ctx.repo.sop_dir().join(CACHE_FILE), text.as_bytes());
    }
}
