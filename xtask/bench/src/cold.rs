//! The cold build: a new engineer's first wait. `cargo build -p xtask` with an empty target dir
//! (the crates already downloaded: `--offline`) against a one-file crate that depends only on
//! git2, with the xtask's git2 version and features, the workspace's lock file, `[profile]`
//! settings and cargo configuration, built the same way — the floor any git2-based tool pays.
//!
//! Both build in scratch copies, never in the engineer's clone: the xtask from a copy of the
//! workspace (so the template edit below and cargo's lock-file updates stay in the copy), each
//! into its own fresh `CARGO_TARGET_DIR`. `RUSTC_WRAPPER` is removed for both: a compiler cache
//! would make a cold build warm. Then, in the warm copy: append a line to a template and build
//! again (the xtask reads templates at run time, so nothing may recompile), append a comment line
//! to one xtask source file and build again, once per run (the edit loop of an engineer who
//! changes the tool: the xtask must recompile, quickly), and time `cargo xtask --version` against
//! the binary alone (what `cargo run` adds to every command). Every build of the xtask is the
//! `cargo xtask` alias's: `-p xtask --no-default-features`.

use std::ffi::OsString;
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use xshell::{cmd, Shell};

use super::measure::{self, Probe, Timing};

/// A build's wall time and how many crates cargo compiled.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Build {
    pub ms: f64,
    pub crates: usize,
    /// Cargo's `Compiling` lines named `xtask`.
    pub compiled_xtask: bool,
}

pub struct ColdBuilds {
    pub xtask: Build,
    pub git2_only: Build,
    /// The build after appending a line to `templates/spec.md.tera`.
    pub template_edit: Build,
    /// The builds after appending a comment line to [`EDITED_SOURCE`], one per run.
    pub source_edits: Vec<Build>,
    /// `cargo xtask --version` (through cargo, warm) and the binary's own `--version`.
    pub wrapper: (Timing, Timing),
}

/// The template the rebuild check edits.
pub const EDITED_TEMPLATE: &str = "templates/spec.md.tera";

/// The xtask source file the edit-loop rebuild edits.
pub const EDITED_SOURCE: &str = "xtask/src/status/mod.rs";

/// How `cargo xtask` builds the tool (the alias in `.cargo/config.toml`).
const XTASK_BUILD: &[&str] = &["-p", "xtask", "--no-default-features"];

/// Runs every build. `workspace` is the engineer's clone (read only).
pub fn measure(workspace: &Path, scratch: &Path, runs: u32) -> anyhow::Result<ColdBuilds> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let copy = scratch.join("workspace");
    copy_workspace(workspace, &copy)?;
    let git2_crate = scratch.join("git2-only");
    write_git2_crate(workspace, &git2_crate)?;

    // The git2 crate first: it reads libgit2's sources from disk first, so if the page cache
    // favours anyone it is the xtask, and the ratio errs against us, not for us.
    let git2_only = build(&cargo, &git2_crate, &scratch.join("target-git2-only"), &[])?;
    let target = scratch.join("target-xtask");
    let xtask = build(&cargo, &copy, &target, XTASK_BUILD)?;

    let template = copy.join(EDITED_TEMPLATE);
    let mut text =
        std::fs::read_to_string(&template).with_context(|| format!("failed to read `{}`", template.display()))?;
    text.push_str("\n{# edited by cargo xtask bench: templates are read at run time #}\n");
    std::fs::write(&template, text).with_context(|| format!("failed to write `{}`", template.display()))?;
    let template_edit = build(&cargo, &copy, &target, XTASK_BUILD)?;

    let source = copy.join(EDITED_SOURCE);
    let mut source_edits = Vec::new();
    for run in 0..runs.max(1) {
        let mut text =
            std::fs::read_to_string(&source).with_context(|| format!("failed to read `{}`", source.display()))?;
        text.push_str(&format!("// edited by cargo xtask bench ({run})\n"));
        std::fs::write(&source, text).with_context(|| format!("failed to write `{}`", source.display()))?;
        source_edits.push(build(&cargo, &copy, &target, XTASK_BUILD)?);
    }

    let sh = shell(&copy, &target)?;
    let binary = target.join("debug").join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    let through_cargo = Probe::new(&sh, "cargo xtask --version", cargo.clone(), &["xtask", "--version"]);
    let alone = Probe::new(&sh, "xtask --version", binary, &["--version"]);
    let mut timings = measure::compare(&[&through_cargo, &alone], runs).into_iter();
    let (Some(through_cargo), Some(alone)) = (timings.next(), timings.next()) else {
        anyhow::bail!("the wrapper measurement returned no timings");
    };
    let wrapper = (through_cargo?, alone?);
    Ok(ColdBuilds { xtask, git2_only, template_edit, source_edits, wrapper })
}

fn shell(dir: &Path, target: &Path) -> anyhow::Result<Shell> {
    let sh = Shell::new().context("failed to set up the command runner")?;
    sh.change_dir(dir);
    sh.set_var("CARGO_TARGET_DIR", target);
    Ok(sh)
}

/// `cargo build --offline <args>` in `dir` into `target`, timed.
fn build(cargo: &OsString, dir: &Path, target: &Path, args: &[&str]) -> anyhow::Result<Build> {
    let sh = shell(dir, target)?;
    let command = cmd!(sh, "{cargo} build --offline {args...}")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    let started = Instant::now();
    let output =
        measure::run_checked(command, &format!("`cargo build --offline {}` in `{}`", args.join(" "), dir.display()))?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let compiling: Vec<&str> =
        stderr.lines().map(str::trim_start).filter(|line| line.starts_with("Compiling ")).collect();
    let compiled_xtask = compiling.iter().any(|line| line.starts_with("Compiling xtask "));
    Ok(Build { ms, crates: compiling.len(), compiled_xtask })
}

/// Copies the workspace without `.git` and any `target` folder.
fn copy_workspace(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("failed to create `{}`", to.display()))?;
    let entries = std::fs::read_dir(from).with_context(|| format!("failed to read `{}`", from.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to read `{}`", from.display()))?;
        let name = entry.file_name();
        if name == ".git" || name == "target" {
            continue;
        }
        let path = entry.path();
        let metadata = std::fs::metadata(&path).with_context(|| format!("failed to read `{}`", path.display()))?;
        if metadata.is_dir() {
            copy_workspace(&path, &to.join(&name))?;
        } else if metadata.is_file() {
            std::fs::copy(&path, to.join(&name)).with_context(|| format!("failed to copy `{}`", path.display()))?;
        }
    }
    Ok(())
}

/// The one-file crate: git2 exactly as the xtask declares it, the workspace's `[profile]`
/// settings, lock file, toolchain file and cargo configuration.
fn write_git2_crate(workspace: &Path, dir: &Path) -> anyhow::Result<()> {
    let root = xtask::config::manifest_table(&workspace.join("Cargo.toml"))?;
    let xtask = xtask::config::manifest_table(&workspace.join("xtask").join("Cargo.toml"))?;
    let declared = xtask
        .get("dependencies")
        .and_then(|dependencies| dependencies.get("git2"))
        .context("`xtask/Cargo.toml` has no `git2` dependency to compare with")?;
    // `git2.workspace = true`: the version and features are the workspace's.
    let inherited = declared.get("workspace").and_then(toml::Value::as_bool) == Some(true);
    let git2 = if inherited {
        root.get("workspace")
            .and_then(|workspace| workspace.get("dependencies"))
            .and_then(|dependencies| dependencies.get("git2"))
            .cloned()
            .context("`xtask/Cargo.toml` inherits `git2` but the workspace declares none")?
    } else {
        declared.clone()
    };
    let edition = root
        .get("workspace")
        .and_then(|workspace| workspace.get("package"))
        .and_then(|package| package.get("edition"))
        .and_then(toml::Value::as_str)
        .unwrap_or("2021");

    let mut manifest = toml::Table::new();
    let package = super::synth::table_at(&mut manifest, "package")?;
    package.insert("name".into(), toml::Value::String("git2-only".into()));
    package.insert("version".into(), toml::Value::String("0.0.0".into()));
    package.insert("edition".into(), toml::Value::String(edition.into()));
    package.insert("publish".into(), toml::Value::Boolean(false));
    super::synth::table_at(&mut manifest, "dependencies")?.insert("git2".into(), git2);
    if let Some(profile) = root.get("profile") {
        manifest.insert("profile".into(), profile.clone());
    }
    // Its own workspace, so no enclosing manifest claims it.
    manifest.insert("workspace".into(), toml::Value::Table(toml::Table::new()));

    let write = |relative: &str, text: &str| -> anyhow::Result<()> {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("failed to write `{}`", path.display()))
    };
    write("Cargo.toml", &toml::to_string(&manifest).context("failed to write the git2-only crate's manifest")?)?;
    write(
        "src/main.rs",
        "//! The floor of the xtask's cold build: git2 alone.\n\nfn main() {\n    let found = git2::Repository::discover(\".\").is_ok();\n    println!(\"repository: {found}\");\n}\n",
    )?;
    for file in ["Cargo.lock", "rust-toolchain.toml", "rust-toolchain", ".cargo/config.toml", ".cargo/config"] {
        let source = workspace.join(file);
        if source.is_file() {
            let text =
                std::fs::read_to_string(&source).with_context(|| format!("failed to read `{}`", source.display()))?;
            write(file, &text)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the edited files are ones the workspace has: the edit-loop row once appended to
    // `xtask/src/status.rs` after it became `status/mod.rs`, and measured nothing. Like the tidy
    // test, it reads this checkout's tree (the files the bench copies), and fails when one moves.
    #[test]
    fn the_edited_files_exist_in_the_workspace() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for file in [EDITED_SOURCE, EDITED_TEMPLATE] {
            assert!(workspace.join(file).is_file(), "`{file}` is not in the workspace: the bench would edit nothing");
        }
    }

    /// The xtask inherits git2 from `[workspace.dependencies]` (the layout of this workspace):
    /// the git2-only crate gets the workspace's version and features, not `workspace = true`,
    /// which its own workspace could not resolve.
    #[test]
    fn the_git2_crate_resolves_an_inherited_dependency() {
        let workspace = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            workspace.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\".\", \"xtask\"]\n[workspace.dependencies]\ngit2 = { version = \"0.21\", default-features = false }\n",
        )
        .unwrap();
        std::fs::create_dir(workspace.path().join("xtask")).unwrap();
        std::fs::write(
            workspace.path().join("xtask/Cargo.toml"),
            "[package]\nname = \"xtask\"\n[dependencies]\ngit2.workspace = true\n",
        )
        .unwrap();
        write_git2_crate(workspace.path(), dir.path()).unwrap();
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap()).unwrap();
        assert_eq!(manifest["dependencies"]["git2"]["version"].as_str(), Some("0.21"));
        assert_eq!(manifest["dependencies"]["git2"]["default-features"].as_bool(), Some(false));
        assert!(manifest["dependencies"]["git2"].get("workspace").is_none());
    }

    #[test]
    fn the_git2_crate_copies_the_dependency_and_the_profile() {
        let workspace = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            workspace.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\".\", \"xtask\"]\n[workspace.package]\nedition = \"2024\"\n[profile.dev]\ndebug = \"line-tables-only\"\n[profile.dev.package.\"*\"]\ndebug = false\n",
        )
        .unwrap();
        std::fs::create_dir(workspace.path().join("xtask")).unwrap();
        std::fs::write(
            workspace.path().join("xtask/Cargo.toml"),
            "[package]\nname = \"xtask\"\n[dependencies]\ngit2 = { version = \"0.21\", default-features = false }\n",
        )
        .unwrap();
        std::fs::write(workspace.path().join("Cargo.lock"), "version = 4\n").unwrap();
        write_git2_crate(workspace.path(), dir.path()).unwrap();
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap()).unwrap();
        assert_eq!(manifest["dependencies"]["git2"]["version"].as_str(), Some("0.21"));
        assert_eq!(manifest["dependencies"]["git2"]["default-features"].as_bool(), Some(false));
        assert_eq!(manifest["profile"]["dev"]["package"]["*"]["debug"].as_bool(), Some(false));
        assert_eq!(manifest["package"]["edition"].as_str(), Some("2024"));
        assert!(dir.path().join("Cargo.lock").is_file() && dir.path().join("src/main.rs").is_file());
    }
}
