//! Test-only fault injection, the one place the test suite steers the binary it drives: a run
//! killed at an exact step, pauses at chosen steps (so a test can hold a run there), a disk that
//! fills up, a conflict prediction that is skipped, a trace of the run lock.
//!
//! Compiled in only with the `test-hooks` feature. It is a default feature so that `cargo test`
//! builds the binary the integration tests drive with it; the `cargo xtask` alias builds with
//! `--no-default-features`, so the tool engineers run reads none of these variables and every
//! function here is a no-op.

/// Called once an applied plan's journal is written, before its first step: with
/// `XTASK_TEST_KILL_AFTER_STEPS=0`, the run is killed there.
pub fn plan_starting() {
    #[cfg(feature = "test-hooks")]
    kill_after_steps(0);
}

/// Called after each step of an applied plan (`branch`, or a planned path). With
/// `XTASK_TEST_KILL_AFTER_STEPS=<n>` the process is SIGKILLed once `n` steps are done: a test
/// interrupts a run at an exact point, and knows it did, instead of racing a timer. With
/// `XTASK_TEST_PAUSE_MS` it sleeps (after every step, or with `XTASK_TEST_PAUSE_AT` only after
/// that one), for the tests that need a run to hold its lock.
pub fn after_step(step: &str) {
    #[cfg(feature = "test-hooks")]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static DONE: AtomicUsize = AtomicUsize::new(0);
        kill_after_steps(DONE.fetch_add(1, Ordering::SeqCst) + 1);
        if std::env::var("XTASK_TEST_PAUSE_AT").map_or(true, |at| at == step) {
            sleep_for("XTASK_TEST_PAUSE_MS");
        }
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = step;
}

/// Between writing a file's temporary and renaming it into place: with
/// `XTASK_TEST_KILL_AT=write:<file name>` the process is SIGKILLed there; with
/// `XTASK_TEST_PAUSE_AT=write:<file name>` and `XTASK_TEST_PAUSE_MS` it sleeps there.
pub fn in_write(file_name: &str) {
    #[cfg(feature = "test-hooks")]
    {
        let here =
            |variable: &str| std::env::var(variable).is_ok_and(|at| at.strip_prefix("write:") == Some(file_name));
        if here("XTASK_TEST_KILL_AT") {
            die();
        }
        if here("XTASK_TEST_PAUSE_AT") {
            sleep_for("XTASK_TEST_PAUSE_MS");
        }
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = file_name;
}

#[cfg(feature = "test-hooks")]
fn kill_after_steps(done: usize) {
    if std::env::var("XTASK_TEST_KILL_AFTER_STEPS").is_ok_and(|wanted| wanted.parse() == Ok(done)) {
        die();
    }
}

/// Ends the process as `kill -9` does (no destructor, no cleanup, no exit code): the fault the
/// crash journal and the OS lock are built for. Through `kill` itself, since the tool has no
/// `unsafe`; should that fail, an abort ends the run as abruptly.
#[cfg(feature = "test-hooks")]
fn die() -> ! {
    let _ = std::process::Command::new("kill").args(["-KILL", &std::process::id().to_string()]).status();
    std::process::abort()
}

/// With `XTASK_TEST_CHECKOUT_PAUSE_MS` set, sleeps after each file of a branch checkout.
pub fn pause_in_checkout() {
    #[cfg(feature = "test-hooks")]
    sleep_for("XTASK_TEST_CHECKOUT_PAUSE_MS");
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
        use std::io::Write as _;
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(trace) {
            // One short line per write: appends this small are atomic.
            let _ = file.write_all(format!("{event} {}\n", std::process::id()).as_bytes());
        }
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = event;
}

#[cfg(feature = "test-hooks")]
fn sleep_for(variable: &str) {
    if let Some(ms) = std::env::var(variable).ok().and_then(|value| value.parse::<u64>().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
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
        visit(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut offenders);
        assert!(offenders.is_empty(), "test knobs read outside test_hooks.rs: {offenders:?}");
    }
}
