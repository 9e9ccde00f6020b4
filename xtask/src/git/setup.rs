//! The clone's own git setup for `onboard` and the hooks: this clone's local configuration
//! (`core.hooksPath`, the chained hooks path), where git looks for hooks, and whether a path is
//! ignored or tracked.
//!
//! It only ever writes the *local* configuration (`.git/config`): the engineer's global and
//! system settings are read, never changed.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use git2::ConfigLevel;

use super::Repo;

impl Repo {
    /// A value set in this clone's own `.git/config`, ignoring global and system settings.
    pub fn local_config_string(&self, key: &str) -> anyhow::Result<Option<String>> {
        let config = self.raw().config().context("failed to read the git configuration")?;
        let local = match config.open_level(ConfigLevel::Local) {
            Ok(local) => local,
            // A repository without a local config file has no local values.
            Err(error) if error.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(error) => return Err(error).context("failed to read the clone's `.git/config`"),
        };
        match local.get_string(key) {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(error) => Err(error).with_context(|| format!("failed to read `{key}` from the clone's `.git/config`")),
        }
    }

    /// Sets a value in this clone's `.git/config` (like `git config --local key value`).
    pub fn set_local_config(&self, key: &str, value: &str) -> anyhow::Result<()> {
        let config = self.raw().config().context("failed to read the git configuration")?;
        let mut local = config.open_level(ConfigLevel::Local).context("failed to open the clone's `.git/config`")?;
        local.set_str(key, value).with_context(|| format!("failed to set `{key}` in the clone's `.git/config`"))
    }

    /// Removes a value from this clone's `.git/config`; a value that is not there is fine.
    pub fn unset_local_config(&self, key: &str) -> anyhow::Result<()> {
        let config = self.raw().config().context("failed to read the git configuration")?;
        let mut local = config.open_level(ConfigLevel::Local).context("failed to open the clone's `.git/config`")?;
        match local.remove(key) {
            Ok(()) => Ok(()),
            Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(()),
            Err(error) => Err(error).with_context(|| format!("failed to unset `{key}` in the clone's `.git/config`")),
        }
    }

    /// The folder git's default hooks live in when `core.hooksPath` is not set:
    /// `hooks` in the common git directory, shared by every worktree.
    pub fn default_hooks_dir(&self) -> PathBuf {
        self.raw().commondir().join("hooks")
    }

    /// Resolves a hooks path the way git does: `~/` is the home folder, a relative path is
    /// relative to the root of the working tree (where git runs hooks).
    pub fn resolve_hooks_path(&self, value: &str) -> PathBuf {
        if let Some(rest) = value.strip_prefix("~/") {
            if let Some(home) = std::env::var_os("HOME") {
                return Path::new(&home).join(rest);
            }
        }
        let path = Path::new(value);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root().join(path)
        }
    }

    /// Whether git would ignore `path` (relative to the root) if it were untracked.
    pub fn is_ignored(&self, path: &str) -> anyhow::Result<bool> {
        self.raw().is_path_ignored(path).with_context(|| format!("failed to read the ignore rules for `{path}`"))
    }

    /// Whether `path` (relative to the root) is in the index, i.e. tracked by git.
    pub fn is_tracked(&self, path: &str) -> anyhow::Result<bool> {
        let index = self.raw().index().context("failed to read the git index")?;
        Ok(index.get_path(Path::new(path), 0).is_some())
    }
}

/// `git --version` on the engineer's shell, for `onboard`'s probe of the installed git: the one
/// git subprocess outside `sync.rs`, and like every other one, it lives in `git/`.
pub fn version_command(sh: &xshell::Shell) -> xshell::Cmd<'_> {
    xshell::cmd!(sh, "git --version")
}
