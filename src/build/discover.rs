//! Which files are add-ons: the one rule, shared by the runtime's build script (which compiles
//! them in) and the xtask (which checks, formats and reports them). Both include this file with
//! `#[path]`, so they can never disagree. Standard library only.
//!
//! An add-on is `src/core/<module>.rs` or `src/core/<module>/mod.rs`, where `<module>` is a Rust
//! module name (lowercase ASCII letters, digits and `_`, starting with a letter). Its integration
//! test, if any, is `tests/integration/<module>.rs`. Hidden files (a writer's temporary files,
//! say) and other extensions are not add-ons; `src/core/mod.rs` is the kit's own.

use std::path::{Path, PathBuf};

/// Where the add-ons live, relative to the package root.
pub const ADDONS_DIR: &str = "src/core";
/// Where their integration tests live, relative to the package root.
pub const TESTS_DIR: &str = "tests/integration";
/// Modules of the integration-test binary that belong to the kit, not to an add-on.
pub const KIT_TEST_MODULES: &[&str] = &["main", "support", "status_command", "run_command"];

/// One discovered add-on module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The module name, e.g. `health_monitor`.
    pub module: String,
    /// Its file, absolute (`<root>/src/core/health_monitor.rs` or `…/<module>/mod.rs`).
    pub file: PathBuf,
    /// Its integration test `<root>/tests/integration/<module>.rs`, when that file exists.
    pub test: Option<PathBuf>,
}

/// A `.rs` file in the add-ons folder whose name cannot be a module: the build stops on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadName {
    pub file: PathBuf,
    pub reason: String,
}

/// The add-ons under `root`, sorted by module name, and the files that look like add-ons but
/// cannot be. A missing folder means no add-ons.
pub fn addons(root: &Path) -> (Vec<Found>, Vec<BadName>) {
    let dir = root.join(ADDONS_DIR);
    let mut found = Vec::new();
    let mut bad = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else { return (found, bad) };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(file_name) = entry.file_name().to_str().map(str::to_string) else {
            bad.push(BadName { file: path, reason: "the file name is not UTF-8".into() });
            continue;
        };
        if file_name.starts_with('.') {
            continue;
        }
        let (module, file) = if path.is_dir() {
            let file = path.join("mod.rs");
            if !file.is_file() {
                continue;
            }
            (file_name, file)
        } else if let Some(stem) = file_name.strip_suffix(".rs") {
            if stem == "mod" {
                continue;
            }
            (stem.to_string(), path)
        } else {
            continue;
        };
        if !is_module_name(&module) {
            bad.push(BadName {
                file,
                reason: format!(
                    "`{module}` is not an add-on module name (lowercase ASCII letters, digits and `_`, starting with a letter)"
                ),
            });
            continue;
        }
        let test = root.join(TESTS_DIR).join(format!("{module}.rs"));
        let test = (test.is_file() && !KIT_TEST_MODULES.contains(&module.as_str())).then_some(test);
        found.push(Found { module, file, test });
    }
    found.sort_by(|a, b| a.module.cmp(&b.module));
    bad.sort_by(|a, b| a.file.cmp(&b.file));
    (found, bad)
}

/// Whether `name` can be an add-on's module name.
pub fn is_module_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
