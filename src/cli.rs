//! The command line: parses arguments, loads flags (environment + `.env`), opens the receipts log
//! under the state directory, runs the add-ons once and prints the war room. Every error is
//! printed as `error: …` plus a `hint: …` line and mapped to an exit code (0, 1 or 2).
//!
//! This is the only module that prints or touches the process (environment, current directory);
//! it must not hold add-on logic. [`run_with`] takes everything as arguments so tests need no
//! process.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::dotenv::DotEnv;
use crate::error::{Error, Warning, EXIT_FAILURE, EXIT_OK};
use crate::flags::{Flags, REGISTRY};
use crate::host::{Host, Runtime};
use crate::receipts::{JsonLinesLog, TornKind, TornLine};

/// The variable that moves the state directory (default: `.lancelot` under the current directory).
pub const STATE_DIR_VARIABLE: &str = "LANCELOT_STATE_DIR";
/// The state directory's default name.
pub const DEFAULT_STATE_DIR: &str = ".lancelot";
/// The receipts log's file name inside the state directory.
pub const RECEIPTS_FILE: &str = "receipts.jsonl";

/// Everything a run depends on, so it can be run without a process.
pub struct Invocation {
    /// The arguments after the program name.
    pub args: Vec<OsString>,
    /// The environment variables (read, never changed).
    pub environment: Vec<(String, String)>,
    /// The directory `.env` and the default state directory are relative to.
    pub current_dir: PathBuf,
    /// The clock receipts are stamped with.
    pub clock: Arc<dyn Clock>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Help,
    Version,
    Status { json: bool },
    Flags,
}

const HELP: &str = "\
lancelot: the Lancelot runtime host

usage: lancelot <command> [options]

commands:
  status          boot every add-on, run one tick, record receipts and print the war room
  flags           list every registered flag, its value and where the value comes from
  help            print this help

options:
  --json          (status) print the war room as JSON
  -h, --help      print this help
  -V, --version   print the version

environment:
  FEATURE_*            add-on flags: `true` or `false` (default `false`); also read from `.env`
                       in the current directory, the environment wins
  LANCELOT_STATE_DIR   where receipts are kept (default: `.lancelot` in the current directory);
                       also read from `.env`, the environment wins

exit codes: 0 ok, 1 runtime failure (including a failed add-on), 2 bad usage or bad flag values
";

fn help() -> String {
    let flags: Vec<String> =
        REGISTRY.iter().map(|spec| format!("  {:<24} gates `{}`\n", spec.name, spec.addon)).collect();
    format!("{HELP}\nregistered flags:\n{}", flags.concat())
}

/// Runs the command line of this process and returns the exit code.
pub fn run<I>(args: I) -> i32
where
    I: IntoIterator<Item = OsString>,
{
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let current_dir = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(error) => return report(&mut stderr, &Error::io("read the current directory", ".", error)),
    };
    let invocation = Invocation {
        args: args.into_iter().collect(),
        environment: process_environment(),
        current_dir,
        clock: Arc::new(SystemClock),
    };
    run_with(&invocation, &mut stdout, &mut stderr)
}

/// Runs `invocation`, printing to `stdout` and `stderr`; returns the exit code.
pub fn run_with(invocation: &Invocation, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let outcome = parse_args(&invocation.args).and_then(|command| match command {
        Command::Help => write_out(stdout, &help()).map(|()| EXIT_OK),
        Command::Version => write_out(stdout, &format!("lancelot {}\n", env!("CARGO_PKG_VERSION"))).map(|()| EXIT_OK),
        Command::Status { json } => status(invocation, json, stdout, stderr),
        Command::Flags => flags(invocation, stdout, stderr),
    });
    match outcome {
        Ok(code) => code,
        Err(error) => report(stderr, &error),
    }
}

fn parse_args(args: &[OsString]) -> Result<Command, Error> {
    let args: Vec<&str> = args
        .iter()
        .map(|arg| {
            arg.to_str().ok_or_else(|| Error::Usage {
                message: format!("argument `{}` is not valid UTF-8", arg.to_string_lossy()),
                hint: "run: cargo run -- status".to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    if args.iter().any(|arg| matches!(*arg, "-h" | "--help")) {
        return Ok(Command::Help);
    }
    match args.as_slice() {
        [] => Err(Error::Usage {
            message: "no command given".to_string(),
            hint: "show the war room: cargo run -- status (see cargo run -- --help)".to_string(),
        }),
        ["help"] => Ok(Command::Help),
        ["flags"] => Ok(Command::Flags),
        ["flags", other, ..] => Err(Error::Usage {
            message: format!("unexpected argument `{other}` for `flags`"),
            hint: "run: cargo run -- flags".to_string(),
        }),
        ["-V" | "--version"] => Ok(Command::Version),
        ["status", options @ ..] => {
            let mut json = false;
            for option in options {
                match *option {
                    "--json" => json = true,
                    other => {
                        return Err(Error::Usage {
                            message: format!("unexpected argument `{other}` for `status`"),
                            hint: "run: cargo run -- status --json".to_string(),
                        })
                    }
                }
            }
            Ok(Command::Status { json })
        }
        [other, ..] => Err(Error::Usage {
            message: format!("unknown command `{other}`"),
            hint: "the commands are `status`, `flags` and `help`: cargo run -- status".to_string(),
        }),
    }
}

fn status(invocation: &Invocation, json: bool, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32, Error> {
    let dotenv = DotEnv::load(&invocation.current_dir.join(".env"))?;
    let flags = Flags::resolve(invocation.environment.iter().cloned(), dotenv.as_ref())?;
    let receipts_path = state_dir(invocation, dotenv.as_ref())?.join(RECEIPTS_FILE);
    let (log, torn) = JsonLinesLog::open(&receipts_path)?;
    let mut host = Host::new(flags, invocation.clock.clone(), Box::new(log));
    if let Some(torn) = torn {
        host.add_warning(torn_line_warning(&receipts_path, &torn));
    }
    let mut runtime = Runtime::new(host, crate::core::addons());
    runtime.boot()?;
    runtime.tick()?;
    let room = runtime.war_room();
    for warning in &room.warnings {
        write_out(stderr, &format!("warning: {}\nhint: {}\n", warning.message, warning.hint))?;
    }
    if json {
        write_out(stdout, &(room.to_json()? + "\n"))?;
    } else {
        write_out(stdout, &room.render_table())?;
    }
    Ok(if room.any_failed() { EXIT_FAILURE } else { EXIT_OK })
}

/// What `status` says about a last line that had no newline: it was kept, and why it had none.
fn torn_line_warning(path: &Path, torn: &TornLine) -> Warning {
    let (path, offset, length) = (path.display(), torn.offset, torn.length);
    match &torn.kind {
        TornKind::Interrupted(reason) => Warning {
            message: format!(
                "the last line of `{path}` was torn ({length} bytes at byte {offset}: {reason}); kept it and started the next receipt on a new line"
            ),
            hint: "nothing to do: it was a receipt whose write was interrupted; readers skip it".to_string(),
        },
        TornKind::MissingNewline => Warning {
            message: format!(
                "the last line of `{path}` ({length} bytes at byte {offset}) had no trailing newline; added it"
            ),
            hint: "nothing to do: the receipt is complete and kept".to_string(),
        },
        TornKind::TooLong => Warning {
            message: format!(
                "the last {length} bytes of `{path}` hold no newline, more than any receipt; kept them and started the next receipt on a new line"
            ),
            hint: format!("something other than the runtime wrote to the log; look at its end: tail -c 2000 {path}"),
        },
    }
}

/// Every registered flag as a `.env` line with its value, and where that value came from: the
/// flag documentation that no slice has to edit, since the registry is discovered at build time.
fn flags(invocation: &Invocation, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32, Error> {
    let dotenv = DotEnv::load(&invocation.current_dir.join(".env"))?;
    let flags = Flags::resolve(invocation.environment.iter().cloned(), dotenv.as_ref())?;
    for warning in flags.warnings() {
        write_out(stderr, &format!("warning: {}\nhint: {}\n", warning.message, warning.hint))?;
    }
    let mut out = String::new();
    for state in flags.states() {
        let line = format!("{}={}", state.spec.name, state.enabled);
        out.push_str(&format!("{line:<40} # gates `{}`; from {}\n", state.spec.addon, state.origin));
    }
    write_out(stdout, &out)?;
    Ok(EXIT_OK)
}

/// `LANCELOT_STATE_DIR` from the environment, else from `.env`, else `.lancelot`; relative paths
/// are relative to the current directory.
fn state_dir(invocation: &Invocation, dotenv: Option<&DotEnv>) -> Result<PathBuf, Error> {
    let configured = invocation
        .environment
        .iter()
        .rev()
        .find(|(name, _)| name == STATE_DIR_VARIABLE)
        .map(|(_, value)| value)
        .or_else(|| dotenv.and_then(|dotenv| dotenv.get(STATE_DIR_VARIABLE)).map(|entry| &entry.value));
    match configured {
        None => Ok(invocation.current_dir.join(DEFAULT_STATE_DIR)),
        Some(value) if value.trim().is_empty() => Err(Error::InvalidSetting {
            name: STATE_DIR_VARIABLE.to_string(),
            reason: "is set but empty".to_string(),
            hint: format!(
                "unset it to use `{DEFAULT_STATE_DIR}`, or name a directory: {STATE_DIR_VARIABLE}=/var/lib/lancelot"
            ),
        }),
        Some(value) if value.contains(char::REPLACEMENT_CHARACTER) => Err(Error::InvalidSetting {
            name: STATE_DIR_VARIABLE.to_string(),
            reason: "is not valid UTF-8".to_string(),
            hint: format!("name a directory with a UTF-8 path: {STATE_DIR_VARIABLE}=/var/lib/lancelot"),
        }),
        Some(value) => Ok(invocation.current_dir.join(Path::new(value))),
    }
}

/// The process environment as UTF-8 pairs. A non-UTF-8 `FEATURE_*` value is kept (lossily) so
/// it is refused as an invalid flag value rather than silently dropped; other non-UTF-8
/// variables are none of the runtime's business.
fn process_environment() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            match value.into_string() {
                Ok(value) => Some((name, value)),
                Err(value) if name.starts_with(crate::flags::FLAG_PREFIX) || name == STATE_DIR_VARIABLE => {
                    Some((name, value.to_string_lossy().into_owned()))
                }
                Err(_) => None,
            }
        })
        .collect()
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|error| Error::io("write to", "the output", error))
}

fn report(stderr: &mut dyn Write, error: &Error) -> i32 {
    // If stderr itself is gone there is nowhere left to report to; the exit code still tells.
    let _ = write!(stderr, "error: {error}\nhint: {}\n", error.hint());
    error.exit_code()
}
