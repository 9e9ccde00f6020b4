//! The read-only checks of `onboard`: the Rust toolchain and its components, git, the engineer's
//! identity, the remote and the main branch. Each returns an [`Item`] with what was found and,
//! when it fails, the exact command that fixes it. Nothing here changes anything.
//!
//! Tools are asked for their version through `cmd!` on the context's shell, so what is checked
//! is what the engineer's `PATH` and rustup resolve in this clone (a `rust-toolchain.toml`,
//! `RUSTUP_TOOLCHAIN`) — the same programs the build and the hooks will run.

use xshell::cmd;

use super::Item;
use crate::ctx::Ctx;

/// The oldest git whose commands the hints and hooks use (`git switch`, `git config --type`).
pub const MIN_GIT: (u32, u32) = (2, 23);

/// Runs a `--version` command: its first stdout line, or what went wrong in one line.
fn version_of(command: xshell::Cmd<'_>) -> Result<String, String> {
    match command.quiet().ignore_status().output() {
        Ok(output) if output.status.success() => {
            let stdout = String::from_utf8_lossy(&output.stdout);
            Ok(stdout.lines().next().unwrap_or_default().trim().to_string())
        }
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let line = stderr.lines().map(str::trim).find(|line| !line.is_empty());
            Err(line.map_or_else(|| format!("exited with {}", output.status), str::to_string))
        }
        Err(error) => Err(error.to_string()),
    }
}

/// The toolchain rustup names in `error: toolchain '<name>' is not installed`.
fn missing_toolchain(error: &str) -> Option<&str> {
    let (_, rest) = error.split_once("toolchain '")?;
    let (name, _) = rest.split_once("' is not installed")?;
    Some(name)
}

/// The fix rustup itself would give for a toolchain it cannot find, else how to install Rust.
fn toolchain_fix(error: &str) -> String {
    match missing_toolchain(error) {
        Some(name) => format!("rustup toolchain install {name}"),
        None => "install Rust with rustup (https://rustup.rs), then: rustup default stable".to_string(),
    }
}

pub fn rust_toolchain(ctx: &Ctx) -> Item {
    let sh = &ctx.sh;
    let item = Item::mandatory("rust", "Rust toolchain");
    match (version_of(cmd!(sh, "rustc --version")), version_of(cmd!(sh, "cargo --version"))) {
        (Ok(rustc), Ok(cargo)) => item.ok(format!("{rustc}; {cargo}")),
        (Err(error), _) | (_, Err(error)) => {
            let fix = toolchain_fix(&error);
            item.failed(error, fix)
        }
    }
}

/// A rustup component that `cargo <subcommand>` runs (`rustfmt` → `cargo fmt`).
pub fn component(ctx: &Ctx, component: &'static str, subcommand: &str) -> Item {
    let item = Item::mandatory(component, component);
    match version_of(cmd!(ctx.sh, "cargo {subcommand} --version")) {
        Ok(version) => item.ok(version),
        Err(error) if missing_toolchain(&error).is_some() => {
            let fix = toolchain_fix(&error);
            item.failed(error, fix)
        }
        Err(error) => item.failed(error, format!("rustup component add {component}")),
    }
}

/// cargo-nextest: optional; CI shards the tests with it, and it runs them faster locally.
pub fn nextest(ctx: &Ctx) -> Item {
    let item = Item::optional("nextest", "cargo-nextest");
    match version_of(cmd!(ctx.sh, "cargo nextest --version")) {
        Ok(version) => item.ok(version),
        Err(_) => item.warning(
            "not installed (optional: CI runs the tests with it; `cargo test` works without it)",
            "cargo install --locked cargo-nextest",
        ),
    }
}

pub fn git(ctx: &Ctx) -> Item {
    let item = Item::mandatory("git", "git");
    let fix = format!("install git {}.{} or newer (https://git-scm.com/downloads)", MIN_GIT.0, MIN_GIT.1);
    match version_of(crate::git::setup::version_command(&ctx.sh)) {
        Ok(text) => match parse_git_version(&text) {
            Some(version) if version >= MIN_GIT => item.ok(text),
            Some(_) => item.failed(format!("{text} is older than {}.{}", MIN_GIT.0, MIN_GIT.1), fix),
            None => item.failed(format!("cannot read the version in `{text}`"), fix),
        },
        Err(error) => item.failed(error, fix),
    }
}

/// `git version 2.39.2 (Apple Git-143)` → `(2, 39)`.
pub fn parse_git_version(text: &str) -> Option<(u32, u32)> {
    let number = text.split_whitespace().find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
    let mut parts = number.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

pub fn git_identity(ctx: &Ctx) -> Item {
    let item = Item::mandatory("identity", "git identity");
    let name = ctx.repo.config_string("user.name").filter(|value| !value.trim().is_empty());
    let email = ctx.repo.config_string("user.email").filter(|value| !value.trim().is_empty());
    match (name, email) {
        (Some(name), Some(email)) => item.ok(format!("{name} <{email}>")),
        (None, Some(_)) => item.failed("`user.name` is not set", "git config --global user.name \"Your Name\""),
        (Some(_), None) => item.failed("`user.email` is not set", "git config --global user.email you@example.com"),
        (None, None) => item.failed(
            "`user.name` and `user.email` are not set",
            "git config --global user.name \"Your Name\" && git config --global user.email you@example.com",
        ),
    }
}

pub fn remote(ctx: &Ctx) -> Item {
    let remote = &ctx.config.remote;
    let item = Item::mandatory("remote", "remote");
    match ctx.repo.remote_url(remote) {
        // Shown on every run: a URL with credentials in it (`https://token@host`) is stripped.
        Some(url) => item.ok(format!("`{remote}` → {}", crate::redact::url(&url))),
        None => item.failed(
            format!("the remote `{remote}` is not configured"),
            format!("add it with the URL of the Lancelot repository: `git remote add {remote} <url>`"),
        ),
    }
}

pub fn main_branch(ctx: &Ctx) -> Item {
    let config = &ctx.config;
    let (main, remote) = (&config.main_branch, &config.remote);
    let item = Item::mandatory("main-branch", "main branch");
    match ctx.repo.main_commit(main, remote) {
        Ok(commit) => {
            let id = commit.to_string();
            item.ok(format!("`{main}` at {}", &id[..id.len().min(10)]))
        }
        Err(_) => item.failed(
            format!("neither `{main}` nor `{remote}/{main}` exists in this clone"),
            format!("git fetch {remote} {main}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_git_versions_of_every_platform() {
        assert_eq!(parse_git_version("git version 2.47.3"), Some((2, 47)));
        assert_eq!(parse_git_version("git version 2.39.2 (Apple Git-143)"), Some((2, 39)));
        assert_eq!(parse_git_version("git version 2.41.0.windows.1"), Some((2, 41)));
        assert_eq!(parse_git_version("git version"), None);
        assert!(parse_git_version("git version 2.22.0").unwrap() < MIN_GIT);
    }

    #[test]
    fn a_missing_toolchain_gets_rustups_own_fix() {
        assert_eq!(
            toolchain_fix("error: toolchain 'nightly-2020' is not installed"),
            "rustup toolchain install nightly-2020"
        );
        assert!(toolchain_fix("command not found: `rustc`").contains("https://rustup.rs"));
        // A missing component names the toolchain too, but is not a missing toolchain.
        assert_eq!(missing_toolchain("error: 'cargo-fmt' is not installed for the toolchain 'stable-x86_64'."), None);
    }
}
