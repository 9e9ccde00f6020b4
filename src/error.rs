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
            | Error::InvalidSetting { .. } => EXIT_USAGE,
            Error::Io { .. } | Error::Encoding { .. } | Error::SinkRejected { .. } | Error::DependencyCycle { .. } => {
                EXIT_FAILURE
            }
        }
    }

    /// The exact fix, shown as a `hint:` line.
    pub fn hint(&self) -> String {
        match self {
            Error::Usage { hint, .. } => hint.clone(),
            Error::InvalidFlagValue { name, origin, .. } => match origin {
                FlagOrigin::DotEnv { path, line } => format!(
                    "accepted values are `true` or `false`: change line {line} of `{}` to `{name}=false` (or `{name}=true`)",
                    path.display()
                ),
                _ => format!("accepted values are `true` or `false`: {name}=false cargo run -- status"),
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
            Error::Io { path, .. } => format!(
                "check that `{}` exists and is writable, or choose another state directory: LANCELOT_STATE_DIR=/tmp/lancelot cargo run -- status",
                path.display()
            ),
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
            Error::Io { action, path, source } => write!(f, "failed to {action} `{}`: {source}", path.display()),
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
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
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
}
