//! Terminal output: colour only on a terminal and never with `NO_COLOR`, and the helpers every
//! command uses to say what it did. Commands decide *what* to print; this module decides *how*,
//! and passes every message through the redaction layer (`redact.rs`) on the way out.
//!
//! All stdout goes through [`write_stdout`] (the `outln!` and `out!` macros are its `println!`
//! and `print!`). A reader that goes away (`cargo xtask status | head -1`) closes the pipe: the
//! first write that finds it closed switches stdout off for the rest of the run, and the command
//! finishes as it would have (its plan applied or rolled back, its receipt written, an autostash
//! restored) instead of panicking with exit 101. Exiting on the spot would skip exactly that
//! cleanup. The tidy test (`xtask/tests/tidy.rs`) keeps `println!` out of every other module.

use std::io::{IsTerminal, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout could not be written: the rest of the run prints nothing more there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

// The macros are in scope in every module: `main.rs` declares this module first, `#[macro_use]`;
// exported for the bench beside the tool (`xtask/bench/`).

/// `println!` through the output layer: quiet on a closed pipe instead of a panic.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)+) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)+)))
    };
}

/// `print!` through the output layer: quiet on a closed pipe instead of a panic.
#[macro_export]
macro_rules! out {
    ($($arg:tt)+) => {
        $crate::output::write_stdout(format_args!($($arg)+))
    };
}

/// `eprintln!` through the output layer: a closed stderr is ignored instead of a panic.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)+) => {
        $crate::output::write_stderr(format_args!("{}\n", format_args!($($arg)+)))
    };
}

/// `eprint!` through the output layer: a closed stderr is ignored instead of a panic.
#[macro_export]
macro_rules! err {
    ($($arg:tt)+) => {
        $crate::output::write_stderr(format_args!($($arg)+))
    };
}

/// Writes to stderr, ignoring failure (`2>&1 | head -1` closes it too): there is nowhere left
/// to say that stderr failed, and the exit code still tells.
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// Writes to stdout. When the reader has gone (`BrokenPipe`), stdout is switched off for the
/// rest of the run, silently: what the reader wanted was printed. Any other failure (a full
/// disk behind a redirect) says so once on stderr, then switches stdout off the same way.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_fmt(args) {
        if !STDOUT_CLOSED.swap(true, Ordering::Relaxed) && error.kind() != std::io::ErrorKind::BrokenPipe {
            warning(format!("stdout cannot be written ({error}); the rest of the output is dropped"));
        }
    }
}

/// Whether stdout was found closed during this run (see [`write_stdout`]).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// ANSI styling that is a no-op when the stream is not a terminal or `NO_COLOR` is set.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    enabled: bool,
}

impl Paint {
    pub fn stdout() -> Paint {
        Paint { enabled: color_allowed() && std::io::stdout().is_terminal() }
    }

    pub fn stderr() -> Paint {
        Paint { enabled: color_allowed() && std::io::stderr().is_terminal() }
    }

    /// No styling at all (tests; text that is not printed on a stream).
    #[cfg(test)]
    pub fn disabled() -> Paint {
        Paint { enabled: false }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    pub fn red_bold(self, text: &str) -> String {
        self.wrap("1;31", text)
    }
    pub fn green_bold(self, text: &str) -> String {
        self.wrap("1;32", text)
    }
    pub fn yellow_bold(self, text: &str) -> String {
        self.wrap("1;33", text)
    }
    pub fn cyan_bold(self, text: &str) -> String {
        self.wrap("1;36", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
}

fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Prints a cargo-style status line: a right-aligned green verb, then the message (redacted).
pub fn status(verb: &str, message: impl std::fmt::Display) {
    let paint = Paint::stdout();
    outln!("{} {}", paint.green_bold(&format!("{verb:>12}")), crate::redact::text(&message.to_string()));
}

/// Prints a warning line to stderr (redacted).
pub fn warning(message: impl std::fmt::Display) {
    let paint = Paint::stderr();
    errln!("{} {}", paint.yellow_bold("warning:"), crate::redact::text(&message.to_string()));
}

/// Prints a hint, `hint:` on each line (a why, then one command a line), to stderr.
pub fn hint(text: &str) {
    let paint = Paint::stderr();
    for line in text.lines() {
        errln!("{} {}", paint.cyan_bold("hint:"), crate::redact::text(line));
    }
}

/// Renders rows as an aligned plain-text table (first row is the header).
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            widths[index] = widths[index].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate() {
            if index + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[index] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
/// One `Created` / `Edited` / `Removed` line per change an applied plan made.
pub fn applied(changes: &[crate::plan::Change]) {
    for change in changes {
        let verb = match change {
            crate::plan::Change::Create { .. } => "Created",
            crate::plan::Change::Edit { .. } => "Edited",
            crate::plan::Change::Delete { .. } => "Removed",
        };
        status(verb, change.path());
    }
}

/// `text` as one POSIX shell word, for hints an engineer pastes: bare when it is plain (and does
/// not look like an option), single-quoted otherwise. The one quoter every hint uses.
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with('-')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "._/-+=:@,%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// `--json`, shared by every command that reports (`#[command(flatten)]`): one declaration, one
/// help text. The report printed is a typed [`Report`].
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct JsonArg {
    /// Print the result as JSON (a typed report with a `version` field; docs/json.md)
    #[arg(long)]
    pub json: bool,
}

/// `--dry-run`, shared by every command that changes something (`#[command(flatten)]`).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct DryRunArg {
    /// Print what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// A command's `--json` report: a typed struct whose shape is documented in `docs/json.md`.
/// `VERSION` goes up when a field is removed or changes meaning (adding one does not).
pub trait Report: serde::Serialize {
    /// The `version` field of this report.
    const VERSION: u32;
}

/// Prints `report` as pretty JSON on stdout, `{"version": N, ...its fields}`, redacted like
/// every other output: each string before it is encoded, so that a secret is found in its text
/// (a multi-line one too), not in its JSON escapes. The one way a `--json` report is printed.
pub fn json<R: Report>(report: &R) -> anyhow::Result<()> {
    print_json_text(&json_text(report)?);
    Ok(())
}

/// Prints a report's text made by [`json_text`] (kept by `status`): this run's report.
pub fn print_json_text(text: &str) {
    REPORTED.store(true, Ordering::Relaxed);
    outln!("{text}");
}

/// Whether this run printed its `--json` report (see [`json_error`]).
static REPORTED: AtomicBool = AtomicBool::new(false);

/// The report of a `--json` run that failed before printing its own (docs/json.md): the error,
/// its hint and exit code, on stdout where a script reads the report. Nothing when the run's
/// report was printed already (it carries its own `error`).
pub fn json_error(error: &anyhow::Error) {
    if REPORTED.load(Ordering::Relaxed) {
        return;
    }
    let causes: Vec<String> = error.chain().skip(1).map(ToString::to_string).collect();
    let report = ErrorReport {
        ok: false,
        error: error.to_string(),
        causes,
        hint: crate::error::hint_of(error),
        exit_code: crate::error::exit_code(error),
    };
    // Printing it is the last thing a failed run does: a failure to print has no one to tell.
    let _ = json(&report);
}

/// A `--json` run's error report (docs/json.md, "a failed command").
#[derive(serde::Serialize)]
struct ErrorReport {
    ok: bool,
    error: String,
    causes: Vec<String>,
    hint: Option<String>,
    exit_code: i32,
}

impl Report for ErrorReport {
    const VERSION: u32 = 1;
}

/// What [`json`] prints, for a command that keeps it (`status` stores its war room's text).
pub fn json_text<R: Report>(report: &R) -> anyhow::Result<String> {
    let mut fields = serde_json::to_value(report)?;
    crate::redact::json(&mut fields);
    versioned(R::VERSION, &fields)
}

/// `version` first, then the report's fields (in serde_json's order: sorted by key), pretty.
/// Spliced as text: serde's `flatten` buffers the whole report once more, which cost a
/// thousand-row `status --json` more than building it.
fn versioned(version: u32, fields: &serde_json::Value) -> anyhow::Result<String> {
    let version_line = format!("\"version\": {version}");
    // `Value`'s own alternate `Display` is the pretty printer, compiled in serde_json.
    let pretty = format!("{fields:#}");
    Ok(match pretty.strip_prefix("{\n") {
        Some(rest) if fields.is_object() => format!("{{\n  {version_line},\n{rest}"),
        _ if fields.as_object().is_some_and(serde_json::Map::is_empty) => format!("{{\n  {version_line}\n}}"),
        _ => anyhow::bail!("a --json report is an object"),
    })
}

#[cfg(test)]
mod tests {
    /// The spliced report is exactly what serde's `flatten` printed: `version` first, then the
    /// fields sorted, pretty; an empty report is its version alone; a non-object is refused.
    #[test]
    fn versioned_reports_put_the_version_first() {
        let fields = serde_json::json!({ "b": { "x": [1, 2] }, "a": "text" });
        assert_eq!(
            super::versioned(3, &fields).unwrap(),
            "{\n  \"version\": 3,\n  \"a\": \"text\",\n  \"b\": {\n    \"x\": [\n      1,\n      2\n    ]\n  }\n}"
        );
        assert_eq!(super::versioned(1, &serde_json::json!({})).unwrap(), "{\n  \"version\": 1\n}");
        assert!(super::versioned(1, &serde_json::json!([1])).is_err());
    }
}
