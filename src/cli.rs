//! The command line: parses arguments, loads flags (environment + `.env`), opens the receipts log
//! under the state directory, and runs one command: `status` (the war room a host persisted, or
//! one boot when none did), `run` (the long-running host), `onboard` (system READY) or `flags`.
//! Every error is printed as `error: …` plus a `hint: …` line and mapped to an exit code (0, 1
//! or 2).
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
use crate::ready::Readiness;
use crate::receipts::{JsonLinesLog, TornKind, TornLine};
use crate::run_loop::{self, RunOptions, Stopped};
use crate::state::Read;
use crate::war_room::{AddonStatus, PersistedWarRoom, WarRoom};

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
    /// The clock receipts are stamped with and `run` ticks on.
    pub clock: Arc<dyn Clock>,
    /// How `run` waits about that many milliseconds between ticks (the process sleeps; tests
    /// advance a manual clock).
    pub pause: Arc<dyn Fn(u64) + Send + Sync>,
    /// Whether the process was asked to stop (SIGINT/SIGTERM), polled by `run`.
    pub stop_requested: fn() -> bool,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Help,
    Version,
    Status { json: bool },
    Run { options: RunOptions, json: bool },
    Onboard,
    Flags,
}

const HELP: &str = "\
lancelot: the Lancelot runtime host

usage: lancelot <command> [options]

commands:
  run             the host: boot every add-on in dependency order, tick them and run their jobs
                  (only while the system is READY and their dependencies are healthy), persist
                  the war room and state; stops cleanly on SIGINT/SIGTERM
  status          print the war room a running (or the last) `run` persisted, and its age; when
                  no host ever ran, boot every add-on once, tick once, and print that
  onboard         verify every mandatory add-on and persist READY (or why not)
  flags           list every registered flag, its value and where the value comes from
  help            print this help

options:
  --once          (run) one tick, then stop
  --for <time>    (run) stop after this long, e.g. `3s`, `500ms`, `2m`
  --tick <time>   (run) time between ticks (default `1s`)
  --json          (status, run) print the war room as JSON
  -h, --help      print this help
  -V, --version   print the version

environment:
  FEATURE_*            add-on flags: `true` or `false` (default `false`); also read from `.env`
                       in the current directory, the environment wins
  LANCELOT_STATE_DIR   where receipts are kept (default: `.lancelot` in the current directory);
                       also read from `.env`, the environment wins

state directory: `receipts.jsonl` (every receipt fsynced as it is appended), `war_room.json`
(rewritten atomically after a tick that changed it, at least every 5s, and at a clean stop),
`ready.json`, and `state/<addon>.json` (each add-on's versioned slot); an unreadable or newer
file is renamed aside (`*.corrupt-<ms>`, `*.v<N>-<ms>`) and reported, never deleted

exit codes: 0 ok (`run`: stopped as asked), 1 runtime failure (a failed add-on for `status`, a
dependency cycle, an unwritable state directory; `onboard`: not READY), 2 bad usage or bad flag
values
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
        Err(error) => return report(&mut stderr, &Error::io("read the current directory", ".", error), "status"),
    };
    let invocation = Invocation {
        args: args.into_iter().collect(),
        environment: process_environment(),
        current_dir,
        clock: Arc::new(SystemClock),
        pause: Arc::new(|ms| std::thread::sleep(std::time::Duration::from_millis(ms))),
        stop_requested: crate::signals::stop_requested,
    };
    if matches!(invocation.args.first().and_then(|arg| arg.to_str()), Some("run")) {
        // Only the long-running host turns SIGINT/SIGTERM into a clean stop.
        crate::signals::install();
    }
    run_with(&invocation, &mut stdout, &mut stderr)
}

/// Runs `invocation`, printing to `stdout` and `stderr`; returns the exit code.
pub fn run_with(invocation: &Invocation, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let outcome = parse_args(&invocation.args).and_then(|command| match command {
        Command::Help => write_out(stdout, &help()).map(|()| EXIT_OK),
        Command::Version => write_out(stdout, &format!("lancelot {}\n", env!("CARGO_PKG_VERSION"))).map(|()| EXIT_OK),
        Command::Status { json } => status(invocation, json, stdout, stderr),
        Command::Run { options, json } => run_host(invocation, options, json, stdout, stderr),
        Command::Onboard => onboard(invocation, stdout, stderr),
        Command::Flags => flags(invocation, stdout, stderr),
    });
    match outcome {
        Ok(code) => code,
        Err(error) => report(stderr, &error, command_name(&invocation.args)),
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
        ["run", options @ ..] => parse_run(options),
        ["onboard"] => Ok(Command::Onboard),
        ["onboard", other, ..] => Err(Error::Usage {
            message: format!("unexpected argument `{other}` for `onboard`"),
            hint: "run: cargo run -- onboard".to_string(),
        }),
        [other, ..] => Err(Error::Usage {
            message: format!("unknown command `{other}`"),
            hint: "the commands are `run`, `status`, `onboard`, `flags` and `help`: cargo run -- status".to_string(),
        }),
    }
}

fn parse_run(options: &[&str]) -> Result<Command, Error> {
    let usage = |message: String| Error::Usage { message, hint: "for example: cargo run -- run --for 3s".to_string() };
    let mut run = RunOptions { once: false, for_ms: None, tick_ms: run_loop::DEFAULT_TICK_MS };
    let mut json = false;
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        let (name, inline) = match option.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value)),
            _ => (*option, None),
        };
        let mut value = || {
            inline
                .or_else(|| rest.next().copied())
                .ok_or_else(|| usage(format!("`{name}` needs a duration, e.g. `3s`")))
        };
        match name {
            "--once" if inline.is_none() => run.once = true,
            "--json" if inline.is_none() => json = true,
            "--for" => run.for_ms = Some(run_loop::parse_duration(value()?).map_err(usage)?),
            "--tick" => match run_loop::parse_duration(value()?).map_err(usage)? {
                0 => return Err(usage("`--tick` must be longer than `0ms`".to_string())),
                tick_ms => run.tick_ms = tick_ms,
            },
            "--once" | "--json" => {
                return Err(usage(format!("`{name}` takes no value: write `{name}`, not `{option}`")))
            }
            other => return Err(usage(format!("unexpected argument `{other}` for `run`"))),
        }
    }
    if run.once && run.for_ms.is_some() {
        return Err(usage("`--once` and `--for` cannot be combined".to_string()));
    }
    Ok(Command::Run { options: run, json })
}

/// Everything a command that boots add-ons needs: flags, the state directory and the receipts log.
struct Setup {
    host: Host,
    state_dir: PathBuf,
}

fn setup(invocation: &Invocation) -> Result<Setup, Error> {
    let dotenv = DotEnv::load(&invocation.current_dir.join(".env"))?;
    let flags = Flags::resolve(invocation.environment.iter().cloned(), dotenv.as_ref())?;
    let state_dir = state_dir(invocation, dotenv.as_ref())?;
    let receipts_path = state_dir.join(RECEIPTS_FILE);
    let (log, torn) = JsonLinesLog::open(&receipts_path)?;
    let mut host = Host::new(flags, invocation.clock.clone(), Box::new(log));
    if let Some(torn) = torn {
        host.add_warning(torn_line_warning(&receipts_path, &torn));
    }
    Ok(Setup { host, state_dir })
}

fn status(invocation: &Invocation, json: bool, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32, Error> {
    let dotenv = DotEnv::load(&invocation.current_dir.join(".env"))?;
    // Bad flag values are refused even when nothing boots.
    Flags::resolve(invocation.environment.iter().cloned(), dotenv.as_ref())?;
    let state_dir = state_dir(invocation, dotenv.as_ref())?;
    let now_ms = invocation.clock.now_ms();
    let mut warnings = Vec::new();
    // `status` only reads: a newer runtime's document stays where it is (a newer host may be
    // running on it), and READY is what `ready.json` holds now, not what the host last saw.
    let (readiness, warning) = crate::ready::peek(&state_dir, now_ms)?;
    warnings.extend(warning);
    let room = match PersistedWarRoom::peek(&state_dir, now_ms)? {
        Read::Found { data, saved_at_ms, .. } => {
            let mut room = data.as_read_at(saved_at_ms, now_ms);
            if let Some(readiness) = readiness {
                room.system = readiness;
            }
            room
        }
        missing_or_unusable => {
            if let Read::KeptAside(warning) | Read::LeftInPlace(warning) = missing_or_unusable {
                warnings.push(warning);
            }
            boot_once(invocation, readiness.unwrap_or_default())?
        }
    };
    print_war_room(&room, &warnings, json, stdout, stderr)?;
    Ok(if room.any_failed() { EXIT_FAILURE } else { EXIT_OK })
}

/// No host ever persisted a war room: boot every add-on once and tick once (their upkeep; no
/// job runs from `status`), without persisting anything but receipts.
fn boot_once(invocation: &Invocation, readiness: Readiness) -> Result<WarRoom, Error> {
    let Setup { host, .. } = setup(invocation)?;
    let mut runtime = Runtime::new(host, crate::core::addons()).with_readiness(readiness);
    runtime.boot()?;
    runtime.upkeep()?;
    Ok(runtime.war_room())
}

fn print_war_room(
    room: &WarRoom,
    extra_warnings: &[Warning],
    json: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Error> {
    for warning in room.warnings.iter().chain(extra_warnings) {
        write_out(stderr, &format!("warning: {}\nhint: {}\n", warning.message, warning.hint))?;
    }
    if json {
        write_out(stdout, &(room.to_json()? + "\n"))
    } else {
        write_out(stdout, &room.render_table())
    }
}

/// `lancelot run`: the long-running host.
fn run_host(
    invocation: &Invocation,
    options: RunOptions,
    json: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let Setup { host, state_dir } = setup(invocation)?;
    let mut runtime = Runtime::new(host, crate::core::addons()).persisting_in(&state_dir)?;
    runtime.boot()?;
    for warning in runtime.host().warnings() {
        write_out(stderr, &format!("warning: {}\nhint: {}\n", warning.message, warning.hint))?;
    }
    let length = match (options.once, options.for_ms) {
        (true, _) => "once".to_string(),
        (false, Some(for_ms)) => format!("every {} for {}", millis(options.tick_ms), millis(for_ms)),
        (false, None) => format!("every {} until SIGINT/SIGTERM", millis(options.tick_ms)),
    };
    write_out(
        stderr,
        &format!(
            "lancelot run: booted {} in dependency order ({}); system: {}; ticking {length}; state in `{}`\n",
            plural(runtime.order().len(), "add-on"),
            runtime.order().join(", "),
            runtime.readiness().describe(),
            state_dir.display()
        ),
    )?;
    let pause = invocation.pause.clone();
    let summary =
        run_loop::run(&mut runtime, invocation.clock.as_ref(), options, &invocation.stop_requested, &mut |ms| {
            pause(ms)
        })?;
    let why = match summary.stopped {
        Stopped::Once => "as asked (`--once`)",
        Stopped::Deadline => "as asked (`--for`)",
        Stopped::Requested => "on SIGINT/SIGTERM",
    };
    write_out(
        stderr,
        &format!(
            "lancelot run: stopped {why} after {}; {} recorded; war room and state saved in `{}`\n",
            plural(summary.ticks as usize, "tick"),
            plural(runtime.receipts_recorded() as usize, "receipt"),
            state_dir.display()
        ),
    )?;
    let room = runtime.war_room();
    if json {
        write_out(stdout, &(room.to_json()? + "\n"))?;
    } else {
        write_out(stdout, &room.render_table())?;
    }
    Ok(EXIT_OK)
}

/// `lancelot onboard`: boot, tick once, verify every mandatory add-on, persist READY or why not.
fn onboard(invocation: &Invocation, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32, Error> {
    let Setup { host, state_dir } = setup(invocation)?;
    let mut runtime = Runtime::new(host, crate::core::addons()).persisting_in(&state_dir)?;
    runtime.boot()?;
    runtime.upkeep()?;
    for warning in runtime.host().warnings() {
        write_out(stderr, &format!("warning: {}\nhint: {}\n", warning.message, warning.hint))?;
    }
    let verifications = runtime.onboard()?;
    let mut out = if verifications.is_empty() {
        "onboard: no add-on is mandatory\n".to_string()
    } else {
        format!("onboard: {}\n", plural(verifications.len(), "mandatory add-on"))
    };
    let width = verifications.iter().map(|v| v.addon.len()).max().unwrap_or(0);
    for verification in &verifications {
        let line = match &verification.outcome {
            Ok(()) => format!("  ok      {:<width$}  verified\n", verification.addon),
            Err(reason) => format!("  failed  {:<width$}  {reason}\n", verification.addon),
        };
        out.push_str(&line);
    }
    out.push_str(&format!(
        "system: {} (persisted in `{}`)\n",
        runtime.readiness().describe(),
        crate::ready::path(&state_dir).display()
    ));
    write_out(stdout, &out)?;
    if runtime.readiness().ready {
        return Ok(EXIT_OK);
    }
    let flags = runtime.host().flags();
    let fix = verifications
        .iter()
        .find(|v| v.outcome.is_err())
        .and_then(|v| runtime.war_room().entries.into_iter().find(|entry| entry.addon == v.addon))
        .map_or_else(
            || "see the war room: cargo run -- status".to_string(),
            |entry| {
                // A flag set in front of a command holds for that command alone: `onboard` and
                // the host both need the add-on on, so the hint sets it for both.
                let flag: &[&str] = &[&entry.flag];
                let (onboard, run) = (flags.command(flag, "onboard"), flags.command(flag, "run"));
                match (entry.status, entry.recovery_actions.first()) {
                    (AddonStatus::Disabled, _) => {
                        format!("enable `{}` for `onboard` and for the host: {onboard} && {run}", entry.addon)
                    }
                    (_, Some(action)) => {
                        format!("fix `{}` ({action}), then: {}", entry.addon, flags.command(&[], "onboard"))
                    }
                    (_, None) => format!("see why `{}` is not ready (its row): cargo run -- status", entry.addon),
                }
            },
        );
    write_out(stderr, &format!("error: the system is not READY\nhint: {fix}\n"))?;
    Ok(EXIT_FAILURE)
}

/// `1s`, `250ms`, `1500ms`: a duration as `--for` and `--tick` accept it.
fn millis(ms: u64) -> String {
    if ms.is_multiple_of(1_000) {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

fn plural(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
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
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|source| Error::Output { source })
}

/// Prints `error` with the hint for `command` (`run`, `status`, …), returns its exit code.
fn report(stderr: &mut dyn Write, error: &Error, command: &str) -> i32 {
    // If stderr itself is gone there is nowhere left to report to; the exit code still tells.
    let _ = write!(stderr, "error: {error}\nhint: {}\n", error.hint_for(command));
    error.exit_code()
}

/// The command `args` run, for hints that rerun it: `status` when there is none.
fn command_name(args: &[OsString]) -> &str {
    match args.first().and_then(|arg| arg.to_str()) {
        Some(command @ ("run" | "status" | "onboard" | "flags")) => command,
        _ => "status",
    }
}
