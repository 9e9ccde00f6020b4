//! `cargo xtask status [--json]`: the war room of the add-ons as a whole (SOP 2.3, 7). One row
//! per add-on: spec status, flag and whether this clone's `.env` turns it on, documents and
//! module present, its branch
//! (exists / merged), last activity and last error from the receipts and git, and the recovery
//! action to take next.
//!
//! Read-only. It reads each spec's header only, the local `.env`, each add-on module's
//! declarations (as the build discovers them) and the branch list in one pass, and the receipts
//! log from its end only until every add-on's last activity and last error are found (or
//! `STATUS_READ_BUDGET` bytes were read), so it stays fast on thousands of add-ons and on a
//! log of any length (see docs/benchmarks.md).

mod all;

use std::collections::HashMap;

use crate::addons::{Addon, Inventory};
use crate::ctx::Ctx;
use crate::docs::Status;
use crate::layout;
use crate::output;
use crate::receipts::{self, Kind};

/// How much of the receipts log `status` reads from its end, at most (about 15,000 receipts):
/// the activity and errors a war room is about are recent, and its cost must not grow with the
/// log. `cargo xtask receipts` reads further back.
pub const STATUS_READ_BUDGET: u64 = 4 << 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The war room across branches: every local and remote branch, its slices, ahead/behind
    /// main and its PR (with `gh`), then every flag with this clone's `.env` value
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub json: output::JsonArg,

    /// Read every document and module afresh, without the incremental cache in
    /// `.git/sop/cache/` (the output is the same)
    #[arg(long)]
    pub no_cache: bool,
}

/// `status --json` (docs/json.md).
#[derive(Debug, serde::Serialize)]
struct StatusReport<'a> {
    addons: &'a [Row],
    problems: &'a [String],
}

impl output::Report for StatusReport<'_> {
    const VERSION: u32 = 1;
}

/// One add-on's row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub addon: String,
    pub status: String,
    pub flag: String,
    /// The value this clone's `.env` gives the flag, or `None` when it does not set it (off) or
    /// the runtime refuses its line.
    pub flag_local: Option<String>,
    /// Why the runtime refuses the `.env` line(s) of this flag (defined twice, not
    /// `true`/`false`): the flag is not on, and the runtime does not start until it is fixed.
    pub flag_refused: Option<String>,
    /// The owning module declares the flag, so the build registers it.
    pub flag_registered: bool,
    pub docs: Docs,
    pub module: bool,
    /// `<kind>/<slug>` if such a branch exists locally.
    pub branch: Option<String>,
    /// `open`, `merged` or `none`.
    pub branch_state: &'static str,
    pub last_activity: Option<String>,
    pub last_error: Option<String>,
    pub recovery: String,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Docs {
    pub spec: bool,
    pub blueprint: bool,
    pub runbook: bool,
    pub architecture: bool,
}

impl Docs {
    fn letters(self) -> String {
        [(self.spec, 'S'), (self.blueprint, 'B'), (self.runbook, 'R'), (self.architecture, 'A')]
            .iter()
            .map(|(present, letter)| if *present { *letter } else { '-' })
            .collect()
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    if args.all {
        ctx.use_cache(args.no_cache);
        return all::run(ctx, args.json.json);
    }
    // The whole war room of an unchanged tree, log and branches (`tree_memo.rs`), unless
    // `--no-cache`.
    // `--json` keeps its printed text: building and redacting a thousand rows' JSON costs more
    // than the rest of a reused run.
    let json = args.json.json;
    let print = if args.no_cache { None } else { fingerprint(ctx, json) };
    let War { rows, problems, json_text, .. } = match print.as_ref().and_then(|print| load(ctx, print)) {
        Some(war) => war,
        None => {
            ctx.use_cache(args.no_cache);
            // The log as it is before it is read: an append from now on is judged by the next run.
            let log = LogMark::now(&receipts::log_path(&ctx.repo));
            let (rows, problems) = rows(ctx)?;
            ctx.cache.save();
            let json_text = match json {
                true => Some(output::json_text(&StatusReport { addons: &rows, problems: &problems })?),
                false => None,
            };
            let war = War { rows, problems, json_text, log };
            if let Some(print) = &print {
                store(ctx, print, &war);
            }
            war
        }
    };
    if let Some(text) = json_text {
        output::print_json_text(&text);
        return Ok(());
    }
    for problem in &problems {
        output::warning(problem);
    }
    if rows.is_empty() {
        outln!("no add-ons yet; create one: cargo xtask new-addon scheduler");
        return Ok(());
    }
    let mut table =
        vec![["ADDON", "SPEC", "FLAG", ".ENV", "DOCS", "MODULE", "BRANCH", "LAST ACTIVITY", "LAST ERROR", "NEXT"]
            .map(String::from)
            .to_vec()];
    for row in &rows {
        table.push(vec![
            row.addon.clone(),
            row.status.clone(),
            row.flag.clone(),
            match (&row.flag_refused, &row.flag_local) {
                (Some(why), _) => format!("refused: {why}"),
                (None, local) => local.clone().unwrap_or_else(|| "-".into()),
            },
            row.docs.letters(),
            if row.module { "yes".into() } else { "missing".into() },
            match &row.branch {
                Some(branch) => format!("{branch} ({})", row.branch_state),
                None => "-".into(),
            },
            row.last_activity.clone().unwrap_or_else(|| "-".into()),
            row.last_error.as_deref().map(|e| truncate(e, 40)).unwrap_or_else(|| "-".into()),
            row.recovery.clone(),
        ]);
    }
    out!("{}", output::table(&table));
    outln!("\nDOCS: S spec, B blueprint, R runbook, A architecture note; `-` is missing");
    Ok(())
}

const MEMO: &str = "status";

/// What `status` reads beyond the working tree: the branches, local and the remote's (a ref is rewritten through a lock
/// file, a new file each time). The receipts log is judged apart ([`LogMark`]).
fn fingerprint(ctx: &Ctx, json: bool) -> Option<crate::tree_memo::Fingerprint> {
    use crate::tree_memo::{put_folder, settle_limit};
    let limit = settle_limit()?;
    let common = ctx.repo.common_dir();
    let mut extra = vec![u8::from(json)];
    let mut settled = crate::tree_memo::put_file(&mut extra, &common.join("packed-refs"), limit);
    settled &= put_folder(&mut extra, &common.join("refs/heads"), limit)?;
    settled &= put_folder(&mut extra, &common.join("refs/remotes").join(&ctx.config.remote), limit)?;
    settled &= put_folder(&mut extra, &common.join("reftable"), limit)?;
    crate::tree_memo::fingerprint(ctx, MEMO, &extra, settled)
}

/// The war room: its rows, the problems found on the way, with `--json` its printed text, and
/// the receipts log it was read from.
struct War {
    rows: Vec<Row>,
    problems: Vec<String>,
    json_text: Option<String>,
    log: LogMark,
}

/// Where the receipts log ended when a war room was read from it. Every command appends to the
/// log (`check` on every run), and most receipts name no add-on: they change no row. A stored
/// war room stays valid while the log was only appended to (the same file, every byte up to its
/// old end as it was), every line appended since is a receipt that names no add-on, and the whole
/// log is within what `status` reads ([`STATUS_READ_BUDGET`]), so that the lines read are the
/// same whole log both times. Anything else reads the log again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LogMark {
    /// Its length; `None` when it could not be read or ends in a torn line.
    end: Option<u64>,
    /// A checksum of its bytes up to `end`, and of its inode and device (0 when there was no
    /// log): the same file, whatever was appended.
    tail: u64,
}

impl LogMark {
    fn now(path: &std::path::Path) -> LogMark {
        let unusable = LogMark { end: None, tail: 0 };
        let Ok(bytes) = Self::read_end(path) else { return unusable };
        match bytes {
            (end, tail) if end <= STATUS_READ_BUDGET && (end == 0 || tail.last() == Some(&b'\n')) => {
                LogMark { end: Some(end), tail: Self::checksum(path, &tail) }
            }
            _ => unusable,
        }
    }

    /// The checksum of `tail` and of the identity of the file at `path` (none: 0).
    fn checksum(path: &std::path::Path, tail: &[u8]) -> u64 {
        let mut bytes = tail.to_vec();
        let identity = std::fs::metadata(path).map(|metadata| xtask_store::tree::stat(&metadata));
        let (inode, device) = identity.map_or((0, 0), |stat| (stat[5], stat[6]));
        bytes.extend_from_slice(&inode.to_le_bytes());
        bytes.extend_from_slice(&device.to_le_bytes());
        xtask_store::checksum(&bytes)
    }

    /// The log's length and bytes, when it is within the read budget (no log: empty).
    fn read_end(path: &std::path::Path) -> std::io::Result<(u64, Vec<u8>)> {
        use std::io::Read as _;
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok((0, Vec::new())),
            Err(error) => return Err(error),
        };
        let end = file.metadata()?.len();
        let mut bytes = Vec::new();
        if end <= STATUS_READ_BUDGET {
            file.take(end).read_to_end(&mut bytes)?;
        }
        Ok((end, bytes))
    }

    /// Whether a war room read when the log was `self` is still the one it gives now.
    fn still_holds(self, path: &std::path::Path) -> bool {
        use std::io::Read as _;
        let Some(end) = self.end else { return false };
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            // Still no log: as it was.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return end == 0 && self.tail == Self::checksum(path, &[])
            }
            Err(_) => return false,
        };
        let Ok(length) = file.metadata().map(|metadata| metadata.len()) else { return false };
        if length < end || length > STATUS_READ_BUDGET {
            return false;
        }
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() || bytes.len() as u64 != length {
            return false;
        }
        let (tail, appended) = bytes.split_at(end as usize);
        // A log created since (there was none) is all appended lines.
        let was_there = self.tail == Self::checksum(path, tail);
        let created_since = end == 0 && self.tail == xtask_store::checksum(&[0; 16]);
        if !(was_there || created_since) {
            return false;
        }
        let Ok(appended) = std::str::from_utf8(appended) else { return false };
        (appended.is_empty() || appended.ends_with('\n'))
            && appended.lines().all(|line| receipts::addon_of_line(line) == Ok(None))
    }
}

/// The stored war room of this fingerprint.
fn load(ctx: &Ctx, print: &crate::tree_memo::Fingerprint) -> Option<War> {
    use crate::cache::Codec as _;
    let bytes = crate::tree_memo::load(ctx, MEMO, print)?;
    let mut input = crate::cache::Reader::new(&bytes);
    let rows = (0..input.u64()?).map(|_| Row::decode(&mut input)).collect::<Option<Vec<Row>>>()?;
    let problems = Vec::<String>::decode(&mut input)?;
    let json_text = Option::<String>::decode(&mut input)?;
    let end = Option::<usize>::decode(&mut input)?.map(|end| end as u64);
    let log = LogMark { end, tail: input.u64()? };
    let war = input.is_empty().then_some(War { rows, problems, json_text, log })?;
    war.log.still_holds(&receipts::log_path(&ctx.repo)).then_some(war)
}

fn store(ctx: &Ctx, print: &crate::tree_memo::Fingerprint, war: &War) {
    use crate::cache::Codec as _;
    let mut bytes = Vec::new();
    crate::cache::put_u64(&mut bytes, war.rows.len() as u64);
    for row in &war.rows {
        row.encode(&mut bytes);
    }
    war.problems.encode(&mut bytes);
    war.json_text.encode(&mut bytes);
    war.log.end.and_then(|end| usize::try_from(end).ok()).encode(&mut bytes);
    crate::cache::put_u64(&mut bytes, war.log.tail);
    crate::tree_memo::store(ctx, MEMO, print, &bytes);
}

impl crate::cache::Codec for Row {
    fn encode(&self, out: &mut Vec<u8>) {
        for text in [&self.addon, &self.status, &self.flag, &self.recovery] {
            text.encode(out);
        }
        for text in [&self.flag_local, &self.flag_refused, &self.branch, &self.last_activity, &self.last_error] {
            text.encode(out);
        }
        let docs = self.docs;
        let flags = [self.flag_registered, docs.spec, docs.blueprint, docs.runbook, docs.architecture, self.module];
        for flag in flags {
            flag.encode(out);
        }
        self.branch_state.to_string().encode(out);
    }

    fn decode(input: &mut crate::cache::Reader<'_>) -> Option<Self> {
        let [addon, status, flag, recovery] = [(); 4].map(|()| String::decode(input));
        let [flag_local, flag_refused, branch, last_activity, last_error] =
            [(); 5].map(|()| Option::<String>::decode(input));
        let [flag_registered, spec, blueprint, runbook, architecture, module] = [(); 6].map(|()| bool::decode(input));
        let branch_state = match input.str()? {
            "open" => "open",
            "merged" => "merged",
            "none" => "none",
            _ => return None,
        };
        Some(Row {
            addon: addon?,
            status: status?,
            flag: flag?,
            flag_local: flag_local?,
            flag_refused: flag_refused?,
            flag_registered: flag_registered?,
            docs: Docs { spec: spec?, blueprint: blueprint?, runbook: runbook?, architecture: architecture? },
            module: module?,
            branch: branch?,
            branch_state,
            last_activity: last_activity?,
            last_error: last_error?,
            recovery: recovery?,
        })
    }
}

/// Builds every row, plus the problems found on the way (unreadable specs, a damaged log).
pub fn rows(ctx: &Ctx) -> anyhow::Result<(Vec<Row>, Vec<String>)> {
    let root = ctx.root();
    let config = &ctx.config;
    let inventory = Inventory::load_cached(root, config, &ctx.cache)?;
    let mut problems: Vec<String> = inventory.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();

    let (declared, _) = layout::declared_addons_cached(root, &ctx.cache)?;
    let registered: Vec<&str> =
        declared.iter().filter_map(|d| d.flag.as_ref().map(|(flag, _)| flag.as_str())).collect();
    // A module no spec owns has no row, but runs all the same: said, as `check` fails on it.
    for module in crate::check::repository::orphan_modules(&declared, &inventory.addons) {
        problems.push(format!(
            "{} (`cargo xtask check`: sop-3.3/orphan-flag)",
            crate::check::repository::orphan_message(module)
        ));
    }
    let local_env = read_env(root, &registered);
    problems.extend(local_env.problems.iter().cloned());

    let (last, report) = last_receipts(ctx, &inventory)?;
    problems.extend(report.problems);

    let main_commit = ctx.repo.main_commit(&config.main_branch, &config.remote).ok();
    let branches: HashMap<String, (git2::Oid, i64)> =
        ctx.repo.local_branches()?.into_iter().map(|(name, oid, time)| (name, (oid, time))).collect();

    let mut rows = Vec::with_capacity(inventory.addons.len());
    for addon in &inventory.addons {
        let names = &addon.names;
        let branch = config
            .branch_kinds
            .iter()
            .map(|kind| crate::names::branch_name(kind, &names.slug))
            .find_map(|name| branches.get(&name).map(|(oid, time)| (name, *oid, *time)));
        let branch_state = match (&branch, main_commit) {
            (None, Some(main)) if merged_without_branch(ctx, addon, main)? => "merged",
            (None, _) => "none",
            // A branch still at main's commit (just created) has nothing merged yet: open.
            (Some((_, oid, _)), Some(main)) if *oid != main && in_main(ctx, *oid, main)? => "merged",
            (Some(_), _) => "open",
        };
        // Last activity: the newer of the add-on's last receipt and its branch's last commit.
        let receipt_activity = last.activity.get(&addon.feature).map(|r| (r.unix_ms / 1000, r.time.clone()));
        let branch_activity = branch.as_ref().map(|(_, _, time)| (*time as u64, receipts::rfc3339(*time as u64)));
        let activity = match (receipt_activity, branch_activity) {
            (Some(a), Some(b)) => Some(if a.0 >= b.0 { a.1 } else { b.1 }),
            (a, b) => a.or(b).map(|(_, text)| text),
        };
        let error = last.error.get(&addon.feature).map(|r| {
            let reason = r.reason.as_deref().unwrap_or(&r.message);
            format!("{} ({})", reason.lines().next().unwrap_or(""), r.time)
        });
        let docs = Docs {
            spec: true,
            blueprint: addon.has_blueprint,
            runbook: addon.has_runbook,
            architecture: addon.has_architecture,
        };
        let flag_local = local_env.values.get(names.flag.as_str()).cloned();
        let flag_refused = local_env.refused.get(names.flag.as_str()).cloned();
        let flag_registered = registered.contains(&names.flag.as_str());
        let row_status = match addon.status() {
            Ok(status) => status.to_string(),
            Err(error) => {
                problems.push(format!("{}: its Status line cannot be read: {error}", addon.spec));
                "unreadable".into()
            }
        };
        let mut row = Row {
            addon: addon.feature.clone(),
            status: row_status,
            flag: names.flag.clone(),
            flag_local,
            flag_refused,
            flag_registered,
            docs,
            module: addon.has_module,
            branch: branch.map(|(name, _, _)| name),
            branch_state,
            last_activity: activity,
            last_error: error,
            recovery: String::new(),
        };
        row.recovery = recovery(addon, &row);
        rows.push(row);
    }
    Ok((rows, problems))
}

/// Each add-on's newest receipt and newest failure, read from the end of the log until every
/// add-on of the inventory has both or the read budget is spent. Only lines that can change the
/// answer are parsed (see [`receipts::addon_of_line`]).
fn last_receipts(ctx: &Ctx, inventory: &Inventory) -> anyhow::Result<(LastReceipts, receipts::ReadReport)> {
    let mut last = LastReceipts {
        wanted: inventory.addons.iter().map(|addon| addon.feature.clone()).collect(),
        ..LastReceipts::default()
    };
    let report = receipts::read_backwards(&receipts::log_path(&ctx.repo), STATUS_READ_BUDGET, &mut last)?;
    Ok((last, report))
}

/// What `status` takes from the receipts: per add-on, its newest receipt and newest failure.
#[derive(Default)]
struct LastReceipts {
    wanted: std::collections::HashSet<String>,
    activity: HashMap<String, receipts::Receipt>,
    error: HashMap<String, receipts::Receipt>,
    resolved: usize,
}

impl receipts::Visitor for &mut LastReceipts {
    fn wants(&self, line: &str) -> bool {
        match receipts::addon_of_line(line) {
            Err(()) => true,
            Ok(None) => false,
            Ok(Some(addon)) if !self.wanted.contains(addon) => false,
            Ok(Some(addon)) => match (self.activity.contains_key(addon), self.error.contains_key(addon)) {
                (false, _) => true,
                (true, true) => false,
                (true, false) => line.contains("\"kind\":\"failure\""),
            },
        }
    }

    fn visit(&mut self, receipt: receipts::Receipt) -> std::ops::ControlFlow<()> {
        let Some(addon) = receipt.addon.clone().filter(|addon| self.wanted.contains(addon)) else {
            return std::ops::ControlFlow::Continue(());
        };
        let had_both = self.activity.contains_key(&addon) && self.error.contains_key(&addon);
        if receipt.kind == Kind::Failure && !self.error.contains_key(&addon) {
            self.error.insert(addon.clone(), receipt.clone());
        }
        self.activity.entry(addon.clone()).or_insert(receipt);
        if !had_both && self.error.contains_key(&addon) {
            self.resolved += 1;
        }
        match self.resolved == self.wanted.len() {
            true => std::ops::ControlFlow::Break(()),
            false => std::ops::ControlFlow::Continue(()),
        }
    }
}

/// The one next action for an add-on, most urgent first.
fn recovery(addon: &Addon, row: &Row) -> String {
    let names = &addon.names;
    if let Err(error) = addon.status() {
        return format!("fix the Status line of {} ({error})", addon.spec);
    }
    for (present, what, path) in [
        (row.docs.blueprint, "blueprint", &names.blueprint),
        (row.docs.runbook, "runbook", &names.runbook),
        (row.docs.architecture, "architecture note", &names.architecture),
    ] {
        if !present {
            return format!("{what} missing → write {path} (see templates/)");
        }
    }
    if !row.module {
        return format!("module missing → create {}", names.module);
    }
    if !row.flag_registered {
        return format!("flag not declared → add `{}` to {}", layout::flag_declaration(&names.flag), names.module);
    }
    if row.last_error.is_some() {
        return format!("last run failed → cargo xtask receipts --json | grep {}", addon.feature);
    }
    match addon.status {
        Some(Status::Draft) => format!("define the contracts, then: cargo xtask spec approve {}", names.slug),
        Some(Status::Approved) => format!("cargo xtask spec start {}", names.slug),
        Some(Status::InProgress) if row.branch_state == "merged" => {
            format!("merged → cargo xtask spec complete {}", names.slug)
        }
        Some(Status::InProgress) => "in progress → cargo xtask pre-pr on its branch".into(),
        _ => "-".into(),
    }
}

/// The clone's `.env` (never committed) as the runtime judges it, by its own rules
/// ([`crate::check::repository::env_verdict`]): each flag's value, the flags whose lines it
/// refuses, and a warning with the fix for every line it refuses. `registered`: the flags the
/// build registers, whose values must be `true` or `false`.
fn read_env(root: &std::path::Path, registered: &[&str]) -> crate::check::repository::EnvVerdict {
    let text = crate::git::sparse::read_regular_to_string(&root.join(".env")).unwrap_or_default();
    crate::check::repository::env_verdict(&text, ".env", &|flag| registered.contains(&flag))
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        text.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    }
}

/// Whether an In Progress slice whose branch is gone (deleted after its merge, SOP 4.6) has
/// landed: main holds its spec In Progress (what `spec start` on its branch wrote), and no branch
/// of its name on the remote carries work main lacks. Then what is left is `spec complete`.
fn merged_without_branch(ctx: &Ctx, addon: &Addon, main: git2::Oid) -> anyhow::Result<bool> {
    if addon.status != Some(Status::InProgress) {
        return Ok(false);
    }
    let Some(bytes) = ctx.repo.file_at(main, &addon.spec)? else { return Ok(false) };
    let on_main = crate::docs::Header::parse(&String::from_utf8_lossy(&bytes)).status().ok();
    if on_main != Some(Status::InProgress) {
        return Ok(false);
    }
    let config = &ctx.config;
    Ok(ctx.repo.slice_on_remote(&config.remote, &config.branch_kinds, &addon.names.slug, main).is_none())
}

/// Whether a branch's work is in main: merged, or squash- or rebase-merged, as `prune` judges it
/// (one rule). Memoised by the two commits: the replay is the costly part.
fn in_main(ctx: &Ctx, tip: git2::Oid, main: git2::Oid) -> anyhow::Result<bool> {
    if ctx.repo.is_merged(tip, main) {
        return Ok(true);
    }
    ctx.cache.memo("branch-in-main", &format!("{tip} {main}"), || Ok(ctx.repo.merged_into(tip, main)?.is_some()))
}
