//! The add-on inventory: the one place that lists the add-ons of a repository. An add-on is a spec
//! file `<dir>/*_Spec_<Feature>.md` in the configured specs folder; from it come its derived names,
//! its parsed header (status, depends-on, template), and which of its other documents and its
//! owning module exist.
//!
//! Headers are read before bodies: loading the inventory reads each spec only up to its first
//! `## ` heading, so commands that list add-ons stay fast on thousands of them. This module reads;
//! it never writes, and it never judges (that is `check`'s work) — problems are collected, not
//! raised, so every command sees every add-on it can.

use std::io::BufRead as _;
use std::path::Path;

use anyhow::Context as _;

use crate::config::Config;
use crate::docs::{Header, Status};
use crate::error::Refusal;
use crate::names::{self, Names, Words};

/// One add-on, as its documents describe it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Addon {
    /// `HealthMonitor`
    pub feature: String,
    /// Every derived name (flag, module, the document paths the configuration expects).
    pub names: Names,
    /// The spec file that exists, relative to the root (`docs/specs/Lancelot_vNext2_Spec_X.md`).
    pub spec: String,
    /// The spec's header: the `**Key:** value` lines before its first `## ` heading.
    #[serde(skip)]
    pub header: Header,
    /// The lifecycle status, when the Status line parses.
    pub status: Option<Status>,
    /// Why the status could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_error: Option<String>,
    /// The features named by the spec's `**Depends on:**` line.
    pub depends_on: Vec<String>,
    pub has_blueprint: bool,
    pub has_runbook: bool,
    pub has_architecture: bool,
    /// The owning module exists, as a file (`src/core/x.rs`) or a folder (`src/core/x/`).
    pub has_module: bool,
}

impl Addon {
    /// The status, or why it cannot be read.
    pub fn status(&self) -> Result<Status, &str> {
        match (self.status, &self.status_error) {
            (Some(status), _) => Ok(status),
            (None, Some(error)) => Err(error),
            (None, None) => Err("the header has no `**Status:**` line"),
        }
    }

    /// Frozen: In Progress or later (SOP 2.1).
    pub fn is_frozen(&self) -> bool {
        self.status.is_some_and(Status::is_frozen)
    }

    /// The owning module's path as it exists (the folder form when there is no file).
    pub fn module_path(&self, root: &Path) -> &str {
        if !root.join(&self.names.module).is_file() && root.join(&self.names.module_dir).is_dir() {
            &self.names.module_dir
        } else {
            &self.names.module
        }
    }
}

/// A spec file that is not a usable add-on, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file, relative to the root.
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Inventory {
    /// Sorted by feature.
    pub addons: Vec<Addon>,
    pub problems: Vec<Problem>,
}

impl Inventory {
    /// Lists the add-ons of the repository at `root`. A missing specs folder means none.
    pub fn load(root: &Path, config: &Config) -> anyhow::Result<Inventory> {
        let dir = root.join(&config.docs.specs);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Inventory::default()),
            Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", dir.display())),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("failed to read `{}`", dir.display()))?;
            let Ok(file_name) = entry.file_name().into_string() else { continue };
            if names::feature_of_spec_file(&file_name).is_some() && entry.path().is_file() {
                files.push(file_name);
            }
        }
        // The expected spelling first, so that a stray duplicate is the one reported.
        files.sort_by_cached_key(|file| {
            let feature = names::feature_of_spec_file(file).unwrap_or_default();
            (feature.to_string(), *file != names::doc_file_name(config, "Spec", feature), file.clone())
        });

        let mut inventory = Inventory::default();
        let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for file_name in files {
            let feature = names::feature_of_spec_file(&file_name).unwrap_or_default().to_string();
            let path = format!("{}/{file_name}", config.docs.specs);
            let words = match Words::parse(&feature) {
                Ok(words) => words,
                Err(error) => {
                    inventory
                        .problems
                        .push(Problem { path, message: format!("`{feature}` is not an add-on name: {error}") });
                    continue;
                }
            };
            if let Some(first) = seen.get(&words.pascal()) {
                let message = format!("a second spec for `{}` (the first is `{first}`)", words.pascal());
                inventory.problems.push(Problem { path, message });
                continue;
            }
            seen.insert(words.pascal(), path.clone());
            let names = Names::from_words(&words, "feat", config);
            let header = Header::parse(&read_header(&root.join(&path))?);
            let (status, status_error) = match header.status() {
                Ok(status) => (Some(status), None),
                Err(error) => (None, Some(error)),
            };
            let exists = |relative: &str| root.join(relative).is_file();
            inventory.addons.push(Addon {
                feature: names.feature.clone(),
                spec: path,
                status,
                status_error,
                depends_on: header.depends_on(),
                has_blueprint: exists(&names.blueprint),
                has_runbook: exists(&names.runbook),
                has_architecture: exists(&names.architecture),
                has_module: exists(&names.module) || root.join(&names.module_dir).is_dir(),
                header,
                names,
            });
        }
        inventory.addons.sort_by(|a, b| a.feature.cmp(&b.feature));
        Ok(inventory)
    }

    pub fn find(&self, feature: &str) -> Option<&Addon> {
        // Sorted by feature (see `load`): a lookup stays cheap on thousands of add-ons.
        self.addons.binary_search_by(|addon| addon.feature.as_str().cmp(feature)).ok().map(|index| &self.addons[index])
    }

    /// The name of the next slice built on `addon` that is not taken yet (`scheduler` →
    /// `scheduler-2`, `scheduler-2` → `scheduler-3`): where a change to a frozen spec goes.
    pub fn next_slice(&self, addon: &Addon) -> String {
        // Slice numbers are trailing digits: `Scheduler2` is `scheduler2` once derived again.
        let slug = addon.names.slug.as_str();
        let stem = slug.trim_end_matches(|c: char| c.is_ascii_digit());
        let (stem, mut number) = match slug[stem.len()..].parse::<u32>() {
            Ok(n) if !stem.is_empty() => (stem.trim_end_matches('-'), n.saturating_add(1)),
            _ => (slug, 2),
        };
        loop {
            let candidate = format!("{stem}-{number}");
            let taken = Words::parse(&candidate).map(|words| self.find(&words.pascal()).is_some()).unwrap_or(false);
            if !taken || number == u32::MAX {
                return candidate;
            }
            number += 1;
        }
    }

    /// The command that starts the next slice instead of changing a frozen spec (SOP 2.1).
    pub fn new_slice_command(&self, addon: &Addon) -> String {
        format!("cargo xtask new-addon {} --depends-on {}", self.next_slice(addon), addon.feature)
    }

    /// Finds an add-on by any spelling `new-addon` accepts (`health-monitor`, `HealthMonitor`,
    /// `"health monitor"`) or by its spec's file name or path.
    pub fn resolve(&self, input: &str) -> anyhow::Result<&Addon> {
        let file_name = input.trim().rsplit(['/', '\\']).next().unwrap_or(input);
        let feature = match names::feature_of_spec_file(file_name) {
            Some(feature) => feature.to_string(),
            None => Words::parse(input)
                .map_err(|error| {
                    Refusal::usage(format!("`{}` is not an add-on name: {error}", input.escape_debug()))
                        .hint("name an existing add-on (list them: cargo xtask spec list)")
                })?
                .pascal(),
        };
        self.find(&feature).ok_or_else(|| {
            let known: Vec<&str> = self.addons.iter().map(|addon| addon.feature.as_str()).take(10).collect();
            let known = if known.is_empty() {
                "there are none yet".to_string()
            } else {
                format!("known: {}", known.join(", "))
            };
            Refusal::usage(format!("there is no add-on `{feature}` ({known})"))
                .hint(format!("list them: cargo xtask spec list; create one: cargo xtask new-addon {}", names::EXAMPLE))
                .into()
        })
    }
}

/// A document's text up to (not including) its first `## ` heading: all [`Header::parse`] reads.
pub fn read_header(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let mut reader = std::io::BufReader::new(file);
    let mut text = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read =
            reader.read_until(b'\n', &mut line).with_context(|| format!("failed to read `{}`", path.display()))?;
        if read == 0 || line.starts_with(b"## ") {
            break;
        }
        text.push_str(&String::from_utf8_lossy(&line));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn lists_addons_with_their_documents_and_headers() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config = Config::default();
        write(root, "docs/specs/Lancelot_vNext2_Spec_Scheduler.md", "# S\n\n**Status:** In Progress  \n**Depends on:** [HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)\n\n## Scope\n**Status:** Draft\n");
        write(root, "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md", "# H\n**Status:** Maybe\n");
        write(root, "docs/specs/README.md", "not a spec");
        write(root, "docs/specs/spec.lock", "");
        write(root, "docs/blueprints/Lancelot_vNext2_Blueprint_Scheduler.md", "");
        write(root, "src/core/scheduler/mod.rs", "");
        let inventory = Inventory::load(root, &config).unwrap();
        let features: Vec<&str> = inventory.addons.iter().map(|a| a.feature.as_str()).collect();
        assert_eq!(features, ["HealthMonitor", "Scheduler"]);
        let scheduler = inventory.find("Scheduler").unwrap();
        assert_eq!(scheduler.status(), Ok(Status::InProgress));
        assert!(scheduler.is_frozen());
        assert_eq!(scheduler.depends_on, ["HealthMonitor"]);
        assert!(
            scheduler.has_blueprint && !scheduler.has_runbook && !scheduler.has_architecture && scheduler.has_module
        );
        assert_eq!(scheduler.module_path(root), "src/core/scheduler");
        assert_eq!(scheduler.names.flag, "FEATURE_SCHEDULER");
        assert!(inventory.find("HealthMonitor").unwrap().status().unwrap_err().contains("`Maybe`"));
        assert!(inventory.problems.is_empty());
    }

    #[test]
    fn resolves_every_spelling_and_reports_unknown_names() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md", "# H\n**Status:** Draft\n");
        let inventory = Inventory::load(dir.path(), &Config::default()).unwrap();
        for input in [
            "health-monitor",
            "HealthMonitor",
            "health monitor",
            "Lancelot_vNext2_Spec_HealthMonitor.md",
            "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md",
        ] {
            assert_eq!(inventory.resolve(input).unwrap().feature, "HealthMonitor", "{input}");
        }
        let error = inventory.resolve("scheduler").unwrap_err();
        assert!(error.to_string().contains("no add-on `Scheduler`"), "{error}");
        assert!(inventory.resolve("../x").is_err());
    }

    #[test]
    fn the_next_slice_is_a_free_name() {
        let dir = tempfile::tempdir().unwrap();
        for feature in ["Scheduler", "Scheduler2", "Jobs3"] {
            write(dir.path(), &format!("docs/specs/Lancelot_vNext2_Spec_{feature}.md"), "**Status:** In Progress\n");
        }
        let inventory = Inventory::load(dir.path(), &Config::default()).unwrap();
        assert_eq!(inventory.next_slice(inventory.find("Scheduler").unwrap()), "scheduler-3");
        assert_eq!(inventory.next_slice(inventory.find("Jobs3").unwrap()), "jobs-4");
        assert_eq!(
            inventory.new_slice_command(inventory.find("Scheduler2").unwrap()),
            "cargo xtask new-addon scheduler-3 --depends-on Scheduler2"
        );
    }

    #[test]
    fn bad_and_duplicate_specs_are_problems_not_errors() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "docs/specs/Lancelot_vNext2_Spec_Core.md", "");
        write(dir.path(), "docs/specs/Lancelot_vNext2_Spec_Jobs.md", "**Status:** Draft\n");
        write(dir.path(), "docs/specs/Other_v1_Spec_Jobs.md", "**Status:** Draft\n");
        let inventory = Inventory::load(dir.path(), &Config::default()).unwrap();
        assert_eq!(inventory.addons.len(), 1);
        assert_eq!(inventory.addons[0].spec, "docs/specs/Lancelot_vNext2_Spec_Jobs.md");
        assert_eq!(inventory.problems.len(), 2, "{:?}", inventory.problems);
    }

    #[test]
    fn header_reading_stops_at_the_first_section() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.md", "# T\n**Status:** Draft\n## Scope\nbody\n");
        assert_eq!(read_header(&dir.path().join("a.md")).unwrap(), "# T\n**Status:** Draft\n");
    }
}
