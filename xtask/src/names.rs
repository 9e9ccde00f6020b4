//! The one place that derives names. From an engineer's input (`health monitor`, `health-monitor`,
//! `health_monitor`, `HealthMonitor`, `OAuth2 client`) it derives every name the SOP uses:
//! feature, slug, snake, flag, branch, module and the four document paths. Every command, and the
//! add-on inventory, derives names here and nowhere else; it must not touch the disk.
//!
//! The accepted alphabet is deliberately small (ASCII letters and digits in words separated by
//! spaces, `-` or `_`) so that every accepted name is at once a safe file name, a valid git branch
//! component, a Rust module name and an environment variable name.
//!
//! # The words of a name
//!
//! A name is a list of lower-case words; every form is those words joined: slug `oauth2-client`,
//! snake `oauth2_client`, feature `Oauth2Client`, title `Oauth2 Client`, flag
//! `FEATURE_OAUTH2_CLIENT`, branch `feat/oauth2-client`. The input is split into words:
//!
//! 1. At every space, `-` and `_`.
//! 2. Inside a run of letters and digits, a new word starts only at an upper-case letter, and
//!    only where the case change is an unambiguous word start:
//!    - after a lower-case letter (`healthMonitor`, `getOAuth`), except after a single
//!      lower-case letter that opens the run (`gRPC`, `iOS`, `eBay`, `iPhone` stay one word);
//!    - after a digit, when that single capital opens a lower-case word (`OAuth2Client`,
//!      `HTTP2Server`, `S3Bucket`), not otherwise (`E2E`, `B2B`, `Web3D` stay one word);
//!    - inside a run of three or more capitals (or two after a digit: `E2ETests`), at its last
//!      capital when at least two lower-case letters follow (`HTTPServer` → `http` `server`,
//!      `APIKey` → `api` `key`); a run of two
//!      capitals (`OAuth`, `IPv6`, `XRay`) or a single lower-case letter after the run
//!      (`UUIDv7`, `URLs`) is one word.
//!
//!    Digits never start a word: they belong to the word before them (`cache 2`, `cache-2` and
//!    `Cache2` are all `cache2`; `K8s`, `IPv6`, `UUIDv7` are one word).
//! 3. The words are joined as PascalCase and split again by the same rule until nothing changes.
//!    That makes the feature (what a spec file name records) split back to the same words, so
//!    every form derives the same names (a fixpoint; the property tests hold it). It merges what
//!    PascalCase cannot show apart (letters typed one by one run together first: `a b c` → `abc`,
//!    `m-o-d` → `mod`): a single-letter word between two words joins the word before
//!    it (`plan b backup` → `planb-backup`), a leading one the word after it (`x-ray` → `xray`),
//!    a single letter at the end stays (`vitamin c` → `vitamin-c`), and a word that does not
//!    continue in lower case after a digit joins the word before it (`api2 v2` → `api2v2`).
//! 4. A name cannot start with a digit in Rust (the module and the feature type), so leading
//!    digits are spelled out, one word a digit: `2FA login` is `two-fa-login` /
//!    `TwoFaLogin` / `FEATURE_TWO_FA_LOGIN`, `3D viewer` is `threed-viewer` (and `new-addon` prints the derived names whenever
//!    the slug differs from what was typed). `--slug` overrides the derivation.
//!
//! So every case style of the same words gives the same names: `oauth2 client`,
//! `OAuth2 client`, `OAUTH2_CLIENT`, `oauth2-client`, `Oauth2Client` and `OAuth2Client` are all
//! `oauth2-client`; `IPv6` is `ipv6`, `gRPC` is `grpc`, `HTTPServer` is `http-server`.
//! The refusal rules (keywords, reserved names, Windows devices, length) apply to the canonical
//! form, so `m-o-d` (`mod`) and `com-1` (`com1`) are refused like `mod` and `com1`. Two names
//! that differ only in case or separators would collide on a case-insensitive file system
//! (macOS, Windows); [`Names::key`] is what `new-addon` compares to refuse such a second add-on.
//!
//! # Rules and their limits
//!
//! - `not-a-rust-keyword`: the strict and reserved keywords of every edition, which no module can
//!   be named. Weak keywords (`union`, `macro_rules`, `raw`, `safe`, `auto`) are accepted: `mod
//!   union;` compiles in editions 2021 and 2024. The suggested fix appends `-addon` (`type` →
//!   `type-addon`).
//! - `not-reserved`: module names the runtime kit or the toolchain uses (`core`, `main`…), and
//!   type names the generated code already uses ([`TAKEN_TYPE_NAMES`]: the templates' imports
//!   such as `Host` or `ReceiptKind`, and Rust's prelude such as `Default` or `String`), since
//!   `pub struct Host` beside `use crate::host::{Addon, Host}` does not compile. The fix appends
//!   `-addon` (`host` → `host-addon`).
//! - `max-length`: the slug is at most [`MAX_SLUG_LEN`] = 80 characters. The longest path a
//!   name gives is the architecture note: `docs/architecture/Lancelot_vNext2_Architecture_`
//!   (47 characters), then the feature (at most the slug's length, 80), then `.md` (3), so 130
//!   characters with the default configuration. Windows' `MAX_PATH` is 260 including the
//!   terminating NUL, which leaves 129 characters for the clone's own folder
//!   (`C:\Users\someone\source\repos\lancelot\` is 39). The git files of the branch
//!   (`.git/logs/refs/heads/chore/<slug>.lock`, 32 plus the slug) are shorter.
//! - `no-leading-dash`: a name starting with `-` is almost always a mistyped option; it is refused
//!   with the name without the dash (`-health` → `health`). Everything after `--` on the command
//!   line is read as the name, never as an option.
//!
//! A `Depends on` entry or a `--depends-on` value is resolved by [`resolve_dependency`], the one
//! resolver every command uses: a feature, slug, snake name, spec file name, path or Markdown link
//! all name the same canonical feature.

use std::fmt;

use crate::config::Config;

/// Longest accepted slug: see the module documentation for the path arithmetic behind 80.
pub const MAX_SLUG_LEN: usize = 80;

/// Why a name was refused: the rule that failed, the detail for the engineer, and an accepted
/// name built from the engineer's own words when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub rule: &'static str,
    pub detail: String,
    /// A canonical slug that is accepted by every rule here (`type` → `type-addon`).
    pub suggestion: Option<String>,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.detail, self.rule)
    }
}

impl NameError {
    /// What to do about it, for a `hint:` line that ends with the fixed command.
    pub fn advice(&self) -> &'static str {
        match self.rule {
            "no-control-characters" | "ascii-only" | "allowed-characters" | "no-path-separators" => {
                "use ASCII letters, digits, spaces, `-` or `_`"
            }
            "not-empty" => "give it a name",
            "no-leading-dash" => "drop the leading `-`",
            "starts-with-letter" => "start with a letter or a digit",
            "not-a-rust-keyword" => "a module cannot be named after a Rust keyword; add a word",
            "not-reserved" => "the runtime kit or the toolchain uses that name; add a word",
            "portable-file-name" => "Windows cannot store a file of that name; add a word",
            "max-length" => "shorten it",
            "canonical-slug" => "use the canonical slug",
            _ => "use another name",
        }
    }
}

/// The engineer's input as a refusal quotes it after a noun (`invalid add-on name `x``): a space
/// and the escaped input in backticks, or nothing for an empty input (an empty code span).
pub fn quoted_input(input: &str) -> String {
    if input.is_empty() {
        String::new()
    } else {
        format!(" `{}`", input.escape_debug())
    }
}

/// An accepted example shown when nothing of the engineer's input can be kept.
pub const EXAMPLE: &str = "health-monitor";

/// The words of a name, lowercase ASCII, each starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words(Vec<String>);

/// The strict and reserved keywords of every edition: no module can have these names. The weak
/// keywords (`union`, `macro_rules`, `raw`, `safe`, `auto`) are ordinary identifiers as modules.
const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Names the runtime kit or the toolchain already uses for something else. `readme`: a branch's
/// CHANGELOG fragment `docs/changelog.d/readme.md` would differ from that folder's `README.md`
/// only in case.
const RESERVED: &[&str] =
    &["core", "std", "alloc", "proc_macro", "test", "tests", "main", "lib", "mod", "build", "readme"];

/// Type names the generated code already uses. An add-on's type is its name in PascalCase
/// (`receipt kind` → `ReceiptKind`): one of these would clash with an import of the module or
/// integration-test template (`use crate::host::{Addon, Host}` beside `pub struct Host`), or
/// shadow a name of Rust's prelude the generated code relies on (`impl Default for Default`).
/// Prelude traits the generated code never names (`Sync`, `Hash`, `Clone`…) stay free: a struct
/// of that name compiles. The test `taken_type_names_cover_the_templates` keeps this list a
/// superset of the identifiers in the built-in templates' code.
const TAKEN_TYPE_NAMES: &[&str] = &[
    // The runtime kit's names the templates import or use.
    "Addon",
    "AddonStatus",
    "Degraded",
    "Dependency",
    "Disabled",
    "Error",
    "Failure",
    "Flags",
    "Host",
    "Job",
    "JsonLinesLog",
    "ManualClock",
    "MemorySink",
    "Readiness",
    "Receipt",
    "ReceiptKind",
    "Running",
    "Runtime",
    "Skipped",
    "StateChange",
    "SystemClock",
    "WarRoomEntry",
    // The standard library's, from the templates' code.
    "Arc",
    "Cell",
    "Duration",
    "Rc",
    "Value",
    // Rust's prelude: its types and their variants, and the traits the templates implement.
    "Box",
    "Debug",
    "Default",
    "Err",
    "None",
    "Ok",
    "Option",
    "Result",
    "Some",
    "String",
    "Vec",
];

/// Device names Windows refuses as file names, whatever the extension.
const WINDOWS_DEVICES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2",
    "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

const DIGIT_WORDS: [&str; 10] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

impl Words {
    /// Splits and validates an engineer's input; a refusal carries an accepted suggestion.
    pub fn parse(input: &str) -> Result<Words, NameError> {
        Words::check(input).map_err(|mut error| {
            error.suggestion = suggest(input);
            error
        })
    }

    fn check(input: &str) -> Result<Words, NameError> {
        let error = |rule, detail: String| Err(NameError { rule, detail, suggestion: None });
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
        if trimmed.starts_with('-') {
            return error(
                "no-leading-dash",
                "starts with `-`, like an option; a name starts with a letter or a digit".into(),
            );
        }
        let first = trimmed.chars().next().unwrap_or(' ');
        if !first.is_ascii_alphanumeric() {
            return error(
                "starts-with-letter",
                format!("starts with `{first}`; a name starts with a letter or a digit"),
            );
        }
        let words = Words(canonical(trimmed));
        let slug = words.slug();
        if slug.len() > MAX_SLUG_LEN {
            return error(
                "max-length",
                format!("gives the {}-character slug `{slug}`; the limit is {MAX_SLUG_LEN}", slug.len()),
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
        let pascal = words.pascal();
        if TAKEN_TYPE_NAMES.contains(&pascal.as_str()) {
            return error(
                "not-reserved",
                format!("gives the type name `{pascal}`, which the generated module or its test already uses"),
            );
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
        pascal(&self.0)
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

/// The canonical words of an input of letters, digits and separators that starts with a letter
/// or a digit (steps 1 to 4 of the module documentation).
fn canonical(input: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in input.split([' ', '-', '_']).filter(|chunk| !chunk.is_empty()) {
        split_chunk(chunk, &mut words);
    }
    // Letters typed one by one run together (`a b c` → `abc`, `m-o-d` → `mod`); a lone letter
    // between two words, before a word that starts with a letter, reads as the end of the word
    // before it (`plan b backup` → `planb` `backup`); step 3 would otherwise join it to the word
    // after it.
    let single = |word: &String| word.len() == 1 && word.starts_with(|c: char| c.is_ascii_alphabetic());
    let mut joined: Vec<String> = Vec::with_capacity(words.len());
    for index in 0..words.len() {
        let word = &words[index];
        let after_single = index > 0 && single(&words[index - 1]);
        let before_single = words.get(index + 1).is_some_and(single);
        let letter_next = words.get(index + 1).is_some_and(|next| next.starts_with(|c: char| c.is_ascii_alphabetic()));
        match joined.last_mut() {
            Some(previous) if single(word) && (after_single || (!before_single && letter_next)) => {
                previous.push_str(word)
            }
            _ => joined.push(word.clone()),
        }
    }
    let mut words = settle(joined);
    // Step 4: leading digits spelled out, one word a digit.
    if let Some(first) = words.first().filter(|word| word.starts_with(|c: char| c.is_ascii_digit())).cloned() {
        let rest = first.trim_start_matches(|c: char| c.is_ascii_digit());
        let mut spelled: Vec<String> = first[..first.len() - rest.len()]
            .bytes()
            .map(|digit| DIGIT_WORDS[usize::from(digit - b'0')].to_string())
            .collect();
        match spelled.last_mut() {
            // `3D` → `threed`: a lone letter would join the next word (step 3).
            Some(last) if rest.len() == 1 => last.push_str(rest),
            _ if !rest.is_empty() => spelled.push(rest.to_string()),
            _ => {}
        }
        spelled.extend(words.drain(1..));
        words = settle(spelled);
    }
    words
}

/// Step 3: joins the words as PascalCase and splits again until nothing changes. Each round
/// only merges words (a PascalCase string has capitals only where words start), so it ends.
fn settle(mut words: Vec<String>) -> Vec<String> {
    for _ in 0..=words.len() {
        let mut again = Vec::with_capacity(words.len());
        split_chunk(&pascal(&words), &mut again);
        if again == words {
            break;
        }
        words = again;
    }
    words
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    Digit,
}

fn class(c: u8) -> Class {
    if c.is_ascii_uppercase() {
        Class::Upper
    } else if c.is_ascii_digit() {
        Class::Digit
    } else {
        Class::Lower
    }
}

/// Step 2: splits one run of ASCII letters and digits into lowercase words.
fn split_chunk(chunk: &str, words: &mut Vec<String>) {
    let bytes = chunk.as_bytes();
    let classes: Vec<Class> = bytes.iter().map(|&b| class(b)).collect();
    let run_length = |from: usize, step_back: bool, of: Class| -> usize {
        if step_back {
            classes[..=from].iter().rev().take_while(|&&c| c == of).count()
        } else {
            classes[from..].iter().take_while(|&&c| c == of).count()
        }
    };
    let mut start = 0;
    for index in 1..bytes.len() {
        let (previous, current) = (classes[index - 1], classes[index]);
        let next = classes.get(index + 1).copied();
        let boundary = current == Class::Upper
            && match previous {
                Class::Lower => index != 1,
                Class::Digit => next == Some(Class::Lower),
                Class::Upper => {
                    let run = run_length(index, true, Class::Upper);
                    let after_digit = index >= run && classes[index - run] == Class::Digit;
                    next == Some(Class::Lower)
                        && (run >= 3 || after_digit)
                        && run_length(index + 1, false, Class::Lower) >= 2
                }
            };
        if boundary {
            words.push(chunk[start..index].to_ascii_lowercase());
            start = index;
        }
    }
    if start < bytes.len() {
        words.push(chunk[start..].to_ascii_lowercase());
    }
}

fn pascal(words: &[String]) -> String {
    words.iter().map(|word| capitalize(word)).collect()
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

/// The cache stores a spec's derived names (`cache.rs`): they depend on its file name and the
/// configuration, both in the cache's key.
impl crate::cache::Codec for Names {
    fn encode(&self, out: &mut Vec<u8>) {
        for field in self.fields() {
            field.encode(out);
        }
    }

    fn decode(input: &mut crate::cache::Reader<'_>) -> Option<Self> {
        let mut next = || String::decode(input);
        Some(Names {
            feature: next()?,
            title: next()?,
            slug: next()?,
            snake: next()?,
            flag: next()?,
            branch: next()?,
            module: next()?,
            module_dir: next()?,
            integration_test: next()?,
            spec: next()?,
            blueprint: next()?,
            runbook: next()?,
            architecture: next()?,
        })
    }
}

impl Names {
    /// Derives every name; `kind` is the branch kind (`feat`, `fix`, …).
    pub fn derive(input: &str, kind: &str, config: &Config) -> Result<Names, NameError> {
        let words = Words::parse(input)?;
        Ok(Names::from_words(&words, kind, config))
    }

    /// Every field, in declaration order (what the cache stores).
    fn fields(&self) -> [&String; 13] {
        [
            &self.feature,
            &self.title,
            &self.slug,
            &self.snake,
            &self.flag,
            &self.branch,
            &self.module,
            &self.module_dir,
            &self.integration_test,
            &self.spec,
            &self.blueprint,
            &self.runbook,
            &self.architecture,
        ]
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

/// The words a `--slug` override names: it must be accepted and already canonical (what
/// deriving from it gives back), so the slug the engineer chose is exactly the one used.
pub fn parse_slug(slug: &str) -> Result<Words, NameError> {
    let words = Words::parse(slug)?;
    if words.slug() != slug {
        return Err(NameError {
            rule: "canonical-slug",
            detail: format!("`{}` is not a canonical slug; it derives to `{}`", slug.escape_debug(), words.slug()),
            suggestion: Some(words.slug()),
        });
    }
    Ok(words)
}

/// What two names must not share in one repository: their letters and digits in lower case.
/// Names with the same key have documents whose paths differ only in case (`OAuth2Client`,
/// `Oauth2Client`) or modules that read alike (`ab_c`, `a_bc`): on macOS and Windows the files of
/// the first case are the same files.
pub fn collision_key(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// `[HealthMonitor](Lancelot_vNext2_Spec_HealthMonitor.md)`: how a Depends-on entry is written in
/// a header, the canonical written form that [`resolve_dependency`] reads back.
pub fn dependency_link(names: &Names) -> String {
    let file = names.spec.rsplit('/').next().unwrap_or(&names.spec);
    format!("[{}]({file})", names.feature)
}

/// The accepted name nearest to a refused input, for a `hint:` that uses the engineer's own words
/// (`my.addon` → `my-addon`, `type` → `type-addon`, `-health` → `health`, a long name cut at a
/// word); `None` when nothing usable is left (`???`). What it returns is always accepted.
pub fn suggest(input: &str) -> Option<String> {
    let mut cleaned = String::new();
    for c in input.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == ' ' {
            cleaned.push(c);
        } else if !cleaned.ends_with('-') {
            cleaned.push('-');
        }
    }
    let cleaned = cleaned.trim_matches(|c: char| matches!(c, '-' | '_' | ' '));
    if !cleaned.chars().any(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut words = canonical(cleaned);
    // Cut at a word so the slug fits.
    while words.len() > 1 && words.join("-").len() > MAX_SLUG_LEN {
        words.pop();
    }
    let mut candidate = words.join("-");
    candidate.truncate(MAX_SLUG_LEN - "-addon".len());
    for _ in 0..2 {
        match Words::check(&candidate) {
            Ok(words) => return Some(words.slug()),
            Err(_) => candidate.push_str("-addon"),
        }
    }
    None
}

/// A name in the policy for the branch `name`, which is not, for a `git branch -m` hint: its own
/// kind when it is configured (`Feature/…` counts as `feat/…`), else the first configured one;
/// the slug of the rest of its words, else `my-work` (a non-ASCII name has none). Never a
/// placeholder: the hint is pasted as printed.
pub fn suggest_branch(name: &str, config: &Config) -> String {
    let (kind, rest) = name.split_once('/').unwrap_or(("", name));
    let kind = kind.to_lowercase();
    let kinds = &config.branch_kinds;
    let kind = kinds
        .iter()
        .find(|k| **k == kind)
        .or_else(|| kinds.iter().find(|k| !kind.is_empty() && (kind.starts_with(k.as_str()) || k.starts_with(&kind))))
        .or(kinds.first())
        .map_or("feat", String::as_str);
    let cleaned: String = rest.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let slug = Words::parse(cleaned.trim_matches('-')).map(|words| words.slug()).ok().or_else(|| suggest(rest));
    format!("{kind}/{}", slug.unwrap_or_else(|| "my-work".into()))
}

/// Validates a branch kind against the configuration.
pub fn check_kind(kind: &str, config: &Config) -> Result<(), NameError> {
    if config.branch_kinds.iter().any(|allowed| allowed == kind) {
        Ok(())
    } else {
        Err(NameError {
            rule: "branch-kind",
            detail: format!("`{kind}` is not a branch kind; use one of: {}", config.branch_kinds.join(", ")),
            suggestion: None,
        })
    }
}

/// Splits a branch name into kind and slug and validates both (`feat/health-monitor`).
pub fn parse_branch(branch: &str, config: &Config) -> Result<(String, Words), NameError> {
    let Some((kind, slug)) = branch.split_once('/') else {
        return Err(NameError {
            rule: "branch-name",
            detail: format!("`{branch}` is not `<kind>/<slug>` (kinds: {})", config.branch_kinds.join(", ")),
            suggestion: None,
        });
    };
    check_kind(kind, config)?;
    let words = Words::parse(slug)?;
    if words.slug() != slug {
        return Err(NameError {
            rule: "branch-name",
            detail: format!("`{slug}` is not a slug; the policy name is `{kind}/{}`", words.slug()),
            suggestion: Some(words.slug()),
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
            ("x-ray", "Xray", "xray", "xray", "FEATURE_XRAY"),
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
            2 => "[A-Z]{1,3}[a-z]{0,2}[0-9]{0,2}[A-Z]?[a-z]{0,3}",
            2 => "[A-Z][a-z]{0,5}",
            2 => "[A-Z]{1,4}",
            2 => "[0-9]{1,3}",
            2 => "[a-zA-Z][a-zA-Z0-9]{0,6}",
        ];
        let separator = prop_oneof![Just(" "), Just("-"), Just("_"), Just("")];
        ("[a-zA-Z0-9]{1,3}", proptest::collection::vec((separator, word), 0..5)).prop_map(|(first, rest)| {
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
                let screaming = n.flag.trim_start_matches("FEATURE_").to_string();
                let camel = {
                    let mut camel = n.feature.clone();
                    camel[..1].make_ascii_lowercase();
                    camel
                };
                for again in [&n.feature, &n.slug, &n.snake, &n.title, &screaming, &camel] {
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

    /// The table: acronym and digit runs stay whole, realistic names of every shape get
    /// the slug a person expects. (input, slug)
    const SLUGS: &[(&str, &str)] = &[
        ("OAuth2", "oauth2"),
        ("IPv6", "ipv6"),
        ("E2E", "e2e"),
        ("gRPC", "grpc"),
        ("iOS", "ios"),
        ("UUIDv7", "uuidv7"),
        ("HTTP2Server", "http2-server"),
        ("S3Bucket", "s3-bucket"),
        ("K8s", "k8s"),
        ("OAuth2 client", "oauth2-client"),
        ("oauth2 client", "oauth2-client"),
        ("IPv6 address pool", "ipv6-address-pool"),
        ("IPv6AddressPool", "ipv6-address-pool"),
        ("E2E tests", "e2e-tests"),
        ("E2ETests", "e2e-tests"),
        ("gRPC gateway", "grpc-gateway"),
        ("gRPCGateway", "grpc-gateway"),
        ("iOS push", "ios-push"),
        ("iOSPush", "ios-push"),
        ("UUIDv7 ids", "uuidv7-ids"),
        ("UUIDv7Generator", "uuidv7-generator"),
        ("S3 bucket sync", "s3-bucket-sync"),
        ("K8s operator", "k8s-operator"),
        ("K8sOperator", "k8s-operator"),
        ("HTTPServer", "http-server"),
        ("HttpServer", "http-server"),
        ("http server", "http-server"),
        ("APIKey rotation", "api-key-rotation"),
        ("MyAPIClient", "my-api-client"),
        ("getOAuthToken", "get-oauth-token"),
        ("JSONParser", "json-parser"),
        ("XMLHttpRequest", "xml-http-request"),
        ("macOS menu", "mac-os-menu"),
        ("eBay sync", "ebay-sync"),
        ("iPhone app", "iphone-app"),
        ("OAuthToken", "oauth-token"),
        ("PDFs", "pdfs"),
        ("URLs", "urls"),
        ("B2B", "b2b"),
        ("B2BSales", "b2b-sales"),
        ("a b c", "abc"),
        ("Web3 wallet", "web3-wallet"),
        ("SHA256 digest", "sha256-digest"),
        ("SHA256Digest", "sha256-digest"),
        ("health monitor", "health-monitor"),
        ("HealthMonitor", "health-monitor"),
        ("healthMonitor", "health-monitor"),
        ("HEALTH_MONITOR", "health-monitor"),
        ("Health-Monitor", "health-monitor"),
        ("rate limiter", "rate-limiter"),
        ("RateLimiter v2", "rate-limiter-v2"),
        ("api-v2", "api-v2"),
        ("cache 2", "cache2"),
        ("job-2", "job2"),
        ("x-ray", "xray"),
        ("vitamin c", "vitamin-c"),
        ("plan b backup", "planb-backup"),
        ("2FA login", "two-fa-login"),
        ("2fa-login", "two-fa-login"),
        ("3D viewer", "threed-viewer"),
        ("365 calendar", "three-six-five-calendar"),
        ("union", "union"),
        ("macro_rules", "macro-rules"),
        ("Union Find", "union-find"),
        ("alpha", "alpha"),
        ("beta", "beta"),
        ("gamma", "gamma"),
        ("  spaced   out  ", "spaced-out"),
        ("snake_case_name", "snake-case-name"),
        ("SCREAMING_NAME_2", "screaming-name2"),
        ("a-b", "ab"),
        ("CSV export to SFTP", "csv-export-to-sftp"),
        ("CSVExport", "csv-export"),
        ("PostgreSQL backup", "postgre-sql-backup"),
        ("MySQLPool", "my-sql-pool"),
        ("WebSocket relay", "web-socket-relay"),
        ("TOTP 2FA", "totp2fa"),
    ];

    #[test]
    fn the_slug_table_holds() {
        assert!(SLUGS.len() >= 60);
        let mut failures = Vec::new();
        for (input, slug) in SLUGS {
            match Names::derive(input, "feat", &Config::default()) {
                Ok(n) if n.slug == *slug => {}
                Ok(n) => failures.push(format!("{input:?} → {:?}, expected {slug:?}", n.slug)),
                Err(error) => failures.push(format!("{input:?} refused: {error}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Every case style of the same words gives the same slug, and so the same names.
    #[test]
    fn every_case_style_of_the_same_words_agrees() {
        let groups: &[&[&str]] = &[
            &[
                "oauth2 client",
                "OAuth2 client",
                "OAUTH2_CLIENT",
                "oauth2-client",
                "Oauth2Client",
                "OAuth2Client",
                "oauth2Client",
                "Oauth2 Client",
                "OAUTH2 CLIENT",
                "oauth2_client",
            ],
            &["ipv6 pool", "IPv6 pool", "IPV6_POOL", "ipv6-pool", "Ipv6Pool", "IPv6Pool", "ipv6Pool"],
            &["http2 server", "HTTP2 server", "HTTP2_SERVER", "http2-server", "Http2Server", "HTTP2Server"],
            &["e2e", "E2E", "E2e"],
            &["grpc", "gRPC", "GRPC", "Grpc"],
            &["uuidv7", "UUIDv7", "UUIDV7", "Uuidv7"],
            &["two fa login", "2FA login", "2fa_login", "TWO_FA_LOGIN", "TwoFaLogin", "two-fa-login"],
        ];
        for group in groups {
            let first = names(group[0]);
            for input in *group {
                assert_eq!(names(input), first, "{input:?} differs from {:?}", group[0]);
            }
        }
    }

    /// Every type name the built-in module and integration-test templates use in their code (not
    /// their comments) is taken: an add-on of that name would not compile (`host` gave `use
    /// crate::host::{Addon, Host}` beside `pub struct Host`). Fails when a template starts using
    /// a name the list lacks.
    #[test]
    fn taken_type_names_cover_the_templates() {
        let templates = [
            include_str!(concat!(env!("OUT_DIR"), "/module.rs.tera")),
            include_str!(concat!(env!("OUT_DIR"), "/integration_test.rs.tera")),
        ];
        let mut seen = 0;
        for template in templates {
            for line in template.lines() {
                let code = line.split("//").next().unwrap_or("");
                let code = code.split("{{").map(|part| part.rsplit("}}").next().unwrap_or(part)).collect::<String>();
                for word in code.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
                    let pascal = word.starts_with(|c: char| c.is_ascii_uppercase())
                        && word.chars().any(|c| c.is_ascii_lowercase());
                    if pascal && !line.trim_start().starts_with("{#") {
                        seen += 1;
                        assert!(
                            TAKEN_TYPE_NAMES.contains(&word),
                            "`{word}` ({line:?}) is missing from TAKEN_TYPE_NAMES"
                        );
                    }
                }
            }
        }
        assert!(seen > 20, "the templates' code was not read: {seen} names");
        for name in ["host", "error", "job", "addon status", "war room entry", "default", "string", "option"] {
            assert_eq!(Words::parse(name).map_err(|error| error.rule), Err("not-reserved"), "{name}");
        }
        assert!(Words::parse("oauth2 client").is_ok());
    }

    /// A refused name's suggestion is accepted, names the rule's fix, and the hint text is
    /// specific to the rule (a keyword is not told to "use letters").
    #[test]
    fn every_rule_suggests_an_accepted_name() {
        for (input, rule, suggestion) in [
            ("my.addon", "allowed-characters", "my-addon"),
            ("café", "ascii-only", "caf"),
            ("a/b", "no-path-separators", "ab"),
            ("a\tb", "no-control-characters", "ab"),
            ("-health", "no-leading-dash", "health"),
            ("_health", "starts-with-letter", "health"),
            ("type", "not-a-rust-keyword", "type-addon"),
            ("core", "not-reserved", "core-addon"),
            ("host", "not-reserved", "host-addon"),
            ("receipt kind", "not-reserved", "receipt-kind-addon"),
            ("nul", "portable-file-name", "nul-addon"),
        ] {
            let input = input.replace("\\t", "\t");
            let error = Words::parse(&input).unwrap_err();
            assert_eq!((error.rule, error.suggestion.as_deref()), (rule, Some(suggestion)), "{input:?}");
            assert!(Words::parse(suggestion).is_ok());
        }
        let long = ["word"; 30].join(" ");
        let error = Words::parse(&long).unwrap_err();
        assert_eq!(error.rule, "max-length");
        let fixed = error.suggestion.unwrap();
        assert!(fixed.len() <= MAX_SLUG_LEN && Words::parse(&fixed).is_ok(), "{fixed}");
        assert_ne!(Words::parse("type").unwrap_err().advice(), Words::parse("a.b").unwrap_err().advice());
        assert_eq!(Words::parse("").unwrap_err().suggestion, None);
    }

    /// `--slug` takes only a canonical slug, and `collision_key` ignores case and separators.
    #[test]
    fn slug_overrides_and_collision_keys() {
        assert_eq!(parse_slug("oauth2-client").unwrap().pascal(), "Oauth2Client");
        let error = parse_slug("OAuth2-client").unwrap_err();
        assert_eq!((error.rule, error.suggestion.as_deref()), ("canonical-slug", Some("oauth2-client")));
        assert_eq!(parse_slug("type").unwrap_err().rule, "not-a-rust-keyword");
        assert_eq!(collision_key("OAuth2Client"), collision_key("o-auth2-client"));
        assert_eq!(collision_key("o_auth2_client"), "oauth2client");
    }

    #[test]
    fn suggestions_keep_the_engineers_words() {
        assert_eq!(suggest("my.addon").as_deref(), Some("my-addon"));
        assert_eq!(suggest("type").as_deref(), Some("type-addon"));
        assert_eq!(suggest("-health").as_deref(), Some("health"));
        assert_eq!(suggest("union!").as_deref(), Some("union"));
        assert_eq!(suggest("com1").as_deref(), Some("com1-addon"));
        assert_eq!(suggest("OAuth2 client!").as_deref(), Some("oauth2-client"));
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
            ("-x", "no-leading-dash"),
            ("-health", "no-leading-dash"),
            ("--", "no-leading-dash"),
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
            ("README", "not-reserved"),
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

    /// The rename a hint proposes is in the policy, keeps a configured kind, and is never a
    /// placeholder.
    #[test]
    fn a_suggested_branch_name_follows_the_policy() {
        let config = Config::default();
        for (name, want) in [
            ("fix/ÉCOLE", "fix/cole"),
            ("Feature/Login_Timeout", "feat/login-timeout"),
            ("fix/-dash-led", "fix/dash-led"),
            ("my-branch", "feat/my-branch"),
            ("wip/---", "feat/my-work"),
        ] {
            let suggested = suggest_branch(name, &config);
            assert_eq!(suggested, want, "{name}");
            assert!(parse_branch(&suggested, &config).is_ok(), "{name}: {suggested}");
        }
    }
}
