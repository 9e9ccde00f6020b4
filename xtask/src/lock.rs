//! The run lock: one writing command at a time per clone. Two `new-addon` or `pre-pr` runs at
//! once would race on the branch and the files, so the second is refused with a clear message.
//!
//! The lock is a file created with `create_new` in `.git/sop/`, holding the owner's pid. A lock
//! whose process is gone (a crash, SIGKILL) is stale and is taken over, so it never stays stuck.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::error::Refusal;
use crate::git::Repo;

#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

impl RunLock {
    /// Takes the clone's lock for `command`, or refuses if a live process holds it.
    pub fn acquire(repo: &Repo, command: &str) -> anyhow::Result<RunLock> {
        let dir = repo.sop_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
        let path = dir.join("run.lock");
        for _ in 0..2 {
            // The lock appears with its content at once (a hard link to a finished file), so a
            // second run never reads a half-written lock and mistakes it for a stale one.
            let pending = dir.join(format!("run.lock.{}.tmp", std::process::id()));
            let mut file =
                std::fs::File::create(&pending).with_context(|| format!("failed to create `{}`", pending.display()))?;
            file.write_all(format!("{}\n{command}\n", std::process::id()).as_bytes())
                .with_context(|| format!("failed to write `{}`", pending.display()))?;
            file.sync_all().ok();
            drop(file);
            let linked = std::fs::hard_link(&pending, &path);
            let _ = std::fs::remove_file(&pending);
            match linked {
                Ok(()) => return Ok(RunLock { path }),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let body = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut lines = body.lines();
                    let pid = lines.next().and_then(|line| line.trim().parse::<u32>().ok());
                    let holder = lines.next().unwrap_or("another command").to_string();
                    match pid {
                        Some(pid) if process_alive(pid) => {
                            return Err(Refusal::failed(format!(
                                "another `cargo xtask {holder}` (pid {pid}) is running in this clone"
                            ))
                            .hint(format!(
                                "wait for it to finish; if no such process exists, remove the lock: rm '{}'",
                                path.display()
                            ))
                            .into());
                        }
                        _ => {
                            // The holder is gone (crashed or killed): the lock is stale.
                            crate::output::warning(format!(
                                "took over a stale lock left by an interrupted `cargo xtask {holder}`"
                            ));
                            std::fs::remove_file(&path)
                                .with_context(|| format!("failed to remove the stale lock `{}`", path.display()))?;
                        }
                    }
                }
                Err(error) => return Err(error).with_context(|| format!("failed to create `{}`", path.display())),
            }
        }
        Err(Refusal::failed("another command keeps taking the clone's lock")
            .hint("wait for the other `cargo xtask` command to finish and run this again")
            .into())
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a process with this pid exists. On Linux `/proc` answers; elsewhere we assume it
/// does (a stuck lock there is removed by hand, as the hint says).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_root = std::path::Path::new("/proc");
    if proc_root.join("self").exists() {
        proc_root.join(pid.to_string()).exists()
    } else {
        true
    }
}
