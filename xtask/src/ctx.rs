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
}

impl Ctx {
    /// Finds the repository from `dir` (like git), reads its configuration.
    pub fn new(dir: &Path, assume_yes: bool) -> anyhow::Result<Ctx> {
        let repo = Repo::discover(dir)?;
        recover_interrupted_run(&repo)?;
        let config = Config::load(repo.root())?;
        let sh = xshell::Shell::new().context("failed to set up the command runner")?;
        sh.change_dir(repo.root());
        let interactive = !assume_yes
            && std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        Ok(Ctx { repo, config, sh, interactive })
    }

    pub fn root(&self) -> &Path {
        self.repo.root()
    }
}

/// Rolls back what a killed writer left half-done (its journal), before any command looks at
/// the repository — unless the writer is still running, which its lock tells.
fn recover_interrupted_run(repo: &Repo) -> anyhow::Result<()> {
    if !crate::plan::Journal::path(repo).exists() {
        return Ok(());
    }
    let Ok(_lock) = crate::lock::RunLock::acquire(repo, "recover") else { return Ok(()) };
    if let Some(what) = crate::plan::Journal::recover(repo)? {
        crate::output::warning(format!("{what}; the repository is as it was before that run"));
        let receipt = crate::receipts::Receipt::new("recover", crate::receipts::Kind::StateChange, what);
        crate::receipts::append(repo, receipt)?;
    }
    Ok(())
}
