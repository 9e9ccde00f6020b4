//! The one place that derives names. From an engineer's input (`health monitor`, `health-monitor`,
//! `health_monitor`, `HealthMonitor`) it derives every name the SOP uses: feature, slug, snake,
//! flag, branch, module and the four document paths.
//!
//! The accepted alphabet is deliberately small (ASCII letters and digits in words separated by
//! spaces, `-` or `_`) so that every accepted name is at once a safe file name, a valid git branch
//! component, a Rust module name and an environment variable name. Nothing here touches the disk.

use std::fmt;

use crate::config::Config;

/// Longest accepted slug: long enough for any real feature, short enough for every file system.
pub const MAX_SLUG_LEN: usize = 48;

/// Why a name was refused: the rule that failed, and the detail for the engineer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.detail, self.rule)
    }
}

/// An accepted example shown with every refusal.
pub const EXAMPLE: &str = "health-monitor";

/// The words of a name, lowercase ASCII, each starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words(Vec<String>);

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "type", "union", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Names the runtime kit or the toolchain already uses for something else.
const RESERVED: &[&str] = &[
    "core",
    "std",
    "alloc",
    "proc_macro",
    "test",
    "tests",
    "main",
    "lib",
    "mod",
    "build",
    "support",
    "status_command",
];

/// Device names Windows refuses as file names, whatever the extension.
const WINDOWS_DEVICES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2",
    "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

impl Words {
    /// Splits and validates an engineer's input.
    pub fn parse(input: &str) -> Result<Words, NameError> {
        let error = |rule, detail: String| Err(NameError { rule, detail });
        if let Some(bad) = input.chars().find(|c| c.is_control()) {
            return error("no-control-characters", format!("contains the control character U+{:04X}", bad as u32));
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return error("not-empty", "is empty".into());
        }
        if trimmed.len() > 4 * MAX_SLUG_LEN {
            return error(
                "max-length",
                format!("is {} bytes long; the limit is {MAX_SLUG_LEN} characters", trimmed.len()),
            );
        }
        if let Some(bad) = trimmed.chars().find(|c| !c.is_ascii()) {
            return error("ascii-only", format!("contains the non-ASCII character `{bad}`"));
        }
        if let Some(bad) = trimmed.chars().find(|c| *c == '/' || *c == '\\') {
            return error("no-path-separators", format!("contains the path separator `{bad}`"));
        }
        if trimmed.contains("..") {
            return error("no-path-separators", "contains `..`".into());
        }
        if let Some(bad) = trimmed.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'))) {
            return error(
                "allowed-characters",
                format!("contains `{bad}`; use ASCII letters, digits, spaces, `-` or `_`"),
            );
        }
        let first = trimmed.chars().next().unwrap_or(' ');
        if !first.is_ascii_alphabetic() {
            return error("starts-with-letter", format!("starts with `{first}`; a name must start with a letter"));
        }
        let mut words = Vec::new();
        for chunk in trimmed.split([' ', '-', '_']).filter(|chunk| !chunk.is_empty()) {
            split_camel(chunk, &mut words);
        }
        let words = Words(words);
        let slug = words.slug();
        if slug.len() > MAX_SLUG_LEN {
            return error(
                "max-length",
                format!("gives the {}-character slug; the limit is {MAX_SLUG_LEN}", slug.len()),
            );
        }
        let snake = words.snake();
        if RUST_KEYWORDS.contains(&snake.as_str()) {
            return error("not-a-rust-keyword", format!("gives the module name `{snake}`, a Rust keyword"));
        }
        if RESERVED.contains(&snake.as_str()) {
            return error("not-reserved", format!("gives the module name `{snake}`, which the runtime kit reserves"));
        }
        if WINDOWS_DEVICES.contains(&snake.as_str()) {
            return error(
                "portable-file-name",
                format!("gives the file name `{snake}.rs`, a reserved device name on Windows"),
            );
        }
        Ok(words)
    }

    /// `health-monitor`
    pub fn slug(&self) -> String {
        self.0.join("-")
    }

    /// `health_monitor`
    pub fn snake(&self) -> String {
        self.0.join("_")
    }

    /// `HealthMonitor`
    pub fn pascal(&self) -> String {
        self.0.iter().map(|word| capitalize(word)).collect()
    }

    /// `Health Monitor`
    pub fn title(&self) -> String {
        self.0.iter().map(|word| capitalize(word)).collect::<Vec<_>>().join(" ")
    }

    /// `HEALTH_MONITOR`
    pub fn screaming(&self) -> String {
        self.snake().to_ascii_uppercase()
    }
}

/// Splits `HealthMonitor`, `HTTPServer`, `oauth2Client` into lowercase words.
fn split_camel(chunk: &str, words: &mut Vec<String>) {
    let chars: Vec<char> = chunk.chars().collect();
    let mut current = String::new();
    for (index, &c) in chars.iter().enumerate() {
        let previous = index.checked_sub(1).map(|i| chars[i]);
        let next = chars.get(index + 1).copied();
        let boundary = match previous {
            None => false,
            Some(p) => {
                (c.is_ascii_uppercase() && (p.is_ascii_lowercase() || p.is_ascii_digit()))
                    || (c.is_ascii_uppercase()
                        && p.is_ascii_uppercase()
                        && next.is_some_and(|n| n.is_ascii_lowercase()))
            }
        };
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Every name of one add-on, derived from the input and the configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Names {
    /// `HealthMonitor`: the feature name used in document names and types.
    pub feature: String,
    /// `Health Monitor`
    pub title: String,
    /// `health-monitor`: branch and command-line form.
    pub slug: String,
    /// `health_monitor`: the Rust module.
    pub snake: String,
    /// `FEATURE_HEALTH_MONITOR`
    pub flag: String,
    /// `feat/health-monitor`
    pub branch: String,
    /// `src/core/health_monitor.rs`
    pub module: String,
    /// `src/core/health_monitor/` (the folder form, when the module grows)
    pub module_dir: String,
    /// `tests/integration/health_monitor.rs`
    pub integration_test: String,
    pub spec: String,
    pub blueprint: String,
    pub runbook: String,
    pub architecture: String,
}

impl Names {
    /// Derives every name; `kind` is the branch kind (`feat`, `fix`, …).
    pub fn derive(input: &str, kind: &str, config: &Config) -> Result<Names, NameError> {
        let words = Words::parse(input)?;
        Ok(Names::from_words(&words, kind, config))
    }

    pub fn from_words(words: &Words, kind: &str, config: &Config) -> Names {
        let feature = words.pascal();
        let snake = words.snake();
        let doc = |dir: &str, what: &str| format!("{dir}/{}", doc_file_name(config, what, &feature));
        Names {
            title: words.title(),
            slug: words.slug(),
            flag: format!("FEATURE_{}", words.screaming()),
            branch: format!("{kind}/{}", words.slug()),
            module: format!("{}/{snake}.rs", config.modules_dir),
            module_dir: format!("{}/{snake}", config.modules_dir),
            integration_test: format!("tests/integration/{snake}.rs"),
            spec: doc(&config.docs.specs, "Spec"),
            blueprint: doc(&config.docs.blueprints, "Blueprint"),
            runbook: doc(&config.docs.runbooks, "Runbook"),
            architecture: doc(&config.docs.architecture, "Architecture"),
            snake,
            feature,
        }
    }

    /// The four documents, in the order the SOP lists them.
    pub fn documents(&self) -> [(&'static str, &str); 4] {
        [
            ("spec", self.spec.as_str()),
            ("blueprint", self.blueprint.as_str()),
            ("runbook", self.runbook.as_str()),
            ("architecture", self.architecture.as_str()),
        ]
    }
}

/// `Lancelot_vNext2_Spec_HealthMonitor.md`
pub fn doc_file_name(config: &Config, what: &str, feature: &str) -> String {
    format!("{}_{}_{what}_{feature}.md", config.project, config.doc_version)
}

/// The feature named by a spec file name (`Lancelot_vNext2_Spec_HealthMonitor.md` → `HealthMonitor`),
/// whatever its project or version prefix.
pub fn feature_of_spec_file(file_name: &str) -> Option<&str> {
    let stem = file_name.strip_suffix(".md")?;
    let (_, feature) = stem.rsplit_once("_Spec_")?;
    (!feature.is_empty() && feature.chars().all(|c| c.is_ascii_alphanumeric())).then_some(feature)
}

/// Validates a branch kind against the configuration.
pub fn check_kind(kind: &str, config: &Config) -> Result<(), NameError> {
    if config.branch_kinds.iter().any(|allowed| allowed == kind) {
        Ok(())
    } else {
        Err(NameError {
            rule: "branch-kind",
            detail: format!("`{kind}` is not a branch kind; use one of: {}", config.branch_kinds.join(", ")),
        })
    }
}

/// Splits a branch name into kind and slug and validates both (`feat/health-monitor`).
pub fn parse_branch(branch: &str, config: &Config) -> Result<(String, Words), NameError> {
    let Some((kind, slug)) = branch.split_once('/') else {
        return Err(NameError {
            rule: "branch-name",
            detail: format!("`{branch}` is not `<kind>/<slug>` (kinds: {})", config.branch_kinds.join(", ")),
        });
    };
    check_kind(kind, config)?;
    let words = Words::parse(slug)?;
    if words.slug() != slug {
        return Err(NameError {
            rule: "branch-name",
            detail: format!("`{slug}` is not a slug; the policy name is `{kind}/{}`", words.slug()),
        });
    }
    Ok((kind.to_string(), words))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(input: &str) -> Names {
        Names::derive(input, "feat", &Config::default()).unwrap()
    }

    #[test]
    fn scheduler_gives_every_sop_name() {
        let n = names("scheduler");
        assert_eq!(n.feature, "Scheduler");
        assert_eq!(n.slug, "scheduler");
        assert_eq!(n.snake, "scheduler");
        assert_eq!(n.flag, "FEATURE_SCHEDULER");
        assert_eq!(n.branch, "feat/scheduler");
        assert_eq!(n.module, "src/core/scheduler.rs");
        assert_eq!(n.spec, "docs/specs/Lancelot_vNext2_Spec_Scheduler.md");
        assert_eq!(n.blueprint, "docs/blueprints/Lancelot_vNext2_Blueprint_Scheduler.md");
        assert_eq!(n.runbook, "docs/runbooks/Lancelot_vNext2_Runbook_Scheduler.md");
        assert_eq!(n.architecture, "docs/architecture/Lancelot_vNext2_Architecture_Scheduler.md");
    }

    #[test]
    fn every_spelling_of_health_monitor_agrees() {
        for input in [
            "health monitor",
            "health-monitor",
            "health_monitor",
            "HealthMonitor",
            "  Health  Monitor ",
            "healthMonitor",
        ] {
            let n = names(input);
            assert_eq!(
                (n.feature.as_str(), n.slug.as_str(), n.snake.as_str(), n.flag.as_str()),
                ("HealthMonitor", "health-monitor", "health_monitor", "FEATURE_HEALTH_MONITOR"),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn acronyms_and_digits_split_sensibly() {
        assert_eq!(names("HTTPServer").slug, "http-server");
        assert_eq!(names("oauth2 client").snake, "oauth2_client");
        assert_eq!(names("oauth2Client").slug, "oauth2-client");
        assert_eq!(names("v2").feature, "V2");
    }

    #[test]
    fn hostile_inputs_name_the_rule() {
        let cases: &[(&str, &str)] = &[
            ("", "not-empty"),
            ("   ", "not-empty"),
            ("a\0b", "no-control-characters"),
            ("a\tb", "no-control-characters"),
            ("a\nb", "no-control-characters"),
            ("../etc", "no-path-separators"),
            ("a/b", "no-path-separators"),
            ("a\\b", "no-path-separators"),
            ("a..b", "no-path-separators"),
            ("café", "ascii-only"),
            ("9lives", "starts-with-letter"),
            ("-x", "starts-with-letter"),
            ("_x", "starts-with-letter"),
            ("a*b", "allowed-characters"),
            ("a?b", "allowed-characters"),
            ("a[b", "allowed-characters"),
            ("a~b", "allowed-characters"),
            ("a^b", "allowed-characters"),
            ("a:b", "allowed-characters"),
            ("a@{b", "allowed-characters"),
            ("a.lock", "allowed-characters"),
            ("type", "not-a-rust-keyword"),
            ("Self", "not-a-rust-keyword"),
            ("core", "not-reserved"),
            ("nul", "portable-file-name"),
        ];
        for (input, rule) in cases {
            let error = Names::derive(input, "feat", &Config::default()).unwrap_err();
            assert_eq!(error.rule, *rule, "input {input:?}: {error}");
        }
        let long = "a".repeat(MAX_SLUG_LEN + 1);
        assert_eq!(Words::parse(&long).unwrap_err().rule, "max-length");
        assert_eq!(Words::parse(&"a".repeat(100_000)).unwrap_err().rule, "max-length");
        assert!(Words::parse(&"a".repeat(MAX_SLUG_LEN)).is_ok());
    }

    #[test]
    fn spec_file_names_give_their_feature() {
        assert_eq!(feature_of_spec_file("Lancelot_vNext2_Spec_HealthMonitor.md"), Some("HealthMonitor"));
        assert_eq!(feature_of_spec_file("Other_v3_Spec_X.md"), Some("X"));
        assert_eq!(feature_of_spec_file("README.md"), None);
        assert_eq!(feature_of_spec_file("Lancelot_vNext2_Spec_.md"), None);
    }

    #[test]
    fn branches_follow_the_policy() {
        let config = Config::default();
        assert_eq!(parse_branch("feat/health-monitor", &config).unwrap().1.pascal(), "HealthMonitor");
        assert_eq!(parse_branch("wip/x", &config).unwrap_err().rule, "branch-kind");
        assert_eq!(parse_branch("feature", &config).unwrap_err().rule, "branch-name");
        assert_eq!(parse_branch("feat/Health_Monitor", &config).unwrap_err().rule, "branch-name");
    }
}
