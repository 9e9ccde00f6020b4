//! `cargo xtask migrate [--dry-run]`: moves a repository made by the first layout — hand-edited
//! lists between `sop:` markers, entries under the CHANGELOG's Unreleased heading, one shared
//! `docs/specs/spec.lock` — to the layout where a slice only adds files, in one all-or-nothing
//! step through `plan.rs`.
//!
//! Each part is a pure text transformation of a file the kit owns, computed in memory from the
//! checked-out commit, and refused (exit 2, nothing written) when the file does not have the
//! shape the first layout wrote, with the part named. Running it again on a migrated
//! repository changes nothing.

use std::path::Path;

use anyhow::Context as _;

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::layout::{self, legacy};
use crate::lock::RunLock;
use crate::output;
use crate::plan::Plan;
use crate::receipts::{self, Kind, Receipt};

#[derive(Debug, clap::Args)]
#[command(mut_arg("dry_run", |arg| arg.help(
    "Print the whole plan and write nothing"
)))]
pub struct Args {
    #[command(flatten)]
    pub dry_run: output::DryRunArg,

    #[command(flatten)]
    pub json: output::JsonArg,
}

/// `migrate --json` (docs/json.md): what was moved (or, with `--dry-run`, would be).
#[derive(Debug, serde::Serialize)]
struct MigrateReport<'a> {
    dry_run: bool,
    /// One line per step, for people.
    steps: &'a [String],
    /// Every path created, edited or removed.
    files: Vec<&'a str>,
}

impl output::Report for MigrateReport<'_> {
    const VERSION: u32 = 1;
}

/// The receipt's detail of a migration.
#[derive(serde::Serialize)]
struct Detail<'a> {
    steps: &'a [String],
    files: Vec<&'a str>,
}

const COMMAND: &str = "migrate";

/// The build script and its discovery rule, as this tool's own kit has them.
const BUILD_MAIN: &str = include_str!("../../src/build/main.rs");
const BUILD_DISCOVER: &str = include_str!("../../src/build/discover.rs");
const BUILD_MAIN_PATH: &str = "src/build/main.rs";
const BUILD_DISCOVER_PATH: &str = "src/build/discover.rs";
const BUILD_KEY: &str = "build = \"src/build/main.rs\"";

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let (dry_run, json) = (args.dry_run.dry_run, args.json.json);
    let _lock = if dry_run { None } else { Some(RunLock::acquire(&ctx.repo, COMMAND)?) };
    ctx.repo.ensure_index_unlocked()?;
    crate::sync_cmd::ensure_no_operation_in_progress(ctx)?;
    if !dry_run {
        ctx.repo.ensure_clean(COMMAND)?;
    }
    let root = ctx.root();
    let mut plan = Plan::new(COMMAND);
    let mut steps = discovery(root, &mut plan)?;
    steps.extend(crate::changelog::migrate(root, &mut plan)?);
    steps.extend(crate::check::frozen::migrate(root, &ctx.config, &mut plan)?);

    let files: Vec<&str> = plan.changes.iter().map(|c| c.path()).collect();
    let report = MigrateReport { dry_run, steps: &steps, files: files.clone() };
    if json && (dry_run || plan.changes.is_empty()) {
        output::json(&report)?;
    }
    if plan.changes.is_empty() {
        if !json {
            output::status("Up to date", "this repository already has the conflict-free layout; nothing to do");
        }
        return Ok(());
    }
    if dry_run {
        if !json {
            outln!("dry run: `cargo xtask migrate` would do the following; nothing is written\n");
            for step in &steps {
                outln!("  - {step}");
            }
            outln!();
            out!("{}", plan.render());
            outln!("\nnext: cargo xtask migrate");
        }
        return Ok(());
    }
    plan.apply(&ctx.repo)?;
    let receipt = Receipt::new(COMMAND, Kind::StateChange, "moved to the conflict-free layout")
        .detail(serde_json::to_value(Detail { steps: &steps, files })?);
    receipts::append(&ctx.repo, receipt).context("the migration was written, but its receipt could not be")?;
    // Printed once the migration is written: the report says what was done, not what was tried.
    if json {
        output::json(&report)?;
    } else {
        output::applied(&plan.changes);
        outln!();
        outln!("next: cargo xtask check");
        let message = crate::git::hint::message(&ctx.config, "chore", "move to the conflict-free layout");
        let paths = plan.changes.iter().map(|change| change.path());
        outln!("next: {}", crate::git::hint::commit_written(&ctx.repo, paths, &message)?);
    }
    Ok(())
}

/// The hand-edited lists become build-time discovery: the build script, the `build` key, the
/// generated includes, and `addon()` in every add-on module that lacks it.
fn discovery(root: &Path, plan: &mut Plan) -> anyhow::Result<Vec<String>> {
    let mut steps = Vec::new();
    let read = |path: &str| -> anyhow::Result<Option<String>> {
        match crate::git::sparse::read_regular_to_string(&root.join(path)) {
            Ok(text) => Ok(Some(text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).with_context(|| format!("failed to read `{path}`")),
        }
    };
    let Some(modules) = read(legacy::MODULES_FILE)? else { return Ok(steps) };
    if !has_marker(&modules, legacy::MODULES_BEGIN) {
        return Ok(steps);
    }
    // The add-ons and their constructors, from the old boot list.
    let constructors: Vec<(String, String)> = lines_between(&modules, legacy::ADDONS_BEGIN, legacy::ADDONS_END)
        .iter()
        .filter_map(|line| parse_constructor(line))
        .collect();

    let new_modules = replace_block(&modules, legacy::MODULES_BEGIN, legacy::MODULES_END, INCLUDE_ADDONS)
        .and_then(|text| replace_item(&text, "pub fn addons()", NEW_ADDONS_FN))
        .map_err(|problem| refuse(legacy::MODULES_FILE, &problem))?;
    plan.edit(root, legacy::MODULES_FILE, |_| Ok(new_modules))?;
    steps.push(format!("`{}`: the module list and boot list are generated by the build", legacy::MODULES_FILE));

    if let Some(flags) = read(legacy::FLAG_REGISTRY)? {
        if has_marker(&flags, legacy::FLAGS_BEGIN) {
            let mut text = replace_item(&flags, "pub const REGISTRY", NEW_REGISTRY)
                .map_err(|problem| refuse(legacy::FLAG_REGISTRY, &problem))?;
            // The first kit's tests of the hand-edited registry no longer hold by construction.
            for (signature, replacement) in [
                ("fn env_example_lists_every_registered_flag_off", NEW_ENV_TEST),
                ("fn the_registry_is_sorted_unique_and_well_formed", NEW_SORT_TEST),
            ] {
                if text.contains(signature) {
                    text =
                        replace_item(&text, signature, replacement).map_err(|p| refuse(legacy::FLAG_REGISTRY, &p))?;
                }
            }
            text = text.replace(
                "`cargo xtask new-addon` inserts registry lines between the `sop:flags` markers.",
                "The registry is discovered from the add-on modules at build time (`src/build`).",
            );
            plan.edit(root, legacy::FLAG_REGISTRY, |_| Ok(text))?;
            steps.push(format!("`{}`: the registry is built from each module's `FLAG`", legacy::FLAG_REGISTRY));
        }
    }
    if let Some(tests) = read(legacy::TESTS_MAIN)? {
        if has_marker(&tests, legacy::TESTS_BEGIN) {
            let text = replace_block(&tests, legacy::TESTS_BEGIN, legacy::TESTS_END, INCLUDE_TESTS)
                .map_err(|problem| refuse(legacy::TESTS_MAIN, &problem))?;
            plan.edit(root, legacy::TESTS_MAIN, |_| Ok(text))?;
            steps.push(format!("`{}`: add-on test modules are discovered", legacy::TESTS_MAIN));
        }
    }
    if let Some(env) = read(layout::ENV_EXAMPLE)? {
        if has_marker(&env, legacy::ENV_BEGIN) {
            // The flags stay documented (commented out, off); no slice adds a line here again.
            let flags: Vec<String> = lines_between(&env, legacy::ENV_BEGIN, legacy::ENV_END)
                .iter()
                .map(|line| if line.starts_with('#') { line.to_string() } else { format!("# {line}") })
                .collect();
            let block = format!("{ENV_NOTE}\n{}", flags.join("\n"));
            let text = replace_block(&env, legacy::ENV_BEGIN, legacy::ENV_END, block.trim_end())
                .map_err(|problem| refuse(layout::ENV_EXAMPLE, &problem))?;
            let text = text.replace("`cargo xtask new-addon` adds one line per add-on between the markers.\n", "");
            plan.edit(root, layout::ENV_EXAMPLE, |_| Ok(text))?;
            steps.push(format!("`{}`: flags are listed by `cargo run -- flags`, not by hand", layout::ENV_EXAMPLE));
        }
    }
    for (path, content) in [(BUILD_MAIN_PATH, BUILD_MAIN), (BUILD_DISCOVER_PATH, BUILD_DISCOVER)] {
        match read(path)? {
            None => plan.create(path, content.to_string()),
            Some(existing) if existing == content => {}
            Some(_) => return Err(refuse(path, "it exists with other content; move it away first")),
        }
    }
    let manifest = read("Cargo.toml")?.ok_or_else(|| refuse("Cargo.toml", "there is no root manifest"))?;
    if !manifest.lines().any(|line| line.trim() == BUILD_KEY) {
        let text = add_build_key(&manifest).map_err(|problem| refuse("Cargo.toml", &problem))?;
        plan.edit(root, "Cargo.toml", |_| Ok(text))?;
    }
    steps.push(format!("`{BUILD_MAIN_PATH}`: the build script that discovers add-ons under `src/core`"));

    for (module, constructor) in &constructors {
        let file = [format!("src/core/{module}.rs"), format!("src/core/{module}/mod.rs")]
            .into_iter()
            .find(|file| root.join(file).is_file());
        let Some(file) = file else { continue };
        let text = read(&file)?.unwrap_or_default();
        if text.lines().any(|line| line.trim_start().starts_with("pub fn addon()")) {
            continue;
        }
        let function = format!(
            "\n/// The add-on as the runtime boots it: `src/build` discovers this module and lists `addon()`.\npub fn addon() -> Box<dyn crate::host::Addon> {{\n    Box::new({constructor})\n}}\n"
        );
        let mut new_text = text.clone();
        if !new_text.ends_with('\n') {
            new_text.push('\n');
        }
        new_text.push_str(&function);
        plan.edit(root, &file, |_| Ok(new_text))?;
        steps.push(format!("`{file}`: `pub fn addon()`, so the build can boot it"));
    }
    Ok(steps)
}

const INCLUDE_ADDONS: &str = "include!(concat!(env!(\"OUT_DIR\"), \"/addons.rs\"));";
const INCLUDE_TESTS: &str = "include!(concat!(env!(\"OUT_DIR\"), \"/addon_tests.rs\"));";
const NEW_ADDONS_FN: &str = "/// A fresh instance of every add-on, sorted by module name (discovered by `src/build`).
pub fn addons() -> Vec<Box<dyn crate::host::Addon>> {
    discovered_addons()
}";
const NEW_REGISTRY: &str =
    "/// Every flag the runtime knows, one per add-on, sorted by module name. It is not written by
/// hand: `src/build` builds it from the `FLAG` and `NAME` each add-on module declares.
pub const REGISTRY: &[FlagSpec] = crate::core::DISCOVERED_FLAGS;";
const NEW_ENV_TEST: &str = "    /// `.env.example` may show flags, but only registered ones, and never switched on.
    #[test]
    fn env_example_sets_only_registered_flags_and_only_off() {
        let text = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/.env.example\"));
        let example = DotEnv::parse(\".env.example\", text).unwrap();
        for entry in example.entries().iter().filter(|entry| entry.key.starts_with(FLAG_PREFIX)) {
            assert!(REGISTRY.iter().any(|spec| spec.name == entry.key), \"{} is not registered\", entry.key);
            assert!(entry.value.eq_ignore_ascii_case(\"false\"), \"{} ships switched on\", entry.key);
        }
    }";
const NEW_SORT_TEST: &str = "    #[test]
    fn the_registry_is_sorted_unique_and_well_formed() {
        let modules: Vec<&str> = REGISTRY.iter().map(|spec| spec.addon).collect();
        let mut sorted = modules.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(modules, sorted, \"REGISTRY must be sorted by module and free of duplicates\");
        for spec in REGISTRY {
            let expected = format!(\"{FLAG_PREFIX}{}\", spec.addon.to_ascii_uppercase());
            assert_eq!(spec.name, expected, \"flag and add-on module disagree\");
        }
        assert!(Flags::all_disabled().states().iter().all(|state| !state.enabled));
        assert_eq!(Flags::all_disabled().states().len(), REGISTRY.len());
    }";
const ENV_NOTE: &str = "# Add-on flags are not listed here by hand any more: `cargo run -- flags` prints every flag the
# build knows, its value and where it comes from. All default to off.";

fn refuse(path: &str, problem: &str) -> anyhow::Error {
    Refusal::usage(format!("cannot migrate `{path}`: {problem}"))
        .hint(format!(
            "compare it with the first layout's version (`git log -p -- {}`), fix it, then preview again:\ncargo xtask migrate --dry-run",
            crate::git::hint::pathspec(path)
        ))
        .into()
}

fn has_marker(text: &str, marker: &str) -> bool {
    text.lines().any(|line| line.trim() == marker)
}

/// The non-empty lines strictly between two marker lines, trimmed.
fn lines_between<'a>(text: &'a str, begin: &str, end: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|line| line.trim() != begin)
        .skip(1)
        .take_while(|line| line.trim() != end)
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
}

/// `Box::new(snake::Type::new()),` → (`snake`, `Type::new()`).
fn parse_constructor(line: &str) -> Option<(String, String)> {
    let inner = line.trim().trim_end_matches(',').strip_prefix("Box::new(")?.strip_suffix(')')?;
    let (module, rest) = inner.split_once("::")?;
    Some((module.to_string(), rest.to_string()))
}

/// Replaces the lines from `begin` to `end` (both included) with `replacement`, keeping the
/// begin marker's indentation.
fn replace_block(text: &str, begin: &str, end: &str, replacement: &str) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start =
        lines.iter().position(|l| l.trim() == begin).ok_or_else(|| format!("the marker `{begin}` is missing"))?;
    let stop = lines[start..]
        .iter()
        .position(|l| l.trim() == end)
        .map(|offset| start + offset)
        .ok_or_else(|| format!("the marker `{end}` is missing after `{begin}`"))?;
    let indent: String = lines[start].chars().take_while(|c| c.is_whitespace() && *c != '\n').collect();
    let mut out: String = lines[..start].concat();
    for line in replacement.lines() {
        out.push_str(&indent);
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&lines[stop + 1..].concat());
    Ok(out)
}

/// Replaces the item whose first line contains `signature` — with the doc comments and
/// attributes right above it, down to its closing line at the same indentation (`}` or `];`) —
/// with `replacement`.
fn replace_item(text: &str, signature: &str, replacement: &str) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = lines.iter().position(|l| l.contains(signature)).ok_or_else(|| format!("`{signature}` is missing"))?;
    let indent: String = lines[at].chars().take_while(|c| *c == ' ').collect();
    let mut start = at;
    while start > 0 {
        let above = lines[start - 1].trim_start();
        if above.starts_with("///") || above.starts_with("#[") {
            start -= 1;
        } else {
            break;
        }
    }
    let closers = [format!("{indent}}}"), format!("{indent}];")];
    let stop = lines[at..]
        .iter()
        .position(|l| closers.iter().any(|closer| l.trim_end() == closer))
        .map(|offset| at + offset)
        .ok_or_else(|| format!("the end of `{signature}` cannot be found"))?;
    let mut out: String = lines[..start].concat();
    out.push_str(replacement);
    out.push('\n');
    out.push_str(&lines[stop + 1..].concat());
    Ok(out)
}

/// Adds `build = "src/build/main.rs"` to the `[package]` table.
fn add_build_key(manifest: &str) -> Result<String, String> {
    let mut out = String::with_capacity(manifest.len() + 64);
    let mut added = false;
    let mut in_package = false;
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            if in_package && !added {
                out.push_str(BUILD_KEY);
                out.push_str("\n\n");
                added = true;
            }
            in_package = trimmed == "[package]";
        } else if in_package && trimmed.starts_with("build") && trimmed.contains('=') {
            return Err("`[package]` already has another `build` script".into());
        }
        out.push_str(line);
    }
    if in_package && !added {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(BUILD_KEY);
        out.push('\n');
        added = true;
    }
    if added {
        Ok(out)
    } else {
        Err("there is no `[package]` table".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_items_are_replaced_whole() {
        let text = "a\n// sop:x:begin\npub mod one;\n// sop:x:end\nb\n";
        assert_eq!(replace_block(text, "// sop:x:begin", "// sop:x:end", "NEW").unwrap(), "a\nNEW\nb\n");
        let text = "x\n/// doc\n#[rustfmt::skip]\npub fn addons() -> V {\n    vec![\n    ]\n}\ny\n";
        assert_eq!(replace_item(text, "pub fn addons()", "F").unwrap(), "x\nF\ny\n");
        let text = "/// doc\npub const REGISTRY: &[F] = &[\n    F,\n];\nrest\n";
        assert_eq!(replace_item(text, "pub const REGISTRY", "R").unwrap(), "R\nrest\n");
        assert!(replace_block("a\n", "// b", "// e", "x").unwrap_err().contains("missing"));
    }

    #[test]
    fn constructors_are_read_from_the_old_boot_list() {
        assert_eq!(
            parse_constructor("        Box::new(health_monitor::HealthMonitor::new()),"),
            Some(("health_monitor".to_string(), "HealthMonitor::new()".to_string()))
        );
        assert_eq!(parse_constructor("// comment"), None);
    }

    #[test]
    fn the_build_key_goes_into_the_package_table() {
        let manifest = "[workspace]\nmembers = []\n\n[package]\nname = \"x\"\n\n[dependencies]\n";
        let out = add_build_key(manifest).unwrap();
        assert!(out.contains("[package]\nname = \"x\"\n\nbuild = \"src/build/main.rs\"\n\n[dependencies]"), "{out}");
        assert!(add_build_key("[package]\nbuild = \"b.rs\"\n").is_err());
        assert!(add_build_key("[workspace]\n").is_err());
        assert!(add_build_key("[package]\nname = \"x\"").unwrap().ends_with("build = \"src/build/main.rs\"\n"));
    }
}
