//! Confinement: every write of the working tree stays inside the repository.
//!
//! A path a plan writes is a clean relative path (no `..`, not absolute, not inside `.git`)
//! whose every folder below the canonical repository root is a real folder, never a symbolic
//! link — a committed `docs/specs -> /home/me` must not turn `new-addon` into a writer of the
//! engineer's home. A link *as the file itself* is written through only when it resolves to a
//! file inside the repository (so a `CHANGELOG.md -> docs/CHANGELOG.md` keeps being a link);
//! one that points outside, or nowhere, is refused.
//!
//! Bytes reach a file through a temporary sibling with a name unique to the run, created
//! exclusively and without following links (`O_CREAT|O_EXCL|O_NOFOLLOW`), given the mode of the
//! file it replaces, synced, then renamed into place. A temporary a killed run left behind is
//! recognised by its name (it carries the pid of its run) and removed by the next run.
//!
//! This module decides where bytes may go and puts them there; it decides nothing about what a
//! plan contains.

use std::fs::Metadata;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use anyhow::Context as _;

use crate::error::Refusal;

/// The suffix of every temporary file the writer creates.
pub const TEMPORARY_SUFFIX: &str = ".xtask-tmp";

/// This process's run id: its pid and its start time, unique per run. Journals and temporary
/// files carry it, so two runs never share a name and a leftover names the run that left it.
pub fn run_id() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        format!("{}-{nanos:x}", std::process::id())
    })
}

/// The pid a run id or temporary name starts with.
pub fn pid_of_run(run: &str) -> Option<u32> {
    run.split('-').next()?.parse().ok()
}

/// What a write to a path will do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new file: nothing may exist at the path, not even a link.
    Create,
    /// New bytes for an existing file (or one that is restored): a link is written through
    /// when it resolves inside the repository.
    Replace,
    /// Removing the entry at the path itself (a link is removed, never what it points to).
    Remove,
}

/// Checks that `relative` is a path a plan may name: relative, `/`-separated, no `.` or `..`,
/// nothing inside `.git`.
pub fn check_relative(relative: &str) -> anyhow::Result<()> {
    let bad = |why: &str| -> anyhow::Result<()> {
        Err(Refusal::failed(format!(
            "`{}` is not a path inside the repository ({why}); nothing was written",
            relative.escape_debug()
        ))
        .hint("check the path settings: cargo xtask config")
        .into())
    };
    if relative.is_empty() {
        return bad("it is empty");
    }
    if relative.starts_with('/') || relative.starts_with('\\') || Path::new(relative).is_absolute() {
        return bad("it is absolute");
    }
    if relative.contains('\\') || relative.contains('\0') {
        return bad("it holds a backslash or a NUL");
    }
    for part in relative.split('/') {
        match part {
            "" => return bad("it has an empty component"),
            "." | ".." => return bad("it has a `.` or `..` component"),
            _ if part.eq_ignore_ascii_case(".git") => return bad("it is inside `.git`"),
            _ if part.len() >= 2 && part.as_bytes()[1] == b':' => return bad("it names a drive"),
            _ => {}
        }
    }
    if Path::new(relative).components().any(|c| !matches!(c, Component::Normal(_))) {
        return bad("it is not a plain relative path");
    }
    Ok(())
}

/// Where a write to `relative` really goes: the path under `root` (the canonical repository
/// root), or the file a link at that path resolves to inside the repository. Refuses a path
/// that passes through a linked folder, and a linked file that points outside or nowhere.
pub fn resolve(root: &Path, relative: &str, purpose: Purpose) -> anyhow::Result<PathBuf> {
    check_relative(relative)?;
    let parts: Vec<&str> = relative.split('/').collect();
    let mut current = root.to_path_buf();
    for (index, part) in parts[..parts.len() - 1].iter().enumerate() {
        current.push(part);
        match current.symlink_metadata() {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let folder = parts[..=index].join("/");
                return Err(linked_folder(root, &current, &folder).into());
            }
            Ok(_) => {}
            // The rest is created by the write, as real folders.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => break,
            Err(error) => return Err(error).with_context(|| format!("failed to read `{}`", current.display())),
        }
    }
    let full = root.join(relative);
    match (purpose, full.symlink_metadata()) {
        (Purpose::Create, Ok(_)) => {
            // The file may be a teammate's or the engineer's own work: the hint keeps it, in the
            // repository, under another name (never a move out of it, never a deletion).
            let word = crate::output::shell_word(relative);
            let aside = crate::output::shell_word(&format!("{relative}.orig"));
            Err(Refusal::failed(format!("`{relative}` already exists; it is never overwritten"))
                .hint(format!(
                    "pick another name; or, if the file is your own leftover, set it aside first: mv {word} {aside}"
                ))
                .into())
        }
        (Purpose::Replace, Ok(metadata)) if metadata.file_type().is_symlink() => {
            let points_to = std::fs::read_link(&full).map(|p| p.display().to_string()).unwrap_or_default();
            match full.canonicalize() {
                Ok(real) if real.starts_with(root) && real != root && !inside_git_dir(root, &real) && real.is_file() => {
                    Ok(real)
                }
                _ => Err(Refusal::failed(format!(
                    "`{relative}` is a symbolic link to `{points_to}`, which is not a file inside the repository; cargo xtask never writes through it"
                ))
                .hint(format!("look at it, and make it a regular file if it belongs here: ls -l {}", crate::output::shell_word(relative)))
                .into()),
            }
        }
        _ => Ok(full),
    }
}

/// Whether a real path lies in the repository's `.git`.
fn inside_git_dir(root: &Path, real: &Path) -> bool {
    real.strip_prefix(root)
        .ok()
        .and_then(|rest| rest.components().next())
        .is_some_and(|first| first.as_os_str().eq_ignore_ascii_case(".git"))
}

fn linked_folder(root: &Path, path: &Path, folder: &str) -> Refusal {
    let points_to = std::fs::read_link(path).map(|p| p.display().to_string()).unwrap_or_default();
    let word = crate::output::shell_word(folder);
    let refusal = Refusal::failed(format!(
        "`{folder}` is a symbolic link (to `{points_to}`); cargo xtask writes nothing through a linked folder, so nothing can land outside the repository"
    ));
    if !crate::git::sparse::indexed_link(root, folder) {
        return refusal.hint(format!(
            "replace the link with a real folder (what it points to is kept): rm {word} && mkdir {word}"
        ));
    }
    // Committed: replacing it in the working tree only is an uncommitted change (refused as
    // such), and every new slice checks the link out again from main. It is replaced in a slice
    // of its own, which lands first.
    let slug = crate::names::suggest(&format!("{folder} folder")).unwrap_or_else(|| "linked-folder".into());
    let message = crate::output::shell_word(&format!("fix: {folder} is a folder, not a link"));
    refusal.hint(format!(
        "the link is committed, so every new branch checks it out again: replace it with a folder in a slice of its own and land that first (what it points to is kept):\ncargo xtask branch fix {slug} && git rm -q {word} && mkdir {word} && git commit -m {message}"
    ))
}

/// Writes `bytes` to `path` (already resolved) through a new temporary sibling, then renames it
/// into place: all or nothing, and the file keeps the mode it had.
pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_file_with(path, bytes, true)
}

/// [`write_file`]; `sync`: wait for the temporary's bytes to reach the disk before the rename.
pub fn write_file_with(path: &Path, bytes: &[u8], sync: bool) -> anyhow::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|error| io_error(error, format!("failed to create `{}`", parent.display())))?;
    let existing = path.symlink_metadata().ok().filter(Metadata::is_file);
    let temporary = temporary_path(path);
    let result = write_temporary(&temporary, bytes, existing.as_ref(), sync).and_then(|()| {
        crate::test_hooks::in_write(&path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        std::fs::rename(&temporary, path)
            .map_err(|error| io_error(error, format!("failed to move `{}` into place", path.display())))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn write_temporary(temporary: &Path, bytes: &[u8], existing: Option<&Metadata>, sync: bool) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options
        .open(temporary)
        .map_err(|error| io_error(error, format!("failed to create `{}`", temporary.display())))?;
    if let Some(existing) = existing {
        file.set_permissions(existing.permissions())
            .with_context(|| format!("failed to keep the mode of `{}`", temporary.display()))?;
    }
    let temporary_name = temporary.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if crate::test_hooks::disk_full_at(&temporary_name) {
        #[cfg(unix)]
        let error = std::io::Error::from_raw_os_error(libc::ENOSPC);
        #[cfg(not(unix))]
        let error = std::io::Error::from(std::io::ErrorKind::StorageFull);
        return Err(io_error(error, format!("failed to write `{}`", temporary.display())));
    }
    file.write_all(bytes).map_err(|error| io_error(error, format!("failed to write `{}`", temporary.display())))?;
    if sync {
        file.sync_all().map_err(|error| io_error(error, format!("failed to sync `{}`", temporary.display())))?;
    }
    Ok(())
}

/// A name no other write uses: `.<file>.<run id>-<n>.xtask-tmp`.
fn temporary_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{file_name}.{}-{n}{TEMPORARY_SUFFIX}", run_id()))
}

/// Removes the temporaries of `file_name` in `dir` that a dead run left (their name holds its
/// pid). Only regular files are removed, never a link or a folder. Returns how many.
pub fn remove_stale_temporaries(dir: &Path, file_name: Option<&str>) -> usize {
    remove_temporaries_of(dir, file_name, None)
}

/// [`remove_stale_temporaries`], and also every temporary of the run `dead`, whatever its pid
/// looks like: the recovery of that run's journal, which holds the clone's lock, knows it is
/// over even while its process is still a zombie, or after a reboot gave its pid to another.
pub fn remove_temporaries_of(dir: &Path, file_name: Option<&str>, dead: Option<&str>) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(TEMPORARY_SUFFIX).and_then(|n| n.strip_prefix('.')) else { continue };
        let Some((target, run)) = stem.rsplit_once('.') else { continue };
        if file_name.is_some_and(|wanted| wanted != target) {
            continue;
        }
        let Some(pid) = pid_of_run(run) else { continue };
        let of_dead_run = dead.is_some_and(|dead| run.strip_prefix(dead).is_some_and(|n| n.starts_with('-')));
        if !of_dead_run && (pid == std::process::id() || process_alive(pid)) {
            continue;
        }
        if entry.path().symlink_metadata().is_ok_and(|m| m.is_file()) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a process with this pid exists (Linux: `/proc`; elsewhere assumed alive, so a
/// leftover there is only removed by the recovery of its own run's journal).
pub fn process_alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    if proc_root.join("self").exists() {
        proc_root.join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Names a full disk for what it is, whatever reports it.
pub fn io_error(error: std::io::Error, what: String) -> anyhow::Error {
    if is_disk_full(&error) {
        return anyhow::Error::new(error).context(format!("{what}: no space left on device"));
    }
    anyhow::Error::new(error).context(what)
}

/// Whether an I/O error means the disk (or the quota) is full.
pub fn is_disk_full(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        if matches!(error.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT)) {
            return true;
        }
    }
    error.kind() == std::io::ErrorKind::StorageFull
}

/// Whether any cause in an error chain is a full disk.
pub fn chain_is_disk_full(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(is_disk_full)
            || cause.to_string().contains("no space left on device")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_repository_are_refused() {
        for bad in
            ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", ".git/hooks/pre-push", "a\\b", "C:x", "a/.GIT/b"]
        {
            assert!(check_relative(bad).is_err(), "{bad:?} was accepted");
        }
        for good in ["docs/specs/X.md", ".env", "a/b.c/d", "..hidden"] {
            assert!(check_relative(good).is_ok(), "{good:?} was refused");
        }
    }

    #[test]
    fn stale_temporaries_are_recognised_by_their_pid() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(format!(".X.md.99999999-1a-0{TEMPORARY_SUFFIX}"));
        let mine = dir.path().join(format!(".X.md.{}-0{TEMPORARY_SUFFIX}", run_id()));
        std::fs::write(&stale, "x").unwrap();
        std::fs::write(&mine, "x").unwrap();
        assert_eq!(remove_stale_temporaries(dir.path(), Some("X.md")), 1);
        assert!(!stale.exists() && mine.exists());
        // The recovery of a run's journal removes that run's temporaries even while its pid is
        // alive (a zombie, or a pid reused): here a run id with this process's pid.
        let dead_run = format!("{}-dead", std::process::id());
        let left = dir.path().join(format!(".X.md.{dead_run}-3{TEMPORARY_SUFFIX}"));
        std::fs::write(&left, "x").unwrap();
        assert_eq!(remove_stale_temporaries(dir.path(), Some("X.md")), 0);
        assert_eq!(remove_temporaries_of(dir.path(), Some("X.md"), Some(&dead_run)), 1);
        assert!(!left.exists() && mine.exists());
    }

    #[test]
    fn a_write_keeps_the_mode_of_the_file_it_replaces() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("run.sh");
            std::fs::write(&file, "old").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
            write_file(&file, b"new").unwrap();
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o755);
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        }
    }
}
