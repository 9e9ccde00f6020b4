//! The one place that derives names. From an engineer's input (`health monitor`, `health-monitor`,
//! `health_monitor`, `HealthMonitor`) it derives every name the SOP uses: feature, slug, snake,
//! flag, branch, module and the four document paths. Every command, and the add-on inventory,
//! derives names here and nowhere else; it must not touch the disk.
//!
//! The accepted alphabet is deliberately small (ASCII letters and digits in words separated by
//! spaces, `-` or `_`) so that every accepted name is at once a safe file name, a valid git branch
//! component, a Rust module name and an environment variable name.
//!
//! # The canonical form
//!
//! A spec file name (`Lancelot_vNext2_Spec_HealthMonitor.md`) records only the PascalCase feature,
//! and every reader (`check`, `status`, `graph`, `spec`) starts from it. So the feature is the
//! canonical name and every other name is a function of it; the input only picks the feature:
//!
//! 1. The input is split into words at spaces, `-`, `_` and case changes (`healthMonitor`,
//!    `HTTPServer` → `http` `server`), and the words are joined as PascalCase: each word's first
//!    letter upper case, the rest lower case, digits kept (`cache-2` → `Cache2`).
//! 2. That PascalCase string is split again, and these are the canonical words: a word starts at
//!    an upper-case letter that follows a lower-case letter or a digit, or at the last upper-case
//!    letter of a run when a lower-case letter follows it (`Oauth2Client` → `oauth2` `client`,
//!    `XRay` → `x` `ray`).
//! 3. The feature is the canonical words in PascalCase; slug, snake, flag, branch, module and
//!    document paths are the same words joined with `-`, `_`, upper-cased, etc.
//!
//! What that means for the engineer:
//!
//! - **Digits belong to the word before them**: `cache-2`, `cache_2` and `Cache2` are all
//!   `Cache2` / `cache2` / `FEATURE_CACHE2` / `feat/cache2`; `api-v2` is `ApiV2` / `api-v2`;
//!   `oauth2-client` is `Oauth2Client` / `oauth2-client`; `job-2` is `Job2` / `job2`.
//! - **Acronyms are one word, capitalised once**: `HTTPServer`, `http server` and `HttpServer` are
//!   all `HttpServer` / `http-server`; `API` is `Api`.
//! - **Single letters in a row run together**: `a-b` is `Ab` / `ab` (a lone letter before a word
//!   stays apart: `x-ray` is `XRay` / `x-ray`).
//!
//! So for every accepted input `x`, with `n = Names::derive(x)`, deriving again from `n.feature`,
//! `n.slug` or `n.snake` gives `n` (a fixpoint; the property tests hold it). When the canonical
//! slug differs from what the engineer typed, `new-addon` prints the derived names. Two inputs may
//! give the same names; the refusal rules (keywords, reserved names, Windows devices, length) apply
//! to the canonical form, so `m-o-d` (`mod`) and `com-1` (`com1`) are refused like `mod` and `com1`.
//!
//! A `Depends on` entry or a `--depends-on` value is resolved by [`resolve_dependency`], the one
//! resolver every command uses: a feature, slug, snake name, spec file name, path or Markdown link
//! all name the same canonical feature.

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
const RESERVED: &[&str] = &["core", "std", "alloc", "proc_macro", "test", "tests", "main", "lib", "mod", "build"];

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
        let mut written = Vec::new();
        for chunk in trimmed.split([' ', '-', '_']).filter(|chunk| !chunk.is_empty()) {
            split_camel(chunk, &mut written);
        }
        // The canonical words: the PascalCase feature, split again (see the module documentation).
        let mut canonical = Vec::with_capacity(written.len());
        split_camel(&written.iter().map(|word| capitalize(word)).collect::<String>(), &mut canonical);
        let words = Words(canonical);
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
        // The kit's own integration-test modules come from the build's discovery rule, the one list.
        if RESERVED.contains(&snake.as_str()) || crate::layout::discover::KIT_TEST_MODULES.contains(&snake.as_str()) {
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
            branch: branch_name(kind, &words.slug()),
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

/// `feat/health-monitor`: the branch of a slug for a branch kind.
pub fn branch_name(kind: &str, slug: &str) -> String {
    format!("{kind}/{slug}")
}

/// The feature an add-on reference names, in canonical form, with every name derived from it: the
/// one resolver of `**Depends on:**` entries and `--depends-on` values, used by `check`, `graph`,
/// `status`, `spec` and `new-addon`. It accepts any spelling `new-addon` accepts (`HealthMonitor`,
/// `health-monitor`, `health_monitor`, `"health monitor"`), a spec file name or path
/// (`docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md`, whatever its project or version prefix),
/// and a Markdown link or code span around either (`[HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)`,
/// `` `health-monitor` ``). It does not look at the disk: whether the spec exists is the caller's
/// question (the inventory's `find` answers it). The written form `new-addon` puts in a header is
/// [`dependency_link`].
pub fn resolve_dependency(value: &str, config: &Config) -> Result<Names, NameError> {
    let item = value.trim();
    // `[Text](target)`: the target is what the link names.
    let target = match item.strip_suffix(')').and_then(|rest| rest.rsplit_once("](")) {
        Some((_, target)) => target.trim(),
        None => item,
    };
    let target = target.trim_matches('`').trim();
    let file_name = target.rsplit(['/', '\\']).next().unwrap_or(target);
    match feature_of_spec_file(file_name) {
        Some(feature) => Names::derive(feature, "feat", config),
        // Not a spec file: the whole value must be a name (so `../x` is refused, not `x`).
        None => Names::derive(target, "feat", config),
    }
}

/// `[HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)`: how a Depends-on entry is written in
/// a header, the canonical written form that [`resolve_dependency`] reads back.
pub fn dependency_link(names: &Names) -> String {
    let file = names.spec.rsplit('/').next().unwrap_or(&names.spec);
    format!("[{}]({file})", names.feature)
}

/// The accepted name nearest to a refused input, for a `hint:` that uses the engineer's own words
/// (`my.addon` → `my-addon`, `type` → `type-addon`, `9lives` → `addon9lives`); `None` when
/// nothing usable is left (`???`).
pub fn suggest(input: &str) -> Option<String> {
    let mut slug = String::new();
    for c in input.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    if !slug.chars().any(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut candidate =
        if slug.starts_with(|c: char| c.is_ascii_alphabetic()) { slug.to_string() } else { format!("addon-{slug}") };
    for _ in 0..2 {
        match Words::parse(&candidate) {
            Ok(words) => return Some(words.slug()),
            Err(error) if error.rule == "max-length" => {
                let words = Words::parse(&candidate[..MAX_SLUG_LEN.min(candidate.len())]).ok()?;
                let mut slug = words.slug();
                slug.truncate(MAX_SLUG_LEN);
                return Words::parse(slug.trim_end_matches('-')).ok().map(|words| words.slug());
            }
            Err(_) => candidate.push_str("-addon"),
        }
    }
    None
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

    /// The canonical rule of the module documentation, case by case: digits join the word before
    /// them, acronyms are one word capitalised once, and every spelling of a name agrees.
    #[test]
    fn the_canonical_form_follows_the_documented_rule() {
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            // input, feature, slug, snake, flag
            ("cache-2", "Cache2", "cache2", "cache2", "FEATURE_CACHE2"),
            ("cache_2", "Cache2", "cache2", "cache2", "FEATURE_CACHE2"),
            ("Cache2", "Cache2", "cache2", "cache2", "FEATURE_CACHE2"),
            ("cache 2", "Cache2", "cache2", "cache2", "FEATURE_CACHE2"),
            ("api-v2", "ApiV2", "api-v2", "api_v2", "FEATURE_API_V2"),
            ("oauth2-client", "Oauth2Client", "oauth2-client", "oauth2_client", "FEATURE_OAUTH2_CLIENT"),
            ("HTTPServer", "HttpServer", "http-server", "http_server", "FEATURE_HTTP_SERVER"),
            ("http server", "HttpServer", "http-server", "http_server", "FEATURE_HTTP_SERVER"),
            ("API", "Api", "api", "api", "FEATURE_API"),
            ("x9", "X9", "x9", "x9", "FEATURE_X9"),
            ("x-ray", "XRay", "x-ray", "x_ray", "FEATURE_X_RAY"),
            ("a-b", "Ab", "ab", "ab", "FEATURE_AB"),
            ("job-2", "Job2", "job2", "job2", "FEATURE_JOB2"),
        ];
        for (input, feature, slug, snake, flag) in cases {
            let n = names(input);
            assert_eq!(
                (n.feature.as_str(), n.slug.as_str(), n.snake.as_str(), n.flag.as_str()),
                (*feature, *slug, *snake, *flag),
                "input {input:?}"
            );
            assert_eq!(n.branch, format!("feat/{slug}"));
            assert_eq!(n.module, format!("src/core/{snake}.rs"));
            assert_eq!(n.spec, format!("docs/specs/Lancelot_vNext2_Spec_{feature}.md"));
        }
    }

    /// The refusal rules apply to the canonical form: an input that looks harmless but whose
    /// canonical module is a keyword, a reserved name or a Windows device is refused.
    #[test]
    fn refusals_apply_to_the_canonical_form() {
        for (input, rule) in [
            ("m-o-d", "not-a-rust-keyword"),
            ("S-E-L-F", "not-a-rust-keyword"),
            ("c o r e", "not-reserved"),
            ("com-1", "portable-file-name"),
            ("LPT_9", "portable-file-name"),
            ("n-u-l", "portable-file-name"),
        ] {
            assert_eq!(Names::derive(input, "feat", &Config::default()).unwrap_err().rule, rule, "input {input:?}");
        }
    }

    /// Words of letters and digits, in any case, joined by spaces, `-` or `_`: the inputs the
    /// canonical form has to be stable for.
    fn accepted_shapes() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let word = prop_oneof![
            4 => "[a-z]{1,6}",
            2 => "[A-Z][a-z]{0,5}",
            2 => "[A-Z]{1,4}",
            2 => "[0-9]{1,3}",
            2 => "[a-zA-Z][a-zA-Z0-9]{0,6}",
        ];
        let separator = prop_oneof![Just(" "), Just("-"), Just("_"), Just("")];
        ("[a-zA-Z]{1,3}", proptest::collection::vec((separator, word), 0..5)).prop_map(|(first, rest)| {
            let mut out = first;
            for (separator, word) in rest {
                out.push_str(separator);
                out.push_str(&word);
            }
            out
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 2000, failure_persistence: None, ..Default::default() })]

        /// The fixpoint: for every accepted input, deriving again from its feature (what a spec
        /// file name records), its slug (what a branch records) or its snake name (what a module
        /// records) gives exactly the same names, so `new-addon` and every reader agree.
        #[test]
        fn every_derived_name_derives_the_same_names(input in accepted_shapes(), kind in "feat|fix") {
            let config = Config::default();
            if let Ok(n) = Names::derive(&input, &kind, &config) {
                for again in [&n.feature, &n.slug, &n.snake, &n.title] {
                    proptest::prop_assert_eq!(&Names::derive(again, &kind, &config), &Ok(n.clone()), "from {:?} via {:?}", input, again);
                }
                proptest::prop_assert_eq!(resolve_dependency(&n.spec, &config).map(|d| d.feature), Ok(n.feature.clone()));
                proptest::prop_assert_eq!(parse_branch(&n.branch, &config).map(|(_, words)| words.pascal()), Ok(n.feature.clone()));
            }
        }

        /// An accepted input always gives a feature of ASCII letters and digits starting with an
        /// upper-case letter (so `feature_of_spec_file` reads it back), and a snake name that is no
        /// keyword, reserved name or Windows device.
        #[test]
        fn accepted_names_are_valid_in_every_form(input in accepted_shapes()) {
            if let Ok(n) = Names::derive(&input, "feat", &Config::default()) {
                proptest::prop_assert!(n.feature.starts_with(|c: char| c.is_ascii_uppercase()));
                let file = n.spec.rsplit('/').next().unwrap();
                proptest::prop_assert_eq!(feature_of_spec_file(file), Some(n.feature.as_str()));
                proptest::prop_assert!(!RUST_KEYWORDS.contains(&n.snake.as_str()));
                proptest::prop_assert!(!RESERVED.contains(&n.snake.as_str()));
                proptest::prop_assert!(!crate::layout::discover::KIT_TEST_MODULES.contains(&n.snake.as_str()));
                proptest::prop_assert!(!WINDOWS_DEVICES.contains(&n.snake.as_str()));
                proptest::prop_assert!(n.slug.len() <= MAX_SLUG_LEN);
            }
        }

        /// A refused input never panics, and what `suggest` offers instead is always accepted.
        #[test]
        fn suggestions_are_accepted_names(input in "\\PC{0,24}") {
            if let Some(suggestion) = suggest(&input) {
                proptest::prop_assert!(Words::parse(&suggestion).is_ok(), "{:?} → {:?}", input, suggestion);
            }
        }
    }

    /// Every form a Depends-on entry or a `--depends-on` value takes names one canonical feature;
    /// anything else is refused with the rule that failed, never resolved to a part of it.
    #[test]
    fn every_form_of_a_dependency_resolves_to_the_canonical_feature() {
        let config = Config::default();
        for value in [
            "HealthMonitor",
            "health-monitor",
            "health_monitor",
            " health monitor ",
            "`health-monitor`",
            "Lancelot_vNext2_Spec_HealthMonitor.md",
            "docs/specs/Lancelot_vNext2_Spec_HealthMonitor.md",
            "[HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)",
            "[anything](docs/specs/Other_v1_Spec_HealthMonitor.md)",
        ] {
            assert_eq!(resolve_dependency(value, &config).unwrap().feature, "HealthMonitor", "{value:?}");
        }
        assert_eq!(resolve_dependency("cache-2", &config).unwrap().feature, "Cache2");
        assert_eq!(resolve_dependency("Lancelot_vNext2_Spec_HTTPServer.md", &config).unwrap().feature, "HttpServer");
        assert_eq!(resolve_dependency("../health-monitor", &config).unwrap_err().rule, "no-path-separators");
        assert_eq!(resolve_dependency("none!", &config).unwrap_err().rule, "allowed-characters");
        let names = names("health monitor");
        assert_eq!(dependency_link(&names), "[HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)");
        assert_eq!(resolve_dependency(&dependency_link(&names), &config), Ok(names));
    }

    #[test]
    fn suggestions_keep_the_engineers_words() {
        assert_eq!(suggest("my.addon").as_deref(), Some("my-addon"));
        assert_eq!(suggest("type").as_deref(), Some("type-addon"));
        assert_eq!(suggest("9lives").as_deref(), Some("addon9lives"));
        assert_eq!(suggest("café au lait").as_deref(), Some("caf-au-lait"));
        assert_eq!(suggest("???"), None);
        assert!(suggest(&"ab".repeat(100)).is_some_and(|s| s.len() <= MAX_SLUG_LEN));
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
