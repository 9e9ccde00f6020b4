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

use crate::cache::Cache;
use crate::config::Config;
use crate::docs::{Header, Status};
use crate::error::Refusal;
use crate::git::sparse;
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
    /// The features named by the spec's `**Depends on:**` line, canonical (as
    /// [`names::resolve_dependency`] reads them); an entry that is not a name stays as written.
    pub depends_on: Vec<String>,
    /// Each `**Depends on:**` entry as written, with what it resolves to.
    #[serde(skip)]
    pub dependencies: Vec<Dependency>,
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
        let (file, dir) = (root.join(&self.names.module), root.join(&self.names.module_dir));
        if !sparse::is_file(&file) && sparse::is_dir(&dir) {
            &self.names.module_dir
        } else {
            &self.names.module
        }
    }
}

/// One entry of a spec's `**Depends on:**` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// As the header writes it (a link's file name becomes its feature: see [`Header::depends_on`]).
    pub written: String,
    /// The canonical feature it names, or why it names none.
    pub feature: Result<String, names::NameError>,
}

impl Dependency {
    /// Resolves one entry through the one resolver.
    pub fn resolve(written: &str, config: &Config) -> Dependency {
        Dependency {
            written: written.to_string(),
            feature: names::resolve_dependency(written, config).map(|names| names.feature),
        }
    }

    /// The canonical feature, or the entry as written when it is not a name.
    pub fn name(&self) -> &str {
        self.feature.as_deref().unwrap_or(&self.written)
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
    /// The configuration the names were derived with.
    #[serde(skip)]
    config: Config,
}

impl Inventory {
    /// Lists the add-ons of the repository at `root`. A missing specs folder means none.
    pub fn load(root: &Path, config: &Config) -> anyhow::Result<Inventory> {
        Inventory::load_cached(root, config, &Cache::disabled())
    }

    /// [`Inventory::load`], with each spec's header from `cache` while the spec is unchanged.
    pub fn load_cached(root: &Path, config: &Config, cache: &Cache) -> anyhow::Result<Inventory> {
        let dir = root.join(&config.docs.specs);
        // The specs a sparse checkout leaves out are add-ons too (their folder maybe absent).
        let absent = sparse::absent_in(&dir);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => Some(entries),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && !absent.is_empty() => None,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Inventory { config: config.clone(), ..Inventory::default() })
            }
            Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", dir.display())),
        };
        let mut files_found = Vec::new();
        for entry in entries.into_iter().flatten() {
            let entry = entry.with_context(|| format!("failed to read `{}`", dir.display()))?;
            let Ok(file_name) = entry.file_name().into_string() else { continue };
            if names::feature_of_spec_file(&file_name).is_some() && is_file(&entry) {
                files_found.push(file_name);
            }
        }
        for (file_name, file, _) in absent {
            if file && names::feature_of_spec_file(&file_name).is_some() {
                files_found.push(file_name);
            }
        }
        // Per spec file, from the cache while it is unchanged: its header, and its names derived
        // once from the canonical feature, exactly as `new-addon` derived them (or why they
        // cannot be). The expected spelling first, so that a stray duplicate is the one reported.
        let mut files: Vec<(String, String, Header, Result<Names, String>)> = Vec::with_capacity(files_found.len());
        for file_name in files_found {
            let feature = names::feature_of_spec_file(&file_name).unwrap_or_default().to_string();
            let path = format!("{}/{file_name}", config.docs.specs);
            let (header, (derived, error)): (Header, (Option<Names>, String)) =
                cache.derive("spec", root, &path, "", |full| {
                    let header = Header::parse(&read_header(full)?);
                    Ok(match Names::derive(&feature, "feat", config) {
                        Ok(names) => (header, (Some(names), String::new())),
                        Err(error) => (header, (None, error.to_string())),
                    })
                })?;
            files.push((file_name, feature, header, derived.ok_or(error)));
        }
        files.sort_by_cached_key(|(file, written, _, derived)| {
            let feature = derived.as_ref().map_or_else(|_| written.clone(), |names| names.feature.clone());
            let expected = names::doc_file_name(config, "Spec", &feature);
            (feature, *file != expected, file.clone())
        });

        let listings = Listings::default();
        let mut inventory = Inventory { config: config.clone(), ..Inventory::default() };
        let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for (file_name, feature, header, derived) in files {
            let path = format!("{}/{file_name}", config.docs.specs);
            let names = match derived {
                Ok(names) => names,
                Err(error) => {
                    inventory
                        .problems
                        .push(Problem { path, message: format!("`{feature}` is not an add-on name: {error}") });
                    continue;
                }
            };
            if let Some(first) = seen.get(&names.feature) {
                let message = format!("a second spec for `{}` (the first is `{first}`)", names.feature);
                inventory.problems.push(Problem { path, message });
                continue;
            }
            seen.insert(names.feature.clone(), path.clone());
            let (status, status_error) = match header.status() {
                Ok(status) => (Some(status), None),
                Err(error) => (None, Some(error)),
            };
            let exists = |relative: &str| listings.is_file(root, relative);
            let dependencies: Vec<Dependency> =
                header.depends_on().iter().map(|written| Dependency::resolve(written, config)).collect();
            inventory.addons.push(Addon {
                feature: names.feature.clone(),
                spec: path,
                status,
                status_error,
                depends_on: dependencies.iter().map(|dependency| dependency.name().to_string()).collect(),
                dependencies,
                has_blueprint: exists(&names.blueprint),
                has_runbook: exists(&names.runbook),
                has_architecture: exists(&names.architecture),
                has_module: exists(&names.module) || listings.is_dir(root, &names.module_dir),
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
        // `scheduler-3` is derived as `Scheduler3` / `scheduler3`, like the spec it follows. A
        // candidate the rules refuse (`com-2` is the Windows device `com2`) is skipped; one that
        // is too long never gets shorter, so the search stops there.
        loop {
            let candidate = format!("{stem}-{number}");
            match Words::parse(&candidate) {
                Ok(words) if self.find(&words.pascal()).is_none() => return candidate,
                Err(error) if error.rule == "max-length" => return candidate,
                _ if number == u32::MAX => return candidate,
                _ => number += 1,
            }
        }
    }

    /// The command that starts the next slice instead of changing a frozen spec (SOP 2.1).
    pub fn new_slice_command(&self, addon: &Addon) -> String {
        format!("cargo xtask new-addon {} --depends-on {}", self.next_slice(addon), addon.feature)
    }

    /// Finds an add-on by any spelling `new-addon` accepts (`health-monitor`, `HealthMonitor`,
    /// `"health monitor"`) or by its spec's file name or path, through
    /// [`names::resolve_dependency`], the one resolver.
    pub fn resolve(&self, input: &str) -> anyhow::Result<&Addon> {
        let names = names::resolve_dependency(input, &self.config).map_err(|error| {
            let hint = match names::suggest(input).and_then(|slug| self.find_name(&slug)) {
                Some(addon) => format!("did you mean `{}`? list them: cargo xtask spec list", addon.names.slug),
                None => "list the add-ons: cargo xtask spec list".to_string(),
            };
            Refusal::usage(format!("`{}` is not an add-on name: {error}", input.escape_debug())).hint(hint)
        })?;
        self.find(&names.feature).ok_or_else(|| {
            // `healthmonitor` for `HealthMonitor`: the same add-on but for case or separators,
            // which `new-addon` would refuse as a collision, so never "create it".
            let key = names::collision_key(&names.feature);
            if let Some(near) = self.addons.iter().find(|addon| names::collision_key(&addon.feature) == key) {
                return Refusal::usage(format!(
                    "there is no add-on `{}`; did you mean `{}`? Their names differ only in case or separators",
                    names.feature, near.names.slug
                ))
                .hint(format!("run it again with `{}`; the add-ons there are: cargo xtask spec list", near.names.slug))
                .into();
            }
            let known: Vec<&str> = self.addons.iter().map(|addon| addon.feature.as_str()).take(10).collect();
            let known = if known.is_empty() {
                "there are none yet".to_string()
            } else {
                format!("known: {}", known.join(", "))
            };
            Refusal::usage(format!("there is no add-on `{}` ({known})", names.feature))
                .hint(format!(
                    "create it (`cargo xtask new-addon {}`), or see the add-ons there are:\ncargo xtask spec list",
                    names.slug
                ))
                .into()
        })
    }

    /// The add-on a reference names, if its spec is here: a Depends-on entry, a `--depends-on`
    /// value, any spelling or spec file name (see [`names::resolve_dependency`]).
    pub fn find_name(&self, value: &str) -> Option<&Addon> {
        self.find(&names::resolve_dependency(value, &self.config).ok()?.feature)
    }
}

/// Whether a folder entry is a file, following a link as `Path::is_file` does.
fn is_file(entry: &std::fs::DirEntry) -> bool {
    kind_of(entry).is_some_and(|(file, _)| file)
}

/// (is a file, is a folder) of a folder entry, a link followed; the listing's own file type
/// answers for all but links, without a `stat` per entry.
fn kind_of(entry: &std::fs::DirEntry) -> Option<(bool, bool)> {
    let kind = entry.file_type().ok()?;
    if kind.is_symlink() {
        let followed = std::fs::metadata(entry.path()).ok()?;
        Some((followed.is_file(), followed.is_dir()))
    } else {
        Some((kind.is_file(), kind.is_dir()))
    }
}

/// A folder's entries, sorted by name: (name, is a file, is a folder), links followed.
type Entries = Vec<(String, bool, bool)>;

/// The folders whose entries the inventory asks about, each listed once (one `getdents` instead
/// of a `stat` per add-on and document: thousands of add-ons ask thousands of times). Sorted
/// vectors, searched by halves: unoptimised, hashing the names cost more than the `stat`s.
#[derive(Default)]
struct Listings {
    /// (folder relative to the root, its entries); a handful of folders.
    folders: std::cell::RefCell<Vec<(String, Entries)>>,
}

impl Listings {
    fn kind(&self, root: &Path, relative: &str) -> Option<(bool, bool)> {
        let (folder, name) = relative.rsplit_once('/').unwrap_or(("", relative));
        let mut folders = self.folders.borrow_mut();
        let at = match folders.iter().position(|(listed, _)| listed == folder) {
            Some(at) => at,
            None => {
                folders.push((folder.to_string(), list(&root.join(folder))));
                folders.len() - 1
            }
        };
        let entries = &folders[at].1;
        let found = entries.binary_search_by(|(entry, _, _)| entry.as_str().cmp(name)).ok()?;
        let (_, file, dir) = &entries[found];
        Some((*file, *dir))
    }

    fn is_file(&self, root: &Path, relative: &str) -> bool {
        self.kind(root, relative).is_some_and(|(file, _)| file)
    }

    fn is_dir(&self, root: &Path, relative: &str) -> bool {
        self.kind(root, relative).is_some_and(|(_, dir)| dir)
    }
}

/// A folder's entries (none when it cannot be read).
fn list(dir: &Path) -> Entries {
    // With the entries a sparse checkout leaves out, which the disk lacks.
    let mut entries: Entries = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let (file, dir) = kind_of(&entry)?;
            Some((entry.file_name().into_string().ok()?, file, dir))
        })
        .collect();
    entries.extend(sparse::absent_in(dir));
    entries.sort_unstable_by(|one, other| one.0.cmp(&other.0));
    entries
}

/// A document's text up to (not including) its first `## ` heading: all [`Header::parse`] reads.
pub fn read_header(path: &Path) -> anyhow::Result<String> {
    let reader: Box<dyn std::io::Read> = match sparse::open_regular(path) {
        Ok(file) => Box::new(file),
        // A link to no regular file: never read (a FIFO blocks, `/dev/zero` never ends).
        Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
            return Err(anyhow::Error::new(error).context(format!("failed to read `{}`", path.display())));
        }
        // A document a sparse checkout leaves out: its blob in the index.
        Err(error) => match sparse::read(path) {
            Ok(bytes) => Box::new(std::io::Cursor::new(bytes)),
            Err(_) => return Err(error).with_context(|| format!("failed to read `{}`", path.display())),
        },
    };
    let mut reader = std::io::BufReader::new(reader);
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

    /// The inventory resolves Depends-on entries once, through `names::resolve_dependency`: a
    /// loose spelling and a link name the same add-on, a non-name stays as written and fails.
    #[test]
    fn depends_on_entries_resolve_through_the_one_resolver() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md", "**Status:** Draft\n");
        write(
            dir.path(),
            "docs/specs/Lancelot_vNext2_Spec_Cache2.md",
            "**Status:** Draft\n**Depends on:** health-monitor, [Jobs](Lancelot_vNext2_Spec_Jobs.md), `cache-1`, a.b\n",
        );
        let inventory = Inventory::load(dir.path(), &Config::default()).unwrap();
        let cache = inventory.find("Cache2").unwrap();
        assert_eq!(cache.names.snake, "cache2");
        assert_eq!(cache.depends_on, ["HealthMonitor", "Jobs", "Cache1", "a.b"]);
        let features: Vec<_> = cache.dependencies.iter().map(|d| d.feature.clone().map_err(|e| e.rule)).collect();
        assert_eq!(
            features,
            [Ok("HealthMonitor".into()), Ok("Jobs".into()), Ok("Cache1".into()), Err("allowed-characters")]
        );
        for value in ["cache-2", "cache_2", "Cache2", "cache2", "Lancelot_vNext2_Spec_Cache2.md"] {
            assert_eq!(inventory.find_name(value).map(|addon| addon.feature.as_str()), Some("Cache2"), "{value}");
        }
    }

    /// A spec file whose feature is not in canonical form (`HTTPServer`) is still one add-on with
    /// the canonical names; `check` then asks for the rename.
    #[test]
    fn a_non_canonical_spec_file_gets_canonical_names() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "docs/specs/Lancelot_vNext2_Spec_HTTPServer.md", "**Status:** Draft\n");
        let inventory = Inventory::load(dir.path(), &Config::default()).unwrap();
        let addon = inventory.resolve("http-server").unwrap();
        assert_eq!(addon.feature, "HttpServer");
        assert_eq!(addon.spec, "docs/specs/Lancelot_vNext2_Spec_HTTPServer.md");
        assert_eq!(addon.names.spec, "docs/specs/Lancelot_vNext2_Spec_HttpServer.md");
        assert_eq!(addon.names.flag, "FEATURE_HTTP_SERVER");
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
        // The canonical form of a refused candidate (`com-2` is the device `com2`) is skipped.
        write(dir.path(), "docs/specs/Lancelot_vNext2_Spec_Com.md", "**Status:** In Progress\n");
        let inventory = Inventory::load(dir.path(), &Config::default()).unwrap();
        assert_eq!(inventory.next_slice(inventory.find("Com").unwrap()), "com-10");
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
