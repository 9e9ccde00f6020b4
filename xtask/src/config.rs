//! The one place that reads configuration: `[workspace.metadata.sop]` in the root `Cargo.toml`.
//!
//! Every key is optional and defaults to the SOP's value. Unknown keys and wrong types are errors
//! that name the key (serde's `deny_unknown_fields` plus toml's spans give `file:line:column`).
//! Nothing else in the xtask parses `Cargo.toml`: [`manifest_table`] reads a whole one for the
//! bench.

use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

use crate::error::Refusal;

/// How `pre-pr` brings a branch up to date with the main branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncStrategy {
    Rebase,
    Merge,
}

/// Where the four documents of an add-on live.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocDirs {
    pub specs: String,
    pub blueprints: String,
    pub runbooks: String,
    pub architecture: String,
}

impl Default for DocDirs {
    fn default() -> DocDirs {
        DocDirs {
            specs: "docs/specs".into(),
            blueprints: "docs/blueprints".into(),
            runbooks: "docs/runbooks".into(),
            architecture: "docs/architecture".into(),
        }
    }
}

/// The SOP settings. Field names are the keys of `[workspace.metadata.sop]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Project name used in document names (`Lancelot_vNext2_Spec_X.md`).
    pub project: String,
    /// Document version used in document names.
    pub doc_version: String,
    pub main_branch: String,
    pub remote: String,
    pub sync_strategy: SyncStrategy,
    pub docs: DocDirs,
    /// Folder of the owning modules: always `src/core`, where the runtime's build script
    /// discovers them. Kept as a key so first-layout manifests that spell it out still load.
    pub modules_dir: String,
    /// Allowed branch kinds (`<kind>/<slug>`).
    pub branch_kinds: Vec<String>,
    /// Conventional-commit types accepted on a branch.
    pub commit_types: Vec<String>,
    /// The environment variable that enables the env-gated integration tests.
    pub integration_env: String,
    /// Commands `pre-pr` runs to verify a branch, each a program and its arguments (no shell).
    /// A `cargo fmt` step is also given the add-on modules, which `cargo fmt` cannot see alone.
    pub verify: Vec<Vec<String>>,
    /// Extra commands `pre-pr --integration` runs after `verify`.
    pub integration_verify: Vec<Vec<String>>,
    /// Secret-scanner allowlist of lines: regular expressions matched against the text of a line
    /// the scanner flags, never against its path. Only the main branch's value is in effect.
    pub secret_allowlist: Vec<String>,
    /// Secret-scanner allowlist of paths: regular expressions matched against a file's path
    /// (`/`-separated, from the repository root), never against its text. Only the main
    /// branch's value is in effect.
    pub secret_allowlist_paths: Vec<String>,
    /// Optional extra secret scanner, e.g. `["gitleaks", "protect", "--staged"]`.
    pub extra_secret_scanner: Vec<String>,
}

impl Default for Config {
    fn default() -> Config {
        let strings = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<Vec<_>>();
        Config {
            project: "Lancelot".into(),
            doc_version: "vNext2".into(),
            main_branch: "main".into(),
            remote: "origin".into(),
            sync_strategy: SyncStrategy::Rebase,
            docs: DocDirs::default(),
            modules_dir: "src/core".into(),
            branch_kinds: strings(&["feat", "fix", "chore", "docs", "spec"]),
            commit_types: strings(&[
                "feat", "fix", "chore", "docs", "spec", "test", "refactor", "perf", "build", "ci", "style", "revert",
            ]),
            integration_env: "LANCELOT_INTEGRATION".into(),
            verify: vec![
                strings(&["cargo", "fmt", "--all", "--check"]),
                strings(&["cargo", "clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
                strings(&["cargo", "test", "--workspace"]),
            ],
            integration_verify: vec![strings(&["cargo", "test", "--workspace", "--", "--ignored"])],
            secret_allowlist: Vec::new(),
            secret_allowlist_paths: Vec::new(),
            extra_secret_scanner: Vec::new(),
        }
    }
}

#[derive(Deserialize, Default)]
struct Manifest {
    #[serde(default)]
    workspace: Option<Workspace>,
}

#[derive(Deserialize, Default)]
struct Workspace {
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    sop: Option<Config>,
}

impl Config {
    /// Reads `<root>/Cargo.toml`; a repository without one uses the defaults.
    pub fn load(root: &Path) -> anyhow::Result<Config> {
        let path = root.join("Cargo.toml");
        let text = match crate::git::sparse::read_regular_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", path.display())),
        };
        let config = Config::parse(&text).map_err(|message| {
            // A manifest that is no TOML at all is cargo's problem as much as ours: not a key
            // of the SOP settings to fix.
            let refusal = match text.parse::<toml::Table>() {
                Err(_) => Refusal::usage(format!("`{}` is not valid TOML: {message}", path.display()))
                    .hint("fix the line shown above (cargo cannot read the manifest either); what changed in it since the last commit:\ngit diff -- :/Cargo.toml"),
                Ok(_) => Refusal::usage(format!("invalid `[workspace.metadata.sop]` in `{}`: {message}", path.display()))
                    .hint("fix the key in `Cargo.toml`, or remove it and its default applies"),
            };
            anyhow::Error::new(refusal)
        })?;
        Ok(config)
    }

    /// Parses a manifest's text; the error names the key, line and column.
    pub fn parse(text: &str) -> Result<Config, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|error| one_line(&error.to_string()))?;
        let config = manifest.workspace.and_then(|w| w.metadata).and_then(|m| m.sop).unwrap_or_default();
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let simple = |key: &str, value: &str| {
            let ok = !value.is_empty()
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
            if ok {
                Ok(())
            } else {
                Err(format!("key `{key}`: `{value}` must be non-empty ASCII letters, digits, `_`, `-` or `.`"))
            }
        };
        simple("project", &self.project)?;
        simple("doc_version", &self.doc_version)?;
        simple("remote", &self.remote)?;
        if self.remote.starts_with(['-', '.']) {
            // git reads `-x` as an option wherever the name is an argument.
            return Err(format!("key `remote`: `{}` must not start with `-` or `.`, such as `origin`", self.remote));
        }
        if let Some(why) = branch_name_problem(&self.main_branch) {
            return Err(format!(
                "key `main_branch`: `{}` is not a valid branch name ({why}), such as `main` or `trunk`",
                self.main_branch.escape_debug()
            ));
        }
        if self.modules_dir != "src/core" {
            // The runtime's build script discovers add-ons in `src/core` (src/build/discover.rs):
            // another folder would scaffold modules the build never compiles in.
            return Err(format!(
                "key `modules_dir`: `{}` is not supported; the runtime discovers add-ons in `src/core` (remove the key)",
                self.modules_dir
            ));
        }
        for (key, value) in [
            ("docs.specs", &self.docs.specs),
            ("docs.blueprints", &self.docs.blueprints),
            ("docs.runbooks", &self.docs.runbooks),
            ("docs.architecture", &self.docs.architecture),
        ] {
            check_folder(key, value)?;
        }
        if self.branch_kinds.is_empty() {
            return Err("key `branch_kinds`: needs at least one kind".into());
        }
        for kind in &self.branch_kinds {
            if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_lowercase()) {
                return Err(format!("key `branch_kinds`: `{kind}` must be lowercase ASCII letters"));
            }
        }
        // A type is the header's first word (`feat` in `feat(api)!: …`): the hook and `check` read
        // it up to `(`, `!`, `:` or a blank, and its hints write headers from these.
        if self.commit_types.is_empty() {
            return Err("key `commit_types`: needs at least one type, e.g. [\"feat\", \"fix\"]".into());
        }
        for kind in &self.commit_types {
            let ok = kind.starts_with(|c: char| c.is_ascii_alphabetic())
                && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(format!(
                    "key `commit_types`: `{}` must be an ASCII word (letters, digits, `-` or `_`, starting with a letter), such as `feat`",
                    kind.escape_debug()
                ));
            }
        }
        for (key, commands) in [("verify", &self.verify), ("integration_verify", &self.integration_verify)] {
            if commands.iter().any(|command| command.is_empty() || command[0].is_empty()) {
                return Err(format!("key `{key}`: every command needs a program, e.g. [\"cargo\", \"test\"]"));
            }
        }
        Ok(())
    }
}

/// What makes `name` no valid branch name, by git's rules for `refs/heads/<name>`
/// (`git check-ref-format --branch`); `None` when it is one. The name reaches git commands and
/// the hints the engineer pastes, so nothing a shell or git would read otherwise gets in.
pub fn branch_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name == "HEAD" || name == "@" {
        Some("git reserves that name")
    } else if name.starts_with('-') {
        Some("it starts with `-`")
    } else if name.chars().any(|c| c.is_ascii_control() || c.is_whitespace() || "~^:?*[\\;&|<>()$`'\"!#{}".contains(c))
    {
        Some("it holds a space, a control character or one of ~^:?*[\\ or a shell character")
    } else if name.contains("..") || name.contains("@{") || name.contains("//") {
        Some("it holds `..`, `@{` or `//`")
    } else if name.ends_with('/') || name.ends_with('.') {
        Some("it ends with `/` or `.`")
    } else if name.split('/').any(|part| part.starts_with('.') || part.ends_with(".lock")) {
        Some("a part starts with `.` or ends with `.lock`")
    } else {
        None
    }
}

/// A folder setting must name a folder inside the repository: every write the tool makes goes
/// below the repository root (`plan.rs` checks it again at write time, links included).
fn check_folder(key: &str, value: &str) -> Result<(), String> {
    let why = if value.trim().is_empty() {
        Some("is empty")
    } else if value.starts_with('/') || value.starts_with('\\') || std::path::Path::new(value).is_absolute() {
        Some("is an absolute path")
    } else if value.as_bytes().get(1) == Some(&b':') {
        Some("names a drive")
    } else if value.contains('\\') {
        Some("holds a backslash (use `/`)")
    } else if value.split('/').any(|part| part == "..") {
        Some("leaves the repository with `..`")
    } else if value.split('/').any(|part| part.is_empty() || part == ".") {
        Some("has an empty or `.` component")
    } else if value.split('/').any(|part| part.eq_ignore_ascii_case(".git")) {
        Some("is inside `.git`")
    } else if value.chars().any(char::is_control) {
        Some("holds a control character")
    } else {
        None
    };
    match why {
        Some(why) => Err(format!(
            "key `{key}`: `{}` {why}; it must be a folder inside the repository, such as `docs/specs`",
            value.escape_debug()
        )),
        None => Ok(()),
    }
}

/// A whole manifest (`Cargo.toml`) as a TOML table, for `cargo xtask bench`, which copies the
/// kit's manifest into its synthetic repository and generates a git2-only crate from the
/// xtask's: the one other reading of a manifest, kept here so `Cargo.toml` has one reader.
pub fn manifest_table(path: &Path) -> anyhow::Result<toml::Table> {
    let text = crate::git::sparse::read_regular_to_string(path)
        .with_context(|| format!("failed to read `{}`", path.display()))?;
    toml::from_str(&text)
        .map_err(|error| anyhow::anyhow!("failed to parse `{}`: {}", path.display(), one_line(&error.to_string())))
}

/// toml's errors are multi-line with a source excerpt; keep the excerpt but make it one block.
fn one_line(message: &str) -> String {
    message.trim_end().replace('\n', "\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The main branch's name reaches git and pasted hints: git's ref rules, and no shell
    /// character, decide it (`x;echo PWNED` was accepted and printed unquoted in a hint).
    #[test]
    fn main_branch_names_follow_git_rules() {
        for good in ["main", "trunk", "release/2024", "dev-1.x", "main_2"] {
            assert_eq!(branch_name_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "x;echo PWNED",
            "ma in",
            "main.lock",
            "~",
            "HEAD",
            "@",
            ".hidden",
            "a..b",
            "a/",
            "a.",
            "-x",
            "a@{b",
            "a//b",
            "a\tb",
            "$(id)",
        ] {
            assert!(branch_name_problem(bad).is_some(), "{bad:?}");
        }
    }

    /// The remote's name is an argument of git commands and of pasted hints: `-x` would be read
    /// as an option (`git remote add -x <url>` exited 129).
    #[test]
    fn a_remote_name_is_never_an_option() {
        for bad in ["-x", "--upload-pack=touch", ".hidden"] {
            let error = Config::parse(&format!("[workspace.metadata.sop]\nremote = \"{bad}\"\n")).unwrap_err();
            assert!(error.contains("key `remote`"), "{bad}: {error}");
        }
        assert!(Config::parse("[workspace.metadata.sop]\nremote = \"up-stream.2\"\n").is_ok());
    }

    /// A commit type is the first word of a header the hook's hints write (`x(y)` gave the hint
    /// `(y): add z`, which the hook refused): only words that read back as a type are accepted.
    #[test]
    fn commit_types_are_words_a_header_reads_back() {
        for good in [r#"["feat", "fix"]"#, r#"["hot-fix", "i18n", "wip_x"]"#] {
            assert!(Config::parse(&format!("[workspace.metadata.sop]\ncommit_types = {good}\n")).is_ok(), "{good}");
        }
        for bad in [r#"[]"#, r#"["feat", ""]"#, r#"["x(y)"]"#, r#"["fix!"]"#, r#"["a b"]"#, r#"["1x"]"#, r#"["feat:"]"#]
        {
            let error = Config::parse(&format!("[workspace.metadata.sop]\ncommit_types = {bad}\n")).unwrap_err();
            assert!(error.contains("key `commit_types`"), "{bad}: {error}");
        }
    }

    #[test]
    fn empty_manifest_gives_the_sop_defaults() {
        let config = Config::parse("[package]\nname = \"x\"\n").unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.main_branch, "main");
        assert_eq!(config.sync_strategy, SyncStrategy::Rebase);
        assert_eq!(config.docs.specs, "docs/specs");
    }

    #[test]
    fn modules_dir_can_only_be_where_the_build_discovers_add_ons() {
        assert!(Config::parse("[workspace.metadata.sop]\nmodules_dir = \"src/core\"\n").is_ok());
        let error = Config::parse("[workspace.metadata.sop]\nmodules_dir = \"../elsewhere\"\n").unwrap_err();
        assert!(error.contains("key `modules_dir`"), "{error}");
    }

    #[test]
    fn document_folders_must_stay_inside_the_repository() {
        for (key, value) in [
            ("specs", "../outside"),
            ("blueprints", "/etc"),
            ("runbooks", ""),
            ("architecture", "docs/../../x"),
            ("specs", "docs//specs"),
            ("specs", ".git/hooks"),
            ("specs", "C:/x"),
            ("specs", "docs\\\\specs"),
        ] {
            let text = format!("[workspace.metadata.sop.docs]\n{key} = \"{value}\"\n");
            let error = Config::parse(&text).unwrap_err();
            assert!(error.contains(&format!("key `docs.{key}`")), "{value:?}: {error}");
        }
        assert!(Config::parse("[workspace.metadata.sop.docs]\nspecs = \"spec/docs\"\n").is_ok());
    }

    #[test]
    fn keys_override_defaults() {
        let config = Config::parse(
            "[workspace.metadata.sop]\nmain_branch = \"trunk\"\nsync_strategy = \"merge\"\n[workspace.metadata.sop.docs]\nspecs = \"spec\"\n",
        )
        .unwrap();
        assert_eq!(config.main_branch, "trunk");
        assert_eq!(config.sync_strategy, SyncStrategy::Merge);
        assert_eq!(config.docs.specs, "spec");
        assert_eq!(config.docs.runbooks, "docs/runbooks");
    }

    #[test]
    fn secret_allowlists_of_lines_and_paths_are_separate_keys() {
        // A manifest of before the split (lines only) still loads.
        let old = Config::parse("[workspace.metadata.sop]\nsecret_allowlist = [\"^fixtures/\"]\n").unwrap();
        assert_eq!(old.secret_allowlist, ["^fixtures/"]);
        assert!(old.secret_allowlist_paths.is_empty());
        let new = Config::parse("[workspace.metadata.sop]\nsecret_allowlist_paths = [\"^fixtures/\"]\n").unwrap();
        assert_eq!(new.secret_allowlist_paths, ["^fixtures/"]);
        assert!(new.secret_allowlist.is_empty());
    }

    #[test]
    fn unknown_key_is_named() {
        let error = Config::parse("[workspace.metadata.sop]\nmian_branch = \"main\"\n").unwrap_err();
        assert!(error.contains("mian_branch"), "{error}");
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn wrong_type_is_named() {
        let error = Config::parse("[workspace.metadata.sop]\nbranch_kinds = \"feat\"\n").unwrap_err();
        assert!(error.contains("branch_kinds"), "{error}");
        let error = Config::parse("[workspace.metadata.sop]\nsync_strategy = \"squash\"\n").unwrap_err();
        assert!(error.contains("squash"), "{error}");
    }

    #[test]
    fn invalid_values_are_refused() {
        let error = Config::parse("[workspace.metadata.sop]\nproject = \"a/b\"\n").unwrap_err();
        assert!(error.contains("`project`"), "{error}");
        let error = Config::parse("[workspace.metadata.sop]\nverify = [[]]\n").unwrap_err();
        assert!(error.contains("`verify`"), "{error}");
    }
}
