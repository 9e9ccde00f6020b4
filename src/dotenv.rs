//! The `.env` file parser: blank lines, `#` comments, `export KEY=VALUE`, single- and
//! double-quoted values and trailing ` # comments` on unquoted values. A malformed line is an
//! error naming the file and line; a variable defined twice is an error naming both lines.
//!
//! It only parses: it must not set process environment variables (the environment is read,
//! never mutated) and it must not interpret values (that is `flags.rs`'s job).

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The line syntax, standard library only: the xtask compiles this very file in (`#[path]`), so
/// `check`, `status` and the runtime read a `.env` the same way.
pub mod syntax;

/// One `KEY=VALUE` definition of a `.env` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEnvEntry {
    /// The variable name.
    pub key: String,
    /// The value with quotes removed and escapes resolved.
    pub value: String,
    /// The 1-based line number.
    pub line: usize,
}

/// A parsed `.env` file, its definitions in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEnv {
    path: PathBuf,
    entries: Vec<DotEnvEntry>,
}

impl DotEnv {
    /// Reads and parses `path`; `Ok(None)` when the file does not exist (a `.env` is optional).
    pub fn load(path: &Path) -> Result<Option<DotEnv>, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => DotEnv::parse(path, &text).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(Error::DotEnvUnreadable { path: path.to_path_buf(), source: error }),
        }
    }

    /// Parses `text`; `path` is only used in error messages.
    pub fn parse(path: impl Into<PathBuf>, text: &str) -> Result<DotEnv, Error> {
        let path = path.into();
        // The one rule for what is refused (`syntax::read`), which the xtask applies too.
        let (kept, refused) = syntax::read(text);
        match refused.into_iter().next() {
            Some(syntax::Refused::Malformed { line, reason }) => Err(Error::DotEnvSyntax { path, line, reason }),
            Some(syntax::Refused::Duplicate { key, first_line, second_line }) => {
                Err(Error::DotEnvDuplicate { path, name: key, first_line, second_line })
            }
            None => {
                let entries = kept.into_iter().map(|(line, key, value)| DotEnvEntry { key, value, line }).collect();
                Ok(DotEnv { path, entries })
            }
        }
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every definition, in file order.
    pub fn entries(&self) -> &[DotEnvEntry] {
        &self.entries
    }

    /// The definition of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&DotEnvEntry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(String, String, usize)>, Error> {
        let dotenv = DotEnv::parse(".env", text)?;
        Ok(dotenv.entries().iter().map(|e| (e.key.clone(), e.value.clone(), e.line)).collect())
    }

    fn entry(key: &str, value: &str, line: usize) -> (String, String, usize) {
        (key.to_string(), value.to_string(), line)
    }

    #[test]
    fn blank_lines_comments_and_export_are_understood() {
        let text = "\n# a comment\n   \nexport FEATURE_A=true\n\tFEATURE_B = false\r\n  # indented comment\n";
        assert_eq!(parse(text).unwrap(), [entry("FEATURE_A", "true", 4), entry("FEATURE_B", "false", 5)]);
    }

    #[test]
    fn quoted_values_keep_spaces_and_hashes() {
        let text = "A=\"hello # world\"  # trailing\nB='it is # here' \nC=\"say \\\"hi\\\"\\n\"\nD=''\nE=\"\"\n";
        assert_eq!(
            parse(text).unwrap(),
            [
                entry("A", "hello # world", 1),
                entry("B", "it is # here", 2),
                entry("C", "say \"hi\"\n", 3),
                entry("D", "", 4),
                entry("E", "", 5),
            ]
        );
    }

    #[test]
    fn trailing_comments_are_cut_from_unquoted_values_only_after_whitespace() {
        let text = "A=true # enable it\nB=a#b\nC= # only a comment\nD=x\t# tab comment\n";
        assert_eq!(
            parse(text).unwrap(),
            [entry("A", "true", 1), entry("B", "a#b", 2), entry("C", "", 3), entry("D", "x", 4)]
        );
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        assert_eq!(parse("\u{feff}A=1\n").unwrap(), [entry("A", "1", 1)]);
    }

    #[test]
    fn malformed_lines_name_the_file_and_line() {
        for (text, line, reason) in [
            ("A=1\nthis is not a definition\n", 2, "expected `KEY=VALUE`"),
            ("A=1\n\n=value\n", 3, "is not a valid variable name"),
            ("1A=x\n", 1, "`1A` is not a valid variable name"),
            ("A=\"open\n", 1, "no closing `\"`"),
            ("A='open\n", 1, "no closing `'`"),
            ("A=\"x\" y\n", 1, "unexpected `y` after the closing quote"),
            ("export\n", 1, "expected `KEY=VALUE`"),
        ] {
            match DotEnv::parse("/repo/.env", text) {
                Err(error @ Error::DotEnvSyntax { .. }) => {
                    let message = error.to_string();
                    assert!(message.starts_with(&format!("`/repo/.env` line {line} is malformed")), "{message}");
                    assert!(message.contains(reason), "{text:?}: {message}");
                }
                other => panic!("{text:?}: expected a syntax error, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_variable_defined_twice_names_both_lines() {
        let error = DotEnv::parse("/repo/.env", "FEATURE_A=true\n# x\nexport FEATURE_A=false\n").unwrap_err();
        assert_eq!(error.to_string(), "`FEATURE_A` is defined twice in `/repo/.env`: line 1 and line 3");
        assert!(error.hint().contains("delete line 1 or line 3"), "{}", error.hint());
        assert_eq!(error.exit_code(), crate::error::EXIT_USAGE);
    }

    #[test]
    fn a_missing_file_is_not_an_error() {
        let missing = std::env::temp_dir().join(format!("lancelot-no-such-dotenv-{}", std::process::id()));
        assert_eq!(DotEnv::load(&missing).unwrap(), None);
    }
}
