//! The runtime's typed error and warning types: every failure the host can report, with its
//! message, its `hint:` (the exact fix) and its exit code.
//!
//! This module only describes failures; it must not print, exit or decide what to do about them
//! (that is `cli.rs`'s job).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Exit code of a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code of a runtime failure (an unwritable or corrupt receipts log, a failed add-on).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of bad usage or bad input (unknown arguments, invalid flag values, a broken `.env`).
pub const EXIT_USAGE: i32 = 2;

/// Where a flag's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlagOrigin {
    /// Not set anywhere: the flag is off.
    Default,
    /// The process environment.
    Environment,
    /// A line of a `.env` file.
    DotEnv {
        /// The `.env` file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
    },
}

impl fmt::Display for FlagOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagOrigin::Default => f.write_str("the default"),
            FlagOrigin::Environment => f.write_str("the environment"),
            FlagOrigin::DotEnv { path, line } => write!(f, "`{}` line {line}", path.display()),
        }
    }
}

/// Everything that can go wrong in the runtime. The `Display` text is the message without the
/// `error: ` prefix; [`Error::hint`] is the fix and [`Error::exit_code`] the process exit code.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The command line could not be understood.
    Usage {
        /// What was wrong.
        message: String,
        /// The command that works instead.
        hint: String,
    },
    /// A registered `FEATURE_*` flag has a value other than `true` or `false`.
    InvalidFlagValue {
        /// The variable, e.g. `FEATURE_HEALTH_MONITOR`.
        name: String,
        /// The value as given.
        value: String,
        /// Where the value was set.
        origin: FlagOrigin,
    },
    /// A `.env` line that is not blank, a comment or `[export] KEY=VALUE`.
    DotEnvSyntax {
        /// The `.env` file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
    /// A variable defined twice in the same `.env` file.
    DotEnvDuplicate {
        /// The `.env` file.
        path: PathBuf,
        /// The variable.
        name: String,
        /// The line of the first definition.
        first_line: usize,
        /// The line of the second definition.
        second_line: usize,
    },
    /// A runtime setting in the environment (e.g. `LANCELOT_STATE_DIR`) is unusable.
    InvalidSetting {
        /// The variable.
        name: String,
        /// What is wrong with it.
        reason: String,
        /// The exact fix.
        hint: String,
    },
    /// A file-system operation failed.
    Io {
        /// What was being done, e.g. `append to`, `read`, `create the directory`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The `.env` file exists but cannot be read as text (not UTF-8, a directory, no
    /// permission): bad input, like a malformed line.
    DotEnvUnreadable {
        /// The `.env` file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The command's own output (stdout or stderr) could not be written: a full disk, a closed
    /// pipe.
    Output {
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A value could not be encoded as JSON.
    Encoding {
        /// What was being encoded.
        what: &'static str,
        /// The encoder's message.
        reason: String,
    },
    /// An add-on's receipt sink refused a write (used by the in-memory sink in tests).
    SinkRejected {
        /// Why.
        reason: String,
    },
    /// The add-ons' declared dependencies form a cycle, so none can boot first: a fault in the
    /// code (each module's `DEPENDS_ON`), refused at startup.
    DependencyCycle {
        /// The add-ons of the cycle, the first repeated last.
        cycle: Vec<String>,
    },
}

impl Error {
    /// The process exit code for this error: 2 for bad usage or input, 1 for runtime failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. }
            | Error::InvalidFlagValue { .. }
            | Error::DotEnvSyntax { .. }
            | Error::DotEnvDuplicate { .. }
            | Error::DotEnvUnreadable { .. }
            | Error::InvalidSetting { .. } => EXIT_USAGE,
            Error::Io { .. }
            | Error::Output { .. }
            | Error::Encoding { .. }
            | Error::SinkRejected { .. }
            | Error::DependencyCycle { .. } => EXIT_FAILURE,
        }
    }

    /// The exact fix, shown as a `hint:` line, for an error of the host (`cargo run -- run`);
    /// [`Error::hint_for`] names the command that failed.
    pub fn hint(&self) -> String {
        self.hint_for("run")
    }

    /// The exact fix when `command` (`run`, `status`, `onboard`, `flags`) failed: the commands
    /// it prints rerun that command.
    pub fn hint_for(&self, command: &str) -> String {
        match self {
            Error::Usage { hint, .. } => hint.clone(),
            Error::InvalidFlagValue { name, origin, .. } => match origin {
                FlagOrigin::DotEnv { path, line } => format!(
                    "accepted values are `true` or `false`: change line {line} of `{}` to `{name}=false` (or `{name}=true`)",
                    path.display()
                ),
                _ => format!("accepted values are `true` or `false`: {name}=false cargo run -- {command}"),
            },
            Error::DotEnvSyntax { path, line, .. } => format!(
                "write line {line} of `{}` as `KEY=VALUE` (quote values with spaces, comments start with `#`)",
                path.display()
            ),
            Error::DotEnvDuplicate { path, name, first_line, second_line } => format!(
                "keep one definition of `{name}`: delete line {first_line} or line {second_line} of `{}`",
                path.display()
            ),
            Error::InvalidSetting { hint, .. } => hint.clone(),
            Error::DotEnvUnreadable { path, source } => dotenv_hint(path, source),
            Error::Io { path, source, .. } => io_hint(path, source, command),
            Error::Output { .. } => {
                "the output could not be written: check the file or pipe it goes to (and its disk's free space: df -h .)"
                    .to_string()
            }
            Error::Encoding { .. } => "this is a bug in the runtime; please report it with the command you ran".to_string(),
            Error::SinkRejected { .. } => "the receipt sink refused the write; check the sink's configuration".to_string(),
            Error::DependencyCycle { cycle } => format!(
                "remove one of these dependencies from its module's `DEPENDS_ON` (and its spec's Depends on): {}",
                cycle
                    .windows(2)
                    .map(|pair| format!("src/core/{}.rs names `{}`", pair[0], pair[1]))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Shorthand for an [`Error::Io`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { action, path: path.into(), source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage { message, .. } => f.write_str(message),
            Error::InvalidFlagValue { name, value, origin } => {
                write!(f, "`{name}={value}` is not a valid flag value (set in {origin})")
            }
            Error::DotEnvSyntax { path, line, reason } => {
                write!(f, "`{}` line {line} is malformed: {reason}", path.display())
            }
            Error::DotEnvDuplicate { path, name, first_line, second_line } => {
                write!(f, "`{name}` is defined twice in `{}`: line {first_line} and line {second_line}", path.display())
            }
            Error::InvalidSetting { name, reason, .. } => write!(f, "`{name}` {reason}"),
            Error::DotEnvUnreadable { path, source } => {
                let why = match source.kind() {
                    std::io::ErrorKind::InvalidData => "it is not UTF-8 text".to_string(),
                    std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
                    _ => source.to_string(),
                };
                write!(f, "`{}` cannot be read: {why}", path.display())
            }
            Error::Io { action, path, source } => write!(f, "failed to {action} `{}`: {source}", path.display()),
            Error::Output { source } => write!(f, "failed to write the output: {source}"),
            Error::Encoding { what, reason } => write!(f, "failed to encode {what} as JSON: {reason}"),
            Error::SinkRejected { reason } => write!(f, "the receipt sink rejected a write: {reason}"),
            Error::DependencyCycle { cycle } => {
                let names: Vec<String> = cycle.iter().map(|name| format!("`{name}`")).collect();
                write!(f, "the add-ons depend on each other in a cycle, so none can boot first: {}", names.join(" → "))
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::DotEnvUnreadable { source, .. } | Error::Output { source } => {
                Some(source)
            }
            _ => None,
        }
    }
}

/// The fix for a state-directory failure: the directory (not a file in it, nor a temporary
/// sibling) to check, free space first when the disk is full, and the failed command rerun with
/// another state directory.
fn io_hint(path: &std::path::Path, source: &std::io::Error, command: &str) -> String {
    let dir = if path.is_dir() { path } else { path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(path) };
    let dir = dir.display();
    let elsewhere =
        format!("or choose another state directory: LANCELOT_STATE_DIR=/tmp/lancelot cargo run -- {command}");
    match source.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            format!("the disk holding `{dir}` is full: free space (see df -h {dir}), {elsewhere}")
        }
        _ => format!("check that `{dir}` exists and is writable (ls -ld {dir}), {elsewhere}"),
    }
}

/// The fix for a `.env` that cannot be read as text.
fn dotenv_hint(path: &std::path::Path, source: &std::io::Error) -> String {
    let path = path.display();
    match source.kind() {
        std::io::ErrorKind::InvalidData => {
            format!("save `{path}` as UTF-8 text of `KEY=VALUE` lines; the lines that are not UTF-8: grep -naxv '.*' {path}")
        }
        std::io::ErrorKind::IsADirectory => {
            format!("`{path}` must be a file of `KEY=VALUE` lines, not a directory: move it away, e.g. mv {path} {path}.dir")
        }
        _ => format!(
            "make `{path}` a readable file of `KEY=VALUE` lines (ls -l {path}), or move it away: mv {path} {path}.bak"
        ),
    }
}

/// Something the operator should know about that does not stop the host (an unknown
/// `FEATURE_*` variable, a repaired receipts log). `status` prints warnings and includes them in
/// its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// What happened, lowercase, values in backticks.
    pub message: String,
    /// The exact fix.
    pub hint: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_errors_name_the_variable_value_and_accepted_values() {
        let error = Error::InvalidFlagValue {
            name: "FEATURE_HEALTH_MONITOR".into(),
            value: "maybe".into(),
            origin: FlagOrigin::Environment,
        };
        assert_eq!(
            error.to_string(),
            "`FEATURE_HEALTH_MONITOR=maybe` is not a valid flag value (set in the environment)"
        );
        assert!(error.hint().contains("`true` or `false`"), "{}", error.hint());
        assert_eq!(error.exit_code(), EXIT_USAGE);
    }

    #[test]
    fn io_errors_are_runtime_failures() {
        let error = Error::io("read", "/x", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(error.exit_code(), EXIT_FAILURE);
        assert!(error.to_string().starts_with("failed to read `/x`"), "{error}");
    }

    /// Defect (repro-10): the hint of a `run` or `onboard` stopped by an unwritable state
    /// directory named `status`, asked to check a pid-named temporary file, and gave no advice
    /// on a full disk. It names the directory and the command that failed now.
    #[test]
    fn a_state_directory_failure_names_the_directory_and_the_failed_command() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let error = Error::io("write the state document", "/nonexistent/state/war_room.json", denied);
        assert_eq!(
            error.hint_for("onboard"),
            "check that `/nonexistent/state` exists and is writable (ls -ld /nonexistent/state), or choose another state directory: LANCELOT_STATE_DIR=/tmp/lancelot cargo run -- onboard"
        );
        assert!(error.hint().ends_with("cargo run -- run"), "{}", error.hint());
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let error = Error::io("append to the receipts log", "/nonexistent/state/receipts.jsonl", full);
        assert!(error.hint_for("run").starts_with(
            "the disk holding `/nonexistent/state` is full: free space (see df -h /nonexistent/state), or "
        ));
    }

    /// Defect (repro-9): an unreadable `.env` was a state-directory failure (exit 1, a hint
    /// about `LANCELOT_STATE_DIR`). It is bad input, with a hint about the `.env`.
    #[test]
    fn an_unreadable_dotenv_is_bad_input_with_a_hint_about_it() {
        let not_utf8 = std::io::Error::from(std::io::ErrorKind::InvalidData);
        let error = Error::DotEnvUnreadable { path: ".env".into(), source: not_utf8 };
        assert_eq!(error.exit_code(), EXIT_USAGE);
        assert_eq!(error.to_string(), "`.env` cannot be read: it is not UTF-8 text");
        assert!(error.hint().contains("grep -naxv '.*' .env"), "{}", error.hint());
        let directory = std::io::Error::from(std::io::ErrorKind::IsADirectory);
        let error = Error::DotEnvUnreadable { path: ".env".into(), source: directory };
        assert_eq!(error.to_string(), "`.env` cannot be read: it is a directory");
        assert!(error.hint().contains("mv .env .env.dir"), "{}", error.hint());
    }
}
