//! The secret scanner (SOP 4.9): built-in rules for private-key blocks, cloud provider keys,
//! GitHub, GitLab and Slack tokens, JWTs, and password/secret/token assignments with high-entropy
//! values, run over every line the branch adds (merge-base..HEAD plus staged changes).
//!
//! False positives are silenced by an inline marker (`sop:allow-secret`) on the line or by the
//! `secret_allowlist` regular expressions of the configuration. A finding never holds the secret:
//! messages show the rule, a safe prefix at most, and the length. An extra scanner such as
//! `gitleaks` can be configured (`extra_secret_scanner`); being a program committed configuration
//! names, it runs only when the caller allows it and this clone approved it (`trust.rs`), and its
//! output is never printed either.

use std::sync::OnceLock;

use regex_lite::Regex;

use super::{at, ExtraScanner, Facts, Finding};

/// The inline marker that silences the scanner on one line.
pub const ALLOW_MARKER: &str = "sop:allow-secret";

/// One built-in rule.
struct Rule {
    name: &'static str,
    /// ASCII-only patterns: `regex-lite` has no Unicode classes.
    pattern: &'static str,
    /// How many leading characters of a match are safe to show (a token's type prefix).
    shown: usize,
    /// The value must also look random (for assignments whose keyword is all we know).
    entropy: bool,
}

const RULES: &[Rule] = &[
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

fn compiled() -> &'static [Regex] {
    static COMPILED: OnceLock<Vec<Regex>> = OnceLock::new();
    // The patterns are constants, checked by a unit test; a failure here is a bug in this file.
    COMPILED.get_or_init(|| RULES.iter().map(|rule| Regex::new(rule.pattern).expect("built-in secret rule")).collect())
}

/// A secret found on one line, described without the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static str,
    /// `ghp_****` (40 characters): never the value.
    pub redacted: String,
}

/// Shannon entropy in bits per character.
fn entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for byte in value.bytes() {
        counts[byte as usize] += 1;
    }
    let length = value.len() as f64;
    counts.iter().filter(|count| **count > 0).map(|count| f64::from(*count) / length).map(|p| -p * p.log2()).sum()
}

/// A value that looks random enough to be a real secret, not a word, a placeholder or code.
fn looks_random(value: &str) -> bool {
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

/// The secrets on one line. The allow marker silences it.
pub fn scan_line(line: &str) -> Vec<Hit> {
    if line.contains(ALLOW_MARKER) || line.contains("gitleaks:allow") {
        return Vec::new();
    }
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
                hits.push(Hit {
                    rule: rule.name,
                    redacted: format!("`{keyword}` = `****` ({} characters)", value.len()),
                });
            } else {
                hits.push(Hit { rule: rule.name, redacted: redact(rule, whole) });
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

/// The configured allowlist, compiled; invalid patterns become findings.
pub fn allowlist(patterns: &[String], findings: &mut Vec<Finding>) -> Vec<Regex> {
    let mut out = Vec::new();
    for pattern in patterns {
        match Regex::new(pattern) {
            Ok(regex) => out.push(regex),
            Err(error) => findings.push(Finding::error(
                "sop-4.9/secret-allowlist",
                Some("Cargo.toml".into()),
                format!(
                    "`secret_allowlist` entry `{pattern}` is not a valid regular expression: {}",
                    one_line(&error.to_string())
                ),
                "fix it in [workspace.metadata.sop]; use ASCII classes like [0-9] and [A-Za-z] (no \\d, \\w or (?i))"
                    .into(),
            )),
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let config = &facts.ctx.config;
    let allow = allowlist(&config.secret_allowlist, findings);
    for change in &facts.branch.changes {
        if change.binary || allow.iter().any(|regex| regex.is_match(&change.path)) {
            continue;
        }
        for added in &change.added {
            if allow.iter().any(|regex| regex.is_match(&added.text)) {
                continue;
            }
            for hit in scan_line(&added.text) {
                findings.push(Finding::error(
                    "sop-4.9/secret",
                    at(&change.path, Some(added.line as usize)),
                    format!("possible {} added: {}", hit.rule, hit.redacted),
                    format!(
                        "remove it and rotate it (it may already be in your history: amend or rebase before pushing); if it is not a secret, end the line with `{ALLOW_MARKER}` or add a pattern to `secret_allowlist`"
                    ),
                ));
            }
        }
    }
    extra_scanner(facts, findings);
    Ok(())
}

/// Runs the configured extra scanner (e.g. `gitleaks protect --staged --redact`) if the caller
/// allows it and this clone approved that exact command (`trust.rs`); otherwise a warning says
/// it did not run and how to run it. Its output is not shown: it may hold what it found.
fn extra_scanner(facts: &Facts<'_>, findings: &mut Vec<Finding>) {
    let Some((program, args)) = facts.ctx.config.extra_secret_scanner.split_first() else { return };
    let shown = crate::trust::show(&facts.ctx.config.extra_secret_scanner);
    if facts.extra_scanner == ExtraScanner::Never {
        findings.push(Finding::warning(
            "sop-4.9/extra-scanner",
            None,
            format!("`extra_secret_scanner` {shown} was not run: `check` runs no program unless asked"),
            "run it too: cargo xtask check --extra-scanner".to_string(),
        ));
        return;
    }
    let status = crate::trust::status(facts.ctx, crate::trust::List::ExtraSecretScanner);
    if !status.as_ref().is_ok_and(crate::trust::Status::may_run) {
        findings.push(Finding::warning(
            "sop-4.9/extra-scanner",
            None,
            format!("`extra_secret_scanner` {shown} was not run: this clone has not approved it"),
            format!("review and approve it: {}", crate::trust::TRUST_COMMAND),
        ));
        return;
    }
    let sh = &facts.ctx.sh;
    let output =
        xshell::cmd!(sh, "{program} {args...}").quiet().ignore_status().ignore_stdout().ignore_stderr().output();
    let command = facts.ctx.config.extra_secret_scanner.join(" ");
    match output {
        Ok(output) if output.status.success() => {}
        Ok(output) => findings.push(Finding::error(
            "sop-4.9/extra-scanner",
            None,
            format!(
                "`{command}` reported findings (exit {})",
                output.status.code().map_or("signal".into(), |c| c.to_string())
            ),
            format!("run `{command}` yourself to see them (its output is not repeated here)"),
        )),
        Err(_) => findings.push(Finding::warning(
            "sop-4.9/extra-scanner",
            None,
            format!(
                "the extra secret scanner `{program}` could not be run (is it installed?); only the built-in rules ran"
            ),
            format!("install `{program}`, or remove `extra_secret_scanner` from [workspace.metadata.sop]"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every sample is assembled at run time so that no scannable literal exists in the repository.
    fn join(parts: &[&str]) -> String {
        parts.concat()
    }

    #[test]
    fn every_rule_compiles() {
        assert_eq!(compiled().len(), RULES.len());
    }

    #[test]
    fn positive_samples_are_found_and_redacted() {
        let samples = [
            (join(&["-----BEGIN RSA ", "PRIVATE KEY-----"]), "private key", ""),
            (join(&["-----BEGIN OPENSSH ", "PRIVATE KEY-----"]), "private key", ""),
            (join(&["key = \"", "AKIA", "Z7Q2K4M9T3W8X5R1", "\""]), "AWS access key id", "Z7Q2"),
            (
                join(&["aws_secret_access_key = ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "Q9Z4Y8V2N5"]),
                "AWS secret access key",
                "wJal",
            ),
            (join(&["const K: &str = \"", "AIza", "SyD3x9QmZ7v2Lr8Kp4Tn6Wb1Hc5Jf0Ge3Ud"]), "Google API key", "SyD3"),
            (join(&["token: ", "ghp_", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"]), "GitHub token", "aB3d"),
            (join(&["GITLAB=", "glpat-", "x7Kq2Lm9Pz4Rt8Vw3Yb6"]), "GitLab token", "x7Kq"),
            (join(&["slack: ", "xoxb-", "1234567890-ABCDEFghijklMNOP"]), "Slack token", "ABCD"),
            (
                join(&[
                    "auth = ",
                    "eyJ",
                    "hbGciOiJIUzI1NiJ9",
                    ".",
                    "eyJ",
                    "zdWIiOiIxMjM0NTY3ODkwIn0",
                    ".",
                    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                ]),
                "JSON Web Token",
                "hbGc",
            ),
            (join(&["PuTTY-User-", "Key-File-3: ssh-ed25519"]), "PuTTY private key", ""),
            (
                join(&["DefaultEndpointsProtocol=https;AccountKey=", &"Zm9vYmFy".repeat(10), "K9q2Lm", "=="]),
                "Azure storage key",
                "Zm9v",
            ),
            (join(&["pat = ", "github_pat_", &"11AbCdEfGh".repeat(7)]), "GitHub token", "11AbCdEfGh11"),
            (
                join(&["url = ", "https://hooks.slack", ".com/services/", "T0A1B2C3D/B4E5F6G7H/x8Y9z0W1v2U3t4S5r6Q7"]),
                "Slack webhook",
                "x8Y9",
            ),
            (join(&["stripe = ", "sk_", "live_", "4eC39HqLyjWDarjtT1zdp7dc"]), "Stripe secret key", "4eC3"),
            (join(&["DB_PASSWORD=", "Xk9#mP2$vL8qR4tW"]), "secret assignment", "Xk9#"),
            (join(&["\"client_secret\": \"", "3f9a1c7e5b2d8f4a6c0e9b1d7a3f5c2e", "\""]), "secret assignment", "3f9a"),
        ];
        for (line, rule, secret_part) in &samples {
            let hits = scan_line(line);
            assert_eq!(hits.len(), 1, "{line}: {hits:?}");
            assert_eq!(hits[0].rule, *rule, "{line}");
            if !secret_part.is_empty() {
                assert!(!hits[0].redacted.contains(secret_part), "not redacted: {hits:?}");
            }
            assert!(hits[0].redacted.contains("****"), "{hits:?}");
        }
    }

    #[test]
    fn negative_samples_are_not_found() {
        let samples = [
            "let token = next_token(&mut lexer);",
            "password = \"hunter2\"",
            "DB_PASSWORD=changeme",
            "API_KEY=<your-api-key>",
            "secret_allowlist: Vec<String>,",
            "SECRET_KEY=your_secret_key_here_1234",
            "token: &str,",
            "pub const PLACEHOLDER: &str = \"TODO(sop)\";",
            "-----BEGIN PUBLIC KEY-----",
            "AKIA is the prefix of AWS access key ids",
            "passwords = load_passwords_from_vault(config)",
        ];
        for line in samples {
            assert_eq!(scan_line(line), [], "{line}");
        }
        let marked = join(&["DB_PASSWORD=", "Xk9#mP2$vL8qR4tW ", "# ", ALLOW_MARKER]);
        assert_eq!(scan_line(&marked), []);
    }

    #[test]
    fn an_invalid_allowlist_entry_is_a_finding() {
        let mut findings = Vec::new();
        let compiled = allowlist(&["fixtures/.*".into(), "(".into()], &mut findings);
        assert_eq!(compiled.len(), 1);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "sop-4.9/secret-allowlist");
    }

    #[test]
    fn entropy_separates_words_from_keys() {
        assert!(entropy("aaaaaaaa") < 0.1);
        assert!(looks_random("Xk9#mP2$vL8qR4tW"));
        assert!(!looks_random("aaaaaaaaaaaaaaaa1"));
        assert!(!looks_random("my_database_password"));
    }
}
