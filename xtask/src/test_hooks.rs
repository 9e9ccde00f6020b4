//! Test-only fault injection, the one place the test suite steers the binary it drives, and only
//! ever at named points of a run, never after a delay: a run killed at an exact point, a run held
//! at an exact point until the test lets it go (a file handshake, no timer), a trace of the points
//! a run passed, a disk that fills up, a conflict prediction that is skipped, a trace of the run
//! lock.
//!
//! Compiled in only with the `test-hooks` feature. It is a default feature so that `cargo test`
//! builds the binary the integration tests drive with it; the `cargo xtask` alias builds with
//! `--no-default-features`, so the tool engineers run reads none of these variables and every
//! function here is a no-op.
//!
//! The points a run passes, by name:
//! - an applied plan (`plan.rs`): `plan:start` (its journal written, the lock held), `plan:branch`
//!   (the branch created and checked out), `plan:<path>` after each planned path, and
//!   `write:<file name>` between writing a file's temporary and renaming it into place (the
//!   journal's is `write:journal`; a name reached again is `<name>#<n>`);
//! - a checkout through git2: `checkout:<n>` once it has reported `n` files (never traced);
//! - `pre-pr` (`pre_pr/`): `pre-pr:<step>` before each step of its pipeline and
//!   `pre-pr:receipt:<step>` once it ran, before its receipt; inside the steps `pre-pr:stashed`,
//!   `pre-pr:fetch`, `pre-pr:predict`, `pre-pr:rebase` (or `pre-pr:merge`) and `pre-pr:synced`;
//!   and `pre-pr:signal` in the signal handler, once it knows of the signal.
//! - `sync` (`sync_cmd.rs`): `sync:saved` (the state on disk), `sync:stashed`, `sync:upstream`
//!   and `sync:main` before each rebase or merge, `sync:restore`, `sync:restored` (the work put
//!   back, the state not yet gone) and `sync:cleared`.
//! - a prompt (`prompt.rs`): `prompt:begins`, once Ctrl-C is its key and before the terminal is
//!   in raw mode; and `signal:prompt` in the signal handler, for a signal during a prompt.
//!
//! The knobs:
//! - `XTASK_TEST_KILL_AT=<point>`: the process SIGKILLs itself there, as `kill -9` would.
//! - `XTASK_TEST_HOLD_AT=<point>` with `XTASK_TEST_HOLD_DIR=<dir>`: there, the run creates
//!   `<dir>/reached` (holding the point's name) and waits until the test creates
//!   `<dir>/release`, or kills it. The test holds a run at an exact point, with no timing guess.
//! - `XTASK_TEST_POINTS=<file>`: appends each point's name to that file as it is reached, so a
//!   test can list every point of a run, and prove which one a kill landed on.

/// A named point of a run: traced, and where a test kills or holds the run. A name reached again
/// in the same run is a point of its own, `<name>#<n>` (the module and the test of a slice are
/// both `write:scheduler.rs`: the second is `write:scheduler.rs#2`).
pub fn point(name: &str) {
    #[cfg(feature = "test-hooks")]
    {
        let name = occurrence(name);
        if let Some(trace) = std::env::var_os("XTASK_TEST_POINTS") {
            append_line(std::path::Path::new(&trace), &name);
        }
        kill_or_hold(&name);
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = name;
}

/// `name`, or `name#<n>` the `n`th time this run reaches it.
#[cfg(feature = "test-hooks")]
fn occurrence(name: &str) -> String {
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    seen.push(name.to_string());
    match seen.iter().filter(|seen| *seen == name).count() {
        1 => name.to_string(),
        n => format!("{name}#{n}"),
    }
}

#[cfg(feature = "test-hooks")]
fn kill_or_hold(name: &str) {
    if std::env::var("XTASK_TEST_KILL_AT").is_ok_and(|at| at == name) {
        die();
    }
    if std::env::var("XTASK_TEST_HOLD_AT").is_ok_and(|at| at == name) {
        hold(name);
    }
}

/// Called once an applied plan's journal is written, before its first step.
pub fn plan_starting() {
    point("plan:start");
}

/// Called after each step of an applied plan: `branch`, or a planned path.
pub fn after_step(step: &str) {
    #[cfg(feature = "test-hooks")]
    point(&format!("plan:{step}"));
    #[cfg(not(feature = "test-hooks"))]
    let _ = step;
}

/// Between writing a file's temporary and renaming it into place: `write:<file name>`, and
/// `write:journal` for a run's journal (whose name holds the run's pid).
pub fn in_write(file_name: &str) {
    #[cfg(feature = "test-hooks")]
    if file_name.starts_with("journal.") && file_name.ends_with(".json") {
        point("write:journal");
    } else {
        point(&format!("write:{file_name}"));
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = file_name;
}

/// Called by a checkout's progress report, `done` files so far: the point `checkout:<done>`,
/// never traced (a checkout reports every file).
pub fn in_checkout(done: usize) {
    #[cfg(feature = "test-hooks")]
    kill_or_hold(&format!("checkout:{done}"));
    #[cfg(not(feature = "test-hooks"))]
    let _ = done;
}

/// Ends the process as `kill -9` does (no destructor, no cleanup, no exit code): the fault the
/// crash journal and the OS lock are built for. Through `kill` itself, since the tool has no
/// `unsafe`; should that fail, an abort ends the run as abruptly.
#[cfg(feature = "test-hooks")]
fn die() -> ! {
    let _ = std::process::Command::new("kill").args(["-KILL", &std::process::id().to_string()]).status();
    std::process::abort()
}

/// Says the run reached `name` (`<dir>/reached`, complete once it exists) and waits for
/// `<dir>/release`.
#[cfg(feature = "test-hooks")]
fn hold(name: &str) {
    let Some(dir) = std::env::var_os("XTASK_TEST_HOLD_DIR").map(std::path::PathBuf::from) else { return };
    let partial = dir.join("reached.partial");
    append_line(&partial, name);
    let _ = std::fs::rename(&partial, dir.join("reached"));
    // Polls the file system, never a clock: the test, not a delay, decides when it goes on.
    while !dir.join("release").exists() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[cfg(feature = "test-hooks")]
fn append_line(path: &std::path::Path, line: &str) {
    use std::io::Write as _;
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        // One short line per write: appends this small are atomic.
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
}

/// With `XTASK_TEST_DISK_FULL` set to a file name: whether creating `temporary` (that file's
/// temporary, `.<name>.…`) must fail as a full disk would.
pub fn disk_full_at(temporary: &str) -> bool {
    #[cfg(feature = "test-hooks")]
    {
        std::env::var_os("XTASK_TEST_DISK_FULL")
            .is_some_and(|wanted| temporary.starts_with(&format!(".{}.", wanted.to_string_lossy())))
    }
    #[cfg(not(feature = "test-hooks"))]
    {
        let _ = temporary;
        false
    }
}

/// With `XTASK_TEST_SKIP_PREDICTION` set: whether `pre-pr` ignores a predicted conflict, so a
/// test reaches the path a wrong prediction would take (the real sync conflicts and is aborted).
pub fn skip_conflict_prediction() -> bool {
    #[cfg(feature = "test-hooks")]
    {
        std::env::var_os("XTASK_TEST_SKIP_PREDICTION").is_some()
    }
    #[cfg(not(feature = "test-hooks"))]
    false
}

/// With `XTASK_TEST_LOCK_TRACE=<file>` set, appends `<event> <pid>` to that file (`enter` once
/// the run lock is taken, `leave` just before it is let go), so a stress test can prove that no
/// two holders ever overlap.
pub fn trace_lock(event: &str) {
    #[cfg(feature = "test-hooks")]
    if let Some(trace) = std::env::var_os("XTASK_TEST_LOCK_TRACE") {
        append_line(std::path::Path::new(&trace), &format!("{event} {}", std::process::id()));
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = event;
}

/// With `XTASK_TEST_SETTLE_MS` set: how long the incremental cache waits before it stores what
/// it derived from a file (`cache::SETTLE` otherwise), so that the cache's tests need not wait
/// two seconds each time; the main one-byte test keeps the real window.
pub fn settle() -> Option<std::time::Duration> {
    #[cfg(feature = "test-hooks")]
    {
        // Read once: the cache asks for every file it looks at.
        static WINDOW: std::sync::OnceLock<Option<std::time::Duration>> = std::sync::OnceLock::new();
        *WINDOW.get_or_init(|| {
            std::env::var("XTASK_TEST_SETTLE_MS")
                .ok()
                .and_then(|ms| ms.trim().parse().ok())
                .map(std::time::Duration::from_millis)
        })
    }
    #[cfg(not(feature = "test-hooks"))]
    None
}

#[cfg(test)]
mod tests {
    /// **Architecture Invariant:** only this module reads a test knob, so the `test-hooks`
    /// feature really is the whole of what the shipped build leaves out.
    #[test]
    fn no_other_module_reads_a_test_knob() {
        fn visit(dir: &std::path::Path, offenders: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    visit(&path, offenders);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("test_hooks.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (number, line) in text.lines().enumerate() {
                        let code = line.split("//").next().unwrap_or("");
                        if code.contains(concat!("XTASK_", "TEST_")) {
                            offenders.push(format!("{}:{}", path.display(), number + 1));
                        }
                    }
                }
            }
        }
        let mut offenders = Vec::new();
        visit(&std::path::Path::new(env!("XTASK_DIR")).join("src"), &mut offenders);
        assert!(offenders.is_empty(), "test knobs read outside test_hooks.rs: {offenders:?}");
    }
}
