//! Repository hygiene (SOP 4.9): no tracked `.env` file (only `.env.example`), no tracked private
//! keys, certificates or key stores, a `.gitignore` that covers `.env`, and an `.env.example` that
//! holds placeholders only. Reads the index (what is tracked) and two small files; the secret scan
//! of what a push sends lives in `secrets/mod.rs`, which also reports key and `.env` files that
//! only the history holds. A secret in `.env.example` that the push sends is the secret scanner's
//! finding (it names the commit); this rule reports the lines only the working tree holds, and
//! values that are not placeholders without looking like a secret.

use super::secrets;
use super::{at, Facts, Finding};
use crate::layout;
use crate::output::shell_word;

/// File extensions of private keys, certificates and key stores.
const KEY_EXTENSIONS: &[&str] = &["pem", "key", "p12", "pfx", "jks", "keystore", "p8", "ppk", "crt", "cer", "der"];
/// File names of SSH private keys.
const KEY_FILE_NAMES: &[&str] = &["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];

/// Key names in `.env.example` whose values must be placeholders.
const SECRET_KEY_WORDS: &[&str] =
    &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "PRIVATE", "AUTH", "DSN"];

/// The names teams give a committed template of `.env` besides `.env.example`: like it, they
/// hold placeholders, and a real secret in one is the secret scanner's finding.
const ENV_TEMPLATES: &[&str] = &[".env.sample", ".env.template", ".env.dist"];

/// The one rule for a file name that holds local configuration (`.env`, `.env.local`,
/// `prod.env`), for `check`, the pre-push hook and the history scan alike. Case does not
/// matter: macOS and Windows open `.ENV` as `.env`, and the key-file rule ignores case too. An
/// editor's copy holds what the file holds, so it is judged as the file: a backup (`.env~`,
/// Emacs' numbered `.env.~1~`) or an auto-save (`#.env#`); swap and `.bak` copies
/// (`.env.swp`, `.env.bak`) already are `.env.*`. Only a template's exact name is allowed
/// (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`, in any case), never a copy of
/// one (`.env.example~`, like `.env.example.bak`): which copy holds real values is not known.
pub(super) fn is_env_file(name: &str) -> bool {
    // Without lower-casing a copy: this runs for every tracked path.
    let template =
        name.eq_ignore_ascii_case(layout::ENV_EXAMPLE) || ENV_TEMPLATES.iter().any(|t| name.eq_ignore_ascii_case(t));
    let original = original_of(name);
    let starts = |prefix: &str| original.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix));
    let ends = |suffix: &str| {
        original
            .len()
            .checked_sub(suffix.len())
            .and_then(|start| original.get(start..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
    };
    !template && (original.eq_ignore_ascii_case(".env") || starts(".env.") || ends(".env"))
}

/// The file an editor's copy copies: `.env~` and `#.env#` hold what `.env` holds, `id_rsa~`
/// what `id_rsa` holds; any other name is itself.
fn original_of(name: &str) -> &str {
    let original = name.trim_end_matches('~');
    original.strip_prefix('#').and_then(|rest| rest.strip_suffix('#')).unwrap_or(original)
}

/// The one rule for a private key or key store by its name (case ignored), an editor's copy of
/// one included (`id_rsa~`, `#server.pem#`).
pub(super) fn is_key_file(name: &str) -> bool {
    let name = original_of(name);
    // Without lower-casing a copy: this runs for every tracked path.
    KEY_FILE_NAMES.iter().any(|key| name.eq_ignore_ascii_case(key))
        || name.rsplit_once('.').is_some_and(|(stem, extension)| {
            !stem.is_empty() && KEY_EXTENSIONS.iter().any(|key| extension.eq_ignore_ascii_case(key))
        })
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
    let suppression = &facts.suppression;
    let head = facts.branch.head;
    for entry in facts.tracked()? {
        let path = &entry.path;
        let name = path.rsplit('/').next().unwrap_or(path);
        if !is_env_file(name) && !is_key_file(name) || suppression.path_allowed(path) {
            continue;
        }
        let (rule, what, rotate) = if is_env_file(name) {
            (
                "sop-4.9/env-file",
                "local configuration and secrets never leave the machine".to_string(),
                format!("rotate any secret it held, and keep only placeholders in {}", layout::ENV_EXAMPLE),
            )
        } else if is_key_file(name) {
            // A certificate is public: nothing to rotate unless its private key came with it.
            let certificate = [".crt", ".cer", ".der"].iter().any(|ext| name.to_ascii_lowercase().ends_with(ext));
            let fix = if certificate {
                "if its private key was ever committed, rotate that; load certificates from outside the repository at run time, or, for a public test fixture, add its path to `secret_allowlist_paths`"
            } else {
                "rotate the key and load it from outside the repository at run time; if it is a public test fixture, add its path to `secret_allowlist_paths`"
            };
            ("sop-4.9/key-file", "it looks like a private key, certificate or key store".to_string(), fix.to_string())
        } else {
            continue;
        };
        findings.push(Finding::error(
            rule,
            at(path, None),
            format!("`{path}` is tracked; {what}"),
            format!("{}\nthen {rotate}", untrack_hint(facts, head, path)?),
        ));
    }

    let root = ctx.root();
    match crate::git::sparse::read_regular_to_string(&root.join(".gitignore")) {
        Ok(text) if gitignore_covers_env(&text) => {}
        Ok(_) | Err(_) => findings.push(Finding::error(
            "sop-4.9/gitignore",
            at(".gitignore", None),
            "`.gitignore` does not ignore `.env`".into(),
            "add these lines to .gitignore: `.env`, `.env.*` and `!.env.example`".into(),
        )),
    }

    if let Ok(text) = crate::git::sparse::read_to_string(&root.join(layout::ENV_EXAMPLE)) {
        // Lines the push sends: a secret on one of them is the secret scanner's finding.
        let pushed: std::collections::HashSet<&str> = facts
            .branch
            .changes
            .iter()
            .filter(|change| change.path == layout::ENV_EXAMPLE)
            .flat_map(|change| change.added.iter().map(|line| line.text.as_str()))
            .collect();
        let all_lines: Vec<&str> = text.lines().collect();
        for (line, key, value) in super::repository::env_lines(&text) {
            let (key, value) = (key.as_str(), value.as_str());
            let line_text = all_lines.get(line - 1).copied().unwrap_or_default();
            let hits = secrets::scan_line(line_text);
            let upper = key.to_ascii_uppercase();
            let secret_like =
                SECRET_KEY_WORDS.iter().any(|word| upper.contains(word)) && !upper.starts_with("FEATURE_");
            if suppression.line_allowed(line_text) {
                continue;
            }
            if let Some(hit) = hits.first() {
                if pushed.contains(line_text) {
                    continue;
                }
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

/// How to stop tracking a file, and to take it out of the history a push sends when a commit
/// of that push added it: `git rm --cached` alone leaves it in every commit that holds it.
fn untrack_hint(facts: &Facts<'_>, head: Option<git2::Oid>, path: &str) -> anyhow::Result<String> {
    let repo = &facts.ctx.repo;
    let quoted = shell_word(path);
    // Root-relative for git: the command works from any folder of the clone.
    let spec = crate::git::hint::pathspec(path);
    let committed = match head {
        Some(head) => repo.exists_at(head, path)?,
        None => false,
    };
    if !committed {
        return Ok(format!("it is only staged, so no commit holds it yet; unstage it: git rm --cached {spec}"));
    }
    let Some(commit) = repo.first_commit_adding(&facts.branch.pushed, path)? else {
        return Ok(format!(
            "untrack it (it stays in the history `{}` already has, so rotating is what protects you; purging shared history takes a rewrite such as `git filter-repo --invert-paths --path {quoted}`, agreed with the team): git rm --cached {spec}",
            facts.ctx.config.main_branch
        ));
    };
    let short = repo.short_id(commit);
    let parent = repo.first_parent(commit)?;
    let from = if parent.is_some() { format!("{short}~1") } else { "--root".to_string() };
    Ok(format!(
        "untrack it in the commit that added it, so the push does not send it (in the list git opens, mark {short} `edit`, then run `git rm --cached {spec}`, `git commit --amend --no-edit` and `git rebase --continue`), and push a branch that was already pushed with `--force-with-lease`: git rebase -i {from}\nor only untrack it from now on (commit {short} still holds it): git rm --cached {spec}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The env-file rule over a corpus of names: every local configuration file in any case,
    /// and every editor copy of one, is flagged; the templates' exact names in any case, and
    /// names that only look alike, are not.
    #[test]
    fn env_files_are_recognised_in_any_case_and_as_editor_copies() {
        for name in [
            ".env",
            ".ENV",
            ".Env",
            ".env.local",
            ".Env.local",
            ".ENV.LOCAL",
            ".env.production",
            ".env.bak",
            ".env.swp",
            ".env.orig",
            "prod.env",
            "PROD.ENV",
            "prod.Env",
            ".env~",
            ".ENV~",
            ".env~~",
            ".env.local~",
            ".env.~1~",
            "prod.env~",
            "#.env#",
            "#.Env.local#",
            "#prod.env#",
            "#.env",
            ".env.example~",
            ".env.example.bak",
            "#.env.example#",
            ".env.example.local",
            ".env.sample.swp",
            ".env.é",
        ] {
            assert!(is_env_file(name), "`{name}` must be flagged");
        }
        for name in [
            ".env.example",
            ".ENV.EXAMPLE",
            ".Env.Example",
            ".env.sample",
            ".ENV.SAMPLE",
            ".env.template",
            ".Env.Template",
            ".env.dist",
            ".ENV.DIST",
            "env.rs",
            "env",
            "ENV",
            ".envrc",
            ".environment",
            "dotenv.rs",
            "environment.md",
            "~",
            "#",
            "##",
            ".env#",
            "é.en",
            "",
        ] {
            assert!(!is_env_file(name), "`{name}` must be allowed");
        }
        for name in [
            "server.pem",
            "tls.key",
            "store.p12",
            "id_rsa",
            "id_ED25519",
            "ca.crt",
            "app.keystore",
            "id_rsa~",
            "ID_RSA~~",
            "#server.pem#",
            "tls.key~",
        ] {
            assert!(is_key_file(name), "{name}");
        }
        for name in ["id_rsa.pub", "id_rsa.pub~", "keys.rs", "key", ".key", "monkey.md", "#notes#", "~"] {
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
