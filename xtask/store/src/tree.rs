//! Files' stat data as git's index keeps it, and the stat fingerprint of a whole working tree:
//! the key of `check`'s whole verdict (`xtask/src/check/verdict.rs`), which walks every file of
//! the tree on every run, so it lives in this optimised crate. It reads names and stat data only,
//! never a file's content, and decides nothing: what a fingerprint stands for is the caller's.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// A file's stat data as git's index keeps it: size, modification and change times to the
/// nanosecond, inode and device (on other systems, the size and the two times it has).
#[cfg(unix)]
pub fn stat(metadata: &std::fs::Metadata) -> [u64; 7] {
    use std::os::unix::fs::MetadataExt as _;
    [
        metadata.len(),
        metadata.mtime() as u64,
        metadata.mtime_nsec() as u64,
        metadata.ctime() as u64,
        metadata.ctime_nsec() as u64,
        metadata.ino(),
        metadata.dev(),
    ]
}

#[cfg(not(unix))]
pub fn stat(metadata: &std::fs::Metadata) -> [u64; 7] {
    let nanos = |time: std::io::Result<SystemTime>| {
        time.ok().and_then(|time| time.duration_since(SystemTime::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos() as u64)
    };
    [metadata.len(), nanos(metadata.modified()), nanos(metadata.created()), 0, 0, 0, 0]
}

/// Whether the file's modification and change times are both before `limit`.
pub fn older_than(metadata: &std::fs::Metadata, limit: SystemTime) -> bool {
    let old = |time: Option<SystemTime>| time.is_some_and(|time| time < limit);
    #[cfg(unix)]
    let changed = {
        use std::os::unix::fs::MetadataExt as _;
        let (seconds, nanos) = (metadata.ctime(), metadata.ctime_nsec());
        u64::try_from(seconds)
            .ok()
            .and_then(|seconds| SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos as u32)))
    };
    #[cfg(not(unix))]
    let changed = metadata.modified().ok();
    old(metadata.modified().ok()) && old(changed)
}

/// Appends a file's stat data to `out`; returns whether its times are before `limit`.
pub fn put_stat(out: &mut Vec<u8>, metadata: &std::fs::Metadata, limit: SystemTime) -> bool {
    let mut bytes = [0u8; 56];
    for (slot, value) in bytes.chunks_exact_mut(8).zip(stat(metadata)) {
        slot.copy_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&bytes);
    older_than(metadata, limit)
}

/// Appends every entry under `dir` to `out`: its name, its kind (`f`, `d`, `l` for a link) and
/// stat data (a link's own, then its target's), a folder's entries after it and a `}` at its
/// end, in the order the file system lists them (a folder whose entries change gets new times
/// itself). Entries named `.git` are left out, and so are the folders at the top that
/// `skip_top` names. Returns whether every entry's times are before `limit`, or `None` when a
/// folder cannot be read or a link leads to a folder (what it holds is outside the walk).
pub fn walk(dir: &Path, skip_top: &dyn Fn(&str) -> bool, limit: SystemTime, out: &mut Vec<u8>) -> Option<bool> {
    let mut settled = true;
    walk_into(dir, Some(skip_top), limit, out, &mut settled)?;
    Some(settled)
}

fn walk_into(
    dir: &Path,
    skip_top: Option<&dyn Fn(&str) -> bool>,
    limit: SystemTime,
    out: &mut Vec<u8>,
    settled: &mut bool,
) -> Option<()> {
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let file_type = entry.file_type().ok()?;
        if let (Some(skip), true) = (skip_top, file_type.is_dir()) {
            if name.to_str().is_some_and(skip) {
                continue;
            }
        }
        let bytes = name.as_encoded_bytes();
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
        if file_type.is_symlink() {
            let path = entry.path();
            out.push(b'l');
            *settled &= put_stat(out, &path.symlink_metadata().ok()?, limit);
            match std::fs::metadata(&path) {
                Ok(target) if target.is_dir() => return None,
                Ok(target) => *settled &= put_stat(out, &target, limit),
                Err(_) => out.push(b'0'),
            }
        } else if file_type.is_dir() {
            out.push(b'd');
            *settled &= put_stat(out, &entry.metadata().ok()?, limit);
            walk_into(&entry.path(), None, limit, out, settled)?;
            out.push(b'}');
        } else {
            out.push(b'f');
            *settled &= put_stat(out, &entry.metadata().ok()?, limit);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(dir: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        walk(dir, &|name| name == "skipped", SystemTime::now(), &mut out).unwrap();
        out
    }

    /// Any added, removed, renamed or rewritten file changes the fingerprint, at any depth;
    /// `.git` and a skipped top folder never do.
    #[test]
    fn every_change_in_the_walked_tree_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("skipped")).unwrap();
        std::fs::write(root.join("a/b/doc.md"), "one").unwrap();
        let before = print(root);
        assert_eq!(print(root), before, "the same tree, the same fingerprint");
        std::fs::write(root.join(".git/index"), "x").unwrap();
        std::fs::write(root.join("skipped/out"), "x").unwrap();
        assert_eq!(print(root), before, ".git and a skipped folder are not walked");
        std::fs::write(root.join("a/b/doc.md"), "second").unwrap();
        let rewritten = print(root);
        assert_ne!(rewritten, before, "a rewritten file");
        std::fs::write(root.join("a/b/new.md"), "").unwrap();
        let added = print(root);
        assert_ne!(added, rewritten, "an added file");
        std::fs::rename(root.join("a/b/new.md"), root.join("a/b/renamed.md")).unwrap();
        assert_ne!(print(root), added, "a renamed file");
    }

    /// A link to a folder turns the walk off; a fresh file is not settled, an old one is.
    #[cfg(unix)]
    #[test]
    fn a_linked_folder_stops_the_walk_and_fresh_files_are_unsettled() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/a.md"), "a").unwrap();
        let mut out = Vec::new();
        assert_eq!(walk(&root, &|_| false, SystemTime::now() - Duration::from_secs(60), &mut out), Some(false));
        assert_eq!(walk(&root, &|_| false, SystemTime::now() + Duration::from_secs(60), &mut out), Some(true));
        std::os::unix::fs::symlink(dir.path(), root.join("docs/elsewhere")).unwrap();
        assert_eq!(walk(&root, &|_| false, SystemTime::now(), &mut out), None);
    }
}
