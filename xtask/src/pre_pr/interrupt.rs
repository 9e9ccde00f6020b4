//! Ctrl-C, SIGTERM and SIGHUP during `pre-pr`: the autostash is put back (or the output says
//! exactly where the work is) before the process exits 130. It never interrupts git half-way
//! through rewriting the tree, and never lets a later step start once a signal has arrived.
//!
//! The signal is handled on a thread of its own (`signals.rs`, the `ctrlc` crate), so it is acted on even while
//! the main thread waits for a long verify command. Every step that has git rewrite the working
//! tree (the stash, the rebase or merge and its abort, the restore) runs holding [`git_turn`]; the
//! handler takes the same lock, so it waits for git to finish (a terminal's Ctrl-C reaches git too,
//! and the sync then aborts and proves the repository as before), and no such step starts after
//! it. Holding it, the handler restores the autostash that [`Pending`] names, through the same
//! code as the `restore` step, and exits. This module never decides what a step does.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use git2::Oid;

use super::progress::Console;
use super::sync;
use crate::git::Repo;

/// Exit code after SIGINT (128 + 2), used for every signal handled here.
pub const EXIT_INTERRUPTED: i32 = crate::signals::EXIT_INTERRUPTED;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

static PENDING: Mutex<Pending> =
    Mutex::new(Pending { stash: None, restored: None, recover: None, root: None, rerun: String::new(), json: false });

/// What the handler must put back: the autostash not yet restored.
pub struct Pending {
    /// The autostash's commit, from the moment it exists until it is restored (or reported kept).
    pub stash: Option<Oid>,
    /// What the `restore` step said when it put the autostash back: a signal that arrives
    /// after it (the verify command died of the same Ctrl-C first) says it too.
    pub restored: Option<String>,
    /// The command that undoes a sync git could not abort, once its cause is fixed.
    pub recover: Option<String>,
    root: Option<PathBuf>,
    /// The command that runs `pre-pr` again as the engineer started it.
    rerun: String,
    /// `--json`: every line goes to stderr.
    json: bool,
}

/// Installs the handler for this run. Without it (the platform refused), a signal ends the
/// process as before and the next run points at the forgotten stash.
pub fn install(root: PathBuf, rerun: String, json: bool) {
    {
        let mut pending = git_turn();
        pending.root = Some(root);
        pending.rerun = rerun;
        pending.json = json;
    }
    if let Err(error) = crate::signals::on_interrupt(handle) {
        crate::output::warning(format!("Ctrl-C will not restore the autostash: {error}"));
    }
}

/// Whether a signal has arrived: no further step may start.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The lock every git step that rewrites the tree holds, and the handler takes before acting.
pub fn git_turn() -> MutexGuard<'static, Pending> {
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Called by the main thread when it has nothing left to do after a signal: the handler is
/// running (it set the flag), and ends the process once it holds the lock. Waits for it, then
/// exits 130 itself should the handler never finish (it cannot block: the lock is free).
pub fn wait_for_handler() -> ! {
    for _ in 0..600 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::process::exit(EXIT_INTERRUPTED)
}

fn handle() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    crate::test_hooks::point("pre-pr:signal");
    let mut pending = git_turn();
    let console = Console::new(pending.json);
    // A live progress line may be on the terminal: start on a fresh line.
    console.text("");
    console.warning("interrupted: stopping `cargo xtask pre-pr`; no step starts after this");
    let rerun = pending.rerun.clone();
    let report = match (pending.stash.take(), pending.root.clone()) {
        (Some(stash), Some(root)) => match Repo::discover(&root) {
            Ok(repo) => match xshell::Shell::new() {
                Ok(sh) => {
                    sh.change_dir(repo.root());
                    sync::restore_report(&sh, &repo, stash, pending.recover.as_deref())
                }
                Err(error) => sync::kept_report(&repo, stash, &format!("{error}"), pending.recover.as_deref()),
            },
            Err(error) => sync::unreadable_report(stash, &format!("{error:#}")),
        },
        _ => sync::RestoreReport { restored: pending.restored.take(), warning: None, text: None, error: None },
    };
    report.print_interrupted(&console, &rerun);
    std::process::exit(EXIT_INTERRUPTED);
}
