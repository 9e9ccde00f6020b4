//! `Ctx`, the first parameter of every command: the repository, its configuration, a shell for
//! the external commands, and whether we may ask the engineer questions.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context as _;

use crate::config::Config;
use crate::git::Repo;

pub struct Ctx {
    pub repo: Repo,
    pub config: Config,
    /// Runs external programs with `cmd!`, from the repository root.
    pub sh: xshell::Shell,
    /// Prompts are allowed: stdin and stderr are terminals, not CI, and no `--yes`.
    pub interactive: bool,
    /// What `check` and `status` derive from the working tree's files, kept between runs: off
    /// until the command turns it on ([`Ctx::use_cache`]).
    pub cache: crate::cache::Cache,
}

impl Ctx {
    /// Finds the repository from `dir` (like git), reads its configuration.
    pub fn new(dir: &Path, assume_yes: bool) -> anyhow::Result<Ctx> {
        let repo = Repo::discover(dir)?;
        crate::git::sparse::ensure_readable_index(&repo)?;
        // The files a sparse checkout leaves out are present to every reader of the tree.
        crate::git::sparse::register(repo.root(), repo.git_dir());
        crate::plan::check_state_folder(&repo.sop_dir())?;
        recover_interrupted_run(&repo);
        let config = load_config(&repo)?;
        let sh = xshell::Shell::new().context("failed to set up the command runner")?;
        sh.change_dir(repo.root());
        let interactive = !assume_yes
            && std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        Ok(Ctx { repo, config, sh, interactive, cache: crate::cache::Cache::disabled() })
    }

    /// Turns the incremental cache on for this run, unless `no_cache` (`--no-cache`).
    /// Turning it on again keeps what this run already derived.
    pub fn use_cache(&self, no_cache: bool) {
        if !no_cache && !self.cache.stats().enabled {
            // Per worktree: each has its own files, so its own cache.
            self.cache.turn_on(&self.repo.git_dir().join("sop"), self.repo.root());
        }
    }

    pub fn root(&self) -> &Path {
        self.repo.root()
    }
}

/// The settings in `Cargo.toml`. While a rebase or merge has stopped at a conflict in
/// `Cargo.toml` itself, its conflict markers make it no TOML at all, and every command
/// (`sync --abort` and `--continue` among them) would be refused: the settings are then read from
/// HEAD's committed `Cargo.toml`, with a warning.
fn load_config(repo: &Repo) -> anyhow::Result<Config> {
    let error = match Config::load(repo.root()) {
        Ok(config) => return Ok(config),
        Err(error) => error,
    };
    let conflicted = std::fs::read_to_string(repo.root().join("Cargo.toml"))
        .is_ok_and(|text| text.lines().any(|line| line.starts_with("<<<<<<< ") || line.starts_with(">>>>>>> ")));
    let committed = match repo.head().ok().and_then(|head| head.commit()) {
        Some(commit) if conflicted && repo.in_progress().is_some() => repo.file_at(commit, "Cargo.toml")?,
        _ => return Err(error),
    };
    match committed.map(|bytes| Config::parse(&String::from_utf8_lossy(&bytes))) {
        Some(Ok(config)) => {
            crate::output::warning(
                "`Cargo.toml` holds conflict markers: using the settings of the one HEAD holds until it is resolved",
            );
            Ok(config)
        }
        _ => Err(error),
    }
}

/// Set by the scripts in `.githooks/` for the `cargo xtask hook …` they start.
pub const HOOK_ENV: &str = "LANCELOT_HOOK";

/// Whether this process runs inside a git hook: our scripts say so, and git itself exports
/// `GIT_INDEX_FILE` (commit hooks) or `GIT_DIR` to what it runs. A rollback from there would
/// pull the branch, the index or the files from under the git command that is running.
fn inside_git_hook() -> bool {
    [HOOK_ENV, "GIT_INDEX_FILE", "GIT_DIR"].iter().any(|key| std::env::var_os(key).is_some_and(|v| !v.is_empty()))
}

/// Rolls back what a killed writer left half-done (its journal), before any command looks at
/// the repository — unless the writer is still running (its lock tells), or we run inside a
/// git hook. Never fails and never blocks the command: what it could not do is a warning with
/// the exact commands.
fn recover_interrupted_run(repo: &Repo) {
    use crate::plan::journal::Outcome;
    if crate::plan::Journal::pending(repo).is_empty() {
        return;
    }
    if inside_git_hook() {
        crate::output::warning(
            "an interrupted `cargo xtask` run left its journal; it is not rolled back from inside a git hook, but by the next `cargo xtask` command you run",
        );
        return;
    }
    let Ok(_lock) = crate::lock::RunLock::acquire(repo, "recover") else { return };
    for outcome in crate::plan::Journal::recover(repo) {
        let (message, hints) = match &outcome {
            Outcome::OtherWorktree => continue,
            Outcome::Restored { command } => (
                format!("rolled back an interrupted `cargo xtask {command}`; the repository is as it was before that run"),
                Vec::new(),
            ),
            Outcome::Partial { command, left, hints } => (
                format!(
                    "rolled back an interrupted `cargo xtask {command}` as far as was safe, but not all of it: {}",
                    left.join("; ")
                ),
                hints.clone(),
            ),
            Outcome::MovedOn { command, why, hints, kept } => (
                format!(
                    "an interrupted `cargo xtask {command}` was not rolled back, because the repository changed since: {}; nothing was touched (its journal is kept in `{}`). To undo that run by hand",
                    why.join("; "),
                    kept.display()
                ),
                hints.clone(),
            ),
            Outcome::Unreadable { why, kept } => (
                format!(
                    "found the journal of an interrupted run, but {why}: it is kept in `{}`, and nothing was rolled back; what that run changed may still be there",
                    kept.display()
                ),
                vec!["git status".to_string()],
            ),
        };
        let mut text = message;
        for hint in &hints {
            text.push_str(&format!("\n  hint: {hint}"));
        }
        crate::output::warning(&text);
        let kind = match outcome {
            Outcome::Restored { .. } => crate::receipts::Kind::StateChange,
            _ => crate::receipts::Kind::Failure,
        };
        let _ = crate::receipts::append(repo, crate::receipts::Receipt::new("recover", kind, text));
    }
}
