//! `cargo xtask status --all`: the war room across branches. One row per branch, local or on
//! the remote (or both): the slices it carries (specs it adds or changes, with their Status as
//! that branch has it), how far it is ahead of and behind main, and its pull request's state
//! when `gh` is installed. Then every registered flag with the value this clone's `.env` gives
//! it, and warnings for registered flags `.env` leaves unset and for `FEATURE_*` names in `.env`
//! that no add-on registers.
//!
//! Read-only, and it never touches a working tree: everything is read from the object database
//! (one pass over the refs, one tree lookup per branch and spec changed).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use xshell::cmd;

use crate::ctx::Ctx;
use crate::docs::Header;
use crate::git::branches::BranchTip;
use crate::output;

/// `status --all --json` (docs/json.md).
#[derive(Debug, Serialize)]
struct AllReport<'a> {
    /// What ahead/behind count against: `origin/main` or `main`.
    main: String,
    branches: &'a [BranchRow],
    flags: &'a [FlagRow],
    warnings: &'a [String],
}

impl output::Report for AllReport<'_> {
    const VERSION: u32 = 1;
}

/// One branch of the war room.
#[derive(Debug, Serialize)]
pub struct BranchRow {
    pub branch: String,
    pub local: bool,
    pub remote: bool,
    /// The slices this branch adds or changes since it forked from main (`git diff main...branch`):
    /// add-on and its Status on the branch.
    pub slices: Vec<Slice>,
    pub ahead: usize,
    pub behind: usize,
    /// `#12 OPEN`, `#9 MERGED`…, when `gh` knows the branch's pull request.
    pub pr: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Slice {
    pub addon: String,
    pub status: String,
}

/// One registered flag and this clone's value of it.
#[derive(Debug, Serialize)]
pub struct FlagRow {
    pub flag: String,
    /// The value `.env` gives it; `None`: unset (or refused), so off.
    pub local: Option<String>,
    /// Why the runtime refuses its `.env` line(s) (defined twice, not `true`/`false`); `None`
    /// when it accepts them.
    pub refused: Option<String>,
}

pub fn run(ctx: &Ctx, json: bool) -> anyhow::Result<()> {
    let (remote, main) = (&ctx.config.remote, &ctx.config.main_branch);
    let main_commit = ctx.repo.main_commit(main, remote)?;
    let main_name = if ctx.repo.remote_tracking_commit(remote, main) == Some(main_commit) {
        format!("{remote}/{main}")
    } else {
        main.clone()
    };
    let mut warnings = Vec::new();
    let prs = pull_requests(ctx, &mut warnings);
    let mut rows = Vec::new();
    for tip in ctx.repo.branch_tips(remote)? {
        if tip.name == *main {
            continue;
        }
        rows.push(branch_row(ctx, &tip, main_commit, &prs)?);
    }
    let (flags, flag_warnings) = flags(ctx)?;
    ctx.cache.save();
    warnings.extend(flag_warnings);
    if json {
        return output::json(&AllReport { main: main_name, branches: &rows, flags: &flags, warnings: &warnings });
    }
    print(&rows, &flags, &warnings, &main_name);
    Ok(())
}

fn branch_row(ctx: &Ctx, tip: &BranchTip, main: git2::Oid, prs: &HashMap<String, String>) -> anyhow::Result<BranchRow> {
    let specs = &ctx.config.docs.specs;
    let head = tip.tip(&ctx.repo).unwrap_or(main);
    // Its slices and ahead/behind are a function of two commits (and the configuration, in the
    // cache's key): from the cache, so branches at the same tip, and every branch on the next
    // run, cost one lookup instead of a tree diff and a walk of both histories.
    type Found = (Vec<(String, String)>, (usize, usize));
    let (found, (ahead, behind)): Found = ctx.cache.memo("branch-slices", &format!("{head} {main}"), || {
        // What the branch itself changed since it forked (`git diff main...branch`): a spec
        // that only main changed since (a teammate's merged slice) is not this branch's slice.
        let base = ctx.repo.merge_base(head, main)?.unwrap_or(main);
        let mut found = Vec::new();
        for file in ctx.repo.changed_in_dir(head, base, specs)? {
            let Some(written) = crate::names::feature_of_spec_file(&file) else { continue };
            // The add-on's name as every other command shows it (derived, as the inventory does).
            let feature = crate::names::Names::derive(written, "feat", &ctx.config)
                .map_or_else(|_| written.to_string(), |names| names.feature);
            let text = ctx.repo.file_at(head, &format!("{specs}/{file}"))?.unwrap_or_default();
            let status = match Header::parse(&String::from_utf8_lossy(&text)).status() {
                Ok(status) => status.as_str().to_string(),
                Err(_) => "unreadable".into(),
            };
            found.push((feature, status));
        }
        Ok((found, ctx.repo.ahead_behind(head, main)))
    })?;
    let slices = found.into_iter().map(|(addon, status)| Slice { addon, status }).collect();
    Ok(BranchRow {
        branch: tip.name.clone(),
        local: tip.local.is_some(),
        remote: tip.remote.is_some(),
        slices,
        ahead,
        behind,
        pr: prs.get(&tip.name).cloned(),
    })
}

/// The state of each branch's newest pull request, from `gh pr list` when `gh` is installed.
/// `gh` failing (not logged in, offline) is a warning, never an error: the rest still shows.
fn pull_requests(ctx: &Ctx, warnings: &mut Vec<String>) -> HashMap<String, String> {
    #[derive(serde::Deserialize)]
    struct Pr {
        #[serde(rename = "headRefName")]
        head: String,
        state: String,
        number: u64,
    }
    if crate::pre_pr::find_program("gh").is_none() {
        return HashMap::new();
    }
    let output = cmd!(ctx.sh, "gh pr list --state all --limit 200 --json headRefName,state,number")
        .env("GH_PROMPT_DISABLED", "1")
        .ignore_status()
        .quiet()
        .output();
    let listed = match output {
        Ok(output) if output.status.success() => serde_json::from_slice::<Vec<Pr>>(&output.stdout).ok(),
        _ => None,
    };
    let Some(listed) = listed else {
        warnings.push("`gh pr list` failed (not logged in, or offline?): the PR column is empty".into());
        return HashMap::new();
    };
    let mut prs = HashMap::new();
    // gh lists the newest first: the first one of a branch is its current pull request.
    for pr in listed {
        prs.entry(pr.head).or_insert_with(|| format!("#{} {}", pr.number, pr.state));
    }
    prs
}

/// Every registered flag with its `.env` value, and the warnings about `.env`.
fn flags(ctx: &Ctx) -> anyhow::Result<(Vec<FlagRow>, Vec<String>)> {
    let (declared, _) = crate::layout::declared_addons_cached(ctx.root(), &ctx.cache)?;
    let registered: BTreeMap<String, ()> =
        declared.iter().filter_map(|d| d.flag.as_ref().map(|(flag, _)| (flag.clone(), ()))).collect();
    let names: Vec<&str> = registered.keys().map(String::as_str).collect();
    let env = super::read_env(ctx.root(), &names);
    // The lines the runtime refuses first: it does not start until they are fixed.
    let mut warnings = env.problems.clone();
    let mut rows = Vec::new();
    for flag in registered.keys() {
        let value = env.values.get(flag).cloned();
        let refused = env.refused.get(flag).cloned();
        if value.is_none() && refused.is_none() {
            warnings.push(format!("`{flag}` is registered but `.env` does not set it: it is off in this clone"));
        }
        rows.push(FlagRow { flag: flag.clone(), local: value, refused });
    }
    let local: BTreeMap<&String, ()> = env.values.keys().chain(env.refused.keys()).map(|flag| (flag, ())).collect();
    let mut unknown: Vec<&String> = local.keys().copied().filter(|flag| !registered.contains_key(*flag)).collect();
    unknown.sort();
    for flag in unknown {
        warnings.push(format!("`.env` sets `{flag}`, which no add-on registers (a typo, or a removed add-on?)"));
    }
    Ok((rows, warnings))
}

fn print(rows: &[BranchRow], flags: &[FlagRow], warnings: &[String], main: &str) {
    if rows.is_empty() {
        outln!("no branches besides `{main}`");
    } else {
        let mut table = vec![["BRANCH", "WHERE", "SLICES", "AHEAD/BEHIND", "PR"].map(String::from).to_vec()];
        for row in rows {
            let place = match (row.local, row.remote) {
                (true, true) => "local, remote",
                (true, false) => "local",
                _ => "remote",
            };
            let slices: Vec<String> = row.slices.iter().map(|s| format!("{} ({})", s.addon, s.status)).collect();
            table.push(vec![
                row.branch.clone(),
                place.into(),
                if slices.is_empty() { "-".into() } else { slices.join(", ") },
                format!("{} / {}", row.ahead, row.behind),
                row.pr.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        out!("{}", output::table(&table));
        outln!("\nAHEAD/BEHIND: commits the branch has that `{main}` lacks / that it lacks of `{main}`");
    }
    if !flags.is_empty() {
        let mut table = vec![["FLAG", ".ENV"].map(String::from).to_vec()];
        for flag in flags {
            let value = match (&flag.refused, &flag.local) {
                (Some(why), _) => format!("refused: {why} (off)"),
                (None, local) => local.clone().unwrap_or_else(|| "- (off)".into()),
            };
            table.push(vec![flag.flag.clone(), value]);
        }
        outln!();
        out!("{}", output::table(&table));
    }
    for warning in warnings {
        output::warning(warning);
    }
}
