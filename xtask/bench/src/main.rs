//! `cargo xtask bench`: what the xtask costs, measured side by side with git in the same run.
//! A workspace member of its own (`xtask-bench`), started by `cargo xtask bench`
//! (`xtask/src/bench.rs` forwards the options, `--xtask <the binary cargo xtask built>` and
//! `-C <repository>`).
//!
//! It builds a deterministic synthetic repository in a temp dir (`synth.rs`: N add-ons made the
//! way `new-addon` makes them, a branch of M commits), then times — median of several runs, ours
//! and the baseline's interleaved (`measure.rs`) — `check` and `status --json` against
//! `git status`, their peak memory, the commit rules over the M-commit range against
//! `git log --format=%B`, `new-addon --no-branch` against `git branch` plus copying the same
//! files, `pre-pr`'s own overhead, the runtime host's cost per tick (`host_tick.rs`), `sync`,
//! `propose` and `status --all` against git on a bare origin (`remote.rs`), and the
//! xtask's cold build against a git2-only crate (`cold.rs`). It prints a table (`report.rs`),
//! `--json` for scripts, and with `--write-docs` the figures section of `docs/benchmarks.md` and
//! the README's first-build figure, through the xtask's plan writer.
//!
//! It links the xtask as a library: the synthetic repository is made with the tool's own names,
//! templates and configuration reader, its scratch repositories are driven through the tool's git
//! wrapper (`git/scratch.rs`), and the rules it times in-process are the tool's. The binary timed
//! is the one `--xtask` names: the one `cargo xtask` built, in the profile the alias uses. A missed
//! target is reported, never an error: the command exits non-zero only when a measurement fails.
//! It never changes the engineer's repository except for `--write-docs` and its receipt.

mod cold;
mod host_tick;
mod large;
mod measure;
mod receipts_log;
mod remote;
mod report;
mod secrets_scan;
mod synth;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser as _;
use xshell::Shell;

use measure::{Memory, Probe, Scratch};
use report::{Figure, Machine, Report, Row, State, Target};
use xtask::bench::Args;
use xtask::ctx::Ctx;
use xtask::error::Refusal;
use xtask::git::scratch as git;
use xtask::receipts::{self, Kind, Receipt};
use xtask::{errln, out, outln};

/// The benchmark of `cargo xtask`: start it with `cargo xtask bench`, which builds and names the
/// binary to time.
#[derive(Debug, clap::Parser)]
#[command(name = "xtask-bench", version)]
struct Cli {
    /// The xtask binary to time (`cargo xtask bench` passes the one it built)
    #[arg(long, value_name = "PATH")]
    xtask: PathBuf,

    /// The repository whose kit and workspace are measured (like `git -C`)
    #[arg(short = 'C', value_name = "DIR")]
    directory: Option<PathBuf>,

    #[command(flatten)]
    args: Args,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    xtask::finish(start(cli))
}

fn start(cli: Cli) -> anyhow::Result<()> {
    let dir = match cli.directory {
        Some(dir) => dir,
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    if !cli.xtask.is_file() {
        return Err(Refusal::usage(format!("`{}` is not an xtask binary", cli.xtask.display()))
            .hint("start the bench through the xtask, which passes its own binary: cargo xtask bench")
            .into());
    }
    let exe = std::path::absolute(&cli.xtask).context("failed to resolve the xtask binary's path")?;
    run(&Ctx::new(&dir, true)?, cli.args, exe)
}

const COMMAND: &str = "bench";

/// The synthetic repository's git identity and settings (its `GIT_CONFIG_GLOBAL`).
const GITCONFIG: &str = "[user]\n\tname = Lancelot Bench\n\temail = bench@example.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n[gc]\n\tauto = 0\n[advice]\n\tdetachedHead = false\n";

/// The name of the branch the `new-addon` baseline creates.
const BASELINE_BRANCH: &str = "bench-baseline";

/// Progress lines: stdout for people, stderr with `--json` so stdout holds only the JSON.
struct Console {
    json: bool,
}

impl Console {
    fn status(&self, verb: &str, message: impl std::fmt::Display) {
        if self.json {
            let paint = xtask::output::Paint::stderr();
            errln!("{} {message}", paint.green_bold(&format!("{verb:>12}")));
        } else {
            xtask::output::status(verb, message);
        }
    }
}

/// What every measurement needs.
pub(crate) struct Bench {
    exe: PathBuf,
    scratch: PathBuf,
    runs: u32,
    commits: u32,
    synthetic: synth::Synthetic,
    /// In the synthetic repository's working tree.
    sh: Shell,
}

impl Bench {
    /// The timed xtask, as `xtask -C <dir> <args>` where `dir` is the shell's working tree.
    pub(crate) fn xtask<'a>(&self, sh: &'a Shell, label: &str, args: &[&str]) -> Probe<'a> {
        let dir = sh.current_dir();
        let dir = dir.to_string_lossy();
        let mut full = vec!["-C", dir.as_ref()];
        full.extend_from_slice(args);
        Probe::new(sh, label, self.exe.clone(), &full)
    }
}

pub fn run(ctx: &Ctx, args: Args, exe: PathBuf) -> anyhow::Result<()> {
    let started = Instant::now();
    let console = Console { json: args.json };
    let scratch = Scratch::create(args.keep)?;
    let gitconfig = scratch.path.join("gitconfig");
    std::fs::write(&gitconfig, GITCONFIG).with_context(|| format!("failed to write `{}`", gitconfig.display()))?;
    let root = scratch.path.join("repo");
    std::fs::create_dir_all(&root).with_context(|| format!("failed to create `{}`", root.display()))?;
    let sh = measure::isolated_shell(&root, &gitconfig)?;
    // Described first, so the load average is the machine's before the bench adds its own.
    let machine = Machine::describe(&sh);

    console.status(
        "Building",
        format!("a synthetic repository: {} add-ons, a branch of {} commits", args.addons, args.commits),
    );
    let setup = Instant::now();
    let built = synth::build(ctx.root(), &ctx.config, &sh, &root, args.addons, args.commits).and_then(|synthetic| {
        git::switch(&sh, &synthetic.slice_branch, false)?;
        settle(&sh)?;
        Ok(synthetic)
    });
    let synthetic = match built {
        Ok(synthetic) => synthetic,
        Err(error) => {
            let receipt = Receipt::new(COMMAND, Kind::Failure, "bench: the synthetic repository could not be built")
                .reason(format!("{error:#}"));
            receipts::append(&ctx.repo, receipt)?;
            return Err(error.context("failed to build the synthetic repository"));
        }
    };
    let setup_ms = setup.elapsed().as_secs_f64() * 1000.0;
    if args.keep {
        console.status("Keeping", format!("the synthetic repository in `{}`", scratch.path.display()));
    }

    let bench = Bench { exe, scratch: scratch.path.clone(), runs: args.runs, commits: args.commits, synthetic, sh };
    let rows = measure_all(ctx, &bench, &args, &console)?;
    let report = Report {
        date: receipts::rfc3339(receipts::now_unix_ms() / 1000),
        machine,
        addons: bench.synthetic.addons,
        files: bench.synthetic.files,
        commits: args.commits,
        runs: args.runs,
        setup_ms,
        total_ms: started.elapsed().as_secs_f64() * 1000.0,
        rows,
    };
    finish(ctx, &args, &report, &console)
}

/// Every group of rows, in the table's order.
fn measure_all(ctx: &Ctx, bench: &Bench, args: &Args, console: &Console) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    console.status("Measuring", "`check` and `status --json` against `git status`");
    rows.extend(group(everyday_rows(), |rows| everyday(bench, rows)));
    let large = args.addons.saturating_mul(10).min(100_000);
    console.status("Measuring", format!("`check` on {large} add-ons against `git status` (building them first)"));
    rows.extend(group(large::rows(large), |rows| large::measure(ctx.root(), &ctx.config, bench, large, rows)));
    console.status("Measuring", format!("the commit rules over {} commits against `git log`", args.commits));
    rows.extend(group(commit_rows(args.commits), |rows| commit_rules(bench, &ctx.config, rows)));
    console.status("Measuring", "`pre-pr`'s own overhead");
    rows.extend(group(vec![pre_pr_row()], |rows| pre_pr(bench, rows)));
    console.status("Measuring", "`new-addon --no-branch` against `git branch` and copying the same files");
    rows.extend(group(vec![new_addon_row()], |rows| new_addon(bench, rows)));
    console.status("Measuring", "build-time discovery of the add-ons (what it adds to an incremental build)");
    rows.extend(group(vec![discovery_row()], |rows| discovery(bench, rows)));
    console.status("Measuring", "what confining every write adds to `new-addon`");
    rows.extend(group(vec![confinement_row()], |rows| confinement(ctx, bench, rows)));
    let lines = secrets_scan::lines_for(args.addons);
    console.status("Measuring", format!("the secret scanner on a {lines}-line diff against `git diff`"));
    rows.extend(group(secrets_scan::rows(lines), |rows| secrets_scan::measure(ctx.root(), bench, rows, lines)));
    console.status("Measuring", "`receipts --limit 1`, `status` and `lancelot status` on 100 MiB receipts logs");
    rows.extend(group(receipts_log::rows(), |rows| receipts_log::measure(ctx.root(), bench, rows)));
    console.status("Measuring", "the runtime host's own cost per tick with 100 add-ons, and its fsyncs");
    rows.extend(group(host_tick::rows(), |rows| host_tick::measure(ctx.root(), rows)));
    // Last of the repository's rows: the others run without a remote, as they always have.
    console.status("Measuring", "`sync`, `propose` and `status --all` against git, with a bare origin");
    rows.extend(group(remote::rows(), |rows| remote::measure(bench, rows)));
    if args.skip_cold_build {
        rows.extend(cold_rows().into_iter().map(|row| row.state(State::Skipped("--skip-cold-build".into()))));
        let receipt = Receipt::new(COMMAND, Kind::Skipped, "bench: cold build not measured")
            .reason("--skip-cold-build was given");
        receipts::append(&ctx.repo, receipt)?;
    } else {
        console.status("Measuring", "the cold build of the xtask against a git2-only crate (about a minute)");
        rows.extend(group(cold_rows(), |rows| cold_build(ctx.root(), bench, rows)));
    }
    Ok(rows)
}

/// Prints the report, writes the documents when asked, records the receipt, and fails when a
/// measurement did.
fn finish(ctx: &Ctx, args: &Args, report: &Report, console: &Console) -> anyhow::Result<()> {
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report.json())?);
    } else {
        out!("\n{}", report.text());
    }
    if args.write_docs {
        let _lock = xtask::lock::RunLock::acquire(&ctx.repo, COMMAND)?;
        let written = report::write_docs(ctx, report)?;
        let message = format!("bench: wrote {}", written.join(", "));
        receipts::append(&ctx.repo, Receipt::new(COMMAND, Kind::StateChange, message))?;
        console.status("Wrote", written.join(", "));
    }

    let failed = report.failed();
    let judged: Vec<bool> = report.rows.iter().filter_map(Row::met).collect();
    let met = judged.iter().filter(|met| **met).count();
    let summary = format!("{met} of {} targets met, {failed} measurements failed", judged.len());
    let detail = serde_json::json!({
        "addons": args.addons, "commits": args.commits, "runs": args.runs,
        "rows": report.rows.iter().map(|row| serde_json::json!({ "key": row.key, "ratio": row.ratio(), "met": row.met() })).collect::<Vec<_>>(),
    });
    let kind = if failed == 0 { Kind::Job } else { Kind::Failure };
    receipts::append(&ctx.repo, Receipt::new(COMMAND, kind, format!("bench: {summary}")).detail(detail))?;
    if failed > 0 {
        return Err(Refusal::failed(format!(
            "{failed} of the {} measurements failed (see the notes)",
            report.rows.len()
        ))
        .hint("keep the synthetic repository to look into it: cargo xtask bench --keep --runs 1 --skip-cold-build")
        .into());
    }
    Ok(())
}

/// Fills a group's rows; when it fails, every row it had not filled yet fails with its error.
fn group(mut rows: Vec<Row>, fill: impl FnOnce(&mut Vec<Row>) -> anyhow::Result<()>) -> Vec<Row> {
    if let Err(error) = fill(&mut rows) {
        let reason = format!("{error:#}");
        for row in &mut rows {
            if row.ours.is_none() && row.state == State::Measured {
                row.state = State::Failed(reason.clone());
            }
        }
    }
    rows
}

/// git and libgit2 distrust an index entry whose file is as new as the index itself ("racily
/// clean") and read the file again on every status; a fresh checkout is nothing but such entries.
/// Waiting past the second and refreshing the index once makes every tool see the tree the way it
/// sees an engineer's, so no command pays for the checkout.
/// The xtask's incremental cache has the same rule, made conservative (`xtask::cache::SETTLE`):
/// it stores nothing derived from a file younger than that, so the wait is that long. The index
/// the refresh rewrites is itself an input of `check`'s and `status`'s whole result
/// (`xtask/src/tree_memo.rs`), so it is waited out too: an engineer's repeated `check` meets a
/// settled index.
fn settle(sh: &Shell) -> anyhow::Result<()> {
    std::thread::sleep(xtask::cache::SETTLE + Duration::from_millis(100));
    git::refresh_index(sh)?;
    std::thread::sleep(xtask::cache::SETTLE + Duration::from_millis(100));
    Ok(())
}

/// Checks out `branch` (untimed; only the few files that differ are written).
pub(crate) fn switch(sh: &Shell, branch: &str) -> anyhow::Result<()> {
    git::switch(sh, branch, false)
}

fn everyday_rows() -> Vec<Row> {
    vec![
        Row::new("check_vs_git_status", "check vs git status", Target::Ratio(2.0)),
        Row::new("status_vs_git_status", "status --json vs git status", Target::Ratio(2.0)),
        Row::new("check_peak_memory", "check peak memory (vs git status)", Target::MiB(64.0)),
        Row::new("status_peak_memory", "status --json peak memory (vs git status)", Target::MiB(64.0)),
    ]
}

fn everyday(bench: &Bench, rows: &mut [Row]) -> anyhow::Result<()> {
    let sh = &bench.sh;
    let check = bench.xtask(sh, "cargo xtask check", &["check"]).accepting(&[0, 1]);
    let status = bench.xtask(sh, "cargo xtask status --json", &["status", "--json"]).accepting(&[0, 1]);
    let git_status = Probe::new(sh, "git status", "git", &["status"]);
    let [check_time, status_time, git_time]: [anyhow::Result<measure::Timing>; 3] =
        measure::compare(&[&check, &status, &git_status], bench.runs)
            .try_into()
            .map_err(|_| anyhow::anyhow!("three probes gave another number of timings"))?;
    let git_ms = Figure::Millis(git_time?.median_ms);
    rows[0] = match check_time {
        Ok(time) => {
            let findings = check_findings(bench, sh)?;
            let hit_rate = cache_hit_rate(bench, sh)?;
            rows[0].clone().figures(Figure::Millis(time.median_ms), Some(git_ms)).note(format!(
                "on `{}` (one commit, one new add-on, over {} add-ons); check found {findings}; {hit_rate}",
                bench.synthetic.slice_branch, bench.synthetic.addons
            ))
        }
        Err(error) => failed(&rows[0], &error),
    };
    rows[1] = match status_time {
        Ok(time) => rows[1].clone().figures(Figure::Millis(time.median_ms), Some(git_ms)),
        Err(error) => failed(&rows[1], &error),
    };

    let git_memory = git_status.peak_memory(&bench.scratch)?;
    for (row, probe) in rows[2..4].iter_mut().zip([&check, &status]) {
        *row = match (probe.peak_memory(&bench.scratch), &git_memory) {
            (Ok(Memory::MiB(ours)), Memory::MiB(git)) => {
                row.clone().figures(Figure::MiB(ours), Some(Figure::MiB(*git)))
            }
            (Ok(Memory::MiB(ours)), Memory::Unavailable(_)) => row.clone().figures(Figure::MiB(ours), None),
            (Ok(Memory::Unavailable(reason)), _) => row.clone().state(State::Unavailable(reason)),
            (Err(error), _) => failed(row, &error),
        };
    }
    Ok(())
}

/// `row`, failed with `error`.
fn failed(row: &Row, error: &anyhow::Error) -> Row {
    row.clone().state(State::Failed(format!("{error:#}")))
}

/// The incremental cache's hit rate in one more untimed `check --json` after the timed runs (an
/// engineer's repeated check), and in a first run after the cache is removed.
pub(crate) fn cache_hit_rate(bench: &Bench, sh: &Shell) -> anyhow::Result<String> {
    let probe = bench.xtask(sh, "cargo xtask check --json", &["check", "--json"]).accepting(&[0, 1]);
    let sample = probe.run_once()?;
    let json: serde_json::Value =
        serde_json::from_slice(&sample.stdout).context("`cargo xtask check --json` did not print JSON")?;
    let count = |key: &str| json["cache"].get(key).and_then(serde_json::Value::as_u64).unwrap_or(0);
    let (reused, read) = (count("reused"), count("read"));
    let rate = if reused + read == 0 { 0.0 } else { reused as f64 * 100.0 / (reused + read) as f64 };
    let whole = if json["cache"]["verdict"] == true { "; the whole verdict reused" } else { "" };
    Ok(format!("cache hit rate {rate:.1} % ({reused} of {} derivations reused{whole})", reused + read))
}

/// `N errors, M warnings`, from one untimed `check --json`.
fn check_findings(bench: &Bench, sh: &Shell) -> anyhow::Result<String> {
    let probe = bench.xtask(sh, "cargo xtask check --json", &["check", "--json"]).accepting(&[0, 1]);
    let sample = probe.run_once()?;
    let json: serde_json::Value =
        serde_json::from_slice(&sample.stdout).context("`cargo xtask check --json` did not print JSON")?;
    let count = |key: &str| json.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0);
    Ok(format!("{} errors, {} warnings", count("errors"), count("warnings")))
}

fn commit_rows(commits: u32) -> Vec<Row> {
    vec![
        Row::new(
            "check_long_branch_vs_git_log",
            format!("check on a {commits}-commit branch vs git log --format=%B"),
            Target::Report,
        ),
        Row::new(
            "commit_rules_vs_git_log",
            format!("commit rules over {commits} commits vs git log --format=%B"),
            Target::Ratio(1.5),
        ),
        Row::new("commit_msg_hook", "commit-msg hook, one message (vs git rev-parse)", Target::Millis(10.0)),
    ]
}

fn commit_rules(bench: &Bench, config: &xtask::config::Config, rows: &mut [Row]) -> anyhow::Result<()> {
    let synthetic = &bench.synthetic;
    let range = format!("{}..{}", synthetic.main, synthetic.history_branch);
    let count = git::count_commits(&bench.sh, &range)?;
    if count != bench.commits.to_string() {
        anyhow::bail!("the synthetic range `{range}` holds {count} commits, not {}", bench.commits);
    }
    let sh = &bench.sh;
    let check = bench.xtask(sh, "cargo xtask check", &["check"]).accepting(&[0, 1]);
    let git_log = Probe::new(sh, "git log --format=%B", "git", &["log", "--format=%B", &range]);
    // Both checks in every round, each on its branch: the switch between them is not timed.
    let mut long = || -> anyhow::Result<Duration> {
        switch(sh, &synthetic.history_branch)?;
        Ok(check.run_once()?.elapsed)
    };
    let mut log = || -> anyhow::Result<Duration> { Ok(git_log.run_once()?.elapsed) };
    // The commit rule alone, in this process (the binary `cargo xtask` runs): open the
    // repository, walk the range, read and judge every message, as `check` does. A fresh
    // repository handle each run, so no run reads another's cached objects. `check` also diffs
    // every pushed commit for the secret scanner, which the row of the full check shows.
    let dir = sh.current_dir();
    let mut rule = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        let repo = xtask::git::Repo::discover(&dir)?;
        let tip = |name: &str| -> anyhow::Result<git2::Oid> {
            repo.branch_commit(name)?.with_context(|| format!("the synthetic branch `{name}` is missing"))
        };
        let findings =
            xtask::check::commit_findings(&repo, config, tip(&synthetic.history_branch)?, tip(&synthetic.main)?, None)?;
        let elapsed = started.elapsed();
        if !findings.is_empty() {
            anyhow::bail!("the commit rule refused {} synthetic commit(s): {}", findings.len(), findings[0].message);
        }
        Ok(elapsed)
    };
    let timings = measure::rounds(bench.runs, &mut [&mut long, &mut rule, &mut log], &mut || Ok(()))?;
    switch(sh, &synthetic.slice_branch)?;
    let (long_ms, rule_ms, git_ms) = (timings[0].median_ms, timings[1].median_ms, timings[2].median_ms);
    rows[0] = rows[0].clone().figures(Figure::Millis(long_ms), Some(Figure::Millis(git_ms))).note(format!(
        "every rule on `{}`, whose diff against `{}` is one new add-on; the secret scanner diffs each of its commits",
        synthetic.history_branch, synthetic.main
    ));
    rows[1] = rows[1].clone().figures(Figure::Millis(rule_ms), Some(Figure::Millis(git_ms))).note(format!(
        "the rule alone, timed in the xtask's process: open the repository, walk `{range}`, read and judge {} messages",
        bench.commits
    ));
    rows[2] = commit_msg_hook(bench, &rows[2])?;
    Ok(())
}

/// `cargo xtask hook commit-msg` on a message as the editor leaves it (subject, body, git's
/// comment lines), in the synthetic repository; `git rev-parse --show-toplevel`, which the hook
/// script runs before it, is the reference.
fn commit_msg_hook(bench: &Bench, row: &Row) -> anyhow::Result<Row> {
    let file = bench.scratch.join("COMMIT_EDITMSG");
    let message = "feat(synthetic-history): judge one message\n\nWhy: the hook runs on every commit.\n\nRefs: #1\n# Please enter the commit message for your changes. Lines starting\n# with '#' will be ignored, and an empty message aborts the commit.\n#\n# On branch feat/synthetic-slice\n";
    std::fs::write(&file, message).with_context(|| format!("failed to write `{}`", file.display()))?;
    let file = file.to_string_lossy();
    let sh = &bench.sh;
    let hook = bench.xtask(sh, "cargo xtask hook commit-msg", &["hook", "commit-msg", file.as_ref()]);
    let git = Probe::new(sh, "git rev-parse --show-toplevel", "git", &["rev-parse", "--show-toplevel"]);
    let [hook_time, git_time]: [anyhow::Result<measure::Timing>; 2] = measure::compare(&[&hook, &git], bench.runs)
        .try_into()
        .map_err(|_| anyhow::anyhow!("two probes gave another number of timings"))?;
    Ok(row
        .clone()
        .figures(Figure::Millis(hook_time?.median_ms), Some(Figure::Millis(git_time?.median_ms)))
        .note("the xtask's `hook commit-msg` on one edited message (subject, body, footer, git's comment lines), the process included"))
}

fn pre_pr_row() -> Row {
    Row::new("pre_pr_overhead", "pre-pr own overhead (share of its total)", Target::Percent(5.0))
}

fn pre_pr(bench: &Bench, rows: &mut [Row]) -> anyhow::Result<()> {
    // The synthetic repository's `verify = [["true"]]` is configuration like any other: approve
    // it once, as an engineer would, so pre-pr runs it.
    let (exe, dir) = (&bench.exe, bench.sh.current_dir());
    measure::run_checked(xshell::cmd!(bench.sh, "{exe} -C {dir} trust"), "`cargo xtask trust`")?;
    // `--fresh`: the verify commands run every time, so the time subtracted for them was spent
    // (a reused verify reports the durations of the run it reuses).
    let probe = bench
        .xtask(&bench.sh, "cargo xtask pre-pr --no-sync --fresh --json", &["pre-pr", "--no-sync", "--fresh", "--json"])
        .accepting(&[0, 1]);
    probe.run_once()?;
    let (mut overheads, mut totals, mut problem) = (Vec::new(), Vec::new(), None);
    for _ in 0..bench.runs {
        let sample = probe.run_once()?;
        let (commands_ms, error) = pre_pr_commands_ms(&sample.stdout)?;
        let total_ms = sample.elapsed.as_secs_f64() * 1000.0;
        overheads.push((total_ms - commands_ms).max(0.0));
        totals.push(total_ms);
        problem = problem.or(error);
    }
    let mut note = "verify = `true`, run every time (`--fresh`); overhead = pre-pr's wall time minus its verify commands and its compliance step (`check`'s rules, measured above)".to_string();
    if let Some(problem) = problem {
        note.push_str(&format!("; pre-pr reported: {problem}"));
    }
    rows[0] = rows[0]
        .clone()
        .figures(Figure::Millis(measure::median(&overheads)), Some(Figure::Millis(measure::median(&totals))))
        .note(note);
    Ok(())
}

/// The time `pre-pr` spent in the commands it runs (its verify commands, its integration
/// commands and its compliance step), from its JSON report, and the error it reported, if any.
fn pre_pr_commands_ms(stdout: &[u8]) -> anyhow::Result<(f64, Option<String>)> {
    let json: serde_json::Value =
        serde_json::from_slice(stdout).context("`cargo xtask pre-pr --json` did not print JSON")?;
    let steps = json.get("steps").and_then(serde_json::Value::as_array).context("pre-pr's JSON has no `steps`")?;
    let duration =
        |value: &serde_json::Value| value.get("duration_ms").and_then(serde_json::Value::as_f64).unwrap_or(0.0);
    let mut total: f64 = steps
        .iter()
        .filter(|step| step.get("name").and_then(|name| name.as_str()) == Some("compliance"))
        .map(duration)
        .sum();
    for key in ["verify", "integration"] {
        if let Some(commands) = json.get(key).and_then(serde_json::Value::as_array) {
            total += commands.iter().map(duration).sum::<f64>();
        }
    }
    let error = json
        .get("error")
        .and_then(serde_json::Value::as_str)
        .map(|error| error.lines().next().unwrap_or_default().to_string());
    Ok((total, error))
}

fn new_addon_row() -> Row {
    Row::new("new_addon_vs_git_branch_copy", "new-addon --no-branch vs git branch + copying its files", Target::Report)
}

fn new_addon(bench: &Bench, rows: &mut [Row]) -> anyhow::Result<()> {
    let sh = &bench.sh;
    let main = &bench.synthetic.main;
    switch(sh, main)?;
    let reset = || -> anyhow::Result<()> {
        git::reset_hard(sh)?;
        git::clean(sh)?;
        // The baseline's branch, when there is one.
        git::delete_branch_if_any(sh, BASELINE_BRANCH);
        Ok(())
    };
    let probe = bench.xtask(
        sh,
        "cargo xtask new-addon --no-branch",
        &["new-addon", synth::NEW_ADDON, "--no-branch", "--yes", "--summary", "Measured by cargo xtask bench."],
    );
    probe.run_once()?;
    let files = git::changed_files(sh)?;
    if files.is_empty() {
        anyhow::bail!("`cargo xtask new-addon` changed no file in the synthetic repository");
    }
    let saved = bench.scratch.join("new-addon-files");
    let root = sh.current_dir();
    for path in &files {
        copy_into(&root.join(path), &saved.join(path))?;
    }
    reset()?;

    let git_branch = Probe::new(sh, "git branch", "git", &["branch", BASELINE_BRANCH]);
    let mut ours = || -> anyhow::Result<Duration> { Ok(probe.run_once()?.elapsed) };
    let mut baseline = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        git_branch.run_once()?;
        for path in &files {
            copy_into(&saved.join(path), &root.join(path))?;
        }
        Ok(started.elapsed())
    };
    let timings = measure::rounds(bench.runs, &mut [&mut ours, &mut baseline], &mut || reset())?;
    rows[0] = rows[0]
        .clone()
        .figures(Figure::Millis(timings[0].median_ms), Some(Figure::Millis(timings[1].median_ms)))
        .note(format!(
            "on `{main}`; the baseline creates a branch and copies the {} files new-addon creates or edits",
            files.len()
        ));
    Ok(())
}

fn confinement_row() -> Row {
    Row::new("confinement", "confining new-addon's writes (every path, twice)", Target::Millis(5.0))
}

/// What confinement adds to `new-addon`: canonicalising the root, then resolving each of the
/// files a slice creates against it, twice (before applying and after the branch checkout), with
/// the very function `plan.rs` calls. The baseline is the same number of plain `stat` calls.
fn confinement(ctx: &Ctx, bench: &Bench, rows: &mut [Row]) -> anyhow::Result<()> {
    let sh = &bench.sh;
    switch(sh, &bench.synthetic.main)?;
    let root = sh.current_dir();
    let names = xtask::names::Names::derive(synth::NEW_ADDON, "feat", &ctx.config)
        .map_err(|error| anyhow::anyhow!("the synthetic name is refused: {error}"))?;
    let mut paths: Vec<String> = names.documents().iter().map(|(_, path)| path.to_string()).collect();
    paths.extend([names.module.clone(), names.integration_test.clone(), xtask::changelog::fragment_path(&names.slug)]);
    let mut ours = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        let canonical = root.canonicalize()?;
        for _ in 0..2 {
            for path in &paths {
                xtask::plan::confine::resolve(&canonical, path, xtask::plan::confine::Purpose::Create)?;
            }
        }
        Ok(started.elapsed())
    };
    let mut baseline = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        for _ in 0..2 {
            for path in &paths {
                let _ = root.join(path).symlink_metadata();
            }
        }
        Ok(started.elapsed())
    };
    let timings = measure::rounds(bench.runs, &mut [&mut ours, &mut baseline], &mut || Ok(()))?;
    rows[0] = rows[0]
        .clone()
        .figures(Figure::Millis(timings[0].median_ms), Some(Figure::Millis(timings[1].median_ms)))
        .note(format!("{} paths resolved twice against the canonical root; the baseline stats them", paths.len()));
    Ok(())
}

fn discovery_row() -> Row {
    Row::new("addon_discovery", "build-time discovery of the add-ons vs git ls-files src/core", Target::Millis(1000.0))
}

/// What discovery adds to an incremental build of the root crate: the build script reruns
/// when `src/core` changes, and its work is `discover::addons` (the very function, compiled in
/// here) plus writing two small files. The rest of such a rebuild happens with or without it.
fn discovery(bench: &Bench, rows: &mut [Row]) -> anyhow::Result<()> {
    let sh = &bench.sh;
    switch(sh, &bench.synthetic.main)?;
    let root = sh.current_dir();
    let mut found = 0;
    let mut ours = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        let (addons, _) = xtask::layout::discover::addons(&root);
        found = addons.len();
        Ok(started.elapsed())
    };
    let ls_files = Probe::new(sh, "git ls-files", "git", &["ls-files", "src/core"]);
    let mut baseline = || -> anyhow::Result<Duration> { Ok(ls_files.run_once()?.elapsed) };
    let timings = measure::rounds(bench.runs, &mut [&mut ours, &mut baseline], &mut || Ok(()))?;
    rows[0] = rows[0]
        .clone()
        .figures(Figure::Millis(timings[0].median_ms), Some(Figure::Millis(timings[1].median_ms)))
        .note(format!("{found} add-on modules found; the target is the issue's ≤ 1 s added to an incremental build"));
    Ok(())
}

fn copy_into(from: &Path, to: &Path) -> anyhow::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
    }
    std::fs::copy(from, to).with_context(|| format!("failed to copy `{}`", from.display()))?;
    Ok(())
}

fn cold_rows() -> Vec<Row> {
    vec![
        // Issue 17: the cold build within 1.5× the floor any git2-based tool pays.
        Row::new(report::COLD_BUILD_KEY, "cold build of the xtask vs a git2-only crate", Target::Ratio(1.5)),
        Row::new(
            "template_edit_rebuild",
            format!("rebuild after editing {}", cold::EDITED_TEMPLATE),
            Target::NoRebuild,
        ),
        Row::new(
            "source_edit_rebuild",
            format!("rebuild after editing one xtask source file ({})", cold::EDITED_SOURCE),
            Target::Millis(1500.0),
        ),
        Row::new("cargo_xtask_wrapper", "cargo xtask --version vs the binary alone", Target::Report),
    ]
}

fn cold_build(workspace: &Path, bench: &Bench, rows: &mut [Row]) -> anyhow::Result<()> {
    if !workspace.join("xtask").join("Cargo.toml").is_file() {
        anyhow::bail!("`{}` has no `xtask/Cargo.toml`: there is no xtask to build", workspace.display());
    }
    let builds = cold::measure(workspace, &bench.scratch.join("cold"), bench.runs)?;
    rows[0] = rows[0].clone().figures(Figure::Millis(builds.xtask.ms), Some(Figure::Millis(builds.git2_only.ms))).note(
        format!(
            "`cargo build --offline`, empty target dir, dev profile; the xtask compiles {} crates, git2 alone {}",
            builds.xtask.crates, builds.git2_only.crates
        ),
    );
    let rebuilt = builds.template_edit.compiled_xtask;
    rows[1] = rows[1]
        .clone()
        .figures(Figure::Rebuild { ms: builds.template_edit.ms, rebuilt }, None)
        .note(format!("cargo compiled {} crates after the edit", builds.template_edit.crates));
    let mut edits: Vec<f64> = builds.source_edits.iter().map(|build| build.ms).collect();
    edits.sort_by(f64::total_cmp);
    if builds.source_edits.iter().any(|build| !build.compiled_xtask) {
        anyhow::bail!(
            "editing `{}` did not recompile the xtask: the edit-loop row measured nothing",
            cold::EDITED_SOURCE
        );
    }
    let (Some(&median), Some(&slowest)) = (edits.get(edits.len() / 2), edits.last()) else {
        anyhow::bail!("no build after editing `{}` was measured", cold::EDITED_SOURCE);
    };
    rows[2] = rows[2].clone().figures(Figure::Millis(median), None).note(format!(
        "median of {} builds, each after appending a comment line (slowest {}); `[profile.dev.package.xtask]` decides it",
        edits.len(),
        report::duration(slowest)
    ));
    let (through_cargo, alone) = builds.wrapper;
    rows[3] = rows[3]
        .clone()
        .figures(Figure::Millis(through_cargo.median_ms), Some(Figure::Millis(alone.median_ms)))
        .note("what `cargo run` adds to every `cargo xtask` command: checking that the build is fresh");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_pr_commands_are_its_verify_integration_and_compliance_time() {
        let json = br#"{"ok": false, "steps": [
            {"name": "preflight", "duration_ms": 7}, {"name": "verify", "duration_ms": 30},
            {"name": "compliance", "duration_ms": 100}, {"name": "pr-body", "duration_ms": 5}],
            "verify": [{"command": ["true"], "duration_ms": 2}, {"command": ["true"], "duration_ms": 3}],
            "integration": null, "error": "the branch breaks 1 SOP rules\nmore"}"#;
        let (ms, error) = pre_pr_commands_ms(json).unwrap();
        assert_eq!(ms, 105.0);
        assert_eq!(error.as_deref(), Some("the branch breaks 1 SOP rules"));
        assert!(pre_pr_commands_ms(b"{}").unwrap_err().to_string().contains("no `steps`"));
        assert!(pre_pr_commands_ms(b"not json").is_err());
    }

    #[test]
    fn a_failed_group_fails_only_its_unfilled_rows() {
        let rows = group(everyday_rows(), |rows| {
            rows[0] = rows[0].clone().figures(Figure::Millis(1.0), Some(Figure::Millis(1.0)));
            anyhow::bail!("boom")
        });
        assert_eq!(rows[0].state, State::Measured);
        assert!(rows[1..].iter().all(|row| row.state == State::Failed("boom".into())));
    }
}
