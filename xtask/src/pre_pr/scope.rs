//! `pre-pr --scope`: verify only the packages the branch touches. The branch's changed paths
//! (against its merge-base with main) are mapped to the workspace packages that own them (the
//! deepest package folder holding each path, from `cargo metadata`), plus every workspace package
//! that depends on one of them, transitively. Each verify command that names `--workspace` then
//! names those packages instead (`-p a -p b`); commands without it run as they are. When a path
//! is the workspace's build settings (`Cargo.toml`, `Cargo.lock`, `.cargo/`, the toolchain file),
//! or cargo cannot describe the workspace, nothing is narrowed; other paths outside every package
//! (docs, CHANGELOG fragments, CI files) build no package and are left out. Opt-in only; CI
//! always runs everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use xshell::cmd;

use crate::ctx::Ctx;

/// The packages to verify, or `None` for "everything" (with the reason, for the summary).
pub fn packages(ctx: &Ctx) -> Result<BTreeSet<String>, String> {
    let changed = changed_paths(ctx).map_err(|error| format!("the branch's changes are unknown ({error:#})"))?;
    let workspace = describe(ctx)?;
    let root = ctx.root();
    let mut owners = BTreeSet::new();
    for path in &changed {
        let full = root.join(path);
        let owner = workspace
            .iter()
            .filter(|(_, package)| full.starts_with(&package.dir))
            .max_by_key(|(_, package)| package.dir.components().count());
        match owner {
            Some((name, _)) => {
                owners.insert(name.clone());
            }
            None if affects_every_package(path) => return Err(format!("`{path}` affects every package")),
            // Outside every package and not the workspace's build settings (docs, the CHANGELOG
            // fragments, CI files): no package is built from it.
            None => {}
        }
    }
    Ok(with_dependents(&workspace, owners))
}

/// The workspace's build settings: a change there can change every package's build.
fn affects_every_package(path: &str) -> bool {
    matches!(path, "Cargo.toml" | "Cargo.lock" | "build.rs")
        || path.starts_with(".cargo/")
        || path.starts_with("rust-toolchain")
}

/// `commands` with `--workspace` replaced by `-p <package>` for each of `packages`.
pub fn narrow(commands: &[Vec<String>], packages: &BTreeSet<String>) -> Vec<Vec<String>> {
    commands
        .iter()
        .map(|command| {
            let mut out = Vec::with_capacity(command.len() + packages.len());
            for arg in command {
                if arg == "--workspace" {
                    for package in packages {
                        out.push("-p".to_string());
                        out.push(package.clone());
                    }
                } else {
                    out.push(arg.clone());
                }
            }
            out
        })
        .collect()
}

struct Package {
    dir: PathBuf,
    /// The workspace packages it depends on.
    depends_on: BTreeSet<String>,
}

fn changed_paths(ctx: &Ctx) -> anyhow::Result<Vec<String>> {
    let head = ctx.repo.head()?.commit().ok_or_else(|| anyhow::anyhow!("HEAD has no commit"))?;
    let main = ctx.repo.main_commit(&ctx.config.main_branch, &ctx.config.remote)?;
    let base = ctx.repo.merge_base(head, main)?;
    ctx.repo.paths_between(base, head)
}

/// The workspace's packages, from `cargo metadata --no-deps` (no network, no build).
fn describe(ctx: &Ctx) -> Result<BTreeMap<String, Package>, String> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        packages: Vec<Meta>,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        name: String,
        manifest_path: PathBuf,
        dependencies: Vec<Dependency>,
    }
    #[derive(serde::Deserialize)]
    struct Dependency {
        name: String,
        path: Option<PathBuf>,
    }
    let output = cmd!(ctx.sh, "cargo metadata --format-version 1 --no-deps --offline")
        .ignore_status()
        .quiet()
        .output()
        .map_err(|error| format!("`cargo metadata` did not run ({error})"))?;
    if !output.status.success() {
        return Err("`cargo metadata` failed".into());
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("`cargo metadata` said something else ({error})"))?;
    let canonical = |path: &Path| path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    Ok(metadata
        .packages
        .into_iter()
        .map(|package| {
            let dir = canonical(package.manifest_path.parent().unwrap_or(Path::new(".")));
            let depends_on = package.dependencies.into_iter().filter(|d| d.path.is_some()).map(|d| d.name).collect();
            (package.name, Package { dir, depends_on })
        })
        .collect())
}

/// `owners` and every package that depends on one of them, transitively.
fn with_dependents(workspace: &BTreeMap<String, Package>, owners: BTreeSet<String>) -> BTreeSet<String> {
    let mut all = owners;
    loop {
        let more: Vec<String> = workspace
            .iter()
            .filter(|(name, package)| !all.contains(*name) && package.depends_on.iter().any(|d| all.contains(d)))
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            return all;
        }
        all.extend(more);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dependency's change takes its dependents along; `--workspace` becomes `-p` each.
    #[test]
    fn dependents_come_along_and_workspace_is_narrowed() {
        let package =
            |deps: &[&str]| Package { dir: PathBuf::new(), depends_on: deps.iter().map(|d| d.to_string()).collect() };
        let workspace: BTreeMap<String, Package> = [
            ("core".to_string(), package(&[])),
            ("tool".to_string(), package(&["core"])),
            ("bench".to_string(), package(&["tool"])),
            ("other".to_string(), package(&[])),
        ]
        .into_iter()
        .collect();
        let affected = with_dependents(&workspace, ["core".to_string()].into());
        assert_eq!(affected.into_iter().collect::<Vec<_>>(), ["bench", "core", "tool"]);
        let narrowed = narrow(
            &[vec!["cargo".into(), "test".into(), "--workspace".into()], vec!["cargo".into(), "fmt".into()]],
            &["tool".to_string()].into(),
        );
        assert_eq!(narrowed, [vec!["cargo", "test", "-p", "tool"], vec!["cargo", "fmt"]]);
    }
}
