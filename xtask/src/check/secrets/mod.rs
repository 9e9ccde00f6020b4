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

use regex_lite::Regex;

use super::{at, ExtraScanner, Facts, Finding};

/// The inline marker that silences the scanner on one line.
pub const ALLOW_MARKER: &str = "sop:allow-secret";

pub mod rules;

pub use rules::Hit;

/// The secrets on one line, unless the line carries the allow marker.
pub fn scan_line(line: &str) -> Vec<Hit> {
    if line.contains(ALLOW_MARKER) || line.contains("gitleaks:allow") {
        return Vec::new();
    }
    rules::scan_line(line)
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
    use super::rules::{compiled, entropy, looks_random, RULES};
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
