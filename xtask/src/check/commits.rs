//! Conventional commits (SOP 4.5): every commit of a branch since it left the main branch is
//! `type(scope)!: description` with a type from the configuration. Parsing is the
//! `git-conventional` crate's, never a hand-written parser. [`check_commit_message`] is shared with
//! the commit-msg hook; merge commits are not checked (git writes their messages).

use crate::config::Config;

use super::{Facts, Finding};

/// A message that passes, shown with every refusal.
pub const EXAMPLE: &str = "feat: add scheduler receipts";

/// Checks one commit message; the error names the problem and shows a good example.
///
/// Lines starting with `#` (git's comments, as the commit-msg hook sees them) and everything
/// below git's scissors line are ignored.
pub fn check_commit_message(message: &str, config: &Config) -> Result<(), String> {
    // The common case (no comments, a valid message) allocates nothing but the parse: this runs
    // once per commit over histories of thousands (docs/benchmarks.md).
    let cleaned: std::borrow::Cow<'_, str> =
        if message.lines().any(|line| line.starts_with('#')) { strip_comments(message).into() } else { message.into() };
    let cleaned = cleaned.trim();
    let types = || config.commit_types.join(", ");
    if cleaned.is_empty() {
        return Err(format!("the commit message is empty; write e.g. `{EXAMPLE}` (types: {})", types()));
    }
    // The subject is quoted in findings, hook messages and receipts: redacted before it is
    // shortened, so a secret cut in half is still recognised.
    let summary = || summarize(&crate::redact::text(cleaned.lines().next().unwrap_or_default()));
    let commit = git_conventional::Commit::parse(cleaned).map_err(|error| {
        let problem = match error.kind() {
            git_conventional::ErrorKind::MissingType => "it has no type: expected `type: description`".to_string(),
            git_conventional::ErrorKind::InvalidScope => {
                "its scope is malformed: expected `type(scope): description`".to_string()
            }
            git_conventional::ErrorKind::MissingDescription => {
                "it has no description after the type: expected `type: description`".to_string()
            }
            git_conventional::ErrorKind::InvalidBody => {
                "its body must be separated from the summary by a blank line".to_string()
            }
            git_conventional::ErrorKind::InvalidFooter => "a footer is malformed: expected `Token: value`".to_string(),
            _ => format!("{}", error.kind()).to_lowercase(),
        };
        format!("`{}` is not a conventional commit: {problem}; write e.g. `{EXAMPLE}` (types: {})", summary(), types())
    })?;
    let kind = commit.type_();
    if !config.commit_types.iter().any(|allowed| kind == allowed.as_str()) {
        return Err(format!(
            "`{}`: the type `{kind}` is not allowed; use one of: {} (e.g. `{EXAMPLE}`)",
            summary(),
            types()
        ));
    }
    Ok(())
}

fn strip_comments(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for line in message.lines() {
        if line.starts_with("# ------------------------ >8 ------------------------") {
            break;
        }
        if !line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The summary line, shortened for a one-line message.
fn summarize(line: &str) -> String {
    let line = line.trim();
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(57).collect::<String>())
    } else {
        line.to_string()
    }
}

/// The commits of the branch (HEAD, not reachable from the main branch), merges skipped.
pub(super) fn check(facts: &Facts<'_>, findings: &mut Vec<Finding>) -> anyhow::Result<()> {
    let (Some(head), Some(main)) = (facts.branch.head, facts.branch.main) else { return Ok(()) };
    let config = &facts.ctx.config;
    facts.ctx.repo.for_each_commit(head, Some(main), |commit| {
        if commit.parents > 1 {
            return;
        }
        if let Err(problem) = check_commit_message(commit.message, config) {
            let short = &commit.id.to_string()[..10];
            findings.push(Finding::error(
                "sop-4.5/conventional-commit",
                Some(format!("commit {short}")),
                problem,
                format!(
                    "reword it: git rebase -i {} (mark the commit `reword`), or for the last commit: git commit --amend -m \"{EXAMPLE}\"",
                    config.main_branch
                ),
            ));
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(message: &str) -> Result<(), String> {
        check_commit_message(message, &Config::default())
    }

    #[test]
    fn conventional_messages_pass() {
        for message in [
            "feat: add scheduler receipts",
            "fix(onboarding): READY gating\n",
            "docs!: rename the runbook\n\nBody text.\n\nRefs: #12\n",
            "feat: x\n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff --git a b\n",
            "FEAT: upper-case types are the same type",
        ] {
            assert_eq!(check(message), Ok(()), "{message:?}");
        }
    }

    #[test]
    fn bad_messages_name_the_problem_and_show_an_example() {
        let cases = [
            ("stuff", "has no type"),
            ("", "is empty"),
            ("# only a comment\n", "is empty"),
            ("feat:", "not a conventional commit"),
            ("feat(: x", "not a conventional commit"),
            ("wip: more", "the type `wip` is not allowed"),
        ];
        for (message, expected) in cases {
            let error = check(message).unwrap_err();
            assert!(error.contains(expected), "{message:?}: {error}");
            assert!(error.contains(EXAMPLE), "{message:?}: {error}");
        }
        assert!(check("stuff").unwrap_err().starts_with("`stuff` is not a conventional commit"));
    }

    #[test]
    fn the_configured_types_are_the_allowed_ones() {
        let config = Config { commit_types: vec!["change".into()], ..Config::default() };
        assert!(check_commit_message("change: x", &config).is_ok());
        assert!(check_commit_message("feat: x", &config).unwrap_err().contains("use one of: change"));
    }

    #[test]
    fn long_summaries_are_shortened() {
        let long = "x".repeat(200);
        let error = check(&long).unwrap_err();
        assert!(error.contains("xxx…`") && !error.contains(&"x".repeat(61)), "{error}");
    }
}
