//! Repository hygiene (SOP 4.9): no tracked `.env` file (only `.env.example`), no tracked private
//! keys, certificates or key stores, a `.gitignore` that covers `.env`, and an `.env.example` that
//! holds placeholders only. Reads the index (what is tracked) and two small files; the secret scan
//! of the branch's diff lives in `secrets.rs`.

use super::secrets;
use super::{at, Facts, Finding};
use crate::layout;

/// File extensions of private keys, certificates and key stores.
const KEY_EXTENSIONS: &[&str] = &["pem", "key", "p12", "pfx", "jks", "keystore", "p8", "ppk", "crt", "cer", "der"];
/// File names of SSH private keys.
const KEY_FILE_NAMES: &[&str] = &["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];

/// Key names in `.env.example` whose values must be placeholders.
const SECRET_KEY_WORDS: &[&str] =
    &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "PRIVATE", "AUTH", "DSN"];

fn is_env_file(name: &str) -> bool {
    name != layout::ENV_EXAMPLE && (name == ".env" || name.starts_with(".env.") || name.ends_with(".env"))
}

fn is_key_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    KEY_FILE_NAMES.contains(&lower.as_str())
        || lower
            .rsplit_once('.')
            .is_some_and(|(stem, extension)| !stem.is_empty() && KEY_EXTENSIONS.contains(&extension))
}

/// Whether `.gitignore`'s lines ignore the root `.env` (the last matching line wins, as in git).
pub fn gitignore_covers_env(text: &str) -> bool {
    let mut ignored = false;
    for line in text.lines().map(str::trim) {
        let (negated, pattern) = match line.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        if matches!(pattern, ".env" | "/.env" | ".env*" | "/.env*" | "**/.env" | "*.env" | ".env/" | "**/.env*") {
            ignored = !negated;
        }
    }
    ignored
}

/// A value in `.env.example` that is clearly a placeholder.
fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    value.is_empty()
        || matches!(lower.as_str(), "true" | "false" | "changeme" | "change-me" | "xxx" | "...")
        || (value.starts_with('<') && value.ends_with('>'))
        || (value.starts_with("${") && value.ends_with('}'))
        || ["example", "changeme", "placeholder", "your", "dummy", "xxxx", "todo", "localhost", "127.0.0.1"]
            .iter()
            .any(|word| lower.contains(word))
}

pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let ctx = facts.ctx;
    // Invalid allowlist patterns are reported once, by the secret scanner.
    let config_allow: Vec<regex_lite::Regex> =
        ctx.config.secret_allowlist.iter().filter_map(|pattern| regex_lite::Regex::new(pattern).ok()).collect();
    for path in ctx.repo.tracked_paths()? {
        if config_allow.iter().any(|regex| regex.is_match(&path)) {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or(&path);
        if is_env_file(name) {
            findings.push(Finding::error(
                "sop-4.9/env-file",
                at(&path, None),
                format!("`{path}` is tracked; local configuration and secrets never leave the machine"),
                format!(
                    "untrack it (git rm --cached {path}), rotate any secret it held, and keep only placeholders in {}",
                    layout::ENV_EXAMPLE
                ),
            ));
        } else if is_key_file(name) {
            findings.push(Finding::error(
                "sop-4.9/key-file",
                at(&path, None),
                format!("`{path}` is tracked and looks like a private key, certificate or key store"),
                format!("untrack it (git rm --cached {path}), rotate the key, and load it from outside the repository at run time; if it is a public test fixture, add its path to `secret_allowlist`"),
            ));
        }
    }

    let root = ctx.root();
    match std::fs::read_to_string(root.join(".gitignore")) {
        Ok(text) if gitignore_covers_env(&text) => {}
        Ok(_) | Err(_) => findings.push(Finding::error(
            "sop-4.9/gitignore",
            at(".gitignore", None),
            "`.gitignore` does not ignore `.env`".into(),
            "add these lines to .gitignore: `.env`, `.env.*` and `!.env.example`".into(),
        )),
    }

    if let Ok(text) = std::fs::read_to_string(root.join(layout::ENV_EXAMPLE)) {
        let all_lines: Vec<&str> = text.lines().collect();
        for (line, key, value) in super::repository::env_lines(&text) {
            let line_text = all_lines.get(line - 1).copied().unwrap_or_default();
            let hits = secrets::scan_line(line_text);
            let upper = key.to_ascii_uppercase();
            let secret_like =
                SECRET_KEY_WORDS.iter().any(|word| upper.contains(word)) && !upper.starts_with("FEATURE_");
            if config_allow.iter().any(|regex| regex.is_match(line_text)) {
                continue;
            }
            if let Some(hit) = hits.first() {
                findings.push(Finding::error(
                    "sop-4.9/env-example",
                    at(layout::ENV_EXAMPLE, Some(line)),
                    format!("`{key}` holds what looks like a real {}: {}", hit.rule, hit.redacted),
                    format!("replace the value with a placeholder (`{key}=<your-value>`) and rotate the secret"),
                ));
            } else if secret_like && !is_placeholder(value) {
                findings.push(Finding::error(
                    "sop-4.9/env-example",
                    at(layout::ENV_EXAMPLE, Some(line)),
                    format!("`{key}` has a value in `{}`; it must hold placeholders only", layout::ENV_EXAMPLE),
                    format!("write `{key}=` or `{key}=<your-value>`"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_and_key_files_are_recognised() {
        for name in [".env", ".env.local", ".env.production", "prod.env"] {
            assert!(is_env_file(name), "{name}");
        }
        assert!(!is_env_file(".env.example"));
        assert!(!is_env_file("env.rs"));
        for name in ["server.pem", "tls.key", "store.p12", "id_rsa", "id_ED25519", "ca.crt", "app.keystore"] {
            assert!(is_key_file(name), "{name}");
        }
        for name in ["id_rsa.pub", "keys.rs", "key", ".key", "monkey.md"] {
            assert!(!is_key_file(name), "{name}");
        }
    }

    #[test]
    fn gitignore_must_ignore_the_root_env() {
        assert!(gitignore_covers_env("/target/\n.env\n.env.*\n!.env.example\n"));
        assert!(gitignore_covers_env(".env*\n!.env.example\n"));
        assert!(!gitignore_covers_env("/target/\n"));
        assert!(!gitignore_covers_env(".env\n!.env\n"));
        assert!(!gitignore_covers_env(".env.*\n"));
    }

    #[test]
    fn placeholders_are_recognised() {
        for value in ["", "false", "<token>", "${TOKEN}", "changeme", "your-token-here", "http://localhost:8080"] {
            assert!(is_placeholder(value), "{value}");
        }
        assert!(!is_placeholder("s3cr3t-Value-42"));
    }
}
