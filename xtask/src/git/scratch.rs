//! git on the benchmark's scratch repositories (`cargo xtask bench`, `xtask/bench/`): creating
//! the synthetic repository, switching its branches, putting it back between runs.
//!
//! Every function runs the git CLI, with the environment of the shell it is given (the bench's
//! own `GIT_CONFIG_GLOBAL`, no system configuration) and without the variables that would point
//! it at another repository, in a temp dir the bench made: never the engineer's clone. The CLI
//! and not git2, unlike the rest of the local work, because the bench compares the xtask with the
//! git CLI on a tree that git itself checked out and refreshed, exactly as an engineer's is. The
//! commands the bench *times* as its baselines (`git status`, `git log`…) are not here: they are
//! its measurements, named in the tidy test's allow-list.

use std::process::Output;

use anyhow::Context as _;
use xshell::{cmd, Cmd, Shell};

/// Environment variables that would point git at another repository: a bench started from a git
/// hook inherits them, and every command must see only the scratch repository.
pub const REPOSITORY_VARIABLES: &[&str] =
    &["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR", "GIT_NAMESPACE"];

/// `command` without the variables that would point it at another repository.
pub fn without_overrides(mut command: Cmd<'_>) -> Cmd<'_> {
    for key in REPOSITORY_VARIABLES {
        command = command.env_remove(key);
    }
    command
}

/// Runs a git command that must succeed; the error quotes the end of what it said.
fn checked(command: Cmd<'_>, what: &str) -> anyhow::Result<Output> {
    let output = without_overrides(command)
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| format!("failed to start `{what}`"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said: Vec<&str> = stderr.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
        let code = output.status.code().map_or("killed by a signal".to_string(), |code| format!("exit code {code}"));
        anyhow::bail!("`{what}` failed ({code}): {}", said[said.len().saturating_sub(3)..].join(" / "));
    }
    Ok(output)
}

/// `git init` on `branch`, in the shell's directory.
pub fn init(sh: &Shell, branch: &str) -> anyhow::Result<()> {
    checked(cmd!(sh, "git init -q -b {branch}"), "git init")?;
    Ok(())
}

/// Writes a whole history at once: `stream` is a `git fast-import` stream ending in `done`.
pub fn fast_import(sh: &Shell, stream: Vec<u8>) -> anyhow::Result<()> {
    checked(cmd!(sh, "git fast-import --quiet --done").stdin(stream), "git fast-import")?;
    Ok(())
}

/// `git reset --hard`: the working tree and the index as HEAD has them (the first checkout).
pub fn reset_hard(sh: &Shell) -> anyhow::Result<()> {
    checked(cmd!(sh, "git reset -q --hard"), "git reset --hard")?;
    Ok(())
}

/// Removes the untracked files and folders a measured command created.
pub fn clean(sh: &Shell) -> anyhow::Result<()> {
    checked(cmd!(sh, "git clean -q -fd"), "git clean")?;
    Ok(())
}

/// Checks out `branch`; with `create`, creates it from HEAD first.
pub fn switch(sh: &Shell, branch: &str, create: bool) -> anyhow::Result<()> {
    let create = create.then_some("-c");
    checked(cmd!(sh, "git switch -q {create...} {branch}"), "git switch")?;
    Ok(())
}

/// Deletes `branch` when it exists (a baseline's branch between two runs).
pub fn delete_branch_if_any(sh: &Shell, branch: &str) {
    let _ = without_overrides(cmd!(sh, "git branch -q -D {branch}")).quiet().ignore_status().ignore_stderr().output();
}

/// Refreshes the index's stat data once (`git update-index --refresh`), so no later command
/// re-reads the files of a fresh checkout.
pub fn refresh_index(sh: &Shell) -> anyhow::Result<()> {
    checked(cmd!(sh, "git update-index -q --refresh"), "git update-index --refresh")?;
    Ok(())
}

/// How many commits `range` (`a..b`) holds.
pub fn count_commits(sh: &Shell, range: &str) -> anyhow::Result<String> {
    let output = checked(cmd!(sh, "git rev-list --count {range}"), "git rev-list --count")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// How many files the index tracks.
pub fn tracked_files(sh: &Shell) -> anyhow::Result<usize> {
    let output = checked(cmd!(sh, "git ls-files"), "git ls-files")?;
    Ok(String::from_utf8_lossy(&output.stdout).lines().count())
}

/// The paths `git status` lists (created or modified), untracked files one by one.
pub fn changed_files(sh: &Shell) -> anyhow::Result<Vec<String>> {
    let output = checked(cmd!(sh, "git status --porcelain=v1 -z -uall"), "git status --porcelain")?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.split('\0').filter(|entry| entry.len() > 3).map(|entry| entry[3..].to_string()).collect())
}

/// Stages `path` and commits it with `message` (hooks skipped, the scratch identity).
pub fn commit_file(sh: &Shell, path: &str, message: &str) -> anyhow::Result<()> {
    checked(cmd!(sh, "git add {path}"), "git add")?;
    checked(
        cmd!(sh, "git -c user.name=Bench -c user.email=bench@example.invalid commit -q --no-verify -m {message}"),
        "git commit",
    )?;
    Ok(())
}

/// Makes a bare clone of the shell's repository (at the path `bare`) whose HEAD is `main`, as a
/// hosted repository's is (so any other branch can be deleted there), adds it as the remote
/// `remote`, and pushes every local branch to it with its upstream set.
pub fn bare_origin(sh: &Shell, remote: &str, bare: &std::path::Path, main: &str) -> anyhow::Result<()> {
    checked(cmd!(sh, "git clone -q --bare . {bare}"), "git clone --bare")?;
    let head = format!("refs/heads/{main}");
    checked(cmd!(sh, "git --git-dir {bare} symbolic-ref HEAD {head}"), "git symbolic-ref HEAD")?;
    checked(cmd!(sh, "git remote add {remote} {bare}"), "git remote add")?;
    push_all(sh, remote)
}

/// Creates `branch` at `start` without switching to it.
pub fn create_branch(sh: &Shell, branch: &str, start: &str) -> anyhow::Result<()> {
    checked(cmd!(sh, "git branch -q -f {branch} {start}"), "git branch")?;
    Ok(())
}

/// Deletes `branch` on `remote` (and its remote-tracking ref), so the next push is a real one.
pub fn delete_remote_branch(sh: &Shell, remote: &str, branch: &str) -> anyhow::Result<()> {
    checked(cmd!(sh, "git push -q {remote} --delete {branch}"), "git push --delete")?;
    Ok(())
}

/// Pushes every local branch to `remote`, each tracking its pushed branch.
pub fn push_all(sh: &Shell, remote: &str) -> anyhow::Result<()> {
    checked(cmd!(sh, "git push -q -u {remote} --all"), "git push --all")?;
    Ok(())
}
