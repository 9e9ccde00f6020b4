//! The fixed places of the runtime kit that the xtask reads, and the one reader of what an
//! add-on module declares.
//!
//! The kit keeps no hand-edited list of add-ons: its build script discovers every
//! `src/core/<module>.rs` and compiles in the flag registry, the boot list and the integration
//! tests. The xtask uses the very same discovery rule ([`discover`], the build script's own
//! file included here), so `check`, `status` and `fmt` see exactly the add-ons the build sees.
//! A slice therefore only *adds* files, and slices never conflict. The marker-delimited lists of
//! the first layout survive only in [`legacy`], for `cargo xtask migrate`.

use std::path::Path;

use anyhow::Context as _;

/// The discovery rule of the runtime's build script (`src/build/discover.rs`), compiled into
/// the xtask as well so the two can never disagree.
#[path = "../../src/build/discover.rs"]
#[allow(dead_code)]
pub mod discover;

/// The runtime's `.env` line syntax (`src/dotenv/syntax.rs`), compiled in so `check` and
/// `status` read `.env.example` and `.env` exactly as the host does: a trailing ` # comment` or a
/// quoted value means what it means at boot.
#[path = "../../src/dotenv/syntax.rs"]
pub mod dotenv;

pub const ENV_EXAMPLE: &str = ".env.example";
pub const CHANGELOG: &str = "CHANGELOG.md";

/// What one add-on module declares: the constants and the constructor the build script wires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The module name, e.g. `health_monitor`.
    pub module: String,
    /// Its file relative to the root, `/`-separated.
    pub file: String,
    /// `pub const FLAG: &str = "…";` — the value and its 1-based line.
    pub flag: Option<(String, usize)>,
    /// `pub const NAME: &str = "…";` — the value and its 1-based line.
    pub name: Option<(String, usize)>,
    /// Whether it has `pub fn addon()`.
    pub has_constructor: bool,
    /// `pub const DEPENDS_ON: &[&str] = &["…", …];` — the module names and the 1-based line;
    /// `None` when the module declares no such list (it depends on nothing at run time).
    pub depends_on: Option<(Vec<String>, usize)>,
    /// Its integration test relative to the root, when there is one.
    pub test: Option<String>,
}

/// A file the build would refuse, relative to the root, and why.
pub type Refused = (String, String);

/// Every add-on module the build compiles in, with what it declares, sorted by module name,
/// and the files the build would refuse.
pub fn declared_addons(root: &Path) -> anyhow::Result<(Vec<Declared>, Vec<Refused>)> {
    declared_addons_cached(root, &crate::cache::Cache::disabled())
}

/// What one module file declares: `(FLAG, NAME)`, `(pub fn addon(), DEPENDS_ON)`, as the cache
/// stores it.
type Declarations = ((Option<(String, usize)>, Option<(String, usize)>), (bool, Option<(Vec<String>, usize)>));

/// The add-on modules a sparse checkout leaves out of the working tree (which the discovery, a
/// walk of the disk, cannot see), by the discovery's rule: `<module>.rs` or `<module>/mod.rs` in
/// the add-ons folder.
fn absent_addons(root: &Path) -> Vec<discover::Found> {
    use crate::git::sparse;
    let dir = root.join(discover::ADDONS_DIR);
    let mut found = Vec::new();
    for (name, file, folder) in sparse::absent_in(&dir) {
        let (module, path) = match name.strip_suffix(".rs") {
            Some(stem) if file && stem != "mod" => (stem.to_string(), dir.join(&name)),
            None if folder && sparse::is_file(&dir.join(&name).join("mod.rs")) => {
                (name.clone(), dir.join(&name).join("mod.rs"))
            }
            _ => continue,
        };
        if !discover::is_module_name(&module) {
            continue;
        }
        let test = root.join(discover::TESTS_DIR).join(format!("{module}.rs"));
        let test = (sparse::is_file(&test) && !discover::KIT_TEST_MODULES.contains(&module.as_str())).then_some(test);
        found.push(discover::Found { module, file: path, test });
    }
    found
}

/// [`declared_addons`], each module's declarations from `cache` while its file is unchanged.
pub fn declared_addons_cached(
    root: &Path,
    cache: &crate::cache::Cache,
) -> anyhow::Result<(Vec<Declared>, Vec<Refused>)> {
    let (mut found, bad) = discover::addons(root);
    found.extend(absent_addons(root));
    found.sort_by(|a, b| a.module.cmp(&b.module));
    let relative = |path: &Path| path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
    let mut out = Vec::with_capacity(found.len());
    for addon in found {
        let file = relative(&addon.file);
        let ((flag, name), (has_constructor, depends_on)): Declarations =
            cache.derive("module", root, &file, "", |full| {
                let text = crate::git::sparse::read_to_string(full)
                    .with_context(|| format!("failed to read `{}`", full.display()))?;
                Ok((
                    (declared_str(&text, "FLAG"), declared_str(&text, "NAME")),
                    (
                        text.lines().any(|line| line.trim_start().starts_with("pub fn addon()")),
                        declared_str_list(&text, "DEPENDS_ON"),
                    ),
                ))
            })?;
        out.push(Declared {
            file,
            flag,
            name,
            has_constructor,
            depends_on,
            test: addon.test.as_deref().map(relative),
            module: addon.module,
        });
    }
    let bad = bad.into_iter().map(|bad| (relative(&bad.file), bad.reason)).collect();
    Ok((out, bad))
}

/// The value of `pub const <NAME>: &str = "<value>";` in a module's text, and its line.
pub fn declared_str(text: &str, constant: &str) -> Option<(String, usize)> {
    let prefix = format!("pub const {constant}: &str = \"");
    text.lines().enumerate().find_map(|(index, line)| {
        let rest = line.trim_start().strip_prefix(&prefix)?;
        let (value, _) = rest.split_once('"')?;
        Some((value.to_string(), index + 1))
    })
}

/// The values of `pub const <NAME>: &[&str] = &["a", "b"];` in a module's text, and the line
/// the declaration starts on. The list may span lines (as rustfmt wraps a long one); it ends at
/// the first `;` after the `=`. The type may be spelled `&'static [&'static str]`, and an item
/// may name a module's constant instead of its name (`crate::core::health_monitor::NAME` is
/// `health_monitor`, what the module's `NAME` holds); any other item is kept as written.
pub fn declared_str_list(text: &str, constant: &str) -> Option<(Vec<String>, usize)> {
    let prefix = format!("pub const {constant}:");
    let start = text.match_indices(&prefix).find(|(offset, _)| {
        let line_start = text[..*offset].rfind('\n').map_or(0, |newline| newline + 1);
        text[line_start..*offset].trim().is_empty()
    })?;
    let line = text[..start.0].matches('\n').count() + 1;
    let rest = &text[start.0 + prefix.len()..];
    let declaration = &rest[..rest.find(';')?];
    let equals = declaration.find('=')?;
    let (kind, value) = (&declaration[..equals], &declaration[equals + 1..]);
    let kind: String = kind.chars().filter(|c| !c.is_whitespace()).collect();
    if !matches!(kind.as_str(), "&[&str]" | "&'static[&'static str]" | "&'static[&'staticstr]") {
        return None;
    }
    let items = value.trim().strip_prefix('&')?.trim().strip_prefix('[')?.trim_end().strip_suffix(']')?;
    let values = items
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.strip_prefix('"').and_then(|quoted| quoted.strip_suffix('"')) {
            Some(name) => name.to_string(),
            None => match item.strip_suffix("::NAME") {
                Some(path) => path.rsplit("::").next().unwrap_or(path).to_string(),
                None => item.to_string(),
            },
        })
        .collect();
    Some((values, line))
}

/// How a module declares its dependencies, exactly as the module template writes it.
pub fn depends_on_declaration(modules: &[String]) -> String {
    let quoted: Vec<String> = modules.iter().map(|module| format!("\"{module}\"")).collect();
    format!("pub const DEPENDS_ON: &[&str] = &[{}];", quoted.join(", "))
}

/// How a module declares its flag, exactly as the module template writes it.
pub fn flag_declaration(flag: &str) -> String {
    format!("pub const FLAG: &str = \"{flag}\";")
}

/// The first layout's marker-delimited lists, which every slice edited. Only `migrate` reads
/// them now, to move a repository to discovery.
pub mod legacy {
    pub const FLAG_REGISTRY: &str = "src/flags.rs";
    pub const FLAGS_BEGIN: &str = "// sop:flags:begin";
    pub const MODULES_FILE: &str = "src/core/mod.rs";
    pub const MODULES_BEGIN: &str = "// sop:modules:begin";
    pub const MODULES_END: &str = "// sop:modules:end";
    pub const ADDONS_BEGIN: &str = "// sop:addons:begin";
    pub const ADDONS_END: &str = "// sop:addons:end";
    pub const TESTS_MAIN: &str = "tests/integration/main.rs";
    pub const TESTS_BEGIN: &str = "// sop:tests:begin";
    pub const TESTS_END: &str = "// sop:tests:end";
    pub const ENV_BEGIN: &str = "# sop:flags:begin";
    pub const ENV_END: &str = "# sop:flags:end";

    /// Every marker of the first layout, with the file it lives in.
    pub const MARKERS: &[(&str, &str)] = &[
        (FLAG_REGISTRY, FLAGS_BEGIN),
        (MODULES_FILE, MODULES_BEGIN),
        (MODULES_FILE, ADDONS_BEGIN),
        (TESTS_MAIN, TESTS_BEGIN),
        (super::ENV_EXAMPLE, ENV_BEGIN),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declared_constants_and_their_lines() {
        let text = "//! doc\n\n/// The flag.\npub const FLAG: &str = \"FEATURE_X\";\npub const NAME: &str = \"x\";\n";
        assert_eq!(declared_str(text, "FLAG"), Some(("FEATURE_X".to_string(), 4)));
        assert_eq!(declared_str(text, "NAME"), Some(("x".to_string(), 5)));
        assert_eq!(declared_str(text, "OTHER"), None);
        assert_eq!(declared_str(&flag_declaration("FEATURE_Y"), "FLAG"), Some(("FEATURE_Y".to_string(), 1)));
    }

    #[test]
    fn reads_a_declared_list_on_one_line_or_wrapped() {
        let one = "//! x\npub const DEPENDS_ON: &[&str] = &[\"health_monitor\", \"queue\"];\n";
        assert_eq!(
            declared_str_list(one, "DEPENDS_ON"),
            Some((vec!["health_monitor".to_string(), "queue".to_string()], 2))
        );
        let wrapped = "pub const DEPENDS_ON: &[&str] =\n    &[\n        \"a\",\n        \"b\",\n    ];\n";
        assert_eq!(declared_str_list(wrapped, "DEPENDS_ON"), Some((vec!["a".to_string(), "b".to_string()], 1)));
        assert_eq!(declared_str_list("pub const DEPENDS_ON: &[&str] = &[];", "DEPENDS_ON"), Some((vec![], 1)));
        assert_eq!(declared_str_list("// pub const DEPENDS_ON: &[&str] = &[\"x\"];", "DEPENDS_ON"), None);
        // The same list in the other spellings the compiler takes.
        let spelled = [
            "pub const DEPENDS_ON: &'static [&'static str] = &[\"health_monitor\"];",
            "pub const DEPENDS_ON: &[&str] = &[crate::core::health_monitor::NAME];",
            "pub const DEPENDS_ON: &[&str] = &[super::health_monitor::NAME,];",
        ];
        for text in spelled {
            assert_eq!(declared_str_list(text, "DEPENDS_ON"), Some((vec!["health_monitor".to_string()], 1)), "{text}");
        }
        let written = depends_on_declaration(&["a".to_string(), "b".to_string()]);
        assert_eq!(declared_str_list(&written, "DEPENDS_ON"), Some((vec!["a".to_string(), "b".to_string()], 1)));
    }

    #[test]
    fn discovery_finds_files_and_folders_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let core = dir.path().join("src/core");
        std::fs::create_dir_all(core.join("folder_addon")).unwrap();
        std::fs::create_dir_all(dir.path().join("tests/integration")).unwrap();
        for (path, text) in [
            ("src/core/mod.rs", ""),
            ("src/core/b.rs", "pub const FLAG: &str = \"FEATURE_B\";\npub fn addon() {}\n"),
            ("src/core/folder_addon/mod.rs", "pub const FLAG: &str = \"FEATURE_FOLDER_ADDON\";\n"),
            ("src/core/.b.rs.xtask-tmp", ""),
            ("src/core/notes.md", ""),
            ("src/core/Bad-Name.rs", ""),
            ("tests/integration/b.rs", ""),
        ] {
            std::fs::write(dir.path().join(path), text).unwrap();
        }
        let (found, bad) = declared_addons(dir.path()).unwrap();
        let modules: Vec<&str> = found.iter().map(|d| d.module.as_str()).collect();
        assert_eq!(modules, ["b", "folder_addon"]);
        assert_eq!(found[0].test.as_deref(), Some("tests/integration/b.rs"));
        assert!(found[0].has_constructor && !found[1].has_constructor);
        assert_eq!(found[1].file, "src/core/folder_addon/mod.rs");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "src/core/Bad-Name.rs");
    }
}
