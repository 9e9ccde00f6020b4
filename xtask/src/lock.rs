//! The run lock: one writing command at a time per clone. Two `new-addon` or `pre-pr` runs at
//! once would race on the branch and the files, so the second is refused with a clear message.
//!
//! The lock is an OS advisory lock (`File::try_lock`: `flock` on Unix, `LockFileEx` on Windows)
//! on `.git/sop/run.lock`, held for as long as the [`RunLock`] lives. The kernel releases it when
//! the process ends in any way (a crash, SIGKILL, Ctrl-C at a prompt), so a lock is never stale
//! and no pid is ever trusted: a dead or reused pid cannot block anyone. Taking it is one
//! system call, atomic by construction.
//!
//! The file holds the holder's pid and command, for the message only. On Unix the holder removes
//! it before it lets go, so no file outlives a finished run; because a process may have opened
//! the old file just before that, whoever locks a file checks that the path still names the very
//! file it locked, and starts over if not. A file a killed run left behind is simply locked and
//! reused. This module must not read the pid to decide anything.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::error::Refusal;
use crate::git::Repo;

/// The lock file's name in the clone's `.git/sop/`.
pub const LOCK_FILE: &str = "run.lock";

/// How often a lock whose file was replaced under us is tried again before giving up.
const ATTEMPTS: usize = 64;

/// Holds the clone's lock until dropped (or until the process ends, whichever comes first).
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the clone's lock for `command`, or refuses (exit 1) if another process holds it.
    pub fn acquire(repo: &Repo, command: &str) -> anyhow::Result<RunLock> {
        let dir = repo.sop_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
        remove_leftovers(&dir);
        let path = dir.join(LOCK_FILE);
        for _ in 0..ATTEMPTS {
            let file = crate::plan::open_state_file(
                &path,
                OpenOptions::new().read(true).write(true).create(true).truncate(false),
            )
            .with_context(|| format!("failed to open the lock `{}`", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(held_by_another(&path)),
                Err(TryLockError::Error(error)) => {
                    return Err(error).with_context(|| format!("failed to lock `{}`", path.display()))
                }
            }
            if !still_named_by(&file, &path) {
                // The holder we waited on removed this file as it let go; lock the new one.
                continue;
            }
            // Read through our own handle: on Windows the lock keeps every other handle out.
            let mut leftover = String::new();
            let _ = (&file).read_to_string(&mut leftover);
            if let Some(holder) = Holder::parse(&leftover) {
                // A run that ends normally leaves no content: this one was killed. Its lock died
                // with it; the journal (if any) has already been dealt with by `Ctx::new`.
                crate::output::warning(format!(
                    "took over a stale lock left by an interrupted `cargo xtask {}`",
                    holder.command
                ));
            }
            let mut lock = RunLock { file, path };
            lock.record(command)?;
            // A run killed while it wrote a state file (its journal among them) leaves that
            // file's temporary; the lock holder sweeps the dead runs' ones.
            crate::plan::confine::remove_stale_temporaries(&dir, None);
            crate::test_hooks::trace_lock("enter");
            return Ok(lock);
        }
        Err(Refusal::failed("another command keeps taking the clone's lock")
            .hint(format!("wait for the other `cargo xtask` command to finish, then run again: {}", this_command()))
            .into())
    }

    /// Writes who holds the lock, for the message a second run prints.
    fn record(&mut self, command: &str) -> anyhow::Result<()> {
        let text = format!("{}\n{command}\n", std::process::id());
        self.file
            .set_len(0)
            .and_then(|()| self.file.seek(SeekFrom::Start(0)))
            .and_then(|_| {
                self.file.write_all(text.as_bytes())?;
                self.file.flush()
            })
            .with_context(|| format!("failed to write the lock `{}`", self.path.display()))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        crate::test_hooks::trace_lock("leave");
        // Unix: remove the file while still holding the lock (see the module comment), so a
        // finished run leaves nothing behind. Windows cannot tell files apart this way: the file
        // stays, emptied. Either way the lock itself goes with the handle.
        if cfg!(unix) {
            let _ = std::fs::remove_file(&self.path);
        } else {
            let _ = self.file.set_len(0);
        }
        let _ = self.file.unlock();
    }
}

/// Who holds (or held) the lock, as its file says: only ever used in messages.
struct Holder {
    pid: Option<u32>,
    command: String,
}

impl Holder {
    fn parse(text: &str) -> Option<Holder> {
        let mut lines = text.lines();
        let pid = lines.next()?.trim().parse::<u32>().ok();
        let command = lines.next().map(str::trim).filter(|command| !command.is_empty())?;
        let command = command.chars().filter(|c| !c.is_control()).take(80).collect();
        Some(Holder { pid, command })
    }
}

/// The refusal when the lock is taken: who holds it, if its file says, and what to run later.
fn held_by_another(path: &Path) -> anyhow::Error {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let message = match Holder::parse(&text) {
        Some(Holder { pid: Some(pid), command }) => {
            format!("another `cargo xtask {command}` (pid {pid}) is running in this clone")
        }
        Some(Holder { pid: None, command }) => format!("another `cargo xtask {command}` is running in this clone"),
        None => "another `cargo xtask` command is running in this clone".to_string(),
    };
    Refusal::failed(message)
        .hint(format!(
            "wait for it to finish (the lock goes with it, even if it is killed), then run: {}",
            this_command()
        ))
        .into()
}

/// Whether `path` still names the file we opened (Unix). Elsewhere the file is never removed,
/// so it always does.
#[cfg(unix)]
fn still_named_by(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(ours), Ok(named)) => ours.dev() == named.dev() && ours.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_named_by(_file: &File, _path: &Path) -> bool {
    true
}

/// Removes the pending files (`run.lock.<pid>.tmp`) that the pid-file lock of earlier versions
/// left when it was killed while taking the lock: nothing creates them any more.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let pid = name.strip_prefix("run.lock.").and_then(|rest| rest.strip_suffix(".tmp"));
        if pid.is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// This run's command line, as the engineer can paste it again (`cargo xtask new-addon jobs`).
pub fn this_command() -> String {
    let mut words = vec!["cargo".to_string(), "xtask".to_string()];
    words.extend(std::env::args_os().skip(1).map(|word| quote(&word.to_string_lossy())));
    words.join(" ")
}

/// A word of the engineer's own command line, as a shell reads it back: options stay bare.
fn quote(word: &str) -> String {
    let rest = word.trim_start_matches('-');
    if rest.len() < word.len() && !rest.is_empty() && crate::output::shell_word(rest) == rest {
        word.to_string()
    } else {
        crate::output::shell_word(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_read_for_messages_only() {
        let holder = Holder::parse("1234\nnew-addon\n").unwrap();
        assert_eq!((holder.pid, holder.command.as_str()), (Some(1234), "new-addon"));
        assert!(Holder::parse("").is_none());
        assert!(Holder::parse("1234\n").is_none());
        let holder = Holder::parse("garbage\npre-pr\n").unwrap();
        assert_eq!((holder.pid, holder.command.as_str()), (None, "pre-pr"));
    }

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(quote("new-addon"), "new-addon");
        assert_eq!(quote("--summary=Runs"), "--summary=Runs");
        assert_eq!(quote("Runs jobs"), "'Runs jobs'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }
}
