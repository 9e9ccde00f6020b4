//! The secret scanner's detection rules: which text on a line is a secret, and how to describe
//! it without the secret. Pure functions over one line; what is scanned, and what is silenced, is
//! `secrets/mod.rs`'s.

use std::sync::OnceLock;

use regex_lite::Regex;

/// One built-in rule.
pub(super) struct Rule {
    name: &'static str,
    /// ASCII-only patterns: `regex-lite` has no Unicode classes.
    pattern: &'static str,
    /// How many leading characters of a match are safe to show (a token's type prefix).
    shown: usize,
    /// The value must also look random (for assignments whose keyword is all we know).
    entropy: bool,
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        name: "private key",
        pattern: r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY( BLOCK)?-----",
        shown: 0,
        entropy: false,
    },
    Rule { name: "PuTTY private key", pattern: r"PuTTY-User-Key-File-[0-9]+:", shown: 0, entropy: false },
    Rule {
        name: "AWS access key id",
        pattern: r"(?-u:\b)(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[0-9A-Z]{16}(?-u:\b)",
        shown: 4,
        entropy: false,
    },
    Rule {
        name: "AWS secret access key",
        pattern: r#"(?i-u:aws)[A-Za-z0-9_.-]{0,20}(?i-u:secret)[A-Za-z0-9_.-]{0,20}["']?[ \t]*[:=]{1,2}[ \t]*["']?([A-Za-z0-9/+]{40})(?-u:\b)"#,
        shown: 0,
        entropy: false,
    },
    Rule { name: "Google API key", pattern: r"AIza[0-9A-Za-z_-]{35}", shown: 4, entropy: false },
    Rule { name: "Azure storage key", pattern: r"AccountKey=[A-Za-z0-9+/]{86}==", shown: 0, entropy: false },
    Rule {
        name: "GitHub token",
        pattern: r"(?-u:\b)(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}",
        shown: 4,
        entropy: false,
    },
    Rule { name: "GitHub token", pattern: r"github_pat_[A-Za-z0-9_]{60,255}", shown: 11, entropy: false },
    Rule {
        name: "GitLab token",
        pattern: r"(?-u:\b)gl(pat|ptt|rt|dt|cbt|oas)-[A-Za-z0-9_-]{20,}",
        shown: 6,
        entropy: false,
    },
    Rule { name: "Slack token", pattern: r"(?-u:\b)xox[abposr]-[A-Za-z0-9-]{10,}", shown: 5, entropy: false },
    Rule {
        name: "Slack webhook",
        pattern: r"https://hooks\.slack\.com/(services|workflows)/[A-Za-z0-9+/_-]{20,}",
        shown: 0,
        entropy: false,
    },
    Rule { name: "Stripe secret key", pattern: r"(?-u:\b)(sk|rk)_live_[0-9A-Za-z]{20,}", shown: 8, entropy: false },
    Rule {
        name: "JSON Web Token",
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        shown: 3,
        entropy: false,
    },
    Rule {
        name: "secret assignment",
        pattern: r#"(?i-u:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,30}["']?[ \t]*(:=|=>|=|:)[ \t]*["'`]?([A-Za-z0-9+/=_.~!@#$%^&*-]{12,})"#,
        shown: 0,
        entropy: true,
    },
];

/// Every rule needs one of these substrings (compared in ASCII lowercase), so a line holding
/// none of them cannot match any rule and skips the regexes: almost every line of a diff.
/// The positive samples in the tests (one per rule) go through this filter, keeping it in step.
const NEEDLES: &[&str] = &[
    "-----begin",
    "putty-user-key-file-",
    "akia",
    "asia",
    "abia",
    "acca",
    "agpa",
    "aida",
    "aroa",
    "aipa",
    "anpa",
    "anva",
    "apka",
    "aws",
    "aiza",
    "accountkey=",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "glptt-",
    "glrt-",
    "gldt-",
    "glcbt-",
    "gloas-",
    "xox",
    "hooks.slack.com",
    "_live_",
    "eyj",
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api",
    "access",
    "auth",
    "private",
    "credential",
];

fn may_hold_a_secret(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    NEEDLES.iter().any(|needle| lower.contains(needle))
}

pub(super) fn compiled() -> &'static [Regex] {
    static COMPILED: OnceLock<Vec<Regex>> = OnceLock::new();
    // The patterns are constants, checked by a unit test; a failure here is a bug in this file.
    COMPILED.get_or_init(|| RULES.iter().map(|rule| Regex::new(rule.pattern).expect("built-in secret rule")).collect())
}

/// A secret found on one line, described without the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static str,
    /// The byte range of the secret on the line (for redacting text that quotes it).
    pub span: std::ops::Range<usize>,
    /// `ghp_****` (40 characters): never the value.
    pub redacted: String,
}

/// Shannon entropy in bits per character.
pub(super) fn entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for byte in value.bytes() {
        counts[byte as usize] += 1;
    }
    let length = value.len() as f64;
    counts.iter().filter(|count| **count > 0).map(|count| f64::from(*count) / length).map(|p| -p * p.log2()).sum()
}

/// A value that looks random enough to be a real secret, not a word, a placeholder or code.
pub(super) fn looks_random(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let placeholder = [
        "example",
        "changeme",
        "change-me",
        "placeholder",
        "dummy",
        "xxxx",
        "your",
        "redacted",
        "****",
        "todo",
        "sample",
    ];
    if placeholder.iter().any(|word| lower.contains(word)) {
        return false;
    }
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
        value.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ];
    let kinds = classes.iter().filter(|present| **present).count();
    let has_digit = classes[2];
    let entropy = entropy(value);
    (kinds >= 3 && entropy >= 3.3) || (has_digit && value.len() >= 20 && kinds >= 2 && entropy >= 3.5)
}

fn redact(rule: &Rule, matched: &str) -> String {
    let length = matched.chars().count();
    let prefix: String = matched.chars().take(rule.shown.min(length / 3)).collect();
    format!("`{prefix}****` ({length} characters)")
}

/// The secrets on one line, each with where it stands. Suppression (markers, allowlists,
/// the baseline) is the caller's: this only detects.
pub fn scan_line(line: &str) -> Vec<Hit> {
    if !may_hold_a_secret(line) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for (rule, regex) in RULES.iter().zip(compiled()) {
        for captures in regex.captures_iter(line) {
            let whole = captures.get(0).map_or("", |m| m.as_str());
            if rule.entropy {
                let value = captures.get(2).map_or("", |m| m.as_str());
                if !looks_random(value) {
                    continue;
                }
                let keyword = whole.split(['=', ':', ' ', '\t', '"', '\'']).next().unwrap_or("");
                let span = captures.get(2).map_or(0..0, |m| m.range());
                hits.push(Hit {
                    rule: rule.name,
                    span,
                    redacted: format!("`{keyword}` = `****` ({} characters)", value.len()),
                });
            } else {
                let span = captures.get(0).map_or(0..0, |m| m.range());
                hits.push(Hit { rule: rule.name, span, redacted: redact(rule, whole) });
            }
            // One hit per rule per line is enough to act on.
            break;
        }
    }
    // A typed token also matches the generic assignment rule: report the precise one.
    if hits.len() > 1 {
        hits.retain(|hit| hit.rule != "secret assignment");
    }
    hits
}
